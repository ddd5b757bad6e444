# SPDX-License-Identifier: Apache-2.0
"""Tests for devtools.stm32_packages, run as the developer runs it: a subprocess with
the repository root as working directory.

Small fake git mirrors stand in for the upstream repositories (same layout: bare
``<owner>+<name>/repo``, release tags, submodules as gitlinks with a ``.gitmodules``),
so the test runs everywhere; tests/pio/test_board_builds.py uses the real mirrors.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[2]

pytestmark = pytest.mark.skipif(
    shutil.which("git") is None, reason="git is not installed"
)


def _tool(
    *args: str, env: dict[str, str] | None = None
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "devtools.stm32_packages", *args],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=False,
        env=env,
        timeout=300,
    )


def _git(repo: Path, *args: str) -> str:
    env = {
        **os.environ,
        "GIT_AUTHOR_NAME": "t",
        "GIT_AUTHOR_EMAIL": "t@example.com",
        "GIT_COMMITTER_NAME": "t",
        "GIT_COMMITTER_EMAIL": "t@example.com",
    }
    return subprocess.run(
        ["git", "-C", str(repo), *args],
        capture_output=True,
        text=True,
        check=True,
        env=env,
    ).stdout.strip()


def _mirror(
    mirrors: Path,
    name: str,
    files: dict[str, str],
    tag: str | None = None,
    gitlinks: dict[str, tuple[str, str]] | None = None,
) -> str:
    """A bare mirror of a one-commit repository; returns the commit id."""
    work = mirrors.parent / "work" / name.replace("/", "+")
    work.mkdir(parents=True)
    _git(work, "init", "-q")
    for rel, text in files.items():
        (work / rel).parent.mkdir(parents=True, exist_ok=True)
        (work / rel).write_text(text)
    _git(work, "add", "-A")
    if gitlinks:
        modules = "".join(
            f'[submodule "{path}"]\n\tpath = {path}\n\turl = https://github.com/{repo}.git\n'
            for path, (repo, _) in gitlinks.items()
        )
        (work / ".gitmodules").write_text(modules)
        _git(work, "add", ".gitmodules")
        for path, (_, commit) in gitlinks.items():
            _git(
                work, "update-index", "--add", "--cacheinfo", f"160000,{commit},{path}"
            )
    _git(work, "commit", "-q", "-m", "release")
    if tag:
        _git(work, "tag", tag)
    bare = mirrors / name.replace("/", "+", 1) / "repo"
    bare.parent.mkdir(parents=True)
    subprocess.run(["git", "clone", "-q", "--mirror", str(work), str(bare)], check=True)
    return _git(work, "rev-parse", "HEAD")


def _spec() -> dict[str, object]:
    code = (
        "import json, devtools.stm32_packages as m\n"
        "print(json.dumps({'cubes': [c.__dict__ for c in m.CUBES],"
        " 'ldscripts': m.LDSCRIPTS, 'platform_ref': m.PLATFORM_REF,"
        " 'unity_ref': m.UNITY_REF}))\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code],
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    return json.loads(out.stdout)


@pytest.fixture(scope="module")
def fake_mirrors(tmp_path_factory: pytest.TempPathFactory) -> Path:
    root = tmp_path_factory.mktemp("fake") / "mirrors"
    spec = _spec()
    _mirror(
        root,
        "platformio/platform-ststm32",
        {
            "platform.json": json.dumps({"name": "ststm32", "version": "19.6.0"}),
            "builder/main.py": "# builder\n",
            "misc/svd/STM32F7x6.svd": "<device/>\n",
        },
        tag=str(spec["platform_ref"]),
    )
    _mirror(
        root,
        "ThrowTheSwitch/Unity",
        {
            "library.json": '{\n# comment\n"name": "Unity", "version": "0"\n}\n',
            "src/unity.c": "int unity;\n",
        },
        tag=str(spec["unity_ref"]),
    )
    ldscripts: dict[str, dict[str, str]] = {}
    for repo, src, _dest in spec["ldscripts"]:  # type: ignore[attr-defined]
        ldscripts.setdefault(repo, {})[src] = f"/* {src} */\n"
    for cube in spec["cubes"]:  # type: ignore[attr-defined]
        family = cube["family"].upper()
        links = {}
        for i, path in enumerate(cube["submodules"]):
            repo = f"STMicroelectronics/sub-{cube['family']}-{i}"
            files = {"README.md": path}
            if path.endswith(f"STM32{family}xx_HAL_Driver"):
                files[f"Inc/stm32{cube['family']}xx_hal_conf_template.h"] = (
                    "/* conf */\n"
                )
            if path.startswith("Drivers/CMSIS/Device"):
                files["Source/Templates/gcc/startup_stm32x.s"] = "@ startup\n"
            for drop in cube["drop"]:
                if drop.startswith(path + "/"):
                    files[drop[len(path) + 1 :]] = "/* dropped */\n"
            commit = _mirror(root, repo, files)
            if i == 0:  # a mirror that lacks the pinned commit: its HEAD is used
                commit = "1" * 40
            links[path] = (repo, commit)
        files = {f"{tree}/x.h": "/* tree */\n" for tree in cube["trees"]}
        files.update(ldscripts[cube["repo"]])
        _mirror(root, cube["repo"], files, tag=cube["ref"], gitlinks=links)
    return root


@pytest.mark.skipif(
    shutil.which("arm-none-eabi-gcc") is None,
    reason="the toolchain package wraps arm-none-eabi-gcc, which is not installed",
)
def test_assemble_from_fake_mirrors(fake_mirrors: Path, tmp_path: Path) -> None:
    core = tmp_path / "core"
    proc = _tool("--mirrors", str(fake_mirrors), "--core-dir", str(core))
    assert proc.returncode == 0, proc.stderr
    packages = core / "packages"
    spec = _spec()
    for cube in spec["cubes"]:  # type: ignore[attr-defined]
        pkg = packages / f"framework-stm32cube{cube['family']}"
        manifest = json.loads((pkg / "package.json").read_text())
        assert manifest["version"] == cube["ref"].removeprefix("v")
        piopm = json.loads((pkg / ".piopm").read_text())
        assert piopm["spec"]["owner"] == "platformio" and piopm["type"] == "framework"
        for path in cube["submodules"]:
            assert (pkg / path / "README.md").read_text() == path
        for drop in cube["drop"]:
            assert not (pkg / drop).exists(), drop
        family = cube["family"]
        hal = pkg / f"Drivers/STM32{family.upper()}xx_HAL_Driver/Inc"
        assert (hal / f"stm32{family}xx_hal_conf.h").read_text() == "/* conf */\n"
        device = pkg / cube["submodules"][0] / "Source/Templates/gcc"
        assert [p.name for p in device.iterdir()] == ["startup_stm32x.S"]
        sources = (pkg / "SOURCES.txt").read_text()
        assert f"pinned={'1' * 40} used=" in sources  # the HEAD fallback is recorded
    platform = core / "platforms" / "ststm32"
    assert json.loads((platform / ".piopm").read_text())["version"] == "19.6.0"
    assert (platform / "builder/main.py").is_file()
    assert not (platform / "misc").exists()
    for _repo, src, dest in spec["ldscripts"]:  # type: ignore[attr-defined]
        text = (packages / "tool-ldscripts-ststm32" / dest).read_text()
        assert text == f"/* {src} */\n"
    toolchain = packages / "toolchain-gccarmnoneeabi"
    gcc = toolchain / "bin" / "arm-none-eabi-gcc"
    version = subprocess.run(
        [str(gcc), "-dumpfullversion"], capture_output=True, text=True, check=True
    ).stdout.strip()
    major, minor, patch = (int(x) for x in (version.split(".") + ["0"])[:3])
    pio_version = json.loads((toolchain / "package.json").read_text())["version"]
    assert pio_version == f"1.{major}{minor:02d}{patch:02d}.0"
    assert (packages / "tool-scons" / "scons.py").is_file()
    # PlatformIO itself accepts every package.
    listing = subprocess.run(
        [sys.executable, "-m", "platformio", "pkg", "list", "-g"],
        capture_output=True,
        text=True,
        check=False,
        env={
            **os.environ,
            "PLATFORMIO_CORE_DIR": str(core),
            "PLATFORMIO_DISABLE_UPGRADE_CHECK": "true",
            "PLATFORMIO_SETTING_ENABLE_TELEMETRY": "no",
        },
    )
    assert listing.returncode == 0, listing.stderr
    for name in (
        "ststm32 @ 19.6.0",
        "framework-stm32cubef7 @ 1.17.2",
        "framework-stm32cubeh7 @ 1.12.1",
        "tool-ldscripts-ststm32 @ 0.2.0",
        f"toolchain-gccarmnoneeabi @ {pio_version}",
    ):
        assert name in listing.stdout, listing.stdout


def test_missing_mirror_is_one_line_with_exit_code_2(tmp_path: Path) -> None:
    proc = _tool("--mirrors", str(tmp_path / "none"), "--core-dir", str(tmp_path / "c"))
    assert proc.returncode == 2
    assert proc.stderr.strip().count("\n") == 0
    assert "missing mirror of platformio/platform-ststm32" in proc.stderr
    assert not (tmp_path / "c").exists()  # nothing written before the check


def test_seed_unity(fake_mirrors: Path, tmp_path: Path) -> None:
    proc = _tool("seed-unity", "--mirrors", str(fake_mirrors), str(tmp_path), "a", "b")
    assert proc.returncode == 0, proc.stderr
    for env in ("a", "b"):
        unity = tmp_path / ".pio" / "libdeps" / env / "Unity"
        assert json.loads((unity / "library.json").read_text()) == {
            "name": "Unity",
            "version": "2.6.1",
        }
        piopm = json.loads((unity / ".piopm").read_text())
        assert piopm["spec"]["owner"] == "throwtheswitch"
        assert piopm["spec"]["requirements"] == "^2.6.1"
        assert (unity / "src" / "unity.c").is_file()
