# SPDX-License-Identifier: Apache-2.0
"""Lazy imports of heavy optional dependencies, with install hints on failure."""

from __future__ import annotations

import importlib
import os
import sys
from types import ModuleType
from typing import Any

from .errors import DependencyError

_EXTRA_FOR = {
    "tensorflow": "train",
    "tflite_micro": "verify",
    "matplotlib": "report",
}


def _install_hint(extra: str) -> str:
    return f"{sys.executable} -m pip install 'platformio-tinyml[{extra}]'"


def require(module: str) -> ModuleType:
    """Import ``module`` or raise DependencyError with the exact install command."""
    try:
        return importlib.import_module(module)
    except ImportError as exc:
        top = module.split(".")[0]
        extra = _EXTRA_FOR.get(top, "all")
        raise DependencyError(
            f"'{top}' is not importable from Python '{sys.executable}' ({exc}); "
            f"install it with: {_install_hint(extra)}"
        ) from exc


def tensorflow() -> Any:
    """Import TensorFlow quietly (its C++ INFO logs are silenced)."""
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    return require("tensorflow")
