// SPDX-License-Identifier: Apache-2.0
// The board's touch panel: one implementation file per board in
// src/boards/<board_id>/touch.cpp (STM32F746G-DISCO: FT5336 through the ST
// BSP; i.MX RT1060-EVK: Zephyr's input API; QEMU mps2-an500: none).
#ifndef TINYML_TOUCH_H_
#define TINYML_TOUCH_H_

namespace tinyml {

// Starts the touch controller for a `width` x `height` screen. Returns false
// when the board has no usable touch panel.
bool TouchBegin(int width, int height);

// The current touch: true while a finger is down, with its screen
// coordinates in `x`, `y`. Never blocks.
bool TouchRead(int* x, int* y);

}  // namespace tinyml

#endif  // TINYML_TOUCH_H_
