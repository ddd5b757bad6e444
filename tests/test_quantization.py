# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.quantization: float32 and full-int8 conversion."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from platformio_tinyml.datasets import Dataset
from platformio_tinyml.errors import (
    DatasetError,
    ModelError,
    ModelSourceError,
    QuantizationError,
)
from platformio_tinyml.model_info import TensorInfo, read_model
from platformio_tinyml.quantization import convert_model

pytestmark = pytest.mark.tensorflow

# tensorflow-pipeline.md: with batch 1 the dense MNIST graph has exactly these ops.
DENSE_OPS_EXPECTED = ["RESHAPE", "FULLY_CONNECTED", "FULLY_CONNECTED", "SOFTMAX"]


def _op_names(data: bytes) -> list[str]:
    return [op.name for op in read_model(data).ops]


def read_io_specs(data: bytes) -> tuple[TensorInfo, TensorInfo]:
    info = read_model(data)
    return info.input, info.output


def test_int8_model_has_int8_io_and_minimal_ops(tiny_int8_model) -> None:  # type: ignore[no-untyped-def]
    spec_in, spec_out = read_io_specs(tiny_int8_model.tflite)
    assert spec_in.dtype == "int8" and spec_out.dtype == "int8"
    assert spec_in.shape == (1, 28, 28, 1) and spec_out.shape == (1, 10)
    # Inputs are pixel/255 in [0, 1]: the calibrated range maps 0 -> -128.
    assert spec_in.scale is not None
    assert spec_in.zero_point == -128
    assert spec_in.scale == pytest.approx(1 / 255, rel=0.02)
    # Softmax output in [0, 1): TFLite fixes scale 1/256, zero point -128.
    assert (spec_out.scale, spec_out.zero_point) == (1 / 256, -128)
    assert _op_names(tiny_int8_model.tflite) == DENSE_OPS_EXPECTED


def test_float32_conversion(tiny_float_model) -> None:  # type: ignore[no-untyped-def]
    spec_in, spec_out = read_io_specs(tiny_float_model.tflite)
    assert spec_in.dtype == "float32" and spec_out.dtype == "float32"
    assert spec_in.scale is None
    assert _op_names(tiny_float_model.tflite) == DENSE_OPS_EXPECTED
    # float32 weights: about 4x the int8 size.
    assert len(tiny_float_model.tflite) > 3 * 100_000


def test_conversion_is_deterministic(tiny_int8_model) -> None:  # type: ignore[no-untyped-def]
    again = convert_model(
        tiny_int8_model.keras_path,
        quantization="int8",
        dataset=tiny_int8_model.dataset,
        representative_samples=100,
    )
    assert again == tiny_int8_model.tflite


def test_tflite_source_passes_through(tiny_int8_model, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    out = convert_model(tiny_int8_model.tflite_path, quantization="int8", dataset=None)
    assert out == tiny_int8_model.tflite
    truncated = tmp_path / "truncated.tflite"
    truncated.write_bytes(tiny_int8_model.tflite[: len(tiny_int8_model.tflite) // 2])
    with pytest.raises(ModelError, match="truncated"):
        convert_model(truncated, quantization="int8", dataset=None)
    text = tmp_path / "notes.tflite"
    text.write_text("hello, not a model\n")
    with pytest.raises(ModelError, match="not a TFLite flatbuffer"):
        convert_model(text, quantization="int8", dataset=None)


def test_converted_bytes_are_checked_by_the_one_reader(tmp_path: Path) -> None:
    short = tmp_path / "short.tflite"
    short.write_bytes(b"\x00" * 4)
    with pytest.raises(ModelError, match="truncated"):
        convert_model(short, quantization="int8", dataset=None)
    garbage = tmp_path / "garbage.tflite"
    garbage.write_bytes(b"\xff\xff\xff\x7fTFL3" + b"\x00" * 32)
    with pytest.raises(ModelError, match="not a valid TFLite flatbuffer"):
        convert_model(garbage, quantization="int8", dataset=None)


@pytest.mark.parametrize("mode", ["dynamic", "dynamic_range"])
def test_dynamic_range_is_refused_with_the_reason(tiny_int8_model, mode: str) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QuantizationError, match="TFLM cannot allocate"):
        convert_model(tiny_int8_model.keras_path, quantization=mode, dataset=None)


def test_bad_requests(
    tiny_int8_model, synthetic_dataset: Dataset, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(QuantizationError, match="'int4' is not one of int8, float32"):
        convert_model(tiny_int8_model.keras_path, quantization="int4", dataset=None)
    with pytest.raises(QuantizationError, match="needs a dataset"):
        convert_model(tiny_int8_model.keras_path, quantization="int8", dataset=None)
    with pytest.raises(ModelSourceError, match="does not exist"):
        convert_model(tmp_path / "missing.keras", quantization="float32", dataset=None)
    junk = tmp_path / "junk.keras"
    junk.write_bytes(b"PK\x03\x04 definitely not a keras zip")
    with pytest.raises(ModelError, match="cannot load Keras model"):
        convert_model(junk, quantization="float32", dataset=None)
    onnx = tmp_path / "model.onnx"
    onnx.write_bytes(b"\x08\x07")
    with pytest.raises(ModelSourceError, match="unsupported type '.onnx'"):
        convert_model(onnx, quantization="float32", dataset=None)


def test_dataset_shape_mismatch(tiny_int8_model, synthetic_dataset: Dataset) -> None:  # type: ignore[no-untyped-def]
    import dataclasses

    rgb = dataclasses.replace(
        synthetic_dataset,
        name="rgb",
        x_train=np.zeros((4, 32, 32, 3), np.uint8),
        x_test=np.zeros((4, 32, 32, 3), np.uint8),
    )
    with pytest.raises(DatasetError, match="'32x32x3' but model .* takes '28x28x1'"):
        convert_model(tiny_int8_model.keras_path, quantization="int8", dataset=rgb)
    with pytest.raises(DatasetError, match="takes '28x28x1'"):
        convert_model(tiny_int8_model.tflite_path, quantization="int8", dataset=rgb)


def test_saved_model_and_h5_with_dynamic_batch(
    synthetic_dataset: Dataset, tmp_path: Path
) -> None:
    from platformio_tinyml.zoo import build_model

    model = build_model("mnist_dense", batch_size=None)
    model.save(tmp_path / "dense.h5")
    model.export(tmp_path / "saved")
    for source in (tmp_path / "dense.h5", tmp_path / "saved"):
        data = convert_model(
            source,
            quantization="int8",
            dataset=synthetic_dataset,
            representative_samples=20,
        )
        spec_in, _ = read_io_specs(data)
        assert spec_in.dtype == "int8" and spec_in.shape == (1, 28, 28, 1)
        # Re-traced with batch 1: no SHAPE/STRIDED_SLICE/PACK before the FC layers.
        assert _op_names(data) == DENSE_OPS_EXPECTED
