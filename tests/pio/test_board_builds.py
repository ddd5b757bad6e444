# SPDX-License-Identifier: Apache-2.0
"""The STM32 examples' board envs, built and linked for real with PlatformIO.

The PlatformIO packages (``ststm32``, ``framework-stm32cubef7``/``h7``,
``tool-ldscripts-ststm32``, a toolchain package wrapping the installed
``arm-none-eabi-gcc``, Unity) are assembled once per session by
``python -m devtools.stm32_packages`` from git mirrors of the upstream repositories
(``$TINYML_MIRRORS_DIR``, bare git dirs ``<owner>+<name>/repo``); each example is
built once per session and runtime from a clean copy (``pio run`` and the ``pio test``
firmware), and every test reads those builds: the examples as they are (the compiled
model, no TFLM) and with ``custom_tinyml_runtime = tflm`` (TFLM + CMSIS-NN). Skipped,
with the reason, when the mirrors or the cross toolchain are missing, and the TFLM
builds also without a tflite-micro checkout. Building TFLM takes minutes.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from platformio_tinyml.errors import TinyMLError
from platformio_tinyml.tflm_sources import locate_tflm

REPO = Path(__file__).resolve().parents[2]

pytestmark = [pytest.mark.pio, pytest.mark.compiler]

RUNTIMES = ("aot", "tflm")

# The mirrors the assembly reads directly (the submodules' mirrors are checked by
# the tool itself, which exits with code 2 naming a missing one).
MIRRORS = (
    "platformio/platform-ststm32",
    "STMicroelectronics/STM32CubeF7",
    "STMicroelectronics/STM32CubeH7",
    "ThrowTheSwitch/Unity",
)


@dataclass(frozen=True)
class Board:
    example: str
    env: str
    fpu: str  # -mfpu the firmware must be built with
    tag_fp_arch: str  # readelf -A Tag_FP_arch for that FPU
    needs_cifar10: bool


BOARDS = {
    "disco_f746ng": Board(
        "mnist_disco_f746ng",
        "disco_f746ng",
        "fpv5-sp-d16",
        "FPv5/FP-D16 for ARMv8",
        False,
    ),
    "disco_h747xi": Board(
        "cifar10_disco_h747xi",
        "disco_h747xi",
        "fpv5-d16",
        "FPv5/FP-D16 for ARMv8",
        True,
    ),
}
# flash/RAM printed by the build: "[tinyml] disco_f746ng flash: ~237,032 / ..."
_BUDGET_RE = re.compile(
    r"\[tinyml\] (\S+) flash: ~([\d,]+) / [\d,]+ B .*RAM: ~([\d,]+) /"
)
# Sections of ST's linker scripts: what goes to flash (.data's initial values too)
# and what takes RAM statically (the arena is in .bss; the stack and heap are not
# sections, as in PlatformIO's own "RAM: used" line).
_FLASH_SECTIONS = (
    ".isr_vector",
    ".text",
    ".rodata",
    ".ARM",
    ".preinit_array",
    ".init_array",
    ".fini_array",
    ".data",
)
_RAM_SECTIONS = (".data", ".bss")


@dataclass(frozen=True)
class BoardBuild:
    board: Board
    project: Path
    env: dict[str, str]  # the process environment of its `pio` runs
    run_output: str  # `pio run`
    elf: Path  # a copy of firmware.elf: `pio test` builds into the same folder


def _pio(
    build_env: dict[str, str], project: Path, *args: str
) -> subprocess.CompletedProcess[str]:
    nice = ["nice", "-n", "10"] if shutil.which("nice") else []
    return subprocess.run(
        [*nice, sys.executable, "-m", "platformio", *args],
        cwd=project,
        env=build_env,
        capture_output=True,
        text=True,
        timeout=3600,
    )


def _mirrors_dir() -> Path:
    base = os.environ.get("TINYML_MIRRORS_DIR", "").strip()
    if not base:
        pytest.skip("set TINYML_MIRRORS_DIR to the folder of upstream git mirrors")
    missing = [
        repo
        for repo in MIRRORS
        if not (Path(base) / repo.replace("/", "+", 1) / "repo").is_dir()
    ]
    if missing:
        pytest.skip(f"no git mirror of {', '.join(missing)} under {base}")
    return Path(base)


def _devtool(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devtools.stm32_packages", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        timeout=600,
    )


@pytest.fixture(scope="session")
def stm32_env(
    pio_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> dict[str, str]:
    """`pio` environment with a core dir holding the assembled STM32 packages."""
    for tool in ("arm-none-eabi-gcc", "arm-none-eabi-readelf", "arm-none-eabi-size"):
        if shutil.which(tool) is None:
            pytest.skip(
                f"'{tool}' is not installed (apt-get install gcc-arm-none-eabi)"
            )
    mirrors = _mirrors_dir()
    core = tmp_path_factory.mktemp("stm32-core")
    proc = _devtool("--mirrors", str(mirrors), "--core-dir", str(core))
    if proc.returncode == 2 and "missing mirror" in proc.stderr:
        pytest.skip(proc.stderr.strip().splitlines()[-1])
    assert proc.returncode == 0, proc.stderr[-3000:]
    return {
        **pio_env,
        "PLATFORMIO_CORE_DIR": str(core),
        "TINYML_MIRRORS_DIR": str(mirrors),
    }


@pytest.fixture(scope="session")
def board_build(
    stm32_env: dict[str, str],
    piotools: ModuleType,
    shared_datasets_dir: Path | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> Callable[[str], BoardBuild]:
    """Builds one board env of its example once per session and runtime."""
    done: dict[tuple[str, str], BoardBuild] = {}

    def build(board_id: str, runtime: str = "aot") -> BoardBuild:
        if (board_id, runtime) in done:
            return done[board_id, runtime]
        board = BOARDS[board_id]
        env = dict(stm32_env)
        if runtime == "tflm":
            try:
                tree = locate_tflm(None)
            except TinyMLError as exc:
                pytest.skip(f"tflite-micro sources unusable: {exc}")
            if tree is None:
                pytest.skip(
                    "no tflite-micro checkout at $TINYML_TFLM_DIR or the default place"
                )
            env["TINYML_TFLM_DIR"] = str(tree.root)
        if board.needs_cifar10:
            if shared_datasets_dir is None:
                pytest.skip("CIFAR-10 has no embedded copy; set TINYML_DATASETS_DIR")
            env["TINYML_DATASETS_DIR"] = str(shared_datasets_dir)
        else:
            env.pop("TINYML_DATASETS_DIR", None)  # the embedded MNIST subset: fast
        project = tmp_path_factory.mktemp(f"{board_id}-{runtime}") / board.example
        shutil.copytree(
            REPO / "examples" / board.example,
            project,
            ignore=shutil.ignore_patterns(".pio"),
        )
        ini = (project / "platformio.ini").read_text()
        ini = ini.replace("symlink://../../", f"symlink://{REPO}/")
        # The shipped model; fewer host accuracy images than the default, for speed.
        ini = piotools.set_ini_option(ini, "custom_tinyml_verify_samples", "200")
        # In the board env's own section (the qemu envs set their own runtime).
        header = f"[env:{board.env}]\n"
        assert header in ini
        ini = ini.replace(header, f"{header}custom_tinyml_runtime = {runtime}\n", 1)
        (project / "platformio.ini").write_text(ini)
        seeded = _devtool(
            "seed-unity",
            "--mirrors",
            env["TINYML_MIRRORS_DIR"],
            str(project),
            board.env,
        )
        assert seeded.returncode == 0, seeded.stderr
        run = _pio(env, project, "run", "-e", board.env)
        assert run.returncode == 0, (run.stdout + run.stderr)[-6000:]
        elf = project / ".pio" / "build" / board.env / "firmware.elf"
        kept = shutil.copyfile(elf, elf.with_name("run-firmware.elf"))
        done[board_id, runtime] = BoardBuild(
            board, project, env, run.stdout + run.stderr, Path(kept)
        )
        return done[board_id, runtime]

    return build


@pytest.fixture(scope="session")
def board_test_build(
    board_build: Callable[[str], BoardBuild],
) -> Callable[[str], tuple[str, Path]]:
    """`pio test --without-uploading --without-testing` of a built board env, once:
    the output and the test firmware's ELF."""
    done: dict[str, tuple[str, Path]] = {}

    def build(board_id: str) -> tuple[str, Path]:
        if board_id not in done:
            built = board_build(board_id)
            env = built.board.env
            test = _pio(
                built.env,
                built.project,
                "test",
                "-e",
                env,
                "--without-uploading",
                "--without-testing",
            )
            assert test.returncode == 0, (test.stdout + test.stderr)[-6000:]
            elf = built.project / ".pio" / "build" / env / "firmware.elf"
            done[board_id] = (test.stdout + test.stderr, elf)
        return done[board_id]

    return build


def _tool(name: str, *args: str) -> str:
    return subprocess.run(
        [name, *args], capture_output=True, text=True, check=True
    ).stdout


def _sections(elf: Path) -> dict[str, int]:
    sizes: dict[str, int] = {}
    for line in _tool("arm-none-eabi-size", "-A", str(elf)).splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[1].isdigit():
            sizes[parts[0]] = sizes.get(parts[0], 0) + int(parts[1])
    return sizes


def measured_flash_ram(elf: Path) -> tuple[int, int]:
    """Flash and RAM of a firmware from ``arm-none-eabi-size -A``."""
    sizes = _sections(elf)
    flash = sum(v for k, v in sizes.items() if k.startswith(_FLASH_SECTIONS))
    ram = sum(v for k, v in sizes.items() if k in _RAM_SECTIONS)
    return flash, ram


# Static objects of the examples' interactive features (src/main.cpp).
_APP_OBJECTS = ("setup()::static_link", "setup()::static_service", "::pad")


def _app_ram(elf: Path) -> int:
    """RAM of the example's serial link, serial service and digit pad objects."""
    total = 0
    for line in _tool("arm-none-eabi-nm", "-S", "-C", str(elf)).splitlines():
        parts = line.split(maxsplit=3)
        if len(parts) == 4 and parts[2] in "bBdD" and parts[3].endswith(_APP_OBJECTS):
            total += int(parts[1], 16)
    return total


# Checks of the `pio run` firmware first, then those of the `pio test` firmware.


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("board_id", sorted(BOARDS))
def test_board_env_builds_and_links(
    board_id: str, runtime: str, board_build: Callable[..., BoardBuild]
) -> None:
    build = board_build(board_id, runtime)
    assert build.elf.stat().st_size > 0
    out = build.run_output
    # The examples pin GCC 12 and the assembled toolchain package satisfies the pin.
    assert re.search(r"toolchain-gccarmnoneeabi @ 1\.12\d{4}\.\d+ \(12\.", out), out[
        :3000
    ]
    if runtime == "tflm":
        assert "TFLM: " in out and "cmsis_nn kernels" in out
    else:  # the compiled model: no TFLM looked for or built
        assert "runtime: aot" in out and "TFLM: " not in out, out[-3000:]


def _check_float_abi(board: Board, elf: Path) -> None:
    attributes = _tool("arm-none-eabi-readelf", "-A", str(elf))
    assert "Tag_ABI_VFP_args: VFP registers" in attributes, attributes
    assert f"Tag_FP_arch: {board.tag_fp_arch}" in attributes, attributes
    # fpv5-sp-d16: single precision only; fpv5-d16: single and double.
    sp_only = "Tag_ABI_HardFP_use: SP only" in attributes
    assert sp_only == (board.fpu == "fpv5-sp-d16"), attributes
    if board.fpu == "fpv5-sp-d16":
        disassembly = _tool("arm-none-eabi-objdump", "-d", str(elf))
        f64 = [line for line in disassembly.splitlines() if ".f64" in line]
        assert f64 == [], f"{len(f64)} double-precision instructions: {f64[:5]}"


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("board_id", sorted(BOARDS))
def test_firmware_is_hard_float_with_the_boards_fpu(
    board_id: str, runtime: str, board_build: Callable[..., BoardBuild]
) -> None:
    """readelf -A; for the F746 also objdump -d: not one .f64 instruction."""
    build = board_build(board_id, runtime)
    _check_float_abi(build.board, build.elf)


def test_h747_firmware_links_the_display_drivers(
    board_build: Callable[[str], BoardBuild],
) -> None:
    build = board_build("disco_h747xi")
    symbols = set(_tool("arm-none-eabi-nm", str(build.elf)).split())
    for name in ("HAL_DSI_Init", "HAL_LTDC_Init", "OTM8009A_Init", "BSP_LCD_InitEx"):
        assert name in symbols, name
    assert "[tinyml] BSP: stm32h747i_discovery_camera.c" in build.run_output


@pytest.mark.parametrize("runtime", RUNTIMES)
@pytest.mark.parametrize("board_id", sorted(BOARDS))
def test_flash_and_ram_match_the_budget_line(
    board_id: str, runtime: str, board_build: Callable[..., BoardBuild]
) -> None:
    build = board_build(board_id, runtime)
    budget = _BUDGET_RE.search(build.run_output)
    assert budget and budget.group(1) == board_id, build.run_output[-3000:]
    flash_budget, ram_budget = (int(budget.group(i).replace(",", "")) for i in (2, 3))
    flash, ram = measured_flash_ram(build.elf)
    print(
        f"{board_id} ({runtime}): flash {flash:,} B (budget {flash_budget:,}), "
        f"RAM {ram:,} B (budget {ram_budget:,})"
    )
    # The MNIST examples' serial service and digit pad are the application's own
    # objects, sized by it; the library's budget counts the arena and the runtime.
    app = _app_ram(build.elf)
    print(f"{board_id} ({runtime}): application serial/pad objects {app:,} B")
    assert abs(flash - flash_budget) <= 0.10 * flash, (flash, flash_budget)
    assert abs(ram - app - ram_budget) <= 0.10 * (ram - app), (ram, app, ram_budget)


@pytest.mark.parametrize("board_id", sorted(BOARDS))
def test_test_firmware_builds_with_the_same_float_abi(
    board_id: str, board_test_build: Callable[[str], tuple[str, Path]]
) -> None:
    _output, elf = board_test_build(board_id)
    symbols = _tool("arm-none-eabi-nm", "-C", str(elf))
    assert "UnityBegin" in symbols  # the real Unity, from the seeded library
    _check_float_abi(BOARDS[board_id], elf)
