# SPDX-License-Identifier: Apache-2.0
"""``python -m devtools``: developer commands that the installed ``tinyml`` lacks."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from pathlib import Path

from platformio_tinyml.errors import TinyMLError


def _pio_offline(args: argparse.Namespace) -> int:
    from .pio_offline import offline_env, provision_tool_scons

    core_dir = Path(args.core_dir) if args.core_dir else None
    path = provision_tool_scons(core_dir, force=args.force)
    print(f"# tool-scons provided at {path}; export these before pio run / pio test:")
    for key, value in sorted(offline_env(core_dir).items()):
        print(f"export {key}={value}")
    return 0


def _framebuffer(args: argparse.Namespace) -> int:
    from .framebuffer import framebuffer_to_png

    print(framebuffer_to_png(Path(args.dump), Path(args.out)))
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="python -m devtools",
        description="Developer tools for platformio-tinyml (run from a checkout).",
    )
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")
    p = sub.add_parser(
        "pio-offline",
        help="let pio run/test work without the "
        "PlatformIO registry (provides tool-scons from PyPI scons)",
    )
    p.add_argument("--core-dir", help="PlatformIO core dir (default: PlatformIO's)")
    p.add_argument("--force", action="store_true", help="reinstall tool-scons")
    p.set_defaults(handler=_pio_offline)

    p = sub.add_parser("framebuffer", help="convert an emulated LCD dump to PNG")
    p.add_argument("dump", help="framebuffer file written by the emulated firmware")
    p.add_argument("--out", required=True, help="PNG to write")
    p.set_defaults(handler=_framebuffer)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    """Run a developer command; returns the exit code (0 ok, 2 user error)."""
    args = build_parser().parse_args(argv)
    try:
        result: int = args.handler(args)
    except TinyMLError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    return result


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
