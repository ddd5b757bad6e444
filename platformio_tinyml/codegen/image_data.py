# SPDX-License-Identifier: Apache-2.0
"""Render a packed image set (images, labels, golden outputs) as C++ sources.

Each set ``<name>`` becomes ``<name>_image_data.h`` / ``.cpp`` with its symbols in
``tinyml::generated::<name>``, an **inline** namespace: firmware with one set writes
``tinyml::generated::kImageData`` (next to the model settings), and several sets
(e.g. ``test`` and ``demo``) link into one firmware side by side and are reached as
``tinyml::generated::demo::kImageData``. No name clashes with the model settings
header (hence ``kGoldenCategoryCount``, equal to the settings' ``kCategoryCount``).
The header needs only ``<cstdint>`` and ``<tinyml/model_descriptor.h>`` (no TFLM):

.. code-block:: cpp

    namespace tinyml { namespace generated { inline namespace test {
    constexpr int kImageCount, kImageHeight, kImageWidth, kImageChannels;
    constexpr PixelFormat kImageFormat;          // kGray1bpp, kUint8, kInt8, kRgb565
    constexpr int kImageRowBytes, kImageBytes;   // packed bytes per row / per image
    extern const uint8_t kImageData[kImageCount * kImageBytes];  // alignas(16)
    extern const uint8_t kImageLabels[kImageCount];
    constexpr int kImageClassCount;
    extern const char* const kImageClassNames[kImageClassCount];
    // With a model (TINYML_<NAME>_HAS_GOLDEN_OUTPUTS is defined):
    constexpr int kGoldenCategoryCount;
    constexpr TensorType kGoldenOutputType;
    extern const int8_t kGoldenOutputs[kImageCount][kGoldenCategoryCount];  // or float
    // Optionally (TINYML_<NAME>_HAS_MODEL_INPUTS):
    constexpr int kModelInputElements;
    constexpr TensorType kModelInputType;
    extern const int8_t kImageModelInputs[kImageCount][kModelInputElements];
    }}}

Output is deterministic: identical sets give byte-identical files.
"""

from __future__ import annotations

import hashlib
import math
import re
from collections.abc import Iterable
from typing import Any

import numpy as np

from ..errors import CodegenError
from ..fileio import GeneratedFile
from ..images import PackedImages
from . import banner
from .identifiers import C_RESERVED_WORDS

__all__ = ["PIXEL_FORMAT_ENUM", "image_set_sha256", "render_image_set"]

PIXEL_FORMAT_ENUM = {
    "1bpp": "PixelFormat::kGray1bpp",
    "uint8": "PixelFormat::kUint8",
    "int8": "PixelFormat::kInt8",
    "rgb565": "PixelFormat::kRgb565",
}

_C_TYPES = {
    "int8": ("int8_t", "TensorType::kInt8"),
    "uint8": ("uint8_t", "TensorType::kUint8"),
    "float32": ("float", "TensorType::kFloat32"),
}

_NAME_RE = re.compile(r"^[A-Za-z][A-Za-z0-9_]*$")
_PER_LINE = 16


def _check_name(name: str) -> str:
    if not _NAME_RE.match(name) or name in C_RESERVED_WORDS or len(name) > 63:
        raise CodegenError(
            f"image set name '{name}' is not usable as a C++ namespace; use letters, "
            "digits and '_' starting with a letter, not a reserved word (e.g. test)"
        )
    return name


def image_set_sha256(packed: PackedImages) -> str:
    """A digest of everything rendered: format, size, bytes, labels, goldens."""
    digest = hashlib.sha256()
    head = (
        f"{packed.fmt}|{packed.count}|{packed.height}|{packed.width}|"
        f"{packed.channels}|{packed.bytes_per_image}|{packed.labels}|"
        f"{packed.class_names}"
    )
    digest.update(head.encode("utf-8"))
    digest.update(packed.data)
    for arr in (packed.golden, packed.model_inputs):
        if arr is not None:
            digest.update(str(arr.dtype).encode() + str(arr.shape).encode())
            digest.update(np.ascontiguousarray(arr).tobytes())
    return digest.hexdigest()


def _c_string(text: str) -> str:
    """A C string literal; non-printable and non-ASCII bytes as 3-digit octal."""
    out = []
    for byte in text.encode("utf-8"):
        ch = chr(byte)
        if ch in '"\\':
            out.append("\\" + ch)
        elif 0x20 <= byte < 0x7F and ch != "?":  # '?' avoids trigraphs
            out.append(ch)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def _float_literal(value: float) -> str:
    if not math.isfinite(value):
        raise CodegenError(
            f"golden output '{value}' is not finite; the model produced NaN/Inf, "
            "check the model and its input quantization"
        )
    text = f"{value:.9g}"
    if not any(c in text for c in ".e"):
        text += ".0"
    return text + "f"


def _literals(values: Any, ctype: str) -> list[str]:
    flat = np.asarray(values).reshape(-1)
    if ctype == "float":
        return [_float_literal(float(v)) for v in flat]
    if ctype == "uint8_t" and flat.dtype == np.uint8:
        return [f"0x{int(v):02x}" for v in flat]
    return [str(int(v)) for v in flat]


def _rows(items: Iterable[str], indent: str = "    ") -> list[str]:
    items = list(items)
    return [
        indent + ", ".join(items[i : i + _PER_LINE]) + ","
        for i in range(0, len(items), _PER_LINE)
    ]


def _row_bytes(packed: PackedImages) -> int:
    if packed.fmt == "1bpp":
        return (packed.width + 7) // 8
    if packed.fmt == "rgb565":
        return packed.width * 2
    return packed.width * packed.channels


def _array_2d(ctype: str, decl: str, values: Any) -> list[str]:
    lines = [f"{decl} = {{"]
    for row in np.asarray(values).reshape(values.shape[0], -1):
        lines.append("    {")
        lines += _rows(_literals(row, ctype), indent="        ")
        lines.append("    },")
    lines.append("};")
    return lines


def render_image_set(
    packed: PackedImages, *, source_name: str, include_model_inputs: bool = False
) -> list[GeneratedFile]:
    """Render ``<name>_image_data.h`` and ``<name>_image_data.cpp`` (pure).

    Args:
        packed: the set from :func:`platformio_tinyml.images.pack_test_set`.
        source_name: what the set was generated from, for the banner.
        include_model_inputs: also emit ``kImageModelInputs`` (the decoded model
            inputs; costs ``N * H * W * C`` more bytes of flash, 4x for float models).

    Returns:
        The header and the source file.

    Raises:
        CodegenError: an unusable set name, an empty set, labels above 255, or
            golden outputs that are not finite or of an unsupported type.
    """
    name = _check_name(packed.name)
    if packed.count < 1:
        raise CodegenError(
            f"image set '{name}' has '{packed.count}' images; pack at least one "
            "(custom_tinyml_images >= 1) or skip the image set"
        )
    if len(packed.data) != packed.count * packed.bytes_per_image:
        raise CodegenError(
            f"image set '{name}' holds '{len(packed.data)}' bytes, not "
            f"{packed.count} x {packed.bytes_per_image}; build it with pack_test_set()"
        )
    if any(not 0 <= label <= 255 for label in packed.labels):
        raise CodegenError(
            f"image set '{name}' has label '{max(packed.labels)}' outside 0..255; "
            "kImageLabels is uint8_t, use at most 256 classes"
        )
    golden = packed.golden
    golden_type: tuple[str, str] | None = None
    if golden is not None:
        golden_type = _C_TYPES.get(str(golden.dtype))
        if golden_type is None or golden.ndim != 2 or golden.shape[0] != packed.count:
            raise CodegenError(
                f"golden outputs of dtype '{golden.dtype}' shape '{golden.shape}' are "
                f"not (count, classes) int8/uint8/float32; compute them with run_tflm()"
            )
    inputs = packed.model_inputs if include_model_inputs else None
    input_type: tuple[str, str] | None = None
    if inputs is not None:
        input_type = _C_TYPES.get(str(inputs.dtype))
        if input_type is None or inputs.shape[0] != packed.count:
            raise CodegenError(
                f"model inputs of dtype '{inputs.dtype}' shape '{inputs.shape}' cannot "
                "be rendered; compute them with pack_test_set()"
            )

    head = banner(source_name, image_set_sha256(packed))
    guard = f"TINYML_GENERATED_{name.upper()}_IMAGE_DATA_H_"
    macro = f"TINYML_{name.upper()}"
    header_name = f"{name}_image_data.h"
    fmt_note = {
        "1bpp": "1 bit per pixel, rows MSB-first padded to whole bytes (image2cpp); "
        "decode bit=1 as 255",
        "uint8": "raw uint8 pixels, HWC order",
        "int8": "int8 model inputs (pixels mapped through the input lookup table), HWC",
        "rgb565": "little-endian uint16 R[15:11] G[10:5] B[4:0]; decode with bit "
        "replication",
    }[packed.fmt]

    h = [
        head,
        f"// Image set '{name}': {packed.count} images of "
        f"{packed.height}x{packed.width}x{packed.channels}, format {packed.fmt}.",
        f"// Layout: {fmt_note}.",
        f"#ifndef {guard}",
        f"#define {guard}",
        "",
        "#include <cstdint>",
        "",
        "#include <tinyml/model_descriptor.h>",
        "",
    ]
    if golden is not None:
        h.append(f"#define {macro}_HAS_GOLDEN_OUTPUTS 1")
    if inputs is not None:
        h.append(f"#define {macro}_HAS_MODEL_INPUTS 1")
    if golden is not None or inputs is not None:
        h.append("")
    h += [
        "namespace tinyml {",
        "namespace generated {",
        f"inline namespace {name} {{",
        "",
        f"constexpr int kImageCount = {packed.count};",
        f"constexpr int kImageHeight = {packed.height};",
        f"constexpr int kImageWidth = {packed.width};",
        f"constexpr int kImageChannels = {packed.channels};",
        f"constexpr PixelFormat kImageFormat = {PIXEL_FORMAT_ENUM[packed.fmt]};",
        f"constexpr int kImageRowBytes = {_row_bytes(packed)};",
        f"constexpr int kImageBytes = {packed.bytes_per_image};  // per image",
        "",
        "// All images back to back: image i starts at kImageData + i * kImageBytes.",
        "extern const uint8_t kImageData[kImageCount * kImageBytes];",
        "// The true class of each image.",
        "extern const uint8_t kImageLabels[kImageCount];",
    ]
    if packed.class_names:
        h += [
            f"constexpr int kImageClassCount = {len(packed.class_names)};",
            "extern const char* const kImageClassNames[kImageClassCount];",
        ]
    if golden is not None and golden_type is not None:
        h += [
            "",
            "// Model outputs of the host TFLM interpreter for each decoded image.",
            f"constexpr int kGoldenCategoryCount = {golden.shape[1]};",
            f"constexpr TensorType kGoldenOutputType = {golden_type[1]};",
            f"extern const {golden_type[0]} "
            "kGoldenOutputs[kImageCount][kGoldenCategoryCount];",
        ]
    if inputs is not None and input_type is not None:
        elements = int(np.prod(inputs.shape[1:]))
        h += [
            "",
            "// The model input fed for each image (after decoding and the input LUT).",
            f"constexpr int kModelInputElements = {elements};",
            f"constexpr TensorType kModelInputType = {input_type[1]};",
            f"extern const {input_type[0]} "
            "kImageModelInputs[kImageCount][kModelInputElements];",
        ]
    h += [
        "",
        f"}}  // namespace {name}",
        "}  // namespace generated",
        "}  // namespace tinyml",
        "",
        f"#endif  // {guard}",
        "",
    ]

    c = [
        head,
        f'#include "{header_name}"',
        "",
        "namespace tinyml {",
        "namespace generated {",
        f"inline namespace {name} {{",
        "",
        "alignas(16) const uint8_t kImageData[kImageCount * kImageBytes] = {",
    ]
    c += _rows(f"0x{b:02x}" for b in packed.data)
    c += [
        "};",
        "",
        "const uint8_t kImageLabels[kImageCount] = {",
        *_rows(str(label) for label in packed.labels),
        "};",
    ]
    if packed.class_names:
        c += [
            "",
            "const char* const kImageClassNames[kImageClassCount] = {",
            *_rows(_c_string(n) for n in packed.class_names),
            "};",
        ]
    if golden is not None and golden_type is not None:
        c.append("")
        c += _array_2d(
            golden_type[0],
            f"alignas(16) const {golden_type[0]} "
            "kGoldenOutputs[kImageCount][kGoldenCategoryCount]",
            golden,
        )
    if inputs is not None and input_type is not None:
        c.append("")
        c += _array_2d(
            input_type[0],
            f"alignas(16) const {input_type[0]} "
            "kImageModelInputs[kImageCount][kModelInputElements]",
            inputs,
        )
    c += [
        "",
        f"}}  // namespace {name}",
        "}  // namespace generated",
        "}  // namespace tinyml",
        "",
    ]
    return [
        GeneratedFile.text(header_name, "\n".join(h)),
        GeneratedFile.text(f"{name}_image_data.cpp", "\n".join(c)),
    ]
