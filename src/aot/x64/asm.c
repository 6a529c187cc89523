/*
 * asm.c — x86-64 encodings (see asm.h).
 */
#include "aot/x64/asm.h"

#include <stdlib.h>
#include <string.h>

void x64_byte(x64_buf *b, uint8_t v) {
  if ((b->n < b->cap && !b->oom) || aot_buf_reserve(b, 1)) b->p[b->n++] = v; /* the call only to grow */
}

void x64_u32(x64_buf *b, uint32_t v) {
  for (int i = 0; i < 4; i++) x64_byte(b, (uint8_t)(v >> (8 * i)));
}

void x64_u64(x64_buf *b, uint64_t v) {
  for (int i = 0; i < 8; i++) x64_byte(b, (uint8_t)(v >> (8 * i)));
}

static void emit_opbytes(x64_buf *b, uint32_t op) {
  if (op > 0xFFFF) x64_byte(b, (uint8_t)(op >> 16));
  if (op > 0xFF) x64_byte(b, (uint8_t)(op >> 8));
  x64_byte(b, (uint8_t)op);
}

/* REX for reg field `reg` and r/m operand `rm`; `force` emits 0x40 even when
 * no bit is set (byte registers). */
static void emit_rex(x64_buf *b, bool w, int reg, x64_rm rm, bool force) {
  uint8_t rex = 0x40;
  if (w) rex |= 8;
  if (reg & 8) rex |= 4;
  if (rm.is_mem) {
    if (rm.mem.index >= 0 && (rm.mem.index & 8)) rex |= 2;
    if (rm.mem.base & 8) rex |= 1;
  } else if (rm.reg & 8) {
    rex |= 1;
  }
  if (rex != 0x40 || force) x64_byte(b, rex);
}

static void emit_modrm(x64_buf *b, int reg, x64_rm rm) {
  int r = reg & 7;
  if (!rm.is_mem) {
    x64_byte(b, (uint8_t)(0xC0 | r << 3 | (rm.reg & 7)));
    return;
  }
  x64_mem m = rm.mem;
  int base = m.base & 7;
  int mod = m.disp == 0 && base != RBP ? 0 : m.disp >= -128 && m.disp <= 127 ? 1 : 2;
  if (m.index < 0 && base != RSP) {
    x64_byte(b, (uint8_t)(mod << 6 | r << 3 | base));
  } else {
    int ss = m.scale == 8 ? 3 : m.scale == 4 ? 2 : m.scale == 2 ? 1 : 0;
    int idx = m.index < 0 ? RSP : (m.index & 7); /* 100 = no index */
    x64_byte(b, (uint8_t)(mod << 6 | r << 3 | 4));
    x64_byte(b, (uint8_t)(ss << 6 | idx << 3 | base));
  }
  if (mod == 1) x64_byte(b, (uint8_t)(int8_t)m.disp);
  else if (mod == 2) x64_u32(b, (uint32_t)m.disp);
}

void x64_op_rm(x64_buf *b, uint8_t prefix, uint32_t op, bool w, int reg, x64_rm rm) {
  if (prefix) x64_byte(b, prefix);
  emit_rex(b, w, reg, rm, false);
  emit_opbytes(b, op);
  emit_modrm(b, reg, rm);
}

void x64_op_rm8(x64_buf *b, uint32_t op, int reg, x64_rm rm) {
  bool force = reg >= 4 || (!rm.is_mem && rm.reg >= 4);
  emit_rex(b, false, reg, rm, force);
  emit_opbytes(b, op);
  emit_modrm(b, reg, rm);
}

void x64_mov_rr(x64_buf *b, bool w, int dst, int src) { x64_op_rm(b, 0, 0x8B, w, dst, x64_r(src)); }
void x64_mov_load(x64_buf *b, bool w, int dst, x64_rm src) { x64_op_rm(b, 0, 0x8B, w, dst, src); }
void x64_mov_store(x64_buf *b, bool w, x64_mem dst, int src) { x64_op_rm(b, 0, 0x89, w, src, x64_m(dst)); }

void x64_mov_imm(x64_buf *b, bool w, int dst, uint64_t imm) {
  if (!w) imm = (uint32_t)imm;
  /* never `xor r, r`: callers rely on moves leaving the flags alone */
  if (imm <= 0xFFFFFFFFu) {
    if (dst & 8) x64_byte(b, 0x41);
    x64_byte(b, (uint8_t)(0xB8 + (dst & 7)));
    x64_u32(b, (uint32_t)imm);
  } else if ((int64_t)imm >= INT32_MIN && (int64_t)imm <= INT32_MAX) {
    x64_op_rm(b, 0, 0xC7, true, 0, x64_r(dst));
    x64_u32(b, (uint32_t)imm);
  } else {
    x64_byte(b, (uint8_t)(0x48 | ((dst & 8) ? 1 : 0)));
    x64_byte(b, (uint8_t)(0xB8 + (dst & 7)));
    x64_u64(b, imm);
  }
}

void x64_mov_store_imm32(x64_buf *b, bool w, x64_mem dst, int32_t imm) {
  x64_op_rm(b, 0, 0xC7, w, 0, x64_m(dst));
  x64_u32(b, (uint32_t)imm);
}

void x64_alu_rm(x64_buf *b, int ext, bool w, int dst, x64_rm src) {
  x64_op_rm(b, 0, (uint32_t)(ext << 3 | 3), w, dst, src);
}

void x64_alu_mr(x64_buf *b, int ext, bool w, x64_rm dst, int src) {
  x64_op_rm(b, 0, (uint32_t)(ext << 3 | 1), w, src, dst);
}

void x64_alu_imm(x64_buf *b, int ext, bool w, x64_rm dst, int32_t imm) {
  if (imm >= -128 && imm <= 127) {
    x64_op_rm(b, 0, 0x83, w, ext, dst);
    x64_byte(b, (uint8_t)(int8_t)imm);
  } else {
    x64_op_rm(b, 0, 0x81, w, ext, dst);
    x64_u32(b, (uint32_t)imm);
  }
}

void x64_test_rr(x64_buf *b, bool w, int a, int c) { x64_op_rm(b, 0, 0x85, w, c, x64_r(a)); }
void x64_imul_rm(x64_buf *b, bool w, int dst, x64_rm src) { x64_op_rm(b, 0, 0x0FAF, w, dst, src); }

void x64_imul_imm(x64_buf *b, bool w, int dst, x64_rm src, int32_t imm) {
  if (imm >= -128 && imm <= 127) {
    x64_op_rm(b, 0, 0x6B, w, dst, src);
    x64_byte(b, (uint8_t)(int8_t)imm);
  } else {
    x64_op_rm(b, 0, 0x69, w, dst, src);
    x64_u32(b, (uint32_t)imm);
  }
}

void x64_shift_cl(x64_buf *b, int ext, bool w, int dst) { x64_op_rm(b, 0, 0xD3, w, ext, x64_r(dst)); }

void x64_shift_imm(x64_buf *b, int ext, bool w, int dst, uint8_t n) {
  x64_op_rm(b, 0, 0xC1, w, ext, x64_r(dst));
  x64_byte(b, n);
}

void x64_unary(x64_buf *b, int ext, bool w, x64_rm dst) { x64_op_rm(b, 0, 0xF7, w, ext, dst); }

void x64_cdq(x64_buf *b, bool w) {
  if (w) x64_byte(b, 0x48);
  x64_byte(b, 0x99);
}

void x64_lea(x64_buf *b, bool w, int dst, x64_mem m) { x64_op_rm(b, 0, 0x8D, w, dst, x64_m(m)); }
void x64_movzx8(x64_buf *b, int dst, x64_rm src) {
  if (src.is_mem) x64_op_rm(b, 0, 0x0FB6, false, dst, src);
  else x64_op_rm8(b, 0x0FB6, dst, src);
}
void x64_movzx16(x64_buf *b, int dst, x64_rm src) { x64_op_rm(b, 0, 0x0FB7, false, dst, src); }
void x64_movsx8(x64_buf *b, bool w, int dst, x64_rm src) {
  if (!w && !src.is_mem) x64_op_rm8(b, 0x0FBE, dst, src);
  else if (w && !src.is_mem) x64_op_rm(b, 0, 0x0FBE, true, dst, src); /* REX.W present: byte regs are fine */
  else x64_op_rm(b, 0, 0x0FBE, w, dst, src);
}
void x64_movsx16(x64_buf *b, bool w, int dst, x64_rm src) { x64_op_rm(b, 0, 0x0FBF, w, dst, src); }
void x64_movsxd(x64_buf *b, int dst, x64_rm src) { x64_op_rm(b, 0, 0x63, true, dst, src); }
void x64_store8(x64_buf *b, x64_mem dst, int src) { x64_op_rm8(b, 0x88, src, x64_m(dst)); }
void x64_store16(x64_buf *b, x64_mem dst, int src) { x64_op_rm(b, 0x66, 0x89, false, src, x64_m(dst)); }
void x64_setcc(x64_buf *b, int cc, int dst) { x64_op_rm8(b, (uint32_t)(0x0F90 + cc), 0, x64_r(dst)); }
void x64_cmov(x64_buf *b, int cc, bool w, int dst, x64_rm src) {
  x64_op_rm(b, 0, (uint32_t)(0x0F40 + cc), w, dst, src);
}
void x64_bitscan(x64_buf *b, uint32_t op, bool w, int dst, x64_rm src) { x64_op_rm(b, 0, op, w, dst, src); }
void x64_popcnt(x64_buf *b, bool w, int dst, x64_rm src) { x64_op_rm(b, 0xF3, 0x0FB8, w, dst, src); }

void x64_push(x64_buf *b, int reg) {
  if (reg & 8) x64_byte(b, 0x41);
  x64_byte(b, (uint8_t)(0x50 + (reg & 7)));
}

void x64_pop(x64_buf *b, int reg) {
  if (reg & 8) x64_byte(b, 0x41);
  x64_byte(b, (uint8_t)(0x58 + (reg & 7)));
}

void x64_ret(x64_buf *b) { x64_byte(b, 0xC3); }

void x64_nops(x64_buf *b, size_t n) {
  /* the recommended multi-byte NOP forms (0F 1F /0 with operand-size prefixes) */
  static const uint8_t forms[8][8] = {
    {0x90}, {0x66, 0x90}, {0x0F, 0x1F, 0x00}, {0x0F, 0x1F, 0x40, 0x00}, {0x0F, 0x1F, 0x44, 0x00, 0x00},
    {0x66, 0x0F, 0x1F, 0x44, 0x00, 0x00}, {0x0F, 0x1F, 0x80, 0x00, 0x00, 0x00, 0x00},
    {0x0F, 0x1F, 0x84, 0x00, 0x00, 0x00, 0x00, 0x00}};
  while (n) {
    size_t k = n > 8 ? 8 : n;
    for (size_t i = 0; i < k; i++) x64_byte(b, forms[k - 1][i]);
    n -= k;
  }
}
void x64_ud2(x64_buf *b) { x64_byte(b, 0x0F); x64_byte(b, 0x0B); }

size_t x64_jmp_rel32(x64_buf *b) {
  x64_byte(b, 0xE9);
  size_t at = b->n;
  x64_u32(b, 0);
  return at;
}

size_t x64_jcc_rel32(x64_buf *b, int cc) {
  x64_byte(b, 0x0F);
  x64_byte(b, (uint8_t)(0x80 + cc));
  size_t at = b->n;
  x64_u32(b, 0);
  return at;
}

size_t x64_call_rel32(x64_buf *b) {
  x64_byte(b, 0xE8);
  size_t at = b->n;
  x64_u32(b, 0);
  return at;
}

void x64_call_r(x64_buf *b, int reg) { x64_op_rm(b, 0, 0xFF, false, 2, x64_r(reg)); }
void x64_jmp_r(x64_buf *b, int reg) { x64_op_rm(b, 0, 0xFF, false, 4, x64_r(reg)); }

void x64_patch_rel32(x64_buf *b, size_t at, size_t target) {
  if (b->oom) return;
  int32_t rel = (int32_t)((int64_t)target - (int64_t)(at + 4));
  memcpy(b->p + at, &rel, 4);
}

size_t x64_lea_rip(x64_buf *b, int reg) {
  x64_byte(b, (uint8_t)(0x48 | ((reg & 8) ? 4 : 0)));
  x64_byte(b, 0x8D);
  x64_byte(b, (uint8_t)(0x05 | (reg & 7) << 3));
  size_t at = b->n;
  x64_u32(b, 0);
  return at;
}

void x64_sse(x64_buf *b, uint8_t prefix, uint8_t op, bool w, int xreg, x64_rm src) {
  x64_op_rm(b, prefix, 0x0F00u | op, w, xreg, src);
}

void x64_sse_store(x64_buf *b, uint8_t prefix, uint8_t op, int xreg, x64_mem dst) {
  x64_op_rm(b, prefix, 0x0F00u | op, false, xreg, x64_m(dst));
}

void x64_movq_xr(x64_buf *b, bool w, int xmm, int gpr) { x64_op_rm(b, 0x66, 0x0F6E, w, xmm, x64_r(gpr)); }
void x64_movq_rx(x64_buf *b, bool w, int gpr, int xmm) { x64_op_rm(b, 0x66, 0x0F7E, w, xmm, x64_r(gpr)); }

void x64_round(x64_buf *b, bool dbl, int dst, int src, uint8_t mode) {
  x64_op_rm(b, 0x66, dbl ? 0x0F3A0B : 0x0F3A0A, false, dst, x64_r(src));
  x64_byte(b, mode);
}
