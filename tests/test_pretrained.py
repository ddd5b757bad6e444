# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.pretrained: the shipped models match their manifest
(bytes, and accuracy measured again with the host TFLM), the pinned upstream ResNet-8
is fetched through a mirror, and a shipped zoo name builds without training."""

from __future__ import annotations

import math
from pathlib import Path

import pytest

from platformio_tinyml import pretrained
from platformio_tinyml.config import INPUT_RANGES, TinyMLConfig
from platformio_tinyml.datasets import Dataset, load_dataset, sample_test_split
from platformio_tinyml.errors import ModelSourceError
from platformio_tinyml.fileio import sha256_file
from platformio_tinyml.pretrained import (
    PretrainedModel,
    download_url,
    find_pretrained,
    pretrained_models,
    pretrained_path,
)

SHIPPED = sorted(n for n, m in pretrained_models().items() if m.shipped)
DATASET_FILES = {"mnist": "mnist.npz", "cifar10": "cifar10_jpg.tar.gz"}


def _dataset(name: str, shared_datasets_dir: Path | None) -> Dataset:
    if (
        shared_datasets_dir is None
        or not (shared_datasets_dir / DATASET_FILES[name]).is_file()
    ):
        pytest.skip(f"{DATASET_FILES[name]} not available; set TINYML_DATASETS_DIR")
    return load_dataset(name, datasets_dir=shared_datasets_dir)


def _tflm() -> None:
    pytest.importorskip(
        "tflite_micro", reason="the host TFLM interpreter (tflite-micro) is missing"
    )


def test_manifest_lists_the_shipped_models_and_the_mlperf_resnet8() -> None:
    assert {"mnist_dense", "mnist_lenet5"} <= set(SHIPPED)
    mlperf = find_pretrained("mlperf_resnet8")
    assert mlperf is not None and not mlperf.shipped
    assert mlperf.url is not None and mlperf.url.startswith(pretrained.GITHUB_RAW)
    assert mlperf.sha256.startswith("3c002613") and mlperf.sha256.endswith("5415")
    assert mlperf.size_bytes == 98_496 and mlperf.input_range == "0..255"
    for model in pretrained_models().values():
        assert model.input_range in INPUT_RANGES
        assert 0.0 < model.accuracy_int8 <= 1.0 and model.test_images == 10_000
        if model.shipped and model.mirror_of is None:  # trained by a recipe
            assert model.command and model.epochs and model.train_seconds
            assert model.accuracy_float is not None
            # int8 at most half a point under float
            assert model.accuracy_float - model.accuracy_int8 <= 0.005


@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_files_match_the_manifest(name: str) -> None:
    model = pretrained_models()[name]
    path = pretrained_path(model, Path("/nonexistent"))
    assert path.stat().st_size == model.size_bytes < 1_700_000
    assert sha256_file(path) == model.sha256
    from platformio_tinyml.model_info import read_model

    info = read_model(path.read_bytes(), source=name)
    assert info.macs == model.macs
    assert info.input.dtype == "int8" and info.output.dtype == "int8"


def test_an_altered_shipped_file_is_refused(tmp_path: Path) -> None:
    model = pretrained_models()[SHIPPED[0]]
    fake = PretrainedModel(**{**model.__dict__, "sha256": "0" * 64})
    with pytest.raises(ModelSourceError, match="reinstall platformio-tinyml"):
        pretrained_path(fake, tmp_path)


def _check_accuracy(model: PretrainedModel, dataset: Dataset, samples: int) -> None:
    from platformio_tinyml.verification import evaluate_accuracy, measure_arena

    data = pretrained_path(model, Path("/nonexistent")).read_bytes()
    accuracy = evaluate_accuracy(data, dataset, samples=samples)
    if samples == 0:
        assert accuracy == pytest.approx(model.accuracy_int8, abs=6e-5)
        assert measure_arena(data) == model.arena_bytes
        return
    # A seeded sample: within 4 standard errors of the recorded full-set accuracy.
    p = model.accuracy_int8
    bound = 4 * math.sqrt(p * (1 - p) / samples) + 1.0 / samples
    assert abs(accuracy - p) <= bound, (accuracy, p)


@pytest.mark.tflm
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_accuracy_on_a_seeded_sample(
    name: str, shared_datasets_dir: Path | None
) -> None:
    _tflm()
    model = pretrained_models()[name]
    _check_accuracy(model, _dataset(model.dataset, shared_datasets_dir), 300)


@pytest.mark.slow
@pytest.mark.tflm
@pytest.mark.parametrize("name", SHIPPED)
def test_shipped_accuracy_on_the_whole_test_split(
    name: str, shared_datasets_dir: Path | None
) -> None:
    _tflm()
    model = pretrained_models()[name]
    _check_accuracy(model, _dataset(model.dataset, shared_datasets_dir), 0)


# --- The pinned upstream MLPerf Tiny ResNet-8 -------------------------------------


def test_mlperf_resnet8_is_fetched_by_url_and_sha256(
    mlperf_mirror: Path, tmp_path: Path
) -> None:
    model = find_pretrained("mlperf_resnet8")
    assert model is not None
    assert download_url(model) == mlperf_mirror.as_uri()
    path = pretrained_path(model, tmp_path / "cache")
    assert path.read_bytes() == mlperf_mirror.read_bytes()
    assert path.is_relative_to(tmp_path / "cache" / "downloads" / model.sha256)
    mlperf_mirror.write_bytes(b"TFL3 altered")
    with pytest.raises(ModelSourceError, match="sha256"):
        pretrained_path(model, tmp_path / "other-cache")


@pytest.mark.tflm
def test_mlperf_resnet8_needs_its_inferred_input_range(
    mlperf_mirror: Path, shared_datasets_dir: Path | None
) -> None:
    """Raw 0..255 pixels (inferred from scale 1, zero point -128) give the model's
    accuracy; the zoo's 0..1 gives chance. On the JPEG re-encoded CIFAR-10 test
    split the model scores 75.6% (87.9% is its figure on lossless images)."""
    _tflm()
    from platformio_tinyml.verification import evaluate_accuracy, model_input_range

    cifar = _dataset("cifar10", shared_datasets_dir)
    sample = sample_test_split(cifar, 300)
    data = mlperf_mirror.read_bytes()
    assert model_input_range(data) == (
        INPUT_RANGES["0..255"],
        "inferred from the input quantization",
    )
    assert evaluate_accuracy(data, sample) >= 0.68
    assert evaluate_accuracy(data, sample, input_range=INPUT_RANGES["0..1"]) <= 0.2


# --- Building from a shipped model ------------------------------------------------


@pytest.mark.tflm
def test_first_generate_of_a_shipped_zoo_model_trains_nothing(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, shared_datasets_dir: Path | None
) -> None:
    _tflm()
    from platformio_tinyml import pipeline, training

    _dataset("mnist", shared_datasets_dir)
    calls: list[str] = []

    def no_training(*args: object, **kwargs: object) -> None:
        calls.append("fit")
        raise AssertionError("a shipped zoo model must not be trained")

    monkeypatch.setattr(training, "_fit", no_training)
    cache = tmp_path / "cache"
    cfg = TinyMLConfig(
        model="mnist_lenet5",
        dataset="mnist",
        datasets_dir=shared_datasets_dir,
        images=2,
        verify_samples=200,
    )
    messages: list[str] = []
    result = pipeline.generate(
        cfg, tmp_path / "out", cache_dir=cache, log=messages.append
    )
    model = pretrained_models()["mnist_lenet5"]
    assert calls == [] and not list(cache.rglob("*.keras"))
    assert result.model_bytes == model.size_bytes
    assert result.tflite_path == pretrained.ZOO_MODELS_DIR / "mnist_lenet5.tflite"
    assert any("shipped int8 model, no training" in m for m in messages)
    assert result.input_range == "0..1" and result.warnings == ()
    assert "pixels as 0..1 (inferred from the input quantization)" in result.summary()
    # The float figure is the manifest's, measured elsewhere: the summary says so.
    assert (
        f"float     {model.accuracy_float * 100:.2f}% (float model on 10,000 mnist "
        "test images, from the zoo manifest)"
    ) in result.summary().splitlines()
    # Explicit epochs retrain (here: the guard above fires).
    with pytest.raises(AssertionError, match="must not be trained"):
        pipeline.generate(
            cfg.replace(epochs=1), tmp_path / "out2", cache_dir=cache, log=print
        )
    assert calls == ["fit"]


@pytest.mark.tflm
def test_generate_with_only_a_zoo_name_uses_its_dataset_and_trains_nothing(
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    shared_datasets_dir: Path | None,
    capsys: pytest.CaptureFixture[str],
) -> None:
    """``tinyml generate --model cifar10_resnet8_mirror``: no --dataset, empty cache."""
    _tflm()
    from platformio_tinyml import training
    from platformio_tinyml.cli import main

    _dataset("cifar10", shared_datasets_dir)
    monkeypatch.setenv("TINYML_DATASETS_DIR", str(shared_datasets_dir))

    def no_training(*args: object, **kwargs: object) -> None:
        raise AssertionError("a shipped zoo model must not be trained")

    monkeypatch.setattr(training, "_fit", no_training)
    out = tmp_path / "out"
    argv = ["--cache-dir", str(tmp_path / "cache"), "generate"]
    argv += ["--model", "cifar10_resnet8_mirror", "--verify-samples", "100"]
    assert main([*argv, "--images", "2", "--out-dir", str(out)]) == 0
    summary = capsys.readouterr().out
    assert "zoo:cifar10_resnet8_mirror" in summary and "CIFAR-10" in summary
    assert "runtime   aot" in summary  # REVERSE_V2 has an AOT kernel
    assert (out / "cifar10_resnet8_mirror_aot.c").is_file()


@pytest.mark.tflm
def test_generate_mlperf_resnet8_states_the_range_and_warns_when_forced(
    mlperf_mirror: Path, tmp_path: Path, shared_datasets_dir: Path | None
) -> None:
    _tflm()
    from platformio_tinyml import pipeline

    _dataset("cifar10", shared_datasets_dir)
    cfg = TinyMLConfig(
        model="mlperf_resnet8",
        dataset="cifar10",
        datasets_dir=shared_datasets_dir,
        images=2,
        verify_samples=150,
    )
    result = pipeline.generate(cfg, tmp_path / "out", cache_dir=tmp_path / "cache")
    assert result.model_source == "zoo:mlperf_resnet8" and result.warnings == ()
    assert "pixels as 0..255 (inferred from the input quantization)" in (
        result.summary()
    )
    assert result.accuracy is not None and result.accuracy >= 0.6
    settings = (tmp_path / "out" / "mlperf_resnet8_model_settings.cpp").read_text()
    lut = settings.split("kInputQuantLut[256] = {")[1].split("}")[0]
    assert [int(v) for v in lut.replace(",", " ").split()] == [
        p - 128 for p in range(256)
    ]
    forced = pipeline.generate(
        cfg.replace(input_range=INPUT_RANGES["0..1"]),
        tmp_path / "forced",
        cache_dir=tmp_path / "cache",
    )
    assert forced.accuracy is not None and forced.accuracy <= 0.2
    assert len(forced.warnings) == 1 and "near chance" in forced.warnings[0]
    assert "warning   accuracy" in forced.summary()


@pytest.mark.tflm
def test_the_embedded_subset_warns_that_it_overstates_a_shipped_model(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    _tflm()
    from platformio_tinyml import pipeline
    from platformio_tinyml.dataset_sources import resolve_source

    monkeypatch.delenv("TINYML_DATASETS_DIR", raising=False)
    monkeypatch.setenv("KERAS_HOME", str(tmp_path / "keras"))
    # No datasets folder named: the embedded subset (a named folder without
    # mnist.npz is an error, never a silent fallback).
    if resolve_source("mnist", None).kind != "embedded":
        pytest.skip("the embedded MNIST subset is not installed")
    cfg = TinyMLConfig(model="mnist_dense", images=0, verify_samples=100)
    result = pipeline.generate(cfg, tmp_path / "out", cache_dir=tmp_path / "cache")
    model = pretrained_models()["mnist_dense"]
    assert len(result.warnings) == 1
    assert f"scores {model.accuracy_int8 * 100:.2f}% int8" in result.warnings[0]
