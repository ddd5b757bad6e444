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


MANIFEST_NAME = ".tinyml-generated.json"


def replace_generated(out_dir: Path, paths: Iterable[Path]) -> list[Path]:
    """Record ``paths`` as the generator's files in ``out_dir``; drop its older ones.

    A manifest (:data:`MANIFEST_NAME`) lists each file the last run generated with
    its sha256. Files from that list that this run did not produce are deleted, but
    only while they still hold the bytes the generator wrote: a file the user
    created or edited is never touched.

    Args:
        out_dir: the output directory.
        paths: every file this run generated (inside ``out_dir``).

    Returns:
        The files that were deleted.
    """
    import json

    out_dir = Path(out_dir)
    manifest = out_dir / MANIFEST_NAME
    try:
        previous = json.loads(manifest.read_text(encoding="utf-8"))
        if not isinstance(previous, dict):
            previous = {}
    except (OSError, ValueError):
        previous = {}
    current = {
        Path(p).relative_to(out_dir).as_posix(): sha256_file(Path(p)) for p in paths
    }
    removed = []
    for rel, digest in sorted(previous.items()):
        target = out_dir / rel
        if rel in current or not isinstance(digest, str) or ".." in Path(rel).parts:
            continue
        try:
            if target.is_file() and sha256_file(target) == digest:
                target.unlink()
                removed.append(target)
        except OSError:
            continue
    text = json.dumps(current, indent=1, sort_keys=True) + "\n"
    write_if_changed(manifest, text.encode("utf-8"))
    return removed


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
