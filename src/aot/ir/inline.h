/*
 * inline.h — inlining of small straight-line leaf functions into their
 * callers, at the IR level (inline.c; docs/aot-ir.md). Shared by every ISA.
 */
#ifndef WRUN_AOT_IR_INLINE_H
#define WRUN_AOT_IR_INLINE_H

#include "aot/ir/ir.h"
#include "binary/module.h"

/* The largest callee inlined, in IR instructions other than parameters,
 * constants and the return; and the most instructions one caller grows by. */
#define IR_INLINE_BUDGET 48u
#define IR_INLINE_GROWTH 512u

/* Replaces each direct call in f (function fidx of m, its CFG computed by
 * ir_cfg) of a defined function whose optimized IR is one straight line of
 * at most IR_INLINE_BUDGET instructions without calls, helper operations,
 * polls or explicit traps, by a copy of that line; callees with memory
 * accesses or divisions (which may trap) only when `trapping` (the copies
 * carry an inline site, so a backtrace still shows the callee's frame).
 * Returns how many calls were
 * inlined; sets f->oom on failure. The CFG is unchanged. */
uint32_t ir_inline_calls(ir_func *f, const wm_module *m, uint32_t fidx, bool interruptible, bool trapping);

#endif
