# SPDX-License-Identifier: Apache-2.0
"""``tinyml compile``: a ``.tflite`` file to ``NAME.h`` + ``NAME.c`` in a folder."""

from __future__ import annotations

from pathlib import Path

from ..codegen.identifiers import symbol_stem
from ..fileio import GeneratedFile, write_files
from ..model_info import load_model_file
from . import CompiledModel, compile_model


def compile_file(
    model: Path, out_dir: Path, name: str | None = None
) -> tuple[CompiledModel, list[Path]]:
    """Compile a model file and write ``NAME.h`` and ``NAME.c`` under ``out_dir``.

    Args:
        model: the int8 ``.tflite`` file.
        out_dir: the output folder (created if needed).
        name: the C symbol stem; default: the sanitized model file stem.

    Returns:
        The compiled model and the paths written (unchanged files are not rewritten).

    Raises:
        ModelError: the model cannot be read or has an unsupported op.
        CodegenError: ``name`` is not a valid C identifier.
    """
    data, _ = load_model_file(Path(model))
    stem, _ = symbol_stem(name, Path(model).stem)
    compiled = compile_model(data, stem)
    files = [
        GeneratedFile.text(f"{stem}.h", compiled.header),
        GeneratedFile.text(f"{stem}.c", compiled.source),
    ]
    written = write_files(Path(out_dir), files)
    return compiled, written


def format_plan(compiled: CompiledModel) -> str:
    """A per-layer table of the memory plan (for the CLI)."""
    lines = [f"{'op':>3}  {'name':<18} {'MACs':>10} {'output':>12} {'bytes':>7} note"]
    for layer in compiled.layers:
        where = "caller" if layer.output_offset < 0 else f"arena+{layer.output_offset}"
        note = "alias" if layer.alias else ("in place" if layer.in_place else "")
        if layer.scratch_bytes:
            note = (note + f" scratch {layer.scratch_bytes}").strip()
        lines.append(
            f"{layer.index:>3}  {layer.op:<18} {layer.macs:>10,} {where:>12} "
            f"{layer.output_bytes:>7} {note}"
        )
    lines.append(
        f"arena {compiled.arena_size} bytes, input {compiled.input_size}, "
        f"output {compiled.output_size}, {compiled.macs:,} MACs"
    )
    return "\n".join(lines)
