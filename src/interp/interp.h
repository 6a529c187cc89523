/*
 * interp.h — the interpreter's instruction format, shared by the translator
 * (translate.c) and the dispatch loop (exec.c).
 *
 * A translated function is an array of 8-byte cells. Each instruction starts
 * with the address of its handler (computed goto) followed by operand cells.
 * Operands are frame slot numbers (two 32-bit numbers per cell), 64-bit
 * immediates, or pointers resolved at translation (branch targets, callees,
 * globals, tables). The frame is an array of 64-bit slots: parameters, then
 * locals, then one slot per operand-stack position (a v128 takes two), so the
 * wasm operand stack never exists at run time: every instruction names the
 * slots it reads and writes.
 */
#ifndef WRUN_INTERP_INTERP_H
#define WRUN_INTERP_INTERP_H

#include <stdbool.h>
#include <stdint.h>

#include "binary/opcodes.h"
#include "runtime/rt.h"

typedef union cell {
  const void *h;                 /* handler address */
  uint64_t u;
  int64_t i;
  struct { int32_t a, b; } p;    /* two slot numbers */
  void *ptr;
  union cell *target;            /* branch target */
} cell;

struct interp_code {
  cell *code;
  uint32_t ncode;
  uint32_t nslots;               /* frame size in slots, including callee argument areas */
  wrun_memory *mem0;             /* the instance's memory 0 (NULL if none), cached for the loop */
};

/* Internal instructions beyond the wasm opcodes (which keep their OP_* ids for
 * the numeric instructions that map one to one). Listed once here; exec.c
 * defines a handler for each. */
#define INTERP_EXTRA_OPS(X)                                                                          \
  X(COPY) X(COPY2) X(COPY_PAIR) X(CONST) X(CONST2) X(ZERO) X(BR) X(BR_IF) X(BR_UNLESS) X(BR_TABLE) X(RETURN)     \
  X(CALL) X(CALL_WASM) X(CALL_WASM_MOV) X(CALL_INDIRECT) X(SELECT1) X(SELECT2) X(GLOBAL_GET1) X(GLOBAL_GET2) X(GLOBAL_SET1)       \
  X(GLOBAL_SET2) X(SIMD) X(SIMD_LOAD) X(SIMD_STORE) X(TRAP) X(CHECK)                               \
  X(F64_MULADD) X(F64_MULSUB) X(F64_SUBMUL) X(ADDK_BR_IF) X(ADDK_BR_UNLESS)

/* The i32 compares that fuse with a following branch, in four families of
 * INTERP_NCMP ops each, laid out in this order in the enum so a family is an
 * offset from another: BR_I32_x (two slots), BR_I32_x_K (slot and immediate),
 * and ADDK_BR_x / ADDK_BR_x_K, which first add an immediate to a slot, store
 * the sum, and compare the sum (the loop-counter idiom `i += k; if (i != n)`). */
#define INTERP_BR_CMPS(X)                                                                             \
  X(EQ, u32, ==) X(NE, u32, !=) X(LT_S, i32, <) X(LT_U, u32, <) X(GT_S, i32, >) X(GT_U, u32, >)      \
  X(LE_S, i32, <=) X(LE_U, u32, <=) X(GE_S, i32, >=) X(GE_U, u32, >=)
#define INTERP_NCMP 10

/* The other compares that fuse with a following branch: each gets BRT_ (branch
 * when true) and BRF_ (branch when false; for floats not the same as the
 * opposite compare, because of NaN), each with a slot or an immediate right
 * operand, in the enum in that order: BRT_x, BRF_x, BRT_x_K, BRF_x_K. */
#define INTERP_CMP_BRANCHES(X)                                                                        \
  X(I64_EQ, u64, ==) X(I64_NE, u64, !=) X(I64_LT_S, i64, <) X(I64_LT_U, u64, <)                       \
  X(I64_GT_S, i64, >) X(I64_GT_U, u64, >) X(I64_LE_S, i64, <=) X(I64_LE_U, u64, <=)                   \
  X(I64_GE_S, i64, >=) X(I64_GE_U, u64, >=)                                                           \
  X(F32_EQ, f32, ==) X(F32_NE, f32, !=) X(F32_LT, f32, <) X(F32_GT, f32, >) X(F32_LE, f32, <=)       \
  X(F32_GE, f32, >=) X(F64_EQ, f64, ==) X(F64_NE, f64, !=) X(F64_LT, f64, <) X(F64_GT, f64, >)       \
  X(F64_LE, f64, <=) X(F64_GE, f64, >=)

/* Integer binary operators that also get a "_K" form whose right operand is
 * an immediate (the local+const+arithmetic superinstructions). */
#define INTERP_INT_BINOPS(X)                                                                          \
  X(I32_ADD, u32, u32, a + b) X(I32_SUB, u32, u32, a - b) X(I32_MUL, u32, u32, a * b)                 \
  X(I32_AND, u32, u32, a & b) X(I32_OR, u32, u32, a | b) X(I32_XOR, u32, u32, a ^ b)                  \
  X(I32_SHL, u32, u32, a << (b & 31)) X(I32_SHR_S, i32, i32, a >> (b & 31))                          \
  X(I32_SHR_U, u32, u32, a >> (b & 31)) X(I32_ROTL, u32, u32, rotl32(a, b))                          \
  X(I32_ROTR, u32, u32, rotr32(a, b))                                                                 \
  X(I32_EQ, u32, u32, a == b) X(I32_NE, u32, u32, a != b) X(I32_LT_S, i32, u32, a < b)               \
  X(I32_LT_U, u32, u32, a < b) X(I32_GT_S, i32, u32, a > b) X(I32_GT_U, u32, u32, a > b)             \
  X(I32_LE_S, i32, u32, a <= b) X(I32_LE_U, u32, u32, a <= b) X(I32_GE_S, i32, u32, a >= b)          \
  X(I32_GE_U, u32, u32, a >= b)                                                                       \
  X(I64_ADD, u64, u64, a + b) X(I64_SUB, u64, u64, a - b) X(I64_MUL, u64, u64, a * b)                 \
  X(I64_AND, u64, u64, a & b) X(I64_OR, u64, u64, a | b) X(I64_XOR, u64, u64, a ^ b)                  \
  X(I64_SHL, u64, u64, a << (b & 63)) X(I64_SHR_S, i64, i64, a >> (b & 63))                          \
  X(I64_SHR_U, u64, u64, a >> (b & 63)) X(I64_ROTL, u64, u64, rotl64(a, b))                          \
  X(I64_ROTR, u64, u64, rotr64(a, b))                                                                 \
  X(I64_EQ, u64, u32, a == b) X(I64_NE, u64, u32, a != b) X(I64_LT_S, i64, u32, a < b)               \
  X(I64_LT_U, u64, u32, a < b) X(I64_GT_S, i64, u32, a > b) X(I64_GT_U, u64, u32, a > b)             \
  X(I64_LE_S, i64, u32, a <= b) X(I64_LE_U, u64, u32, a <= b) X(I64_GE_S, i64, u32, a >= b)          \
  X(I64_GE_U, u64, u32, a >= b)

/* Float arithmetic and compares (also with a "_K" immediate right operand). */
#define INTERP_FLOAT_BINOPS(X)                                                                        \
  X(F32_ADD, f32, f32, a + b) X(F32_SUB, f32, f32, a - b) X(F32_MUL, f32, f32, a * b)                 \
  X(F32_DIV, f32, f32, a / b) X(F32_MIN, f32, f32, fmin32(a, b)) X(F32_MAX, f32, f32, fmax32(a, b))   \
  X(F32_EQ, f32, u32, a == b) X(F32_NE, f32, u32, a != b) X(F32_LT, f32, u32, a < b)                 \
  X(F32_GT, f32, u32, a > b) X(F32_LE, f32, u32, a <= b) X(F32_GE, f32, u32, a >= b)                 \
  X(F64_ADD, f64, f64, a + b) X(F64_SUB, f64, f64, a - b) X(F64_MUL, f64, f64, a * b)                 \
  X(F64_DIV, f64, f64, a / b) X(F64_MIN, f64, f64, fmin64(a, b)) X(F64_MAX, f64, f64, fmax64(a, b))   \
  X(F64_EQ, f64, u32, a == b) X(F64_NE, f64, u32, a != b) X(F64_LT, f64, u32, a < b)                 \
  X(F64_GT, f64, u32, a > b) X(F64_LE, f64, u32, a <= b) X(F64_GE, f64, u32, a >= b)

/* Bitwise float operations work on the raw bits so NaN payloads are kept. */
#define INTERP_BITS_BINOPS(X)                                                                         \
  X(F32_COPYSIGN, u32, u32, (a & 0x7FFFFFFFu) | (b & 0x80000000u))                                    \
  X(F64_COPYSIGN, u64, u64, (a & 0x7FFFFFFFFFFFFFFFull) | (b & 0x8000000000000000ull))

/* Unary operators that cannot trap. */
#define INTERP_UNOPS(X)                                                                               \
  X(I32_EQZ, u32, u32, a == 0) X(I64_EQZ, u64, u32, a == 0)                                           \
  X(I32_CLZ, u32, u32, a ? (uint32_t)__builtin_clz(a) : 32u)                                          \
  X(I32_CTZ, u32, u32, a ? (uint32_t)__builtin_ctz(a) : 32u)                                          \
  X(I32_POPCNT, u32, u32, (uint32_t)__builtin_popcount(a))                                           \
  X(I64_CLZ, u64, u64, a ? (uint64_t)__builtin_clzll(a) : 64u)                                        \
  X(I64_CTZ, u64, u64, a ? (uint64_t)__builtin_ctzll(a) : 64u)                                        \
  X(I64_POPCNT, u64, u64, (uint64_t)__builtin_popcountll(a))                                         \
  X(F32_ABS, u32, u32, a & 0x7FFFFFFFu) X(F32_NEG, u32, u32, a ^ 0x80000000u)                         \
  X(F64_ABS, u64, u64, a & 0x7FFFFFFFFFFFFFFFull) X(F64_NEG, u64, u64, a ^ 0x8000000000000000ull)     \
  X(F32_CEIL, f32, f32, qceilf(a)) X(F32_FLOOR, f32, f32, qfloorf(a)) X(F32_TRUNC, f32, f32, qtruncf(a)) \
  X(F32_NEAREST, f32, f32, qnearbyintf(a)) X(F32_SQRT, f32, f32, sqrtf(a))                            \
  X(F64_CEIL, f64, f64, qceil(a)) X(F64_FLOOR, f64, f64, qfloor(a)) X(F64_TRUNC, f64, f64, qtrunc(a))    \
  X(F64_NEAREST, f64, f64, qnearbyint(a)) X(F64_SQRT, f64, f64, sqrt(a))                              \
  X(I32_WRAP_I64, u64, u32, (uint32_t)a) X(I64_EXTEND_I32_S, i32, i64, (int64_t)a)                    \
  X(I64_EXTEND_I32_U, u32, u64, (uint64_t)a)                                                          \
  X(F32_CONVERT_I32_S, i32, f32, (float)a) X(F32_CONVERT_I32_U, u32, f32, (float)a)                   \
  X(F32_CONVERT_I64_S, i64, f32, (float)a) X(F32_CONVERT_I64_U, u64, f32, (float)a)                   \
  X(F64_CONVERT_I32_S, i32, f64, (double)a) X(F64_CONVERT_I32_U, u32, f64, (double)a)                 \
  X(F64_CONVERT_I64_S, i64, f64, (double)a) X(F64_CONVERT_I64_U, u64, f64, (double)a)                 \
  X(F32_DEMOTE_F64, f64, f32, demote(a)) X(F64_PROMOTE_F32, f32, f64, promote(a))                     \
  X(I32_REINTERPRET_F32, u32, u32, a) X(I64_REINTERPRET_F64, u64, u64, a)                             \
  X(F32_REINTERPRET_I32, u32, u32, a) X(F64_REINTERPRET_I64, u64, u64, a)                             \
  X(I32_EXTEND8_S, u32, u32, (uint32_t)(int32_t)(int8_t)a)                                            \
  X(I32_EXTEND16_S, u32, u32, (uint32_t)(int32_t)(int16_t)a)                                          \
  X(I64_EXTEND8_S, u64, u64, (uint64_t)(int64_t)(int8_t)a)                                            \
  X(I64_EXTEND16_S, u64, u64, (uint64_t)(int64_t)(int16_t)a)                                          \
  X(I64_EXTEND32_S, u64, u64, (uint64_t)(int64_t)(int32_t)a)                                          \
  X(I32_TRUNC_SAT_F32_S, f32, i32, sat_i32(a)) X(I32_TRUNC_SAT_F32_U, f32, u32, sat_u32(a))           \
  X(I32_TRUNC_SAT_F64_S, f64, i32, sat_i32(a)) X(I32_TRUNC_SAT_F64_U, f64, u32, sat_u32(a))           \
  X(I64_TRUNC_SAT_F32_S, f32, i64, sat_i64(a)) X(I64_TRUNC_SAT_F32_U, f32, u64, sat_u64(a))           \
  X(I64_TRUNC_SAT_F64_S, f64, i64, sat_i64(a)) X(I64_TRUNC_SAT_F64_U, f64, u64, sat_u64(a))

/* Instructions whose handler exec.c writes out (traps, memory, tables, refs). */
#define INTERP_SPECIAL_OPS(X)                                                                         \
  X(UNREACHABLE) X(I32_DIV_S) X(I32_DIV_U) X(I32_REM_S) X(I32_REM_U) X(I64_DIV_S) X(I64_DIV_U)        \
  X(I64_REM_S) X(I64_REM_U) X(I32_TRUNC_F32_S) X(I32_TRUNC_F32_U) X(I32_TRUNC_F64_S)                 \
  X(I32_TRUNC_F64_U) X(I64_TRUNC_F32_S) X(I64_TRUNC_F32_U) X(I64_TRUNC_F64_S) X(I64_TRUNC_F64_U)     \
  X(I32_LOAD) X(I64_LOAD) X(F32_LOAD) X(F64_LOAD) X(I32_LOAD8_S) X(I32_LOAD8_U) X(I32_LOAD16_S)      \
  X(I32_LOAD16_U) X(I64_LOAD8_S) X(I64_LOAD8_U) X(I64_LOAD16_S) X(I64_LOAD16_U) X(I64_LOAD32_S)      \
  X(I64_LOAD32_U) X(I32_STORE) X(I64_STORE) X(F32_STORE) X(F64_STORE) X(I32_STORE8) X(I32_STORE16)   \
  X(I64_STORE8) X(I64_STORE16) X(I64_STORE32) X(MEMORY_SIZE) X(MEMORY_GROW) X(MEMORY_INIT)           \
  X(DATA_DROP) X(MEMORY_COPY) X(MEMORY_FILL) X(TABLE_GET) X(TABLE_SET) X(TABLE_SIZE) X(TABLE_GROW)   \
  X(TABLE_FILL) X(TABLE_COPY) X(TABLE_INIT) X(ELEM_DROP) X(REF_IS_NULL)

/* Trapping float -> int conversions: (id, operand, result, lo, hi). The
 * operand, as a double, must be strictly between lo and hi (exclusive
 * bounds, exactly representable), else the conversion overflows; NaN is an
 * invalid conversion. */
#define INTERP_TRUNC_OPS(X)                                                                           \
  X(I32_TRUNC_F32_S, f32, i32, -2147483649.0, 2147483648.0)                                           \
  X(I32_TRUNC_F64_S, f64, i32, -2147483649.0, 2147483648.0)                                           \
  X(I32_TRUNC_F32_U, f32, u32, -1.0, 4294967296.0) X(I32_TRUNC_F64_U, f64, u32, -1.0, 4294967296.0)   \
  X(I64_TRUNC_F32_S, f32, i64, -9223372036854777856.0, 9223372036854775808.0)                         \
  X(I64_TRUNC_F64_S, f64, i64, -9223372036854777856.0, 9223372036854775808.0)                         \
  X(I64_TRUNC_F32_U, f32, u64, -1.0, 18446744073709551616.0)                                          \
  X(I64_TRUNC_F64_U, f64, u64, -1.0, 18446744073709551616.0)

/* Loads and stores (id, C type, size[, conversion of the loaded value v]).
 * Stores also have a "_K" form that stores an immediate value. */
#define INTERP_LOAD_OPS(X)                                                                            \
  X(I32_LOAD, uint32_t, 4, v) X(I64_LOAD, uint64_t, 8, v) X(F32_LOAD, uint32_t, 4, v)                 \
  X(F64_LOAD, uint64_t, 8, v) X(I32_LOAD8_S, int8_t, 1, WR_i32(v)) X(I32_LOAD8_U, uint8_t, 1, WR_u32(v)) \
  X(I32_LOAD16_S, int16_t, 2, WR_i32(v)) X(I32_LOAD16_U, uint16_t, 2, WR_u32(v))                      \
  X(I64_LOAD8_S, int8_t, 1, WR_i64(v)) X(I64_LOAD8_U, uint8_t, 1, WR_u64(v))                          \
  X(I64_LOAD16_S, int16_t, 2, WR_i64(v)) X(I64_LOAD16_U, uint16_t, 2, WR_u64(v))                      \
  X(I64_LOAD32_S, int32_t, 4, WR_i64(v)) X(I64_LOAD32_U, uint32_t, 4, WR_u64(v))
#define INTERP_STORE_OPS(X)                                                                           \
  X(I32_STORE, uint32_t, 4) X(I64_STORE, uint64_t, 8) X(F32_STORE, uint32_t, 4) X(F64_STORE, uint64_t, 8) \
  X(I32_STORE8, uint8_t, 1) X(I32_STORE16, uint16_t, 2) X(I64_STORE8, uint8_t, 1)                     \
  X(I64_STORE16, uint16_t, 2) X(I64_STORE32, uint32_t, 4)

/* Every load and store also has four fused-address forms:
 *   _A  address `slot + k` (an i32.add of a constant):  ea = u32(a + k) + offset
 *   _X  address `slot + slot` (an i32.add):              ea = u32(a + b) + offset
 *   _C  a constant address:                              ea = k + offset
 *   _T  address `slot + k` also kept in a local (local.tee, the p += k; *p idiom):
 *       l = u32(a + k); ea = l + offset
 * each exactly the wasm computation, so no wrap-around behaviour changes. */
#define INTERP_ADDR_FORMS(X, id) X(id##_A) X(id##_X) X(id##_C) X(id##_T)

/* A binary operator whose operand was just shifted or rotated by a constant:
 * (id, outer op, inner _K op, result from the other operand a, the shifted
 * value v and the count k, already masked to 0..31). SHA-style sigma
 * functions and scaled array indexes. */
#define INTERP_SHIFT_FUSIONS(X)                                                                       \
  X(XOR_ROTL, I32_XOR, I32_ROTL, a ^ rotl32(v, k)) X(XOR_ROTR, I32_XOR, I32_ROTR, a ^ rotr32(v, k))   \
  X(XOR_SHRU, I32_XOR, I32_SHR_U, a ^ (v >> k)) X(ADD_SHL, I32_ADD, I32_SHL, a + (v << k))            \
  X(OR_SHL, I32_OR, I32_SHL, a | (v << k))

/* f64 add and mul with an operand loaded just before (id, outer op, C operator). */
#define INTERP_LOAD_FUSIONS(X) X(F64_ADD_M, F64_ADD, +) X(F64_MUL_M, F64_MUL, *)

/* The internal opcode space: every list above, in one enum. */
typedef enum interp_op {
#define X_OP(id, ...) IOP_##id,
#define X_OPK(id, ...) IOP_##id, IOP_##id##_K,
  INTERP_INT_BINOPS(X_OPK) INTERP_FLOAT_BINOPS(X_OPK) INTERP_BITS_BINOPS(X_OP) INTERP_UNOPS(X_OP)
  INTERP_SPECIAL_OPS(X_OP) INTERP_EXTRA_OPS(X_OP) INTERP_SHIFT_FUSIONS(X_OP) INTERP_LOAD_FUSIONS(X_OP)
#define X_ADDR(id, ...) INTERP_ADDR_FORMS(X_OP, id)
#define X_STK(id, ...) IOP_##id##_K,
  INTERP_LOAD_OPS(X_ADDR) INTERP_STORE_OPS(X_ADDR) INTERP_STORE_OPS(X_STK)
#undef X_STK
#define X_BR(id, ...) IOP_BR_I32_##id,
#define X_BRK(id, ...) IOP_BR_I32_##id##_K,
#define X_ABR(id, ...) IOP_ADDK_BR_##id,
#define X_ABRK(id, ...) IOP_ADDK_BR_##id##_K,
  INTERP_BR_CMPS(X_BR) INTERP_BR_CMPS(X_BRK) INTERP_BR_CMPS(X_ABR) INTERP_BR_CMPS(X_ABRK)
#define X_CB(id, ...) IOP_BRT_##id, IOP_BRF_##id, IOP_BRT_##id##_K, IOP_BRF_##id##_K,
  INTERP_CMP_BRANCHES(X_CB)
#undef X_CB
#undef X_BR
#undef X_BRK
#undef X_ABR
#undef X_ABRK
#undef X_ADDR
#undef X_OP
#undef X_OPK
  IOP_COUNT_
} interp_op;

/* The handler address of every internal op (a table inside exec.c). */
const void *const *interp_handlers(void);

/* Translates defined function `f` into threaded code (lazily, on first call). */
bool interp_translate(wrun_store *s, wrun_func *f);

#ifdef WRUN_INTERP_PROFILE
/* Profiling builds only (profile.c): counts the op about to run, and prints
 * the counts when the store is freed. */
void interp_profile_hit(wrun_store *s, const void *h);
void interp_profile_report(wrun_store *s);
#endif

/* SIMD semantics (simd.c): op is a wasm_opcode of the 0xFD group. Operands are
 * slot pointers; v128 values occupy two slots, scalars one. */
void simd_exec(wasm_opcode op, unsigned lane, uint64_t *dst, const uint64_t *a, const uint64_t *b,
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
#define INTERP_SIMD_NATIVE(X)                                                                         \
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
bool simd_exec_native(wasm_opcode op, uint64_t *dst, const uint64_t *a, const uint64_t *b);
void simd_exec_portable(wasm_opcode op, unsigned lane, uint64_t *dst, const uint64_t *a, const uint64_t *b,
                        const uint64_t *c);
/* Loads for the v128.load* family from `mem` (already bounds-checked); `old`
 * is the vector operand of the *_lane forms. */
void simd_load(wasm_opcode op, unsigned lane, uint64_t *dst, const uint8_t *mem, const uint64_t *old);
/* Stores v128.store and v128.storeN_lane. */
void simd_store(wasm_opcode op, unsigned lane, uint8_t *mem, const uint64_t *v);

#endif
