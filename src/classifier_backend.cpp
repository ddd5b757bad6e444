// SPDX-License-Identifier: Apache-2.0
// tinyml::Classifier behind the serial service, for either runtime (the
// compiled model or TFLM).

#include "tinyml/classifier_backend.h"

#include "tinyml/output.h"

namespace tinyml {

ModelInfoReply ClassifierBackend::Info() const {
  ModelInfoReply info = {};
  info.input_type = model_.input_type;
  info.rows = model_.input_rows;
  info.cols = model_.input_cols;
  info.channels = model_.input_channels;
  info.input_scale = model_.input_scale;
  info.input_zero_point = model_.input_zero_point;
  info.output_type = model_.output_type;
  info.category_count = model_.category_count;
  info.output_scale = model_.output_scale;
  info.output_zero_point = model_.output_zero_point;
  return info;
}

bool ClassifierBackend::SetInput(const uint8_t* pixels, const ImageSpec& spec) {
  if (spec.format == PixelFormat::kInt8) {
    return classifier_.SetInputInt8(reinterpret_cast<const int8_t*>(pixels),
                                    PackedImageBytes(spec)) == Status::kOk;
  }
  return classifier_.SetInputPixels(pixels, spec.format) == Status::kOk;
}

bool ClassifierBackend::Invoke() { return classifier_.Invoke() == Status::kOk; }

bool ClassifierBackend::Scores(float* out, int size) const {
  if (size != classifier_.output_size()) return false;
  if (const int8_t* raw = classifier_.output_int8()) {
    Dequantize(raw, size, model_.output_scale, model_.output_zero_point, out);
    return true;
  }
  if (const float* values = classifier_.output_float()) {
    for (int i = 0; i < size; ++i) out[i] = values[i];
    return true;
  }
  return false;
}

}  // namespace tinyml
