/*
 * test_aot_ir_osr.c — on-stack replacement entries of the optimizing
 * pipeline (ir_build_osr, docs/aot.md "On-stack replacement entries"): block
 * 0 ends in ENTRY with one successor per loop head besides the body; each
 * entry block is OSR_ENTRY with the loop's module offset, then one OSR_LOAD
 * per local and operand-stack value at the head, in the interpreter frame's
 * slot layout (a v128 takes two slots), then a jump; loop-invariant code of
 * the innermost loop is still hoisted (the join block is its one way in);
 * loads of locals never read are removed; and the host's
 * backend returns one entry per loop head, sorted by offset, inside the code;
 * tier-up's compile puts them in a second copy after the plain one.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aot/aot.h"
#include "aot/codemap.h"
#include "aot/ir/build.h"
#include "aot/ir/isa.h"
#include "binary/instr.h"
#include "text/text.h"
#include "valid/valid.h"

/* Two nested loops with an i64 under both, locals of four types (one v128,
 * one never read), and k * 3 invariant in the inner loop. */
static const char *wat =
    "(module\n"
    "  (func (export \"f\") (param $n i32) (param $k i32) (result i64)\n"
    "    (local $i i32) (local $a i64) (local $v v128) (local $d f64)\n"
    "    (i64.const 5)\n"
    "    (loop $o\n"
    "      (local.set $i (i32.const 0))\n"
    "      (loop $in\n"
    "        (local.set $a (i64.add (local.get $a) (i64.extend_i32_u (i32.mul (local.get $k) (i32.const 3)))))\n"
    "        (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "        (br_if $in (i32.lt_u (local.get $i) (local.get $n))))\n"
    "      (local.set $n (i32.sub (local.get $n) (i32.const 1)))\n"
    "      (br_if $o (local.get $n)))\n"
    "    (i64.add (local.get $a))))\n";

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

/* The module offsets of the loop opcodes of function 0, in order. */
static uint32_t loop_offsets(const wm_module *m, uint32_t *off, uint32_t max) {
  const wm_func *fn = &m->funcs[0];
  wm_reader rd = {m->bytes, fn->code, fn->code + fn->code_len, NULL};
  uint32_t n = 0;
  while (!reader_eof(&rd)) {
    uint32_t at = (uint32_t)reader_offset(&rd);
    wm_opcode op = wm_read_op(&rd);
    assert_int_not_equal(op, OP_COUNT_);
    if (op == OP_LOOP && n < max) off[n++] = at;
    wm_skip_imm(&rd, m, wm_opinfos[op].imm);
  }
  return n;
}

static void test_entry_blocks(void **state) {
  (void)state;
  wm_module *m = load();
  uint32_t loops[4];
  assert_int_equal(loop_offsets(m, loops, 4), 2);
  ir_func *f = NULL;
  char why[96];
  assert_int_equal(ir_build_osr(m, 0, false, &f, why, sizeof why), 1);
  const ir_block *b0 = &f->blocks[0];
  assert_int_equal(f->ins[b0->ins[b0->nins - 1]].op, IR_ENTRY);
  assert_int_equal(b0->nsucc, 3);
  static const uint8_t types[] = {IR_I32, IR_I32, IR_I32, IR_I64, IR_V128, IR_F64, IR_I64};
  static const uint64_t slots[] = {0, 1, 2, 3, 4, 6, 7};
  for (uint32_t s = 1; s < 3; s++) {
    const ir_block *e = &f->blocks[b0->succ[s]];
    assert_int_equal(e->npred, 1);
    assert_int_equal(e->nins, 1 + 7 + 1);
    const ir_ins *head = &f->ins[e->ins[0]];
    assert_int_equal(head->op, IR_OSR_ENTRY);
    assert_int_equal(head->imm, loops[s - 1]); /* the outer loop is met first */
    for (uint32_t k = 0; k < 7; k++) {
      const ir_ins *ld = &f->ins[e->ins[1 + k]];
      assert_int_equal(ld->op, IR_OSR_LOAD);
      assert_int_equal(ld->type, types[k]);
      assert_int_equal(ld->imm, slots[k]);
    }
    assert_int_equal(f->ins[e->ins[e->nins - 1]].op, IR_JMP);
  }
  /* a plain build has no entries */
  ir_func *plain = NULL;
  assert_int_equal(ir_build(m, 0, false, &plain, why, sizeof why), 1);
  for (uint32_t v = 0; v < plain->nins; v++) {
    assert_int_not_equal(plain->ins[v].op, IR_ENTRY);
    assert_int_not_equal(plain->ins[v].op, IR_OSR_ENTRY);
  }
  ir_func_free(plain);
  /* optimized: k * 3 leaves the inner loop, the unread local's load goes */
  assert_true(ir_cfg(f));
  ir_optimize(f);
  assert_true(ir_cfg(f));
  uint32_t muls = 0, loads = 0, inner_depth = 0;
  for (uint32_t b = 0; b < f->nblocks; b++)
    if (f->blocks[b].loop_depth > inner_depth) inner_depth = f->blocks[b].loop_depth;
  /* the inner loop's entry joins it from outside the outer loop, so the
   * outer loop is no natural loop any more (docs/aot.md): only the inner
   * one has a depth */
  assert_int_equal(inner_depth, 1);
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 0; k < bl->nins; k++) {
      const ir_ins *i = &f->ins[bl->ins[k]];
      if (i->dead) continue;
      if (i->op == IR_I32_MUL) {
        muls++;
        assert_true(bl->loop_depth < inner_depth);
      }
      if (i->op == IR_OSR_LOAD) {
        loads++;
        assert_int_not_equal(i->type, IR_F64); /* $d is never read */
      }
    }
  }
  assert_int_equal(muls, 1);
  assert_true(loads > 0);
  assert_false(f->oom);
  ir_func_free(f);
  wm_module_free(m);
}

static void test_backend_entries(void **state) {
  (void)state;
  const aot_target *t = aot_target_host();
  const aot_isa *isa = t ? aot_isa_for(t) : NULL;
  if (!isa) skip();
  wm_module *m = load();
  uint32_t loops[4];
  assert_int_equal(loop_offsets(m, loops, 4), 2);
  rt_error err;
  rt_error_clear(&err);
  char why[96];
  for (int osr = 0; osr < 2; osr++) {
    aot_func_in in = {m, 0, false, false, osr != 0, 0};
    aot_func_out out;
    memset(&out, 0, sizeof out);
    assert_int_equal(aot_ir_compile_func(isa, &in, &out, why, sizeof why, &err), 1);
    assert_int_equal(out.nosr, osr ? 2 : 0);
    for (uint32_t k = 0; k < out.nosr; k++) {
      assert_int_equal(out.osr[k].wasm_off, loops[k]);
      assert_true(out.osr[k].code_off > 0 && out.osr[k].code_off < out.size);
    }
    free(out.code);
    free(out.relocs);
    free(out.osr);
    free(out.map);
  }
  wm_module_free(m);
}

static void free_out(aot_func_out *o) {
  free(o->code);
  free(o->relocs);
  free(o->osr);
  free(o->map);
}

/* Tier-up's compile (aot_ir_compile_tiered, osrcopy.c): the function's code
 * starts with the copy --aot --opt makes (the same bytes, with the frame of
 * the copy with entries), and every OSR entry lies in the second copy; the
 * code map covers both copies with positions inside the function. */
static void test_two_copies(void **state) {
  (void)state;
  const aot_target *t = aot_target_host();
  const aot_isa *isa = t ? aot_isa_for(t) : NULL;
  if (!isa) skip();
  wm_module *m = load();
  rt_error err;
  rt_error_clear(&err);
  char why[96];
  aot_func_in in = {m, 0, false, false, true, 0};
  aot_func_out tiered, plain;
  memset(&tiered, 0, sizeof tiered);
  memset(&plain, 0, sizeof plain);
  assert_int_equal(aot_ir_compile_tiered(isa, &in, &tiered, why, sizeof why, &err), 1);
  aot_func_in pin = {m, 0, false, false, false, tiered.frame};
  assert_int_equal(aot_ir_compile_func(isa, &pin, &plain, why, sizeof why, &err), 1);
  assert_int_equal(plain.nosr, 0);
  assert_int_equal(tiered.nosr, 2);
  assert_int_equal(tiered.frame, plain.frame);
  assert_true(tiered.size > plain.size);
  assert_memory_equal(tiered.code, plain.code, plain.size);
  const wm_func *fn = &m->funcs[0];
  for (uint32_t k = 0; k < tiered.nosr; k++) {
    assert_true(tiered.osr[k].code_off >= plain.size && tiered.osr[k].code_off < tiered.size);
    codemap_frame fr[CODEMAP_MAX_DEPTH];
    assert_true(codemap_lookup(tiered.map, tiered.map_size, (uint32_t)fn->code_offset, tiered.osr[k].code_off, fr,
                               CODEMAP_MAX_DEPTH) >= 1);
    assert_true(fr[0].woff >= fn->code_offset && fr[0].woff < fn->code_offset + fn->code_len);
  }
  free_out(&tiered);
  free_out(&plain);
  wm_module_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_entry_blocks),
      cmocka_unit_test(test_backend_entries),
      cmocka_unit_test(test_two_copies),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
