// SPDX-License-Identifier: Apache-2.0
// The serial inference protocol: framing, CRC, request parsing and reply
// encoding (see include/tinyml/serial_link.h). TFLM-free.
#include "tinyml/serial_link.h"

#include <cstring>

namespace tinyml {
namespace {

uint16_t GetLe16(const uint8_t* p) {
  return static_cast<uint16_t>(p[0] | (p[1] << 8));
}

void PutLe16(uint8_t* p, uint16_t value) {
  p[0] = static_cast<uint8_t>(value);
  p[1] = static_cast<uint8_t>(value >> 8);
}

void PutLe32(uint8_t* p, uint32_t value) {
  for (int i = 0; i < 4; ++i) p[i] = static_cast<uint8_t>(value >> (8 * i));
}

void PutFloat(uint8_t* p, float value) {
  uint32_t bits = 0;
  std::memcpy(&bits, &value, sizeof(bits));
  PutLe32(p, bits);
}

bool IsRequest(uint8_t type) {
  return type == static_cast<uint8_t>(MessageType::kHello) ||
         type == static_cast<uint8_t>(MessageType::kImage) ||
         type == static_cast<uint8_t>(MessageType::kStrokes);
}

}  // namespace

uint16_t Crc16Ccitt(const uint8_t* data, size_t size, uint16_t crc) {
  for (size_t i = 0; i < size; ++i) {
    crc = static_cast<uint16_t>(crc ^ (data[i] << 8));
    for (int bit = 0; bit < 8; ++bit) {
      crc = (crc & 0x8000u) ? static_cast<uint16_t>((crc << 1) ^ 0x1021u)
                            : static_cast<uint16_t>(crc << 1);
    }
  }
  return crc;
}

size_t EncodeFrame(MessageType type, const uint8_t* payload,
                   size_t payload_size, uint8_t* out, size_t out_size) {
  const size_t total = kSerialHeaderBytes + payload_size + kSerialCrcBytes;
  if (payload_size > 0xFFFFu || out_size < total) return 0;
  out[0] = kSerialMagic0;
  out[1] = kSerialMagic1;
  out[2] = kSerialProtocolVersion;
  out[3] = static_cast<uint8_t>(type);
  PutLe16(out + 4, static_cast<uint16_t>(payload_size));
  if (payload_size > 0 && payload != out + kSerialHeaderBytes) {
    std::memmove(out + kSerialHeaderBytes, payload, payload_size);
  }
  const uint16_t crc = Crc16Ccitt(out + 2, 4 + payload_size);
  PutLe16(out + kSerialHeaderBytes + payload_size, crc);
  return total;
}

bool ParseImageRequest(const uint8_t* payload, size_t size, ImageRequest* out) {
  constexpr size_t kFixed = 6;
  if (payload == nullptr || size < kFixed) return false;
  if (payload[0] > static_cast<uint8_t>(PixelFormat::kRgb565)) return false;
  ImageSpec spec = {};
  spec.format = static_cast<PixelFormat>(payload[0]);
  spec.height = GetLe16(payload + 1);
  spec.width = GetLe16(payload + 3);
  spec.channels = payload[5];
  if (!IsValidImageSpec(spec)) return false;
  const size_t bytes = PackedImageBytes(spec);
  if (bytes == 0 || bytes != size - kFixed) return false;
  out->spec = spec;
  out->pixels = payload + kFixed;
  out->pixel_bytes = bytes;
  return true;
}

bool ParseStrokesRequest(const uint8_t* payload, size_t size,
                         StrokesRequest* out) {
  if (payload == nullptr || size < 5) return false;
  out->width = GetLe16(payload);
  out->height = GetLe16(payload + 2);
  out->stroke_count = payload[4];
  out->point_count = 0;
  if (out->width == 0 || out->height == 0 || out->stroke_count == 0 ||
      out->stroke_count > kMaxStrokes) {
    return false;
  }
  size_t at = 5;
  for (int s = 0; s < out->stroke_count; ++s) {
    if (size - at < 2) return false;
    const int count = GetLe16(payload + at);
    at += 2;
    if (count == 0 || count > kMaxStrokePoints - out->point_count ||
        (size - at) / 4 < static_cast<size_t>(count)) {
      return false;
    }
    for (int i = 0; i < count; ++i, at += 4) {
      StrokePoint& point = out->points[out->point_count + i];
      point.x = GetLe16(payload + at);
      point.y = GetLe16(payload + at + 2);
      if (point.x >= out->width || point.y >= out->height) return false;
    }
    out->point_count += count;
    out->stroke_ends[s] = static_cast<uint16_t>(out->point_count);
  }
  return at == size;
}

size_t EncodeModelInfo(const ModelInfoReply& info, uint8_t* out,
                       size_t out_size) {
  constexpr size_t kSize = 1 + 1 + 2 + 2 + 1 + 4 + 4 + 1 + 2 + 4 + 4 + 2;
  if (out_size < kSize) return 0;
  uint8_t* p = out;
  *p++ = kSerialProtocolVersion;
  *p++ = static_cast<uint8_t>(info.input_type);
  PutLe16(p, static_cast<uint16_t>(info.rows));
  p += 2;
  PutLe16(p, static_cast<uint16_t>(info.cols));
  p += 2;
  *p++ = static_cast<uint8_t>(info.channels);
  PutFloat(p, info.input_scale);
  p += 4;
  PutLe32(p, static_cast<uint32_t>(info.input_zero_point));
  p += 4;
  *p++ = static_cast<uint8_t>(info.output_type);
  PutLe16(p, static_cast<uint16_t>(info.category_count));
  p += 2;
  PutFloat(p, info.output_scale);
  p += 4;
  PutLe32(p, static_cast<uint32_t>(info.output_zero_point));
  p += 4;
  PutLe16(p, static_cast<uint16_t>(kSerialMaxPayload));
  p += 2;
  return static_cast<size_t>(p - out);
}

size_t EncodeResult(const ResultReply& result, uint8_t* out, size_t out_size) {
  const size_t n = static_cast<size_t>(result.category_count);
  const size_t size = 2 + 4 + 4 + 2 + n + 4 * n + 2 + result.image_bytes;
  if (result.category_count < 0 || result.image_bytes > 0xFFFFu ||
      out_size < size) {
    return 0;
  }
  uint8_t* p = out;
  PutLe16(p, static_cast<uint16_t>(static_cast<int16_t>(result.label)));
  p += 2;
  PutFloat(p, result.score);
  p += 4;
  PutLe32(p, result.latency_us);
  p += 4;
  PutLe16(p, static_cast<uint16_t>(n));
  p += 2;
  for (size_t i = 0; i < n; ++i) {
    *p++ = static_cast<uint8_t>(result.raw != nullptr ? result.raw[i] : 0);
  }
  for (size_t i = 0; i < n; ++i, p += 4) PutFloat(p, result.scores[i]);
  PutLe16(p, static_cast<uint16_t>(result.image_bytes));
  p += 2;
  if (result.image_bytes > 0) {
    std::memcpy(p, result.image, result.image_bytes);
    p += result.image_bytes;
  }
  return static_cast<size_t>(p - out);
}

size_t EncodeError(ErrorCode code, const char* message, uint8_t* out,
                   size_t out_size) {
  if (out_size < 2) return 0;
  size_t length = message != nullptr ? std::strlen(message) : 0;
  if (length > 255) length = 255;
  if (length > out_size - 2) length = out_size - 2;
  out[0] = static_cast<uint8_t>(code);
  out[1] = static_cast<uint8_t>(length);
  if (length > 0) std::memcpy(out + 2, message, length);
  return 2 + length;
}

SerialLink::SerialLink(const SerialTransport& transport, RequestHandler handler,
                       void* handler_context, uint32_t timeout_us)
    : transport_(transport),
      handler_(handler),
      handler_context_(handler_context),
      timeout_us_(timeout_us) {}

int SerialLink::Poll() {
  int served = CheckTimeout();
  uint8_t chunk[64];
  for (;;) {
    const size_t got =
        transport_.read(chunk, sizeof(chunk), transport_.context);
    if (got == 0) break;
    served += Feed(chunk, got < sizeof(chunk) ? got : sizeof(chunk));
  }
  return served;
}

int SerialLink::Feed(const uint8_t* data, size_t size) {
  int served = 0;
  for (size_t i = 0; i < size; ++i) served += FeedByte(data[i]);
  return served;
}

int SerialLink::CheckTimeout() {
  if (state_ == State::kMagic0) return 0;
  const uint32_t now = transport_.micros(transport_.context);
  if (now - last_byte_us_ <= timeout_us_) return 0;
  Reject(ErrorCode::kTimeout, "partial frame timed out");
  // A frame found in the replayed bytes gets its own full timeout.
  last_byte_us_ = now;
  return DrainReplay();
}

int SerialLink::DrainReplay() {
  // A rejected frame's bytes after its magic may hold the next frame.
  int served = 0;
  while (replaying_ && replay_head_ < replay_end_) {
    served += Consume(replay_[replay_head_++]);
  }
  replaying_ = false;
  return served;
}

int SerialLink::FeedByte(uint8_t byte) {
  int served = CheckTimeout();
  last_byte_us_ = transport_.micros(transport_.context);
  served += Consume(byte);
  return served + DrainReplay();
}

void SerialLink::Reset() {
  state_ = State::kMagic0;
  fill_ = 0;
  expected_ = 0;
}

int SerialLink::Consume(uint8_t byte) {
  switch (state_) {
    case State::kMagic0:
      if (byte == kSerialMagic0) {
        rx_[0] = byte;
        fill_ = 1;
        state_ = State::kMagic1;
      }
      return 0;
    case State::kMagic1:
      if (byte == kSerialMagic1) {
        rx_[fill_++] = byte;
        state_ = State::kHeader;
      } else if (byte != kSerialMagic0) {
        Reset();
      }
      return 0;
    case State::kHeader:
      rx_[fill_++] = byte;
      if (fill_ == 3 && byte != kSerialProtocolVersion) {
        Reject(ErrorCode::kBadVersion, "unsupported protocol version");
      } else if (fill_ == 4 && !IsRequest(byte)) {
        Reject(ErrorCode::kUnknownType, "unknown request type");
      } else if (fill_ == kSerialHeaderBytes) {
        const size_t length = GetLe16(rx_ + 4);
        if (length > kSerialMaxPayload) {
          Reject(ErrorCode::kTooLarge, "payload larger than the device buffer");
        } else {
          expected_ = kSerialHeaderBytes + length + kSerialCrcBytes;
          state_ = State::kBody;
        }
      }
      return 0;
    case State::kBody:
      rx_[fill_++] = byte;
      if (fill_ < expected_) return 0;
      {
        const size_t length = expected_ - kSerialHeaderBytes - kSerialCrcBytes;
        const uint16_t crc = Crc16Ccitt(rx_ + 2, 4 + length);
        if (crc != GetLe16(rx_ + kSerialHeaderBytes + length)) {
          Reject(ErrorCode::kBadCrc, "CRC mismatch");
          return 0;
        }
      }
      return Dispatch();
  }
  return 0;
}

void SerialLink::Reject(ErrorCode code, const char* message) {
  ++frames_rejected_;
  const size_t rest = fill_ - 1;  // everything after the first magic byte
  if (replaying_) {
    // The rejected frame started inside the replayed bytes: step back.
    replay_head_ -= rest;
  } else {
    std::memcpy(replay_, rx_ + 1, rest);
    replay_head_ = 0;
    replay_end_ = rest;
    replaying_ = true;
  }
  Reset();
  SendError(code, message);
}

int SerialLink::Dispatch() {
  const MessageType type = static_cast<MessageType>(rx_[3]);
  const size_t length = expected_ - kSerialHeaderBytes - kSerialCrcBytes;
  Reset();
  MessageType reply_type = MessageType::kError;
  const size_t size =
      handler_(type, rx_ + kSerialHeaderBytes, length, &reply_type,
               tx_ + kSerialHeaderBytes, kSerialMaxPayload, handler_context_);
  if (reply_type == MessageType::kError) {
    ++frames_rejected_;
  } else {
    ++frames_ok_;
  }
  SendReply(reply_type, size);
  return reply_type == MessageType::kError ? 0 : 1;
}

void SerialLink::SendReply(MessageType type, size_t payload_size) {
  const size_t total = EncodeFrame(type, tx_ + kSerialHeaderBytes, payload_size,
                                   tx_, sizeof(tx_));
  if (total > 0) transport_.write(tx_, total, transport_.context);
}

void SerialLink::SendError(ErrorCode code, const char* message) {
  const size_t size =
      EncodeError(code, message, tx_ + kSerialHeaderBytes, kSerialMaxPayload);
  SendReply(MessageType::kError, size);
}

}  // namespace tinyml
