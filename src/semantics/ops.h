/*
 * ops.h — the value semantics of wasm's numeric instructions and plain loads
 * and stores, as X-macro lists: (id, operand type, result type, C expression
 * over a and b). Both execution tiers expand them — the interpreter into its
 * handlers (interp/exec.c), the AOT tier into the out-of-line helper and the
 * truncation range checks its code generators emit (aot/helpers.c,
 * aot/<isa>/) — so the two compute exactly the same results. Part of the
 * semantics layer beneath both tiers (docs/architecture.md); this header
 * names no tier and no instruction set.
 */
#ifndef WRUN_SEMANTICS_OPS_H
#define WRUN_SEMANTICS_OPS_H

#include <math.h>
#include <stdint.h>

#include "semantics/fpmath.h"
#include "semantics/values.h"

/* Integer binary operators that also get a "_K" form whose right operand is
 * an immediate (the local+const+arithmetic superinstructions). */
#define SEM_INT_BINOPS(X)                                                                          \
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
#define SEM_FLOAT_BINOPS(X)                                                                        \
  X(F32_ADD, f32, f32, a + b) X(F32_SUB, f32, f32, a - b) X(F32_MUL, f32, f32, a * b)                 \
  X(F32_DIV, f32, f32, a / b) X(F32_MIN, f32, f32, fmin32(a, b)) X(F32_MAX, f32, f32, fmax32(a, b))   \
  X(F32_EQ, f32, u32, a == b) X(F32_NE, f32, u32, a != b) X(F32_LT, f32, u32, a < b)                 \
  X(F32_GT, f32, u32, a > b) X(F32_LE, f32, u32, a <= b) X(F32_GE, f32, u32, a >= b)                 \
  X(F64_ADD, f64, f64, a + b) X(F64_SUB, f64, f64, a - b) X(F64_MUL, f64, f64, a * b)                 \
  X(F64_DIV, f64, f64, a / b) X(F64_MIN, f64, f64, fmin64(a, b)) X(F64_MAX, f64, f64, fmax64(a, b))   \
  X(F64_EQ, f64, u32, a == b) X(F64_NE, f64, u32, a != b) X(F64_LT, f64, u32, a < b)                 \
  X(F64_GT, f64, u32, a > b) X(F64_LE, f64, u32, a <= b) X(F64_GE, f64, u32, a >= b)

/* Bitwise float operations work on the raw bits so NaN payloads are kept. */
#define SEM_BITS_BINOPS(X)                                                                         \
  X(F32_COPYSIGN, u32, u32, (a & 0x7FFFFFFFu) | (b & 0x80000000u))                                    \
  X(F64_COPYSIGN, u64, u64, (a & 0x7FFFFFFFFFFFFFFFull) | (b & 0x8000000000000000ull))

/* Unary operators that cannot trap. */
#define SEM_UNOPS(X)                                                                               \
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


/* Trapping float -> int conversions: (id, operand, result, lo, hi). The
 * operand, as a double, must be strictly between lo and hi (exclusive
 * bounds, exactly representable), else the conversion overflows; NaN is an
 * invalid conversion. */
#define SEM_TRUNC_OPS(X)                                                                           \
  X(I32_TRUNC_F32_S, f32, i32, -2147483649.0, 2147483648.0)                                           \
  X(I32_TRUNC_F64_S, f64, i32, -2147483649.0, 2147483648.0)                                           \
  X(I32_TRUNC_F32_U, f32, u32, -1.0, 4294967296.0) X(I32_TRUNC_F64_U, f64, u32, -1.0, 4294967296.0)   \
  X(I64_TRUNC_F32_S, f32, i64, -9223372036854777856.0, 9223372036854775808.0)                         \
  X(I64_TRUNC_F64_S, f64, i64, -9223372036854777856.0, 9223372036854775808.0)                         \
  X(I64_TRUNC_F32_U, f32, u64, -1.0, 18446744073709551616.0)                                          \
  X(I64_TRUNC_F64_U, f64, u64, -1.0, 18446744073709551616.0)

/* Loads and stores (id, C type, size[, conversion of the loaded value v]).
 * Stores also have a "_K" form that stores an immediate value. */
#define SEM_LOAD_OPS(X)                                                                            \
  X(I32_LOAD, uint32_t, 4, v) X(I64_LOAD, uint64_t, 8, v) X(F32_LOAD, uint32_t, 4, v)                 \
  X(F64_LOAD, uint64_t, 8, v) X(I32_LOAD8_S, int8_t, 1, WR_i32(v)) X(I32_LOAD8_U, uint8_t, 1, WR_u32(v)) \
  X(I32_LOAD16_S, int16_t, 2, WR_i32(v)) X(I32_LOAD16_U, uint16_t, 2, WR_u32(v))                      \
  X(I64_LOAD8_S, int8_t, 1, WR_i64(v)) X(I64_LOAD8_U, uint8_t, 1, WR_u64(v))                          \
  X(I64_LOAD16_S, int16_t, 2, WR_i64(v)) X(I64_LOAD16_U, uint16_t, 2, WR_u64(v))                      \
  X(I64_LOAD32_S, int32_t, 4, WR_i64(v)) X(I64_LOAD32_U, uint32_t, 4, WR_u64(v))
#define SEM_STORE_OPS(X)                                                                           \
  X(I32_STORE, uint32_t, 4) X(I64_STORE, uint64_t, 8) X(F32_STORE, uint32_t, 4) X(F64_STORE, uint64_t, 8) \
  X(I32_STORE8, uint8_t, 1) X(I32_STORE16, uint16_t, 2) X(I64_STORE8, uint8_t, 1)                     \
  X(I64_STORE16, uint16_t, 2) X(I64_STORE32, uint32_t, 4)

#endif
