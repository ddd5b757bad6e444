// SPDX-License-Identifier: Apache-2.0
// tinyml::Classifier as the InferenceBackend of a SerialService (either
// runtime: the compiled model or TFLM).
#ifndef TINYML_CLASSIFIER_BACKEND_H_
#define TINYML_CLASSIFIER_BACKEND_H_

#include "tinyml/classifier.h"
#include "tinyml/serial_service.h"

namespace tinyml {

class ClassifierBackend : public InferenceBackend {
 public:
  // `classifier` must have been started with Begin().
  ClassifierBackend(Classifier& classifier, const ModelDescriptor& model)
      : classifier_(classifier), model_(model) {}

  ModelInfoReply Info() const override;
  bool SetInput(const uint8_t* pixels, const ImageSpec& spec) override;
  bool Invoke() override;
  Result Classify() const override { return classifier_.Classify(); }
  const int8_t* RawScores() const override { return classifier_.output_int8(); }
  bool Scores(float* out, int size) const override;
  const char* error_message() const override {
    return classifier_.error_message();
  }

 private:
  Classifier& classifier_;
  const ModelDescriptor& model_;
};

}  // namespace tinyml

#endif  // TINYML_CLASSIFIER_BACKEND_H_
