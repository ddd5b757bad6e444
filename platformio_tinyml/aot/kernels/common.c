/* Shared helpers: TFLM's requantization (MultiplyByQuantizedMultiplier, double
 * rounding as in gemmlowp) and the choice between the DSP and portable paths.
 */
#include <stdint.h>
#include <string.h>

#if defined(__ARM_FEATURE_DSP) && !defined(TINYML_AOT_PORTABLE)
#define TINYML_AOT_DSP 1
#if defined(__GNUC__) && !defined(__clang__) && __GNUC__ < 10 || \
    defined(TINYML_AOT_NO_ACLE)
/* GCC before 10 has no SIMD32 intrinsics in <arm_acle.h>: the same two
 * instructions, spelled out. */
static inline int32_t tinyml_aot_smlad(int32_t a, int32_t b, int32_t acc) {
  int32_t result;
  __asm("smlad %0, %1, %2, %3" : "=r"(result) : "r"(a), "r"(b), "r"(acc));
  return result;
}
static inline int32_t tinyml_aot_sxtb16(int32_t x) {
  int32_t result;
  __asm("sxtb16 %0, %1" : "=r"(result) : "r"(x));
  return result;
}
#else
#include <arm_acle.h>
#define tinyml_aot_smlad(a, b, acc) __smlad((a), (b), (acc))
#define tinyml_aot_sxtb16(x) __sxtb16(x)
#endif
/* SXTB16(ROR(x, 8)): bytes 1 and 3 as two halfwords. GCC does not fold the
 * rotation into SXTB16's operand, so it is spelled out (as CMSIS does). */
static inline int32_t tinyml_aot_sxtb16_ror8(int32_t x) {
#if defined(__GNUC__)
  int32_t result;
  __asm("sxtb16 %0, %1, ror #8" : "=r"(result) : "r"(x));
  return result;
#else
  return tinyml_aot_sxtb16((int32_t)(((uint32_t)x >> 8) | ((uint32_t)x << 24)));
#endif
}
/* Two words from a word-aligned address in one LDRD (GCC merges loads only
 * from 8-byte aligned data); the pointer moves past them. */
static inline void tinyml_aot_ldrd_inc(const int32_t** p, int32_t* a,
                                       int32_t* b) {
#if defined(__GNUC__)
  const int32_t* q = *p;
  int32_t lo, hi;
  __asm("ldrd %0, %1, [%2], #8"
        : "=r"(lo), "=r"(hi), "+r"(q)
        : "m"(*(const int32_t(*)[2]) * p));
  *a = lo;
  *b = hi;
  *p = q;
#else
  *a = (*p)[0];
  *b = (*p)[1];
  *p += 2;
#endif
}
#else
#define TINYML_AOT_DSP 0
#endif

/* gemmlowp::RoundingDivideByPOT: round half away from zero. */
static inline int32_t tinyml_aot_rounding_divide_by_pot(int32_t x,
                                                        int exponent) {
  const int32_t mask = (int32_t)((1LL << exponent) - 1);
  const int32_t remainder = x & mask;
  const int32_t threshold = (mask >> 1) + (x < 0 ? 1 : 0);
  return (x >> exponent) + (remainder > threshold ? 1 : 0);
}

/* gemmlowp::SaturatingRoundingDoublingHighMul. Its truncating division of
 * (a*b + nudge) by 2^31 equals an arithmetic shift of (a*b + 2^30) for both
 * signs of a*b, which avoids a 64-bit division. */
static inline int32_t tinyml_aot_doubling_high_mul(int32_t a, int32_t b) {
  if (a == b && a == INT32_MIN) return INT32_MAX;
  return (int32_t)(((int64_t)a * b + (1LL << 30)) >> 31);
}

/* tflite::MultiplyByQuantizedMultiplier (TFLITE_SINGLE_ROUNDING off): the
 * doubling high multiply, then RoundingDivideByPOT (halves away from zero).
 * Multipliers are never negative, so the high multiply cannot saturate. */
static inline int32_t tinyml_aot_requantize(int32_t x, int32_t multiplier,
                                            int32_t shift) {
  const int32_t left = shift > 0 ? shift : 0;
  const int32_t right = shift > 0 ? 0 : -shift;
  const int32_t v =
      (int32_t)(((int64_t)(int32_t)((uint32_t)x << left) * multiplier +
                 (1LL << 30)) >>
                31);
  const int32_t mask = (int32_t)((1U << right) - 1U);
  const int32_t threshold = (mask >> 1) + (int32_t)((uint32_t)v >> 31);
  return (v >> right) + ((v & mask) > threshold ? 1 : 0);
}

static inline int8_t tinyml_aot_clamp(int32_t x, int32_t lo, int32_t hi) {
  return (int8_t)(x < lo ? lo : (x > hi ? hi : x));
}

/* ADD, int8 (TFLM reference): both inputs scaled to a common 2^20-shifted
 * scale (tabulated offline for the 256 int8 values), summed, requantized;
 * also the epilogue of a CONV_2D fused with the ADD that consumes it. */
typedef struct {
  const int32_t *a_scaled, *b_scaled; /* [value + 128] */
  int32_t out_mult, out_shift, out_zp, act_min, act_max;
} tinyml_aot_add_params;

static inline int8_t tinyml_aot_add_one(int32_t a, int32_t b,
                                        const tinyml_aot_add_params* p) {
  const int32_t sum = p->a_scaled[a + 128] + p->b_scaled[b + 128];
  return tinyml_aot_clamp(
      tinyml_aot_requantize(sum, p->out_mult, p->out_shift) + p->out_zp,
      p->act_min, p->act_max);
}
