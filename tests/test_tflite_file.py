# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.tflite_file: reading and checking without a schema."""

from __future__ import annotations

from pathlib import Path

import pytest

from platformio_tinyml.errors import ModelError
from platformio_tinyml.tflite_file import check_model_structure, read_model_bytes


def test_structure_check_accepts_models_and_refuses_every_truncation() -> None:
    data_dir = Path(__file__).parent / "data"
    for name in ("tiny_cnn_int8.tflite", "tiny_dense_float.tflite"):
        data = (data_dir / name).read_bytes()
        check_model_structure(data, source=name)
        for n in range(len(data)):
            with pytest.raises(ModelError):
                check_model_structure(data[:n], source=name)


def test_carray_command_imports_no_numpy_pillow_or_schema(tmp_path: Path) -> None:
    """``tinyml carray`` starts light: the flatbuffer check needs no numpy/tflite."""
    import subprocess
    import sys

    model = Path(__file__).parent / "data" / "tiny_cnn_int8.tflite"
    script = (
        "import sys; from platformio_tinyml.cli import main; "
        f"rc = main(['carray', {str(model)!r}, '--out-dir', {str(tmp_path)!r}, "
        "'--incbin']); "
        "print(sorted(m for m in sys.modules if m.split('.')[0] in "
        "('numpy', 'PIL', 'tflite', 'tensorflow', 'flatbuffers'))); sys.exit(rc)"
    )
    proc = subprocess.run(
        [sys.executable, "-c", script], capture_output=True, text=True, check=True
    )
    assert proc.stdout.strip().splitlines()[-1] == "[]"
    assert (tmp_path / "tiny_cnn_int8_model_data.S").is_file()


def test_read_model_bytes_reads_the_whole_file(tmp_path: Path) -> None:
    data = (Path(__file__).parent / "data" / "tiny_cnn_int8.tflite").read_bytes()
    model = tmp_path / "m.tflite"
    model.write_bytes(data)
    assert read_model_bytes(model) == data
    (tmp_path / "notes.tflite").write_text("# not a model, just some text\n")
    with pytest.raises(ModelError, match="looks like a text file"):
        read_model_bytes(tmp_path / "notes.tflite")
