/*
 * widemul.c — the 64x64->128-bit multiplication that wasm32 code spells out
 * in 32-bit halves, recognised and replaced (docs/aot-ir.md, "Wide
 * multiplication").
 *
 * wasm has no instruction giving the high half of a 64-bit product, so
 * clang's __multi3 (compiler-rt's __mulddi3 inside it), Hacker's Delight's
 * mulhu and xxHash's portable mult64to128 build it from four 32x32->64
 * partial products with shifts, masks and adds. After inlining and value
 * numbering that tree is plain IR; this pass proves it is the product of two
 * 64-bit values a and b and replaces
 *   - the high half by IR_I64_MULHU(a, b) (plus any further terms added to
 *     it, such as __multi3's cross terms of 128-bit operands), or by
 *     IR_I64_MULHS(a, b) when the further terms are __multi3's cross terms of
 *     sign-extended operands: (a >>s 63) * b + a * (b >>s 63);
 *   - the low half by one i64.mul.
 * A backend opts in through `supports`; nothing is rewritten for one that
 * refuses the new ops (the low half is an existing op and always taken).
 *
 * Notation: lo(x) = x & 0xFFFFFFFF, hi(x) = x >>u 32, LL = lo(a)*lo(b),
 * X and Y the cross products hi(a)*lo(b) and lo(a)*hi(b) (either way round),
 * HH = hi(a)*hi(b). Every term below is at most (2^32-1)^2 + 2(2^32-1) <
 * 2^64, so the modular sums of the IR equal the integer sums, and
 *   a*b = HH 2^64 + (X + Y) 2^32 + LL.
 * The two shapes of the middle sum Q (the bits 32..95 before carrying):
 *   A (__mulddi3, mulhu): P = hi(LL) + X, Q = lo(P) + Y
 *   D (mult64to128):      P = X,          Q = hi(LL) + lo(X) + Y
 * In both a*b = (HH + hi(P) + hi(Q)) 2^64 + lo(Q) 2^32 + lo(LL), so
 *   high = HH + hi(P) + hi(Q),  low = (Q << 32) | lo(LL).
 * A third shape adds the shifted cross products into the low half and
 * counts the carries with compares (wyhash's portable _wymum):
 *   C: T = LL + (X << 32), L = T + (Y << 32), low = L,
 *      high = HH + hi(X) + hi(Y) + [T < LL] + [L < T].
 * Sums are matched as multisets of terms (add trees flattened, zero terms
 * dropped), every assignment of terms to roles is tried, and every operand
 * must trace to the same a and b with exact masks and shift counts: a
 * near miss is left alone.
 */
#include <string.h>

#include "aot/ir/ir.h"

#define MAX_TERMS 8

static const ir_ins *I(const ir_func *f, uint32_t v) { return &f->ins[v]; }

static bool is_k(const ir_func *f, uint32_t v, uint64_t k) { return I(f, v)->op == IR_CONST && I(f, v)->imm == k; }

/* v = op(x, k) with the constant on either side (value numbering puts it on
 * the right; a commutative op only). */
static bool op_k(const ir_func *f, uint32_t v, ir_op op, uint64_t k, uint64_t kmask, uint32_t *x) {
  const ir_ins *i = I(f, v);
  if (i->op != op || i->dead || i->nargs != 2) return false;
  const ir_ins *c = I(f, i->args[1]);
  if (c->op == IR_CONST && (c->imm & kmask) == k) {
    *x = i->args[0];
    return true;
  }
  return false;
}

/* v = lo(x): x & 0xFFFFFFFF, or the zero-extended wrap of x. */
static bool lo_of(const ir_func *f, uint32_t v, uint32_t *x) {
  if (op_k(f, v, IR_I64_AND, 0xFFFFFFFFu, UINT64_MAX, x)) return true;
  const ir_ins *i = I(f, v);
  if (i->op == IR_I64_EXTEND_I32_U && I(f, i->args[0])->op == IR_I32_WRAP_I64) {
    *x = I(f, i->args[0])->args[0];
    return true;
  }
  return false;
}

/* v = hi(x): x >>u 32 (the count taken modulo 64, as wasm does). */
static bool hi_of(const ir_func *f, uint32_t v, uint32_t *x) { return op_k(f, v, IR_I64_SHR_U, 32, 63, x); }

/* v = x << 32. */
static bool shl32_of(const ir_func *f, uint32_t v, uint32_t *x) { return op_k(f, v, IR_I64_SHL, 32, 63, x); }

/* v = x >>s 63: all ones when x is negative, else 0. */
static bool sign_of(const ir_func *f, uint32_t v, uint32_t *x) { return op_k(f, v, IR_I64_SHR_S, 63, 63, x); }

/* v = p * q (i64). */
static bool mul_of(const ir_func *f, uint32_t v, uint32_t *p, uint32_t *q) {
  const ir_ins *i = I(f, v);
  if (i->op != IR_I64_MUL || i->dead) return false;
  *p = i->args[0];
  *q = i->args[1];
  return true;
}

/* v = lo(x) * lo(y). */
static bool lolo(const ir_func *f, uint32_t v, uint32_t *x, uint32_t *y) {
  uint32_t p, q;
  return mul_of(f, v, &p, &q) && lo_of(f, p, x) && lo_of(f, q, y);
}

/* v = hi(h) * lo(l), the operands either way round. */
static bool cross(const ir_func *f, uint32_t v, uint32_t *h, uint32_t *l) {
  uint32_t p, q;
  if (!mul_of(f, v, &p, &q)) return false;
  return (hi_of(f, p, h) && lo_of(f, q, l)) || (hi_of(f, q, h) && lo_of(f, p, l));
}

/* v = hi(a) * hi(b) for the given a and b (either way round). */
static bool hihi(const ir_func *f, uint32_t v, uint32_t a, uint32_t b) {
  uint32_t p, q, x, y;
  if (!mul_of(f, v, &p, &q) || !hi_of(f, p, &x) || !hi_of(f, q, &y)) return false;
  return (x == a && y == b) || (x == b && y == a);
}

/* A term known to be 0: the constant, or a product with the constant 0
 * (__multi3's cross terms when the high halves are constant zeros, which
 * folding leaves as `x * 0`). */
static bool zero(const ir_func *f, uint32_t v) {
  uint32_t x;
  return is_k(f, v, 0) || op_k(f, v, IR_I64_MUL, 0, UINT64_MAX, &x);
}

/* The terms of the i64 add tree at v (at most four levels, MAX_TERMS
 * terms), zeros dropped. False when there are more. */
static bool flatten(const ir_func *f, uint32_t v, uint32_t *t, uint32_t *n, unsigned depth) {
  const ir_ins *i = I(f, v);
  if (i->op == IR_I64_ADD && !i->dead && depth < 4)
    return flatten(f, i->args[0], t, n, depth + 1) && flatten(f, i->args[1], t, n, depth + 1);
  if (zero(f, v)) return true;
  if (*n == MAX_TERMS) return false;
  t[(*n)++] = v;
  return true;
}

/* What a proven middle sum says about its product. */
typedef struct wide {
  uint32_t a, b;  /* the 64-bit factors */
  uint32_t p;     /* the value whose hi() the high half adds (P above) */
  uint32_t ll;    /* lo(a) * lo(b) */
} wide;

/* Are x and y the two cross products of the factors of ll = lo(s)*lo(t)?
 * Sets w->a, w->b. */
static bool crosses_fit(const ir_func *f, uint32_t ll, uint32_t x, uint32_t y, wide *w) {
  uint32_t s, t, h1, l1, h2, l2;
  if (!lolo(f, ll, &s, &t) || !cross(f, x, &h1, &l1) || !cross(f, y, &h2, &l2)) return false;
  if (h2 != l1 || l2 != h1) return false; /* y = hi(l1)*lo(h1): the other cross product of the same two */
  if (!((h1 == s && l1 == t) || (h1 == t && l1 == s))) return false;
  w->a = h1;
  w->b = l1;
  w->ll = ll;
  return true;
}

/* Is q the middle sum Q of a product (shape A or D above)? */
static bool match_mid(const ir_func *f, uint32_t q, wide *w) {
  uint32_t t[MAX_TERMS], n = 0;
  if (!flatten(f, q, t, &n, 0)) return false;
  if (n == 2) { /* A: lo(P) + Y with P = hi(LL) + X */
    for (uint32_t i = 0; i < 2; i++) {
      uint32_t p, u[MAX_TERMS], m = 0, ll;
      if (!lo_of(f, t[i], &p) || !flatten(f, p, u, &m, 0) || m != 2) continue;
      for (uint32_t j = 0; j < 2; j++)
        if (hi_of(f, u[j], &ll) && crosses_fit(f, ll, u[1 - j], t[1 - i], w)) {
          w->p = p;
          return true;
        }
    }
  } else if (n == 3) { /* D: hi(LL) + lo(X) + Y */
    for (uint32_t i = 0; i < 3; i++)
      for (uint32_t j = 0; j < 3; j++) {
        uint32_t ll, x, k = 3 - i - j;
        if (i == j || !hi_of(f, t[i], &ll) || !lo_of(f, t[j], &x)) continue;
        if (crosses_fit(f, ll, x, t[k], w)) {
          w->p = x;
          return true;
        }
      }
  }
  return false;
}

/* v = [s < base] as an i64 (extend_i32_u of lt_u, or of gt_u mirrored):
 * the carry out of an add whose result is s and whose first operand was
 * base. */
static bool carry_of(const ir_func *f, uint32_t v, uint32_t *s, uint32_t *base) {
  const ir_ins *i = I(f, v), *c;
  if (i->op != IR_I64_EXTEND_I32_U) return false;
  c = I(f, i->args[0]);
  if (c->op == IR_I64_LT_U) {
    *s = c->args[0];
    *base = c->args[1];
    return true;
  }
  if (c->op == IR_I64_GT_U) {
    *s = c->args[1];
    *base = c->args[0];
    return true;
  }
  return false;
}

/* Is s = base + (x << 32) (two terms)? Sets x. */
static bool plus_shifted(const ir_func *f, uint32_t s, uint32_t base, uint32_t *x) {
  const ir_ins *i = I(f, s);
  if (i->op != IR_I64_ADD || i->dead) return false;
  for (uint32_t k = 0; k < 2; k++)
    if (i->args[1 - k] == base && shl32_of(f, i->args[k], x)) return true;
  return false;
}

/* Shape C, with carry compares (wyhash's portable _wymum):
 * T = LL + (X << 32), c1 = [T < LL], L = T + (Y << 32), c2 = [L < T] are
 * the low half and its two carries (LL + lo(X) 2^32 + lo(Y) 2^32 = L +
 * (c1 + c2) 2^64), so the high half is HH + hi(X) + hi(Y) + c1 + c2. Terms
 * t[0..n); the ones used are marked in used. */
static bool match_high_carries(const ir_func *f, const uint32_t *t, uint32_t n, wide *w, bool *used) {
  for (uint32_t i = 0; i < n; i++) {
    uint32_t l, tt, y, tt2, ll, x;
    if (!carry_of(f, t[i], &l, &tt) || !plus_shifted(f, l, tt, &y)) continue;
    for (uint32_t j = 0; j < n; j++) {
      if (j == i || !carry_of(f, t[j], &tt2, &ll) || tt2 != tt || !plus_shifted(f, tt, ll, &x)) continue;
      if (!crosses_fit(f, ll, x, y, w)) continue;
      uint32_t need[2] = {x, y};
      bool ok = true;
      memset(used, 0, n * sizeof *used);
      used[i] = used[j] = true;
      for (uint32_t r = 0; r < 3 && ok; r++) {
        ok = false;
        for (uint32_t k = 0; k < n && !ok; k++) {
          uint32_t h;
          if (used[k]) continue;
          ok = r < 2 ? hi_of(f, t[k], &h) && h == need[r] : hihi(f, t[k], w->a, w->b);
          if (ok) used[k] = true;
        }
      }
      if (ok) return true;
    }
  }
  return false;
}

/* Is v the high half HH + hi(P) + hi(Q) of a product, plus other terms
 * (returned in rest)? */
static bool match_high(const ir_func *f, uint32_t v, wide *w, uint32_t *rest, uint32_t *nrest) {
  uint32_t t[MAX_TERMS], n = 0;
  if (I(f, v)->op != IR_I64_ADD || !flatten(f, v, t, &n, 0) || n < 3) return false;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t q;
    if (!hi_of(f, t[i], &q) || !match_mid(f, q, w)) continue;
    for (uint32_t j = 0; j < n; j++) {
      uint32_t p;
      if (j == i || !hi_of(f, t[j], &p) || p != w->p) continue;
      for (uint32_t k = 0; k < n; k++) {
        if (k == i || k == j || !hihi(f, t[k], w->a, w->b)) continue;
        *nrest = 0;
        for (uint32_t r = 0; r < n; r++)
          if (r != i && r != j && r != k) rest[(*nrest)++] = t[r];
        return true;
      }
    }
  }
  bool used[MAX_TERMS];
  if (n < 5 || !match_high_carries(f, t, n, w, used)) return false;
  *nrest = 0;
  for (uint32_t r = 0; r < n; r++)
    if (!used[r]) rest[(*nrest)++] = t[r];
  return true;
}

/* Are the two further terms (a >>s 63) * b and a * (b >>s 63), which turn
 * the unsigned high half into the signed one? (Modulo 2^64 the signed
 * product's high half is mulhu(a, b) - [a < 0] b - [b < 0] a.) */
static bool signed_terms(const ir_func *f, const uint32_t *rest, uint32_t a, uint32_t b) {
  bool got_a = false, got_b = false; /* (a >>s 63) * b, (b >>s 63) * a */
  for (uint32_t r = 0; r < 2; r++) {
    uint32_t p, q, s;
    if (!mul_of(f, rest[r], &p, &q)) return false;
    bool fit_a = (sign_of(f, p, &s) && s == a && q == b) || (sign_of(f, q, &s) && s == a && p == b);
    bool fit_b = (sign_of(f, p, &s) && s == b && q == a) || (sign_of(f, q, &s) && s == b && p == a);
    if (fit_a && !got_a) got_a = true;
    else if (fit_b && !got_b) got_b = true;
    else return false;
  }
  return got_a && got_b;
}

/* Is v the low half (Q << 32) | lo(LL) (| or + or ^: the bits do not
 * overlap), Q shifted directly or through lo(Q), or shape C's
 * LL + (X << 32) + (Y << 32) (which is a*b modulo 2^64)? */
static bool match_low(const ir_func *f, uint32_t v, wide *w) {
  const ir_ins *i = I(f, v);
  if ((i->op != IR_I64_OR && i->op != IR_I64_ADD && i->op != IR_I64_XOR) || i->dead) return false;
  uint32_t t[MAX_TERMS], n = 0;
  if (i->op == IR_I64_ADD && flatten(f, v, t, &n, 0) && n == 3) /* shape C: LL + (X << 32) + (Y << 32) */
    for (uint32_t k = 0; k < 3; k++) {
      uint32_t x, y;
      if (shl32_of(f, t[(k + 1) % 3], &x) && shl32_of(f, t[(k + 2) % 3], &y) && crosses_fit(f, t[k], x, y, w))
        return true;
    }
  for (uint32_t s = 0; s < 2; s++) {
    uint32_t q, l, ll;
    if (!shl32_of(f, i->args[s], &q) || !lo_of(f, i->args[1 - s], &ll)) continue;
    if (lo_of(f, q, &l) && match_mid(f, l, w) && w->ll == ll) return true;
    if (match_mid(f, q, w) && w->ll == ll) return true;
  }
  return false;
}

/* Turns v into op(x, y) in place (its uses stay). */
static void become(ir_func *f, uint32_t v, ir_op op, uint32_t x, uint32_t y) {
  ir_ins *i = &f->ins[v];
  i->op = (uint16_t)op;
  i->imm = 0;
  i->args[0] = x;
  i->args[1] = y;
}

/* A new i64 op(x, y) placed right before v in v's block (f->ins may move). */
static uint32_t insert_before(ir_func *f, uint32_t v, ir_op op, uint32_t x, uint32_t y) {
  uint32_t b = f->ins[v].block, args[2] = {x, y};
  f->woff = f->ins[v].woff;
  f->inl = f->ins[v].inl;
  uint32_t n = ir_emit(f, b, op, IR_I64, args, 2, 0);
  if (f->oom) return UINT32_MAX;
  ir_block *bl = &f->blocks[b];
  uint32_t k = 0;
  while (k < bl->nins && bl->ins[k] != v) k++;
  if (k + 1 >= bl->nins) return UINT32_MAX; /* cannot happen: v is in b, n was appended after it */
  memmove(bl->ins + k + 1, bl->ins + k, (bl->nins - 1 - k) * sizeof *bl->ins);
  bl->ins[k] = n;
  return n;
}

static bool backend_takes(const ir_func *f, bool (*ok)(const ir_func *, const ir_ins *), ir_op op, uint32_t a,
                          uint32_t b) {
  uint32_t args[2] = {a, b};
  ir_ins probe = {.op = (uint16_t)op, .type = IR_I64, .nargs = 2, .args = args};
  return ok(f, &probe);
}

/* The high half at v, rewritten. */
static bool rewrite_high(ir_func *f, uint32_t v, bool (*ok)(const ir_func *, const ir_ins *)) {
  wide w;
  uint32_t rest[MAX_TERMS], nrest;
  if (!match_high(f, v, &w, rest, &nrest)) return false;
  if (nrest == 2 && signed_terms(f, rest, w.a, w.b) && backend_takes(f, ok, IR_I64_MULHS, w.a, w.b)) {
    become(f, v, IR_I64_MULHS, w.a, w.b);
    return true;
  }
  if (!backend_takes(f, ok, IR_I64_MULHU, w.a, w.b)) return false;
  if (nrest == 0) {
    become(f, v, IR_I64_MULHU, w.a, w.b);
    return true;
  }
  uint32_t acc = insert_before(f, v, IR_I64_MULHU, w.a, w.b);
  for (uint32_t r = 0; r + 1 < nrest && acc != UINT32_MAX; r++) acc = insert_before(f, v, IR_I64_ADD, acc, rest[r]);
  if (acc == UINT32_MAX) return false; /* out of memory (f->oom): the function is not compiled */
  become(f, v, IR_I64_ADD, acc, rest[nrest - 1]);
  return true;
}

uint32_t ir_pass_widemul(ir_func *f, bool (*ok)(const ir_func *f, const ir_ins *i)) {
  /* Outermost sums first (an add comes after its operands): __multi3's
   * high half with the cross terms is seen whole, before the __mulddi3
   * part inside it would be taken on its own. Instructions added here are
   * already in final form (v only goes down). */
  uint32_t n = 0;
  for (uint32_t v = f->nins; v-- > 0 && !f->oom;) {
    const ir_ins *i = &f->ins[v];
    if (i->dead || i->type != IR_I64) continue;
    wide w;
    if (i->op == IR_I64_ADD && rewrite_high(f, v, ok)) {
      n++;
    } else if (match_low(f, v, &w)) {
      become(f, v, IR_I64_MUL, w.a, w.b);
      n++;
    }
  }
  return n;
}
