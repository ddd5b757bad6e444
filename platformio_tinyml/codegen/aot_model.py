# SPDX-License-Identifier: Apache-2.0
"""The AOT runtime's generated files: the compiled model and its model descriptor.

With ``runtime = aot`` these stand in for the TFLM ``<stem>_model.h/.cpp``
(docs/design.md, "Generated code contract"): ``<stem>_model.h/.cpp`` declare and fill
``tinyml::generated::kModel`` with the compiled model's entry point, and
``<stem>_aot.h/.c`` are the model compiled to C99 by :mod:`platformio_tinyml.aot`.
None of them needs a TFLM header.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

from ..fileio import GeneratedFile
from . import banner
from .identifiers import assert_valid_identifier
from .model_settings import descriptor_initializer

ALIGN = 16


class CompiledLike(Protocol):
    """The fields of ``aot.CompiledModel`` used here."""

    @property
    def name(self) -> str: ...
    @property
    def header(self) -> str: ...
    @property
    def source(self) -> str: ...
    @property
    def arena_size(self) -> int: ...
    @property
    def input_size(self) -> int: ...
    @property
    def output_size(self) -> int: ...


@dataclass(frozen=True)
class AotArena:
    """The classifier's arena with the AOT runtime: scratch, then input, then output."""

    scratch: int  # what the compiled model needs at the arena's start
    input_offset: int
    output_offset: int
    total: int  # kTensorArenaSize


def _align(value: int) -> int:
    return (value + ALIGN - 1) // ALIGN * ALIGN


def aot_name(stem: str) -> str:
    """The compiled model's C name (``<name>_invoke``, ``<name>.h``)."""
    return f"{stem}_aot"


def aot_arena(compiled: CompiledLike) -> AotArena:
    """The arena layout ``tinyml::Classifier`` uses with a compiled model."""
    input_offset = _align(compiled.arena_size)
    output_offset = input_offset + _align(compiled.input_size)
    return AotArena(
        scratch=compiled.arena_size,
        input_offset=input_offset,
        output_offset=output_offset,
        total=output_offset + _align(compiled.output_size),
    )


def _descriptor_header(stem: str, head: str) -> str:
    guard = f"TINYML_GENERATED_{stem.upper()}_MODEL_H_"
    return "\n".join(
        [
            head,
            "// The model compiled ahead of time (runtime = aot); no TFLM header.",
            f"#ifndef {guard}",
            f"#define {guard}",
            "",
            '#include "tinyml/model_descriptor.h"',
            f'#include "{stem}_model_settings.h"',
            "",
            "namespace tinyml {",
            "namespace generated {",
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


def _descriptor_source(
    stem: str, name: str, arena: AotArena, int8_input: bool, head: str
) -> str:
    return "\n".join(
        [
            head,
            f'#include "{stem}_model.h"',
            "",
            'extern "C" {',
            f'#include "{name}.h"',
            "}",
            "",
            "namespace tinyml {",
            "namespace generated {",
            "",
            f"static_assert(kTensorArenaSize == {arena.total},",
            '              "arena: compiled scratch + input + output, 16-aligned");',
            "",
            *descriptor_initializer(
                data="nullptr,  // no flatbuffer: the model is compiled",
                data_size="0",
                op_resolver="nullptr",
                int8_input=int8_input,
                aot_invoke=f"&{name}_invoke",
                aot_scratch=str(arena.scratch),
            ),
            "}  // namespace generated",
            "}  // namespace tinyml",
            "",
        ]
    )


def render_aot_model(
    compiled: CompiledLike,
    *,
    stem: str,
    source_name: str,
    sha256: str,
    int8_input: bool = True,
) -> list[GeneratedFile]:
    """Render the compiled model and its descriptor (pure).

    Args:
        compiled: ``aot.compile_model(tflite, aot_name(stem))``.
        stem: the symbol stem, as for the settings header.
        source_name: the model's name, shown in the banners.
        sha256: the model file's sha256.
        int8_input: the model input is int8 (the descriptor gets the input table).

    Returns:
        ``<name>.h``, ``<name>.c``, ``<stem>_model.h`` and ``<stem>_model.cpp``.
    """
    assert_valid_identifier(stem)
    head = banner(source_name, sha256)
    arena = aot_arena(compiled)
    name = compiled.name
    return [
        GeneratedFile.text(f"{name}.h", compiled.header),
        GeneratedFile.text(f"{name}.c", compiled.source),
        GeneratedFile.text(f"{stem}_model.h", _descriptor_header(stem, head)),
        GeneratedFile.text(
            f"{stem}_model.cpp",
            _descriptor_source(stem, name, arena, int8_input, head),
        ),
    ]
