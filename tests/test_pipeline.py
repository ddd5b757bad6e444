# SPDX-License-Identifier: Apache-2.0
"""Tests for platformio_tinyml.pipeline: stage order, caching, generated files."""

from __future__ import annotations

import re
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from platformio_tinyml.config import ArenaMargin, TinyMLConfig
from platformio_tinyml.errors import ConfigError
from platformio_tinyml.pipeline import (
    generate,
    input_fingerprint,
    model_stem,
    resolve_paths,
)

pytestmark = [pytest.mark.tflm]
REPO = Path(__file__).resolve().parents[1]


@pytest.fixture()
def model_cfg(tiny_int8_model, tmp_path: Path) -> TinyMLConfig:  # type: ignore[no-untyped-def]
    """The tiny int8 MNIST-shaped model as a file, with 4 packed 1bpp test images.

    The TFLM runtime: its files are what these tests check; the AOT runtime has its
    own tests below.
    """
    model = tmp_path / "digits.tflite"
    shutil.copy(tiny_int8_model.tflite_path, model)
    return TinyMLConfig(
        model=str(model),
        images=4,
        image_format="1bpp",
        verify_samples=200,
        runtime="tflm",
    )


def test_generate_writes_consistent_sources(
    model_cfg: TinyMLConfig, tmp_path: Path
) -> None:
    from platformio_tinyml.model_info import read_model
    from platformio_tinyml.verification import measure_arena

    out = tmp_path / "out"
    result = generate(model_cfg, out, cache_dir=tmp_path / "cache")
    tflite = Path(model_cfg.model).read_bytes()
    info = read_model(tflite)

    assert result.stem == "digits"
    assert result.model_bytes == len(tflite)
    assert result.ops == info.op_names
    # The arena is measured independently here and the margin applied on top.
    measured = measure_arena(tflite)
    assert result.measured_arena == measured
    assert result.arena_size == ArenaMargin(bytes=512).apply(measured)
    assert result.images == 4
    # The accuracy, recomputed with tf.lite (not TFLM) on the same sampled images.
    from platformio_tinyml.datasets import load_dataset, sample_test_split

    sample = sample_test_split(load_dataset("mnist"), 200)
    outputs = _tflite_reference(tflite, sample.x_test)
    expected = float(np.mean(np.argmax(outputs, axis=1) == sample.y_test))
    assert result.verify_samples == 200
    assert result.accuracy == pytest.approx(expected, abs=1 / 200)
    names = sorted(p.name for p in result.files)
    assert names == sorted(
        [
            "digits_model_data.h",
            "digits_model_data.cpp",
            "digits_model_settings.h",
            "digits_model_settings.cpp",
            "digits_model.h",
            "digits_model.cpp",
            "test_image_data.h",
            "test_image_data.cpp",
            "tinyml_model.h",
        ]
    )
    assert [p.name for p in result.tflm_sources] == ["digits_model.cpp"]
    settings = (out / "digits_model_settings.h").read_text()
    assert f"kTensorArenaSize = {result.arena_size}" in settings
    # Idempotent: a second run rewrites nothing.
    again = generate(model_cfg, out, cache_dir=tmp_path / "cache")
    assert again.changed == ()


def _tflite_reference(model: bytes, pixels: np.ndarray) -> np.ndarray:
    """Outputs of the tf.lite interpreter (TensorFlow, not TFLM) for uint8 pixels."""
    tf = pytest.importorskip("tensorflow", reason="the reference is tf.lite")
    from platformio_tinyml.preprocessing import to_model_input

    interpreter = tf.lite.Interpreter(model_content=model)
    interpreter.allocate_tensors()
    d_in = interpreter.get_input_details()[0]
    d_out = interpreter.get_output_details()[0]
    scale, zero_point = d_in["quantization"]
    inputs = to_model_input(pixels, np.dtype(d_in["dtype"]).name, scale, zero_point)
    rows = []
    for image in inputs:
        interpreter.set_tensor(d_in["index"], image[np.newaxis])
        interpreter.invoke()
        rows.append(interpreter.get_tensor(d_out["index"])[0].copy())
    return np.array(rows)


@pytest.mark.compiler
def test_generated_sources_link_and_goldens_match_labels(
    model_cfg: TinyMLConfig, tmp_path: Path
) -> None:
    """The TFLM-free generated files compile together and hold the right data.

    The compiled program prints each image's label, golden outputs and packed bytes;
    the labels must be those of the seeded test images, and the goldens what tf.lite
    computes for the decoded images.
    """
    if shutil.which("g++") is None:
        pytest.skip("g++ is not installed")
    out = tmp_path / "out"
    result = generate(model_cfg, out, cache_dir=tmp_path / "cache")
    main = tmp_path / "main.cpp"
    main.write_text(
        '#include <cstdio>\n#include "tinyml_model.h"\n'
        "using namespace tinyml::generated;\n"
        "int main() {\n"
        '  std::printf("images=%d classes=%d arena=%u\\n", (int)kImageCount,\n'
        "              (int)kCategoryCount, (unsigned)kTensorArenaSize);\n"
        "  for (int i = 0; i < (int)kImageCount; ++i) {\n"
        '    std::printf("%d", (int)kImageLabels[i]);\n'
        "    for (int c = 0; c < (int)kCategoryCount; ++c)\n"
        '      std::printf(" %d", (int)kGoldenOutputs[i][c]);\n'
        '    std::printf(" |");\n'
        "    for (int b = 0; b < (int)kImageBytes; ++b)\n"
        '      std::printf("%02x", (unsigned)kImageData[i * kImageBytes + b]);\n'
        '    std::printf("\\n");\n'
        "  }\n  return 0;\n}\n"
    )
    sources = [str(p) for p in result.sources if p not in result.tflm_sources]
    exe = tmp_path / "app"
    subprocess.run(
        [
            "g++",
            "-std=c++17",
            "-Wall",
            "-Wextra",
            "-Werror",
            f"-I{out}",
            f"-I{REPO / 'include'}",
            str(main),
            *sources,
            "-o",
            str(exe),
        ],
        check=True,
    )
    lines = subprocess.run(
        [str(exe)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert lines[0] == f"images=4 classes=10 arena={result.arena_size}"
    from platformio_tinyml.datasets import load_dataset
    from platformio_tinyml.images import decode_packed, select_test_images

    x, y = select_test_images(load_dataset("mnist"), 4, seed=model_cfg.seed)
    rows = [line.split(" |") for line in lines[1:]]
    labels = [int(r[0].split()[0]) for r in rows]
    goldens = np.array([[int(v) for v in r[0].split()[1:]] for r in rows])
    packed = b"".join(bytes.fromhex(r[1]) for r in rows)
    assert labels == [int(v) for v in y]
    pixels = decode_packed(
        packed, "1bpp", count=4, height=28, width=28, channels=1
    ).astype(np.uint8)
    # 1bpp keeps the digit's shape: the decoded image is the thresholded original.
    assert np.array_equal(pixels[..., 0] > 0, x[..., 0] >= model_cfg.image_threshold)
    reference = _tflite_reference(Path(model_cfg.model).read_bytes(), pixels)
    assert np.abs(goldens - reference.astype(np.int64)).max() <= 1
    assert (goldens.argmax(axis=1) == reference.argmax(axis=1)).all()


# --- AOT runtime ---------------------------------------------------------------------

# Runs tinyml::Classifier over every packed image and prints its int8 outputs next to
# the host TFLM goldens; no TFLM anywhere in the build.
_AOT_MAIN = r"""
#include <cstdio>
#include "tinyml/classifier.h"
#include "tinyml_model.h"
namespace gen = tinyml::generated;
alignas(16) static uint8_t arena[gen::kTensorArenaSize];
int main() {
  tinyml::Classifier classifier(gen::kModel, arena, sizeof(arena));
  if (classifier.Begin() != tinyml::Status::kOk) {
    std::printf("begin failed: %s\n", classifier.error_message());
    return 1;
  }
  std::printf("aot=%d used=%u\n", classifier.is_aot() ? 1 : 0,
              static_cast<unsigned>(classifier.arena_used_bytes()));
  int mismatches = 0;
  for (int i = 0; i < static_cast<int>(gen::kImageCount); ++i) {
    classifier.SetInputPixels(gen::kImageData + i * gen::kImageBytes,
                              gen::kImageFormat);
    if (classifier.Invoke() != tinyml::Status::kOk) return 2;
    const int8_t* out = classifier.output_int8();
    for (int k = 0; k < gen::kCategoryCount; ++k) {
      mismatches += out[k] != gen::kGoldenOutputs[i][k];
    }
  }
  std::printf("images=%d mismatches=%d\n", static_cast<int>(gen::kImageCount),
              mismatches);
  return 0;
}
"""


def test_auto_runtime_compiles_the_model(
    model_cfg: TinyMLConfig, tmp_path: Path
) -> None:
    from platformio_tinyml.aot import compile_model
    from platformio_tinyml.codegen.aot_model import aot_arena

    out = tmp_path / "out"
    result = generate(
        model_cfg.replace(runtime="auto"), out, cache_dir=tmp_path / "cache"
    )
    assert (result.runtime, result.runtime_reason) == (
        "aot",
        "auto: the AOT backend supports every op",
    )
    names = {p.name for p in result.files}
    assert {"digits_aot.h", "digits_aot.c", "digits_model.h", "digits_model.cpp"} <= (
        names
    )
    assert result.tflm_sources == ()
    assert "digits_model_data.cpp" not in {p.name for p in result.sources}
    assert out / "digits_aot.c" in result.sources
    compiled = compile_model(Path(model_cfg.model).read_bytes(), "digits_aot")
    assert result.arena_size == aot_arena(compiled).total
    assert (out / "digits_aot.c").read_text() == compiled.source
    model_h = (out / "digits_model.h").read_text()
    assert "tensorflow" not in model_h
    fixed = (out / "tinyml_model.h").read_text()
    assert '#include "digits_model.h"' in fixed and "TINYML_HAVE_TFLM" not in fixed


@pytest.mark.compiler
def test_aot_classifier_matches_host_goldens(
    model_cfg: TinyMLConfig, tmp_path: Path
) -> None:
    """Generated AOT sources + the runtime, built with host gcc: every golden holds."""
    if shutil.which("g++") is None or shutil.which("gcc") is None:
        pytest.skip("host gcc/g++ are not installed")
    out = tmp_path / "out"
    cfg = model_cfg.replace(runtime="aot", images=20, image_format="uint8")
    result = generate(cfg, out, cache_dir=tmp_path / "cache")
    (tmp_path / "main.cpp").write_text(_AOT_MAIN)
    runtime = [
        REPO / "src" / n
        for n in ("classifier.cpp", "image_input.cpp", "output.cpp", "timing.cpp")
    ]
    objects = []
    for source in [tmp_path / "main.cpp", *result.sources, *runtime]:
        obj = tmp_path / f"{source.name}.o"
        c = source.suffix == ".c"
        subprocess.run(
            [
                "gcc" if c else "g++",
                "-std=c99" if c else "-std=c++17",
                "-O2",
                "-Wall",
                "-Wextra",
                "-Werror",
                f"-I{out}",
                f"-I{REPO / 'include'}",
                "-c",
                str(source),
                "-o",
                str(obj),
            ],
            check=True,
        )
        objects.append(str(obj))
    exe = tmp_path / "app"
    subprocess.run(["g++", *objects, "-o", str(exe)], check=True)
    lines = subprocess.run(
        [str(exe)], capture_output=True, text=True, check=True
    ).stdout.splitlines()
    assert lines == [
        f"aot=1 used={result.arena_size}",
        "images=20 mismatches=0",
    ]
    assert result.arena_size < result.measured_arena


def test_external_flash_address_replaces_embedded_bytes(
    model_cfg: TinyMLConfig, tmp_path: Path
) -> None:
    cfg = model_cfg.replace(model_address=0x90000000, images=0)
    result = generate(cfg, tmp_path / "out", cache_dir=tmp_path / "cache")
    names = {p.name for p in result.files}
    assert "digits_model_data.cpp" not in names
    assert {"digits_model_data.h", "digits_model.hex"} <= names
    header = (tmp_path / "out" / "digits_model_data.h").read_text()
    assert "0x90000000" in header
    hex_text = (tmp_path / "out" / "digits_model.hex").read_text()
    assert hex_text.startswith(":02000004900") and hex_text.rstrip().endswith(
        ":00000001FF"
    )


def test_input_fingerprint_follows_inputs_and_skips_tensorflow(
    model_cfg: TinyMLConfig, tmp_path: Path
) -> None:
    base = input_fingerprint(model_cfg, tmp_path)
    assert base == input_fingerprint(model_cfg, tmp_path)
    assert base != input_fingerprint(model_cfg.replace(images=5), tmp_path)
    model = Path(model_cfg.model)
    model.write_bytes(model.read_bytes() + b"\0")
    assert base != input_fingerprint(model_cfg, tmp_path)
    code = (
        "import sys; from pathlib import Path\n"
        "from platformio_tinyml.config import TinyMLConfig\n"
        "from platformio_tinyml.pipeline import input_fingerprint\n"
        f"input_fingerprint(TinyMLConfig(model={model_cfg.model!r}), Path('.'))\n"
        "print('tensorflow' in sys.modules)\n"
    )
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout
    assert out.strip() == "False"


def test_relative_paths_resolve_against_the_project(tmp_path: Path) -> None:
    cfg = TinyMLConfig(
        model="models/m.tflite", dataset="folder:data/imgs", datasets_dir=Path("ds")
    )
    resolved = resolve_paths(cfg, tmp_path)
    assert resolved.model == str(tmp_path / "models/m.tflite")
    assert resolved.dataset == "folder:" + str(tmp_path / "data/imgs")
    assert resolved.datasets_dir == tmp_path / "ds"
    zoo = resolve_paths(TinyMLConfig(model="mnist_lenet"), tmp_path)
    assert zoo.model == "mnist_lenet"


@pytest.mark.parametrize(
    ("model", "prefix", "expected"),
    [
        ("mnist_dense", None, "mnist_dense"),
        ("/x/2-layer CNN.tflite", None, "m_2_layer_cnn"),
        ("https://example.invalid/models/lenet.tflite", None, "lenet"),
        ("mnist_dense", "digits", "digits"),
    ],
)
def test_model_stem(model: str, prefix: str | None, expected: str) -> None:
    assert model_stem(TinyMLConfig(model=model, symbol_prefix=prefix)) == expected


def test_unknown_model_name_lists_the_zoo(tmp_path: Path) -> None:
    with pytest.raises(ConfigError, match="neither a zoo architecture.*mnist_lenet"):
        generate(TinyMLConfig(model="resnet50"), tmp_path, cache_dir=tmp_path / "c")


def test_label_count_must_match_the_model(
    model_cfg: TinyMLConfig, tmp_path: Path
) -> None:
    cfg = model_cfg.replace(labels=("a", "b"), images=0)
    with pytest.raises(ConfigError, match="has 2 names but the model has 10 outputs"):
        generate(cfg, tmp_path / "out", cache_dir=tmp_path / "cache")
    assert not (tmp_path / "out").exists()


def test_summary_mentions_the_key_figures(
    model_cfg: TinyMLConfig, tmp_path: Path
) -> None:
    result = generate(model_cfg, tmp_path / "out", cache_dir=tmp_path / "cache")
    text = result.summary()
    assert re.search(rf"arena\s+{result.arena_size:,} bytes", text)
    assert "FULLY_CONNECTED" in text
    assert result.to_json()["stem"] == "digits"
    assert np.isclose(result.to_json()["model_bytes"], result.model_bytes)
