/*
 * fpmath.h — IEEE details the wasm float instructions need beyond C's
 * operators, shared by the scalar handlers (exec.c) and the SIMD lanes (simd.c).
 */
#ifndef WRUN_SEMANTICS_FPMATH_H
#define WRUN_SEMANTICS_FPMATH_H

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
static inline float qnearbyintf(float a) { return a != a ? a + a : nearbyintf(a); }
static inline double qceil(double a) { return a != a ? a + a : ceil(a); }
static inline double qfloor(double a) { return a != a ? a + a : floor(a); }
static inline double qtrunc(double a) { return a != a ? a + a : trunc(a); }
static inline double qnearbyint(double a) { return a != a ? a + a : nearbyint(a); }

#endif
