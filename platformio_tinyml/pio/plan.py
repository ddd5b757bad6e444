# SPDX-License-Identifier: Apache-2.0
"""Pure build planning for PlatformIO: paths, stamps, up-to-date checks and budgets.

Nothing here imports SCons or TensorFlow, so every decision the build makes can be
tested directly: :mod:`platformio_tinyml.pio.scons` only gathers the inputs from the
SCons environment, calls these functions and applies their answers.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

from .. import __version__
from ..boards import (
    BoardLimits,
    MemoryBudget,
)
from ..config import TinyMLConfig, config_from_pio
from ..errors import BudgetError
from ..fileio import write_atomic
from ..pipeline import resolve_paths

STAMP_VERSION = 3  # 2: the summary records the runtime; 3: the model's flash
STAMP_NAME = "generate.json"
LOCK_NAME = "generate.lock"

Fingerprint = Callable[[TinyMLConfig, Path], str]


class ResultLike(Protocol):
    """The fields of ``pipeline.GenerationResult`` that the build integration uses."""

    @property
    def out_dir(self) -> Path: ...
    @property
    def files(self) -> tuple[Path, ...]: ...
    @property
    def sources(self) -> tuple[Path, ...]: ...
    @property
    def tflm_sources(self) -> tuple[Path, ...]: ...
    @property
    def stem(self) -> str: ...
    @property
    def model_bytes(self) -> int: ...
    @property
    def arena_size(self) -> int: ...
    @property
    def measured_arena(self) -> int: ...
    @property
    def ops(self) -> tuple[str, ...]: ...
    @property
    def accuracy(self) -> float | None: ...
    @property
    def tflite_path(self) -> Path: ...
    @property
    def runtime(self) -> str: ...
    @property
    def runtime_reason(self) -> str: ...


@dataclass(frozen=True)
class GenerationPlan:
    """Everything one environment's generation step needs to know, as plain data."""

    config: TinyMLConfig  # parsed options, project-relative paths made absolute
    env_name: str  # $PIOENV
    project_dir: Path  # $PROJECT_DIR
    build_dir: Path  # $BUILD_DIR (.pio/build/<env>)
    workspace_dir: Path  # $PROJECT_WORKSPACE_DIR (.pio)
    board: BoardLimits | None  # None for boardless (host) environments
    fingerprint: str  # inputs hash: options, model file, dataset, package version
    generated_src: Path  # $BUILD_DIR/tinyml/generated-src
    generated_build: Path  # $BUILD_DIR/tinyml/generated-build (objects)
    stamp_path: Path  # $BUILD_DIR/tinyml/stamps/generate.json
    report_dir: Path  # $BUILD_DIR/tinyml/report
    cache_dir: Path  # $PROJECT_WORKSPACE_DIR/tinyml/cache (survives `pio run -t clean`)
    lock_path: Path  # inside cache_dir: serializes environments sharing the cache

    @property
    def tflm_dir(self) -> Path | None:
        return self.config.tflm_dir


@dataclass(frozen=True)
class GenerationSummary:
    """What a build reports and checks about the generated model (kept in the stamp)."""

    stem: str
    model_bytes: int
    arena_size: int
    measured_arena: int
    ops: tuple[str, ...]
    accuracy: float | None
    runtime: str = "tflm"  # "aot" (compiled model, no TFLM) or "tflm"
    runtime_reason: str = ""
    flash_model_bytes: int = 0  # the model's flash on the device (0: model_bytes)

    @property
    def needs_tflm(self) -> bool:
        return self.runtime != "aot"

    @classmethod
    def from_result(cls, result: ResultLike) -> GenerationSummary:
        return cls(
            stem=result.stem,
            model_bytes=int(result.model_bytes),
            arena_size=int(result.arena_size),
            measured_arena=int(result.measured_arena),
            ops=tuple(result.ops),
            accuracy=None if result.accuracy is None else float(result.accuracy),
            runtime=str(result.runtime),
            runtime_reason=str(result.runtime_reason),
            flash_model_bytes=int(
                getattr(result, "flash_model_bytes", None) or result.model_bytes
            ),
        )

    def to_json(self) -> dict[str, Any]:
        return {
            "stem": self.stem,
            "model_bytes": self.model_bytes,
            "arena_size": self.arena_size,
            "measured_arena": self.measured_arena,
            "ops": list(self.ops),
            "accuracy": self.accuracy,
            "runtime": self.runtime,
            "runtime_reason": self.runtime_reason,
            "flash_model_bytes": self.flash_model_bytes,
        }

    @classmethod
    def from_json(cls, data: Mapping[str, Any]) -> GenerationSummary:
        accuracy = data.get("accuracy")
        return cls(
            stem=str(data["stem"]),
            model_bytes=int(data["model_bytes"]),
            arena_size=int(data["arena_size"]),
            measured_arena=int(data["measured_arena"]),
            ops=tuple(str(op) for op in data["ops"]),
            accuracy=None if accuracy is None else float(accuracy),
            runtime=str(data["runtime"]),
            runtime_reason=str(data["runtime_reason"]),
            flash_model_bytes=int(data.get("flash_model_bytes") or data["model_bytes"]),
        )


@dataclass(frozen=True)
class Stamp:
    """The record of the last successful generation of one environment."""

    fingerprint: str
    outputs: tuple[Path, ...]  # every generated file; all must still exist
    sources: tuple[Path, ...]  # generated files to compile
    tflm_sources: tuple[Path, ...]  # the subset of sources that needs TFLM headers
    summary: GenerationSummary
    package_version: str = __version__


# --- Planning ----------------------------------------------------------------------


def plan_generation(
    options: Mapping[str, str],
    *,
    project_dir: Path,
    build_dir: Path,
    workspace_dir: Path,
    env_name: str,
    board: BoardLimits | None,
    fingerprint: Fingerprint | None = None,
) -> GenerationPlan:
    """Parse one environment's options and decide where everything goes.

    Args:
        options: the environment's project options; only ``custom_tinyml_*`` are read.
        project_dir: ``$PROJECT_DIR``.
        build_dir: ``$BUILD_DIR`` of the environment.
        workspace_dir: ``$PROJECT_WORKSPACE_DIR`` (its ``tinyml/cache`` survives
            ``pio run -t clean``).
        env_name: ``$PIOENV``.
        board: the board's limits, or None.
        fingerprint: computes the inputs hash; defaults to
            ``pipeline.input_fingerprint`` (cheap: never imports TensorFlow).

    Raises:
        ConfigError: an unknown ``custom_tinyml_*`` option or a bad value.
    """
    project_dir = Path(project_dir)
    build_dir = Path(build_dir)
    workspace_dir = Path(workspace_dir)
    cfg = resolve_paths(
        config_from_pio(options, source=f"[env:{env_name}] of platformio.ini"),
        project_dir,
    )
    if fingerprint is None:
        from ..pipeline import input_fingerprint

        fingerprint = input_fingerprint
    base = build_dir / "tinyml"
    cache_dir = workspace_dir / "tinyml" / "cache"
    return GenerationPlan(
        config=cfg,
        env_name=env_name,
        project_dir=project_dir,
        build_dir=build_dir,
        workspace_dir=workspace_dir,
        board=board,
        fingerprint=fingerprint(cfg, project_dir),
        generated_src=base / "generated-src",
        generated_build=base / "generated-build",
        stamp_path=base / "stamps" / STAMP_NAME,
        report_dir=base / "report",
        cache_dir=cache_dir,
        lock_path=cache_dir / LOCK_NAME,
    )


# --- Stamps --------------------------------------------------------------------------


def read_stamp(plan: GenerationPlan) -> Stamp | None:
    """The stamp of the last generation, or None when absent, unreadable or foreign."""
    try:
        data = json.loads(plan.stamp_path.read_text(encoding="utf-8"))
        if data.get("stamp_version") != STAMP_VERSION:
            return None
        return Stamp(
            fingerprint=str(data["fingerprint"]),
            outputs=tuple(Path(p) for p in data["outputs"]),
            sources=tuple(Path(p) for p in data["sources"]),
            tflm_sources=tuple(Path(p) for p in data["tflm_sources"]),
            summary=GenerationSummary.from_json(data["summary"]),
            package_version=str(data.get("package_version", "")),
        )
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        return None


def stale_reason(plan: GenerationPlan) -> str | None:
    """Why the environment must regenerate, or None when it is up to date."""
    stamp = read_stamp(plan)
    if stamp is None:
        return "no previous generation"
    if stamp.fingerprint != plan.fingerprint:
        return "inputs changed"
    missing = [p for p in stamp.outputs if not p.is_file()]
    if missing:
        return f"output missing: {missing[0].name}"
    return None


def is_up_to_date(plan: GenerationPlan) -> bool:
    """True when the stamp matches the inputs and every recorded output still exists."""
    return stale_reason(plan) is None


def make_stamp(plan: GenerationPlan, result: ResultLike) -> Stamp:
    """The stamp describing ``result`` for ``plan`` (pure)."""
    return Stamp(
        fingerprint=plan.fingerprint,
        outputs=tuple(Path(p) for p in result.files),
        sources=tuple(Path(p) for p in result.sources),
        tflm_sources=tuple(Path(p) for p in result.tflm_sources),
        summary=GenerationSummary.from_result(result),
    )


def render_stamp(stamp: Stamp) -> bytes:
    """The stamp file's bytes (sorted keys: identical stamps are byte-identical)."""
    data = {
        "stamp_version": STAMP_VERSION,
        "package_version": stamp.package_version,
        "fingerprint": stamp.fingerprint,
        "outputs": [str(p) for p in stamp.outputs],
        "sources": [str(p) for p in stamp.sources],
        "tflm_sources": [str(p) for p in stamp.tflm_sources],
        "summary": stamp.summary.to_json(),
    }
    return (json.dumps(data, indent=2, sort_keys=True) + "\n").encode("utf-8")


def write_stamp(plan: GenerationPlan, result: ResultLike) -> Stamp:
    """Record a successful generation; written last, so a crash leaves the env stale."""
    stamp = make_stamp(plan, result)
    write_atomic(plan.stamp_path, render_stamp(stamp))
    return stamp


def stale_outputs(plan: GenerationPlan, keep: Iterable[Path]) -> list[Path]:
    """Files in ``generated-src`` that the latest generation did not produce.

    They come from an earlier configuration (e.g. another model stem) and would
    otherwise still be compiled.
    """
    keep_set = {Path(p).resolve() for p in keep}
    if not plan.generated_src.is_dir():
        return []
    return sorted(
        p
        for p in plan.generated_src.rglob("*")
        if p.is_file() and p.resolve() not in keep_set
    )


# --- Source selection ----------------------------------------------------------------


def generated_src_filter(stamp: Stamp, generated_src: Path, *, have_tflm: bool) -> str:
    """SCons ``src_filter`` for the generated sources to compile.

    Without TFLM sources the generated files that include TFLM headers are left out.
    """
    skip = set() if have_tflm else {Path(p) for p in stamp.tflm_sources}
    parts = ["-<*>"]
    for src in stamp.sources:
        if Path(src) in skip:
            continue
        try:
            rel = Path(src).relative_to(generated_src)
        except ValueError:
            continue
        parts.append(f"+<{rel.as_posix()}>")
    return " ".join(parts)


def library_src_filter(board_id: str | None, *, have_tflm: bool) -> str:
    """SCons ``SRC_FILTER`` for the library's own ``src/``.

    ``src/boards/<board_id>/`` is built only for that board, and ``src/tflm/``
    (runtime files that need TFLM headers) only when TFLM sources are available.
    """
    parts = ["+<*>", "-<.git/>", "-<boards/>"]
    if board_id:
        parts.append(f"+<boards/{board_id}/>")
    if not have_tflm:
        parts.append("-<tflm/>")
    return " ".join(parts)


# --- Budget --------------------------------------------------------------------------


def model_in_internal_flash(config: TinyMLConfig) -> bool:
    """False when ``model_section`` or ``model_address`` puts the model elsewhere."""
    return config.model_section is None and config.model_address is None


def check_budget(budget: MemoryBudget) -> MemoryBudget:
    """Refuse a budget over the board's flash or RAM, before anything compiles.

    Args:
        budget: the estimate (:func:`boards.estimate_budget`); a limit of 0 (unknown)
            is not checked.

    Returns:
        ``budget``, when it fits.

    Raises:
        BudgetError: the estimate exceeds the board's flash or RAM.
    """
    if budget.flash_limit and budget.flash_used > budget.flash_limit:
        over = budget.flash_used - budget.flash_limit
        raise BudgetError(
            f"model ({budget.model_bytes} B) + runtime estimate exceed {budget.board} "
            f"flash ({budget.flash_limit} B) by {over} bytes; use a smaller model, "
            "place it in external memory (custom_tinyml_model_section = qspi) or "
            "set board_upload.maximum_size if the board has more flash"
        )
    if budget.ram_limit and budget.ram_used > budget.ram_limit:
        over = budget.ram_used - budget.ram_limit
        raise BudgetError(
            f"arena ({budget.arena_bytes} B) + runtime estimate exceed {budget.board} "
            f"RAM ({budget.ram_limit} B) by {over} bytes; use a smaller model, "
            "lower custom_tinyml_arena_margin or set board_upload.maximum_ram_size "
            "if the board has more RAM"
        )
    return budget


# --- Summary -------------------------------------------------------------------------


def _share(used: int, total: int, percent: float | None) -> str:
    if percent is None:
        return f"~{used:,} B (board size unknown)"
    return f"~{used:,} / {total:,} B ({percent:.1f} %)"


def format_summary(
    summary: GenerationSummary,
    budget: MemoryBudget | None = None,
    *,
    quantization: str | None = None,
) -> str:
    """One screen about the generated model: sizes, ops, accuracy, board share.

    Returns:
        Lines without a prefix, joined by newlines.
    """
    kind = f" ({quantization})" if quantization else ""
    measured = (
        f"TFLM would need {summary.measured_arena:,} B"
        if summary.runtime == "aot"
        else f"measured {summary.measured_arena:,} B"
    )
    lines = [
        f"model '{summary.stem}'{kind}: {summary.model_bytes:,} B, "
        f"arena {summary.arena_size:,} B ({measured})",
        f"ops ({len(summary.ops)}): {', '.join(summary.ops) if summary.ops else '-'}",
        f"runtime: {summary.runtime}"
        + (f" ({summary.runtime_reason})" if summary.runtime_reason else ""),
        "host accuracy: "
        + (
            f"{summary.accuracy * 100:.2f} %"
            if summary.accuracy is not None
            else "not measured"
        ),
    ]
    if budget is not None:
        lines.append(
            f"{budget.board} flash: "
            f"{_share(budget.flash_used, budget.flash_limit, budget.flash_percent)}, "
            f"RAM: {_share(budget.ram_used, budget.ram_limit, budget.ram_percent)} "
            "(incl. runtime estimate)"
        )
        lines.extend(budget.notes)
    return "\n".join(lines)


def summary_lines(text: str, prefix: str = "[tinyml] ") -> Sequence[str]:
    """Prefix every line of ``text`` (for build output)."""
    return [prefix + line for line in text.splitlines()]
