# SPDX-License-Identifier: Apache-2.0
"""Offline quantization parameters, against values TFLM's own helpers define."""

from __future__ import annotations

import pytest

from platformio_tinyml.aot import quant

# (real multiplier, (quantized multiplier, shift)) as tflite::QuantizeMultiplier gives.
TEST_MULTIPLIERS = [
    (0.5, (1 << 30, 0)),
    (1.0, (1 << 30, 1)),
    (0.25, (1 << 30, -1)),
    (0.0, (0, 0)),
    (2.0**-40, (0, 0)),  # below 2^-31: flushed to zero
    (0.75, (1610612736, 0)),
]


@pytest.mark.parametrize(("real", "expected"), TEST_MULTIPLIERS)
def test_quantize_multiplier(real: float, expected: tuple[int, int]) -> None:
    assert quant.quantize_multiplier(real) == expected


def test_requantize_rounding() -> None:
    # gemmlowp's SaturatingRoundingDoublingHighMul rounds halves up (its nudge for
    # negative products is 1 - 2^30, then it truncates): 3/2 -> 2, -3/2 -> -1.
    half = (1 << 30, 0)
    assert [quant.requantize(x, *half) for x in (3, -3, 1, -1, 4)] == [2, -1, 1, 0, 2]
    # RoundingDivideByPOT then rounds halves away from zero: x/2 then /4:
    # 12 -> 6 -> 1.5 -> 2, -12 -> -6 -> -1.5 -> -2, 10 -> 5 -> 1.25 -> 1
    assert [quant.requantize(x, 1 << 30, -2) for x in (12, -12, 10, -10)] == [
        2,
        -2,
        1,
        -1,
    ]


def test_activation_ranges() -> None:
    assert quant.activation_range(quant.ACT_NONE, 0.1, 3) == (-128, 127)
    assert quant.activation_range(quant.ACT_RELU, 0.1, 3) == (3, 127)
    assert quant.activation_range(quant.ACT_RELU6, 0.1, -128) == (-128, -68)
    with pytest.raises(ValueError, match="TANH"):
        quant.activation_range(4, 0.1, 0)


def test_mean_multiplier_folds_the_count() -> None:
    multiplier, shift = quant.mean_params(0.5, 0.5, 4)
    # 1/4 at the same scale: 2^30 * 4 / 4 with shift 1 - 2
    assert (multiplier, shift) == (1 << 30, -1)


def test_short_requantize_equals_requantize() -> None:
    """The few-channel convolution's requantization (kernels/conv_few.c), where
    the bounds allow it, gives TFLM's result plus the zero point for every x."""
    import numpy as np

    rng = np.random.default_rng(1)
    checked = 0
    for _ in range(300):
        multiplier, shift = quant.quantize_multiplier(float(rng.uniform(1e-6, 0.49)))
        out_zp = int(rng.integers(-128, 128))
        bound = int(rng.integers(1, 1 << 24))
        params = quant.short_requantize_params(multiplier, shift, out_zp, bound)
        assert params is not None
        xs = {-bound, bound, 0, 1, -1, *rng.integers(-bound, bound + 1, 200).tolist()}
        # Exact halves after the high multiply: the ties of both roundings.
        r = -shift
        for k in range(-3, 4):
            xs.add(
                max(-bound, min(bound, ((2 * k + 1) << (r - 1) << 31) // multiplier))
            )
        for x in xs:
            expected = quant.requantize(x, multiplier, shift) + out_zp
            assert quant.short_requantize(x, params) == expected, (x, params)
            checked += 1
    assert checked > 60_000


def test_short_requantize_refuses_what_it_cannot_do() -> None:
    # A left shift (real multiplier >= 0.5), and an accumulator that overflows
    # when doubled.
    assert (
        quant.short_requantize_params(*quant.quantize_multiplier(0.7), 0, 100) is None
    )
    assert quant.short_requantize_params(1 << 30, -3, 0, 1 << 30) is None
    assert quant.short_requantize_params(1 << 30, -3, 0, (1 << 30) - 1) is not None
    # The output zero point times 2^r must fit too.
    assert quant.short_requantize_params(1 << 30, -30, 127, 10) is None
