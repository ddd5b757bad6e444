# SPDX-License-Identifier: Apache-2.0
"""Facts about the boards the project targets: memory limits, core and FPU."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError

# Flash a TFLM application needs besides the model: TFLM core, the registered kernels
# (CMSIS-NN), newlib, the runtime, the framework's HAL/BSP and the packed test images.
# Measured with GCC 12 -Os, hard float, on the STM32 examples' board builds
# (arm-none-eabi-size: flash minus model): disco_f746ng 125,780 B (mnist_lenet5, 5 ops,
# 100 1bpp images), disco_h747xi 137,272 B (cifar10_cnn, 10 rgb565 images).
RUNTIME_FLASH_ESTIMATE = 128 * 1024
# Static RAM besides the arena (.data + .bss): the interpreter, HAL handles, newlib;
# 1,880 B / 2,148 B on the same builds. Stack and heap are not included.
RUNTIME_RAM_ESTIMATE = 2 * 1024


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


# The FPU of an MCU family, by PlatformIO ``build.mcu`` prefix (lower case): the GCC
# -mfpu value, or "none" for cores without one. Only families whose every part has
# the same FPU are listed; the first matching prefix wins.
MCU_FPUS: tuple[tuple[str, str], ...] = (
    # STM32F7 (F74x/F75x, F72x/F73x) has the single-precision FPv5-SP-D16, except
    # F76x/F77x with double precision (RM0410).
    ("stm32f76", "fpv5-d16"),
    ("stm32f77", "fpv5-d16"),
    ("stm32f7", "fpv5-sp-d16"),
    ("stm32h7", "fpv5-d16"),
    ("mimxrt105", "fpv5-d16"),
    ("mimxrt106", "fpv5-d16"),
    # Cortex-M4F families.
    ("stm32f3", "fpv4-sp-d16"),
    ("stm32f4", "fpv4-sp-d16"),
    ("stm32g4", "fpv4-sp-d16"),
    ("stm32l4", "fpv4-sp-d16"),
    ("stm32wb", "fpv4-sp-d16"),
    # Cortex-M0/M0+/M3 families: no FPU.
    ("stm32f0", "none"),
    ("stm32f1", "none"),
    ("stm32f2", "none"),
    ("stm32g0", "none"),
    ("stm32l0", "none"),
    ("stm32l1", "none"),
    ("cortex-m0", "none"),
    ("cortex-m3", "none"),
)


def fpu_for_mcu(mcu: str) -> str | None:
    """The GCC ``-mfpu`` of a board's ``build.mcu``, ``"none"``, or None if unknown."""
    name = mcu.strip().lower()
    for prefix, fpu in MCU_FPUS:
        if name.startswith(prefix):
            return fpu
    return None


def board_spec(board_id: str) -> BoardSpec:
    """Look a board up by its PlatformIO id."""
    try:
        return BOARDS[board_id]
    except KeyError:
        raise ConfigError(
            f"unknown board '{board_id}'; known boards: {', '.join(BOARDS)}"
        ) from None
