// SPDX-License-Identifier: Apache-2.0
// Classifies the packed test images in a loop: each one is drawn scaled up on
// the LCD with the predicted label, score and latency, and reported as one
// serial line. Shared by every env of this project; board differences live in
// the tinyml library's src/boards/<board_id>/.
#include <cstdint>

#include "tinyml/canvas.h"
#include "tinyml/classifier.h"
#include "tinyml/display.h"
#include "tinyml/result_reporter.h"
#include "tinyml/timing.h"
#include "tinyml_model.h"

// Passes over the image set before main() returns; 0 cycles forever (boards).
#ifndef TINYML_EXAMPLE_PASSES
#define TINYML_EXAMPLE_PASSES 0
#endif
// How long each result stays on the screen.
#ifndef TINYML_EXAMPLE_SHOW_MS
#define TINYML_EXAMPLE_SHOW_MS 1000
#endif

namespace {

namespace gen = tinyml::generated;

constexpr int kTensorArenaSize = static_cast<int>(gen::kTensorArenaSize);
alignas(16) uint8_t tensor_arena[kTensorArenaSize];

constexpr uint32_t kForeground = tinyml::kColorWhite;
constexpr uint32_t kBackground = tinyml::kColorBlack;

tinyml::Classifier* classifier = nullptr;
tinyml::Canvas canvas;
tinyml::ResultReporter reporter;
bool display_ready = false;
bool failed = false;
int image_index = 0;
int passes = 0;

void Fail(const char* reason) {
  reporter.ReportFail(reason);
  failed = true;
}

// Busy-waits on the library clock, so no board API is needed here.
void WaitMs(uint32_t ms) {
  const uint32_t start = tinyml::Micros();
  while (tinyml::MicrosSince(start) < ms * 1000u) {
  }
}

}  // namespace

void setup() {
  // Without a display the app still classifies and reports over serial.
  display_ready = tinyml::DisplayBegin(canvas);

  static tinyml::Classifier static_classifier(gen::kModel, tensor_arena,
                                              kTensorArenaSize);
  classifier = &static_classifier;
  const tinyml::Status status = classifier->Begin();
  if (status != tinyml::Status::kOk) {
    Fail(classifier->error_message());
    return;
  }
}

void loop() {
  const uint8_t* pixels =
      gen::kImageData + static_cast<size_t>(image_index) * gen::kImageBytes;
  if (classifier->SetInputPixels(pixels, gen::kImageFormat) !=
          tinyml::Status::kOk ||
      classifier->Invoke() != tinyml::Status::kOk) {
    Fail(classifier->error_message());
    return;
  }
  const tinyml::Result result = classifier->Classify();
  const int expected = static_cast<int>(gen::kImageLabels[image_index]);
  reporter.ReportInference(image_index, result, expected);

  if (display_ready) {
    tinyml::ResultView view = {};
    view.pixels = pixels;
    view.format = gen::kImageFormat;
    view.width = gen::kNumCols;
    view.height = gen::kNumRows;
    view.channels = gen::kNumChannels;
    view.label = result.label;
    view.label_name = gen::kCategoryLabels[result.label];
    view.score = result.score;
    view.latency_us = result.latency_us;
    canvas.DrawResult(view, kForeground, kBackground);
    tinyml::DisplayFlush(canvas);
  }
  WaitMs(TINYML_EXAMPLE_SHOW_MS);

  if (++image_index == static_cast<int>(gen::kImageCount)) {
    // Misclassifications are reported, not fatal: accuracy is below 100%.
    reporter.ReportSummary();
    image_index = 0;
    ++passes;
  }
}

int main() {
  setup();
  while (!failed &&
         (TINYML_EXAMPLE_PASSES == 0 || passes < TINYML_EXAMPLE_PASSES)) {
    loop();
  }
  return failed ? 1 : 0;
}
