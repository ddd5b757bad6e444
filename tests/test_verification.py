# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.verification: real TFLM kernels on the host."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from platformio_tinyml.errors import ModelError, VerificationError
from platformio_tinyml.verification import (
    arena_fits,
    compare_with_tflite,
    evaluate_accuracy,
    find_unsupported_ops,
    measure_arena,
    model_inputs,
    run_tflm,
    verify_model,
)

pytestmark = [pytest.mark.tflm, pytest.mark.tensorflow]


def _bisect_arena(model: bytes) -> int:
    """Smallest arena (within 16 B) that allocates and invokes (log-independent)."""
    lo, hi = 256, 1 << 20
    while not arena_fits(model, hi):
        hi *= 2
    while hi - lo > 16:
        mid = (lo + hi) // 2
        if arena_fits(model, mid):
            hi = mid
        else:
            lo = mid
    return hi


def test_arena_matches_bisection_within_one_percent(tiny_int8_model) -> None:  # type: ignore[no-untyped-def]
    recorded = measure_arena(tiny_int8_model.tflite)
    bisected = _bisect_arena(tiny_int8_model.tflite)
    assert abs(recorded - bisected) <= 0.01 * bisected
    assert not arena_fits(tiny_int8_model.tflite, recorded // 2)


def test_run_tflm_shapes_and_agreement_with_keras(tiny_int8_model) -> None:  # type: ignore[no-untyped-def]
    import keras

    ds = tiny_int8_model.dataset
    inputs = model_inputs(tiny_int8_model.tflite, ds.x_test[:20])
    assert inputs.dtype == np.int8
    out = run_tflm(tiny_int8_model.tflite, inputs)
    assert out.shape == (20, 10) and out.dtype == np.int8
    model = keras.models.load_model(tiny_int8_model.keras_path, compile=False)
    floats = np.concatenate(
        [
            model(ds.x_test[i : i + 1].astype(np.float32) / 255.0).numpy()
            for i in range(20)
        ]
    )
    assert np.mean(np.argmax(out, 1) == np.argmax(floats, 1)) >= 0.95


def test_run_tflm_rejects_wrong_inputs(tiny_int8_model) -> None:  # type: ignore[no-untyped-def]
    with pytest.raises(
        VerificationError, match="dtype 'float32' but the model takes 'int8'"
    ):
        run_tflm(tiny_int8_model.tflite, np.zeros((1, 28, 28, 1), np.float32))
    with pytest.raises(VerificationError, match="shape"):
        run_tflm(tiny_int8_model.tflite, np.zeros((1, 32, 32, 3), np.int8))


def test_accuracy_and_report(tiny_int8_model) -> None:  # type: ignore[no-untyped-def]
    ds = tiny_int8_model.dataset
    accuracy = evaluate_accuracy(tiny_int8_model.tflite, ds, samples=0)
    assert accuracy >= 0.9
    report = verify_model(tiny_int8_model.tflite, ds, samples=50)
    assert report.samples == 50
    assert report.arena_bytes == measure_arena(tiny_int8_model.tflite)
    assert report.accuracy == pytest.approx(
        evaluate_accuracy(tiny_int8_model.tflite, ds, samples=50)
    )
    # tensorflow-pipeline.md section 4: TFLM vs tf.lite without delegates, |delta| <= 1.
    assert report.bit_exact_fraction is not None and report.bit_exact_fraction >= 0.95
    assert report.max_abs_diff is not None and report.max_abs_diff <= 1
    assert report.unsupported_ops == ()
    no_data = verify_model(tiny_int8_model.tflite, None)
    assert no_data.accuracy is None and no_data.samples == 0 and no_data.arena_bytes > 0


def test_float_model_runs_in_tflm(tiny_float_model) -> None:  # type: ignore[no-untyped-def]
    ds = tiny_float_model.dataset
    inputs = model_inputs(tiny_float_model.tflite, ds.x_test[:10])
    out = run_tflm(tiny_float_model.tflite, inputs)
    assert out.dtype == np.float32
    assert np.allclose(out.sum(axis=1), 1.0, atol=1e-4)  # softmax rows
    fraction, max_diff = compare_with_tflite(tiny_float_model.tflite, inputs)
    assert max_diff < 1e-4 and 0.0 <= fraction <= 1.0


@pytest.fixture(scope="module")
def topk_model() -> bytes:
    """A float model using TOPK_V2, a TFLite builtin that TFLM does not implement."""
    import tensorflow as tf

    @tf.function(input_signature=[tf.TensorSpec([1, 28, 28, 1], tf.float32)])
    def top3(x: tf.Tensor) -> tf.Tensor:
        return tf.math.top_k(tf.reshape(x, [1, 784]), k=3)[0]

    concrete = top3.get_concrete_function()
    return bytes(
        tf.lite.TFLiteConverter.from_concrete_functions([concrete], top3).convert()
    )


def test_unsupported_op_is_named(topk_model: bytes) -> None:
    assert find_unsupported_ops(topk_model) == ("TOPK_V2",)
    with pytest.raises(VerificationError, match="does not support op 'TOPK_V2'"):
        verify_model(topk_model, None)
    with pytest.raises(VerificationError, match="TOPK_V2"):
        measure_arena(topk_model)
    report = verify_model(topk_model, None, strict=False)
    assert report.unsupported_ops == ("TOPK_V2",)


def test_not_a_model() -> None:
    with pytest.raises(ModelError, match="not a TFLite flatbuffer"):
        measure_arena(b"hello world, not a model")


def _damaged_model() -> bytes:
    """A byte-mutated tiny model that passes the schema checks but aborts TFLM.

    Seed 42 of 1-8 random byte writes into tests/data/tiny_cnn_int8.tflite: found by
    fuzzing; TFLM's C++ code aborts (SIGABRT) while loading it.
    """
    import random

    data = bytearray(
        (Path(__file__).parent / "data" / "tiny_cnn_int8.tflite").read_bytes()
    )
    rng = random.Random(42)
    for _ in range(rng.randint(1, 8)):
        data[rng.randrange(len(data))] = rng.randrange(256)
    return bytes(data)


@pytest.mark.tflm
def test_a_model_that_crashes_tflm_is_a_one_line_error() -> None:
    from platformio_tinyml.errors import TinyMLError
    from platformio_tinyml.model_info import read_model
    from platformio_tinyml.verification import measure_arena

    pytest.importorskip("tflite_micro", reason="needs the TFLM interpreter")
    damaged = _damaged_model()
    read_model(damaged)  # passes the schema checks
    with pytest.raises(TinyMLError) as info:
        measure_arena(damaged)  # would kill this process without the child probe
    assert "\n" not in str(info.value)
