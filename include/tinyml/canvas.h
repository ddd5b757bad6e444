// SPDX-License-Identifier: Apache-2.0
// A framebuffer canvas (RGB565 or ARGB8888) with the built-in bitmap font,
// used to show the input image and the classification on an LCD. The canvas
// never allocates: it draws into a buffer owned by the caller or the board.
// TFLM-free.
#ifndef TINYML_CANVAS_H_
#define TINYML_CANVAS_H_

#include <cstddef>
#include <cstdint>

#include "tinyml/model_descriptor.h"

namespace tinyml {

enum class CanvasFormat : uint8_t { kRgb565, kArgb8888 };

// Colors are 0xAARRGGBB everywhere; an RGB565 canvas drops the alpha and the
// low bits.
constexpr uint32_t kColorBlack = 0xFF000000u;
constexpr uint32_t kColorWhite = 0xFFFFFFFFu;
constexpr uint32_t kColorRed = 0xFFFF0000u;
constexpr uint32_t kColorGreen = 0xFF00FF00u;
constexpr uint32_t kColorBlue = 0xFF0000FFu;

constexpr uint16_t ToRgb565(uint32_t argb) {
  return static_cast<uint16_t>(((argb >> 8) & 0xF800u) |
                               ((argb >> 5) & 0x07E0u) |
                               ((argb >> 3) & 0x001Fu));
}

// RGB565 to opaque ARGB8888 with bit replication.
constexpr uint32_t FromRgb565(uint16_t pixel) {
  return 0xFF000000u |
         (((pixel >> 11) & 0x1Fu) << 3 | ((pixel >> 11) & 0x1Fu) >> 2) << 16 |
         (((pixel >> 5) & 0x3Fu) << 2 | ((pixel >> 5) & 0x3Fu) >> 4) << 8 |
         ((pixel & 0x1Fu) << 3 | (pixel & 0x1Fu) >> 2);
}

// Bytes per pixel of `format`.
constexpr int BytesPerPixel(CanvasFormat format) {
  return format == CanvasFormat::kRgb565 ? 2 : 4;
}

// What DrawResult shows: the input image and the classification.
struct ResultView {
  const uint8_t* pixels;  // packed input image, or nullptr to show no image
  PixelFormat format;
  int width;
  int height;
  int channels;            // channels of `pixels` (see ImageSpec)
  int label;               // winning category
  const char* label_name;  // its name (kCategoryLabels[label]) or nullptr
  float score;             // 0..1
  uint32_t latency_us;
};

class Canvas {
 public:
  // An unattached canvas (width and height 0); see Attach().
  Canvas() = default;
  // `stride_pixels` 0 means `width`.
  Canvas(void* buffer, int width, int height, CanvasFormat format,
         int stride_pixels = 0);

  // Points the canvas at a (new) framebuffer, e.g. the LCD's layer buffer.
  void Attach(void* buffer, int width, int height, CanvasFormat format,
              int stride_pixels = 0);

  bool attached() const { return buffer_ != nullptr; }
  int width() const { return width_; }
  int height() const { return height_; }
  int stride_pixels() const { return stride_; }
  CanvasFormat format() const { return format_; }
  const void* buffer() const { return buffer_; }
  void* buffer() { return buffer_; }
  size_t size_bytes() const {
    return static_cast<size_t>(stride_) * static_cast<size_t>(height_) *
           static_cast<size_t>(BytesPerPixel(format_));
  }

  // Fills the whole canvas.
  void Clear(uint32_t color);
  // Writes one pixel; coordinates outside the canvas are ignored.
  void SetPixel(int x, int y, uint32_t color);
  // Reads one pixel as ARGB8888 (RGB565 is expanded); 0 outside the canvas.
  uint32_t GetPixel(int x, int y) const;
  // Fills a rectangle, clipped to the canvas.
  void FillRect(int x, int y, int w, int h, uint32_t color);

  // Draws `text` with its top-left corner at (x, y), each font pixel as a
  // `scale` x `scale` block; '\n' starts a new line. Background pixels are
  // left untouched. Returns the width in pixels of the widest line.
  int DrawText(int x, int y, const char* text, uint32_t color, int scale = 1);

  // Draws a packed image (see ImageSpec; kInt8 is shown as value + 128) with
  // its top-left corner at (x, y), each pixel as a `scale` x `scale` block.
  void DrawImageScaled(const uint8_t* pixels, PixelFormat format, int width,
                       int height, int x, int y, int scale, int channels = 1);

  // Clears the canvas to `background` and lays out the image scaled up at
  // the top, then "It looks like the number: N" (numeric labels) or
  // "It looks like: <name>", "Confidence: NN%" and "Time: N.N ms".
  void DrawResult(const ResultView& view, uint32_t foreground,
                  uint32_t background);

 private:
  void* buffer_ = nullptr;
  int width_ = 0;
  int height_ = 0;
  int stride_ = 0;
  CanvasFormat format_ = CanvasFormat::kRgb565;
};

// Width in pixels of the widest line of `text` at `scale`.
int TextWidth(const char* text, int scale = 1);

// The headline DrawResult shows, e.g. "It looks like the number: 7" for a
// numeric (or missing) label name, "It looks like: cat" otherwise. Returns
// false when `size` is too small.
bool FormatHeadline(int label, const char* label_name, char* out, size_t size);

}  // namespace tinyml

#endif  // TINYML_CANVAS_H_
