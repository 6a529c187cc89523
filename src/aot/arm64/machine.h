/*
 * machine.h — what an AArch64 backend needs from the machine rather than
 * from the code it generates (machine.c): the CPU features compiled code may
 * rely on, the registers of a signal context, instruction-cache maintenance
 * after writing code, linking direct calls (BL reaches ±128 MiB; a veneer
 * beyond), and the trapping filler between functions. These are the machine
 * facts behind struct aot_target's arch/cpu/fill/link_call/signal_pc_sp; the
 * AArch64 code generator that will use them is not written yet (docs/aot.md).
 */
#ifndef WRUN_AOT_ARM64_MACHINE_H
#define WRUN_AOT_ARM64_MACHINE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* CPU features AArch64 code may rely on (aot_image.cpu and artifacts): the
 * FP and Advanced SIMD units (architecturally optional, always present on
 * Linux application processors; required) and the LSE atomics (ARMv8.1). */
enum { ARM64_CPU_FP = 1, ARM64_CPU_ASIMD = 2, ARM64_CPU_LSE = 4 };
#define ARM64_CPU_REQUIRED (ARM64_CPU_FP | ARM64_CPU_ASIMD)
extern const char *const arm64_cpu_names[];

/* The features of the machine we run on (0 on another ISA). */
uint32_t arm64_host_cpu(void);

/* pc and sp of the interrupted code in a signal's ucontext_t, and its frame
 * pointer (x29) and link register (x30), which AArch64 backtraces start
 * from: a leaf may not have stored its return address yet. All 0 when wrun
 * is not running on AArch64 (no AArch64 code can run then). */
void arm64_signal_pc_sp(const void *uctx, uintptr_t *pc, uintptr_t *sp);
void arm64_signal_fp_lr(const void *uctx, uintptr_t *fp, uintptr_t *lr);

/* Backtraces follow frame records (aot_walk_frame_records): every function
 * begins `stp x29, x30, [sp, #-N]!; mov x29, sp`, so from its third
 * instruction x29 points at {caller's x29, return address}; at its first two
 * x29 is still the caller's and the return address is in x30. The bytes
 * into a function before the record is in place (aot_target.record_after): */
#define ARM64_FRAME_RECORD_AFTER 8

/* Makes `n` bytes of freshly written code at p visible to instruction
 * fetch (data cache clean and instruction cache invalidate by address: the
 * caches are not coherent for code on AArch64). */
void arm64_flush_code(void *p, size_t n);

/* Fills n bytes with UDF #0 (permanently undefined: SIGILL), so a stray
 * jump into a gap traps instead of sliding into a function. */
void arm64_fill(uint8_t *p, size_t n);

/* Points the BL at `at` (offsets in code) at target. False, leaving it
 * unchanged, when the distance is past BL's ±128 MiB (then call through a
 * veneer) or at does not hold a BL. */
bool arm64_link_call(uint8_t *code, size_t at, size_t target);

/* A veneer: ADRP x16 / ADD x16 / BR x16 (x16 is the AAPCS64 register for
 * exactly this), ARM64_VENEER_SIZE bytes written at `at`, reaching target
 * anywhere within ±4 GiB. Position independent as long as the code is
 * mapped at a 4 KiB boundary, as every image is. False when out of range. */
#define ARM64_VENEER_SIZE 12
bool arm64_write_veneer(uint8_t *code, size_t at, size_t target);

#endif
