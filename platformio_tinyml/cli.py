# SPDX-License-Identifier: Apache-2.0
"""The ``tinyml`` console script: kebab-case subcommands over the public API.

Each subcommand parses its arguments, calls one API function, and writes output only
where ``--out``/``--out-dir`` says. ``TinyMLError`` becomes ``error: <message>`` and
exit code 2; anything else is a bug and keeps its traceback.

Start-up is part of every command's run time (``tinyml carray`` is meant to beat
``xxd -i`` on the whole command), so this module imports only what parsing needs:
each handler imports its own modules, and :func:`main` builds the parser of the one
subcommand named on the command line when it can tell which one that is.
"""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Callable, Sequence
from pathlib import Path

from . import __version__
from .errors import TinyMLError

TYPE_CHECKING = False  # not typing.TYPE_CHECKING: importing typing costs start-up
if TYPE_CHECKING:
    from typing import Any

    from .config import TinyMLConfig

Handler = Callable[[argparse.Namespace], int]


def _log(message: str) -> None:
    print(f"[tinyml] {message}", file=sys.stderr, flush=True)


def _config(args: argparse.Namespace, **raw: Any) -> TinyMLConfig:
    """Build a TinyMLConfig from a subcommand's own flags (strings, one schema)."""
    from .config import parse_options

    values = {k: str(v) for k, v in raw.items() if v is not None}
    return parse_options(values, source="the command line")


def _all_options(args: argparse.Namespace) -> TinyMLConfig:
    """A config file (--config/--env) overlaid with the --<option> flags."""
    from .config import OPTIONS, load_config_file, parse_options

    raw: dict[str, str] = {}
    if args.config:
        raw.update(load_config_file(Path(args.config), env=args.env))
    for option in OPTIONS:
        value = getattr(args, "opt_" + option.name, None)
        if value is not None:
            raw[option.name] = value
    return parse_options(raw, source=args.config or "the command line")


def _cache_dir(args: argparse.Namespace) -> Path:
    from .fileio import default_cache_dir

    return (
        Path(args.cache_dir)
        if getattr(args, "cache_dir", None)
        else default_cache_dir()
    )


# --- train -----------------------------------------------------------------------


def _cmd_train(args: argparse.Namespace) -> int:
    from .datasets import load_dataset
    from .training import export_trained_model, train_model

    cfg = _config(
        args,
        dataset=args.dataset,
        datasets_dir=args.datasets_dir,
        epochs=args.epochs,
        seed=args.seed,
        model=args.model,
    )
    dataset = load_dataset(
        cfg.dataset, datasets_dir=cfg.datasets_dir, for_model=cfg.model
    )
    trained = train_model(
        cfg.model, dataset, epochs=cfg.epochs, seed=cfg.seed, cache_dir=_cache_dir(args)
    )
    written = export_trained_model(trained, Path(args.out))
    print(
        f"trained {trained.architecture} on {dataset.description}: "
        f"float accuracy {trained.float_accuracy:.4f}; wrote {written}"
    )
    return 0


# --- convert ---------------------------------------------------------------------


def _cmd_convert(args: argparse.Namespace) -> int:
    from .datasets import load_dataset
    from .fileio import write_atomic
    from .quantization import convert_model

    cfg = _config(
        args,
        quantization=args.quantize,
        dataset=args.dataset,
        datasets_dir=args.datasets_dir,
        representative_samples=args.representative_samples,
        seed=args.seed,
    )
    dataset = None
    if cfg.quantization == "int8" or args.dataset:
        dataset = load_dataset(cfg.dataset, datasets_dir=cfg.datasets_dir)
    data = convert_model(
        Path(args.model),
        quantization=cfg.quantization,
        dataset=dataset,
        representative_samples=cfg.representative_samples,
        seed=cfg.seed,
    )
    write_atomic(Path(args.out), data)
    print(f"wrote {args.out} ({len(data)} bytes, {cfg.quantization})")
    return 0


# --- inspect ---------------------------------------------------------------------


def _cmd_inspect(args: argparse.Namespace) -> int:
    from .datasets import load_dataset
    from .errors import ConfigError
    from .inspection import format_table, inspect_model

    if args.samples < 0:
        raise ConfigError(
            f"--samples '{args.samples}' is negative; use 0 (the whole test split) "
            "or a positive count"
        )
    dataset = None
    cfg = _config(
        args,
        dataset=args.dataset,
        datasets_dir=args.datasets_dir,
        input_range=args.input_range,
    )
    if args.dataset:
        dataset = load_dataset(cfg.dataset, datasets_dir=cfg.datasets_dir)
    result = inspect_model(
        Path(args.model),
        dataset=dataset,
        samples=args.samples,
        input_range=cfg.input_range,
    )
    if args.json:
        import json

        print(json.dumps(result, indent=2, sort_keys=True))
    else:
        print(format_table(result))
    return 0


# --- carray ----------------------------------------------------------------------


def _cmd_carray(args: argparse.Namespace) -> int:
    from .codegen.c_arrays import write_model_sources

    # The three flags are model_embed, model_section and symbol_prefix, checked by
    # the same rules as the option schema (the section through placement.py, here
    # to name --section), so this command skips importing config.py.
    if args.section and args.section.strip():
        from .errors import ConfigError
        from .placement import NOT_A_SECTION, linker_section

        if linker_section(args.section) is None:
            raise ConfigError(f"--section '{args.section}' {NOT_A_SECTION}")
    mode = "xxd" if args.xxd else "incbin" if args.incbin else "auto"
    written = write_model_sources(
        Path(args.model),
        Path(args.out_dir),
        name=(args.name or "").strip() or None,
        mode=mode,
        section=args.section,
        raw=args.raw,
    )
    sys.stdout.write("".join(f"{path}\n" for path in written))
    return 0


# --- pack-images -----------------------------------------------------------------


def _cmd_pack_images(args: argparse.Namespace) -> int:
    from .pipeline import write_image_set

    cfg = _config(
        args,
        dataset=args.dataset,
        datasets_dir=args.datasets_dir,
        images=args.count,
        image_format=args.format,
        image_threshold=args.threshold,
        seed=args.seed,
    )
    written = write_image_set(
        cfg,
        Path(args.out_dir),
        model=Path(args.model) if args.model else None,
        name=args.name,
    )
    for path in written:
        print(path)
    return 0


# --- hex -------------------------------------------------------------------------


def _cmd_hex(args: argparse.Namespace) -> int:
    from .codegen.intel_hex import write_model_hex

    cfg = _config(args, model_address=args.address, symbol_prefix=args.name)
    assert cfg.model_address is not None  # required by argparse
    written = write_model_hex(
        Path(args.model),
        Path(args.out_dir),
        address=cfg.model_address,
        name=cfg.symbol_prefix,
        merge_into=Path(args.merge) if args.merge else None,
    )
    for path in written:
        print(path)
    return 0


# --- compile ---------------------------------------------------------------------


def _cmd_compile(args: argparse.Namespace) -> int:
    from .aot.command import compile_file, format_plan

    compiled, written = compile_file(Path(args.model), Path(args.out_dir), args.name)
    print(format_plan(compiled))
    for path in written:
        print(path)
    return 0


# --- mirror ----------------------------------------------------------------------


def _cmd_mirror(args: argparse.Namespace) -> int:
    from .errors import ConfigError
    from .fileio import write_atomic
    from .mirror import mirror_average
    from .model_info import load_model_file, read_model

    out = Path(args.out)
    if out.suffix.lower() != ".tflite":
        raise ConfigError(
            f"--out '{out}' must end in .tflite (e.g. model_mirror.tflite)"
        )
    data, info = load_model_file(Path(args.model))
    mirrored = mirror_average(data, source=args.model)
    after = read_model(mirrored, source=str(out))
    write_atomic(out, mirrored)
    print(
        f"wrote {out} ({len(mirrored):,} bytes, {info.macs / 1e6:.2f}M -> "
        f"{after.macs / 1e6:.2f}M MACs): the model averaged over each image and "
        "its mirror image"
    )
    return 0


# --- generate --------------------------------------------------------------------


def _cmd_generate(args: argparse.Namespace) -> int:
    from .fileio import replace_generated
    from .pipeline import generate

    cfg = _all_options(args)
    result = generate(cfg, Path(args.out_dir), cache_dir=_cache_dir(args), log=_log)
    for path in replace_generated(Path(args.out_dir), result.files):
        _log(f"removed {path.name} (generated by an earlier run)")
    print(result.summary())
    return 0


# --- report ----------------------------------------------------------------------


def _cmd_report(args: argparse.Namespace) -> int:
    from .report import write_report

    cfg = _all_options(args)
    budget = None
    if args.board:
        from .boards import estimate_budget, limits_from_manifest
        from .pio.plan import model_in_internal_flash
        from .pipeline import generate

        limits = limits_from_manifest(args.board)
        result = generate(
            cfg, Path(args.out_dir) / "generated-src", cache_dir=_cache_dir(args)
        )
        budget = estimate_budget(
            limits,
            result.model_bytes,
            result.arena_size,
            model_in_flash=model_in_internal_flash(cfg),
        )
    path = write_report(
        cfg, Path(args.out_dir), cache_dir=_cache_dir(args), budget=budget
    )
    for line in budget.over_budget() if budget is not None else ():
        _log(f"warning: over budget: {line} (see {Path(args.out_dir) / 'budget.png'})")
    print(path)
    return 0


# --- parser ----------------------------------------------------------------------


def _add_dataset_args(p: argparse.ArgumentParser, required: bool = False) -> None:
    p.add_argument(
        "--dataset", required=required, help="mnist, cifar10 or folder:<path>"
    )
    p.add_argument(
        "--datasets-dir",
        help="folder with mnist.npz / cifar10_jpg.tar.gz "
        "(default: $TINYML_DATASETS_DIR)",
    )


def _add_all_options(p: argparse.ArgumentParser) -> None:
    from .config import OPTIONS

    p.add_argument("--config", help="INI file: a [tinyml] section, or a platformio.ini")
    p.add_argument("--env", help="with a platformio.ini: the [env:NAME] to read")
    group = p.add_argument_group(
        "options (the same as custom_tinyml_* in platformio.ini)"
    )
    for option in OPTIONS:
        group.add_argument(
            "--" + option.name.replace("_", "-"),
            dest="opt_" + option.name,
            metavar="VALUE",
            help=option.help.replace("%", "%%"),  # argparse %-formats help text
        )


def _cmd_classify_lazy(args: argparse.Namespace) -> int:
    from .classify import _cmd_classify  # numpy, pyserial: only when classifying

    return _cmd_classify(args)


def _add_classify_parser(sub: Any) -> None:
    """Add the ``classify`` subcommand to the ``tinyml`` parser."""
    p = sub.add_parser(
        "classify",
        help="classify your own images (or drawn digits) on a board or in QEMU",
    )
    p.add_argument("images", nargs="*", help="PNG, JPEG, BMP or .npy files")
    where = p.add_mutually_exclusive_group(required=True)
    where.add_argument(
        "--port", help="serial port or pyserial URL (/dev/ttyACM0, socket://h:p)"
    )
    where.add_argument(
        "--qemu", metavar="FIRMWARE.elf", help="run this firmware in QEMU and use it"
    )
    p.add_argument("--baud", type=int, default=115200, help="default 115200")
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    p.add_argument(
        "--compare",
        action="store_true",
        help="also run the host TFLM on the same bytes; exit 1 unless bit-exact",
    )
    p.add_argument("--model", help=".tflite for --compare (default: from the ELF)")
    p.add_argument(
        "--strokes",
        action="append",
        metavar="FILE.json",
        help="a drawn digit: {width, height, strokes: [[[x, y], ...]]}",
    )
    p.add_argument("--lcd", metavar="PNG", help="with --qemu: save the emulated LCD")
    p.add_argument(
        "--timeout", type=float, default=20.0, help="seconds per reply (default 20)"
    )
    p.set_defaults(handler=_cmd_classify_lazy)


def _add_train_parser(sub: Any) -> None:
    p = sub.add_parser("train", help="train a zoo architecture (cached)")
    p.add_argument(
        "--model",
        required=True,
        help="architecture: mnist_dense, mnist_lenet, cifar10_cnn, cifar10_resnet8",
    )
    _add_dataset_args(p, required=True)
    p.add_argument("--epochs", help="training epochs (default: the architecture's)")
    p.add_argument("--seed", help="random seed (default 1)")
    p.add_argument("--out", required=True, help="where to write the .keras model")
    p.set_defaults(handler=_cmd_train)


def _add_convert_parser(sub: Any) -> None:
    p = sub.add_parser(
        "convert", help="convert a Keras/SavedModel/.h5 model to .tflite"
    )
    p.add_argument("model", help=".keras, .h5, SavedModel directory, or .tflite")
    p.add_argument("--quantize", default="int8", help="int8 (default) or float32")
    _add_dataset_args(p)
    p.add_argument("--representative-samples", help="calibration images (default 300)")
    p.add_argument("--seed", help="random seed for sampling (default 1)")
    p.add_argument("--out", required=True, help="where to write the .tflite")
    p.set_defaults(handler=_cmd_convert)


def _add_inspect_parser(sub: Any) -> None:
    p = sub.add_parser(
        "inspect", help="ops, tensors, MACs, arena (and accuracy) of a .tflite"
    )
    p.add_argument("model", help=".tflite file")
    _add_dataset_args(p)
    p.add_argument(
        "--samples",
        type=int,
        default=0,
        help="test images for accuracy (default 0: the whole test split)",
    )
    p.add_argument(
        "--input-range",
        help="pixel convention: auto (default), 0..1, 0..255, -1..1, mean=M,std=S",
    )
    p.add_argument("--json", action="store_true", help="print JSON instead of a table")
    p.set_defaults(handler=_cmd_inspect)


def _add_carray_parser(sub: Any) -> None:
    p = sub.add_parser("carray", help="model bytes as C/C++ sources")
    p.add_argument("model", help=".tflite file (any file with --raw)")
    p.add_argument("--out-dir", required=True)
    p.add_argument(
        "--name", help="symbol stem: g_<name>_model_data (default: file stem)"
    )
    mode = p.add_mutually_exclusive_group()
    mode.add_argument("--xxd", action="store_true", help="byte-identical to xxd -i")
    mode.add_argument(
        "--incbin", action="store_true", help="assembler .incbin (fastest)"
    )
    p.add_argument("--section", help="qspi, sdram, dtcm, axisram or a '.section' name")
    p.add_argument(
        "--raw",
        action="store_true",
        help="embed any file as it is (no TFLite flatbuffer check)",
    )
    p.set_defaults(handler=_cmd_carray)


def _add_pack_images_parser(sub: Any) -> None:
    p = sub.add_parser(
        "pack-images", help="test images as C/C++ sources (+ golden outputs)"
    )
    _add_dataset_args(p, required=True)
    p.add_argument("--count", required=True, help="number of images")
    p.add_argument("--format", required=True, help="1bpp, uint8, int8 or rgb565")
    p.add_argument("--threshold", help="1bpp threshold (default 128)")
    p.add_argument("--seed", help="random seed (default 1)")
    p.add_argument("--model", help=".tflite: also write int8 inputs and golden outputs")
    p.add_argument("--name", default="test", help="image set name (default: test)")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(handler=_cmd_pack_images)


def _add_hex_parser(sub: Any) -> None:
    p = sub.add_parser("hex", help="model as Intel HEX at an external-flash address")
    p.add_argument("model", help=".tflite file")
    p.add_argument("--address", required=True, help="e.g. 0x90000000 (STM32 QSPI)")
    p.add_argument("--name", help="symbol stem (default: file stem)")
    p.add_argument("--merge", help="firmware .hex to merge the model into")
    p.add_argument("--out-dir", required=True)
    p.set_defaults(handler=_cmd_hex)


def _add_compile_parser(sub: Any) -> None:
    p = sub.add_parser("compile", help="int8 .tflite to plain C (AOT, no TFLM)")
    p.add_argument("model", help="int8 .tflite file")
    p.add_argument("--out-dir", required=True, help="where NAME.h and NAME.c go")
    p.add_argument("--name", help="C symbol stem (default: sanitized model stem)")
    p.set_defaults(handler=_cmd_compile)


def _add_mirror_parser(sub: Any) -> None:
    p = sub.add_parser(
        "mirror",
        help="average a classifier over each image and its mirror image (2x MACs)",
    )
    p.add_argument("model", help=".tflite classifier ending in SOFTMAX (NHWC input)")
    p.add_argument("--out", required=True, help="the .tflite to write")
    p.set_defaults(handler=_cmd_mirror)


def _add_generate_parser(sub: Any) -> None:
    p = sub.add_parser(
        "generate", help="run the whole pipeline: model, sources, images"
    )
    _add_all_options(p)
    p.add_argument("--out-dir", required=True, help="where generated sources go")
    p.set_defaults(handler=_cmd_generate)


def _add_report_parser(sub: Any) -> None:
    p = sub.add_parser("report", help="HTML report with figures")
    _add_all_options(p)
    p.add_argument(
        "--board",
        help="PlatformIO board id for the memory budget figure; its flash and RAM "
        "come from the board manifest of an installed platform",
    )
    p.add_argument("--out-dir", required=True, help="where report.html and PNGs go")
    p.set_defaults(handler=_cmd_report)


def _add_zoo_parser(sub: Any) -> None:
    from .zoo_catalog import add_zoo_parser

    add_zoo_parser(sub)


# Subcommand -> the function adding its parser, in the order ``--help`` lists them.
COMMANDS: dict[str, Callable[[Any], None]] = {
    "train": _add_train_parser,
    "convert": _add_convert_parser,
    "inspect": _add_inspect_parser,
    "carray": _add_carray_parser,
    "pack-images": _add_pack_images_parser,
    "hex": _add_hex_parser,
    "compile": _add_compile_parser,
    "mirror": _add_mirror_parser,
    "generate": _add_generate_parser,
    "report": _add_report_parser,
    "zoo": _add_zoo_parser,
    "classify": _add_classify_parser,
}


class _HelpFormatter(argparse.HelpFormatter):
    """argparse's formatter, with the width found without importing ``shutil``."""

    def __init__(self, prog: str) -> None:
        super().__init__(prog, width=_terminal_columns() - 2)


def _terminal_columns() -> int:
    """``shutil.get_terminal_size().columns``: $COLUMNS, the terminal, else 80."""
    try:
        columns = int(os.environ.get("COLUMNS", "0"))
    except ValueError:
        columns = 0
    if columns <= 0:
        try:
            columns = os.get_terminal_size(sys.__stdout__.fileno()).columns  # type: ignore[union-attr]
        except (AttributeError, ValueError, OSError):
            columns = 0
    return columns or 80


class _Parser(argparse.ArgumentParser):
    """An ArgumentParser (and its subparsers) using :class:`_HelpFormatter`.

    argparse builds a formatter for every ``add_argument``, and its default one
    imports ``shutil``, which costs a few milliseconds of every command's start-up.
    """

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        kwargs.setdefault("formatter_class", _HelpFormatter)
        super().__init__(*args, **kwargs)


def build_parser(only: str | None = None) -> argparse.ArgumentParser:
    """The ``tinyml`` parser: every subcommand, or only ``only`` (faster to build).

    Raises:
        KeyError: ``only`` is not a subcommand.
    """
    parser = _Parser(
        prog="tinyml",
        description="Train, quantize, verify and embed image classifiers (TFLM).",
    )
    parser.add_argument(
        "--version", action="version", version=f"%(prog)s {__version__}"
    )
    parser.add_argument(
        "--cache-dir",
        help="model cache (default: $TINYML_CACHE_DIR or ~/.cache/platformio-tinyml)",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for name in (only,) if only is not None else COMMANDS:
        COMMANDS[name](sub)
    return parser


def _named_command(argv: Sequence[str]) -> str | None:
    """The subcommand in ``argv`` when it is plain to see, else None (parse all).

    Only an exact ``--cache-dir`` may come before it; anything else there (``-h``,
    ``--version``, an abbreviation, a typo) needs the full parser.
    """
    i = 0
    while i < len(argv):
        arg = argv[i]
        if arg == "--cache-dir":
            i += 2
        elif arg.startswith("--cache-dir="):
            i += 1
        else:
            return arg if arg in COMMANDS else None
    return None


def main(argv: Sequence[str] | None = None) -> int:
    """Run the CLI; returns the exit code (0 ok, 2 user error)."""
    args_list = sys.argv[1:] if argv is None else list(argv)
    parser = build_parser(_named_command(args_list))
    args = parser.parse_args(args_list)
    handler: Handler = args.handler
    try:
        return handler(args)
    except TinyMLError as exc:
        if os.environ.get("TINYML_DEBUG") == "1":
            raise
        print(f"error: {exc}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("interrupted", file=sys.stderr, flush=True)
        if argv is None and "tensorflow" in sys.modules:
            # As the console script, leave now: TensorFlow's shutdown after an
            # interrupted fit takes many seconds, and nothing is left to save.
            sys.stdout.flush()
            os._exit(130)
        return 130


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
