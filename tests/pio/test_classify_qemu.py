# SPDX-License-Identifier: Apache-2.0
"""`tinyml classify --qemu` against the MNIST example's emulated twin (qemu_serve).

The example is copied and trained for one epoch, its ``qemu_serve`` firmware is
built by the real ``pio run``, and the host talks to it over QEMU's UART0 socket:
20 MNIST test PNGs come back bit for bit as the host TFLM computes them, damaged
frames never stop it, and recorded drawn digits are prepared byte for byte as the
Python twin does and mostly classified right.
"""

from __future__ import annotations

import json
import random
import re
import shutil
import socket
import struct
import subprocess
import time
from pathlib import Path
from types import ModuleType

import numpy as np
import pytest
from PIL import Image

from platformio_tinyml import cli
from platformio_tinyml.classify import (
    DeviceClient,
    prepare_image,
    qemu_device,
)
from platformio_tinyml.drawn_digits import load_strokes, prepare_drawn_digit
from platformio_tinyml.images import load_image_files
from platformio_tinyml.preprocessing import to_model_input
from platformio_tinyml.serial_protocol import (
    FrameDecoder,
    MessageType,
    encode_frame,
    encode_image,
    parse_result,
)

REPO = Path(__file__).resolve().parents[2]
STROKES = sorted((REPO / "tests" / "data" / "strokes").glob("*.json"))
FUZZ_FRAMES = 300
BUILD_TIMEOUT_S = 3600

pytestmark = [pytest.mark.pio, pytest.mark.qemu]


@pytest.fixture(scope="module")
def served(
    pio_env: dict[str, str],
    piotools: ModuleType,
    shared_datasets_dir: Path | None,
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[Path, Path]:
    """The built qemu_serve firmware and the model it embeds (.tflite)."""
    for tool in ("qemu-system-arm", "arm-none-eabi-g++"):
        if shutil.which(tool) is None:
            pytest.skip(f"'{tool}' is not installed (apt-get install it to run this)")
    pytest.importorskip("tflite_micro", reason="needs the [verify] extra")
    # The qemu envs run the compiled model (runtime = aot): no TFLM is needed.
    env = dict(pio_env)
    env.pop("TINYML_DATASETS_DIR", None)
    if shared_datasets_dir is not None:  # else the embedded 5,000-image subset
        env["TINYML_DATASETS_DIR"] = str(shared_datasets_dir)
    project = tmp_path_factory.mktemp("classify") / "mnist_disco_f746ng"
    shutil.copytree(
        REPO / "examples" / "mnist_disco_f746ng",
        project,
        ignore=shutil.ignore_patterns(".pio"),
    )
    ini = (project / "platformio.ini").read_text()
    ini = ini.replace("symlink://../../", f"symlink://{REPO}/")
    for key, value in (
        ("custom_tinyml_images", "12"),
        ("custom_tinyml_verify_samples", "200"),
    ):
        ini = piotools.set_ini_option(ini, key, value)
    (project / "platformio.ini").write_text(ini)
    # The build can take long on a loaded machine: wait longer than run_pio.
    proc = piotools.start_pio(env, project, "run", "-e", "qemu_serve")
    stdout, stderr = proc.communicate(timeout=BUILD_TIMEOUT_S)
    assert proc.returncode == 0, (stdout + stderr)[-4000:]
    # The example's zoo model: the shipped int8 file, or one the build trained.
    from platformio_tinyml.pretrained import find_pretrained, pretrained_path

    name = re.search(r"^custom_tinyml_model\s*=\s*(\S+)", ini, re.M)
    assert name is not None
    shipped = find_pretrained(name.group(1))
    models = sorted((project / ".pio" / "tinyml" / "cache").rglob("*.tflite"))
    int8 = [m for m in models if "int8" in m.name] or models
    if shipped is not None and shipped.file is not None:
        int8 = [pretrained_path(shipped, project / ".pio" / "tinyml" / "cache")]
    assert int8, "the build left no .tflite in its cache"
    return project / ".pio" / "build" / "qemu_serve" / "program.elf", int8[-1]


@pytest.fixture(scope="module")
def mnist_pngs(
    tmp_path_factory: pytest.TempPathFactory,
) -> tuple[list[Path], list[int]]:
    """20 MNIST test digits as PNG files, two per class."""
    from platformio_tinyml.datasets import load_dataset

    data = load_dataset("mnist")
    out = tmp_path_factory.mktemp("pngs")
    paths, labels = [], []
    for digit in range(10):
        for n, i in enumerate(np.flatnonzero(data.y_test == digit)[:2]):
            path = out / f"digit{digit}_{n}.png"
            Image.fromarray(data.x_test[i][..., 0]).save(path)
            paths.append(path)
            labels.append(digit)
    return paths, labels


def test_classify_20_pngs_bit_exact_with_host_golden(
    served: tuple[Path, Path],
    mnist_pngs: tuple[list[Path], list[int]],
    capsys: pytest.CaptureFixture[str],
) -> None:
    from platformio_tinyml.model_info import read_model
    from platformio_tinyml.verification import run_tflm

    elf, model_path = served
    paths, labels = mnist_pngs
    rc = cli.main(
        [
            "classify",
            "--qemu",
            str(elf),
            "--json",
            "--compare",
            "--model",
            str(model_path),
            *map(str, paths),
        ]
    )
    captured = capsys.readouterr()
    assert rc == 0, captured.err
    rows = [json.loads(line) for line in captured.out.splitlines()]
    assert [r["image"] for r in rows] == [str(p) for p in paths]
    assert all(r["bit_exact"] for r in rows)
    assert "compare: 20 of 20 images bit-exact with the host TFLM" in captured.err

    # The host golden, computed here independently of the classify module.
    model = model_path.read_bytes()
    info = read_model(model)
    tin, tout = info.inputs[0], info.outputs[0]
    pixels = load_image_files(paths, size=(28, 28), channels=1)
    golden = run_tflm(model, to_model_input(pixels, "int8", tin.scale, tin.zero_point))
    for row, expected in zip(rows, golden, strict=True):
        assert row["raw"] == expected.tolist()
        assert row["label"] == int(np.argmax(expected))
        scores = (expected.astype(np.float32) - np.float32(tout.zero_point)) * (
            np.float32(tout.scale)
        )
        assert np.array_equal(np.float32(row["scores"]), scores)
    correct = sum(r["label"] == y for r, y in zip(rows, labels, strict=True))
    assert correct >= 14, f"only {correct}/20 MNIST digits right"


def _fuzz(rng: random.Random, valid: bytes) -> bytes:
    kind = rng.randrange(5)
    if kind == 0:
        return rng.randbytes(rng.randrange(1, 200))
    if kind == 1:
        data = bytearray(valid)
        data[rng.randrange(2, len(data))] ^= 1 << rng.randrange(8)
        return bytes(data)
    if kind == 2:
        return valid[: rng.randrange(1, len(valid))]
    if kind == 3:
        head = struct.pack("<BBH", 1, 2, rng.randrange(4097, 65536))
        return b"\xa5\x5a" + head + rng.randbytes(20)
    h, w = rng.randrange(1, 40), rng.randrange(1, 40)
    return encode_frame(
        MessageType.IMAGE, struct.pack("<BHHB", 2, h, w, 1) + rng.randbytes(h * w)
    )


def test_fuzzed_frames_then_valid_requests_still_work(
    served: tuple[Path, Path], mnist_pngs: tuple[list[Path], list[int]]
) -> None:
    elf, _ = served
    rng = random.Random(14)
    with qemu_device(elf) as port:
        client = DeviceClient(port, timeout=20)
        info = client.hello()
        image = prepare_image(mnist_pngs[0][0], info)
        expected = client.classify(image, info)
        valid = encode_image(
            image.data, height=28, width=28, channels=1, pixel_format=image.pixel_format
        )
        decoder = FrameDecoder()
        errors = 0
        start = time.monotonic()
        for case in range(FUZZ_FRAMES):
            port.write(_fuzz(rng, valid) + valid)
            deadline = time.monotonic() + 10
            result = None
            while result is None:
                # A partial frame that swallowed the valid one times out after
                # 0.5 s; its bytes are then scanned again, so the reply comes.
                assert time.monotonic() < deadline, f"no reply after fuzz case {case}"
                for frame in decoder.feed(port.read(4096)):
                    if frame.type == MessageType.RESULT:
                        result = parse_result(frame.payload)
                    else:
                        assert frame.type == MessageType.ERROR
                        errors += 1
        elapsed = time.monotonic() - start

        # The device still answers exactly as before (the latency aside).
        def same(r: object) -> tuple[object, ...]:
            return (r.label, r.raw, r.scores)  # type: ignore[attr-defined]

        assert same(result) == same(expected)
        assert same(client.classify(image, info)) == same(expected)
    assert errors >= FUZZ_FRAMES // 2, errors
    print(f"{FUZZ_FRAMES} fuzzed frames in {elapsed:.1f} s, {errors} error replies")


def test_drawn_digits_through_the_emulated_firmware(
    served: tuple[Path, Path], tmp_path: Path
) -> None:
    elf, _ = served
    right = 0
    lcd = tmp_path / "pad.png"
    with qemu_device(elf, lcd_png=lcd) as port:
        client = DeviceClient(port, timeout=20)
        client.hello()
        for path in STROKES:
            (width, height), strokes = load_strokes(path)
            result = client.classify_strokes(width, height, strokes)
            # The firmware prepared the very bytes the Python twin does.
            assert result.image == prepare_drawn_digit(strokes), path.name
            right += result.label == json.loads(path.read_text())["label"]
    print(f"drawn digits: {right} of {len(STROKES)} classified as drawn")
    assert right > len(STROKES) // 2, f"only {right}/{len(STROKES)} right"
    with Image.open(lcd) as img:
        pixels = np.asarray(img.convert("RGB"))
    assert pixels.shape == (272, 480, 3)
    # The pad shows the last digit's strokes and a green winning bar.
    assert (pixels[8:264, 8:264] > 200).all(axis=2).mean() > 0.005
    assert ((pixels[:, 276:] == [0, 255, 0]).all(axis=2)).any()


def test_port_takes_a_pyserial_socket_url(
    served: tuple[Path, Path],
    mnist_pngs: tuple[list[Path], list[int]],
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
) -> None:
    pytest.importorskip("serial", reason="needs pyserial (the [serial] extra)")
    from platformio_tinyml.qemu import qemu_command

    elf, _ = served
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    # This time QEMU listens and `--port socket://` connects, as to any TCP bridge.
    cmd = qemu_command(elf, serial=f"tcp:127.0.0.1:{port},server=on,wait=off")
    proc = subprocess.Popen(cmd, cwd=tmp_path, stdout=subprocess.DEVNULL)
    try:
        deadline = time.monotonic() + 30
        while True:
            try:
                socket.create_connection(("127.0.0.1", port), timeout=1).close()
                break
            except OSError:
                assert time.monotonic() < deadline, "QEMU did not listen"
                time.sleep(0.2)
        paths, labels = mnist_pngs
        url = f"socket://127.0.0.1:{port}"
        assert cli.main(["classify", "--port", url, str(paths[0])]) == 0
    finally:
        proc.terminate()
        proc.wait(timeout=10)
    out = capsys.readouterr().out
    assert out.startswith(f"{paths[0]}: label=")
    assert re.search(r"label=\d score=\d\.\d\d us=\d+$", out.strip())
