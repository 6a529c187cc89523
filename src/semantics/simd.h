/*
 * simd.h — the semantics of the 128-bit SIMD instructions (simd.c), shared
 * by the interpreter's SIMD handlers and the AOT tier's out-of-line SIMD
 * helper. Part of the semantics layer beneath both tiers.
 */
#ifndef WRUN_SEMANTICS_SIMD_H
#define WRUN_SEMANTICS_SIMD_H

#include <stdbool.h>
#include <stdint.h>

#include "binary/opcodes.h"

/* SIMD semantics (simd.c): op is a wm_opcode of the 0xFD group. Operands are
 * slot pointers; v128 values occupy two slots, scalars one. */
void simd_exec(wm_opcode op, unsigned lane, uint64_t *dst, const uint64_t *a, const uint64_t *b,
               const uint64_t *c);
/* SIMD operations that one SSE2 (x86-64) or NEON (AArch64) instruction
 * computes exactly as the spec says: (id, lane kind for tests: 0 integer,
 * 32/64 float, the SSE2 expression, the NEON expression), over operands a
 * and b and with simd.c's helpers (FPS/FPD: a float SSE2 op on integer
 * registers; N(t, e): a NEON result of lane type t as bytes; U16(x) and so
 * on: the operand as that lane type). Integer lanes wrap or saturate as the
 * spec says; compares give all-ones lanes; avgr_u is (a + b + 1) >> 1 (pavg,
 * urhadd); float lanes are IEEE (a NaN result is a quiet NaN, all the spec
 * asks); pmin(a, b) is `b < a ? b : a`, which is minps with the operands
 * swapped (minps returns its second operand unless the first is smaller) and a
 * compare-and-select on NEON; pmax likewise. */
#define SEM_SIMD_NATIVE(X)                                                                         \
  X(V128_AND, 0, _mm_and_si128(a, b), vandq_u8(a, b))                                               \
  X(V128_OR, 0, _mm_or_si128(a, b), vorrq_u8(a, b))                                                  \
  X(V128_XOR, 0, _mm_xor_si128(a, b), veorq_u8(a, b))                                                \
  X(V128_ANDNOT, 0, _mm_andnot_si128(b, a), vbicq_u8(a, b))                                          \
  X(I8X16_ADD, 0, _mm_add_epi8(a, b), vaddq_u8(a, b))                                                \
  X(I16X8_ADD, 0, _mm_add_epi16(a, b), N(u16, vaddq_u16(U16(a), U16(b))))                            \
  X(I32X4_ADD, 0, _mm_add_epi32(a, b), N(u32, vaddq_u32(U32(a), U32(b))))                            \
  X(I64X2_ADD, 0, _mm_add_epi64(a, b), N(u64, vaddq_u64(U64(a), U64(b))))                            \
  X(I8X16_SUB, 0, _mm_sub_epi8(a, b), vsubq_u8(a, b))                                                \
  X(I16X8_SUB, 0, _mm_sub_epi16(a, b), N(u16, vsubq_u16(U16(a), U16(b))))                            \
  X(I32X4_SUB, 0, _mm_sub_epi32(a, b), N(u32, vsubq_u32(U32(a), U32(b))))                            \
  X(I64X2_SUB, 0, _mm_sub_epi64(a, b), N(u64, vsubq_u64(U64(a), U64(b))))                            \
  X(I8X16_ADD_SAT_S, 0, _mm_adds_epi8(a, b), N(s8, vqaddq_s8(S8(a), S8(b))))                         \
  X(I8X16_ADD_SAT_U, 0, _mm_adds_epu8(a, b), vqaddq_u8(a, b))                                        \
  X(I16X8_ADD_SAT_S, 0, _mm_adds_epi16(a, b), N(s16, vqaddq_s16(S16(a), S16(b))))                    \
  X(I16X8_ADD_SAT_U, 0, _mm_adds_epu16(a, b), N(u16, vqaddq_u16(U16(a), U16(b))))                    \
  X(I8X16_SUB_SAT_S, 0, _mm_subs_epi8(a, b), N(s8, vqsubq_s8(S8(a), S8(b))))                         \
  X(I8X16_SUB_SAT_U, 0, _mm_subs_epu8(a, b), vqsubq_u8(a, b))                                        \
  X(I16X8_SUB_SAT_S, 0, _mm_subs_epi16(a, b), N(s16, vqsubq_s16(S16(a), S16(b))))                    \
  X(I16X8_SUB_SAT_U, 0, _mm_subs_epu16(a, b), N(u16, vqsubq_u16(U16(a), U16(b))))                    \
  X(I16X8_MUL, 0, _mm_mullo_epi16(a, b), N(u16, vmulq_u16(U16(a), U16(b))))                          \
  X(I8X16_AVGR_U, 0, _mm_avg_epu8(a, b), vrhaddq_u8(a, b))                                           \
  X(I16X8_AVGR_U, 0, _mm_avg_epu16(a, b), N(u16, vrhaddq_u16(U16(a), U16(b))))                       \
  X(I8X16_MIN_U, 0, _mm_min_epu8(a, b), vminq_u8(a, b))                                              \
  X(I8X16_MAX_U, 0, _mm_max_epu8(a, b), vmaxq_u8(a, b))                                              \
  X(I16X8_MIN_S, 0, _mm_min_epi16(a, b), N(s16, vminq_s16(S16(a), S16(b))))                          \
  X(I16X8_MAX_S, 0, _mm_max_epi16(a, b), N(s16, vmaxq_s16(S16(a), S16(b))))                          \
  X(I8X16_EQ, 0, _mm_cmpeq_epi8(a, b), vceqq_u8(a, b))                                               \
  X(I16X8_EQ, 0, _mm_cmpeq_epi16(a, b), N(u16, vceqq_u16(U16(a), U16(b))))                           \
  X(I32X4_EQ, 0, _mm_cmpeq_epi32(a, b), N(u32, vceqq_u32(U32(a), U32(b))))                           \
  X(I8X16_GT_S, 0, _mm_cmpgt_epi8(a, b), vcgtq_s8(S8(a), S8(b)))                                     \
  X(I16X8_GT_S, 0, _mm_cmpgt_epi16(a, b), N(u16, vcgtq_s16(S16(a), S16(b))))                         \
  X(I32X4_GT_S, 0, _mm_cmpgt_epi32(a, b), N(u32, vcgtq_s32(S32(a), S32(b))))                         \
  X(I8X16_LT_S, 0, _mm_cmplt_epi8(a, b), vcltq_s8(S8(a), S8(b)))                                     \
  X(I16X8_LT_S, 0, _mm_cmplt_epi16(a, b), N(u16, vcltq_s16(S16(a), S16(b))))                         \
  X(I32X4_LT_S, 0, _mm_cmplt_epi32(a, b), N(u32, vcltq_s32(S32(a), S32(b))))                         \
  X(F32X4_ADD, 32, FPS(_mm_add_ps, a, b), N(f32, vaddq_f32(F32(a), F32(b))))                         \
  X(F32X4_SUB, 32, FPS(_mm_sub_ps, a, b), N(f32, vsubq_f32(F32(a), F32(b))))                         \
  X(F32X4_MUL, 32, FPS(_mm_mul_ps, a, b), N(f32, vmulq_f32(F32(a), F32(b))))                         \
  X(F32X4_DIV, 32, FPS(_mm_div_ps, a, b), N(f32, vdivq_f32(F32(a), F32(b))))                         \
  X(F32X4_PMIN, 32, FPS(_mm_min_ps, b, a), N(f32, vbslq_f32(vcltq_f32(F32(b), F32(a)), F32(b), F32(a)))) \
  X(F32X4_PMAX, 32, FPS(_mm_max_ps, b, a), N(f32, vbslq_f32(vcltq_f32(F32(a), F32(b)), F32(b), F32(a)))) \
  X(F64X2_ADD, 64, FPD(_mm_add_pd, a, b), N(f64, vaddq_f64(F64(a), F64(b))))                         \
  X(F64X2_SUB, 64, FPD(_mm_sub_pd, a, b), N(f64, vsubq_f64(F64(a), F64(b))))                         \
  X(F64X2_MUL, 64, FPD(_mm_mul_pd, a, b), N(f64, vmulq_f64(F64(a), F64(b))))                         \
  X(F64X2_DIV, 64, FPD(_mm_div_pd, a, b), N(f64, vdivq_f64(F64(a), F64(b))))                         \
  X(F64X2_PMIN, 64, FPD(_mm_min_pd, b, a), N(f64, vbslq_f64(vcltq_f64(F64(b), F64(a)), F64(b), F64(a)))) \
  X(F64X2_PMAX, 64, FPD(_mm_max_pd, b, a), N(f64, vbslq_f64(vcltq_f64(F64(a), F64(b)), F64(b), F64(a))))

/* The two halves of simd_exec, for tests that compare them: the intrinsics
 * (SSE2 or NEON) for the ops whose instruction matches the spec exactly
 * (false, nothing written, for any other op or host), and the portable C
 * semantics of every op. */
bool simd_exec_native(wm_opcode op, uint64_t *dst, const uint64_t *a, const uint64_t *b);
void simd_exec_portable(wm_opcode op, unsigned lane, uint64_t *dst, const uint64_t *a, const uint64_t *b,
                        const uint64_t *c);
/* Loads for the v128.load* family from `mem` (already bounds-checked); `old`
 * is the vector operand of the *_lane forms. */
void simd_load(wm_opcode op, unsigned lane, uint64_t *dst, const uint8_t *mem, const uint64_t *old);
/* Stores v128.store and v128.storeN_lane. */
void simd_store(wm_opcode op, unsigned lane, uint8_t *mem, const uint64_t *v);

#endif
