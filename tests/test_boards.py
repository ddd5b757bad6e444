# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.boards: limits agree with the board manifests we own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from platformio_tinyml.boards import BOARDS, board_spec
from platformio_tinyml.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_emulated_board_matches_its_platform_manifest() -> None:
    manifest = json.loads(
        (REPO / "platforms/qemu_mps2_an500/boards/mps2_an500.json").read_text()
    )
    spec = board_spec("mps2_an500")
    assert spec.flash_bytes == manifest["upload"]["maximum_size"]
    assert spec.ram_bytes == manifest["upload"]["maximum_ram_size"]


def test_f746_has_a_single_precision_fpu() -> None:
    assert BOARDS["disco_f746ng"].fpu == "fpv5-sp-d16"
    assert BOARDS["disco_h747xi"].fpu == "fpv5-d16"


def test_examples_name_known_boards() -> None:
    for ini in sorted((REPO / "examples").glob("*/platformio.ini")):
        board_id = ini.parent.name.split("_", 1)[1]
        assert board_id in BOARDS, ini


def test_unknown_board() -> None:
    with pytest.raises(ConfigError, match="unknown board 'uno'; known boards: "):
        board_spec("uno")
