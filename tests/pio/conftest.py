# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the PlatformIO tests: an offline core dir and real `pio` projects."""

from __future__ import annotations

import hashlib
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from types import ModuleType

import pytest

from devtools.pio_offline import offline_env, provision_tool_scons

REPO = Path(__file__).resolve().parents[2]
PROJECTS = Path(__file__).resolve().parent / "projects"
PIO_TIMEOUT_S = 600


@dataclass(frozen=True)
class PioRun:
    """One finished `pio` invocation."""

    args: tuple[str, ...]
    returncode: int
    stdout: str
    stderr: str
    seconds: float

    @property
    def output(self) -> str:
        return self.stdout + self.stderr


def _have_platformio() -> bool:
    try:
        import platformio  # noqa: F401
        import SCons  # noqa: F401
    except ImportError:
        return False
    return True


@pytest.fixture(scope="session")
def piotools() -> ModuleType:
    """This module: its helpers (run_pio, make_project, ...) for the test modules."""
    return sys.modules[__name__]


@pytest.fixture(scope="session")
def pio_env(tmp_path_factory: pytest.TempPathFactory) -> dict[str, str]:
    """Process environment for `pio`: a private core dir with tool-scons, offline."""
    if not _have_platformio():
        pytest.skip(
            "platformio/scons not installed (pip install 'platformio-tinyml[pio]')"
        )
    if shutil.which("g++") is None:
        pytest.skip("host g++ not on PATH; the tinyml-hostgcc platform needs it")
    core = tmp_path_factory.mktemp("pio-core")
    provision_tool_scons(core)
    env = dict(os.environ)
    env.update(offline_env(core))
    env.pop("TINYML_DEBUG", None)
    env["PYTHONDONTWRITEBYTECODE"] = "1"  # keep __pycache__ out of the checkout
    return env


def run_pio(
    env: dict[str, str],
    project: Path,
    *args: str,
    extra_env: dict[str, str] | None = None,
) -> PioRun:
    """Run `python -m platformio <args>` in ``project`` (same Python as the tests)."""
    cmd = [sys.executable, "-m", "platformio", *args]
    start = time.monotonic()
    proc = subprocess.run(
        cmd,
        cwd=project,
        env={**env, **(extra_env or {})},
        capture_output=True,
        text=True,
        timeout=PIO_TIMEOUT_S,
    )
    return PioRun(
        tuple(args), proc.returncode, proc.stdout, proc.stderr, time.monotonic() - start
    )


def start_pio(env: dict[str, str], project: Path, *args: str) -> subprocess.Popen[str]:
    """Start `pio` without waiting (for concurrent builds)."""
    return subprocess.Popen(
        [sys.executable, "-m", "platformio", *args],
        cwd=project,
        env=env,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def make_project(dest: Path, template: str = "host_ascii", **ini: str) -> Path:
    """Copy a test project and write its platformio.ini (``{repo}`` filled in).

    Keyword arguments replace ``custom_tinyml_<key> = ...`` lines or add new ones.
    """
    shutil.copytree(PROJECTS / template, dest, ignore=shutil.ignore_patterns("*.in"))
    text = (PROJECTS / template / "platformio.ini.in").read_text()
    text = text.replace("{repo}", str(REPO))
    for key, value in ini.items():
        text = set_ini_option(text, key, value)
    (dest / "platformio.ini").write_text(text)
    return dest


def set_ini_option(text: str, key: str, value: str) -> str:
    """Set ``key = value`` in the ``[env]`` section of an ini text."""
    lines = text.splitlines()
    for i, line in enumerate(lines):
        if line.split("=", 1)[0].strip() == key:
            lines[i] = f"{key} = {value}"
            return "\n".join(lines) + "\n"
    at = lines.index("[env]") + 1
    lines.insert(at, f"{key} = {value}")
    return "\n".join(lines) + "\n"


def tree_hashes(project: Path) -> dict[str, str]:
    """sha256 of the user's files: platformio.ini, src/ and include/."""
    out = {}
    for path in sorted(project.rglob("*")):
        rel = path.relative_to(project)
        if rel.parts[0] not in ("src", "include", "platformio.ini", "test"):
            continue
        if path.is_file():
            out[rel.as_posix()] = hashlib.sha256(path.read_bytes()).hexdigest()
    return out


@dataclass
class SessionProject:
    """One project shared by the build tests, so the model is trained only once."""

    path: Path
    env: dict[str, str]
    user_hashes: dict[str, str]
    first_runs: dict[str, PioRun]  # the concurrent first builds of host and host2

    def run(self, *args: str) -> PioRun:
        return run_pio(self.env, self.path, *args)


@pytest.fixture(scope="session")
def session_project(
    pio_env: dict[str, str], tmp_path_factory: pytest.TempPathFactory
) -> Iterator[SessionProject]:
    """The host project after its first build: `host` and `host2` built at once.

    Two processes build two environments of one project with an empty cache, so
    one trains while the other waits on the cache lock and then reuses the model.
    """
    project = make_project(tmp_path_factory.mktemp("session") / "host_ascii")
    hashes = tree_hashes(project)
    procs = {
        name: start_pio(pio_env, project, "run", "-e", name)
        for name in ("host", "host2")
    }
    runs = {}
    for name, proc in procs.items():
        start = time.monotonic()
        out, err = proc.communicate(timeout=PIO_TIMEOUT_S)
        runs[name] = PioRun(
            ("run", "-e", name), proc.returncode, out, err, time.monotonic() - start
        )
    for name, run in runs.items():
        if run.returncode != 0:
            pytest.fail(f"first build of env:{name} failed:\n{run.output[-4000:]}")
    yield SessionProject(project, pio_env, hashes, runs)
