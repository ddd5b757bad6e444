# SPDX-License-Identifier: Apache-2.0
"""Ahead-of-time compiler: int8 ``.tflite`` to plain C99, bit-exact with TFLM.

The generator is pure Python (model -> plan -> C text); the kernels are hand-written
C under ``kernels/``, copied into the generated source as ``static`` functions, so
``NAME.h`` + ``NAME.c`` compile on their own and several models link together.
"""

from __future__ import annotations

from dataclasses import dataclass

from ..errors import ModelError
from ..model_info import read_model
from .compiler import OUTPUT, check_name, plan_program, render_header, render_source
from .graph import read_graph
from .lowering import SUPPORTED_OPS, ConstArray

__all__ = [
    "SUPPORTED_OPS",
    "CompiledModel",
    "LayerPlan",
    "compile_model",
    "unsupported_ops",
]


@dataclass(frozen=True)
class LayerPlan:
    """One op of the compiled model, as planned."""

    index: int  # op index in the model
    op: str
    macs: int
    output_offset: int  # in the arena; -1 when the output is the caller's buffer
    output_bytes: int
    scratch_bytes: int  # temporary arena memory of the op
    in_place: bool  # the output overwrites a dead input
    alias: bool  # no code: the output is a view of the input (RESHAPE)


@dataclass(frozen=True)
class CompiledModel:
    """``NAME.h`` / ``NAME.c`` texts and the static memory plan."""

    name: str
    header: str
    source: str
    arena_size: int
    input_size: int
    output_size: int
    layers: tuple[LayerPlan, ...]
    const_bytes: int = 0  # weights, biases and tables in flash

    @property
    def macs(self) -> int:
        return sum(layer.macs for layer in self.layers)


def unsupported_ops(tflite: bytes) -> tuple[str, ...]:
    """Names of the model's ops the AOT compiler has no kernel for (``()`` if none).

    Only op names are checked; :func:`compile_model` may still refuse a supported
    op used in an unsupported way (e.g. float tensors, broadcasting ADD).

    Raises:
        ModelError: the bytes are not a valid ``.tflite`` model.
    """
    info = read_model(tflite)
    return tuple(name for name in info.op_names if name not in SUPPORTED_OPS)


def compile_model(tflite: bytes, name: str) -> CompiledModel:
    """Compile an int8 model to C.

    Args:
        tflite: the ``.tflite`` flatbuffer.
        name: the C symbol stem: ``NAME_invoke``, ``NAME_ARENA_SIZE``...

    Returns:
        The generated texts and the memory plan.

    Raises:
        ModelError: the model is invalid, or uses an op (or op variant) the compiler
            does not support; the message names the op and says "use runtime = tflm".
        CodegenError: ``name`` is not a valid C identifier.
    """
    check_name(name)
    missing = unsupported_ops(tflite)
    if missing:
        raise ModelError(
            f"the AOT compiler does not support op '{missing[0]}'"
            + (f" (nor {', '.join(missing[1:])})" if len(missing) > 1 else "")
            + "; use runtime = tflm"
        )
    graph = read_graph(tflite)
    program = plan_program(graph, name)
    memory = program.memory
    layers = []
    for layer in program.layers:
        tensor = graph.tensors[layer.call.output]
        offset = -1 if layer.storage < 0 else memory.offset(f"t{layer.storage}")
        layers.append(
            LayerPlan(
                index=layer.call.op_index,
                op=layer.call.op,
                macs=layer.call.macs,
                output_offset=offset if layer.storage != OUTPUT else -1,
                output_bytes=tensor.nbytes,
                scratch_bytes=layer.call.scratch_bytes,
                in_place=layer.in_place,
                alias=not layer.emitted,
            )
        )
    return CompiledModel(
        name=name,
        header=render_header(program),
        source=render_source(program),
        arena_size=memory.arena_size,
        input_size=program.input.nbytes,
        output_size=program.output.nbytes,
        layers=tuple(layers),
        const_bytes=sum(
            _const_size(c) for layer in program.layers for c in layer.call.constants
        ),
    )


_CTYPE_BYTES = {"int8_t": 1, "uint8_t": 1, "int16_t": 2, "uint16_t": 2}


def _const_size(const: ConstArray) -> int:
    """Bytes of one ``static const`` array (4 per element for 32-bit types)."""
    return len(const.values) * _CTYPE_BYTES.get(const.ctype, 4)
