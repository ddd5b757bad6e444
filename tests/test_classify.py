# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.classify without a device: input preparation, the
model lookup in an ELF, and the CLI's one-line errors. The device end to end is in
tests/pio/test_classify_qemu.py."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from platformio_tinyml import cli
from platformio_tinyml.classify import SerialLinkError, model_from_elf, prepare_image
from platformio_tinyml.errors import ImageError
from platformio_tinyml.serial_protocol import ModelInfo, PixelFormat, TensorType


def _info(input_type: TensorType = TensorType.INT8, channels: int = 1) -> ModelInfo:
    return ModelInfo(
        version=1,
        input_type=input_type,
        rows=28,
        cols=28,
        channels=channels,
        input_scale=1.0 / 255.0,
        input_zero_point=-128,
        output_type=TensorType.INT8,
        category_count=10,
        output_scale=1.0 / 256.0,
        output_zero_point=-128,
        max_payload=4096,
    )


def test_png_is_resized_to_gray_and_quantized(tmp_path: Path) -> None:
    rgb = np.zeros((56, 56, 3), np.uint8)
    rgb[:, 28:] = (255, 255, 255)  # right half white
    Image.fromarray(rgb).save(tmp_path / "half.png")
    prepared = prepare_image(tmp_path / "half.png", _info())
    assert prepared.pixel_format == PixelFormat.INT8
    values = np.frombuffer(prepared.data, np.int8).reshape(28, 28)
    assert (values[:, :13] == -128).all() and (values[:, 15:] == 127).all()
    assert prepared.model_input.shape == (1, 28, 28, 1)
    assert prepared.model_input.dtype == np.int8


def test_float_model_gets_raw_pixels(tmp_path: Path) -> None:
    pixels = np.arange(784, dtype=np.uint32).reshape(28, 28).astype(np.uint8)
    np.save(tmp_path / "p.npy", pixels)
    prepared = prepare_image(tmp_path / "p.npy", _info(TensorType.FLOAT32))
    assert prepared.pixel_format == PixelFormat.UINT8
    assert prepared.data == pixels.tobytes()
    assert np.allclose(prepared.model_input[0, ..., 0], pixels / 255.0)


def test_int8_npy_is_sent_as_is(tmp_path: Path) -> None:
    q = np.random.default_rng(1).integers(-128, 128, (28, 28, 1)).astype(np.int8)
    np.save(tmp_path / "q.npy", q)
    prepared = prepare_image(tmp_path / "q.npy", _info())
    assert prepared.data == q.tobytes()
    with pytest.raises(ImageError, match="takes float32"):
        prepare_image(tmp_path / "q.npy", _info(TensorType.FLOAT32))


@pytest.mark.parametrize(
    ("name", "match"),
    [("a.npy", r"holds uint8 \(27, 28, 1\)"), ("a.txt", "not an image")],
)
def test_unfit_inputs_name_the_file(tmp_path: Path, name: str, match: str) -> None:
    path = tmp_path / name
    if name.endswith(".npy"):
        np.save(path, np.zeros((27, 28, 1), np.uint8))
    else:
        path.write_text("x")
    with pytest.raises(ImageError, match=match):
        prepare_image(path, _info())


def test_model_from_elf_rejects_other_files(tmp_path: Path) -> None:
    path = tmp_path / "x.elf"
    path.write_bytes(b"not an elf at all")
    with pytest.raises(SerialLinkError, match="not a 32-bit little-endian ELF"):
        model_from_elf(path)


@pytest.mark.parametrize(
    ("argv", "message"),
    [
        (["classify", "--port", "socket://127.0.0.1:9"], "nothing to classify"),
        (["classify", "--port", "x", "--lcd", "o.png", "a.png"], "--lcd works with"),
        (["classify", "--qemu", "missing.elf", "a.png"], "does not exist"),
    ],
)
def test_cli_errors_are_one_line_with_exit_2(
    argv: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(argv) == 2
    err = capsys.readouterr().err
    assert message in err and err.count("\n") == 1


def test_cli_reports_an_unopenable_port(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    pytest.importorskip("serial", reason="needs pyserial (the [serial] extra)")
    png = tmp_path / "a.png"
    Image.new("L", (28, 28)).save(png)
    assert (
        cli.main(["classify", "--port", str(tmp_path / "no-such-tty"), str(png)]) == 2
    )
    assert "cannot open port" in capsys.readouterr().err
