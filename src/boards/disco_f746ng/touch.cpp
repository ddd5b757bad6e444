// SPDX-License-Identifier: Apache-2.0
// STM32F746G-DISCO touch panel: the FT5336 capacitive controller on I2C3
// through the ST BSP (stm32746g_discovery_ts.h), polled.
#include "tinyml/touch.h"
#include "stm32746g_discovery_ts.h"

namespace tinyml {
namespace {

bool g_touch_ready = false;

}  // namespace

bool TouchBegin(int width, int height) {
  if (!g_touch_ready) {
    g_touch_ready = BSP_TS_Init(static_cast<uint16_t>(width),
                                static_cast<uint16_t>(height)) == TS_OK;
  }
  return g_touch_ready;
}

bool TouchRead(int* x, int* y) {
  if (!g_touch_ready) return false;
  TS_StateTypeDef state = {};
  if (BSP_TS_GetState(&state) != TS_OK || state.touchDetected == 0) {
    return false;
  }
  *x = state.touchX[0];
  *y = state.touchY[0];
  return true;
}

}  // namespace tinyml
