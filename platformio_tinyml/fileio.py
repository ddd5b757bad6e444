# SPDX-License-Identifier: Apache-2.0
"""The one place that writes files: atomic, write-if-changed, and locked caches.

Every generated file and cache entry goes through :func:`write_atomic`: the bytes are
written to a temporary file in the same directory, flushed, and renamed over the
target. A reader therefore sees the old file or the new one, never half of either,
and a killed process leaves at most a ``.tmp-*`` file that the next run ignores.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import tempfile
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path, PurePosixPath

from .errors import TinyMLError

_TMP_PREFIX = ".tmp-tinyml-"


@dataclass(frozen=True)
class GeneratedFile:
    """A file to be written: a path relative to an output directory, and its bytes."""

    path: PurePosixPath
    content: bytes

    @classmethod
    def text(cls, path: str, text: str) -> GeneratedFile:
        return cls(PurePosixPath(path), text.encode("utf-8"))


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        for block in iter(lambda: fp.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomic(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename."""
    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(prefix=_TMP_PREFIX, dir=path.parent)
    except OSError as exc:
        raise TinyMLError(
            f"cannot write '{path}': {exc.strerror or exc}; "
            "make the directory writable or choose another output directory"
        ) from exc
    try:
        # mkstemp creates 0600; give the file the mode a plain open() would.
        os.fchmod(fd, 0o666 & ~_umask())
        with os.fdopen(fd, "wb") as fp:
            fp.write(data)
            fp.flush()
            os.fsync(fp.fileno())
        os.replace(tmp, path)
    except BaseException as exc:
        with contextlib.suppress(OSError):
            os.unlink(tmp)
        if isinstance(exc, OSError):
            raise TinyMLError(
                f"cannot write '{path}': {exc.strerror or exc}; "
                "free disk space or make the directory writable"
            ) from exc
        raise


def _umask() -> int:
    mask = os.umask(0)
    os.umask(mask)
    return mask


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless ``path`` already holds exactly these bytes.

    Returns True when the file was (re)written. Unchanged files keep their mtime, so
    SCons and make recompile only what really changed.
    """
    path = Path(path)
    try:
        if path.is_file() and path.stat().st_size == len(data):
            if path.read_bytes() == data:
                return False
    except OSError:
        pass
    write_atomic(path, data)
    return True


def write_files(out_dir: Path, files: Iterable[GeneratedFile]) -> list[Path]:
    """Write generated files under ``out_dir``; return the paths that changed."""
    changed = []
    out_dir = Path(out_dir)
    for item in files:
        target = out_dir / Path(*item.path.parts)
        if write_if_changed(target, item.content):
            changed.append(target)
    return changed


@contextlib.contextmanager
def file_lock(path: Path, timeout: float = 3600.0) -> Iterator[None]:
    """Hold an inter-process lock on ``path`` (a ``.lock`` file in the cache)."""
    from filelock import FileLock, Timeout

    path = Path(path)
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        lock = FileLock(str(path), timeout=timeout)
        lock.acquire()
    except Timeout as exc:
        raise TinyMLError(
            f"timed out after {timeout:.0f} s waiting for lock '{path}'; "
            "another build holds it: wait for it or delete the stale lock file"
        ) from exc
    except OSError as exc:
        raise TinyMLError(
            f"cannot create lock '{path}': {exc.strerror or exc}; "
            "make the cache directory writable or set TINYML_CACHE_DIR"
        ) from exc
    try:
        yield
    finally:
        lock.release()


def default_cache_dir() -> Path:
    """The user cache: ``$TINYML_CACHE_DIR`` or ``~/.cache/platformio-tinyml``."""
    env = os.environ.get("TINYML_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    base = os.environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")
    return Path(base) / "platformio-tinyml"
