# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.qemu: runs, exit codes, HardFaults."""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from platformio_tinyml.qemu import QemuError, qemu_command, run_firmware

REPO = Path(__file__).resolve().parents[1]
PLATFORM = REPO / "platforms" / "qemu_mps2_an500"
CPU = ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"]

# spin(n) runs exactly 2 instructions per iteration (subs + bne).
MAIN_C = r"""
#include <stdio.h>
#include "tinyml_insn_markers.h"
__attribute__((naked, noinline)) void spin(unsigned n) {
  __asm volatile("1: subs r0, r0, #1\n bne 1b\n bx lr\n");
}
int main(void) {
  volatile unsigned n = 1000;
  insn_region_start(); spin(n); insn_region_stop();
  n = 3000;
  insn_region_start(); spin(n); insn_region_stop();
  insn_mark(); insn_mark();
  printf("hello from m7 %d\n", 7);
#ifdef CRASH
  __asm volatile("udf #0");
#endif
  return 42;
}
"""


def test_qemu_command_uses_semihosting_on_an500() -> None:
    cmd = qemu_command(Path("fw.elf"), ["-icount", "shift=0"])
    assert cmd[:3] == ["qemu-system-arm", "-M", "mps2-an500"]
    assert "enable=on,target=native" in cmd
    assert cmd[-4:] == ["-icount", "shift=0", "-kernel", "fw.elf"]


def test_run_firmware_missing_elf(tmp_path: Path) -> None:
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm is not installed")
    with pytest.raises(QemuError, match="does not exist"):
        run_firmware(tmp_path / "missing.elf", timeout=5)


def _build_elf(tmp_path: Path, *defines: str) -> Path:
    if shutil.which("arm-none-eabi-gcc") is None:
        pytest.skip("arm-none-eabi-gcc is not installed")
    if shutil.which("qemu-system-arm") is None:
        pytest.skip("qemu-system-arm is not installed")
    main = tmp_path / "main.c"
    main.write_text(MAIN_C)
    elf = tmp_path / "app.elf"
    startup = PLATFORM / "startup"
    cmd = [
        "arm-none-eabi-gcc",
        *CPU,
        "-O2",
        *(f"-D{d}" for d in defines),
        f"-I{startup}",
        str(main),
        str(startup / "startup_m7.c"),
        str(startup / "insn_markers.c"),
        "--specs=nano.specs",
        "--specs=rdimon.specs",
        "-nostartfiles",
        f"-T{PLATFORM / 'ldscripts' / 'mps2_an500.ld'}",
        "-Wl,--gc-sections",
        "-o",
        str(elf),
    ]
    subprocess.run(cmd, check=True, capture_output=True, text=True)
    return elf


@pytest.mark.compiler
@pytest.mark.qemu
def test_run_firmware_exit_code_and_stdout(tmp_path: Path) -> None:
    run = run_firmware(_build_elf(tmp_path), timeout=30)
    assert run.returncode == 42
    assert "hello from m7 7" in run.stdout


@pytest.mark.compiler
@pytest.mark.qemu
def test_hardfault_exits_with_99(tmp_path: Path) -> None:
    run = run_firmware(_build_elf(tmp_path, "CRASH"), timeout=30)
    assert run.returncode == 99
