# SPDX-License-Identifier: Apache-2.0
"""Settings header, generated op resolver and the fixed ``tinyml_model.h`` for a model.

Three groups of files, following docs/design.md ("Generated code contract"):

* ``<stem>_model_settings.h/.cpp``: constants in ``namespace tinyml::generated`` that
  need no TFLM header (shapes, types, quantization, labels, arena, op names and the
  int8 input lookup table), so host tools and TFLM-free tests can use them;
* ``<stem>_model.h/.cpp``: need TFLM headers: ``OpResolver``
  (``tflite::MicroMutableOpResolver<kNumOps>``), ``RegisterOps`` adding exactly the
  model's ops, ``GetOpResolver()`` and the ``tinyml::ModelDescriptor kModel``;
* ``tinyml_model.h``: the one header firmware includes.
"""

from __future__ import annotations

import math

from ..config import InputRange
from ..errors import CodegenError
from ..fileio import GeneratedFile
from ..model_info import ModelInfo, TensorInfo
from ..preprocessing import UNIT_RANGE, input_lut, resolve_input_range
from ..tflm_ops import TFLM_OPS
from . import banner, comment_text
from .identifiers import assert_valid_identifier

_TENSOR_TYPES = {"float32": "kFloat32", "int8": "kInt8", "uint8": "kUint8"}
FIXED_HEADER = "tinyml_model.h"


def c_string(text: str) -> str:
    """A C string literal for ``text`` (UTF-8, with escapes)."""
    out = []
    for byte in text.encode("utf-8"):
        char = chr(byte)
        if char in '"\\':
            out.append("\\" + char)
        elif 32 <= byte < 127 and char != "?":  # '?' could start a trigraph
            out.append(char)
        else:
            out.append(f"\\{byte:03o}")
    return '"' + "".join(out) + '"'


def c_float(value: float) -> str:
    """A float literal that round-trips through a 32-bit float."""
    if not math.isfinite(value):
        raise CodegenError(
            f"quantization scale '{value}' is not finite; re-convert the model"
        )
    text = f"{value:.9g}"
    if "e" not in text and "." not in text:
        text += ".0"
    return text + "f"


def _tensor_type(tensor: TensorInfo, role: str, source: str) -> str:
    try:
        return _TENSOR_TYPES[tensor.dtype]
    except KeyError:
        raise CodegenError(
            f"model '{source}' has a {tensor.dtype} {role} ('{tensor.name}'); "
            "convert it with int8 or float32 input and output (tinyml convert)"
        ) from None


def _image_dims(shape: tuple[int, ...], source: str) -> tuple[int, int, int]:
    dims = shape[1:] if len(shape) > 1 else shape
    if len(dims) == 3:
        return dims[0], dims[1], dims[2]
    if len(dims) == 2:
        return dims[0], dims[1], 1
    if len(dims) == 1:
        return 1, dims[0], 1
    raise CodegenError(
        f"model '{source}' input shape '{shape}' is not an image "
        "(expected (1, rows, cols[, channels])); export an image classifier"
    )


def _check_ops(info: ModelInfo, source: str) -> None:
    if info.unsupported_ops:
        names = ", ".join(info.unsupported_ops)
        raise CodegenError(
            f"model '{source}' uses op '{names}' that TFLM has no kernel for; "
            "replace the layer that produces it (and export with batch size 1)"
        )


def _join_rows(items: list[str], per_row: int, indent: str = "    ") -> str:
    rows = [
        indent + ", ".join(items[i : i + per_row]) + ","
        for i in range(0, len(items), per_row)
    ]
    return "\n".join(rows)


def _settings_header(
    info: ModelInfo,
    stem: str,
    labels: tuple[str, ...],
    arena_size: int,
    measured_arena: int,
    head: str,
    source: str,
    input_range: InputRange,
    aot: bool = False,
) -> str:
    guard = f"TINYML_GENERATED_{stem.upper()}_MODEL_SETTINGS_H_"
    arena_note = (
        "// Arena: the compiled model's scratch, then input and output (AOT runtime);"
        "\n// kMeasuredArenaBytes is what TFLM would need (host measurement)."
        if aot
        else "// Arena: the host-measured need plus the configured margin, "
        "rounded to 16."
    )
    rows, cols, channels = _image_dims(info.input.shape, source)
    in_type = _tensor_type(info.input, "input", source)
    out_type = _tensor_type(info.output, "output", source)
    lut = info.input.dtype == "int8"
    lines = [
        head,
        f"// {comment_text(info.description)}; "
        f"ops: {comment_text(', '.join(info.op_names))}.",
        "// Needs no TFLM header.",
        f"#ifndef {guard}",
        f"#define {guard}",
        "",
        "#include <cstdint>",
        "",
        '#include "tinyml/model_descriptor.h"',
        "",
        f"#define TINYML_MODEL_HAS_INPUT_LUT {1 if lut else 0}",
        "",
        "namespace tinyml {",
        "namespace generated {",
        "",
        "// Model input: one image, rows x cols x channels.",
        f"constexpr int kNumRows = {rows};",
        f"constexpr int kNumCols = {cols};",
        f"constexpr int kNumChannels = {channels};",
        "constexpr int kImageSize = kNumRows * kNumCols * kNumChannels;",
        "",
        f"constexpr TensorType kInputType = TensorType::{in_type};",
        f"constexpr TensorType kOutputType = TensorType::{out_type};",
        f"constexpr float kInputScale = {c_float(info.input.scale or 0.0)};",
        f"constexpr int kInputZeroPoint = {info.input.zero_point or 0};",
        f"constexpr float kOutputScale = {c_float(info.output.scale or 0.0)};",
        f"constexpr int kOutputZeroPoint = {info.output.zero_point or 0};",
        "",
        f"constexpr int kCategoryCount = {len(labels)};",
        "extern const char* const kCategoryLabels[kCategoryCount];",
        "",
        arena_note,
        f"constexpr int kTensorArenaSize = {arena_size};",
        f"constexpr int kMeasuredArenaBytes = {measured_arena};",
        "",
        f"constexpr int kModelMacs = {info.macs};",
        "// Distinct ops (the size of the generated MicroMutableOpResolver).",
        f"constexpr int kNumOps = {len(info.op_names)};",
        "extern const char* const kOpNames[kNumOps];",
    ]
    if lut and input_range == UNIT_RANGE:
        lines += [
            "",
            "// int8 model input for each pixel value 0..255:",
            "// clip(round(p / 255 / kInputScale) + kInputZeroPoint, -128, 127).",
            "extern const int8_t kInputQuantLut[256];",
        ]
    elif lut:
        mean, std = c_float(input_range.mean), c_float(input_range.std)
        lines += [
            "",
            f"// int8 model input for each pixel value 0..255 (input range "
            f"{input_range}):",
            f"// clip(round((p - {mean}) / {std} / kInputScale) + kInputZeroPoint, "
            "-128, 127).",
            "extern const int8_t kInputQuantLut[256];",
        ]
    lines += [
        "",
        "}  // namespace generated",
        "}  // namespace tinyml",
        "",
        f"#endif  // {guard}",
        "",
    ]
    return "\n".join(lines)


def _settings_source(
    info: ModelInfo,
    stem: str,
    labels: tuple[str, ...],
    head: str,
    input_range: InputRange,
) -> str:
    lines = [
        head,
        f'#include "{stem}_model_settings.h"',
        "",
        "namespace tinyml {",
        "namespace generated {",
        "",
        "const char* const kCategoryLabels[kCategoryCount] = {",
        _join_rows([c_string(label) for label in labels], 8),
        "};",
        "",
        "const char* const kOpNames[kNumOps] = {",
        _join_rows([c_string(name) for name in info.op_names], 4),
        "};",
    ]
    if info.input.dtype == "int8":
        scale = info.input.scale or 0.0
        if not scale > 0:
            raise CodegenError(
                f"int8 input of '{info.input.name}' has scale '{scale}'; "
                "re-convert the model with full-integer quantization"
            )
        table = input_lut(scale, info.input.zero_point or 0, input_range)
        lines += [
            "",
            "const int8_t kInputQuantLut[256] = {",
            _join_rows([str(int(v)) for v in table], 16),
            "};",
        ]
    lines += ["", "}  // namespace generated", "}  // namespace tinyml", ""]
    return "\n".join(lines)


def _model_header(info: ModelInfo, stem: str, head: str) -> str:
    guard = f"TINYML_GENERATED_{stem.upper()}_MODEL_H_"
    return "\n".join(
        [
            head,
            "// Needs the TFLM headers (compiled only when TINYML_HAVE_TFLM is set).",
            f"#ifndef {guard}",
            f"#define {guard}",
            "",
            '#include "tensorflow/lite/micro/micro_mutable_op_resolver.h"',
            '#include "tinyml/model_descriptor.h"',
            f'#include "{stem}_model_settings.h"',
            "",
            "namespace tinyml {",
            "namespace generated {",
            "",
            "using OpResolver = tflite::MicroMutableOpResolver<kNumOps>;",
            "",
            "// Registers exactly the model's ops: "
            f"{comment_text(', '.join(info.op_names))}.",
            "TfLiteStatus RegisterOps(OpResolver& resolver);",
            "",
            "// A static resolver with the model's ops, registered on first use.",
            "const tflite::MicroOpResolver& GetOpResolver();",
            "",
            "// Everything the runtime needs to run the model.",
            "extern const tinyml::ModelDescriptor kModel;",
            "",
            "}  // namespace generated",
            "}  // namespace tinyml",
            "",
            f"#endif  // {guard}",
            "",
        ]
    )


def descriptor_initializer(
    *,
    data: str,
    data_size: str,
    op_resolver: str,
    int8_input: bool,
    aot_invoke: str,
    aot_scratch: str,
) -> list[str]:
    """The lines defining ``tinyml::ModelDescriptor kModel`` (TFLM or AOT).

    The fields follow ``include/tinyml/model_descriptor.h``; the model's constants
    come from ``<stem>_model_settings.h``. Each argument is the C text of its field,
    which may end with ``,  // comment`` (a bare value gets its comma added).
    """
    lut = "kInputQuantLut" if int8_input else "nullptr"
    fields = [data, data_size, op_resolver, *_SETTINGS_FIELDS, lut]
    fields += ["static_cast<size_t>(kTensorArenaSize)", aot_invoke, aot_scratch]
    return [
        "const tinyml::ModelDescriptor kModel = {",
        *[f"    {f}" if "," in f else f"    {f}," for f in fields],
        "};",
        "",
    ]


# The descriptor fields filled from <stem>_model_settings.h, in declaration order.
_SETTINGS_FIELDS = (
    "kNumRows",
    "kNumCols",
    "kNumChannels",
    "kInputType",
    "kOutputType",
    "kInputScale",
    "kInputZeroPoint",
    "kOutputScale",
    "kOutputZeroPoint",
    "kCategoryCount",
    "kCategoryLabels",
)


def _model_source(info: ModelInfo, stem: str, head: str) -> str:
    registrations = [
        f"  if (resolver.{TFLM_OPS[name].resolver_method}() != kTfLiteOk) "
        f"return kTfLiteError;  // {name}"
        for name in info.op_names
    ]
    return "\n".join(
        [
            head,
            f'#include "{stem}_model.h"',
            "",
            f'#include "{stem}_model_data.h"',
            "",
            "namespace tinyml {",
            "namespace generated {",
            "",
            "TfLiteStatus RegisterOps(OpResolver& resolver) {",
            *registrations,
            "  return kTfLiteOk;",
            "}",
            "",
            "const tflite::MicroOpResolver& GetOpResolver() {",
            "  static OpResolver resolver;",
            "  static const bool registered = RegisterOps(resolver) == kTfLiteOk;",
            "  (void)registered;",
            "  return resolver;",
            "}",
            "",
            *descriptor_initializer(
                data=f"g_{stem}_model_data",
                data_size=f"g_{stem}_model_data_size",
                op_resolver="&GetOpResolver",
                int8_input=info.input.dtype == "int8",
                aot_invoke="nullptr,  // aot_invoke: TFLM runs this model",
                aot_scratch="0",
            ),
            "}  // namespace generated",
            "}  // namespace tinyml",
            "",
        ]
    )


def _fixed_header(
    stem: str, image_headers: tuple[str, ...], head: str, *, aot: bool
) -> str:
    guard = "TINYML_GENERATED_TINYML_MODEL_H_"
    # The AOT descriptor header needs no TFLM header; the TFLM one does.
    model = (
        [f'#include "{stem}_model.h"']
        if aot
        else ["#if defined(TINYML_HAVE_TFLM)", f'#include "{stem}_model.h"', "#endif"]
    )
    lines = [
        head,
        '// Firmware includes only this file: #include "tinyml_model.h".',
        f"#ifndef {guard}",
        f"#define {guard}",
        "",
        f'#include "{stem}_model_data.h"',
        f'#include "{stem}_model_settings.h"',
        *[f'#include "{name}"' for name in image_headers],
        "",
        *model,
        "",
        f"#endif  // {guard}",
        "",
    ]
    return "\n".join(lines)


def render_settings(
    info: ModelInfo,
    *,
    stem: str,
    labels: tuple[str, ...],
    arena_size: int,
    measured_arena: int,
    source_name: str,
    image_headers: tuple[str, ...] = (),
    runtime: str = "tflm",
    input_range: InputRange | None = None,
) -> list[GeneratedFile]:
    """Render the settings, op-resolver and fixed headers for a model (pure).

    Args:
        info: the model, from :func:`platformio_tinyml.model_info.read_model`.
        stem: the symbol stem (a valid C identifier), as for the model data.
        labels: one class name per model output; empty gives "0", "1", ...
        arena_size: the arena to allocate (measured need plus margin).
        measured_arena: the host-measured arena need in bytes.
        source_name: the model's name, shown in the banners.
        image_headers: image-data headers that ``tinyml_model.h`` includes.
        runtime: ``tflm``, or ``aot`` when :mod:`.aot_model` renders
            ``<stem>_model.h/.cpp`` (then they are left out here).
        input_range: the pixel-to-input convention of ``kInputQuantLut``; None
            infers it from the input quantization (else 0..1).

    Returns:
        ``<stem>_model_settings.h/.cpp``, ``<stem>_model.h/.cpp`` (TFLM only) and
        ``tinyml_model.h``.

    Raises:
        CodegenError: the stem is invalid, the model uses an op TFLM lacks, its
            input/output types or shapes are unusable, or the labels do not match.
    """
    assert_valid_identifier(stem)
    _check_ops(info, source_name)
    categories = info.output.shape[-1] if info.output.shape else 1
    if not labels:
        labels = tuple(str(i) for i in range(categories))
    if len(labels) != categories:
        raise CodegenError(
            f"labels '{','.join(labels)}' name {len(labels)} classes but model "
            f"'{source_name}' has {categories} outputs; set custom_tinyml_labels "
            f"to {categories} comma-separated names"
        )
    aot = runtime == "aot"
    # With AOT the arena is the compiled model's exact plan, not TFLM's need.
    if (not aot and arena_size < measured_arena) or arena_size <= 0:
        raise CodegenError(
            f"arena size '{arena_size}' is below the measured need of "
            f"{measured_arena} bytes; raise custom_tinyml_arena_margin"
        )
    head = banner(source_name, info.sha256)
    rng, _how = resolve_input_range(
        input_range, info.input.dtype, info.input.scale, info.input.zero_point
    )
    files = [
        GeneratedFile.text(
            f"{stem}_model_settings.h",
            _settings_header(
                info,
                stem,
                labels,
                arena_size,
                measured_arena,
                head,
                source_name,
                rng,
                aot,
            ),
        ),
        GeneratedFile.text(
            f"{stem}_model_settings.cpp",
            _settings_source(info, stem, labels, head, rng),
        ),
    ]
    if not aot:
        files += [
            GeneratedFile.text(f"{stem}_model.h", _model_header(info, stem, head)),
            GeneratedFile.text(f"{stem}_model.cpp", _model_source(info, stem, head)),
        ]
    files.append(
        GeneratedFile.text(
            FIXED_HEADER, _fixed_header(stem, image_headers, head, aot=aot)
        )
    )
    return files
