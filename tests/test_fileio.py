# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.fileio: atomic writes, write-if-changed, locks."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path, PurePosixPath

import pytest

from platformio_tinyml.errors import TinyMLError
from platformio_tinyml.fileio import (
    GeneratedFile,
    file_lock,
    write_atomic,
    write_files,
    write_if_changed,
)


def test_write_if_changed_keeps_mtime_of_identical_content(tmp_path: Path) -> None:
    target = tmp_path / "a" / "b.h"
    assert write_if_changed(target, b"one")
    before = target.stat().st_mtime_ns
    time.sleep(0.01)
    assert not write_if_changed(target, b"one")
    assert target.stat().st_mtime_ns == before
    assert write_if_changed(target, b"two")
    assert target.read_bytes() == b"two"


def test_write_files_returns_only_changed(tmp_path: Path) -> None:
    files = [
        GeneratedFile.text("x.h", "x"),
        GeneratedFile(PurePosixPath("d/y.c"), b"y"),
    ]
    assert len(write_files(tmp_path, files)) == 2
    files[0] = GeneratedFile.text("x.h", "x2")
    assert write_files(tmp_path, files) == [tmp_path / "x.h"]


def test_streamed_file_is_written_and_compared_in_pieces(tmp_path: Path) -> None:
    pieces = [b"alpha ", b"", b"beta\n"]
    item = GeneratedFile.streamed(PurePosixPath("s.txt"), 11, lambda: iter(pieces))
    assert item.content == b"alpha beta\n" and item.size == len(item.content)
    assert item == GeneratedFile(PurePosixPath("s.txt"), b"alpha beta\n")
    assert write_files(tmp_path, [item]) == [tmp_path / "s.txt"]
    assert (tmp_path / "s.txt").read_bytes() == b"alpha beta\n"
    assert write_files(tmp_path, [item]) == []  # same bytes: not rewritten
    pieces[2] = b"gamma"  # same size, other bytes
    assert write_files(tmp_path, [item]) == [tmp_path / "s.txt"]
    assert (tmp_path / "s.txt").read_bytes() == b"alpha gamma"
    with pytest.raises(AttributeError, match="immutable"):
        item.size = 3  # type: ignore[misc]


def test_unwritable_directory_is_a_one_line_error(tmp_path: Path) -> None:
    if os.geteuid() == 0:
        blocker = tmp_path / "file"
        blocker.write_text("")
        target = blocker / "sub" / "out.h"  # parent is a file: fails even for root
    else:
        locked = tmp_path / "ro"
        locked.mkdir(mode=0o500)
        target = locked / "out.h"
    with pytest.raises(TinyMLError, match="cannot write") as info:
        write_atomic(target, b"data")
    assert "\n" not in str(info.value)


_WRITER = textwrap.dedent(
    """
    import sys, time
    from pathlib import Path
    import platformio_tinyml.fileio as fileio
    real_fsync = fileio.os.fsync
    def slow_fsync(fd):
        print("writing", flush=True)
        time.sleep(60)  # killed here: the temporary file is complete but not renamed
        real_fsync(fd)
    fileio.os.fsync = slow_fsync
    fileio.write_atomic(Path(sys.argv[1]), b"new" * 100000)
    """
)


def test_sigkill_mid_write_leaves_old_content_and_next_write_recovers(
    tmp_path: Path,
) -> None:
    target = tmp_path / "model_data.cpp"
    target.write_bytes(b"old")
    proc = subprocess.Popen(
        [sys.executable, "-c", _WRITER, str(target)], stdout=subprocess.PIPE, text=True
    )
    assert proc.stdout is not None
    assert proc.stdout.readline().strip() == "writing"
    proc.send_signal(signal.SIGKILL)
    proc.wait(timeout=30)
    proc.stdout.close()
    assert target.read_bytes() == b"old"  # never half-written
    leftovers = [p for p in tmp_path.iterdir() if p != target]
    assert leftovers and all(p.name.startswith(".tmp-tinyml-") for p in leftovers)
    # The next run needs no manual cleanup.
    assert write_if_changed(target, b"new")
    assert target.read_bytes() == b"new"


def test_file_lock_serialises_processes(tmp_path: Path) -> None:
    lock = tmp_path / "cache.lock"
    script = textwrap.dedent(
        f"""
        import time
        from pathlib import Path
        from platformio_tinyml.fileio import file_lock
        with file_lock(Path({str(lock)!r})):
            print("got", time.monotonic(), flush=True)
        """
    )
    with file_lock(lock):
        proc = subprocess.Popen(
            [sys.executable, "-c", script], stdout=subprocess.PIPE, text=True
        )
        time.sleep(1.0)
        released = time.monotonic()
    out, _ = proc.communicate(timeout=30)
    got = float(out.split()[1])
    assert got >= released


def test_file_lock_timeout_is_a_user_error(tmp_path: Path) -> None:
    lock = tmp_path / "busy.lock"
    script = textwrap.dedent(
        f"""
        import sys
        from pathlib import Path
        from platformio_tinyml.errors import TinyMLError
        from platformio_tinyml.fileio import file_lock
        try:
            with file_lock(Path({str(lock)!r}), timeout=0.2):
                pass
        except TinyMLError as exc:
            print(exc)
        """
    )
    with file_lock(lock):
        out = subprocess.run(
            [sys.executable, "-c", script], capture_output=True, text=True, timeout=30
        ).stdout
    assert "timed out" in out and "another build holds it" in out


def test_written_files_get_the_usual_mode(tmp_path: Path) -> None:
    mask = os.umask(0o022)
    try:
        write_atomic(tmp_path / "out.h", b"x")
    finally:
        os.umask(mask)
    assert (tmp_path / "out.h").stat().st_mode & 0o777 == 0o644
