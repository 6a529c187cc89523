/*
 * asm.h — an x86-64 instruction encoder for the AOT backend.
 *
 * Only the forms the code generator needs, each one function. Operands are
 * registers (0-15, same numbering for general and XMM registers) or memory
 * references `base + index*scale + disp`. Encoding details (REX, ModRM, SIB,
 * the RSP/RBP/R12/R13 special cases) live here and nowhere else.
 */
#ifndef WRUN_AOT_X64_ASM_H
#define WRUN_AOT_X64_ASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aot/lower.h"

enum {
  RAX, RCX, RDX, RBX, RSP, RBP, RSI, RDI, R8, R9, R10, R11, R12, R13, R14, R15
};

/* Condition codes (the low nibble of Jcc/SETcc/CMOVcc). */
enum {
  CC_O = 0, CC_NO = 1, CC_B = 2, CC_AE = 3, CC_E = 4, CC_NE = 5, CC_BE = 6, CC_A = 7,
  CC_S = 8, CC_NS = 9, CC_P = 10, CC_NP = 11, CC_L = 12, CC_GE = 13, CC_LE = 14, CC_G = 15
};

/* The code buffer: lower.h's aot_buf (`oom` sticks after a failed allocation). */
typedef struct aot_buf x64_buf;

/* A memory operand: base + index*scale + disp (index < 0: none). */
typedef struct x64_mem {
  int8_t base, index;
  uint8_t scale;                 /* 1, 2, 4 or 8 */
  int32_t disp;
} x64_mem;

/* A register or memory operand ("r/m"). */
typedef struct x64_rm {
  bool is_mem;
  int8_t reg;
  x64_mem mem;
} x64_rm;

static inline x64_mem x64_base(int base, int32_t disp) { return (x64_mem){(int8_t)base, -1, 1, disp}; }
static inline x64_mem x64_bidx(int base, int index, int scale, int32_t disp) {
  return (x64_mem){(int8_t)base, (int8_t)index, (uint8_t)scale, disp};
}
static inline x64_rm x64_r(int reg) { return (x64_rm){false, (int8_t)reg, {0, -1, 1, 0}}; }
static inline x64_rm x64_m(x64_mem m) { return (x64_rm){true, -1, m}; }

void x64_byte(x64_buf *b, uint8_t v);
void x64_u32(x64_buf *b, uint32_t v);
void x64_u64(x64_buf *b, uint64_t v);

/* Generic forms: `op` is 1-3 opcode bytes (big-endian in the int, e.g.
 * 0x0FAF), `prefix` a mandatory prefix (0x66, 0xF2, 0xF3) or 0, `w` REX.W,
 * `reg` the ModRM.reg field (a register or an opcode extension). */
void x64_op_rm(x64_buf *b, uint8_t prefix, uint32_t op, bool w, int reg, x64_rm rm);
/* Same, with REX forced so byte registers SPL..DIL mean what they say. */
void x64_op_rm8(x64_buf *b, uint32_t op, int reg, x64_rm rm);

/* Integer instructions. `w`: 64-bit operand size. */
void x64_mov_rr(x64_buf *b, bool w, int dst, int src);
void x64_mov_load(x64_buf *b, bool w, int dst, x64_rm src);
void x64_mov_store(x64_buf *b, bool w, x64_mem dst, int src);
void x64_mov_imm(x64_buf *b, bool w, int dst, uint64_t imm);    /* short form; never touches flags */
void x64_mov_store_imm32(x64_buf *b, bool w, x64_mem dst, int32_t imm);
/* ALU group: ext is the /n of 0x81 (0 add, 1 or, 4 and, 5 sub, 6 xor, 7 cmp). */
void x64_alu_rm(x64_buf *b, int ext, bool w, int dst, x64_rm src);   /* dst op= src */
void x64_alu_mr(x64_buf *b, int ext, bool w, x64_rm dst, int src);   /* dst(r/m) op= src */
void x64_alu_imm(x64_buf *b, int ext, bool w, x64_rm dst, int32_t imm);
void x64_test_rr(x64_buf *b, bool w, int a, int c);
void x64_imul_rm(x64_buf *b, bool w, int dst, x64_rm src);
void x64_imul_imm(x64_buf *b, bool w, int dst, x64_rm src, int32_t imm);
/* Shifts/rotates: ext 0 rol, 1 ror, 4 shl, 5 shr, 7 sar. */
void x64_shift_cl(x64_buf *b, int ext, bool w, int dst);
void x64_shift_imm(x64_buf *b, int ext, bool w, int dst, uint8_t n);
void x64_unary(x64_buf *b, int ext, bool w, x64_rm dst);              /* F7 /ext: 2 not 3 neg 6 div 7 idiv */
void x64_cdq(x64_buf *b, bool w);                                      /* cdq / cqo */
void x64_lea(x64_buf *b, bool w, int dst, x64_mem m);
void x64_movzx8(x64_buf *b, int dst, x64_rm src);
void x64_movzx16(x64_buf *b, int dst, x64_rm src);
void x64_movsx8(x64_buf *b, bool w, int dst, x64_rm src);
void x64_movsx16(x64_buf *b, bool w, int dst, x64_rm src);
void x64_movsxd(x64_buf *b, int dst, x64_rm src);
void x64_store8(x64_buf *b, x64_mem dst, int src);
void x64_store16(x64_buf *b, x64_mem dst, int src);
void x64_setcc(x64_buf *b, int cc, int dst);                         /* dst (byte) = cc */
void x64_cmov(x64_buf *b, int cc, bool w, int dst, x64_rm src);
void x64_bitscan(x64_buf *b, uint32_t op, bool w, int dst, x64_rm src); /* 0x0FBC bsf, 0x0FBD bsr; F3: popcnt */
void x64_popcnt(x64_buf *b, bool w, int dst, x64_rm src);
void x64_push(x64_buf *b, int reg);
void x64_pop(x64_buf *b, int reg);
void x64_ret(x64_buf *b);
void x64_nops(x64_buf *b, size_t n);                                  /* n bytes of no-ops (long forms) */
void x64_ud2(x64_buf *b);

/* Control flow. The rel32 forms return the offset of their displacement so
 * the caller can patch it (x64_patch_rel32) once the target is known. */
size_t x64_jmp_rel32(x64_buf *b);
size_t x64_jcc_rel32(x64_buf *b, int cc);
size_t x64_call_rel32(x64_buf *b);
void x64_call_r(x64_buf *b, int reg);
void x64_jmp_r(x64_buf *b, int reg);
void x64_patch_rel32(x64_buf *b, size_t at, size_t target);
/* lea reg, [rip + rel32]; returns the displacement's offset. */
size_t x64_lea_rip(x64_buf *b, int reg);

/* SSE scalar instructions: `op` is the byte after 0x0F. */
void x64_sse(x64_buf *b, uint8_t prefix, uint8_t op, bool w, int xreg, x64_rm src);
void x64_sse_store(x64_buf *b, uint8_t prefix, uint8_t op, int xreg, x64_mem dst);
void x64_movq_xr(x64_buf *b, bool w, int xmm, int gpr);              /* movd/movq xmm <- gpr */
void x64_movq_rx(x64_buf *b, bool w, int gpr, int xmm);              /* movd/movq gpr <- xmm */
void x64_round(x64_buf *b, bool dbl, int dst, int src, uint8_t mode); /* roundss/roundsd (SSE4.1) */

#endif
