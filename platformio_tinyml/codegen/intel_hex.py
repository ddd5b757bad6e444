# SPDX-License-Identifier: Apache-2.0
"""The model blob as Intel HEX at an external-flash address, and merged into firmware.

Large models live in memory-mapped external flash (STM32F7/H7 QSPI at 0x90000000,
i.MX RT1060 FlexSPI at 0x60000000). The firmware then refers to the model through
an address header instead of a C array: ``g_<stem>_model_data`` becomes a pointer
macro to ``TINYML_MODEL_ADDRESS``. The header has the embedded model's name,
``<stem>_model_data.h``, so firmware code is the same wherever the model lives.
"""

from __future__ import annotations

import io
from pathlib import Path

from ..errors import CodegenError, ModelError
from ..fileio import GeneratedFile, sha256_bytes, write_atomic, write_files
from . import banner
from .identifiers import assert_valid_identifier, symbol_stem

_ADDRESS_LIMIT = 1 << 32


def _check_range(data: bytes, address: int) -> None:
    if not data:
        raise CodegenError(
            "model is empty (0 bytes); nothing to place in flash: re-export the model"
        )
    if address < 0 or address + len(data) > _ADDRESS_LIMIT:
        raise CodegenError(
            f"custom_tinyml_model_address '0x{address:X}' with a "
            f"{len(data)}-byte model ends beyond the 32-bit address space; "
            "choose a lower address"
        )


def _hex_text(ih: object) -> str:
    out = io.StringIO()
    ih.write_hex_file(out)  # type: ignore[attr-defined]
    return out.getvalue().replace("\r\n", "\n")


def render_model_hex(data: bytes, *, address: int) -> str:
    """Intel HEX text holding ``data`` at ``address`` (16 bytes per record).

    Raises:
        CodegenError: the data is empty or does not fit below 4 GiB.
    """
    from intelhex import IntelHex

    _check_range(data, address)
    ih = IntelHex()
    ih.frombytes(data, offset=address)
    return _hex_text(ih)


def render_address_header(
    *, stem: str, address: int, size: int, source_name: str, sha256: str
) -> GeneratedFile:
    """``<stem>_model_data.h`` for a model in external flash: its place in memory.

    Args:
        stem: the symbol stem (a valid C identifier).
        address: the model's first byte in the memory map (16-byte aligned).
        size: the model size in bytes.
        source_name: the model's name, shown in the banner.
        sha256: the model's sha256, shown in the banner.

    Raises:
        CodegenError: invalid stem, or an address that is not 16-byte aligned.
    """
    assert_valid_identifier(stem)
    if address % 16:
        raise CodegenError(
            f"custom_tinyml_model_address '0x{address:X}' is not 16-byte aligned "
            "(TFLM needs an aligned flatbuffer); use a multiple of 0x10"
        )
    guard = f"TINYML_GENERATED_{stem.upper()}_MODEL_DATA_H_"
    text = "\n".join(
        [
            banner(source_name, sha256),
            f"// The model is flashed separately ({stem}_model.hex) and read in place.",
            "// Stands in for the embedded model's header of the same name.",
            f"#ifndef {guard}",
            f"#define {guard}",
            "",
            f"#define TINYML_MODEL_ADDRESS 0x{address:08X}UL",
            f"#define TINYML_MODEL_SIZE {size}U",
            f"#define g_{stem}_model_data ((const unsigned char*)TINYML_MODEL_ADDRESS)",
            f"#define g_{stem}_model_data_size TINYML_MODEL_SIZE",
            "",
            f"#endif  // {guard}",
            "",
        ]
    )
    return GeneratedFile.text(f"{stem}_model_data.h", text)


def merge_hex(firmware_hex_text: str, data: bytes, address: int) -> str:
    """Merge the model at ``address`` into a firmware Intel HEX; refuse overlaps.

    Args:
        firmware_hex_text: the firmware as Intel HEX text.
        data: the model bytes.
        address: where the model goes.

    Returns:
        Intel HEX text with both; the firmware's start address is kept.

    Raises:
        CodegenError: the firmware HEX is invalid, or any firmware byte lies in the
            model's address range.
    """
    from intelhex import IntelHex, IntelHexError

    _check_range(data, address)
    firmware = IntelHex()
    try:
        firmware.loadhex(io.StringIO(firmware_hex_text))
    except (IntelHexError, ValueError) as exc:
        detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise CodegenError(
            f"firmware HEX is not valid Intel HEX ('{detail}'); "
            "pass the .hex that the build produced"
        ) from None
    end = address + len(data)
    for start, stop in firmware.segments():
        if start < end and address < stop:
            first = max(start, address)
            raise CodegenError(
                f"address range 0x{address:08X} - 0x{end - 1:08X} overlaps firmware "
                f"data at 0x{first:08X}; choose another custom_tinyml_model_address"
            )
    model = IntelHex()
    model.frombytes(data, offset=address)
    firmware.merge(model, overlap="error")
    return _hex_text(firmware)


def write_model_hex(
    model: Path,
    out_dir: Path,
    *,
    address: int,
    name: str | None = None,
    merge_into: Path | None = None,
) -> list[Path]:
    """Write ``<stem>_model.hex`` and ``<stem>_model_data.h`` (``tinyml hex``).

    Args:
        model: the ``.tflite`` file.
        out_dir: where the files go.
        address: the model's address in the memory map.
        name: the symbol stem; None derives it from the file stem.
        merge_into: a firmware ``.hex``; also write ``<its stem>_with_model.hex``.

    Returns:
        The paths of all written files.

    Raises:
        ModelError: a file cannot be read.
        CodegenError: see :func:`render_model_hex` and :func:`merge_hex`.
    """
    model = Path(model)
    out_dir = Path(out_dir)
    try:
        data = model.read_bytes()
    except OSError as exc:
        raise ModelError(
            f"cannot read model '{model}': {exc.strerror or exc}; check the path"
        ) from None
    stem, _ = symbol_stem(name, model.stem)
    files = [
        GeneratedFile.text(
            f"{stem}_model.hex", render_model_hex(data, address=address)
        ),
        render_address_header(
            stem=stem,
            address=address,
            size=len(data),
            source_name=model.name,
            sha256=sha256_bytes(data),
        ),
    ]
    merged: Path | None = None
    if merge_into is not None:
        try:
            firmware = Path(merge_into).read_text(encoding="ascii")
        except (OSError, UnicodeDecodeError) as exc:
            raise CodegenError(
                f"cannot read firmware HEX '{merge_into}': {exc}; "
                "pass the .hex that the build produced"
            ) from None
        merged_text = merge_hex(firmware, data, address)
        merged = out_dir / f"{Path(merge_into).stem}_with_model.hex"
    write_files(out_dir, files)
    paths = [out_dir / Path(*f.path.parts) for f in files]
    if merged is not None:
        write_atomic(merged, merged_text.encode("ascii"))
        paths.append(merged)
    return paths
