/*
 * simd.c — the semantics of the 128-bit SIMD instructions: SSE2 or NEON
 * intrinsics for the operations whose instruction computes exactly what the
 * spec says (simd_exec_native), and lane by lane in portable C for
 * everything else and on other hosts (simd_exec_portable; a little-endian
 * host is assumed, as on x86-64 and AArch64). tests/unit/test_interp_simd.c
 * compares the two on random and special values, natively and, for NEON,
 * under qemu (tests/run_all.sh).
 *
 * Every operation computes into a local vector and stores it at the end, so a
 * destination slot may alias an operand. Float lanes follow the scalar rules:
 * min/max propagate NaN and order -0 below +0, pmin/pmax are the plain
 * comparisons the spec defines, rounding uses the current (nearest-even) mode.
 */
#include <math.h>
#include <string.h>
#if defined(__SSE2__)
#include <emmintrin.h>
#elif defined(__ARM_NEON) && defined(__aarch64__)
#include <arm_neon.h>
#endif

#include "semantics/fpmath.h"
#include "semantics/simd.h"

typedef union v128 {
  uint8_t u8[16];
  int8_t i8[16];
  uint16_t u16[8];
  int16_t i16[8];
  uint32_t u32[4];
  int32_t i32[4];
  uint64_t u64[2];
  int64_t i64[2];
  float f32[4];
  double f64[2];
} v128;

static v128 load(const uint64_t *p) {
  v128 v;
  memcpy(&v, p, 16);
  return v;
}


static int8_t sat_s8(int v) { return (int8_t)(v < -128 ? -128 : v > 127 ? 127 : v); }
static uint8_t sat_u8(int v) { return (uint8_t)(v < 0 ? 0 : v > 255 ? 255 : v); }
static int16_t sat_s16(int v) { return (int16_t)(v < -32768 ? -32768 : v > 32767 ? 32767 : v); }
static uint16_t sat_u16(int v) { return (uint16_t)(v < 0 ? 0 : v > 65535 ? 65535 : v); }

static int32_t trunc_sat_s32(double d) {
  if (d != d) return 0;
  if (d <= -2147483648.0) return INT32_MIN;
  if (d >= 2147483648.0) return INT32_MAX;
  return (int32_t)d;
}
static uint32_t trunc_sat_u32(double d) {
  if (d != d || d <= 0) return 0;
  if (d >= 4294967296.0) return UINT32_MAX;
  return (uint32_t)d;
}

#if defined(__SSE2__)
/* The operations of SEM_SIMD_NATIVE (simd.h) with SSE2. Operands are
 * read only by those operations (others may have scalar operands, one slot
 * wide). */
bool simd_exec_native(wm_opcode op, uint64_t *dst, const uint64_t *pa, const uint64_t *pb) {
#define a _mm_loadu_si128((const __m128i *)(const void *)pa)
#define b _mm_loadu_si128((const __m128i *)(const void *)pb)
#define FPS(f, x, y) _mm_castps_si128(f(_mm_castsi128_ps(x), _mm_castsi128_ps(y)))
#define FPD(f, x, y) _mm_castpd_si128(f(_mm_castsi128_pd(x), _mm_castsi128_pd(y)))
  __m128i r;
  switch (op) {
#define SSE2(id, kind, sse2, neon) case OP_##id: r = sse2; break;
    SEM_SIMD_NATIVE(SSE2)
#undef SSE2
  default: return false;
  }
#undef a
#undef b
#undef FPS
#undef FPD
  _mm_storeu_si128((__m128i *)(void *)dst, r);
  return true;
}
#elif defined(__ARM_NEON) && defined(__aarch64__)
/* The same operations with NEON (AArch64; NaN results are quiet NaNs with
 * FPCR.DN clear, as Linux leaves it). */
bool simd_exec_native(wm_opcode op, uint64_t *dst, const uint64_t *pa, const uint64_t *pb) {
#define a vld1q_u8((const uint8_t *)(const void *)pa)
#define b vld1q_u8((const uint8_t *)(const void *)pb)
#define N(t, e) vreinterpretq_u8_##t(e)
#define S8(x) vreinterpretq_s8_u8(x)
#define S16(x) vreinterpretq_s16_u8(x)
#define U16(x) vreinterpretq_u16_u8(x)
#define S32(x) vreinterpretq_s32_u8(x)
#define U32(x) vreinterpretq_u32_u8(x)
#define U64(x) vreinterpretq_u64_u8(x)
#define F32(x) vreinterpretq_f32_u8(x)
#define F64(x) vreinterpretq_f64_u8(x)
  uint8x16_t r;
  switch (op) {
#define NEON(id, kind, sse2, neon) case OP_##id: r = neon; break;
    SEM_SIMD_NATIVE(NEON)
#undef NEON
  default: return false;
  }
#undef a
#undef b
#undef N
#undef S8
#undef S16
#undef U16
#undef S32
#undef U32
#undef U64
#undef F32
#undef F64
  vst1q_u8((uint8_t *)(void *)dst, r);
  return true;
}
#else
bool simd_exec_native(wm_opcode op, uint64_t *dst, const uint64_t *pa, const uint64_t *pb) {
  (void)op, (void)dst, (void)pa, (void)pb;
  return false;
}
#endif

#define EACH(n) for (int i = 0; i < (n); i++)
#define MASK(cond) ((cond) ? ~0 : 0)

void simd_exec(wm_opcode op, unsigned lane, uint64_t *dst, const uint64_t *pa, const uint64_t *pb,
               const uint64_t *pc) {
  if (!simd_exec_native(op, dst, pa, pb)) simd_exec_portable(op, lane, dst, pa, pb, pc);
}

void simd_exec_portable(wm_opcode op, unsigned lane, uint64_t *dst, const uint64_t *pa, const uint64_t *pb,
                        const uint64_t *pc) {
  v128 r, a, b;
  memset(&r, 0, sizeof r);
  /* Scalar operands occupy one slot; read them only as wide as the op needs. */
  switch (op) {
  /* ---- splat / lanes --------------------------------------------------------- */
  case OP_I8X16_SPLAT: EACH(16) r.u8[i] = (uint8_t)pa[0]; break;
  case OP_I16X8_SPLAT: EACH(8) r.u16[i] = (uint16_t)pa[0]; break;
  case OP_I32X4_SPLAT: case OP_F32X4_SPLAT: EACH(4) r.u32[i] = (uint32_t)pa[0]; break;
  case OP_I64X2_SPLAT: case OP_F64X2_SPLAT: EACH(2) r.u64[i] = pa[0]; break;
  case OP_I8X16_EXTRACT_LANE_S: a = load(pa); dst[0] = (uint32_t)(int32_t)a.i8[lane]; return;
  case OP_I8X16_EXTRACT_LANE_U: a = load(pa); dst[0] = a.u8[lane]; return;
  case OP_I16X8_EXTRACT_LANE_S: a = load(pa); dst[0] = (uint32_t)(int32_t)a.i16[lane]; return;
  case OP_I16X8_EXTRACT_LANE_U: a = load(pa); dst[0] = a.u16[lane]; return;
  case OP_I32X4_EXTRACT_LANE: case OP_F32X4_EXTRACT_LANE: a = load(pa); dst[0] = a.u32[lane]; return;
  case OP_I64X2_EXTRACT_LANE: case OP_F64X2_EXTRACT_LANE: a = load(pa); dst[0] = a.u64[lane]; return;
  case OP_I8X16_REPLACE_LANE: r = load(pa); r.u8[lane] = (uint8_t)pb[0]; break;
  case OP_I16X8_REPLACE_LANE: r = load(pa); r.u16[lane] = (uint16_t)pb[0]; break;
  case OP_I32X4_REPLACE_LANE: case OP_F32X4_REPLACE_LANE: r = load(pa); r.u32[lane] = (uint32_t)pb[0]; break;
  case OP_I64X2_REPLACE_LANE: case OP_F64X2_REPLACE_LANE: r = load(pa); r.u64[lane] = pb[0]; break;
  case OP_I8X16_SWIZZLE:
    a = load(pa); b = load(pb);
    EACH(16) r.u8[i] = b.u8[i] < 16 ? a.u8[b.u8[i]] : 0;
    break;
  case OP_I8X16_SHUFFLE: {
    v128 m = load(pc);
    a = load(pa); b = load(pb);
    EACH(16) r.u8[i] = m.u8[i] < 16 ? a.u8[m.u8[i]] : b.u8[m.u8[i] & 15];
    break;
  }

  /* ---- comparisons ------------------------------------------------------------- */
#define CMP(ID, n, f, cmp) case OP_##ID: a = load(pa); b = load(pb); EACH(n) r.f[i] = MASK(a.f[i] cmp b.f[i]); break;
#define CMPI(P, n, s, u)                                                                          \
  CMP(P##_EQ, n, u, ==) CMP(P##_NE, n, u, !=) CMP(P##_LT_S, n, s, <) CMP(P##_LT_U, n, u, <)         \
  CMP(P##_GT_S, n, s, >) CMP(P##_GT_U, n, u, >) CMP(P##_LE_S, n, s, <=) CMP(P##_LE_U, n, u, <=)     \
  CMP(P##_GE_S, n, s, >=) CMP(P##_GE_U, n, u, >=)
  CMPI(I8X16, 16, i8, u8)
  CMPI(I16X8, 8, i16, u16)
  CMPI(I32X4, 4, i32, u32)
#undef CMPI
  case OP_I64X2_EQ: a = load(pa); b = load(pb); EACH(2) r.u64[i] = a.u64[i] == b.u64[i] ? ~0ull : 0; break;
  case OP_I64X2_NE: a = load(pa); b = load(pb); EACH(2) r.u64[i] = a.u64[i] != b.u64[i] ? ~0ull : 0; break;
  case OP_I64X2_LT_S: a = load(pa); b = load(pb); EACH(2) r.u64[i] = a.i64[i] < b.i64[i] ? ~0ull : 0; break;
  case OP_I64X2_GT_S: a = load(pa); b = load(pb); EACH(2) r.u64[i] = a.i64[i] > b.i64[i] ? ~0ull : 0; break;
  case OP_I64X2_LE_S: a = load(pa); b = load(pb); EACH(2) r.u64[i] = a.i64[i] <= b.i64[i] ? ~0ull : 0; break;
  case OP_I64X2_GE_S: a = load(pa); b = load(pb); EACH(2) r.u64[i] = a.i64[i] >= b.i64[i] ? ~0ull : 0; break;
#define FCMP(ID, n, f, u, cmp) case OP_##ID: a = load(pa); b = load(pb); EACH(n) r.u[i] = a.f[i] cmp b.f[i] ? ~(__typeof__(r.u[0]))0 : 0; break;
  FCMP(F32X4_EQ, 4, f32, u32, ==) FCMP(F32X4_NE, 4, f32, u32, !=) FCMP(F32X4_LT, 4, f32, u32, <)
  FCMP(F32X4_GT, 4, f32, u32, >) FCMP(F32X4_LE, 4, f32, u32, <=) FCMP(F32X4_GE, 4, f32, u32, >=)
  FCMP(F64X2_EQ, 2, f64, u64, ==) FCMP(F64X2_NE, 2, f64, u64, !=) FCMP(F64X2_LT, 2, f64, u64, <)
  FCMP(F64X2_GT, 2, f64, u64, >) FCMP(F64X2_LE, 2, f64, u64, <=) FCMP(F64X2_GE, 2, f64, u64, >=)
#undef FCMP
#undef CMP

  /* ---- bitwise -------------------------------------------------------------------- */
  case OP_V128_NOT: a = load(pa); EACH(2) r.u64[i] = ~a.u64[i]; break;
  case OP_V128_AND: a = load(pa); b = load(pb); EACH(2) r.u64[i] = a.u64[i] & b.u64[i]; break;
  case OP_V128_ANDNOT: a = load(pa); b = load(pb); EACH(2) r.u64[i] = a.u64[i] & ~b.u64[i]; break;
  case OP_V128_OR: a = load(pa); b = load(pb); EACH(2) r.u64[i] = a.u64[i] | b.u64[i]; break;
  case OP_V128_XOR: a = load(pa); b = load(pb); EACH(2) r.u64[i] = a.u64[i] ^ b.u64[i]; break;
  case OP_V128_BITSELECT: {
    v128 c = load(pc);
    a = load(pa); b = load(pb);
    EACH(2) r.u64[i] = (a.u64[i] & c.u64[i]) | (b.u64[i] & ~c.u64[i]);
    break;
  }
  case OP_V128_ANY_TRUE: a = load(pa); dst[0] = (a.u64[0] | a.u64[1]) != 0; return;

  /* ---- integer lanes ------------------------------------------------------------------ */
#define ALL_TRUE(ID, n, f) case OP_##ID: { a = load(pa); uint32_t t = 1; EACH(n) t &= a.f[i] != 0; dst[0] = t; return; }
  ALL_TRUE(I8X16_ALL_TRUE, 16, u8) ALL_TRUE(I16X8_ALL_TRUE, 8, u16) ALL_TRUE(I32X4_ALL_TRUE, 4, u32)
  ALL_TRUE(I64X2_ALL_TRUE, 2, u64)
#undef ALL_TRUE
#define BITMASK(ID, n, f) case OP_##ID: { a = load(pa); uint32_t m = 0; EACH(n) m |= (uint32_t)(a.f[i] < 0) << i; dst[0] = m; return; }
  BITMASK(I8X16_BITMASK, 16, i8) BITMASK(I16X8_BITMASK, 8, i16) BITMASK(I32X4_BITMASK, 4, i32)
  BITMASK(I64X2_BITMASK, 2, i64)
#undef BITMASK
#define UNI(ID, n, f, expr) case OP_##ID: a = load(pa); EACH(n) r.f[i] = (expr); break;
#define BINI(ID, n, f, expr) case OP_##ID: a = load(pa); b = load(pb); EACH(n) r.f[i] = (expr); break;
  UNI(I8X16_ABS, 16, u8, (uint8_t)(a.i8[i] < 0 ? -a.i8[i] : a.i8[i]))
  UNI(I16X8_ABS, 8, u16, (uint16_t)(a.i16[i] < 0 ? -a.i16[i] : a.i16[i]))
  UNI(I32X4_ABS, 4, u32, a.i32[i] < 0 ? 0u - a.u32[i] : a.u32[i])
  UNI(I64X2_ABS, 2, u64, a.i64[i] < 0 ? 0ull - a.u64[i] : a.u64[i])
  UNI(I8X16_NEG, 16, u8, (uint8_t)(0u - a.u8[i]))
  UNI(I16X8_NEG, 8, u16, (uint16_t)(0u - a.u16[i]))
  UNI(I32X4_NEG, 4, u32, 0u - a.u32[i])
  UNI(I64X2_NEG, 2, u64, 0ull - a.u64[i])
  UNI(I8X16_POPCNT, 16, u8, (uint8_t)__builtin_popcount(a.u8[i]))
  BINI(I8X16_ADD, 16, u8, (uint8_t)(a.u8[i] + b.u8[i]))
  BINI(I16X8_ADD, 8, u16, (uint16_t)(a.u16[i] + b.u16[i]))
  BINI(I32X4_ADD, 4, u32, a.u32[i] + b.u32[i])
  BINI(I64X2_ADD, 2, u64, a.u64[i] + b.u64[i])
  BINI(I8X16_SUB, 16, u8, (uint8_t)(a.u8[i] - b.u8[i]))
  BINI(I16X8_SUB, 8, u16, (uint16_t)(a.u16[i] - b.u16[i]))
  BINI(I32X4_SUB, 4, u32, a.u32[i] - b.u32[i])
  BINI(I64X2_SUB, 2, u64, a.u64[i] - b.u64[i])
  BINI(I16X8_MUL, 8, u16, (uint16_t)((uint32_t)a.u16[i] * b.u16[i]))
  BINI(I32X4_MUL, 4, u32, a.u32[i] * b.u32[i])
  BINI(I64X2_MUL, 2, u64, a.u64[i] * b.u64[i])
  BINI(I8X16_ADD_SAT_S, 16, i8, sat_s8(a.i8[i] + b.i8[i]))
  BINI(I8X16_ADD_SAT_U, 16, u8, sat_u8(a.u8[i] + b.u8[i]))
  BINI(I8X16_SUB_SAT_S, 16, i8, sat_s8(a.i8[i] - b.i8[i]))
  BINI(I8X16_SUB_SAT_U, 16, u8, sat_u8(a.u8[i] - b.u8[i]))
  BINI(I16X8_ADD_SAT_S, 8, i16, sat_s16(a.i16[i] + b.i16[i]))
  BINI(I16X8_ADD_SAT_U, 8, u16, sat_u16(a.u16[i] + b.u16[i]))
  BINI(I16X8_SUB_SAT_S, 8, i16, sat_s16(a.i16[i] - b.i16[i]))
  BINI(I16X8_SUB_SAT_U, 8, u16, sat_u16(a.u16[i] - b.u16[i]))
  BINI(I8X16_MIN_S, 16, i8, a.i8[i] < b.i8[i] ? a.i8[i] : b.i8[i])
  BINI(I8X16_MIN_U, 16, u8, a.u8[i] < b.u8[i] ? a.u8[i] : b.u8[i])
  BINI(I8X16_MAX_S, 16, i8, a.i8[i] > b.i8[i] ? a.i8[i] : b.i8[i])
  BINI(I8X16_MAX_U, 16, u8, a.u8[i] > b.u8[i] ? a.u8[i] : b.u8[i])
  BINI(I16X8_MIN_S, 8, i16, a.i16[i] < b.i16[i] ? a.i16[i] : b.i16[i])
  BINI(I16X8_MIN_U, 8, u16, a.u16[i] < b.u16[i] ? a.u16[i] : b.u16[i])
  BINI(I16X8_MAX_S, 8, i16, a.i16[i] > b.i16[i] ? a.i16[i] : b.i16[i])
  BINI(I16X8_MAX_U, 8, u16, a.u16[i] > b.u16[i] ? a.u16[i] : b.u16[i])
  BINI(I32X4_MIN_S, 4, i32, a.i32[i] < b.i32[i] ? a.i32[i] : b.i32[i])
  BINI(I32X4_MIN_U, 4, u32, a.u32[i] < b.u32[i] ? a.u32[i] : b.u32[i])
  BINI(I32X4_MAX_S, 4, i32, a.i32[i] > b.i32[i] ? a.i32[i] : b.i32[i])
  BINI(I32X4_MAX_U, 4, u32, a.u32[i] > b.u32[i] ? a.u32[i] : b.u32[i])
  BINI(I8X16_AVGR_U, 16, u8, (uint8_t)((a.u8[i] + b.u8[i] + 1) >> 1))
  BINI(I16X8_AVGR_U, 8, u16, (uint16_t)((a.u16[i] + b.u16[i] + 1) >> 1))
  BINI(I16X8_Q15MULR_SAT_S, 8, i16, sat_s16((a.i16[i] * b.i16[i] + 0x4000) >> 15))
#undef UNI
#undef BINI
  /* shifts take the count from an i32 operand, modulo the lane width */
#define SHIFT(ID, n, f, bits, op) case OP_##ID: a = load(pa); EACH(n) r.f[i] = (__typeof__(r.f[0]))(a.f[i] op ((uint32_t)pb[0] & (bits - 1))); break;
  SHIFT(I8X16_SHL, 16, u8, 8, <<) SHIFT(I8X16_SHR_S, 16, i8, 8, >>) SHIFT(I8X16_SHR_U, 16, u8, 8, >>)
  SHIFT(I16X8_SHL, 8, u16, 16, <<) SHIFT(I16X8_SHR_S, 8, i16, 16, >>) SHIFT(I16X8_SHR_U, 8, u16, 16, >>)
  SHIFT(I32X4_SHL, 4, u32, 32, <<) SHIFT(I32X4_SHR_S, 4, i32, 32, >>) SHIFT(I32X4_SHR_U, 4, u32, 32, >>)
  SHIFT(I64X2_SHL, 2, u64, 64, <<) SHIFT(I64X2_SHR_S, 2, i64, 64, >>) SHIFT(I64X2_SHR_U, 2, u64, 64, >>)
#undef SHIFT
  /* narrowing with saturation: a fills the low half, b the high half */
  case OP_I8X16_NARROW_I16X8_S: a = load(pa); b = load(pb); EACH(8) { r.i8[i] = sat_s8(a.i16[i]); r.i8[i + 8] = sat_s8(b.i16[i]); } break;
  case OP_I8X16_NARROW_I16X8_U: a = load(pa); b = load(pb); EACH(8) { r.u8[i] = sat_u8(a.i16[i]); r.u8[i + 8] = sat_u8(b.i16[i]); } break;
  case OP_I16X8_NARROW_I32X4_S:
    a = load(pa); b = load(pb);
    EACH(4) {
      r.i16[i] = (int16_t)(a.i32[i] < -32768 ? -32768 : a.i32[i] > 32767 ? 32767 : a.i32[i]);
      r.i16[i + 4] = (int16_t)(b.i32[i] < -32768 ? -32768 : b.i32[i] > 32767 ? 32767 : b.i32[i]);
    }
    break;
  case OP_I16X8_NARROW_I32X4_U:
    a = load(pa); b = load(pb);
    EACH(4) {
      r.u16[i] = (uint16_t)(a.i32[i] < 0 ? 0 : a.i32[i] > 65535 ? 65535 : a.i32[i]);
      r.u16[i + 4] = (uint16_t)(b.i32[i] < 0 ? 0 : b.i32[i] > 65535 ? 65535 : b.i32[i]);
    }
    break;
  /* widening */
#define EXTEND(ID, n, to, from, off) case OP_##ID: a = load(pa); EACH(n) r.to[i] = a.from[i + (off)]; break;
  EXTEND(I16X8_EXTEND_LOW_I8X16_S, 8, i16, i8, 0) EXTEND(I16X8_EXTEND_HIGH_I8X16_S, 8, i16, i8, 8)
  EXTEND(I16X8_EXTEND_LOW_I8X16_U, 8, u16, u8, 0) EXTEND(I16X8_EXTEND_HIGH_I8X16_U, 8, u16, u8, 8)
  EXTEND(I32X4_EXTEND_LOW_I16X8_S, 4, i32, i16, 0) EXTEND(I32X4_EXTEND_HIGH_I16X8_S, 4, i32, i16, 4)
  EXTEND(I32X4_EXTEND_LOW_I16X8_U, 4, u32, u16, 0) EXTEND(I32X4_EXTEND_HIGH_I16X8_U, 4, u32, u16, 4)
  EXTEND(I64X2_EXTEND_LOW_I32X4_S, 2, i64, i32, 0) EXTEND(I64X2_EXTEND_HIGH_I32X4_S, 2, i64, i32, 2)
  EXTEND(I64X2_EXTEND_LOW_I32X4_U, 2, u64, u32, 0) EXTEND(I64X2_EXTEND_HIGH_I32X4_U, 2, u64, u32, 2)
#undef EXTEND
#define EXTMUL(ID, n, to, from, wide, off) case OP_##ID: a = load(pa); b = load(pb); EACH(n) r.to[i] = (wide)a.from[i + (off)] * (wide)b.from[i + (off)]; break;
  EXTMUL(I16X8_EXTMUL_LOW_I8X16_S, 8, i16, i8, int32_t, 0) EXTMUL(I16X8_EXTMUL_HIGH_I8X16_S, 8, i16, i8, int32_t, 8)
  EXTMUL(I16X8_EXTMUL_LOW_I8X16_U, 8, u16, u8, uint32_t, 0) EXTMUL(I16X8_EXTMUL_HIGH_I8X16_U, 8, u16, u8, uint32_t, 8)
  EXTMUL(I32X4_EXTMUL_LOW_I16X8_S, 4, i32, i16, int32_t, 0) EXTMUL(I32X4_EXTMUL_HIGH_I16X8_S, 4, i32, i16, int32_t, 4)
  EXTMUL(I32X4_EXTMUL_LOW_I16X8_U, 4, u32, u16, uint32_t, 0) EXTMUL(I32X4_EXTMUL_HIGH_I16X8_U, 4, u32, u16, uint32_t, 4)
  EXTMUL(I64X2_EXTMUL_LOW_I32X4_S, 2, i64, i32, int64_t, 0) EXTMUL(I64X2_EXTMUL_HIGH_I32X4_S, 2, i64, i32, int64_t, 2)
  EXTMUL(I64X2_EXTMUL_LOW_I32X4_U, 2, u64, u32, uint64_t, 0) EXTMUL(I64X2_EXTMUL_HIGH_I32X4_U, 2, u64, u32, uint64_t, 2)
#undef EXTMUL
  case OP_I16X8_EXTADD_PAIRWISE_I8X16_S: a = load(pa); EACH(8) r.i16[i] = (int16_t)(a.i8[2 * i] + a.i8[2 * i + 1]); break;
  case OP_I16X8_EXTADD_PAIRWISE_I8X16_U: a = load(pa); EACH(8) r.u16[i] = (uint16_t)(a.u8[2 * i] + a.u8[2 * i + 1]); break;
  case OP_I32X4_EXTADD_PAIRWISE_I16X8_S: a = load(pa); EACH(4) r.i32[i] = a.i16[2 * i] + a.i16[2 * i + 1]; break;
  case OP_I32X4_EXTADD_PAIRWISE_I16X8_U: a = load(pa); EACH(4) r.u32[i] = (uint32_t)a.u16[2 * i] + a.u16[2 * i + 1]; break;
  case OP_I32X4_DOT_I16X8_S:
    a = load(pa); b = load(pb);
    EACH(4) r.u32[i] = (uint32_t)(a.i16[2 * i] * b.i16[2 * i]) + (uint32_t)(a.i16[2 * i + 1] * b.i16[2 * i + 1]);
    break;

  /* ---- float lanes ----------------------------------------------------------------------- */
#define FUN(ID, n, f, expr) case OP_##ID: a = load(pa); EACH(n) r.f[i] = (expr); break;
#define FBIN(ID, n, f, expr) case OP_##ID: a = load(pa); b = load(pb); EACH(n) r.f[i] = (expr); break;
  FUN(F32X4_ABS, 4, u32, a.u32[i] & 0x7FFFFFFFu) FUN(F32X4_NEG, 4, u32, a.u32[i] ^ 0x80000000u)
  FUN(F64X2_ABS, 2, u64, a.u64[i] & 0x7FFFFFFFFFFFFFFFull) FUN(F64X2_NEG, 2, u64, a.u64[i] ^ 0x8000000000000000ull)
  FUN(F32X4_SQRT, 4, f32, sqrtf(a.f32[i])) FUN(F64X2_SQRT, 2, f64, sqrt(a.f64[i]))
  FUN(F32X4_CEIL, 4, f32, qceilf(a.f32[i])) FUN(F32X4_FLOOR, 4, f32, qfloorf(a.f32[i]))
  FUN(F32X4_TRUNC, 4, f32, qtruncf(a.f32[i])) FUN(F32X4_NEAREST, 4, f32, qnearbyintf(a.f32[i]))
  FUN(F64X2_CEIL, 2, f64, qceil(a.f64[i])) FUN(F64X2_FLOOR, 2, f64, qfloor(a.f64[i]))
  FUN(F64X2_TRUNC, 2, f64, qtrunc(a.f64[i])) FUN(F64X2_NEAREST, 2, f64, qnearbyint(a.f64[i]))
  FBIN(F32X4_ADD, 4, f32, a.f32[i] + b.f32[i]) FBIN(F32X4_SUB, 4, f32, a.f32[i] - b.f32[i])
  FBIN(F32X4_MUL, 4, f32, a.f32[i] * b.f32[i]) FBIN(F32X4_DIV, 4, f32, a.f32[i] / b.f32[i])
  FBIN(F64X2_ADD, 2, f64, a.f64[i] + b.f64[i]) FBIN(F64X2_SUB, 2, f64, a.f64[i] - b.f64[i])
  FBIN(F64X2_MUL, 2, f64, a.f64[i] * b.f64[i]) FBIN(F64X2_DIV, 2, f64, a.f64[i] / b.f64[i])
  FBIN(F32X4_MIN, 4, f32, fmin32(a.f32[i], b.f32[i])) FBIN(F32X4_MAX, 4, f32, fmax32(a.f32[i], b.f32[i]))
  FBIN(F64X2_MIN, 2, f64, fmin64(a.f64[i], b.f64[i])) FBIN(F64X2_MAX, 2, f64, fmax64(a.f64[i], b.f64[i]))
  /* pmin(a, b) = b < a ? b : a ; pmax(a, b) = a < b ? b : a (bit patterns kept) */
  FBIN(F32X4_PMIN, 4, u32, b.f32[i] < a.f32[i] ? b.u32[i] : a.u32[i])
  FBIN(F32X4_PMAX, 4, u32, a.f32[i] < b.f32[i] ? b.u32[i] : a.u32[i])
  FBIN(F64X2_PMIN, 2, u64, b.f64[i] < a.f64[i] ? b.u64[i] : a.u64[i])
  FBIN(F64X2_PMAX, 2, u64, a.f64[i] < b.f64[i] ? b.u64[i] : a.u64[i])
#undef FUN
#undef FBIN
  case OP_I32X4_TRUNC_SAT_F32X4_S: a = load(pa); EACH(4) r.i32[i] = trunc_sat_s32(a.f32[i]); break;
  case OP_I32X4_TRUNC_SAT_F32X4_U: a = load(pa); EACH(4) r.u32[i] = trunc_sat_u32(a.f32[i]); break;
  case OP_I32X4_TRUNC_SAT_F64X2_S_ZERO: a = load(pa); EACH(2) r.i32[i] = trunc_sat_s32(a.f64[i]); break;
  case OP_I32X4_TRUNC_SAT_F64X2_U_ZERO: a = load(pa); EACH(2) r.u32[i] = trunc_sat_u32(a.f64[i]); break;
  case OP_F32X4_CONVERT_I32X4_S: a = load(pa); EACH(4) r.f32[i] = (float)a.i32[i]; break;
  case OP_F32X4_CONVERT_I32X4_U: a = load(pa); EACH(4) r.f32[i] = (float)a.u32[i]; break;
  case OP_F64X2_CONVERT_LOW_I32X4_S: a = load(pa); EACH(2) r.f64[i] = (double)a.i32[i]; break;
  case OP_F64X2_CONVERT_LOW_I32X4_U: a = load(pa); EACH(2) r.f64[i] = (double)a.u32[i]; break;
  case OP_F32X4_DEMOTE_F64X2_ZERO: a = load(pa); EACH(2) r.f32[i] = (float)a.f64[i]; break;
  case OP_F64X2_PROMOTE_LOW_F32X4: a = load(pa); EACH(2) r.f64[i] = (double)a.f32[i]; break;
  default:
    break; /* the translator only emits the operations above */
  }
  memcpy(dst, &r, 16);
}

void simd_load(wm_opcode op, unsigned lane, uint64_t *dst, const uint8_t *mem, const uint64_t *old) {
  v128 r, src;
  memset(&r, 0, sizeof r);
  switch (op) {
  case OP_V128_LOAD: memcpy(&r, mem, 16); break;
#define LOADX(ID, n, to, from, ctype) case OP_##ID: { ctype tmp[n]; memcpy(tmp, mem, sizeof tmp); EACH(n) r.to[i] = tmp[i]; break; }
  LOADX(V128_LOAD8X8_S, 8, i16, i8, int8_t) LOADX(V128_LOAD8X8_U, 8, u16, u8, uint8_t)
  LOADX(V128_LOAD16X4_S, 4, i32, i16, int16_t) LOADX(V128_LOAD16X4_U, 4, u32, u16, uint16_t)
  LOADX(V128_LOAD32X2_S, 2, i64, i32, int32_t) LOADX(V128_LOAD32X2_U, 2, u64, u32, uint32_t)
#undef LOADX
  case OP_V128_LOAD8_SPLAT: EACH(16) r.u8[i] = mem[0]; break;
  case OP_V128_LOAD16_SPLAT: { uint16_t v; memcpy(&v, mem, 2); EACH(8) r.u16[i] = v; break; }
  case OP_V128_LOAD32_SPLAT: { uint32_t v; memcpy(&v, mem, 4); EACH(4) r.u32[i] = v; break; }
  case OP_V128_LOAD64_SPLAT: { uint64_t v; memcpy(&v, mem, 8); EACH(2) r.u64[i] = v; break; }
  case OP_V128_LOAD32_ZERO: memcpy(&r.u32[0], mem, 4); break;
  case OP_V128_LOAD64_ZERO: memcpy(&r.u64[0], mem, 8); break;
  case OP_V128_LOAD8_LANE: src = load(old); r = src; r.u8[lane] = mem[0]; break;
  case OP_V128_LOAD16_LANE: src = load(old); r = src; memcpy(&r.u16[lane], mem, 2); break;
  case OP_V128_LOAD32_LANE: src = load(old); r = src; memcpy(&r.u32[lane], mem, 4); break;
  case OP_V128_LOAD64_LANE: src = load(old); r = src; memcpy(&r.u64[lane], mem, 8); break;
  default: break;
  }
  memcpy(dst, &r, 16);
}

void simd_store(wm_opcode op, unsigned lane, uint8_t *mem, const uint64_t *v) {
  v128 a = load(v);
  switch (op) {
  case OP_V128_STORE: memcpy(mem, &a, 16); break;
  case OP_V128_STORE8_LANE: mem[0] = a.u8[lane]; break;
  case OP_V128_STORE16_LANE: memcpy(mem, &a.u16[lane], 2); break;
  case OP_V128_STORE32_LANE: memcpy(mem, &a.u32[lane], 4); break;
  case OP_V128_STORE64_LANE: memcpy(mem, &a.u64[lane], 8); break;
  default: break;
  }
}
