/*
 * ir.c — building and inspecting the SSA IR (ir.h): the arena that owns a
 * function's memory, instructions and blocks, control-flow edges, reverse
 * postorder and dominators (Cooper, Harvey and Kennedy's iterative
 * algorithm), critical-edge splitting, and a text form for tests.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot/ir/ir.h"

const ir_opinfo ir_opinfos[IR_NOPS_] = {
#define X(name, n, f) {#name, n, f},
    IR_BASE_OPS(X)
#undef X
#define COMM(id) (IR_##id == IR_I32_ADD || IR_##id == IR_I32_MUL || IR_##id == IR_I32_AND || IR_##id == IR_I32_OR || \
                  IR_##id == IR_I32_XOR || IR_##id == IR_I32_EQ || IR_##id == IR_I32_NE || IR_##id == IR_I64_ADD || \
                  IR_##id == IR_I64_MUL || IR_##id == IR_I64_AND || IR_##id == IR_I64_OR ||                       \
                  IR_##id == IR_I64_XOR || IR_##id == IR_I64_EQ || IR_##id == IR_I64_NE)
#define CMP(id) (IR_##id >= IR_I32_EQ && IR_##id <= IR_I32_GE_U) || (IR_##id >= IR_I64_EQ && IR_##id <= IR_I64_GE_U) || \
                (IR_##id >= IR_F32_EQ && IR_##id <= IR_F32_GE) || (IR_##id >= IR_F64_EQ && IR_##id <= IR_F64_GE)
#define B(id, ta, tr, e) {#id, 2, IRF_PURE | (COMM(id) ? IRF_COMM : 0) | ((CMP(id)) ? IRF_CMP : 0)},
    SEM_INT_BINOPS(B) SEM_FLOAT_BINOPS(B) SEM_BITS_BINOPS(B)
#undef B
#define U(id, ta, tr, e) {#id, 1, IRF_PURE},
    SEM_UNOPS(U)
#undef U
#define IR_SIMD_ROW(id, imm) \
  {#id, -1, (imm) == IMM_MEMARG || (imm) == IMM_MEMARG_LANE ? IRF_EFFECT | IRF_READ : IRF_PURE},
#define OP(id, name, prefix, code, imm, arg, sig) IR_SIMD_PICK(prefix, id, imm)
#include "binary/opcodes.def"
#undef OP
#undef IR_SIMD_ROW
};

wm_opcode ir_simd_wasm_op(uint32_t op) {
  switch (op) {
#define IR_SIMD_ROW(id, imm) case IR_##id: return OP_##id;
#define OP(id, name, prefix, code, imm, arg, sig) IR_SIMD_PICK(prefix, id, imm)
#include "binary/opcodes.def"
#undef OP
#undef IR_SIMD_ROW
  default: return OP_COUNT_;
  }
}

uint32_t ir_simd_op(wm_opcode op) {
  switch (op) {
#define IR_SIMD_ROW(id, imm) case OP_##id: return IR_##id;
#define OP(id, name, prefix, code, imm, arg, sig) IR_SIMD_PICK(prefix, id, imm)
#include "binary/opcodes.def"
#undef OP
#undef IR_SIMD_ROW
  default: return IR_NOPS_;
  }
}

bool ir_ins_v128(const ir_func *f, const ir_ins *i) {
  if (i->type == IR_V128 || ir_op_is_simd(i->op)) return true;
  for (uint32_t k = 0; k < i->nargs; k++)
    if (f->ins[i->args[k]].type == IR_V128) return true;
  return false;
}

/* ---- arena ---- */

struct ir_chunk {
  ir_chunk *next;
  size_t used, cap;
  _Alignas(16) unsigned char data[];
};

void *ir_alloc(ir_func *f, size_t n) {
  n = (n + 15) & ~(size_t)15;
  if (!f->arena || f->arena->cap - f->arena->used < n) {
    size_t cap = n > 65536 ? n : 65536;
    ir_chunk *c = malloc(sizeof *c + cap);
    if (!c) {
      f->oom = true;
      return NULL;
    }
    c->next = f->arena;
    c->used = 0;
    c->cap = cap;
    f->arena = c;
  }
  void *p = f->arena->data + f->arena->used;
  f->arena->used += n;
  memset(p, 0, n);
  return p;
}

ir_func *ir_func_new(void) { return calloc(1, sizeof(ir_func)); }

void ir_func_free(ir_func *f) {
  if (!f) return;
  free(f->blocks);
  free(f->ins);
  free(f->repl);
  free(f->order);
  free(f->sites);
  while (f->arena) {
    ir_chunk *n = f->arena->next;
    free(f->arena);
    f->arena = n;
  }
  free(f);
}

/* Grows *p (elements of size sz) to hold need; false (f->oom) on failure. */
static bool grow(ir_func *f, void **p, uint32_t *cap, uint32_t need, size_t sz) {
  if (need <= *cap) return true;
  uint32_t nc = *cap ? *cap * 2 : 8;
  while (nc < need) nc *= 2;
  void *q = realloc(*p, nc * sz);
  if (!q) {
    f->oom = true;
    return false;
  }
  *p = q;
  *cap = nc;
  return true;
}

/* Grows an arena array *p (elements of size sz) to hold need: a new array
 * twice the size, the old one left in the arena (blocks' lists are short,
 * and a malloc and free per block cost more than the bytes). */
static bool grow_arena(ir_func *f, uint32_t **p, uint32_t *cap, uint32_t need) {
  if (need <= *cap) return true;
  uint32_t nc = *cap ? *cap * 2 : 4;
  while (nc < need) nc *= 2;
  uint32_t *q = ir_alloc(f, (size_t)nc * sizeof *q);
  if (!q) return false;
  if (*cap) memcpy(q, *p, *cap * sizeof *q);
  *p = q;
  *cap = nc;
  return true;
}

bool ir_block_reserve(ir_func *f, uint32_t b, uint32_t n) {
  ir_block *bl = &f->blocks[b];
  return grow_arena(f, &bl->ins, &bl->capins, n);
}

void ir_reserve(ir_func *f, uint32_t n) {
  uint32_t cap = f->capins;
  if (!grow(f, (void **)&f->ins, &f->capins, n, sizeof *f->ins) || f->capins == cap) return;
  uint32_t *r = realloc(f->repl, f->capins * sizeof *r);
  if (!r) {
    f->oom = true;
    return;
  }
  f->repl = r;
}

uint32_t ir_block_new(ir_func *f) {
  if (!grow(f, (void **)&f->blocks, &f->capblocks, f->nblocks + 1, sizeof *f->blocks)) return 0;
  ir_block *b = &f->blocks[f->nblocks];
  memset(b, 0, sizeof *b);
  return f->nblocks++;
}

static uint32_t new_ins(ir_func *f, uint32_t b, ir_op op, ir_type t, const uint32_t *args, uint32_t nargs,
                        uint64_t imm) {
  uint32_t cap = f->capins;
  if (!grow(f, (void **)&f->ins, &f->capins, f->nins + 1, sizeof *f->ins)) return 0;
  if (f->capins != cap) {
    uint32_t *r = realloc(f->repl, f->capins * sizeof *r);
    if (!r) {
      f->oom = true;
      return 0;
    }
    f->repl = r;
  }
  uint32_t v = f->nins++;
  ir_ins *i = &f->ins[v];
  memset(i, 0, sizeof *i);
  i->op = (uint16_t)op;
  i->type = (uint8_t)t;
  i->block = b;
  i->imm = imm;
  i->nargs = nargs;
  i->woff = f->woff; /* the wasm instruction being built (codemap.h) */
  i->inl = f->inl;
  if (nargs) {
    i->args = ir_alloc(f, nargs * sizeof *i->args);
    if (i->args && args) memcpy(i->args, args, nargs * sizeof *args);
    if (!i->args) i->nargs = 0;
  }
  f->repl[v] = v;
  return v;
}

static void block_append(ir_func *f, uint32_t b, uint32_t v, bool front) {
  ir_block *bl = &f->blocks[b];
  if (!grow_arena(f, &bl->ins, &bl->capins, bl->nins + 1)) return;
  if (front) {
    memmove(bl->ins + 1, bl->ins, bl->nins * sizeof *bl->ins);
    bl->ins[0] = v;
  } else {
    bl->ins[bl->nins] = v;
  }
  bl->nins++;
}

uint32_t ir_emit(ir_func *f, uint32_t b, ir_op op, ir_type t, const uint32_t *args, uint32_t nargs, uint64_t imm) {
  uint32_t v = new_ins(f, b, op, t, args, nargs, imm);
  if (!f->oom) block_append(f, b, v, false);
  return v;
}

uint32_t ir_phi_new(ir_func *f, uint32_t b, ir_type t) {
  uint32_t v = new_ins(f, b, IR_PHI, t, NULL, f->blocks[b].npred, 0);
  if (!f->oom) block_append(f, b, v, true);
  return v;
}

void ir_add_edge(ir_func *f, uint32_t from, uint32_t to) {
  ir_block *t = &f->blocks[to];
  if (!grow_arena(f, &t->pred, &t->cappred, t->npred + 1)) return;
  t->pred[t->npred++] = from;
}

void ir_set_succ(ir_func *f, uint32_t b, const uint32_t *succ, uint32_t n) {
  ir_block *bl = &f->blocks[b];
  bl->succ = ir_alloc(f, (n ? n : 1) * sizeof *succ);
  if (!bl->succ) return;
  memcpy(bl->succ, succ, n * sizeof *succ);
  bl->nsucc = n;
  for (uint32_t k = 0; k < n; k++) ir_add_edge(f, b, succ[k]);
}

uint16_t ir_inline_site_new(ir_func *f, uint16_t parent, uint32_t func, uint32_t call_woff) {
  if (f->nsites >= UINT16_MAX - 1 ||
      !grow(f, (void **)&f->sites, &f->capsites, f->nsites + 1, sizeof *f->sites))
    return 0;
  f->sites[f->nsites++] = (ir_inline_site){parent, func, call_woff};
  return (uint16_t)f->nsites;
}

uint32_t ir_resolve(const ir_func *f, uint32_t v) {
  while (f->repl[v] != v) v = f->repl[v];
  return v;
}

void ir_canonicalize(ir_func *f) {
  for (uint32_t v = 0; v < f->nins; v++) {
    ir_ins *i = &f->ins[v];
    for (uint32_t k = 0; k < i->nargs; k++) i->args[k] = ir_resolve(f, i->args[k]);
  }
}

/* ---- control flow ---- */

static uint32_t intersect(const ir_func *f, uint32_t a, uint32_t b) {
  while (a != b) {
    while (f->blocks[a].rpo > f->blocks[b].rpo) a = f->blocks[a].idom;
    while (f->blocks[b].rpo > f->blocks[a].rpo) b = f->blocks[b].idom;
  }
  return a;
}

/* Numbers the dominator tree in preorder (from 1): dom_pre is a block's
 * number and dom_post the last number in its subtree, so a dominates b
 * exactly when b's dom_pre lies in a's range; unreachable blocks get 0.
 * Subtree sizes come from the blocks in postorder (a block's immediate
 * dominator comes before it in reverse postorder), numbers from reverse
 * postorder. size and cursor are scratch of nblocks entries. */
static void number_dom_tree(ir_func *f, uint32_t *size, uint32_t *cursor) {
  for (uint32_t b = 0; b < f->nblocks; b++) f->blocks[b].dom_pre = f->blocks[b].dom_post = 0;
  if (!f->norder) return;
  for (uint32_t k = 0; k < f->norder; k++) size[f->order[k]] = 1;
  for (uint32_t k = f->norder - 1; k > 0; k--) size[f->blocks[f->order[k]].idom] += size[f->order[k]];
  uint32_t e = f->order[0];
  f->blocks[e].dom_pre = 1;
  cursor[e] = 2;
  for (uint32_t k = 1; k < f->norder; k++) {
    uint32_t b = f->order[k], p = f->blocks[b].idom;
    f->blocks[b].dom_pre = cursor[p];
    cursor[p] += size[b];
    cursor[b] = f->blocks[b].dom_pre + 1;
  }
  for (uint32_t k = 0; k < f->norder; k++) {
    ir_block *bl = &f->blocks[f->order[k]];
    bl->dom_post = bl->dom_pre + size[f->order[k]] - 1;
  }
}

bool ir_cfg(ir_func *f) {
  uint32_t n = f->nblocks;
  free(f->order);
  f->order = malloc((n + 1) * sizeof *f->order);
  uint32_t *stack = malloc((n + 1) * sizeof *stack), *next = calloc(n + 1, sizeof *next);
  bool *seen = calloc(n + 1, sizeof *seen);
  if (!f->order || !stack || !next || !seen) {
    free(stack);
    free(next);
    free(seen);
    f->oom = true;
    return false;
  }
  /* iterative depth-first search for postorder */
  uint32_t sp = 0, npost = 0;
  stack[sp++] = 0;
  seen[0] = true;
  while (sp) {
    uint32_t b = stack[sp - 1];
    if (next[b] < f->blocks[b].nsucc) {
      uint32_t s = f->blocks[b].succ[next[b]++];
      if (!seen[s]) {
        seen[s] = true;
        stack[sp++] = s;
      }
      continue;
    }
    f->order[npost++] = b;
    sp--;
  }
  for (uint32_t k = 0; k < npost / 2; k++) {
    uint32_t t = f->order[k];
    f->order[k] = f->order[npost - 1 - k];
    f->order[npost - 1 - k] = t;
  }
  f->norder = npost;
  for (uint32_t b = 0; b < n; b++) {
    f->blocks[b].rpo = UINT32_MAX;
    f->blocks[b].loop_head = false;
    f->blocks[b].loop_depth = 0;
  }
  for (uint32_t k = 0; k < npost; k++) f->blocks[f->order[k]].rpo = k;
  /* unreachable predecessors vanish (with their phi arguments) */
  for (uint32_t b = 0; b < n; b++) {
    ir_block *bl = &f->blocks[b];
    if (!seen[b]) continue;
    uint32_t keep = 0;
    for (uint32_t p = 0; p < bl->npred; p++) {
      if (!seen[bl->pred[p]]) continue;
      for (uint32_t k = 0; k < bl->nins; k++) {
        ir_ins *i = &f->ins[bl->ins[k]];
        if (i->op != IR_PHI) break;
        i->args[keep] = i->args[p];
      }
      bl->pred[keep++] = bl->pred[p];
    }
    bl->npred = keep;
    for (uint32_t k = 0; k < bl->nins; k++) {
      ir_ins *i = &f->ins[bl->ins[k]];
      if (i->op != IR_PHI) break;
      i->nargs = keep;
    }
  }
  /* dominators */
  f->blocks[0].idom = 0;
  for (uint32_t k = 1; k < npost; k++) f->blocks[f->order[k]].idom = UINT32_MAX;
  bool changed = true;
  while (changed) {
    changed = false;
    for (uint32_t k = 1; k < npost; k++) {
      uint32_t b = f->order[k], nd = UINT32_MAX;
      for (uint32_t p = 0; p < f->blocks[b].npred; p++) {
        uint32_t q = f->blocks[b].pred[p];
        if (f->blocks[q].idom == UINT32_MAX) continue;
        nd = nd == UINT32_MAX ? q : intersect(f, q, nd);
      }
      if (nd != f->blocks[b].idom) {
        f->blocks[b].idom = nd;
        changed = true;
      }
    }
  }
  number_dom_tree(f, stack, next);
  /* loops: a back edge goes to a block that dominates its source */
  for (uint32_t k = 0; k < npost; k++) {
    uint32_t b = f->order[k];
    for (uint32_t s = 0; s < f->blocks[b].nsucc; s++) {
      uint32_t h = f->blocks[b].succ[s];
      if (!ir_dominates(f, h, b)) continue;
      f->blocks[h].loop_head = true;
      /* blocks between the head and the latch in rpo that the head dominates */
      for (uint32_t j = f->blocks[h].rpo; j <= k; j++)
        if (ir_dominates(f, h, f->order[j])) f->blocks[f->order[j]].loop_depth++;
    }
  }
  free(stack);
  free(next);
  free(seen);
  return true;
}

bool ir_dominates(const ir_func *f, uint32_t a, uint32_t b) {
  const ir_block *x = &f->blocks[a], *y = &f->blocks[b];
  if (x->dom_post && y->dom_post) return x->dom_pre <= y->dom_pre && y->dom_pre <= x->dom_post;
  /* blocks made since ir_cfg: walk up the dominator tree */
  if (f->blocks[b].rpo == UINT32_MAX || f->blocks[a].rpo == UINT32_MAX) return false;
  for (;;) {
    if (a == b) return true;
    if (b == 0 || f->blocks[b].rpo < f->blocks[a].rpo) return false;
    b = f->blocks[b].idom;
  }
}

void ir_split_critical_edges(ir_func *f) {
  uint32_t n = f->nblocks;
  for (uint32_t b = 0; b < n && !f->oom; b++) {
    if (f->blocks[b].nsucc < 2) continue;
    for (uint32_t s = 0; s < f->blocks[b].nsucc && !f->oom; s++) {
      uint32_t t = f->blocks[b].succ[s];
      if (f->blocks[t].npred < 2) continue;
      uint32_t m = ir_block_new(f);
      if (f->oom) return;
      ir_emit(f, m, IR_JMP, IR_VOID, NULL, 0, 0);
      f->blocks[m].succ = ir_alloc(f, sizeof(uint32_t));
      if (!f->blocks[m].succ) return;
      f->blocks[m].succ[0] = t;
      f->blocks[m].nsucc = 1;
      f->blocks[m].sealed = true;
      ir_add_edge(f, b, m);
      /* every edge b -> t (a switch may have several) becomes b -> m -> t once */
      ir_block *tb = &f->blocks[t];
      for (uint32_t p = 0; p < tb->npred; p++)
        if (tb->pred[p] == b) {
          tb->pred[p] = m;
          break;
        }
      f->blocks[b].succ[s] = m; /* a repeated target (br_table) gets one split block per edge */
    }
  }
}

/* ---- text ---- */

static const char *type_name(uint8_t t) {
  static const char *const n[] = {"", "i32", "i64", "f32", "f64", "v128"};
  return t < 6 ? n[t] : "?";
}

size_t ir_print(const ir_func *f, char *buf, size_t size) {
  size_t at = 0;
#define OUT(...)                                                                                   \
  do {                                                                                             \
    int w_ = snprintf(at < size ? buf + at : NULL, at < size ? size - at : 0, __VA_ARGS__);        \
    if (w_ > 0) at += (size_t)w_;                                                                  \
  } while (0)
  for (uint32_t b = 0; b < f->nblocks; b++) {
    const ir_block *bl = &f->blocks[b];
    OUT("b%u:\n", b);
    for (uint32_t k = 0; k < bl->nins; k++) {
      uint32_t v = bl->ins[k];
      const ir_ins *i = &f->ins[v];
      if (i->dead) continue;
      OUT("  ");
      if (i->type) OUT("v%u:%s = ", v, type_name(i->type));
      OUT("%s", ir_opinfos[i->op].name);
      for (uint32_t a = 0; a < i->nargs; a++) OUT(" v%u", ir_resolve(f, i->args[a]));
      if (i->op == IR_CONST || i->op == IR_PARAM || i->op == IR_CALL || i->op == IR_LOAD || i->op == IR_STORE ||
          i->op == IR_TRAP || i->op == IR_GLOBAL_GET || i->op == IR_GLOBAL_SET)
        OUT(" #%llu", (unsigned long long)i->imm);
      for (uint32_t s = 0; ir_opinfos[i->op].flags & IRF_TERM && s < bl->nsucc; s++) OUT(" b%u", bl->succ[s]);
      OUT("\n");
    }
  }
#undef OUT
  if (at < size) buf[at] = 0;
  else if (size) buf[size - 1] = 0;
  return at + 1;
}
