/* ADD, int8, same shapes (TFLM reference: both inputs scaled to a common
 * 2^20-shifted scale, summed, requantized). */
static void tinyml_aot_add(const int8_t *a, const int8_t *b, int8_t *output,
                           int size, int32_t a_offset, int32_t a_mult,
                           int32_t a_shift, int32_t b_offset, int32_t b_mult,
                           int32_t b_shift, int32_t out_mult, int32_t out_shift,
                           int32_t out_zp, int32_t act_min, int32_t act_max) {
  for (int i = 0; i < size; ++i) {
    const int32_t sa = tinyml_aot_requantize(
        (int32_t)((uint32_t)(a[i] + a_offset) << 20), a_mult, a_shift);
    const int32_t sb = tinyml_aot_requantize(
        (int32_t)((uint32_t)(b[i] + b_offset) << 20), b_mult, b_shift);
    const int32_t sum =
        tinyml_aot_requantize(sa + sb, out_mult, out_shift) + out_zp;
    output[i] = tinyml_aot_clamp(sum, act_min, act_max);
  }
}
