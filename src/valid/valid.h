/*
 * valid.h — the validator: decides whether a decoded module is valid
 * WebAssembly 2.0, following the spec's validation algorithm (operand and
 * control stacks, unreachable-polymorphic stacks).
 */
#ifndef WRUN_VALID_VALID_H
#define WRUN_VALID_VALID_H

#include <stdbool.h>

#include "binary/module.h"
#include "common/error.h"

/* Validates every part of `m`: types, imports, function bodies (decoding their
 * instructions: a body that does not decode is MALFORMED, one that decodes but
 * does not type-check is INVALID), tables, memories, globals and their constant
 * expressions, exports (unique names), start, element and data segments, and
 * the data-count rule. On success sets m->validated and m->func_declared and
 * returns true; otherwise fills `err` with the byte offset of the offending
 * instruction or entry and returns false. Linear in the module size. */
bool wm_module_validate(wm_module *m, rt_error *err);

#endif
