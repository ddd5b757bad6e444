// SPDX-License-Identifier: Apache-2.0
// Runs one image classifier: model check, arena allocation, input
// preprocessing, timed inference and the top-1 result. One API over two
// backends: a model compiled ahead of time (the descriptor's aot_invoke) or
// TensorFlow Lite Micro (built only when TINYML_HAVE_TFLM is defined). This
// header needs no TFLM header.
#ifndef TINYML_CLASSIFIER_H_
#define TINYML_CLASSIFIER_H_

#include <cstddef>
#include <cstdint>

#include "tinyml/model_descriptor.h"
#include "tinyml/result.h"

namespace tinyml {

class Classifier {
 public:
  // `arena` must be 16-byte aligned and live as long as the classifier.
  Classifier(const ModelDescriptor& model, uint8_t* arena, size_t arena_size);
  ~Classifier();
  Classifier(const Classifier&) = delete;
  Classifier& operator=(const Classifier&) = delete;

  // AOT: places the input and output buffers after the compiled model's
  // scratch. TFLM: checks the flatbuffer schema version, builds the
  // interpreter in place and allocates the tensors. Both check the input and
  // output against the descriptor. Never blocks; on failure error_message()
  // says why.
  Status Begin();

  // Decodes a packed image (the descriptor's rows x cols) and writes the
  // model input: the quantization table for int8 models, p / 255 for float
  // models, raw pixels for uint8 models.
  Status SetInputPixels(const uint8_t* pixels, PixelFormat format);

  // Copies already quantized input; `size` must equal the input size in bytes.
  Status SetInputInt8(const int8_t* data, size_t size);

  // Runs the model and measures its latency with tinyml::Micros().
  Status Invoke();

  // Argmax, its dequantized score and the latency of the last Invoke().
  // label is -1 before a successful Invoke().
  Result Classify() const;

  // The raw output (nullptr when its type differs or before Begin()).
  const int8_t* output_int8() const;
  const float* output_float() const;
  int output_size() const;

  // Arena bytes the backend actually uses (0 before Begin()).
  size_t arena_used_bytes() const;
  // True when the compiled (AOT) model runs, false with TFLM.
  bool is_aot() const { return model_.aot_invoke != nullptr; }
  // The reason for the last failure ("" when none).
  const char* error_message() const { return error_; }
  Status status() const { return status_; }

 private:
  Status Fail(Status status, const char* format, ...);
  Status BeginAot();
  // TFLM backend (src/tflm/tflm_backend.cpp): fills the buffer fields below.
  Status BeginTflm();
  Status InvokeTflm();
  size_t ArenaUsedTflm() const;
  void EndTflm();

  const ModelDescriptor& model_;
  uint8_t* arena_;
  size_t arena_size_;
  // Where the backend reads its input and leaves its output.
  void* input_ = nullptr;
  size_t input_bytes_ = 0;
  void* output_ = nullptr;
  int output_count_ = 0;
  size_t aot_arena_used_ = 0;
  // The TFLM interpreter lives here (no heap) once BeginTflm() succeeds; its
  // size is checked by a static_assert in the backend.
  static constexpr size_t kBackendStorageBytes = 64 * sizeof(void*);
  alignas(8) unsigned char backend_storage_[kBackendStorageBytes] = {};
  void* backend_ = nullptr;
  Status status_ = Status::kNotReady;
  bool invoked_ = false;
  uint32_t latency_us_ = 0;
  char error_[96] = {};
};

}  // namespace tinyml

#endif  // TINYML_CLASSIFIER_H_
