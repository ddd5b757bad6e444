# SPDX-License-Identifier: Apache-2.0
"""Fixtures for codegen tests: golden files, compilers, the tiny test models.

Golden files live in ``tests/golden/``. They are only rewritten with
``pytest --update-golden`` (or ``TINYML_UPDATE_GOLDEN=1``); a normal
run fails on any difference and shows it.
"""

from __future__ import annotations

import os
import shutil
import subprocess
from collections.abc import Callable, Sequence
from pathlib import Path

import pytest

TESTS = Path(__file__).resolve().parents[1]
REPO = TESTS.parent
GOLDEN_DIR = TESTS / "golden"
DATA_DIR = TESTS / "data"
INCLUDE_DIR = REPO / "include"


def _update_golden(config: pytest.Config) -> bool:
    try:
        flag = bool(config.getoption("--update-golden"))
    except ValueError:  # option not registered (conftest not loaded at startup)
        flag = False
    return flag or os.environ.get("TINYML_UPDATE_GOLDEN") == "1"


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, bytes], None]:
    """Compare bytes with ``tests/golden/<name>``; --update-golden rewrites it."""
    update = _update_golden(request.config)

    def check(name: str, content: bytes) -> None:
        path = GOLDEN_DIR / name
        if update:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_bytes(content)
            return
        if not path.is_file():
            pytest.fail(
                f"golden file {path} is missing; create it with --update-golden"
            )
        expected = path.read_bytes()
        if content != expected:
            import difflib

            diff = "\n".join(
                difflib.unified_diff(
                    expected.decode(errors="replace").splitlines(),
                    content.decode(errors="replace").splitlines(),
                    "golden",
                    "generated",
                    lineterm="",
                    n=1,
                )
            )
            pytest.fail(f"{name} differs from the golden file:\n{diff[:4000]}")

    return check


@pytest.fixture(scope="session")
def tiny_int8() -> bytes:
    return (DATA_DIR / "tiny_cnn_int8.tflite").read_bytes()


@pytest.fixture(scope="session")
def tiny_float() -> bytes:
    return (DATA_DIR / "tiny_dense_float.tflite").read_bytes()


class Tools:
    """Run compilers and binutils; fail the test with their output on error."""

    def run(self, cmd: Sequence[str | Path], cwd: Path | None = None) -> str:
        proc = subprocess.run(
            [str(c) for c in cmd], cwd=cwd, capture_output=True, text=True, timeout=300
        )
        if proc.returncode != 0:
            pytest.fail(
                f"{' '.join(str(c) for c in cmd)} failed ({proc.returncode}):\n"
                f"{proc.stdout}\n{proc.stderr}"
            )
        return proc.stdout

    def arm(self, name: str) -> str:
        tool = shutil.which(f"arm-none-eabi-{name}")
        if tool is None:
            pytest.skip(
                f"arm-none-eabi-{name} is not installed (binutils-arm-none-eabi)"
            )
        return tool

    def section_alignment(
        self, obj: Path, section: str, objdump: str = "objdump"
    ) -> int:
        """The alignment of ``section`` in an object file, from ``objdump -h``."""
        out = self.run([objdump, "-h", obj])
        for line in out.splitlines():
            parts = line.split()
            if len(parts) >= 7 and parts[1] == section:
                return int(2 ** int(parts[6].split("**")[1]))
        raise AssertionError(f"section {section} not found in:\n{out}")


@pytest.fixture(scope="session")
def tools() -> Tools:
    return Tools()


@pytest.fixture(scope="session")
def host_cxx() -> str:
    cxx = shutil.which("g++") or shutil.which("c++")
    if cxx is None:
        pytest.skip("no host C++ compiler (g++/c++) on PATH")
    return cxx


@pytest.fixture(scope="session")
def arm_cxx() -> str:
    cxx = shutil.which("arm-none-eabi-g++")
    if cxx is None:
        pytest.skip("arm-none-eabi-g++ is not installed (Debian: gcc-arm-none-eabi)")
    return cxx
