/*
 * opt.c — the IR passes (ir.h), in the order ir_optimize runs them:
 * trivial-phi removal, global value numbering with constant folding and
 * algebraic identities, loop-invariant code motion, dead code elimination,
 * accumulator operand order (the memory passes, between GVN and LICM, are
 * in memopt.c).
 * Each pass keeps the IR in SSA form; replaced values are recorded in
 * f->repl and arguments are rewritten through it (ir_canonicalize).
 */
#include <stdlib.h>
#include <string.h>

#include "aot/ir/ir.h"

bool ir_fold(ir_op op, uint64_t av, uint64_t bv, uint64_t *out) {
  switch (op) {
#define B(id, ta, tr, e)                                                                           \
  case IR_##id: {                                                                                  \
    __typeof__(RD_##ta(0)) a = RD_##ta(av), b = RD_##ta(bv);                                       \
    (void)b;                                                                                       \
    *out = WR_##tr(e);                                                                             \
    return true;                                                                                   \
  }
    SEM_INT_BINOPS(B) SEM_FLOAT_BINOPS(B) SEM_BITS_BINOPS(B)
#undef B
#define U(id, ta, tr, e)                                                                           \
  case IR_##id: {                                                                                  \
    __typeof__(RD_##ta(0)) a = RD_##ta(av);                                                        \
    *out = WR_##tr(e);                                                                             \
    return true;                                                                                   \
  }
    SEM_UNOPS(U)
#undef U
  default: return false;
  }
}

/* Trivial-phi removal over the phis only (collected once, in value order,
 * which is the order the fixpoint has always run in); canon: rewrite every
 * argument afterwards (ir_optimize leaves that to value numbering, which
 * resolves each instruction's arguments as it visits it). */
static uint32_t remove_trivial_phis(ir_func *f, bool canon) {
  uint32_t removed = 0, n = 0;
  uint32_t *phis = malloc(((size_t)f->nins + 1) * sizeof *phis);
  if (!phis) {
    f->oom = true;
    return 0;
  }
  for (uint32_t v = 0; v < f->nins; v++)
    if (f->ins[v].op == IR_PHI && !f->ins[v].dead) phis[n++] = v;
  bool changed = true;
  while (changed) {
    changed = false;
    for (uint32_t p = 0; p < n; p++) {
      uint32_t v = phis[p];
      ir_ins *i = &f->ins[v];
      if (i->dead) continue;
      uint32_t same = UINT32_MAX;
      bool trivial = true;
      for (uint32_t k = 0; k < i->nargs; k++) {
        uint32_t a = ir_resolve(f, i->args[k]);
        if (a == v || a == same) continue;
        if (same != UINT32_MAX) {
          trivial = false;
          break;
        }
        same = a;
      }
      if (!trivial || same == UINT32_MAX) continue;
      f->repl[v] = same;
      i->dead = 1;
      removed++;
      changed = true;
    }
  }
  free(phis);
  if (canon) ir_canonicalize(f);
  return removed;
}

uint32_t ir_pass_phis(ir_func *f) { return remove_trivial_phis(f, true); }

static bool is_const(const ir_func *f, uint32_t v, uint64_t *imm) {
  const ir_ins *i = &f->ins[v];
  if (i->op != IR_CONST) return false;
  *imm = i->imm;
  return true;
}

static bool is_int(uint8_t t) { return t == IR_I32 || t == IR_I64; }

/* x op c == x for these (c the identity constant on the right). */
static bool right_identity(ir_op op, uint64_t c, bool wide) {
  uint64_t ones = wide ? UINT64_MAX : UINT32_MAX;
  switch (op) {
  case IR_I32_ADD: case IR_I64_ADD: case IR_I32_SUB: case IR_I64_SUB: case IR_I32_OR: case IR_I64_OR:
  case IR_I32_XOR: case IR_I64_XOR: case IR_I32_SHL: case IR_I64_SHL: case IR_I32_SHR_S: case IR_I64_SHR_S:
  case IR_I32_SHR_U: case IR_I64_SHR_U: case IR_I32_ROTL: case IR_I64_ROTL: case IR_I32_ROTR: case IR_I64_ROTR:
    return c == 0;
  case IR_I32_MUL: case IR_I64_MUL: return c == 1;
  case IR_I32_AND: case IR_I64_AND: return c == ones;
  default: return false;
  }
}

typedef struct gvn_entry { uint32_t v; } gvn_entry;

static uint64_t ins_hash(const ir_ins *i) {
  uint64_t h = i->op * 0x100000001B3ull ^ i->type ^ (i->imm * 0x9E3779B97F4A7C15ull);
  for (uint32_t k = 0; k < i->nargs; k++) h = (h ^ i->args[k]) * 0x100000001B3ull;
  return h ^ (h >> 29);
}

static bool same_ins(const ir_ins *a, const ir_ins *b) {
  if (a->op != b->op || a->type != b->type || a->imm != b->imm || a->nargs != b->nargs) return false;
  for (uint32_t k = 0; k < a->nargs; k++)
    if (a->args[k] != b->args[k]) return false;
  return true;
}

uint32_t ir_pass_gvn(ir_func *f) {
  uint32_t cap = 64;
  while (cap < 2 * f->nins) cap *= 2;
  uint32_t *table = malloc(cap * sizeof *table);
  if (!table) {
    f->oom = true;
    return 0;
  }
  memset(table, 0xFF, cap * sizeof *table);
  uint32_t replaced = 0;
  for (uint32_t o = 0; o < f->norder; o++) {
    ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 0; k < bl->nins; k++) {
      uint32_t v = bl->ins[k];
      ir_ins *i = &f->ins[v];
      if (i->dead) continue;
      for (uint32_t a = 0; a < i->nargs; a++) i->args[a] = ir_resolve(f, i->args[a]);
      if (!(ir_opinfos[i->op].flags & IRF_PURE)) continue;
      /* folding: integer operands only (float results are left to the machine) */
      uint64_t ca = 0, cb = 0, r;
      if (i->op >= IR_I32_ADD && i->nargs >= 1 && is_int(f->ins[i->args[0]].type) &&
          is_const(f, i->args[0], &ca) && (i->nargs == 1 || is_const(f, i->args[1], &cb)) &&
          ir_fold((ir_op)i->op, ca, cb, &r) && is_int(i->type)) {
        i->op = IR_CONST;
        i->nargs = 0;
        i->imm = i->type == IR_I32 ? (uint32_t)r : r;
        replaced++;
      } else if (i->op >= IR_I32_ADD && i->nargs == 2 && is_int(i->type) && is_const(f, i->args[1], &cb) &&
                 right_identity((ir_op)i->op, cb, i->type == IR_I64)) {
        f->repl[v] = i->args[0];
        i->dead = 1;
        replaced++;
        continue;
      } else if (i->op == IR_SELECT && i->args[0] == i->args[1]) {
        f->repl[v] = i->args[0];
        i->dead = 1;
        replaced++;
        continue;
      }
      /* commutative operands in one order (constants on the right, where instruction selection wants them) */
      bool comm = (ir_opinfos[i->op].flags & IRF_COMM) && i->nargs == 2;
      bool k0 = comm && f->ins[i->args[0]].op == IR_CONST, k1 = comm && f->ins[i->args[1]].op == IR_CONST;
      if (comm && ((k0 && !k1) || (k0 == k1 && i->args[0] > i->args[1]))) {
        uint32_t t = i->args[0];
        i->args[0] = i->args[1];
        i->args[1] = t;
      }
      uint32_t h = (uint32_t)ins_hash(i) & (cap - 1);
      for (;; h = (h + 1) & (cap - 1)) {
        uint32_t w = table[h];
        if (w == UINT32_MAX) {
          table[h] = v;
          break;
        }
        if (!same_ins(&f->ins[w], i)) continue;
        if (ir_dominates(f, f->ins[w].block, i->block)) {
          f->repl[v] = w;
          i->dead = 1;
          replaced++;
        } else {
          table[h] = v; /* the nearer definition serves what follows in this subtree */
        }
        break;
      }
    }
  }
  free(table);
  /* every instruction visited had its arguments resolved, and an argument
   * (dominating it) was visited before it, so what it resolved to stays;
   * only phis can read values visited after them (over back edges). Blocks
   * not reached are never emitted. */
  for (uint32_t o = 0; o < f->norder; o++) {
    ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 0; k < bl->nins && f->ins[bl->ins[k]].op == IR_PHI; k++) {
      ir_ins *i = &f->ins[bl->ins[k]];
      for (uint32_t a = 0; a < i->nargs; a++) i->args[a] = ir_resolve(f, i->args[a]);
    }
  }
  return replaced;
}

uint32_t ir_pass_dce(ir_func *f) {
  uint8_t *live = calloc(f->nins + 1, 1);
  uint32_t *work = malloc((f->nins + 1) * sizeof *work);
  if (!live || !work) {
    free(live);
    free(work);
    f->oom = true;
    return 0;
  }
  uint32_t n = 0;
  for (uint32_t o = 0; o < f->norder; o++) {
    ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 0; k < bl->nins; k++) {
      uint32_t v = bl->ins[k];
      if (!f->ins[v].dead && (ir_opinfos[f->ins[v].op].flags & (IRF_EFFECT | IRF_TERM)) && !live[v]) {
        live[v] = 1;
        work[n++] = v;
      }
    }
  }
  while (n) {
    const ir_ins *i = &f->ins[work[--n]];
    for (uint32_t k = 0; k < i->nargs; k++) {
      uint32_t a = i->args[k];
      if (!live[a]) {
        live[a] = 1;
        work[n++] = a;
      }
    }
  }
  uint32_t removed = 0;
  for (uint32_t b = 0; b < f->nblocks; b++) {
    ir_block *bl = &f->blocks[b];
    uint32_t keep = 0;
    for (uint32_t k = 0; k < bl->nins; k++) {
      uint32_t v = bl->ins[k];
      if (live[v] && !f->ins[v].dead) {
        bl->ins[keep++] = v;
      } else {
        if (!f->ins[v].dead) removed++;
        f->ins[v].dead = 1;
      }
    }
    bl->nins = keep;
  }
  free(live);
  free(work);
  return removed;
}

/* The block entering loop head h from outside, if it is one block ending
 * in a jump to h (wasm loops always have one). */
static uint32_t preheader(const ir_func *f, uint32_t h) {
  const ir_block *hb = &f->blocks[h];
  uint32_t pre = UINT32_MAX;
  for (uint32_t p = 0; p < hb->npred; p++) {
    uint32_t q = hb->pred[p];
    if (ir_dominates(f, h, q)) continue; /* a back edge */
    if (pre != UINT32_MAX) return UINT32_MAX;
    pre = q;
  }
  if (pre == UINT32_MAX || f->blocks[pre].nsucc != 1) return UINT32_MAX;
  return pre;
}

uint32_t ir_pass_licm(ir_func *f) {
  uint32_t moved = 0;
  for (uint32_t o = 0; o < f->norder; o++) {
    uint32_t h = f->order[o];
    if (!f->blocks[h].loop_head) continue;
    uint32_t pre = preheader(f, h);
    if (pre == UINT32_MAX) continue;
    /* the loop: blocks h dominates up to its last latch in reverse postorder */
    uint32_t last = o;
    for (uint32_t q = 0; q < f->blocks[h].npred; q++) { /* the latches: predecessors h dominates */
      uint32_t p = f->blocks[h].pred[q], r = f->blocks[p].rpo;
      if (r != UINT32_MAX && r > last && ir_dominates(f, h, p)) last = r;
    }
    for (uint32_t j = o; j <= last; j++) {
      uint32_t b = f->order[j];
      if (!ir_dominates(f, h, b)) continue;
      ir_block *bl = &f->blocks[b];
      for (uint32_t k = 0; k < bl->nins; k++) {
        uint32_t v = bl->ins[k];
        ir_ins *i = &f->ins[v];
        if (i->dead || !(ir_opinfos[i->op].flags & IRF_PURE) || i->op == IR_PARAM) continue;
        bool invariant = true;
        for (uint32_t a = 0; a < i->nargs && invariant; a++) {
          uint32_t db = f->ins[i->args[a]].block;
          invariant = !ir_dominates(f, h, db);
        }
        if (!invariant) continue;
        /* move v to the end of the preheader, before its jump */
        ir_block *pb = &f->blocks[pre];
        if (!ir_block_reserve(f, pre, pb->nins + 1)) return moved;
        pb->ins[pb->nins] = pb->ins[pb->nins - 1];
        pb->ins[pb->nins - 1] = v;
        pb->nins++;
        memmove(bl->ins + k, bl->ins + k + 1, (bl->nins - k - 1) * sizeof *bl->ins);
        bl->nins--;
        k--;
        i->block = pre;
        moved++;
      }
    }
  }
  return moved;
}

uint32_t ir_pass_accumulators(ir_func *f) {
  uint32_t n = 0;
  for (uint32_t b = 0; b < f->nblocks; b++) {
    const ir_block *bl = &f->blocks[b];
    for (uint32_t k = 0; k < bl->nins; k++) {
      uint32_t p = bl->ins[k];
      const ir_ins *phi = &f->ins[p];
      if (phi->op != IR_PHI) break;
      if (phi->dead) continue;
      for (uint32_t a = 0; a < phi->nargs; a++) {
        ir_ins *u = &f->ins[phi->args[a]];
        if (u->dead || !(ir_opinfos[u->op].flags & IRF_COMM) || u->nargs != 2) continue;
        if (u->args[1] != p || f->ins[u->args[0]].op == IR_CONST) continue;
        u->args[1] = u->args[0];
        u->args[0] = p;
        n++;
      }
    }
  }
  return n;
}

void ir_optimize(ir_func *f) {
  remove_trivial_phis(f, false); /* value numbering resolves the arguments next */
  ir_pass_gvn(f);
  /* values the memory passes replace may make pure operations equal */
  if (ir_pass_loads(f) + ir_pass_known_bits(f)) ir_pass_gvn(f);
  ir_pass_licm(f);
  ir_pass_dce(f);
  ir_pass_accumulators(f);
}
