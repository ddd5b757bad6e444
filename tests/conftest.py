# SPDX-License-Identifier: Apache-2.0
"""Shared pytest fixtures: dataset locations, a synthetic dataset, one tiny int8 model.

Fixtures for other test modules:

* ``shared_datasets_dir`` (session): the folder with ``mnist.npz`` /
  ``cifar10_jpg.tar.gz`` (``$TINYML_DATASETS_DIR``, else ``../shared/datasets`` beside
  the repository), or None when absent. Tests needing it skip with a reason.
* ``synthetic_dataset`` (session): a learnable 10-class 28x28x1 ``Dataset`` (600
  train / 100 test). Class *k* is a bright 7x7 block at a fixed spot, plus noise.
* ``tiny_int8_model`` (session, needs TensorFlow): ``mnist_dense`` trained for 2
  epochs on ``synthetic_dataset`` through ``training.train_model`` and converted by
  ``quantization.convert_model`` to full int8 (a few seconds). A :class:`TinyModel`
  with ``keras_path``, ``tflite`` (bytes), ``tflite_path`` and ``dataset``.
* ``tiny_float_model`` (session, needs TensorFlow): the same model as float32
  ``.tflite`` bytes.
* ``tmp_cache_dir``: an empty cache directory, also set as ``$TINYML_CACHE_DIR``.

Hooks that keep the suite honest:

* every run gets a private ``--basetemp`` (unless one is given), so two runs on one
  machine never clean each other's numbered ``/tmp/pytest-of-<user>`` folders;
* a test marked ``tensorflow``, ``tflm``, ``pio``, ``qemu`` or ``compiler`` is skipped,
  with the reason, when what the marker names is not installed;
* the run ends with one summary of what did not run, grouped by cause.
"""

from __future__ import annotations

import importlib.util
import os
import re
import shutil
import subprocess
import sys
import tempfile
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import pytest

from platformio_tinyml.datasets import MNIST_CLASSES, Dataset

REPO_ROOT = Path(__file__).resolve().parent.parent
# The developer tools (``devtools/``) are not in the wheel: import them from the
# checkout. Appended, so an installed platformio_tinyml still wins over the tree.
if str(REPO_ROOT) not in sys.path:
    sys.path.append(str(REPO_ROOT))


@dataclass(frozen=True)
class TinyModel:
    """The session's tiny trained model, in every form tests need."""

    keras_path: Path
    tflite: bytes
    tflite_path: Path
    dataset: Dataset


@pytest.fixture(scope="session")
def shared_datasets_dir() -> Path | None:
    """``$TINYML_DATASETS_DIR`` or ``../shared/datasets``; None if neither exists."""
    env = os.environ.get("TINYML_DATASETS_DIR")
    candidates = [Path(env)] if env else []
    candidates.append(REPO_ROOT.parent / "shared" / "datasets")
    for path in candidates:
        if (path / "mnist.npz").is_file() or (path / "cifar10_jpg.tar.gz").is_file():
            return path
    return None


def make_synthetic_dataset(
    n_train: int = 600, n_test: int = 100, seed: int = 0
) -> Dataset:
    """A learnable 10-class dataset of 28x28x1 uint8 images (see module docstring)."""
    rng = np.random.default_rng(seed)

    def split(n: int) -> tuple[np.ndarray, np.ndarray]:
        labels = np.arange(n, dtype=np.int64) % 10
        images = rng.integers(0, 60, size=(n, 28, 28, 1), dtype=np.uint8)
        for i, label in enumerate(labels):
            row, col = divmod(int(label), 4)
            images[i, 2 + 7 * row : 9 + 7 * row, 1 + 7 * col : 8 + 7 * col, 0] = 255
        return images, labels

    x_train, y_train = split(n_train)
    x_test, y_test = split(n_test)
    return Dataset(
        name="synthetic",
        x_train=x_train,
        y_train=y_train,
        x_test=x_test,
        y_test=y_test,
        class_names=MNIST_CLASSES,
        description="synthetic blocks (tests)",
        fingerprint=f"synthetic-{n_train}-{n_test}-{seed}",
    )


@pytest.fixture(scope="session")
def synthetic_dataset() -> Dataset:
    """A 10-class 28x28x1 dataset a dense model learns in one or two epochs."""
    return make_synthetic_dataset()


@pytest.fixture(scope="session")
def _tiny_trained(
    tmp_path_factory: pytest.TempPathFactory, synthetic_dataset: Dataset
) -> Path:
    pytest.importorskip("tensorflow", reason="tiny model fixtures need TensorFlow")
    from platformio_tinyml.training import train_model

    cache = tmp_path_factory.mktemp("tiny-model-cache")
    trained = train_model(
        "mnist_dense",
        synthetic_dataset,
        epochs=2,
        seed=1,
        cache_dir=cache,
        progress=False,
    )
    return trained.path


@pytest.fixture(scope="session")
def tiny_int8_model(
    tmp_path_factory: pytest.TempPathFactory,
    _tiny_trained: Path,
    synthetic_dataset: Dataset,
) -> TinyModel:
    """``mnist_dense`` trained on the synthetic data and converted to full int8."""
    from platformio_tinyml.quantization import convert_model

    data = convert_model(
        _tiny_trained,
        quantization="int8",
        dataset=synthetic_dataset,
        representative_samples=100,
    )
    path = tmp_path_factory.mktemp("tiny-int8") / "tiny_int8.tflite"
    path.write_bytes(data)
    return TinyModel(_tiny_trained, data, path, synthetic_dataset)


@pytest.fixture(scope="session")
def tiny_float_model(
    tmp_path_factory: pytest.TempPathFactory,
    _tiny_trained: Path,
    synthetic_dataset: Dataset,
) -> TinyModel:
    """The same trained model as a float32 ``.tflite``."""
    from platformio_tinyml.quantization import convert_model

    data = convert_model(_tiny_trained, quantization="float32", dataset=None)
    path = tmp_path_factory.mktemp("tiny-float") / "tiny_float.tflite"
    path.write_bytes(data)
    return TinyModel(_tiny_trained, data, path, synthetic_dataset)


@pytest.fixture(scope="session")
def shipped_model() -> Callable[[str], bytes]:
    """The bytes of a zoo model shipped in the package, by name."""
    from platformio_tinyml.pretrained import find_pretrained, pretrained_path

    def read(name: str) -> bytes:
        entry = find_pretrained(name)
        assert entry is not None and entry.shipped, name
        return pretrained_path(entry, Path("/nonexistent")).read_bytes()

    return read


# A local git mirror of mlcommons/tiny (``$TINYML_MIRRORS_DIR/mlcommons+tiny/repo``)
# stands in for the network when a test needs the pinned MLPerf Tiny ResNet-8.
MLPERF_MIRROR = (
    Path(os.environ.get("TINYML_MIRRORS_DIR", "/work/.mirror"))
    / "mlcommons+tiny"
    / "repo"
)
MLPERF_PATH = (
    "benchmark/training/image_classification/trained_models/"
    "pretrainedResnet_quant.tflite"
)


@pytest.fixture
def mlperf_mirror(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A file:// mirror of raw.githubusercontent.com holding the pinned model,
    copied from a local git mirror of mlcommons/tiny (the network stand-in)."""
    if not (MLPERF_MIRROR / "HEAD").is_file():
        pytest.skip(f"no local git mirror of mlcommons/tiny at {MLPERF_MIRROR}")
    from platformio_tinyml import pretrained

    model = pretrained.find_pretrained("mlperf_resnet8")
    assert model is not None and model.url is not None
    rel = model.url[len(pretrained.GITHUB_RAW) :]  # mlcommons/tiny/<commit>/<path>
    commit = rel.split("/")[2]
    data = subprocess.run(
        ["git", f"--git-dir={MLPERF_MIRROR}", "show", f"{commit}:{MLPERF_PATH}"],
        capture_output=True,
        check=True,
    ).stdout
    target = tmp_path / "mirror" / rel
    target.parent.mkdir(parents=True)
    target.write_bytes(data)
    monkeypatch.setenv(pretrained.MIRROR_ENV, (tmp_path / "mirror").as_uri())
    return target


@pytest.fixture
def tmp_cache_dir(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """An empty cache directory, also exported as ``$TINYML_CACHE_DIR``."""
    cache = tmp_path / "cache"
    cache.mkdir()
    monkeypatch.setenv("TINYML_CACHE_DIR", str(cache))
    return cache


# --- Run isolation, marker gating and the "did not run" summary ---


def pytest_configure(config: pytest.Config) -> None:
    """A private base temp folder, unless the caller chose one."""
    if config.option.basetemp is None and not hasattr(config, "workerinput"):
        config.option.basetemp = tempfile.mkdtemp(prefix="pytest-tinyml-")
        config.stash[_PRIVATE_BASETEMP] = config.option.basetemp


def pytest_unconfigure(config: pytest.Config) -> None:
    """Remove the private base temp folder after a run that passed."""
    path = config.stash.get(_PRIVATE_BASETEMP, None)
    if path and config.stash.get(_RUN_PASSED, False):
        shutil.rmtree(path, ignore_errors=True)


def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    session.config.stash[_RUN_PASSED] = exitstatus == 0


_PRIVATE_BASETEMP = pytest.StashKey[str]()
_RUN_PASSED = pytest.StashKey[bool]()


def _importable(module: str) -> bool:
    try:
        return importlib.util.find_spec(module) is not None
    except (ImportError, ValueError):
        return False


def _first_on_path(*tools: str) -> str | None:
    return next((tool for tool in tools if shutil.which(tool)), None)


# marker -> (is it available?, why not)
_MARKER_NEEDS = {
    "tensorflow": (
        lambda: _importable("tensorflow"),
        "tensorflow is not installed (pip install -e '.[train]')",
    ),
    "tflm": (
        lambda: _importable("tflite_micro"),
        "tflite_micro is not installed (pip install -e '.[verify]')",
    ),
    "pio": (
        lambda: _importable("platformio") and _importable("SCons"),
        "platformio/scons are not installed (pip install -e '.[pio]')",
    ),
    "qemu": (
        lambda: _first_on_path("qemu-system-arm") is not None,
        "qemu-system-arm is not on PATH (apt-get install qemu-system-arm)",
    ),
    "compiler": (
        lambda: _first_on_path("g++", "c++", "arm-none-eabi-g++") is not None,
        "no C++ compiler on PATH (apt-get install g++ gcc-arm-none-eabi)",
    ),
}


def pytest_collection_modifyitems(
    config: pytest.Config, items: list[pytest.Item]
) -> None:
    """Skip marked tests whose dependency is absent, instead of failing them."""
    available: dict[str, bool] = {}
    for item in items:
        for marker, (check, reason) in _MARKER_NEEDS.items():
            if item.get_closest_marker(marker) is None:
                continue
            if marker not in available:
                available[marker] = check()
            if not available[marker]:
                item.add_marker(pytest.mark.skip(reason=reason))
                break


# Skip reasons grouped into causes, first match wins.
_SKIP_CAUSES: tuple[tuple[str, str], ...] = (
    (
        r"TINYML_MIRRORS_DIR|git mirror",
        "missing upstream git mirrors (set TINYML_MIRRORS_DIR)",
    ),
    (r"tflite-micro (checkout|sources)|TINYML_TFLM_DIR", "missing TFLM checkout"),
    (r"STM32Cube|vendor|BSP|HAL|CMSIS-device|MCUXpresso", "missing vendor headers"),
    (r"[Zz]ephyr", "missing Zephyr tree"),
    (
        r"mnist|MNIST|cifar|CIFAR|TINYML_DATASETS_DIR|dataset",
        "missing datasets (set TINYML_DATASETS_DIR)",
    ),
    (
        r"(?i)tensorflow|tflite_micro|platformio|matplotlib|scons|mlxtend|extra\b|\[",
        "missing Python extras",
    ),
    (r"PATH|apt-get|not installed|qemu|objcopy|patch", "missing system tools"),
)


def _skip_cause(reason: str) -> str:
    for pattern, cause in _SKIP_CAUSES:
        if re.search(pattern, reason):
            return cause
    return "other"


def pytest_terminal_summary(
    terminalreporter: pytest.TerminalReporter, exitstatus: int, config: pytest.Config
) -> None:
    """One closing summary of every test that did not run, grouped by cause."""
    kept = config.stash.get(_PRIVATE_BASETEMP, None)
    if kept and exitstatus != 0:
        terminalreporter.write_line(f"temporary files of this run are kept in {kept}")
    causes: Counter[str] = Counter()
    examples: dict[str, str] = {}
    for report in terminalreporter.stats.get("skipped", []):
        longrepr = report.longrepr
        reason = longrepr[2] if isinstance(longrepr, tuple) else str(longrepr)
        reason = reason.removeprefix("Skipped: ")
        cause = _skip_cause(reason)
        causes[cause] += 1
        examples.setdefault(cause, reason)
    deselected = len(terminalreporter.stats.get("deselected", []))
    terminalreporter.section("what did not run", sep="=")
    if not causes and not deselected:
        terminalreporter.write_line("everything collected ran")
        return
    for cause, count in causes.most_common():
        terminalreporter.write_line(
            f"{count:5d} skipped: {cause} (e.g. {examples[cause]})"
        )
    if deselected:
        terminalreporter.write_line(
            f"{deselected:5d} deselected (-m, -k; the default -m skips slow tests)"
        )


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--update-golden",
        action="store_true",
        default=False,
        help="rewrite tests/golden/ from the current generator output",
    )


def _register_hypothesis_profiles() -> None:
    """'ci' (default): derandomized, no example database; 'long': more examples.

    Select with TINYML_FUZZ_PROFILE. Registered here so that every test module gets
    the same settings whatever the collection order (and no .hypothesis folder).
    """
    try:
        from hypothesis import HealthCheck, settings
    except ImportError:  # the fuzz tests skip without hypothesis
        return
    settings.register_profile(
        "ci",
        derandomize=True,
        database=None,
        max_examples=300,
        deadline=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large],
    )
    settings.register_profile(
        "long",
        derandomize=False,
        database=None,
        max_examples=15_000,
        deadline=None,
        suppress_health_check=list(HealthCheck),
    )
    settings.load_profile(os.environ.get("TINYML_FUZZ_PROFILE", "ci"))


_register_hypothesis_profiles()
