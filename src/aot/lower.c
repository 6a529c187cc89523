/*
 * lower.c — the target-independent half of the AOT compiler: one pass over a
 * validated function body with a compile-time model of the operand stack,
 * driving an instruction-set backend through aot_target (lower.h).
 *
 *  - Before the pass, locals are ranked by use count weighted by loop depth
 *    and the heaviest get registers for the whole function; the rest live in
 *    frame slots. A local keeps its home everywhere, so control-flow joins
 *    never need to reconcile where locals are.
 *  - Each operand-stack entry is a constant, a lazy reference to a local, a
 *    register from the pool, or its canonical frame slot. Values reach their
 *    slot only when the pool runs dry, at block boundaries and before calls;
 *    constants and locals stay lazy and fold into the instruction that
 *    consumes them (the backend turns them into immediates and memory
 *    operands).
 *  - An arithmetic result followed by `local.set`/`local.tee` is computed
 *    straight into the local's register; a compare followed by `br_if`/`if`
 *    becomes a conditional jump; i32 constant operations fold.
 *  - Instructions the backend does not implement inline go to the AOT_H_OP
 *    helper with operands in their slots (interpreter semantics).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot/codemap.h"
#include "aot/lower.h"
#include "binary/instr.h"
#include "common/grow.h"

#define MIN_POOL 3


void aot_fail(cg *c, const char *msg) {
  if (!c->fail) snprintf(c->msg, sizeof c->msg, "%s", msg);
  c->fail = true;
}

void aot_add_site(cg *c, site_list *l, size_t at) {
  if (!rt_grow((void **)&l->at, &l->cap, l->n + 1, sizeof *l->at)) aot_fail(c, "out of memory");
  else l->at[l->n++] = (uint32_t)at;
}

void aot_bind_sites(cg *c, site_list *l, size_t target) {
  for (uint32_t i = 0; i < l->n; i++) c->t->patch(c, l->at[i], target);
  l->n = 0;
}

void aot_add_reloc(cg *c, size_t at, uint32_t callee) {
  if (!rt_grow((void **)&c->relocs, &c->caprelocs, c->nrelocs + 1, sizeof *c->relocs)) {
    aot_fail(c, "out of memory");
    return;
  }
  c->relocs[c->nrelocs++] = (aot_reloc){(uint32_t)at, callee};
}

int aot_cls(wm_valtype t) {
  if (t == WASM_F32 || t == WASM_F64) return CL_X;
  if (t == WASM_V128) return CL_V;
  return CL_G;
}

/* ---- the register pool --------------------------------------------------------- */

static void release(cg *c, const ent *e) {
  if (e->kind != E_REG) return;
  if (aot_cls(e->type) == CL_X) c->xfree |= 1u << e->reg;
  else c->gfree |= 1u << e->reg;
}

static void spill(cg *c, ent *e) {
  if (e->kind == E_SLOT) return;
  c->t->store(c, e, (aot_place){PL_SLOT, e->pos});
  release(c, e);
  e->kind = E_SLOT;
}

static int alloc_reg(cg *c, int cl) {
  uint32_t *fr = cl == CL_X ? &c->xfree : &c->gfree;
  if (!*fr) {
    for (uint32_t i = 0; i < c->nv; i++)
      if (c->vs[i].kind == E_REG && aot_cls(c->vs[i].type) == cl) {
        spill(c, &c->vs[i]);
        break;
      }
  }
  if (!*fr) {
    aot_fail(c, "internal error: register pool exhausted");
    return __builtin_ctz(cl == CL_X ? c->t->fpr_alloc : c->t->gpr_alloc);
  }
  int r = __builtin_ctz(*fr);
  *fr &= ~(1u << r);
  if (cl == CL_X) c->xused |= 1u << r;
  else c->gused |= 1u << r;
  return r;
}

/* Makes stack entry i register-resident (a register of its own). */
static int to_reg(cg *c, uint32_t i) {
  if (c->vs[i].kind == E_REG) return c->vs[i].reg;
  int r = alloc_reg(c, aot_cls(c->vs[i].type));
  ent *e = &c->vs[i];
  c->t->load(c, e, r);
  e->kind = E_REG;
  e->reg = (int8_t)r;
  return r;
}

static void flush_all(cg *c) {
  for (uint32_t i = 0; i < c->nv; i++) spill(c, &c->vs[i]);
}

/* ---- the simulated stack ------------------------------------------------------------ */

static int32_t top_end(const cg *c) {
  return c->nv ? c->vs[c->nv - 1].pos + aot_width(c->vs[c->nv - 1].type) : 0;
}

static ent *push(cg *c, wm_valtype t, uint8_t kind) {
  if (!rt_grow((void **)&c->vs, &c->capv, c->nv + 1, sizeof *c->vs)) {
    aot_fail(c, "out of memory");
    c->nv = 0;
  }
  ent *e = &c->vs[c->nv];
  memset(e, 0, sizeof *e);
  e->type = t;
  e->kind = kind;
  e->pos = top_end(c);
  if (e->pos + aot_width(t) > c->maxpos) c->maxpos = e->pos + aot_width(t);
  c->nv++;
  return e;
}

static void push_reg(cg *c, wm_valtype t, int r) { push(c, t, E_REG)->reg = (int8_t)r; }
static void push_const(cg *c, wm_valtype t, uint64_t lo, uint64_t hi) {
  ent *e = push(c, t, E_CONST);
  e->imm[0] = lo;
  e->imm[1] = hi;
}
static void push_local(cg *c, uint32_t x) { push(c, c->ltype[x], E_LOCAL)->local = x; }

static ent pop(cg *c) { return c->vs[--c->nv]; }

/* Before local x changes: entries still reading it lazily take a copy. That
 * includes entries of dead locals that shared x's register (regalloc.c). */
static void detach_local(cg *c, uint32_t x, uint32_t below) {
  int r = c->lreg[x];
  for (uint32_t i = 0; i < below && i < c->nv; i++)
    if (c->vs[i].kind == E_LOCAL && (c->vs[i].local == x || (r >= 0 && c->lreg[c->vs[i].local] == r))) {
      if (aot_cls(c->vs[i].type) == CL_V) spill(c, &c->vs[i]);
      else to_reg(c, i);
    }
}

/* ---- immediates ---------------------------------------------------------------------- */

static uint32_t u32(cg *c) {
  uint32_t v = 0;
  reader_u32(&c->r, &v);
  return v;
}

static void read_blocktype(cg *c, const wm_valtype **params, uint32_t *np, const wm_valtype **results,
                           uint32_t *nr, wm_valtype *single) {
  wm_blocktype bt;
  wm_read_blocktype(&c->r, c->m, &bt);
  *params = bt.params;
  *np = bt.np;
  *results = bt.results;
  *nr = bt.nr;
  *single = bt.single;
}

static void skip_imm(cg *c, wm_imm_kind imm) { wm_skip_imm(&c->r, c->m, imm); }

/* The next instruction (and its index immediate), without consuming it. */
static wm_opcode peek_op(const cg *c, uint32_t *imm) {
  wm_reader r = c->r;
  if (reader_eof(&r)) return OP_COUNT_;
  wm_opcode op = wm_read_op(&r);
  *imm = 0;
  if (op == OP_LOCAL_SET || op == OP_LOCAL_TEE || op == OP_BR_IF) reader_u32(&r, imm);
  return op;
}

static void consume_op(cg *c) {
  wm_opcode op = wm_read_op(&c->r);
  skip_imm(c, wm_opinfos[op].imm);
}

/* ---- the out-of-line helper ------------------------------------------------------------- */

static wm_valtype sig_type(char ch) {
  switch (ch) {
  case 'i': return WASM_I32;
  case 'I': return WASM_I64;
  case 'f': return WASM_F32;
  case 'F': return WASM_F64;
  case 'v': return WASM_V128;
  default: return WASM_I32; /* 'a': memory32 addresses */
  }
}

/* An instruction done by the AOT_H_OP helper: nin operands in their slots,
 * results written back from the first operand's slot. */
static void slot_op(cg *c, wm_opcode op, uint32_t nin, const wm_valtype *out, uint32_t nout, uint64_t a,
                    uint64_t b) {
  flush_all(c);
  int32_t p0 = nin ? c->vs[c->nv - nin].pos : top_end(c);
  c->t->call_op(c, op, p0, a, b);
  c->nv -= nin;
  for (uint32_t i = 0; i < nout; i++) push(c, out[i], E_SLOT);
}

/* slot_op for an instruction with a fixed signature. */
/* The operand count and result types of a fixed-signature instruction. */
static uint32_t sig_split(wm_opcode op, wm_valtype out[2], uint32_t *nout) {
  const char *p = wm_opinfos[op].sig;
  uint32_t nin = 0;
  *nout = 0;
  for (; *p != '>'; p++) nin++;
  for (p++; *p; p++) out[(*nout)++] = sig_type(*p);
  return nin;
}

static void slot_op_sig(cg *c, wm_opcode op, uint64_t a, uint64_t b) {
  wm_valtype out[2];
  uint32_t nout, nin = sig_split(op, out, &nout);
  slot_op(c, op, nin, out, nout, a, b);
}

/* A SIMD instruction: inline if the target has it (only the operands go to
 * their slots), else through the helper. */
static void simd_op(cg *c, wm_opcode op, uint64_t a, uint64_t b) {
  if (!c->t->has_simd(op)) {
    slot_op_sig(c, op, a, b);
    return;
  }
  wm_valtype out[2];
  uint32_t nout, nin = sig_split(op, out, &nout);
  for (uint32_t i = c->nv - nin; i < c->nv; i++) spill(c, &c->vs[i]);
  int32_t p0 = nin ? c->vs[c->nv - nin].pos : top_end(c);
  c->t->simd(c, op, p0, a, b);
  c->nv -= nin;
  for (uint32_t i = 0; i < nout; i++) push(c, out[i], E_SLOT);
}

/* ---- control ----------------------------------------------------------------------------- */

static ctl *push_ctl(cg *c, wm_opcode op, const wm_valtype *params, uint32_t np, const wm_valtype *results,
                     uint32_t nr, wm_valtype single, bool dead) {
  if (!rt_grow((void **)&c->cs, &c->capc, c->nc + 1, sizeof *c->cs)) {
    aot_fail(c, "out of memory");
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

static const wm_valtype *ctl_results(const ctl *f) { return f->results ? f->results : &f->single; }
static uint32_t label_arity(const ctl *f) { return f->op == OP_LOOP ? f->np : f->nr; }

/* Writes the top n values where label f expects them (its slots, or the
 * caller's result slots for the function label). Changes no entry. */
static void move_to_label(cg *c, const ctl *f, uint32_t n) {
  bool ret = f == &c->cs[0];
  int32_t dst = ret ? 0 : f->base;
  for (uint32_t i = c->nv - n; i < c->nv; i++) {
    const ent *e = &c->vs[i];
    if (ret) c->t->store(c, e, (aot_place){PL_RESULT, dst});
    else if (!(e->kind == E_SLOT && e->pos == dst)) c->t->store(c, e, (aot_place){PL_SLOT, dst});
    dst += aot_width(e->type);
  }
}

static bool label_in_place(const cg *c, const ctl *f, uint32_t n) {
  if (f == &c->cs[0]) return n == 0;
  int32_t dst = f->base;
  for (uint32_t i = c->nv - n; i < c->nv; i++) {
    if (c->vs[i].kind != E_SLOT || c->vs[i].pos != dst) return false;
    dst += aot_width(c->vs[i].type);
  }
  return true;
}

static void jump_to(cg *c, ctl *f) {
  if (f == &c->cs[0]) aot_add_site(c, &c->rets, c->t->jump(c));
  else if (f->op == OP_LOOP) c->t->patch(c, c->t->jump(c), f->head);
  else aot_add_site(c, &f->patches, c->t->jump(c));
}

static void branch(cg *c, uint32_t depth) {
  ctl *f = &c->cs[c->nc - 1 - depth];
  move_to_label(c, f, label_arity(f));
  jump_to(c, f);
}

/* Branch to `depth` when cond holds (already computed). */
static void cond_branch(cg *c, int cond, uint32_t depth) {
  ctl *f = &c->cs[c->nc - 1 - depth];
  uint32_t n = label_arity(f);
  if (label_in_place(c, f, n) && f != &c->cs[0]) {
    size_t at = c->t->jump_if(c, cond);
    if (f->op == OP_LOOP) c->t->patch(c, at, f->head);
    else aot_add_site(c, &f->patches, at);
    return;
  }
  size_t skip = c->t->jump_if(c, c->t->invert(cond));
  move_to_label(c, f, n);
  jump_to(c, f);
  c->t->patch(c, skip, c->b.n);
}

static void set_unreachable(cg *c) {
  ctl *f = &c->cs[c->nc - 1];
  for (uint32_t i = f->height; i < c->nv; i++) release(c, &c->vs[i]);
  c->nv = f->height;
  f->unreachable = true;
}

/* Pops an i32 condition; returns the condition "it is not zero". */
static int pop_cond(cg *c) {
  ent v = pop(c);
  int cond = c->t->test(c, &v, false);
  release(c, &v);
  return cond;
}

static void begin_if(cg *c, int cond_true, const wm_valtype *params, uint32_t np, const wm_valtype *results,
                     uint32_t nr, wm_valtype single) {
  flush_all(c); /* stores only: the condition survives */
  ctl *f = push_ctl(c, OP_IF, params, np, results, nr, single, false);
  f->else_site = (int64_t)c->t->jump_if(c, c->t->invert(cond_true));
}

static void end_ctl(cg *c) {
  ctl *f = &c->cs[c->nc - 1];
  bool fn = c->nc == 1;
  if (!f->unreachable && !f->dead) move_to_label(c, f, f->nr); /* the function's end falls into the epilogue */
  for (uint32_t i = f->height; i < c->nv; i++) release(c, &c->vs[i]);
  c->nv = f->height;
  if (f->dead) {
    free(f->patches.at);
    c->nc--;
    return;
  }
  if (f->else_site >= 0) c->t->patch(c, (size_t)f->else_site, c->b.n);
  aot_bind_sites(c, &f->patches, c->b.n);
  free(f->patches.at);
  if (!fn)
    for (uint32_t i = 0; i < f->nr; i++) push(c, ctl_results(f)[i], E_SLOT);
  c->nc--;
}

/* A condition just computed: fuse with a following br_if / if, or make 0/1. */
static void cond_result(cg *c, int cond) {
  uint32_t imm;
  wm_opcode next = peek_op(c, &imm);
  if (next == OP_BR_IF) {
    consume_op(c);
    cond_branch(c, cond, imm);
    return;
  }
  if (next == OP_IF) {
    wm_read_op(&c->r);
    const wm_valtype *params, *results;
    uint32_t np, nr;
    wm_valtype single;
    read_blocktype(c, &params, &np, &results, &nr, &single);
    begin_if(c, cond, params, np, results, nr, single);
    return;
  }
  int r = alloc_reg(c, CL_G);
  c->t->set_cond(c, cond, r);
  push_reg(c, WASM_I32, r);
}

/* ---- operators --------------------------------------------------------------------------- */

/* If the next instruction is local.set/tee of a register-homed local of
 * class cl, consumes it and returns the local; else -1. Entries below the
 * top `operands` that read the local lazily are detached first. */
static int64_t fused_set(cg *c, int cl, uint32_t operands, bool *tee) {
  uint32_t x;
  wm_opcode next = peek_op(c, &x);
  if (next != OP_LOCAL_SET && next != OP_LOCAL_TEE) return -1;
  if (x >= c->nlocals || c->lreg[x] < 0 || aot_cls(c->ltype[x]) != cl) return -1;
  detach_local(c, x, c->nv - operands);
  consume_op(c);
  *tee = next == OP_LOCAL_TEE;
  return x;
}

/* Constant folding of i32 operations on two constants. */
static bool fold_i32(wm_opcode op, uint32_t a, uint32_t b, uint32_t *r) {
  switch (op) {
  case OP_I32_ADD: *r = a + b; return true;
  case OP_I32_SUB: *r = a - b; return true;
  case OP_I32_MUL: *r = a * b; return true;
  case OP_I32_AND: *r = a & b; return true;
  case OP_I32_OR: *r = a | b; return true;
  case OP_I32_XOR: *r = a ^ b; return true;
  case OP_I32_SHL: *r = a << (b & 31); return true;
  case OP_I32_SHR_U: *r = a >> (b & 31); return true;
  default: return false;
  }
}

/* Binary operators with a register result: `apply` is the target hook. */
static void binop(cg *c, wm_opcode op, int cl, wm_valtype t,
                  void (*apply)(cg *, wm_opcode, int, const ent *, const ent *)) {
  ent *ea = &c->vs[c->nv - 2], *eb = &c->vs[c->nv - 1];
  uint32_t folded;
  if (t == WASM_I32 && ea->kind == E_CONST && eb->kind == E_CONST &&
      fold_i32(op, (uint32_t)ea->imm[0], (uint32_t)eb->imm[0], &folded)) {
    c->nv -= 2;
    push_const(c, WASM_I32, folded, 0);
    return;
  }
  bool tee = false;
  int64_t x = fused_set(c, cl, 2, &tee);
  if (x < 0) {
    int r = to_reg(c, c->nv - 2);
    ent b = pop(c), a = pop(c);
    apply(c, op, r, &a, &b);
    release(c, &b);
    push_reg(c, t, r);
    return;
  }
  ent b = pop(c), a = pop(c);
  apply(c, op, c->lreg[x], &a, &b);
  release(c, &a);
  release(c, &b);
  if (tee) push_local(c, (uint32_t)x);
}

static void compare(cg *c, wm_opcode op) {
  ent b = pop(c), a = pop(c);
  int cond = c->t->compare(c, op, &a, &b);
  release(c, &a);
  release(c, &b);
  cond_result(c, cond);
}

static void eqz(cg *c, bool wide) {
  ent a = pop(c);
  int cond = c->t->invert(c->t->test(c, &a, wide));
  release(c, &a);
  cond_result(c, cond);
}

static void divrem(cg *c, wm_opcode op, wm_valtype t) {
  ent b = pop(c), a = pop(c);
  release(c, &a);
  release(c, &b);
  /* the target reads a and b before writing dst, which may reuse their registers */
  int r = alloc_reg(c, CL_G);
  c->t->divrem(c, op, r, &a, &b);
  push_reg(c, t, r);
}

/* Unary operators (including conversions) with a fixed signature. */
static void unop(cg *c, wm_opcode op) {
  const char *sig = wm_opinfos[op].sig;
  if (!c->t->has_unop(op)) {
    slot_op_sig(c, op, 0, 0);
    return;
  }
  wm_valtype rt = sig_type(sig[2]);
  uint32_t i = c->nv - 1;
  if (aot_cls(rt) == aot_cls(c->vs[i].type)) { /* in place */
    int r = to_reg(c, i);
    ent a = c->vs[i];
    c->t->unop(c, op, r, &a);
    c->vs[i].type = rt;
    return;
  }
  ent a = pop(c);
  int r = alloc_reg(c, aot_cls(rt)); /* other class: a's register stays untouched */
  c->t->unop(c, op, r, &a);
  release(c, &a);
  push_reg(c, rt, r);
}

/* ---- memory, calls, variables -------------------------------------------------------------- */

static void mem_load(cg *c, wm_opcode op, uint64_t offset) {
  wm_valtype rt = sig_type(strchr(wm_opinfos[op].sig, '>')[1]);
  ent a = pop(c);
  int r = alloc_reg(c, aot_cls(rt)); /* a keeps its register until the load is emitted */
  c->t->load_mem(c, op, r, &a, offset);
  release(c, &a);
  push_reg(c, rt, r);
}

static void mem_store(cg *c, wm_opcode op, uint64_t offset) {
  ent v = pop(c), a = pop(c);
  c->t->store_mem(c, op, &a, &v, offset);
  release(c, &v);
  release(c, &a);
}

bool aot_result_in_reg(const wm_functype *ft) {
  return ft->nresults == 1 && aot_cls(wm_functype_results(ft)[0]) != CL_V;
}

bool aot_arg_in_reg(const aot_target *t, int32_t pos, wm_valtype ty) {
  return pos < (int32_t)t->arg_regs && aot_cls(ty) != CL_V;
}

/* The call's results: a register result or values in slots from p0. */
static void push_results(cg *c, const wm_functype *ft, int32_t p0, bool reg_result) {
  int32_t need = p0;
  for (uint32_t i = 0; i < ft->nparams; i++) need += aot_width(wm_functype_params(ft)[i]);
  if (need > c->maxpos) c->maxpos = need;
  if (reg_result) {
    wm_valtype t = wm_functype_results(ft)[0];
    int r = alloc_reg(c, aot_cls(t));
    c->t->take_result(c, t, r);
    push_reg(c, t, r);
    return;
  }
  for (uint32_t i = 0; i < ft->nresults; i++) push(c, wm_functype_results(ft)[i], E_SLOT);
}

static void call_direct(cg *c, uint32_t fidx) {
  const wm_functype *ft = wm_module_func_type(c->m, fidx);
  uint32_t np = ft->nparams;
  if (fidx < c->m->nimported_funcs) { /* through C: everything to memory */
    flush_all(c);
    int32_t p0 = np ? c->vs[c->nv - np].pos : top_end(c);
    c->nv -= np;
    c->t->call_import(c, fidx, p0);
    push_results(c, ft, p0, false);
    return;
  }
  /* compiled code of this module: entries below the arguments stay put
   * (the callee preserves our registers); arguments go to their slots unless
   * they travel in registers */
  int32_t p0 = np ? c->vs[c->nv - np].pos : top_end(c);
  for (uint32_t i = c->nv - np; i < c->nv; i++)
    if (!aot_arg_in_reg(c->t, c->vs[i].pos - p0, c->vs[i].type)) spill(c, &c->vs[i]);
  ent *args = np ? &c->vs[c->nv - np] : NULL;
  c->t->call_internal(c, fidx, p0, args, np);
  for (uint32_t i = 0; i < np; i++) release(c, &args[i]);
  c->nv -= np;
  push_results(c, ft, p0, aot_result_in_reg(ft));
}

static void call_indirect(cg *c, uint32_t typeidx, uint32_t table) {
  const wm_functype *ft = &c->m->types[typeidx].func;
  flush_all(c);
  ent idx = pop(c);
  int32_t p0 = ft->nparams ? c->vs[c->nv - ft->nparams].pos : idx.pos;
  c->nv -= ft->nparams;
  c->t->call_indirect(c, typeidx, table, &idx, p0);
  push_results(c, ft, p0, aot_result_in_reg(ft));
}

static void local_set(cg *c, uint32_t x, bool tee) {
  detach_local(c, x, c->nv - 1);
  ent v = pop(c);
  bool self = v.kind == E_LOCAL && v.local == x;
  if (!self) {
    if (c->lreg[x] < 0) c->t->store(c, &v, (aot_place){PL_LOCAL, (int32_t)x});
    else c->t->load(c, &v, c->lreg[x]);
  }
  release(c, &v);
  if (tee) push_local(c, x);
}

static void global_get(cg *c, uint32_t g) {
  wm_valtype t = c->m->globals[g].type.type;
  if (aot_cls(t) == CL_V) {
    ent *e = push(c, t, E_SLOT);
    c->t->global_get(c, g, e);
    return;
  }
  int r = alloc_reg(c, aot_cls(t));
  push_reg(c, t, r);
  c->t->global_get(c, g, &c->vs[c->nv - 1]);
}

static void global_set(cg *c, uint32_t g) {
  if (aot_cls(c->vs[c->nv - 1].type) == CL_V) spill(c, &c->vs[c->nv - 1]);
  ent v = pop(c);
  c->t->global_set(c, g, &v);
  release(c, &v);
}

static void select_op(cg *c) {
  /* stack: a b cond -> cond ? a : b */
  wm_valtype t = c->vs[c->nv - 2].type;
  if (aot_cls(t) == CL_V) {
    wm_valtype out[1] = {t};
    slot_op(c, OP_SELECT, 3, out, 1, 0, 0);
    return;
  }
  int r = to_reg(c, c->nv - 3);
  ent cond = pop(c);
  int cc = c->t->test(c, &cond, false);
  release(c, &cond);
  ent b = pop(c);
  c->nv--; /* a: its register becomes the result */
  c->t->select(c, t, r, &b, cc);
  release(c, &b);
  push_reg(c, t, r);
}

static void br_table(cg *c) {
  uint32_t n = u32(c);
  uint32_t *depths = malloc(((size_t)n + 1) * sizeof *depths);
  size_t *stubs = malloc(((size_t)n + 1) * sizeof *stubs);
  if (!depths || !stubs) {
    free(depths);
    free(stubs);
    aot_fail(c, "out of memory");
    return;
  }
  for (uint32_t i = 0; i <= n; i++) depths[i] = u32(c);
  ent idx = pop(c);
  release(c, &idx);
  size_t table = c->t->table_jump(c, &idx, n);
  /* one stub per distinct target (moves + jump) */
  for (uint32_t i = 0; i <= n; i++) {
    uint32_t k;
    for (k = 0; k < i; k++)
      if (depths[k] == depths[i]) break;
    if (k < i) {
      stubs[i] = stubs[k];
    } else {
      stubs[i] = c->b.n;
      branch(c, depths[i]);
    }
    c->t->table_entry(c, table, i, stubs[i]);
  }
  free(depths);
  free(stubs);
  set_unreachable(c);
}

/* ---- the instruction loop ---------------------------------------------------------------- */

/* Records an OSR entry at the loop head being emitted (in->osr). */
static void add_osr_point(cg *c, uint32_t wasm_off) {
  if (!rt_grow((void **)&c->osr, &c->caposr, c->nosr + 1, sizeof *c->osr)) {
    aot_fail(c, "out of memory");
    return;
  }
  c->osr[c->nosr++] = (aot_osr_point){wasm_off, c->b.n, top_end(c), NULL};
}

/* The locals live at each OSR point: those whose regalloc interval covers
 * the loop head's instruction position (regalloc.c counts every opcode of
 * the body from 1, the loop's own included). Without intervals every local
 * has a home of its own, and all are loaded. */
static void osr_liveness(cg *c, const wm_func *fn) {
  wm_reader rd = {c->m->bytes, fn->code, fn->code + fn->code_len, NULL};
  uint32_t pos = 0, k = 0;
  while (k < c->nosr && !reader_eof(&rd)) {
    uint32_t at = (uint32_t)reader_offset(&rd);
    wm_opcode op = wm_read_op(&rd);
    if (op == OP_COUNT_) break;
    pos++;
    for (; k < c->nosr && c->osr[k].wasm_off == at; k++) {
      uint8_t *live = malloc((size_t)c->nlocals + 1);
      if (!live) {
        aot_fail(c, "out of memory");
        return;
      }
      for (uint32_t i = 0; i < c->nlocals; i++)
        live[i] = !c->ival || (c->ival[i][0] <= pos && pos <= c->ival[i][1]);
      c->osr[k].live = live;
    }
    wm_skip_imm(&rd, c->m, wm_opinfos[op].imm);
  }
  if (k < c->nosr) aot_fail(c, "internal error: loop head not found for OSR");
}

/* Can op trap or call (so a backtrace may ask for a pc in its code)? Those
 * get an entry in the code map (codemap.h); the others need none. */
static bool marks_position(const cg *c, wm_opcode op) {
  switch (wm_opinfos[op].imm) {
  case IMM_MEMARG: case IMM_MEMARG_LANE: case IMM_FUNC: case IMM_CALL_INDIRECT: case IMM_TABLE: case IMM_MEMORY:
  case IMM_MEMORY_MEMORY: case IMM_DATA: case IMM_DATA_MEMORY: case IMM_ELEM: case IMM_ELEM_TABLE:
  case IMM_TABLE_TABLE:
    return true;
  default: break;
  }
  switch (op) {
  case OP_UNREACHABLE: case OP_I32_DIV_S: case OP_I32_DIV_U: case OP_I32_REM_S: case OP_I32_REM_U:
  case OP_I64_DIV_S: case OP_I64_DIV_U: case OP_I64_REM_S: case OP_I64_REM_U: case OP_I32_TRUNC_F32_S:
  case OP_I32_TRUNC_F32_U: case OP_I32_TRUNC_F64_S: case OP_I32_TRUNC_F64_U: case OP_I64_TRUNC_F32_S:
  case OP_I64_TRUNC_F32_U: case OP_I64_TRUNC_F64_S: case OP_I64_TRUNC_F64_U:
    return true;
  case OP_LOOP: return c->in->interruptible; /* its interrupt check */
  default: return false;
  }
}

static void instr(cg *c) {
  uint32_t op_at = (uint32_t)reader_offset(&c->r);
  wm_opcode op = wm_read_op(&c->r);
  if (op == OP_COUNT_) {
    aot_fail(c, "internal error: unknown opcode");
    return;
  }
  const wm_opinfo *info = &wm_opinfos[op];
  ctl *cur = &c->cs[c->nc - 1];
  if (cur->unreachable || cur->dead) { /* keep only the block structure */
    if (op == OP_BLOCK || op == OP_LOOP || op == OP_IF) {
      skip_imm(c, info->imm);
      push_ctl(c, op, NULL, 0, NULL, 0, 0, true);
    } else if (op == OP_ELSE) {
      if (!cur->dead) { /* the then-part ended unreachable; the else-part is live */
        if (cur->else_site >= 0) c->t->patch(c, (size_t)cur->else_site, c->b.n);
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

  if (c->map && marks_position(c, op)) codemap_mark(c->map, (uint32_t)c->b.n, op_at, NULL, 0);
  switch (op) {
  case OP_UNREACHABLE: c->t->trap(c, WRUN_TRAP_UNREACHABLE); set_unreachable(c); return;
  case OP_NOP: return;
  case OP_BLOCK: case OP_LOOP: case OP_IF: {
    const wm_valtype *params, *results;
    uint32_t np, nr;
    wm_valtype single;
    read_blocktype(c, &params, &np, &results, &nr, &single);
    if (op == OP_IF) {
      int cond = pop_cond(c);
      begin_if(c, cond, params, np, results, nr, single);
      return;
    }
    flush_all(c);
    if (op == OP_LOOP) c->t->align_loop(c);
    ctl *f = push_ctl(c, op, params, np, results, nr, single, false);
    if (op == OP_LOOP) {
      f->head = c->b.n;
      if (c->in->osr) add_osr_point(c, op_at);
      if (c->in->interruptible) c->t->interrupt_check(c);
    }
    return;
  }
  case OP_ELSE: {
    ctl *f = cur;
    move_to_label(c, f, f->nr);
    aot_add_site(c, &f->patches, c->t->jump(c));
    for (uint32_t i = f->height; i < c->nv; i++) release(c, &c->vs[i]);
    c->nv = f->height;
    if (f->else_site >= 0) c->t->patch(c, (size_t)f->else_site, c->b.n);
    f->else_site = -1;
    f->op = OP_ELSE;
    for (uint32_t i = 0; i < f->np; i++) push(c, f->params[i], E_SLOT);
    return;
  }
  case OP_END: end_ctl(c); return;
  case OP_BR: branch(c, u32(c)); set_unreachable(c); return;
  case OP_BR_IF: {
    uint32_t d = u32(c);
    int cond = pop_cond(c);
    cond_branch(c, cond, d);
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
  case OP_REF_IS_NULL: c->vs[c->nv - 1].type = WASM_I64; eqz(c, true); return; /* all 64 bits */
  case OP_REF_FUNC: {
    uint32_t x = u32(c);
    int r = alloc_reg(c, CL_G);
    c->t->ref_func(c, x, r);
    push_reg(c, WASM_FUNCREF, r);
    return;
  }
  case OP_MEMORY_SIZE: case OP_MEMORY_GROW: case OP_MEMORY_FILL: u32(c); slot_op_sig(c, op, 0, 0); return;
  case OP_MEMORY_COPY: u32(c); u32(c); slot_op_sig(c, op, 0, 0); return;
  case OP_MEMORY_INIT: { uint32_t d = u32(c); u32(c); slot_op_sig(c, op, d, 0); return; }
  case OP_DATA_DROP: case OP_ELEM_DROP: slot_op(c, op, 0, NULL, 0, u32(c), 0); return;
  case OP_TABLE_GET: {
    uint32_t t = u32(c);
    wm_valtype out[1] = {c->m->tables[t].type.elem};
    slot_op(c, op, 1, out, 1, t, 0);
    return;
  }
  case OP_TABLE_SET: case OP_TABLE_FILL: {
    uint32_t t = u32(c);
    slot_op(c, op, op == OP_TABLE_SET ? 2 : 3, NULL, 0, t, 0);
    return;
  }
  case OP_TABLE_SIZE: case OP_TABLE_GROW: {
    uint32_t t = u32(c);
    wm_valtype out[1] = {WASM_I32};
    slot_op(c, op, op == OP_TABLE_SIZE ? 0 : 2, out, 1, t, 0);
    return;
  }
  case OP_TABLE_COPY: { uint32_t d = u32(c), s = u32(c); slot_op(c, op, 3, NULL, 0, d, s); return; }
  case OP_TABLE_INIT: { uint32_t e = u32(c), t = u32(c); slot_op(c, op, 3, NULL, 0, t, e); return; }
  default: break;
  }

  /* fixed-signature instructions */
  if (info->imm == IMM_MEMARG || info->imm == IMM_MEMARG_LANE) {
    uint32_t align = u32(c), offset = u32(c);
    if (align & 0x40) offset = u32(c); /* a memory index came first (validated as 0) */
    uint8_t lane = 0;
    if (info->imm == IMM_MEMARG_LANE) reader_u8(&c->r, &lane);
    if (info->prefix == 0xFD) simd_op(c, op, offset, lane);
    else if (strchr(info->sig, '>')[1]) mem_load(c, op, offset);
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
    simd_op(c, op, a, 0);
    return;
  }
  switch (op) {
  case OP_I32_EQZ: eqz(c, false); return;
  case OP_I64_EQZ: eqz(c, true); return;
  case OP_I32_EQ: case OP_I32_NE: case OP_I32_LT_S: case OP_I32_LT_U: case OP_I32_GT_S: case OP_I32_GT_U:
  case OP_I32_LE_S: case OP_I32_LE_U: case OP_I32_GE_S: case OP_I32_GE_U:
  case OP_I64_EQ: case OP_I64_NE: case OP_I64_LT_S: case OP_I64_LT_U: case OP_I64_GT_S: case OP_I64_GT_U:
  case OP_I64_LE_S: case OP_I64_LE_U: case OP_I64_GE_S: case OP_I64_GE_U:
  case OP_F32_EQ: case OP_F32_NE: case OP_F32_LT: case OP_F32_GT: case OP_F32_LE: case OP_F32_GE:
  case OP_F64_EQ: case OP_F64_NE: case OP_F64_LT: case OP_F64_GT: case OP_F64_LE: case OP_F64_GE:
    compare(c, op);
    return;
  case OP_I32_ADD: case OP_I32_SUB: case OP_I32_MUL: case OP_I32_AND: case OP_I32_OR: case OP_I32_XOR:
  case OP_I32_SHL: case OP_I32_SHR_S: case OP_I32_SHR_U: case OP_I32_ROTL: case OP_I32_ROTR:
    binop(c, op, CL_G, WASM_I32, c->t->int_binop);
    return;
  case OP_I64_ADD: case OP_I64_SUB: case OP_I64_MUL: case OP_I64_AND: case OP_I64_OR: case OP_I64_XOR:
  case OP_I64_SHL: case OP_I64_SHR_S: case OP_I64_SHR_U: case OP_I64_ROTL: case OP_I64_ROTR:
    binop(c, op, CL_G, WASM_I64, c->t->int_binop);
    return;
  case OP_I32_DIV_S: case OP_I32_DIV_U: case OP_I32_REM_S: case OP_I32_REM_U: divrem(c, op, WASM_I32); return;
  case OP_I64_DIV_S: case OP_I64_DIV_U: case OP_I64_REM_S: case OP_I64_REM_U: divrem(c, op, WASM_I64); return;
  case OP_F32_ADD: case OP_F32_SUB: case OP_F32_MUL: case OP_F32_DIV: case OP_F32_MIN: case OP_F32_MAX:
  case OP_F32_COPYSIGN:
    binop(c, op, CL_X, WASM_F32, c->t->float_binop);
    return;
  case OP_F64_ADD: case OP_F64_SUB: case OP_F64_MUL: case OP_F64_DIV: case OP_F64_MIN: case OP_F64_MAX:
  case OP_F64_COPYSIGN:
    binop(c, op, CL_X, WASM_F64, c->t->float_binop);
    return;
  default:
    if (info->sig && strlen(info->sig) == 3) { /* the remaining unary operators and conversions */
      unop(c, op);
      return;
    }
    aot_fail(c, "unsupported instruction");
    return;
  }
}

/* ---- locals ------------------------------------------------------------------------------- */

typedef struct lweight { uint32_t local; uint64_t w; } lweight;

static int cmp_weight(const void *a, const void *b) {
  const lweight *x = a, *y = b;
  if (x->w != y->w) return x->w > y->w ? -1 : 1;
  return x->local < y->local ? -1 : x->local > y->local;
}

static bool pool_from_locals(cg *c);

/* Registers for locals: linear scan over live intervals (regalloc.c); for
 * functions too large for it, use counts weighted by loop nesting (8x per
 * level) give the heaviest locals registers for the whole function. The
 * pool keeps at least MIN_POOL registers of each class. */
static bool assign_locals(cg *c) {
  if (aot_regalloc_locals(c)) return pool_from_locals(c);
  lweight *w = calloc(c->nlocals + 1, sizeof *w);
  if (!w) return false;
  for (uint32_t i = 0; i < c->nlocals; i++) w[i].local = i;
  uint64_t loops = 0; /* bit k: the k-th enclosing block is a loop (deeper blocks count as non-loops) */
  uint32_t nblk = 0, depth = 0;
  cg scan = *c;
  while (!reader_eof(&scan.r)) {
    wm_opcode op = wm_read_op(&scan.r);
    if (op == OP_COUNT_) break;
    if (op == OP_BLOCK || op == OP_LOOP || op == OP_IF) {
      if (nblk < 64 && op == OP_LOOP) {
        loops |= UINT64_C(1) << nblk;
        depth++;
      } else if (nblk < 64) {
        loops &= ~(UINT64_C(1) << nblk);
      }
      nblk++;
    } else if (op == OP_END && nblk) {
      nblk--;
      if (nblk < 64 && (loops >> nblk & 1)) depth--;
    }
    if (op == OP_LOCAL_GET || op == OP_LOCAL_SET || op == OP_LOCAL_TEE) {
      uint32_t x = u32(&scan);
      if (x < c->nlocals) w[x].w += (uint64_t)1 << (3 * (depth < 8 ? depth : 8));
      continue;
    }
    skip_imm(&scan, wm_opinfos[op].imm);
  }
  qsort(w, c->nlocals, sizeof *w, cmp_weight);
  uint32_t ng = 0, nx = 0;
  for (uint32_t i = 0; i < c->nlocals && w[i].w; i++) {
    uint32_t x = w[i].local;
    int cl = aot_cls(c->ltype[x]);
    if (cl == CL_G && ng < c->t->ngpr_locals) c->lreg[x] = c->t->gpr_local_order[ng++];
    else if (cl == CL_X && nx < c->t->nfpr_locals) c->lreg[x] = c->t->fpr_local_order[nx++];
  }
  free(w);
  return pool_from_locals(c);
}

/* The pool: allocatable registers no local lives in. */
static bool pool_from_locals(cg *c) {
  c->gfree = c->t->gpr_alloc;
  c->xfree = c->t->fpr_alloc;
  for (uint32_t i = 0; i < c->nlocals; i++) {
    if (c->lreg[i] < 0) continue;
    if (aot_cls(c->ltype[i]) == CL_X) {
      c->xfree &= ~(1u << c->lreg[i]);
      c->xused |= 1u << c->lreg[i];
    } else {
      c->gfree &= ~(1u << c->lreg[i]);
      c->gused |= 1u << c->lreg[i];
    }
  }
  if (__builtin_popcount(c->gfree) < MIN_POOL || __builtin_popcount(c->xfree) < MIN_POOL) {
    aot_fail(c, "internal error: target leaves too few pool registers");
    return false;
  }
  return true;
}

bool aot_compile_func(const aot_target *t, const aot_func_in *in, aot_func_out *out, rt_error *err) {
  cg c;
  memset(&c, 0, sizeof c);
  c.t = t;
  c.in = in;
  c.m = in->m;
  const wm_func *fn = &in->m->funcs[in->index];
  c.ft = wm_module_func_type(in->m, in->index);
  c.r = (wm_reader){in->m->bytes, fn->code, fn->code + fn->code_len, NULL};
  codemap_builder map;
  codemap_begin(&map, (uint32_t)fn->code_offset);
  c.map = &map;
  c.nlocals = c.ft->nparams + fn->nlocals;
  c.ltype = malloc(((size_t)c.nlocals + 1) * sizeof *c.ltype);
  c.lreg = malloc((size_t)c.nlocals + 1);
  c.lslot = malloc(((size_t)c.nlocals + 1) * sizeof *c.lslot);
  bool ok = false;
  if (!c.ltype || !c.lreg || !c.lslot) goto done;
  for (uint32_t i = 0; i < c.nlocals; i++) {
    c.ltype[i] = i < c.ft->nparams ? wm_functype_params(c.ft)[i] : fn->locals[i - c.ft->nparams];
    c.lreg[i] = -1;
    c.lslot[i] = (int32_t)c.nlslots;
    c.nlslots += (uint32_t)aot_width(c.ltype[i]);
  }
  if (!assign_locals(&c)) goto done;
  t->begin(&c);
  push_ctl(&c, OP_END, NULL, 0, wm_functype_results(c.ft), c.ft->nresults, 0, false);
  while (c.nc && !c.fail && !c.b.oom && !reader_eof(&c.r)) instr(&c);
  if (c.fail || c.b.oom) goto done;
  if (c.nc) {
    aot_fail(&c, "internal error: unterminated body");
    goto done;
  }
  if (c.nosr) osr_liveness(&c, fn);
  if (c.fail || !t->finish(&c, out)) goto done;
  if (!codemap_encode(&map, &out->map, &out->map_size)) {
    aot_fail(&c, "out of memory");
    goto done;
  }
  out->relocs = c.relocs;
  out->nrelocs = c.nrelocs;
  c.relocs = NULL;
  ok = true;
done:
  if (!ok) {
    const char *name = fn->debug_name;
    if (c.b.oom || !c.fail) snprintf(c.msg, sizeof c.msg, "out of memory");
    rt_error_at(err, WRUN_ERR_LIMIT, fn->code_offset, "cannot compile function %u%s%s%s: %s", in->index,
                  name ? " (" : "", name ? name : "", name ? ")" : "", c.msg);
  }
  for (uint32_t i = 0; i < c.nc; i++) free(c.cs[i].patches.at);
  for (int k = 0; k <= WRUN_TRAP_INTERRUPTED; k++) free(c.traps[k].at);
  free(c.rets.at);
  for (uint32_t k = 0; k < c.nosr; k++) free(c.osr[k].live);
  free(c.osr);
  free(c.ival);
  free(c.relocs);
  free(c.cs);
  free(c.vs);
  free(c.ltype);
  free(c.lreg);
  free(c.lslot);
  free(c.b.p);
  codemap_builder_free(&map);
  return ok;
}
