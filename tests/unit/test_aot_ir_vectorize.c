/*
 * test_aot_ir_vectorize.c — the loop vectorizer (src/aot/ir/vectorize.c,
 * docs/aot-ir.md "Loop vectorization") on functions in the text format:
 * it fires on bench/matmul's inner loop as clang emits it (unrolled by two,
 * c[j] read and written at the same element) and puts a guarded vector loop
 * in front that uses v128 loads, f64x2 arithmetic, a splat of the invariant
 * and v128 stores and falls into the original loop; it leaves alone a loop
 * with a call, an f64 sum (a reduction: reassociating it would change the
 * result), a right shift of bytes and a loop whose lanes are not the same
 * operation; bytes plus one, unrolled by four, become one i8x16.add.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aot/ir/build.h"
#include "aot/ir/isa.h"
#include "text/text.h"
#include "valid/valid.h"

/* The loops; each function is one of them. */
static const char *wat =
    "(module\n"
    "  (import \"env\" \"f\" (func $f (param f64) (result f64)))\n"
    "  (memory 1)\n"
    /* 0 (function 1): matmul's `c[i][j] += aik * b[k][j]` unrolled by two */
    "  (func (param $c i32) (param $b i32) (param $aik f64) (local $j i32) (local $p i32)\n"
    "    (loop $l\n"
    "      (f64.store (local.tee $p (i32.add (local.get $j) (local.get $c)))\n"
    "        (f64.add (f64.mul (local.get $aik) (f64.load (i32.add (local.get $j) (local.get $b))))\n"
    "                 (f64.load (local.get $p))))\n"
    "      (f64.store (local.tee $p (i32.add (local.get $p) (i32.const 8)))\n"
    "        (f64.add (f64.mul (local.get $aik) (f64.load (i32.add (i32.add (local.get $j) (local.get $b)) (i32.const 8))))\n"
    "                 (f64.load (local.get $p))))\n"
    "      (br_if $l (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 16))) (i32.const 1600)))))\n"
    /* 2: the same with a call in the body */
    "  (func (param $c i32) (param $b i32) (local $j i32)\n"
    "    (loop $l\n"
    "      (f64.store (i32.add (local.get $j) (local.get $c))\n"
    "        (call $f (f64.load (i32.add (local.get $j) (local.get $b)))))\n"
    "      (f64.store offset=8 (i32.add (local.get $j) (local.get $c))\n"
    "        (call $f (f64.load offset=8 (i32.add (local.get $j) (local.get $b)))))\n"
    "      (br_if $l (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 16))) (i32.const 1600)))))\n"
    /* 3: a sum of an array (a reduction) */
    "  (func (param $b i32) (result f64) (local $j i32) (local $s f64)\n"
    "    (loop $l\n"
    "      (local.set $s (f64.add (local.get $s) (f64.load (i32.add (local.get $j) (local.get $b)))))\n"
    "      (local.set $s (f64.add (local.get $s) (f64.load offset=8 (i32.add (local.get $j) (local.get $b)))))\n"
    "      (br_if $l (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 16))) (i32.const 1600))))\n"
    "    (local.get $s))\n"
    /* 4: bytes shifted right (the low 8 bits of the shift depend on the
     * loaded byte's extension: no 8-bit lane computes it) */
    "  (func (param $c i32) (param $b i32) (local $j i32)\n"
    "    (loop $l\n"
    "      (i32.store8 (i32.add (local.get $j) (local.get $c))\n"
    "        (i32.shr_u (i32.load8_s (i32.add (local.get $j) (local.get $b))) (i32.const 1)))\n"
    "      (br_if $l (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 1))) (i32.const 1600)))))\n"
    /* 5: lane 0 adds, lane 1 subtracts */
    "  (func (param $c i32) (param $b i32) (local $j i32)\n"
    "    (loop $l\n"
    "      (f64.store (i32.add (local.get $j) (local.get $c))\n"
    "        (f64.add (f64.load (i32.add (local.get $j) (local.get $b))) (f64.const 1)))\n"
    "      (f64.store offset=8 (i32.add (local.get $j) (local.get $c))\n"
    "        (f64.sub (f64.load offset=8 (i32.add (local.get $j) (local.get $b))) (f64.const 1)))\n"
    "      (br_if $l (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 16))) (i32.const 1600)))))\n"
    /* 6: i32 elements, not unrolled: four iterations per vector */
    "  (func (param $c i32) (param $b i32) (param $n i32) (local $j i32)\n"
    "    (loop $l\n"
    "      (i32.store (i32.add (local.get $j) (local.get $c))\n"
    "        (i32.xor (i32.load (i32.add (local.get $j) (local.get $b))) (local.get $n)))\n"
    "      (br_if $l (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 4))) (local.get $n)))))\n"
    /* 7: bytes plus one, unrolled by four: sixteen iterations per vector */
    "  (func (param $c i32) (param $b i32) (local $j i32)\n"
    "    (loop $l\n"
    "      (i32.store8 (i32.add (local.get $j) (local.get $c))\n"
    "        (i32.add (i32.load8_u (i32.add (local.get $j) (local.get $b))) (i32.const 1)))\n"
    "      (i32.store8 offset=1 (i32.add (local.get $j) (local.get $c))\n"
    "        (i32.add (i32.load8_u offset=1 (i32.add (local.get $j) (local.get $b))) (i32.const 1)))\n"
    "      (i32.store8 offset=2 (i32.add (local.get $j) (local.get $c))\n"
    "        (i32.add (i32.load8_u offset=2 (i32.add (local.get $j) (local.get $b))) (i32.const 1)))\n"
    "      (i32.store8 offset=3 (i32.add (local.get $j) (local.get $c))\n"
    "        (i32.add (i32.load8_u offset=3 (i32.add (local.get $j) (local.get $b))) (i32.const 1)))\n"
    "      (br_if $l (i32.ne (local.tee $j (i32.add (local.get $j) (i32.const 4))) (i32.const 1600)))))\n"
    ")\n";

static wm_module *load(void) {
  rt_error err;
  rt_error_clear(&err);
  uint8_t *bin = NULL;
  size_t len = 0;
  assert_true(wat_parse_to_binary(wat, strlen(wat), &bin, &len, &err));
  wm_module *m = wm_module_decode(bin, len, &err);
  free(bin);
  assert_non_null(m);
  assert_true(wm_module_validate(m, &err));
  return m;
}

/* Function fidx built and optimized as emit.c does, then vectorized. */
static ir_func *vectorized(const wm_module *m, uint32_t fidx, uint32_t *nloops) {
  ir_func *f = NULL;
  char why[96];
  assert_int_equal(ir_build(m, fidx, false, &f, why, sizeof why), 1);
  assert_true(ir_cfg(f));
  ir_optimize(f);
  *nloops = ir_pass_vectorize(f);
  assert_false(f->oom);
  return f;
}

static uint32_t count_op(const ir_func *f, ir_op op) {
  uint32_t n = 0;
  for (uint32_t b = 0; b < f->nblocks; b++)
    for (uint32_t k = 0; k < f->blocks[b].nins; k++)
      if (f->ins[f->blocks[b].ins[k]].op == op && !f->ins[f->blocks[b].ins[k]].dead) n++;
  return n;
}

static void test_matmul_shape(void **state) {
  (void)state;
  wm_module *m = load();
  uint32_t n;
  ir_func *f = vectorized(m, 1, &n);
  assert_int_equal(n, 1);
  /* one vector access per array: b, c read, c written */
  assert_int_equal(count_op(f, IR_V128_LOAD), 2);
  assert_int_equal(count_op(f, IR_V128_STORE), 1);
  assert_int_equal(count_op(f, IR_F64X2_MUL), 1);
  assert_int_equal(count_op(f, IR_F64X2_ADD), 1);
  assert_int_equal(count_op(f, IR_F64X2_SPLAT), 1); /* aik */
  assert_int_equal(count_op(f, IR_MEM_BYTES), 1);   /* the guard's bounds */
  /* the scalar loop is all there: four loads, two stores */
  assert_int_equal(count_op(f, IR_LOAD), 4);
  assert_int_equal(count_op(f, IR_STORE), 2);
  /* the vector loop loops on itself and leaves into the scalar loop's head,
   * which now has three predecessors (guard failed, back edge, vector exit) */
  uint32_t vh = f->ins[0].block, head = UINT32_MAX;
  for (uint32_t v = 0; v < f->nins; v++)
    if (f->ins[v].op == IR_V128_STORE) vh = f->ins[v].block;
  for (uint32_t v = 0; v < f->nins; v++)
    if (f->ins[v].op == IR_STORE) head = f->ins[v].block;
  const ir_block *vb = &f->blocks[vh];
  assert_int_equal(vb->nsucc, 2);
  assert_true(vb->succ[0] == vh || vb->succ[1] == vh);
  uint32_t out = vb->succ[0] == vh ? vb->succ[1] : vb->succ[0];
  assert_int_equal(f->blocks[out].nsucc, 1);
  assert_int_equal(f->blocks[out].succ[0], head);
  assert_int_equal(f->blocks[head].npred, 3);
  assert_true(f->blocks[head].loop_head && vb->loop_head);
  /* every phi of the scalar head has an argument per predecessor */
  for (uint32_t k = 0; k < f->blocks[head].nins; k++) {
    const ir_ins *p = &f->ins[f->blocks[head].ins[k]];
    if (p->op == IR_PHI && !p->dead) assert_int_equal(p->nargs, 3);
  }
  ir_func_free(f);
  wm_module_free(m);
}

static void test_left_alone(void **state) {
  (void)state;
  wm_module *m = load();
  for (uint32_t fidx = 2; fidx <= 5; fidx++) {
    uint32_t n;
    ir_func *f = vectorized(m, fidx, &n);
    assert_int_equal(n, 0);
    assert_int_equal(count_op(f, IR_V128_LOAD) + count_op(f, IR_V128_STORE) + count_op(f, IR_MEM_BYTES), 0);
    ir_func_free(f);
  }
  wm_module_free(m);
}

static void test_four_iterations_per_vector(void **state) {
  (void)state;
  wm_module *m = load();
  uint32_t n;
  ir_func *f = vectorized(m, 6, &n);
  assert_int_equal(n, 1);
  assert_int_equal(count_op(f, IR_V128_XOR), 1);
  assert_int_equal(count_op(f, IR_I32X4_SPLAT), 1);
  /* the vector loop's induction variable advances by 16 bytes */
  bool found = false;
  for (uint32_t v = 0; v < f->nins; v++) {
    const ir_ins *i = &f->ins[v];
    if (i->op != IR_I32_ADD || f->blocks[i->block].nins == 0) continue;
    uint32_t c = i->args[1];
    if (f->ins[c].op == IR_CONST && f->ins[c].imm == 16 && f->ins[i->args[0]].op == IR_PHI) found = true;
  }
  assert_true(found);
  ir_func_free(f);
  wm_module_free(m);
}

static void test_bytes(void **state) {
  (void)state;
  wm_module *m = load();
  uint32_t n;
  ir_func *f = vectorized(m, 7, &n);
  assert_int_equal(n, 1);
  assert_int_equal(count_op(f, IR_I8X16_ADD), 1);
  assert_int_equal(count_op(f, IR_I8X16_SPLAT), 1);
  assert_int_equal(count_op(f, IR_V128_LOAD), 1);
  assert_int_equal(count_op(f, IR_V128_STORE), 1);
  ir_func_free(f);
  wm_module_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_matmul_shape),
      cmocka_unit_test(test_left_alone),
      cmocka_unit_test(test_four_iterations_per_vector),
      cmocka_unit_test(test_bytes),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
