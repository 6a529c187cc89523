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
 * saves all of them in its prologue. An i32 in a register has its upper half
 * clear (every 32-bit operation writes the W form, which zero-extends), so
 * it indexes memory directly through an UXTW extend.
 *
 * Frame (sp-relative, sp 16-aligned and constant in the body): [0] the
 * caller's slot pointer, then the spill slots, then the outgoing argument
 * slots of calls, then registers saved around C calls, then the
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
  int32_t save_base;             /* callee-saved registers */
  uint32_t size;                 /* what the prologue subtracts after pushing the frame record */
  uint32_t saved_g, saved_f;
  uint8_t *fused;                /* per value: a compare left to the branch that uses it */
  site_list rets;
  size_t stack_site;
  bool far;                      /* the function may pass 1 MiB: conditional branches to labels get a
                                  * second word, for a64_patch_cond's long form */
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

/* The register to compute value v in: its own, or scratch `s`. */
static int dst_reg(ir_gen *g, uint32_t v, int s) {
  ir_loc l = ir_loc_of(g, v);
  return l.kind == IR_LOC_REG ? l.reg : s;
}

/* Stores the result computed in r to v's slot if v lives in memory. */
static void commit(ir_gen *g, uint32_t v, int r) {
  ir_loc l = ir_loc_of(g, v);
  if (l.kind != IR_LOC_SLOT) return;
  ldst_off(g, isf(l.type) ? A64_STR_D : A64_STR_X, r, A64_SP, spill_off(g, l.slot));
}

static ir_loc arg(ir_gen *g, uint32_t v, uint32_t k) { return ir_loc_of(g, g->f->ins[v].args[k]); }

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
 * operations are helper calls, references i64 values); not yet: v128 values
 * and SIMD operations, the extra results of a call (RESULT) and ref.func. A
 * function using one is refused, and aot.c reports it in one line (no
 * one-pass fallback on AArch64). */
static bool a_supports(const ir_func *f, const ir_ins *i) {
  if (i->op >= IR_NOPS_ || i->op == IR_RESULT || i->op == IR_REF_FUNC) return false;
  return !ir_ins_v128(f, i);
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

static void int_binop(ir_gen *g, uint32_t v, ir_op op) {
  ir_loc a = arg(g, v, 0), b = arg(g, v, 1);
  bool w = g->f->ins[v].type == IR_I64;
  unsigned bits = w ? 64 : 32;
  int d = dst_reg(g, v, S0);
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
  bool fl = isf(i->type), w = wide(i->type);
  int d = dst_reg(g, v, fl ? FS : S1);
  a64_ldst_kind k = fl ? (w ? A64_LDR_D : A64_LDR_S) : (w ? A64_LDR_X : A64_LDR_W);
  E(a64_ldst(&g->b, k, d, S0, (int64_t)offsetof(rt_global, val)));
  commit(g, v, d);
}

static void global_set(ir_gen *g, uint32_t v) {
  load_g(g, arg(g, v, 0), S1); /* all 8 bytes of the slot's bits */
  global_addr(g, (uint32_t)g->f->ins[v].imm);
  E(a64_ldst(&g->b, A64_STR_X, S1, S0, (int64_t)offsetof(rt_global, val)));
}

/* ---- select, calls, polls ---- */

static void select_op(ir_gen *g, uint32_t v) {
  ir_loc a = arg(g, v, 0), b = arg(g, v, 1), c = arg(g, v, 2);
  uint8_t t = g->f->ins[v].type;
  if (isf(t)) {
    int ra = fpr_of(g, a, F0), rb = fpr_of(g, b, F1);
    int d = dst_reg(g, v, FS);
    E(a64_cmp_imm(&g->b, false, gpr_of(g, c, S0), 0));
    E(a64_fcsel(&g->b, wide(t), d, ra, rb, A64_NE));
    commit(g, v, d);
    return;
  }
  int ra = gpr_of(g, a, S0), rb = gpr_of(g, b, S1);
  int d = dst_reg(g, v, S0);
  E(a64_cmp_imm(&g->b, false, gpr_of(g, c, 2), 0));
  E(a64_csel(&g->b, A64_CSEL, wide(t), d, ra, rb, A64_NE));
  commit(g, v, d);
}

/* Writes argument k of v to outgoing slot k (64 bits). */
static void arg_to_slot(ir_gen *g, uint32_t v, uint32_t k) {
  ir_loc a = arg(g, v, k);
  int32_t off = S(g)->out_base + 8 * (int32_t)k;
  if (a.kind == IR_LOC_REG && isf(a.type)) {
    ldst_off(g, A64_STR_D, a.reg, A64_SP, off);
  } else {
    int r = gpr_of(g, a, S0);
    ldst_off(g, A64_STR_X, r, A64_SP, off);
  }
}

static void call(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  /* slot arguments first, then the register ones (x1, x2, v0, v1 hold no value of ours) */
  for (uint32_t k = 0; k < i->nargs; k++)
    if (!aot_arg_in_reg(g->isa->machine, (int32_t)k, WASM_I32)) arg_to_slot(g, v, k);
  for (uint32_t k = 0; k < i->nargs; k++) {
    if (!aot_arg_in_reg(g->isa->machine, (int32_t)k, WASM_I32)) continue;
    ir_loc a = arg(g, v, k);
    if (isf(a.type)) load_f(g, a, (int)k);
    else load_g(g, a, 1 + (int)k);
  }
  add_imm(g, 0, A64_SP, (uint64_t)S(g)->out_base);
  ir_gen_reloc(g, (uint32_t)g->b.n, (uint32_t)i->imm);
  E(a64_bl(&g->b, g->b.n)); /* linked once every function is placed */
  if (i->type == IR_VOID || ir_loc_of(g, v).kind == IR_LOC_NONE) return;
  if (isf(i->type)) {
    int d = dst_reg(g, v, F0);
    if (d != F0) E(a64_fp1(&g->b, A64_FMOV, true, d, F0));
    commit(g, v, d);
  } else {
    int d = dst_reg(g, v, 0);
    if (d != 0) E(a64_mov(&g->b, true, d, 0));
    commit(g, v, d);
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
    if (g->ra->used[IR_CL_F] & FPR_VOLATILE & (1u << r)) {
      ldst_off(g, restore ? A64_LDR_D : A64_STR_D, r, A64_SP, off);
      off += 8;
    }
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
  int d = dst_reg(g, v, isf(t) ? FS : S0);
  a64_ldst_kind k = isf(t) ? (wide(t) ? A64_LDR_D : A64_LDR_S) : (wide(t) ? A64_LDR_X : A64_LDR_W);
  ldst_off(g, k, d, A64_SP, S(g)->out_base);
  commit(g, v, d);
}

/* An operation of the AOT_H_OP helper: (ctx, slots, op, a, b). */
static void helper_op(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  for (uint32_t k = 0; k < i->nargs; k++) arg_to_slot(g, v, k);
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
  for (uint32_t k = 0; k < i->nargs; k++) arg_to_slot(g, v, k);
  save_volatile(g, false);
  E(a64_mov(&g->b, true, 0, A64_CTX));
  E(a64_ldst(&g->b, A64_LDR_X, 1, A64_CTX, ctx_off(offsetof(aot_ctx, funcs))));
  ldst_off(g, A64_LDR_X, 1, 1, 8 * (int64_t)i->imm);
  add_imm(g, 2, A64_SP, (uint64_t)S(g)->out_base);
  call_helper(g, AOT_H_CALL);
  finish_helper_call(g, v);
}

/* call_indirect through AOT_H_CALL_INDIRECT (ctx, table, type, index, slots),
 * which checks the index, null, and the signature. */
static void call_indirect(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  for (uint32_t k = 0; k + 1 < i->nargs; k++) arg_to_slot(g, v, k);
  load_g(g, arg(g, v, i->nargs - 1), S1);
  save_volatile(g, false);
  E(a64_mov(&g->b, true, 0, A64_CTX));
  E(a64_mov_imm(&g->b, false, 1, i->aux));
  E(a64_mov_imm(&g->b, false, 2, i->imm));
  E(a64_mov(&g->b, false, 3, S1));
  add_imm(g, 4, A64_SP, (uint64_t)S(g)->out_base);
  call_helper(g, AOT_H_CALL_INDIRECT);
  finish_helper_call(g, v);
}

static void poll(ir_gen *g) {
  E(a64_ldst(&g->b, A64_LDR_X, S0, A64_CTX, ctx_off(offsetof(aot_ctx, interrupt))));
  E(a64_ldst(&g->b, A64_LDR_W, S0, S0, 0));
  add_site(g, &g->traps[WRUN_TRAP_TIMEOUT], g->b.n);
  E(a64_cbz(&g->b, true, false, S0, g->b.n));
  far_slot(g);
}

static void a_ins(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  ir_op op = (ir_op)i->op;
  if (S(g)->fused[v]) return; /* the branch compares */
  switch (op) {
  case IR_CONST: case IR_PARAM: return; /* constants are used in place; parameters placed by begin */
  case IR_LOAD: load_mem(g, v); return;
  case IR_STORE: store_mem(g, v); return;
  case IR_GLOBAL_GET: global_get(g, v); return;
  case IR_GLOBAL_SET: global_set(g, v); return;
  case IR_DIV: divrem(g, v); return;
  case IR_SELECT: select_op(g, v); return;
  case IR_CALL: call(g, v); return;
  case IR_CALL_HOST: call_host(g, v); return;
  case IR_CALL_INDIRECT: call_indirect(g, v); return;
  case IR_HOP:
    if (is_trunc((wm_opcode)i->wop)) trunc_trap(g, v);
    else helper_op(g, v);
    return;
  case IR_POLL: poll(g); return;
  default: break;
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

static void a_term(ir_gen *g, uint32_t v, uint32_t next) {
  const ir_ins *i = &g->f->ins[v];
  const ir_block *bl = &g->f->blocks[i->block];
  switch (i->op) {
  case IR_JMP: jump_to(g, bl->succ[0], next); return;
  case IR_BR: {
    uint32_t c = i->args[0];
    const ir_ins *ci = &g->f->ins[c];
    a64_cond cc;
    if (S(g)->fused[c] && (ci->op == IR_I32_EQZ || ci->op == IR_I64_EQZ)) {
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
      for (uint32_t k = 0; k < i->nargs; k++) {
        ir_loc r = ir_loc_of(g, i->args[k]);
        if (r.kind == IR_LOC_REG && isf(r.type)) ldst_off(g, A64_STR_D, r.reg, S1, 8 * (int64_t)k);
        else ldst_off(g, A64_STR_X, gpr_of(g, r, S0), S1, 8 * (int64_t)k);
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
  uint32_t nout = 2;
  bool c_calls = false;
  for (uint32_t o = 0; o < f->norder; o++) {
    const ir_block *bl = &f->blocks[f->order[o]];
    for (uint32_t k = 0; k < bl->nins; k++) {
      const ir_ins *i = &f->ins[bl->ins[k]];
      if (i->dead) continue;
      for (uint32_t a = 0; a < i->nargs; a++) uses[i->args[a]]++;
      if ((i->op == IR_CALL || calls_c(i)) && i->nargs > nout) nout = i->nargs;
      c_calls |= calls_c(i);
    }
  }
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
  free(uses);
  /* Far: the code may pass ±1 MiB, B.cond's reach. The estimate is 128 bytes
   * per instruction and operand, several times what selection emits for
   * any of them (a call moves each argument; a phi is an operand of its
   * edge's moves), and 1 KiB more for a call into C, which may also save
   * and restore all 30 caller-saved registers around it; so a function
   * under the bound stays under 1 MiB, and one over it pays a NOP after
   * each conditional branch to a label. */
  uint64_t units = 0;
  for (uint32_t v = 0; v < f->nins; v++) units += 1 + (uint64_t)f->ins[v].nargs + (calls_c(&f->ins[v]) ? 8 : 0);
  st->far = units * 128 >= (UINT64_C(1) << 20);
  g->nout = nout;
  st->saved_g = g->ra->used[IR_CL_G] & GPR_ALLOC;
  st->saved_f = g->ra->used[IR_CL_F] & FPR_ALLOC;
  uint32_t nvol = 0;
  if (c_calls) { /* our callers keep values in every allocatable register, and C may clobber these */
    nvol = popcount(g->ra->used[IR_CL_G] & GPR_VOLATILE) + popcount(g->ra->used[IR_CL_F] & FPR_VOLATILE);
    st->saved_g |= GPR_VOLATILE;
    st->saved_f |= FPR_VOLATILE;
  }
  st->spill_base = 8;
  st->out_base = st->spill_base + 8 * (int32_t)g->ra->nslots;
  st->vol_base = st->out_base + 8 * (int32_t)nout;
  st->save_base = st->vol_base + 8 * (int32_t)nvol;
  uint32_t size = (uint32_t)st->save_base + 8 * (popcount(st->saved_g) + popcount(st->saved_f));
  st->size = (size + 15) & ~15u; /* sp stays 16-aligned */
  /* prologue: the frame record, the frame, the stack check */
  E(a64_stp(&g->b, A64_PAIR_X, A64_PRE, A64_FP, A64_LR, A64_SP, -16));
  E(a64_mov_sp(&g->b, true, A64_FP, A64_SP));
  if (!a64_addsub_imm(&g->b, A64_SUB, true, A64_SP, A64_SP, st->size)) {
    E(a64_mov_imm(&g->b, true, S0, st->size));
    E(a64_addsub_ext(&g->b, A64_SUB, true, A64_SP, A64_SP, S0, A64_UXTX, 0));
  }
  E(a64_ldst(&g->b, A64_LDR_X, S0, A64_CTX, ctx_off(offsetof(aot_ctx, stack_limit))));
  E(a64_mov_sp(&g->b, true, S1, A64_SP));
  E(a64_cmp(&g->b, true, S1, S0));
  st->stack_site = g->b.n;
  E(a64_bcond(&g->b, A64_LO, g->b.n));
  far_slot(g);
  if (!aot_result_in_reg(g->ft)) E(a64_ldst(&g->b, A64_STR_X, 0, A64_SP, 0));
  save_callee(g, false);
  /* parameters to their homes (no home is x0-x2 or v0-v1) */
  const ir_block *entry = &f->blocks[0];
  for (uint32_t k = 0; k < entry->nins; k++) {
    uint32_t v = entry->ins[k];
    const ir_ins *i = &f->ins[v];
    if (i->dead || i->op != IR_PARAM) continue;
    ir_loc d = ir_loc_of(g, v);
    if (d.kind == IR_LOC_NONE) continue;
    uint32_t p = (uint32_t)i->imm;
    bool fl = isf(i->type), w = wide(i->type);
    ir_loc src;
    if (aot_arg_in_reg(g->isa->machine, (int32_t)p, WASM_I32)) {
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

static bool a_finish(ir_gen *g, aot_func_out *out) {
  as *st = S(g);
  /* epilogue */
  bind(g, &st->rets, g->b.n);
  save_callee(g, true);
  if (!a64_addsub_imm(&g->b, A64_ADD, true, A64_SP, A64_SP, st->size)) {
    E(a64_mov_imm(&g->b, true, S0, st->size));
    E(a64_addsub_ext(&g->b, A64_ADD, true, A64_SP, A64_SP, S0, A64_UXTX, 0));
  }
  E(a64_ldp(&g->b, A64_PAIR_X, A64_POST, A64_FP, A64_LR, A64_SP, 16));
  E(a64_ret(&g->b, A64_LR));
  /* trap stubs (sp is the body's at every branch here) */
  for (int k = 0; k <= WRUN_TRAP_INTERRUPTED; k++) {
    if (!g->traps[k].n && k != WRUN_TRAP_STACK_EXHAUSTED) continue;
    if (k == WRUN_TRAP_STACK_EXHAUSTED) E(patch_site(g, st->stack_site, g->b.n));
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
    .supports = a_supports,
    .begin = a_begin,
    .block = a_block,
    .ins = a_ins,
    .move = a_move,
    .term = a_term,
    .finish = a_finish,
    .release = a_release,
};
