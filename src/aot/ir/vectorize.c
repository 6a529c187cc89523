/*
 * vectorize.c — the loop vectorizer of the optimizing pipeline
 * (docs/aot-ir.md, "Loop vectorization").
 *
 * Wasm compiled without simd128 still has the shape of vector code:
 * element-wise loops over arrays, which clang unrolls by two and
 * strength-reduces to pointer induction variables. This pass finds such a
 * loop — one block looping on itself, every phi an i32 induction variable
 * (phi + constant), leaving when one of them reaches a loop-invariant bound
 * (`ne`/`eq`), its body only loads and stores of one element type (8 to
 * 64 bits) at (sum of induction variables and invariants) + constant,
 * joined by element-wise arithmetic that has a v128 form — and puts a
 * vector copy of it in front: each vector iteration does W scalar
 * iterations' work with one v128 access per array and 16 bytes, the U
 * unrolled lanes of the body and the W iterations packed into the vector
 * (or, for lanes wider than 16 bytes, two or four vectors per iteration).
 *
 * Correctness does not rest on analysis of the program but on a guard,
 * computed once before the loop (pure arithmetic, nothing that traps): the
 * trip count is exact (the bound is reached by whole steps), every byte
 * the vector loop will touch lies inside memory 0 as it is now (nothing in
 * the loop can grow it), and every array the loop stores to is disjoint
 * from every other array it touches, except an access to the very same
 * element in the same lane, which the body orders load before store. If
 * the guard fails, the original loop runs from the start, unchanged. If it
 * holds, the vector loop runs nv = (T-1)/W times, which can neither trap
 * nor observe a different order of accesses, and then the original loop
 * runs the remaining 1..W iterations from the induction variables the
 * vector loop ended with (at least one, so values the loop leaves behind
 * come from the scalar loop as before and no SSA repair is needed).
 *
 * Floating-point lanes compute what the scalar instruction computes
 * (add/sub/mul/div are lane-wise IEEE on SSE2 and NEON, with the same NaN
 * propagation as the scalar forms); nothing is reassociated, and a loop
 * carrying a value from one iteration to the next other than an induction
 * variable (a reduction) is left alone.
 */
#include <stdlib.h>
#include <string.h>

#include "aot/ir/ir.h"

#define VEC_MAX_IV 8      /* induction variables of one loop */
#define VEC_MAX_ACC 32    /* loads and stores in the body */
#define VEC_MAX_TERMS 4   /* summands of an address */
#define VEC_MAX_DEPTH 8   /* of an address expression */
#define VEC_MAX_STREAMS 16 /* vector accesses (groups of lanes) */
#define VEC_MAX_BODY 256  /* instructions in the loop block */
#define VEC_MAX_GROUP 64  /* bytes of the lanes of one array in one iteration */

typedef struct iv_info {
  uint32_t phi, upd, init; /* the phi, phi + step (back-edge value), the value entering */
  uint32_t step;           /* i32 */
  uint32_t vphi, vupd;     /* in the vector loop */
} iv_info;

/* An i32 address: the sum of terms (induction variable phis or loop
 * invariants), plus k, wrapping at 2^32 as i32.add does. */
typedef struct affine {
  uint32_t terms[VEC_MAX_TERMS], nterms;
  uint32_t k;
} affine;

typedef struct access {
  uint32_t v;
  bool store;
  affine a;
  uint64_t off;       /* the memarg offset */
  int stream;         /* the vector access this is a lane of (-1: none yet) */
  uint32_t tree;      /* store stream whose value tree reached this load, + 1 */
} access;

/* One v128 access: lane 0's instruction and the arrays it touches. */
typedef struct stream {
  uint32_t acc;       /* index into accesses of lane 0 */
  bool store;
} stream;

typedef struct vloop {
  ir_func *f;
  uint32_t h, pre, exit;
  iv_info iv[VEC_MAX_IV];
  uint32_t niv;
  int exit_iv;             /* the induction variable the exit compares */
  bool exit_on_phi;        /* compares the phi (else its update) */
  uint32_t bound;
  access acc[VEC_MAX_ACC];
  uint32_t nacc;
  stream st[VEC_MAX_STREAMS];
  uint32_t nst;
  uint8_t elem;            /* ir_type of the elements */
  uint32_t esize, lanes_u, w; /* element bytes, unrolled lanes per iteration, iterations per vector */
  uint32_t stride;         /* bytes per scalar iteration of every stream (U * esize) */
  bool has_poll;
  uint32_t *lane0;         /* per value: 1 in the trees of lanes that start a vector (lane 0 of
                            * every 16 bytes), the instructions the vector loop copies */
  uint32_t *vmap;          /* per value: its vector value in the vector loop, or UINT32_MAX */
  uint32_t *splat;         /* per value: its splat in the vector preheader, or UINT32_MAX */
  uint32_t vp, vh, vx;     /* vector preheader, loop, exit */
} vloop;

static bool enabled(void) {
  const char *e = getenv("WRUN_AOT_VECTORIZE");
  return !(e && e[0] == '0');
}

static bool in_loop(const vloop *L, uint32_t v) { return L->f->ins[v].block == L->h; }

static int iv_of_phi(const vloop *L, uint32_t v) {
  for (uint32_t k = 0; k < L->niv; k++)
    if (L->iv[k].phi == v) return (int)k;
  return -1;
}

static int iv_of_upd(const vloop *L, uint32_t v) {
  for (uint32_t k = 0; k < L->niv; k++)
    if (L->iv[k].upd == v) return (int)k;
  return -1;
}

static bool add_term(affine *a, uint32_t v) {
  if (a->nterms == VEC_MAX_TERMS) return false;
  uint32_t k = a->nterms++;
  while (k > 0 && a->terms[k - 1] > v) { /* sorted: equal sums compare equal */
    a->terms[k] = a->terms[k - 1];
    k--;
  }
  a->terms[k] = v;
  return true;
}

static bool decompose(const vloop *L, uint32_t v, affine *a, int depth) {
  const ir_func *f = L->f;
  v = ir_resolve(f, v);
  const ir_ins *i = &f->ins[v];
  if (depth > VEC_MAX_DEPTH || i->type != IR_I32) return false;
  if (i->op == IR_CONST) {
    a->k += (uint32_t)i->imm;
    return true;
  }
  if (!in_loop(L, v)) return add_term(a, v);
  int k = iv_of_phi(L, v);
  if (k >= 0) return add_term(a, v);
  k = iv_of_upd(L, v);
  if (k >= 0) {
    a->k += L->iv[k].step;
    return add_term(a, L->iv[k].phi);
  }
  if (i->op == IR_I32_ADD) return decompose(L, i->args[0], a, depth + 1) && decompose(L, i->args[1], a, depth + 1);
  if (i->op == IR_I32_SUB && f->ins[ir_resolve(f, i->args[1])].op == IR_CONST) { /* x - c */
    a->k -= (uint32_t)f->ins[ir_resolve(f, i->args[1])].imm;
    return decompose(L, i->args[0], a, depth + 1);
  }
  return false;
}

static bool same_terms(const affine *x, const affine *y) {
  if (x->nterms != y->nterms) return false;
  for (uint32_t k = 0; k < x->nterms; k++)
    if (x->terms[k] != y->terms[k]) return false;
  return true;
}

/* Bytes per scalar iteration an address advances by. */
static uint32_t stride_of(const vloop *L, const affine *a) {
  uint32_t s = 0;
  for (uint32_t k = 0; k < a->nterms; k++) {
    int j = iv_of_phi(L, a->terms[k]);
    if (j >= 0) s += L->iv[j].step;
  }
  return s;
}

/* The value type and the element size of a load or store (IR_VOID: not
 * one the pass takes). Narrow elements (8 and 16 bits) are i32 values;
 * only operations whose low 8 or 16 bits depend on nothing but the low
 * bits of their operands (vector_op) are allowed between them, so the
 * truncating store writes what a lane computes, whatever the extension of
 * the load (8-bit or 16-bit lanes, signed or not, agree there). */
static uint8_t elem_of(uint16_t wop, uint32_t *size) {
  switch (wop) {
  case OP_I32_LOAD8_U: case OP_I32_LOAD8_S: case OP_I32_STORE8: *size = 1; return IR_I32;
  case OP_I32_LOAD16_U: case OP_I32_LOAD16_S: case OP_I32_STORE16: *size = 2; return IR_I32;
  case OP_I32_LOAD: case OP_I32_STORE: *size = 4; return IR_I32;
  case OP_I64_LOAD: case OP_I64_STORE: *size = 8; return IR_I64;
  case OP_F32_LOAD: case OP_F32_STORE: *size = 4; return IR_F32;
  case OP_F64_LOAD: case OP_F64_STORE: *size = 8; return IR_F64;
  default: return IR_VOID;
  }
}

/* The v128 operation doing op on every lane, for elements of type t and
 * size esize (0: none). */
static ir_op vector_op(ir_op op, uint8_t t, uint32_t esize) {
  if (esize == 1) {
    switch (op) {
    case IR_I32_ADD: return IR_I8X16_ADD;
    case IR_I32_SUB: return IR_I8X16_SUB;
    case IR_I32_AND: return IR_V128_AND;
    case IR_I32_OR: return IR_V128_OR;
    case IR_I32_XOR: return IR_V128_XOR;
    default: return (ir_op)0;
    }
  }
  if (esize == 2) {
    switch (op) {
    case IR_I32_ADD: return IR_I16X8_ADD;
    case IR_I32_SUB: return IR_I16X8_SUB;
    case IR_I32_MUL: return IR_I16X8_MUL;
    case IR_I32_AND: return IR_V128_AND;
    case IR_I32_OR: return IR_V128_OR;
    case IR_I32_XOR: return IR_V128_XOR;
    default: return (ir_op)0;
    }
  }
  switch (t) {
  case IR_F64:
    switch (op) {
    case IR_F64_ADD: return IR_F64X2_ADD;
    case IR_F64_SUB: return IR_F64X2_SUB;
    case IR_F64_MUL: return IR_F64X2_MUL;
    case IR_F64_DIV: return IR_F64X2_DIV;
    default: return (ir_op)0;
    }
  case IR_F32:
    switch (op) {
    case IR_F32_ADD: return IR_F32X4_ADD;
    case IR_F32_SUB: return IR_F32X4_SUB;
    case IR_F32_MUL: return IR_F32X4_MUL;
    case IR_F32_DIV: return IR_F32X4_DIV;
    default: return (ir_op)0;
    }
  case IR_I32:
    switch (op) {
    case IR_I32_ADD: return IR_I32X4_ADD;
    case IR_I32_SUB: return IR_I32X4_SUB;
    case IR_I32_MUL: return IR_I32X4_MUL;
    case IR_I32_AND: return IR_V128_AND;
    case IR_I32_OR: return IR_V128_OR;
    case IR_I32_XOR: return IR_V128_XOR;
    default: return (ir_op)0;
    }
  case IR_I64:
    switch (op) {
    case IR_I64_ADD: return IR_I64X2_ADD;
    case IR_I64_SUB: return IR_I64X2_SUB;
    case IR_I64_AND: return IR_V128_AND;
    case IR_I64_OR: return IR_V128_OR;
    case IR_I64_XOR: return IR_V128_XOR;
    default: return (ir_op)0;
    }
  default: return (ir_op)0;
  }
}

static ir_op splat_op(uint8_t t, uint32_t esize) {
  if (esize == 1) return IR_I8X16_SPLAT;
  if (esize == 2) return IR_I16X8_SPLAT;
  switch (t) {
  case IR_F64: return IR_F64X2_SPLAT;
  case IR_F32: return IR_F32X4_SPLAT;
  case IR_I32: return IR_I32X4_SPLAT;
  default: return IR_I64X2_SPLAT;
  }
}

static int access_of(const vloop *L, uint32_t v) {
  for (uint32_t k = 0; k < L->nacc; k++)
    if (L->acc[k].v == v) return (int)k;
  return -1;
}

/* Is access y lane `lane` of a vector access whose lane 0 is x: the same
 * sum of terms, and lane * esize bytes further either through the i32
 * constant (same memarg offset) or through the memarg offset (same
 * constant)? The guard's bounds check of lane 0's whole vector then proves
 * that neither address wraps, so the lanes are adjacent in memory. */
static bool is_lane(const vloop *L, const access *x, const access *y, uint32_t lane) {
  if (!same_terms(&x->a, &y->a) || x->store != y->store) return false;
  uint32_t d = lane * L->esize;
  if (x->off == y->off) return y->a.k == x->a.k + d;
  return y->a.k == x->a.k && y->off == x->off + d;
}

/* Does y (in lane `lane`) compute what x computes in lane 0? Marks the
 * trees of the lanes that start a vector (lane 0, and lane 16 / esize ...
 * of a group wider than 16 bytes) in L->lane0 and records which store
 * stream reached each load. */
static bool match(vloop *L, uint32_t x, uint32_t y, uint32_t lane, uint32_t tree) {
  bool rep = lane % (16 / L->esize) == 0;
  ir_func *f = L->f;
  x = ir_resolve(f, x);
  y = ir_resolve(f, y);
  const ir_ins *a = &f->ins[x], *b = &f->ins[y];
  if (!in_loop(L, x) || a->op == IR_CONST) {
    if (a->op == IR_CONST && b->op == IR_CONST) return a->imm == b->imm && a->type == b->type && a->type == L->elem;
    return x == y && a->type == L->elem; /* the same invariant in every lane: a splat */
  }
  if (!in_loop(L, y) || a->op != b->op || a->type != b->type || a->type != L->elem) return false;
  if (a->op == IR_LOAD) {
    int ka = access_of(L, x), kb = access_of(L, y);
    if (ka < 0 || kb < 0 || !is_lane(L, &L->acc[ka], &L->acc[kb], lane)) return false;
    if (lane == 0) {
      if (L->acc[ka].stream >= 0 && L->st[L->acc[ka].stream].acc != (uint32_t)ka) return false; /* a later lane elsewhere */
      if (L->acc[ka].stream < 0) {
        if (L->nst == VEC_MAX_STREAMS) return false;
        L->st[L->nst] = (stream){(uint32_t)ka, false};
        L->acc[ka].stream = (int)L->nst++;
      }
    } else {
      if (L->acc[kb].stream >= 0 && L->acc[kb].stream != L->acc[ka].stream) return false;
      L->acc[kb].stream = L->acc[ka].stream;
    }
    if (L->acc[kb].tree && L->acc[kb].tree != tree) L->acc[kb].tree = UINT32_MAX; /* several trees */
    else L->acc[kb].tree = tree;
    if (rep) L->lane0[y] = 1;
    return true;
  }
  if (!vector_op((ir_op)a->op, L->elem, L->esize) || a->nargs != b->nargs || a->nargs != 2) return false;
  if (lane && x == y) return false; /* computed once for every lane: not element-wise */
  for (uint32_t k = 0; k < a->nargs; k++)
    if (!match(L, f->ins[x].args[k], f->ins[y].args[k], lane, tree)) return false;
  if (rep) L->lane0[y] = 1;
  return true;
}

/* The loop's shape: induction variables, exit, accesses, lanes. */
static bool analyze(vloop *L) {
  ir_func *f = L->f;
  const ir_block *bl = &f->blocks[L->h];
  if (bl->npred != 2 || bl->nsucc != 2 || bl->nins > VEC_MAX_BODY) return false;
  uint32_t ip = bl->pred[0] == L->h ? 1 : 0, ih = 1 - ip;
  if (bl->pred[ih] != L->h || bl->pred[ip] == L->h) return false;
  L->pre = bl->pred[ip];
  const ir_block *pb = &f->blocks[L->pre];
  if (pb->nsucc != 1 || pb->nins == 0 || f->ins[pb->ins[pb->nins - 1]].op != IR_JMP) return false;
  const ir_ins *t = &f->ins[bl->ins[bl->nins - 1]];
  if (t->op != IR_BR) return false;
  bool cont_on_true;
  if (bl->succ[0] == L->h && bl->succ[1] != L->h) cont_on_true = true, L->exit = bl->succ[1];
  else if (bl->succ[1] == L->h && bl->succ[0] != L->h) cont_on_true = false, L->exit = bl->succ[0];
  else return false;
  /* induction variables: every phi */
  for (uint32_t k = 0; k < bl->nins; k++) {
    uint32_t v = bl->ins[k];
    const ir_ins *p = &f->ins[v];
    if (p->op != IR_PHI) break;
    if (p->dead) continue;
    if (p->type != IR_I32 || p->nargs != 2 || L->niv == VEC_MAX_IV) return false;
    uint32_t upd = ir_resolve(f, p->args[ih]);
    const ir_ins *u = &f->ins[upd];
    if ((u->op != IR_I32_ADD && u->op != IR_I32_SUB) || u->block != L->h || ir_resolve(f, u->args[0]) != v) return false;
    uint32_t c = ir_resolve(f, u->args[1]);
    if (f->ins[c].op != IR_CONST || (uint32_t)f->ins[c].imm == 0) return false;
    uint32_t step = (uint32_t)f->ins[c].imm;
    if (u->op == IR_I32_SUB) step = 0u - step; /* clang's p - -64 */
    L->iv[L->niv++] = (iv_info){v, upd, ir_resolve(f, p->args[ip]), step, 0, 0};
  }
  /* the exit: an induction variable (or its update) ne/eq an invariant */
  uint32_t cv = ir_resolve(f, t->args[0]);
  const ir_ins *c = &f->ins[cv];
  if (c->op != (cont_on_true ? IR_I32_NE : IR_I32_EQ) || c->block != L->h) return false;
  uint32_t x = ir_resolve(f, c->args[0]), y = ir_resolve(f, c->args[1]);
  if (in_loop(L, x)) {
    uint32_t s = x;
    x = y;
    y = s;
  }
  if (in_loop(L, x) || !in_loop(L, y)) return false;
  L->bound = x;
  L->exit_iv = iv_of_upd(L, y);
  L->exit_on_phi = false;
  if (L->exit_iv < 0) {
    L->exit_iv = iv_of_phi(L, y);
    L->exit_on_phi = true;
  }
  if (L->exit_iv < 0) return false;
  uint32_t step = L->iv[L->exit_iv].step;
  if (step > (1u << 30) || (step & (step - 1))) return false; /* a positive power of two */
  /* the body: accesses; anything else with an effect refuses the loop */
  L->elem = IR_VOID;
  for (uint32_t k = 0; k < bl->nins - 1; k++) {
    uint32_t v = bl->ins[k];
    const ir_ins *i = &f->ins[v];
    if (i->dead || i->op == IR_PHI) continue;
    if (i->op == IR_POLL) {
      L->has_poll = true;
      continue;
    }
    if (i->op == IR_LOAD || i->op == IR_STORE) {
      uint32_t size = 0;
      uint8_t e = elem_of(i->wop, &size);
      if (e == IR_VOID || (L->elem != IR_VOID && (e != L->elem || size != L->esize)) || L->nacc == VEC_MAX_ACC)
        return false;
      L->elem = e;
      L->esize = size;
      access *a = &L->acc[L->nacc++];
      memset(a, 0, sizeof *a);
      a->v = v;
      a->store = i->op == IR_STORE;
      a->off = i->imm;
      a->stream = -1;
      if (!decompose(L, i->args[0], &a->a, 0)) return false;
      continue;
    }
    if (!(ir_opinfos[i->op].flags & IRF_PURE) || ir_op_is_simd(i->op) || i->type == IR_V128) return false;
  }
  if (L->elem == IR_VOID) return false;
  return true;
}

/* Lanes: the stores form groups of U adjacent elements; lane 0's value
 * tree must be matched by every other lane's. */
static bool find_lanes(vloop *L) {
  ir_func *f = L->f;
  uint32_t u = 0;
  for (uint32_t k = 0; k < L->nacc; k++) {
    access *s0 = &L->acc[k];
    if (!s0->store || s0->stream >= 0) continue;
    /* lane 0: the store of its group no other store is lane 1.. of */
    bool is_first = true;
    for (uint32_t j = 0; j < L->nacc && is_first; j++)
      for (uint32_t l = 1; l * L->esize < VEC_MAX_GROUP && is_first; l++)
        if (j != k && L->acc[j].store && is_lane(L, &L->acc[j], s0, l)) is_first = false;
    if (!is_first) continue;
    if (L->nst == VEC_MAX_STREAMS) return false;
    uint32_t sid = L->nst++;
    L->st[sid] = (stream){k, true};
    s0->stream = (int)sid;
    uint32_t n = 1;
    for (uint32_t l = 1; l * L->esize < VEC_MAX_GROUP; l++) {
      int found = -1;
      for (uint32_t j = 0; j < L->nacc; j++)
        if (L->acc[j].store && is_lane(L, s0, &L->acc[j], l)) found = (int)j;
      if (found < 0) break;
      if (L->acc[found].stream >= 0) return false;
      L->acc[found].stream = (int)sid;
      n++;
    }
    if (u && n != u) return false;
    u = n;
  }
  if (!u) return false;
  for (uint32_t k = 0; k < L->nacc; k++)
    if (L->acc[k].store && L->acc[k].stream < 0) return false;
  L->lanes_u = u;
  L->stride = u * L->esize;
  if (L->stride == 16 || L->stride == 32 || L->stride == 64) L->w = 1; /* 1, 2 or 4 vectors per iteration */
  else if (16 % L->stride == 0) L->w = 16 / L->stride;                 /* several iterations per vector */
  else return false;
  /* every lane's value tree like lane 0's */
  uint32_t nstores = L->nst;
  for (uint32_t sid = 0; sid < nstores; sid++) {
    const access *s0 = &L->acc[L->st[sid].acc];
    uint32_t x = f->ins[s0->v].args[1];
    for (uint32_t l = 0; l < u; l++) {
      int lj = -1;
      for (uint32_t j = 0; j < L->nacc; j++)
        if (L->acc[j].stream == (int)sid && is_lane(L, s0, &L->acc[j], l)) lj = (int)j;
      if (lj < 0 || !match(L, x, f->ins[L->acc[lj].v].args[1], l, sid + 1)) return false;
      if (l % (16 / L->esize) == 0) L->lane0[L->acc[lj].v] = 1;
    }
  }
  /* every load is a lane of some vector access; every access advances by
   * the width of its lanes each iteration */
  for (uint32_t k = 0; k < L->nacc; k++) {
    const access *a = &L->acc[k];
    if (a->stream < 0 || stride_of(L, &a->a) != L->stride) return false;
  }
  /* an array stored to may be read in the loop only at the same element
   * by the tree of that very store (load before store in every lane); two
   * stores to the same elements are not vectorized */
  for (uint32_t sa = 0; sa < L->nst; sa++) {
    if (!L->st[sa].store) continue;
    const access *x = &L->acc[L->st[sa].acc];
    for (uint32_t sb = 0; sb < L->nst; sb++) {
      const access *y = &L->acc[L->st[sb].acc];
      if (sa == sb || !same_terms(&x->a, &y->a) || x->a.k != y->a.k || x->off != y->off) continue;
      if (L->st[sb].store) return false;
      for (uint32_t k = 0; k < L->nacc; k++)
        if (L->acc[k].stream == (int)sb && L->acc[k].tree != sa + 1) return false;
    }
  }
  return true;
}

/* ---- building the guard and the vector loop ---- */

static uint32_t emit(vloop *L, uint32_t b, ir_op op, ir_type t, uint32_t a0, uint32_t a1, uint32_t nargs) {
  uint32_t args[2] = {a0, a1};
  return ir_emit(L->f, b, op, t, args, nargs, 0);
}

static uint32_t konst(vloop *L, uint32_t b, ir_type t, uint64_t imm) {
  return ir_emit(L->f, b, IR_CONST, t, NULL, 0, imm);
}

static uint32_t log2u(uint32_t x) {
  uint32_t n = 0;
  while (x > 1) x >>= 1, n++;
  return n;
}

/* The i32 address sum of a's terms + k, induction variables taken from
 * `ivs` (init values in the preheader, vector phis in the loop). */
static uint32_t address(vloop *L, uint32_t b, const affine *a, bool in_vector) {
  uint32_t sum = UINT32_MAX;
  for (uint32_t k = 0; k < a->nterms; k++) {
    uint32_t v = a->terms[k];
    int j = iv_of_phi(L, v);
    if (j >= 0) v = in_vector ? L->iv[j].vphi : L->iv[j].init;
    sum = sum == UINT32_MAX ? v : emit(L, b, IR_I32_ADD, IR_I32, sum, v, 2);
  }
  if (sum == UINT32_MAX) return konst(L, b, IR_I32, a->k);
  if (a->k) sum = emit(L, b, IR_I32_ADD, IR_I32, sum, konst(L, b, IR_I32, a->k), 2);
  return sum;
}

static void set_succ_raw(ir_func *f, uint32_t b, uint32_t s0, uint32_t s1, uint32_t n) {
  uint32_t *s = ir_alloc(f, 2 * sizeof *s);
  if (!s) return;
  s[0] = s0;
  s[1] = s1;
  f->blocks[b].succ = s;
  f->blocks[b].nsucc = n;
}

/* The guard at the end of the preheader; returns nv (i64), the number of
 * vector iterations, and sets *ok. */
static uint32_t build_guard(vloop *L, uint32_t *ok_out) {
  ir_func *f = L->f;
  uint32_t p = L->pre;
  const iv_info *e = &L->iv[L->exit_iv];
  uint32_t m = log2u(e->step);
  uint32_t d = emit(L, p, IR_I32_SUB, IR_I32, L->bound, e->init, 2);
  uint32_t d64 = emit(L, p, IR_I64_EXTEND_I32_U, IR_I64, d, 0, 1);
  /* whole steps reach the bound */
  uint32_t ok = emit(L, p, IR_I64_EQZ, IR_I32, emit(L, p, IR_I64_AND, IR_I64, d64, konst(L, p, IR_I64, e->step - 1), 2), 0, 1);
  uint32_t tc = emit(L, p, IR_I64_SHR_U, IR_I64, d64, konst(L, p, IR_I64, m), 2);
  if (L->exit_on_phi) tc = emit(L, p, IR_I64_ADD, IR_I64, tc, konst(L, p, IR_I64, 1), 2);
  /* more than W iterations (T = 0 is the 2^32 / step of a wrapping count) */
  ok = emit(L, p, IR_I32_AND, IR_I32, ok, emit(L, p, IR_I64_GT_U, IR_I32, tc, konst(L, p, IR_I64, L->w), 2), 2);
  uint32_t nv = emit(L, p, IR_I64_SHR_U, IR_I64, emit(L, p, IR_I64_SUB, IR_I64, tc, konst(L, p, IR_I64, 1), 2),
                     konst(L, p, IR_I64, log2u(L->w)), 2);
  uint32_t bytes = emit(L, p, IR_I64_SHL, IR_I64, nv, konst(L, p, IR_I64, log2u(L->w * L->stride)), 2); /* nv*W*stride */
  uint32_t mem = ir_emit(f, p, IR_MEM_BYTES, IR_I64, NULL, 0, 0);
  uint32_t lo[VEC_MAX_STREAMS], hi[VEC_MAX_STREAMS];
  for (uint32_t s = 0; s < L->nst; s++) {
    const access *a = &L->acc[L->st[s].acc];
    uint32_t addr = address(L, p, &a->a, false);
    lo[s] = emit(L, p, IR_I64_EXTEND_I32_U, IR_I64, addr, 0, 1);
    if (a->off) lo[s] = emit(L, p, IR_I64_ADD, IR_I64, lo[s], konst(L, p, IR_I64, a->off), 2);
    hi[s] = emit(L, p, IR_I64_ADD, IR_I64, lo[s], bytes, 2);
    ok = emit(L, p, IR_I32_AND, IR_I32, ok, emit(L, p, IR_I64_LE_U, IR_I32, hi[s], mem, 2), 2);
  }
  for (uint32_t s = 0; s < L->nst; s++) {
    if (!L->st[s].store) continue;
    const access *x = &L->acc[L->st[s].acc];
    for (uint32_t t = 0; t < L->nst; t++) {
      const access *y = &L->acc[L->st[t].acc];
      if (t == s || (t < s && L->st[t].store)) continue; /* each pair of stores once */
      if (same_terms(&x->a, &y->a) && x->a.k == y->a.k && x->off == y->off) continue; /* the same element */
      uint32_t before = emit(L, p, IR_I64_LE_U, IR_I32, hi[s], lo[t], 2);
      uint32_t after = emit(L, p, IR_I64_LE_U, IR_I32, hi[t], lo[s], 2);
      ok = emit(L, p, IR_I32_AND, IR_I32, ok, emit(L, p, IR_I32_OR, IR_I32, before, after, 2), 2);
    }
  }
  *ok_out = ok;
  return nv;
}

/* The vector value standing for lane 0's value x inside the vector loop. */
static uint32_t vector_value(vloop *L, uint32_t x) {
  ir_func *f = L->f;
  x = ir_resolve(f, x);
  if (L->vmap[x] != UINT32_MAX) return L->vmap[x];
  if (L->splat[x] != UINT32_MAX) return L->splat[x];
  uint32_t s = x;
  if (in_loop(L, x)) /* a constant inside the loop: a copy in the vector preheader */
    s = konst(L, L->vp, (ir_type)f->ins[x].type, f->ins[x].imm);
  uint32_t v = emit(L, L->vp, splat_op(L->elem, L->esize), IR_V128, s, 0, 1);
  f->ins[v].wop = (uint16_t)ir_simd_wasm_op(f->ins[v].op);
  L->splat[x] = v;
  return v;
}

static void transform(vloop *L) {
  ir_func *f = L->f;
  uint32_t h = L->h, p = L->pre;
  /* the preheader's jump goes; the guard takes its place */
  ir_block *pb = &f->blocks[p];
  f->ins[pb->ins[pb->nins - 1]].dead = 1;
  pb->nins--;
  uint32_t ok;
  uint32_t nv = build_guard(L, &ok);
  L->vp = ir_block_new(f);
  L->vh = ir_block_new(f);
  L->vx = ir_block_new(f);
  if (f->oom) return;
  uint32_t vp = L->vp, vh = L->vh, vx = L->vx;
  f->blocks[vp].sealed = f->blocks[vh].sealed = f->blocks[vx].sealed = true;
  emit(L, p, IR_BR, IR_VOID, ok, 0, 1);
  set_succ_raw(f, p, vp, h, 2);
  ir_add_edge(f, p, vp);
  /* vector preheader: where the vector loop stops */
  const iv_info *e = &L->iv[L->exit_iv];
  uint32_t shift = log2u(L->w) + log2u(e->step);
  uint32_t span = emit(L, vp, IR_I32_WRAP_I64, IR_I32, emit(L, vp, IR_I64_SHL, IR_I64, nv, konst(L, vp, IR_I64, shift), 2), 0, 1);
  uint32_t endv = emit(L, vp, IR_I32_ADD, IR_I32, e->init, span, 2);
  /* vector loop: phis first */
  ir_add_edge(f, vp, vh);
  ir_add_edge(f, vh, vh);
  for (uint32_t k = 0; k < L->niv; k++) L->iv[k].vphi = ir_phi_new(f, vh, IR_I32);
  if (f->oom) return;
  if (L->has_poll) ir_emit(f, vh, IR_POLL, IR_VOID, NULL, 0, 0);
  const ir_block *hb = &f->blocks[h];
  affine addrs[VEC_MAX_ACC];
  uint32_t addr_v[VEC_MAX_ACC], naddr = 0;
  for (uint32_t k = 0; k < hb->nins - 1 && !f->oom; k++) {
    uint32_t v = f->blocks[h].ins[k];
    if (!L->lane0[v] || f->ins[v].dead) continue;
    uint16_t op = f->ins[v].op;
    uint32_t r;
    if (op == IR_LOAD || op == IR_STORE) {
      const access *a = &L->acc[access_of(L, v)];
      uint64_t off = f->ins[v].imm;
      uint32_t addr = UINT32_MAX; /* computed once per sum (no value numbering runs after this pass) */
      for (uint32_t j = 0; j < naddr && addr == UINT32_MAX; j++)
        if (same_terms(&addrs[j], &a->a) && addrs[j].k == a->a.k) addr = addr_v[j];
      if (addr == UINT32_MAX) {
        addr = address(L, vh, &a->a, true);
        if (naddr < VEC_MAX_ACC) {
          addrs[naddr] = a->a;
          addr_v[naddr++] = addr;
        }
      }
      if (op == IR_LOAD) {
        r = ir_emit(f, vh, IR_V128_LOAD, IR_V128, &addr, 1, off);
      } else {
        uint32_t args[2] = {addr, vector_value(L, f->ins[v].args[1])};
        r = ir_emit(f, vh, IR_V128_STORE, IR_VOID, args, 2, off);
      }
    } else {
      uint32_t a0 = vector_value(L, f->ins[v].args[0]), a1 = vector_value(L, f->ins[v].args[1]);
      r = emit(L, vh, vector_op((ir_op)op, L->elem, L->esize), IR_V128, a0, a1, 2);
    }
    if (f->oom) return;
    f->ins[r].wop = (uint16_t)ir_simd_wasm_op(f->ins[r].op);
    L->vmap[v] = r;
  }
  for (uint32_t k = 0; k < L->niv; k++)
    L->iv[k].vupd = emit(L, vh, IR_I32_ADD, IR_I32, L->iv[k].vphi, konst(L, vh, IR_I32, L->iv[k].step * L->w), 2);
  uint32_t more = emit(L, vh, IR_I32_NE, IR_I32, L->iv[L->exit_iv].vupd, endv, 2);
  emit(L, vh, IR_BR, IR_VOID, more, 0, 1);
  set_succ_raw(f, vh, vh, vx, 2);
  ir_add_edge(f, vh, vx);
  if (f->oom) return;
  for (uint32_t k = 0; k < L->niv; k++) { /* preds of vh: vp, vh */
    f->ins[L->iv[k].vphi].args[0] = L->iv[k].init;
    f->ins[L->iv[k].vphi].args[1] = L->iv[k].vupd;
  }
  emit(L, vp, IR_JMP, IR_VOID, 0, 0, 0);
  set_succ_raw(f, vp, vh, 0, 1);
  /* vector exit: on to the scalar loop with the induction variables reached */
  emit(L, vx, IR_JMP, IR_VOID, 0, 0, 0);
  set_succ_raw(f, vx, h, 0, 1);
  ir_add_edge(f, vx, h);
  for (uint32_t k = 0; k < L->niv && !f->oom; k++) {
    ir_ins *phi = &f->ins[L->iv[k].phi];
    uint32_t *args = ir_alloc(f, (phi->nargs + 1) * sizeof *args);
    if (!args) return;
    memcpy(args, phi->args, phi->nargs * sizeof *args);
    args[phi->nargs] = L->iv[k].vupd;
    phi = &f->ins[L->iv[k].phi];
    phi->args = args;
    phi->nargs++;
  }
}

static bool try_loop(ir_func *f, uint32_t h, uint32_t *buf) {
  vloop *L = calloc(1, sizeof *L);
  if (!L) {
    f->oom = true;
    return false;
  }
  L->f = f;
  L->h = h;
  L->lane0 = buf;
  L->vmap = buf + f->nins;
  L->splat = buf + 2 * (size_t)f->nins;
  uint32_t n = f->nins;
  memset(L->lane0, 0, n * sizeof *buf);
  memset(L->vmap, 0xFF, 2 * (size_t)n * sizeof *buf);
  bool done = false;
  if (analyze(L) && find_lanes(L)) {
    /* new instructions take the position of the loop's branch (a POLL of
     * the vector loop that traps is reported at the loop); lookups past the
     * instructions known now never happen: only the loop's values are */
    const ir_ins *br = &f->ins[f->blocks[h].ins[f->blocks[h].nins - 1]];
    uint32_t woff = f->woff;
    uint16_t inl = f->inl;
    f->woff = br->woff;
    f->inl = br->inl;
    transform(L);
    f->woff = woff;
    f->inl = inl;
    done = !f->oom;
  }
  free(L);
  return done;
}

uint32_t ir_pass_vectorize(ir_func *f) {
  if (!enabled() || f->oom) return 0;
  uint32_t n = 0, nb = f->nblocks, nins = f->nins;
  uint32_t *buf = malloc(3 * ((size_t)nins + 1) * sizeof *buf);
  if (!buf) {
    f->oom = true;
    return 0;
  }
  for (uint32_t b = 0; b < nb && !f->oom; b++) {
    const ir_block *bl = &f->blocks[b];
    if (!bl->loop_head || bl->nsucc != 2 || (bl->succ[0] != b && bl->succ[1] != b)) continue;
    if (f->nins != nins) { /* values of earlier transforms: grow the maps */
      nins = f->nins;
      uint32_t *nbuf = realloc(buf, 3 * ((size_t)nins + 1) * sizeof *buf);
      if (!nbuf) {
        f->oom = true;
        break;
      }
      buf = nbuf;
    }
    if (try_loop(f, b, buf)) n++;
  }
  free(buf);
  if (n && !f->oom) ir_cfg(f);
  return n;
}
