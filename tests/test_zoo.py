# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.zoo: architecture table, shapes and parameter counts."""

from __future__ import annotations

import pytest

from platformio_tinyml.errors import ConfigError
from platformio_tinyml.zoo import ARCHITECTURES, build_model, get_architecture

# Parameter counts: the reference models in tensorflow-pipeline.md section 5, and the
# MLPerf Tiny ResNet-8 (78,666 parameters including batch-norm statistics).
PARAMS_EXPECTED = {
    "mnist_dense": 101_770,
    "mnist_lenet": 1_643_370,
    "mnist_lenet5": 61_706,  # the classic LeNet-5 figure
    "cifar10_cnn": 262_378,
    "cifar10_resnet8": 78_666,
}


def test_table_lists_the_four_models() -> None:
    assert sorted(ARCHITECTURES) == sorted(PARAMS_EXPECTED)
    assert ARCHITECTURES["mnist_lenet"].input_shape == (28, 28, 1)
    assert ARCHITECTURES["cifar10_resnet8"].input_shape == (32, 32, 3)
    for arch in ARCHITECTURES.values():
        assert arch.default_dataset in ("mnist", "cifar10")
        assert arch.default_epochs >= 1 and arch.batch_size >= 1


def test_unknown_model_lists_valid_ones() -> None:
    with pytest.raises(ConfigError, match="unknown zoo model 'lenet'.*mnist_lenet"):
        get_architecture("lenet")
    with pytest.raises(ConfigError, match="cifar10_resnet8"):
        build_model("resnet8")


def test_import_does_not_pull_in_tensorflow() -> None:
    import subprocess
    import sys

    code = (
        "import sys, platformio_tinyml.zoo, platformio_tinyml.datasets, "
        "platformio_tinyml.training, platformio_tinyml.quantization, "
        "platformio_tinyml.verification, platformio_tinyml.model_sources; "
        "print('tensorflow' in sys.modules)"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    )
    assert out.stdout.strip() == "False"


@pytest.mark.tensorflow
@pytest.mark.parametrize("name", sorted(PARAMS_EXPECTED))
def test_models_build_with_batch_one(name: str) -> None:
    arch = ARCHITECTURES[name]
    model = build_model(name)
    assert tuple(model.inputs[0].shape) == (1, *arch.input_shape)
    assert tuple(model.outputs[0].shape) == (1, arch.num_classes)
    assert model.count_params() == PARAMS_EXPECTED[name]


@pytest.mark.tensorflow
def test_dynamic_batch_and_custom_classes() -> None:
    model = build_model("mnist_dense", batch_size=None, num_classes=3)
    assert tuple(model.inputs[0].shape) == (None, 28, 28, 1)
    assert tuple(model.outputs[0].shape) == (None, 3)
    with pytest.raises(ConfigError, match="num_classes '1'"):
        build_model("mnist_dense", num_classes=1)
