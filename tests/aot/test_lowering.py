# SPDX-License-Identifier: Apache-2.0
"""Every lowered op vs TFLM, bit for bit, on randomly generated small int8 models.

The default run builds a handful of models; ``-m slow`` builds 250 (about 10 min on
two cores). TensorFlow converts them in a child process (``model_builder``).
"""

from __future__ import annotations

import numpy as np
import pytest

from platformio_tinyml.aot import compile_model
from platformio_tinyml.model_info import read_model

from .conftest import random_inputs
from .models import Layer, ModelSpec, model_specs

hypothesis = pytest.importorskip("hypothesis")
pytest.importorskip("tensorflow", reason="random models are built with TensorFlow")
pytestmark = [pytest.mark.compiler, pytest.mark.tensorflow]

given, settings = hypothesis.given, hypothesis.settings
# No shrinking: each example converts a model (seconds); the failing spec is printed.
PHASES = (hypothesis.Phase.explicit, hypothesis.Phase.generate)


def _check(spec: ModelSpec, model_builder, host_runner, tflm_outputs) -> None:  # type: ignore[no-untyped-def]
    model = model_builder.build(spec)
    compiled = compile_model(model, "rnd")
    inputs = random_inputs(read_model(model).input.shape, 6, seed=spec.seed)
    expected = tflm_outputs(model, inputs)
    got = host_runner(compiled, inputs)
    np.testing.assert_array_equal(got, expected, err_msg=repr(spec))


# A residual block whose convolution reads the residual itself: the fused
# CONV_2D+ADD must not overwrite its own input.
RESIDUAL_IS_CONV_INPUT = ModelSpec(
    8,
    8,
    2,
    (
        Layer("avgpool", size=1, stride=2),
        Layer("residual", size=3),
        Layer("dwconv", size=2, stride=2, same=False, filters=2),
    ),
    "gap",
    11,
    True,
    0.2,
    0.5,
    seed=2312,
)


# A first convolution over 3 channels (kernels/conv_few.c): stride 2 with
# padding, an odd number of pixels and of filters.
FIRST_CONV_FEW_CHANNELS = ModelSpec(
    9,
    9,
    3,
    (Layer("conv", size=3, stride=2, same=True, filters=5, activation="relu"),),
    "flatten",
    4,
    False,
    -1.0,
    1.0,
    seed=5,
)


@settings(max_examples=6, deadline=None, phases=PHASES)
@hypothesis.example(spec=RESIDUAL_IS_CONV_INPUT)
@hypothesis.example(spec=FIRST_CONV_FEW_CHANNELS)
@given(spec=model_specs())
def test_random_models_match_tflm(
    spec: ModelSpec, model_builder, host_runner, tflm_outputs
) -> None:  # type: ignore[no-untyped-def]
    _check(spec, model_builder, host_runner, tflm_outputs)


@pytest.mark.slow
@settings(max_examples=250, deadline=None, phases=PHASES)
@given(spec=model_specs())
def test_many_random_models_match_tflm(
    spec: ModelSpec, model_builder, host_runner, tflm_outputs
) -> None:  # type: ignore[no-untyped-def]
    _check(spec, model_builder, host_runner, tflm_outputs)
