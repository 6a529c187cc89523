/*
 * emit.c — the optimizing pipeline's driver for one function: wasm -> IR
 * (build.c), inlining (inline.c), the passes (opt.c), critical-edge splitting, register
 * allocation (ra.c), then emission through the ISA's aot_isa hooks in
 * reverse postorder, with SSA destruction here: at the end of a block
 * whose successor has phis, the parallel copies into the phis' locations
 * are sequentialized (a copy is emitted once nothing pending still reads
 * its destination; a cycle goes through the backend's scratch register).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot/codemap.h"
#include "aot/ir/build.h"
#include "aot/ir/inline.h"
#include "aot/ir/isa.h"

/* WRUN_AOT_INLINE=0 turns inlining off, =safe inlines only callees that
 * cannot trap (the policy before inlined frames had positions in the code
 * map; for measurements and bisecting). 0: off, 1: safe, 2: default (callees
 * that may trap too: a trap in the copy still shows their frame). */
static int inline_mode(void) {
  const char *e = getenv("WRUN_AOT_INLINE");
  if (e && strcmp(e, "0") == 0) return 0;
  return e && strcmp(e, "safe") == 0 ? 1 : 2;
}

/* WRUN_AOT_WIDEMUL=0 leaves 64x64->128-bit multiplications in 32-bit
 * halves (widemul.c; for measurements and bisecting). */
static bool wide_multiply(void) {
  const char *e = getenv("WRUN_AOT_WIDEMUL");
  return !(e && strcmp(e, "0") == 0);
}

ir_loc ir_loc_of(const ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  ir_loc l = {IR_LOC_NONE, i->type, -1, -1, 0};
  if (i->op == IR_CONST) {
    l.kind = IR_LOC_CONST;
    l.imm = i->imm;
  } else if (g->ra->reg[v] >= 0) {
    l.kind = IR_LOC_REG;
    l.reg = g->ra->reg[v];
  } else if (g->ra->slot[v] >= 0) {
    l.kind = IR_LOC_SLOT;
    l.slot = g->ra->slot[v];
  }
  return l;
}

void ir_gen_fixup(ir_gen *g, uint32_t at, uint32_t block) {
  if (g->nfix == g->capfix) {
    uint32_t nc = g->capfix ? 2 * g->capfix : 16;
    ir_fixup *p = realloc(g->fix, nc * sizeof *p);
    if (!p) {
      g->fail = true;
      return;
    }
    g->fix = p;
    g->capfix = nc;
  }
  g->fix[g->nfix++] = (ir_fixup){at, g->fwd[block]};
}

void ir_gen_reloc(ir_gen *g, uint32_t at, uint32_t callee) {
  if (g->nrelocs == g->caprelocs) {
    uint32_t nc = g->caprelocs ? 2 * g->caprelocs : 8;
    aot_reloc *p = realloc(g->relocs, nc * sizeof *p);
    if (!p) {
      g->fail = true;
      return;
    }
    g->relocs = p;
    g->caprelocs = nc;
  }
  g->relocs[g->nrelocs++] = (aot_reloc){at, callee};
}

void ir_gen_osr_entry(ir_gen *g, uint64_t loop_off) {
  if (g->nosr == g->caposr) {
    uint32_t nc = g->caposr ? 2 * g->caposr : 4;
    aot_osr *p = realloc(g->osr, nc * sizeof *p);
    if (!p) {
      g->fail = true;
      return;
    }
    g->osr = p;
    g->caposr = nc;
  }
  g->osr[g->nosr++] = (aot_osr){0, (uint32_t)loop_off, (uint32_t)g->b.n};
}

/* The register file a class allocates from (vectors may share the floats'). */
static int bank(const ir_gen *g, uint8_t t) {
  int cl = ir_cls(t);
  return cl == IR_CL_V && g->isa->vec_in_float_regs ? IR_CL_F : cl;
}

static bool same_loc(const ir_gen *g, ir_loc a, ir_loc b) {
  if (a.kind != b.kind) return false;
  if (a.kind == IR_LOC_REG) return a.reg == b.reg && bank(g, a.type) == bank(g, b.type);
  if (a.kind == IR_LOC_SLOT) return a.slot == b.slot; /* (a v128's second half is its own) */
  if (a.kind == IR_LOC_SCRATCH) return bank(g, a.type) == bank(g, b.type);
  return false;
}

/* Does block b carry moves of values split around a loop (ra.c)? */
static bool has_split_moves(const ir_gen *g, uint32_t b) {
  return g->ra->mfirst && g->ra->mfirst[b] != g->ra->mfirst[b + 1];
}

/* Block b's split moves of kind `at` (IR_RA_STORE, IR_RA_RELOAD, IR_RA_RELOAD_START). */
static void split_moves(ir_gen *g, uint32_t b, uint8_t at) {
  if (!g->ra->mfirst) return;
  for (uint32_t k = g->ra->mfirst[b]; k < g->ra->mfirst[b + 1]; k++) {
    const ir_ra_move *m = &g->ra->moves[k];
    if (m->at != at) continue;
    ir_loc r = ir_loc_of(g, m->v), sl = {IR_LOC_SLOT, g->f->ins[m->v].type, -1, m->slot, 0};
    if (at == IR_RA_STORE) g->isa->move(g, sl, r);
    else g->isa->move(g, r, sl);
  }
}

uint32_t ir_gen_switch_runs(const ir_gen *g, const ir_block *bl, uint32_t max, uint32_t *hi, uint32_t *succ) {
  uint32_t n = bl->nsucc - 1, nr = 0;
  for (uint32_t k = 0; k <= n; k++) {
    uint32_t s = bl->succ[k];
    if (nr && ir_gen_same_dest(g, succ[nr - 1], s)) {
      hi[nr - 1] = k;
      continue;
    }
    if (nr == max) return 0;
    hi[nr] = k;
    succ[nr++] = s;
  }
  return nr;
}

bool ir_gen_switch_masks(const ir_gen *g, const ir_block *bl, uint32_t max, uint32_t *tg, uint64_t *mask,
                         uint32_t *nt) {
  uint32_t n = bl->nsucc - 1, dflt = bl->succ[n];
  *nt = 0;
  if (n > 64) return false;
  for (uint32_t j = 0; j < max; j++) mask[j] = 0;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t j = 0;
    if (ir_gen_same_dest(g, bl->succ[k], dflt)) continue;
    while (j < *nt && !ir_gen_same_dest(g, tg[j], bl->succ[k])) j++;
    if (j == *nt) {
      if (*nt == max) return false;
      tg[(*nt)++] = bl->succ[k];
    }
    mask[j] |= 1ull << k;
  }
  return true;
}

const wm_functype *ir_gen_callee_type(const ir_gen *g, const ir_ins *c) {
  const wm_module *m = g->in->m;
  if (c->op == IR_CALL_INDIRECT) return &m->types[c->imm].func;
  return wm_module_func_type(m, (uint32_t)c->imm);
}

uint32_t ir_gen_result_slots(const wm_functype *ft, uint32_t n) {
  uint32_t pos = 0;
  for (uint32_t k = 0; k < n; k++) pos += wm_functype_results(ft)[k] == WASM_V128 ? 2 : 1;
  return pos;
}

uint32_t ir_gen_call_slots(const ir_gen *g, const ir_ins *i) {
  uint32_t n = 0, r = 2;
  for (uint32_t a = 0; a < i->nargs; a++) n += g->f->ins[i->args[a]].type == IR_V128 ? 2 : 1;
  if (i->op == IR_CALL || i->op == IR_CALL_HOST || i->op == IR_CALL_INDIRECT) {
    const wm_functype *ft = ir_gen_callee_type(g, i);
    r = ir_gen_result_slots(ft, ft->nresults);
  }
  return n > r ? n : r;
}

uint32_t ir_gen_written_regs(const ir_gen *g, const uint8_t *fused, int cls) {
  const ir_func *f = g->f;
  uint32_t m = 0;
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 0; k < bl->nins; k++) {
      uint32_t v = bl->ins[k];
      if (f->ins[v].dead || fused[v] || g->ra->reg[v] < 0 || (int)ir_cls(f->ins[v].type) != cls) continue;
      m |= 1u << g->ra->reg[v];
    }
  }
  return m;
}

static bool fusable_compare(ir_op op) {
  return (op >= IR_I32_EQ && op <= IR_I32_GE_U) || (op >= IR_I64_EQ && op <= IR_I64_GE_U) || op == IR_I32_EQZ ||
         op == IR_I64_EQZ;
}

void ir_gen_fuse_and_or_branches(const ir_func *f, const uint32_t *uses, uint8_t *fused,
                                 bool (*rules_out)(const uint8_t *fused, uint32_t arg)) {
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    uint32_t n = bl->nins;
    if (n < 4 || f->ins[bl->ins[n - 1]].op != IR_BR) continue;
    uint32_t c = f->ins[bl->ins[n - 1]].args[0];
    const ir_ins *ci = &f->ins[c];
    if (bl->ins[n - 2] != c || uses[c] != 1 || (ci->op != IR_I32_AND && ci->op != IR_I32_OR)) continue;
    uint32_t x = ci->args[0], y = ci->args[1], near[2], m = 0;
    for (uint32_t k = n - 2; k-- > 0 && m < 2;) /* the two instructions before the and (constants emit nothing) */
      if (f->ins[bl->ins[k]].op != IR_CONST) near[m++] = bl->ins[k];
    if (x == y || m < 2 || !((near[0] == x && near[1] == y) || (near[0] == y && near[1] == x))) continue;
    bool ok = true;
    for (uint32_t j = 0; j < 2 && ok; j++) {
      const ir_ins *k = &f->ins[ci->args[j]];
      ok = uses[ci->args[j]] == 1 && fusable_compare((ir_op)k->op);
      for (uint32_t a = 0; a < k->nargs && ok && rules_out; a++) ok = !rules_out(fused, k->args[a]);
    }
    if (!ok) continue;
    fused[c] = 3;
    fused[x] = fused[y] = 1;
  }
}

bool ir_gen_same_dest(const ir_gen *g, uint32_t a, uint32_t b) {
  a = g->fwd[a];
  b = g->fwd[b];
  if (a == b) return true;
  if (has_split_moves(g, a) || has_split_moves(g, b)) return false;
  const ir_func *f = g->f;
  const ir_block *ba = &f->blocks[a], *bb = &f->blocks[b];
  if (ba->nins != 1 || bb->nins != 1 || ba->nsucc != 1 || bb->nsucc != 1 || ba->succ[0] != bb->succ[0]) return false;
  if (f->ins[ba->ins[0]].op != IR_JMP || f->ins[bb->ins[0]].op != IR_JMP) return false;
  const ir_block *t = &f->blocks[ba->succ[0]];
  uint32_t qa = 0, qb = 0;
  while (qa < t->npred && t->pred[qa] != a) qa++;
  while (qb < t->npred && t->pred[qb] != b) qb++;
  if (qa == t->npred || qb == t->npred) return false;
  for (uint32_t k = 0; k < t->nins && f->ins[t->ins[k]].op == IR_PHI; k++) {
    const ir_ins *phi = &f->ins[t->ins[k]];
    if (phi->dead) continue;
    ir_loc la = ir_loc_of(g, phi->args[qa]), lb = ir_loc_of(g, phi->args[qb]);
    if (la.kind != lb.kind || la.reg != lb.reg || la.slot != lb.slot || la.imm != lb.imm) return false;
  }
  return true;
}

typedef struct pmove { ir_loc dst, src; bool done; } pmove;

/* The copies into the phis of succ for the edge from b, in a safe order. */
static void phi_moves(ir_gen *g, uint32_t b, uint32_t succ) {
  const ir_func *f = g->f;
  const ir_block *sb = &f->blocks[succ];
  uint32_t q = 0;
  while (q < sb->npred && sb->pred[q] != b) q++;
  if (q == sb->npred) return;
  uint32_t n = 0;
  for (uint32_t k = 0; k < sb->nins && f->ins[sb->ins[k]].op == IR_PHI; k++) n++;
  if (!n) return;
  pmove *mv = malloc(n * sizeof *mv);
  if (!mv) {
    g->fail = true;
    return;
  }
  uint32_t m = 0;
  for (uint32_t k = 0; k < n; k++) {
    uint32_t phi = sb->ins[k];
    if (f->ins[phi].dead) continue;
    ir_loc d = ir_loc_of(g, phi), s = ir_loc_of(g, f->ins[phi].args[q]);
    if (d.kind == IR_LOC_NONE || same_loc(g, d, s)) continue;
    s.type = d.type;
    mv[m++] = (pmove){d, s, false};
  }
  uint32_t left = m;
  while (left) {
    bool progress = false;
    for (uint32_t k = 0; k < m; k++) {
      if (mv[k].done) continue;
      bool blocked = false;
      for (uint32_t j = 0; j < m && !blocked; j++)
        blocked = j != k && !mv[j].done && same_loc(g, mv[j].src, mv[k].dst);
      if (blocked) continue;
      g->isa->move(g, mv[k].dst, mv[k].src);
      mv[k].done = true;
      left--;
      progress = true;
    }
    if (progress) continue;
    /* a cycle: park one source in the scratch register */
    for (uint32_t k = 0; k < m; k++) {
      if (mv[k].done) continue;
      ir_loc scratch = {IR_LOC_SCRATCH, mv[k].src.type, -1, -1, 0};
      ir_loc old = mv[k].src;
      g->isa->move(g, scratch, old);
      for (uint32_t j = 0; j < m; j++)
        if (!mv[j].done && same_loc(g, mv[j].src, old)) mv[j].src = (ir_loc){IR_LOC_SCRATCH, mv[j].src.type, -1, -1, 0};
      break;
    }
  }
  free(mv);
}

/* Code layout: reverse postorder, except that a block holding only the
 * phi moves of one edge (made by ir_split_critical_edges) follows the block
 * it leaves, so a loop's back edge is "branch out, else moves and jump back"
 * rather than a jump to the moves and another back. Any order is valid for
 * the allocator, whose intervals cover every point a value is live at. */
static bool is_edge_block(const ir_func *f, uint32_t b) {
  const ir_block *bl = &f->blocks[b];
  return bl->npred == 1 && bl->nins == 1 && f->ins[bl->ins[0]].op == IR_JMP;
}

/* An OSR entry block (ir_build_osr): entered only from the interpreter,
 * once per frame that moves, so it goes after the body (see layout). */
static bool is_osr_entry_block(const ir_func *f, uint32_t b) {
  const ir_block *bl = &f->blocks[b];
  return b != 0 && bl->nins && f->ins[bl->ins[0]].op == IR_OSR_ENTRY;
}

/* The first block after position o of the reverse postorder that layout
 * will place next (not yet placed, no edge block, no OSR entry). */
static uint32_t next_in_rpo(const ir_func *f, const bool *placed, uint32_t o) {
  for (uint32_t q = o + 1; q < f->norder; q++) {
    uint32_t b = f->order[q];
    if (!placed[b] && !is_edge_block(f, b) && !is_osr_entry_block(f, b)) return b;
  }
  return UINT32_MAX;
}

/* Where a jump into edge block b arrives: past the chain of unplaced edge
 * blocks it starts (with entries, a loop's way in is one: the block that
 * enters the loop is left empty when LICM moves its code to the entries'
 * join). Without entries b's successor, as always. */
static uint32_t edge_chain_end(const ir_func *f, const bool *placed, uint32_t b, bool osr) {
  uint32_t t = f->blocks[b].succ[0];
  for (uint32_t k = 0; osr && k < f->nblocks && !placed[t] && is_edge_block(f, t); k++) t = f->blocks[t].succ[0];
  return t;
}

/* Puts the OSR entry blocks (left out of order[0..n)) at the end: the
 * backend emits the epilogue before them (aot_isa.epilogue), so the body's
 * code is laid out as without entries. */
static void place_osr_entries(const ir_func *f, uint32_t *order, uint32_t *n) {
  for (uint32_t o = 0; o < f->norder; o++)
    if (is_osr_entry_block(f, f->order[o])) order[(*n)++] = f->order[o];
}

static bool layout(ir_func *f) {
  uint32_t *order = malloc((f->norder + 1) * sizeof *order);
  bool *placed = calloc(f->nblocks + 1, sizeof *placed);
  if (!order || !placed) {
    free(order);
    free(placed);
    f->oom = true;
    return false;
  }
  const ir_block *b0 = &f->blocks[0];
  bool osr = b0->nins && f->ins[b0->ins[b0->nins - 1]].op == IR_ENTRY && b0->nsucc > 1;
  uint32_t n = 0;
  for (uint32_t o = 0; o < f->norder; o++) {
    uint32_t b = f->order[o];
    if (placed[b] || (o > 0 && is_edge_block(f, b))) continue;
    /* OSR entries go elsewhere (place_osr_entries): in reverse postorder
     * they would sit between block 0 and the body (ENTRY's first successor
     * is visited first, so it comes last), costing every call a jump over
     * them */
    if (is_osr_entry_block(f, b)) continue;
    order[n++] = b;
    placed[b] = true;
    const ir_block *bl = &f->blocks[b];
    /* With OSR entries, a forward edge block into the block placed next
     * goes last, so that it falls through: the entries' join blocks make
     * edges critical (so edge blocks) that are not without them, and this
     * keeps the body's layout that of the same function compiled without
     * entries (fib: the recursive path first, 20-40% slower). Functions
     * without entries keep their layout exactly. */
    uint32_t nb = osr ? next_in_rpo(f, placed, o) : UINT32_MAX;
    /* back edges first: the loop then falls through into its moves and jumps back */
    for (int pass = 0; pass < 3; pass++)
      for (uint32_t k = 0; k < bl->nsucc; k++) {
        uint32_t sb = bl->succ[k];
        if (placed[sb] || !is_edge_block(f, sb) || f->blocks[sb].rpo == UINT32_MAX) continue;
        bool back = f->blocks[f->blocks[sb].succ[0]].rpo <= f->blocks[b].rpo;
        if (back != (pass == 0)) continue;
        if (pass > 0 && (edge_chain_end(f, placed, sb, osr) == nb) != (pass == 2)) continue;
        order[n++] = sb;
        placed[sb] = true;
        /* (with entries) the edge blocks it jumps into follow it, so its moves fall through too */
        for (uint32_t t = sb, k2 = 0; osr && k2 < f->nblocks; k2++) {
          t = f->blocks[t].succ[0];
          if (placed[t] || !is_edge_block(f, t)) break;
          order[n++] = t;
          placed[t] = true;
        }
      }
  }
  for (uint32_t o = 0; o < f->norder; o++) /* edge blocks whose source came later (cannot happen in rpo) */
    if (!placed[f->order[o]] && !is_osr_entry_block(f, f->order[o])) order[n++] = f->order[o];
  if (osr) place_osr_entries(f, order, &n);
  memcpy(f->order, order, n * sizeof *order);
  free(order);
  free(placed);
  return true;
}

/* Does the edge from edge block b into its successor move nothing (every
 * phi already where its argument is)? */
static bool no_moves(const ir_gen *g, uint32_t b) {
  const ir_func *f = g->f;
  if (has_split_moves(g, b)) return false;
  uint32_t s = f->blocks[b].succ[0];
  const ir_block *sb = &f->blocks[s];
  uint32_t q = 0;
  while (q < sb->npred && sb->pred[q] != b) q++;
  for (uint32_t k = 0; k < sb->nins && f->ins[sb->ins[k]].op == IR_PHI; k++) {
    uint32_t phi = sb->ins[k];
    if (f->ins[phi].dead) continue;
    ir_loc d = ir_loc_of(g, phi), src = ir_loc_of(g, f->ins[phi].args[q]);
    if (d.kind != IR_LOC_NONE && !same_loc(g, d, src)) return false;
  }
  return true;
}

/* Marks where instruction i's code starts in the code map, if it may trap
 * or call, with the frames of the calls it was inlined through. */
static void mark_position(ir_gen *g, const ir_ins *i) {
  bool traps = (ir_opinfos[i->op].flags & IRF_EFFECT) || i->op == IR_TRAP;
  if (!traps || i->op == IR_GLOBAL_SET || i->op == IR_RESULT) return;
  const ir_func *f = g->f;
  uint32_t sites[CODEMAP_MAX_DEPTH], n = 0; /* innermost first */
  for (uint32_t s = i->inl; s && s <= f->nsites && n < CODEMAP_MAX_DEPTH - 1; s = f->sites[s - 1].parent)
    sites[n++] = s - 1;
  codemap_frame chain[CODEMAP_MAX_DEPTH]; /* outermost first */
  for (uint32_t k = 0; k < n; k++) {
    chain[k].func = f->sites[sites[n - 1 - k]].func;
    chain[k].woff = k + 1 < n ? f->sites[sites[n - 2 - k]].call_woff : i->woff;
  }
  codemap_mark(g->map, (uint32_t)g->b.n, n ? f->sites[sites[n - 1]].call_woff : i->woff, chain, n);
}

static bool emit_func(ir_gen *g, aot_func_out *out) {
  const ir_func *f = g->f;
  for (uint32_t b = 0; b < f->nblocks; b++) g->fwd[b] = b;
  for (uint32_t o = 1; o < f->norder; o++) { /* never the entry block */
    uint32_t b = f->order[o];
    if (is_edge_block(f, b) && no_moves(g, b)) g->fwd[b] = f->blocks[b].succ[0];
  }
  for (uint32_t b = 0; b < f->nblocks; b++) { /* chains of them (bounded: each step is an edge block) */
    uint32_t t = g->fwd[b];
    for (uint32_t n = 0; g->fwd[t] != t && n < f->nblocks; n++) t = g->fwd[t];
    g->fwd[b] = t;
  }
  if (!g->isa->begin(g)) return false;
  bool epilogue_emitted = false;
  for (uint32_t o = 0; o < f->norder && !g->fail && !g->b.oom; o++) {
    uint32_t b = f->order[o];
    const ir_block *bl = &f->blocks[b];
    if (g->fwd[b] != b) continue; /* jumps to it go straight on */
    uint32_t next = UINT32_MAX;
    for (uint32_t q = o + 1; q < f->norder && next == UINT32_MAX; q++)
      if (g->fwd[f->order[q]] == f->order[q]) next = f->order[q];
    if (is_osr_entry_block(f, b) && !epilogue_emitted && g->isa->epilogue) { /* the body is done (layout) */
      g->isa->epilogue(g);
      epilogue_emitted = true;
    }
    g->isa->block(g, b);
    split_moves(g, b, IR_RA_RELOAD_START);
    for (uint32_t k = 0; k < bl->nins; k++) {
      uint32_t v = bl->ins[k];
      const ir_ins *i = &f->ins[v];
      if (i->dead || i->op == IR_PHI) continue;
      if (ir_opinfos[i->op].flags & IRF_TERM) {
        if (bl->nsucc == 1) {
          split_moves(g, b, IR_RA_STORE);
          phi_moves(g, b, bl->succ[0]);
          split_moves(g, b, IR_RA_RELOAD);
        }
        if (i->op == IR_TRAP) mark_position(g, i);
        g->isa->term(g, v, next);
      } else {
        mark_position(g, i);
        g->isa->ins(g, v);
      }
    }
  }
  if (g->fail || g->b.oom) return false;
  return g->isa->finish(g, out);
}

int aot_ir_compile_func(const aot_isa *isa, const aot_func_in *in, aot_func_out *out, char *why, size_t whysz,
                        rt_error *err) {
  ir_func *f = NULL;
  int st = (in->osr ? ir_build_osr : ir_build)(in->m, in->index, in->interruptible, &f, why, whysz);
  if (st < 0) {
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return -1;
  }
  if (st == 0) return 0;
  int res = -1;
  ir_ra ra = {0};
  codemap_builder map = {0};
  ir_gen g;
  memset(&g, 0, sizeof g);
  if (!ir_cfg(f)) goto done;
  int im = inline_mode();
  if (im) ir_inline_calls(f, in->m, in->index, in->interruptible, im == 2);
  if (f->oom) goto done;
  ir_optimize(f);
  if (wide_multiply() && ir_pass_widemul(f, isa->supports)) ir_pass_dce(f); /* the partial products */
  uint32_t nvec = ir_pass_vectorize(f);
  if (nvec && getenv("WRUN_AOT_OPT_REPORT")) /* how often the vectorizer fires (tests, measurements) */
    fprintf(stderr, "function %u: %u loop%s vectorized\n", in->index, nvec, nvec == 1 ? "" : "s");
  ir_split_critical_edges(f);
  if (f->oom || !ir_cfg(f) || !layout(f)) goto done;
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 0; k < bl->nins; k++) {
      const ir_ins *i = &f->ins[bl->ins[k]];
      if (!i->dead && !isa->supports(f, i)) {
        snprintf(why, whysz, "%s", ir_ins_v128(f, i) ? "SIMD" : ir_opinfos[i->op].name); /* the backend said no */
        res = 0;
        goto done;
      }
    }
  }
  if (!ir_regalloc(f, isa, &ra)) {
    snprintf(why, whysz, "too large for the register allocator");
    res = 0;
    goto done;
  }
  g.isa = isa;
  g.f = f;
  g.ra = &ra;
  g.in = in;
  g.ft = wm_module_func_type(in->m, in->index);
  g.block_pos = malloc(((size_t)f->nblocks + 1) * sizeof *g.block_pos);
  g.fwd = malloc(((size_t)f->nblocks + 1) * sizeof *g.fwd);
  if (!g.block_pos || !g.fwd) goto done;
  for (uint32_t b = 0; b < f->nblocks; b++) g.block_pos[b] = UINT32_MAX;
  codemap_begin(&map, (uint32_t)in->m->funcs[in->index].code_offset);
  g.map = &map;
  if (emit_func(&g, out)) {
    res = 1;
    if (!codemap_encode(&map, &out->map, &out->map_size)) res = -1;
    for (uint32_t k = 1; k < g.nosr; k++) /* emitted in block order; aot_osr_entry searches by offset */
      for (uint32_t j = k; j > 0 && g.osr[j - 1].wasm_off > g.osr[j].wasm_off; j--) {
        aot_osr t = g.osr[j];
        g.osr[j] = g.osr[j - 1];
        g.osr[j - 1] = t;
      }
    out->osr = g.osr;
    out->nosr = g.nosr;
    g.osr = NULL;
  } else if (!g.b.oom) { /* a shape the backend declined while emitting: the one-pass compiler takes it */
    snprintf(why, whysz, "internal: emission failed");
    res = 0;
  }
done:
  if (res < 0 && !(err && err->message[0])) rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory while compiling");
  free(g.b.p);
  free(g.block_pos);
  free(g.fwd);
  free(g.fix);
  free(g.relocs);
  free(g.osr);
  for (int k = 0; k <= WRUN_TRAP_INTERRUPTED; k++) free(g.traps[k].at);
  if (g.isa_state) isa->release(&g);
  ir_ra_free(&ra);
  ir_func_free(f);
  codemap_builder_free(&map);
  return res;
}
