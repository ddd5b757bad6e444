# SPDX-License-Identifier: Apache-2.0
"""The firmware's serial protocol code (src/serial_link.cpp, src/serial_service.cpp)
built for the host with AddressSanitizer and UBSan, driven by the Python side
(platformio_tinyml.serial_protocol) and fuzzed with 10,000+ damaged frames.
"""

from __future__ import annotations

import random
import shutil
import struct
import subprocess
from dataclasses import dataclass
from pathlib import Path

import pytest

from platformio_tinyml.serial_protocol import (
    ErrorCode,
    Frame,
    FrameDecoder,
    MessageType,
    PixelFormat,
    encode_frame,
    encode_hello,
    encode_image,
    encode_strokes,
    parse_error,
    parse_info,
    parse_result,
)

REPO = Path(__file__).resolve().parents[1]
SOURCES = [
    REPO / "tests" / "host" / "serial_link_harness.cpp",
    *(
        REPO / "src" / name
        for name in (
            "serial_link.cpp",
            "serial_service.cpp",
            "drawn_digit.cpp",
            "image_input.cpp",
            "output.cpp",
        )
    ),
]
TIMEOUT_US = 500_000  # SerialLink::kDefaultTimeoutUs
FUZZ_CASES = 10_000

pytestmark = pytest.mark.compiler


@pytest.fixture(scope="module")
def harness(tmp_path_factory: pytest.TempPathFactory) -> Path:
    if shutil.which("g++") is None:
        pytest.skip("host g++ is not installed (apt-get install g++)")
    exe = tmp_path_factory.mktemp("serial-link") / "harness"
    cmd = ["g++", "-std=c++17", "-Wall", "-Wextra", "-Werror", "-O1", "-g"]
    cmd += ["-fsanitize=address,undefined", "-fno-sanitize-recover=all"]
    proc = subprocess.run(
        [*cmd, f"-I{REPO / 'include'}", *map(str, SOURCES), "-o", str(exe)],
        capture_output=True,
        text=True,
        check=False,
    )
    assert proc.returncode == 0, proc.stderr
    return exe


@dataclass(frozen=True)
class Step:
    feed: bytes = b""
    wait_us: int = 0


def run_script(exe: Path, steps: list[Step]) -> list[list[Frame]]:
    """Run the harness; the frames the device sent during each step."""
    records = bytearray()
    for step in steps:
        if step.wait_us:
            records += struct.pack("<BII", 1, 4, step.wait_us)
        else:
            records += struct.pack("<BI", 0, len(step.feed)) + step.feed
    proc = subprocess.run(
        [str(exe)], input=bytes(records), capture_output=True, timeout=600
    )
    assert proc.returncode == 0, proc.stderr.decode(errors="replace")[-3000:]
    out, at, replies = proc.stdout, 0, []
    decoder = FrameDecoder()
    while at < len(out):
        (n,) = struct.unpack_from("<I", out, at)
        replies.append(decoder.feed(out[at + 4 : at + 4 + n]))
        at += 4 + n
    assert len(replies) == len(steps)
    assert decoder.bad_frames == 0 and not decoder.noise
    return replies


def arithmetic_raw(pixels: bytes) -> tuple[int, ...]:
    """The harness's stand-in model: raw[i] = (sum + 37 i) mod 256 as int8."""
    total = sum(pixels)
    return tuple(
        ((total + 37 * i) & 0xFF) - 256 * (((total + 37 * i) & 0xFF) > 127)
        for i in range(10)
    )


def image_frame(rng: random.Random) -> tuple[bytes, bytes]:
    pixels = rng.randbytes(784)
    frame = encode_image(
        pixels, height=28, width=28, channels=1, pixel_format=PixelFormat.INT8
    )
    return frame, pixels


def assert_served(frames: list[Frame], pixels: bytes) -> None:
    assert [f.type for f in frames] == [MessageType.RESULT], frames
    result = parse_result(frames[0].payload)
    assert result.raw == arithmetic_raw(pixels)
    assert result.label == max(range(10), key=lambda i: (result.raw[i], -i))
    assert result.latency_us == 42 and result.image == b""


def test_hello_reports_the_model_input(harness: Path) -> None:
    (frames,) = run_script(harness, [Step(encode_hello())])
    assert [f.type for f in frames] == [MessageType.INFO]
    info = parse_info(frames[0].payload)
    assert (info.rows, info.cols, info.channels) == (28, 28, 1)
    assert info.input_zero_point == -128 and info.category_count == 10
    assert info.max_payload == 4096


def test_image_request_split_across_reads_and_text_noise(harness: Path) -> None:
    frame, pixels = image_frame(random.Random(1))
    steps = [Step(b"TINYML hello\r\n" + frame[:5]), Step(frame[5:] + b"\xa5")]
    first, second = run_script(harness, steps)
    assert first == []
    assert_served(second, pixels)


@pytest.mark.parametrize(
    ("mutate", "code"),
    [
        (lambda f: f[:-1] + bytes([f[-1] ^ 1]), ErrorCode.BAD_CRC),
        (lambda f: f[:2] + b"\x07" + f[3:], ErrorCode.BAD_VERSION),
        (lambda f: f[:3] + b"\x42" + f[4:], ErrorCode.UNKNOWN_TYPE),
        (lambda f: f[:4] + struct.pack("<H", 4097) + f[6:], ErrorCode.TOO_LARGE),
    ],
)
def test_damaged_frame_gets_an_error_then_the_next_frame_is_served(
    harness: Path, mutate: object, code: ErrorCode
) -> None:
    frame, pixels = image_frame(random.Random(2))
    assert callable(mutate)
    (frames,) = run_script(harness, [Step(mutate(frame) + frame)])
    assert frames[0].type == MessageType.ERROR
    assert parse_error(frames[0].payload).code == code
    # Resynchronized on the next magic: the good frame right behind is served.
    assert_served(frames[-1:], pixels)


def test_partial_frame_times_out_and_is_dropped(harness: Path) -> None:
    frame, pixels = image_frame(random.Random(3))
    steps = [
        Step(frame[:300]),
        Step(wait_us=TIMEOUT_US // 2),
        Step(wait_us=TIMEOUT_US),
        Step(frame),
    ]
    partial, early, late, served = run_script(harness, steps)
    assert partial == [] and early == []
    assert [parse_error(f.payload).code for f in late] == [ErrorCode.TIMEOUT]
    assert_served(served, pixels)


def test_frame_swallowed_by_a_partial_one_is_served_after_the_timeout(
    harness: Path,
) -> None:
    frame, pixels = image_frame(random.Random(5))
    header = b"\xa5\x5a" + struct.pack("<BBH", 1, 2, 4000)  # waits for 4000 bytes
    before, after = run_script(
        harness, [Step(header + frame), Step(wait_us=TIMEOUT_US + 1)]
    )
    assert before == []
    assert parse_error(after[0].payload).code == ErrorCode.TIMEOUT
    assert_served(after[1:], pixels)


@pytest.mark.parametrize(
    ("payload", "code"),
    [
        (struct.pack("<BHHB", 2, 28, 27, 1) + bytes(756), ErrorCode.BAD_SHAPE),
        (struct.pack("<BHHB", 1, 28, 28, 3) + bytes(2352), ErrorCode.BAD_SHAPE),
        (struct.pack("<BHHB", 2, 28, 28, 1) + bytes(783), ErrorCode.MALFORMED),
        (struct.pack("<BHHB", 9, 28, 28, 1) + bytes(784), ErrorCode.MALFORMED),
        (b"\x02\x1c", ErrorCode.MALFORMED),
    ],
)
def test_wrong_image_requests_are_rejected(
    harness: Path, payload: bytes, code: ErrorCode
) -> None:
    (frames,) = run_script(harness, [Step(encode_frame(MessageType.IMAGE, payload))])
    assert [parse_error(f.payload).code for f in frames] == [code]


def test_gray_1bpp_and_uint8_requests_are_served(harness: Path) -> None:
    rng = random.Random(4)
    packed, gray = rng.randbytes(112), rng.randbytes(784)
    steps = [
        Step(encode_image(packed, height=28, width=28, channels=1, pixel_format=0)),
        Step(encode_image(gray, height=28, width=28, channels=1, pixel_format=1)),
    ]
    for frames, pixels in zip(run_script(harness, steps), (packed, gray), strict=True):
        assert_served(frames, pixels)


def test_strokes_outside_the_area_are_rejected(harness: Path) -> None:
    bad = encode_strokes(100, 100, [[(10, 10), (100, 50)]])
    empty = encode_frame(MessageType.STROKES, struct.pack("<HHB", 100, 100, 0))
    frames = run_script(harness, [Step(bad), Step(empty)])
    assert [parse_error(f[0].payload).code for f in frames] == [ErrorCode.MALFORMED] * 2


def _fuzz_case(rng: random.Random) -> tuple[str, bytes]:
    """One damaged input of a random kind."""
    kind = rng.choice(
        [
            "random",
            "bad_crc",
            "truncated",
            "huge_length",
            "wrong_dims",
            "garbage_payload",
        ]
    )
    frame, _ = image_frame(rng)
    if kind == "random":
        data = rng.randbytes(rng.randrange(1, 400))
        if rng.random() < 0.5:  # make a header likely
            data = b"\xa5\x5a" + data
    elif kind == "bad_crc":
        data = bytearray(frame)
        data[rng.randrange(2, len(data))] ^= 1 << rng.randrange(8)
        data = bytes(data)
    elif kind == "truncated":
        data = frame[: rng.randrange(1, len(frame))]
    elif kind == "huge_length":
        head = struct.pack("<BBH", 1, rng.choice([1, 2, 3]), rng.randrange(4097, 65536))
        data = b"\xa5\x5a" + head + rng.randbytes(50)
    elif kind == "wrong_dims":
        fmt, c = rng.choice([(0, 1), (1, 1), (1, 3), (2, 1), (2, 3), (3, 3)])
        h, w = rng.randrange(1, 40), rng.randrange(1, 40)
        size = {0: (w + 7) // 8 * h, 3: w * h * 2}.get(fmt, w * h * c)
        if rng.random() < 0.3:  # and a pixel count that does not match
            size += rng.choice([-1, 1])
        head = struct.pack("<BHHB", fmt, h, w, c)
        data = encode_frame(MessageType.IMAGE, head + rng.randbytes(max(0, size)))
    else:
        msg = rng.choice([MessageType.HELLO, MessageType.IMAGE, MessageType.STROKES])
        body = rng.randbytes(rng.randrange(0, 600))
        data = encode_frame(msg, body)
    return kind, data


def test_fuzzed_frames_never_stop_the_device(harness: Path) -> None:
    rng = random.Random(20261201)
    steps: list[Step] = []
    expected: list[bytes] = []
    kinds: dict[str, int] = {}
    for _ in range(FUZZ_CASES):
        kind, data = _fuzz_case(rng)
        kinds[kind] = kinds.get(kind, 0) + 1
        frame, pixels = image_frame(rng)
        # The host waits out a partial frame, sends its request, and waits again
        # if the request was swallowed by a frame found in the damaged bytes.
        wait = Step(wait_us=TIMEOUT_US + 1)
        steps += [Step(data), wait, Step(frame), wait]
        expected.append(pixels)
    replies = run_script(harness, steps)
    errors: dict[int, int] = {}
    for i, pixels in enumerate(expected):
        frames = [f for step in replies[4 * i : 4 * i + 4] for f in step]
        for frame in frames:
            if frame.type == MessageType.ERROR:
                code = parse_error(frame.payload).code
                errors[code] = errors.get(code, 0) + 1
        results = [f for f in frames if f.type != MessageType.ERROR]
        assert_served(results, pixels)
        # Nothing is left pending for the next case.
        assert replies[4 * i + 3] == [] or replies[4 * i + 2] == []
    assert min(kinds.values()) > FUZZ_CASES // 10
    # Every kind of rejection was exercised.
    assert set(errors) >= {int(c) for c in ErrorCode if c != ErrorCode.MODEL_FAILED}
