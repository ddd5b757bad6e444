# SPDX-License-Identifier: Apache-2.0
"""Pixel-to-model-input mapping shared by training, verification, goldens and firmware.

A model's float input is ``(pixel - mean) / std`` for pixels 0..255: its *input
range* (:class:`~platformio_tinyml.config.InputRange`). Zoo models take ``0..1``
(``pixel / 255``); models made elsewhere may take ``0..255`` or ``-1..1``. An int8
model's input is that value quantized with the input tensor's scale and zero point.
The mapping is defined once, as a 256-entry lookup table, and the same table is
emitted into the generated C++ settings; host goldens and the device therefore
quantize identically.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt

from .config import INPUT_RANGES, InputRange

UNIT_RANGE = INPUT_RANGES["0..1"]

# How close an int8 input's scale must be to a convention's to infer it.
_REL_TOLERANCE = 0.02


def input_lut(
    scale: float, zero_point: int, input_range: InputRange = UNIT_RANGE
) -> npt.NDArray[np.int8]:
    """The int8 model input for each pixel value 0..255."""
    if not scale > 0:
        raise ValueError(f"input scale must be positive, got {scale!r}")
    values = (np.arange(256, dtype=np.float64) - input_range.mean) / input_range.std
    q = np.round(values / float(scale)) + int(zero_point)
    return np.clip(q, -128, 127).astype(np.int8)


def to_model_input(
    pixels: npt.NDArray[np.uint8],
    dtype: str,
    scale: float = 0.0,
    zero_point: int = 0,
    input_range: InputRange = UNIT_RANGE,
) -> npt.NDArray[np.generic]:
    """Map uint8 pixels (any shape) to a model input of ``dtype`` (int8 or float32)."""
    if pixels.dtype != np.uint8:
        raise ValueError(f"pixels must be uint8, got {pixels.dtype}")
    if dtype == "int8":
        quantized: npt.NDArray[np.int8] = input_lut(scale, zero_point, input_range)[
            pixels
        ]
        return quantized
    if dtype == "float32":
        # float32 arithmetic, so 0..1 is exactly ``pixel.astype(float32) / 255``.
        table = (
            np.arange(256, dtype=np.float32) - np.float32(input_range.mean)
        ) / np.float32(input_range.std)
        scaled: npt.NDArray[np.float32] = table[pixels]
        return scaled
    if dtype == "uint8":
        copied: npt.NDArray[np.uint8] = np.array(pixels, dtype=np.uint8)
        return copied
    raise ValueError(f"unsupported model input dtype {dtype!r}")


def infer_input_range(
    dtype: str, scale: float | None, zero_point: int | None
) -> InputRange | None:
    """The input range an int8 input's quantization implies, or None if ambiguous.

    The full int8 span -128..127 covers exactly one convention's 256 values: scale
    1 with zero point -128 is ``0..255``, scale 1/255 is ``0..1``, and scale 2/255
    with zero point about 0 is ``-1..1``. Float inputs carry no such hint.
    """
    if dtype != "int8" or not scale or scale <= 0 or zero_point is None:
        return None
    for preset in INPUT_RANGES.values():
        span = 255.0 / preset.std  # width of the float interval of 256 pixel values
        low = -preset.mean / preset.std
        if abs(scale * 255.0 / span - 1.0) > _REL_TOLERANCE:
            continue
        if abs((-128 - zero_point) * scale - low) <= 1.5 * scale:
            return preset
    return None


def resolve_input_range(
    configured: InputRange | None,
    dtype: str,
    scale: float | None,
    zero_point: int | None,
) -> tuple[InputRange, str]:
    """The input range to use and how it was chosen (for the summary).

    Returns:
        ``(range, how)`` with ``how`` one of ``configured``, ``inferred from the
        input quantization`` or ``default``.
    """
    if configured is not None:
        return configured, "configured"
    inferred = infer_input_range(dtype, scale, zero_point)
    if inferred is not None:
        return inferred, "inferred from the input quantization"
    return UNIT_RANGE, "default"


def near_chance_warning(accuracy: float, input_range: InputRange, how: str) -> str:
    """The warning for a host accuracy near chance: usually a wrong input range."""
    return (
        f"accuracy {accuracy * 100:.1f}% is near chance with input range "
        f"'{input_range}' ({how}); if the model expects other pixels, set "
        "custom_tinyml_input_range (--input-range) to 0..1, 0..255, -1..1 or "
        "mean=M,std=S"
    )
