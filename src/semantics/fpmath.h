/*
 * fpmath.h — IEEE details the wasm float instructions need beyond C's
 * operators, shared by the scalar handlers (exec.c) and the SIMD lanes (simd.c).
 */
#ifndef WRUN_SEMANTICS_FPMATH_H
#define WRUN_SEMANTICS_FPMATH_H

#include <float.h>
#include <math.h>
#include <stdint.h>
#include <string.h>

static inline uint32_t fp_bits32(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
static inline uint64_t fp_bits64(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }
static inline float fp_from32(uint32_t b) { float f; memcpy(&f, &b, 4); return f; }
static inline double fp_from64(uint64_t b) { double d; memcpy(&d, &b, 8); return d; }

/* min/max: NaN if either operand is NaN; -0 is below +0. */
static inline float fmin32(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return fp_from32(fp_bits32(a) | fp_bits32(b));
  return a < b ? a : b;
}
static inline float fmax32(float a, float b) {
  if (a != a || b != b) return a + b;
  if (a == b) return fp_from32(fp_bits32(a) & fp_bits32(b));
  return a > b ? a : b;
}
static inline double fmin64(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return fp_from64(fp_bits64(a) | fp_bits64(b));
  return a < b ? a : b;
}
static inline double fmax64(double a, double b) {
  if (a != a || b != b) return a + b;
  if (a == b) return fp_from64(fp_bits64(a) & fp_bits64(b));
  return a > b ? a : b;
}

/* Rounding that always returns a quiet NaN for a NaN input: some inline
 * expansions of ceil/floor/trunc pass a signaling NaN through unchanged, and
 * wasm requires an arithmetic (quiet) NaN. */
static inline float qceilf(float a) { return a != a ? a + a : ceilf(a); }
static inline float qfloorf(float a) { return a != a ? a + a : floorf(a); }
static inline float qtruncf(float a) { return a != a ? a + a : truncf(a); }
static inline double qceil(double a) { return a != a ? a + a : ceil(a); }
static inline double qfloor(double a) { return a != a ? a + a : floor(a); }
static inline double qtrunc(double a) { return a != a ? a + a : trunc(a); }

/* nearest (ties to even) without libm: nearbyint is the only reason a wrun
 * process would load libm.so, which costs every start-up about 0.12 ms and
 * 440 KiB of mapped pages (docs/performance.md). Wasm always runs in the
 * default rounding mode, in which adding and subtracting 2^52 (2^23 for
 * f32) rounds away every fraction bit of a magnitude below it, ties to even;
 * larger magnitudes are integers already. copysign keeps -0 and gives -0 to
 * a negative that rounds to zero. Where arithmetic may be carried in wider
 * precision (FLT_EVAL_METHOD != 0) the trick is wrong, so libm does it. */
#if FLT_EVAL_METHOD == 0
static inline float qnearbyintf(float a) {
  if (a != a) return a + a;
  float m = __builtin_fabsf(a);
  if (m >= 0x1p23f) return a;
  return __builtin_copysignf((m + 0x1p23f) - 0x1p23f, a);
}
static inline double qnearbyint(double a) {
  if (a != a) return a + a;
  double m = __builtin_fabs(a);
  if (m >= 0x1p52) return a;
  return __builtin_copysign((m + 0x1p52) - 0x1p52, a);
}
#else
static inline float qnearbyintf(float a) { return a != a ? a + a : nearbyintf(a); }
static inline double qnearbyint(double a) { return a != a ? a + a : nearbyint(a); }
#endif

#endif
