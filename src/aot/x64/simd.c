/*
 * simd.c — SIMD instructions in the x86-64 backend, with SSE4.1 at most.
 *
 * The instruction sequences work on operands in memory (x64_simd_seq): an
 * instruction loads its v128 operands into xmm0/xmm14/xmm15, works there and
 * stores its result; scalar operands and lane accesses use memory directly.
 * Both compilers use them: the one-pass compiler (x64_simd: v128 values in
 * frame slots, the result in the first operand's slot) and the optimizing
 * pipeline's isel_simd.c (operands in their spill slots or a staging area,
 * the result in its own slot). Instructions whose wasm
 * semantics differ from the closest SSE instruction in corner cases (f32x4.min
 * with NaNs, q15mulr at -1 * -1, i64x2 compares needing SSE4.2, saturating
 * truncations, ...) are left to the out-of-line helper (x64_has_simd false).
 */
#include <stddef.h>
#include <string.h>

#include "aot/x64/target.h"

enum {
  K_BIN,       /* a op b */
  K_BIN_SWAP,  /* b op a */
  K_BIN_NOT,   /* ~(a op b) */
  K_SWAP_NOT,  /* ~(b op a) */
  K_UGE,       /* max_u(a, b) == a  (code = pmaxu, eq = pcmpeq of the width) */
  K_ULE,       /* min_u(a, b) == a */
  K_UGT,       /* ~(min_u(a, b) == a) */
  K_ULT,       /* ~(max_u(a, b) == a) */
  K_UN,        /* op a, a */
  K_NEG,       /* 0 - a (code = psub) */
  K_FCMP,      /* cmpps/cmppd a, b, imm */
  K_FCMP_SWAP, /* cmpps/cmppd b, a, imm */
  K_ROUND,     /* roundps/roundpd a, imm */
  K_EXT_LO,    /* pmovsx/pmovzx a */
  K_EXT_HI,    /* pmovsx/pmovzx (a >> 64) */
  K_SHIFT,     /* a shifted by (b & mask) */
};

typedef struct simd_rule {
  wm_opcode op;
  uint8_t kind;
  uint8_t prefix;                /* 0x66 or 0 */
  uint32_t code;                 /* opcode bytes after any prefix, e.g. 0x0FFC or 0x0F3840 */
  uint32_t eq;                   /* K_UGE..K_ULT: the compare for equality; K_SHIFT: the count mask */
  uint8_t imm;                   /* K_FCMP/K_ROUND: the immediate */
} simd_rule;

#define B(o, c) {OP_##o, K_BIN, 0x66, c, 0, 0}
#define BF(o, c) {OP_##o, K_BIN, 0, c, 0, 0}
static const simd_rule rules[] = {
  /* bitwise */
  B(V128_AND, 0x0FDB), B(V128_OR, 0x0FEB), B(V128_XOR, 0x0FEF), {OP_V128_ANDNOT, K_BIN_SWAP, 0x66, 0x0FDF, 0, 0},
  /* integer arithmetic */
  B(I8X16_ADD, 0x0FFC), B(I8X16_SUB, 0x0FF8), B(I16X8_ADD, 0x0FFD), B(I16X8_SUB, 0x0FF9),
  B(I32X4_ADD, 0x0FFE), B(I32X4_SUB, 0x0FFA), B(I64X2_ADD, 0x0FD4), B(I64X2_SUB, 0x0FFB),
  B(I16X8_MUL, 0x0FD5), B(I32X4_MUL, 0x0F3840), B(I32X4_DOT_I16X8_S, 0x0FF5),
  B(I8X16_ADD_SAT_S, 0x0FEC), B(I8X16_ADD_SAT_U, 0x0FDC), B(I8X16_SUB_SAT_S, 0x0FE8), B(I8X16_SUB_SAT_U, 0x0FD8),
  B(I16X8_ADD_SAT_S, 0x0FED), B(I16X8_ADD_SAT_U, 0x0FDD), B(I16X8_SUB_SAT_S, 0x0FE9), B(I16X8_SUB_SAT_U, 0x0FD9),
  B(I8X16_MIN_S, 0x0F3838), B(I8X16_MIN_U, 0x0FDA), B(I8X16_MAX_S, 0x0F383C), B(I8X16_MAX_U, 0x0FDE),
  B(I16X8_MIN_S, 0x0FEA), B(I16X8_MIN_U, 0x0F383A), B(I16X8_MAX_S, 0x0FEE), B(I16X8_MAX_U, 0x0F383E),
  B(I32X4_MIN_S, 0x0F3839), B(I32X4_MIN_U, 0x0F383B), B(I32X4_MAX_S, 0x0F383D), B(I32X4_MAX_U, 0x0F383F),
  B(I8X16_AVGR_U, 0x0FE0), B(I16X8_AVGR_U, 0x0FE3),
  B(I8X16_NARROW_I16X8_S, 0x0F63), B(I8X16_NARROW_I16X8_U, 0x0F67), B(I16X8_NARROW_I32X4_S, 0x0F6B),
  B(I16X8_NARROW_I32X4_U, 0x0F382B),
  {OP_I8X16_ABS, K_UN, 0x66, 0x0F381C, 0, 0}, {OP_I16X8_ABS, K_UN, 0x66, 0x0F381D, 0, 0},
  {OP_I32X4_ABS, K_UN, 0x66, 0x0F381E, 0, 0},
  {OP_I8X16_NEG, K_NEG, 0x66, 0x0FF8, 0, 0}, {OP_I16X8_NEG, K_NEG, 0x66, 0x0FF9, 0, 0},
  {OP_I32X4_NEG, K_NEG, 0x66, 0x0FFA, 0, 0}, {OP_I64X2_NEG, K_NEG, 0x66, 0x0FFB, 0, 0},
  /* integer compares */
  B(I8X16_EQ, 0x0F74), B(I16X8_EQ, 0x0F75), B(I32X4_EQ, 0x0F76), B(I64X2_EQ, 0x0F3829),
  {OP_I8X16_NE, K_BIN_NOT, 0x66, 0x0F74, 0, 0}, {OP_I16X8_NE, K_BIN_NOT, 0x66, 0x0F75, 0, 0},
  {OP_I32X4_NE, K_BIN_NOT, 0x66, 0x0F76, 0, 0}, {OP_I64X2_NE, K_BIN_NOT, 0x66, 0x0F3829, 0, 0},
  B(I8X16_GT_S, 0x0F64), B(I16X8_GT_S, 0x0F65), B(I32X4_GT_S, 0x0F66),
  {OP_I8X16_LT_S, K_BIN_SWAP, 0x66, 0x0F64, 0, 0}, {OP_I16X8_LT_S, K_BIN_SWAP, 0x66, 0x0F65, 0, 0},
  {OP_I32X4_LT_S, K_BIN_SWAP, 0x66, 0x0F66, 0, 0},
  {OP_I8X16_LE_S, K_BIN_NOT, 0x66, 0x0F64, 0, 0}, {OP_I16X8_LE_S, K_BIN_NOT, 0x66, 0x0F65, 0, 0},
  {OP_I32X4_LE_S, K_BIN_NOT, 0x66, 0x0F66, 0, 0},
  {OP_I8X16_GE_S, K_SWAP_NOT, 0x66, 0x0F64, 0, 0}, {OP_I16X8_GE_S, K_SWAP_NOT, 0x66, 0x0F65, 0, 0},
  {OP_I32X4_GE_S, K_SWAP_NOT, 0x66, 0x0F66, 0, 0},
  {OP_I8X16_GE_U, K_UGE, 0x66, 0x0FDE, 0x0F74, 0}, {OP_I8X16_LE_U, K_ULE, 0x66, 0x0FDA, 0x0F74, 0},
  {OP_I8X16_GT_U, K_UGT, 0x66, 0x0FDA, 0x0F74, 0}, {OP_I8X16_LT_U, K_ULT, 0x66, 0x0FDE, 0x0F74, 0},
  {OP_I16X8_GE_U, K_UGE, 0x66, 0x0F383E, 0x0F75, 0}, {OP_I16X8_LE_U, K_ULE, 0x66, 0x0F383A, 0x0F75, 0},
  {OP_I16X8_GT_U, K_UGT, 0x66, 0x0F383A, 0x0F75, 0}, {OP_I16X8_LT_U, K_ULT, 0x66, 0x0F383E, 0x0F75, 0},
  {OP_I32X4_GE_U, K_UGE, 0x66, 0x0F383F, 0x0F76, 0}, {OP_I32X4_LE_U, K_ULE, 0x66, 0x0F383B, 0x0F76, 0},
  {OP_I32X4_GT_U, K_UGT, 0x66, 0x0F383B, 0x0F76, 0}, {OP_I32X4_LT_U, K_ULT, 0x66, 0x0F383F, 0x0F76, 0},
  /* float arithmetic (NaN results are quiet NaNs: arithmetic or canonical, as the spec allows) */
  BF(F32X4_ADD, 0x0F58), BF(F32X4_SUB, 0x0F5C), BF(F32X4_MUL, 0x0F59), BF(F32X4_DIV, 0x0F5E),
  B(F64X2_ADD, 0x0F58), B(F64X2_SUB, 0x0F5C), B(F64X2_MUL, 0x0F59), B(F64X2_DIV, 0x0F5E),
  {OP_F32X4_SQRT, K_UN, 0, 0x0F51, 0, 0}, {OP_F64X2_SQRT, K_UN, 0x66, 0x0F51, 0, 0},
  /* pmin(a, b) = b < a ? b : a = minps(b, a); pmax(a, b) = a < b ? b : a = maxps(b, a) */
  {OP_F32X4_PMIN, K_BIN_SWAP, 0, 0x0F5D, 0, 0}, {OP_F32X4_PMAX, K_BIN_SWAP, 0, 0x0F5F, 0, 0},
  {OP_F64X2_PMIN, K_BIN_SWAP, 0x66, 0x0F5D, 0, 0}, {OP_F64X2_PMAX, K_BIN_SWAP, 0x66, 0x0F5F, 0, 0},
  {OP_F32X4_CEIL, K_ROUND, 0x66, 0x0F3A08, 0, 2 | 8}, {OP_F32X4_FLOOR, K_ROUND, 0x66, 0x0F3A08, 0, 1 | 8},
  {OP_F32X4_TRUNC, K_ROUND, 0x66, 0x0F3A08, 0, 3 | 8}, {OP_F32X4_NEAREST, K_ROUND, 0x66, 0x0F3A08, 0, 0 | 8},
  {OP_F64X2_CEIL, K_ROUND, 0x66, 0x0F3A09, 0, 2 | 8}, {OP_F64X2_FLOOR, K_ROUND, 0x66, 0x0F3A09, 0, 1 | 8},
  {OP_F64X2_TRUNC, K_ROUND, 0x66, 0x0F3A09, 0, 3 | 8}, {OP_F64X2_NEAREST, K_ROUND, 0x66, 0x0F3A09, 0, 0 | 8},
  /* float compares: cmpps predicates 0 eq, 1 lt, 2 le, 4 neq (true when unordered) */
  {OP_F32X4_EQ, K_FCMP, 0, 0x0FC2, 0, 0}, {OP_F32X4_NE, K_FCMP, 0, 0x0FC2, 0, 4},
  {OP_F32X4_LT, K_FCMP, 0, 0x0FC2, 0, 1}, {OP_F32X4_LE, K_FCMP, 0, 0x0FC2, 0, 2},
  {OP_F32X4_GT, K_FCMP_SWAP, 0, 0x0FC2, 0, 1}, {OP_F32X4_GE, K_FCMP_SWAP, 0, 0x0FC2, 0, 2},
  {OP_F64X2_EQ, K_FCMP, 0x66, 0x0FC2, 0, 0}, {OP_F64X2_NE, K_FCMP, 0x66, 0x0FC2, 0, 4},
  {OP_F64X2_LT, K_FCMP, 0x66, 0x0FC2, 0, 1}, {OP_F64X2_LE, K_FCMP, 0x66, 0x0FC2, 0, 2},
  {OP_F64X2_GT, K_FCMP_SWAP, 0x66, 0x0FC2, 0, 1}, {OP_F64X2_GE, K_FCMP_SWAP, 0x66, 0x0FC2, 0, 2},
  /* conversions that match exactly */
  {OP_F32X4_CONVERT_I32X4_S, K_UN, 0, 0x0F5B, 0, 0}, {OP_F64X2_PROMOTE_LOW_F32X4, K_UN, 0, 0x0F5A, 0, 0},
  {OP_F32X4_DEMOTE_F64X2_ZERO, K_UN, 0x66, 0x0F5A, 0, 0}, {OP_F64X2_CONVERT_LOW_I32X4_S, K_UN, 0xF3, 0x0FE6, 0, 0},
  /* widening */
  {OP_I16X8_EXTEND_LOW_I8X16_S, K_EXT_LO, 0x66, 0x0F3820, 0, 0}, {OP_I16X8_EXTEND_HIGH_I8X16_S, K_EXT_HI, 0x66, 0x0F3820, 0, 0},
  {OP_I16X8_EXTEND_LOW_I8X16_U, K_EXT_LO, 0x66, 0x0F3830, 0, 0}, {OP_I16X8_EXTEND_HIGH_I8X16_U, K_EXT_HI, 0x66, 0x0F3830, 0, 0},
  {OP_I32X4_EXTEND_LOW_I16X8_S, K_EXT_LO, 0x66, 0x0F3823, 0, 0}, {OP_I32X4_EXTEND_HIGH_I16X8_S, K_EXT_HI, 0x66, 0x0F3823, 0, 0},
  {OP_I32X4_EXTEND_LOW_I16X8_U, K_EXT_LO, 0x66, 0x0F3833, 0, 0}, {OP_I32X4_EXTEND_HIGH_I16X8_U, K_EXT_HI, 0x66, 0x0F3833, 0, 0},
  {OP_I64X2_EXTEND_LOW_I32X4_S, K_EXT_LO, 0x66, 0x0F3825, 0, 0}, {OP_I64X2_EXTEND_HIGH_I32X4_S, K_EXT_HI, 0x66, 0x0F3825, 0, 0},
  {OP_I64X2_EXTEND_LOW_I32X4_U, K_EXT_LO, 0x66, 0x0F3835, 0, 0}, {OP_I64X2_EXTEND_HIGH_I32X4_U, K_EXT_HI, 0x66, 0x0F3835, 0, 0},
  /* shifts by a scalar (count taken modulo the lane width) */
  {OP_I16X8_SHL, K_SHIFT, 0x66, 0x0FF1, 15, 0}, {OP_I16X8_SHR_S, K_SHIFT, 0x66, 0x0FE1, 15, 0},
  {OP_I16X8_SHR_U, K_SHIFT, 0x66, 0x0FD1, 15, 0}, {OP_I32X4_SHL, K_SHIFT, 0x66, 0x0FF2, 31, 0},
  {OP_I32X4_SHR_S, K_SHIFT, 0x66, 0x0FE2, 31, 0}, {OP_I32X4_SHR_U, K_SHIFT, 0x66, 0x0FD2, 31, 0},
  {OP_I64X2_SHL, K_SHIFT, 0x66, 0x0FF3, 63, 0}, {OP_I64X2_SHR_U, K_SHIFT, 0x66, 0x0FD3, 63, 0},
};
#undef B
#undef BF

static const simd_rule *find_rule(wm_opcode op) {
  for (size_t i = 0; i < sizeof rules / sizeof *rules; i++)
    if (rules[i].op == op) return &rules[i];
  return NULL;
}

/* Instructions with their own code below (not table-driven). */
static bool special(wm_opcode op) {
  switch (op) {
  case OP_V128_NOT: case OP_V128_BITSELECT: case OP_V128_ANY_TRUE:
  case OP_I8X16_ALL_TRUE: case OP_I16X8_ALL_TRUE: case OP_I32X4_ALL_TRUE: case OP_I64X2_ALL_TRUE:
  case OP_I8X16_BITMASK: case OP_I16X8_BITMASK: case OP_I32X4_BITMASK: case OP_I64X2_BITMASK:
  case OP_I8X16_SPLAT: case OP_I16X8_SPLAT: case OP_I32X4_SPLAT: case OP_I64X2_SPLAT: case OP_F32X4_SPLAT:
  case OP_F64X2_SPLAT:
  case OP_I8X16_EXTRACT_LANE_S: case OP_I8X16_EXTRACT_LANE_U: case OP_I16X8_EXTRACT_LANE_S:
  case OP_I16X8_EXTRACT_LANE_U: case OP_I32X4_EXTRACT_LANE: case OP_I64X2_EXTRACT_LANE: case OP_F32X4_EXTRACT_LANE:
  case OP_F64X2_EXTRACT_LANE:
  case OP_I8X16_REPLACE_LANE: case OP_I16X8_REPLACE_LANE: case OP_I32X4_REPLACE_LANE: case OP_I64X2_REPLACE_LANE:
  case OP_F32X4_REPLACE_LANE: case OP_F64X2_REPLACE_LANE:
  case OP_I8X16_SHUFFLE: case OP_I8X16_SWIZZLE:
  case OP_F32X4_ABS: case OP_F32X4_NEG: case OP_F64X2_ABS: case OP_F64X2_NEG:
  case OP_V128_LOAD: case OP_V128_STORE: case OP_V128_LOAD8X8_S: case OP_V128_LOAD8X8_U: case OP_V128_LOAD16X4_S:
  case OP_V128_LOAD16X4_U: case OP_V128_LOAD32X2_S: case OP_V128_LOAD32X2_U: case OP_V128_LOAD32_ZERO:
  case OP_V128_LOAD64_ZERO: case OP_V128_LOAD8_SPLAT: case OP_V128_LOAD16_SPLAT: case OP_V128_LOAD32_SPLAT:
  case OP_V128_LOAD64_SPLAT: case OP_V128_LOAD8_LANE: case OP_V128_LOAD16_LANE: case OP_V128_LOAD32_LANE:
  case OP_V128_LOAD64_LANE: case OP_V128_STORE8_LANE: case OP_V128_STORE16_LANE: case OP_V128_STORE32_LANE:
  case OP_V128_STORE64_LANE:
    return true;
  default: return false;
  }
}

bool x64_has_simd(wm_opcode op) { return special(op) || find_rule(op) != NULL; }

bool x64_simd_needs_mem(wm_opcode op, int k) {
  switch (op) {
  case OP_I8X16_EXTRACT_LANE_S: case OP_I8X16_EXTRACT_LANE_U: case OP_I16X8_EXTRACT_LANE_S:
  case OP_I16X8_EXTRACT_LANE_U: case OP_I32X4_EXTRACT_LANE: case OP_I64X2_EXTRACT_LANE: case OP_F32X4_EXTRACT_LANE:
  case OP_F64X2_EXTRACT_LANE:
    return k == 0; /* the lane is read from memory */
  case OP_I64X2_SPLAT: case OP_F64X2_SPLAT:
  case OP_I8X16_REPLACE_LANE: case OP_I16X8_REPLACE_LANE: case OP_I32X4_REPLACE_LANE: case OP_I64X2_REPLACE_LANE:
  case OP_F32X4_REPLACE_LANE: case OP_F64X2_REPLACE_LANE:
  case OP_V128_LOAD8_LANE: case OP_V128_LOAD16_LANE: case OP_V128_LOAD32_LANE: case OP_V128_LOAD64_LANE:
    return k < 0; /* the result is written by halves or lanes */
  case OP_V128_STORE8_LANE: case OP_V128_STORE16_LANE: case OP_V128_STORE32_LANE: case OP_V128_STORE64_LANE:
    return k == 1;
  default: return false;
  }
}

/* ---- encodings ---------------------------------------------------------------------- */

static void op66(aot_buf *c, uint8_t prefix, uint32_t code, int dst, int src) {
  x64_op_rm(c, prefix, code, false, dst, x64_r(src));
}
static void movdqu_load(aot_buf *c, int x, x64_mem m) { x64_op_rm(c, 0xF3, 0x0F6F, false, x, x64_m(m)); }
static void movdqu_store(aot_buf *c, x64_mem m, int x) { x64_op_rm(c, 0xF3, 0x0F7F, false, x, x64_m(m)); }
static void ones(aot_buf *c, int x) { op66(c, 0x66, 0x0F76, x, x); }  /* pcmpeqd x, x */
static void zero(aot_buf *c, int x) { op66(c, 0x66, 0x0FEF, x, x); }  /* pxor x, x */
static void vnot(aot_buf *c, int x) { /* x ^= ones, via xmm15 */
  ones(c, 15);
  op66(c, 0x66, 0x0FEF, x, 15);
}
/* An xmm register from two 64-bit halves (rax as scratch). */
static void xconst(aot_buf *c, int x, uint64_t lo, uint64_t hi) {
  x64_mov_imm(c, true, RAX, lo);
  x64_movq_xr(c, true, x, RAX);
  x64_mov_imm(c, true, RAX, hi);
  x64_op_rm(c, 0x66, 0x0F3A22, true, x, x64_r(RAX)); /* pinsrq x, rax, 1 */
  x64_byte(c, 1);
}

/* ---- the instruction ------------------------------------------------------------------ */

static bool same_rm(x64_rm a, x64_rm b) {
  if (a.is_mem != b.is_mem) return false;
  if (!a.is_mem) return a.reg == b.reg;
  return a.mem.base == b.mem.base && a.mem.index == b.mem.index && a.mem.scale == b.mem.scale && a.mem.disp == b.mem.disp;
}

/* A v128 operand into xmm x, and xmm x to the result: memory or a register. */
static void vload(aot_buf *c, int x, x64_rm m) {
  if (m.is_mem) movdqu_load(c, x, m.mem);
  else if (m.reg != x) x64_op_rm(c, 0, 0x0F28, false, x, x64_r(m.reg)); /* movaps */
}
static void vstore(aot_buf *c, x64_rm m, int x) {
  if (m.is_mem) movdqu_store(c, m.mem, x);
  else if (m.reg != x) x64_op_rm(c, 0, 0x0F28, false, m.reg, x64_r(x));
}

void x64_simd_seq(const x64_simd_io *io, wm_opcode op, uint64_t a, uint64_t b) {
  const wm_opinfo *info = &wm_opinfos[op];
  aot_buf *c = io->b;
  x64_rm m0 = io->in[0], m1 = io->in[1], m2 = io->in[2], dst = io->dst;
  const simd_rule *r = find_rule(op);
  if (r) {
    switch (r->kind) {
    case K_BIN: case K_BIN_SWAP: case K_BIN_NOT: case K_SWAP_NOT: case K_FCMP: case K_FCMP_SWAP: {
      bool swap = r->kind == K_BIN_SWAP || r->kind == K_SWAP_NOT || r->kind == K_FCMP_SWAP;
      vload(c, 0, swap ? m1 : m0);
      vload(c, 14, swap ? m0 : m1);
      op66(c, r->prefix, r->code, 0, 14);
      if (r->kind == K_FCMP || r->kind == K_FCMP_SWAP) x64_byte(c, r->imm);
      if (r->kind == K_BIN_NOT || r->kind == K_SWAP_NOT) vnot(c, 0);
      break;
    }
    case K_UGE: case K_ULE: case K_UGT: case K_ULT:
      vload(c, 0, m0);
      vload(c, 14, m1);
      op66(c, 0x66, r->code, 14, 0); /* xmm14 = max/min(b, a) */
      op66(c, 0x66, r->eq, 0, 14);   /* == a */
      if (r->kind == K_UGT || r->kind == K_ULT) vnot(c, 0);
      break;
    case K_UN:
      vload(c, 0, m0);
      op66(c, r->prefix, r->code, 0, 0);
      break;
    case K_NEG:
      vload(c, 14, m0);
      zero(c, 0);
      op66(c, 0x66, r->code, 0, 14);
      break;
    case K_ROUND:
      vload(c, 0, m0);
      op66(c, 0x66, r->code, 0, 0);
      x64_byte(c, r->imm);
      break;
    case K_EXT_LO: case K_EXT_HI:
      vload(c, 0, m0);
      if (r->kind == K_EXT_HI) { /* psrldq xmm0, 8 */
        x64_op_rm(c, 0x66, 0x0F73, false, 3, x64_r(0));
        x64_byte(c, 8);
      }
      op66(c, 0x66, r->code, 0, 0);
      break;
    case K_SHIFT:
      vload(c, 0, m0);
      x64_mov_load(c, false, RAX, m1);
      x64_alu_imm(c, 4, false, x64_r(RAX), (int32_t)r->eq);
      x64_movq_xr(c, false, 14, RAX);
      op66(c, 0x66, r->code, 0, 14);
      break;
    }
    vstore(c, dst, 0);
    return;
  }
  unsigned lane = (unsigned)a;
  switch (op) {
  case OP_V128_NOT:
    vload(c, 0, m0);
    vnot(c, 0);
    vstore(c, dst, 0);
    return;
  case OP_V128_BITSELECT: /* (a & m) | (b & ~m) */
    vload(c, 0, m0);
    vload(c, 14, m1);
    vload(c, 15, m2);
    op66(c, 0x66, 0x0FDB, 0, 15);  /* a & m */
    op66(c, 0x66, 0x0FDF, 15, 14); /* ~m & b */
    op66(c, 0x66, 0x0FEB, 0, 15);
    vstore(c, dst, 0);
    return;
  case OP_V128_ANY_TRUE:
    vload(c, 0, m0);
    op66(c, 0x66, 0x0F3817, 0, 0); /* ptest: ZF = all zero */
    x64_setcc(c, CC_NE, RAX);
    x64_movzx8(c, RAX, x64_r(RAX));
    x64_mov_store(c, true, dst.mem, RAX);
    return;
  case OP_I8X16_ALL_TRUE: case OP_I16X8_ALL_TRUE: case OP_I32X4_ALL_TRUE: case OP_I64X2_ALL_TRUE: {
    uint32_t eq = op == OP_I8X16_ALL_TRUE ? 0x0F74 : op == OP_I16X8_ALL_TRUE ? 0x0F75
                  : op == OP_I32X4_ALL_TRUE ? 0x0F76 : 0x0F3829;
    vload(c, 14, m0);
    zero(c, 0);
    op66(c, 0x66, eq, 0, 14);      /* lanes equal to zero */
    op66(c, 0x66, 0x0F3817, 0, 0); /* ptest: ZF when no lane was zero */
    x64_setcc(c, CC_E, RAX);
    x64_movzx8(c, RAX, x64_r(RAX));
    x64_mov_store(c, true, dst.mem, RAX);
    return;
  }
  case OP_I8X16_BITMASK: case OP_I16X8_BITMASK: case OP_I32X4_BITMASK: case OP_I64X2_BITMASK:
    vload(c, 0, m0);
    if (op == OP_I16X8_BITMASK) op66(c, 0x66, 0x0F63, 0, 0); /* packsswb: keeps the signs, twice */
    if (op == OP_I32X4_BITMASK) x64_op_rm(c, 0, 0x0F50, false, RAX, x64_r(0));         /* movmskps */
    else if (op == OP_I64X2_BITMASK) x64_op_rm(c, 0x66, 0x0F50, false, RAX, x64_r(0)); /* movmskpd */
    else x64_op_rm(c, 0x66, 0x0FD7, false, RAX, x64_r(0));                            /* pmovmskb */
    if (op == OP_I16X8_BITMASK) x64_movzx8(c, RAX, x64_r(RAX));
    x64_mov_store(c, true, dst.mem, RAX);
    return;
  case OP_I8X16_SPLAT: case OP_I16X8_SPLAT: case OP_I32X4_SPLAT: case OP_F32X4_SPLAT:
    x64_mov_load(c, false, RAX, m0);
    x64_movq_xr(c, false, 0, RAX);
    if (op == OP_I8X16_SPLAT) {
      zero(c, 14);
      op66(c, 0x66, 0x0F3800, 0, 14); /* pshufb with all-zero indices */
    } else {
      if (op == OP_I16X8_SPLAT) op66(c, 0x66, 0x0F61, 0, 0); /* punpcklwd: the word twice */
      op66(c, 0x66, 0x0F70, 0, 0);                           /* pshufd 0 */
      x64_byte(c, 0);
    }
    vstore(c, dst, 0);
    return;
  case OP_I64X2_SPLAT: case OP_F64X2_SPLAT:
    x64_mov_load(c, true, RAX, m0);
    x64_mov_store(c, true, dst.mem, RAX);
    dst.mem.disp += 8;
    x64_mov_store(c, true, dst.mem, RAX);
    return;
  case OP_I8X16_EXTRACT_LANE_S: case OP_I8X16_EXTRACT_LANE_U: case OP_I16X8_EXTRACT_LANE_S:
  case OP_I16X8_EXTRACT_LANE_U: case OP_I32X4_EXTRACT_LANE: case OP_I64X2_EXTRACT_LANE: case OP_F32X4_EXTRACT_LANE:
  case OP_F64X2_EXTRACT_LANE: { /* the vector is in memory: read the lane */
    x64_mem l = m0.mem;
    switch (op) {
    case OP_I8X16_EXTRACT_LANE_S: l.disp += (int32_t)lane; x64_movsx8(c, false, RAX, x64_m(l)); break;
    case OP_I8X16_EXTRACT_LANE_U: l.disp += (int32_t)lane; x64_movzx8(c, RAX, x64_m(l)); break;
    case OP_I16X8_EXTRACT_LANE_S: l.disp += 2 * (int32_t)lane; x64_movsx16(c, false, RAX, x64_m(l)); break;
    case OP_I16X8_EXTRACT_LANE_U: l.disp += 2 * (int32_t)lane; x64_movzx16(c, RAX, x64_m(l)); break;
    case OP_I32X4_EXTRACT_LANE: case OP_F32X4_EXTRACT_LANE:
      l.disp += 4 * (int32_t)lane;
      x64_mov_load(c, false, RAX, x64_m(l));
      break;
    default: l.disp += 8 * (int32_t)lane; x64_mov_load(c, true, RAX, x64_m(l)); break;
    }
    x64_mov_store(c, true, dst.mem, RAX);
    return;
  }
  case OP_I8X16_REPLACE_LANE: case OP_I16X8_REPLACE_LANE: case OP_I32X4_REPLACE_LANE: case OP_I64X2_REPLACE_LANE:
  case OP_F32X4_REPLACE_LANE: case OP_F64X2_REPLACE_LANE: { /* write the lane in place */
    if (!same_rm(m0, dst)) { /* the vector to the result's place first */
      vload(c, 0, m0);
      vstore(c, dst, 0);
    }
    x64_mem l = dst.mem;
    bool w = op == OP_I64X2_REPLACE_LANE || op == OP_F64X2_REPLACE_LANE;
    x64_mov_load(c, w, RAX, m1);
    if (op == OP_I8X16_REPLACE_LANE) {
      l.disp += (int32_t)lane;
      x64_store8(c, l, RAX);
    } else if (op == OP_I16X8_REPLACE_LANE) {
      l.disp += 2 * (int32_t)lane;
      x64_store16(c, l, RAX);
    } else {
      l.disp += (w ? 8 : 4) * (int32_t)lane;
      x64_mov_store(c, w, l, RAX);
    }
    return;
  }
  case OP_I8X16_SHUFFLE: { /* pshufb each input with the lanes it supplies, or the two */
    uint8_t lanes[16], ma[16], mb[16];
    memcpy(lanes, io->bytes + a, 16);
    for (int i = 0; i < 16; i++) {
      ma[i] = lanes[i] < 16 ? lanes[i] : 0x80;
      mb[i] = lanes[i] >= 16 ? (uint8_t)(lanes[i] - 16) : 0x80;
    }
    uint64_t q[4];
    memcpy(q, ma, 16);
    memcpy(q + 2, mb, 16);
    vload(c, 0, m0);
    vload(c, 14, m1);
    xconst(c, 15, q[0], q[1]);
    op66(c, 0x66, 0x0F3800, 0, 15);
    xconst(c, 15, q[2], q[3]);
    op66(c, 0x66, 0x0F3800, 14, 15);
    op66(c, 0x66, 0x0FEB, 0, 14);
    vstore(c, dst, 0);
    return;
  }
  case OP_I8X16_SWIZZLE: /* indices >= 16 select 0: saturate them into pshufb's zeroing range */
    vload(c, 0, m0);
    vload(c, 14, m1);
    xconst(c, 15, UINT64_C(0x7070707070707070), UINT64_C(0x7070707070707070));
    op66(c, 0x66, 0x0FDC, 14, 15); /* paddusb */
    op66(c, 0x66, 0x0F3800, 0, 14);
    vstore(c, dst, 0);
    return;
  case OP_F32X4_ABS: case OP_F32X4_NEG: case OP_F64X2_ABS: case OP_F64X2_NEG: {
    bool dbl = op == OP_F64X2_ABS || op == OP_F64X2_NEG, neg = op == OP_F32X4_NEG || op == OP_F64X2_NEG;
    vload(c, 0, m0);
    ones(c, 15);
    /* sign mask (neg) or everything else (abs), by shifting all-ones */
    x64_op_rm(c, 0x66, dbl ? 0x0F73 : 0x0F72, false, neg ? 6 : 2, x64_r(15));
    x64_byte(c, neg ? (dbl ? 63 : 31) : 1);
    op66(c, 0x66, neg ? 0x0FEF : 0x0FDB, 0, 15);
    vstore(c, dst, 0);
    return;
  }
  default: break;
  }
  /* memory: the address is operand 0 */
  uint32_t size = 1u << info->arg;
  if (op == OP_V128_STORE) {
    vload(c, 0, m1);
    movdqu_store(c, io->address(io->ctx, a, 16), 0);
    return;
  }
  if (info->imm == IMM_MEMARG_LANE) { /* one lane between memory and the vector (operand 1) */
    unsigned ln = (unsigned)b;
    bool w = size == 8;
    x64_mem l = m1.mem;
    l.disp += (int32_t)(size * ln);
    x64_mem mem = io->address(io->ctx, a, size);
    bool load = strchr(info->sig, '>')[1] != 0;
    if (!load) {
      x64_mov_load(c, w, RAX, x64_m(l));
    } else {
      if (size == 1) x64_movzx8(c, RAX, x64_m(mem));
      else if (size == 2) x64_movzx16(c, RAX, x64_m(mem));
      else x64_mov_load(c, w, RAX, x64_m(mem));
      vload(c, 0, m1); /* the vector moves down to the result slot */
      vstore(c, dst, 0);
      mem = dst.mem;
      mem.disp += (int32_t)(size * ln);
    }
    if (size == 1) x64_store8(c, mem, RAX);
    else if (size == 2) x64_store16(c, mem, RAX);
    else x64_mov_store(c, w, mem, RAX);
    return;
  }
  x64_mem src = io->address(io->ctx, a, op == OP_V128_LOAD ? 16 : size == 16 ? 8 : size);
  switch (op) {
  case OP_V128_LOAD: movdqu_load(c, 0, src); break;
  case OP_V128_LOAD32_ZERO: x64_sse(c, 0x66, 0x6E, false, 0, x64_m(src)); break; /* movd */
  case OP_V128_LOAD64_ZERO: x64_sse(c, 0xF3, 0x7E, false, 0, x64_m(src)); break; /* movq */
  case OP_V128_LOAD8_SPLAT:
    x64_movzx8(c, RAX, x64_m(src));
    x64_movq_xr(c, false, 0, RAX);
    zero(c, 14);
    op66(c, 0x66, 0x0F3800, 0, 14);
    break;
  case OP_V128_LOAD16_SPLAT: case OP_V128_LOAD32_SPLAT:
    if (op == OP_V128_LOAD16_SPLAT) {
      x64_movzx16(c, RAX, x64_m(src));
      x64_movq_xr(c, false, 0, RAX);
      op66(c, 0x66, 0x0F61, 0, 0);
    } else {
      x64_sse(c, 0x66, 0x6E, false, 0, x64_m(src));
    }
    op66(c, 0x66, 0x0F70, 0, 0); /* pshufd 0 */
    x64_byte(c, 0);
    break;
  case OP_V128_LOAD64_SPLAT:
    x64_sse(c, 0xF3, 0x7E, false, 0, x64_m(src));
    op66(c, 0x66, 0x0F6C, 0, 0); /* punpcklqdq */
    break;
  default: { /* widening loads of 64 bits */
    uint32_t code = op == OP_V128_LOAD8X8_S ? 0x0F3820 : op == OP_V128_LOAD8X8_U ? 0x0F3830
                    : op == OP_V128_LOAD16X4_S ? 0x0F3823 : op == OP_V128_LOAD16X4_U ? 0x0F3833
                    : op == OP_V128_LOAD32X2_S ? 0x0F3825 : 0x0F3835;
    x64_op_rm(c, 0x66, code, false, 0, x64_m(src));
    break;
  }
  }
  vstore(c, dst, 0);
}

/* ---- the one-pass compiler's instruction: operands in slots from p0, the result to p0 ---- */

static x64_mem slot_address(void *ctx, uint64_t offset, uint32_t size) {
  const x64_simd_io *io = ctx;
  cg *c = io->cg;
  ent addr = {.type = WASM_I32, .kind = E_SLOT, .pos = io->p0};
  return x64_address(c, &addr, offset, size);
}

void x64_simd(cg *c, wm_opcode op, int32_t p0, uint64_t a, uint64_t b) {
  const wm_opinfo *info = &wm_opinfos[op];
  x64_simd_io io = {.b = &c->b, .bytes = c->m->bytes, .address = slot_address, .cg = c, .p0 = p0};
  int32_t p = p0;
  int n = 0;
  for (const char *s = info->sig; *s != '>'; s++) { /* operand slots, from the signature */
    io.in[n++] = x64_m(x64_slot(c, p));
    p += *s == 'v' ? 2 : 1;
  }
  for (; n < 3; n++) io.in[n] = x64_m(x64_slot(c, p0));
  io.dst = x64_m(x64_slot(c, p0));
  io.ctx = &io;
  x64_simd_seq(&io, op, a, b);
}
