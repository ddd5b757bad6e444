# SPDX-License-Identifier: Apache-2.0
"""Which inference runtime a build uses: the model compiled to C (AOT) or TFLM."""

from __future__ import annotations

from dataclasses import dataclass

from .errors import ConfigError, ModelError
from .model_info import ModelInfo

AOT = "aot"
TFLM = "tflm"


@dataclass(frozen=True)
class RuntimeChoice:
    """The runtime that runs the model on the device, and why."""

    runtime: str  # "aot" or "tflm"
    reason: str  # one line for the build summary


def _aot_blockers(info: ModelInfo, unsupported: tuple[str, ...]) -> str | None:
    """Why the AOT backend cannot compile the model, or None when it can."""
    if unsupported:
        return f"the AOT backend lacks {', '.join(unsupported)}"
    for role, tensor in (("input", info.input), ("output", info.output)):
        if tensor.dtype != "int8":
            return (
                f"the AOT backend needs an int8 {role} (the model's is {tensor.dtype})"
            )
    return None


def choose_runtime(
    requested: str, info: ModelInfo, unsupported: tuple[str, ...]
) -> RuntimeChoice:
    """Resolve ``custom_tinyml_runtime`` for one model (pure).

    Args:
        requested: ``auto``, ``aot`` or ``tflm``.
        info: the model.
        unsupported: the model's ops the AOT backend lacks
            (:func:`platformio_tinyml.aot.unsupported_ops`).

    Returns:
        ``aot`` when requested, or with ``auto`` when the AOT backend supports the
        whole model; ``tflm`` otherwise.

    Raises:
        ModelError: ``aot`` was requested for a model the AOT backend cannot compile.
        ConfigError: ``requested`` is not a runtime.
    """
    blocker = _aot_blockers(info, unsupported)
    if requested == TFLM:
        return RuntimeChoice(TFLM, "runtime = tflm")
    if requested == AOT:
        if blocker is not None:
            raise ModelError(
                f"custom_tinyml_runtime 'aot' cannot run this model: {blocker}; "
                "set custom_tinyml_runtime = tflm (or auto)"
            )
        return RuntimeChoice(AOT, "runtime = aot")
    if requested != "auto":
        raise ConfigError(
            f"custom_tinyml_runtime '{requested}' is not one of auto, aot, tflm"
        )
    if blocker is None:
        return RuntimeChoice(AOT, "auto: the AOT backend supports every op")
    return RuntimeChoice(TFLM, f"auto: {blocker}")
