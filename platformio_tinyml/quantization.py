# SPDX-License-Identifier: Apache-2.0
"""Convert Keras / SavedModel / .h5 models to float32 or full-int8 ``.tflite`` bytes.

Full-int8 models take int8 input and give int8 output, use only
``TFLITE_BUILTINS_INT8`` kernels, and are calibrated on images from the dataset's
training split mapped to ``pixel / 255`` (the zoo's input convention). Keras models
are traced with a fixed batch of 1, so ``Flatten`` becomes a single ``RESHAPE``.
Dynamic-range quantization is refused: TFLM cannot allocate such models.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import numpy as np

from . import _deps
from .config import InputRange
from .datasets import Dataset
from .errors import DatasetError, ModelError, ModelSourceError, QuantizationError
from .model_info import read_model
from .model_sources import KERAS_SUFFIXES, is_saved_model_dir
from .preprocessing import UNIT_RANGE, to_model_input

QUANTIZATIONS: tuple[str, ...] = ("int8", "float32")


# --- Conversion ------------------------------------------------------------------


def convert_model(
    source: Path,
    *,
    quantization: str,
    dataset: Dataset | None,
    representative_samples: int = 300,
    seed: int = 1,
    input_range: InputRange | None = None,
) -> bytes:
    """Convert a model file to ``.tflite`` bytes.

    Args:
        source: ``.keras``, ``.h5``, a SavedModel directory, or ``.tflite`` (checked
            and passed through unchanged).
        quantization: ``int8`` (full-integer, int8 input and output) or ``float32``.
        dataset: calibration data (training split) for int8; when given, its image
            shape must match the model input.
        representative_samples: number of training images used for calibration.
        seed: picks the calibration images.
        input_range: how calibration pixels become model input (default 0..1, the
            zoo convention).

    Returns:
        The ``.tflite`` flatbuffer.

    Raises:
        QuantizationError: unknown or unsupported quantization (e.g. ``dynamic``), or
            int8 without a dataset, or the converter failed.
        DatasetError: the dataset's image shape does not match the model input.
        ModelSourceError: the source does not exist or has an unsupported type.
        ModelError: the file is not a readable model.
    """
    mode = quantization.strip().lower()
    if mode in ("dynamic", "dynamic_range", "dynamic-range"):
        raise QuantizationError(
            f"quantization '{quantization}' makes float-activation models with int8 "
            "weights that TFLM cannot allocate ('Input type: FLOAT32 with filter type: "
            "INT8 not supported'); use int8 or float32"
        )
    if mode not in QUANTIZATIONS:
        raise QuantizationError(
            f"quantization '{quantization}' is not one of {', '.join(QUANTIZATIONS)}"
        )
    source = Path(source)
    if not source.exists():
        raise ModelSourceError(
            f"model '{source}' does not exist; check the path or train a zoo model"
        )
    if source.is_file() and source.suffix.lower() == ".tflite":
        data = source.read_bytes()
        info = read_model(data, source=str(source))
        if dataset is not None:
            _check_shape(tuple(info.input.shape[1:]), dataset, str(source))
        return data
    if mode == "int8" and dataset is None:
        raise QuantizationError(
            f"int8 conversion of '{source}' needs a dataset for calibration; set "
            "custom_tinyml_dataset (or --dataset)"
        )
    if representative_samples < 1:
        raise QuantizationError(
            f"representative_samples '{representative_samples}' must be at least 1"
        )
    tf = _deps.tensorflow()
    converter, input_shape = _LOADERS_BY_KIND[_kind(source)](tf, source)
    if dataset is not None:
        _check_shape(input_shape, dataset, str(source))
    if mode == "int8":
        assert dataset is not None
        converter.optimizations = [tf.lite.Optimize.DEFAULT]
        converter.representative_dataset = _representative(
            dataset, representative_samples, seed, input_range or UNIT_RANGE
        )
        converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
        converter.inference_input_type = tf.int8
        converter.inference_output_type = tf.int8
    try:
        data = bytes(_deps.run_quietly(converter.convert))
    except Exception as exc:  # noqa: BLE001 - the converter raises many types
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise QuantizationError(
            f"{mode} conversion of '{source}' failed ('{first[:300]}'); the model "
            "probably uses an op without a TFLite builtin (int8) kernel; use "
            "float32 or replace the op"
        ) from exc
    read_model(data, source=str(source))
    return data


def _check_shape(model_shape: tuple[int, ...], dataset: Dataset, where: str) -> None:
    if tuple(model_shape) != dataset.image_shape:
        got = "x".join(map(str, dataset.image_shape))
        want = "x".join(str(d) for d in model_shape)
        raise DatasetError(
            f"dataset '{dataset.name}' has images of shape '{got}' but model '{where}' "
            f"takes '{want}'; use a dataset that matches the model input"
        )


def _representative(
    dataset: Dataset, samples: int, seed: int, input_range: InputRange
) -> Callable[[], Iterator[list[np.ndarray]]]:
    rng = np.random.default_rng(seed)
    count = min(samples, len(dataset.x_train))
    indices = np.sort(rng.choice(len(dataset.x_train), size=count, replace=False))
    images = to_model_input(
        dataset.x_train[indices], "float32", input_range=input_range
    )

    def generate() -> Iterator[list[np.ndarray]]:
        for i in range(count):
            yield [images[i : i + 1]]

    return generate


def _kind(source: Path) -> str:
    if source.is_dir():
        if not is_saved_model_dir(source):
            raise ModelSourceError(
                f"directory '{source}' is not a SavedModel (no saved_model.pb); point "
                "to the SavedModel folder"
            )
        return "saved_model"
    suffix = source.suffix.lower()
    if suffix in KERAS_SUFFIXES:
        return "keras"
    raise ModelSourceError(
        f"model '{source}' has unsupported type '{suffix or source.name}'; use "
        ".keras, .h5, a SavedModel directory or .tflite"
    )


def _from_keras(tf: Any, source: Path) -> tuple[Any, tuple[int, ...]]:
    try:
        model = tf.keras.models.load_model(source, compile=False)
    except Exception as exc:  # noqa: BLE001 - Keras raises many types for bad files
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelError(
            f"cannot load Keras model '{source}' ({first[:200]}); check that the file "
            "is a complete .keras/.h5 model saved by Keras"
        ) from exc
    if len(model.inputs) != 1:
        raise ModelError(
            f"model '{source}' has {len(model.inputs)} inputs; an image classifier "
            "must have exactly one"
        )
    shape = tuple(model.inputs[0].shape[1:])
    if any(d is None for d in shape):
        raise ModelError(
            f"model '{source}' has an input with unknown size '{shape}'; give Input() "
            "a fixed shape"
        )
    # Re-wrap with a batch-1 input: Flatten then converts to a single RESHAPE.
    keras = tf.keras
    image = keras.Input(shape=shape, batch_size=1, name="image")
    fixed = keras.Model(image, model(image, training=False), name=model.name)
    converter = tf.lite.TFLiteConverter.from_keras_model(fixed)
    return converter, tuple(int(d) for d in shape)


def _from_saved_model(tf: Any, source: Path) -> tuple[Any, tuple[int, ...]]:
    try:
        loaded = tf.saved_model.load(str(source))
        signature = loaded.signatures["serving_default"]
        _args, kwargs = signature.structured_input_signature
    except Exception as exc:  # noqa: BLE001
        first = (str(exc).strip().splitlines() or [type(exc).__name__])[0]
        raise ModelError(
            f"cannot load SavedModel '{source}' ({first[:200]}); it needs a "
            "'serving_default' signature"
        ) from exc
    specs = list(kwargs.values())
    if len(specs) != 1:
        raise ModelError(
            f"SavedModel '{source}' has {len(specs)} inputs; an image classifier must "
            "have exactly one"
        )
    dims = tuple(specs[0].shape.as_list()[1:])
    # Re-trace the signature with batch 1 so Flatten becomes one RESHAPE.
    spec = tf.TensorSpec([1, *dims], specs[0].dtype)
    name = next(iter(kwargs))
    function = tf.function(lambda x: signature(**{name: x}), input_signature=[spec])
    concrete = function.get_concrete_function()
    converter = tf.lite.TFLiteConverter.from_concrete_functions([concrete], loaded)
    return converter, tuple(int(d) if d is not None else -1 for d in dims)


_LOADERS_BY_KIND: dict[str, Callable[[Any, Path], tuple[Any, tuple[int, ...]]]] = {
    "keras": _from_keras,
    "saved_model": _from_saved_model,
}


__all__ = [
    "QUANTIZATIONS",
    "convert_model",
]
