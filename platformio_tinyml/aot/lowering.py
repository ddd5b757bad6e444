# SPDX-License-Identifier: Apache-2.0
"""Lower each supported int8 op to one kernel call with constants computed offline."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import numpy as np
import numpy.typing as npt

from ..errors import ModelError
from . import quant
from .graph import Graph, Operator, Tensor

_FIX = "use runtime = tflm"


@dataclass(frozen=True)
class ConstArray:
    """A ``static const`` array in the generated source."""

    name: str
    ctype: str  # int8_t, int32_t, int
    values: tuple[int | str, ...]


@dataclass(frozen=True)
class Call:
    """One lowered op: the kernel call and what the planner needs to know."""

    op_index: int
    op: str
    kernel: str  # kernel file stem under kernels/
    template: str  # C statement; {t<N>} = tensor N's pointer, {scratch} = scratch
    inputs: tuple[int, ...]  # activation tensors read
    output: int
    macs: int = 0
    scratch_bytes: int = 0
    alias_of: int | None = None  # output shares storage with this input (RESHAPE)
    in_place_ok: tuple[int, ...] = ()  # inputs whose storage the output may reuse
    constants: tuple[ConstArray, ...] = field(default_factory=tuple)


def _fail(op: Operator, why: str) -> ModelError:
    return ModelError(f"op {op.index} {op.name}: {why}; {_FIX}")


def _int8_activation(graph: Graph, op: Operator, index: int) -> Tensor:
    tensor = graph.tensors[index]
    if tensor.dtype != "int8":
        raise _fail(op, f"tensor '{tensor.name}' is {tensor.dtype}, not int8")
    if tensor.data is not None:
        raise _fail(
            op, f"constant input '{tensor.name}' where an activation is expected"
        )
    if len(tensor.scales) > 1:
        raise _fail(op, f"activation '{tensor.name}' is quantized per channel")
    return tensor


def _activation(op: Operator, out: Tensor) -> tuple[int, int]:
    act = int(op.option("fused_activation_function", 0))
    try:
        return quant.activation_range(act, out.scale, out.zero_point)
    except ValueError as exc:
        raise _fail(op, f"fused activation '{exc}' is not supported") from None


def _padding(
    padding: int, size_in: int, size_out: int, k: int, stride: int, dil: int
) -> int:
    effective = (k - 1) * dil + 1
    total = (size_out - 1) * stride + effective - size_in
    return max(total, 0) // 2


def _channel_params(
    op: Operator, inp: Tensor, filt: Tensor, out: Tensor, channels: int
) -> tuple[list[int], list[int]]:
    if filt.dtype != "int8":
        raise _fail(op, f"filter '{filt.name}' is {filt.dtype}, not int8")
    if any(z != 0 for z in filt.zero_points):
        raise _fail(op, f"filter '{filt.name}' has a non-zero zero point")
    scales = filt.scales
    if len(scales) not in (1, channels):
        raise _fail(
            op, f"filter '{filt.name}' has {len(scales)} scales for {channels} channels"
        )
    mults, shifts = [], []
    for c in range(channels):
        s = scales[c] if len(scales) > 1 else scales[0]
        m, sh = quant.quantize_multiplier(inp.scale * s / out.scale)
        mults.append(m)
        shifts.append(sh)
    return mults, shifts


def _bias(graph: Graph, op: Operator, channels: int) -> npt.NDArray[np.int64]:
    if len(op.inputs) < 3 or op.inputs[2] < 0:
        return np.zeros(channels, dtype=np.int64)
    bias = graph.tensors[op.inputs[2]]
    if bias.dtype != "int32" or bias.data is None:
        raise _fail(op, f"bias '{bias.name}' is {bias.dtype}, not a constant int32")
    return bias.array().astype(np.int64).reshape(-1)


def _wrap32(values: npt.NDArray[np.int64]) -> tuple[int, ...]:
    wrapped = ((values + (1 << 31)) % (1 << 32)) - (1 << 31)
    return tuple(int(v) for v in wrapped)


def _t(index: int) -> str:
    """Placeholder for a tensor's pointer, filled in after memory planning."""
    return f"{{t{index}}}"


def _invoke(function: str, *args: object) -> str:
    return f"{function}({', '.join(str(a) for a in args)});"


def _c(prefix: str, op: Operator) -> str:
    return f"k_{prefix}{op.index}"


def _lower_fully_connected(graph: Graph, op: Operator) -> Call:
    inp = _int8_activation(graph, op, op.inputs[0])
    out = _int8_activation(graph, op, op.outputs[0])
    filt = graph.tensors[op.inputs[1]]
    if filt.data is None or len(filt.shape) != 2:
        raise _fail(op, "the weights are not a constant 2-D tensor")
    if int(op.option("weights_format", 0)) != 0:
        raise _fail(op, "shuffled weights are not supported")
    units, features = filt.shape
    if inp.size % features:
        raise _fail(op, f"input size {inp.size} is not a multiple of {features}")
    batches = inp.size // features
    weights = filt.array().astype(np.int64)
    bias = _bias(graph, op, units) - inp.zero_point * weights.sum(axis=1)
    mults, shifts = _channel_params(op, inp, filt, out, units)
    lo, hi = _activation(op, out)
    names = (_c("w", op), _c("b", op), _c("m", op), _c("s", op))
    # Blocks of four rows (a short last block repeats its last row), in words
    # of four bytes (byte j = bits 8j..8j+7): per four inputs one word per
    # row, then per leftover input one word holding the four rows.
    rows = np.vstack([weights, np.repeat(weights[-1:], -units % 4, axis=0)])
    blocks = rows.reshape(-1, 4, features) & 0xFF
    main = features // 4 * 4
    groups = blocks[:, :, :main].reshape(len(blocks), 4, -1, 4).transpose(0, 2, 1, 3)
    tail = blocks[:, :, main:].transpose(0, 2, 1)[:, :, np.newaxis, :]
    shifts_8 = np.array([0, 8, 16, 24])
    words = np.concatenate(
        [
            (groups << shifts_8).sum(axis=-1).reshape(len(blocks), -1),
            (tail << shifts_8).sum(axis=-1).reshape(len(blocks), -1),
        ],
        axis=1,
    )
    return Call(
        op_index=op.index,
        op=op.name,
        kernel="fully_connected",
        template=_invoke(
            "tinyml_aot_fully_connected",
            _t(inp.index),
            _t(out.index),
            names[0],
            names[1],
            names[2],
            names[3],
            batches,
            features,
            units,
            out.zero_point,
            lo,
            hi,
        ),
        inputs=(inp.index,),
        output=out.index,
        macs=batches * units * features,
        constants=(
            ConstArray(names[0], "int32_t", _wrap32(words.reshape(-1))),
            ConstArray(names[1], "int32_t", _wrap32(bias)),
            ConstArray(names[2], "int32_t", tuple(mults)),
            ConstArray(names[3], "int32_t", tuple(shifts)),
        ),
    )


def _conv_geometry(
    op: Operator, inp: Tensor, out: Tensor, kh: int, kw: int
) -> tuple[int, ...]:
    if len(inp.shape) != 4 or len(out.shape) != 4 or inp.shape[0] != 1:
        raise _fail(op, f"input shape {inp.shape} is not 1xHxWxC")
    sh, sw = int(op.option("stride_h", 1)), int(op.option("stride_w", 1))
    dh, dw = (
        int(op.option("dilation_h_factor", 1)),
        int(op.option("dilation_w_factor", 1)),
    )
    pad = int(op.option("padding", 1))
    ph = _padding(pad, inp.shape[1], out.shape[1], kh, sh, dh)
    pw = _padding(pad, inp.shape[2], out.shape[2], kw, sw, dw)
    return sh, sw, dh, dw, ph, pw


def _lower_conv(graph: Graph, op: Operator) -> Call:
    """CONV_2D: the few-channel kernel when it applies, else the generic one."""
    return _lower_conv_few(graph, op) or _lower_conv_generic(graph, op)


def _conv_operands(graph: Graph, op: Operator) -> tuple[Tensor, Tensor, Tensor]:
    """(input, output, filter) of a convolution, the filter a constant 4-D tensor."""
    inp = _int8_activation(graph, op, op.inputs[0])
    out = _int8_activation(graph, op, op.outputs[0])
    filt = graph.tensors[op.inputs[1]]
    if filt.data is None or len(filt.shape) != 4:
        raise _fail(op, "the filter is not a constant 4-D tensor")
    return inp, out, filt


def _padded_rows(weights: npt.NDArray[np.int64]) -> npt.NDArray[np.int64]:
    """Each output channel's weights, zero-padded to a multiple of 4."""
    depth = weights.shape[1]
    packed = np.zeros((weights.shape[0], (depth + 3) // 4 * 4), dtype=np.int64)
    packed[:, :depth] = weights
    return packed


def _int16_pairs(rows: npt.NDArray[np.int64]) -> tuple[int, ...]:
    """Rows of int16 values as words, two per word (low half first), interleaved
    by row pair: word (o // 2, k // 2, o % 2). An odd last row is repeated."""
    if len(rows) % 2:
        rows = np.vstack([rows, rows[-1:]])
    pairs = rows.reshape(-1, 2, rows.shape[1] // 2, 2).transpose(0, 2, 1, 3)
    return _wrap32(((pairs[..., 0] & 0xFFFF) | (pairs[..., 1] << 16)).reshape(-1))


def _conv_call(
    op: Operator,
    kernel: str,
    operands: tuple[Tensor, Tensor],
    names: tuple[str, ...],
    per_pixel: int,
    window: tuple[int, ...],
    tail: tuple[object, ...],
    macs: int,
    scratch_bytes: int,
    constants: tuple[ConstArray, ...],
) -> Call:
    """The call of a convolution kernel: ``tinyml_aot_<kernel>(in, out, <names>,
    ih, iw, ic, oh, ow, <per_pixel>, kh, kw, sh, sw, dh, dw, ph, pw, <tail>)``,
    ``window`` being ``(kh, kw, sh, sw, dh, dw, ph, pw)``."""
    inp, out = operands
    _, ih, iw, ic = inp.shape
    _, oh, ow, _ = out.shape
    return Call(
        op_index=op.index,
        op=op.name,
        kernel=kernel,
        template=_invoke(
            f"tinyml_aot_{kernel}",
            _t(inp.index),
            _t(out.index),
            *names,
            ih,
            iw,
            ic,
            oh,
            ow,
            per_pixel,
            *window,
            *tail,
        ),
        inputs=(inp.index,),
        output=out.index,
        macs=macs,
        scratch_bytes=scratch_bytes,
        constants=constants,
    )


def _lower_conv_few(graph: Graph, op: Operator) -> Call | None:
    """CONV_2D with ic not a multiple of 4 (first layers), if the short
    requantization of ``kernels/conv_few.c`` is exact for every channel."""
    inp, out, filt = _conv_operands(graph, op)
    oc, kh, kw, ic = filt.shape
    if ic % 4 == 0 or ic != inp.shape[-1]:
        return None
    geometry = _conv_geometry(op, inp, out, kh, kw)
    weights = filt.array().astype(np.int64).reshape(oc, -1)
    bias = _bias(graph, op, oc) - inp.zero_point * weights.sum(axis=1)
    # Every input value (padding taps read the zero point) is in [-128, 127].
    bounds = np.abs(bias) + 128 * np.abs(weights).sum(axis=1)
    mults, shifts = _channel_params(op, inp, filt, out, oc)
    params = [
        quant.short_requantize_params(m, s, out.zero_point, int(b))
        for m, s, b in zip(mults, shifts, bounds, strict=True)
    ]
    if any(p is None for p in params):
        return None
    # Doubled (the kernel's SMMULR), widened to int16 and interleaved as in
    # _lower_conv_generic (without quad).
    packed = _padded_rows(2 * weights)
    depth4 = packed.shape[1]
    lo, hi = _activation(op, out)
    names = (_c("w", op), _c("b", op), _c("q", op))
    return _conv_call(
        op,
        "conv_few",
        (inp, out),
        names,
        oc,
        (kh, kw, *geometry),
        (inp.zero_point, lo, hi, "(int32_t *){scratch}"),
        macs=int(np.prod(out.shape)) * kh * kw * ic,
        # Columns of two pixels (int16), then their bytes with room to spill.
        scratch_bytes=2 * 2 * depth4 + 2 * (depth4 + 4),
        constants=(
            ConstArray(names[0], "int32_t", _int16_pairs(packed)),
            ConstArray(names[1], "int32_t", _wrap32(2 * bias)),
            ConstArray(names[2], "int32_t", tuple(v for p in params if p for v in p)),
        ),
    )


def _lower_conv_generic(graph: Graph, op: Operator) -> Call:
    inp, out, filt = _conv_operands(graph, op)
    oc, kh, kw, ic = filt.shape
    if ic != inp.shape[-1]:
        raise _fail(op, "grouped convolution is not supported")
    geometry = _conv_geometry(op, inp, out, kh, kw)
    weights = filt.array().astype(np.int64).reshape(oc, -1)
    bias = _bias(graph, op, oc) - inp.zero_point * weights.sum(axis=1)
    packed = _padded_rows(weights)
    depth4 = packed.shape[1]
    # quad: columns widened 4 channels at a time, as c0, c2, c1, c3 (see
    # kernels/conv.c); the weights follow that order. Weights are widened to
    # int16 offline (see _int16_pairs).
    quad = 1 if ic % 4 == 0 else 0
    if quad:
        packed = packed.reshape(oc, -1, 4)[:, :, [0, 2, 1, 3]].reshape(oc, -1)
    mults, shifts = _channel_params(op, inp, filt, out, oc)
    lo, hi = _activation(op, out)
    names = (_c("w", op), _c("b", op), _c("m", op), _c("s", op))
    return _conv_call(
        op,
        "conv",
        (inp, out),
        names,
        oc,
        (kh, kw, *geometry),
        (inp.zero_point, out.zero_point, lo, hi, quad, "(int32_t *){scratch}", 0, 0, 0),
        macs=int(np.prod(out.shape)) * kh * kw * ic,
        # Columns of two pixels (int16), then (without quad) their bytes.
        scratch_bytes=2 * 2 * depth4 + (0 if quad else 2 * depth4),
        constants=(
            ConstArray(names[0], "int32_t", _int16_pairs(packed)),
            ConstArray(names[1], "int32_t", _wrap32(bias)),
            ConstArray(names[2], "int32_t", tuple(mults)),
            ConstArray(names[3], "int32_t", tuple(shifts)),
        ),
    )


def _lower_depthwise(graph: Graph, op: Operator) -> Call:
    inp, out, filt = _conv_operands(graph, op)
    _, kh, kw, oc = filt.shape
    ic = inp.shape[-1]
    if oc % ic:
        raise _fail(op, f"{oc} output channels are not a multiple of {ic}")
    geometry = _conv_geometry(op, inp, out, kh, kw)
    weights = filt.array().astype(np.int64).reshape(kh * kw, oc)
    bias = _bias(graph, op, oc) - inp.zero_point * weights.sum(axis=0)
    mults, shifts = _channel_params(op, inp, filt, out, oc)
    lo, hi = _activation(op, out)
    names = (_c("w", op), _c("b", op), _c("m", op), _c("s", op))
    return _conv_call(
        op,
        "depthwise_conv",
        (inp, out),
        names,
        oc // ic,
        (kh, kw, *geometry),
        (inp.zero_point, out.zero_point, lo, hi),
        macs=int(np.prod(out.shape)) * kh * kw,
        scratch_bytes=0,
        constants=(
            ConstArray(names[0], "int8_t", tuple(int(v) for v in weights.reshape(-1))),
            ConstArray(names[1], "int32_t", _wrap32(bias)),
            ConstArray(names[2], "int32_t", tuple(mults)),
            ConstArray(names[3], "int32_t", tuple(shifts)),
        ),
    )


def _lower_pool(graph: Graph, op: Operator) -> Call:
    inp = _int8_activation(graph, op, op.inputs[0])
    out = _int8_activation(graph, op, op.outputs[0])
    if (inp.scale, inp.zero_point) != (out.scale, out.zero_point):
        raise _fail(op, "input and output quantization differ")
    fh, fw = int(op.option("filter_height", 1)), int(op.option("filter_width", 1))
    sh, sw, _, _, ph, pw = _conv_geometry(op, inp, out, fh, fw)
    lo, hi = _activation(op, out)
    _, ih, iw, c = inp.shape
    _, oh, ow, _ = out.shape
    is_max = 1 if op.name == "MAX_POOL_2D" else 0
    return Call(
        op_index=op.index,
        op=op.name,
        kernel="pool",
        template=_invoke(
            "tinyml_aot_pool",
            _t(inp.index),
            _t(out.index),
            is_max,
            ih,
            iw,
            c,
            oh,
            ow,
            fh,
            fw,
            sh,
            sw,
            ph,
            pw,
            lo,
            hi,
        ),
        inputs=(inp.index,),
        output=out.index,
    )


def _add_constants(
    op: Operator, a: Tensor, b: Tensor, out: Tensor
) -> tuple[ConstArray, ...]:
    """The ADD's parameter struct and its two input tables."""
    (ma, sa), (mb, sb), (mo, so) = quant.add_params(a.scale, b.scale, out.scale)
    lo, hi = _activation(op, out)
    name = _c("add", op)
    return (
        ConstArray(
            name + "_a", "int32_t", quant.add_input_table(-a.zero_point, ma, sa)
        ),
        ConstArray(
            name + "_b", "int32_t", quant.add_input_table(-b.zero_point, mb, sb)
        ),
        ConstArray(
            name,
            "tinyml_aot_add_params",
            (f"{name}_a", f"{name}_b", mo, so, out.zero_point, lo, hi),
        ),
    )


def _add_operands(graph: Graph, op: Operator) -> tuple[Tensor, Tensor, Tensor]:
    a = _int8_activation(graph, op, op.inputs[0])
    b = _int8_activation(graph, op, op.inputs[1])
    out = _int8_activation(graph, op, op.outputs[0])
    if a.shape != b.shape or a.shape != out.shape:
        raise _fail(op, f"broadcasting {a.shape} + {b.shape} is not supported")
    return a, b, out


def _lower_add(graph: Graph, op: Operator) -> Call:
    a, b, out = _add_operands(graph, op)
    name = _c("add", op)
    return Call(
        op_index=op.index,
        op=op.name,
        kernel="add",
        template=_invoke(
            "tinyml_aot_add",
            _t(a.index),
            _t(b.index),
            _t(out.index),
            out.size,
            "&" + name,
        ),
        inputs=(a.index, b.index),
        output=out.index,
        in_place_ok=(a.index, b.index),
        constants=_add_constants(op, a, b, out),
    )


def lower_conv_add(graph: Graph, conv: Operator, add: Operator) -> Call:
    """A CONV_2D fused with the ADD that consumes its output (a residual block).

    The ADD's other input is the residual; the output may overwrite it in place.
    """
    call = _lower_conv_generic(graph, conv)
    a, b, out = _add_operands(graph, add)
    conv_first = 1 if a.index == call.output else 0
    residual = b if conv_first else a
    name = _c("add", add)
    assert call.template.endswith(", 0, 0, 0);")
    template = call.template[: -len(", 0, 0, 0);")] + (
        f", {_t(residual.index)}, &{name}, {conv_first});"
    )
    template = template.replace(_t(call.output), _t(out.index))
    return Call(
        op_index=conv.index,
        op=f"{conv.name}+{add.name}",
        kernel=call.kernel,
        template=template,
        inputs=(*call.inputs, residual.index),
        output=out.index,
        macs=call.macs,
        scratch_bytes=call.scratch_bytes,
        # Not in place when the residual is also the convolution's input, which
        # im2col keeps reading after outputs are stored.
        in_place_ok=() if residual.index in call.inputs else (residual.index,),
        constants=(
            *call.constants,
            *_add_constants(add, a, b, out),
        ),
    )


def _lower_softmax(graph: Graph, op: Operator) -> Call:
    inp = _int8_activation(graph, op, op.inputs[0])
    out = _int8_activation(graph, op, op.outputs[0])
    if out.zero_point != -128 or np.float32(out.scale) != np.float32(1.0 / 256):
        raise _fail(op, "int8 softmax output must have scale 1/256 and zero point -128")
    beta = float(op.option("beta", 1.0))
    mult, shift, diff_min = quant.softmax_params(beta, inp.scale)
    depth = inp.shape[-1]
    return Call(
        op_index=op.index,
        op=op.name,
        kernel="softmax",
        template=_invoke(
            "tinyml_aot_softmax",
            _t(inp.index),
            _t(out.index),
            inp.size // depth,
            depth,
            mult,
            shift,
            diff_min,
        ),
        inputs=(inp.index,),
        output=out.index,
    )


def _lower_reshape(graph: Graph, op: Operator) -> Call:
    inp = _int8_activation(graph, op, op.inputs[0])
    out = _int8_activation(graph, op, op.outputs[0])
    return Call(
        op_index=op.index,
        op=op.name,
        kernel="",
        template=_invoke("memcpy", _t(out.index), _t(inp.index), out.size),
        inputs=(inp.index,),
        output=out.index,
        alias_of=inp.index,
    )


def _lower_elementwise(graph: Graph, op: Operator) -> Call:
    inp = _int8_activation(graph, op, op.inputs[0])
    out = _int8_activation(graph, op, op.outputs[0])
    requantize, mult, shift = 0, 0, 0
    lo, hi = quant.INT8_MIN, quant.INT8_MAX
    if op.name == "RELU6":
        lo = inp.zero_point
        hi = min(
            quant.INT8_MAX,
            max(quant.INT8_MIN, quant.quantize_float(6.0, inp.scale, inp.zero_point)),
        )
    else:
        requantize = 1
        if op.name == "RELU":
            mult, shift = quant.quantize_multiplier(quant.f32(inp.scale / out.scale))
            lo = max(lo, quant.quantize_float(0.0, out.scale, out.zero_point))
        else:  # QUANTIZE int8 -> int8
            mult, shift = quant.quantize_multiplier(inp.scale / out.scale)
    return Call(
        op_index=op.index,
        op=op.name,
        kernel="elementwise",
        template=_invoke(
            "tinyml_aot_requantize_elements",
            _t(inp.index),
            _t(out.index),
            out.size,
            requantize,
            inp.zero_point,
            mult,
            shift,
            out.zero_point,
            lo,
            hi,
        ),
        inputs=(inp.index,),
        output=out.index,
        in_place_ok=(inp.index,),
    )


def _axis_values(graph: Graph, op: Operator, index: int) -> list[int]:
    tensor = graph.tensors[index]
    if tensor.data is None or tensor.dtype not in ("int32", "int64"):
        raise _fail(op, f"'{tensor.name}' must be a constant int32 tensor")
    return [int(v) for v in tensor.array().reshape(-1)]


def _lower_mean(graph: Graph, op: Operator) -> Call:
    inp = _int8_activation(graph, op, op.inputs[0])
    out = _int8_activation(graph, op, op.outputs[0])
    rank = len(inp.shape)
    axes = sorted({a % rank for a in _axis_values(graph, op, op.inputs[1])})
    if axes != list(range(axes[0], axes[-1] + 1)):
        raise _fail(op, f"mean over non-adjacent axes {axes} is not supported")
    outer = int(np.prod(inp.shape[: axes[0]], dtype=np.int64))
    reduce = int(np.prod(inp.shape[axes[0] : axes[-1] + 1], dtype=np.int64))
    inner = int(np.prod(inp.shape[axes[-1] + 1 :], dtype=np.int64))
    mult, shift = quant.mean_params(inp.scale, out.scale, reduce)
    return Call(
        op_index=op.index,
        op=op.name,
        kernel="mean",
        template=_invoke(
            "tinyml_aot_mean",
            _t(inp.index),
            _t(out.index),
            "(int32_t *){scratch}",
            outer,
            reduce,
            inner,
            inp.zero_point * reduce,
            mult,
            shift,
            out.zero_point,
        ),
        inputs=(inp.index,),
        output=out.index,
        scratch_bytes=4 * inner,
    )


def _lower_pad(graph: Graph, op: Operator) -> Call:
    inp = _int8_activation(graph, op, op.inputs[0])
    out = _int8_activation(graph, op, op.outputs[0])
    pads = _axis_values(graph, op, op.inputs[1])
    if len(inp.shape) > 4 or len(pads) != 2 * len(inp.shape):
        raise _fail(op, f"paddings {pads} do not match input shape {inp.shape}")
    value = out.zero_point
    if op.name == "PADV2" and len(op.inputs) > 2:
        value = int(graph.tensors[op.inputs[2]].array().reshape(-1)[0])
    lead = 4 - len(inp.shape)
    in_dims = [1] * lead + list(inp.shape)
    out_dims = [1] * lead + list(out.shape)
    before = [0] * lead + pads[0::2]
    names = (_c("pi", op), _c("po", op), _c("pb", op))
    return Call(
        op_index=op.index,
        op=op.name,
        kernel="pad",
        template=_invoke(
            "tinyml_aot_pad",
            _t(inp.index),
            _t(out.index),
            names[0],
            names[1],
            names[2],
            value,
        ),
        inputs=(inp.index,),
        output=out.index,
        constants=(
            ConstArray(names[0], "int", tuple(in_dims)),
            ConstArray(names[1], "int", tuple(out_dims)),
            ConstArray(names[2], "int", tuple(before)),
        ),
    )


def _lower_concat(graph: Graph, op: Operator) -> Call:
    out = _int8_activation(graph, op, op.outputs[0])
    if int(op.option("fused_activation_function", 0)) != 0:
        raise _fail(op, "a fused activation on CONCATENATION is not supported")
    axis = int(op.option("axis", 0)) % len(out.shape)
    outer = int(np.prod(out.shape[:axis], dtype=np.int64))
    total = out.size // outer
    lines, inputs, offset = [], [], 0
    for index in op.inputs:
        inp = _int8_activation(graph, op, index)
        if (inp.scale, inp.zero_point) != (out.scale, out.zero_point):
            raise _fail(op, "inputs with their own quantization are not supported")
        part = inp.size // outer
        lines.append(
            _invoke(
                "tinyml_aot_concat_part",
                _t(inp.index),
                _t(out.index),
                outer,
                part,
                total,
                offset,
            )
        )
        inputs.append(inp.index)
        offset += part
    return Call(
        op_index=op.index,
        op=op.name,
        kernel="concat",
        template="\n  ".join(lines),
        inputs=tuple(inputs),
        output=out.index,
    )


def _lower_reverse(graph: Graph, op: Operator) -> Call:
    inp = _int8_activation(graph, op, op.inputs[0])
    out = _int8_activation(graph, op, op.outputs[0])
    if (inp.scale, inp.zero_point) != (out.scale, out.zero_point):
        raise _fail(op, "an output with its own quantization is not supported")
    rank = len(inp.shape)
    axes = sorted({a % rank for a in _axis_values(graph, op, op.inputs[1])})
    if len(axes) != 1:
        raise _fail(op, f"reversing {len(axes)} axes at once is not supported")
    axis = axes[0]
    outer = int(np.prod(inp.shape[:axis], dtype=np.int64))
    inner = int(np.prod(inp.shape[axis + 1 :], dtype=np.int64))
    return Call(
        op_index=op.index,
        op=op.name,
        kernel="reverse",
        template=_invoke(
            "tinyml_aot_reverse",
            _t(inp.index),
            _t(out.index),
            outer,
            int(inp.shape[axis]),
            inner,
        ),
        inputs=(inp.index,),
        output=out.index,
    )


LOWERINGS: dict[str, Callable[[Graph, Operator], Call]] = {
    "ADD": _lower_add,
    "AVERAGE_POOL_2D": _lower_pool,
    "CONCATENATION": _lower_concat,
    "CONV_2D": _lower_conv,
    "DEPTHWISE_CONV_2D": _lower_depthwise,
    "FULLY_CONNECTED": _lower_fully_connected,
    "MAX_POOL_2D": _lower_pool,
    "MEAN": _lower_mean,
    "PAD": _lower_pad,
    "PADV2": _lower_pad,
    "QUANTIZE": _lower_elementwise,
    "RELU": _lower_elementwise,
    "RELU6": _lower_elementwise,
    "RESHAPE": _lower_reshape,
    "REVERSE_V2": _lower_reverse,
    "SOFTMAX": _lower_softmax,
}


def lower_op(graph: Graph, op: Operator) -> Call:
    """Lower one op (int8 in, int8 out) to a kernel call.

    Raises:
        ModelError: the op, or this use of it, is not supported.
    """
    lowering = LOWERINGS.get(op.name)
    if lowering is None:
        raise _fail(op, "the AOT compiler has no kernel for it")
    return lowering(graph, op)


# Ops the compiler accepts; DEQUANTIZE only as the model's last op (dropped, the
# generated code returns the int8 tensor), QUANTIZE also as the first op.
SUPPORTED_OPS: tuple[str, ...] = tuple(sorted({*LOWERINGS, "DEQUANTIZE"}))
