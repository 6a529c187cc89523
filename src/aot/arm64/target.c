/*
 * target.c — the AArch64 aot_target: the machine facts of machine.c, the
 * C -> compiled-code trampoline, and no one-pass hooks (every AArch64
 * function is compiled through the IR by isel.c; see target.h).
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aot/arm64/asm.h"
#include "aot/arm64/machine.h"
#include "aot/arm64/target.h"

/* enter(ctx x0, fn x1, slots x2, result kind w3): saves what AAPCS64 wants
 * kept and this code changes (x19, x20, x27, x28 and the frame record; the
 * callee preserves every register it allocates), loads the context and
 * memory registers and the register arguments, calls fn, and stores a
 * register result (kind 1: x0, 2: v0) to slots[0]. */
static uint32_t t_trampoline(uint8_t *dst, uint32_t cap) {
  a64_buf b = {0};
  bool ok = a64_stp(&b, A64_PAIR_X, A64_PRE, A64_FP, A64_LR, A64_SP, -48) && a64_mov_sp(&b, true, A64_FP, A64_SP) &&
            a64_stp(&b, A64_PAIR_X, A64_OFFSET, 19, 20, A64_SP, 16) &&
            a64_stp(&b, A64_PAIR_X, A64_OFFSET, A64_MEM, A64_CTX, A64_SP, 32) && a64_mov(&b, true, A64_CTX, 0) &&
            a64_ldst(&b, A64_LDR_X, A64_MEM, 0, offsetof(aot_ctx, mem_base)) && a64_mov(&b, true, 19, 2) &&
            a64_mov(&b, false, 20, 3) && a64_mov(&b, true, 16, 1) && a64_mov(&b, true, 0, 2);
  for (int k = 0; k < A64_ARG_REGS && ok; k++)
    ok = a64_ldst(&b, A64_LDR_D, k, 0, 8 * k) && a64_ldst(&b, A64_LDR_X, 1 + k, 0, 8 * k);
  ok = ok && a64_blr(&b, 16) && a64_cmp_imm(&b, false, 20, 1);
  size_t not_g = b.n;
  ok = ok && a64_bcond(&b, A64_NE, b.n) && a64_ldst(&b, A64_STR_X, 0, 19, 0) && a64_patch(&b, not_g, b.n) &&
       a64_cmp_imm(&b, false, 20, 2);
  size_t not_f = b.n;
  ok = ok && a64_bcond(&b, A64_NE, b.n) && a64_ldst(&b, A64_STR_D, 0, 19, 0) && a64_patch(&b, not_f, b.n) &&
       a64_ldp(&b, A64_PAIR_X, A64_OFFSET, 19, 20, A64_SP, 16) &&
       a64_ldp(&b, A64_PAIR_X, A64_OFFSET, A64_MEM, A64_CTX, A64_SP, 32) &&
       a64_ldp(&b, A64_PAIR_X, A64_POST, A64_FP, A64_LR, A64_SP, 48) && a64_ret(&b, A64_LR);
  uint32_t n = !ok || b.oom || b.n > cap ? 0 : (uint32_t)b.n;
  if (n) memcpy(dst, b.p, n);
  free(b.p);
  return n;
}

/* BL reaches ±128 MiB; max_code keeps every image within that (aot.c
 * refuses a larger one), so linking cannot fail for images built here. */
static void t_link_call(uint8_t *code, size_t at, size_t target) { (void)arm64_link_call(code, at, target); }

const aot_target aot_target_arm64 = {
    .name = "aarch64",
    .arg_regs = A64_ARG_REGS,
    .trampoline = t_trampoline,
    .arch = AOT_ARCH_AARCH64,
    .cpu_required = ARM64_CPU_REQUIRED,
    .host_cpu = arm64_host_cpu,
    .cpu_names = arm64_cpu_names,
    .link_call = t_link_call,
    .max_code = 127u << 20,
    .fill = arm64_fill,
    .signal_pc_sp = arm64_signal_pc_sp,
    /* backtraces follow the x29/x30 records every function stores first (isel.c's prologue) */
    .signal_fp_lr = arm64_signal_fp_lr,
    .record_after = ARM64_FRAME_RECORD_AFTER,
};
