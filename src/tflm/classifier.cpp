// SPDX-License-Identifier: Apache-2.0
// The TFLM-backed classifier. Built only when TFLM sources are available
// (TINYML_HAVE_TFLM); otherwise this file compiles to nothing.
#if defined(TINYML_HAVE_TFLM)

#include "tinyml/classifier.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>
#include <new>

#include "tensorflow/lite/micro/micro_interpreter.h"
#include "tensorflow/lite/schema/schema_generated.h"
#include "tinyml/image_input.h"
#include "tinyml/output.h"
#include "tinyml/timing.h"

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

// The channel count of a packed source in `format` for this model.
int SourceChannels(PixelFormat format, int model_channels) {
  switch (format) {
    case PixelFormat::kGray1bpp:
      return 1;
    case PixelFormat::kRgb565:
      return 3;
    case PixelFormat::kUint8:
    case PixelFormat::kInt8:
      return model_channels;
  }
  return model_channels;
}

}  // namespace

Classifier::Classifier(const ModelDescriptor& model, uint8_t* arena,
                       size_t arena_size)
    : model_(model), arena_(arena), arena_size_(arena_size) {}

Classifier::~Classifier() {
  if (interpreter_ != nullptr) interpreter_->~MicroInterpreter();
}

Status Classifier::Fail(Status status, const char* format, ...) {
  va_list args;
  va_start(args, format);
  std::vsnprintf(error_, sizeof(error_), format, args);
  va_end(args);
  status_ = status;
  return status;
}

Status Classifier::Begin() {
  if (interpreter_ != nullptr) {
    interpreter_->~MicroInterpreter();
    interpreter_ = nullptr;
  }
  input_ = output_ = nullptr;
  invoked_ = false;
  error_[0] = '\0';
  if (model_.model_data == nullptr || model_.op_resolver == nullptr ||
      arena_ == nullptr) {
    return Fail(Status::kNotReady, "model data, op resolver or arena missing");
  }
  const tflite::Model* model = tflite::GetModel(model_.model_data);
  if (model->version() != TFLITE_SCHEMA_VERSION) {
    return Fail(Status::kModelVersionMismatch,
                "model schema version %lu, runtime supports %d",
                static_cast<unsigned long>(model->version()),
                TFLITE_SCHEMA_VERSION);
  }
  interpreter_ = new (interpreter_storage_) tflite::MicroInterpreter(
      model, model_.op_resolver(), arena_, arena_size_);
  if (interpreter_->AllocateTensors() != kTfLiteOk) {
    return Fail(Status::kAllocationFailed,
                "AllocateTensors failed with a %lu-byte arena",
                static_cast<unsigned long>(arena_size_));
  }
  input_ = interpreter_->input(0);
  output_ = interpreter_->output(0);
  if (input_ == nullptr || output_ == nullptr) {
    return Fail(Status::kInputMismatch, "model has no input or output tensor");
  }
  const int expected_input =
      model_.input_rows * model_.input_cols * model_.input_channels;
  if (!TypeMatches(input_->type, model_.input_type) ||
      ElementCount(input_) != expected_input) {
    return Fail(Status::kInputMismatch,
                "input tensor (%d elements, type %d) differs from the "
                "descriptor (%d elements)",
                ElementCount(input_), static_cast<int>(input_->type),
                expected_input);
  }
  if (!TypeMatches(output_->type, model_.output_type) ||
      ElementCount(output_) != model_.category_count) {
    return Fail(Status::kInputMismatch,
                "output tensor (%d elements) differs from the descriptor "
                "(%d categories)",
                ElementCount(output_), model_.category_count);
  }
  status_ = Status::kOk;
  return status_;
}

Status Classifier::SetInputPixels(const uint8_t* pixels, PixelFormat format) {
  if (input_ == nullptr) return Fail(Status::kNotReady, "Begin() not called");
  const ImageSpec spec{model_.input_cols, model_.input_rows,
                       SourceChannels(format, model_.input_channels), format};
  const size_t elements = static_cast<size_t>(ElementCount(input_));
  bool ok = false;
  switch (input_->type) {
    case kTfLiteInt8:
      ok = QuantizeImage(pixels, spec, model_.input_channels,
                         model_.input_quant_lut, input_->data.int8, elements);
      break;
    case kTfLiteFloat32:
      ok = NormalizeImage(pixels, spec, model_.input_channels, input_->data.f,
                          elements);
      break;
    case kTfLiteUInt8:
      ok = DecodeImage(pixels, spec, model_.input_channels, input_->data.uint8,
                       elements);
      break;
    default:
      break;
  }
  if (!ok) {
    return Fail(Status::kInputMismatch,
                "cannot map a format-%d image to the model input",
                static_cast<int>(format));
  }
  invoked_ = false;
  return Status::kOk;
}

Status Classifier::SetInputInt8(const int8_t* data, size_t size) {
  if (input_ == nullptr) return Fail(Status::kNotReady, "Begin() not called");
  if (data == nullptr || input_->bytes != size) {
    return Fail(Status::kInputMismatch, "input is %lu bytes, model wants %lu",
                static_cast<unsigned long>(size),
                static_cast<unsigned long>(input_->bytes));
  }
  std::memcpy(input_->data.raw, data, size);
  invoked_ = false;
  return Status::kOk;
}

Status Classifier::Invoke() {
  if (interpreter_ == nullptr || input_ == nullptr) {
    return Fail(Status::kNotReady, "Begin() not called");
  }
  const uint32_t start = Micros();
  const TfLiteStatus status = interpreter_->Invoke();
  latency_us_ = MicrosSince(start);
  if (status != kTfLiteOk) {
    invoked_ = false;
    return Fail(Status::kInvokeFailed, "Invoke failed (TfLiteStatus %d)",
                static_cast<int>(status));
  }
  invoked_ = true;
  return Status::kOk;
}

Result Classifier::Classify() const {
  Result result{-1, 0.0f, latency_us_};
  if (!invoked_ || output_ == nullptr) return result;
  const int size = output_size();
  if (output_->type == kTfLiteInt8) {
    result.label = Argmax(output_->data.int8, size);
    result.score =
        Dequantize(output_->data.int8[result.label], output_->params.scale,
                   output_->params.zero_point);
  } else if (output_->type == kTfLiteFloat32) {
    result.label = Argmax(output_->data.f, size);
    result.score = output_->data.f[result.label];
  }
  return result;
}

const int8_t* Classifier::output_int8() const {
  return output_ != nullptr && output_->type == kTfLiteInt8 ? output_->data.int8
                                                            : nullptr;
}

const float* Classifier::output_float() const {
  return output_ != nullptr && output_->type == kTfLiteFloat32 ? output_->data.f
                                                               : nullptr;
}

int Classifier::output_size() const {
  return output_ != nullptr ? ElementCount(output_) : 0;
}

size_t Classifier::arena_used_bytes() const {
  return interpreter_ != nullptr ? interpreter_->arena_used_bytes() : 0;
}

}  // namespace tinyml

#endif  // TINYML_HAVE_TFLM
