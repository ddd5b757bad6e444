# SPDX-License-Identifier: Apache-2.0
"""Reading the graph: constants, per-channel quantization and builtin options."""

from __future__ import annotations

from pathlib import Path

import pytest

from platformio_tinyml.aot.graph import read_graph
from platformio_tinyml.errors import ModelError


def test_tiny_cnn_graph(tests_data: Path) -> None:
    graph = read_graph((tests_data / "tiny_cnn_int8.tflite").read_bytes())
    names = [op.name for op in graph.operators]
    assert names == [
        "CONV_2D",
        "DEPTHWISE_CONV_2D",
        "MAX_POOL_2D",
        "RESHAPE",
        "FULLY_CONNECTED",
        "SOFTMAX",
    ]
    conv = graph.operators[0]
    assert conv.option("padding") == 0  # SAME
    assert conv.option("fused_activation_function") == 1  # RELU
    assert conv.option("stride_w") == 1
    pool = graph.operators[2]
    assert (pool.option("filter_width"), pool.option("stride_h")) == (2, 2)
    weights = graph.tensors[conv.inputs[1]]
    assert weights.shape == (4, 3, 3, 1) and weights.data is not None
    assert len(weights.scales) == 4  # per channel
    assert weights.array().shape == (4, 3, 3, 1)
    assert graph.tensors[graph.inputs[0]].dtype == "int8"


def test_garbage_is_a_model_error() -> None:
    with pytest.raises(ModelError, match="not a TFLite flatbuffer"):
        read_graph(b"\0" * 64)
