// SPDX-License-Identifier: Apache-2.0
// What the runtime needs to know about a model: the generated code fills one
// in, for either backend: the flatbuffer and op resolver (TFLM) or the compiled
// model's entry point (AOT). This header needs no TFLM header.
#ifndef TINYML_MODEL_DESCRIPTOR_H_
#define TINYML_MODEL_DESCRIPTOR_H_

#include <cstddef>
#include <cstdint>

namespace tflite {
class MicroOpResolver;
}  // namespace tflite

namespace tinyml {

// How test images are packed (see docs/design.md, "Image and preprocessing").
enum class PixelFormat : uint8_t { kGray1bpp, kUint8, kInt8, kRgb565 };

// The element type of a model's input or output tensor.
enum class TensorType : uint8_t { kFloat32, kInt8, kUint8 };

// The entry point of a model compiled ahead of time (`tinyml compile`): reads
// the input, writes the output, uses `arena` as scratch; returns 0 on success.
using AotInvokeFn = int (*)(const int8_t* input, int8_t* output, void* arena);

struct ModelDescriptor {
  const unsigned char* model_data;  // 16-byte aligned flatbuffer (TFLM only)
  unsigned int model_size;
  // TFLM: returns a static resolver that registers exactly the model's ops.
  const tflite::MicroOpResolver& (*op_resolver)();
  int input_rows;
  int input_cols;
  int input_channels;
  TensorType input_type;
  TensorType output_type;
  float input_scale;
  int input_zero_point;
  float output_scale;
  int output_zero_point;
  int category_count;
  const char* const* category_labels;
  const int8_t* input_quant_lut;  // 256 entries, or nullptr for float models
  size_t tensor_arena_size;
  // AOT: the compiled model (nullptr with TFLM) and the scratch it needs at the
  // start of the arena; the input and output buffers follow it.
  AotInvokeFn aot_invoke;
  size_t aot_scratch_size;
};

}  // namespace tinyml

#endif  // TINYML_MODEL_DESCRIPTOR_H_
