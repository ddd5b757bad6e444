// SPDX-License-Identifier: Apache-2.0
// STM32F746G-DISCO display backend: the 480x272 RK043FN48H LCD through the
// ST BSP (LTDC layer 0 in RGB565, framebuffer in the external SDRAM).
#include <cstdint>

#include "board.h"
#include "stm32746g_discovery_lcd.h"
#include "tinyml/display.h"

namespace tinyml {
namespace {

constexpr int kWidth = 480;
constexpr int kHeight = 272;
constexpr uint32_t kLayer = 0;
// The BSP's layer buffer sits at the start of the 8 MB SDRAM (FMC bank 1).
constexpr uint32_t kFramebuffer = LCD_FB_START_ADDRESS;
constexpr uint32_t kFramebufferBytes = kWidth * kHeight * 2;

bool g_lcd_ready = false;

}  // namespace

bool DisplayBegin(Canvas& canvas) {
  board::BoardBegin();
  if (!g_lcd_ready) {
    // BSP_LCD_Init also starts the SDRAM (BSP_SDRAM_Init) for the layer.
    if (BSP_LCD_Init() != LCD_OK) return false;
    BSP_LCD_LayerRgb565Init(kLayer, kFramebuffer);
    BSP_LCD_SelectLayer(kLayer);
    BSP_LCD_DisplayOn();
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
  // The D-cache is write-back: push the frame to SDRAM, where LTDC reads it.
  SCB_CleanDCache_by_Addr(reinterpret_cast<uint32_t*>(kFramebuffer),
                          static_cast<int32_t>(kFramebufferBytes));
}

}  // namespace tinyml
