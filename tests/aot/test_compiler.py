# SPDX-License-Identifier: Apache-2.0
"""Generated C vs the TFLM interpreter, bit for bit (host gcc)."""

from __future__ import annotations

import functools
import subprocess
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from platformio_tinyml.aot import compile_model, unsupported_ops
from platformio_tinyml.errors import ModelError
from platformio_tinyml.model_info import read_model

from .conftest import random_inputs

pytestmark = pytest.mark.compiler


def test_tiny_cnn_matches_tflm(tests_data: Path, host_runner, tflm_outputs) -> None:
    model = (tests_data / "tiny_cnn_int8.tflite").read_bytes()
    compiled = compile_model(model, "tiny")
    inputs = random_inputs(read_model(model).input.shape, 8, seed=3)
    expected = tflm_outputs(model, inputs)
    np.testing.assert_array_equal(host_runner(compiled, inputs), expected)


def test_unsupported_ops_lists_names(tests_data: Path) -> None:
    assert unsupported_ops((tests_data / "tiny_cnn_int8.tflite").read_bytes()) == ()


@pytest.fixture(scope="session")
def zoo_models() -> Callable[[str], bytes]:
    """A zoo architecture, briefly fitted and converted to int8 (built once each)."""
    pytest.importorskip("tensorflow", reason="zoo models are built with TensorFlow")
    from platformio_tinyml._deps import run_quietly

    from .models import build_zoo_tflite

    @functools.cache
    def get(name: str) -> bytes:
        return run_quietly(lambda: build_zoo_tflite(name))

    return get


@pytest.mark.tensorflow
@pytest.mark.parametrize(
    "architecture",
    ["mnist_dense", "mnist_lenet", "mnist_lenet5", "cifar10_cnn", "cifar10_resnet8"],
)
def test_zoo_model_matches_tflm(
    architecture: str, zoo_models: Callable[[str], bytes], host_runner, tflm_outputs
) -> None:
    model = zoo_models(architecture)
    compiled = compile_model(model, architecture)
    if architecture != "mnist_dense":  # a first convolution over 1 or 3 channels
        assert compiled.source.count("tinyml_aot_conv_few(") >= 2  # defined, called
    inputs = random_inputs(read_model(model).input.shape, 5, seed=11)
    np.testing.assert_array_equal(
        host_runner(compiled, inputs), tflm_outputs(model, inputs)
    )


def test_mirror_averaged_zoo_model_matches_tflm(  # type: ignore[no-untyped-def]
    shipped_model: Callable[[str], bytes], host_runner, tflm_outputs
) -> None:
    model = shipped_model("cifar10_resnet8_mirror")
    compiled = compile_model(model, "resnet8_mirror")
    assert compiled.source.count("tinyml_aot_reverse(") == 2  # defined, called
    # The second branch reads the first one's weight arrays: each is emitted once.
    base = compile_model(shipped_model("cifar10_resnet8"), "resnet8")
    arrays = (
        compiled.source.count("\nstatic const "),
        base.source.count("\nstatic const "),
    )
    assert arrays[1] < arrays[0] <= arrays[1] + 5
    inputs = random_inputs(read_model(model).input.shape, 4, seed=5)
    np.testing.assert_array_equal(
        host_runner(compiled, inputs), tflm_outputs(model, inputs)
    )


@pytest.mark.tensorflow
def test_unsupported_op_is_refused_in_one_line() -> None:
    pytest.importorskip("tensorflow", reason="the model is built with TensorFlow")
    import keras
    import tensorflow as tf

    from platformio_tinyml._deps import run_quietly

    inp = keras.Input((4,), batch_size=1)
    model = keras.Model(
        inp, keras.layers.Activation("sigmoid")(keras.layers.Dense(3)(inp))
    )
    rng = np.random.default_rng(0)

    def representative():  # type: ignore[no-untyped-def]
        for _ in range(8):
            yield [rng.random((1, 4), dtype=np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    data = bytes(run_quietly(converter.convert))
    assert unsupported_ops(data) == ("LOGISTIC",)
    with pytest.raises(ModelError, match="'LOGISTIC'.*use runtime = tflm") as err:
        compile_model(data, "m")
    assert "\n" not in str(err.value)


def test_two_models_link_into_one_program(tests_data: Path, tmp_path: Path) -> None:
    from .conftest import host_compiler

    cc = host_compiler()
    model = (tests_data / "tiny_cnn_int8.tflite").read_bytes()
    for name in ("first", "second"):
        compiled = compile_model(model, name)
        (tmp_path / f"{name}.h").write_text(compiled.header)
        (tmp_path / f"{name}.c").write_text(compiled.source)
    (tmp_path / "main.c").write_text(
        '#include "first.h"\n#include "second.h"\n'
        "static int8_t arena[first_ARENA_SIZE + second_ARENA_SIZE];\n"
        "int main(void) {\n  int8_t in[first_INPUT_SIZE] = {0};\n"
        "  int8_t out[2][first_OUTPUT_SIZE];\n"
        "  if (first_invoke(in, out[0], arena) || second_invoke(in, out[1], arena))\n"
        "    return 1;\n"
        "  for (int i = 0; i < first_OUTPUT_SIZE; ++i)\n"
        "    if (out[0][i] != out[1][i]) return 2;\n  return 0;\n}\n"
    )
    sources = [str(tmp_path / n) for n in ("main.c", "first.c", "second.c")]
    exe = tmp_path / "both"
    subprocess.run(
        [
            cc,
            "-O2",
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-o",
            str(exe),
            *sources,
        ],
        check=True,
    )
    assert subprocess.run([str(exe)], check=False).returncode == 0


@pytest.mark.tensorflow
def test_float_edges_are_dropped(host_runner, tflm_outputs) -> None:  # type: ignore[no-untyped-def]
    """QUANTIZE first and DEQUANTIZE last: the C code maps the int8 tensors between."""
    pytest.importorskip("tensorflow", reason="the model is built with TensorFlow")
    import keras
    import tensorflow as tf

    from platformio_tinyml._deps import run_quietly

    keras.utils.set_random_seed(3)
    inp = keras.Input((6, 6, 2), batch_size=1)
    x = keras.layers.Conv2D(4, 3, activation="relu")(inp)
    model = keras.Model(inp, keras.layers.Dense(5)(keras.layers.Flatten()(x)))
    rng = np.random.default_rng(0)

    def representative():  # type: ignore[no-untyped-def]
        for _ in range(8):
            yield [rng.random((1, 6, 6, 2), dtype=np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    data = bytes(run_quietly(converter.convert))  # float input and output
    info = read_model(data)
    assert info.ops[0].name == "QUANTIZE" and info.ops[-1].name == "DEQUANTIZE"
    compiled = compile_model(data, "edges")
    scale_in = float(compiled.header.split("edges_INPUT_SCALE ")[1].split("f\n")[0])
    zp_in = int(compiled.header.split("edges_INPUT_ZERO_POINT ")[1].split("\n")[0])
    scale_out = float(compiled.header.split("edges_OUTPUT_SCALE ")[1].split("f\n")[0])
    zp_out = int(compiled.header.split("edges_OUTPUT_ZERO_POINT ")[1].split("\n")[0])
    q_in = random_inputs(info.input.shape, 6, seed=2)
    # Float inputs that quantize exactly to q_in, so both sides see the same int8.
    x = ((q_in.astype(np.float32) - zp_in) * np.float32(scale_in)).astype(np.float32)
    expected = tflm_outputs(data, x)
    got = host_runner(compiled, q_in)
    dequantized = (got.astype(np.float32) - zp_out) * np.float32(scale_out)
    np.testing.assert_array_equal(dequantized, expected)
