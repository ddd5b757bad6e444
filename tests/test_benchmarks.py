# SPDX-License-Identifier: Apache-2.0
"""The benchmark harness (benchmarks/bench.py): ratios, parsing, rendering, speed."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from pathlib import Path
from types import ModuleType
from typing import Any

import pytest

from platformio_tinyml.boards import BOARDS

REPO = Path(__file__).resolve().parents[1]
BENCH_PY = REPO / "benchmarks" / "bench.py"


def _load_bench() -> ModuleType:
    spec = importlib.util.spec_from_file_location("tinyml_bench", BENCH_PY)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up
    spec.loader.exec_module(module)
    return module


bench = _load_bench()

# --- Ratio math ----------------------------------------------------------------------


def test_ratio_uses_the_best_time_of_each_series() -> None:
    assert bench.ratio([2.0, 3.0, 2.5], [0.5, 1.0]) == pytest.approx(4.0)


@pytest.mark.parametrize(
    ("num", "den", "fragment"),
    [([], [1.0], "at least one"), ([1.0], [], "at least one"), ([1.0], [0.0], "'0.0'")],
)
def test_ratio_rejects_empty_or_zero_series(
    num: list[float], den: list[float], fragment: str
) -> None:
    with pytest.raises(ValueError, match=fragment):
        bench.ratio(num, den)


def test_interleave_alternates_and_keeps_series_apart() -> None:
    calls: list[str] = []

    def a() -> float:
        calls.append("a")
        return 1.0

    def b() -> float:
        calls.append("b")
        return 2.0

    times_a, times_b = bench.interleave(a, b, 4)
    assert calls == ["a", "b", "b", "a", "a", "b", "b", "a"]
    assert times_a == [1.0] * 4
    assert times_b == [2.0] * 4


# --- Firmware output parsing ---------------------------------------------------------

FIRMWARE_STDOUT = """\
TINYML bench kernels=cmsis_nn arena_used=3780 arena_size=4800 macs=101632
TINYML output image=0 match=1 -128 -128 127 -128 -128 -128 -128 -128 -128 -128
TINYML output image=1 match=0 -128 -128 -128 -128 127 -128 -128 -128 -128 -128
TINYML op index=0 tag=FULLY_CONNECTED
TINYML op index=1 tag=FULLY_CONNECTED
TINYML op index=2 tag=SOFTMAX
TINYML done images=2 mismatches=1
"""
REGIONS = (206_419, 206_401)
MARKS = (1_000, 201_000, 201_050, 203_650, 203_700, 207_200)


def test_parse_firmware_run_pairs_marks_with_ops() -> None:
    parsed = bench.parse_firmware_run(FIRMWARE_STDOUT, REGIONS, MARKS)
    assert parsed.kernels == "cmsis_nn"
    assert (parsed.arena_used, parsed.arena_size, parsed.macs) == (3780, 4800, 101632)
    assert parsed.per_inference == REGIONS
    assert parsed.matches == (True, False)
    assert parsed.mismatches == 1
    assert parsed.ops == (
        ("FULLY_CONNECTED", 200_000),
        ("FULLY_CONNECTED", 2_600),
        ("SOFTMAX", 3_500),
    )


def test_parse_firmware_run_rejects_odd_marks_and_missing_lines() -> None:
    with pytest.raises(ValueError, match="5 marks for 3 operators"):
        bench.parse_firmware_run(FIRMWARE_STDOUT, REGIONS, MARKS[:5])
    with pytest.raises(ValueError, match="1 counted regions but 2 output lines"):
        bench.parse_firmware_run(FIRMWARE_STDOUT, REGIONS[:1], MARKS)
    with pytest.raises(ValueError, match="no TINYML bench/done line"):
        bench.parse_firmware_run("TINYML fail Invoke\n", (), ())


AOT_STDOUT = """\
TINYML bench kernels=aot arena_used=1568 arena_size=1568 macs=101632
TINYML output image=0 match=1 -128 -128 127 -128 -128 -128 -128 -128 -128 -128
TINYML op index=0 tag=1
TINYML op index=1 tag=2
TINYML op index=2 tag=3
TINYML done images=1 mismatches=0
"""


def test_parse_firmware_run_aot_marks_each_op_end() -> None:
    marks = (500, 90_500, 91_700, 94_000)
    parsed = bench.parse_firmware_run(AOT_STDOUT, (95_000,), marks)
    assert parsed.kernels == "aot"
    assert parsed.ops == (("1", 90_000), ("2", 1_200), ("3", 2_300))
    with pytest.raises(ValueError, match="3 marks for 3 compiled ops"):
        bench.parse_firmware_run(AOT_STDOUT, (95_000,), marks[:3])


def test_merge_firmware_keeps_the_kernel_sets_not_rerun() -> None:
    earlier = {
        "counts": {"a": _counts("mnist_dense", "cmsis_nn", [2_000_000])},
        "builds": {"a": {"x": 1}},
        "examples": [{"example": "e"}],
        "tflm": "/tflm",
    }
    new = {
        "counts": {"b": _counts("mnist_dense", "aot", [1_000_000])},
        "builds": {"b": {"y": 2}},
        "examples": [],
        "tflm": None,
    }
    merged = bench.merge_firmware(earlier, new)
    assert set(merged["counts"]) == {"a", "b"} and set(merged["builds"]) == {"a", "b"}
    assert merged["examples"] == [{"example": "e"}] and merged["tflm"] == "/tflm"
    assert bench.merge_firmware(None, new) == new
    failed = {"error": "RuntimeError: boom"}
    assert bench.merge_firmware(earlier, failed) == failed


def test_memory_counts_flash_and_ram_sections() -> None:
    sizes = {".isr_vector": 1024, ".text": 100_000, ".rodata": 20_000}
    sizes |= {".data": 2_500, ".bss": 70_000, ".debug_info": 9_999_999}
    mem = bench.memory_of(sizes, arena=4_800)
    assert mem == {
        "text_rodata": 121_024,
        "data": 2_500,
        "bss": 70_000,
        "flash": 123_524,
        "ram": 72_500,
        "arena": 4_800,
    }


def test_example_models_read_each_examples_board_and_model() -> None:
    examples = bench.example_models()
    assert examples, "no example with custom_tinyml_model and a board env"
    for ex in examples:
        assert ex["board"] in BOARDS, ex
        assert (REPO / "examples" / ex["example"] / "platformio.ini").is_file()
    by_name = {ex["example"]: ex for ex in examples}
    if "mnist_disco_f746ng" in by_name:
        assert by_name["mnist_disco_f746ng"]["board"] == "disco_f746ng"


# --- Rendering -----------------------------------------------------------------------


def _counts(model: str, kernels: str, per_inference: list[int]) -> dict[str, Any]:
    return {
        "model": model,
        "kernels": kernels,
        "macs": 1_000_000,
        "per_inference": per_inference,
        "outputs_match_host": True,
        "per_op": [
            {
                "index": 0,
                "op": "CONV_2D",
                "instructions": per_inference[0],
                "macs": 1_000_000,
                "output_shape": [1, 8, 8, 4],
            }
        ],
        "arena_used": 1000,
    }


def test_summarize_counts_computes_per_mac_and_speedup() -> None:
    counts = {
        "a": _counts("mnist_dense", "reference", [6_000_000, 6_000_002]),
        "b": _counts("mnist_dense", "cmsis_nn", [2_000_000, 2_000_000]),
    }
    rows = {r["model"]: r for r in bench.summarize_counts(counts)}
    dense = rows["mnist_dense"]
    assert dense["reference"]["instructions"] == 6_000_001
    assert dense["reference"]["per_mac"] == pytest.approx(6.000001)
    assert dense["cmsis_nn"]["per_mac"] == pytest.approx(2.0)
    assert dense["speedup"] == pytest.approx(3.0000005)
    assert "speedup" not in rows["mnist_lenet"]
    assert "aot_speedup" not in dense
    counts["c"] = _counts("mnist_dense", "aot", [1_000_000, 1_000_000])
    dense = {r["model"]: r for r in bench.summarize_counts(counts)}["mnist_dense"]
    assert dense["aot"]["per_mac"] == pytest.approx(1.0)
    assert dense["aot_speedup"] == pytest.approx(2.0)


def test_render_results_reports_measured_and_unmeasured_parts() -> None:
    results = {
        "meta": {"quick": True, "date": "2026-01-01", "cpus": 2, "total_s": 90.0},
        "pipeline": {"error": "RuntimeError: xxd exploded"},
        "build_overhead": {
            "project": "host",
            "with_tinyml": {"median_s": 1.10, "best_s": 1.05},
            "without_tinyml": {"median_s": 1.00, "best_s": 0.98},
            "ratio": 1.05 / 0.98,
            "added_s_median": 0.10,
            "added_s_best": 0.07,
            "target_added_s": 0.15,
            "meets_target": True,
        },
        "firmware": {
            "counts": {
                "x": _counts("cifar10_resnet8", "reference", [108_000_000]),
                "y": _counts("cifar10_resnet8", "cmsis_nn", [30_000_000]),
                "z": _counts("cifar10_resnet8", "aot", [15_000_000]),
            },
            "builds": {},
            "examples": [],
        },
    }
    text = bench.render_results(results)
    assert "Instructions are not cycles" in text
    assert "Not measured: RuntimeError: xxd exploded." in text
    assert "**1.07x**" in text  # 1.05 / 0.98, the best-vs-best ratio
    assert "**0.100 s**" in text and "meets" in text
    assert (
        "| cifar10_resnet8 | 1,000,000 | 108,000,000 | 30,000,000 | 3.60x | "
        "15,000,000 | 2.00x | 108.00 / 30.00 / 15.00 | yes |"
    ) in text
    # Per layer: the AOT count joins the TFLM rows by op index.
    assert "| 0 | CONV_2D | 1×8×8×4 | 1,000,000 | 108,000,000 | 30,000,000 | " in text
    assert "15,000,000 | 30.00 / 15.00 |" in text
    assert "704.0 ms" in text and "73.7 ms" in text  # anchors are printed
    assert "## 5. Accuracy" in text and "Not measured." in text
    assert "`benchmarks/run --quick`" in text


def test_render_results_has_no_machine_paths_and_current_examples() -> None:
    """Dataset paths are cut to file names; the memory table follows platformio.ini."""
    example = bench.example_models()[0]
    label = (
        f"{example['model']}-{example['kernels']}-"
        f"{example['images']}x{example['image_format']}"
    )
    stale = {**example, "model": "an_old_model"}
    import json

    recorded = json.loads((REPO / "benchmarks" / "results.json").read_text())
    recorded_row = next(r for r in recorded["accuracy"] if "error" not in r)
    results = {
        "meta": {"quick": False, "date": "2026-01-01", "cpus": 2, "total_s": 1.0},
        "accuracy": [
            {**recorded_row, "dataset": "full MNIST from '/home/someone/mnist.npz'"}
        ],
        "firmware": {
            "counts": {},
            "builds": {
                label: {
                    "memory": {"flash": 1000, "ram": 500, "arena": 100},
                    "model_bytes": 10,
                    "arena_used": 90,
                }
            },
            "examples": [stale],  # as recorded by an older run
        },
    }
    text = bench.render_results(results)
    assert "/home/someone" not in text
    assert "full MNIST from 'mnist.npz'" in text
    row = next(
        ln for ln in text.splitlines() if ln.startswith(f"| {example['example']} |")
    )
    # "1,000 / <board flash>", or without the board's manifest "1,000 B (no ...)".
    assert f"| {example['model']} (" in row and "| 1,000 " in row
    assert "an_old_model" not in text


def test_zoo_accuracy_renders_the_manifest_and_tolerates_new_keys() -> None:
    zoo = bench.read_zoo_manifest()
    assert zoo, "platformio_tinyml/zoo_models/zoo_models.json is missing"
    later = {"dataset": "cifar10", "accuracy_int8": 0.8512, "init_from": "x.keras"}
    text = bench.render_results({"meta": {}, "zoo_models": {**zoo, "new_one": later}})
    section = text.split("## 5. Accuracy of the shipped zoo models", 1)[1]
    for name, entry in zoo.items():
        row = next(ln for ln in section.splitlines() if ln.startswith(f"| {name} |"))
        assert f"| {entry['accuracy_int8'] * 100:.2f}% |" in row
        assert f"{entry['test_images']:,}" in row
    row = next(ln for ln in section.splitlines() if ln.startswith("| new_one |"))
    assert "| 85.12% | — |" in row and "init_from: x.keras" in row
    assert "### Training smoke run (not the shipped models)" in section


# --- The --quick pipeline-speed part on a small generated model ----------------------


@pytest.mark.compiler
@pytest.mark.tflm
def test_pipeline_speed_quick_on_small_model(tmp_path: Path) -> None:
    for tool in ("xxd", "arm-none-eabi-g++"):
        if shutil.which(tool) is None:
            pytest.skip(f"'{tool}' is not installed; the pipeline benchmark needs it")
    pytest.importorskip("tflite_micro", reason="the cache-hit part runs host TFLM")
    model = bench.synthetic_model(512 * 1024)
    result = bench.pipeline_speed(
        model, "synthetic", tmp_path, repeats=1, compile_repeats=1
    )
    assert result["model_bytes"] == 512 * 1024
    gen = result["generation"]
    assert gen["speedup"] == pytest.approx(
        gen["xxd_i"]["best_s"] / gen["tinyml"]["best_s"]
    )
    assert gen["speedup"] > 1.0, gen  # numpy rendering beats spawning xxd -i
    cli = result["cli"]  # whole commands; the synthetic bytes go through --raw
    assert "error" not in cli, cli
    assert cli["flatbuffer_checked"] is False
    assert cli["speedup"] == pytest.approx(
        cli["xxd_i"]["best_s"] / cli["tinyml_carray"]["best_s"]
    )
    compile_ = result["compile"]
    assert compile_["speedup"] > 1.0, compile_  # .incbin beats a 512 KB C array
    assert compile_["meets_target"] == (compile_["speedup"] >= 30.0)
    cache = result["cache"]
    assert "error" not in cache, cache
    assert cache["speedup"] > 1.0, cache
    # The C array really holds the model: the object's .rodata is the bytes.
    obj = tmp_path / "carray" / "m.o"
    assert obj.is_file() and obj.stat().st_size > len(model)
