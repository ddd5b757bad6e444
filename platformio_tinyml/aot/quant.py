# SPDX-License-Identifier: Apache-2.0
"""TFLM's integer quantization parameters, computed offline as TFLM's Prepare does."""

from __future__ import annotations

import math

import numpy as np

INT8_MIN = -128
INT8_MAX = 127

# TFLite ActivationFunctionType
ACT_NONE, ACT_RELU, ACT_RELU_N1_TO_1, ACT_RELU6 = 0, 1, 2, 3
ACTIVATION_NAMES = {0: "NONE", 1: "RELU", 2: "RELU_N1_TO_1", 3: "RELU6", 4: "TANH"}


def _round_away(value: float) -> int:
    """std::round: halves go away from zero."""
    return (
        int(math.floor(value + 0.5)) if value >= 0 else -int(math.floor(-value + 0.5))
    )


def quantize_multiplier(real: float) -> tuple[int, int]:
    """tflite::QuantizeMultiplier: ``real ~= multiplier * 2^(shift - 31)``.

    Args:
        real: a non-negative real multiplier (a double, as in TFLM).

    Returns:
        ``(multiplier, shift)`` with the multiplier in ``[2^30, 2^31)`` or 0.
    """
    if real == 0.0:
        return 0, 0
    fraction, shift = math.frexp(real)
    q_fixed = _round_away(fraction * (1 << 31))
    if q_fixed == 1 << 31:
        q_fixed //= 2
        shift += 1
    if shift < -31:
        return 0, 0
    return q_fixed, shift


def f32(value: float) -> float:
    """Round a Python float to float32 (the type TFLM keeps scales in)."""
    return float(np.float32(value))


def quantize_float(value: float, scale: float, zero_point: int) -> int:
    """``zero_point + round(value / scale)`` with a float32 division, as TFLM does."""
    ratio = float(np.float32(value) / np.float32(scale))
    return zero_point + _round_away(ratio)


def activation_range(activation: int, scale: float, zero_point: int) -> tuple[int, int]:
    """tflite::CalculateActivationRangeQuantized for an int8 output.

    Raises:
        ValueError: the activation is not NONE/RELU/RELU_N1_TO_1/RELU6.
    """
    lo, hi = INT8_MIN, INT8_MAX
    if activation == ACT_NONE:
        return lo, hi
    if activation == ACT_RELU:
        return max(lo, quantize_float(0.0, scale, zero_point)), hi
    if activation == ACT_RELU6:
        return (
            max(lo, quantize_float(0.0, scale, zero_point)),
            min(hi, quantize_float(6.0, scale, zero_point)),
        )
    if activation == ACT_RELU_N1_TO_1:
        return (
            max(lo, quantize_float(-1.0, scale, zero_point)),
            min(hi, quantize_float(1.0, scale, zero_point)),
        )
    raise ValueError(ACTIVATION_NAMES.get(activation, str(activation)))


def softmax_params(beta: float, input_scale: float) -> tuple[int, int, int]:
    """PreprocessSoftmaxScaling + CalculateInputRadius for int8 (5 integer bits).

    Returns:
        ``(input_multiplier, input_left_shift, diff_min)``.
    """
    integer_bits = 5
    real = min(beta * input_scale * (1 << (31 - integer_bits)), (1 << 31) - 1.0)
    multiplier, left_shift = quantize_multiplier(real)
    radius = math.floor(
        ((1 << integer_bits) - 1) * (1 << (31 - integer_bits)) / (1 << left_shift)
    )
    return multiplier, left_shift, -radius


def mean_params(input_scale: float, output_scale: float, count: int) -> tuple[int, int]:
    """QuantizedMeanOrSum's multiplier with the 1/count factor folded in."""
    multiplier, shift = quantize_multiplier(input_scale / output_scale)
    bits = count.bit_length() - 1
    bits = min(bits, 32, 31 + shift)
    multiplier = (multiplier << bits) // count
    return multiplier, shift - bits


def add_params(
    scale_a: float, scale_b: float, scale_out: float
) -> tuple[tuple[int, int], tuple[int, int], tuple[int, int]]:
    """ADD's three (multiplier, shift) pairs for int8 (left shift 20)."""
    twice_max = 2 * max(scale_a, scale_b)
    return (
        quantize_multiplier(scale_a / twice_max),
        quantize_multiplier(scale_b / twice_max),
        quantize_multiplier(twice_max / ((1 << 20) * scale_out)),
    )


def requantize(x: int, multiplier: int, shift: int) -> int:
    """tflite::MultiplyByQuantizedMultiplier on Python ints (int32 wrap-around)."""
    left, right = max(shift, 0), max(-shift, 0)
    x = ((x << left) + (1 << 31)) % (1 << 32) - (1 << 31)
    v = (x * multiplier + (1 << 30)) >> 31
    mask = (1 << right) - 1
    threshold = (mask >> 1) + (1 if v < 0 else 0)
    return (v >> right) + (1 if (v & mask) > threshold else 0)


def short_requantize_params(
    multiplier: int, shift: int, out_zp: int, acc_bound: int
) -> tuple[int, int, int] | None:
    """``(multiplier, r, c)`` of the short requantization in ``kernels/conv_few.c``.

    For an accumulator ``x`` with ``|x| <= acc_bound``, the kernel computes
    ``v = (2x * multiplier + 2^31) >> 32`` and ``(v + c + (v >> 31)) >> r`` in int32:
    equal to ``requantize(x, multiplier, shift) + out_zp`` when the shift is a right
    shift (``r = -shift >= 1``), ``c = 2^(r-1) + out_zp * 2^r``, and nothing
    overflows. Returns None otherwise.
    """
    r = -shift
    if r < 1 or multiplier < 0:
        return None
    c = (1 << (r - 1)) + out_zp * (1 << r)
    v_bound = (acc_bound * multiplier >> 31) + 1
    limit = (1 << 31) - 1
    if 2 * acc_bound > limit or abs(c) + v_bound + 1 > limit:
        return None
    return multiplier, r, c


def short_requantize(x: int, params: tuple[int, int, int]) -> int:
    """The short requantization of ``kernels/conv_few.c`` on Python ints."""
    multiplier, r, c = params
    v = (2 * x * multiplier + (1 << 31)) >> 32
    return (v + c + (-1 if v < 0 else 0)) >> r


def add_input_table(offset: int, multiplier: int, shift: int) -> tuple[int, ...]:
    """ADD's scaled input for every int8 value (index value + 128)."""
    return tuple(
        requantize((v + offset) << 20, multiplier, shift) for v in range(-128, 128)
    )
