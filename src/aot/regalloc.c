/*
 * regalloc.c — registers for locals by linear scan over live intervals.
 *
 * A pre-pass over the body builds the control-flow graph of its structured
 * control (a basic block ends at every branch, `if`, `else`, `end` and loop
 * head) with each block's upward-exposed uses and definitions of locals,
 * solves liveness backwards to a fixpoint, and gives every local one
 * interval [first, last] in instruction order that covers every block it is
 * live into or out of and every access. That is a superset of where the
 * local is live, so two locals whose intervals do not overlap never hold
 * values at the same time and may share a register. A local that is read
 * before any write on some path is live into the entry block: its interval
 * starts at 0 and it keeps the zero (or argument) it was given there.
 *
 * Linear scan then walks intervals by start: expired ones free their
 * register; when none is free the interval with the smallest weight (uses,
 * 8x per loop level) among the active ones and the new one goes to memory.
 * A local keeps one home (a register or its frame slot) for its whole
 * interval, so lower.c's model is unchanged; lower.c detaches lazy stack
 * entries by register when a local is written, which covers a dead local
 * whose register now belongs to another.
 */
#include <stdlib.h>
#include <string.h>

#include "aot/lower.h"
#include "binary/instr.h"
#include "common/grow.h"

/* Work limits: beyond them the caller falls back to use-count assignment. */
#define MAX_BLOCKS 100000u
#define MAX_BITS (UINT64_C(1) << 26) /* blocks x locals */

typedef struct bb {
  uint32_t start, end;           /* instruction positions covered */
  uint32_t *succ;
  uint32_t nsucc, capsucc;
  bool started;
} bb;

typedef struct ra {
  cg *c;
  bb *b;
  uint32_t nb, capb;
  uint32_t words;                /* 64-bit words per local set */
  uint64_t *use, *def, *in, *out;/* nb * words each */
  bool oom;
} ra;

typedef struct rctl {
  wm_opcode op;
  uint32_t head, end, els;       /* loop head, end block, else block */
  bool has_else;
} rctl;


static uint32_t new_bb(ra *r) {
  if (r->nb >= MAX_BLOCKS || !rt_grow((void **)&r->b, &r->capb, r->nb + 1, sizeof *r->b)) {
    r->oom = true;
    return 0;
  }
  memset(&r->b[r->nb], 0, sizeof *r->b);
  return r->nb++;
}

static void edge(ra *r, uint32_t from, uint32_t to) {
  bb *b = &r->b[from];
  if (!rt_grow((void **)&b->succ, &b->capsucc, b->nsucc + 1, sizeof *b->succ)) r->oom = true;
  else b->succ[b->nsucc++] = to;
}

/* Makes `id` the current block from position pos on. */
static uint32_t enter(ra *r, uint32_t id, uint32_t pos) {
  if (!r->oom && !r->b[id].started) {
    r->b[id].started = true;
    r->b[id].start = pos;
    r->b[id].end = pos;
  }
  return id;
}

static uint32_t target(const rctl *cs, uint32_t nc, uint32_t depth, uint32_t exit) {
  if (depth + 1 >= nc) return exit; /* the function's own label */
  const rctl *f = &cs[nc - 1 - depth];
  return f->op == OP_LOOP ? f->head : f->end;
}

static bool test_bit(const uint64_t *s, uint32_t x) { return (s[x >> 6] >> (x & 63)) & 1; }
static void set_bit(uint64_t *s, uint32_t x) { s[x >> 6] |= UINT64_C(1) << (x & 63); }

typedef struct interval {
  uint32_t local, start, end;
  uint64_t weight;
} interval;

static int by_start(const void *a, const void *b) {
  const interval *x = a, *y = b;
  if (x->start != y->start) return x->start < y->start ? -1 : 1;
  return x->local < y->local ? -1 : x->local > y->local;
}

/* One class: linear scan of its intervals over the registers in order[]. */
static void scan_class(cg *c, interval *iv, uint32_t n, const int8_t *order, uint32_t nregs) {
  interval **active = calloc(nregs + 1, sizeof *active); /* by register index */
  if (!active) return;
  for (uint32_t i = 0; i < n; i++) {
    interval *cur = &iv[i];
    for (uint32_t k = 0; k < nregs; k++)
      if (active[k] && active[k]->end < cur->start) active[k] = NULL;
    uint32_t k;
    for (k = 0; k < nregs && active[k]; k++) {
    }
    if (k == nregs) { /* full: the lightest of the active ones and cur goes to memory */
      uint32_t lightest = 0;
      for (uint32_t j = 1; j < nregs; j++)
        if (active[j]->weight < active[lightest]->weight) lightest = j;
      if (active[lightest]->weight >= cur->weight) continue; /* cur stays in memory */
      c->lreg[active[lightest]->local] = -1;
      k = lightest;
    }
    active[k] = cur;
    c->lreg[cur->local] = order[k];
  }
  free(active);
}

bool aot_regalloc_locals(cg *c) {
  ra r = {0};
  r.c = c;
  bool ok = false;
  uint32_t nl = c->nlocals;
  r.words = (nl + 63) / 64;
  /* pass 1: blocks, edges, positions, weights; accesses recorded for pass 2 */
  rctl *cs = NULL;
  uint32_t nc = 0, capc = 0;
  uint32_t *acc_bb = NULL, *acc_local = NULL, *acc_pos = NULL; /* accesses: get = local, set = local | 1<<31 */
  uint32_t nacc = 0, capacc = 0, capacc2 = 0, capacc3 = 0;
  uint64_t *weight = calloc(nl + 1, sizeof *weight);
  interval *iv = NULL;
  if (!weight) goto done;
  uint32_t exit = new_bb(&r), cur = enter(&r, new_bb(&r), 0);
  uint32_t pos = 0, depth = 0;
  if (!rt_grow((void **)&cs, &capc, 1, sizeof *cs)) goto done;
  cs[nc++] = (rctl){OP_END, 0, exit, 0, false};
  wm_reader rd = c->r;
  struct { wm_reader r; } scan;
  while (!reader_eof(&rd) && nc && !r.oom) {
    scan.r = rd;
    wm_opcode op = wm_read_op(&scan.r);
    if (op == OP_COUNT_) break;
    pos++;
    r.b[cur].end = pos;
    uint32_t x = 0;
    switch (op) {
    case OP_LOCAL_GET: case OP_LOCAL_SET: case OP_LOCAL_TEE:
      reader_u32(&scan.r, &x);
      if (x < nl) {
        weight[x] += (uint64_t)1 << (3 * (depth < 8 ? depth : 8));
        if (!rt_grow((void **)&acc_bb, &capacc, nacc + 1, sizeof *acc_bb) ||
            !rt_grow((void **)&acc_local, &capacc2, nacc + 1, sizeof *acc_local) ||
            !rt_grow((void **)&acc_pos, &capacc3, nacc + 1, sizeof *acc_pos)) {
          r.oom = true;
          break;
        }
        acc_bb[nacc] = cur;
        acc_local[nacc] = x | (op == OP_LOCAL_GET ? 0 : 1u << 31);
        acc_pos[nacc++] = pos;
      }
      break;
    case OP_BLOCK: case OP_LOOP: case OP_IF: {
      wm_skip_imm(&scan.r, c->m, wm_opinfos[op].imm);
      if (!rt_grow((void **)&cs, &capc, nc + 1, sizeof *cs)) {
        r.oom = true;
        break;
      }
      rctl f = {op, 0, new_bb(&r), 0, false};
      if (op == OP_LOOP) {
        f.head = new_bb(&r);
        edge(&r, cur, f.head);
        cur = enter(&r, f.head, pos);
        depth++;
      } else if (op == OP_IF) {
        uint32_t then = new_bb(&r);
        f.els = new_bb(&r);
        edge(&r, cur, then);
        edge(&r, cur, f.els);
        cur = enter(&r, then, pos);
      }
      cs[nc++] = f;
      break;
    }
    case OP_ELSE: {
      rctl *f = &cs[nc - 1];
      edge(&r, cur, f->end);
      f->has_else = true;
      cur = enter(&r, f->els, pos);
      break;
    }
    case OP_END: {
      rctl *f = &cs[nc - 1];
      edge(&r, cur, f->end);
      if (f->op == OP_IF && !f->has_else) { /* the implicit else falls through */
        enter(&r, f->els, pos);
        edge(&r, f->els, f->end);
      }
      if (f->op == OP_LOOP) depth--;
      nc--;
      cur = enter(&r, f->end, pos);
      break;
    }
    case OP_BR: case OP_BR_IF: {
      reader_u32(&scan.r, &x);
      edge(&r, cur, target(cs, nc, x, exit));
      uint32_t next = new_bb(&r);
      if (op == OP_BR_IF) edge(&r, cur, next);
      cur = enter(&r, next, pos);
      break;
    }
    case OP_BR_TABLE: {
      uint32_t n = 0;
      reader_u32(&scan.r, &n);
      for (uint32_t i = 0; i <= n && !r.oom; i++) {
        reader_u32(&scan.r, &x);
        edge(&r, cur, target(cs, nc, x, exit));
      }
      cur = enter(&r, new_bb(&r), pos);
      break;
    }
    case OP_RETURN: case OP_UNREACHABLE:
      if (op == OP_RETURN) edge(&r, cur, exit);
      cur = enter(&r, new_bb(&r), pos);
      break;
    default: wm_skip_imm(&scan.r, c->m, wm_opinfos[op].imm); break;
    }
    rd = scan.r;
  }
  if (r.oom || (uint64_t)r.nb * r.words * 64 > MAX_BITS) goto done;

  /* use/def per block (accesses are in order), then liveness to a fixpoint */
  size_t nw = (size_t)r.nb * r.words;
  r.use = calloc(nw + 1, 8);
  r.def = calloc(nw + 1, 8);
  r.in = calloc(nw + 1, 8);
  r.out = calloc(nw + 1, 8);
  if (!r.use || !r.def || !r.in || !r.out) goto done;
  for (uint32_t i = 0; i < nacc; i++) {
    uint64_t *u = r.use + (size_t)acc_bb[i] * r.words, *d = r.def + (size_t)acc_bb[i] * r.words;
    uint32_t l = acc_local[i] & 0x7FFFFFFFu;
    if (acc_local[i] >> 31) set_bit(d, l);
    else if (!test_bit(d, l)) set_bit(u, l);
  }
  for (bool changed = true; changed;) {
    changed = false;
    for (uint32_t b = r.nb; b-- > 0;) {
      uint64_t *in = r.in + (size_t)b * r.words, *out = r.out + (size_t)b * r.words;
      const uint64_t *u = r.use + (size_t)b * r.words, *d = r.def + (size_t)b * r.words;
      for (uint32_t s = 0; s < r.b[b].nsucc; s++) {
        const uint64_t *sin = r.in + (size_t)r.b[b].succ[s] * r.words;
        for (uint32_t w = 0; w < r.words; w++) out[w] |= sin[w];
      }
      for (uint32_t w = 0; w < r.words; w++) {
        uint64_t v = u[w] | (out[w] & ~d[w]);
        if (v != in[w]) {
          in[w] = v;
          changed = true;
        }
      }
    }
  }

  /* intervals: accesses, plus blocks the local is live into or out of; the
   * entry block's live-in locals (read before written) start at 0 */
  iv = calloc(nl + 1, sizeof *iv);
  if (!iv) goto done;
  for (uint32_t l = 0; l < nl; l++) iv[l] = (interval){l, UINT32_MAX, 0, weight[l]};
  for (uint32_t l = 0; l < c->ft->nparams; l++) iv[l].start = 0; /* defined at entry */
  for (uint32_t i = 0; i < nacc; i++) {
    interval *v = &iv[acc_local[i] & 0x7FFFFFFFu];
    if (acc_pos[i] < v->start) v->start = acc_pos[i];
    if (acc_pos[i] > v->end) v->end = acc_pos[i];
  }
  for (uint32_t b = 0; b < r.nb; b++) {
    if (!r.b[b].started) continue;
    const uint64_t *in = r.in + (size_t)b * r.words, *out = r.out + (size_t)b * r.words;
    for (uint32_t l = 0; l < nl; l++) {
      if (test_bit(in, l)) {
        interval *v = &iv[l];
        uint32_t s = b == 1 ? 0 : r.b[b].start; /* block 1 is the entry */
        if (s < v->start) v->start = s;
        if (r.b[b].start > v->end) v->end = r.b[b].start;
      }
      if (test_bit(out, l)) {
        interval *v = &iv[l];
        if (r.b[b].end > v->end) v->end = r.b[b].end;
        if (r.b[b].end < v->start) v->start = r.b[b].end;
      }
    }
  }
  /* scan each class over its registers (v128 locals stay in memory) */
  interval *g = calloc(nl + 1, sizeof *g), *xs = calloc(nl + 1, sizeof *xs);
  if (!g || !xs) {
    free(g);
    free(xs);
    goto done;
  }
  uint32_t ng = 0, nx = 0;
  for (uint32_t l = 0; l < nl; l++) {
    if (iv[l].start == UINT32_MAX || !weight[l]) continue; /* never accessed */
    int cl = aot_cls(c->ltype[l]);
    if (cl == CL_G) g[ng++] = iv[l];
    else if (cl == CL_X) xs[nx++] = iv[l];
  }
  qsort(g, ng, sizeof *g, by_start);
  qsort(xs, nx, sizeof *xs, by_start);
  scan_class(c, g, ng, c->t->gpr_local_order, c->t->ngpr_locals);
  scan_class(c, xs, nx, c->t->fpr_local_order, c->t->nfpr_locals);
  free(g);
  free(xs);
  if (c->in->osr) { /* OSR entries load only the locals live at their loop head (lower.c) */
    c->ival = malloc(((size_t)nl + 1) * sizeof *c->ival);
    if (!c->ival) {
      aot_fail(c, "out of memory");
      goto done;
    }
    for (uint32_t l = 0; l < nl; l++) {
      c->ival[l][0] = iv[l].start;
      c->ival[l][1] = iv[l].end;
    }
  }
  ok = true;
done:
  for (uint32_t b = 0; b < r.nb; b++) free(r.b[b].succ);
  free(r.b);
  free(r.use);
  free(r.def);
  free(r.in);
  free(r.out);
  free(cs);
  free(acc_bb);
  free(acc_local);
  free(acc_pos);
  free(weight);
  free(iv);
  if (!ok)
    for (uint32_t l = 0; l < nl; l++) c->lreg[l] = -1;
  return ok;
}
