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
class Architecture:
    """A zoo model and its training defaults.

    Attributes:
        name: the zoo name (``custom_tinyml_model``).
        input_shape: ``(H, W, C)`` of one input image.
        num_classes: default number of output classes.
        default_dataset: the dataset the model is meant for.
        default_epochs: epochs used when none are configured.
        batch_size: training batch size.
        description: one line for humans.
    """

    name: str
    input_shape: tuple[int, int, int]
    num_classes: int
    default_dataset: str
    default_epochs: int
    batch_size: int
    description: str


ARCHITECTURES: dict[str, Architecture] = {
    a.name: a
    for a in (
        Architecture(
            "mnist_dense",
            (28, 28, 1),
            10,
            "mnist",
            5,
            32,
            "Flatten, Dense(128, relu), Dense(10, softmax): ~102k MACs, "
            "~97.7% on MNIST",
        ),
        Architecture(
            "mnist_lenet",
            (28, 28, 1),
            10,
            "mnist",
            3,
            64,
            "LeNet-5-like CNN (NXP AN12603): 2x [Conv 5x5 32, MaxPool], Dense(1024), "
            "Dropout(0.4), Dense(10): ~7.3M MACs, >99% on MNIST",
        ),
        Architecture(
            "mnist_lenet5",
            (28, 28, 1),
            10,
            "mnist",
            5,
            64,
            "classic LeNet-5 (LeCun 1998): Conv 5x5 6, MaxPool, Conv 5x5 16, MaxPool, "
            "Dense(120), Dense(84), Dense(10): ~0.4M MACs, ~62k parameters (fits a "
            "1 MB-flash STM32F746 with room to spare)",
        ),
        Architecture(
            "cifar10_cnn",
            (32, 32, 3),
            10,
            "cifar10",
            3,
            64,
            "3x [Conv 3x3 16/32/64, MaxPool], Dense(64), Dense(10): ~2.9M MACs, "
            "~63% on CIFAR-10 after 3 epochs",
        ),
        Architecture(
            "cifar10_resnet8",
            (32, 32, 3),
            10,
            "cifar10",
            500,
            32,
            "MLPerf Tiny image-classification ResNet-8 (16/32/64 filters, L2 1e-4): "
            "~85% top-1 on CIFAR-10 after the reference 500 epochs",
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
    for filters in (16, 32, 64):
        x = layers.Conv2D(filters, 3, padding="same", activation="relu")(x)
        x = layers.MaxPooling2D(pool_size=2, padding="same")(x)
    x = layers.Flatten()(x)
    x = layers.Dense(64, activation="relu")(x)
    return layers.Dense(classes, activation="softmax")(x)


def _cifar10_resnet8(keras: Any, x: Any, classes: int) -> Any:
    layers = keras.layers
    reg = keras.regularizers.l2(1e-4)

    def conv(filters: int, kernel: int, strides: int, y: Any) -> Any:
        return layers.Conv2D(
            filters,
            kernel,
            strides=strides,
            padding="same",
            kernel_initializer="he_normal",
            kernel_regularizer=reg,
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
