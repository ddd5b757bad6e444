/* Shared helpers: TFLM's requantization (MultiplyByQuantizedMultiplier, double
 * rounding as in gemmlowp) and the choice between the DSP and portable paths.
 */
#include <stdint.h>
#include <string.h>

/* For kernels whose loops need all registers: inlined into the invoke
 * function they would share the register allocation with everything else. */
#if defined(__GNUC__)
#define TINYML_AOT_NOINLINE __attribute__((noinline))
#else
#define TINYML_AOT_NOINLINE
#endif

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

/* Shared by the CONV_2D kernels (kernels/conv.c, kernels/conv_few.c). */
/* Two gathered pixels (bytes, k4 each) into interleaved words: word 2*(k/2)
 * + pixel holds elements k, k+1 of that pixel. */
static inline void tinyml_aot_pack_pair(int32_t* col, const int8_t* g0,
                                        const int8_t* g1, int k4) {
  for (int k = 0; k < k4; k += 4, col += 4) {
#if TINYML_AOT_DSP
    int32_t v0, v1;
    memcpy(&v0, g0 + k, 4);
    memcpy(&v1, g1 + k, 4);
    const uint32_t e0 = (uint32_t)tinyml_aot_sxtb16(v0);
    const uint32_t o0 = (uint32_t)tinyml_aot_sxtb16_ror8(v0);
    const uint32_t e1 = (uint32_t)tinyml_aot_sxtb16(v1);
    const uint32_t o1 = (uint32_t)tinyml_aot_sxtb16_ror8(v1);
    col[0] = (int32_t)((e0 & 0xFFFFU) | (o0 << 16));
    col[1] = (int32_t)((e1 & 0xFFFFU) | (o1 << 16));
    col[2] = (int32_t)((e0 >> 16) | (o0 & 0xFFFF0000U));
    col[3] = (int32_t)((e1 >> 16) | (o1 & 0xFFFF0000U));
#else
    for (int j = 0; j < 2; ++j) {
      col[2 * j] = (int32_t)(((uint32_t)g0[k + 2 * j] & 0xFFFFU) |
                             ((uint32_t)g0[k + 2 * j + 1] << 16));
      col[2 * j + 1] = (int32_t)(((uint32_t)g1[k + 2 * j] & 0xFFFFU) |
                                 ((uint32_t)g1[k + 2 * j + 1] << 16));
    }
#endif
  }
}

/* Low and high int16 halves of a word, as SMLAD reads them (two's
 * complement narrowing and arithmetic right shift). */
static inline int32_t tinyml_aot_lo16(int32_t x) { return (int16_t)x; }
static inline int32_t tinyml_aot_hi16(int32_t x) { return x >> 16; }
