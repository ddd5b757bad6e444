# SPDX-License-Identifier: Apache-2.0
"""Convert framebuffer dumps written by the QEMU display backend to PNG images.

The firmware's ``src/boards/mps2_an500/display.cpp`` writes each flushed frame
to a host file through semihosting: a 16-byte header (magic ``TMFB``, version 1,
pixel format, reserved, width and height as little-endian uint32) followed by the
pixels row by row (RGB565 as little-endian uint16, or ARGB8888 as little-endian
uint32 ``0xAARRGGBB``).
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from platformio_tinyml.errors import ImageError
from platformio_tinyml.fileio import write_atomic

if TYPE_CHECKING:
    from PIL import Image

__all__ = [
    "FORMAT_ARGB8888",
    "FORMAT_RGB565",
    "MAGIC",
    "decode_framebuffer",
    "framebuffer_to_png",
    "read_framebuffer",
]

MAGIC = b"TMFB"
VERSION = 1
FORMAT_RGB565 = 0
FORMAT_ARGB8888 = 1
_HEADER = struct.Struct("<4sBBHII")
_BYTES_PER_PIXEL = {FORMAT_RGB565: 2, FORMAT_ARGB8888: 4}
_MAX_SIDE = 8192


def decode_framebuffer(data: bytes, name: str = "<bytes>") -> Image.Image:
    """Decode the bytes of a framebuffer dump into an RGB image.

    Args:
        data: the whole file.
        name: what to call the data in error messages (usually its path).

    Returns:
        A Pillow ``RGB`` image of the frame. RGB565 channels are expanded with bit
        replication, as the runtime's ``FromRgb565`` does.

    Raises:
        ImageError: the data is not a complete framebuffer dump.
    """
    from PIL import Image

    if len(data) < _HEADER.size or data[:4] != MAGIC:
        raise ImageError(
            f"'{name}' is not a tinyml framebuffer dump (no 'TMFB' header); pass the "
            "file written by the firmware's DisplayFlush()"
        )
    _, version, fmt, _, width, height = _HEADER.unpack_from(data)
    if version != VERSION:
        raise ImageError(
            f"framebuffer '{name}' has version '{version}', expected {VERSION}; "
            "update platformio-tinyml to match the firmware"
        )
    if fmt not in _BYTES_PER_PIXEL:
        raise ImageError(
            f"framebuffer '{name}' has pixel format '{fmt}'; expected 0 (RGB565) or "
            "1 (ARGB8888)"
        )
    if not (0 < width <= _MAX_SIDE and 0 < height <= _MAX_SIDE):
        raise ImageError(
            f"framebuffer '{name}' has size '{width}x{height}'; both sides must be "
            f"1..{_MAX_SIDE}: the file is corrupt"
        )
    expected = _HEADER.size + width * height * _BYTES_PER_PIXEL[fmt]
    if len(data) != expected:
        raise ImageError(
            f"framebuffer '{name}' is '{len(data)}' bytes, expected {expected} for "
            f"{width}x{height}; the dump is truncated: flush the display again"
        )
    pixels = data[_HEADER.size :]
    rgb: np.ndarray
    if fmt == FORMAT_RGB565:
        words = np.frombuffer(pixels, dtype="<u2").reshape(height, width)
        r5 = (words >> 11) & 0x1F
        g6 = (words >> 5) & 0x3F
        b5 = words & 0x1F
        rgb = np.stack(
            [(r5 << 3) | (r5 >> 2), (g6 << 2) | (g6 >> 4), (b5 << 3) | (b5 >> 2)],
            axis=-1,
        ).astype(np.uint8)
    else:
        argb = np.frombuffer(pixels, dtype="<u4").reshape(height, width)
        rgb = np.stack(
            [(argb >> 16) & 0xFF, (argb >> 8) & 0xFF, argb & 0xFF], axis=-1
        ).astype(np.uint8)
    return Image.fromarray(rgb)


def read_framebuffer(path: Path) -> Image.Image:
    """Read a framebuffer dump file into an RGB image.

    Raises:
        ImageError: the file is missing, unreadable or not a complete dump.
    """
    path = Path(path)
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ImageError(
            f"cannot read framebuffer '{path}': {exc.strerror or exc}; run the "
            "firmware (it writes the file on DisplayFlush) or fix the path"
        ) from exc
    return decode_framebuffer(data, str(path))


def framebuffer_to_png(src: Path, dst: Path) -> Path:
    """Convert a framebuffer dump to a PNG file (written atomically).

    Returns:
        ``dst``.

    Raises:
        ImageError: ``src`` is not a readable, complete dump.
    """
    image = read_framebuffer(src)
    buffer = io.BytesIO()
    image.save(buffer, format="PNG")
    write_atomic(Path(dst), buffer.getvalue())
    return Path(dst)
