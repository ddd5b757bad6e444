# SPDX-License-Identifier: Apache-2.0
"""Drawn strokes to an MNIST-like 28x28 image, byte for byte as the firmware does it.

The twin of ``tinyml::PrepareDrawnDigit`` (``src/drawn_digit.cpp``): the strokes'
bounding box is scaled so its longer side (pen width included) spans 20 pixels,
keeping the aspect ratio; the strokes are drawn with a round pen at 4x4
supersampling (anti-aliasing by coverage); the 20x20 digit is placed in a 28x28
field with its centre of mass at the middle. Integer arithmetic only, so both give
identical bytes. No numpy: the strokes are small.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from pathlib import Path

from .errors import ImageError

__all__ = [
    "BOX",
    "PEN_RADIUS",
    "SIZE",
    "SUPERSAMPLE",
    "Stroke",
    "load_strokes",
    "prepare_drawn_digit",
]

SIZE = 28
BOX = 20
SUPERSAMPLE = 4
PEN_RADIUS = 6  # supersampled pixels
_GRID = BOX * SUPERSAMPLE
_SPAN = _GRID - 1 - 2 * PEN_RADIUS

Stroke = Sequence[tuple[int, int]]


def _draw_segment(grid: list[bytearray], ax: int, ay: int, bx: int, by: int) -> None:
    r = PEN_RADIUS
    r2 = r * r
    dx, dy = bx - ax, by - ay
    len2 = dx * dx + dy * dy
    for y in range(max(0, min(ay, by) - r), min(_GRID - 1, max(ay, by) + r) + 1):
        row = grid[y]
        for x in range(max(0, min(ax, bx) - r), min(_GRID - 1, max(ax, bx) + r) + 1):
            px, py = x - ax, y - ay
            t = px * dx + py * dy
            if len2 == 0 or t <= 0:
                inside = px * px + py * py <= r2
            elif t >= len2:
                inside = (x - bx) ** 2 + (y - by) ** 2 <= r2
            else:
                cross = px * dy - py * dx
                inside = cross * cross <= r2 * len2
            if inside:
                row[x] = 1


def prepare_drawn_digit(strokes: Sequence[Stroke]) -> bytes:
    """Render strokes (lists of ``(x, y)`` pixel points) as 28x28 uint8 bytes.

    Consecutive points of a stroke are joined; a one-point stroke is a dot.

    Raises:
        ImageError: no stroke, an empty stroke, or a negative coordinate.
    """
    if not strokes or any(len(s) == 0 for s in strokes):
        raise ImageError(
            "a drawn digit needs at least one stroke and every stroke a point; "
            "record the strokes again"
        )
    points = [(int(x), int(y)) for s in strokes for x, y in s]
    if any(x < 0 or y < 0 or x > 0xFFFF or y > 0xFFFF for x, y in points):
        raise ImageError(
            "stroke coordinates must be pixels in 0..65535; rescale the strokes"
        )
    min_x = min(x for x, _ in points)
    max_x = max(x for x, _ in points)
    min_y = min(y for _, y in points)
    max_y = max(y for _, y in points)
    width, height = max_x - min_x, max_y - min_y
    side = max(width, height)
    centre = (_GRID - 1) // 2

    def map_x(x: int) -> int:
        if side == 0:
            return centre
        off = PEN_RADIUS + _SPAN * (side - width) // (2 * side)
        return off + ((x - min_x) * 2 * _SPAN + side) // (2 * side)

    def map_y(y: int) -> int:
        if side == 0:
            return centre
        off = PEN_RADIUS + _SPAN * (side - height) // (2 * side)
        return off + ((y - min_y) * 2 * _SPAN + side) // (2 * side)

    grid = [bytearray(_GRID) for _ in range(_GRID)]
    for stroke in strokes:
        px, py = map_x(int(stroke[0][0])), map_y(int(stroke[0][1]))
        _draw_segment(grid, px, py, px, py)
        for x, y in stroke[1:]:
            qx, qy = map_x(int(x)), map_y(int(y))
            _draw_segment(grid, px, py, qx, qy)
            px, py = qx, qy

    samples = SUPERSAMPLE * SUPERSAMPLE
    box = [[0] * BOX for _ in range(BOX)]
    mass = sum_x = sum_y = 0
    for y in range(BOX):
        for x in range(BOX):
            count = sum(
                grid[y * SUPERSAMPLE + sy][x * SUPERSAMPLE + sx]
                for sy in range(SUPERSAMPLE)
                for sx in range(SUPERSAMPLE)
            )
            value = (count * 255 + samples // 2) // samples
            box[y][x] = value
            mass += value
            sum_x += x * value
            sum_y += y * value

    free = SIZE - BOX
    shift_x = shift_y = free // 2
    if mass > 0:
        shift_x = max(0, min(free, (14 * mass - sum_x) // mass))
        shift_y = max(0, min(free, (14 * mass - sum_y) // mass))
    out = bytearray(SIZE * SIZE)
    for y in range(BOX):
        start = (y + shift_y) * SIZE + shift_x
        out[start : start + BOX] = bytes(box[y])
    return bytes(out)


def load_strokes(path: Path) -> tuple[tuple[int, int], list[list[tuple[int, int]]]]:
    """Read a strokes file: ``{"width": W, "height": H, "strokes": [[[x, y], ...]]}``.

    Returns the drawing area ``(width, height)`` and the strokes.

    Raises:
        ImageError: the file is not such JSON, or a point lies outside the area.
    """
    try:
        data = json.loads(Path(path).read_text())
        width, height = int(data["width"]), int(data["height"])
        strokes = [[(int(p[0]), int(p[1])) for p in s] for s in data["strokes"]]
    except (OSError, ValueError, KeyError, TypeError, IndexError) as exc:
        raise ImageError(
            f"strokes file '{path}' is unreadable ({exc}); write JSON with "
            '"width", "height" and "strokes": [[[x, y], ...], ...]'
        ) from exc
    for stroke in strokes:
        for x, y in stroke:
            if not (0 <= x < width and 0 <= y < height):
                raise ImageError(
                    f"strokes file '{path}' has point ({x}, {y}) outside its "
                    f"{width}x{height} area; fix the point or the area size"
                )
    return (width, height), strokes
