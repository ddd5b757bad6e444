// SPDX-License-Identifier: Apache-2.0
// Runs one image classifier with TensorFlow Lite Micro: model check, arena
// allocation, input preprocessing, timed inference and the top-1 result.
// Needs the TFLM headers (compiled only when TINYML_HAVE_TFLM is defined).
#ifndef TINYML_CLASSIFIER_H_
#define TINYML_CLASSIFIER_H_

#include <cstddef>
#include <cstdint>

#include "tensorflow/lite/micro/micro_interpreter.h"
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

  // Checks the flatbuffer schema version, builds the interpreter in place and
  // allocates the tensors. Checks the input tensor against the descriptor.
  // Never blocks; on failure error_message() says why.
  Status Begin();

  // Decodes a packed image (the descriptor's rows x cols) and writes the
  // model input: the quantization table for int8 models, p / 255 for float
  // models, raw pixels for uint8 models.
  Status SetInputPixels(const uint8_t* pixels, PixelFormat format);

  // Copies already quantized input; `size` must equal the input tensor size.
  Status SetInputInt8(const int8_t* data, size_t size);

  // Runs the model and measures its latency with tinyml::Micros().
  Status Invoke();

  // Argmax, its dequantized score and the latency of the last Invoke().
  // label is -1 before a successful Invoke().
  Result Classify() const;

  // The raw output tensor (nullptr when its type differs or before Begin()).
  const int8_t* output_int8() const;
  const float* output_float() const;
  int output_size() const;

  // Arena bytes TFLM actually uses (0 before Begin()).
  size_t arena_used_bytes() const;
  // The reason for the last failure ("" when none).
  const char* error_message() const { return error_; }
  Status status() const { return status_; }

 private:
  Status Fail(Status status, const char* format, ...);

  const ModelDescriptor& model_;
  uint8_t* arena_;
  size_t arena_size_;
  // The interpreter lives in place (no heap) once Begin() succeeds.
  alignas(tflite::MicroInterpreter) unsigned char interpreter_storage_[sizeof(
      tflite::MicroInterpreter)];
  tflite::MicroInterpreter* interpreter_ = nullptr;
  TfLiteTensor* input_ = nullptr;
  TfLiteTensor* output_ = nullptr;
  Status status_ = Status::kNotReady;
  bool invoked_ = false;
  uint32_t latency_us_ = 0;
  char error_[96] = {};
};

}  // namespace tinyml

#endif  // TINYML_CLASSIFIER_H_
