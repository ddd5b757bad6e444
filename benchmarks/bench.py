# SPDX-License-Identifier: Apache-2.0
"""Benchmarks of platformio-tinyml on this machine: speed, instructions, memory."""

from __future__ import annotations

import argparse
import configparser
import json
import os
import platform
import re
import shutil
import statistics
import subprocess
import sys
import time
import traceback
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
FIRMWARE = HERE / "firmware"
EXAMPLES = REPO / "examples"
TINY_MODEL = REPO / "tests" / "data" / "tiny_cnn_int8.tflite"
# The developer tools (devtools/, not in the wheel) come from this checkout.
if str(REPO) not in sys.path:
    sys.path.append(str(REPO))

# Models counted on the emulated Cortex-M7 (issue: dense, LeNet, ResNet-8).
COUNTED_MODELS = ("mnist_dense", "mnist_lenet", "cifar10_resnet8")
KERNEL_SETS = ("reference", "cmsis_nn", "aot")  # "aot": the model compiled to C
TFLM_KERNEL_SETS = ("reference", "cmsis_nn")
COUNT_IMAGES = 2  # inferences counted per model and kernel set
COMPILE_RATIO_TARGET = 30.0
OVERHEAD_TARGET_S = 0.15
F746_HZ = 216e6

# --- Anchors (published figures, not measured here) ---------------------------------

SEED_002: dict[str, Any] = {
    "what": "float MNIST CNN (depthwise + 2 conv + 2 FC), STM32F746 @216 MHz",
    "tflm_float_ms": 126.3,
    "xcubeai_ms": 73.7,
    "source": "stupid-projects.com, Machine Learning on Embedded (Part 3)",
}
MLPERF_RESNET8 = (
    # (stack, board, clock MHz, latency ms)
    ("TFLM reference submission (MLPerf Tiny v0.5)", "NUCLEO-L4R5ZI (M4)", 120, 704.0),
    ("microTVM + CMSIS-NN (v1.1 Krai)", "NUCLEO-L4R5ZI (M4)", 120, 389.6),
    ("Plumerai (v1.0)", "DISCO_F746NG (M7)", 216, 64.8),
    ("X-CUBE-AI 8.0 (v1.1 Krai)", "NUCLEO-H7A3ZI-Q (M7)", 280, 54.9),
    ("STM32Cube.AI 10.0 (ST model zoo)", "STM32H747I-DISCO (M7)", 400, 28.67),
)
RESNET8_MACS = 12_500_000  # the MAC count the published cycles/MAC figures use


# --- Small helpers -------------------------------------------------------------------


def ratio(numerator: Sequence[float], denominator: Sequence[float]) -> float:
    """Ratio of the best (smallest) time of two side-by-side series.

    Raises:
        ValueError: a series is empty or the denominator's best time is not positive.
    """
    if not numerator or not denominator:
        raise ValueError("ratio needs at least one time on each side")
    low = min(denominator)
    if low <= 0:
        raise ValueError(f"denominator time '{low}' must be positive")
    return min(numerator) / low


def interleave(
    a: Callable[[], float], b: Callable[[], float], repeats: int
) -> tuple[list[float], list[float]]:
    """Run ``a`` and ``b`` alternately ``repeats`` times each; return both series.

    Alternating keeps slow drifts of machine load from favouring either side.
    """
    times_a: list[float] = []
    times_b: list[float] = []
    for i in range(repeats):
        first, second = (a, b) if i % 2 == 0 else (b, a)
        t1, t2 = first(), second()
        if i % 2 == 0:
            times_a.append(t1)
            times_b.append(t2)
        else:
            times_a.append(t2)
            times_b.append(t1)
    return times_a, times_b


def timed(fn: Callable[[], Any]) -> float:
    """Wall seconds of one call."""
    start = time.perf_counter()
    fn()
    return time.perf_counter() - start


def run_checked(cmd: Sequence[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
    """Run a command; raise RuntimeError with its output tail when it fails."""
    proc = subprocess.run(
        list(cmd), capture_output=True, text=True, check=False, **kwargs
    )
    if proc.returncode != 0:
        tail = (proc.stdout + proc.stderr)[-3000:]
        raise RuntimeError(f"'{' '.join(cmd[:6])}' failed ({proc.returncode}):\n{tail}")
    return proc


def series(times: Sequence[float]) -> dict[str, Any]:
    """JSON summary of a timing series."""
    return {
        "best_s": min(times),
        "median_s": statistics.median(times),
        "runs_s": [round(t, 6) for t in times],
    }


def log(message: str) -> None:
    """Progress on stderr, so stdout stays clean."""
    print(f"[bench] {message}", file=sys.stderr, flush=True)


# --- 1. Pipeline speed ---------------------------------------------------------------


def pipeline_speed(
    model: bytes, model_name: str, work: Path, *, repeats: int, compile_repeats: int
) -> dict[str, Any]:
    """C-source generation vs ``xxd -i``, C array vs ``.incbin`` compile, cache hit.

    Args:
        model: the model bytes to embed.
        model_name: where they came from (reported).
        work: scratch directory.
        repeats: side-by-side runs of the fast measurements.
        compile_repeats: side-by-side runs of the compiles.
    """
    from platformio_tinyml.codegen.c_arrays import render_model_sources
    from platformio_tinyml.fileio import write_files

    work.mkdir(parents=True, exist_ok=True)
    tflite = work / "model.tflite"
    tflite.write_bytes(model)
    out: dict[str, Any] = {"model": model_name, "model_bytes": len(model)}

    # Text generation: in-process renderer vs the xxd binary (incl. process start).
    xxd = shutil.which("xxd")
    if xxd is None:
        out["generation"] = {"error": "xxd is not installed (apt-get install xxd)"}
    else:

        def ours() -> float:  # the whole text: a streamed file is joined here
            return timed(
                lambda: [
                    f.content
                    for f in render_model_sources(model, stem="m", mode="carray")
                ]
            )

        def theirs() -> float:
            with open(work / "xxd.c", "w") as fp:
                return timed(
                    lambda: subprocess.run(
                        [xxd, "-i", "model.tflite"], cwd=work, stdout=fp, check=True
                    )
                )

        t_ours, t_xxd = interleave(ours, theirs, repeats)
        out["generation"] = {
            "tinyml": series(t_ours),
            "xxd_i": series(t_xxd),
            "speedup": ratio(t_xxd, t_ours),
        }
        out["cli"] = carray_cli_speed(work, xxd, 3 * repeats)

    # Compile: C array vs .incbin, with the firmware's compiler and flags.
    cc = shutil.which("arm-none-eabi-g++")
    if cc is None:
        out["compile"] = {"error": "arm-none-eabi-g++ is not installed"}
    else:
        carray_dir, incbin_dir = work / "carray", work / "incbin"
        write_files(carray_dir, render_model_sources(model, stem="m", mode="carray"))
        write_files(incbin_dir, render_model_sources(model, stem="m", mode="incbin"))
        flags = ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"]
        flags += ["-O2", "-c"]

        def compile_carray() -> float:
            cmd = [cc, *flags, "m_model_data.cpp", "-o", "m.o"]
            return timed(lambda: run_checked(cmd, cwd=carray_dir))

        def compile_incbin() -> float:
            cmd = [cc, *flags, "-I.", "m_model_data.S", "-o", "m.o"]
            return timed(lambda: run_checked(cmd, cwd=incbin_dir))

        t_carray, t_incbin = interleave(compile_carray, compile_incbin, compile_repeats)
        speedup = ratio(t_carray, t_incbin)
        out["compile"] = {
            "compiler": "arm-none-eabi-g++ -mcpu=cortex-m7 -O2",
            "carray": series(t_carray),
            "incbin": series(t_incbin),
            "speedup": speedup,
            "target": COMPILE_RATIO_TARGET,
            "meets_target": speedup >= COMPILE_RATIO_TARGET,
        }

    out["cache"] = _cache_hit(work / "cache-hit", repeats=repeats)
    return out


CLI_RATIO_TARGET = 2.0  # `tinyml carray` at least twice as fast as `xxd -i`


def carray_cli_speed(work: Path, xxd: str, repeats: int) -> dict[str, Any]:
    """`tinyml carray model.tflite` vs `xxd -i model.tflite > out.c`: whole processes.

    Both run as commands, start-up included, on ``work/model.tflite``, alternately;
    tinyml in its default mode (``.incbin`` above 256 KiB) and in ``--xxd`` mode,
    each into an output directory emptied before every run (nothing to reuse), as
    xxd writes its whole output every time. The console script runs with Python's
    bytecode cache enabled (warmed by one untimed run), as after ``pip install``.
    """
    from platformio_tinyml.errors import ModelError
    from platformio_tinyml.tflite_file import check_model_structure

    exe = Path(sys.executable).with_name("tinyml")
    if not exe.is_file():
        return {"error": f"no tinyml console script beside {sys.executable}"}
    try:  # a real model is checked as users' models are; synthetic bytes need --raw
        check_model_structure((work / "model.tflite").read_bytes())
        raw: tuple[str, ...] = ()
    except ModelError:
        raw = ("--raw",)
    env = {k: v for k, v in os.environ.items() if k != "PYTHONDONTWRITEBYTECODE"}

    def tinyml(*extra: str) -> Callable[[], float]:
        out = work / ("cli-" + "-".join(e.strip("-") for e in extra or ("auto",)))
        cmd = [str(exe), "carray", "model.tflite", "--out-dir", str(out), *raw, *extra]

        def run() -> float:
            shutil.rmtree(out, ignore_errors=True)
            return timed(lambda: run_checked(cmd, cwd=work, env=env))

        run()  # warm-up: writes the bytecode cache
        return run

    def xxd_i() -> float:
        (work / "xxd.c").unlink(missing_ok=True)
        with open(work / "xxd.c", "w") as fp:
            return timed(
                lambda: subprocess.run(
                    [xxd, "-i", "model.tflite"], cwd=work, stdout=fp, check=True
                )
            )

    xxd_i()
    t_auto, t_xxd = interleave(tinyml(), xxd_i, repeats)
    t_xxd_mode, t_xxd2 = interleave(tinyml("--xxd"), xxd_i, repeats)
    speedup = ratio(t_xxd, t_auto)
    speedup_xxd_mode = ratio(t_xxd2, t_xxd_mode)
    return {
        "flatbuffer_checked": not raw,
        "runs": repeats,
        "tinyml_carray": series(t_auto),
        "xxd_i": series(t_xxd),
        "speedup": speedup,
        "speedup_median": statistics.median(t_xxd) / statistics.median(t_auto),
        "tinyml_carray_xxd_mode": series(t_xxd_mode),
        "xxd_i_beside_xxd_mode": series(t_xxd2),
        "speedup_xxd_mode": speedup_xxd_mode,
        "speedup_xxd_mode_median": statistics.median(t_xxd2)
        / statistics.median(t_xxd_mode),
        "target": CLI_RATIO_TARGET,
        "meets_target": speedup >= CLI_RATIO_TARGET,
        "meets_target_xxd_mode": speedup_xxd_mode >= CLI_RATIO_TARGET,
    }


def tiny_dataset(folder: Path, per_class: int = 6) -> Path:
    """A folder dataset for the 8x8x1, 3-class test model: deterministic PNGs."""
    import numpy as np
    from PIL import Image

    rng = np.random.default_rng(1)
    for label in range(3):
        sub = folder / f"class{label}"
        sub.mkdir(parents=True, exist_ok=True)
        for i in range(per_class):
            pixels = rng.integers(0, 64, (8, 8), dtype=np.uint8)
            pixels[:, label * 3 : label * 3 + 2] = 255  # a class-dependent bar
            Image.fromarray(pixels, mode="L").save(sub / f"{i}.png")
    return folder


def _cache_hit(work: Path, *, repeats: int) -> dict[str, Any]:
    """A build's up-to-date check (plan + stamp) against a fresh ``generate``.

    The model is the small test model in tests/data, verified on the MNIST test
    images; a fresh generation starts from an empty cache and output directory.
    """
    from platformio_tinyml.pio.plan import plan_generation, stale_reason, write_stamp
    from platformio_tinyml.pipeline import generate

    if not TINY_MODEL.is_file():
        return {"error": f"test model '{TINY_MODEL}' is missing"}
    project = work / "project"
    project.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(TINY_MODEL, project / "model.tflite")
    tiny_dataset(project / "images")
    options = {
        "custom_tinyml_model": "model.tflite",
        "custom_tinyml_dataset": "folder:images",
        "custom_tinyml_verify_samples": "100",
        "custom_tinyml_images": "2",
    }
    fresh: list[float] = []
    hits: list[float] = []
    for i in range(repeats):
        run_dir = work / f"run{i}"
        shutil.rmtree(run_dir, ignore_errors=True)
        build, workspace = run_dir / "build", run_dir / "workspace"

        def plan(build: Path = build, workspace: Path = workspace) -> Any:
            return plan_generation(
                options,
                project_dir=project,
                build_dir=build,
                workspace_dir=workspace,
                env_name="bench",
                board=None,
            )

        def fresh_generation() -> None:
            p = plan()
            result = generate(
                p.config, p.generated_src, cache_dir=p.cache_dir, base_dir=project
            )
            write_stamp(p, result)

        def up_to_date() -> None:
            if stale_reason(plan()) is not None:
                raise RuntimeError("the stamp check did not hit after a generation")

        fresh.append(timed(fresh_generation))
        hits.append(timed(up_to_date))
    return {
        "model": f"{TINY_MODEL.name} ({TINY_MODEL.stat().st_size} bytes)",
        "fresh_generation": series(fresh),
        "cache_hit": series(hits),
        "speedup": ratio(fresh, hits),
    }


# --- 2. Build overhead ---------------------------------------------------------------

_HOST_INI = """\
; No-op build overhead of platformio-tinyml: the same host program built without
; (env:plain) and with (env:tinyml) the library and a model.
[platformio]
default_envs = plain

[env]
platform = symlink://{repo}/platforms/hostgcc

[env:plain]

[env:tinyml]
lib_deps = tinyml=symlink://{repo}
custom_tinyml_model = model.tflite
custom_tinyml_dataset = folder:images
custom_tinyml_images = 2
custom_tinyml_verify_samples = 100
"""
_HOST_MAIN = (
    '#include <cstdio>\n\nint main() {\n  std::puts("hello");\n  return 0;\n}\n'
)


def pio_env(core_dir: Path, **extra: str) -> dict[str, str]:
    """Process environment for an offline ``pio`` with a private core dir."""
    from devtools.pio_offline import offline_env, provision_tool_scons

    provision_tool_scons(core_dir)
    env = {**os.environ, **offline_env(core_dir), "PYTHONDONTWRITEBYTECODE": "1"}
    env.update(extra)
    return env


def pio(env: Mapping[str, str], *args: str) -> subprocess.CompletedProcess[str]:
    """Run ``python -m platformio <args>`` (same Python as this script)."""
    return run_checked(
        [sys.executable, "-m", "platformio", *args], env=dict(env), timeout=3600
    )


def build_overhead(work: Path, core_dir: Path, *, repeats: int) -> dict[str, Any]:
    """No-op ``pio run`` of one host project, with and without the library."""
    project = work / "host_project"
    shutil.rmtree(project, ignore_errors=True)
    (project / "src").mkdir(parents=True)
    (project / "platformio.ini").write_text(_HOST_INI.format(repo=REPO))
    (project / "src" / "main.cpp").write_text(_HOST_MAIN)
    shutil.copyfile(TINY_MODEL, project / "model.tflite")
    tiny_dataset(project / "images")
    env = pio_env(core_dir)
    for name in ("plain", "tinyml"):  # first builds (not timed)
        pio(env, "run", "-d", str(project), "-e", name)

    def noop(name: str) -> Callable[[], float]:
        return lambda: timed(lambda: pio(env, "run", "-d", str(project), "-e", name))

    t_with, t_without = interleave(noop("tinyml"), noop("plain"), repeats)
    added = statistics.median(t_with) - statistics.median(t_without)
    return {
        "project": "host program (platforms/hostgcc), model tests/data/"
        + TINY_MODEL.name,
        "with_tinyml": series(t_with),
        "without_tinyml": series(t_without),
        "ratio": ratio(t_with, t_without),
        "added_s_median": added,
        "added_s_best": min(t_with) - min(t_without),
        "target_added_s": OVERHEAD_TARGET_S,
        "meets_target": added <= OVERHEAD_TARGET_S,
    }


# --- 5. Accuracy (runs first: it trains the models the firmware builds reuse) -------


@dataclass(frozen=True)
class ModelPlan:
    """How one zoo model is trained for this run."""

    name: str
    dataset: str
    epochs: int
    default_epochs: int


def model_plans(quick: bool) -> list[ModelPlan]:
    """Epochs per zoo model: 1 in quick runs, the defaults (ResNet-8: 3) otherwise."""
    from platformio_tinyml.zoo import ARCHITECTURES

    plans = []
    for arch in ARCHITECTURES.values():
        epochs = 1 if quick else min(arch.default_epochs, 3)
        plans.append(
            ModelPlan(arch.name, arch.default_dataset, epochs, arch.default_epochs)
        )
    return plans


def accuracy(
    plans: Sequence[ModelPlan], cache_dir: Path, *, samples: int
) -> list[dict[str, Any]]:
    """Train each zoo model (cached), convert to float32 and int8, run host TFLM."""
    from platformio_tinyml.datasets import load_dataset, sample_test_split
    from platformio_tinyml.errors import TinyMLError
    from platformio_tinyml.model_info import read_model
    from platformio_tinyml.quantization import convert_model
    from platformio_tinyml.training import train_model
    from platformio_tinyml.verification import evaluate_accuracy, measure_arena

    rows: list[dict[str, Any]] = []
    for plan in plans:
        row: dict[str, Any] = {"model": plan.name, "epochs": plan.epochs}
        try:
            dataset = load_dataset(plan.dataset, for_model=plan.name)
            row["dataset"] = portable(dataset.description)
            row["train_images"] = int(len(dataset.y_train))
            row["test_images"] = int(len(dataset.y_test))
            log(f"accuracy: training {plan.name} for {plan.epochs} epoch(s)")
            start = time.perf_counter()
            trained = train_model(
                plan.name,
                dataset,
                epochs=plan.epochs,
                seed=1,
                cache_dir=cache_dir,
                progress=False,
            )
            row["train_s"] = time.perf_counter() - start
            row["keras_float_accuracy"] = trained.float_accuracy
            for quant in ("float32", "int8"):
                tflite = convert_model(
                    trained.path, quantization=quant, dataset=dataset
                )
                info = read_model(tflite, source=plan.name)
                subset = sample_test_split(dataset, samples)
                row[quant] = {
                    "bytes": len(tflite),
                    "tflm_accuracy": evaluate_accuracy(tflite, subset),
                    "samples": int(len(subset.y_test)),
                    "arena_bytes": measure_arena(tflite),
                }
                row["macs"] = info.macs
        except TinyMLError as exc:
            row["error"] = str(exc)
        rows.append(row)
    return rows


# --- 3 + 4. Firmware: instruction counts and memory ----------------------------------

_BENCH_RE = re.compile(
    r"^TINYML bench kernels=(\S+) arena_used=(\d+) arena_size=(\d+) macs=(\d+)$", re.M
)
_OUTPUT_RE = re.compile(r"^TINYML output image=(\d+) match=([01])", re.M)
_OP_RE = re.compile(r"^TINYML op index=(\d+) tag=(\S+)$", re.M)
_DONE_RE = re.compile(r"^TINYML done images=(\d+) mismatches=(\d+)$", re.M)
_FLASH_SECTIONS: tuple[str, ...] = (
    ".isr_vector",
    ".text",
    ".rodata",
    ".ARM.exidx",
    ".ARM.extab",
    ".init_array",
    ".fini_array",
    ".preinit_array",
)


@dataclass(frozen=True)
class FirmwareCounts:
    """Parsed output of one benchmark-firmware run under the insncount plugin."""

    kernels: str
    arena_used: int
    arena_size: int
    macs: int
    per_inference: tuple[int, ...]
    matches: tuple[bool, ...]
    ops: tuple[tuple[str, int], ...]  # (tag, instructions) in execution order
    mismatches: int


def parse_firmware_run(
    stdout: str, regions: Sequence[int], marks: Sequence[int]
) -> FirmwareCounts:
    """Pair the firmware's result lines with the plugin's region and mark counts.

    Raises:
        ValueError: the output lacks the bench/done lines, or the counts disagree.
    """
    bench = _BENCH_RE.search(stdout)
    done = _DONE_RE.search(stdout)
    if bench is None or done is None:
        raise ValueError(
            f"firmware output has no TINYML bench/done line:\n{stdout[-1500:]}"
        )
    matches = tuple(m.group(2) == "1" for m in _OUTPUT_RE.finditer(stdout))
    if len(regions) != len(matches):
        raise ValueError(
            f"{len(regions)} counted regions but {len(matches)} output lines"
        )
    tags = [m.group(2) for m in _OP_RE.finditer(stdout)]
    kernels = bench.group(1)
    if kernels == "aot":
        # One mark before the traced invoke, then one at the end of every op.
        if len(marks) != len(tags) + 1:
            raise ValueError(
                f"{len(marks)} marks for {len(tags)} compiled ops (need one more)"
            )
        ops = tuple((tag, marks[k + 1] - marks[k]) for k, tag in enumerate(tags))
    else:
        if len(marks) != 2 * len(tags):
            raise ValueError(
                f"{len(marks)} marks for {len(tags)} operators (need 2 each)"
            )
        ops = tuple(
            (tag, marks[2 * k + 1] - marks[2 * k]) for k, tag in enumerate(tags)
        )
    return FirmwareCounts(
        kernels=kernels,
        arena_used=int(bench.group(2)),
        arena_size=int(bench.group(3)),
        macs=int(bench.group(4)),
        per_inference=tuple(regions),
        matches=matches,
        ops=ops,
        mismatches=int(done.group(2)),
    )


def section_sizes(elf: Path) -> dict[str, int]:
    """Allocated section sizes of an ARM ELF (``arm-none-eabi-size -A``)."""
    proc = run_checked(["arm-none-eabi-size", "-A", "-d", str(elf)])
    sizes: dict[str, int] = {}
    for line in proc.stdout.splitlines():
        parts = line.split()
        if len(parts) == 3 and parts[0].startswith(".") and parts[1].isdigit():
            sizes[parts[0]] = int(parts[1])
    return sizes


def memory_of(sizes: Mapping[str, int], arena: int) -> dict[str, int]:
    """Flash (code + read-only data + .data image) and RAM (.data + .bss)."""
    text_rodata = sum(sizes.get(s, 0) for s in _FLASH_SECTIONS)
    data = sizes.get(".data", 0)
    bss = sizes.get(".bss", 0)
    return {
        "text_rodata": text_rodata,
        "data": data,
        "bss": bss,
        "flash": text_rodata + data,
        "ram": data + bss,
        "arena": arena,
    }


@dataclass(frozen=True)
class FirmwareBuild:
    """One configuration of the benchmark firmware."""

    model: str
    dataset: str
    epochs: int
    kernels: str
    images: int = COUNT_IMAGES
    image_format: str = "int8"
    purpose: str = "count"

    @property
    def label(self) -> str:
        return f"{self.model}-{self.kernels}-{self.images}x{self.image_format}"


def example_models() -> list[dict[str, Any]]:
    """Each example project's model, images and real board (from its platformio.ini)."""
    found = []
    for ini in sorted(EXAMPLES.glob("*/platformio.ini")):
        parser = configparser.ConfigParser(interpolation=None)
        parser.read(ini)
        common = parser["env"] if parser.has_section("env") else {}
        boards = [
            parser[s]["board"]
            for s in parser.sections()
            if s.startswith("env:") and "board" in parser[s] and s != "env:qemu"
        ]
        if "custom_tinyml_model" not in common or not boards:
            continue
        found.append(
            {
                "example": ini.parent.name,
                "model": common["custom_tinyml_model"],
                "dataset": common.get("custom_tinyml_dataset", "mnist"),
                "images": int(common.get("custom_tinyml_images", "10")),
                "image_format": common.get("custom_tinyml_image_format", "uint8"),
                "kernels": common.get("custom_tinyml_kernels", "cmsis_nn"),
                "board": boards[0],
            }
        )
    return found


def firmware(
    plans: Sequence[ModelPlan],
    work: Path,
    core_dir: Path,
    *,
    verify_samples: int,
    kernel_sets: Sequence[str] = KERNEL_SETS,
) -> dict[str, Any]:
    """Build the benchmark firmware per model and kernel set; count and size it.

    The TFLM kernel sets need a TFLM checkout; without one only ``aot`` is built.
    """
    from devtools.qemu import build_insncount_plugin, count_instructions
    from platformio_tinyml.fileio import default_cache_dir
    from platformio_tinyml.model_info import read_model
    from platformio_tinyml.tflm_sources import locate_tflm

    tree = locate_tflm(None)
    tflm_sets = [k for k in ("cmsis_nn", "reference") if k in kernel_sets]
    if tree is None and tflm_sets:
        if "aot" not in kernel_sets:
            raise RuntimeError(
                "no tflite-micro checkout at $TINYML_TFLM_DIR or "
                "~/.cache/tinyml-deps/tflite-micro"
            )
        log("firmware: no TFLM checkout; measuring the AOT runtime only")
        tflm_sets = []
    plugin = build_insncount_plugin(default_cache_dir() / "qemu-plugin")
    by_name = {p.name: p for p in plans}
    builds = [
        FirmwareBuild(m, by_name[m].dataset, by_name[m].epochs, k)
        for k in (*tflm_sets, *(["aot"] if "aot" in kernel_sets else []))
        for m in COUNTED_MODELS
    ]
    examples = example_models() if tflm_sets else []
    no_tflm = work / "no-tflm"  # the aot env never looks for TFLM: prove it
    no_tflm.mkdir(parents=True, exist_ok=True)
    for ex in examples:
        plan = by_name[ex["model"]]
        builds.insert(
            len(COUNTED_MODELS),  # with the other cmsis_nn builds
            FirmwareBuild(
                ex["model"],
                ex["dataset"],
                plan.epochs,
                ex["kernels"],
                ex["images"],
                ex["image_format"],
                purpose="memory",
            ),
        )
    workspace = work / "fw-workspace"
    elves = work / "elf"
    elves.mkdir(parents=True, exist_ok=True)
    counts: dict[str, Any] = {}
    memory: dict[str, Any] = {}
    done: set[str] = set()
    for build in builds:
        if build.label in done:
            continue
        done.add(build.label)
        env = pio_env(
            core_dir,
            PLATFORMIO_WORKSPACE_DIR=str(workspace),
            TINYML_TFLM_DIR=str(
                no_tflm if build.kernels == "aot" or tree is None else tree.root
            ),
            TINYML_BENCH_MODEL=build.model,
            TINYML_BENCH_DATASET=build.dataset,
            TINYML_BENCH_EPOCHS=str(build.epochs),
            TINYML_BENCH_IMAGES=str(build.images),
            TINYML_BENCH_IMAGE_FORMAT=build.image_format,
            TINYML_BENCH_VERIFY_SAMPLES=str(verify_samples),
        )
        log(f"firmware: building {build.label}")
        start = time.perf_counter()
        try:
            pio(env, "run", "-d", str(FIRMWARE), "-e", build.kernels)
        except RuntimeError as exc:
            memory[build.label] = counts[build.label] = {"error": str(exc)[-1500:]}
            continue
        build_s = time.perf_counter() - start
        build_dir = workspace / "build" / build.kernels
        elf = elves / f"{build.label}.elf"
        shutil.copyfile(build_dir / "program.elf", elf)
        model_file = build_dir / "tinyml" / "generated-src" / "bench_model.tflite"
        info = read_model(model_file.read_bytes(), source=build.model)
        sizes = section_sizes(elf)
        entry: dict[str, Any] = {
            "model": build.model,
            "kernels": build.kernels,
            "images": build.images,
            "image_format": build.image_format,
            "model_bytes": info.model_bytes,
            "build_s": build_s,
            "sections": sizes,
        }
        log(f"firmware: running {build.label} in QEMU")
        result = count_instructions(elf, plugin=plugin, timeout=900)
        parsed = parse_firmware_run(result.stdout, result.regions, result.marks)
        entry["memory"] = memory_of(sizes, parsed.arena_size)
        entry["arena_used"] = parsed.arena_used
        entry["mismatches"] = parsed.mismatches
        memory[build.label] = entry
        if build.purpose == "count":
            per_op = []
            for k, (tag, n) in enumerate(parsed.ops):
                # TFLM profiles every op in order; the compiled model traces the
                # ops it emits code for, tagged with their index in the model.
                index = int(tag) if build.kernels == "aot" else k
                op = info.ops[index] if index < len(info.ops) else None
                per_op.append(
                    {
                        "index": index,
                        "op": op.name if build.kernels == "aot" and op else tag,
                        "instructions": n,
                        "macs": op.macs if op is not None else 0,
                        "output_shape": list(op.output_shapes[0])
                        if op is not None and op.output_shapes
                        else [],
                    }
                )
            counts[build.label] = {
                "model": build.model,
                "kernels": build.kernels,
                "macs": info.macs,
                "per_inference": list(parsed.per_inference),
                "outputs_match_host": all(parsed.matches) and parsed.mismatches == 0,
                "per_op": per_op,
                "arena_used": parsed.arena_used,
            }
    return {
        "counts": counts,
        "builds": memory,
        "examples": examples,
        "tflm": "tflite-micro 90b983c2 checkout" if tree is not None else None,
        "qemu_note": "instruction counts from the insncount TCG plugin; not cycles",
    }


# --- Results -------------------------------------------------------------------------


def summarize_counts(counts: Mapping[str, Any]) -> list[dict[str, Any]]:
    """Per counted model: instructions per inference and per MAC, CMSIS-NN speedup."""
    rows = []
    for model in COUNTED_MODELS:
        row: dict[str, Any] = {"model": model}
        for kernels in KERNEL_SETS:
            entry = next(
                (
                    e
                    for e in counts.values()
                    if e.get("model") == model and e.get("kernels") == kernels
                ),
                None,
            )
            if entry is None or "per_inference" not in entry:
                continue
            mean = statistics.mean(entry["per_inference"])
            row["macs"] = entry["macs"]
            row[kernels] = {
                "instructions": mean,
                "per_mac": mean / entry["macs"] if entry["macs"] else None,
                "match": entry["outputs_match_host"],
            }
        if "reference" in row and "cmsis_nn" in row:
            row["speedup"] = (
                row["reference"]["instructions"] / row["cmsis_nn"]["instructions"]
            )
        if "aot" in row and "cmsis_nn" in row:
            row["aot_speedup"] = (
                row["cmsis_nn"]["instructions"] / row["aot"]["instructions"]
            )
        rows.append(row)
    return rows


def _fmt_int(value: Any) -> str:
    return f"{int(value):,}" if isinstance(value, (int, float)) else "not measured"


def _fmt(value: Any, spec: str, suffix: str = "") -> str:
    if isinstance(value, (int, float)):
        return f"{value:{spec}}{suffix}"
    return "not measured"


def _error(section: Mapping[str, Any] | None) -> str | None:
    if section is None:
        return "not run"
    err = section.get("error")
    return None if err is None else str(err).splitlines()[0][:300]


def _render_pipeline(p: Mapping[str, Any] | None) -> list[str]:
    lines = ["## 1. Pipeline speed", ""]
    err = _error(p)
    if p is None or err:
        return lines + [f"Not measured: {err}.", ""]
    lines += [
        f"Model: {p['model']} ({p['model_bytes']:,} bytes). Best of the side-by-side "
        "runs; each ratio compares runs made alternately in this run.",
        "",
        "| measurement | tinyml | baseline | ratio |",
        "|---|---|---|---|",
    ]
    g = p.get("generation", {})
    if "speedup" in g:
        lines.append(
            f"| C source generation (`carray`) vs `xxd -i` | "
            f"{g['tinyml']['best_s'] * 1000:.1f} ms | "
            f"{g['xxd_i']['best_s'] * 1000:.1f} "
            f"ms | **{g['speedup']:.1f}x faster** |"
        )
    else:
        lines.append(f"| C source generation | not measured: {_error(g)} | | |")
    cli = p.get("cli")
    if cli is not None and "speedup" in cli:
        raw = "" if cli.get("flatbuffer_checked", True) else " --raw"
        target = cli["target"]
        for label, ours, key, theirs_key, meets in (
            ("", "tinyml_carray", "speedup", "xxd_i", "meets_target"),
            (
                " --xxd",
                "tinyml_carray_xxd_mode",
                "speedup_xxd_mode",
                "xxd_i_beside_xxd_mode",
                "meets_target_xxd_mode",
            ),
        ):
            theirs = cli.get(theirs_key, cli["xxd_i"])
            verdict = "meets" if cli.get(meets, cli[key] >= target) else "misses"
            median = cli.get(key + "_median")
            lines.append(
                f"| `tinyml carray{label}{raw}` vs `xxd -i > out.c`, whole commands "
                f"(start-up included; median ratio "
                f"{_fmt(median, '.2f', 'x')}) | "
                f"{cli[ours]['best_s'] * 1000:.0f} ms | "
                f"{theirs['best_s'] * 1000:.0f} ms | **{cli[key]:.2f}x** "
                f"({verdict} the ≥{target:.0f}x target) |"
            )
    elif cli is not None:
        lines.append(f"| `tinyml carray` command | not measured: {_error(cli)} | | |")
    c = p.get("compile", {})
    if "speedup" in c:
        verdict = "meets" if c["meets_target"] else "misses"
        lines.append(
            f"| model object compile, `.incbin` vs C array ({c['compiler']}) | "
            f"{c['incbin']['best_s'] * 1000:.0f} ms | {c['carray']['best_s']:.2f} s | "
            f"**{c['speedup']:.0f}x faster** ({verdict} the "
            f"≥{c['target']:.0f}x target) |"
        )
    else:
        lines.append(f"| model object compile | not measured: {_error(c)} | | |")
    h = p.get("cache", {})
    if "speedup" in h:
        lines.append(
            f"| build up-to-date check (stamp hit) vs fresh generation, {h['model']} | "
            f"{h['cache_hit']['best_s'] * 1000:.1f} ms | "
            f"{h['fresh_generation']['best_s']:.2f} s | **{h['speedup']:.0f}x "
            "faster** |"
        )
    else:
        lines.append(f"| cache hit | not measured: {_error(h)} | | |")
    return lines + [""]


def _render_overhead(o: Mapping[str, Any] | None) -> list[str]:
    lines = ["## 2. Build overhead of a no-op `pio run`", ""]
    err = _error(o)
    if o is None or err:
        return lines + [f"Not measured: {err}.", ""]
    verdict = "meets" if o["meets_target"] else "misses"
    lines += [
        f"Project: {o['project']}; offline PlatformIO, runs alternated.",
        "",
        "| | median | best |",
        "|---|---|---|",
        f"| without tinyml | {o['without_tinyml']['median_s']:.3f} s | "
        f"{o['without_tinyml']['best_s']:.3f} s |",
        f"| with tinyml | {o['with_tinyml']['median_s']:.3f} s | "
        f"{o['with_tinyml']['best_s']:.3f} s |",
        "",
        f"Ratio (best/best): **{o['ratio']:.2f}x**; added per no-op build: "
        f"**{o['added_s_median']:.3f} s** (median; best-vs-best "
        f"{o['added_s_best']:.3f} s). Target ≤ {o['target_added_s']} s: {verdict}.",
        "",
    ]
    return lines


def _render_instructions(fw: Mapping[str, Any] | None) -> list[str]:
    lines = ["## 3. Instructions on the emulated Cortex-M7 (QEMU mps2-an500)", ""]
    lines += [
        "**Instructions are not cycles.** QEMU models no pipeline, dual issue, caches, "
        "TCM or flash wait states; the counts are exact and repeatable, so "
        "they compare "
        "kernels and models with each other, not with milliseconds on a board.",
        "",
    ]
    err = _error(fw)
    if fw is None or err:
        return lines + [f"Not measured: {err}.", ""]
    rows = summarize_counts(fw["counts"])
    lines += [
        f"int8 models, {COUNT_IMAGES} test images each, every output compared with the "
        "host TFLM golden output. Instructions per inference (mean over the images):",
        "",
        "| model | MACs | reference | CMSIS-NN | CMSIS-NN speedup | AOT | AOT speedup "
        "over CMSIS-NN | instr/MAC ref / CMSIS-NN / AOT | outputs = host |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        ref, cm, aot = (r.get(k, {}) for k in KERNEL_SETS)
        match = [x.get("match") for x in (ref, cm, aot) if x]
        lines.append(
            f"| {r['model']} | {_fmt_int(r.get('macs'))} | "
            f"{_fmt_int(ref.get('instructions'))} | "
            f"{_fmt_int(cm.get('instructions'))} | "
            f"{_fmt(r.get('speedup'), '.2f', 'x')} | "
            f"{_fmt_int(aot.get('instructions'))} | "
            f"{_fmt(r.get('aot_speedup'), '.2f', 'x')} | "
            f"{_fmt(ref.get('per_mac'), '.2f')} / "
            f"{_fmt(cm.get('per_mac'), '.2f')} / "
            f"{_fmt(aot.get('per_mac'), '.2f')} | "
            f"{'yes' if match and all(match) else 'NO' if match else 'not measured'} |"
        )
    lines += [
        "",
        "AOT is the model compiled to C by the project's AOT backend "
        "(`custom_tinyml_runtime = aot`, no TFLM), counted around its `invoke` call.",
        "",
        "### Per layer (image 0, via `insn_mark` from a profiler)",
        "",
        "TFLM: a profiler marks each op's start and end. AOT: the generated "
        "`TINYML_AOT_TRACE` hook marks each op's end. — : no code of its own "
        "(RESHAPE is an alias; an ADD fused into the convolution before it is "
        "counted in that row).",
        "",
    ]
    for model in COUNTED_MODELS:
        entries = {
            e["kernels"]: e
            for e in fw["counts"].values()
            if e.get("model") == model and "per_op" in e
        }
        if not entries:
            lines += [f"{model}: not measured.", ""]
            continue
        ref = entries.get("reference", {}).get("per_op", [])
        cm = entries.get("cmsis_nn", {}).get("per_op", [])
        aot_ops = entries.get("aot", {}).get("per_op", [])
        aot_by_index = {op["index"]: op["instructions"] for op in aot_ops}
        base = cm or ref or aot_ops
        lines += [
            f"**{model}**",
            "",
            "| # | op | output | MACs | reference | CMSIS-NN | AOT | instr/MAC "
            "CMSIS-NN / AOT |",
            "|---|---|---|---|---|---|---|---|",
        ]
        for k, op in enumerate(base):
            index = op.get("index", k)
            r_n = ref[k]["instructions"] if k < len(ref) else None
            c_n = cm[k]["instructions"] if k < len(cm) else None
            a_n = aot_by_index.get(index)
            if op["macs"]:
                per_mac_text = (
                    f"{_fmt(c_n / op['macs'] if c_n is not None else None, '.2f')}"
                    f" / {_fmt(a_n / op['macs'] if a_n is not None else None, '.2f')}"
                )
            else:
                per_mac_text = "—"
            shape = "×".join(str(d) for d in op["output_shape"])
            aot_text = _fmt_int(a_n) if a_n is not None else ("—" if aot_ops else "")
            lines.append(
                f"| {index} | {op['op']} | {shape} | {_fmt_int(op['macs'])} | "
                f"{_fmt_int(r_n)} | {_fmt_int(c_n)} | {aot_text} | {per_mac_text} |"
            )
        lines.append("")
    lines += _render_anchors(rows)
    return lines


def _render_anchors(rows: Sequence[Mapping[str, Any]]) -> list[str]:
    lines = [
        "### Beside published anchors",
        "",
        "Published latencies are cycles on real boards; ours are instructions in an "
        "emulator. The column `instr ÷ 216 MHz` only converts our count to the time "
        "it would take at one instruction per cycle: a real Cortex-M7 can retire up to "
        "two instructions per cycle and loses cycles to memory wait states, so this is "
        "**not a latency prediction**.",
        "",
        "| what | board / setup | figure | per MAC |",
        "|---|---|---|---|",
    ]
    for stack, board, mhz, ms in MLPERF_RESNET8:
        cycles = ms * 1e-3 * mhz * 1e6
        lines.append(
            f"| MLPerf Tiny IC ResNet-8, {stack} | {board} @{mhz} MHz | {ms} ms "
            f"(≈{cycles / 1e6:.1f} M cycles) | ≈{cycles / RESNET8_MACS:.2f} "
            "cycles/MAC |"
        )
    for r in rows:
        for kernels in KERNEL_SETS:
            entry = r.get(kernels)
            if not entry:
                continue
            n = entry["instructions"]
            stack = (
                "compiled to C (AOT)" if kernels == "aot" else f"TFLM {kernels} kernels"
            )
            lines.append(
                f"| **this run**: {r['model']} int8, {stack} | QEMU "
                f"mps2-an500 | {n / 1e6:.2f} M instructions (instr ÷ 216 MHz = "
                f"{n / F746_HZ * 1000:.1f} ms) | {_fmt(entry['per_mac'], '.2f')} "
                "instr/MAC |"
            )
    lines += [
        f"| seed 002: {SEED_002['what']} | TFLM float vs X-CUBE-AI | "
        f"{SEED_002['tflm_float_ms']} ms vs {SEED_002['xcubeai_ms']} ms "
        f"({SEED_002['tflm_float_ms'] / SEED_002['xcubeai_ms']:.2f}x) | — |",
        "",
        "The seed 002 model is a float CNN different from the zoo models, so "
        "it anchors "
        "the gap between TFLM and X-CUBE-AI, not a number to compare directly.",
        "",
    ]
    return lines


_QUOTED_PATH = re.compile(r"'(?:[^'/]*/)+([^'/]+)'")


def portable(text: str) -> str:
    """``text`` with quoted file paths cut to their file name (no machine paths)."""
    return _QUOTED_PATH.sub(r"'\1'", text)


def _render_memory(fw: Mapping[str, Any] | None) -> list[str]:
    from platformio_tinyml.boards import BOARDS, limits_from_manifest
    from platformio_tinyml.errors import ConfigError

    lines = ["## 4. Memory per example", ""]
    err = _error(fw)
    if fw is None or err:
        return lines + [f"Not measured: {err}.", ""]
    lines += [
        "The benchmark firmware built for QEMU with each example's model, kernels and "
        "test images (`arm-none-eabi-size -A`). Flash = text + rodata (+ .data image), "
        "including the model, TFLM, the kernels, newlib and the packed images; RAM = "
        ".data + .bss, including the arena (the 64 KB stack is not a section "
        "and is not "
        "counted). The example's own display/serial code for its board is not "
        "included.",
        "",
        "| example | model | board | flash used / board | RAM used / board | arena |",
        "|---|---|---|---|---|---|",
    ]
    # The examples as configured now, not as recorded: a stale row would show a
    # model the example no longer uses.
    for ex in example_models():
        label = f"{ex['model']}-{ex['kernels']}-{ex['images']}x{ex['image_format']}"
        entry = fw["builds"].get(label, {})
        board = BOARDS.get(ex["board"])
        mem = entry.get("memory")
        try:
            limits = limits_from_manifest(ex["board"])
        except ConfigError:
            limits = None  # the board's platform is not installed
        if mem is None or board is None:
            lines.append(
                f"| {ex['example']} | {ex['model']} ({ex['images']}× "
                f"{ex['image_format']}) | {ex['board']} | not measured in this run "
                "(run `benchmarks/run --only firmware`) | | |"
            )
            continue
        if limits is None or not limits.flash_bytes or not limits.ram_bytes:
            lines.append(
                f"| {ex['example']} | {ex['model']} ({ex['images']}× "
                f"{ex['image_format']}) | {board.name} | "
                f"{mem['flash']:,} B (no board manifest installed) | "
                f"{mem['ram']:,} B | {mem['arena']:,} B |"
            )
            continue
        lines.append(
            f"| {ex['example']} | {ex['model']} ({ex['images']}× "
            f"{ex['image_format']}) | "
            f"{board.name} | {mem['flash']:,} / {limits.flash_bytes:,} B "
            f"({100 * mem['flash'] / limits.flash_bytes:.0f}%) | {mem['ram']:,} / "
            f"{limits.ram_bytes:,} B ({100 * mem['ram'] / limits.ram_bytes:.0f}%) | "
            f"{mem['arena']:,} B |"
        )
    lines += [
        "",
        "Every firmware build of this run (model-kernels-images):",
        "",
        "| build | model bytes | flash (text+rodata+data) | RAM (data+bss) | arena "
        "(generated / used) |",
        "|---|---|---|---|---|",
    ]
    for label, entry in fw["builds"].items():
        mem = entry.get("memory")
        if mem is None:
            lines.append(f"| {label} | not measured | | | |")
            continue
        lines.append(
            f"| {label} | {entry['model_bytes']:,} | {mem['flash']:,} | "
            f"{mem['ram']:,} | "
            f"{mem['arena']:,} / {entry['arena_used']:,} |"
        )
    return lines + [""]


ZOO_MANIFEST = REPO / "platformio_tinyml" / "zoo_models" / "zoo_models.json"
# Manifest keys shown in their own columns, or not at all (the notes show the rest).
_ZOO_COLUMNS = (
    "dataset",
    "accuracy_int8",
    "accuracy_float",
    "test_images",
    "macs",
    "arena_bytes",
    "size_bytes",
    "epochs",
    "train_seconds",
    "command",
)
_ZOO_HIDDEN = ("file", "sha256", "url")


def read_zoo_manifest(path: Path = ZOO_MANIFEST) -> dict[str, Any] | None:
    """The shipped zoo models' manifest (name -> entry), or None without one."""
    if not path.is_file():
        return None
    data: dict[str, Any] = json.loads(path.read_text(encoding="utf-8"))
    return data


def _percent(value: Any) -> str:
    return f"{value * 100:.2f}%" if isinstance(value, (int, float)) else "—"


def _count(value: Any) -> str:
    return f"{value:,}" if isinstance(value, int) else "—"


def _duration(seconds: Any) -> str:
    if not isinstance(seconds, (int, float)):
        return "—"
    return f"{seconds / 60:.0f} min" if seconds >= 120 else f"{seconds:.0f} s"


def _render_zoo_accuracy(zoo: Mapping[str, Any] | None) -> list[str]:
    """The shipped models' full-test-set accuracies, from their manifest."""
    lines = ["## 5. Accuracy of the shipped zoo models", ""]
    if not zoo:
        return lines + ["No zoo manifest (platformio_tinyml/zoo_models).", ""]
    lines += [
        "From `platformio_tinyml/zoo_models/zoo_models.json`: each model measured on "
        "all the test images of its dataset with the host TFLM interpreter (int8; "
        "float as the manifest's notes say). The last column reproduces the row.",
        "",
        "| model | dataset | int8 | float | test images | MACs | arena | size | "
        "epochs | training | notes | reproduce |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for name, entry in sorted(zoo.items()):
        if not isinstance(entry, Mapping):
            continue
        notes = "; ".join(
            f"{key}: {entry[key]}"
            for key in sorted(entry)
            if key not in _ZOO_COLUMNS + _ZOO_HIDDEN and entry[key] is not None
        )
        command = entry.get("command")
        lines.append(
            f"| {name} | {entry.get('dataset', '—')} | "
            f"{_percent(entry.get('accuracy_int8'))} | "
            f"{_percent(entry.get('accuracy_float'))} | "
            f"{_count(entry.get('test_images'))} | {_count(entry.get('macs'))} | "
            f"{_count(entry.get('arena_bytes'))} B | "
            f"{_count(entry.get('size_bytes'))} B | "
            f"{entry.get('epochs', '—')} | {_duration(entry.get('train_seconds'))} | "
            f"{(notes or '—').replace('|', '/')} | "
            + (f"`{command}`".replace("|", "\\|") if command else "—")
            + " |"
        )
    return lines + [""]


def _render_accuracy(acc: Sequence[Mapping[str, Any]] | None, quick: bool) -> list[str]:
    lines = [
        "### Training smoke run (not the shipped models)",
        "",
    ]
    if not acc:
        return lines + ["Not measured.", ""]
    lines += [
        "`benchmarks/run --only accuracy` trains every zoo architecture for a few "
        "epochs with the seeded training (seed 1)"
        + (" (`--quick`: 1 epoch each)" if quick else "")
        + " to check that training, conversion and the host TFLM agree; these "
        "short-trained models are not the shipped ones (above), and the rows below "
        "are from the last run of that part. TFLM accuracies use a seeded random "
        "sample of the test split, Keras float accuracy the whole test split.",
        "",
        "| model | data | epochs (default) | Keras float | TFLM float32 | TFLM int8 | "
        "int8 − float | int8 bytes | arena |",
        "|---|---|---|---|---|---|---|---|---|",
    ]
    for r in acc:
        if "error" in r:
            lines.append(f"| {r['model']} | not measured: {r['error'][:200]} |||||||")
            continue
        f32, i8 = r["float32"], r["int8"]
        lines.append(
            f"| {r['model']} | {portable(r['dataset'])} ({r['train_images']:,} "
            "train; TFLM on "
            f"{i8['samples']:,} test) | {r['epochs']} "
            f"({r.get('default_epochs', '?')}) | "
            f"{r['keras_float_accuracy'] * 100:.2f}% | "
            f"{f32['tflm_accuracy'] * 100:.2f}% | {i8['tflm_accuracy'] * 100:.2f}% | "
            f"{(i8['tflm_accuracy'] - f32['tflm_accuracy']) * 100:+.2f} pt | "
            f"{i8['bytes']:,} | {i8['arena_bytes']:,} |"
        )
    return lines + [""]


def render_results(results: Mapping[str, Any]) -> str:
    """RESULTS.md from the results dict (pure)."""
    meta = results.get("meta", {})
    lines = [
        "# Benchmark results",
        "",
        f"Measured by `benchmarks/run{' --quick' if meta.get('quick') else ''}` on "
        f"{meta.get('machine', 'this machine')} ({meta.get('cpus', '?')} CPUs, "
        f"shared), {meta.get('date', '')}. Total run time "
        f"{meta.get('total_s', 0) / 60:.1f} min. Raw numbers: `results.json`. Figures "
        "that could not be measured say so; nothing here is estimated.",
        "",
    ]
    earlier = meta.get("earlier_run")
    if earlier:
        lines[2:2] = [
            f"This run measured only: {', '.join(meta.get('parts', []))}; the other "
            f"parts come from the run of {earlier.get('date', '?')} "
            f"({earlier.get('total_s', 0) / 60:.1f} min).",
            "",
        ]
    lines += _render_pipeline(results.get("pipeline"))
    lines += _render_overhead(results.get("build_overhead"))
    lines += _render_instructions(results.get("firmware"))
    lines += _render_memory(results.get("firmware"))
    zoo = results.get("zoo_models")
    lines += _render_zoo_accuracy(zoo if zoo is not None else read_zoo_manifest())
    lines += _render_accuracy(results.get("accuracy"), bool(meta.get("quick")))
    lines += _render_board_builds(_read_board_builds())
    return "\n".join(lines).rstrip() + "\n"


def _read_board_builds() -> Mapping[str, Any] | None:
    path = HERE / "board_builds.json"
    data: Mapping[str, Any] | None = (
        json.loads(path.read_text()) if path.is_file() else None
    )
    return data


def _render_board_builds(data: Mapping[str, Any] | None) -> list[str]:
    """The real board envs' sizes, as measured by the board-build tests."""
    if not data:
        return []
    lines = [
        "## Real board builds",
        "",
        f"Measured {data.get('date', '')} ({data.get('how', '')}). The budget line is "
        "what the build printed before compiling; the MNIST examples' serial link and "
        "digit pad (`app RAM`) are the application's own and not in the budget.",
        "",
        "| example | model | runtime | flash / budget line | RAM / budget line "
        "| app RAM |",
        "|---|---|---|---|---|---|",
    ]
    for b in data.get("builds", []):
        lines.append(
            f"| {b['example']} | {b['model']} | {b['runtime']} | {b['flash']:,} / "
            f"{b['budget_flash']:,} B | {b['ram']:,} / {b['budget_ram']:,} B | "
            f"{b['app_ram']:,} B |"
        )
    return [*lines, ""]


# --- Driver --------------------------------------------------------------------------


@dataclass
class Options:
    """Command-line options."""

    quick: bool
    out: Path
    work: Path
    parts: tuple[str, ...] = field(default=())
    kernels: tuple[str, ...] = KERNEL_SETS


PARTS = ("pipeline", "overhead", "accuracy", "firmware")


def parse_args(argv: Sequence[str] | None) -> Options:
    """Parse ``benchmarks/run`` arguments."""
    parser = argparse.ArgumentParser(
        prog="benchmarks/run",
        description="Measure pipeline speed, build overhead, instructions, memory "
        "and accuracy; write RESULTS.md and results.json.",
    )
    parser.add_argument("--quick", action="store_true", help="few repeats and epochs")
    parser.add_argument(
        "--out", type=Path, default=HERE, help="where RESULTS.md/results.json go"
    )
    parser.add_argument(
        "--work", type=Path, default=HERE / "out", help="scratch directory"
    )
    parser.add_argument(
        "--only", action="append", choices=PARTS, help="run only these parts"
    )
    parser.add_argument(
        "--kernels",
        action="append",
        choices=KERNEL_SETS,
        help="firmware: build only these kernel sets (the others' results are kept)",
    )
    ns = parser.parse_args(argv)
    return Options(
        ns.quick,
        ns.out,
        ns.work,
        tuple(ns.only or PARTS),
        tuple(ns.kernels or KERNEL_SETS),
    )


def merge_firmware(
    previous: Mapping[str, Any] | None, new: Mapping[str, Any]
) -> dict[str, Any]:
    """The firmware results of a run of some kernel sets over an earlier full run."""
    if not isinstance(previous, Mapping) or "counts" not in previous or "error" in new:
        return dict(new)
    merged = {**previous, **{k: v for k, v in new.items() if v is not None}}
    for key in ("counts", "builds"):
        merged[key] = {**previous.get(key, {}), **new.get(key, {})}
    merged["examples"] = new.get("examples") or previous.get("examples", [])
    return merged


def _guard(name: str, fn: Callable[[], Any]) -> Any:
    """Run one part; a failure becomes ``{"error": ...}`` so the others still run."""
    log(f"--- {name} ---")
    try:
        return fn()
    except Exception as exc:  # noqa: BLE001 -- report any failure in the results
        traceback.print_exc()
        return {"error": f"{type(exc).__name__}: {exc}"}


def zoo_lenet_model() -> tuple[bytes, str] | None:
    """The shipped int8 LeNet (``zoo_models/mnist_lenet.tflite``, 1.6 MB) if present."""
    import platformio_tinyml

    path = Path(platformio_tinyml.__file__).parent / "zoo_models" / "mnist_lenet.tflite"
    if not path.is_file():
        return None
    return path.read_bytes(), "mnist_lenet int8 .tflite (platformio_tinyml/zoo_models)"


def synthetic_model(size: int = 1_677_896) -> bytes:
    """Deterministic pseudo-random bytes the size of the int8 LeNet (1.6 MB)."""
    import numpy as np

    return np.random.default_rng(1).integers(0, 256, size, dtype=np.uint8).tobytes()


def main(argv: Sequence[str] | None = None) -> int:
    """Run the benchmark parts and write RESULTS.md + results.json."""
    opts = parse_args(argv)
    started = time.perf_counter()
    work = opts.work.resolve()
    work.mkdir(parents=True, exist_ok=True)
    if not os.environ.get("TINYML_DATASETS_DIR"):
        log("TINYML_DATASETS_DIR is not set; datasets resolve to the defaults")
    core_dir = work / "pio-core"
    cache_dir = work / "fw-workspace" / "tinyml" / "cache"
    plans = model_plans(opts.quick)
    repeats = 3 if opts.quick else 7
    previous: dict[str, Any] = {}
    existing = opts.out.resolve() / "results.json"
    partial = set(opts.parts) != set(PARTS) or set(opts.kernels) != set(KERNEL_SETS)
    if partial and existing.is_file():
        previous = json.loads(existing.read_text())  # update only the parts run
    results: dict[str, Any] = {
        **previous,
        "meta": {
            "quick": opts.quick,
            "date": time.strftime("%Y-%m-%d"),
            "machine": f"{platform.system()} {platform.machine()}, Python "
            f"{platform.python_version()}",
            "cpus": os.cpu_count(),
            "datasets_dir": "TINYML_DATASETS_DIR"
            if os.environ.get("TINYML_DATASETS_DIR")
            else None,
            "epochs": {p.name: p.epochs for p in plans},
            "parts": list(opts.parts),
        },
    }
    if previous:
        results["meta"]["earlier_run"] = previous.get("meta", {})
    # The shipped models' figures (RESULTS.md section 5), as recorded in their
    # manifest by devtools.zoo_build; the "accuracy" part is a training smoke run.
    results["zoo_models"] = read_zoo_manifest()
    if "accuracy" in opts.parts:
        results["accuracy"] = _guard(
            "accuracy",
            lambda: accuracy(plans, cache_dir, samples=500 if opts.quick else 2000),
        )
        for row in results["accuracy"] if isinstance(results["accuracy"], list) else []:
            row["default_epochs"] = next(
                p.default_epochs for p in plans if p.name == row["model"]
            )
    if "pipeline" in opts.parts:

        def run_pipeline() -> dict[str, Any]:
            model = zoo_lenet_model()
            if model is None:
                model = (
                    synthetic_model(),
                    "1,677,896 pseudo-random bytes (LeNet size)",
                )
            return pipeline_speed(
                model[0],
                model[1],
                work / "pipeline",
                repeats=repeats,
                compile_repeats=2 if opts.quick else 3,
            )

        results["pipeline"] = _guard("pipeline", run_pipeline)
    if "overhead" in opts.parts:
        results["build_overhead"] = _guard(
            "build overhead",
            lambda: build_overhead(work, core_dir, repeats=5 if opts.quick else 9),
        )
    if "firmware" in opts.parts:
        measured = _guard(
            "firmware",
            lambda: firmware(
                plans,
                work,
                core_dir,
                verify_samples=200 if opts.quick else 1000,
                kernel_sets=opts.kernels,
            ),
        )
        results["firmware"] = merge_firmware(previous.get("firmware"), measured)
        if set(opts.kernels) != set(KERNEL_SETS):
            results["meta"]["parts"] = [
                p if p != "firmware" else f"firmware ({', '.join(opts.kernels)})"
                for p in opts.parts
            ]
    results["meta"]["total_s"] = time.perf_counter() - started
    out = opts.out.resolve()
    out.mkdir(parents=True, exist_ok=True)
    from platformio_tinyml.fileio import write_atomic

    write_atomic(
        out / "results.json",
        (json.dumps(results, indent=2, sort_keys=True, default=str) + "\n").encode(),
    )
    write_atomic(out / "RESULTS.md", render_results(results).encode())
    log(f"wrote {out / 'RESULTS.md'} and {out / 'results.json'}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
