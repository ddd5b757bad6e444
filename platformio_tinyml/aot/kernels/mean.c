/* MEAN, int8, over one contiguous block of axes: [outer][reduce][inner]
 * (TFLM QuantizedMeanOrSum; the 1/n factor is folded into the multiplier). */
static void tinyml_aot_mean(const int8_t* input, int8_t* output, int32_t* sums,
                            int outer, int reduce, int inner,
                            int32_t zp_times_n, int32_t mult, int32_t shift,
                            int32_t out_zp) {
  for (int o = 0; o < outer; ++o) {
    for (int i = 0; i < inner; ++i) sums[i] = 0;
    const int8_t* x = input + o * reduce * inner;
    for (int r = 0; r < reduce; ++r) {
      for (int i = 0; i < inner; ++i) sums[i] += x[r * inner + i];
    }
    for (int i = 0; i < inner; ++i) {
      const int32_t v =
          tinyml_aot_requantize(sums[i] - zp_times_n, mult, shift) + out_zp;
      output[o * inner + i] = tinyml_aot_clamp(v, -128, 127);
    }
  }
}
