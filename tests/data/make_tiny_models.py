# SPDX-License-Identifier: Apache-2.0
"""Regenerate the tiny .tflite files the model-reading and codegen tests use.

Run from the repository root: ``python tests/data/make_tiny_models.py``. The outputs
are committed (each well under 10 KB), so the default test run needs no TensorFlow.
Expected MACs of ``tiny_cnn_int8.tflite`` (computed by hand from the layers):
conv 8*8*4 * 3*3*1 = 2,304; depthwise 8*8*4 * 3*3 = 2,304; dense 64*3 = 192;
total 4,800. ``tiny_dense_float.tflite``: 16*3 = 48.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")

HERE = Path(__file__).resolve().parent


def _convert(model: object, int8: bool, shape: tuple[int, ...]) -> bytes:
    import tensorflow as tf

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if int8:
        rng = np.random.default_rng(1)

        def representative() -> object:
            for _ in range(32):
                yield [rng.random((1, *shape), dtype=np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    return bytes(converter.convert())


def main() -> None:
    import keras
    import tensorflow as tf

    tf.random.set_seed(1)
    keras.utils.set_random_seed(1)

    cnn = keras.Sequential(
        [
            keras.Input((8, 8, 1), batch_size=1),
            keras.layers.Conv2D(4, 3, padding="same", activation="relu"),
            keras.layers.DepthwiseConv2D(3, padding="same", activation="relu"),
            keras.layers.MaxPooling2D(2),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    (HERE / "tiny_cnn_int8.tflite").write_bytes(_convert(cnn, True, (8, 8, 1)))

    dense = keras.Sequential(
        [
            keras.Input((4, 4, 1), batch_size=1),
            keras.layers.Flatten(),
            keras.layers.Dense(3, activation="softmax"),
        ]
    )
    (HERE / "tiny_dense_float.tflite").write_bytes(_convert(dense, False, (4, 4, 1)))


if __name__ == "__main__":
    main()
