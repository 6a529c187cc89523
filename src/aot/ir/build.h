/*
 * build.h — lowering a wasm function body to the SSA IR (build.c).
 */
#ifndef WRUN_AOT_IR_BUILD_H
#define WRUN_AOT_IR_BUILD_H

#include "aot/ir/ir.h"
#include "binary/module.h"
#include "runtime/rt.h"

/* Builds the IR of defined function fidx of m (validated). 1: *out is the
 * function (free with ir_func_free); 0: the body uses something this
 * version does not lower, named in why; -1: out of memory. */
int ir_build(const wm_module *m, uint32_t fidx, bool interruptible, ir_func **out, char *why, size_t whysz);
/* ir_build with an on-stack replacement entry per loop head (tiered
 * execution, aot_func_in.osr): block 0 then holds only the parameters and
 * ends in ENTRY, whose further successors are the entries (ir.h). */
int ir_build_osr(const wm_module *m, uint32_t fidx, bool interruptible, ir_func **out, char *why, size_t whysz);

#endif
