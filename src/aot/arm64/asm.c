/*
 * asm.c — A64 encodings (see asm.h). Field layouts follow the Arm
 * Architecture Reference Manual's encoding index; every encoder validates
 * its operands first and appends nothing when they do not fit.
 */
#include "aot/arm64/asm.h"

#include <stdlib.h>

/* ---- buffer and operand checks ------------------------------------------------- */

void a64_word(a64_buf *b, uint32_t w) {
  if ((b->cap - b->n < 4 || b->oom) && !aot_buf_reserve(b, 4)) return; /* the call only to grow */
  for (int i = 0; i < 4; i++) b->p[b->n++] = (uint8_t)(w >> (8 * i));
}

/* Appends w; true, so encoders can end with `return emit(...)`. Running out
 * of memory is reported through the buffer's sticky `oom`, not here. */
static bool emit(a64_buf *b, uint32_t w) {
  a64_word(b, w);
  return true;
}

static bool reg_ok(int r) { return r >= 0 && r <= 31; }
static bool regs2(int a, int c) { return reg_ok(a) && reg_ok(c); }
static bool regs3(int a, int c, int d) { return regs2(a, c) && reg_ok(d); }
static uint32_t R(int r) { return (uint32_t)r & 31; }
static uint32_t SF(bool sf) { return sf ? UINT32_C(1) << 31 : 0; }
static unsigned width(bool sf) { return sf ? 64 : 32; }
static bool cond_ok(a64_cond c) { return (unsigned)c <= A64_NV; }

/* ---- integer arithmetic and logic ------------------------------------------------- */

bool a64_addsub_reg(a64_buf *b, a64_addsub op, bool sf, int rd, int rn, int rm, a64_shift sh, unsigned amount) {
  if (!regs3(rd, rn, rm) || (unsigned)op > A64_SUBS || (unsigned)sh > A64_ASR || amount >= width(sf)) return false;
  return emit(b, 0x0B000000u | SF(sf) | (uint32_t)op << 29 | (uint32_t)sh << 22 | R(rm) << 16 | amount << 10 |
                     R(rn) << 5 | R(rd));
}

bool a64_addsub_ext(a64_buf *b, a64_addsub op, bool sf, int rd, int rn, int rm, a64_extend ext, unsigned amount) {
  if (!regs3(rd, rn, rm) || (unsigned)op > A64_SUBS || (unsigned)ext > A64_SXTX || amount > 4) return false;
  return emit(b, 0x0B200000u | SF(sf) | (uint32_t)op << 29 | R(rm) << 16 | (uint32_t)ext << 13 | amount << 10 |
                     R(rn) << 5 | R(rd));
}

bool a64_addsub_imm(a64_buf *b, a64_addsub op, bool sf, int rd, int rn, uint64_t imm) {
  if (!regs2(rd, rn) || (unsigned)op > A64_SUBS) return false;
  uint32_t sh = 0;
  if (imm > 0xFFF) {
    if (imm & 0xFFF || imm > (UINT64_C(0xFFF) << 12)) return false;
    imm >>= 12;
    sh = 1;
  }
  return emit(b, 0x11000000u | SF(sf) | (uint32_t)op << 29 | sh << 22 | (uint32_t)imm << 10 | R(rn) << 5 | R(rd));
}

bool a64_logic_reg(a64_buf *b, a64_logic op, bool sf, int rd, int rn, int rm, a64_shift sh, unsigned amount) {
  if (!regs3(rd, rn, rm) || (unsigned)op > A64_BICS || (unsigned)sh > A64_ROR || amount >= width(sf)) return false;
  uint32_t opc = (uint32_t)op >> 1, n = (uint32_t)op & 1;
  return emit(b, 0x0A000000u | SF(sf) | opc << 29 | (uint32_t)sh << 22 | n << 21 | R(rm) << 16 | amount << 10 |
                     R(rn) << 5 | R(rd));
}

static uint64_t ones(unsigned n) { return n >= 64 ? ~UINT64_C(0) : (UINT64_C(1) << n) - 1; }

static unsigned popcount64(uint64_t v) {
  unsigned n = 0;
  for (; v; v &= v - 1) n++;
  return n;
}

bool a64_bitmask_encode(uint64_t imm, bool sf, uint32_t *field) {
  if (!sf) {
    imm &= 0xFFFFFFFFu;
    imm |= imm << 32; /* a 32-bit pattern is the 64-bit one with its halves equal */
  }
  if (imm == 0 || imm == ~UINT64_C(0)) return false;
  /* the smallest element size the value repeats with */
  unsigned e = 64;
  while (e > 2) {
    unsigned h = e / 2;
    if ((imm & ones(h)) != ((imm >> h) & ones(h))) break;
    e = h;
  }
  uint64_t elem = imm & ones(e);
  unsigned n = popcount64(elem);
  /* the element must be a run of n ones rotated right by immr: rotating it
   * left by immr gives the run at bit 0 */
  for (unsigned r = 0; r < e; r++) {
    uint64_t rot = r ? ((elem << r) | (elem >> (e - r))) & ones(e) : elem;
    if (rot == ones(n)) {
      uint32_t imms = ((uint32_t)~(2 * e - 1) & 0x3F) | (n - 1);
      *field = (e == 64 ? 1u << 12 : 0) | r << 6 | imms;
      return true;
    }
  }
  return false;
}

bool a64_logic_imm(a64_buf *b, a64_logic op, bool sf, int rd, int rn, uint64_t imm) {
  uint32_t field;
  if (!regs2(rd, rn) || (op != A64_AND && op != A64_ORR && op != A64_EOR && op != A64_ANDS)) return false;
  if (!sf && imm > 0xFFFFFFFFu) return false;
  if (!a64_bitmask_encode(imm, sf, &field)) return false;
  return emit(b, 0x12000000u | SF(sf) | ((uint32_t)op >> 1) << 29 | field << 10 | R(rn) << 5 | R(rd));
}

bool a64_mov(a64_buf *b, bool sf, int rd, int rm) { return a64_logic_reg(b, A64_ORR, sf, rd, A64_ZR, rm, A64_LSL, 0); }
bool a64_mov_sp(a64_buf *b, bool sf, int rd, int rn) { return a64_addsub_imm(b, A64_ADD, sf, rd, rn, 0); }
bool a64_cmp(a64_buf *b, bool sf, int rn, int rm) { return a64_addsub_reg(b, A64_SUBS, sf, A64_ZR, rn, rm, A64_LSL, 0); }
bool a64_tst(a64_buf *b, bool sf, int rn, int rm) { return a64_logic_reg(b, A64_ANDS, sf, A64_ZR, rn, rm, A64_LSL, 0); }

bool a64_cmp_imm(a64_buf *b, bool sf, int rn, int64_t imm) {
  if (imm < 0) return a64_addsub_imm(b, A64_ADDS, sf, A64_ZR, rn, (uint64_t)0 - (uint64_t)imm);
  return a64_addsub_imm(b, A64_SUBS, sf, A64_ZR, rn, (uint64_t)imm);
}

bool a64_movw(a64_buf *b, a64_movw_op op, bool sf, int rd, uint16_t imm, unsigned shift) {
  if (!reg_ok(rd) || (op != A64_MOVN && op != A64_MOVZ && op != A64_MOVK) || shift % 16 || shift >= width(sf))
    return false;
  return emit(b, 0x12800000u | SF(sf) | (uint32_t)op << 29 | (shift / 16) << 21 | (uint32_t)imm << 5 | R(rd));
}

bool a64_mov_imm(a64_buf *b, bool sf, int rd, uint64_t imm) {
  if (!reg_ok(rd) || rd == A64_ZR) return false; /* 31 would be SP for ORR but ZR for MOVZ */
  if (!sf && imm > 0xFFFFFFFFu) return false;
  unsigned nh = sf ? 4 : 2, zeros = 0, all = 0;
  for (unsigned i = 0; i < nh; i++) {
    uint16_t h = (uint16_t)(imm >> (16 * i));
    zeros += h == 0;
    all += h == 0xFFFF;
  }
  uint32_t field;
  if (zeros < nh - 1 && all < nh - 1 && a64_bitmask_encode(imm, sf, &field))
    return a64_logic_imm(b, A64_ORR, sf, rd, A64_ZR, imm);
  /* start from all ones (MOVN) when more halfwords are 0xFFFF than 0 */
  bool inv = all > zeros;
  uint16_t fill = inv ? 0xFFFF : 0;
  bool first = true;
  for (unsigned i = 0; i < nh; i++) {
    uint16_t h = (uint16_t)(imm >> (16 * i));
    if (h == fill) continue;
    if (first) a64_movw(b, inv ? A64_MOVN : A64_MOVZ, sf, rd, inv ? (uint16_t)~h : h, 16 * i);
    else a64_movw(b, A64_MOVK, sf, rd, h, 16 * i);
    first = false;
  }
  if (first) a64_movw(b, inv ? A64_MOVN : A64_MOVZ, sf, rd, 0, 0); /* every halfword equals the fill */
  return true;
}

static bool dp3(a64_buf *b, uint32_t base, bool sf, int rd, int rn, int rm, int ra) {
  if (!regs3(rd, rn, rm) || !reg_ok(ra)) return false;
  return emit(b, base | SF(sf) | R(rm) << 16 | R(ra) << 10 | R(rn) << 5 | R(rd));
}
bool a64_madd(a64_buf *b, bool sf, int rd, int rn, int rm, int ra) { return dp3(b, 0x1B000000u, sf, rd, rn, rm, ra); }
bool a64_msub(a64_buf *b, bool sf, int rd, int rn, int rm, int ra) { return dp3(b, 0x1B008000u, sf, rd, rn, rm, ra); }
bool a64_umulh(a64_buf *b, int rd, int rn, int rm) { return dp3(b, 0x1BC00000u, true, rd, rn, rm, A64_ZR); }
bool a64_smulh(a64_buf *b, int rd, int rn, int rm) { return dp3(b, 0x1B400000u, true, rd, rn, rm, A64_ZR); }

bool a64_dp2(a64_buf *b, a64_dp2_op op, bool sf, int rd, int rn, int rm) {
  if (!regs3(rd, rn, rm) || (op != A64_UDIV && op != A64_SDIV && (op < A64_LSLV || op > A64_RORV))) return false;
  return emit(b, 0x1AC00000u | SF(sf) | R(rm) << 16 | (uint32_t)op << 10 | R(rn) << 5 | R(rd));
}

bool a64_dp1(a64_buf *b, a64_dp1_op op, bool sf, int rd, int rn) {
  if (!regs2(rd, rn) || (op != A64_RBIT && op != A64_REV16 && op != A64_REV && op != A64_CLZ && op != A64_CLS))
    return false;
  uint32_t opc = op == A64_REV && !sf ? 2 : (uint32_t)op; /* REV of a W register is opcode 2 (X: REV32) */
  return emit(b, 0x5AC00000u | SF(sf) | opc << 10 | R(rn) << 5 | R(rd));
}

static bool bitfield(a64_buf *b, uint32_t base, bool sf, int rd, int rn, unsigned immr, unsigned imms) {
  if (!regs2(rd, rn) || immr >= width(sf) || imms >= width(sf)) return false;
  return emit(b, base | SF(sf) | (sf ? 1u << 22 : 0) | immr << 16 | imms << 10 | R(rn) << 5 | R(rd));
}
bool a64_sbfm(a64_buf *b, bool sf, int rd, int rn, unsigned immr, unsigned imms) {
  return bitfield(b, 0x13000000u, sf, rd, rn, immr, imms);
}
bool a64_ubfm(a64_buf *b, bool sf, int rd, int rn, unsigned immr, unsigned imms) {
  return bitfield(b, 0x53000000u, sf, rd, rn, immr, imms);
}

bool a64_extr(a64_buf *b, bool sf, int rd, int rn, int rm, unsigned lsb) {
  if (!regs3(rd, rn, rm) || lsb >= width(sf)) return false;
  return emit(b, 0x13800000u | SF(sf) | (sf ? 1u << 22 : 0) | R(rm) << 16 | lsb << 10 | R(rn) << 5 | R(rd));
}

bool a64_shift_imm(a64_buf *b, a64_shift sh, bool sf, int rd, int rn, unsigned n) {
  unsigned w = width(sf);
  if (n >= w) return false;
  switch (sh) {
  case A64_LSL: return a64_ubfm(b, sf, rd, rn, (w - n) % w, w - 1 - n);
  case A64_LSR: return a64_ubfm(b, sf, rd, rn, n, w - 1);
  case A64_ASR: return a64_sbfm(b, sf, rd, rn, n, w - 1);
  case A64_ROR: return a64_extr(b, sf, rd, rn, rn, n);
  }
  return false;
}

bool a64_sxt(a64_buf *b, bool sf, int rd, int rn, unsigned bits) {
  if (bits != 8 && bits != 16 && !(bits == 32 && sf)) return false;
  return a64_sbfm(b, sf, rd, rn, 0, bits - 1);
}

bool a64_uxt(a64_buf *b, int rd, int rn, unsigned bits) {
  if (bits != 8 && bits != 16) return false;
  return a64_ubfm(b, false, rd, rn, 0, bits - 1);
}

/* ---- compares and conditional select ------------------------------------------------ */

bool a64_csel(a64_buf *b, a64_csel_op op, bool sf, int rd, int rn, int rm, a64_cond cond) {
  if (!regs3(rd, rn, rm) || (unsigned)op > A64_CSNEG || !cond_ok(cond) || cond >= A64_AL) return false;
  return emit(b, 0x1A800000u | SF(sf) | ((uint32_t)op >> 1) << 30 | R(rm) << 16 | (uint32_t)cond << 12 |
                     ((uint32_t)op & 1) << 10 | R(rn) << 5 | R(rd));
}

bool a64_cset(a64_buf *b, bool sf, int rd, a64_cond cond) {
  if (!cond_ok(cond) || cond >= A64_AL) return false;
  return a64_csel(b, A64_CSINC, sf, rd, A64_ZR, A64_ZR, (a64_cond)(cond ^ 1));
}

static bool ccmp(a64_buf *b, bool sf, bool cmn, int rn, uint32_t rm_or_imm, bool imm, unsigned nzcv, a64_cond cond) {
  if (!reg_ok(rn) || rm_or_imm > 31 || nzcv > 15 || !cond_ok(cond)) return false;
  return emit(b, 0x3A400000u | SF(sf) | (cmn ? 0 : 1u << 30) | rm_or_imm << 16 | (uint32_t)cond << 12 |
                     (imm ? 1u << 11 : 0) | R(rn) << 5 | nzcv);
}
bool a64_ccmp(a64_buf *b, bool sf, bool cmn, int rn, int rm, unsigned nzcv, a64_cond cond) {
  return reg_ok(rm) && ccmp(b, sf, cmn, rn, (uint32_t)rm, false, nzcv, cond);
}
bool a64_ccmp_imm(a64_buf *b, bool sf, bool cmn, int rn, unsigned imm5, unsigned nzcv, a64_cond cond) {
  return ccmp(b, sf, cmn, rn, imm5, true, nzcv, cond);
}

/* ---- loads and stores ---------------------------------------------------------------- */

/* size (bits 30-31), V (SIMD&FP register, bit 26), opc (bits 22-23) and
 * log2 of the bytes moved, per a64_ldst. */
static const struct {
  uint8_t size, v, opc, scale;
} ldst_kinds[] = {
    [A64_STRB] = {0, 0, 0, 0},  [A64_LDRB] = {0, 0, 1, 0},  [A64_LDRSB_X] = {0, 0, 2, 0},
    [A64_LDRSB_W] = {0, 0, 3, 0}, [A64_STRH] = {1, 0, 0, 1},  [A64_LDRH] = {1, 0, 1, 1},
    [A64_LDRSH_X] = {1, 0, 2, 1}, [A64_LDRSH_W] = {1, 0, 3, 1}, [A64_STR_W] = {2, 0, 0, 2},
    [A64_LDR_W] = {2, 0, 1, 2}, [A64_LDRSW] = {2, 0, 2, 2}, [A64_STR_X] = {3, 0, 0, 3},
    [A64_LDR_X] = {3, 0, 1, 3}, [A64_STR_B] = {0, 1, 0, 0}, [A64_LDR_B] = {0, 1, 1, 0},
    [A64_STR_H] = {1, 1, 0, 1}, [A64_LDR_H] = {1, 1, 1, 1}, [A64_STR_S] = {2, 1, 0, 2},
    [A64_LDR_S] = {2, 1, 1, 2}, [A64_STR_D] = {3, 1, 0, 3}, [A64_LDR_D] = {3, 1, 1, 3},
    [A64_STR_Q] = {0, 1, 2, 4}, [A64_LDR_Q] = {0, 1, 3, 4},
};

static bool kind_ok(a64_ldst_kind k) { return (unsigned)k <= A64_LDR_Q; }

unsigned a64_ldst_size(a64_ldst_kind k) { return kind_ok(k) ? 1u << ldst_kinds[k].scale : 0; }

static uint32_t ldst_bits(a64_ldst_kind k) {
  return (uint32_t)ldst_kinds[k].size << 30 | (uint32_t)ldst_kinds[k].v << 26 | (uint32_t)ldst_kinds[k].opc << 22;
}

/* The 9-bit signed immediate forms: unscaled (mode 0), post (1), pre (3). */
static bool ldst_imm9(a64_buf *b, a64_ldst_kind k, int rt, int rn, int64_t off, uint32_t mode) {
  if (!kind_ok(k) || !regs2(rt, rn) || off < -256 || off > 255) return false;
  return emit(b, 0x38000000u | ldst_bits(k) | ((uint32_t)off & 0x1FF) << 12 | mode << 10 | R(rn) << 5 | R(rt));
}

bool a64_ldst(a64_buf *b, a64_ldst_kind k, int rt, int rn, int64_t off) {
  if (!kind_ok(k) || !regs2(rt, rn)) return false;
  unsigned s = ldst_kinds[k].scale;
  if (off >= 0 && (off & ((1 << s) - 1)) == 0 && (off >> s) <= 0xFFF)
    return emit(b, 0x39000000u | ldst_bits(k) | (uint32_t)(off >> s) << 10 | R(rn) << 5 | R(rt));
  return ldst_imm9(b, k, rt, rn, off, 0);
}

bool a64_ldst_reg(a64_buf *b, a64_ldst_kind k, int rt, int rn, int rm, a64_extend ext, bool shift) {
  if (!kind_ok(k) || !regs3(rt, rn, rm)) return false;
  if (ext != A64_UXTW && ext != A64_UXTX && ext != A64_SXTW && ext != A64_SXTX) return false;
  return emit(b, 0x38200800u | ldst_bits(k) | R(rm) << 16 | (uint32_t)ext << 13 | (shift ? 1u << 12 : 0) |
                     R(rn) << 5 | R(rt));
}

bool a64_ldst_pre(a64_buf *b, a64_ldst_kind k, int rt, int rn, int64_t off) { return ldst_imm9(b, k, rt, rn, off, 3); }
bool a64_ldst_post(a64_buf *b, a64_ldst_kind k, int rt, int rn, int64_t off) { return ldst_imm9(b, k, rt, rn, off, 1); }

static bool pair(a64_buf *b, bool load, a64_pair k, a64_index mode, int rt, int rt2, int rn, int64_t off) {
  /* opc, V and log2 of the register size, per a64_pair */
  static const uint8_t opc[] = {0, 2, 0, 1, 2}, v[] = {0, 0, 1, 1, 1}, scale[] = {2, 3, 2, 3, 4};
  static const uint32_t modes[] = {[A64_OFFSET] = 2, [A64_PRE] = 3, [A64_POST] = 1};
  if ((unsigned)k > A64_PAIR_Q || (unsigned)mode > A64_POST || !regs3(rt, rt2, rn)) return false;
  int64_t unit = (int64_t)1 << scale[k];
  if (off % unit || off / unit < -64 || off / unit > 63) return false;
  return emit(b, (uint32_t)opc[k] << 30 | 0x28000000u | (uint32_t)v[k] << 26 | modes[mode] << 23 |
                     (load ? 1u << 22 : 0) | ((uint32_t)(off / unit) & 0x7F) << 15 | R(rt2) << 10 | R(rn) << 5 |
                     R(rt));
}
bool a64_ldp(a64_buf *b, a64_pair k, a64_index mode, int rt, int rt2, int rn, int64_t off) {
  return pair(b, true, k, mode, rt, rt2, rn, off);
}
bool a64_stp(a64_buf *b, a64_pair k, a64_index mode, int rt, int rt2, int rn, int64_t off) {
  return pair(b, false, k, mode, rt, rt2, rn, off);
}

/* ---- branches and addresses ------------------------------------------------------------ */

/* Sets the PC-relative field of instruction w (whose field is clear) for a
 * displacement `delta` bytes from it (`pages` for ADRP: 4 KiB pages).
 * False when w is no PC-relative instruction or delta does not fit. */
static bool set_pcrel(uint32_t *w, int64_t delta, int64_t pages) {
  uint32_t x = *w;
  int64_t v;
  unsigned bits, pos;
  if ((x & 0x9F000000u) == 0x90000000u || (x & 0x9F000000u) == 0x10000000u) { /* ADRP, ADR */
    v = (x & 0x80000000u) ? pages : delta;
    if (v < -(INT64_C(1) << 20) || v >= (INT64_C(1) << 20)) return false;
    *w = x | ((uint32_t)v & 3) << 29 | (((uint32_t)v >> 2) & 0x7FFFF) << 5;
    return true;
  }
  if ((x & 0x7C000000u) == 0x14000000u) bits = 26, pos = 0;                                        /* B, BL */
  else if ((x & 0xFF000010u) == 0x54000000u || (x & 0x7E000000u) == 0x34000000u) bits = 19, pos = 5; /* B.cond, CBZ */
  else if ((x & 0x3B000000u) == 0x18000000u) bits = 19, pos = 5;                                   /* LDR literal */
  else if ((x & 0x7E000000u) == 0x36000000u) bits = 14, pos = 5;                                   /* TBZ, TBNZ */
  else return false;
  if (delta & 3) return false;
  v = delta / 4;
  if (v < -(INT64_C(1) << (bits - 1)) || v >= (INT64_C(1) << (bits - 1))) return false;
  *w = x | ((uint32_t)v & (uint32_t)ones(bits)) << pos;
  return true;
}

/* The field bits set_pcrel writes, for clearing before a re-patch. */
static uint32_t pcrel_mask(uint32_t x) {
  if ((x & 0x1F000000u) == 0x10000000u) return 0x60FFFFE0u;
  if ((x & 0x7C000000u) == 0x14000000u) return 0x03FFFFFFu;
  if ((x & 0x7E000000u) == 0x36000000u) return 0x0007FFE0u;
  return 0x00FFFFE0u;
}

static bool emit_pcrel(a64_buf *b, uint32_t w, size_t target) {
  int64_t delta = (int64_t)target - (int64_t)b->n;
  int64_t pages = (int64_t)(target >> 12) - (int64_t)(b->n >> 12);
  return set_pcrel(&w, delta, pages) && emit(b, w);
}

bool a64_b(a64_buf *b, size_t target) { return emit_pcrel(b, 0x14000000u, target); }
bool a64_bl(a64_buf *b, size_t target) { return emit_pcrel(b, 0x94000000u, target); }
bool a64_bcond(a64_buf *b, a64_cond cond, size_t target) {
  return cond_ok(cond) && emit_pcrel(b, 0x54000000u | (uint32_t)cond, target);
}
bool a64_cbz(a64_buf *b, bool nonzero, bool sf, int rt, size_t target) {
  return reg_ok(rt) && emit_pcrel(b, 0x34000000u | SF(sf) | (nonzero ? 1u << 24 : 0) | R(rt), target);
}
bool a64_tbz(a64_buf *b, bool nonzero, int rt, unsigned bit, size_t target) {
  if (!reg_ok(rt) || bit > 63) return false;
  return emit_pcrel(b, 0x36000000u | (bit >> 5) << 31 | (nonzero ? 1u << 24 : 0) | (bit & 31) << 19 | R(rt), target);
}
bool a64_adr(a64_buf *b, int rd, size_t target) { return reg_ok(rd) && emit_pcrel(b, 0x10000000u | R(rd), target); }
bool a64_adrp(a64_buf *b, int rd, size_t target) { return reg_ok(rd) && emit_pcrel(b, 0x90000000u | R(rd), target); }

bool a64_ldr_lit(a64_buf *b, a64_ldst_kind k, int rt, size_t target) {
  uint32_t opc_v;
  switch (k) {
  case A64_LDR_W: opc_v = 0; break;
  case A64_LDR_X: opc_v = 1u << 30; break;
  case A64_LDR_S: opc_v = 1u << 26; break;
  case A64_LDR_D: opc_v = 1u << 30 | 1u << 26; break;
  case A64_LDR_Q: opc_v = 2u << 30 | 1u << 26; break;
  default: return false;
  }
  return reg_ok(rt) && emit_pcrel(b, 0x18000000u | opc_v | R(rt), target);
}

bool a64_patch(a64_buf *b, size_t at, size_t target) {
  if (b->oom || at % 4 || at + 4 > b->n) return false;
  uint32_t w = 0;
  for (int i = 0; i < 4; i++) w |= (uint32_t)b->p[at + (size_t)i] << (8 * i);
  uint32_t clear = w & ~pcrel_mask(w);
  int64_t pages = (int64_t)(target >> 12) - (int64_t)(at >> 12);
  if (!set_pcrel(&clear, (int64_t)target - (int64_t)at, pages)) return false;
  for (int i = 0; i < 4; i++) b->p[at + (size_t)i] = (uint8_t)(clear >> (8 * i));
  return true;
}

/* Long form when the short one does not reach: the condition inverted
 * over the next word, which becomes B target (±128 MiB). */
bool a64_patch_cond(a64_buf *b, size_t at, size_t target) {
  if (b->oom || at % 4 || at + 8 > b->n) return false;
  uint32_t w = 0, next = 0;
  for (int i = 0; i < 4; i++) {
    w |= (uint32_t)b->p[at + (size_t)i] << (8 * i);
    next |= (uint32_t)b->p[at + 4 + (size_t)i] << (8 * i);
  }
  bool bcond = (w & 0xFF000010u) == 0x54000000u && (w & 0xEu) != 0xEu; /* not AL/NV: no inverse */
  bool cb = (w & 0x7E000000u) == 0x34000000u || (w & 0x7E000000u) == 0x36000000u; /* CBZ/CBNZ, TBZ/TBNZ */
  if (next != 0xD503201Fu || (!bcond && !cb)) return false;
  if (a64_patch(b, at, target)) return true;
  int64_t delta = (int64_t)target - (int64_t)(at + 4);
  if (delta < -(INT64_C(1) << 27) || delta >= (INT64_C(1) << 27)) return false;
  uint32_t inv = (w & ~pcrel_mask(w)) ^ (bcond ? 1u : 1u << 24); /* cond ^ 1; CBZ <-> CBNZ, TBZ <-> TBNZ */
  for (int i = 0; i < 4; i++) {
    b->p[at + (size_t)i] = (uint8_t)(inv >> (8 * i));
    b->p[at + 4 + (size_t)i] = (uint8_t)(0x14000000u >> (8 * i));
  }
  return a64_patch(b, at, at + 8) && a64_patch(b, at + 4, target);
}

bool a64_br(a64_buf *b, int rn) { return reg_ok(rn) && emit(b, 0xD61F0000u | R(rn) << 5); }
bool a64_blr(a64_buf *b, int rn) { return reg_ok(rn) && emit(b, 0xD63F0000u | R(rn) << 5); }
bool a64_ret(a64_buf *b, int rn) { return reg_ok(rn) && emit(b, 0xD65F0000u | R(rn) << 5); }
bool a64_brk(a64_buf *b, unsigned imm16) { return imm16 <= 0xFFFF && emit(b, 0xD4200000u | imm16 << 5); }
bool a64_udf(a64_buf *b, unsigned imm16) { return imm16 <= 0xFFFF && emit(b, imm16); }
bool a64_nop(a64_buf *b) { return emit(b, 0xD503201Fu); }

/* ---- scalar floating point ------------------------------------------------------------------ */

static uint32_t FT(bool dbl) { return dbl ? 1u << 22 : 0; }

bool a64_fp2(a64_buf *b, a64_fp2_op op, bool dbl, int rd, int rn, int rm) {
  if (!regs3(rd, rn, rm) || (unsigned)op > A64_FMINNM) return false;
  return emit(b, 0x1E200800u | FT(dbl) | R(rm) << 16 | (uint32_t)op << 12 | R(rn) << 5 | R(rd));
}

bool a64_fp1(a64_buf *b, a64_fp1_op op, bool dbl, int rd, int rn) {
  if (!regs2(rd, rn) || (unsigned)op > A64_FRINTI || (op > A64_FSQRT && op < A64_FRINTN) || op == 13) return false;
  return emit(b, 0x1E204000u | FT(dbl) | (uint32_t)op << 15 | R(rn) << 5 | R(rd));
}

bool a64_fcvt(a64_buf *b, bool to_dbl, int rd, int rn) {
  if (!regs2(rd, rn)) return false;
  /* the source's type field; opcode 4 converts to single, 5 to double */
  return emit(b, 0x1E204000u | FT(!to_dbl) | (to_dbl ? 5u : 4u) << 15 | R(rn) << 5 | R(rd));
}

bool a64_fcmp(a64_buf *b, bool dbl, int rn, int rm, bool zero, bool signaling) {
  if (zero) rm = 0;
  if (!regs2(rn, rm)) return false;
  return emit(b, 0x1E202000u | FT(dbl) | R(rm) << 16 | R(rn) << 5 | (zero ? 8u : 0) | (signaling ? 0x10u : 0));
}

bool a64_fcsel(a64_buf *b, bool dbl, int rd, int rn, int rm, a64_cond cond) {
  if (!regs3(rd, rn, rm) || !cond_ok(cond)) return false;
  return emit(b, 0x1E200C00u | FT(dbl) | R(rm) << 16 | (uint32_t)cond << 12 | R(rn) << 5 | R(rd));
}

/* Conversions between the register files: rmode (bits 19-20), opcode (16-18). */
static bool fp_int(a64_buf *b, uint32_t rmode, uint32_t opcode, bool sf, bool dbl, int rd, int rn) {
  if (!regs2(rd, rn)) return false;
  return emit(b, 0x1E200000u | SF(sf) | FT(dbl) | rmode << 19 | opcode << 16 | R(rn) << 5 | R(rd));
}
bool a64_fcvtz(a64_buf *b, bool is_unsigned, bool sf, bool dbl, int rd, int rn) {
  return fp_int(b, 3, is_unsigned ? 1 : 0, sf, dbl, rd, rn);
}
bool a64_cvtf(a64_buf *b, bool is_unsigned, bool sf, bool dbl, int rd, int rn) {
  return fp_int(b, 0, is_unsigned ? 3 : 2, sf, dbl, rd, rn);
}
bool a64_fmov_to_gpr(a64_buf *b, bool dbl, int rd, int rn) { return fp_int(b, 0, 6, dbl, dbl, rd, rn); }
bool a64_fmov_from_gpr(a64_buf *b, bool dbl, int rd, int rn) { return fp_int(b, 0, 7, dbl, dbl, rd, rn); }

/* ---- Advanced SIMD --------------------------------------------------------------------------- */

static bool arr_ok(a64_arr a) { return (unsigned)a <= A64_2D; }
static uint32_t Q(a64_arr a) { return ((uint32_t)a & 1) << 30; }
static unsigned lsize(a64_arr a) { return (unsigned)a >> 1; } /* log2 of the lane bytes */

/* How an op's arrangement is encoded: integer lanes (size field from the
 * arrangement, `sizes` a mask of the lane sizes allowed), bytes only with
 * the size field part of the op (bitwise ops), floats (sz bit from 2S/4S/
 * 2D), or the double<->single conversions (2S or 4S, size fixed at 01). */
enum { C_INT, C_BYTES, C_FLOAT, C_FCVT };
#define BHSD 0xF
#define BHS 0x7
#define HS 0x6
#define B_ 0x1

typedef struct vop {
  uint32_t bits;  /* U (bit 29), fixed size bits, opcode */
  uint8_t cls, sizes;
} vop;

/* Arrangement bits (Q and size) of op for arr, or false when arr does not apply. */
static bool vop_arr(const vop *o, a64_arr arr, uint32_t *out) {
  if (!arr_ok(arr)) return false;
  unsigned s = lsize(arr);
  switch (o->cls) {
  case C_INT:
    if (arr == A64_1D || !(o->sizes & (1u << s))) return false;
    *out = Q(arr) | (uint32_t)s << 22;
    return true;
  case C_BYTES:
    if (s != 0) return false;
    *out = Q(arr);
    return true;
  case C_FLOAT:
    if (arr != A64_2S && arr != A64_4S && arr != A64_2D) return false;
    *out = Q(arr) | (arr == A64_2D ? 1u << 22 : 0);
    return true;
  case C_FCVT:
    if (arr != A64_2S && arr != A64_4S) return false;
    *out = Q(arr) | 1u << 22;
    return true;
  }
  return false;
}

#define U_ (1u << 29)
#define A_ (1u << 23)      /* the high size bit of float ops */
#define OP3(x) ((uint32_t)(x) << 11)
#define OP2(x) ((uint32_t)(x) << 12)

static const vop v3_ops[A64_V3_COUNT_] = {
    [A64_V_ADD] = {OP3(0x10), C_INT, BHSD},          [A64_V_SUB] = {U_ | OP3(0x10), C_INT, BHSD},
    [A64_V_MUL] = {OP3(0x13), C_INT, BHS},           [A64_V_CMEQ] = {U_ | OP3(0x11), C_INT, BHSD},
    [A64_V_CMGT] = {OP3(0x06), C_INT, BHSD},         [A64_V_CMGE] = {OP3(0x07), C_INT, BHSD},
    [A64_V_CMHI] = {U_ | OP3(0x06), C_INT, BHSD},    [A64_V_CMHS] = {U_ | OP3(0x07), C_INT, BHSD},
    [A64_V_CMTST] = {OP3(0x11), C_INT, BHSD},        [A64_V_SSHL] = {OP3(0x08), C_INT, BHSD},
    [A64_V_USHL] = {U_ | OP3(0x08), C_INT, BHSD},    [A64_V_SMAX] = {OP3(0x0C), C_INT, BHS},
    [A64_V_SMIN] = {OP3(0x0D), C_INT, BHS},          [A64_V_UMAX] = {U_ | OP3(0x0C), C_INT, BHS},
    [A64_V_UMIN] = {U_ | OP3(0x0D), C_INT, BHS},     [A64_V_SQADD] = {OP3(0x01), C_INT, BHSD},
    [A64_V_UQADD] = {U_ | OP3(0x01), C_INT, BHSD},   [A64_V_SQSUB] = {OP3(0x05), C_INT, BHSD},
    [A64_V_UQSUB] = {U_ | OP3(0x05), C_INT, BHSD},   [A64_V_URHADD] = {U_ | OP3(0x02), C_INT, BHS},
    [A64_V_SQRDMULH] = {U_ | OP3(0x16), C_INT, HS},  [A64_V_ADDP] = {OP3(0x17), C_INT, BHSD},
    [A64_V_AND] = {OP3(0x03), C_BYTES, B_},          [A64_V_BIC] = {1u << 22 | OP3(0x03), C_BYTES, B_},
    [A64_V_ORR] = {2u << 22 | OP3(0x03), C_BYTES, B_}, [A64_V_ORN] = {3u << 22 | OP3(0x03), C_BYTES, B_},
    [A64_V_EOR] = {U_ | OP3(0x03), C_BYTES, B_},     [A64_V_BSL] = {U_ | 1u << 22 | OP3(0x03), C_BYTES, B_},
    [A64_V_BIT] = {U_ | 2u << 22 | OP3(0x03), C_BYTES, B_}, [A64_V_BIF] = {U_ | 3u << 22 | OP3(0x03), C_BYTES, B_},
    [A64_V_FADD] = {OP3(0x1A), C_FLOAT, 0},          [A64_V_FSUB] = {A_ | OP3(0x1A), C_FLOAT, 0},
    [A64_V_FMUL] = {U_ | OP3(0x1B), C_FLOAT, 0},     [A64_V_FDIV] = {U_ | OP3(0x1F), C_FLOAT, 0},
    [A64_V_FMAX] = {OP3(0x1E), C_FLOAT, 0},          [A64_V_FMIN] = {A_ | OP3(0x1E), C_FLOAT, 0},
    [A64_V_FMAXNM] = {OP3(0x18), C_FLOAT, 0},        [A64_V_FMINNM] = {A_ | OP3(0x18), C_FLOAT, 0},
    [A64_V_FCMEQ] = {OP3(0x1C), C_FLOAT, 0},         [A64_V_FCMGE] = {U_ | OP3(0x1C), C_FLOAT, 0},
    [A64_V_FCMGT] = {U_ | A_ | OP3(0x1C), C_FLOAT, 0},
};

static const vop v2_ops[A64_V2_COUNT_] = {
    [A64_V_CNT] = {OP2(0x05), C_INT, B_},            [A64_V_NOT] = {U_ | OP2(0x05), C_INT, B_},
    [A64_V_ABS] = {OP2(0x0B), C_INT, BHSD},          [A64_V_NEG] = {U_ | OP2(0x0B), C_INT, BHSD},
    [A64_V_CMEQ0] = {OP2(0x09), C_INT, BHSD},        [A64_V_CMGT0] = {OP2(0x08), C_INT, BHSD},
    [A64_V_CMGE0] = {U_ | OP2(0x08), C_INT, BHSD},   [A64_V_CMLT0] = {OP2(0x0A), C_INT, BHSD},
    [A64_V_CMLE0] = {U_ | OP2(0x09), C_INT, BHSD},   [A64_V_XTN] = {OP2(0x12), C_INT, BHS},
    [A64_V_SQXTN] = {OP2(0x14), C_INT, BHS},         [A64_V_UQXTN] = {U_ | OP2(0x14), C_INT, BHS},
    [A64_V_SQXTUN] = {U_ | OP2(0x12), C_INT, BHS},   [A64_V_SADDLP] = {OP2(0x02), C_INT, BHS},
    [A64_V_UADDLP] = {U_ | OP2(0x02), C_INT, BHS},   [A64_V_FABS] = {A_ | OP2(0x0F), C_FLOAT, 0},
    [A64_V_FNEG] = {U_ | A_ | OP2(0x0F), C_FLOAT, 0}, [A64_V_FSQRT] = {U_ | A_ | OP2(0x1F), C_FLOAT, 0},
    [A64_V_FRINTN] = {OP2(0x18), C_FLOAT, 0},        [A64_V_FRINTM] = {OP2(0x19), C_FLOAT, 0},
    [A64_V_FRINTP] = {A_ | OP2(0x18), C_FLOAT, 0},   [A64_V_FRINTZ] = {A_ | OP2(0x19), C_FLOAT, 0},
    [A64_V_FCVTZS] = {A_ | OP2(0x1B), C_FLOAT, 0},   [A64_V_FCVTZU] = {U_ | A_ | OP2(0x1B), C_FLOAT, 0},
    [A64_V_SCVTF] = {OP2(0x1D), C_FLOAT, 0},         [A64_V_UCVTF] = {U_ | OP2(0x1D), C_FLOAT, 0},
    [A64_V_FCVTN] = {OP2(0x16), C_FCVT, 0},          [A64_V_FCVTL] = {OP2(0x17), C_FCVT, 0},
};

bool a64_v3(a64_buf *b, a64_v3_op op, a64_arr arr, int vd, int vn, int vm) {
  uint32_t a;
  if ((unsigned)op >= A64_V3_COUNT_ || !regs3(vd, vn, vm) || !vop_arr(&v3_ops[op], arr, &a)) return false;
  return emit(b, 0x0E200400u | v3_ops[op].bits | a | R(vm) << 16 | R(vn) << 5 | R(vd));
}

bool a64_v2(a64_buf *b, a64_v2_op op, a64_arr arr, int vd, int vn) {
  uint32_t a;
  if ((unsigned)op >= A64_V2_COUNT_ || !regs2(vd, vn) || !vop_arr(&v2_ops[op], arr, &a)) return false;
  return emit(b, 0x0E200800u | v2_ops[op].bits | a | R(vn) << 5 | R(vd));
}

bool a64_vmull(a64_buf *b, bool is_unsigned, a64_arr src, int vd, int vn, int vm) {
  if (!arr_ok(src) || lsize(src) > 2 || !regs3(vd, vn, vm)) return false;
  return emit(b, 0x0E20C000u | Q(src) | (is_unsigned ? U_ : 0) | (uint32_t)lsize(src) << 22 | R(vm) << 16 |
                     R(vn) << 5 | R(vd));
}

/* The immh:immb field for a shift by an immediate: lane bits + n for left
 * shifts, 2 * lane bits - n for right shifts. */
static bool shift_imm(a64_buf *b, uint32_t bits, a64_arr arr, int vd, int vn, unsigned field) {
  if (!regs2(vd, vn)) return false;
  return emit(b, 0x0F000400u | bits | Q(arr) | field << 16 | R(vn) << 5 | R(vd));
}

bool a64_vshift(a64_buf *b, a64_vshift_op op, a64_arr arr, int vd, int vn, unsigned n) {
  if (!arr_ok(arr) || arr == A64_1D) return false;
  unsigned esize = 8u << lsize(arr);
  switch (op) {
  case A64_V_SHL: return n < esize && shift_imm(b, OP3(0x0A), arr, vd, vn, esize + n);
  case A64_V_SSHR: return n >= 1 && n <= esize && shift_imm(b, OP3(0x00), arr, vd, vn, 2 * esize - n);
  case A64_V_USHR: return n >= 1 && n <= esize && shift_imm(b, U_ | OP3(0x00), arr, vd, vn, 2 * esize - n);
  }
  return false;
}

bool a64_vxtl(a64_buf *b, bool is_unsigned, a64_arr src, int vd, int vn) {
  if (!arr_ok(src) || lsize(src) > 2) return false;
  return shift_imm(b, (is_unsigned ? U_ : 0) | OP3(0x14), src, vd, vn, 8u << lsize(src)); /* SSHLL/USHLL #0 */
}

bool a64_vacross(a64_buf *b, a64_vacross_op op, a64_arr arr, int vd, int vn) {
  static const uint32_t bits[] = {[A64_V_ADDV] = OP2(0x1B), [A64_V_SMAXV] = OP2(0x0A), [A64_V_SMINV] = OP2(0x1A),
                                  [A64_V_UMAXV] = U_ | OP2(0x0A), [A64_V_UMINV] = U_ | OP2(0x1A)};
  if ((unsigned)op > A64_V_UMINV || !arr_ok(arr) || lsize(arr) > 2 || arr == A64_2S || !regs2(vd, vn)) return false;
  return emit(b, 0x0E300800u | bits[op] | Q(arr) | (uint32_t)lsize(arr) << 22 | R(vn) << 5 | R(vd));
}

bool a64_vperm(a64_buf *b, a64_vperm_op op, a64_arr arr, int vd, int vn, int vm) {
  if ((op & 3) == 0 || (unsigned)op > A64_V_ZIP2 || !arr_ok(arr) || arr == A64_1D || !regs3(vd, vn, vm)) return false;
  return emit(b, 0x0E000800u | Q(arr) | (uint32_t)lsize(arr) << 22 | R(vm) << 16 | (uint32_t)op << 12 | R(vn) << 5 |
                     R(vd));
}

bool a64_tbl(a64_buf *b, a64_arr arr, int vd, int vn, unsigned nregs, int vm) {
  if ((arr != A64_8B && arr != A64_16B) || nregs < 1 || nregs > 4 || !regs3(vd, vn, vm)) return false;
  return emit(b, 0x0E000000u | Q(arr) | R(vm) << 16 | (nregs - 1) << 13 | R(vn) << 5 | R(vd));
}

bool a64_ext(a64_buf *b, a64_arr arr, int vd, int vn, int vm, unsigned index) {
  if ((arr != A64_8B && arr != A64_16B) || index >= (arr == A64_16B ? 16u : 8u) || !regs3(vd, vn, vm)) return false;
  return emit(b, 0x2E000000u | Q(arr) | R(vm) << 16 | index << 11 | R(vn) << 5 | R(vd));
}

/* The imm5 field naming lane `index` of `size` bytes; false when the size
 * is not 1, 2, 4 or 8 or the index is past the register. */
static bool lane_imm5(unsigned size, unsigned index, uint32_t *imm5) {
  unsigned l = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : size == 8 ? 3 : 4;
  if (l > 3 || index >= 16u / size) return false;
  *imm5 = (index << (l + 1) | 1u << l) & 0x1F;
  return true;
}

bool a64_dup_gpr(a64_buf *b, a64_arr arr, int vd, int rn) {
  uint32_t imm5;
  if (!arr_ok(arr) || arr == A64_1D || !regs2(vd, rn) || !lane_imm5(1u << lsize(arr), 0, &imm5)) return false;
  return emit(b, 0x0E000C00u | Q(arr) | imm5 << 16 | R(rn) << 5 | R(vd));
}

bool a64_dup_lane(a64_buf *b, a64_arr arr, int vd, int vn, unsigned index) {
  uint32_t imm5;
  if (!arr_ok(arr) || arr == A64_1D || !regs2(vd, vn) || !lane_imm5(1u << lsize(arr), index, &imm5)) return false;
  return emit(b, 0x0E000400u | Q(arr) | imm5 << 16 | R(vn) << 5 | R(vd));
}

bool a64_ins_gpr(a64_buf *b, unsigned size, int vd, unsigned index, int rn) {
  uint32_t imm5;
  if (!regs2(vd, rn) || !lane_imm5(size, index, &imm5)) return false;
  return emit(b, 0x4E001C00u | imm5 << 16 | R(rn) << 5 | R(vd));
}

bool a64_ins_lane(a64_buf *b, unsigned size, int vd, unsigned dindex, int vn, unsigned sindex) {
  uint32_t imm5, src;
  if (!regs2(vd, vn) || !lane_imm5(size, dindex, &imm5) || !lane_imm5(size, sindex, &src)) return false;
  unsigned l = size == 1 ? 0 : size == 2 ? 1 : size == 4 ? 2 : 3;
  return emit(b, 0x6E000400u | imm5 << 16 | (sindex << l) << 11 | R(vn) << 5 | R(vd)); /* imm4 = index << log2 size */
}

bool a64_umov(a64_buf *b, unsigned size, int rd, int vn, unsigned index) {
  uint32_t imm5;
  if (!regs2(rd, vn) || !lane_imm5(size, index, &imm5)) return false;
  return emit(b, 0x0E003C00u | (size == 8 ? 1u << 30 : 0) | imm5 << 16 | R(vn) << 5 | R(rd));
}

bool a64_smov(a64_buf *b, unsigned size, bool sf, int rd, int vn, unsigned index) {
  uint32_t imm5;
  if (size > 4 || (size == 4 && !sf) || !regs2(rd, vn) || !lane_imm5(size, index, &imm5)) return false;
  return emit(b, 0x0E002C00u | (sf ? 1u << 30 : 0) | imm5 << 16 | R(vn) << 5 | R(rd));
}

bool a64_movi8(a64_buf *b, a64_arr arr, int vd, uint8_t imm) {
  if ((arr != A64_8B && arr != A64_16B) || !reg_ok(vd)) return false;
  return emit(b, 0x0F00E400u | Q(arr) | (uint32_t)(imm >> 5) << 16 | (uint32_t)(imm & 0x1F) << 5 | R(vd));
}

bool a64_ld1(a64_buf *b, bool load, a64_arr arr, int vt, int rn) {
  if (!arr_ok(arr) || !regs2(vt, rn)) return false;
  return emit(b, 0x0C007000u | Q(arr) | (load ? 1u << 22 : 0) | (uint32_t)lsize(arr) << 10 | R(rn) << 5 | R(vt));
}

bool a64_ld1_lane(a64_buf *b, bool load, unsigned size, int vt, unsigned index, int rn) {
  uint32_t imm5, opcode, qs;
  if (!regs2(vt, rn) || !lane_imm5(size, index, &imm5)) return false;
  /* the lane index is spread over Q:S:size, above the bits the lane size uses */
  switch (size) {
  case 1: opcode = 0, qs = index; break;
  case 2: opcode = 2, qs = index << 1; break;
  case 4: opcode = 4, qs = index << 2; break;
  default: opcode = 4, qs = index << 3 | 1; break;
  }
  return emit(b, 0x0D000000u | (qs >> 3) << 30 | (load ? 1u << 22 : 0) | opcode << 13 | ((qs >> 2) & 1) << 12 |
                     (qs & 3) << 10 | R(rn) << 5 | R(vt));
}

bool a64_ld1r(a64_buf *b, a64_arr arr, int vt, int rn) {
  if (!arr_ok(arr) || !regs2(vt, rn)) return false;
  return emit(b, 0x0D40C000u | Q(arr) | (uint32_t)lsize(arr) << 10 | R(rn) << 5 | R(vt));
}
