# SPDX-License-Identifier: Apache-2.0
"""Instructions, RAM and code size of AOT-compiled models on the emulated Cortex-M7.

For each ``.tflite``: ``tinyml compile`` it, build a bare firmware with
arm-none-eabi-gcc (-mcpu=cortex-m7 -mfpu=fpv5-d16 -mfloat-abi=hard -O2) and the
``platforms/qemu_mps2_an500`` startup and linker script, run it in QEMU with the
project's insncount plugin, and check the target's outputs against the host TFLM
interpreter (the firmware returns 1 on any difference). Per-layer counts come from an
``insn_mark()`` after each op (``TINYML_AOT_TRACE``).

    python benchmarks/aot_insns.py model.tflite [...] [--portable] [--json out.json]

``--portable`` builds with ``-DTINYML_AOT_PORTABLE`` (no DSP intrinsics).
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
import tempfile
from pathlib import Path
from typing import Any

import numpy as np

HERE = Path(__file__).resolve().parent
REPO = HERE.parent
PLATFORM = REPO / "platforms" / "qemu_mps2_an500"
CPU = ["-mthumb", "-mcpu=cortex-m7", "-mfpu=fpv5-d16", "-mfloat-abi=hard"]
IMAGES = 2

MAIN = r"""
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include "tinyml_insn_markers.h"
#include "NAME.h"

static int8_t arena[NAME_ARENA_SIZE] __attribute__((aligned(16)));
static int8_t output[NAME_OUTPUT_SIZE];
static const int8_t inputs[IMAGES][NAME_INPUT_SIZE] = {INPUTS};
static const int8_t expected[IMAGES][NAME_OUTPUT_SIZE] = {EXPECTED};

int main(void) {
  int bad = 0;
  for (int i = 0; i < IMAGES; ++i) {
    insn_region_start();
    const int rc = NAME_invoke(inputs[i], output, arena);
    insn_region_stop();
    if (rc != 0 || memcmp(output, expected[i], NAME_OUTPUT_SIZE) != 0) bad = 1;
  }
  printf("AOT %s\n", bad ? "mismatch" : "ok");
  return bad;
}
"""


def _c_rows(array: np.ndarray) -> str:
    return ", ".join("{" + ", ".join(str(int(v)) for v in row) + "}" for row in array)


def _run(cmd: list[str]) -> str:
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:3])}... failed:\n{proc.stderr[-3000:]}")
    return proc.stdout


def _section_sizes(obj: Path) -> tuple[int, int]:
    """(code, constants) bytes of an object built with -ffunction/-fdata-sections."""
    out = _run(["arm-none-eabi-size", "-A", str(obj)])
    code = consts = 0
    for line in out.splitlines():
        parts = line.split()
        if len(parts) < 2 or not parts[1].isdigit():
            continue
        if parts[0].startswith(".text"):
            code += int(parts[1])
        elif parts[0].startswith(".rodata"):
            consts += int(parts[1])
    return code, consts


def measure(
    model: bytes,
    name: str,
    *,
    portable: bool = False,
    defines: tuple[str, ...] = (),
    work: Path | None = None,
) -> dict[str, Any]:
    """Compile, build, run and count one model; see the module docstring."""
    from devtools.qemu import build_insncount_plugin, count_instructions
    from platformio_tinyml.aot import compile_model
    from platformio_tinyml.fileio import default_cache_dir
    from platformio_tinyml.model_info import read_model
    from platformio_tinyml.verification import run_tflm

    compiled = compile_model(model, name)
    info = read_model(model)
    rng = np.random.default_rng(0)
    inputs = rng.integers(
        -128, 128, size=(IMAGES, *info.input.shape[1:]), dtype=np.int8
    )
    expected = run_tflm(model, inputs)
    own = tempfile.TemporaryDirectory(prefix="aot-insns-") if work is None else None
    folder = Path(own.name) if own is not None else Path(work)  # type: ignore[arg-type]
    folder.mkdir(parents=True, exist_ok=True)
    try:
        (folder / f"{name}.h").write_text(compiled.header)
        (folder / f"{name}.c").write_text(compiled.source)
        main = (
            MAIN.replace("NAME", name)
            .replace("IMAGES", str(IMAGES))
            .replace("{INPUTS}", "{" + _c_rows(inputs.reshape(IMAGES, -1)) + "}")
            .replace("{EXPECTED}", "{" + _c_rows(expected.reshape(IMAGES, -1)) + "}")
        )
        (folder / "main.c").write_text(main)
        startup = PLATFORM / "startup"
        flags = [*CPU, "-O2", "-std=c99", "-ffunction-sections", "-fdata-sections"]
        flags += ["-I", str(startup), "-I", str(folder)]
        if portable:
            flags.append("-DTINYML_AOT_PORTABLE")
        flags += [f"-D{d}" for d in defines]
        trace = ["-include", "tinyml_insn_markers.h"]
        trace.append("-DTINYML_AOT_TRACE(op,data,bytes)=insn_mark()")
        objs = []
        for src, extra in (
            (folder / f"{name}.c", trace),
            (folder / "main.c", []),
            *((c, []) for c in sorted(startup.glob("*.c"))),
        ):
            obj = folder / (src.stem + ".o")
            _run(["arm-none-eabi-gcc", *flags, *extra, "-c", str(src), "-o", str(obj)])
            objs.append(obj)
        # Code size without per-layer marks (what a user builds).
        plain = folder / f"{name}_plain.o"
        _run(
            [
                "arm-none-eabi-gcc",
                *flags,
                "-c",
                str(folder / f"{name}.c"),
                "-o",
                str(plain),
            ]
        )
        code, consts = _section_sizes(plain)
        elf = folder / "firmware.elf"
        _run(
            [
                "arm-none-eabi-gcc",
                *CPU,
                "--specs=nano.specs",
                "--specs=rdimon.specs",
                "-nostartfiles",
                "-T",
                str(PLATFORM / "ldscripts" / "mps2_an500.ld"),
                "-Wl,--gc-sections",
                *map(str, objs),
                "-lm",
                "-lc",
                "-lrdimon",
                "-o",
                str(elf),
            ]
        )
        plugin = build_insncount_plugin(default_cache_dir() / "qemu-plugin")
        counts = count_instructions(elf, plugin=plugin)
    finally:
        if own is not None:
            own.cleanup()
    if counts.returncode != 0:
        raise RuntimeError(
            f"{name}: target outputs differ from TFLM ({counts.stdout!r})"
        )
    # Marks are running totals across both images; per layer from the first image.
    marks = list(counts.marks)
    per_image = len(marks) // IMAGES
    first = marks[:per_image]
    layers_emitted = [layer for layer in compiled.layers if not layer.alias]
    previous = 0
    layers = []
    for layer, total in zip(layers_emitted, first, strict=False):
        insns = total - previous
        previous = total
        layers.append(
            {
                "index": layer.index,
                "op": layer.op,
                "macs": layer.macs,
                "instructions": insns,
                "per_mac": round(insns / layer.macs, 3) if layer.macs else None,
            }
        )
    instructions = counts.regions[0]
    return {
        "model": name,
        "portable": portable,
        "macs": compiled.macs,
        "instructions": instructions,
        "instructions_all": list(counts.regions),
        "per_mac": round(instructions / compiled.macs, 3) if compiled.macs else None,
        "arena_bytes": compiled.arena_size,
        "code_bytes": code,
        "constant_bytes": consts,
        "layers": layers,
    }


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", type=Path)
    parser.add_argument("--portable", action="store_true")
    parser.add_argument("--json", type=Path, help="write the results here")
    parser.add_argument("--layers", action="store_true", help="print per-layer counts")
    args = parser.parse_args(argv)
    sys.path.insert(0, str(REPO))
    from platformio_tinyml.codegen.identifiers import to_c_identifier

    results = []
    for path in args.models:
        result = measure(
            path.read_bytes(), to_c_identifier(path.stem), portable=args.portable
        )
        results.append(result)
        print(
            f"{result['model']}: {result['instructions']:,} instructions, "
            f"{result['macs']:,} MACs ({result['per_mac']}/MAC), arena "
            f"{result['arena_bytes']:,} B, code {result['code_bytes']:,} B "
            f"(+{result['constant_bytes']:,} B constants)"
        )
        if args.layers:
            for layer in result["layers"]:
                per_mac = layer["per_mac"] or ""
                print(
                    f"  op {layer['index']:>2} {layer['op']:<18} {layer['macs']:>10,} "
                    f"MACs {layer['instructions']:>11,} instr {per_mac:>7}"
                )
    if args.json:
        args.json.write_text(json.dumps(results, indent=2) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
