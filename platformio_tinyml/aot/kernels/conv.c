/* CONV_2D, int8, per-channel, by partial im2col (as in CMSIS-NN/TinyEngine):
 * two output pixels at a time are widened to int16 columns, taps outside the
 * input read the input zero point (the folded bias cancels it exactly), and
 * the depth K = kh*kw*ic is rounded up to a multiple of 4 with zeros.
 * Values travel in pairs, one 32-bit word holding two int16 (element k in the
 * low half, k+1 in the high half), so that one SMLAD does two MACs:
 * - the columns of the two pixels are interleaved, word 2*(k/2) + pixel;
 * - the weights are widened offline and interleaved by channel pair, word
 *   (o/2)*K + 2*(k/2) + o%2 (an odd last channel is repeated).
 * A 2x2 block (2 channels x 2 pixels) then loads two words of columns and two
 * of weights per pair of k (LDRD) for four SMLADs. With quad = 1 (ic a
 * multiple of 4) each 4 channels are widened from one 32-bit load by SXTB16
 * and SXTB16(ROR 8) as c0, c2, c1, c3; the weights are stored in that order.
 * With add != NULL the ADD that consumes the result is fused: each value is
 * added to residual[i] (conv value first if conv_first) and stored in place
 * of it; odd last pixels and channels are then stored once only. */
/* The kh*kw*ic input values of one pixel's window as bytes, taps outside
 * the input read the input zero point, zeros up to k4. */
static void tinyml_aot_gather(int8_t* dst, const int8_t* input, int pixel,
                              int in_h, int in_w, int in_c, int out_w, int k_h,
                              int k_w, int stride_h, int stride_w, int dil_h,
                              int dil_w, int pad_h, int pad_w, int32_t in_zp,
                              int k4) {
  const int y0 = (pixel / out_w) * stride_h - pad_h;
  const int x0 = (pixel % out_w) * stride_w - pad_w;
  int8_t* d = dst;
  for (int ky = 0; ky < k_h; ++ky) {
    const int iy = y0 + ky * dil_h;
    for (int kx = 0; kx < k_w; ++kx) {
      const int ix = x0 + kx * dil_w;
      if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) {
        for (int c = 0; c < in_c; ++c) *d++ = (int8_t)in_zp;
      } else {
        const int8_t* src = input + (iy * in_w + ix) * in_c;
        for (int c = 0; c < in_c; ++c) *d++ = src[c];
      }
    }
  }
  while (d < dst + k4) *d++ = 0;
}

/* Columns of one pixel into words col[0], col[2], ... (see above); ic is a
 * multiple of 4 (quad). */
static void tinyml_aot_im2col(int32_t* col, const int8_t* input, int pixel,
                              int in_h, int in_w, int in_c, int out_w, int k_h,
                              int k_w, int stride_h, int stride_w, int dil_h,
                              int dil_w, int pad_h, int pad_w, int32_t in_zp) {
  const int y0 = (pixel / out_w) * stride_h - pad_h;
  const int x0 = (pixel % out_w) * stride_w - pad_w;
  const int32_t zp_pair =
      (int32_t)(((uint32_t)in_zp & 0xFFFFU) | ((uint32_t)in_zp << 16));
  int k = 0;
  for (int ky = 0; ky < k_h; ++ky) {
    const int iy = y0 + ky * dil_h;
    for (int kx = 0; kx < k_w; ++kx) {
      const int ix = x0 + kx * dil_w;
      if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) {
        for (int c = 0; c < in_c; c += 2) col[k + c] = zp_pair;
      } else {
        const int8_t* src = input + (iy * in_w + ix) * in_c;
        for (int c = 0; c < in_c; c += 4) {
#if TINYML_AOT_DSP
          int32_t v;
          memcpy(&v, src + c, 4);
          col[k + c] = tinyml_aot_sxtb16(v);
          col[k + c + 2] = tinyml_aot_sxtb16_ror8(v);
#else
          col[k + c] = (int32_t)(((uint32_t)src[c] & 0xFFFFU) |
                                 ((uint32_t)src[c + 2] << 16));
          col[k + c + 2] = (int32_t)(((uint32_t)src[c + 1] & 0xFFFFU) |
                                     ((uint32_t)src[c + 3] << 16));
#endif
        }
      }
      k += in_c;
    }
  }
}

static TINYML_AOT_NOINLINE void tinyml_aot_conv(
    const int8_t* input, int8_t* output, const int32_t* weights,
    const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
    int in_h, int in_w, int in_c, int out_h, int out_w, int out_c, int k_h,
    int k_w, int stride_h, int stride_w, int dil_h, int dil_w, int pad_h,
    int pad_w, int32_t in_zp, int32_t out_zp, int32_t act_min, int32_t act_max,
    int quad, int32_t* cols, const int8_t* residual,
    const tinyml_aot_add_params* add, int conv_first) {
  const int k4 = (k_h * k_w * in_c + 3) & ~3;
  const int pixels = out_h * out_w;
  for (int p = 0; p < pixels; p += 2) {
    /* An odd last pixel is computed twice and stored twice (same value). */
    const int p1 = p + 1 < pixels ? p + 1 : p;
    if (quad) {
      tinyml_aot_im2col(cols, input, p, in_h, in_w, in_c, out_w, k_h, k_w,
                        stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, in_zp);
      tinyml_aot_im2col(cols + 1, input, p1, in_h, in_w, in_c, out_w, k_h, k_w,
                        stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, in_zp);
    } else {
      /* Bytes first (after the columns in the scratch), then packed. */
      int8_t* g0 = (int8_t*)(cols + k4);
      int8_t* g1 = g0 + k4;
      tinyml_aot_gather(g0, input, p, in_h, in_w, in_c, out_w, k_h, k_w,
                        stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, in_zp,
                        k4);
      tinyml_aot_gather(g1, input, p1, in_h, in_w, in_c, out_w, k_h, k_w,
                        stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, in_zp,
                        k4);
      tinyml_aot_pack_pair(cols, g0, g1, k4);
    }
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
      /* Scalars, not an array: the block stays in registers. */
      const int32_t m0 = multiplier[o], s0 = shift[o];
      const int32_t m1 = multiplier[o1], s1 = shift[o1];
      const int32_t v[4] = {
          tinyml_aot_clamp(tinyml_aot_requantize(a00, m0, s0) + out_zp, act_min,
                           act_max),
          tinyml_aot_clamp(tinyml_aot_requantize(a01, m0, s0) + out_zp, act_min,
                           act_max),
          tinyml_aot_clamp(tinyml_aot_requantize(a10, m1, s1) + out_zp, act_min,
                           act_max),
          tinyml_aot_clamp(tinyml_aot_requantize(a11, m1, s1) + out_zp, act_min,
                           act_max)};
      if (add == 0) {
        out0[o] = (int8_t)v[0];
        out1[o] = (int8_t)v[1];
        out0[o1] = (int8_t)v[2];
        out1[o1] = (int8_t)v[3];
      } else if (conv_first) {
        out0[o] = tinyml_aot_add_one(v[0], residual[p * out_c + o], add);
        if (p1 != p)
          out1[o] = tinyml_aot_add_one(v[1], residual[p1 * out_c + o], add);
        if (o1 != o) {
          out0[o1] = tinyml_aot_add_one(v[2], residual[p * out_c + o1], add);
          if (p1 != p) {
            out1[o1] = tinyml_aot_add_one(v[3], residual[p1 * out_c + o1], add);
          }
        }
      } else {
        out0[o] = tinyml_aot_add_one(residual[p * out_c + o], v[0], add);
        if (p1 != p)
          out1[o] = tinyml_aot_add_one(residual[p1 * out_c + o], v[1], add);
        if (o1 != o) {
          out0[o1] = tinyml_aot_add_one(residual[p * out_c + o1], v[2], add);
          if (p1 != p) {
            out1[o1] = tinyml_aot_add_one(residual[p1 * out_c + o1], v[3], add);
          }
        }
      }
    }
  }
}
