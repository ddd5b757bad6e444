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


def _red_pixels(png: bytes) -> int:
    """Pixels close to matplotlib's tab:red (214, 39, 40)."""
    import io

    import numpy as np

    with Image.open(io.BytesIO(png)) as img:
        rgb = np.asarray(img.convert("RGB")).astype(int)
    close = np.abs(rgb - np.array([214, 39, 40])).sum(axis=2) < 60
    return int(close.sum())


def test_over_budget_is_named_and_red_in_the_figure() -> None:
    pytest.importorskip("matplotlib", reason="the report needs the [report] extra")
    from platformio_tinyml._deps import require
    from platformio_tinyml.report import _figure_budget

    require("matplotlib").use("Agg")
    plt = require("matplotlib.pyplot")
    limits = BoardLimits("disco_f746ng", 1_048_576, 327_680)
    fits = estimate_budget(limits, 100_000, 40_000)
    over = estimate_budget(limits, 1_677_456, 40_000)
    assert fits.over_budget() == ()
    (line,) = over.over_budget()
    assert (
        f"{100.0 * over.flash_used / limits.flash_bytes:.1f}% of disco_f746ng's" in line
    )
    # The 100% line is red in both; the over-budget share and label add much more.
    assert _red_pixels(_figure_budget(over, plt)) > 5 * _red_pixels(
        _figure_budget(fits, plt)
    )


def test_external_model_does_not_count_against_internal_flash() -> None:
    from platformio_tinyml.pio.plan import check_budget, model_in_internal_flash

    limits = BoardLimits("disco_f746ng", 1_048_576, 327_680)
    for cfg in (
        TinyMLConfig(model_address=0x90000000),
        TinyMLConfig(model_section="qspi"),
    ):
        in_flash = model_in_internal_flash(cfg)
        assert not in_flash
        budget = check_budget(
            estimate_budget(limits, 1_677_456, 40_000, model_in_flash=in_flash)
        )
        assert budget.model_external
        assert budget.over_budget() == ()
    assert model_in_internal_flash(TinyMLConfig())


def test_report_cli_says_over_budget_on_the_terminal(
    tiny_int8_model,  # type: ignore[no-untyped-def]
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    pytest.importorskip("matplotlib", reason="the report needs the [report] extra")
    import json

    from platformio_tinyml.cli import main

    # A board whose flash is smaller than the model: a manifest in a private core dir.
    boards_dir = tmp_path / "core" / "platforms" / "tiny" / "boards"
    boards_dir.mkdir(parents=True)
    manifest = {"upload": {"maximum_size": 50_000, "maximum_ram_size": 65_536}}
    (boards_dir / "tiny_board.json").write_text(json.dumps(manifest))
    monkeypatch.setenv("PLATFORMIO_CORE_DIR", str(tmp_path / "core"))
    model = tmp_path / "digits.tflite"
    shutil.copy(tiny_int8_model.tflite_path, model)
    argv = ["--cache-dir", str(tmp_path / "cache"), "report", "--model", str(model)]
    argv += ["--images", "4", "--board", "tiny_board", "--out-dir", str(tmp_path / "r")]
    assert main(argv) == 0
    err = capsys.readouterr().err
    assert "warning: over budget: flash use" in err
    assert "of tiny_board's 50,000 B flash" in err
