/*
 * machine.c — the AArch64 machine (see machine.h): HWCAP features, the
 * registers of a signal context, cache maintenance for new code, call
 * linking and veneers, the trapping filler. The pieces that read the
 * running machine compile only when building for AArch64, so other hosts
 * (which can build the backend, e.g. for cross-compiling) need no
 * AArch64-only headers.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include "aot/arm64/machine.h"

#include <string.h>
#if defined(__aarch64__) && defined(__linux__)
#include <asm/hwcap.h>
#include <sys/auxv.h>
#include <ucontext.h>
#endif

#include "aot/arm64/asm.h"

const char *const arm64_cpu_names[] = {"FP", "ASIMD", "LSE", NULL};

uint32_t arm64_host_cpu(void) {
#if defined(__aarch64__) && defined(__linux__)
  unsigned long hw = getauxval(AT_HWCAP);
  return ((hw & HWCAP_FP) ? ARM64_CPU_FP : 0) | ((hw & HWCAP_ASIMD) ? ARM64_CPU_ASIMD : 0) |
         ((hw & HWCAP_ATOMICS) ? ARM64_CPU_LSE : 0);
#else
  return 0; /* another ISA (or OS): AArch64 code cannot run here */
#endif
}

void arm64_signal_pc_sp(const void *uctx, uintptr_t *pc, uintptr_t *sp) {
#if defined(__aarch64__) && defined(__linux__)
  const mcontext_t *mc = &((const ucontext_t *)uctx)->uc_mcontext;
  *pc = (uintptr_t)mc->pc;
  *sp = (uintptr_t)mc->sp;
#else
  (void)uctx;
  *pc = *sp = 0;
#endif
}

void arm64_signal_fp_lr(const void *uctx, uintptr_t *fp, uintptr_t *lr) {
#if defined(__aarch64__) && defined(__linux__)
  const mcontext_t *mc = &((const ucontext_t *)uctx)->uc_mcontext;
  *fp = (uintptr_t)mc->regs[29];
  *lr = (uintptr_t)mc->regs[30];
#else
  (void)uctx;
  *fp = *lr = 0;
#endif
}

void arm64_flush_code(void *p, size_t n) {
  /* dc cvau + ic ivau over the range on AArch64 (the kernel lets user space
   * do both); nothing on hosts with coherent instruction caches */
  __builtin___clear_cache((char *)p, (char *)p + n);
}

void arm64_fill(uint8_t *p, size_t n) { memset(p, 0, n); } /* 0x00000000 is UDF #0 */

/* A view of the code as an encoder buffer whose next word goes at `at` and
 * which holds exactly `room` more bytes (so the encoder never reallocates
 * it): encodings then see their real offsets. */
static a64_buf view(uint8_t *code, size_t at, size_t room) { return (a64_buf){code, at, at + room, false}; }

bool arm64_link_call(uint8_t *code, size_t at, size_t target) {
  uint32_t w;
  memcpy(&w, code + at, 4);
  if ((w & 0xFC000000u) != 0x94000000u) return false; /* not a BL */
  a64_buf b = view(code, at + 4, 0);
  return a64_patch(&b, at, target); /* checks the ±128 MiB range, leaves the BL alone beyond it */
}

bool arm64_write_veneer(uint8_t *code, size_t at, size_t target) {
  a64_buf b = view(code, at, ARM64_VENEER_SIZE);
  if (at % 4 || !a64_adrp(&b, 16, target)) return false; /* ±4 GiB of pages, or nothing written */
  return a64_addsub_imm(&b, A64_ADD, true, 16, 16, target & 0xFFF) && a64_br(&b, 16);
}
