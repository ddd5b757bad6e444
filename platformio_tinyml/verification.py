# SPDX-License-Identifier: Apache-2.0
"""Run models through the real TFLM kernels on the host: accuracy, exact arena, goldens.

Uses tflite-micro's Python interpreter (the same C++ kernels the firmware compiles,
reference variants). The arena size comes from the RecordingMicroAllocator report
that ``print_allocations()`` writes to the C-level stderr, captured at the file
descriptor level. Bit-exactness is checked against ``tf.lite`` (or LiteRT) without
the XNNPACK delegate, whose kernels round differently.
"""

from __future__ import annotations

import hashlib
import os
import re
import subprocess
import sys
import tempfile
from collections import OrderedDict
from dataclasses import dataclass
from pathlib import Path
from typing import Any, TypeVar

import numpy as np
import numpy.typing as npt

from . import _deps
from .config import InputRange
from .datasets import Dataset, sample_test_split
from .errors import DatasetError, ModelError, VerificationError
from .model_info import read_model
from .preprocessing import resolve_input_range, to_model_input

T = TypeVar("T")

_ARENA_RE = re.compile(r"Arena allocation total (\d+) bytes")
_OP_RE = re.compile(r"(?:opcode|op for builtin opcode|custom op)\s*'?([A-Za-z0-9_]+)'?")
_MEASURE_ARENA = 16 << 20
_MAX_ARENA = 1 << 30
_CACHE_SIZE = 4
_COMPARE_LIMIT = 1000


@dataclass(frozen=True)
class VerificationReport:
    """What the host TFLM run found.

    Attributes:
        arena_bytes: exact arena need (RecordingMicroAllocator total, host build).
        accuracy: top-1 accuracy on the test split, or None without a dataset.
        samples: test images evaluated.
        bit_exact_fraction: share of output rows identical to tf.lite (int models).
        max_abs_diff: largest output difference to tf.lite, in output units.
        unsupported_ops: ops TFLM lacks (non-empty only with ``strict=False``).
    """

    arena_bytes: int
    accuracy: float | None
    samples: int
    bit_exact_fraction: float | None
    max_abs_diff: int | None
    unsupported_ops: tuple[str, ...]


# --- Capturing the C-level log ---------------------------------------------------


# --- Interpreters ----------------------------------------------------------------


def _runtime() -> Any:
    return _deps.require("tflite_micro.python.tflite_micro.runtime")


def _refusal(model: bytes, log: str) -> tuple[str, ...]:
    """Op names TFLM could not resolve, from its log (or from the model's op list)."""
    names = [m for m in _OP_RE.findall(log) if m.upper() == m and len(m) > 1]
    return tuple(dict.fromkeys(names))


def _first_line(log: str, exc: BaseException) -> str:
    lines = [ln.strip() for ln in log.splitlines() if ln.strip()]
    return lines[0] if lines else str(exc)


def _make_interpreter(model: bytes, arena_size: int) -> Any:
    runtime = _runtime()
    try:
        return runtime.Interpreter.from_bytes(model, arena_size=arena_size)
    except (RuntimeError, ValueError):
        raise
    except Exception as exc:  # noqa: BLE001 -- its Python schema code trusts the bytes
        # Damaged flatbuffers fail in the runtime's generated schema accessors with
        # TypeError/IndexError/struct.error...; callers handle ValueError as a refusal.
        detail = str(exc).splitlines()[0] if str(exc) else ""
        raise ValueError(
            f"damaged flatbuffer ({type(exc).__name__}: {detail[:80]})"
        ) from exc


# Loads a model in TFLM and invokes it once on zeros; run in a child process.
_PROBE = """
import sys
import numpy as np
from tflite_micro.python.tflite_micro import runtime
data = open(sys.argv[1], "rb").read()
try:
    it = runtime.Interpreter.from_bytes(data, arena_size=int(sys.argv[2]))
    d = it.get_input_details(0)
    it.set_input(np.zeros(d["shape"], dtype=d["dtype"]), 0)
    it.invoke()
except Exception:
    sys.exit(3)  # a Python-level refusal: reported properly in-process
"""
_PROBED: set[str] = set()


def probe_in_child(model: bytes, source: str = "model") -> None:
    """Load and invoke ``model`` once in a child process before trusting it in-process.

    TFLM's C++ code can crash the whole process on a damaged flatbuffer that passes
    the schema checks; in a child, that crash becomes a one-line ModelError.

    Raises:
        ModelError: the TFLM interpreter crashed on the model.
        VerificationError: the probe did not finish in time.
    """
    key = hashlib.sha256(model).hexdigest()
    if key in _PROBED:
        return
    package_root = Path(__file__).resolve().parents[1]
    env = dict(os.environ)
    env["PYTHONPATH"] = os.pathsep.join(
        [str(package_root), *filter(None, [env.get("PYTHONPATH")])]
    )
    with tempfile.TemporaryDirectory(prefix="tinyml-probe-") as tmp:
        path = Path(tmp) / "model.tflite"
        path.write_bytes(model)
        try:
            proc = subprocess.run(
                [sys.executable, "-c", _PROBE, str(path), str(_MEASURE_ARENA)],
                env=env,
                capture_output=True,
                timeout=300,
                check=False,
            )
        except subprocess.TimeoutExpired as exc:
            raise VerificationError(
                f"loading '{source}' in the TFLM interpreter did not finish in 300 s; "
                "check that the file is a valid .tflite model"
            ) from exc
    if proc.returncode < 0 or proc.returncode >= 128:
        code = -proc.returncode if proc.returncode < 0 else proc.returncode - 128
        raise ModelError(
            f"'{source}' crashed the TFLM interpreter (signal {code}); the file is "
            "damaged: regenerate or download it again"
        )
    _PROBED.add(key)


def _new_interpreter(model: bytes, arena_size: int = _MEASURE_ARENA) -> Any:
    """Build an interpreter; TFLM refusals become VerificationError naming the op."""
    read_model(model)
    probe_in_child(model)
    try:
        interpreter, _log = _deps.capture_native_output(
            lambda: _make_interpreter(model, arena_size)
        )
    except (RuntimeError, ValueError) as exc:
        log = getattr(exc, "tinyml_log", "")
        ops = _refusal(model, log)
        if ops:
            raise VerificationError(
                f"TFLM does not support op '{', '.join(ops)}' in this model; replace "
                "the layer or convert with only TFLM-supported builtins"
            ) from exc
        raise VerificationError(
            f"TFLM rejected the model ('{_first_line(log, exc)}'); check that it is a "
            "full-int8 or float32 model with TFLM-supported ops"
        ) from exc
    return interpreter


_INTERPRETERS: OrderedDict[str, Any] = OrderedDict()


def _interpreter_for(model: bytes) -> Any:
    """One reusable interpreter per model (small LRU), so many invokes stay cheap."""
    key = hashlib.sha256(model).hexdigest()
    if key in _INTERPRETERS:
        _INTERPRETERS.move_to_end(key)
        return _INTERPRETERS[key]
    interpreter = _new_interpreter(model)
    _INTERPRETERS[key] = interpreter
    while len(_INTERPRETERS) > _CACHE_SIZE:
        _INTERPRETERS.popitem(last=False)
    return interpreter


def find_unsupported_ops(model: bytes) -> tuple[str, ...]:
    """Ops of ``model`` that TFLM cannot resolve (empty when the model loads)."""
    read_model(model)
    try:
        _deps.capture_native_output(lambda: _make_interpreter(model, _MEASURE_ARENA))
    except (RuntimeError, ValueError) as exc:
        return _refusal(model, getattr(exc, "tinyml_log", ""))
    return ()


# --- Arena -----------------------------------------------------------------------


def measure_arena(model: bytes) -> int:
    """The exact arena bytes TFLM needs for ``model`` (host build).

    Reads ``Arena allocation total`` from the RecordingMicroAllocator report after
    one invocation with zero input.

    Raises:
        VerificationError: TFLM refuses the model or reports no total.
    """
    spec_in = read_model(model).input
    arena = _MEASURE_ARENA
    while True:
        try:
            interpreter = _new_interpreter(model, arena)
            break
        except VerificationError as exc:
            cause = exc.__cause__
            log = getattr(cause, "tinyml_log", "")
            if "Failed to allocate" in log and arena < _MAX_ARENA:
                arena *= 4
                continue
            raise
    zeros = np.zeros(spec_in.shape, dtype=np.dtype(spec_in.dtype))

    def run() -> None:
        interpreter.set_input(zeros, 0)
        interpreter.invoke()
        interpreter.print_allocations()

    _, log = _deps.capture_native_output(run)
    match = _ARENA_RE.search(log)
    if match is None:
        raise VerificationError(
            f"TFLM printed no arena total ('{_first_line(log, RuntimeError())}'); "
            "use a tflite-micro build with the recording allocator"
        )
    return int(match.group(1))


def arena_fits(model: bytes, arena_size: int) -> bool:
    """True when TFLM can allocate and invoke ``model`` within ``arena_size`` bytes."""
    spec_in = read_model(model).input
    zeros = np.zeros(spec_in.shape, dtype=np.dtype(spec_in.dtype))

    def run() -> None:
        interpreter = _make_interpreter(model, arena_size)
        interpreter.set_input(zeros, 0)
        interpreter.invoke()

    try:
        _deps.capture_native_output(run)
    except RuntimeError:
        return False
    return True


# --- Running ---------------------------------------------------------------------


def run_tflm(model: bytes, inputs: npt.NDArray[Any]) -> npt.NDArray[Any]:
    """Run TFLM on a batch, one image per invocation.

    Args:
        model: ``.tflite`` bytes.
        inputs: ``(N, H, W, C)`` already in the model's input dtype (int8 for int8
            models, float32 for float models).

    Returns:
        ``(N, num_outputs)`` in the model's output dtype.

    Raises:
        VerificationError: TFLM refuses the model, or the inputs have the wrong
            dtype or shape.
    """
    info = read_model(model)
    spec_in, spec_out = info.input, info.output
    inputs = np.asarray(inputs)
    want = np.dtype(spec_in.dtype)
    if inputs.dtype != want:
        raise VerificationError(
            f"inputs have dtype '{inputs.dtype}' but the model takes '{want}'; map "
            "pixels with preprocessing.to_model_input first"
        )
    if tuple(inputs.shape[1:]) != tuple(spec_in.shape[1:]):
        raise VerificationError(
            f"inputs have shape '{inputs.shape}' but the model takes "
            f"'(N, {', '.join(map(str, spec_in.shape[1:]))})'; resize the images"
        )
    interpreter = _interpreter_for(model)
    width = int(np.prod(spec_out.shape[1:])) if len(spec_out.shape) > 1 else 1
    out = np.empty((len(inputs), width), dtype=np.dtype(spec_out.dtype))
    shape = (1, *spec_in.shape[1:])
    for i in range(len(inputs)):
        interpreter.set_input(inputs[i].reshape(shape), 0)
        interpreter.invoke()
        out[i] = np.asarray(interpreter.get_output(0)).reshape(-1)
    return out


def model_input_range(
    model: bytes, configured: InputRange | None = None
) -> tuple[InputRange, str]:
    """The model's input range and how it was chosen (see ``resolve_input_range``)."""
    spec_in = read_model(model).input
    return resolve_input_range(
        configured, spec_in.dtype, spec_in.scale, spec_in.zero_point
    )


def model_inputs(
    model: bytes,
    pixels: npt.NDArray[np.uint8],
    input_range: InputRange | None = None,
) -> npt.NDArray[Any]:
    """Map uint8 pixels ``(N, H, W, C)`` to the model's input (the device LUT).

    ``input_range`` None infers it from the model (:func:`model_input_range`).
    """
    spec_in = read_model(model).input
    rng, _how = model_input_range(model, input_range)
    if spec_in.dtype == "int8":
        if spec_in.scale is None or spec_in.zero_point is None:
            raise VerificationError(
                "int8 model input has no quantization parameters; convert the model "
                "again with full-int8 quantization"
            )
        return to_model_input(pixels, "int8", spec_in.scale, spec_in.zero_point, rng)
    return to_model_input(pixels, spec_in.dtype, input_range=rng)


def _test_subset(dataset: Dataset, samples: int) -> tuple[Any, Any]:
    subset = sample_test_split(dataset, samples)
    return subset.x_test, subset.y_test


def _check_dataset(model: bytes, dataset: Dataset) -> None:
    spec_in = read_model(model).input
    if tuple(spec_in.shape[1:]) != dataset.image_shape:
        got = "x".join(map(str, dataset.image_shape))
        want = "x".join(map(str, spec_in.shape[1:]))
        raise DatasetError(
            f"dataset '{dataset.name}' has images of shape '{got}' but the model takes "
            f"'{want}'; use the dataset the model was trained on"
        )


def evaluate_accuracy(
    model: bytes,
    dataset: Dataset,
    samples: int = 0,
    input_range: InputRange | None = None,
) -> float:
    """Top-1 accuracy of TFLM on the first ``samples`` test images (0: all).

    ``input_range`` None infers it from the model (:func:`model_input_range`).

    Raises:
        DatasetError: the dataset does not fit the model input.
        VerificationError: TFLM refuses the model.
    """
    _check_dataset(model, dataset)
    x, y = _test_subset(dataset, samples)
    outputs = run_tflm(model, model_inputs(model, x, input_range))
    return float(np.mean(np.argmax(outputs, axis=1) == y))


def _reference_interpreter(model: bytes) -> Any:
    """tf.lite (or LiteRT) without default delegates: the bit-exact reference."""
    try:
        import ai_edge_litert.interpreter as litert

        return litert.Interpreter(
            model_content=model,
            experimental_op_resolver_type=litert.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES,
        )
    except ImportError:
        pass
    tf = _deps.tensorflow()
    resolver = tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    return _deps.run_quietly(
        lambda: tf.lite.Interpreter(
            model_content=model, experimental_op_resolver_type=resolver
        )
    )


def compare_with_tflite(model: bytes, inputs: npt.NDArray[Any]) -> tuple[float, float]:
    """Compare TFLM with the TFLite reference kernels on the same inputs.

    Args:
        model: ``.tflite`` bytes.
        inputs: ``(N, H, W, C)`` in the model's input dtype.

    Returns:
        ``(fraction of output rows identical, max |difference|)``; for int8 models
        the difference is in quantized steps.
    """
    ours = run_tflm(model, inputs)
    reference = _reference_interpreter(model)
    reference.allocate_tensors()
    in_index = reference.get_input_details()[0]["index"]
    out_index = reference.get_output_details()[0]["index"]
    theirs = np.empty_like(ours)
    for i in range(len(inputs)):
        reference.set_tensor(in_index, inputs[i : i + 1])
        reference.invoke()
        theirs[i] = reference.get_tensor(out_index).reshape(-1)
    diff = np.abs(ours.astype(np.float64) - theirs.astype(np.float64))
    if len(diff) == 0:
        return 1.0, 0.0
    return float(np.mean(np.all(diff == 0, axis=1))), float(diff.max())


def verify_model(
    model: bytes,
    dataset: Dataset | None,
    *,
    samples: int = 1000,
    strict: bool = True,
    input_range: InputRange | None = None,
) -> VerificationReport:
    """Check a model in host TFLM: arena, accuracy and agreement with tf.lite.

    Args:
        model: ``.tflite`` bytes.
        dataset: test data for accuracy and bit-exactness; None skips both.
        samples: test images to use (0: the whole test split). The tf.lite
            comparison uses at most the first 1000 of them.
        strict: raise when TFLM refuses the model; with False, return a report
            listing ``unsupported_ops`` instead.
        input_range: pixel-to-input convention; None infers it from the model.

    Raises:
        VerificationError: TFLM refuses the model (names the unsupported op).
        DatasetError: the dataset does not fit the model input.
    """
    unsupported = find_unsupported_ops(model)
    if unsupported and not strict:
        return VerificationReport(0, None, 0, None, None, unsupported)
    arena = measure_arena(model)
    if dataset is None:
        return VerificationReport(arena, None, 0, None, None, ())
    _check_dataset(model, dataset)
    x, y = _test_subset(dataset, samples)
    inputs = model_inputs(model, x, input_range)
    outputs = run_tflm(model, inputs)
    accuracy = float(np.mean(np.argmax(outputs, axis=1) == y)) if len(y) else 0.0
    n_cmp = min(len(inputs), _COMPARE_LIMIT)
    fraction, max_diff = compare_with_tflite(model, inputs[:n_cmp])
    spec_out = read_model(model).output
    integer = spec_out.dtype in ("int8", "uint8", "int16", "int32")
    return VerificationReport(
        arena_bytes=arena,
        accuracy=accuracy,
        samples=len(y),
        bit_exact_fraction=fraction,
        max_abs_diff=int(max_diff) if integer else None,
        unsupported_ops=(),
    )
