# SPDX-License-Identifier: Apache-2.0
"""The examples' emulated twins: build, run in QEMU, check serial lines, LCD and tests.

Each example project is copied (its relative ``symlink://`` paths made absolute); it
builds from the zoo's shipped weights, or trains for one epoch on the offline data when
its model has none. Then ``pio run -e qemu -t exec`` runs the
same ``src/main.cpp`` the boards run, and ``pio test -e qemu`` runs the same golden
test suite that ``pio test -e <board>`` runs on hardware. The ``qemu`` env runs the
compiled model (runtime ``aot``) with no TFLM checkout anywhere; ``qemu_tflm`` runs
the same firmware on TFLM and needs a checkout.
"""

from __future__ import annotations

import re
import shutil
from pathlib import Path
from types import ModuleType
from typing import Any

import numpy as np
import pytest
from PIL import Image

from platformio_tinyml.errors import TinyMLError
from platformio_tinyml.pretrained import find_pretrained
from platformio_tinyml.tflm_sources import locate_tflm

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.pio, pytest.mark.qemu]

_LINE_RE = re.compile(
    r"^TINYML image=(\d+) label=(\d+) expected=(\d+) score=(\d+\.\d\d) us=(\d+)$", re.M
)
# example -> (needs the shared CIFAR-10 tarball, images to pack)
EXAMPLES = {
    "mnist_disco_f746ng": False,
    "mnist_mimxrt1060_evk": False,
    "cifar10_disco_h747xi": True,
}


def _require_tools() -> None:
    for tool in ("qemu-system-arm", "arm-none-eabi-g++"):
        if shutil.which(tool) is None:
            pytest.skip(f"'{tool}' is not installed (apt-get install it to run this)")


def _tflm_root() -> Path:
    _require_tools()
    try:
        tree = locate_tflm(None)
    except TinyMLError as exc:
        pytest.skip(f"tflite-micro sources unusable: {exc}")
    if tree is None:
        pytest.skip("no tflite-micro checkout at $TINYML_TFLM_DIR or the default place")
    return tree.root


def _copy_example(name: str, dest: Path, set_ini_option: Any) -> Path:
    project = dest / name
    shutil.copytree(
        REPO / "examples" / name, project, ignore=shutil.ignore_patterns(".pio")
    )
    ini = (project / "platformio.ini").read_text()
    ini = ini.replace("symlink://../../", f"symlink://{REPO}/")
    model = re.search(r"^custom_tinyml_model\s*=\s*(\S+)", ini, re.M)
    assert model is not None
    if find_pretrained(model.group(1)) is None:
        ini = set_ini_option(ini, "custom_tinyml_epochs", "1")  # train briefly
    ini = set_ini_option(ini, "custom_tinyml_images", "12")
    ini = set_ini_option(ini, "custom_tinyml_verify_samples", "200")
    (project / "platformio.ini").write_text(ini)
    return project


@pytest.mark.parametrize(
    "runtime",
    ["aot", pytest.param("tflm", marks=pytest.mark.tflm_sources)],
)
@pytest.mark.parametrize("name", sorted(EXAMPLES))
def test_emulated_twin_runs_and_passes_its_tests(
    name: str,
    runtime: str,
    pio_env: dict[str, str],
    piotools: ModuleType,
    shared_datasets_dir: Path | None,
    tmp_path: Path,
) -> None:
    if runtime == "tflm":
        pioenv, tflm_dir = "qemu_tflm", _tflm_root()
    else:
        _require_tools()
        pioenv, tflm_dir = "qemu", tmp_path / "no-tflm"  # empty: no TFLM anywhere
        tflm_dir.mkdir()
    env = {**pio_env, "TINYML_TFLM_DIR": str(tflm_dir)}
    if EXAMPLES[name]:
        if shared_datasets_dir is None:
            pytest.skip("CIFAR-10 has no embedded copy; set TINYML_DATASETS_DIR")
        env["TINYML_DATASETS_DIR"] = str(shared_datasets_dir)
    else:
        env.pop("TINYML_DATASETS_DIR", None)  # the embedded MNIST subset: fast
    project = _copy_example(name, tmp_path, piotools.set_ini_option)

    run = piotools.run_pio(env, project, "run", "-e", pioenv, "-t", "exec")
    assert run.returncode == 0, run.output[-4000:]
    lines = _LINE_RE.findall(run.stdout)
    assert [int(m[0]) for m in lines] == list(range(12)), run.stdout[-2000:]
    for _, label, expected, score, _us in lines:
        assert 0 <= int(label) < 10 and 0 <= int(expected) < 10
        assert 0.0 <= float(score) <= 1.0
    correct = sum(m[1] == m[2] for m in lines)
    assert correct >= 6, f"only {correct}/12 correct: {lines}"

    assert f"runtime: {runtime}" in run.stdout
    assert ("TFLM:" in run.stdout) == (runtime == "tflm")
    png = project / ".pio" / "build" / pioenv / "tinyml_framebuffer.png"
    assert f"Framebuffer: {png}" in run.stdout
    with Image.open(png) as img:
        pixels = np.asarray(img.convert("RGB"))
    assert pixels.shape == (272, 480, 3)
    # The last image is drawn scaled up, with text: far from a blank screen.
    assert len(np.unique(pixels.reshape(-1, 3), axis=0)) >= 2
    assert (pixels > 0).any(axis=2).mean() > 0.02

    test = piotools.run_pio(env, project, "test", "-e", pioenv)
    assert test.returncode == 0, test.output[-4000:]
    assert "test_every_image_matches_golden_output" in test.stdout
    assert re.search(r"\d+ test cases: \d+ succeeded", test.stdout), test.stdout[-2000:]
