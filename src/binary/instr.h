/*
 * instr.h — reading the instructions of an already validated function body:
 * opcodes, block types and immediates. Shared by the passes that walk bodies
 * after validation (the interpreter's translator, the AOT compiler); the
 * validator reads with full error reporting instead.
 */
#ifndef WRUN_BINARY_INSTR_H
#define WRUN_BINARY_INSTR_H

#include "binary/module.h"
#include "binary/opcodes.h"
#include "binary/reader.h"

/* A block's type: params/results point into the module's types, or there is
 * one result `single` (results NULL, nr 1), or nothing. */
typedef struct wm_blocktype {
  const wm_valtype *params, *results;
  uint32_t np, nr;
  wm_valtype single;
} wm_blocktype;

/* Reads an opcode (with its 0xFC/0xFD prefix); OP_COUNT_ if there is none. */
wm_opcode wm_read_op(wm_reader *r);

/* The value type a block type's one-byte form names (0x7F..0x7B, 0x70,
 * 0x6F); false for any other byte, which starts an s33 type index (0x40,
 * the empty type, is not a value type either). */
bool wm_blocktype_valtype(uint8_t b, wm_valtype *out);

/* Reads a block type immediate. */
void wm_read_blocktype(wm_reader *r, const wm_module *m, wm_blocktype *bt);

/* Skips the immediates of an instruction whose immediates are of kind imm. */
void wm_skip_imm(wm_reader *r, const wm_module *m, wm_imm_kind imm);

#endif
