# SPDX-License-Identifier: Apache-2.0
"""Fetch models from local paths or http(s)/file URLs: sha256-verified, cached, atomic.

URL downloads land in ``<cache_dir>/downloads/<sha256>/<name>``; they are streamed to a
temporary file with a size limit, checked against the required sha256 and renamed
into place, so a cache entry is either complete and verified or absent. ``.zip`` and
``.tar.gz`` archives (a zipped SavedModel, typically) are extracted beside the file,
refusing members that would escape the target folder.
"""

from __future__ import annotations

import contextlib
import hashlib
import os
import re
import shutil
import tarfile
import tempfile
import urllib.error
import urllib.parse
import urllib.request
import zipfile
from pathlib import Path, PurePosixPath
from typing import IO, Any, Literal

from .errors import ModelSourceError
from .fileio import file_lock, sha256_file

TFLITE_SUFFIX = ".tflite"
KERAS_SUFFIXES: tuple[str, ...] = (".keras", ".h5", ".hdf5")
MODEL_SUFFIXES: tuple[str, ...] = (TFLITE_SUFFIX, *KERAS_SUFFIXES)
ARCHIVE_SUFFIXES: tuple[str, ...] = (".zip", ".tar.gz", ".tgz")
DEFAULT_MAX_BYTES = 512 * 1024 * 1024
_TIMEOUT_S = 60.0
_CHUNK = 1 << 16
_SHA256_RE = re.compile(r"^[0-9a-f]{64}$")
_URL_SCHEMES = ("http", "https", "file")
_URL_RE = re.compile(r"^[A-Za-z][A-Za-z0-9+.-]*://")
_EXTRACTED = ".extracted"

SourceKind = Literal["url", "path", "name"]


def model_source_kind(source: str) -> SourceKind:
    """How a model option is read: the one rule every caller uses.

    Args:
        source: the ``custom_tinyml_model`` value.

    Returns:
        ``"url"`` for any ``scheme://`` (unsupported schemes fail in
        :func:`fetch_model`), ``"path"`` for anything with a path separator, a
        leading ``~``, or a model/archive suffix, else ``"name"`` (a zoo name).
    """
    if _URL_RE.match(source):
        return "url"
    if (
        "/" in source
        or "\\" in source
        or source.startswith("~")
        or source.lower().endswith(MODEL_SUFFIXES + ARCHIVE_SUFFIXES)
    ):
        return "path"
    return "name"


def is_url(source: str) -> bool:
    """True when ``source`` is a URL (``scheme://...``)."""
    return model_source_kind(source) == "url"


def _archive_suffix(name: str) -> str | None:
    lower = name.lower()
    for suffix in ARCHIVE_SUFFIXES:
        if lower.endswith(suffix):
            return suffix
    return None


def is_saved_model_dir(path: Path) -> bool:
    """True when ``path`` is a SavedModel directory (holds ``saved_model.pb``)."""
    return path.is_dir() and (
        (path / "saved_model.pb").is_file() or (path / "saved_model.pbtxt").is_file()
    )


def _check_sha256(sha256: str | None, label: str) -> str | None:
    if sha256 is None:
        return None
    value = sha256.strip().lower()
    if not _SHA256_RE.match(value):
        raise ModelSourceError(
            f"{label} '{sha256}' is not a sha256 (64 hex digits); "
            "compute it with: sha256sum <file>"
        )
    return value


def fetch_model(
    source: str,
    *,
    sha256: str | None,
    cache_dir: Path,
    max_bytes: int = DEFAULT_MAX_BYTES,
) -> Path:
    """Return a local path to the model named by ``source``.

    Args:
        source: a local path (``.tflite``, ``.keras``, ``.h5``, a SavedModel
            directory, or a ``.zip``/``.tar.gz`` archive of one) or an http(s)/file
            URL to such a file.
        sha256: expected sha256 of the file; required for URLs, checked for files.
        cache_dir: cache root; downloads go to ``cache_dir/downloads/<sha256>/``.
        max_bytes: refuse downloads larger than this.

    Returns:
        The model file, or the SavedModel directory (archives are extracted).

    Raises:
        ModelSourceError: missing file, bad or missing sha256, download failure,
            size limit, unsafe archive, or an unsupported file type.
    """
    expected = _check_sha256(sha256, "model sha256")
    if "://" in source and not is_url(source):
        scheme = source.split("://", 1)[0]
        raise ModelSourceError(
            f"model URL '{source}' uses the unsupported scheme '{scheme}'; use an "
            "http(s):// or file:// URL, or a local path"
        )
    if is_url(source):
        scheme = source.split(":", 1)[0].lower()
        if scheme not in _URL_SCHEMES:
            raise ModelSourceError(
                f"model URL '{source}' has unsupported scheme '{scheme}'; use an "
                "http://, https:// or file:// URL, or download the file and give its "
                "path"
            )
        if expected is None:
            raise ModelSourceError(
                f"model URL '{source}' has no sha256; set custom_tinyml_model_sha256 "
                "to the file's sha256 (sha256sum <file>)"
            )
        path = _download(source, expected, Path(cache_dir), max_bytes)
    else:
        path = Path(source).expanduser()
        if not path.exists():
            raise ModelSourceError(
                f"model '{source}' does not exist; give a .tflite/.keras/.h5 file, a "
                "SavedModel directory, a zoo name, or an http(s) URL"
            )
        if path.is_dir():
            if expected is not None:
                raise ModelSourceError(
                    f"model sha256 given for directory '{path}'; a sha256 applies to "
                    "one file: archive the SavedModel (.zip/.tar.gz) or drop the sha256"
                )
            if not is_saved_model_dir(path):
                raise ModelSourceError(
                    f"directory '{path}' is not a SavedModel (no saved_model.pb); "
                    "point to the SavedModel folder itself"
                )
            return path
        if expected is not None:
            actual = sha256_file(path)
            if actual != expected:
                raise ModelSourceError(
                    f"model '{path}' has sha256 '{actual}' but '{expected}' was "
                    "expected; use the right file or update the sha256"
                )
    if _archive_suffix(path.name):
        digest = expected or sha256_file(path)
        return _extract(path, Path(cache_dir) / "downloads" / digest)
    _check_model_suffix(path, source)
    return path


def _check_model_suffix(path: Path, source: str) -> None:
    if path.suffix.lower() not in MODEL_SUFFIXES:
        raise ModelSourceError(
            f"model '{source}' is not a supported file type "
            f"'{path.suffix or path.name}'; "
            "use .tflite, .keras, .h5, a SavedModel directory or a .zip/.tar.gz of one"
        )


# --- Download --------------------------------------------------------------------


def _file_name(url: str) -> str:
    name = PurePosixPath(urllib.parse.unquote(urllib.parse.urlsplit(url).path)).name
    name = re.sub(r"[^A-Za-z0-9._-]", "_", name).lstrip(".")
    return name or "model.tflite"


class _SameSchemeRedirects(urllib.request.HTTPRedirectHandler):
    """Follow redirects only within the original scheme (no https -> http/file)."""

    def __init__(self, scheme: str) -> None:
        super().__init__()
        self._scheme = scheme

    def redirect_request(
        self,
        req: urllib.request.Request,
        fp: IO[bytes],
        code: int,
        msg: str,
        headers: Any,
        newurl: str,
    ) -> urllib.request.Request | None:
        scheme = urllib.parse.urlsplit(newurl).scheme.lower()
        if scheme != self._scheme:
            raise ModelSourceError(
                f"model URL '{req.full_url}' redirects to another scheme '{newurl}'; "
                "use the final URL directly"
            )
        return super().redirect_request(req, fp, code, msg, headers, newurl)


def _download(url: str, sha256: str, cache_dir: Path, max_bytes: int) -> Path:
    target = cache_dir / "downloads" / sha256 / _file_name(url)
    if target.is_file():
        return target
    with file_lock(target.parent / ".lock"):
        if target.is_file():
            return target
        target.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp_name = tempfile.mkstemp(prefix=".tmp-tinyml-", dir=target.parent)
        tmp = Path(tmp_name)
        try:
            digest = hashlib.sha256()
            with os.fdopen(fd, "wb") as out:
                _stream(url, out, digest, max_bytes)
                out.flush()
                os.fsync(out.fileno())
            actual = digest.hexdigest()
            if actual != sha256:
                raise ModelSourceError(
                    f"download '{url}' has sha256 '{actual}' but '{sha256}' was "
                    "expected; check the URL or update custom_tinyml_model_sha256"
                )
            os.replace(tmp, target)
        finally:
            with contextlib.suppress(OSError):
                tmp.unlink()
    return target


def _stream(url: str, out: IO[bytes], digest: Any, max_bytes: int) -> None:
    scheme = urllib.parse.urlsplit(url).scheme.lower()
    total = 0
    try:
        if scheme == "file":
            parts = urllib.parse.urlsplit(url)
            if parts.netloc not in ("", "localhost"):
                raise ModelSourceError(
                    f"file URL '{url}' names host '{parts.netloc}'; use file:///abs/path"
                )
            src: Any = open(urllib.request.url2pathname(parts.path), "rb")  # noqa: SIM115
        else:
            opener = urllib.request.build_opener(_SameSchemeRedirects(scheme))
            src = opener.open(url, timeout=_TIMEOUT_S)
        with src:
            length = (
                getattr(src, "headers", {}).get("Content-Length")
                if scheme != "file"
                else None
            )
            if length is not None and length.isdigit() and int(length) > max_bytes:
                raise ModelSourceError(
                    f"download '{url}' is {int(length)} bytes, over the limit "
                    f"'{max_bytes}'; raise max_bytes or use a smaller model"
                )
            while True:
                chunk = src.read(_CHUNK)
                if not chunk:
                    break
                total += len(chunk)
                if total > max_bytes:
                    raise ModelSourceError(
                        f"download '{url}' exceeds the size limit '{max_bytes}' bytes; "
                        "raise max_bytes or use a smaller model"
                    )
                digest.update(chunk)
                out.write(chunk)
    except ModelSourceError:
        raise
    except urllib.error.HTTPError as exc:
        exc.close()  # the error holds the open response socket
        if 300 <= exc.code < 400:
            raise ModelSourceError(
                f"model URL '{url}' redirects to another scheme ('{exc.reason}'); "
                "use the final URL directly"
            ) from exc
        raise ModelSourceError(
            f"download '{url}' failed with HTTP {exc.code} '{exc.reason}'; "
            "check the URL"
        ) from exc
    except (urllib.error.URLError, OSError, ValueError) as exc:
        reason = getattr(exc, "reason", None) or getattr(exc, "strerror", None) or exc
        raise ModelSourceError(
            f"download '{url}' failed ('{reason}'); check the URL and network, or "
            "download the file and give its local path"
        ) from exc


# --- Archives --------------------------------------------------------------------


def _safe_member(name: str, archive: Path) -> PurePosixPath:
    path = PurePosixPath(name.replace("\\", "/"))
    if path.is_absolute() or ".." in path.parts or re.match(r"^[A-Za-z]:", name):
        raise ModelSourceError(
            f"archive '{archive}' has unsafe member path '{name}'; refusing to "
            "extract it (re-create the archive with relative paths)"
        )
    return path


def _extract(archive: Path, dest_root: Path) -> Path:
    suffix = _archive_suffix(archive.name)
    assert suffix is not None
    dest = dest_root / (archive.name[: -len(suffix)] or "model")
    marker = dest / _EXTRACTED
    if not marker.is_file():
        with file_lock(dest_root / ".extract.lock"):
            if not marker.is_file():
                _extract_into(archive, dest, suffix)
    return _model_in(dest, archive)


def _extract_into(archive: Path, dest: Path, suffix: str) -> None:
    dest.parent.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".tmp-tinyml-", dir=dest.parent))
    try:
        if suffix == ".zip":
            with zipfile.ZipFile(archive) as zf:
                for info in zf.infolist():
                    rel = _safe_member(info.filename, archive)
                    if info.is_dir():
                        (tmp / rel).mkdir(parents=True, exist_ok=True)
                        continue
                    (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                    with zf.open(info) as src, open(tmp / rel, "wb") as out:
                        shutil.copyfileobj(src, out)
        else:
            with tarfile.open(archive, "r:*") as tf:
                for member in tf:
                    rel = _safe_member(member.name, archive)
                    if member.isdir():
                        (tmp / rel).mkdir(parents=True, exist_ok=True)
                    elif member.isfile():
                        (tmp / rel).parent.mkdir(parents=True, exist_ok=True)
                        member_fp = tf.extractfile(member)
                        assert member_fp is not None
                        with member_fp, open(tmp / rel, "wb") as out:
                            shutil.copyfileobj(member_fp, out)
                    else:
                        raise ModelSourceError(
                            f"archive '{archive}' has link or special member "
                            f"'{member.name}'; only regular files are extracted"
                        )
        (tmp / _EXTRACTED).write_text("ok\n", encoding="utf-8")
        if dest.exists():
            shutil.rmtree(dest)
        os.replace(tmp, dest)
    except (zipfile.BadZipFile, tarfile.TarError, EOFError, OSError) as exc:
        raise ModelSourceError(
            f"cannot extract archive '{archive}' ({exc}); check that the file is a "
            "complete .zip or .tar.gz"
        ) from exc
    finally:
        if tmp.exists():
            shutil.rmtree(tmp, ignore_errors=True)


def _model_in(folder: Path, archive: Path) -> Path:
    """The SavedModel directory or the single model file inside an extracted archive."""
    candidates = [folder] + sorted(p for p in folder.rglob("*") if p.is_dir())
    for candidate in candidates:
        if is_saved_model_dir(candidate):
            return candidate
    files = sorted(
        p
        for p in folder.rglob("*")
        if p.is_file() and p.suffix.lower() in MODEL_SUFFIXES
    )
    if len(files) == 1:
        return files[0]
    raise ModelSourceError(
        f"archive '{archive}' holds no SavedModel and {len(files)} model files; it "
        "must contain a SavedModel directory or exactly one .tflite/.keras/.h5"
    )
