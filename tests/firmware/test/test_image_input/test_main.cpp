// SPDX-License-Identifier: Apache-2.0
// Tests of src/image_input.cpp: decoding packed pixels and mapping them to
// model input. Expected values come from the conventions in docs/design.md
// and, for luma, from Pillow's Image.convert("L").
#include <unity.h>

#include <cstring>

#include "tinyml/image_input.h"

using tinyml::ImageSpec;
using tinyml::PixelFormat;

namespace {

// A 10x2 1bpp image: 2 bytes per row (padded), MSB first.
// Row 0: pixels 0, 2 and 9 set.  Row 1: pixels 1 and 8 set.
const uint8_t k1bpp10x2[] = {0xA0, 0x40, 0x40, 0x80};

// Maps p to an arbitrary, non-monotonic int8 so that table lookups are
// distinguishable from any arithmetic mapping.
int8_t ScrambledLut(int p) { return static_cast<int8_t>((p * 7) % 256 - 128); }

}  // namespace

void setUp() {}
void tearDown() {}

void test_packed_bytes() {
  TEST_ASSERT_EQUAL_size_t(
      112, tinyml::PackedImageBytes({28, 28, 1, PixelFormat::kGray1bpp}));
  TEST_ASSERT_EQUAL_size_t(
      4, tinyml::PackedImageBytes({10, 2, 1, PixelFormat::kGray1bpp}));
  TEST_ASSERT_EQUAL_size_t(
      784, tinyml::PackedImageBytes({28, 28, 1, PixelFormat::kUint8}));
  TEST_ASSERT_EQUAL_size_t(
      3072, tinyml::PackedImageBytes({32, 32, 3, PixelFormat::kUint8}));
  TEST_ASSERT_EQUAL_size_t(
      2048, tinyml::PackedImageBytes({32, 32, 3, PixelFormat::kRgb565}));
  TEST_ASSERT_EQUAL_size_t(
      3072, tinyml::PackedImageBytes({32, 32, 3, PixelFormat::kInt8}));
}

void test_invalid_specs_are_rejected() {
  TEST_ASSERT_FALSE(
      tinyml::IsValidImageSpec({28, 28, 3, PixelFormat::kGray1bpp}));
  TEST_ASSERT_FALSE(
      tinyml::IsValidImageSpec({28, 28, 1, PixelFormat::kRgb565}));
  TEST_ASSERT_FALSE(tinyml::IsValidImageSpec({28, 28, 2, PixelFormat::kUint8}));
  TEST_ASSERT_FALSE(tinyml::IsValidImageSpec({0, 28, 1, PixelFormat::kUint8}));
  TEST_ASSERT_EQUAL_size_t(
      0, tinyml::PackedImageBytes({28, 28, 2, PixelFormat::kUint8}));
}

void test_1bpp_rows_are_msb_first_and_padded() {
  const ImageSpec spec{10, 2, 1, PixelFormat::kGray1bpp};
  uint8_t out[20];
  TEST_ASSERT_TRUE(tinyml::DecodeImage(k1bpp10x2, spec, 1, out, sizeof(out)));
  const uint8_t expected[20] = {255, 0,   255, 0, 0, 0, 0, 0, 0,   255,
                                0,   255, 0,   0, 0, 0, 0, 0, 255, 0};
  TEST_ASSERT_EQUAL_UINT8_ARRAY(expected, out, 20);
}

void test_rgb565_bit_replication() {
  uint8_t rgb[3];
  tinyml::Rgb565ToRgb888(0xF800, rgb);
  TEST_ASSERT_EQUAL_UINT8(255, rgb[0]);
  TEST_ASSERT_EQUAL_UINT8(0, rgb[1]);
  tinyml::Rgb565ToRgb888(0x07E0, rgb);
  TEST_ASSERT_EQUAL_UINT8(255, rgb[1]);
  // r5 = 16 -> 128 | 4 = 132; g6 = 32 -> 128 | 2 = 130; b5 = 16 -> 132.
  tinyml::Rgb565ToRgb888(0x8410, rgb);
  TEST_ASSERT_EQUAL_UINT8(132, rgb[0]);
  TEST_ASSERT_EQUAL_UINT8(130, rgb[1]);
  TEST_ASSERT_EQUAL_UINT8(132, rgb[2]);
  // r5 = 1 -> 8; g6 = 1 -> 4; b5 = 1 -> 8.
  tinyml::Rgb565ToRgb888(0x0821, rgb);
  TEST_ASSERT_EQUAL_UINT8(8, rgb[0]);
  TEST_ASSERT_EQUAL_UINT8(4, rgb[1]);
  TEST_ASSERT_EQUAL_UINT8(8, rgb[2]);
}

void test_rgb565_words_are_little_endian() {
  const uint8_t packed[] = {0x00, 0xF8, 0x1F, 0x00};  // red, blue
  const ImageSpec spec{2, 1, 3, PixelFormat::kRgb565};
  uint8_t out[6];
  TEST_ASSERT_TRUE(tinyml::DecodeImage(packed, spec, 3, out, sizeof(out)));
  const uint8_t expected[6] = {255, 0, 0, 0, 0, 255};
  TEST_ASSERT_EQUAL_UINT8_ARRAY(expected, out, 6);
}

void test_luma_matches_pillow() {
  // Image.new("RGB", (1, 1), c).convert("L").getpixel((0, 0)) in Pillow.
  TEST_ASSERT_EQUAL_UINT8(76, tinyml::Luma601(255, 0, 0));
  TEST_ASSERT_EQUAL_UINT8(150, tinyml::Luma601(0, 255, 0));
  TEST_ASSERT_EQUAL_UINT8(29, tinyml::Luma601(0, 0, 255));
  TEST_ASSERT_EQUAL_UINT8(132, tinyml::Luma601(12, 200, 99));
  TEST_ASSERT_EQUAL_UINT8(128, tinyml::Luma601(128, 128, 128));
  TEST_ASSERT_EQUAL_UINT8(255, tinyml::Luma601(255, 255, 255));
  TEST_ASSERT_EQUAL_UINT8(2, tinyml::Luma601(1, 2, 3));
}

void test_rgb_source_to_gray_and_gray_to_rgb() {
  const uint8_t rgb888[] = {255, 0, 0, 12, 200, 99};
  uint8_t gray[2];
  TEST_ASSERT_TRUE(tinyml::DecodeImage(rgb888, {2, 1, 3, PixelFormat::kUint8},
                                       1, gray, sizeof(gray)));
  TEST_ASSERT_EQUAL_UINT8(76, gray[0]);
  TEST_ASSERT_EQUAL_UINT8(132, gray[1]);

  const uint8_t gray_src[] = {7, 250};
  uint8_t rgb[6];
  TEST_ASSERT_TRUE(tinyml::DecodeImage(gray_src, {2, 1, 1, PixelFormat::kUint8},
                                       3, rgb, sizeof(rgb)));
  const uint8_t expected[6] = {7, 7, 7, 250, 250, 250};
  TEST_ASSERT_EQUAL_UINT8_ARRAY(expected, rgb, 6);
}

void test_quantize_goes_through_the_lut() {
  int8_t lut[256];
  for (int p = 0; p < 256; ++p) lut[p] = ScrambledLut(p);
  const uint8_t pixels[] = {0, 1, 2, 100, 200, 255};
  int8_t out[6];
  TEST_ASSERT_TRUE(tinyml::QuantizeImage(pixels, {3, 2, 1, PixelFormat::kUint8},
                                         1, lut, out, sizeof(out)));
  const int8_t expected[6] = {ScrambledLut(0),   ScrambledLut(1),
                              ScrambledLut(2),   ScrambledLut(100),
                              ScrambledLut(200), ScrambledLut(255)};
  TEST_ASSERT_EQUAL_INT8_ARRAY(expected, out, 6);
}

void test_quantize_1bpp_uses_lut_of_0_and_255() {
  int8_t lut[256];
  for (int p = 0; p < 256; ++p) lut[p] = ScrambledLut(p);
  int8_t out[20];
  TEST_ASSERT_TRUE(tinyml::QuantizeImage(
      k1bpp10x2, {10, 2, 1, PixelFormat::kGray1bpp}, 1, lut, out, sizeof(out)));
  TEST_ASSERT_EQUAL_INT8(lut[255], out[0]);
  TEST_ASSERT_EQUAL_INT8(lut[0], out[1]);
  TEST_ASSERT_EQUAL_INT8(lut[255], out[9]);
  TEST_ASSERT_EQUAL_INT8(lut[255], out[11]);
  TEST_ASSERT_EQUAL_INT8(lut[0], out[19]);
}

void test_int8_source_is_copied() {
  const int8_t packed[] = {-128, -1, 0, 127};
  int8_t out[4] = {};
  TEST_ASSERT_TRUE(tinyml::QuantizeImage(
      reinterpret_cast<const uint8_t*>(packed), {2, 2, 1, PixelFormat::kInt8},
      1, nullptr, out, sizeof(out)));
  TEST_ASSERT_EQUAL_INT8_ARRAY(packed, out, 4);
}

void test_normalize_is_p_over_255() {
  const uint8_t pixels[] = {0, 51, 255};
  float out[3];
  TEST_ASSERT_TRUE(tinyml::NormalizeImage(
      pixels, {3, 1, 1, PixelFormat::kUint8}, 1, out, 3));
  TEST_ASSERT_EQUAL_FLOAT(0.0f, out[0]);
  TEST_ASSERT_FLOAT_WITHIN(1e-7f, 0.2f, out[1]);
  TEST_ASSERT_EQUAL_FLOAT(1.0f, out[2]);
}

void test_small_buffers_and_missing_lut_fail_without_writing() {
  const uint8_t pixels[] = {1, 2, 3, 4};
  int8_t out[4] = {9, 9, 9, 9};
  int8_t lut[256] = {};
  const ImageSpec spec{2, 2, 1, PixelFormat::kUint8};
  TEST_ASSERT_FALSE(tinyml::QuantizeImage(pixels, spec, 1, lut, out, 3));
  TEST_ASSERT_FALSE(tinyml::QuantizeImage(pixels, spec, 1, nullptr, out, 4));
  TEST_ASSERT_FALSE(tinyml::QuantizeImage(pixels, spec, 2, lut, out, 4));
  const int8_t untouched[4] = {9, 9, 9, 9};
  TEST_ASSERT_EQUAL_INT8_ARRAY(untouched, out, 4);
  float f[4];
  TEST_ASSERT_FALSE(
      tinyml::NormalizeImage(pixels, {2, 2, 1, PixelFormat::kInt8}, 1, f, 4));
}

int main() {
  UNITY_BEGIN();
  RUN_TEST(test_packed_bytes);
  RUN_TEST(test_invalid_specs_are_rejected);
  RUN_TEST(test_1bpp_rows_are_msb_first_and_padded);
  RUN_TEST(test_rgb565_bit_replication);
  RUN_TEST(test_rgb565_words_are_little_endian);
  RUN_TEST(test_luma_matches_pillow);
  RUN_TEST(test_rgb_source_to_gray_and_gray_to_rgb);
  RUN_TEST(test_quantize_goes_through_the_lut);
  RUN_TEST(test_quantize_1bpp_uses_lut_of_0_and_255);
  RUN_TEST(test_int8_source_is_copied);
  RUN_TEST(test_normalize_is_p_over_255);
  RUN_TEST(test_small_buffers_and_missing_lut_fail_without_writing);
  UNITY_END();
  return 0;  // failures are reported through the result lines
}
