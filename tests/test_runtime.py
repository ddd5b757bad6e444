# SPDX-License-Identifier: Apache-2.0
"""The C++ runtime: its pio test suites, strict host and Cortex-M7 compiles, format."""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

REPO = Path(__file__).resolve().parents[1]
FIRMWARE = REPO / "tests" / "firmware"
UNITY_LITE = REPO / "platforms" / "unity-lite" / "src"
SUITES_EXPECTED = (
    "test_canvas",
    "test_image_input",
    "test_output",
    "test_result_reporter",
)
# The runtime files that need no TFLM header and no vendor HAL: src/*.cpp and the
# QEMU board backend (plain C stdio). src/tflm/ needs TFLM; other boards need HALs.
TFLM_FREE_SOURCES = sorted(
    p.relative_to(REPO).as_posix()
    for p in [
        *(REPO / "src").glob("*.cpp"),
        *(REPO / "src" / "boards" / "mps2_an500").glob("*.cpp"),
    ]
)
# The QEMU board backend includes the platform's clock header.
QEMU_STARTUP = REPO / "platforms" / "qemu_mps2_an500" / "startup"
STRICT = [
    "-std=c++17",
    "-Wall",
    "-Wextra",
    "-Werror",
    "-pedantic",
    "-fno-exceptions",
    "-fno-rtti",
]
M7 = ["-mcpu=cortex-m7", "-mthumb", "-mfloat-abi=hard", "-mfpu=fpv5-sp-d16"]
CLASSIFIER = REPO / "src" / "classifier.cpp"


def _compile(compiler: str, flags: list[str], source: Path, out: Path) -> None:
    proc = subprocess.run(
        [
            compiler,
            *flags,
            f"-I{REPO / 'include'}",
            f"-I{QEMU_STARTUP}",
            "-c",
            str(source),
            "-o",
            str(out),
        ],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr


def test_tflm_free_sources_are_found() -> None:
    assert "src/canvas.cpp" in TFLM_FREE_SOURCES
    assert "src/classifier.cpp" in TFLM_FREE_SOURCES
    assert "src/boards/mps2_an500/display.cpp" in TFLM_FREE_SOURCES
    assert not any("tflm/" in s for s in TFLM_FREE_SOURCES)


# --- Strict compiles ---


@pytest.mark.compiler
@pytest.mark.parametrize("source", TFLM_FREE_SOURCES)
def test_host_compile_strict(source: str, tmp_path: Path) -> None:
    if shutil.which("g++") is None:
        pytest.skip("host g++ is not on PATH")
    _compile("g++", STRICT, REPO / source, tmp_path / "out.o")


@pytest.mark.compiler
@pytest.mark.parametrize("source", TFLM_FREE_SOURCES)
def test_cortex_m7_compile_strict(source: str, tmp_path: Path) -> None:
    if shutil.which("arm-none-eabi-g++") is None:
        pytest.skip(
            "arm-none-eabi-g++ is not on PATH (apt-get install gcc-arm-none-eabi)"
        )
    _compile(
        "arm-none-eabi-g++", STRICT + M7 + ["-Os"], REPO / source, tmp_path / "out.o"
    )


@pytest.mark.compiler
def test_tflm_backend_compiles_to_nothing_without_tflm(tmp_path: Path) -> None:
    if shutil.which("g++") is None:
        pytest.skip("host g++ is not on PATH")
    obj = tmp_path / "tflm_backend.o"
    _compile("g++", STRICT, REPO / "src" / "tflm" / "tflm_backend.cpp", obj)
    symbols = subprocess.run(["nm", "-C", str(obj)], capture_output=True, text=True)
    assert "tinyml::Classifier" not in symbols.stdout


@pytest.mark.compiler
@pytest.mark.tflm_sources
def test_classifier_compiles_with_tflm_headers(tmp_path: Path) -> None:
    from platformio_tinyml.errors import TinyMLError
    from platformio_tinyml.tflm_sources import locate_tflm

    try:
        tree = locate_tflm(None)
    except TinyMLError as exc:
        pytest.skip(f"tflite-micro sources unusable: {exc}")
    if tree is None:
        pytest.skip("no tflite-micro checkout at $TINYML_TFLM_DIR or the default place")
    system = [
        f"-isystem{p}"
        for p in (tree.root, tree.flatbuffers / "include", tree.gemmlowp, tree.ruy)
    ]
    flags = STRICT + ["-DTINYML_HAVE_TFLM=1", *system]
    flags.remove("-pedantic")  # TFLM headers use GNU extensions
    for source in (REPO / "src" / "tflm" / "tflm_backend.cpp", CLASSIFIER):
        _compile("g++", flags, source, tmp_path / f"{source.stem}.o")


@pytest.mark.compiler
def test_umbrella_header_is_self_contained(tmp_path: Path) -> None:
    if shutil.which("g++") is None:
        pytest.skip("host g++ is not on PATH")
    src = tmp_path / "umbrella.cpp"
    src.write_text('#include "tinyml/tinyml.h"\nint main() { return 0; }\n')
    _compile("g++", STRICT, src, tmp_path / "umbrella.o")


# A compiled model as `tinyml compile` emits it (C99, int NAME_invoke(in, out,
# arena)), written by hand: the output is the input plus one, staged through the
# scratch at the arena's start; input[0] == 127 makes it fail with code 3.
_TOY_AOT_C = r"""
#include <stdint.h>
#include <string.h>
int toy_aot_invoke(const int8_t *input, int8_t *output, void *arena) {
  int8_t *scratch = (int8_t *)arena;
  int i;
  if (input[0] == 127) return 3;
  memcpy(scratch, input, 4);
  for (i = 0; i < 4; ++i) output[i] = (int8_t)(scratch[i] + 1);
  return 0;
}
"""

_TOY_AOT_MAIN = r"""
#include <cstdio>
#include <cstring>
#include "tinyml/classifier.h"
extern "C" int toy_aot_invoke(const int8_t*, int8_t*, void*);
namespace {
int8_t lut[256];
const char* const labels[4] = {"a", "b", "c", "d"};
alignas(16) uint8_t arena[64];
int failures = 0;
void Check(bool ok, const char* what) {
  if (!ok) { std::printf("FAIL %s\n", what); ++failures; }
}
}  // namespace
int main() {
  for (int p = 0; p < 256; ++p) lut[p] = static_cast<int8_t>(p - 128);
  // 2x2x1 int8 model; 20 bytes of scratch: input at 32, output at 48, 64 total.
  const tinyml::ModelDescriptor model = {
      nullptr, 0, nullptr, 2, 2, 1, tinyml::TensorType::kInt8,
      tinyml::TensorType::kInt8, 1.0f / 255, -128, 0.5f, -10, 4, labels, lut,
      sizeof(arena), &toy_aot_invoke, 20};
  tinyml::Classifier small(model, arena, 63);
  Check(small.Begin() == tinyml::Status::kAllocationFailed, "small arena");
  tinyml::Classifier c(model, arena, sizeof(arena));
  Check(c.is_aot(), "is_aot");
  Check(c.Invoke() == tinyml::Status::kNotReady, "invoke before begin");
  Check(c.Begin() == tinyml::Status::kOk, c.error_message());
  Check(c.arena_used_bytes() == 64, "arena used");
  Check(c.output_size() == 4, "output size");
  const uint8_t pixels[4] = {0, 1, 200, 255};
  Check(c.SetInputPixels(pixels, tinyml::PixelFormat::kUint8) ==
            tinyml::Status::kOk, "set pixels");
  const int8_t quantized[4] = {-128, -127, 72, 127};
  Check(std::memcmp(arena + 32, quantized, 4) == 0, "input after scratch");
  Check(c.Classify().label == -1, "no result before invoke");
  const int8_t failing[4] = {127, 0, 0, 0};
  Check(c.SetInputInt8(failing, 4) == tinyml::Status::kOk, "set int8");
  Check(c.Invoke() == tinyml::Status::kInvokeFailed, "failing invoke");
  Check(std::strstr(c.error_message(), "returned 3") != nullptr, "message");
  Check(c.Classify().label == -1, "no result after a failed invoke");
  Check(c.SetInputPixels(pixels, tinyml::PixelFormat::kUint8) ==
            tinyml::Status::kOk, "set pixels again");
  Check(c.Invoke() == tinyml::Status::kOk, c.error_message());
  const int8_t expected[4] = {-127, -126, 73, -128};  // 127 + 1 wraps
  Check(std::memcmp(c.output_int8(), expected, 4) == 0, "output");
  Check(c.output_float() == nullptr, "no float output");
  const tinyml::Result r = c.Classify();
  Check(r.label == 2, "label");
  Check(r.score == 0.5f * (73 + 10), "score");
  Check(c.SetInputInt8(quantized, 3) == tinyml::Status::kInputMismatch,
        "short input");
  std::printf("%d failures\n", failures);
  return failures;
}
"""


@pytest.mark.compiler
def test_classifier_runs_a_compiled_model_without_tflm(tmp_path: Path) -> None:
    if shutil.which("g++") is None or shutil.which("gcc") is None:
        pytest.skip("host gcc/g++ are not on PATH")
    (tmp_path / "toy_aot.c").write_text(_TOY_AOT_C)
    (tmp_path / "main.cpp").write_text(_TOY_AOT_MAIN)
    objects = []
    for source in (
        tmp_path / "main.cpp",
        CLASSIFIER,
        *(REPO / "src" / name for name in ("image_input.cpp", "output.cpp")),
        REPO / "src" / "timing.cpp",
    ):
        objects.append(tmp_path / f"{source.stem}.o")
        _compile("g++", STRICT, source, objects[-1])
    c_flags = ["-std=c99", "-Wall", "-Wextra", "-Werror", "-pedantic"]
    _compile("gcc", c_flags, tmp_path / "toy_aot.c", tmp_path / "toy_aot.o")
    exe = tmp_path / "toy"
    link = subprocess.run(
        ["g++", *map(str, objects), str(tmp_path / "toy_aot.o"), "-o", str(exe)],
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert link.returncode == 0, link.stderr
    run = subprocess.run([str(exe)], capture_output=True, text=True, timeout=60)
    assert run.returncode == 0, run.stdout
    assert run.stdout.strip() == "0 failures"


def test_clang_format_clean() -> None:
    if shutil.which("clang-format") is None:
        pytest.skip("clang-format is not on PATH (apt-get install clang-format)")
    files = sorted(
        str(p)
        for d in ("include", "src")
        for p in (REPO / d).rglob("*")
        if p.suffix in (".h", ".cpp")
    )
    proc = subprocess.run(
        ["clang-format", "--dry-run", "--Werror", "--style=file", *files],
        cwd=REPO,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert proc.returncode == 0, proc.stderr[-4000:]


# --- unity-lite ---

_FAILING_SUITE = r"""
#include <unity.h>
void setUp() {}
void tearDown() {}
static void helper_fails() { TEST_ASSERT_EQUAL_STRING("abc", "abd"); }
void test_pass() { TEST_ASSERT_EQUAL_INT8_ARRAY("ab", "ab", 2); }
void test_int() { TEST_ASSERT_EQUAL_INT(3, 4); }
void test_float() { TEST_ASSERT_FLOAT_WITHIN(0.01f, 0.5f, 0.25f); }
void test_array() { const signed char a[] = {1, 2, 3}, b[] = {1, 2, 4};
                    TEST_ASSERT_EQUAL_INT8_ARRAY(a, b, 3); }
void test_helper() { helper_fails(); TEST_FAIL_MESSAGE("not reached"); }
void test_ignored() { TEST_IGNORE_MESSAGE("later"); }
int main() {
  UNITY_BEGIN();
  RUN_TEST(test_pass); RUN_TEST(test_int); RUN_TEST(test_float);
  RUN_TEST(test_array); RUN_TEST(test_helper); RUN_TEST(test_ignored);
  return UNITY_END();
}
"""


@pytest.mark.compiler
def test_unity_lite_prints_unity_format(tmp_path: Path) -> None:
    if shutil.which("g++") is None or shutil.which("gcc") is None:
        pytest.skip("host gcc/g++ are not on PATH")
    suite = tmp_path / "suite.cpp"
    suite.write_text(_FAILING_SUITE)
    unity_o = tmp_path / "unity.o"
    for cmd in (
        [
            "gcc",
            "-std=c99",
            "-Wall",
            "-Wextra",
            "-Werror",
            "-c",
            str(UNITY_LITE / "unity.c"),
            "-o",
            str(unity_o),
        ],
        [
            "g++",
            "-std=c++17",
            "-Wall",
            "-Wextra",
            "-Werror",
            f"-I{UNITY_LITE}",
            str(suite),
            str(unity_o),
            "-o",
            str(tmp_path / "suite"),
        ],
    ):
        proc = subprocess.run(cmd, capture_output=True, text=True, timeout=120)
        assert proc.returncode == 0, proc.stderr
    run = subprocess.run(
        [str(tmp_path / "suite")], capture_output=True, text=True, timeout=60
    )
    assert run.returncode == 4  # UNITY_END() returns the failure count
    lines = run.stdout.splitlines()
    name = str(suite)
    assert lines[0] == f"{name}:15:test_pass:PASS"
    assert f"{name}:7:test_int:FAIL: Expected 3 Was 4" in lines
    assert f"{name}:8:test_float:FAIL: Expected 0.5 Was 0.25 (delta 0.01)" in lines
    assert f"{name}:10:test_array:FAIL: Element 2 Expected 3 Was 4" in lines
    assert f"{name}:5:test_helper:FAIL: Expected 'abc' Was 'abd'" in lines
    assert f"{name}:12:test_ignored:IGNORE: later" in lines
    assert "not reached" not in run.stdout
    assert lines[-2:] == ["6 Tests 4 Failures 1 Ignored", "FAIL"]
    # PlatformIO's own Unity parser accepts every result line.
    unity_runner = pytest.importorskip("platformio.test.runners.unity")
    pattern: re.Pattern[str] = unity_runner.UnityTestRunner.TESTCASE_PARSE_RE
    statuses = [m.group("status") for m in map(pattern.search, lines) if m]
    assert statuses == ["PASS", "FAIL", "FAIL", "FAIL", "FAIL", "IGNORE"]


# --- pio test ---


@pytest.mark.pio
@pytest.mark.compiler
def test_pio_test_native_suites_pass(tmp_path_factory: pytest.TempPathFactory) -> None:
    try:
        import platformio  # noqa: F401

        from devtools.pio_offline import offline_env, provision_tool_scons
    except ImportError as exc:
        pytest.skip(
            f"PlatformIO is not installed ({exc}): pip install 'platformio-tinyml[pio]'"
        )
    if shutil.which("g++") is None:
        pytest.skip("host g++ is not on PATH; the hostgcc platform needs it")
    core = tmp_path_factory.mktemp("pio-core")
    provision_tool_scons(core)
    env = {**os.environ, **offline_env(core), "PYTHONDONTWRITEBYTECODE": "1"}
    proc = subprocess.run(
        [
            sys.executable,
            "-m",
            "platformio",
            "test",
            "-d",
            str(FIRMWARE),
            "-e",
            "native",
        ],
        capture_output=True,
        text=True,
        env=env,
        timeout=900,
    )
    output = proc.stdout + proc.stderr
    assert proc.returncode == 0, output[-6000:]
    for suite in SUITES_EXPECTED:
        assert re.search(rf"native\s+{suite}\s+PASSED", output), output[-6000:]
    summary = re.search(r"(\d+) test cases: (\d+) succeeded", output)
    assert summary is not None and summary.group(1) == summary.group(2), output[-2000:]
    assert int(summary.group(1)) >= 30
