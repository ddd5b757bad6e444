# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.pio.framework_bsp: BSP files left out per board."""

from __future__ import annotations

from platformio_tinyml.pio.framework_bsp import bsp_selection


def test_h747_stm32cube_leaves_out_camera_and_audio() -> None:
    selection = bsp_selection("disco_h747xi", ("stm32cube",))
    assert selection is not None
    assert selection.src_filter.split() == [
        "+<*>",
        "-<stm32h747i_discovery_camera.c>",
        "-<stm32h747i_discovery_audio.c>",
    ]


def test_other_boards_and_frameworks_build_the_whole_bsp() -> None:
    assert bsp_selection("disco_h747xi", ("zephyr",)) is None
    assert bsp_selection("disco_f746ng", ("stm32cube",)) is None
    assert bsp_selection(None, ("stm32cube",)) is None
