# SPDX-License-Identifier: Apache-2.0
"""The graph of a ``.tflite`` model as the AOT compiler needs it: tensors, ops, options.

The model is first validated by :func:`platformio_tinyml.model_info.read_model` (the
bounds-checked reader); this module then reads what that summary leaves out (constant
data, per-channel quantization, builtin options) through the same ``tflite`` schema
accessors, checking every buffer vector against the file size.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

from ..errors import ModelError
from ..model_info import _Reader, read_model

_DTYPES = {"int8": np.int8, "int32": np.int32, "float32": np.float32, "uint8": np.uint8}


@dataclass(frozen=True)
class Tensor:
    """One tensor of subgraph 0."""

    index: int
    name: str
    shape: tuple[int, ...]
    dtype: str  # 'int8', 'int32', 'float32', ...
    scales: tuple[float, ...]  # () when not quantized
    zero_points: tuple[int, ...]
    quantized_dimension: int
    data: bytes | None  # constant contents, None for activations

    @property
    def size(self) -> int:
        """Number of elements."""
        count = 1
        for dim in self.shape:
            count *= dim
        return count

    @property
    def nbytes(self) -> int:
        return self.size * np.dtype(_DTYPES.get(self.dtype, np.int8)).itemsize

    @property
    def scale(self) -> float:
        return self.scales[0] if self.scales else 0.0

    @property
    def zero_point(self) -> int:
        return self.zero_points[0] if self.zero_points else 0

    def array(self) -> npt.NDArray[Any]:
        """The constant contents as an array of the tensor's shape."""
        if self.data is None:
            raise ModelError(f"tensor '{self.name}' has no constant data")
        dtype = _DTYPES.get(self.dtype)
        if dtype is None:
            raise ModelError(
                f"tensor '{self.name}' has unsupported type '{self.dtype}'"
            )
        values = np.frombuffer(self.data, dtype=dtype)
        if values.size != self.size:
            raise ModelError(
                f"tensor '{self.name}' holds {values.size} values for shape "
                f"{self.shape}; re-export the model"
            )
        return values.reshape(self.shape)


@dataclass(frozen=True)
class Operator:
    """One operator: builtin name, tensor indices, and its builtin options."""

    index: int
    name: str
    inputs: tuple[int, ...]  # -1 for an omitted optional input
    outputs: tuple[int, ...]
    options: tuple[tuple[str, Any], ...]

    def option(self, key: str, default: Any = None) -> Any:
        return dict(self.options).get(key, default)


@dataclass(frozen=True)
class Graph:
    """Subgraph 0 of a model."""

    tensors: tuple[Tensor, ...]
    operators: tuple[Operator, ...]
    inputs: tuple[int, ...]
    outputs: tuple[int, ...]
    sha256: str


# Builtin options table -> (accessor name, fields to read).
_OPTION_FIELDS: dict[str, tuple[str, tuple[str, ...]]] = {
    "CONV_2D": (
        "Conv2DOptions",
        (
            "Padding",
            "StrideW",
            "StrideH",
            "FusedActivationFunction",
            "DilationWFactor",
            "DilationHFactor",
        ),
    ),
    "DEPTHWISE_CONV_2D": (
        "DepthwiseConv2DOptions",
        (
            "Padding",
            "StrideW",
            "StrideH",
            "DepthMultiplier",
            "FusedActivationFunction",
            "DilationWFactor",
            "DilationHFactor",
        ),
    ),
    "FULLY_CONNECTED": (
        "FullyConnectedOptions",
        ("FusedActivationFunction", "WeightsFormat", "KeepNumDims"),
    ),
    "MAX_POOL_2D": (
        "Pool2DOptions",
        (
            "Padding",
            "StrideW",
            "StrideH",
            "FilterWidth",
            "FilterHeight",
            "FusedActivationFunction",
        ),
    ),
    "AVERAGE_POOL_2D": (
        "Pool2DOptions",
        (
            "Padding",
            "StrideW",
            "StrideH",
            "FilterWidth",
            "FilterHeight",
            "FusedActivationFunction",
        ),
    ),
    "ADD": ("AddOptions", ("FusedActivationFunction",)),
    "SOFTMAX": ("SoftmaxOptions", ("Beta",)),
    "CONCATENATION": ("ConcatenationOptions", ("Axis", "FusedActivationFunction")),
    "MEAN": ("ReducerOptions", ("KeepDims",)),
}


def _snake(name: str) -> str:
    out = "".join("_" + c.lower() if c.isupper() else c for c in name).lstrip("_")
    return out


def _read_options(tflite: Any, op: Any, name: str) -> tuple[tuple[str, Any], ...]:
    spec = _OPTION_FIELDS.get(name)
    if spec is None:
        return ()
    table = op.BuiltinOptions()
    if table is None:
        return ()
    cls_name, fields = spec
    options = getattr(tflite, cls_name)()
    options.Init(table.Bytes, table.Pos)
    return tuple((_snake(f), getattr(options, f)()) for f in fields)


def _buffer_data(reader: _Reader, model: Any, index: int) -> bytes | None:
    if index <= 0:
        return None
    n_buffers = reader.check_offset_vector(model, 12, "buffers")
    if index >= n_buffers:
        raise reader.fail(f"buffer index {index} is out of range")
    buffer = model.Buffers(index)
    reader.check_table(buffer, "buffer")
    if buffer._tab.Offset(6) and buffer.Offset() > 1:
        # Models over 2 GB keep data after the flatbuffer: offset from file start.
        start, size = int(buffer.Offset()), int(buffer.Size())
        if start + size > reader.size:
            raise reader.fail("buffer data runs past the end")
        return reader.data[start : start + size]
    length = reader.check_vector(buffer, 4, 1, "buffer data")
    if not length:
        return None
    array = buffer.DataAsNumpy()
    return bytes(array.tobytes())


def _tensor(reader: _Reader, tflite: Any, model: Any, sub: Any, i: int) -> Tensor:
    tensor = sub.Tensors(i)
    info_dtypes = {
        v: k.lower()
        for k, v in vars(tflite.TensorType).items()
        if not k.startswith("_") and isinstance(v, int)
    }
    shape = tuple(int(tensor.Shape(j)) for j in range(tensor.ShapeLength()))
    dtype = info_dtypes.get(int(tensor.Type()), "unknown")
    name = reader.string(tensor.Name()) if tensor._tab.Offset(8) else ""
    scales: tuple[float, ...] = ()
    zeros: tuple[int, ...] = ()
    qdim = 0
    if tensor._tab.Offset(12):
        quant = tensor.Quantization()
        n_scale = reader.check_vector(quant, 8, 4, "quantization scale")
        n_zero = reader.check_vector(quant, 10, 8, "quantization zero point")
        scales = tuple(float(quant.Scale(j)) for j in range(n_scale))
        zeros = tuple(int(quant.ZeroPoint(j)) for j in range(n_zero))
        if scales and not zeros:
            zeros = (0,) * len(scales)
        qdim = int(quant.QuantizedDimension())
    data = _buffer_data(reader, model, int(tensor.Buffer()))
    return Tensor(i, name, shape, dtype, scales, zeros, qdim, data)


def read_graph(tflite_bytes: bytes) -> Graph:
    """Read subgraph 0 of a model with its constants and op options.

    Args:
        tflite_bytes: the ``.tflite`` flatbuffer.

    Returns:
        The graph.

    Raises:
        ModelError: the bytes are not a valid model (see ``model_info.read_model``),
            or the model has more than one subgraph.
    """
    data = bytes(tflite_bytes)
    info = read_model(data)  # validates every table and vector the summary reads
    import tflite

    reader = _Reader(data, "<model>")
    model = tflite.Model.GetRootAs(data, 0)
    if model.SubgraphsLength() != 1:
        raise ModelError(
            f"model has {model.SubgraphsLength()} subgraphs (control flow); "
            "the AOT compiler takes single-graph models: use runtime = tflm"
        )
    sub = model.Subgraphs(0)
    names = {
        v: k
        for k, v in vars(tflite.BuiltinOperator).items()
        if not k.startswith("_") and isinstance(v, int)
    }
    try:
        tensors = tuple(
            _tensor(reader, tflite, model, sub, i) for i in range(sub.TensorsLength())
        )
        operators = []
        for o in range(sub.OperatorsLength()):
            op = sub.Operators(o)
            code = model.OperatorCodes(int(op.OpcodeIndex()))
            builtin = max(int(code.DeprecatedBuiltinCode()), int(code.BuiltinCode()))
            name = info.ops[o].name if builtin == 32 else names.get(builtin, "?")
            operators.append(
                Operator(
                    index=o,
                    name=name,
                    inputs=tuple(int(op.Inputs(j)) for j in range(op.InputsLength())),
                    outputs=tuple(
                        int(op.Outputs(j)) for j in range(op.OutputsLength())
                    ),
                    options=_read_options(tflite, op, name),
                )
            )
    except ModelError:
        raise
    except Exception as exc:  # noqa: BLE001 -- the accessors trust the bytes
        raise reader.fail(f"{type(exc).__name__}: {str(exc)[:80]}") from exc
    return Graph(
        tensors=tensors,
        operators=tuple(operators),
        inputs=tuple(int(sub.Inputs(j)) for j in range(sub.InputsLength())),
        outputs=tuple(int(sub.Outputs(j)) for j in range(sub.OutputsLength())),
        sha256=info.sha256,
    )
