# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.pio.plan: pure planning, stamps and budgets."""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import pytest

from platformio_tinyml.boards import (
    RUNTIME_FLASH_ESTIMATE,
    RUNTIME_RAM_ESTIMATE,
    BoardLimits,
    estimate_budget,
)
from platformio_tinyml.errors import BudgetError, ConfigError
from platformio_tinyml.pio import plan as P

TEST_OPTIONS = {
    "platform": "native",
    "custom_tinyml_model": "models/digits.tflite",
    "custom_tinyml_images": "4",
    "custom_tinyml_image_format": "1bpp",
}
TEST_ENV = "host"
TEST_FINGERPRINT = "f" * 64

DISCO_F746NG = BoardLimits("disco_f746ng", flash_bytes=1048576, ram_bytes=327680)


def fixed_fingerprint(cfg: object, project_dir: Path) -> str:
    return TEST_FINGERPRINT


def make_plan(tmp_path: Path, **overrides: str) -> P.GenerationPlan:
    return P.plan_generation(
        {**TEST_OPTIONS, **overrides},
        project_dir=tmp_path / "proj",
        build_dir=tmp_path / "proj/.pio/build/host",
        workspace_dir=tmp_path / "proj/.pio",
        env_name=TEST_ENV,
        board=None,
        fingerprint=fixed_fingerprint,
    )


@dataclass(frozen=True)
class FakeResult:
    """Stands in for pipeline.GenerationResult (the fields the plan reads)."""

    out_dir: Path
    files: tuple[Path, ...]
    sources: tuple[Path, ...]
    tflm_sources: tuple[Path, ...]
    stem: str = "digits"
    model_bytes: int = 20_480
    arena_size: int = 4_096
    measured_arena: int = 3_500
    ops: tuple[str, ...] = ("FULLY_CONNECTED", "SOFTMAX")
    accuracy: float | None = 0.9125
    tflite_path: Path = field(default=Path("/cache/digits.tflite"))
    runtime: str = "tflm"
    runtime_reason: str = "auto: the AOT backend lacks MEAN"


def write_result(plan: P.GenerationPlan) -> FakeResult:
    gen = plan.generated_src
    files = (
        gen / "digits_model_data.h",
        gen / "digits_model_data.cpp",
        gen / "digits_model.cpp",
        gen / "tinyml_model.h",
    )
    for f in files:
        f.parent.mkdir(parents=True, exist_ok=True)
        f.write_text("// generated\n")
    return FakeResult(
        out_dir=gen,
        files=files,
        sources=(files[1], files[2]),
        tflm_sources=(files[2],),
    )


# --- plan_generation ----------------------------------------------------------

PATHS_EXPECTED = {
    "generated_src": "proj/.pio/build/host/tinyml/generated-src",
    "generated_build": "proj/.pio/build/host/tinyml/generated-build",
    "stamp_path": "proj/.pio/build/host/tinyml/stamps/generate.json",
    "report_dir": "proj/.pio/build/host/tinyml/report",
    "cache_dir": "proj/.pio/tinyml/cache",
    "lock_path": "proj/.pio/tinyml/cache/generate.lock",
}


def test_plan_paths(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    for name, expected in PATHS_EXPECTED.items():
        assert getattr(plan, name) == tmp_path / expected, name
    assert plan.fingerprint == TEST_FINGERPRINT
    assert plan.env_name == TEST_ENV


def test_plan_cache_is_outside_build_dir(tmp_path: Path) -> None:
    # `pio run -t clean` deletes $BUILD_DIR; the model cache must survive it.
    plan = make_plan(tmp_path)
    assert plan.build_dir not in plan.cache_dir.parents


PATH_OPTIONS_EXPECTED = [
    (
        "custom_tinyml_model",
        "models/digits.tflite",
        "model",
        "proj/models/digits.tflite",
    ),
    ("custom_tinyml_model", "mnist_dense", "model", None),
    ("custom_tinyml_model", "https://x.org/m.tflite", "model", None),
    ("custom_tinyml_dataset", "folder:data/imgs", "dataset", "folder:proj/data/imgs"),
    ("custom_tinyml_tflm_dir", "../tflm", "tflm_dir", "tflm"),
]


@pytest.mark.parametrize(
    ("option", "value", "field_name", "expected"), PATH_OPTIONS_EXPECTED
)
def test_plan_resolves_project_relative_paths(
    tmp_path: Path, option: str, value: str, field_name: str, expected: str | None
) -> None:
    plan = make_plan(tmp_path, **{option: value})
    got = getattr(plan.config, field_name)
    if expected is None:
        assert got == value
    elif expected.startswith("folder:"):
        assert got == "folder:" + str(tmp_path / expected[len("folder:") :])
    else:
        assert Path(got) == tmp_path / expected


def test_plan_unknown_option_suggests_the_close_name(tmp_path: Path) -> None:
    with pytest.raises(
        ConfigError,
        match=r"unknown option 'custom_tinyml_imagez'.*"
        r"did you mean 'custom_tinyml_images'\?",
    ):
        make_plan(tmp_path, custom_tinyml_imagez="3")


def test_plan_ignores_other_options(tmp_path: Path) -> None:
    plan = make_plan(tmp_path, board_build_flags="-O2", custom_other="x")
    assert plan.config.images == 4


def test_plan_default_fingerprint_is_the_pipeline_s(tmp_path: Path) -> None:
    from platformio_tinyml.pipeline import input_fingerprint

    plan = P.plan_generation(
        {"custom_tinyml_model": "mnist_dense"},
        project_dir=tmp_path,
        build_dir=tmp_path / "b",
        workspace_dir=tmp_path / "w",
        env_name="e",
        board=None,
    )
    assert plan.fingerprint == input_fingerprint(plan.config, tmp_path)
    assert len(plan.fingerprint) == 64


# --- stamps and staleness -----------------------------------------------------


def test_stale_without_stamp(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    assert P.stale_reason(plan) == "no previous generation"
    assert not P.is_up_to_date(plan)


def test_up_to_date_after_write_stamp(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    result = write_result(plan)
    stamp = P.write_stamp(plan, result)
    assert P.is_up_to_date(plan)
    assert P.read_stamp(plan) == stamp
    assert stamp.summary.stem == "digits"
    assert stamp.summary.ops == ("FULLY_CONNECTED", "SOFTMAX")


def test_stamp_file_layout(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    P.write_stamp(plan, write_result(plan))
    data = json.loads(plan.stamp_path.read_text())
    assert data["fingerprint"] == TEST_FINGERPRINT
    assert data["stamp_version"] == P.STAMP_VERSION == 3
    assert len(data["outputs"]) == 4
    assert data["tflm_sources"] == [str(plan.generated_src / "digits_model.cpp")]
    assert data["summary"]["model_bytes"] == 20_480


def test_stale_when_inputs_change(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    P.write_stamp(plan, write_result(plan))
    changed = P.plan_generation(
        TEST_OPTIONS,
        project_dir=plan.project_dir,
        build_dir=plan.build_dir,
        workspace_dir=plan.workspace_dir,
        env_name=TEST_ENV,
        board=None,
        fingerprint=lambda cfg, d: "0" * 64,
    )
    assert P.stale_reason(changed) == "inputs changed"


def test_stale_when_an_output_is_deleted(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    result = write_result(plan)
    P.write_stamp(plan, result)
    result.files[0].unlink()
    assert P.stale_reason(plan) == "output missing: digits_model_data.h"


@pytest.mark.parametrize("content", ["", "{", '{"stamp_version": 99}', "[]"])
def test_corrupt_stamp_means_stale(tmp_path: Path, content: str) -> None:
    plan = make_plan(tmp_path)
    write_result(plan)
    plan.stamp_path.parent.mkdir(parents=True)
    plan.stamp_path.write_text(content)
    assert P.read_stamp(plan) is None
    assert not P.is_up_to_date(plan)


def test_stale_outputs_lists_leftovers_only(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    result = write_result(plan)
    old = plan.generated_src / "mnist_dense_model_data.cpp"
    old.write_text("// from an earlier model stem\n")
    assert P.stale_outputs(plan, result.files) == [old]


# --- source filters -----------------------------------------------------------

GEN_FILTER_EXPECTED = {
    True: "-<*> +<digits_model_data.cpp> +<digits_model.cpp>",
    False: "-<*> +<digits_model_data.cpp>",
}


@pytest.mark.parametrize("have_tflm", [True, False])
def test_generated_src_filter(tmp_path: Path, have_tflm: bool) -> None:
    plan = make_plan(tmp_path)
    stamp = P.make_stamp(plan, write_result(plan))
    got = P.generated_src_filter(stamp, plan.generated_src, have_tflm=have_tflm)
    assert got == GEN_FILTER_EXPECTED[have_tflm]


LIB_FILTER_EXPECTED = [
    ("disco_f746ng", True, "+<*> -<.git/> -<boards/> +<boards/disco_f746ng/>"),
    (
        "disco_f746ng",
        False,
        "+<*> -<.git/> -<boards/> +<boards/disco_f746ng/> -<tflm/>",
    ),
    (None, False, "+<*> -<.git/> -<boards/> -<tflm/>"),
]


@pytest.mark.parametrize(("board", "have_tflm", "expected"), LIB_FILTER_EXPECTED)
def test_library_src_filter(board: str | None, have_tflm: bool, expected: str) -> None:
    assert P.library_src_filter(board, have_tflm=have_tflm) == expected


# --- board limits and budget --------------------------------------------------


def test_budget_fits() -> None:
    report = P.check_budget(
        estimate_budget(
            DISCO_F746NG, 100_000, 50_000, runtime_flash=150_000, runtime_ram=10_000
        )
    )
    assert (report.flash_used, report.ram_used) == (250_000, 60_000)
    assert report.flash_percent == pytest.approx(100 * 250_000 / 1048576)
    assert report.ram_percent == pytest.approx(100 * 60_000 / 327680)


def test_budget_flash_overflow_message() -> None:
    over = 1_000_000 + RUNTIME_FLASH_ESTIMATE - 1_048_576
    with pytest.raises(
        BudgetError,
        match=r"^model \(1000000 B\) \+ runtime estimate exceed disco_f746ng flash "
        rf"\(1048576 B\) by {over} bytes; ",
    ):
        P.check_budget(estimate_budget(DISCO_F746NG, 1_000_000, 10_000))


def test_budget_external_model_does_not_count() -> None:
    report = P.check_budget(
        estimate_budget(DISCO_F746NG, 1_000_000, 10_000, model_in_flash=False)
    )
    assert report.flash_used == RUNTIME_FLASH_ESTIMATE
    assert report.notes == ("model placed in external memory",)


def test_budget_ram_overflow_message() -> None:
    over = 327_000 + RUNTIME_RAM_ESTIMATE - 327_680
    with pytest.raises(
        BudgetError,
        match=r"^arena \(327000 B\) \+ runtime estimate exceed disco_f746ng RAM "
        rf"\(327680 B\) by {over} bytes; ",
    ):
        P.check_budget(estimate_budget(DISCO_F746NG, 1_000, 327_000))


def test_budget_unknown_sizes_are_not_checked() -> None:
    report = P.check_budget(estimate_budget(BoardLimits("x", 0, 0), 10**9, 10**9))
    assert report.flash_percent is None and report.ram_percent is None


# --- summary ------------------------------------------------------------------

SUMMARY_EXPECTED = """\
model 'digits' (int8): 20,480 B, arena 4,096 B (measured 3,500 B)
ops (2): FULLY_CONNECTED, SOFTMAX
runtime: tflm (auto: the AOT backend lacks MEAN)
host accuracy: 91.25 %
disco_f746ng flash: ~184,320 / 1,048,576 B (17.6 %), RAM: ~20,480 / 327,680 B (6.2 %) \
(incl. runtime estimate)"""


def test_format_summary(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    summary = P.make_stamp(plan, write_result(plan)).summary
    # Fixed runtime figures: this checks the formatting, not the estimates.
    budget = P.check_budget(
        estimate_budget(
            DISCO_F746NG,
            summary.model_bytes,
            summary.arena_size,
            runtime_flash=160 * 1024,
            runtime_ram=16 * 1024,
        )
    )
    assert P.format_summary(summary, budget, quantization="int8") == SUMMARY_EXPECTED


def test_format_summary_without_board_or_accuracy() -> None:
    summary = P.GenerationSummary("m", 10, 16, 8, (), None)
    text = P.format_summary(summary)
    assert text.splitlines() == [
        "model 'm': 10 B, arena 16 B (measured 8 B)",
        "ops (0): -",
        "runtime: tflm",
        "host accuracy: not measured",
    ]


def test_empty_folder_dataset_is_not_the_project_folder(tmp_path: Path) -> None:
    from platformio_tinyml.config import TinyMLConfig
    from platformio_tinyml.pipeline import resolve_paths

    cfg = resolve_paths(TinyMLConfig(dataset="folder:"), tmp_path)
    assert cfg.dataset == "folder:"


def test_format_summary_aot_names_runtime_and_tflm_need() -> None:
    summary = P.GenerationSummary(
        "m", 10, 48, 900, ("SOFTMAX",), None, "aot", "auto: every op supported"
    )
    lines = P.format_summary(summary).splitlines()
    assert lines[0] == "model 'm': 10 B, arena 48 B (TFLM would need 900 B)"
    assert lines[2] == "runtime: aot (auto: every op supported)"
    assert not summary.needs_tflm


def test_stamp_round_trips_the_runtime(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    result = write_result(plan)
    aot = FakeResult(**{**result.__dict__, "runtime": "aot", "runtime_reason": "x"})
    P.write_stamp(plan, aot)
    stamp = P.read_stamp(plan)
    assert stamp is not None
    assert (stamp.summary.runtime, stamp.summary.runtime_reason) == ("aot", "x")


def test_stamp_of_an_older_version_is_stale(tmp_path: Path) -> None:
    plan = make_plan(tmp_path)
    P.write_stamp(plan, write_result(plan))
    data = json.loads(plan.stamp_path.read_text())
    data["stamp_version"] = 1
    del data["summary"]["runtime"]
    plan.stamp_path.write_text(json.dumps(data))
    assert P.read_stamp(plan) is None
    assert P.stale_reason(plan) == "no previous generation"
