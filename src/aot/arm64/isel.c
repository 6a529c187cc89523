/*
 * isel.c — AArch64 instruction selection and emission for the optimizing
 * pipeline (the aot_isa of src/aot/ir/isa.h), encoding through asm.c.
 * The calling convention and register roles are in target.h.
 *
 * Registers: x16, x17, x0-x2 and v0, v1, v30 are scratch within one IR
 * instruction; x14 only forms large frame offsets (so any other scratch may
 * be in use meanwhile); x15 and v31 break the phi moves' cycles. The
 * allocator hands out x19-x26 (callee-saved under AAPCS64, so they survive
 * C helper calls untouched) first, then x3-x13, and v8-v15 (whose low
 * halves AAPCS64 preserves), v2-v7 and v16-v28. A function that calls C
 * keeps its caller-saved registers in the frame around each such call
 * and, because its own callers may hold values in any allocatable register,
 * saves all of them in its prologue. v128 values share the v registers
 * with floats (vec_in_float_regs); callees (ours and C) keep only the low
 * 64 bits of v8-v15, so every register that held a vector is saved whole
 * around every call, and a v128 argument or result travels in two 8-byte
 * slots. A SIMD instruction may also use v31 (no value lives there between
 * instructions). An i32 in a register has its upper half
 * clear (every 32-bit operation writes the W form, which zero-extends), so
 * it indexes memory directly through an UXTW extend.
 *
 * Frame (sp-relative, sp 16-aligned and constant in the body): [0] the
 * caller's slot pointer, then the spill slots, then the outgoing argument
 * (and result) slots of calls, then registers saved around C calls, the
 * q registers saved around any call (16-aligned), then the
 * callee-saved registers this function writes; above those (at sp + size)
 * the frame record x29, x30 pushed first, x29 pointing at it.
 *
 * Memory 0 is reached as x27 + zero-extended address (+ offset): with
 * guard pages, an address past the memory faults in the reservation and
 * the runtime's signal handler turns it into a trap, as on x86-64; with
 * explicit bounds checks (AOT_OPT_BOUNDS_CHECKS) each access compares with
 * the memory's size first. Traps branch to per-kind stubs at the end of the
 * function that call the AOT_H_TRAP helper.
 */
#include <stddef.h>
#include <stdlib.h>
#include <string.h>

#include "aot/arm64/asm.h"
#include "aot/codemap.h"
#include "aot/arm64/target.h"
#include "aot/ir/isa.h"

/* Scratch registers (see the header comment). */
enum { S0 = 16, S1 = 17, SBIG = 14, SCYC = 15, F0 = 0, F1 = 1, FS = 30, FCYC = 31 };

static const int8_t gpr_order[] = {19, 20, 21, 22, 23, 24, 25, 26, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13};
static const int8_t fpr_order[] = {8, 9, 10, 11, 12, 13, 14, 15, 2, 3, 4, 5, 6, 7, 16, 17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28};

#define GPR_ALLOC 0x07F80FF8u  /* x3-x13, x19-x26 */
#define GPR_VOLATILE 0x00003FF8u /* x3-x13: AAPCS64 lets C clobber them */
#define FPR_ALLOC 0x1FFFFFFCu  /* v2-v28 */
#define FPR_VOLATILE 0x1FFF00FCu /* v2-v7, v16-v28 */

typedef struct as {
  int32_t spill_base;            /* offset of spill slot 0 */
  int32_t out_base;              /* outgoing argument slots */
  int32_t vol_base;              /* caller-saved registers around C calls */
  int32_t vec_base;              /* q registers holding v128 values, around any call (16-aligned) */
  int32_t save_base;             /* callee-saved registers */
  uint32_t size;                 /* what the prologue subtracts after pushing the frame record */
  uint32_t saved_g, saved_f;
  uint8_t *fused;                /* per value: a compare left to the branch that uses it */
  site_list rets;
  size_t epilogue_at;            /* a_epilogue: where the epilogue went */
  bool epilogue_done;
  size_t stack_site;
  bool far;                      /* the function may pass 1 MiB: conditional branches to labels get a
                                  * second word, for a64_patch_cond's long form */
  bool osr_frame;                /* x0 still points at the interpreter frame (OSR entry) */
} as;

static as *S(ir_gen *g) { return g->isa_state; }

/* Every encoder call goes through E: one that cannot encode its operands
 * appends nothing and returns false, and the function is then refused. */
#define E(x)                     \
  do {                           \
    if (!(x)) g->fail = true;    \
  } while (0)

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

/* After a conditional branch to a label: the word its long form needs, in a far function. */
static void far_slot(ir_gen *g) {
  if (((as *)g->isa_state)->far) E(a64_nop(&g->b));
}

/* Points the branch at `at` to a label at target: in a far function a
 * conditional one takes its long form when the short one does not reach
 * (the B of a return or an explicit trap only needs a64_patch). */
static bool patch_site(ir_gen *g, size_t at, size_t target) {
  return a64_patch(&g->b, at, target) || (((as *)g->isa_state)->far && a64_patch_cond(&g->b, at, target));
}

static void trap_if(ir_gen *g, a64_cond cc, rt_trap_kind k) {
  add_site(g, &g->traps[k], g->b.n);
  E(a64_bcond(&g->b, cc, g->b.n));
  far_slot(g);
}

static bool wide(uint8_t t) { return t == IR_I64 || t == IR_F64; }
static bool isf(uint8_t t) { return t == IR_F32 || t == IR_F64; }

/* ---- frame access ---- */

/* A load or store of rt at [rn + off], through x14 when off has no immediate form. */
static void ldst_off(ir_gen *g, a64_ldst_kind k, int rt, int rn, int64_t off) {
  if (a64_ldst(&g->b, k, rt, rn, off)) return;
  E(a64_mov_imm(&g->b, true, SBIG, (uint64_t)off));
  E(a64_ldst_reg(&g->b, k, rt, rn, SBIG, A64_UXTX, false));
}

/* rd = rn + imm (rn and rd may be SP). */
static void add_imm(ir_gen *g, int rd, int rn, uint64_t imm) {
  if (a64_addsub_imm(&g->b, A64_ADD, true, rd, rn, imm)) return;
  E(a64_mov_imm(&g->b, true, SBIG, imm));
  E(a64_addsub_ext(&g->b, A64_ADD, true, rd, rn, SBIG, A64_UXTX, 0));
}

static int32_t spill_off(const ir_gen *g, int32_t slot) { return g->isa_state ? ((as *)g->isa_state)->spill_base + 8 * slot : 0; }
static int32_t ctx_off(size_t off) { return (int32_t)off; }

/* Puts l in general register d (integers; floats as their bits). */
static void load_g(ir_gen *g, ir_loc l, int d) {
  bool w = wide(l.type);
  switch (l.kind) {
  case IR_LOC_CONST: E(a64_mov_imm(&g->b, w, d, w ? l.imm : (uint32_t)l.imm)); return;
  case IR_LOC_REG:
  case IR_LOC_SCRATCH: {
    int r = l.kind == IR_LOC_REG ? l.reg : (isf(l.type) ? FCYC : SCYC);
    if (isf(l.type)) E(a64_fmov_to_gpr(&g->b, w, d, r));
    else if (r != d) E(a64_mov(&g->b, w, d, r));
    return;
  }
  case IR_LOC_SLOT: ldst_off(g, w ? A64_LDR_X : A64_LDR_W, d, A64_SP, spill_off(g, l.slot)); return;
  default: g->fail = true; return;
  }
}

/* Puts l in float register d. */
static void load_f(ir_gen *g, ir_loc l, int d) {
  bool w = wide(l.type);
  switch (l.kind) {
  case IR_LOC_CONST:
    if (l.imm == 0) {
      E(a64_fmov_from_gpr(&g->b, w, d, A64_ZR));
    } else {
      E(a64_mov_imm(&g->b, w, S0, w ? l.imm : (uint32_t)l.imm));
      E(a64_fmov_from_gpr(&g->b, w, d, S0));
    }
    return;
  case IR_LOC_REG:
  case IR_LOC_SCRATCH: {
    int r = l.kind == IR_LOC_REG ? l.reg : (isf(l.type) ? FCYC : SCYC);
    if (!isf(l.type)) E(a64_fmov_from_gpr(&g->b, w, d, r));
    else if (r != d) E(a64_fp1(&g->b, A64_FMOV, true, d, r));
    return;
  }
  case IR_LOC_SLOT: ldst_off(g, w ? A64_LDR_D : A64_LDR_S, d, A64_SP, spill_off(g, l.slot)); return;
  default: g->fail = true; return;
  }
}

/* The register holding a general value: its own, or `s` loaded with it. */
static int gpr_of(ir_gen *g, ir_loc l, int s) {
  if (l.kind == IR_LOC_REG && !isf(l.type)) return l.reg;
  load_g(g, l, s);
  return s;
}

static int fpr_of(ir_gen *g, ir_loc l, int s) {
  if (l.kind == IR_LOC_REG && isf(l.type)) return l.reg;
  load_f(g, l, s);
  return s;
}

/* The register to compute value v in: its own, or scratch `s` (or the
 * argument register of the call it is folded into: 5 x1, 6 x2). */
static int dst_reg(ir_gen *g, uint32_t v, int s) {
  if (S(g)->fused[v] == 5 || S(g)->fused[v] == 6) return S(g)->fused[v] - 4;
  ir_loc l = ir_loc_of(g, v);
  return l.kind == IR_LOC_REG ? l.reg : s;
}

/* Stores the result computed in r to v's slot if v lives in memory. */
static void commit(ir_gen *g, uint32_t v, int r) {
  ir_loc l = ir_loc_of(g, v);
  if (l.kind != IR_LOC_SLOT || S(g)->fused[v] == 5 || S(g)->fused[v] == 6) return;
  ldst_off(g, l.type == IR_V128 ? A64_STR_Q : isf(l.type) ? A64_STR_D : A64_STR_X, r, A64_SP, spill_off(g, l.slot));
}

/* ---- v128 values: q registers (the v registers floats use), 16-byte slots ---- */

static bool isv(uint8_t t) { return t == IR_V128; }

static void vmov(ir_gen *g, int d, int s) {
  if (d != s) E(a64_v3(&g->b, A64_V_ORR, A64_16B, d, s, s));
}

/* Puts v128 location l in vector register d (constants are V128_CONST
 * instructions, never IR_LOC_CONST). */
static void load_v(ir_gen *g, ir_loc l, int d) {
  switch (l.kind) {
  case IR_LOC_REG: vmov(g, d, l.reg); return;
  case IR_LOC_SCRATCH: vmov(g, d, FCYC); return;
  case IR_LOC_SLOT: ldst_off(g, A64_LDR_Q, d, A64_SP, spill_off(g, l.slot)); return;
  default: g->fail = true; return;
  }
}

/* The register holding a v128 value: its own, or `s` loaded with it. */
static int vreg_of(ir_gen *g, ir_loc l, int s) {
  if (l.kind == IR_LOC_REG) return l.reg;
  load_v(g, l, s);
  return s;
}

/* Slots a value of type t takes in argument and result arrays. */
static int32_t slot_width(uint8_t t) { return t == IR_V128 ? 2 : 1; }

/* Argument k of v; a value folded into a call (begin marks it in fused: 4
 * the call's result, still in x0; 5, 6 an argument computed in x1, x2) is
 * in that register. */
static ir_loc arg(ir_gen *g, uint32_t v, uint32_t k) {
  uint32_t x = g->f->ins[v].args[k];
  uint8_t fu = S(g)->fused[x];
  if (fu >= 4 && fu <= 6) return (ir_loc){IR_LOC_REG, g->f->ins[x].type, (int8_t)(fu - 4), -1, 0};
  return ir_loc_of(g, x);
}

/* ---- selection: what this backend compiles ---- */

static bool is_trunc(wm_opcode op) {
  switch (op) {
#define X(id, ta, tr, lo, hi) case OP_##id:
    SEM_TRUNC_OPS(X)
#undef X
    return true;
  default: return false;
  }
}

/* Does instruction i call a C helper (which may clobber caller-saved registers)? */
static bool calls_c(const ir_ins *i) {
  return (i->op == IR_HOP && !is_trunc((wm_opcode)i->wop)) || i->op == IR_CALL_HOST || i->op == IR_CALL_INDIRECT;
}

/* Every scalar IR instruction is selected here (table and bulk-memory
 * operations are helper calls, references i64 values, RESULT reads a
 * call's extra results from the outgoing slots); not yet: v128 values and
 * SIMD operations. A function using one is refused, and aot.c reports it
 * in one line (no one-pass fallback on AArch64). */
static bool a_supports(const ir_func *f, const ir_ins *i) {
  if (i->op >= IR_NOPS_) return false;
  if (ir_op_is_simd(i->op)) return true; /* every 0xFD instruction (simd() below) */
  if (!ir_ins_v128(f, i)) return true;
  switch (i->op) { /* operations that move a v128 value as a whole */
  case IR_PHI: case IR_PARAM: case IR_RET: case IR_CALL: case IR_CALL_HOST: case IR_CALL_INDIRECT: case IR_SELECT:
  case IR_GLOBAL_GET: case IR_GLOBAL_SET: case IR_RESULT: case IR_OSR_LOAD:
    return true;
  default: return false;
  }
}

/* ---- integer operations ---- */

static a64_cond int_cc(ir_op op) {
  switch (op) {
  case IR_I32_EQ: case IR_I64_EQ: return A64_EQ;
  case IR_I32_NE: case IR_I64_NE: return A64_NE;
  case IR_I32_LT_S: case IR_I64_LT_S: return A64_LT;
  case IR_I32_LT_U: case IR_I64_LT_U: return A64_LO;
  case IR_I32_GT_S: case IR_I64_GT_S: return A64_GT;
  case IR_I32_GT_U: case IR_I64_GT_U: return A64_HI;
  case IR_I32_LE_S: case IR_I64_LE_S: return A64_LE;
  case IR_I32_LE_U: case IR_I64_LE_U: return A64_LS;
  case IR_I32_GE_S: case IR_I64_GE_S: return A64_GE;
  default: return A64_HS;
  }
}

/* The condition that holds for (b, a) when cc holds for (a, b). */
static a64_cond mirror(a64_cond cc) {
  switch (cc) {
  case A64_LT: return A64_GT;
  case A64_GT: return A64_LT;
  case A64_LE: return A64_GE;
  case A64_GE: return A64_LE;
  case A64_LO: return A64_HI;
  case A64_HI: return A64_LO;
  case A64_LS: return A64_HS;
  case A64_HS: return A64_LS;
  default: return cc;
  }
}

static bool int_cmp(ir_op op) { return (op >= IR_I32_EQ && op <= IR_I32_GE_U) || (op >= IR_I64_EQ && op <= IR_I64_GE_U); }

/* The value of a constant for an operation of width w, sign-extended. */
static int64_t const_val(ir_loc l, bool w) { return w ? (int64_t)l.imm : (int64_t)(int32_t)(uint32_t)l.imm; }

/* Compares two integer values; returns the condition for "op holds". */
static a64_cond emit_int_cmp(ir_gen *g, ir_op op, ir_loc a, ir_loc b) {
  bool w = a.type == IR_I64;
  a64_cond cc = int_cc(op);
  if (a.kind == IR_LOC_CONST && b.kind != IR_LOC_CONST) { /* k < x is x > k: the constant becomes an immediate */
    ir_loc t = a;
    a = b;
    b = t;
    cc = mirror(cc);
  }
  int ra = gpr_of(g, a, S0);
  if (b.kind == IR_LOC_CONST && a64_cmp_imm(&g->b, w, ra, const_val(b, w))) return cc;
  E(a64_cmp(&g->b, w, ra, gpr_of(g, b, S1)));
  return cc;
}

/* The condition "value != 0". */
static a64_cond emit_test(ir_gen *g, ir_loc c) {
  E(a64_cmp_imm(&g->b, c.type == IR_I64, gpr_of(g, c, S1), 0));
  return A64_NE;
}

/* add x, y << n as one add with a shifted register, when begin fused the
 * shift (used only by this add, right before it) into it: wasm's scaled
 * index arithmetic (modulo 2^32 for i32, as the w form computes). */
static bool add_shifted(ir_gen *g, uint32_t v, int d, bool w) {
  const ir_ins *i = &g->f->ins[v];
  for (uint32_t s = 0; s < 2; s++) {
    const ir_ins *si = &g->f->ins[i->args[s]];
    if (!S(g)->fused[i->args[s]] || (si->op != IR_I32_SHL && si->op != IR_I64_SHL)) continue;
    unsigned n = (unsigned)g->f->ins[si->args[1]].imm & (w ? 63 : 31);
    int rx = gpr_of(g, arg(g, v, 1 - s), S0), ry = gpr_of(g, ir_loc_of(g, si->args[0]), S1);
    E(a64_addsub_reg(&g->b, A64_ADD, w, d, rx, ry, A64_LSL, n));
    commit(g, v, d);
    return true;
  }
  return false;
}

/* The high half of the 128-bit product (widemul.c). */
static void mul_high(ir_gen *g, uint32_t v, bool sgn) {
  int d = dst_reg(g, v, S0);
  int ra = gpr_of(g, arg(g, v, 0), S0), rb = gpr_of(g, arg(g, v, 1), S1);
  E((sgn ? a64_smulh : a64_umulh)(&g->b, d, ra, rb));
  commit(g, v, d);
}

static void int_binop(ir_gen *g, uint32_t v, ir_op op) {
  ir_loc a = arg(g, v, 0), b = arg(g, v, 1);
  bool w = g->f->ins[v].type == IR_I64;
  unsigned bits = w ? 64 : 32;
  int d = dst_reg(g, v, S0);
  if ((op == IR_I32_ADD || op == IR_I64_ADD) && add_shifted(g, v, d, w)) return;
  int ra = gpr_of(g, a, S0);
  int64_t k = b.kind == IR_LOC_CONST ? const_val(b, w) : 0;
  bool kb = b.kind == IR_LOC_CONST;
  /* immediate forms first */
  switch (op) {
  case IR_I32_ADD: case IR_I64_ADD: case IR_I32_SUB: case IR_I64_SUB: {
    if (!kb) break;
    bool sub = op == IR_I32_SUB || op == IR_I64_SUB;
    if (k < 0 && k != INT64_MIN) {
      sub = !sub;
      k = -k;
    }
    if (a64_addsub_imm(&g->b, sub ? A64_SUB : A64_ADD, w, d, ra, (uint64_t)k)) goto done;
    break;
  }
  case IR_I32_AND: case IR_I64_AND: case IR_I32_OR: case IR_I64_OR: case IR_I32_XOR: case IR_I64_XOR: {
    if (!kb) break;
    a64_logic lop = (op == IR_I32_AND || op == IR_I64_AND) ? A64_AND : (op == IR_I32_OR || op == IR_I64_OR) ? A64_ORR : A64_EOR;
    if (a64_logic_imm(&g->b, lop, w, d, ra, w ? (uint64_t)k : (uint32_t)k)) goto done;
    break;
  }
  case IR_I32_SHL: case IR_I64_SHL: case IR_I32_SHR_S: case IR_I64_SHR_S: case IR_I32_SHR_U: case IR_I64_SHR_U:
  case IR_I32_ROTL: case IR_I64_ROTL: case IR_I32_ROTR: case IR_I64_ROTR: {
    if (!kb) break;
    unsigned n = (unsigned)k & (bits - 1);
    a64_shift sh = (op == IR_I32_SHL || op == IR_I64_SHL) ? A64_LSL
                   : (op == IR_I32_SHR_S || op == IR_I64_SHR_S) ? A64_ASR
                   : (op == IR_I32_SHR_U || op == IR_I64_SHR_U) ? A64_LSR : A64_ROR;
    if (op == IR_I32_ROTL || op == IR_I64_ROTL) n = (bits - n) & (bits - 1);
    if (n == 0) E(a64_mov(&g->b, w, d, ra));
    else E(a64_shift_imm(&g->b, sh, w, d, ra, n));
    goto done;
  }
  default: break;
  }
  int rb = gpr_of(g, b, S1);
  switch (op) {
  case IR_I32_ADD: case IR_I64_ADD: E(a64_addsub_reg(&g->b, A64_ADD, w, d, ra, rb, A64_LSL, 0)); break;
  case IR_I32_SUB: case IR_I64_SUB: E(a64_addsub_reg(&g->b, A64_SUB, w, d, ra, rb, A64_LSL, 0)); break;
  case IR_I32_MUL: case IR_I64_MUL: E(a64_madd(&g->b, w, d, ra, rb, A64_ZR)); break;
  case IR_I32_AND: case IR_I64_AND: E(a64_logic_reg(&g->b, A64_AND, w, d, ra, rb, A64_LSL, 0)); break;
  case IR_I32_OR: case IR_I64_OR: E(a64_logic_reg(&g->b, A64_ORR, w, d, ra, rb, A64_LSL, 0)); break;
  case IR_I32_XOR: case IR_I64_XOR: E(a64_logic_reg(&g->b, A64_EOR, w, d, ra, rb, A64_LSL, 0)); break;
  case IR_I32_SHL: case IR_I64_SHL: E(a64_dp2(&g->b, A64_LSLV, w, d, ra, rb)); break; /* counts modulo the width */
  case IR_I32_SHR_S: case IR_I64_SHR_S: E(a64_dp2(&g->b, A64_ASRV, w, d, ra, rb)); break;
  case IR_I32_SHR_U: case IR_I64_SHR_U: E(a64_dp2(&g->b, A64_LSRV, w, d, ra, rb)); break;
  case IR_I32_ROTR: case IR_I64_ROTR: E(a64_dp2(&g->b, A64_RORV, w, d, ra, rb)); break;
  case IR_I32_ROTL: case IR_I64_ROTL: /* rotl by n is rotr by -n (modulo the width) */
    E(a64_addsub_reg(&g->b, A64_SUB, w, 2, A64_ZR, rb, A64_LSL, 0));
    E(a64_dp2(&g->b, A64_RORV, w, d, ra, 2));
    break;
  default: g->fail = true; return;
  }
done:
  commit(g, v, d);
}

/* Unsigned division or remainder by a constant other than 0: a shift or
 * mask for a power of two, else a multiplication by the magic number of
 * ir_udiv_magic (no divide, no check). */
static void udivrem_const(ir_gen *g, uint32_t v, bool w, bool rem, uint64_t dv) {
  int d = dst_reg(g, v, S0);
  int ra = gpr_of(g, arg(g, v, 0), S0);
  E(a64_mov(&g->b, w, S0, ra)); /* n, zero-extended for an i32 */
  if ((dv & (dv - 1)) == 0) {
    unsigned k = (unsigned)__builtin_ctzll(dv);
    if (rem) {
      E(a64_mov_imm(&g->b, w, S1, dv - 1));
      E(a64_logic_reg(&g->b, A64_AND, w, d, S0, S1, A64_LSL, 0));
    } else if (k) {
      E(a64_shift_imm(&g->b, A64_LSR, w, d, S0, k));
    } else {
      E(a64_mov(&g->b, w, d, S0));
    }
    commit(g, v, d);
    return;
  }
  unsigned l;
  uint64_t m = ir_udiv_magic(dv, w, &l);
  E(a64_mov_imm(&g->b, true, S1, m));
  if (w) {
    E(a64_umulh(&g->b, S1, S0, S1));
  } else { /* n, m < 2^32: the 64-bit product is exact */
    E(a64_madd(&g->b, true, S1, S0, S1, A64_ZR));
    E(a64_shift_imm(&g->b, A64_LSR, true, S1, S1, 32));
  }
  E(a64_addsub_reg(&g->b, A64_SUB, w, 2, S0, S1, A64_LSL, 0));         /* n - t */
  E(a64_addsub_reg(&g->b, A64_ADD, w, 2, S1, 2, A64_LSR, 1));          /* t + ((n - t) >> 1) */
  E(a64_shift_imm(&g->b, A64_LSR, w, rem ? 2 : d, 2, l - 1));          /* the quotient */
  if (rem) {
    E(a64_mov_imm(&g->b, w, S1, dv));
    E(a64_msub(&g->b, w, d, 2, S1, S0)); /* n - q * d */
  }
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
  int ra = gpr_of(g, a, S0), rb = gpr_of(g, b, S1);
  if (maybe_zero) {
    add_site(g, &g->traps[WRUN_TRAP_DIV_ZERO], g->b.n);
    E(a64_cbz(&g->b, false, w, rb, g->b.n));
    far_slot(g);
  }
  if (sgn && !rem && maybe_m1) {
    /* INT_MIN / -1 overflows: b == -1, then a - 1 overflows exactly for INT_MIN
     * (SDIV itself would give INT_MIN; the remainder of MSUB is then 0, as wasm wants) */
    E(a64_cmp_imm(&g->b, w, rb, -1));
    E(a64_ccmp_imm(&g->b, w, false, ra, 1, 0, A64_EQ));
    trap_if(g, A64_VS, WRUN_TRAP_INT_OVERFLOW);
  }
  int d = dst_reg(g, v, S0);
  int q = rem ? 2 : d;
  E(a64_dp2(&g->b, sgn ? A64_SDIV : A64_UDIV, w, q, ra, rb));
  if (rem) E(a64_msub(&g->b, w, d, q, rb, ra));
  commit(g, v, d);
}

static void int_unop(ir_gen *g, uint32_t v, ir_op op) {
  ir_loc a = arg(g, v, 0);
  bool w = a.type == IR_I64;
  int d = dst_reg(g, v, S0);
  int ra = gpr_of(g, a, S0);
  switch (op) {
  case IR_I32_EQZ: case IR_I64_EQZ:
    E(a64_cmp_imm(&g->b, w, ra, 0));
    E(a64_cset(&g->b, false, d, A64_EQ));
    break;
  case IR_I32_CLZ: case IR_I64_CLZ: E(a64_dp1(&g->b, A64_CLZ, w, d, ra)); break;
  case IR_I32_CTZ: case IR_I64_CTZ:
    E(a64_dp1(&g->b, A64_RBIT, w, S1, ra));
    E(a64_dp1(&g->b, A64_CLZ, w, d, S1));
    break;
  case IR_I32_POPCNT: case IR_I64_POPCNT: /* CNT counts per byte, ADDV sums the bytes (FMOV zeroes the rest) */
    E(a64_fmov_from_gpr(&g->b, w, FS, ra));
    E(a64_v2(&g->b, A64_V_CNT, A64_8B, FS, FS));
    E(a64_vacross(&g->b, A64_V_ADDV, A64_8B, FS, FS));
    E(a64_fmov_to_gpr(&g->b, false, d, FS));
    break;
  case IR_I32_EXTEND8_S: E(a64_sxt(&g->b, false, d, ra, 8)); break;
  case IR_I32_EXTEND16_S: E(a64_sxt(&g->b, false, d, ra, 16)); break;
  case IR_I64_EXTEND8_S: E(a64_sxt(&g->b, true, d, ra, 8)); break;
  case IR_I64_EXTEND16_S: E(a64_sxt(&g->b, true, d, ra, 16)); break;
  case IR_I64_EXTEND32_S: case IR_I64_EXTEND_I32_S: E(a64_sxt(&g->b, true, d, ra, 32)); break;
  case IR_I64_EXTEND_I32_U: case IR_I32_WRAP_I64: E(a64_mov(&g->b, false, d, ra)); break; /* W write: upper half 0 */
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
  /* after FCMP an unordered pair sets C and V: MI, GT, LS, GE are false for it, NE true */
  static const a64_cond cc[6] = {A64_EQ, A64_NE, A64_MI, A64_GT, A64_LS, A64_GE};
  int ra = fpr_of(g, a, F0), rb = fpr_of(g, b, F1);
  E(a64_fcmp(&g->b, dbl, ra, rb, false, false));
  int d = dst_reg(g, v, S0);
  E(a64_cset(&g->b, false, d, cc[rel]));
  commit(g, v, d);
}

static void float_binop(ir_gen *g, uint32_t v, ir_op op) {
  ir_loc a = arg(g, v, 0), b = arg(g, v, 1);
  bool dbl = g->f->ins[v].type == IR_F64;
  int d = dst_reg(g, v, FS);
  if (op == IR_F32_COPYSIGN || op == IR_F64_COPYSIGN) { /* |a| with b's sign bit, on the bits */
    uint64_t sign = dbl ? UINT64_C(0x8000000000000000) : 0x80000000u;
    load_g(g, a, S0);
    load_g(g, b, S1);
    E(a64_logic_imm(&g->b, A64_AND, dbl, S1, S1, sign));
    E(a64_logic_imm(&g->b, A64_AND, dbl, S0, S0, ~sign & (dbl ? UINT64_MAX : 0xFFFFFFFFu)));
    E(a64_logic_reg(&g->b, A64_ORR, dbl, S0, S0, S1, A64_LSL, 0));
    E(a64_fmov_from_gpr(&g->b, dbl, d, S0));
    commit(g, v, d);
    return;
  }
  int ra = fpr_of(g, a, F0), rb = fpr_of(g, b, F1);
  a64_fp2_op fop;
  switch (op) {
  case IR_F32_ADD: case IR_F64_ADD: fop = A64_FADD; break;
  case IR_F32_SUB: case IR_F64_SUB: fop = A64_FSUB; break;
  case IR_F32_MUL: case IR_F64_MUL: fop = A64_FMUL; break;
  case IR_F32_DIV: case IR_F64_DIV: fop = A64_FDIV; break;
  /* FMIN/FMAX are wasm's: a NaN operand gives NaN, and -0 < +0 */
  case IR_F32_MIN: case IR_F64_MIN: fop = A64_FMIN; break;
  case IR_F32_MAX: case IR_F64_MAX: fop = A64_FMAX; break;
  default: g->fail = true; return;
  }
  E(a64_fp2(&g->b, fop, dbl, d, ra, rb));
  commit(g, v, d);
}

static void float_unop(ir_gen *g, uint32_t v, ir_op op) {
  ir_loc a = arg(g, v, 0);
  uint8_t rt = g->f->ins[v].type;
  bool wa = wide(a.type), wr = wide(rt);
  if (!isf(rt)) { /* float -> integer: reinterpret, saturating truncation */
    int d = dst_reg(g, v, S0);
    int ra = fpr_of(g, a, F0);
    switch (op) {
    case IR_I32_REINTERPRET_F32: case IR_I64_REINTERPRET_F64: E(a64_fmov_to_gpr(&g->b, wa, d, ra)); break;
    case IR_I32_TRUNC_SAT_F32_S: case IR_I32_TRUNC_SAT_F64_S: case IR_I64_TRUNC_SAT_F32_S: case IR_I64_TRUNC_SAT_F64_S:
      E(a64_fcvtz(&g->b, false, wr, wa, d, ra)); /* saturates, NaN -> 0: exactly trunc_sat */
      break;
    case IR_I32_TRUNC_SAT_F32_U: case IR_I32_TRUNC_SAT_F64_U: case IR_I64_TRUNC_SAT_F32_U: case IR_I64_TRUNC_SAT_F64_U:
      E(a64_fcvtz(&g->b, true, wr, wa, d, ra));
      break;
    default: g->fail = true; return;
    }
    commit(g, v, d);
    return;
  }
  int d = dst_reg(g, v, FS);
  if (!isf(a.type)) { /* integer -> float */
    int ra = gpr_of(g, a, S0);
    switch (op) {
    case IR_F32_REINTERPRET_I32: case IR_F64_REINTERPRET_I64: E(a64_fmov_from_gpr(&g->b, wr, d, ra)); break;
    case IR_F32_CONVERT_I32_S: case IR_F32_CONVERT_I64_S: case IR_F64_CONVERT_I32_S: case IR_F64_CONVERT_I64_S:
      E(a64_cvtf(&g->b, false, wa, wr, d, ra)); /* rounds to nearest even, as wasm */
      break;
    case IR_F32_CONVERT_I32_U: case IR_F32_CONVERT_I64_U: case IR_F64_CONVERT_I32_U: case IR_F64_CONVERT_I64_U:
      E(a64_cvtf(&g->b, true, wa, wr, d, ra));
      break;
    default: g->fail = true; return;
    }
    commit(g, v, d);
    return;
  }
  int ra = fpr_of(g, a, F0);
  a64_fp1_op fop;
  switch (op) {
  case IR_F32_ABS: case IR_F64_ABS: fop = A64_FABS; break;
  case IR_F32_NEG: case IR_F64_NEG: fop = A64_FNEG; break;
  case IR_F32_SQRT: case IR_F64_SQRT: fop = A64_FSQRT; break;
  case IR_F32_CEIL: case IR_F64_CEIL: fop = A64_FRINTP; break;
  case IR_F32_FLOOR: case IR_F64_FLOOR: fop = A64_FRINTM; break;
  case IR_F32_TRUNC: case IR_F64_TRUNC: fop = A64_FRINTZ; break;
  case IR_F32_NEAREST: case IR_F64_NEAREST: fop = A64_FRINTN; break; /* ties to even */
  case IR_F32_DEMOTE_F64: E(a64_fcvt(&g->b, false, d, ra)); commit(g, v, d); return;
  case IR_F64_PROMOTE_F32: E(a64_fcvt(&g->b, true, d, ra)); commit(g, v, d); return;
  default: g->fail = true; return;
  }
  E(a64_fp1(&g->b, fop, wr, d, ra));
  commit(g, v, d);
}

/* The trapping truncations (IR_HOP of i32.trunc_f32_s ...), inline: NaN
 * traps as an invalid conversion, a value outside (lo, hi) (the bounds
 * both tiers use, semantics/ops.h, compared in f64, which holds every f32
 * exactly) as an overflow, and the rest converts with FCVTZS/FCVTZU. */
static void trunc_trap(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  wm_opcode op = (wm_opcode)i->wop;
  double lo = 0, hi = 0;
  switch (op) {
#define X(id, ta, tr, l, h) case OP_##id: lo = (l); hi = (h); break;
    SEM_TRUNC_OPS(X)
#undef X
  default: g->fail = true; return;
  }
  ir_loc a = arg(g, v, 0);
  bool dbl = a.type == IR_F64, w = i->type == IR_I64;
  bool uns = op == OP_I32_TRUNC_F32_U || op == OP_I32_TRUNC_F64_U || op == OP_I64_TRUNC_F32_U || op == OP_I64_TRUNC_F64_U;
  int ra = fpr_of(g, a, F0);
  E(a64_fcmp(&g->b, dbl, ra, ra, false, false));
  trap_if(g, A64_VS, WRUN_TRAP_INVALID_CONVERSION);
  int x = ra;
  if (!dbl) {
    E(a64_fcvt(&g->b, true, FS, ra));
    x = FS;
  }
  uint64_t bits;
  memcpy(&bits, &lo, 8);
  E(a64_mov_imm(&g->b, true, S0, bits));
  E(a64_fmov_from_gpr(&g->b, true, F1, S0));
  E(a64_fcmp(&g->b, true, x, F1, false, false));
  trap_if(g, A64_LS, WRUN_TRAP_INT_OVERFLOW); /* x <= lo */
  memcpy(&bits, &hi, 8);
  E(a64_mov_imm(&g->b, true, S0, bits));
  E(a64_fmov_from_gpr(&g->b, true, F1, S0));
  E(a64_fcmp(&g->b, true, x, F1, false, false));
  trap_if(g, A64_GE, WRUN_TRAP_INT_OVERFLOW); /* x >= hi */
  int d = dst_reg(g, v, S0);
  E(a64_fcvtz(&g->b, uns, w, dbl, d, ra));
  commit(g, v, d);
}

/* ---- memory, globals ---- */

/* Forms the address of an access of `size` bytes at addr + offset: returns
 * the base register and sets *idx to the index register (extended by *ext),
 * or *idx = -1 when the base alone is the address. Uses x16, x17. */
static int address(ir_gen *g, ir_loc a, uint64_t offset, uint32_t size, int *idx, a64_extend *ext) {
  *ext = A64_UXTW;
  if (g->in->bounds_checks) {
    load_g(g, a, S1);                                  /* the u32 address, zero-extended */
    add_imm(g, S0, S1, offset + size);                 /* cannot wrap: < 2^33 */
    E(a64_ldst(&g->b, A64_LDR_X, 2, A64_CTX, ctx_off(offsetof(aot_ctx, mem0))));
    E(a64_ldst(&g->b, A64_LDR_X, 2, 2, (int64_t)offsetof(rt_memory, size)));
    E(a64_cmp(&g->b, true, S0, 2));
    trap_if(g, A64_HI, WRUN_TRAP_MEMORY_OOB);
    add_imm(g, S0, A64_MEM, offset);
    *idx = S1;
    *ext = A64_UXTX;
    return S0;
  }
  if (a.kind == IR_LOC_CONST) {
    E(a64_mov_imm(&g->b, true, S1, (uint64_t)(uint32_t)a.imm + offset));
    *idx = S1;
    *ext = A64_UXTX;
    return A64_MEM;
  }
  *idx = gpr_of(g, a, S1);
  if (offset == 0) return A64_MEM;
  add_imm(g, S0, A64_MEM, offset); /* the guard region covers any u32 offset past any u32 address */
  return S0;
}

static a64_ldst_kind load_kind(wm_opcode op, bool *ok) {
  *ok = true;
  switch (op) {
  case OP_I32_LOAD: case OP_I64_LOAD32_U: return A64_LDR_W;
  case OP_I64_LOAD: return A64_LDR_X;
  case OP_F32_LOAD: return A64_LDR_S;
  case OP_F64_LOAD: return A64_LDR_D;
  case OP_I32_LOAD8_S: return A64_LDRSB_W;
  case OP_I64_LOAD8_S: return A64_LDRSB_X;
  case OP_I32_LOAD8_U: case OP_I64_LOAD8_U: return A64_LDRB;
  case OP_I32_LOAD16_S: return A64_LDRSH_W;
  case OP_I64_LOAD16_S: return A64_LDRSH_X;
  case OP_I32_LOAD16_U: case OP_I64_LOAD16_U: return A64_LDRH;
  case OP_I64_LOAD32_S: return A64_LDRSW;
  default: *ok = false; return A64_LDR_X;
  }
}

static void load_mem(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  wm_opcode op = (wm_opcode)i->wop;
  bool ok;
  a64_ldst_kind k = load_kind(op, &ok);
  if (!ok) {
    g->fail = true;
    return;
  }
  int d = dst_reg(g, v, isf(i->type) ? FS : S0);
  int idx;
  a64_extend ext;
  int base = address(g, arg(g, v, 0), i->imm, a64_ldst_size(k), &idx, &ext);
  E(a64_ldst_reg(&g->b, k, d, base, idx, ext, false));
  commit(g, v, d);
}

static void store_mem(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  wm_opcode op = (wm_opcode)i->wop;
  uint32_t size = 1u << wm_opinfos[op].arg;
  ir_loc val = arg(g, v, 1);
  bool fl = isf(val.type);
  a64_ldst_kind k = size == 1 ? A64_STRB : size == 2 ? A64_STRH : size == 4 ? (fl ? A64_STR_S : A64_STR_W) : (fl ? A64_STR_D : A64_STR_X);
  int vr = fl ? fpr_of(g, val, FS) : gpr_of(g, val, 2);
  int idx;
  a64_extend ext;
  int base = address(g, arg(g, v, 0), i->imm, size, &idx, &ext);
  E(a64_ldst_reg(&g->b, k, vr, base, idx, ext, false));
}

/* x16 = the address of global gi's rt_global. */
static void global_addr(ir_gen *g, uint32_t gi) {
  E(a64_ldst(&g->b, A64_LDR_X, S0, A64_CTX, ctx_off(offsetof(aot_ctx, globals))));
  ldst_off(g, A64_LDR_X, S0, S0, 8 * (int64_t)gi);
}

static void global_get(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  global_addr(g, (uint32_t)i->imm);
  if (isv(i->type)) {
    int d = dst_reg(g, v, FS);
    E(a64_ldst(&g->b, A64_LDR_Q, d, S0, (int64_t)offsetof(rt_global, val)));
    commit(g, v, d);
    return;
  }
  bool fl = isf(i->type), w = wide(i->type);
  int d = dst_reg(g, v, fl ? FS : S1);
  a64_ldst_kind k = fl ? (w ? A64_LDR_D : A64_LDR_S) : (w ? A64_LDR_X : A64_LDR_W);
  E(a64_ldst(&g->b, k, d, S0, (int64_t)offsetof(rt_global, val)));
  commit(g, v, d);
}

static void global_set(ir_gen *g, uint32_t v) {
  if (isv(arg(g, v, 0).type)) {
    int r = vreg_of(g, arg(g, v, 0), F0);
    global_addr(g, (uint32_t)g->f->ins[v].imm);
    E(a64_ldst(&g->b, A64_STR_Q, r, S0, (int64_t)offsetof(rt_global, val)));
    return;
  }
  load_g(g, arg(g, v, 0), S1); /* all 8 bytes of the slot's bits */
  global_addr(g, (uint32_t)g->f->ins[v].imm);
  E(a64_ldst(&g->b, A64_STR_X, S1, S0, (int64_t)offsetof(rt_global, val)));
}

/* ---- select, calls, polls ---- */

static void select_op(ir_gen *g, uint32_t v) {
  ir_loc a = arg(g, v, 0), b = arg(g, v, 1), c = arg(g, v, 2);
  uint8_t t = g->f->ins[v].type;
  if (isv(t)) { /* a mask of all ones when c != 0 picks a's bits (BSL) */
    int ra = vreg_of(g, a, F0), rb = vreg_of(g, b, F1);
    E(a64_cmp_imm(&g->b, false, gpr_of(g, c, S0), 0));
    E(a64_csel(&g->b, A64_CSINV, true, S0, A64_ZR, A64_ZR, A64_EQ)); /* csetm x16, ne */
    E(a64_dup_gpr(&g->b, A64_2D, FS, S0));
    E(a64_v3(&g->b, A64_V_BSL, A64_16B, FS, ra, rb));
    int d = dst_reg(g, v, FS);
    vmov(g, d, FS);
    commit(g, v, d);
    return;
  }
  if (isf(t)) {
    int ra = fpr_of(g, a, F0), rb = fpr_of(g, b, F1);
    int d = dst_reg(g, v, FS);
    E(a64_cmp_imm(&g->b, false, gpr_of(g, c, S0), 0));
    E(a64_fcsel(&g->b, wide(t), d, ra, rb, A64_NE));
    commit(g, v, d);
    return;
  }
  uint32_t cv = g->f->ins[v].args[2];
  a64_cond cc = A64_NE;
  if (S(g)->fused[cv]) { /* the compare begin left to this select, before the operands (loads keep the flags) */
    const ir_ins *ci = &g->f->ins[cv];
    if (ci->op == IR_I32_EQZ || ci->op == IR_I64_EQZ) cc = (a64_cond)(emit_test(g, ir_loc_of(g, ci->args[0])) ^ 1);
    else cc = emit_int_cmp(g, (ir_op)ci->op, ir_loc_of(g, ci->args[0]), ir_loc_of(g, ci->args[1]));
  }
  int ra = gpr_of(g, a, S0), rb = gpr_of(g, b, S1);
  int d = dst_reg(g, v, S0);
  if (!S(g)->fused[cv]) E(a64_cmp_imm(&g->b, false, gpr_of(g, c, 2), 0));
  E(a64_csel(&g->b, A64_CSEL, wide(t), d, ra, rb, cc));
  commit(g, v, d);
}

/* Writes a to outgoing slot pos (64 bits, a v128 two slots). */
static void arg_to_slot(ir_gen *g, ir_loc a, int32_t pos) {
  int32_t off = S(g)->out_base + 8 * pos;
  if (isv(a.type)) {
    ldst_off(g, A64_STR_Q, vreg_of(g, a, F0), A64_SP, off);
  } else if (a.kind == IR_LOC_REG && isf(a.type)) {
    ldst_off(g, A64_STR_D, a.reg, A64_SP, off);
  } else {
    int r = gpr_of(g, a, S0);
    ldst_off(g, A64_STR_X, r, A64_SP, off);
  }
}

/* Writes arguments 0..n-1 of v to the outgoing slots (a v128 takes two). */
static void args_to_slots(ir_gen *g, uint32_t v, uint32_t n) {
  int32_t pos = 0;
  for (uint32_t k = 0; k < n; k++) {
    ir_loc a = arg(g, v, k);
    arg_to_slot(g, a, pos);
    pos += slot_width(a.type);
  }
}

/* Argument position pos of type t travels in a register (x1+pos / v0+pos)? */
static bool in_reg(ir_gen *g, int32_t pos, uint8_t t) { return !isv(t) && aot_arg_in_reg(g->isa->machine, pos, WASM_I32); }

static void save_vectors(ir_gen *g, bool restore);

/* A call's single scalar result, from x0 / v0 to the home of value v. */
static void result_to_home(ir_gen *g, uint32_t v) {
  if (isf(g->f->ins[v].type)) {
    int d = dst_reg(g, v, F0);
    if (d != F0) E(a64_fp1(&g->b, A64_FMOV, true, d, F0));
    commit(g, v, d);
  } else {
    int d = dst_reg(g, v, 0);
    if (d != 0) E(a64_mov(&g->b, true, d, 0));
    commit(g, v, d);
  }
}

/* The first nargs arguments of call v that travel in registers, from their
 * homes into x1+pos / v0+pos (positions count two for each v128). */
static void args_to_regs(ir_gen *g, uint32_t v, uint32_t nargs) {
  int32_t pos = 0;
  for (uint32_t k = 0; k < nargs; k++) {
    ir_loc a = arg(g, v, k);
    if (in_reg(g, pos, a.type)) {
      if (isf(a.type)) load_f(g, a, (int)pos);
      else load_g(g, a, 1 + (int)pos);
    }
    pos += slot_width(a.type);
  }
}

static void call(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  /* slot arguments first, then the register ones (x1, x2, v0, v1 hold no
   * value of ours); a position counts two slots for each v128 before it */
  int32_t pos = 0;
  for (uint32_t k = 0; k < i->nargs; k++) {
    ir_loc a = arg(g, v, k);
    if (!in_reg(g, pos, a.type)) arg_to_slot(g, a, pos);
    pos += slot_width(a.type);
  }
  args_to_regs(g, v, i->nargs);
  save_vectors(g, false); /* a callee keeps only the low halves of v8-v15 */
  if (ir_callee_reads_slots(g->isa->machine, wm_module_func_type(g->in->m, (uint32_t)i->imm)))
    add_imm(g, 0, A64_SP, (uint64_t)S(g)->out_base);
  ir_gen_reloc(g, (uint32_t)g->b.n, (uint32_t)i->imm);
  E(a64_bl(&g->b, g->b.n)); /* linked once every function is placed */
  save_vectors(g, true);
  if (i->type == IR_VOID || ir_loc_of(g, v).kind == IR_LOC_NONE) return;
  if (isv(i->type)) { /* a single v128 result comes back in the slots */
    int d = dst_reg(g, v, FS);
    ldst_off(g, A64_LDR_Q, d, A64_SP, S(g)->out_base);
    commit(g, v, d);
    return;
  }
  if (S(g)->fused[v] != 4) result_to_home(g, v); /* (4: its one user reads x0) */
}

/* All 16 bytes of the registers that held a v128 value, to the frame
 * around a call (or back): AAPCS64 and our own callees keep only the low
 * 8 bytes of v8-v15. */
static void save_vectors(ir_gen *g, bool restore) {
  int32_t off = S(g)->vec_base;
  for (int r = 0; r < 32; r++)
    if (g->ra->used[IR_CL_V] & (1u << r)) {
      ldst_off(g, restore ? A64_LDR_Q : A64_STR_Q, r, A64_SP, off);
      off += 16;
    }
}

/* Our values in registers C may clobber go to the frame around a C call. */
static void save_volatile(ir_gen *g, bool restore) {
  int32_t off = S(g)->vol_base;
  for (int r = 0; r < 32; r++)
    if (g->ra->used[IR_CL_G] & GPR_VOLATILE & (1u << r)) {
      ldst_off(g, restore ? A64_LDR_X : A64_STR_X, r, A64_SP, off);
      off += 8;
    }
  for (int r = 0; r < 32; r++)
    if (g->ra->used[IR_CL_F] & ~g->ra->used[IR_CL_V] & FPR_VOLATILE & (1u << r)) {
      ldst_off(g, restore ? A64_LDR_D : A64_STR_D, r, A64_SP, off);
      off += 8;
    }
  save_vectors(g, restore);
}

/* Calls C helper h (its arguments set up by the caller in x0-x4). For
 * backtraces from the helper (a trap, aot.c), ctx->helper_sp gets our sp
 * and the 8 bytes just below it an address in this function: the call
 * runs 16 bytes lower, so the helper's own frame leaves them alone. */
static void call_helper(ir_gen *g, aot_helper h) {
  E(a64_addsub_imm(&g->b, A64_SUB, true, A64_SP, A64_SP, 16));
  size_t here = g->b.n;
  E(a64_adr(&g->b, S0, here));
  E(a64_ldst(&g->b, A64_STR_X, S0, A64_SP, 8));
  E(a64_addsub_imm(&g->b, A64_ADD, true, S0, A64_SP, 16));
  E(a64_ldst(&g->b, A64_STR_X, S0, A64_CTX, ctx_off(offsetof(aot_ctx, helper_sp))));
  E(a64_ldst(&g->b, A64_LDR_X, S0, A64_CTX, ctx_off(offsetof(aot_ctx, helpers) + 8 * (size_t)h)));
  E(a64_blr(&g->b, S0));
}

/* After a returning helper: its stack space back, our registers, and a result from the first outgoing slot. */
static void finish_helper_call(ir_gen *g, uint32_t v) {
  E(a64_addsub_imm(&g->b, A64_ADD, true, A64_SP, A64_SP, 16));
  save_volatile(g, true);
  uint8_t t = g->f->ins[v].type;
  if (t == IR_VOID || ir_loc_of(g, v).kind == IR_LOC_NONE) return;
  int d = dst_reg(g, v, isf(t) || isv(t) ? FS : S0);
  a64_ldst_kind k = isv(t) ? A64_LDR_Q : isf(t) ? (wide(t) ? A64_LDR_D : A64_LDR_S) : (wide(t) ? A64_LDR_X : A64_LDR_W);
  ldst_off(g, k, d, A64_SP, S(g)->out_base);
  commit(g, v, d);
}

/* An operation of the AOT_H_OP helper: (ctx, slots, op, a, b). */
static void helper_op(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  args_to_slots(g, v, i->nargs);
  save_volatile(g, false);
  E(a64_mov(&g->b, true, 0, A64_CTX));
  add_imm(g, 1, A64_SP, (uint64_t)S(g)->out_base);
  E(a64_mov_imm(&g->b, false, 2, i->wop));
  E(a64_mov_imm(&g->b, true, 3, i->imm));
  E(a64_mov_imm(&g->b, true, 4, i->aux));
  call_helper(g, AOT_H_OP);
  finish_helper_call(g, v);
}

/* A call through the runtime: an import (AOT_H_CALL: ctx, func, slots). */
static void call_host(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  args_to_slots(g, v, i->nargs);
  save_volatile(g, false);
  E(a64_mov(&g->b, true, 0, A64_CTX));
  E(a64_ldst(&g->b, A64_LDR_X, 1, A64_CTX, ctx_off(offsetof(aot_ctx, funcs))));
  ldst_off(g, A64_LDR_X, 1, 1, 8 * (int64_t)i->imm);
  add_imm(g, 2, A64_SP, (uint64_t)S(g)->out_base);
  call_helper(g, AOT_H_CALL);
  finish_helper_call(g, v);
}

/* call_indirect. Fast path, as x86-64's: an in-bounds, non-null element
 * that is compiled code of this instance with the very same type is called
 * directly in the internal convention (x17 the index, x16 the element, x15
 * its entry; x0-x2 scratch for the checks). Anything else goes through
 * AOT_H_CALL_INDIRECT (ctx, table, type, index, slots), which checks the
 * index, null and the type, traps, or calls host and interpreted
 * functions, reading every argument from the slots: those are written
 * first when the callee's type makes it read them too, else only on the
 * way to the helper. */
static void call_indirect(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  const wm_functype *ft = &g->in->m->types[i->imm].func;
  uint32_t nargs = i->nargs - 1;
  bool fast = i->type == IR_VOID || aot_result_in_reg(ft);
  bool slots_first = !fast || ir_callee_reads_slots(g->isa->machine, ft);
  if (slots_first) args_to_slots(g, v, nargs);
  load_g(g, arg(g, v, nargs), S1);
  size_t slow[5], done = 0;
  if (fast) {
    E(a64_ldst(&g->b, A64_LDR_X, S0, A64_CTX, ctx_off(offsetof(aot_ctx, tables))));
    ldst_off(g, A64_LDR_X, S0, S0, 8 * (int64_t)i->aux);
    E(a64_ldst(&g->b, A64_LDR_X, 0, S0, (int64_t)offsetof(rt_table, size)));
    E(a64_cmp(&g->b, true, S1, 0));
    slow[0] = g->b.n;
    E(a64_bcond(&g->b, A64_HS, g->b.n));
    E(a64_ldst(&g->b, A64_LDR_X, S0, S0, (int64_t)offsetof(rt_table, elems)));
    E(a64_ldst_reg(&g->b, A64_LDR_X, S0, S0, S1, A64_UXTX, true));
    slow[1] = g->b.n;
    E(a64_cbz(&g->b, false, true, S0, g->b.n));
    E(a64_ldst(&g->b, A64_LDR_X, 0, S0, (int64_t)offsetof(wrun_func, inst)));
    E(a64_ldst(&g->b, A64_LDR_X, 1, A64_CTX, ctx_off(offsetof(aot_ctx, inst))));
    E(a64_cmp(&g->b, true, 0, 1));
    slow[2] = g->b.n;
    E(a64_bcond(&g->b, A64_NE, g->b.n));
    E(a64_ldst(&g->b, A64_LDR_X, 0, S0, (int64_t)offsetof(wrun_func, type)));
    E(a64_ldst(&g->b, A64_LDR_X, 1, A64_CTX, ctx_off(offsetof(aot_ctx, types))));
    ldst_off(g, A64_LDR_X, 1, 1, 8 * (int64_t)i->imm);
    E(a64_cmp(&g->b, true, 0, 1));
    slow[3] = g->b.n;
    E(a64_bcond(&g->b, A64_NE, g->b.n));
    E(a64_ldst(&g->b, A64_LDR_X, SCYC, S0, (int64_t)offsetof(wrun_func, aot_entry)));
    slow[4] = g->b.n;
    E(a64_cbz(&g->b, false, true, SCYC, g->b.n));
    /* the register arguments from their homes (none is x0-x2, x14-x17 or v0/v1) */
    args_to_regs(g, v, nargs);
    save_vectors(g, false); /* a callee keeps only the low halves of v8-v15 */
    if (slots_first) add_imm(g, 0, A64_SP, (uint64_t)S(g)->out_base);
    E(a64_blr(&g->b, SCYC));
    save_vectors(g, true);
    if (i->type != IR_VOID && ir_loc_of(g, v).kind != IR_LOC_NONE) result_to_home(g, v);
    done = g->b.n;
    E(a64_b(&g->b, g->b.n));
    for (int k = 0; k < 5; k++) E(a64_patch(&g->b, slow[k], g->b.n));
    if (!slots_first) args_to_slots(g, v, nargs); /* (x17, the index, survives: they use x16 and x14) */
  }
  save_volatile(g, false);
  E(a64_mov(&g->b, true, 0, A64_CTX));
  E(a64_mov_imm(&g->b, false, 1, i->aux));
  E(a64_mov_imm(&g->b, false, 2, i->imm));
  E(a64_mov(&g->b, false, 3, S1));
  add_imm(g, 4, A64_SP, (uint64_t)S(g)->out_base);
  call_helper(g, AOT_H_CALL_INDIRECT);
  finish_helper_call(g, v);
  if (fast) E(a64_patch(&g->b, done, g->b.n));
}

/* Result k of a call of several results, from the slots the callee (or the
 * helper) wrote them to: the outgoing slots, untouched since the call
 * (RESULT follows its call with nothing in between). */
static void call_result(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  int32_t pos = (int32_t)ir_gen_result_slots(ir_gen_callee_type(g, &g->f->ins[i->args[0]]), (uint32_t)i->imm);
  if (ir_loc_of(g, v).kind == IR_LOC_NONE) return;
  uint8_t t = i->type;
  int d = dst_reg(g, v, isf(t) || isv(t) ? FS : S0);
  a64_ldst_kind k = isv(t) ? A64_LDR_Q : isf(t) ? (wide(t) ? A64_LDR_D : A64_LDR_S) : (wide(t) ? A64_LDR_X : A64_LDR_W);
  ldst_off(g, k, d, A64_SP, S(g)->out_base + 8 * pos);
  commit(g, v, d);
}

/* ref.func: the instance's wrun_func pointer, from ctx->funcs. */
static void ref_func(ir_gen *g, uint32_t v) {
  int d = dst_reg(g, v, S0);
  E(a64_ldst(&g->b, A64_LDR_X, d, A64_CTX, ctx_off(offsetof(aot_ctx, funcs))));
  ldst_off(g, A64_LDR_X, d, d, 8 * (int64_t)g->f->ins[v].imm);
  commit(g, v, d);
}

static void poll(ir_gen *g) {
  E(a64_ldst(&g->b, A64_LDR_X, S0, A64_CTX, ctx_off(offsetof(aot_ctx, interrupt))));
  E(a64_ldst(&g->b, A64_LDR_W, S0, S0, 0));
  add_site(g, &g->traps[WRUN_TRAP_TIMEOUT], g->b.n);
  E(a64_cbz(&g->b, true, false, S0, g->b.n));
  far_slot(g);
}

/* ---- SIMD (NEON) ----
 * One IR op per wasm 0xFD instruction. Operands come in their q registers
 * or in v0/v1; multi-instruction sequences build the result in v30 (and
 * v31, free within an instruction: only phi moves use it) and move it to
 * the value's register last, so a result register that is also an operand
 * is written only after every read. */

/* The 16 immediate bytes of v128.const / i8x16.shuffle (imm: their offset in the module; UINT64_MAX: zero). */
static void imm16(const ir_gen *g, const ir_ins *i, uint64_t q[2]) {
  q[0] = q[1] = 0;
  if (i->imm != UINT64_MAX) memcpy(q, g->in->m->bytes + i->imm, 16);
}

/* d = the 128-bit constant q (FMOV to a D register clears the upper half). */
static void vconst(ir_gen *g, int d, const uint64_t q[2]) {
  if (!q[0] && !q[1]) {
    E(a64_movi8(&g->b, A64_16B, d, 0));
    return;
  }
  E(a64_mov_imm(&g->b, true, S0, q[0]));
  E(a64_fmov_from_gpr(&g->b, true, d, S0));
  if (!q[1]) return;
  E(a64_mov_imm(&g->b, true, S0, q[1]));
  E(a64_ins_gpr(&g->b, 8, d, 1, S0));
}

/* Lane shape of an op from its name prefix: i8x16 ... f64x2. */
static a64_arr lanes_of(wm_opcode op) {
  const char *n = wm_opinfos[op].name;
  if (!strncmp(n, "i8x16", 5)) return A64_16B;
  if (!strncmp(n, "i16x8", 5)) return A64_8H;
  if (!strncmp(n, "i32x4", 5) || !strncmp(n, "f32x4", 5)) return A64_4S;
  return A64_2D;
}

/* The same-arrangement three-register ops: NEON op, operands swapped (a < b is b > a), result inverted (ne). */
typedef struct v3_sel { a64_v3_op op; bool swap, invert; } v3_sel;

static bool v3_of(ir_op op, v3_sel *s) {
  *s = (v3_sel){A64_V_ADD, false, false};
  switch (op) {
  case IR_I8X16_ADD: case IR_I16X8_ADD: case IR_I32X4_ADD: case IR_I64X2_ADD: s->op = A64_V_ADD; return true;
  case IR_I8X16_SUB: case IR_I16X8_SUB: case IR_I32X4_SUB: case IR_I64X2_SUB: s->op = A64_V_SUB; return true;
  case IR_I16X8_MUL: case IR_I32X4_MUL: s->op = A64_V_MUL; return true;
  case IR_I8X16_ADD_SAT_S: case IR_I16X8_ADD_SAT_S: s->op = A64_V_SQADD; return true;
  case IR_I8X16_ADD_SAT_U: case IR_I16X8_ADD_SAT_U: s->op = A64_V_UQADD; return true;
  case IR_I8X16_SUB_SAT_S: case IR_I16X8_SUB_SAT_S: s->op = A64_V_SQSUB; return true;
  case IR_I8X16_SUB_SAT_U: case IR_I16X8_SUB_SAT_U: s->op = A64_V_UQSUB; return true;
  case IR_I8X16_MIN_S: case IR_I16X8_MIN_S: case IR_I32X4_MIN_S: s->op = A64_V_SMIN; return true;
  case IR_I8X16_MIN_U: case IR_I16X8_MIN_U: case IR_I32X4_MIN_U: s->op = A64_V_UMIN; return true;
  case IR_I8X16_MAX_S: case IR_I16X8_MAX_S: case IR_I32X4_MAX_S: s->op = A64_V_SMAX; return true;
  case IR_I8X16_MAX_U: case IR_I16X8_MAX_U: case IR_I32X4_MAX_U: s->op = A64_V_UMAX; return true;
  case IR_I8X16_AVGR_U: case IR_I16X8_AVGR_U: s->op = A64_V_URHADD; return true;
  case IR_I16X8_Q15MULR_SAT_S: s->op = A64_V_SQRDMULH; return true; /* rounding, saturating: exactly q15mulr */
  case IR_V128_AND: s->op = A64_V_AND; return true;
  case IR_V128_ANDNOT: s->op = A64_V_BIC; return true;
  case IR_V128_OR: s->op = A64_V_ORR; return true;
  case IR_V128_XOR: s->op = A64_V_EOR; return true;
  case IR_I8X16_EQ: case IR_I16X8_EQ: case IR_I32X4_EQ: case IR_I64X2_EQ: s->op = A64_V_CMEQ; return true;
  case IR_I8X16_NE: case IR_I16X8_NE: case IR_I32X4_NE: case IR_I64X2_NE: *s = (v3_sel){A64_V_CMEQ, false, true}; return true;
  case IR_I8X16_GT_S: case IR_I16X8_GT_S: case IR_I32X4_GT_S: case IR_I64X2_GT_S: s->op = A64_V_CMGT; return true;
  case IR_I8X16_LT_S: case IR_I16X8_LT_S: case IR_I32X4_LT_S: case IR_I64X2_LT_S: *s = (v3_sel){A64_V_CMGT, true, false}; return true;
  case IR_I8X16_GE_S: case IR_I16X8_GE_S: case IR_I32X4_GE_S: case IR_I64X2_GE_S: s->op = A64_V_CMGE; return true;
  case IR_I8X16_LE_S: case IR_I16X8_LE_S: case IR_I32X4_LE_S: case IR_I64X2_LE_S: *s = (v3_sel){A64_V_CMGE, true, false}; return true;
  case IR_I8X16_GT_U: case IR_I16X8_GT_U: case IR_I32X4_GT_U: s->op = A64_V_CMHI; return true;
  case IR_I8X16_LT_U: case IR_I16X8_LT_U: case IR_I32X4_LT_U: *s = (v3_sel){A64_V_CMHI, true, false}; return true;
  case IR_I8X16_GE_U: case IR_I16X8_GE_U: case IR_I32X4_GE_U: s->op = A64_V_CMHS; return true;
  case IR_I8X16_LE_U: case IR_I16X8_LE_U: case IR_I32X4_LE_U: *s = (v3_sel){A64_V_CMHS, true, false}; return true;
  /* FMIN/FMAX: a NaN lane gives NaN and -0 < +0, as wasm's min/max */
  case IR_F32X4_ADD: case IR_F64X2_ADD: s->op = A64_V_FADD; return true;
  case IR_F32X4_SUB: case IR_F64X2_SUB: s->op = A64_V_FSUB; return true;
  case IR_F32X4_MUL: case IR_F64X2_MUL: s->op = A64_V_FMUL; return true;
  case IR_F32X4_DIV: case IR_F64X2_DIV: s->op = A64_V_FDIV; return true;
  case IR_F32X4_MIN: case IR_F64X2_MIN: s->op = A64_V_FMIN; return true;
  case IR_F32X4_MAX: case IR_F64X2_MAX: s->op = A64_V_FMAX; return true;
  case IR_F32X4_EQ: case IR_F64X2_EQ: s->op = A64_V_FCMEQ; return true;
  case IR_F32X4_NE: case IR_F64X2_NE: *s = (v3_sel){A64_V_FCMEQ, false, true}; return true; /* true for NaN */
  case IR_F32X4_GT: case IR_F64X2_GT: s->op = A64_V_FCMGT; return true;
  case IR_F32X4_LT: case IR_F64X2_LT: *s = (v3_sel){A64_V_FCMGT, true, false}; return true;
  case IR_F32X4_GE: case IR_F64X2_GE: s->op = A64_V_FCMGE; return true;
  case IR_F32X4_LE: case IR_F64X2_LE: *s = (v3_sel){A64_V_FCMGE, true, false}; return true;
  default: return false;
  }
}

/* One-register ops of the same arrangement. */
static bool v2_of(ir_op op, a64_v2_op *o) {
  switch (op) {
  case IR_V128_NOT: *o = A64_V_NOT; return true;
  case IR_I8X16_ABS: case IR_I16X8_ABS: case IR_I32X4_ABS: case IR_I64X2_ABS: *o = A64_V_ABS; return true;
  case IR_I8X16_NEG: case IR_I16X8_NEG: case IR_I32X4_NEG: case IR_I64X2_NEG: *o = A64_V_NEG; return true;
  case IR_I8X16_POPCNT: *o = A64_V_CNT; return true;
  case IR_F32X4_ABS: case IR_F64X2_ABS: *o = A64_V_FABS; return true;
  case IR_F32X4_NEG: case IR_F64X2_NEG: *o = A64_V_FNEG; return true;
  case IR_F32X4_SQRT: case IR_F64X2_SQRT: *o = A64_V_FSQRT; return true;
  case IR_F32X4_CEIL: case IR_F64X2_CEIL: *o = A64_V_FRINTP; return true;
  case IR_F32X4_FLOOR: case IR_F64X2_FLOOR: *o = A64_V_FRINTM; return true;
  case IR_F32X4_TRUNC: case IR_F64X2_TRUNC: *o = A64_V_FRINTZ; return true;
  case IR_F32X4_NEAREST: case IR_F64X2_NEAREST: *o = A64_V_FRINTN; return true; /* ties to even */
  case IR_I32X4_TRUNC_SAT_F32X4_S: *o = A64_V_FCVTZS; return true; /* saturates, NaN -> 0 */
  case IR_I32X4_TRUNC_SAT_F32X4_U: *o = A64_V_FCVTZU; return true;
  case IR_F32X4_CONVERT_I32X4_S: *o = A64_V_SCVTF; return true;
  case IR_F32X4_CONVERT_I32X4_U: *o = A64_V_UCVTF; return true;
  default: return false;
  }
}

/* The bitmask ops: each lane's top bit, lane k's to bit k. USHR leaves
 * 0 or 1 per lane, USHL by the lane index moves it to its bit, ADDV sums
 * (bytes: each half of eight separately); two i64 lanes go through x16, x17. */
static void simd_bitmask(ir_gen *g, uint32_t v, a64_arr arr) {
  static const uint64_t index[3][2] = {
      {UINT64_C(0x0706050403020100), UINT64_C(0x0706050403020100)},
      {UINT64_C(0x0003000200010000), UINT64_C(0x0007000600050004)},
      {UINT64_C(0x0000000100000000), UINT64_C(0x0000000300000002)},
  };
  int ra = vreg_of(g, arg(g, v, 0), F0), d = dst_reg(g, v, S0);
  unsigned lsz = (unsigned)arr >> 1, bits = 8u << lsz;
  if (arr == A64_2D) {
    E(a64_umov(&g->b, 8, S0, ra, 0));
    E(a64_umov(&g->b, 8, S1, ra, 1));
    E(a64_shift_imm(&g->b, A64_LSR, true, S0, S0, 63));
    E(a64_shift_imm(&g->b, A64_LSR, true, S1, S1, 63));
    E(a64_logic_reg(&g->b, A64_ORR, false, d, S0, S1, A64_LSL, 1));
    commit(g, v, d);
    return;
  }
  E(a64_vshift(&g->b, A64_V_USHR, arr, FS, ra, bits - 1));
  vconst(g, F1, index[lsz]);
  E(a64_v3(&g->b, A64_V_USHL, arr, FS, FS, F1));
  if (arr == A64_16B) {
    E(a64_ext(&g->b, A64_16B, F1, FS, FS, 8));
    E(a64_vacross(&g->b, A64_V_ADDV, A64_8B, FS, FS));
    E(a64_vacross(&g->b, A64_V_ADDV, A64_8B, F1, F1));
    E(a64_umov(&g->b, 1, S0, FS, 0));
    E(a64_umov(&g->b, 1, S1, F1, 0));
    E(a64_logic_reg(&g->b, A64_ORR, false, d, S0, S1, A64_LSL, 8));
  } else {
    E(a64_vacross(&g->b, A64_V_ADDV, arr, FS, FS));
    E(a64_umov(&g->b, 1u << lsz, d, FS, 0));
  }
  commit(g, v, d);
}

/* x16 = the address of a SIMD memory access of `size` bytes (address value a, offset). */
static void vaddr(ir_gen *g, ir_loc a, uint64_t offset, uint32_t size) {
  int idx;
  a64_extend ext;
  int base = address(g, a, offset, size, &idx, &ext);
  E(a64_addsub_ext(&g->b, A64_ADD, true, S0, base, idx, ext, 0));
}

static void simd_mem(ir_gen *g, uint32_t v, ir_op op) {
  const ir_ins *i = &g->f->ins[v];
  ir_loc a = arg(g, v, 0);
  int d = dst_reg(g, v, FS);
  switch (op) {
  case IR_V128_LOAD: case IR_V128_LOAD32_ZERO: case IR_V128_LOAD64_ZERO: { /* a S/D load clears the rest */
    a64_ldst_kind k = op == IR_V128_LOAD ? A64_LDR_Q : op == IR_V128_LOAD32_ZERO ? A64_LDR_S : A64_LDR_D;
    int idx;
    a64_extend ext;
    int base = address(g, a, i->imm, a64_ldst_size(k), &idx, &ext);
    E(a64_ldst_reg(&g->b, k, d, base, idx, ext, false));
    break;
  }
  case IR_V128_STORE: {
    int r = vreg_of(g, arg(g, v, 1), F0), idx;
    a64_extend ext;
    int base = address(g, a, i->imm, 16, &idx, &ext);
    E(a64_ldst_reg(&g->b, A64_STR_Q, r, base, idx, ext, false));
    return;
  }
  case IR_V128_LOAD8X8_S: case IR_V128_LOAD8X8_U: case IR_V128_LOAD16X4_S: case IR_V128_LOAD16X4_U:
  case IR_V128_LOAD32X2_S: case IR_V128_LOAD32X2_U: {
    int idx;
    a64_extend ext;
    int base = address(g, a, i->imm, 8, &idx, &ext);
    E(a64_ldst_reg(&g->b, A64_LDR_D, FS, base, idx, ext, false));
    bool u = op == IR_V128_LOAD8X8_U || op == IR_V128_LOAD16X4_U || op == IR_V128_LOAD32X2_U;
    a64_arr src = op <= IR_V128_LOAD8X8_U ? A64_8B : op <= IR_V128_LOAD16X4_U ? A64_4H : A64_2S;
    E(a64_vxtl(&g->b, u, src, d, FS));
    break;
  }
  case IR_V128_LOAD8_SPLAT: case IR_V128_LOAD16_SPLAT: case IR_V128_LOAD32_SPLAT: case IR_V128_LOAD64_SPLAT: {
    static const a64_arr arr[4] = {A64_16B, A64_8H, A64_4S, A64_2D};
    unsigned k = op - IR_V128_LOAD8_SPLAT;
    vaddr(g, a, i->imm, 1u << k);
    E(a64_ld1r(&g->b, arr[k], d, S0));
    break;
  }
  case IR_V128_LOAD8_LANE: case IR_V128_LOAD16_LANE: case IR_V128_LOAD32_LANE: case IR_V128_LOAD64_LANE: {
    unsigned size = 1u << (op - IR_V128_LOAD8_LANE);
    vmov(g, FS, vreg_of(g, arg(g, v, 1), F0));
    vaddr(g, a, i->imm, size);
    E(a64_ld1_lane(&g->b, true, size, FS, i->aux, S0));
    vmov(g, d, FS);
    break;
  }
  case IR_V128_STORE8_LANE: case IR_V128_STORE16_LANE: case IR_V128_STORE32_LANE: case IR_V128_STORE64_LANE: {
    unsigned size = 1u << (op - IR_V128_STORE8_LANE);
    int r = vreg_of(g, arg(g, v, 1), F0);
    vaddr(g, a, i->imm, size);
    E(a64_ld1_lane(&g->b, false, size, r, i->aux, S0));
    return;
  }
  default: g->fail = true; return;
  }
  commit(g, v, d);
}

/* Shifts by an i32 count (modulo the lane width): SHL/SSHR/USHR by an
 * immediate for a constant, else USHL/SSHL by a vector of the count
 * (negated for right shifts; these read each lane's low byte, signed). */
static void simd_shift(ir_gen *g, uint32_t v, ir_op op, a64_arr arr) {
  ir_loc a = arg(g, v, 0), c = arg(g, v, 1);
  unsigned bits = 8u << ((unsigned)arr >> 1);
  bool left = op == IR_I8X16_SHL || op == IR_I16X8_SHL || op == IR_I32X4_SHL || op == IR_I64X2_SHL;
  bool sgn = op == IR_I8X16_SHR_S || op == IR_I16X8_SHR_S || op == IR_I32X4_SHR_S || op == IR_I64X2_SHR_S;
  int ra = vreg_of(g, a, F0), d = dst_reg(g, v, FS);
  if (c.kind == IR_LOC_CONST) {
    unsigned n = (unsigned)c.imm & (bits - 1);
    if (n == 0) vmov(g, d, ra);
    else E(a64_vshift(&g->b, left ? A64_V_SHL : sgn ? A64_V_SSHR : A64_V_USHR, arr, d, ra, n));
    commit(g, v, d);
    return;
  }
  int rc = gpr_of(g, c, S1);
  E(a64_logic_imm(&g->b, A64_AND, true, S0, rc, bits - 1));
  if (!left) E(a64_addsub_reg(&g->b, A64_SUB, true, S0, A64_ZR, S0, A64_LSL, 0));
  E(a64_dup_gpr(&g->b, arr, F1, S0));
  E(a64_v3(&g->b, sgn ? A64_V_SSHL : A64_V_USHL, arr, d, ra, F1));
  commit(g, v, d);
}

/* Lane moves: splat, extract_lane, replace_lane. */
static void simd_lane(ir_gen *g, uint32_t v, ir_op op, a64_arr arr) {
  const ir_ins *i = &g->f->ins[v];
  unsigned size = 1u << ((unsigned)arr >> 1), lane = (unsigned)i->imm;
  ir_loc a = arg(g, v, 0);
  switch (op) {
  case IR_I8X16_SPLAT: case IR_I16X8_SPLAT: case IR_I32X4_SPLAT: case IR_I64X2_SPLAT: {
    int d = dst_reg(g, v, FS);
    E(a64_dup_gpr(&g->b, arr, d, gpr_of(g, a, S0)));
    commit(g, v, d);
    return;
  }
  case IR_F32X4_SPLAT: case IR_F64X2_SPLAT: {
    int d = dst_reg(g, v, FS);
    E(a64_dup_lane(&g->b, arr, d, fpr_of(g, a, F0), 0));
    commit(g, v, d);
    return;
  }
  case IR_I8X16_EXTRACT_LANE_S: case IR_I16X8_EXTRACT_LANE_S: {
    int d = dst_reg(g, v, S0);
    E(a64_smov(&g->b, size, false, d, vreg_of(g, a, F0), lane));
    E(a64_mov(&g->b, false, d, d)); /* an i32's upper half clear */
    commit(g, v, d);
    return;
  }
  case IR_I8X16_EXTRACT_LANE_U: case IR_I16X8_EXTRACT_LANE_U: case IR_I32X4_EXTRACT_LANE: case IR_I64X2_EXTRACT_LANE: {
    int d = dst_reg(g, v, S0);
    E(a64_umov(&g->b, size, d, vreg_of(g, a, F0), lane));
    commit(g, v, d);
    return;
  }
  case IR_F32X4_EXTRACT_LANE: case IR_F64X2_EXTRACT_LANE: {
    int d = dst_reg(g, v, FS);
    E(a64_umov(&g->b, size, S0, vreg_of(g, a, F0), lane));
    E(a64_fmov_from_gpr(&g->b, size == 8, d, S0));
    commit(g, v, d);
    return;
  }
  default: { /* replace_lane */
    ir_loc b = arg(g, v, 1);
    int d = dst_reg(g, v, FS);
    vmov(g, FS, vreg_of(g, a, F0));
    if (op == IR_F32X4_REPLACE_LANE || op == IR_F64X2_REPLACE_LANE) E(a64_ins_lane(&g->b, size, FS, lane, fpr_of(g, b, F1), 0));
    else E(a64_ins_gpr(&g->b, size, FS, lane, gpr_of(g, b, S0)));
    vmov(g, d, FS);
    commit(g, v, d);
    return;
  }
  }
}

/* v128.any_true and the all_true ops: an across-lanes reduction, then 0 or 1. */
static void simd_test(ir_gen *g, uint32_t v, ir_op op, a64_arr arr) {
  int ra = vreg_of(g, arg(g, v, 0), F0), d = dst_reg(g, v, S0);
  a64_cond cc = A64_NE;
  unsigned size = 1;
  if (op == IR_V128_ANY_TRUE) {
    E(a64_vacross(&g->b, A64_V_UMAXV, A64_16B, FS, ra));
  } else if (arr == A64_2D) { /* no 64-bit UMINV: all lanes non-zero iff no lane equals 0 */
    E(a64_v2(&g->b, A64_V_CMEQ0, A64_2D, FS, ra));
    E(a64_vacross(&g->b, A64_V_UMAXV, A64_4S, FS, FS));
    size = 4;
    cc = A64_EQ;
  } else {
    E(a64_vacross(&g->b, A64_V_UMINV, arr, FS, ra));
    size = 1u << ((unsigned)arr >> 1);
  }
  E(a64_umov(&g->b, size, S0, FS, 0));
  E(a64_cmp_imm(&g->b, false, S0, 0));
  E(a64_cset(&g->b, false, d, cc));
  commit(g, v, d);
}

/* i64x2.mul: no NEON form; each lane through the general registers. */
static void i64x2_mul(ir_gen *g, int d, int ra, int rb) {
  for (unsigned k = 0; k < 2; k++) {
    E(a64_umov(&g->b, 8, S0, ra, k));
    E(a64_umov(&g->b, 8, S1, rb, k));
    E(a64_madd(&g->b, true, S0, S0, S1, A64_ZR));
    E(a64_ins_gpr(&g->b, 8, FS, k, S0));
  }
  vmov(g, d, FS);
}

/* The rest of the two-operand ops: widening, narrowing, shuffles, pseudo-min/max, dot. */
static void simd_binop_other(ir_gen *g, uint32_t v, ir_op op) {
  const ir_ins *i = &g->f->ins[v];
  int ra = vreg_of(g, arg(g, v, 0), F0), rb = vreg_of(g, arg(g, v, 1), F1), d = dst_reg(g, v, FS);
  switch (op) {
  case IR_I64X2_MUL: i64x2_mul(g, d, ra, rb); break;
  case IR_I8X16_SWIZZLE: E(a64_tbl(&g->b, A64_16B, d, ra, 1, rb)); break; /* index >= 16 gives 0, as wasm */
  case IR_I8X16_SHUFFLE: { /* TBL over the pair v0, v1 */
    uint64_t q[2];
    imm16(g, i, q);
    vmov(g, F0, ra);
    vmov(g, F1, rb);
    vconst(g, FS, q);
    E(a64_tbl(&g->b, A64_16B, d, F0, 2, FS));
    break;
  }
  case IR_I8X16_NARROW_I16X8_S: case IR_I8X16_NARROW_I16X8_U: case IR_I16X8_NARROW_I32X4_S: case IR_I16X8_NARROW_I32X4_U: {
    a64_v2_op n = op == IR_I8X16_NARROW_I16X8_S || op == IR_I16X8_NARROW_I32X4_S ? A64_V_SQXTN : A64_V_SQXTUN;
    bool bytes = op == IR_I8X16_NARROW_I16X8_S || op == IR_I8X16_NARROW_I16X8_U;
    E(a64_v2(&g->b, n, bytes ? A64_8B : A64_4H, FS, ra));
    E(a64_v2(&g->b, n, bytes ? A64_16B : A64_8H, FS, rb));
    vmov(g, d, FS);
    break;
  }
  case IR_F32X4_PMIN: case IR_F64X2_PMIN: case IR_F32X4_PMAX: case IR_F64X2_PMAX: { /* pmin: b < a ? b : a; pmax: a < b ? b : a */
    a64_arr arr = op == IR_F32X4_PMIN || op == IR_F32X4_PMAX ? A64_4S : A64_2D;
    bool mn = op == IR_F32X4_PMIN || op == IR_F64X2_PMIN;
    E(a64_v3(&g->b, A64_V_FCMGT, arr, FS, mn ? ra : rb, mn ? rb : ra));
    E(a64_v3(&g->b, A64_V_BSL, A64_16B, FS, rb, ra));
    vmov(g, d, FS);
    break;
  }
  case IR_I32X4_DOT_I16X8_S:
    E(a64_vmull(&g->b, false, A64_4H, FS, ra, rb));
    E(a64_vmull(&g->b, false, A64_8H, FCYC, ra, rb));
    E(a64_v3(&g->b, A64_V_ADDP, A64_4S, d, FS, FCYC));
    break;
  case IR_I16X8_EXTMUL_LOW_I8X16_S: case IR_I16X8_EXTMUL_LOW_I8X16_U: case IR_I32X4_EXTMUL_LOW_I16X8_S:
  case IR_I32X4_EXTMUL_LOW_I16X8_U: case IR_I64X2_EXTMUL_LOW_I32X4_S: case IR_I64X2_EXTMUL_LOW_I32X4_U:
  case IR_I16X8_EXTMUL_HIGH_I8X16_S: case IR_I16X8_EXTMUL_HIGH_I8X16_U: case IR_I32X4_EXTMUL_HIGH_I16X8_S:
  case IR_I32X4_EXTMUL_HIGH_I16X8_U: case IR_I64X2_EXTMUL_HIGH_I32X4_S: case IR_I64X2_EXTMUL_HIGH_I32X4_U: {
    const char *n = wm_opinfos[ir_simd_wasm_op(op)].name; /* i16x8.extmul_high_i8x16_u */
    bool u = n[strlen(n) - 1] == 'u', high = strstr(n, "high") != NULL;
    a64_arr src = !strncmp(n, "i16x8", 5) ? A64_8B : !strncmp(n, "i32x4", 5) ? A64_4H : A64_2S;
    E(a64_vmull(&g->b, u, (a64_arr)(src | (high ? 1 : 0)), d, ra, rb));
    break;
  }
  default: g->fail = true; return;
  }
  commit(g, v, d);
}

/* The rest of the one-operand ops: widening, conversions between shapes. */
static void simd_unop_other(ir_gen *g, uint32_t v, ir_op op) {
  int ra = vreg_of(g, arg(g, v, 0), F0), d = dst_reg(g, v, FS);
  switch (op) {
  case IR_I16X8_EXTEND_LOW_I8X16_S: E(a64_vxtl(&g->b, false, A64_8B, d, ra)); break;
  case IR_I16X8_EXTEND_HIGH_I8X16_S: E(a64_vxtl(&g->b, false, A64_16B, d, ra)); break;
  case IR_I16X8_EXTEND_LOW_I8X16_U: E(a64_vxtl(&g->b, true, A64_8B, d, ra)); break;
  case IR_I16X8_EXTEND_HIGH_I8X16_U: E(a64_vxtl(&g->b, true, A64_16B, d, ra)); break;
  case IR_I32X4_EXTEND_LOW_I16X8_S: E(a64_vxtl(&g->b, false, A64_4H, d, ra)); break;
  case IR_I32X4_EXTEND_HIGH_I16X8_S: E(a64_vxtl(&g->b, false, A64_8H, d, ra)); break;
  case IR_I32X4_EXTEND_LOW_I16X8_U: E(a64_vxtl(&g->b, true, A64_4H, d, ra)); break;
  case IR_I32X4_EXTEND_HIGH_I16X8_U: E(a64_vxtl(&g->b, true, A64_8H, d, ra)); break;
  case IR_I64X2_EXTEND_LOW_I32X4_S: E(a64_vxtl(&g->b, false, A64_2S, d, ra)); break;
  case IR_I64X2_EXTEND_HIGH_I32X4_S: E(a64_vxtl(&g->b, false, A64_4S, d, ra)); break;
  case IR_I64X2_EXTEND_LOW_I32X4_U: E(a64_vxtl(&g->b, true, A64_2S, d, ra)); break;
  case IR_I64X2_EXTEND_HIGH_I32X4_U: E(a64_vxtl(&g->b, true, A64_4S, d, ra)); break;
  case IR_I16X8_EXTADD_PAIRWISE_I8X16_S: E(a64_v2(&g->b, A64_V_SADDLP, A64_16B, d, ra)); break;
  case IR_I16X8_EXTADD_PAIRWISE_I8X16_U: E(a64_v2(&g->b, A64_V_UADDLP, A64_16B, d, ra)); break;
  case IR_I32X4_EXTADD_PAIRWISE_I16X8_S: E(a64_v2(&g->b, A64_V_SADDLP, A64_8H, d, ra)); break;
  case IR_I32X4_EXTADD_PAIRWISE_I16X8_U: E(a64_v2(&g->b, A64_V_UADDLP, A64_8H, d, ra)); break;
  case IR_F32X4_DEMOTE_F64X2_ZERO: E(a64_v2(&g->b, A64_V_FCVTN, A64_2S, d, ra)); break; /* the 64-bit form clears the top */
  case IR_F64X2_PROMOTE_LOW_F32X4: E(a64_v2(&g->b, A64_V_FCVTL, A64_2S, d, ra)); break;
  case IR_I32X4_TRUNC_SAT_F64X2_S_ZERO: /* saturate to i64, then to i32 */
    E(a64_v2(&g->b, A64_V_FCVTZS, A64_2D, FS, ra));
    E(a64_v2(&g->b, A64_V_SQXTN, A64_2S, d, FS));
    break;
  case IR_I32X4_TRUNC_SAT_F64X2_U_ZERO:
    E(a64_v2(&g->b, A64_V_FCVTZU, A64_2D, FS, ra));
    E(a64_v2(&g->b, A64_V_UQXTN, A64_2S, d, FS));
    break;
  case IR_F64X2_CONVERT_LOW_I32X4_S:
    E(a64_vxtl(&g->b, false, A64_2S, FS, ra));
    E(a64_v2(&g->b, A64_V_SCVTF, A64_2D, d, FS));
    break;
  case IR_F64X2_CONVERT_LOW_I32X4_U:
    E(a64_vxtl(&g->b, true, A64_2S, FS, ra));
    E(a64_v2(&g->b, A64_V_UCVTF, A64_2D, d, FS));
    break;
  default: g->fail = true; return;
  }
  commit(g, v, d);
}

static void simd(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  ir_op op = (ir_op)i->op;
  wm_opcode wop = ir_simd_wasm_op(op);
  uint8_t immk = wm_opinfos[wop].imm;
  if (immk == IMM_MEMARG || immk == IMM_MEMARG_LANE) {
    simd_mem(g, v, op);
    return;
  }
  if (ir_loc_of(g, v).kind == IR_LOC_NONE) return;
  a64_arr arr = lanes_of(wop);
  v3_sel s3;
  a64_v2_op o2;
  if (op == IR_V128_CONST) {
    uint64_t q[2];
    imm16(g, i, q);
    int d = dst_reg(g, v, FS);
    vconst(g, d, q);
    commit(g, v, d);
  } else if (immk == IMM_LANE || strstr(wm_opinfos[wop].name, "splat")) {
    simd_lane(g, v, op, arr);
  } else if (strstr(wm_opinfos[wop].name, "bitmask")) {
    simd_bitmask(g, v, arr);
  } else if (op == IR_V128_ANY_TRUE || strstr(wm_opinfos[wop].name, "all_true")) {
    simd_test(g, v, op, arr);
  } else if (strstr(wm_opinfos[wop].name, ".sh")  && op != IR_I8X16_SHUFFLE) {
    simd_shift(g, v, op, arr);
  } else if (op == IR_V128_BITSELECT) { /* c's bits pick a's bits: BSL with the mask in the destination */
    int r1 = vreg_of(g, arg(g, v, 0), F0), r2 = vreg_of(g, arg(g, v, 1), F1), d = dst_reg(g, v, FS);
    load_v(g, arg(g, v, 2), FS);
    E(a64_v3(&g->b, A64_V_BSL, A64_16B, FS, r1, r2));
    vmov(g, d, FS);
    commit(g, v, d);
  } else if (v3_of(op, &s3)) {
    int ra = vreg_of(g, arg(g, v, 0), F0), rb = vreg_of(g, arg(g, v, 1), F1), d = dst_reg(g, v, FS);
    a64_arr a3 = s3.op >= A64_V_AND && s3.op <= A64_V_BIF ? A64_16B : arr;
    E(a64_v3(&g->b, s3.op, a3, s3.invert ? FS : d, s3.swap ? rb : ra, s3.swap ? ra : rb));
    if (s3.invert) E(a64_v2(&g->b, A64_V_NOT, A64_16B, d, FS));
    commit(g, v, d);
  } else if (v2_of(op, &o2)) {
    int ra = vreg_of(g, arg(g, v, 0), F0), d = dst_reg(g, v, FS);
    E(a64_v2(&g->b, o2, o2 == A64_V_NOT || o2 == A64_V_CNT ? A64_16B : arr, d, ra));
    commit(g, v, d);
  } else if (i->nargs == 2) {
    simd_binop_other(g, v, op);
  } else {
    simd_unop_other(g, v, op);
  }
}

static void prologue(ir_gen *g, bool stack_check, bool entry);
static void a_move(ir_gen *g, ir_loc d, ir_loc s);

/* An OSR entry (ir.h, OSR_ENTRY): the function's prologue; then each
 * OSR_LOAD takes a value from the interpreter frame at x0, which nothing
 * in between writes (an OSR_LOAD anywhere else fails the function). */
static void osr_ins(ir_gen *g, uint32_t v, bool frame_in_x0) {
  const ir_ins *i = &g->f->ins[v];
  if (i->op == IR_OSR_ENTRY) {
    ir_gen_osr_entry(g, i->imm);
    prologue(g, true, false); /* entered from the interpreter: always checked */
    S(g)->osr_frame = true;
    return;
  }
  if (!frame_in_x0) {
    g->fail = true;
    return;
  }
  S(g)->osr_frame = true;
  ir_loc d = ir_loc_of(g, v);
  if (d.kind == IR_LOC_NONE) return;
  bool fl = isf(i->type), w = wide(i->type);
  int r = isv(i->type) ? FS : fl ? F1 : S1;
  a64_ldst_kind k = isv(i->type) ? A64_LDR_Q : fl ? (w ? A64_LDR_D : A64_LDR_S) : (w ? A64_LDR_X : A64_LDR_W);
  ldst_off(g, k, r, 0, 8 * (int64_t)i->imm); /* an i32: upper half cleared */
  a_move(g, d, (ir_loc){IR_LOC_REG, i->type, (int8_t)r, -1, 0});
}

static void a_ins(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  ir_op op = (ir_op)i->op;
  bool frame_in_x0 = S(g)->osr_frame;
  S(g)->osr_frame = false;
  if (S(g)->fused[v] && S(g)->fused[v] < 4) return; /* the branch compares (4-6: folded into a call, still emitted) */
  switch (op) {
  case IR_OSR_ENTRY: case IR_OSR_LOAD: osr_ins(g, v, frame_in_x0); return;
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
  case IR_HOP:
    if (is_trunc((wm_opcode)i->wop)) trunc_trap(g, v);
    else helper_op(g, v);
    return;
  case IR_POLL: poll(g); return;
  case IR_RESULT: call_result(g, v); return;
  case IR_REF_FUNC: ref_func(g, v); return;
  case IR_MEM_BYTES: { /* memory 0's size in bytes (the vectorizer's guard) */
    int d = dst_reg(g, v, S0);
    E(a64_ldst(&g->b, A64_LDR_X, d, A64_CTX, ctx_off(offsetof(aot_ctx, mem0))));
    ldst_off(g, A64_LDR_X, d, d, (int64_t)offsetof(rt_memory, size));
    commit(g, v, d);
    return;
  }
  default: break;
  }
  if (ir_op_is_simd(op)) {
    simd(g, v);
    return;
  }
  if (ir_loc_of(g, v).kind == IR_LOC_NONE) return; /* unused (cannot happen after dce) */
  if (int_cmp(op)) {
    a64_cond cc = emit_int_cmp(g, op, arg(g, v, 0), arg(g, v, 1));
    int d = dst_reg(g, v, S0);
    E(a64_cset(&g->b, false, d, cc));
    commit(g, v, d);
  } else if (float_cmp(op)) {
    float_compare(g, v, op);
  } else if (i->nargs == 2 && isf(i->type)) {
    float_binop(g, v, op);
  } else if (i->nargs == 2) {
    int_binop(g, v, op);
  } else if (i->nargs == 1 && (isf(i->type) || isf(g->f->ins[i->args[0]].type))) {
    float_unop(g, v, op);
  } else if (i->nargs == 1) {
    int_unop(g, v, op);
  } else {
    g->fail = true;
  }
}

/* ---- moves (phis), control ---- */

static void a_move(ir_gen *g, ir_loc d, ir_loc s) {
  if (isv(d.type)) {
    if (d.kind == IR_LOC_SLOT) {
      int r = s.kind == IR_LOC_SCRATCH ? FCYC : vreg_of(g, s, F0);
      ldst_off(g, A64_STR_Q, r, A64_SP, spill_off(g, d.slot));
    } else {
      load_v(g, s, d.kind == IR_LOC_REG ? d.reg : FCYC);
    }
    return;
  }
  bool fl = ir_cls(d.type) == IR_CL_F;
  if (d.kind == IR_LOC_SLOT) {
    int32_t off = spill_off(g, d.slot);
    if (fl && (s.kind == IR_LOC_REG || s.kind == IR_LOC_SCRATCH)) {
      ldst_off(g, A64_STR_D, s.kind == IR_LOC_REG ? s.reg : FCYC, A64_SP, off);
    } else if (s.kind == IR_LOC_SLOT) { /* 8 bytes of bits */
      ldst_off(g, A64_LDR_X, S0, A64_SP, spill_off(g, s.slot));
      ldst_off(g, A64_STR_X, S0, A64_SP, off);
    } else {
      ldst_off(g, A64_STR_X, gpr_of(g, s, S0), A64_SP, off);
    }
    return;
  }
  int r = d.kind == IR_LOC_REG ? d.reg : (fl ? FCYC : SCYC);
  if (fl) load_f(g, s, r);
  else load_g(g, s, r);
}

static void a_block(ir_gen *g, uint32_t b) {
  S(g)->osr_frame = false;
  if (g->f->blocks[b].loop_head)
    while (g->b.n % 16) E(a64_nop(&g->b));
  g->block_pos[b] = (uint32_t)g->b.n;
}

static void jump_to(ir_gen *g, uint32_t b, uint32_t next) {
  b = ir_gen_target(g, b);
  if (b == next) return;
  ir_gen_fixup(g, (uint32_t)g->b.n, b);
  E(a64_b(&g->b, g->b.n));
}

/* A conditional branch to block b. */
static void branch_if(ir_gen *g, a64_cond cc, uint32_t b) {
  ir_gen_fixup(g, (uint32_t)g->b.n, b);
  E(a64_bcond(&g->b, cc, g->b.n));
  far_slot(g);
}

/* w16 compared with k (unsigned), through x17 when k has no immediate form. */
static void cmp_index(ir_gen *g, uint32_t k) {
  if (a64_cmp_imm(&g->b, false, S0, k)) return;
  E(a64_mov_imm(&g->b, false, S1, k));
  E(a64_cmp(&g->b, false, S0, S1));
}

/* br_table whose index (in w16) picks few runs of equal targets: one
 * unsigned compare and branch per run, ascending, instead of a table and an
 * indirect branch (as on x86-64). At most 4 runs, the default's included. */
static bool switch_by_compares(ir_gen *g, const ir_block *bl, uint32_t next) {
  uint32_t hi[4], succ[4], nr = ir_gen_switch_runs(g, bl, 4, hi, succ);
  if (!nr) return false;
  for (uint32_t r = 0; r + 1 < nr; r++) {
    cmp_index(g, hi[r]);
    branch_if(g, A64_LS, succ[r]);
  }
  jump_to(g, succ[nr - 1], next);
  return true;
}

/* br_table over at most 64 cases with at most three targets besides the
 * default's: a bit mask per target, bit `index` tested after a shift. */
static bool switch_by_bits(ir_gen *g, const ir_block *bl, uint32_t next) {
  uint32_t n = bl->nsucc - 1, dflt = bl->succ[n], tg[3], nt;
  uint64_t mask[3];
  if (!ir_gen_switch_masks(g, bl, 3, tg, mask, &nt)) return false;
  cmp_index(g, n);
  branch_if(g, A64_HS, dflt);
  for (uint32_t j = 0; j < nt; j++) {
    if (__builtin_popcountll(mask[j]) == 1) { /* one case: cmp w16, #k; b.eq */
      cmp_index(g, (uint32_t)__builtin_ctzll(mask[j]));
      branch_if(g, A64_EQ, tg[j]);
      continue;
    }
    E(a64_mov_imm(&g->b, true, S1, mask[j]));
    E(a64_dp2(&g->b, A64_LSRV, true, S1, S1, S0)); /* index < 64: x17 >> index */
    E(a64_logic_imm(&g->b, A64_ANDS, true, A64_ZR, S1, 1));
    branch_if(g, A64_NE, tg[j]);
  }
  jump_to(g, dflt, next);
  return true;
}

static void a_term(ir_gen *g, uint32_t v, uint32_t next) {
  const ir_ins *i = &g->f->ins[v];
  const ir_block *bl = &g->f->blocks[i->block];
  switch (i->op) {
  case IR_JMP: case IR_ENTRY: jump_to(g, bl->succ[0], next); return;
  case IR_BR: {
    uint32_t c = i->args[0];
    const ir_ins *ci = &g->f->ins[c];
    a64_cond cc;
    if (S(g)->fused[c] == 3) { /* and/or of two compares: branch on the first, then as below on the second */
      bool conj = ci->op == IR_I32_AND;
      const ir_ins *c1 = &g->f->ins[ci->args[0]], *c2 = &g->f->ins[ci->args[1]];
      a64_cond k1 = c1->op == IR_I32_EQZ || c1->op == IR_I64_EQZ
                        ? (a64_cond)(emit_test(g, ir_loc_of(g, c1->args[0])) ^ 1)
                        : emit_int_cmp(g, (ir_op)c1->op, ir_loc_of(g, c1->args[0]), ir_loc_of(g, c1->args[1]));
      branch_if(g, conj ? (a64_cond)(k1 ^ 1) : k1, conj ? bl->succ[1] : bl->succ[0]);
      cc = c2->op == IR_I32_EQZ || c2->op == IR_I64_EQZ
               ? (a64_cond)(emit_test(g, ir_loc_of(g, c2->args[0])) ^ 1)
               : emit_int_cmp(g, (ir_op)c2->op, ir_loc_of(g, c2->args[0]), ir_loc_of(g, c2->args[1]));
    } else if (S(g)->fused[c] && (ci->op == IR_I32_EQZ || ci->op == IR_I64_EQZ)) {
      cc = (a64_cond)(emit_test(g, ir_loc_of(g, ci->args[0])) ^ 1);
    } else if (S(g)->fused[c]) {
      cc = emit_int_cmp(g, (ir_op)ci->op, ir_loc_of(g, ci->args[0]), ir_loc_of(g, ci->args[1]));
    } else {
      cc = emit_test(g, ir_loc_of(g, c));
    }
    uint32_t t = ir_gen_target(g, bl->succ[0]), e = ir_gen_target(g, bl->succ[1]);
    if (t == next) {
      ir_gen_fixup(g, (uint32_t)g->b.n, e);
      E(a64_bcond(&g->b, (a64_cond)(cc ^ 1), g->b.n));
      far_slot(g);
    } else {
      ir_gen_fixup(g, (uint32_t)g->b.n, t);
      E(a64_bcond(&g->b, cc, g->b.n));
      far_slot(g);
      jump_to(g, e, next);
    }
    return;
  }
  case IR_SWITCH: { /* index clamped to the default, then a table of 32-bit offsets from the table */
    uint32_t n = bl->nsucc - 1;
    load_g(g, ir_loc_of(g, i->args[0]), S0);
    if (switch_by_compares(g, bl, next) || switch_by_bits(g, bl, next)) return;
    E(a64_mov_imm(&g->b, false, S1, n));
    E(a64_cmp(&g->b, false, S0, S1));
    E(a64_csel(&g->b, A64_CSEL, false, S0, S0, S1, A64_LO));
    size_t adr = g->b.n;
    E(a64_adr(&g->b, S1, adr));
    E(a64_ldst_reg(&g->b, A64_LDRSW, S0, S1, S0, A64_UXTW, true));
    E(a64_addsub_reg(&g->b, A64_ADD, true, S1, S1, S0, A64_LSL, 0));
    E(a64_br(&g->b, S1));
    size_t table = g->b.n;
    E(a64_patch(&g->b, adr, table));
    /* entries: target - table, filled in by finish (a fixup tagged by its high bit) */
    for (uint32_t k = 0; k <= n; k++) {
      ir_gen_fixup(g, (uint32_t)g->b.n | 0x80000000u, bl->succ[k]);
      a64_word(&g->b, (uint32_t)table);
    }
    return;
  }
  case IR_RET: {
    if (aot_result_in_reg(g->ft)) {
      ir_loc r = ir_loc_of(g, i->args[0]);
      if (isf(r.type)) load_f(g, r, F0);
      else load_g(g, r, 0);
    } else if (i->nargs) {
      E(a64_ldst(&g->b, A64_LDR_X, S1, A64_SP, 0));
      int64_t pos = 0; /* two slots for each v128 */
      for (uint32_t k = 0; k < i->nargs; k++) {
        ir_loc r = ir_loc_of(g, i->args[k]);
        if (isv(r.type)) ldst_off(g, A64_STR_Q, vreg_of(g, r, F0), S1, 8 * pos);
        else if (r.kind == IR_LOC_REG && isf(r.type)) ldst_off(g, A64_STR_D, r.reg, S1, 8 * pos);
        else ldst_off(g, A64_STR_X, gpr_of(g, r, S0), S1, 8 * pos);
        pos += slot_width(r.type);
      }
    }
    add_site(g, &S(g)->rets, g->b.n);
    E(a64_b(&g->b, g->b.n));
    return;
  }
  case IR_TRAP:
    add_site(g, &g->traps[i->imm], g->b.n);
    E(a64_b(&g->b, g->b.n));
    return;
  default: g->fail = true; return;
  }
}

/* ---- prologue, epilogue ---- */

static void bind(ir_gen *g, site_list *l, size_t target) {
  for (uint32_t k = 0; k < l->n; k++) E(patch_site(g, l->at[k], target));
}

/* The stub of trap k (not the stack check's) for several sites: each site branches
 * to a `bl stub` of its own, which the code map gives the site's position
 * (codemap.h), and the stub stores that return address where call_helper
 * stores its own, so the helper's backtrace names the site. */
static void trap_stub_by_site(ir_gen *g, const site_list *l, int k) {
  size_t first = g->b.n;
  for (uint32_t s = 0; s < l->n; s++) {
    codemap_copy(g->map, (uint32_t)g->b.n, codemap_find(g->map, l->at[s]));
    E(patch_site(g, l->at[s], g->b.n));
    E(a64_bl(&g->b, g->b.n)); /* patched below */
  }
  size_t stub = g->b.n;
  codemap_copy(g->map, (uint32_t)stub, -1);
  for (uint32_t s = 0; s < l->n; s++) E(a64_patch(&g->b, first + 4 * (size_t)s, stub));
  E(a64_addsub_imm(&g->b, A64_SUB, true, A64_SP, A64_SP, 16));
  E(a64_ldst(&g->b, A64_STR_X, A64_LR, A64_SP, 8));
  E(a64_addsub_imm(&g->b, A64_ADD, true, S0, A64_SP, 16));
  E(a64_ldst(&g->b, A64_STR_X, S0, A64_CTX, ctx_off(offsetof(aot_ctx, helper_sp))));
  E(a64_mov(&g->b, true, 0, A64_CTX));
  E(a64_mov_imm(&g->b, false, 1, (uint64_t)k));
  E(a64_ldst(&g->b, A64_LDR_X, S0, A64_CTX, ctx_off(offsetof(aot_ctx, helpers) + 8 * (size_t)AOT_H_TRAP)));
  E(a64_blr(&g->b, S0));
  E(a64_udf(&g->b, 0));
}

static uint32_t popcount(uint32_t x) { return (uint32_t)__builtin_popcount(x); }

/* Stores (or loads back) the callee-saved registers this function writes. */
static void save_callee(ir_gen *g, bool restore) {
  as *st = S(g);
  int32_t off = st->save_base;
  for (int r = 0; r < 32; r++)
    if (st->saved_g & (1u << r)) {
      ldst_off(g, restore ? A64_LDR_X : A64_STR_X, r, A64_SP, off);
      off += 8;
    }
  for (int r = 0; r < 32; r++)
    if (st->saved_f & (1u << r)) {
      ldst_off(g, restore ? A64_LDR_D : A64_STR_D, r, A64_SP, off);
      off += 8;
    }
}

/* Outgoing slots instruction i needs: its arguments (two per v128) and
 * the results of calls and helpers, which come back in the same slots. */
static uint32_t out_slots(const ir_gen *g, const ir_ins *i) {
  if (i->op != IR_CALL && !calls_c(i)) return 0;
  return ir_gen_call_slots(g, i);
}

/* The frame record, the frame, the stack check, the caller's slot pointer,
 * the callee-saved registers: at the entry and at each OSR entry (x0 is
 * left alone). The entry's stack check, if it has one, is st->stack_site;
 * an OSR entry's (always there) joins the stack trap's sites. */
static void prologue(ir_gen *g, bool stack_check, bool entry) {
  as *st = S(g);
  E(a64_stp(&g->b, A64_PAIR_X, A64_PRE, A64_FP, A64_LR, A64_SP, -16));
  E(a64_mov_sp(&g->b, true, A64_FP, A64_SP));
  if (!a64_addsub_imm(&g->b, A64_SUB, true, A64_SP, A64_SP, st->size)) {
    E(a64_mov_imm(&g->b, true, S0, st->size));
    E(a64_addsub_ext(&g->b, A64_SUB, true, A64_SP, A64_SP, S0, A64_UXTX, 0));
  }
  if (stack_check) {
    E(a64_ldst(&g->b, A64_LDR_X, S0, A64_CTX, ctx_off(offsetof(aot_ctx, stack_limit))));
    E(a64_mov_sp(&g->b, true, S1, A64_SP));
    E(a64_cmp(&g->b, true, S1, S0));
    if (entry) st->stack_site = g->b.n;
    else add_site(g, &g->traps[WRUN_TRAP_STACK_EXHAUSTED], g->b.n);
    E(a64_bcond(&g->b, A64_LO, g->b.n));
    far_slot(g);
  }
  if (!aot_result_in_reg(g->ft)) E(a64_ldst(&g->b, A64_STR_X, 0, A64_SP, 0));
  save_callee(g, false);
}

static bool alu_op(ir_op op) {
  switch (op) {
  case IR_I32_ADD: case IR_I64_ADD: case IR_I32_SUB: case IR_I64_SUB: case IR_I32_MUL: case IR_I64_MUL:
  case IR_I32_AND: case IR_I64_AND: case IR_I32_OR: case IR_I64_OR: case IR_I32_XOR: case IR_I64_XOR: return true;
  default: return false;
  }
}

/* Values folded into a direct call, as on x86-64: its integer result used
 * only by the add, sub, and, or, xor or mul right after it (constants
 * between) is read from x0 there (marked 4); such an operation computed
 * right before the call and used only as its first or second argument is
 * computed in x1 or x2 (5, 6), where it did not take the register of an
 * operand dying at it. Neither is then put in a register of its own, which
 * the function would also have to save. */
static void fold_call_values(ir_gen *g, const uint32_t *uses) {
  const ir_func *f = g->f;
  as *st = S(g);
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 0; k + 1 < bl->nins; k++) {
      uint32_t v = bl->ins[k], n = k + 1;
      const ir_ins *vi = &f->ins[v];
      if (vi->dead || uses[v] != 1 || st->fused[v] || (vi->type != IR_I32 && vi->type != IR_I64)) continue;
      while (n + 1 < bl->nins && f->ins[bl->ins[n]].op == IR_CONST) n++;
      uint32_t uv = bl->ins[n];
      const ir_ins *u = &f->ins[uv];
      if (u->dead) continue;
      if (vi->op == IR_CALL && alu_op((ir_op)u->op) && u->nargs == 2 && u->type == vi->type &&
          (u->args[0] == v || u->args[1] == v) && u->args[0] != u->args[1] && g->ra->reg[uv] >= 0 && !st->fused[uv]) {
        uint32_t other = u->args[0] == v ? u->args[1] : u->args[0];
        if (!st->fused[other]) st->fused[v] = 4;
        continue;
      }
      if (!alu_op((ir_op)vi->op) || vi->nargs != 2 || u->op != IR_CALL) continue;
      uint32_t a = 0;
      while (a < u->nargs && a < 2 && u->args[a] != v) a++;
      if (a == 2 || a == u->nargs || (a == 1 && f->ins[u->args[0]].type == IR_V128)) continue;
      if ((u->nargs > 1 && u->args[1 - a] == v) || st->fused[vi->args[0]] || st->fused[vi->args[1]]) continue;
      int8_t r = g->ra->reg[v];
      if (r >= 0 && (r == g->ra->reg[vi->args[0]] || r == g->ra->reg[vi->args[1]])) continue;
      st->fused[v] = a == 0 ? 5 : 6;
    }
  }
}

static bool a_begin(ir_gen *g) {
  const ir_func *f = g->f;
  as *st = calloc(1, sizeof *st);
  uint32_t *uses = calloc(f->nins + 1, sizeof *uses);
  if (st) st->fused = calloc(f->nins + 1, 1);
  g->isa_state = st; /* released by a_release whatever happens next */
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
      c_calls |= calls_c(i);
      wasm_calls |= i->op == IR_CALL;
    }
  }
  bool leaf = !c_calls && !wasm_calls; /* calls nothing but, from a trap stub, h_trap */
  if (!leaf && nout < 2) nout = 2;
  /* a compare used only by the branch right after it becomes cmp; b.cond */
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
  /* a branch on the and/or of two compares right before it: two compare-and-branches */
  ir_gen_fuse_and_or_branches(f, uses, st->fused, NULL);
  /* a compare used only as the condition of the integer select right after
   * it becomes cmp; csel, and a shift left by a constant used only by the
   * add right after it that add's shifted operand (add_shifted) */
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 1; k < bl->nins; k++) {
      const ir_ins *u = &f->ins[bl->ins[k]];
      uint32_t p = bl->ins[k - 1];
      const ir_ins *pi = &f->ins[p];
      if (uses[p] != 1) continue;
      if (u->op == IR_SELECT && !isf(u->type) && !isv(u->type) && u->args[2] == p &&
          (int_cmp((ir_op)pi->op) || pi->op == IR_I32_EQZ || pi->op == IR_I64_EQZ))
        st->fused[p] = 1;
      if ((u->op == IR_I32_ADD || u->op == IR_I64_ADD) && (u->args[0] == p || u->args[1] == p) &&
          pi->op == (u->op == IR_I32_ADD ? IR_I32_SHL : IR_I64_SHL) && f->ins[pi->args[1]].op == IR_CONST &&
          (f->ins[pi->args[1]].imm & (u->op == IR_I32_ADD ? 31 : 63)) != 0)
        st->fused[p] = 1;
    }
  }
  fold_call_values(g, uses);
  free(uses);
  /* Far: the code may pass ±1 MiB, B.cond's reach. The estimate is 128 bytes
   * per instruction and operand, several times what selection emits for
   * any of them (a call moves each argument; a phi is an operand of its
   * edge's moves; a SIMD op is at most about 16 words), and 1 KiB more for
   * a call, which may also save and restore all 30 caller-saved registers
   * (and every q register) around it; so a function
   * under the bound stays under 1 MiB, and one over it pays a NOP after
   * each conditional branch to a label. */
  uint64_t units = 0; /* a direct call too may save and restore every q register that held a vector */
  for (uint32_t v = 0; v < f->nins; v++)
    units += 1 + (uint64_t)f->ins[v].nargs + (calls_c(&f->ins[v]) || f->ins[v].op == IR_CALL ? 8 : 0);
  st->far = units * 128 >= (UINT64_C(1) << 20);
  g->nout = nout;
  st->saved_g = g->ra->used[IR_CL_G] & GPR_ALLOC & ir_gen_written_regs(g, S(g)->fused, IR_CL_G);
  st->saved_f = (g->ra->used[IR_CL_F] | g->ra->used[IR_CL_V]) & FPR_ALLOC;
  uint32_t nvol = 0, nvec = popcount(g->ra->used[IR_CL_V]);
  if (c_calls) { /* our callers keep values in every allocatable register, and C may clobber these */
    nvol = popcount(g->ra->used[IR_CL_G] & GPR_VOLATILE) +
           popcount(g->ra->used[IR_CL_F] & ~g->ra->used[IR_CL_V] & FPR_VOLATILE);
    st->saved_g |= GPR_VOLATILE;
    st->saved_f |= FPR_VOLATILE;
  }
  st->spill_base = 8;
  st->out_base = st->spill_base + 8 * (int32_t)g->ra->nslots;
  st->vol_base = st->out_base + 8 * (int32_t)nout;
  st->vec_base = (st->vol_base + 8 * (int32_t)nvol + 15) & ~15;
  st->save_base = st->vec_base + 16 * (int32_t)nvec;
  uint32_t size = (uint32_t)st->save_base + 8 * (popcount(st->saved_g) + popcount(st->saved_f));
  st->size = (size + 15) & ~15u; /* sp stays 16-aligned */
  if (g->in->min_frame > st->size + 8 && (g->in->min_frame - 8) % 16 == 0) /* (room at the top, osrcopy.c) */
    st->size = g->in->min_frame - 8;
  st->stack_site = SIZE_MAX; /* a small leaf needs no stack check (IR_LEAF_FRAME_MAX) */
  prologue(g, !leaf || st->size + 16 > IR_LEAF_FRAME_MAX, true);
  /* parameters to their homes (no home is x0-x2 or v0-v1) */
  const ir_block *entry = &f->blocks[0];
  for (uint32_t k = 0; k < entry->nins; k++) {
    uint32_t v = entry->ins[k];
    const ir_ins *i = &f->ins[v];
    if (i->dead || i->op != IR_PARAM) continue;
    ir_loc d = ir_loc_of(g, v);
    if (d.kind == IR_LOC_NONE) continue;
    uint32_t p = 0; /* the parameter's slot position: two for each v128 before it */
    for (uint32_t q = 0; q < i->imm; q++) p += wm_functype_params(g->ft)[q] == WASM_V128 ? 2 : 1;
    bool fl = isf(i->type), w = wide(i->type);
    ir_loc src;
    if (isv(i->type)) {
      ldst_off(g, A64_LDR_Q, FS, 0, 8 * (int64_t)p); /* v30: v0, v1 may hold float arguments */
      src = (ir_loc){IR_LOC_REG, i->type, FS, -1, 0};
    } else if (aot_arg_in_reg(g->isa->machine, (int32_t)p, WASM_I32)) {
      int r = fl ? (int)p : 1 + (int)p;
      if (!fl && !w) E(a64_mov(&g->b, false, r, r)); /* upper half of an i32 clear */
      src = (ir_loc){IR_LOC_REG, i->type, (int8_t)r, -1, 0};
    } else {
      int r = fl ? F1 : S1;
      ldst_off(g, fl ? (w ? A64_LDR_D : A64_LDR_S) : (w ? A64_LDR_X : A64_LDR_W), r, 0, 8 * (int64_t)p);
      src = (ir_loc){IR_LOC_REG, i->type, (int8_t)r, -1, 0};
    }
    a_move(g, d, src);
  }
  return !g->fail;
}

static void a_epilogue_code(ir_gen *g) {
  as *st = S(g);
  save_callee(g, true);
  if (!a64_addsub_imm(&g->b, A64_ADD, true, A64_SP, A64_SP, st->size)) {
    E(a64_mov_imm(&g->b, true, S0, st->size));
    E(a64_addsub_ext(&g->b, A64_ADD, true, A64_SP, A64_SP, S0, A64_UXTX, 0));
  }
  E(a64_ldp(&g->b, A64_PAIR_X, A64_POST, A64_FP, A64_LR, A64_SP, 16));
  E(a64_ret(&g->b, A64_LR));
}

/* The epilogue before the OSR entries (isa.h, epilogue). */
static void a_epilogue(ir_gen *g) {
  as *st = S(g);
  st->epilogue_at = g->b.n;
  st->epilogue_done = true;
  a_epilogue_code(g);
}

static bool a_finish(ir_gen *g, aot_func_out *out) {
  as *st = S(g);
  if (st->epilogue_done) {
    bind(g, &st->rets, st->epilogue_at);
  } else {
    bind(g, &st->rets, g->b.n);
    a_epilogue_code(g);
  }
  /* trap stubs (sp is the body's at every branch here) */
  for (int k = 0; k <= WRUN_TRAP_INTERRUPTED; k++) {
    bool stack_check = k == WRUN_TRAP_STACK_EXHAUSTED && st->stack_site != SIZE_MAX; /* leaves may have none */
    if (!g->traps[k].n && !stack_check) continue;
    if (g->traps[k].n > 1 && g->map && k != WRUN_TRAP_STACK_EXHAUSTED) { /* several sites: codemap.h wants to know which one trapped */
      trap_stub_by_site(g, &g->traps[k], k);
      continue;
    }
    codemap_copy(g->map, (uint32_t)g->b.n, g->traps[k].n ? codemap_find(g->map, g->traps[k].at[0]) : -1);
    if (stack_check) E(patch_site(g, st->stack_site, g->b.n));
    bind(g, &g->traps[k], g->b.n);
    E(a64_mov(&g->b, true, 0, A64_CTX));
    E(a64_mov_imm(&g->b, false, 1, (uint64_t)k));
    call_helper(g, AOT_H_TRAP);
    E(a64_udf(&g->b, 0));
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
    } else if (!patch_site(g, at, pos)) {
      return false; /* a conditional branch past ±1 MiB in a function not thought far */
    }
  }
  out->code = g->b.p;
  out->size = (uint32_t)g->b.n;
  out->frame = st->size + 8; /* sp + frame: the saved x30 */
  out->relocs = g->relocs;
  out->nrelocs = g->nrelocs;
  g->b = (aot_buf){0};
  g->relocs = NULL;
  g->nrelocs = 0;
  return true;
}

static void a_release(ir_gen *g) {
  as *st = S(g);
  if (!st) return;
  free(st->rets.at);
  free(st->fused);
  free(st);
  g->isa_state = NULL;
}

const aot_isa aot_isa_arm64 = {
    .name = "aarch64",
    .machine = &aot_target_arm64,
    .alloc = {gpr_order, fpr_order},
    .nalloc = {sizeof gpr_order, sizeof fpr_order},
    .vec_in_float_regs = true,
    .supports = a_supports,
    .begin = a_begin,
    .block = a_block,
    .ins = a_ins,
    .move = a_move,
    .term = a_term,
    .finish = a_finish,
    .epilogue = a_epilogue,
    .release = a_release,
};
