# SPDX-License-Identifier: Apache-2.0
"""Keras architectures for MNIST and CIFAR-10 that convert to small TFLM graphs.

Every model takes float input ``pixel / 255`` of shape ``(batch, H, W, C)``.
:func:`build_model` fixes the batch at 1 by default: with a dynamic batch, Keras 3
``Flatten`` converts to ``SHAPE, STRIDED_SLICE, PACK, RESHAPE``; with batch 1 it is
one ``RESHAPE``. Training builds the same graph with a dynamic batch and copies the
weights into a batch-1 model for export.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from . import _deps
from .errors import ConfigError


@dataclass(frozen=True)
class Recipe:
    """How a zoo model is trained to its published accuracy.

    Attributes:
        epochs: epochs of the full schedule (the architecture's default).
        batch_size: training batch size.
        learning_rate: peak learning rate of the schedule.
        warmup_epochs: linear warm-up from ``learning_rate / 10`` to the peak, then a
            cosine decay to zero (a one-cycle-like schedule).
        weight_decay: decoupled weight decay (AdamW); 0 disables it.
        augmentation: ``none``; ``shift:<px>`` (random translation by up to ``px``
            pixels, zero fill: MNIST); ``crop_flip:<px>`` (random crop of the image
            padded by ``px`` pixels, plus horizontal flip: CIFAR-10).
        label_smoothing: cross-entropy label smoothing.
        calibration_samples: training images used for int8 calibration.
        init_from: a pretrained zoo model of the same architecture (a name of the
            pretrained manifest) whose weights start the training, or None for a
            random initialisation (see :mod:`platformio_tinyml.warm_start`).
    """

    epochs: int
    batch_size: int
    learning_rate: float = 1e-3
    warmup_epochs: float = 1.0
    weight_decay: float = 0.0
    augmentation: str = "none"
    label_smoothing: float = 0.0
    calibration_samples: int = 1000
    init_from: str | None = None


@dataclass(frozen=True)
class Architecture:
    """A zoo model and its training defaults.

    Attributes:
        name: the zoo name (``custom_tinyml_model``).
        input_shape: ``(H, W, C)`` of one input image.
        num_classes: default number of output classes.
        default_dataset: the dataset the model is meant for.
        recipe: the training recipe (epochs, schedule, augmentation).
        description: one line for humans.
    """

    name: str
    input_shape: tuple[int, int, int]
    num_classes: int
    default_dataset: str
    recipe: Recipe
    description: str

    @property
    def default_epochs(self) -> int:
        """Epochs used when none are configured."""
        return self.recipe.epochs

    @property
    def batch_size(self) -> int:
        """Training batch size."""
        return self.recipe.batch_size


ARCHITECTURES: dict[str, Architecture] = {
    a.name: a
    for a in (
        Architecture(
            "mnist_dense",
            (28, 28, 1),
            10,
            "mnist",
            Recipe(epochs=20, batch_size=64, learning_rate=2e-3, weight_decay=1e-4),
            "Flatten, Dense(128, relu), Dense(10, softmax): ~102k MACs, ~98% on MNIST",
        ),
        Architecture(
            "mnist_lenet",
            (28, 28, 1),
            10,
            "mnist",
            Recipe(
                epochs=6,
                batch_size=128,
                learning_rate=2e-3,
                weight_decay=1e-4,
                augmentation="shift:2",
            ),
            "LeNet-5-like CNN (NXP AN12603): 2x [Conv 5x5 32, MaxPool], Dense(1024), "
            "Dropout(0.4), Dense(10): ~7.3M MACs, >99.3% on MNIST",
        ),
        Architecture(
            "mnist_lenet5",
            (28, 28, 1),
            10,
            "mnist",
            Recipe(
                epochs=10,
                batch_size=128,
                learning_rate=3e-3,
                weight_decay=1e-4,
                augmentation="shift:2",
            ),
            "classic LeNet-5 (LeCun 1998): Conv 5x5 6, MaxPool, Conv 5x5 16, MaxPool, "
            "Dense(120), Dense(84), Dense(10): ~0.4M MACs, ~62k parameters, ~99% on "
            "MNIST (fits a 1 MB-flash STM32F746 with room to spare)",
        ),
        Architecture(
            "cifar10_cnn",
            (32, 32, 3),
            10,
            "cifar10",
            Recipe(
                epochs=16,
                batch_size=128,
                learning_rate=4e-3,
                warmup_epochs=2,
                weight_decay=5e-4,
                augmentation="crop_flip:4",
                label_smoothing=0.1,
            ),
            "3x [Conv 3x3 32/64/128 + BatchNorm, MaxPool], Conv 3x3 128, Dense(10): "
            "~12.7M MACs, ~80% on CIFAR-10",
        ),
        Architecture(
            "cifar10_resnet8",
            (32, 32, 3),
            10,
            "cifar10",
            Recipe(
                epochs=30,
                batch_size=128,
                learning_rate=1e-3,
                warmup_epochs=1,
                weight_decay=5e-2,
                augmentation="crop_flip:4",
                label_smoothing=0.1,
                init_from="mlperf_resnet8",
            ),
            "MLPerf Tiny image-classification ResNet-8 (16/32/64 filters): "
            "~12.5M MACs; fine-tuned from the MLPerf Tiny reference weights",
        ),
    )
}


def get_architecture(name: str) -> Architecture:
    """Look up a zoo architecture.

    Raises:
        ConfigError: unknown name (the message lists the valid ones).
    """
    try:
        return ARCHITECTURES[name]
    except KeyError:
        raise ConfigError(
            f"unknown zoo model '{name}'; valid models: {', '.join(ARCHITECTURES)} "
            "(or give a .tflite/.keras/.h5/SavedModel path or URL)"
        ) from None


def build_model(
    name: str, *, batch_size: int | None = 1, num_classes: int | None = None
) -> Any:
    """Build an untrained, uncompiled zoo model.

    Args:
        name: a key of :data:`ARCHITECTURES`.
        batch_size: the fixed batch dimension (1 for export), or None for training.
        num_classes: output classes; default the architecture's.

    Returns:
        A ``keras.Model`` taking float ``pixel / 255`` input.

    Raises:
        ConfigError: unknown name or fewer than two classes.
    """
    arch = get_architecture(name)
    classes = arch.num_classes if num_classes is None else num_classes
    if classes < 2:
        raise ConfigError(
            f"num_classes '{classes}' is too small for '{name}'; use at least 2"
        )
    tf = _deps.tensorflow()
    keras = tf.keras
    inputs = keras.Input(shape=arch.input_shape, batch_size=batch_size, name="image")
    outputs = _BUILDERS[name](keras, inputs, classes)
    return keras.Model(inputs, outputs, name=name)


def _mnist_dense(keras: Any, x: Any, classes: int) -> Any:
    layers = keras.layers
    x = layers.Flatten()(x)
    x = layers.Dense(128, activation="relu")(x)
    return layers.Dense(classes, activation="softmax")(x)


def _mnist_lenet(keras: Any, x: Any, classes: int) -> Any:
    layers = keras.layers
    x = layers.Conv2D(32, 5, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=2, strides=2, padding="same")(x)
    x = layers.Conv2D(32, 5, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=2, strides=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(1024, activation="relu")(x)
    x = layers.Dropout(0.4)(x)
    return layers.Dense(classes, activation="softmax")(x)


def _mnist_lenet5(keras: Any, x: Any, classes: int) -> Any:
    layers = keras.layers
    x = layers.Conv2D(6, 5, padding="same", activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=2)(x)
    x = layers.Conv2D(16, 5, padding="valid", activation="relu")(x)
    x = layers.MaxPooling2D(pool_size=2)(x)
    x = layers.Flatten()(x)
    x = layers.Dense(120, activation="relu")(x)
    x = layers.Dense(84, activation="relu")(x)
    return layers.Dense(classes, activation="softmax")(x)


def _cifar10_cnn(keras: Any, x: Any, classes: int) -> Any:
    layers = keras.layers

    def conv_bn(filters: int, y: Any) -> Any:
        # BatchNormalization folds into the convolution when converted to .tflite.
        y = layers.Conv2D(filters, 3, padding="same", use_bias=False)(y)
        y = layers.BatchNormalization()(y)
        return layers.Activation("relu")(y)

    for filters in (32, 64, 128):
        x = conv_bn(filters, x)
        x = layers.MaxPooling2D(pool_size=2)(x)
    x = conv_bn(128, x)
    x = layers.Flatten()(x)
    x = layers.Dropout(0.2)(x)
    return layers.Dense(classes, activation="softmax")(x)


def _cifar10_resnet8(keras: Any, x: Any, classes: int) -> Any:
    layers = keras.layers

    def conv(filters: int, kernel: int, strides: int, y: Any) -> Any:
        return layers.Conv2D(
            filters,
            kernel,
            strides=strides,
            padding="same",
            kernel_initializer="he_normal",
        )(y)

    x = conv(16, 3, 1, x)
    x = layers.BatchNormalization()(x)
    x = layers.Activation("relu")(x)
    for filters, strides in ((16, 1), (32, 2), (64, 2)):
        y = conv(filters, 3, strides, x)
        y = layers.BatchNormalization()(y)
        y = layers.Activation("relu")(y)
        y = conv(filters, 3, 1, y)
        y = layers.BatchNormalization()(y)
        if strides != 1:
            x = conv(filters, 1, strides, x)
        x = layers.Add()([x, y])
        x = layers.Activation("relu")(x)
    pool = int(min(x.shape[1], x.shape[2]))
    x = layers.AveragePooling2D(pool_size=pool)(x)
    x = layers.Flatten()(x)
    return layers.Dense(classes, activation="softmax", kernel_initializer="he_normal")(
        x
    )


_BUILDERS: dict[str, Callable[[Any, Any, int], Any]] = {
    "mnist_dense": _mnist_dense,
    "mnist_lenet": _mnist_lenet,
    "mnist_lenet5": _mnist_lenet5,
    "cifar10_cnn": _cifar10_cnn,
    "cifar10_resnet8": _cifar10_resnet8,
}
