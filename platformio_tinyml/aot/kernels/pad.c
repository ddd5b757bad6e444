/* PAD: fill with the pad value, then copy rows of the input into the padded
 * 4-D output. */
static void tinyml_aot_pad(const int8_t* input, int8_t* output,
                           const int* in_dims, const int* out_dims,
                           const int* before, int8_t value) {
  memset(output, value,
         (size_t)out_dims[0] * out_dims[1] * out_dims[2] * out_dims[3]);
  for (int n = 0; n < in_dims[0]; ++n) {
    for (int y = 0; y < in_dims[1]; ++y) {
      for (int x = 0; x < in_dims[2]; ++x) {
        const int8_t* src =
            input + ((n * in_dims[1] + y) * in_dims[2] + x) * in_dims[3];
        int8_t* dst =
            output +
            (((n + before[0]) * out_dims[1] + y + before[1]) * out_dims[2] + x +
             before[2]) *
                out_dims[3] +
            before[3];
        memcpy(dst, src, (size_t)in_dims[3]);
      }
    }
  }
}
