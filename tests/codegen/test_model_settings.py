# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.codegen.model_settings: goldens and compiled checks."""

from __future__ import annotations

import dataclasses
import os
from pathlib import Path

import pytest

from platformio_tinyml.codegen.c_arrays import render_model_sources
from platformio_tinyml.codegen.model_settings import c_float, c_string, render_settings
from platformio_tinyml.config import INPUT_RANGES
from platformio_tinyml.errors import CodegenError
from platformio_tinyml.fileio import write_files
from platformio_tinyml.model_info import read_model

REPO = Path(__file__).resolve().parents[2]
LABELS = ("cat", "dog", 'say "hi"')
SETTINGS_FILES = [
    "tiny_model.cpp",
    "tiny_model.h",
    "tiny_model_settings.cpp",
    "tiny_model_settings.h",
    "tinyml_model.h",
]

# Checks constants against values computed here, independently of the generator:
# the LUT entries follow docs/design.md's formula for scale 0.003919258 / zp -128.
SETTINGS_MAIN = """\
#include <cstdio>
#include <cstring>
#include "tinyml_model.h"

using namespace tinyml::generated;
static_assert(kNumRows == 8 && kNumCols == 8 && kNumChannels == 1, "shape");
static_assert(kInputType == tinyml::TensorType::kInt8, "input type");
static_assert(kOutputType == tinyml::TensorType::kInt8, "output type");
static_assert(kCategoryCount == 3, "categories");
static_assert(kNumOps == 6, "ops");
static_assert(kTensorArenaSize == 4096 && kMeasuredArenaBytes == 2544, "arena");
static_assert(kInputZeroPoint == -128 && kOutputZeroPoint == -128, "zero points");
static_assert(TINYML_MODEL_HAS_INPUT_LUT == 1, "lut flag");

int main() {
  if (std::strcmp(kCategoryLabels[2], "say \\"hi\\"") != 0) return 1;
  if (std::strcmp(kOpNames[0], "CONV_2D") != 0) return 2;
  if (std::strcmp(kOpNames[kNumOps - 1], "SOFTMAX") != 0) return 3;
  // p / 255 / 0.003919258 - 128: 0 -> -128, 128 -> 0, 255 -> 127 (clipped).
  if (kInputQuantLut[0] != -128 || kInputQuantLut[128] != 0 ||
      kInputQuantLut[255] != 127) return 4;
  if (g_tiny_model_data_size != %d) return 5;
  std::printf("scale=%%.6f\\n", static_cast<double>(kInputScale));
  return 0;
}
"""


def _render(info, **overrides) -> dict[str, bytes]:
    args = dict(
        stem="tiny",
        labels=LABELS,
        arena_size=4096,
        measured_arena=2544,
        source_name="tiny_cnn_int8.tflite",
    )
    args.update(overrides)
    return {str(f.path): f.content for f in render_settings(info, **args)}


def test_golden_int8(tiny_int8: bytes, golden) -> None:
    files = _render(read_model(tiny_int8), image_headers=("test_image_data.h",))
    assert sorted(files) == SETTINGS_FILES
    for name, content in files.items():
        golden(f"model_settings/int8/{name}", content)


def test_golden_float(tiny_float: bytes, golden) -> None:
    files = _render(read_model(tiny_float), labels=(), source_name="f.tflite")
    for name, content in files.items():
        golden(f"model_settings/float/{name}", content)
    settings = files["tiny_model_settings.h"].decode()
    assert "kInputQuantLut" not in settings
    assert "TensorType::kFloat32" in settings
    assert '"0", "1", "2",' in files["tiny_model_settings.cpp"].decode()
    assert "    nullptr," in files["tiny_model.cpp"].decode()


def test_input_range_sets_the_device_lut(tiny_int8: bytes) -> None:
    """The device LUT follows the input range: 0..255 at the tiny model's scale
    (0.003919258, zero point -128) saturates from pixel 1 on."""
    info = read_model(tiny_int8)
    raw = info.input.__class__(**{**info.input.__dict__, "scale": 1.0})
    raw_info = dataclasses.replace(info, inputs=(raw, *info.inputs[1:]))
    files = _render(raw_info, input_range=INPUT_RANGES["0..255"])
    header = files["tiny_model_settings.h"].decode()
    assert "(input range 0..255)" in header
    table = files["tiny_model_settings.cpp"].decode().split("kInputQuantLut[256] = {")
    values = [int(v) for v in table[1].split("}")[0].replace(",", " ").split()]
    assert values == [p - 128 for p in range(256)]
    # Inferred when not configured: scale 1 with zero point -128 is 0..255.
    assert (
        _render(raw_info)["tiny_model_settings.cpp"] == files["tiny_model_settings.cpp"]
    )
    # The default range leaves the header of 0..1 models as it was.
    assert "input range" not in _render(info)["tiny_model_settings.h"].decode()


def test_resolver_registers_exactly_the_model_ops(tiny_int8: bytes) -> None:
    source = _render(read_model(tiny_int8))["tiny_model.cpp"].decode()
    calls = [
        line.split("resolver.")[1].split("(")[0]
        for line in source.splitlines()
        if "resolver.Add" in line
    ]
    assert calls == [
        "AddConv2D",
        "AddDepthwiseConv2D",
        "AddMaxPool2D",
        "AddReshape",
        "AddFullyConnected",
        "AddSoftmax",
    ]


def test_fixed_header_guards_the_tflm_part(tiny_int8: bytes) -> None:
    text = _render(read_model(tiny_int8), image_headers=("a_image_data.h",))[
        "tinyml_model.h"
    ].decode()
    assert '#include "a_image_data.h"' in text
    tflm = text.index("#if defined(TINYML_HAVE_TFLM)")
    assert text.index('#include "tiny_model.h"') > tflm
    assert text.index('#include "tiny_model_settings.h"') < tflm


def test_unsupported_op_is_named(tiny_int8: bytes) -> None:
    info = dataclasses.replace(read_model(tiny_int8), unsupported_ops=("TOPK_V2",))
    with pytest.raises(CodegenError, match="uses op 'TOPK_V2' that TFLM has no kernel"):
        _render(info)


def test_label_count_must_match_outputs(tiny_int8: bytes) -> None:
    with pytest.raises(CodegenError, match="name 2 classes but model .* has 3 outputs"):
        _render(read_model(tiny_int8), labels=("a", "b"))


def test_arena_below_measured_is_rejected(tiny_int8: bytes) -> None:
    with pytest.raises(CodegenError, match="arena size '100' is below"):
        _render(read_model(tiny_int8), arena_size=100)


def test_reserved_stem_is_rejected(tiny_int8: bytes) -> None:
    with pytest.raises(CodegenError, match="'while' is a reserved word"):
        _render(read_model(tiny_int8), stem="while")


def test_c_literals() -> None:
    assert c_string('a"b\\c\n??') == '"a\\"b\\\\c\\012\\077\\077"'
    assert c_string("é") == '"\\303\\251"'
    assert c_float(0.00390625) == "0.00390625f"
    assert c_float(1.0) == "1.0f"
    with pytest.raises(CodegenError, match="not finite"):
        c_float(float("nan"))


def _write_all(out: Path, data: bytes, **overrides) -> None:
    info = read_model(data)
    write_files(out, render_model_sources(data, stem="tiny", mode="carray"))
    write_files(
        out,
        render_settings(
            info,
            **{
                "stem": "tiny",
                "labels": LABELS,
                "arena_size": 4096,
                "measured_arena": 2544,
                "source_name": "tiny_cnn_int8.tflite",
                **overrides,
            },
        ),
    )


@pytest.mark.compiler
def test_settings_compile_and_run_without_tflm(
    tmp_path: Path, tiny_int8: bytes, host_cxx: str, tools
) -> None:
    _write_all(tmp_path, tiny_int8)
    (tmp_path / "main.cpp").write_text(SETTINGS_MAIN % len(tiny_int8))
    exe = tmp_path / "check"
    tools.run(
        [
            host_cxx,
            "-std=c++17",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-I",
            tmp_path,
            "-I",
            REPO / "include",
            tmp_path / "main.cpp",
            tmp_path / "tiny_model_settings.cpp",
            tmp_path / "tiny_model_data.cpp",
            "-o",
            exe,
        ]
    )
    assert tools.run([exe]).strip() == "scale=0.003919"


@pytest.mark.compiler
def test_settings_compile_for_cortex_m7(
    tmp_path: Path, tiny_int8: bytes, arm_cxx: str, tools
) -> None:
    _write_all(tmp_path, tiny_int8)
    tools.run(
        [
            arm_cxx,
            "-mcpu=cortex-m7",
            "-mthumb",
            "-std=c++17",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-I",
            tmp_path,
            "-I",
            REPO / "include",
            "-c",
            tmp_path / "tiny_model_settings.cpp",
            "-o",
            tmp_path / "s.o",
        ]
    )


def _tflm_dir() -> Path:
    root = Path(
        os.environ.get("TINYML_TFLM_DIR") or "~/.cache/tinyml-deps/tflite-micro"
    )
    root = root.expanduser()
    header = root / "tensorflow/lite/micro/micro_mutable_op_resolver.h"
    flatbuffers = (
        root / "tensorflow/lite/micro/tools/make/downloads/flatbuffers/include"
    )
    if not header.is_file() or not flatbuffers.is_dir():
        pytest.skip(
            f"no tflite-micro checkout with downloads at {root} (set TINYML_TFLM_DIR)"
        )
    return root


@pytest.mark.compiler
@pytest.mark.tflm_sources
@pytest.mark.parametrize(
    "model", ["int8", pytest.param("float", marks=pytest.mark.slow)]
)
def test_resolver_compiles_against_tflm(
    model: str,
    tmp_path: Path,
    tiny_int8: bytes,
    tiny_float: bytes,
    host_cxx: str,
    tools,
) -> None:
    root = _tflm_dir()
    downloads = root / "tensorflow/lite/micro/tools/make/downloads"
    data = tiny_int8 if model == "int8" else tiny_float
    _write_all(tmp_path, data, labels=())
    (tmp_path / "use.cpp").write_text(
        '#include "tiny_model.cpp"  // one translation unit: compile once\n'
        '#include "tinyml_model.h"\n'
        "const tinyml::ModelDescriptor* Descriptor() {\n"
        "  return &tinyml::generated::kModel;\n}\n"
    )
    flags = [
        "-std=c++17",
        "-Wall",
        "-Wextra",
        "-Werror",
        "-DTINYML_HAVE_TFLM=1",
        "-DTF_LITE_STATIC_MEMORY",
        "-I",
        tmp_path,
        "-I",
        REPO / "include",
        "-isystem",  # TFLM's own headers are not -Wextra clean
        root,
        "-isystem",
        downloads / "flatbuffers/include",
        "-isystem",
        downloads / "gemmlowp",
        "-isystem",
        downloads / "ruy",
    ]
    tools.run([host_cxx, *flags, "-c", tmp_path / "use.cpp", "-o", tmp_path / "use.o"])
