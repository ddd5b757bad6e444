// SPDX-License-Identifier: Apache-2.0
// Host build of tinyml::PrepareDrawnDigit for tests/test_drawn_digits.py.
// stdin: digits one after another, each uint16 stroke count, then per stroke
// uint16 point count and (uint16 x, uint16 y) per point (all LE). stdout: 784
// bytes per digit, or 784 bytes of 0xEE when PrepareDrawnDigit refused it.
#include <cstdint>
#include <cstdio>
#include <vector>

#include "tinyml/drawn_digit.h"

namespace {

bool ReadU16(uint16_t* value) {
  uint8_t bytes[2];
  if (std::fread(bytes, 1, 2, stdin) != 2) return false;
  *value = static_cast<uint16_t>(bytes[0] | bytes[1] << 8);
  return true;
}

}  // namespace

int main() {
  uint16_t strokes = 0;
  while (ReadU16(&strokes)) {
    std::vector<tinyml::StrokePoint> points;
    std::vector<uint16_t> ends;
    for (int s = 0; s < strokes; ++s) {
      uint16_t count = 0;
      if (!ReadU16(&count)) return 2;
      for (int i = 0; i < count; ++i) {
        tinyml::StrokePoint point = {};
        if (!ReadU16(&point.x) || !ReadU16(&point.y)) return 2;
        points.push_back(point);
      }
      ends.push_back(static_cast<uint16_t>(points.size()));
    }
    uint8_t out[tinyml::kDrawnDigitSize * tinyml::kDrawnDigitSize];
    if (!tinyml::PrepareDrawnDigit(points.data(),
                                   static_cast<int>(points.size()), ends.data(),
                                   static_cast<int>(ends.size()), out)) {
      for (uint8_t& value : out) value = 0xEE;
    }
    std::fwrite(out, 1, sizeof(out), stdout);
  }
  return 0;
}
