# SPDX-License-Identifier: Apache-2.0
"""On-target model tests in QEMU mps2-an500: tests/firmware_tflm with each runtime.

The AOT envs build with no TFLM checkout at all (``TINYML_TFLM_DIR`` names an empty
directory), so they run on a fresh machine; the TFLM envs need a checkout.
"""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

from devtools.qemu import InsnCount, build_insncount_plugin, count_instructions
from platformio_tinyml.errors import TinyMLError
from platformio_tinyml.fileio import default_cache_dir
from platformio_tinyml.tflm_sources import locate_tflm

pytestmark = [pytest.mark.pio, pytest.mark.qemu]

REPO = Path(__file__).resolve().parents[2]
PROJECT = REPO / "tests" / "firmware_tflm"
ENVS = ("qemu_cmsis", "qemu_ref")
AOT_ENVS = ("qemu_aot", "qemu_aot_portable")
# mnist_dense is two FULLY_CONNECTED layers; the notes measured 3.03x there and
# 3.8-4.6x on convolutional models (LeNet, CIFAR CNN).
MIN_SPEEDUP_DENSE = 2.5
MIN_SPEEDUP_CONV = 3.5
_OUTPUT_RE = re.compile(r"^TINYML output image=(\d+)((?: -?\d+)+)$", re.M)
_ARENA_RE = re.compile(r"^TINYML arena used=(\d+) generated=(\d+) host=(\d+)$", re.M)


@dataclass(frozen=True)
class FirmwareBuild:
    build_dir: Path
    output: str

    def elf(self, env_name: str) -> Path:
        return self.build_dir / env_name / "program.elf"


def _require_build_tools() -> None:
    for tool in ("qemu-system-arm", "arm-none-eabi-g++"):
        if shutil.which(tool) is None:
            pytest.skip(f"'{tool}' is not installed (apt-get install it to run this)")
    for needed in ("library.json", "platforms/unity-lite/library.json"):
        if not (REPO / needed).is_file():
            pytest.skip(f"'{needed}' is not in this checkout")


def _pio_test(base: Path, envs: tuple[str, ...], tflm_dir: Path) -> FirmwareBuild:
    from devtools.pio_offline import offline_env, provision_tool_scons

    core_dir = base / "pio-core"
    provision_tool_scons(core_dir)
    env = {
        **os.environ,
        **offline_env(core_dir),
        "PLATFORMIO_BUILD_DIR": str(base / "build"),
        "TINYML_TFLM_DIR": str(tflm_dir),
    }
    cmd = [sys.executable, "-m", "platformio", "test", "-d", str(PROJECT)]
    for name in envs:
        cmd += ["-e", name]
    proc = subprocess.run(
        cmd, env=env, capture_output=True, text=True, timeout=1500, check=False
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    return FirmwareBuild(build_dir=base / "build", output=output)


def _insncount_plugin() -> Path:
    try:
        return build_insncount_plugin(default_cache_dir() / "qemu-plugin")
    except TinyMLError as exc:
        pytest.skip(f"insncount plugin unavailable: {exc}")


def _per_inference(run: InsnCount) -> float:
    return sum(run.regions) / len(run.regions)


# --- AOT runtime: no TFLM anywhere ---------------------------------------------------


@pytest.fixture(scope="module")
def aot_firmware(tmp_path_factory: pytest.TempPathFactory) -> FirmwareBuild:
    _require_build_tools()
    base = tmp_path_factory.mktemp("firmware_aot")
    no_tflm = base / "no-tflm"  # an empty dir: any attempt to use TFLM would fail
    no_tflm.mkdir()
    return _pio_test(base, AOT_ENVS, no_tflm)


def test_aot_pio_test_passes_without_tflm(aot_firmware: FirmwareBuild) -> None:
    for name in (
        "test_begin_allocates_with_generated_arena",
        "test_arena_used_fits_and_matches_host",
        "test_outputs_match_host_goldens",
    ):
        assert len(re.findall(rf"{name}\s+\[PASSED\]", aot_firmware.output)) == 2, name
    assert "FAILED" not in aot_firmware.output
    for name in AOT_ENVS:
        tinyml_dir = aot_firmware.build_dir / name / "tinyml"
        stamp = json.loads((tinyml_dir / "stamps" / "generate.json").read_text())
        assert stamp["summary"]["runtime"] == "aot"
        assert stamp["tflm_sources"] == []
        assert not (tinyml_dir / "tflm").exists()  # no TFLM source was compiled


def test_aot_dsp_path_runs_on_the_m7(aot_firmware: FirmwareBuild) -> None:
    """The DSP build and the portable build agree on every output, not on counts."""
    plugin = _insncount_plugin()
    dsp, portable = (
        count_instructions(aot_firmware.elf(name), plugin=plugin, timeout=300)
        for name in AOT_ENVS
    )
    out_dsp = _OUTPUT_RE.findall(dsp.stdout)
    assert out_dsp, dsp.stdout[-2000:]
    assert out_dsp == _OUTPUT_RE.findall(portable.stdout)
    assert len(dsp.regions) == len(portable.regions) == len(out_dsp)
    per_dsp, per_portable = _per_inference(dsp), _per_inference(portable)
    print(
        f"AOT instructions per inference: DSP {per_dsp:.0f}, portable "
        f"{per_portable:.0f} ({per_portable / per_dsp:.2f}x)"
    )
    assert per_dsp != per_portable


# --- TFLM runtime: needs a checkout --------------------------------------------------


def _require_tools() -> Path:
    _require_build_tools()
    try:
        tree = locate_tflm(None)
    except TinyMLError as exc:
        pytest.skip(f"tflite-micro sources unusable: {exc}")
    if tree is None:
        pytest.skip(
            "no tflite-micro checkout at $TINYML_TFLM_DIR or "
            "~/.cache/tinyml-deps/tflite-micro"
        )
    return tree.root


@pytest.fixture(scope="module")
def firmware(tmp_path_factory: pytest.TempPathFactory) -> FirmwareBuild:
    tflm_root = _require_tools()
    return _pio_test(tmp_path_factory.mktemp("firmware_tflm"), ENVS, tflm_root)


@pytest.mark.tflm_sources
def test_pio_test_passes_in_both_kernel_builds(firmware: FirmwareBuild) -> None:
    for name in (
        "test_begin_allocates_with_generated_arena",
        "test_arena_used_fits_and_matches_host",
        "test_outputs_match_host_goldens",
    ):
        assert len(re.findall(rf"{name}\s+\[PASSED\]", firmware.output)) == 2, name
    assert "FAILED" not in firmware.output


@pytest.fixture(scope="module")
def counts(
    firmware: FirmwareBuild, tmp_path_factory: pytest.TempPathFactory
) -> dict[str, InsnCount]:
    plugin = _insncount_plugin()
    return {
        name: count_instructions(firmware.elf(name), plugin=plugin, timeout=300)
        for name in ENVS
    }


@pytest.mark.tflm_sources
def test_cmsis_nn_outputs_identical_and_fewer_instructions(
    counts: dict[str, InsnCount],
) -> None:
    cmsis, ref = counts["qemu_cmsis"], counts["qemu_ref"]
    out_cmsis = _OUTPUT_RE.findall(cmsis.stdout)
    assert out_cmsis, cmsis.stdout[-2000:]
    assert out_cmsis == _OUTPUT_RE.findall(ref.stdout)
    assert len(cmsis.regions) == len(ref.regions) == len(out_cmsis)
    per_inference_ref = sum(ref.regions) / len(ref.regions)
    per_inference_cmsis = sum(cmsis.regions) / len(cmsis.regions)
    speedup = per_inference_ref / per_inference_cmsis
    print(
        f"instructions per inference: reference {per_inference_ref:.0f}, "
        f"cmsis_nn {per_inference_cmsis:.0f} ({speedup:.2f}x)"
    )
    assert speedup >= MIN_SPEEDUP_DENSE


@pytest.mark.tflm_sources
def test_counts_are_deterministic(
    firmware: FirmwareBuild, counts: dict[str, InsnCount]
) -> None:
    plugin = build_insncount_plugin(default_cache_dir() / "qemu-plugin")
    again = count_instructions(
        firmware.elf("qemu_cmsis"), plugin=plugin, extra_args=["-icount", "shift=0"]
    )
    assert again.regions == counts["qemu_cmsis"].regions


@pytest.mark.tflm_sources
def test_arena_reported_within_generated_size(counts: dict[str, InsnCount]) -> None:
    for name, run in counts.items():
        match = _ARENA_RE.search(run.stdout)
        assert match, (name, run.stdout[-2000:])
        used, generated, host = (int(g) for g in match.groups())
        print(f"{name}: arena used {used}, generated {generated}, host {host}")
        assert used <= generated
        assert host - 4096 <= used <= host + 256
