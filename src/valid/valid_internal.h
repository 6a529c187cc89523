/*
 * valid_internal.h — what the validator's files share (not a public API).
 */
#ifndef WRUN_VALID_INTERNAL_H
#define WRUN_VALID_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>

#include "binary/module.h"
#include "common/error.h"

/* The "unknown" operand type of the spec's algorithm: what an unreachable,
 * polymorphic stack yields. It matches every type. 0 is never a real type code. */
#define VALID_UNKNOWN ((wm_valtype)0)

/* t1 <: t2 (in 2.0, type equality; unknown matches anything). */
bool valid_subtype(const wm_module *m, wm_valtype t1, wm_valtype t2);

/* Validates the body of defined function `funcidx` (decoder already checked its
 * syntax). m->func_declared must be filled in before. */
bool valid_func_body(const wm_module *m, uint32_t funcidx, rt_error *err);

/* Validates a constant expression that must produce one value of type
 * `expected`. `nglobals_visible` bounds the globals global.get may name. Marks
 * ref.func targets in `declared` when it is not NULL. */
bool valid_const_expr(const wm_module *m, const wm_constexpr *ce, wm_valtype expected,
                      uint32_t nglobals_visible, uint8_t *declared, rt_error *err);

#endif
