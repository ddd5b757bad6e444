// SPDX-License-Identifier: Apache-2.0
// STM32H747I-DISCO display backend: the 800x480 DSI LCD (OTM8009A panel)
// through the ST BSP (LTDC layer 0 in RGB565, framebuffer in the SDRAM).
#include <cstdint>

#include "board.h"
#include "stm32h747i_discovery_lcd.h"
#include "tinyml/display.h"

namespace tinyml {
namespace {

constexpr uint32_t kInstance = 0;
constexpr uint32_t kLayer = 0;
constexpr int kWidth = 800;
constexpr int kHeight = 480;
// stm32h747i_discovery_conf.h places layer 0 at the start of the SDRAM.
constexpr uint32_t kFramebuffer = LCD_LAYER_0_ADDRESS;
constexpr uint32_t kFramebufferBytes = kWidth * kHeight * 2;

bool g_lcd_ready = false;

}  // namespace

bool DisplayBegin(Canvas& canvas) {
  board::BoardBegin();
  if (!g_lcd_ready) {
    // Starts the SDRAM, DSI host, LTDC and the panel, then configures layer 0
    // at LCD_LAYER_0_ADDRESS with the requested pixel format.
    if (BSP_LCD_InitEx(kInstance, LCD_ORIENTATION_LANDSCAPE,
                       LCD_PIXEL_FORMAT_RGB565, kWidth,
                       kHeight) != BSP_ERROR_NONE) {
      return false;
    }
    BSP_LCD_SetActiveLayer(kInstance, kLayer);
    BSP_LCD_DisplayOn(kInstance);
    g_lcd_ready = true;
  }
  if (!canvas.attached()) {
    canvas.Attach(reinterpret_cast<void*>(kFramebuffer), kWidth, kHeight,
                  CanvasFormat::kRgb565);
  }
  return true;
}

void DisplayFlush(const Canvas& canvas) {
  if (!g_lcd_ready) return;
  auto* framebuffer = reinterpret_cast<uint16_t*>(kFramebuffer);
  if (canvas.buffer() != framebuffer) {
    // A caller-owned canvas: copy what fits into the layer buffer.
    const int width = canvas.width() < kWidth ? canvas.width() : kWidth;
    const int height = canvas.height() < kHeight ? canvas.height() : kHeight;
    for (int y = 0; y < height; ++y) {
      for (int x = 0; x < width; ++x) {
        framebuffer[y * kWidth + x] = ToRgb565(canvas.GetPixel(x, y));
      }
    }
  }
  // The MPU maps the SDRAM write-through; cleaning also covers projects that
  // configure it write-back.
  SCB_CleanDCache_by_Addr(reinterpret_cast<uint32_t*>(kFramebuffer),
                          static_cast<int32_t>(kFramebufferBytes));
}

}  // namespace tinyml
