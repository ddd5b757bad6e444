/* FULLY_CONNECTED, int8: weights [out][in]; the input zero point is folded
 * into the bias offline (bias[o] -= zp_in * sum(w[o])). Four output rows share
 * each load of the input; a short last block repeats its last row (the same
 * value is stored again). With DSP, inputs and weights are widened the same
 * way, (b0, b2) and (b1, b3), so the weights keep their natural order. */
static void tinyml_aot_fully_connected(
    const int8_t* input, int8_t* output, const int8_t* weights,
    const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
    int batches, int in_features, int out_features, int32_t out_zp,
    int32_t act_min, int32_t act_max) {
  for (int b = 0; b < batches; ++b) {
    const int8_t* x = input + b * in_features;
    int8_t* y = output + b * out_features;
    for (int o = 0; o < out_features; o += 4) {
      int rows[4];
      for (int r = 0; r < 4; ++r) {
        rows[r] = o + r < out_features ? o + r : out_features - 1;
      }
      const int8_t* w0 = weights + rows[0] * in_features;
      const int8_t* w1 = weights + rows[1] * in_features;
      const int8_t* w2 = weights + rows[2] * in_features;
      const int8_t* w3 = weights + rows[3] * in_features;
      int32_t a0 = bias[rows[0]], a1 = bias[rows[1]];
      int32_t a2 = bias[rows[2]], a3 = bias[rows[3]];
      int i = 0;
#if TINYML_AOT_DSP
      for (; i + 4 <= in_features; i += 4) {
        int32_t xv, wv;
        memcpy(&xv, x + i, 4);
        const int32_t x02 = tinyml_aot_sxtb16(xv);
        const int32_t x13 = tinyml_aot_sxtb16_ror8(xv);
        memcpy(&wv, w0 + i, 4);
        a0 = tinyml_aot_smlad(tinyml_aot_sxtb16(wv), x02, a0);
        a0 = tinyml_aot_smlad(tinyml_aot_sxtb16_ror8(wv), x13, a0);
        memcpy(&wv, w1 + i, 4);
        a1 = tinyml_aot_smlad(tinyml_aot_sxtb16(wv), x02, a1);
        a1 = tinyml_aot_smlad(tinyml_aot_sxtb16_ror8(wv), x13, a1);
        memcpy(&wv, w2 + i, 4);
        a2 = tinyml_aot_smlad(tinyml_aot_sxtb16(wv), x02, a2);
        a2 = tinyml_aot_smlad(tinyml_aot_sxtb16_ror8(wv), x13, a2);
        memcpy(&wv, w3 + i, 4);
        a3 = tinyml_aot_smlad(tinyml_aot_sxtb16(wv), x02, a3);
        a3 = tinyml_aot_smlad(tinyml_aot_sxtb16_ror8(wv), x13, a3);
      }
#endif
      for (; i < in_features; ++i) {
        const int32_t xi = x[i];
        a0 += w0[i] * xi;
        a1 += w1[i] * xi;
        a2 += w2[i] * xi;
        a3 += w3[i] * xi;
      }
      const int32_t acc[4] = {a0, a1, a2, a3};
      for (int r = 0; r < 4; ++r) {
        const int32_t v =
            tinyml_aot_requantize(acc[r], multiplier[rows[r]], shift[rows[r]]);
        y[rows[r]] = tinyml_aot_clamp(v + out_zp, act_min, act_max);
      }
    }
  }
}
