// SPDX-License-Identifier: Apache-2.0
// A digit drawn with a finger or a mouse, turned into an MNIST-like 28x28
// image: the strokes' bounding box is scaled so its longer side (pen width
// included) spans 20 pixels, keeping the aspect ratio; the strokes are drawn
// with a round pen at 4x4 supersampling (anti-aliasing by coverage); the 20x20
// digit is then placed in a 28x28 field with its centre of mass at the
// middle. White digit (255) on black (0), like MNIST.
//
// Integer arithmetic only, so platformio_tinyml/drawn_digits.py gives the same
// bytes for the same strokes. TFLM-free.
#ifndef TINYML_DRAWN_DIGIT_H_
#define TINYML_DRAWN_DIGIT_H_

#include <cstddef>
#include <cstdint>

#include "tinyml/serial_link.h"

namespace tinyml {

constexpr int kDrawnDigitSize = 28;  // output: 28x28 uint8
constexpr int kDrawnDigitBox = 20;   // the digit's box inside the field
constexpr int kDrawnDigitSupersample = 4;
constexpr int kDrawnDigitPenRadius = 6;  // in supersampled pixels

// Renders `point_count` points, split into strokes that end at the indices
// `stroke_ends[0..stroke_count)` (each one past a stroke's last point), into
// `out` (kDrawnDigitSize^2 bytes, row-major). Consecutive points of a stroke
// are joined; a one-point stroke is a dot. Returns false (writing nothing)
// when there is no point or the stroke ends are not increasing up to
// `point_count`.
bool PrepareDrawnDigit(const StrokePoint* points, int point_count,
                       const uint16_t* stroke_ends, int stroke_count,
                       uint8_t* out);

}  // namespace tinyml

#endif  // TINYML_DRAWN_DIGIT_H_
