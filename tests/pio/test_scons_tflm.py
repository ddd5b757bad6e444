# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.pio.scons_tflm: online install (mocked), kernels."""

from __future__ import annotations

import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest

from platformio_tinyml.errors import ConfigError, DependencyError
from platformio_tinyml.pio.scons_tflm import PINNED_DEPS, install_tflm, resolve_kernels
from platformio_tinyml.tflm_sources import TflmTree

PATCH = """\
--- a/include/flatbuffers/base.h
+++ b/include/flatbuffers/base.h
@@ -1 +1 @@
-#define FLATBUFFERS_DEFAULT_ALLOCATOR 1
+#define FLATBUFFERS_DEFAULT_ALLOCATOR 0
"""


@dataclass
class _Pkg:
    path: str


class FakePackageManager:
    """Stands in for the network side of PlatformIO's LibraryPackageManager."""

    def __init__(self, root: Path, fail: str | None = None) -> None:
        self.root = root
        self.fail = fail
        self.specs: list[str] = []

    def install(self, spec: str, **kwargs: Any) -> _Pkg:
        self.specs.append(spec)
        name = spec.split("=", 1)[0]
        if name == self.fail:
            raise RuntimeError("HTTPClientError")
        path = self.root / name
        if name == "tflite-micro":
            patch = path / "tensorflow/lite/micro/tools/make/flatbuffers.patch"
            patch.parent.mkdir(parents=True, exist_ok=True)
            patch.write_text(PATCH)
        if name == "flatbuffers":
            base = path / "include/flatbuffers/base.h"
            base.parent.mkdir(parents=True, exist_ok=True)
            if not base.exists():
                base.write_text("#define FLATBUFFERS_DEFAULT_ALLOCATOR 1\n")
        path.mkdir(parents=True, exist_ok=True)
        return _Pkg(str(path))


def test_install_uses_pinned_git_commits_and_patches(tmp_path: Path) -> None:
    if shutil.which("patch") is None:
        pytest.skip("the 'patch' tool is not installed")
    pm = FakePackageManager(tmp_path / "deps")
    tree = install_tflm(tmp_path / "deps", package_manager=pm)
    assert pm.specs == [
        "tflite-micro=https://github.com/tensorflow/tflite-micro/archive/"
        "90b983c2b3f1480642e040bbd2ddb37b998f3424.tar.gz",
        "flatbuffers=https://github.com/google/flatbuffers/archive/"
        "187240970746d00bbd26b0f5873ed54d2477f9f3.tar.gz",
        "gemmlowp=https://github.com/google/gemmlowp/archive/"
        "719139ce755a0f31cbf1c37f7f98adcc7fc9f425.tar.gz",
        "ruy=https://github.com/google/ruy/archive/"
        "d37128311b445e758136b8602d1bbd2a755e115d.tar.gz",
        "cmsis_nn=https://github.com/ARM-software/CMSIS-NN/archive/"
        "4ab83cc3cc98fb85ed6dafb55e8ca02f1628dcae.tar.gz",
    ]
    assert tree == TflmTree(
        root=tmp_path / "deps/tflite-micro",
        flatbuffers=tmp_path / "deps/flatbuffers",
        gemmlowp=tmp_path / "deps/gemmlowp",
        ruy=tmp_path / "deps/ruy",
        cmsis_nn=tmp_path / "deps/cmsis_nn",
    )
    base = tmp_path / "deps/flatbuffers/include/flatbuffers/base.h"
    assert base.read_text() == "#define FLATBUFFERS_DEFAULT_ALLOCATOR 0\n"
    # A second install (cached packages) must not apply the patch twice.
    install_tflm(tmp_path / "deps", package_manager=pm)
    assert base.read_text() == "#define FLATBUFFERS_DEFAULT_ALLOCATOR 0\n"


def test_install_failure_names_the_package(tmp_path: Path) -> None:
    pm = FakePackageManager(tmp_path / "deps", fail="ruy")
    with pytest.raises(
        DependencyError, match="cannot install 'ruy=.*custom_tinyml_tflm_dir"
    ):
        install_tflm(tmp_path / "deps", package_manager=pm)


def test_pins_match_the_local_checkout() -> None:
    """Each pin equals what the local tflite-micro checkout's scripts download."""
    import re

    from platformio_tinyml.errors import TinyMLError
    from platformio_tinyml.tflm_sources import locate_tflm

    assert [d.name for d in PINNED_DEPS] == [
        "tflite-micro",
        "flatbuffers",
        "gemmlowp",
        "ruy",
        "cmsis_nn",
    ]
    try:
        tree = locate_tflm(None)
    except TinyMLError as exc:
        pytest.skip(f"tflite-micro sources unusable: {exc}")
    if tree is None:
        pytest.skip("no tflite-micro checkout at $TINYML_TFLM_DIR or the default place")
    make = tree.root / "tensorflow" / "lite" / "micro" / "tools" / "make"
    downloads = (make / "third_party_downloads.inc").read_text()
    cmsis = (make / "ext_libs" / "cmsis_nn_download.sh").read_text()
    pins = {d.name: d.commit for d in PINNED_DEPS}
    assert f"gemmlowp/archive/{pins['gemmlowp']}.zip" in downloads
    assert f"ruy/archive/{pins['ruy']}.zip" in downloads
    assert f'ZIP_PREFIX_NN="{pins["cmsis_nn"]}"' in cmsis
    # flatbuffers is pinned by tag upstream: the checkout's headers carry it.
    tag = re.search(
        r'ZIP_PREFIX="v([0-9.]+)"', (make / "flatbuffers_download.sh").read_text()
    )
    assert tag is not None
    base = (tree.flatbuffers / "include" / "flatbuffers" / "base.h").read_text()
    version = ".".join(
        re.search(rf"FLATBUFFERS_VERSION_{part} (\d+)", base).group(1)  # type: ignore[union-attr]
        for part in ("MAJOR", "MINOR", "REVISION")
    )
    assert version == tag.group(1)
    assert (
        "v" + version
        in Path(__file__)
        .parents[2]
        .joinpath("platformio_tinyml", "pio", "scons_tflm.py")
        .read_text()
    )
    git_head = tree.root / ".git" / "HEAD"
    if git_head.is_file():  # a git checkout: its commit is the tflite-micro pin
        import subprocess

        head = subprocess.run(
            ["git", "-C", str(tree.root), "rev-parse", "HEAD"],
            capture_output=True,
            text=True,
        ).stdout.strip()
        assert head == pins["tflite-micro"]


def test_resolve_kernels(tmp_path: Path) -> None:
    tree = TflmTree(tmp_path, tmp_path, tmp_path, tmp_path, cmsis_nn=tmp_path)
    m7 = ["-mcpu=cortex-m7", "-mthumb"]
    assert resolve_kernels("auto", m7, tree) == "cmsis_nn"
    assert resolve_kernels("auto", [], tree) == "reference"
    no_nn = TflmTree(tmp_path, tmp_path, tmp_path, tmp_path, cmsis_nn=None)
    assert resolve_kernels("auto", m7, no_nn) == "reference"
    assert resolve_kernels("Reference", m7, tree) == "reference"
    with pytest.raises(ConfigError, match="custom_tinyml_kernels 'fast'"):
        resolve_kernels("fast", m7, tree)


def test_tflm_option_selects_the_source(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """custom_tinyml_tflm: off never builds; auto and download install when no
    checkout is found; local without one stops with one line."""
    from platformio_tinyml import tflm_sources
    from platformio_tinyml.pio import scons, scons_tflm
    from platformio_tinyml.pio.plan import plan_generation

    monkeypatch.delenv("TINYML_TFLM_DIR", raising=False)
    monkeypatch.setattr(tflm_sources, "DEFAULT_DIR", tmp_path / "no-checkout")
    installed: list[Path] = []
    fake_tree = object()
    offline = False

    def fake_install(deps_dir: Path) -> object:  # the network boundary
        installed.append(deps_dir)
        if offline:
            raise DependencyError("cannot install 'tflite-micro=...' (offline)")
        return fake_tree

    monkeypatch.setattr(scons_tflm, "install_tflm", fake_install)

    def plan(**options: str):  # type: ignore[no-untyped-def]
        values = {f"custom_tinyml_{k}": v for k, v in options.items()}
        return plan_generation(
            values,
            project_dir=tmp_path,
            build_dir=tmp_path / "build",
            workspace_dir=tmp_path / "ws",
            env_name="e",
            board=None,
            fingerprint=lambda *_: "x",
        )

    assert scons._tflm_tree(plan(tflm="off"), None) is None
    assert installed == []
    with pytest.raises(DependencyError, match="custom_tinyml_tflm = local but no"):
        scons._tflm_tree(plan(tflm="local"), None)
    assert installed == []
    assert scons._tflm_tree(plan(tflm="download"), None) is fake_tree
    assert scons._tflm_tree(plan(), None) is fake_tree  # auto, the default
    assert installed == [tmp_path / "ws" / "tinyml" / "deps"] * 2
    offline = True
    with pytest.raises(DependencyError) as info:
        scons._tflm_tree(plan(), None)
    message = str(info.value)
    assert "\n" not in message
    assert "no tflite-micro checkout found" in message
    assert "set TINYML_TFLM_DIR" in message and "(offline)" in message
    count = len(installed)
    # The compiled model needs no TFLM: none is looked for, even a named one.
    assert scons._tflm_tree(plan(tflm="download", runtime="aot"), None) is None
    aot_stamp = _stamp(runtime="aot")
    assert scons._tflm_tree(plan(tflm="download"), aot_stamp) is None
    assert scons._tflm_tree(plan(tflm_dir=str(tmp_path / "empty")), aot_stamp) is None
    assert len(installed) == count
    offline = False
    assert scons._tflm_tree(plan(tflm="download"), None) is fake_tree
    assert scons._tflm_tree(plan(tflm="download"), _stamp(runtime="tflm")) is fake_tree


def _stamp(runtime: str):  # type: ignore[no-untyped-def]
    from platformio_tinyml.pio.plan import GenerationSummary, Stamp

    summary = GenerationSummary("m", 1, 16, 16, ("SOFTMAX",), None, runtime, "")
    return Stamp("x", (), (), (), summary)
