/* REVERSE_V2 on one axis: the `len` blocks of `inner` bytes in each of the
 * `outer` rows are written in reverse order. */
static void tinyml_aot_reverse(const int8_t* input, int8_t* output, int outer,
                               int len, int inner) {
  for (int o = 0; o < outer; ++o) {
    const int8_t* src = input + (size_t)o * len * inner;
    int8_t* dst = output + (size_t)o * len * inner;
    for (int i = 0; i < len; ++i) {
      memcpy(dst + (size_t)(len - 1 - i) * inner, src + (size_t)i * inner,
             (size_t)inner);
    }
  }
}
