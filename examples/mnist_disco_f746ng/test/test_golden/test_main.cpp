// SPDX-License-Identifier: Apache-2.0
// On-target golden test: every packed image gives bit-exactly the int8 output
// that the host TFLM interpreter recorded (kGoldenOutputs), and the model fits
// the generated arena.
#include <unity.h>

#include <cstdint>

#include "tinyml/canvas.h"
#include "tinyml/classifier.h"
#include "tinyml/display.h"
#include "tinyml_model.h"

namespace {

namespace gen = tinyml::generated;

constexpr int kTensorArenaSize = static_cast<int>(gen::kTensorArenaSize);
alignas(16) uint8_t tensor_arena[kTensorArenaSize];

tinyml::Classifier* classifier = nullptr;

}  // namespace

void setUp() {}
void tearDown() {}

void test_begin_allocates_within_arena() {
  TEST_ASSERT_EQUAL_MESSAGE(static_cast<int>(tinyml::Status::kOk),
                            static_cast<int>(classifier->Begin()),
                            classifier->error_message());
  TEST_ASSERT_GREATER_THAN_UINT32(0, classifier->arena_used_bytes());
  TEST_ASSERT_LESS_OR_EQUAL_UINT32(kTensorArenaSize,
                                   classifier->arena_used_bytes());
  TEST_ASSERT_EQUAL_INT(gen::kCategoryCount, classifier->output_size());
}

void test_every_image_matches_golden_output() {
  TEST_ASSERT_GREATER_THAN_INT(0, static_cast<int>(gen::kImageCount));
  for (int i = 0; i < static_cast<int>(gen::kImageCount); ++i) {
    const uint8_t* pixels =
        gen::kImageData + static_cast<size_t>(i) * gen::kImageBytes;
    TEST_ASSERT_EQUAL(static_cast<int>(tinyml::Status::kOk),
                      static_cast<int>(classifier->SetInputPixels(
                          pixels, gen::kImageFormat)));
    TEST_ASSERT_EQUAL(static_cast<int>(tinyml::Status::kOk),
                      static_cast<int>(classifier->Invoke()));
    TEST_ASSERT_EQUAL_INT8_ARRAY(
        gen::kGoldenOutputs[i], classifier->output_int8(), gen::kCategoryCount);
  }
}

int main() {
  // Brings the board up (clocks, console, clock source) as the app does.
  static tinyml::Canvas canvas;
  tinyml::DisplayBegin(canvas);
  static tinyml::Classifier static_classifier(gen::kModel, tensor_arena,
                                              kTensorArenaSize);
  classifier = &static_classifier;
  UNITY_BEGIN();
  RUN_TEST(test_begin_allocates_within_arena);
  RUN_TEST(test_every_image_matches_golden_output);
  return UNITY_END();
}
