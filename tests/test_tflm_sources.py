# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.tflm_sources: locating trees, source selection, flags."""

from __future__ import annotations

from pathlib import Path

import pytest

from platformio_tinyml.errors import ConfigError
from platformio_tinyml.tflm_sources import (
    DOWNLOADS,
    TflmTree,
    cpu_flags,
    locate_tflm,
    select_sources,
)

CORE_FILES = (
    "tensorflow/lite/micro/micro_interpreter.h",
    "tensorflow/lite/micro/micro_interpreter.cc",
    "tensorflow/lite/micro/micro_interpreter_test.cc",
    "tensorflow/lite/micro/debug_log.cc",
    "tensorflow/lite/micro/micro_time.cc",
    "tensorflow/lite/micro/test_helpers.cc",
    "tensorflow/lite/micro/system_setup.cc",
    "tensorflow/lite/micro/arena_allocator/single_arena_buffer_allocator.cc",
    "tensorflow/lite/micro/memory_planner/greedy_memory_planner.cc",
    "tensorflow/lite/micro/tflite_bridge/micro_error_reporter.cc",
    "tensorflow/lite/array.cc",
    "tensorflow/lite/core/c/common.cc",
    "tensorflow/lite/kernels/kernel_util.cc",
    "tensorflow/lite/kernels/internal/common.cc",
    "tensorflow/lite/experimental/ignored.cc",
    "tensorflow/lite/micro/kernels/kernel_util.cc",
    "tensorflow/lite/micro/kernels/micro_tensor_utils.cc",
    "tensorflow/lite/micro/kernels/fully_connected.cc",
    "tensorflow/lite/micro/kernels/fully_connected_common.cc",
    "tensorflow/lite/micro/kernels/cmsis_nn/fully_connected.cc",
    "tensorflow/lite/micro/kernels/softmax.cc",
    "tensorflow/lite/micro/kernels/softmax_common.cc",
    "tensorflow/lite/micro/kernels/cmsis_nn/softmax.cc",
    "tensorflow/lite/micro/kernels/reshape.cc",
    "tensorflow/lite/micro/kernels/reshape_common.cc",
    "tensorflow/lite/micro/kernels/conv.cc",
    "tensorflow/lite/micro/kernels/conv_common.cc",
    f"{DOWNLOADS}/flatbuffers/include/flatbuffers/flatbuffers.h",
    f"{DOWNLOADS}/gemmlowp/fixedpoint/fixedpoint.h",
    f"{DOWNLOADS}/ruy/ruy/profiler/instrumentation.h",
    f"{DOWNLOADS}/cmsis_nn/Include/arm_nnfunctions.h",
    f"{DOWNLOADS}/cmsis_nn/Source/FullyConnectedFunctions/arm_fully_connected_s8.c",
    f"{DOWNLOADS}/cmsis_nn/Source/ActivationFunctions/arm_relu_q7.c",
    f"{DOWNLOADS}/cmsis_nn/Source/SoftmaxFunctions/arm_softmax_f32.c",
    f"{DOWNLOADS}/cmsis_nn/Source/NNSupportFunctions/arm_nntables_flt.c",
)
DENSE_OPS = ("FULLY_CONNECTED", "SOFTMAX", "RESHAPE")


@pytest.fixture()
def fake_tree(tmp_path: Path) -> TflmTree:
    root = tmp_path / "tflite-micro"
    for rel in CORE_FILES:
        path = root / rel
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("// stub\n")
    tree = locate_tflm(root)
    assert tree is not None
    return tree


def _rel(tree: TflmTree, paths: tuple[Path, ...]) -> set[str]:
    return {p.relative_to(tree.root).as_posix() for p in paths}


# --- locate_tflm ---


def test_explicit_missing_dir_names_the_fix(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="does not exist.*third_party_downloads"):
        locate_tflm(tmp_path / "nope")


def test_incomplete_tree_names_missing_parts(tmp_path: Path) -> None:
    marker = tmp_path / "tensorflow/lite/micro/micro_interpreter.h"
    marker.parent.mkdir(parents=True)
    marker.write_text("")
    with pytest.raises(ConfigError, match="lacks flatbuffers, gemmlowp, ruy"):
        locate_tflm(tmp_path)


def test_env_var_then_default(
    fake_tree: TflmTree, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("TINYML_TFLM_DIR", str(fake_tree.root))
    assert locate_tflm(None) == fake_tree
    monkeypatch.setenv("TINYML_TFLM_DIR", str(tmp_path / "gone"))
    with pytest.raises(ConfigError, match=r"\$TINYML_TFLM_DIR"):
        locate_tflm(None)
    monkeypatch.delenv("TINYML_TFLM_DIR")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert locate_tflm(None) is None


def test_tree_without_cmsis_nn(fake_tree: TflmTree) -> None:
    marker = fake_tree.root / DOWNLOADS / "cmsis_nn/Include/arm_nnfunctions.h"
    marker.unlink()
    tree = locate_tflm(fake_tree.root)
    assert tree is not None and tree.cmsis_nn is None
    with pytest.raises(ConfigError, match="CMSIS-NN is not downloaded"):
        select_sources(tree, DENSE_OPS, kernels="cmsis_nn")
    assert select_sources(tree, DENSE_OPS, kernels="reference").kernels == "reference"


# --- select_sources ---


def test_reference_selection_has_only_needed_kernels(fake_tree: TflmTree) -> None:
    build = select_sources(fake_tree, DENSE_OPS, kernels="reference")
    groups = {g.name: g for g in build.groups}
    assert set(groups) == {"core", "kernels"}
    k = "tensorflow/lite/micro/kernels/"
    assert _rel(fake_tree, groups["kernels"].sources) == {
        f"{k}kernel_util.cc",
        f"{k}micro_tensor_utils.cc",
        f"{k}fully_connected.cc",
        f"{k}fully_connected_common.cc",
        f"{k}softmax.cc",
        f"{k}softmax_common.cc",
        f"{k}reshape.cc",
        f"{k}reshape_common.cc",
    }
    core = _rel(fake_tree, groups["core"].sources)
    assert "tensorflow/lite/micro/micro_interpreter.cc" in core
    assert "tensorflow/lite/core/c/common.cc" in core
    assert "tensorflow/lite/kernels/internal/common.cc" in core
    for excluded in (
        "tensorflow/lite/array.cc",
        "tensorflow/lite/micro/debug_log.cc",
        "tensorflow/lite/micro/micro_time.cc",
        "tensorflow/lite/micro/test_helpers.cc",
        "tensorflow/lite/micro/micro_interpreter_test.cc",
        "tensorflow/lite/experimental/ignored.cc",
    ):
        assert excluded not in core
    assert groups["core"].flags == ("-Os",)
    assert groups["kernels"].flags == ("-O2",)
    assert "CMSIS_NN" not in build.defines
    assert "TF_LITE_STATIC_MEMORY" in build.defines


def test_cmsis_nn_selection_swaps_kernels_and_adds_library(fake_tree: TflmTree) -> None:
    build = select_sources(
        fake_tree, ["fully_connected", "SOFTMAX"], kernels="cmsis_nn"
    )
    groups = {g.name: g for g in build.groups}
    kernels = _rel(fake_tree, groups["kernels"].sources)
    assert "tensorflow/lite/micro/kernels/cmsis_nn/fully_connected.cc" in kernels
    assert "tensorflow/lite/micro/kernels/fully_connected.cc" not in kernels
    assert "tensorflow/lite/micro/kernels/fully_connected_common.cc" in kernels
    nn = {p.name for p in groups["cmsis_nn"].sources}
    assert nn == {"arm_fully_connected_s8.c", "arm_relu_q7.c"}
    assert {"CMSIS_NN", "ARM_NN_ENABLE_F16=0"} <= set(build.defines)
    assert fake_tree.cmsis_nn is not None
    assert fake_tree.cmsis_nn / "Include" in build.include_dirs


def test_object_paths_are_unique_for_duplicate_basenames(fake_tree: TflmTree) -> None:
    build = select_sources(fake_tree, DENSE_OPS, kernels="cmsis_nn")
    objects = [g.object_path(s) for g in build.groups for s in g.sources]
    assert len(objects) == len(set(objects))
    names = [o.name for o in objects]
    assert names.count("kernel_util.o") == 2
    assert names.count("common.o") == 2


def test_unknown_op_and_kernel_set_fail(fake_tree: TflmTree) -> None:
    with pytest.raises(ConfigError, match="op 'FANCY_OP' has no known TFLM kernel"):
        select_sources(fake_tree, ["FANCY_OP"], kernels="reference")
    with pytest.raises(ConfigError, match="kernel set 'fast'"):
        select_sources(fake_tree, DENSE_OPS, kernels="fast")  # type: ignore[arg-type]


def test_missing_kernel_file_is_reported(fake_tree: TflmTree) -> None:
    with pytest.raises(ConfigError, match="depthwise_conv.cc"):
        select_sources(fake_tree, ["DEPTHWISE_CONV_2D"], kernels="reference")


@pytest.mark.tflm_sources
def test_real_tree_selection_exists() -> None:
    tree = locate_tflm(None)
    if tree is None:
        pytest.skip("no tflite-micro checkout at $TINYML_TFLM_DIR or the default dir")
    for kernels in ("reference", "cmsis_nn"):
        build = select_sources(tree, DENSE_OPS + ("CONV_2D",), kernels=kernels)  # type: ignore[arg-type]
        assert all(p.is_file() for p in build.sources)
        assert not any(p.name.endswith("_test.cc") for p in build.sources)
    core = next(g for g in build.groups if g.name == "core")
    assert (
        30 <= len(core.sources) <= 50
    )  # sources.inc: 42 minus hooks and test scaffolding


# --- cpu_flags ---


def test_cpu_flags() -> None:
    dp = ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-d16"]
    assert cpu_flags("cortex-m7") == dp
    assert cpu_flags("stm32h747xih6") == dp
    assert cpu_flags("STM32F746NGH6")[-1] == "-mfpu=fpv5-sp-d16"
    assert cpu_flags("host") == []
    with pytest.raises(ConfigError, match="'z80'"):
        cpu_flags("z80")
