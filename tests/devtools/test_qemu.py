# SPDX-License-Identifier: Apache-2.0
"""Tests for devtools.qemu: the insncount plugin and exact instruction counts."""

from __future__ import annotations

import importlib.util
import subprocess
from pathlib import Path
from types import ModuleType

import pytest

from devtools.qemu import (
    _parse_counts,
    build_insncount_plugin,
    count_instructions,
    marker_addresses,
    source_version,
)
from platformio_tinyml.errors import TinyMLError
from platformio_tinyml.fileio import default_cache_dir
from platformio_tinyml.qemu import QemuError


def _package_tests() -> ModuleType:
    """tests/test_qemu.py, for its firmware builder (marker functions + spin loop)."""
    path = Path(__file__).resolve().parents[1] / "test_qemu.py"
    spec = importlib.util.spec_from_file_location("tinyml_test_qemu", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_build_elf = _package_tests()._build_elf

PLUGIN_OUTPUT = """\
insncount: total=1234 regions=2 marks=3
insncount: region[0]=100
insncount: region[1]=101
insncount: mark[0]=5
insncount: mark[1]=7
insncount: mark[2]=9
"""


def test_source_version_drops_binnmu_suffix() -> None:
    assert source_version("1:7.2+dfsg-7+deb12u18+b3") == "1:7.2+dfsg-7+deb12u18"
    assert source_version("1:7.2+dfsg-7+deb12u18") == "1:7.2+dfsg-7+deb12u18"


def test_parse_counts_reads_plugin_lines() -> None:
    assert _parse_counts(PLUGIN_OUTPUT) == (1234, [100, 101], [5, 7, 9])
    assert _parse_counts("no counts here\n")[0] == -1


@pytest.mark.compiler
@pytest.mark.qemu
def test_marker_addresses_are_thumb_functions(tmp_path: Path) -> None:
    addrs = marker_addresses(_build_elf(tmp_path))
    assert set(addrs) == {"insn_region_start", "insn_region_stop", "insn_mark"}
    assert len(set(addrs.values())) == 3


@pytest.mark.compiler
@pytest.mark.qemu
def test_count_instructions_is_exact(tmp_path: Path) -> None:
    try:
        plugin = build_insncount_plugin(default_cache_dir() / "qemu-plugin")
    except TinyMLError as exc:
        pytest.skip(f"insncount plugin unavailable: {exc}")
    counts = count_instructions(_build_elf(tmp_path), plugin=plugin, timeout=30)
    assert counts.returncode == 42
    assert len(counts.regions) == 2
    # 2000 more iterations of a 2-instruction loop, same marker overhead.
    assert counts.regions[1] - counts.regions[0] == 4000
    assert len(counts.marks) == 2
    assert counts.total > counts.regions[1]
    again = count_instructions(
        _build_elf(tmp_path), plugin=plugin, extra_args=["-icount", "shift=0"]
    )
    assert again.regions == counts.regions


@pytest.mark.compiler
@pytest.mark.qemu
def test_count_instructions_needs_markers(tmp_path: Path) -> None:
    elf = _build_elf(tmp_path)
    stripped = tmp_path / "stripped.elf"
    subprocess.run(["arm-none-eabi-strip", "-o", str(stripped), str(elf)], check=True)
    with pytest.raises(QemuError, match="insn_region_start"):
        count_instructions(stripped, plugin=tmp_path / "unused.so")
