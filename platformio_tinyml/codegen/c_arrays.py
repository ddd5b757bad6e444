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

Text generation uses a 256-entry lookup table applied with numpy, which makes it
more than ten times faster than ``xxd -i`` itself. numpy is imported only when text
is generated, so ``tinyml carray`` in ``incbin`` mode starts without it.
"""

from __future__ import annotations

import functools
import re
from pathlib import Path, PurePosixPath
from typing import TYPE_CHECKING, Any

from ..config import SECTION_KEYWORDS
from ..errors import CodegenError, ModelError
from ..fileio import GeneratedFile, sha256_bytes, write_files
from . import banner, comment_text
from .identifiers import C_RESERVED_WORDS, assert_valid_identifier, symbol_stem

MODES = ("auto", "carray", "xxd", "incbin")
AUTO_INCBIN_THRESHOLD = 256 * 1024
BYTES_PER_LINE = 12  # as xxd -i

if TYPE_CHECKING:
    import numpy.typing as npt

_SECTION_RE = re.compile(r"^\.[A-Za-z_][A-Za-z0-9_.]*$")
_LINE_WIDTH = 2 + 6 * BYTES_PER_LINE  # "  " + "0xab, " * 12, last space -> newline


@functools.lru_cache(maxsize=1)
def _tables() -> tuple[Any, Any]:
    """numpy, and its lookup tables: hex digit pairs and the line template."""
    import numpy as np

    # Two hex digits per byte value, read as one uint16: a line is filled in a step.
    hex_pairs = np.frombuffer(
        b"".join(b"%02x" % value for value in range(256)), dtype=np.uint16
    )
    template = np.frombuffer(
        b"  " + b"0x00, " * (BYTES_PER_LINE - 1) + b"0x00,\n", dtype=np.uint8
    )
    return hex_pairs, template


def _fill_lines(out: npt.NDArray[Any], values: npt.NDArray[Any], count: int) -> None:
    """Write ``values`` as hex lines of ``count`` (<= 12) bytes into ``out``."""
    import numpy as np

    hex_pairs, line_template = _tables()
    lines = out.reshape(-1, 2 + 6 * count)
    template = np.concatenate((line_template[: 2 + 6 * count - 1], [ord("\n")]))
    lines[:] = template.astype(np.uint8)
    # The hex digits of cell k start at byte 4 + 6k: every third uint16 from index 2.
    pairs = lines.view(np.uint16) if lines.ctypes.data % 2 == 0 else None
    hexes = np.take(hex_pairs, values.reshape(-1, count))
    if pairs is not None:
        pairs[:, 2::3] = hexes
    else:  # odd start address: write the two digits separately
        digits = hexes.view(np.uint8).reshape(hexes.shape[0], count, 2)
        lines[:, 4::6] = digits[:, :, 0]
        lines[:, 5::6] = digits[:, :, 1]


def _format_hex(
    data: bytes, *, prefix: bytes = b"", suffix: bytes = b"", final_comma: bool = True
) -> bytes:
    """``prefix`` + xxd-style hex lines of ``data`` + ``suffix``, in one buffer."""
    import numpy as np

    values = np.frombuffer(data, dtype=np.uint8)
    full, rest = divmod(len(values), BYTES_PER_LINE)
    body = full * _LINE_WIDTH + (2 + 6 * rest if rest else 0)
    start = len(prefix)
    buf = np.empty(start + body + len(suffix), dtype=np.uint8)
    buf[:start] = np.frombuffer(prefix, dtype=np.uint8)
    if full:
        _fill_lines(
            buf[start : start + full * _LINE_WIDTH],
            values[: full * BYTES_PER_LINE],
            BYTES_PER_LINE,
        )
    if rest:
        _fill_lines(
            buf[start + full * _LINE_WIDTH : start + body],
            values[full * BYTES_PER_LINE :],
            rest,
        )
    end = start + body
    if body and not final_comma:
        buf[end - 2] = ord("\n")  # "0xab,\n" -> "0xab\n"
        end -= 1
    buf[end : end + len(suffix)] = np.frombuffer(suffix, dtype=np.uint8)
    return buf[: end + len(suffix)].tobytes()


def xxd_name(source_name: str) -> str:
    """The variable name ``xxd -i <source_name>`` derives from the path it is given."""
    name = "".join(c if c.isascii() and c.isalnum() else "_" for c in source_name)
    return "__" + name if name[:1].isdigit() else name


def render_xxd(data: bytes, source_name: str) -> bytes:
    """Exactly what ``xxd -i <source_name>`` prints for ``data`` (xxd 2022 format)."""
    return _xxd_block(data, source_name)


def _xxd_block(
    data: bytes, source_name: str, prefix: bytes = b"", suffix: bytes = b""
) -> bytes:
    name = xxd_name(source_name).encode("ascii")
    return _format_hex(
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
    value = section.strip()
    if value.lower() in SECTION_KEYWORDS:
        return SECTION_KEYWORDS[value.lower()]
    if _SECTION_RE.match(value):
        return value
    raise CodegenError(
        f"custom_tinyml_model_section '{section}' is not a known placement "
        f"({', '.join(SECTION_KEYWORDS)}) nor a section name starting with '.'; "
        "use e.g. qspi or .my_section"
    )


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
) -> bytes:
    symbol = f"g_{stem}_model_data"
    attribute = f'__attribute__((section("{section}"))) ' if section else ""
    prologue = f'{head}\n#include "{stem}_model_data.h"\n\n'
    if xxd_source is None:
        return _format_hex(
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
        source = _render_carray(
            data, stem, placed, head, source_name if chosen == "xxd" else None
        )
        files.append(GeneratedFile(PurePosixPath(f"{stem}_model_data.cpp"), source))
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
        from ..model_info import check_model_structure, read_model_bytes

        data = read_model_bytes(model)
        check_model_structure(data, source=str(model))
    stem, _ = symbol_stem(name, model.stem)
    files = render_model_sources(
        data, stem=stem, mode=mode, section=section, source_name=model.name
    )
    write_files(Path(out_dir), files)
    return [Path(out_dir) / Path(*f.path.parts) for f in files]
