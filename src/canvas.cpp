// SPDX-License-Identifier: Apache-2.0
// Drawing into an RGB565 or ARGB8888 framebuffer with the built-in font.
#include "tinyml/canvas.h"

#include <cstdio>
#include <cstring>

#include "tinyml/font.h"
#include "tinyml/image_input.h"

namespace tinyml {
namespace {

int Max(int a, int b) { return a > b ? a : b; }
int Min(int a, int b) { return a < b ? a : b; }

// True when `name` is a non-empty run of decimal digits (MNIST-style labels).
bool IsNumeric(const char* name) {
  if (name == nullptr || name[0] == '\0') return false;
  for (const char* p = name; *p != '\0'; ++p) {
    if (*p < '0' || *p > '9') return false;
  }
  return true;
}

// The largest text scale (1..max_scale) at which `text` fits `width`.
int FitTextScale(const char* text, int width, int max_scale) {
  for (int scale = max_scale; scale > 1; --scale) {
    if (TextWidth(text, scale) <= width) return scale;
  }
  return 1;
}

}  // namespace

// --- Geometry and pixels ---

Canvas::Canvas(void* buffer, int width, int height, CanvasFormat format,
               int stride_pixels) {
  Attach(buffer, width, height, format, stride_pixels);
}

void Canvas::Attach(void* buffer, int width, int height, CanvasFormat format,
                    int stride_pixels) {
  const bool usable = buffer != nullptr && width > 0 && height > 0;
  buffer_ = usable ? buffer : nullptr;
  width_ = usable ? width : 0;
  height_ = usable ? height : 0;
  stride_ = usable ? Max(stride_pixels, width) : 0;
  format_ = format;
}

void Canvas::SetPixel(int x, int y, uint32_t color) {
  if (buffer_ == nullptr || x < 0 || y < 0 || x >= width_ || y >= height_) {
    return;
  }
  const size_t index = static_cast<size_t>(y) * stride_ + x;
  if (format_ == CanvasFormat::kRgb565) {
    static_cast<uint16_t*>(buffer_)[index] = ToRgb565(color);
  } else {
    static_cast<uint32_t*>(buffer_)[index] = color;
  }
}

uint32_t Canvas::GetPixel(int x, int y) const {
  if (buffer_ == nullptr || x < 0 || y < 0 || x >= width_ || y >= height_) {
    return 0;
  }
  const size_t index = static_cast<size_t>(y) * stride_ + x;
  if (format_ == CanvasFormat::kRgb565) {
    return FromRgb565(static_cast<const uint16_t*>(buffer_)[index]);
  }
  return static_cast<const uint32_t*>(buffer_)[index];
}

void Canvas::FillRect(int x, int y, int w, int h, uint32_t color) {
  if (buffer_ == nullptr) return;
  const int x0 = Max(x, 0);
  const int y0 = Max(y, 0);
  const int x1 = Min(x + w, width_);
  const int y1 = Min(y + h, height_);
  if (x0 >= x1 || y0 >= y1) return;
  const uint16_t color565 = ToRgb565(color);
  for (int row = y0; row < y1; ++row) {
    const size_t start = static_cast<size_t>(row) * stride_;
    if (format_ == CanvasFormat::kRgb565) {
      uint16_t* line = static_cast<uint16_t*>(buffer_) + start;
      for (int col = x0; col < x1; ++col) line[col] = color565;
    } else {
      uint32_t* line = static_cast<uint32_t*>(buffer_) + start;
      for (int col = x0; col < x1; ++col) line[col] = color;
    }
  }
}

void Canvas::Clear(uint32_t color) { FillRect(0, 0, width_, height_, color); }

// --- Text ---

int TextWidth(const char* text, int scale) {
  if (text == nullptr || scale < 1) return 0;
  int widest = 0;
  int chars = 0;
  for (const char* p = text;; ++p) {
    if (*p == '\n' || *p == '\0') {
      // The last glyph needs no spacing column after it.
      const int width = chars > 0 ? (chars * kFontAdvance - 1) * scale : 0;
      widest = Max(widest, width);
      chars = 0;
      if (*p == '\0') break;
    } else {
      ++chars;
    }
  }
  return widest;
}

int Canvas::DrawText(int x, int y, const char* text, uint32_t color,
                     int scale) {
  if (text == nullptr || scale < 1) return 0;
  int pen_x = x;
  int pen_y = y;
  for (const char* p = text; *p != '\0'; ++p) {
    if (*p == '\n') {
      pen_x = x;
      pen_y += kFontLineHeight * scale;
      continue;
    }
    const uint8_t* glyph = FontGlyph(*p);
    for (int row = 0; row < kFontGlyphHeight; ++row) {
      for (int col = 0; col < kFontGlyphWidth; ++col) {
        if ((glyph[row] >> (kFontGlyphWidth - 1 - col)) & 1u) {
          FillRect(pen_x + col * scale, pen_y + row * scale, scale, scale,
                   color);
        }
      }
    }
    pen_x += kFontAdvance * scale;
  }
  return TextWidth(text, scale);
}

// --- Images ---

void Canvas::DrawImageScaled(const uint8_t* pixels, PixelFormat format,
                             int width, int height, int x, int y, int scale,
                             int channels) {
  if (pixels == nullptr || scale < 1) return;
  ImageSpec spec{width, height, channels, format};
  if (format == PixelFormat::kGray1bpp) spec.channels = 1;
  if (format == PixelFormat::kRgb565) spec.channels = 3;
  if (!IsValidImageSpec(spec)) return;
  for (int row = 0; row < height; ++row) {
    for (int col = 0; col < width; ++col) {
      uint8_t rgb[3];
      if (format == PixelFormat::kInt8) {
        const size_t index =
            (static_cast<size_t>(row) * width + col) * spec.channels;
        const uint8_t value = static_cast<uint8_t>(
            static_cast<int>(static_cast<int8_t>(pixels[index])) + 128);
        rgb[0] = rgb[1] = rgb[2] = value;
      } else {
        ReadPixelRgb(pixels, spec, col, row, rgb);
      }
      const uint32_t color = 0xFF000000u | static_cast<uint32_t>(rgb[0]) << 16 |
                             static_cast<uint32_t>(rgb[1]) << 8 | rgb[2];
      FillRect(x + col * scale, y + row * scale, scale, scale, color);
    }
  }
}

// --- Result screen ---

bool FormatHeadline(int label, const char* label_name, char* out, size_t size) {
  int n;
  if (label_name == nullptr) {
    n = std::snprintf(out, size, "It looks like the number: %d", label);
  } else if (IsNumeric(label_name)) {
    n = std::snprintf(out, size, "It looks like the number: %s", label_name);
  } else {
    n = std::snprintf(out, size, "It looks like: %s", label_name);
  }
  return n >= 0 && static_cast<size_t>(n) < size;
}

void Canvas::DrawResult(const ResultView& view, uint32_t foreground,
                        uint32_t background) {
  if (buffer_ == nullptr) return;
  Clear(background);

  char headline[64];
  FormatHeadline(view.label, view.label_name, headline, sizeof(headline));
  float score = view.score < 0.0f ? 0.0f : view.score;
  if (score > 1.0f) score = 1.0f;
  char confidence[32];
  std::snprintf(confidence, sizeof(confidence), "Confidence: %d%%",
                static_cast<int>(score * 100.0f + 0.5f));
  char timing[32];
  const unsigned long us = static_cast<unsigned long>(view.latency_us);
  std::snprintf(timing, sizeof(timing), "Time: %lu.%lu ms", us / 1000,
                (us % 1000) / 100);

  const int margin = Max(2, height_ / 40);
  const int inner_width = width_ - 2 * margin;
  const int text_scale = FitTextScale(headline, inner_width, 3);
  const int line_height = kFontLineHeight * text_scale;
  const int text_height = 3 * line_height;

  int top = margin;
  if (view.pixels != nullptr && view.width > 0 && view.height > 0) {
    const int image_room = height_ - 3 * margin - text_height;
    const int image_scale =
        Min(image_room / view.height, inner_width / view.width);
    if (image_scale >= 1) {
      const int image_width = view.width * image_scale;
      DrawImageScaled(view.pixels, view.format, view.width, view.height,
                      (width_ - image_width) / 2, top, image_scale,
                      view.channels);
      top += view.height * image_scale + margin;
    }
  }
  const char* lines[3] = {headline, confidence, timing};
  for (const char* line : lines) {
    const int line_width = TextWidth(line, text_scale);
    DrawText(Max(margin, (width_ - line_width) / 2), top, line, foreground,
             text_scale);
    top += line_height;
  }
}

}  // namespace tinyml
