# SPDX-License-Identifier: Apache-2.0
"""Seeded, deterministic, cached training of zoo architectures by their recipes.

Each zoo architecture carries a :class:`~platformio_tinyml.zoo.Recipe`: augmentation
(random shifts for MNIST; random crop with padding plus horizontal flip for CIFAR-10),
AdamW with decoupled weight decay, and a warm-up + cosine learning-rate schedule.
A trained model is stored once under ``<cache_dir>/models/`` as a batch-1 ``.keras``
file plus a small JSON record, keyed by architecture, dataset fingerprint, epochs,
seed and package version. An inter-process lock makes concurrent builds wait for
one another instead of training the same model twice.
"""

from __future__ import annotations

import hashlib
import json
import sys
import tempfile
import time
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from . import __version__, _deps
from .datasets import Dataset
from .errors import DatasetError, TinyMLError
from .fileio import file_lock, write_atomic
from .preprocessing import to_model_input
from .zoo import Recipe, build_model, get_architecture


@dataclass(frozen=True)
class TrainedModel:
    """A trained zoo model in the cache.

    Attributes:
        architecture: the zoo name.
        path: the cached batch-1 ``.keras`` file.
        dataset_fingerprint: fingerprint of the training data.
        epochs: epochs trained.
        seed: the random seed.
        float_accuracy: Keras top-1 accuracy on the dataset's test split.
        cache_key: the hash naming the cache entry.
        train_seconds: wall-clock time of the training run that made the entry.
    """

    architecture: str
    path: Path
    dataset_fingerprint: str
    epochs: int
    seed: int
    float_accuracy: float
    cache_key: str
    train_seconds: float = 0.0


def training_cache_key(
    architecture: str, dataset_fingerprint: str, epochs: int, seed: int
) -> str:
    """The cache key of a training run (also usable by build planning)."""
    recipe = asdict(get_architecture(architecture).recipe)
    recipe.pop("epochs")
    recipe.pop("calibration_samples")
    text = json.dumps(
        {
            "architecture": architecture,
            "dataset": dataset_fingerprint,
            "epochs": epochs,
            "seed": seed,
            "recipe": recipe,
            "version": __version__,
        },
        sort_keys=True,
    )
    return hashlib.sha256(text.encode()).hexdigest()


def check_dataset_fits(architecture: str, dataset: Dataset) -> None:
    """Check image shape and labels of ``dataset`` against a zoo architecture.

    Raises:
        DatasetError: wrong image shape, too few classes, or labels out of range.
    """
    arch = get_architecture(architecture)
    if dataset.image_shape != arch.input_shape:
        got = "x".join(map(str, dataset.image_shape))
        want = "x".join(map(str, arch.input_shape))
        raise DatasetError(
            f"dataset '{dataset.name}' has images of shape '{got}' but "
            f"'{architecture}' "
            f"takes '{want}'; use the '{arch.default_dataset}' dataset or a folder "
            "dataset resized for this model"
        )
    if dataset.num_classes < 2:
        raise DatasetError(
            f"dataset '{dataset.name}' has '{dataset.num_classes}' class(es); "
            "a classifier needs at least two"
        )
    for split, labels in (("train", dataset.y_train), ("test", dataset.y_test)):
        if len(labels) == 0:
            raise DatasetError(
                f"dataset '{dataset.name}' has an empty '{split}' split; add images"
            )
        if int(labels.min()) < 0 or int(labels.max()) >= dataset.num_classes:
            raise DatasetError(
                f"dataset '{dataset.name}' has {split} label '{int(labels.max())}' "
                f"outside 0..{dataset.num_classes - 1}; fix the labels or class names"
            )


def _record_path(model_path: Path) -> Path:
    return model_path.with_suffix(".json")


def _read_cached(model_path: Path) -> dict[str, Any] | None:
    record = _record_path(model_path)
    if not (model_path.is_file() and record.is_file()):
        return None
    try:
        data: dict[str, Any] = json.loads(record.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data


def train_model(
    architecture: str,
    dataset: Dataset,
    *,
    epochs: int | None,
    seed: int,
    cache_dir: Path,
    progress: bool = True,
) -> TrainedModel:
    """Train a zoo architecture on ``dataset``, or return the cached result.

    Training is seeded (``keras.utils.set_random_seed``) and uses TensorFlow op
    determinism, so the same inputs give the same weights.

    Args:
        architecture: a zoo name (see ``zoo.ARCHITECTURES``).
        dataset: the training data; its test split gives ``float_accuracy``.
        epochs: training epochs; None means the architecture's default.
        seed: random seed.
        cache_dir: cache root; models go to ``cache_dir/models/``.
        progress: show Keras' per-epoch progress on stderr.

    Returns:
        The cached model.

    Raises:
        ConfigError: unknown architecture.
        DatasetError: the dataset does not fit the architecture.
    """
    arch = get_architecture(architecture)
    check_dataset_fits(architecture, dataset)
    n_epochs = arch.default_epochs if epochs is None else int(epochs)
    if n_epochs < 1:
        raise TinyMLError(f"epochs '{n_epochs}' must be at least 1")
    key = training_cache_key(architecture, dataset.fingerprint, n_epochs, seed)
    models_dir = Path(cache_dir) / "models"
    model_path = models_dir / f"{architecture}-{key[:16]}.keras"

    def result(accuracy: float, seconds: float) -> TrainedModel:
        return TrainedModel(
            architecture=architecture,
            path=model_path,
            dataset_fingerprint=dataset.fingerprint,
            epochs=n_epochs,
            seed=seed,
            float_accuracy=accuracy,
            cache_key=key,
            train_seconds=seconds,
        )

    def from_cache() -> TrainedModel | None:
        cached = _read_cached(model_path)
        if cached is None or cached.get("cache_key") != key:
            return None
        return result(
            float(cached["float_accuracy"]), float(cached.get("train_seconds", 0.0))
        )

    hit = from_cache()
    if hit is not None:
        return hit
    with file_lock(models_dir / f"{architecture}-{key[:16]}.lock"):
        hit = from_cache()  # another process may have finished it
        if hit is not None:
            return hit
        start = time.monotonic()
        accuracy, data = _fit(
            architecture, dataset, n_epochs, seed, progress, Path(cache_dir)
        )
        trained = result(accuracy, round(time.monotonic() - start, 1))
        write_atomic(model_path, data)
        record = {
            k: str(v) if isinstance(v, Path) else v for k, v in asdict(trained).items()
        }
        record["dataset_description"] = dataset.description
        write_atomic(
            _record_path(model_path),
            (json.dumps(record, indent=2, sort_keys=True) + "\n").encode(),
        )
    return trained


def augment_batch(
    images: npt.NDArray[np.uint8], augmentation: str, rng: np.random.Generator
) -> npt.NDArray[np.uint8]:
    """Randomly augment a batch of uint8 images ``(N, H, W, C)``.

    Args:
        images: the batch (not modified).
        augmentation: ``none``, ``shift:<px>`` (translate by -px..px pixels in each
            direction, zero fill) or ``crop_flip:<px>`` (the same translation, then a
            horizontal flip of half the images).
        rng: the random generator (seeded by the caller).

    Returns:
        A new array of the same shape and dtype.

    Raises:
        ValueError: unknown augmentation.
    """
    kind, _, amount = augmentation.partition(":")
    if kind == "none":
        return np.array(images)
    if kind not in ("shift", "crop_flip") or not amount.isdigit():
        raise ValueError(f"unknown augmentation {augmentation!r}")
    pad = int(amount)
    n, h, w, _ = images.shape
    padded = np.pad(images, ((0, 0), (pad, pad), (pad, pad), (0, 0)))
    dy: npt.NDArray[np.int64] = np.asarray(rng.integers(0, 2 * pad + 1, size=n))
    dx: npt.NDArray[np.int64] = np.asarray(rng.integers(0, 2 * pad + 1, size=n))
    rows = dy[:, None] + np.arange(h)[None, :]
    cols = dx[:, None] + np.arange(w)[None, :]
    if kind == "crop_flip":
        flip: npt.NDArray[np.bool_] = np.asarray(rng.random(n) < 0.5)
        cols = np.where(flip[:, None], cols[:, ::-1], cols)
    out: npt.NDArray[np.uint8] = padded[
        np.arange(n)[:, None, None], rows[:, :, None], cols[:, None, :]
    ]
    return out


def _learning_rate(
    keras: Any, recipe: Recipe, steps_per_epoch: int, epochs: int
) -> Any:
    """Linear warm-up to the peak, then cosine decay to zero, counted in steps."""
    total = max(1, steps_per_epoch * epochs)
    warmup = min(total - 1, int(round(recipe.warmup_epochs * steps_per_epoch)))
    return keras.optimizers.schedules.CosineDecay(
        initial_learning_rate=recipe.learning_rate / 10,
        decay_steps=total - warmup,
        alpha=0.0,
        warmup_target=recipe.learning_rate,
        warmup_steps=warmup,
    )


def _warm_start(
    keras: Any, model: Any, source: str, dataset: Dataset, cache: Path
) -> None:
    """Load a pretrained model's weights into ``model`` (see ``warm_start``)."""
    from .pretrained import find_pretrained, pretrained_path
    from .warm_start import identity_batch_norm, match_layers, pretrained_weights

    entry = find_pretrained(source)
    if entry is None:
        raise TinyMLError(
            f"recipe starts from '{source}', which is not a pretrained zoo model; "
            "name one listed by 'tinyml zoo list'"
        )
    weights = pretrained_weights(pretrained_path(entry, cache).read_bytes())
    layers = [
        layer
        for layer in model.layers
        if isinstance(layer, (keras.layers.Conv2D, keras.layers.Dense))
    ]
    wanted = [
        (
            "CONV_2D" if isinstance(layer, keras.layers.Conv2D) else "FULLY_CONNECTED",
            tuple(int(d) for d in layer.kernel.shape),
        )
        for layer in layers
    ]
    for layer, found in zip(layers, match_layers(wanted, weights), strict=True):
        if not layer.use_bias:
            raise TinyMLError(
                f"layer '{layer.name}' has no bias to take the pretrained one from "
                f"'{source}'; give the architecture biased layers"
            )
        layer.set_weights([found.kernel, found.bias])
    norms = [
        layer
        for layer in model.layers
        if isinstance(layer, keras.layers.BatchNormalization)
    ]
    if not norms:
        return
    # The pretrained convolutions carry their folded batch norms: make each layer
    # the identity, then give it the statistics of its own input on training images,
    # so that training-mode normalisation starts from the pretrained function too.
    for layer in norms:
        n = int(layer.gamma.shape[0])
        layer.set_weights(
            [np.ones(n), np.zeros(n), np.zeros(n), np.full(n, 1.0 - layer.epsilon)]
        )
    probe = keras.Model(model.inputs, [layer.input for layer in norms])
    sample = to_model_input(dataset.x_train[:2000], "float32")
    outputs = probe.predict(sample, batch_size=500, verbose=0)
    for layer, pre_norm in zip(norms, outputs, strict=True):
        layer.set_weights(identity_batch_norm(pre_norm, float(layer.epsilon)))


def _fit(
    architecture: str,
    dataset: Dataset,
    epochs: int,
    seed: int,
    progress: bool,
    cache: Path,
) -> tuple[float, bytes]:
    """Train by the architecture's recipe; return (test accuracy, ``.keras`` bytes)."""
    arch = get_architecture(architecture)
    recipe = arch.recipe
    tf = _deps.tensorflow()
    keras = tf.keras
    keras.utils.set_random_seed(seed)
    tf.config.experimental.enable_op_determinism()

    model = build_model(architecture, batch_size=None, num_classes=dataset.num_classes)
    if recipe.init_from is not None:
        _warm_start(keras, model, recipe.init_from, dataset, cache)
    steps = -(-len(dataset.y_train) // recipe.batch_size)
    schedule = _learning_rate(keras, recipe, steps, epochs)
    optimizer = (
        keras.optimizers.AdamW(learning_rate=schedule, weight_decay=recipe.weight_decay)
        if recipe.weight_decay > 0
        else keras.optimizers.Adam(learning_rate=schedule)
    )
    classes = dataset.num_classes
    model.compile(
        optimizer=optimizer,
        loss=keras.losses.CategoricalCrossentropy(
            label_smoothing=recipe.label_smoothing
        ),
        metrics=["accuracy"],
    )
    rng = np.random.default_rng(seed)
    y_train = np.eye(classes, dtype=np.float32)[dataset.y_train]
    x_test = to_model_input(dataset.x_test, "float32")
    verbose = (1 if sys.stderr.isatty() else 2) if progress else 0
    # With progress shown, each epoch also reports the test accuracy (val_accuracy);
    # it only informs, nothing is selected by it.
    validation = (
        (x_test, np.eye(classes, dtype=np.float32)[dataset.y_test])
        if progress
        else None
    )
    for epoch in range(epochs):
        # A fresh augmentation of the whole training split per epoch, from the seeded
        # generator: deterministic, and cheap next to the epoch itself.
        x_epoch = to_model_input(
            augment_batch(dataset.x_train, recipe.augmentation, rng), "float32"
        )

        def fit_one(x: Any = x_epoch, e: int = epoch) -> Any:
            return model.fit(
                x,
                y_train,
                batch_size=recipe.batch_size,
                initial_epoch=e,
                epochs=e + 1,
                shuffle=True,
                verbose=verbose,
                validation_data=validation,
            )

        _deps.filter_native_stderr(fit_one)
        del x_epoch
    probs = _deps.filter_native_stderr(
        lambda: model.predict(x_test, batch_size=256, verbose=0)
    )
    accuracy = float(np.mean(np.argmax(probs, axis=1) == dataset.y_test))

    export = build_model(architecture, batch_size=1, num_classes=dataset.num_classes)
    export.set_weights(model.get_weights())
    with tempfile.TemporaryDirectory(prefix="tinyml-train-") as tmp:
        path = Path(tmp) / f"{architecture}.keras"
        export.save(path)
        data = path.read_bytes()
    keras.backend.clear_session()
    return accuracy, data


def export_trained_model(trained: TrainedModel, out: Path) -> Path:
    """Copy the cached ``.keras`` file to ``out`` atomically.

    Args:
        trained: the result of :func:`train_model`.
        out: destination; a directory receives ``<architecture>.keras``.

    Returns:
        The written path.

    Raises:
        TinyMLError: ``out`` does not end in ``.keras`` or cannot be written.
    """
    out = Path(out)
    if out.is_dir():
        out = out / f"{trained.architecture}.keras"
    if out.suffix != ".keras":
        raise TinyMLError(
            f"output '{out}' must end in .keras (Keras 3 saves only that format); "
            "rename it, e.g. model.keras"
        )
    try:
        data = trained.path.read_bytes()
    except OSError as exc:
        raise TinyMLError(
            f"cached model '{trained.path}' is unreadable ({exc.strerror or exc}); "
            "delete the cache entry and train again"
        ) from exc
    write_atomic(out, data)
    return out


__all__ = [
    "TrainedModel",
    "augment_batch",
    "check_dataset_fits",
    "export_trained_model",
    "train_model",
    "training_cache_key",
]
