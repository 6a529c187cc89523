/*
 * test_aot_ir_widemul.c — the wide-multiplication pass (src/aot/ir/widemul.c)
 * on functions built by hand after value numbering: compiler-rt's
 * __mulddi3 shape becomes I64_MULHU for the high half and one I64_MUL for
 * the low half, with the partial products removed; __multi3's cross terms
 * of zero high halves vanish, of sign-extended ones give I64_MULHS, of other
 * values stay added to a MULHU; xxHash's and wyhash's (carry compares)
 * shapes are taken too; near misses
 * (wrong mask, wrong shift, mixed operands, a missing term) are left exactly
 * as they were; and nothing new is formed for a backend that refuses the op.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aot/ir/ir.h"

/* A function of three i64 parameters built in one block. */
typedef struct fb {
  ir_func *f;
  uint32_t b, a, bb, c;
} fb;

static uint32_t k64(fb *x, uint64_t v) { return ir_emit(x->f, x->b, IR_CONST, IR_I64, NULL, 0, v); }
static uint32_t bin(fb *x, ir_op op, uint32_t l, uint32_t r) {
  uint32_t args[2] = {l, r};
  return ir_emit(x->f, x->b, op, IR_I64, args, 2, 0);
}
static uint32_t add(fb *x, uint32_t l, uint32_t r) { return bin(x, IR_I64_ADD, l, r); }
static uint32_t mul(fb *x, uint32_t l, uint32_t r) { return bin(x, IR_I64_MUL, l, r); }
static uint32_t lo_m(fb *x, uint32_t v, uint64_t m) { return bin(x, IR_I64_AND, v, k64(x, m)); }
static uint32_t lo(fb *x, uint32_t v) { return lo_m(x, v, 0xFFFFFFFFu); }
static uint32_t hi_s(fb *x, uint32_t v, uint64_t s) { return bin(x, IR_I64_SHR_U, v, k64(x, s)); }
static uint32_t hi(fb *x, uint32_t v) { return hi_s(x, v, 32); }

static fb start(void) {
  fb x = {ir_func_new(), 0, 0, 0, 0};
  x.b = ir_block_new(x.f);
  x.a = ir_emit(x.f, x.b, IR_PARAM, IR_I64, NULL, 0, 0);
  x.bb = ir_emit(x.f, x.b, IR_PARAM, IR_I64, NULL, 0, 1);
  x.c = ir_emit(x.f, x.b, IR_PARAM, IR_I64, NULL, 0, 2);
  return x;
}

/* __mulddi3 as clang emits it for wasm32 (bench/src/bignum.c), with a knob
 * per near miss: the mask of lo(b) in LL, the shift of hi(t), the factor of
 * the second cross product in place of a. */
static void mulddi(fb *x, uint64_t mask, uint64_t shift, uint32_t a2, uint32_t *high, uint32_t *low) {
  uint32_t a = x->a, b = x->bb;
  uint32_t ll = mul(x, lo_m(x, b, mask), lo(x, a));
  uint32_t t = add(x, hi(x, ll), mul(x, lo(x, b), hi(x, a)));
  uint32_t u = add(x, mul(x, lo(x, a2), hi(x, b)), lo(x, t));
  *high = add(x, add(x, mul(x, hi(x, b), hi(x, a)), hi_s(x, t, shift)), hi(x, u));
  *low = bin(x, IR_I64_OR, lo(x, ll), bin(x, IR_I64_SHL, u, k64(x, 32)));
}

static bool yes(const ir_func *f, const ir_ins *i) {
  (void)f;
  (void)i;
  return true;
}
static bool refuse_new(const ir_func *f, const ir_ins *i) {
  (void)f;
  return i->op != IR_I64_MULHU && i->op != IR_I64_MULHS;
}

/* Returns the values, optimizes, runs the pass; the RET's arguments after. */
static const uint32_t *finish(fb *x, const uint32_t *rets, uint32_t n, bool (*ok)(const ir_func *, const ir_ins *),
                              uint32_t *rewritten) {
  ir_emit(x->f, x->b, IR_RET, IR_VOID, rets, n, 0);
  assert_true(ir_cfg(x->f));
  ir_optimize(x->f);
  *rewritten = ir_pass_widemul(x->f, ok);
  ir_pass_dce(x->f);
  assert_false(x->f->oom);
  const ir_block *bl = &x->f->blocks[x->b];
  return x->f->ins[bl->ins[bl->nins - 1]].args;
}

static uint32_t live(const ir_func *f, ir_op op) {
  uint32_t n = 0;
  for (uint32_t v = 0; v < f->nins; v++) n += !f->ins[v].dead && f->ins[v].op == op;
  return n;
}

static bool is_op_of(const ir_func *f, uint32_t v, ir_op op, uint32_t a, uint32_t b) {
  const ir_ins *i = &f->ins[v];
  return i->op == op && ((i->args[0] == a && i->args[1] == b) || (i->args[0] == b && i->args[1] == a));
}

static void test_mulddi(void **state) {
  (void)state;
  fb x = start();
  uint32_t r[2], n;
  mulddi(&x, 0xFFFFFFFFu, 32, x.a, &r[0], &r[1]);
  const uint32_t *ret = finish(&x, r, 2, yes, &n);
  assert_int_equal(n, 2);
  assert_true(is_op_of(x.f, ret[0], IR_I64_MULHU, x.a, x.bb));
  assert_true(is_op_of(x.f, ret[1], IR_I64_MUL, x.a, x.bb));
  /* the partial products, masks and shifts are gone */
  assert_int_equal(live(x.f, IR_I64_MUL), 1);
  assert_int_equal(live(x.f, IR_I64_AND) + live(x.f, IR_I64_SHR_U) + live(x.f, IR_I64_ADD), 0);
  ir_func_free(x.f);
}

static void test_multi3_cross_terms(void **state) {
  (void)state;
  fb x = start();
  uint32_t h0, l0, n;
  mulddi(&x, 0xFFFFFFFFu, 32, x.a, &h0, &l0);
  uint32_t zero = k64(&x, 0), k63 = k64(&x, 63);
  uint32_t sa = bin(&x, IR_I64_SHR_S, x.a, k63), sb = bin(&x, IR_I64_SHR_S, x.bb, k63);
  uint32_t r[3] = {
      add(&x, h0, add(&x, mul(&x, zero, x.bb), mul(&x, x.a, zero))),        /* zero high halves */
      add(&x, h0, add(&x, mul(&x, sa, x.bb), mul(&x, x.a, sb))),            /* sign-extended */
      add(&x, h0, add(&x, mul(&x, x.c, x.bb), mul(&x, x.a, x.c))),          /* 128-bit operands */
  };
  const uint32_t *ret = finish(&x, r, 3, yes, &n);
  assert_int_equal(n, 4); /* the three, then the __mulddi3 sum they shared (unused after) */
  assert_true(is_op_of(x.f, ret[0], IR_I64_MULHU, x.a, x.bb));
  assert_true(is_op_of(x.f, ret[1], IR_I64_MULHS, x.a, x.bb));
  /* MULHU + c*b + a*c, the cross terms kept */
  const ir_ins *top = &x.f->ins[ret[2]];
  assert_int_equal(top->op, IR_I64_ADD);
  uint32_t inner = x.f->ins[top->args[0]].op == IR_I64_ADD ? top->args[0] : top->args[1];
  const ir_ins *in = &x.f->ins[inner];
  assert_int_equal(in->op, IR_I64_ADD);
  assert_true(is_op_of(x.f, in->args[0], IR_I64_MULHU, x.a, x.bb) || is_op_of(x.f, in->args[1], IR_I64_MULHU, x.a, x.bb));
  /* that one and the first (the pass runs no value numbering after it) */
  assert_int_equal(live(x.f, IR_I64_MULHU), 2);
  assert_int_equal(live(x.f, IR_I64_AND), 0);
  ir_func_free(x.f);
}

static void test_xxhash_shape(void **state) {
  (void)state;
  fb x = start();
  uint32_t a = x.a, b = x.bb, n;
  uint32_t ll = mul(&x, lo(&x, a), lo(&x, b)), hl = mul(&x, hi(&x, a), lo(&x, b));
  uint32_t lh = mul(&x, lo(&x, a), hi(&x, b)), hh = mul(&x, hi(&x, a), hi(&x, b));
  uint32_t cross = add(&x, add(&x, hi(&x, ll), lo(&x, hl)), lh);
  uint32_t r[2] = {add(&x, add(&x, hi(&x, hl), hi(&x, cross)), hh),
                   bin(&x, IR_I64_OR, bin(&x, IR_I64_SHL, cross, k64(&x, 32)), lo(&x, ll))};
  const uint32_t *ret = finish(&x, r, 2, yes, &n);
  assert_int_equal(n, 2);
  assert_true(is_op_of(x.f, ret[0], IR_I64_MULHU, a, b));
  assert_true(is_op_of(x.f, ret[1], IR_I64_MUL, a, b));
  ir_func_free(x.f);
}

/* wyhash's portable form: carries counted with compares (shape C). With
 * `wrong_base` the second carry compares against LL instead of T. */
static void wy(fb *x, bool wrong_base, uint32_t *high, uint32_t *low) {
  uint32_t a = x->a, b = x->bb, k32 = k64(x, 32);
  uint32_t rh = mul(x, hi(x, a), hi(x, b)), rm0 = mul(x, hi(x, a), lo(x, b));
  uint32_t rm1 = mul(x, hi(x, b), lo(x, a)), rl = mul(x, lo(x, a), lo(x, b));
  uint32_t t = add(x, rl, bin(x, IR_I64_SHL, rm0, k32));
  uint32_t c1 = ir_emit(x->f, x->b, IR_I64_EXTEND_I32_U, IR_I64, (uint32_t[]){bin(x, IR_I64_LT_U, t, rl)}, 1, 0);
  *low = add(x, t, bin(x, IR_I64_SHL, rm1, k32));
  uint32_t c2 = ir_emit(x->f, x->b, IR_I64_EXTEND_I32_U, IR_I64,
                        (uint32_t[]){bin(x, IR_I64_LT_U, *low, wrong_base ? rl : t)}, 1, 0);
  *high = add(x, add(x, add(x, rh, hi(x, rm0)), hi(x, rm1)), add(x, c1, c2));
}

static void test_carry_shape(void **state) {
  (void)state;
  fb x = start();
  uint32_t r[2], n;
  wy(&x, false, &r[0], &r[1]);
  const uint32_t *ret = finish(&x, r, 2, yes, &n);
  assert_int_equal(n, 2);
  assert_true(is_op_of(x.f, ret[0], IR_I64_MULHU, x.a, x.bb));
  assert_true(is_op_of(x.f, ret[1], IR_I64_MUL, x.a, x.bb));
  assert_int_equal(live(x.f, IR_I64_EXTEND_I32_U) + live(x.f, IR_I64_AND), 0);
  ir_func_free(x.f);
  x = start();
  wy(&x, true, &r[0], &r[1]);
  ret = finish(&x, r, 1, yes, &n);
  assert_int_equal(n, 1); /* only the low half the wrong carry reads, which is still a*b */
  assert_int_equal(live(x.f, IR_I64_MULHU) + live(x.f, IR_I64_MULHS), 0);
  assert_int_equal(x.f->ins[ret[0]].op, IR_I64_ADD);
  ir_func_free(x.f);
}

/* Each near miss alone in a function: nothing may be rewritten. */
static void near_miss(uint64_t mask, uint64_t shift, bool mixed, bool missing) {
  fb x = start();
  uint32_t h, l, n;
  mulddi(&x, mask, shift, mixed ? x.c : x.a, &h, &l);
  uint32_t r[1] = {h};
  if (missing) { /* HH + hi(u) without hi(t): the old top's first operand's first operand is HH */
    const ir_ins *top = &x.f->ins[h];
    uint32_t hh = x.f->ins[top->args[0]].args[0];
    r[0] = add(&x, hh, top->args[1]);
  }
  const uint32_t *ret = finish(&x, r, 1, yes, &n);
  assert_int_equal(n, 0);
  assert_int_equal(live(x.f, IR_I64_MULHU) + live(x.f, IR_I64_MULHS), 0);
  assert_int_equal(x.f->ins[ret[0]].op, IR_I64_ADD);
  ir_func_free(x.f);
}

static void test_near_misses(void **state) {
  (void)state;
  near_miss(0x7FFFFFFFu, 32, false, false);  /* wrong mask */
  near_miss(0xFFFFFFFFu, 31, false, false);  /* wrong shift */
  near_miss(0xFFFFFFFFu, 32, true, false);   /* a cross product of another value */
  near_miss(0xFFFFFFFFu, 32, false, true);   /* a term missing */
  /* the low half with a wrong mask or mixed operands stays too */
  fb x = start();
  uint32_t h, l, n;
  mulddi(&x, 0xFFFFFFFEu, 32, x.a, &h, &l);
  const uint32_t *ret = finish(&x, &l, 1, yes, &n);
  assert_int_equal(n, 0);
  assert_int_equal(x.f->ins[ret[0]].op, IR_I64_OR);
  ir_func_free(x.f);
}

static void test_backend_refuses(void **state) {
  (void)state;
  fb x = start();
  uint32_t r[2], n;
  mulddi(&x, 0xFFFFFFFFu, 32, x.a, &r[0], &r[1]);
  const uint32_t *ret = finish(&x, r, 2, refuse_new, &n);
  assert_int_equal(n, 1); /* only the low half, an op every backend has */
  assert_int_equal(x.f->ins[ret[0]].op, IR_I64_ADD);
  assert_true(is_op_of(x.f, ret[1], IR_I64_MUL, x.a, x.bb));
  assert_int_equal(live(x.f, IR_I64_MULHU), 0);
  ir_func_free(x.f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_mulddi),          cmocka_unit_test(test_multi3_cross_terms),
      cmocka_unit_test(test_xxhash_shape),    cmocka_unit_test(test_carry_shape),
      cmocka_unit_test(test_near_misses),
      cmocka_unit_test(test_backend_refuses),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
