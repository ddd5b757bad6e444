# SPDX-License-Identifier: Apache-2.0
"""Pixel-to-model-input mapping shared by training, verification, goldens and firmware.

Every zoo model takes ``pixel / 255`` as float input. An int8 model's input is that
value quantized with the input tensor's scale and zero point. The mapping is defined
once, as a 256-entry lookup table, and the same table is emitted into the generated
C++ settings; host goldens and the device therefore quantize identically.
"""

from __future__ import annotations

import numpy as np
import numpy.typing as npt


def input_lut(scale: float, zero_point: int) -> npt.NDArray[np.int8]:
    """The int8 model input for each pixel value 0..255."""
    if not scale > 0:
        raise ValueError(f"input scale must be positive, got {scale!r}")
    pixels = np.arange(256, dtype=np.float64) / 255.0
    q = np.round(pixels / float(scale)) + int(zero_point)
    return np.clip(q, -128, 127).astype(np.int8)


def to_model_input(
    pixels: npt.NDArray[np.uint8], dtype: str, scale: float = 0.0, zero_point: int = 0
) -> npt.NDArray[np.generic]:
    """Map uint8 pixels (any shape) to a model input of ``dtype`` (int8 or float32)."""
    if pixels.dtype != np.uint8:
        raise ValueError(f"pixels must be uint8, got {pixels.dtype}")
    if dtype == "int8":
        quantized: npt.NDArray[np.int8] = input_lut(scale, zero_point)[pixels]
        return quantized
    if dtype == "float32":
        scaled: npt.NDArray[np.float32] = np.asarray(pixels, dtype=np.float32) / 255.0
        return scaled
    if dtype == "uint8":
        copied: npt.NDArray[np.uint8] = np.array(pixels, dtype=np.uint8)
        return copied
    raise ValueError(f"unsupported model input dtype {dtype!r}")
