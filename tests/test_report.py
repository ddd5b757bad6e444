# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.report: figures and page from a small model."""

from __future__ import annotations

import re
import shutil
from pathlib import Path

import pytest
from PIL import Image

from platformio_tinyml.boards import BoardLimits, estimate_budget
from platformio_tinyml.config import TinyMLConfig
from platformio_tinyml.model_info import read_model
from platformio_tinyml.report import layer_costs, write_report

pytestmark = [pytest.mark.tflm]


def test_report_renders_decodable_figures(tiny_int8_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("matplotlib", reason="the report needs the [report] extra")
    model = tmp_path / "digits.tflite"
    shutil.copy(tiny_int8_model.tflite_path, model)
    cfg = TinyMLConfig(
        model=str(model), images=6, image_format="uint8", verify_samples=100
    )
    budget = estimate_budget(
        BoardLimits("disco_f746ng", 1_048_576, 327_680),
        len(tiny_int8_model.tflite),
        5000,
    )
    out = tmp_path / "report"
    page = write_report(cfg, out, cache_dir=tmp_path / "cache", budget=budget)

    html = page.read_text()
    figures = re.findall(r'<img src="([^"]+)"', html)
    assert sorted(figures) == [
        "budget.png",
        "confusion.png",
        "images.png",
        "layers.png",
    ]
    for name in figures:
        with Image.open(out / name) as img:
            img.load()
            assert img.format == "PNG" and img.width > 100 and img.height > 100
    assert "disco_f746ng" not in html or "flash" in html
    assert "FULLY_CONNECTED" in html
    assert f"{len(tiny_int8_model.tflite):,}" in html


def test_layer_costs_follow_the_model(tiny_int8_model) -> None:  # type: ignore[no-untyped-def]
    info = read_model(tiny_int8_model.tflite)
    rows = layer_costs(info)
    assert [r[0].split(":", 1)[1] for r in rows] == [op.name for op in info.ops]
    assert sum(r[1] for r in rows) == info.macs
    # int8 activations: one byte per output element of each op.
    first = info.ops[0]
    elements = 1
    for dim in first.output_shapes[0]:
        elements *= dim
    assert rows[0][2] == elements


def test_budget_sums() -> None:
    budget = estimate_budget(
        BoardLimits("disco_f746ng", 1_048_576, 327_680), 100_000, 40_000
    )
    assert budget.flash_used == 100_000 + budget.code_bytes
    assert budget.ram_used == 40_000 + budget.other_ram_bytes
    assert not budget.measured
