/*
 * asm.h — an AArch64 (A64) instruction encoder for the AOT backend.
 *
 * One function per instruction form, appending one 32-bit little-endian word
 * (a few functions append a short sequence and say so). Every function
 * checks its operands and returns false, appending nothing, when they cannot
 * be encoded (an immediate out of range or misaligned, an unencodable
 * bitmask, a register number past 31, an arrangement the instruction does
 * not have): nothing is ever silently truncated into another instruction.
 *
 * Registers are numbered 0-31. Register 31 means the stack pointer or the
 * zero register depending on the operand, as in the architecture: the
 * comment of each function says which (A64_SP and A64_ZR are both 31).
 * `sf` selects the 64-bit (X) form, otherwise the 32-bit (W) form.
 * Branch targets and label fixups are byte offsets in the same buffer.
 */
#ifndef WRUN_AOT_ARM64_ASM_H
#define WRUN_AOT_ARM64_ASM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aot/lower.h"

enum { A64_FP = 29, A64_LR = 30, A64_SP = 31, A64_ZR = 31 };

/* Condition codes (b.cond, csel, ccmp, fcsel). Inverting one flips bit 0. */
typedef enum a64_cond {
  A64_EQ, A64_NE, A64_HS, A64_LO, A64_MI, A64_PL, A64_VS, A64_VC,
  A64_HI, A64_LS, A64_GE, A64_LT, A64_GT, A64_LE, A64_AL, A64_NV
} a64_cond;

/* The code buffer: lower.h's aot_buf (`oom` sticks after a failed allocation). */
typedef struct aot_buf a64_buf;

/* Appends one instruction word (no checks: for the encoders and tests). */
void a64_word(a64_buf *b, uint32_t w);

/* ---- integer arithmetic and logic ------------------------------------------ */

typedef enum a64_shift { A64_LSL, A64_LSR, A64_ASR, A64_ROR } a64_shift;
/* Register extensions (extended-register arithmetic and register-offset
 * addressing). */
typedef enum a64_extend {
  A64_UXTB, A64_UXTH, A64_UXTW, A64_UXTX, A64_SXTB, A64_SXTH, A64_SXTW, A64_SXTX
} a64_extend;

typedef enum a64_addsub { A64_ADD, A64_ADDS, A64_SUB, A64_SUBS } a64_addsub;
typedef enum a64_logic { A64_AND, A64_BIC, A64_ORR, A64_ORN, A64_EOR, A64_EON, A64_ANDS, A64_BICS } a64_logic;

/* rd = rn op (rm shift amount); no ROR; registers 31 are ZR. */
bool a64_addsub_reg(a64_buf *b, a64_addsub op, bool sf, int rd, int rn, int rm, a64_shift sh, unsigned amount);
/* rd = rn op extend(rm) << amount (0-4); rd (non-flag forms) and rn may be SP. */
bool a64_addsub_ext(a64_buf *b, a64_addsub op, bool sf, int rd, int rn, int rm, a64_extend ext, unsigned amount);
/* rd = rn op imm, imm in 0-4095 or a multiple of 4096 up to 4095 << 12;
 * rn and (non-flag forms) rd may be SP. */
bool a64_addsub_imm(a64_buf *b, a64_addsub op, bool sf, int rd, int rn, uint64_t imm);
/* rd = rn op (rm shift amount); registers 31 are ZR. */
bool a64_logic_reg(a64_buf *b, a64_logic op, bool sf, int rd, int rn, int rm, a64_shift sh, unsigned amount);
/* rd = rn op imm for AND, ORR, EOR, ANDS (imm a logical immediate: a
 * rotated run of ones repeated in 2-64 bit elements; 0 and all ones are
 * not). rd may be SP except for ANDS. */
bool a64_logic_imm(a64_buf *b, a64_logic op, bool sf, int rd, int rn, uint64_t imm);
/* The N:immr:imms field (13 bits) of a logical immediate; false when imm
 * (taken as 32 bits unless sf) has none. */
bool a64_bitmask_encode(uint64_t imm, bool sf, uint32_t *field);

/* rd = rm (ORR with ZR), and rd = rn with SP on either side (ADD #0). */
bool a64_mov(a64_buf *b, bool sf, int rd, int rm);
bool a64_mov_sp(a64_buf *b, bool sf, int rd, int rn);
/* The compare and test aliases: flags of rn - rm, rn - imm (negative imm:
 * CMN), rn & rm. */
bool a64_cmp(a64_buf *b, bool sf, int rn, int rm);
bool a64_cmp_imm(a64_buf *b, bool sf, int rn, int64_t imm);
bool a64_tst(a64_buf *b, bool sf, int rn, int rm);

/* Wide moves: MOVZ, MOVN, MOVK of imm16 << shift (shift 0/16, or 32/48 if sf). */
typedef enum a64_movw_op { A64_MOVN, A64_MOVZ = 2, A64_MOVK = 3 } a64_movw_op;
bool a64_movw(a64_buf *b, a64_movw_op op, bool sf, int rd, uint16_t imm, unsigned shift);
/* rd = any constant, in the fewest instructions this picks: one MOVZ or
 * MOVN, one ORR of a logical immediate, or MOVZ/MOVN then MOVKs (at most 4). */
bool a64_mov_imm(a64_buf *b, bool sf, int rd, uint64_t imm);

/* Multiply-add: rd = ra + rn * rm (MADD), ra - rn * rm (MSUB); MUL is
 * MADD with ra = ZR. */
bool a64_madd(a64_buf *b, bool sf, int rd, int rn, int rm, int ra);
bool a64_msub(a64_buf *b, bool sf, int rd, int rn, int rm, int ra);
/* High 64 bits of the 128-bit product (X only). */
bool a64_umulh(a64_buf *b, int rd, int rn, int rm);
bool a64_smulh(a64_buf *b, int rd, int rn, int rm);

/* Two-register data processing: divides and variable shifts/rotates
 * (shift amounts taken modulo the register width, as in wasm). */
typedef enum a64_dp2_op { A64_UDIV = 2, A64_SDIV = 3, A64_LSLV = 8, A64_LSRV = 9, A64_ASRV = 10, A64_RORV = 11 } a64_dp2_op;
bool a64_dp2(a64_buf *b, a64_dp2_op op, bool sf, int rd, int rn, int rm);
/* One-register data processing: RBIT, REV16, REV (byte reverse), CLZ, CLS. */
typedef enum a64_dp1_op { A64_RBIT = 0, A64_REV16 = 1, A64_REV = 3, A64_CLZ = 4, A64_CLS = 5 } a64_dp1_op;
bool a64_dp1(a64_buf *b, a64_dp1_op op, bool sf, int rd, int rn);

/* Bitfield moves (the shift-by-immediate and extension aliases below are
 * built on them) and EXTR. immr, imms < 32 (or 64 if sf). */
bool a64_sbfm(a64_buf *b, bool sf, int rd, int rn, unsigned immr, unsigned imms);
bool a64_ubfm(a64_buf *b, bool sf, int rd, int rn, unsigned immr, unsigned imms);
bool a64_extr(a64_buf *b, bool sf, int rd, int rn, int rm, unsigned lsb);
/* Shift or rotate by an immediate n (< width). */
bool a64_shift_imm(a64_buf *b, a64_shift sh, bool sf, int rd, int rn, unsigned n);
/* Sign or zero extension from `bits` (8, 16, or 32 for SXTW) into rd. */
bool a64_sxt(a64_buf *b, bool sf, int rd, int rn, unsigned bits);
bool a64_uxt(a64_buf *b, int rd, int rn, unsigned bits);

/* ---- compares and conditional select ---------------------------------------- */

typedef enum a64_csel_op { A64_CSEL, A64_CSINC, A64_CSINV, A64_CSNEG } a64_csel_op;
/* rd = cond ? rn : op(rm). AL and NV are refused (they would not select). */
bool a64_csel(a64_buf *b, a64_csel_op op, bool sf, int rd, int rn, int rm, a64_cond cond);
/* rd = cond ? 1 : 0 (CSINC rd, ZR, ZR, !cond). */
bool a64_cset(a64_buf *b, bool sf, int rd, a64_cond cond);
/* Flags = cond ? flags(rn - rm) : nzcv (CCMP); CCMN adds. imm form: rm is a
 * 5-bit unsigned immediate. */
bool a64_ccmp(a64_buf *b, bool sf, bool cmn, int rn, int rm, unsigned nzcv, a64_cond cond);
bool a64_ccmp_imm(a64_buf *b, bool sf, bool cmn, int rn, unsigned imm5, unsigned nzcv, a64_cond cond);

/* ---- loads and stores -------------------------------------------------------- */

/* What a single-register load or store moves: width, signedness, and the
 * register file (general, or the SIMD&FP B/H/S/D/Q registers). */
typedef enum a64_ldst_kind {
  A64_STRB, A64_LDRB, A64_LDRSB_X, A64_LDRSB_W,
  A64_STRH, A64_LDRH, A64_LDRSH_X, A64_LDRSH_W,
  A64_STR_W, A64_LDR_W, A64_LDRSW,
  A64_STR_X, A64_LDR_X,
  A64_STR_B, A64_LDR_B, A64_STR_H, A64_LDR_H, A64_STR_S, A64_LDR_S,
  A64_STR_D, A64_LDR_D, A64_STR_Q, A64_LDR_Q,
} a64_ldst_kind;
/* Bytes moved by a load/store kind. */
unsigned a64_ldst_size(a64_ldst_kind k);
/* [rn + off] (rn may be SP): the scaled unsigned 12-bit form when off is a
 * non-negative multiple of the size, else the unscaled LDUR/STUR form
 * (-256..255). */
bool a64_ldst(a64_buf *b, a64_ldst_kind k, int rt, int rn, int64_t off);
/* [rn + ext(rm) << (shift ? log2 size : 0)]; ext one of UXTW, UXTX (LSL),
 * SXTW, SXTX. */
bool a64_ldst_reg(a64_buf *b, a64_ldst_kind k, int rt, int rn, int rm, a64_extend ext, bool shift);
/* Pre-index ([rn, #off]!) and post-index ([rn], #off), off in -256..255. */
bool a64_ldst_pre(a64_buf *b, a64_ldst_kind k, int rt, int rn, int64_t off);
bool a64_ldst_post(a64_buf *b, a64_ldst_kind k, int rt, int rn, int64_t off);

/* Load/store pair: W, X, or SIMD&FP S, D, Q registers; off a multiple of
 * the register size in -64..63 of them. */
typedef enum a64_pair { A64_PAIR_W, A64_PAIR_X, A64_PAIR_S, A64_PAIR_D, A64_PAIR_Q } a64_pair;
typedef enum a64_index { A64_OFFSET, A64_PRE, A64_POST } a64_index;
bool a64_ldp(a64_buf *b, a64_pair k, a64_index mode, int rt, int rt2, int rn, int64_t off);
bool a64_stp(a64_buf *b, a64_pair k, a64_index mode, int rt, int rt2, int rn, int64_t off);

/* ---- branches and addresses ------------------------------------------------------
 * Each PC-relative form takes its target as a byte offset in the buffer and
 * checks the range (B/BL ±128 MiB, B.cond/CBZ/LDR literal/ADR ±1 MiB, TBZ
 * ±32 KiB, ADRP ±4 GiB of 4 KiB pages, which assumes the buffer starts
 * page-aligned when it runs). A forward reference is emitted with target =
 * its own offset (b->n) and fixed with a64_patch once the label is placed. */
bool a64_b(a64_buf *b, size_t target);
bool a64_bl(a64_buf *b, size_t target);
bool a64_bcond(a64_buf *b, a64_cond cond, size_t target);
bool a64_cbz(a64_buf *b, bool nonzero, bool sf, int rt, size_t target);
bool a64_tbz(a64_buf *b, bool nonzero, int rt, unsigned bit, size_t target);
bool a64_adr(a64_buf *b, int rd, size_t target);
bool a64_adrp(a64_buf *b, int rd, size_t target);
/* LDR (literal) of a W, X, S, D or Q register from a PC-relative constant. */
bool a64_ldr_lit(a64_buf *b, a64_ldst_kind k, int rt, size_t target);
/* Points the PC-relative instruction at `at` (any of the above) at target.
 * False, leaving it unchanged, when target is out of its range or `at`
 * does not hold one. */
bool a64_patch(a64_buf *b, size_t at, size_t target);
/* For a conditional branch at `at` (B.cond, CBZ/CBNZ, TBZ/TBNZ) followed by
 * a NOP reserved for it: points it at target when that is in its range
 * (the NOP stays), otherwise rewrites the pair as the inverted branch over
 * the next word and B target there. False, leaving both unchanged, when
 * `at` holds no such pair or target is beyond B's ±128 MiB. */
bool a64_patch_cond(a64_buf *b, size_t at, size_t target);
/* Register branches; RET's register is usually LR. */
bool a64_br(a64_buf *b, int rn);
bool a64_blr(a64_buf *b, int rn);
bool a64_ret(a64_buf *b, int rn);
/* BRK #imm (a debug trap: SIGTRAP), UDF #imm (permanently undefined:
 * SIGILL), NOP. */
bool a64_brk(a64_buf *b, unsigned imm16);
bool a64_udf(a64_buf *b, unsigned imm16);
bool a64_nop(a64_buf *b);

/* ---- scalar floating point ---------------------------------------------------------
 * `dbl` selects D registers (f64), otherwise S (f32). */
typedef enum a64_fp2_op {
  A64_FMUL, A64_FDIV, A64_FADD, A64_FSUB, A64_FMAX, A64_FMIN, A64_FMAXNM, A64_FMINNM
} a64_fp2_op;
bool a64_fp2(a64_buf *b, a64_fp2_op op, bool dbl, int rd, int rn, int rm);
/* One-source: moves, sign ops, square root, the rounding modes (FRINTN to
 * nearest even, P up, M down, Z toward zero, A away, X exact, I current). */
typedef enum a64_fp1_op {
  A64_FMOV = 0, A64_FABS = 1, A64_FNEG = 2, A64_FSQRT = 3,
  A64_FRINTN = 8, A64_FRINTP = 9, A64_FRINTM = 10, A64_FRINTZ = 11, A64_FRINTA = 12, A64_FRINTX = 14,
  A64_FRINTI = 15
} a64_fp1_op;
bool a64_fp1(a64_buf *b, a64_fp1_op op, bool dbl, int rd, int rn);
/* Precision conversion: rd (D if to_dbl, else S) = rn (the other). */
bool a64_fcvt(a64_buf *b, bool to_dbl, int rd, int rn);
/* Flags of rn - rm (zero: compare with +0.0, rm ignored); FCMPE signals on
 * quiet NaNs too. */
bool a64_fcmp(a64_buf *b, bool dbl, int rn, int rm, bool zero, bool signaling);
bool a64_fcsel(a64_buf *b, bool dbl, int rd, int rn, int rm, a64_cond cond);
/* Float to integer rounding toward zero (saturating, NaN -> 0), integer to
 * float; `sf` is the integer width, `dbl` the float's. */
bool a64_fcvtz(a64_buf *b, bool is_unsigned, bool sf, bool dbl, int rd, int rn);
bool a64_cvtf(a64_buf *b, bool is_unsigned, bool sf, bool dbl, int rd, int rn);
/* Bit moves between a general register and an FP register (W<->S, X<->D). */
bool a64_fmov_to_gpr(a64_buf *b, bool dbl, int rd, int rn);
bool a64_fmov_from_gpr(a64_buf *b, bool dbl, int rd, int rn);

/* ---- Advanced SIMD (NEON) ------------------------------------------------------------ */

/* Vector arrangements: lane size in bits 1-2, 128-bit (Q) in bit 0. */
typedef enum a64_arr {
  A64_8B, A64_16B, A64_4H, A64_8H, A64_2S, A64_4S, A64_1D, A64_2D
} a64_arr;

/* Three registers, same arrangement. Integer ops take 8B-2D as the lanes
 * allow (no 64-bit MUL, min/max, SQRDMULH on H and S only); bitwise ops
 * take 8B or 16B; float ops 2S, 4S or 2D. */
typedef enum a64_v3_op {
  A64_V_ADD, A64_V_SUB, A64_V_MUL, A64_V_CMEQ, A64_V_CMGT, A64_V_CMGE, A64_V_CMHI, A64_V_CMHS, A64_V_CMTST,
  A64_V_SSHL, A64_V_USHL, A64_V_SMAX, A64_V_SMIN, A64_V_UMAX, A64_V_UMIN, A64_V_SQADD, A64_V_UQADD,
  A64_V_SQSUB, A64_V_UQSUB, A64_V_URHADD, A64_V_SQRDMULH, A64_V_ADDP,
  A64_V_AND, A64_V_BIC, A64_V_ORR, A64_V_ORN, A64_V_EOR, A64_V_BSL, A64_V_BIT, A64_V_BIF,
  A64_V_FADD, A64_V_FSUB, A64_V_FMUL, A64_V_FDIV, A64_V_FMAX, A64_V_FMIN, A64_V_FMAXNM, A64_V_FMINNM,
  A64_V_FCMEQ, A64_V_FCMGE, A64_V_FCMGT,
  A64_V3_COUNT_
} a64_v3_op;
bool a64_v3(a64_buf *b, a64_v3_op op, a64_arr arr, int vd, int vn, int vm);
/* Two registers: rd = op(rn). Narrowing ops (XTN, SQXTN, UQXTN, SQXTUN,
 * FCVTN) take the narrow arrangement (8B writes the low half, 16B the high
 * half); widening pairwise adds (SADDLP, UADDLP) and FCVTL the source's. */
typedef enum a64_v2_op {
  A64_V_CNT, A64_V_NOT, A64_V_ABS, A64_V_NEG, A64_V_CMEQ0, A64_V_CMGT0, A64_V_CMGE0, A64_V_CMLT0, A64_V_CMLE0,
  A64_V_XTN, A64_V_SQXTN, A64_V_UQXTN, A64_V_SQXTUN, A64_V_SADDLP, A64_V_UADDLP,
  A64_V_FABS, A64_V_FNEG, A64_V_FSQRT, A64_V_FRINTN, A64_V_FRINTM, A64_V_FRINTP, A64_V_FRINTZ,
  A64_V_FCVTZS, A64_V_FCVTZU, A64_V_SCVTF, A64_V_UCVTF, A64_V_FCVTN, A64_V_FCVTL,
  A64_V2_COUNT_
} a64_v2_op;
bool a64_v2(a64_buf *b, a64_v2_op op, a64_arr arr, int vd, int vn);
/* Widening multiply SMULL/UMULL of the low halves (8B, 4H, 2S) or, for the
 * 128-bit arrangement, the high halves (SMULL2/UMULL2). */
bool a64_vmull(a64_buf *b, bool is_unsigned, a64_arr src, int vd, int vn, int vm);
/* Shifts by an immediate: SHL (0..lane bits - 1), SSHR/USHR (1..lane bits). */
typedef enum a64_vshift_op { A64_V_SHL, A64_V_SSHR, A64_V_USHR } a64_vshift_op;
bool a64_vshift(a64_buf *b, a64_vshift_op op, a64_arr arr, int vd, int vn, unsigned n);
/* Lengthening SXTL/UXTL of the low (8B, 4H, 2S) or high (16B, 8H, 4S: the
 * "2" forms) half of vn, by the source arrangement. */
bool a64_vxtl(a64_buf *b, bool is_unsigned, a64_arr src, int vd, int vn);
/* Reductions across lanes: ADDV, SMAXV, SMINV, UMAXV, UMINV (8B-4S, not 2S). */
typedef enum a64_vacross_op { A64_V_ADDV, A64_V_SMAXV, A64_V_SMINV, A64_V_UMAXV, A64_V_UMINV } a64_vacross_op;
bool a64_vacross(a64_buf *b, a64_vacross_op op, a64_arr arr, int vd, int vn);
/* Permutes: UZP1/2, TRN1/2, ZIP1/2. */
typedef enum a64_vperm_op { A64_V_UZP1 = 1, A64_V_TRN1 = 2, A64_V_ZIP1 = 3, A64_V_UZP2 = 5, A64_V_TRN2 = 6, A64_V_ZIP2 = 7 } a64_vperm_op;
bool a64_vperm(a64_buf *b, a64_vperm_op op, a64_arr arr, int vd, int vn, int vm);
/* TBL of 16B/8B indices in vm over 1 or 2 table registers from vn
 * (consecutive, wrapping at 31); out-of-range indices give 0. */
bool a64_tbl(a64_buf *b, a64_arr arr, int vd, int vn, unsigned nregs, int vm);
/* EXT: bytes index.. of vn:vm (index < 8 or 16). */
bool a64_ext(a64_buf *b, a64_arr arr, int vd, int vn, int vm, unsigned index);
/* Lanes: DUP from a general register or from a lane, INS from a general
 * register or a lane, UMOV/SMOV to a general register. `size` is the lane
 * size in bytes (1, 2, 4, 8). */
bool a64_dup_gpr(a64_buf *b, a64_arr arr, int vd, int rn);
bool a64_dup_lane(a64_buf *b, a64_arr arr, int vd, int vn, unsigned index);
bool a64_ins_gpr(a64_buf *b, unsigned size, int vd, unsigned index, int rn);
bool a64_ins_lane(a64_buf *b, unsigned size, int vd, unsigned dindex, int vn, unsigned sindex);
bool a64_umov(a64_buf *b, unsigned size, int rd, int vn, unsigned index);
bool a64_smov(a64_buf *b, unsigned size, bool sf, int rd, int vn, unsigned index);
/* MOVI of a byte to every byte lane (8B or 16B). */
bool a64_movi8(a64_buf *b, a64_arr arr, int vd, uint8_t imm);
/* Structure loads/stores of one register: LD1/ST1 {vt.arr}, [rn]; LD1/ST1
 * of one lane ({vt.size}[index], size in bytes); LD1R (load one lane and
 * replicate). rn may be SP. */
bool a64_ld1(a64_buf *b, bool load, a64_arr arr, int vt, int rn);
bool a64_ld1_lane(a64_buf *b, bool load, unsigned size, int vt, unsigned index, int rn);
bool a64_ld1r(a64_buf *b, a64_arr arr, int vt, int rn);

#endif
