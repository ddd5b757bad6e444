/* SOFTMAX, int8 -> int8 (zero point -128, scale 1/256): TFLM's reference
 * kernel, with gemmlowp's fixed-point exp and reciprocal reproduced exactly.
 * Fixed-point adds wrap like gemmlowp's raw int32 adds. */
static inline int32_t tinyml_aot_fx_add(int32_t a, int32_t b) {
  return (int32_t)((uint32_t)a + (uint32_t)b);
}

static inline int32_t tinyml_aot_fx_sat_shl(int32_t x, int exponent) {
  const int32_t threshold = (int32_t)((1LL << (31 - exponent)) - 1);
  if (x > threshold) return INT32_MAX;
  if (x < -threshold) return INT32_MIN;
  return (int32_t)((uint32_t)x << exponent);
}

/* exp(a) for a in [-1/4, 0), Q0.31 in and out. */
static int32_t tinyml_aot_exp_quarter(int32_t a) {
  const int32_t constant_term = 1895147668;
  const int32_t constant_1_over_3 = 715827883;
  const int32_t x = tinyml_aot_fx_add(a, 1 << 28);
  const int32_t x2 = tinyml_aot_doubling_high_mul(x, x);
  const int32_t x3 = tinyml_aot_doubling_high_mul(x2, x);
  const int32_t x4 = tinyml_aot_doubling_high_mul(x2, x2);
  const int32_t x4_over_4 = tinyml_aot_rounding_divide_by_pot(x4, 2);
  const int32_t poly = tinyml_aot_rounding_divide_by_pot(
      tinyml_aot_fx_add(
          tinyml_aot_doubling_high_mul(tinyml_aot_fx_add(x4_over_4, x3),
                                       constant_1_over_3),
          x2),
      1);
  return tinyml_aot_fx_add(
      constant_term,
      tinyml_aot_doubling_high_mul(constant_term, tinyml_aot_fx_add(x, poly)));
}

/* gemmlowp::exp_on_negative_values for a Q5.26 input; Q0.31 result. */
static int32_t tinyml_aot_exp_on_negative_values(int32_t a) {
  static const int32_t kMultipliers[7] = {
      1672461947, 1302514674, 790015084, 290630308, 39332535, 720401, 242};
  const int32_t one_quarter = 1 << 24;
  const int32_t mask = one_quarter - 1;
  const int32_t a_mod_quarter_minus_one_quarter =
      tinyml_aot_fx_add(a & mask, -one_quarter);
  int32_t result = tinyml_aot_exp_quarter(
      tinyml_aot_fx_sat_shl(a_mod_quarter_minus_one_quarter, 5));
  const int32_t remainder =
      tinyml_aot_fx_add(a_mod_quarter_minus_one_quarter, -a);
  for (int k = 0; k < 7; ++k) {
    if (remainder & (1 << (24 + k))) {
      result = tinyml_aot_doubling_high_mul(result, kMultipliers[k]);
    }
  }
  return a == 0 ? INT32_MAX : result;
}

/* gemmlowp::one_over_one_plus_x_for_x_in_0_1, Q0.31. */
static int32_t tinyml_aot_one_over_one_plus_x(int32_t a) {
  const int64_t sum = (int64_t)a + INT32_MAX;
  const int32_t half_denominator = (int32_t)((sum + (sum >= 0 ? 1 : -1)) / 2);
  const int32_t constant_48_over_17 = 1515870810;
  const int32_t constant_neg_32_over_17 = -1010580540;
  int32_t x = tinyml_aot_fx_add(
      constant_48_over_17,
      tinyml_aot_doubling_high_mul(half_denominator, constant_neg_32_over_17));
  for (int i = 0; i < 3; ++i) {
    const int32_t half_denominator_times_x =
        tinyml_aot_doubling_high_mul(half_denominator, x);
    const int32_t one_minus =
        tinyml_aot_fx_add(1 << 29, -half_denominator_times_x);
    x = tinyml_aot_fx_add(
        x,
        tinyml_aot_fx_sat_shl(tinyml_aot_doubling_high_mul(x, one_minus), 2));
  }
  return tinyml_aot_fx_sat_shl(x, 1);
}

static void tinyml_aot_softmax(const int8_t* input, int8_t* output, int outer,
                               int depth, int32_t input_multiplier,
                               int32_t input_left_shift, int32_t diff_min) {
  for (int i = 0; i < outer; ++i) {
    const int8_t* x = input + i * depth;
    int8_t* y = output + i * depth;
    int32_t max_in_row = -128;
    for (int c = 0; c < depth; ++c) {
      if (x[c] > max_in_row) max_in_row = x[c];
    }
    int32_t sum_of_exps = 0; /* Q12.19 */
    for (int c = 0; c < depth; ++c) {
      const int32_t diff = x[c] - max_in_row;
      if (diff >= diff_min) {
        const int32_t rescaled = tinyml_aot_doubling_high_mul(
            (int32_t)((uint32_t)diff << input_left_shift), input_multiplier);
        sum_of_exps = tinyml_aot_fx_add(
            sum_of_exps, tinyml_aot_rounding_divide_by_pot(
                             tinyml_aot_exp_on_negative_values(rescaled), 12));
      }
    }
    /* tflite::GetReciprocal */
    int headroom_plus_one = 0;
    while (headroom_plus_one < 32 &&
           !(((uint32_t)sum_of_exps << headroom_plus_one) & 0x80000000U)) {
      ++headroom_plus_one;
    }
    const int num_bits_over_unit = 12 - headroom_plus_one;
    const int32_t shifted_sum_minus_one =
        (int32_t)(((uint32_t)sum_of_exps << headroom_plus_one) - (1U << 31));
    const int32_t shifted_scale =
        tinyml_aot_one_over_one_plus_x(shifted_sum_minus_one);
    const int exponent = num_bits_over_unit + 31 - 8;
    for (int c = 0; c < depth; ++c) {
      const int32_t diff = x[c] - max_in_row;
      if (diff >= diff_min) {
        const int32_t rescaled = tinyml_aot_doubling_high_mul(
            (int32_t)((uint32_t)diff << input_left_shift), input_multiplier);
        const int32_t exp_in_0 = tinyml_aot_exp_on_negative_values(rescaled);
        const int32_t unsat = tinyml_aot_rounding_divide_by_pot(
            tinyml_aot_doubling_high_mul(shifted_scale, exp_in_0), exponent);
        y[c] = tinyml_aot_clamp(unsat - 128, -128, 127);
      } else {
        y[c] = -128;
      }
    }
  }
}
