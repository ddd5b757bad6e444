# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.preprocessing: the pixel lookup table."""

from __future__ import annotations

import numpy as np
import pytest

from platformio_tinyml.preprocessing import input_lut, to_model_input


def test_lut_for_the_usual_mnist_quantization_is_pixel_minus_128() -> None:
    # scale 1/255 and zero point -128 map pixel p to p - 128 exactly.
    lut = input_lut(1.0 / 255.0, -128)
    assert lut.dtype == np.int8
    assert np.array_equal(lut.astype(int), np.arange(256) - 128)


def test_lut_clips_to_int8() -> None:
    lut = input_lut(1.0 / 512.0, 0)  # p/255*512 exceeds 127 from p = 64
    assert lut[255] == 127 and lut[0] == 0
    assert np.all(np.diff(lut.astype(int)) >= 0)


def test_to_model_input_int8_uses_the_lut() -> None:
    pixels = np.array([[0, 128, 255]], dtype=np.uint8)
    out = to_model_input(pixels, "int8", 0.00392157, -128)
    assert out.dtype == np.int8
    assert out.tolist() == [[-128, 0, 127]]


def test_to_model_input_float_is_pixel_over_255() -> None:
    out = to_model_input(np.array([0, 51, 255], dtype=np.uint8), "float32")
    assert out.dtype == np.float32
    assert np.allclose(out, [0.0, 0.2, 1.0])


def test_bad_arguments() -> None:
    with pytest.raises(ValueError, match="uint8"):
        to_model_input(np.zeros(3, dtype=np.int16), "int8", 0.1, 0)  # type: ignore[arg-type]
    with pytest.raises(ValueError, match="positive"):
        input_lut(0.0, 0)
    with pytest.raises(ValueError, match="unsupported"):
        to_model_input(np.zeros(3, dtype=np.uint8), "int16")
