// SPDX-License-Identifier: Apache-2.0
// i.MX RT1060-EVK display backend (Zephyr): the 480x272 RK043FN02H panel on
// the eLCDIF through Zephyr's display API (chosen node zephyr,display).
// Written against the documented <zephyr/drivers/display.h> API; it has not
// been compiled against a Zephyr tree here (see the example's README).
#include <zephyr/device.h>
#include <zephyr/drivers/display.h>
#include <zephyr/kernel.h>

#include <cstdint>

#include "tinyml/display.h"
#include "tinyml/timing.h"

namespace tinyml {
namespace {

constexpr int kWidth = 480;
constexpr int kHeight = 272;

// The canvas draws here; DisplayFlush hands the frame to the driver, which
// copies it into the eLCDIF framebuffer.
alignas(64) uint16_t g_frame[kWidth * kHeight];

const struct device* g_display = nullptr;

// --- Microsecond clock ---

// k_cycle_get_32() wraps every 2^32 cycles, which is not a multiple of 2^32
// microseconds; accumulating deltas in 64 bits fixes the wrap.
uint32_t g_last_cycles = 0;
uint64_t g_total_cycles = 0;

uint32_t ZephyrMicros() {
  const uint32_t now = k_cycle_get_32();
  g_total_cycles += static_cast<uint32_t>(now - g_last_cycles);
  g_last_cycles = now;
  return static_cast<uint32_t>(k_cyc_to_us_floor64(g_total_cycles));
}

}  // namespace

bool DisplayBegin(Canvas& canvas) {
  g_last_cycles = k_cycle_get_32();
  SetMicrosSource(&ZephyrMicros);

  g_display = DEVICE_DT_GET(DT_CHOSEN(zephyr_display));
  if (!device_is_ready(g_display)) {
    g_display = nullptr;
    return false;
  }
  // The eLCDIF reads RGB565 as little-endian words, the canvas's layout.
  if (display_set_pixel_format(g_display, PIXEL_FORMAT_RGB_565) != 0) {
    g_display = nullptr;
    return false;
  }
  display_blanking_off(g_display);
  if (!canvas.attached()) {
    canvas.Attach(g_frame, kWidth, kHeight, CanvasFormat::kRgb565);
  }
  return true;
}

void DisplayFlush(const Canvas& canvas) {
  if (g_display == nullptr || canvas.format() != CanvasFormat::kRgb565) return;
  const int width = canvas.width() < kWidth ? canvas.width() : kWidth;
  const int height = canvas.height() < kHeight ? canvas.height() : kHeight;
  struct display_buffer_descriptor desc = {};
  desc.buf_size = static_cast<uint32_t>(canvas.size_bytes());
  desc.width = static_cast<uint16_t>(width);
  desc.height = static_cast<uint16_t>(height);
  desc.pitch = static_cast<uint16_t>(canvas.stride_pixels());
  display_write(g_display, 0, 0, &desc, canvas.buffer());
}

}  // namespace tinyml
