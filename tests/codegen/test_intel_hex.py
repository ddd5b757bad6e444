# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.codegen.intel_hex: records, address header, merging."""

from __future__ import annotations

import io
import shutil
from pathlib import Path

import pytest
from intelhex import IntelHex

from platformio_tinyml.codegen.intel_hex import (
    merge_hex,
    render_address_header,
    render_model_hex,
    write_model_hex,
)
from platformio_tinyml.errors import CodegenError

QSPI = 0x90000000
FLEXSPI = 0x60000000
# A hand-written firmware HEX: 4 bytes at 0x08000000 and a start address record.
FIRMWARE_HEX = (
    ":020000040800F2\n:0400000001020304F2\n:0400000508000101ED\n:00000001FF\n"
)
# Expected records for b"abc" at 0x90000000, worked out by hand: extended linear
# address 0x9000, then 3 data bytes, then EOF. Checksums: two's complement of sums.
ABC_AT_QSPI_EXPECTED = ":020000049000" + "6A" + "\n:03000000616263D7\n:00000001FF\n"


def test_render_model_hex_records() -> None:
    assert render_model_hex(b"abc", address=QSPI) == ABC_AT_QSPI_EXPECTED


def test_render_model_hex_round_trips(tiny_int8: bytes) -> None:
    ih = IntelHex(io.StringIO(render_model_hex(tiny_int8, address=FLEXSPI)))
    assert ih.minaddr() == FLEXSPI
    assert ih.tobinstr(start=FLEXSPI, size=len(tiny_int8)) == tiny_int8


def test_objcopy_reads_the_hex(tmp_path: Path, tiny_int8: bytes) -> None:
    objcopy = shutil.which("objcopy") or shutil.which("arm-none-eabi-objcopy")
    if objcopy is None:
        pytest.skip("no objcopy on PATH (binutils)")
    import subprocess

    (tmp_path / "m.hex").write_text(render_model_hex(tiny_int8, address=QSPI))
    subprocess.run(
        [objcopy, "-I", "ihex", "-O", "binary", "m.hex", "m.bin"],
        cwd=tmp_path,
        check=True,
    )
    assert (tmp_path / "m.bin").read_bytes() == tiny_int8


def test_address_header(golden) -> None:
    header = render_address_header(
        stem="lenet",
        address=QSPI,
        size=1677896,
        source_name="lenet.tflite",
        sha256="0" * 64,
    )
    assert str(header.path) == "lenet_model_data.h"  # the same name as embedded
    golden("intel_hex/lenet_model_data.h", header.content)
    text = header.content.decode()
    assert "#define TINYML_MODEL_ADDRESS 0x90000000UL" in text
    assert "#define TINYML_MODEL_SIZE 1677896U" in text


@pytest.mark.compiler
def test_address_header_compiles(tmp_path: Path) -> None:
    cxx = shutil.which("g++")
    if cxx is None:
        pytest.skip("no host g++")
    import subprocess

    header = render_address_header(
        stem="m", address=FLEXSPI, size=100, source_name="m.tflite", sha256="a" * 64
    )
    (tmp_path / "m_model_data.h").write_bytes(header.content)
    (tmp_path / "t.cpp").write_text(
        '#include <cstdint>\n#include "m_model_data.h"\n'
        'static_assert(TINYML_MODEL_ADDRESS == 0x60000000UL, "addr");\n'
        'static_assert(g_m_model_data_size == 100U, "size");\n'
        "std::uintptr_t Where() { return reinterpret_cast<std::uintptr_t>("
        "g_m_model_data); }\n"
    )
    subprocess.run(
        [cxx, "-std=c++17", "-Wall", "-Wextra", "-Werror", "-c", "t.cpp"],
        cwd=tmp_path,
        check=True,
    )


def test_merge_keeps_firmware_and_start_address() -> None:
    merged = IntelHex(io.StringIO(merge_hex(FIRMWARE_HEX, b"model", QSPI)))
    assert merged.tobinstr(start=0x08000000, size=4) == b"\x01\x02\x03\x04"
    assert merged.tobinstr(start=QSPI, size=5) == b"model"
    assert merged.start_addr == {"EIP": 0x08000101}


def test_merge_refuses_overlap() -> None:
    with pytest.raises(
        CodegenError,
        match="address range 0x07FFFFFE - 0x08000001 overlaps firmware data at "
        "0x08000000",
    ):
        merge_hex(FIRMWARE_HEX, b"four", 0x07FFFFFE)


def test_merge_rejects_invalid_firmware() -> None:
    with pytest.raises(CodegenError, match="firmware HEX is not valid Intel HEX"):
        merge_hex(":zz\n", b"x", QSPI)


@pytest.mark.parametrize(
    ("data", "address", "fragment"),
    [
        (b"", QSPI, "model is empty"),
        (b"ab", 0xFFFFFFFF, "ends beyond the 32-bit address space"),
    ],
)
def test_bad_ranges(data: bytes, address: int, fragment: str) -> None:
    with pytest.raises(CodegenError, match=fragment):
        render_model_hex(data, address=address)


def test_unaligned_address_header_is_rejected() -> None:
    with pytest.raises(CodegenError, match="'0x90000004' is not 16-byte aligned"):
        render_address_header(
            stem="m", address=QSPI + 4, size=1, source_name="m", sha256="0" * 64
        )


def test_write_model_hex(tmp_path: Path, tiny_int8: bytes) -> None:
    model = tmp_path / "cifar.tflite"
    model.write_bytes(tiny_int8)
    firmware = tmp_path / "firmware.hex"
    firmware.write_text(FIRMWARE_HEX)
    paths = write_model_hex(model, tmp_path / "out", address=QSPI, merge_into=firmware)
    assert [p.name for p in paths] == [
        "cifar_model.hex",
        "cifar_model_data.h",
        "firmware_with_model.hex",
    ]
    merged = IntelHex(str(paths[2]))
    assert merged.tobinstr(start=QSPI, size=len(tiny_int8)) == tiny_int8
