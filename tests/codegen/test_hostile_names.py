# SPDX-License-Identifier: Apache-2.0
"""Names from the user (paths, dataset names) never become code in generated files.

Every generator that writes a name into a comment or a string is fed hostile names:
a newline followed by ``#error``, a comment terminator, a backslash at the end, quotes
and non-ASCII. The output must compile with the real host compiler.
"""

from __future__ import annotations

import shutil
import subprocess
from pathlib import Path

import pytest

from platformio_tinyml.cli import main
from platformio_tinyml.codegen import banner, comment_text
from platformio_tinyml.codegen.model_settings import render_settings
from platformio_tinyml.fileio import write_files
from platformio_tinyml.model_info import read_model

REPO = Path(__file__).resolve().parents[2]
TINY_CNN = REPO / "tests" / "data" / "tiny_cnn_int8.tflite"

TEST_HOSTILE_NAMES = {
    "newline-error": "evil\n#error injected",
    "newline-define": "m\n#define int void",
    "comment-end": "a*/ int x = ; /*b",
    "trailing-backslash": "dir\\",
    "quotes": "say \"hi\" 'there'",
    "non-ascii": "modèle_日本",
    "trigraph": "what??/",
}


def _cxx() -> str:
    cxx = shutil.which("g++") or shutil.which("c++")
    if cxx is None:
        pytest.skip("needs a host C++ compiler (g++ or c++) on PATH")
    return cxx


def _compile_all(out: Path) -> None:
    """Syntax-check every generated header and source (the .S is assembled)."""
    cxx = _cxx()
    files = sorted(p for p in out.iterdir() if p.suffix in (".h", ".cpp", ".S"))
    assert files
    for path in files:
        lang = ["-x", "c++"] if path.suffix == ".h" else []
        cmd = [cxx, "-std=c++17", "-Werror", f"-I{out}", f"-I{REPO / 'include'}"]
        if path.suffix == ".S":
            cmd += ["-c", str(path), "-o", str(out / "obj.o")]
        else:
            cmd += ["-fsyntax-only", *lang, str(path)]
        proc = subprocess.run(cmd, capture_output=True, text=True, cwd=out)
        assert proc.returncode == 0, f"{path.name}:\n{proc.stderr}"


@pytest.mark.parametrize("case", sorted(TEST_HOSTILE_NAMES))
def test_comment_text_is_one_inert_line(case: str) -> None:
    text = comment_text(TEST_HOSTILE_NAMES[case])
    assert all(32 <= ord(ch) < 127 for ch in text)
    assert "*/" not in text and "/*" not in text and "??" not in text
    assert not text.endswith("\\\\\\")  # a doubled backslash splices no line
    assert "\n" not in banner(TEST_HOSTILE_NAMES[case], "0" * 64)


@pytest.mark.compiler
@pytest.mark.parametrize("mode", ["--xxd", "--incbin", None])
@pytest.mark.parametrize("case", sorted(TEST_HOSTILE_NAMES))
def test_carray_output_compiles_for_hostile_model_path(
    case: str, mode: str | None, tmp_path: Path
) -> None:
    folder = tmp_path / TEST_HOSTILE_NAMES[case].replace("/", "_")
    folder.mkdir()
    model = folder / f"{TEST_HOSTILE_NAMES[case].replace('/', '_')}.tflite"
    shutil.copy(TINY_CNN, model)
    out = tmp_path / "out"
    argv = ["carray", str(model), "--out-dir", str(out), "--name", "m"]
    assert main(argv + ([mode] if mode else [])) == 0
    _compile_all(out)


@pytest.mark.compiler
@pytest.mark.parametrize("case", sorted(TEST_HOSTILE_NAMES))
def test_settings_compile_for_hostile_source_name(case: str, tmp_path: Path) -> None:
    info = read_model(TINY_CNN.read_bytes())
    files = render_settings(
        info,
        stem="m",
        labels=(TEST_HOSTILE_NAMES[case], "b", "c"),
        arena_size=4096,
        measured_arena=4000,
        source_name=f"dataset folder:{TEST_HOSTILE_NAMES[case]}",
    )
    out = tmp_path / "out"
    write_files(out, [f for f in files if f.path.name not in ("m_model.cpp",)])
    (out / "m_model.h").unlink()  # needs the TFLM headers
    tinyml_h = out / "tinyml_model.h"
    tinyml_h.write_text(tinyml_h.read_text().replace('#include "m_model_data.h"\n', ""))
    _compile_all(out)
