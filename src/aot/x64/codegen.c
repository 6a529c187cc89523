/*
 * codegen.c — validated wasm function bodies to x86-64 machine code.
 *
 * One pass over the bytecode with a compile-time model of the operand stack
 * (each entry is a constant, a lazy reference to a local, a register, or its
 * canonical spill slot in the frame), plus a whole-function register
 * assignment for locals chosen before the pass:
 *
 *  - Locals get registers by use count weighted by loop depth (general
 *    registers for integers and references, XMM registers for floats); the
 *    rest live in frame slots. A local keeps its home for the whole function,
 *    so control-flow joins never need to reconcile local locations.
 *  - Operand-stack values are computed into registers from a pool and spilled
 *    to their canonical slot only when the pool runs dry, at block
 *    boundaries, and before calls; `local.get` and constants stay lazy and
 *    fold into the instruction that consumes them (immediates, memory
 *    operands, addressing modes).
 *  - An arithmetic result followed by `local.set`/`local.tee` is computed
 *    straight into the local's register; a compare followed by `br_if`/`if`
 *    becomes cmp + jcc.
 *  - Memory accesses are `[r15 + index + offset]` with no bounds check (guard
 *    pages, see rt.h), or with an explicit check when bounds_checks is set.
 *
 * Instructions that are rare or long (bulk memory, tables, SIMD, unsigned
 * 64-bit conversions, trapping truncations) go to one out-of-line helper
 * that works on the spill slots, with the interpreter's exact semantics.
 */
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot/aot.h"
#include "aot/x64/asm.h"
#include "binary/opcodes.h"
#include "binary/reader.h"

enum { E_CONST, E_LOCAL, E_REG, E_SLOT };
enum { CL_G, CL_X, CL_V };

/* Registers the allocator hands out (everything else is scratch or fixed). */
#define GPR_ALLOC ((1u << RBX) | (1u << RBP) | (1u << RSI) | (1u << RDI) | (1u << R8) | (1u << R9) | \
                   (1u << R10) | (1u << R12) | (1u << R13))
/* Of those, the ones a C helper may clobber (SysV caller-saved). */
#define GPR_VOLATILE ((1u << RSI) | (1u << RDI) | (1u << R8) | (1u << R9) | (1u << R10))
#define XMM_ALLOC 0x3FFEu /* xmm1..xmm13; xmm0, xmm14, xmm15 are scratch */
#define XMM_S1 14
#define XMM_S2 15
#define MIN_POOL 3

/* Locals prefer registers C helpers preserve. */
static const int8_t gpr_local_order[] = {RBX, RBP, R12, R13, RSI, RDI, R8, R9, R10};

typedef struct ent {
  wasm_valtype type;
  uint8_t kind;
  int8_t reg;
  uint32_t local;
  int32_t pos;                   /* canonical slot index */
  uint64_t imm[2];
} ent;

typedef struct site_list {
  uint32_t *at;
  uint32_t n, cap;
} site_list;

typedef struct ctl {
  wasm_opcode op;                /* BLOCK, LOOP, IF, ELSE, or END for the function itself */
  uint32_t height;
  int32_t base;
  const wasm_valtype *params, *results;
  uint32_t np, nr;
  wasm_valtype single;
  size_t head;                   /* loops: the address of the loop start */
  site_list patches;             /* jumps to the end label */
  int64_t else_site;             /* IF: the jump to the else branch, -1 if none */
  bool unreachable, dead;
} ctl;

typedef struct cg {
  const aot_func_in *in;
  const wasm_module *m;
  const wasm_functype *ft;
  wasm_reader r;
  x64_buf b;
  ent *vs;
  uint32_t nv, capv;
  ctl *cs;
  uint32_t nc, capc;
  uint32_t nlocals;
  wasm_valtype *ltype;
  int8_t *lreg;                  /* register home or -1 */
  int32_t *lslot;                /* frame slot (always reserved: also the save area) */
  uint32_t nlslots;
  int32_t maxpos;
  uint32_t gfree, xfree;         /* free pool registers */
  uint32_t gpool, xpool;
  uint32_t gused, xused;         /* registers written: saved in the prologue */
  bool calls_c;                  /* calls a C helper that returns: save all it may clobber */
  site_list traps[WRUN_TRAP_INTERRUPTED + 1];
  site_list rets;
  aot_reloc *relocs;
  uint32_t nrelocs, caprelocs;
  bool fail;
  char msg[160];
} cg;

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t size) {
  if (need <= *cap) return true;
  uint32_t c = *cap ? *cap : 16;
  while (c < need) c *= 2;
  void *q = realloc(*p, (size_t)c * size);
  if (!q) return false;
  *p = q;
  *cap = c;
  return true;
}

static void failf(cg *c, const char *msg) {
  if (!c->fail) snprintf(c->msg, sizeof c->msg, "%s", msg);
  c->fail = true;
}

static void add_site(cg *c, site_list *l, size_t at) {
  if (!grow((void **)&l->at, &l->cap, l->n + 1, sizeof *l->at)) failf(c, "out of memory");
  else l->at[l->n++] = (uint32_t)at;
}

static void bind_sites(cg *c, site_list *l, size_t target) {
  for (uint32_t i = 0; i < l->n; i++) x64_patch_rel32(&c->b, l->at[i], target);
  l->n = 0;
}

/* ---- types and frame layout -------------------------------------------------- */

static int cls_of(wasm_valtype t) {
  if (t == WASM_F32 || t == WASM_F64) return CL_X;
  if (t == WASM_V128) return CL_V;
  return CL_G;
}
static bool wide(wasm_valtype t) { return t != WASM_I32 && t != WASM_F32; } /* 64-bit operations */
static int32_t width(wasm_valtype t) { return t == WASM_V128 ? 2 : 1; }

static x64_mem slot_mem(const cg *c, int32_t pos) {
  return x64_base(RSP, 8 + 8 * ((int32_t)c->nlslots + pos));
}
static x64_mem local_mem(const cg *c, uint32_t i) { return x64_base(RSP, 8 + 8 * c->lslot[i]); }
static x64_mem argptr_mem(void) { return x64_base(RSP, 0); }
static x64_mem ctx_mem(size_t off) { return x64_base(R14, (int32_t)off); }

/* ---- moving values ----------------------------------------------------------- */

static void xmov(cg *c, int dst, int src) { /* movaps */
  if (dst != src) x64_op_rm(&c->b, 0, 0x0F28, false, dst, x64_r(src));
}

static void xload(cg *c, wasm_valtype t, int dst, x64_rm src) { /* movss / movsd */
  if (!src.is_mem) xmov(c, dst, src.reg);
  else x64_sse(&c->b, t == WASM_F32 ? 0xF3 : 0xF2, 0x10, false, dst, src);
}

/* Where a non-constant entry lives. */
static x64_rm ent_rm(const cg *c, const ent *e) {
  switch (e->kind) {
  case E_LOCAL: return c->lreg[e->local] >= 0 ? x64_r(c->lreg[e->local]) : x64_m(local_mem(c, e->local));
  case E_REG: return x64_r(e->reg);
  default: return x64_m(slot_mem(c, e->pos));
  }
}

static void load_g(cg *c, const ent *e, int dst) {
  bool w = wide(e->type);
  if (e->kind == E_CONST) {
    x64_mov_imm(&c->b, w, dst, e->imm[0]);
    return;
  }
  x64_rm rm = ent_rm(c, e);
  if (!rm.is_mem && rm.reg == dst) return;
  x64_mov_load(&c->b, w, dst, rm);
}

static void load_x(cg *c, const ent *e, int dst) {
  if (e->kind == E_CONST) {
    if (e->imm[0] == 0) {
      x64_op_rm(&c->b, 0, 0x0F57, false, dst, x64_r(dst)); /* xorps */
    } else {
      x64_mov_imm(&c->b, true, RAX, e->imm[0]);
      x64_movq_xr(&c->b, true, dst, RAX);
    }
    return;
  }
  xload(c, e->type, dst, ent_rm(c, e));
}

/* Writes an entry's value (all 8 or 16 bytes) to memory. Uses r11/xmm15. */
static void store_ent(cg *c, const ent *e, x64_mem dst) {
  int cl = cls_of(e->type);
  if (cl == CL_V) {
    x64_mem src;
    if (e->kind == E_CONST) {
      for (int k = 0; k < 2; k++) {
        x64_mov_imm(&c->b, true, R11, e->imm[k]);
        x64_mem d = dst;
        d.disp += 8 * k;
        x64_mov_store(&c->b, true, d, R11);
      }
      return;
    }
    src = e->kind == E_LOCAL ? local_mem(c, e->local) : slot_mem(c, e->pos);
    if (src.base == dst.base && src.disp == dst.disp && src.index == dst.index) return;
    for (int k = 0; k < 2; k++) {
      x64_mem s = src, d = dst;
      s.disp += 8 * k;
      d.disp += 8 * k;
      x64_mov_load(&c->b, true, R11, x64_m(s));
      x64_mov_store(&c->b, true, d, R11);
    }
    return;
  }
  if (e->kind == E_CONST) {
    int64_t v = (int64_t)e->imm[0];
    if (v >= INT32_MIN && v <= INT32_MAX) {
      x64_mov_store_imm32(&c->b, true, dst, (int32_t)v);
    } else {
      x64_mov_imm(&c->b, true, R11, e->imm[0]);
      x64_mov_store(&c->b, true, dst, R11);
    }
    return;
  }
  x64_rm rm = ent_rm(c, e);
  if (rm.is_mem) {
    if (rm.mem.base == dst.base && rm.mem.disp == dst.disp && rm.mem.index == dst.index) return;
    x64_mov_load(&c->b, true, R11, rm);
    x64_mov_store(&c->b, true, dst, R11);
  } else if (cl == CL_X) {
    x64_sse_store(&c->b, 0xF2, 0x11, rm.reg, dst); /* movsd: all 8 bytes */
  } else {
    x64_mov_store(&c->b, true, dst, rm.reg);
  }
}

/* ---- the register pool ----------------------------------------------------------- */

static void release(cg *c, const ent *e) {
  if (e->kind != E_REG) return;
  if (cls_of(e->type) == CL_X) c->xfree |= 1u << e->reg;
  else c->gfree |= 1u << e->reg;
}

static void spill(cg *c, ent *e) {
  if (e->kind == E_SLOT) return;
  store_ent(c, e, slot_mem(c, e->pos));
  release(c, e);
  e->kind = E_SLOT;
}

static int alloc_reg(cg *c, int cl) {
  uint32_t *fr = cl == CL_X ? &c->xfree : &c->gfree;
  if (!*fr) {
    for (uint32_t i = 0; i < c->nv; i++)
      if (c->vs[i].kind == E_REG && cls_of(c->vs[i].type) == cl) {
        spill(c, &c->vs[i]);
        break;
      }
  }
  if (!*fr) {
    failf(c, "internal error: register pool exhausted");
    return cl == CL_X ? 1 : RBX;
  }
  int r = __builtin_ctz(*fr);
  *fr &= ~(1u << r);
  if (cl == CL_X) c->xused |= 1u << r;
  else c->gused |= 1u << r;
  return r;
}

/* Makes stack entry i register-resident (a register of its own). */
static int to_reg(cg *c, uint32_t i) {
  ent *e = &c->vs[i];
  if (e->kind == E_REG) return e->reg;
  int cl = cls_of(e->type);
  int r = alloc_reg(c, cl);
  e = &c->vs[i]; /* (spilling does not move entries, but keep it obvious) */
  if (cl == CL_X) load_x(c, e, r);
  else load_g(c, e, r);
  e->kind = E_REG;
  e->reg = (int8_t)r;
  return r;
}

static void flush_all(cg *c) {
  for (uint32_t i = 0; i < c->nv; i++) spill(c, &c->vs[i]);
}

/* ---- the simulated stack ------------------------------------------------------------ */

static int32_t top_end(const cg *c) {
  return c->nv ? c->vs[c->nv - 1].pos + width(c->vs[c->nv - 1].type) : 0;
}

static ent *push(cg *c, wasm_valtype t, uint8_t kind) {
  if (!grow((void **)&c->vs, &c->capv, c->nv + 1, sizeof *c->vs)) {
    failf(c, "out of memory");
    c->nv = 0;
  }
  ent *e = &c->vs[c->nv];
  memset(e, 0, sizeof *e);
  e->type = t;
  e->kind = kind;
  e->pos = top_end(c);
  if (e->pos + width(t) > c->maxpos) c->maxpos = e->pos + width(t);
  c->nv++;
  return e;
}

static void push_reg(cg *c, wasm_valtype t, int r) { push(c, t, E_REG)->reg = (int8_t)r; }
static void push_const(cg *c, wasm_valtype t, uint64_t lo, uint64_t hi) {
  ent *e = push(c, t, E_CONST);
  e->imm[0] = lo;
  e->imm[1] = hi;
}
static void push_local(cg *c, uint32_t x) { push(c, c->ltype[x], E_LOCAL)->local = x; }

static ent pop(cg *c) { return c->vs[--c->nv]; }

/* Before local x changes: entries still reading it lazily take a copy. */
static void detach_local(cg *c, uint32_t x, uint32_t below) {
  for (uint32_t i = 0; i < below && i < c->nv; i++)
    if (c->vs[i].kind == E_LOCAL && c->vs[i].local == x) {
      if (cls_of(c->vs[i].type) == CL_V) spill(c, &c->vs[i]);
      else to_reg(c, i);
    }
}

/* ---- immediates ---------------------------------------------------------------------- */

static uint32_t u32(cg *c) {
  uint32_t v = 0;
  reader_u32(&c->r, &v);
  return v;
}

static void read_blocktype(cg *c, const wasm_valtype **params, uint32_t *np, const wasm_valtype **results,
                           uint32_t *nr, wasm_valtype *single) {
  uint8_t b = *c->r.p;
  *params = *results = NULL;
  *np = *nr = 0;
  *single = 0;
  if (b == 0x40) {
    c->r.p++;
  } else if (b >= 0x6F) {
    c->r.p++;
    *single = b == 0x70 ? WASM_FUNCREF : b == 0x6F ? WASM_EXTERNREF : b;
    *nr = 1;
  } else {
    int64_t idx = 0;
    reader_s33(&c->r, &idx);
    const wasm_functype *ft = &c->m->types[idx].func;
    *params = wasm_functype_params(ft);
    *np = ft->nparams;
    *results = wasm_functype_results(ft);
    *nr = ft->nresults;
  }
}

static void skip_imm(cg *c, wasm_imm_kind imm) {
  const uint8_t *p;
  int64_t s64;
  int32_t s32;
  uint8_t b;
  switch (imm) {
  case IMM_NONE: break;
  case IMM_BLOCKTYPE: {
    const wasm_valtype *a, *d;
    uint32_t x, y;
    wasm_valtype z;
    read_blocktype(c, &a, &x, &d, &y, &z);
    break;
  }
  case IMM_LABEL: case IMM_FUNC: case IMM_LOCAL: case IMM_GLOBAL: case IMM_TABLE: case IMM_ELEM:
  case IMM_DATA: u32(c); break;
  case IMM_CALL_INDIRECT: case IMM_ELEM_TABLE: case IMM_TABLE_TABLE: u32(c); u32(c); break;
  case IMM_BR_TABLE: { uint32_t n = u32(c); for (uint32_t i = 0; i <= n; i++) u32(c); break; }
  case IMM_MEMARG: u32(c); u32(c); break;
  case IMM_MEMARG_LANE: u32(c); u32(c); reader_u8(&c->r, &b); break;
  case IMM_MEMORY: reader_u8(&c->r, &b); break;
  case IMM_MEMORY_MEMORY: reader_u8(&c->r, &b); reader_u8(&c->r, &b); break;
  case IMM_DATA_MEMORY: u32(c); reader_u8(&c->r, &b); break;
  case IMM_I32: reader_s32(&c->r, &s32); break;
  case IMM_I64: reader_s64(&c->r, &s64); break;
  case IMM_F32: reader_bytes(&c->r, 4, &p); break;
  case IMM_F64: reader_bytes(&c->r, 8, &p); break;
  case IMM_V128: case IMM_SHUFFLE: reader_bytes(&c->r, 16, &p); break;
  case IMM_LANE: reader_u8(&c->r, &b); break;
  case IMM_SELECT_T: { uint32_t n = u32(c); for (uint32_t i = 0; i < n; i++) reader_u8(&c->r, &b); break; }
  case IMM_HEAPTYPE: reader_u8(&c->r, &b); break;
  }
}

/* Decodes the opcode at the reader. */
static wasm_opcode read_op(wasm_reader *r) {
  uint8_t b = 0;
  reader_u8(r, &b);
  if (b == 0xFC || b == 0xFD) {
    uint32_t code = 0;
    reader_u32(r, &code);
    return wasm_op_lookup(b, code);
  }
  return wasm_op_lookup(0, b);
}

/* The next instruction, without consuming it. */
static wasm_opcode peek_op(const cg *c, uint32_t *imm) {
  wasm_reader r = c->r;
  if (reader_eof(&r)) return OP_COUNT_;
  wasm_opcode op = read_op(&r);
  *imm = 0;
  if (op == OP_LOCAL_SET || op == OP_LOCAL_TEE || op == OP_BR_IF) reader_u32(&r, imm);
  return op;
}

static void consume_op(cg *c) {
  wasm_opcode op = read_op(&c->r);
  skip_imm(c, wasm_opinfos[op].imm);
}

/* ---- helpers and traps ---------------------------------------------------------------- */

static void trap_jcc(cg *c, int cc, wrun_trap_kind kind) { add_site(c, &c->traps[kind], x64_jcc_rel32(&c->b, cc)); }
static void trap_jmp(cg *c, wrun_trap_kind kind) { add_site(c, &c->traps[kind], x64_jmp_rel32(&c->b)); }

/* Locals whose home a C call clobbers are saved around helper calls. */
static void save_volatile(cg *c, bool restore) {
  c->calls_c = true;
  for (uint32_t i = 0; i < c->nlocals; i++) {
    int r = c->lreg[i];
    if (r < 0) continue;
    bool x = cls_of(c->ltype[i]) == CL_X;
    if (!x && !(GPR_VOLATILE & (1u << r))) continue;
    x64_mem m = local_mem(c, i);
    if (x) {
      if (restore) x64_sse(&c->b, 0xF2, 0x10, false, r, x64_m(m));
      else x64_sse_store(&c->b, 0xF2, 0x11, r, m);
    } else if (restore) {
      x64_mov_load(&c->b, true, r, x64_m(m));
    } else {
      x64_mov_store(&c->b, true, m, r);
    }
  }
}

static void call_helper(cg *c, aot_helper h) {
  x64_op_rm(&c->b, 0, 0xFF, false, 2, x64_m(ctx_mem(offsetof(aot_ctx, helpers) + 8 * (size_t)h)));
}

/* An instruction done by the out-of-line helper: operands and results in
 * their canonical slots. `in` and `out` are the operand and result types. */
static void slot_op(cg *c, wasm_opcode op, const wasm_valtype *in, uint32_t nin, const wasm_valtype *out,
                    uint32_t nout, uint64_t a, uint64_t b) {
  (void)in;
  flush_all(c);
  int32_t p0 = nin ? c->vs[c->nv - nin].pos : top_end(c);
  save_volatile(c, false);
  x64_mov_rr(&c->b, true, RDI, R14);
  x64_lea(&c->b, true, RSI, slot_mem(c, p0));
  x64_mov_imm(&c->b, false, RDX, (uint64_t)op);
  x64_mov_imm(&c->b, true, RCX, a);
  x64_mov_imm(&c->b, true, R8, b);
  call_helper(c, AOT_H_OP);
  save_volatile(c, true);
  c->nv -= nin;
  for (uint32_t i = 0; i < nout; i++) push(c, out[i], E_SLOT);
}

static wasm_valtype sig_type(char ch) {
  switch (ch) {
  case 'i': return WASM_I32;
  case 'I': return WASM_I64;
  case 'f': return WASM_F32;
  case 'F': return WASM_F64;
  case 'v': return WASM_V128;
  default: return WASM_I32; /* 'a': memory32 addresses */
  }
}

/* slot_op for an instruction with a fixed signature. */
static void slot_op_sig(cg *c, wasm_opcode op, uint64_t a, uint64_t b) {
  const char *sig = wasm_opinfos[op].sig;
  wasm_valtype in[4], out[2];
  uint32_t nin = 0, nout = 0;
  const char *p = sig;
  for (; *p != '>'; p++) in[nin++] = sig_type(*p);
  for (p++; *p; p++) out[nout++] = sig_type(*p);
  slot_op(c, op, in, nin, out, nout, a, b);
}

/* ---- control ----------------------------------------------------------------------------- */

static ctl *push_ctl(cg *c, wasm_opcode op, const wasm_valtype *params, uint32_t np, const wasm_valtype *results,
                     uint32_t nr, wasm_valtype single, bool dead) {
  if (!grow((void **)&c->cs, &c->capc, c->nc + 1, sizeof *c->cs)) {
    failf(c, "out of memory");
    return &c->cs[0];
  }
  ctl *f = &c->cs[c->nc++];
  memset(f, 0, sizeof *f);
  f->op = op;
  f->params = params;
  f->np = np;
  f->results = results;
  f->nr = nr;
  f->single = single;
  f->height = c->nv - (dead ? 0 : np);
  f->base = f->height < c->nv ? c->vs[f->height].pos : top_end(c);
  f->else_site = -1;
  f->dead = dead;
  return f;
}

static const wasm_valtype *ctl_results(const ctl *f) { return f->results ? f->results : &f->single; }

static uint32_t label_arity(const ctl *f) { return f->op == OP_LOOP ? f->np : f->nr; }

/* Writes the top n values where label f expects them (its slots, or the
 * caller's result slots for the function label). Changes no entry. */
static void move_to_label(cg *c, const ctl *f, uint32_t n) {
  bool ret = f == &c->cs[0];
  if (ret && n) x64_mov_load(&c->b, true, RDX, x64_m(argptr_mem()));
  int32_t dst = ret ? 0 : f->base;
  for (uint32_t i = c->nv - n; i < c->nv; i++) {
    const ent *e = &c->vs[i];
    if (ret) store_ent(c, e, x64_base(RDX, 8 * dst));
    else if (!(e->kind == E_SLOT && e->pos == dst)) store_ent(c, e, slot_mem(c, dst));
    dst += width(e->type);
  }
}

static bool label_in_place(const cg *c, const ctl *f, uint32_t n) {
  if (f == &c->cs[0]) return n == 0;
  int32_t dst = f->base;
  for (uint32_t i = c->nv - n; i < c->nv; i++) {
    if (c->vs[i].kind != E_SLOT || c->vs[i].pos != dst) return false;
    dst += width(c->vs[i].type);
  }
  return true;
}

static void jump_to(cg *c, ctl *f) {
  if (f == &c->cs[0]) {
    add_site(c, &c->rets, x64_jmp_rel32(&c->b));
  } else if (f->op == OP_LOOP) {
    x64_patch_rel32(&c->b, x64_jmp_rel32(&c->b), f->head);
  } else {
    add_site(c, &f->patches, x64_jmp_rel32(&c->b));
  }
}

static void branch(cg *c, uint32_t depth) {
  ctl *f = &c->cs[c->nc - 1 - depth];
  move_to_label(c, f, label_arity(f));
  jump_to(c, f);
}

/* Branch to `depth` when condition code cc holds (flags already set). */
static void cond_branch(cg *c, int cc, uint32_t depth) {
  ctl *f = &c->cs[c->nc - 1 - depth];
  uint32_t n = label_arity(f);
  if (label_in_place(c, f, n) && f != &c->cs[0]) {
    size_t at = x64_jcc_rel32(&c->b, cc);
    if (f->op == OP_LOOP) x64_patch_rel32(&c->b, at, f->head);
    else add_site(c, &f->patches, at);
    return;
  }
  size_t skip = x64_jcc_rel32(&c->b, cc ^ 1);
  move_to_label(c, f, n);
  jump_to(c, f);
  x64_patch_rel32(&c->b, skip, c->b.n);
}

static void set_unreachable(cg *c) {
  ctl *f = &c->cs[c->nc - 1];
  for (uint32_t i = f->height; i < c->nv; i++) release(c, &c->vs[i]);
  c->nv = f->height;
  f->unreachable = true;
}

static void interrupt_check(cg *c) {
  if (!c->in->interruptible) return;
  x64_mov_load(&c->b, true, R11, x64_m(ctx_mem(offsetof(aot_ctx, interrupt))));
  x64_op_rm(&c->b, 0, 0x83, false, 7, x64_m(x64_base(R11, 0))); /* cmp dword [r11], 0 */
  x64_byte(&c->b, 0);
  trap_jcc(c, CC_NE, WRUN_TRAP_TIMEOUT);
}

/* Pops an i32 condition and sets flags: returns the cc meaning "true". Fuses
 * a preceding compare when the caller passes its cc in *pending. */
static int test_cond(cg *c) {
  ent v = pop(c);
  if (v.kind == E_CONST) {
    x64_mov_imm(&c->b, false, R11, v.imm[0]);
    x64_test_rr(&c->b, false, R11, R11);
  } else {
    x64_rm rm = ent_rm(c, &v);
    if (rm.is_mem) {
      x64_op_rm(&c->b, 0, 0x83, false, 7, rm); /* cmp dword [m], 0 */
      x64_byte(&c->b, 0);
    } else {
      x64_test_rr(&c->b, false, rm.reg, rm.reg);
    }
  }
  release(c, &v);
  return CC_NE;
}

static void end_ctl(cg *c) {
  ctl *f = &c->cs[c->nc - 1];
  bool fn = c->nc == 1;
  if (!f->unreachable && !f->dead) {
    move_to_label(c, f, f->nr);
    if (fn) jump_to(c, f);
  }
  for (uint32_t i = f->height; i < c->nv; i++) release(c, &c->vs[i]);
  c->nv = f->height;
  if (f->dead) {
    free(f->patches.at);
    c->nc--;
    return;
  }
  if (f->else_site >= 0) x64_patch_rel32(&c->b, (size_t)f->else_site, c->b.n);
  bind_sites(c, &f->patches, c->b.n);
  free(f->patches.at);
  if (!fn)
    for (uint32_t i = 0; i < f->nr; i++) push(c, ctl_results(f)[i], E_SLOT);
  c->nc--;
}

/* ---- integer instructions --------------------------------------------------------------- */

/* If the next instruction is local.set/tee of a register-homed local of
 * class cl, consumes it and returns the local; else -1. Entries below the
 * top `operands` that read the local lazily are detached first. */
static int64_t fused_set(cg *c, int cl, uint32_t operands, bool *tee) {
  uint32_t x;
  wasm_opcode next = peek_op(c, &x);
  if (next != OP_LOCAL_SET && next != OP_LOCAL_TEE) return -1;
  if (x >= c->nlocals || c->lreg[x] < 0 || cls_of(c->ltype[x]) != cl) return -1;
  detach_local(c, x, c->nv - operands);
  consume_op(c);
  *tee = next == OP_LOCAL_TEE;
  return x;
}

static bool is_local_in(const ent *e, int64_t x) { return x >= 0 && e->kind == E_LOCAL && e->local == (uint32_t)x; }

static bool commutative(wasm_opcode op) {
  switch (op) {
  case OP_I32_ADD: case OP_I32_MUL: case OP_I32_AND: case OP_I32_OR: case OP_I32_XOR:
  case OP_I64_ADD: case OP_I64_MUL: case OP_I64_AND: case OP_I64_OR: case OP_I64_XOR:
  case OP_F32_ADD: case OP_F32_MUL: case OP_F64_ADD: case OP_F64_MUL: return true;
  default: return false;
  }
}

static int alu_ext(wasm_opcode op) {
  switch (op) {
  case OP_I32_ADD: case OP_I64_ADD: return 0;
  case OP_I32_OR: case OP_I64_OR: return 1;
  case OP_I32_AND: case OP_I64_AND: return 4;
  case OP_I32_SUB: case OP_I64_SUB: return 5;
  case OP_I32_XOR: case OP_I64_XOR: return 6;
  default: return -1;
  }
}

static int shift_ext(wasm_opcode op) {
  switch (op) {
  case OP_I32_ROTL: case OP_I64_ROTL: return 0;
  case OP_I32_ROTR: case OP_I64_ROTR: return 1;
  case OP_I32_SHL: case OP_I64_SHL: return 4;
  case OP_I32_SHR_U: case OP_I64_SHR_U: return 5;
  case OP_I32_SHR_S: case OP_I64_SHR_S: return 7;
  default: return -1;
  }
}

/* dst op= b, for dst already holding the left operand (count in cl for
 * variable shifts, loaded by the caller). */
static void int_apply(cg *c, wasm_opcode op, bool w, int dst, const ent *b) {
  int ext = alu_ext(op), sh = shift_ext(op);
  if (sh >= 0) {
    if (b->kind == E_CONST) x64_shift_imm(&c->b, sh, w, dst, (uint8_t)(b->imm[0] & (w ? 63 : 31)));
    else x64_shift_cl(&c->b, sh, w, dst);
    return;
  }
  if (b->kind == E_CONST) {
    int64_t v = w ? (int64_t)b->imm[0] : (int64_t)(int32_t)(uint32_t)b->imm[0];
    if (v >= INT32_MIN && v <= INT32_MAX) {
      if (ext >= 0) x64_alu_imm(&c->b, ext, w, x64_r(dst), (int32_t)v);
      else x64_imul_imm(&c->b, w, dst, x64_r(dst), (int32_t)v);
      return;
    }
    x64_mov_imm(&c->b, true, R11, b->imm[0]);
    if (ext >= 0) x64_alu_rm(&c->b, ext, w, dst, x64_r(R11));
    else x64_imul_rm(&c->b, w, dst, x64_r(R11));
    return;
  }
  if (ext >= 0) x64_alu_rm(&c->b, ext, w, dst, ent_rm(c, b));
  else x64_imul_rm(&c->b, w, dst, ent_rm(c, b));
}

static void int_binop(cg *c, wasm_opcode op) {
  bool w = op >= OP_I64_CLZ && op <= OP_I64_ROTR;
  wasm_valtype t = w ? WASM_I64 : WASM_I32;
  bool tee = false;
  int64_t x = fused_set(c, CL_G, 2, &tee);
  bool var_shift = shift_ext(op) >= 0 && c->vs[c->nv - 1].kind != E_CONST;
  if (x < 0) {
    to_reg(c, c->nv - 2);
    ent b = pop(c), a = pop(c);
    if (var_shift) load_g(c, &b, RCX);
    int_apply(c, op, w, a.reg, &b);
    release(c, &b);
    push_reg(c, t, a.reg);
    return;
  }
  int dst = c->lreg[x];
  ent b = pop(c), a = pop(c);
  if (var_shift) load_g(c, &b, RCX);
  if (is_local_in(&b, x) && !is_local_in(&a, x)) {
    if (commutative(op)) {
      int_apply(c, op, w, dst, &a);
    } else {
      load_g(c, &a, R11);
      int_apply(c, op, w, R11, &b);
      x64_mov_rr(&c->b, w, dst, R11);
    }
  } else {
    if (!is_local_in(&a, x)) load_g(c, &a, dst);
    int_apply(c, op, w, dst, &b);
  }
  release(c, &a);
  release(c, &b);
  if (tee) push_local(c, (uint32_t)x);
}

static int int_cc(wasm_opcode op) {
  switch (op) {
  case OP_I32_EQ: case OP_I64_EQ: return CC_E;
  case OP_I32_NE: case OP_I64_NE: return CC_NE;
  case OP_I32_LT_S: case OP_I64_LT_S: return CC_L;
  case OP_I32_LT_U: case OP_I64_LT_U: return CC_B;
  case OP_I32_GT_S: case OP_I64_GT_S: return CC_G;
  case OP_I32_GT_U: case OP_I64_GT_U: return CC_A;
  case OP_I32_LE_S: case OP_I64_LE_S: return CC_LE;
  case OP_I32_LE_U: case OP_I64_LE_U: return CC_BE;
  case OP_I32_GE_S: case OP_I64_GE_S: return CC_GE;
  default: return CC_AE;
  }
}

/* After flags are set for a boolean with condition cc: fuse with a following
 * br_if / if, or materialize 0/1. */
static void flags_result(cg *c, int cc);

static void int_compare(cg *c, wasm_opcode op) {
  bool w = op >= OP_I64_EQZ && op <= OP_I64_GE_U;
  int cc = int_cc(op);
  ent b = pop(c), a = pop(c);
  if (a.kind == E_CONST) {
    load_g(c, &a, R11);
    a.kind = E_REG;
    a.reg = R11;
  }
  x64_rm ra = ent_rm(c, &a);
  if (b.kind == E_CONST) {
    int64_t v = w ? (int64_t)b.imm[0] : (int64_t)(int32_t)(uint32_t)b.imm[0];
    if (v >= INT32_MIN && v <= INT32_MAX) {
      x64_alu_imm(&c->b, 7, w, ra, (int32_t)v);
    } else {
      x64_mov_imm(&c->b, true, RAX, b.imm[0]);
      x64_alu_mr(&c->b, 7, w, ra, RAX);
    }
  } else {
    x64_rm rb = ent_rm(c, &b);
    if (rb.is_mem) {
      if (ra.is_mem) {
        x64_mov_load(&c->b, w, R11, ra);
        ra = x64_r(R11);
      }
      x64_alu_rm(&c->b, 7, w, ra.reg, rb);
    } else {
      x64_alu_mr(&c->b, 7, w, ra, rb.reg);
    }
  }
  if (a.reg != R11) release(c, &a);
  release(c, &b);
  flags_result(c, cc);
}

static void int_eqz(cg *c, bool w) {
  ent a = pop(c);
  if (a.kind == E_CONST) {
    load_g(c, &a, R11);
    x64_test_rr(&c->b, w, R11, R11);
  } else {
    x64_rm ra = ent_rm(c, &a);
    if (ra.is_mem) {
      x64_op_rm(&c->b, 0, 0x83, w, 7, ra);
      x64_byte(&c->b, 0);
    } else {
      x64_test_rr(&c->b, w, ra.reg, ra.reg);
    }
  }
  release(c, &a);
  flags_result(c, CC_E);
}

/* Fused condition for if: jump to the else part when cc does not hold. */
static void begin_if(cg *c, int cc_true, const wasm_valtype *params, uint32_t np, const wasm_valtype *results,
                     uint32_t nr, wasm_valtype single);

static void flags_result(cg *c, int cc) {
  uint32_t imm;
  wasm_opcode next = peek_op(c, &imm);
  if (next == OP_BR_IF) {
    consume_op(c);
    cond_branch(c, cc, imm);
    return;
  }
  if (next == OP_IF) {
    read_op(&c->r);
    const wasm_valtype *params, *results;
    uint32_t np, nr;
    wasm_valtype single;
    read_blocktype(c, &params, &np, &results, &nr, &single);
    begin_if(c, cc, params, np, results, nr, single);
    return;
  }
  int r = alloc_reg(c, CL_G);
  x64_setcc(&c->b, cc, r);
  x64_movzx8(&c->b, r, x64_r(r));
  push_reg(c, WASM_I32, r);
}

static void begin_if(cg *c, int cc_true, const wasm_valtype *params, uint32_t np, const wasm_valtype *results,
                     uint32_t nr, wasm_valtype single) {
  flush_all(c); /* moves only: the flags survive */
  ctl *f = push_ctl(c, OP_IF, params, np, results, nr, single, false);
  f->else_site = (int64_t)x64_jcc_rel32(&c->b, cc_true ^ 1);
}

static void int_divrem(cg *c, wasm_opcode op) {
  bool w = op >= OP_I64_DIV_S;
  bool sgn = op == OP_I32_DIV_S || op == OP_I32_REM_S || op == OP_I64_DIV_S || op == OP_I64_REM_S;
  bool rem = op == OP_I32_REM_S || op == OP_I32_REM_U || op == OP_I64_REM_S || op == OP_I64_REM_U;
  ent b = pop(c), a = pop(c);
  load_g(c, &b, RCX);
  load_g(c, &a, RAX);
  release(c, &a);
  release(c, &b);
  x64_test_rr(&c->b, w, RCX, RCX);
  trap_jcc(c, CC_E, WRUN_TRAP_DIV_ZERO);
  size_t skip = 0, done = 0;
  if (sgn) {
    x64_alu_imm(&c->b, 7, w, x64_r(RCX), -1);
    size_t normal = x64_jcc_rel32(&c->b, CC_NE);
    if (rem) {
      x64_mov_imm(&c->b, false, RDX, 0);
      done = x64_jmp_rel32(&c->b);
    } else {
      /* INT_MIN / -1 overflows; anything else / -1 is a negation */
      if (w) {
        x64_mov_imm(&c->b, true, R11, UINT64_C(0x8000000000000000));
        x64_alu_rm(&c->b, 7, true, RAX, x64_r(R11));
      } else {
        x64_alu_imm(&c->b, 7, false, x64_r(RAX), INT32_MIN);
      }
      trap_jcc(c, CC_E, WRUN_TRAP_INT_OVERFLOW);
    }
    x64_patch_rel32(&c->b, normal, c->b.n);
    x64_cdq(&c->b, w);
    x64_unary(&c->b, 7, w, x64_r(RCX));
  } else {
    x64_mov_imm(&c->b, false, RDX, 0);
    x64_unary(&c->b, 6, w, x64_r(RCX));
  }
  (void)skip;
  if (done) x64_patch_rel32(&c->b, done, c->b.n);
  int r = alloc_reg(c, CL_G);
  x64_mov_rr(&c->b, w, r, rem ? RDX : RAX);
  push_reg(c, w ? WASM_I64 : WASM_I32, r);
}

static void int_unop(cg *c, wasm_opcode op) {
  uint32_t i = c->nv - 1;
  wasm_valtype rt;
  switch (op) {
  case OP_I64_EXTEND_I32_S: case OP_I64_EXTEND_I32_U: rt = WASM_I64; break;
  case OP_I32_WRAP_I64: rt = WASM_I32; break;
  default: rt = c->vs[i].type;
  }
  bool w = wide(c->vs[i].type);
  int r = to_reg(c, i);
  switch (op) {
  case OP_I32_CLZ: case OP_I64_CLZ:
    x64_mov_imm(&c->b, false, R11, w ? 127 : 63);
    x64_bitscan(&c->b, 0x0FBD, w, r, x64_r(r));
    x64_cmov(&c->b, CC_E, w, r, x64_r(R11));
    x64_alu_imm(&c->b, 6, w, x64_r(r), w ? 63 : 31);
    break;
  case OP_I32_CTZ: case OP_I64_CTZ:
    x64_mov_imm(&c->b, false, R11, w ? 64 : 32);
    x64_bitscan(&c->b, 0x0FBC, w, r, x64_r(r));
    x64_cmov(&c->b, CC_E, w, r, x64_r(R11));
    break;
  case OP_I32_POPCNT: case OP_I64_POPCNT: x64_popcnt(&c->b, w, r, x64_r(r)); break;
  case OP_I32_EXTEND8_S: x64_movsx8(&c->b, false, r, x64_r(r)); break;
  case OP_I32_EXTEND16_S: x64_movsx16(&c->b, false, r, x64_r(r)); break;
  case OP_I64_EXTEND8_S: x64_movsx8(&c->b, true, r, x64_r(r)); break;
  case OP_I64_EXTEND16_S: x64_movsx16(&c->b, true, r, x64_r(r)); break;
  case OP_I64_EXTEND32_S: case OP_I64_EXTEND_I32_S: x64_movsxd(&c->b, r, x64_r(r)); break;
  case OP_I64_EXTEND_I32_U: case OP_I32_WRAP_I64: x64_mov_rr(&c->b, false, r, r); break;
  default: failf(c, "internal error: unary op"); break;
  }
  c->vs[i].type = rt;
}

/* ---- floating point --------------------------------------------------------------------- */

static uint8_t fpfx(bool dbl) { return dbl ? 0xF2 : 0xF3; }

/* An SSE source operand for entry e: register, memory, or constant loaded into xmm15. */
static x64_rm xsrc(cg *c, const ent *e) {
  if (e->kind == E_CONST) {
    load_x(c, e, XMM_S2);
    return x64_r(XMM_S2);
  }
  return ent_rm(c, e);
}

static void float_minmax(cg *c, bool dbl, bool max, int dst, const ent *b) {
  load_x(c, b, XMM_S2);
  uint8_t p66 = dbl ? 0x66 : 0;
  x64_sse(&c->b, p66, 0x2E, false, dst, x64_r(XMM_S2)); /* ucomis */
  size_t nan = x64_jcc_rel32(&c->b, CC_P);
  size_t ne = x64_jcc_rel32(&c->b, CC_NE);
  /* equal: only the sign of zero can differ; or/and the bits */
  x64_sse(&c->b, p66, max ? 0x54 : 0x56, false, dst, x64_r(XMM_S2));
  size_t d1 = x64_jmp_rel32(&c->b);
  x64_patch_rel32(&c->b, nan, c->b.n);
  x64_sse(&c->b, fpfx(dbl), 0x58, false, dst, x64_r(XMM_S2)); /* NaN + x: a quiet NaN */
  size_t d2 = x64_jmp_rel32(&c->b);
  x64_patch_rel32(&c->b, ne, c->b.n);
  x64_sse(&c->b, fpfx(dbl), max ? 0x5F : 0x5D, false, dst, x64_r(XMM_S2));
  x64_patch_rel32(&c->b, d1, c->b.n);
  x64_patch_rel32(&c->b, d2, c->b.n);
}

static void float_apply(cg *c, wasm_opcode op, bool dbl, int dst, const ent *b) {
  uint8_t code;
  switch (op) {
  case OP_F32_ADD: case OP_F64_ADD: code = 0x58; break;
  case OP_F32_SUB: case OP_F64_SUB: code = 0x5C; break;
  case OP_F32_MUL: case OP_F64_MUL: code = 0x59; break;
  case OP_F32_DIV: case OP_F64_DIV: code = 0x5E; break;
  case OP_F32_MIN: case OP_F64_MIN: float_minmax(c, dbl, false, dst, b); return;
  case OP_F32_MAX: case OP_F64_MAX: float_minmax(c, dbl, true, dst, b); return;
  default: { /* copysign, on the bits */
    bool w = dbl;
    x64_movq_rx(&c->b, w, RAX, dst);
    if (b->kind == E_CONST) x64_mov_imm(&c->b, w, RCX, b->imm[0]);
    else if (ent_rm(c, b).is_mem) x64_mov_load(&c->b, w, RCX, ent_rm(c, b));
    else x64_movq_rx(&c->b, w, RCX, ent_rm(c, b).reg);
    x64_mov_imm(&c->b, w, R11, w ? UINT64_C(0x7FFFFFFFFFFFFFFF) : 0x7FFFFFFFu);
    x64_alu_rm(&c->b, 4, w, RAX, x64_r(R11));
    x64_unary(&c->b, 2, w, x64_r(R11));
    x64_alu_rm(&c->b, 4, w, RCX, x64_r(R11));
    x64_alu_rm(&c->b, 1, w, RAX, x64_r(RCX));
    x64_movq_xr(&c->b, w, dst, RAX);
    return;
  }
  }
  x64_sse(&c->b, fpfx(dbl), code, false, dst, xsrc(c, b));
}

static void float_binop(cg *c, wasm_opcode op) {
  bool dbl = op >= OP_F64_ABS;
  wasm_valtype t = dbl ? WASM_F64 : WASM_F32;
  bool tee = false;
  int64_t x = fused_set(c, CL_X, 2, &tee);
  if (x < 0) {
    to_reg(c, c->nv - 2);
    ent b = pop(c), a = pop(c);
    float_apply(c, op, dbl, a.reg, &b);
    release(c, &b);
    push_reg(c, t, a.reg);
    return;
  }
  int dst = c->lreg[x];
  ent b = pop(c), a = pop(c);
  if (is_local_in(&b, x) && !is_local_in(&a, x)) {
    if (commutative(op)) {
      float_apply(c, op, dbl, dst, &a);
    } else {
      load_x(c, &a, XMM_S1);
      float_apply(c, op, dbl, XMM_S1, &b);
      xmov(c, dst, XMM_S1);
    }
  } else {
    if (!is_local_in(&a, x)) load_x(c, &a, dst);
    float_apply(c, op, dbl, dst, &b);
  }
  release(c, &a);
  release(c, &b);
  if (tee) push_local(c, (uint32_t)x);
}

static void float_compare(cg *c, wasm_opcode op) {
  bool dbl = op >= OP_F64_EQ;
  uint8_t p66 = dbl ? 0x66 : 0;
  ent b = pop(c), a = pop(c);
  /* lt/le compare the other way round so that "above" (false when unordered) works */
  bool swap = op == OP_F32_LT || op == OP_F64_LT || op == OP_F32_LE || op == OP_F64_LE;
  const ent *l = swap ? &b : &a, *r = swap ? &a : &b;
  load_x(c, l, XMM_S1);
  x64_sse(&c->b, p66, 0x2E, false, XMM_S1, xsrc(c, r));
  release(c, &a);
  release(c, &b);
  switch (op) {
  case OP_F32_EQ: case OP_F64_EQ: /* ZF=1 and PF=0 */
  case OP_F32_NE: case OP_F64_NE: { /* ZF=0 or PF=1 */
    bool eq = op == OP_F32_EQ || op == OP_F64_EQ;
    x64_setcc(&c->b, eq ? CC_E : CC_NE, RAX);
    x64_setcc(&c->b, eq ? CC_NP : CC_P, RCX);
    x64_op_rm8(&c->b, eq ? 0x20 : 0x08, RCX, x64_r(RAX)); /* and/or al, cl */
    x64_op_rm8(&c->b, 0x84, RAX, x64_r(RAX));             /* test al, al */
    flags_result(c, CC_NE);
    return;
  }
  case OP_F32_LT: case OP_F64_LT: case OP_F32_GT: case OP_F64_GT: flags_result(c, CC_A); return;
  default: flags_result(c, CC_AE); return;
  }
}

static void float_unop(cg *c, wasm_opcode op) {
  uint32_t i = c->nv - 1;
  ent *e = &c->vs[i];
  switch (op) {
  case OP_F32_ABS: case OP_F64_ABS: case OP_F32_NEG: case OP_F64_NEG: {
    bool w = op == OP_F64_ABS || op == OP_F64_NEG;
    bool neg = op == OP_F32_NEG || op == OP_F64_NEG;
    int r = to_reg(c, i);
    x64_movq_rx(&c->b, w, RAX, r);
    if (neg) x64_mov_imm(&c->b, w, R11, w ? UINT64_C(0x8000000000000000) : 0x80000000u);
    else x64_mov_imm(&c->b, w, R11, w ? UINT64_C(0x7FFFFFFFFFFFFFFF) : 0x7FFFFFFFu);
    x64_alu_rm(&c->b, neg ? 6 : 4, w, RAX, x64_r(R11));
    x64_movq_xr(&c->b, w, r, RAX);
    return;
  }
  case OP_F32_SQRT: case OP_F64_SQRT: {
    bool dbl = op == OP_F64_SQRT;
    int r = to_reg(c, i);
    x64_sse(&c->b, fpfx(dbl), 0x51, false, r, x64_r(r));
    return;
  }
  case OP_F32_CEIL: case OP_F64_CEIL: case OP_F32_FLOOR: case OP_F64_FLOOR: case OP_F32_TRUNC: case OP_F64_TRUNC:
  case OP_F32_NEAREST: case OP_F64_NEAREST: {
    bool dbl = op >= OP_F64_ABS;
    uint8_t mode = (op == OP_F32_CEIL || op == OP_F64_CEIL) ? 2 : (op == OP_F32_FLOOR || op == OP_F64_FLOOR) ? 1
                   : (op == OP_F32_TRUNC || op == OP_F64_TRUNC) ? 3 : 0;
    int r = to_reg(c, i);
    x64_round(&c->b, dbl, r, r, (uint8_t)(mode | 8));
    return;
  }
  case OP_F32_DEMOTE_F64: case OP_F64_PROMOTE_F32: {
    bool to64 = op == OP_F64_PROMOTE_F32;
    int r = to_reg(c, i);
    x64_sse(&c->b, to64 ? 0xF3 : 0xF2, 0x5A, false, r, x64_r(r));
    c->vs[i].type = to64 ? WASM_F64 : WASM_F32;
    return;
  }
  case OP_F32_CONVERT_I32_S: case OP_F32_CONVERT_I32_U: case OP_F32_CONVERT_I64_S:
  case OP_F64_CONVERT_I32_S: case OP_F64_CONVERT_I32_U: case OP_F64_CONVERT_I64_S: {
    bool dbl = op >= OP_F64_CONVERT_I32_S;
    /* a u32 is converted as the (zero-extended) i64 it equals */
    bool w = op == OP_F32_CONVERT_I64_S || op == OP_F64_CONVERT_I64_S || op == OP_F32_CONVERT_I32_U ||
             op == OP_F64_CONVERT_I32_U;
    ent a = pop(c);
    load_g(c, &a, RAX);
    release(c, &a);
    int r = alloc_reg(c, CL_X);
    x64_op_rm(&c->b, 0, 0x0F57, false, r, x64_r(r)); /* xorps: no false dependency */
    x64_sse(&c->b, fpfx(dbl), 0x2A, w, r, x64_r(RAX));
    push_reg(c, dbl ? WASM_F64 : WASM_F32, r);
    return;
  }
  case OP_I32_REINTERPRET_F32: case OP_I64_REINTERPRET_F64: {
    bool w = op == OP_I64_REINTERPRET_F64;
    ent a = pop(c);
    int r = alloc_reg(c, CL_G);
    if (a.kind == E_CONST) x64_mov_imm(&c->b, w, r, a.imm[0]);
    else if (ent_rm(c, &a).is_mem) x64_mov_load(&c->b, w, r, ent_rm(c, &a));
    else x64_movq_rx(&c->b, w, r, ent_rm(c, &a).reg);
    release(c, &a);
    push_reg(c, w ? WASM_I64 : WASM_I32, r);
    return;
  }
  case OP_F32_REINTERPRET_I32: case OP_F64_REINTERPRET_I64: {
    bool w = op == OP_F64_REINTERPRET_I64;
    ent a = pop(c);
    int r = alloc_reg(c, CL_X);
    if (a.kind == E_CONST) {
      x64_mov_imm(&c->b, w, RAX, a.imm[0]);
      x64_movq_xr(&c->b, w, r, RAX);
    } else if (ent_rm(c, &a).is_mem) {
      xload(c, w ? WASM_F64 : WASM_F32, r, ent_rm(c, &a));
    } else {
      x64_movq_xr(&c->b, w, r, ent_rm(c, &a).reg);
    }
    release(c, &a);
    push_reg(c, w ? WASM_F64 : WASM_F32, r);
    return;
  }
  default:
    (void)e;
    slot_op_sig(c, op, 0, 0);
    return;
  }
}

/* ---- memory ---------------------------------------------------------------------------- */

/* The address operand for an access of `size` bytes at a + offset. May use
 * r11 (and rax while computing). */
static x64_mem address(cg *c, const ent *a, uint64_t offset, uint32_t size) {
  if (c->in->bounds_checks) {
    if (a->kind == E_CONST) x64_mov_imm(&c->b, false, R11, a->imm[0]);
    else x64_mov_load(&c->b, false, R11, ent_rm(c, a));
    x64_mov_imm(&c->b, true, RAX, offset + size);
    x64_alu_rm(&c->b, 0, true, RAX, x64_r(R11));
    x64_mov_load(&c->b, true, RDX, x64_m(ctx_mem(offsetof(aot_ctx, mem0))));
    x64_alu_rm(&c->b, 7, true, RAX, x64_m(x64_base(RDX, (int32_t)offsetof(wrun_memory, size))));
    trap_jcc(c, CC_A, WRUN_TRAP_MEMORY_OOB);
    if (offset <= INT32_MAX) return x64_bidx(R15, R11, 1, (int32_t)offset);
    x64_mov_imm(&c->b, true, RAX, offset);
    x64_alu_rm(&c->b, 0, true, R11, x64_r(RAX));
    return x64_bidx(R15, R11, 1, 0);
  }
  if (a->kind == E_CONST) {
    uint64_t ea = (uint32_t)a->imm[0] + offset;
    if (ea <= INT32_MAX) return x64_base(R15, (int32_t)ea);
    x64_mov_imm(&c->b, true, R11, ea);
    return x64_bidx(R15, R11, 1, 0);
  }
  x64_rm rm = ent_rm(c, a);
  int idx;
  if (rm.is_mem) {
    x64_mov_load(&c->b, false, R11, rm);
    idx = R11;
  } else {
    idx = rm.reg;
  }
  if (offset <= INT32_MAX) return x64_bidx(R15, idx, 1, (int32_t)offset);
  if (idx != R11) x64_mov_rr(&c->b, false, R11, idx);
  x64_mov_imm(&c->b, true, RAX, offset);
  x64_alu_rm(&c->b, 0, true, R11, x64_r(RAX));
  return x64_bidx(R15, R11, 1, 0);
}

static void mem_load(cg *c, wasm_opcode op, uint64_t offset) {
  const wasm_opinfo *info = &wasm_opinfos[op];
  wasm_valtype rt = sig_type(strchr(info->sig, '>')[1]);
  uint32_t size = 1u << info->arg;
  ent a = pop(c);
  int r = alloc_reg(c, cls_of(rt));
  x64_mem m = address(c, &a, offset, size);
  x64_rm s = x64_m(m);
  switch (op) {
  case OP_I32_LOAD: case OP_I64_LOAD32_U: x64_mov_load(&c->b, false, r, s); break;
  case OP_I64_LOAD: x64_mov_load(&c->b, true, r, s); break;
  case OP_F32_LOAD: x64_sse(&c->b, 0xF3, 0x10, false, r, s); break;
  case OP_F64_LOAD: x64_sse(&c->b, 0xF2, 0x10, false, r, s); break;
  case OP_I32_LOAD8_S: x64_movsx8(&c->b, false, r, s); break;
  case OP_I64_LOAD8_S: x64_movsx8(&c->b, true, r, s); break;
  case OP_I32_LOAD8_U: case OP_I64_LOAD8_U: x64_movzx8(&c->b, r, s); break;
  case OP_I32_LOAD16_S: x64_movsx16(&c->b, false, r, s); break;
  case OP_I64_LOAD16_S: x64_movsx16(&c->b, true, r, s); break;
  case OP_I32_LOAD16_U: case OP_I64_LOAD16_U: x64_movzx16(&c->b, r, s); break;
  case OP_I64_LOAD32_S: x64_movsxd(&c->b, r, s); break;
  default: failf(c, "internal error: load"); break;
  }
  release(c, &a);
  push_reg(c, rt, r);
}

static void mem_store(cg *c, wasm_opcode op, uint64_t offset) {
  const wasm_opinfo *info = &wasm_opinfos[op];
  uint32_t size = 1u << info->arg;
  ent v = pop(c), a = pop(c);
  /* the value goes to rcx/xmm15 unless it already sits in a register */
  int vr = -1;
  bool fl = v.type == WASM_F32 || v.type == WASM_F64;
  if (v.kind != E_CONST) {
    x64_rm rm = ent_rm(c, &v);
    if (!rm.is_mem) vr = rm.reg;
  }
  if (vr < 0 && v.kind != E_CONST) {
    if (fl) {
      load_x(c, &v, XMM_S2);
      vr = XMM_S2;
    } else {
      load_g(c, &v, RCX);
      vr = RCX;
    }
  }
  x64_mem m = address(c, &a, offset, size);
  if (v.kind == E_CONST && (size < 8 || ((int64_t)v.imm[0] >= INT32_MIN && (int64_t)v.imm[0] <= INT32_MAX))) {
    uint32_t k = (uint32_t)v.imm[0];
    if (size == 1) {
      x64_op_rm(&c->b, 0, 0xC6, false, 0, x64_m(m));
      x64_byte(&c->b, (uint8_t)k);
    } else if (size == 2) {
      x64_op_rm(&c->b, 0x66, 0xC7, false, 0, x64_m(m));
      x64_byte(&c->b, (uint8_t)k);
      x64_byte(&c->b, (uint8_t)(k >> 8));
    } else {
      x64_mov_store_imm32(&c->b, size == 8, m, (int32_t)k);
    }
  } else {
    if (v.kind == E_CONST) {
      x64_mov_imm(&c->b, true, RCX, v.imm[0]);
      vr = RCX;
      fl = false;
    }
    if (fl) {
      x64_sse_store(&c->b, size == 4 ? 0xF3 : 0xF2, 0x11, vr, m);
    } else if (size == 1) {
      x64_store8(&c->b, m, vr);
    } else if (size == 2) {
      x64_store16(&c->b, m, vr);
    } else {
      x64_mov_store(&c->b, size == 8, m, vr);
    }
  }
  release(c, &v);
  release(c, &a);
}

/* ---- calls ----------------------------------------------------------------------------- */

static void add_reloc(cg *c, size_t at, uint32_t callee) {
  if (!grow((void **)&c->relocs, &c->caprelocs, c->nrelocs + 1, sizeof *c->relocs)) {
    failf(c, "out of memory");
    return;
  }
  c->relocs[c->nrelocs++] = (aot_reloc){(uint32_t)at, callee};
}

static void push_results(cg *c, const wasm_functype *ft, int32_t p0) {
  int32_t need = p0;
  for (uint32_t i = 0; i < ft->nparams; i++) need += width(wasm_functype_params(ft)[i]);
  if (need > c->maxpos) c->maxpos = need;
  for (uint32_t i = 0; i < ft->nresults; i++) push(c, wasm_functype_results(ft)[i], E_SLOT);
}

static void call_direct(cg *c, uint32_t fidx) {
  const wasm_functype *ft = wasm_module_func_type(c->m, fidx);
  flush_all(c);
  int32_t p0 = ft->nparams ? c->vs[c->nv - ft->nparams].pos : top_end(c);
  c->nv -= ft->nparams;
  if (fidx < c->m->nimported_funcs) {
    save_volatile(c, false);
    x64_mov_rr(&c->b, true, RDI, R14);
    x64_mov_load(&c->b, true, RSI, x64_m(ctx_mem(offsetof(aot_ctx, funcs))));
    x64_mov_load(&c->b, true, RSI, x64_m(x64_base(RSI, (int32_t)(8 * fidx))));
    x64_lea(&c->b, true, RDX, slot_mem(c, p0));
    call_helper(c, AOT_H_CALL);
    save_volatile(c, true);
  } else {
    x64_lea(&c->b, true, RAX, slot_mem(c, p0));
    add_reloc(c, x64_call_rel32(&c->b), fidx);
  }
  push_results(c, ft, p0);
}

static void call_indirect(cg *c, uint32_t typeidx, uint32_t table) {
  const wasm_functype *ft = &c->m->types[typeidx].func;
  flush_all(c);
  ent idx = pop(c);
  int32_t p0 = ft->nparams ? c->vs[c->nv - ft->nparams].pos : idx.pos;
  c->nv -= ft->nparams;
  x64_mov_load(&c->b, false, RCX, ent_rm(c, &idx));
  /* fast path: a compiled function of this instance with the very same type */
  x64_mov_load(&c->b, true, R11, x64_m(ctx_mem(offsetof(aot_ctx, tables))));
  x64_mov_load(&c->b, true, R11, x64_m(x64_base(R11, (int32_t)(8 * table))));
  x64_alu_rm(&c->b, 7, true, RCX, x64_m(x64_base(R11, (int32_t)offsetof(wrun_table, size))));
  size_t slow1 = x64_jcc_rel32(&c->b, CC_AE);
  x64_mov_load(&c->b, true, R11, x64_m(x64_base(R11, (int32_t)offsetof(wrun_table, elems))));
  x64_mov_load(&c->b, true, R11, x64_m(x64_bidx(R11, RCX, 8, 0)));
  x64_test_rr(&c->b, true, R11, R11);
  size_t slow2 = x64_jcc_rel32(&c->b, CC_E);
  x64_mov_load(&c->b, true, RAX, x64_m(x64_base(R11, (int32_t)offsetof(wrun_func, inst))));
  x64_alu_rm(&c->b, 7, true, RAX, x64_m(ctx_mem(offsetof(aot_ctx, inst))));
  size_t slow3 = x64_jcc_rel32(&c->b, CC_NE);
  x64_mov_load(&c->b, true, RAX, x64_m(x64_base(R11, (int32_t)offsetof(wrun_func, type))));
  x64_mov_load(&c->b, true, RDX, x64_m(ctx_mem(offsetof(aot_ctx, types))));
  x64_alu_rm(&c->b, 7, true, RAX, x64_m(x64_base(RDX, (int32_t)(8 * typeidx))));
  size_t slow4 = x64_jcc_rel32(&c->b, CC_NE);
  x64_mov_load(&c->b, true, R11, x64_m(x64_base(R11, (int32_t)offsetof(wrun_func, aot_entry))));
  x64_test_rr(&c->b, true, R11, R11);
  size_t slow5 = x64_jcc_rel32(&c->b, CC_E);
  x64_lea(&c->b, true, RAX, slot_mem(c, p0));
  x64_call_r(&c->b, R11);
  size_t done = x64_jmp_rel32(&c->b);
  size_t slow = c->b.n;
  x64_patch_rel32(&c->b, slow1, slow);
  x64_patch_rel32(&c->b, slow2, slow);
  x64_patch_rel32(&c->b, slow3, slow);
  x64_patch_rel32(&c->b, slow4, slow);
  x64_patch_rel32(&c->b, slow5, slow);
  /* slow path: checks, traps, other instances, host and interpreted functions */
  x64_mov_rr(&c->b, false, RAX, RCX);
  save_volatile(c, false);
  x64_mov_rr(&c->b, true, RDI, R14);
  x64_mov_imm(&c->b, false, RSI, table);
  x64_mov_imm(&c->b, false, RDX, typeidx);
  x64_mov_rr(&c->b, false, RCX, RAX);
  x64_lea(&c->b, true, R8, slot_mem(c, p0));
  call_helper(c, AOT_H_CALL_INDIRECT);
  save_volatile(c, true);
  x64_patch_rel32(&c->b, done, c->b.n);
  push_results(c, ft, p0);
}

/* ---- variables -------------------------------------------------------------------------- */

static void local_set(cg *c, uint32_t x, bool tee) {
  detach_local(c, x, c->nv - 1);
  ent v = pop(c);
  int r = c->lreg[x];
  if (is_local_in(&v, x)) {
    /* local.set of its own value: nothing to do */
  } else if (r < 0) {
    store_ent(c, &v, local_mem(c, x));
  } else if (cls_of(v.type) == CL_X) {
    load_x(c, &v, r);
  } else {
    load_g(c, &v, r);
  }
  release(c, &v);
  if (tee) push_local(c, x);
}

static void global_addr(cg *c, uint32_t g) {
  x64_mov_load(&c->b, true, R11, x64_m(ctx_mem(offsetof(aot_ctx, globals))));
  x64_mov_load(&c->b, true, R11, x64_m(x64_base(R11, (int32_t)(8 * g))));
}

static void global_get(cg *c, uint32_t g) {
  wasm_valtype t = c->m->globals[g].type.type;
  int cl = cls_of(t);
  size_t val = offsetof(wrun_global, val);
  if (cl == CL_V) {
    ent *e = push(c, t, E_SLOT);
    global_addr(c, g);
    for (int k = 0; k < 2; k++) {
      x64_mov_load(&c->b, true, RAX, x64_m(x64_base(R11, (int32_t)(val + 8 * (size_t)k))));
      x64_mem d = slot_mem(c, e->pos);
      d.disp += 8 * k;
      x64_mov_store(&c->b, true, d, RAX);
    }
    return;
  }
  int r = alloc_reg(c, cl);
  global_addr(c, g);
  x64_mem m = x64_base(R11, (int32_t)val);
  if (cl == CL_X) xload(c, t, r, x64_m(m));
  else x64_mov_load(&c->b, wide(t), r, x64_m(m));
  push_reg(c, t, r);
}

static void global_set(cg *c, uint32_t g) {
  ent v = pop(c);
  size_t val = offsetof(wrun_global, val);
  if (cls_of(v.type) == CL_V) {
    spill(c, &v);
    global_addr(c, g);
    for (int k = 0; k < 2; k++) {
      x64_mem s = slot_mem(c, v.pos);
      s.disp += 8 * k;
      x64_mov_load(&c->b, true, RAX, x64_m(s));
      x64_mov_store(&c->b, true, x64_base(R11, (int32_t)(val + 8 * (size_t)k)), RAX);
    }
    return;
  }
  if (v.kind == E_CONST || ent_rm(c, &v).is_mem) {
    if (v.kind == E_CONST) x64_mov_imm(&c->b, true, RAX, v.imm[0]);
    else x64_mov_load(&c->b, true, RAX, ent_rm(c, &v));
    global_addr(c, g);
    x64_mov_store(&c->b, true, x64_base(R11, (int32_t)val), RAX);
  } else {
    global_addr(c, g);
    int r = ent_rm(c, &v).reg;
    if (cls_of(v.type) == CL_X) x64_sse_store(&c->b, 0xF2, 0x11, r, x64_base(R11, (int32_t)val));
    else x64_mov_store(&c->b, true, x64_base(R11, (int32_t)val), r);
  }
  release(c, &v);
}

static void select_op(cg *c) {
  /* stack: a b cond -> cond ? a : b */
  wasm_valtype t = c->vs[c->nv - 2].type;
  int cl = cls_of(t);
  if (cl == CL_V) {
    wasm_valtype in[3] = {t, t, WASM_I32}, out[1] = {t};
    slot_op(c, OP_SELECT, in, 3, out, 1, 0, 0);
    return;
  }
  int r = to_reg(c, c->nv - 3);
  int cc = test_cond(c);
  ent b = pop(c), a = pop(c);
  (void)a;
  if (cl == CL_G) {
    if (b.kind == E_CONST) {
      load_g(c, &b, R11);
      x64_cmov(&c->b, cc ^ 1, wide(t), r, x64_r(R11));
    } else {
      x64_cmov(&c->b, cc ^ 1, wide(t), r, ent_rm(c, &b));
    }
  } else {
    size_t keep = x64_jcc_rel32(&c->b, cc);
    load_x(c, &b, r);
    x64_patch_rel32(&c->b, keep, c->b.n);
  }
  release(c, &b);
  push_reg(c, t, r);
}

/* ---- the instruction loop ---------------------------------------------------------------- */

static void br_table(cg *c) {
  uint32_t n = u32(c);
  uint32_t *depths = malloc(((size_t)n + 1) * sizeof *depths);
  if (!depths) {
    failf(c, "out of memory");
    return;
  }
  for (uint32_t i = 0; i <= n; i++) depths[i] = u32(c);
  ent idx = pop(c);
  load_g(c, &idx, RCX);
  release(c, &idx);
  /* one stub per entry (moves + jump); the table holds stub offsets */
  x64_alu_imm(&c->b, 7, false, x64_r(RCX), (int32_t)n);
  x64_mov_imm(&c->b, false, R11, n);
  x64_cmov(&c->b, CC_AE, false, RCX, x64_r(R11));
  size_t lea = x64_lea_rip(&c->b, R11);
  x64_movsxd(&c->b, RCX, x64_m(x64_bidx(R11, RCX, 4, 0)));
  x64_alu_rm(&c->b, 0, true, RCX, x64_r(R11));
  x64_jmp_r(&c->b, RCX);
  size_t table = c->b.n;
  for (uint32_t i = 0; i <= n; i++) x64_u32(&c->b, 0);
  x64_patch_rel32(&c->b, lea, table);
  for (uint32_t i = 0; i <= n; i++) {
    uint32_t k;
    for (k = 0; k < i; k++)
      if (depths[k] == depths[i]) break;
    int32_t rel;
    if (k < i) {
      memcpy(&rel, c->b.p + table + 4 * k, 4);
    } else {
      rel = (int32_t)(c->b.n - table);
      branch(c, depths[i]);
    }
    if (!c->b.oom) memcpy(c->b.p + table + 4 * i, &rel, 4);
  }
  free(depths);
  set_unreachable(c);
}

static void instr(cg *c) {
  wasm_opcode op = read_op(&c->r);
  const wasm_opinfo *info = &wasm_opinfos[op];
  if (op == OP_COUNT_) {
    failf(c, "internal error: unknown opcode");
    return;
  }
  ctl *cur = &c->cs[c->nc - 1];
  if (cur->unreachable || cur->dead) { /* keep only the block structure */
    if (op == OP_BLOCK || op == OP_LOOP || op == OP_IF) {
      skip_imm(c, info->imm);
      push_ctl(c, op, NULL, 0, NULL, 0, 0, true);
    } else if (op == OP_ELSE) {
      if (!cur->dead) { /* the then-part ended unreachable; the else-part is live */
        if (cur->else_site >= 0) x64_patch_rel32(&c->b, (size_t)cur->else_site, c->b.n);
        cur->else_site = -1;
        cur->unreachable = false;
        cur->op = OP_ELSE;
        c->nv = cur->height;
        for (uint32_t i = 0; i < cur->np; i++) push(c, cur->params[i], E_SLOT);
      }
    } else if (op == OP_END) {
      end_ctl(c);
    } else {
      skip_imm(c, info->imm);
    }
    return;
  }

  switch (op) {
  case OP_UNREACHABLE: trap_jmp(c, WRUN_TRAP_UNREACHABLE); set_unreachable(c); return;
  case OP_NOP: return;
  case OP_BLOCK: case OP_LOOP: case OP_IF: {
    const wasm_valtype *params, *results;
    uint32_t np, nr;
    wasm_valtype single;
    read_blocktype(c, &params, &np, &results, &nr, &single);
    if (op == OP_IF) {
      int cc = test_cond(c);
      begin_if(c, cc, params, np, results, nr, single);
      return;
    }
    flush_all(c);
    ctl *f = push_ctl(c, op, params, np, results, nr, single, false);
    if (op == OP_LOOP) {
      f->head = c->b.n;
      interrupt_check(c);
    }
    return;
  }
  case OP_ELSE: {
    ctl *f = cur;
    move_to_label(c, f, f->nr);
    add_site(c, &f->patches, x64_jmp_rel32(&c->b));
    for (uint32_t i = f->height; i < c->nv; i++) release(c, &c->vs[i]);
    c->nv = f->height;
    if (f->else_site >= 0) x64_patch_rel32(&c->b, (size_t)f->else_site, c->b.n);
    f->else_site = -1;
    f->op = OP_ELSE;
    for (uint32_t i = 0; i < f->np; i++) push(c, f->params[i], E_SLOT);
    return;
  }
  case OP_END: end_ctl(c); return;
  case OP_BR: branch(c, u32(c)); set_unreachable(c); return;
  case OP_BR_IF: {
    uint32_t d = u32(c);
    int cc = test_cond(c);
    cond_branch(c, cc, d);
    return;
  }
  case OP_BR_TABLE: br_table(c); return;
  case OP_RETURN: branch(c, c->nc - 1); set_unreachable(c); return;
  case OP_CALL: call_direct(c, u32(c)); return;
  case OP_CALL_INDIRECT: {
    uint32_t ti = u32(c), tab = u32(c);
    call_indirect(c, ti, tab);
    return;
  }
  case OP_DROP: {
    ent v = pop(c);
    release(c, &v);
    return;
  }
  case OP_SELECT: select_op(c); return;
  case OP_SELECT_T: skip_imm(c, info->imm); select_op(c); return;
  case OP_LOCAL_GET: push_local(c, u32(c)); return;
  case OP_LOCAL_SET: local_set(c, u32(c), false); return;
  case OP_LOCAL_TEE: local_set(c, u32(c), true); return;
  case OP_GLOBAL_GET: global_get(c, u32(c)); return;
  case OP_GLOBAL_SET: global_set(c, u32(c)); return;
  case OP_I32_CONST: { int32_t v = 0; reader_s32(&c->r, &v); push_const(c, WASM_I32, (uint32_t)v, 0); return; }
  case OP_I64_CONST: { int64_t v = 0; reader_s64(&c->r, &v); push_const(c, WASM_I64, (uint64_t)v, 0); return; }
  case OP_F32_CONST: { uint32_t v = 0; reader_f32(&c->r, &v); push_const(c, WASM_F32, v, 0); return; }
  case OP_F64_CONST: { uint64_t v = 0; reader_f64(&c->r, &v); push_const(c, WASM_F64, v, 0); return; }
  case OP_V128_CONST: {
    const uint8_t *p = NULL;
    uint64_t lo = 0, hi = 0;
    if (reader_bytes(&c->r, 16, &p)) {
      memcpy(&lo, p, 8);
      memcpy(&hi, p + 8, 8);
    }
    push_const(c, WASM_V128, lo, hi);
    return;
  }
  case OP_REF_NULL: skip_imm(c, info->imm); push_const(c, WASM_FUNCREF, 0, 0); return;
  case OP_REF_IS_NULL: {
    ent *e = &c->vs[c->nv - 1];
    e->type = WASM_I64; /* compare all 64 bits */
    int_eqz(c, true);
    return;
  }
  case OP_REF_FUNC: {
    uint32_t x = u32(c);
    int r = alloc_reg(c, CL_G);
    x64_mov_load(&c->b, true, r, x64_m(ctx_mem(offsetof(aot_ctx, funcs))));
    x64_mov_load(&c->b, true, r, x64_m(x64_base(r, (int32_t)(8 * x))));
    push_reg(c, WASM_FUNCREF, r);
    return;
  }
  case OP_MEMORY_SIZE: case OP_MEMORY_GROW: u32(c); slot_op_sig(c, op, 0, 0); return;
  case OP_MEMORY_FILL: u32(c); slot_op_sig(c, op, 0, 0); return;
  case OP_MEMORY_COPY: u32(c); u32(c); slot_op_sig(c, op, 0, 0); return;
  case OP_MEMORY_INIT: { uint32_t d = u32(c); u32(c); slot_op_sig(c, op, d, 0); return; }
  case OP_DATA_DROP: slot_op(c, op, NULL, 0, NULL, 0, u32(c), 0); return;
  case OP_ELEM_DROP: slot_op(c, op, NULL, 0, NULL, 0, u32(c), 0); return;
  case OP_TABLE_GET: {
    uint32_t t = u32(c);
    wasm_valtype in[1] = {WASM_I32}, out[1] = {c->m->tables[t].type.elem};
    slot_op(c, op, in, 1, out, 1, t, 0);
    return;
  }
  case OP_TABLE_SET: {
    uint32_t t = u32(c);
    wasm_valtype in[2] = {WASM_I32, c->m->tables[t].type.elem};
    slot_op(c, op, in, 2, NULL, 0, t, 0);
    return;
  }
  case OP_TABLE_SIZE: {
    wasm_valtype out[1] = {WASM_I32};
    slot_op(c, op, NULL, 0, out, 1, u32(c), 0);
    return;
  }
  case OP_TABLE_GROW: {
    uint32_t t = u32(c);
    wasm_valtype in[2] = {c->m->tables[t].type.elem, WASM_I32}, out[1] = {WASM_I32};
    slot_op(c, op, in, 2, out, 1, t, 0);
    return;
  }
  case OP_TABLE_FILL: {
    uint32_t t = u32(c);
    wasm_valtype in[3] = {WASM_I32, c->m->tables[t].type.elem, WASM_I32};
    slot_op(c, op, in, 3, NULL, 0, t, 0);
    return;
  }
  case OP_TABLE_COPY: {
    uint32_t d = u32(c), s = u32(c);
    wasm_valtype in[3] = {WASM_I32, WASM_I32, WASM_I32};
    slot_op(c, op, in, 3, NULL, 0, d, s);
    return;
  }
  case OP_TABLE_INIT: {
    uint32_t e = u32(c), t = u32(c);
    wasm_valtype in[3] = {WASM_I32, WASM_I32, WASM_I32};
    slot_op(c, op, in, 3, NULL, 0, t, e);
    return;
  }
  default: break;
  }

  /* fixed-signature instructions */
  if (info->imm == IMM_MEMARG || info->imm == IMM_MEMARG_LANE) {
    uint32_t align = u32(c), offset = u32(c);
    if (align & 0x40) { /* multi-memory index (validated as 0) */
      offset = u32(c);
    }
    uint8_t lane = 0;
    if (info->imm == IMM_MEMARG_LANE) reader_u8(&c->r, &lane);
    if (info->prefix == 0xFD) {
      slot_op_sig(c, op, offset, lane);
      return;
    }
    if (strchr(info->sig, '>')[1]) mem_load(c, op, offset);
    else mem_store(c, op, offset);
    return;
  }
  if (info->prefix == 0xFD) {
    uint64_t a = 0;
    if (info->imm == IMM_LANE) {
      uint8_t lane = 0;
      reader_u8(&c->r, &lane);
      a = lane;
    } else if (info->imm == IMM_SHUFFLE) {
      const uint8_t *p = NULL;
      reader_bytes(&c->r, 16, &p);
      a = (uint64_t)(p - c->m->bytes); /* the lane bytes, by offset into the module */
    }
    slot_op_sig(c, op, a, 0);
    return;
  }
  switch (op) {
  case OP_I32_EQZ: int_eqz(c, false); return;
  case OP_I64_EQZ: int_eqz(c, true); return;
  case OP_I32_EQ: case OP_I32_NE: case OP_I32_LT_S: case OP_I32_LT_U: case OP_I32_GT_S: case OP_I32_GT_U:
  case OP_I32_LE_S: case OP_I32_LE_U: case OP_I32_GE_S: case OP_I32_GE_U:
  case OP_I64_EQ: case OP_I64_NE: case OP_I64_LT_S: case OP_I64_LT_U: case OP_I64_GT_S: case OP_I64_GT_U:
  case OP_I64_LE_S: case OP_I64_LE_U: case OP_I64_GE_S: case OP_I64_GE_U: int_compare(c, op); return;
  case OP_F32_EQ: case OP_F32_NE: case OP_F32_LT: case OP_F32_GT: case OP_F32_LE: case OP_F32_GE:
  case OP_F64_EQ: case OP_F64_NE: case OP_F64_LT: case OP_F64_GT: case OP_F64_LE: case OP_F64_GE:
    float_compare(c, op);
    return;
  case OP_I32_ADD: case OP_I32_SUB: case OP_I32_MUL: case OP_I32_AND: case OP_I32_OR: case OP_I32_XOR:
  case OP_I32_SHL: case OP_I32_SHR_S: case OP_I32_SHR_U: case OP_I32_ROTL: case OP_I32_ROTR:
  case OP_I64_ADD: case OP_I64_SUB: case OP_I64_MUL: case OP_I64_AND: case OP_I64_OR: case OP_I64_XOR:
  case OP_I64_SHL: case OP_I64_SHR_S: case OP_I64_SHR_U: case OP_I64_ROTL: case OP_I64_ROTR:
    int_binop(c, op);
    return;
  case OP_I32_DIV_S: case OP_I32_DIV_U: case OP_I32_REM_S: case OP_I32_REM_U:
  case OP_I64_DIV_S: case OP_I64_DIV_U: case OP_I64_REM_S: case OP_I64_REM_U:
    int_divrem(c, op);
    return;
  case OP_I32_CLZ: case OP_I32_CTZ: case OP_I32_POPCNT: case OP_I64_CLZ: case OP_I64_CTZ: case OP_I64_POPCNT:
  case OP_I32_EXTEND8_S: case OP_I32_EXTEND16_S: case OP_I64_EXTEND8_S: case OP_I64_EXTEND16_S:
  case OP_I64_EXTEND32_S: case OP_I64_EXTEND_I32_S: case OP_I64_EXTEND_I32_U: case OP_I32_WRAP_I64:
    int_unop(c, op);
    return;
  case OP_F32_ADD: case OP_F32_SUB: case OP_F32_MUL: case OP_F32_DIV: case OP_F32_MIN: case OP_F32_MAX:
  case OP_F32_COPYSIGN: case OP_F64_ADD: case OP_F64_SUB: case OP_F64_MUL: case OP_F64_DIV: case OP_F64_MIN:
  case OP_F64_MAX: case OP_F64_COPYSIGN:
    float_binop(c, op);
    return;
  default:
    if (info->sig) {
      float_unop(c, op); /* its default sends the rest to the helper */
      return;
    }
    failf(c, "unsupported instruction");
    return;
  }
}

/* ---- locals, prologue, epilogue ------------------------------------------------------------ */

typedef struct lweight { uint32_t local; uint64_t w; } lweight;

static int cmp_weight(const void *a, const void *b) {
  const lweight *x = a, *y = b;
  if (x->w != y->w) return x->w > y->w ? -1 : 1;
  return x->local < y->local ? -1 : x->local > y->local;
}

/* Counts local uses, weighted by loop nesting, and gives the heaviest
 * locals registers. */
static bool assign_locals(cg *c, const wasm_func *fn) {
  lweight *w = calloc(c->nlocals + 1, sizeof *w);
  if (!w) return false;
  for (uint32_t i = 0; i < c->nlocals; i++) w[i].local = i;
  wasm_reader r = c->r;
  uint32_t depth = 0, loops[64] = {0}, nblk = 0;
  uint8_t *is_loop = calloc(fn->code_len + 1, 1);
  if (!is_loop) {
    free(w);
    return false;
  }
  cg scan = *c;
  while (!reader_eof(&scan.r)) {
    wasm_opcode op = read_op(&scan.r);
    if (op == OP_COUNT_) break;
    if (op == OP_LOOP) {
      is_loop[nblk++] = 1;
      depth++;
    } else if (op == OP_BLOCK || op == OP_IF) {
      is_loop[nblk++] = 0;
    } else if (op == OP_END && nblk) {
      if (is_loop[--nblk]) depth--;
    }
    if (op == OP_LOCAL_GET || op == OP_LOCAL_SET || op == OP_LOCAL_TEE) {
      uint32_t x = u32(&scan);
      if (x < c->nlocals) w[x].w += (uint64_t)1 << (3 * (depth < 8 ? depth : 8));
      continue;
    }
    skip_imm(&scan, wasm_opinfos[op].imm);
  }
  (void)loops;
  (void)r;
  free(is_loop);
  qsort(w, c->nlocals, sizeof *w, cmp_weight);
  uint32_t ng = 0, nx = 0;
  const uint32_t max_g = sizeof gpr_local_order - MIN_POOL, max_x = 13 - 4;
  uint32_t xmm_next = 13;
  for (uint32_t i = 0; i < c->nlocals; i++) {
    uint32_t x = w[i].local;
    if (w[i].w == 0) break;
    int cl = cls_of(c->ltype[x]);
    if (cl == CL_G && ng < max_g) {
      c->lreg[x] = gpr_local_order[ng++];
    } else if (cl == CL_X && nx < max_x) {
      c->lreg[x] = (int8_t)xmm_next--;
      nx++;
    }
  }
  free(w);
  c->gpool = GPR_ALLOC;
  c->xpool = XMM_ALLOC;
  for (uint32_t i = 0; i < c->nlocals; i++) {
    if (c->lreg[i] < 0) continue;
    if (cls_of(c->ltype[i]) == CL_X) {
      c->xpool &= ~(1u << c->lreg[i]);
      c->xused |= 1u << c->lreg[i];
    } else {
      c->gpool &= ~(1u << c->lreg[i]);
      c->gused |= 1u << c->lreg[i];
    }
  }
  c->gfree = c->gpool;
  c->xfree = c->xpool;
  return true;
}

static void emit_params_and_zero_locals(cg *c) {
  /* rax = argument slots (still live from the call) */
  int32_t pos = 0;
  for (uint32_t i = 0; i < c->nlocals; i++) {
    wasm_valtype t = c->ltype[i];
    int r = c->lreg[i];
    bool param = i < c->ft->nparams;
    if (cls_of(t) == CL_V) {
      for (int k = 0; k < 2; k++) {
        x64_mem d = local_mem(c, i);
        d.disp += 8 * k;
        if (param) {
          x64_mov_load(&c->b, true, R11, x64_m(x64_base(RAX, 8 * (pos + k))));
          x64_mov_store(&c->b, true, d, R11);
        } else {
          x64_mov_store_imm32(&c->b, true, d, 0);
        }
      }
    } else if (param) {
      x64_mem s = x64_base(RAX, 8 * pos);
      if (r < 0) {
        x64_mov_load(&c->b, true, R11, x64_m(s));
        x64_mov_store(&c->b, true, local_mem(c, i), R11);
      } else if (cls_of(t) == CL_X) {
        xload(c, t, r, x64_m(s));
      } else {
        x64_mov_load(&c->b, wide(t), r, x64_m(s));
      }
    } else if (r < 0) {
      x64_mov_store_imm32(&c->b, true, local_mem(c, i), 0);
    } else if (cls_of(t) == CL_X) {
      x64_op_rm(&c->b, 0, 0x0F57, false, r, x64_r(r));
    } else {
      x64_mov_imm(&c->b, false, r, 0);
    }
    if (param) pos += width(t);
  }
}

bool aot_x64_compile(const aot_func_in *in, aot_func_out *out, wrun_error *err) {
  cg c;
  memset(&c, 0, sizeof c);
  c.in = in;
  c.m = in->m;
  const wasm_func *fn = &in->m->funcs[in->index];
  c.ft = wasm_module_func_type(in->m, in->index);
  c.r = (wasm_reader){in->m->bytes, fn->code, fn->code + fn->code_len, NULL};
  c.nlocals = c.ft->nparams + fn->nlocals;
  c.ltype = malloc(((size_t)c.nlocals + 1) * sizeof *c.ltype);
  c.lreg = malloc((size_t)c.nlocals + 1);
  c.lslot = malloc(((size_t)c.nlocals + 1) * sizeof *c.lslot);
  bool ok = false;
  x64_buf pro = {0};
  if (!c.ltype || !c.lreg || !c.lslot) goto done;
  for (uint32_t i = 0; i < c.nlocals; i++) {
    c.ltype[i] = i < c.ft->nparams ? wasm_functype_params(c.ft)[i] : fn->locals[i - c.ft->nparams];
    c.lreg[i] = -1;
    c.lslot[i] = (int32_t)c.nlslots;
    c.nlslots += (uint32_t)width(c.ltype[i]);
  }
  if (!assign_locals(&c, fn)) goto done;

  /* body: params into their homes, then the instructions */
  emit_params_and_zero_locals(&c);
  push_ctl(&c, OP_END, NULL, 0, wasm_functype_results(c.ft), c.ft->nresults, 0, false);
  while (c.nc && !c.fail && !c.b.oom && !reader_eof(&c.r)) instr(&c);
  if (c.fail) goto done;
  if (c.nc) {
    failf(&c, "internal error: unterminated body");
    goto done;
  }
  /* epilogue: restore the registers we wrote, pop the frame */
  /* our callers keep values in every allocatable register: save what we
   * write, and everything a C helper may clobber if we call one */
  if (c.calls_c) {
    c.gused |= GPR_VOLATILE;
    c.xused |= XMM_ALLOC;
  }
  uint32_t saved_g = c.gused & GPR_ALLOC, saved_x = c.xused & XMM_ALLOC;
  uint32_t nsaved = (uint32_t)__builtin_popcount(saved_g) + (uint32_t)__builtin_popcount(saved_x);
  int32_t save_base = 8 + 8 * ((int32_t)c.nlslots + c.maxpos);
  uint32_t frame = (uint32_t)save_base + 8 * nsaved;
  if (frame % 16 != 8) frame += 8; /* rsp is 16-aligned inside the body */
  bind_sites(&c, &c.rets, c.b.n);
  int32_t off = save_base;
  for (int r = 0; r < 16; r++)
    if (saved_g & (1u << r)) {
      x64_mov_load(&c.b, true, r, x64_m(x64_base(RSP, off)));
      off += 8;
    }
  for (int r = 0; r < 16; r++)
    if (saved_x & (1u << r)) {
      x64_sse(&c.b, 0xF2, 0x10, false, r, x64_m(x64_base(RSP, off)));
      off += 8;
    }
  x64_alu_imm(&c.b, 0, true, x64_r(RSP), (int32_t)frame);
  x64_ret(&c.b);
  /* trap stubs */
  for (int k = 0; k <= WRUN_TRAP_INTERRUPTED; k++) {
    if (!c.traps[k].n) continue;
    bind_sites(&c, &c.traps[k], c.b.n);
    x64_mov_rr(&c.b, true, RDI, R14);
    x64_mov_imm(&c.b, false, RSI, (uint64_t)k);
    call_helper(&c, AOT_H_TRAP);
    x64_ud2(&c.b);
  }
  size_t stack_trap = c.b.n;
  x64_mov_rr(&c.b, true, RDI, R14);
  x64_mov_imm(&c.b, false, RSI, WRUN_TRAP_STACK_EXHAUSTED);
  call_helper(&c, AOT_H_TRAP);
  x64_ud2(&c.b);

  /* prologue, now that the frame size and saved registers are known */
  x64_alu_imm(&pro, 5, true, x64_r(RSP), (int32_t)frame);
  x64_alu_rm(&pro, 7, true, RSP, x64_m(ctx_mem(offsetof(aot_ctx, stack_limit))));
  size_t st = x64_jcc_rel32(&pro, CC_B);
  x64_mov_store(&pro, true, argptr_mem(), RAX);
  off = save_base;
  for (int r = 0; r < 16; r++)
    if (saved_g & (1u << r)) {
      x64_mov_store(&pro, true, x64_base(RSP, off), r);
      off += 8;
    }
  for (int r = 0; r < 16; r++)
    if (saved_x & (1u << r)) {
      x64_sse_store(&pro, 0xF2, 0x11, r, x64_base(RSP, off));
      off += 8;
    }
  if (pro.oom || c.b.oom) goto done;
  size_t plen = pro.n;
  out->size = (uint32_t)(plen + c.b.n);
  out->code = malloc(out->size);
  if (!out->code) goto done;
  memcpy(out->code, pro.p, plen);
  memcpy(out->code + plen, c.b.p, c.b.n);
  {
    int32_t rel = (int32_t)((int64_t)(plen + stack_trap) - (int64_t)(st + 4));
    memcpy(out->code + st, &rel, 4);
  }
  for (uint32_t i = 0; i < c.nrelocs; i++) c.relocs[i].at += (uint32_t)plen;
  out->relocs = c.relocs;
  out->nrelocs = c.nrelocs;
  c.relocs = NULL;
  ok = true;
done:
  if (!ok) {
    const char *name = fn->debug_name;
    if (c.b.oom || pro.oom || !c.fail) snprintf(c.msg, sizeof c.msg, "out of memory");
    wrun_error_at(err, WRUN_ERR_LIMIT, fn->code_offset, "cannot compile function %u%s%s%s: %s", in->index,
                  name ? " (" : "", name ? name : "", name ? ")" : "", c.msg);
  }
  for (uint32_t i = 0; i < c.nc; i++) free(c.cs[i].patches.at);
  for (int k = 0; k <= WRUN_TRAP_INTERRUPTED; k++) free(c.traps[k].at);
  free(c.rets.at);
  free(c.relocs);
  free(c.cs);
  free(c.vs);
  free(c.ltype);
  free(c.lreg);
  free(c.lslot);
  free(c.b.p);
  free(pro.p);
  return ok;
}

/* enter(ctx=rdi, fn=rsi, slots=rdx): saves the C callee-saved registers,
 * sets up r14/r15 and calls fn with rax = slots. */
uint32_t aot_x64_trampoline(uint8_t *dst, uint32_t cap) {
  x64_buf b = {0};
  static const int saved[] = {RBX, RBP, R12, R13, R14, R15};
  for (int i = 0; i < 6; i++) x64_push(&b, saved[i]);
  x64_alu_imm(&b, 5, true, x64_r(RSP), 8); /* keep rsp 16-aligned at the call */
  x64_mov_rr(&b, true, R14, RDI);
  x64_mov_load(&b, true, R15, x64_m(x64_base(RDI, (int32_t)offsetof(aot_ctx, mem_base))));
  x64_mov_rr(&b, true, RAX, RDX);
  x64_call_r(&b, RSI);
  x64_alu_imm(&b, 0, true, x64_r(RSP), 8);
  for (int i = 5; i >= 0; i--) x64_pop(&b, saved[i]);
  x64_ret(&b);
  uint32_t n = b.oom || b.n > cap ? 0 : (uint32_t)b.n;
  if (n) memcpy(dst, b.p, n);
  free(b.p);
  return n;
}
