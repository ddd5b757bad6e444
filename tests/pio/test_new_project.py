# SPDX-License-Identifier: Apache-2.0
"""A new project as the README shows it: ``lib_deps = tinyml`` and its ``main.cpp``.

By default the model is compiled to C and the project builds with no TFLM at all.
With ``custom_tinyml_runtime = tflm``, no TFLM checkout and no network access, the
build must stop before compiling, with one line that names the fix, never with a C++
error. The project is built for the offline QEMU platform (the README's board needs
the registry).
"""

from __future__ import annotations

import re
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.pio]


def _readme_main_cpp() -> str:
    text = (REPO / "README.md").read_text(encoding="utf-8")
    section = text.split("## In a PlatformIO project", 1)[1]
    match = re.search(r"```cpp\n(.*?)```", section, re.S)
    assert match, "README: no main.cpp under 'In a PlatformIO project'"
    return match.group(1)


def _new_project(root: Path, *options: str) -> Path:
    (root / "src").mkdir(parents=True)
    (root / "src" / "main.cpp").write_text(_readme_main_cpp())
    (root / "platformio.ini").write_text(
        "[env:qemu]\n"
        f"platform = symlink://{REPO}/platforms/qemu_mps2_an500\n"
        "board = mps2_an500\n"
        f"lib_deps = tinyml=symlink://{REPO}\n"
        "custom_tinyml_model = mnist_dense\n"
        "custom_tinyml_verify_samples = 100\n" + "".join(f"{o}\n" for o in options)
    )
    return root


def _run_offline_without_tflm(
    piotools: ModuleType, pio_env: dict[str, str], project: Path, tmp_path: Path
) -> Any:
    """``pio run`` with no TFLM checkout to find and no download possible."""
    home = tmp_path / "home"  # no ~/.cache/tinyml-deps/tflite-micro here
    home.mkdir()
    return piotools.run_pio(
        pio_env,
        project,
        "run",
        extra_env={
            "HOME": str(home),
            "TINYML_TFLM_DIR": "",
            # Blocks the download: the pinned repositories are looked up here.
            "TINYML_TFLM_SOURCE_BASE": f"file://{tmp_path / 'offline'}",
        },
    )


def test_by_default_a_new_project_builds_without_tflm(
    piotools: ModuleType, pio_env: dict[str, str], tmp_path: Path
) -> None:
    project = _new_project(tmp_path / "new")
    run = _run_offline_without_tflm(piotools, pio_env, project, tmp_path)
    assert run.returncode == 0, run.output[-3000:]
    assert "runtime: aot" in run.output
    assert "TFLM: " not in run.output
    assert (project / ".pio" / "build" / "qemu" / "program.elf").is_file()


def _error_lines(output: str) -> list[str]:
    return [line for line in output.splitlines() if "error" in line.lower()]


def test_tflm_without_a_checkout_and_offline_stops_with_one_line(
    piotools: ModuleType, pio_env: dict[str, str], tmp_path: Path
) -> None:
    project = _new_project(tmp_path / "new", "custom_tinyml_runtime = tflm")
    run = _run_offline_without_tflm(piotools, pio_env, project, tmp_path)
    assert run.returncode != 0
    errors = _error_lines(run.output)
    assert len(errors) == 1, run.output[-3000:]
    assert errors[0].startswith("[tinyml] error: no tflite-micro checkout found")
    assert "set TINYML_TFLM_DIR" in errors[0]
    assert "does not name a type" not in run.output
    assert not list((project / ".pio" / "build").rglob("*.o"))  # nothing compiled


def test_an_empty_tflm_dir_stops_with_one_line_naming_it(
    piotools: ModuleType, pio_env: dict[str, str], tmp_path: Path
) -> None:
    project = _new_project(tmp_path / "new", "custom_tinyml_runtime = tflm")
    empty = tmp_path / "empty-tflm"
    empty.mkdir()
    run = piotools.run_pio(
        pio_env, project, "run", extra_env={"TINYML_TFLM_DIR": str(empty)}
    )
    assert run.returncode != 0
    errors = _error_lines(run.output)
    assert len(errors) == 1, run.output[-3000:]
    assert errors[0].startswith(f"[tinyml] error: tflite-micro directory '{empty}'")
    assert "third_party_downloads" in errors[0]  # what to run there
    assert "does not name a type" not in run.output
    assert not list((project / ".pio" / "build").rglob("*.o"))
