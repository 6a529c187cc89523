/*
 * inline.c — inlining of small straight-line leaf functions into their
 * callers (docs/aot-ir.md, "Inlining").
 *
 * A callee qualifies when its optimized IR is one straight line: blocks
 * that follow each other by unconditional jumps, ending in `return`, with
 * no calls of any kind, no runtime helper operations, no polls and no
 * explicit traps, and at most IR_INLINE_BUDGET instructions besides
 * parameters, constants and the return. Such a function is typically an
 * accessor or a small arithmetic routine (compiler-rt's __multi3, which
 * clang calls for every 64x64->128-bit product). The call is replaced by
 * a copy of the line in the caller's block, parameters mapped to the
 * call's arguments and the call's value to the returned one, so the
 * caller's passes see through it and no block or edge changes.
 *
 * Backtraces name every frame (tests/cli/aot.sh): the copies carry the
 * callee's positions and an inline site (ir_inline_site: the call's
 * position and the callee), which the code map records (codemap.h), so a
 * trap inside an inlined copy still shows the callee's frame at its own
 * offset. So callees that may trap (memory accesses, divisions) are
 * inlined by default; `trapping` false (WRUN_AOT_INLINE=safe) keeps to
 * those that cannot. Either way a call that no longer takes stack space
 * cannot exhaust it.
 */
#include <stdlib.h>
#include <string.h>

#include "aot/ir/build.h"
#include "aot/ir/inline.h"
#include "binary/instr.h"

/* Callees looked at while inlining into one caller. */
typedef struct callee {
  uint32_t fidx;
  ir_func *g;                    /* NULL: does not qualify */
  uint32_t *line, nline;         /* the instructions to copy, in order, the return last */
  bool may_trap;                 /* holds a memory access or a division */
} callee;

enum { MAX_CALLEES = 16 };

/* One of the numeric operations of semantics/ops.h (none traps: the
 * trapping truncations are helper operations, HOP). */
static bool is_numeric(ir_op op) {
  switch (op) {
#define X(id, ta, tr, e) case IR_##id:
    SEM_INT_BINOPS(X) SEM_FLOAT_BINOPS(X) SEM_BITS_BINOPS(X) SEM_UNOPS(X)
#undef X
    return true;
  default: return false;
  }
}

static bool live(const ir_func *g, uint32_t u) { return !g->ins[u].dead && g->repl[u] == u; }

/* The straight line of g, or false when g does not qualify. */
static bool straight_line(ir_func *g, callee *c) {
  uint32_t n = 0, work = 0;
  for (uint32_t o = 0; o < g->norder; o++) {
    const ir_block *bl = &g->blocks[g->order[o]];
    if (o > 0 && (bl->npred != 1 || bl->pred[0] != g->order[o - 1])) return false;
    n += bl->nins;
  }
  c->line = ir_alloc(g, ((size_t)n + 1) * sizeof *c->line);
  uint8_t *seen = calloc((size_t)g->nins + 1, 1);
  bool ok = c->line && seen;
  for (uint32_t o = 0; ok && o < g->norder; o++) {
    uint32_t b = g->order[o];
    const ir_block *bl = &g->blocks[b];
    bool last = o + 1 == g->norder;
    for (uint32_t k = 0; ok && k < bl->nins; k++) {
      uint32_t u = bl->ins[k];
      const ir_ins *i = &g->ins[u];
      if (!live(g, u)) continue;
      switch (i->op) {
      case IR_PHI: case IR_CALL: case IR_CALL_HOST: case IR_CALL_INDIRECT: case IR_HOP: case IR_POLL:
      case IR_TRAP: case IR_BR: case IR_SWITCH:
        ok = false;
        continue;
      case IR_JMP:
        ok = !last && bl->succ[0] == g->order[o + 1];
        continue;
      case IR_RET:
        ok = last && i->nargs <= 1;
        break;
      case IR_PARAM: case IR_CONST: break;
      case IR_LOAD: case IR_STORE: case IR_DIV:
        c->may_trap = true;
        ok = ++work <= IR_INLINE_BUDGET;
        break;
      case IR_GLOBAL_GET: case IR_GLOBAL_SET: case IR_SELECT:
        ok = ++work <= IR_INLINE_BUDGET;
        break;
      default: /* the numeric operations; any op added later is not copied until listed here */
        ok = is_numeric((ir_op)i->op) && i->nargs <= 2 && ++work <= IR_INLINE_BUDGET;
        break;
      }
      for (uint32_t a = 0; ok && a < i->nargs; a++) ok = seen[ir_resolve(g, i->args[a])]; /* defined earlier */
      seen[u] = 1;
      if (ok) c->line[c->nline++] = u;
    }
  }
  free(seen);
  return ok && c->nline && g->ins[c->line[c->nline - 1]].op == IR_RET;
}

/* A look at the callee's bytes before building its IR (which costs as much
 * as compiling it): no calls, no branches, loops, ifs or `unreachable`, and
 * few instructions. Straight-line callees pass; most others stop here. */
static bool may_qualify(const wm_module *m, const wm_func *fn) {
  if (fn->code_len > 8 * IR_INLINE_BUDGET) return false;
  wm_reader r = {fn->code, fn->code, fn->code + fn->code_len, NULL};
  uint32_t n = 0;
  while (!reader_eof(&r)) {
    wm_opcode op = wm_read_op(&r);
    if (op == OP_COUNT_ || ++n > 4 * IR_INLINE_BUDGET) return false;
    switch (op) {
    case OP_UNREACHABLE: case OP_LOOP: case OP_IF: case OP_ELSE: case OP_BR: case OP_BR_IF: case OP_BR_TABLE:
    case OP_CALL: case OP_CALL_INDIRECT:
      return false;
    default: break;
    }
    const char *name = wm_opinfos[op].name; /* later call and exception forms */
    if (strstr(name, "call") || strstr(name, "throw") || strstr(name, "try") || strstr(name, "br_on")) return false;
    wm_skip_imm(&r, m, wm_opinfos[op].imm);
  }
  return true;
}

/* The callee record for fidx (built on first use); NULL when it does not qualify. */
static const callee *get_callee(callee *cs, uint32_t *ncs, const wm_module *m, uint32_t fidx, bool interruptible,
                                bool *oom) {
  for (uint32_t k = 0; k < *ncs; k++)
    if (cs[k].fidx == fidx) return cs[k].g ? &cs[k] : NULL;
  if (*ncs == MAX_CALLEES) return NULL;
  callee *c = &cs[(*ncs)++];
  memset(c, 0, sizeof *c);
  c->fidx = fidx;
  if (!may_qualify(m, &m->funcs[fidx])) return NULL;
  char why[64];
  ir_func *g = NULL;
  int st = ir_build(m, fidx, interruptible, &g, why, sizeof why);
  if (st < 0) *oom = true;
  if (st <= 0) return NULL;
  if (!ir_cfg(g)) {
    ir_func_free(g);
    *oom = true;
    return NULL;
  }
  ir_optimize(g);
  if (g->oom) *oom = true;
  if (g->oom || !straight_line(g, c)) {
    ir_func_free(g);
    return NULL;
  }
  c->g = g;
  return c;
}

/* Replaces call v (at position p of block b) by a copy of c's line. */
static void splice(ir_func *f, uint32_t b, uint32_t p, uint32_t v, const callee *c) {
  const ir_func *g = c->g;
  uint32_t *map = malloc(((size_t)g->nins + 1) * sizeof *map);
  uint32_t oldn = f->blocks[b].nins;
  uint32_t *saved = malloc(((size_t)oldn + 1) * sizeof *saved);
  if (!map || !saved) {
    free(map);
    free(saved);
    f->oom = true;
    return;
  }
  memcpy(saved, f->blocks[b].ins, oldn * sizeof *saved);
  uint32_t result = UINT32_MAX;
  /* the copies carry the callee's positions and this call as their inline
   * site, so a trap in them still shows the callee's frame (emit.c) */
  uint32_t saved_woff = f->woff;
  uint16_t saved_inl = f->inl;
  f->inl = ir_inline_site_new(f, f->ins[v].inl, c->fidx, f->ins[v].woff);
  if (!f->inl) f->inl = saved_inl; /* out of sites: positions of the call (never for may_trap callees) */
  for (uint32_t k = 0; k < c->nline && !f->oom; k++) {
    const ir_ins *i = &g->ins[c->line[k]];
    uint32_t args[4];
    if (i->op == IR_PARAM) {
      map[c->line[k]] = ir_resolve(f, f->ins[v].args[i->imm]);
      continue;
    }
    if (i->op == IR_RET) {
      if (i->nargs) result = map[ir_resolve(g, i->args[0])];
      continue;
    }
    for (uint32_t a = 0; a < i->nargs; a++) args[a] = map[ir_resolve(g, i->args[a])];
    f->woff = f->inl != saved_inl ? i->woff : f->ins[v].woff;
    uint32_t nv = ir_emit(f, b, (ir_op)i->op, (ir_type)i->type, args, i->nargs, i->imm); /* appended at the end */
    if (f->oom) break;
    f->ins[nv].wop = i->wop;
    f->ins[nv].aux = i->aux;
    map[c->line[k]] = nv;
  }
  f->woff = saved_woff;
  f->inl = saved_inl;
  if (!f->oom) {
    /* the block: what came before the call, the copies, what came after */
    ir_block *bl = &f->blocks[b];
    uint32_t added = bl->nins - oldn;
    memmove(bl->ins + p, bl->ins + oldn, added * sizeof *bl->ins);
    memcpy(bl->ins + p + added, saved + p + 1, (oldn - p - 1) * sizeof *saved);
    bl->nins = oldn - 1 + added;
    f->ins[v].dead = 1;
    if (f->ins[v].type != IR_VOID && result != UINT32_MAX) f->repl[v] = result;
  }
  free(map);
  free(saved);
}

uint32_t ir_inline_calls(ir_func *f, const wm_module *m, uint32_t fidx, bool interruptible, bool trapping) {
  callee cs[MAX_CALLEES];
  uint32_t ncs = 0, done = 0, grown = 0;
  bool oom = false;
  /* a recursive copy holds calls, which may trap (stack exhaustion): not in
   * the `safe` mode; WRUN_AOT_INLINE_REC=0 turns it off (measurements) */
  const char *rec = getenv("WRUN_AOT_INLINE_REC");
  if (trapping && !(rec && strcmp(rec, "0") == 0)) done += ir_inline_recursion(f, m, fidx, interruptible, trapping);
  if (f->oom) return done;
  for (uint32_t o = 0; o < f->norder && !oom && !f->oom; o++) {
    uint32_t b = f->order[o];
    for (uint32_t k = 0; k < f->blocks[b].nins && !oom && !f->oom; k++) {
      uint32_t v = f->blocks[b].ins[k];
      const ir_ins *i = &f->ins[v];
      if (i->dead || i->op != IR_CALL || i->imm == fidx || i->imm < m->nimported_funcs) continue;
      const callee *c = get_callee(cs, &ncs, m, (uint32_t)i->imm, interruptible, &oom);
      if (!c || (c->may_trap && (!trapping || f->nsites >= UINT16_MAX - 2)) || grown + c->nline > IR_INLINE_GROWTH)
        continue;
      if ((f->ins[v].type == IR_VOID) != (c->g->ins[c->line[c->nline - 1]].nargs == 0)) continue;
      uint32_t before = f->blocks[b].nins;
      splice(f, b, k, v, c);
      if (f->oom) break;
      uint32_t added = f->blocks[b].nins + 1 - before;
      grown += added;
      k = k + added - 1; /* past the copies (they hold no calls); unsigned wrap-around when none */
      done++;
    }
  }
  for (uint32_t k = 0; k < ncs; k++) ir_func_free(cs[k].g);
  if (oom) f->oom = true;
  if (done) ir_canonicalize(f);
  return done;
}
