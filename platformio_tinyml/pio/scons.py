# SPDX-License-Identifier: Apache-2.0
"""The SCons adapter: the only code that touches PlatformIO's build environment.

``extra_script.py`` calls :func:`configure` while PlatformIO reads the library's
SConscripts, i.e. before anything compiles. It gathers the inputs from the SCons env,
asks the pure :mod:`platformio_tinyml.pio.plan` what to do, regenerates only when the
inputs changed, and wires the generated sources into the build. The no-change path
reads one stamp file and never imports TensorFlow.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
import traceback
from pathlib import Path
from typing import TYPE_CHECKING, Any

from ..boards import (
    AOT_RUNTIME_FLASH_ESTIMATE,
    AOT_RUNTIME_RAM_ESTIMATE,
    RUNTIME_FLASH_ESTIMATE,
    RUNTIME_RAM_ESTIMATE,
    MemoryBudget,
    board_limits,
    estimate_budget,
)
from ..errors import DependencyError, TinyMLError
from ..tflm_sources import DEFAULT_DIR
from .plan import (
    GenerationPlan,
    Stamp,
    check_budget,
    format_summary,
    generated_src_filter,
    library_src_filter,
    model_in_internal_flash,
    plan_generation,
    read_stamp,
    stale_outputs,
    stale_reason,
    summary_lines,
    write_stamp,
)

if TYPE_CHECKING:
    from ..tflm_sources import TflmTree
    from .float_abi import FloatAbiDecision

PREFIX = "[tinyml]"
_GUARD = "TINYML_CONFIGURED_ENVS"
REPORT_TARGET = "tinyml-report"


def _info(message: str) -> None:
    print(f"{PREFIX} {message}", flush=True)


def _fail(env: Any, message: str) -> None:
    if os.environ.get("TINYML_DEBUG") == "1":
        traceback.print_exc()
    sys.stdout.flush()
    sys.stderr.write(f"{PREFIX} error: {message}\n")
    sys.stderr.flush()
    env.Exit(1)


def configure(env: Any) -> None:
    """Generate (when stale) and wire the model sources into one PlatformIO env.

    Args:
        env: the library's construction environment (``Import("env")`` in the
            library's extra script).

    Errors are printed as ``[tinyml] error: <message>`` on stderr and end the build
    with exit code 1 (set ``TINYML_DEBUG=1`` for the traceback).
    """
    from SCons.Script import DefaultEnvironment

    global_env = DefaultEnvironment()
    pioenv = env.subst("$PIOENV")
    done = list(global_env.get(_GUARD, []))
    if pioenv in done:
        return
    global_env[_GUARD] = [*done, pioenv]
    try:
        _configure(env, global_env)
    except TinyMLError as exc:
        _fail(env, str(exc))
    except ImportError as exc:
        if (exc.name or "").startswith("platformio_tinyml"):
            raise  # a module of this package is missing: a bug, keep the traceback
        _fail(
            env,
            f"cannot import '{exc.name}' from PlatformIO's Python "
            f"'{sys.executable}' ({exc}); install the library's Python package with: "
            f"{sys.executable} -m pip install '{Path.cwd()}'",
        )


# --- Inputs from the SCons environment ------------------------------------------------


def _project_options(env: Any, pioenv: str) -> dict[str, str]:
    items = env.GetProjectConfig().items(env=pioenv, as_dict=True)
    return {
        str(key): value
        if isinstance(value, str)
        else "\n".join(map(str, value))
        if isinstance(value, (list, tuple))
        else str(value)
        for key, value in items.items()
        if value is not None
    }


def _board(env: Any, options: dict[str, str]) -> tuple[str | None, Any]:
    board_id = env.get("BOARD") or options.get("board") or None
    if not board_id:
        return None, None
    manifest = env.BoardConfig()
    return str(board_id), manifest


def _projenv() -> Any:
    from SCons.Script.SConscript import global_exports

    return global_exports.get("projenv")


def _make_plan(env: Any, pioenv: str) -> tuple[GenerationPlan, Any]:
    options = _project_options(env, pioenv)
    board_id, manifest = _board(env, options)
    limits = None
    if board_id:
        limits = board_limits(
            board_id,
            {
                "upload.maximum_size": manifest.get("upload.maximum_size", 0),
                "upload.maximum_ram_size": manifest.get("upload.maximum_ram_size", 0),
            },
            options,
        )
    plan = plan_generation(
        options,
        project_dir=Path(env.subst("$PROJECT_DIR")),
        build_dir=Path(env.subst("$BUILD_DIR")),
        workspace_dir=Path(env.subst("$PROJECT_WORKSPACE_DIR")),
        env_name=pioenv,
        board=limits,
    )
    return plan, manifest


# --- Generation ----------------------------------------------------------------------


def _generate(plan: GenerationPlan, reason: str) -> Stamp:
    from ..fileio import file_lock

    with file_lock(plan.lock_path):
        # Another process (a second env of this project) may have finished meanwhile;
        # its cache makes this run cheap, but this env's outputs are its own.
        again = stale_reason(plan)
        stamp = read_stamp(plan)
        if again is None and stamp is not None:
            return stamp
        _info(f"Generating model sources for env:{plan.env_name} ({reason})")
        from ..pipeline import generate

        result = generate(
            plan.config,
            plan.generated_src,
            cache_dir=plan.cache_dir,
            base_dir=plan.project_dir,
            log=_info,
        )
        for leftover in stale_outputs(plan, result.files):
            leftover.unlink()
        return write_stamp(plan, result)


def _budget(
    plan: GenerationPlan, stamp: Stamp, *, check: bool = True
) -> MemoryBudget | None:
    """The board budget of this env (the build checks it; the report only shows it)."""
    if plan.board is None:
        return None
    summary = stamp.summary
    aot = not summary.needs_tflm
    budget = estimate_budget(
        plan.board,
        summary.flash_model_bytes or summary.model_bytes,
        summary.arena_size,
        model_in_flash=model_in_internal_flash(plan.config),
        runtime_flash=AOT_RUNTIME_FLASH_ESTIMATE if aot else RUNTIME_FLASH_ESTIMATE,
        runtime_ram=AOT_RUNTIME_RAM_ESTIMATE if aot else RUNTIME_RAM_ESTIMATE,
    )
    return check_budget(budget) if check else budget


def _first_line(exc: BaseException) -> str:
    lines = [line.strip() for line in str(exc).splitlines() if line.strip()]
    text = lines[0] if lines else type(exc).__name__
    return text if len(text) <= 160 else text[:157] + "..."


def _needs_tflm(plan: GenerationPlan, stamp: Stamp | None) -> bool:
    """False when the compiled (AOT) model runs: then TFLM is never looked for."""
    if stamp is not None:
        return stamp.summary.needs_tflm
    return plan.config.runtime != "aot"


def _tflm_tree(plan: GenerationPlan, stamp: Stamp | None) -> TflmTree | None:
    """The TFLM sources to build, per custom_tinyml_tflm / custom_tinyml_tflm_dir.

    ``auto``: a local checkout when one is found, else the pinned download; when
    neither works the build stops here, before anything compiles.
    """
    from ..tflm_sources import locate_tflm

    mode = plan.config.tflm
    if mode == "off" or not _needs_tflm(plan, stamp):
        return None
    if importlib.util.find_spec("platformio_tinyml.pio.scons_tflm") is None:
        return None
    if plan.tflm_dir is not None:
        # Checks the checkout and its third-party downloads; names what is missing.
        return locate_tflm(plan.tflm_dir)
    if mode in ("auto", "local"):
        found = locate_tflm()  # $TINYML_TFLM_DIR, then the default location
        if found is not None:
            return found
        if mode == "local":
            raise DependencyError(
                "custom_tinyml_tflm = local but no tflite-micro checkout was found "
                "(custom_tinyml_tflm_dir, $TINYML_TFLM_DIR, "
                f"{DEFAULT_DIR}); set custom_tinyml_tflm_dir to one, or use "
                "custom_tinyml_tflm = auto to download the pinned sources"
            )
    from .scons_tflm import install_tflm

    _info("Installing the pinned TFLM sources (PlatformIO package manager)")
    try:
        return install_tflm(plan.workspace_dir / "tinyml" / "deps")
    except DependencyError as exc:
        if mode != "auto":
            raise
        raise DependencyError(
            f"no tflite-micro checkout found (custom_tinyml_tflm_dir, "
            f"$TINYML_TFLM_DIR, {DEFAULT_DIR}) and the pinned download failed "
            f"({_first_line(exc.__cause__ or exc)}); build once online, or clone "
            "tflite-micro with its third-party downloads and set TINYML_TFLM_DIR "
            "to it"
        ) from exc


# --- One float ABI for everything that is linked ------------------------------------


def _flag_envs(env: Any, global_env: Any, projenv: Any) -> dict[str, Any]:
    """Every environment whose objects end up in the firmware, by a readable name.

    The framework's HAL and startup code use the global environment itself; the
    BSP, its components and other libraries were cloned from it before this script
    runs, so each of their environments is updated too.
    """
    envs: dict[str, Any] = {"the platform and build_flags": global_env}
    if projenv is not None:
        envs["the project's sources"] = projenv
    envs["the tinyml library"] = env
    builders = [
        *(global_env.get("__PIO_LIB_BUILDERS") or []),
        *(global_env.get("EXTRA_LIB_BUILDERS") or []),
    ]
    for lb in builders:
        lib_env = getattr(lb, "env", None)
        if lib_env is not None:
            envs.setdefault(f"library '{getattr(lb, 'name', '?')}'", lib_env)
    unique: dict[int, tuple[str, Any]] = {}
    for name, target in envs.items():
        unique.setdefault(id(target), (name, target))
    return dict(unique.values())


def _apply_float_abi(
    env: Any, global_env: Any, projenv: Any, plan: GenerationPlan
) -> FloatAbiDecision:
    """Give every part of the firmware the board's float ABI (or the user's)."""
    from .float_abi import FLAG_SCOPES, decide_float_abi

    board_id = plan.board.board_id if plan.board else None
    mcu = str(env.BoardConfig().get("build.mcu", "")) if board_id else ""
    envs = _flag_envs(env, global_env, projenv)
    if not board_id and not _tflm_cpu_flags(global_env):
        return decide_float_abi(None, "", {})  # a host build: no float ABI to choose
    scopes = {
        f"{scope} of {name}": list(target.get(scope, []))
        for name, target in envs.items()
        for scope in FLAG_SCOPES
    }
    decision = decide_float_abi(board_id, mcu, scopes)
    for note in decision.notes:
        _info(note)
    if decision.abi is None:
        return decision
    for target in envs.values():
        for scope in FLAG_SCOPES:
            missing = decision.missing(target.get(scope, []))
            if missing:
                target.Append(**{scope: list(missing)})
    return decision


def _tflm_cpu_flags(env: Any) -> list[str]:
    """The machine flags TFLM is compiled with: exactly the library's own."""
    machine = ("-mcpu=", "-mthumb", "-mfloat-abi=", "-mfpu=", "-march=")
    return [
        str(f)
        for f in env.get("CCFLAGS", [])
        if isinstance(f, str) and f.startswith(machine)
    ]


def _select_bsp(global_env: Any, plan: GenerationPlan) -> None:
    """Leave the BSP files the board's build cannot use out of the framework's BSP."""
    from .framework_bsp import BSP_LIBRARY, bsp_selection

    board_id = plan.board.board_id if plan.board else None
    frameworks = tuple(str(f) for f in global_env.get("PIOFRAMEWORK") or ())
    selection = bsp_selection(board_id, frameworks)
    if selection is None:
        return
    for lb in global_env.get("EXTRA_LIB_BUILDERS") or []:
        if getattr(lb, "name", None) == BSP_LIBRARY:
            lb.env.Replace(SRC_FILTER=selection.src_filter)
            _info(f"BSP: {', '.join(selection.excluded)} left out ({selection.reason})")


# --- Applying the plan ---------------------------------------------------------------


def _wire(
    env: Any,
    projenv: Any,
    plan: GenerationPlan,
    stamp: Stamp | None,
    *,
    tflm: TflmTree | None,
    build: bool,
) -> None:
    board_id = plan.board.board_id if plan.board else None
    env.Replace(SRC_FILTER=library_src_filter(board_id, have_tflm=tflm is not None))
    envs = [env] + ([projenv] if projenv is not None and projenv is not env else [])
    if plan.generated_src.is_dir():
        for target in envs:
            target.AppendUnique(CPPPATH=[str(plan.generated_src)])
    if not _needs_tflm(plan, stamp):
        from SCons.Script import DefaultEnvironment

        for target in {id(e): e for e in (*envs, DefaultEnvironment())}.values():
            target.AppendUnique(CPPDEFINES=[("TINYML_RUNTIME_AOT", 1)])
    if not build or stamp is None:
        return
    env.BuildSources(
        str(plan.generated_build),
        str(plan.generated_src),
        generated_src_filter(stamp, plan.generated_src, have_tflm=tflm is not None),
    )
    if tflm is not None:
        # Also defines TINYML_HAVE_TFLM=1 on env, projenv and the global env.
        from . import scons_tflm

        scons_tflm.build_tflm(
            env,
            projenv,
            tflm,
            stamp.summary.ops,
            kernels=plan.config.kernels,
            cpu_flags=_tflm_cpu_flags(env),
        )


def _add_report_target(global_env: Any, plan: GenerationPlan) -> None:
    targets = global_env.get("__PIO_TARGETS") or {}
    if REPORT_TARGET in targets:
        return

    def write(target: Any, source: Any, env: Any) -> int:
        try:
            report = importlib.import_module("platformio_tinyml.report")
            budget = None
            stamp = read_stamp(plan)
            board = plan.board
            if board is not None and board.flash_bytes and stamp is not None:
                budget = _budget(plan, stamp, check=False)
            path = report.write_report(
                plan.config,
                plan.report_dir,
                cache_dir=plan.cache_dir,
                base_dir=plan.project_dir,
                budget=budget,
            )
        except TinyMLError as exc:
            sys.stderr.write(f"{PREFIX} error: {exc}\n")
            return 1
        except ImportError as exc:
            sys.stderr.write(
                f"{PREFIX} error: the report needs '{exc.name}'; install it with: "
                f"{sys.executable} -m pip install 'platformio-tinyml[report]'\n"
            )
            return 1
        for line in budget.over_budget() if budget is not None else ():
            sys.stderr.write(f"{PREFIX} warning: over budget: {line}\n")
        _info(f"Report written to {path}")
        return 0

    global_env.AddCustomTarget(
        name=REPORT_TARGET,
        dependencies=None,
        # VerboseAction: SCons would otherwise print the Python call itself.
        actions=global_env.VerboseAction(write, "Writing the TinyML report"),
        title="TinyML report",
        description="Write the model report to $BUILD_DIR/tinyml/report/",
    )


def _configure(env: Any, global_env: Any) -> None:
    pioenv = env.subst("$PIOENV")
    plan, _ = _make_plan(env, pioenv)
    projenv = _projenv()
    _apply_float_abi(env, global_env, projenv, plan)
    _select_bsp(global_env, plan)

    if env.IsIntegrationDump():
        # IDE service stage: never train or generate; only expose existing outputs.
        existing = read_stamp(plan)
        tflm = _tflm_tree(plan, existing)
        _wire(env, projenv, plan, existing, tflm=tflm, build=False)
        return

    reason = stale_reason(plan)
    stamp: Stamp | None
    if reason is not None:
        stamp = _generate(plan, reason)
        budget = _budget(plan, stamp)
        text = format_summary(
            stamp.summary, budget, quantization=plan.config.quantization
        )
        for line in summary_lines(text, PREFIX + " "):
            print(line, flush=True)
    else:
        stamp = read_stamp(plan)
        if stamp is None:  # removed between the check and now
            raise TinyMLError(
                f"stamp '{plan.stamp_path}' vanished during the build; run the build "
                "again"
            )
        _budget(plan, stamp)
        _info(
            f"Up to date: '{stamp.summary.stem}' for env:{pioenv} "
            f"(runtime {stamp.summary.runtime})"
        )
    tflm = _tflm_tree(plan, stamp)
    if tflm is None and stamp.summary.needs_tflm:
        _info(
            "runtime tflm without TFLM sources: the model cannot run in this build; "
            "set custom_tinyml_tflm_dir (or custom_tinyml_tflm = download), or "
            "custom_tinyml_runtime = auto"
        )
    _wire(env, projenv, plan, stamp, tflm=tflm, build=True)
    _add_report_target(global_env, plan)
