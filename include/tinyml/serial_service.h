// SPDX-License-Identifier: Apache-2.0
// Serves the serial inference protocol (serial_link.h) with a model: answers
// hello with the model's input/output facts, checks image requests against
// the model's input shape, turns strokes into a 28x28 digit
// (PrepareDrawnDigit) and replies with all class scores. TFLM-free: the model
// sits behind InferenceBackend (ClassifierBackend in classifier_backend.h
// adapts tinyml::Classifier).
#ifndef TINYML_SERIAL_SERVICE_H_
#define TINYML_SERIAL_SERVICE_H_

#include <cstddef>
#include <cstdint>

#include "tinyml/drawn_digit.h"
#include "tinyml/image_input.h"
#include "tinyml/result.h"
#include "tinyml/serial_link.h"

namespace tinyml {

// What SerialService needs from a model.
class InferenceBackend {
 public:
  virtual ~InferenceBackend() = default;
  // The model's input and output facts.
  virtual ModelInfoReply Info() const = 0;
  // Writes one packed image (already checked against Info()) as input.
  virtual bool SetInput(const uint8_t* pixels, const ImageSpec& spec) = 0;
  // Runs the model; on success Classify() and the scores are valid.
  virtual bool Invoke() = 0;
  virtual Result Classify() const = 0;
  // Raw int8 outputs (nullptr for a float model) and dequantized scores;
  // Info().category_count entries each.
  virtual const int8_t* RawScores() const = 0;
  virtual bool Scores(float* out, int size) const = 0;
  // Why the last call failed.
  virtual const char* error_message() const = 0;
};

// Called after each served classification, e.g. to show it on the LCD.
// `pixels`/`spec` are the model-input image (the drawn digit for strokes);
// `strokes` is the strokes request, or nullptr for images and for
// ClassifyStrokes() calls.
using ResultObserver = void (*)(const uint8_t* pixels, const ImageSpec& spec,
                                const Result& result, const float* scores,
                                int category_count,
                                const StrokesRequest* strokes, void* context);

#ifndef TINYML_SERIAL_MAX_CATEGORIES
#define TINYML_SERIAL_MAX_CATEGORIES 64
#endif
constexpr int kSerialMaxCategories = TINYML_SERIAL_MAX_CATEGORIES;

class SerialService {
 public:
  explicit SerialService(InferenceBackend& backend,
                         ResultObserver observer = nullptr,
                         void* observer_context = nullptr);

  // A RequestHandler: pass SerialService::Handle and the service as context.
  static size_t Handle(MessageType type, const uint8_t* payload, size_t size,
                       MessageType* reply_type, uint8_t* reply,
                       size_t reply_capacity, void* context);

  // Renders strokes into a 28x28 digit and classifies it (the touch screen
  // path; also used for kStrokes requests). `scores` gets the category
  // scores when not nullptr. Returns false when the model does not take
  // 28x28x1 input or could not run.
  bool ClassifyStrokes(const StrokePoint* points, int point_count,
                       const uint16_t* stroke_ends, int stroke_count,
                       Result* result);

  // The last drawn digit (valid after ClassifyStrokes).
  const uint8_t* digit() const { return digit_; }
  const float* scores() const { return scores_; }

 private:
  size_t Serve(MessageType type, const uint8_t* payload, size_t size,
               MessageType* reply_type, uint8_t* reply, size_t capacity);
  bool Run(const uint8_t* pixels, const ImageSpec& spec, Result* result,
           const char** message);
  size_t ReplyResult(const Result& result, const uint8_t* image,
                     size_t image_bytes, uint8_t* reply, size_t capacity);

  InferenceBackend& backend_;
  ResultObserver observer_;
  void* observer_context_;
  StrokesRequest strokes_ = {};
  const StrokesRequest* serving_strokes_ = nullptr;  // for the observer
  uint8_t digit_[kDrawnDigitSize * kDrawnDigitSize] = {};
  float scores_[kSerialMaxCategories] = {};
};

}  // namespace tinyml

#endif  // TINYML_SERIAL_SERVICE_H_
