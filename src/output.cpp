// SPDX-License-Identifier: Apache-2.0
// Argmax and dequantization of model outputs.
#include "tinyml/output.h"

namespace tinyml {
namespace {

template <typename T>
int ArgmaxOf(const T* values, int size) {
  if (values == nullptr || size <= 0) return -1;
  int best = 0;
  for (int i = 1; i < size; ++i) {
    if (values[i] > values[best]) best = i;  // strict: ties keep the first
  }
  return best;
}

}  // namespace

int Argmax(const int8_t* values, int size) { return ArgmaxOf(values, size); }

int Argmax(const float* values, int size) { return ArgmaxOf(values, size); }

float Dequantize(int8_t value, float scale, int zero_point) {
  return (static_cast<float>(value) - static_cast<float>(zero_point)) * scale;
}

void Dequantize(const int8_t* values, int size, float scale, int zero_point,
                float* out) {
  for (int i = 0; i < size; ++i) {
    out[i] = Dequantize(values[i], scale, zero_point);
  }
}

}  // namespace tinyml
