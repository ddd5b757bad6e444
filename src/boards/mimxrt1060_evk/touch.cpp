// SPDX-License-Identifier: Apache-2.0
// i.MX RT1060-EVK touch panel (the RK043FN02H's FT5336 on LPI2C1) through
// Zephyr's input API: the driver reports INPUT_ABS_X/Y and INPUT_BTN_TOUCH
// events, collected here by an input callback. Written against the
// documented <zephyr/input/input.h> API; it has not been compiled against a
// Zephyr tree here (see the example's README).
#include <zephyr/device.h>
#include <zephyr/input/input.h>

#include "tinyml/touch.h"

namespace tinyml {
namespace {

volatile int g_x = 0;
volatile int g_y = 0;
volatile bool g_pressed = false;
bool g_touch_ready = false;

void OnInput(struct input_event* event, void* user_data) {
  (void)user_data;
  switch (event->code) {
    case INPUT_ABS_X:
      g_x = event->value;
      break;
    case INPUT_ABS_Y:
      g_y = event->value;
      break;
    case INPUT_BTN_TOUCH:
      g_pressed = event->value != 0;
      break;
    default:
      break;
  }
}

}  // namespace

bool TouchBegin(int width, int height) {
  (void)width;
  (void)height;
  const struct device* touch = DEVICE_DT_GET_OR_NULL(DT_CHOSEN(zephyr_touch));
  g_touch_ready = touch != nullptr && device_is_ready(touch);
  return g_touch_ready;
}

bool TouchRead(int* x, int* y) {
  if (!g_touch_ready || !g_pressed) return false;
  *x = g_x;
  *y = g_y;
  return true;
}

}  // namespace tinyml

INPUT_CALLBACK_DEFINE(DEVICE_DT_GET_OR_NULL(DT_CHOSEN(zephyr_touch)),
                      tinyml::OnInput, nullptr);
