// SPDX-License-Identifier: Apache-2.0
// Classifies the packed test images in a loop: each one is drawn scaled up on
// the LCD with the predicted label, score and latency, and reported as one
// serial line. Meanwhile it serves the serial inference protocol (your own
// images from `tinyml classify`), and a touch on the screen switches to the
// digit pad: draw a digit, lift the finger, see the prediction and the ten
// scores. Shared by every env of this project; board differences live in the
// tinyml library's src/boards/<board_id>/.
#include <cstdint>

#include "tinyml/canvas.h"
#include "tinyml/classifier.h"
#include "tinyml/classifier_backend.h"
#include "tinyml/digit_pad.h"
#include "tinyml/display.h"
#include "tinyml/result_reporter.h"
#include "tinyml/serial_link.h"
#include "tinyml/serial_port.h"
#include "tinyml/serial_service.h"
#include "tinyml/timing.h"
#include "tinyml/touch.h"
#include "tinyml_model.h"

// Passes over the image set before main() returns; 0 cycles forever (boards).
#ifndef TINYML_EXAMPLE_PASSES
#define TINYML_EXAMPLE_PASSES 0
#endif
// How long each result stays on the screen.
#ifndef TINYML_EXAMPLE_SHOW_MS
#define TINYML_EXAMPLE_SHOW_MS 1000
#endif
// 1: after the passes, keep serving serial requests (and the touch pad)
// instead of returning from main(): the emulated twin's `qemu_serve` env.
#ifndef TINYML_EXAMPLE_SERVE
#define TINYML_EXAMPLE_SERVE 0
#endif
#ifndef TINYML_EXAMPLE_BAUD
#define TINYML_EXAMPLE_BAUD 115200
#endif

namespace {

namespace gen = tinyml::generated;

constexpr int kTensorArenaSize = static_cast<int>(gen::kTensorArenaSize);
alignas(16) uint8_t tensor_arena[kTensorArenaSize];

constexpr uint32_t kForeground = tinyml::kColorWhite;
constexpr uint32_t kBackground = tinyml::kColorBlack;

tinyml::Classifier* classifier = nullptr;
tinyml::SerialService* service = nullptr;
tinyml::SerialLink* link = nullptr;
tinyml::Canvas canvas;
tinyml::DigitPad pad(canvas);
tinyml::ResultReporter reporter;
bool display_ready = false;
bool touch_ready = false;
bool pad_mode = false;  // the digit pad replaced the image slideshow
// A host is sending requests: the slideshow pauses, so that no byte arrives
// while an inference keeps the UART unread.
constexpr uint32_t kHostQuietUs = 10u * 1000u * 1000u;
bool host_active = false;
uint32_t last_request_us = 0;
bool failed = false;
int image_index = 0;
int passes = 0;

void Fail(const char* reason) {
  reporter.ReportFail(reason);
  failed = true;
}

void ShowImageResult(const uint8_t* pixels, tinyml::PixelFormat format,
                     const tinyml::Result& result) {
  if (!display_ready) return;
  tinyml::ResultView view = {};
  view.pixels = pixels;
  view.format = format;
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

// Every classification served over the serial port is shown on the LCD:
// drawn digits on the pad, images like the slideshow's.
void OnServed(const uint8_t* pixels, const tinyml::ImageSpec& spec,
              const tinyml::Result& result, const float* scores, int count,
              const tinyml::StrokesRequest* strokes, void*) {
  if (!display_ready) return;
  if (strokes != nullptr) {
    pad_mode = true;
    pad.SetStrokes(strokes->points, strokes->point_count, strokes->stroke_ends,
                   strokes->stroke_count, strokes->width, strokes->height);
    pad.ShowResult(pixels, result, scores, count);
    tinyml::DisplayFlush(canvas);
  } else if (!pad_mode) {
    ShowImageResult(pixels, spec.format, result);
  }
}

// Serial requests and touch input; called all the time, never blocks.
void Serve() {
  if (link != nullptr && link->Poll() > 0) {
    host_active = true;
    last_request_us = tinyml::Micros();
  } else if (host_active &&
             tinyml::MicrosSince(last_request_us) > kHostQuietUs) {
    host_active = false;
  }
  if (!touch_ready || !display_ready) return;
  int x = 0, y = 0;
  const bool pressed = tinyml::TouchRead(&x, &y);
  if (!pad_mode) {
    if (!pressed) return;
    pad_mode = true;  // the first touch opens the pad
    pad.Reset();
    tinyml::DisplayFlush(canvas);
    return;
  }
  const tinyml::PadEvent event = pad.OnTouch(pressed, x, y);
  if (event == tinyml::PadEvent::kStrokeEnded) {
    tinyml::Result result = {};
    if (service->ClassifyStrokes(pad.points(), pad.point_count(),
                                 pad.stroke_ends(), pad.stroke_count(),
                                 &result)) {
      pad.ShowResult(service->digit(), result, service->scores(),
                     gen::kCategoryCount);
      reporter.ReportInference(-1, result, -1);
    }
  }
  if (pressed || event != tinyml::PadEvent::kNone) {
    tinyml::DisplayFlush(canvas);
  }
}

// Waits on the library clock while serving, so no board API is needed here.
void WaitMs(uint32_t ms) {
  const uint32_t start = tinyml::Micros();
  do {
    Serve();
  } while (tinyml::MicrosSince(start) < ms * 1000u);
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
  static tinyml::ClassifierBackend static_backend(*classifier, gen::kModel);
  static tinyml::SerialService static_service(static_backend, &OnServed);
  static tinyml::SerialLink static_link(
      tinyml::SerialPortBegin(TINYML_EXAMPLE_BAUD),
      &tinyml::SerialService::Handle, &static_service);
  service = &static_service;
  link = &static_link;
  touch_ready =
      display_ready && tinyml::TouchBegin(canvas.width(), canvas.height());
}

void loop() {
  if (pad_mode || host_active) {
    Serve();
    return;
  }
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

  ShowImageResult(pixels, gen::kImageFormat, result);
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
  if (TINYML_EXAMPLE_SERVE && !failed) {
    if (display_ready) {
      pad_mode = true;
      pad.Reset();
      tinyml::DisplayFlush(canvas);
    }
    for (;;) Serve();
  }
  return failed ? 1 : 0;
}
