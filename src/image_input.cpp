// SPDX-License-Identifier: Apache-2.0
// Decoding packed images and mapping them to model input.
#include "tinyml/image_input.h"

#include <cstring>

namespace tinyml {
namespace {

size_t PixelCount(const ImageSpec& spec) {
  return static_cast<size_t>(spec.width) * static_cast<size_t>(spec.height);
}

bool IsValidOutChannels(int channels) { return channels == 1 || channels == 3; }

// Fills `rgb` from pixel (x, y); `spec` is valid and not kInt8.
void ReadRgb(const uint8_t* packed, const ImageSpec& spec, int x, int y,
             uint8_t rgb[3]) {
  const size_t index = static_cast<size_t>(y) * spec.width + x;
  switch (spec.format) {
    case PixelFormat::kGray1bpp: {
      const size_t row_bytes = (static_cast<size_t>(spec.width) + 7) / 8;
      const uint8_t byte = packed[y * row_bytes + x / 8];
      const uint8_t value = (byte & (0x80u >> (x % 8))) != 0 ? 255 : 0;
      rgb[0] = rgb[1] = rgb[2] = value;
      return;
    }
    case PixelFormat::kRgb565: {
      const uint16_t word = static_cast<uint16_t>(packed[2 * index] |
                                                  (packed[2 * index + 1] << 8));
      Rgb565ToRgb888(word, rgb);
      return;
    }
    case PixelFormat::kUint8:
    case PixelFormat::kInt8:
      if (spec.channels == 1) {
        rgb[0] = rgb[1] = rgb[2] = packed[index];
      } else {
        const uint8_t* p = packed + 3 * index;
        rgb[0] = p[0];
        rgb[1] = p[1];
        rgb[2] = p[2];
      }
      return;
  }
}

// Calls `emit(offset, value)` for every output element of a decoded image.
template <typename Emit>
void ForEachDecoded(const uint8_t* packed, const ImageSpec& spec,
                    int out_channels, Emit emit) {
  size_t offset = 0;
  for (int y = 0; y < spec.height; ++y) {
    for (int x = 0; x < spec.width; ++x) {
      uint8_t rgb[3];
      ReadRgb(packed, spec, x, y, rgb);
      if (out_channels == 1) {
        const bool gray_source =
            spec.channels == 1 && spec.format != PixelFormat::kRgb565;
        emit(offset++, gray_source ? rgb[0] : Luma601(rgb[0], rgb[1], rgb[2]));
      } else {
        emit(offset++, rgb[0]);
        emit(offset++, rgb[1]);
        emit(offset++, rgb[2]);
      }
    }
  }
}

}  // namespace

bool IsValidImageSpec(const ImageSpec& spec) {
  if (spec.width <= 0 || spec.height <= 0) return false;
  switch (spec.format) {
    case PixelFormat::kGray1bpp:
      return spec.channels == 1;
    case PixelFormat::kRgb565:
      return spec.channels == 3;
    case PixelFormat::kUint8:
      return spec.channels == 1 || spec.channels == 3;
    case PixelFormat::kInt8:
      return spec.channels >= 1;
  }
  return false;
}

size_t PackedImageBytes(const ImageSpec& spec) {
  if (!IsValidImageSpec(spec)) return 0;
  switch (spec.format) {
    case PixelFormat::kGray1bpp:
      return (static_cast<size_t>(spec.width) + 7) / 8 * spec.height;
    case PixelFormat::kRgb565:
      return 2 * PixelCount(spec);
    case PixelFormat::kUint8:
    case PixelFormat::kInt8:
      return PixelCount(spec) * static_cast<size_t>(spec.channels);
  }
  return 0;
}

uint8_t Luma601(uint8_t r, uint8_t g, uint8_t b) {
  return static_cast<uint8_t>((r * 19595u + g * 38470u + b * 7471u + 0x8000u) >>
                              16);
}

void Rgb565ToRgb888(uint16_t pixel, uint8_t rgb[3]) {
  const unsigned r5 = (pixel >> 11) & 0x1Fu;
  const unsigned g6 = (pixel >> 5) & 0x3Fu;
  const unsigned b5 = pixel & 0x1Fu;
  rgb[0] = static_cast<uint8_t>(r5 << 3 | r5 >> 2);
  rgb[1] = static_cast<uint8_t>(g6 << 2 | g6 >> 4);
  rgb[2] = static_cast<uint8_t>(b5 << 3 | b5 >> 2);
}

void ReadPixelRgb(const uint8_t* packed, const ImageSpec& spec, int x, int y,
                  uint8_t rgb[3]) {
  ReadRgb(packed, spec, x, y, rgb);
}

uint8_t ReadPixelGray(const uint8_t* packed, const ImageSpec& spec, int x,
                      int y) {
  uint8_t rgb[3];
  ReadRgb(packed, spec, x, y, rgb);
  if (spec.channels == 1 && spec.format != PixelFormat::kRgb565) return rgb[0];
  return Luma601(rgb[0], rgb[1], rgb[2]);
}

bool DecodeImage(const uint8_t* packed, const ImageSpec& spec, int out_channels,
                 uint8_t* out, size_t out_size) {
  if (packed == nullptr || out == nullptr || !IsValidImageSpec(spec) ||
      spec.format == PixelFormat::kInt8 || !IsValidOutChannels(out_channels) ||
      out_size < PixelCount(spec) * out_channels) {
    return false;
  }
  ForEachDecoded(packed, spec, out_channels,
                 [out](size_t i, uint8_t value) { out[i] = value; });
  return true;
}

bool QuantizeImage(const uint8_t* packed, const ImageSpec& spec,
                   int out_channels, const int8_t* lut, int8_t* out,
                   size_t out_size) {
  if (packed == nullptr || out == nullptr || !IsValidImageSpec(spec)) {
    return false;
  }
  if (spec.format == PixelFormat::kInt8) {
    const size_t bytes = PackedImageBytes(spec);
    if (spec.channels != out_channels || out_size < bytes) return false;
    std::memcpy(out, packed, bytes);
    return true;
  }
  if (lut == nullptr || !IsValidOutChannels(out_channels) ||
      out_size < PixelCount(spec) * out_channels) {
    return false;
  }
  ForEachDecoded(packed, spec, out_channels,
                 [out, lut](size_t i, uint8_t value) { out[i] = lut[value]; });
  return true;
}

bool NormalizeImage(const uint8_t* packed, const ImageSpec& spec,
                    int out_channels, float* out, size_t out_size) {
  if (packed == nullptr || out == nullptr || !IsValidImageSpec(spec) ||
      spec.format == PixelFormat::kInt8 || !IsValidOutChannels(out_channels) ||
      out_size < PixelCount(spec) * out_channels) {
    return false;
  }
  ForEachDecoded(packed, spec, out_channels, [out](size_t i, uint8_t value) {
    out[i] = static_cast<float>(value) / 255.0f;
  });
  return true;
}

}  // namespace tinyml
