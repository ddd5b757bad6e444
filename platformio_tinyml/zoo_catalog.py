# SPDX-License-Identifier: Apache-2.0
"""The zoo catalog: ``tinyml zoo list`` (what each model scores and where it fits) and
``tinyml zoo get`` (write a pretrained int8 model to a file).

Stdlib only: listing and getting models never imports TensorFlow.
"""

from __future__ import annotations

import argparse
from dataclasses import dataclass
from pathlib import Path

from .boards import (
    BOARDS,
    RUNTIME_FLASH_ESTIMATE,
    RUNTIME_RAM_ESTIMATE,
    limits_from_manifest,
)
from .errors import ConfigError
from .fileio import write_atomic
from .pretrained import PretrainedModel, pretrained_models, pretrained_path
from .zoo import ARCHITECTURES


@dataclass(frozen=True)
class ZooRow:
    """One line of the catalog.

    Attributes:
        name: the zoo name.
        dataset: the dataset it classifies.
        source: ``shipped`` (in the package), ``upstream`` (pinned URL) or
            ``train`` (trained by its recipe on the first build).
        model: the pretrained entry, None for train-on-demand models.
        fits: PlatformIO ids of the boards whose flash and RAM hold the model, its
            arena and the runtime estimates.
    """

    name: str
    dataset: str
    source: str
    model: PretrainedModel | None
    fits: tuple[str, ...]


def boards_that_fit(model_bytes: int, arena_bytes: int) -> tuple[str, ...]:
    """Boards with room for the model in flash and the arena in RAM (plus runtime).

    Limits come from each board's PlatformIO manifest; a board whose platform is not
    installed is left out.
    """
    fits = []
    for board_id in BOARDS:
        try:
            limits = limits_from_manifest(board_id)
        except ConfigError:
            continue
        if (
            model_bytes + RUNTIME_FLASH_ESTIMATE <= limits.flash_bytes
            and arena_bytes + RUNTIME_RAM_ESTIMATE <= limits.ram_bytes
        ):
            fits.append(board_id)
    return tuple(fits)


def boards_not_installed() -> tuple[str, ...]:
    """Boards the ``fits`` column cannot judge: no PlatformIO manifest installed."""
    missing = []
    for board_id in BOARDS:
        try:
            limits_from_manifest(board_id)
        except ConfigError:
            missing.append(board_id)
    return tuple(missing)


def zoo_rows() -> tuple[ZooRow, ...]:
    """Every zoo name: trainable architectures first, then upstream-only models."""
    pretrained = pretrained_models()
    rows = []
    for name in dict.fromkeys([*ARCHITECTURES, *pretrained]):
        model = pretrained.get(name)
        if model is None:
            arch = ARCHITECTURES[name]
            rows.append(ZooRow(name, arch.default_dataset, "train", None, ()))
            continue
        source = "shipped" if model.shipped else "upstream"
        fits = boards_that_fit(model.size_bytes, model.arena_bytes)
        rows.append(ZooRow(name, model.dataset, source, model, fits))
    return tuple(rows)


def _pct(value: float | None) -> str:
    return "-" if value is None else f"{value * 100:.2f}%"


def format_zoo_table(rows: tuple[ZooRow, ...], unchecked: tuple[str, ...] = ()) -> str:
    """The catalog as an aligned text table.

    Args:
        rows: :func:`zoo_rows`.
        unchecked: boards left out of ``fits`` (see :func:`boards_not_installed`).
    """
    header = (
        "name",
        "dataset",
        "int8",
        "float",
        "size",
        "MACs",
        "arena",
        "source",
        "fits",
    )
    lines = [header]
    for row in rows:
        m = row.model
        if m is None:
            arch = ARCHITECTURES[row.name]
            lines.append(
                (
                    row.name,
                    row.dataset,
                    "-",
                    "-",
                    "-",
                    "-",
                    "-",
                    f"train ({arch.default_epochs} epochs on first build)",
                    "-",
                )
            )
            continue
        lines.append(
            (
                row.name,
                row.dataset,
                _pct(m.accuracy_int8),
                _pct(m.accuracy_float),
                f"{m.size_bytes:,} B",
                f"{m.macs / 1e6:.2f}M",
                f"{m.arena_bytes:,} B",
                row.source,
                ", ".join(row.fits) or "none",
            )
        )
    widths = [max(len(line[i]) for line in lines) for i in range(len(header))]
    text = [
        "  ".join(cell.ljust(widths[i]) for i, cell in enumerate(line)).rstrip()
        for line in lines
    ]
    text.insert(1, "  ".join("-" * w for w in widths))
    text.append(
        "accuracy: top-1 on the whole test split, measured with the host TFLM; "
        "fits: flash and RAM hold model, arena and runtime"
    )
    if unchecked:
        text.append(
            f"not judged (no PlatformIO board manifest installed): "
            f"{', '.join(unchecked)}; install the platform (example: pio pkg "
            "install -g -p ststm32)"
        )
    return "\n".join(text)


def get_zoo_model(name: str, out: Path, cache_dir: Path) -> Path:
    """Write the pretrained int8 ``.tflite`` of zoo model ``name`` to ``out``.

    Raises:
        ConfigError: unknown name, a train-on-demand model, or ``out`` is not
            a ``.tflite`` path.
        ModelSourceError: the shipped file is altered or the download failed.
    """
    model = pretrained_models().get(name)
    if model is None:
        if name in ARCHITECTURES:
            raise ConfigError(
                f"zoo model '{name}' has no pretrained weights yet; train it with: "
                f"tinyml train --model {name} --dataset "
                f"{ARCHITECTURES[name].default_dataset} --out {name}.keras"
            )
        known = ", ".join(pretrained_models())
        raise ConfigError(f"unknown zoo model '{name}'; pretrained models: {known}")
    out = Path(out)
    if out.suffix.lower() != ".tflite":
        raise ConfigError(f"--out '{out}' must end in .tflite (e.g. {name}.tflite)")
    write_atomic(out, pretrained_path(model, cache_dir).read_bytes())
    return out


# --- CLI registration ------------------------------------------------------------


def _cmd_list(args: argparse.Namespace) -> int:
    print(format_zoo_table(zoo_rows(), boards_not_installed()))
    return 0


def _cmd_get(args: argparse.Namespace) -> int:
    from .fileio import default_cache_dir

    cache = Path(args.cache_dir) if args.cache_dir else default_cache_dir()
    path = get_zoo_model(args.name, Path(args.out), cache)
    print(f"wrote {path} ({path.stat().st_size} bytes)")
    return 0


def add_zoo_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Register ``tinyml zoo list`` and ``tinyml zoo get`` on the CLI."""
    p = sub.add_parser("zoo", help="pretrained zoo models: list, get")
    zoo = p.add_subparsers(dest="zoo_command", required=True, metavar="ZOO_COMMAND")
    q = zoo.add_parser("list", help="accuracy, size, MACs, arena and fitting boards")
    q.set_defaults(handler=_cmd_list)
    q = zoo.add_parser("get", help="write a pretrained int8 .tflite")
    q.add_argument("name", help="zoo model name (see: tinyml zoo list)")
    q.add_argument("--out", required=True, help="the .tflite to write")
    q.set_defaults(handler=_cmd_get)


__all__ = [
    "ZooRow",
    "add_zoo_parser",
    "boards_that_fit",
    "format_zoo_table",
    "get_zoo_model",
    "zoo_rows",
]
