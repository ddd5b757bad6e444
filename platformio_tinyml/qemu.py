# SPDX-License-Identifier: Apache-2.0
"""Run firmware in QEMU mps2-an500: the emulated Cortex-M7 of the examples' qemu env."""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from .errors import DependencyError, TinyMLError

__all__ = [
    "QemuError",
    "QemuRun",
    "qemu_command",
    "require_tool",
    "run_firmware",
]

QEMU = "qemu-system-arm"


class QemuError(TinyMLError):
    """Firmware did not run to completion in QEMU (timeout, crash, bad ELF)."""


@dataclass(frozen=True)
class QemuRun:
    """The outcome of one QEMU run: the exit status is ``main()``'s return value."""

    returncode: int
    stdout: str


def qemu_command(
    elf: Path, extra_args: Sequence[str] = (), *, serial: str = "null"
) -> list[str]:
    """The QEMU command line that runs ``elf`` with semihosting on mps2-an500.

    ``serial`` is the backend of UART0 (e.g. ``tcp:127.0.0.1:PORT``).
    """
    return [
        QEMU,
        "-M",
        "mps2-an500",
        "-nographic",
        "-monitor",
        "none",
        "-serial",
        serial,
        "-semihosting-config",
        "enable=on,target=native",
        *extra_args,
        "-kernel",
        str(elf),
    ]


def require_tool(name: str, package: str) -> str:
    """The path of tool ``name``, or a DependencyError naming its Debian package."""
    path = shutil.which(name)
    if path is None:
        raise DependencyError(
            f"'{name}' is not on PATH; install it with: apt-get install {package}"
        )
    return path


def run_firmware(
    elf: Path,
    *,
    timeout: float = 120.0,
    extra_args: Sequence[str] = (),
    cwd: Path | None = None,
) -> QemuRun:
    """Run ``elf`` in QEMU mps2-an500 until it exits.

    Args:
        elf: A firmware image built for the ``tinyml-qemu-m7`` platform.
        timeout: Seconds before QEMU is killed.
        extra_args: More QEMU arguments (e.g. ``-icount shift=0``, ``-plugin ...``).
        cwd: where files the firmware opens through semihosting land.

    Returns:
        QEMU's exit status (``main()``'s return value; 99 for a HardFault) and the
        semihosting stdout.

    Raises:
        DependencyError: qemu-system-arm is not installed.
        QemuError: The ELF is missing or the firmware ran past ``timeout``.
    """
    require_tool(QEMU, "qemu-system-arm")
    elf = Path(elf).resolve()  # QEMU may run in another directory (cwd)
    if not elf.is_file():
        raise QemuError(
            f"firmware '{elf}' does not exist; build it with 'pio run' first"
        )
    try:
        proc = subprocess.run(
            qemu_command(elf, extra_args),
            capture_output=True,
            text=True,
            errors="replace",
            timeout=timeout,
            check=False,
            stdin=subprocess.DEVNULL,
            cwd=cwd,
        )
    except subprocess.TimeoutExpired as exc:
        raise QemuError(
            f"firmware '{elf}' did not exit within {timeout:.0f} s in QEMU; "
            "check that main() returns, or raise the timeout"
        ) from exc
    return QemuRun(returncode=proc.returncode, stdout=proc.stdout)
