# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.pio.float_abi: one float ABI per firmware."""

from __future__ import annotations

from pathlib import Path
from types import ModuleType

import pytest

from platformio_tinyml.boards import BOARDS, fpu_for_mcu
from platformio_tinyml.errors import ConfigError
from platformio_tinyml.pio.float_abi import FLAG_SCOPES, decide_float_abi

# What the stm32cube builder puts in the global environment: no float flags.
STM32CUBE_FLAGS = {
    f"{scope} of the build flags": ["-mthumb", "-mcpu=cortex-m7"]
    for scope in FLAG_SCOPES
}
MCU_FPU_EXPECTED = {
    "stm32f746ngh6": "fpv5-sp-d16",  # STM32F746: single-precision FPv5
    "stm32f767zit6": "fpv5-d16",  # F76x/F77x: double precision
    "stm32h747xih6": "fpv5-d16",
    "mimxrt1062dvl6a": "fpv5-d16",
    "stm32f407vgt6": "fpv4-sp-d16",  # Cortex-M4F
    "stm32l476rgt6": "fpv4-sp-d16",
    "stm32f103c8t6": "none",  # Cortex-M3
    "stm32g071rbt6": "none",  # Cortex-M0+
    "nrf52840": None,  # not in the table: unknown
}


@pytest.mark.parametrize(("mcu", "expected"), sorted(MCU_FPU_EXPECTED.items()))
def test_fpu_for_mcu(mcu: str, expected: str | None) -> None:
    assert fpu_for_mcu(mcu) == expected
    assert fpu_for_mcu(mcu.upper()) == expected


def test_known_boards_agree_with_their_specs() -> None:
    for spec in BOARDS.values():
        if spec.board_id == "mps2_an500":
            continue  # QEMU's board: its platform sets the flags itself
        assert fpu_for_mcu(spec.mcu) == spec.fpu, spec.board_id


def test_f746_gets_single_precision_hard_float_everywhere() -> None:
    decision = decide_float_abi("disco_f746ng", "stm32f746ngh6", STM32CUBE_FLAGS)
    assert decision.abi is not None
    assert decision.abi.flags == ("-mfloat-abi=hard", "-mfpu=fpv5-sp-d16")
    for flags in STM32CUBE_FLAGS.values():
        assert decision.missing(flags) == decision.abi.flags
    assert decision.missing(
        [*STM32CUBE_FLAGS["CCFLAGS of the build flags"], "-mfpu=fpv5-sp-d16"]
    ) == ("-mfloat-abi=hard",)
    assert decision.notes == ()


def test_h747_gets_double_precision() -> None:
    decision = decide_float_abi("disco_h747xi", "stm32h747xih6", STM32CUBE_FLAGS)
    assert decision.abi is not None
    assert decision.abi.flags == ("-mfloat-abi=hard", "-mfpu=fpv5-d16")


def test_core_without_fpu_gets_soft_float() -> None:
    decision = decide_float_abi("bluepill_f103c8", "stm32f103c8t6", {})
    assert decision.abi is not None
    assert decision.abi.flags == ("-mfloat-abi=soft",)


def test_user_float_abi_in_build_flags_is_respected() -> None:
    scopes = {
        **STM32CUBE_FLAGS,
        "CCFLAGS of the build flags": ["-mcpu=cortex-m7", "-mfloat-abi=softfp"],
    }
    decision = decide_float_abi("disco_f746ng", "stm32f746ngh6", scopes)
    assert decision.abi is not None
    # The ABI is the user's; the FPU the board's, since none was given.
    assert decision.abi.flags == ("-mfloat-abi=softfp", "-mfpu=fpv5-sp-d16")
    assert decision.missing(scopes["LINKFLAGS of the build flags"]) == (
        "-mfloat-abi=softfp",
        "-mfpu=fpv5-sp-d16",
    )


def test_user_fpu_that_differs_from_the_board_is_kept_with_a_note() -> None:
    scopes = {"CCFLAGS of the build flags": ["-mfloat-abi=hard", "-mfpu=fpv5-d16"]}
    decision = decide_float_abi("disco_f746ng", "stm32f746ngh6", scopes)
    assert decision.abi is not None
    assert decision.abi.fpu == "fpv5-d16"
    assert len(decision.notes) == 1 and "fpv5-sp-d16" in decision.notes[0]


def test_parts_that_disagree_stop_with_one_line_naming_the_flags() -> None:
    scopes = {
        "CCFLAGS of the build flags": ["-mfloat-abi=hard"],
        "CCFLAGS of library 'dsp'": ["-mfloat-abi=soft"],
    }
    with pytest.raises(ConfigError) as info:
        decide_float_abi("disco_f746ng", "stm32f746ngh6", scopes)
    message = str(info.value)
    assert "\n" not in message
    assert "-mfloat-abi=hard" in message and "-mfloat-abi=soft" in message
    assert "library 'dsp'" in message
    assert "build_flags = -mfloat-abi=hard -mfpu=fpv5-sp-d16" in message


def test_two_fpus_disagree() -> None:
    scopes = {
        "CCFLAGS of the build flags": ["-mfpu=fpv5-d16"],
        "ASFLAGS of the build flags": ["-mfpu=fpv5-sp-d16"],
    }
    with pytest.raises(ConfigError, match="-mfpu=fpv5-d16 .*-mfpu=fpv5-sp-d16"):
        decide_float_abi("disco_h747xi", "stm32h747xih6", scopes)


def test_unknown_board_keeps_the_platform_flags_with_a_note() -> None:
    decision = decide_float_abi("nrf52840_dk", "nrf52840", STM32CUBE_FLAGS)
    assert decision.abi is None
    assert decision.missing(["-mcpu=cortex-m4"]) == ()
    assert len(decision.notes) == 1
    assert "nrf52840_dk" in decision.notes[0] and "unchanged" in decision.notes[0]


def test_host_build_has_nothing_to_decide() -> None:
    decision = decide_float_abi(None, "", {})
    assert decision.abi is None and decision.notes == ()


@pytest.mark.pio
def test_a_build_whose_parts_disagree_stops_before_compiling(
    piotools: ModuleType, pio_env: dict[str, str], tmp_path: Path
) -> None:
    """The QEMU platform builds hard-float; a soft-float build flag cannot join it."""
    repo = Path(__file__).resolve().parents[2]
    project = tmp_path / "abi"
    (project / "src").mkdir(parents=True)
    (project / "src" / "main.cpp").write_text("int main() { return 0; }\n")
    (project / "platformio.ini").write_text(
        "[env:qemu]\n"
        f"platform = symlink://{repo}/platforms/qemu_mps2_an500\n"
        "board = mps2_an500\n"
        f"lib_deps = tinyml=symlink://{repo}\n"
        "build_flags = -mfloat-abi=soft\n"
        "custom_tinyml_tflm = off\n"
        "custom_tinyml_epochs = 1\n"
    )
    run = piotools.run_pio(pio_env, project, "run")
    assert run.returncode != 0
    errors = [line for line in run.output.splitlines() if "error" in line.lower()]
    assert len(errors) == 1, run.output[-3000:]
    assert errors[0].startswith("[tinyml] error: the firmware would be built with")
    assert "-mfloat-abi=hard" in errors[0] and "-mfloat-abi=soft" in errors[0]
    assert "set one float ABI for all of them in build_flags" in errors[0]
    assert not list((project / ".pio" / "build").rglob("*.o"))  # nothing compiled
