/*
 * machine.c — what the x86-64 backend needs from the machine rather than
 * from the code it generates: the CPU features compiled code relies on, the
 * pc and stack pointer in a signal context (the fault handler's backtraces),
 * linking direct calls, and the filler between functions.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <stdatomic.h>
#include <string.h>
#if defined(__x86_64__)
#include <cpuid.h>
#include <ucontext.h>
#endif

#include "aot/x64/target.h"

const char *const x64_cpu_names[] = {"SSE4.1", "POPCNT", NULL};

/* One CPUID leaf, read once, when compiled code is about to be made or run
 * (an artifact asks twice: its header check and attaching its code).
 * Not __builtin_cpu_supports: referencing it links libgcc's feature probe,
 * a constructor that runs a dozen CPUIDs in every process. Each CPUID is a
 * VM exit on a virtual machine: 15-35 us apiece on the shared VM of
 * docs/performance.md. The answer never changes, so racing threads that
 * both ask store the same value. */
uint32_t x64_host_cpu(void) {
#if defined(__x86_64__)
  static _Atomic uint32_t known; /* the features | read, once read */
  const uint32_t read = UINT32_C(1) << 31;
  uint32_t f = atomic_load_explicit(&known, memory_order_relaxed);
  if (f & read) return f & ~read;
  unsigned eax, ebx, ecx = 0, edx;
  f = 0;
  if (__get_cpuid(1, &eax, &ebx, &ecx, &edx))
    f = ((ecx & bit_SSE4_1) ? X64_CPU_SSE41 : 0) | ((ecx & bit_POPCNT) ? X64_CPU_POPCNT : 0);
  atomic_store_explicit(&known, f | read, memory_order_relaxed);
  return f;
#else
  return 0; /* another ISA: x86-64 code cannot run here */
#endif
}

void x64_signal_pc_sp(const void *uctx, uintptr_t *pc, uintptr_t *sp) {
#if defined(__x86_64__)
  const mcontext_t *mc = &((const ucontext_t *)uctx)->uc_mcontext;
  *pc = (uintptr_t)mc->gregs[REG_RIP];
  *sp = (uintptr_t)mc->gregs[REG_RSP];
#else
  (void)uctx;
  *pc = *sp = 0; /* no x86-64 code runs on another ISA */
#endif
}

/* A call is e8 rel32; the relocation is the rel32, relative to the next
 * instruction. */
void x64_link_call(uint8_t *code, size_t at, size_t target) {
  int32_t rel = (int32_t)((int64_t)target - (int64_t)(at + 4));
  memcpy(code + at, &rel, 4);
}

/* int3 in the gaps: a stray jump traps instead of sliding into a function. */
void x64_fill(uint8_t *p, size_t n) { memset(p, 0xCC, n); }
