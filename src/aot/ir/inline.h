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
/* One level of a function's direct calls of itself (inline_rec.c): at most
 * this many instructions besides parameters and constants, and this many
 * self-calls. */
#define IR_INLINE_REC_BUDGET 64u
#define IR_INLINE_REC_SITES 2u

/* Replaces each direct call in f (function fidx of m, its CFG computed by
 * ir_cfg) of a defined function whose optimized IR is one straight line of
 * at most IR_INLINE_BUDGET instructions without calls, helper operations,
 * polls or explicit traps, by a copy of that line; callees with memory
 * accesses or divisions (which may trap) only when `trapping` (the copies
 * carry an inline site, so a backtrace still shows the callee's frame).
 * Returns how many calls were
 * inlined; sets f->oom on failure. The CFG is unchanged, unless a
 * recursive call was inlined first (ir_inline_recursion, WRUN_AOT_INLINE_REC=0
 * turns that off), which recomputes it. */
/* Replaces each direct call of f (function fidx) to itself by a copy of
 * fidx's optimized IR, control flow included, when it qualifies
 * (inline_rec.c); recomputes f's CFG. Returns how many calls went. */
uint32_t ir_inline_recursion(ir_func *f, const wm_module *m, uint32_t fidx, bool interruptible, bool trapping);
uint32_t ir_inline_calls(ir_func *f, const wm_module *m, uint32_t fidx, bool interruptible, bool trapping);

#endif
