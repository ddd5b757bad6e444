/* FULLY_CONNECTED, int8: weights [out][in]; the input zero point is folded
 * into the bias offline (bias[o] -= zp_in * sum(w[o])). */
static void tinyml_aot_fully_connected(const int8_t *input, int8_t *output,
                                       const int8_t *weights,
                                       const int32_t *bias,
                                       const int32_t *multiplier,
                                       const int32_t *shift, int batches,
                                       int in_features, int out_features,
                                       int32_t out_zp, int32_t act_min,
                                       int32_t act_max) {
  for (int b = 0; b < batches; ++b) {
    const int8_t *x = input + b * in_features;
    for (int o = 0; o < out_features; ++o) {
      const int8_t *w = weights + o * in_features;
      int32_t acc = bias[o];
      int i = 0;
#if TINYML_AOT_DSP
      /* Both operands are bytes widened the same way: (b0, b2) and (b1, b3)
       * halfword pairs, so no weight re-ordering is needed. */
      for (; i + 4 <= in_features; i += 4) {
        uint32_t wv, xv;
        memcpy(&wv, w + i, 4);
        memcpy(&xv, x + i, 4);
        const uint32_t x02 = __sxtb16(xv);
        const uint32_t x13 = __sxtb16(tinyml_aot_ror8(xv));
        const uint32_t w02 = __sxtb16(wv);
        const uint32_t w13 = __sxtb16(tinyml_aot_ror8(wv));
        acc = (int32_t)__smlad(w02, x02, (uint32_t)acc);
        acc = (int32_t)__smlad(w13, x13, (uint32_t)acc);
      }
#endif
      for (; i < in_features; ++i) acc += (int32_t)w[i] * x[i];
      acc = tinyml_aot_requantize(acc, multiplier[o], shift[o]) + out_zp;
      output[b * out_features + o] = tinyml_aot_clamp(acc, act_min, act_max);
    }
  }
}
