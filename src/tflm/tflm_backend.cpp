// SPDX-License-Identifier: Apache-2.0
// The classifier's TensorFlow Lite Micro backend. Built only when TFLM sources
// are available (TINYML_HAVE_TFLM); otherwise this file compiles to nothing.
#if defined(TINYML_HAVE_TFLM)

#include <new>

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/schema/schema_generated.h"
#include "tinyml/classifier.h"

namespace tinyml {
namespace {

bool TypeMatches(TfLiteType actual, TensorType expected) {
  switch (expected) {
    case TensorType::kFloat32:
      return actual == kTfLiteFloat32;
    case TensorType::kInt8:
      return actual == kTfLiteInt8;
    case TensorType::kUint8:
      return actual == kTfLiteUInt8;
  }
  return false;
}

int ElementCount(const TfLiteTensor* tensor) {
  int count = 1;
  for (int i = 0; i < tensor->dims->size; ++i) count *= tensor->dims->data[i];
  return count;
}

}  // namespace

Status Classifier::BeginTflm() {
  static_assert(sizeof(tflite::MicroInterpreter) <= kBackendStorageBytes,
                "raise Classifier::kBackendStorageBytes");
  static_assert(alignof(tflite::MicroInterpreter) <= 8,
                "raise the alignment of Classifier::backend_storage_");
  if (model_.model_data == nullptr || model_.op_resolver == nullptr) {
    return Fail(Status::kNotReady, "model data or op resolver missing");
  }
  const tflite::Model* model = tflite::GetModel(model_.model_data);
  if (model->version() != TFLITE_SCHEMA_VERSION) {
    return Fail(Status::kModelVersionMismatch,
                "model schema version %lu, runtime supports %d",
                static_cast<unsigned long>(model->version()),
                TFLITE_SCHEMA_VERSION);
  }
  auto* interpreter = new (backend_storage_) tflite::MicroInterpreter(
      model, model_.op_resolver(), arena_, arena_size_);
  backend_ = interpreter;
  if (interpreter->AllocateTensors() != kTfLiteOk) {
    return Fail(Status::kAllocationFailed,
                "AllocateTensors failed with a %lu-byte arena",
                static_cast<unsigned long>(arena_size_));
  }
  TfLiteTensor* input = interpreter->input(0);
  TfLiteTensor* output = interpreter->output(0);
  if (input == nullptr || output == nullptr) {
    return Fail(Status::kInputMismatch, "model has no input or output tensor");
  }
  const int expected_input =
      model_.input_rows * model_.input_cols * model_.input_channels;
  if (!TypeMatches(input->type, model_.input_type) ||
      ElementCount(input) != expected_input) {
    return Fail(Status::kInputMismatch,
                "input tensor (%d elements, type %d) differs from the "
                "descriptor (%d elements)",
                ElementCount(input), static_cast<int>(input->type),
                expected_input);
  }
  if (!TypeMatches(output->type, model_.output_type) ||
      ElementCount(output) != model_.category_count) {
    return Fail(Status::kInputMismatch,
                "output tensor (%d elements) differs from the descriptor "
                "(%d categories)",
                ElementCount(output), model_.category_count);
  }
  input_ = input->data.raw;
  input_bytes_ = input->bytes;
  output_ = output->data.raw;
  output_count_ = ElementCount(output);
  return Status::kOk;
}

Status Classifier::InvokeTflm() {
  auto* interpreter = static_cast<tflite::MicroInterpreter*>(backend_);
  if (interpreter == nullptr) return Fail(Status::kNotReady, "no interpreter");
  const TfLiteStatus status = interpreter->Invoke();
  if (status != kTfLiteOk) {
    return Fail(Status::kInvokeFailed, "Invoke failed (TfLiteStatus %d)",
                static_cast<int>(status));
  }
  return Status::kOk;
}

size_t Classifier::ArenaUsedTflm() const {
  const auto* interpreter =
      static_cast<const tflite::MicroInterpreter*>(backend_);
  return interpreter != nullptr ? interpreter->arena_used_bytes() : 0;
}

void Classifier::EndTflm() {
  if (backend_ == nullptr) return;
  static_cast<tflite::MicroInterpreter*>(backend_)->~MicroInterpreter();
  backend_ = nullptr;
}

}  // namespace tinyml

#endif  // TINYML_HAVE_TFLM
