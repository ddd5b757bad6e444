# SPDX-License-Identifier: Apache-2.0
"""custom_tinyml_tflm = download through PlatformIO's real package manager.

The pinned source archives are served from ``file://`` URLs: made with ``git archive``
from mirrors of the upstream repositories at the pinned commits, the same content
GitHub's ``archive/<commit>.tar.gz`` serves. The package manager unpacks and
installs them as it does downloads. Skipped when the mirrors
(``$TINYML_MIRRORS_DIR``, bare git dirs ``<owner>+<name>/repo``) are absent.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
from pathlib import Path

import pytest

from platformio_tinyml.errors import DependencyError
from platformio_tinyml.pio.scons_tflm import PINNED_DEPS, SOURCE_BASE_ENV, install_tflm

pytest.importorskip("platformio", reason="the download test needs PlatformIO")

MIRROR_OF = {
    "tflite-micro": "tensorflow/tflite-micro",
    "flatbuffers": "google/flatbuffers",
    "gemmlowp": "google/gemmlowp",
    "ruy": "google/ruy",
    "cmsis_nn": "ARM-software/CMSIS-NN",
}


def _mirror(repo: str) -> Path | None:
    base = os.environ.get("TINYML_MIRRORS_DIR", "").strip()
    if not base:
        return None
    owner, name = repo.split("/")
    path = Path(base) / f"{owner}+{name}" / "repo"
    return path if path.is_dir() else None


def _git(*args: str, cwd: Path | None = None) -> None:
    subprocess.run(["git", *args], cwd=cwd, check=True, capture_output=True)


@pytest.fixture(scope="module")
def pinned_archives(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """``<dir>/<name>-<commit>.tar.gz`` of each pinned commit, as GitHub makes them."""
    if shutil.which("git") is None or shutil.which("patch") is None:
        pytest.skip("git and patch are needed to install the pinned sources")
    missing = [repo for repo in MIRROR_OF.values() if _mirror(repo) is None]
    if missing:
        pytest.skip(
            f"no git mirror of {', '.join(missing)} under $TINYML_MIRRORS_DIR "
            "(bare repositories <owner>+<name>/repo)"
        )
    root = tmp_path_factory.mktemp("pinned-archives")
    for dep in PINNED_DEPS:
        mirror = _mirror(MIRROR_OF[dep.name])
        assert mirror is not None
        repo = MIRROR_OF[dep.name].split("/")[1]
        _git(
            f"--git-dir={mirror}",
            "archive",
            "--format=tar.gz",
            f"--prefix={repo}-{dep.commit}/",
            f"--output={root / dep.archive_name}",
            dep.commit,
        )
    return root


def test_download_installs_the_pinned_commits_with_platformio(
    pinned_archives: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SOURCE_BASE_ENV, f"file://{pinned_archives}")
    monkeypatch.setenv("PLATFORMIO_CORE_DIR", str(tmp_path / "core"))
    deps = tmp_path / "deps"
    tree = install_tflm(deps)
    for dep in PINNED_DEPS:
        installed = deps / dep.name
        assert installed.is_dir(), dep.name
        # PlatformIO records what it installed: the pinned commit's archive.
        meta = json.loads((installed / ".piopm").read_text())
        assert meta["spec"]["uri"] == f"file://{pinned_archives / dep.archive_name}"
    assert tree.root == deps / "tflite-micro"
    assert (tree.root / "tensorflow/lite/micro/micro_interpreter.h").is_file()
    assert tree.cmsis_nn is not None
    assert (tree.cmsis_nn / "Include/arm_nnfunctions.h").is_file()
    assert (tree.flatbuffers / ".tinyml-patched").is_file()
    assert (tree.flatbuffers / "include/flatbuffers/flatbuffers.h").is_file()
    # A second install reuses the packages and does not patch twice.
    again = install_tflm(deps)
    assert again == tree


def test_download_without_the_repositories_fails_with_one_line(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(SOURCE_BASE_ENV, f"file://{tmp_path / 'nowhere'}")
    monkeypatch.setenv("PLATFORMIO_CORE_DIR", str(tmp_path / "core"))
    with pytest.raises(DependencyError) as info:
        install_tflm(tmp_path / "deps")
    message = str(info.value)
    assert "\n" not in message
    assert f"cannot install 'tflite-micro=file://{tmp_path}/nowhere/" in message
