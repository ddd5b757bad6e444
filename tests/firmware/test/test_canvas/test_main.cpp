// SPDX-License-Identifier: Apache-2.0
// Tests of src/canvas.cpp and src/font.cpp: pixels of known scenes in RGB565
// and ARGB8888 framebuffers.
#include <unity.h>

#include <cstring>

#include "tinyml/canvas.h"
#include "tinyml/font.h"

using tinyml::Canvas;
using tinyml::CanvasFormat;
using tinyml::kColorBlack;
using tinyml::kColorWhite;

namespace {

constexpr int kWidth = 96;
constexpr int kHeight = 64;
uint16_t g_fb565[kWidth * kHeight];
uint32_t g_fb8888[kWidth * kHeight];

// 'A' as designed in the font: 7 rows of 5 columns.
const char* const kGlyphA[7] = {".###.", "#...#", "#...#", "#####",
                                "#...#", "#...#", "#...#"};

// A 1bpp "1": an 8x8 image, one byte per row, MSB = leftmost pixel.
const uint8_t kDigitOne[8] = {0x18, 0x38, 0x18, 0x18, 0x18, 0x18, 0x3C, 0x00};

int CountColor(const Canvas& canvas, uint32_t color) {
  int count = 0;
  for (int y = 0; y < canvas.height(); ++y) {
    for (int x = 0; x < canvas.width(); ++x) {
      if (canvas.GetPixel(x, y) == color) ++count;
    }
  }
  return count;
}

}  // namespace

void setUp() {
  std::memset(g_fb565, 0xAB, sizeof(g_fb565));
  std::memset(g_fb8888, 0xAB, sizeof(g_fb8888));
}
void tearDown() {}

void test_rgb565_conversions() {
  TEST_ASSERT_EQUAL_HEX16(0xF800, tinyml::ToRgb565(0xFFFF0000u));
  TEST_ASSERT_EQUAL_HEX16(0x07E0, tinyml::ToRgb565(0xFF00FF00u));
  TEST_ASSERT_EQUAL_HEX16(0x001F, tinyml::ToRgb565(0xFF0000FFu));
  TEST_ASSERT_EQUAL_HEX32(0xFFFFFFFFu, tinyml::FromRgb565(0xFFFF));
  TEST_ASSERT_EQUAL_HEX32(0xFF848284u, tinyml::FromRgb565(0x8410));
}

void test_clear_and_fill_rect_clip() {
  Canvas canvas(g_fb565, kWidth, kHeight, CanvasFormat::kRgb565);
  canvas.Clear(kColorBlack);
  TEST_ASSERT_EQUAL_INT(kWidth * kHeight, CountColor(canvas, kColorBlack));
  canvas.FillRect(-5, -5, 10, 8, kColorWhite);  // clipped to 5 x 3
  TEST_ASSERT_EQUAL_INT(15, CountColor(canvas, kColorWhite));
  TEST_ASSERT_EQUAL_HEX32(kColorWhite, canvas.GetPixel(4, 2));
  TEST_ASSERT_EQUAL_HEX32(kColorBlack, canvas.GetPixel(5, 2));
  TEST_ASSERT_EQUAL_HEX16(0xFFFF, g_fb565[2 * kWidth + 4]);
  canvas.SetPixel(kWidth, 0, kColorWhite);  // outside: ignored
  TEST_ASSERT_EQUAL_INT(15, CountColor(canvas, kColorWhite));
}

void test_stride_leaves_padding_untouched() {
  // A 4x2 canvas over rows of 6 pixels.
  uint32_t buffer[12];
  for (uint32_t& p : buffer) p = 0x12345678u;
  Canvas canvas(buffer, 4, 2, CanvasFormat::kArgb8888, 6);
  canvas.Clear(kColorWhite);
  TEST_ASSERT_EQUAL_HEX32(kColorWhite, buffer[3]);
  TEST_ASSERT_EQUAL_HEX32(0x12345678u, buffer[4]);
  TEST_ASSERT_EQUAL_HEX32(0x12345678u, buffer[5]);
  TEST_ASSERT_EQUAL_HEX32(kColorWhite, buffer[6]);
  TEST_ASSERT_EQUAL_size_t(48, canvas.size_bytes());
}

void test_font_covers_printable_ascii() {
  TEST_ASSERT_EQUAL_HEX8(0x0E, tinyml::FontGlyph('A')[0]);
  // Every printable character except the space has ink.
  for (char c = '!'; c <= '~'; ++c) {
    int ink = 0;
    for (int row = 0; row < tinyml::kFontGlyphHeight; ++row) {
      ink |= tinyml::FontGlyph(c)[row];
    }
    TEST_ASSERT_NOT_EQUAL(0, ink);
  }
  // Outside 32..126: the '?' glyph.
  TEST_ASSERT_TRUE(tinyml::FontGlyph('\t') == tinyml::FontGlyph('?'));
}

void test_draw_text_glyph_pixels() {
  Canvas canvas(g_fb8888, kWidth, kHeight, CanvasFormat::kArgb8888);
  canvas.Clear(kColorBlack);
  const int width = canvas.DrawText(3, 4, "A", kColorWhite, 1);
  TEST_ASSERT_EQUAL_INT(5, width);
  for (int row = 0; row < 7; ++row) {
    for (int col = 0; col < 5; ++col) {
      const uint32_t expected =
          kGlyphA[row][col] == '#' ? kColorWhite : kColorBlack;
      TEST_ASSERT_EQUAL_HEX32(expected, canvas.GetPixel(3 + col, 4 + row));
    }
  }
  TEST_ASSERT_EQUAL_INT(18, CountColor(canvas, kColorWhite));  // ink of 'A'
}

void test_draw_text_scaled_blocks() {
  Canvas canvas(g_fb565, kWidth, kHeight, CanvasFormat::kRgb565);
  canvas.Clear(kColorBlack);
  canvas.DrawText(0, 0, "A", kColorWhite, 3);
  TEST_ASSERT_EQUAL_INT(18 * 9, CountColor(canvas, kColorWhite));
  // Row 0 column 1 is ink: a 3x3 block at (3..5, 0..2); column 0 is not.
  TEST_ASSERT_EQUAL_HEX32(kColorWhite, canvas.GetPixel(3, 0));
  TEST_ASSERT_EQUAL_HEX32(kColorWhite, canvas.GetPixel(5, 2));
  TEST_ASSERT_EQUAL_HEX32(kColorBlack, canvas.GetPixel(2, 2));
}

void test_text_width_and_newlines() {
  TEST_ASSERT_EQUAL_INT(0, tinyml::TextWidth(""));
  TEST_ASSERT_EQUAL_INT(5, tinyml::TextWidth("x"));
  TEST_ASSERT_EQUAL_INT(17, tinyml::TextWidth("abc"));
  TEST_ASSERT_EQUAL_INT(34, tinyml::TextWidth("ab\nabc", 2));
  Canvas canvas(g_fb8888, kWidth, kHeight, CanvasFormat::kArgb8888);
  canvas.Clear(kColorBlack);
  canvas.DrawText(0, 0, "|\n|", kColorWhite, 1);
  // '|' is column 2 of rows 0..6; the second line starts 9 rows lower.
  TEST_ASSERT_EQUAL_HEX32(kColorWhite, canvas.GetPixel(2, 9));
  TEST_ASSERT_EQUAL_HEX32(kColorBlack, canvas.GetPixel(2, 8));
  TEST_ASSERT_EQUAL_INT(14, CountColor(canvas, kColorWhite));
}

void test_draw_1bpp_digit_scaled() {
  Canvas canvas(g_fb565, kWidth, kHeight, CanvasFormat::kRgb565);
  canvas.Clear(tinyml::kColorBlue);
  canvas.DrawImageScaled(kDigitOne, tinyml::PixelFormat::kGray1bpp, 8, 8, 10,
                         20, 4);
  for (int y = 0; y < 8; ++y) {
    for (int x = 0; x < 8; ++x) {
      const bool set = (kDigitOne[y] & (0x80 >> x)) != 0;
      const uint32_t expected = set ? kColorWhite : kColorBlack;
      // Every pixel of the 4x4 block.
      for (int dy = 0; dy < 4; ++dy) {
        for (int dx = 0; dx < 4; ++dx) {
          TEST_ASSERT_EQUAL_HEX32(
              expected, canvas.GetPixel(10 + 4 * x + dx, 20 + 4 * y + dy));
        }
      }
    }
  }
  // Outside the 32x32 image the background is untouched.
  TEST_ASSERT_EQUAL_HEX32(0xFF0000FFu, canvas.GetPixel(9, 20));
  TEST_ASSERT_EQUAL_HEX32(0xFF0000FFu, canvas.GetPixel(42, 51));
  TEST_ASSERT_EQUAL_INT(kWidth * kHeight - 32 * 32,
                        CountColor(canvas, 0xFF0000FFu));
}

void test_draw_rgb565_and_int8_images() {
  Canvas canvas(g_fb8888, kWidth, kHeight, CanvasFormat::kArgb8888);
  canvas.Clear(kColorBlack);
  const uint8_t rgb565[] = {0x00, 0xF8, 0xE0, 0x07};  // red, green
  canvas.DrawImageScaled(rgb565, tinyml::PixelFormat::kRgb565, 2, 1, 0, 0, 1);
  TEST_ASSERT_EQUAL_HEX32(0xFFFF0000u, canvas.GetPixel(0, 0));
  TEST_ASSERT_EQUAL_HEX32(0xFF00FF00u, canvas.GetPixel(1, 0));
  const int8_t int8_pixels[] = {-128, 127};
  canvas.DrawImageScaled(reinterpret_cast<const uint8_t*>(int8_pixels),
                         tinyml::PixelFormat::kInt8, 2, 1, 0, 1, 1);
  TEST_ASSERT_EQUAL_HEX32(0xFF000000u, canvas.GetPixel(0, 1));
  TEST_ASSERT_EQUAL_HEX32(0xFFFFFFFFu, canvas.GetPixel(1, 1));
}

void test_headlines() {
  char text[64];
  TEST_ASSERT_TRUE(tinyml::FormatHeadline(7, "7", text, sizeof(text)));
  TEST_ASSERT_EQUAL_STRING("It looks like the number: 7", text);
  TEST_ASSERT_TRUE(tinyml::FormatHeadline(3, nullptr, text, sizeof(text)));
  TEST_ASSERT_EQUAL_STRING("It looks like the number: 3", text);
  TEST_ASSERT_TRUE(tinyml::FormatHeadline(3, "cat", text, sizeof(text)));
  TEST_ASSERT_EQUAL_STRING("It looks like: cat", text);
  TEST_ASSERT_FALSE(tinyml::FormatHeadline(3, "cat", text, 8));
}

void test_draw_result_layout() {
  static uint16_t fb[240 * 136];
  Canvas canvas(fb, 240, 136, CanvasFormat::kRgb565);
  const tinyml::ResultView view{
      kDigitOne, tinyml::PixelFormat::kGray1bpp, 8, 8, 1, 1, "1", 0.876f,
      12345};
  canvas.DrawResult(view, kColorWhite, tinyml::kColorBlue);

  // Expected layout: margin 3; the headline fits at text scale 1, so the text
  // takes 27 rows and the image gets the largest scale that fits the rest:
  // (136 - 3 * 3 - 27) / 8 = 12, centered: x = (240 - 96) / 2 = 72, y = 3.
  TEST_ASSERT_EQUAL_HEX32(kColorBlack, canvas.GetPixel(72, 3));
  TEST_ASSERT_EQUAL_HEX32(kColorWhite, canvas.GetPixel(72 + 3 * 12, 3));
  TEST_ASSERT_EQUAL_HEX32(kColorWhite,
                          canvas.GetPixel(72 + 4 * 12 + 11, 3 + 11));
  TEST_ASSERT_EQUAL_HEX32(tinyml::kColorBlue, canvas.GetPixel(71, 3));
  TEST_ASSERT_EQUAL_HEX32(tinyml::kColorBlue, canvas.GetPixel(72 + 96, 3));

  // The headline is drawn centered below the image (y = 3 + 96 + 3 = 102).
  static uint16_t reference_fb[240 * 136];
  Canvas reference(reference_fb, 240, 136, CanvasFormat::kRgb565);
  reference.Clear(tinyml::kColorBlue);
  const char* headline = "It looks like the number: 1";
  const int x = (240 - tinyml::TextWidth(headline)) / 2;
  reference.DrawText(x, 102, headline, kColorWhite, 1);
  reference.DrawText((240 - tinyml::TextWidth("Confidence: 88%")) / 2, 111,
                     "Confidence: 88%", kColorWhite, 1);
  reference.DrawText((240 - tinyml::TextWidth("Time: 12.3 ms")) / 2, 120,
                     "Time: 12.3 ms", kColorWhite, 1);
  TEST_ASSERT_EQUAL_MEMORY(reference_fb + 102 * 240, fb + 102 * 240,
                           sizeof(uint16_t) * 240 * 34);
}

int main() {
  UNITY_BEGIN();
  RUN_TEST(test_rgb565_conversions);
  RUN_TEST(test_clear_and_fill_rect_clip);
  RUN_TEST(test_stride_leaves_padding_untouched);
  RUN_TEST(test_font_covers_printable_ascii);
  RUN_TEST(test_draw_text_glyph_pixels);
  RUN_TEST(test_draw_text_scaled_blocks);
  RUN_TEST(test_text_width_and_newlines);
  RUN_TEST(test_draw_1bpp_digit_scaled);
  RUN_TEST(test_draw_rgb565_and_int8_images);
  RUN_TEST(test_headlines);
  RUN_TEST(test_draw_result_layout);
  UNITY_END();
  return 0;
}
