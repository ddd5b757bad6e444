// SPDX-License-Identifier: Apache-2.0
// On-target model tests, for either runtime: the generated model loads with
// the generated arena size, every packed test image gives exactly the host's
// golden int8 output, and the arena stays within the generated size (TFLM:
// close to the host measurement; AOT: exactly the compiled plan). Each
// Invoke() runs between insn_region_start()/insn_region_stop(), so the same ELF
// also serves the instruction-count comparisons (kernel sets, DSP vs portable).
#include <unity.h>

#include <cstdio>
#include <cstdlib>

#include "tinyml/classifier.h"
#include "tinyml_insn_markers.h"
#include "tinyml_model.h"

namespace gen = tinyml::generated;

namespace {

// The host TFLM Python interpreter runs 64-bit; its persistent structs are
// larger, so its measurement exceeds the 32-bit target's by about 1 KB (4 KB
// allowed).
constexpr size_t kHostExcessAllowance = 4096;

alignas(16) uint8_t g_arena[gen::kTensorArenaSize];
tinyml::Classifier g_classifier(gen::kModel, g_arena, sizeof(g_arena));

void test_begin_allocates_with_generated_arena() {
  const tinyml::Status status = g_classifier.Begin();
  TEST_ASSERT_EQUAL_INT_MESSAGE(static_cast<int>(tinyml::Status::kOk),
                                static_cast<int>(status),
                                g_classifier.error_message());
}

void test_arena_used_fits_and_matches_host() {
  const size_t used = g_classifier.arena_used_bytes();
  printf("TINYML arena used=%u generated=%u host=%u\n",
         static_cast<unsigned>(used),
         static_cast<unsigned>(gen::kTensorArenaSize),
         static_cast<unsigned>(gen::kMeasuredArenaBytes));
  TEST_ASSERT_GREATER_THAN(0, static_cast<int>(used));
#if defined(TINYML_RUNTIME_AOT)
  // The compiled model's memory plan is exact: the generated arena is what it
  // uses (scratch, input, output), below what TFLM would need.
  TEST_ASSERT_TRUE(g_classifier.is_aot());
  TEST_ASSERT_EQUAL_INT(static_cast<int>(gen::kTensorArenaSize),
                        static_cast<int>(used));
  TEST_ASSERT_LESS_THAN(static_cast<int>(gen::kMeasuredArenaBytes),
                        static_cast<int>(used));
#else
  TEST_ASSERT_FALSE(g_classifier.is_aot());
  TEST_ASSERT_LESS_OR_EQUAL(static_cast<int>(gen::kTensorArenaSize),
                            static_cast<int>(used));
  TEST_ASSERT_LESS_OR_EQUAL(static_cast<int>(gen::kMeasuredArenaBytes + 256),
                            static_cast<int>(used));
  TEST_ASSERT_GREATER_OR_EQUAL(static_cast<int>(gen::kMeasuredArenaBytes) -
                                   static_cast<int>(kHostExcessAllowance),
                               static_cast<int>(used));
#endif
}

void test_outputs_match_host_goldens() {
  TEST_ASSERT_EQUAL_INT(gen::kCategoryCount, g_classifier.output_size());
  for (int i = 0; i < gen::kImageCount; ++i) {
    const uint8_t* pixels =
        gen::kImageData + static_cast<size_t>(i) * gen::kImageBytes;
    TEST_ASSERT_EQUAL_INT(static_cast<int>(tinyml::Status::kOk),
                          static_cast<int>(g_classifier.SetInputPixels(
                              pixels, gen::kImageFormat)));
    insn_region_start();
    const tinyml::Status status = g_classifier.Invoke();
    insn_region_stop();
    TEST_ASSERT_EQUAL_INT(static_cast<int>(tinyml::Status::kOk),
                          static_cast<int>(status));
    const int8_t* out = g_classifier.output_int8();
    TEST_ASSERT_NOT_NULL(out);
    printf("TINYML output image=%d", i);
    for (int k = 0; k < gen::kCategoryCount; ++k) printf(" %d", out[k]);
    printf("\n");
    TEST_ASSERT_EQUAL_INT8_ARRAY(gen::kGoldenOutputs[i], out,
                                 gen::kCategoryCount);
  }
}

}  // namespace

int main() {
  UNITY_BEGIN();
  RUN_TEST(test_begin_allocates_with_generated_arena);
  RUN_TEST(test_arena_used_fits_and_matches_host);
  RUN_TEST(test_outputs_match_host_goldens);
  UNITY_END();
  return 0;  // failures are reported through the result lines, not the exit
             // code
}
