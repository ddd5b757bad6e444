# SPDX-License-Identifier: Apache-2.0
"""Compile checks of the per-board sources and sanity checks of the example projects.

The board files in ``src/boards/<board_id>/`` are compiled with arm-none-eabi-g++
and the board's exact ``-mcpu``/``-mfpu`` against vendor HAL/BSP headers from a
local checkout that is never committed. Build it once (about 80 MB) with
``git archive`` of STM32Cube's HAL ``Inc/``, CMSIS
device and core headers, the two Discovery BSPs and their LCD/SDRAM component
headers, laid out as STM32Cube's ``Drivers/`` tree under
``~/.cache/tinyml-deps/vendor`` (or ``$TINYML_VENDOR_DIR``); see
``examples/mnist_disco_f746ng/README.md``.
"""

from __future__ import annotations

import dataclasses
import os
import shutil
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from platformio_tinyml.config import PIO_PREFIX, config_from_pio

REPO = Path(__file__).resolve().parents[1]
EXAMPLES = REPO / "examples"
CXX = "arm-none-eabi-g++"
READELF = "arm-none-eabi-readelf"
RUNTIME_HEADERS = ("display.h", "canvas.h", "timing.h")


def _vendor_dir() -> Path:
    env = os.environ.get("TINYML_VENDOR_DIR")
    return Path(env) if env else Path.home() / ".cache" / "tinyml-deps" / "vendor"


@dataclass(frozen=True)
class StBoard:
    """How PlatformIO's ststm32 + stm32cube would compile one Discovery board."""

    board_id: str
    example: str
    # -mcpu/-mfpu/-mfloat-abi as the board's toolchain multilib needs.
    cpu_flags: tuple[str, ...]
    # The board JSON's build.extra_flags plus stm32cube.py's USE_HAL_DRIVER.
    defines: tuple[str, ...]
    # Include dirs relative to the vendor checkout.
    vendor_includes: tuple[str, ...]
    # What `readelf -A` must report for the objects' FP ABI.
    hardfp_use: str


ST_BOARDS = (
    StBoard(
        board_id="disco_f746ng",
        example="mnist_disco_f746ng",
        # The F746 has a single-precision FPU: fpv5-d16 would emit double
        # instructions that fault on the chip.
        cpu_flags=("-mcpu=cortex-m7", "-mfpu=fpv5-sp-d16", "-mfloat-abi=hard"),
        defines=("-DSTM32F746xx", "-DUSE_HAL_DRIVER"),
        vendor_includes=(
            "Drivers/CMSIS/Include",
            "Drivers/CMSIS/Device/ST/STM32F7xx/Include",
            "Drivers/STM32F7xx_HAL_Driver/Inc",
            "Drivers/BSP/STM32746G-Discovery",
        ),
        hardfp_use="Tag_ABI_HardFP_use: SP only",
    ),
    StBoard(
        board_id="disco_h747xi",
        example="cifar10_disco_h747xi",
        cpu_flags=("-mcpu=cortex-m7", "-mfpu=fpv5-d16", "-mfloat-abi=hard"),
        defines=("-DSTM32H7xx", "-DSTM32H747xx", "-DUSE_HAL_DRIVER"),
        vendor_includes=(
            "Drivers/CMSIS/Include",
            "Drivers/CMSIS/Device/ST/STM32H7xx/Include",
            "Drivers/STM32H7xx_HAL_Driver/Inc",
            "Drivers/BSP/STM32H747I-DISCO",
            "Drivers/BSP/Components/Common",
        ),
        hardfp_use="",
    ),
)


def _board_sources(board_id: str) -> list[Path]:
    return sorted((REPO / "src" / "boards" / board_id).glob("*.cpp"))


def _env_options(example: str, env: str) -> dict[str, object]:
    from platformio.project.config import ProjectConfig

    config = ProjectConfig(str(EXAMPLES / example / "platformio.ini"))
    return dict(config.items(env=env, as_dict=True))


def _require_toolchain_and_headers(board: StBoard) -> Path:
    if shutil.which(CXX) is None:
        pytest.skip(f"{CXX} is not on PATH (apt-get install gcc-arm-none-eabi)")
    missing = [
        h for h in RUNTIME_HEADERS if not (REPO / "include/tinyml" / h).is_file()
    ]
    if missing:
        pytest.skip(f"runtime headers include/tinyml/{missing} are not present yet")
    vendor = _vendor_dir()
    absent = [d for d in board.vendor_includes if not (vendor / d).is_dir()]
    if absent:
        pytest.skip(
            f"vendor headers for {board.board_id} are absent ({vendor / absent[0]}); "
            "create the checkout described in examples/mnist_disco_f746ng/README.md "
            "or set TINYML_VENDOR_DIR"
        )
    return vendor


def _compile(
    board: StBoard, source: Path, out: Path
) -> subprocess.CompletedProcess[str]:
    vendor = _vendor_dir()
    build_flags = _env_options(board.example, board.board_id).get("build_flags", [])
    assert isinstance(build_flags, list)
    cmd = [
        CXX,
        "-mthumb",
        *board.cpu_flags,
        "-std=gnu++17",
        "-Os",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-fno-rtti",
        "-fno-exceptions",
        *board.defines,
        *[str(f) for f in build_flags],
        f"-I{REPO / 'include'}",
        f"-I{EXAMPLES / board.example / 'include'}",
        *[f"-I{vendor / d}" for d in board.vendor_includes],
        "-c",
        str(source),
        "-o",
        str(out),
    ]
    return subprocess.run(cmd, capture_output=True, text=True, timeout=120)


# --- Board sources against vendor headers ---


@pytest.mark.compiler
@pytest.mark.parametrize(
    ("board", "source"),
    [(b, s) for b in ST_BOARDS for s in _board_sources(b.board_id)],
    ids=lambda v: v.board_id if isinstance(v, StBoard) else v.name,
)
def test_st_board_source_compiles(board: StBoard, source: Path, tmp_path: Path) -> None:
    _require_toolchain_and_headers(board)
    obj = tmp_path / (source.stem + ".o")
    result = _compile(board, source, obj)
    assert result.returncode == 0, result.stderr[-4000:]
    if board.hardfp_use and shutil.which(READELF):
        attributes = subprocess.run(
            [READELF, "-A", str(obj)], capture_output=True, text=True, check=True
        ).stdout
        assert board.hardfp_use in attributes


@pytest.mark.compiler
def test_every_st_board_has_display_and_serial() -> None:
    for board in ST_BOARDS:
        names = {p.name for p in _board_sources(board.board_id)}
        assert {"display.cpp", "serial.cpp", "board.cpp"} <= names, board.board_id


@pytest.mark.compiler
def test_h747_without_core_define_fails_to_compile(tmp_path: Path) -> None:
    """The dual-core H747 headers need CORE_CM7, which the example's ini supplies."""
    board = ST_BOARDS[1]
    _require_toolchain_and_headers(board)
    no_core = dataclasses.replace(board, example="mnist_disco_f746ng")
    # The F746 example's board env has no build_flags, so CORE_CM7 is missing.
    result = _compile(
        no_core, REPO / "src/boards/disco_h747xi/board.cpp", tmp_path / "x.o"
    )
    assert result.returncode != 0
    assert "CORE_CM4 or CORE_CM7" in result.stderr


@pytest.mark.compiler
def test_mimxrt1060_evk_display_compiles_against_zephyr(tmp_path: Path) -> None:
    includes = os.environ.get("TINYML_ZEPHYR_INCLUDES", "")
    if not includes:
        pytest.skip(
            "unverified: no Zephyr tree with a generated build "
            "(devicetree_generated.h, autoconf.h) on this machine; set "
            "TINYML_ZEPHYR_INCLUDES to its include "
            "dirs (os.pathsep-separated) to compile src/boards/mimxrt1060_evk"
        )
    if shutil.which(CXX) is None:
        pytest.skip(f"{CXX} is not on PATH (apt-get install gcc-arm-none-eabi)")
    cmd = [
        CXX,
        "-mthumb",
        "-mcpu=cortex-m7",
        "-mfpu=fpv5-d16",
        "-mfloat-abi=hard",
        "-std=gnu++17",
        "-fno-exceptions",
        "-fno-rtti",
        f"-I{REPO / 'include'}",
        *[f"-I{d}" for d in includes.split(os.pathsep) if d],
        "-c",
        str(REPO / "src/boards/mimxrt1060_evk/display.cpp"),
        "-o",
        str(tmp_path / "display.o"),
    ]
    result = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
    assert result.returncode == 0, result.stderr[-4000:]


# --- Example projects ---

# example -> (board env, platform, framework)
EXAMPLE_BOARDS = {
    "mnist_disco_f746ng": ("disco_f746ng", "ststm32", "stm32cube"),
    "cifar10_disco_h747xi": ("disco_h747xi", "ststm32", "stm32cube"),
    "mnist_mimxrt1060_evk": ("mimxrt1060_evk", "nxpimxrt", "zephyr"),
}


def test_examples_are_all_listed() -> None:
    found = {p.parent.name for p in EXAMPLES.glob("*_*/platformio.ini")}
    assert set(EXAMPLE_BOARDS) <= found


@pytest.mark.pio  # reads platformio.ini with PlatformIO's own parser
@pytest.mark.parametrize("example", sorted(EXAMPLE_BOARDS))
def test_example_envs(example: str) -> None:
    board_env, platform, framework = EXAMPLE_BOARDS[example]
    board = _env_options(example, board_env)
    assert board["platform"] == platform
    assert board["board"] == board_env
    assert board["framework"] == [framework]
    assert board["lib_deps"] == ["tinyml=symlink://../../"]
    assert "test_framework" not in board  # the board runs PlatformIO's Unity

    qemu = _env_options(example, "qemu")
    assert qemu["platform"] == "symlink://../../platforms/qemu_mps2_an500"
    assert qemu["board"] == "mps2_an500"
    assert qemu["test_framework"] == "custom"
    assert (EXAMPLES / example / "test" / "test_custom_runner.py").is_file()
    assert (EXAMPLES / example / "src" / "main.cpp").is_file()
    assert (EXAMPLES / example / "README.md").is_file()


@pytest.mark.pio  # reads platformio.ini with PlatformIO's own parser
@pytest.mark.parametrize("example", sorted(EXAMPLE_BOARDS))
def test_example_options_parse_and_agree(example: str) -> None:
    board_env = EXAMPLE_BOARDS[example][0]
    configs = []
    for env in (board_env, "qemu"):
        options = _env_options(example, env)
        ours = {k: str(v) for k, v in options.items() if k.startswith(PIO_PREFIX)}
        assert ours, f"{example} [env:{env}] sets no {PIO_PREFIX}* option"
        configs.append(config_from_pio(ours, source=f"{example}/platformio.ini"))
    # The emulated twin must run exactly the model and images of the board, with
    # TFLM from the same place (auto: a local checkout, else the pinned download).
    board, twin = configs
    # The board builds the compiled model when it can (auto); the twin insists on it.
    assert (board.runtime, twin.runtime) == ("auto", "aot")
    assert board.replace(runtime="aot") == twin
    assert configs[0].tflm == "auto"
    assert configs[0].quantization == "int8"  # golden outputs are int8
