/*
 * memopt.c — IR passes about memory and the values read from it, shared by
 * every ISA (docs/aot-ir.md, "Memory passes"):
 *
 * - ir_pass_loads: redundant load elimination and store-to-load forwarding
 *   for linear memory and globals, within a block and along chains of
 *   blocks with a single predecessor. A LOAD equal to an earlier LOAD (same
 *   address value, offset and wasm opcode) or reading exactly what an
 *   earlier STORE of the same width wrote is replaced by that value: the
 *   earlier access did not trap, memory never shrinks, so the later one
 *   cannot trap either and reads the same bytes. Any store kills every
 *   remembered access it may overlap (only the same address value with
 *   disjoint offset ranges is known disjoint); calls, helper operations
 *   (memory.grow, bulk memory) and polls kill everything. GLOBAL_GET after
 *   GLOBAL_GET or GLOBAL_SET of the same global is forwarded the same way
 *   (linear-memory stores do not touch globals; calls and helpers kill).
 * - ir_pass_known_bits: `and x, c` is removed when x can only have bits
 *   that c keeps (a byte loaded with load8_u masked with 0xff, a compare's
 *   0/1 masked with 1), following ands, ors, xors, unsigned shifts right
 *   and phis.
 */
#include <stdlib.h>
#include <string.h>

#include "aot/ir/ir.h"
#include "binary/opcodes.h"

/* ---- redundant loads and store-to-load forwarding ---- */

/* A remembered access: the value now in memory at (addr, off) read as wop
 * (a load's opcode; a store is remembered as the load of the same width
 * and extension that reads back exactly the stored value), or the value
 * of global `off` (addr UINT32_MAX). */
typedef struct mem_fact {
  uint32_t addr, value;
  uint16_t wop;
  uint64_t off;
} mem_fact;

#define MAX_FACTS 32

typedef struct mem_state {
  mem_fact f[MAX_FACTS];
  uint32_t n;
} mem_state;

/* Bytes an access of wasm opcode op touches. */
static uint32_t access_size(uint16_t op) { return 1u << wm_opinfos[op].arg; }

/* The load that reads back exactly what store `op` wrote, given that the
 * stored value has the store's full width (OP_NOP when there is none:
 * narrow stores would need a masking or extending load). */
static uint16_t reload_of(uint16_t op) {
  switch (op) {
  case OP_I32_STORE: return OP_I32_LOAD;
  case OP_I64_STORE: return OP_I64_LOAD;
  case OP_F32_STORE: return OP_F32_LOAD;
  case OP_F64_STORE: return OP_F64_LOAD;
  default: return OP_NOP;
  }
}

static void remember(mem_state *s, uint32_t addr, uint64_t off, uint16_t wop, uint32_t value) {
  if (s->n == MAX_FACTS) { /* forget the oldest */
    memmove(s->f, s->f + 1, (MAX_FACTS - 1) * sizeof *s->f);
    s->n--;
  }
  s->f[s->n++] = (mem_fact){addr, value, wop, off};
}

/* Forgets every memory fact a store of `size` bytes at (addr, off) may overlap. */
static void kill_store(mem_state *s, uint32_t addr, uint64_t off, uint32_t size) {
  uint32_t keep = 0;
  for (uint32_t k = 0; k < s->n; k++) {
    const mem_fact *m = &s->f[k];
    bool disjoint = m->addr == UINT32_MAX ||
                    (m->addr == addr && (m->off + access_size(m->wop) <= off || off + size <= m->off));
    if (disjoint) s->f[keep++] = *m;
  }
  s->n = keep;
}

static void kill_global(mem_state *s, uint64_t gi) {
  uint32_t keep = 0;
  for (uint32_t k = 0; k < s->n; k++)
    if (!(s->f[k].addr == UINT32_MAX && s->f[k].off == gi)) s->f[keep++] = s->f[k];
  s->n = keep;
}

static const mem_fact *lookup(const mem_state *s, uint32_t addr, uint64_t off, uint16_t wop) {
  for (uint32_t k = s->n; k-- > 0;)
    if (s->f[k].addr == addr && s->f[k].off == off && s->f[k].wop == wop) return &s->f[k];
  return NULL;
}

/* Is i a scalar load or store of linear memory (the ops this pass knows)? */
static bool scalar_access(const ir_ins *i) {
  return (i->op == IR_LOAD || i->op == IR_STORE) && i->wop < OP_COUNT_;
}

/* Runs block b from state s (updated to b's end). Returns loads replaced. */
static uint32_t loads_in_block(ir_func *f, uint32_t b, mem_state *s) {
  ir_block *bl = &f->blocks[b];
  uint32_t replaced = 0;
  for (uint32_t k = 0; k < bl->nins; k++) {
    uint32_t v = bl->ins[k];
    ir_ins *i = &f->ins[v];
    if (i->dead) continue;
    for (uint32_t a = 0; a < i->nargs; a++) i->args[a] = ir_resolve(f, i->args[a]);
    uint8_t fl = ir_opinfos[i->op].flags;
    if (i->op == IR_LOAD && scalar_access(i)) {
      const mem_fact *m = lookup(s, i->args[0], i->imm, i->wop);
      if (m && f->ins[m->value].type == i->type) {
        f->repl[v] = m->value;
        i->dead = 1;
        replaced++;
      } else {
        remember(s, i->args[0], i->imm, i->wop, v);
      }
    } else if (i->op == IR_STORE && scalar_access(i)) {
      kill_store(s, i->args[0], i->imm, access_size(i->wop));
      uint16_t r = reload_of(i->wop);
      if (r != OP_NOP) remember(s, i->args[0], i->imm, r, i->args[1]);
    } else if (i->op == IR_GLOBAL_GET) {
      const mem_fact *m = lookup(s, UINT32_MAX, i->imm, 0);
      if (m && f->ins[m->value].type == i->type) {
        f->repl[v] = m->value;
        i->dead = 1;
        replaced++;
      } else {
        remember(s, UINT32_MAX, i->imm, 0, v);
      }
    } else if (i->op == IR_GLOBAL_SET) {
      kill_global(s, i->imm);
      remember(s, UINT32_MAX, i->imm, 0, i->args[0]);
    } else if (fl & IRF_EFFECT && !(fl & IRF_READ) && i->op != IR_DIV) {
      /* calls, helpers (memory.grow, bulk memory, tables), polls, SIMD
       * stores: anything else that may write memory or globals */
      s->n = 0;
    } else if (fl & IRF_EFFECT && ir_op_is_simd(i->op)) {
      s->n = 0; /* SIMD loads are harmless, but keep the pass simple */
    } else if (i->op == IR_RESULT) {
      /* reads the call's results; the call already killed everything */
    }
  }
  return replaced;
}

static void copy_state(mem_state *d, const mem_state *s) {
  memcpy(d->f, s->f, s->n * sizeof *s->f);
  d->n = s->n;
}

/* Out-states of the last RECENT blocks in reverse postorder: a block whose
 * only predecessor is among them starts from its state (both arms of an
 * if, a chain of blocks), any other block from nothing. */
#define RECENT 4

uint32_t ir_pass_loads(ir_func *f) {
  mem_state *st = malloc((RECENT + 1) * sizeof *st);
  uint32_t owner[RECENT];
  if (!st) {
    f->oom = true;
    return 0;
  }
  for (uint32_t r = 0; r < RECENT; r++) owner[r] = UINT32_MAX;
  uint32_t replaced = 0;
  mem_state *cur = &st[RECENT];
  for (uint32_t o = 0; o < f->norder; o++) {
    uint32_t b = f->order[o];
    const ir_block *bl = &f->blocks[b];
    cur->n = 0;
    for (uint32_t r = 0; r < RECENT && bl->npred == 1 && !bl->loop_head; r++)
      if (owner[r] == bl->pred[0]) copy_state(cur, &st[r]);
    replaced += loads_in_block(f, b, cur);
    copy_state(&st[o % RECENT], cur);
    owner[o % RECENT] = b;
  }
  free(st);
  if (replaced) ir_canonicalize(f);
  return replaced;
}

/* ---- known bits ---- */

typedef struct kb_state {
  uint64_t *bits;  /* per value: bits it may have (valid when done) */
  uint8_t *mark;   /* 0 unknown, 1 being computed, 2 done */
} kb_state;

static uint64_t width_mask(uint8_t t) { return t == IR_I32 ? 0xFFFFFFFFull : ~0ull; }

/* The bits value v may have set (a superset), following at most `depth`
 * levels of operands; a value on a cycle being computed counts as any. */
static uint64_t may_bits(const ir_func *f, kb_state *s, uint32_t v, unsigned depth) {
  const ir_ins *i = &f->ins[v];
  uint64_t all = width_mask(i->type);
  if (i->type != IR_I32 && i->type != IR_I64) return ~0ull;
  if (s->mark[v] == 2) return s->bits[v];
  if (s->mark[v] == 1 || depth == 0) return all;
  s->mark[v] = 1;
  uint64_t r = all;
  switch (i->op) {
  case IR_CONST: r = i->imm & all; break;
  case IR_LOAD:
    switch (i->wop) {
    case OP_I32_LOAD8_U: case OP_I64_LOAD8_U: r = 0xFF; break;
    case OP_I32_LOAD16_U: case OP_I64_LOAD16_U: r = 0xFFFF; break;
    case OP_I64_LOAD32_U: r = 0xFFFFFFFFull; break;
    default: break;
    }
    break;
  case IR_I32_AND: case IR_I64_AND:
    r = may_bits(f, s, i->args[0], depth - 1) & may_bits(f, s, i->args[1], depth - 1);
    break;
  case IR_I32_OR: case IR_I64_OR: case IR_I32_XOR: case IR_I64_XOR:
    r = may_bits(f, s, i->args[0], depth - 1) | may_bits(f, s, i->args[1], depth - 1);
    break;
  case IR_I32_SHR_U: case IR_I64_SHR_U:
    if (f->ins[i->args[1]].op == IR_CONST)
      r = may_bits(f, s, i->args[0], depth - 1) >> (f->ins[i->args[1]].imm & (i->type == IR_I32 ? 31 : 63));
    break;
  case IR_I64_EXTEND_I32_U: r = may_bits(f, s, i->args[0], depth - 1) & 0xFFFFFFFFull; break;
  case IR_SELECT: r = may_bits(f, s, i->args[0], depth - 1) | may_bits(f, s, i->args[1], depth - 1); break;
  case IR_PHI:
    r = 0;
    for (uint32_t k = 0; k < i->nargs && r != all; k++) r |= may_bits(f, s, i->args[k], depth - 1);
    break;
  default:
    if ((ir_opinfos[i->op].flags & IRF_CMP) || i->op == IR_I32_EQZ || i->op == IR_I64_EQZ) r = 1;
    break;
  }
  s->bits[v] = r & all;
  s->mark[v] = 2;
  return r & all;
}

uint32_t ir_pass_known_bits(ir_func *f) {
  kb_state s = {calloc(f->nins + 1, sizeof *s.bits), calloc(f->nins + 1, 1)};
  uint32_t removed = 0;
  if (!s.bits || !s.mark) {
    f->oom = true;
  } else {
    for (uint32_t o = 0; o < f->norder; o++) {
      const ir_block *bl = &f->blocks[f->order[o]];
      for (uint32_t k = 0; k < bl->nins; k++) {
        uint32_t v = bl->ins[k];
        ir_ins *i = &f->ins[v];
        if (i->dead || (i->op != IR_I32_AND && i->op != IR_I64_AND)) continue;
        const ir_ins *c = &f->ins[ir_resolve(f, i->args[1])];
        if (c->op != IR_CONST) continue;
        uint32_t x = ir_resolve(f, i->args[0]);
        if (may_bits(f, &s, x, 8) & ~c->imm & width_mask(i->type)) continue;
        f->repl[v] = x;
        i->dead = 1;
        removed++;
      }
    }
  }
  free(s.bits);
  free(s.mark);
  if (removed) ir_canonicalize(f);
  return removed;
}
