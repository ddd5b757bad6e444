# SPDX-License-Identifier: Apache-2.0
"""Racing and dying processes: shared caches, SIGKILL mid-run, untouched user files.

* Two ``tinyml generate`` processes on one cache directory both succeed, produce
  identical sources, and train and convert the model once (the cache's file locks).
* A ``tinyml generate`` killed with SIGKILL while writing leaves only complete files
  (plus an ignored ``.tmp-tinyml-*``), and the next run recovers without cleanup.
* ``tinyml generate --out-dir`` writes nothing outside its output and cache
  directories, also in a project path with spaces and non-ASCII characters, and also
  when it fails.
"""

from __future__ import annotations

import hashlib
import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

import numpy as np
import pytest

REPO = Path(__file__).resolve().parent.parent
TINY_CNN = REPO / "tests" / "data" / "tiny_cnn_int8.tflite"
TMP_PREFIX = ".tmp-tinyml-"
TIMEOUT_S = 300


def _write_pngs(root: Path, classes: int, size: int, per_class: int) -> Path:
    from PIL import Image

    rng = np.random.default_rng(3)
    for k in range(classes):
        folder = root / f"class_{k}"
        folder.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = rng.integers(0, 60, (size, size), dtype=np.uint8)
            pixels[k % size, :] = 255  # a class-specific bright row
            Image.fromarray(pixels, "L").save(folder / f"{i}.png")
    return root


@pytest.fixture(scope="module")
def tiny_dataset(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 classes of 8x8 grayscale PNGs: fits ``tiny_cnn_int8.tflite``."""
    return _write_pngs(tmp_path_factory.mktemp("ds8"), classes=3, size=8, per_class=4)


def _env() -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if k != "TINYML_DEBUG"}
    env["TF_CPP_MIN_LOG_LEVEL"] = "3"
    return env


def _generate_argv(cache: Path, out: Path, dataset: Path, *extra: str) -> list[str]:
    return [
        "--cache-dir",
        str(cache),
        "generate",
        "--model",
        str(TINY_CNN),
        "--dataset",
        f"folder:{dataset}",
        "--images",
        "2",
        "--out-dir",
        str(out),
        *extra,
    ]


def _tinyml(*argv: str, cwd: Path) -> subprocess.CompletedProcess[str]:
    script = Path(sys.executable).with_name("tinyml")
    cmd = (
        [str(script)]
        if script.is_file()
        else [sys.executable, "-m", "platformio_tinyml"]
    )
    return subprocess.run(
        [*cmd, *argv],
        capture_output=True,
        text=True,
        cwd=cwd,
        env=_env(),
        timeout=TIMEOUT_S,
    )


def _tree(root: Path) -> dict[str, str]:
    """Relative path -> sha256 of every file under ``root`` (directories as 'dir')."""
    out: dict[str, str] = {}
    for path in sorted(root.rglob("*")):
        rel = path.relative_to(root).as_posix()
        if path.is_dir():
            out[rel] = "dir"
        else:
            out[rel] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


def _sources(out: Path) -> dict[str, bytes]:
    return {
        p.name: p.read_bytes()
        for p in out.iterdir()
        if p.is_file() and not p.name.startswith(TMP_PREFIX)
    }


@pytest.fixture(scope="module")
def reference_sources(
    tmp_path_factory: pytest.TempPathFactory, tiny_dataset: Path
) -> dict[str, bytes]:
    """The sources one uninterrupted ``tinyml generate`` writes."""
    root = tmp_path_factory.mktemp("reference")
    proc = _tinyml(
        *_generate_argv(root / "cache", root / "out", tiny_dataset), cwd=root
    )
    assert proc.returncode == 0, proc.stderr
    sources = _sources(root / "out")
    assert "tinyml_model.h" in sources
    return sources


# --- User files are never touched ---


@pytest.mark.tflm  # generate verifies with the TFLM interpreter
def test_generate_writes_only_out_and_cache_in_a_non_ascii_path_with_spaces(
    tmp_path: Path, tiny_dataset: Path, reference_sources: dict[str, bytes]
) -> None:
    project = tmp_path / "mój projekt ünïcode"
    (project / "src").mkdir(parents=True)
    (project / "include").mkdir()
    (project / "src" / "main.cpp").write_text('#include "tinyml_model.h"\n')
    (project / "include" / "app.h").write_text("#pragma once\n")
    (project / "platformio.ini").write_text("[env:host]\nplatform = native\n")
    user_files = _tree(project)
    out = project / "build out" / "generated"
    cache = project / "cache dir"

    failed = _tinyml(
        *_generate_argv(cache, out, tiny_dataset, "--labels", "x,y"), cwd=project
    )
    assert failed.returncode == 2
    # A failed run may keep complete cache entries, but writes no output at all.
    after_failure = _tree(project)
    assert not out.exists()
    assert {k for k in after_failure if k not in user_files} <= {
        k for k in after_failure if k.startswith("cache dir")
    }
    assert {k: v for k, v in after_failure.items() if k in user_files} == user_files

    proc = _tinyml(*_generate_argv(cache, out, tiny_dataset), cwd=project)
    assert proc.returncode == 0, proc.stderr
    after = _tree(project)
    touched = {k for k in after if after[k] != user_files.get(k)}
    assert touched, "generate wrote nothing"
    assert all(k.startswith(("build out", "cache dir")) for k in touched), touched
    assert {k: v for k, v in after.items() if k in user_files} == user_files
    assert _sources(out) == reference_sources


# --- SIGKILL mid-generate -------------------------------------------------------------

# Runs `tinyml generate` (cli.main) with fsync slowed down at the N-th written file, so
# the parent can kill the process while that file is half-way through write_atomic.
_KILLABLE = textwrap.dedent(
    """
    import sys, time
    import platformio_tinyml.fileio as fileio
    from platformio_tinyml import cli
    stop_at = int(sys.argv[1])
    calls = 0
    real_fsync = fileio.os.fsync
    def fsync(fd):
        global calls
        calls += 1
        if calls == stop_at:
            print("writing", flush=True)
            time.sleep(120)
        real_fsync(fd)
    fileio.os.fsync = fsync
    sys.exit(cli.main(sys.argv[2:]))
    """
)


@pytest.mark.tflm
@pytest.mark.parametrize(
    "stop_at",
    [1, 4],
    ids=["while-writing-the-cache-entry", "while-writing-the-third-source"],
)
def test_sigkill_mid_generate_then_next_run_recovers(
    stop_at: int,
    tmp_path: Path,
    tiny_dataset: Path,
    reference_sources: dict[str, bytes],
) -> None:
    cache, out = tmp_path / "cache", tmp_path / "out"
    argv = _generate_argv(cache, out, tiny_dataset)
    with subprocess.Popen(
        [sys.executable, "-c", _KILLABLE, str(stop_at), *argv],
        stdout=subprocess.PIPE,
        stderr=subprocess.DEVNULL,
        text=True,
        cwd=tmp_path,
        env=_env(),
    ) as proc:
        try:
            assert proc.stdout is not None
            deadline = time.monotonic() + TIMEOUT_S
            line = ""
            while "writing" not in line and time.monotonic() < deadline:
                line = proc.stdout.readline()
                if not line and proc.poll() is not None:
                    break
            assert "writing" in line, "generate finished before the kill point"
            os.kill(proc.pid, signal.SIGKILL)
        finally:
            proc.kill()
            proc.wait(timeout=60)
    assert proc.returncode == -signal.SIGKILL

    # Only complete files, each identical to an uninterrupted run's.
    left = _sources(out) if out.exists() else {}
    assert len(left) == stop_at - 2 if stop_at > 1 else left == {}
    for name, data in left.items():
        assert data == reference_sources[name], name
    temps = [p for p in tmp_path.rglob("*") if p.name.startswith(TMP_PREFIX)]
    assert len(temps) == 1  # the file being written when the process died

    recovered = _tinyml(*argv, cwd=tmp_path)
    assert recovered.returncode == 0, recovered.stderr
    assert _sources(out) == reference_sources


# --- Two processes, one cache ---

# `tinyml generate` (cli.main) that records each real training and conversion in a
# shared log: the functions still run, they are only counted.
_COUNTING = textwrap.dedent(
    """
    import os, sys
    import platformio_tinyml.quantization as quantization
    import platformio_tinyml.training as training
    from platformio_tinyml import cli
    log = sys.argv[1]
    def counted(name, fn):
        def wrapper(*args, **kwargs):
            with open(log, "a") as fp:
                fp.write(f"{name} {os.getpid()}\\n")
            return fn(*args, **kwargs)
        return wrapper
    training._fit = counted("train", training._fit)
    quantization.convert_model = counted("convert", quantization.convert_model)
    sys.exit(cli.main(sys.argv[2:]))
    """
)


@pytest.mark.tensorflow
def test_two_generate_processes_share_one_cache(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow", reason="training a zoo model needs TensorFlow")
    dataset = _write_pngs(tmp_path / "digits", classes=10, size=28, per_class=3)
    cache = tmp_path / "cache"
    log = tmp_path / "calls.log"
    procs = []
    for name in ("env_a", "env_b"):
        argv = [
            "--cache-dir",
            str(cache),
            "generate",
            "--model",
            "mnist_dense",
            "--epochs",
            "1",
            "--dataset",
            f"folder:{dataset}",
            "--representative-samples",
            "10",
            "--images",
            "3",
            "--out-dir",
            str(tmp_path / name),
        ]
        procs.append(
            subprocess.Popen(
                [sys.executable, "-c", _COUNTING, str(log), *argv],
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                text=True,
                cwd=tmp_path,
                env=_env(),
            )
        )
    results = [p.communicate(timeout=TIMEOUT_S) for p in procs]
    for proc, (_, err) in zip(procs, results, strict=True):
        assert proc.returncode == 0, err

    calls = log.read_text().split()[::2]
    assert calls.count("train") == 1, calls
    assert calls.count("convert") == 1, calls
    first, second = _sources(tmp_path / "env_a"), _sources(tmp_path / "env_b")
    assert first == second
    assert "mnist_dense_model_data.cpp" in first
    assert [p for p in cache.rglob("*") if p.name.startswith(TMP_PREFIX)] == []
    assert len(list((cache / "tflite").glob("*.tflite"))) == 1
