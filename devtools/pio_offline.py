# SPDX-License-Identifier: Apache-2.0
"""Run PlatformIO without its registry: provide ``tool-scons`` and offline env vars."""

from __future__ import annotations

import json
import re
import shutil
from pathlib import Path

from platformio_tinyml.errors import DependencyError, TinyMLError
from platformio_tinyml.fileio import write_atomic

TOOL_SCONS = "tool-scons"

_LAUNCHER = (
    "import os, sys\n"
    "here = os.path.dirname(os.path.abspath(__file__))\n"
    "sys.path.insert(0, os.path.join(here, {lib!r}))\n"
    "import SCons.Script\n"
    "if __name__ == '__main__':\n"
    "    SCons.Script.main()\n"
)


def offline_env(core_dir: Path | None = None) -> dict[str, str]:
    """Environment variables that keep ``pio`` off the network.

    Args:
        core_dir: the PlatformIO core dir to use; None keeps PlatformIO's default.

    Returns:
        Variables to merge into ``os.environ`` (or a subprocess ``env``).
    """
    env = {
        "PLATFORMIO_DISABLE_UPGRADE_CHECK": "true",
        "PLATFORMIO_SETTING_ENABLE_TELEMETRY": "no",
    }
    if core_dir is not None:
        env["PLATFORMIO_CORE_DIR"] = str(Path(core_dir).resolve())
    return env


def encode_scons_version(version: str) -> str:
    """PlatformIO's package version for SCons ``X.Y.Z``: ``X.XYYZZ.0``.

    >>> encode_scons_version("4.11.1")
    '4.41101.0'
    """
    parts = (version.split("+")[0].split(".") + ["0", "0"])[:3]
    try:
        major, minor, patch = (int(p) for p in parts)
    except ValueError:
        raise TinyMLError(
            f"SCons version '{version}' is not X.Y.Z; reinstall it with: "
            "pip install scons==4.11.1"
        ) from None
    return f"{major}.{major}{minor:02d}{patch:02d}.0"


def provision_tool_scons(core_dir: Path | None = None, *, force: bool = False) -> Path:
    """Install PlatformIO's core package ``tool-scons`` from the PyPI ``scons`` package.

    PlatformIO downloads ``tool-scons`` from its registry before every build. This
    repackages the ``scons`` installed next to PlatformIO instead, so that ``pio run``
    and ``pio test`` work without the registry. Idempotent: an accepted package is
    kept unless ``force``.

    Args:
        core_dir: PlatformIO core dir (``PLATFORMIO_CORE_DIR``); None uses the one
            PlatformIO itself would use.
        force: reinstall even when PlatformIO already accepts the package.

    Returns:
        The package directory (``<core_dir>/packages/tool-scons``).

    Raises:
        DependencyError: platformio or scons is not importable.
        TinyMLError: PlatformIO does not accept the package that was written.
    """
    try:
        import SCons
        from platformio.dependencies import get_core_dependencies
        from platformio.package.manager.tool import ToolPackageManager
        from platformio.package.meta import PackageSpec
    except ImportError as exc:
        raise DependencyError(
            f"'{exc.name}' is not importable ({exc}); install it with: "
            "pip install 'platformio-tinyml[pio]'"
        ) from exc

    requirement = str(get_core_dependencies()[TOOL_SCONS])
    pio_version = re.sub(r"^[^\d]*", "", requirement)
    scons_version = str(SCons.__version__).split("+")[0]
    package_dir = (
        Path(core_dir).resolve() / "packages" if core_dir is not None else None
    )
    manager = ToolPackageManager(str(package_dir) if package_dir else None)
    spec = PackageSpec(owner="platformio", name=TOOL_SCONS, requirements=requirement)
    found = manager.get_package(spec)
    if found and not force:
        return Path(found.path)

    pkg_dir = Path(manager.package_dir) / TOOL_SCONS
    if pkg_dir.exists():
        shutil.rmtree(pkg_dir)
    lib_name = f"scons-local-{scons_version}"
    shutil.copytree(
        Path(SCons.__file__).parent,
        pkg_dir / lib_name / "SCons",
        ignore=shutil.ignore_patterns("__pycache__", "docbook-xsl-*"),
    )
    write_atomic(pkg_dir / "scons.py", _LAUNCHER.format(lib=lib_name).encode())
    manifest = {
        "name": TOOL_SCONS,
        "version": pio_version,
        "system": "*",
        "description": f"SCons {scons_version} from PyPI, repackaged offline",
    }
    write_atomic(pkg_dir / "package.json", json.dumps(manifest, indent=2).encode())
    # .piopm is PlatformIO's install metadata; core looks for owner "platformio".
    meta = {
        "type": "tool",
        "name": TOOL_SCONS,
        "version": pio_version,
        "spec": {
            "owner": "platformio",
            "id": None,
            "name": TOOL_SCONS,
            "requirements": None,
            "uri": None,
        },
    }
    write_atomic(pkg_dir / ".piopm", json.dumps(meta).encode())
    write_atomic(pkg_dir / ".piokeep", b"")  # never pruned by `pio system prune`

    manager.memcache_reset()
    if not manager.get_package(spec):
        raise TinyMLError(
            f"PlatformIO does not accept the repackaged '{TOOL_SCONS}' at '{pkg_dir}' "
            f"(wants {requirement}, scons {scons_version} is "
            f"{encode_scons_version(scons_version)}); install "
            "platformio==6.2.0 and scons==4.11.1"
        )
    return pkg_dir
