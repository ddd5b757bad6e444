# SPDX-License-Identifier: Apache-2.0
"""A running summary of the firmware's ``TINYML`` result lines, for serial monitors.

:class:`ResultSummary` is the logic behind ``monitor_filters = tinyml`` in
``pio device monitor`` (the thin PlatformIO filter class lives in a project's
``monitor/filter_tinyml.py``). Text passes through unchanged; after each inference
line a summary line follows::

    TINYML image=11 label=7 expected=7 score=0.98 us=1234
    [tinyml] images=12 accuracy=91.7% (11/12) latency mean=1.23 ms max=1.50 ms
    last=7 (0.98)

(the summary is one line; wrapped here).
"""

from __future__ import annotations

import re
from dataclasses import dataclass

__all__ = ["ResultSummary", "SummaryState", "parse_result_line"]

_LINE_RE = re.compile(
    r"^TINYML image=(-?\d+) label=(-?\d+)(?: expected=(\d+))? "
    r"score=(-?\d+\.\d+) us=(\d+)\s*$"
)


@dataclass(frozen=True)
class SummaryState:
    """The figures shown after each result line."""

    images: int = 0
    checked: int = 0
    correct: int = 0
    total_us: int = 0
    max_us: int = 0
    last_label: int = -1
    last_score: float = 0.0

    def line(self) -> str:
        parts = [f"[tinyml] images={self.images}"]
        if self.checked:
            pct = 100.0 * self.correct / self.checked
            parts.append(f"accuracy={pct:.1f}% ({self.correct}/{self.checked})")
        if self.images:
            mean_ms = self.total_us / self.images / 1000.0
            parts.append(
                f"latency mean={mean_ms:.2f} ms max={self.max_us / 1000.0:.2f} ms"
            )
            parts.append(f"last={self.last_label} ({self.last_score:.2f})")
        return " ".join(parts)


def parse_result_line(line: str) -> tuple[int, int | None, float, int] | None:
    """``(label, expected or None, score, us)`` of an inference line, else None."""
    m = _LINE_RE.match(line.strip("\r\n"))
    if m is None:
        return None
    expected = int(m.group(3)) if m.group(3) is not None else None
    return int(m.group(2)), expected, float(m.group(4)), int(m.group(5))


class ResultSummary:
    """Feed received text; get it back with summary lines inserted."""

    def __init__(self) -> None:
        self.state = SummaryState()
        self._partial = ""

    def feed(self, text: str) -> str:
        out: list[str] = []
        for piece in text.splitlines(keepends=True):
            out.append(piece)
            if not piece.endswith(("\n", "\r")):
                self._partial += piece
                continue
            line, self._partial = self._partial + piece, ""
            parsed = parse_result_line(line)
            if parsed is None:
                continue
            label, expected, score, us = parsed
            s = self.state
            checked = s.checked + (expected is not None)
            self.state = SummaryState(
                images=s.images + 1,
                checked=checked,
                correct=s.correct + (expected is not None and expected == label),
                total_us=s.total_us + us,
                max_us=max(s.max_us, us),
                last_label=label,
                last_score=score,
            )
            newline = "\r\n" if piece.endswith("\r\n") else "\n"
            out.append(self.state.line() + newline)
        return "".join(out)
