# SPDX-License-Identifier: Apache-2.0
"""``tinyml classify``: your own images (or drawn digits) classified on the device.

The host asks the device for its model's input (hello), prepares each image exactly
as the device's model expects (:func:`prepare_image`), sends it over the serial
inference protocol (:mod:`.serial_protocol`) and reads back the label, all scores and
the latency. ``--port`` takes anything pyserial opens (``/dev/ttyACM0``, ``COM3``,
``socket://host:port``); ``--qemu`` starts the emulated Cortex-M7 with its UART0 on
a local TCP socket. ``--compare`` runs the host TFLM interpreter on the same bytes.
"""

from __future__ import annotations

import argparse
import json
import shutil
import socket
import struct
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np
import numpy.typing as npt

from .errors import DependencyError, ImageError, TinyMLError
from .serial_protocol import (
    ClassifyResult,
    FrameDecoder,
    MessageType,
    ModelInfo,
    PixelFormat,
    TensorType,
    encode_hello,
    encode_image,
    encode_strokes,
    parse_error,
    parse_info,
    parse_result,
)

__all__ = [
    "DeviceClient",
    "PreparedImage",
    "SerialLinkError",
    "classify_files",
    "model_from_elf",
    "open_port",
    "prepare_image",
    "qemu_device",
]

_IMAGE_SUFFIXES = {".png", ".jpg", ".jpeg", ".bmp", ".gif", ".tif", ".tiff", ".npy"}


class SerialLinkError(TinyMLError):
    """The device did not answer, answered with an error, or the port is unusable."""


class Transport(Protocol):
    """A byte stream with a read timeout (pyserial ``Serial`` or a socket wrapper)."""

    def write(self, data: bytes) -> Any: ...

    def read(self, size: int) -> bytes: ...

    def close(self) -> None: ...


# --- Preparing input -----------------------------------------------------------------


@dataclass(frozen=True)
class PreparedImage:
    """What is sent for one image: the model input bytes in ``pixel_format``."""

    path: Path
    pixel_format: PixelFormat
    data: bytes
    model_input: npt.NDArray[Any]  # (1, H, W, C) in the model's input dtype


def prepare_image(path: Path, info: ModelInfo) -> PreparedImage:
    """Load ``path`` and map it to the input of the device's model.

    Images are read, cropped, resized and converted to gray or RGB by
    :func:`.images.load_image_files`, then quantized by
    :func:`.preprocessing.to_model_input` with the device's input scale and zero
    point: the same two calls that produce the build's test images and goldens.
    A ``.npy`` file holds uint8 pixels ``(H, W[, C])`` or, for an int8 model, the
    int8 model input itself.

    Raises:
        ImageError: unreadable file, or an array that does not fit the model.
    """
    from .images import load_image_files
    from .preprocessing import to_model_input

    path = Path(path)
    shape = (info.rows, info.cols, info.channels)
    if path.suffix.lower() == ".npy":
        try:
            array = np.load(path, allow_pickle=False)
        except (OSError, ValueError) as exc:
            raise ImageError(
                f"'{path}' is not a readable .npy array ({exc}); save it with np.save"
            ) from None
        if array.ndim == 2:
            array = array[..., None]
        if array.shape != shape or array.dtype not in (np.uint8, np.int8):
            raise ImageError(
                f"'{path}' holds {array.dtype} {array.shape}; the device's model "
                f"takes uint8 pixels or int8 input of shape {shape}"
            )
        if array.dtype == np.int8:
            if info.input_type != TensorType.INT8:
                raise ImageError(
                    f"'{path}' holds int8 input but the device's model takes "
                    f"{info.input_type.name.lower()}; save uint8 pixels instead"
                )
            pixels = None
            model_input = array[None]
        else:
            pixels = array.astype(np.uint8)[None]
    else:
        if path.suffix.lower() not in _IMAGE_SUFFIXES:
            raise ImageError(
                f"'{path}' is not an image; use PNG, JPEG, BMP or a .npy array"
            )
        pixels = load_image_files([path], size=shape[:2], channels=info.channels)
    if pixels is not None:
        dtype = {
            TensorType.INT8: "int8",
            TensorType.FLOAT32: "float32",
            TensorType.UINT8: "uint8",
        }[info.input_type]
        model_input = to_model_input(
            pixels, dtype, info.input_scale, info.input_zero_point
        )
    if info.input_type == TensorType.INT8:
        fmt, data = PixelFormat.INT8, np.asarray(model_input, np.int8).tobytes()
    else:
        # The device maps uint8 pixels itself (p / 255 for float models).
        assert pixels is not None
        fmt, data = PixelFormat.UINT8, pixels.tobytes()
    return PreparedImage(path, fmt, data, np.asarray(model_input))


# --- Talking to the device --------------------------------------------------------


class DeviceClient:
    """Requests and replies over a :class:`Transport`."""

    def __init__(self, transport: Transport, *, timeout: float = 10.0) -> None:
        self._transport = transport
        self._decoder = FrameDecoder()
        self._timeout = timeout

    def _reply(self, request: bytes, want: MessageType, timeout: float) -> bytes:
        self._transport.write(request)
        deadline = time.monotonic() + timeout
        while time.monotonic() < deadline:
            for frame in self._decoder.feed(self._transport.read(4096)):
                if frame.type == want:
                    return frame.payload
                if frame.type == MessageType.ERROR:
                    error = parse_error(frame.payload)
                    raise SerialLinkError(
                        f"the device rejected the request: {error.name} "
                        f"({error.message}); check the image and the firmware"
                    )
        raise SerialLinkError(
            f"no reply from the device within {timeout:.0f} s; check the port, the "
            "baud rate and that the firmware serves the protocol (qemu_serve env)"
        )

    def hello(self, attempts: int = 5) -> ModelInfo:
        """The device's model input/output; retried while the device boots."""
        last: SerialLinkError | None = None
        for _ in range(attempts):
            try:
                return parse_info(
                    self._reply(encode_hello(), MessageType.INFO, self._timeout / 4)
                )
            except SerialLinkError as exc:
                last = exc
        assert last is not None
        raise last

    def classify(self, image: PreparedImage, info: ModelInfo) -> ClassifyResult:
        request = encode_image(
            image.data,
            height=info.rows,
            width=info.cols,
            channels=info.channels,
            pixel_format=image.pixel_format,
        )
        return parse_result(self._reply(request, MessageType.RESULT, self._timeout))

    def classify_strokes(
        self, width: int, height: int, strokes: Sequence[Sequence[tuple[int, int]]]
    ) -> ClassifyResult:
        request = encode_strokes(width, height, strokes)
        return parse_result(self._reply(request, MessageType.RESULT, self._timeout))


def open_port(url: str, baud: int) -> Transport:
    """Open a serial port or any pyserial URL (``socket://host:port``)."""
    try:
        import serial
    except ImportError:
        raise DependencyError(
            "pyserial is not installed; install it with: "
            "pip install 'platformio-tinyml[serial]'"
        ) from None
    try:
        port: Transport = serial.serial_for_url(url, baudrate=baud, timeout=0.05)
    except (serial.SerialException, ValueError) as exc:
        raise SerialLinkError(
            f"cannot open port '{url}' ({exc}); check --port (e.g. /dev/ttyACM0, "
            "COM3, socket://127.0.0.1:4000)"
        ) from None
    return port


class _SocketTransport:
    def __init__(self, sock: socket.socket) -> None:
        self._sock = sock
        sock.settimeout(0.05)

    def write(self, data: bytes) -> None:
        self._sock.sendall(data)

    def read(self, size: int) -> bytes:
        try:
            data = self._sock.recv(size)
        except TimeoutError:
            return b""
        if not data:
            raise SerialLinkError(
                "the emulated device closed its UART (the firmware exited); build "
                "the qemu_serve env, whose firmware keeps serving"
            )
        return data

    def close(self) -> None:
        self._sock.close()


@contextmanager
def qemu_device(
    elf: Path, *, lcd_png: Path | None = None, timeout: float = 30.0
) -> Iterator[Transport]:
    """Run ``elf`` in QEMU mps2-an500 with UART0 on a 127.0.0.1 socket.

    Files the firmware writes through semihosting (the emulated LCD) land in a
    temporary directory; with ``lcd_png`` the last LCD frame is saved as PNG.
    """
    from .qemu import QEMU, qemu_command

    elf = Path(elf).resolve()
    if not elf.is_file():
        raise SerialLinkError(
            f"firmware '{elf}' does not exist; build it with "
            "'pio run -e qemu_serve' first"
        )
    if shutil.which(QEMU) is None:
        raise DependencyError(
            f"'{QEMU}' is not on PATH; install it with: apt-get install {QEMU}"
        )
    with (
        tempfile.TemporaryDirectory(prefix="tinyml-qemu-") as workdir,
        socket.socket(socket.AF_INET, socket.SOCK_STREAM) as server,
    ):
        server.bind(("127.0.0.1", 0))
        server.listen(1)
        server.settimeout(timeout)
        port = server.getsockname()[1]
        cmd = qemu_command(elf, serial=f"tcp:127.0.0.1:{port}")
        proc = subprocess.Popen(
            cmd,
            cwd=workdir,
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
        )
        try:
            try:
                conn, _ = server.accept()
            except TimeoutError:
                raise SerialLinkError(
                    f"QEMU did not connect its UART within {timeout:.0f} s; run "
                    f"'{' '.join(cmd)}' by hand to see why"
                ) from None
            transport = _SocketTransport(conn)
            try:
                yield transport
            finally:
                transport.close()
        finally:
            proc.terminate()
            try:
                proc.wait(timeout=10)
            except subprocess.TimeoutExpired:
                proc.kill()
                proc.wait()
            if proc.stderr is not None:
                proc.stderr.close()
        dump = Path(workdir) / "tinyml_framebuffer.bin"
        if lcd_png is not None:
            if not dump.is_file():
                raise SerialLinkError(
                    f"firmware '{elf}' wrote no LCD frame; build it with the "
                    "emulated display (the qemu_serve env)"
                )
            try:  # developer tooling: in a source checkout, not in the wheel
                from devtools.framebuffer import framebuffer_to_png
            except ImportError:
                raise DependencyError(
                    "--lcd converts the LCD dump with the checkout's devtools; run "
                    "from a platformio-tinyml source checkout"
                ) from None
            framebuffer_to_png(dump, Path(lcd_png))


# --- The model inside the firmware (for --compare) -----------------------------------


def model_from_elf(elf: Path) -> bytes:
    """The ``.tflite`` bytes linked into a firmware ELF (``g_<stem>_model_data``)."""
    data = Path(elf).read_bytes()
    if data[:4] != b"\x7fELF" or data[4] != 1 or data[5] != 1:
        raise SerialLinkError(
            f"'{elf}' is not a 32-bit little-endian ELF; pass the firmware.elf"
        )
    (shoff,) = struct.unpack_from("<I", data, 0x20)
    shentsize, shnum = struct.unpack_from("<HH", data, 0x2E)
    sections = [
        struct.unpack_from("<10I", data, shoff + i * shentsize) for i in range(shnum)
    ]
    for sec in sections:
        if sec[1] != 2:  # SHT_SYMTAB
            continue
        strtab = sections[sec[6]]
        for at in range(sec[4], sec[4] + sec[5], 16):
            name_off, value, size, _info, _other, shndx = struct.unpack_from(
                "<IIIBBH", data, at
            )
            start = strtab[4] + name_off
            name = data[start : data.index(b"\0", start)].decode(errors="replace")
            if not (name.startswith("g_") and name.endswith("_model_data")) or not size:
                continue
            owner = sections[shndx]
            offset = owner[4] + value - owner[3]
            model = data[offset : offset + size]
            if model[4:8] == b"TFL3":
                return model
    raise SerialLinkError(
        f"no g_<name>_model_data model in '{elf}' (a firmware that runs the "
        "compiled model holds no flatbuffer); pass --model with the .tflite"
    )


# --- The command --------------------------------------------------------------------


def _host_outputs(model: bytes, images: Sequence[PreparedImage]) -> npt.NDArray[Any]:
    from .verification import run_tflm

    return run_tflm(model, np.concatenate([im.model_input for im in images]))


def _device_raw(result: ClassifyResult, info: ModelInfo) -> npt.NDArray[Any]:
    if info.output_type == TensorType.INT8:
        return np.asarray(result.raw, dtype=np.int8)
    return np.asarray(result.scores, dtype=np.float32)


def classify_files(
    client: DeviceClient, paths: Sequence[Path]
) -> tuple[ModelInfo, list[PreparedImage], list[ClassifyResult]]:
    """Prepare and classify each file on the device."""
    info = client.hello()
    images = [prepare_image(p, info) for p in paths]
    return info, images, [client.classify(im, info) for im in images]


def _run(args: argparse.Namespace, transport: Transport) -> int:
    from .drawn_digits import load_strokes

    client = DeviceClient(transport, timeout=args.timeout)
    out: list[dict[str, Any]] = []
    mismatches = 0
    if args.images:
        info, images, results = classify_files(client, [Path(p) for p in args.images])
        host = None
        if args.compare:
            model = (
                Path(args.model).read_bytes()
                if args.model
                else model_from_elf(Path(args.qemu))
                if args.qemu
                else None
            )
            if model is None:
                raise SerialLinkError(
                    "--compare needs the model: pass --model FILE.tflite"
                )
            host = _host_outputs(model, images)
        for i, (image, result) in enumerate(zip(images, results, strict=True)):
            row: dict[str, Any] = {
                "image": str(image.path),
                "label": result.label,
                "score": round(result.score, 6),
                "latency_us": result.latency_us,
            }
            if host is not None:
                same = bool(np.array_equal(host[i], _device_raw(result, info)))
                row["host_label"] = int(np.argmax(host[i]))
                row["bit_exact"] = same
                mismatches += not same
            if args.json:
                row["raw"] = list(result.raw)
                row["scores"] = [float(s) for s in result.scores]
            out.append(row)
    for strokes_path in args.strokes or []:
        (width, height), strokes = load_strokes(Path(strokes_path))
        result = client.classify_strokes(width, height, strokes)
        row = {
            "strokes": str(strokes_path),
            "label": result.label,
            "score": round(result.score, 6),
            "latency_us": result.latency_us,
        }
        if args.json:
            row["raw"] = list(result.raw)
            row["scores"] = [float(s) for s in result.scores]
            row["digit"] = result.image.hex()
        out.append(row)
    for row in out:
        if args.json:
            print(json.dumps(row))
        else:
            line = (
                f"{row.get('image', row.get('strokes'))}: label={row['label']} "
                f"score={row['score']:.2f} us={row['latency_us']}"
            )
            if "bit_exact" in row:
                line += (
                    " host: bit-exact"
                    if row["bit_exact"]
                    else f" host: DIFFERS (host label {row['host_label']})"
                )
            print(line)
    if args.compare and args.images:
        n = len(args.images)
        print(
            f"compare: {n - mismatches} of {n} images bit-exact with the host TFLM",
            file=sys.stderr,
        )
    return 1 if mismatches else 0


def _cmd_classify(args: argparse.Namespace) -> int:
    if not args.images and not args.strokes:
        raise SerialLinkError("nothing to classify; pass IMAGE files or --strokes")
    if args.qemu:
        with qemu_device(
            Path(args.qemu), lcd_png=Path(args.lcd) if args.lcd else None
        ) as transport:
            return _run(args, transport)
    if args.lcd:
        raise SerialLinkError("--lcd works with --qemu only; drop --lcd")
    transport = open_port(args.port, args.baud)
    try:
        return _run(args, transport)
    finally:
        transport.close()
