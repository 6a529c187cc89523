/*
 * target.h — what the AArch64 backend's files share (target.c: the machine
 * and the entry trampoline; isel.c: the code generator on struct aot_isa).
 *
 * Calling convention of compiled functions (internal, not AAPCS64):
 *   x28  the instance's aot_ctx            x27  base of memory 0
 *   x0   on entry: the argument slots (uint64_t[], the interpreter's slot
 *        layout). Scalar arguments in slots 0 and 1 travel in x1/x2
 *        (integers) or v0/v1 (floats) instead; a single scalar result
 *        comes back in x0 or v0; other results are written to the slots.
 * Every register the code generator allocates is preserved by the callee
 * (x3-x13, x19-x26, v2-v28), so a caller's register-resident values
 * survive calls; x14-x17, v29-v31 and x0-x2/v0-v1 are scratch. C helpers
 * are called with AAPCS64 through the table in aot_ctx. Every function has
 * a frame record (x29, x30) at the top of its frame, x29 pointing at it,
 * so debuggers walk the x29 chain; the return address (the saved x30) sits
 * at sp + frame, the caller's sp just above it (aot.c's backtraces).
 * There is no one-pass compiler for AArch64: aot_target_arm64's one-pass
 * hooks are NULL and aot.c compiles every function through the IR.
 */
#ifndef WRUN_AOT_ARM64_TARGET_H
#define WRUN_AOT_ARM64_TARGET_H

#include "aot/lower.h"

enum { A64_CTX = 28, A64_MEM = 27 };
#define A64_ARG_REGS 2

extern const aot_target aot_target_arm64;

#endif
