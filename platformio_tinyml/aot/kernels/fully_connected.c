/* FULLY_CONNECTED, int8: the input zero point is folded into the bias offline
 * (bias[o] -= zp_in * sum(w[o])). Four output rows share each load of the
 * input; a short last block repeats its last row (the same value is stored
 * again). The weights of a block of four rows are 32-bit words of four bytes
 * (byte j in bits 8j..8j+7), laid out offline: per four inputs one word per
 * row (two LDRDs), then per leftover input one word holding the four rows.
 * With DSP, inputs and weights are widened the same way, (b0, b2) and
 * (b1, b3). */
static inline int32_t tinyml_aot_byte(int32_t word, int j) {
  return (int8_t)((uint32_t)word >> (8 * j));
}

static void tinyml_aot_fully_connected(
    const int8_t* input, int8_t* output, const int32_t* weights,
    const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
    int batches, int in_features, int out_features, int32_t out_zp,
    int32_t act_min, int32_t act_max) {
  const int groups = in_features >> 2;
  const int block_words = (in_features & ~3) + (in_features & 3);
  for (int b = 0; b < batches; ++b) {
    const int8_t* x = input + b * in_features;
    int8_t* y = output + b * out_features;
    for (int o = 0; o < out_features; o += 4) {
      int rows[4];
      for (int r = 0; r < 4; ++r) {
        rows[r] = o + r < out_features ? o + r : out_features - 1;
      }
      const int32_t* w = weights + (o >> 2) * block_words;
      const int8_t* xp = x;
      int32_t a0 = bias[rows[0]], a1 = bias[rows[1]];
      int32_t a2 = bias[rows[2]], a3 = bias[rows[3]];
      for (int g = 0; g < groups; ++g, xp += 4) {
#if TINYML_AOT_DSP
        int32_t xv, w0, w1, w2, w3;
        memcpy(&xv, xp, 4);
        const int32_t x02 = tinyml_aot_sxtb16(xv);
        const int32_t x13 = tinyml_aot_sxtb16_ror8(xv);
        tinyml_aot_ldrd_inc(&w, &w0, &w1);
        tinyml_aot_ldrd_inc(&w, &w2, &w3);
        a0 = tinyml_aot_smlad(tinyml_aot_sxtb16(w0), x02, a0);
        a0 = tinyml_aot_smlad(tinyml_aot_sxtb16_ror8(w0), x13, a0);
        a1 = tinyml_aot_smlad(tinyml_aot_sxtb16(w1), x02, a1);
        a1 = tinyml_aot_smlad(tinyml_aot_sxtb16_ror8(w1), x13, a1);
        a2 = tinyml_aot_smlad(tinyml_aot_sxtb16(w2), x02, a2);
        a2 = tinyml_aot_smlad(tinyml_aot_sxtb16_ror8(w2), x13, a2);
        a3 = tinyml_aot_smlad(tinyml_aot_sxtb16(w3), x02, a3);
        a3 = tinyml_aot_smlad(tinyml_aot_sxtb16_ror8(w3), x13, a3);
#else
        for (int j = 0; j < 4; ++j) {
          const int32_t xj = xp[j];
          a0 += tinyml_aot_byte(w[0], j) * xj;
          a1 += tinyml_aot_byte(w[1], j) * xj;
          a2 += tinyml_aot_byte(w[2], j) * xj;
          a3 += tinyml_aot_byte(w[3], j) * xj;
        }
        w += 4;
#endif
      }
      for (int i = groups * 4; i < in_features; ++i, ++w) {
        const int32_t xi = x[i];
        a0 += tinyml_aot_byte(*w, 0) * xi;
        a1 += tinyml_aot_byte(*w, 1) * xi;
        a2 += tinyml_aot_byte(*w, 2) * xi;
        a3 += tinyml_aot_byte(*w, 3) * xi;
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
