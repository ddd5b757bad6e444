# SPDX-License-Identifier: Apache-2.0
"""Model bytes as C++ sources: a C array (``carray``/``xxd``) or assembler ``.incbin``.

All modes produce the same header, ``<stem>_model_data.h``::

    extern const unsigned char g_<stem>_model_data[];
    constexpr unsigned int g_<stem>_model_data_size = N;

The symbol has C++ linkage; a namespace-scope variable's name is not mangled, so the
``.incbin`` assembler file defines exactly the same symbol. The bytes are always
16-byte aligned (``alignas(16)`` / ``.balign 16``), which TFLM and the CMSIS-NN kernels
need. Modes:

* ``carray``: ``<stem>_model_data.cpp`` with a 12-bytes-per-line array.
* ``xxd``: the ``.cpp`` embeds the output of ``xxd -i <source_name>`` byte for byte
  (macros rename xxd's symbols to ours, and a line before it adds ``alignas(16)``
  and ``const``), so it can be diffed against an existing xxd-based workflow.
* ``incbin``: ``<stem>_model_data.S`` includes ``<stem>_model.tflite`` (also
  generated) with ``.incbin``; it builds about 175x faster than a multi-MB C array.
  The assembler finds the file through the ``-I`` include path (gcc passes ``-I`` to
  ``as``), or at ``incbin_path`` when given.
* ``auto``: ``incbin`` above 256 KiB, else ``carray``.

Text generation fills line templates with strided slice copies of the
``binascii.hexlify`` digits (no per-byte Python loop, no numpy) and streams the text
in pieces of a few hundred KB, so the whole ``tinyml carray`` command, start-up
included, runs faster than ``xxd -i`` alone (``benchmarks/``).
"""

from __future__ import annotations

import binascii
from collections.abc import Iterator
from pathlib import Path, PurePosixPath

from ..errors import CodegenError, ModelError
from ..fileio import GeneratedFile, sha256_bytes, write_files
from ..placement import NOT_A_SECTION, linker_section
from . import banner, comment_text
from .identifiers import C_RESERVED_WORDS, assert_valid_identifier, symbol_stem

MODES = ("auto", "carray", "xxd", "incbin")
AUTO_INCBIN_THRESHOLD = 256 * 1024
BYTES_PER_LINE = 12  # as xxd -i

_LINE_WIDTH = 2 + 6 * BYTES_PER_LINE  # "  " + "0xab, " * 12, last space -> newline


_PIECE_LINES = 4096  # hex lines per piece of text: about 300 KB


def _hex_file(
    path: str,
    data: bytes,
    *,
    prefix: bytes = b"",
    suffix: bytes = b"",
    final_comma: bool = True,
) -> GeneratedFile:
    """``prefix`` + xxd-style hex lines of ``data`` + ``suffix``, streamed.

    The text (six times the size of ``data``) is produced in pieces whenever it is
    compared or written, never held whole: for a multi-MB model, touching the
    memory of one big buffer costs more than formatting it.
    """
    full, rest = divmod(len(data), BYTES_PER_LINE)
    size = full * _LINE_WIDTH + (2 + 6 * rest if rest else 0)
    size += len(prefix) + len(suffix) - (1 if data and not final_comma else 0)

    def produce() -> Iterator[bytes]:
        yield prefix
        yield from _hex_lines(data, final_comma)
        yield suffix

    return GeneratedFile.streamed(PurePosixPath(path), size, produce)


def _hex_lines(data: bytes, final_comma: bool) -> Iterator[bytes]:
    """The hex lines of ``data`` in pieces; without ``final_comma`` the last cell
    has no comma (``0xab\n``), as in ``xxd -i``."""
    last = b""
    for piece in _hex_pieces(data):
        if last:
            yield last
        last = piece
    if last:
        yield last if final_comma else last[:-2] + b"\n"


def _hex_pieces(data: bytes) -> Iterator[bytes]:
    view = memoryview(data)
    whole = len(data) - len(data) % BYTES_PER_LINE
    buf = bytearray()
    for start in range(0, whole, _PIECE_LINES * BYTES_PER_LINE):
        chunk = view[start : min(whole, start + _PIECE_LINES * BYTES_PER_LINE)]
        lines = len(chunk) // BYTES_PER_LINE
        if len(buf) != lines * _LINE_WIDTH:  # reused: only the digits change
            buf = bytearray(_line_template(BYTES_PER_LINE) * lines)
        _fill_digits(buf, binascii.hexlify(chunk), BYTES_PER_LINE)
        yield bytes(buf)
    if whole < len(data):
        rest = len(data) - whole
        buf = bytearray(_line_template(rest))
        _fill_digits(buf, binascii.hexlify(view[whole:]), rest)
        yield bytes(buf)


def _fill_digits(buf: bytearray, digits: bytes, per_line: int) -> None:
    """Copy hex ``digits`` into template lines of ``per_line`` cells.

    Each of the ``2 * per_line`` digit columns is one strided slice assignment: no
    per-byte Python loop.
    """
    width = 2 + 6 * per_line
    for column in range(2 * per_line):
        cell, digit = divmod(column, 2)
        buf[4 + 6 * cell + digit :: width] = digits[column :: 2 * per_line]


def _line_template(count: int) -> bytes:
    """One line of ``count`` (>= 1) cells with placeholder digits."""
    return b"  " + b"0x00, " * (count - 1) + b"0x00,\n"


def xxd_name(source_name: str) -> str:
    """The variable name ``xxd -i <source_name>`` derives from the path it is given."""
    name = "".join(c if c.isascii() and c.isalnum() else "_" for c in source_name)
    return "__" + name if name[:1].isdigit() else name


def render_xxd(data: bytes, source_name: str) -> bytes:
    """Exactly what ``xxd -i <source_name>`` prints for ``data`` (xxd 2022 format)."""
    return _xxd_block("xxd.c", data, source_name).content


def _xxd_block(
    path: str, data: bytes, source_name: str, prefix: bytes = b"", suffix: bytes = b""
) -> GeneratedFile:
    name = xxd_name(source_name).encode("ascii")
    return _hex_file(
        path,
        data,
        prefix=prefix + b"unsigned char " + name + b"[] = {\n",
        suffix=b"};\nunsigned int "
        + name
        + b"_len = "
        + str(len(data)).encode()
        + b";\n"
        + suffix,
        final_comma=False,
    )


def resolve_section(section: str | None) -> str | None:
    """Map a placement keyword (``qspi``...) or a ``.name`` to a linker section name.

    Raises:
        CodegenError: the section is neither a known keyword nor a ``.name``.
    """
    if section is None or not section.strip():
        return None
    placed = linker_section(section)
    if placed is None:
        raise CodegenError(f"custom_tinyml_model_section '{section}' {NOT_A_SECTION}")
    return placed


def _choose_mode(mode: str, size: int) -> str:
    if mode not in MODES:
        raise CodegenError(
            f"custom_tinyml_model_embed '{mode}' is not one of {', '.join(MODES)}; "
            "use carray, xxd, incbin or auto"
        )
    if mode == "auto":
        return "incbin" if size > AUTO_INCBIN_THRESHOLD else "carray"
    return mode


def _render_header(stem: str, size: int, section: str | None, head: str) -> str:
    guard = f"TINYML_GENERATED_{stem.upper()}_MODEL_DATA_H_"
    lines = [
        head,
        f"#ifndef {guard}",
        f"#define {guard}",
        "",
    ]
    if section:
        lines += [
            "// Linker output section holding the model bytes.",
            f'#define TINYML_{stem.upper()}_MODEL_SECTION "{section}"',
            "",
        ]
    lines += [
        f"// The {size}-byte TFLite flatbuffer, 16-byte aligned.",
        f"extern const unsigned char g_{stem}_model_data[];",
        f"constexpr unsigned int g_{stem}_model_data_size = {size};",
        "",
        f"#endif  // {guard}",
        "",
    ]
    return "\n".join(lines)


def _render_carray(
    data: bytes, stem: str, section: str | None, head: str, xxd_source: str | None
) -> GeneratedFile:
    path = f"{stem}_model_data.cpp"
    symbol = f"g_{stem}_model_data"
    attribute = f'__attribute__((section("{section}"))) ' if section else ""
    prologue = f'{head}\n#include "{stem}_model_data.h"\n\n'
    if xxd_source is None:
        return _hex_file(
            path,
            data,
            prefix=(
                f"{prologue}alignas(16) {attribute}"
                f"const unsigned char {symbol}[] = {{\n"
            ).encode(),
            suffix=b"};\n",
        )
    name = xxd_name(xxd_source)
    if name in C_RESERVED_WORDS:
        raise CodegenError(
            f"model file name '{xxd_source}' makes xxd use the reserved word "
            f"'{name}'; rename the file or use custom_tinyml_model_embed = carray"
        )
    return _xxd_block(
        path,
        data,
        xxd_source,
        prefix=(
            f"{prologue}"
            f"// Lines between the markers are byte-identical to "
            f"`xxd -i {comment_text(xxd_source)}`.\n"
            f"#define {name} {symbol}\n"
            f"#define {name}_len {symbol}_len\n"
            f"alignas(16) {attribute}const\n"
            "// --- begin xxd -i ---\n"
        ).encode(),
        suffix=f"// --- end xxd -i ---\n#undef {name}\n#undef {name}_len\n".encode(),
    )


def _render_incbin(stem: str, section: str | None, head: str, path: str) -> str:
    symbol = f"g_{stem}_model_data"
    target = section or f".rodata.{symbol}"
    if any(not 32 <= ord(ch) < 127 for ch in path):
        raise CodegenError(
            f"incbin path {path!r} has a control or non-ASCII character the "
            "assembler cannot read; rename the file or use "
            "custom_tinyml_model_embed = carray"
        )
    quoted = path.replace("\\", "/").replace('"', '\\"')
    return "\n".join(
        [
            head,
            f"// {symbol}: the bytes of {comment_text(path)}, 16-byte aligned, "
            "read-only.",
            f'    .section {target},"a"',
            "    .balign 16",
            f"    .global {symbol}",
            f"    .type {symbol}, %object",
            f"{symbol}:",
            f'    .incbin "{quoted}"',
            f"    .size {symbol}, . - {symbol}",
            "// No executable stack needed (silences the host linker's warning).",
            '    .section .note.GNU-stack,"",%progbits',
            "",
        ]
    )


def render_model_sources(
    data: bytes,
    *,
    stem: str,
    mode: str = "auto",
    section: str | None = None,
    source_name: str = "model.tflite",
    incbin_path: str | None = None,
) -> list[GeneratedFile]:
    """Render the model bytes as C++ sources (pure: nothing is written).

    Args:
        data: the model bytes.
        stem: the symbol stem (a valid C identifier): ``g_<stem>_model_data``.
        mode: ``carray``, ``xxd``, ``incbin`` or ``auto`` (incbin above 256 KiB).
        section: a placement keyword (``qspi``, ``sdram``, ``dtcm``, ``axisram``), a
            linker section name such as ``.qspi_model``, or None for the default.
        source_name: the input's name, shown in the banner; in ``xxd`` mode also the
            name xxd derives its symbols from.
        incbin_path: for ``incbin``, the path the assembler reads; defaults to the
            generated copy ``<stem>_model.tflite`` (found through ``-I``).

    Returns:
        ``<stem>_model_data.h`` and ``.cpp`` (``.S`` plus ``<stem>_model.tflite``
        for incbin).

    Raises:
        CodegenError: empty data, invalid stem, unknown mode or section.
    """
    assert_valid_identifier(stem)
    if not data:
        raise CodegenError(
            f"model '{source_name}' is empty (0 bytes); nothing to embed: "
            "re-export the model"
        )
    chosen = _choose_mode(mode, len(data))
    placed = resolve_section(section)
    head = banner(source_name, sha256_bytes(data))
    files = [
        GeneratedFile.text(
            f"{stem}_model_data.h", _render_header(stem, len(data), placed, head)
        )
    ]
    if chosen == "incbin":
        copy = f"{stem}_model.tflite"
        asm = _render_incbin(stem, placed, head, incbin_path or copy)
        files.append(GeneratedFile.text(f"{stem}_model_data.S", asm))
        if incbin_path is None:
            files.append(GeneratedFile(PurePosixPath(copy), bytes(data)))
    else:
        files.append(
            _render_carray(
                data, stem, placed, head, source_name if chosen == "xxd" else None
            )
        )
    return files


def write_model_sources(
    model: Path,
    out_dir: Path,
    *,
    name: str | None = None,
    mode: str = "auto",
    section: str | None = None,
    raw: bool = False,
) -> list[Path]:
    """Write the model-data sources for a model file (``tinyml carray``).

    Args:
        model: the ``.tflite`` file (any binary file with ``raw``).
        out_dir: where the sources go.
        name: the symbol stem; None derives it from the file stem (sanitized).
        mode: see :func:`render_model_sources`.
        section: see :func:`render_model_sources`.
        raw: embed the bytes as they are, without checking that they are a valid
            TFLite flatbuffer.

    Returns:
        The paths of all generated files (unchanged files are not rewritten).
        Like ``xxd -i > file``, this one-shot command does not fsync them: each
        file is replaced atomically, and a power cut at worst needs the command
        run again. (The build's generation keeps fsync: its stamp vouches for
        its files.)

    Raises:
        ModelError: the model file cannot be read, or (without ``raw``) is not a
            valid TFLite flatbuffer.
        CodegenError: see :func:`render_model_sources`.
    """
    model = Path(model)
    if raw:
        try:
            data = model.read_bytes()
        except OSError as exc:
            raise ModelError(
                f"cannot read model '{model}': {exc.strerror or exc}; check the path"
            ) from None
    else:
        from ..tflite_file import check_model_structure, read_model_bytes

        data = read_model_bytes(model)
        check_model_structure(data, source=str(model))
    stem, _ = symbol_stem(name, model.stem)
    files = render_model_sources(
        data, stem=stem, mode=mode, section=section, source_name=model.name
    )
    write_files(Path(out_dir), files, durable=False)
    return [Path(out_dir) / Path(*f.path.parts) for f in files]
