# SPDX-License-Identifier: Apache-2.0
"""The one option schema shared by ``platformio.ini``, the CLI and config files.

Every option has exactly one entry in :data:`OPTIONS`. In ``platformio.ini`` it is
spelled ``custom_tinyml_<name>``; on the command line ``--<name-with-dashes>``; in a
config file's ``[tinyml]`` section ``<name>``. Values arrive as strings from all three
and are parsed by the same code, so they fail the same way.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import os
import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .errors import ConfigError
from .placement import NOT_A_SECTION, linker_section
from .placement import SECTION_KEYWORDS as SECTION_KEYWORDS

PIO_PREFIX = "custom_tinyml_"

QUANTIZATIONS = ("int8", "float32")
IMAGE_FORMATS = ("1bpp", "uint8", "int8", "rgb565")
EMBED_MODES = ("auto", "carray", "xxd", "incbin")
KERNELS = ("auto", "cmsis_nn", "reference")
TFLM_SOURCES = ("auto", "local", "download", "off")
RUNTIMES = ("auto", "aot", "tflm")
_SHA256_RE = re.compile(r"^[0-9a-fA-F]{64}$")


@dataclass(frozen=True)
class ArenaMargin:
    """Arena bytes added to the host-measured need: fixed bytes or a percentage."""

    bytes: int = 0
    percent: float = 0.0

    def apply(self, measured: int) -> int:
        """Return the arena size to allocate, rounded up to a multiple of 16."""
        extra = max(self.bytes, int(-(-measured * self.percent // 100)))
        total = measured + extra
        return (total + 15) // 16 * 16

    def __str__(self) -> str:
        return f"{self.percent:g}%" if self.percent else str(self.bytes)


@dataclass(frozen=True)
class InputRange:
    """How pixels 0..255 become the model's float input: ``(pixel - mean) / std``."""

    mean: float
    std: float

    def __str__(self) -> str:
        for name, preset in INPUT_RANGES.items():
            if preset == self:
                return name
        return f"mean={self.mean:g},std={self.std:g}"


# The conventions of models made elsewhere: Keras/TF tutorials (0..1), MLPerf Tiny and
# raw-pixel models (0..255), MobileNet-style (-1..1).
INPUT_RANGES: dict[str, InputRange] = {
    "0..1": InputRange(0.0, 255.0),
    "0..255": InputRange(0.0, 1.0),
    "-1..1": InputRange(127.5, 127.5),
}


@dataclass(frozen=True)
class Option:
    """One option: its parser, default and help text."""

    name: str
    parse: Callable[[str, str], Any]
    default: Any
    help: str
    env: str | None = None

    @property
    def pio_name(self) -> str:
        return PIO_PREFIX + self.name


# --- Value parsers: (raw, label) -> value. `label` is how the user spelled the option.


def _parse_str(raw: str, label: str) -> str | None:
    value = raw.strip()
    return value or None


def _parse_int(minimum: int, maximum: int) -> Callable[[str, str], int]:
    def parse(raw: str, label: str) -> int:
        text = raw.strip()
        try:
            value = int(text, 0)
        except ValueError:
            raise ConfigError(
                f"{label} '{raw}' is not a whole number (example: {label} = {minimum})"
            ) from None
        if not minimum <= value <= maximum:
            raise ConfigError(
                f"{label} '{raw}' is out of range; "
                f"use a value from {minimum} to {maximum}"
            )
        return value

    return parse


def _parse_optional_int(minimum: int, maximum: int) -> Callable[[str, str], int | None]:
    parse_int = _parse_int(minimum, maximum)

    def parse(raw: str, label: str) -> int | None:
        return parse_int(raw, label) if raw.strip() else None

    return parse


def _parse_choice(choices: tuple[str, ...]) -> Callable[[str, str], str]:
    def parse(raw: str, label: str) -> str:
        value = raw.strip().lower()
        if value not in choices:
            extra = ""
            if label.endswith("quantization") and value in ("dynamic", "dynamic_range"):
                extra = (
                    " (dynamic-range models keep float activations with int8 weights; "
                    "TFLM cannot allocate them: 'Input type: FLOAT32 with filter type: "
                    "INT8 not supported')"
                )
            raise ConfigError(
                f"{label} '{raw}' is not one of {', '.join(choices)}{extra}"
            )
        return value

    return parse


def _parse_sha256(raw: str, label: str) -> str | None:
    value = raw.strip().lower()
    if not value:
        return None
    if not _SHA256_RE.match(value):
        raise ConfigError(
            f"{label} '{raw}' is not a sha256 (64 hex digits); "
            "compute it with: sha256sum <file>"
        )
    return value


def _parse_margin(raw: str, label: str) -> ArenaMargin:
    text = raw.strip().lower()
    try:
        if text.endswith("%"):
            percent = float(text[:-1])
            if not 0 <= percent <= 1000:
                raise ValueError
            return ArenaMargin(percent=percent)
        value = int(text, 0)
        if not 0 <= value <= 1 << 30:
            raise ValueError
        return ArenaMargin(bytes=value)
    except ValueError:
        raise ConfigError(
            f"{label} '{raw}' is not a byte count or a percentage (examples: 1024, 10%)"
        ) from None


def _parse_section(raw: str, label: str) -> str | None:
    if not raw.strip():
        return None
    section = linker_section(raw)
    if section is None:
        raise ConfigError(f"{label} '{raw}' {NOT_A_SECTION}")
    return section


def _parse_labels(raw: str, label: str) -> tuple[str, ...] | None:
    text = raw.strip()
    if not text:
        return None
    names = tuple(part.strip() for part in text.split(","))
    if any(not n for n in names):
        raise ConfigError(
            f"{label} '{raw}' has an empty class name; separate names with commas"
        )
    return names


def _parse_input_range(raw: str, label: str) -> InputRange | None:
    text = raw.strip().lower().replace(" ", "")
    if text in ("", "auto"):
        return None
    if text in INPUT_RANGES:
        return INPUT_RANGES[text]
    fields = dict(part.partition("=")[::2] for part in text.split(","))
    try:
        if set(fields) != {"mean", "std"}:
            raise ValueError
        mean, std = float(fields["mean"]), float(fields["std"])
    except ValueError:
        raise ConfigError(
            f"{label} '{raw}' is not auto, {', '.join(INPUT_RANGES)} or "
            "mean=M,std=S in pixel units (example: mean=127.5,std=127.5; one mean "
            "and std for all channels)"
        ) from None
    if not std > 0:
        raise ConfigError(f"{label} '{raw}' has std '{std:g}'; std must be positive")
    return InputRange(mean, std)


def _parse_path(raw: str, label: str) -> Path | None:
    text = raw.strip()
    return Path(text).expanduser() if text else None


OPTIONS: tuple[Option, ...] = (
    Option(
        "model",
        _parse_str,
        "mnist_dense",
        "model source: a zoo architecture name, a .tflite/.keras/.h5/SavedModel path, "
        "or an http(s)/file URL (URLs need model_sha256)",
    ),
    Option(
        "model_sha256",
        _parse_sha256,
        None,
        "sha256 of the model file; required for URLs, checked for paths when given",
    ),
    Option(
        "dataset",
        _parse_str,
        "mnist",
        "dataset: mnist, cifar10, or folder:<path> (one subfolder per class); "
        "default: the zoo model's, else mnist",
    ),
    Option(
        "datasets_dir",
        _parse_path,
        None,
        "folder holding mnist.npz / cifar10_jpg.tar.gz",
        env="TINYML_DATASETS_DIR",
    ),
    Option(
        "epochs",
        _parse_optional_int(1, 1000),
        None,
        "training epochs for zoo models (default: the architecture's own)",
    ),
    Option(
        "seed", _parse_int(0, 2**31 - 1), 1, "random seed for training and sampling"
    ),
    Option(
        "quantization",
        _parse_choice(QUANTIZATIONS),
        "int8",
        "int8 (full-integer, int8 input and output) or float32",
    ),
    Option(
        "representative_samples",
        _parse_int(1, 100_000),
        300,
        "training images used to calibrate int8 quantization",
    ),
    Option(
        "input_range",
        _parse_input_range,
        None,
        "model input for pixels 0..255: auto (inferred from the int8 input "
        "quantization, else 0..1), 0..1, 0..255, -1..1, or mean=M,std=S",
    ),
    Option("images", _parse_int(0, 100_000), 10, "number of test images to pack"),
    Option(
        "image_format",
        _parse_choice(IMAGE_FORMATS),
        "int8",
        "packed test image format: 1bpp, uint8, int8 or rgb565",
    ),
    Option(
        "image_threshold",
        _parse_int(0, 255),
        128,
        "1bpp threshold: pixels >= threshold become 1",
    ),
    Option(
        "labels",
        _parse_labels,
        None,
        "comma-separated class names (default: the dataset's)",
    ),
    Option(
        "arena_margin",
        _parse_margin,
        ArenaMargin(bytes=512),
        "arena bytes added to the host-measured need (bytes or N%); "
        "the sum is rounded up to 16",
    ),
    Option(
        "verify_samples",
        _parse_int(0, 1_000_000),
        1000,
        "test images used for the host accuracy check (0: the whole test split)",
    ),
    Option(
        "model_embed",
        _parse_choice(EMBED_MODES),
        "auto",
        "how model bytes are embedded: carray, xxd (byte-identical to xxd -i), "
        "incbin (assembler .incbin, fastest), or auto (incbin above 256 KiB)",
    ),
    Option(
        "model_section",
        _parse_section,
        None,
        "linker section for the model: qspi, sdram, dtcm, axisram or '.name'",
    ),
    Option(
        "model_address",
        _parse_optional_int(0, 0xFFFFFFFF),
        None,
        "external-flash address: also write the model as Intel HEX at this address",
    ),
    Option(
        "symbol_prefix",
        _parse_str,
        None,
        "C symbol stem (g_<stem>_model_data); default: from the model name",
    ),
    Option(
        "runtime",
        _parse_choice(RUNTIMES),
        "auto",
        "inference runtime: aot (the model compiled to plain C, no TFLM), tflm "
        "(TensorFlow Lite Micro), or auto (aot when it supports every op, else tflm)",
    ),
    Option(
        "kernels",
        _parse_choice(KERNELS),
        "auto",
        "TFLM kernels: cmsis_nn (Cortex-M), reference, or auto",
    ),
    Option(
        "tflm",
        _parse_choice(TFLM_SOURCES),
        "auto",
        "where TFLM comes from: local (the checkout named by tflm_dir, "
        "TINYML_TFLM_DIR or ~/.cache/tinyml-deps/tflite-micro), download (unless "
        "tflm_dir names one, the pinned upstream through PlatformIO's package "
        "manager, online), auto (local when a checkout is found, else download), "
        "or off",
    ),
    Option(
        "tflm_dir",
        _parse_path,
        None,
        "local tflite-micro checkout with its third-party downloads",
        env="TINYML_TFLM_DIR",
    ),
)

OPTIONS_BY_NAME: dict[str, Option] = {opt.name: opt for opt in OPTIONS}


@dataclass(frozen=True)
class TinyMLConfig:
    """Parsed, validated options. Field names equal option names."""

    model: str = "mnist_dense"
    model_sha256: str | None = None
    dataset: str = "mnist"
    datasets_dir: Path | None = None
    epochs: int | None = None
    seed: int = 1
    quantization: str = "int8"
    representative_samples: int = 300
    input_range: InputRange | None = None
    images: int = 10
    image_format: str = "int8"
    image_threshold: int = 128
    labels: tuple[str, ...] | None = None
    arena_margin: ArenaMargin = ArenaMargin(bytes=512)
    verify_samples: int = 1000
    model_embed: str = "auto"
    model_section: str | None = None
    model_address: int | None = None
    symbol_prefix: str | None = None
    runtime: str = "auto"
    kernels: str = "auto"
    tflm: str = "auto"
    tflm_dir: Path | None = None

    def replace(self, **changes: Any) -> TinyMLConfig:
        return dataclasses.replace(self, **changes)

    def to_dict(self) -> dict[str, Any]:
        """A JSON-safe dict of every option (for hashing, reports and stamps)."""
        out: dict[str, Any] = {}
        for field in dataclasses.fields(self):
            value = getattr(self, field.name)
            if isinstance(value, (Path, ArenaMargin, InputRange)):
                value = str(value)
            elif isinstance(value, tuple):
                value = list(value)
            out[field.name] = value
        return out

    def fingerprint(self) -> str:
        """A stable hash of every option value."""
        text = json.dumps(self.to_dict(), sort_keys=True)
        return hashlib.sha256(text.encode()).hexdigest()


def _suggest(name: str, known: list[str]) -> str:
    import difflib  # only on errors: keeps the CLI's start-up light

    close = difflib.get_close_matches(name, known, n=1, cutoff=0.5)
    return (
        f"; did you mean '{close[0]}'?"
        if close
        else f"; valid options: {', '.join(known)}"
    )


def parse_options(
    values: Mapping[str, str],
    *,
    prefix: str = "",
    source: str = "options",
    use_env: bool = True,
) -> TinyMLConfig:
    """Parse raw option strings into a TinyMLConfig.

    Args:
        values: option name (with ``prefix``) -> raw string value.
        prefix: how names are spelled, e.g. ``custom_tinyml_`` for platformio.ini.
        source: where the values came from, for messages (e.g. ``platformio.ini``).
        use_env: fill unset options from their environment variables.

    Raises:
        ConfigError: an unknown option (with the closest valid name) or a bad value.
    """
    known = [prefix + opt.name for opt in OPTIONS]
    parsed: dict[str, Any] = {}
    for key, raw in values.items():
        name = key[len(prefix) :] if key.startswith(prefix) else None
        option = OPTIONS_BY_NAME.get(name or "")
        if option is None:
            raise ConfigError(
                f"unknown option '{key}' in {source}{_suggest(key, known)}"
            )
        if raw is None:
            continue
        parsed[option.name] = option.parse(str(raw), prefix + option.name)
    if use_env:
        for option in OPTIONS:
            if option.name not in parsed and option.env and os.environ.get(option.env):
                parsed[option.name] = option.parse(os.environ[option.env], option.env)
    # _parse_str returns None for empty strings: fall back to the default.
    for name in [k for k, v in parsed.items() if v is None]:
        if OPTIONS_BY_NAME[name].default is not None:
            del parsed[name]
    if "dataset" not in parsed and "model" in parsed:
        implied = zoo_dataset(parsed["model"])
        if implied is not None:
            parsed["dataset"] = implied
    return TinyMLConfig(**parsed)


def zoo_dataset(model: str) -> str | None:
    """The dataset a zoo name is meant for; None for paths, URLs and unknown names."""
    from .pretrained import find_pretrained
    from .zoo import ARCHITECTURES

    if model in ARCHITECTURES:
        return ARCHITECTURES[model].default_dataset
    entry = find_pretrained(model)
    return None if entry is None else entry.dataset


def config_from_pio(
    values: Mapping[str, str], source: str = "platformio.ini"
) -> TinyMLConfig:
    """Parse the ``custom_tinyml_*`` options of one PlatformIO environment."""
    ours = {k: v for k, v in values.items() if k.startswith(PIO_PREFIX)}
    return parse_options(ours, prefix=PIO_PREFIX, source=source)


def load_config_file(path: Path, env: str | None = None) -> dict[str, str]:
    """Read raw options from a config file.

    Two layouts are accepted: a ``[tinyml]`` section with bare option names, or a
    ``platformio.ini`` whose ``[env:<env>]`` (or ``[env]``) has ``custom_tinyml_*``.
    Returns bare option names -> raw strings, for :func:`parse_options`.
    """
    import configparser  # only for config files: keeps the CLI's start-up light

    parser = configparser.ConfigParser(interpolation=None)
    try:
        with open(path, encoding="utf-8") as fp:
            parser.read_file(fp)
    except OSError as exc:
        raise ConfigError(
            f"cannot read config file '{path}': {exc.strerror or exc}; check the path"
        ) from exc
    except configparser.Error as exc:
        first = str(exc).splitlines()[0]
        raise ConfigError(
            f"config file '{path}' is not valid INI: {first} "
            "(use a [tinyml] section or [env:NAME] sections of key = value lines)"
        ) from exc
    if parser.has_section("tinyml"):
        return dict(parser.items("tinyml"))
    if env and not parser.has_section(f"env:{env}"):
        raise ConfigError(
            f"config file '{path}' has no [env:{env}] section; "
            "pass --env with one of its environments"
        )
    raw: dict[str, str] = {}
    sections = ["env"] + ([f"env:{env}"] if env else [])
    for section in sections:
        if parser.has_section(section):
            for key, value in parser.items(section):
                if key.startswith(PIO_PREFIX):
                    raw[key[len(PIO_PREFIX) :]] = value
    return raw
