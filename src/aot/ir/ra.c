/*
 * ra.c — register allocation over SSA values for the optimizing pipeline:
 * liveness by path exploration over SSA form (from each use back to the
 * definition, so the cost is the size of the live sets, not blocks x
 * values), one conservative interval per value in block order (from its
 * first to its last live point, covering whole blocks it is live into or
 * out of, so a value live around a loop covers the loop), then linear scan
 * per register class, with hints that let a phi share a register with the
 * values flowing into it; when no register is free, the value with the
 * lowest spill_cost (uses weighted by a static estimate of how often their
 * block runs, over the square root of the interval's length) among the
 * live ones is spilled to its own frame slot for its whole life, so a value
 * only passing around a loop goes to memory before one used inside it.
 * Constants get no location: the
 * backend rematerializes them where used. Only the first argument of an
 * instruction may share a register with its result (when it dies there:
 * the two-address hint); any other argument dying at the instruction does
 * not (intervals end inclusively), so backends must read the other
 * arguments before writing the result, and nothing more.
 */
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "aot/ir/isa.h"

/* The most block visits liveness makes in one function (about a second of
 * work) before the function is left to the one-pass compiler. */
#define RA_MAX_WORK (UINT64_C(1) << 28)

static bool needs_loc(const ir_ins *i) { return !i->dead && i->type != IR_VOID && i->op != IR_CONST; }

typedef struct ival { uint32_t v, start, end; } ival;

/* The live ranges of every value: first[v]..first[v+1] index r[], sorted,
 * disjoint and not adjacent ([lo, hi] inclusive positions); the interval
 * (start, end) is their hull. The gaps are lifetime holes: another value
 * may hold the register there, so a value dead along a path laid out in
 * the middle of its hull (a case of a switch, a loop it only passes by in
 * layout) does not block its register there. */
typedef struct range { uint32_t lo, hi; } range;
typedef struct ranges {
  uint32_t *first;
  range *r;
  uint32_t n, cap;
} ranges;

static int by_lo(const void *a, const void *b) {
  const range *x = a, *y = b;
  return x->lo < y->lo ? -1 : x->lo > y->lo;
}

/* Appends v's segments (seg[0..n), unsorted, overlapping) to R as sorted,
 * merged ranges. False when out of memory. */
static bool add_ranges(ranges *R, range *seg, uint32_t n) {
  if (n > 16) qsort(seg, n, sizeof *seg, by_lo);
  else
    for (uint32_t k = 1; k < n; k++)
      for (uint32_t j = k; j > 0 && seg[j - 1].lo > seg[j].lo; j--) {
        range t = seg[j];
        seg[j] = seg[j - 1];
        seg[j - 1] = t;
      }
  for (uint32_t k = 0; k < n; k++) {
    if (R->n && k && seg[k].lo <= R->r[R->n - 1].hi + 1) {
      if (seg[k].hi > R->r[R->n - 1].hi) R->r[R->n - 1].hi = seg[k].hi;
      continue;
    }
    if (R->n == R->cap) {
      uint32_t nc = R->cap ? 2 * R->cap : 256;
      range *q = realloc(R->r, (size_t)nc * sizeof *q);
      if (!q) return false;
      R->r = q;
      R->cap = nc;
    }
    R->r[R->n++] = seg[k];
  }
  return true;
}

static int by_start(const void *a, const void *b) {
  const ival *x = a, *y = b;
  return x->start < y->start ? -1 : x->start > y->start ? 1 : (x->v < y->v ? -1 : 1);
}

void ir_ra_free(ir_ra *ra) {
  free(ra->reg);
  free(ra->slot);
  memset(ra, 0, sizeof *ra);
}

/* One use of a value: the point it is read at, and the block the value
 * must be live into for it (UINT32_MAX: the defining block itself). */
typedef struct ause { uint32_t point, block; } ause;

/* The weight of a use at loop depth d: 8^d (capped), so a spill choice
 * counts a use in an inner loop as many uses outside. */
static double depth_weight(uint32_t d) { return (double)(1u << (3 * (d < 7 ? d : 7))); }

/* A static estimate of how often each block runs, relative to the entry:
 * a loop head 8^depth, any other block the sum of what its forward
 * predecessors pass on (their estimate split evenly between their
 * successors), at most 8^depth; so a case of a 64-way switch inside a loop
 * counts 1/64 of the loop's head. Blocks are visited in layout order,
 * which is a topological order of the forward edges (back edges come from
 * blocks not visited yet and pass nothing). */
static void block_freq(const ir_func *f, double *freq) {
  for (uint32_t b = 0; b < f->nblocks; b++) freq[b] = -1;
  for (uint32_t o = 0; o < f->norder; o++) {
    uint32_t b = f->order[o];
    const ir_block *bl = &f->blocks[b];
    double cap = depth_weight(bl->loop_depth), in = o == 0 ? 1 : 0;
    for (uint32_t q = 0; q < bl->npred; q++) {
      uint32_t p = bl->pred[q];
      if (freq[p] >= 0 && f->blocks[p].nsucc) in += freq[p] / f->blocks[p].nsucc;
    }
    freq[b] = bl->loop_head || in > cap ? cap : in;
    if (freq[b] < 1e-6) freq[b] = 1e-6;
  }
}

/* The live intervals (start, end) of every value, by path exploration over
 * SSA form: from each use, walk the predecessors backwards until the
 * defining block, stretching the value's interval over the start of every
 * block it is live into and the end of every block it is live out of.
 * Each block is entered at most once per value (a stamp), so the work is
 * the total size of the live sets, not blocks x values (false beyond
 * RA_MAX_WORK block visits, or out of memory). Also sums each
 * value's use weights (block_freq) into weight. */
static bool live_intervals(const ir_func *f, const uint32_t *bstart, const uint32_t *bend, const double *freq,
                           uint32_t *start, uint32_t *end, double *weight, ranges *R) {
  uint32_t nv = f->nins, nb = f->nblocks;
  uint32_t *defb = malloc(((size_t)nv + 1) * 4), *first = calloc((size_t)nv + 2, 4);
  uint32_t *stamp = calloc((size_t)nb + 1, 4), *stack = malloc(((size_t)nb + 1) * 4);
  uint32_t *defpt = malloc(((size_t)nv + 1) * 4);
  ause *uses = NULL;
  range *seg = NULL; /* one value's segments before sorting and merging */
  uint32_t nseg = 0, capseg = 0;
  bool ok = false;
  if (!defb || !first || !stamp || !stack || !defpt) goto done;
  for (uint32_t v = 0; v < nv; v++) {
    defb[v] = UINT32_MAX;
    start[v] = UINT32_MAX;
    end[v] = 0;
    weight[v] = 0;
  }
#define TOUCH(v, p)                                                                                \
  do {                                                                                             \
    if ((p) < start[v]) start[v] = (p);                                                            \
    if ((p) > end[v]) end[v] = (p);                                                                \
  } while (0)
  /* definitions; count the uses (CSR: first[v+1] counts v's uses) */
  for (uint32_t o = 0; o < f->norder; o++) {
    uint32_t b = f->order[o];
    const ir_block *bl = &f->blocks[b];
    double w = freq[b];
    for (uint32_t k = 0; k < bl->nins; k++) {
      uint32_t v = bl->ins[k];
      const ir_ins *i = &f->ins[v];
      if (i->dead) continue;
      defb[v] = b;
      if (needs_loc(i)) {
        defpt[v] = i->op == IR_PHI ? bstart[b] : bstart[b] + 1 + 2 * k;
        TOUCH(v, defpt[v]);
        weight[v] += w;
      }
      for (uint32_t a = 0; a < i->nargs; a++)
        if (needs_loc(&f->ins[i->args[a]])) first[i->args[a] + 1]++;
    }
  }
  for (uint32_t v = 0; v < nv; v++) first[v + 1] += first[v];
  uses = malloc(((size_t)first[nv] + 1) * sizeof *uses);
  if (!uses) goto done;
  for (uint32_t o = 0; o < f->norder; o++) {
    uint32_t b = f->order[o];
    const ir_block *bl = &f->blocks[b];
    double w = freq[b];
    for (uint32_t k = 0; k < bl->nins; k++) {
      const ir_ins *i = &f->ins[bl->ins[k]];
      if (i->dead) continue;
      for (uint32_t a = 0; a < i->nargs; a++) {
        uint32_t u = i->args[a];
        if (!needs_loc(&f->ins[u])) continue;
        ause x;
        if (i->op == IR_PHI) { /* read at the end of the matching predecessor */
          uint32_t p = bl->pred[a];
          x = (ause){bend[p], p};
          weight[u] += freq[p];
        } else {
          x = (ause){bstart[b] + 1 + 2 * k, b};
          weight[u] += w;
        }
        uses[first[u]++] = x; /* first[u] now walks to the start of u+1's uses */
      }
    }
  }
  for (uint32_t v = nv; v > 0; v--) first[v] = first[v - 1]; /* back to the starts */
  first[0] = 0;
  uint64_t work = 0; /* block visits: bounded, so a pathological function goes to the one-pass compiler */
  /* v's segments: its definition point; from each use back to the start of
   * the use's block (or to the definition, in the defining block); each
   * block it is live out of, from its start (or the definition) to its end */
#define SEG(l, h)                                                                                  \
  do {                                                                                             \
    if (nseg == capseg) {                                                                          \
      uint32_t nc_ = capseg ? 2 * capseg : 64;                                                     \
      range *q_ = realloc(seg, (size_t)nc_ * sizeof *q_);                                          \
      if (!q_) goto done;                                                                          \
      seg = q_;                                                                                    \
      capseg = nc_;                                                                                \
    }                                                                                              \
    seg[nseg++] = (range){(l), (h)};                                                               \
  } while (0)
  for (uint32_t v = 0; v < nv; v++) {
    R->first[v] = R->n;
    if (defb[v] == UINT32_MAX || !needs_loc(&f->ins[v])) continue;
    nseg = 0;
    SEG(defpt[v], defpt[v]);
    for (uint32_t k = first[v]; k < first[v + 1]; k++) {
      TOUCH(v, uses[k].point);
      uint32_t b = uses[k].block, n = 0;
      SEG(b == defb[v] ? defpt[v] : bstart[b], uses[k].point);
      if (b == defb[v] || stamp[b] == v + 1) continue;
      stamp[b] = v + 1;
      stack[n++] = b;
      while (n) { /* b: v is live into it */
        const ir_block *bl = &f->blocks[stack[--n]];
        work += 1 + bl->npred;
        if (work > RA_MAX_WORK) goto done;
        TOUCH(v, bstart[stack[n]]);
        for (uint32_t q = 0; q < bl->npred; q++) {
          uint32_t p = bl->pred[q];
          TOUCH(v, bend[p]);
          SEG(p == defb[v] ? defpt[v] : bstart[p], bend[p]); /* live out of p */
          if (p == defb[v] || stamp[p] == v + 1) continue;
          stamp[p] = v + 1;
          stack[n++] = p;
        }
      }
    }
    if (!add_ranges(R, seg, nseg)) goto done;
  }
  R->first[nv] = R->n;
#undef SEG
#undef TOUCH
  ok = true;
done:
  free(defb);
  free(first);
  free(stamp);
  free(stack);
  free(uses);
  free(defpt);
  free(seg);
  return ok;
}

/* Do w's ranges meet v's? v's start at `now`, which only grows during a
 * scan, so cur[w] skips w's ranges that ended before it for good. Past
 * the work budget the answer is yes (the hull's answer: safe). */
static bool overlaps(const ranges *R, uint32_t *cur, uint32_t w, uint32_t v, uint32_t now, uint64_t *work,
                     uint64_t budget) {
  uint32_t i = cur[w], j = R->first[v], ie = R->first[w + 1], je = R->first[v + 1];
  while (i < ie && R->r[i].hi < now) i++;
  cur[w] = i;
  while (i < ie && j < je) {
    if (++*work > budget) return true;
    if (R->r[i].hi < R->r[j].lo) i++;
    else if (R->r[j].hi < R->r[i].lo) j++;
    else return true;
  }
  return false;
}

/* The price of spilling v (for its whole life) to free its register from
 * point `now` on: its estimated use count over the square root of what is
 * left of its interval. Dividing by the length alone spills the long-lived
 * values a dispatch loop reads every turn (brdispatch), not dividing spills
 * many short temporaries one after another (sha256); measuring what is left
 * rather than the whole length keeps a value about to die in its register.
 * Chosen by measurement over bench/ (2026-11-29). */
static double spill_cost(const double *weight, const uint32_t *end, uint32_t v, uint32_t now) {
  return weight[v] / sqrt((double)(end[v] - now + 1));
}

bool ir_regalloc(const ir_func *f, const aot_isa *isa, ir_ra *out) {
  memset(out, 0, sizeof *out);
  uint32_t nv = f->nins, nb = f->nblocks;
  uint32_t *start = malloc(((size_t)nv + 1) * 4), *end = malloc(((size_t)nv + 1) * 4);
  uint32_t *bstart = malloc(((size_t)nb + 1) * 4), *bend = malloc(((size_t)nb + 1) * 4);
  double *weight = malloc(((size_t)nv + 1) * sizeof *weight), *freq = malloc(((size_t)nb + 1) * sizeof *freq);
  ival *iv = malloc(((size_t)nv + 1) * sizeof *iv);
  uint32_t *active = malloc(((size_t)nv + 1) * 4), *phi_of = malloc(((size_t)nv + 1) * 4);
  uint32_t *cur = malloc(((size_t)nv + 1) * 4), *dmark = calloc((size_t)nv + 1, 4);
  uint8_t *meets = malloc((size_t)nv + 1); /* per active entry: does it meet the value being placed? */
  ranges R = {malloc(((size_t)nv + 1) * 4), NULL, 0, 0};
  out->reg = malloc((size_t)nv + 1);
  out->slot = malloc(((size_t)nv + 1) * 4);
  bool ok = false;
  if (!start || !end || !bstart || !bend || !weight || !freq || !iv || !active || !phi_of || !cur || !dmark || !meets ||
      !R.first || !out->reg || !out->slot)
    goto done;
  /* positions: a block's start, then 2 per instruction, then its end */
  uint32_t pos = 0;
  for (uint32_t b = 0; b < nb; b++) bstart[b] = bend[b] = 0;
  for (uint32_t o = 0; o < f->norder; o++) {
    uint32_t b = f->order[o];
    bstart[b] = pos;
    pos += 2 + 2 * f->blocks[b].nins;
    bend[b] = pos++;
  }
  block_freq(f, freq);
  if (!live_intervals(f, bstart, bend, freq, start, end, weight, &R)) goto done;
  for (uint32_t v = 0; v < nv; v++) cur[v] = R.first[v];
  /* overlap tests past this many steps answer "yes" (hull allocation) */
  uint64_t owork = 0, obudget = 64 * ((uint64_t)R.n + nv) + (UINT64_C(1) << 20);
  uint32_t n = 0;
  for (uint32_t v = 0; v < nv; v++) {
    out->reg[v] = -1;
    out->slot[v] = -1;
  }
  /* the intervals by start (then value): collected in layout order, where a
   * value's interval starts at its definition, so starts already ascend
   * except among a block's phis (one start); an insertion sort then costs
   * little, and qsort takes over should that ever not hold */
  uint64_t shifts = 0;
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 0; k < bl->nins; k++) {
      uint32_t v = bl->ins[k];
      if (!needs_loc(&f->ins[v]) || start[v] == UINT32_MAX) continue;
      ival x = {v, start[v], end[v]};
      uint32_t j = n++;
      for (; j > 0 && shifts <= 8 * (uint64_t)nv && by_start(&iv[j - 1], &x) > 0; j--, shifts++) iv[j] = iv[j - 1];
      iv[j] = x;
    }
  }
  if (shifts > 8 * (uint64_t)nv) qsort(iv, n, sizeof *iv, by_start);
  for (uint32_t v = 0; v < nv; v++) phi_of[v] = UINT32_MAX;
  for (uint32_t b = 0; b < nb; b++) /* a phi each value flows into (the allocator's hint) */
    for (uint32_t k = 0; k < f->blocks[b].nins; k++) {
      const ir_ins *p = &f->ins[f->blocks[b].ins[k]];
      if (p->op != IR_PHI) break;
      if (p->dead) continue;
      for (uint32_t a = 0; a < p->nargs; a++) /* a loop head's phi first: its moves are on the back edge */
        if (phi_of[p->args[a]] == UINT32_MAX || f->blocks[b].loop_head) phi_of[p->args[a]] = f->blocks[b].ins[k];
    }
  /* linear scan, per class (vectors with floats when they share registers),
   * over ranges: a register is free for v when no value holding it meets
   * v's ranges (values in a lifetime hole of each other share one) */
  for (int cl = 0; cl < IR_NCLASS; cl++) {
    if (cl == IR_CL_V && isa->vec_in_float_regs) continue;
    uint32_t nact = 0, allregs = 0;
    for (uint32_t k = 0; k < isa->nalloc[cl]; k++) allregs |= 1u << isa->alloc[cl][k];
    for (uint32_t k = 0; k < n; k++) {
      uint32_t v = iv[k].v, now = iv[k].start;
      int vcl = ir_cls(f->ins[v].type);
      if ((vcl == IR_CL_V && isa->vec_in_float_regs ? IR_CL_F : vcl) != cl) continue;
      /* expire values that ended before this one starts */
      uint32_t keep = 0;
      for (uint32_t a = 0; a < nact; a++)
        if (end[active[a]] >= now) active[keep++] = active[a];
      nact = keep;
      int r = -1;
      const ir_ins *di = &f->ins[v];
      /* registers of arguments that die right here and may be shared with
       * the result: the first argument's (the two-address hint: backends
       * read every other argument before writing the result, and the first
       * one may be the result's register), and for calls every argument's
       * (a call reads them all before its result exists); marked in dmark,
       * their meeting v at this one point is no conflict */
      uint32_t dying = 0;
      bool is_call = di->op == IR_CALL || di->op == IR_CALL_HOST || di->op == IR_CALL_INDIRECT;
      if (di->op != IR_PHI) {
        for (uint32_t j = 0; j < di->nargs && (j == 0 || is_call); j++) {
          uint32_t aj = di->args[j];
          int acl = ir_cls(f->ins[aj].type);
          if (acl == IR_CL_V && isa->vec_in_float_regs) acl = IR_CL_F; /* one bank */
          if (!needs_loc(&f->ins[aj]) || acl != cl || out->reg[aj] < 0 || end[aj] != now) continue;
          bool other_use = false; /* another argument in the same register would be clobbered */
          for (uint32_t q = 0; q < di->nargs && !is_call; q++) other_use |= q != j && di->args[q] != aj && out->reg[di->args[q]] == out->reg[aj];
          if (!other_use) {
            dying |= 1u << out->reg[aj];
            dmark[aj] = k + 1;
          }
        }
      }
      uint32_t busy = 0;
      for (uint32_t a = 0; a < nact; a++) {
        uint32_t w = active[a];
        meets[a] = dmark[w] != k + 1 && overlaps(&R, cur, w, v, now, &owork, obudget);
        if (meets[a]) busy |= 1u << out->reg[w];
      }
      dying &= ~busy;
      uint32_t freeset = allregs & ~busy;
      /* phi hint: a phi and the values flowing into it in one register
       * where that one is free, so SSA destruction moves nothing */
      if (di->op == IR_PHI) {
        for (uint32_t a = 0; a < di->nargs && r < 0; a++) {
          int h = out->reg[di->args[a]];
          if (h >= 0 && (freeset & (1u << h))) r = h;
        }
      } else if (phi_of[v] != UINT32_MAX) {
        int h = out->reg[phi_of[v]];
        if (h >= 0 && (freeset & (1u << h))) r = h;
      }
      if (r < 0 && dying) { /* the two-address register first, else any dying one */
        int r0 = di->nargs ? out->reg[di->args[0]] : -1;
        r = r0 >= 0 && (dying & (1u << r0)) ? r0 : __builtin_ctz(dying);
      }
      for (uint32_t q = 0; r < 0 && q < isa->nalloc[cl]; q++)
        if (freeset & (1u << isa->alloc[cl][q])) {
          r = isa->alloc[cl][q];
          break;
        }
      if (r < 0) {
        /* spill whichever is cheapest per point of its life: v, or the
         * values meeting v in one register (all of them, so the register
         * is v's); a register holding a value read right here stays */
        double cost[32], cv = spill_cost(weight, end, v, now);
        uint32_t lastend[32], stuck = 0;
        for (uint32_t q = 0; q < 32; q++) cost[q] = 0, lastend[q] = 0;
        for (uint32_t a = 0; a < nact; a++) {
          uint32_t w = active[a];
          int rw = out->reg[w];
          if (!meets[a]) continue;
          if (end[w] <= now) stuck |= 1u << rw;
          cost[rw] += spill_cost(weight, end, w, now);
          if (end[w] > lastend[rw]) lastend[rw] = end[w];
        }
        for (uint32_t q = 0; q < isa->nalloc[cl]; q++) {
          int rq = isa->alloc[cl][q];
          if (stuck & (1u << rq)) continue;
          if (cost[rq] < cv || (cost[rq] == cv && lastend[rq] > end[v])) {
            r = rq;
            cv = cost[rq];
          }
        }
        if (r >= 0) {
          uint32_t keep2 = 0;
          for (uint32_t a = 0; a < nact; a++) {
            uint32_t w = active[a];
            if (meets[a] && out->reg[w] == r) {
              out->reg[w] = -1;
              out->slot[w] = (int32_t)out->nslots;
              out->nslots += ir_cls(f->ins[w].type) == IR_CL_V ? 2 : 1;
            } else {
              active[keep2++] = w;
            }
          }
          nact = keep2;
        } else {
          out->slot[v] = (int32_t)out->nslots;
          out->nslots += vcl == IR_CL_V ? 2 : 1;
          continue;
        }
      }
      out->reg[v] = (int8_t)r;
      out->used[vcl] |= 1u << r;
      active[nact++] = v;
    }
  }
  ok = true;
done:
  free(start);
  free(end);
  free(bstart);
  free(bend);
  free(iv);
  free(active);
  free(phi_of);
  free(cur);
  free(dmark);
  free(meets);
  free(R.first);
  free(R.r);
  free(weight);
  free(freq);
  if (!ok) ir_ra_free(out);
  return ok;
}
