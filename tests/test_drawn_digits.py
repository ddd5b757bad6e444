# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.drawn_digits, and byte equality with the firmware's
tinyml::PrepareDrawnDigit (src/drawn_digit.cpp) built for the host."""

from __future__ import annotations

import json
import random
import shutil
import struct
import subprocess
from pathlib import Path

import numpy as np
import pytest

from platformio_tinyml.drawn_digits import load_strokes, prepare_drawn_digit
from platformio_tinyml.errors import ImageError

REPO = Path(__file__).resolve().parents[1]
STROKES = sorted((REPO / "tests" / "data" / "strokes").glob("*.json"))
Strokes = list[list[tuple[int, int]]]


def _image(strokes: Strokes) -> np.ndarray:
    return np.frombuffer(prepare_drawn_digit(strokes), np.uint8).reshape(28, 28)


def test_test_data_has_three_recordings_per_digit() -> None:
    labels = [json.loads(p.read_text())["label"] for p in STROKES]
    assert sorted(labels) == sorted(list(range(10)) * 3)


@pytest.mark.parametrize("path", STROKES, ids=lambda p: p.stem)
def test_digit_fills_20_pixels_centred_by_mass(path: Path) -> None:
    _, strokes = load_strokes(path)
    img = _image(strokes).astype(np.int64)
    ys, xs = np.nonzero(img)
    height, width = ys.max() - ys.min() + 1, xs.max() - xs.min() + 1
    assert max(height, width) in (19, 20, 21)  # anti-aliased edges
    mass = img.sum()
    cy = (img.sum(axis=1) * np.arange(28)).sum() / mass
    cx = (img.sum(axis=0) * np.arange(28)).sum() / mass
    assert abs(cx - 13.5) <= 0.5 and abs(cy - 13.5) <= 0.5
    assert img.max() == 255 and len(np.unique(img)) > 5  # grey edges


def test_aspect_ratio_is_kept() -> None:
    tall = _image([[(10, 0), (10, 300)]])
    ys, xs = np.nonzero(tall)
    assert ys.max() - ys.min() + 1 == 20
    assert xs.max() - xs.min() + 1 <= 4  # the pen width, not stretched


def test_single_dot_is_a_centred_disc() -> None:
    img = _image([[(7, 7)]])
    assert img[13:15, 13:15].min() == 255
    assert np.array_equal(img, img.T)
    assert 10 < np.count_nonzero(img) < 20  # a pen-sized disc


@pytest.mark.parametrize("strokes", [[], [[]], [[(1, 2)], []], [[(-1, 2)]]])
def test_bad_strokes_are_rejected(strokes: Strokes) -> None:
    with pytest.raises(ImageError):
        prepare_drawn_digit(strokes)


def test_load_strokes_checks_the_area(tmp_path: Path) -> None:
    path = tmp_path / "s.json"
    path.write_text(json.dumps({"width": 10, "height": 10, "strokes": [[[3, 10]]]}))
    with pytest.raises(ImageError, match="outside its 10x10 area"):
        load_strokes(path)
    path.write_text("{")
    with pytest.raises(ImageError, match="unreadable"):
        load_strokes(path)


def _random_strokes(rng: random.Random) -> Strokes:
    limit = rng.choice([1, 30, 300, 4000, 65535])
    out = []
    for _ in range(rng.randrange(1, 5)):
        x, y = rng.randrange(limit), rng.randrange(limit)
        stroke = [(x, y)]
        for _ in range(rng.randrange(0, 40)):
            x = min(
                limit - 1, max(0, x + rng.randrange(-limit // 8 - 1, limit // 8 + 2))
            )
            y = min(
                limit - 1, max(0, y + rng.randrange(-limit // 8 - 1, limit // 8 + 2))
            )
            stroke.append((x, y))
        out.append(stroke)
    return out


@pytest.mark.compiler
def test_cpp_and_python_give_identical_bytes(tmp_path: Path) -> None:
    if shutil.which("g++") is None:
        pytest.skip("host g++ is not installed (apt-get install g++)")
    exe = tmp_path / "drawn_digit"
    subprocess.run(
        ["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-O1"]
        + ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
        + [f"-I{REPO / 'include'}", str(REPO / "tests/host/drawn_digit_harness.cpp")]
        + [str(REPO / "src/drawn_digit.cpp"), "-o", str(exe)],
        check=True,
    )
    rng = random.Random(7)
    cases = [load_strokes(p)[1] for p in STROKES]
    cases += [_random_strokes(rng) for _ in range(300)]
    cases += [[[(0, 0), (65535, 65535)]], [[(5, 5)] * 3], [[(0, 9)], [(9, 0)]]]
    stdin = bytearray()
    for strokes in cases:
        stdin += struct.pack("<H", len(strokes))
        for stroke in strokes:
            stdin += struct.pack("<H", len(stroke))
            stdin += b"".join(struct.pack("<HH", x, y) for x, y in stroke)
    proc = subprocess.run([str(exe)], input=bytes(stdin), capture_output=True)
    assert proc.returncode == 0, proc.stderr.decode()[-2000:]
    assert len(proc.stdout) == 784 * len(cases)
    for i, strokes in enumerate(cases):
        assert proc.stdout[784 * i : 784 * (i + 1)] == prepare_drawn_digit(strokes), i
