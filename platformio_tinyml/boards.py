# SPDX-License-Identifier: Apache-2.0
"""Facts about the boards the project targets: memory limits and budgets, core, FPU.

Flash and RAM limits have one source: PlatformIO's board manifest
(``upload.maximum_size`` / ``upload.maximum_ram_size``), overridden by the project's
``board_upload.*`` options. The build, the CLI and the report all go through
:func:`board_limits` and :func:`estimate_budget`.
"""

from __future__ import annotations

import json
import os
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

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
# With runtime aot there is no interpreter: flash besides the compiled model's constants
# is the generated code, the runtime, the framework's HAL/BSP and the packed test
# images; static RAM besides the arena is HAL handles, the classifier and newlib (an
# application's own buffers, such as the examples' serial link, come on top). Measured
# on the STM32 examples' board builds, GCC 12 -Os (see benchmarks/RESULTS.md).
AOT_RUNTIME_FLASH_ESTIMATE = 48 * 1024
AOT_RUNTIME_RAM_ESTIMATE = 2 * 1024
EXTERNAL_MODEL_NOTE = "model placed in external memory"


@dataclass(frozen=True)
class BoardSpec:
    """One board: PlatformIO id, MCU (memory limits come from its manifest)."""

    board_id: str
    name: str
    mcu: str
    cpu: str
    fpu: str  # GCC -mfpu value
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
            ("stm32cube", "zephyr"),
        ),
        BoardSpec(
            "disco_h747xi",
            "STM32H747I-DISCO",
            "stm32h747xih6",
            "cortex-m7",
            "fpv5-d16",
            ("stm32cube", "zephyr"),
        ),
        BoardSpec(
            "mimxrt1060_evk",
            "i.MX RT1060-EVK",
            "mimxrt1062dvl6a",
            "cortex-m7",
            "fpv5-d16",
            ("zephyr",),
        ),
        BoardSpec(
            "mps2_an500",
            "QEMU mps2-an500 (emulated Cortex-M7)",
            "an500",
            "cortex-m7",
            "fpv5-d16",
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


# --- Memory limits ---------------------------------------------------------------


@dataclass(frozen=True)
class BoardLimits:
    """Flash and RAM of the board being built for (0 means unknown)."""

    board_id: str
    flash_bytes: int  # upload.maximum_size, or board_upload.maximum_size
    ram_bytes: int  # upload.maximum_ram_size, or board_upload.maximum_ram_size


def board_limits(
    board_id: str | None,
    board_config: Mapping[str, Any],
    options: Mapping[str, str],
) -> BoardLimits | None:
    """The board's flash/RAM from its manifest, with ``board_upload.*`` overrides.

    Args:
        board_id: the ``board`` option, or None for boardless environments.
        board_config: flat manifest values, e.g. ``{"upload.maximum_size": 1048576}``.
        options: the environment's project options (``board_upload.maximum_size``
            and ``board_upload.maximum_ram_size`` win over the manifest).

    Raises:
        ConfigError: an override is not a whole number.
    """
    if not board_id:
        return None
    values = []
    for key in ("upload.maximum_size", "upload.maximum_ram_size"):
        override = options.get("board_" + key)
        raw = override if override not in (None, "") else board_config.get(key, 0)
        try:
            values.append(int(str(raw).strip(), 0))
        except ValueError:
            raise ConfigError(
                f"board_{key} '{raw}' is not a whole number of bytes "
                f"(example: board_{key} = 1048576)"
            ) from None
    return BoardLimits(board_id, flash_bytes=values[0], ram_bytes=values[1])


def manifest_dirs(extra: Iterable[Path] = ()) -> tuple[Path, ...]:
    """Folders that may hold ``<board_id>.json``: ``extra``, then installed platforms.

    Installed platforms live in ``$PLATFORMIO_CORE_DIR/platforms/*/boards``
    (default ``~/.platformio``); a source checkout adds its own dev-platforms.
    """
    core = Path(os.environ.get("PLATFORMIO_CORE_DIR") or "~/.platformio").expanduser()
    checkout = Path(__file__).resolve().parent.parent / "platforms"
    dirs = [Path(d) for d in extra]
    for root in (core / "platforms", checkout):
        if root.is_dir():
            dirs += sorted(p for p in root.glob("*/boards") if p.is_dir())
    return tuple(dirs)


def limits_from_manifest(board_id: str, search: Iterable[Path] = ()) -> BoardLimits:
    """A board's limits read from its PlatformIO board manifest (outside a build).

    Args:
        board_id: the PlatformIO board id.
        search: folders to look in first (e.g. a project's ``boards/``).

    Raises:
        ConfigError: no manifest for ``board_id`` is installed, or it is unreadable.
    """
    dirs = manifest_dirs(search)
    for folder in dirs:
        path = folder / f"{board_id}.json"
        if not path.is_file():
            continue
        try:
            upload = json.loads(path.read_text(encoding="utf-8")).get("upload", {})
        except (OSError, ValueError, AttributeError) as exc:
            raise ConfigError(
                f"board manifest '{path}' is unreadable ({exc}); reinstall its platform"
            ) from None
        flat = {f"upload.{k}": v for k, v in dict(upload).items()}
        limits = board_limits(board_id, flat, {})
        assert limits is not None
        return limits
    raise ConfigError(
        f"board '{board_id}' has no PlatformIO board manifest in "
        f"{', '.join(map(str, dirs)) or 'any installed platform'}; install its "
        "platform (example: pio pkg install -g -p ststm32)"
    )


# --- Budget ----------------------------------------------------------------------


@dataclass(frozen=True)
class MemoryBudget:
    """Flash and RAM use against a board's limits (bytes; a limit of 0 is unknown)."""

    board: str
    flash_limit: int
    ram_limit: int
    model_bytes: int  # model bytes in internal flash (0 when placed externally)
    arena_bytes: int
    code_bytes: int  # flash besides the model (measured firmware, or an estimate)
    other_ram_bytes: int  # RAM besides the arena
    measured: bool = False  # True when code/other RAM come from a built firmware
    notes: tuple[str, ...] = ()

    @property
    def flash_used(self) -> int:
        return self.model_bytes + self.code_bytes

    @property
    def model_external(self) -> bool:
        """The model lives in external memory and is not counted in flash."""
        return EXTERNAL_MODEL_NOTE in self.notes

    def over_budget(self) -> tuple[str, ...]:
        """One line per memory that the estimate exceeds (empty when it fits)."""
        lines = []
        for name, used, limit in (
            ("flash", self.flash_used, self.flash_limit),
            ("RAM", self.ram_used, self.ram_limit),
        ):
            if limit and used > limit:
                lines.append(
                    f"{name} use {used:,} B is {100.0 * used / limit:.1f}% of "
                    f"{self.board}'s {limit:,} B {name}"
                )
        return tuple(lines)

    @property
    def ram_used(self) -> int:
        return self.arena_bytes + self.other_ram_bytes

    @property
    def flash_percent(self) -> float | None:
        return 100.0 * self.flash_used / self.flash_limit if self.flash_limit else None

    @property
    def ram_percent(self) -> float | None:
        return 100.0 * self.ram_used / self.ram_limit if self.ram_limit else None


def estimate_budget(
    limits: BoardLimits,
    model_bytes: int,
    arena_bytes: int,
    *,
    model_in_flash: bool = True,
    image_bytes: int = 0,
    runtime_flash: int = RUNTIME_FLASH_ESTIMATE,
    runtime_ram: int = RUNTIME_RAM_ESTIMATE,
) -> MemoryBudget:
    """The budget before any firmware exists, with the runtime's typical size.

    Args:
        limits: the board's flash and RAM.
        model_bytes: the ``.tflite`` size.
        arena_bytes: the tensor arena that will be allocated.
        model_in_flash: False when the model is placed in external memory.
        image_bytes: packed test images, also kept in flash.
        runtime_flash: estimated flash of TFLM + kernels + resolver + libc.
        runtime_ram: estimated RAM besides the arena (stack, interpreter, heap).
    """
    return MemoryBudget(
        board=limits.board_id,
        flash_limit=limits.flash_bytes,
        ram_limit=limits.ram_bytes,
        model_bytes=model_bytes if model_in_flash else 0,
        arena_bytes=arena_bytes,
        code_bytes=image_bytes + runtime_flash,
        other_ram_bytes=runtime_ram,
        notes=() if model_in_flash else (EXTERNAL_MODEL_NOTE,),
    )
