# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.images: loading, packing, decoding, goldens."""

from __future__ import annotations

import io
import struct
import zlib
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np
import pytest
from PIL import Image

from platformio_tinyml import images, pipeline
from platformio_tinyml.config import TinyMLConfig
from platformio_tinyml.errors import ConfigError, ImageError, ModelError

DATASETS_DIR = Path("/work/shared/datasets")
MNIST_NPZ = DATASETS_DIR / "mnist.npz"

# Seed 000: image2cpp's 1bpp array for an MNIST "0" (28x28, 4 bytes per row).
SEED_000_ZERO = bytes(
    [
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00, 0x00, 0x07, 0x00, 0x00,
        0x00, 0x0F, 0x00, 0x00, 0x00, 0x1F, 0x80, 0x00, 0x00, 0x3F, 0xE0, 0x00,
        0x00, 0x7F, 0xF0, 0x00, 0x00, 0x7E, 0x30, 0x00, 0x00, 0xFC, 0x38, 0x00,
        0x00, 0xF0, 0x1C, 0x00, 0x00, 0xE0, 0x1C, 0x00, 0x00, 0xC0, 0x1E, 0x00,
        0x00, 0xC0, 0x1C, 0x00, 0x01, 0xC0, 0x3C, 0x00, 0x01, 0xC0, 0xF8, 0x00,
        0x01, 0xC1, 0xF8, 0x00, 0x01, 0xCF, 0xF0, 0x00, 0x00, 0xFF, 0xF0, 0x00,
        0x00, 0xFF, 0xC0, 0x00, 0x00, 0x7F, 0x00, 0x00, 0x00, 0x1C, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00, 0x00,
        0x00, 0x00, 0x00, 0x00,
    ]
)  # fmt: skip


def seed_bitmap_to_pixels(bitmap: bytes, width: int, height: int) -> np.ndarray:
    """Seed 000's C decoder (bitmap_to_float_array), transcribed loop by loop."""
    row_bytes = (width + 7) // 8
    out = np.zeros((height, width), dtype=np.uint8)
    for y in range(height):
        for x in range(width):
            byte, bit = x // 8, x % 8
            if (bitmap[y * row_bytes + byte] >> (7 - bit)) & 0x1:
                out[y, x] = 255
    return out


@dataclass(frozen=True, eq=False)
class SplitStub:
    """The test-split fields of datasets.Dataset, for synthetic data."""

    name: str
    x_test: np.ndarray
    y_test: np.ndarray
    class_names: tuple[str, ...]


def synthetic(n: int, h: int, w: int, c: int, seed: int = 0) -> SplitStub:
    rng = np.random.default_rng(seed)
    x = rng.integers(0, 256, size=(n, h, w, c), dtype=np.uint8)
    y = np.arange(n, dtype=np.int64) % 10
    return SplitStub("synthetic", x, y, tuple(f"c{i}" for i in range(10)))


@pytest.fixture(scope="module")
def mnist() -> SplitStub:
    if not MNIST_NPZ.is_file():
        pytest.skip(f"needs the full MNIST file {MNIST_NPZ}")
    with np.load(MNIST_NPZ) as d:
        x, y = d["x_test"][..., np.newaxis], d["y_test"].astype(np.int64)
    return SplitStub("mnist", x, y, tuple(str(i) for i in range(10)))


# --- 1bpp -----------------------------------------------------------------------------


def test_1bpp_packs_seed_000_example_bytes_exactly() -> None:
    pixels = seed_bitmap_to_pixels(SEED_000_ZERO, 28, 28)
    assert 100 < int((pixels == 255).sum()) < 300  # a real digit, not blank
    packed = images.pack_images(pixels[np.newaxis, ..., np.newaxis], "1bpp")
    assert len(packed) == 112
    assert packed == SEED_000_ZERO


def test_unpack_1bpp_equals_seed_000_decoder() -> None:
    decoded = images.unpack_1bpp(SEED_000_ZERO, width=28, height=28, count=1)
    assert decoded.shape == (1, 28, 28, 1)
    np.testing.assert_array_equal(
        decoded[0, :, :, 0], seed_bitmap_to_pixels(SEED_000_ZERO, 28, 28)
    )


def test_1bpp_of_mnist_test_image_3_is_seed_000_digit(mnist: SplitStub) -> None:
    # The seed's array was made with image2cpp from a JPEG of MNIST test image 3;
    # the JPEG round trip flips 2 of 784 pixels. A wrong bit order flips hundreds.
    packed = images.pack_images(mnist.x_test[3:4], "1bpp", threshold=128)
    ours = np.unpackbits(np.frombuffer(packed, np.uint8))
    theirs = np.unpackbits(np.frombuffer(SEED_000_ZERO, np.uint8))
    assert int((ours != theirs).sum()) <= 2


def test_1bpp_rows_are_padded_msb_first() -> None:
    x = np.zeros((1, 2, 10, 1), dtype=np.uint8)
    x[0, 0, 0] = 255  # first pixel -> bit 7 of byte 0
    x[0, 0, 9] = 255  # pixel 9 -> bit 6 of byte 1
    x[0, 1, 7] = 200  # row 1, pixel 7 -> bit 0 of byte 2
    assert images.pack_images(x, "1bpp") == bytes([0x80, 0x40, 0x01, 0x00])
    assert images.bytes_per_image(2, 10, 1, "1bpp") == 4


def test_1bpp_threshold_is_inclusive() -> None:
    x = np.array([127, 128, 129, 0, 255, 64, 200, 10], dtype=np.uint8)
    x = x.reshape(1, 1, 8, 1)
    assert images.pack_images(x, "1bpp", threshold=128) == bytes([0b01101010])
    assert images.pack_images(x, "1bpp", threshold=0) == b"\xff"


def test_1bpp_of_rgb_uses_luma() -> None:
    red = np.zeros((1, 1, 8, 3), dtype=np.uint8)
    red[..., 0] = 255  # luma of pure red is 76 (0.299 * 255)
    assert images.pack_images(red, "1bpp", threshold=76) == b"\xff"
    assert images.pack_images(red, "1bpp", threshold=77) == b"\x00"


def test_to_luma_is_pillow_L() -> None:
    rgb = np.random.default_rng(3).integers(0, 256, (17, 23, 3), dtype=np.uint8)
    expected = np.asarray(Image.fromarray(rgb, "RGB").convert("L"))
    np.testing.assert_array_equal(images.to_luma(rgb)[..., 0], expected)


# --- rgb565 ---------------------------------------------------------------------------

RGB565_KNOWN = [
    ((255, 0, 0), 0xF800),
    ((0, 255, 0), 0x07E0),
    ((0, 0, 255), 0x001F),
    ((255, 255, 255), 0xFFFF),
    ((0, 0, 0), 0x0000),
    ((8, 4, 8), 0x0821),  # lowest bit of each field
    ((7, 3, 7), 0x0000),  # truncated away
]


@pytest.mark.parametrize(("rgb", "word"), RGB565_KNOWN)
def test_rgb565_known_colours(rgb: tuple[int, int, int], word: int) -> None:
    x = np.array(rgb, dtype=np.uint8).reshape(1, 1, 1, 3)
    assert images.pack_images(x, "rgb565") == struct.pack("<H", word)


@pytest.mark.parametrize(
    ("word", "rgb"),
    [
        (0xF800, (255, 0, 0)),
        (0x07E0, (0, 255, 0)),
        (0x001F, (0, 0, 255)),
        (0x0841, (8, 8, 8)),  # r5=1 g6=2 b5=1: r5<<3|r5>>2 = 8, g6<<2|g6>>4 = 8
        (0x8410, (132, 130, 132)),  # r5=16 g6=32 b5=16: 128|4, 128|2, 128|4
        (0xFFFF, (255, 255, 255)),
    ],
)
def test_rgb565_decodes_with_bit_replication(
    word: int, rgb: tuple[int, int, int]
) -> None:
    out = images.decode_packed(
        struct.pack("<H", word), "rgb565", count=1, height=1, width=1, channels=3
    )
    assert tuple(int(v) for v in out.reshape(3)) == rgb


def test_rgb565_of_grayscale_replicates() -> None:
    x = np.full((1, 1, 2, 1), 255, dtype=np.uint8)
    assert images.pack_images(x, "rgb565") == b"\xff\xff\xff\xff"


# --- int8 -----------------------------------------------------------------------------


@pytest.mark.parametrize(("scale", "zp"), [(1 / 255, -128), (0.02, -5), (0.0078125, 0)])
def test_int8_packs_through_the_input_lut(scale: float, zp: int) -> None:
    pixels = np.arange(256, dtype=np.uint8).reshape(1, 16, 16, 1)
    lut = images.quantize_pixels(np.arange(256, dtype=np.uint8), scale, zp)
    data = images.pack_images(pixels, "int8", input_lut=lut)
    expected = bytes(
        max(-128, min(127, round(p / 255 / scale) + zp)) & 0xFF for p in range(256)
    )
    assert data == expected
    decoded = images.decode_packed(
        data, "int8", count=1, height=16, width=16, channels=1
    )
    assert decoded.dtype == np.int8
    np.testing.assert_array_equal(decoded.reshape(-1), lut)


def test_int8_without_model_is_pixel_minus_128() -> None:
    pixels = np.array([0, 1, 127, 128, 255], dtype=np.uint8).reshape(1, 1, 5, 1)
    data = images.pack_images(pixels, "int8")
    assert np.frombuffer(data, np.int8).tolist() == [-128, -127, -1, 0, 127]


def test_int8_rejects_a_bad_lut() -> None:
    x = np.zeros((1, 1, 1, 1), dtype=np.uint8)
    with pytest.raises(ImageError, match="256 int8 values"):
        images.pack_images(x, "int8", input_lut=np.zeros(10, dtype=np.int8))


# --- round trips and sizes ------------------------------------------------------------


def _round_trip_cases() -> list[tuple[int, int, int, int, str, int]]:
    rng = np.random.default_rng(2024)
    cases = []
    for i in range(40):
        fmt = images.IMAGE_FORMATS[i % len(images.IMAGE_FORMATS)]
        n, h, w = (int(v) for v in rng.integers(1, (4, 13, 20)))
        cases.append((n, h, w, int(rng.choice([1, 3])), fmt, i))
    return cases


@pytest.mark.parametrize(("n", "h", "w", "c", "fmt", "seed"), _round_trip_cases())
def test_pack_decode_round_trip(
    n: int, h: int, w: int, c: int, fmt: str, seed: int
) -> None:
    x = np.random.default_rng(seed).integers(0, 256, (n, h, w, c), dtype=np.uint8)
    data = images.pack_images(x, fmt)
    assert len(data) == n * images.bytes_per_image(h, w, c, fmt)
    decoded = images.decode_packed(data, fmt, count=n, height=h, width=w, channels=c)
    if fmt == "uint8":
        np.testing.assert_array_equal(decoded, x)
    elif fmt == "1bpp":
        gray = images.to_channels(x, 1)
        np.testing.assert_array_equal(decoded, np.where(gray >= 128, 255, 0))
    elif fmt == "rgb565":
        rgb = images.to_channels(x, 3).astype(int)
        # Truncation then bit replication never moves a channel by more than 7.
        assert np.abs(decoded.astype(int) - rgb).max() <= 7
    # Re-packing what the device sees is lossless (idempotent) for every format.
    if fmt != "int8":
        assert images.pack_images(decoded, fmt) == data


@pytest.mark.parametrize(
    ("shape", "fmt", "expected"),
    [
        ((28, 28, 1), "1bpp", 112),
        ((32, 32, 3), "1bpp", 128),
        ((28, 28, 1), "uint8", 784),
        ((32, 32, 3), "uint8", 3072),
        ((28, 28, 1), "int8", 784),
        ((32, 32, 3), "rgb565", 2048),
        ((28, 28, 1), "rgb565", 1568),
        ((5, 9, 1), "1bpp", 10),
    ],
)
def test_bytes_per_image(shape: tuple[int, int, int], fmt: str, expected: int) -> None:
    assert images.bytes_per_image(*shape, fmt) == expected


def test_unknown_format_is_a_config_error() -> None:
    x = np.zeros((1, 2, 2, 1), dtype=np.uint8)
    with pytest.raises(ConfigError, match="image format 'png' is unknown"):
        images.pack_images(x, "png")
    with pytest.raises(ConfigError, match="'bgr888'"):
        images.bytes_per_image(2, 2, 1, "bgr888")


def test_bad_threshold_is_a_config_error() -> None:
    x = np.zeros((1, 2, 2, 1), dtype=np.uint8)
    with pytest.raises(ConfigError, match="threshold '300'"):
        images.pack_images(x, "1bpp", threshold=300)


@pytest.mark.parametrize(
    "x",
    [
        np.zeros((2, 2, 1), dtype=np.uint8),  # not NHWC
        np.zeros((1, 2, 2, 2), dtype=np.uint8),  # 2 channels
        np.zeros((1, 2, 2, 1), dtype=np.float32),  # not uint8
    ],
)
def test_pack_rejects_non_nhwc_uint8(x: np.ndarray) -> None:
    with pytest.raises(ImageError, match="must be uint8"):
        images.pack_images(x, "uint8")


def test_decode_rejects_wrong_length() -> None:
    with pytest.raises(ImageError, match="'111' bytes but 1 images"):
        images.unpack_1bpp(bytes(111), width=28, height=28, count=1)


# --- selection ------------------------------------------------------------------------


def test_select_is_deterministic_and_prefix_stable() -> None:
    ds = synthetic(50, 4, 4, 1)
    x1, y1 = images.select_test_images(ds, 5, seed=7)
    x2, y2 = images.select_test_images(ds, 5, seed=7)
    x3, y3 = images.select_test_images(ds, 8, seed=7)
    x4, _ = images.select_test_images(ds, 5, seed=8)
    np.testing.assert_array_equal(x1, x2)
    np.testing.assert_array_equal(y1, y2)
    np.testing.assert_array_equal(x3[:5], x1)
    np.testing.assert_array_equal(y3[:5], y1)
    assert not np.array_equal(x1, x4)
    assert y1.dtype == np.int64
    # Every chosen image is the test image its label belongs to.
    order = np.random.default_rng(7).permutation(50)[:5]
    np.testing.assert_array_equal(x1, ds.x_test[order])


def test_select_too_many_names_count_and_size() -> None:
    with pytest.raises(
        ImageError, match=r"image count '11' exceeds the 10 test images"
    ):
        images.select_test_images(synthetic(10, 2, 2, 1), 11, seed=1)


def test_select_negative_is_a_config_error() -> None:
    with pytest.raises(ConfigError, match="image count '-1'"):
        images.select_test_images(synthetic(10, 2, 2, 1), -1, seed=1)


def test_pack_test_set_without_model(mnist: SplitStub) -> None:
    packed = images.pack_test_set(mnist, count=6, fmt="1bpp", seed=3, name="digits")
    x, y = images.select_test_images(mnist, 6, seed=3)
    assert (packed.name, packed.fmt, packed.count) == ("digits", "1bpp", 6)
    assert (packed.height, packed.width, packed.channels) == (28, 28, 1)
    assert packed.bytes_per_image == 112 and len(packed.data) == 672
    assert packed.labels == tuple(int(v) for v in y)
    assert packed.model_inputs is None and packed.golden is None
    for i in range(6):
        expected = seed_bitmap_to_pixels(packed.image(i), 28, 28)
        np.testing.assert_array_equal(packed.decoded()[i, :, :, 0], expected)
        np.testing.assert_array_equal(expected, np.where(x[i, :, :, 0] >= 128, 255, 0))


# --- loading files --------------------------------------------------------------------


def _png16_rgb(path: Path, rgb16: np.ndarray) -> None:
    """Write a 16-bit RGB PNG by hand (Pillow cannot write one)."""
    h, w, _ = rgb16.shape
    raw = b"".join(b"\x00" + rgb16[y].astype(">u2").tobytes() for y in range(h))

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    ihdr = struct.pack(">IIBBBBB", w, h, 16, 2, 0, 0, 0)
    path.write_bytes(
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", ihdr)
        + chunk(b"IDAT", zlib.compress(raw))
        + chunk(b"IEND", b"")
    )


def test_load_exact_size_grayscale_and_rgb(tmp_path: Path) -> None:
    rng = np.random.default_rng(1)
    gray = rng.integers(0, 256, (28, 28), dtype=np.uint8)
    rgb = rng.integers(0, 256, (28, 28, 3), dtype=np.uint8)
    Image.fromarray(gray, "L").save(tmp_path / "g.png")
    Image.fromarray(rgb, "RGB").save(tmp_path / "c.png")
    out = images.load_image_files(
        [tmp_path / "g.png", tmp_path / "c.png"], size=(28, 28), channels=1
    )
    assert out.shape == (2, 28, 28, 1) and out.dtype == np.uint8
    np.testing.assert_array_equal(out[0, :, :, 0], gray)
    np.testing.assert_array_equal(out[1], images.to_luma(rgb))
    out3 = images.load_image_files([tmp_path / "g.png"], size=(28, 28), channels=3)
    np.testing.assert_array_equal(out3[0], np.repeat(gray[..., None], 3, axis=-1))


def test_load_center_crops_a_wide_image(tmp_path: Path) -> None:
    wide = np.zeros((10, 30), dtype=np.uint8)
    wide[:, 10:20] = np.arange(100, dtype=np.uint8).reshape(10, 10)
    Image.fromarray(wide, "L").save(tmp_path / "wide.png")
    out = images.load_image_files([tmp_path / "wide.png"], size=(10, 10), channels=1)
    np.testing.assert_array_equal(out[0, :, :, 0], wide[:, 10:20])


def test_load_resizes_bilinear(tmp_path: Path) -> None:
    big = np.full((56, 56), 77, dtype=np.uint8)
    Image.fromarray(big, "L").save(tmp_path / "big.png")
    out = images.load_image_files([tmp_path / "big.png"], size=(28, 28), channels=1)
    assert out.shape == (1, 28, 28, 1)
    assert set(np.unique(out).tolist()) == {77}


def test_load_16bit_grayscale_png_keeps_high_byte(tmp_path: Path) -> None:
    values = np.arange(64, dtype=np.uint16).reshape(8, 8) * 1024 + 1023
    Image.fromarray(values).save(tmp_path / "g16.png")
    with Image.open(tmp_path / "g16.png") as img:
        assert img.mode.startswith("I")
    out = images.load_image_files([tmp_path / "g16.png"], size=(8, 8), channels=1)
    np.testing.assert_array_equal(out[0, :, :, 0], (values >> 8).astype(np.uint8))


def test_load_16bit_rgb_png(tmp_path: Path) -> None:
    rgb16 = np.zeros((2, 2, 3), dtype=np.uint16)
    rgb16[0, 0] = (0xFFFF, 0x0000, 0x8000)
    rgb16[1, 1] = (0x1234, 0xABCD, 0x00FF)
    _png16_rgb(tmp_path / "c16.png", rgb16)
    out = images.load_image_files([tmp_path / "c16.png"], size=(2, 2), channels=3)
    np.testing.assert_array_equal(out[0], (rgb16 >> 8).astype(np.uint8))


def test_load_palette_and_alpha_over_black(tmp_path: Path) -> None:
    pal = Image.new("P", (2, 1))
    pal.putpalette([0, 0, 0, 200, 100, 50, 255, 255, 255] + [0] * (256 * 3 - 9))
    pal.putdata([1, 2])
    pal.info["transparency"] = 2
    pal.save(tmp_path / "p.png", transparency=2)
    rgba = np.array([[[10, 20, 30, 255], [200, 200, 200, 0]]], dtype=np.uint8)
    Image.fromarray(rgba, "RGBA").save(tmp_path / "a.png")
    la = np.array([[[90, 255], [90, 0]]], dtype=np.uint8)
    Image.fromarray(la, "LA").save(tmp_path / "la.png")
    out = images.load_image_files(
        [tmp_path / "p.png", tmp_path / "a.png"], size=(1, 2), channels=3
    )
    assert out[0, 0].tolist() == [[200, 100, 50], [0, 0, 0]]
    assert out[1, 0].tolist() == [[10, 20, 30], [0, 0, 0]]
    out_la = images.load_image_files([tmp_path / "la.png"], size=(1, 2), channels=1)
    assert out_la[0, 0, :, 0].tolist() == [90, 0]


def test_load_truncated_png_names_the_file(tmp_path: Path) -> None:
    buf = io.BytesIO()
    noise = np.random.default_rng(0).integers(0, 256, (64, 64), dtype=np.uint8)
    Image.fromarray(noise, "L").save(buf, "PNG")
    path = tmp_path / "cut.png"
    path.write_bytes(buf.getvalue()[: len(buf.getvalue()) // 2])
    with pytest.raises(ImageError, match=r"image '.*cut\.png' cannot be decoded"):
        images.load_image_files([path], size=(64, 64), channels=1)


def test_load_garbage_and_missing_files(tmp_path: Path) -> None:
    path = tmp_path / "notes.png"
    path.write_bytes(b"this is not an image")
    with pytest.raises(ImageError, match=r"notes\.png' is not a readable image"):
        images.load_image_files([path], size=(8, 8), channels=1)
    with pytest.raises(ImageError, match=r"gone\.png' does not exist"):
        images.load_image_files([tmp_path / "gone.png"], size=(8, 8), channels=1)


def test_load_rejects_cmyk_jpeg(tmp_path: Path) -> None:
    Image.new("CMYK", (8, 8), (0, 255, 0, 0)).save(tmp_path / "print.jpg", "JPEG")
    with Image.open(tmp_path / "print.jpg") as img:
        assert img.mode == "CMYK"
    with pytest.raises(ImageError, match=r"print\.jpg' is CMYK"):
        images.load_image_files([tmp_path / "print.jpg"], size=(8, 8), channels=3)


def test_load_rejects_bad_channels(tmp_path: Path) -> None:
    with pytest.raises(ImageError, match="channels '2'"):
        images.load_image_files([], size=(8, 8), channels=2)


# --- pipeline.write_image_set (CLI path) ------------------------------------------


def test_write_image_set_writes_both_files(tmp_path: Path) -> None:
    if not MNIST_NPZ.is_file():
        pytest.skip(f"needs the full MNIST file {MNIST_NPZ}")
    cfg = TinyMLConfig(
        dataset="mnist",
        datasets_dir=DATASETS_DIR,
        images=4,
        image_format="1bpp",
        seed=2,
    )
    paths = pipeline.write_image_set(cfg, tmp_path, model=None, name="digits")
    assert [p.name for p in paths] == ["digits_image_data.h", "digits_image_data.cpp"]
    text = paths[0].read_text()
    assert "constexpr int kImageCount = 4;" in text
    assert "PixelFormat::kGray1bpp" in text
    mtime = paths[1].stat().st_mtime_ns
    again = pipeline.write_image_set(cfg, tmp_path, model=None, name="digits")
    assert again == paths and paths[1].stat().st_mtime_ns == mtime  # unchanged


def test_cli_pack_images_too_many(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    if not MNIST_NPZ.is_file():
        pytest.skip(f"needs the full MNIST file {MNIST_NPZ}")
    from platformio_tinyml.cli import main

    code = main(
        [
            "pack-images",
            "--dataset",
            "mnist",
            "--datasets-dir",
            str(DATASETS_DIR),
            "--count",
            "20000",
            "--format",
            "uint8",
            "--out-dir",
            str(tmp_path),
        ]
    )
    assert code == 2
    assert (
        "image count '20000' exceeds the 10000 test images" in capsys.readouterr().err
    )
    assert not list(tmp_path.iterdir())


# --- with a model: model inputs and golden outputs (real TF + real TFLM) ----------


def _convert(model: Any, quantize: bool, shape: tuple[int, int, int]) -> bytes:
    tf = pytest.importorskip("tensorflow")
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    if quantize:
        rng = np.random.default_rng(0)

        def representative() -> Any:
            for _ in range(32):
                yield [rng.random((1, *shape), dtype=np.float32)]

        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = representative
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    data: bytes = converter.convert()
    return data


@pytest.fixture(scope="module")
def tiny_models() -> dict[str, bytes]:
    """A 28x28x1 int8 classifier, a 28x28x1 float one and an 8x8x3 float one."""
    tf = pytest.importorskip("tensorflow", reason="needs TensorFlow to build models")
    tf.keras.utils.set_random_seed(0)

    def build(shape: tuple[int, int, int], classes: int) -> Any:
        inp = tf.keras.Input(shape=shape, batch_size=1)
        hidden = tf.keras.layers.Dense(16, activation="relu")(
            tf.keras.layers.Flatten()(inp)
        )
        out = tf.keras.layers.Dense(classes, activation="softmax")(hidden)
        return tf.keras.Model(inp, out)

    gray = build((28, 28, 1), 10)
    return {
        "gray_int8": _convert(gray, True, (28, 28, 1)),
        "gray_float": _convert(gray, False, (28, 28, 1)),
        "rgb_float": _convert(build((8, 8, 3), 4), False, (8, 8, 3)),
    }


def _tflm(model: bytes, inputs: np.ndarray) -> np.ndarray:
    """Independent host run: tflite_micro's interpreter, one image at a time."""
    runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")
    interpreter = runtime.Interpreter.from_bytes(model)
    rows = []
    for sample in inputs:
        interpreter.set_input(sample[np.newaxis], 0)
        interpreter.invoke()
        rows.append(np.array(interpreter.get_output(0)).reshape(-1))
    return np.stack(rows)


def _input_quant(model: bytes) -> tuple[float, int]:
    runtime = pytest.importorskip("tflite_micro.python.tflite_micro.runtime")
    q = runtime.Interpreter.from_bytes(model).get_input_details(0)
    params = q["quantization_parameters"]
    return float(params["scales"][0]), int(params["zero_points"][0])


@pytest.mark.tensorflow
@pytest.mark.tflm
@pytest.mark.parametrize("fmt", ["1bpp", "uint8", "int8", "rgb565"])
def test_goldens_are_tflm_on_device_decoded_inputs(
    fmt: str, mnist: SplitStub, tiny_models: dict[str, bytes]
) -> None:
    model = tiny_models["gray_int8"]
    scale, zp = _input_quant(model)
    packed = images.pack_test_set(mnist, count=5, fmt=fmt, seed=4, model=model)
    x, y = images.select_test_images(mnist, 5, seed=4)
    # What the device computes, derived here independently of images.py:
    if fmt == "1bpp":
        pixels = np.stack(
            [seed_bitmap_to_pixels(packed.image(i), 28, 28) for i in range(5)]
        )[..., None]
    elif fmt == "rgb565":
        words = np.frombuffer(packed.data, "<u2").reshape(5, 28, 28).astype(np.uint32)
        r5, g6, b5 = words >> 11, (words >> 5) & 63, words & 31
        rgb = np.stack([r5 << 3 | r5 >> 2, g6 << 2 | g6 >> 4, b5 << 3 | b5 >> 2], -1)
        pixels = np.stack(
            [
                np.asarray(Image.fromarray(im.astype(np.uint8)).convert("L"))
                for im in rgb
            ]
        )[..., None]
    else:
        pixels = x
    lut = np.array(
        [max(-128, min(127, round(p / 255 / scale) + zp)) for p in range(256)],
        dtype=np.int8,
    )
    expected_inputs = lut[pixels]
    if fmt == "int8":
        np.testing.assert_array_equal(
            np.frombuffer(packed.data, np.int8).reshape(5, 28, 28, 1), expected_inputs
        )
    assert packed.model_inputs is not None and packed.golden is not None
    np.testing.assert_array_equal(packed.model_inputs, expected_inputs)
    assert packed.golden.dtype == np.int8 and packed.golden.shape == (5, 10)
    np.testing.assert_array_equal(packed.golden, _tflm(model, expected_inputs))
    assert len({tuple(row) for row in packed.golden.tolist()}) > 1  # not constant
    assert packed.labels == tuple(int(v) for v in y)


@pytest.mark.tensorflow
@pytest.mark.tflm
def test_goldens_with_model_info_equal_goldens_from_bytes(
    mnist: SplitStub, tiny_models: dict[str, bytes]
) -> None:
    model_info = pytest.importorskip("platformio_tinyml.model_info")
    model = tiny_models["gray_int8"]
    a = images.pack_test_set(mnist, count=3, fmt="uint8", seed=1, model=model)
    b = images.pack_test_set(
        mnist,
        count=3,
        fmt="uint8",
        seed=1,
        model=model,
        model_info=model_info.read_model(model),
    )
    assert a.data == b.data
    assert a.golden is not None and b.golden is not None
    np.testing.assert_array_equal(a.golden, b.golden)


@pytest.mark.tensorflow
@pytest.mark.tflm
def test_float_model_gets_pixel_over_255(
    mnist: SplitStub, tiny_models: dict[str, bytes]
) -> None:
    model = tiny_models["gray_float"]
    packed = images.pack_test_set(mnist, count=3, fmt="uint8", seed=1, model=model)
    x, _ = images.select_test_images(mnist, 3, seed=1)
    assert packed.model_inputs is not None and packed.golden is not None
    np.testing.assert_array_equal(packed.model_inputs, x.astype(np.float32) / 255)
    assert packed.golden.dtype == np.float32
    np.testing.assert_allclose(packed.golden.sum(axis=1), 1.0, rtol=1e-5)
    np.testing.assert_array_equal(packed.golden, _tflm(model, packed.model_inputs))


@pytest.mark.tensorflow
@pytest.mark.tflm
def test_grayscale_model_from_rgb_images_uses_luma(
    tiny_models: dict[str, bytes],
) -> None:
    ds = synthetic(4, 28, 28, 3, seed=5)
    model = tiny_models["gray_float"]
    packed = images.pack_test_set(ds, count=4, fmt="uint8", seed=0, model=model)
    x, _ = images.select_test_images(ds, 4, seed=0)
    luma = np.stack([np.asarray(Image.fromarray(im).convert("L")) for im in x])
    assert packed.channels == 1 and packed.bytes_per_image == 784
    np.testing.assert_array_equal(packed.decoded()[..., 0], luma)
    assert packed.model_inputs is not None
    np.testing.assert_array_equal(packed.model_inputs[..., 0], luma / np.float32(255))


@pytest.mark.tensorflow
@pytest.mark.tflm
@pytest.mark.parametrize("fmt", ["uint8", "1bpp"])
def test_rgb_model_from_grayscale_replicates(
    fmt: str, tiny_models: dict[str, bytes]
) -> None:
    ds = synthetic(3, 8, 8, 1, seed=6)
    model = tiny_models["rgb_float"]
    packed = images.pack_test_set(ds, count=3, fmt=fmt, seed=0, model=model)
    assert packed.model_inputs is not None and packed.golden is not None
    assert packed.model_inputs.shape == (3, 8, 8, 3)
    for ch in (1, 2):
        np.testing.assert_array_equal(
            packed.model_inputs[..., 0], packed.model_inputs[..., ch]
        )
    assert packed.golden.shape == (3, 4)
    np.testing.assert_array_equal(packed.golden, _tflm(model, packed.model_inputs))


@pytest.mark.tensorflow
@pytest.mark.tflm
def test_size_mismatch_names_both_shapes(tiny_models: dict[str, bytes]) -> None:
    with pytest.raises(ImageError, match=r"'\(8, 8, 1\)'.*'\(1, 28, 28, 1\)'"):
        images.pack_test_set(
            synthetic(3, 8, 8, 1), count=2, fmt="uint8", model=tiny_models["gray_int8"]
        )


@pytest.mark.tensorflow
@pytest.mark.tflm
def test_int8_images_need_an_int8_model(tiny_models: dict[str, bytes]) -> None:
    with pytest.raises(ImageError, match="model input is 'float32'; use image format"):
        images.pack_test_set(
            synthetic(3, 28, 28, 1),
            count=2,
            fmt="int8",
            model=tiny_models["gray_float"],
        )


def test_model_that_is_not_tflite() -> None:
    with pytest.raises(ModelError, match="is not a TFLite flatbuffer"):
        images.pack_test_set(
            synthetic(3, 28, 28, 1), count=2, fmt="uint8", model=b"not a model at all"
        )


@pytest.mark.tensorflow
@pytest.mark.tflm
def test_write_image_set_with_model_writes_goldens(
    tmp_path: Path, mnist: SplitStub, tiny_models: dict[str, bytes]
) -> None:
    model_path = tmp_path / "tiny.tflite"
    model_path.write_bytes(tiny_models["gray_int8"])
    cfg = TinyMLConfig(
        dataset="mnist",
        datasets_dir=DATASETS_DIR,
        images=3,
        image_format="int8",
        seed=9,
    )
    header, source = pipeline.write_image_set(
        cfg, tmp_path / "out", model=model_path, name="test"
    )
    packed = images.pack_test_set(
        mnist, count=3, fmt="int8", seed=9, model=tiny_models["gray_int8"]
    )
    h, c = header.read_text(), source.read_text()
    assert "from tiny.tflite (sha256 " in h.splitlines()[0]
    assert "constexpr TensorType kGoldenOutputType = TensorType::kInt8;" in h
    assert packed.golden is not None
    row = ", ".join(str(int(v)) for v in packed.golden[2]) + ","
    assert f"        {row}\n    }},\n}};" in c  # the last golden row closes the array


def _mixed_size_folder(root: Path) -> Path:
    from PIL import Image

    for c, cls in enumerate(("a", "b", "c")):
        (root / cls).mkdir(parents=True)
        for i, size in enumerate(((8, 8), (12, 10), (20, 16), (9, 7), (8, 8))):
            Image.new("L", size, 40 * c + i).save(root / cls / f"{i}.png")
    return root


@pytest.mark.tflm
def test_pack_images_resizes_mixed_sizes_to_the_model_input(tmp_path: Path) -> None:
    from platformio_tinyml.cli import main

    tiny_cnn = Path(__file__).parent / "data" / "tiny_cnn_int8.tflite"  # 8x8x1
    folder = _mixed_size_folder(tmp_path / "ds")
    out = tmp_path / "out"
    argv = ["pack-images", "--dataset", f"folder:{folder}", "--count", "3"]
    argv += ["--format", "uint8", "--model", str(tiny_cnn), "--out-dir", str(out)]
    assert main(argv) == 0
    header = (out / "test_image_data.h").read_text()
    assert "kImageHeight = 8;" in header and "kImageWidth = 8;" in header
    assert "HAS_GOLDEN_OUTPUTS 1" in header
