# SPDX-License-Identifier: Apache-2.0
"""The kernels' C: a one-off rounding change must make the TFLM comparison fail,
and the DSP path (ACLE intrinsics) must give the portable path's outputs."""

from __future__ import annotations

import importlib.util
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from platformio_tinyml.aot import compile_model
from platformio_tinyml.model_info import read_model

from .conftest import random_inputs

pytestmark = pytest.mark.compiler

# The last step of every requantization (RoundingDivideByPOT: halves away from 0).
ROUNDING = "return (v >> right) + ((v & mask) > threshold ? 1 : 0);"


@pytest.mark.tensorflow
def test_rounding_change_is_caught(host_runner, tflm_outputs) -> None:  # type: ignore[no-untyped-def]
    pytest.importorskip("tensorflow", reason="the model is built with TensorFlow")
    from platformio_tinyml._deps import run_quietly

    from .models import ModelSpec, build_tflite

    # One FULLY_CONNECTED whose requantized outputs are the model's outputs, so a
    # rounding difference cannot be hidden by later layers.
    spec = ModelSpec(8, 8, 1, (), "flatten", 64, False, 0.0, 1.0, seed=7)
    model = run_quietly(lambda: build_tflite(spec))
    compiled = compile_model(model, "fc")
    assert compiled.source.count(ROUNDING) == 1
    inputs = random_inputs(read_model(model).input.shape, 200, seed=5)
    expected = tflm_outputs(model, inputs)
    np.testing.assert_array_equal(host_runner(compiled, inputs), expected)
    # Ties (remainder == threshold) now round the other way: off by one, sometimes.
    broken = compiled.source.replace(ROUNDING, ROUNDING.replace("> thr", ">= thr"))
    got = host_runner(compiled, inputs, source=broken)
    assert not np.array_equal(got, expected)
    assert np.abs(got.astype(int) - expected).max() == 1


def _bench() -> object:
    path = Path(__file__).resolve().parents[2] / "benchmarks" / "aot_insns.py"
    spec = importlib.util.spec_from_file_location("aot_insns", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules["aot_insns"] = module
    spec.loader.exec_module(module)
    return module


@pytest.mark.qemu
def test_dsp_path_on_emulated_m7(tests_data: Path, tflm_outputs) -> None:
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "arm-none-eabi-nm"):
        if shutil.which(tool) is None:
            pytest.skip(f"'{tool}' is not installed")
    bench = _bench()
    model = (tests_data / "tiny_cnn_int8.tflite").read_bytes()
    # Its first convolution (1 input channel) takes the few-channel kernel (SMMULR).
    assert "tinyml_aot_conv_few(" in compile_model(model, "tiny").source
    # measure() raises unless every output on the target equals host TFLM's.
    dsp = bench.measure(model, "tiny")  # type: ignore[attr-defined]
    portable = bench.measure(model, "tiny", portable=True)  # type: ignore[attr-defined]
    assert dsp["instructions"] != portable["instructions"]
    assert dsp["instructions"] < portable["instructions"]
    # The fallback for compilers without ACLE SIMD32 intrinsics (GCC < 10).
    no_acle = bench.measure(model, "tiny", defines=("TINYML_AOT_NO_ACLE",))  # type: ignore[attr-defined]
    assert no_acle["instructions"] < portable["instructions"]


@pytest.mark.qemu
def test_mirror_averaged_resnet8_on_emulated_m7_costs_two_passes(
    shipped_model: Callable[[str], bytes],
) -> None:
    for tool in ("arm-none-eabi-gcc", "qemu-system-arm", "arm-none-eabi-nm"):
        if shutil.which(tool) is None:
            pytest.skip(f"'{tool}' is not installed")
    bench = _bench()
    # measure() raises unless every output on the target equals host TFLM's.
    single = bench.measure(shipped_model("cifar10_resnet8"), "r8")  # type: ignore[attr-defined]
    mirror = bench.measure(shipped_model("cifar10_resnet8_mirror"), "r8_mirror")  # type: ignore[attr-defined]
    # Every layer of the model but its SOFTMAX runs twice, on the same MACs: once on
    # the image, then (after REVERSE_V2) on its mirror image; one ADD, one SOFTMAX.
    body = [(x["op"], x["macs"]) for x in single["layers"] if x["op"] != "SOFTMAX"]
    ops = [(x["op"], x["macs"]) for x in mirror["layers"]]
    assert ops == [*body, ("REVERSE_V2", 0), *body, ("ADD", 0), ("SOFTMAX", 0)]
    ratio = mirror["instructions"] / single["instructions"]
    assert 1.99 < ratio < 2.01, ratio  # REVERSE_V2, the final ADD: a few thousand
    reverse = next(x for x in mirror["layers"] if x["op"] == "REVERSE_V2")
    assert reverse["instructions"] < 20_000
    # The second pass costs what the first does: within 2% layer by layer (the first
    # convolution reads the caller's input in one pass, the arena in the other).
    n = len(body)
    passes = mirror["layers"][:n], mirror["layers"][n + 1 : 2 * n + 1]
    for first, second in zip(*passes, strict=True):
        assert abs(second["instructions"] - first["instructions"]) <= (
            0.02 * first["instructions"]
        ), (first, second)
