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
  free(ra->moves);
  free(ra->mfirst);
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

/* ---- splitting around loops ----
 * A loop where more values of a register bank are live at once than the
 * bank has registers gives up the registers of values live across it but
 * not used in it: those values get a hole over the loop's blocks (another
 * value may hold the register there), are stored to a slot of their own on
 * each edge into the loop and reloaded on each edge out of it they are live
 * along. So a value used before and after a hot loop no longer pushes a
 * value the loop reads out of its register (or stays in memory everywhere).
 * At most `excess` values per loop and bank, the most used first. */

typedef struct punch { uint32_t v, loop; } punch;

/* WRUN_AOT_SPLIT=1 turns splitting on. Off by default: with the static
 * frequency estimate (every loop 8 turns) it cost more than it saved on
 * bench/ (callgrind, quick inputs: regex -5.3% and sha256 -2.4%
 * instructions, but lz +13% and sort +10.5%, whose short inner scans pay a
 * store and reloads each time they run); it wants trip counts or a
 * profile before it decides by default. */
static bool split_enabled(void) {
  const char *e = getenv("WRUN_AOT_SPLIT");
  return e && strcmp(e, "1") == 0;
}

typedef struct loops {
  uint32_t n, *head, *first, *blocks; /* loop k: header head[k], blocks blocks[first[k]..first[k+1]) */
} loops;

static void loops_free(loops *L) {
  free(L->head);
  free(L->first);
  free(L->blocks);
}

/* Natural loops, outermost first (by the header's depth), their blocks
 * found backwards from the back edges. False past the work budget or out
 * of memory (then no splitting). */
static bool find_loops(const ir_func *f, loops *L, uint32_t *mark, uint64_t budget) {
  uint32_t nb = f->nblocks, nh = 0, cap = 0, used = 0;
  memset(L, 0, sizeof *L);
  for (uint32_t b = 0; b < nb; b++) nh += f->blocks[b].loop_head && f->blocks[b].rpo != UINT32_MAX;
  if (!nh) return true;
  L->head = malloc(nh * sizeof *L->head);
  L->first = malloc((nh + 1) * sizeof *L->first);
  uint32_t *stack = malloc(((size_t)nb + 1) * sizeof *stack);
  bool ok = false;
  if (!L->head || !L->first || !stack) goto out;
  uint32_t left = nh;
  for (uint32_t d = 0; left && d <= 64; d++) /* by depth: outer loops before the loops inside them */
    for (uint32_t o = 0; o < f->norder; o++) {
      uint32_t h = f->order[o];
      if (!f->blocks[h].loop_head || f->blocks[h].loop_depth != d) continue;
      left--;
      L->head[L->n] = h;
      L->first[L->n] = used;
      uint32_t n = 0, id = L->n + 1;
      mark[h] = id;
      stack[n++] = h;
      while (n) {
        uint32_t b = stack[--n];
        if (used == cap) {
          cap = cap ? 2 * cap : 64;
          uint32_t *q = realloc(L->blocks, cap * sizeof *q);
          if (!q) goto out;
          L->blocks = q;
        }
        L->blocks[used++] = b;
        if (used > budget) goto out;
        const ir_block *bl = &f->blocks[b];
        for (uint32_t q = 0; q < bl->npred; q++) {
          uint32_t p = bl->pred[q];
          if (mark[p] == id || f->blocks[p].rpo == UINT32_MAX) continue;
          if (b == h && !ir_dominates(f, h, p)) continue; /* the entry edge */
          mark[p] = id;
          stack[n++] = p;
        }
      }
      L->n++;
    }
  if (left) goto out; /* (depths are small; a guard against a malformed tree) */
  L->first[L->n] = used;
  ok = true;
out:
  free(stack);
  if (!ok) {
    loops_free(L);
    memset(L, 0, sizeof *L);
  }
  return ok;
}

static bool covers(const ranges *R, uint32_t v, uint32_t pos) {
  for (uint32_t k = R->first[v]; k < R->first[v + 1] && R->r[k].lo <= pos; k++)
    if (R->r[k].hi >= pos) return true;
  return false;
}

static int bank_of(const ir_func *f, const aot_isa *isa, uint32_t v) {
  int cl = ir_cls(f->ins[v].type);
  return cl == IR_CL_V && isa->vec_in_float_regs ? IR_CL_F : cl;
}

/* May v be split around loop k: stores on every edge in, reloads on every
 * edge out it is live along, each with a place (a block of one successor,
 * or an exit target of one predecessor that is not an OSR entry)? */
static bool split_places(const ir_func *f, const loops *L, uint32_t k, const uint32_t *mark, const ranges *R,
                         const uint32_t *bstart, uint32_t v) {
  uint32_t h = L->head[k], id = k + 1;
  for (uint32_t q = 0; q < f->blocks[h].npred; q++) {
    uint32_t p = f->blocks[h].pred[q];
    if (mark[p] != id && f->blocks[p].nsucc != 1) return false;
  }
  for (uint32_t j = L->first[k]; j < L->first[k + 1]; j++) {
    const ir_block *bl = &f->blocks[L->blocks[j]];
    for (uint32_t q = 0; q < bl->nsucc; q++) {
      uint32_t e = bl->succ[q];
      if (mark[e] == id || !covers(R, v, bstart[e])) continue;
      const ir_block *eb = &f->blocks[e];
      bool osr = eb->nins && f->ins[eb->ins[0]].op == IR_OSR_ENTRY;
      if (bl->nsucc != 1 && (eb->npred != 1 || osr)) return false;
    }
  }
  return true;
}

/* Chooses the values to split (punches, into *P) and rewrites R with holes
 * over their loops. False when out of memory (R is then unchanged). */
static bool split_loops(const ir_func *f, const aot_isa *isa, const uint32_t *bstart, const uint32_t *bend,
                        uint32_t npos, const double *weight, const loops *L, uint32_t *mark, ranges *R, punch **P,
                        uint32_t *np) {
  uint32_t nv = f->nins, nb = f->nblocks;
  int32_t *press = calloc((size_t)npos + 2, sizeof *press);
  uint32_t *usedin = calloc((size_t)nv + 1, sizeof *usedin), *cand = malloc(((size_t)nv + 1) * sizeof *cand);
  uint32_t *blockat = malloc(((size_t)npos + 1) * sizeof *blockat), *pstamp = calloc((size_t)nb + 1, 4);
  uint32_t *ppos = calloc((size_t)nv + 1, 4); /* per value: 1 + index of its first punch */
  punch *pl = NULL;
  uint32_t npl = 0, cappl = 0;
  ranges R2 = {NULL, NULL, 0, 0};
  bool ok = false;
  if (!press || !usedin || !cand || !blockat || !pstamp || !ppos) goto out;
  for (uint32_t o = 0; o < f->norder; o++) {
    uint32_t b = f->order[o];
    for (uint32_t x = bstart[b]; x <= bend[b]; x++) blockat[x] = b;
  }
  for (int cl = 0; cl < IR_NCLASS; cl++) {
    if (cl == IR_CL_V || !isa->nalloc[cl]) continue; /* (vectors: no splitting) */
    memset(press, 0, ((size_t)npos + 2) * sizeof *press);
    for (uint32_t v = 0; v < nv; v++) {
      if (R->first[v] == R->first[v + 1] || bank_of(f, isa, v) != cl || ir_cls(f->ins[v].type) == IR_CL_V) continue;
      for (uint32_t k = R->first[v]; k < R->first[v + 1]; k++) {
        press[R->r[k].lo]++;
        press[R->r[k].hi + 1]--;
      }
    }
    for (uint32_t x = 1; x <= npos; x++) press[x] += press[x - 1];
    for (uint32_t k = 0; k < L->n; k++) {
      uint32_t id = k + 1, h = L->head[k];
      int32_t maxp = 0;
      for (uint32_t j = L->first[k]; j < L->first[k + 1]; j++) {
        uint32_t b = L->blocks[j];
        mark[b] = id;
        for (uint32_t x = bstart[b]; x <= bend[b]; x++)
          if (press[x] > maxp) maxp = press[x];
      }
      if (maxp <= (int32_t)isa->nalloc[cl]) continue;
      /* values used in the loop, and by phis of the blocks it exits to along its exits */
      for (uint32_t j = L->first[k]; j < L->first[k + 1]; j++) {
        const ir_block *bl = &f->blocks[L->blocks[j]];
        for (uint32_t i = 0; i < bl->nins; i++) {
          const ir_ins *in = &f->ins[bl->ins[i]];
          for (uint32_t a = 0; a < in->nargs && !in->dead; a++) usedin[in->args[a]] = id;
        }
        for (uint32_t q = 0; q < bl->nsucc; q++) {
          const ir_block *eb = &f->blocks[bl->succ[q]];
          if (mark[bl->succ[q]] == id) continue;
          for (uint32_t i = 0; i < eb->nins && f->ins[eb->ins[i]].op == IR_PHI; i++) {
            const ir_ins *in = &f->ins[eb->ins[i]];
            for (uint32_t a = 0; a < in->nargs && a < eb->npred && !in->dead; a++)
              if (mark[eb->pred[a]] == id) usedin[in->args[a]] = id;
          }
        }
      }
      uint32_t nc = 0;
      for (uint32_t v = 0; v < nv; v++) {
        if (usedin[v] == id || R->first[v] == R->first[v + 1] || bank_of(f, isa, v) != cl ||
            ir_cls(f->ins[v].type) == IR_CL_V || !covers(R, v, bstart[h]) || ppos[v])
          continue; /* (one loop per value: no nesting of holes to get wrong) */
        if (mark[blockat[R->r[R->first[v]].lo]] == id)
          continue; /* defined in the loop: the header's phis (written on the back edge) */
        if (split_places(f, L, k, mark, R, bstart, v)) cand[nc++] = v;
      }
      uint32_t want = (uint32_t)maxp - isa->nalloc[cl];
      for (uint32_t t = 0; t < want && t < nc; t++) { /* the most used first (selection: few) */
        uint32_t best = t;
        for (uint32_t j = t + 1; j < nc; j++)
          if (weight[cand[j]] > weight[cand[best]]) best = j;
        uint32_t v = cand[best];
        cand[best] = cand[t];
        if (npl == cappl) {
          cappl = cappl ? 2 * cappl : 16;
          punch *q = realloc(pl, cappl * sizeof *q);
          if (!q) goto out;
          pl = q;
        }
        ppos[v] = npl + 1;
        pl[npl++] = (punch){v, k};
      }
    }
  }
  if (!npl) {
    ok = true;
    goto out;
  }
  /* the ranges again, with the holes */
  R2.first = malloc(((size_t)nv + 1) * sizeof *R2.first);
  if (!R2.first) goto out;
  range seg;
  for (uint32_t v = 0; v < nv; v++) {
    R2.first[v] = R2.n;
    uint32_t id = 0;
    if (ppos[v]) { /* mark the loop's blocks (stamp: punch index + 1) */
      const punch *pu = &pl[ppos[v] - 1];
      id = ppos[v];
      for (uint32_t j = L->first[pu->loop]; j < L->first[pu->loop + 1]; j++) pstamp[L->blocks[j]] = id;
    }
    for (uint32_t k = R->first[v]; k < R->first[v + 1]; k++) {
      if (!id) { /* not split: as it was */
        seg = R->r[k];
        if (!add_ranges(&R2, &seg, 1)) goto out;
        continue;
      }
      for (uint32_t x = R->r[k].lo; x <= R->r[k].hi;) {
        uint32_t b = blockat[x], hi = bend[b] < R->r[k].hi ? bend[b] : R->r[k].hi;
        if (!id || pstamp[b] != id) {
          seg = (range){x, hi};
          if (R2.n && R2.first[v] != R2.n && R2.r[R2.n - 1].hi + 1 >= x) R2.r[R2.n - 1].hi = hi;
          else if (!add_ranges(&R2, &seg, 1)) goto out;
        }
        x = hi + 1;
      }
    }
  }
  R2.first[nv] = R2.n;
  free(R->first);
  free(R->r);
  *R = R2;
  R2.first = NULL;
  R2.r = NULL;
  *P = pl;
  *np = npl;
  pl = NULL;
  ok = true;
out:
  free(press);
  free(usedin);
  free(cand);
  free(blockat);
  free(pstamp);
  free(ppos);
  free(pl);
  free(R2.first);
  free(R2.r);
  return ok;
}

/* The moves of the punches whose value got a register, by block (out->moves, out->mfirst). */
static bool split_emit(const ir_func *f, const loops *L, uint32_t *mark, const ranges *R, const uint32_t *bstart,
                       const punch *P, uint32_t np, ir_ra *out) {
  uint32_t nb = f->nblocks, cnt = 0, capm = 0;
  ir_ra_move *mv = NULL;
  uint32_t *mb = NULL; /* the block of each move */
  for (uint32_t t = 0; t < np; t++) {
    uint32_t v = P[t].v, k = P[t].loop, id = k + 1, h = L->head[k];
    if (out->reg[v] < 0) continue; /* spilled after all: its slot is its home everywhere */
    int32_t slot = (int32_t)out->nslots++;
    for (uint32_t j = L->first[k]; j < L->first[k + 1]; j++) mark[L->blocks[j]] = id;
    for (int pass = 0; pass < 2; pass++) {
      /* pass 0: stores on the edges in; pass 1: reloads on the edges out */
      uint32_t nsrc = pass ? L->first[k + 1] - L->first[k] : f->blocks[h].npred;
      for (uint32_t j = 0; j < nsrc; j++) {
        uint32_t src = pass ? L->blocks[L->first[k] + j] : f->blocks[h].pred[j];
        const ir_block *bl = &f->blocks[src];
        for (uint32_t q = 0; q < (pass ? bl->nsucc : 1); q++) {
          uint32_t e = pass ? bl->succ[q] : h, at, blk;
          if (!pass) {
            if (mark[src] == id) continue; /* the back edge */
            at = IR_RA_STORE;
            blk = src;
          } else {
            if (mark[e] == id || !covers(R, v, bstart[e])) continue;
            at = bl->nsucc == 1 ? IR_RA_RELOAD : IR_RA_RELOAD_START;
            blk = bl->nsucc == 1 ? src : e;
          }
          if (cnt == capm) {
            capm = capm ? 2 * capm : 16;
            ir_ra_move *q1 = realloc(mv, capm * sizeof *q1);
            uint32_t *q2 = realloc(mb, capm * sizeof *q2);
            if (q1) mv = q1;
            if (q2) mb = q2;
            if (!q1 || !q2) {
              free(mv);
              free(mb);
              return false;
            }
          }
          mv[cnt] = (ir_ra_move){v, slot, (uint8_t)at};
          mb[cnt++] = blk;
        }
      }
    }
  }
  if (!cnt) {
    free(mv);
    free(mb);
    return true;
  }
  out->mfirst = calloc((size_t)nb + 2, sizeof *out->mfirst);
  out->moves = malloc(cnt * sizeof *out->moves);
  if (!out->mfirst || !out->moves) {
    free(mv);
    free(mb);
    return false;
  }
  for (uint32_t t = 0; t < cnt; t++) out->mfirst[mb[t] + 1]++;
  for (uint32_t b = 0; b < nb; b++) out->mfirst[b + 1] += out->mfirst[b];
  for (uint32_t t = 0; t < cnt; t++) out->moves[out->mfirst[mb[t]]++] = mv[t]; /* counting sort: mfirst[b] walks to b+1's start */
  for (uint32_t b = nb; b > 0; b--) out->mfirst[b] = out->mfirst[b - 1];
  out->mfirst[0] = 0;
  free(mv);
  free(mb);
  return true;
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
  uint32_t *lmark = calloc((size_t)nb + 1, 4);
  loops LP = {0, NULL, NULL, NULL};
  punch *P = NULL;
  uint32_t np = 0;
  uint8_t *meets = malloc((size_t)nv + 1); /* per active entry: does it meet the value being placed? */
  ranges R = {malloc(((size_t)nv + 1) * 4), NULL, 0, 0};
  out->reg = malloc((size_t)nv + 1);
  out->slot = malloc(((size_t)nv + 1) * 4);
  bool ok = false;
  if (!start || !end || !bstart || !bend || !weight || !freq || !iv || !active || !phi_of || !cur || !dmark || !meets || !lmark ||
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
  if (split_enabled() && find_loops(f, &LP, lmark, 16 * (uint64_t)nb + 4096) && LP.n &&
      !split_loops(f, isa, bstart, bend, pos, weight, &LP, lmark, &R, &P, &np))
    goto done;
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
  if (np && !split_emit(f, &LP, lmark, &R, bstart, P, np, out)) goto done;
  ok = true;
done:
  loops_free(&LP);
  free(P);
  free(lmark);
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
