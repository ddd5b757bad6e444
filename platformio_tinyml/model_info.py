# SPDX-License-Identifier: Apache-2.0
"""Read a ``.tflite`` flatbuffer (without TensorFlow): tensors, ops, MACs, TFLM support.

The reader uses the ``tflite`` schema package (generated flatbuffer accessors). Those
accessors trust every offset in the buffer, so each table and vector position is
checked against the buffer size before it is read (:class:`tflite_file.Reader`), and
any remaining low-level failure becomes a one-line ``ModelError``.
Arbitrary bytes therefore never raise anything but a ``TinyMLError``.

MACs are counted analytically per op, for the ops that dominate image classifiers:

* ``CONV_2D``: output elements x kernel height x kernel width x input channels;
* ``DEPTHWISE_CONV_2D``: output elements x kernel height x kernel width;
* ``FULLY_CONNECTED``: output elements x input features (the filter's second dim).

Every other op counts 0 MACs (pooling, softmax, reshape, quantize... are small next to
these; counting their element operations as MACs would not be comparable).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ModelError
from .tflite_file import Reader, check_magic
from .tflite_file import check_model_structure as check_model_structure
from .tflite_file import read_model_bytes as read_model_bytes
from .tflm_ops import TFLM_OPS

_Reader = Reader  # the bounds-checked reader, also used by the AOT graph reader

_CUSTOM_OPCODE = 32  # BuiltinOperator.CUSTOM
_MAX_DIMS = 16  # TFLite tensors have at most a handful of dimensions


@dataclass(frozen=True)
class TensorInfo:
    """A model input or output tensor."""

    name: str
    shape: tuple[int, ...]
    dtype: str  # 'int8', 'float32', 'uint8', 'int32', ...
    scale: float | None  # None for unquantized tensors
    zero_point: int | None


@dataclass(frozen=True)
class OpInfo:
    """One operator in execution order."""

    index: int
    name: str  # builtin name such as 'CONV_2D', or the custom code of a custom op
    version: int
    input_shapes: tuple[tuple[int, ...], ...]
    output_shapes: tuple[tuple[int, ...], ...]
    macs: int


@dataclass(frozen=True)
class ModelInfo:
    """What the code generator and ``tinyml inspect`` need to know about a model."""

    model_bytes: int
    sha256: str
    inputs: tuple[TensorInfo, ...]
    outputs: tuple[TensorInfo, ...]
    ops: tuple[OpInfo, ...]  # execution order (subgraph 0 first)
    op_names: tuple[str, ...]  # unique, in order of first appearance
    macs: int
    unsupported_ops: tuple[str, ...]  # op names TFLM has no builtin kernel for
    description: str
    tensor_dtypes: tuple[str, ...] = ()  # every dtype an operator reads or writes

    @property
    def input(self) -> TensorInfo:
        """The first (for an image classifier: the only) input tensor."""
        return self.inputs[0]

    @property
    def output(self) -> TensorInfo:
        """The first (for an image classifier: the only) output tensor."""
        return self.outputs[0]


def _schema() -> Any:
    import tflite

    return tflite


def _enum_names(enum_class: type) -> dict[int, str]:
    return {
        value: key
        for key, value in vars(enum_class).items()
        if not key.startswith("_") and isinstance(value, int)
    }


def _tensor_info(reader: _Reader, tensor: Any, dtypes: dict[int, str]) -> TensorInfo:
    reader.check_table(tensor, "tensor")
    ndims = reader.check_vector(tensor, 4, 4, "tensor shape")
    if ndims > _MAX_DIMS:
        raise reader.fail(f"tensor has {ndims} dimensions")
    shape = tuple(int(tensor.Shape(i)) for i in range(ndims))
    dtype = dtypes.get(int(tensor.Type()), f"type{int(tensor.Type())}")
    name = reader.string(tensor.Name()) if tensor._tab.Offset(8) else ""
    scale: float | None = None
    zero_point: int | None = None
    if tensor._tab.Offset(12):
        quant = tensor.Quantization()
        reader.check_table(quant, "quantization")
        nscale = reader.check_vector(quant, 8, 4, "quantization scale")
        nzero = reader.check_vector(quant, 10, 8, "quantization zero point")
        if nscale:
            scale = float(quant.Scale(0))
            zero_point = int(quant.ZeroPoint(0)) if nzero else 0
    return TensorInfo(name, shape, dtype, scale, zero_point)


class _TensorTable:
    """The tensors of one subgraph, read on first use."""

    def __init__(
        self, reader: _Reader, subgraph: Any, count: int, dtypes: dict[int, str]
    ) -> None:
        self.reader = reader
        self.subgraph = subgraph
        self.count = count
        self.dtypes = dtypes
        self.cache: dict[int, TensorInfo] = {}

    def __call__(self, index: int) -> TensorInfo:
        if not 0 <= index < self.count:
            raise self.reader.fail(
                f"tensor index {index} is out of range 0..{self.count - 1}"
            )
        if index not in self.cache:
            tensor = self.subgraph.Tensors(index)
            self.cache[index] = _tensor_info(self.reader, tensor, self.dtypes)
        return self.cache[index]


def _op_macs(
    name: str, inputs: list[tuple[int, ...]], outputs: list[tuple[int, ...]]
) -> int:
    if not outputs or len(inputs) < 2:
        return 0
    out_elems = 1
    for dim in outputs[0]:
        out_elems *= max(dim, 0)
    weights = inputs[1]
    if name == "CONV_2D" and len(weights) == 4:
        # filter [out_channels, kh, kw, in_channels]
        return out_elems * weights[1] * weights[2] * weights[3]
    if name == "DEPTHWISE_CONV_2D" and len(weights) == 4:
        # filter [1, kh, kw, out_channels]: one kh x kw window per output element
        return out_elems * weights[1] * weights[2]
    if name == "FULLY_CONNECTED" and len(weights) == 2:
        # filter [units, in_features]
        return out_elems * weights[1]
    return 0


def _describe(info_inputs: tuple[TensorInfo, ...], ops: int, macs: int) -> str:
    if not info_inputs:
        return f"{ops} ops, {macs:,} MACs"
    first = info_inputs[0]
    shape = "x".join(str(d) for d in first.shape)
    return f"{first.dtype} input {shape}, {ops} ops, {macs:,} MACs"


def _check_buffers(reader: _Reader, model: Any) -> None:
    """Check every buffer's inline data and its external (offset, size) range."""
    for b in range(reader.check_offset_vector(model, 12, "buffers")):
        buf = model.Buffers(b)
        reader.check_table(buf, "buffer")
        reader.check_vector(buf, 4, 1, "buffer data")
        offset, size = int(buf.Offset()), int(buf.Size())
        # Offset 0 means inline data; 1 is the converter's "not set" placeholder.
        if offset > 1 and offset + size > reader.size:
            raise reader.fail(f"buffer {b} ends past the {reader.size}-byte file")


def _parse(reader: _Reader) -> ModelInfo:
    tflite = _schema()
    data = reader.data
    root = reader.u32(0)
    model = tflite.Model.GetRootAs(data, 0)
    if root + 4 > reader.size:
        raise reader.fail(f"root offset {root} is outside the file")
    reader.check_table(model, "model")
    dtypes = {k: v.lower() for k, v in _enum_names(tflite.TensorType).items()}
    builtin_names = _enum_names(tflite.BuiltinOperator)

    n_codes = reader.check_offset_vector(model, 6, "operator codes")
    op_codes: list[tuple[str, int]] = []
    for i in range(n_codes):
        code = model.OperatorCodes(i)
        reader.check_table(code, "operator code")
        builtin = max(int(code.DeprecatedBuiltinCode()), int(code.BuiltinCode()))
        if builtin == _CUSTOM_OPCODE:
            custom = reader.string(code.CustomCode()) if code._tab.Offset(6) else ""
            name = custom or "CUSTOM"
        else:
            name = builtin_names.get(builtin, f"BUILTIN_{builtin}")
        op_codes.append((name, max(int(code.Version()), 1)))

    n_subgraphs = reader.check_offset_vector(model, 8, "subgraphs")
    if n_subgraphs == 0:
        raise reader.fail("it has no subgraph")
    ops: list[OpInfo] = []
    used_dtypes: set[str] = set()
    inputs: tuple[TensorInfo, ...] = ()
    outputs: tuple[TensorInfo, ...] = ()
    for s in range(n_subgraphs):
        subgraph = model.Subgraphs(s)
        reader.check_table(subgraph, "subgraph")
        n_tensors = reader.check_offset_vector(subgraph, 4, "tensors")
        tensor = _TensorTable(reader, subgraph, n_tensors, dtypes)

        n_in = reader.check_vector(subgraph, 6, 4, "subgraph inputs")
        n_out = reader.check_vector(subgraph, 8, 4, "subgraph outputs")
        if s == 0:
            inputs = tuple(tensor(int(subgraph.Inputs(i))) for i in range(n_in))
            outputs = tuple(tensor(int(subgraph.Outputs(i))) for i in range(n_out))
        n_ops = reader.check_offset_vector(subgraph, 10, "operators")
        for o in range(n_ops):
            op = subgraph.Operators(o)
            reader.check_table(op, "operator")
            index = int(op.OpcodeIndex())
            if not 0 <= index < len(op_codes):
                raise reader.fail(f"operator {o} uses unknown opcode index {index}")
            name, version = op_codes[index]
            n_op_in = reader.check_vector(op, 6, 4, "operator inputs")
            n_op_out = reader.check_vector(op, 8, 4, "operator outputs")
            in_shapes = [
                tensor(t).shape if t >= 0 else ()
                for t in (int(op.Inputs(i)) for i in range(n_op_in))
            ]
            used_dtypes.update(
                tensor(t).dtype
                for t in (int(op.Inputs(i)) for i in range(n_op_in))
                if t >= 0
            )
            out_shapes = [
                tensor(t).shape if t >= 0 else ()
                for t in (int(op.Outputs(i)) for i in range(n_op_out))
            ]
            ops.append(
                OpInfo(
                    index=len(ops),
                    name=name,
                    version=version,
                    input_shapes=tuple(in_shapes),
                    output_shapes=tuple(out_shapes),
                    macs=_op_macs(name, in_shapes, out_shapes),
                )
            )
    if not inputs or not outputs:
        raise reader.fail("its main subgraph has no input or no output tensor")
    _check_buffers(reader, model)

    op_names = tuple(dict.fromkeys(op.name for op in ops))
    macs = sum(op.macs for op in ops)
    return ModelInfo(
        model_bytes=reader.size,
        sha256=hashlib.sha256(data).hexdigest(),
        inputs=inputs,
        outputs=outputs,
        ops=tuple(ops),
        op_names=op_names,
        macs=macs,
        unsupported_ops=tuple(n for n in op_names if n not in TFLM_OPS),
        description=_describe(inputs, len(ops), macs),
        tensor_dtypes=tuple(sorted(used_dtypes)),
    )


def check_runnable_types(info: ModelInfo, source: str) -> None:
    """Refuse tensor types TFLM has no kernels for, naming the file.

    Raises:
        ModelError: the model has float16 tensors (float16 post-training
            quantization), which TFLM only meets with an internal assertion.
    """
    if "float16" in info.tensor_dtypes:
        raise ModelError(
            f"model '{source}' has float16 tensors (float16 quantization), which TFLM "
            "cannot run; convert it to int8 or float32 (tinyml convert --quantize "
            "int8)"
        )


def read_model(data: bytes, *, source: str = "<bytes>") -> ModelInfo:
    """Describe a ``.tflite`` model from its bytes.

    Args:
        data: the flatbuffer bytes.
        source: how to name the model in error messages (usually its path).

    Returns:
        The model's tensors, ops (execution order), MACs and TFLM support.

    Raises:
        ModelError: the bytes are empty, truncated, not a TFLite flatbuffer, or
            internally inconsistent. No other exception escapes for any input.
    """
    data = bytes(data)
    check_magic(data, source)
    reader = _Reader(data, source)
    try:
        return _parse(reader)
    except ModelError:
        raise
    except (RecursionError, MemoryError) as exc:
        raise reader.fail(type(exc).__name__) from exc
    except Exception as exc:  # noqa: BLE001 -- the accessors trust the bytes
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise reader.fail(f"{type(exc).__name__}: {detail[:80]}") from exc


def load_model_file(path: Path) -> tuple[bytes, ModelInfo]:
    """Read a ``.tflite`` file and describe it.

    Args:
        path: the model file.

    Returns:
        The file's bytes and their :class:`ModelInfo`.

    Raises:
        ModelError: the file cannot be read or is not a usable TFLite model.
    """
    data = read_model_bytes(path)
    return data, read_model(data, source=str(path))
