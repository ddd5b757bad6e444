# SPDX-License-Identifier: Apache-2.0
"""Fixtures for the AOT compiler tests: build generated C on the host, run TFLM.

* ``host_runner`` (session): ``run(compiled, inputs, defines=(), source=None)``
  compiles ``NAME.c`` with ``gcc -O2 -std=c99 -Wall -Wextra -Werror`` and a small
  driver, runs it on int8 inputs ``(N, ...)`` and returns the outputs ``(N, size)``.
  ``source`` replaces the generated source text (to test a perturbed kernel).
* ``tflm_outputs``: the host ``tflite_micro`` interpreter (real TFLM kernels) on the
  same inputs. Skips when ``tflite_micro`` is not installed.
* ``model_builder`` (session): ``build(spec) -> bytes``, random models converted by
  TensorFlow in a child process (see ``models.ModelBuilder``).
"""

from __future__ import annotations

import shutil
import subprocess
from collections.abc import Callable, Iterator, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from platformio_tinyml.aot import CompiledModel

DRIVER = r"""
#include <stdio.h>
#include <stdlib.h>
#include "NAME.h"
static int8_t arena[NAME_ARENA_SIZE + 16] __attribute__((aligned(16)));
int main(int argc, char **argv) {
  if (argc != 3) return 2;
  FILE *f = fopen(argv[1], "rb");
  const int n = atoi(argv[2]);
  static int8_t in[NAME_INPUT_SIZE];
  static int8_t out[NAME_OUTPUT_SIZE];
  for (int i = 0; i < n; ++i) {
    if (fread(in, 1, NAME_INPUT_SIZE, f) != NAME_INPUT_SIZE) return 4;
    /* Poison the arena: the plan must not read what it did not write. */
    for (size_t j = 0; j < sizeof(arena); ++j) arena[j] = (int8_t)(j * 37 + i);
    if (NAME_invoke(in, out, arena) != 0) return 3;
    fwrite(out, 1, NAME_OUTPUT_SIZE, stdout);
  }
  fclose(f);
  return 0;
}
"""

HostRunner = Callable[..., np.ndarray]


def host_compiler() -> str:
    """The host C compiler, or skip."""
    cc = shutil.which("gcc") or shutil.which("cc")
    if cc is None:
        pytest.skip("no host C compiler (gcc) on PATH")
    return cc


@pytest.fixture(scope="session")
def host_runner(tmp_path_factory: pytest.TempPathFactory) -> HostRunner:
    cc = host_compiler()
    counter = iter(range(1_000_000))

    def run(
        compiled: CompiledModel,
        inputs: np.ndarray,
        defines: Sequence[str] = (),
        source: str | None = None,
    ) -> np.ndarray:
        work = tmp_path_factory.mktemp(f"aot{next(counter)}")
        name = compiled.name
        (work / f"{name}.h").write_text(compiled.header)
        (work / f"{name}.c").write_text(
            source if source is not None else compiled.source
        )
        (work / "main.c").write_text(DRIVER.replace("NAME", name))
        exe = work / "model"
        build = subprocess.run(
            [
                cc,
                "-O2",
                "-std=c99",
                "-Wall",
                "-Wextra",
                "-Werror",
                *defines,
                "-o",
                str(exe),
                str(work / "main.c"),
                str(work / f"{name}.c"),
            ],
            check=False,
            capture_output=True,
            text=True,
        )
        if build.returncode != 0:
            pytest.fail(f"generated C does not compile:\n{build.stderr[-4000:]}")
        data = np.ascontiguousarray(inputs, dtype=np.int8)
        (work / "in.bin").write_bytes(data.tobytes())
        result = subprocess.run(
            [str(exe), str(work / "in.bin"), str(len(data))],
            check=True,
            capture_output=True,
            timeout=120,
        )
        return np.frombuffer(result.stdout, dtype=np.int8).reshape(len(data), -1)

    return run


@pytest.fixture(scope="session")
def tflm_outputs() -> Callable[[bytes, np.ndarray], np.ndarray]:
    pytest.importorskip("tflite_micro", reason="needs the tflite_micro interpreter")
    from platformio_tinyml.verification import run_tflm

    def run(model: bytes, inputs: np.ndarray) -> Any:
        return run_tflm(model, inputs)

    return run


@pytest.fixture(scope="session")
def model_builder() -> Iterator[Any]:
    pytest.importorskip("tensorflow", reason="random models are built with TensorFlow")
    from .models import ModelBuilder

    builder = ModelBuilder()
    yield builder
    builder.close()


def random_inputs(model_shape: Sequence[int], count: int, seed: int) -> np.ndarray:
    """Uniform int8 inputs, plus the extremes (all -128, all 127)."""
    rng = np.random.default_rng(seed)
    shape = (count, *model_shape[1:])
    data = rng.integers(-128, 128, size=shape, dtype=np.int8)
    if count >= 3:
        data[0] = -128
        data[1] = 127
    return data


@pytest.fixture(scope="session")
def tests_data() -> Path:
    return Path(__file__).resolve().parent.parent / "data"
