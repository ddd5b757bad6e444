/* DEPTHWISE_CONV_2D, int8, per-channel: weights [kh][kw][oc], oc = ic * m + j.
 */
static TINYML_AOT_NOINLINE void tinyml_aot_depthwise_conv(
    const int8_t* input, int8_t* output, const int8_t* weights,
    const int32_t* bias, const int32_t* multiplier, const int32_t* shift,
    int in_h, int in_w, int in_c, int out_h, int out_w, int depth_multiplier,
    int k_h, int k_w, int stride_h, int stride_w, int dil_h, int dil_w,
    int pad_h, int pad_w, int32_t in_zp, int32_t out_zp, int32_t act_min,
    int32_t act_max) {
  const int out_c = in_c * depth_multiplier;
  for (int oy = 0; oy < out_h; ++oy) {
    for (int ox = 0; ox < out_w; ++ox) {
      const int y0 = oy * stride_h - pad_h;
      const int x0 = ox * stride_w - pad_w;
      for (int oc = 0; oc < out_c; ++oc) {
        const int ic = oc / depth_multiplier;
        int32_t acc = bias[oc];
        for (int ky = 0; ky < k_h; ++ky) {
          const int iy = y0 + ky * dil_h;
          for (int kx = 0; kx < k_w; ++kx) {
            const int ix = x0 + kx * dil_w;
            const int32_t w = weights[(ky * k_w + kx) * out_c + oc];
            if (iy < 0 || iy >= in_h || ix < 0 || ix >= in_w) {
              acc += w * in_zp;
            } else {
              acc += w * input[(iy * in_w + ix) * in_c + ic];
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
