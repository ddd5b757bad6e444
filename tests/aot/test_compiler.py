# SPDX-License-Identifier: Apache-2.0
"""Generated C vs the TFLM interpreter, bit for bit (host gcc)."""

from __future__ import annotations

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
