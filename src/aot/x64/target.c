/*
 * target.c — the x86-64 backend of the AOT compiler: the aot_target hooks
 * lower.c drives (see lower.h), emitting through asm.c.
 *
 * Registers: r14 = aot_ctx, r15 = memory 0 base, rsp = frame; rax, rcx, rdx,
 * r11 and xmm0, xmm14, xmm15 are scratch inside one hook; rbx, rbp, rsi, rdi,
 * r8-r10, r12, r13 and xmm1-xmm13 are allocatable and callee-saved in our
 * internal convention (aot.h). i32 values in registers always have their
 * upper 32 bits clear (32-bit operations guarantee it), so they index
 * memory directly.
 *
 * Frame (rsp-relative, 16-byte aligned in the body): [0] the caller's slot
 * pointer, then one 8-byte slot per local (a register local's slot is where
 * it is saved around C calls), then the operand stack's canonical slots,
 * then the callee-saved registers this function writes.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aot/x64/target.h"
#include "aot/x64/trapstub.h"
#include "semantics/ops.h"

#define GPR_ALLOC ((1u << RBX) | (1u << RBP) | (1u << RSI) | (1u << RDI) | (1u << R8) | (1u << R9) | \
                   (1u << R10) | (1u << R12) | (1u << R13))
/* Of those, the ones a C helper may clobber (SysV caller-saved). */
#define GPR_VOLATILE ((1u << RSI) | (1u << RDI) | (1u << R8) | (1u << R9) | (1u << R10))
#define XMM_ALLOC 0x3FFEu /* xmm1..xmm13 */
#define XMM_S1 14
#define XMM_S2 15

/* The first slots' scalar arguments travel in these (by slot position). */
#define ARG_REGS 2
static const int8_t arg_gpr[ARG_REGS] = {RCX, RDX};
static const int8_t arg_xmm[ARG_REGS] = {0, 14};

/* Locals prefer registers C helpers preserve. */
static const int8_t gpr_local_order[] = {RBX, RBP, R12, R13, RSI, RDI};
static const int8_t xmm_local_order[] = {13, 12, 11, 10, 9, 8, 7, 6, 5};

/* ---- frame and operands ---------------------------------------------------------- */

static x64_mem slot_mem(const cg *c, int32_t pos) { return x64_base(RSP, 8 + 8 * ((int32_t)c->nlslots + pos)); }
x64_mem x64_slot(const cg *c, int32_t pos) { return slot_mem(c, pos); }
static x64_mem local_mem(const cg *c, uint32_t i) { return x64_base(RSP, 8 + 8 * c->lslot[i]); }
static x64_mem argptr_mem(void) { return x64_base(RSP, 0); }
static x64_mem ctx_mem(size_t off) { return x64_base(R14, (int32_t)off); }

static bool same_mem(x64_mem a, x64_mem b) { return a.base == b.base && a.index == b.index && a.disp == b.disp; }

/* Where a non-constant entry lives. */
static x64_rm ent_rm(const cg *c, const ent *e) {
  switch (e->kind) {
  case E_LOCAL: return c->lreg[e->local] >= 0 ? x64_r(c->lreg[e->local]) : x64_m(local_mem(c, e->local));
  case E_REG: return x64_r(e->reg);
  default: return x64_m(slot_mem(c, e->pos));
  }
}

/* Is entry e held in register r right now? */
static bool in_reg(const cg *c, const ent *e, int r) {
  if (e->kind == E_REG) return e->reg == r;
  return e->kind == E_LOCAL && c->lreg[e->local] == r;
}

static void xmov(cg *c, int dst, int src) { /* movaps */
  if (dst != src) x64_op_rm(&c->b, 0, 0x0F28, false, dst, x64_r(src));
}

static void xload(cg *c, wm_valtype t, int dst, x64_rm src) { /* movss / movsd */
  if (!src.is_mem) xmov(c, dst, src.reg);
  else x64_sse(&c->b, t == WASM_F32 ? 0xF3 : 0xF2, 0x10, false, dst, src);
}

static void load_g(cg *c, const ent *e, int dst) {
  bool w = aot_wide(e->type);
  if (e->kind == E_CONST) {
    x64_mov_imm(&c->b, w, dst, e->imm[0]);
    return;
  }
  x64_rm rm = ent_rm(c, e);
  if (!rm.is_mem && rm.reg == dst) return;
  x64_mov_load(&c->b, w, dst, rm);
}

static void load_x(cg *c, const ent *e, int dst) {
  if (e->kind == E_CONST) {
    if (e->imm[0] == 0) {
      x64_op_rm(&c->b, 0, 0x0F57, false, dst, x64_r(dst)); /* xorps */
    } else {
      x64_mov_imm(&c->b, true, RAX, e->imm[0]);
      x64_movq_xr(&c->b, true, dst, RAX);
    }
    return;
  }
  xload(c, e->type, dst, ent_rm(c, e));
}

static void t_load(cg *c, const ent *e, int reg) {
  if (aot_cls(e->type) == CL_X) load_x(c, e, reg);
  else load_g(c, e, reg);
}

/* Writes an entry's value (all 8 or 16 bytes) to memory. Uses r11. */
static void store_to(cg *c, const ent *e, x64_mem dst) {
  int cl = aot_cls(e->type);
  if (cl == CL_V) {
    if (e->kind == E_CONST) {
      for (int k = 0; k < 2; k++) {
        x64_mov_imm(&c->b, true, R11, e->imm[k]);
        x64_mem d = dst;
        d.disp += 8 * k;
        x64_mov_store(&c->b, true, d, R11);
      }
      return;
    }
    x64_mem src = e->kind == E_LOCAL ? local_mem(c, e->local) : slot_mem(c, e->pos);
    if (same_mem(src, dst)) return;
    for (int k = 0; k < 2; k++) {
      x64_mem s = src, d = dst;
      s.disp += 8 * k;
      d.disp += 8 * k;
      x64_mov_load(&c->b, true, R11, x64_m(s));
      x64_mov_store(&c->b, true, d, R11);
    }
    return;
  }
  if (e->kind == E_CONST) {
    int64_t v = (int64_t)e->imm[0];
    if (v >= INT32_MIN && v <= INT32_MAX) {
      x64_mov_store_imm32(&c->b, true, dst, (int32_t)v);
    } else {
      x64_mov_imm(&c->b, true, R11, e->imm[0]);
      x64_mov_store(&c->b, true, dst, R11);
    }
    return;
  }
  x64_rm rm = ent_rm(c, e);
  if (rm.is_mem) {
    if (same_mem(rm.mem, dst)) return;
    x64_mov_load(&c->b, true, R11, rm);
    x64_mov_store(&c->b, true, dst, R11);
  } else if (cl == CL_X) {
    x64_sse_store(&c->b, 0xF2, 0x11, rm.reg, dst); /* movsd: all 8 bytes */
  } else {
    x64_mov_store(&c->b, true, dst, rm.reg);
  }
}

static void t_store(cg *c, const ent *e, aot_place p) {
  switch (p.kind) {
  case PL_SLOT: store_to(c, e, slot_mem(c, p.index)); return;
  case PL_LOCAL: store_to(c, e, local_mem(c, (uint32_t)p.index)); return;
  case PL_RESULT:
    if (aot_result_in_reg(c->ft)) { /* the convention's result register */
      if (aot_cls(e->type) == CL_X) load_x(c, e, 0);
      else load_g(c, e, RAX);
      return;
    }
    x64_mov_load(&c->b, true, RDX, x64_m(argptr_mem()));
    store_to(c, e, x64_base(RDX, 8 * p.index));
    return;
  }
}

/* ---- C helpers and traps ------------------------------------------------------------ */

static void trap_jcc(cg *c, int cc, rt_trap_kind kind) { aot_add_site(c, &c->traps[kind], x64_jcc_rel32(&c->b, cc)); }

static void t_trap(cg *c, rt_trap_kind kind) { aot_add_site(c, &c->traps[kind], x64_jmp_rel32(&c->b)); }

/* Registers holding locals that a C call clobbers are saved around helper
 * calls, each to the slot of the first local living in it (locals with
 * disjoint lives may share a register: regalloc.c). */
static void save_volatile(cg *c, bool restore) {
  c->calls_c = true;
  uint32_t done_g = 0, done_x = 0;
  for (uint32_t i = 0; i < c->nlocals; i++) {
    int r = c->lreg[i];
    if (r < 0) continue;
    bool x = aot_cls(c->ltype[i]) == CL_X;
    uint32_t *done = x ? &done_x : &done_g;
    if ((!x && !(GPR_VOLATILE & (1u << r))) || (*done & (1u << r))) continue;
    *done |= 1u << r;
    x64_mem m = local_mem(c, i);
    if (x) {
      if (restore) x64_sse(&c->b, 0xF2, 0x10, false, r, x64_m(m));
      else x64_sse_store(&c->b, 0xF2, 0x11, r, m);
    } else if (restore) {
      x64_mov_load(&c->b, true, r, x64_m(m));
    } else {
      x64_mov_store(&c->b, true, m, r);
    }
  }
}

static void call_helper(cg *c, aot_helper h) {
  /* a helper that traps walks our frames from here (aot_capture_frames) */
  x64_mov_store(&c->b, true, ctx_mem(offsetof(aot_ctx, helper_sp)), RSP);
  x64_op_rm(&c->b, 0, 0xFF, false, 2, x64_m(ctx_mem(offsetof(aot_ctx, helpers) + 8 * (size_t)h)));
}

static void t_call_op(cg *c, wm_opcode op, int32_t p0, uint64_t a, uint64_t b) {
  save_volatile(c, false);
  x64_mov_rr(&c->b, true, RDI, R14);
  x64_lea(&c->b, true, RSI, slot_mem(c, p0));
  x64_mov_imm(&c->b, false, RDX, (uint64_t)op);
  x64_mov_imm(&c->b, true, RCX, a);
  x64_mov_imm(&c->b, true, R8, b);
  call_helper(c, AOT_H_OP);
  save_volatile(c, true);
}

/* ---- integer operators --------------------------------------------------------------- */

static bool commutative(wm_opcode op) {
  switch (op) {
  case OP_I32_ADD: case OP_I32_MUL: case OP_I32_AND: case OP_I32_OR: case OP_I32_XOR:
  case OP_I64_ADD: case OP_I64_MUL: case OP_I64_AND: case OP_I64_OR: case OP_I64_XOR:
  case OP_F32_ADD: case OP_F32_MUL: case OP_F64_ADD: case OP_F64_MUL: return true;
  default: return false;
  }
}

static int alu_ext(wm_opcode op) {
  switch (op) {
  case OP_I32_ADD: case OP_I64_ADD: return 0;
  case OP_I32_OR: case OP_I64_OR: return 1;
  case OP_I32_AND: case OP_I64_AND: return 4;
  case OP_I32_SUB: case OP_I64_SUB: return 5;
  case OP_I32_XOR: case OP_I64_XOR: return 6;
  default: return -1;
  }
}

static int shift_ext(wm_opcode op) {
  switch (op) {
  case OP_I32_ROTL: case OP_I64_ROTL: return 0;
  case OP_I32_ROTR: case OP_I64_ROTR: return 1;
  case OP_I32_SHL: case OP_I64_SHL: return 4;
  case OP_I32_SHR_U: case OP_I64_SHR_U: return 5;
  case OP_I32_SHR_S: case OP_I64_SHR_S: return 7;
  default: return -1;
  }
}

/* dst op= b (a variable shift count is already in cl). */
static void int_apply(cg *c, wm_opcode op, bool w, int dst, const ent *b) {
  int ext = alu_ext(op), sh = shift_ext(op);
  if (sh >= 0) {
    if (b->kind == E_CONST) x64_shift_imm(&c->b, sh, w, dst, (uint8_t)(b->imm[0] & (w ? 63 : 31)));
    else x64_shift_cl(&c->b, sh, w, dst);
    return;
  }
  if (b->kind == E_CONST) {
    int64_t v = w ? (int64_t)b->imm[0] : (int64_t)(int32_t)(uint32_t)b->imm[0];
    if (v >= INT32_MIN && v <= INT32_MAX) {
      if (ext >= 0) x64_alu_imm(&c->b, ext, w, x64_r(dst), (int32_t)v);
      else x64_imul_imm(&c->b, w, dst, x64_r(dst), (int32_t)v);
      return;
    }
    x64_mov_imm(&c->b, true, R11, b->imm[0]);
    if (ext >= 0) x64_alu_rm(&c->b, ext, w, dst, x64_r(R11));
    else x64_imul_rm(&c->b, w, dst, x64_r(R11));
    return;
  }
  if (ext >= 0) x64_alu_rm(&c->b, ext, w, dst, ent_rm(c, b));
  else x64_imul_rm(&c->b, w, dst, ent_rm(c, b));
}

static void t_int_binop(cg *c, wm_opcode op, int dst, const ent *a, const ent *b) {
  bool w = op >= OP_I64_CLZ && op <= OP_I64_ROTR;
  if (shift_ext(op) >= 0 && b->kind != E_CONST) load_g(c, b, RCX);
  bool a_in = in_reg(c, a, dst), b_in = in_reg(c, b, dst);
  if (b_in && !a_in) { /* dst is the local b reads: compute aside unless the order does not matter */
    if (commutative(op)) {
      int_apply(c, op, w, dst, a);
    } else {
      load_g(c, a, R11);
      int_apply(c, op, w, R11, b);
      x64_mov_rr(&c->b, w, dst, R11);
    }
    return;
  }
  if (!a_in) load_g(c, a, dst);
  int_apply(c, op, w, dst, b);
}

static int int_cc(wm_opcode op) {
  switch (op) {
  case OP_I32_EQ: case OP_I64_EQ: return CC_E;
  case OP_I32_NE: case OP_I64_NE: return CC_NE;
  case OP_I32_LT_S: case OP_I64_LT_S: return CC_L;
  case OP_I32_LT_U: case OP_I64_LT_U: return CC_B;
  case OP_I32_GT_S: case OP_I64_GT_S: return CC_G;
  case OP_I32_GT_U: case OP_I64_GT_U: return CC_A;
  case OP_I32_LE_S: case OP_I64_LE_S: return CC_LE;
  case OP_I32_LE_U: case OP_I64_LE_U: return CC_BE;
  case OP_I32_GE_S: case OP_I64_GE_S: return CC_GE;
  default: return CC_AE;
  }
}

static int float_compare(cg *c, wm_opcode op, const ent *a, const ent *b);

static int t_compare(cg *c, wm_opcode op, const ent *a, const ent *b) {
  if (op >= OP_F32_EQ && op <= OP_F64_GE) return float_compare(c, op, a, b);
  bool w = op >= OP_I64_EQZ && op <= OP_I64_GE_U;
  x64_rm ra;
  if (a->kind == E_CONST) {
    load_g(c, a, R11);
    ra = x64_r(R11);
  } else {
    ra = ent_rm(c, a);
  }
  if (b->kind == E_CONST) {
    int64_t v = w ? (int64_t)b->imm[0] : (int64_t)(int32_t)(uint32_t)b->imm[0];
    if (v >= INT32_MIN && v <= INT32_MAX) {
      x64_alu_imm(&c->b, 7, w, ra, (int32_t)v);
    } else {
      x64_mov_imm(&c->b, true, RAX, b->imm[0]);
      x64_alu_mr(&c->b, 7, w, ra, RAX);
    }
  } else {
    x64_rm rb = ent_rm(c, b);
    if (rb.is_mem) {
      if (ra.is_mem) {
        x64_mov_load(&c->b, w, R11, ra);
        ra = x64_r(R11);
      }
      x64_alu_rm(&c->b, 7, w, ra.reg, rb);
    } else {
      x64_alu_mr(&c->b, 7, w, ra, rb.reg);
    }
  }
  return int_cc(op);
}

static int t_test(cg *c, const ent *a, bool w) {
  if (a->kind == E_CONST) {
    load_g(c, a, R11);
    x64_test_rr(&c->b, w, R11, R11);
  } else {
    x64_rm ra = ent_rm(c, a);
    if (ra.is_mem) {
      x64_op_rm(&c->b, 0, 0x83, w, 7, ra); /* cmp [m], 0 */
      x64_byte(&c->b, 0);
    } else {
      x64_test_rr(&c->b, w, ra.reg, ra.reg);
    }
  }
  return CC_NE;
}

static int t_invert(int cond) { return cond ^ 1; }

static void t_set_cond(cg *c, int cond, int dst) {
  x64_setcc(&c->b, cond, dst);
  x64_movzx8(&c->b, dst, x64_r(dst));
}

static void t_divrem(cg *c, wm_opcode op, int dst, const ent *a, const ent *b) {
  bool w = op >= OP_I64_DIV_S;
  bool sgn = op == OP_I32_DIV_S || op == OP_I32_REM_S || op == OP_I64_DIV_S || op == OP_I64_REM_S;
  bool rem = op == OP_I32_REM_S || op == OP_I32_REM_U || op == OP_I64_REM_S || op == OP_I64_REM_U;
  /* A constant divisor makes checks redundant: no zero test unless it is 0,
   * no -1 special case unless it is -1. */
  bool kb = b->kind == E_CONST;
  uint64_t bv = w ? b->imm[0] : (uint32_t)b->imm[0];
  bool maybe_zero = !kb || bv == 0, maybe_minus1 = !kb || bv == (w ? UINT64_MAX : UINT32_MAX);
  load_g(c, b, RCX);
  load_g(c, a, RAX);
  if (maybe_zero) {
    x64_test_rr(&c->b, w, RCX, RCX);
    trap_jcc(c, CC_E, WRUN_TRAP_DIV_ZERO);
  }
  size_t done = 0;
  if (sgn && !maybe_minus1) {
    x64_cdq(&c->b, w);
    x64_unary(&c->b, 7, w, x64_r(RCX));
  } else if (sgn) {
    x64_alu_imm(&c->b, 7, w, x64_r(RCX), -1);
    size_t normal = x64_jcc_rel32(&c->b, CC_NE);
    if (rem) { /* x rem -1 is 0 (and INT_MIN rem -1 must not fault) */
      x64_mov_imm(&c->b, false, RDX, 0);
      done = x64_jmp_rel32(&c->b);
    } else { /* INT_MIN / -1 overflows */
      if (w) {
        x64_mov_imm(&c->b, true, R11, UINT64_C(0x8000000000000000));
        x64_alu_rm(&c->b, 7, true, RAX, x64_r(R11));
      } else {
        x64_alu_imm(&c->b, 7, false, x64_r(RAX), INT32_MIN);
      }
      trap_jcc(c, CC_E, WRUN_TRAP_INT_OVERFLOW);
    }
    x64_patch_rel32(&c->b, normal, c->b.n);
    x64_cdq(&c->b, w);
    x64_unary(&c->b, 7, w, x64_r(RCX));
  } else {
    x64_mov_imm(&c->b, false, RDX, 0);
    x64_unary(&c->b, 6, w, x64_r(RCX));
  }
  if (done) x64_patch_rel32(&c->b, done, c->b.n);
  x64_mov_rr(&c->b, w, dst, rem ? RDX : RAX);
}

/* ---- floating point ------------------------------------------------------------------ */

static uint8_t fpfx(bool dbl) { return dbl ? 0xF2 : 0xF3; }

/* An SSE source operand: register, memory, or a constant loaded into xmm15. */
static x64_rm xsrc(cg *c, const ent *e) {
  if (e->kind == E_CONST) {
    load_x(c, e, XMM_S2);
    return x64_r(XMM_S2);
  }
  return ent_rm(c, e);
}

static void float_minmax(cg *c, bool dbl, bool max, int dst, const ent *b) {
  load_x(c, b, XMM_S2);
  uint8_t p66 = dbl ? 0x66 : 0;
  x64_sse(&c->b, p66, 0x2E, false, dst, x64_r(XMM_S2)); /* ucomis */
  size_t nan = x64_jcc_rel32(&c->b, CC_P);
  size_t ne = x64_jcc_rel32(&c->b, CC_NE);
  /* equal: only the sign of zero can differ; or/and the bits */
  x64_sse(&c->b, p66, max ? 0x54 : 0x56, false, dst, x64_r(XMM_S2));
  size_t d1 = x64_jmp_rel32(&c->b);
  x64_patch_rel32(&c->b, nan, c->b.n);
  x64_sse(&c->b, fpfx(dbl), 0x58, false, dst, x64_r(XMM_S2)); /* NaN + x: a quiet NaN */
  size_t d2 = x64_jmp_rel32(&c->b);
  x64_patch_rel32(&c->b, ne, c->b.n);
  x64_sse(&c->b, fpfx(dbl), max ? 0x5F : 0x5D, false, dst, x64_r(XMM_S2));
  x64_patch_rel32(&c->b, d1, c->b.n);
  x64_patch_rel32(&c->b, d2, c->b.n);
}

static void float_apply(cg *c, wm_opcode op, bool dbl, int dst, const ent *b) {
  uint8_t code;
  switch (op) {
  case OP_F32_ADD: case OP_F64_ADD: code = 0x58; break;
  case OP_F32_SUB: case OP_F64_SUB: code = 0x5C; break;
  case OP_F32_MUL: case OP_F64_MUL: code = 0x59; break;
  case OP_F32_DIV: case OP_F64_DIV: code = 0x5E; break;
  case OP_F32_MIN: case OP_F64_MIN: float_minmax(c, dbl, false, dst, b); return;
  case OP_F32_MAX: case OP_F64_MAX: float_minmax(c, dbl, true, dst, b); return;
  default: { /* copysign, on the bits */
    bool w = dbl;
    x64_movq_rx(&c->b, w, RAX, dst);
    if (b->kind == E_CONST) x64_mov_imm(&c->b, w, RCX, b->imm[0]);
    else if (ent_rm(c, b).is_mem) x64_mov_load(&c->b, w, RCX, ent_rm(c, b));
    else x64_movq_rx(&c->b, w, RCX, ent_rm(c, b).reg);
    x64_mov_imm(&c->b, w, R11, w ? UINT64_C(0x7FFFFFFFFFFFFFFF) : 0x7FFFFFFFu);
    x64_alu_rm(&c->b, 4, w, RAX, x64_r(R11));
    x64_unary(&c->b, 2, w, x64_r(R11));
    x64_alu_rm(&c->b, 4, w, RCX, x64_r(R11));
    x64_alu_rm(&c->b, 1, w, RAX, x64_r(RCX));
    x64_movq_xr(&c->b, w, dst, RAX);
    return;
  }
  }
  x64_sse(&c->b, fpfx(dbl), code, false, dst, xsrc(c, b));
}

static void t_float_binop(cg *c, wm_opcode op, int dst, const ent *a, const ent *b) {
  bool dbl = op >= OP_F64_ABS;
  bool a_in = in_reg(c, a, dst), b_in = in_reg(c, b, dst);
  if (b_in && !a_in) {
    if (commutative(op)) {
      float_apply(c, op, dbl, dst, a);
    } else {
      load_x(c, a, XMM_S1);
      float_apply(c, op, dbl, XMM_S1, b);
      xmov(c, dst, XMM_S1);
    }
    return;
  }
  if (!a_in) load_x(c, a, dst);
  float_apply(c, op, dbl, dst, b);
}

static int float_compare(cg *c, wm_opcode op, const ent *a, const ent *b) {
  bool dbl = op >= OP_F64_EQ;
  uint8_t p66 = dbl ? 0x66 : 0;
  /* lt/le compare the other way round so that "above" (false when unordered) works */
  bool swap = op == OP_F32_LT || op == OP_F64_LT || op == OP_F32_LE || op == OP_F64_LE;
  const ent *l = swap ? b : a, *r = swap ? a : b;
  load_x(c, l, XMM_S1);
  x64_sse(&c->b, p66, 0x2E, false, XMM_S1, xsrc(c, r));
  switch (op) {
  case OP_F32_EQ: case OP_F64_EQ: /* ZF=1 and PF=0 */
  case OP_F32_NE: case OP_F64_NE: { /* ZF=0 or PF=1 */
    bool eq = op == OP_F32_EQ || op == OP_F64_EQ;
    x64_setcc(&c->b, eq ? CC_E : CC_NE, RAX);
    x64_setcc(&c->b, eq ? CC_NP : CC_P, RCX);
    x64_op_rm8(&c->b, eq ? 0x20 : 0x08, RCX, x64_r(RAX)); /* and/or al, cl */
    x64_op_rm8(&c->b, 0x84, RAX, x64_r(RAX));             /* test al, al */
    return CC_NE;
  }
  case OP_F32_LT: case OP_F64_LT: case OP_F32_GT: case OP_F64_GT: return CC_A;
  default: return CC_AE;
  }
}

/* ---- unary operators ------------------------------------------------------------------ */

static bool t_has_unop(wm_opcode op) {
  switch (op) {
  case OP_I32_CLZ: case OP_I64_CLZ: case OP_I32_CTZ: case OP_I64_CTZ: case OP_I32_POPCNT: case OP_I64_POPCNT:
  case OP_I32_EXTEND8_S: case OP_I32_EXTEND16_S: case OP_I64_EXTEND8_S: case OP_I64_EXTEND16_S:
  case OP_I64_EXTEND32_S: case OP_I64_EXTEND_I32_S: case OP_I64_EXTEND_I32_U: case OP_I32_WRAP_I64:
  case OP_F32_ABS: case OP_F64_ABS: case OP_F32_NEG: case OP_F64_NEG: case OP_F32_SQRT: case OP_F64_SQRT:
  case OP_F32_CEIL: case OP_F64_CEIL: case OP_F32_FLOOR: case OP_F64_FLOOR: case OP_F32_TRUNC: case OP_F64_TRUNC:
  case OP_F32_NEAREST: case OP_F64_NEAREST: case OP_F32_DEMOTE_F64: case OP_F64_PROMOTE_F32:
  case OP_F32_CONVERT_I32_S: case OP_F32_CONVERT_I32_U: case OP_F32_CONVERT_I64_S:
  case OP_F64_CONVERT_I32_S: case OP_F64_CONVERT_I32_U: case OP_F64_CONVERT_I64_S:
  case OP_I32_REINTERPRET_F32: case OP_I64_REINTERPRET_F64: case OP_F32_REINTERPRET_I32:
  case OP_F64_REINTERPRET_I64: case OP_F32_CONVERT_I64_U: case OP_F64_CONVERT_I64_U:
#define TR(id, ...) case OP_##id:
  SEM_TRUNC_OPS(TR)
#undef TR
    return true;
  default: return false; /* saturating truncations: the helper */
  }
}

static uint64_t f64_bits(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}

/* Trapping float -> int: NaN is an invalid conversion; outside (lo, hi) an
 * overflow (the bounds come from semantics/ops.h, as the interpreter's). */
static void trunc_checked(cg *c, wm_opcode op, int r, const ent *a, double lo, double hi) {
  bool from64 = aot_wide(a->type);
  bool to64 = op == OP_I64_TRUNC_F32_S || op == OP_I64_TRUNC_F64_S || op == OP_I64_TRUNC_F32_U ||
              op == OP_I64_TRUNC_F64_U;
  bool uns = op == OP_I32_TRUNC_F32_U || op == OP_I32_TRUNC_F64_U || op == OP_I64_TRUNC_F32_U ||
             op == OP_I64_TRUNC_F64_U;
  load_x(c, a, XMM_S1);
  if (!from64) x64_sse(&c->b, 0xF3, 0x5A, false, XMM_S1, x64_r(XMM_S1)); /* exact widening */
  x64_sse(&c->b, 0x66, 0x2E, false, XMM_S1, x64_r(XMM_S1));
  trap_jcc(c, CC_P, WRUN_TRAP_INVALID_CONVERSION);
  x64_mov_imm(&c->b, true, RAX, f64_bits(lo));
  x64_movq_xr(&c->b, true, XMM_S2, RAX);
  x64_sse(&c->b, 0x66, 0x2E, false, XMM_S1, x64_r(XMM_S2));
  trap_jcc(c, CC_BE, WRUN_TRAP_INT_OVERFLOW);
  x64_mov_imm(&c->b, true, RAX, f64_bits(hi));
  x64_movq_xr(&c->b, true, XMM_S2, RAX);
  x64_sse(&c->b, 0x66, 0x2E, false, XMM_S1, x64_r(XMM_S2));
  trap_jcc(c, CC_AE, WRUN_TRAP_INT_OVERFLOW);
  if (!(to64 && uns)) { /* in range of a signed 64-bit conversion */
    x64_sse(&c->b, 0xF2, 0x2C, to64 || uns, r, x64_r(XMM_S1)); /* cvttsd2si */
    if (uns && !to64) x64_mov_rr(&c->b, false, r, r);
    return;
  }
  /* u64: values >= 2^63 are converted after subtracting 2^63 */
  x64_mov_imm(&c->b, true, RAX, f64_bits(9223372036854775808.0));
  x64_movq_xr(&c->b, true, XMM_S2, RAX);
  x64_sse(&c->b, 0x66, 0x2E, false, XMM_S1, x64_r(XMM_S2));
  size_t big = x64_jcc_rel32(&c->b, CC_AE);
  x64_sse(&c->b, 0xF2, 0x2C, true, r, x64_r(XMM_S1));
  size_t done = x64_jmp_rel32(&c->b);
  x64_patch_rel32(&c->b, big, c->b.n);
  x64_sse(&c->b, 0xF2, 0x5C, false, XMM_S1, x64_r(XMM_S2)); /* subsd */
  x64_sse(&c->b, 0xF2, 0x2C, true, r, x64_r(XMM_S1));
  x64_mov_imm(&c->b, true, RAX, UINT64_C(0x8000000000000000));
  x64_alu_rm(&c->b, 6, true, r, x64_r(RAX));
  x64_patch_rel32(&c->b, done, c->b.n);
}

/* Same-class operators work in place (dst holds a); conversions across
 * classes read a wherever it is. */
static void t_unop(cg *c, wm_opcode op, int r, const ent *a) {
  bool w = aot_wide(a->type);
  switch (op) {
  case OP_I32_CLZ: case OP_I64_CLZ:
    x64_mov_imm(&c->b, false, R11, w ? 127 : 63);
    x64_bitscan(&c->b, 0x0FBD, w, r, x64_r(r));
    x64_cmov(&c->b, CC_E, w, r, x64_r(R11));
    x64_alu_imm(&c->b, 6, w, x64_r(r), w ? 63 : 31);
    return;
  case OP_I32_CTZ: case OP_I64_CTZ:
    x64_mov_imm(&c->b, false, R11, w ? 64 : 32);
    x64_bitscan(&c->b, 0x0FBC, w, r, x64_r(r));
    x64_cmov(&c->b, CC_E, w, r, x64_r(R11));
    return;
  case OP_I32_POPCNT: case OP_I64_POPCNT: x64_popcnt(&c->b, w, r, x64_r(r)); return;
  case OP_I32_EXTEND8_S: x64_movsx8(&c->b, false, r, x64_r(r)); return;
  case OP_I32_EXTEND16_S: x64_movsx16(&c->b, false, r, x64_r(r)); return;
  case OP_I64_EXTEND8_S: x64_movsx8(&c->b, true, r, x64_r(r)); return;
  case OP_I64_EXTEND16_S: x64_movsx16(&c->b, true, r, x64_r(r)); return;
  case OP_I64_EXTEND32_S: case OP_I64_EXTEND_I32_S: x64_movsxd(&c->b, r, x64_r(r)); return;
  case OP_I64_EXTEND_I32_U: case OP_I32_WRAP_I64: x64_mov_rr(&c->b, false, r, r); return;
  case OP_F32_ABS: case OP_F64_ABS: case OP_F32_NEG: case OP_F64_NEG: {
    bool neg = op == OP_F32_NEG || op == OP_F64_NEG;
    x64_movq_rx(&c->b, w, RAX, r);
    if (neg) x64_mov_imm(&c->b, w, R11, w ? UINT64_C(0x8000000000000000) : 0x80000000u);
    else x64_mov_imm(&c->b, w, R11, w ? UINT64_C(0x7FFFFFFFFFFFFFFF) : 0x7FFFFFFFu);
    x64_alu_rm(&c->b, neg ? 6 : 4, w, RAX, x64_r(R11));
    x64_movq_xr(&c->b, w, r, RAX);
    return;
  }
  case OP_F32_SQRT: case OP_F64_SQRT: x64_sse(&c->b, fpfx(w), 0x51, false, r, x64_r(r)); return;
  case OP_F32_CEIL: case OP_F64_CEIL: x64_round(&c->b, w, r, r, 2 | 8); return;
  case OP_F32_FLOOR: case OP_F64_FLOOR: x64_round(&c->b, w, r, r, 1 | 8); return;
  case OP_F32_TRUNC: case OP_F64_TRUNC: x64_round(&c->b, w, r, r, 3 | 8); return;
  case OP_F32_NEAREST: case OP_F64_NEAREST: x64_round(&c->b, w, r, r, 0 | 8); return;
  case OP_F32_DEMOTE_F64: x64_sse(&c->b, 0xF2, 0x5A, false, r, x64_r(r)); return;
  case OP_F64_PROMOTE_F32: x64_sse(&c->b, 0xF3, 0x5A, false, r, x64_r(r)); return;
  case OP_F32_CONVERT_I32_S: case OP_F32_CONVERT_I32_U: case OP_F32_CONVERT_I64_S:
  case OP_F64_CONVERT_I32_S: case OP_F64_CONVERT_I32_U: case OP_F64_CONVERT_I64_S: {
    bool dbl = op >= OP_F64_CONVERT_I32_S;
    /* a u32 is converted as the (zero-extended) i64 it equals: exact */
    bool w64 = op == OP_F32_CONVERT_I64_S || op == OP_F64_CONVERT_I64_S || op == OP_F32_CONVERT_I32_U ||
               op == OP_F64_CONVERT_I32_U;
    load_g(c, a, RAX);
    x64_op_rm(&c->b, 0, 0x0F57, false, r, x64_r(r)); /* xorps: no false dependency */
    x64_sse(&c->b, fpfx(dbl), 0x2A, w64, r, x64_r(RAX));
    return;
  }
#define TR(id, ta, tr, lo, hi) case OP_##id: trunc_checked(c, op, r, a, lo, hi); return;
  SEM_TRUNC_OPS(TR)
#undef TR
  case OP_F32_CONVERT_I64_U: case OP_F64_CONVERT_I64_U: {
    /* below 2^63: the signed conversion; above: halve (keeping the low bit
     * so rounding is unchanged), convert, double */
    bool dbl = op == OP_F64_CONVERT_I64_U;
    load_g(c, a, RAX);
    x64_op_rm(&c->b, 0, 0x0F57, false, r, x64_r(r));
    x64_test_rr(&c->b, true, RAX, RAX);
    size_t neg = x64_jcc_rel32(&c->b, CC_S);
    x64_sse(&c->b, fpfx(dbl), 0x2A, true, r, x64_r(RAX));
    size_t done = x64_jmp_rel32(&c->b);
    x64_patch_rel32(&c->b, neg, c->b.n);
    x64_mov_rr(&c->b, true, RCX, RAX);
    x64_shift_imm(&c->b, 5, true, RAX, 1);
    x64_alu_imm(&c->b, 4, true, x64_r(RCX), 1);
    x64_alu_rm(&c->b, 1, true, RAX, x64_r(RCX));
    x64_sse(&c->b, fpfx(dbl), 0x2A, true, r, x64_r(RAX));
    x64_sse(&c->b, fpfx(dbl), 0x58, false, r, x64_r(r));
    x64_patch_rel32(&c->b, done, c->b.n);
    return;
  }
  case OP_I32_REINTERPRET_F32: case OP_I64_REINTERPRET_F64:
    if (a->kind == E_CONST) x64_mov_imm(&c->b, w, r, a->imm[0]);
    else if (ent_rm(c, a).is_mem) x64_mov_load(&c->b, w, r, ent_rm(c, a));
    else x64_movq_rx(&c->b, w, r, ent_rm(c, a).reg);
    return;
  case OP_F32_REINTERPRET_I32: case OP_F64_REINTERPRET_I64:
    if (a->kind == E_CONST) {
      x64_mov_imm(&c->b, w, RAX, a->imm[0]);
      x64_movq_xr(&c->b, w, r, RAX);
    } else if (ent_rm(c, a).is_mem) {
      xload(c, w ? WASM_F64 : WASM_F32, r, ent_rm(c, a));
    } else {
      x64_movq_xr(&c->b, w, r, ent_rm(c, a).reg);
    }
    return;
  default: aot_fail(c, "internal error: unary operator"); return;
  }
}

static void t_select(cg *c, wm_valtype t, int dst, const ent *b, int cond) {
  if (aot_cls(t) == CL_G) {
    if (b->kind == E_CONST) {
      load_g(c, b, R11);
      x64_cmov(&c->b, cond ^ 1, aot_wide(t), dst, x64_r(R11));
    } else {
      x64_cmov(&c->b, cond ^ 1, aot_wide(t), dst, ent_rm(c, b));
    }
    return;
  }
  size_t keep = x64_jcc_rel32(&c->b, cond);
  load_x(c, b, dst);
  x64_patch_rel32(&c->b, keep, c->b.n);
}

/* ---- memory ---------------------------------------------------------------------------- */

/* The operand for an access of `size` bytes at a + offset. May use r11 (and
 * rax, rdx while computing). */
x64_mem x64_address(cg *c, const ent *a, uint64_t offset, uint32_t size) {
  if (c->in->bounds_checks) {
    if (a->kind == E_CONST) x64_mov_imm(&c->b, false, R11, a->imm[0]);
    else x64_mov_load(&c->b, false, R11, ent_rm(c, a));
    x64_mov_imm(&c->b, true, RAX, offset + size);
    x64_alu_rm(&c->b, 0, true, RAX, x64_r(R11));
    x64_mov_load(&c->b, true, RDX, x64_m(ctx_mem(offsetof(aot_ctx, mem0))));
    x64_alu_rm(&c->b, 7, true, RAX, x64_m(x64_base(RDX, (int32_t)offsetof(rt_memory, size))));
    trap_jcc(c, CC_A, WRUN_TRAP_MEMORY_OOB);
    if (offset <= INT32_MAX) return x64_bidx(R15, R11, 1, (int32_t)offset);
    x64_mov_imm(&c->b, true, RAX, offset);
    x64_alu_rm(&c->b, 0, true, R11, x64_r(RAX));
    return x64_bidx(R15, R11, 1, 0);
  }
  if (a->kind == E_CONST) {
    uint64_t ea = (uint32_t)a->imm[0] + offset;
    if (ea <= INT32_MAX) return x64_base(R15, (int32_t)ea);
    x64_mov_imm(&c->b, true, R11, ea);
    return x64_bidx(R15, R11, 1, 0);
  }
  x64_rm rm = ent_rm(c, a);
  int idx;
  if (rm.is_mem) {
    x64_mov_load(&c->b, false, R11, rm);
    idx = R11;
  } else {
    idx = rm.reg;
  }
  if (offset <= INT32_MAX) return x64_bidx(R15, idx, 1, (int32_t)offset);
  if (idx != R11) x64_mov_rr(&c->b, false, R11, idx);
  x64_mov_imm(&c->b, true, RAX, offset);
  x64_alu_rm(&c->b, 0, true, R11, x64_r(RAX));
  return x64_bidx(R15, R11, 1, 0);
}

static void t_load_mem(cg *c, wm_opcode op, int r, const ent *a, uint64_t offset) {
  x64_rm s = x64_m(x64_address(c, a, offset, 1u << wm_opinfos[op].arg));
  switch (op) {
  case OP_I32_LOAD: case OP_I64_LOAD32_U: x64_mov_load(&c->b, false, r, s); break;
  case OP_I64_LOAD: x64_mov_load(&c->b, true, r, s); break;
  case OP_F32_LOAD: x64_sse(&c->b, 0xF3, 0x10, false, r, s); break;
  case OP_F64_LOAD: x64_sse(&c->b, 0xF2, 0x10, false, r, s); break;
  case OP_I32_LOAD8_S: x64_movsx8(&c->b, false, r, s); break;
  case OP_I64_LOAD8_S: x64_movsx8(&c->b, true, r, s); break;
  case OP_I32_LOAD8_U: case OP_I64_LOAD8_U: x64_movzx8(&c->b, r, s); break;
  case OP_I32_LOAD16_S: x64_movsx16(&c->b, false, r, s); break;
  case OP_I64_LOAD16_S: x64_movsx16(&c->b, true, r, s); break;
  case OP_I32_LOAD16_U: case OP_I64_LOAD16_U: x64_movzx16(&c->b, r, s); break;
  case OP_I64_LOAD32_S: x64_movsxd(&c->b, r, s); break;
  default: aot_fail(c, "internal error: load"); break;
  }
}

static void t_store_mem(cg *c, wm_opcode op, const ent *a, const ent *v, uint64_t offset) {
  uint32_t size = 1u << wm_opinfos[op].arg;
  /* the value goes to rcx/xmm15 unless it already sits in a register */
  int vr = -1;
  bool fl = v->type == WASM_F32 || v->type == WASM_F64;
  if (v->kind != E_CONST) {
    x64_rm rm = ent_rm(c, v);
    if (!rm.is_mem) vr = rm.reg;
  }
  if (vr < 0 && v->kind != E_CONST) {
    if (fl) {
      load_x(c, v, XMM_S2);
      vr = XMM_S2;
    } else {
      load_g(c, v, RCX);
      vr = RCX;
    }
  }
  x64_mem m = x64_address(c, a, offset, size);
  if (v->kind == E_CONST && (size < 8 || ((int64_t)v->imm[0] >= INT32_MIN && (int64_t)v->imm[0] <= INT32_MAX))) {
    uint32_t k = (uint32_t)v->imm[0];
    if (size == 1) {
      x64_op_rm(&c->b, 0, 0xC6, false, 0, x64_m(m));
      x64_byte(&c->b, (uint8_t)k);
    } else if (size == 2) {
      x64_op_rm(&c->b, 0x66, 0xC7, false, 0, x64_m(m));
      x64_byte(&c->b, (uint8_t)k);
      x64_byte(&c->b, (uint8_t)(k >> 8));
    } else {
      x64_mov_store_imm32(&c->b, size == 8, m, (int32_t)k);
    }
    return;
  }
  if (v->kind == E_CONST) {
    x64_mov_imm(&c->b, true, RCX, v->imm[0]);
    vr = RCX;
    fl = false;
  }
  if (fl) x64_sse_store(&c->b, size == 4 ? 0xF3 : 0xF2, 0x11, vr, m);
  else if (size == 1) x64_store8(&c->b, m, vr);
  else if (size == 2) x64_store16(&c->b, m, vr);
  else x64_mov_store(&c->b, size == 8, m, vr);
}

/* ---- variables ------------------------------------------------------------------------ */

static void global_addr(cg *c, uint32_t g) {
  x64_mov_load(&c->b, true, R11, x64_m(ctx_mem(offsetof(aot_ctx, globals))));
  x64_mov_load(&c->b, true, R11, x64_m(x64_base(R11, (int32_t)(8 * g))));
}

static void t_global_get(cg *c, uint32_t g, const ent *dst) {
  size_t val = offsetof(rt_global, val);
  global_addr(c, g);
  if (dst->kind == E_SLOT) { /* v128 */
    for (int k = 0; k < 2; k++) {
      x64_mov_load(&c->b, true, RAX, x64_m(x64_base(R11, (int32_t)(val + 8 * (size_t)k))));
      x64_mem d = slot_mem(c, dst->pos);
      d.disp += 8 * k;
      x64_mov_store(&c->b, true, d, RAX);
    }
    return;
  }
  x64_mem m = x64_base(R11, (int32_t)val);
  if (aot_cls(dst->type) == CL_X) xload(c, dst->type, dst->reg, x64_m(m));
  else x64_mov_load(&c->b, aot_wide(dst->type), dst->reg, x64_m(m));
}

static void t_global_set(cg *c, uint32_t g, const ent *v) {
  size_t val = offsetof(rt_global, val);
  if (aot_cls(v->type) == CL_V) { /* in its slot */
    global_addr(c, g);
    for (int k = 0; k < 2; k++) {
      x64_mem s = slot_mem(c, v->pos);
      s.disp += 8 * k;
      x64_mov_load(&c->b, true, RAX, x64_m(s));
      x64_mov_store(&c->b, true, x64_base(R11, (int32_t)(val + 8 * (size_t)k)), RAX);
    }
    return;
  }
  if (v->kind == E_CONST || ent_rm(c, v).is_mem) {
    if (v->kind == E_CONST) x64_mov_imm(&c->b, true, RAX, v->imm[0]);
    else x64_mov_load(&c->b, true, RAX, ent_rm(c, v));
    global_addr(c, g);
    x64_mov_store(&c->b, true, x64_base(R11, (int32_t)val), RAX);
    return;
  }
  global_addr(c, g);
  int r = ent_rm(c, v).reg;
  if (aot_cls(v->type) == CL_X) x64_sse_store(&c->b, 0xF2, 0x11, r, x64_base(R11, (int32_t)val));
  else x64_mov_store(&c->b, true, x64_base(R11, (int32_t)val), r);
}

static void t_ref_func(cg *c, uint32_t f, int r) {
  x64_mov_load(&c->b, true, r, x64_m(ctx_mem(offsetof(aot_ctx, funcs))));
  x64_mov_load(&c->b, true, r, x64_m(x64_base(r, (int32_t)(8 * f))));
}

/* ---- control ---------------------------------------------------------------------------- */

static size_t t_jump(cg *c) { return x64_jmp_rel32(&c->b); }
static size_t t_jump_if(cg *c, int cond) { return x64_jcc_rel32(&c->b, cond); }
static void t_patch(cg *c, size_t site, size_t target) { x64_patch_rel32(&c->b, site, target); }

static void t_align_loop(cg *c) { x64_nops(&c->b, (16 - c->b.n % 16) % 16); }

static void t_interrupt_check(cg *c) {
  x64_mov_load(&c->b, true, R11, x64_m(ctx_mem(offsetof(aot_ctx, interrupt))));
  x64_op_rm(&c->b, 0, 0x83, false, 7, x64_m(x64_base(R11, 0))); /* cmp dword [r11], 0 */
  x64_byte(&c->b, 0);
  trap_jcc(c, CC_NE, WRUN_TRAP_TIMEOUT);
}

static size_t t_table_jump(cg *c, const ent *idx, uint32_t n) {
  load_g(c, idx, RCX);
  x64_alu_imm(&c->b, 7, false, x64_r(RCX), (int32_t)n);
  x64_mov_imm(&c->b, false, R11, n);
  x64_cmov(&c->b, CC_AE, false, RCX, x64_r(R11));
  size_t lea = x64_lea_rip(&c->b, R11);
  x64_movsxd(&c->b, RCX, x64_m(x64_bidx(R11, RCX, 4, 0)));
  x64_alu_rm(&c->b, 0, true, RCX, x64_r(R11));
  x64_jmp_r(&c->b, RCX);
  size_t table = c->b.n;
  for (uint32_t i = 0; i <= n; i++) x64_u32(&c->b, 0);
  x64_patch_rel32(&c->b, lea, table);
  return table;
}

static void t_table_entry(cg *c, size_t table, uint32_t i, size_t target) {
  int32_t rel = (int32_t)((int64_t)target - (int64_t)table);
  if (!c->b.oom) memcpy(c->b.p + table + 4 * (size_t)i, &rel, 4);
}

/* ---- calls -------------------------------------------------------------------------------- */

static void t_call_import(cg *c, uint32_t fidx, int32_t p0) {
  save_volatile(c, false);
  x64_mov_rr(&c->b, true, RDI, R14);
  x64_mov_load(&c->b, true, RSI, x64_m(ctx_mem(offsetof(aot_ctx, funcs))));
  x64_mov_load(&c->b, true, RSI, x64_m(x64_base(RSI, (int32_t)(8 * fidx))));
  x64_lea(&c->b, true, RDX, slot_mem(c, p0));
  call_helper(c, AOT_H_CALL);
  save_volatile(c, true);
}

/* Loads the register arguments: from entries, or (args NULL) from the slots. */
static void load_arg_regs(cg *c, int32_t p0, const ent *args, uint32_t nargs, const wm_functype *ft) {
  int32_t pos = p0;
  for (uint32_t i = 0; i < nargs; i++) {
    wm_valtype t = wm_functype_params(ft)[i];
    int32_t rel = pos - p0;
    if (aot_arg_in_reg(&aot_target_x64, rel, t)) {
      bool x = aot_cls(t) == CL_X;
      int to = x ? arg_xmm[rel] : arg_gpr[rel];
      if (args && x) load_x(c, &args[i], to);
      else if (args) load_g(c, &args[i], to);
      else if (x) x64_sse(&c->b, 0xF2, 0x10, false, to, x64_m(slot_mem(c, pos)));
      else x64_mov_load(&c->b, aot_wide(t), to, x64_m(slot_mem(c, pos)));
    }
    pos += aot_width(t);
  }
}

static void t_call_internal(cg *c, uint32_t fidx, int32_t p0, const ent *args, uint32_t nargs) {
  load_arg_regs(c, p0, args, nargs, wm_module_func_type(c->m, fidx));
  x64_lea(&c->b, true, RAX, slot_mem(c, p0));
  aot_add_reloc(c, x64_call_rel32(&c->b), fidx);
}

static void t_take_result(cg *c, wm_valtype t, int reg) {
  if (aot_cls(t) == CL_X) xmov(c, reg, 0);
  else x64_mov_rr(&c->b, aot_wide(t), reg, RAX);
}

static void t_call_indirect(cg *c, uint32_t typeidx, uint32_t table, const ent *idx, int32_t p0) {
  load_g(c, idx, RCX);
  /* fast path: compiled code of this instance with the very same type */
  x64_mov_load(&c->b, true, R11, x64_m(ctx_mem(offsetof(aot_ctx, tables))));
  x64_mov_load(&c->b, true, R11, x64_m(x64_base(R11, (int32_t)(8 * table))));
  x64_alu_rm(&c->b, 7, true, RCX, x64_m(x64_base(R11, (int32_t)offsetof(rt_table, size))));
  size_t slow[5];
  slow[0] = x64_jcc_rel32(&c->b, CC_AE);
  x64_mov_load(&c->b, true, R11, x64_m(x64_base(R11, (int32_t)offsetof(rt_table, elems))));
  x64_mov_load(&c->b, true, R11, x64_m(x64_bidx(R11, RCX, 8, 0)));
  x64_test_rr(&c->b, true, R11, R11);
  slow[1] = x64_jcc_rel32(&c->b, CC_E);
  x64_mov_load(&c->b, true, RAX, x64_m(x64_base(R11, (int32_t)offsetof(wrun_func, inst))));
  x64_alu_rm(&c->b, 7, true, RAX, x64_m(ctx_mem(offsetof(aot_ctx, inst))));
  slow[2] = x64_jcc_rel32(&c->b, CC_NE);
  x64_mov_load(&c->b, true, RAX, x64_m(x64_base(R11, (int32_t)offsetof(wrun_func, type))));
  x64_mov_load(&c->b, true, RDX, x64_m(ctx_mem(offsetof(aot_ctx, types))));
  x64_alu_rm(&c->b, 7, true, RAX, x64_m(x64_base(RDX, (int32_t)(8 * typeidx))));
  slow[3] = x64_jcc_rel32(&c->b, CC_NE);
  x64_mov_load(&c->b, true, R11, x64_m(x64_base(R11, (int32_t)offsetof(wrun_func, aot_entry))));
  x64_test_rr(&c->b, true, R11, R11);
  slow[4] = x64_jcc_rel32(&c->b, CC_E);
  const wm_functype *ft = &c->m->types[typeidx].func;
  load_arg_regs(c, p0, NULL, ft->nparams, ft);
  x64_lea(&c->b, true, RAX, slot_mem(c, p0));
  x64_call_r(&c->b, R11);
  size_t done = x64_jmp_rel32(&c->b);
  for (int k = 0; k < 5; k++) x64_patch_rel32(&c->b, slow[k], c->b.n);
  /* slow path: checks, traps, other instances, host and interpreted functions */
  x64_mov_rr(&c->b, false, RAX, RCX);
  save_volatile(c, false);
  x64_mov_rr(&c->b, true, RDI, R14);
  x64_mov_imm(&c->b, false, RSI, table);
  x64_mov_imm(&c->b, false, RDX, typeidx);
  x64_mov_rr(&c->b, false, RCX, RAX);
  x64_lea(&c->b, true, R8, slot_mem(c, p0));
  call_helper(c, AOT_H_CALL_INDIRECT);
  save_volatile(c, true);
  if (aot_result_in_reg(ft)) { /* the helper left it in the slot: where the fast path has it */
    if (aot_cls(wm_functype_results(ft)[0]) == CL_X) x64_sse(&c->b, 0xF2, 0x10, false, 0, x64_m(slot_mem(c, p0)));
    else x64_mov_load(&c->b, true, RAX, x64_m(slot_mem(c, p0)));
  }
  x64_patch_rel32(&c->b, done, c->b.n);
}

/* ---- prologue, epilogue --------------------------------------------------------------------- */

static void t_begin(cg *c) {
  /* rax = argument slots (still live from the call). Locals are zeroed
   * before parameters arrive: a local may share a parameter's register
   * (it is not live at entry then, regalloc.c). */
  for (int pass = 0; pass < 2; pass++) {
  int32_t pos = 0;
  for (uint32_t i = 0; i < c->nlocals; i++) {
    wm_valtype t = c->ltype[i];
    int r = c->lreg[i];
    bool param = i < c->ft->nparams;
    if (param != (pass == 1)) {
      if (param) pos += aot_width(t);
      continue;
    }
    if (aot_cls(t) == CL_V) {
      for (int k = 0; k < 2; k++) {
        x64_mem d = local_mem(c, i);
        d.disp += 8 * k;
        if (param) {
          x64_mov_load(&c->b, true, R11, x64_m(x64_base(RAX, 8 * (pos + k))));
          x64_mov_store(&c->b, true, d, R11);
        } else {
          x64_mov_store_imm32(&c->b, true, d, 0);
        }
      }
    } else if (param && aot_arg_in_reg(&aot_target_x64, pos, t)) { /* arrived in a register */
      bool x = aot_cls(t) == CL_X;
      int from = x ? arg_xmm[pos] : arg_gpr[pos];
      if (r < 0 && x) x64_sse_store(&c->b, 0xF2, 0x11, from, local_mem(c, i));
      else if (r < 0) x64_mov_store(&c->b, true, local_mem(c, i), from);
      else if (x) xmov(c, r, from);
      else x64_mov_rr(&c->b, aot_wide(t), r, from);
    } else if (param) {
      x64_mem s = x64_base(RAX, 8 * pos);
      if (r < 0) {
        x64_mov_load(&c->b, true, R11, x64_m(s));
        x64_mov_store(&c->b, true, local_mem(c, i), R11);
      } else if (aot_cls(t) == CL_X) {
        xload(c, t, r, x64_m(s));
      } else {
        x64_mov_load(&c->b, aot_wide(t), r, x64_m(s));
      }
    } else if (r < 0) {
      x64_mov_store_imm32(&c->b, true, local_mem(c, i), 0);
    } else if (aot_cls(t) == CL_X) {
      x64_op_rm(&c->b, 0, 0x0F57, false, r, x64_r(r));
    } else {
      x64_mov_imm(&c->b, false, r, 0);
    }
    if (param) pos += aot_width(t);
  }
  }
}

/* The frame set-up every entry of a function shares: frame, stack check
 * (returns its jump site, for the stack-overflow stub), the result pointer
 * and the registers this function writes. */
static size_t emit_prologue(cg *c, x64_buf *b, uint32_t frame, int32_t save_base, uint32_t saved_g,
                            uint32_t saved_x) {
  x64_alu_imm(b, 5, true, x64_r(RSP), (int32_t)frame);
  x64_alu_rm(b, 7, true, RSP, x64_m(ctx_mem(offsetof(aot_ctx, stack_limit))));
  size_t st = x64_jcc_rel32(b, CC_B);
  if (!aot_result_in_reg(c->ft)) x64_mov_store(b, true, argptr_mem(), RAX); /* for the results */
  int32_t off = save_base;
  for (int r = 0; r < 16; r++)
    if (saved_g & (1u << r)) {
      x64_mov_store(b, true, x64_base(RSP, off), r);
      off += 8;
    }
  for (int r = 0; r < 16; r++)
    if (saved_x & (1u << r)) {
      x64_sse_store(b, 0xF2, 0x11, r, x64_base(RSP, off));
      off += 8;
    }
  return st;
}

/* An OSR entry (aot.h, aot_osr): the prologue, then the live locals and the
 * operand stack from the interpreter frame at rax (the interpreter's slot
 * layout is this compiler's: locals from slot 0 with the same widths, the
 * operand stack after them), then a jump to the loop head. */
static void emit_osr_entry(cg *c, const aot_osr_point *p, uint32_t frame, int32_t save_base, uint32_t saved_g,
                           uint32_t saved_x, size_t stack_trap) {
  x64_patch_rel32(&c->b, emit_prologue(c, &c->b, frame, save_base, saved_g, saved_x), stack_trap);
  for (uint32_t i = 0; i < c->nlocals; i++) {
    if (!p->live[i]) continue;
    wm_valtype t = c->ltype[i];
    int r = c->lreg[i];
    x64_mem src = x64_base(RAX, 8 * c->lslot[i]);
    if (aot_cls(t) == CL_V || r < 0) {
      for (int k = 0; k < aot_width(t); k++) {
        x64_mem d = local_mem(c, i);
        d.disp += 8 * k;
        x64_mov_load(&c->b, true, R11, x64_m(x64_base(RAX, 8 * (c->lslot[i] + k))));
        x64_mov_store(&c->b, true, d, R11);
      }
    } else if (aot_cls(t) == CL_X) {
      xload(c, t, r, x64_m(src));
    } else {
      x64_mov_load(&c->b, aot_wide(t), r, x64_m(src));
    }
  }
  for (int32_t j = 0; j < p->nslots; j++) {
    x64_mov_load(&c->b, true, R11, x64_m(x64_base(RAX, 8 * ((int32_t)c->nlslots + j))));
    x64_mov_store(&c->b, true, slot_mem(c, j), R11);
  }
  x64_patch_rel32(&c->b, x64_jmp_rel32(&c->b), p->head);
}

static bool t_finish(cg *c, aot_func_out *out) {
  /* our callers keep values in every allocatable register: save what we
   * write, and everything a C helper may clobber if we call one */
  if (c->calls_c) {
    c->gused |= GPR_VOLATILE;
    c->xused |= XMM_ALLOC;
  }
  uint32_t saved_g = c->gused & GPR_ALLOC, saved_x = c->xused & XMM_ALLOC;
  uint32_t nsaved = (uint32_t)__builtin_popcount(saved_g) + (uint32_t)__builtin_popcount(saved_x);
  int32_t save_base = 8 + 8 * ((int32_t)c->nlslots + c->maxpos);
  uint32_t frame = (uint32_t)save_base + 8 * nsaved;
  if (frame % 16 != 8) frame += 8; /* rsp is 16-aligned inside the body */
  out->frame = frame;
  /* epilogue */
  aot_bind_sites(c, &c->rets, c->b.n);
  int32_t off = save_base;
  for (int r = 0; r < 16; r++)
    if (saved_g & (1u << r)) {
      x64_mov_load(&c->b, true, r, x64_m(x64_base(RSP, off)));
      off += 8;
    }
  for (int r = 0; r < 16; r++)
    if (saved_x & (1u << r)) {
      x64_sse(&c->b, 0xF2, 0x10, false, r, x64_m(x64_base(RSP, off)));
      off += 8;
    }
  x64_alu_imm(&c->b, 0, true, x64_r(RSP), (int32_t)frame);
  x64_ret(&c->b);
  /* trap stubs (rsp is aligned at every jump to them) */
  for (int k = 0; k <= WRUN_TRAP_INTERRUPTED; k++) /* (trapstub.c: each site keeps its position) */
    if (c->traps[k].n) x64_trap_stub(&c->b, c->map, &c->traps[k], SIZE_MAX, k);
  size_t stack_trap = c->b.n;
  x64_trap_stub(&c->b, c->map, &(site_list){0}, SIZE_MAX, WRUN_TRAP_STACK_EXHAUSTED);

  /* OSR entries (tiered execution), after the stubs */
  uint32_t *osr_at = c->nosr ? calloc(c->nosr, sizeof *osr_at) : NULL;
  if (c->nosr && !osr_at) return false;
  for (uint32_t k = 0; k < c->nosr; k++) {
    osr_at[k] = (uint32_t)c->b.n;
    emit_osr_entry(c, &c->osr[k], frame, save_base, saved_g, saved_x, stack_trap);
  }

  /* prologue, now that the frame size and saved registers are known */
  x64_buf pro = {0};
  size_t st = emit_prologue(c, &pro, frame, save_base, saved_g, saved_x);
  x64_nops(&pro, (16 - pro.n % 16) % 16); /* the body keeps its 16-byte alignment (loop heads) */
  if (pro.oom || c->b.oom) {
    free(pro.p);
    free(osr_at);
    return false;
  }
  size_t plen = pro.n;
  if (c->map) codemap_shift(c->map, (uint32_t)plen); /* the prologue goes in front */
  out->size = (uint32_t)(plen + c->b.n);
  out->code = malloc(out->size);
  out->osr = c->nosr ? calloc(c->nosr, sizeof *out->osr) : NULL;
  if (!out->code || (c->nosr && !out->osr)) {
    free(out->code);
    free(out->osr);
    out->code = NULL;
    out->osr = NULL;
    free(pro.p);
    free(osr_at);
    return false;
  }
  for (uint32_t k = 0; k < c->nosr; k++) out->osr[k] = (aot_osr){0, c->osr[k].wasm_off, (uint32_t)plen + osr_at[k]};
  out->nosr = c->nosr;
  free(osr_at);
  memcpy(out->code, pro.p, plen);
  memcpy(out->code + plen, c->b.p, c->b.n);
  free(pro.p);
  int32_t rel = (int32_t)((int64_t)(plen + stack_trap) - (int64_t)(st + 4));
  memcpy(out->code + st, &rel, 4);
  for (uint32_t i = 0; i < c->nrelocs; i++) c->relocs[i].at += (uint32_t)plen;
  return true;
}

/* enter(ctx=rdi, fn=rsi, slots=rdx, result=ecx): saves the C callee-saved
 * registers, sets up r14/r15, passes the register arguments from the slots
 * (reading two slots whatever the arity: slot areas always have them) and
 * stores a register result (ecx: 1 general, 2 float) back into slot 0. */
static uint32_t t_trampoline(uint8_t *dst, uint32_t cap) {
  x64_buf b = {0};
  static const int saved[] = {RBX, RBP, R12, R13, R14, R15};
  for (int i = 0; i < 6; i++) x64_push(&b, saved[i]);
  x64_alu_imm(&b, 5, true, x64_r(RSP), 8); /* keep rsp 16-aligned at the call */
  x64_mov_rr(&b, true, R14, RDI);
  x64_mov_load(&b, true, R15, x64_m(x64_base(RDI, (int32_t)offsetof(aot_ctx, mem_base))));
  x64_mov_rr(&b, true, RBX, RDX);
  x64_mov_rr(&b, false, R12, RCX);
  x64_mov_rr(&b, true, RAX, RDX);
  for (int k = 0; k < ARG_REGS; k++) {
    x64_sse(&b, 0xF2, 0x10, false, arg_xmm[k], x64_m(x64_base(RAX, 8 * k)));
    x64_mov_load(&b, true, arg_gpr[k], x64_m(x64_base(RAX, 8 * k)));
  }
  x64_call_r(&b, RSI);
  x64_alu_imm(&b, 7, false, x64_r(R12), 1);
  size_t not_g = x64_jcc_rel32(&b, CC_NE);
  x64_mov_store(&b, true, x64_base(RBX, 0), RAX);
  size_t done = x64_jmp_rel32(&b);
  x64_patch_rel32(&b, not_g, b.n);
  x64_alu_imm(&b, 7, false, x64_r(R12), 2);
  size_t not_x = x64_jcc_rel32(&b, CC_NE);
  x64_sse_store(&b, 0xF2, 0x11, 0, x64_base(RBX, 0));
  x64_patch_rel32(&b, not_x, b.n);
  x64_patch_rel32(&b, done, b.n);
  x64_alu_imm(&b, 0, true, x64_r(RSP), 8);
  for (int i = 5; i >= 0; i--) x64_pop(&b, saved[i]);
  x64_ret(&b);
  uint32_t n = b.oom || b.n > cap ? 0 : (uint32_t)b.n;
  if (n) memcpy(dst, b.p, n);
  free(b.p);
  return n;
}

const aot_target aot_target_x64 = {
  .name = "x86-64",
  .gpr_alloc = GPR_ALLOC,
  .fpr_alloc = XMM_ALLOC,
  .gpr_local_order = gpr_local_order,
  .ngpr_locals = sizeof gpr_local_order,
  .fpr_local_order = xmm_local_order,
  .nfpr_locals = sizeof xmm_local_order,
  .begin = t_begin,
  .finish = t_finish,
  .load = t_load,
  .store = t_store,
  .int_binop = t_int_binop,
  .float_binop = t_float_binop,
  .divrem = t_divrem,
  .has_unop = t_has_unop,
  .unop = t_unop,
  .compare = t_compare,
  .test = t_test,
  .invert = t_invert,
  .set_cond = t_set_cond,
  .select = t_select,
  .load_mem = t_load_mem,
  .store_mem = t_store_mem,
  .global_get = t_global_get,
  .global_set = t_global_set,
  .ref_func = t_ref_func,
  .jump = t_jump,
  .jump_if = t_jump_if,
  .patch = t_patch,
  .trap = t_trap,
  .interrupt_check = t_interrupt_check,
  .align_loop = t_align_loop,
  .table_jump = t_table_jump,
  .table_entry = t_table_entry,
  .arg_regs = ARG_REGS,
  .call_internal = t_call_internal,
  .call_import = t_call_import,
  .take_result = t_take_result,
  .call_indirect = t_call_indirect,
  .call_op = t_call_op,
  .has_simd = x64_has_simd,
  .simd = x64_simd,
  .trampoline = t_trampoline,
  .arch = AOT_ARCH_X86_64,
  .cpu_required = X64_CPU_REQUIRED,
  .host_cpu = x64_host_cpu,
  .cpu_names = x64_cpu_names,
  .link_call = x64_link_call,
  .fill = x64_fill,
  .signal_pc_sp = x64_signal_pc_sp,
};
