/*
 * isel.c — x86-64 instruction selection and emission for the optimizing
 * pipeline (the aot_isa of src/aot/ir/isa.h), encoding through asm.c.
 *
 * Same calling convention, frame invariant and trap stubs as the one-pass
 * backend (target.h), so compiled functions of either compiler call each
 * other: r14 = aot_ctx, r15 = memory 0, rax = the argument slots on entry,
 * the first two scalar arguments in rcx/rdx or xmm0/xmm14, a single scalar
 * result in rax/xmm0, every allocatable register preserved by the callee,
 * and rsp = entry rsp - frame throughout the body (backtraces).
 *
 * Registers: rax, rcx, rdx, r11 and xmm0, xmm14, xmm15 are scratch within
 * one IR instruction (xmm15 and r11 also serve the phi moves' cycles); the
 * allocator hands out rbx, rbp, r12, r13, rsi, rdi, r8-r10 and xmm1-xmm13.
 * An i32 in a register has its upper half clear (32-bit operations ensure
 * it), so it indexes memory directly. v128 values (the IR's third class)
 * share xmm1-xmm13 with floats (vec_in_float_regs). Callees preserve only
 * the low 8 bytes of an xmm register (the one-pass compiler's convention),
 * so the xmm registers that held a v128 are saved whole around every call.
 * A v128 argument or result takes two 8-byte slots.
 *
 * Frame (rsp-relative): [0] the caller's slot pointer, then the spill
 * slots, then the outgoing argument slots of calls, then the callee-saved
 * registers this function writes. Unlike the one-pass backend the frame is
 * known before the body (register allocation is done), so the prologue is
 * emitted first.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aot/ir/isa.h"
#include "aot/x64/isel.h"
#include "aot/x64/target.h"
#include "aot/x64/trapstub.h"

#define XS1 14
#define XS2 15

static const int8_t gpr_order[] = {RBX, RBP, R12, R13, RSI, RDI, R8, R9, R10};
static const int8_t xmm_order[] = {1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};

typedef struct xs {
  int32_t out_base;              /* offset of the outgoing argument slots */
  int32_t save_base;
  int32_t vol_base;              /* where registers C may clobber are kept around a C call */
  int32_t vec_base;              /* where xmm registers holding v128 values are kept around any call */
  uint32_t frame;
  uint32_t saved_g, saved_x;
  uint8_t *fused;                /* per value: a compare left to the branch that uses it */
  site_list rets;
  size_t epilogue_at;            /* x_epilogue: where the epilogue went */
  bool epilogue_done;
  size_t stack_site;
  bool osr_frame;                /* rax still points at the interpreter frame (OSR entry, osr.c) */
} xs;

static xs *S(ir_gen *g) { return g->isa_state; }
int32_t x64i_out_base(ir_gen *g) { return S(g)->out_base; }

static void add_site(ir_gen *g, site_list *l, size_t at) {
  if (l->n == l->cap) {
    uint32_t nc = l->cap ? 2 * l->cap : 8;
    uint32_t *p = realloc(l->at, nc * sizeof *p);
    if (!p) {
      g->fail = true;
      return;
    }
    l->at = p;
    l->cap = nc;
  }
  l->at[l->n++] = (uint32_t)at;
}

static void trap_jcc(ir_gen *g, int cc, rt_trap_kind k) { add_site(g, &g->traps[k], x64_jcc_rel32(&g->b, cc)); }

static x64_mem spill_mem(const ir_gen *g, int32_t slot) { return x64_base(RSP, 8 + 8 * slot); }
x64_mem x64i_spill_mem(const ir_gen *g, int32_t slot) { return spill_mem(g, slot); }
static x64_mem ctx_mem(size_t off) { return x64_base(R14, (int32_t)off); }

static bool wide(uint8_t t) { return t == IR_I64 || t == IR_F64; }
static bool isf(uint8_t t) { return t == IR_F32 || t == IR_F64; }
static uint8_t fpfx(bool dbl) { return dbl ? 0xF2 : 0xF3; }

/* A register or memory operand for a value that is not a constant. */
static x64_rm rm_of(const ir_gen *g, ir_loc l) {
  if (l.kind == IR_LOC_REG) return x64_r(l.reg);
  if (l.kind == IR_LOC_SCRATCH) return x64_r(ir_cls(l.type) != IR_CL_G ? XS2 : R11);
  return x64_m(spill_mem(g, l.slot));
}

static void xmov(ir_gen *g, int d, int s) {
  if (d != s) x64_op_rm(&g->b, 0, 0x0F28, false, d, x64_r(s));
}

/* Puts l in general register d (integers; floats as their bits). */
static void load_g(ir_gen *g, ir_loc l, int d) {
  bool w = wide(l.type);
  if (l.kind == IR_LOC_CONST) {
    x64_mov_imm(&g->b, w, d, l.type == IR_I32 || l.type == IR_F32 ? (uint32_t)l.imm : l.imm);
    return;
  }
  x64_rm rm = rm_of(g, l);
  if (!rm.is_mem && isf(l.type)) {
    x64_movq_rx(&g->b, w, d, rm.reg);
    return;
  }
  if (!rm.is_mem && rm.reg == d) return;
  x64_mov_load(&g->b, w, d, rm);
}

void x64i_load_g(ir_gen *g, ir_loc l, int d) { load_g(g, l, d); }

static void load_x(ir_gen *g, ir_loc l, int d) {
  bool w = wide(l.type);
  if (l.kind == IR_LOC_CONST) {
    if (l.imm == 0) {
      x64_op_rm(&g->b, 0, 0x0F57, false, d, x64_r(d)); /* xorps */
    } else {
      x64_mov_imm(&g->b, w, RAX, l.imm);
      x64_movq_xr(&g->b, w, d, RAX);
    }
    return;
  }
  x64_rm rm = rm_of(g, l);
  if (!rm.is_mem) xmov(g, d, rm.reg);
  else x64_sse(&g->b, fpfx(w), 0x10, false, d, rm);
}

/* v128 values: xmm x from / to a location (a slot, a register or the scratch). */
static void movdqu(ir_gen *g, bool store, int x, x64_mem m) {
  x64_op_rm(&g->b, 0xF3, store ? 0x0F7F : 0x0F6F, false, x, x64_m(m));
}

void x64i_v_load(ir_gen *g, ir_loc l, int x) {
  if (l.kind == IR_LOC_CONST) { /* (build.c makes v128 constants V128_CONST: never expected) */
    g->fail = true;
    return;
  }
  x64_rm rm = rm_of(g, l);
  if (rm.is_mem) movdqu(g, false, x, rm.mem);
  else xmov(g, x, rm.reg);
}

void x64i_v_store(ir_gen *g, ir_loc l, int x) {
  if (l.kind == IR_LOC_NONE) return;
  x64_rm rm = rm_of(g, l);
  if (rm.is_mem) movdqu(g, true, x, rm.mem);
  else xmov(g, rm.reg, x);
}

/* Slots a value of type t takes in argument and result arrays. */
static int32_t slot_width(uint8_t t) { return t == IR_V128 ? 2 : 1; }

/* The register to compute value v in: its own, or scratch `s` (or the
 * argument register of the call it is folded into: 5 rcx, 6 rdx). */
static int dst_reg(ir_gen *g, uint32_t v, int s) {
  if (S(g)->fused[v] == 5 || S(g)->fused[v] == 6) return S(g)->fused[v] == 5 ? RCX : RDX;
  ir_loc l = ir_loc_of(g, v);
  return l.kind == IR_LOC_REG ? l.reg : s;
}

/* Stores the result computed in r to v's slot if v lives in memory. */
static void commit(ir_gen *g, uint32_t v, int r);
void x64i_commit(ir_gen *g, uint32_t v, int r) { commit(g, v, r); }
static void commit(ir_gen *g, uint32_t v, int r) {
  ir_loc l = ir_loc_of(g, v);
  if (l.kind != IR_LOC_SLOT || S(g)->fused[v] == 5 || S(g)->fused[v] == 6) return;
  if (isf(l.type)) x64_sse_store(&g->b, 0xF2, 0x11, r, spill_mem(g, l.slot));
  else x64_mov_store(&g->b, true, spill_mem(g, l.slot), r);
}

/* Argument k of v; a call result folded into v (begin marks it 4 in fused) is still in rax. */
static ir_loc arg(ir_gen *g, uint32_t v, uint32_t k) {
  uint32_t x = g->f->ins[v].args[k];
  static const int8_t in_reg[7] = {-1, -1, -1, -1, RAX, RCX, RDX};
  uint8_t fu = S(g)->fused[x];
  if (fu >= 4 && fu <= 6) return (ir_loc){IR_LOC_REG, g->f->ins[x].type, in_reg[fu], -1, 0};
  return ir_loc_of(g, x);
}
static uint8_t f_arg_type(const ir_gen *g, uint32_t v) { return g->f->ins[g->f->ins[v].args[0]].type; }

/* ---- selection: what this backend compiles ---- */

/* Numeric operations compiled as a call of the out-of-line helper (with
 * the interpreter's semantics) rather than inline, in this version. */
static bool by_helper(ir_op op) {
  switch (op) {
  case IR_F32_MIN: case IR_F32_MAX: case IR_F64_MIN: case IR_F64_MAX: case IR_F32_COPYSIGN: case IR_F64_COPYSIGN:
  case IR_F32_CONVERT_I64_U: case IR_F64_CONVERT_I64_U:
  case IR_I32_TRUNC_SAT_F32_S: case IR_I32_TRUNC_SAT_F32_U: case IR_I32_TRUNC_SAT_F64_S:
  case IR_I32_TRUNC_SAT_F64_U: case IR_I64_TRUNC_SAT_F32_S: case IR_I64_TRUNC_SAT_F32_U:
  case IR_I64_TRUNC_SAT_F64_S: case IR_I64_TRUNC_SAT_F64_U:
    return true;
  default: return false;
  }
}

static bool calls_c(ir_op op) {
  return op == IR_HOP || op == IR_CALL_HOST || op == IR_CALL_INDIRECT || by_helper(op) ||
         (ir_op_is_simd(op) && !x64_has_simd(ir_simd_wasm_op(op)));
}

/* The wasm opcode of a numeric IR op (for the helper). */
static wm_opcode wasm_op(ir_op op) {
  switch (op) {
#define X(id, ta, tr, e) case IR_##id: return OP_##id;
    SEM_INT_BINOPS(X) SEM_FLOAT_BINOPS(X) SEM_BITS_BINOPS(X) SEM_UNOPS(X)
#undef X
  default: return OP_COUNT_;
  }
}

static bool x_supports(const ir_func *f, const ir_ins *i) {
  (void)f;
  (void)i;
  return true;
}

/* ---- integer operations ---- */

static int alu_ext(ir_op op) {
  switch (op) {
  case IR_I32_ADD: case IR_I64_ADD: return 0;
  case IR_I32_OR: case IR_I64_OR: return 1;
  case IR_I32_AND: case IR_I64_AND: return 4;
  case IR_I32_SUB: case IR_I64_SUB: return 5;
  case IR_I32_XOR: case IR_I64_XOR: return 6;
  default: return -1;
  }
}

static int shift_ext(ir_op op) {
  switch (op) {
  case IR_I32_ROTL: case IR_I64_ROTL: return 0;
  case IR_I32_ROTR: case IR_I64_ROTR: return 1;
  case IR_I32_SHL: case IR_I64_SHL: return 4;
  case IR_I32_SHR_U: case IR_I64_SHR_U: return 5;
  case IR_I32_SHR_S: case IR_I64_SHR_S: return 7;
  default: return -1;
  }
}

static int int_cc(ir_op op) {
  switch (op) {
  case IR_I32_EQ: case IR_I64_EQ: return CC_E;
  case IR_I32_NE: case IR_I64_NE: return CC_NE;
  case IR_I32_LT_S: case IR_I64_LT_S: return CC_L;
  case IR_I32_LT_U: case IR_I64_LT_U: return CC_B;
  case IR_I32_GT_S: case IR_I64_GT_S: return CC_G;
  case IR_I32_GT_U: case IR_I64_GT_U: return CC_A;
  case IR_I32_LE_S: case IR_I64_LE_S: return CC_LE;
  case IR_I32_LE_U: case IR_I64_LE_U: return CC_BE;
  case IR_I32_GE_S: case IR_I64_GE_S: return CC_GE;
  default: return CC_AE;
  }
}

static bool int_cmp(ir_op op) { return (op >= IR_I32_EQ && op <= IR_I32_GE_U) || (op >= IR_I64_EQ && op <= IR_I64_GE_U); }

/* A constant that fits a sign-extended imm32 for an operation of width w. */
static bool imm32(ir_loc l, bool w, int32_t *out) {
  if (l.kind != IR_LOC_CONST) return false;
  int64_t v = w ? (int64_t)l.imm : (int64_t)(int32_t)(uint32_t)l.imm;
  if (v < INT32_MIN || v > INT32_MAX) return false;
  *out = (int32_t)v;
  return true;
}

/* The condition for "b cc a" given the one for "a cc b". */
static int mirror_cc(int cc) {
  static const int8_t mirror[16] = {[CC_E] = CC_E, [CC_NE] = CC_NE, [CC_L] = CC_G, [CC_G] = CC_L, [CC_LE] = CC_GE,
                                    [CC_GE] = CC_LE, [CC_B] = CC_A, [CC_A] = CC_B, [CC_BE] = CC_AE, [CC_AE] = CC_BE};
  return mirror[cc];
}

/* Compares two integer values; returns the condition code for "op holds". */
static int emit_int_cmp(ir_gen *g, ir_op op, ir_loc a, ir_loc b) {
  bool w = a.type == IR_I64;
  int32_t k;
  int ra;
  if (a.kind == IR_LOC_CONST && b.kind != IR_LOC_CONST) { /* k < x is x > k: the constant becomes an immediate */
    ir_loc t = a;
    a = b;
    b = t;
    int cc = int_cc(op);
    static const int8_t mirror[16] = {[CC_E] = CC_E, [CC_NE] = CC_NE, [CC_L] = CC_G, [CC_G] = CC_L, [CC_LE] = CC_GE,
                                      [CC_GE] = CC_LE, [CC_B] = CC_A, [CC_A] = CC_B, [CC_BE] = CC_AE, [CC_AE] = CC_BE};
    int32_t kk;
    if (a.kind == IR_LOC_REG) {
      ra = a.reg;
    } else {
      load_g(g, a, RAX);
      ra = RAX;
    }
    if (imm32(b, w, &kk)) {
      x64_alu_imm(&g->b, 7, w, x64_r(ra), kk);
    } else {
      load_g(g, b, RCX);
      x64_alu_rm(&g->b, 7, w, ra, x64_r(RCX));
    }
    return mirror[cc];
  }
  if (a.kind == IR_LOC_REG) {
    ra = a.reg;
  } else {
    load_g(g, a, RAX);
    ra = RAX;
  }
  if (imm32(b, w, &k)) {
    if (k == 0 && (op == IR_I32_EQ || op == IR_I64_EQ || op == IR_I32_NE || op == IR_I64_NE)) x64_test_rr(&g->b, w, ra, ra);
    else x64_alu_imm(&g->b, 7, w, x64_r(ra), k);
  } else if (b.kind == IR_LOC_CONST) {
    load_g(g, b, RCX);
    x64_alu_rm(&g->b, 7, w, ra, x64_r(RCX));
  } else {
    x64_alu_rm(&g->b, 7, w, ra, rm_of(g, b));
  }
  return int_cc(op);
}

/* A condition for "value != 0" of an i32 (or i64) value. */
static int emit_test(ir_gen *g, ir_loc c) {
  bool w = c.type == IR_I64;
  if (c.kind == IR_LOC_REG) {
    x64_test_rr(&g->b, w, c.reg, c.reg);
  } else {
    load_g(g, c, R11);
    x64_test_rr(&g->b, w, R11, R11);
  }
  return CC_NE;
}

/* ---- loads folded into their one user (begin marks them 2 in fused) ----
 * A full-width i32.load / i64.load used only by the integer ALU operation
 * or compare right after it (constants between emit nothing) becomes that
 * operation's memory operand: `add r, [r15 + idx + off]`, `cmp [..], imm`.
 * Nothing is emitted between the two, so the access (and its fault, or
 * the explicit bounds check) happens where the load was in wasm order. */
static bool folded_load(ir_gen *g, uint32_t v) { return S(g)->fused[v] == 2; }

static x64_mem address(ir_gen *g, ir_loc a, uint64_t offset, uint32_t size);

static x64_mem folded_mem(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  return address(g, ir_loc_of(g, i->args[0]), i->imm, 1u << wm_opinfos[i->wop].arg);
}

/* d = a op [mem] for add, sub, and, or, xor, mul with a folded operand (the
 * second, or either of a commutative op). begin folds only when d is not
 * the address's register, so loading a into d keeps the address. */
static bool binop_mem(ir_gen *g, uint32_t v, ir_op op, bool w, int d) {
  const ir_ins *i = &g->f->ins[v];
  uint32_t s = folded_load(g, i->args[1]) ? 1 : folded_load(g, i->args[0]) ? 0 : 2;
  if (s == 2) return false;
  x64_mem m = folded_mem(g, i->args[s]);
  load_g(g, ir_loc_of(g, i->args[1 - s]), d);
  int ext = alu_ext(op);
  if (ext >= 0) x64_alu_rm(&g->b, ext, w, d, x64_m(m));
  else x64_imul_rm(&g->b, w, d, x64_m(m));
  commit(g, v, d);
  return true;
}

/* Emits compare c (an integer compare or eqz); returns the condition code
 * for "c is 1". A folded load operand is compared in memory. */
static int compare_ins(ir_gen *g, uint32_t c) {
  const ir_ins *ci = &g->f->ins[c];
  bool eqz = ci->op == IR_I32_EQZ || ci->op == IR_I64_EQZ;
  uint32_t s = folded_load(g, ci->args[0]) ? 0 : !eqz && folded_load(g, ci->args[1]) ? 1 : 2;
  if (s == 2 && eqz) return emit_test(g, ir_loc_of(g, ci->args[0])) ^ 1;
  if (s == 2) return emit_int_cmp(g, (ir_op)ci->op, ir_loc_of(g, ci->args[0]), ir_loc_of(g, ci->args[1]));
  bool w = g->f->ins[ci->args[s]].type == IR_I64;
  x64_mem m = folded_mem(g, ci->args[s]); /* may use r11, rax, rdx: the other operand goes to rcx */
  if (eqz) {
    x64_alu_imm(&g->b, 7, w, x64_m(m), 0);
    return CC_E;
  }
  int cc = int_cc((ir_op)ci->op);
  ir_loc o = ir_loc_of(g, ci->args[1 - s]);
  int32_t k;
  if (imm32(o, w, &k)) { /* cmp [m], k: "m cc k" */
    x64_alu_imm(&g->b, 7, w, x64_m(m), k);
    return s == 0 ? cc : mirror_cc(cc);
  }
  int r = o.kind == IR_LOC_REG ? o.reg : RCX;
  if (o.kind != IR_LOC_REG) load_g(g, o, RCX);
  if (s == 0) x64_alu_mr(&g->b, 7, w, x64_m(m), r); /* cmp [m], r */
  else x64_alu_rm(&g->b, 7, w, r, x64_m(m));        /* cmp r, [m] */
  return cc;
}

/* Is v a shift left by 1-3 that begin left to the add using it (an index
 * scaled in the add's lea)? */
static bool scaled_index(const ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  return S((ir_gen *)g)->fused[v] && (i->op == IR_I32_SHL || i->op == IR_I64_SHL);
}

/* An add as one lea into d: x + y << s (the shift begin fused into it),
 * or x + y or x + k when d is not x's register (no copy first). A 32-bit
 * lea computes the sum modulo 2^32 and clears the upper half, as
 * i32.add; the address arithmetic of wasm32 (i32.add and i32.shl of the
 * index) is formed this way and never folded into the access's own
 * operand, whose 64-bit sum would not wrap. False: not this shape. */
static bool add_lea(ir_gen *g, uint32_t v, ir_loc a, ir_loc b, bool w, int d) {
  const ir_ins *i = &g->f->ins[v];
  int32_t k;
  for (uint32_t s = 0; s < 2; s++) {
    uint32_t sv = i->args[s];
    if (!scaled_index(g, sv)) continue;
    ir_loc x = s ? a : b, y = ir_loc_of(g, g->f->ins[sv].args[0]);
    int scale = 1 << (g->f->ins[g->f->ins[sv].args[1]].imm & 3);
    int xr = x.kind == IR_LOC_REG ? x.reg : RAX, yr = y.kind == IR_LOC_REG ? y.reg : R11;
    if (x.kind != IR_LOC_REG) load_g(g, x, RAX);
    if (y.kind != IR_LOC_REG) load_g(g, y, R11);
    x64_lea(&g->b, w, d, x64_bidx(xr, yr, scale, 0));
    commit(g, v, d);
    return true;
  }
  if (a.kind != IR_LOC_REG || a.reg == d) return false;
  if (imm32(b, w, &k)) x64_lea(&g->b, w, d, x64_base(a.reg, k));
  else if (b.kind == IR_LOC_REG) x64_lea(&g->b, w, d, x64_bidx(a.reg, b.reg, 1, 0));
  else return false;
  commit(g, v, d);
  return true;
}

static void int_binop(ir_gen *g, uint32_t v, ir_op op) {
  ir_loc a = arg(g, v, 0), b = arg(g, v, 1);
  bool w = g->f->ins[v].type == IR_I64;
  int d = dst_reg(g, v, RAX);
  int sh = shift_ext(op), ext = alu_ext(op);
  int32_t k;
  if (binop_mem(g, v, op, w, d)) return;
  if (op == IR_I64_AND && b.kind == IR_LOC_CONST && b.imm == 0xFFFFFFFFu) { /* zero-extension: one 32-bit move */
    if (a.kind == IR_LOC_REG) {
      x64_mov_rr(&g->b, false, d, a.reg);
    } else {
      load_g(g, a, d);
      x64_mov_rr(&g->b, false, d, d);
    }
    commit(g, v, d);
    return;
  }
  if (op == IR_I32_ADD || op == IR_I64_ADD) {
    if (add_lea(g, v, a, b, w, d)) return;
  }
  if (sh >= 0 && b.kind != IR_LOC_CONST) load_g(g, b, RCX);
  load_g(g, a, d); /* d is never b's register (ra.c) */
  if (sh >= 0) {
    if (b.kind == IR_LOC_CONST) x64_shift_imm(&g->b, sh, w, d, (uint8_t)(b.imm & (w ? 63 : 31)));
    else x64_shift_cl(&g->b, sh, w, d);
  } else if (imm32(b, w, &k)) {
    if (ext >= 0) x64_alu_imm(&g->b, ext, w, x64_r(d), k);
    else x64_imul_imm(&g->b, w, d, x64_r(d), k);
  } else {
    x64_rm src;
    if (b.kind == IR_LOC_CONST) {
      load_g(g, b, R11);
      src = x64_r(R11);
    } else {
      src = rm_of(g, b);
    }
    if (ext >= 0) x64_alu_rm(&g->b, ext, w, d, src);
    else x64_imul_rm(&g->b, w, d, src);
  }
  commit(g, v, d);
}

/* Unsigned division or remainder by a constant other than 0: a shift or
 * mask for a power of two, else a multiplication by the magic number of
 * ir_udiv_magic (no divide, no check: the constant is not 0). */
static void udivrem_const(ir_gen *g, uint32_t v, bool w, bool rem, uint64_t dv) {
  ir_loc a = arg(g, v, 0);
  int d = dst_reg(g, v, RAX);
  load_g(g, a, RCX);
  if ((dv & (dv - 1)) == 0) {
    unsigned k = (unsigned)__builtin_ctzll(dv);
    x64_mov_rr(&g->b, w, RAX, RCX);
    if (rem) {
      x64_mov_imm(&g->b, w, R11, dv - 1);
      x64_alu_rm(&g->b, 4, w, RAX, x64_r(R11));
    } else if (k) {
      x64_shift_imm(&g->b, 5, w, RAX, (uint8_t)k);
    }
  } else {
    unsigned l;
    uint64_t m = ir_udiv_magic(dv, w, &l);
    if (w) { /* rdx = high 64 bits of m * n */
      x64_mov_imm(&g->b, true, RAX, m);
      x64_unary(&g->b, 4, true, x64_r(RCX)); /* mul rcx */
    } else { /* n, m < 2^32: the 64-bit product is exact */
      x64_mov_imm(&g->b, false, R11, m);
      x64_mov_rr(&g->b, false, RDX, RCX);
      x64_imul_rm(&g->b, true, RDX, x64_r(R11));
      x64_shift_imm(&g->b, 5, true, RDX, 32);
    }
    x64_mov_rr(&g->b, w, RAX, RCX);
    x64_alu_rm(&g->b, 5, w, RAX, x64_r(RDX)); /* n - t */
    x64_shift_imm(&g->b, 5, w, RAX, 1);
    x64_alu_rm(&g->b, 0, w, RAX, x64_r(RDX));
    x64_shift_imm(&g->b, 5, w, RAX, (uint8_t)(l - 1)); /* the quotient */
    if (rem) {
      x64_mov_imm(&g->b, w, R11, dv);
      x64_imul_rm(&g->b, w, RAX, x64_r(R11));
      x64_mov_rr(&g->b, w, RDX, RCX);
      x64_alu_rm(&g->b, 5, w, RDX, x64_r(RAX));
      x64_mov_rr(&g->b, w, RAX, RDX);
    }
  }
  x64_mov_rr(&g->b, w, d, RAX);
  commit(g, v, d);
}

static void divrem(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  wm_opcode op = (wm_opcode)i->wop;
  bool w = i->type == IR_I64;
  bool sgn = op == OP_I32_DIV_S || op == OP_I32_REM_S || op == OP_I64_DIV_S || op == OP_I64_REM_S;
  bool rem = op == OP_I32_REM_S || op == OP_I32_REM_U || op == OP_I64_REM_S || op == OP_I64_REM_U;
  ir_loc a = arg(g, v, 0), b = arg(g, v, 1);
  uint64_t bv = b.kind == IR_LOC_CONST ? (w ? b.imm : (uint32_t)b.imm) : 0;
  bool maybe_zero = b.kind != IR_LOC_CONST || bv == 0;
  bool maybe_m1 = b.kind != IR_LOC_CONST || bv == (w ? UINT64_MAX : UINT32_MAX);
  if (!sgn && !maybe_zero) {
    udivrem_const(g, v, w, rem, bv);
    return;
  }
  load_g(g, b, RCX);
  load_g(g, a, RAX);
  if (maybe_zero) {
    x64_test_rr(&g->b, w, RCX, RCX);
    trap_jcc(g, CC_E, WRUN_TRAP_DIV_ZERO);
  }
  size_t done = 0;
  if (sgn && maybe_m1) {
    x64_alu_imm(&g->b, 7, w, x64_r(RCX), -1);
    size_t normal = x64_jcc_rel32(&g->b, CC_NE);
    if (rem) {
      x64_mov_imm(&g->b, false, RDX, 0);
      done = x64_jmp_rel32(&g->b);
    } else if (w) {
      x64_mov_imm(&g->b, true, R11, UINT64_C(0x8000000000000000));
      x64_alu_rm(&g->b, 7, true, RAX, x64_r(R11));
      trap_jcc(g, CC_E, WRUN_TRAP_INT_OVERFLOW);
    } else {
      x64_alu_imm(&g->b, 7, false, x64_r(RAX), INT32_MIN);
      trap_jcc(g, CC_E, WRUN_TRAP_INT_OVERFLOW);
    }
    x64_patch_rel32(&g->b, normal, g->b.n);
  }
  if (sgn) {
    x64_cdq(&g->b, w);
    x64_unary(&g->b, 7, w, x64_r(RCX));
  } else {
    x64_mov_imm(&g->b, false, RDX, 0);
    x64_unary(&g->b, 6, w, x64_r(RCX));
  }
  if (done) x64_patch_rel32(&g->b, done, g->b.n);
  int d = dst_reg(g, v, rem ? RDX : RAX);
  x64_mov_rr(&g->b, w, d, rem ? RDX : RAX);
  commit(g, v, d);
}

/* The high half of the 128-bit product (widemul.c): `mul`/`imul` with one
 * operand leaves it in rdx (rax, rdx: scratch, never allocated). */
static void mul_high(ir_gen *g, uint32_t v, bool sgn) {
  ir_loc a = arg(g, v, 0), b = arg(g, v, 1);
  int d = dst_reg(g, v, RDX);
  if (b.kind == IR_LOC_CONST) {
    load_g(g, b, RCX);
    b = (ir_loc){IR_LOC_REG, IR_I64, RCX, -1, 0};
  }
  load_g(g, a, RAX);
  x64_unary(&g->b, sgn ? 5 : 4, true, rm_of(g, b)); /* rdx:rax = rax * b */
  x64_mov_rr(&g->b, true, d, RDX);
  commit(g, v, d);
}

static void int_unop(ir_gen *g, uint32_t v, ir_op op) {
  ir_loc a = arg(g, v, 0);
  bool w = a.type == IR_I64;
  int d = dst_reg(g, v, RAX);
  switch (op) {
  case IR_I32_EQZ: case IR_I64_EQZ:
    emit_test(g, a);
    x64_setcc(&g->b, CC_E, RAX);
    x64_movzx8(&g->b, d, x64_r(RAX));
    break;
  case IR_I32_CLZ: case IR_I64_CLZ: /* bsr; 63^31 (127^63) = 32 (64) for zero */
    load_g(g, a, RCX);
    x64_mov_imm(&g->b, false, R11, w ? 127 : 63);
    x64_bitscan(&g->b, 0x0FBD, w, d, x64_r(RCX));
    x64_cmov(&g->b, CC_E, w, d, x64_r(R11));
    x64_alu_imm(&g->b, 6, w, x64_r(d), w ? 63 : 31);
    break;
  case IR_I32_CTZ: case IR_I64_CTZ:
    load_g(g, a, RCX);
    x64_mov_imm(&g->b, false, R11, w ? 64 : 32);
    x64_bitscan(&g->b, 0x0FBC, w, d, x64_r(RCX));
    x64_cmov(&g->b, CC_E, w, d, x64_r(R11));
    break;
  case IR_I32_POPCNT: case IR_I64_POPCNT: load_g(g, a, RCX); x64_popcnt(&g->b, w, d, x64_r(RCX)); break;
  case IR_I32_EXTEND8_S: load_g(g, a, d); x64_movsx8(&g->b, false, d, x64_r(d)); break;
  case IR_I32_EXTEND16_S: load_g(g, a, d); x64_movsx16(&g->b, false, d, x64_r(d)); break;
  case IR_I64_EXTEND8_S: load_g(g, a, d); x64_movsx8(&g->b, true, d, x64_r(d)); break;
  case IR_I64_EXTEND16_S: load_g(g, a, d); x64_movsx16(&g->b, true, d, x64_r(d)); break;
  case IR_I64_EXTEND32_S: case IR_I64_EXTEND_I32_S: load_g(g, a, d); x64_movsxd(&g->b, d, x64_r(d)); break;
  case IR_I64_EXTEND_I32_U: case IR_I32_WRAP_I64: load_g(g, a, d); x64_mov_rr(&g->b, false, d, d); break;
  default: g->fail = true; return;
  }
  commit(g, v, d);
}

/* ---- floating point ---- */

static bool float_cmp(ir_op op) { return (op >= IR_F32_EQ && op <= IR_F32_GE) || (op >= IR_F64_EQ && op <= IR_F64_GE); }

static void float_compare(ir_gen *g, uint32_t v, ir_op op) {
  ir_loc a = arg(g, v, 0), b = arg(g, v, 1);
  bool dbl = a.type == IR_F64;
  int rel = dbl ? (int)op - IR_F64_EQ : (int)op - IR_F32_EQ; /* eq ne lt gt le ge */
  bool swap = rel == 2 || rel == 4;                          /* a < b is b > a */
  ir_loc l = swap ? b : a, r = swap ? a : b;
  load_x(g, l, 0);
  x64_rm src;
  if (r.kind == IR_LOC_CONST) {
    load_x(g, r, XS1);
    src = x64_r(XS1);
  } else {
    src = rm_of(g, r);
  }
  x64_op_rm(&g->b, dbl ? 0x66 : 0, 0x0F2E, false, 0, src); /* ucomiss / ucomisd */
  int d = dst_reg(g, v, RAX);
  switch (rel) {
  case 0: /* equal and ordered */
    x64_setcc(&g->b, CC_E, RAX);
    x64_setcc(&g->b, CC_NP, RCX);
    x64_op_rm8(&g->b, 0x20, RCX, x64_r(RAX)); /* and al, cl */
    break;
  case 1: /* unequal or unordered */
    x64_setcc(&g->b, CC_NE, RAX);
    x64_setcc(&g->b, CC_P, RCX);
    x64_op_rm8(&g->b, 0x08, RCX, x64_r(RAX)); /* or al, cl */
    break;
  case 2: case 3: x64_setcc(&g->b, CC_A, RAX); break;
  default: x64_setcc(&g->b, CC_AE, RAX); break;
  }
  x64_movzx8(&g->b, d, x64_r(RAX));
  commit(g, v, d);
}

static void float_binop(ir_gen *g, uint32_t v, ir_op op) {
  ir_loc a = arg(g, v, 0), b = arg(g, v, 1);
  bool dbl = g->f->ins[v].type == IR_F64;
  uint8_t code;
  switch (op) {
  case IR_F32_ADD: case IR_F64_ADD: code = 0x58; break;
  case IR_F32_SUB: case IR_F64_SUB: code = 0x5C; break;
  case IR_F32_MUL: case IR_F64_MUL: code = 0x59; break;
  default: code = 0x5E; break;
  }
  int d = dst_reg(g, v, 0);
  x64_rm src;
  if (b.kind == IR_LOC_CONST) {
    load_x(g, b, XS1);
    src = x64_r(XS1);
  } else if (b.kind == IR_LOC_SLOT) {
    load_x(g, b, XS1); /* a slot holds 8 bytes; the scalar op reads 4 or 8 */
    src = x64_r(XS1);
  } else {
    src = rm_of(g, b);
  }
  load_x(g, a, d);
  x64_sse(&g->b, fpfx(dbl), code, false, d, src);
  commit(g, v, d);
}

static void float_unop(ir_gen *g, uint32_t v, ir_op op) {
  ir_loc a = arg(g, v, 0);
  uint8_t rt = g->f->ins[v].type;
  bool w = wide(a.type);
  if (!isf(rt)) { /* i32/i64.reinterpret */
    int d = dst_reg(g, v, RAX);
    load_g(g, a, d);
    commit(g, v, d);
    return;
  }
  int d = dst_reg(g, v, 0);
  switch (op) {
  case IR_F32_ABS: case IR_F64_ABS: case IR_F32_NEG: case IR_F64_NEG: {
    bool neg = op == IR_F32_NEG || op == IR_F64_NEG;
    load_g(g, a, RAX);
    if (neg) x64_mov_imm(&g->b, w, R11, w ? UINT64_C(0x8000000000000000) : 0x80000000u);
    else x64_mov_imm(&g->b, w, R11, w ? UINT64_C(0x7FFFFFFFFFFFFFFF) : 0x7FFFFFFFu);
    x64_alu_rm(&g->b, neg ? 6 : 4, w, RAX, x64_r(R11));
    x64_movq_xr(&g->b, w, d, RAX);
    break;
  }
  case IR_F32_SQRT: case IR_F64_SQRT: load_x(g, a, d); x64_sse(&g->b, fpfx(w), 0x51, false, d, x64_r(d)); break;
  case IR_F32_CEIL: case IR_F64_CEIL: load_x(g, a, d); x64_round(&g->b, w, d, d, 2 | 8); break;
  case IR_F32_FLOOR: case IR_F64_FLOOR: load_x(g, a, d); x64_round(&g->b, w, d, d, 1 | 8); break;
  case IR_F32_TRUNC: case IR_F64_TRUNC: load_x(g, a, d); x64_round(&g->b, w, d, d, 3 | 8); break;
  case IR_F32_NEAREST: case IR_F64_NEAREST: load_x(g, a, d); x64_round(&g->b, w, d, d, 0 | 8); break;
  case IR_F32_DEMOTE_F64: load_x(g, a, d); x64_sse(&g->b, 0xF2, 0x5A, false, d, x64_r(d)); break;
  case IR_F64_PROMOTE_F32: load_x(g, a, d); x64_sse(&g->b, 0xF3, 0x5A, false, d, x64_r(d)); break;
  case IR_F32_CONVERT_I32_S: case IR_F32_CONVERT_I32_U: case IR_F32_CONVERT_I64_S:
  case IR_F64_CONVERT_I32_S: case IR_F64_CONVERT_I32_U: case IR_F64_CONVERT_I64_S: {
    bool dbl = rt == IR_F64;
    /* a u32 is converted as the zero-extended i64 it equals (exact) */
    bool w64 = a.type == IR_I64 || op == IR_F32_CONVERT_I32_U || op == IR_F64_CONVERT_I32_U;
    load_g(g, a, RAX);
    if (op == IR_F32_CONVERT_I32_S || op == IR_F64_CONVERT_I32_S) x64_movsxd(&g->b, RAX, x64_r(RAX));
    x64_op_rm(&g->b, 0, 0x0F57, false, d, x64_r(d));
    x64_sse(&g->b, fpfx(dbl), 0x2A, w64 || op == IR_F32_CONVERT_I32_S || op == IR_F64_CONVERT_I32_S, d, x64_r(RAX));
    break;
  }
  case IR_F32_REINTERPRET_I32: case IR_F64_REINTERPRET_I64:
    load_g(g, a, RAX);
    x64_movq_xr(&g->b, w, d, RAX);
    break;
  default: g->fail = true; return;
  }
  commit(g, v, d);
}

/* ---- memory, globals ---- */

/* The operand for an access of `size` bytes at addr + offset; may use r11, rax, rdx. */
static x64_mem address(ir_gen *g, ir_loc a, uint64_t offset, uint32_t size);
x64_mem x64i_address(ir_gen *g, ir_loc a, uint64_t offset, uint32_t size) { return address(g, a, offset, size); }
static x64_mem address(ir_gen *g, ir_loc a, uint64_t offset, uint32_t size) {
  if (g->in->bounds_checks) {
    load_g(g, a, R11);
    x64_mov_imm(&g->b, true, RAX, offset + size);
    x64_alu_rm(&g->b, 0, true, RAX, x64_r(R11));
    x64_mov_load(&g->b, true, RDX, x64_m(ctx_mem(offsetof(aot_ctx, mem0))));
    x64_alu_rm(&g->b, 7, true, RAX, x64_m(x64_base(RDX, (int32_t)offsetof(rt_memory, size))));
    trap_jcc(g, CC_A, WRUN_TRAP_MEMORY_OOB);
    if (offset <= INT32_MAX) return x64_bidx(R15, R11, 1, (int32_t)offset);
    x64_mov_imm(&g->b, true, RAX, offset);
    x64_alu_rm(&g->b, 0, true, R11, x64_r(RAX));
    return x64_bidx(R15, R11, 1, 0);
  }
  if (a.kind == IR_LOC_CONST) {
    uint64_t ea = (uint32_t)a.imm + offset;
    if (ea <= INT32_MAX) return x64_base(R15, (int32_t)ea);
    x64_mov_imm(&g->b, true, R11, ea);
    return x64_bidx(R15, R11, 1, 0);
  }
  int idx = R11;
  if (a.kind == IR_LOC_REG) idx = a.reg;
  else load_g(g, a, R11);
  if (offset <= INT32_MAX) return x64_bidx(R15, idx, 1, (int32_t)offset);
  if (idx != R11) x64_mov_rr(&g->b, false, R11, idx);
  x64_mov_imm(&g->b, true, RAX, offset);
  x64_alu_rm(&g->b, 0, true, R11, x64_r(RAX));
  return x64_bidx(R15, R11, 1, 0);
}

static void load_mem(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  wm_opcode op = (wm_opcode)i->wop;
  int d = dst_reg(g, v, isf(i->type) ? 0 : RCX);
  x64_rm s = x64_m(address(g, arg(g, v, 0), i->imm, 1u << wm_opinfos[op].arg));
  switch (op) {
  case OP_I32_LOAD: case OP_I64_LOAD32_U: x64_mov_load(&g->b, false, d, s); break;
  case OP_I64_LOAD: x64_mov_load(&g->b, true, d, s); break;
  case OP_F32_LOAD: x64_sse(&g->b, 0xF3, 0x10, false, d, s); break;
  case OP_F64_LOAD: x64_sse(&g->b, 0xF2, 0x10, false, d, s); break;
  case OP_I32_LOAD8_S: x64_movsx8(&g->b, false, d, s); break;
  case OP_I64_LOAD8_S: x64_movsx8(&g->b, true, d, s); break;
  case OP_I32_LOAD8_U: case OP_I64_LOAD8_U: x64_movzx8(&g->b, d, s); break;
  case OP_I32_LOAD16_S: x64_movsx16(&g->b, false, d, s); break;
  case OP_I64_LOAD16_S: x64_movsx16(&g->b, true, d, s); break;
  case OP_I32_LOAD16_U: case OP_I64_LOAD16_U: x64_movzx16(&g->b, d, s); break;
  case OP_I64_LOAD32_S: x64_movsxd(&g->b, d, s); break;
  default: g->fail = true; return;
  }
  commit(g, v, d);
}

static void store_mem(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  wm_opcode op = (wm_opcode)i->wop;
  uint32_t size = 1u << wm_opinfos[op].arg;
  ir_loc val = arg(g, v, 1);
  int32_t k;
  if ((size == 4 || size == 8) && !isf(val.type) && imm32(val, size == 8, &k)) { /* mov [m], imm32 */
    x64_mov_store_imm32(&g->b, size == 8, address(g, arg(g, v, 0), i->imm, size), k);
    return;
  }
  if ((size == 1 || size == 2) && val.kind == IR_LOC_CONST) { /* mov byte/word [m], imm */
    x64_mem m = address(g, arg(g, v, 0), i->imm, size);
    if (size == 1) {
      x64_op_rm8(&g->b, 0xC6, 0, x64_m(m));
      x64_byte(&g->b, (uint8_t)val.imm);
    } else {
      x64_op_rm(&g->b, 0x66, 0xC7, false, 0, x64_m(m));
      x64_byte(&g->b, (uint8_t)val.imm);
      x64_byte(&g->b, (uint8_t)(val.imm >> 8));
    }
    return;
  }
  /* the value: its register, or (bits of) it in rcx */
  int vr = RCX;
  bool fl = false;
  if (val.kind == IR_LOC_REG) {
    vr = val.reg;
    fl = isf(val.type);
  } else {
    load_g(g, val, RCX);
  }
  x64_mem m = address(g, arg(g, v, 0), i->imm, size);
  if (fl) x64_sse_store(&g->b, size == 4 ? 0xF3 : 0xF2, 0x11, vr, m);
  else if (size == 1) x64_store8(&g->b, m, vr);
  else if (size == 2) x64_store16(&g->b, m, vr);
  else x64_mov_store(&g->b, size == 8, m, vr);
}

static void global_addr(ir_gen *g, uint32_t gi) {
  x64_mov_load(&g->b, true, R11, x64_m(ctx_mem(offsetof(aot_ctx, globals))));
  x64_mov_load(&g->b, true, R11, x64_m(x64_base(R11, (int32_t)(8 * gi))));
}

static void global_get(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  x64_mem m = x64_base(R11, (int32_t)offsetof(rt_global, val));
  global_addr(g, (uint32_t)i->imm);
  if (i->type == IR_V128) {
    movdqu(g, false, XS2, m);
    x64i_v_store(g, ir_loc_of(g, v), XS2);
    return;
  }
  int d = dst_reg(g, v, isf(i->type) ? 0 : RCX);
  if (isf(i->type)) x64_sse(&g->b, fpfx(wide(i->type)), 0x10, false, d, x64_m(m));
  else x64_mov_load(&g->b, wide(i->type), d, x64_m(m));
  commit(g, v, d);
}

static void global_set(ir_gen *g, uint32_t v) {
  if (arg(g, v, 0).type == IR_V128) {
    x64i_v_load(g, arg(g, v, 0), XS2);
    global_addr(g, (uint32_t)g->f->ins[v].imm);
    movdqu(g, true, XS2, x64_base(R11, (int32_t)offsetof(rt_global, val)));
    return;
  }
  load_g(g, arg(g, v, 0), RCX); /* all 8 bytes of the slot's bits */
  global_addr(g, (uint32_t)g->f->ins[v].imm);
  x64_mov_store(&g->b, true, x64_base(R11, (int32_t)offsetof(rt_global, val)), RCX);
}

/* ---- select, calls, polls ---- */

/* Emits fused compare c (marked by begin) and returns the condition code
 * for "c is 1". */
static int fused_cond(ir_gen *g, uint32_t c) { return compare_ins(g, c); }

static void select_op(ir_gen *g, uint32_t v) {
  ir_loc a = arg(g, v, 0), b = arg(g, v, 1), c = arg(g, v, 2);
  uint8_t t = g->f->ins[v].type;
  if (t == IR_V128) { /* through xmm15: the result's slot may not be written before b is read */
    x64i_v_load(g, a, XS2);
    emit_test(g, c);
    size_t skip = x64_jcc_rel32(&g->b, CC_NE);
    x64i_v_load(g, b, XS2);
    x64_patch_rel32(&g->b, skip, g->b.n);
    x64i_v_store(g, ir_loc_of(g, v), XS2);
    return;
  }
  if (isf(t)) {
    int d = dst_reg(g, v, 0);
    load_x(g, a, d);
    emit_test(g, c);
    size_t skip = x64_jcc_rel32(&g->b, CC_NE);
    load_x(g, b, d);
    x64_patch_rel32(&g->b, skip, g->b.n);
    commit(g, v, d);
    return;
  }
  int d = dst_reg(g, v, RAX);
  uint32_t cv = g->f->ins[v].args[2];
  int keep_a = CC_NE; /* the condition under which d keeps a */
  if (S(g)->fused[cv]) {
    /* cmp first: d may be the register of a compare operand dying there;
     * the moves below leave the flags alone (x64_mov_imm never uses xor) */
    keep_a = fused_cond(g, cv);
  }
  if (b.kind == IR_LOC_CONST) load_g(g, b, RDX);
  load_g(g, a, d);
  if (!S(g)->fused[cv]) emit_test(g, c);
  x64_cmov(&g->b, keep_a ^ 1, wide(t), d, b.kind == IR_LOC_CONST ? x64_r(RDX) : rm_of(g, b));
  commit(g, v, d);
}

static void save_vectors(ir_gen *g, bool restore);

static void call(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  int32_t out = S(g)->out_base;
  static const int8_t arg_gpr[2] = {RCX, RDX}, arg_xmm[2] = {0, XS1};
  /* slot arguments first (through r11/rax), then the register ones; the
   * position of an argument counts two slots for each v128 before it */
  int32_t pos = 0;
  for (uint32_t k = 0; k < i->nargs; pos += slot_width(arg(g, v, k).type), k++) {
    ir_loc a = arg(g, v, k);
    if (aot_arg_in_reg(g->isa->machine, pos, a.type == IR_V128 ? WASM_V128 : WASM_I32)) continue;
    x64_mem m = x64_base(RSP, out + 8 * pos);
    if (a.type == IR_V128) {
      x64i_v_load(g, a, XS2);
      movdqu(g, true, XS2, m);
    } else if (a.kind == IR_LOC_REG && isf(a.type)) x64_sse_store(&g->b, 0xF2, 0x11, a.reg, m);
    else if (a.kind == IR_LOC_REG) x64_mov_store(&g->b, true, m, a.reg);
    else {
      load_g(g, a, R11);
      x64_mov_store(&g->b, true, m, R11);
    }
  }
  pos = 0;
  for (uint32_t k = 0; k < i->nargs; pos += slot_width(arg(g, v, k).type), k++) {
    ir_loc a = arg(g, v, k);
    if (a.type == IR_V128 || !aot_arg_in_reg(g->isa->machine, pos, WASM_I32)) continue;
    if (isf(a.type)) load_x(g, a, arg_xmm[pos]);
    else load_g(g, a, arg_gpr[pos]);
  }
  save_vectors(g, false);
  if (ir_callee_reads_slots(g->isa->machine, wm_module_func_type(g->in->m, (uint32_t)i->imm)))
    x64_lea(&g->b, true, RAX, x64_base(RSP, out));
  ir_gen_reloc(g, (uint32_t)x64_call_rel32(&g->b), (uint32_t)i->imm);
  save_vectors(g, true);
  if (i->type == IR_VOID || ir_loc_of(g, v).kind == IR_LOC_NONE || S(g)->fused[v] == 4) return;
  if (i->type == IR_V128) { /* a single v128 result comes back in the slots */
    movdqu(g, false, XS2, x64_base(RSP, out));
    x64i_v_store(g, ir_loc_of(g, v), XS2);
    return;
  }
  if (isf(i->type)) {
    int d = dst_reg(g, v, 0);
    xmov(g, d, 0);
    commit(g, v, d);
  } else {
    int d = dst_reg(g, v, RAX);
    x64_mov_rr(&g->b, wide(i->type), d, RAX);
    commit(g, v, d);
  }
}

/* ---- calls into C (SysV): the helpers of aot_ctx ---- */

#define GPR_VOLATILE ((1u << RSI) | (1u << RDI) | (1u << R8) | (1u << R9) | (1u << R10))

/* All 16 bytes of the xmm registers that held a v128 value, to the frame
 * around a call (or back): a callee keeps only their low halves. */
static void save_vectors(ir_gen *g, bool restore) {
  int32_t off = S(g)->vec_base;
  for (int r = 0; r < 16; r++)
    if (g->ra->used[IR_CL_V] & (1u << r)) {
      movdqu(g, !restore, r, x64_base(RSP, off));
      off += 16;
    }
}

/* Our values in registers a C function may clobber go to the frame around the call. */
static void save_volatile(ir_gen *g, bool restore) {
  int32_t off = S(g)->vol_base;
  for (int r = 0; r < 16; r++)
    if (g->ra->used[IR_CL_G] & GPR_VOLATILE & (1u << r)) {
      if (restore) x64_mov_load(&g->b, true, r, x64_m(x64_base(RSP, off)));
      else x64_mov_store(&g->b, true, x64_base(RSP, off), r);
      off += 8;
    }
  for (int r = 0; r < 16; r++)
    if (g->ra->used[IR_CL_F] & ~g->ra->used[IR_CL_V] & (1u << r)) {
      if (restore) x64_sse(&g->b, 0xF2, 0x10, false, r, x64_m(x64_base(RSP, off)));
      else x64_sse_store(&g->b, 0xF2, 0x11, r, x64_base(RSP, off));
      off += 8;
    }
  save_vectors(g, restore);
}

/* Writes arguments first..first+n-1 of v to the outgoing slots (64 bits each). */
static void args_to_slots(ir_gen *g, uint32_t v, uint32_t n) {
  int32_t pos = 0;
  for (uint32_t k = 0; k < n; pos += slot_width(arg(g, v, k).type), k++) {
    ir_loc a = arg(g, v, k);
    x64_mem m = x64_base(RSP, S(g)->out_base + 8 * pos);
    if (a.type == IR_V128) {
      x64i_v_load(g, a, XS2);
      movdqu(g, true, XS2, m);
    } else if (a.kind == IR_LOC_REG && isf(a.type)) x64_sse_store(&g->b, 0xF2, 0x11, a.reg, m);
    else if (a.kind == IR_LOC_REG) x64_mov_store(&g->b, true, m, a.reg);
    else {
      load_g(g, a, R11);
      x64_mov_store(&g->b, true, m, R11);
    }
  }
}

/* The result of v from the first outgoing slot, where helpers leave it. */
static void take_slot_result(ir_gen *g, uint32_t v) {
  uint8_t t = g->f->ins[v].type;
  if (t == IR_VOID || ir_loc_of(g, v).kind == IR_LOC_NONE) return;
  x64_mem m = x64_base(RSP, S(g)->out_base);
  if (t == IR_V128) {
    movdqu(g, false, XS2, m);
    x64i_v_store(g, ir_loc_of(g, v), XS2);
    return;
  }
  int d = dst_reg(g, v, isf(t) ? 0 : RAX);
  if (isf(t)) x64_sse(&g->b, fpfx(wide(t)), 0x10, false, d, x64_m(m));
  else x64_mov_load(&g->b, wide(t), d, x64_m(m));
  commit(g, v, d);
}

/* Calls helper h (its C arguments set up by the caller in rdi..r8), then
 * restores our registers and takes a result from the first outgoing slot. */
static void finish_helper_call(ir_gen *g, uint32_t v, aot_helper h) {
  x64_mov_store(&g->b, true, ctx_mem(offsetof(aot_ctx, helper_sp)), RSP); /* backtraces walk from here */
  x64_op_rm(&g->b, 0, 0xFF, false, 2, x64_m(ctx_mem(offsetof(aot_ctx, helpers) + 8 * (size_t)h)));
  save_volatile(g, true);
  take_slot_result(g, v);
}

/* An operation of the AOT_H_OP helper: (ctx, slots, op, a, b). */
static void helper_op(ir_gen *g, uint32_t v, wm_opcode op, uint64_t a, uint64_t b) { x64i_helper_op(g, v, op, a, b); }
void x64i_helper_op(ir_gen *g, uint32_t v, wm_opcode op, uint64_t a, uint64_t b) {
  args_to_slots(g, v, g->f->ins[v].nargs);
  save_volatile(g, false);
  x64_mov_rr(&g->b, true, RDI, R14);
  x64_lea(&g->b, true, RSI, x64_base(RSP, S(g)->out_base));
  x64_mov_imm(&g->b, false, RDX, (uint64_t)op);
  x64_mov_imm(&g->b, true, RCX, a);
  x64_mov_imm(&g->b, true, R8, b);
  finish_helper_call(g, v, AOT_H_OP);
}

/* A call through the runtime: an import (AOT_H_CALL: ctx, func, slots). */
static void call_host(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  args_to_slots(g, v, i->nargs);
  save_volatile(g, false);
  x64_mov_rr(&g->b, true, RDI, R14);
  x64_mov_load(&g->b, true, RSI, x64_m(ctx_mem(offsetof(aot_ctx, funcs))));
  x64_mov_load(&g->b, true, RSI, x64_m(x64_base(RSI, (int32_t)(8 * i->imm))));
  x64_lea(&g->b, true, RDX, x64_base(RSP, S(g)->out_base));
  finish_helper_call(g, v, AOT_H_CALL);
}

/* call_indirect. Fast path, as the one-pass backend's: an in-bounds,
 * non-null element that is compiled code of this instance with the very
 * same type is called directly in the internal convention (which preserves
 * every allocatable register). Anything else goes through
 * AOT_H_CALL_INDIRECT (ctx, table, type, index, slots), which checks the
 * index, null and the type, traps, or calls host and interpreted
 * functions. The helper reads every argument from the slots: they are
 * written first when the callee's type makes it read them too (the fast
 * path then loads the register ones), else only on the way to the helper. */
static void call_indirect(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  const wm_functype *ft = &g->in->m->types[i->imm].func;
  uint32_t nargs = i->nargs - 1;
  bool fast = i->type == IR_VOID || aot_result_in_reg(ft);
  bool slots_first = !fast || ir_callee_reads_slots(g->isa->machine, ft);
  if (slots_first) args_to_slots(g, v, nargs);
  load_g(g, arg(g, v, nargs), RCX);
  size_t slow[5], done = 0;
  if (fast) {
    x64_mov_load(&g->b, true, R11, x64_m(ctx_mem(offsetof(aot_ctx, tables))));
    x64_mov_load(&g->b, true, R11, x64_m(x64_base(R11, (int32_t)(8 * i->aux))));
    x64_alu_rm(&g->b, 7, true, RCX, x64_m(x64_base(R11, (int32_t)offsetof(rt_table, size))));
    slow[0] = x64_jcc_rel32(&g->b, CC_AE);
    x64_mov_load(&g->b, true, R11, x64_m(x64_base(R11, (int32_t)offsetof(rt_table, elems))));
    x64_mov_load(&g->b, true, R11, x64_m(x64_bidx(R11, RCX, 8, 0)));
    x64_test_rr(&g->b, true, R11, R11);
    slow[1] = x64_jcc_rel32(&g->b, CC_E);
    x64_mov_load(&g->b, true, RAX, x64_m(x64_base(R11, (int32_t)offsetof(wrun_func, inst))));
    x64_alu_rm(&g->b, 7, true, RAX, x64_m(ctx_mem(offsetof(aot_ctx, inst))));
    slow[2] = x64_jcc_rel32(&g->b, CC_NE);
    x64_mov_load(&g->b, true, RAX, x64_m(x64_base(R11, (int32_t)offsetof(wrun_func, type))));
    x64_mov_load(&g->b, true, RDX, x64_m(ctx_mem(offsetof(aot_ctx, types))));
    x64_alu_rm(&g->b, 7, true, RAX, x64_m(x64_base(RDX, (int32_t)(8 * i->imm))));
    slow[3] = x64_jcc_rel32(&g->b, CC_NE);
    x64_mov_load(&g->b, true, R11, x64_m(x64_base(R11, (int32_t)offsetof(wrun_func, aot_entry))));
    x64_test_rr(&g->b, true, R11, R11);
    slow[4] = x64_jcc_rel32(&g->b, CC_E);
    static const int8_t arg_gpr[2] = {RCX, RDX}, arg_xmm[2] = {0, XS1};
    /* from their homes: none is rax, rcx, rdx, r11, xmm0 or xmm14; positions
     * count two slots for each v128 before them, as in call() */
    int32_t pos = 0;
    for (uint32_t k = 0; k < nargs; pos += slot_width(arg(g, v, k).type), k++) {
      ir_loc a = arg(g, v, k);
      if (a.type == IR_V128 || !aot_arg_in_reg(g->isa->machine, pos, WASM_I32)) continue;
      if (isf(a.type)) load_x(g, a, arg_xmm[pos]);
      else load_g(g, a, arg_gpr[pos]);
    }
    save_vectors(g, false); /* a callee keeps only the low halves of xmm registers */
    if (slots_first) x64_lea(&g->b, true, RAX, x64_base(RSP, S(g)->out_base));
    x64_call_r(&g->b, R11);
    save_vectors(g, true);
    done = x64_jmp_rel32(&g->b);
    for (int k = 0; k < 5; k++) x64_patch_rel32(&g->b, slow[k], g->b.n);
    if (!slots_first) args_to_slots(g, v, nargs); /* (rcx, the index, survives: they use r11 and xmm15) */
  }
  x64_mov_rr(&g->b, false, RAX, RCX);
  save_volatile(g, false);
  x64_mov_rr(&g->b, true, RDI, R14);
  x64_mov_imm(&g->b, false, RSI, i->aux);
  x64_mov_imm(&g->b, false, RDX, i->imm);
  x64_mov_rr(&g->b, false, RCX, RAX);
  x64_lea(&g->b, true, R8, x64_base(RSP, S(g)->out_base));
  x64_mov_store(&g->b, true, ctx_mem(offsetof(aot_ctx, helper_sp)), RSP); /* backtraces walk from here */
  x64_op_rm(&g->b, 0, 0xFF, false, 2, x64_m(ctx_mem(offsetof(aot_ctx, helpers) + 8 * (size_t)AOT_H_CALL_INDIRECT)));
  save_volatile(g, true);
  if (!fast) {
    take_slot_result(g, v);
    return;
  }
  uint8_t t = i->type;
  if (t != IR_VOID) { /* the helper left it in the slot; the fast path has it in rax / xmm0 */
    if (isf(t)) x64_sse(&g->b, fpfx(wide(t)), 0x10, false, 0, x64_m(x64_base(RSP, S(g)->out_base)));
    else x64_mov_load(&g->b, wide(t), RAX, x64_m(x64_base(RSP, S(g)->out_base)));
  }
  x64_patch_rel32(&g->b, done, g->b.n);
  if (t == IR_VOID || ir_loc_of(g, v).kind == IR_LOC_NONE || S(g)->fused[v] == 4) return; /* (4: read from rax) */
  int d = dst_reg(g, v, isf(t) ? 0 : RAX);
  if (isf(t)) xmov(g, d, 0);
  else x64_mov_rr(&g->b, wide(t), d, RAX);
  commit(g, v, d);
}

/* Result k of a call of several results, from the slots the callee (or the
 * helper) wrote them to: the outgoing slots, untouched since the call. */
static void call_result(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  int32_t pos = (int32_t)ir_gen_result_slots(ir_gen_callee_type(g, &g->f->ins[i->args[0]]), (uint32_t)i->imm);
  x64_mem m = x64_base(RSP, S(g)->out_base + 8 * pos);
  ir_loc d = ir_loc_of(g, v);
  if (d.kind == IR_LOC_NONE) return;
  if (i->type == IR_V128) {
    movdqu(g, false, XS2, m);
    x64i_v_store(g, d, XS2);
  } else if (isf(i->type)) {
    int r = dst_reg(g, v, 0);
    x64_sse(&g->b, fpfx(wide(i->type)), 0x10, false, r, x64_m(m));
    commit(g, v, r);
  } else {
    int r = dst_reg(g, v, RAX);
    x64_mov_load(&g->b, wide(i->type), r, x64_m(m));
    commit(g, v, r);
  }
}

static void poll(ir_gen *g) {
  x64_mov_load(&g->b, true, R11, x64_m(ctx_mem(offsetof(aot_ctx, interrupt))));
  x64_op_rm(&g->b, 0, 0x83, false, 7, x64_m(x64_base(R11, 0))); /* cmp dword [r11], 0 */
  x64_byte(&g->b, 0);
  trap_jcc(g, CC_NE, WRUN_TRAP_TIMEOUT);
}

static size_t prologue(ir_gen *g, bool stack_check);
static void x_move(ir_gen *g, ir_loc d, ir_loc s);

/* An OSR entry (ir.h, OSR_ENTRY): the function's prologue; then each
 * OSR_LOAD takes a value from the interpreter frame at rax, which nothing
 * in between writes (an OSR_LOAD anywhere else fails the function). */
static void osr_ins(ir_gen *g, uint32_t v, bool frame_in_rax) {
  const ir_ins *i = &g->f->ins[v];
  if (i->op == IR_OSR_ENTRY) {
    ir_gen_osr_entry(g, i->imm);
    add_site(g, &g->traps[WRUN_TRAP_STACK_EXHAUSTED], prologue(g, true)); /* entered from the interpreter: always checked */
    S(g)->osr_frame = true;
    return;
  }
  if (!frame_in_rax) {
    g->fail = true;
    return;
  }
  S(g)->osr_frame = true;
  ir_loc d = ir_loc_of(g, v);
  if (d.kind == IR_LOC_NONE) return;
  x64_mem src = x64_base(RAX, 8 * (int32_t)i->imm);
  if (i->type == IR_V128) movdqu(g, false, XS2, src);
  else if (isf(i->type)) x64_sse(&g->b, fpfx(wide(i->type)), 0x10, false, XS2, x64_m(src));
  else x64_mov_load(&g->b, wide(i->type), R11, x64_m(src)); /* an i32: upper half cleared */
  x_move(g, d, (ir_loc){IR_LOC_SCRATCH, i->type, -1, -1, 0});
}

static void x_ins(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  ir_op op = (ir_op)i->op;
  bool frame_in_rax = S(g)->osr_frame;
  S(g)->osr_frame = false;
  if (S(g)->fused[v] && S(g)->fused[v] < 4) return; /* the branch compares (4: a call, its result left in rax;
                                                      * 5, 6: computed into a call's argument register) */
  switch (op) {
  case IR_OSR_ENTRY: case IR_OSR_LOAD: osr_ins(g, v, frame_in_rax); return;
  case IR_CONST: case IR_PARAM: return; /* constants are used in place; parameters placed by begin */
  case IR_LOAD: load_mem(g, v); return;
  case IR_STORE: store_mem(g, v); return;
  case IR_GLOBAL_GET: global_get(g, v); return;
  case IR_GLOBAL_SET: global_set(g, v); return;
  case IR_DIV: divrem(g, v); return;
  case IR_SELECT: select_op(g, v); return;
  case IR_I64_MULHU: case IR_I64_MULHS: mul_high(g, v, op == IR_I64_MULHS); return;
  case IR_CALL: call(g, v); return;
  case IR_CALL_HOST: call_host(g, v); return;
  case IR_CALL_INDIRECT: call_indirect(g, v); return;
  case IR_HOP: helper_op(g, v, (wm_opcode)i->wop, i->imm, i->aux); return;
  case IR_POLL: poll(g); return;
  case IR_RESULT: call_result(g, v); return;
  case IR_MEM_BYTES: { /* memory 0's size in bytes (the vectorizer's guard) */
    int d = dst_reg(g, v, RAX);
    x64_mov_load(&g->b, true, d, x64_m(ctx_mem(offsetof(aot_ctx, mem0))));
    x64_mov_load(&g->b, true, d, x64_m(x64_base(d, (int32_t)offsetof(rt_memory, size))));
    commit(g, v, d);
    return;
  }
  case IR_REF_FUNC: {
    int d = dst_reg(g, v, RAX);
    x64_mov_load(&g->b, true, d, x64_m(ctx_mem(offsetof(aot_ctx, funcs))));
    x64_mov_load(&g->b, true, d, x64_m(x64_base(d, (int32_t)(8 * i->imm))));
    commit(g, v, d);
    return;
  }
  default: break;
  }
  if (ir_op_is_simd(op)) {
    x64_isel_simd(g, v);
    return;
  }
  if (ir_loc_of(g, v).kind == IR_LOC_NONE) return; /* unused (cannot happen after dce) */
  if (by_helper(op)) {
    helper_op(g, v, wasm_op(op), 0, 0);
    return;
  }
  if (int_cmp(op) || ((op == IR_I32_EQZ || op == IR_I64_EQZ) && folded_load(g, i->args[0]))) {
    int cc = compare_ins(g, v);
    int d = dst_reg(g, v, RAX);
    x64_setcc(&g->b, cc, RAX);
    x64_movzx8(&g->b, d, x64_r(RAX));
    commit(g, v, d);
  } else if (float_cmp(op)) {
    float_compare(g, v, op);
  } else if (i->nargs == 2 && isf(i->type)) {
    float_binop(g, v, op);
  } else if (i->nargs == 2) {
    int_binop(g, v, op);
  } else if (isf(i->type) || isf(f_arg_type(g, v))) {
    float_unop(g, v, op);
  } else {
    int_unop(g, v, op);
  }
}

/* ---- moves (phis), control ---- */

static void x_move(ir_gen *g, ir_loc d, ir_loc s) {
  if (d.type == IR_V128) { /* through xmm14 (xmm15 may be the cycle's scratch) */
    if (s.kind == IR_LOC_SLOT && d.kind == IR_LOC_SLOT) {
      movdqu(g, false, XS1, spill_mem(g, s.slot));
      movdqu(g, true, XS1, spill_mem(g, d.slot));
    } else if (d.kind == IR_LOC_SLOT) {
      movdqu(g, true, rm_of(g, s).reg, spill_mem(g, d.slot));
    } else {
      x64i_v_load(g, s, rm_of(g, d).reg);
    }
    return;
  }
  bool fl = ir_cls(d.type) == IR_CL_F;
  if (d.kind == IR_LOC_SLOT) {
    x64_mem m = spill_mem(g, d.slot);
    if (s.kind == IR_LOC_REG || s.kind == IR_LOC_SCRATCH) {
      int r = rm_of(g, s).reg;
      if (fl) x64_sse_store(&g->b, 0xF2, 0x11, r, m);
      else x64_mov_store(&g->b, true, m, r);
    } else {
      load_g(g, s, RAX); /* a slot or a constant: through rax as bits */
      x64_mov_store(&g->b, true, m, RAX);
    }
    return;
  }
  int r = rm_of(g, d).reg;
  if (fl) load_x(g, s, r);
  else load_g(g, s, r);
}

static void x_block(ir_gen *g, uint32_t b) {
  S(g)->osr_frame = false;
  if (g->f->blocks[b].loop_head) x64_nops(&g->b, (16 - g->b.n % 16) % 16);
  g->block_pos[b] = (uint32_t)g->b.n;
}

static void jump_to(ir_gen *g, uint32_t b, uint32_t next) {
  b = ir_gen_target(g, b);
  if (b == next) return;
  ir_gen_fixup(g, (uint32_t)x64_jmp_rel32(&g->b), b);
}

/* The register holding switch index ix: its own, or rcx. */
static int index_reg(ir_gen *g, ir_loc ix) {
  if (ix.kind == IR_LOC_REG) return ix.reg;
  load_g(g, ix, RCX);
  return RCX;
}

/* br_table whose index (ix) picks few runs of equal targets: one
 * unsigned compare and branch per run, ascending, instead of a jump table
 * and an indirect jump (regex's three-way dispatch). At most 4 runs,
 * the default's [n, 2^32) included. */
static bool switch_by_compares(ir_gen *g, const ir_block *bl, uint32_t next, ir_loc ix) {
  uint32_t n = bl->nsucc - 1, hi[4], succ[4], nr;
  if (n > INT32_MAX || !(nr = ir_gen_switch_runs(g, bl, 4, hi, succ))) return false;
  int x = nr > 1 ? index_reg(g, ix) : RCX;
  for (uint32_t r = 0; r + 1 < nr; r++) {
    if (hi[r] == 0) x64_test_rr(&g->b, false, x, x); /* <= 0 unsigned: == 0 */
    else x64_alu_imm(&g->b, 7, false, x64_r(x), (int32_t)hi[r]);
    ir_gen_fixup(g, (uint32_t)x64_jcc_rel32(&g->b, hi[r] == 0 ? CC_E : CC_BE), succ[r]);
  }
  jump_to(g, succ[nr - 1], next);
  return true;
}

/* br_table over at most 64 cases with at most three targets besides the
 * default's: a bit mask per target tested with bt (strings' character
 * classes), the default for an index out of range or in no mask. */
static bool switch_by_bits(ir_gen *g, const ir_block *bl, uint32_t next, ir_loc ix) {
  uint32_t n = bl->nsucc - 1, dflt = bl->succ[n], tg[3], nt;
  uint64_t mask[3];
  if (!ir_gen_switch_masks(g, bl, 3, tg, mask, &nt)) return false;
  int x = index_reg(g, ix);
  x64_alu_imm(&g->b, 7, false, x64_r(x), (int32_t)n);
  ir_gen_fixup(g, (uint32_t)x64_jcc_rel32(&g->b, CC_AE), dflt);
  for (uint32_t j = 0; j < nt; j++) {
    if (__builtin_popcountll(mask[j]) == 1) { /* one case: cmp x, k; je */
      x64_alu_imm(&g->b, 7, false, x64_r(x), __builtin_ctzll(mask[j]));
      ir_gen_fixup(g, (uint32_t)x64_jcc_rel32(&g->b, CC_E), tg[j]);
      continue;
    }
    x64_mov_imm(&g->b, true, R11, mask[j]);
    x64_op_rm(&g->b, 0, 0x0FA3, true, x, x64_r(R11)); /* bt r11, x: CF = bit x of r11 (x < 64 here) */
    ir_gen_fixup(g, (uint32_t)x64_jcc_rel32(&g->b, CC_B), tg[j]);
  }
  jump_to(g, dflt, next);
  return true;
}

static void x_term(ir_gen *g, uint32_t v, uint32_t next) {
  const ir_ins *i = &g->f->ins[v];
  const ir_block *bl = &g->f->blocks[i->block];
  switch (i->op) {
  case IR_JMP: case IR_ENTRY: jump_to(g, bl->succ[0], next); return;
  case IR_BR: {
    uint32_t c = i->args[0];
    int cc;
    if (S(g)->fused[c] == 3) { /* and/or of two compares: branch on the first, then as below on the second */
      const ir_ins *ci = &g->f->ins[c];
      bool conj = ci->op == IR_I32_AND;
      int c1 = compare_ins(g, ci->args[0]);
      ir_gen_fixup(g, (uint32_t)x64_jcc_rel32(&g->b, conj ? c1 ^ 1 : c1), conj ? bl->succ[1] : bl->succ[0]);
      cc = compare_ins(g, ci->args[1]);
    } else if (S(g)->fused[c]) {
      cc = compare_ins(g, c);
    } else {
      cc = emit_test(g, ir_loc_of(g, c));
    }
    uint32_t t = ir_gen_target(g, bl->succ[0]), e = ir_gen_target(g, bl->succ[1]);
    if (t == next) {
      ir_gen_fixup(g, (uint32_t)x64_jcc_rel32(&g->b, cc ^ 1), e);
    } else {
      ir_gen_fixup(g, (uint32_t)x64_jcc_rel32(&g->b, cc), t);
      jump_to(g, e, next);
    }
    return;
  }
  case IR_SWITCH: {
    uint32_t n = bl->nsucc - 1;
    if (switch_by_compares(g, bl, next, ir_loc_of(g, i->args[0])) ||
        switch_by_bits(g, bl, next, ir_loc_of(g, i->args[0])))
      return;
    load_g(g, ir_loc_of(g, i->args[0]), RCX);
    x64_alu_imm(&g->b, 7, false, x64_r(RCX), (int32_t)n);
    x64_mov_imm(&g->b, false, R11, n);
    x64_cmov(&g->b, CC_AE, false, RCX, x64_r(R11));
    size_t lea = x64_lea_rip(&g->b, R11);
    x64_movsxd(&g->b, RCX, x64_m(x64_bidx(R11, RCX, 4, 0)));
    x64_alu_rm(&g->b, 0, true, RCX, x64_r(R11));
    x64_jmp_r(&g->b, RCX);
    size_t table = g->b.n;
    x64_patch_rel32(&g->b, lea, table);
    /* entries: target - table, filled in by finish (a fixup tagged by its high bit) */
    for (uint32_t k = 0; k <= n; k++) {
      ir_gen_fixup(g, (uint32_t)(g->b.n) | 0x80000000u, bl->succ[k]);
      x64_u32(&g->b, (uint32_t)table);
    }
    return;
  }
  case IR_RET: {
    if (aot_result_in_reg(g->ft)) {
      ir_loc r = ir_loc_of(g, i->args[0]);
      if (isf(r.type)) load_x(g, r, 0);
      else load_g(g, r, RAX);
    } else if (i->nargs) {
      x64_mov_load(&g->b, true, RDX, x64_m(x64_base(RSP, 0)));
      int32_t pos = 0;
      for (uint32_t k = 0; k < i->nargs; k++) {
        ir_loc r = ir_loc_of(g, i->args[k]);
        x64_mem m = x64_base(RDX, 8 * pos);
        pos += slot_width(r.type);
        if (r.type == IR_V128) {
          x64i_v_load(g, r, XS2);
          movdqu(g, true, XS2, m);
        } else if (r.kind == IR_LOC_REG && isf(r.type)) {
          x64_sse_store(&g->b, 0xF2, 0x11, r.reg, m);
        } else {
          load_g(g, r, RAX);
          x64_mov_store(&g->b, true, m, RAX);
        }
      }
    }
    add_site(g, &S(g)->rets, x64_jmp_rel32(&g->b));
    return;
  }
  case IR_TRAP: add_site(g, &g->traps[i->imm], x64_jmp_rel32(&g->b)); return;
  default: g->fail = true; return;
  }
}

/* ---- prologue, epilogue ---- */

static void bind(ir_gen *g, site_list *l, size_t target) {
  for (uint32_t k = 0; k < l->n; k++) x64_patch_rel32(&g->b, l->at[k], target);
}

static uint32_t popcount(uint32_t x) { return (uint32_t)__builtin_popcount(x); }

/* Outgoing slots instruction i needs: its arguments (two per v128) and
 * results of calls and helpers, the staging area of SIMD instructions. */
static uint32_t out_slots(const ir_gen *g, const ir_ins *i) {
  if (ir_op_is_simd(i->op)) return X64I_SIMD_STAGE_SLOTS;
  if (i->op != IR_CALL && !calls_c((ir_op)i->op)) return 0;
  return ir_gen_call_slots(g, i);
}

/* The frame, the stack check if asked for (its jcc's site is returned,
 * SIZE_MAX without one), the caller's slot pointer, the callee-saved
 * registers: at the entry and at each OSR entry (rax is left alone). */
static size_t prologue(ir_gen *g, bool stack_check) {
  xs *st = S(g);
  x64_alu_imm(&g->b, 5, true, x64_r(RSP), (int32_t)st->frame);
  size_t stack_site = SIZE_MAX;
  if (stack_check) {
    x64_alu_rm(&g->b, 7, true, RSP, x64_m(ctx_mem(offsetof(aot_ctx, stack_limit))));
    stack_site = x64_jcc_rel32(&g->b, CC_B);
  }
  if (!aot_result_in_reg(g->ft)) x64_mov_store(&g->b, true, x64_base(RSP, 0), RAX);
  int32_t off = st->save_base;
  for (int r = 0; r < 16; r++)
    if (st->saved_g & (1u << r)) {
      x64_mov_store(&g->b, true, x64_base(RSP, off), r);
      off += 8;
    }
  for (int r = 0; r < 16; r++)
    if (st->saved_x & (1u << r)) {
      x64_sse_store(&g->b, 0xF2, 0x11, r, x64_base(RSP, off));
      off += 8;
    }
  return stack_site;
}

static bool arg_is_folded_load(const uint8_t *fused, uint32_t arg) { return fused[arg] == 2; }

/* A direct or indirect call's integer result used only by the add, sub,
 * and, or, xor or mul right after it (constants between emit nothing) is
 * that operation's operand in rax, where the call left it (marked 4 in
 * fused): no move into a register of its own, which the function would
 * also have to save. Not when the operation has no register (it would be
 * computed in rax) or its other operand is folded into it too. */
static void fold_call_results(ir_gen *g, const uint32_t *uses) {
  const ir_func *f = g->f;
  xs *st = S(g);
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 0; k + 1 < bl->nins; k++) {
      uint32_t v = bl->ins[k], n = k + 1;
      const ir_ins *ci = &f->ins[v];
      if ((ci->op != IR_CALL && ci->op != IR_CALL_INDIRECT) || (ci->type != IR_I32 && ci->type != IR_I64) ||
          uses[v] != 1 || ci->dead)
        continue;
      while (n + 1 < bl->nins && f->ins[bl->ins[n]].op == IR_CONST) n++;
      uint32_t uv = bl->ins[n];
      const ir_ins *u = &f->ins[uv];
      bool alu = alu_ext((ir_op)u->op) >= 0 || u->op == IR_I32_MUL || u->op == IR_I64_MUL;
      if (!alu || u->dead || u->nargs != 2 || u->type != ci->type || u->args[0] == u->args[1]) continue;
      uint32_t other = u->args[0] == v ? u->args[1] : u->args[0];
      if (u->args[1] != v && !(u->args[0] == v && (ir_opinfos[u->op].flags & IRF_COMM))) continue;
      if (g->ra->reg[uv] < 0 || st->fused[other] || st->fused[uv]) continue;
      st->fused[v] = 4;
    }
  }
  /* an add, sub, and, or, xor or mul computed right before a direct call
   * (constants between) and used only as its first or second argument is
   * computed in rcx or rdx, where the call takes it (marked 5 or 6): its
   * register is then never written, nor saved */
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 0; k + 1 < bl->nins; k++) {
      uint32_t x = bl->ins[k], n = k + 1;
      const ir_ins *xi = &f->ins[x];
      bool alu = alu_ext((ir_op)xi->op) >= 0 || xi->op == IR_I32_MUL || xi->op == IR_I64_MUL;
      if (!alu || xi->dead || xi->nargs != 2 || (xi->type != IR_I32 && xi->type != IR_I64) || uses[x] != 1 || st->fused[x])
        continue;
      while (n + 1 < bl->nins && f->ins[bl->ins[n]].op == IR_CONST) n++;
      const ir_ins *c = &f->ins[bl->ins[n]];
      if (c->op != IR_CALL || c->dead) continue;
      uint32_t a = 0;
      while (a < c->nargs && a < 2 && c->args[a] != x) a++;
      if (a == 2 || a == c->nargs || (a == 1 && f->ins[c->args[0]].type == IR_V128)) continue;
      if (c->nargs > 1 && c->args[1 - a] == x) continue;
      if (st->fused[xi->args[0]] || st->fused[xi->args[1]]) continue; /* operands of its own stay simple */
      /* only where it frees a register: not when x took the register of an
       * operand dying at it (the move into the argument register stays;
       * folding that case made ackermann 15% slower) */
      int8_t r = g->ra->reg[x];
      if (r >= 0 && (r == g->ra->reg[xi->args[0]] || r == g->ra->reg[xi->args[1]])) continue;
      st->fused[x] = a == 0 ? 5 : 6;
    }
  }
}

static bool x_begin(ir_gen *g) {
  const ir_func *f = g->f;
  xs *st = calloc(1, sizeof *st);
  uint32_t *uses = calloc(f->nins + 1, sizeof *uses);
  if (st) st->fused = calloc(f->nins + 1, 1);
  g->isa_state = st; /* released by x_release whatever happens next */
  if (!st || !st->fused || !uses) {
    free(uses);
    return false;
  }
  uint32_t nout = 0;
  bool c_calls = false, wasm_calls = false;
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 0; k < bl->nins; k++) {
      const ir_ins *i = &f->ins[bl->ins[k]];
      if (i->dead) continue;
      for (uint32_t a = 0; a < i->nargs; a++) uses[i->args[a]]++;
      uint32_t need = out_slots(g, i);
      if (need > nout) nout = need;
      c_calls |= calls_c((ir_op)i->op);
      wasm_calls |= i->op == IR_CALL;
    }
  }
  bool leaf = !c_calls && !wasm_calls; /* calls nothing but, from a trap stub, h_trap */
  if (!leaf && nout < 2) nout = 2;
  /* a compare used only by the branch right after it becomes cmp; jcc */
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    if (bl->nins < 2) continue;
    const ir_ins *t = &f->ins[bl->ins[bl->nins - 1]];
    if (t->op != IR_BR) continue;
    uint32_t c = t->args[0];
    const ir_ins *ci = &f->ins[c];
    if (bl->ins[bl->nins - 2] != c || uses[c] != 1) continue;
    if (int_cmp((ir_op)ci->op) || ci->op == IR_I32_EQZ || ci->op == IR_I64_EQZ) st->fused[c] = 1;
  }
  /* a full-width load used only by the integer operation or compare right
   * after it (constants between emit nothing) is folded into it as its
   * memory operand (binop_mem, compare_ins) */
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 0; k + 1 < bl->nins; k++) {
      uint32_t v = bl->ins[k], n = k + 1;
      const ir_ins *li = &f->ins[v];
      if (li->op != IR_LOAD || (li->wop != OP_I32_LOAD && li->wop != OP_I64_LOAD) || uses[v] != 1) continue;
      while (n + 1 < bl->nins && f->ins[bl->ins[n]].op == IR_CONST) n++;
      uint32_t uv = bl->ins[n];
      const ir_ins *u = &f->ins[uv];
      if (u->nargs < 1 || u->args[0] == (u->nargs > 1 ? u->args[1] : UINT32_MAX)) continue;
      bool eqz = u->op == IR_I32_EQZ || u->op == IR_I64_EQZ;
      if ((int_cmp((ir_op)u->op) || eqz) && f->ins[u->args[0]].type == li->type &&
          (u->args[0] == v || (!eqz && u->args[1] == v))) {
        st->fused[v] = 2;
        continue;
      }
      bool alu = alu_ext((ir_op)u->op) >= 0 || u->op == IR_I32_MUL || u->op == IR_I64_MUL;
      bool comm = ir_opinfos[u->op].flags & IRF_COMM;
      if (!alu || u->type != li->type || !(u->args[1] == v || (comm && u->args[0] == v))) continue;
      int8_t ar = g->ra->reg[li->args[0]], dr = g->ra->reg[uv];
      if (ar >= 0 && ar == dr) continue; /* loading the other operand into d would lose the address */
      st->fused[v] = 2;
    }
  }
  /* a branch on the and/or of two compares right before it: two
   * compare-and-branches, unless a folded load would trap in the second */
  ir_gen_fuse_and_or_branches(f, uses, st->fused, arg_is_folded_load);
  /* a shift by 1-3 used only by the add right after it is that add's scaled index (add_lea) */
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 1; k < bl->nins; k++) {
      const ir_ins *ai = &f->ins[bl->ins[k]];
      uint32_t sv = bl->ins[k - 1];
      const ir_ins *si = &f->ins[sv];
      if ((ai->op != IR_I32_ADD && ai->op != IR_I64_ADD) || (ai->args[0] != sv && ai->args[1] != sv)) continue;
      if (si->op != (ai->op == IR_I32_ADD ? IR_I32_SHL : IR_I64_SHL) || uses[sv] != 1) continue;
      const ir_ins *ki = &f->ins[si->args[1]];
      uint64_t n = ki->imm & (ai->op == IR_I32_ADD ? 31 : 63);
      if (ki->op == IR_CONST && n >= 1 && n <= 3) st->fused[sv] = 1;
    }
  }
  /* likewise a compare used only as the condition of the integer select
   * right after it becomes cmp; cmov (no setcc, movzx, test) */
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 1; k < bl->nins; k++) {
      const ir_ins *si = &f->ins[bl->ins[k]];
      if (si->op != IR_SELECT || isf(si->type) || si->type == IR_V128) continue;
      uint32_t c = si->args[2];
      const ir_ins *ci = &f->ins[c];
      if (bl->ins[k - 1] != c || uses[c] != 1) continue;
      if (int_cmp((ir_op)ci->op) || ci->op == IR_I32_EQZ || ci->op == IR_I64_EQZ) st->fused[c] = 1;
    }
  }
  fold_call_results(g, uses);
  free(uses);
  g->nout = nout;
  const uint32_t gpr_alloc = (1u << RBX) | (1u << RBP) | (1u << RSI) | (1u << RDI) | (1u << R8) | (1u << R9) |
                             (1u << R10) | (1u << R12) | (1u << R13);
  st->saved_g = g->ra->used[IR_CL_G] & gpr_alloc & ir_gen_written_regs(g, S(g)->fused, IR_CL_G);
  st->saved_x = (g->ra->used[IR_CL_F] | g->ra->used[IR_CL_V]) & 0x3FFEu;
  uint32_t nvol = 0, nvec = popcount(g->ra->used[IR_CL_V]);
  if (c_calls) { /* our callers keep values in every allocatable register, and C may clobber these */
    nvol = popcount(g->ra->used[IR_CL_G] & GPR_VOLATILE) + popcount(g->ra->used[IR_CL_F] & ~g->ra->used[IR_CL_V]);
    st->saved_g |= GPR_VOLATILE;
    st->saved_x = 0x3FFEu;
  }
  st->out_base = 8 + 8 * (int32_t)g->ra->nslots;
  st->vol_base = st->out_base + 8 * (int32_t)nout;
  st->vec_base = st->vol_base + 8 * (int32_t)nvol;
  st->save_base = st->vec_base + 16 * (int32_t)nvec;
  uint32_t frame = (uint32_t)st->save_base + 8 * (popcount(st->saved_g) + popcount(st->saved_x));
  if (frame % 16 != 8) frame += 8; /* rsp is 16-aligned in the body */
  if (frame < g->in->min_frame && g->in->min_frame % 16 == 8) frame = g->in->min_frame; /* (room at the top) */
  st->frame = frame;
  /* prologue; a small leaf needs no stack check (IR_LEAF_FRAME_MAX) */
  st->stack_site = prologue(g, !leaf || frame > IR_LEAF_FRAME_MAX);
  /* parameters to their homes (no home is rax, rcx, rdx, xmm0 or xmm14) */
  static const int8_t arg_gpr[2] = {RCX, RDX}, arg_xmm[2] = {0, XS1};
  const ir_block *entry = &f->blocks[0];
  for (uint32_t k = 0; k < entry->nins; k++) {
    uint32_t v = entry->ins[k];
    const ir_ins *i = &f->ins[v];
    if (i->dead || i->op != IR_PARAM) continue;
    ir_loc d = ir_loc_of(g, v);
    if (d.kind == IR_LOC_NONE) continue;
    uint32_t p = 0; /* the parameter's slot position: two for each v128 before it */
    for (uint32_t q = 0; q < i->imm; q++) p += wm_functype_params(g->ft)[q] == WASM_V128 ? 2 : 1;
    bool fl = isf(i->type);
    ir_loc src;
    if (i->type == IR_V128) {
      movdqu(g, false, XS2, x64_base(RAX, 8 * (int32_t)p));
      src = (ir_loc){IR_LOC_SCRATCH, IR_V128, -1, -1, 0};
    } else if (aot_arg_in_reg(g->isa->machine, (int32_t)p, WASM_I32)) {
      src = (ir_loc){IR_LOC_REG, i->type, fl ? arg_xmm[p] : arg_gpr[p], -1, 0};
      /* upper half of an i32 clear: a 32-bit move into the home register does it */
      if (!fl && i->type == IR_I32 && d.kind != IR_LOC_REG) x64_mov_rr(&g->b, false, arg_gpr[p], arg_gpr[p]);
    } else {
      x64_rm m = x64_m(x64_base(RAX, 8 * (int32_t)p));
      if (fl) x64_sse(&g->b, fpfx(wide(i->type)), 0x10, false, XS2, m);
      else x64_mov_load(&g->b, wide(i->type), R11, m);
      src = (ir_loc){IR_LOC_REG, i->type, fl ? XS2 : R11, -1, 0};
    }
    x_move(g, d, src);
  }
  return true;
}

static void x_epilogue_code(ir_gen *g) {
  xs *st = S(g);
  int32_t off = st->save_base;
  for (int r = 0; r < 16; r++)
    if (st->saved_g & (1u << r)) {
      x64_mov_load(&g->b, true, r, x64_m(x64_base(RSP, off)));
      off += 8;
    }
  for (int r = 0; r < 16; r++)
    if (st->saved_x & (1u << r)) {
      x64_sse(&g->b, 0xF2, 0x10, false, r, x64_m(x64_base(RSP, off)));
      off += 8;
    }
  x64_alu_imm(&g->b, 0, true, x64_r(RSP), (int32_t)st->frame);
  x64_ret(&g->b);
}

/* The epilogue before the OSR entries (isa.h, epilogue). */
static void x_epilogue(ir_gen *g) {
  xs *st = S(g);
  st->epilogue_at = g->b.n;
  st->epilogue_done = true;
  x_epilogue_code(g);
}

static bool x_finish(ir_gen *g, aot_func_out *out) {
  xs *st = S(g);
  if (st->epilogue_done) {
    bind(g, &st->rets, st->epilogue_at);
  } else {
    bind(g, &st->rets, g->b.n);
    x_epilogue_code(g);
  }
  /* trap stubs, as the one-pass backend's (rsp is the body's at every jump here) */
  for (int k = 0; k <= WRUN_TRAP_INTERRUPTED; k++) { /* (trapstub.c: each site keeps its position) */
    bool stack_check = k == WRUN_TRAP_STACK_EXHAUSTED && st->stack_site != SIZE_MAX; /* leaves may have none */
    if (!g->traps[k].n && !stack_check) continue;
    x64_trap_stub(&g->b, g->map, &g->traps[k], stack_check ? st->stack_site : SIZE_MAX, k);
  }
  if (g->b.oom || g->fail) return false;
  for (uint32_t k = 0; k < g->nfix; k++) {
    uint32_t at = g->fix[k].at & 0x7FFFFFFFu, pos = g->block_pos[g->fix[k].block];
    if (pos == UINT32_MAX) return false;
    if (g->fix[k].at & 0x80000000u) { /* jump table entry: target - table */
      uint32_t table;
      memcpy(&table, g->b.p + at, 4);
      int32_t rel = (int32_t)((int64_t)pos - (int64_t)table);
      memcpy(g->b.p + at, &rel, 4);
    } else {
      x64_patch_rel32(&g->b, at, pos);
    }
  }
  /* a jump to the very next instruction (an empty block or the epilogue
   * followed) becomes a no-op of the same length */
  for (uint32_t k = 0; k < g->nfix + st->rets.n; k++) {
    uint32_t at = k < g->nfix ? g->fix[k].at : st->rets.at[k - g->nfix];
    if (at & 0x80000000u) continue; /* a jump table entry */
    int32_t rel;
    memcpy(&rel, g->b.p + at, 4);
    if (rel != 0) continue;
    if (g->b.p[at - 1] == 0xE9) memcpy(g->b.p + at - 1, "\x0F\x1F\x44\x00\x00", 5);
    else if (g->b.p[at - 2] == 0x0F) memcpy(g->b.p + at - 2, "\x66\x0F\x1F\x44\x00\x00", 6);
  }
  out->code = g->b.p;
  out->size = (uint32_t)g->b.n;
  out->frame = st->frame;
  out->relocs = g->relocs;
  out->nrelocs = g->nrelocs;
  g->b = (aot_buf){0};
  g->relocs = NULL;
  g->nrelocs = 0;
  return true;
}

static void x_release(ir_gen *g) {
  xs *st = S(g);
  free(st->rets.at);
  free(st->fused);
  free(st);
  g->isa_state = NULL;
}

const aot_isa aot_isa_x64 = {
    .name = "x86-64",
    .machine = &aot_target_x64,
    .alloc = {gpr_order, xmm_order, xmm_order},
    .nalloc = {sizeof gpr_order, sizeof xmm_order, sizeof xmm_order},
    .vec_in_float_regs = true,
    .supports = x_supports,
    .begin = x_begin,
    .block = x_block,
    .ins = x_ins,
    .move = x_move,
    .term = x_term,
    .finish = x_finish,
    .epilogue = x_epilogue,
    .release = x_release,
};
