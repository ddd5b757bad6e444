# SPDX-License-Identifier: Apache-2.0
"""``tinyml inspect``: a model's ops, tensors, MACs, arena and accuracy."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING, Any

from .config import InputRange
from .errors import DependencyError
from .model_info import (
    ModelInfo,
    TensorInfo,
    check_runnable_types,
    load_model_file,
)
from .tflm_ops import TFLM_OPS

if TYPE_CHECKING:
    from .datasets import Dataset


def _tensor(tensor: TensorInfo) -> dict[str, Any]:
    return {
        "name": tensor.name,
        "shape": list(tensor.shape),
        "dtype": tensor.dtype,
        "scale": tensor.scale,
        "zero_point": tensor.zero_point,
    }


def _ops(info: ModelInfo) -> list[dict[str, Any]]:
    counts: dict[tuple[str, int], int] = {}
    macs: dict[tuple[str, int], int] = {}
    for op in info.ops:
        key = (op.name, op.version)
        counts[key] = counts.get(key, 0) + 1
        macs[key] = macs.get(key, 0) + op.macs
    return [
        {
            "name": name,
            "version": version,
            "count": count,
            "macs": macs[(name, version)],
            "supported": name in TFLM_OPS,
            "resolver_method": (
                TFLM_OPS[name].resolver_method if name in TFLM_OPS else None
            ),
        }
        for (name, version), count in counts.items()
    ]


def _evaluated(dataset: Dataset | None, samples: int) -> int:
    """How many test images ``evaluate_accuracy(..., samples)`` runs."""
    total = len(dataset.y_test) if dataset is not None else 0
    return total if samples <= 0 else min(samples, total)


def inspect_model(
    path: Path,
    *,
    dataset: Dataset | None = None,
    samples: int = 0,
    input_range: InputRange | None = None,
) -> dict[str, Any]:
    """Describe a ``.tflite`` model (``tinyml inspect``).

    Args:
        path: the model file.
        dataset: when given, also measure TFLM top-1 accuracy on its test split.
        samples: test images for the accuracy (0: the whole test split).
        input_range: the pixel-to-input convention; None infers it from the input
            quantization (else 0..1).

    Returns:
        A JSON-ready dict: ``model``, ``model_bytes``, ``sha256``, ``description``,
        ``ops`` (``name``, ``version``, ``count``, ``macs``, ``supported``,
        ``resolver_method``; first-appearance order), ``op_count``, ``macs``,
        ``input``/``output`` (``shape``, ``dtype``, ``scale``, ``zero_point``),
        ``unsupported_ops``, ``arena_bytes`` (None when it cannot be measured),
        ``accuracy`` (None without a dataset), ``input_range`` (with how it was
        chosen) and ``notes``.

    Raises:
        ModelError: the file is not a readable TFLite model.
        VerificationError: TFLM refuses the model while measuring accuracy.
        DatasetError: the dataset does not fit the model.
    """
    data, info = load_model_file(Path(path))
    check_runnable_types(info, str(path))
    notes: list[str] = []
    arena: int | None = None
    accuracy: float | None = None
    if info.unsupported_ops:
        notes.append(
            "TFLM has no kernel for "
            + ", ".join(info.unsupported_ops)
            + "; the model cannot run on the device"
        )
    else:
        try:
            from .verification import measure_arena

            arena = measure_arena(data)
        except DependencyError as exc:
            notes.append(f"arena not measured: {exc}")
    from .preprocessing import near_chance_warning, resolve_input_range

    rng, how = resolve_input_range(
        input_range, info.input.dtype, info.input.scale, info.input.zero_point
    )
    if dataset is not None:
        if info.unsupported_ops:
            notes.append("accuracy not measured: unsupported ops")
        else:
            from .verification import evaluate_accuracy

            accuracy = evaluate_accuracy(data, dataset, samples, rng)
            chance = 1.0 / max(1, info.output.shape[-1] if info.output.shape else 1)
            if accuracy <= 1.5 * chance:
                notes.append(near_chance_warning(accuracy, rng, how))
    return {
        "model": str(path),
        "model_bytes": info.model_bytes,
        "sha256": info.sha256,
        "description": info.description,
        "ops": _ops(info),
        "op_count": len(info.ops),
        "macs": info.macs,
        "input": _tensor(info.input),
        "output": _tensor(info.output),
        "inputs": [_tensor(t) for t in info.inputs],
        "outputs": [_tensor(t) for t in info.outputs],
        "unsupported_ops": list(info.unsupported_ops),
        "arena_bytes": arena,
        "accuracy": accuracy,
        "input_range": str(rng),
        "input_range_source": how,
        "accuracy_samples": (
            _evaluated(dataset, samples) if accuracy is not None else None
        ),
        "dataset": dataset.name if dataset is not None else None,
        "dataset_source": dataset.description if dataset is not None else None,
        "test_split": dataset.split if dataset is not None else None,
        "notes": notes,
    }


def _quant(tensor: dict[str, Any]) -> str:
    shape = "x".join(str(d) for d in tensor["shape"])
    text = f"{tensor['dtype']} {shape}"
    if tensor.get("scale") is not None:
        text += f" (scale {tensor['scale']:.6g}, zero point {tensor['zero_point']})"
    return text


def format_table(result: dict[str, Any]) -> str:
    """Render an :func:`inspect_model` result as a plain-text table for humans."""
    arena = result.get("arena_bytes")
    accuracy = result.get("accuracy")
    lines = [
        f"model      {result['model']}",
        f"size       {result['model_bytes']:,} bytes (sha256 {result['sha256'][:12]})",
        f"input      {_quant(result['input'])}",
        f"output     {_quant(result['output'])}",
        f"MACs       {result['macs']:,}",
        "arena      " + (f"{arena:,} bytes" if arena is not None else "not measured"),
    ]
    if accuracy is not None:
        lines.append(
            f"accuracy   {accuracy * 100:.2f} % on {result.get('dataset')}: "
            f"{result.get('accuracy_samples')} test images (TFLM)"
        )
        lines.append(f"test split {result.get('test_split')}")
        lines.append(f"data       {result.get('dataset_source')}")
    if result.get("input_range"):
        lines.append(
            f"input      pixels as {result['input_range']} "
            f"({result.get('input_range_source')})"
        )
    rows = [("op", "version", "count", "MACs", "TFLM")]
    for op in result["ops"]:
        rows.append(
            (
                op["name"],
                str(op["version"]),
                str(op["count"]),
                f"{op['macs']:,}",
                "yes" if op["supported"] else "NO",
            )
        )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    lines.append("")
    for n, row in enumerate(rows):
        cells = [
            cell.ljust(widths[i]) if i == 0 else cell.rjust(widths[i])
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("  ".join("-" * w for w in widths))
    for note in result.get("notes", []):
        lines.append(f"note: {note}")
    return "\n".join(lines)
