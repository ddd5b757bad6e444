# SPDX-License-Identifier: Apache-2.0
"""Locate a tflite-micro source tree and select the sources a model's build needs."""

from __future__ import annotations

import os
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path, PurePosixPath
from typing import Literal

from .errors import ConfigError
from .tflm_ops import TFLM_OPS

__all__ = [
    "DOWNLOAD_HINT",
    "KernelSet",
    "SourceGroup",
    "TflmBuild",
    "TflmTree",
    "cpu_flags",
    "locate_tflm",
    "select_sources",
]

KernelSet = Literal["cmsis_nn", "reference"]

ENV_VAR = "TINYML_TFLM_DIR"
DEFAULT_DIR = Path("~/.cache/tinyml-deps/tflite-micro")
DOWNLOADS = PurePosixPath("tensorflow/lite/micro/tools/make/downloads")
DOWNLOAD_HINT = (
    "run 'make -f tensorflow/lite/micro/tools/make/Makefile third_party_downloads' "
    "in the tflite-micro checkout"
)

# The marker files that prove each part of the tree is present.
_MARKERS: dict[str, PurePosixPath] = {
    "tflite-micro": PurePosixPath("tensorflow/lite/micro/micro_interpreter.h"),
    "flatbuffers": DOWNLOADS / "flatbuffers/include/flatbuffers/flatbuffers.h",
    "gemmlowp": DOWNLOADS / "gemmlowp/fixedpoint/fixedpoint.h",
    "ruy": DOWNLOADS / "ruy/ruy/profiler/instrumentation.h",
}
_CMSIS_NN_MARKER = DOWNLOADS / "cmsis_nn/Include/arm_nnfunctions.h"

# Kernel helpers every kernel links against.
_KERNEL_HELPERS = ("kernel_util", "micro_tensor_utils")

# Kernels with a CMSIS-NN implementation in kernels/cmsis_nn/ (cmsis_nn.inc).
_CMSIS_NN_KERNELS = frozenset(
    {
        "add",
        "batch_matmul",
        "conv",
        "depthwise_conv",
        "fully_connected",
        "maximum_minimum",
        "mul",
        "pad",
        "pooling",
        "softmax",
        "svdf",
        "transpose",
        "transpose_conv",
        "unidirectional_sequence_lstm",
    }
)

# micro/*.cc that the library does not need: the platform provides debug_log and
# micro_time; the others are test scaffolding.
_CORE_EXCLUDED = frozenset(
    {
        "debug_log.cc",
        "micro_time.cc",
        "fake_micro_context.cc",
        "mock_micro_graph.cc",
        "test_helpers.cc",
        "test_helper_custom_ops.cc",
    }
)
_CORE_SUBDIRS = ("arena_allocator", "memory_planner", "tflite_bridge")

_COMMON_DEFINES = (
    "TF_LITE_STATIC_MEMORY",
    "TF_LITE_DISABLE_X86_NEON",
    "TF_LITE_MCU_DEBUG_LOG",
    "NDEBUG",
)
_CMSIS_NN_DEFINES = ("CMSIS_NN", "ARM_NN_ENABLE_F16=0", "ARM_NN_ENABLE_F32=0")

COMMON_FLAGS = (
    "-fno-unwind-tables",
    "-fno-asynchronous-unwind-tables",
    "-ffunction-sections",
    "-fdata-sections",
    "-fmessage-length=0",
    "-fomit-frame-pointer",
    "-funsigned-char",
)
CXX_FLAGS = ("-std=c++17", "-fno-rtti", "-fno-exceptions", "-fno-threadsafe-statics")
C_FLAGS = ("-std=c17",)


@dataclass(frozen=True)
class TflmTree:
    """A tflite-micro checkout and its third-party downloads."""

    root: Path
    flatbuffers: Path
    gemmlowp: Path
    ruy: Path
    cmsis_nn: Path | None  # None when CMSIS-NN was not downloaded


@dataclass(frozen=True)
class SourceGroup:
    """Sources compiled with the same optimisation flags.

    ``base`` is the directory the object paths mirror, so that sources with the same
    basename in different directories get distinct objects.
    """

    name: str
    base: Path
    sources: tuple[Path, ...]
    flags: tuple[str, ...]

    def object_path(self, source: Path) -> PurePosixPath:
        """The object file path (relative to a build dir) for ``source``."""
        rel = PurePosixPath(source.relative_to(self.base).as_posix())
        return PurePosixPath(self.name) / rel.with_suffix(".o")


@dataclass(frozen=True)
class TflmBuild:
    """Everything needed to compile the selected part of TFLM."""

    kernels: KernelSet
    op_names: tuple[str, ...]
    groups: tuple[SourceGroup, ...]
    include_dirs: tuple[Path, ...]
    defines: tuple[str, ...]
    common_flags: tuple[str, ...] = COMMON_FLAGS
    cxx_flags: tuple[str, ...] = CXX_FLAGS
    c_flags: tuple[str, ...] = C_FLAGS

    @property
    def sources(self) -> tuple[Path, ...]:
        return tuple(src for group in self.groups for src in group.sources)


def _missing_parts(root: Path) -> list[str]:
    return [name for name, marker in _MARKERS.items() if not (root / marker).is_file()]


def _tree_at(root: Path, origin: str) -> TflmTree:
    if not root.is_dir():
        raise ConfigError(
            f"tflite-micro directory '{root}' (from {origin}) does not exist; "
            "clone https://github.com/tensorflow/tflite-micro there and "
            f"{DOWNLOAD_HINT}"
        )
    missing = _missing_parts(root)
    if missing:
        raise ConfigError(
            f"tflite-micro directory '{root}' (from {origin}) lacks "
            f"{', '.join(missing)}; {DOWNLOAD_HINT}"
        )
    downloads = root / DOWNLOADS
    cmsis_nn = downloads / "cmsis_nn"
    return TflmTree(
        root=root,
        flatbuffers=downloads / "flatbuffers",
        gemmlowp=downloads / "gemmlowp",
        ruy=downloads / "ruy",
        cmsis_nn=cmsis_nn if (root / _CMSIS_NN_MARKER).is_file() else None,
    )


def locate_tflm(explicit: Path | None = None) -> TflmTree | None:
    """Find the tflite-micro tree to build against.

    Looks at ``explicit`` (``custom_tinyml_tflm_dir``), then ``$TINYML_TFLM_DIR``, then
    ``~/.cache/tinyml-deps/tflite-micro``.

    Args:
        explicit: A directory the user named; it must exist and be complete.

    Returns:
        The tree, or None when nothing was named and the default dir is absent.

    Raises:
        ConfigError: A named directory is missing or lacks a third-party download.
    """
    if explicit is not None:
        return _tree_at(Path(explicit).expanduser(), "custom_tinyml_tflm_dir")
    from_env = os.environ.get(ENV_VAR, "").strip()
    if from_env:
        return _tree_at(Path(from_env).expanduser(), f"${ENV_VAR}")
    default = DEFAULT_DIR.expanduser()
    if not default.exists():
        return None
    return _tree_at(default, "the default location")


def _core_sources(root: Path) -> list[Path]:
    micro = root / "tensorflow/lite/micro"
    found = [
        p
        for p in micro.glob("*.cc")
        if not p.name.endswith("_test.cc") and p.name not in _CORE_EXCLUDED
    ]
    for sub in _CORE_SUBDIRS:
        found += [
            p for p in (micro / sub).glob("*.cc") if not p.name.endswith("_test.cc")
        ]
    # Shared TfLite sources: everything under tensorflow/ outside lite/micro and
    # lite/experimental, minus array.cc (sources.inc, TF_LITE_STATIC_MEMORY builds).
    skip = (root / "tensorflow/lite/micro", root / "tensorflow/lite/experimental")
    for dirpath, dirnames, filenames in os.walk(root / "tensorflow"):
        here = Path(dirpath)
        dirnames[:] = sorted(d for d in dirnames if here / d not in skip)
        for name in filenames:
            if name.endswith((".cc", ".c")) and not name.endswith("_test.cc"):
                found.append(here / name)
    found = [p for p in found if p != root / "tensorflow/lite/array.cc"]
    return sorted(set(found))


def _kernel_stems(op_names: Sequence[str]) -> list[str]:
    stems: list[str] = list(_KERNEL_HELPERS)
    for raw in op_names:
        op = raw.strip().upper()
        if op not in TFLM_OPS:
            raise ConfigError(
                f"op '{raw}' has no known TFLM kernel; use a model with TFLM builtin "
                f"ops (supported: {', '.join(sorted(TFLM_OPS))})"
            )
        stems += [s for s in TFLM_OPS[op].kernels if s not in stems]
    return stems


def select_sources(
    tree: TflmTree, op_names: Sequence[str], *, kernels: KernelSet
) -> TflmBuild:
    """Select the TFLM core plus only the kernels ``op_names`` need.

    Args:
        tree: The located tflite-micro tree.
        op_names: Builtin op names of the model (``CONV_2D``, ``FULLY_CONNECTED``).
        kernels: ``cmsis_nn`` swaps in the CMSIS-NN kernels and compiles the
            CMSIS-NN library; ``reference`` uses the portable kernels only.

    Returns:
        Source groups (core ``-Os``, kernels ``-O2``, CMSIS-NN ``-O2``), include
        dirs and defines.

    Raises:
        ConfigError: An op is unknown, ``kernels`` is invalid, or CMSIS-NN was
            requested but is not downloaded.
    """
    if kernels not in ("cmsis_nn", "reference"):
        raise ConfigError(
            f"TFLM kernel set '{kernels}' is unknown; use 'cmsis_nn' or 'reference'"
        )
    root = tree.root
    kdir = root / "tensorflow/lite/micro/kernels"
    stems = _kernel_stems(op_names)
    kernel_srcs: list[Path] = []
    for stem in stems:
        if kernels == "cmsis_nn" and stem in _CMSIS_NN_KERNELS:
            kernel_srcs.append(kdir / "cmsis_nn" / f"{stem}.cc")
        else:
            kernel_srcs.append(kdir / f"{stem}.cc")
    include_dirs = [root, tree.flatbuffers / "include", tree.gemmlowp, tree.ruy]
    defines = list(_COMMON_DEFINES)
    groups = [
        SourceGroup("core", root, tuple(_core_sources(root)), ("-Os",)),
        SourceGroup("kernels", root, tuple(kernel_srcs), ("-O2",)),
    ]
    if kernels == "cmsis_nn":
        if tree.cmsis_nn is None:
            raise ConfigError(
                f"CMSIS-NN is not downloaded in '{root / DOWNLOADS}'; {DOWNLOAD_HINT} "
                "with OPTIMIZED_KERNEL_DIR=cmsis_nn, or build with reference kernels"
            )
        nn_srcs = sorted(
            p
            for p in (tree.cmsis_nn / "Source").rglob("*.c")
            if not p.name.endswith(("_f16.c", "_f32.c"))
            and p.name != "arm_nntables_flt.c"
        )
        groups.append(SourceGroup("cmsis_nn", tree.cmsis_nn, tuple(nn_srcs), ("-O2",)))
        include_dirs += [tree.cmsis_nn, tree.cmsis_nn / "Include"]
        defines += list(_CMSIS_NN_DEFINES)
    missing = [p for g in groups for p in g.sources if not p.is_file()]
    if missing:
        raise ConfigError(
            f"tflite-micro tree '{root}' lacks '{missing[0]}'; check out commit "
            "90b983c2 or newer and " + DOWNLOAD_HINT
        )
    return TflmBuild(
        kernels=kernels,
        op_names=tuple(o.strip().upper() for o in op_names),
        groups=tuple(groups),
        include_dirs=tuple(include_dirs),
        defines=tuple(defines),
    )


_DP_FPU = ["-mfloat-abi=hard", "-mfpu=fpv5-d16"]
_SP_FPU = ["-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"]

# MCU name prefixes (PlatformIO board "mcu", lower case) -> CPU flags.
_MCU_FLAGS: tuple[tuple[str, list[str]], ...] = (
    # STM32F7 has the single-precision FPv5-SP-D16 (F746 datasheet).
    ("stm32f7", ["-mcpu=cortex-m7", "-mthumb", *_SP_FPU]),
    ("stm32h7", ["-mcpu=cortex-m7", "-mthumb", *_DP_FPU]),
    ("mimxrt10", ["-mcpu=cortex-m7", "-mthumb", *_DP_FPU]),
    ("cortex-m7", ["-mcpu=cortex-m7", "-mthumb", *_DP_FPU]),
    (
        "cortex-m4",
        ["-mcpu=cortex-m4", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv4-sp-d16"],
    ),
    (
        "cortex-m33",
        ["-mcpu=cortex-m33", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"],
    ),
    ("cortex-m55", ["-mcpu=cortex-m55", "-mthumb", "-mfloat-abi=hard"]),
)
_HOST_NAMES = frozenset({"host", "native", "x86_64", "amd64", "aarch64"})


def cpu_flags(mcu_or_cpu: str) -> list[str]:
    """Compiler flags selecting the CPU and floating-point ABI.

    Args:
        mcu_or_cpu: A board's ``mcu`` (``stm32f746ngh6``) or ``cpu`` (``cortex-m7``),
            or ``host``.

    Returns:
        The ``-mcpu``/``-mthumb``/``-mfloat-abi``/``-mfpu`` flags; empty for host.

    Raises:
        ConfigError: The name is not a known MCU or CPU.
    """
    name = mcu_or_cpu.strip().lower()
    if name in _HOST_NAMES:
        return []
    for prefix, flags in _MCU_FLAGS:
        if name.startswith(prefix):
            return list(flags)
    raise ConfigError(
        f"MCU/CPU '{mcu_or_cpu}' has no known TFLM compiler flags; set board_build.cpu "
        "to cortex-m7, cortex-m4, cortex-m33 or cortex-m55"
    )
