/* QUANTIZE (int8 -> int8) and RELU: requantize every element, then clamp;
 * RELU6 and copies are a clamp alone (requantize = 0). */
static void tinyml_aot_requantize_elements(const int8_t* input, int8_t* output,
                                           int size, int requantize,
                                           int32_t in_zp, int32_t mult,
                                           int32_t shift, int32_t out_zp,
                                           int32_t act_min, int32_t act_max) {
  for (int i = 0; i < size; ++i) {
    int32_t v = input[i];
    if (requantize) {
      v = tinyml_aot_requantize(v - in_zp, mult, shift) + out_zp;
    }
    output[i] = tinyml_aot_clamp(v, act_min, act_max);
  }
}
