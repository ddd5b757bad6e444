# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.pio.scons: real offline `pio run` on a host project."""

from __future__ import annotations

import json
import re
import shutil
import subprocess
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest

from platformio_tinyml.images import unpack_1bpp

if TYPE_CHECKING:  # the fixtures' types; conftest is not importable by name
    from conftest import PioRun, SessionProject

pytestmark = [pytest.mark.pio, pytest.mark.compiler, pytest.mark.tensorflow]

GENERATING = "[tinyml] Generating model sources"
UP_TO_DATE = "[tinyml] Up to date"
CONVERTING = "[tinyml] converting to"


def gen_dir(project: Path, env: str = "host") -> Path:
    return project / ".pio" / "build" / env / "tinyml" / "generated-src"


def mtimes(folder: Path) -> dict[str, int]:
    return {p.name: p.stat().st_mtime_ns for p in sorted(folder.iterdir())}


def c_array_bytes(source: str, name: str) -> bytes:
    """The initializer bytes of ``name`` in a generated C++ source."""
    match = re.search(rf"{name}\[[^\]]*\]\s*=\s*\{{(.*?)\}};", source, re.S)
    assert match, f"{name} not found"
    return bytes(int(v, 0) for v in re.findall(r"0x[0-9a-fA-F]+|\d+", match.group(1)))


def assert_ok(run: PioRun) -> None:
    assert run.returncode == 0, run.output[-4000:]


# --- (h) first build: two environments of one project at once --------------------


def test_concurrent_envs_share_the_cache(session_project: SessionProject) -> None:
    runs = session_project.first_runs
    outputs = [r.output for r in runs.values()]
    # Both envs generate their own sources, but the model is converted once:
    # the second build waited on the cache lock and reused the first one's result.
    assert all(GENERATING in out for out in outputs)
    assert sum(out.count(CONVERTING) for out in outputs) == 1
    cache = session_project.path / ".pio" / "tinyml" / "cache"
    assert not list(cache.rglob(".tmp-tinyml-*"))
    same = [gen_dir(session_project.path, e) / "digits_model_data.cpp" for e in runs]
    assert same[0].read_bytes() == same[1].read_bytes()


# --- (b) the generated header reaches the project's src/ ------------------------


def test_program_prints_model_and_first_image(session_project: SessionProject) -> None:
    project = session_project.path
    run = session_project.run("run", "-e", "host", "-t", "exec")
    assert_ok(run)
    size = int(re.search(r"TINYML model_bytes=(\d+)", run.stdout).group(1))
    stamp = json.loads(
        (project / ".pio/build/host/tinyml/stamps/generate.json").read_text()
    )
    assert size == stamp["summary"]["model_bytes"]
    tflite = next((project / ".pio" / "tinyml" / "cache").rglob("*.tflite"))
    assert size == tflite.stat().st_size

    # Decode the same packed bytes on the Python side and compare the picture.
    source = (gen_dir(project) / "test_image_data.cpp").read_text()
    data = c_array_bytes(source, "kImageData")
    pixels = unpack_1bpp(data, width=28, height=28, count=len(data) // 112)
    expected = ["".join("#" if v else "." for v in row) for row in pixels[0, :, :, 0]]
    art = [line for line in run.stdout.splitlines() if re.fullmatch(r"[#.]{28}", line)]
    assert art == expected
    assert 0 < int(np.count_nonzero(pixels[0])) < 28 * 28  # a real digit, not blank


def test_build_does_not_touch_user_files(
    piotools: Any, session_project: SessionProject
) -> None:
    assert piotools.tree_hashes(session_project.path) == session_project.user_hashes
    assert not list((session_project.path / "src").glob("*_model*"))


# --- (c) a second build is a no-op -------------------------------------------------


def test_second_build_is_noop(session_project: SessionProject) -> None:
    project = session_project.path
    assert_ok(session_project.run("run", "-e", "host"))
    before = mtimes(gen_dir(project))
    run = session_project.run("run", "-e", "host")
    assert_ok(run)
    assert GENERATING not in run.output
    assert UP_TO_DATE in run.output
    assert "TINYML-TEST tensorflow-imported=False" in run.stdout
    assert mtimes(gen_dir(project)) == before


def test_ide_metadata_stage_never_generates(session_project: SessionProject) -> None:
    # PlatformIO wipes $BUILD_DIR when platformio.ini changes, so make the env stale
    # by removing one generated file instead.
    project = session_project.path
    settings = gen_dir(project) / "digits_model_settings.h"
    settings.unlink()
    run = session_project.run("run", "-e", "host", "-t", "__idedata")
    assert_ok(run)
    assert GENERATING not in run.output
    assert not settings.exists()
    data = json.loads((project / ".pio/build/host/idedata.json").read_text())
    assert str(gen_dir(project)) in data["includes"]["build"]  # projenv sees it
    rebuild = session_project.run("run", "-e", "host")
    assert_ok(rebuild)
    assert "(output missing: digits_model_settings.h)" in rebuild.output
    assert settings.exists()


# --- (d) changing an option regenerates exactly once -------------------------------


def test_option_change_regenerates_once(
    piotools: Any, session_project: SessionProject
) -> None:
    project = session_project.path
    ini = project / "platformio.ini"
    original = ini.read_text()
    ini.write_text(piotools.set_ini_option(original, "custom_tinyml_images", "3"))
    try:
        first = session_project.run("run", "-e", "host", "-t", "exec")
        second = session_project.run("run", "-e", "host")
    finally:
        ini.write_text(original)
    assert_ok(first)
    assert_ok(second)
    assert first.output.count(GENERATING) == 1
    assert CONVERTING not in first.output  # images changed, the model did not
    assert "TINYML images=3" in first.stdout
    assert GENERATING not in second.output
    back = session_project.run("run", "-e", "host")
    assert_ok(back)
    assert GENERATING in back.output


# --- (e) clean keeps the model cache -----------------------------------------------


def test_clean_then_build_does_not_retrain(session_project: SessionProject) -> None:
    project = session_project.path
    cache = project / ".pio" / "tinyml" / "cache"
    cached = {p: p.stat().st_mtime_ns for p in cache.rglob("*") if p.is_file()}
    assert_ok(session_project.run("run", "-e", "host", "-t", "clean"))
    assert not gen_dir(project).exists()
    run = session_project.run("run", "-e", "host")
    assert_ok(run)
    assert GENERATING in run.output
    assert CONVERTING not in run.output
    for path, mtime in cached.items():
        if path.suffix != ".lock":
            assert path.stat().st_mtime_ns == mtime, path


# --- (f) unknown option ------------------------------------------------------------


def test_unknown_option_fails_before_generation(
    piotools: Any, pio_env: dict[str, str], tmp_path: Path
) -> None:
    project = piotools.make_project(tmp_path / "typo", custom_tinyml_imagez="3")
    hashes = piotools.tree_hashes(project)
    run = piotools.run_pio(pio_env, project, "run", "-e", "host")
    assert run.returncode != 0
    assert (
        "[tinyml] error: unknown option 'custom_tinyml_imagez' in [env:host] of "
        "platformio.ini; did you mean 'custom_tinyml_images'?" in run.stderr
    )
    assert "Traceback" not in run.output
    assert not gen_dir(project).exists()
    assert piotools.tree_hashes(project) == hashes  # (g) also for a failing build
    assert sorted(p.name for p in (project / "src").iterdir()) == ["main.cpp"]


def test_traceback_only_with_tinyml_debug(
    piotools: Any, pio_env: dict[str, str], tmp_path: Path
) -> None:
    project = piotools.make_project(tmp_path / "typo", custom_tinyml_epochs="zero")
    run = piotools.run_pio(
        pio_env, project, "run", "-e", "host", extra_env={"TINYML_DEBUG": "1"}
    )
    assert run.returncode != 0
    assert (
        "[tinyml] error: custom_tinyml_epochs 'zero' is not a whole number"
        in run.stderr
    )
    assert "Traceback" in run.stderr


# --- overhead of the no-op path (timing, slow) -------------------------------------


@pytest.mark.slow
def test_noop_overhead_vs_plain_project(
    piotools: Any,
    session_project: SessionProject,
    pio_env: dict[str, str],
    tmp_path: Path,
) -> None:
    plain = tmp_path / "plain"
    (plain / "src").mkdir(parents=True)
    repo = Path(__file__).resolve().parents[2]
    (plain / "platformio.ini").write_text(
        f"[env:host]\nplatform = symlink://{repo}/platforms/hostgcc\n"
    )
    (plain / "src" / "main.cpp").write_text("int main() { return 0; }\n")
    assert_ok(piotools.run_pio(pio_env, plain, "run"))
    assert_ok(session_project.run("run", "-e", "host"))

    def best(project: Path) -> float:
        return min(
            piotools.run_pio(pio_env, project, "run", "-e", "host").seconds
            for _ in range(3)
        )

    with_tinyml, without = best(session_project.path), best(plain)
    print(f"no-op pio run: {with_tinyml:.2f} s with tinyml, {without:.2f} s without")
    # The library also adds its own runtime sources to scan; the extra script itself
    # should add at most ~0.15 s. Allow noise on a shared machine.
    assert with_tinyml - without < 1.0


def test_hostgcc_exec_target_runs_plain_program(
    piotools: Any, pio_env: dict[str, str], tmp_path: Path
) -> None:
    plain = tmp_path / "plain"
    (plain / "src").mkdir(parents=True)
    repo = Path(__file__).resolve().parents[2]
    (plain / "platformio.ini").write_text(
        f"[env:host]\nplatform = symlink://{repo}/platforms/hostgcc\n"
    )
    (plain / "src" / "main.cpp").write_text(
        '#include <cstdio>\nint main() { std::puts("hello from hostgcc"); return 0; }\n'
    )
    run = piotools.run_pio(pio_env, plain, "run", "-t", "exec")
    assert_ok(run)
    assert "hello from hostgcc" in run.stdout
    assert shutil.which("g++")
    assert subprocess.run([str(plain / ".pio/build/host/program")]).returncode == 0


# --- the tinyml-report target --------------------------------------------------------


def test_report_target_writes_html(session_project: SessionProject) -> None:
    pytest.importorskip("matplotlib", reason="the report needs the [report] extra")
    from PIL import Image

    run = session_project.run("run", "-e", "host", "-t", "tinyml-report")
    assert_ok(run)
    assert "write([" not in run.stdout + run.stderr  # SCons' echo of the action
    report = session_project.path / ".pio" / "build" / "host" / "tinyml" / "report"
    html = (report / "report.html").read_text()
    for name in ("images.png", "confusion.png", "layers.png"):
        assert f'src="{name}"' in html
        with Image.open(report / name) as img:
            img.load()
            assert img.format == "PNG"
