/*
 * ra.c — register allocation over SSA values for the optimizing pipeline:
 * liveness by backward dataflow on the blocks (bit sets of values), one
 * conservative interval per value in block order (from its first to its
 * last live point, covering whole blocks it is live into or out of, so a
 * value live around a loop covers the loop), then linear scan per register
 * class; when no register is free the interval ending last is spilled to
 * its own frame slot for its whole life. Constants get no location: the
 * backend rematerializes them where used. Only the first argument of an
 * instruction may share a register with its result (when it dies there:
 * the two-address hint); any other argument dying at the instruction does
 * not (intervals end inclusively), so backends must read the other
 * arguments before writing the result, and nothing more.
 */
#include <stdlib.h>
#include <string.h>

#include "aot/ir/isa.h"

/* Values and blocks beyond which the analysis is not attempted. */
#define RA_MAX_BITS (64u << 23) /* 64 MiB of live-in sets */

static bool needs_loc(const ir_ins *i) { return !i->dead && i->type != IR_VOID && i->op != IR_CONST; }

typedef struct ival { uint32_t v, start, end; } ival;

static int by_start(const void *a, const void *b) {
  const ival *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start ? 1 : (x->v < y->v ? -1 : 1);
}

void ir_ra_free(ir_ra *ra) {
  free(ra->reg);
  free(ra->slot);
  memset(ra, 0, sizeof *ra);
}

bool ir_regalloc(const ir_func *f, const aot_isa *isa, ir_ra *out) {
  memset(out, 0, sizeof *out);
  uint32_t nv = f->nins, nb = f->nblocks, words = (nv + 63) / 64;
  if ((uint64_t)words * 64 * nb > RA_MAX_BITS) return false;
  uint64_t *live_in = calloc((size_t)words * nb + 1, 8), *cur = calloc((size_t)words + 1, 8);
  uint32_t *start = malloc(((size_t)nv + 1) * 4), *end = malloc(((size_t)nv + 1) * 4);
  uint32_t *bstart = malloc(((size_t)nb + 1) * 4), *bend = malloc(((size_t)nb + 1) * 4);
  ival *iv = malloc(((size_t)nv + 1) * sizeof *iv);
  uint32_t *active = malloc(((size_t)nv + 1) * 4);
  out->reg = malloc((size_t)nv + 1);
  out->slot = malloc(((size_t)nv + 1) * 4);
  bool ok = false;
  if (!live_in || !cur || !start || !end || !bstart || !bend || !iv || !active || !out->reg || !out->slot) goto done;
  /* positions: a block's start, then 2 per instruction, then its end */
  uint32_t pos = 0;
  for (uint32_t o = 0; o < f->norder; o++) {
    uint32_t b = f->order[o];
    bstart[b] = pos;
    pos += 2 + 2 * f->blocks[b].nins;
    bend[b] = pos++;
  }
#define SET(set, v) ((set)[(v) / 64] |= 1ull << ((v) % 64))
#define CLR(set, v) ((set)[(v) / 64] &= ~(1ull << ((v) % 64)))
  /* live-out of b into cur: successors' live-in minus their phis, plus the phi arguments from b */
#define LIVE_OUT(b)                                                                                \
  do {                                                                                             \
    memset(cur, 0, (size_t)words * 8);                                                             \
    const ir_block *bl_ = &f->blocks[b];                                                           \
    for (uint32_t s_ = 0; s_ < bl_->nsucc; s_++) {                                                 \
      uint32_t t_ = bl_->succ[s_];                                                                 \
      const ir_block *tb_ = &f->blocks[t_];                                                        \
      for (uint32_t w_ = 0; w_ < words; w_++) cur[w_] |= live_in[(size_t)t_ * words + w_];         \
      for (uint32_t k_ = 0; k_ < tb_->nins; k_++) {                                                \
        const ir_ins *p_ = &f->ins[tb_->ins[k_]];                                                  \
        if (p_->op != IR_PHI) break;                                                               \
        if (p_->dead) continue;                                                                    \
        CLR(cur, tb_->ins[k_]);                                                                    \
      }                                                                                            \
      for (uint32_t k_ = 0; k_ < tb_->nins; k_++) {                                                \
        const ir_ins *p_ = &f->ins[tb_->ins[k_]];                                                  \
        if (p_->op != IR_PHI) break;                                                               \
        if (p_->dead) continue;                                                                    \
        for (uint32_t q_ = 0; q_ < tb_->npred; q_++)                                               \
          if (tb_->pred[q_] == (b) && needs_loc(&f->ins[p_->args[q_]])) SET(cur, p_->args[q_]);    \
      }                                                                                            \
    }                                                                                              \
  } while (0)
  bool changed = true;
  while (changed) {
    changed = false;
    for (uint32_t o = f->norder; o-- > 0;) {
      uint32_t b = f->order[o];
      const ir_block *bl = &f->blocks[b];
      LIVE_OUT(b);
      for (uint32_t k = bl->nins; k-- > 0;) {
        uint32_t v = bl->ins[k];
        const ir_ins *i = &f->ins[v];
        if (i->dead) continue;
        CLR(cur, v);
        if (i->op == IR_PHI) continue;
        for (uint32_t a = 0; a < i->nargs; a++)
          if (needs_loc(&f->ins[i->args[a]])) SET(cur, i->args[a]);
      }
      uint64_t *in = &live_in[(size_t)b * words];
      for (uint32_t w = 0; w < words; w++)
        if ((in[w] | cur[w]) != in[w]) {
          in[w] |= cur[w];
          changed = true;
        }
    }
  }
  /* intervals */
  for (uint32_t v = 0; v < nv; v++) {
    start[v] = UINT32_MAX;
    end[v] = 0;
  }
#define TOUCH(v, p)                                                                                \
  do {                                                                                             \
    if ((p) < start[v]) start[v] = (p);                                                            \
    if ((p) > end[v]) end[v] = (p);                                                                \
  } while (0)
  for (uint32_t o = 0; o < f->norder; o++) {
    uint32_t b = f->order[o];
    const ir_block *bl = &f->blocks[b];
    const uint64_t *in = &live_in[(size_t)b * words];
    for (uint32_t w = 0; w < words; w++) /* the set bits only */
      for (uint64_t bits = in[w]; bits; bits &= bits - 1) {
        uint32_t v = w * 64 + (uint32_t)__builtin_ctzll(bits);
        TOUCH(v, bstart[b]);
      }
    LIVE_OUT(b);
    for (uint32_t w = 0; w < words; w++)
      for (uint64_t bits = cur[w]; bits; bits &= bits - 1) {
        uint32_t v = w * 64 + (uint32_t)__builtin_ctzll(bits);
        TOUCH(v, bend[b]);
      }
    for (uint32_t k = 0; k < bl->nins; k++) {
      uint32_t v = bl->ins[k];
      const ir_ins *i = &f->ins[v];
      if (i->dead) continue;
      uint32_t p = i->op == IR_PHI ? bstart[b] : bstart[b] + 1 + 2 * k;
      if (needs_loc(i)) TOUCH(v, p);
      if (i->op == IR_PHI) continue;
      for (uint32_t a = 0; a < i->nargs; a++)
        if (needs_loc(&f->ins[i->args[a]])) TOUCH(i->args[a], p);
    }
  }
  uint32_t n = 0;
  for (uint32_t v = 0; v < nv; v++) {
    out->reg[v] = -1;
    out->slot[v] = -1;
    if (needs_loc(&f->ins[v]) && start[v] != UINT32_MAX) iv[n++] = (ival){v, start[v], end[v]};
  }
  qsort(iv, n, sizeof *iv, by_start);
  /* linear scan, per class (vectors with floats when they share registers) */
  for (int cl = 0; cl < IR_NCLASS; cl++) {
    if (cl == IR_CL_V && isa->vec_in_float_regs) continue;
    uint32_t nact = 0, freeset = 0;
    for (uint32_t k = 0; k < isa->nalloc[cl]; k++) freeset |= 1u << isa->alloc[cl][k];
    for (uint32_t k = 0; k < n; k++) {
      uint32_t v = iv[k].v;
      int vcl = ir_cls(f->ins[v].type);
      if ((vcl == IR_CL_V && isa->vec_in_float_regs ? IR_CL_F : vcl) != cl) continue;
      /* expire intervals that ended before this one starts */
      uint32_t keep = 0;
      for (uint32_t a = 0; a < nact; a++) {
        uint32_t w = active[a];
        if (end[w] < iv[k].start) freeset |= 1u << out->reg[w];
        else active[keep++] = w;
      }
      nact = keep;
      int r = -1;
      /* two-address hint: the result may take the register of its first
       * argument when that argument dies right here (backends read every
       * other argument before writing the result, and the first one may be
       * the result's register) */
      const ir_ins *di = &f->ins[v];
      if (di->op != IR_PHI && di->nargs) {
        uint32_t a0 = di->args[0];
        for (uint32_t a = 0; a < nact && r < 0; a++)
          if (active[a] == a0 && end[a0] == iv[k].start) {
            bool other_use = false; /* another argument in the same register would be clobbered */
            for (uint32_t j = 1; j < di->nargs; j++) other_use |= di->args[j] != a0 && out->reg[di->args[j]] == out->reg[a0];
            if (other_use) break;
            r = out->reg[a0];
            active[a] = active[--nact];
          }
      }
      for (uint32_t q = 0; r < 0 && q < isa->nalloc[cl]; q++)
        if (freeset & (1u << isa->alloc[cl][q])) {
          r = isa->alloc[cl][q];
          break;
        }
      if (r < 0) { /* spill whichever of the active ones and this lives longest */
        uint32_t far = UINT32_MAX;
        for (uint32_t a = 0; a < nact; a++)
          if (far == UINT32_MAX || end[active[a]] > end[active[far]]) far = a;
        if (far != UINT32_MAX && end[active[far]] > end[v]) {
          uint32_t w = active[far];
          r = out->reg[w];
          out->reg[w] = -1;
          out->slot[w] = (int32_t)out->nslots;
          out->nslots += ir_cls(f->ins[w].type) == IR_CL_V ? 2 : 1;
          active[far] = active[--nact];
        } else {
          out->slot[v] = (int32_t)out->nslots;
          out->nslots += vcl == IR_CL_V ? 2 : 1;
          continue;
        }
      }
      freeset &= ~(1u << r);
      out->reg[v] = (int8_t)r;
      out->used[vcl] |= 1u << r;
      active[nact++] = v;
    }
  }
  ok = true;
done:
  free(live_in);
  free(cur);
  free(start);
  free(end);
  free(bstart);
  free(bend);
  free(iv);
  free(active);
  if (!ok) ir_ra_free(out);
  return ok;
}
