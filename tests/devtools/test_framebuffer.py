# SPDX-License-Identifier: Apache-2.0
"""Tests of devtools.framebuffer, including a dump from the real runtime."""

from __future__ import annotations

import shutil
import struct
import subprocess
from pathlib import Path

import pytest

from devtools.framebuffer import (
    decode_framebuffer,
    framebuffer_to_png,
    read_framebuffer,
)
from platformio_tinyml.errors import ImageError

REPO = Path(__file__).resolve().parents[2]

# A 2x1 RGB565 frame: red, then 0x8410 (r5=16, g6=32, b5=16).
TEST_RGB565 = struct.pack("<4sBBHII", b"TMFB", 1, 0, 0, 2, 1) + struct.pack(
    "<HH", 0xF800, 0x8410
)
RGB565_EXPECTED = [(255, 0, 0), (132, 130, 132)]
# A 1x2 ARGB8888 frame.
TEST_ARGB8888 = struct.pack("<4sBBHII", b"TMFB", 1, 1, 0, 1, 2) + struct.pack(
    "<II", 0xFF123456, 0x80ABCDEF
)
ARGB8888_EXPECTED = [(0x12, 0x34, 0x56), (0xAB, 0xCD, 0xEF)]


def test_decode_rgb565() -> None:
    image = decode_framebuffer(TEST_RGB565)
    assert image.size == (2, 1) and image.mode == "RGB"
    assert [image.getpixel((x, 0)) for x in range(2)] == RGB565_EXPECTED


def test_decode_argb8888() -> None:
    image = decode_framebuffer(TEST_ARGB8888)
    assert image.size == (1, 2)
    assert [image.getpixel((0, y)) for y in range(2)] == ARGB8888_EXPECTED


@pytest.mark.parametrize(
    ("data", "fragment"),
    [
        (b"PNG\x00" + TEST_RGB565[4:], "no 'TMFB' header"),
        (TEST_RGB565[:4] + b"\x02" + TEST_RGB565[5:], "version '2'"),
        (TEST_RGB565[:5] + b"\x07" + TEST_RGB565[6:], "pixel format '7'"),
        (TEST_RGB565[:-1], "'19' bytes, expected 20"),
        (struct.pack("<4sBBHII", b"TMFB", 1, 0, 0, 0, 5), "size '0x5'"),
    ],
)
def test_malformed_dumps_are_rejected(data: bytes, fragment: str) -> None:
    with pytest.raises(ImageError, match=fragment):
        decode_framebuffer(data, "frame.bin")


def test_missing_file(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="cannot read framebuffer .*missing.bin"):
        read_framebuffer(tmp_path / "missing.bin")


def test_framebuffer_to_png(tmp_path: Path) -> None:
    from PIL import Image

    src = tmp_path / "frame.bin"
    src.write_bytes(TEST_RGB565)
    dst = framebuffer_to_png(src, tmp_path / "out" / "frame.png")
    with Image.open(dst) as png:
        assert png.format == "PNG"
        assert [png.convert("RGB").getpixel((x, 0)) for x in range(2)] == (
            RGB565_EXPECTED
        )


# --- A frame drawn by the real runtime and written by the QEMU display backend ---

_SCENE = r"""
#include "tinyml/canvas.h"
#include "tinyml/display.h"

// An 8x8 1bpp "7", MSB first.
static const unsigned char kSeven[8] = {0x7E, 0x02, 0x04, 0x08,
                                        0x10, 0x10, 0x10, 0x00};

int main() {
  tinyml::Canvas canvas;
  if (!tinyml::DisplayBegin(canvas)) return 1;
  const tinyml::ResultView view{kSeven, tinyml::PixelFormat::kGray1bpp, 8, 8,
                                1, 7, "7", 0.98f, 12345};
  canvas.DrawResult(view, tinyml::kColorWhite, 0xFF202060u);
  tinyml::DisplayFlush(canvas);
  return 0;
}
"""
_RUNTIME = ["src/canvas.cpp", "src/font.cpp", "src/image_input.cpp", "src/timing.cpp"]
# On the host, the emulated M7's SysTick clock (platform startup code) is replaced
# by a fixed tick count; the backend only installs it as the latency source.
_HOST_CLOCK = 'extern "C" unsigned tinyml_qemu_ticks(void) { return 0; }\n'
_BACKEND = "src/boards/mps2_an500/display.cpp"


@pytest.mark.compiler
def test_qemu_backend_dump_of_a_result_screen(tmp_path: Path) -> None:
    if shutil.which("g++") is None:
        pytest.skip("host g++ is not on PATH")
    scene = tmp_path / "scene.cpp"
    scene.write_text(_SCENE + _HOST_CLOCK)
    dump = tmp_path / "frame.tmfb"
    build = subprocess.run(
        [
            "g++",
            "-std=c++17",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-fno-exceptions",
            "-fno-rtti",
            f"-I{REPO / 'include'}",
            f"-I{REPO / 'platforms' / 'qemu_mps2_an500' / 'startup'}",
            f'-DTINYML_FRAMEBUFFER_PATH="{dump}"',
            str(scene),
            *(str(REPO / s) for s in [*_RUNTIME, _BACKEND]),
            "-o",
            str(tmp_path / "scene"),
        ],
        capture_output=True,
        text=True,
        timeout=180,
    )
    assert build.returncode == 0, build.stderr
    run = subprocess.run([str(tmp_path / "scene")], timeout=60)
    assert run.returncode == 0

    image = read_framebuffer(dump)
    assert image.size == (480, 272)  # the backend's built-in RGB565 framebuffer
    png = framebuffer_to_png(dump, tmp_path / "frame.png")
    assert png.stat().st_size > 0
    background = (0x21, 0x20, 0x63)  # 0xFF202060 through RGB565 and back
    assert image.getpixel((0, 0)) == background
    # Layout: margin 6; the headline fits at text scale 2 (27 chars -> 322 px), so
    # the text takes 3 * 18 rows and the image scale is (272 - 18 - 54) // 8 = 25:
    # a 200x200 image at x = (480 - 200) // 2 = 140, y = 6.
    assert image.getpixel((140, 6)) == (0, 0, 0)  # "7" row 0, column 0 is off
    assert image.getpixel((140 + 25 + 12, 6 + 12)) == (255, 255, 255)  # column 1
    assert image.getpixel((139, 6)) == background
    assert image.getpixel((340, 6)) == background
    # Text rows below the image hold white ink and nothing else but background.
    text = image.crop((0, 6 + 200 + 6, 480, 272))
    colors = {c for _, c in text.getcolors(maxcolors=16) or []}
    assert colors == {background, (255, 255, 255)}
