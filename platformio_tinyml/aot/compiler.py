# SPDX-License-Identifier: Apache-2.0
"""Model -> plan -> C text: the AOT compiler's pipeline (pure; writes nothing)."""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources

from .. import __version__
from ..codegen.identifiers import assert_valid_identifier
from ..errors import ModelError
from .graph import Graph, Operator, Tensor
from .lowering import Call, ConstArray, lower_conv_add, lower_op
from .memory import Buffer, MemoryPlan, plan_memory

INPUT = -1  # storage roots that are not in the arena
OUTPUT = -2


@dataclass(frozen=True)
class Layer:
    """One op after lowering and planning."""

    call: Call
    storage: int  # root tensor of the output's storage (or INPUT / OUTPUT)
    emitted: bool  # False for RESHAPE aliases (no code)
    in_place: bool
    output_bytes: int


@dataclass(frozen=True)
class Program:
    """A lowered, planned model, ready to print as C."""

    name: str
    sha256: str
    input: Tensor
    output: Tensor
    layers: tuple[Layer, ...]
    memory: MemoryPlan


def _strip_edges(graph: Graph) -> tuple[Tensor, Tensor, list[Operator]]:
    if len(graph.inputs) != 1 or len(graph.outputs) != 1:
        raise ModelError(
            f"model has {len(graph.inputs)} inputs and {len(graph.outputs)} outputs; "
            "the AOT compiler takes one of each: use runtime = tflm"
        )
    ops = list(graph.operators)
    inp = graph.tensors[graph.inputs[0]]
    out = graph.tensors[graph.outputs[0]]
    # Float edges: the generated code takes and returns the int8 tensors.
    if inp.dtype != "int8" and ops and ops[0].name == "QUANTIZE":
        if ops[0].inputs[0] == inp.index:
            inp = graph.tensors[ops[0].outputs[0]]
            ops = ops[1:]
    if out.dtype != "int8" and ops and ops[-1].name == "DEQUANTIZE":
        if ops[-1].outputs[0] == out.index:
            out = graph.tensors[ops[-1].inputs[0]]
            ops = ops[:-1]
    for tensor, role in ((inp, "input"), (out, "output")):
        if tensor.dtype != "int8":
            raise ModelError(
                f"model {role} '{tensor.name}' is {tensor.dtype}; the AOT compiler "
                "needs an int8 model (tinyml convert --quantization int8) or use "
                "runtime = tflm"
            )
    return inp, out, ops


def _readers(ops: list[Operator]) -> dict[int, int]:
    count: dict[int, int] = {}
    for op in ops:
        for t in op.inputs:
            count[t] = count.get(t, 0) + 1
    return count


def _lower_all(graph: Graph, ops: list[Operator], output: int) -> list[Call]:
    """Lower ops in order, fusing CONV_2D with an ADD right after it that is the
    only reader of the convolution's output (a residual block)."""
    readers = _readers(ops)
    calls: list[Call] = []
    i = 0
    while i < len(ops):
        op = ops[i]
        nxt = ops[i + 1] if i + 1 < len(ops) else None
        if (
            op.name == "CONV_2D"
            and nxt is not None
            and nxt.name == "ADD"
            and op.outputs[0] in nxt.inputs[:2]
            and nxt.inputs[0] != nxt.inputs[1]
            and readers.get(op.outputs[0], 0) == 1
            and op.outputs[0] != output
        ):
            try:
                calls.append(lower_conv_add(graph, op, nxt))
                i += 2
                continue
            except ModelError:
                pass  # e.g. broadcasting: lowered separately below, which refuses it
        calls.append(lower_op(graph, op))
        i += 1
    return calls


def plan_program(graph: Graph, name: str) -> Program:
    """Lower every op and plan the arena.

    Raises:
        ModelError: an op is not supported (the message names it).
    """
    inp, out, ops = _strip_edges(graph)
    calls = _lower_all(graph, ops, out.index)
    last_read: dict[int, int] = {}
    for step, call in enumerate(calls):
        for t in call.inputs:
            last_read[t] = step
    root: dict[int, int] = {inp.index: INPUT}
    members: dict[int, list[int]] = {}
    layers: list[Layer] = []
    for step, call in enumerate(calls):
        emitted, in_place = True, False
        target = OUTPUT if call.output == out.index else call.output
        if call.alias_of is not None and target != OUTPUT:
            target = root.get(call.alias_of, call.alias_of)
            emitted = False
        elif target != OUTPUT:
            for t in call.in_place_ok:
                r = root.get(t, t)
                if r in (INPUT, OUTPUT):
                    continue
                dies = max(last_read.get(m, -1) for m in members.get(r, [r])) <= step
                if (
                    dies
                    and graph.tensors[r].nbytes == graph.tensors[call.output].nbytes
                ):
                    target, in_place = r, True
                    break
        root[call.output] = target
        members.setdefault(target, [target] if target >= 0 else []).append(call.output)
        layers.append(
            Layer(call, target, emitted, in_place, graph.tensors[call.output].nbytes)
        )

    buffers: list[Buffer] = []
    first: dict[int, int] = {}
    for step, layer in enumerate(layers):
        if layer.storage >= 0:
            first.setdefault(layer.storage, step)
        if layer.call.scratch_bytes:
            buffers.append(
                Buffer(f"scratch{step}", layer.call.scratch_bytes, step, step)
            )
    for r, start in first.items():
        last = max([start] + [last_read.get(m, start) for m in members[r]])
        buffers.append(Buffer(f"t{r}", graph.tensors[r].nbytes, start, last))
    return Program(
        name=name,
        sha256=graph.sha256,
        input=inp,
        output=out,
        layers=tuple(layers),
        memory=plan_memory(buffers),
    )


# --- C text --------------------------------------------------------------------


def _kernel_text(stem: str) -> str:
    return (resources.files(__package__) / "kernels" / f"{stem}.c").read_text("utf-8")


def _array(const: ConstArray) -> str:
    if const.ctype.startswith("tinyml_aot_"):  # one struct
        values = ", ".join(str(v) for v in const.values)
        return f"static const {const.ctype} {const.name} = {{{values}}};\n"
    per_line = 16 if const.ctype == "int8_t" else 8
    rows = [
        ", ".join(str(v) for v in const.values[i : i + per_line])
        for i in range(0, len(const.values), per_line)
    ]
    body = ",\n    ".join(rows) if rows else "0"
    return f"static const {const.ctype} {const.name}[] = {{\n    {body}}};\n"


def _pointer(program: Program, tensor: int, roots: dict[int, int]) -> str:
    r = roots.get(tensor, tensor)
    if r == INPUT:
        return "input"
    if r == OUTPUT:
        return "output"
    return f"(a + {program.memory.offset(f't{r}')})"


def _banner(program: Program) -> str:
    return (
        f"// Generated by platformio_tinyml {__version__} from model "
        f"'{program.name}' (sha256 {program.sha256[:12]}). Do not edit."
    )


def render_header(program: Program) -> str:
    """``NAME.h``: sizes, quantization of the edges, and the invoke prototype."""
    n = program.name
    guard = f"TINYML_AOT_{n.upper()}_H_"
    i, o = program.input, program.output
    shape = "x".join(str(d) for d in i.shape)
    return f"""\
{_banner(program)}
#ifndef {guard}
#define {guard}

#include <stdint.h>

#ifdef __cplusplus
extern "C" {{
#endif

/* Scratch + activations; the arena's base must be 16-byte aligned. */
#define {n}_ARENA_SIZE {program.memory.arena_size}
#define {n}_INPUT_SIZE {i.nbytes}
#define {n}_OUTPUT_SIZE {o.nbytes}
#define {n}_INPUT_SCALE {i.scale!r}f
#define {n}_INPUT_ZERO_POINT {i.zero_point}
#define {n}_OUTPUT_SCALE {o.scale!r}f
#define {n}_OUTPUT_ZERO_POINT {o.zero_point}

/* Runs the model: input is the int8 input tensor ({shape}), output
 * receives the int8 output tensor; arena needs {n}_ARENA_SIZE bytes, 16-byte
 * aligned. Returns 0 on success. */
int {n}_invoke(const int8_t *input, int8_t *output, void *arena);

#ifdef __cplusplus
}}
#endif

#endif  // {guard}
"""


def render_source(program: Program) -> str:
    """``NAME.c``: the used kernels (static), the constants, and ``NAME_invoke``."""
    n = program.name
    kernels = ["common"]
    for layer in program.layers:
        k = layer.call.kernel
        if layer.emitted and k and k not in kernels:
            kernels.append(k)
    roots = {layer.call.output: layer.storage for layer in program.layers}
    roots[program.input.index] = INPUT
    parts = [
        _banner(program) + "\n",
        f'#include "{n}.h"\n\n',
    ]
    parts += [f"/* --- kernel: {k} --- */\n{_kernel_text(k)}\n" for k in kernels]
    parts.append(
        "/* Define TINYML_AOT_TRACE(op, data, bytes) to see each op's output. */\n"
        "#ifndef TINYML_AOT_TRACE\n"
        "#define TINYML_AOT_TRACE(op, data, bytes) ((void)0)\n"
        "#endif\n\n"
    )
    parts.append("/* --- constants --- */\n")
    # Ops that share weights (a mirror-averaged model's two branches) share arrays.
    first: dict[tuple[str, tuple[int | str, ...]], str] = {}
    for layer in program.layers:
        if not layer.emitted:
            continue
        for const in layer.call.constants:
            same = first.setdefault((const.ctype, const.values), const.name)
            if same == const.name:
                parts.append(_array(const))
            else:
                parts.append(f"#define {const.name} {same}\n")
    body = []
    for step, layer in enumerate(program.layers):
        call = layer.call
        where = _pointer(program, call.output, roots)
        note = "alias" if not layer.emitted else ("in place" if layer.in_place else "")
        body.append(
            f"  /* op {call.op_index} {call.op}: output {where}"
            f"{', ' + note if note else ''}, {call.macs} MACs */"
        )
        if not layer.emitted:
            continue
        fields = {
            f"t{t}": _pointer(program, t, roots) for t in (*call.inputs, call.output)
        }
        if call.scratch_bytes:
            fields["scratch"] = f"(a + {program.memory.offset(f'scratch{step}')})"
        body.append("  " + call.template.format(**fields))
        body.append(
            f"  TINYML_AOT_TRACE({call.op_index}, {where}, {layer.output_bytes});"
        )
    parts.append(
        f"\nint {n}_invoke(const int8_t *input, int8_t *output, void *arena) {{\n"
        "  int8_t *a = (int8_t *)arena;\n"
        "  (void)a;\n"
        "  if (input == 0 || output == 0) return 1;\n"
        + "\n".join(body)
        + "\n  return 0;\n}\n"
    )
    return "".join(parts)


def check_name(name: str) -> str:
    """The symbol stem must be a C identifier."""
    return assert_valid_identifier(name, "name")
