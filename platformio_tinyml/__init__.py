# SPDX-License-Identifier: Apache-2.0
"""platformio-tinyml: image classifiers from dataset to TFLM firmware in one build step.

The public API is re-exported lazily so that ``import platformio_tinyml`` stays fast
(the ``tinyml`` console script imports it first) and never imports TensorFlow.
"""

from __future__ import annotations

__version__ = "0.1.0"

from .errors import TinyMLError  # noqa: E402

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up
if TYPE_CHECKING:
    from typing import Any

    from .config import OPTIONS as OPTIONS
    from .config import TinyMLConfig as TinyMLConfig
    from .config import parse_options as parse_options

_LAZY = {
    "OPTIONS": ("config", "OPTIONS"),
    "TinyMLConfig": ("config", "TinyMLConfig"),
    "parse_options": ("config", "parse_options"),
    "generate": ("pipeline", "generate"),
    "GenerationResult": ("pipeline", "GenerationResult"),
    "load_dataset": ("datasets", "load_dataset"),
    "train_model": ("training", "train_model"),
    "convert_model": ("quantization", "convert_model"),
    "inspect_model": ("inspection", "inspect_model"),
    "read_model": ("model_info", "read_model"),
    "pack_images": ("images", "pack_images"),
}

__all__ = ["TinyMLError", "__version__", *_LAZY]


def __getattr__(name: str) -> Any:
    if name in _LAZY:
        import importlib

        module, attr = _LAZY[name]
        return getattr(importlib.import_module(f".{module}", __name__), attr)
    raise AttributeError(f"module 'platformio_tinyml' has no attribute '{name}'")
