# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.monitor and the examples' ``monitor_filters = tinyml``
PlatformIO filter, on serial output captured from the emulated MNIST example."""

from __future__ import annotations

import random
import re
from pathlib import Path

import pytest

from platformio_tinyml.monitor import ResultSummary, parse_result_line

REPO = Path(__file__).resolve().parents[1]
# `pio run -e qemu -t exec` of examples/mnist_disco_f746ng (12 images, 1 epoch);
# QEMU's semihosting ends lines with LF, the boards' UARTs with CRLF.
CAPTURE = REPO / "tests" / "data" / "serial_capture.txt"


def _capture(crlf: bool) -> str:
    text = CAPTURE.read_text()
    return text.replace("\n", "\r\n") if crlf else text


FILTERS = sorted(REPO.glob("examples/*/monitor/filter_tinyml.py"))


def _expected_figures(text: str) -> tuple[int, int, int, float, int]:
    rows = [parse_result_line(line) for line in text.splitlines()]
    hits = [r for r in rows if r is not None]
    correct = sum(1 for label, expected, _, _ in hits if expected == label)
    total_us = sum(us for *_, us in hits)
    return len(hits), correct, total_us, max(us for *_, us in hits), hits[-1][0]


def _chunks(text: str, seed: int) -> list[str]:
    rng = random.Random(seed)
    out, at = [], 0
    while at < len(text):
        n = rng.randrange(1, 40)
        out.append(text[at : at + n])
        at += n
    return out


def test_capture_holds_result_lines() -> None:
    text = CAPTURE.read_text()
    assert len(re.findall(r"^TINYML image=", text, re.M)) >= 10


@pytest.mark.parametrize(("seed", "crlf"), [(1, False), (2, True), (3, True)])
def test_summary_passes_text_through_and_counts(seed: int, crlf: bool) -> None:
    text = _capture(crlf)
    summary = ResultSummary()
    shown = "".join(summary.feed(chunk) for chunk in _chunks(text, seed))
    # Every received character is passed through, in order.
    summary_lines = [ln for ln in shown.splitlines() if ln.startswith("[tinyml] ")]
    assert re.sub(r"\[tinyml\] [^\r\n]*\r?\n", "", shown) == text
    images, correct, total_us, max_us, last = _expected_figures(text)
    assert len(summary_lines) == images
    state = summary.state
    assert (state.images, state.correct, state.checked) == (images, correct, images)
    assert (state.total_us, state.max_us, state.last_label) == (total_us, max_us, last)
    assert summary_lines[-1] == state.line()
    assert (
        f"accuracy={100.0 * correct / images:.1f}% ({correct}/{images})"
        in (summary_lines[-1])
    )


def test_lines_without_expected_label_count_as_unchecked() -> None:
    summary = ResultSummary()
    out = summary.feed("boot\nTINYML image=-1 label=3 score=0.50 us=2000\nTINYML ok\n")
    assert out.splitlines() == [
        "boot",
        "TINYML image=-1 label=3 score=0.50 us=2000",
        "[tinyml] images=1 latency mean=2.00 ms max=2.00 ms last=3 (0.50)",
        "TINYML ok",
    ]


@pytest.mark.parametrize("path", FILTERS, ids=lambda p: p.parts[-3])
def test_platformio_loads_the_example_filter(path: Path) -> None:
    pytest.importorskip("platformio", reason="platformio is not installed ([pio])")
    from platformio.device.monitor.filters.base import load_monitor_filter
    from serial.tools import miniterm

    miniterm.TRANSFORMATIONS.pop("tinyml", None)
    load_monitor_filter(str(path), options={"project_dir": str(path.parents[1])})
    monitor_filter = miniterm.TRANSFORMATIONS["tinyml"]()
    text = _capture(crlf=True)
    shown = "".join(monitor_filter.rx(chunk) for chunk in _chunks(text, 4))
    expected = ResultSummary().feed(text)
    assert shown == expected
    assert shown.count("[tinyml] images=") == _expected_figures(text)[0]
