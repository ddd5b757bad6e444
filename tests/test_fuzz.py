# SPDX-License-Identifier: Apache-2.0
"""Fuzzing with hypothesis: arbitrary input may only ever raise a ``TinyMLError``.

Targets: the ``.tflite`` reader (``model_info.read_model``) and
``inspection.inspect_model``; the image packer and decoder (``pack_images``,
``decode_packed``, ``unpack_1bpp``) and ``load_image_files`` on mutated PNG/JPEG bytes;
the option parsers (``parse_options``, ``config_from_pio``, ``load_config_file``).

Profiles: ``ci`` (default) is derandomized with a few hundred examples per target and
no example database, so runs are reproducible and no ``.hypothesis`` folder appears;
``long`` (the ``slow`` tests, ``pytest -m slow tests/test_fuzz.py``) runs more than
100,000 cases in total. Select one with ``TINYML_FUZZ_PROFILE``.
"""

from __future__ import annotations

import io
import os
import subprocess
import sys
import tempfile
import textwrap
from pathlib import Path

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra import numpy as hnp

from platformio_tinyml.config import (
    OPTIONS,
    PIO_PREFIX,
    config_from_pio,
    load_config_file,
    parse_options,
)
from platformio_tinyml.errors import TinyMLError
from platformio_tinyml.images import (
    IMAGE_FORMATS,
    bytes_per_image,
    decode_packed,
    load_image_files,
    pack_images,
    unpack_1bpp,
)
from platformio_tinyml.model_info import read_model

REPO = Path(__file__).resolve().parent.parent
MODELS = tuple(
    (REPO / "tests" / "data" / name).read_bytes()
    for name in ("tiny_cnn_int8.tflite", "tiny_dense_float.tflite")
)

# Hypothesis profiles ('ci' by default, 'long') are registered in conftest.py.

# The slow run: 8 targets x 15,000 examples = 120,000 cases.
LONG = settings(max_examples=15_000, derandomize=False, database=None)


# --- Strategies ---


@st.composite
def mutated_model(draw: st.DrawFn) -> bytes:
    """A tiny real model with bytes flipped, cut, inserted or overwritten."""
    data = bytearray(draw(st.sampled_from(MODELS)))
    for _ in range(draw(st.integers(1, 6))):
        kind = draw(st.sampled_from(["flip", "set", "cut", "insert", "u32"]))
        pos = draw(st.integers(0, len(data) - 1)) if data else 0
        if kind == "flip" and data:
            data[pos] ^= 1 << draw(st.integers(0, 7))
        elif kind == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == "cut":
            data = data[: draw(st.integers(0, len(data)))]
        elif kind == "insert":
            data[pos:pos] = draw(st.binary(min_size=1, max_size=8))
        elif kind == "u32" and len(data) >= pos + 4:
            value = draw(st.sampled_from([0, 1, 0x7FFFFFFF, 0xFFFFFFFF, len(data)]))
            data[pos : pos + 4] = value.to_bytes(4, "little")
    return bytes(data)


any_model_bytes = st.one_of(
    mutated_model(),
    st.binary(max_size=256),
    st.binary(max_size=252).map(lambda b: b[:4] + b"TFL3" + b[4:]),
)


def _image_bytes(mode: str, fmt: str) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    rng = np.random.default_rng(0)
    shape = (6, 7) if mode == "L" else (6, 7, 3)
    Image.fromarray(rng.integers(0, 256, shape, dtype=np.uint8), mode).save(buf, fmt)
    return buf.getvalue()


IMAGES = tuple(
    _image_bytes(mode, fmt) for mode in ("L", "RGB") for fmt in ("PNG", "JPEG")
)


@st.composite
def mutated_image(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(IMAGES)))
    for _ in range(draw(st.integers(1, 4))):
        kind = draw(st.sampled_from(["set", "cut", "insert"]))
        pos = draw(st.integers(0, max(len(data) - 1, 0)))
        if kind == "set" and data:
            data[pos] = draw(st.integers(0, 255))
        elif kind == "cut":
            data = data[: draw(st.integers(0, len(data)))]
        else:
            data[pos:pos] = draw(st.binary(min_size=1, max_size=16))
    return bytes(data)


text_values = st.text(alphabet=st.characters(blacklist_categories=("Cs",)), max_size=40)
option_names = st.sampled_from([opt.name for opt in OPTIONS]) | st.text(max_size=20)
option_values = st.one_of(
    text_values,
    st.integers(-(2**70), 2**70).map(str),
    st.floats(allow_nan=True).map(str),
    st.sampled_from(["", " ", "0x", "1e5", "10%", "-1%", "qspi", ".x", "folder:"]),
)


# --- Targets ---


def _read_model(data: bytes) -> None:
    try:
        info = read_model(data, source="fuzz.tflite")
    except TinyMLError as exc:
        assert "\n" not in str(exc)
        return
    assert info.model_bytes == len(data)


def _decode(
    data: bytes, fmt: str, count: int, height: int, width: int, ch: int
) -> None:
    try:
        out = decode_packed(
            data, fmt, count=count, height=height, width=width, channels=ch
        )
    except TinyMLError:
        return
    assert out.shape[:3] == (count, height, width)


def _unpack(data: bytes, width: int, height: int, count: int) -> None:
    try:
        out = unpack_1bpp(data, width=width, height=height, count=count)
    except TinyMLError:
        return
    assert set(np.unique(out)) <= {0, 255}


def _roundtrip(x: np.ndarray, fmt: str, threshold: int) -> None:
    try:
        data = pack_images(x, fmt, threshold=threshold)
    except TinyMLError:
        return
    n, h, w, c = x.shape
    channels = 1 if fmt == "1bpp" else 3 if fmt == "rgb565" else c
    assert len(data) == n * bytes_per_image(h, w, c, fmt)
    decoded = decode_packed(data, fmt, count=n, height=h, width=w, channels=channels)
    if fmt == "uint8":
        assert np.array_equal(decoded, x)


def _load_image(data: bytes, size: tuple[int, int], channels: int) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "fuzz.png"
        path.write_bytes(data)
        try:
            out = load_image_files([path], size=size, channels=channels)
        except TinyMLError:
            return
    assert out.shape == (1, *size, channels)


def _parse(values: dict[str, str], pio: bool) -> None:
    try:
        if pio:
            config_from_pio({PIO_PREFIX + k: v for k, v in values.items()})
        else:
            parse_options(values, use_env=False)
    except TinyMLError as exc:
        assert "\n" not in str(exc)


def _config_file(text: str, env: str | None) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        path = Path(tmp) / "platformio.ini"
        path.write_text(text, encoding="utf-8")
        try:
            raw = load_config_file(path, env=env)
            parse_options(raw, use_env=False)
        except TinyMLError as exc:
            assert "\n" not in str(exc)


ini_text = st.lists(
    st.one_of(
        st.sampled_from(["[tinyml]", "[env]", "[env:a]", "[", "]", "=", ":", "%("]),
        st.builds(
            lambda k, v: f"{k} = {v}",
            st.sampled_from([o.name for o in OPTIONS] + ["custom_tinyml_model", "x"]),
            text_values.filter(lambda t: "\n" not in t and "\r" not in t),
        ),
        text_values,
    ),
    max_size=8,
).map("\n".join)

dims = st.integers(-2, 40)
formats = st.sampled_from(IMAGE_FORMATS) | st.text(max_size=6)
nhwc = hnp.arrays(
    dtype=st.sampled_from([np.uint8, np.uint8, np.int8, np.float32]),
    shape=hnp.array_shapes(min_dims=1, max_dims=5, min_side=0, max_side=9),
)


# --- Default run (profile "ci") ---


@given(any_model_bytes)
def test_read_model_raises_only_model_errors(data: bytes) -> None:
    _read_model(data)


@given(st.binary(max_size=600), formats, dims, dims, dims, st.integers(-1, 4))
def test_decode_packed_raises_only_tinyml_errors(
    data: bytes, fmt: str, count: int, height: int, width: int, ch: int
) -> None:
    _decode(data, fmt, count, height, width, ch)


@given(st.binary(max_size=300), dims, dims, dims)
def test_unpack_1bpp_raises_only_tinyml_errors(
    data: bytes, width: int, height: int, count: int
) -> None:
    _unpack(data, width, height, count)


@given(nhwc, formats, st.integers(-5, 300))
def test_pack_images_raises_only_tinyml_errors(
    x: np.ndarray, fmt: str, threshold: int
) -> None:
    _roundtrip(x, fmt, threshold)


@settings(max_examples=150)
@given(mutated_image(), st.tuples(st.integers(1, 12), st.integers(1, 12)))
def test_load_image_files_on_mutated_bytes(data: bytes, size: tuple[int, int]) -> None:
    _load_image(data, size, 1)
    _load_image(data, size, 3)


@given(st.dictionaries(option_names, option_values, max_size=6), st.booleans())
def test_option_parsers_raise_only_config_errors(
    values: dict[str, str], pio: bool
) -> None:
    _parse(values, pio)


@given(ini_text, st.sampled_from([None, "a", "b"]))
def test_load_config_file_raises_only_config_errors(text: str, env: str | None) -> None:
    _config_file(text, env)


# inspect_model runs the TFLM C++ interpreter, which can crash the whole process on a
# damaged flatbuffer; so the examples run in a child process and a crash is reported
# as the failure it is.
_INSPECT_CHILD = textwrap.dedent(
    """
    import sys, tempfile
    from pathlib import Path
    from hypothesis import given, settings
    sys.path.insert(0, sys.argv[1])
    import test_fuzz
    from platformio_tinyml.errors import TinyMLError
    from platformio_tinyml.inspection import inspect_model

    @settings(max_examples=int(sys.argv[2]), derandomize=True, database=None,
              deadline=None)
    @given(test_fuzz.mutated_model())
    def run(data):
        with tempfile.TemporaryDirectory() as tmp:
            path = Path(tmp) / "fuzz.tflite"
            path.write_bytes(data)
            try:
                inspect_model(path)
            except TinyMLError as exc:
                assert "\\n" not in str(exc)

    run()
    print("ok")
    """
)


def _inspect_in_child(examples: int) -> None:
    env = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"}
    proc = subprocess.run(
        [
            sys.executable,
            "-c",
            _INSPECT_CHILD,
            str(Path(__file__).parent),
            str(examples),
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=1800,
    )
    tail = "\n".join(proc.stderr.splitlines()[-25:])
    assert proc.returncode == 0, f"exit status {proc.returncode}:\n{tail}"
    assert proc.stdout.strip().endswith("ok")


@pytest.mark.tflm
def test_inspect_model_on_mutated_models_never_crashes() -> None:
    pytest.importorskip("tflite_micro", reason="inspect_model runs TFLM kernels")
    _inspect_in_child(60)


# --- Long run (profile-independent, >100k cases) -------------------------------------


@pytest.mark.slow
@LONG
@given(any_model_bytes)
def test_long_read_model(data: bytes) -> None:
    _read_model(data)


@pytest.mark.slow
@LONG
@given(st.binary(max_size=600), formats, dims, dims, dims, st.integers(-1, 4))
def test_long_decode_packed(
    data: bytes, fmt: str, count: int, height: int, width: int, ch: int
) -> None:
    _decode(data, fmt, count, height, width, ch)


@pytest.mark.slow
@LONG
@given(st.binary(max_size=300), dims, dims, dims)
def test_long_unpack_1bpp(data: bytes, width: int, height: int, count: int) -> None:
    _unpack(data, width, height, count)


@pytest.mark.slow
@LONG
@given(nhwc, formats, st.integers(-5, 300))
def test_long_pack_images(x: np.ndarray, fmt: str, threshold: int) -> None:
    _roundtrip(x, fmt, threshold)


@pytest.mark.slow
@LONG
@given(mutated_image(), st.tuples(st.integers(1, 12), st.integers(1, 12)))
def test_long_load_image_files(data: bytes, size: tuple[int, int]) -> None:
    _load_image(data, size, 3)


@pytest.mark.slow
@LONG
@given(st.dictionaries(option_names, option_values, max_size=6), st.booleans())
def test_long_option_parsers(values: dict[str, str], pio: bool) -> None:
    _parse(values, pio)


@pytest.mark.slow
@LONG
@given(ini_text, st.sampled_from([None, "a", "b"]))
def test_long_load_config_file(text: str, env: str | None) -> None:
    _config_file(text, env)


@pytest.mark.slow
@pytest.mark.tflm
def test_long_inspect_model() -> None:
    pytest.importorskip("tflite_micro", reason="inspect_model runs TFLM kernels")
    _inspect_in_child(2_000)  # each damaged model is probed in its own process
