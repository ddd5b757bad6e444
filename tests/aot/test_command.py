# SPDX-License-Identifier: Apache-2.0
"""tinyml compile: files written, default name, one-line errors (no partial files)."""

from __future__ import annotations

from pathlib import Path

import pytest

from platformio_tinyml.aot.command import compile_file, format_plan
from platformio_tinyml.cli import main
from platformio_tinyml.errors import CodegenError


def test_compile_writes_header_and_source(tests_data: Path, tmp_path: Path) -> None:
    compiled, written = compile_file(tests_data / "tiny_cnn_int8.tflite", tmp_path)
    assert compiled.name == "tiny_cnn_int8"
    assert sorted(p.name for p in written) == ["tiny_cnn_int8.c", "tiny_cnn_int8.h"]
    header = (tmp_path / "tiny_cnn_int8.h").read_text()
    assert f"#define tiny_cnn_int8_ARENA_SIZE {compiled.arena_size}" in header
    assert "#define tiny_cnn_int8_INPUT_SIZE 64\n" in header
    assert "#define tiny_cnn_int8_OUTPUT_SIZE 3\n" in header
    assert "int tiny_cnn_int8_invoke(const int8_t *input, int8_t *output" in header
    # Unchanged output: nothing rewritten.
    _, again = compile_file(tests_data / "tiny_cnn_int8.tflite", tmp_path)
    assert again == []
    assert "SOFTMAX" in format_plan(compiled)


def test_cli_compile_name(tests_data: Path, tmp_path: Path) -> None:
    rc = main(
        [
            "compile",
            str(tests_data / "tiny_cnn_int8.tflite"),
            "--out-dir",
            str(tmp_path),
            "--name",
            "cnn",
        ]
    )
    assert rc == 0
    assert (tmp_path / "cnn.c").is_file() and (tmp_path / "cnn.h").is_file()


def test_cli_refuses_float_model(
    tests_data: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    rc = main(
        [
            "compile",
            str(tests_data / "tiny_dense_float.tflite"),
            "--out-dir",
            str(tmp_path / "out"),
        ]
    )
    err = capsys.readouterr().err
    assert rc == 2
    assert err.count("\n") == 1 and "float32" in err and "runtime = tflm" in err
    assert not (tmp_path / "out").exists()


def test_bad_name_is_refused(tests_data: Path, tmp_path: Path) -> None:
    with pytest.raises(CodegenError, match="'2x'"):
        compile_file(tests_data / "tiny_cnn_int8.tflite", tmp_path, name="2x")
