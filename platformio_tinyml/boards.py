# SPDX-License-Identifier: Apache-2.0
"""Facts about the boards the project targets: memory limits, core and FPU."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError

# Flash a TFLM application needs besides the model: TFLM core, the registered kernels
# (CMSIS-NN), newlib and the runtime. Measured on the emulated Cortex-M7 at 100-150 KB
# for small models (docs/benchmarks); used only until a real firmware size is known.
RUNTIME_FLASH_ESTIMATE = 160 * 1024
# RAM besides the arena: stacks, newlib, the interpreter object, serial buffers.
RUNTIME_RAM_ESTIMATE = 16 * 1024


@dataclass(frozen=True)
class BoardSpec:
    """One board: PlatformIO id, MCU, and the limits its board JSON declares."""

    board_id: str
    name: str
    mcu: str
    cpu: str
    fpu: str  # GCC -mfpu value
    flash_bytes: int
    ram_bytes: int
    frameworks: tuple[str, ...]


BOARDS: dict[str, BoardSpec] = {
    spec.board_id: spec
    for spec in (
        # STM32F746 has a single-precision FPU only: fpv5-sp-d16.
        BoardSpec(
            "disco_f746ng",
            "STM32F746G-DISCO",
            "stm32f746ngh6",
            "cortex-m7",
            "fpv5-sp-d16",
            1_048_576,
            327_680,
            ("stm32cube", "zephyr"),
        ),
        BoardSpec(
            "disco_h747xi",
            "STM32H747I-DISCO",
            "stm32h747xih6",
            "cortex-m7",
            "fpv5-d16",
            2_097_152,
            524_288,
            ("stm32cube", "zephyr"),
        ),
        BoardSpec(
            "mimxrt1060_evk",
            "i.MX RT1060-EVK",
            "mimxrt1062dvl6a",
            "cortex-m7",
            "fpv5-d16",
            8_388_608,
            33_554_432,
            ("zephyr",),
        ),
        BoardSpec(
            "mps2_an500",
            "QEMU mps2-an500 (emulated Cortex-M7)",
            "an500",
            "cortex-m7",
            "fpv5-d16",
            4_194_304,
            4_194_304,
            (),
        ),
    )
}


def board_spec(board_id: str) -> BoardSpec:
    """Look a board up by its PlatformIO id."""
    try:
        return BOARDS[board_id]
    except KeyError:
        raise ConfigError(
            f"unknown board '{board_id}'; known boards: {', '.join(BOARDS)}"
        ) from None
