# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.boards: limits agree with the board manifests we own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from platformio_tinyml.boards import (
    BOARDS,
    RUNTIME_FLASH_ESTIMATE,
    RUNTIME_RAM_ESTIMATE,
    BoardLimits,
    board_limits,
    board_spec,
    estimate_budget,
    limits_from_manifest,
)
from platformio_tinyml.errors import ConfigError

REPO = Path(__file__).resolve().parents[1]


def test_cli_and_build_read_the_same_manifest(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """The CLI finds the manifest itself; the build gets it flat from PlatformIO."""
    monkeypatch.setenv("PLATFORMIO_CORE_DIR", str(tmp_path / "core"))
    manifest = json.loads(
        (REPO / "platforms/qemu_mps2_an500/boards/mps2_an500.json").read_text()
    )
    flat = {f"upload.{k}": v for k, v in manifest["upload"].items()}
    build = board_limits("mps2_an500", flat, {})
    assert limits_from_manifest("mps2_an500") == build
    assert build is not None
    assert build.flash_bytes == manifest["upload"]["maximum_size"] > 0
    assert build.ram_bytes == manifest["upload"]["maximum_ram_size"] > 0


def test_installed_platform_manifests_are_found(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    boards = tmp_path / "core/platforms/ststm32/boards"
    boards.mkdir(parents=True)
    (boards / "disco_f746ng.json").write_text(
        json.dumps({"upload": {"maximum_size": 1048576, "maximum_ram_size": 327680}})
    )
    monkeypatch.setenv("PLATFORMIO_CORE_DIR", str(tmp_path / "core"))
    limits = limits_from_manifest("disco_f746ng")
    assert limits == BoardLimits("disco_f746ng", 1048576, 327680)
    budget = estimate_budget(limits, 100_000, 40_000)
    assert budget.flash_used == 100_000 + RUNTIME_FLASH_ESTIMATE
    assert budget.ram_used == 40_000 + RUNTIME_RAM_ESTIMATE
    external = estimate_budget(limits, 100_000, 40_000, model_in_flash=False)
    assert external.flash_used == RUNTIME_FLASH_ESTIMATE
    assert external.notes == ("model placed in external memory",)


def test_missing_manifest_names_the_fix(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("PLATFORMIO_CORE_DIR", str(tmp_path / "core"))
    with pytest.raises(
        ConfigError, match="board 'disco_f999zz' has no PlatformIO.*pio pkg install"
    ):
        limits_from_manifest("disco_f999zz")


TEST_MANIFEST = {"upload.maximum_size": 1048576, "upload.maximum_ram_size": 327680}


def test_board_limits_from_manifest() -> None:
    assert board_limits("disco_f746ng", TEST_MANIFEST, {}) == BoardLimits(
        "disco_f746ng", 1048576, 327680
    )


def test_board_limits_project_overrides() -> None:
    options = {
        "board_upload.maximum_size": "0x200000",
        "board_upload.maximum_ram_size": "",
    }
    limits = board_limits("disco_f746ng", TEST_MANIFEST, options)
    assert limits == BoardLimits("disco_f746ng", 2 * 1048576, 327680)


def test_board_limits_bad_override() -> None:
    with pytest.raises(ConfigError, match="board_upload.maximum_size '1MB'"):
        board_limits("b", TEST_MANIFEST, {"board_upload.maximum_size": "1MB"})


def test_board_limits_boardless() -> None:
    assert board_limits(None, {}, {}) is None


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
