// SPDX-License-Identifier: Apache-2.0
// QEMU mps2-an500 has no touch panel: drawn digits arrive as strokes requests
// over the serial port instead (tinyml classify --strokes).
#include "tinyml/touch.h"

namespace tinyml {

bool TouchBegin(int width, int height) {
  (void)width;
  (void)height;
  return false;
}

bool TouchRead(int* x, int* y) {
  (void)x;
  (void)y;
  return false;
}

}  // namespace tinyml
