/*
 * test_aot_ir.c — the optimizing pipeline's IR passes on functions built by
 * hand (src/aot/ir): constant folding, global value numbering (across a
 * dominating block, never across siblings), loop-invariant code motion
 * into the preheader, dead code elimination keeping effects, trivial phis,
 * critical-edge splitting, and the register allocator keeping values that
 * live at the same time apart; the SIMD rows of the op table (one per 0xFD
 * instruction), their numbering and removal, and v128 spill slots; the
 * memory passes (memopt.c): redundant loads, store-to-load and global
 * forwarding with their kills, and known-bits removal of masks.
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
static uint32_t emit1(ir_func *f, uint32_t b, ir_op op, ir_type t, uint32_t a) {
  return ir_emit(f, b, op, t, &a, 1, 0);
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

static uint32_t load(ir_func *f, uint32_t b, wm_opcode op, ir_type t, uint32_t addr, uint64_t off) {
  uint32_t v = ir_emit(f, b, IR_LOAD, t, &addr, 1, off);
  f->ins[v].wop = (uint16_t)op;
  return v;
}
static void store(ir_func *f, uint32_t b, wm_opcode op, uint32_t addr, uint32_t val, uint64_t off) {
  uint32_t args[2] = {addr, val};
  uint32_t v = ir_emit(f, b, IR_STORE, IR_VOID, args, 2, off);
  f->ins[v].wop = (uint16_t)op;
}

/* memopt.c: a load equal to an earlier one, or reading back a full-width
 * store, is replaced; a store that may overlap (same address value and
 * overlapping bytes, or another address value) and a call kill; the state
 * carries into a block whose only predecessor ran just before it, not into
 * a join. */
static void test_loads(void **state) {
  (void)state;
  ir_func *f = ir_func_new();
  uint32_t b0 = ir_block_new(f), b1 = ir_block_new(f), b2 = ir_block_new(f), b3 = ir_block_new(f);
  uint32_t p = emit0(f, b0, IR_PARAM, IR_I32, 0), q = emit0(f, b0, IR_PARAM, IR_I32, 1);
  uint32_t l1 = load(f, b0, OP_I32_LOAD, IR_I32, p, 8);
  uint32_t l2 = load(f, b0, OP_I32_LOAD, IR_I32, p, 8);              /* = l1 */
  uint32_t w8 = load(f, b0, OP_I32_LOAD8_U, IR_I32, p, 8);           /* other width: kept */
  store(f, b0, OP_I32_STORE, p, q, 12);                               /* disjoint: [12,16) */
  uint32_t l3 = load(f, b0, OP_I32_LOAD, IR_I32, p, 8);              /* = l1 */
  uint32_t l4 = load(f, b0, OP_I32_LOAD, IR_I32, p, 12);             /* = q, forwarded */
  store(f, b0, OP_I32_STORE8, p, q, 11);                              /* overlaps [8,12) */
  uint32_t l5 = load(f, b0, OP_I32_LOAD, IR_I32, p, 8);              /* kept */
  store(f, b0, OP_I32_STORE, q, p, 0);                                /* q may alias p + 8 */
  uint32_t l6 = load(f, b0, OP_I32_LOAD, IR_I32, p, 8);              /* kept */
  br(f, b0, l6, b1, b2);
  uint32_t l7 = load(f, b1, OP_I32_LOAD, IR_I32, p, 8);              /* = l6 (single predecessor) */
  ir_emit(f, b1, IR_CALL, IR_VOID, NULL, 0, 0);
  uint32_t l8 = load(f, b1, OP_I32_LOAD, IR_I32, p, 8);              /* kept: the call may store */
  jmp(f, b1, b3);
  jmp(f, b2, b3);
  uint32_t l9 = load(f, b3, OP_I32_LOAD, IR_I32, p, 8);              /* kept: a join */
  uint32_t rets[9] = {l1, l2, w8, l3, l4, l5, l7, l8, l9};
  ir_emit(f, b3, IR_RET, IR_VOID, rets, 9, 0);
  assert_true(ir_cfg(f));
  assert_int_equal(ir_pass_loads(f), 4);
  const ir_ins *ret = &f->ins[f->blocks[b3].ins[f->blocks[b3].nins - 1]];
  assert_int_equal(ret->args[1], l1);
  assert_int_equal(ret->args[2], w8);
  assert_int_equal(ret->args[3], l1);
  assert_int_equal(ret->args[4], q);
  assert_int_equal(ret->args[5], l5);
  assert_int_equal(ret->args[6], l6);
  assert_int_equal(ret->args[7], l8);
  assert_int_equal(ret->args[8], l9);
  ir_func_free(f);
}

/* Globals: a get after a set or a get of the same global is forwarded; a
 * set of another global does not kill, a helper operation does. */
static void test_global_forwarding(void **state) {
  (void)state;
  ir_func *f = ir_func_new();
  uint32_t b = ir_block_new(f);
  uint32_t p = emit0(f, b, IR_PARAM, IR_I32, 0);
  ir_emit(f, b, IR_GLOBAL_SET, IR_VOID, &p, 1, 3);
  uint32_t g1 = emit0(f, b, IR_GLOBAL_GET, IR_I32, 3);                /* = p */
  uint32_t g2 = emit0(f, b, IR_GLOBAL_GET, IR_I32, 4);
  ir_emit(f, b, IR_GLOBAL_SET, IR_VOID, &g1, 1, 5);
  uint32_t g3 = emit0(f, b, IR_GLOBAL_GET, IR_I32, 4);                /* = g2 */
  ir_emit(f, b, IR_HOP, IR_VOID, NULL, 0, 0);
  uint32_t g4 = emit0(f, b, IR_GLOBAL_GET, IR_I32, 4);                /* kept */
  uint32_t rets[4] = {g1, g2, g3, g4};
  ir_emit(f, b, IR_RET, IR_VOID, rets, 4, 0);
  assert_true(ir_cfg(f));
  assert_int_equal(ir_pass_loads(f), 2);
  const ir_ins *ret = &f->ins[f->blocks[b].ins[f->blocks[b].nins - 1]];
  assert_int_equal(ret->args[0], p);
  assert_int_equal(ret->args[2], g2);
  assert_int_equal(ret->args[3], g4);
  ir_func_free(f);
}

/* `and x, c` goes when x cannot have bits outside c, and stays otherwise. */
static void test_known_bits(void **state) {
  (void)state;
  ir_func *f = ir_func_new();
  uint32_t b0 = ir_block_new(f), b1 = ir_block_new(f), b2 = ir_block_new(f);
  uint32_t p = emit0(f, b0, IR_PARAM, IR_I32, 0);
  uint32_t ff = emit0(f, b0, IR_CONST, IR_I32, 0xFF), c1ff = emit0(f, b0, IR_CONST, IR_I32, 0x1FF);
  uint32_t byte = load(f, b0, OP_I32_LOAD8_U, IR_I32, p, 0), half = load(f, b0, OP_I32_LOAD16_U, IR_I32, p, 0);
  uint32_t a1 = emit2(f, b0, IR_I32_AND, IR_I32, byte, ff);           /* removed */
  uint32_t a2 = emit2(f, b0, IR_I32_AND, IR_I32, half, ff);           /* kept */
  uint32_t sh = emit2(f, b0, IR_I32_SHR_U, IR_I32, half, emit0(f, b0, IR_CONST, IR_I32, 8));
  uint32_t a3 = emit2(f, b0, IR_I32_AND, IR_I32, sh, ff);             /* removed: 0xffff >> 8 */
  uint32_t lt = emit2(f, b0, IR_I32_LT_U, IR_I32, p, byte);
  uint32_t a4 = emit2(f, b0, IR_I32_AND, IR_I32, lt, emit0(f, b0, IR_CONST, IR_I32, 1)); /* removed */
  br(f, b0, p, b1, b2);
  jmp(f, b1, b2);
  uint32_t phi = ir_phi_new(f, b2, IR_I32);
  f->ins[phi].args[0] = byte;
  f->ins[phi].args[1] = c1ff;
  uint32_t a5 = emit2(f, b2, IR_I32_AND, IR_I32, phi, ff);            /* kept: 0x1ff may come in */
  uint32_t rets[5] = {a1, a2, a3, a4, a5};
  ir_emit(f, b2, IR_RET, IR_VOID, rets, 5, 0);
  assert_true(ir_cfg(f));
  assert_int_equal(ir_pass_known_bits(f), 3);
  const ir_ins *ret = &f->ins[f->blocks[b2].ins[f->blocks[b2].nins - 1]];
  assert_int_equal(ret->args[0], byte);
  assert_int_equal(ret->args[1], a2);
  assert_int_equal(ret->args[2], sh);
  assert_int_equal(ret->args[3], lt);
  assert_int_equal(ret->args[4], a5);
  ir_func_free(f);
}

static void test_fold(void **state) {
  (void)state;
  ir_func *f = ir_func_new();
  uint32_t b = ir_block_new(f);
  uint32_t c6 = emit0(f, b, IR_CONST, IR_I32, 6), c7 = emit0(f, b, IR_CONST, IR_I32, 7);
  uint32_t m = emit2(f, b, IR_I32_MUL, IR_I32, c6, c7);
  uint32_t s = emit2(f, b, IR_I32_SHL, IR_I32, m, emit0(f, b, IR_CONST, IR_I32, 33)); /* shift count mod 32 */
  uint32_t lt = emit2(f, b, IR_I32_LT_S, IR_I32, emit0(f, b, IR_CONST, IR_I32, 0xFFFFFFFFu), c6); /* -1 < 6 */
  uint32_t p = emit0(f, b, IR_PARAM, IR_I32, 0);
  uint32_t same = emit2(f, b, IR_I32_ADD, IR_I32, p, emit0(f, b, IR_CONST, IR_I32, 0)); /* p + 0 */
  uint32_t rets[3] = {s, lt, same};
  ir_emit(f, b, IR_RET, IR_VOID, rets, 3, 0);
  assert_true(ir_cfg(f));
  assert_true(ir_pass_gvn(f) >= 3);
  const ir_ins *ret = &f->ins[f->blocks[b].ins[f->blocks[b].nins - 1]];
  assert_int_equal(f->ins[ret->args[0]].op, IR_CONST);
  assert_int_equal(f->ins[ret->args[0]].imm, 84);
  assert_int_equal(f->ins[ret->args[1]].op, IR_CONST);
  assert_int_equal(f->ins[ret->args[1]].imm, 1);
  assert_int_equal(ret->args[2], p);
  assert_false(f->oom);
  ir_func_free(f);
}

static void test_gvn_dominance(void **state) {
  (void)state;
  ir_func *f = ir_func_new();
  uint32_t b0 = ir_block_new(f), b1 = ir_block_new(f), b2 = ir_block_new(f), b3 = ir_block_new(f);
  uint32_t p = emit0(f, b0, IR_PARAM, IR_I32, 0), k = emit0(f, b0, IR_CONST, IR_I32, 5);
  uint32_t a = emit2(f, b0, IR_I32_ADD, IR_I32, p, k);
  br(f, b0, p, b1, b2);
  uint32_t a1 = emit2(f, b1, IR_I32_ADD, IR_I32, k, p); /* same as a (commuted): b0 dominates b1 */
  uint32_t d1 = emit2(f, b1, IR_I32_MUL, IR_I32, p, p);
  jmp(f, b1, b3);
  uint32_t d2 = emit2(f, b2, IR_I32_MUL, IR_I32, p, p); /* same as d1, but b1 does not dominate b2 */
  jmp(f, b2, b3);
  uint32_t phi = ir_phi_new(f, b3, IR_I32);
  f->ins[phi].args[0] = emit2(f, b1, IR_I32_XOR, IR_I32, a1, d1);
  f->ins[phi].args[1] = d2;
  /* the xor must precede b1's jump: move it before the terminator */
  ir_block *bl1 = &f->blocks[b1];
  uint32_t t = bl1->ins[bl1->nins - 1];
  bl1->ins[bl1->nins - 1] = bl1->ins[bl1->nins - 2];
  bl1->ins[bl1->nins - 2] = t;
  ir_emit(f, b3, IR_RET, IR_VOID, &phi, 1, 0);
  assert_true(ir_cfg(f));
  ir_pass_gvn(f);
  assert_int_equal(ir_resolve(f, a1), a);
  assert_int_equal(ir_resolve(f, d2), d2);
  assert_int_equal(ir_resolve(f, d1), d1);
  assert_true(ir_dominates(f, b0, b3));
  assert_false(ir_dominates(f, b1, b3));
  ir_func_free(f);
}

/* b0: p; jmp b1.  b1: i = phi(0, next); inv = p*p; next = i + inv; br next <u p ? b1 : b2.  b2: ret i */
static ir_func *loop_func(uint32_t *inv, uint32_t *next, uint32_t *p) {
  ir_func *f = ir_func_new();
  uint32_t b0 = ir_block_new(f), b1 = ir_block_new(f), b2 = ir_block_new(f);
  *p = emit0(f, b0, IR_PARAM, IR_I32, 0);
  uint32_t zero = emit0(f, b0, IR_CONST, IR_I32, 0);
  jmp(f, b0, b1);
  *inv = emit2(f, b1, IR_I32_MUL, IR_I32, *p, *p);
  *next = emit2(f, b1, IR_I32_ADD, IR_I32, *inv, *inv); /* args[1] becomes the phi below */
  uint32_t cond = emit2(f, b1, IR_I32_LT_U, IR_I32, *next, *p);
  br(f, b1, cond, b1, b2);
  uint32_t i = ir_phi_new(f, b1, IR_I32);
  f->ins[i].args[0] = zero;
  f->ins[i].args[1] = *next;
  f->ins[*next].args[1] = i;
  ir_emit(f, b2, IR_RET, IR_VOID, &i, 1, 0);
  return f;
}

static void test_licm(void **state) {
  (void)state;
  uint32_t inv, next, p;
  ir_func *f = loop_func(&inv, &next, &p);
  assert_true(ir_cfg(f));
  assert_true(f->blocks[1].loop_head);
  assert_false(f->blocks[0].loop_head);
  assert_int_equal(ir_pass_licm(f), 1);
  assert_int_equal(f->ins[inv].block, 0);  /* p*p moved to the preheader */
  assert_int_equal(f->ins[next].block, 1); /* depends on the phi: stays */
  const ir_block *b0 = &f->blocks[0];
  assert_int_equal(b0->ins[b0->nins - 2], inv);
  assert_int_equal(f->ins[b0->ins[b0->nins - 1]].op, IR_JMP); /* still the terminator */
  ir_func_free(f);
}

static void test_dce(void **state) {
  (void)state;
  ir_func *f = ir_func_new();
  uint32_t b = ir_block_new(f);
  uint32_t p = emit0(f, b, IR_PARAM, IR_I32, 0);
  uint32_t unused = emit2(f, b, IR_I32_ADD, IR_I32, p, p);
  uint32_t ld = emit1(f, b, IR_LOAD, IR_I32, p); /* unused, but may trap: kept */
  f->ins[ld].wop = OP_I32_LOAD;
  uint32_t val = emit2(f, b, IR_I32_SUB, IR_I32, p, p);
  uint32_t st = emit2(f, b, IR_STORE, IR_VOID, p, val);
  f->ins[st].wop = OP_I32_STORE;
  ir_emit(f, b, IR_RET, IR_VOID, NULL, 0, 0);
  assert_true(ir_cfg(f));
  assert_int_equal(ir_pass_dce(f), 1);
  assert_true(f->ins[unused].dead);
  assert_false(f->ins[ld].dead);
  assert_false(f->ins[val].dead);
  assert_false(f->ins[st].dead);
  ir_func_free(f);
}

static void test_trivial_phi(void **state) {
  (void)state;
  ir_func *f = ir_func_new();
  uint32_t b0 = ir_block_new(f), b1 = ir_block_new(f), b2 = ir_block_new(f), b3 = ir_block_new(f);
  uint32_t p = emit0(f, b0, IR_PARAM, IR_I32, 0);
  br(f, b0, p, b1, b2);
  jmp(f, b1, b3);
  jmp(f, b2, b3);
  uint32_t phi = ir_phi_new(f, b3, IR_I32);
  f->ins[phi].args[0] = p;
  f->ins[phi].args[1] = p;
  uint32_t phi2 = ir_phi_new(f, b3, IR_I32); /* a real one */
  f->ins[phi2].args[0] = p;
  f->ins[phi2].args[1] = emit0(f, b0, IR_CONST, IR_I32, 3);
  uint32_t r[2] = {phi, phi2};
  ir_emit(f, b3, IR_RET, IR_VOID, r, 2, 0);
  assert_int_equal(ir_pass_phis(f), 1);
  assert_int_equal(ir_resolve(f, phi), p);
  assert_int_equal(ir_resolve(f, phi2), phi2);
  ir_func_free(f);
}

static void test_split_and_regalloc(void **state) {
  (void)state;
  uint32_t inv, next, p;
  ir_func *f = loop_func(&inv, &next, &p);
  assert_true(ir_cfg(f));
  uint32_t before = f->nblocks;
  ir_split_critical_edges(f);
  assert_true(ir_cfg(f));
  assert_int_equal(f->nblocks, before + 1); /* b1 -> b1 had two successors meeting two predecessors */
  for (uint32_t b = 0; b < f->nblocks; b++)
    if (f->blocks[b].nsucc > 1)
      for (uint32_t s = 0; s < f->blocks[b].nsucc; s++) assert_int_equal(f->blocks[f->blocks[b].succ[s]].npred, 1);
  /* enough registers: nothing spilled, and values live at once (p and the
   * phi around the loop, inv into next, next into cond) apart */
  static const int8_t regs[] = {3, 5, 6, 7, 8, 9, 10, 11};
  aot_isa fake = {.alloc = {regs, regs}, .nalloc = {8, 8}};
  ir_pass_licm(f);
  ir_ra ra;
  assert_true(ir_regalloc(f, &fake, &ra));
  assert_int_equal(ra.nslots, 0);
  uint32_t phi = f->ins[next].args[1];
  uint32_t live[4] = {p, phi, inv, next};
  for (int k = 0; k < 4; k++) {
    assert_true(ra.reg[live[k]] >= 0);
    for (int j = 0; j < k; j++) assert_int_not_equal(ra.reg[live[k]], ra.reg[live[j]]);
  }
  uint32_t zero = f->ins[phi].args[0]; /* a constant has no home: used in place */
  assert_int_equal(f->ins[zero].op, IR_CONST);
  assert_int_equal(ra.reg[zero], -1);
  assert_int_equal(ra.slot[zero], -1);
  ir_ra_free(&ra);
  ir_func_free(f);
}

/* Four parameters live at once, two registers: two are spilled, each
 * value has exactly one home, and the two in registers differ. */
static void test_regalloc_spill(void **state) {
  (void)state;
  ir_func *f = ir_func_new();
  uint32_t b = ir_block_new(f), v[4];
  for (uint32_t k = 0; k < 4; k++) v[k] = emit0(f, b, IR_PARAM, IR_I64, k);
  uint32_t s1 = emit2(f, b, IR_I64_ADD, IR_I64, v[0], v[1]), s2 = emit2(f, b, IR_I64_ADD, IR_I64, v[2], v[3]);
  uint32_t s = emit2(f, b, IR_I64_ADD, IR_I64, s1, s2);
  ir_emit(f, b, IR_RET, IR_VOID, &s, 1, 0);
  assert_true(ir_cfg(f));
  static const int8_t regs[] = {3, 5};
  aot_isa fake = {.alloc = {regs, regs}, .nalloc = {2, 2}};
  ir_ra ra;
  assert_true(ir_regalloc(f, &fake, &ra));
  uint32_t in_reg = 0;
  for (uint32_t k = 0; k < 4; k++) {
    assert_true((ra.reg[v[k]] >= 0) != (ra.slot[v[k]] >= 0));
    if (ra.reg[v[k]] >= 0) in_reg++;
    for (uint32_t j = 0; j < k; j++)
      if (ra.reg[v[k]] >= 0) assert_int_not_equal(ra.reg[v[k]], ra.reg[v[j]]);
  }
  assert_int_equal(in_reg, 2);
  assert_true(ra.nslots >= 2);
  assert_int_equal(ra.used[IR_CL_G], (1u << 3) | (1u << 5));
  assert_int_equal(ra.used[IR_CL_F], 0);
  ir_ra_free(&ra);
  ir_func_free(f);
}

/* next = inv + phi flows back into the phi: the accumulator pass puts the
 * phi first (where the two-address hint can give next the phi's register),
 * and the allocator then gives both one register: the back edge moves
 * nothing. A constant operand is never moved to the left. */
static void test_accumulators(void **state) {
  (void)state;
  uint32_t inv, next, p;
  ir_func *f = loop_func(&inv, &next, &p);
  uint32_t ret = f->blocks[2].ins[0];
  f->ins[ret].args[0] = next; /* return next, so the phi dies where next is computed */
  assert_true(ir_cfg(f));
  uint32_t phi = f->ins[next].args[1];
  assert_int_equal(f->ins[phi].op, IR_PHI);
  assert_int_equal(ir_pass_accumulators(f), 1);
  assert_int_equal(f->ins[next].args[0], phi);
  assert_int_equal(f->ins[next].args[1], inv);
  assert_int_equal(ir_pass_accumulators(f), 0); /* already in order */
  static const int8_t regs[] = {3, 5, 6, 7};
  aot_isa fake = {.alloc = {regs, regs}, .nalloc = {4, 4}};
  ir_ra ra;
  assert_true(ir_regalloc(f, &fake, &ra));
  assert_true(ra.reg[phi] >= 0);
  assert_int_equal(ra.reg[next], ra.reg[phi]);
  ir_ra_free(&ra);
  ir_func_free(f);
}

static void test_print(void **state) {
  (void)state;
  uint32_t inv, next, p;
  ir_func *f = loop_func(&inv, &next, &p);
  char buf[1024];
  size_t need = ir_print(f, buf, sizeof buf);
  assert_true(need <= sizeof buf);
  assert_non_null(strstr(buf, "= PHI"));
  assert_non_null(strstr(buf, "I32_MUL"));
  assert_non_null(strstr(buf, "BR v"));
  char tiny[8];
  assert_int_equal(ir_print(f, tiny, sizeof tiny), need); /* truncates, reports the size needed */
  assert_int_equal(strlen(tiny), 7);
  ir_func_free(f);
}

/* One IR op per SIMD instruction, named as it, mapping both ways; memory
 * accesses are effects, the rest pure. */
static void test_simd_rows(void **state) {
  (void)state;
  uint32_t n = 0;
  for (int op = 0; op < OP_COUNT_; op++) {
    if (wm_opinfos[op].prefix != 0xFD) {
      assert_int_equal(ir_simd_op((wm_opcode)op), IR_NOPS_);
      continue;
    }
    n++;
    uint32_t iop = ir_simd_op((wm_opcode)op);
    assert_true(ir_op_is_simd(iop));
    assert_int_equal(ir_simd_wasm_op(iop), op);
    bool mem = wm_opinfos[op].imm == IMM_MEMARG || wm_opinfos[op].imm == IMM_MEMARG_LANE;
    assert_int_equal(ir_opinfos[iop].flags, mem ? (IRF_EFFECT | IRF_READ) : IRF_PURE);
  }
  assert_int_equal(n, IR_NOPS_ - IR_SIMD_FIRST_);
  assert_string_equal(ir_opinfos[IR_I32X4_ADD].name, "I32X4_ADD");
  assert_false(ir_op_is_simd(IR_F64_PROMOTE_F32));
  assert_false(ir_op_is_simd(IR_RESULT));
  assert_int_equal(ir_cls(IR_V128), IR_CL_V);
  assert_int_equal(ir_cls(IR_I64), IR_CL_G); /* references */
}

/* SIMD values are numbered by op and immediate (a lane is part of the
 * value), unused pure SIMD ops are removed, loads are kept; a backend can
 * tell which instructions need a v128 class. */
static void test_simd_gvn_dce(void **state) {
  (void)state;
  ir_func *f = ir_func_new();
  uint32_t b = ir_block_new(f);
  uint32_t addr = emit0(f, b, IR_PARAM, IR_I32, 0);
  uint32_t vec = emit1(f, b, (ir_op)IR_V128_LOAD, IR_V128, addr);
  uint32_t unused = emit1(f, b, (ir_op)IR_V128_LOAD, IR_V128, addr);
  uint32_t l1 = emit1(f, b, (ir_op)IR_I32X4_EXTRACT_LANE, IR_I32, vec);
  f->ins[l1].imm = 1;
  uint32_t l2 = emit1(f, b, (ir_op)IR_I32X4_EXTRACT_LANE, IR_I32, vec);
  f->ins[l2].imm = 2;
  uint32_t l1b = emit1(f, b, (ir_op)IR_I32X4_EXTRACT_LANE, IR_I32, vec);
  f->ins[l1b].imm = 1;
  uint32_t dead = emit2(f, b, (ir_op)IR_I32X4_ADD, IR_V128, vec, vec);
  uint32_t rets[3] = {l1, l2, l1b};
  ir_emit(f, b, IR_RET, IR_VOID, rets, 3, 0);
  assert_true(ir_cfg(f));
  ir_pass_gvn(f);
  ir_canonicalize(f);
  const ir_ins *ret = &f->ins[f->blocks[b].ins[f->blocks[b].nins - 1]];
  assert_int_equal(ret->args[0], l1);
  assert_int_equal(ret->args[1], l2); /* another lane: not the same value */
  assert_int_equal(ret->args[2], l1); /* the same lane again: numbered */
  ir_pass_dce(f);
  assert_true(f->ins[dead].dead);
  assert_false(f->ins[unused].dead); /* a load may trap */
  assert_true(ir_ins_v128(f, &f->ins[vec]));
  assert_true(ir_ins_v128(f, &f->ins[l1]));   /* a SIMD op with a scalar result */
  assert_false(ir_ins_v128(f, &f->ins[addr]));
  assert_false(f->oom);
  ir_func_free(f);
}

/* Without vector registers every v128 value gets a 16-byte home: two
 * consecutive slots of its own, not shared with a value live at the same time. */
static void test_regalloc_v128_slots(void **state) {
  (void)state;
  ir_func *f = ir_func_new();
  uint32_t b = ir_block_new(f);
  uint32_t v[3], s[3];
  for (uint32_t k = 0; k < 3; k++) v[k] = emit0(f, b, IR_PARAM, IR_V128, k);
  uint32_t i0 = emit0(f, b, IR_PARAM, IR_I64, 3);
  s[0] = emit2(f, b, (ir_op)IR_I32X4_ADD, IR_V128, v[0], v[1]);
  s[1] = emit2(f, b, (ir_op)IR_I32X4_ADD, IR_V128, s[0], v[2]);
  s[2] = emit2(f, b, (ir_op)IR_I64X2_REPLACE_LANE, IR_V128, s[1], i0);
  ir_emit(f, b, IR_RET, IR_VOID, &s[2], 1, 0);
  assert_true(ir_cfg(f));
  static const int8_t regs[] = {3, 5};
  aot_isa fake = {.alloc = {regs, regs}, .nalloc = {2, 2, 0}};
  ir_ra ra;
  assert_true(ir_regalloc(f, &fake, &ra));
  uint32_t all[6] = {v[0], v[1], v[2], s[0], s[1], s[2]};
  for (int k = 0; k < 6; k++) {
    assert_int_equal(ra.reg[all[k]], -1);
    assert_true(ra.slot[all[k]] >= 0);
    assert_true((uint32_t)ra.slot[all[k]] + 2 <= ra.nslots);
  }
  /* v0, v1 and v2 live together: their 16-byte homes do not overlap */
  for (int k = 0; k < 3; k++)
    for (int j = 0; j < k; j++) {
      int32_t a = ra.slot[v[k]], c = ra.slot[v[j]];
      assert_true(a + 2 <= c || c + 2 <= a);
    }
  assert_true(ra.reg[i0] >= 0); /* the i64 still gets a register */
  assert_int_equal(ra.used[IR_CL_V], 0);
  ir_ra_free(&ra);
  ir_func_free(f);
}

/* Vectors sharing the float registers (x86-64 xmm): a v128 and an f64 live
 * at the same time get different registers of the one list, and used[]
 * tells which held a vector. */
static void test_regalloc_shared_bank(void **state) {
  (void)state;
  ir_func *f = ir_func_new();
  uint32_t b = ir_block_new(f);
  uint32_t vec = emit0(f, b, IR_PARAM, IR_V128, 0), x = emit0(f, b, IR_PARAM, IR_F64, 1);
  uint32_t sp = emit1(f, b, (ir_op)IR_F64X2_SPLAT, IR_V128, x);
  uint32_t sum = emit2(f, b, (ir_op)IR_F64X2_ADD, IR_V128, vec, sp);
  uint32_t rets[2] = {sum, x};
  ir_emit(f, b, IR_RET, IR_VOID, rets, 2, 0);
  assert_true(ir_cfg(f));
  static const int8_t gregs[] = {3, 5}, xregs[] = {1, 2, 3};
  aot_isa fake = {.alloc = {gregs, xregs, xregs}, .nalloc = {2, 3, 3}, .vec_in_float_regs = true};
  ir_ra ra;
  assert_true(ir_regalloc(f, &fake, &ra));
  uint32_t together[3] = {vec, x, sp}; /* all live where sum is computed */
  for (int k = 0; k < 3; k++) {
    assert_true(ra.reg[together[k]] >= 1 && ra.reg[together[k]] <= 3);
    for (int j = 0; j < k; j++) assert_int_not_equal(ra.reg[together[k]], ra.reg[together[j]]);
  }
  assert_true(ra.used[IR_CL_V] & (1u << ra.reg[vec]));
  assert_false(ra.used[IR_CL_V] & (1u << ra.reg[x]));
  assert_true(ra.used[IR_CL_F] & (1u << ra.reg[x]));
  assert_int_equal(ra.nslots, 0);
  ir_ra_free(&ra);
  ir_func_free(f);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_fold),        cmocka_unit_test(test_gvn_dominance),      cmocka_unit_test(test_licm),
      cmocka_unit_test(test_dce),         cmocka_unit_test(test_trivial_phi),        cmocka_unit_test(test_split_and_regalloc),
      cmocka_unit_test(test_regalloc_spill), cmocka_unit_test(test_accumulators),
      cmocka_unit_test(test_print),
      cmocka_unit_test(test_simd_rows),   cmocka_unit_test(test_simd_gvn_dce),       cmocka_unit_test(test_regalloc_v128_slots),
      cmocka_unit_test(test_regalloc_shared_bank),
      cmocka_unit_test(test_loads),       cmocka_unit_test(test_global_forwarding),  cmocka_unit_test(test_known_bits),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
