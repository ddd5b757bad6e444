# SPDX-License-Identifier: Apache-2.0
"""One floating-point ABI per firmware: decide it from the board and the build flags.

Everything that is linked into one ELF (the user's sources, the framework's HAL, BSP
and startup code, TFLM and this library) must agree on ``-mfloat-abi`` (the linker
refuses objects that pass floats in VFP registers next to ones that do not) and
should agree on ``-mfpu`` (an FPU with double precision on a single-precision core
faults at run time). Pure functions: :mod:`platformio_tinyml.pio.scons` gathers the
flags, calls :func:`decide_float_abi` and appends what it returns.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from ..boards import fpu_for_mcu
from ..errors import ConfigError

__all__ = ["FLAG_SCOPES", "FloatAbi", "FloatAbiDecision", "decide_float_abi"]

# The construction variables of the global environment that reach the compiler,
# the assembler and the linker.
FLAG_SCOPES = ("CCFLAGS", "ASFLAGS", "LINKFLAGS")

_ABI = "-mfloat-abi="
_FPU = "-mfpu="


@dataclass(frozen=True)
class FloatAbi:
    """The floating-point flags every part of the firmware is built with."""

    float_abi: str  # soft, softfp or hard
    fpu: str | None  # GCC -mfpu value; None: GCC's default for -mcpu
    origin: str  # where the choice came from, for messages

    @property
    def flags(self) -> tuple[str, ...]:
        fpu = (f"{_FPU}{self.fpu}",) if self.fpu and self.float_abi != "soft" else ()
        return (f"{_ABI}{self.float_abi}", *fpu)


@dataclass(frozen=True)
class FloatAbiDecision:
    """The ABI for the whole firmware, and what to tell the user."""

    abi: FloatAbi | None  # None: unknown board, the platform's flags stay unchanged
    notes: tuple[str, ...] = ()

    def missing(self, flags: Sequence[object]) -> tuple[str, ...]:
        """The ABI flags that ``flags`` (one scope of one environment) lacks."""
        if self.abi is None:
            return ()
        have = {str(f) for f in flags}
        return tuple(f for f in self.abi.flags if f not in have)


def _values(flags: Sequence[object], prefix: str) -> list[str]:
    return [
        str(f)[len(prefix) :]
        for f in flags
        if isinstance(f, str) and f.startswith(prefix)
    ]


def _one(scopes: Mapping[str, Sequence[object]], prefix: str, fix: str) -> str | None:
    found: dict[str, list[str]] = {}
    for scope, flags in scopes.items():
        part = scope.split(" of ", 1)[-1]  # "CCFLAGS of library 'x'" -> "library 'x'"
        for value in _values(flags, prefix):
            found.setdefault(value, []).append(part)
    if len(found) > 1:
        listed = " and ".join(
            f"{prefix}{value} ({', '.join(sorted(set(where)))})"
            for value, where in sorted(found.items())
        )
        raise ConfigError(f"the firmware would be built with {listed}; {fix}")
    return next(iter(found), None)


def decide_float_abi(
    board_id: str | None,
    mcu: str,
    scopes: Mapping[str, Sequence[object]],
) -> FloatAbiDecision:
    """Choose the float ABI and FPU for one firmware.

    Args:
        board_id: The ``board`` option (for messages), or None.
        mcu: The board's ``build.mcu`` (``stm32f746ngh6``); empty when unknown.
        scopes: Flags already set, by where they apply: the global environment's
            ``CCFLAGS``/``ASFLAGS``/``LINKFLAGS`` (they hold ``build_flags``) and the
            environments of the parts built separately (project, libraries).

    Returns:
        The ABI (None for an unknown board without float flags); apply it with
        :meth:`FloatAbiDecision.missing` to every scope of every environment.

    Raises:
        ConfigError: Two parts set different ``-mfloat-abi`` or ``-mfpu`` values.
    """
    if board_id is None and not any(scopes.values()):
        return FloatAbiDecision(abi=None)  # a host build
    board = board_id or "this board"
    board_fpu = fpu_for_mcu(mcu) if mcu else None
    if board_fpu is None:
        suggestion = "-mfloat-abi=hard -mfpu=<the core's FPU>"
    elif board_fpu == "none":
        suggestion = "-mfloat-abi=soft"
    else:
        suggestion = f"-mfloat-abi=hard -mfpu={board_fpu}"
    fix = (
        f"set one float ABI for all of them in build_flags (for {board}: "
        f"build_flags = {suggestion})"
    )
    user_abi = _one(scopes, _ABI, fix)
    user_fpu = _one(scopes, _FPU, fix)
    notes: list[str] = []
    abi: FloatAbi | None
    if user_abi is not None or user_fpu is not None:
        float_abi = user_abi or ("soft" if board_fpu == "none" else "hard")
        fpu = user_fpu
        if fpu is None and float_abi != "soft" and board_fpu not in (None, "none"):
            fpu = board_fpu
        abi = FloatAbi(float_abi, fpu, "build flags")
        if board_fpu not in (None, "none") and fpu not in (None, board_fpu):
            notes.append(
                f"-mfpu={fpu} from the build flags differs from {board}'s FPU "
                f"({board_fpu}); kept as set"
            )
    elif board_fpu is None:
        return FloatAbiDecision(
            abi=None,
            notes=(
                f"no FPU known for {board} (mcu '{mcu or '?'}'): the platform's "
                f"float flags are used unchanged; set {suggestion} in build_flags "
                "to choose one",
            ),
        )
    elif board_fpu == "none":
        abi = FloatAbi("soft", None, f"{board} ({mcu}, no FPU)")
    else:
        abi = FloatAbi("hard", board_fpu, f"{board} ({mcu})")
    return FloatAbiDecision(abi=abi, notes=tuple(notes))
