/* MAX_POOL_2D and AVERAGE_POOL_2D, int8 (TFLM reference: the window is clipped
 * to the input; the average rounds half away from zero). */
static void tinyml_aot_pool(const int8_t* input, int8_t* output, int is_max,
                            int in_h, int in_w, int channels, int out_h,
                            int out_w, int f_h, int f_w, int stride_h,
                            int stride_w, int pad_h, int pad_w, int32_t act_min,
                            int32_t act_max) {
  for (int oy = 0; oy < out_h; ++oy) {
    const int y0 = oy * stride_h - pad_h;
    const int fy0 = y0 < 0 ? -y0 : 0;
    const int fy1 = in_h - y0 < f_h ? in_h - y0 : f_h;
    for (int ox = 0; ox < out_w; ++ox) {
      const int x0 = ox * stride_w - pad_w;
      const int fx0 = x0 < 0 ? -x0 : 0;
      const int fx1 = in_w - x0 < f_w ? in_w - x0 : f_w;
      const int count = (fy1 - fy0) * (fx1 - fx0);
      for (int c = 0; c < channels; ++c) {
        int32_t acc = is_max ? -128 : 0;
        for (int fy = fy0; fy < fy1; ++fy) {
          const int8_t* row = input + ((y0 + fy) * in_w + x0) * channels + c;
          for (int fx = fx0; fx < fx1; ++fx) {
            const int32_t v = row[fx * channels];
            if (is_max) {
              if (v > acc) acc = v;
            } else {
              acc += v;
            }
          }
        }
        if (!is_max && count > 0) {
          acc = acc > 0 ? (acc + count / 2) / count : (acc - count / 2) / count;
        }
        output[(oy * out_w + ox) * channels + c] =
            tinyml_aot_clamp(acc, act_min, act_max);
      }
    }
  }
}
