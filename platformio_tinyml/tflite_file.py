# SPDX-License-Identifier: Apache-2.0
"""Read a ``.tflite`` file and check its flatbuffer structure, without any schema.

The ``tflite`` schema accessors trust every offset in the buffer. :class:`Reader`
checks each table and vector position against the buffer size before it is read;
:mod:`platformio_tinyml.model_info` uses it under the accessors, and
:func:`check_model_structure` uses it alone. This module imports neither numpy nor
the schema package, nor ``dataclasses``: ``tinyml carray`` checks a model at the
cost of a few milliseconds of start-up.
"""

from __future__ import annotations

import struct
from pathlib import Path

from .errors import ModelError

TYPE_CHECKING = False
if TYPE_CHECKING:
    from typing import Any

TFLITE_IDENTIFIER = b"TFL3"


class Reader:
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


def check_magic(data: bytes, source: str) -> None:
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


class _RawTab:
    """The two members of a flatbuffers ``Table`` that :class:`Reader` uses."""

    def __init__(self, reader: Reader, pos: int) -> None:
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
    """A table at a known position, checked by :class:`Reader` like an accessor."""

    def __init__(self, reader: Reader, pos: int) -> None:
        self._tab = _RawTab(reader, pos)


def _raw_tables(reader: Reader, table: _RawTable, slot: int, what: str) -> list[Any]:
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

    The same bounds checks as :func:`read_model` (:class:`Reader`), on the tables
    that make a model: the root, operator codes, subgraphs with their tensors,
    inputs, outputs and operators, and buffers. It imports neither ``tflite`` nor
    numpy, so ``tinyml carray`` stays fast; it does not decode ops or shapes.

    Raises:
        ModelError: the bytes are not a structurally valid TFLite flatbuffer.
    """
    check_magic(data, source)
    reader = Reader(data, source)
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
                check_magic(head, str(path))
            fp.seek(0)
            return fp.read()  # one buffer: no copy of the head and the rest
    except IsADirectoryError:
        raise ModelError(
            f"model '{path}' is a directory; pass a .tflite file "
            "(SavedModel directories are converted with: tinyml convert)"
        ) from None
    except OSError as exc:
        raise ModelError(
            f"cannot read model '{path}': {exc.strerror or exc}; check the path"
        ) from None
