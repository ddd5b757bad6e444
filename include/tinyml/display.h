// SPDX-License-Identifier: Apache-2.0
// The display backend of a board: one implementation file per board in
// src/boards/<board_id>/display.cpp (the build compiles only the board's own).
#ifndef TINYML_DISPLAY_H_
#define TINYML_DISPLAY_H_

#include "tinyml/canvas.h"

namespace tinyml {

// Initializes the display. When `canvas` is not attached, the backend
// attaches it to the board's framebuffer; an attached canvas is kept (the
// backend then copies or shows it on flush). Returns false when the display
// cannot be used.
bool DisplayBegin(Canvas& canvas);

// Makes what was drawn on `canvas` visible (on QEMU: writes it to a host
// file, see src/boards/mps2_an500/display.cpp).
void DisplayFlush(const Canvas& canvas);

}  // namespace tinyml

#endif  // TINYML_DISPLAY_H_
