# SPDX-License-Identifier: Apache-2.0
"""Starting weights for training, taken from a pretrained int8 ``.tflite``.

A recipe may start from the weights of a pinned pretrained model of the same
architecture (``Recipe.init_from``, a zoo name of the pretrained manifest) instead of a
random initialisation, then fine-tune on the dataset at hand. This module turns the
int8 model into float kernels and biases in Keras layout, in graph order:

* weights ``(q - zero_point) * scale`` per output channel, biases ``q * scale``;
* ``CONV_2D`` kernels ``OHWI`` become Keras ``HWIO``; ``FULLY_CONNECTED`` ``(out, in)``
  becomes ``(in, out)``;
* the first layer absorbs the difference of input conventions: a model fed raw
  pixels (``0..255``) drives a zoo model fed ``pixel / 255`` with its first kernel
  multiplied by 255 (and a mean folded into the bias).

Batch normalisation of the pretrained model is already folded into its
convolutions, so the trainer sets the zoo model's BatchNormalization layers to pass
their input through (:func:`identity_batch_norm`). NumPy only; no TensorFlow here.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import numpy.typing as npt

from .aot.graph import Graph, Tensor, read_graph
from .config import InputRange
from .errors import ModelError
from .preprocessing import UNIT_RANGE, infer_input_range

_WEIGHTED_OPS = ("CONV_2D", "FULLY_CONNECTED")


@dataclass(frozen=True)
class LayerWeights:
    """Float weights of one weighted op, in Keras layout.

    Attributes:
        op: ``CONV_2D`` or ``FULLY_CONNECTED``.
        kernel: ``(kh, kw, in, out)`` for a convolution, ``(in, out)`` for a dense
            layer.
        bias: ``(out,)``.
    """

    op: str
    kernel: npt.NDArray[np.float32]
    bias: npt.NDArray[np.float32]


def _dequantize(tensor: Tensor, axis: int) -> npt.NDArray[np.float32]:
    values = tensor.array().astype(np.float64)
    if not tensor.scales:
        return values.astype(np.float32)
    shape = [1] * values.ndim
    count = len(tensor.scales)
    if count > 1:
        shape[axis] = count
    scales = np.asarray(tensor.scales, dtype=np.float64).reshape(shape)
    zeros = np.asarray(tensor.zero_points or (0,), dtype=np.float64)
    zeros = zeros.reshape(shape) if zeros.size == count and count > 1 else zeros[:1]
    real: npt.NDArray[np.float32] = ((values - zeros) * scales).astype(np.float32)
    return real


def _layer(graph: Graph, op_index: int) -> LayerWeights:
    op = graph.operators[op_index]
    weights = graph.tensors[op.inputs[1]]
    kernel = _dequantize(weights, weights.quantized_dimension)
    out_channels = kernel.shape[0]
    if len(op.inputs) > 2 and op.inputs[2] >= 0:
        bias = _dequantize(graph.tensors[op.inputs[2]], 0).reshape(out_channels)
    else:
        bias = np.zeros(out_channels, dtype=np.float32)
    if op.name == "CONV_2D":
        kernel = np.ascontiguousarray(kernel.transpose(1, 2, 3, 0))
    else:
        kernel = np.ascontiguousarray(kernel.T)
    return LayerWeights(op.name, kernel, bias)


def _source_range(graph: Graph) -> InputRange:
    tensor = graph.tensors[graph.inputs[0]]
    if tensor.dtype == "float32":
        return UNIT_RANGE
    inferred = infer_input_range(tensor.dtype, tensor.scale, tensor.zero_point)
    if inferred is None:
        raise ModelError(
            f"pretrained model input (scale {tensor.scale:g}, zero point "
            f"{tensor.zero_point}) matches no known input range; start from a model "
            "fed 0..1, 0..255 or -1..1 pixels"
        )
    return inferred


def pretrained_weights(
    tflite: bytes, target: InputRange = UNIT_RANGE
) -> tuple[LayerWeights, ...]:
    """The float weights of every convolution and dense layer, in graph order.

    Args:
        tflite: an int8 (or float) ``.tflite`` flatbuffer.
        target: the input range of the model the weights go into.

    Returns:
        One entry per ``CONV_2D``/``FULLY_CONNECTED`` op; the first layer rescaled
        so that it sees ``target`` inputs the way the source saw its own.

    Raises:
        ModelError: the bytes are not a model, or its input range is unknown.
    """
    graph = read_graph(tflite)
    source = _source_range(graph)
    layers = [
        _layer(graph, i)
        for i, op in enumerate(graph.operators)
        if op.name in _WEIGHTED_OPS
    ]
    if not layers:
        raise ModelError("pretrained model has no convolution or dense layer")
    # source input x_s = (p - m_s) / s_s and target x_t = (p - m_t) / s_t, so
    # x_s = a * x_t + b with a = s_t / s_s and b = (m_t - m_s) / s_s.
    a = target.std / source.std
    b = (target.mean - source.mean) / source.std
    first = layers[0]
    sum_axes = tuple(range(first.kernel.ndim - 1))
    layers[0] = LayerWeights(
        first.op,
        (first.kernel * a).astype(np.float32),
        (first.bias + b * first.kernel.sum(axis=sum_axes)).astype(np.float32),
    )
    return tuple(layers)


def match_layers(
    wanted: list[tuple[str, tuple[int, ...]]], available: tuple[LayerWeights, ...]
) -> list[LayerWeights]:
    """Assign pretrained weights to a model's layers by kind and kernel shape.

    Args:
        wanted: the model's weighted layers in build order, as ``(op, kernel shape)``.
        available: :func:`pretrained_weights` of the source.

    Returns:
        For each wanted layer, the first unused source layer of the same kind and
        shape (graph order is data-flow order, so equal shapes keep their order).

    Raises:
        ModelError: a layer has no match, or the source has layers left over.
    """
    used: set[int] = set()
    matched = []
    for op, shape in wanted:
        for i, layer in enumerate(available):
            if i not in used and layer.op == op and layer.kernel.shape == shape:
                used.add(i)
                matched.append(layer)
                break
        else:
            raise ModelError(
                f"pretrained model has no {op} with kernel shape {shape}; start "
                "from a model of the same architecture"
            )
    if len(used) != len(available):
        raise ModelError(
            f"pretrained model has {len(available) - len(used)} weighted layer(s) "
            "the architecture lacks; start from a model of the same architecture"
        )
    return matched


def identity_batch_norm(
    pre_norm: npt.NDArray[np.float32], epsilon: float
) -> list[npt.NDArray[np.float32]]:
    """BatchNormalization weights that pass ``pre_norm``-like activations through.

    With ``gamma = sqrt(var + eps)`` and ``beta = mean`` (the per-channel statistics
    of ``pre_norm``, batch and spatial axes pooled), the layer is the identity both
    at inference (moving statistics) and in training on batches like ``pre_norm``, so
    fine-tuning starts from the pretrained function.

    Returns:
        ``[gamma, beta, moving_mean, moving_variance]``.
    """
    axes = tuple(range(pre_norm.ndim - 1))
    mean = pre_norm.mean(axis=axes, dtype=np.float64)
    var = pre_norm.var(axis=axes, dtype=np.float64)
    gamma = np.sqrt(var + epsilon)
    return [a.astype(np.float32) for a in (gamma, mean, mean, var)]


__all__ = ["LayerWeights", "identity_batch_norm", "match_layers", "pretrained_weights"]
