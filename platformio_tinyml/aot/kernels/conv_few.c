/* CONV_2D over few input channels (ic not a multiple of 4: first layers),
 * without a fused ADD, when the short requantization is exact (the lowering
 * checks the bounds). Same word layout as tinyml_aot_conv (kernels/conv.c):
 * two pixels' columns interleaved, weights widened to int16 and interleaved
 * by channel pair, 2x2 blocks of SMLAD. Differences:
 * - each window is gathered as bytes (taps outside the input read the input
 *   zero point); inside the input, a kernel row (kw*ic contiguous bytes) is
 *   copied by 32-bit words, the last word spilling into the next row's place
 *   or into the padding up to k4 (whose weights are zero);
 * - the weights and the folded bias are doubled offline, so the accumulator
 *   is 2x and the doubling high multiply is one rounding SMMULR:
 *   (2x*m + 2^31) >> 32 == (x*m + 2^30) >> 31;
 * - each channel has q[3o] = multiplier, q[3o+1] = right shift r >= 1 and
 *   q[3o+2] = 2^(r-1) + out_zp*2^r: RoundingDivideByPOT (halves away from
 *   zero) and the output zero point in (v + c + (v >> 31)) >> r. */
static inline int32_t tinyml_aot_smmulr(int32_t a, int32_t b) {
#if TINYML_AOT_DSP && defined(__GNUC__)
  int32_t result;
  __asm("smmulr %0, %1, %2" : "=r"(result) : "r"(a), "r"(b));
  return result;
#else
  return (int32_t)(((int64_t)a * b + 0x80000000LL) >> 32);
#endif
}

static inline int8_t tinyml_aot_requantize_few(int32_t acc, const int32_t* q,
                                               int32_t act_min,
                                               int32_t act_max) {
  const int32_t v = tinyml_aot_smmulr(acc, q[0]);
  return tinyml_aot_clamp((v + q[2] + (v >> 31)) >> q[1], act_min, act_max);
}

/* One pixel's window as bytes (k4 + 4 bytes of room), see above. */
static void tinyml_aot_gather_few(int8_t* dst, const int8_t* input, int pixel,
                                  int in_h, int in_w, int in_c, int out_w,
                                  int k_h, int k_w, int stride_h, int stride_w,
                                  int dil_h, int dil_w, int pad_h, int pad_w,
                                  int32_t in_zp, int k4) {
  const int y0 = (pixel / out_w) * stride_h - pad_h;
  const int x0 = (pixel % out_w) * stride_w - pad_w;
  const int row = k_w * in_c;
  const int y_last = y0 + (k_h - 1) * dil_h;
  const int x_last = x0 + (k_w - 1) * dil_w;
  if (dil_w == 1 && y0 >= 0 && x0 >= 0 && y_last < in_h && x_last < in_w &&
      (y_last * in_w + x0) * in_c + ((row + 3) & ~3) <= in_h * in_w * in_c) {
    const int8_t* s = input + (y0 * in_w + x0) * in_c;
    const int step = dil_h * in_w * in_c;
    int8_t* d = dst;
    for (int ky = 0; ky < k_h; ++ky, s += step, d += row) {
      for (int j = 0; j < row; j += 4) {
        int32_t v;
        memcpy(&v, s + j, 4);
        memcpy(d + j, &v, 4);
      }
    }
    return;
  }
  /* At the border: the zero point everywhere, then the taps inside. */
  const uint32_t zp4 = 0x01010101U * ((uint32_t)in_zp & 0xFFU);
  for (int j = 0; j < k4; j += 4) memcpy(dst + j, &zp4, 4);
  for (int ky = 0; ky < k_h; ++ky) {
    const int iy = y0 + ky * dil_h;
    if (iy < 0 || iy >= in_h) continue;
    for (int kx = 0; kx < k_w; ++kx) {
      const int ix = x0 + kx * dil_w;
      if (ix < 0 || ix >= in_w) continue;
      const int8_t* src = input + (iy * in_w + ix) * in_c;
      int8_t* d = dst + ky * row + kx * in_c;
      for (int c = 0; c < in_c; ++c) d[c] = src[c];
    }
  }
}

static TINYML_AOT_NOINLINE void tinyml_aot_conv_few(
    const int8_t* input, int8_t* output, const int32_t* weights,
    const int32_t* bias, const int32_t* q, int in_h, int in_w, int in_c,
    int out_h, int out_w, int out_c, int k_h, int k_w, int stride_h,
    int stride_w, int dil_h, int dil_w, int pad_h, int pad_w, int32_t in_zp,
    int32_t act_min, int32_t act_max, int32_t* cols) {
  const int k4 = (k_h * k_w * in_c + 3) & ~3;
  const int pixels = out_h * out_w;
  int8_t* g0 = (int8_t*)(cols + k4);
  int8_t* g1 = g0 + k4 + 4;
  for (int p = 0; p < pixels; p += 2) {
    /* An odd last pixel is computed twice and stored twice (same value). */
    const int p1 = p + 1 < pixels ? p + 1 : p;
    tinyml_aot_gather_few(g0, input, p, in_h, in_w, in_c, out_w, k_h, k_w,
                          stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, in_zp,
                          k4);
    tinyml_aot_gather_few(g1, input, p1, in_h, in_w, in_c, out_w, k_h, k_w,
                          stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, in_zp,
                          k4);
    tinyml_aot_pack_pair(cols, g0, g1, k4);
    int8_t* out0 = output + p * out_c;
    int8_t* out1 = output + p1 * out_c;
    for (int o = 0; o < out_c; o += 2) {
      const int o1 = o + 1 < out_c ? o + 1 : o;
      const int32_t* w = weights + (o >> 1) * k4;
      const int32_t* c = cols;
      const int32_t* const end = cols + k4;
      int32_t a00 = bias[o], a01 = bias[o], a10 = bias[o1], a11 = bias[o1];
      while (c < end) {
#if TINYML_AOT_DSP
        int32_t w0, w1, c0, c1;
        tinyml_aot_ldrd_inc(&w, &w0, &w1);
        tinyml_aot_ldrd_inc(&c, &c0, &c1);
        a00 = tinyml_aot_smlad(w0, c0, a00);
        a01 = tinyml_aot_smlad(w0, c1, a01);
        a10 = tinyml_aot_smlad(w1, c0, a10);
        a11 = tinyml_aot_smlad(w1, c1, a11);
        tinyml_aot_ldrd_inc(&w, &w0, &w1);
        tinyml_aot_ldrd_inc(&c, &c0, &c1);
        a00 = tinyml_aot_smlad(w0, c0, a00);
        a01 = tinyml_aot_smlad(w0, c1, a01);
        a10 = tinyml_aot_smlad(w1, c0, a10);
        a11 = tinyml_aot_smlad(w1, c1, a11);
#else
        for (int j = 0; j < 4; j += 2) {
          const int32_t wa0 = tinyml_aot_lo16(w[j]),
                        wa1 = tinyml_aot_hi16(w[j]);
          const int32_t wb0 = tinyml_aot_lo16(w[j + 1]);
          const int32_t wb1 = tinyml_aot_hi16(w[j + 1]);
          const int32_t c00 = tinyml_aot_lo16(c[j]),
                        c01 = tinyml_aot_hi16(c[j]);
          const int32_t c10 = tinyml_aot_lo16(c[j + 1]);
          const int32_t c11 = tinyml_aot_hi16(c[j + 1]);
          a00 += wa0 * c00 + wa1 * c01;
          a01 += wa0 * c10 + wa1 * c11;
          a10 += wb0 * c00 + wb1 * c01;
          a11 += wb0 * c10 + wb1 * c11;
        }
        w += 4;
        c += 4;
#endif
      }
      out0[o] = tinyml_aot_requantize_few(a00, q + 3 * o, act_min, act_max);
      out1[o] = tinyml_aot_requantize_few(a01, q + 3 * o, act_min, act_max);
      out0[o1] = tinyml_aot_requantize_few(a10, q + 3 * o1, act_min, act_max);
      out1[o1] = tinyml_aot_requantize_few(a11, q + 3 * o1, act_min, act_max);
    }
  }
}
