// SPDX-License-Identifier: Apache-2.0
// Interpreting model outputs: argmax and dequantization (TFLM-free).
#ifndef TINYML_OUTPUT_H_
#define TINYML_OUTPUT_H_

#include <cstddef>
#include <cstdint>

namespace tinyml {

// Index of the largest value; ties go to the lowest index (as numpy.argmax).
// Returns -1 when `size` <= 0 or `values` is nullptr.
int Argmax(const int8_t* values, int size);
int Argmax(const float* values, int size);

// (value - zero_point) * scale, computed in float exactly as the host does.
float Dequantize(int8_t value, float scale, int zero_point);

// Dequantizes `size` values into `out`.
void Dequantize(const int8_t* values, int size, float scale, int zero_point,
                float* out);

}  // namespace tinyml

#endif  // TINYML_OUTPUT_H_
