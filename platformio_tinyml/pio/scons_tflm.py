# SPDX-License-Identifier: Apache-2.0
"""Build the selected TensorFlow Lite Micro sources as a static library in SCons."""

from __future__ import annotations

import json
import logging
import os
import shutil
import subprocess
import sys
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from ..errors import ConfigError, DependencyError
from ..fileio import file_lock
from ..tflm_sources import (
    KernelSet,
    TflmBuild,
    TflmTree,
    locate_tflm,
    select_sources,
)
from ..tflm_sources import (
    cpu_flags as flags_for_cpu,
)

__all__ = [
    "PINNED_DEPS",
    "SOURCE_BASE_ENV",
    "PinnedDep",
    "build_tflm",
    "install_tflm",
    "resolve_kernels",
]

PREFIX = "[tinyml]"
# Overrides where the pinned source archives are fetched from (PinnedDep.source_url).
SOURCE_BASE_ENV = "TINYML_TFLM_SOURCE_BASE"
_BUILT_FLAG = "__TINYML_TFLM_BUILT"


@dataclass(frozen=True)
class PinnedDep:
    """An upstream GitHub repository at the commit tflite-micro 90b983c2 pins."""

    name: str
    url: str  # the repository, https://github.com/<owner>/<repo>.git
    commit: str

    @property
    def spec(self) -> str:
        return f"{self.name}={self.source_url()}"

    @property
    def archive_name(self) -> str:
        """File name of the source archive: ``<name>-<commit>.tar.gz``."""
        return f"{self.name}-{self.commit}.tar.gz"

    def source_url(self) -> str:
        """The pinned commit's source archive (GitHub's ``archive/<commit>.tar.gz``).

        An archive, not a clone: no history and no submodules to fetch. With
        ``$TINYML_TFLM_SOURCE_BASE`` set (a URL or a local folder, e.g. a mirror or
        the archives a test made with ``git archive``) it is
        ``<base>/<name>-<commit>.tar.gz`` instead.
        """
        base = os.environ.get(SOURCE_BASE_ENV, "").strip().rstrip("/")
        if not base:
            return f"{self.url.removesuffix('.git')}/archive/{self.commit}.tar.gz"
        if base.startswith("/"):
            base = "file://" + base
        return f"{base}/{self.archive_name}"


# Pins read from tflite-micro 90b983c2: third_party_downloads.inc,
# flatbuffers_download.sh (v25.9.23) and ext_libs/cmsis_nn_download.sh.
PINNED_DEPS: tuple[PinnedDep, ...] = (
    PinnedDep(
        "tflite-micro",
        "https://github.com/tensorflow/tflite-micro.git",
        "90b983c2b3f1480642e040bbd2ddb37b998f3424",
    ),
    PinnedDep(
        "flatbuffers",
        "https://github.com/google/flatbuffers.git",
        "187240970746d00bbd26b0f5873ed54d2477f9f3",
    ),
    PinnedDep(
        "gemmlowp",
        "https://github.com/google/gemmlowp.git",
        "719139ce755a0f31cbf1c37f7f98adcc7fc9f425",
    ),
    PinnedDep(
        "ruy",
        "https://github.com/google/ruy.git",
        "d37128311b445e758136b8602d1bbd2a755e115d",
    ),
    PinnedDep(
        "cmsis_nn",
        "https://github.com/ARM-software/CMSIS-NN.git",
        "4ab83cc3cc98fb85ed6dafb55e8ca02f1628dcae",
    ),
)
_FLATBUFFERS_PATCH = "tensorflow/lite/micro/tools/make/flatbuffers.patch"


class PackageManager(Protocol):
    """The part of PlatformIO's ``LibraryPackageManager`` used here."""

    def install(self, spec: str, **kwargs: Any) -> Any: ...


def _default_package_manager(deps_dir: Path) -> PackageManager:
    try:
        from platformio.package.manager.library import LibraryPackageManager
    except ImportError as exc:
        raise DependencyError(
            f"PlatformIO is not importable from '{sys.executable}' ({exc}); install "
            f"it with: {sys.executable} -m pip install platformio==6.2.0"
        ) from exc

    class SourcePackageManager(LibraryPackageManager):  # type: ignore[misc]
        """Installs a source tree as it is: the package is the archive's top folder.

        ``LibraryPackageManager`` would take the first folder holding a manifest or a
        C/C++ file as the package root, which for tflite-micro is a sub-folder.
        """

        def find_pkg_root(self, path: str, spec: Any) -> str:
            root = Path(path)
            entries = list(root.iterdir())
            while len(entries) == 1 and entries[0].is_dir():
                root = entries[0]
                entries = list(root.iterdir())
            manifest = root / "library.json"
            if not manifest.exists():
                manifest.write_text(
                    json.dumps({"name": spec.name, "version": "0.0.0"}) + "\n"
                )
            return str(root)

    manager = SourcePackageManager(package_dir=str(deps_dir))
    # Its failures come back as exceptions and are reported in one line by the
    # caller; its own "Error: ..." log line would be a second one.
    manager.log.addFilter(lambda record: record.levelno < logging.ERROR)
    pm: PackageManager = manager
    return pm


def install_tflm(
    deps_dir: Path, *, package_manager: PackageManager | None = None
) -> TflmTree:
    """Install the pinned tflite-micro and its third-party code (online mode).

    Uses PlatformIO's package manager with the pinned commits' source archives
    (:meth:`PinnedDep.source_url`), so the
    downloads are cached in ``deps_dir`` (``$PROJECT_WORKSPACE_DIR/tinyml/deps``)
    and survive ``pio run -t clean``. TFLM's ``flatbuffers.patch`` is applied once.

    Args:
        deps_dir: Where the packages are installed.
        package_manager: Stand-in for ``LibraryPackageManager(package_dir=deps_dir)``.

    Returns:
        The tree, with each dependency in its own package directory.

    Raises:
        DependencyError: A package cannot be installed or the patch does not apply.
    """
    deps_dir = Path(deps_dir)
    deps_dir.mkdir(parents=True, exist_ok=True)
    pm = package_manager or _default_package_manager(deps_dir)
    paths: dict[str, Path] = {}
    with file_lock(deps_dir / ".tinyml-deps.lock"):
        for dep in PINNED_DEPS:
            try:
                pkg = pm.install(dep.spec, skip_dependencies=True)
            except Exception as exc:  # PlatformIO raises many unrelated types
                raise DependencyError(
                    f"cannot install '{dep.spec}' ({_first_line(exc)}); check "
                    "network access to "
                    "github.com or set custom_tinyml_tflm_dir to a local checkout"
                ) from exc
            paths[dep.name] = Path(pkg.path)
        _apply_flatbuffers_patch(paths["flatbuffers"], paths["tflite-micro"])
    return TflmTree(
        root=paths["tflite-micro"],
        flatbuffers=paths["flatbuffers"],
        gemmlowp=paths["gemmlowp"],
        ruy=paths["ruy"],
        cmsis_nn=paths["cmsis_nn"],
    )


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    return lines[0] if lines else type(exc).__name__


def _apply_flatbuffers_patch(flatbuffers: Path, tflm: Path) -> None:
    stamp = flatbuffers / ".tinyml-patched"
    if stamp.is_file():
        return
    patch_file = tflm / _FLATBUFFERS_PATCH
    tool = shutil.which("patch")
    if tool is None or not patch_file.is_file():
        raise DependencyError(
            f"cannot apply '{patch_file}' to '{flatbuffers}'; install 'patch' "
            "(apt-get install patch) and reinstall the dependencies"
        )
    proc = subprocess.run(
        [tool, "-p1", "--forward", "-i", str(patch_file)],
        cwd=flatbuffers,
        capture_output=True,
        text=True,
        check=False,
    )
    if proc.returncode != 0:
        raise DependencyError(
            f"'{patch_file.name}' does not apply to '{flatbuffers}' "
            f"({proc.stdout.strip().splitlines()[-1:]}); delete the directory and "
            "rebuild"
        )
    stamp.write_text("flatbuffers.patch applied\n")


def resolve_kernels(kernels: str, cpu: Sequence[str], tree: TflmTree) -> KernelSet:
    """Turn ``auto`` into ``cmsis_nn`` (Arm Cortex-M with CMSIS-NN) or ``reference``."""
    value = kernels.strip().lower()
    if value == "auto":
        arm = any(flag.startswith("-mcpu=cortex-m") for flag in cpu)
        return "cmsis_nn" if arm and tree.cmsis_nn is not None else "reference"
    if value == "cmsis_nn":
        return "cmsis_nn"
    if value == "reference":
        return "reference"
    raise ConfigError(
        f"custom_tinyml_kernels '{kernels}' is unknown; use auto, cmsis_nn or reference"
    )


def _strip_opt(flags: Sequence[Any]) -> list[Any]:
    return [f for f in flags if not (isinstance(f, str) and f.startswith("-O"))]


def _compile(env: Any, build: TflmBuild, cpu: Sequence[str], build_dir: str) -> list:
    base = env.Clone()
    base.Replace(CCFLAGS=_strip_opt(base.get("CCFLAGS", [])))
    have = {str(f) for f in base.get("CCFLAGS", [])}
    base.Append(CCFLAGS=[f for f in (*cpu, *build.common_flags, "-g") if f not in have])
    base.Replace(
        CXXFLAGS=[f for f in base.get("CXXFLAGS", []) if "-std=" not in str(f)]
    )
    base.Append(CXXFLAGS=list(build.cxx_flags), CFLAGS=list(build.c_flags))
    # TFLM sees only its own include dirs and defines: the project's, the board's and
    # `pio test`'s (PIO_UNIT_TESTING, test/ dirs) would change the command lines and
    # make SCons rebuild all of TFLM when switching between `pio run` and `pio test`.
    base.Replace(
        CPPPATH=[str(p) for p in build.include_dirs], CPPDEFINES=list(build.defines)
    )
    objects = []
    for group in build.groups:
        genv = base.Clone()
        genv.Append(CCFLAGS=list(group.flags))
        for src in group.sources:
            target = f"{build_dir}/{group.object_path(src).as_posix()}"
            objects += genv.Object(target=target, source=str(src))
    return objects


def build_tflm(
    env: Any,
    projenv: Any,
    tree: TflmTree | Path | str,
    op_names: Sequence[str],
    cpu: str | None = None,
    *,
    kernels: str | None = None,
    cpu_flags: Sequence[str] | None = None,
) -> None:
    """Compile the TFLM core plus the model's kernels and link them into the program.

    Adds the TFLM include dirs and defines (``TF_LITE_STATIC_MEMORY``, ``CMSIS_NN``,
    ``TINYML_HAVE_TFLM=1``) to the library env, the project env and the global env,
    so application code sees the same kernel headers as the library. Objects go to
    ``$BUILD_DIR/tinyml/tflm/<kernels>/`` under paths that mirror the sources, so
    duplicate basenames never clash and unchanged rebuilds compile nothing.

    Args:
        env: The library's SCons environment (``Import("env")``).
        projenv: The project's environment, or None.
        tree: The tflite-micro tree (or its root directory).
        op_names: The model's builtin op names.
        cpu: The board's ``build.cpu``/``build.mcu``; used when ``cpu_flags`` is None.
        kernels: ``auto``, ``cmsis_nn`` or ``reference``; default
            ``custom_tinyml_kernels`` or ``auto``.
        cpu_flags: Explicit CPU flags (see :func:`tflm_sources.cpu_flags`).
    """
    from SCons.Script import DefaultEnvironment

    global_env = DefaultEnvironment()
    if not isinstance(tree, TflmTree):
        located = locate_tflm(Path(tree))
        assert located is not None  # an explicit dir either resolves or raises
        tree = located
    if cpu_flags is None:
        board_cpu = cpu
        if board_cpu is None and "BOARD" in env:
            board = env.BoardConfig()
            board_cpu = board.get("build.cpu", board.get("build.mcu", "host"))
        cpu_flags = flags_for_cpu(board_cpu or "host")
    if kernels is None:
        kernels = env.GetProjectOption("custom_tinyml_kernels", "auto")
    kernel_set = resolve_kernels(str(kernels), cpu_flags, tree)
    build = select_sources(tree, op_names, kernels=kernel_set)

    defines = [*build.defines, ("TINYML_HAVE_TFLM", 1)]
    includes = [str(p) for p in build.include_dirs]
    for target in {
        id(e): e for e in (env, projenv, global_env) if e is not None
    }.values():
        target.AppendUnique(CPPPATH=includes)
        target.AppendUnique(CPPDEFINES=defines)

    if global_env.get(_BUILT_FLAG):
        return  # already wired by another library or an earlier pass
    global_env[_BUILT_FLAG] = kernel_set
    build_dir = f"$BUILD_DIR/tinyml/tflm/{kernel_set}"
    objects = _compile(env, build, cpu_flags, build_dir)
    library = env.StaticLibrary(target=f"{build_dir}/libtinyml_tflm", source=objects)
    global_env.Append(LIBS=library)
    print(
        f"{PREFIX} TFLM: {len(objects)} sources ({kernel_set} kernels for "
        f"{', '.join(build.op_names) or 'no ops'}) from {tree.root}"
    )
