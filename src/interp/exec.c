/*
 * exec.c — the interpreter's dispatch loop.
 *
 * Threaded code: every instruction starts with its handler's address, and each
 * handler ends by jumping straight to the next one (`goto *pc->h`, GCC/clang
 * labels as values), so there is no central switch and the branch predictor
 * sees one indirect jump per handler. Operands are frame slots (see interp.h).
 * Calls between wasm functions stay in this loop: a call pushes a return
 * record on the store's frame stack and switches pc/fp, so wasm recursion
 * never grows the C stack and exhaustion is a clean trap.
 *
 * Memory accesses are bounds-checked explicitly against the current size
 * (the reservation in store.c keeps the base fixed across memory.grow).
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "interp/interp.h"
#include "semantics/ops.h"


/* ---- the loop ---------------------------------------------------------------- */

#define SA pc[1].p.a
#define SB pc[1].p.b
#define SC pc[2].p.a
#define SD pc[2].p.b
#ifdef WRUN_INTERP_PROFILE
#define NEXT() do { interp_profile_hit(s, pc->h); goto *pc->h; } while (0)
#else
#define NEXT() goto *pc->h
#endif
#define TRAP(kind) do { trap_kind = (kind); goto trap; } while (0)
#define MEM_CHECK(ea, n) do { if (!mem || (ea) + (n) > mem->size) TRAP(WRUN_TRAP_MEMORY_OOB); } while (0)
/* Loads and stores: with guard pages (rt.h) the hardware checks the bounds. */
#ifdef WRUN_BOUNDS_CHECKS
#define ACCESS_CHECK(ea, n) MEM_CHECK(ea, n)
#else
#define ACCESS_CHECK(ea, n) ((void)0)
#endif

/* The declared locals a function reads before setting them start at zero;
 * the call clears them (usually a handful, so no memset call) rather than an
 * instruction of the callee's, which would cost a dispatch per call. */
static inline void zero_locals(uint64_t *fp, const struct interp_code *code) {
  uint64_t *z = fp + code->zero_from;
  uint32_t n = code->zero_n; /* in a register: the stores may alias it (-fno-strict-aliasing) */
  for (uint32_t k = 0; k < n; k++) {
    z[k] = 0;
    /* keeps gcc from turning the loop into a memset call, which makes the
     * call path save and restore registers around it */
    __asm__("" : "+r"(z));
  }
}

/* exec_run with s == NULL returns its handler table through *table. */
static bool exec_run(wrun_store *s, wrun_func *entry, uint64_t *entry_fp, const void *const **table) {
  static const void *const handlers[IOP_COUNT_] = {
#define H(id, ...) [IOP_##id] = &&L_##id,
#define HK(id, ...) [IOP_##id] = &&L_##id, [IOP_##id##_K] = &&L_##id##_K,
    SEM_INT_BINOPS(HK) SEM_FLOAT_BINOPS(HK) SEM_BITS_BINOPS(H) SEM_UNOPS(H)
    INTERP_SPECIAL_OPS(H) INTERP_EXTRA_OPS(H) INTERP_SHIFT_FUSIONS(H) INTERP_LOAD_FUSIONS(H)
    INTERP_MASK_FUSIONS(H) INTERP_SLOT_FUSIONS(H)
#define HA(id, ...) INTERP_ADDR_FORMS(H, id)
#define HB(id, ...) [IOP_BR_I32_##id] = &&L_BR_I32_##id, [IOP_BR_I32_##id##_K] = &&L_BR_I32_##id##_K, \
    [IOP_ADDK_BR_##id] = &&L_ADDK_BR_##id, [IOP_ADDK_BR_##id##_K] = &&L_ADDK_BR_##id##_K,
#define HC(id, ...) [IOP_BRT_##id] = &&L_BRT_##id, [IOP_BRF_##id] = &&L_BRF_##id, \
    [IOP_BRT_##id##_K] = &&L_BRT_##id##_K, [IOP_BRF_##id##_K] = &&L_BRF_##id##_K,
#define HS(id, ...) [IOP_##id##_K] = &&L_##id##_K,
    SEM_LOAD_OPS(HA) SEM_STORE_OPS(HA) INTERP_BR_CMPS(HB) INTERP_CMP_BRANCHES(HC) SEM_STORE_OPS(HS)
    INTERP_ARITH_OPS(H)
#undef HS
#undef HC
#undef HA
#undef HB
#undef H
#undef HK
  };
  if (!s) {
    *table = handlers;
    return true;
  }
  rt_trap_kind trap_kind = WRUN_TRAP_NONE;
  uint32_t base_depth = s->nframes;
  uint64_t *fp = entry_fp;
  uint64_t *stack_end = s->stack + s->stack_slots;
  const cell *pc = NULL; /* no op yet: a trap before the first has no position */
  if (!entry->code && !interp_translate(s, entry)) TRAP(WRUN_TRAP_HOST);
  if (fp + entry->code->nslots > stack_end) TRAP(WRUN_TRAP_STACK_EXHAUSTED);
  if (s->nframes >= s->max_depth) TRAP(WRUN_TRAP_STACK_EXHAUSTED);
  zero_locals(fp, entry->code);
  /* The frame stack lives in the store (backtraces read it after a trap);
   * `top` caches its top in a register, and s->nframes is kept in step with a
   * plain store so a memory fault still sees the current depth. The running
   * function is top->func (no register of its own: only the rare ops that
   * need its instance read it). */
  rt_frame_info *const base_top = s->frames + s->nframes;
  rt_frame_info *const frames_limit = s->frames + s->max_depth;
  rt_frame_info *top = base_top;
  *top = (rt_frame_info){entry, NULL, NULL, NULL};
  s->nframes++;
  pc = entry->code->code;
  rt_memory *mem = entry->code->mem0;
  /* memory 0's base, kept in a register: a memory never moves (store.c
   * reserves its whole range up front), so only calls and returns change it */
  uint8_t *mbase = mem ? mem->base : NULL;
  NEXT();

  /* numeric operators from the lists in interp.h */
#define BIN(id, ta, tr, expr)                                                  \
  L_##id: {                                                                     \
    __typeof__(RD_##ta(0)) a = RD_##ta(fp[SB]), b = RD_##ta(fp[SC]);            \
    fp[SA] = WR_##tr(expr);                                                     \
    pc += 3;                                                                    \
    NEXT();                                                                     \
  }
#define BINK(id, ta, tr, expr)                                                 \
  BIN(id, ta, tr, expr)                                                         \
  L_##id##_K: {                                                                 \
    __typeof__(RD_##ta(0)) a = RD_##ta(fp[SB]), b = RD_##ta(pc[2].u);           \
    fp[SA] = WR_##tr(expr);                                                     \
    pc += 3;                                                                    \
    NEXT();                                                                     \
  }
#define UN(id, ta, tr, expr)                                                   \
  L_##id: {                                                                     \
    __typeof__(RD_##ta(0)) a = RD_##ta(fp[SB]);                                 \
    fp[SA] = WR_##tr(expr);                                                     \
    pc += 2;                                                                    \
    NEXT();                                                                     \
  }
  SEM_INT_BINOPS(BINK)
  SEM_FLOAT_BINOPS(BINK)
  SEM_BITS_BINOPS(BIN)
  SEM_UNOPS(UN)
#undef BIN
#undef BINK
#undef UN

  /* a shift or rotate fused into its user: [h][dst, a][v, k] */
#define SHIFTED(id, outer, inner, ty, expr)                                    \
  L_##id: {                                                                     \
    __typeof__(RD_##ty(0)) a = RD_##ty(fp[SB]), v = RD_##ty(fp[SC]);           \
    uint32_t k = (uint32_t)SD;                                                  \
    fp[SA] = WR_##ty(expr);                                                     \
    pc += 3;                                                                    \
    NEXT();                                                                     \
  }
  INTERP_SHIFT_FUSIONS(SHIFTED)
  INTERP_MASK_FUSIONS(SHIFTED)


  /* integer division: traps on zero and on INT_MIN / -1 */
L_I32_DIV_S: {
    int32_t a = RD_i32(fp[SB]), b = RD_i32(fp[SC]);
    if (b == 0) TRAP(WRUN_TRAP_DIV_ZERO);
    if (a == INT32_MIN && b == -1) TRAP(WRUN_TRAP_INT_OVERFLOW);
    fp[SA] = WR_i32(a / b);
    pc += 3;
    NEXT();
  }
L_I32_DIV_U: {
    uint32_t a = RD_u32(fp[SB]), b = RD_u32(fp[SC]);
    if (b == 0) TRAP(WRUN_TRAP_DIV_ZERO);
    fp[SA] = WR_u32(a / b);
    pc += 3;
    NEXT();
  }
L_I32_REM_S: {
    int32_t a = RD_i32(fp[SB]), b = RD_i32(fp[SC]);
    if (b == 0) TRAP(WRUN_TRAP_DIV_ZERO);
    fp[SA] = WR_i32(b == -1 ? 0 : a % b);
    pc += 3;
    NEXT();
  }
L_I32_REM_U: {
    uint32_t a = RD_u32(fp[SB]), b = RD_u32(fp[SC]);
    if (b == 0) TRAP(WRUN_TRAP_DIV_ZERO);
    fp[SA] = WR_u32(a % b);
    pc += 3;
    NEXT();
  }
L_I64_DIV_S: {
    int64_t a = RD_i64(fp[SB]), b = RD_i64(fp[SC]);
    if (b == 0) TRAP(WRUN_TRAP_DIV_ZERO);
    if (a == INT64_MIN && b == -1) TRAP(WRUN_TRAP_INT_OVERFLOW);
    fp[SA] = WR_i64(a / b);
    pc += 3;
    NEXT();
  }
L_I64_DIV_U: {
    uint64_t a = fp[SB], b = fp[SC];
    if (b == 0) TRAP(WRUN_TRAP_DIV_ZERO);
    fp[SA] = a / b;
    pc += 3;
    NEXT();
  }
L_I64_REM_S: {
    int64_t a = RD_i64(fp[SB]), b = RD_i64(fp[SC]);
    if (b == 0) TRAP(WRUN_TRAP_DIV_ZERO);
    fp[SA] = WR_i64(b == -1 ? 0 : a % b);
    pc += 3;
    NEXT();
  }
L_I64_REM_U: {
    uint64_t a = fp[SB], b = fp[SC];
    if (b == 0) TRAP(WRUN_TRAP_DIV_ZERO);
    fp[SA] = a % b;
    pc += 3;
    NEXT();
  }

  /* trapping float -> int: NaN is an invalid conversion, out of range an overflow */
#define TRUNC(id, ta, tr, lo, hi)                                               \
  L_##id: {                                                                      \
    double d = (double)RD_##ta(fp[SB]);                                          \
    if (d != d) TRAP(WRUN_TRAP_INVALID_CONVERSION);                              \
    if (!(d > (lo) && d < (hi))) TRAP(WRUN_TRAP_INT_OVERFLOW);                   \
    fp[SA] = WR_##tr(d);                                                         \
    pc += 2;                                                                     \
    NEXT();                                                                      \
  }
  SEM_TRUNC_OPS(TRUNC)
#undef TRUNC

  /* memory. Every form computes the effective address `ea` its own way
   * (interp.h, INTERP_ADDR_FORMS), then loads into / stores from a slot:
   *   plain [h][dst|addr, addr|val][offset]     _A [h][.., a][k][offset]
   *   _X    [h][.., a][b][offset]               _C [h][.., ..][ea]
   *   _T    [h][.., a][k][l][offset]            store _K [h][addr][value][offset] */
#define LOAD_AT(ctype, n, conv, ea_expr, len)                                   \
  {                                                                              \
    uint64_t ea = (ea_expr);                                                     \
    ACCESS_CHECK(ea, n);                                                         \
    ctype v;                                                                     \
    memcpy(&v, mbase + ea, n);                                                   \
    fp[SA] = conv;                                                               \
    pc += len;                                                                   \
    NEXT();                                                                      \
  }
#define STORE_AT(ctype, n, value, ea_expr, len)                                 \
  {                                                                              \
    uint64_t ea = (ea_expr);                                                     \
    ACCESS_CHECK(ea, n);                                                         \
    ctype v = (ctype)(value);                                                    \
    memcpy(mbase + ea, &v, n);                                                   \
    pc += len;                                                                   \
    NEXT();                                                                      \
  }
/* u32(x + y) + offset, exactly the wasm computation */
#define EA_SUM(x, y, off) ((uint64_t)(uint32_t)(RD_u32(x) + (uint32_t)(y)) + (off))
/* _T: the sum also goes to local l (cell 3) before the access */
#define EA_TEE(x) ({ uint32_t l_ = RD_u32(x) + (uint32_t)pc[2].u; fp[pc[3].p.a] = WR_u32(l_); (uint64_t)l_ + pc[4].u; })
/* _S: [h][dst or base, value][k, s][offset], ea = u32((x << s) + k) + offset */
#define EA_SCALED(x) ((uint64_t)(uint32_t)((RD_u32(x) << SD) + (uint32_t)SC) + pc[3].u)
#define LOAD(id, ctype, n, conv)                                                 \
  L_##id: LOAD_AT(ctype, n, conv, (uint64_t)RD_u32(fp[SB]) + pc[2].u, 3)         \
  L_##id##_A: LOAD_AT(ctype, n, conv, EA_SUM(fp[SB], pc[2].u, pc[3].u), 4)       \
  L_##id##_X: LOAD_AT(ctype, n, conv, EA_SUM(fp[SB], fp[SC], pc[3].u), 4)        \
  L_##id##_C: LOAD_AT(ctype, n, conv, pc[2].u, 3)                                \
  L_##id##_T: LOAD_AT(ctype, n, conv, EA_TEE(fp[SB]), 5)                        \
  L_##id##_S: LOAD_AT(ctype, n, conv, EA_SCALED(fp[SB]), 4)
  SEM_LOAD_OPS(LOAD)
#undef LOAD
#define STORE(id, ctype, n)                                                      \
  L_##id: STORE_AT(ctype, n, fp[SB], (uint64_t)RD_u32(fp[SA]) + pc[2].u, 3)      \
  L_##id##_A: STORE_AT(ctype, n, fp[SB], EA_SUM(fp[SA], pc[2].u, pc[3].u), 4)    \
  L_##id##_X: STORE_AT(ctype, n, fp[SB], EA_SUM(fp[SA], fp[SC], pc[3].u), 4)     \
  L_##id##_C: STORE_AT(ctype, n, fp[SB], pc[2].u, 3)                             \
  L_##id##_T: STORE_AT(ctype, n, fp[SB], EA_TEE(fp[SA]), 5)                      \
  L_##id##_S: STORE_AT(ctype, n, fp[SB], EA_SCALED(fp[SA]), 4)                   \
  L_##id##_K: STORE_AT(ctype, n, pc[2].u, (uint64_t)RD_u32(fp[SA]) + pc[3].u, 4)
  SEM_STORE_OPS(STORE)
#undef STORE
  /* a load fused into the add/mul that uses it: [h][dst, a][addr][offset] */
#define LOADED(id, outer, inner, ty, raw, op)                                    \
  L_##id: LOAD_AT(raw, sizeof(raw), WR_##ty(RD_##ty(fp[SB]) op RD_##ty(v)), (uint64_t)RD_u32(fp[SC]) + pc[3].u, 4)
  INTERP_LOAD_FUSIONS(LOADED)
#undef LOADED
L_F64_ADD_TO_M: { /* mem[ea] = x + mem[ea] (`p[i] += x`): [h][x, addr][offset] */
    uint64_t ea = (uint64_t)RD_u32(fp[SB]) + pc[2].u;
    ACCESS_CHECK(ea, 8);
    uint64_t v;
    memcpy(&v, mbase + ea, 8);
    v = WR_f64(RD_f64(fp[SA]) + RD_f64(v));
    memcpy(mbase + ea, &v, 8);
    pc += 3;
    NEXT();
  }
L_F64_MULADD_TO_M: { /* mem[ea] = a * b + mem[ea]: [h][a, b][addr][offset]; two roundings */
    uint64_t ea = (uint64_t)RD_u32(fp[SC]) + pc[3].u;
    ACCESS_CHECK(ea, 8);
    double m = RD_f64(fp[SA]) * RD_f64(fp[SB]);
    uint64_t v;
    memcpy(&v, mbase + ea, 8);
    v = WR_f64(m + RD_f64(v));
    memcpy(mbase + ea, &v, 8);
    pc += 4;
    NEXT();
  }
#undef LOAD_AT
#undef STORE_AT
#undef EA_SUM
#undef EA_TEE
#undef EA_SCALED

L_MEMORY_SIZE:
  fp[SA] = mem->size / 65536;
  pc += 2;
  NEXT();
L_MEMORY_GROW:
  fp[SA] = WR_i32((int32_t)rt_memory_grow(mem, RD_u32(fp[SB])));
  pc += 2;
  NEXT();
L_MEMORY_FILL: { /* [h][dst, val][n] */
    uint64_t d = RD_u32(fp[SA]), n = RD_u32(fp[SC]);
    MEM_CHECK(d, n);
    memset(mem->base + d, (int)(uint8_t)fp[SB], n);
    pc += 3;
    NEXT();
  }
L_MEMORY_COPY: { /* [h][dst, src][n] */
    uint64_t d = RD_u32(fp[SA]), src = RD_u32(fp[SB]), n = RD_u32(fp[SC]);
    MEM_CHECK(d, n);
    MEM_CHECK(src, n);
    memmove(mem->base + d, mem->base + src, n);
    pc += 3;
    NEXT();
  }
L_MEMORY_INIT: { /* [h][dst, src][n, seg] */
    uint64_t d = RD_u32(fp[SA]), src = RD_u32(fp[SB]), n = RD_u32(fp[SC]);
    const wm_data *seg = &top->func->inst->module->datas[SD];
    uint64_t len = top->func->inst->data_dropped[SD] ? 0 : seg->len;
    MEM_CHECK(d, n);
    if (src + n > len) TRAP(WRUN_TRAP_MEMORY_OOB);
    if (n) memcpy(mem->base + d, seg->bytes + src, n);
    pc += 3;
    NEXT();
  }
L_DATA_DROP:
  top->func->inst->data_dropped[SA] = true;
  pc += 2;
  NEXT();

  /* tables: the table pointer follows the slot cells */
L_TABLE_GET: { /* [h][dst, idx][table] */
    rt_table *t = pc[2].ptr;
    uint64_t i = RD_u32(fp[SB]);
    if (i >= t->size) TRAP(WRUN_TRAP_TABLE_OOB);
    fp[SA] = (uint64_t)(uintptr_t)t->elems[i];
    pc += 3;
    NEXT();
  }
L_TABLE_SET: { /* [h][idx, val][table] */
    rt_table *t = pc[2].ptr;
    uint64_t i = RD_u32(fp[SA]);
    if (i >= t->size) TRAP(WRUN_TRAP_TABLE_OOB);
    t->elems[i] = (void *)(uintptr_t)fp[SB];
    pc += 3;
    NEXT();
  }
L_TABLE_SIZE: { /* [h][dst][table] */
    rt_table *t = pc[2].ptr;
    fp[SA] = t->size;
    pc += 3;
    NEXT();
  }
L_TABLE_GROW: { /* [h][dst, init][delta][table] */
    rt_table *t = pc[3].ptr;
    fp[SA] = WR_i32((int32_t)rt_table_grow(t, RD_u32(fp[SC]), (void *)(uintptr_t)fp[SB]));
    pc += 4;
    NEXT();
  }
L_TABLE_FILL: { /* [h][i, val][n][table] */
    rt_table *t = pc[3].ptr;
    uint64_t i = RD_u32(fp[SA]), n = RD_u32(fp[SC]);
    if (i + n > t->size) TRAP(WRUN_TRAP_TABLE_OOB);
    for (uint64_t k = 0; k < n; k++) t->elems[i + k] = (void *)(uintptr_t)fp[SB];
    pc += 4;
    NEXT();
  }
L_TABLE_COPY: { /* [h][d, s][n][dst table][src table] */
    rt_table *td = pc[3].ptr, *ts = pc[4].ptr;
    uint64_t d = RD_u32(fp[SA]), src = RD_u32(fp[SB]), n = RD_u32(fp[SC]);
    if (d + n > td->size || src + n > ts->size) TRAP(WRUN_TRAP_TABLE_OOB);
    if (n) memmove(td->elems + d, ts->elems + src, n * sizeof(void *));
    pc += 5;
    NEXT();
  }
L_TABLE_INIT: { /* [h][d, s][n, seg][table] */
    rt_table *t = pc[3].ptr;
    uint64_t d = RD_u32(fp[SA]), src = RD_u32(fp[SB]), n = RD_u32(fp[SC]);
    uint64_t len = top->func->inst->elem_len[SD];
    if (d + n > t->size || src + n > len) TRAP(WRUN_TRAP_TABLE_OOB);
    if (n) memcpy(t->elems + d, top->func->inst->elem_refs[SD] + src, n * sizeof(void *));
    pc += 4;
    NEXT();
  }
L_ELEM_DROP:
  top->func->inst->elem_len[SA] = 0;
  pc += 2;
  NEXT();
L_REF_IS_NULL:
  fp[SA] = fp[SB] == 0;
  pc += 2;
  NEXT();

  /* moves and constants */
L_COPY:
  fp[SA] = fp[SB];
  pc += 2;
  NEXT();
L_COPY_PAIR: /* [h][d1, s1][d2, s2], in that order */
  fp[SA] = fp[SB];
  fp[SC] = fp[SD];
  pc += 3;
  NEXT();
L_COPY2:
  fp[SA] = fp[SB];
  fp[SA + 1] = fp[SB + 1];
  pc += 2;
  NEXT();
L_CONST:
  fp[SA] = pc[2].u;
  pc += 3;
  NEXT();
L_CONST2:
  fp[SA] = pc[2].u;
  fp[SA + 1] = pc[3].u;
  pc += 4;
  NEXT();
L_SELECT1: /* [h][dst, cond][a, b] */
  fp[SA] = RD_u32(fp[SB]) ? fp[SC] : fp[SD];
  pc += 3;
  NEXT();
L_SELECT2: {
    int32_t from = RD_u32(fp[SB]) ? SC : SD;
    fp[SA] = fp[from];
    fp[SA + 1] = fp[from + 1];
    pc += 3;
    NEXT();
  }
L_GLOBAL_GET1:
  fp[SA] = ((rt_global *)pc[2].ptr)->val[0];
  pc += 3;
  NEXT();
L_GLOBAL_GET2:
  fp[SA] = ((rt_global *)pc[2].ptr)->val[0];
  fp[SA + 1] = ((rt_global *)pc[2].ptr)->val[1];
  pc += 3;
  NEXT();
L_GLOBAL_SET1:
  ((rt_global *)pc[2].ptr)->val[0] = fp[SA];
  pc += 3;
  NEXT();
L_GLOBAL_SET2:
  ((rt_global *)pc[2].ptr)->val[0] = fp[SA];
  ((rt_global *)pc[2].ptr)->val[1] = fp[SA + 1];
  pc += 3;
  NEXT();

  /* SIMD: [h][dst, a][b, c][op, lane] */
L_SIMD:
  simd_exec((wm_opcode)pc[3].p.a, (unsigned)pc[3].p.b, fp + SA, fp + SB, fp + SC, fp + SD);
  pc += 4;
  NEXT();
L_SIMD_LOAD: { /* [h][dst, addr][offset][op, lane][old, size] */
    uint64_t ea = (uint64_t)RD_u32(fp[SB]) + pc[2].u;
    ACCESS_CHECK(ea, (uint64_t)pc[4].p.b);
    simd_load((wm_opcode)pc[3].p.a, (unsigned)pc[3].p.b, fp + SA, mbase + ea, fp + pc[4].p.a);
    pc += 5;
    NEXT();
  }
L_SIMD_STORE: { /* [h][addr, val][offset][op, lane][size] */
    uint64_t ea = (uint64_t)RD_u32(fp[SA]) + pc[2].u;
    ACCESS_CHECK(ea, (uint64_t)pc[4].p.a);
    simd_store((wm_opcode)pc[3].p.a, (unsigned)pc[3].p.b, mbase + ea, fp + SB);
    pc += 5;
    NEXT();
  }

  /* control */
L_BR:
  pc = pc[1].target;
  NEXT();
L_BR_IF:
  pc = RD_u32(fp[SA]) ? pc[2].target : pc + 3;
  NEXT();
L_BR_UNLESS:
  pc = RD_u32(fp[SA]) ? pc + 3 : pc[2].target;
  NEXT();
  /* compare-and-branch; the ADDK_ forms first do fp[dst] = fp[src] + k and
   * compare that sum: [h][dst, src][k][b | imm][target] */
#define BRCMP(id, t, op)                                                        \
  L_BR_I32_##id:                                                                 \
  pc = (RD_##t(fp[SA]) op RD_##t(fp[SB])) ? pc[2].target : pc + 3;               \
  NEXT();                                                                        \
  L_BR_I32_##id##_K:                                                             \
  pc = (RD_##t(fp[SA]) op RD_##t(pc[2].u)) ? pc[3].target : pc + 4;              \
  NEXT();                                                                        \
  L_ADDK_BR_##id: {                                                              \
    uint32_t v = RD_u32(fp[SB]) + (uint32_t)pc[2].u;                             \
    fp[SA] = WR_u32(v);                                                          \
    pc = (RD_##t(WR_u32(v)) op RD_##t(fp[pc[3].p.a])) ? pc[4].target : pc + 5;   \
    NEXT();                                                                      \
  }                                                                              \
  L_ADDK_BR_##id##_K: {                                                          \
    uint32_t v = RD_u32(fp[SB]) + (uint32_t)pc[2].u;                             \
    fp[SA] = WR_u32(v);                                                          \
    pc = (RD_##t(WR_u32(v)) op RD_##t(pc[3].u)) ? pc[4].target : pc + 5;         \
    NEXT();                                                                      \
  }
  INTERP_BR_CMPS(BRCMP)
#undef BRCMP
#define CMPBR(id, t, op)                                                        \
  L_BRT_##id:                                                                    \
  pc = (RD_##t(fp[SA]) op RD_##t(fp[SB])) ? pc[2].target : pc + 3;               \
  NEXT();                                                                        \
  L_BRF_##id:                                                                    \
  pc = (RD_##t(fp[SA]) op RD_##t(fp[SB])) ? pc + 3 : pc[2].target;               \
  NEXT();                                                                        \
  L_BRT_##id##_K:                                                                \
  pc = (RD_##t(fp[SA]) op RD_##t(pc[2].u)) ? pc[3].target : pc + 4;              \
  NEXT();                                                                        \
  L_BRF_##id##_K:                                                                \
  pc = (RD_##t(fp[SA]) op RD_##t(pc[2].u)) ? pc + 4 : pc[3].target;              \
  NEXT();
  INTERP_CMP_BRANCHES(CMPBR)
#undef CMPBR
L_ADDK_BR_IF: { /* [h][dst, src][k][target] */
    uint32_t v = RD_u32(fp[SB]) + (uint32_t)pc[2].u;
    fp[SA] = WR_u32(v);
    pc = v ? pc[3].target : pc + 4;
    NEXT();
  }
L_ADDK_BR_UNLESS: {
    uint32_t v = RD_u32(fp[SB]) + (uint32_t)pc[2].u;
    fp[SA] = WR_u32(v);
    pc = v ? pc + 4 : pc[3].target;
    NEXT();
  }
  /* `x & k` tested right away (flag and bit tests): [h][dst, src][k][target];
   * the masked value is still stored, as the two instructions would */
L_ANDK_BR_IF: {
    uint32_t v = RD_u32(fp[SB]) & (uint32_t)pc[2].u;
    fp[SA] = WR_u32(v);
    pc = v ? pc[3].target : pc + 4;
    NEXT();
  }
L_ANDK_BR_UNLESS: {
    uint32_t v = RD_u32(fp[SB]) & (uint32_t)pc[2].u;
    fp[SA] = WR_u32(v);
    pc = v ? pc + 4 : pc[3].target;
    NEXT();
  }
  /* a bit field: (x >> s) & mask, [h][dst, src][s, mask] */
L_SHRU_ANDK:
  fp[SA] = WR_u32((RD_u32(fp[SB]) >> (uint32_t)SC) & (uint32_t)SD);
  pc += 3;
  NEXT();
L_BR_TABLE: { /* [h][idx, n][target 0] ... [target n = default] */
    uint32_t i = RD_u32(fp[SA]), n = (uint32_t)SB;
    pc = pc[2 + (i < n ? i : n)].target;
    NEXT();
  }
L_BR_TABLE_SK: { /* [h][x, n][k, s][targets]: index (x >> s) + k */
    uint32_t i = (RD_u32(fp[SA]) >> (uint32_t)SD) + (uint32_t)SC, n = (uint32_t)SB;
    pc = pc[3 + (i < n ? i : n)].target;
    NEXT();
  }
L_BR_TABLE_L32: { /* [h][addr, n][k][offset][targets]: index loaded from u32(addr + k) + offset */
    uint64_t ea = (uint64_t)(uint32_t)(RD_u32(fp[SA]) + (uint32_t)pc[2].u) + pc[3].u;
    ACCESS_CHECK(ea, 4);
    uint32_t i, n = (uint32_t)SB;
    memcpy(&i, mbase + ea, 4);
    pc = pc[4 + (i < n ? i : n)].target;
    NEXT();
  }
L_BR_TABLE_L8: { /* as _L32, a byte */
    uint64_t ea = (uint64_t)(uint32_t)(RD_u32(fp[SA]) + (uint32_t)pc[2].u) + pc[3].u;
    ACCESS_CHECK(ea, 1);
    uint32_t i = mbase[ea], n = (uint32_t)SB;
    pc = pc[4 + (i < n ? i : n)].target;
    NEXT();
  }
  /* f64.mul feeding f64.add/sub: [h][dst, a][b, c]; two roundings, exactly as
   * the two instructions (the product is a double before the sum). */
L_F64_MULADD: {
    double m = RD_f64(fp[SB]) * RD_f64(fp[SC]);
    fp[SA] = WR_f64(m + RD_f64(fp[SD]));
    pc += 3;
    NEXT();
  }
L_F64_MULSUB: {
    double m = RD_f64(fp[SB]) * RD_f64(fp[SC]);
    fp[SA] = WR_f64(m - RD_f64(fp[SD]));
    pc += 3;
    NEXT();
  }
L_F64_SUBMUL: {
    double m = RD_f64(fp[SB]) * RD_f64(fp[SC]);
    fp[SA] = WR_f64(RD_f64(fp[SD]) - m);
    pc += 3;
    NEXT();
  }
L_CHECK: /* [h][cost]: at function entry and loop heads when the store has limits */
  if (s->cfg.fuel) {
    s->fuel_left -= (int64_t)pc[1].u;
    if (s->fuel_left < 0) {
      s->fuel_left = 0;
      TRAP(WRUN_TRAP_FUEL);
    }
  }
  if (rt_interrupt_requested(s)) TRAP(WRUN_TRAP_TIMEOUT);
  pc += 2;
  NEXT();
  /* ---- tiered execution (runtime/tier.h; src/engine/tierup.c) ----
   * [h][loop offset][cost]: at function entries and loop heads of tiered
   * stores, charging the countdown with the size of the body they start.
   * The slow path may run the rest of this call in compiled code, in
   * place of this frame: its record is popped (compiled code records its
   * own) and the value stack above the frame is free for what it calls. */
L_TIER:
  s->tier_countdown -= (int64_t)pc[2].u;
  if (__builtin_expect(s->tier_countdown > 0, 1)) {
    pc += 3;
    NEXT();
  }
  {
    uint64_t *saved_top = s->stack_top;
    s->stack_top = fp + top->func->code->nslots;
    s->nframes = (uint32_t)(top - s->frames);
    int got = rt_tierup->poll(s, top->func, fp, (uint32_t)pc[1].u);
    s->nframes = (uint32_t)(top - s->frames) + 1;
    s->stack_top = saved_top;
    if (got == RT_TIERUP_TRAPPED) goto trapped;
    if (got == RT_TIERUP_RETURNED) goto L_RETURN; /* the results are at fp */
    pc += 3;
    NEXT();
  }
L_UNREACHABLE:
  TRAP(WRUN_TRAP_UNREACHABLE);
L_TRAP:
  TRAP((rt_trap_kind)SA);

  /* a call's frame: the return record (with the caller's memory), the
   * callee's locals zeroed, its first op */
#define PUSH_FRAME()                                                                                 \
  do {                                                                                               \
    if (nfp + code->nslots > stack_end || top + 1 >= frames_limit) TRAP(WRUN_TRAP_STACK_EXHAUSTED);  \
    top->ret_pc = ret;                                                                               \
    top->ret_fp = fp;                                                                                \
    top->ret_mem = mem;                                                                              \
    ++top;                                                                                           \
    top->func = callee;                                                                              \
    s->nframes = (uint32_t)(top - s->frames) + 1;                                                    \
    fp = nfp;                                                                                        \
    zero_locals(fp, code);                                                                           \
    pc = code->code;                                                                                 \
  } while (0)
  {
    wrun_func *callee;
    uint64_t *nfp;
    const cell *ret;
    const struct interp_code *code;
L_CALL: /* [h][argbase][callee] */
    callee = pc[2].ptr;
    nfp = fp + SA;
    ret = pc + 3;
    goto do_call;
L_CALL_INDIRECT: { /* [h][argbase, idx][table][type] */
      rt_table *t = pc[2].ptr;
      uint32_t i = RD_u32(fp[SB]);
      if (i >= t->size) TRAP(WRUN_TRAP_UNDEFINED_ELEMENT);
      callee = t->elems[i];
      if (!callee) TRAP(WRUN_TRAP_UNINITIALIZED_ELEMENT);
      if (!rt_functype_equal(callee->type, pc[3].ptr)) TRAP(WRUN_TRAP_INDIRECT_MISMATCH);
      nfp = fp + SA;
      ret = pc + 4;
    }
  do_call:
    if (callee->host || callee->aot_entry) {
      uint32_t need = callee->param_slots > callee->result_slots ? callee->param_slots : callee->result_slots;
      if (nfp + need > stack_end || top + 1 >= frames_limit) TRAP(WRUN_TRAP_STACK_EXHAUSTED);
      top->ret_pc = ret; /* not used to return (pc = ret below), but where a trace finds this call */
      top[1] = (rt_frame_info){callee, NULL, NULL, NULL};
      s->nframes = (uint32_t)(top - s->frames) + 2;
      uint64_t *saved_top = s->stack_top;
      s->stack_top = nfp + need;
      bool ok;
      if (callee->host) {
        rt_exec *ex = rt_current_exec;
        if (ex) ex->in_wasm = false; /* a fault in host code is not a wasm trap */
        ok = rt_call_host(s, callee, top->func->inst, nfp);
        if (ex) ex->in_wasm = true;
      } else {
        ok = rt_tier(RT_TIER_AOT)->invoke(s, callee, nfp); /* compiled code (mixed tiers) */
      }
      s->stack_top = saved_top;
      if (!ok) goto trapped; /* the host recorded the trap (with this frame in the trace) */
      s->nframes--;
      /* a host function may grow memory; nothing is cached beyond `mem` itself */
      pc = ret;
      NEXT();
    }
    if (!callee->code && !interp_translate(s, callee)) TRAP(WRUN_TRAP_HOST);
    code = callee->code;
    if (__builtin_expect(code->mem0 == mem, 1)) goto push_frame;
    /* a call through CALL or call_indirect into another instance: the
     * record keeps the caller's memory, then memory 0 switches */
    PUSH_FRAME();
    mem = code->mem0;
    mbase = mem ? mem->base : NULL;
    NEXT();
    /* CALL_WASM and its fused forms call a function of the same instance
     * (the translator checks), so memory 0 stays what it is */
L_CALL_WASM_MOV: /* [h][argbase][callee][code][dst, src]: a move (an argument), then the call */
    fp[pc[4].p.a] = fp[pc[4].p.b];
    ret = pc + 5;
    goto call_wasm;
L_CALL_WASM_ADDK: /* [h][argbase][callee][code][dst, src][k]: an argument `x + k`, then the call */
    fp[pc[4].p.a] = WR_u32(RD_u32(fp[pc[4].p.b]) + (uint32_t)pc[5].u);
    ret = pc + 6;
    goto call_wasm;
L_CALL_WASM: /* [h][argbase][callee][its code, filled in by the first call] */
    ret = pc + 4;
  call_wasm:
    callee = pc[2].ptr;
    nfp = fp + SA;
    if (callee->aot_entry) goto do_call; /* switched to compiled code (tiered execution) */
    code = pc[3].ptr;
    if (!code) {
      if (!callee->code && !interp_translate(s, callee)) TRAP(WRUN_TRAP_HOST);
      code = callee->code;
      ((cell *)pc)[3].ptr = (void *)code; /* later calls skip the lookup */
    }
  push_frame:
    PUSH_FRAME();
    NEXT();
  }
#undef PUSH_FRAME
L_PAIR_ADD_RETURN: /* [I32_ADD][dst, a][b][RETURN]: a result computed, then the return */
  fp[SA] = WR_u32(RD_u32(fp[SB]) + RD_u32(fp[SC]));
  goto L_RETURN;
L_PAIR_ADDK_RETURN: /* [I32_ADD_K][dst, a][k][RETURN] */
  fp[SA] = WR_u32(RD_u32(fp[SB]) + (uint32_t)pc[2].u);
  goto L_RETURN;
L_RETURN:
  if (top == base_top) {
    s->nframes = base_depth;
    return true;
  }
  --top;
  s->nframes = (uint32_t)(top - s->frames) + 1;
  pc = top->ret_pc;
  fp = top->ret_fp;
  if (__builtin_expect(top->ret_mem != mem, 0)) { /* back into another instance */
    mem = top->ret_mem;
    mbase = mem ? mem->base : NULL;
  }
  NEXT();

  /* (the newest handlers sit last, so adding them moves no other handler)
   * an operator fused into its user, both its operands slots: [h][dst, a][v, w] */
#define SLOTTED(id, outer, inner, ty, expr)                                    \
  L_##id: {                                                                     \
    __typeof__(RD_##ty(0)) a = RD_##ty(fp[SB]), v = RD_##ty(fp[SC]), w = RD_##ty(fp[SD]); \
    fp[SA] = WR_##ty(expr);                                                     \
    pc += 3;                                                                    \
    NEXT();                                                                     \
  }
  INTERP_SLOT_FUSIONS(SLOTTED)
L_I32_ADD2K: /* a + b + k, the sum of two slots used only by the add of k: [h][dst, a][b, k] */
  fp[SA] = WR_u32(RD_u32(fp[SB]) + RD_u32(fp[SC]) + (uint32_t)SD);
  pc += 3;
  NEXT();

  /* two ops in a row in one dispatch (translate.c, pair_ops): the second's
   * cells follow the first's as they were, its handler cell unused */
#define ADD_AT(c) (fp[pc[c].p.a] = WR_u32(RD_u32(fp[pc[c].p.b]) + RD_u32(fp[pc[(c) + 1].p.a])))
#define ADDK_AT(c) (fp[pc[c].p.a] = WR_u32(RD_u32(fp[pc[c].p.b]) + (uint32_t)pc[(c) + 1].u))
L_PAIR_ADD_ADD:
  ADD_AT(1);
  ADD_AT(4);
  pc += 6;
  NEXT();
L_PAIR_ADD_ADDK:
  ADD_AT(1);
  ADDK_AT(4);
  pc += 6;
  NEXT();
L_PAIR_ADDK_ADD:
  ADDK_AT(1);
  ADD_AT(4);
  pc += 6;
  NEXT();
L_PAIR_ADDK_ADDK:
  ADDK_AT(1);
  ADDK_AT(4);
  pc += 6;
  NEXT();
L_PAIR_COPY_ADDK:
  fp[SA] = fp[SB];
  ADDK_AT(3);
  pc += 5;
  NEXT();
#undef ADD_AT
#undef ADDK_AT

  /* a move or a constant, then the jump it was made for (a value carried by
   * `br`, `br_if` or a br_table entry; a result): translate.c, pair_jumps.
   * The BR's or RETURN's cells follow as they were. */
L_PAIR_COPY_BR: /* [COPY][dst, src][BR][target] */
  fp[SA] = fp[SB];
  pc = pc[3].target;
  NEXT();
L_PAIR_CONST_BR: /* [CONST][dst][imm][BR][target] */
  fp[SA] = pc[2].u;
  pc = pc[4].target;
  NEXT();
L_PAIR_COPY_RETURN: /* [COPY][dst, src][RETURN] */
  fp[SA] = fp[SB];
  goto L_RETURN;
  /* ---- arithmetic and memory fusions (interp.h, INTERP_ARITH_OPS) ---- */
  /* an add or mul of a load at `q + k`: [h][dst, a][q, -][k][off] */
#define LOADED_A(id, outer, inner, ty, raw, op)                                  \
  L_##id: {                                                                      \
    uint64_t ea = (uint64_t)(uint32_t)(RD_u32(fp[SC]) + (uint32_t)pc[3].u) + pc[4].u; \
    ACCESS_CHECK(ea, sizeof(raw));                                               \
    raw v;                                                                       \
    memcpy(&v, mbase + ea, sizeof(raw));                                         \
    fp[SA] = WR_##ty(RD_##ty(fp[SB]) op RD_##ty(v));                             \
    pc += 5;                                                                     \
    NEXT();                                                                      \
  }
  INTERP_LOAD_A_FUSIONS(LOADED_A)
#undef LOADED_A
L_F64_MULADD_MM: { /* mem[p + poff] += a * mem[u32(q + k) + qoff]: [h][a, q][k][qoff][p, -][poff] */
    uint64_t eq = (uint64_t)(uint32_t)(RD_u32(fp[SB]) + (uint32_t)pc[2].u) + pc[3].u;
    ACCESS_CHECK(eq, 8);
    uint64_t v;
    memcpy(&v, mbase + eq, 8);
    double m = RD_f64(fp[SA]) * RD_f64(v);
    uint64_t ep = (uint64_t)RD_u32(fp[pc[4].p.a]) + pc[5].u;
    ACCESS_CHECK(ep, 8);
    memcpy(&v, mbase + ep, 8);
    v = WR_f64(m + RD_f64(v));
    memcpy(mbase + ep, &v, 8);
    pc += 6;
    NEXT();
  }
L_F64_MULADD_MM_T: { /* p = u32(src + kp), then as F64_MULADD_MM: [h][a, q][k][qoff][p, src][poff][kp] */
    uint32_t l = RD_u32(fp[pc[4].p.b]) + (uint32_t)pc[6].u;
    fp[pc[4].p.a] = WR_u32(l);
    uint64_t eq = (uint64_t)(uint32_t)(RD_u32(fp[SB]) + (uint32_t)pc[2].u) + pc[3].u;
    ACCESS_CHECK(eq, 8);
    uint64_t v;
    memcpy(&v, mbase + eq, 8);
    double m = RD_f64(fp[SA]) * RD_f64(v);
    uint64_t ep = (uint64_t)l + pc[5].u;
    ACCESS_CHECK(ep, 8);
    memcpy(&v, mbase + ep, 8);
    v = WR_f64(m + RD_f64(v));
    memcpy(mbase + ep, &v, 8);
    pc += 7;
    NEXT();
  }
L_COPY3: /* [h][d1, s1][d2, s2][d3, s3], in that order */
  fp[SA] = fp[SB];
  fp[SC] = fp[SD];
  fp[pc[3].p.a] = fp[pc[3].p.b];
  pc += 4;
  NEXT();
L_COPY4:
  fp[SA] = fp[SB];
  fp[SC] = fp[SD];
  fp[pc[3].p.a] = fp[pc[3].p.b];
  fp[pc[4].p.a] = fp[pc[4].p.b];
  pc += 5;
  NEXT();
L_ROTL2_XOR: /* rotl(x, k1) ^ rotl(v, k2): [h][dst, x][v, k2][k1] */
  fp[SA] = WR_u32(rotl32(RD_u32(fp[SB]), (uint32_t)pc[3].u) ^ rotl32(RD_u32(fp[SC]), (uint32_t)SD));
  pc += 4;
  NEXT();
L_ROTL2_XOR64:
  fp[SA] = rotl64(fp[SB], (uint32_t)pc[3].u) ^ rotl64(fp[SC], (uint32_t)SD);
  pc += 4;
  NEXT();
L_ANDK_OR_SHL: /* (x & k1) | (v << k2): [h][dst, x][v, k2][k1] */
  fp[SA] = WR_u32((RD_u32(fp[SB]) & (uint32_t)pc[3].u) | (RD_u32(fp[SC]) << (uint32_t)SD));
  pc += 4;
  NEXT();
L_ANDK_OR_SHL64:
  fp[SA] = (fp[SB] & pc[3].u) | (fp[SC] << (uint32_t)SD);
  pc += 4;
  NEXT();
  /* more slot and mask fusions: [h][dst, a][v, w] / [h][dst, a][v, k] */
  INTERP_ARITH_SLOT_FUSIONS(SLOTTED) /* the same shape as the first slot fusions */
#undef SLOTTED
  INTERP_ARITH_MASK_FUSIONS(SHIFTED) /* the same shape as the shift and mask fusions */
#undef SHIFTED

trap:
  rt_set_trap(s, trap_kind, NULL);
  s->trap_pc = pc; /* the trapping op, for the trace's offsets */
trapped:
  s->nframes = base_depth;
  return false;
}

const void *const *interp_handlers(void) {
  const void *const *t = NULL;
  exec_run(NULL, NULL, NULL, &t);
  return t;
}

/* What interp_invoke does for the calls that are not the common case, kept
 * out of its path: the store's first call makes its frame stack, and a host
 * function called directly runs here without a landing point. */
static __attribute__((noinline, cold)) bool invoke_uncommon(wrun_store *s, wrun_func *f, uint64_t *sp) {
  if (!s->frames) {
    s->frames = malloc((size_t)(s->max_depth + 1) * sizeof *s->frames);
    if (!s->frames) {
      rt_set_trap(s, WRUN_TRAP_STACK_EXHAUSTED, "out of memory for the call stack");
      return false;
    }
    s->cap_frames = s->max_depth + 1;
    if (!f->host) return interp_invoke(s, f, sp);
  }
  uint32_t need = f->param_slots > f->result_slots ? f->param_slots : f->result_slots;
  if (s->nframes >= s->max_depth) {
    rt_set_trap(s, WRUN_TRAP_STACK_EXHAUSTED, NULL);
    return false;
  }
  s->frames[s->nframes++] = (rt_frame_info){f, NULL, NULL, NULL};
  uint64_t *saved = s->stack_top;
  s->stack_top = sp + need;
  bool ok = rt_call_host(s, f, NULL, sp);
  s->stack_top = saved;
  s->nframes--;
  return ok;
}

bool interp_invoke(wrun_store *s, wrun_func *f, uint64_t *sp) {
  if (__builtin_expect(!s->frames || f->host, 0)) return invoke_uncommon(s, f, sp);
  if (f->aot_entry) return rt_tier(RT_TIER_AOT)->invoke(s, f, sp);
  /* Nested calls (host -> wasm) start above the frames of the outer call.
   * The landing point lives here, not in exec_run, so the dispatch loop's
   * registers are not pessimized by a returns-twice call. */
  uint64_t *saved = s->stack_top;
  uint32_t base_depth = s->nframes;
  rt_exec ex;
  ex.outer = rt_current_exec;
  ex.store = s;
  ex.in_wasm = true;
  ex.aot = NULL; /* interpreted: the frame stack is already exact */
  ex.aot_base = 0;
  ex.aot_sp_limit = 0;
  bool ok;
  /* The landing (rt.h) saves no signal mask: saving it cost two
   * rt_sigprocmask system calls per entry, half of a component-to-component
   * call (docs/components.md, Speed). */
  if (RT_LAND(ex.unwind)) { /* a load or store hit a guard page */
    rt_set_trap(s, WRUN_TRAP_MEMORY_OOB, NULL);
    s->nframes = base_depth;
    ok = false;
  } else {
    rt_current_exec = &ex;
    ok = exec_run(s, f, sp, NULL);
  }
  rt_current_exec = ex.outer;
  s->stack_top = saved;
  return ok;
}

static void free_func_code(wrun_func *f) {
  interp_code_free(f->code);
  f->code = NULL;
}

/* An interpreted trace frame's position: the op that trapped (innermost)
 * or the call it made (its record's return address). */
static uint32_t frame_offset(const wrun_store *s, uint32_t i) {
  const wrun_func *f = s->trace[i].func;
  if (!f || f->host) return UINT32_MAX;
  return i + 1 == s->ntrace ? interp_code_offset(f->code, s->trap_pc, false)
                            : interp_code_offset(f->code, s->trace[i].ret_pc, true);
}

const rt_tier_ops interp_tier_ops = {
    .name = "interpreter",
    .invoke = interp_invoke,
    .free_func_code = free_func_code,
    .frame_offset = frame_offset,
#ifdef WRUN_INTERP_PROFILE
    .store_freed = interp_profile_report,
#endif
};
