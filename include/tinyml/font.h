// SPDX-License-Identifier: Apache-2.0
// The built-in 5x7 bitmap font (ASCII 32..126) used by the canvas.
#ifndef TINYML_FONT_H_
#define TINYML_FONT_H_

#include <cstdint>

namespace tinyml {

constexpr int kFontGlyphWidth = 5;   // ink columns per glyph
constexpr int kFontGlyphHeight = 7;  // ink rows per glyph
constexpr int kFontAdvance = 6;      // pixels from one glyph to the next
constexpr int kFontLineHeight = 9;   // pixels from one text line to the next
constexpr char kFontFirstChar = ' ';
constexpr char kFontLastChar = '~';

// The 7 rows of `c`, top first; bit 4 is the leftmost column. Characters
// outside 32..126 map to '?'.
const uint8_t* FontGlyph(char c);

// True when pixel (col, row) of glyph `c` is inked.
inline bool FontPixel(char c, int col, int row) {
  return col >= 0 && col < kFontGlyphWidth && row >= 0 &&
         row < kFontGlyphHeight &&
         ((FontGlyph(c)[row] >> (kFontGlyphWidth - 1 - col)) & 1u) != 0;
}

}  // namespace tinyml

#endif  // TINYML_FONT_H_
