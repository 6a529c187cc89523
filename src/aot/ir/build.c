/*
 * build.c — wasm function body to SSA IR (ir.h).
 *
 * Locals, loop parameters and block results are "variables"; the IR gets
 * their SSA form directly while the body is walked once, with the on-the-fly
 * construction of Braun et al. (CC 2013): a variable read in a block looks
 * for a definition in the block, else asks its predecessors, placing a phi
 * where they may disagree; a block whose predecessors are not all known yet
 * (a loop head before its back edges, a block's end label before its
 * branches) is "unsealed" and gets incomplete phis that are completed when
 * it is sealed. A branch to a label writes the label's variables and
 * jumps, so block results and loop parameters become phis like locals do.
 *
 * Every instruction of Wasm 2.0 is lowered: references are i64 values (a
 * pointer, 0 for null), v128 values are IR_V128 and SIMD instructions the
 * IR op of the same name, table and bulk-memory instructions are HOPs (the
 * runtime's helper), and a call of several results is a call typed void
 * followed by one RESULT per result. ir_build returns 0 (with the reason)
 * only for internal inconsistencies; the caller then compiles the function
 * with the one-pass compiler, or refuses it in strict mode.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot/ir/build.h"
#include "binary/instr.h"

typedef struct bctl {
  wm_opcode op;                  /* BLOCK, LOOP, IF (ELSE after else), or END for the body */
  uint32_t height;               /* operand stack height below the parameters */
  const wm_valtype *params, *results; /* (results: valid only in push_ctl) */
  uint32_t np, nr;
  uint32_t var0;                 /* label variables: a loop's parameters, else the results */
  uint32_t target;               /* loop: its head; else: the block after end */
  uint32_t else_block;           /* IF: the else branch's block */
  uint32_t *if_params;           /* IF: the parameters, for an absent else branch */
  bool unreachable, dead;
} bctl;

typedef struct bkey { uint32_t block, var, val; } bkey;
typedef struct incomplete { uint32_t block, var, phi; } incomplete;

typedef struct bstate {
  ir_func *f;
  const wm_module *m;
  wm_reader r;
  bool interruptible;
  ir_type *vtype;
  uint32_t nvars, capvars;
  bkey *defs;                    /* open addressing: (block, var) -> value; var UINT32_MAX = empty */
  uint32_t ndefs, capdefs;
  incomplete *inc;
  uint32_t ninc, capinc;
  uint32_t *vs;
  uint32_t nv, capv;
  bctl *cs;
  uint32_t nc, capc;
  uint32_t cur;
  bool osr;                      /* an on-stack replacement entry per loop head (ir_build_osr) */
  uint32_t nlocals;              /* parameters and declared locals: variables 0 .. nlocals-1 */
  uint32_t *entries, nentries, capentries; /* the OSR entry blocks */
  int status;                    /* 1 ok, 0 unsupported, -1 out of memory */
  char *why;
  size_t whysz;
} bstate;

static void unsupported(bstate *s, const char *what) {
  if (s->status == 1) {
    s->status = 0;
    snprintf(s->why, s->whysz, "%s", what);
  }
}

static bool ok(bstate *s) {
  if (s->f->oom && s->status == 1) s->status = -1;
  return s->status == 1;
}

static bool reserve(bstate *s, void **p, uint32_t *cap, uint32_t need, size_t sz) {
  if (need <= *cap) return true;
  uint32_t nc = *cap ? *cap * 2 : 16;
  while (nc < need) nc *= 2;
  void *q = realloc(*p, (size_t)nc * sz);
  if (!q) {
    s->status = -1;
    return false;
  }
  *p = q;
  *cap = nc;
  return true;
}

static ir_type irtype(wm_valtype t) {
  switch (t) {
  case WASM_I32: return IR_I32;
  case WASM_I64: return IR_I64;
  case WASM_F32: return IR_F32;
  case WASM_F64: return IR_F64;
  case WASM_V128: return IR_V128;
  default: return wm_valtype_is_num(t) ? IR_VOID : IR_I64; /* references */
  }
}

/* ---- variables (Braun et al.) ---- */

static uint32_t new_var(bstate *s, ir_type t) {
  if (!reserve(s, (void **)&s->vtype, &s->capvars, s->nvars + 1, sizeof *s->vtype)) return 0;
  s->vtype[s->nvars] = t;
  return s->nvars++;
}

static uint32_t hash(uint32_t b, uint32_t v) { return (b * 0x9E3779B1u) ^ (v * 0x85EBCA77u); }

static bkey *slot_of(bstate *s, uint32_t b, uint32_t var) {
  uint32_t mask = s->capdefs - 1;
  for (uint32_t h = hash(b, var) & mask;; h = (h + 1) & mask) {
    bkey *k = &s->defs[h];
    if (k->var == UINT32_MAX || (k->block == b && k->var == var)) return k;
  }
}

static void write_var(bstate *s, uint32_t var, uint32_t b, uint32_t val) {
  if (2 * (s->ndefs + 1) > s->capdefs) {
    uint32_t nc = s->capdefs ? s->capdefs * 2 : 1024;
    bkey *old = s->defs;
    uint32_t oc = s->capdefs;
    s->defs = malloc((size_t)nc * sizeof *s->defs);
    if (!s->defs) {
      s->defs = old;
      s->status = -1;
      return;
    }
    memset(s->defs, 0xFF, (size_t)nc * sizeof *s->defs); /* var UINT32_MAX: empty */
    s->capdefs = nc;
    for (uint32_t k = 0; k < oc; k++)
      if (old[k].var != UINT32_MAX) *slot_of(s, old[k].block, old[k].var) = old[k];
    free(old);
  }
  bkey *k = slot_of(s, b, var);
  if (k->var == UINT32_MAX) s->ndefs++;
  *k = (bkey){b, var, val};
}

static uint32_t read_var(bstate *s, uint32_t var, uint32_t b);

/* A phi whose arguments are all one value (or itself) stands for that value. */
static uint32_t try_trivial(bstate *s, uint32_t phi) {
  ir_func *f = s->f;
  uint32_t same = UINT32_MAX;
  for (uint32_t k = 0; k < f->ins[phi].nargs; k++) {
    uint32_t a = ir_resolve(f, f->ins[phi].args[k]);
    if (a == same || a == phi) continue;
    if (same != UINT32_MAX) return phi;
    same = a;
  }
  if (same == UINT32_MAX) return phi; /* only reachable through itself: keep */
  f->repl[phi] = same;
  f->ins[phi].dead = 1;
  return same;
}

static uint32_t add_phi_operands(bstate *s, uint32_t var, uint32_t phi) {
  ir_func *f = s->f;
  ir_block *bl = &f->blocks[f->ins[phi].block];
  if (f->ins[phi].nargs != bl->npred) {
    f->ins[phi].args = ir_alloc(f, (bl->npred + 1) * sizeof(uint32_t));
    if (!f->ins[phi].args) return phi;
    f->ins[phi].nargs = bl->npred;
  }
  for (uint32_t k = 0; k < bl->npred; k++) f->ins[phi].args[k] = read_var(s, var, f->blocks[f->ins[phi].block].pred[k]);
  return try_trivial(s, phi);
}

static uint32_t zero(bstate *s, uint32_t b, ir_type t) {
  if (t == IR_V128) return ir_emit(s->f, b, (ir_op)IR_V128_CONST, IR_V128, NULL, 0, UINT64_MAX);
  return ir_emit(s->f, b, IR_CONST, t, NULL, 0, 0);
}

static uint32_t read_var(bstate *s, uint32_t var, uint32_t b) {
  if (!ok(s)) return 0;
  ir_func *f = s->f;
  /* Up a chain of sealed blocks of one predecessor each (br_if's fall-through,
   * an if's arms) the value is the first definition found: walked in a loop,
   * and remembered only where the read started, not in every block passed
   * (the same values as recursing block by block, with fewer table entries). */
  for (uint32_t at = b;; at = f->blocks[at].pred[0]) {
    if (s->capdefs) {
      bkey *k = slot_of(s, at, var);
      if (k->var != UINT32_MAX) {
        uint32_t v = ir_resolve(f, k->val);
        if (at != b) write_var(s, var, b, v);
        return v;
      }
    }
    if (!f->blocks[at].sealed || f->blocks[at].npred != 1) {
      if (at == b) break;
      uint32_t v = read_var(s, var, at);
      if (ok(s)) write_var(s, var, b, v);
      return v;
    }
  }
  ir_block *bl = &f->blocks[b];
  uint32_t val;
  if (!bl->sealed) {
    val = ir_phi_new(f, b, s->vtype[var]);
    if (!reserve(s, (void **)&s->inc, &s->capinc, s->ninc + 1, sizeof *s->inc)) return 0;
    s->inc[s->ninc++] = (incomplete){b, var, val};
  } else if (bl->npred == 0) { /* (one predecessor: the walk above) */
    val = zero(s, b, s->vtype[var]); /* unreachable block */
  } else {
    val = ir_phi_new(f, b, s->vtype[var]);
    write_var(s, var, b, val); /* breaks cycles through loops */
    val = add_phi_operands(s, var, val);
  }
  write_var(s, var, b, val);
  return val;
}

static void seal(bstate *s, uint32_t b) {
  if (s->f->blocks[b].sealed) return;
  for (uint32_t k = 0; k < s->ninc && ok(s); k++)
    if (s->inc[k].block == b) {
      add_phi_operands(s, s->inc[k].var, s->inc[k].phi);
      s->inc[k] = s->inc[--s->ninc];
      k--;
    }
  s->f->blocks[b].sealed = true;
}

/* ---- operand stack, control ---- */

static void push(bstate *s, uint32_t v) {
  if (!reserve(s, (void **)&s->vs, &s->capv, s->nv + 1, sizeof *s->vs)) return;
  s->vs[s->nv++] = v;
}

static uint32_t pop(bstate *s) {
  if (!s->nv) { /* validated code never does this */
    unsupported(s, "internal error: operand stack underflow");
    return 0;
  }
  return s->vs[--s->nv];
}

/* The top n values of the operand stack (NULL when n is 0: the stack may
 * not be allocated yet). */
static const uint32_t *stack_top(const bstate *s, uint32_t n) { return n ? s->vs + s->nv - n : NULL; }
/* The n values just popped (still in place above the top). */
static const uint32_t *popped(const bstate *s, uint32_t n) { return n ? s->vs + s->nv : NULL; }

static uint32_t u32(bstate *s) {
  uint32_t v = 0;
  reader_u32(&s->r, &v);
  return v;
}

static bool types_ok(bstate *s, const wm_valtype *t, uint32_t n) {
  for (uint32_t k = 0; k < n; k++)
    if (!irtype(t[k])) {
      unsupported(s, "a value that is not i32/i64/f32/f64");
      return false;
    }
  return true;
}

static bctl *push_ctl(bstate *s, wm_opcode op, const wm_valtype *params, uint32_t np, const wm_valtype *results,
                      uint32_t nr, bool dead) {
  if (!reserve(s, (void **)&s->cs, &s->capc, s->nc + 1, sizeof *s->cs)) return NULL;
  bctl *c = &s->cs[s->nc++];
  memset(c, 0, sizeof *c);
  c->op = op;
  c->params = params;
  c->results = results;
  c->np = np;
  c->nr = nr;
  c->dead = dead;
  c->unreachable = dead;
  c->height = s->nv >= np ? s->nv - np : 0;
  if (dead) return c;
  const wm_valtype *lt = op == OP_LOOP ? params : results;
  uint32_t nl = op == OP_LOOP ? np : nr;
  c->var0 = s->nvars;
  for (uint32_t k = 0; k < nl; k++) new_var(s, irtype(lt[k]));
  return c;
}

static void jump(bstate *s, uint32_t to) {
  ir_emit(s->f, s->cur, IR_JMP, IR_VOID, NULL, 0, 0);
  ir_set_succ(s->f, s->cur, &to, 1);
}

/* The label's variables get the top values of the stack (in the current block). */
static void write_label(bstate *s, const bctl *c) {
  uint32_t n = c->op == OP_LOOP ? c->np : c->nr;
  for (uint32_t k = 0; k < n; k++) write_var(s, c->var0 + k, s->cur, s->vs[s->nv - n + k]);
}

static void set_unreachable(bstate *s) {
  bctl *c = &s->cs[s->nc - 1];
  c->unreachable = true;
  s->nv = c->height;
}

static void branch_to(bstate *s, uint32_t depth) {
  bctl *c = &s->cs[s->nc - 1 - depth];
  write_label(s, c);
  jump(s, c->target); /* the function's label is the block that returns */
}

static void do_end(bstate *s) {
  bctl *c = &s->cs[s->nc - 1];
  if (c->dead) {
    s->nc--;
    return;
  }
  if (c->op == OP_LOOP) {
    seal(s, c->target);
    bool unreach = c->unreachable;
    s->nc--;
    if (unreach) set_unreachable(s);
    return;
  }
  if (!c->unreachable) {
    write_label(s, c);
    jump(s, c->target);
  }
  if (c->op == OP_IF) { /* no else: the parameters are the results */
    s->cur = c->else_block;
    for (uint32_t k = 0; k < c->nr; k++) write_var(s, c->var0 + k, s->cur, c->if_params[k]);
    jump(s, c->target);
  }
  s->cur = c->target;
  seal(s, s->cur);
  s->nv = c->height;
  bctl saved = *c;
  s->nc--;
  free(saved.if_params);
  if (!s->f->blocks[s->cur].npred) { /* nothing reaches the end */
    if (s->nc) set_unreachable(s);
    return;
  }
  for (uint32_t k = 0; k < saved.nr; k++) push(s, read_var(s, saved.var0 + k, s->cur));
  if (saved.op == OP_END) /* the function's end: its results are returned */
    ir_emit(s->f, s->cur, IR_RET, IR_VOID, stack_top(s, saved.nr), saved.nr, 0);
}

/* ---- instructions ---- */

static ir_op numeric_op(wm_opcode op, int *arity) {
  switch (op) {
#define B(id, ta, tr, e) case OP_##id: *arity = 2; return IR_##id;
    SEM_INT_BINOPS(B) SEM_FLOAT_BINOPS(B) SEM_BITS_BINOPS(B)
#undef B
#define U(id, ta, tr, e) case OP_##id: *arity = 1; return IR_##id;
    SEM_UNOPS(U)
#undef U
  default: *arity = 0; return IR_NOPS_;
  }
}

static ir_type result_type(const char *sig) {
  const char *gt = strchr(sig, '>');
  switch (gt ? gt[1] : 0) {
  case 'i': case 'a': return IR_I32; /* 'a': an address of a 32-bit memory */
  case 'I': return IR_I64;
  case 'f': return IR_F32;
  case 'F': return IR_F64;
  case 'v': return IR_V128;
  default: return IR_VOID;
  }
}

/* A call of type ft: direct (fidx, an import goes through the runtime) or,
 * for call_indirect (indirect: the element index is on top), checked by the runtime. */
static void call_op(bstate *s, const wm_functype *ft, ir_op op, uint32_t imm, uint32_t table) {
  if (!types_ok(s, wm_functype_params(ft), ft->nparams) || !types_ok(s, wm_functype_results(ft), ft->nresults)) return;
  uint32_t n = ft->nparams + (op == IR_CALL_INDIRECT);
  if (s->nv < n) return unsupported(s, "internal error: operand stack underflow");
  s->nv -= n;
  bool multi = ft->nresults > 1; /* the results are read by RESULT instructions right after */
  ir_type rt = ft->nresults == 1 ? irtype(wm_functype_results(ft)[0]) : IR_VOID;
  uint32_t v = ir_emit(s->f, s->cur, op, rt, popped(s, n), n, imm);
  s->f->ins[v].aux = table;
  if (rt) push(s, v);
  for (uint32_t k = 0; multi && k < ft->nresults; k++)
    push(s, ir_emit(s->f, s->cur, IR_RESULT, irtype(wm_functype_results(ft)[k]), &v, 1, k));
}

static void call_direct(bstate *s, uint32_t fidx) {
  call_op(s, wm_module_func_type(s->m, fidx), fidx < s->m->nimported_funcs ? IR_CALL_HOST : IR_CALL, fidx, 0);
}

/* An instruction done by the runtime's helper: operands and result by its signature. */
static void helper_op(bstate *s, wm_opcode op, uint32_t a, uint32_t b) {
  const char *sig = wm_opinfos[op].sig, *gt = strchr(sig, '>');
  uint32_t n = (uint32_t)(gt - sig);
  if (s->nv < n) return unsupported(s, "internal error: operand stack underflow");
  s->nv -= n;
  ir_type rt = result_type(sig);
  uint32_t v = ir_emit(s->f, s->cur, IR_HOP, rt, popped(s, n), n, a);
  s->f->ins[v].wop = (uint16_t)op;
  s->f->ins[v].aux = b;
  if (rt) push(s, v);
}

/* A table or element instruction done by the helper: n operands, result type rt. */
static void table_op(bstate *s, wm_opcode op, uint32_t n, ir_type rt, uint32_t a, uint32_t b) {
  if (s->nv < n) return unsupported(s, "internal error: operand stack underflow");
  s->nv -= n;
  uint32_t v = ir_emit(s->f, s->cur, IR_HOP, rt, popped(s, n), n, a);
  s->f->ins[v].wop = (uint16_t)op;
  s->f->ins[v].aux = b;
  if (rt) push(s, v);
}

/* A SIMD instruction: operands and result by its signature, immediates as
 * ir.h says for the SIMD rows. */
static void simd_instr(bstate *s, wm_opcode op, const wm_opinfo *info) {
  uint64_t imm = 0;
  uint32_t aux = 0;
  const uint8_t *p = NULL;
  switch (info->imm) {
  case IMM_MEMARG: case IMM_MEMARG_LANE: {
    if (!s->m->nmems) return unsupported(s, "internal error: no memory");
    uint32_t align = u32(s);
    imm = u32(s);
    if (align & 0x40) imm = u32(s); /* a memory index came first (validated as 0) */
    if (info->imm == IMM_MEMARG_LANE) {
      uint8_t lane = 0;
      reader_u8(&s->r, &lane);
      aux = lane;
    }
    break;
  }
  case IMM_LANE: {
    uint8_t lane = 0;
    reader_u8(&s->r, &lane);
    imm = lane;
    break;
  }
  case IMM_V128: case IMM_SHUFFLE:
    if (!reader_bytes(&s->r, 16, &p)) return unsupported(s, "internal error: truncated immediate");
    imm = (uint64_t)(p - s->m->bytes);
    break;
  default: break;
  }
  const char *gt = strchr(info->sig, '>');
  uint32_t n = (uint32_t)(gt - info->sig);
  if (s->nv < n) return unsupported(s, "internal error: operand stack underflow");
  s->nv -= n;
  ir_type rt = result_type(info->sig);
  uint32_t v = ir_emit(s->f, s->cur, (ir_op)ir_simd_op(op), rt, popped(s, n), n, imm);
  s->f->ins[v].wop = (uint16_t)op;
  s->f->ins[v].aux = aux;
  if (rt) push(s, v);
}

static void br_table(bstate *s) {
  uint32_t n = u32(s);
  uint32_t *targets = malloc(((size_t)n + 1) * sizeof *targets);
  if (!targets) {
    s->status = -1;
    return;
  }
  for (uint32_t k = 0; k <= n; k++) targets[k] = u32(s);
  uint32_t idx = pop(s);
  for (uint32_t k = 0; k <= n; k++) {
    bctl *c = &s->cs[s->nc - 1 - targets[k]];
    write_label(s, c);
    targets[k] = c->target;
  }
  ir_emit(s->f, s->cur, IR_SWITCH, IR_VOID, &idx, 1, 0);
  ir_set_succ(s->f, s->cur, targets, n + 1);
  free(targets);
  set_unreachable(s);
}

static void memory_access(bstate *s, wm_opcode op, const wm_opinfo *info) {
  uint32_t align = u32(s), offset = u32(s);
  if (align & 0x40) offset = u32(s);
  ir_type rt = result_type(info->sig);
  if (rt) {
    uint32_t a = pop(s);
    uint32_t v = ir_emit(s->f, s->cur, IR_LOAD, rt, &a, 1, offset);
    s->f->ins[v].wop = (uint16_t)op;
    push(s, v);
  } else {
    uint32_t args[2];
    args[1] = pop(s);
    args[0] = pop(s);
    uint32_t v = ir_emit(s->f, s->cur, IR_STORE, IR_VOID, args, 2, offset);
    s->f->ins[v].wop = (uint16_t)op;
  }
}

static uint32_t *osr_entry(bstate *s, const bctl *c, uint32_t loop_off);

static void instr(bstate *s) {
  ir_func *f = s->f;
  uint32_t op_at = (uint32_t)reader_offset(&s->r);
  f->woff = op_at; /* what the instructions made here come from */
  wm_opcode op = wm_read_op(&s->r);
  if (op == OP_COUNT_) return unsupported(s, "internal error: unknown opcode");
  const wm_opinfo *info = &wm_opinfos[op];
  bctl *cur = &s->cs[s->nc - 1];
  if (cur->unreachable) { /* keep only the block structure */
    if (op == OP_BLOCK || op == OP_LOOP || op == OP_IF) {
      wm_skip_imm(&s->r, s->m, info->imm);
      push_ctl(s, op, NULL, 0, NULL, 0, true);
    } else if (op == OP_ELSE && !cur->dead) {
      s->nv = cur->height;
      for (uint32_t k = 0; k < cur->np; k++) push(s, cur->if_params[k]);
      s->cur = cur->else_block;
      cur->op = OP_ELSE;
      cur->unreachable = false;
    } else if (op == OP_END) {
      do_end(s);
    } else {
      wm_skip_imm(&s->r, s->m, info->imm);
    }
    return;
  }
  if (info->prefix == 0xFD) return simd_instr(s, op, info);
  switch (op) {
  case OP_UNREACHABLE:
    ir_emit(f, s->cur, IR_TRAP, IR_VOID, NULL, 0, WRUN_TRAP_UNREACHABLE);
    set_unreachable(s);
    return;
  case OP_NOP: return;
  case OP_BLOCK: case OP_LOOP: case OP_IF: {
    wm_blocktype bt;
    wm_read_blocktype(&s->r, s->m, &bt);
    if (!bt.results && bt.nr == 1) bt.results = &bt.single; /* read only while the frame is pushed */
    if (!types_ok(s, bt.params, bt.np) || !types_ok(s, bt.results, bt.nr)) return;
    uint32_t cond = op == OP_IF ? pop(s) : 0;
    bctl *c = push_ctl(s, op, bt.params, bt.np, bt.results, bt.nr, false);
    if (!c) return;
    if (op == OP_LOOP) {
      c->target = ir_block_new(f);
      uint32_t *below = NULL; /* with OSR: the variables now holding the values under the parameters */
      if (s->osr) below = osr_entry(s, c, op_at);
      else write_label(s, c);
      jump(s, c->target);
      s->cur = c->target;
      s->nv = c->height;
      for (uint32_t k = 0; below && k < c->height; k++) s->vs[k] = read_var(s, below[k], s->cur);
      free(below);
      for (uint32_t k = 0; k < c->np; k++) push(s, read_var(s, c->var0 + k, s->cur));
      if (s->interruptible) ir_emit(f, s->cur, IR_POLL, IR_VOID, NULL, 0, 0);
      return;
    }
    c->target = ir_block_new(f);
    if (op == OP_IF) {
      uint32_t then = ir_block_new(f);
      c = &s->cs[s->nc - 1];
      c->else_block = ir_block_new(f);
      c->if_params = malloc(((size_t)c->np + 1) * sizeof *c->if_params);
      if (!c->if_params) {
        s->status = -1;
        return;
      }
      memcpy(c->if_params, s->vs + c->height, c->np * sizeof *c->if_params);
      ir_emit(f, s->cur, IR_BR, IR_VOID, &cond, 1, 0);
      uint32_t succ[2] = {then, c->else_block};
      ir_set_succ(f, s->cur, succ, 2);
      seal(s, then);
      seal(s, c->else_block);
      s->cur = then;
    }
    return;
  }
  case OP_ELSE: {
    bctl *c = cur;
    write_label(s, c);
    jump(s, c->target);
    s->nv = c->height;
    for (uint32_t k = 0; k < c->np; k++) push(s, c->if_params[k]);
    s->cur = c->else_block;
    c->op = OP_ELSE;
    return;
  }
  case OP_END: do_end(s); return;
  case OP_BR: branch_to(s, u32(s)); set_unreachable(s); return;
  case OP_BR_IF: {
    uint32_t d = u32(s);
    uint32_t cond = pop(s);
    bctl *c = &s->cs[s->nc - 1 - d];
    write_label(s, c);
    uint32_t next = ir_block_new(f);
    ir_emit(f, s->cur, IR_BR, IR_VOID, &cond, 1, 0);
    uint32_t succ[2] = {s->cs[s->nc - 1 - d].target, next};
    ir_set_succ(f, s->cur, succ, 2);
    seal(s, next);
    s->cur = next;
    return;
  }
  case OP_BR_TABLE: br_table(s); return;
  case OP_RETURN: branch_to(s, s->nc - 1); set_unreachable(s); return;
  case OP_CALL: call_direct(s, u32(s)); return;
  case OP_CALL_INDIRECT: {
    uint32_t ti = u32(s), tab = u32(s);
    call_op(s, &s->m->types[ti].func, IR_CALL_INDIRECT, ti, tab);
    return;
  }
  case OP_MEMORY_SIZE: case OP_MEMORY_GROW: case OP_MEMORY_FILL: u32(s); helper_op(s, op, 0, 0); return;
  case OP_MEMORY_COPY: u32(s); u32(s); helper_op(s, op, 0, 0); return;
  case OP_MEMORY_INIT: { uint32_t d = u32(s); u32(s); helper_op(s, op, d, 0); return; }
  case OP_DATA_DROP: helper_op(s, op, u32(s), 0); return;
  case OP_ELEM_DROP: table_op(s, op, 0, IR_VOID, u32(s), 0); return;
  case OP_TABLE_GET: table_op(s, op, 1, IR_I64, u32(s), 0); return;
  case OP_TABLE_SET: table_op(s, op, 2, IR_VOID, u32(s), 0); return;
  case OP_TABLE_FILL: table_op(s, op, 3, IR_VOID, u32(s), 0); return;
  case OP_TABLE_SIZE: table_op(s, op, 0, IR_I32, u32(s), 0); return;
  case OP_TABLE_GROW: table_op(s, op, 2, IR_I32, u32(s), 0); return;
  case OP_TABLE_COPY: { uint32_t d = u32(s), src = u32(s); table_op(s, op, 3, IR_VOID, d, src); return; }
  case OP_TABLE_INIT: { uint32_t e = u32(s), t = u32(s); table_op(s, op, 3, IR_VOID, t, e); return; }
  case OP_REF_NULL: wm_skip_imm(&s->r, s->m, info->imm); push(s, zero(s, s->cur, IR_I64)); return;
  case OP_REF_IS_NULL: { uint32_t a = pop(s); push(s, ir_emit(f, s->cur, IR_I64_EQZ, IR_I32, &a, 1, 0)); return; }
  case OP_REF_FUNC: push(s, ir_emit(f, s->cur, IR_REF_FUNC, IR_I64, NULL, 0, u32(s))); return;
#define TR(id, ta, tr, lo, hi) case OP_##id:
  SEM_TRUNC_OPS(TR)
#undef TR
    helper_op(s, op, 0, 0);
    return;
  case OP_DROP: pop(s); return;
  case OP_SELECT: case OP_SELECT_T: {
    if (op == OP_SELECT_T) wm_skip_imm(&s->r, s->m, info->imm); /* the type is the operands' */
    uint32_t args[3];
    args[2] = pop(s);
    args[1] = pop(s);
    args[0] = pop(s);
    if (!ok(s)) return;
    push(s, ir_emit(f, s->cur, IR_SELECT, f->ins[args[0]].type, args, 3, 0));
    return;
  }
  case OP_LOCAL_GET: push(s, read_var(s, u32(s), s->cur)); return;
  case OP_LOCAL_SET: { uint32_t x = u32(s); write_var(s, x, s->cur, pop(s)); return; }
  case OP_LOCAL_TEE: { uint32_t x = u32(s); write_var(s, x, s->cur, s->vs[s->nv - 1]); return; }
  case OP_GLOBAL_GET: case OP_GLOBAL_SET: {
    uint32_t g = u32(s);
    ir_type t = irtype(s->m->globals[g].type.type);
    if (op == OP_GLOBAL_GET) {
      push(s, ir_emit(f, s->cur, IR_GLOBAL_GET, t, NULL, 0, g));
    } else {
      uint32_t v = pop(s);
      ir_emit(f, s->cur, IR_GLOBAL_SET, IR_VOID, &v, 1, g);
    }
    return;
  }
  case OP_I32_CONST: { int32_t v = 0; reader_s32(&s->r, &v); push(s, ir_emit(f, s->cur, IR_CONST, IR_I32, NULL, 0, (uint32_t)v)); return; }
  case OP_I64_CONST: { int64_t v = 0; reader_s64(&s->r, &v); push(s, ir_emit(f, s->cur, IR_CONST, IR_I64, NULL, 0, (uint64_t)v)); return; }
  case OP_F32_CONST: { uint32_t v = 0; reader_f32(&s->r, &v); push(s, ir_emit(f, s->cur, IR_CONST, IR_F32, NULL, 0, v)); return; }
  case OP_F64_CONST: { uint64_t v = 0; reader_f64(&s->r, &v); push(s, ir_emit(f, s->cur, IR_CONST, IR_F64, NULL, 0, v)); return; }
  case OP_I32_DIV_S: case OP_I32_DIV_U: case OP_I32_REM_S: case OP_I32_REM_U:
  case OP_I64_DIV_S: case OP_I64_DIV_U: case OP_I64_REM_S: case OP_I64_REM_U: {
    uint32_t args[2];
    args[1] = pop(s);
    args[0] = pop(s);
    uint32_t v = ir_emit(f, s->cur, IR_DIV, result_type(info->sig), args, 2, 0);
    f->ins[v].wop = (uint16_t)op;
    push(s, v);
    return;
  }
  default: break;
  }
  if (info->imm == IMM_MEMARG) {
    if (!s->m->nmems) return unsupported(s, "internal error: no memory");
    return memory_access(s, op, info);
  }
  int arity;
  ir_op iop = numeric_op(op, &arity);
  if (iop == IR_NOPS_) return unsupported(s, info->name); /* (0xFC numeric ops, the saturating truncations, are in) */
  uint32_t args[2];
  if (arity == 2) args[1] = pop(s);
  args[0] = pop(s);
  push(s, ir_emit(f, s->cur, iop, result_type(info->sig), args, (uint32_t)arity, 0));
}

/* ---- on-stack replacement entries (ir_build_osr) ---- */

/* Slots a value of type t takes in an interpreter frame. */
static uint32_t frame_width(ir_type t) { return t == IR_V128 ? 2 : 1; }

/* Before loop c's head (still in the block entering it): an OSR entry
 * block, reached from block 0's ENTRY, loads every local and operand-stack
 * value from the interpreter frame (docs/aot.md, "On-stack replacement
 * entries": locals from slot 0, then the stack, a v128 taking two slots)
 * and joins the way in from the body in a new block, which then jumps to
 * the head. So the head keeps one predecessor from outside the loop (the
 * join, where LICM hoists to), and every value the loop reads is a
 * variable defined on both ways in: the locals and the loop's parameters
 * already are; the values under the parameters become variables here
 * (returned, for the caller to read at the head). Leaves s->cur at the
 * join block. */
static uint32_t *osr_entry(bstate *s, const bctl *c, uint32_t loop_off) {
  ir_func *f = s->f;
  uint32_t *below = c->height ? malloc(c->height * sizeof *below) : NULL;
  if (c->height && !below) {
    s->status = -1;
    return NULL;
  }
  for (uint32_t k = 0; k < c->height; k++) {
    below[k] = new_var(s, (ir_type)f->ins[s->vs[k]].type);
    write_var(s, below[k], s->cur, s->vs[k]);
  }
  write_label(s, c);
  uint32_t join = ir_block_new(f);
  jump(s, join);
  uint32_t e = ir_block_new(f);
  if (!ok(s) || !reserve(s, (void **)&s->entries, &s->capentries, s->nentries + 1, sizeof *s->entries)) {
    free(below);
    return NULL;
  }
  s->entries[s->nentries++] = e;
  ir_add_edge(f, 0, e); /* the successor side is block 0's ENTRY, made at the end */
  f->blocks[e].sealed = true;
  ir_emit(f, e, IR_OSR_ENTRY, IR_VOID, NULL, 0, loop_off);
  uint32_t slot = 0;
  for (uint32_t k = 0; k < s->nlocals + s->nv && ok(s); k++) {
    uint32_t var = k < s->nlocals ? k : k - s->nlocals < c->height ? below[k - s->nlocals] : c->var0 + (k - s->nlocals - c->height);
    ir_type t = s->vtype[var];
    write_var(s, var, e, ir_emit(f, e, IR_OSR_LOAD, t, NULL, 0, slot));
    slot += frame_width(t);
  }
  s->cur = e;
  jump(s, join);
  seal(s, join);
  s->cur = join;
  return below;
}

static int build(const wm_module *m, uint32_t fidx, bool interruptible, bool osr, ir_func **out, char *why,
                 size_t whysz);

int ir_build(const wm_module *m, uint32_t fidx, bool interruptible, ir_func **out, char *why, size_t whysz) {
  return build(m, fidx, interruptible, false, out, why, whysz);
}

int ir_build_osr(const wm_module *m, uint32_t fidx, bool interruptible, ir_func **out, char *why, size_t whysz) {
  return build(m, fidx, interruptible, true, out, why, whysz);
}

static int build(const wm_module *m, uint32_t fidx, bool interruptible, bool osr, ir_func **out, char *why,
                 size_t whysz) {
  *out = NULL;
  bstate s;
  memset(&s, 0, sizeof s);
  s.status = 1;
  s.why = why;
  s.whysz = whysz;
  s.m = m;
  s.interruptible = interruptible;
  s.osr = osr;
  const wm_func *fn = &m->funcs[fidx];
  const wm_functype *ft = wm_module_func_type(m, fidx);
  s.r = (wm_reader){m->bytes, fn->code, fn->code + fn->code_len, NULL};
  s.f = ir_func_new();
  if (!s.f) return -1;
  ir_func *f = s.f;
  f->woff = (uint32_t)fn->code_offset;
  ir_reserve(f, fn->code_len / 3 + 16); /* clang -O2 code makes about one instruction per 4 bytes: rarely a move */
  if (!types_ok(&s, wm_functype_params(ft), ft->nparams) || !types_ok(&s, fn->locals, fn->nlocals) ||
      !types_ok(&s, wm_functype_results(ft), ft->nresults))
    goto done;
  f->nparams = ft->nparams;
  f->nresults = ft->nresults;
  uint32_t entry = ir_block_new(f);
  f->blocks[entry].sealed = true;
  s.cur = entry;
  for (uint32_t k = 0; k < ft->nparams + fn->nlocals; k++) {
    wm_valtype t = k < ft->nparams ? wm_functype_params(ft)[k] : fn->locals[k - ft->nparams];
    uint32_t var = new_var(&s, irtype(t));
    uint32_t v = k < ft->nparams ? ir_emit(f, entry, IR_PARAM, irtype(t), NULL, 0, k) : zero(&s, entry, irtype(t));
    write_var(&s, var, entry, v);
  }
  s.nlocals = ft->nparams + fn->nlocals;
  uint32_t body_block = entry;
  if (osr) { /* block 0 holds the parameters and ends in ENTRY; the body starts in a block of its own */
    s.cur = body_block = ir_block_new(f);
    ir_add_edge(f, entry, s.cur);
    f->blocks[s.cur].sealed = true;
  }
  bctl *body = push_ctl(&s, OP_END, NULL, 0, wm_functype_results(ft), ft->nresults, false);
  if (body) body->target = ir_block_new(f); /* where the body's end and every return meet */
  while (s.nc && ok(&s) && !reader_eof(&s.r)) instr(&s);
  if (!ok(&s)) goto done;
  if (s.nc) {
    unsupported(&s, "internal error: unterminated body");
    goto done;
  }
  if (osr) { /* block 0: ENTRY to the body (block 1) and to every OSR entry block */
    ir_emit(f, entry, IR_ENTRY, IR_VOID, NULL, 0, 0);
    ir_block *b0 = &f->blocks[entry];
    b0->succ = ir_alloc(f, (s.nentries + 1) * sizeof *b0->succ);
    if (b0->succ) {
      b0->succ[0] = body_block;
      if (s.nentries) memcpy(b0->succ + 1, s.entries, s.nentries * sizeof *s.entries);
      b0->nsucc = s.nentries + 1;
    }
  }
done:
  free(s.entries);
  for (uint32_t k = 0; k < s.nc; k++) free(s.cs[k].if_params);
  free(s.cs);
  free(s.vs);
  free(s.defs);
  free(s.inc);
  free(s.vtype);
  if (f->oom && s.status == 1) s.status = -1;
  if (s.status != 1) {
    ir_func_free(f);
    return s.status;
  }
  ir_canonicalize(f);
  *out = f;
  return 1;
}
