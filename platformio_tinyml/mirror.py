# SPDX-License-Identifier: Apache-2.0
"""Mirror averaging: one ``.tflite`` that classifies an image and its mirror image.

:func:`mirror_average` rewrites a classifier whose graph ends in ``SOFTMAX`` so that
it runs its layers twice, once on the image and once on the image flipped left to
right (``REVERSE_V2`` on the width axis), adds the two logit vectors and takes the
softmax of their mean (``beta`` halved). The weights are shared, so the file grows
only by the second branch's tensor and operator entries (7 kB for ResNet-8) while the
multiply-accumulates double. For natural images,
whose classes do not change in a mirror (CIFAR-10, not digits), this test-time
averaging is worth a point or more of accuracy.

The rewritten graph is exactly symmetric: an image and its mirror image give
bit-identical int8 outputs, because both branches carry the same quantization and
``ADD`` of two equally quantized operands is commutative.

The flatbuffer is edited through TensorFlow's object API
(``tensorflow.lite.tools.flatbuffer_utils``), imported lazily.
"""

from __future__ import annotations

import copy
from typing import Any

from . import _deps
from .errors import ModelError

WIDTH_AXIS = 2  # NHWC


def _schema() -> tuple[Any, Any]:
    _deps.tensorflow()
    from tensorflow.lite.python import schema_py_generated as schema
    from tensorflow.lite.tools import flatbuffer_utils

    return schema, flatbuffer_utils


def _opcode(model: Any, schema: Any, builtin: int) -> int:
    """Index of ``builtin`` in the operator codes, appended when missing."""
    for index, code in enumerate(model.operatorCodes):
        if max(code.builtinCode, code.deprecatedBuiltinCode) == builtin:
            return index
    code = schema.OperatorCodeT()
    code.builtinCode = builtin
    code.deprecatedBuiltinCode = min(builtin, 127)
    code.version = 1
    model.operatorCodes.append(code)
    return len(model.operatorCodes) - 1


def _new_tensor(model: Any, schema: Any, like: Any, name: str) -> int:
    """Append an activation tensor shaped and quantized like ``like``."""
    subgraph = model.subgraphs[0]
    tensor = copy.copy(like)
    tensor.name = name.encode()
    model.buffers.append(schema.BufferT())
    tensor.buffer = len(model.buffers) - 1
    subgraph.tensors.append(tensor)
    return len(subgraph.tensors) - 1


def _is_constant(model: Any, tensor: Any) -> bool:
    buffer = model.buffers[tensor.buffer]
    return (buffer.data is not None and len(buffer.data) > 0) or buffer.offset > 1


def mirror_average(model_bytes: bytes, *, source: str) -> bytes:
    """Rewrite a softmax classifier to average its logits over the mirror image.

    Args:
        model_bytes: a ``.tflite`` with one subgraph, one NHWC image input and a
            final ``SOFTMAX`` op producing its one output.
        source: the model's name for error messages.

    Returns:
        The rewritten ``.tflite``.

    Raises:
        ModelError: the graph is not of that form, or is already mirror-averaged.
    """
    schema, flatbuffer_utils = _schema()
    model = flatbuffer_utils.convert_bytearray_to_object(bytearray(model_bytes))
    fix = "mirror averaging needs one NHWC image input and a final SOFTMAX"
    if len(model.subgraphs) != 1:
        raise ModelError(
            f"model '{source}' has {len(model.subgraphs)} subgraphs; {fix}"
        )
    sub = model.subgraphs[0]
    if len(sub.inputs) != 1 or len(sub.outputs) != 1:
        raise ModelError(f"model '{source}' has several inputs or outputs; {fix}")
    image = sub.tensors[sub.inputs[0]]
    if len(image.shape) != 4:
        raise ModelError(
            f"model '{source}' input has shape {list(image.shape)}, not NHWC; {fix}"
        )
    codes = model.operatorCodes

    def builtin(op: Any) -> int:
        code = codes[op.opcodeIndex]
        return int(max(code.builtinCode, code.deprecatedBuiltinCode))

    reverse_v2 = schema.BuiltinOperator.REVERSE_V2
    if any(builtin(op) == reverse_v2 for op in sub.operators):
        raise ModelError(
            f"model '{source}' already has a REVERSE_V2 op; is it mirror-averaged "
            "already? Give the original model"
        )
    softmax = sub.operators[-1]
    if builtin(softmax) != schema.BuiltinOperator.SOFTMAX or list(softmax.outputs) != [
        sub.outputs[0]
    ]:
        raise ModelError(f"model '{source}' does not end in SOFTMAX; {fix}")
    logits = int(softmax.inputs[0])
    body = list(sub.operators[:-1])

    # The mirror branch: the image flipped on its width axis, then a copy of every
    # op, reading the same constant tensors and writing its own activations.
    axis_buffer = schema.BufferT()
    axis_buffer.data = bytearray(WIDTH_AXIS.to_bytes(4, "little", signed=True))
    model.buffers.append(axis_buffer)
    axis = schema.TensorT()
    axis.shape = [1]
    axis.type = schema.TensorType.INT32
    axis.buffer = len(model.buffers) - 1
    axis.name = b"mirror/width_axis"
    sub.tensors.append(axis)
    axis_index = len(sub.tensors) - 1

    mapped = {int(sub.inputs[0]): _new_tensor(model, schema, image, "mirror/image")}
    reverse = schema.OperatorT()
    reverse.opcodeIndex = _opcode(model, schema, reverse_v2)
    reverse.inputs = [int(sub.inputs[0]), axis_index]
    reverse.outputs = [mapped[int(sub.inputs[0])]]
    mirrored = [reverse]

    def branch_tensor(index: int) -> int:
        if index < 0:
            return index  # an omitted optional input
        if index not in mapped:
            tensor = sub.tensors[index]
            if _is_constant(model, tensor):
                return index
            name = "mirror/" + (tensor.name or b"").decode()
            mapped[index] = _new_tensor(model, schema, tensor, name)
        return mapped[index]

    for op in body:
        twin = copy.copy(op)
        twin.inputs = [branch_tensor(int(i)) for i in op.inputs]
        twin.outputs = [branch_tensor(int(i)) for i in op.outputs]
        if op.intermediates is not None and len(op.intermediates):
            twin.intermediates = [branch_tensor(int(i)) for i in op.intermediates]
        mirrored.append(twin)
    if logits not in mapped:
        raise ModelError(f"model '{source}' softmax input is not computed; {fix}")

    # sum = logits + mirrored logits, quantized with twice the logits' scale so its
    # range doubles; softmax(beta/2 * sum) is the softmax of the mean logits.
    logit_tensor = sub.tensors[logits]
    summed_index = _new_tensor(model, schema, logit_tensor, "mirror/logit_sum")
    summed = sub.tensors[summed_index]
    if logit_tensor.quantization is not None and logit_tensor.quantization.scale:
        quant = copy.deepcopy(logit_tensor.quantization)
        quant.scale = [2.0 * float(s) for s in quant.scale]
        summed.quantization = quant
    add = schema.OperatorT()
    add.opcodeIndex = _opcode(model, schema, schema.BuiltinOperator.ADD)
    add.inputs = [logits, mapped[logits]]
    add.outputs = [summed_index]
    add.builtinOptionsType = schema.BuiltinOptions.AddOptions
    add.builtinOptions = schema.AddOptionsT()
    head = copy.copy(softmax)
    head.inputs = [summed_index]
    options = copy.copy(softmax.builtinOptions)
    options.beta = float(options.beta) / 2.0
    head.builtinOptions = options
    sub.operators = [*body, *mirrored, add, head]
    return bytes(flatbuffer_utils.convert_object_to_bytearray(model))


__all__ = ["WIDTH_AXIS", "mirror_average"]
