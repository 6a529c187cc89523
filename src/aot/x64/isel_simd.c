/*
 * isel_simd.c — x86-64 selection of the IR's SIMD instructions (the rows of
 * ir.h generated from the 0xFD opcodes) for the optimizing pipeline.
 *
 * The instruction sequences are the one-pass compiler's (simd.c,
 * x64_simd_seq): v128 operands and results are used where they are, in
 * their xmm registers or frame slots, except where a sequence reaches into
 * a vector by lane (x64_simd_needs_mem: those go through the staging area
 * in the outgoing slots); scalar operands and results always go through
 * memory (their slot, or the staging area), except extract_lane of a vector
 * in a register, which uses pextr* (or a shuffle for float lanes). Memory accesses get their address operand
 * from isel.c (guard pages or explicit bounds checks, as scalar accesses).
 * Instructions simd.c does not compile inline (those whose SSE forms differ
 * from wasm in corner cases) go to the runtime's helper, with the
 * interpreter's semantics.
 */
#include <string.h>

#include "aot/x64/isel.h"
#include "aot/x64/target.h"

#define XS2 15

typedef struct addr_ctx {
  ir_gen *g;
  ir_loc a;
} addr_ctx;

static x64_mem ir_address(void *ctx, uint64_t offset, uint32_t size) {
  addr_ctx *c = ctx;
  return x64i_address(c->g, c->a, offset, size);
}

static void movdqu(ir_gen *g, bool store, int x, x64_mem m) {
  x64_op_rm(&g->b, 0xF3, store ? 0x0F7F : 0x0F6F, false, x, x64_m(m));
}

/* v128.const: the 16 immediate bytes (or zero) into the value's place. */
static void v128_const(ir_gen *g, uint32_t v, int32_t stage) {
  const ir_ins *i = &g->f->ins[v];
  ir_loc d = ir_loc_of(g, v);
  if (d.kind == IR_LOC_NONE) return;
  uint64_t q[2] = {0, 0};
  if (i->imm != UINT64_MAX) memcpy(q, g->in->m->bytes + i->imm, 16);
  if (d.kind == IR_LOC_REG && !q[0] && !q[1]) {
    x64_op_rm(&g->b, 0x66, 0x0FEF, false, d.reg, x64_r(d.reg)); /* pxor */
    return;
  }
  x64_mem m = d.kind == IR_LOC_SLOT ? x64i_spill_mem(g, d.slot) : x64_base(RSP, stage);
  for (int k = 0; k < 2; k++) {
    x64_mov_imm(&g->b, true, RAX, q[k]);
    x64_mem h = m;
    h.disp += 8 * k;
    x64_mov_store(&g->b, true, h, RAX);
  }
  if (d.kind != IR_LOC_SLOT) {
    movdqu(g, false, XS2, m);
    x64i_v_store(g, d, XS2);
  }
}

/* A scalar result the sequence left in memory at m, to v's place. */
static void scalar_result(ir_gen *g, uint32_t v, x64_mem m) {
  ir_loc d = ir_loc_of(g, v);
  uint8_t t = g->f->ins[v].type;
  bool w = t == IR_I64 || t == IR_F64;
  if (d.kind == IR_LOC_REG && (t == IR_F32 || t == IR_F64)) {
    x64_sse(&g->b, w ? 0xF2 : 0xF3, 0x10, false, d.reg, x64_m(m));
    return;
  }
  int r = d.kind == IR_LOC_REG ? d.reg : RAX;
  x64_mov_load(&g->b, w, r, x64_m(m));
  x64i_commit(g, v, r);
}

/* extract_lane of a vector in a register: pextr* into a general register, or
 * the lane shuffled down for a float; false when the vector is in memory
 * (the generic sequence reads the lane there). */
static bool extract_lane_reg(ir_gen *g, uint32_t v, wm_opcode op) {
  const ir_ins *i = &g->f->ins[v];
  ir_loc a = ir_loc_of(g, i->args[0]), d = ir_loc_of(g, v);
  if (a.kind != IR_LOC_REG) return false;
  uint8_t lane = (uint8_t)i->imm;
  if (op == OP_F32X4_EXTRACT_LANE || op == OP_F64X2_EXTRACT_LANE) {
    int x = d.kind == IR_LOC_REG ? d.reg : XS2;
    if (lane == 0) {
      if (x != a.reg) x64_op_rm(&g->b, 0, 0x0F28, false, x, x64_r(a.reg)); /* movaps */
    } else { /* pshufd x, a, the lane's dwords to the bottom */
      x64_op_rm(&g->b, 0x66, 0x0F70, false, x, x64_r(a.reg));
      x64_byte(&g->b, op == OP_F64X2_EXTRACT_LANE ? 0xEE : (uint8_t)(lane * 0x55));
    }
    if (d.kind == IR_LOC_SLOT) x64_sse_store(&g->b, 0xF2, 0x11, x, x64i_spill_mem(g, d.slot));
    return true;
  }
  int r = d.kind == IR_LOC_REG ? d.reg : RAX;
  switch (op) {
  case OP_I8X16_EXTRACT_LANE_S: case OP_I8X16_EXTRACT_LANE_U: /* pextrb (zero-extends) */
    x64_op_rm(&g->b, 0x66, 0x0F3A14, false, a.reg, x64_r(r));
    break;
  case OP_I16X8_EXTRACT_LANE_S: case OP_I16X8_EXTRACT_LANE_U: /* pextrw r, xmm (zero-extends) */
    x64_op_rm(&g->b, 0x66, 0x0FC5, false, r, x64_r(a.reg));
    break;
  case OP_I32X4_EXTRACT_LANE: case OP_I64X2_EXTRACT_LANE: /* pextrd / pextrq */
    x64_op_rm(&g->b, 0x66, 0x0F3A16, op == OP_I64X2_EXTRACT_LANE, a.reg, x64_r(r));
    break;
  default: return false;
  }
  x64_byte(&g->b, lane);
  if (op == OP_I8X16_EXTRACT_LANE_S) x64_movsx8(&g->b, false, r, x64_r(r));
  if (op == OP_I16X8_EXTRACT_LANE_S) x64_movsx16(&g->b, false, r, x64_r(r));
  x64i_commit(g, v, r);
  return true;
}

/* The lane-wise binary operations whose SSE form is one `op x, x/m`
 * computing exactly what the sequence in simd.c computes (the same opcode),
 * with their prefix and opcode bytes; 0 when op is not one of them. */
static uint32_t plain_binop(wm_opcode op, uint8_t *prefix) {
  *prefix = 0x66;
  switch (op) {
  case OP_V128_AND: return 0x0FDB;
  case OP_V128_OR: return 0x0FEB;
  case OP_V128_XOR: return 0x0FEF;
  case OP_I8X16_ADD: return 0x0FFC;
  case OP_I8X16_SUB: return 0x0FF8;
  case OP_I16X8_ADD: return 0x0FFD;
  case OP_I16X8_SUB: return 0x0FF9;
  case OP_I16X8_MUL: return 0x0FD5;
  case OP_I32X4_ADD: return 0x0FFE;
  case OP_I32X4_SUB: return 0x0FFA;
  case OP_I32X4_MUL: return 0x0F3840;
  case OP_I64X2_ADD: return 0x0FD4;
  case OP_I64X2_SUB: return 0x0FFB;
  case OP_F64X2_ADD: return 0x0F58;
  case OP_F64X2_SUB: return 0x0F5C;
  case OP_F64X2_MUL: return 0x0F59;
  case OP_F64X2_DIV: return 0x0F5E;
  default: break;
  }
  *prefix = 0;
  switch (op) {
  case OP_F32X4_ADD: return 0x0F58;
  case OP_F32X4_SUB: return 0x0F5C;
  case OP_F32X4_MUL: return 0x0F59;
  case OP_F32X4_DIV: return 0x0F5E;
  default: return 0;
  }
}

/* One of those with the result and first operand in xmm registers (the
 * code the vectorizer's loops are made of): `op d, b` after at most one
 * move, instead of the generic sequence's staging through xmm0/xmm14.
 * False when the locations do not fit (the generic sequence runs). */
static bool binop_in_regs(ir_gen *g, uint32_t v, wm_opcode op) {
  const ir_ins *i = &g->f->ins[v];
  uint8_t prefix;
  uint32_t code = plain_binop(op, &prefix);
  if (!code || i->nargs != 2) return false;
  ir_loc d = ir_loc_of(g, v), a = ir_loc_of(g, i->args[0]), b = ir_loc_of(g, i->args[1]);
  if (d.kind != IR_LOC_REG || a.kind != IR_LOC_REG || (b.kind != IR_LOC_REG && b.kind != IR_LOC_SLOT)) return false;
  x64_rm src = b.kind == IR_LOC_REG ? x64_r(b.reg) : x64_m(x64i_spill_mem(g, b.slot));
  int x = (b.kind == IR_LOC_REG && b.reg == d.reg && a.reg != d.reg) ? XS2 : d.reg; /* d = a op d: through the scratch */
  if (x != a.reg) x64_op_rm(&g->b, 0, 0x0F28, false, x, x64_r(a.reg)); /* movaps */
  x64_op_rm(&g->b, prefix, code, false, x, src);
  if (x != d.reg) x64_op_rm(&g->b, 0, 0x0F28, false, d.reg, x64_r(x));
  return true;
}

/* v128.load into, and v128.store from, an xmm register: one movdqu at
 * isel.c's address (guard pages or its explicit bounds check). */
static bool load_store_in_regs(ir_gen *g, uint32_t v, wm_opcode op) {
  const ir_ins *i = &g->f->ins[v];
  if (op != OP_V128_LOAD && op != OP_V128_STORE) return false;
  ir_loc x = op == OP_V128_LOAD ? ir_loc_of(g, v) : ir_loc_of(g, i->args[1]);
  if (x.kind != IR_LOC_REG) return false;
  x64_mem m = x64i_address(g, ir_loc_of(g, i->args[0]), i->imm, 16);
  movdqu(g, op == OP_V128_STORE, x.reg, m);
  return true;
}

void x64_isel_simd(ir_gen *g, uint32_t v) {
  const ir_ins *i = &g->f->ins[v];
  wm_opcode op = ir_simd_wasm_op(i->op);
  int32_t stage = x64i_out_base(g);
  if (op == OP_V128_CONST) {
    v128_const(g, v, stage);
    return;
  }
  if (!x64_has_simd(op)) { /* the helper reads and writes the outgoing slots */
    x64i_helper_op(g, v, op, i->imm, i->aux);
    return;
  }
  if (binop_in_regs(g, v, op) || load_store_in_regs(g, v, op)) return;
  const wm_opinfo *info = &wm_opinfos[op];
  if (info->imm == IMM_LANE && strstr(info->name, "extract_lane")) {
    if (ir_loc_of(g, v).kind == IR_LOC_NONE) return;
    if (extract_lane_reg(g, v, op)) return;
  }
  bool mem = info->imm == IMM_MEMARG || info->imm == IMM_MEMARG_LANE;
  addr_ctx ac = {g, {0}};
  x64_simd_io io = {.b = &g->b, .bytes = g->in->m->bytes, .address = ir_address, .ctx = &ac};
  for (uint32_t k = 0; k < i->nargs && k < 3; k++) {
    ir_loc a = ir_loc_of(g, i->args[k]);
    x64_mem st = x64_base(RSP, stage + 16 * (int32_t)k);
    if (mem && k == 0) { /* the address: through isel.c's addressing */
      ac.a = a;
      io.in[0] = x64_m(st);
    } else if (a.kind == IR_LOC_SLOT) {
      io.in[k] = x64_m(x64i_spill_mem(g, a.slot));
    } else if (a.type == IR_V128 && !x64_simd_needs_mem(op, (int)k)) {
      io.in[k] = x64_r(a.reg);
    } else if (a.type == IR_V128) {
      x64i_v_load(g, a, XS2);
      movdqu(g, true, XS2, st);
      io.in[k] = x64_m(st);
    } else { /* a scalar in a register or a constant: its bits to the staging slot */
      x64i_load_g(g, a, RAX);
      x64_mov_store(&g->b, true, st, RAX);
      io.in[k] = x64_m(st);
    }
  }
  for (uint32_t k = i->nargs; k < 3; k++) io.in[k] = io.in[0];
  ir_loc d = ir_loc_of(g, v);
  x64_mem st = x64_base(RSP, stage + 48);
  bool direct = i->type == IR_V128 && (d.kind == IR_LOC_SLOT || (d.kind == IR_LOC_REG && !x64_simd_needs_mem(op, -1)));
  if (direct) io.dst = d.kind == IR_LOC_SLOT ? x64_m(x64i_spill_mem(g, d.slot)) : x64_r(d.reg);
  else io.dst = x64_m(st);
  x64_simd_seq(&io, op, i->imm, i->aux);
  if (i->type == IR_VOID || d.kind == IR_LOC_NONE || direct) return;
  if (i->type == IR_V128) {
    movdqu(g, false, XS2, st);
    x64i_v_store(g, d, XS2);
  } else {
    scalar_result(g, v, st);
  }
}
