/*
 * translate.c — validated wasm bodies to register-based threaded code.
 *
 * One pass over the bytecode simulates the operand stack at translation time.
 * Each stack position owns a fixed frame slot (its "canonical" slot, after the
 * locals), so instructions name their operand and result slots directly and
 * nothing is pushed or popped at run time. Two kinds of stack entries are kept
 * lazy: `local.get` (the entry just points at the local's slot) and constants
 * (kept as immediates). A lazy entry is written to its canonical slot only when
 * something needs it there: control flow joins, calls, and a `local.set` of a
 * local that an entry still points at. So `local.get; i32.const; i32.add;
 * local.set` becomes one instruction reading the local, adding an immediate
 * and writing the local ("_K" forms and the result-retargeting in local.set).
 * Compare-and-branch pairs become one fused instruction.
 *
 * Branch targets are code indices until the end, then become pointers.
 * The module was validated, so the translator trusts the types it reads.
 */
#include <stdlib.h>
#include <string.h>

#include "binary/instr.h"
#include "binary/reader.h"
#include "common/grow.h"
#include "interp/interp.h"

enum { V_SLOT, V_LOCAL, V_CONST };

typedef struct ventry {
  wm_valtype type;
  uint8_t kind;
  int32_t slot;                /* V_SLOT: == canon; V_LOCAL: the local's slot */
  int32_t canon;
  uint64_t imm[2];             /* V_CONST */
} ventry;

typedef struct cframe {
  wm_opcode op;              /* OP_BLOCK, OP_LOOP, OP_IF, OP_ELSE, or OP_END for the function */
  uint32_t height;
  int32_t base;
  const wm_valtype *params, *results;
  uint32_t np, nr;
  wm_valtype single;
  uint32_t loop_target;
  uint32_t *patches;
  uint32_t npatches, cap_patches;
  uint32_t else_patch;
  bool unreachable, dead;
  uint32_t check_cell;         /* loops with checks: the cost cell to fill in at `end` */
  uint32_t tier_cell;          /* loops of tiered stores: the TIER op's cost cell (0: none) */
  uint64_t instr_start;        /* ninstr when the loop began */
} cframe;

typedef struct tr {
  wrun_store *s;
  wrun_func *f;
  const wm_module *m;
  wrun_instance *inst;
  const void *const *h;
  wm_reader r;
  cell *code;
  uint32_t n, cap;
  bool oom;
  ventry *vs;
  uint32_t nv, capv;
  cframe *cs;
  uint32_t nc, capc;
  int32_t nlocal_slots;
  uint64_t *known_val;         /* per local: the constant it holds here, when known_set */
  uint8_t *known_set;
  int32_t *local_slot;
  wm_valtype *local_type;
  uint32_t nlocals;
  int32_t max_slot;
  uint32_t *targets;           /* cells holding code indices to turn into pointers */
  uint32_t ntargets, cap_targets;
  uint32_t *brs;               /* starts of the unconditional BR instructions */
  uint32_t nbrs, cap_brs;
  bool unsupported;            /* met an instruction the interpreter does not implement */
  bool checks;                 /* emit CHECK ops (fuel / interrupts) */
  uint64_t ninstr;             /* wasm instructions translated so far (the fuel unit) */
  uint32_t last_start;         /* start of the last instruction emitted */
  uint32_t prev_start;         /* start of the one before (== last_start after a join point) */
  int32_t last_dst_cell;       /* cell of its destination slot, -1 if none/retargetable no more */
  uint32_t op_at;              /* module offset of the instruction being translated */
  uint32_t *pos;               /* (cell, op_at) of each op emitted (interp_code.pos) */
  uint32_t npos, cap_pos;
  int32_t zero_from;           /* the declared locals zeroed at entry (zero_locals) */
  uint32_t zero_n;
  uint32_t *adj;               /* (start, start of the next) of ops emitted one after the other */
  uint32_t nadj, cap_adj;
  uint32_t ma_at, ma_tee;      /* the last F64_MUL_MA's start, and that of the I32_ADD_K just before it
                                * (UINT32_MAX: none), for F64_MULADD_MM_T */
} tr;


/* ---- emission ---------------------------------------------------------------- */

/* Drops the code from cell n on (a rewrite replaces it), and with it the
 * records of adjacent ops that reach into it (pair_ops). */
static void drop_adj(tr *t, uint32_t from) {
  while (t->nadj && t->adj[2 * (t->nadj - 1) + 1] >= from) t->nadj--;
}

static void cut(tr *t, uint32_t n) {
  t->n = n;
  drop_adj(t, n);
}

static uint32_t emit_cell(tr *t, cell c) {
  if (!rt_grow((void **)&t->code, &t->cap, t->n + 1, sizeof *t->code)) {
    t->oom = true;
    return t->n;
  }
  t->code[t->n] = c;
  return t->n++;
}

/* Records that the op about to start at t->n comes from the instruction at
 * t->op_at, dropping records of ops a rewrite has removed. */
static void note_pos(tr *t) {
  while (t->npos && t->pos[2 * (t->npos - 1)] >= t->n) t->npos--;
  if (!rt_grow((void **)&t->pos, &t->cap_pos, 2 * t->npos + 2, sizeof *t->pos)) {
    t->oom = true;
    return;
  }
  t->pos[2 * t->npos] = t->n;
  t->pos[2 * t->npos + 1] = t->op_at;
  t->npos++;
}

static void emit_op(tr *t, interp_op op) {
  note_pos(t);
  if (t->last_start < t->n) { /* not the first op after a join point */
    if (!rt_grow((void **)&t->adj, &t->cap_adj, 2 * t->nadj + 2, sizeof *t->adj)) {
      t->oom = true;
    } else {
      t->adj[2 * t->nadj] = t->last_start;
      t->adj[2 * t->nadj + 1] = t->n;
      t->nadj++;
    }
  }
  t->prev_start = t->last_start;
  t->last_start = t->n;
  t->last_dst_cell = -1;
  emit_cell(t, (cell){.h = t->h[op]});
}

static uint32_t emit_ab(tr *t, int32_t a, int32_t b) { return emit_cell(t, (cell){.p = {a, b}}); }
static void emit_u(tr *t, uint64_t u) { emit_cell(t, (cell){.u = u}); }
static void emit_ptr(tr *t, void *p) { emit_cell(t, (cell){.ptr = p}); }

static uint32_t emit_target(tr *t, uint32_t index) {
  uint32_t at = emit_cell(t, (cell){.u = index});
  if (!rt_grow((void **)&t->targets, &t->cap_targets, t->ntargets + 1, sizeof *t->targets)) t->oom = true;
  else t->targets[t->ntargets++] = at;
  return at;
}

/* Tiered execution (runtime/tier.h): [TIER][loop opcode offset, or
 * RT_TIERUP_ENTRY at the function entry][cost: wasm instructions in the
 * loop body or the function, what the countdown is charged]. Every operand-stack value is in
 * its canonical slot where this is emitted (function entry, loop heads), so
 * compiled code can take the frame over (on-stack replacement). */
static uint32_t emit_tier(tr *t, uint32_t loop_off) {
  emit_op(t, IOP_TIER);
  emit_u(t, loop_off);
  return emit_cell(t, (cell){.u = 1}); /* the cost, filled in when the body's size is known */
}

/* An instruction whose first slot operand (cell 1, .a) is its destination. */
static void mark_dst(tr *t) { t->last_dst_cell = (int32_t)t->last_start + 1; }

/* ---- the simulated stack ---------------------------------------------------- */

static int32_t width(wm_valtype ty) { return ty == WASM_V128 ? 2 : 1; }

static int32_t top_end(const tr *t) {
  return t->nv ? t->vs[t->nv - 1].canon + width(t->vs[t->nv - 1].type) : t->nlocal_slots;
}

static ventry *push_entry(tr *t, wm_valtype ty, uint8_t kind) {
  if (!rt_grow((void **)&t->vs, &t->capv, t->nv + 1, sizeof *t->vs)) {
    t->oom = true;
    static ventry scratch; /* never read: t->oom aborts the translation */
    return &scratch;
  }
  ventry *e = &t->vs[t->nv];
  e->type = ty;
  e->kind = kind;
  e->canon = top_end(t);
  e->slot = e->canon;
  e->imm[0] = e->imm[1] = 0;
  t->nv++;
  if (e->canon + width(ty) > t->max_slot) t->max_slot = e->canon + width(ty);
  return e;
}

static int32_t push_slot(tr *t, wm_valtype ty) { return push_entry(t, ty, V_SLOT)->canon; }

static void push_local(tr *t, uint32_t x) {
  ventry *e = push_entry(t, t->local_type[x], V_LOCAL);
  e->slot = t->local_slot[x];
}

static void push_const(tr *t, wm_valtype ty, uint64_t lo, uint64_t hi) {
  ventry *e = push_entry(t, ty, V_CONST);
  e->imm[0] = lo;
  e->imm[1] = hi;
}

/* A move of one value (two slots when `wide`). Two single moves in a row
 * become one COPY_PAIR (they still run in order, so the second may read what
 * the first wrote). */
static void emit_copy(tr *t, int32_t dst, int32_t src, bool wide) {
  /* three and four moves in a row (COPY3, COPY4: interp.h, INTERP_ARITH_OPS) */
  const void *last = t->last_start < t->n ? t->code[t->last_start].h : NULL;
  if (!wide && ((last == t->h[IOP_COPY_PAIR] && t->last_start + 3 == t->n) ||
                (last == t->h[IOP_COPY3] && t->last_start + 4 == t->n))) {
    t->code[t->last_start].h = t->h[last == t->h[IOP_COPY_PAIR] ? IOP_COPY3 : IOP_COPY4];
    emit_ab(t, dst, src);
    t->last_dst_cell = -1;
    return;
  }
  if (!wide && t->last_start + 2 == t->n && t->code[t->last_start].h == t->h[IOP_COPY]) {
    t->code[t->last_start].h = t->h[IOP_COPY_PAIR];
    emit_ab(t, dst, src);
    t->last_dst_cell = -1;
    return;
  }
  emit_op(t, wide ? IOP_COPY2 : IOP_COPY);
  emit_ab(t, dst, src);
}

static void materialize(tr *t, ventry *e) {
  if (e->kind == V_LOCAL) {
    emit_copy(t, e->canon, e->slot, width(e->type) == 2);
  } else if (e->kind == V_CONST) {
    emit_op(t, width(e->type) == 2 ? IOP_CONST2 : IOP_CONST);
    emit_ab(t, e->canon, 0);
    emit_u(t, e->imm[0]);
    if (width(e->type) == 2) emit_u(t, e->imm[1]);
  } else {
    return;
  }
  e->kind = V_SLOT;
  e->slot = e->canon;
}

static void materialize_all(tr *t) {
  for (uint32_t i = 0; i < t->nv; i++) materialize(t, &t->vs[i]);
}

/* Pops an operand and returns the slot to read it from: a lazy local is read
 * in place, a constant is written to its stack slot first. */
static int32_t pop_slot(tr *t) {
  ventry *e = &t->vs[t->nv - 1];
  if (e->kind == V_CONST) materialize(t, e);
  t->nv--;
  return e->slot;
}

/* ---- labels and branches -------------------------------------------------- */

static cframe *push_frame(tr *t, wm_opcode op, const wm_valtype *params, uint32_t np,
                          const wm_valtype *results, uint32_t nr, wm_valtype single, bool dead) {
  if (!rt_grow((void **)&t->cs, &t->capc, t->nc + 1, sizeof *t->cs)) {
    t->oom = true;
    return NULL;
  }
  cframe *f = &t->cs[t->nc++];
  memset(f, 0, sizeof *f);
  f->op = op;
  f->params = params;
  f->np = np;
  f->results = results;
  f->nr = nr;
  f->single = single;
  f->height = t->nv - (dead ? 0 : np);
  f->base = f->height < t->nv ? t->vs[f->height].canon : top_end(t);
  f->else_patch = UINT32_MAX;
  f->dead = dead;
  return f;
}

static const wm_valtype *frame_results(const cframe *f) { return f->results ? f->results : &f->single; }

static uint32_t label_arity(const cframe *f, const wm_valtype **types) {
  if (f->op == OP_LOOP) {
    *types = f->params;
    return f->np;
  }
  *types = frame_results(f);
  return f->nr;
}

/* One move of a parallel move: a value of `w` slots from `src` (or a
 * constant, src < 0) to `dst`. */
typedef struct pmove {
  int32_t dst, src, w;
  const ventry *e;
} pmove;

static bool overlaps(int32_t a, int32_t aw, int32_t b, int32_t bw) { return a < b + bw && b < a + aw; }

/* True if a pending copy still reads a slot that `m` writes before it is
 * read: another copy's source, or m's own when a two-slot copy would write
 * its first slot over its source's second (COPY2 copies low slot first). */
static bool dst_is_read(const pmove *mv, uint32_t n, uint32_t m) {
  for (uint32_t j = 0; j < n; j++) {
    if (mv[j].src < 0 || !overlaps(mv[m].dst, mv[m].w, mv[j].src, mv[j].w)) continue;
    if (j != m || mv[m].dst > mv[m].src) return true;
  }
  return false;
}

static void remove_move(pmove *mv, uint32_t *n, uint32_t m) {
  memmove(&mv[m], &mv[m + 1], (*n - m - 1) * sizeof *mv);
  (*n)--;
}

/* Copies the top n stack values to consecutive slots starting at `dst`, as
 * one parallel move: every value is read before anything it is read from is
 * overwritten. Sources are stack slots (never below their destinations) or
 * lazy locals, which may be anywhere, also among the destinations when the
 * function returns into slot 0 — `local.get 1; local.get 0; return` is a
 * swap. So copies are ordered: one whose destination no pending copy still
 * reads goes first; when only cycles are left, one source is saved to a
 * scratch slot above the stack. Constants read nothing and come last. The
 * entries are left as they are, because this code may run on one path only
 * (br_if). */
static void move_values(tr *t, uint32_t n, int32_t dst) {
  pmove stackbuf[8];
  pmove *mv = n <= 8 ? stackbuf : malloc(n * sizeof *mv);
  if (!mv) {
    t->oom = true;
    return;
  }
  uint32_t nm = 0;
  for (uint32_t i = t->nv - n; i < t->nv; i++) {
    const ventry *e = &t->vs[i];
    int32_t w = width(e->type);
    mv[nm++] = (pmove){dst, e->kind == V_CONST ? -1 : e->slot, w, e};
    dst += w;
  }
  /* the last value was just computed into its slot: compute it into its
   * destination instead, unless another move still reads that slot (the
   * retargeted write happens before every copy emitted here) */
  if (nm && t->last_dst_cell >= 0) {
    pmove *last = &mv[nm - 1];
    if (last->e->kind == V_SLOT && last->src != last->dst && t->code[t->last_dst_cell].p.a == last->src &&
        !dst_is_read(mv, nm, nm - 1)) {
      t->code[t->last_dst_cell].p.a = last->dst;
      t->last_dst_cell = -1;
      last->src = last->dst;
    }
  }
  for (uint32_t j = 0; j < nm;) { /* moves already in place */
    if (mv[j].src == mv[j].dst) remove_move(mv, &nm, j);
    else j++;
  }
  int32_t scratch_base = top_end(t), scratch = scratch_base;
  while (nm) {
    uint32_t pick = UINT32_MAX;
    bool copies_left = false;
    for (uint32_t j = 0; j < nm && pick == UINT32_MAX; j++) {
      if (mv[j].src < 0) continue;
      copies_left = true;
      if (!dst_is_read(mv, nm, j)) pick = j;
    }
    if (!copies_left) break;
    if (pick == UINT32_MAX) {
      /* only cycles: save one source not saved yet to a fresh scratch slot
       * (sources are equal or disjoint, and no destination reaches the
       * scratch slots, so each save unblocks for good and this ends) */
      uint32_t j = 0;
      while (mv[j].src < 0 || mv[j].src >= scratch_base) j++;
      int32_t from = mv[j].src, w = mv[j].w;
      emit_copy(t, scratch, from, w == 2);
      for (uint32_t k = 0; k < nm; k++)
        if (mv[k].src == from) mv[k].src = scratch;
      scratch += w;
      if (scratch > t->max_slot) t->max_slot = scratch;
      continue;
    }
    emit_copy(t, mv[pick].dst, mv[pick].src, mv[pick].w == 2);
    remove_move(mv, &nm, pick);
  }
  for (uint32_t j = 0; j < nm; j++) { /* the constants */
    const ventry *e = mv[j].e;
    emit_op(t, mv[j].w == 2 ? IOP_CONST2 : IOP_CONST);
    emit_ab(t, mv[j].dst, 0);
    emit_u(t, e->imm[0]);
    if (mv[j].w == 2) emit_u(t, e->imm[1]);
  }
  if (mv != stackbuf) free(mv);
}

static bool values_in_place(tr *t, uint32_t n, int32_t dst) {
  for (uint32_t i = t->nv - n; i < t->nv; i++) {
    if (t->vs[i].kind != V_SLOT || t->vs[i].slot != dst) return false;
    dst += width(t->vs[i].type);
  }
  return true;
}

static void add_patch(tr *t, cframe *f, uint32_t cell_index) {
  if (!rt_grow((void **)&f->patches, &f->cap_patches, f->npatches + 1, sizeof *f->patches)) t->oom = true;
  else f->patches[f->npatches++] = cell_index;
}

/* Emits the jump part of a branch to frame `f` (values already moved). */
static void jump_to(tr *t, cframe *f) {
  if (f == &t->cs[0]) { /* the function's own label: return */
    emit_op(t, IOP_RETURN);
    return;
  }
  if (!rt_grow((void **)&t->brs, &t->cap_brs, t->nbrs + 1, sizeof *t->brs)) t->oom = true;
  else t->brs[t->nbrs++] = t->n;
  emit_op(t, IOP_BR);
  if (f->op == OP_LOOP) emit_target(t, f->loop_target);
  else add_patch(t, f, emit_target(t, UINT32_MAX));
}

/* A full branch to depth: move the label values, then jump. */
static void branch(tr *t, uint32_t depth) {
  cframe *f = &t->cs[t->nc - 1 - depth];
  const wm_valtype *types;
  uint32_t n = label_arity(f, &types);
  move_values(t, n, f == &t->cs[0] ? 0 : f->base);
  jump_to(t, f);
}

static void set_unreachable(tr *t) {
  cframe *f = &t->cs[t->nc - 1];
  t->nv = f->height;
  f->unreachable = true;
}

static void resolve(tr *t, uint32_t cell_index, uint32_t target) { t->code[cell_index].u = target; }

/* The fused branch at `s` (just rewritten from a compare, its target not yet
 * emitted) tests slot `a`. If the instruction before it is `a = x + k`
 * (I32_ADD_K, or I32_SUB_K as `x + (-k)`: counting down), the two become one
 * ADDK_ form: [h][a, x][k][b | imm]. */
static void fuse_addk(tr *t, uint32_t s, int32_t a, interp_op br) {
  uint32_t p = t->prev_start;
  if (p + 3 != s || t->code[p + 1].p.a != a) return;
  if (t->code[p].h == t->h[IOP_I32_SUB_K]) {
    t->code[p].h = t->h[IOP_I32_ADD_K];
    t->code[p + 2].u = WR_u32(0u - (uint32_t)t->code[p + 2].u);
  }
  if (t->code[p].h != t->h[IOP_I32_ADD_K]) return;
  bool k = br >= IOP_BR_I32_EQ_K;
  interp_op fused = (interp_op)((k ? IOP_ADDK_BR_EQ_K : IOP_ADDK_BR_EQ) + (br - (k ? IOP_BR_I32_EQ_K : IOP_BR_I32_EQ)));
  t->code[p].h = t->h[fused];
  if (k) t->code[p + 3] = t->code[s + 2];
  else t->code[p + 3] = (cell){.p = {t->code[s + 1].p.b, 0}};
  drop_adj(t, p + 1); /* the op at s is gone into the one at p, which grows */
  cut(t, p + 4);
  t->last_start = t->prev_start = p;
}

/* Rewrites the compare at last_start into branch `br`: [cmp][dst, a][b]
 * becomes [br][a, b], or with an immediate [cmp_k][dst, a][imm] becomes
 * [br_k][a][imm] (`k`). i32 compares may also absorb an addition before them
 * (`addk`, fuse_addk). Emits and returns the target cell. */
static uint32_t compare_to_branch(tr *t, bool k, interp_op br, bool addk) {
  uint32_t s = t->last_start;
  int32_t a = t->code[s + 1].p.b;
  t->code[s].h = t->h[br];
  t->code[s + 1].p.a = a;
  if (k) {
    cut(t, s + 3);
  } else {
    t->code[s + 1].p.b = t->code[s + 2].p.a;
    cut(t, s + 2);
  }
  t->last_dst_cell = -1;
  if (addk) fuse_addk(t, s, a, br);
  return emit_target(t, UINT32_MAX);
}

/* If the last instruction was an i32 compare writing `slot`, turns it into a
 * fused compare-and-branch (negated when `negate`) and returns the cell that
 * holds the branch target; UINT32_MAX if no fusion applies. */
static uint32_t fuse_compare(tr *t, int32_t slot, bool negate) {
  static const struct { interp_op cmp, br, neg; } pairs[] = {
    {IOP_I32_EQ, IOP_BR_I32_EQ, IOP_BR_I32_NE},     {IOP_I32_NE, IOP_BR_I32_NE, IOP_BR_I32_EQ},
    {IOP_I32_LT_S, IOP_BR_I32_LT_S, IOP_BR_I32_GE_S}, {IOP_I32_LT_U, IOP_BR_I32_LT_U, IOP_BR_I32_GE_U},
    {IOP_I32_GT_S, IOP_BR_I32_GT_S, IOP_BR_I32_LE_S}, {IOP_I32_GT_U, IOP_BR_I32_GT_U, IOP_BR_I32_LE_U},
    {IOP_I32_LE_S, IOP_BR_I32_LE_S, IOP_BR_I32_GT_S}, {IOP_I32_LE_U, IOP_BR_I32_LE_U, IOP_BR_I32_GT_U},
    {IOP_I32_GE_S, IOP_BR_I32_GE_S, IOP_BR_I32_LT_S}, {IOP_I32_GE_U, IOP_BR_I32_GE_U, IOP_BR_I32_LT_U},
  };
  if (t->last_dst_cell < 0 || t->code[t->last_dst_cell].p.a != slot) return UINT32_MAX;
  const void *h = t->code[t->last_start].h;
  if (h == t->h[IOP_I32_EQZ]) { /* [eqz][dst, a] -> [br_unless a][target] (or br_if when negated) */
    uint32_t s = t->last_start;
    int32_t a = t->code[s + 1].p.b;
    t->code[s].h = t->h[negate ? IOP_BR_IF : IOP_BR_UNLESS];
    t->code[s + 1].p.a = a;
    t->code[s + 1].p.b = 0;
    cut(t, s + 2);
    t->last_dst_cell = -1;
    return emit_target(t, UINT32_MAX);
  }
  static const interp_op others[][2] = { /* compare, its BRT_ family */
#define C(id, ...) {IOP_##id, IOP_BRT_##id},
    INTERP_CMP_BRANCHES(C)
#undef C
  };
  for (size_t k = 0; k < sizeof others / sizeof others[0]; k++) {
    interp_op br = (interp_op)(others[k][1] + (negate ? 1 : 0));
    if (h == t->h[others[k][0]]) return compare_to_branch(t, false, br, false);
    if (h == t->h[others[k][0] + 1]) return compare_to_branch(t, true, (interp_op)(br + 2), false);
  }
  for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
    interp_op br = negate ? pairs[k].neg : pairs[k].br;
    if (h == t->h[pairs[k].cmp]) return compare_to_branch(t, false, br, true);
    if (h == t->h[pairs[k].cmp + 1]) return compare_to_branch(t, true, (interp_op)(br + INTERP_NCMP), true);
  }
  return UINT32_MAX;
}

/* Conditional jump on the popped i32 `cond`: taken when cond != 0 (or == 0
 * when `negate`). Returns the cell holding the target. */
static uint32_t cond_jump(tr *t, int32_t cond, bool negate) {
  uint32_t at = fuse_compare(t, cond, negate);
  if (at != UINT32_MAX) return at;
  uint32_t s = t->last_start;
  if (s + 3 == t->n && t->code[s + 1].p.a == cond) {
    const void *h = t->code[s].h;
    interp_op fused = IOP_COUNT_;
    if (h == t->h[IOP_I32_SUB_K]) { /* `x - k` is `x + (-k)` */
      t->code[s + 2].u = WR_u32(0u - (uint32_t)t->code[s + 2].u);
      h = t->h[IOP_I32_ADD_K];
    }
    if (h == t->h[IOP_I32_ADD_K]) fused = negate ? IOP_ADDK_BR_UNLESS : IOP_ADDK_BR_IF;
    else if (h == t->h[IOP_I32_AND_K]) fused = negate ? IOP_ANDK_BR_UNLESS : IOP_ANDK_BR_IF;
    if (fused != IOP_COUNT_) {
      /* `x + k` tested right away (a counter that counts down to zero), or
       * `x & k` (a flag test) */
      t->code[s].h = t->h[fused];
      t->last_dst_cell = -1;
      t->prev_start = s;
      return emit_target(t, UINT32_MAX);
    }
  }
  emit_op(t, negate ? IOP_BR_UNLESS : IOP_BR_IF);
  emit_ab(t, cond, 0);
  return emit_target(t, UINT32_MAX);
}

/* ---- immediates ---------------------------------------------------------------- */

static uint32_t u32(tr *t) {
  uint32_t v = 0;
  reader_u32(&t->r, &v);
  return v;
}

/* ---- numeric instructions --------------------------------------------------------- */

/* wasm opcode -> internal op for everything with a fixed signature and its own handler. */
static int interp_op_of(wm_opcode op) {
  switch (op) {
#define C(id, ...) case OP_##id: return IOP_##id;
    SEM_INT_BINOPS(C) SEM_FLOAT_BINOPS(C) SEM_BITS_BINOPS(C) SEM_UNOPS(C) INTERP_SPECIAL_OPS(C)
#undef C
  default: return -1;
  }
}

/* The fused-address form of a load or store, or -1. */
static int addr_form(int iop) {
  switch (iop) {
#define C(id, ...) case IOP_##id: return IOP_##id##_A;
    SEM_LOAD_OPS(C) SEM_STORE_OPS(C)
#undef C
  default: return -1;
  }
}

/* Starts a load or store in form `iop` whose first address operand is slot
 * `base`: drops the address entry (the caller has dealt with it), pops a
 * store's value, pushes a load's result, and emits [h][dst, base] or
 * [h][base, value]; the caller emits the remaining cells. */
static void access_head(tr *t, int iop, bool load, wm_valtype rt, int32_t base) {
  if (load) {
    t->nv--;
    int32_t dst = push_slot(t, rt);
    emit_op(t, (interp_op)iop);
    emit_ab(t, dst, base);
    mark_dst(t);
  } else {
    int32_t v = pop_slot(t);
    t->nv--;
    emit_op(t, (interp_op)iop);
    emit_ab(t, base, v);
  }
}

/* Whether the i32.add_k at s0 adds to a value the instruction just before it
 * shifted left by a constant into a stack temporary (so nothing else reads
 * the shifted value): the two fold into an _S address. */
static bool scaled_index(const tr *t, uint32_t s0) {
  uint32_t p0 = t->prev_start;
  if (p0 == s0 || p0 + 3 != s0 || t->code[p0].h != t->h[IOP_I32_SHL_K]) return false;
  int32_t shifted = t->code[p0 + 1].p.a;
  return shifted == t->code[s0 + 1].p.b && shifted >= t->nlocal_slots;
}

/* The immediate-value form of a store. */
static int store_k_form(int iop) {
  switch (iop) {
#define C(id, ...) case IOP_##id: return IOP_##id##_K;
    SEM_STORE_OPS(C)
#undef C
  default: return -1;
  }
}

static bool has_k_form(wm_opcode op) {
  switch (op) {
#define C(id, ...) case OP_##id:
    SEM_INT_BINOPS(C) SEM_FLOAT_BINOPS(C)
#undef C
    return true;
  default: return false;
  }
}

/* The operator that gives the same result with its operands swapped: the op
 * itself when commutative, the mirrored compare (a < b is b > a, for floats
 * too), or OP_COUNT_ when there is none. Float add and mul qualify: the
 * result is the same number, and the NaN produced for NaN inputs is any NaN
 * the spec allows. */
static wm_opcode swapped(wm_opcode op) {
  switch (op) {
  case OP_I32_ADD: case OP_I32_MUL: case OP_I32_AND: case OP_I32_OR: case OP_I32_XOR: case OP_I32_EQ:
  case OP_I32_NE: case OP_I64_ADD: case OP_I64_MUL: case OP_I64_AND: case OP_I64_OR: case OP_I64_XOR:
  case OP_I64_EQ: case OP_I64_NE: case OP_F32_ADD: case OP_F32_MUL: case OP_F32_EQ: case OP_F32_NE:
  case OP_F64_ADD: case OP_F64_MUL: case OP_F64_EQ: case OP_F64_NE: return op;
  case OP_I32_LT_S: return OP_I32_GT_S; case OP_I32_GT_S: return OP_I32_LT_S;
  case OP_I32_LT_U: return OP_I32_GT_U; case OP_I32_GT_U: return OP_I32_LT_U;
  case OP_I32_LE_S: return OP_I32_GE_S; case OP_I32_GE_S: return OP_I32_LE_S;
  case OP_I32_LE_U: return OP_I32_GE_U; case OP_I32_GE_U: return OP_I32_LE_U;
  case OP_I64_LT_S: return OP_I64_GT_S; case OP_I64_GT_S: return OP_I64_LT_S;
  case OP_I64_LT_U: return OP_I64_GT_U; case OP_I64_GT_U: return OP_I64_LT_U;
  case OP_I64_LE_S: return OP_I64_GE_S; case OP_I64_GE_S: return OP_I64_LE_S;
  case OP_I64_LE_U: return OP_I64_GE_U; case OP_I64_GE_U: return OP_I64_LE_U;
  case OP_F32_LT: return OP_F32_GT; case OP_F32_GT: return OP_F32_LT;
  case OP_F32_LE: return OP_F32_GE; case OP_F32_GE: return OP_F32_LE;
  case OP_F64_LT: return OP_F64_GT; case OP_F64_GT: return OP_F64_LT;
  case OP_F64_LE: return OP_F64_GE; case OP_F64_GE: return OP_F64_LE;
  default: return OP_COUNT_;
  }
}

static wm_valtype sig_type(const tr *t, char ch) {
  switch (ch) {
  case 'i': return WASM_I32;
  case 'I': return WASM_I64;
  case 'f': return WASM_F32;
  case 'F': return WASM_F64;
  case 'v': return WASM_V128;
  default: return t->m->nmems && t->m->mems[0].type.limits.is64 ? WASM_I64 : WASM_I32;
  }
}

/* A commutative binary op (both operands in slots) whose operand was made
 * by the instruction just before and is used only here: a shift or rotate by
 * a constant (INTERP_SHIFT_FUSIONS), a mask (INTERP_MASK_FUSIONS), a plain
 * load (INTERP_LOAD_FUSIONS) or an operator of two slots
 * (INTERP_SLOT_FUSIONS). The two become one instruction and the temporary is
 * never written. */
enum { FUSE_IMM, FUSE_LOAD, FUSE_SLOTS };
static bool fuse_operand(tr *t, wm_opcode op, wm_valtype rt) {
  static const struct { wm_opcode outer; interp_op inner, fused; uint8_t kind; uint32_t kmask; } forms[] = {
#define S(id, outer, inner, ty, ...) {OP_##outer, IOP_##inner##_K, IOP_##id, FUSE_IMM, sizeof(RD_##ty(0)) * 8 - 1},
#define M(id, outer, inner, ...) {OP_##outer, IOP_##inner##_K, IOP_##id, FUSE_IMM, UINT32_MAX},
#define L(id, outer, inner, ...) {OP_##outer, IOP_##inner, IOP_##id, FUSE_LOAD, 0},
#define W(id, outer, inner, ...) {OP_##outer, IOP_##inner, IOP_##id, FUSE_SLOTS, 0},
    INTERP_SHIFT_FUSIONS(S) INTERP_MASK_FUSIONS(M) INTERP_LOAD_FUSIONS(L) INTERP_SLOT_FUSIONS(W)
    INTERP_ARITH_MASK_FUSIONS(M) INTERP_ARITH_SLOT_FUSIONS(W)
#undef S
#undef M
#undef L
#undef W
  };
  if (t->last_dst_cell < 0) return false;
  uint32_t s0 = t->last_start, p0 = t->prev_start;
  int32_t tmp = t->code[t->last_dst_cell].p.a;
  ventry *b = &t->vs[t->nv - 1], *a = &t->vs[t->nv - 2];
  bool right = b->kind == V_SLOT && b->slot == tmp, left = a->kind == V_SLOT && a->slot == tmp;
  if (right == left || a->kind == V_CONST || b->kind == V_CONST) return false;
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    if (forms[i].outer != op || t->code[s0].h != t->h[forms[i].inner]) continue;
    int32_t src = t->code[s0 + 1].p.b, other = right ? a->slot : b->slot;
    uint64_t imm = t->code[s0 + 2].u;
    if (forms[i].kind == FUSE_IMM && forms[i].kmask == UINT32_MAX && imm > UINT32_MAX) return false; /* an i64 mask too wide */
    cut(t, s0);
    t->nv -= 2;
    int32_t dst = push_slot(t, rt);
    emit_op(t, forms[i].fused);
    emit_ab(t, dst, other);
    if (forms[i].kind == FUSE_LOAD) { /* [h][dst, a][addr][offset] */
      emit_ab(t, src, 0);
      emit_u(t, imm);
    } else if (forms[i].kind == FUSE_SLOTS) { /* [h][dst, a][v, w] */
      emit_ab(t, src, (int32_t)(uint32_t)imm);
    } else { /* [h][dst, a][v, k] */
      emit_ab(t, src, (int32_t)(uint32_t)(imm & forms[i].kmask));
    }
    mark_dst(t);
    t->prev_start = p0; /* the instruction before the fused one is still there */
    return true;
  }
  return false;
}

/* `x op k` of the temporary the instruction just before computed (its
 * destination slot holds the top entry `a`, used only here):
 *   (x +/- k1) +/- k2  is  x + (k1 +/- k2)    one add of the folded constant
 *   (x & k1) & k2      is  x & (k1 & k2)
 *   (x + y) + k        is  one I32_ADD2K (i32)
 * Wrapping adds are associative, so each is exactly the two instructions.
 * The constant is popped; `a` stays, holding the result. */
static bool fold_constant(tr *t, wm_opcode op, uint64_t k2) {
  bool i64 = op == OP_I64_ADD || op == OP_I64_SUB || op == OP_I64_AND;
  uint32_t s0 = t->last_start;
  const void *h = t->code[s0].h;
  if (op == OP_I32_AND || op == OP_I64_AND) {
    if (h != t->h[i64 ? IOP_I64_AND_K : IOP_I32_AND_K]) return false;
    t->code[s0 + 2].u &= k2;
    t->nv--;
    return true;
  }
  interp_op addk = i64 ? IOP_I64_ADD_K : IOP_I32_ADD_K, subk = i64 ? IOP_I64_SUB_K : IOP_I32_SUB_K;
  bool sub = op == OP_I32_SUB || op == OP_I64_SUB;
  if (h == t->h[addk] || h == t->h[subk]) {
    uint64_t k1 = t->code[s0 + 2].u;
    if (h == t->h[subk]) k1 = 0 - k1;
    uint64_t k = sub ? k1 - k2 : k1 + k2;
    t->code[s0].h = t->h[addk];
    t->code[s0 + 2].u = i64 ? k : (uint32_t)k;
    t->nv--;
    return true;
  }
  if (!i64 && !sub && h == t->h[IOP_I32_ADD]) {
    uint32_t p0 = t->prev_start;
    int32_t x = t->code[s0 + 1].p.b, y = t->code[s0 + 2].p.a;
    cut(t, s0);
    t->nv -= 2;
    int32_t dst = push_slot(t, WASM_I32);
    emit_op(t, IOP_I32_ADD2K);
    emit_ab(t, dst, x);
    emit_ab(t, y, (int32_t)(uint32_t)k2);
    mark_dst(t);
    t->prev_start = p0;
    return true;
  }
  return false;
}

/* i64.extend_i32_u of a value the instruction just before computed into a
 * stack slot with an i32 integer operator (or i32/i64 eqz): those write the
 * result zero-extended to the whole slot (WR_u32 / WR_i32), so the slot
 * already holds the i64 and only the entry's type changes. Any other i32 in a
 * slot may carry high bits (i32.wrap_i64 is free, above), so it is extended
 * for real. Compares feeding 64-bit carry arithmetic (`c = s < a` as an i64)
 * are the common case. */
static bool extends_free(tr *t) {
  ventry *e = &t->vs[t->nv - 1];
  if (e->kind != V_SLOT || t->last_dst_cell < 0 || t->code[t->last_dst_cell].p.a != e->slot) return false;
  const void *h = t->code[t->last_start].h;
  if (h == t->h[IOP_I32_EQZ] || h == t->h[IOP_I64_EQZ]) goto free_extend;
#define Z(id, ta, tr, ...)                                                                           \
  if (sizeof(RD_##tr(0)) == 4 && (h == t->h[IOP_##id] || h == t->h[IOP_##id##_K])) goto free_extend;
  SEM_INT_BINOPS(Z)
#undef Z
  return false;
free_extend:
  e->type = WASM_I64;
  return true;
}

/* ---- arithmetic and memory fusions (interp.h, INTERP_ARITH_OPS) ---- */

/* `a op load(q + k)`: a load at `q + k` (the _A form) into a temporary used
 * only by the add or mul just after it becomes one instruction
 * (INTERP_LOAD_A_FUSIONS; the plain load's case is fuse_operand's).
 * Unrolled loops read x[j + 1] this way, table lookups at `i + base`. */
static bool fuse_load_a(tr *t, wm_opcode op, wm_valtype rt) {
  static const struct { wm_opcode outer; interp_op load, fused; } forms[] = {
#define L(id, outer, inner, ...) {OP_##outer, IOP_##inner, IOP_##id},
    INTERP_LOAD_A_FUSIONS(L)
#undef L
  };
  if (t->last_dst_cell < 0) return false;
  uint32_t s0 = t->last_start, p0 = t->prev_start;
  int32_t tmp = t->code[t->last_dst_cell].p.a;
  ventry *b = &t->vs[t->nv - 1], *a = &t->vs[t->nv - 2];
  bool right = b->kind == V_SLOT && b->slot == tmp, left = a->kind == V_SLOT && a->slot == tmp;
  if (right == left || a->kind == V_CONST || b->kind == V_CONST) return false;
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    if (forms[i].outer != op || t->code[s0].h != t->h[forms[i].load]) continue;
    int32_t q = t->code[s0 + 1].p.b, other = right ? a->slot : b->slot;
    uint64_t k = t->code[s0 + 2].u, off = t->code[s0 + 3].u;
    cut(t, s0);
    t->nv -= 2;
    int32_t dst = push_slot(t, rt);
    emit_op(t, forms[i].fused);
    emit_ab(t, dst, other);
    emit_ab(t, q, 0);
    emit_u(t, k);
    emit_u(t, off);
    mark_dst(t);
    t->ma_at = t->last_start;
    t->ma_tee = p0 != s0 && p0 + 3 == s0 && t->code[p0].h == t->h[IOP_I32_ADD_K] ? p0 : UINT32_MAX;
    t->prev_start = p0; /* the instruction before the fused one is still there */
    return true;
  }
  return false;
}

/* Just made a shift fusion at last_start, `x op shifted(v, k2)`: if x is a
 * temporary the instruction just before computed from y with a constant
 * (used only here), the two become one instruction [h][dst, y][v, k2][k1]:
 *   rotl(y, k1) ^ rotl(v, k2)   ROTL2_XOR(64): SHA-2's sigma functions, ARX hashes
 *   (y & k1) | (v << k2)        ANDK_OR_SHL(64): a word assembled from halves */
static void fuse_pair_first(tr *t) {
  static const struct { interp_op fused, first, pair; uint64_t kmask; } forms[] = {
    {IOP_XOR_ROTL, IOP_I32_ROTL_K, IOP_ROTL2_XOR, 31}, {IOP_XOR_ROTL64, IOP_I64_ROTL_K, IOP_ROTL2_XOR64, 63},
    {IOP_OR_SHL, IOP_I32_AND_K, IOP_ANDK_OR_SHL, UINT64_MAX},
    {IOP_OR_SHL64, IOP_I64_AND_K, IOP_ANDK_OR_SHL64, UINT64_MAX},
  };
  uint32_t s0 = t->last_start, p0 = t->prev_start;
  if (p0 == s0 || p0 + 3 != s0) return;
  for (size_t i = 0; i < sizeof forms / sizeof forms[0]; i++) {
    if (t->code[s0].h != t->h[forms[i].fused] || t->code[p0].h != t->h[forms[i].first]) continue;
    int32_t x = t->code[s0 + 1].p.b;
    if (t->code[p0 + 1].p.a != x || x < t->nlocal_slots) return;
    int32_t y = t->code[p0 + 1].p.b, dst = t->code[s0 + 1].p.a;
    uint64_t k1 = t->code[p0 + 2].u & forms[i].kmask;
    cell vk = t->code[s0 + 2];
    cut(t, p0);
    t->last_start = p0; /* what came before p0 is not known here */
    emit_op(t, forms[i].pair);
    emit_ab(t, dst, y);
    emit_cell(t, vk);
    emit_u(t, k1);
    mark_dst(t);
    return;
  }
}

/* `p[i] += a * x[j]` where the product read memory (F64_MUL_M or
 * F64_MUL_MA at p0, its result the temporary `x` that the F64_ADD_M at s0
 * adds to p's word): one F64_MULADD_MM in place of both. The caller has
 * checked that the store writes back where the add read. */
static bool fuse_muladd_mm(tr *t, uint32_t p0, uint32_t s0, int32_t x, int32_t p, uint64_t poff) {
  bool ma = t->code[p0].h == t->h[IOP_F64_MUL_MA];
  if (p0 == s0 || x < t->nlocal_slots || t->code[p0 + 1].p.a != x) return false;
  if (!(ma ? p0 + 5 == s0 : p0 + 4 == s0 && t->code[p0].h == t->h[IOP_F64_MUL_M])) return false;
  int32_t a = t->code[p0 + 1].p.b, q = t->code[p0 + 2].p.a;
  uint64_t k = ma ? t->code[p0 + 3].u : 0, qoff = t->code[p0 + (ma ? 4 : 3)].u;
  /* `p = src + kp` just before the product (`*(p += 8) += a * x[j + 1]`,
   * unrolled pointer walks): the update rides along too, first, as in wasm */
  uint32_t tee = ma && t->ma_at == p0 ? t->ma_tee : UINT32_MAX;
  bool with_tee = tee != UINT32_MAX && tee + 3 == p0 && t->code[tee].h == t->h[IOP_I32_ADD_K] &&
                  t->code[tee + 1].p.a == p;
  int32_t src = with_tee ? t->code[tee + 1].p.b : 0;
  uint64_t kp = with_tee ? t->code[tee + 2].u : 0;
  uint32_t at = with_tee ? tee : p0;
  cut(t, at);
  t->last_start = at;
  emit_op(t, with_tee ? IOP_F64_MULADD_MM_T : IOP_F64_MULADD_MM);
  emit_ab(t, a, q);
  emit_u(t, k);
  emit_u(t, qoff);
  emit_ab(t, p, src);
  emit_u(t, poff);
  if (with_tee) emit_u(t, kp);
  return true;
}

static void numeric(tr *t, wm_opcode op, const wm_opinfo *info) {
  if (op == OP_I32_WRAP_I64) {
    /* Free: every i32 reader uses only a slot's low 32 bits, so the i64 value
     * already is its wrapped i32. Only the entry's type changes. */
    ventry *e = &t->vs[t->nv - 1];
    e->type = WASM_I32;
    if (e->kind == V_CONST) e->imm[0] = (uint32_t)e->imm[0];
    return;
  }
  if (op == OP_I64_EXTEND_I32_U && extends_free(t)) return;
  int iop = interp_op_of(op);
  if (iop < 0 || !info->sig) { /* an instruction without a handler: refuse rather than guess */
    t->unsupported = true;
    return;
  }
  const char *gt = strchr(info->sig, '>');
  int nin = (int)(gt - info->sig);
  wm_valtype rt = sig_type(t, gt[1]);
  if (nin == 2) {
    ventry *b = &t->vs[t->nv - 1], *a = &t->vs[t->nv - 2];
    if (has_k_form(op) && a->kind == V_CONST && b->kind != V_CONST && swapped(op) != OP_COUNT_) {
      op = swapped(op);
      iop = interp_op_of(op);
      /* swap so the constant is on the right; each value keeps its location
       * (`slot`), only the stack positions change */
      ventry tmp = *a;
      int32_t ca = a->canon, cb = b->canon;
      *a = *b;
      *b = tmp;
      a->canon = ca;
      b->canon = cb;
    }
    if (op == OP_I32_AND && b->kind == V_CONST && a->kind == V_SLOT && t->last_dst_cell >= 0 &&
        t->code[t->last_dst_cell].p.a == a->slot && t->code[t->last_start].h == t->h[IOP_I32_SHR_U_K]) {
      /* (x >> s) & mask, the shift used only here: one bit-field extract */
      uint32_t s0 = t->last_start;
      int32_t src = t->code[s0 + 1].p.b, sh = (int32_t)(t->code[s0 + 2].u & 31);
      uint32_t mask = (uint32_t)b->imm[0];
      cut(t, s0);
      t->nv -= 2;
      int32_t dst = push_slot(t, rt);
      emit_op(t, IOP_SHRU_ANDK);
      emit_ab(t, dst, src);
      emit_ab(t, sh, (int32_t)mask);
      mark_dst(t);
      return;
    }
    if (b->kind == V_CONST && a->kind == V_SLOT && t->last_dst_cell >= 0 &&
        t->code[t->last_dst_cell].p.a == a->slot && (op == OP_I32_ADD || op == OP_I32_SUB || op == OP_I64_ADD ||
                                                    op == OP_I64_SUB || op == OP_I32_AND || op == OP_I64_AND)) {
      if (fold_constant(t, op, b->imm[0])) return;
    }
    if (has_k_form(op) && b->kind == V_CONST) {
      uint64_t imm = b->imm[0];
      t->nv--;
      int32_t sa = pop_slot(t);
      int32_t dst = push_slot(t, rt);
      emit_op(t, (interp_op)(iop + 1));
      emit_ab(t, dst, sa);
      emit_u(t, imm);
      mark_dst(t);
      return;
    }
    if (fuse_operand(t, op, rt)) {
      fuse_pair_first(t);
      return;
    }
    if (fuse_load_a(t, op, rt)) return;
    if ((op == OP_F64_ADD || op == OP_F64_SUB) && t->last_dst_cell >= 0 &&
        t->code[t->last_start].h == t->h[IOP_F64_MUL]) {
      /* a product computed just before, used once here: fuse the two */
      int32_t prod = t->code[t->last_dst_cell].p.a;
      bool right = b->kind == V_SLOT && b->slot == prod, left = a->kind == V_SLOT && a->slot == prod;
      if ((right || left) && !(right && left) && (right ? a->kind : b->kind) != V_CONST) {
        uint32_t s0 = t->last_start;
        int32_t ma = t->code[s0 + 1].p.b, mb = t->code[s0 + 2].p.a;
        int32_t other = right ? a->slot : b->slot;
        cut(t, s0);
        t->nv -= 2;
        int32_t dst = push_slot(t, rt);
        emit_op(t, op == OP_F64_ADD ? IOP_F64_MULADD : right ? IOP_F64_SUBMUL : IOP_F64_MULSUB);
        emit_ab(t, dst, ma);
        emit_ab(t, mb, other);
        mark_dst(t);
        return;
      }
    }
    int32_t sb = pop_slot(t);
    int32_t sa = pop_slot(t);
    int32_t dst = push_slot(t, rt);
    emit_op(t, (interp_op)iop);
    emit_ab(t, dst, sa);
    emit_ab(t, sb, 0);
    mark_dst(t);
    return;
  }
  int32_t sa = pop_slot(t);
  int32_t dst = push_slot(t, rt);
  emit_op(t, (interp_op)iop);
  emit_ab(t, dst, sa);
  mark_dst(t);
}

static void simd(tr *t, wm_opcode op, const wm_opinfo *info) {
  const char *gt = strchr(info->sig, '>');
  int nin = (int)(gt - info->sig);
  uint8_t lane = 0;
  if (info->imm == IMM_LANE) reader_u8(&t->r, &lane);
  int32_t in[3] = {0, 0, 0};
  if (info->imm == IMM_SHUFFLE) { /* the 16 lane indices travel as a third, constant operand */
    const uint8_t *p;
    reader_bytes(&t->r, 16, &p);
    uint64_t lo, hi;
    memcpy(&lo, p, 8);
    memcpy(&hi, p + 8, 8);
    push_const(t, WASM_V128, lo, hi);
    nin = 3;
  }
  for (int i = nin; i-- > 0;) in[i] = pop_slot(t);
  int32_t dst = gt[1] ? push_slot(t, sig_type(t, gt[1])) : 0;
  emit_op(t, IOP_SIMD);
  emit_ab(t, dst, in[0]);
  emit_ab(t, in[1], in[2]);
  emit_ab(t, (int32_t)op, lane);
  if (gt[1]) mark_dst(t);
}

static void simd_memory(tr *t, wm_opcode op, const wm_opinfo *info) {
  uint32_t align = u32(t), offset = u32(t);
  (void)align;
  uint8_t lane = 0;
  if (info->imm == IMM_MEMARG_LANE) reader_u8(&t->r, &lane);
  int32_t size = 1 << info->arg;
  const char *gt = strchr(info->sig, '>');
  bool store = gt[1] == 0;
  if (store) {
    int32_t v = pop_slot(t), addr = pop_slot(t);
    emit_op(t, IOP_SIMD_STORE);
    emit_ab(t, addr, v);
    emit_u(t, offset);
    emit_ab(t, (int32_t)op, lane);
    emit_ab(t, size, 0);
    return;
  }
  int32_t old = 0;
  if (info->imm == IMM_MEMARG_LANE) old = pop_slot(t);
  int32_t addr = pop_slot(t);
  int32_t dst = push_slot(t, WASM_V128);
  emit_op(t, IOP_SIMD_LOAD);
  emit_ab(t, dst, addr);
  emit_u(t, offset);
  emit_ab(t, (int32_t)op, lane);
  emit_ab(t, old, size);
}

/* ---- the instruction loop -------------------------------------------------------- */

static bool current_dead(const tr *t) {
  const cframe *f = &t->cs[t->nc - 1];
  return f->dead || f->unreachable;
}

/* Control-flow joins: what was known about locals' values no longer holds. */
static void forget_locals(tr *t) { memset(t->known_set, 0, t->nlocals); }

static void local_set(tr *t, uint32_t x, bool tee) {
  int32_t ls = t->local_slot[x];
  ventry v = t->vs[t->nv - 1];
  bool k = v.kind == V_CONST && width(v.type) == 1;
  if (k && t->known_set[x] && t->known_val[x] == v.imm[0]) { /* it already holds that constant */
    t->nv--;
    if (tee) push_local(t, x);
    return;
  }
  t->known_set[x] = k;
  t->known_val[x] = v.imm[0];
  bool aliased = false;
  for (uint32_t i = 0; i + 1 < t->nv; i++)
    if (t->vs[i].kind == V_LOCAL && t->vs[i].slot == ls) aliased = true;
  if (v.kind == V_LOCAL && v.slot == ls) { /* local.get x; local.set x */
    t->nv--;
    if (tee) push_local(t, x);
    return;
  }
  if (aliased) { /* entries still reading the old value get their own copy first */
    for (uint32_t i = 0; i + 1 < t->nv; i++)
      if (t->vs[i].kind == V_LOCAL && t->vs[i].slot == ls) materialize(t, &t->vs[i]);
  }
  t->nv--;
  if (v.kind == V_SLOT && !aliased && t->last_dst_cell >= 0 && t->code[t->last_dst_cell].p.a == v.slot) {
    t->code[t->last_dst_cell].p.a = ls; /* write the result straight into the local */
  } else if (v.kind == V_CONST) {
    emit_op(t, width(v.type) == 2 ? IOP_CONST2 : IOP_CONST);
    emit_ab(t, ls, 0);
    emit_u(t, v.imm[0]);
    if (width(v.type) == 2) emit_u(t, v.imm[1]);
  } else {
    emit_copy(t, ls, v.slot, width(v.type) == 2);
  }
  t->last_dst_cell = -1;
  if (tee) push_local(t, x);
}

static void call(tr *t, wrun_func *callee, const wm_functype *ft, bool indirect, rt_table *table) {
  int32_t idx = indirect ? pop_slot(t) : 0;
  uint32_t np = ft->nparams;
  for (uint32_t i = t->nv - np; i < t->nv; i++) materialize(t, &t->vs[i]);
  int32_t argbase = np ? t->vs[t->nv - np].canon : top_end(t);
  t->nv -= np;
  int32_t pslots = 0, rslots = 0;
  for (uint32_t i = 0; i < ft->nparams; i++) pslots += width(wm_functype_params(ft)[i]);
  for (uint32_t i = 0; i < ft->nresults; i++) rslots += width(wm_functype_results(ft)[i]);
  if (argbase + pslots > t->max_slot) t->max_slot = argbase + pslots;
  if (argbase + rslots > t->max_slot) t->max_slot = argbase + rslots;
  if (indirect) {
    emit_op(t, IOP_CALL_INDIRECT);
    emit_ab(t, argbase, idx);
    emit_ptr(t, table);
    emit_ptr(t, (void *)ft);
  } else {
    /* a wasm callee of this instance runs in this loop with the same memory
     * (CALL_WASM); an AOT or host callee leaves it, and one of another
     * instance switches memories (CALL) */
    bool here = !callee->host && !callee->aot_entry && callee->inst == t->inst;
    uint32_t s0 = t->last_start;
    const void *h0 = s0 < t->n ? t->code[s0].h : NULL;
    if (here && s0 + 3 == t->n && t->last_dst_cell == (int32_t)s0 + 1 && t->code[s0 + 1].p.a >= argbase &&
        (h0 == t->h[IOP_I32_ADD_K] || h0 == t->h[IOP_I32_SUB_K])) {
      /* an argument computed as `x + k` / `x - k` just before (n - 1 in
       * recursions) rides along with the call */
      cell mv = t->code[s0 + 1];
      uint64_t k = t->code[s0 + 2].u;
      if (h0 == t->h[IOP_I32_SUB_K]) k = WR_u32(0u - (uint32_t)k);
      cut(t, s0);
      emit_op(t, IOP_CALL_WASM_ADDK);
      emit_ab(t, argbase, 0);
      emit_ptr(t, callee);
      emit_ptr(t, NULL);
      emit_cell(t, mv);
      emit_u(t, k);
    } else if (here && s0 + 2 == t->n && h0 == t->h[IOP_COPY]) {
      /* the move just before (usually an argument) rides along with the call */
      cell mv = t->code[s0 + 1];
      cut(t, s0);
      emit_op(t, IOP_CALL_WASM_MOV);
      emit_ab(t, argbase, 0);
      emit_ptr(t, callee);
      emit_ptr(t, NULL);
      emit_cell(t, mv);
    } else {
      emit_op(t, here ? IOP_CALL_WASM : IOP_CALL);
      emit_ab(t, argbase, 0);
      emit_ptr(t, callee);
      if (here) emit_ptr(t, NULL); /* the callee's code, cached by its first call */
    }
  }
  for (uint32_t i = 0; i < ft->nresults; i++) push_slot(t, wm_functype_results(ft)[i]);
}

static void end_frame(tr *t) {
  cframe *f = &t->cs[t->nc - 1];
  bool live = !f->dead && !f->unreachable;
  const wm_valtype *rs = frame_results(f);
  if (live) {
    for (uint32_t i = t->nv - f->nr; i < t->nv; i++) materialize(t, &t->vs[i]);
  }
  if (t->nc == 1) { /* the function body */
    if (live) {
      move_values(t, f->nr, 0);
      emit_op(t, IOP_RETURN);
    }
    t->nc--;
    return;
  }
  if (f->op == OP_LOOP && f->check_cell) t->code[f->check_cell].u = t->ninstr - f->instr_start;
  if (f->op == OP_LOOP && f->tier_cell && t->ninstr > f->instr_start) t->code[f->tier_cell].u = t->ninstr - f->instr_start;
  uint32_t here = t->n;
  if (f->else_patch != UINT32_MAX) resolve(t, f->else_patch, here);
  for (uint32_t i = 0; i < f->npatches; i++) resolve(t, f->patches[i], here);
  free(f->patches);
  bool dead = f->dead;
  uint32_t height = f->height, nr = f->nr;
  wm_valtype single = f->single;
  const wm_valtype *results = f->results;
  t->nc--;
  t->nv = height;
  if (!dead) {
    for (uint32_t i = 0; i < nr; i++) push_slot(t, results ? results[i] : single);
  }
  (void)rs;
  t->last_dst_cell = -1;
  t->last_start = t->n; /* a join point: nothing before it may be rewritten */
  forget_locals(t);
}

/* The head of a br_table: [BR_TABLE][idx, n], or with the instruction that
 * computed the index (into a stack temporary used only here) folded in:
 *   `x - k` / `x + k` / `x >> s`  (a C switch over a range not starting at 0,
 *                                  an opcode field)    [BR_TABLE_SK][x, n][k, s]
 *   an i32 / u8 load, plain or _A  (bytecode and byte dispatch)
 *                                  [BR_TABLE_L32 / _L8][addr, n][k][offset]
 * The targets follow in every form. */
static void br_table_head(tr *t, uint32_t n) {
  ventry *e = &t->vs[t->nv - 1];
  uint32_t s0 = t->last_start;
  if (e->kind == V_SLOT && t->last_dst_cell >= 0 && t->code[t->last_dst_cell].p.a == e->slot) {
    const void *h = t->code[s0].h;
    int32_t src = t->code[s0 + 1].p.b;
    if (h == t->h[IOP_I32_SUB_K] || h == t->h[IOP_I32_ADD_K] || h == t->h[IOP_I32_SHR_U_K]) {
      uint32_t k = (uint32_t)t->code[s0 + 2].u, sh = 0;
      if (h == t->h[IOP_I32_SUB_K]) k = 0u - k;
      if (h == t->h[IOP_I32_SHR_U_K]) {
        sh = k & 31;
        k = 0;
      }
      cut(t, s0);
      t->nv--;
      emit_op(t, IOP_BR_TABLE_SK);
      emit_ab(t, src, (int32_t)n);
      emit_ab(t, (int32_t)k, (int32_t)sh);
      return;
    }
    bool l32a = h == t->h[IOP_I32_LOAD_A], l8a = h == t->h[IOP_I32_LOAD8_U_A];
    if (l32a || l8a || h == t->h[IOP_I32_LOAD] || h == t->h[IOP_I32_LOAD8_U]) {
      bool a = l32a || l8a;
      uint64_t k = a ? t->code[s0 + 2].u : 0, off = t->code[s0 + (a ? 3 : 2)].u;
      bool b8 = l8a || h == t->h[IOP_I32_LOAD8_U];
      cut(t, s0);
      t->nv--;
      emit_op(t, b8 ? IOP_BR_TABLE_L8 : IOP_BR_TABLE_L32);
      emit_ab(t, src, (int32_t)n);
      emit_u(t, k);
      emit_u(t, off);
      return;
    }
  }
  int32_t idx = pop_slot(t);
  emit_op(t, IOP_BR_TABLE);
  emit_ab(t, idx, (int32_t)n);
}

static void instr(tr *t) {
  t->op_at = (uint32_t)reader_offset(&t->r);
  wm_opcode op = wm_read_op(&t->r);
  const wm_opinfo *info = &wm_opinfos[op];
  const wm_module *m = t->m;
  uint32_t x, y;
  t->ninstr++;

  if (current_dead(t)) { /* keep only the block structure */
    if (op == OP_BLOCK || op == OP_LOOP || op == OP_IF) {
      wm_skip_imm(&t->r, t->m, info->imm);
      push_frame(t, op, NULL, 0, NULL, 0, 0, true);
    } else if (op == OP_ELSE) {
      cframe *f = &t->cs[t->nc - 1];
      if (!f->dead) { /* the then-branch ended unreachable; the else-branch is live */
        if (f->else_patch != UINT32_MAX) resolve(t, f->else_patch, t->n);
        f->else_patch = UINT32_MAX;
        f->unreachable = false;
        f->op = OP_ELSE;
        t->nv = f->height;
        for (uint32_t i = 0; i < f->np; i++) push_slot(t, f->params[i]);
        t->last_start = t->n;
        t->last_dst_cell = -1;
        forget_locals(t);
      }
    } else if (op == OP_END) {
      end_frame(t);
    } else {
      wm_skip_imm(&t->r, t->m, info->imm);
    }
    return;
  }

  switch (op) {
  case OP_UNREACHABLE:
    emit_op(t, IOP_UNREACHABLE);
    set_unreachable(t);
    return;
  case OP_NOP:
    return;
  case OP_BLOCK: case OP_LOOP: case OP_IF: {
    wm_blocktype bt;
    wm_read_blocktype(&t->r, t->m, &bt);
    const wm_valtype *ps = bt.params, *rs = bt.results;
    uint32_t np = bt.np, nr = bt.nr;
    wm_valtype single = bt.single;
    int32_t cond = op == OP_IF ? pop_slot(t) : 0;
    uint32_t before = t->n;
    materialize_all(t);
    uint32_t else_cell = UINT32_MAX;
    if (op == OP_IF) {
      if (t->n != before) t->last_dst_cell = -1; /* copies came after the compare: no fusion */
      else_cell = cond_jump(t, cond, true);
    }
    cframe *f = push_frame(t, op, ps, np, rs, nr, single, false);
    if (!f) return;
    f->else_patch = else_cell;
    f->loop_target = t->n;
    if (op == OP_LOOP && t->checks) { /* charged each iteration with the loop body's size */
      emit_op(t, IOP_CHECK);
      f->check_cell = emit_cell(t, (cell){.u = 0});
      f->instr_start = t->ninstr;
    }
    if (op == OP_LOOP && t->s->cfg.tiered) { /* tiered execution: an OSR point */
      f->tier_cell = emit_tier(t, t->op_at);
      f->instr_start = t->ninstr;
    }
    t->last_start = t->n; /* a loop head is a join point */
    t->last_dst_cell = -1;
    if (op == OP_LOOP) forget_locals(t);
    return;
  }
  case OP_ELSE: {
    cframe *f = &t->cs[t->nc - 1];
    for (uint32_t i = t->nv - f->nr; i < t->nv; i++) materialize(t, &t->vs[i]);
    emit_op(t, IOP_BR);
    add_patch(t, f, emit_target(t, UINT32_MAX));
    resolve(t, f->else_patch, t->n);
    f->else_patch = UINT32_MAX;
    f->op = OP_ELSE;
    t->nv = f->height;
    for (uint32_t i = 0; i < f->np; i++) push_slot(t, f->params[i]);
    t->last_start = t->n;
    t->last_dst_cell = -1;
    forget_locals(t); /* the else arm starts from the state before the if */
    return;
  }
  case OP_END:
    end_frame(t);
    return;
  case OP_BR:
    branch(t, u32(t));
    set_unreachable(t);
    return;
  case OP_BR_IF: {
    x = u32(t);
    cframe *f = &t->cs[t->nc - 1 - x];
    const wm_valtype *types;
    uint32_t n = label_arity(f, &types);
    int32_t cond = pop_slot(t);
    int32_t dst = f == &t->cs[0] ? 0 : f->base;
    if (f != &t->cs[0] && values_in_place(t, n, dst)) {
      uint32_t at = cond_jump(t, cond, false);
      if (f->op == OP_LOOP) {
        resolve(t, at, f->loop_target);
      } else {
        add_patch(t, f, at);
      }
      return;
    }
    uint32_t skip = cond_jump(t, cond, true);
    move_values(t, n, dst);
    jump_to(t, f);
    resolve(t, skip, t->n);
    t->last_start = t->n;
    t->last_dst_cell = -1;
    return;
  }
  case OP_BR_TABLE: {
    uint32_t n = u32(t);
    uint32_t *depths = malloc(((size_t)n + 1) * sizeof *depths);
    if (!depths) {
      t->oom = true;
      return;
    }
    for (uint32_t i = 0; i <= n; i++) depths[i] = u32(t);
    br_table_head(t, n);
    uint32_t first = t->n;
    for (uint32_t i = 0; i <= n; i++) emit_target(t, UINT32_MAX);
    for (uint32_t i = 0; i <= n; i++) { /* one stub per target: moves, then the jump */
      resolve(t, first + i, t->n);
      branch(t, depths[i]);
    }
    free(depths);
    set_unreachable(t);
    return;
  }
  case OP_RETURN:
    branch(t, t->nc - 1);
    set_unreachable(t);
    return;
  case OP_CALL:
    x = u32(t);
    call(t, t->inst->funcs[x], wm_module_func_type(m, x), false, NULL);
    return;
  case OP_CALL_INDIRECT:
    y = u32(t); /* type */
    x = u32(t); /* table */
    call(t, NULL, &m->types[y].func, true, t->inst->tables[x]);
    return;
  case OP_DROP:
    t->nv--;
    return;
  case OP_SELECT: case OP_SELECT_T: {
    if (op == OP_SELECT_T) wm_skip_imm(&t->r, t->m, info->imm);
    int32_t c = pop_slot(t);
    int32_t vb = pop_slot(t);
    wm_valtype ty = t->vs[t->nv - 1].type;
    int32_t va = pop_slot(t);
    int32_t dst = push_slot(t, ty);
    emit_op(t, width(ty) == 2 ? IOP_SELECT2 : IOP_SELECT1);
    emit_ab(t, dst, c);
    emit_ab(t, va, vb);
    mark_dst(t);
    return;
  }
  case OP_LOCAL_GET:
    push_local(t, u32(t));
    return;
  case OP_LOCAL_SET:
    local_set(t, u32(t), false);
    return;
  case OP_LOCAL_TEE:
    local_set(t, u32(t), true);
    return;
  case OP_GLOBAL_GET: {
    x = u32(t);
    wm_valtype ty = m->globals[x].type.type;
    int32_t dst = push_slot(t, ty);
    emit_op(t, width(ty) == 2 ? IOP_GLOBAL_GET2 : IOP_GLOBAL_GET1);
    emit_ab(t, dst, 0);
    emit_ptr(t, t->inst->globals[x]);
    mark_dst(t);
    return;
  }
  case OP_GLOBAL_SET: {
    x = u32(t);
    wm_valtype ty = m->globals[x].type.type;
    int32_t v = pop_slot(t);
    emit_op(t, width(ty) == 2 ? IOP_GLOBAL_SET2 : IOP_GLOBAL_SET1);
    emit_ab(t, v, 0);
    emit_ptr(t, t->inst->globals[x]);
    return;
  }
  case OP_TABLE_GET: {
    x = u32(t);
    int32_t i = pop_slot(t);
    int32_t dst = push_slot(t, m->tables[x].type.elem);
    emit_op(t, IOP_TABLE_GET);
    emit_ab(t, dst, i);
    emit_ptr(t, t->inst->tables[x]);
    mark_dst(t);
    return;
  }
  case OP_TABLE_SET: {
    x = u32(t);
    int32_t v = pop_slot(t), i = pop_slot(t);
    emit_op(t, IOP_TABLE_SET);
    emit_ab(t, i, v);
    emit_ptr(t, t->inst->tables[x]);
    return;
  }
  case OP_TABLE_SIZE: {
    x = u32(t);
    int32_t dst = push_slot(t, WASM_I32);
    emit_op(t, IOP_TABLE_SIZE);
    emit_ab(t, dst, 0);
    emit_ptr(t, t->inst->tables[x]);
    mark_dst(t);
    return;
  }
  case OP_TABLE_GROW: {
    x = u32(t);
    int32_t delta = pop_slot(t), init = pop_slot(t);
    int32_t dst = push_slot(t, WASM_I32);
    emit_op(t, IOP_TABLE_GROW);
    emit_ab(t, dst, init);
    emit_ab(t, delta, 0);
    emit_ptr(t, t->inst->tables[x]);
    return;
  }
  case OP_TABLE_FILL: {
    x = u32(t);
    int32_t n = pop_slot(t), v = pop_slot(t), i = pop_slot(t);
    emit_op(t, IOP_TABLE_FILL);
    emit_ab(t, i, v);
    emit_ab(t, n, 0);
    emit_ptr(t, t->inst->tables[x]);
    return;
  }
  case OP_TABLE_COPY: {
    x = u32(t);
    y = u32(t);
    int32_t n = pop_slot(t), s = pop_slot(t), d = pop_slot(t);
    emit_op(t, IOP_TABLE_COPY);
    emit_ab(t, d, s);
    emit_ab(t, n, 0);
    emit_ptr(t, t->inst->tables[x]);
    emit_ptr(t, t->inst->tables[y]);
    return;
  }
  case OP_TABLE_INIT: {
    y = u32(t); /* elem */
    x = u32(t); /* table */
    int32_t n = pop_slot(t), s = pop_slot(t), d = pop_slot(t);
    emit_op(t, IOP_TABLE_INIT);
    emit_ab(t, d, s);
    emit_ab(t, n, (int32_t)y);
    emit_ptr(t, t->inst->tables[x]);
    return;
  }
  case OP_ELEM_DROP:
    emit_op(t, IOP_ELEM_DROP);
    emit_ab(t, (int32_t)u32(t), 0);
    return;
  case OP_REF_NULL:
    wm_skip_imm(&t->r, t->m, info->imm);
    push_const(t, t->r.p[-1] == 0x70 ? WASM_FUNCREF : WASM_EXTERNREF, 0, 0);
    return;
  case OP_REF_FUNC:
    x = u32(t);
    push_const(t, WASM_FUNCREF, (uint64_t)(uintptr_t)t->inst->funcs[x], 0);
    return;
  case OP_REF_IS_NULL: {
    int32_t v = pop_slot(t);
    int32_t dst = push_slot(t, WASM_I32);
    emit_op(t, IOP_REF_IS_NULL);
    emit_ab(t, dst, v);
    mark_dst(t);
    return;
  }
  case OP_I32_CONST: { int32_t v = 0; reader_s32(&t->r, &v); push_const(t, WASM_I32, (uint32_t)v, 0); return; }
  case OP_I64_CONST: { int64_t v = 0; reader_s64(&t->r, &v); push_const(t, WASM_I64, (uint64_t)v, 0); return; }
  case OP_F32_CONST: { uint32_t v = 0; reader_f32(&t->r, &v); push_const(t, WASM_F32, v, 0); return; }
  case OP_F64_CONST: { uint64_t v = 0; reader_f64(&t->r, &v); push_const(t, WASM_F64, v, 0); return; }
  case OP_V128_CONST: {
    const uint8_t *p;
    uint64_t lo, hi;
    reader_bytes(&t->r, 16, &p);
    memcpy(&lo, p, 8);
    memcpy(&hi, p + 8, 8);
    push_const(t, WASM_V128, lo, hi);
    return;
  }
  case OP_MEMORY_SIZE: {
    wm_skip_imm(&t->r, t->m, info->imm);
    int32_t dst = push_slot(t, WASM_I32);
    emit_op(t, IOP_MEMORY_SIZE);
    emit_ab(t, dst, 0);
    mark_dst(t);
    return;
  }
  case OP_MEMORY_GROW: {
    wm_skip_imm(&t->r, t->m, info->imm);
    int32_t d = pop_slot(t);
    int32_t dst = push_slot(t, WASM_I32);
    emit_op(t, IOP_MEMORY_GROW);
    emit_ab(t, dst, d);
    return;
  }
  case OP_MEMORY_FILL: case OP_MEMORY_COPY: case OP_MEMORY_INIT: {
    int32_t seg = 0;
    if (op == OP_MEMORY_INIT) seg = (int32_t)u32(t);
    wm_skip_imm(&t->r, t->m, op == OP_MEMORY_INIT ? IMM_MEMORY : info->imm); /* memory.init: its index is read */
    int32_t n = pop_slot(t), s = pop_slot(t), d = pop_slot(t);
    emit_op(t, op == OP_MEMORY_FILL ? IOP_MEMORY_FILL : op == OP_MEMORY_COPY ? IOP_MEMORY_COPY : IOP_MEMORY_INIT);
    emit_ab(t, d, s);
    emit_ab(t, n, seg);
    return;
  }
  case OP_DATA_DROP:
    emit_op(t, IOP_DATA_DROP);
    emit_ab(t, (int32_t)u32(t), 0);
    return;
  default:
    break;
  }
  if (info->prefix == 0xFD) {
    if (info->imm == IMM_MEMARG || info->imm == IMM_MEMARG_LANE) simd_memory(t, op, info);
    else simd(t, op, info);
    return;
  }
  if (info->imm == IMM_MEMARG) {
    u32(t);
    uint32_t offset = u32(t);
    const char *gt = strchr(info->sig, '>');
    int iop = interp_op_of(op);
    bool load = gt[1] != 0;
    wm_valtype rt = load ? sig_type(t, gt[1]) : WASM_I32;
    ventry *ae = &t->vs[t->nv - (load ? 1 : 2)];
    int aop = addr_form(iop);
    bool fusable = aop >= 0 && !(t->m->nmems && t->m->mems[0].type.limits.is64);
    /* the _A/_X/_T forms drop the instruction that computed the address, so a
     * store's value must not have needed code of its own after it */
    bool value_free = load || t->vs[t->nv - 1].kind == V_LOCAL;
    uint32_t s0 = t->last_start;
    if (fusable && ae->kind == V_CONST) {
      /* a constant address (globals in linear memory): ea = k + offset */
      uint64_t ea = (uint64_t)(uint32_t)ae->imm[0] + offset;
      access_head(t, aop + 2, load, rt, 0);
      emit_u(t, ea);
    } else if (!load && t->vs[t->nv - 1].kind == V_CONST) {
      /* a constant value (flags, clearing): an immediate, no slot */
      uint64_t v = t->vs[t->nv - 1].imm[0];
      t->nv--;
      int32_t addr = pop_slot(t);
      emit_op(t, (interp_op)(store_k_form(iop)));
      emit_ab(t, addr, 0);
      emit_u(t, v);
      emit_u(t, offset);
    } else if (fusable && value_free && ae->kind == V_LOCAL && s0 + 3 == t->n &&
               t->code[s0].h == t->h[IOP_I32_ADD_K] && t->code[s0 + 1].p.a == ae->slot) {
      /* the address was just computed as `a + k` into a local (local.tee):
       * one instruction updates the local and accesses memory */
      int32_t base = t->code[s0 + 1].p.b, l = ae->slot;
      uint64_t k = t->code[s0 + 2].u;
      cut(t, s0);
      access_head(t, aop + 3, load, rt, base);
      emit_u(t, k);
      emit_ab(t, l, 0);
      emit_u(t, offset);
    } else if (fusable && value_free && ae->kind == V_SLOT && t->last_dst_cell >= 0 &&
               t->code[t->last_dst_cell].p.a == ae->slot && t->code[s0].h == t->h[IOP_I32_ADD_K] &&
               scaled_index(t, s0)) {
      /* (i << s) + k feeding the address, both used only there: arr[i] of a
       * static array in one instruction (_S) */
      uint32_t p0 = t->prev_start;
      int32_t idx = t->code[p0 + 1].p.b, sh = (int32_t)(t->code[p0 + 2].u & 31);
      int32_t k = (int32_t)(uint32_t)t->code[s0 + 2].u;
      cut(t, p0);
      t->last_start = p0;
      access_head(t, aop + 4, load, rt, idx);
      emit_ab(t, k, sh);
      emit_u(t, offset);
    } else if (fusable && value_free && ae->kind == V_SLOT && t->last_dst_cell >= 0 &&
               t->code[t->last_dst_cell].p.a == ae->slot &&
               (t->code[s0].h == t->h[IOP_I32_ADD] || t->code[s0].h == t->h[IOP_I32_ADD_K])) {
      /* i32.add feeding the address and used only there: base + index (_X)
       * or base + constant (_A) in the access itself */
      bool indexed = t->code[s0].h == t->h[IOP_I32_ADD];
      int32_t base = t->code[s0 + 1].p.b;
      cell second = t->code[s0 + 2];
      uint32_t p0 = t->prev_start;
      cut(t, s0);
      access_head(t, indexed ? aop + 1 : aop, load, rt, base);
      if (indexed) emit_ab(t, second.p.a, 0);
      else emit_u(t, second.u);
      emit_u(t, offset);
      t->prev_start = p0; /* the instruction before the fused one is still there */
    } else if (fusable && iop == IOP_F64_STORE && ae->kind == V_LOCAL && t->vs[t->nv - 1].kind == V_SLOT &&
               t->last_dst_cell >= 0 && t->code[t->last_dst_cell].p.a == t->vs[t->nv - 1].slot &&
               t->code[s0].h == t->h[IOP_F64_ADD_M] && t->code[s0 + 2].p.a == ae->slot &&
               t->code[s0 + 3].u == offset) {
      /* `p[i] += x`: the sum of a load stored back to the same address (the
       * local still holds it: a local.set in between would have materialized
       * the entry) becomes one read-modify-write */
      int32_t x = t->code[s0 + 1].p.b;
      uint32_t p0 = t->prev_start;
      t->nv -= 2;
      if (p0 != s0 && p0 + 3 == s0 && t->code[p0].h == t->h[IOP_F64_MUL] && t->code[p0 + 1].p.a == x &&
          x >= t->nlocal_slots) {
        /* `p[i] += a * b` (axpy, dot products, matrix and stencil kernels):
         * the product, a stack temporary used only by the sum, folds in too */
        cell ab = t->code[p0 + 1], c2 = t->code[p0 + 2];
        cut(t, p0);
        t->last_start = p0;
        emit_op(t, IOP_F64_MULADD_TO_M);
        emit_ab(t, ab.p.b, c2.p.a);
        emit_ab(t, ae->slot, 0);
        emit_u(t, offset);
      } else if (fuse_muladd_mm(t, p0, s0, x, ae->slot, offset)) {
        /* the product read memory too (`y[i] += a * x[j]`) */
      } else {
        cut(t, s0);
        emit_op(t, IOP_F64_ADD_TO_M);
        emit_ab(t, x, ae->slot);
        emit_u(t, offset);
      }
    } else {
      if (ae->kind == V_CONST) materialize(t, ae);
      access_head(t, iop, load, rt, ae->slot);
      emit_u(t, offset);
    }
    return;
  }
  numeric(t, op, info);
}

/* Jump threading, on code indices before they become pointers: a branch to
 * an unconditional BR goes straight to that BR's target (br_table stubs and
 * `br` out of nested blocks often chain), and a BR that lands on RETURN
 * becomes the RETURN. Chains are followed a bounded number of hops, so a
 * `loop br 0 end` that targets itself ends the walk. */
static void thread_jumps(tr *t) {
  const void *br = t->h[IOP_BR], *ret = t->h[IOP_RETURN];
  for (uint32_t i = 0; i < t->ntargets; i++) {
    uint64_t idx = t->code[t->targets[i]].u;
    for (int hops = 0; hops < 8 && idx < t->n && t->code[idx].h == br; hops++) idx = t->code[idx + 1].u;
    t->code[t->targets[i]].u = idx;
  }
  for (uint32_t i = 0; i < t->nbrs; i++) {
    uint32_t s = t->brs[i];
    uint64_t idx = t->code[s + 1].u;
    if (idx < t->n && t->code[idx].h == ret) t->code[s].h = ret;
  }
}

/* Two simple ops in a row become one dispatch: the first's handler is
 * replaced by a pair handler that runs both, in order, and skips the second
 * (whose cells stay where they are, so nothing moves). Only when the second
 * is no branch target, so every way into the second comes through the
 * first. The records of adjacent ops (t->adj) were made as ops were emitted
 * and dropped when a rewrite cut the code below them, so both are op starts;
 * the handlers are checked here, after every rewrite. Chosen from the whole
 * set's pair profile: address and index updates (two i32.adds, the add of a
 * constant) and a move before a counter step. */
static bool is_add(const tr *t, const void *h) {
  return h == t->h[IOP_I32_ADD] || h == t->h[IOP_I32_ADD_K] || h == t->h[IOP_I32_SUB_K];
}

static void sub_to_add(tr *t, uint32_t at) {
  if (t->code[at].h != t->h[IOP_I32_SUB_K]) return;
  t->code[at].h = t->h[IOP_I32_ADD_K];
  t->code[at + 2].u = WR_u32(0u - (uint32_t)t->code[at + 2].u);
}

static bool pair_ops(tr *t) {
  static const struct { interp_op first, second, pair; uint32_t len; } pairs[] = {
    {IOP_I32_ADD, IOP_I32_ADD, IOP_PAIR_ADD_ADD, 3},    {IOP_I32_ADD, IOP_I32_ADD_K, IOP_PAIR_ADD_ADDK, 3},
    {IOP_I32_ADD_K, IOP_I32_ADD, IOP_PAIR_ADDK_ADD, 3}, {IOP_I32_ADD_K, IOP_I32_ADD_K, IOP_PAIR_ADDK_ADDK, 3},
    {IOP_COPY, IOP_I32_ADD_K, IOP_PAIR_COPY_ADDK, 2},
  };
  if (!t->nadj) return true;
  uint8_t *target = calloc(t->n + 1, 1);
  if (!target) return false;
  for (uint32_t i = 0; i < t->ntargets; i++) {
    uint64_t idx = t->code[t->targets[i]].u;
    if (idx <= t->n) target[idx] = 1;
  }
  uint32_t free_from = 0; /* the first cell not yet taken by a pair */
  for (uint32_t i = 0; i < t->nadj; i++) {
    uint32_t a = t->adj[2 * i], b = t->adj[2 * i + 1];
    if (a < free_from || b >= t->n || target[b]) continue;
    /* both are op starts (the records' invariant); still, b is only read as
     * an op once a's handler says that b is where a ends */
    const void *ha = t->code[a].h;
    uint32_t len = ha == t->h[IOP_COPY] ? 2 : is_add(t, ha) ? 3 : 0;
    if (!len || b != a + len || !is_add(t, t->code[b].h)) continue;
    /* x - k is x + (-k): the pairs are of adds */
    sub_to_add(t, a);
    sub_to_add(t, b);
    for (size_t k = 0; k < sizeof pairs / sizeof pairs[0]; k++) {
      if (t->code[a].h != t->h[pairs[k].first] || b != a + pairs[k].len || t->code[b].h != t->h[pairs[k].second])
        continue;
      t->code[a].h = t->h[pairs[k].pair];
      free_from = b + 3; /* both seconds are three cells */
      break;
    }
  }
  free(target);
  return true;
}

/* Tail duplication: an unconditional BR whose target is a short run of ops
 * ending in a jump that never falls through (BR, RETURN, a br_table) is
 * replaced by a copy of that run. The loop of a switch-dispatched bytecode
 * VM ends every case with `br` to the head that loads the next opcode and
 * dispatches: with a copy of the head in every case, the BR's dispatch goes
 * away and each case gets its own indirect jump for the next opcode, which
 * the branch predictor learns per case (replicated dispatch). Runs after
 * pair_ops, on code indices: the copy is the same cells (a copied branch
 * keeps its absolute target; every other op moves pc relative to itself),
 * and the copied ops get position records with their wasm offsets, so traps
 * and backtraces in a copy name the same instruction. Runs holding a TIER
 * or CHECK op are left alone (counting stays where it was). Bounded: at most
 * DUP_OPS ops and DUP_CELLS cells a copy, and the code at most doubles. */
enum { DUP_OPS = 6, DUP_CELLS = 96 };

/* The length of the op at `at` if it never falls through, else 0. */
static uint32_t jump_len(const tr *t, uint32_t at) {
  const void *h = t->code[at].h;
  uint32_t n = (uint32_t)t->code[at + 1 < t->n ? at + 1 : at].p.b;
  if (h == t->h[IOP_RETURN]) return 1;
  if (h == t->h[IOP_BR]) return 2;
  if (h == t->h[IOP_BR_TABLE]) return n + 3;
  if (h == t->h[IOP_BR_TABLE_SK]) return n + 4;
  if (h == t->h[IOP_BR_TABLE_L32] || h == t->h[IOP_BR_TABLE_L8]) return n + 5;
  return 0;
}

/* The range of handler addresses: an op record whose cell holds no address
 * in it no longer starts an op (a cheap check). */
typedef struct { uintptr_t lo, hi; } handler_range;

static handler_range handlers_range(const tr *t) {
  handler_range r = {(uintptr_t)t->h[0], (uintptr_t)t->h[0]};
  for (int k = 1; k < IOP_COUNT_; k++) {
    if ((uintptr_t)t->h[k] < r.lo) r.lo = (uintptr_t)t->h[k];
    if ((uintptr_t)t->h[k] > r.hi) r.hi = (uintptr_t)t->h[k];
  }
  return r;
}

/* The cells [from, *end) of the run starting at op record `r` (an index into
 * t->pos), or false when it does not qualify. */
static bool dup_run(const tr *t, handler_range hr, uint32_t r, uint32_t *end) {
  for (uint32_t k = 0; k < DUP_OPS && r + k < t->npos; k++) {
    uint32_t at = t->pos[2 * (r + k)];
    uint32_t next = r + k + 1 < t->npos ? t->pos[2 * (r + k + 1)] : t->n;
    const void *h = t->code[at].h;
    if (at >= t->n || (uintptr_t)h < hr.lo || (uintptr_t)h > hr.hi || h == t->h[IOP_TIER] || h == t->h[IOP_CHECK]) return false;
    uint32_t len = jump_len(t, at);
    if (len) {
      /* a lone BR gains nothing; the length must agree with the records */
      if ((k == 0 && h == t->h[IOP_BR]) || at + len > next || at + len - t->pos[2 * r] > DUP_CELLS) return false;
      *end = at + len;
      return true;
    }
  }
  return false;
}

/* The index of the op record starting at cell `at`, or UINT32_MAX. */
static uint32_t record_at(const tr *t, uint32_t at) {
  uint32_t lo = 0, hi = t->npos;
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (t->pos[2 * mid] < at) lo = mid + 1;
    else hi = mid;
  }
  return lo < t->npos && t->pos[2 * lo] == at ? lo : UINT32_MAX;
}

static bool duplicate_tails(tr *t) {
  const uint32_t n = t->n;
  uint8_t *is_target = calloc(n + 1, 1);
  uint32_t *map = malloc(((size_t)n + 1) * sizeof *map);
  cell *code = NULL;
  uint32_t *pos = NULL, *tcells = NULL, *tvals = NULL;
  uint32_t nn = 0, cap = 0, npos = 0, cap_pos = 0, nt = 0, cap_t = 0, cap_v = 0, added = 0;
  bool ok = is_target && map;
  if (!ok) goto out;
  handler_range hr = handlers_range(t);
  for (uint32_t i = 0; i < t->ntargets; i++) is_target[t->targets[i]] = 1;
  for (uint32_t r = 0, c = 0; c < n && ok; r++) {
    /* the cells up to the next op record as they are */
    uint32_t upto = r < t->npos ? t->pos[2 * r] : n;
    if (upto < c) continue; /* a record inside a copied BR (none expected) */
    for (; c < upto && c < n; c++) {
      map[c] = nn;
      ok = rt_grow((void **)&code, &cap, nn + 1, sizeof *code);
      if (!ok) break;
      if (is_target[c]) {
        ok = rt_grow((void **)&tcells, &cap_t, nt + 1, sizeof *tcells) &&
             rt_grow((void **)&tvals, &cap_v, nt + 1, sizeof *tvals);
        if (!ok) break;
        tcells[nt] = nn;
        tvals[nt++] = (uint32_t)t->code[c].u;
      }
      code[nn++] = t->code[c];
    }
    if (!ok || r >= t->npos || c >= n) break;
    /* op record r starts at c: a BR to a short run is replaced by the run */
    uint32_t from = c, to = c + 1, rr = UINT32_MAX, end = 0;
    if (t->code[c].h == t->h[IOP_BR] && c + 1 < n && (r + 1 >= t->npos || t->pos[2 * (r + 1)] >= c + 2)) {
      uint64_t tg = t->code[c + 1].u;
      if (tg < n && (rr = record_at(t, (uint32_t)tg)) != UINT32_MAX && dup_run(t, hr, rr, &end) &&
          added + (end - (uint32_t)tg) <= n + 64) {
        from = (uint32_t)tg;
        to = end;
      } else {
        rr = UINT32_MAX;
      }
    }
    if (rr == UINT32_MAX) { /* an op kept: its record, then its cells (the loop above) */
      ok = rt_grow((void **)&pos, &cap_pos, 2 * npos + 2, sizeof *pos);
      if (!ok) break;
      pos[2 * npos] = nn;
      pos[2 * npos + 1] = t->pos[2 * r + 1];
      npos++;
      continue;
    }
    /* the copy, with the run's records and target cells */
    map[c] = nn;
    map[c + 1] = nn;
    added += to - from;
    for (uint32_t k = rr; k < t->npos && t->pos[2 * k] < to; k++) {
      ok = rt_grow((void **)&pos, &cap_pos, 2 * npos + 2, sizeof *pos);
      if (!ok) break;
      pos[2 * npos] = nn + (t->pos[2 * k] - from);
      pos[2 * npos + 1] = t->pos[2 * k + 1];
      npos++;
    }
    for (uint32_t k = from; k < to && ok; k++) {
      ok = rt_grow((void **)&code, &cap, nn + 1, sizeof *code);
      if (!ok) break;
      if (is_target[k]) {
        ok = rt_grow((void **)&tcells, &cap_t, nt + 1, sizeof *tcells) &&
             rt_grow((void **)&tvals, &cap_v, nt + 1, sizeof *tvals);
        if (!ok) break;
        tcells[nt] = nn;
        tvals[nt++] = (uint32_t)t->code[k].u;
      }
      code[nn++] = t->code[k];
    }
    c += 2; /* the BR's two cells */
  }
  if (!ok) goto out;
  map[n] = nn;
  if (!added) goto out; /* nothing copied: keep the code as it is */
  for (uint32_t i = 0; i < nt; i++) code[tcells[i]].u = tvals[i] <= n ? map[tvals[i]] : tvals[i];
  free(t->code);
  free(t->pos);
  free(t->targets);
  t->code = code;
  t->n = nn;
  t->cap = cap;
  t->pos = pos;
  t->npos = npos;
  t->cap_pos = cap_pos;
  t->targets = tcells;
  t->ntargets = nt;
  t->cap_targets = cap_t;
  code = NULL;
  pos = tcells = NULL;
out:
  free(code);
  free(pos);
  free(tcells);
  free(tvals);
  free(map);
  free(is_target);
  return ok;
}

/* A move or a constant right before an unconditional BR (a value carried by
 * `br`, `br_if` or a br_table entry to a block end) or a RETURN (a result
 * moved into place), and an i32.add (of a slot or a constant) right before a
 * RETURN, run both in one dispatch: the first's handler becomes a pair
 * handler that does the move and then the jump, read from the cells of the
 * BR, which stay where they were (other branches may still land on it).
 * After duplicate_tails, which may replace such a BR by other cells. */
static void pair_jumps(tr *t) {
  for (uint32_t r = 0; r + 1 < t->npos; r++) {
    uint32_t a = t->pos[2 * r], b = t->pos[2 * (r + 1)];
    const void *h = t->code[a].h;
    bool add = h == t->h[IOP_I32_ADD] || h == t->h[IOP_I32_ADD_K];
    uint32_t len = h == t->h[IOP_COPY] ? 2 : h == t->h[IOP_CONST] || add ? 3 : 0;
    if (!len || b != a + len || b >= t->n) continue;
    const void *hb = t->code[b].h;
    if (add) { /* a sum returned (fib's n + acc, sums over a call's result) */
      if (hb == t->h[IOP_RETURN]) t->code[a].h = t->h[h == t->h[IOP_I32_ADD] ? IOP_PAIR_ADD_RETURN : IOP_PAIR_ADDK_RETURN];
      continue;
    }
    uint32_t after = r + 2 < t->npos ? t->pos[2 * (r + 2)] : t->n;
    if (hb == t->h[IOP_BR] && after >= b + 2 && b + 1 < t->n)
      t->code[a].h = t->h[len == 2 ? IOP_PAIR_COPY_BR : IOP_PAIR_CONST_BR];
    else if (hb == t->h[IOP_RETURN] && len == 2)
      t->code[a].h = t->h[IOP_PAIR_COPY_RETURN];
  }
}

/* Declared locals start at zero, but most functions set a local before
 * reading it. A local set at the body's top level (outside every block) before
 * the first loop is set on every path to every later instruction: branches
 * only jump forward to ends of blocks, and a top-level instruction is inside
 * none. Only the locals that may be read before such a set are zeroed at
 * entry (by the call, exec.c: one range from the first such local to the
 * last). */
static bool zero_locals(tr *t, const wm_func *wf, uint32_t nparams) {
  uint32_t n = wf->nlocals;
  if (!n) return true;
  uint8_t *need = calloc(n, 1), *set = calloc(n, 1);
  if (!need || !set) {
    free(need);
    free(set);
    return false;
  }
  rt_error scratch;
  rt_error_clear(&scratch);
  wm_reader r = t->r;
  r.err = &scratch;
  uint32_t depth = 0;
  bool open = true; /* before the first loop */
  while (open && !reader_eof(&r)) {
    wm_opcode op = wm_read_op(&r);
    if (op >= OP_COUNT_) { /* cannot happen in a validated body; zero everything */
      open = false;
      break;
    }
    const wm_opinfo *info = &wm_opinfos[op];
    if (op == OP_LOCAL_GET || op == OP_LOCAL_SET || op == OP_LOCAL_TEE) {
      uint32_t x = 0;
      reader_u32(&r, &x);
      if (x < nparams || x - nparams >= n) continue;
      x -= nparams;
      if (op == OP_LOCAL_GET) {
        if (!set[x]) need[x] = 1;
      } else if (depth == 0) {
        set[x] = 1;
      }
      continue;
    }
    wm_skip_imm(&r, t->m, info->imm);
    if (op == OP_BLOCK || op == OP_IF) depth++;
    else if (op == OP_LOOP) open = false;
    else if (op == OP_END && depth-- == 0) break;
  }
  for (uint32_t i = 0; i < n; i++)
    if (!open && !set[i]) need[i] = 1;
  /* One range from the first local that needs it to the last: the call
   * zeroes it while setting up the frame (exec.c), which is cheaper than a
   * dispatch of its own. Locals inside the range that are set before any read
   * are zeroed too, which nothing can observe. */
  uint32_t first = n, last = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (!need[i]) continue;
    if (first == n) first = i;
    last = i;
    t->known_set[nparams + i] = width(t->local_type[nparams + i]) == 1;
    t->known_val[nparams + i] = 0;
  }
  if (first < n) {
    t->zero_from = t->local_slot[nparams + first];
    t->zero_n = (uint32_t)(t->local_slot[nparams + last] + width(t->local_type[nparams + last]) - t->zero_from);
  }
  free(need);
  free(set);
  return !t->oom;
}

static void tr_free(tr *t) {
  for (uint32_t i = 0; i < t->nc; i++) free(t->cs[i].patches);
  free(t->cs);
  free(t->vs);
  free(t->targets);
  free(t->brs);
  free(t->local_slot);
  free(t->local_type);
  free(t->known_val);
  free(t->known_set);
  free(t->pos);
  free(t->adj);
}

bool interp_translate(wrun_store *s, wrun_func *f) {
  const wm_module *m = f->inst->module;
  const wm_func *wf = &m->funcs[f->index];
  const wm_functype *ft = f->type;
  tr t;
  memset(&t, 0, sizeof t);
  t.s = s;
  t.f = f;
  t.m = m;
  t.inst = f->inst;
  t.h = interp_handlers();
  rt_error scratch;
  rt_error_clear(&scratch);
  t.r = (wm_reader){m->bytes, wf->code, wf->code + wf->code_len, &scratch};
  t.nlocals = ft->nparams + wf->nlocals;
  t.local_slot = malloc(((size_t)t.nlocals + 1) * sizeof *t.local_slot);
  t.local_type = malloc(((size_t)t.nlocals + 1) * sizeof *t.local_type);
  t.known_val = calloc((size_t)t.nlocals + 1, sizeof *t.known_val);
  t.known_set = calloc((size_t)t.nlocals + 1, 1);
  if (!t.local_slot || !t.local_type || !t.known_val || !t.known_set) {
    tr_free(&t);
    return false;
  }
  int32_t slot = 0;
  for (uint32_t i = 0; i < t.nlocals; i++) {
    wm_valtype ty = i < ft->nparams ? wm_functype_params(ft)[i] : wf->locals[i - ft->nparams];
    t.local_type[i] = ty;
    t.local_slot[i] = slot;
    slot += width(ty);
  }
  t.nlocal_slots = slot;
  t.max_slot = slot;
  t.last_dst_cell = -1;
  t.ma_at = t.ma_tee = UINT32_MAX;
  if (!zero_locals(&t, wf, ft->nparams)) {
    tr_free(&t);
    free(t.code);
    return false;
  }
  t.checks = s->cfg.fuel || s->cfg.interruptible;
  uint32_t entry_cost = 0;
  if (t.checks) { /* charged per call with the size of the function's body */
    emit_op(&t, IOP_CHECK);
    entry_cost = emit_cell(&t, (cell){.u = 0});
  }
  uint32_t tier_cost = s->cfg.tiered ? emit_tier(&t, RT_TIERUP_ENTRY) : 0;
  push_frame(&t, OP_END, NULL, 0, wm_functype_results(ft), ft->nresults, 0, false);
  while (!t.oom && !t.unsupported && t.nc > 0 && !reader_eof(&t.r)) instr(&t);
  if (t.checks && !t.oom) t.code[entry_cost].u = t.ninstr ? t.ninstr : 1;
  if (tier_cost && !t.oom && t.ninstr) t.code[tier_cost].u = t.ninstr;
  if (t.oom || t.unsupported) {
    tr_free(&t);
    free(t.code);
    return false;
  }
  thread_jumps(&t);
  if (!pair_ops(&t) || !duplicate_tails(&t)) {
    tr_free(&t);
    free(t.code);
    return false;
  }
  pair_jumps(&t);
  for (uint32_t i = 0; i < t.ntargets; i++) {
    uint32_t idx = (uint32_t)t.code[t.targets[i]].u;
    t.code[t.targets[i]].target = t.code + idx;
  }
  struct interp_code *c = malloc(sizeof *c);
  if (!c) {
    tr_free(&t);
    free(t.code);
    return false;
  }
  c->code = t.code;
  c->ncode = t.n;
  c->nslots = (uint32_t)t.max_slot + 2;
  c->mem0 = f->inst->mems[0];
  c->pos = t.pos;
  c->npos = t.npos;
  t.pos = NULL; /* c's now */
  c->zero_from = (uint32_t)t.zero_from;
  c->zero_n = t.zero_n;
  f->code = c;
  tr_free(&t);
  return true;
}

void interp_code_free(struct interp_code *c) {
  if (!c) return;
  free(c->code);
  free(c->pos);
  free(c);
}

uint32_t interp_code_offset(const struct interp_code *c, const void *pc, bool after) {
  const cell *p = pc;
  if (!c || !c->npos || p < c->code || p > c->code + c->ncode || (after && p == c->code)) return UINT32_MAX;
  uint32_t at = (uint32_t)(p - c->code) - (after ? 1 : 0);
  uint32_t lo = 0, hi = c->npos; /* the last record at or before `at` */
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (c->pos[2 * mid] <= at) lo = mid;
    else hi = mid;
  }
  return c->pos[2 * lo] <= at ? c->pos[2 * lo + 1] : UINT32_MAX;
}
