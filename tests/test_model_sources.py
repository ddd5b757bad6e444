# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.model_sources: local paths, file/http URLs, archives."""

from __future__ import annotations

import hashlib
import http.server
import io
import tarfile
import threading
import zipfile
from collections.abc import Iterator
from pathlib import Path

import pytest

from platformio_tinyml.errors import ModelSourceError
from platformio_tinyml.model_sources import fetch_model

PAYLOAD = b"TFL3-test-payload" * 100
PAYLOAD_SHA = hashlib.sha256(PAYLOAD).hexdigest()


class _Handler(http.server.BaseHTTPRequestHandler):
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}

    def do_GET(self) -> None:  # noqa: N802 - http.server API
        status, headers, body = self.routes.get(self.path, (404, {}, b"missing"))
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def log_message(self, format: str, *args: object) -> None:  # noqa: A002
        pass


@pytest.fixture
def server() -> Iterator[tuple[str, dict[str, tuple[int, dict[str, str], bytes]]]]:
    """A loopback HTTP server; ``routes`` maps path -> (status, headers, body)."""
    routes: dict[str, tuple[int, dict[str, str], bytes]] = {}
    handler = type("Handler", (_Handler,), {"routes": routes})
    httpd = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield f"http://127.0.0.1:{httpd.server_address[1]}", routes
    finally:
        httpd.shutdown()
        httpd.server_close()


def test_local_file_with_and_without_sha(tmp_path: Path) -> None:
    model = tmp_path / "m.tflite"
    model.write_bytes(PAYLOAD)
    assert fetch_model(str(model), sha256=None, cache_dir=tmp_path / "c") == model
    assert (
        fetch_model(str(model), sha256=PAYLOAD_SHA.upper(), cache_dir=tmp_path) == model
    )
    with pytest.raises(
        ModelSourceError, match="has sha256 .* but '0{64}' was expected"
    ):
        fetch_model(str(model), sha256="0" * 64, cache_dir=tmp_path)
    with pytest.raises(ModelSourceError, match="is not a sha256"):
        fetch_model(str(model), sha256="abc", cache_dir=tmp_path)


def test_local_errors(tmp_path: Path) -> None:
    with pytest.raises(ModelSourceError, match="does not exist"):
        fetch_model(str(tmp_path / "nope.tflite"), sha256=None, cache_dir=tmp_path)
    onnx = tmp_path / "m.onnx"
    onnx.write_bytes(b"x")
    with pytest.raises(ModelSourceError, match="not a supported file type '.onnx'"):
        fetch_model(str(onnx), sha256=None, cache_dir=tmp_path)
    with pytest.raises(ModelSourceError, match="not a SavedModel"):
        fetch_model(str(tmp_path), sha256=None, cache_dir=tmp_path)
    saved = tmp_path / "saved"
    saved.mkdir()
    (saved / "saved_model.pb").write_bytes(b"\x08")
    assert fetch_model(str(saved), sha256=None, cache_dir=tmp_path) == saved
    with pytest.raises(ModelSourceError, match="applies to one file"):
        fetch_model(str(saved), sha256=PAYLOAD_SHA, cache_dir=tmp_path)


def test_file_url_is_cached_by_sha(tmp_path: Path) -> None:
    src = tmp_path / "src" / "model.tflite"
    src.parent.mkdir()
    src.write_bytes(PAYLOAD)
    cache = tmp_path / "cache"
    path = fetch_model(src.as_uri(), sha256=PAYLOAD_SHA, cache_dir=cache)
    assert path == cache / "downloads" / PAYLOAD_SHA / "model.tflite"
    assert path.read_bytes() == PAYLOAD
    src.unlink()  # served from the cache from now on
    assert fetch_model(src.as_uri(), sha256=PAYLOAD_SHA, cache_dir=cache) == path
    with pytest.raises(ModelSourceError, match="has no sha256"):
        fetch_model(src.as_uri(), sha256=None, cache_dir=cache)


def test_http_download_and_failures(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, routes = server
    routes["/m.tflite"] = (200, {}, PAYLOAD)
    cache = tmp_path / "cache"
    path = fetch_model(base + "/m.tflite", sha256=PAYLOAD_SHA, cache_dir=cache)
    assert path.read_bytes() == PAYLOAD
    bad_sha = "1" * 64
    with pytest.raises(
        ModelSourceError, match="has sha256 .* but '1{64}' was expected"
    ):
        fetch_model(base + "/m.tflite", sha256=bad_sha, cache_dir=cache)
    # Nothing partial is left behind after a failed download.
    leftovers = [
        p for p in (cache / "downloads" / bad_sha).iterdir() if p.name != ".lock"
    ]
    assert leftovers == []
    with pytest.raises(ModelSourceError, match="HTTP 404"):
        fetch_model(base + "/gone.tflite", sha256=PAYLOAD_SHA, cache_dir=tmp_path / "x")
    with pytest.raises(ModelSourceError, match="size limit|over the limit"):
        fetch_model(
            base + "/m.tflite",
            sha256=PAYLOAD_SHA,
            cache_dir=tmp_path / "y",
            max_bytes=100,
        )


def test_redirects(server, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    base, routes = server
    routes["/m.tflite"] = (200, {}, PAYLOAD)
    routes["/same.tflite"] = (302, {"Location": base + "/m.tflite"}, b"")
    secret = tmp_path / "secret.tflite"
    secret.write_bytes(PAYLOAD)
    routes["/to-file.tflite"] = (302, {"Location": secret.as_uri()}, b"")
    ok = fetch_model(
        base + "/same.tflite", sha256=PAYLOAD_SHA, cache_dir=tmp_path / "a"
    )
    assert ok.read_bytes() == PAYLOAD
    with pytest.raises(ModelSourceError, match="redirects to another scheme"):
        fetch_model(
            base + "/to-file.tflite", sha256=PAYLOAD_SHA, cache_dir=tmp_path / "b"
        )


def _zip(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with zipfile.ZipFile(buf, "w") as zf:
        for name, data in members.items():
            zf.writestr(name, data)
    return buf.getvalue()


def _targz(members: dict[str, bytes]) -> bytes:
    buf = io.BytesIO()
    with tarfile.open(fileobj=buf, mode="w:gz") as tar:
        for name, data in members.items():
            info = tarfile.TarInfo(name)
            info.size = len(data)
            tar.addfile(info, io.BytesIO(data))
    return buf.getvalue()


@pytest.mark.parametrize(("suffix", "pack"), [(".zip", _zip), (".tar.gz", _targz)])
def test_saved_model_archives_are_extracted(tmp_path: Path, suffix: str, pack) -> None:  # type: ignore[no-untyped-def]
    data = pack(
        {"export/saved_model.pb": b"\x08\x01", "export/variables/v.index": b"i"}
    )
    archive = tmp_path / f"model{suffix}"
    archive.write_bytes(data)
    sha = hashlib.sha256(data).hexdigest()
    path = fetch_model(archive.as_uri(), sha256=sha, cache_dir=tmp_path / "cache")
    assert (
        path.name == "export" and (path / "saved_model.pb").read_bytes() == b"\x08\x01"
    )
    assert (path / "variables" / "v.index").is_file()
    local = fetch_model(str(archive), sha256=None, cache_dir=tmp_path / "cache2")
    assert (local / "saved_model.pb").is_file()


@pytest.mark.parametrize(
    ("suffix", "pack", "member"),
    [
        (".zip", _zip, "../evil.txt"),
        (".tar.gz", _targz, "../evil.txt"),
        (".tar.gz", _targz, "/tmp/evil.txt"),
        (".zip", _zip, "ok/../../evil.txt"),
    ],
)
def test_unsafe_archive_members_are_refused(
    tmp_path: Path, suffix: str, pack, member: str
) -> None:  # type: ignore[no-untyped-def]
    archive = tmp_path / "dl" / f"bad{suffix}"
    archive.parent.mkdir()
    archive.write_bytes(pack({"saved_model.pb": b"x", member: b"pwned"}))
    with pytest.raises(ModelSourceError, match="unsafe member path"):
        fetch_model(str(archive), sha256=None, cache_dir=tmp_path / "cache")
    assert not (tmp_path / "evil.txt").exists()
    assert not list((tmp_path / "cache").rglob("evil.txt"))


def test_archive_without_a_model(tmp_path: Path) -> None:
    archive = tmp_path / "empty.zip"
    archive.write_bytes(_zip({"README": b"nothing here"}))
    with pytest.raises(ModelSourceError, match="holds no SavedModel"):
        fetch_model(str(archive), sha256=None, cache_dir=tmp_path / "cache")


# --- One rule for "is this a URL, a path or a zoo name" -----------------------------

SOURCE_KIND_EXPECTED: tuple[tuple[str, str], ...] = (
    ("mnist_lenet", "name"),
    ("cifar10_resnet8", "name"),
    ("not_a_zoo_model", "name"),
    ("m.tflite", "path"),
    ("M.TFLITE", "path"),
    ("m.keras", "path"),
    ("m.h5", "path"),
    ("m.hdf5", "path"),
    ("m.zip", "path"),
    ("m.tar.gz", "path"),
    ("models/m.tflite", "path"),
    ("models/saved_model", "path"),
    ("./saved_model", "path"),
    ("saved_model/", "path"),
    ("/abs/dir", "path"),
    ("~/m.tflite", "path"),
    ("C:\\models\\m.tflite", "path"),
    ("http://example.com/m.tflite", "url"),
    ("https://example.com/m.zip", "url"),
    ("HTTPS://example.com/m", "url"),
    ("file:///tmp/m.tflite", "url"),
    ("ftp://example.com/m.tflite", "url"),
)


@pytest.mark.parametrize(("source", "kind"), SOURCE_KIND_EXPECTED)
def test_every_caller_agrees_on_the_source_kind(
    tmp_path: Path, source: str, kind: str
) -> None:
    from platformio_tinyml.config import TinyMLConfig
    from platformio_tinyml.model_sources import is_url, model_source_kind
    from platformio_tinyml.pio.plan import plan_generation
    from platformio_tinyml.pipeline import resolve_paths

    assert model_source_kind(source) == kind
    assert is_url(source) == (kind == "url")
    cfg = TinyMLConfig(model=source)
    project = tmp_path / "project"
    # The CLI and the build anchor exactly the local paths to the project.
    planned = plan_generation(
        {"custom_tinyml_model": source},
        project_dir=project,
        build_dir=project / ".pio/build/env",
        workspace_dir=project / ".pio",
        env_name="env",
        board=None,
        fingerprint=lambda _cfg, _dir: "",
    ).config.model
    for model in (resolve_paths(cfg, project).model, planned):
        if kind == "path":
            assert Path(model).is_absolute() and Path(model).name, (source, model)
            if not Path(source).expanduser().is_absolute():
                assert model.startswith(str(project.resolve())), (source, model)
        else:
            assert model == source


def test_unsupported_url_scheme_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ModelSourceError, match="unsupported scheme 'ftp'.*https://"):
        fetch_model(
            "ftp://example.com/m.tflite", sha256=PAYLOAD_SHA, cache_dir=tmp_path
        )


def test_a_bare_name_that_is_no_zoo_model_suggests_a_path(tmp_path: Path) -> None:
    from platformio_tinyml.config import TinyMLConfig
    from platformio_tinyml.errors import ConfigError
    from platformio_tinyml.pipeline import generate

    with pytest.raises(ConfigError, match=r"'./saved_model'"):
        generate(
            TinyMLConfig(model="saved_model"),
            tmp_path / "out",
            cache_dir=tmp_path / "cache",
        )
