// SPDX-License-Identifier: Apache-2.0
// Serves serial inference requests with an InferenceBackend (see
// include/tinyml/serial_service.h). TFLM-free.
#include "tinyml/serial_service.h"

namespace tinyml {
namespace {

// The channel count a packed image of `format` must have for a model with
// `model_channels` input channels.
bool ChannelsFit(const ImageSpec& spec, const ModelInfoReply& info) {
  switch (spec.format) {
    case PixelFormat::kGray1bpp:
      return info.channels == 1;
    case PixelFormat::kRgb565:
      return info.channels == 3;
    case PixelFormat::kUint8:
      return spec.channels == info.channels;
    case PixelFormat::kInt8:
      return spec.channels == info.channels &&
             info.input_type == TensorType::kInt8;
  }
  return false;
}

size_t Error(ErrorCode code, const char* message, MessageType* reply_type,
             uint8_t* reply, size_t capacity) {
  *reply_type = MessageType::kError;
  return EncodeError(code, message, reply, capacity);
}

}  // namespace

SerialService::SerialService(InferenceBackend& backend, ResultObserver observer,
                             void* observer_context)
    : backend_(backend),
      observer_(observer),
      observer_context_(observer_context) {}

size_t SerialService::Handle(MessageType type, const uint8_t* payload,
                             size_t size, MessageType* reply_type,
                             uint8_t* reply, size_t reply_capacity,
                             void* context) {
  return static_cast<SerialService*>(context)->Serve(
      type, payload, size, reply_type, reply, reply_capacity);
}

bool SerialService::Run(const uint8_t* pixels, const ImageSpec& spec,
                        Result* result, const char** message) {
  const ModelInfoReply info = backend_.Info();
  if (info.category_count > kSerialMaxCategories) {
    *message = "model has too many categories for the serial reply";
    return false;
  }
  if (!backend_.SetInput(pixels, spec) || !backend_.Invoke()) {
    *message = backend_.error_message();
    return false;
  }
  *result = backend_.Classify();
  if (!backend_.Scores(scores_, info.category_count)) {
    *message = "cannot read the output scores";
    return false;
  }
  if (observer_ != nullptr) {
    observer_(pixels, spec, *result, scores_, info.category_count,
              serving_strokes_, observer_context_);
  }
  return true;
}

bool SerialService::ClassifyStrokes(const StrokePoint* points, int point_count,
                                    const uint16_t* stroke_ends,
                                    int stroke_count, Result* result) {
  const ModelInfoReply info = backend_.Info();
  if (info.rows != kDrawnDigitSize || info.cols != kDrawnDigitSize ||
      info.channels != 1) {
    return false;
  }
  if (!PrepareDrawnDigit(points, point_count, stroke_ends, stroke_count,
                         digit_)) {
    return false;
  }
  const ImageSpec spec{kDrawnDigitSize, kDrawnDigitSize, 1,
                       PixelFormat::kUint8};
  const char* message = nullptr;
  return Run(digit_, spec, result, &message);
}

size_t SerialService::ReplyResult(const Result& result, const uint8_t* image,
                                  size_t image_bytes, uint8_t* reply,
                                  size_t capacity) {
  ResultReply out = {};
  out.label = result.label;
  out.score = result.score;
  out.latency_us = result.latency_us;
  out.category_count = backend_.Info().category_count;
  out.raw = backend_.RawScores();
  out.scores = scores_;
  out.image = image;
  out.image_bytes = image_bytes;
  return EncodeResult(out, reply, capacity);
}

size_t SerialService::Serve(MessageType type, const uint8_t* payload,
                            size_t size, MessageType* reply_type,
                            uint8_t* reply, size_t capacity) {
  const ModelInfoReply info = backend_.Info();
  switch (type) {
    case MessageType::kHello:
      if (size != 0) {
        return Error(ErrorCode::kMalformed, "hello takes no payload",
                     reply_type, reply, capacity);
      }
      *reply_type = MessageType::kInfo;
      return EncodeModelInfo(info, reply, capacity);
    case MessageType::kImage: {
      ImageRequest request = {};
      if (!ParseImageRequest(payload, size, &request)) {
        return Error(ErrorCode::kMalformed,
                     "image request: bad format, size or pixel count",
                     reply_type, reply, capacity);
      }
      if (request.spec.height != info.rows || request.spec.width != info.cols ||
          !ChannelsFit(request.spec, info)) {
        return Error(ErrorCode::kBadShape,
                     "image does not match the model input", reply_type, reply,
                     capacity);
      }
      Result result = {};
      const char* message = nullptr;
      if (!Run(request.pixels, request.spec, &result, &message)) {
        return Error(ErrorCode::kModelFailed, message, reply_type, reply,
                     capacity);
      }
      *reply_type = MessageType::kResult;
      return ReplyResult(result, nullptr, 0, reply, capacity);
    }
    case MessageType::kStrokes: {
      if (!ParseStrokesRequest(payload, size, &strokes_)) {
        return Error(ErrorCode::kMalformed,
                     "strokes request: bad counts or points", reply_type, reply,
                     capacity);
      }
      if (info.rows != kDrawnDigitSize || info.cols != kDrawnDigitSize ||
          info.channels != 1) {
        return Error(ErrorCode::kBadShape, "model input is not 28x28x1",
                     reply_type, reply, capacity);
      }
      Result result = {};
      serving_strokes_ = &strokes_;
      const bool ok =
          ClassifyStrokes(strokes_.points, strokes_.point_count,
                          strokes_.stroke_ends, strokes_.stroke_count, &result);
      serving_strokes_ = nullptr;
      if (!ok) {
        return Error(ErrorCode::kModelFailed, backend_.error_message(),
                     reply_type, reply, capacity);
      }
      *reply_type = MessageType::kResult;
      return ReplyResult(result, digit_, sizeof(digit_), reply, capacity);
    }
    default:
      return Error(ErrorCode::kUnknownType, "unknown request type", reply_type,
                   reply, capacity);
  }
}

}  // namespace tinyml
