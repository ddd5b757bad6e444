# SPDX-License-Identifier: Apache-2.0
"""Generated C vs the TFLM interpreter, bit for bit (host gcc)."""

from __future__ import annotations

import functools
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from platformio_tinyml.aot import compile_model, unsupported_ops
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
    inputs = random_inputs(read_model(model).input.shape, 5, seed=11)
    np.testing.assert_array_equal(
        host_runner(compiled, inputs), tflm_outputs(model, inputs)
    )
