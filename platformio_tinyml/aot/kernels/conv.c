/* CONV_2D, int8, per-channel: weights [oc][kh][kw][ic]; taps outside the input
 * read the input zero point, which the folded bias cancels exactly. */
static void tinyml_aot_conv(const int8_t *input, int8_t *output,
                            const int8_t *weights, const int32_t *bias,
                            const int32_t *multiplier, const int32_t *shift,
                            int in_h, int in_w, int in_c, int out_h, int out_w,
                            int out_c, int k_h, int k_w, int stride_h,
                            int stride_w, int dil_h, int dil_w, int pad_h,
                            int pad_w, int32_t in_zp, int32_t out_zp,
                            int32_t act_min, int32_t act_max) {
  for (int oy = 0; oy < out_h; ++oy) {
    for (int ox = 0; ox < out_w; ++ox) {
      const int y0 = oy * stride_h - pad_h;
      const int x0 = ox * stride_w - pad_w;
      for (int oc = 0; oc < out_c; ++oc) {
        int32_t acc = bias[oc];
        const int8_t *w = weights + oc * k_h * k_w * in_c;
        for (int ky = 0; ky < k_h; ++ky) {
          const int iy = y0 + ky * dil_h;
          for (int kx = 0; kx < k_w; ++kx) {
            const int ix = x0 + kx * dil_w;
            const int8_t *wt = w + (ky * k_w + kx) * in_c;
            if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) {
              for (int ic = 0; ic < in_c; ++ic) acc += (int32_t)wt[ic] * in_zp;
            } else {
              const int8_t *x = input + (iy * in_w + ix) * in_c;
              for (int ic = 0; ic < in_c; ++ic) acc += (int32_t)wt[ic] * x[ic];
            }
          }
        }
        acc = tinyml_aot_requantize(acc, multiplier[oc], shift[oc]) + out_zp;
        output[(oy * out_w + ox) * out_c + oc] =
            tinyml_aot_clamp(acc, act_min, act_max);
      }
    }
  }
}
