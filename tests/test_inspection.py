# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.inspection: the inspect dict, the table and the CLI."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from platformio_tinyml.cli import main
from platformio_tinyml.errors import ModelError
from platformio_tinyml.inspection import format_table, inspect_model

DATA = Path(__file__).resolve().parent / "data"
TINY_INT8 = DATA / "tiny_cnn_int8.tflite"


def _has_tflm() -> bool:
    try:
        import tflite_micro  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.mark.tflm
def test_inspect_int8_model() -> None:
    if not _has_tflm():
        pytest.skip("tflite_micro is not installed (the [verify] extra)")
    result = inspect_model(TINY_INT8)
    assert result["model_bytes"] == TINY_INT8.stat().st_size
    assert result["macs"] == 4800
    assert [op["name"] for op in result["ops"]] == [
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "MAX_POOL_2D",
        "RESHAPE",
        "FULLY_CONNECTED",
        "SOFTMAX",
    ]
    assert all(op["count"] == 1 and op["supported"] for op in result["ops"])
    assert result["input"]["shape"] == [1, 8, 8, 1]
    assert result["input"]["dtype"] == "int8"
    assert result["output"]["zero_point"] == -128
    assert result["unsupported_ops"] == []
    # The real TFLM interpreter allocates this model in a few KB: more than its
    # largest activation pair (8*8*4 int8 twice) and far below 64 KiB.
    assert 512 < result["arena_bytes"] < 65536
    assert result["accuracy"] is None
    json.dumps(result)  # JSON-ready
    table = format_table(result)
    assert "DEPTHWISE_CONV_2D" in table and "4,800" in table and "arena" in table


@pytest.mark.tflm
def test_inspect_with_dataset_reports_accuracy() -> None:
    if not _has_tflm():
        pytest.skip("tflite_micro is not installed (the [verify] extra)")
    from platformio_tinyml.datasets import Dataset

    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(20, 8, 8, 1), dtype=np.uint8)
    labels = rng.integers(0, 3, size=20).astype(np.int64)
    dataset = Dataset(
        "folder:tiny",
        images,
        labels,
        images,
        labels,
        ("a", "b", "c"),
        "random 8x8 images",
        "test",
    )
    result = inspect_model(TINY_INT8, dataset=dataset, samples=20)
    assert 0.0 <= result["accuracy"] <= 1.0
    assert result["accuracy_samples"] == 20
    assert "accuracy" in format_table(result)


def test_inspect_rejects_non_models(tmp_path: Path) -> None:
    path = tmp_path / "notes.tflite"
    path.write_text("not a model at all, just text\n")
    with pytest.raises(ModelError, match="looks like a text file"):
        inspect_model(path)


def test_format_table_marks_unsupported_ops() -> None:
    result = {
        "model": "m.tflite",
        "model_bytes": 10,
        "sha256": "ab" * 32,
        "macs": 0,
        "input": {
            "shape": [1, 4],
            "dtype": "float32",
            "scale": None,
            "zero_point": None,
        },
        "output": {
            "shape": [1, 2],
            "dtype": "float32",
            "scale": None,
            "zero_point": None,
        },
        "ops": [
            {"name": "TOPK_V2", "version": 1, "count": 2, "macs": 0, "supported": False}
        ],
        "arena_bytes": None,
        "accuracy": None,
        "notes": ["TFLM has no kernel for TOPK_V2"],
    }
    table = format_table(result)
    assert "not measured" in table
    row = next(line for line in table.splitlines() if line.startswith("TOPK_V2"))
    assert row.split()[-1] == "NO"
    assert "note: TFLM has no kernel for TOPK_V2" in table


@pytest.mark.tflm
def test_cli_inspect_json(capsys: pytest.CaptureFixture[str]) -> None:
    if not _has_tflm():
        pytest.skip("tflite_micro is not installed (the [verify] extra)")
    assert main(["inspect", str(TINY_INT8), "--json"]) == 0
    assert json.loads(capsys.readouterr().out)["macs"] == 4800


def test_cli_inspect_error_exit_code(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    empty = tmp_path / "empty.tflite"
    empty.write_bytes(b"")
    assert main(["inspect", str(empty)]) == 2
    assert "error: model" in capsys.readouterr().err


@pytest.mark.tflm
def test_inspect_says_how_many_images_and_how_they_were_held_out(
    tmp_path: Path,
) -> None:
    if not _has_tflm():
        pytest.skip("tflite_micro is not installed (the [verify] extra)")
    from PIL import Image

    from platformio_tinyml.datasets import load_dataset

    for c, cls in enumerate(("a", "b", "c")):
        (tmp_path / "ds" / cls).mkdir(parents=True)
        for i in range(10):
            Image.new("L", (8, 8), 80 * c + i).save(tmp_path / "ds" / cls / f"{i}.png")
    dataset = load_dataset(f"folder:{tmp_path / 'ds'}")
    result = inspect_model(TINY_INT8, dataset=dataset, samples=0)
    assert result["accuracy_samples"] == len(dataset.y_test) == 6  # 20% of 3 x 10
    table = format_table(result)
    assert ": 6 test images (TFLM)" in table
    assert "20% of each class held out by file-name hash (6 of 30 images" in table
