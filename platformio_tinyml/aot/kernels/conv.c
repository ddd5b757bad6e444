/* CONV_2D, int8, per-channel, by partial im2col (as in CMSIS-NN/TinyEngine):
 * two output pixels at a time are widened to int16 columns, taps outside the
 * input read the input zero point (the folded bias cancels it exactly), and
 * the depth K = kh*kw*ic is rounded up to a multiple of 4 with zero weights.
 * A 2x2 block (2 channels x 2 pixels) runs the K loop on groups of four:
 * stored weight j pairs with stored column j, j+2, j-1... as
 * w[0]*c[0] + w[2]*c[1] + w[1]*c[2] + w[3]*c[3]. Two layouts satisfy this,
 * chosen offline: with quad = 0 the columns are in order and the weights are
 * stored k, k+2, k+1, k+3; with quad = 1 (ic a multiple of 4) the weights are
 * in order and the columns hold each 4 channels as c0, c2, c1, c3, which is
 * what SXTB16 and SXTB16(ROR 8) produce from one 32-bit load.
 * With add != NULL the ADD that consumes the result is fused: each value is
 * added to residual[i] (conv value first if conv_first) and stored in place
 * of it; odd last pixels and channels are then stored once only. */
static void tinyml_aot_im2col(int16_t* col, const int8_t* input, int pixel,
                              int in_h, int in_w, int in_c, int out_w, int k_h,
                              int k_w, int stride_h, int stride_w, int dil_h,
                              int dil_w, int pad_h, int pad_w, int32_t in_zp,
                              int k4, int quad) {
  const int y0 = (pixel / out_w) * stride_h - pad_h;
  const int x0 = (pixel % out_w) * stride_w - pad_w;
  int16_t* dst = col;
  for (int ky = 0; ky < k_h; ++ky) {
    const int iy = y0 + ky * dil_h;
    for (int kx = 0; kx < k_w; ++kx) {
      const int ix = x0 + kx * dil_w;
      if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) {
        for (int c = 0; c < in_c; ++c) dst[c] = (int16_t)in_zp;
      } else if (quad) {
        const int8_t* src = input + (iy * in_w + ix) * in_c;
        for (int c = 0; c < in_c; c += 4) {
#if TINYML_AOT_DSP
          int32_t v;
          memcpy(&v, src + c, 4);
          const int32_t even = tinyml_aot_sxtb16(v);
          const int32_t odd = tinyml_aot_sxtb16_ror8(v);
          memcpy(dst + c, &even, 4);
          memcpy(dst + c + 2, &odd, 4);
#else
          dst[c] = src[c];
          dst[c + 1] = src[c + 2];
          dst[c + 2] = src[c + 1];
          dst[c + 3] = src[c + 3];
#endif
        }
      } else {
        const int8_t* src = input + (iy * in_w + ix) * in_c;
        for (int c = 0; c < in_c; ++c) dst[c] = src[c];
      }
      dst += in_c;
    }
  }
  while (dst < col + k4) *dst++ = 0;
}

static void tinyml_aot_conv(const int8_t* input, int8_t* output,
                            const int8_t* weights, const int32_t* bias,
                            const int32_t* multiplier, const int32_t* shift,
                            int in_h, int in_w, int in_c, int out_h, int out_w,
                            int out_c, int k_h, int k_w, int stride_h,
                            int stride_w, int dil_h, int dil_w, int pad_h,
                            int pad_w, int32_t in_zp, int32_t out_zp,
                            int32_t act_min, int32_t act_max, int quad,
                            int16_t* cols, const int8_t* residual,
                            const tinyml_aot_add_params* add, int conv_first) {
  const int k4 = (k_h * k_w * in_c + 3) & ~3;
  const int pixels = out_h * out_w;
  int16_t* col0 = cols;
  int16_t* col1 = cols + k4;
  for (int p = 0; p < pixels; p += 2) {
    /* An odd last pixel is computed twice and stored twice (same value). */
    const int p1 = p + 1 < pixels ? p + 1 : p;
    tinyml_aot_im2col(col0, input, p, in_h, in_w, in_c, out_w, k_h, k_w,
                      stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, in_zp, k4,
                      quad);
    tinyml_aot_im2col(col1, input, p1, in_h, in_w, in_c, out_w, k_h, k_w,
                      stride_h, stride_w, dil_h, dil_w, pad_h, pad_w, in_zp, k4,
                      quad);
    int8_t* out0 = output + p * out_c;
    int8_t* out1 = output + p1 * out_c;
    for (int o = 0; o < out_c; o += 2) {
      const int o1 = o + 1 < out_c ? o + 1 : o;
      const int8_t* w0 = weights + o * k4;
      const int8_t* w1 = weights + o1 * k4;
      int32_t a00 = bias[o], a01 = bias[o], a10 = bias[o1], a11 = bias[o1];
      for (int i = 0; i < k4; i += 4) {
#if TINYML_AOT_DSP
        int32_t wa, wb, c0a, c0b, c1a, c1b;
        memcpy(&wa, w0 + i, 4);
        memcpy(&wb, w1 + i, 4);
        memcpy(&c0a, col0 + i, 4);
        memcpy(&c0b, col0 + i + 2, 4);
        memcpy(&c1a, col1 + i, 4);
        memcpy(&c1b, col1 + i + 2, 4);
        const int32_t wa_lo = tinyml_aot_sxtb16(wa);
        const int32_t wa_hi = tinyml_aot_sxtb16_ror8(wa);
        const int32_t wb_lo = tinyml_aot_sxtb16(wb);
        const int32_t wb_hi = tinyml_aot_sxtb16_ror8(wb);
        a00 = tinyml_aot_smlad(wa_lo, c0a, a00);
        a00 = tinyml_aot_smlad(wa_hi, c0b, a00);
        a01 = tinyml_aot_smlad(wa_lo, c1a, a01);
        a01 = tinyml_aot_smlad(wa_hi, c1b, a01);
        a10 = tinyml_aot_smlad(wb_lo, c0a, a10);
        a10 = tinyml_aot_smlad(wb_hi, c0b, a10);
        a11 = tinyml_aot_smlad(wb_lo, c1a, a11);
        a11 = tinyml_aot_smlad(wb_hi, c1b, a11);
#else
        a00 += w0[i] * col0[i] + w0[i + 2] * col0[i + 1] +
               w0[i + 1] * col0[i + 2] + w0[i + 3] * col0[i + 3];
        a01 += w0[i] * col1[i] + w0[i + 2] * col1[i + 1] +
               w0[i + 1] * col1[i + 2] + w0[i + 3] * col1[i + 3];
        a10 += w1[i] * col0[i] + w1[i + 2] * col0[i + 1] +
               w1[i + 1] * col0[i + 2] + w1[i + 3] * col0[i + 3];
        a11 += w1[i] * col1[i] + w1[i + 2] * col1[i + 1] +
               w1[i + 1] * col1[i + 2] + w1[i + 3] * col1[i + 3];
#endif
      }
      int32_t v[4];
      v[0] = tinyml_aot_requantize(a00, multiplier[o], shift[o]);
      v[1] = tinyml_aot_requantize(a01, multiplier[o], shift[o]);
      v[2] = tinyml_aot_requantize(a10, multiplier[o1], shift[o1]);
      v[3] = tinyml_aot_requantize(a11, multiplier[o1], shift[o1]);
      for (int j = 0; j < 4; ++j) {
        v[j] = tinyml_aot_clamp(v[j] + out_zp, act_min, act_max);
      }
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
