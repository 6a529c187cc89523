/*
 * decode_internal.h — helpers shared by the decoder's files (not a public API).
 */
#ifndef WRUN_BINARY_DECODE_INTERNAL_H
#define WRUN_BINARY_DECODE_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binary/module.h"
#include "binary/reader.h"

/* True if s[0..n) is well-formed UTF-8 (no overlongs, surrogates or code points
 * above U+10FFFF). */
bool decode_utf8_valid(const uint8_t *s, size_t n);

/* Maps a one-byte value type code to a wm_valtype; false if it is not one. */
bool decode_valtype_byte(uint8_t b, wm_valtype *out);

/* Checks the instruction syntax of an expression starting at r->p and leaves
 * r->p after its final `end`: opcodes exist, immediates are well-formed, blocks
 * nest. `is_body` selects the function-body rules (data count required for
 * memory.init/data.drop). Types are not checked. Iterative, linear time. */
bool decode_scan_expr(const wm_module *m, wm_reader *r, bool is_body);

/* Reads the "name" custom section, if any, into the module's debug names.
 * Errors in it are ignored, as the spec asks for custom sections. */
void decode_name_section(wm_module *m);

#endif
