# SPDX-License-Identifier: Apache-2.0
"""Sequences the stages from options to generated files: the one place that does.

``config → model source (zoo training | file | URL) → quantized .tflite → host TFLM
verification → packed test images with goldens → rendered sources → files``.

Expensive stages are cached in ``cache_dir`` by the hash of everything they depend on,
under an inter-process lock, so two builds of one project never train or convert the
same thing twice and never see a half-written cache entry.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any

from . import __version__
from .config import TinyMLConfig
from .errors import ConfigError, DependencyError, TinyMLError
from .fileio import (
    GeneratedFile,
    file_lock,
    sha256_file,
    write_atomic,
    write_files,
)

if TYPE_CHECKING:
    from .aot import CompiledModel
    from .datasets import Dataset
    from .model_info import ModelInfo
    from .runtimes import RuntimeChoice
    from .verification import VerificationReport

Log = Callable[[str], None]

# Generated files whose compilation needs TFLM headers (see docs/design.md).
_TFLM_SUFFIX = "_model.cpp"


def _quiet(_message: str) -> None:
    pass


@dataclass(frozen=True)
class ModelStage:
    """A model ready for code generation: .tflite bytes and facts about it."""

    tflite: bytes
    tflite_path: Path
    source: str
    float_accuracy: float | None
    float_accuracy_note: str = ""  # where the float figure was measured


@dataclass(frozen=True)
class GenerationResult:
    """What ``generate`` produced, for the build integration, the CLI and reports."""

    out_dir: Path
    files: tuple[Path, ...]
    changed: tuple[Path, ...]
    sources: tuple[Path, ...]
    tflm_sources: tuple[Path, ...]
    stem: str
    model_source: str
    tflite_path: Path
    model_bytes: int
    arena_size: int
    measured_arena: int
    ops: tuple[str, ...]
    macs: int
    accuracy: float | None
    float_accuracy: float | None
    bit_exact_fraction: float | None
    verify_samples: int
    dataset: str | None
    images: int
    image_format: str
    labels: tuple[str, ...]
    test_split: str | None = None  # how the accuracy's test images were chosen
    runtime: str = "tflm"  # what runs the model on the device: "aot" or "tflm"
    # Flash the model takes on the device: the flatbuffer, or the compiled model's
    # constants (weights re-ordered, some widened) with runtime aot.
    flash_model_bytes: int | None = None
    runtime_reason: str = ""
    input_range: str = "0..1"
    input_range_source: str = "default"
    warnings: tuple[str, ...] = ()
    float_accuracy_note: str = ""  # where float_accuracy was measured

    def to_json(self) -> dict[str, Any]:
        """A JSON-safe dict (paths as strings)."""
        out: dict[str, Any] = {}
        for key, value in self.__dict__.items():
            if isinstance(value, Path):
                value = str(value)
            elif isinstance(value, tuple):
                value = [str(v) if isinstance(v, Path) else v for v in value]
            out[key] = value
        return out

    def summary(self) -> str:
        """A few human lines: model, arena, ops, accuracy, outputs."""
        acc = "n/a" if self.accuracy is None else f"{self.accuracy * 100:.2f}%"
        # The float figure comes from elsewhere (training, or the shipped model's
        # manifest), so it is named with where it was measured.
        float_line = (
            []
            if self.float_accuracy is None
            else [
                f"float     {self.float_accuracy * 100:.2f}%"
                + (f" ({self.float_accuracy_note})" if self.float_accuracy_note else "")
            ]
        )
        lines = [
            f"model     {self.model_source}: {self.model_bytes:,} bytes, "
            f"{self.macs:,} MACs",
            f"arena     {self.arena_size:,} bytes "
            f"(host TFLM measured {self.measured_arena:,})",
            f"ops       {', '.join(self.ops)}",
            f"runtime   {self.runtime} ({self.runtime_reason})",
            f"accuracy  {acc} on {self.verify_samples} test images (host TFLM)",
            *float_line,
            f"input     pixels as {self.input_range} ({self.input_range_source})",
        ]
        if self.accuracy is not None and self.test_split:
            lines.append(f"test set  {self.test_split}")
        if self.bit_exact_fraction is not None:
            lines.append(
                f"tf.lite   {self.bit_exact_fraction * 100:.2f}% of output rows "
                "bit-exact with TFLM"
            )
        if self.images:
            lines.append(
                f"images    {self.images} × {self.image_format} from {self.dataset}"
            )
        lines.append(f"sources   {self.out_dir} ({len(self.files)} files)")
        lines += [f"warning   {w}" for w in self.warnings]
        return "\n".join(lines)


# --- Model source ------------------------------------------------------------------


def resolve_paths(cfg: TinyMLConfig, base_dir: Path) -> TinyMLConfig:
    """Make the config's file paths absolute and normalized against ``base_dir``.

    The one implementation for the CLI and the build: SCons runs library scripts
    with the library as the working directory, so a relative
    ``custom_tinyml_model = models/m.tflite`` must be anchored to the project before
    any stage sees it. Zoo names and URLs are left alone.
    """
    from .model_sources import model_source_kind

    def anchor(path: Path) -> Path:
        return (Path(base_dir) / path.expanduser()).resolve()

    changes: dict[str, Any] = {}
    if model_source_kind(cfg.model) == "path":
        changes["model"] = str(anchor(Path(cfg.model)))
    # "folder:" with no path stays empty (an error), never the project folder.
    if cfg.dataset.startswith("folder:") and cfg.dataset[len("folder:") :].strip():
        changes["dataset"] = "folder:" + str(
            anchor(Path(cfg.dataset[len("folder:") :]))
        )
    for name in ("datasets_dir", "tflm_dir"):
        value = getattr(cfg, name)
        if value is not None and not value.is_absolute():
            changes[name] = anchor(value)
    return cfg.replace(**changes) if changes else cfg


def model_stem(cfg: TinyMLConfig) -> str:
    """The C symbol stem: ``symbol_prefix`` or the sanitized model name."""
    from .codegen.identifiers import assert_valid_identifier, to_c_identifier
    from .model_sources import MODEL_SUFFIXES

    if cfg.symbol_prefix:
        assert_valid_identifier(cfg.symbol_prefix, option="symbol_prefix")
        return cfg.symbol_prefix
    name = cfg.model.rstrip("/").replace("\\", "/").rsplit("/", 1)[-1]
    for suffix in MODEL_SUFFIXES:
        if name.lower().endswith(suffix):
            name = name[: -len(suffix)]
    return to_c_identifier(name or "model")


def _zoo_names() -> tuple[str, ...]:
    from .pretrained import pretrained_models
    from .zoo import ARCHITECTURES

    return tuple(dict.fromkeys([*ARCHITECTURES, *pretrained_models()]))


def input_fingerprint(cfg: TinyMLConfig, project_dir: Path) -> str:
    """A cheap hash of every input of :func:`generate` (never imports TensorFlow).

    Covers the options, the package version, the model file's bytes when the model is a
    local file, and the dataset's fingerprint (its file's size and mtime, not contents).
    """
    from .dataset_sources import dataset_fingerprint
    from .model_sources import model_source_kind

    cfg = resolve_paths(cfg, project_dir)
    parts = [__version__, cfg.fingerprint()]
    from .pretrained import find_pretrained

    pretrained = find_pretrained(cfg.model)
    if pretrained is not None:
        parts.append(pretrained.sha256)
    if model_source_kind(cfg.model) == "path":
        path = Path(cfg.model)
        if path.is_file():
            parts.append(sha256_file(path))
        elif path.is_dir():
            for item in sorted(path.rglob("*")):
                if item.is_file():
                    stat = item.stat()
                    parts.append(f"{item}:{stat.st_size}:{stat.st_mtime_ns}")
        else:
            parts.append("missing:" + str(path))
    try:
        parts.append(dataset_fingerprint(cfg.dataset, cfg.datasets_dir))
    except TinyMLError as exc:
        parts.append("dataset-error:" + str(exc))
    return hashlib.sha256("\n".join(parts).encode()).hexdigest()


class _Lazy:
    """Loads the dataset at most once, only if a stage needs it."""

    def __init__(self, cfg: TinyMLConfig, log: Log) -> None:
        self._cfg = cfg
        self._log = log
        self._dataset: Dataset | None = None
        self.image_size: tuple[int, int] | None = None
        self.channels: int | None = None

    def get(self, for_model: str | None = None) -> Dataset:
        if self._dataset is None:
            from .datasets import load_dataset

            self._dataset = load_dataset(
                self._cfg.dataset,
                datasets_dir=self._cfg.datasets_dir,
                for_model=for_model,
                image_size=self.image_size,
                channels=self.channels,
            )
            self._log(f"dataset: {self._dataset.description}")
        return self._dataset

    @property
    def loaded(self) -> Dataset | None:
        return self._dataset


def _convert_cached(
    source: Path,
    source_id: str,
    cfg: TinyMLConfig,
    data: _Lazy,
    cache_dir: Path,
    log: Log,
) -> tuple[bytes, Path]:
    """Convert a Keras/SavedModel source to .tflite bytes, cached by every input."""
    from .dataset_sources import dataset_fingerprint
    from .quantization import convert_model

    key_parts = [__version__, source_id, cfg.quantization]
    if cfg.input_range is not None:
        key_parts.append(str(cfg.input_range))
    if cfg.quantization == "int8":
        # The calibration data's identity, not its name: a new mnist.npz recalibrates.
        key_parts += [
            str(cfg.representative_samples),
            str(cfg.seed),
            dataset_fingerprint(cfg.dataset, cfg.datasets_dir),
        ]
    key = hashlib.sha256("\n".join(key_parts).encode()).hexdigest()[:32]
    target = cache_dir / "tflite" / f"{key}.tflite"
    with file_lock(target.with_suffix(".lock")):
        if target.is_file():
            log(f"converted model cached: {target.name}")
            return target.read_bytes(), target
        dataset = data.get() if cfg.quantization == "int8" else None
        log(f"converting to {cfg.quantization} .tflite")
        tflite = convert_model(
            source,
            quantization=cfg.quantization,
            dataset=dataset,
            representative_samples=cfg.representative_samples,
            seed=cfg.seed,
            input_range=cfg.input_range,
        )
        write_atomic(target, tflite)
    return tflite, target


def _uses_pretrained(cfg: TinyMLConfig, dataset: str) -> bool:
    """A zoo name builds from its pretrained model unless the options ask to retrain.

    Explicit epochs, float32 quantization or another dataset retrain.
    """
    return cfg.epochs is None and cfg.quantization == "int8" and cfg.dataset == dataset


def resolve_model(
    cfg: TinyMLConfig, cache_dir: Path, data: _Lazy, log: Log
) -> ModelStage:
    """Train, fetch or read the model and return it as .tflite bytes."""
    from .model_info import read_model, read_model_bytes
    from .pretrained import find_pretrained, pretrained_path
    from .zoo import ARCHITECTURES

    pretrained = find_pretrained(cfg.model)
    if pretrained is not None and (
        cfg.model not in ARCHITECTURES or _uses_pretrained(cfg, pretrained.dataset)
    ):
        path = pretrained_path(pretrained, cache_dir)
        tflite = path.read_bytes()
        read_model(tflite, source=str(path))
        where = "shipped" if pretrained.shipped else "pinned upstream"
        log(f"model {cfg.model}: {where} int8 model, no training")
        note = (
            f"float model on {pretrained.test_images:,} {pretrained.dataset} test "
            "images, from the zoo manifest"
        )
        return ModelStage(
            tflite, path, f"zoo:{cfg.model}", pretrained.accuracy_float, note
        )
    if cfg.model in ARCHITECTURES:
        from .training import train_model

        arch = ARCHITECTURES[cfg.model]
        data.image_size = (arch.input_shape[0], arch.input_shape[1])
        data.channels = arch.input_shape[2]
        dataset = data.get(for_model=cfg.model)
        log(f"model {cfg.model}: reusing a cached training run or training now")
        trained = train_model(
            cfg.model, dataset, epochs=cfg.epochs, seed=cfg.seed, cache_dir=cache_dir
        )
        tflite, path = _convert_cached(
            trained.path, trained.cache_key, cfg, data, cache_dir, log
        )
        note = f"Keras, after training, on {len(dataset.y_test):,} test images"
        return ModelStage(
            tflite, path, f"zoo:{cfg.model}", trained.float_accuracy, note
        )

    from .model_sources import fetch_model, model_source_kind

    if model_source_kind(cfg.model) == "name":
        raise ConfigError(
            f"custom_tinyml_model '{cfg.model}' is neither a zoo architecture "
            f"({', '.join(_zoo_names())}) nor a model file path or URL; "
            f"write a local file or folder as './{cfg.model}'"
        )
    path = fetch_model(cfg.model, sha256=cfg.model_sha256, cache_dir=cache_dir)
    if path.is_file() and path.suffix.lower() == ".tflite":
        tflite = read_model_bytes(path)
        read_model(tflite, source=str(path))  # validates before anything else
        return ModelStage(tflite, path, cfg.model, None)
    source_id = (
        sha256_file(path)
        if path.is_file()
        else input_fingerprint(cfg.replace(model=str(path)), path.parent)
    )
    tflite, cached = _convert_cached(path, source_id, cfg, data, cache_dir, log)
    return ModelStage(tflite, cached, cfg.model, None)


# --- Verification ------------------------------------------------------------------


def _verify_cached(
    model: ModelStage,
    info: ModelInfo,
    cfg: TinyMLConfig,
    data: _Lazy,
    cache_dir: Path,
    log: Log,
) -> VerificationReport:
    from .dataset_sources import resolve_source
    from .verification import VerificationReport, verify_model

    # A named datasets folder that is missing is an error, not "no accuracy check".
    resolve_source(cfg.dataset, cfg.datasets_dir)
    dataset = None
    try:
        dataset = data.get()
    except DependencyError:
        raise
    except TinyMLError as exc:
        log(f"no dataset for the accuracy check ({exc}); measuring the arena only")
    fp = dataset.fingerprint if dataset is not None else "none"
    key = hashlib.sha256(
        "\n".join(
            [
                __version__,
                info.sha256,
                fp,
                str(cfg.verify_samples),
                str(cfg.input_range),
            ]
        ).encode()
    ).hexdigest()[:32]
    target = cache_dir / "verify" / f"{key}.json"
    if target.is_file():
        try:
            return VerificationReport(**_report_from_json(target.read_text()))
        except (ValueError, TypeError):
            pass  # a stale or foreign entry: verify again
    log("verifying with the TFLM interpreter (host)")
    report = verify_model(
        model.tflite, dataset, samples=cfg.verify_samples, input_range=cfg.input_range
    )
    write_atomic(target, json.dumps(report.__dict__, default=list).encode())
    return report


def _report_from_json(text: str) -> dict[str, Any]:
    raw = json.loads(text)
    if not isinstance(raw, dict):
        raise ValueError("not a verification report")
    raw["unsupported_ops"] = tuple(raw.get("unsupported_ops", ()))
    return raw


# --- Generation --------------------------------------------------------------------


def choose_model_runtime(
    cfg: TinyMLConfig, model: ModelStage, info: ModelInfo, stem: str
) -> tuple[RuntimeChoice, CompiledModel | None]:
    """Resolve ``runtime`` for the model, compiling it when the AOT backend runs it.

    Returns:
        The choice, and the compiled model with the AOT runtime (else None). With
        ``auto``, a model the compiler refuses (an unsupported op, or a supported
        op used in a way it does not handle) falls back to TFLM.

    Raises:
        ModelError: ``runtime = aot`` and the compiler refuses the model.
    """
    from .runtimes import AOT, TFLM, RuntimeChoice, choose_runtime

    if cfg.runtime == TFLM:
        return choose_runtime(TFLM, info, ()), None
    from .aot import compile_model, unsupported_ops
    from .codegen.aot_model import aot_name
    from .errors import ModelError

    choice = choose_runtime(cfg.runtime, info, tuple(unsupported_ops(model.tflite)))
    if choice.runtime != AOT:
        return choice, None
    try:
        compiled = compile_model(model.tflite, aot_name(stem))
    except ModelError as exc:
        if cfg.runtime == AOT:
            raise
        return RuntimeChoice(TFLM, f"auto: {exc}"), None
    return choice, compiled


def render_all(
    cfg: TinyMLConfig,
    model: ModelStage,
    info: ModelInfo,
    report: VerificationReport,
    data: _Lazy,
    stem: str,
    compiled: CompiledModel | None = None,
) -> tuple[list[GeneratedFile], int, tuple[str, ...], int]:
    """Render every generated file (pure apart from the dataset load for images).

    With the AOT runtime, the compiled model and its descriptor replace the TFLM
    op resolver, and the arena is the compiled model's exact plan.
    """
    from .codegen.c_arrays import render_model_sources
    from .codegen.model_settings import render_settings

    source_name = model.source
    if cfg.model_address is None:
        files = render_model_sources(
            model.tflite,
            stem=stem,
            mode=cfg.model_embed,
            section=cfg.model_section,
            source_name=source_name,
            incbin_path=None,
        )
    else:
        # External flash: the model is programmed separately from an Intel HEX file,
        # and the address header takes the name <stem>_model_data.h.
        from .codegen.intel_hex import render_address_header, render_model_hex

        header = render_address_header(
            stem=stem,
            address=cfg.model_address,
            size=len(model.tflite),
            source_name=source_name,
            sha256=info.sha256,
        )
        files = [
            header,
            GeneratedFile.text(
                f"{stem}_model.hex",
                render_model_hex(model.tflite, address=cfg.model_address),
            ),
        ]
    labels: tuple[str, ...]
    num_classes = info.outputs[0].shape[-1] if info.outputs else 0
    dataset = data.loaded
    if cfg.labels is not None:
        labels = cfg.labels
    elif dataset is not None:
        labels = dataset.class_names
    else:
        labels = tuple(str(i) for i in range(num_classes))
    if len(labels) != num_classes:
        raise ConfigError(
            f"custom_tinyml_labels has {len(labels)} names but the model has "
            f"{num_classes} outputs; give exactly {num_classes} comma-separated names"
        )
    image_headers: tuple[str, ...] = ()
    images = 0
    if cfg.images:
        from .codegen.image_data import render_image_set
        from .images import pack_test_set

        packed = pack_test_set(
            data.get(),
            count=cfg.images,
            fmt=cfg.image_format,
            threshold=cfg.image_threshold,
            seed=cfg.seed,
            name="test",
            model=model.tflite,
            model_info=info,
            class_names=labels,
            input_range=cfg.input_range,
        )
        image_files = render_image_set(packed, source_name=f"dataset {cfg.dataset}")
        files += image_files
        image_headers = tuple(
            str(f.path) for f in image_files if str(f.path).endswith(".h")
        )
        images = packed.count
    aot = compiled is not None
    arena = cfg.arena_margin.apply(report.arena_bytes)
    if compiled is not None:
        from .codegen.aot_model import aot_arena, render_aot_model

        arena = aot_arena(compiled).total
        files += render_aot_model(
            compiled,
            stem=stem,
            source_name=source_name,
            sha256=info.sha256,
            int8_input=info.input.dtype == "int8",
        )
    files += render_settings(
        info,
        stem=stem,
        labels=labels,
        arena_size=arena,
        measured_arena=report.arena_bytes,
        source_name=source_name,
        image_headers=image_headers,
        runtime="aot" if aot else "tflm",
        input_range=cfg.input_range,
    )
    return files, arena, labels, images


def generate(
    cfg: TinyMLConfig,
    out_dir: Path,
    *,
    cache_dir: Path,
    base_dir: Path | None = None,
    log: Log | None = None,
) -> GenerationResult:
    """Run every stage and write the generated sources into ``out_dir``.

    Args:
        cfg: validated options.
        out_dir: where generated sources go (never the user's ``src/``).
        cache_dir: trained/converted models and verification results.
        base_dir: resolves relative paths in ``cfg`` (default: the current directory).
        log: receives one-line progress messages.

    Raises:
        TinyMLError: any user-facing failure; nothing is left half-written.
    """
    log = log or _quiet
    cfg = resolve_paths(cfg, base_dir or Path.cwd())
    stem = model_stem(cfg)
    data = _Lazy(cfg, log)
    model = resolve_model(cfg, cache_dir, data, log)

    from .model_info import read_model

    info = read_model(model.tflite, source=model.source)
    if info.inputs and len(info.inputs[0].shape) == 4:
        data.image_size = (info.inputs[0].shape[1], info.inputs[0].shape[2])
        data.channels = info.inputs[0].shape[3]
    from .model_info import check_runnable_types

    check_runnable_types(info, model.source)
    if info.unsupported_ops:
        from .errors import ModelError

        raise ModelError(
            f"model '{model.source}' uses ops TFLM has no kernel for: "
            f"{', '.join(info.unsupported_ops)}; change the architecture or "
            "export without them"
        )
    if cfg.images and cfg.image_format == "int8" and info.input.dtype != "int8":
        raise ConfigError(
            f"custom_tinyml_image_format 'int8' needs an int8 model, but the "
            f"model input is {info.input.dtype}; use uint8 (or quantization int8)"
        )
    from .preprocessing import near_chance_warning, resolve_input_range
    from .pretrained import find_pretrained

    input_range, input_range_source = resolve_input_range(
        cfg.input_range, info.input.dtype, info.input.scale, info.input.zero_point
    )
    # From here on every stage prepares pixels with this one, explicit range.
    cfg = cfg.replace(input_range=input_range)
    log(f"input range: pixels as {input_range} ({input_range_source})")
    report = _verify_cached(model, info, cfg, data, cache_dir, log)
    warnings: list[str] = []
    if info.input.dtype != "int8" and str(input_range) != "0..1":
        warnings.append(
            f"input range '{input_range}' applies on the host only: the device "
            "runtime feeds float models pixel / 255; use an int8 model"
        )
        log("warning: " + warnings[-1])
    pretrained = find_pretrained(cfg.model) if model.source.startswith("zoo:") else None
    loaded = data.loaded
    if (
        pretrained is not None
        and loaded is not None
        and loaded.description.startswith("embedded MNIST subset")
    ):
        # The subset is 5,000 MNIST *training* images: the shipped weights saw them.
        warnings.append(
            f"the embedded MNIST subset is part of MNIST's training split, so the "
            f"accuracy above is optimistic; '{cfg.model}' scores "
            f"{pretrained.accuracy_int8 * 100:.2f}% int8 on the full test split "
            "(set TINYML_DATASETS_DIR to a folder with mnist.npz to measure it)"
        )
        log("warning: " + warnings[-1])
    classes = info.output.shape[-1] if info.output.shape else 1
    if report.accuracy is not None and report.accuracy <= 1.5 / max(classes, 1):
        warnings.append(
            near_chance_warning(report.accuracy, input_range, input_range_source)
        )
        log("warning: " + warnings[-1])
    runtime, compiled_model = choose_model_runtime(cfg, model, info, stem)
    log(f"runtime {runtime.runtime} ({runtime.reason})")
    files, arena, labels, images = render_all(
        cfg, model, info, report, data, stem, compiled_model
    )
    out_dir = Path(out_dir)
    changed = write_files(out_dir, files)
    for path in changed:
        log(f"generated {path.name}")
    paths = tuple(out_dir / Path(*f.path.parts) for f in files)
    compiled = tuple(p for p in paths if p.suffix in (".cpp", ".S", ".c"))
    if runtime.runtime == "aot":
        # The compiled model holds its own weights: the flatbuffer is not linked.
        compiled = tuple(p for p in compiled if p.stem != f"{stem}_model_data")
    dataset = data.loaded
    return GenerationResult(
        out_dir=out_dir,
        files=paths,
        changed=tuple(changed),
        sources=compiled,
        tflm_sources=()
        if runtime.runtime == "aot"
        else tuple(p for p in compiled if p.name.endswith(_TFLM_SUFFIX)),
        stem=stem,
        model_source=model.source,
        tflite_path=model.tflite_path,
        model_bytes=len(model.tflite),
        arena_size=arena,
        measured_arena=report.arena_bytes,
        ops=info.op_names,
        macs=info.macs,
        accuracy=report.accuracy,
        float_accuracy=model.float_accuracy,
        float_accuracy_note=model.float_accuracy_note,
        bit_exact_fraction=report.bit_exact_fraction,
        verify_samples=report.samples,
        dataset=dataset.description if dataset is not None else None,
        images=images,
        image_format=cfg.image_format,
        labels=labels,
        test_split=dataset.split if dataset is not None else None,
        runtime=runtime.runtime,
        runtime_reason=runtime.reason,
        flash_model_bytes=compiled_model.const_bytes
        if compiled_model is not None
        else len(model.tflite),
        input_range=str(input_range),
        input_range_source=input_range_source,
        warnings=tuple(warnings),
    )


# --- Test images alone (tinyml pack-images) ---------------------------------------


def write_image_set(
    cfg: TinyMLConfig, out_dir: Path, *, model: Path | None, name: str = "test"
) -> list[Path]:
    """Load ``cfg.dataset``, pack ``cfg.images`` test images and write the C++ sources.

    Writes ``<name>_image_data.h`` and ``<name>_image_data.cpp`` atomically (only when
    their content changes).

    Args:
        cfg: uses ``dataset``, ``datasets_dir``, ``images``, ``image_format``,
            ``image_threshold``, ``seed`` and ``labels``.
        out_dir: output directory.
        model: a ``.tflite`` file for model inputs and golden outputs, or None.
        name: the set name (a C identifier).

    Returns:
        The paths of both files, whether rewritten or unchanged.

    Raises:
        TinyMLError: any failure of loading, packing or rendering.
    """
    from .codegen.image_data import render_image_set
    from .datasets import load_dataset
    from .images import pack_test_set

    model_bytes: bytes | None = None
    size: tuple[int, int] | None = None
    channels: int | None = None
    if model is not None:
        from .model_info import load_model_file

        model_bytes, info = load_model_file(Path(model))
        if len(info.input.shape) == 4:  # folder images are resized to the input
            _, height, width, channels = info.input.shape
            size = (height, width)
    dataset = load_dataset(
        cfg.dataset,
        datasets_dir=cfg.datasets_dir,
        image_size=size,
        channels=channels if channels in (1, 3) else None,
    )
    if cfg.labels is not None and len(cfg.labels) != len(dataset.class_names):
        raise ConfigError(
            f"custom_tinyml_labels '{','.join(cfg.labels)}' has {len(cfg.labels)} "
            f"names but dataset '{dataset.name}' has {len(dataset.class_names)} classes"
        )
    packed = pack_test_set(
        dataset,
        count=cfg.images,
        fmt=cfg.image_format,
        threshold=cfg.image_threshold,
        seed=cfg.seed,
        name=name,
        model=model_bytes,
        class_names=cfg.labels,
        input_range=cfg.input_range,
    )
    source = Path(model).name if model is not None else f"{dataset.name} test split"
    files = render_image_set(packed, source_name=source)
    out_dir = Path(out_dir)
    write_files(out_dir, files)
    return [out_dir / Path(*f.path.parts) for f in files]
