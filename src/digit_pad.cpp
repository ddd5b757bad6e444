// SPDX-License-Identifier: Apache-2.0
// The digit drawing pad (see include/tinyml/digit_pad.h). TFLM-free.
#include "tinyml/digit_pad.h"

#include <cstdio>

#include "tinyml/font.h"

namespace tinyml {
namespace {

constexpr int kPen = 6;  // stroke width on the screen, pixels
constexpr int kPanelWidth = 180;
constexpr uint32_t kBarColor = 0xFF3399FFu;
constexpr uint32_t kWinnerColor = kColorGreen;

int Abs(int v) { return v < 0 ? -v : v; }

bool Inside(int x, int y, int left, int top, int w, int h) {
  return x >= left && x < left + w && y >= top && y < top + h;
}

void Frame(Canvas& canvas, int x, int y, int w, int h, uint32_t color) {
  canvas.FillRect(x, y, w, 1, color);
  canvas.FillRect(x, y + h - 1, w, 1, color);
  canvas.FillRect(x, y, 1, h, color);
  canvas.FillRect(x + w - 1, y, 1, h, color);
}

}  // namespace

DigitPad::DigitPad(Canvas& canvas, uint32_t foreground, uint32_t background)
    : canvas_(canvas), foreground_(foreground), background_(background) {}

void DigitPad::Reset() {
  point_count_ = 0;
  stroke_count_ = 0;
  pressed_ = false;
  in_area_ = false;
  DrawFrame();
}

void DigitPad::DrawFrame() {
  canvas_.Clear(background_);
  Frame(canvas_, kAreaX - 2, kAreaY - 2, kAreaSize + 4, kAreaSize + 4,
        foreground_);
  Frame(canvas_, kPanelX, kButtonY, kPanelWidth, kButtonHeight, foreground_);
  canvas_.DrawText(kPanelX + (kPanelWidth - TextWidth("CLEAR", 3)) / 2,
                   kButtonY + (kButtonHeight - 7 * 3) / 2, "CLEAR", foreground_,
                   3);
  canvas_.DrawText(kPanelX, kButtonY + kButtonHeight + 12, "Draw a digit",
                   foreground_, 2);
}

void DigitPad::DrawSegment(int x0, int y0, int x1, int y1) {
  const int steps = Abs(x1 - x0) > Abs(y1 - y0) ? Abs(x1 - x0) : Abs(y1 - y0);
  for (int i = 0; i <= steps; ++i) {
    const int x = steps == 0 ? x0 : x0 + (x1 - x0) * i / steps;
    const int y = steps == 0 ? y0 : y0 + (y1 - y0) * i / steps;
    canvas_.FillRect(kAreaX + x - kPen / 2, kAreaY + y - kPen / 2, kPen, kPen,
                     foreground_);
  }
}

bool DigitPad::AddPoint(int x, int y, bool new_stroke) {
  if (point_count_ >= kMaxStrokePoints) return false;
  if (new_stroke) {
    if (stroke_count_ >= kMaxStrokes) return false;
    ++stroke_count_;
  } else if (point_count_ > 0) {
    const StrokePoint& last = points_[point_count_ - 1];
    if (Abs(last.x - x) + Abs(last.y - y) < 2) return true;  // no movement
    DrawSegment(last.x, last.y, x, y);
  }
  if (new_stroke) DrawSegment(x, y, x, y);
  points_[point_count_].x = static_cast<uint16_t>(x);
  points_[point_count_].y = static_cast<uint16_t>(y);
  ++point_count_;
  stroke_ends_[stroke_count_ - 1] = static_cast<uint16_t>(point_count_);
  return true;
}

PadEvent DigitPad::OnTouch(bool pressed, int x, int y) {
  const bool was_pressed = pressed_;
  pressed_ = pressed;
  if (!pressed) {
    if (was_pressed && in_area_) {
      in_area_ = false;
      return stroke_count_ > 0 ? PadEvent::kStrokeEnded : PadEvent::kNone;
    }
    return PadEvent::kNone;
  }
  if (!was_pressed &&
      Inside(x, y, kPanelX, kButtonY, kPanelWidth, kButtonHeight)) {
    Reset();
    return PadEvent::kCleared;
  }
  if (Inside(x, y, kAreaX, kAreaY, kAreaSize, kAreaSize)) {
    const bool new_stroke = !was_pressed || !in_area_;
    in_area_ = true;
    AddPoint(x - kAreaX, y - kAreaY, new_stroke);
  }
  return PadEvent::kNone;
}

void DigitPad::SetStrokes(const StrokePoint* points, int point_count,
                          const uint16_t* stroke_ends, int stroke_count,
                          int width, int height) {
  Reset();
  const int side = width > height ? width : height;
  if (side <= 0) return;
  // The area keeps its aspect ratio, centred in the square.
  const int dx = (side - width) / 2;
  const int dy = (side - height) / 2;
  for (int s = 0, begin = 0; s < stroke_count; ++s) {
    for (int i = begin; i < stroke_ends[s] && i < point_count; ++i) {
      AddPoint((points[i].x + dx) * (kAreaSize - 1) / side,
               (points[i].y + dy) * (kAreaSize - 1) / side, i == begin);
    }
    begin = stroke_ends[s];
  }
}

void DigitPad::ShowResult(const uint8_t* digit, const Result& result,
                          const float* scores, int count) {
  const int top = kButtonY + kButtonHeight + 8;
  canvas_.FillRect(kPanelX, top, kPanelWidth, canvas_.height() - top,
                   background_);
  char text[24];
  std::snprintf(text, sizeof(text), "Digit: %d", result.label);
  canvas_.DrawText(kPanelX, top + 4, text, foreground_, 3);
  const unsigned long us = static_cast<unsigned long>(result.latency_us);
  std::snprintf(text, sizeof(text), "%lu.%lu ms", us / 1000, (us % 1000) / 100);
  canvas_.DrawText(kPanelX + 64, top + 40, text, foreground_, 1);
  if (digit != nullptr) {
    canvas_.DrawImageScaled(digit, PixelFormat::kUint8, 28, 28, kPanelX,
                            top + 36, 2);
  }
  // Bars: one column per score, the winner highlighted, labels below.
  const int chart_top = top + 100;
  const int chart_height = canvas_.height() - chart_top - 14;
  if (count <= 0 || chart_height < 8) return;
  const int pitch = kPanelWidth / count;
  for (int i = 0; i < count; ++i) {
    float score = scores[i] < 0.0f ? 0.0f : scores[i];
    if (score > 1.0f) score = 1.0f;
    const int bar = static_cast<int>(score * chart_height + 0.5f);
    const int x = kPanelX + i * pitch;
    canvas_.FillRect(x + 1, chart_top + chart_height - bar, pitch - 3, bar,
                     i == result.label ? kWinnerColor : kBarColor);
    canvas_.FillRect(x, chart_top + chart_height, pitch - 1, 1, foreground_);
    if (count <= 10) {
      const char label[2] = {static_cast<char>('0' + i), '\0'};
      canvas_.DrawText(x + (pitch - kFontGlyphWidth) / 2,
                       chart_top + chart_height + 3, label, foreground_);
    }
  }
}

}  // namespace tinyml
