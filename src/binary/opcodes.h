/*
 * opcodes.h — instruction ids, immediate kinds and per-instruction facts,
 * all generated from opcodes.def.
 */
#ifndef WRUN_BINARY_OPCODES_H
#define WRUN_BINARY_OPCODES_H

#include <stdint.h>

/* How the immediates of an instruction are encoded in the binary. */
typedef enum wm_imm_kind {
  IMM_NONE,
  IMM_BLOCKTYPE,     /* 0x40 | valtype | s33 type index */
  IMM_LABEL,         /* u32 label depth */
  IMM_BR_TABLE,      /* vec(u32 depth) u32 default */
  IMM_FUNC,          /* u32 function index */
  IMM_CALL_INDIRECT, /* u32 type index, u32 table index */
  IMM_LOCAL,         /* u32 local index */
  IMM_GLOBAL,        /* u32 global index */
  IMM_TABLE,         /* u32 table index */
  IMM_MEMARG,        /* u32 align (bit 6 set: a u32 memory index follows), [u32 mem], u64/u32 offset */
  IMM_MEMARG_LANE,   /* memarg, then a lane index byte */
  IMM_MEMORY,        /* u32 memory index (a single 0x00 byte before multi-memory) */
  IMM_MEMORY_MEMORY, /* u32 dst memory, u32 src memory */
  IMM_I32,           /* s32 */
  IMM_I64,           /* s64 */
  IMM_F32,           /* 4 bytes little-endian IEEE bits */
  IMM_F64,           /* 8 bytes */
  IMM_V128,          /* 16 bytes */
  IMM_LANE,          /* one byte lane index */
  IMM_SHUFFLE,       /* 16 lane index bytes */
  IMM_SELECT_T,      /* vec(valtype) */
  IMM_HEAPTYPE,      /* heap type (ref.null) */
  IMM_DATA,          /* u32 data index */
  IMM_DATA_MEMORY,   /* u32 data index, u32 memory index */
  IMM_ELEM,          /* u32 element segment index */
  IMM_ELEM_TABLE,    /* u32 elem index, u32 table index */
  IMM_TABLE_TABLE    /* u32 dst table, u32 src table */
} wm_imm_kind;

typedef enum wm_opcode {
#define OP(id, name, prefix, code, imm, arg, sig) OP_##id,
#include "binary/opcodes.def"
#undef OP
  OP_COUNT_
} wm_opcode;

typedef struct wm_opinfo {
  const char *name;      /* text-format name */
  uint8_t prefix;        /* 0, 0xFC or 0xFD */
  uint32_t code;         /* opcode byte, or the u32 after the prefix */
  wm_imm_kind imm;
  uint8_t arg;           /* see opcodes.def */
  const char *sig;       /* "operands>results" or NULL */
} wm_opinfo;

/* Facts about every instruction, indexed by wm_opcode. */
extern const wm_opinfo wm_opinfos[OP_COUNT_];

/* Finds the instruction for (prefix, code); returns OP_COUNT_ if there is none.
 * O(1): backed by dense per-prefix tables. */
wm_opcode wm_op_lookup(uint8_t prefix, uint32_t code);

/* Finds an instruction by its text name ("i32.add"); OP_COUNT_ if unknown.
 * Names are unique; see opcodes.def for select_t. */
wm_opcode wm_op_by_name(const char *name, size_t len);

#endif
