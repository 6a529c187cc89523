/*
 * ahead.h — the optimizing pipeline run over a module's functions on
 * worker threads ahead of aot.c's sequential loop (ahead.c).
 */
#ifndef WRUN_AOT_IR_AHEAD_H
#define WRUN_AOT_IR_AHEAD_H

#include "aot/ir/isa.h"

/* Compiles the ndef defined functions of in->m (in: the template, index set
 * per function) through the pipeline on up to WRUN_AOT_THREADS threads
 * (default: 2, or 1 on a one-CPU machine), filling outs[k] for each
 * function k it compiled. Returns ndef flags, 1 where outs[k] is done;
 * a function the pipeline refused or that ran out of memory is left at 0,
 * for the caller to compile (and report) as it would have. NULL when
 * nothing ran ahead (one thread, few functions, out of memory). */
uint8_t *aot_ir_compile_ahead(const aot_isa *isa, const aot_func_in *in, aot_func_out *outs, uint32_t ndef);

#endif
