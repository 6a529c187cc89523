/*
 * test_aot_arm64_machine.c — the AArch64 machine facts (src/aot/arm64/
 * machine.c) and, on an AArch64 host (natively or under qemu-aarch64 in CI),
 * code from the encoder run for real: placed by aot_image_from_code (one
 * mapping, written, instruction cache synchronized, switched to read+execute),
 * called, and its results compared with C. Covers constant materialization,
 * integer/FP/NEON arithmetic, loads and stores, loops with patched branches,
 * BL linked directly and through a veneer across pages, and the signal
 * context: the pc and sp of a faulting load, and the UDF filler trapping.
 * On other hosts only the parts that need no AArch64 CPU run (linking and
 * veneer words, filler bytes, empty feature set and signal registers).
 *
 * No cmocka: the test must also run in the cross-built tree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit/arm64_harness.h"

/* ---- on every host ------------------------------------------------------------ */

static void test_link_and_veneer_words(void) {
  uint8_t code[0x40] = {0};
  a64_buf b = {0};
  CHECK(a64_bl(&b, 0) && !b.oom); /* BL to itself, as the code generator leaves it */
  memcpy(code, b.p, 4);
  free(b.p);
  CHECK(arm64_link_call(code, 0, 0x100));
  CHECK(a64h_word(code) == 0x94000040u); /* bl .+0x100 (GNU as) */
  CHECK(!arm64_link_call(code, 0, 0x8000000));  /* past +128 MiB - 4 */
  CHECK(a64h_word(code) == 0x94000040u);          /* unchanged */
  CHECK(arm64_link_call(code, 0, 0x7FFFFFC));
  CHECK(a64h_word(code) == 0x95FFFFFFu);
  memset(code + 8, 0x1F, 4);                    /* not a BL */
  CHECK(!arm64_link_call(code, 8, 0));

  /* adrp x16, .+0x5000 / add x16, x16, #4 / br x16, from GNU as at offset 4 */
  memset(code, 0, sizeof code);
  CHECK(arm64_write_veneer(code, 4, 0x5004));
  CHECK(a64h_word(code + 4) == 0xb0000030u && a64h_word(code + 8) == 0x91001210u && a64h_word(code + 12) == 0xd61f0200u);
  CHECK(a64h_word(code + 16) == 0);               /* nothing past the veneer */
  CHECK(!arm64_write_veneer(code, 4, (size_t)1 << 33)); /* past 4 GiB */
  CHECK(!arm64_write_veneer(code, 2, 0x100));   /* misaligned */

  uint8_t fill[10];
  memset(fill, 0xAB, sizeof fill);
  arm64_fill(fill, sizeof fill);
  CHECK(a64h_word(fill) == 0 && a64h_word(fill + 4) == 0 && fill[8] == 0 && fill[9] == 0); /* UDF #0 */

  CHECK(strcmp(arm64_cpu_names[0], "FP") == 0 && strcmp(arm64_cpu_names[1], "ASIMD") == 0 &&
        strcmp(arm64_cpu_names[2], "LSE") == 0 && arm64_cpu_names[3] == NULL);
}

#if !defined(__aarch64__)
static void test_not_aarch64(void) {
  uintptr_t pc = 1, sp = 1, fp = 1, lr = 1;
  char ctx[16] = {0};
  CHECK(arm64_host_cpu() == 0);
  arm64_signal_pc_sp(ctx, &pc, &sp);
  arm64_signal_fp_lr(ctx, &fp, &lr);
  CHECK(pc == 0 && sp == 0 && fp == 0 && lr == 0);
}
#else

/* ---- on AArch64: run what the encoder wrote --------------------------------- */

typedef uint64_t (*fn2)(uint64_t, uint64_t);

/* Maps the buffer's code as an image with no function entries (the buffer is consumed). */
static aot_image *place(a64_buf *b) { return a64h_place(b, 0, NULL); }

static uint64_t call(const aot_image *img, size_t off, uint64_t x, uint64_t y) {
  if (!img) return 0xBAD;
  fn2 f = (fn2)(void *)(img->mem + off);
  return f(x, y);
}

static void test_constants(void) {
  static const uint64_t k[] = {0, 1, ~UINT64_C(0), UINT64_C(0x0123456789ABCDEF), UINT64_C(0xFFFFFFFF12345678),
                               UINT64_C(0x00FF00FF00FF00FF), UINT64_C(0x8000000000000000), UINT64_C(0x1234000000005678),
                               UINT64_C(0xFFFF0000FFFF0000), UINT64_C(0x5555555555555555)};
  size_t n = sizeof k / sizeof k[0], at[16];
  a64_buf b = {0};
  for (size_t i = 0; i < n; i++) {
    at[i] = b.n;
    CHECK(a64_mov_imm(&b, true, 0, k[i]) && a64_ret(&b, A64_LR));
  }
  at[n] = b.n;
  CHECK(a64_mov_imm(&b, false, 0, 0xFFFF1234) && a64_ret(&b, A64_LR)); /* a W write zero-extends */
  aot_image *img = place(&b);
  for (size_t i = 0; i < n; i++) CHECK(call(img, at[i], 7, 7) == k[i]);
  CHECK(call(img, at[n], ~UINT64_C(0), 0) == 0xFFFF1234u);
  aot_image_free(img);
}

static void test_integer(void) {
  a64_buf b = {0};
  /* f0: (x / y) * 1000 + x % y, signed 64-bit */
  CHECK(a64_dp2(&b, A64_SDIV, true, 2, 0, 1) && a64_msub(&b, true, 3, 2, 1, 0) && a64_mov_imm(&b, true, 4, 1000) &&
        a64_madd(&b, true, 0, 2, 4, 3) && a64_ret(&b, A64_LR));
  /* f1: ror32(clz32(x) + rbit32(y), 4) */
  size_t f1 = b.n;
  CHECK(a64_dp1(&b, A64_CLZ, false, 2, 0) && a64_dp1(&b, A64_RBIT, false, 3, 1) &&
        a64_addsub_reg(&b, A64_ADD, false, 0, 2, 3, A64_LSL, 0) && a64_shift_imm(&b, A64_ROR, false, 0, 0, 4) &&
        a64_ret(&b, A64_LR));
  /* f2: ((x < y signed) | 0xF0) & 0xFF, plus x >> 60 (arithmetic) */
  size_t f2 = b.n;
  CHECK(a64_cmp(&b, true, 0, 1) && a64_cset(&b, true, 2, A64_LT) && a64_logic_imm(&b, A64_ORR, true, 2, 2, 0xF0) &&
        a64_logic_imm(&b, A64_AND, true, 2, 2, 0xFF) && a64_shift_imm(&b, A64_ASR, true, 3, 0, 60) &&
        a64_addsub_reg(&b, A64_ADD, true, 0, 2, 3, A64_LSL, 0) && a64_ret(&b, A64_LR));
  /* f3: sxtb(x) + uxth(y) through csel on x == 0 */
  size_t f3 = b.n;
  CHECK(a64_sxt(&b, true, 2, 0, 8) && a64_uxt(&b, 3, 1, 16) && a64_cmp_imm(&b, true, 0, 0) &&
        a64_csel(&b, A64_CSEL, true, 0, 3, 2, A64_EQ) && a64_ret(&b, A64_LR));
  aot_image *img = place(&b);
  CHECK(call(img, 0, (uint64_t)-47, 5) == (uint64_t)(-9 * 1000 + -2));
  CHECK(call(img, 0, 1000000007, 1000) == 1000000 * 1000 + 7);
  uint32_t w = (uint32_t)__builtin_clz(0x00F00000u) + 0x80000000u;
  CHECK(call(img, f1, 0x00F00000u, 1) == (uint64_t)(w >> 4 | w << 28));
  CHECK(call(img, f2, (uint64_t)-1, 0) == 0xF1 - 1);
  CHECK(call(img, f2, 5, 3) == 0xF0);
  CHECK(call(img, f3, 0x1FF, 0x12345) == (uint64_t)-1);
  CHECK(call(img, f3, 0, 0x12345) == 0x2345);
  aot_image_free(img);
}

static void test_fp_and_neon(void) {
  a64_buf b = {0};
  /* f0: (int64)sqrt((double)x) */
  CHECK(a64_cvtf(&b, false, true, true, 0, 0) && a64_fp1(&b, A64_FSQRT, true, 0, 0) &&
        a64_fcvtz(&b, false, true, true, 0, 0) && a64_ret(&b, A64_LR));
  /* f1: popcount(x) with CNT and ADDV */
  size_t f1 = b.n;
  CHECK(a64_fmov_from_gpr(&b, true, 0, 0) && a64_v2(&b, A64_V_CNT, A64_8B, 0, 0) &&
        a64_vacross(&b, A64_V_ADDV, A64_8B, 0, 0) && a64_umov(&b, 1, 0, 0, 0) && a64_ret(&b, A64_LR));
  /* f2: i32x4 lane arithmetic: dup x, add y to lane 2, shift left 1, lane 2 out */
  size_t f2 = b.n;
  CHECK(a64_dup_gpr(&b, A64_4S, 0, 0) && a64_movi8(&b, A64_16B, 1, 0) && a64_ins_gpr(&b, 4, 1, 2, 1) &&
        a64_v3(&b, A64_V_ADD, A64_4S, 0, 0, 1) && a64_vshift(&b, A64_V_SHL, A64_4S, 0, 0, 1) &&
        a64_umov(&b, 4, 0, 0, 2) && a64_ret(&b, A64_LR));
  /* f3: min(x, y) as doubles via fcmp/fcsel, back to an integer */
  size_t f3 = b.n;
  CHECK(a64_cvtf(&b, false, true, true, 0, 0) && a64_cvtf(&b, false, true, true, 1, 1) &&
        a64_fcmp(&b, true, 0, 1, false, false) && a64_fcsel(&b, true, 0, 0, 1, A64_LT) &&
        a64_fcvtz(&b, false, true, true, 0, 0) && a64_ret(&b, A64_LR));
  aot_image *img = place(&b);
  CHECK(call(img, 0, 144, 0) == 12 && call(img, 0, 1u << 30, 0) == 1u << 15);
  CHECK(call(img, f1, UINT64_C(0xF0F0000000000001), 0) == 9 && call(img, f1, ~UINT64_C(0), 0) == 64);
  CHECK(call(img, f2, 5, 100) == 210);
  CHECK(call(img, f3, (uint64_t)-3, 2) == (uint64_t)-3 && call(img, f3, 9, 4) == 4);
  aot_image_free(img);
}

static void test_memory_and_branches(void) {
  a64_buf b = {0};
  /* f0(p): p[3] = p[1] + p[2] through a frame (stp/ldp pre/post-index,
   * unsigned-offset, register-offset and unscaled forms); returns it plus
   * the low byte of p[1] */
  CHECK(a64_stp(&b, A64_PAIR_X, A64_PRE, A64_FP, A64_LR, A64_SP, -32) && a64_mov_sp(&b, true, A64_FP, A64_SP) &&
        a64_ldst(&b, A64_LDR_X, 2, 0, 8) && a64_mov_imm(&b, true, 4, 2) &&
        a64_ldst_reg(&b, A64_LDR_X, 3, 0, 4, A64_UXTX, true) && a64_addsub_reg(&b, A64_ADD, true, 2, 2, 3, A64_LSL, 0) &&
        a64_ldst(&b, A64_STR_X, 2, A64_SP, 16) && a64_ldst(&b, A64_LDR_X, 5, A64_FP, 16) &&
        a64_addsub_imm(&b, A64_ADD, true, 6, 0, 27) && a64_ldst(&b, A64_STR_X, 5, 6, -3) &&
        a64_ldst(&b, A64_LDRB, 7, 0, 8) && a64_addsub_reg(&b, A64_ADD, true, 0, 5, 7, A64_LSL, 0) &&
        a64_ldp(&b, A64_PAIR_X, A64_POST, A64_FP, A64_LR, A64_SP, 32) && a64_ret(&b, A64_LR));
  /* f1(n): 1 + 2 + ... + n with a forward CBZ patched later and a backward B */
  size_t f1 = b.n;
  CHECK(a64_mov_imm(&b, true, 1, 0));
  size_t loop = b.n, exit_at = b.n;
  CHECK(a64_cbz(&b, false, true, 0, b.n) && a64_addsub_reg(&b, A64_ADD, true, 1, 1, 0, A64_LSL, 0) &&
        a64_addsub_imm(&b, A64_SUB, true, 0, 0, 1) && a64_b(&b, loop));
  CHECK(a64_patch(&b, exit_at, b.n) && a64_mov(&b, true, 0, 1) && a64_ret(&b, A64_LR));
  /* f2(x, y): bit 40 of x ? 1 : x > y unsigned ? 2 : 3 (TBNZ and B.HI patched) */
  size_t f2 = b.n, tb = b.n;
  CHECK(a64_tbz(&b, true, 0, 40, b.n) && a64_cmp(&b, true, 0, 1));
  size_t bc = b.n;
  CHECK(a64_bcond(&b, A64_HI, b.n) && a64_mov_imm(&b, true, 0, 3) && a64_ret(&b, A64_LR));
  CHECK(a64_patch(&b, bc, b.n) && a64_mov_imm(&b, true, 0, 2) && a64_ret(&b, A64_LR));
  CHECK(a64_patch(&b, tb, b.n) && a64_mov_imm(&b, true, 0, 1) && a64_ret(&b, A64_LR));
  aot_image *img = place(&b);
  uint64_t p[4] = {0, 0x1234, 0x100000, 0};
  CHECK(call(img, 0, (uint64_t)(uintptr_t)p, 0) == 0x101234 + 0x34 && p[3] == 0x101234);
  CHECK(call(img, f1, 100, 0) == 5050 && call(img, f1, 0, 0) == 0);
  CHECK(call(img, f2, UINT64_C(1) << 40, 0) == 1 && call(img, f2, 9, 8) == 2 && call(img, f2, 8, 9) == 3);
  aot_image_free(img);
}

static void test_calls(void) {
  a64_buf b = {0};
  /* A(x) = C(B(x)) with B(x) = x + 1 linked directly and C(x) = 2x, two pages
   * away, reached through a veneer */
  CHECK(a64_stp(&b, A64_PAIR_X, A64_PRE, A64_FP, A64_LR, A64_SP, -16) && a64_mov_sp(&b, true, A64_FP, A64_SP));
  size_t bl1 = b.n;
  CHECK(a64_bl(&b, b.n));
  size_t bl2 = b.n;
  CHECK(a64_bl(&b, b.n) && a64_ldp(&b, A64_PAIR_X, A64_POST, A64_FP, A64_LR, A64_SP, 16) && a64_ret(&b, A64_LR));
  a64h_pad_to(&b, 64);
  CHECK(a64_addsub_imm(&b, A64_ADD, true, 0, 0, 1) && a64_ret(&b, A64_LR));
  a64h_pad_to(&b, 128 + ARM64_VENEER_SIZE);
  a64h_pad_to(&b, 0x2040);
  CHECK(a64_addsub_reg(&b, A64_ADD, true, 0, 0, 0, A64_LSL, 0) && a64_ret(&b, A64_LR));
  CHECK(!b.oom && arm64_link_call(b.p, bl1, 64) && arm64_link_call(b.p, bl2, 128) &&
        arm64_write_veneer(b.p, 128, 0x2040));
  aot_image *img = place(&b);
  CHECK(call(img, 0, 20, 0) == 42);
  aot_image_free(img);
}

static void test_signals(void) {
  a64_buf b = {0};
  CHECK(a64_nop(&b) && a64_ldst(&b, A64_LDR_X, 0, 0, 0) && a64_ret(&b, A64_LR)); /* loads from x0 */
  aot_image *img = place(&b);
  if (!img) return;
  CHECK(a64h_catch(NULL, NULL));
  volatile uintptr_t here = (uintptr_t)&b;
  if (!A64H_TRAPPED()) {
    call(img, 0, 0, 0); /* NULL */
    CHECK(!"the load from NULL did not fault");
  } else {
    a64h_trap t = a64h_last();
    CHECK(t.sig == SIGSEGV);
    CHECK(t.pc == (uintptr_t)img->mem + 4);                 /* the LDR, not the call */
    CHECK(t.sp % 16 == 0 && t.sp < here && here - t.sp < 65536); /* our stack, below this frame */
    CHECK(t.lr != 0 && (t.lr < (uintptr_t)img->mem || t.lr >= (uintptr_t)img->mem + img->map_size));
  }
  /* the filler past the code: UDF #0 traps where it is entered */
  if (!A64H_TRAPPED()) {
    call(img, 64, 0, 0);
    CHECK(!"the filler did not trap");
  } else {
    a64h_trap t = a64h_last();
    CHECK(t.sig == SIGILL && t.pc == (uintptr_t)img->mem + 64);
  }
  a64h_release();
  aot_image_free(img);
}
#endif

int main(void) {
  test_link_and_veneer_words();
#if defined(__aarch64__)
  uint32_t cpu = arm64_host_cpu();
  CHECK((cpu & ARM64_CPU_REQUIRED) == ARM64_CPU_REQUIRED);
  test_constants();
  test_integer();
  test_fp_and_neon();
  test_memory_and_branches();
  test_calls();
  test_signals();
  printf("arm64 machine: code run on this AArch64 CPU (features %#x), %d failed\n", cpu, *a64h_failures());
#else
  test_not_aarch64();
  printf("arm64 machine: not an AArch64 host, encoding-level checks only, %d failed\n", *a64h_failures());
#endif
  return *a64h_failures() ? 1 : 0;
}
