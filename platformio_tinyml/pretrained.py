# SPDX-License-Identifier: Apache-2.0
"""Pretrained zoo models: int8 models shipped in the package, and pinned upstream ones.

``zoo_models/zoo_models.json`` lists every pretrained model. A *shipped* entry names a
file in ``zoo_models/`` that the committed training recipe produced (see
``devtools/zoo_build.py``); an *upstream* entry names a URL pinned by sha256, fetched
once into the model cache. Either way a zoo name then builds without any training.
Stdlib only: nothing here imports TensorFlow or NumPy.
"""

from __future__ import annotations

import json
import os
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path
from typing import Any

from .errors import ConfigError, ModelSourceError
from .fileio import sha256_file

ZOO_MODELS_DIR = Path(__file__).resolve().parent / "zoo_models"
MANIFEST_PATH = ZOO_MODELS_DIR / "zoo_models.json"

# Upstream models are fetched from raw GitHub URLs; a mirror (for example an offline
# copy laid out as <owner>/<repo>/<commit>/<path>) replaces this prefix.
GITHUB_RAW = "https://raw.githubusercontent.com/"
MIRROR_ENV = "TINYML_ZOO_MIRROR"


@dataclass(frozen=True)
class PretrainedModel:
    """One entry of the pretrained-model manifest.

    Attributes:
        name: the zoo name (``custom_tinyml_model``).
        dataset: the dataset it was trained and measured on.
        sha256: sha256 of the int8 ``.tflite``.
        size_bytes: size of the ``.tflite``.
        accuracy_int8: top-1 of the int8 model on the whole test split (host TFLM).
        accuracy_float: the same for the float model, when known.
        test_images: test images measured.
        macs: multiply-accumulates per inference.
        arena_bytes: host-measured TFLM arena.
        input_range: the pixel range the model expects (``0..1``, ``0..255``, ...).
        file: the shipped file name in ``zoo_models/`` (shipped models).
        url: the pinned download URL (upstream models).
        epochs: training epochs (shipped models).
        train_seconds: training wall-clock time on the reference machine.
        command: the command that reproduces the model.
        origin: where the weights come from, for humans.
        init_from: the pretrained model the training started from, if any.
        mirror_of: the zoo model this one averages over each image and its mirror
            image (:mod:`platformio_tinyml.mirror`), if any.
    """

    name: str
    dataset: str
    sha256: str
    size_bytes: int
    accuracy_int8: float
    accuracy_float: float | None
    test_images: int
    macs: int
    arena_bytes: int
    input_range: str = "0..1"
    file: str | None = None
    url: str | None = None
    epochs: int | None = None
    train_seconds: float | None = None
    command: str | None = None
    origin: str = ""
    init_from: str | None = None
    mirror_of: str | None = None

    @property
    def shipped(self) -> bool:
        """True when the model file is part of the package."""
        return self.file is not None


def _entry(name: str, raw: dict[str, Any]) -> PretrainedModel:
    fields = set(PretrainedModel.__dataclass_fields__) - {"name"}
    return PretrainedModel(name=name, **{k: v for k, v in raw.items() if k in fields})


@lru_cache(maxsize=1)
def _manifest() -> dict[str, PretrainedModel]:
    if not MANIFEST_PATH.is_file():
        return {}
    raw = json.loads(MANIFEST_PATH.read_text(encoding="utf-8"))
    return {name: _entry(name, value) for name, value in raw.items()}


def pretrained_models() -> dict[str, PretrainedModel]:
    """Every pretrained model of the manifest, by zoo name."""
    return dict(_manifest())


def find_pretrained(name: str) -> PretrainedModel | None:
    """The pretrained entry called ``name``, or None."""
    return _manifest().get(name)


def download_url(model: PretrainedModel) -> str:
    """The URL to fetch an upstream model from (``$TINYML_ZOO_MIRROR`` applied)."""
    if model.url is None:
        raise ConfigError(f"zoo model '{model.name}' is shipped, not downloaded")
    mirror = os.environ.get(MIRROR_ENV, "").strip()
    if mirror and model.url.startswith(GITHUB_RAW):
        return mirror.rstrip("/") + "/" + model.url[len(GITHUB_RAW) :]
    return model.url


def pretrained_path(model: PretrainedModel, cache_dir: Path) -> Path:
    """A local, sha256-verified path to the model's int8 ``.tflite``.

    Shipped models are read from the package; upstream models are downloaded once
    into ``cache_dir/downloads/<sha256>/``.

    Raises:
        ModelSourceError: the shipped file is missing or altered, or the download
            failed or does not match the pinned sha256.
    """
    if model.file is not None:
        path = ZOO_MODELS_DIR / model.file
        if not path.is_file():
            raise ModelSourceError(
                f"shipped zoo model '{path}' is missing; reinstall platformio-tinyml "
                f"or retrain with custom_tinyml_epochs"
            )
        actual = sha256_file(path)
        if actual != model.sha256:
            raise ModelSourceError(
                f"shipped zoo model '{path}' has sha256 '{actual}' but the manifest "
                f"says '{model.sha256}'; reinstall platformio-tinyml"
            )
        return path
    from .model_sources import fetch_model

    return fetch_model(download_url(model), sha256=model.sha256, cache_dir=cache_dir)


__all__ = [
    "MANIFEST_PATH",
    "MIRROR_ENV",
    "ZOO_MODELS_DIR",
    "PretrainedModel",
    "download_url",
    "find_pretrained",
    "pretrained_models",
    "pretrained_path",
]
