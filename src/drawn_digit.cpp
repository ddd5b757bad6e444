// SPDX-License-Identifier: Apache-2.0
// Drawn strokes to an MNIST-like 28x28 image (see
// include/tinyml/drawn_digit.h). The Python twin is
// platformio_tinyml/drawn_digits.py: keep both in step.
#include "tinyml/drawn_digit.h"

#include <cstring>

namespace tinyml {
namespace {

constexpr int kGrid = kDrawnDigitBox * kDrawnDigitSupersample;  // 80
constexpr int kRadius = kDrawnDigitPenRadius;
// Supersampled positions of the pen centre: kRadius .. kRadius + kSpan.
constexpr int kSpan = kGrid - 1 - 2 * kRadius;

struct Bits {
  uint8_t rows[kGrid][(kGrid + 7) / 8];
  void Set(int x, int y) {
    rows[y][x >> 3] = static_cast<uint8_t>(rows[y][x >> 3] | (1u << (x & 7)));
  }
  bool Get(int x, int y) const { return (rows[y][x >> 3] >> (x & 7)) & 1u; }
};

int Min(int a, int b) { return a < b ? a : b; }
int Max(int a, int b) { return a > b ? a : b; }

// Floor division for a positive divisor.
int FloorDiv(int num, int den) {
  return num >= 0 ? num / den : -((-num + den - 1) / den);
}

// Marks every supersampled pixel within kRadius of the segment a-b.
void DrawSegment(Bits& bits, int ax, int ay, int bx, int by) {
  const int x0 = Max(0, Min(ax, bx) - kRadius);
  const int x1 = Min(kGrid - 1, Max(ax, bx) + kRadius);
  const int y0 = Max(0, Min(ay, by) - kRadius);
  const int y1 = Min(kGrid - 1, Max(ay, by) + kRadius);
  const int dx = bx - ax;
  const int dy = by - ay;
  const int64_t len2 = static_cast<int64_t>(dx) * dx + dy * dy;
  const int64_t r2 = kRadius * kRadius;
  for (int y = y0; y <= y1; ++y) {
    for (int x = x0; x <= x1; ++x) {
      const int px = x - ax;
      const int py = y - ay;
      const int64_t t = static_cast<int64_t>(px) * dx + py * dy;
      bool inside;
      if (len2 == 0 || t <= 0) {
        inside = static_cast<int64_t>(px) * px + py * py <= r2;
      } else if (t >= len2) {
        const int qx = x - bx;
        const int qy = y - by;
        inside = static_cast<int64_t>(qx) * qx + qy * qy <= r2;
      } else {
        const int64_t cross = static_cast<int64_t>(px) * dy - py * dx;
        inside = cross * cross <= r2 * len2;
      }
      if (inside) bits.Set(x, y);
    }
  }
}

}  // namespace

bool PrepareDrawnDigit(const StrokePoint* points, int point_count,
                       const uint16_t* stroke_ends, int stroke_count,
                       uint8_t* out) {
  if (points == nullptr || stroke_ends == nullptr || out == nullptr ||
      point_count <= 0 || stroke_count <= 0 ||
      stroke_ends[stroke_count - 1] != point_count) {
    return false;
  }
  for (int s = 0, begin = 0; s < stroke_count; ++s) {
    if (stroke_ends[s] <= begin) return false;
    begin = stroke_ends[s];
  }

  // 1. Bounding box; the longer side maps onto kSpan supersampled pixels.
  int min_x = points[0].x, max_x = points[0].x;
  int min_y = points[0].y, max_y = points[0].y;
  for (int i = 1; i < point_count; ++i) {
    min_x = Min(min_x, points[i].x);
    max_x = Max(max_x, points[i].x);
    min_y = Min(min_y, points[i].y);
    max_y = Max(max_y, points[i].y);
  }
  const int width = max_x - min_x;
  const int height = max_y - min_y;
  const int side = Max(width, height);
  const int offset_x =
      side == 0 ? 0 : kRadius + kSpan * (side - width) / (2 * side);
  const int offset_y =
      side == 0 ? 0 : kRadius + kSpan * (side - height) / (2 * side);
  auto map_x = [&](int x) {
    return side == 0 ? (kGrid - 1) / 2
                     : offset_x + ((x - min_x) * 2 * kSpan + side) / (2 * side);
  };
  auto map_y = [&](int y) {
    return side == 0 ? (kGrid - 1) / 2
                     : offset_y + ((y - min_y) * 2 * kSpan + side) / (2 * side);
  };

  // 2. Round-pen strokes on the supersampled grid.
  Bits bits;
  std::memset(&bits, 0, sizeof(bits));
  for (int s = 0, begin = 0; s < stroke_count; ++s) {
    const int end = stroke_ends[s];
    int px = map_x(points[begin].x);
    int py = map_y(points[begin].y);
    DrawSegment(bits, px, py, px, py);
    for (int i = begin + 1; i < end; ++i) {
      const int qx = map_x(points[i].x);
      const int qy = map_y(points[i].y);
      DrawSegment(bits, px, py, qx, qy);
      px = qx;
      py = qy;
    }
    begin = end;
  }

  // 3. Coverage of each 4x4 block -> 0..255 (anti-aliased 20x20).
  constexpr int kSamples = kDrawnDigitSupersample * kDrawnDigitSupersample;
  uint8_t box[kDrawnDigitBox][kDrawnDigitBox];
  int mass = 0, sum_x = 0, sum_y = 0;
  for (int y = 0; y < kDrawnDigitBox; ++y) {
    for (int x = 0; x < kDrawnDigitBox; ++x) {
      int count = 0;
      for (int sy = 0; sy < kDrawnDigitSupersample; ++sy) {
        for (int sx = 0; sx < kDrawnDigitSupersample; ++sx) {
          count += bits.Get(x * kDrawnDigitSupersample + sx,
                            y * kDrawnDigitSupersample + sy);
        }
      }
      const int value = (count * 255 + kSamples / 2) / kSamples;
      box[y][x] = static_cast<uint8_t>(value);
      mass += value;
      sum_x += x * value;
      sum_y += y * value;
    }
  }

  // 4. Centre of mass at the middle of the field (13.5, 13.5), rounded.
  constexpr int kFree = kDrawnDigitSize - kDrawnDigitBox;
  int shift_x = kFree / 2, shift_y = kFree / 2;
  if (mass > 0) {
    shift_x = Max(0, Min(kFree, FloorDiv(14 * mass - sum_x, mass)));
    shift_y = Max(0, Min(kFree, FloorDiv(14 * mass - sum_y, mass)));
  }
  std::memset(out, 0, kDrawnDigitSize * kDrawnDigitSize);
  for (int y = 0; y < kDrawnDigitBox; ++y) {
    std::memcpy(out + (y + shift_y) * kDrawnDigitSize + shift_x, box[y],
                kDrawnDigitBox);
  }
  return true;
}

}  // namespace tinyml
