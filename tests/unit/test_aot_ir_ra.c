/*
 * test_aot_ir_ra.c — the optimizing pipeline's register allocator
 * (src/aot/ir/ra.c) on functions built by hand: values in each other's
 * lifetime holes share a register, and a value live across a loop that does
 * not use it gives its register to the loop when the loop is short of
 * registers (stored on the edge in, reloaded on the edge out) when
 * WRUN_AOT_SPLIT=1 turns splitting on (it is off by default).
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aot/ir/isa.h"

static uint32_t emit0(ir_func *f, uint32_t b, ir_op op, ir_type t, uint64_t imm) {
  return ir_emit(f, b, op, t, NULL, 0, imm);
}
static uint32_t emit2(ir_func *f, uint32_t b, ir_op op, ir_type t, uint32_t a, uint32_t c) {
  uint32_t args[2] = {a, c};
  return ir_emit(f, b, op, t, args, 2, 0);
}
static void jmp(ir_func *f, uint32_t b, uint32_t to) {
  ir_emit(f, b, IR_JMP, IR_VOID, NULL, 0, 0);
  ir_set_succ(f, b, &to, 1);
}
static void br(ir_func *f, uint32_t b, uint32_t cond, uint32_t t, uint32_t e) {
  ir_emit(f, b, IR_BR, IR_VOID, &cond, 1, 0);
  uint32_t s[2] = {t, e};
  ir_set_succ(f, b, s, 2);
}

/* b0: a, k params; br k -> b1, b2. b1 (laid out between): t1, t2 both
 * live, t3 = t1 * t2, return t3. b2: return a. a's hull covers b1, but a is
 * dead there: with two registers nothing is spilled (a hull allocator needs
 * three), and a shares its register with a value of b1. */
static void test_lifetime_holes(void **state) {
  (void)state;
  ir_func *f = ir_func_new();
  uint32_t b0 = ir_block_new(f), b1 = ir_block_new(f), b2 = ir_block_new(f);
  uint32_t a = emit0(f, b0, IR_PARAM, IR_I64, 0), k = emit0(f, b0, IR_PARAM, IR_I32, 1);
  br(f, b0, k, b1, b2);
  uint32_t c5 = emit0(f, b1, IR_CONST, IR_I64, 5), c7 = emit0(f, b1, IR_CONST, IR_I64, 7);
  uint32_t t1 = emit2(f, b1, IR_I64_ADD, IR_I64, c5, c7), t2 = emit2(f, b1, IR_I64_SUB, IR_I64, c7, c5);
  uint32_t t3 = emit2(f, b1, IR_I64_MUL, IR_I64, t1, t2);
  ir_emit(f, b1, IR_RET, IR_VOID, &t3, 1, 0);
  ir_emit(f, b2, IR_RET, IR_VOID, &a, 1, 0);
  assert_true(ir_cfg(f));
  uint32_t order[3] = {b0, b1, b2}; /* the layout under test: b1 inside a's hull */
  memcpy(f->order, order, sizeof order);
  static const int8_t regs[] = {3, 5};
  aot_isa fake = {.alloc = {regs, regs}, .nalloc = {2, 2}};
  ir_ra ra;
  assert_true(ir_regalloc(f, &fake, &ra));
  assert_int_equal(ra.nslots, 0);
  uint32_t vals[5] = {a, k, t1, t2, t3};
  for (int j = 0; j < 5; j++) assert_true(ra.reg[vals[j]] >= 0);
  assert_int_not_equal(ra.reg[a], ra.reg[k]); /* live at once (the branch) */
  assert_int_not_equal(ra.reg[t1], ra.reg[t2]);
  assert_true(ra.reg[a] == ra.reg[t1] || ra.reg[a] == ra.reg[t2]); /* in a's hole */
  assert_null(ra.mfirst); /* no loop: nothing split */
  ir_ra_free(&ra);
  ir_func_free(f);
}

/* b0: a, n params, jump to the loop b1: i = phi(0, inext); x = i * n;
 * inext = i + 1; c = x < n; br c -> b2 (back to b1), b3. b3: return a + x.
 * (and q = phi(0, x), used after the loop only). With three registers the
 * loop has more values live than registers; a is live across it and
 * unused in it, so it keeps a register outside the
 * loop, is stored on the edge in (b0) and reloaded on the edge out (at the
 * start of b3, b1 having two successors), and a loop value takes its
 * register inside. */
static ir_func *pressure_loop(uint32_t *a, uint32_t *loopvals, uint32_t *b3) {
  ir_func *f = ir_func_new();
  uint32_t b0 = ir_block_new(f), b1 = ir_block_new(f), b2 = ir_block_new(f);
  *b3 = ir_block_new(f);
  *a = emit0(f, b0, IR_PARAM, IR_I64, 0);
  uint32_t n = emit0(f, b0, IR_PARAM, IR_I64, 1), zero = emit0(f, b0, IR_CONST, IR_I64, 0);
  jmp(f, b0, b1);
  uint32_t one = emit0(f, b1, IR_CONST, IR_I64, 1);
  uint32_t x = emit2(f, b1, IR_I64_MUL, IR_I64, n, n); /* args[0] becomes the phi below */
  uint32_t inext = emit2(f, b1, IR_I64_ADD, IR_I64, n, one);
  uint32_t c = emit2(f, b1, IR_I64_LT_U, IR_I32, x, n);
  br(f, b1, c, b2, *b3);
  jmp(f, b2, b1);
  uint32_t i = ir_phi_new(f, b1, IR_I64);
  f->ins[i].args[0] = zero;
  f->ins[i].args[1] = inext;
  f->ins[x].args[0] = i;
  f->ins[inext].args[0] = i;
  /* q: the previous turn's x, used only after the loop; live across it too,
   * but written on the back edge: never split */
  uint32_t q = ir_phi_new(f, b1, IR_I64);
  f->ins[q].args[0] = zero;
  f->ins[q].args[1] = x;
  uint32_t r = emit2(f, *b3, IR_I64_ADD, IR_I64, *a, x);
  r = emit2(f, *b3, IR_I64_ADD, IR_I64, r, q);
  ir_emit(f, *b3, IR_RET, IR_VOID, &r, 1, 0);
  loopvals[0] = i, loopvals[1] = n, loopvals[2] = x, loopvals[3] = inext, loopvals[4] = c;
  return f;
}

static void test_split_around_loop(void **state) {
  (void)state;
  uint32_t a, lv[5], b3;
  ir_func *f = pressure_loop(&a, lv, &b3);
  assert_true(ir_cfg(f));
  assert_true(f->blocks[1].loop_head);
  static const int8_t regs[] = {3, 5, 6};
  aot_isa fake = {.alloc = {regs, regs}, .nalloc = {3, 3}};
  ir_ra ra;
  setenv("WRUN_AOT_SPLIT", "1", 1); /* (off by default) */
  assert_true(ir_regalloc(f, &fake, &ra));
  unsetenv("WRUN_AOT_SPLIT");
  assert_true(ra.reg[a] >= 0);
  assert_non_null(ra.mfirst);
  bool stored = false, reloaded = false;
  int32_t slot = -1;
  for (uint32_t b = 0; b < f->nblocks; b++)
    for (uint32_t k = ra.mfirst[b]; k < ra.mfirst[b + 1]; k++) {
      const ir_ra_move *m = &ra.moves[k];
      assert_int_equal(m->v, a); /* the only value live across and unused (not q, defined in the loop) */
      assert_true(m->slot >= 0 && (uint32_t)m->slot < ra.nslots);
      if (slot < 0) slot = m->slot;
      assert_int_equal(m->slot, slot); /* one home inside the loop */
      if (m->at == IR_RA_STORE) {
        assert_int_equal(b, 0); /* the edge in */
        stored = true;
      } else {
        assert_int_equal(m->at, IR_RA_RELOAD_START);
        assert_int_equal(b, b3); /* the edge out: b1 has two successors, b3 one predecessor */
        reloaded = true;
      }
    }
  assert_true(stored && reloaded);
  bool shared = false; /* the loop uses a's register while a is in its slot */
  for (int j = 0; j < 5; j++) shared |= ra.reg[lv[j]] == ra.reg[a];
  assert_true(shared);
  ir_ra_free(&ra);

  assert_true(ir_regalloc(f, &fake, &ra)); /* the default: no splitting */
  assert_null(ra.mfirst);
  ir_ra_free(&ra);
  setenv("WRUN_AOT_SPLIT", "0", 1);
  assert_true(ir_regalloc(f, &fake, &ra));
  unsetenv("WRUN_AOT_SPLIT");
  assert_null(ra.mfirst);
  ir_ra_free(&ra);
  ir_func_free(f);
}

/* Enough registers: no loop is short of them, nothing is split. */
static void test_no_split_without_pressure(void **state) {
  (void)state;
  uint32_t a, lv[5], b3;
  ir_func *f = pressure_loop(&a, lv, &b3);
  assert_true(ir_cfg(f));
  static const int8_t regs[] = {3, 5, 6, 7, 8, 9, 10, 11};
  aot_isa fake = {.alloc = {regs, regs}, .nalloc = {8, 8}};
  ir_ra ra;
  setenv("WRUN_AOT_SPLIT", "1", 1);
  assert_true(ir_regalloc(f, &fake, &ra));
  unsetenv("WRUN_AOT_SPLIT");
  assert_null(ra.mfirst);
  assert_int_equal(ra.nslots, 0);
  for (int j = 0; j < 5; j++) assert_int_not_equal(ra.reg[lv[j]], ra.reg[a]);
  ir_ra_free(&ra);
  ir_func_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_lifetime_holes),
      cmocka_unit_test(test_split_around_loop),
      cmocka_unit_test(test_no_split_without_pressure),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
