/*
 * helpers.c — C functions compiled code calls: traps, calls that leave
 * compiled code (host functions, the interpreter, other instances), and the
 * out-of-line instructions (bulk memory, tables, SIMD, conversions that need
 * range checks) working on stack slots with the interpreter's semantics.
 *
 * A trap never returns here: the trap is recorded in the store and the
 * helper unwinds to the landing point (rt.h) of the innermost aot_invoke.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aot/aot.h"
#include "semantics/ops.h"
#include "semantics/simd.h"

static _Noreturn void unwind(void) {
  rt_current_exec->unwind_why = RT_UNWIND_TRAP_RECORDED;
  RT_UNWIND(rt_current_exec->unwind);
}

static _Noreturn void h_trap(aot_ctx *ctx, int kind) {
  /* the compiled caller stored its sp before calling the helper that traps;
   * the return address of that call sits just below it */
  uintptr_t pc;
  memcpy(&pc, (const void *)(ctx->helper_sp - sizeof pc), sizeof pc);
  /* minus one: inside the call (or, on AArch64, the code before the address stored) */
  aot_capture_frames(rt_current_exec, pc - 1, ctx->helper_sp);
  rt_set_trap(ctx->store, (rt_trap_kind)kind, NULL);
  unwind();
}

/* Calls f with the slot ABI; `slots` may be on the native stack. */
static void h_call(aot_ctx *ctx, wrun_func *f, uint64_t *slots) {
  uintptr_t call_sp = ctx->helper_sp; /* code the call runs may store its own there */
  wrun_store *s = ctx->store;
  rt_exec *ex = rt_current_exec;
  bool ok;
  if (f->host) {
    if (s->nframes >= s->max_depth) h_trap(ctx, WRUN_TRAP_STACK_EXHAUSTED);
    s->frames[s->nframes++] = (rt_frame_info){f, NULL, NULL, NULL};
    ex->in_wasm = false; /* a fault in host code is not a wasm trap */
    ok = rt_call_host(s, f, ctx->inst, slots);
    ex->in_wasm = true;
    if (ok) s->nframes--;
  } else if (f->aot_entry) {
    ok = aot_invoke(s, f, slots);
  } else {
    /* the interpreter keeps its frames on the store's value stack */
    uint32_t need = f->param_slots > f->result_slots ? f->param_slots : f->result_slots;
    uint64_t *vs = s->stack_top;
    if (vs + need + 2 > s->stack + s->stack_slots) h_trap(ctx, WRUN_TRAP_STACK_EXHAUSTED);
    memcpy(vs, slots, (size_t)f->param_slots * sizeof *vs);
    ok = rt_tier(RT_TIER_INTERP)->invoke(s, f, vs);
    if (ok) memcpy(slots, vs, (size_t)f->result_slots * sizeof *vs);
  }
  if (!ok) {
    uintptr_t pc; /* where this call was made, as in h_trap */
    memcpy(&pc, (const void *)(call_sp - sizeof pc), sizeof pc);
    aot_trace_after_call(ex, pc - 1, call_sp);
    unwind();
  }
}

static void h_call_indirect(aot_ctx *ctx, uint32_t table, uint32_t typeidx, uint32_t i, uint64_t *slots) {
  rt_table *t = ctx->tables[table];
  if (i >= t->size) h_trap(ctx, WRUN_TRAP_UNDEFINED_ELEMENT);
  wrun_func *f = t->elems[i];
  if (!f) h_trap(ctx, WRUN_TRAP_UNINITIALIZED_ELEMENT);
  if (!rt_functype_equal(f->type, &ctx->inst->module->types[typeidx].func)) h_trap(ctx, WRUN_TRAP_INDIRECT_MISMATCH);
  h_call(ctx, f, slots);
}

static void mem_check(aot_ctx *ctx, uint64_t ea, uint64_t n) {
  if (!ctx->mem0 || ea + n > ctx->mem0->size) h_trap(ctx, WRUN_TRAP_MEMORY_OOB);
}

/* SIMD instructions with operands laid out in slots per the signature. */
static void simd_op(aot_ctx *ctx, uint64_t *sl, wm_opcode op, uint64_t a, uint64_t b) {
  const wm_opinfo *info = &wm_opinfos[op];
  if (info->imm == IMM_MEMARG || info->imm == IMM_MEMARG_LANE) {
    uint32_t size = 1u << info->arg;
    uint64_t ea = RD_u32(sl[0]) + a;
    mem_check(ctx, ea, size);
    uint8_t *p = ctx->mem0->base + ea;
    if (strchr(info->sig, '>')[1]) simd_load(op, (unsigned)b, sl, p, sl + 1);
    else simd_store(op, (unsigned)b, p, sl + 1);
    return;
  }
  uint64_t *in[3] = {sl, sl, sl}, lanes[2];
  uint64_t *p = sl;
  int n = 0;
  for (const char *c = info->sig; *c != '>'; c++) {
    in[n++] = p;
    p += *c == 'v' ? 2 : 1;
  }
  unsigned lane = 0;
  if (info->imm == IMM_LANE) {
    lane = (unsigned)a;
  } else if (info->imm == IMM_SHUFFLE) {
    memcpy(lanes, ctx->inst->module->bytes + a, 16);
    in[2] = lanes;
  }
  simd_exec(op, lane, sl, in[0], in[1], in[2]);
}

static void h_op(aot_ctx *ctx, uint64_t *sl, uint32_t opcode, uint64_t ia, uint64_t ib) {
  wm_opcode op = (wm_opcode)opcode;
  wrun_instance *inst = ctx->inst;
  rt_memory *mem = ctx->mem0;
  switch (op) {
#define BIN(id, ta, tr, expr)                                    \
  case OP_##id: {                                                \
    __typeof__(RD_##ta(0)) a = RD_##ta(sl[0]), b = RD_##ta(sl[1]); \
    sl[0] = WR_##tr(expr);                                       \
    return;                                                      \
  }
#define UN(id, ta, tr, expr)                  \
  case OP_##id: {                             \
    __typeof__(RD_##ta(0)) a = RD_##ta(sl[0]); \
    sl[0] = WR_##tr(expr);                    \
    return;                                   \
  }
#define TRUNC(id, ta, tr, lo, hi)                                        \
  case OP_##id: {                                                        \
    double d = (double)RD_##ta(sl[0]);                                   \
    if (d != d) h_trap(ctx, WRUN_TRAP_INVALID_CONVERSION);               \
    if (!(d > (lo) && d < (hi))) h_trap(ctx, WRUN_TRAP_INT_OVERFLOW);    \
    sl[0] = WR_##tr(d);                                                  \
    return;                                                              \
  }
    SEM_INT_BINOPS(BIN)
    SEM_FLOAT_BINOPS(BIN)
    SEM_BITS_BINOPS(BIN)
    SEM_UNOPS(UN)
    SEM_TRUNC_OPS(TRUNC)
#undef BIN
#undef UN
#undef TRUNC
  case OP_MEMORY_SIZE: sl[0] = mem->size / 65536; return;
  case OP_MEMORY_GROW: sl[0] = WR_i32((int32_t)rt_memory_grow(mem, RD_u32(sl[0]))); return;
  case OP_MEMORY_FILL: {
    uint64_t d = RD_u32(sl[0]), n = RD_u32(sl[2]);
    mem_check(ctx, d, n);
    memset(mem->base + d, (int)(uint8_t)sl[1], n);
    return;
  }
  case OP_MEMORY_COPY: {
    uint64_t d = RD_u32(sl[0]), s = RD_u32(sl[1]), n = RD_u32(sl[2]);
    mem_check(ctx, d, n);
    mem_check(ctx, s, n);
    memmove(mem->base + d, mem->base + s, n);
    return;
  }
  case OP_MEMORY_INIT: {
    uint64_t d = RD_u32(sl[0]), s = RD_u32(sl[1]), n = RD_u32(sl[2]);
    const wm_data *seg = &inst->module->datas[ia];
    uint64_t len = inst->data_dropped[ia] ? 0 : seg->len;
    mem_check(ctx, d, n);
    if (s + n > len) h_trap(ctx, WRUN_TRAP_MEMORY_OOB);
    if (n) memcpy(mem->base + d, seg->bytes + s, n);
    return;
  }
  case OP_DATA_DROP: inst->data_dropped[ia] = true; return;
  case OP_ELEM_DROP: inst->elem_len[ia] = 0; return;
  case OP_TABLE_GET: {
    rt_table *t = inst->tables[ia];
    uint64_t i = RD_u32(sl[0]);
    if (i >= t->size) h_trap(ctx, WRUN_TRAP_TABLE_OOB);
    sl[0] = (uint64_t)(uintptr_t)t->elems[i];
    return;
  }
  case OP_TABLE_SET: {
    rt_table *t = inst->tables[ia];
    uint64_t i = RD_u32(sl[0]);
    if (i >= t->size) h_trap(ctx, WRUN_TRAP_TABLE_OOB);
    t->elems[i] = (void *)(uintptr_t)sl[1];
    return;
  }
  case OP_TABLE_SIZE: sl[0] = inst->tables[ia]->size; return;
  case OP_TABLE_GROW:
    sl[0] = WR_i32((int32_t)rt_table_grow(inst->tables[ia], RD_u32(sl[1]), (void *)(uintptr_t)sl[0]));
    return;
  case OP_TABLE_FILL: {
    rt_table *t = inst->tables[ia];
    uint64_t i = RD_u32(sl[0]), n = RD_u32(sl[2]);
    if (i + n > t->size) h_trap(ctx, WRUN_TRAP_TABLE_OOB);
    for (uint64_t k = 0; k < n; k++) t->elems[i + k] = (void *)(uintptr_t)sl[1];
    return;
  }
  case OP_TABLE_COPY: {
    rt_table *td = inst->tables[ia], *ts = inst->tables[ib];
    uint64_t d = RD_u32(sl[0]), s = RD_u32(sl[1]), n = RD_u32(sl[2]);
    if (d + n > td->size || s + n > ts->size) h_trap(ctx, WRUN_TRAP_TABLE_OOB);
    if (n) memmove(td->elems + d, ts->elems + s, n * sizeof(void *));
    return;
  }
  case OP_TABLE_INIT: {
    rt_table *t = inst->tables[ia];
    uint64_t d = RD_u32(sl[0]), s = RD_u32(sl[1]), n = RD_u32(sl[2]);
    uint64_t len = inst->elem_len[ib];
    if (d + n > t->size || s + n > len) h_trap(ctx, WRUN_TRAP_TABLE_OOB);
    if (n) memcpy(t->elems + d, inst->elem_refs[ib] + s, n * sizeof(void *));
    return;
  }
  case OP_SELECT: /* v128: a (2 slots), b (2 slots), cond */
    if (!RD_u32(sl[4])) memcpy(sl, sl + 2, 16);
    return;
  default:
    if (wm_opinfos[op].prefix == 0xFD) {
      simd_op(ctx, sl, op, ia, ib);
      return;
    }
    rt_set_trap(ctx->store, WRUN_TRAP_HOST, "internal error: no AOT helper for this instruction");
    unwind();
  }
}

void aot_init_helpers(aot_ctx *ctx) {
  ctx->helpers[AOT_H_TRAP] = (void *)h_trap;
  ctx->helpers[AOT_H_CALL] = (void *)h_call;
  ctx->helpers[AOT_H_CALL_INDIRECT] = (void *)h_call_indirect;
  ctx->helpers[AOT_H_OP] = (void *)h_op;
}
