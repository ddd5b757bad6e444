# SPDX-License-Identifier: Apache-2.0
"""Read a ``.tflite`` flatbuffer (without TensorFlow): tensors, ops, MACs, TFLM support.

The reader uses the ``tflite`` schema package (generated flatbuffer accessors). Those
accessors trust every offset in the buffer, so this module checks each table and
vector position against the buffer size before reading it, and converts any
remaining low-level failure into a one-line ``ModelError``.
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
import struct
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ModelError
from .tflm_ops import TFLM_OPS

TFLITE_IDENTIFIER = b"TFL3"

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


class _Reader:
    """Bounds-checked access to one flatbuffer through the ``tflite`` accessors."""

    def __init__(self, data: bytes, source: str) -> None:
        self.data = data
        self.size = len(data)
        self.source = source

    def fail(self, what: str) -> ModelError:
        return ModelError(
            f"model '{self.source}' is not a valid TFLite flatbuffer ({what}); "
            "re-export it with the TFLite converter or check the file was not truncated"
        )

    def u32(self, pos: int) -> int:
        if pos < 0 or pos + 4 > self.size:
            raise self.fail(f"offset {pos} is outside the {self.size}-byte file")
        value: int = struct.unpack_from("<I", self.data, pos)[0]
        return value

    def check_table(self, table: Any, what: str) -> None:
        """Check a table's position and its vtable before the accessors read it."""
        pos = table._tab.Pos
        if pos < 0 or pos + 4 > self.size:
            raise self.fail(f"{what} table at offset {pos} is outside the file")
        vtable = pos - struct.unpack_from("<i", self.data, pos)[0]
        if vtable < 0 or vtable + 4 > self.size:
            raise self.fail(f"{what} vtable at offset {vtable} is outside the file")
        vsize = struct.unpack_from("<H", self.data, vtable)[0]
        if vsize < 4 or vtable + vsize > self.size:
            raise self.fail(f"{what} vtable size {vsize} is invalid")
        tsize = struct.unpack_from("<H", self.data, vtable + 2)[0]
        if pos + tsize > self.size:
            raise self.fail(f"{what} table size {tsize} runs past the end")
        # Every field of the table must lie inside the table.
        for field in range(4, vsize, 2):
            off = struct.unpack_from("<H", self.data, vtable + field)[0]
            if off >= max(tsize, 4):
                raise self.fail(f"{what} field offset {off} exceeds its table")

    def check_vector(self, table: Any, slot: int, elem_size: int, what: str) -> int:
        """Check the vector in vtable ``slot`` fits the buffer; return its length."""
        tab = table._tab
        off = tab.Offset(slot)
        if not off:
            return 0
        field = tab.Pos + off
        start = field + self.u32(field)
        length = self.u32(start)
        if start + 4 + length * elem_size > self.size:
            raise self.fail(f"{what} vector of {length} items runs past the end")
        return length

    def check_offset_vector(self, table: Any, slot: int, what: str) -> int:
        """Like check_vector for vectors of tables/strings: also check each target."""
        length = self.check_vector(table, slot, 4, what)
        if length:
            tab = table._tab
            field = tab.Pos + tab.Offset(slot)
            start = field + self.u32(field) + 4
            for i in range(length):
                item = start + 4 * i
                target = item + self.u32(item)
                if target + 4 > self.size:
                    raise self.fail(f"{what} item {i} points outside the file")
        return length

    def string(self, value: bytes | None) -> str:
        if value is None:
            return ""
        return bytes(value).decode("utf-8", errors="replace")


def _check_magic(data: bytes, source: str) -> None:
    if not data:
        raise ModelError(
            f"model '{source}' is empty (0 bytes); "
            "re-export it with the TFLite converter or fetch it again"
        )
    if len(data) < 8:
        raise ModelError(
            f"model '{source}' is truncated ({len(data)} bytes; a TFLite flatbuffer "
            "has at least 8); re-export it or download it again"
        )
    if data[4:8] != TFLITE_IDENTIFIER:
        found = data[4:8]
        if data[:1] in (b"{", b"<", b"#") or all(
            32 <= b < 127 or b in (9, 10, 13) for b in data[:64]
        ):
            kind = "looks like a text file"
        elif data[:2] == b"PK":
            kind = "looks like a zip archive (.keras?); convert it with: tinyml convert"
        elif data[:8] == b"\x89HDF\r\n\x1a\n":
            kind = "looks like a Keras .h5 file; convert it with: tinyml convert"
        else:
            kind = f"identifier {found!r}"
        raise ModelError(
            f"model '{source}' is not a TFLite flatbuffer ('TFL3' expected at bytes "
            f"4..8; {kind}); pass a .tflite file"
        )


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
    _check_magic(data, source)
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


class _RawTab:
    """The two members of a flatbuffers ``Table`` that :class:`_Reader` uses."""

    def __init__(self, reader: _Reader, pos: int) -> None:
        self.Pos = pos  # noqa: N815 -- the flatbuffers accessor's name
        self._reader = reader

    def Offset(self, slot: int) -> int:  # noqa: N802 -- the flatbuffers accessor's name
        data = self._reader.data
        vtable = self.Pos - struct.unpack_from("<i", data, self.Pos)[0]
        vsize: int = struct.unpack_from("<H", data, vtable)[0]
        if slot >= vsize:
            return 0
        off: int = struct.unpack_from("<H", data, vtable + slot)[0]
        return off


class _RawTable:
    """A table at a known position, checked by :class:`_Reader` like an accessor."""

    def __init__(self, reader: _Reader, pos: int) -> None:
        self._tab = _RawTab(reader, pos)


def _raw_tables(reader: _Reader, table: _RawTable, slot: int, what: str) -> list[Any]:
    """The checked tables of the offset vector in ``slot`` of ``table``."""
    length = reader.check_offset_vector(table, slot, what)
    if not length:
        return []
    tab = table._tab
    start = tab.Pos + tab.Offset(slot)
    start += reader.u32(start) + 4
    items = []
    for i in range(length):
        item = _RawTable(reader, start + 4 * i + reader.u32(start + 4 * i))
        reader.check_table(item, what)
        items.append(item)
    return items


def check_model_structure(data: bytes, *, source: str = "<bytes>") -> None:
    """Check a ``.tflite`` flatbuffer's structure without the schema package.

    The same bounds checks as :func:`read_model` (:class:`_Reader`), on the tables
    that make a model: the root, operator codes, subgraphs with their tensors,
    inputs, outputs and operators, and buffers. It imports neither ``tflite`` nor
    numpy, so ``tinyml carray`` stays fast; it does not decode ops or shapes.

    Raises:
        ModelError: the bytes are not a structurally valid TFLite flatbuffer.
    """
    _check_magic(data, source)
    reader = _Reader(data, source)
    root = _RawTable(reader, reader.u32(0))
    reader.check_table(root, "model")
    _raw_tables(reader, root, 6, "operator codes")
    subgraphs = _raw_tables(reader, root, 8, "subgraphs")
    if not subgraphs:
        raise reader.fail("it has no subgraph")
    for subgraph in subgraphs:
        _raw_tables(reader, subgraph, 4, "tensors")
        reader.check_vector(subgraph, 6, 4, "subgraph inputs")
        reader.check_vector(subgraph, 8, 4, "subgraph outputs")
        for op in _raw_tables(reader, subgraph, 10, "operators"):
            reader.check_vector(op, 6, 4, "operator inputs")
            reader.check_vector(op, 8, 4, "operator outputs")
    for buffer in _raw_tables(reader, root, 12, "buffers"):
        reader.check_vector(buffer, 4, 1, "buffer data")


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


def read_model_bytes(path: Path) -> bytes:
    """Read a ``.tflite`` file whole, after checking its header.

    A file that is not a TFLite flatbuffer (a text file, an archive, a video...) is
    refused from its first bytes, so a large wrong file is never read whole.

    Args:
        path: the model file.

    Returns:
        The file's bytes (the flatbuffer itself is not parsed here).

    Raises:
        ModelError: the file cannot be read or does not start like a TFLite model.
    """
    path = Path(path)
    try:
        with path.open("rb") as fp:
            head = fp.read(64)
            if len(head) < 8 or head[4:8] != TFLITE_IDENTIFIER:
                _check_magic(head, str(path))
            return head + fp.read()
    except IsADirectoryError:
        raise ModelError(
            f"model '{path}' is a directory; pass a .tflite file "
            "(SavedModel directories are converted with: tinyml convert)"
        ) from None
    except OSError as exc:
        raise ModelError(
            f"cannot read model '{path}': {exc.strerror or exc}; check the path"
        ) from None
