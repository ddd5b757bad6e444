// SPDX-License-Identifier: Apache-2.0
// The classifier's backend-independent part and the AOT backend. The TFLM
// backend is in src/tflm/tflm_backend.cpp, built only with TINYML_HAVE_TFLM.
#include "tinyml/classifier.h"

#include <cstdarg>
#include <cstdio>
#include <cstring>

#include "tinyml/image_input.h"
#include "tinyml/output.h"
#include "tinyml/timing.h"

namespace tinyml {
namespace {

constexpr size_t kAlign = 16;

size_t AlignUp(size_t bytes) { return (bytes + kAlign - 1) / kAlign * kAlign; }

size_t ElementBytes(TensorType type) {
  return type == TensorType::kFloat32 ? sizeof(float) : 1;
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
#if defined(TINYML_HAVE_TFLM)
  EndTflm();
#endif
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
#if defined(TINYML_HAVE_TFLM)
  EndTflm();
#endif
  input_ = nullptr;
  output_ = nullptr;
  input_bytes_ = 0;
  output_count_ = 0;
  aot_arena_used_ = 0;
  invoked_ = false;
  error_[0] = '\0';
  if (arena_ == nullptr) return Fail(Status::kNotReady, "arena missing");
  Status status;
  if (is_aot()) {
    status = BeginAot();
  } else {
#if defined(TINYML_HAVE_TFLM)
    status = BeginTflm();
#else
    status = Fail(Status::kNotReady,
                  "the model needs TFLM, which this build lacks; use "
                  "custom_tinyml_runtime = aot or a TFLM checkout");
#endif
  }
  if (status != Status::kOk) return status;
  status_ = Status::kOk;
  return status_;
}

Status Classifier::BeginAot() {
  if (model_.input_type != TensorType::kInt8 ||
      model_.output_type != TensorType::kInt8) {
    return Fail(Status::kInputMismatch,
                "the compiled model needs int8 input and output");
  }
  const size_t input_bytes = static_cast<size_t>(
      model_.input_rows * model_.input_cols * model_.input_channels);
  const size_t output_bytes = static_cast<size_t>(model_.category_count);
  const size_t input_offset = AlignUp(model_.aot_scratch_size);
  const size_t output_offset = input_offset + AlignUp(input_bytes);
  const size_t used = output_offset + AlignUp(output_bytes);
  if (used > arena_size_) {
    return Fail(Status::kAllocationFailed,
                "the compiled model needs a %lu-byte arena, got %lu",
                static_cast<unsigned long>(used),
                static_cast<unsigned long>(arena_size_));
  }
  input_ = arena_ + input_offset;
  input_bytes_ = input_bytes;
  output_ = arena_ + output_offset;
  output_count_ = model_.category_count;
  aot_arena_used_ = used;
  return Status::kOk;
}

Status Classifier::SetInputPixels(const uint8_t* pixels, PixelFormat format) {
  if (input_ == nullptr) return Fail(Status::kNotReady, "Begin() not called");
  const ImageSpec spec{model_.input_cols, model_.input_rows,
                       SourceChannels(format, model_.input_channels), format};
  const size_t elements = input_bytes_ / ElementBytes(model_.input_type);
  bool ok = false;
  switch (model_.input_type) {
    case TensorType::kInt8:
      ok = QuantizeImage(pixels, spec, model_.input_channels,
                         model_.input_quant_lut, static_cast<int8_t*>(input_),
                         elements);
      break;
    case TensorType::kFloat32:
      ok = NormalizeImage(pixels, spec, model_.input_channels,
                          static_cast<float*>(input_), elements);
      break;
    case TensorType::kUint8:
      ok = DecodeImage(pixels, spec, model_.input_channels,
                       static_cast<uint8_t*>(input_), elements);
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
  if (data == nullptr || input_bytes_ != size) {
    return Fail(Status::kInputMismatch, "input is %lu bytes, model wants %lu",
                static_cast<unsigned long>(size),
                static_cast<unsigned long>(input_bytes_));
  }
  std::memcpy(input_, data, size);
  invoked_ = false;
  return Status::kOk;
}

Status Classifier::Invoke() {
  if (input_ == nullptr) {
    return Fail(Status::kNotReady, "Begin() not called");
  }
  Status status = Status::kOk;
  const uint32_t start = Micros();
  if (is_aot()) {
    const int code = model_.aot_invoke(static_cast<const int8_t*>(input_),
                                       static_cast<int8_t*>(output_), arena_);
    latency_us_ = MicrosSince(start);
    if (code != 0) {
      status =
          Fail(Status::kInvokeFailed, "the compiled model returned %d", code);
    }
  } else {
#if defined(TINYML_HAVE_TFLM)
    status = InvokeTflm();
    latency_us_ = MicrosSince(start);
#else
    status = Fail(Status::kNotReady, "TFLM is not in this build");
#endif
  }
  invoked_ = status == Status::kOk;
  return status;
}

Result Classifier::Classify() const {
  Result result{-1, 0.0f, latency_us_};
  if (!invoked_ || output_ == nullptr) return result;
  if (model_.output_type == TensorType::kInt8) {
    const int8_t* values = static_cast<const int8_t*>(output_);
    result.label = Argmax(values, output_count_);
    result.score = Dequantize(values[result.label], model_.output_scale,
                              model_.output_zero_point);
  } else if (model_.output_type == TensorType::kFloat32) {
    const float* values = static_cast<const float*>(output_);
    result.label = Argmax(values, output_count_);
    result.score = values[result.label];
  }
  return result;
}

const int8_t* Classifier::output_int8() const {
  return output_ != nullptr && model_.output_type == TensorType::kInt8
             ? static_cast<const int8_t*>(output_)
             : nullptr;
}

const float* Classifier::output_float() const {
  return output_ != nullptr && model_.output_type == TensorType::kFloat32
             ? static_cast<const float*>(output_)
             : nullptr;
}

int Classifier::output_size() const { return output_count_; }

size_t Classifier::arena_used_bytes() const {
  if (is_aot()) return aot_arena_used_;
#if defined(TINYML_HAVE_TFLM)
  return ArenaUsedTflm();
#else
  return 0;
#endif
}

}  // namespace tinyml
