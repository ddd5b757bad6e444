# SPDX-License-Identifier: Apache-2.0
"""Random small int8 models for the AOT tests: a hypothesis strategy of layer specs,
and a builder that turns a spec into a converted ``.tflite`` (real TF converter).

Many conversions in one process grow its memory until the converter fails, so
:class:`ModelBuilder` converts in a child Python process (this file run as a
script), replaced after a fixed number of models.
"""

from __future__ import annotations

import functools
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import IO, Any

import numpy as np

os.environ.setdefault("TF_CPP_MIN_LOG_LEVEL", "2")


@dataclass(frozen=True)
class Layer:
    kind: str  # conv, dwconv, maxpool, avgpool, residual, pad, concat, relu, relu6
    size: int = 3
    stride: int = 1
    same: bool = True
    dilation: int = 1
    filters: int = 4
    activation: str = "linear"


@dataclass(frozen=True)
class ModelSpec:
    height: int
    width: int
    channels: int
    layers: tuple[Layer, ...]
    head: str  # "flatten" (RESHAPE + FC) or "gap" (MEAN + FC)
    units: int
    softmax: bool
    data_low: float
    data_high: float
    seed: int


def _strategy() -> Any:
    from hypothesis import strategies as st

    activation = st.sampled_from(["linear", "relu", "relu6"])
    layer = st.one_of(
        st.builds(
            Layer,
            kind=st.just("conv"),
            size=st.integers(1, 3),
            stride=st.integers(1, 2),
            same=st.booleans(),
            dilation=st.integers(1, 2),
            filters=st.integers(1, 12),
            activation=activation,
        ),
        st.builds(
            Layer,
            kind=st.just("dwconv"),
            size=st.integers(1, 3),
            stride=st.integers(1, 2),
            same=st.booleans(),
            dilation=st.integers(1, 2),
            filters=st.integers(1, 3),  # depth multiplier
            activation=activation,
        ),
        st.builds(
            Layer,
            kind=st.sampled_from(["maxpool", "avgpool"]),
            size=st.integers(1, 3),
            stride=st.integers(1, 3),
            same=st.booleans(),
        ),
        st.builds(
            Layer,
            kind=st.just("residual"),
            size=st.integers(1, 3),
            activation=activation,
        ),
        st.builds(Layer, kind=st.just("pad"), size=st.integers(1, 2)),
        st.builds(Layer, kind=st.just("concat"), filters=st.integers(1, 6)),
        st.builds(Layer, kind=st.sampled_from(["relu", "relu6"])),
    )
    return st.builds(
        ModelSpec,
        height=st.integers(3, 12),
        width=st.integers(3, 12),
        channels=st.integers(1, 4),
        layers=st.lists(layer, min_size=1, max_size=4).map(tuple),
        head=st.sampled_from(["flatten", "gap"]),
        units=st.integers(1, 12),
        softmax=st.booleans(),
        data_low=st.sampled_from([0.0, -1.0, -0.3, 0.2]),
        data_high=st.sampled_from([1.0, 0.5, 3.0]),
        seed=st.integers(0, 2**16),
    )


def model_specs() -> Any:
    """Hypothesis strategy of :class:`ModelSpec`."""
    return _strategy()


def build_tflite(spec: ModelSpec) -> bytes:
    """Build the Keras model of ``spec`` with random weights and convert it to int8."""
    import keras
    import tensorflow as tf

    keras.backend.clear_session()  # drop the previous models' graph state
    keras.utils.set_random_seed(spec.seed)
    layers = keras.layers
    inp = keras.Input((spec.height, spec.width, spec.channels), batch_size=1)
    x = inp
    h, w, c = spec.height, spec.width, spec.channels
    for i, layer in enumerate(spec.layers):
        k = layer.size
        dil = layer.dilation if layer.stride == 1 else 1
        eff = (k - 1) * dil + 1
        same = layer.same or min(h, w) < eff
        pad = "same" if same else "valid"
        if layer.kind == "conv":
            x = layers.Conv2D(
                layer.filters,
                k,
                strides=layer.stride,
                padding=pad,
                dilation_rate=dil,
                activation=layer.activation,
                bias_initializer="random_normal",
            )(x)
        elif layer.kind == "dwconv":
            x = layers.DepthwiseConv2D(
                k,
                strides=layer.stride,
                padding=pad,
                dilation_rate=dil,
                depth_multiplier=layer.filters,
                activation=layer.activation,
                bias_initializer="random_normal",
            )(x)
        elif layer.kind in ("maxpool", "avgpool"):
            pool = (
                layers.MaxPooling2D
                if layer.kind == "maxpool"
                else layers.AveragePooling2D
            )
            same = layer.same or min(h, w) < k
            x = pool(k, strides=layer.stride, padding="same" if same else "valid")(x)
        elif layer.kind == "residual":
            y = layers.Conv2D(c, k, padding="same", activation="relu")(x)
            x = layers.Add()([x, y])
            if layer.activation != "linear":
                x = layers.Activation(layer.activation)(x)
        elif layer.kind == "pad":
            x = layers.ZeroPadding2D(((layer.size, 0), (1, layer.size)))(x)
        elif layer.kind == "concat":
            y = layers.Conv2D(layer.filters, 1, activation="relu")(x)
            x = layers.Concatenate()([x, y])
        elif layer.kind == "relu":
            x = layers.ReLU()(x)
        elif layer.kind == "relu6":
            x = layers.ReLU(6.0)(x)
        _, h, w, c = x.shape
        del i
    if spec.head == "gap":
        x = layers.GlobalAveragePooling2D()(x)
    else:
        x = layers.Flatten()(x)
    x = layers.Dense(spec.units, bias_initializer="random_normal")(x)
    if spec.softmax:
        x = layers.Softmax()(x)
    model = keras.Model(inp, x)

    rng = np.random.default_rng(spec.seed)
    shape = (1, spec.height, spec.width, spec.channels)

    def representative() -> Any:
        for _ in range(16):
            yield [rng.uniform(spec.data_low, spec.data_high, shape).astype(np.float32)]

    converter = tf.lite.TFLiteConverter.from_keras_model(model)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return bytes(converter.convert())


def build_zoo_tflite(architecture: str, seed: int = 0, steps: int = 8) -> bytes:
    """A zoo architecture, briefly fitted on random data (so biases and batch-norm
    statistics are not trivial), converted to full int8 with random calibration."""
    import keras
    import tensorflow as tf

    from platformio_tinyml.zoo import build_model, get_architecture

    keras.utils.set_random_seed(seed)
    arch = get_architecture(architecture)
    rng = np.random.default_rng(seed)
    shape = tuple(arch.input_shape)
    model = build_model(architecture, batch_size=None)
    model.compile(optimizer="adam", loss="sparse_categorical_crossentropy")
    x = rng.random((steps * 16, *shape), dtype=np.float32)
    y = rng.integers(0, arch.num_classes, size=len(x))
    model.fit(x, y, batch_size=16, epochs=1, verbose=0)
    export = build_model(architecture, batch_size=1)
    export.set_weights(model.get_weights())

    def representative() -> Any:
        for i in range(32):
            yield [x[i : i + 1]]

    converter = tf.lite.TFLiteConverter.from_keras_model(export)
    converter.optimizations = [tf.lite.Optimize.DEFAULT]
    converter.representative_dataset = representative
    converter.target_spec.supported_ops = [tf.lite.OpsSet.TFLITE_BUILTINS_INT8]
    converter.inference_input_type = tf.int8
    converter.inference_output_type = tf.int8
    return bytes(converter.convert())


def spec_to_json(spec: ModelSpec) -> str:
    return json.dumps(asdict(spec))


def spec_from_json(text: str) -> ModelSpec:
    fields = json.loads(text)
    fields["layers"] = tuple(Layer(**layer) for layer in fields["layers"])
    return ModelSpec(**fields)


class ModelBuilder:
    """Converts specs to ``.tflite`` in a child process, a fresh one every
    ``per_process`` models; a child that dies is replaced and the model retried
    once, then the failure names the spec."""

    def __init__(self, per_process: int = 25) -> None:
        self.per_process = per_process
        self._proc: subprocess.Popen[str] | None = None
        self._log: IO[bytes] | None = None
        self._built = 0
        self._dir = tempfile.TemporaryDirectory(prefix="aot-models-")

    def _start(self) -> subprocess.Popen[str]:
        self.close_process()
        self._log = tempfile.TemporaryFile()
        self._proc = subprocess.Popen(
            [sys.executable, str(Path(__file__).resolve()), "--serve"],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            stderr=self._log,
            text=True,
        )
        self._built = 0
        return self._proc

    def _log_tail(self) -> str:
        if self._log is None:
            return ""
        self._log.seek(0)
        return self._log.read().decode(errors="replace")[-2000:]

    def _once(self, spec: ModelSpec, out: Path) -> str:
        proc = self._proc
        if proc is None or proc.poll() is not None or self._built >= self.per_process:
            proc = self._start()
        assert proc.stdin is not None and proc.stdout is not None
        try:
            proc.stdin.write(json.dumps([spec_to_json(spec), str(out)]) + "\n")
            proc.stdin.flush()
            reply = proc.stdout.readline()
        except BrokenPipeError:
            reply = ""
        self._built += 1
        if not reply:
            tail = self._log_tail()
            self.close_process()
            return f"the model builder process died:\n{tail}"
        return reply.strip()

    def build(self, spec: ModelSpec) -> bytes:
        out = Path(self._dir.name) / "model.tflite"
        reply = self._once(spec, out)
        if reply.startswith("the model builder process died"):
            reply = self._once(spec, out)  # once more, in a fresh process
        if reply != "ok":
            raise RuntimeError(f"converting {spec!r} failed: {reply}")
        return out.read_bytes()

    def close_process(self) -> None:
        if self._proc is not None:
            if self._proc.stdin is not None:
                self._proc.stdin.close()
            try:
                self._proc.wait(timeout=30)
            except subprocess.TimeoutExpired:
                self._proc.kill()
                self._proc.wait()
            if self._proc.stdout is not None:
                self._proc.stdout.close()
            self._proc = None
        if self._log is not None:
            self._log.close()
            self._log = None

    def close(self) -> None:
        self.close_process()
        self._dir.cleanup()


def _serve() -> None:
    """Child side of :class:`ModelBuilder`: one JSON request a line, one reply."""
    from platformio_tinyml._deps import run_quietly

    for line in sys.stdin:
        spec_text, out = json.loads(line)
        spec = spec_from_json(spec_text)
        try:
            Path(out).write_bytes(run_quietly(functools.partial(build_tflite, spec)))
            reply = "ok"
        except Exception as exc:  # noqa: BLE001 - reported to the parent
            reply = f"{type(exc).__name__}: {exc}".replace("\n", " ")[:2000]
        sys.stdout.write(reply + "\n")
        sys.stdout.flush()


if __name__ == "__main__" and sys.argv[1:] == ["--serve"]:
    _serve()
