# SPDX-License-Identifier: Apache-2.0
"""runtimes.py: which runtime runs the model, and the messages that say why."""

from __future__ import annotations

from pathlib import Path

import pytest

from platformio_tinyml.errors import ConfigError, ModelError
from platformio_tinyml.model_info import ModelInfo, read_model
from platformio_tinyml.runtimes import RuntimeChoice, choose_runtime

DATA = Path(__file__).parent / "data"


@pytest.fixture(scope="module")
def int8_model() -> ModelInfo:
    return read_model((DATA / "tiny_cnn_int8.tflite").read_bytes())


@pytest.fixture(scope="module")
def float_model() -> ModelInfo:
    return read_model((DATA / "tiny_dense_float.tflite").read_bytes())


@pytest.mark.parametrize(
    ("requested", "unsupported", "expected"),
    [
        ("auto", (), RuntimeChoice("aot", "auto: the AOT backend supports every op")),
        ("auto", ("MEAN",), RuntimeChoice("tflm", "auto: the AOT backend lacks MEAN")),
        ("aot", (), RuntimeChoice("aot", "runtime = aot")),
        ("tflm", (), RuntimeChoice("tflm", "runtime = tflm")),
        ("tflm", ("MEAN", "PAD"), RuntimeChoice("tflm", "runtime = tflm")),
    ],
)
def test_choose_runtime_int8(
    int8_model: ModelInfo,
    requested: str,
    unsupported: tuple[str, ...],
    expected: RuntimeChoice,
) -> None:
    assert choose_runtime(requested, int8_model, unsupported) == expected


def test_auto_falls_back_to_tflm_for_float_models(float_model: ModelInfo) -> None:
    choice = choose_runtime("auto", float_model, ())
    assert choice.runtime == "tflm"
    assert "int8 input" in choice.reason and "float32" in choice.reason


def test_aot_refuses_what_it_cannot_compile(
    int8_model: ModelInfo, float_model: ModelInfo
) -> None:
    with pytest.raises(ModelError, match=r"lacks MEAN, PAD; set custom_tinyml_runtime"):
        choose_runtime("aot", int8_model, ("MEAN", "PAD"))
    with pytest.raises(ModelError, match="int8 input"):
        choose_runtime("aot", float_model, ())


def test_unknown_runtime_is_a_config_error(int8_model: ModelInfo) -> None:
    with pytest.raises(ConfigError, match="custom_tinyml_runtime 'tvm'"):
        choose_runtime("tvm", int8_model, ())
