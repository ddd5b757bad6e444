# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.model_info: tensors, ops, MACs, errors, fuzzing."""

from __future__ import annotations

import hashlib
import re
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from platformio_tinyml.errors import ModelError, TinyMLError
from platformio_tinyml.model_info import load_model_file, read_model

DATA = Path(__file__).resolve().parent / "data"
TINY_INT8 = (DATA / "tiny_cnn_int8.tflite").read_bytes()
TINY_FLOAT = (DATA / "tiny_dense_float.tflite").read_bytes()

# Hand-computed from the layers in tests/data/make_tiny_models.py.
TINY_INT8_OPS_EXPECTED = (
    ("CONV_2D", 2304),  # 8*8*4 outputs x 3*3*1
    ("DEPTHWISE_CONV_2D", 2304),  # 8*8*4 outputs x 3*3
    ("MAX_POOL_2D", 0),
    ("RESHAPE", 0),
    ("FULLY_CONNECTED", 192),  # 3 outputs x 64 inputs
    ("SOFTMAX", 0),
)


def test_int8_model() -> None:
    info = read_model(TINY_INT8, source="tiny.tflite")
    assert tuple((op.name, op.macs) for op in info.ops) == TINY_INT8_OPS_EXPECTED
    assert [op.index for op in info.ops] == list(range(6))
    assert info.macs == 4800
    assert info.op_names == tuple(name for name, _ in TINY_INT8_OPS_EXPECTED)
    assert info.unsupported_ops == ()
    assert info.model_bytes == len(TINY_INT8)
    assert info.sha256 == hashlib.sha256(TINY_INT8).hexdigest()
    (inp,) = info.inputs
    assert inp.shape == (1, 8, 8, 1) and inp.dtype == "int8"
    # The converter maps [0, 1] onto int8: scale ~1/255, zero point -128.
    assert inp.scale == pytest.approx(1 / 255, rel=0.01) and inp.zero_point == -128
    (out,) = info.outputs
    assert out.shape == (1, 3) and out.dtype == "int8"
    assert out.scale == 1 / 256 and out.zero_point == -128  # softmax output, fixed
    assert info.ops[0].input_shapes[1] == (4, 3, 3, 1)
    assert info.ops[0].output_shapes == ((1, 8, 8, 4),)
    assert all(op.version >= 1 for op in info.ops)
    assert "4,800 MACs" in info.description


def test_float_model_has_no_quantization() -> None:
    info = read_model(TINY_FLOAT)
    assert info.input.dtype == "float32" and info.input.scale is None
    assert info.output.zero_point is None
    assert info.macs == 48


def test_load_model_file(tmp_path: Path) -> None:
    data, info = load_model_file(DATA / "tiny_cnn_int8.tflite")
    assert data == TINY_INT8 and info.macs == 4800
    with pytest.raises(ModelError, match="cannot read model '.*missing.tflite'"):
        load_model_file(tmp_path / "missing.tflite")
    with pytest.raises(ModelError, match="is a directory"):
        load_model_file(tmp_path)


@pytest.mark.parametrize(
    ("content", "fragment"),
    [
        (b"", "bad.tflite' is empty"),
        (b"\x1c\0\0\0TF", "bad.tflite' is truncated"),
        (b"hello world, this is text\n", "looks like a text file"),
        (b"PK\x03\x04" + b"\0" * 60, "zip archive"),
        (b"\x89HDF\r\n\x1a\n" + b"\0" * 60, "Keras .h5"),
        (b"\0\0\0\0XXXX" + b"\xff" * 60, "'TFL3' expected at bytes 4..8"),
        (TINY_INT8[: len(TINY_INT8) // 3], "not a valid TFLite flatbuffer"),
        (b"\xff\xff\xff\x7fTFL3" + b"\0" * 32, "not a valid TFLite flatbuffer"),
    ],
)
def test_bad_files_are_rejected_with_the_file_name(
    content: bytes, fragment: str, tmp_path: Path
) -> None:
    path = tmp_path / "bad.tflite"
    path.write_bytes(content)
    with pytest.raises(ModelError, match=re.escape(fragment)) as exc:
        load_model_file(path)
    assert str(path) in str(exc.value) and "\n" not in str(exc.value)


@settings(max_examples=300, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    st.lists(
        st.tuples(st.integers(0, len(TINY_INT8) - 1), st.integers(0, 255)),
        min_size=1,
        max_size=8,
    ),
    st.integers(8, len(TINY_INT8)),
)
def test_fuzzed_models_raise_only_model_errors(
    edits: list[tuple[int, int]], length: int
) -> None:
    data = bytearray(TINY_INT8[:length])
    for pos, value in edits:
        if pos < len(data):
            data[pos] = value
    try:
        info = read_model(bytes(data))
    except ModelError as exc:
        assert "\n" not in str(exc)
    else:
        assert info.model_bytes == len(data)


@settings(max_examples=200, deadline=None)
@given(st.binary(max_size=256))
def test_arbitrary_bytes_raise_only_tinyml_errors(blob: bytes) -> None:
    for data in (blob, blob[:4] + b"TFL3" + blob[4:]):
        try:
            read_model(data)
        except TinyMLError:
            pass


@pytest.mark.slow
def test_fuzz_long() -> None:
    import random

    rng = random.Random(1)
    for _ in range(20000):
        data = bytearray(TINY_INT8)
        for _ in range(rng.randint(1, 16)):
            data[rng.randrange(len(data))] = rng.randrange(256)
        try:
            read_model(bytes(data[: rng.randint(8, len(data))]))
        except ModelError:
            pass


# Analytic numbers from the project notes (tensorflow-pipeline.md, section 5).
KERAS_MACS_EXPECTED = {
    "mnist_dense": 101_632,
    "mnist_lenet": 7_260_672,
    # conv1 28*28*6*25 + conv2 10*10*16*150 + fc 400*120 + 120*84 + 84*10
    "mnist_lenet5": 416_520,
    "cifar10_cnn": 2_867_840,
}


def _keras_model(name: str):  # type: ignore[no-untyped-def]
    import keras

    layers = keras.layers
    if name == "mnist_dense":
        stack = [
            keras.Input((28, 28), batch_size=1),
            layers.Flatten(),
            layers.Dense(128, activation="relu"),
            layers.Dense(10, "softmax"),
        ]
    elif name == "mnist_lenet":
        stack = [
            keras.Input((28, 28, 1), batch_size=1),
            layers.Conv2D(32, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(32, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(1024, activation="relu"),
            layers.Dropout(0.4),
            layers.Dense(10, "softmax"),
        ]
    elif name == "mnist_lenet5":
        stack = [
            keras.Input((28, 28, 1), batch_size=1),
            layers.Conv2D(6, 5, padding="same", activation="relu"),
            layers.MaxPooling2D(2),
            layers.Conv2D(16, 5, activation="relu"),
            layers.MaxPooling2D(2),
            layers.Flatten(),
            layers.Dense(120, activation="relu"),
            layers.Dense(84, activation="relu"),
            layers.Dense(10, "softmax"),
        ]
    else:
        stack = [keras.Input((32, 32, 3), batch_size=1)]
        for filters in (16, 32, 64):
            stack += [
                layers.Conv2D(filters, 3, padding="same", activation="relu"),
                layers.MaxPooling2D(2),
            ]
        stack += [
            layers.Flatten(),
            layers.Dense(64, activation="relu"),
            layers.Dense(10, "softmax"),
        ]
    return keras.Sequential(stack)


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", sorted(KERAS_MACS_EXPECTED))
def test_macs_match_the_analytic_numbers(name: str) -> None:
    from platformio_tinyml import _deps

    tf = _deps.tensorflow()
    converter = tf.lite.TFLiteConverter.from_keras_model(_keras_model(name))
    info = read_model(bytes(converter.convert()), source=name)
    assert info.macs == KERAS_MACS_EXPECTED[name]
    assert info.unsupported_ops == ()


def test_a_large_wrong_file_is_refused_from_its_header(tmp_path: Path) -> None:
    """A 300 MB video named .tflite is refused without reading it whole."""
    import tracemalloc

    big = tmp_path / "movie.tflite"
    with big.open("wb") as fp:
        fp.write(b"\x00\x00\x00\x18ftypmp42")  # an MP4 header
        fp.truncate(300 * 1024 * 1024)  # sparse: no disk space used
    tracemalloc.start()
    try:
        with pytest.raises(ModelError, match="movie.tflite' is not a TFLite"):
            load_model_file(big)  # what inspect and the pipeline use
        _, peak = tracemalloc.get_traced_memory()
    finally:
        tracemalloc.stop()
    assert peak < 1024 * 1024
