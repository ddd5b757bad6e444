# SPDX-License-Identifier: Apache-2.0
"""Tests for ``python -m devtools``: the developer commands left out of ``tinyml``."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

from devtools.__main__ import main
from platformio_tinyml.cli import main as tinyml_main

REPO = Path(__file__).resolve().parents[2]


@pytest.mark.pio
def test_pio_offline_provides_tool_scons(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("platformio", reason="needs the [pio] extra")
    core = tmp_path / "core"
    assert main(["pio-offline", "--core-dir", str(core)]) == 0
    out = capsys.readouterr().out
    assert (core / "packages" / "tool-scons" / ".piopm").is_file()
    assert f"export PLATFORMIO_CORE_DIR={core}" in out
    assert "export PLATFORMIO_DISABLE_UPGRADE_CHECK=true" in out


def test_framebuffer_error_is_one_line_with_exit_2(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    dump = tmp_path / "fb.bin"
    dump.write_bytes(b"not a dump")
    out = tmp_path / "fb.png"
    assert main(["framebuffer", str(dump), "--out", str(out)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("error: ") and err.count("\n") == 1
    assert str(dump) in err or "fb.bin" in err
    assert not out.exists()


def test_runs_as_a_module_from_the_checkout() -> None:
    proc = subprocess.run(
        [sys.executable, "-m", "devtools", "--help"],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    assert "pio-offline" in proc.stdout and "framebuffer" in proc.stdout


@pytest.mark.parametrize("command", ["pio-offline", "framebuffer"])
def test_tinyml_no_longer_has_the_developer_commands(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exc:
        tinyml_main([command])
    assert exc.value.code == 2
    assert "invalid choice" in capsys.readouterr().err


def test_devtools_is_not_packaged() -> None:
    """The wheel's package discovery (pyproject) finds the package, never devtools."""
    tomllib = pytest.importorskip("tomllib", reason="needs Python 3.11+")
    from setuptools import find_namespace_packages, find_packages

    config = tomllib.loads((REPO / "pyproject.toml").read_text())
    find = config["tool"]["setuptools"]["packages"]["find"]
    for finder in (find_packages, find_namespace_packages):
        found = finder(where=str(REPO / find["where"][0]), include=find["include"])
        assert "platformio_tinyml.pio" in found
        assert not [p for p in found if p.split(".")[0] != "platformio_tinyml"]
