/*
 * values.h — reading and writing wasm values in 64-bit slots, and the small
 * value functions (rotates, saturating truncations) the interpreter's
 * operator lists name. Shared by the interpreter and the AOT tier's
 * out-of-line helpers so both compute exactly the same results.
 */
#ifndef WRUN_SEMANTICS_VALUES_H
#define WRUN_SEMANTICS_VALUES_H

#include <stdint.h>
#include <string.h>

static inline float f32_of(uint64_t s) { float f; uint32_t b = (uint32_t)s; memcpy(&f, &b, 4); return f; }
static inline double f64_of(uint64_t s) { double d; memcpy(&d, &s, 8); return d; }
static inline uint64_t bits_f32(float f) { uint32_t b; memcpy(&b, &f, 4); return b; }
static inline uint64_t bits_f64(double d) { uint64_t b; memcpy(&b, &d, 8); return b; }

#define RD_u32(s) ((uint32_t)(s))
#define RD_i32(s) ((int32_t)(uint32_t)(s))
#define RD_u64(s) ((uint64_t)(s))
#define RD_i64(s) ((int64_t)(s))
#define RD_f32(s) f32_of(s)
#define RD_f64(s) f64_of(s)
#define WR_u32(v) ((uint64_t)(uint32_t)(v))
#define WR_i32(v) ((uint64_t)(uint32_t)(int32_t)(v))
#define WR_u64(v) ((uint64_t)(v))
#define WR_i64(v) ((uint64_t)(int64_t)(v))
#define WR_f32(v) bits_f32(v)
#define WR_f64(v) bits_f64(v)

static inline uint32_t rotl32(uint32_t a, uint32_t b) { b &= 31; return b ? (a << b) | (a >> (32 - b)) : a; }
static inline uint32_t rotr32(uint32_t a, uint32_t b) { b &= 31; return b ? (a >> b) | (a << (32 - b)) : a; }
static inline uint64_t rotl64(uint64_t a, uint64_t b) { b &= 63; return b ? (a << b) | (a >> (64 - b)) : a; }
static inline uint64_t rotr64(uint64_t a, uint64_t b) { b &= 63; return b ? (a >> b) | (a << (64 - b)) : a; }

static inline float demote(double d) { return (float)d; }
static inline double promote(float f) { return (double)f; }

static inline int32_t sat_i32(double d) {
  if (d != d) return 0;
  if (d <= -2147483648.0) return INT32_MIN;
  if (d >= 2147483648.0) return INT32_MAX;
  return (int32_t)d;
}
static inline uint32_t sat_u32(double d) {
  if (d != d || d <= 0) return 0;
  if (d >= 4294967296.0) return UINT32_MAX;
  return (uint32_t)d;
}
static inline int64_t sat_i64(double d) {
  if (d != d) return 0;
  if (d <= -9223372036854775808.0) return INT64_MIN;
  if (d >= 9223372036854775808.0) return INT64_MAX;
  return (int64_t)d;
}
static inline uint64_t sat_u64(double d) {
  if (d != d || d <= 0) return 0;
  if (d >= 18446744073709551616.0) return UINT64_MAX;
  return (uint64_t)d;
}

#endif
