# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.preprocessing: the pixel lookup table."""

from __future__ import annotations

import numpy as np
import pytest

from platformio_tinyml.config import INPUT_RANGES, InputRange
from platformio_tinyml.preprocessing import (
    infer_input_range,
    input_lut,
    near_chance_warning,
    resolve_input_range,
    to_model_input,
)


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


# --- Input ranges ----------------------------------------------------------------

RANGE_0_255 = INPUT_RANGES["0..255"]
RANGE_PM1 = INPUT_RANGES["-1..1"]


def test_lut_of_raw_pixel_models_is_pixel_minus_128() -> None:
    # MLPerf Tiny ResNet-8: input scale 1.0, zero point -128, pixels 0..255.
    lut = input_lut(1.0, -128, RANGE_0_255)
    assert lut.tolist() == [p - 128 for p in range(256)]
    # The same model fed the zoo's 0..1 sees almost a constant image.
    assert set(input_lut(1.0, -128).tolist()) == {-128, -127}


def test_lut_of_minus_one_to_one_models() -> None:
    lut = input_lut(1.0 / 127.5, 0, RANGE_PM1)
    # 128 maps to 0.5 quantization steps: rounded half to even, as TFLite does.
    assert (lut[0], lut[128], lut[255]) == (-128, 0, 127)


def test_float_input_follows_the_range() -> None:
    pixels = np.array([0, 51, 255], dtype=np.uint8)
    assert to_model_input(pixels, "float32", input_range=RANGE_0_255).tolist() == [
        0.0,
        51.0,
        255.0,
    ]
    np.testing.assert_allclose(
        to_model_input(pixels, "float32", input_range=RANGE_PM1), [-1, -0.6, 1]
    )
    custom = InputRange(mean=100.0, std=50.0)
    np.testing.assert_allclose(
        to_model_input(pixels, "float32", input_range=custom), [-2, -0.98, 3.1]
    )


@pytest.mark.parametrize(
    ("scale", "zero_point", "expected"),
    [
        (1.0, -128, "0..255"),
        (1 / 255, -128, "0..1"),
        (0.003921568859368563, -128, "0..1"),
        (2 / 255, 0, "-1..1"),
        (2 / 255, -1, "-1..1"),
        (0.02, -5, None),  # a calibrated range that is no convention
        (1.0, 0, None),  # -128..127 is no pixel convention
    ],
)
def test_input_range_is_inferred_only_when_unambiguous(
    scale: float, zero_point: int, expected: str | None
) -> None:
    inferred = infer_input_range("int8", scale, zero_point)
    assert (None if inferred is None else str(inferred)) == expected
    rng, how = resolve_input_range(None, "int8", scale, zero_point)
    if expected is None:
        assert (rng, how) == (INPUT_RANGES["0..1"], "default")
    else:
        assert how == "inferred from the input quantization"


def test_a_configured_range_wins_and_float_models_default_to_unit() -> None:
    assert resolve_input_range(RANGE_PM1, "int8", 1.0, -128) == (
        RANGE_PM1,
        "configured",
    )
    assert infer_input_range("float32", None, None) is None
    assert resolve_input_range(None, "float32", None, None)[1] == "default"
    assert "custom_tinyml_input_range" in near_chance_warning(0.1, RANGE_0_255, "x")
