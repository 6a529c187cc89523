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
#include "runtime/tier.h"
#include "semantics/ops.h"
#include "semantics/simd.h"

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
  rt_memory *mem0;             /* the instance's memory 0 (NULL if none), cached for the loop */
  uint32_t *pos;                 /* npos pairs (cell index, module offset), ascending: where each op
                                  * starts and the wasm instruction it came from (trap positions) */
  uint32_t npos;
  uint32_t zero_from, zero_n;    /* slots of declared locals the call zeroes (read before set) */
};

/* The module offset of the wasm instruction at interpreter position `pc`
 * of `c`: the op starting there, or with `after`, the op just before (pc is
 * a return address). UINT32_MAX when pc is not in c. */
uint32_t interp_code_offset(const struct interp_code *c, const void *pc, bool after);

/* Internal instructions beyond the wasm opcodes (which keep their OP_* ids for
 * the numeric instructions that map one to one). Listed once here; exec.c
 * defines a handler for each. */
#define INTERP_EXTRA_OPS(X)                                                                          \
  X(COPY) X(COPY2) X(COPY_PAIR) X(CONST) X(CONST2) X(BR) X(BR_IF) X(BR_UNLESS) X(BR_TABLE) X(RETURN)     \
  X(PAIR_COPY_BR) X(PAIR_CONST_BR) X(PAIR_COPY_RETURN) X(PAIR_ADD_RETURN) X(PAIR_ADDK_RETURN)           \
  X(CALL) X(CALL_WASM) X(CALL_WASM_MOV) X(CALL_WASM_ADDK) X(CALL_INDIRECT) X(SELECT1) X(SELECT2) X(GLOBAL_GET1) X(GLOBAL_GET2) X(GLOBAL_SET1)       \
  X(GLOBAL_SET2) X(SIMD) X(SIMD_LOAD) X(SIMD_STORE) X(TRAP) X(CHECK)                               \
  X(F64_MULADD) X(F64_MULSUB) X(F64_SUBMUL) X(ADDK_BR_IF) X(ADDK_BR_UNLESS) X(ANDK_BR_IF) X(ANDK_BR_UNLESS) \
  X(SHRU_ANDK) X(I32_ADD2K) X(PAIR_ADD_ADD) X(PAIR_ADD_ADDK) X(PAIR_ADDK_ADD) X(PAIR_ADDK_ADDK) \
  X(PAIR_COPY_ADDK) X(TIER) X(F64_ADD_TO_M) X(F64_MULADD_TO_M) X(BR_TABLE_SK) X(BR_TABLE_L32) X(BR_TABLE_L8)

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

/* Every load and store also has four fused-address forms:
 *   _A  address `slot + k` (an i32.add of a constant):  ea = u32(a + k) + offset
 *   _X  address `slot + slot` (an i32.add):              ea = u32(a + b) + offset
 *   _C  a constant address:                              ea = k + offset
 *   _T  address `slot + k` also kept in a local (local.tee, the p += k; *p idiom):
 *       l = u32(a + k); ea = l + offset
 *   _S  address `(slot << s) + k` (an element of a static array, arr[i]):
 *       ea = u32((a << s) + k) + offset
 * each exactly the wasm computation, so no wrap-around behaviour changes. */
#define INTERP_ADDR_FORMS(X, id) X(id##_A) X(id##_X) X(id##_C) X(id##_T) X(id##_S)

/* A binary operator whose operand was just shifted or rotated by a constant:
 * (id, outer op, inner _K op, value type, result from the other operand a,
 * the shifted value v and the count k, already masked to 0..31 or 0..63).
 * SHA-style sigma functions and scaled array indexes (i32); SipHash-style
 * add-rotate-xor rounds, hash finalizers (x ^ x >> k) and the carry and
 * limb-assembly steps of multi-word arithmetic (i64). */
#define INTERP_SHIFT_FUSIONS(X)                                                                       \
  X(XOR_ROTL, I32_XOR, I32_ROTL, u32, a ^ rotl32(v, k)) X(XOR_ROTR, I32_XOR, I32_ROTR, u32, a ^ rotr32(v, k)) \
  X(XOR_SHRU, I32_XOR, I32_SHR_U, u32, a ^ (v >> k)) X(ADD_SHL, I32_ADD, I32_SHL, u32, a + (v << k))  \
  X(OR_SHL, I32_OR, I32_SHL, u32, a | (v << k))                                                       \
  X(XOR_ROTL64, I64_XOR, I64_ROTL, u64, a ^ rotl64(v, k)) X(ADD_ROTL64, I64_ADD, I64_ROTL, u64, a + rotl64(v, k)) \
  X(XOR_SHRU64, I64_XOR, I64_SHR_U, u64, a ^ (v >> k)) X(ADD_SHRU64, I64_ADD, I64_SHR_U, u64, a + (v >> k)) \
  X(OR_SHL64, I64_OR, I64_SHL, u64, a | (v << k))

/* A binary operator whose operand was just masked by a constant (same
 * layout and handler as the shift fusions, k the whole 32-bit mask): the
 * choice functions of SHA-2 and bit-mixing code. */
#define INTERP_MASK_FUSIONS(X) X(XOR_ANDK, I32_XOR, I32_AND, u32, a ^ (v & k))

/* A binary operator whose operand the instruction just before computed from
 * two slots, into a temporary used only here: (id, outer op, inner op, value
 * type, result from the other operand a and the inner operands v, w), one
 * dispatch and no store-to-load round trip through the temporary. Sums of
 * several terms (hash rounds, `t = a * b + c` in multi-word arithmetic and
 * index computations), SHA-2's choice function. Wrapping adds are
 * associative, so the order of the terms does not change the result. */
#define INTERP_SLOT_FUSIONS(X)                                                                        \
  X(ADD3, I32_ADD, I32_ADD, u32, a + (v + w)) X(ADD3_64, I64_ADD, I64_ADD, u64, a + (v + w))          \
  X(ADD_MUL, I32_ADD, I32_MUL, u32, a + v * w) X(ADD_MUL64, I64_ADD, I64_MUL, u64, a + v * w)         \
  X(XOR_AND, I32_XOR, I32_AND, u32, a ^ (v & w))

/* An add or mul with an operand loaded just before by a plain load (id, outer
 * op, the load, value type, the raw type loaded, C operator): f64 kernels,
 * and integer sums of memory words (multi-word arithmetic, message
 * schedules, table lookups). */
#define INTERP_LOAD_FUSIONS(X)                                                                        \
  X(F64_ADD_M, F64_ADD, F64_LOAD, f64, uint64_t, +) X(F64_MUL_M, F64_MUL, F64_LOAD, f64, uint64_t, *) \
  X(I64_ADD_M, I64_ADD, I64_LOAD, u64, uint64_t, +) X(I32_ADD_M, I32_ADD, I32_LOAD, u32, uint32_t, +)

/* Arithmetic and memory fusions chosen from the broadened set's op-pair
 * profile (interpa, third list of internal ops; exec.c has their handlers
 * after all others, translate.c makes them):
 *   F64_MULADD_MM  mem[p + poff] += a * mem[u32(q + k) + qoff] (`y[i] += a * x[j]`,
 *                  axpy and matrix kernels; two roundings, the loads in wasm's
 *                  order): [h][a, q][k][qoff][p, -][poff]
 *   F64_MULADD_MM_T  the same after `p = u32(src + kp)` (a local.tee'd pointer
 *                  bump just before, done first): [h][a, q][k][qoff][p, src][poff][kp] */
#define INTERP_ARITH_OPS(X) X(F64_MULADD_MM) X(F64_MULADD_MM_T) X(COPY3) X(COPY4) X(ROTL2_XOR) X(ROTL2_XOR64) \
  X(ANDK_OR_SHL) X(ANDK_OR_SHL64) \
  INTERP_LOAD_A_FUSIONS(X) INTERP_ARITH_SLOT_FUSIONS(X) INTERP_ARITH_MASK_FUSIONS(X)
/*   COPY3, COPY4   three or four moves in a row, in order (as COPY_PAIR):
 *                  [h][d1, s1][d2, s2][d3, s3]([d4, s4]); the shuffles of
 *                  locals at loop ends (SHA-2's a..h rotation)
 *   ROTL2_XOR(64)  rotl(x, k1) ^ rotl(v, k2), both rotations temporaries
 *                  used only there (SHA-2's sigma functions, ARX hashes):
 *                  [h][dst, x][v, k2][k1]
 *   ANDK_OR_SHL(64) (x & k1) | (v << k2), the mask a temporary used only
 *                  there: a word assembled from halves, [h][dst, x][v, k2][k1]
 * An add or mul of a load at `q + k` (the _A address) into a temporary used
 * only there, as INTERP_LOAD_FUSIONS for plain loads (id, outer op, the
 * load, value type, raw type, C operator): [h][dst, a][q, -][k][off]. */
#define INTERP_LOAD_A_FUSIONS(X)                                                                      \
  X(F64_MUL_MA, F64_MUL, F64_LOAD_A, f64, uint64_t, *) X(F64_ADD_MA, F64_ADD, F64_LOAD_A, f64, uint64_t, +) \
  X(I32_ADD_MA, I32_ADD, I32_LOAD_A, u32, uint32_t, +) X(I64_ADD_MA, I64_ADD, I64_LOAD_A, u64, uint64_t, +)
/* More slot fusions (layout and meaning as INTERP_SLOT_FUSIONS): SHA-2's
 * `t1 + (e & f)` and friends. */
#define INTERP_ARITH_SLOT_FUSIONS(X) X(ADD_AND, I32_ADD, I32_AND, u32, a + (v & w))
/* More mask fusions (as INTERP_MASK_FUSIONS; for i64 only masks that fit in
 * 32 bits, zero-extended): the low halves of 64-bit words in multi-word
 * arithmetic, `a + (x & 0xffffffff)`. */
#define INTERP_ARITH_MASK_FUSIONS(X) X(ADD_ANDK64, I64_ADD, I64_AND, u64, a + (v & k))

/* The internal opcode space: every list above, in one enum. */
typedef enum interp_op {
#define X_OP(id, ...) IOP_##id,
#define X_OPK(id, ...) IOP_##id, IOP_##id##_K,
  SEM_INT_BINOPS(X_OPK) SEM_FLOAT_BINOPS(X_OPK) SEM_BITS_BINOPS(X_OP) SEM_UNOPS(X_OP)
  INTERP_SPECIAL_OPS(X_OP) INTERP_EXTRA_OPS(X_OP) INTERP_SHIFT_FUSIONS(X_OP) INTERP_LOAD_FUSIONS(X_OP)
  INTERP_MASK_FUSIONS(X_OP) INTERP_SLOT_FUSIONS(X_OP)
#define X_ADDR(id, ...) INTERP_ADDR_FORMS(X_OP, id)
#define X_STK(id, ...) IOP_##id##_K,
  SEM_LOAD_OPS(X_ADDR) SEM_STORE_OPS(X_ADDR) SEM_STORE_OPS(X_STK)
#undef X_STK
#define X_BR(id, ...) IOP_BR_I32_##id,
#define X_BRK(id, ...) IOP_BR_I32_##id##_K,
#define X_ABR(id, ...) IOP_ADDK_BR_##id,
#define X_ABRK(id, ...) IOP_ADDK_BR_##id##_K,
  INTERP_BR_CMPS(X_BR) INTERP_BR_CMPS(X_BRK) INTERP_BR_CMPS(X_ABR) INTERP_BR_CMPS(X_ABRK)
#define X_CB(id, ...) IOP_BRT_##id, IOP_BRF_##id, IOP_BRT_##id##_K, IOP_BRF_##id##_K,
  INTERP_CMP_BRANCHES(X_CB)
#undef X_CB
  INTERP_ARITH_OPS(X_OP)
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

/* The interpreter's operations for the runtime (tier.h; registered by src/engine). */
extern const rt_tier_ops interp_tier_ops;

/* Runs `f` with arguments in slots at `sp` (results written there): host
 * functions directly, compiled functions through the AOT tier, the rest
 * interpreted. False on a trap (recorded in the store). */
bool interp_invoke(wrun_store *s, wrun_func *f, uint64_t *sp);

/* Frees a translated body (NULL allowed). */
void interp_code_free(struct interp_code *c);

/* Translates defined function `f` into threaded code (lazily, on first call). */
bool interp_translate(wrun_store *s, wrun_func *f);

#ifdef WRUN_INTERP_PROFILE
/* Profiling builds only (profile.c): counts the op about to run, and prints
 * the counts when the store is freed. */
void interp_profile_hit(wrun_store *s, const void *h);
void interp_profile_report(wrun_store *s);
#endif

#endif
