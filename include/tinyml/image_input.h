// SPDX-License-Identifier: Apache-2.0
// Packed test images to model input: decode 1bpp/uint8/rgb565 pixels to gray or
// RGB, then quantize them with the generated lookup table (int8 models) or
// scale them to p / 255 (float models). TFLM-free.
//
// Conventions (docs/design.md, "Image and preprocessing conventions"):
//  * kGray1bpp: rows MSB-first, padded to whole bytes; a set bit is 255.
//  * kUint8: raw bytes in HWC order, 1 (gray) or 3 (RGB888) channels.
//  * kRgb565: little-endian words R[15:11] G[10:5] B[4:0], expanded with bit
//    replication (r8 = r5 << 3 | r5 >> 2, g8 = g6 << 2 | g6 >> 4).
//  * kInt8: already the model input; copied as is.
//  * RGB to gray uses ITU-R 601 luma exactly as Pillow's "L" conversion.
#ifndef TINYML_IMAGE_INPUT_H_
#define TINYML_IMAGE_INPUT_H_

#include <cstddef>
#include <cstdint>

#include "tinyml/model_descriptor.h"

namespace tinyml {

// The geometry and packing of one source image.
struct ImageSpec {
  int width;
  int height;
  int channels;  // Channels stored in the packed data: 1bpp 1, rgb565 3,
                 // uint8 1 or 3, int8 the model's channel count.
  PixelFormat format;
};

// True when `spec` is a combination this module can read.
bool IsValidImageSpec(const ImageSpec& spec);

// Bytes one packed image occupies, or 0 for an invalid spec.
size_t PackedImageBytes(const ImageSpec& spec);

// Pillow's ITU-R 601 luma: (r*19595 + g*38470 + b*7471 + 0x8000) >> 16.
uint8_t Luma601(uint8_t r, uint8_t g, uint8_t b);

// Expands one RGB565 word to 8-bit channels with bit replication.
void Rgb565ToRgb888(uint16_t pixel, uint8_t rgb[3]);

// Reads pixel (x, y) as RGB (gray sources are replicated). Not valid for
// kInt8. Coordinates must be inside the image.
void ReadPixelRgb(const uint8_t* packed, const ImageSpec& spec, int x, int y,
                  uint8_t rgb[3]);

// Reads pixel (x, y) as gray (RGB sources go through Luma601). Not valid for
// kInt8.
uint8_t ReadPixelGray(const uint8_t* packed, const ImageSpec& spec, int x,
                      int y);

// Decodes a packed image to 8-bit pixels with `out_channels` (1 or 3) in HWC
// order. `out_size` is the capacity of `out` in bytes. Returns false (writing
// nothing) for an invalid spec, a kInt8 source, or a too small buffer.
bool DecodeImage(const uint8_t* packed, const ImageSpec& spec, int out_channels,
                 uint8_t* out, size_t out_size);

// Maps a packed image to int8 model input with `out_channels` through the
// 256-entry table `lut` (the generated kInputQuantLut). A kInt8 source is
// copied unchanged (its channel count must equal `out_channels`). Returns
// false (writing nothing) on a bad spec, a nullptr table or a small buffer.
bool QuantizeImage(const uint8_t* packed, const ImageSpec& spec,
                   int out_channels, const int8_t* lut, int8_t* out,
                   size_t out_size);

// Maps a packed image to float model input p / 255 with `out_channels`.
// `out_size` counts floats. kInt8 sources are rejected.
bool NormalizeImage(const uint8_t* packed, const ImageSpec& spec,
                    int out_channels, float* out, size_t out_size);

}  // namespace tinyml

#endif  // TINYML_IMAGE_INPUT_H_
