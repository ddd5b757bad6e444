# SPDX-License-Identifier: Apache-2.0
"""Assemble, offline, the PlatformIO packages the STM32 examples' board envs need.

``pio run -e disco_f746ng`` / ``-e disco_h747xi`` (``platform = ststm32``,
``framework = stm32cube``) need the ``ststm32`` platform, ``framework-stm32cubef7`` /
``framework-stm32cubeh7``, ``tool-ldscripts-ststm32``, ``toolchain-gccarmnoneeabi``
and ``tool-scons``; ``pio run`` on a project with ``test/`` suites also needs Unity.
Without the PlatformIO registry they are built here from local bare git mirrors of
the upstream repositories (``<mirrors>/<owner>+<name>/repo``), Debian's
``arm-none-eabi-gcc`` and PyPI's ``scons``. Nothing is downloaded and nothing of
the upstream code is kept in this repository.

Usage::

    python -m devtools.stm32_packages --mirrors DIR --core-dir CORE
    python -m devtools.stm32_packages seed-unity --mirrors DIR PROJECT ENV [ENV...]
    PLATFORMIO_CORE_DIR=CORE pio run -d PROJECT -e disco_f746ng

The platform is upstream's, unchanged: its stm32cube toolchain requirement (GCC
7.2.1) is overridden by the examples' ``platform_packages`` pin (GCC 12.x), which the
toolchain package wrapping Debian's GCC 12.2.1 satisfies.
"""

from __future__ import annotations

import argparse
import json
import re
import shutil
import subprocess
import sys
import tarfile
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

PLATFORM_REPO = "platformio/platform-ststm32"
UNITY_REPO = "ThrowTheSwitch/Unity"
PLATFORM_REF = "v19.6.0"  # platform-ststm32 release the examples are built with
UNITY_REF = "v2.6.1"  # `pio run` installs throwtheswitch/Unity@^2.6.1


@dataclass(frozen=True)
class CubeSpec:
    """One STM32Cube framework package: the superproject and what to take from it."""

    family: str  # f7 or h7
    repo: str  # the superproject (owner/name)
    ref: str  # the release platform-ststm32 19.6.0 wants (~1.17.2 / ~1.12.1)
    submodules: tuple[str, ...]  # submodule paths to materialise at their pins
    trees: tuple[str, ...]  # plain directories of the superproject to copy
    drop: tuple[str, ...] = ()  # files left out (they cannot build from GitHub)

    @property
    def name(self) -> str:
        return f"framework-stm32cube{self.family}"


# The BSP of each DISCO board includes these components by relative path, and the
# stm32cube builder compiles every .c file of the selected BSP variant.
CUBES: tuple[CubeSpec, ...] = (
    CubeSpec(
        "f7",
        "STMicroelectronics/STM32CubeF7",
        "v1.17.2",
        (
            "Drivers/CMSIS/Device/ST/STM32F7xx",
            "Drivers/STM32F7xx_HAL_Driver",
            "Drivers/BSP/STM32746G-Discovery",
            "Drivers/BSP/Components/Common",
            "Drivers/BSP/Components/rk043fn48h",
            "Drivers/BSP/Components/wm8994",
            "Drivers/BSP/Components/ov9655",
            "Drivers/BSP/Components/n25q128a",
            "Drivers/BSP/Components/w25q128j",
            "Drivers/BSP/Components/ft5336",
        ),
        ("Drivers/CMSIS/Include", "Drivers/CMSIS/DSP/Include", "Utilities/Fonts"),
    ),
    CubeSpec(
        "h7",
        "STMicroelectronics/STM32CubeH7",
        "v1.12.1",
        (
            "Drivers/CMSIS/Device/ST/STM32H7xx",
            "Drivers/STM32H7xx_HAL_Driver",
            "Drivers/BSP/STM32H747I-DISCO",
            "Drivers/BSP/Components/Common",
            "Drivers/BSP/Components/wm8994",
            "Drivers/BSP/Components/ov5640",
            "Drivers/BSP/Components/ov9655",
            "Drivers/BSP/Components/adv7533",
            "Drivers/BSP/Components/nt35510",
            "Drivers/BSP/Components/otm8009a",
            "Drivers/BSP/Components/mt25tl01g",
            "Drivers/BSP/Components/is42s32800j",
            "Drivers/BSP/Components/ft6x06",
        ),
        ("Drivers/CMSIS/Include", "Drivers/CMSIS/DSP/Include", "Utilities/Fonts"),
        # ST does not publish PDM2PCM (pdm2pcm_glo.h), which the audio driver needs.
        (
            "Drivers/BSP/STM32H747I-DISCO/stm32h747i_discovery_audio.c",
            "Drivers/BSP/STM32H747I-DISCO/stm32h747i_discovery_audio.h",
        ),
    ),
)

# ST's own linker scripts, under the names stm32cube.py globs for
# (LDSCRIPTS_DIR/<mcu[0:7]>/^<MCU with X>.*_FLASH.ld$, the CPU match wins).
LDSCRIPTS: tuple[tuple[str, str, str], ...] = (
    (
        "STMicroelectronics/STM32CubeF7",
        "Projects/STM32746G-Discovery/Templates/SW4STM32/"
        "STM32746G_Discovery_AXIM-FLASH/STM32F746NGHx_FLASH.ld",
        "stm32f7/STM32F746NGHX_FLASH.ld",
    ),
    (
        "STMicroelectronics/STM32CubeH7",
        "Projects/STM32H747I-DISCO/Templates_LL/STM32CubeIDE/CM7/STM32H747XIHX_FLASH.ld",
        "stm32h7/STM32H747XIHX_CM7_FLASH.ld",
    ),
    (
        "STMicroelectronics/STM32CubeH7",
        "Projects/STM32H747I-DISCO/Templates_LL/STM32CubeIDE/CM4/STM32H747XIHX_FLASH.ld",
        "stm32h7/STM32H747XIHX_CM4_FLASH.ld",
    ),
)


class AssembleError(Exception):
    """A mirror, a ref or a tool is missing; the message says which."""


def _log(message: str) -> None:
    print(f"[stm32-packages] {message}", file=sys.stderr, flush=True)


# --- git --------------------------------------------------------------------------


def mirror_dir(mirrors: Path, repo: str) -> Path:
    """The bare git dir of ``owner/name`` under ``mirrors``."""
    owner, name = repo.split("/", 1)
    path = Path(mirrors) / f"{owner}+{name}" / "repo"
    if not path.is_dir():
        raise AssembleError(f"missing mirror of {repo} ({path}); fetch it first")
    return path


def _git(gitdir: Path, *args: str) -> str:
    proc = subprocess.run(
        ["git", f"--git-dir={gitdir}", *args],
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise AssembleError(
            f"git {' '.join(args)} in {gitdir} failed: {proc.stderr.strip()}"
        )
    return proc.stdout


def _has_commit(gitdir: Path, commit: str) -> bool:
    proc = subprocess.run(
        ["git", f"--git-dir={gitdir}", "cat-file", "-e", f"{commit}^{{commit}}"],
        capture_output=True,
        check=False,
    )
    return proc.returncode == 0


def extract(gitdir: Path, treeish: str, dest: Path) -> None:
    """Write the tree ``treeish`` (``ref``, ``ref:path`` or a commit) into ``dest``."""
    dest.mkdir(parents=True, exist_ok=True)
    with subprocess.Popen(
        ["git", f"--git-dir={gitdir}", "archive", "--format=tar", treeish],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
    ) as proc:
        assert proc.stdout is not None
        with tarfile.open(fileobj=proc.stdout, mode="r|") as tar:
            if hasattr(tarfile, "tar_filter"):  # Python >= 3.10.12
                tar.extractall(dest, filter="tar")
            else:
                tar.extractall(dest)
        err = proc.stderr.read().decode() if proc.stderr else ""
    if proc.returncode != 0:
        raise AssembleError(f"git archive {treeish} in {gitdir} failed: {err.strip()}")


def _gitlinks(gitdir: Path, ref: str, path: str) -> tuple[str, str]:
    """``(type, object)`` of ``path`` in ``ref``: ``tree`` or ``commit`` (submodule)."""
    out = _git(gitdir, "ls-tree", ref, path).split()
    if len(out) < 3:
        raise AssembleError(f"{path} not found in {gitdir} at {ref}")
    return out[1], out[2]


def _submodule_urls(gitdir: Path, ref: str) -> dict[str, str]:
    text = _git(gitdir, "show", f"{ref}:.gitmodules")
    urls: dict[str, str] = {}
    current: dict[str, str] = {}
    for line in [*text.splitlines(), "[end]"]:
        line = line.strip()
        if line.startswith("["):
            if "path" in current and "url" in current:
                urls[current["path"]] = current["url"]
            current = {}
        elif "=" in line:
            key, value = (part.strip() for part in line.split("=", 1))
            current[key] = value
    return urls


def github_repo(url: str) -> str:
    """``owner/name`` of a GitHub URL (``https://github.com/o/n.git`` -> ``o/n``)."""
    tail = re.sub(r"^(https?://|git@)github\.com[/:]", "", url.strip())
    return tail.removesuffix(".git").strip("/")


# --- package metadata -------------------------------------------------------------


def write_meta(
    pkg: Path,
    kind: str,
    name: str,
    version: str,
    description: str,
    extra: dict[str, object] | None = None,
) -> None:
    """``package.json`` + ``.piopm`` (owner ``platformio``, which the platform's
    requirements match) + ``.piokeep`` (never pruned)."""
    manifest: dict[str, object] = {
        "name": name,
        "version": version,
        "description": description,
        "system": "*",
        **(extra or {}),
    }
    (pkg / "package.json").write_text(json.dumps(manifest, indent=2) + "\n")
    (pkg / ".piopm").write_text(json.dumps(_piopm(kind, name, version)) + "\n")
    (pkg / ".piokeep").write_text("")


def _piopm(
    kind: str,
    name: str,
    version: str,
    owner: str = "platformio",
    req: str | None = None,
) -> dict[str, object]:
    return {
        "type": kind,
        "name": name,
        "version": version,
        "spec": {
            "owner": owner,
            "id": None,
            "name": name,
            "requirements": req,
            "uri": None,
        },
    }


def pio_version(version: str, *, major_prefix: bool = False) -> str:
    """PlatformIO's encoding of a tool version: GCC 12.2.1 -> ``1.120201.0``;
    with ``major_prefix`` SCons 4.11.1 -> ``4.41101.0``."""
    parts = [int(p) for p in (version.split(".") + ["0", "0"])[:3]]
    head = parts[0] if major_prefix else 1
    return f"{head}.{parts[0]}{parts[1]:02d}{parts[2]:02d}.0"


# --- packages ---------------------------------------------------------------------


def cube_package(mirrors: Path, core: Path, spec: CubeSpec) -> Path:
    """An STM32Cube framework package from the superproject and its submodules."""
    sup = mirror_dir(mirrors, spec.repo)
    pkg = core / "packages" / spec.name
    shutil.rmtree(pkg, ignore_errors=True)
    pkg.mkdir(parents=True)
    commit = _git(sup, "rev-parse", f"{spec.ref}^{{commit}}").strip()
    sources = [f"{spec.repo} {spec.ref} {commit}"]
    for tree in spec.trees:
        extract(sup, f"{spec.ref}:{tree}", pkg / tree)
    urls = _submodule_urls(sup, spec.ref)
    for path in spec.submodules:
        kind, pinned = _gitlinks(sup, spec.ref, path)
        if kind == "tree":  # a plain directory at this release
            extract(sup, f"{spec.ref}:{path}", pkg / path)
            sources.append(f"{path} (in {spec.repo})")
            continue
        if path not in urls:
            raise AssembleError(
                f"{spec.repo}@{spec.ref}: no .gitmodules url for {path}"
            )
        repo = github_repo(urls[path])
        sub = mirror_dir(mirrors, repo)
        use = pinned
        if not _has_commit(sub, pinned):
            use = _git(sub, "rev-parse", "HEAD").strip()
            _log(f"{repo} lacks the pinned {pinned} (for {path}); using HEAD {use}")
        extract(sub, f"{use}^{{tree}}", pkg / path)
        sources.append(f"{path} {repo} pinned={pinned} used={use}")
    for rel in spec.drop:
        (pkg / rel).unlink(missing_ok=True)
        sources.append(f"dropped {rel}")
    for junk in sorted(pkg.rglob("*"), reverse=True):
        if junk.name in ("_htmresc", ".github") or junk.suffix in (".chm", ".html"):
            if junk.is_dir():
                shutil.rmtree(junk)
            elif junk.exists():
                junk.unlink()
    # The builder renames gcc/startup_*.s to .S and copies the HAL conf template on
    # first use; done here so that the package can stay read-only.
    for startup in pkg.glob("Drivers/CMSIS/Device/ST/*/Source/Templates/gcc/*.s"):
        startup.rename(startup.with_suffix(".S"))
    inc = pkg / f"Drivers/STM32{spec.family.upper()}xx_HAL_Driver/Inc"
    template = inc / f"stm32{spec.family}xx_hal_conf_template.h"
    if template.is_file():
        shutil.copyfile(template, inc / f"stm32{spec.family}xx_hal_conf.h")
    (pkg / "SOURCES.txt").write_text("\n".join(sources) + "\n")
    write_meta(
        pkg,
        "framework",
        spec.name,
        spec.ref.removeprefix("v"),
        f"STM32Cube{spec.family.upper()} {spec.ref} assembled from ST's git "
        "repositories",
        {"title": "STM32Cube", "license": "BSD-3-Clause"},
    )
    _log(f"{spec.name} {spec.ref}")
    return pkg


def ldscripts_package(mirrors: Path, core: Path, refs: dict[str, str]) -> Path:
    """``tool-ldscripts-ststm32`` from ST's template projects' linker scripts."""
    pkg = core / "packages" / "tool-ldscripts-ststm32"
    shutil.rmtree(pkg, ignore_errors=True)
    for repo, src, dest in LDSCRIPTS:
        target = pkg / dest
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(
            _git(mirror_dir(mirrors, repo), "show", f"{refs[repo]}:{src}")
        )
    write_meta(
        pkg,
        "tool",
        "tool-ldscripts-ststm32",
        "0.2.0",
        "ST's linker scripts from the STM32CubeF7/H7 template projects",
    )
    _log("tool-ldscripts-ststm32")
    return pkg


def toolchain_package(core: Path, gcc: str = "arm-none-eabi-gcc") -> Path:
    """``toolchain-gccarmnoneeabi``: symlinks to the installed (Debian) GCC."""
    found = shutil.which(gcc)
    if found is None:
        raise AssembleError(
            f"'{gcc}' not found; install gcc-arm-none-eabi libnewlib-arm-none-eabi "
            "libstdc++-arm-none-eabi-newlib"
        )
    bindir = Path(found).resolve().parent
    version = subprocess.run(
        [found, "-dumpfullversion"], capture_output=True, text=True, check=True
    ).stdout.strip()
    pkg = core / "packages" / "toolchain-gccarmnoneeabi"
    shutil.rmtree(pkg, ignore_errors=True)
    (pkg / "bin").mkdir(parents=True)
    for tool in sorted(bindir.glob("arm-none-eabi-*")):
        (pkg / "bin" / tool.name).symlink_to(tool)
    write_meta(
        pkg,
        "toolchain",
        "toolchain-gccarmnoneeabi",
        pio_version(version),
        f"GNU Arm Embedded toolchain {version} (symlinks to {bindir})",
    )
    _log(f"toolchain-gccarmnoneeabi {pio_version(version)} (GCC {version})")
    return pkg


def platform_package(mirrors: Path, core: Path, ref: str) -> Path:
    """The ``ststm32`` platform at ``ref``, without ``misc/`` (debugger SVD files)."""
    gitdir = mirror_dir(mirrors, PLATFORM_REPO)
    pkg = core / "platforms" / "ststm32"
    shutil.rmtree(pkg, ignore_errors=True)
    pkg.mkdir(parents=True)
    for line in _git(gitdir, "ls-tree", ref).splitlines():
        meta, name = line.split("\t", 1)
        _mode, kind, oid = meta.split()
        if kind == "tree" and name != "misc":
            extract(gitdir, f"{ref}:{name}", pkg / name)
        elif kind == "blob":
            (pkg / name).write_bytes(
                subprocess.run(
                    ["git", f"--git-dir={gitdir}", "cat-file", "blob", oid],
                    capture_output=True,
                    check=True,
                ).stdout
            )
    version = json.loads((pkg / "platform.json").read_text())["version"]
    (pkg / ".piopm").write_text(json.dumps(_piopm("platform", "ststm32", version)))
    _log(f"platform ststm32 {version} ({ref})")
    return pkg


def scons_package(core: Path) -> Path:
    """``tool-scons`` from PyPI's ``scons`` (installed beside PlatformIO)."""
    from devtools.pio_offline import provision_tool_scons

    path = provision_tool_scons(core)
    _log(f"tool-scons ({path})")
    return path


def assemble(
    mirrors: Path,
    core: Path,
    *,
    platform_ref: str = PLATFORM_REF,
    cubes: Sequence[CubeSpec] = CUBES,
) -> None:
    """Assemble every package into the PlatformIO core dir ``core``."""
    for repo in (PLATFORM_REPO, *(c.repo for c in cubes)):
        mirror_dir(mirrors, repo)  # fail early, before anything is written
    (core / "packages").mkdir(parents=True, exist_ok=True)
    (core / "platforms").mkdir(parents=True, exist_ok=True)
    scons_package(core)
    toolchain_package(core)
    platform_package(mirrors, core, platform_ref)
    ldscripts_package(mirrors, core, {c.repo: c.ref for c in cubes})
    for cube in cubes:
        cube_package(mirrors, core, cube)
    _log(f"done: PLATFORMIO_CORE_DIR={core}")


def seed_unity(
    mirrors: Path, project: Path, envs: Sequence[str], ref: str = UNITY_REF
) -> list[Path]:
    """Put Unity into ``<project>/.pio/libdeps/<env>/Unity`` for each env.

    ``pio run`` (not only ``pio test``) installs ``throwtheswitch/Unity@^2.6.1`` when
    the project has test suites and the default test framework.
    """
    gitdir = mirror_dir(mirrors, UNITY_REPO)
    version = ref.removeprefix("v")
    out = []
    for env in envs:
        dest = Path(project) / ".pio" / "libdeps" / env / "Unity"
        shutil.rmtree(dest, ignore_errors=True)
        extract(gitdir, f"{ref}^{{tree}}", dest)
        manifest_path = dest / "library.json"
        text = "".join(
            line
            for line in manifest_path.read_text().splitlines(keepends=True)
            if not line.lstrip().startswith("#")
        )
        manifest = json.loads(text)
        manifest["version"] = version
        manifest_path.write_text(json.dumps(manifest, indent=2) + "\n")
        (dest / ".piopm").write_text(
            json.dumps(_piopm("library", "Unity", version, "throwtheswitch", "^2.6.1"))
        )
        _log(f"Unity {version} seeded into {dest}")
        out.append(dest)
    return out


def _seed_unity_cli(args: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.stm32_packages seed-unity",
        description="Seed Unity into a project's libdeps for each env.",
    )
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--ref", default=UNITY_REF)
    parser.add_argument("project", type=Path)
    parser.add_argument("envs", nargs="+")
    ns = parser.parse_args(args)
    seed_unity(ns.mirrors, ns.project, ns.envs, ns.ref)


def _assemble_cli(args: Sequence[str]) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m devtools.stm32_packages",
        description=__doc__.split("\n\n")[0] if __doc__ else None,
    )
    parser.add_argument("--mirrors", type=Path, required=True)
    parser.add_argument("--core-dir", type=Path, required=True)
    parser.add_argument("--platform-ref", default=PLATFORM_REF)
    ns = parser.parse_args(args)
    assemble(ns.mirrors, ns.core_dir.resolve(), platform_ref=ns.platform_ref)


def main(argv: Sequence[str] | None = None) -> int:
    """Entry point; exit code 2 with one line on a missing mirror, ref or tool."""
    args = list(sys.argv[1:] if argv is None else argv)
    try:
        if args[:1] == ["seed-unity"]:
            _seed_unity_cli(args[1:])
        else:
            _assemble_cli(args)
    except AssembleError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    sys.exit(main())
