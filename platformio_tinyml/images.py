# SPDX-License-Identifier: Apache-2.0
"""Test images: load, pack, decode and run them exactly as the device sees them.

Conventions (binding, see ``docs/design.md``):

* Images are ``uint8`` arrays of shape ``(N, H, W, C)`` with ``C`` 1 or 3.
* ``1bpp``: image2cpp layout. Rows are MSB-first and padded to whole bytes
  (28x28 -> 4 bytes per row, 112 bytes per image); a pixel is 1 when its value is
  ``>= threshold``. RGB sources are converted to ITU-R 601 luma first. Decodes to
  0/255, one channel.
* ``uint8``: raw bytes in HWC order (grayscale or RGB888).
* ``int8``: the quantized model input, ``lut[pixel]`` with
  ``lut[p] = clip(round(p / 255 / scale) + zero_point, -128, 127)``. Decodes to the
  int8 values themselves. Without a model the table of ``scale = 1/255``,
  ``zero_point = -128`` (``p - 128``) is used.
* ``rgb565``: little-endian 16-bit words ``R[15:11] G[10:5] B[4:0]``; 8-bit channels are
  truncated (``r >> 3``). Grayscale sources are replicated to RGB first. Decodes with
  bit replication (``r8 = r5 << 3 | r5 >> 2``, ``g8 = g6 << 2 | g6 >> 4``), 3 channels.

Model inputs and golden outputs are computed from the **decoded** pixels, so they equal
what the firmware feeds the model. When the decoded channel count differs from the
model's, the pixels are adapted the way the device does it: RGB to grayscale with
Pillow's integer ITU-R 601 luma (``(19595 R + 38470 G + 7471 B + 0x8000) >> 16``),
grayscale to RGB by replicating the channel.
"""

from __future__ import annotations

import warnings
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, Protocol

import numpy as np
import numpy.typing as npt

from . import preprocessing
from .config import IMAGE_FORMATS, InputRange
from .errors import ConfigError, ImageError

if TYPE_CHECKING:
    pass

__all__ = [
    "IMAGE_FORMATS",
    "PackedImages",
    "bytes_per_image",
    "decode_packed",
    "load_image_files",
    "pack_images",
    "pack_test_set",
    "quantize_pixels",
    "select_test_images",
    "to_channels",
    "to_luma",
    "unpack_1bpp",
]

# Without a model, int8 images use the zoo models' usual input quantization
# (scale 1/255, zero point -128), i.e. pixel - 128.
DEFAULT_INT8_SCALE = 1.0 / 255.0
DEFAULT_INT8_ZERO_POINT = -128

_FORMAT_HINT = "use one of " + ", ".join(IMAGE_FORMATS)


class _TestSplit(Protocol):
    """What this module needs from ``datasets.Dataset``."""

    @property
    def name(self) -> str: ...
    @property
    def x_test(self) -> npt.NDArray[np.uint8]: ...
    @property
    def y_test(self) -> npt.NDArray[Any]: ...
    @property
    def class_names(self) -> Sequence[str]: ...


@dataclass(frozen=True, eq=False)
class PackedImages:
    """A packed image set: the bytes the device stores, plus labels and goldens.

    ``eq=False`` because numpy fields have no boolean ``==``; compare fields instead.

    Attributes:
        name: set name; the C++ namespace ``tinyml::generated::<name>``.
        fmt: one of :data:`IMAGE_FORMATS`.
        count: number of images.
        height: image rows.
        width: image columns.
        channels: channels of the decoded image (1bpp: 1, rgb565: 3).
        bytes_per_image: packed bytes per image.
        data: all packed images back to back.
        labels: the true class of each image.
        class_names: the dataset's class names, by label.
        model_inputs: ``(N, H, W, C)`` in the model input dtype: what the device feeds
            the model after decoding (and the input lookup table), or None.
        golden: ``(N, classes)`` model outputs from the host TFLM interpreter, or None.
    """

    name: str
    fmt: str
    count: int
    height: int
    width: int
    channels: int
    bytes_per_image: int
    data: bytes
    labels: tuple[int, ...]
    class_names: tuple[str, ...]
    model_inputs: npt.NDArray[Any] | None = None
    golden: npt.NDArray[Any] | None = None

    def image(self, index: int) -> bytes:
        """The packed bytes of image ``index``."""
        start = index * self.bytes_per_image
        return self.data[start : start + self.bytes_per_image]

    def decoded(self) -> npt.NDArray[Any]:
        """All images decoded as the device sees them (see :func:`decode_packed`)."""
        return decode_packed(
            self.data,
            self.fmt,
            count=self.count,
            height=self.height,
            width=self.width,
            channels=self.channels,
        )


# --- Validation helpers ------------------------------------------------------------


def _check_format(fmt: str) -> str:
    if fmt not in IMAGE_FORMATS:
        raise ConfigError(
            f"image format '{fmt}' is unknown; {_FORMAT_HINT} "
            "(custom_tinyml_image_format)"
        )
    return fmt


def _check_nhwc(x: npt.NDArray[Any], what: str = "images") -> None:
    if (
        x.dtype != np.uint8
        or x.ndim != 4
        or x.shape[3] not in (1, 3)
        or min(x.shape[1:3]) < 1
    ):
        raise ImageError(
            f"{what} must be uint8 (N, H, W, 1|3) with H, W >= 1, got {x.dtype} shape "
            f"'{tuple(x.shape)}'; convert them with load_image_files()"
        )


# --- Channel conversion ------------------------------------------------------------


def to_luma(x: npt.NDArray[np.uint8]) -> npt.NDArray[np.uint8]:
    """RGB ``(..., 3)`` to ITU-R 601 luma ``(..., 1)``, bit-identical to Pillow ``"L"``.

    Args:
        x: uint8 pixels with 3 channels in the last axis.

    Returns:
        uint8 pixels with 1 channel.
    """
    rgb = x.astype(np.uint32)
    luma = (
        rgb[..., 0] * 19595 + rgb[..., 1] * 38470 + rgb[..., 2] * 7471 + 0x8000
    ) >> 16
    return luma.astype(np.uint8)[..., np.newaxis]


def to_channels(x: npt.NDArray[np.uint8], channels: int) -> npt.NDArray[np.uint8]:
    """Adapt NHWC pixels to ``channels``: RGB -> luma, grayscale -> replicated RGB.

    Raises:
        ImageError: an unsupported channel count.
    """
    have = x.shape[-1]
    if have == channels:
        return x
    if have == 3 and channels == 1:
        return to_luma(x)
    if have == 1 and channels == 3:
        return np.repeat(x, 3, axis=-1)
    raise ImageError(
        f"cannot convert {have}-channel images to '{channels}' channels; "
        "only grayscale (1) and RGB (3) are supported"
    )


# --- Loading -----------------------------------------------------------------------


def _to_8bit(img: Any, path: Path) -> Any:
    """Bring any Pillow mode to L/RGB/RGBA/LA (8 bits per sample)."""
    from PIL import Image

    mode = img.mode
    if mode == "CMYK":
        # Pillow's CMYK->RGB is a naive formula and Adobe CMYK JPEGs are often stored
        # inverted, so a silent conversion would feed the model wrong colours.
        raise ImageError(
            f"image '{path}' is CMYK; convert it to RGB or grayscale first "
            "(e.g. with an image editor or Pillow's ImageCms)"
        )
    if mode.startswith("I;16") or mode == "I":
        # 16-bit samples keep their high byte, as Pillow does for 16-bit RGB PNGs.
        wide = np.asarray(img).astype(np.int64)
        if wide.min() < 0 or wide.max() > 0xFFFF:
            raise ImageError(
                f"image '{path}' has 32-bit integer samples; save it with 8 or 16 bits"
            )
        return Image.fromarray((wide >> 8).astype(np.uint8), mode="L")
    if mode == "F":
        raise ImageError(
            f"image '{path}' has floating-point samples (mode 'F'); "
            "save it as an 8- or 16-bit PNG"
        )
    if mode == "P":
        return img.convert("RGBA" if "transparency" in img.info else "RGB")
    if mode in ("L", "RGB", "RGBA", "LA"):
        return img
    if mode == "PA":
        return img.convert("RGBA")
    return img.convert("RGB")


def _flatten_alpha(img: Any) -> Any:
    """Composite transparent pixels over black (MNIST convention: no ink)."""
    from PIL import Image

    if img.mode not in ("RGBA", "LA"):
        return img
    rgba = img.convert("RGBA")
    black = Image.new("RGBA", img.size, (0, 0, 0, 255))
    black.alpha_composite(rgba)
    return black.convert("RGB" if img.mode == "RGBA" else "L")


def _fit(img: Any, height: int, width: int) -> Any:
    """Centre-crop to the target aspect ratio, then resize with Pillow BILINEAR."""
    from PIL import Image

    w, h = img.size
    if (w, h) == (width, height):
        return img
    if w * height > h * width:  # too wide
        new_w = max(1, round(h * width / height))
        left = (w - new_w) // 2
        img = img.crop((left, 0, left + new_w, h))
    elif w * height < h * width:  # too tall
        new_h = max(1, round(w * height / width))
        top = (h - new_h) // 2
        img = img.crop((0, top, w, top + new_h))
    return img.resize((width, height), Image.Resampling.BILINEAR)


def load_image_files(
    paths: Sequence[Path], *, size: tuple[int, int], channels: int
) -> npt.NDArray[np.uint8]:
    """Read image files (PNG, JPEG, BMP, ...) into a uint8 NHWC array.

    Policy:

    * EXIF orientation is applied.
    * 16-bit samples keep their high byte; palette images are expanded.
    * Transparent pixels are composited over black (the MNIST "no ink" colour).
    * CMYK images (CMYK JPEGs) are rejected: Pillow's conversion ignores colour
      profiles and Adobe's inverted CMYK, so the colours would be silently wrong.
    * Images of another size are centre-cropped to the target aspect ratio and then
      resized with Pillow's ``BILINEAR`` filter.
    * ``channels=1`` converts with ITU-R 601 luma (Pillow ``"L"``); ``channels=3``
      converts to RGB (grayscale is replicated).

    Args:
        paths: image files.
        size: ``(height, width)`` of the result.
        channels: 1 (grayscale) or 3 (RGB).

    Returns:
        uint8 array ``(len(paths), height, width, channels)``.

    Raises:
        ImageError: a file is missing, truncated, corrupt, CMYK or of an unsupported
            sample type; or ``size``/``channels`` are invalid.
    """
    from PIL import Image, ImageOps, UnidentifiedImageError

    height, width = size
    if height < 1 or width < 1:
        raise ImageError(f"image size '{height}x{width}' must be positive (HxW)")
    if channels not in (1, 3):
        raise ImageError(
            f"channels '{channels}' is not supported; use 1 (grayscale) or 3 (RGB)"
        )
    out = np.empty((len(paths), height, width, channels), dtype=np.uint8)
    for i, raw_path in enumerate(paths):
        path = Path(raw_path)
        try:
            with warnings.catch_warnings():
                warnings.simplefilter("error", Image.DecompressionBombWarning)
                with Image.open(path) as opened:
                    opened.load()
                    img = ImageOps.exif_transpose(opened)
        except FileNotFoundError:
            raise ImageError(f"image '{path}' does not exist; check the path") from None
        except UnidentifiedImageError:
            raise ImageError(
                f"image '{path}' is not a readable image; use PNG, JPEG or BMP files"
            ) from None
        except (
            OSError,
            SyntaxError,
            ValueError,
            Image.DecompressionBombWarning,
            Image.DecompressionBombError,
        ) as exc:
            detail = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
            raise ImageError(
                f"image '{path}' cannot be decoded ({detail}); "
                "the file is truncated or corrupt: re-export it"
            ) from None
        img = _flatten_alpha(_to_8bit(img, path))
        img = img.convert("L" if channels == 1 else "RGB")
        img = _fit(img, height, width)
        arr = np.asarray(img, dtype=np.uint8)
        out[i] = arr.reshape(height, width, channels)
    return out


# --- Packing -----------------------------------------------------------------------


def bytes_per_image(height: int, width: int, channels: int, fmt: str) -> int:
    """Packed bytes of one image.

    ``1bpp`` ignores ``channels`` (RGB is converted to luma); ``rgb565`` always
    stores 2 bytes per pixel.
    """
    _check_format(fmt)
    if fmt == "1bpp":
        return (width + 7) // 8 * height
    if fmt == "rgb565":
        return width * height * 2
    return width * height * channels


def quantize_pixels(
    pixels: npt.NDArray[np.uint8], scale: float, zero_point: int
) -> npt.NDArray[np.int8]:
    """int8 model input for uint8 pixels, through the 256-entry input lookup table."""
    return preprocessing.input_lut(scale, zero_point)[pixels]


def pack_images(
    x: npt.NDArray[np.uint8],
    fmt: str,
    *,
    threshold: int = 128,
    input_lut: npt.NDArray[np.int8] | None = None,
) -> bytes:
    """Pack uint8 NHWC images into ``fmt`` (see the module docstring for layouts).

    Args:
        x: uint8 ``(N, H, W, C)``, ``C`` 1 or 3.
        fmt: ``1bpp``, ``uint8``, ``int8`` or ``rgb565``.
        threshold: ``1bpp`` only: a pixel is 1 when ``value >= threshold``.
        input_lut: ``int8`` only: the model's 256-entry input table
            (default: ``pixel - 128``).

    Returns:
        The images back to back, ``N * bytes_per_image(...)`` bytes.

    Raises:
        ConfigError: unknown format or a threshold outside 0..255.
        ImageError: ``x`` is not uint8 NHWC with 1 or 3 channels.
    """
    _check_format(fmt)
    _check_nhwc(x)
    if fmt == "1bpp":
        if not 0 <= threshold <= 255:
            raise ConfigError(
                f"1bpp threshold '{threshold}' is out of range; use 0..255 "
                "(custom_tinyml_image_threshold)"
            )
        gray = to_channels(x, 1)[..., 0]
        bits = (gray >= threshold).astype(np.uint8)
        # packbits pads each row (the last axis) to whole bytes, MSB first.
        return np.packbits(bits, axis=-1, bitorder="big").tobytes()
    if fmt == "uint8":
        return np.ascontiguousarray(x).tobytes()
    if fmt == "int8":
        lut = (
            quantize_pixels(
                np.arange(256, dtype=np.uint8),
                DEFAULT_INT8_SCALE,
                DEFAULT_INT8_ZERO_POINT,
            )
            if input_lut is None
            else np.asarray(input_lut)
        )
        if lut.shape != (256,) or lut.dtype != np.int8:
            raise ImageError(
                f"input_lut must be 256 int8 values, got {lut.dtype} shape "
                f"'{tuple(lut.shape)}'; build it with preprocessing.input_lut()"
            )
        return np.ascontiguousarray(lut[x]).tobytes()
    rgb = to_channels(x, 3).astype(np.uint16)
    words = ((rgb[..., 0] >> 3) << 11) | ((rgb[..., 1] >> 2) << 5) | (rgb[..., 2] >> 3)
    return words.astype("<u2").tobytes()


def unpack_1bpp(
    data: bytes, *, width: int, height: int, count: int
) -> npt.NDArray[np.uint8]:
    """Decode image2cpp 1bpp bitmaps into pixels 0/255.

    Args:
        data: ``count`` bitmaps back to back, rows MSB-first padded to whole bytes.
        width: pixels per row.
        height: rows per image.
        count: number of images.

    Returns:
        uint8 ``(count, height, width, 1)`` with values 0 and 255.

    Raises:
        ImageError: ``data`` has the wrong length.
    """
    return decode_packed(
        data, "1bpp", count=count, height=height, width=width, channels=1
    )


def decode_packed(
    data: bytes, fmt: str, *, count: int, height: int, width: int, channels: int
) -> npt.NDArray[Any]:
    """Decode packed images into what the device sees.

    Args:
        data: packed images back to back.
        fmt: the format they were packed in.
        count: number of images.
        height: rows per image.
        width: pixels per row.
        channels: channels of the source (``uint8``/``int8``); ignored for ``1bpp``
            (always 1) and ``rgb565`` (always 3).

    Returns:
        ``(count, height, width, C)``: uint8 pixels (1bpp: 0/255; rgb565: RGB888 with
        bit replication), or int8 model inputs for ``int8``.

    Raises:
        ConfigError: unknown format.
        ImageError: ``data`` does not hold exactly ``count`` images.
    """
    _check_format(fmt)
    if height < 1 or width < 1:
        raise ImageError(
            f"image size '{height}x{width}' must be positive (HxW); "
            "pass the size the data was packed with"
        )
    if fmt in ("uint8", "int8") and channels not in (1, 3):
        raise ImageError(
            f"channels '{channels}' is not supported; use 1 (grayscale) or 3 (RGB)"
        )
    per_image = bytes_per_image(height, width, channels, fmt)
    if count < 0 or len(data) != count * per_image:
        raise ImageError(
            f"packed {fmt} data has '{len(data)}' bytes but {count} images of "
            f"{height}x{width}x{channels} need {count * per_image}; "
            "pass the count and size the data was packed with"
        )
    raw = np.frombuffer(data, dtype=np.uint8)
    out: npt.NDArray[Any]
    if fmt == "1bpp":
        rows = raw.reshape(count, height, (width + 7) // 8)
        bits = np.unpackbits(rows, axis=-1, bitorder="big")[..., :width]
        out = (bits * np.uint8(255))[..., np.newaxis]
        return out
    if fmt == "uint8":
        out = raw.reshape(count, height, width, channels).copy()
        return out
    if fmt == "int8":
        out = raw.view(np.int8).reshape(count, height, width, channels).copy()
        return out
    words = np.frombuffer(data, dtype="<u2").reshape(count, height, width)
    r5 = (words >> 11) & 0x1F
    g6 = (words >> 5) & 0x3F
    b5 = words & 0x1F
    rgb = np.stack(
        [(r5 << 3) | (r5 >> 2), (g6 << 2) | (g6 >> 4), (b5 << 3) | (b5 >> 2)], axis=-1
    )
    return rgb.astype(np.uint8)


# --- Test-set selection ------------------------------------------------------------


def select_test_images(
    dataset: _TestSplit, count: int, *, seed: int
) -> tuple[npt.NDArray[np.uint8], npt.NDArray[np.int64]]:
    """Choose ``count`` images from the dataset's TEST split, deterministically.

    The choice is the first ``count`` indices of
    ``numpy.random.default_rng(seed).permutation(len(x_test))``, so a larger count
    extends a smaller one with the same seed. Images keep that (shuffled) order.

    Args:
        dataset: anything with ``x_test`` (uint8 NHWC) and ``y_test``.
        count: number of images (0 allowed).
        seed: random seed.

    Returns:
        ``(images, labels)``: uint8 ``(count, H, W, C)`` and int64 ``(count,)``.

    Raises:
        ConfigError: a negative count.
        ImageError: more images requested than the test split holds.
    """
    if count < 0:
        raise ConfigError(
            f"image count '{count}' is negative; use 0 or more (custom_tinyml_images)"
        )
    x = np.asarray(dataset.x_test)
    y = np.asarray(dataset.y_test)
    available = int(x.shape[0])
    if count > available:
        raise ImageError(
            f"image count '{count}' exceeds the {available} test images of dataset "
            f"'{dataset.name}'; use at most {available} (custom_tinyml_images)"
        )
    order = np.random.default_rng(seed).permutation(available)[:count]
    images = x[order]
    if images.ndim == 3:
        images = images[..., np.newaxis]
    _check_nhwc(images, f"dataset '{dataset.name}' test images")
    return np.ascontiguousarray(images), y[order].astype(np.int64)


# --- Model input/output description ------------------------------------------------


@dataclass(frozen=True)
class _TensorIO:
    """The input/output facts of a model that packing needs."""

    input_shape: tuple[int, ...]
    input_dtype: str
    input_scale: float
    input_zero_point: int
    output_dtype: str


_MODEL_DTYPES = ("float32", "int8", "uint8")


def _tensor_io(model: bytes, model_info: Any) -> _TensorIO:
    """Input 0 / output 0 of a model, from ``model_info.ModelInfo`` (duck-typed)."""
    if model_info is None:
        from .model_info import read_model

        model_info = read_model(model)
    inp = model_info.inputs[0]
    out = model_info.outputs[0]
    io = _TensorIO(
        input_shape=tuple(int(d) for d in inp.shape),
        input_dtype=np.dtype(inp.dtype).name,
        input_scale=float(inp.scale or 0.0),
        input_zero_point=int(inp.zero_point or 0),
        output_dtype=np.dtype(out.dtype).name,
    )
    if io.input_dtype not in _MODEL_DTYPES or io.output_dtype not in _MODEL_DTYPES:
        raise ImageError(
            f"model input/output types '{io.input_dtype}/{io.output_dtype}' are not "
            "float32, int8 or uint8; convert the model with --quantize int8 or float32"
        )
    return io


# --- Test sets ---------------------------------------------------------------------


def pack_test_set(
    dataset: _TestSplit,
    *,
    count: int,
    fmt: str,
    threshold: int = 128,
    seed: int = 1,
    name: str = "test",
    model: bytes | None = None,
    model_info: Any = None,
    class_names: Sequence[str] | None = None,
    input_range: InputRange | None = None,
) -> PackedImages:
    """Select, pack and (with a model) run test images through the host TFLM kernels.

    With a model, the images are first adapted to the model's channel count (luma or
    replication), packed, decoded again, adapted to the model once more (1bpp into an
    RGB model, rgb565 into a grayscale model) and mapped with
    :func:`preprocessing.to_model_input` using the model's input scale and zero point.
    Golden outputs are the host TFLM interpreter's outputs for those inputs.

    Args:
        dataset: a ``datasets.Dataset`` (or anything with its test-split fields).
        count: number of test images.
        fmt: packed format.
        threshold: 1bpp threshold.
        seed: selection seed (see :func:`select_test_images`).
        name: the set name.
        model: ``.tflite`` bytes, for model inputs and golden outputs.
        model_info: optional ``model_info.ModelInfo`` of ``model`` (read from the
            bytes when omitted).
        class_names: overrides the dataset's class names.
        input_range: the model's pixel-to-input convention; None infers it from the
            model's input quantization (else 0..1).

    Returns:
        The packed set.

    Raises:
        ConfigError: unknown format, bad threshold or negative count.
        ImageError: too many images; image size or channels incompatible with the
            model; ``int8`` images for a model whose input is not int8.
    """
    _check_format(fmt)
    x, y = select_test_images(dataset, count, seed=seed)
    _, height, width, channels = x.shape
    names = tuple(class_names if class_names is not None else dataset.class_names)

    io: _TensorIO | None = None
    lut: npt.NDArray[np.int8] | None = None
    rng = preprocessing.UNIT_RANGE
    if model is not None:
        io = _tensor_io(model, model_info)
        rng, _how = preprocessing.resolve_input_range(
            input_range, io.input_dtype, io.input_scale, io.input_zero_point
        )
        shape = io.input_shape
        if len(shape) != 4 or shape[3] not in (1, 3) or shape[1:3] != (height, width):
            raise ImageError(
                f"images of shape '{(height, width, channels)}' do not fit the model "
                f"input shape '{shape}'; use a dataset with {shape[1:3]} images or "
                "a model for the dataset's image size"
            )
        x = to_channels(x, shape[3])
        if fmt == "int8":
            if io.input_dtype != "int8":
                raise ImageError(
                    f"image format 'int8' needs an int8 model input, but the model "
                    f"input is '{io.input_dtype}'; use image format uint8"
                )
            lut = preprocessing.input_lut(io.input_scale, io.input_zero_point, rng)
    if fmt == "rgb565":
        x = to_channels(x, 3)
    elif fmt == "1bpp":
        x = to_channels(x, 1)
    channels = int(x.shape[3])

    data = pack_images(x, fmt, threshold=threshold, input_lut=lut)
    per_image = bytes_per_image(height, width, channels, fmt)

    model_inputs: npt.NDArray[Any] | None = None
    golden: npt.NDArray[Any] | None = None
    if model is not None and io is not None:
        decoded = decode_packed(
            data, fmt, count=count, height=height, width=width, channels=channels
        )
        if fmt == "int8":
            model_inputs = decoded
        else:
            pixels = to_channels(decoded, io.input_shape[3])
            model_inputs = preprocessing.to_model_input(
                pixels, io.input_dtype, io.input_scale, io.input_zero_point, rng
            )
        from .verification import run_tflm

        golden = run_tflm(model, model_inputs) if count else None
    return PackedImages(
        name=name,
        fmt=fmt,
        count=count,
        height=int(height),
        width=int(width),
        channels=channels,
        bytes_per_image=per_image,
        data=data,
        labels=tuple(int(v) for v in y),
        class_names=names,
        model_inputs=model_inputs,
        golden=golden,
    )
