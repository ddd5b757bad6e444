# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.mirror: the rewritten graph averages the logits of an
image and its mirror image (float, against Keras), is exactly symmetric in int8 (host
TFLM), and the shipped mirror-averaged zoo models are reproduced bit for bit."""

from __future__ import annotations

from collections.abc import Callable

import numpy as np
import pytest

from platformio_tinyml.errors import ModelError
from platformio_tinyml.pretrained import find_pretrained, pretrained_models

MIRRORED = sorted(n for n, m in pretrained_models().items() if m.mirror_of)


def _mirror() -> object:
    pytest.importorskip(
        "tensorflow", reason="the rewrite uses TensorFlow's flatbuffer object API"
    )
    from platformio_tinyml.mirror import mirror_average

    return mirror_average


def test_the_zoo_ships_a_mirror_averaged_resnet8() -> None:
    assert "cifar10_resnet8_mirror" in MIRRORED
    for name in MIRRORED:
        model, base = find_pretrained(name), None
        assert model is not None and model.mirror_of is not None
        base = find_pretrained(model.mirror_of)
        assert base is not None and base.shipped and model.dataset == base.dataset
        assert model.macs == 2 * base.macs
        assert model.accuracy_int8 > base.accuracy_int8


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", MIRRORED)
def test_shipped_mirror_models_are_reproduced_bit_for_bit(
    name: str, shipped_model: Callable[[str], bytes]
) -> None:
    mirror_average = _mirror()
    model = find_pretrained(name)
    assert model is not None and model.mirror_of is not None
    rebuilt = mirror_average(shipped_model(model.mirror_of), source=model.mirror_of)  # type: ignore[operator]
    assert rebuilt == shipped_model(name)


@pytest.mark.tflm
def test_an_image_and_its_mirror_image_give_identical_int8_outputs(
    shipped_model: Callable[[str], bytes],
) -> None:
    pytest.importorskip("tflite_micro", reason="needs the host TFLM interpreter")
    from platformio_tinyml.verification import run_tflm

    rng = np.random.default_rng(7)
    images = rng.integers(-128, 128, size=(6, 32, 32, 3), dtype=np.int8)
    flipped = images[:, :, ::-1, :].copy()
    base = shipped_model("cifar10_resnet8")
    mirrored = shipped_model("cifar10_resnet8_mirror")
    # The model alone is not mirror-symmetric, so the equality below means something.
    assert not np.array_equal(run_tflm(base, images), run_tflm(base, flipped))
    np.testing.assert_array_equal(
        run_tflm(mirrored, images), run_tflm(mirrored, flipped)
    )


def _keras_classifier(softmax: bool) -> object:
    import keras

    keras.utils.set_random_seed(3)
    inp = keras.Input((8, 6, 2), batch_size=1)
    x = keras.layers.Conv2D(4, 3, strides=2, padding="same", activation="relu")(inp)
    x = keras.layers.Conv2D(5, 3, padding="same")(x)
    x = keras.layers.Flatten()(x)  # position-dependent: not mirror-symmetric
    logits = keras.layers.Dense(3, name="logits")(x)
    out = keras.layers.Softmax()(logits) if softmax else logits
    return keras.Model(inp, out)


def _float_tflite(model: object) -> bytes:
    import tensorflow as tf

    from platformio_tinyml._deps import run_quietly

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    return bytes(run_quietly(converter.convert))


@pytest.mark.tensorflow
@pytest.mark.tflm
def test_float_model_takes_the_softmax_of_the_mean_logits() -> None:
    mirror_average = _mirror()
    pytest.importorskip("tflite_micro", reason="needs the host TFLM interpreter")
    import keras

    from platformio_tinyml.model_info import read_model
    from platformio_tinyml.verification import run_tflm

    model = _keras_classifier(softmax=True)
    logits = keras.Model(model.inputs, model.get_layer("logits").output)  # type: ignore[attr-defined]
    mirrored = mirror_average(_float_tflite(model), source="tiny")  # type: ignore[operator]
    assert [op.name for op in read_model(mirrored).ops].count("REVERSE_V2") == 1

    x = np.random.default_rng(1).normal(size=(4, 8, 6, 2)).astype(np.float32)
    mean = 0.5 * (
        logits.predict(x, verbose=0) + logits.predict(x[:, :, ::-1], verbose=0)
    )
    expected = np.exp(mean - mean.max(axis=1, keepdims=True))
    expected /= expected.sum(axis=1, keepdims=True)
    np.testing.assert_allclose(run_tflm(mirrored, x), expected, atol=2e-6)


@pytest.mark.tensorflow
def test_refusals_name_the_model_and_the_fix() -> None:
    mirror_average = _mirror()
    no_softmax = _float_tflite(_keras_classifier(softmax=False))
    with pytest.raises(
        ModelError, match=r"model 'logits\.tflite' does not end in SOFTMAX"
    ):
        mirror_average(no_softmax, source="logits.tflite")  # type: ignore[operator]
    once = mirror_average(_float_tflite(_keras_classifier(True)), source="m")  # type: ignore[operator]
    with pytest.raises(ModelError, match="mirror-averaged already"):
        mirror_average(once, source="m")  # type: ignore[operator]
