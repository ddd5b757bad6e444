// Host program for the PlatformIO integration tests: prints the embedded
// model's size and the first packed 1bpp test image as ASCII art ('#' = 1, '.'
// = 0).
#include <cstdio>

#include "app.h"
#include "tinyml_model.h"

namespace images = tinyml::generated::test;

int main() {
  std::printf("TINYML model_bytes=%u\n", g_digits_model_data_size);
  std::printf("TINYML images=%d label=%d\n", images::kImageCount,
              static_cast<int>(images::kImageLabels[0]));
  const unsigned char* image = images::kImageData;  // the first image
  for (int row = 0; row < images::kImageHeight; ++row) {
    const unsigned char* bits = image + row * images::kImageRowBytes;
    for (int col = 0; col < images::kImageWidth; ++col) {
      const int bit = (bits[col / 8] >> (7 - col % 8)) & 1;  // MSB first
      std::putchar(bit ? APP_ON_PIXEL : APP_OFF_PIXEL);
    }
    std::putchar('\n');
  }
  return 0;
}
