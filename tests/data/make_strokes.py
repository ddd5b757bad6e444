# SPDX-License-Identifier: Apache-2.0
"""Writes tests/data/strokes/*.json: hand-drawn digit shapes as touch-panel strokes.

Each digit has one hand-made outline (points on a 100x100 pad, y down); three
recordings of it are derived the way a touch panel would report them: large on the
272x272 drawing area, slanted and narrow on a 240x240 area, and densely sampled
with a little (seeded) finger jitter on a 480x272 area. Run it from the repository
root to regenerate the files; the tests read only the JSON.
"""

from __future__ import annotations

import json
import random
from pathlib import Path

OUT = Path(__file__).resolve().parent / "strokes"

DIGITS: dict[int, list[list[tuple[int, int]]]] = {
    0: [
        [
            (50, 8),
            (70, 14),
            (80, 32),
            (80, 68),
            (70, 86),
            (50, 92),
            (30, 86),
            (20, 68),
            (20, 32),
            (30, 14),
            (50, 8),
        ]
    ],
    1: [[(38, 22), (54, 8), (52, 92)]],
    2: [
        [
            (25, 28),
            (32, 13),
            (50, 8),
            (68, 14),
            (75, 30),
            (68, 48),
            (50, 65),
            (25, 90),
            (78, 90),
        ]
    ],
    3: [
        [(25, 15), (50, 8), (72, 18), (70, 35), (50, 48)],
        [(50, 48), (74, 60), (76, 78), (55, 92), (25, 85)],
    ],
    4: [[(58, 8), (20, 65), (82, 65)], [(62, 35), (62, 95)]],
    5: [
        [
            (72, 10),
            (32, 10),
            (28, 45),
            (50, 40),
            (70, 50),
            (75, 70),
            (62, 88),
            (40, 92),
            (25, 84),
        ]
    ],
    6: [
        [
            (68, 10),
            (45, 20),
            (30, 45),
            (28, 70),
            (40, 90),
            (60, 90),
            (72, 75),
            (65, 58),
            (45, 55),
            (30, 66),
        ]
    ],
    7: [[(22, 12), (78, 12), (56, 50), (44, 92)]],
    8: [
        [
            (50, 50),
            (30, 36),
            (32, 16),
            (50, 8),
            (68, 16),
            (70, 36),
            (50, 50),
            (28, 68),
            (30, 88),
            (50, 94),
            (70, 88),
            (72, 68),
            (50, 50),
        ]
    ],
    9: [
        [
            (70, 28),
            (60, 11),
            (40, 10),
            (28, 25),
            (32, 42),
            (50, 48),
            (68, 38),
            (70, 28),
            (68, 60),
            (62, 92),
        ]
    ],
}


def _densify(
    stroke: list[tuple[float, float]], step: float
) -> list[tuple[float, float]]:
    out = [stroke[0]]
    for (x0, y0), (x1, y1) in zip(stroke, stroke[1:], strict=False):
        n = max(1, int(((x1 - x0) ** 2 + (y1 - y0) ** 2) ** 0.5 / step))
        out += [
            (x0 + (x1 - x0) * k / n, y0 + (y1 - y0) * k / n) for k in range(1, n + 1)
        ]
    return out


def recordings(digit: int) -> list[dict[str, object]]:
    shape = DIGITS[digit]
    rng = random.Random(digit)
    out = []
    # 1. Large, centred on a 272x272 area.
    out.append(
        {
            "width": 272,
            "height": 272,
            "strokes": [
                [(round(16 + x * 2.4), round(16 + y * 2.4)) for x, y in s]
                for s in shape
            ],
        }
    )
    # 2. Narrow and slanted to the right, small, on a 240x240 area.
    out.append(
        {
            "width": 240,
            "height": 240,
            "strokes": [
                [
                    (round(60 + x * 0.8 + (100 - y) * 0.25), round(40 + y * 1.3))
                    for x, y in s
                ]
                for s in shape
            ],
        }
    )
    # 3. Sampled every few pixels as a panel reports a moving finger, with jitter.
    out.append(
        {
            "width": 480,
            "height": 272,
            "strokes": [
                [
                    (
                        round(200 + x * 1.8 + rng.uniform(-1.5, 1.5)),
                        round(50 + y * 1.8 + rng.uniform(-1.5, 1.5)),
                    )
                    for x, y in _densify([(float(a), float(b)) for a, b in s], 4.0)
                ]
                for s in shape
            ],
        }
    )
    return out


def main() -> None:
    OUT.mkdir(exist_ok=True)
    for digit in DIGITS:
        for i, rec in enumerate(recordings(digit)):
            rec = {"label": digit, **rec}
            (OUT / f"digit{digit}_{i}.json").write_text(json.dumps(rec) + "\n")


if __name__ == "__main__":
    main()
