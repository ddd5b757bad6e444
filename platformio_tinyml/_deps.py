# SPDX-License-Identifier: Apache-2.0
"""Lazy imports of heavy optional dependencies, with install hints on failure."""

from __future__ import annotations

import importlib
import os
import sys
import tempfile
import warnings
from collections.abc import Callable
from types import ModuleType
from typing import Any, TypeVar

from .errors import DependencyError

T = TypeVar("T")

# Python warnings TensorFlow emits on every conversion; they say nothing to our users.
_TF_WARNINGS = (
    "Statistics for quantized inputs were expected",
    ".*tf.lite.Interpreter is deprecated",
)

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
    """Import TensorFlow quietly (its C++ start-up logs are captured and dropped)."""
    if "tensorflow" in sys.modules:
        return sys.modules["tensorflow"]
    os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")
    module, _ = capture_native_output(lambda: require("tensorflow"))
    return module


def run_quietly(fn: Callable[[], T]) -> T:
    """Run a TensorFlow call with its C-level output and known warnings suppressed.

    If ``fn`` raises, the captured text is attached to the exception as
    ``tinyml_log`` so that error messages can quote it.
    """
    with warnings.catch_warnings():
        for pattern in _TF_WARNINGS:
            warnings.filterwarnings("ignore", message=pattern)
        result, _ = capture_native_output(fn)
    return result


def capture_native_output(fn: Callable[[], T]) -> tuple[T, str]:
    """Run ``fn()`` while capturing C-level stdout and stderr; return (result, text).

    If ``fn`` raises, the exception gets the captured text as ``tinyml_log``.
    """
    with tempfile.TemporaryFile(mode="w+b") as tmp:
        sys.stdout.flush()
        sys.stderr.flush()
        saved = os.dup(1), os.dup(2)
        os.dup2(tmp.fileno(), 1)
        os.dup2(tmp.fileno(), 2)
        error: BaseException | None = None
        result: Any = None
        try:
            result = fn()
        except BaseException as exc:  # noqa: BLE001 - re-raised below with the log
            error = exc
        finally:
            sys.stdout.flush()
            sys.stderr.flush()
            os.dup2(saved[0], 1)
            os.dup2(saved[1], 2)
            os.close(saved[0])
            os.close(saved[1])
        tmp.seek(0)
        text = tmp.read().decode(errors="replace")
    if error is not None:
        error.tinyml_log = text  # type: ignore[attr-defined]
        raise error
    return result, text


# C++ log lines TensorFlow prints on stderr that say nothing to our users: the
# tf.data graph Keras builds names an attribute this TensorFlow build does not know.
_TF_NOISE = (b"use_unbounded_threadpool",)


def filter_native_stderr(
    fn: Callable[[], T], noise: tuple[bytes, ...] = _TF_NOISE
) -> T:
    """Run ``fn()`` with C-level stderr lines containing ``noise`` dropped.

    Other stderr output (Python tracebacks, progress) passes through as it comes;
    stdout is untouched.
    """
    import threading

    sys.stderr.flush()
    read_fd, write_fd = os.pipe()
    saved = os.dup(2)
    os.dup2(write_fd, 2)
    os.close(write_fd)

    def forward() -> None:
        with os.fdopen(read_fd, "rb") as pipe:
            for line in pipe:
                if not any(word in line for word in noise):
                    os.write(saved, line)

    thread = threading.Thread(target=forward, daemon=True)
    thread.start()
    try:
        return fn()
    finally:
        sys.stderr.flush()
        os.dup2(saved, 2)  # closes the pipe's last write end: the thread ends
        thread.join(timeout=0.5)
        os.close(saved)
