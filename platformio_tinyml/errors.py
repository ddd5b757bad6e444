# SPDX-License-Identifier: Apache-2.0
"""Exception hierarchy: every user-facing failure is a one-line TinyMLError."""

from __future__ import annotations


class TinyMLError(Exception):
    """Base of every error caused by the user's input or environment.

    The message is one line: what failed, the offending value in quotes, and how to
    fix it. The CLI maps it to exit code 2; the build integration prints it as
    ``[tinyml] error: <message>``. Any other exception is a bug.
    """

    def __str__(self) -> str:
        # Offending values are quoted verbatim; a newline inside one must not break
        # the one-line contract of the CLI and build output.
        return super().__str__().replace("\r", "\\r").replace("\n", "\\n")


class ConfigError(TinyMLError):
    """An option is unknown, mistyped or out of range."""


class DatasetError(TinyMLError):
    """A dataset cannot be found, read or matched to a model."""


class ModelSourceError(TinyMLError):
    """A model cannot be fetched, read or verified (path, URL, sha256)."""


class ModelError(TinyMLError):
    """A model file is not a usable TFLite/Keras model (bad magic, truncated...)."""


class QuantizationError(TinyMLError):
    """A model cannot be converted to the requested numeric format."""


class VerificationError(TinyMLError):
    """The host TFLM interpreter rejected the model."""


class CodegenError(TinyMLError):
    """C/C++ sources cannot be generated from the given names or data."""


class ImageError(TinyMLError):
    """A test image is unreadable or does not fit the model input."""


class BudgetError(TinyMLError):
    """The model and arena do not fit the board's flash or RAM."""


class DependencyError(TinyMLError):
    """An optional dependency is missing; the message carries the install command."""
