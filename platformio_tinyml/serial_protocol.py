# SPDX-License-Identifier: Apache-2.0
"""The serial inference protocol, host side: framing, CRC, requests and replies.

Pure functions and frozen dataclasses; the firmware side is ``tinyml::SerialLink``
(``include/tinyml/serial_link.h``), which documents the byte layout::

    A5 5A | version | type | length (u16 LE) | payload | CRC-16/CCITT-FALSE (u16 LE)

The CRC covers version, type, length and payload.
"""

from __future__ import annotations

import enum
import struct
from collections.abc import Sequence
from dataclasses import dataclass

__all__ = [
    "MAGIC",
    "MAX_FRAME_PAYLOAD",
    "VERSION",
    "ClassifyResult",
    "DeviceError",
    "ErrorCode",
    "Frame",
    "FrameDecoder",
    "MessageType",
    "ModelInfo",
    "ProtocolError",
    "PixelFormat",
    "TensorType",
    "crc16_ccitt",
    "encode_frame",
    "encode_hello",
    "encode_image",
    "encode_strokes",
    "parse_error",
    "parse_info",
    "parse_result",
]

MAGIC = b"\xa5\x5a"
VERSION = 1
MAX_FRAME_PAYLOAD = 0xFFFF
_HEADER = struct.Struct("<2sBBH")


class MessageType(enum.IntEnum):
    HELLO = 0x01
    IMAGE = 0x02
    STROKES = 0x03
    INFO = 0x81
    RESULT = 0x82
    ERROR = 0xFF


class ErrorCode(enum.IntEnum):
    BAD_CRC = 1
    BAD_VERSION = 2
    UNKNOWN_TYPE = 3
    TOO_LARGE = 4
    TIMEOUT = 5
    MALFORMED = 6
    BAD_SHAPE = 7
    MODEL_FAILED = 8


class PixelFormat(enum.IntEnum):
    """``tinyml::PixelFormat``."""

    GRAY1BPP = 0
    UINT8 = 1
    INT8 = 2
    RGB565 = 3


class TensorType(enum.IntEnum):
    """``tinyml::TensorType``."""

    FLOAT32 = 0
    INT8 = 1
    UINT8 = 2


class ProtocolError(ValueError):
    """A payload does not parse as the message it claims to be."""


def crc16_ccitt(data: bytes, crc: int = 0xFFFF) -> int:
    """CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF, no reflection, no xor-out)."""
    for byte in data:
        crc ^= byte << 8
        for _ in range(8):
            crc = ((crc << 1) ^ 0x1021) if crc & 0x8000 else (crc << 1)
            crc &= 0xFFFF
    return crc


def encode_frame(
    msg_type: int, payload: bytes = b"", *, version: int = VERSION
) -> bytes:
    """One complete frame around ``payload``."""
    if len(payload) > MAX_FRAME_PAYLOAD:
        raise ProtocolError(f"payload of {len(payload)} bytes exceeds 65535")
    head = struct.pack("<BBH", version, msg_type, len(payload))
    crc = crc16_ccitt(head + payload)
    return MAGIC + head + payload + struct.pack("<H", crc)


@dataclass(frozen=True)
class Frame:
    """A received frame with a good CRC."""

    type: int
    payload: bytes
    version: int = VERSION


class FrameDecoder:
    """Finds frames in a byte stream, skipping text and damaged frames.

    Bytes outside frames are kept in :attr:`noise` (the device's text lines). After
    a bad CRC the search restarts right after the rejected frame's magic.
    """

    def __init__(self, max_payload: int = MAX_FRAME_PAYLOAD) -> None:
        self._buffer = bytearray()
        self._max_payload = max_payload
        self.noise = bytearray()
        self.bad_frames = 0

    def feed(self, data: bytes) -> list[Frame]:
        """Add received bytes; return the frames they complete."""
        self._buffer += data
        frames: list[Frame] = []
        while True:
            start = self._buffer.find(MAGIC)
            if start < 0:
                keep = 1 if self._buffer.endswith(MAGIC[:1]) else 0
                cut = len(self._buffer) - keep
                self.noise += self._buffer[:cut]
                del self._buffer[:cut]
                return frames
            self.noise += self._buffer[:start]
            del self._buffer[:start]
            if len(self._buffer) < _HEADER.size:
                return frames
            _, version, msg_type, length = _HEADER.unpack_from(self._buffer)
            if length > self._max_payload:
                self.bad_frames += 1
                del self._buffer[:1]
                continue
            total = _HEADER.size + length + 2
            if len(self._buffer) < total:
                return frames
            body = bytes(self._buffer[2 : _HEADER.size + length])
            (crc,) = struct.unpack_from("<H", self._buffer, _HEADER.size + length)
            if crc16_ccitt(body) != crc:
                self.bad_frames += 1
                del self._buffer[:1]
                continue
            frames.append(Frame(msg_type, body[4:], version))
            del self._buffer[:total]


def encode_hello() -> bytes:
    """A hello request frame (the device replies with :class:`ModelInfo`)."""
    return encode_frame(MessageType.HELLO)


def encode_image(
    pixels: bytes, *, height: int, width: int, channels: int, pixel_format: int
) -> bytes:
    """An image request frame: packed pixels of ``pixel_format`` (see images.py)."""
    head = struct.pack("<BHHB", pixel_format, height, width, channels)
    return encode_frame(MessageType.IMAGE, head + bytes(pixels))


def encode_strokes(
    width: int, height: int, strokes: Sequence[Sequence[tuple[int, int]]]
) -> bytes:
    """A strokes request frame: the drawing area and its strokes' points."""
    parts = [struct.pack("<HHB", width, height, len(strokes))]
    for stroke in strokes:
        parts.append(struct.pack("<H", len(stroke)))
        parts.extend(struct.pack("<HH", x, y) for x, y in stroke)
    return encode_frame(MessageType.STROKES, b"".join(parts))


@dataclass(frozen=True)
class ModelInfo:
    """The device model's input and output (reply to hello)."""

    version: int
    input_type: TensorType
    rows: int
    cols: int
    channels: int
    input_scale: float
    input_zero_point: int
    output_type: TensorType
    category_count: int
    output_scale: float
    output_zero_point: int
    max_payload: int


_INFO = struct.Struct("<BBHHBfiBHfiH")


def parse_info(payload: bytes) -> ModelInfo:
    """Decode an info reply."""
    if len(payload) != _INFO.size:
        raise ProtocolError(f"info reply is {len(payload)} bytes, not {_INFO.size}")
    v = _INFO.unpack(payload)
    return ModelInfo(
        version=v[0],
        input_type=TensorType(v[1]),
        rows=v[2],
        cols=v[3],
        channels=v[4],
        input_scale=v[5],
        input_zero_point=v[6],
        output_type=TensorType(v[7]),
        category_count=v[8],
        output_scale=v[9],
        output_zero_point=v[10],
        max_payload=v[11],
    )


@dataclass(frozen=True)
class ClassifyResult:
    """One classification as the device reports it."""

    label: int
    score: float
    latency_us: int
    raw: tuple[int, ...]  # int8 outputs (zeros for a float model)
    scores: tuple[float, ...]  # dequantized, float32 as on the device
    image: bytes  # the model-input image the device prepared (drawn digits)


def parse_result(payload: bytes) -> ClassifyResult:
    """Decode a result reply."""
    try:
        label, score, latency, count = struct.unpack_from("<hfIH", payload)
        at = 12
        raw = struct.unpack_from(f"<{count}b", payload, at)
        at += count
        scores = struct.unpack_from(f"<{count}f", payload, at)
        at += 4 * count
        (image_bytes,) = struct.unpack_from("<H", payload, at)
        at += 2
    except struct.error as exc:
        raise ProtocolError(f"result reply is truncated ({exc})") from exc
    image = payload[at : at + image_bytes]
    if len(image) != image_bytes or at + image_bytes != len(payload):
        raise ProtocolError("result reply has a wrong image length")
    return ClassifyResult(label, score, latency, raw, scores, bytes(image))


@dataclass(frozen=True)
class DeviceError:
    """An error reply: what the device rejected and why."""

    code: int
    message: str

    @property
    def name(self) -> str:
        try:
            return ErrorCode(self.code).name.lower()
        except ValueError:
            return f"error_{self.code}"


def parse_error(payload: bytes) -> DeviceError:
    """Decode an error reply."""
    if len(payload) < 2 or len(payload) != 2 + payload[1]:
        raise ProtocolError("error reply has a wrong message length")
    return DeviceError(payload[0], payload[2:].decode("ascii", "replace"))
