// SPDX-License-Identifier: Apache-2.0
// The serial inference protocol: a host sends an image (or the strokes of a
// drawn digit) over a UART / USB-CDC byte stream and gets the classification
// back. Transport-agnostic (byte read/write callbacks and a microsecond
// clock) and TFLM-free; the classifier side is in serial_service.h.
//
// Frame (all integers little-endian):
//   offset 0  2 bytes  magic A5 5A
//   offset 2  uint8    protocol version (kSerialProtocolVersion)
//   offset 3  uint8    message type (MessageType)
//   offset 4  uint16   payload length N (at most the link's payload capacity)
//   offset 6  N bytes  payload
//   offset 6+N uint16  CRC-16/CCITT-FALSE (poly 0x1021, init 0xFFFF) of the
//                      bytes from offset 2 up to the end of the payload
//
// Bytes outside frames (e.g. text lines sharing the UART) are skipped. A bad
// header or CRC, or a frame that stops arriving for longer than the timeout,
// gets an error reply, and the receiver scans the rejected frame's bytes
// after its magic again for the next frame; nothing blocks forever.
// platformio_tinyml/serial_protocol.py is the host side of the same format.
#ifndef TINYML_SERIAL_LINK_H_
#define TINYML_SERIAL_LINK_H_

#include <cstddef>
#include <cstdint>

#include "tinyml/image_input.h"
#include "tinyml/model_descriptor.h"

namespace tinyml {

constexpr uint8_t kSerialMagic0 = 0xA5;
constexpr uint8_t kSerialMagic1 = 0x5A;
constexpr uint8_t kSerialProtocolVersion = 1;
constexpr size_t kSerialHeaderBytes = 6;
constexpr size_t kSerialCrcBytes = 2;

#ifndef TINYML_SERIAL_MAX_PAYLOAD
#define TINYML_SERIAL_MAX_PAYLOAD 4096
#endif
// Payload capacity of a SerialLink (requests and replies).
constexpr size_t kSerialMaxPayload = TINYML_SERIAL_MAX_PAYLOAD;

enum class MessageType : uint8_t {
  kHello = 0x01,    // request: empty payload; reply kInfo
  kImage = 0x02,    // request: ImageRequest; reply kResult
  kStrokes = 0x03,  // request: StrokesRequest; reply kResult (+ the image)
  kInfo = 0x81,     // reply: the model's input/output (ModelInfoReply)
  kResult = 0x82,   // reply: ResultReply
  kError = 0xFF,    // reply: uint8 ErrorCode, uint8 length, ASCII message
};

enum class ErrorCode : uint8_t {
  kBadCrc = 1,
  kBadVersion = 2,
  kUnknownType = 3,
  kTooLarge = 4,    // the length field exceeds the payload capacity
  kTimeout = 5,     // a frame stopped arriving
  kMalformed = 6,   // the payload does not parse (lengths, counts)
  kBadShape = 7,    // well-formed, but not what the model takes
  kModelFailed = 8  // the model could not run
};

// CRC-16/CCITT-FALSE; `crc` chains calls (start with 0xFFFF).
uint16_t Crc16Ccitt(const uint8_t* data, size_t size, uint16_t crc = 0xFFFF);

// Writes one complete frame into `out`; returns its size, or 0 when
// `out_size` is too small or the payload exceeds 65535 bytes.
size_t EncodeFrame(MessageType type, const uint8_t* payload,
                   size_t payload_size, uint8_t* out, size_t out_size);

// An image request payload: uint8 PixelFormat, uint16 height, uint16 width,
// uint8 channels, then the packed pixels (PackedImageBytes of that spec).
struct ImageRequest {
  ImageSpec spec;
  const uint8_t* pixels;  // points into the payload
  size_t pixel_bytes;
};

// Parses an image request; false when the spec is invalid or the pixel
// count does not match it.
bool ParseImageRequest(const uint8_t* payload, size_t size, ImageRequest* out);

// One point of a drawn stroke, in the drawing area's pixel coordinates.
struct StrokePoint {
  uint16_t x;
  uint16_t y;
};

#ifndef TINYML_SERIAL_MAX_POINTS
#define TINYML_SERIAL_MAX_POINTS 768
#endif
#ifndef TINYML_SERIAL_MAX_STROKES
#define TINYML_SERIAL_MAX_STROKES 32
#endif
constexpr int kMaxStrokePoints = TINYML_SERIAL_MAX_POINTS;
constexpr int kMaxStrokes = TINYML_SERIAL_MAX_STROKES;

// A strokes request payload: uint16 area width, uint16 area height, uint8
// stroke count, then per stroke uint16 point count and (uint16 x, uint16 y)
// per point. Points must lie inside the area; every stroke has a point.
struct StrokesRequest {
  int width;
  int height;
  int stroke_count;
  int point_count;
  uint16_t stroke_ends[kMaxStrokes];  // index one past each stroke's last
  StrokePoint points[kMaxStrokePoints];
};

// Parses a strokes request into `out` (copies the points).
bool ParseStrokesRequest(const uint8_t* payload, size_t size,
                         StrokesRequest* out);

// The model facts a host needs to prepare input (reply to kHello):
// uint8 version, uint8 input TensorType, uint16 rows, uint16 cols, uint8
// channels, float32 input scale, int32 input zero point, uint8 output
// TensorType, uint16 category count, float32 output scale, int32 output
// zero point, uint16 payload capacity.
struct ModelInfoReply {
  TensorType input_type;
  int rows;
  int cols;
  int channels;
  float input_scale;
  int32_t input_zero_point;
  TensorType output_type;
  int category_count;
  float output_scale;
  int32_t output_zero_point;
};
size_t EncodeModelInfo(const ModelInfoReply& info, uint8_t* out,
                       size_t out_size);

// A classification (reply to kImage and kStrokes): int16 label, float32
// score, uint32 latency in microseconds, uint16 category count N, N int8 raw
// outputs (0 for a float model), N float32 dequantized scores, uint16 image
// bytes M and M bytes of the model-input image the device prepared (the
// 28x28 drawn digit for kStrokes; M = 0 for kImage).
struct ResultReply {
  int label;
  float score;
  uint32_t latency_us;
  int category_count;
  const int8_t* raw;     // category_count entries, or nullptr
  const float* scores;   // category_count entries
  const uint8_t* image;  // image_bytes, or nullptr
  size_t image_bytes;
};
size_t EncodeResult(const ResultReply& result, uint8_t* out, size_t out_size);

// Serves one request: called by SerialLink::Poll() for every request frame
// with a good CRC and version. Writes the reply payload into `reply`
// (capacity `reply_capacity`), sets `*reply_type` and returns the payload
// size; a failure is `*reply_type = kError` with EncodeError()'s payload.
using RequestHandler = size_t (*)(MessageType type, const uint8_t* payload,
                                  size_t size, MessageType* reply_type,
                                  uint8_t* reply, size_t reply_capacity,
                                  void* context);

// An error payload: code, message length, message (truncated to fit).
size_t EncodeError(ErrorCode code, const char* message, uint8_t* out,
                   size_t out_size);

// The byte stream. `read` returns how many bytes it stored (0 when none is
// waiting) and must not block; `write` sends all `size` bytes.
struct SerialTransport {
  size_t (*read)(uint8_t* buffer, size_t capacity, void* context);
  void (*write)(const uint8_t* data, size_t size, void* context);
  uint32_t (*micros)(void* context);  // free-running clock
  void* context;
};

class SerialLink {
 public:
  static constexpr uint32_t kDefaultTimeoutUs = 500000;

  SerialLink(const SerialTransport& transport, RequestHandler handler,
             void* handler_context, uint32_t timeout_us = kDefaultTimeoutUs);

  // Reads what is waiting, serves every complete frame and handles the
  // partial-frame timeout. Never blocks. Returns the number of requests
  // served (replies other than error replies).
  int Poll();

  // Feeds bytes as if read from the transport (Poll() uses it; tests too).
  int Feed(const uint8_t* data, size_t size);

  // Counters for diagnostics.
  uint32_t frames_ok() const { return frames_ok_; }
  uint32_t frames_rejected() const { return frames_rejected_; }

 private:
  enum class State : uint8_t { kMagic0, kMagic1, kHeader, kBody };

  int FeedByte(uint8_t byte);
  int Consume(uint8_t byte);
  void Reset();
  void Reject(ErrorCode code, const char* message);
  int Dispatch();
  void SendReply(MessageType type, size_t payload_size);
  void SendError(ErrorCode code, const char* message);
  int CheckTimeout();
  int DrainReplay();

  SerialTransport transport_;
  RequestHandler handler_;
  void* handler_context_;
  uint32_t timeout_us_;
  State state_ = State::kMagic0;
  size_t fill_ = 0;      // bytes of the current frame in rx_
  size_t expected_ = 0;  // total frame size once the header is known
  uint32_t last_byte_us_ = 0;
  uint32_t frames_ok_ = 0;
  uint32_t frames_rejected_ = 0;
  // After a rejected frame, its bytes after the magic are scanned again.
  bool replaying_ = false;
  size_t replay_head_ = 0;
  size_t replay_end_ = 0;
  static constexpr size_t kFrameCapacity =
      kSerialHeaderBytes + kSerialMaxPayload + kSerialCrcBytes;
  uint8_t rx_[kFrameCapacity];
  uint8_t replay_[kFrameCapacity];
  uint8_t tx_[kFrameCapacity];  // replies are encoded in place
};

}  // namespace tinyml

#endif  // TINYML_SERIAL_LINK_H_
