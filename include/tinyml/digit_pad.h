// SPDX-License-Identifier: Apache-2.0
// A touch-screen drawing pad for digits, laid out on a Canvas (480x272 or
// larger): a square drawing area on the left, a CLEAR button, the predicted
// digit, the 28x28 model input and a bar chart of the scores on the right.
// Boards feed it touch samples; on lift the strokes are ready for
// PrepareDrawnDigit (SerialService::ClassifyStrokes). TFLM-free.
#ifndef TINYML_DIGIT_PAD_H_
#define TINYML_DIGIT_PAD_H_

#include <cstdint>

#include "tinyml/canvas.h"
#include "tinyml/result.h"
#include "tinyml/serial_link.h"

namespace tinyml {

enum class PadEvent : uint8_t {
  kNone,
  kStrokeEnded,  // the finger lifted in the drawing area: classify now
  kCleared,      // the CLEAR button was tapped
};

class DigitPad {
 public:
  static constexpr int kAreaX = 8;
  static constexpr int kAreaY = 8;
  static constexpr int kAreaSize = 256;
  static constexpr int kPanelX = kAreaX + kAreaSize + 12;
  static constexpr int kButtonY = 8;
  static constexpr int kButtonHeight = 36;

  explicit DigitPad(Canvas& canvas, uint32_t foreground = kColorWhite,
                    uint32_t background = kColorBlack);

  // Clears the strokes and draws the empty pad.
  void Reset();

  // One touch sample in screen coordinates (`pressed` false: no finger).
  PadEvent OnTouch(bool pressed, int x, int y);

  // Replaces the strokes with `points` in a `width` x `height` area (e.g.
  // a strokes request) scaled into the drawing area, and draws them.
  void SetStrokes(const StrokePoint* points, int point_count,
                  const uint16_t* stroke_ends, int stroke_count, int width,
                  int height);

  // Shows the prediction: the digit, the 28x28 `digit` image (or nullptr)
  // and one bar per score (0..1).
  void ShowResult(const uint8_t* digit, const Result& result,
                  const float* scores, int count);

  // The strokes so far, in drawing-area coordinates (0..kAreaSize-1).
  const StrokePoint* points() const { return points_; }
  int point_count() const { return point_count_; }
  const uint16_t* stroke_ends() const { return stroke_ends_; }
  int stroke_count() const { return stroke_count_; }

 private:
  void DrawFrame();
  void DrawSegment(int x0, int y0, int x1, int y1);
  bool AddPoint(int x, int y, bool new_stroke);

  Canvas& canvas_;
  uint32_t foreground_;
  uint32_t background_;
  bool pressed_ = false;
  bool in_area_ = false;
  int point_count_ = 0;
  int stroke_count_ = 0;
  uint16_t stroke_ends_[kMaxStrokes] = {};
  StrokePoint points_[kMaxStrokePoints] = {};
};

}  // namespace tinyml

#endif  // TINYML_DIGIT_PAD_H_
