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
from collections.abc import Callable, Iterable, Iterator
from pathlib import Path, PurePosixPath

from .errors import TinyMLError

_TMP_PREFIX = ".tmp-tinyml-"


class GeneratedFile:
    """A file to be written: a path relative to an output directory, and its bytes.

    Immutable and compared by value, like a frozen dataclass; a plain class because
    importing ``dataclasses`` would cost ``tinyml carray`` about 6 ms of start-up.
    A large file can be :meth:`streamed`: its bytes are then produced in pieces each
    time they are needed (:meth:`chunks`), and only :attr:`content` joins them.
    """

    __slots__ = ("path", "size", "_content", "_produce")
    path: PurePosixPath
    size: int  # len(content)
    _content: bytes | None
    _produce: Callable[[], Iterable[bytes]] | None

    def __init__(self, path: PurePosixPath, content: bytes) -> None:
        self._init(path, len(content), content, None)

    def _init(
        self,
        path: PurePosixPath,
        size: int,
        content: bytes | None,
        produce: Callable[[], Iterable[bytes]] | None,
    ) -> None:
        for name, value in zip(
            self.__slots__, (path, size, content, produce), strict=True
        ):
            object.__setattr__(self, name, value)

    @classmethod
    def streamed(
        cls, path: PurePosixPath, size: int, produce: Callable[[], Iterable[bytes]]
    ) -> GeneratedFile:
        """A file whose ``size`` bytes ``produce()`` yields in pieces, on demand.

        ``produce`` must be deterministic: it runs once to compare with an existing
        file and once more to write it.
        """
        item = cls.__new__(cls)
        item._init(path, size, None, produce)
        return item

    @classmethod
    def text(cls, path: str, text: str) -> GeneratedFile:
        return cls(PurePosixPath(path), text.encode("utf-8"))

    @property
    def content(self) -> bytes:
        """All the bytes (joined anew for a streamed file)."""
        return self._content if self._content is not None else b"".join(self.chunks())

    def chunks(self) -> Iterable[bytes]:
        """The bytes in one or more pieces."""
        if self._produce is not None:
            return self._produce()
        return (self.content,)

    def __setattr__(self, name: str, value: object) -> None:
        raise AttributeError(f"GeneratedFile is immutable: cannot set '{name}'")

    def __delattr__(self, name: str) -> None:
        raise AttributeError(f"GeneratedFile is immutable: cannot delete '{name}'")

    def __eq__(self, other: object) -> bool:
        if not isinstance(other, GeneratedFile):
            return NotImplemented
        return (self.path, self.content) == (other.path, other.content)

    def __hash__(self) -> int:
        return hash((self.path, self.content))

    def __repr__(self) -> str:
        return f"GeneratedFile(path={self.path!r}, size={self.size})"


def sha256_bytes(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as fp:
        for block in iter(lambda: fp.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def write_atomic(
    path: Path, data: bytes | Iterable[bytes], *, durable: bool = True
) -> None:
    """Write ``data`` to ``path`` through a temporary file and an atomic rename.

    ``data`` is the bytes, or an iterable of pieces written one after another.
    ``durable`` flushes the file to disk (fsync) before the rename, so that even
    a power cut leaves the old bytes or the new ones; without it a reader still
    never sees half a file.
    """
    path = Path(path)
    pieces = (data,) if isinstance(data, (bytes, bytearray, memoryview)) else data
    try:
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = _create_temporary(path)
    except OSError as exc:
        raise TinyMLError(
            f"cannot write '{path}': {exc.strerror or exc}; "
            "make the directory writable or choose another output directory"
        ) from exc
    try:
        with os.fdopen(fd, "wb") as fp:
            for piece in pieces:
                fp.write(piece)
            fp.flush()
            if durable:
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


def _create_temporary(path: Path) -> tuple[int, Path]:
    """A new, empty ``.tmp-tinyml-*`` file beside ``path``: its descriptor and path.

    Created with mode 0666 less the umask, as a plain ``open()`` would; the random
    name (``O_EXCL``) keeps concurrent writers and stale leftovers apart.
    """
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | getattr(os, "O_BINARY", 0)
    while True:
        tmp = path.with_name(f"{_TMP_PREFIX}{os.urandom(6).hex()}")
        try:
            return os.open(tmp, flags, 0o666), tmp
        except FileExistsError:
            continue


def write_if_changed(path: Path, data: bytes) -> bool:
    """Write ``data`` atomically unless ``path`` already holds exactly these bytes.

    Returns True when the file was (re)written. Unchanged files keep their mtime, so
    SCons and make recompile only what really changed.
    """
    path = Path(path)
    return _write_if_changed(path, GeneratedFile(PurePosixPath(path.name), data))


def _write_if_changed(target: Path, item: GeneratedFile, durable: bool = True) -> bool:
    if _holds(target, item):
        return False
    write_atomic(target, item.chunks(), durable=durable)
    return True


def _holds(path: Path, item: GeneratedFile) -> bool:
    """True when ``path`` is a file holding exactly the bytes of ``item``."""
    try:
        if not path.is_file() or path.stat().st_size != item.size:
            return False
        with open(path, "rb") as fp:
            return all(fp.read(len(piece)) == piece for piece in item.chunks())
    except OSError:
        return False


def write_files(
    out_dir: Path, files: Iterable[GeneratedFile], *, durable: bool = True
) -> list[Path]:
    """Write generated files under ``out_dir``; return the paths that changed.

    ``durable``: see :func:`write_atomic`.
    """
    changed = []
    out_dir = Path(out_dir)
    for item in files:
        target = out_dir / Path(*item.path.parts)
        if _write_if_changed(target, item, durable):
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
