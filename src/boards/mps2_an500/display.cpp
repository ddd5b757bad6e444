// SPDX-License-Identifier: Apache-2.0
// Display backend for QEMU mps2-an500, which has no LCD: each flush writes the
// framebuffer to a host file through semihosting stdio (newlib rdimon), and
// platformio_tinyml.framebuffer converts it to PNG.
//
// File layout (all integers little-endian):
//   offset 0  4 bytes  magic "TMFB"
//   offset 4  uint8    version (1)
//   offset 5  uint8    pixel format (0 = RGB565, 1 = ARGB8888)
//   offset 6  uint16   reserved (0)
//   offset 8  uint32   width
//   offset 12 uint32   height
//   offset 16          width * height pixels, row-major, no padding
//                      (uint16 RGB565 or uint32 0xAARRGGBB)
#include <cstdio>

#include "tinyml/display.h"
#include "tinyml/timing.h"
#include "tinyml_qemu_clock.h"  // from the platform's startup files

#if defined(__BYTE_ORDER__) && __BYTE_ORDER__ != __ORDER_LITTLE_ENDIAN__
#error "the framebuffer file stores little-endian pixels as they are in memory"
#endif

// The host file, relative to QEMU's working directory.
#ifndef TINYML_FRAMEBUFFER_PATH
#define TINYML_FRAMEBUFFER_PATH "tinyml_framebuffer.bin"
#endif
// The size of the built-in framebuffer (that of the STM32F746G-DISCO LCD).
#ifndef TINYML_QEMU_DISPLAY_WIDTH
#define TINYML_QEMU_DISPLAY_WIDTH 480
#endif
#ifndef TINYML_QEMU_DISPLAY_HEIGHT
#define TINYML_QEMU_DISPLAY_HEIGHT 272
#endif

namespace tinyml {
namespace {

constexpr int kWidth = TINYML_QEMU_DISPLAY_WIDTH;
constexpr int kHeight = TINYML_QEMU_DISPLAY_HEIGHT;
constexpr unsigned char kVersion = 1;

alignas(8) uint16_t g_framebuffer[kWidth * kHeight];

uint32_t QemuMicros() {
  return tinyml_qemu_ticks() / (TINYML_QEMU_TICKS_PER_SECOND / 1000000u);
}

void PutLe32(unsigned char* out, uint32_t value) {
  for (int i = 0; i < 4; ++i) {
    out[i] = static_cast<unsigned char>(value >> (8 * i));
  }
}

}  // namespace

bool DisplayBegin(Canvas& canvas) {
  // Board bring-up: the emulated M7's clock for latency figures.
  SetMicrosSource(&QemuMicros);
  if (!canvas.attached()) {
    canvas.Attach(g_framebuffer, kWidth, kHeight, CanvasFormat::kRgb565);
  }
  return canvas.attached();
}

void DisplayFlush(const Canvas& canvas) {
  if (!canvas.attached()) return;
  std::FILE* file = std::fopen(TINYML_FRAMEBUFFER_PATH, "wb");
  if (file == nullptr) {
    std::fputs("TINYML display: cannot open " TINYML_FRAMEBUFFER_PATH "\n",
               stderr);
    return;
  }
  unsigned char header[16] = {'T', 'M', 'F', 'B', kVersion};
  header[5] = canvas.format() == CanvasFormat::kRgb565 ? 0 : 1;
  PutLe32(header + 8, static_cast<uint32_t>(canvas.width()));
  PutLe32(header + 12, static_cast<uint32_t>(canvas.height()));
  bool ok = std::fwrite(header, 1, sizeof(header), file) == sizeof(header);
  const size_t pixel_bytes =
      static_cast<size_t>(BytesPerPixel(canvas.format()));
  const size_t row_bytes = pixel_bytes * static_cast<size_t>(canvas.width());
  const unsigned char* base =
      static_cast<const unsigned char*>(canvas.buffer());
  for (int y = 0; ok && y < canvas.height(); ++y) {
    const unsigned char* row =
        base + static_cast<size_t>(y) * canvas.stride_pixels() * pixel_bytes;
    ok = std::fwrite(row, 1, row_bytes, file) == row_bytes;
  }
  if (std::fclose(file) != 0 || !ok) {
    std::fputs("TINYML display: cannot write " TINYML_FRAMEBUFFER_PATH "\n",
               stderr);
  }
}

}  // namespace tinyml
