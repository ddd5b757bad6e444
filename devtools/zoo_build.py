# SPDX-License-Identifier: Apache-2.0
"""Train a zoo model by its recipe and ship it: int8 .tflite + manifest entry.

Usage (from the repository root, with the datasets of docs/datasets.md)::

    python -m devtools.zoo_build mnist_lenet5 [--epochs N] [--datasets-dir DIR]
    python -m devtools.zoo_build cifar10_resnet8_mirror [--datasets-dir DIR]

It trains with the architecture's recipe (``platformio_tinyml.zoo``; a recipe with
``init_from`` first fetches that pretrained model, through ``$TINYML_ZOO_MIRROR``
when offline), converts to
full-int8 with the recipe's calibration images, measures int8 and float accuracy on
the whole test split with the host TFLM (float optionally with TFLite's reference
kernels, ``--float-with tflite``: TFLM's float kernels are slow for CIFAR-10 models),
and writes
``platformio_tinyml/zoo_models/<name>.tflite`` plus its entry in ``zoo_models.json``.

A name ``<base>_mirror`` trains nothing: it rewrites the shipped ``<base>`` model with
:func:`platformio_tinyml.mirror.mirror_average` (the image and its mirror image
averaged) and measures the result the same way.
"""

from __future__ import annotations

import argparse
import json
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from platformio_tinyml.datasets import Dataset, load_dataset
from platformio_tinyml.fileio import file_lock, sha256_bytes, write_atomic
from platformio_tinyml.mirror import mirror_average
from platformio_tinyml.model_info import read_model
from platformio_tinyml.pretrained import find_pretrained, pretrained_path
from platformio_tinyml.quantization import convert_model
from platformio_tinyml.training import train_model
from platformio_tinyml.verification import evaluate_accuracy, measure_arena
from platformio_tinyml.zoo import get_architecture

MIRROR_SUFFIX = "_mirror"
ZOO_DIR = Path(__file__).resolve().parent.parent / "platformio_tinyml" / "zoo_models"
MANIFEST = ZOO_DIR / "zoo_models.json"


def _log(message: str) -> None:
    print(f"[zoo_build] {message}", file=sys.stderr, flush=True)


def _tflite_accuracy(model: bytes, dataset: Dataset) -> float:
    """Float accuracy with TFLite's builtin kernels (no delegates), image by image."""
    import numpy as np

    from platformio_tinyml import _deps
    from platformio_tinyml.preprocessing import to_model_input

    tf = _deps.tensorflow()
    resolver = tf.lite.experimental.OpResolverType.BUILTIN_WITHOUT_DEFAULT_DELEGATES
    interpreter = tf.lite.Interpreter(
        model_content=model, experimental_op_resolver_type=resolver
    )
    interpreter.allocate_tensors()
    inp = interpreter.get_input_details()[0]["index"]
    out = interpreter.get_output_details()[0]["index"]
    x = to_model_input(dataset.x_test, "float32")
    correct = 0
    for i in range(len(x)):
        interpreter.set_tensor(inp, x[i : i + 1])
        interpreter.invoke()
        correct += int(np.argmax(interpreter.get_tensor(out)) == dataset.y_test[i])
    return correct / len(x)


def build(
    name: str,
    epochs: int | None,
    datasets_dir: str | None,
    cache: Path,
    float_with: str = "tflm",
) -> dict[str, Any]:
    """Train, convert and measure one zoo model; return its manifest entry."""
    arch = get_architecture(name)
    dataset = load_dataset(
        arch.default_dataset,
        datasets_dir=Path(datasets_dir) if datasets_dir else None,
    )
    _log(f"{name}: {dataset.description}")
    trained = train_model(name, dataset, epochs=epochs, seed=1, cache_dir=cache)
    _log(
        f"{name}: trained in {trained.train_seconds:.0f} s, Keras float "
        f"{trained.float_accuracy:.4f}"
    )
    samples = arch.recipe.calibration_samples
    int8 = convert_model(
        trained.path,
        quantization="int8",
        dataset=dataset,
        representative_samples=samples,
        seed=1,
    )
    float32 = convert_model(trained.path, quantization="float32", dataset=None)
    start = time.monotonic()
    acc_int8 = evaluate_accuracy(int8, dataset)
    if float_with == "tflite":
        acc_float = _tflite_accuracy(float32, dataset)
    else:
        acc_float = evaluate_accuracy(float32, dataset)
    _log(
        f"{name}: TFLM int8 {acc_int8:.4f} float {acc_float:.4f} "
        f"({time.monotonic() - start:.0f} s)"
    )
    info = read_model(int8, source=name)
    entry = {
        "dataset": arch.default_dataset,
        "file": f"{name}.tflite",
        "sha256": sha256_bytes(int8),
        "size_bytes": len(int8),
        "accuracy_int8": round(acc_int8, 4),
        "accuracy_float": round(acc_float, 4),
        "test_images": int(len(dataset.y_test)),
        "macs": info.macs,
        "arena_bytes": measure_arena(int8),
        "epochs": trained.epochs,
        "train_seconds": trained.train_seconds,
        "calibration_samples": samples,
        "command": f"python -m devtools.zoo_build {name} --epochs {trained.epochs}"
        + (" --float-with tflite" if float_with == "tflite" else ""),
    }
    if float_with == "tflite":
        entry["float_measured_with"] = "tflite builtin kernels"
    if arch.recipe.init_from is not None:
        entry["init_from"] = arch.recipe.init_from
        entry["origin"] = (
            f"fine-tuned for {trained.epochs} epochs from the pretrained "
            f"'{arch.recipe.init_from}' weights (train_seconds counts the "
            "fine-tuning only)"
        )
    write_atomic(ZOO_DIR / str(entry["file"]), int8)
    return entry


def build_mirror(name: str, datasets_dir: str | None, cache: Path) -> dict[str, Any]:
    """Mirror-average the shipped base model of ``name``; return its manifest entry."""
    base_name = name.removesuffix(MIRROR_SUFFIX)
    base = find_pretrained(base_name)
    if base is None or not base.shipped:
        raise SystemExit(f"zoo_build: '{base_name}' is not a shipped zoo model")
    mirrored = mirror_average(
        pretrained_path(base, cache).read_bytes(), source=base_name
    )
    dataset = load_dataset(
        base.dataset, datasets_dir=Path(datasets_dir) if datasets_dir else None
    )
    start = time.monotonic()
    accuracy = evaluate_accuracy(mirrored, dataset)
    _log(f"{name}: TFLM int8 {accuracy:.4f} ({time.monotonic() - start:.0f} s)")
    entry: dict[str, Any] = {
        "dataset": base.dataset,
        "file": f"{name}.tflite",
        "sha256": sha256_bytes(mirrored),
        "size_bytes": len(mirrored),
        "accuracy_int8": round(accuracy, 4),
        "accuracy_float": None,
        "test_images": int(len(dataset.y_test)),
        "macs": read_model(mirrored, source=name).macs,
        "arena_bytes": measure_arena(mirrored),
        "mirror_of": base_name,
        "command": f"python -m devtools.zoo_build {name}",
        "origin": (
            f"'{base_name}' averaged over each image and its mirror image "
            "(tinyml mirror): the same weights, twice the MACs; the model alone "
            f"scores {base.accuracy_int8:.2%} int8"
        ),
    }
    write_atomic(ZOO_DIR / str(entry["file"]), mirrored)
    return entry


def _update_manifest(name: str, entry: dict[str, Any]) -> None:
    with file_lock(Path(tempfile.gettempdir()) / "tinyml-zoo-manifest.lock"):
        manifest = json.loads(MANIFEST.read_text()) if MANIFEST.is_file() else {}
        manifest[name] = entry
        text = json.dumps(dict(sorted(manifest.items())), indent=2) + "\n"
        write_atomic(MANIFEST, text.encode())


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("name")
    parser.add_argument("--epochs", type=int, default=None)
    parser.add_argument("--datasets-dir", default=None)
    parser.add_argument(
        "--float-with",
        choices=("tflm", "tflite"),
        default="tflm",
        help="interpreter for the float accuracy (default: the host TFLM)",
    )
    parser.add_argument(
        "--cache-dir",
        default=None,
        help="training cache (default: a temporary directory)",
    )
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="zoo-build-") as tmp:
        cache = Path(args.cache_dir) if args.cache_dir else Path(tmp)
        if args.name.endswith(MIRROR_SUFFIX):
            entry = build_mirror(args.name, args.datasets_dir, cache)
        else:
            entry = build(
                args.name, args.epochs, args.datasets_dir, cache, args.float_with
            )
    _update_manifest(args.name, entry)
    print(json.dumps({args.name: entry}, indent=2))
    return 0


if __name__ == "__main__":
    sys.exit(main())
