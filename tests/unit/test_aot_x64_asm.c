/*
 * test_aot_x64_asm.c — the x86-64 encoder against hand-checked encodings
 * (Intel SDM vol. 2), concentrating on the special cases of ModRM/SIB/REX:
 * rsp/r12 as a base (SIB needed), rbp/r13 as a base (displacement needed),
 * the byte registers sil/dil (REX needed), high registers in every field,
 * mandatory prefixes before REX, and rel32 patching.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aot/x64/asm.h"

typedef void (*emit_fn)(x64_buf *b);

static void expect(emit_fn f, const uint8_t *want, size_t n) {
  x64_buf b = {0};
  f(&b);
  assert_false(b.oom);
  if (b.n != n || memcmp(b.p, want, n) != 0) {
    char got[128] = {0}, exp[128] = {0};
    for (size_t i = 0; i < b.n && i < 40; i++) snprintf(got + 3 * i, 4, "%02x ", b.p[i]);
    for (size_t i = 0; i < n && i < 40; i++) snprintf(exp + 3 * i, 4, "%02x ", want[i]);
    fail_msg("encoded %s, expected %s", got, exp);
  }
  free(b.p);
}
#define EXPECT(body, ...)                                  \
  do {                                                     \
    static const uint8_t want_[] = {__VA_ARGS__};          \
    expect(body, want_, sizeof want_);                     \
  } while (0)

static void e_mov_rr(x64_buf *b) { x64_mov_rr(b, true, RAX, RBX); }
static void e_mov_r12_rsp8(x64_buf *b) { x64_mov_load(b, true, R12, x64_m(x64_base(RSP, 8))); }
static void e_store_r13(x64_buf *b) { x64_mov_store(b, false, x64_base(R13, 0), RAX); }
static void e_load_r12(x64_buf *b) { x64_mov_load(b, false, RAX, x64_m(x64_base(R12, 0))); }
static void e_load_rbp(x64_buf *b) { x64_mov_load(b, false, RCX, x64_m(x64_base(RBP, 0))); }
static void e_lea_sib(x64_buf *b) { x64_lea(b, true, RCX, x64_bidx(R15, R11, 1, 16)); }
static void e_disp32(x64_buf *b) { x64_mov_load(b, true, RDX, x64_m(x64_base(RSP, 0x138))); }
static void e_movzx_sil(x64_buf *b) { x64_movzx8(b, RAX, x64_r(RSI)); }
static void e_store8_sil(x64_buf *b) { x64_store8(b, x64_base(RAX, 0), RSI); }
static void e_setne_dil(x64_buf *b) { x64_setcc(b, CC_NE, RDI); }
static void e_add_rsp(x64_buf *b) { x64_alu_imm(b, 0, true, x64_r(RSP), 8); }
static void e_sub_rsp(x64_buf *b) { x64_alu_imm(b, 5, true, x64_r(RSP), 0x138); }
static void e_mov_r8d(x64_buf *b) { x64_mov_imm(b, false, R8, 5); }
static void e_mov_neg1(x64_buf *b) { x64_mov_imm(b, true, RAX, UINT64_MAX); }
static void e_mov_imm64(x64_buf *b) { x64_mov_imm(b, true, R11, UINT64_C(0x2545f4914f6cdd1d)); }
static void e_addsd(x64_buf *b) { x64_sse(b, 0xF2, 0x58, false, 1, x64_r(2)); }
static void e_addsd_mem(x64_buf *b) { x64_sse(b, 0xF2, 0x58, false, 9, x64_m(x64_base(RSP, 16))); }
static void e_movq_xr(x64_buf *b) { x64_movq_xr(b, true, 0, RAX); }
static void e_movq_rx(x64_buf *b) { x64_movq_rx(b, true, RAX, 15); }
static void e_roundsd(x64_buf *b) { x64_round(b, true, 1, 2, 9); }
static void e_pmulld(x64_buf *b) { x64_op_rm(b, 0x66, 0x0F3840, false, 0, x64_r(14)); }
static void e_call_mem(x64_buf *b) { x64_op_rm(b, 0, 0xFF, false, 2, x64_m(x64_base(R14, 0x48))); }
static void e_push_pop(x64_buf *b) { x64_push(b, R12); x64_pop(b, RBX); }
static void e_shl_imm(x64_buf *b) { x64_shift_imm(b, 4, true, R9, 25); }
static void e_imul(x64_buf *b) { x64_imul_rm(b, true, R9, x64_r(R11)); }
static void e_div(x64_buf *b) { x64_unary(b, 6, true, x64_r(RCX)); x64_cdq(b, true); }
static void e_cmp_limit(x64_buf *b) { x64_alu_rm(b, 7, true, RSP, x64_m(x64_base(R14, 0x10))); }
static void e_movsx_mem(x64_buf *b) { x64_movsx8(b, true, RAX, x64_m(x64_bidx(R15, RBX, 1, 4))); }
static void e_store16(x64_buf *b) { x64_store16(b, x64_bidx(R15, R8, 1, 0), R9); }
static void e_rip(x64_buf *b) {
  size_t at = x64_lea_rip(b, R11);
  x64_patch_rel32(b, at, at + 4 + 0x10);
}
static void e_jmp_back(x64_buf *b) {
  size_t at = x64_jmp_rel32(b);
  x64_patch_rel32(b, at, 0);
}
static void e_jcc(x64_buf *b) {
  size_t at = x64_jcc_rel32(b, CC_B);
  x64_patch_rel32(b, at, at + 4);
}

static void test_general_registers(void **state) {
  (void)state;
  EXPECT(e_mov_rr, 0x48, 0x8B, 0xC3);
  EXPECT(e_mov_r12_rsp8, 0x4C, 0x8B, 0x64, 0x24, 0x08);
  EXPECT(e_store_r13, 0x41, 0x89, 0x45, 0x00);
  EXPECT(e_load_r12, 0x41, 0x8B, 0x04, 0x24);
  EXPECT(e_load_rbp, 0x8B, 0x4D, 0x00);
  EXPECT(e_lea_sib, 0x4B, 0x8D, 0x4C, 0x1F, 0x10);
  EXPECT(e_disp32, 0x48, 0x8B, 0x94, 0x24, 0x38, 0x01, 0x00, 0x00);
  EXPECT(e_movsx_mem, 0x49, 0x0F, 0xBE, 0x44, 0x1F, 0x04);
  EXPECT(e_store16, 0x66, 0x47, 0x89, 0x0C, 0x07);
}

static void test_byte_registers(void **state) {
  (void)state;
  EXPECT(e_movzx_sil, 0x40, 0x0F, 0xB6, 0xC6);
  EXPECT(e_store8_sil, 0x40, 0x88, 0x30);
  EXPECT(e_setne_dil, 0x40, 0x0F, 0x95, 0xC7);
}

static void test_immediates(void **state) {
  (void)state;
  EXPECT(e_add_rsp, 0x48, 0x83, 0xC4, 0x08);
  EXPECT(e_sub_rsp, 0x48, 0x81, 0xEC, 0x38, 0x01, 0x00, 0x00);
  EXPECT(e_mov_r8d, 0x41, 0xB8, 0x05, 0x00, 0x00, 0x00);
  EXPECT(e_mov_neg1, 0x48, 0xC7, 0xC0, 0xFF, 0xFF, 0xFF, 0xFF);
  EXPECT(e_mov_imm64, 0x49, 0xBB, 0x1D, 0xDD, 0x6C, 0x4F, 0x91, 0xF4, 0x45, 0x25);
  EXPECT(e_shl_imm, 0x49, 0xC1, 0xE1, 0x19);
}

static void test_arithmetic(void **state) {
  (void)state;
  EXPECT(e_imul, 0x4D, 0x0F, 0xAF, 0xCB);
  EXPECT(e_div, 0x48, 0xF7, 0xF1, 0x48, 0x99);
  EXPECT(e_cmp_limit, 0x49, 0x3B, 0x66, 0x10);
  EXPECT(e_call_mem, 0x41, 0xFF, 0x56, 0x48);
  EXPECT(e_push_pop, 0x41, 0x54, 0x5B);
}

static void test_sse(void **state) {
  (void)state;
  EXPECT(e_addsd, 0xF2, 0x0F, 0x58, 0xCA);
  EXPECT(e_addsd_mem, 0xF2, 0x44, 0x0F, 0x58, 0x4C, 0x24, 0x10);
  EXPECT(e_movq_xr, 0x66, 0x48, 0x0F, 0x6E, 0xC0);
  EXPECT(e_movq_rx, 0x66, 0x4C, 0x0F, 0x7E, 0xF8);
  EXPECT(e_roundsd, 0x66, 0x0F, 0x3A, 0x0B, 0xCA, 0x09);
  EXPECT(e_pmulld, 0x66, 0x41, 0x0F, 0x38, 0x40, 0xC6);
}

static void test_branches(void **state) {
  (void)state;
  EXPECT(e_rip, 0x4C, 0x8D, 0x1D, 0x10, 0x00, 0x00, 0x00);
  EXPECT(e_jmp_back, 0xE9, 0xFB, 0xFF, 0xFF, 0xFF);
  EXPECT(e_jcc, 0x0F, 0x82, 0x00, 0x00, 0x00, 0x00);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_general_registers), cmocka_unit_test(test_byte_registers),
    cmocka_unit_test(test_immediates),        cmocka_unit_test(test_arithmetic),
    cmocka_unit_test(test_sse),               cmocka_unit_test(test_branches),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
