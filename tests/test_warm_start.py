# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.warm_start: pretrained int8 weights as training start."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from platformio_tinyml.config import INPUT_RANGES
from platformio_tinyml.errors import ModelError
from platformio_tinyml.pretrained import ZOO_MODELS_DIR
from platformio_tinyml.warm_start import (
    LayerWeights,
    identity_batch_norm,
    match_layers,
    pretrained_weights,
)

LENET5 = ZOO_MODELS_DIR / "mnist_lenet5.tflite"


def test_weights_are_the_interpreters_dequantized_constants() -> None:
    tf = pytest.importorskip("tensorflow", reason="the oracle is TFLite's interpreter")
    data = LENET5.read_bytes()
    layers = pretrained_weights(data)
    assert [w.op for w in layers] == ["CONV_2D"] * 2 + ["FULLY_CONNECTED"] * 3
    interpreter = tf.lite.Interpreter(model_content=data)
    details = {d["index"]: d for d in interpreter.get_tensor_details()}
    ops = [
        o
        for o in interpreter._get_ops_details()
        if o["op_name"] in ("CONV_2D", "FULLY_CONNECTED")
    ]
    for layer, op in zip(layers, ops, strict=True):
        w_index, b_index = int(op["inputs"][1]), int(op["inputs"][2])
        q = interpreter.get_tensor(w_index).astype(np.float64)
        params = details[w_index]["quantization_parameters"]
        axis = [1] * q.ndim
        axis[0] = -1
        real = (q - params["zero_points"].reshape(axis)) * params["scales"].reshape(
            axis
        )
        expected = real.transpose(1, 2, 3, 0) if q.ndim == 4 else real.T
        np.testing.assert_allclose(layer.kernel, expected, rtol=1e-6, atol=1e-7)
        bias_params = details[b_index]["quantization_parameters"]
        np.testing.assert_allclose(
            layer.bias,
            interpreter.get_tensor(b_index) * bias_params["scales"],
            rtol=1e-6,
            atol=1e-9,
        )


def test_the_first_layer_absorbs_the_input_convention() -> None:
    data = LENET5.read_bytes()  # fed 0..1
    unit = pretrained_weights(data)
    raw = pretrained_weights(data, INPUT_RANGES["0..255"])
    symmetric = pretrained_weights(data, INPUT_RANGES["-1..1"])
    np.testing.assert_allclose(raw[0].kernel * 255.0, unit[0].kernel, rtol=1e-6)
    np.testing.assert_array_equal(raw[0].bias, unit[0].bias)
    # -1..1 input x_t = 2 p / 255 - 1, so p / 255 = (x_t + 1) / 2: half the kernel
    # and half its sum added to the bias.
    np.testing.assert_allclose(symmetric[0].kernel * 2.0, unit[0].kernel, rtol=1e-6)
    np.testing.assert_allclose(
        symmetric[0].bias,
        unit[0].bias + 0.5 * unit[0].kernel.sum(axis=(0, 1, 2)),
        rtol=1e-5,
        atol=1e-6,
    )
    for a, b in zip(raw[1:], unit[1:], strict=True):
        np.testing.assert_array_equal(a.kernel, b.kernel)


def test_layers_match_by_kind_and_shape_in_graph_order() -> None:
    def w(op: str, shape: tuple[int, ...], mark: float) -> LayerWeights:
        return LayerWeights(op, np.full(shape, mark, np.float32), np.zeros(shape[-1]))

    source = (
        w("CONV_2D", (3, 3, 3, 16), 1),
        w("CONV_2D", (3, 3, 16, 16), 2),
        w("CONV_2D", (3, 3, 16, 16), 3),
        w("FULLY_CONNECTED", (16, 10), 4),
    )
    wanted = [
        ("CONV_2D", (3, 3, 3, 16)),
        ("CONV_2D", (3, 3, 16, 16)),
        ("CONV_2D", (3, 3, 16, 16)),
        ("FULLY_CONNECTED", (16, 10)),
    ]
    assert [float(m.kernel.flat[0]) for m in match_layers(wanted, source)] == [
        1,
        2,
        3,
        4,
    ]
    with pytest.raises(ModelError, match=r"no FULLY_CONNECTED with kernel shape"):
        match_layers([*wanted[:3], ("FULLY_CONNECTED", (16, 5))], source)
    with pytest.raises(ModelError, match=r"1 weighted layer\(s\) the architecture"):
        match_layers(wanted[:3], source)


def test_identity_batch_norm_passes_its_input_through() -> None:
    rng = np.random.default_rng(3)
    x = (rng.normal(2.0, 3.0, size=(64, 5, 5, 4)) * [1, 2, 3, 4]).astype(np.float32)
    eps = 1e-3
    gamma, beta, mean, var = identity_batch_norm(x, eps)
    # training mode: batch statistics; inference: the moving ones
    batch_mean = x.mean(axis=(0, 1, 2))
    batch_var = x.var(axis=(0, 1, 2))
    trained = gamma * (x - batch_mean) / np.sqrt(batch_var + eps) + beta
    inferred = gamma * (x - mean) / np.sqrt(var + eps) + beta
    np.testing.assert_allclose(trained, x, rtol=1e-4, atol=1e-4)
    np.testing.assert_allclose(inferred, x, rtol=1e-4, atol=1e-4)


def test_not_a_model_is_refused(tmp_path: Path) -> None:
    with pytest.raises(ModelError):
        pretrained_weights(b"TFL3" + bytes(64))
