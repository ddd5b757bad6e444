// SPDX-License-Identifier: Apache-2.0
// Host build of the serial protocol for tests/test_serial_link.py: runs
// SerialLink + SerialService (the firmware's code) on a scripted byte stream
// and writes every reply byte to stdout.
//
// stdin holds records: uint8 op, uint32 length (LE), `length` bytes.
//   op 0: the bytes arrive on the link, then Poll()
//   op 1: 4 bytes uint32 microseconds pass on the clock, then Poll()
// For each record, stdout gets uint32 length (LE) and the bytes the link
// wrote meanwhile.
// The model behind the service is a fixed arithmetic stand-in (28x28x1 int8
// in, 10 int8 scores out): raw[i] = (sum of input bytes + 37 * i) mod 256,
// as int8. It exercises the protocol, not a network.
#include <cstdint>
#include <cstdio>
#include <cstring>
#include <vector>

#include "tinyml/output.h"
#include "tinyml/serial_link.h"
#include "tinyml/serial_service.h"

namespace {

uint32_t g_now_us = 0;
std::vector<uint8_t> g_pending;
size_t g_pending_at = 0;
std::vector<uint8_t> g_written;

size_t Read(uint8_t* buffer, size_t capacity, void*) {
  // At most 7 bytes at a time: frames straddle reads.
  size_t n = g_pending.size() - g_pending_at;
  if (n > capacity) n = capacity;
  if (n > 7) n = 7;
  if (n > 0) std::memcpy(buffer, g_pending.data() + g_pending_at, n);
  g_pending_at += n;
  return n;
}

void Write(const uint8_t* data, size_t size, void*) {
  g_written.insert(g_written.end(), data, data + size);
}

void FlushRecord() {
  const uint32_t n = static_cast<uint32_t>(g_written.size());
  const uint8_t length[4] = {
      static_cast<uint8_t>(n), static_cast<uint8_t>(n >> 8),
      static_cast<uint8_t>(n >> 16), static_cast<uint8_t>(n >> 24)};
  std::fwrite(length, 1, sizeof(length), stdout);
  if (n > 0) std::fwrite(g_written.data(), 1, n, stdout);
  g_written.clear();
}

uint32_t Micros(void*) { return g_now_us; }

class ArithmeticBackend : public tinyml::InferenceBackend {
 public:
  tinyml::ModelInfoReply Info() const override {
    tinyml::ModelInfoReply info = {};
    info.input_type = tinyml::TensorType::kInt8;
    info.rows = 28;
    info.cols = 28;
    info.channels = 1;
    info.input_scale = 1.0f / 255.0f;
    info.input_zero_point = -128;
    info.output_type = tinyml::TensorType::kInt8;
    info.category_count = 10;
    info.output_scale = 1.0f / 256.0f;
    info.output_zero_point = -128;
    return info;
  }
  bool SetInput(const uint8_t* pixels, const tinyml::ImageSpec& spec) override {
    const size_t bytes = tinyml::PackedImageBytes(spec);
    sum_ = 0;
    for (size_t i = 0; i < bytes; ++i) sum_ += pixels[i];
    return bytes > 0;
  }
  bool Invoke() override {
    for (int i = 0; i < 10; ++i) {
      raw_[i] = static_cast<int8_t>(static_cast<uint8_t>(sum_ + 37u * i));
    }
    return true;
  }
  tinyml::Result Classify() const override {
    const int label = tinyml::Argmax(raw_, 10);
    return {label, tinyml::Dequantize(raw_[label], 1.0f / 256.0f, -128), 42};
  }
  const int8_t* RawScores() const override { return raw_; }
  bool Scores(float* out, int size) const override {
    if (size != 10) return false;
    tinyml::Dequantize(raw_, 10, 1.0f / 256.0f, -128, out);
    return true;
  }
  const char* error_message() const override { return ""; }

 private:
  uint32_t sum_ = 0;
  int8_t raw_[10] = {};
};

bool ReadExact(void* out, size_t size) {
  return std::fread(out, 1, size, stdin) == size;
}

}  // namespace

int main() {
  static ArithmeticBackend backend;
  static tinyml::SerialService service(backend);
  const tinyml::SerialTransport transport = {&Read, &Write, &Micros, nullptr};
  static tinyml::SerialLink link(transport, &tinyml::SerialService::Handle,
                                 &service);
  for (;;) {
    uint8_t header[5];
    if (!ReadExact(header, sizeof(header))) break;
    const uint32_t length = header[1] | header[2] << 8 | header[3] << 16 |
                            static_cast<uint32_t>(header[4]) << 24;
    std::vector<uint8_t> data(length);
    if (length > 0 && !ReadExact(data.data(), length)) return 2;
    if (header[0] == 0) {
      g_pending = data;
      g_pending_at = 0;
      g_now_us += 10;
      while (g_pending_at < g_pending.size()) link.Poll();
    } else if (header[0] == 1 && length == 4) {
      g_now_us += data[0] | data[1] << 8 | data[2] << 16 |
                  static_cast<uint32_t>(data[3]) << 24;
      link.Poll();
    } else {
      return 2;
    }
    FlushRecord();
  }
  std::fflush(stdout);
  std::fprintf(stderr, "frames_ok=%u frames_rejected=%u\n",
               static_cast<unsigned>(link.frames_ok()),
               static_cast<unsigned>(link.frames_rejected()));
  return 0;
}
