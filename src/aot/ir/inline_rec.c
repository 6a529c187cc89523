/*
 * inline_rec.c — one level of a small recursive function inlined into
 * itself (docs/aot-ir.md, "Inlining").
 *
 * A direct call of a function to itself (fib, a tree walk, ackermann) is
 * replaced by a copy of the function's whole optimized IR, control flow
 * included: the calling block is split at the call, the copy's entry
 * follows the first half, every `return` of the copy jumps to the second
 * half, whose phi receives the returned values. The copy's own recursive
 * calls stay calls, so each call now does two levels of the recursion's
 * work: the calls, their frames and stack checks are halved, and the
 * base case of the inner level (`n < 2`, `m == 0`, a null node) is a
 * branch instead of a call. clang does the same to such functions
 * natively.
 *
 * The function qualifies when its optimized IR has at most
 * IR_INLINE_REC_BUDGET instructions besides parameters and constants, at
 * most IR_INLINE_REC_SITES calls of itself, at most one result, and an
 * entry block nothing branches back to. As in inline.c, the copies carry
 * the callee's positions and an inline site, so a trap or a call inside the
 * copy still shows the inner frame in a backtrace (codemap.h); callees that
 * may trap are inlined only when `trapping` allows it (inline.c does not
 * call this at all in the `safe` mode: the copy holds calls).
 */
#include <stdlib.h>
#include <string.h>

#include "aot/ir/build.h"
#include "aot/ir/inline.h"

static bool live(const ir_func *g, uint32_t u) { return !g->ins[u].dead && g->repl[u] == u; }

/* Does the result of a self-call flow (through arithmetic and phis) into
 * an argument of a self-call, as in ackermann's ack(m - 1, ack(m, n - 1))?
 * Such calls wait on each other's results; copying one level in made
 * ackermann 50% slower (720 to 1103 ms of CPU, min of 5 interleaved runs,
 * with 16% fewer instructions executed), so these are left alone. */
static bool result_feeds_call(const ir_func *g, uint32_t fidx) {
  uint8_t *from = calloc((size_t)g->nins + 1, 1);
  if (!from) return true;
  bool changed = true, feeds = false;
  while (changed && !feeds) {
    changed = false;
    for (uint32_t u = 0; u < g->nins && !feeds; u++) {
      const ir_ins *i = &g->ins[u];
      if (!live(g, u) || g->blocks[i->block].rpo == UINT32_MAX) continue;
      bool self = i->op == IR_CALL && i->imm == fidx, in = false;
      for (uint32_t a = 0; a < i->nargs && !in; a++) in = from[ir_resolve(g, i->args[a])];
      if (self && in) feeds = true;
      if ((self || in) && !from[u]) {
        from[u] = 1;
        changed = true;
      }
    }
  }
  free(from);
  return feeds;
}

/* Does g's optimized IR qualify for being copied into itself? */
static bool qualifies(const ir_func *g, uint32_t fidx, bool trapping) {
  if (g->nresults > 1 || g->norder == 0 || g->blocks[0].npred != 0) return false;
  uint32_t work = 0, self = 0;
  for (uint32_t o = 0; o < g->norder; o++) {
    const ir_block *bl = &g->blocks[g->order[o]];
    for (uint32_t k = 0; k < bl->nins; k++) {
      uint32_t u = bl->ins[k];
      const ir_ins *i = &g->ins[u];
      if (!live(g, u)) continue;
      switch (i->op) {
      case IR_PARAM: case IR_CONST: continue;
      case IR_ENTRY: case IR_OSR_ENTRY: case IR_OSR_LOAD: return false;
      case IR_RET:
        if (i->nargs > 1) return false;
        break;
      case IR_CALL:
        if (i->imm == fidx) self++;
        break;
      case IR_LOAD: case IR_STORE: case IR_DIV:
        if (!trapping) return false;
        break;
      default: break;
      }
      if (++work > IR_INLINE_REC_BUDGET || self > IR_INLINE_REC_SITES) return false;
      for (uint32_t a = 0; a < i->nargs; a++) { /* every argument is a live value of a reachable block */
        uint32_t x = ir_resolve(g, i->args[a]);
        if (g->ins[x].dead || g->blocks[g->ins[x].block].rpo == UINT32_MAX) return false;
      }
    }
  }
  return self > 0 && !result_feeds_call(g, fidx);
}

/* A copy of array a of n entries in f's arena, each mapped through map. */
static uint32_t *mapped(ir_func *f, const uint32_t *a, uint32_t n, const uint32_t *map) {
  uint32_t *p = ir_alloc(f, ((size_t)n + 1) * sizeof *p);
  if (p)
    for (uint32_t k = 0; k < n; k++) p[k] = map[a[k]];
  return p;
}

/* Replaces call v (position p of block b of f) by a copy of g. The call's
 * inline site is made by the caller (site). */
static void clone_call(ir_func *f, uint32_t b, uint32_t p, uint32_t v, const ir_func *g, uint16_t site) {
  uint32_t *bmap = malloc(((size_t)g->nblocks + 1) * sizeof *bmap);
  uint32_t *vmap = malloc(((size_t)g->nins + 1) * sizeof *vmap);
  uint32_t *rets = malloc(((size_t)g->norder + 1) * sizeof *rets), *retv = malloc(((size_t)g->norder + 1) * sizeof *retv);
  if (!bmap || !vmap || !rets || !retv) {
    f->oom = true;
    goto out;
  }
  uint32_t nret = 0, first_new = f->nins;
  for (uint32_t k = 0; k < g->nblocks; k++) bmap[k] = UINT32_MAX;
  for (uint32_t k = 0; k < g->nins; k++) vmap[k] = UINT32_MAX;
  for (uint32_t o = 0; o < g->norder && !f->oom; o++) bmap[g->order[o]] = ir_block_new(f);
  uint32_t cont = ir_block_new(f);
  if (f->oom) goto out;
  uint32_t saved_woff = f->woff;
  uint16_t saved_inl = f->inl;
  f->inl = site;
  /* the instructions, block by block (phis first, as in g); arguments still g's */
  for (uint32_t o = 0; o < g->norder && !f->oom; o++) {
    uint32_t cb = g->order[o], nb = bmap[cb];
    const ir_block *gb = &g->blocks[cb];
    for (uint32_t k = 0; k < gb->nins && !f->oom; k++) {
      uint32_t u = gb->ins[k];
      const ir_ins *i = &g->ins[u];
      if (!live(g, u)) continue;
      f->woff = i->woff;
      if (i->op == IR_PARAM) {
        vmap[u] = ir_resolve(f, f->ins[v].args[i->imm]);
        continue;
      }
      if (i->op == IR_RET) { /* becomes a jump to the code after the call */
        rets[nret] = nb;
        retv[nret++] = i->nargs ? i->args[0] : UINT32_MAX;
        ir_emit(f, nb, IR_JMP, IR_VOID, NULL, 0, 0);
        continue;
      }
      uint32_t nv = ir_emit(f, nb, (ir_op)i->op, (ir_type)i->type, i->args, i->nargs, i->imm);
      if (f->oom) break;
      f->ins[nv].wop = i->wop;
      f->ins[nv].aux = i->aux;
      vmap[u] = nv;
    }
  }
  f->woff = saved_woff;
  f->inl = saved_inl;
  if (f->oom) goto out;
  for (uint32_t nv = first_new; nv < f->nins; nv++) { /* arguments into f's values */
    ir_ins *i = &f->ins[nv];
    for (uint32_t a = 0; a < i->nargs; a++) i->args[a] = vmap[ir_resolve(g, i->args[a])];
  }
  /* the copy's edges, in g's order (phi arguments follow the predecessors) */
  for (uint32_t o = 0; o < g->norder && !f->oom; o++) {
    uint32_t cb = g->order[o];
    const ir_block *gb = &g->blocks[cb];
    ir_block *nb = &f->blocks[bmap[cb]];
    nb->sealed = true;
    bool ret = gb->nsucc == 0 && nb->nins && f->ins[nb->ins[nb->nins - 1]].op == IR_JMP;
    if (ret) {
      nb->succ = ir_alloc(f, sizeof *nb->succ);
      if (nb->succ) nb->succ[0] = cont;
      nb->nsucc = 1;
    } else {
      nb->succ = mapped(f, gb->succ, gb->nsucc, bmap);
      nb->nsucc = gb->nsucc;
    }
    if (cb == 0) { /* entered from the first half of b only (g's entry has no predecessor) */
      nb->pred = ir_alloc(f, sizeof *nb->pred);
      if (nb->pred) nb->pred[0] = b;
      nb->npred = nb->cappred = 1;
    } else {
      nb->pred = mapped(f, gb->pred, gb->npred, bmap);
      nb->npred = nb->cappred = gb->npred;
    }
    if (!nb->succ || !nb->pred) f->oom = true;
  }
  if (f->oom) goto out;
  /* the second half of b: a phi of the returned values, then what followed the call */
  ir_block *cb = &f->blocks[cont];
  cb->sealed = true;
  cb->pred = ir_alloc(f, ((size_t)nret + 1) * sizeof *cb->pred);
  if (!cb->pred) goto out;
  memcpy(cb->pred, rets, nret * sizeof *rets);
  cb->npred = cb->cappred = nret;
  uint32_t result = UINT32_MAX;
  if (f->ins[v].type != IR_VOID && nret) {
    f->inl = saved_inl;
    f->woff = f->ins[v].woff;
    result = ir_emit(f, cont, IR_PHI, (ir_type)f->ins[v].type, NULL, nret, 0);
    if (f->oom) goto out;
    for (uint32_t k = 0; k < nret; k++) f->ins[result].args[k] = vmap[ir_resolve(g, retv[k])];
    f->woff = saved_woff;
  }
  ir_block *bb = &f->blocks[b];
  uint32_t tail = bb->nins - p - 1;
  if (!ir_block_reserve(f, cont, f->blocks[cont].nins + tail)) goto out;
  bb = &f->blocks[b];
  cb = &f->blocks[cont];
  for (uint32_t k = 0; k < tail; k++) {
    uint32_t u = bb->ins[p + 1 + k];
    cb->ins[cb->nins++] = u;
    f->ins[u].block = cont;
  }
  cb->succ = bb->succ;
  cb->nsucc = bb->nsucc;
  for (uint32_t s = 0; s < cb->nsucc; s++) { /* b's successors now come from cont */
    ir_block *sb = &f->blocks[cb->succ[s]];
    for (uint32_t q = 0; q < sb->npred; q++)
      if (sb->pred[q] == b) sb->pred[q] = cont;
  }
  bb->nins = p;
  f->woff = f->ins[v].woff;
  f->inl = f->ins[v].inl;
  ir_emit(f, b, IR_JMP, IR_VOID, NULL, 0, 0);
  f->woff = saved_woff;
  f->inl = saved_inl;
  bb = &f->blocks[b];
  bb->succ = ir_alloc(f, sizeof *bb->succ);
  if (!bb->succ) goto out;
  bb->succ[0] = bmap[0];
  bb->nsucc = 1;
  f->ins[v].dead = 1;
  if (result != UINT32_MAX) f->repl[v] = result;
out:
  free(bmap);
  free(vmap);
  free(rets);
  free(retv);
}

uint32_t ir_inline_recursion(ir_func *f, const wm_module *m, uint32_t fidx, bool interruptible, bool trapping) {
  uint32_t sites[IR_INLINE_REC_SITES], nsites = 0;
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 0; k < bl->nins; k++) {
      const ir_ins *i = &f->ins[bl->ins[k]];
      if (i->dead || i->op != IR_CALL || i->imm != fidx) continue;
      if (nsites == IR_INLINE_REC_SITES) return 0;
      sites[nsites++] = bl->ins[k];
    }
  }
  if (!nsites || f->nsites + nsites >= UINT16_MAX - 2) return 0;
  char why[64];
  ir_func *g = NULL;
  int st = ir_build(m, fidx, interruptible, &g, why, sizeof why);
  if (st < 0) f->oom = true;
  if (st <= 0) return 0;
  uint32_t done = 0;
  if (!ir_cfg(g)) {
    f->oom = true;
    goto out;
  }
  ir_optimize(g);
  if (g->oom) {
    f->oom = true;
    goto out;
  }
  if (!qualifies(g, fidx, trapping)) goto out;
  for (uint32_t s = 0; s < nsites && !f->oom; s++) {
    uint32_t v = sites[s], b = f->ins[v].block, p = 0;
    while (p < f->blocks[b].nins && f->blocks[b].ins[p] != v) p++;
    if (p == f->blocks[b].nins) continue;
    uint16_t site = ir_inline_site_new(f, f->ins[v].inl, fidx, f->ins[v].woff);
    if (!site) break;
    clone_call(f, b, p, v, g, site);
    done++;
  }
  if (done && !f->oom) {
    ir_canonicalize(f);
    ir_cfg(f);
  }
out:
  ir_func_free(g);
  return done;
}
