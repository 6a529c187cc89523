#!/usr/bin/env python3
"""Writes tests/unit/test_aot_arm64_asm.c: the AArch64 encoder's cases with
the words GNU as assigns the same instructions.

Each case is a C expression calling the encoder, the assembly it must
produce, whether the encoder must accept it, and how many NOPs come first
(for backward branches and range limits). The assembly of every case is
assembled once with aarch64-linux-gnu-as, linked at address 0 with
aarch64-linux-gnu-ld (so PC-relative forms resolve) and read back with
objcopy; the words go into the test as data, so the test itself needs no
assembler. Run this again after adding cases:
    tests/unit/gen_test_aot_arm64_asm.py > tests/unit/test_aot_arm64_asm.c
"""
import os
import struct
import subprocess
import sys
import tempfile

T, F = 'true', 'false'

# (C expression over `b`, assembly (';' separates instructions), accepted?, NOPs before)
CASES = [
    # ---- add/sub, shifted register, extended register, immediate
    ('a64_addsub_reg(b, A64_ADD, true, 0, 1, 2, A64_LSL, 0)', 'add x0, x1, x2'),
    ('a64_addsub_reg(b, A64_SUBS, false, 3, 4, 5, A64_LSR, 31)', 'subs w3, w4, w5, lsr #31'),
    ('a64_addsub_reg(b, A64_ADDS, true, 30, 29, 28, A64_ASR, 63)', 'adds x30, x29, x28, asr #63'),
    ('a64_addsub_reg(b, A64_SUB, true, 0, A64_ZR, 1, A64_LSL, 0)', 'sub x0, xzr, x1'),
    ('a64_addsub_reg(b, A64_ADD, false, 0, 1, 2, A64_LSL, 32)', '', F),
    ('a64_addsub_reg(b, A64_ADD, true, 0, 1, 2, A64_ROR, 1)', '', F),
    ('a64_addsub_reg(b, A64_ADD, true, 32, 1, 2, A64_LSL, 0)', '', F),
    ('a64_addsub_ext(b, A64_ADD, true, A64_SP, A64_SP, 1, A64_UXTX, 0)', 'add sp, sp, x1'),
    ('a64_addsub_ext(b, A64_ADD, true, 0, 1, 2, A64_UXTW, 2)', 'add x0, x1, w2, uxtw #2'),
    ('a64_addsub_ext(b, A64_SUBS, false, 3, 4, 5, A64_SXTH, 4)', 'subs w3, w4, w5, sxth #4'),
    ('a64_addsub_ext(b, A64_ADD, true, 0, 1, 2, A64_UXTW, 5)', '', F),
    ('a64_addsub_imm(b, A64_ADD, true, 0, A64_SP, 16)', 'add x0, sp, #16'),
    ('a64_addsub_imm(b, A64_SUB, true, A64_SP, A64_SP, 4095)', 'sub sp, sp, #4095'),
    ('a64_addsub_imm(b, A64_ADD, true, 1, 2, 4096)', 'add x1, x2, #1, lsl #12'),
    ('a64_addsub_imm(b, A64_SUBS, false, A64_ZR, 3, 0xFFF000)', 'subs wzr, w3, #4095, lsl #12'),
    ('a64_addsub_imm(b, A64_ADD, true, 0, 1, 4097)', '', F),
    ('a64_addsub_imm(b, A64_ADD, true, 0, 1, 0x1000000)', '', F),
    ('a64_addsub_imm(b, A64_ADD, true, 0, 1, 0x1001000)', '', F),
    # ---- logic, register and bitmask immediate
    ('a64_logic_reg(b, A64_AND, true, 0, 1, 2, A64_LSL, 0)', 'and x0, x1, x2'),
    ('a64_logic_reg(b, A64_ORR, false, 3, 4, 5, A64_ROR, 7)', 'orr w3, w4, w5, ror #7'),
    ('a64_logic_reg(b, A64_EON, true, 6, 7, 8, A64_ASR, 1)', 'eon x6, x7, x8, asr #1'),
    ('a64_logic_reg(b, A64_BICS, false, 9, 10, 11, A64_LSR, 3)', 'bics w9, w10, w11, lsr #3'),
    ('a64_logic_reg(b, A64_ORN, true, 0, A64_ZR, 1, A64_LSL, 0)', 'orn x0, xzr, x1'),
    ('a64_logic_reg(b, A64_BIC, true, 12, 13, 14, A64_LSL, 63)', 'bic x12, x13, x14, lsl #63'),
    ('a64_logic_reg(b, A64_EOR, false, 15, 16, 17, A64_LSL, 0)', 'eor w15, w16, w17'),
    ('a64_logic_reg(b, A64_ANDS, true, 18, 19, 20, A64_LSL, 0)', 'ands x18, x19, x20'),
    ('a64_logic_reg(b, A64_AND, false, 0, 1, 2, A64_LSL, 32)', '', F),
    ('a64_logic_imm(b, A64_AND, true, 0, 1, 0xFF)', 'and x0, x1, #0xff'),
    ('a64_logic_imm(b, A64_ORR, false, 2, 3, 0x80000000)', 'orr w2, w3, #0x80000000'),
    ('a64_logic_imm(b, A64_EOR, true, 4, 5, UINT64_C(0x5555555555555555))', 'eor x4, x5, #0x5555555555555555'),
    ('a64_logic_imm(b, A64_ANDS, false, 6, 7, 0xFFFF0000)', 'ands w6, w7, #0xffff0000'),
    ('a64_logic_imm(b, A64_AND, true, A64_SP, 0, UINT64_C(0xFFFFFFFFFFFFFFF0))', 'and sp, x0, #0xfffffffffffffff0'),
    ('a64_logic_imm(b, A64_ORR, true, 8, 9, UINT64_C(0x00FF00FF00FF00FF))', 'orr x8, x9, #0x00ff00ff00ff00ff'),
    ('a64_logic_imm(b, A64_EOR, false, 1, 2, 0x3C3C3C3C)', 'eor w1, w2, #0x3c3c3c3c'),
    ('a64_logic_imm(b, A64_AND, true, 0, 1, UINT64_C(0x7FFFFFFFFFFFFFFF))', 'and x0, x1, #0x7fffffffffffffff'),
    ('a64_logic_imm(b, A64_ORR, true, 0, 1, UINT64_C(0x8000000000000001))', 'orr x0, x1, #0x8000000000000001'),
    ('a64_logic_imm(b, A64_AND, false, 0, 1, 0xAAAAAAAA)', 'and w0, w1, #0xaaaaaaaa'),
    ('a64_logic_imm(b, A64_AND, true, 0, 1, 1)', 'and x0, x1, #1'),
    ('a64_logic_imm(b, A64_AND, true, 0, 1, 0)', '', F),
    ('a64_logic_imm(b, A64_AND, true, 0, 1, ~UINT64_C(0))', '', F),
    ('a64_logic_imm(b, A64_AND, false, 0, 1, 0xFFFFFFFF)', '', F),
    ('a64_logic_imm(b, A64_AND, true, 0, 1, 5)', '', F),
    ('a64_logic_imm(b, A64_AND, true, 0, 1, 0x1234)', '', F),
    ('a64_logic_imm(b, A64_AND, false, 0, 1, UINT64_C(0x100000000))', '', F),
    ('a64_logic_imm(b, A64_BIC, true, 0, 1, 0xFF)', '', F),
    ('a64_logic_imm(b, A64_ANDS, true, A64_ZR, 2, 0x10)', 'tst x2, #0x10'),
    # ---- moves, compares
    ('a64_mov(b, true, 0, 1)', 'mov x0, x1'),
    ('a64_mov(b, false, 2, 3)', 'mov w2, w3'),
    ('a64_mov_sp(b, true, A64_SP, 0)', 'mov sp, x0'),
    ('a64_mov_sp(b, true, 1, A64_SP)', 'mov x1, sp'),
    ('a64_cmp(b, false, 1, 2)', 'cmp w1, w2'),
    ('a64_cmp_imm(b, true, 3, -5)', 'cmn x3, #5'),
    ('a64_cmp_imm(b, false, 4, 4095)', 'cmp w4, #4095'),
    ('a64_cmp_imm(b, true, 4, 4097)', '', F),
    ('a64_cmp_imm(b, true, 4, INT64_MIN)', '', F),
    ('a64_tst(b, true, 5, 6)', 'tst x5, x6'),
    ('a64_movw(b, A64_MOVZ, true, 0, 0x1234, 48)', 'movz x0, #0x1234, lsl #48'),
    ('a64_movw(b, A64_MOVN, false, 1, 0, 16)', 'movn w1, #0, lsl #16'),
    ('a64_movw(b, A64_MOVK, true, 2, 0xFFFF, 32)', 'movk x2, #0xffff, lsl #32'),
    ('a64_movw(b, A64_MOVZ, false, 0, 1, 32)', '', F),
    ('a64_movw(b, A64_MOVZ, true, 0, 1, 8)', '', F),
    ('a64_mov_imm(b, true, 0, 0)', 'movz x0, #0'),
    ('a64_mov_imm(b, true, 0, ~UINT64_C(0))', 'movn x0, #0'),
    ('a64_mov_imm(b, false, 0, 0xFFFFFFFF)', 'movn w0, #0'),
    ('a64_mov_imm(b, true, 1, 0x12345678)', 'movz x1, #0x5678; movk x1, #0x1234, lsl #16'),
    ('a64_mov_imm(b, true, 2, UINT64_C(0xFFFFFFFF12345678))', 'movn x2, #0xa987; movk x2, #0x1234, lsl #16'),
    ('a64_mov_imm(b, true, 3, UINT64_C(0x0123456789ABCDEF))',
     'movz x3, #0xcdef; movk x3, #0x89ab, lsl #16; movk x3, #0x4567, lsl #32; movk x3, #0x123, lsl #48'),
    ('a64_mov_imm(b, false, 4, 0xFFFF1234)', 'movn w4, #0xedcb'),
    ('a64_mov_imm(b, true, 5, UINT64_C(0x00FF00FF00FF00FF))', 'orr x5, xzr, #0x00ff00ff00ff00ff'),
    ('a64_mov_imm(b, false, 6, 0x10000)', 'movz w6, #1, lsl #16'),
    ('a64_mov_imm(b, true, 7, UINT64_C(0xFFFF0000FFFF0000))', 'orr x7, xzr, #0xffff0000ffff0000'),
    ('a64_mov_imm(b, true, 8, UINT64_C(0x1234000000005678))', 'movz x8, #0x5678; movk x8, #0x1234, lsl #48'),
    ('a64_mov_imm(b, true, 9, UINT64_C(0x8000000000000000))', 'movz x9, #0x8000, lsl #48'),
    ('a64_mov_imm(b, true, A64_ZR, 1)', '', F),
    ('a64_mov_imm(b, false, 0, UINT64_C(0x100000000))', '', F),
    # ---- multiply, divide, shifts, bit ops
    ('a64_madd(b, true, 0, 1, 2, 3)', 'madd x0, x1, x2, x3'),
    ('a64_msub(b, false, 4, 5, 6, 7)', 'msub w4, w5, w6, w7'),
    ('a64_madd(b, true, 8, 9, 10, A64_ZR)', 'mul x8, x9, x10'),
    ('a64_umulh(b, 0, 1, 2)', 'umulh x0, x1, x2'),
    ('a64_smulh(b, 3, 4, 5)', 'smulh x3, x4, x5'),
    ('a64_dp2(b, A64_UDIV, false, 0, 1, 2)', 'udiv w0, w1, w2'),
    ('a64_dp2(b, A64_SDIV, true, 3, 4, 5)', 'sdiv x3, x4, x5'),
    ('a64_dp2(b, A64_LSLV, false, 6, 7, 8)', 'lsl w6, w7, w8'),
    ('a64_dp2(b, A64_LSRV, true, 9, 10, 11)', 'lsr x9, x10, x11'),
    ('a64_dp2(b, A64_ASRV, false, 12, 13, 14)', 'asr w12, w13, w14'),
    ('a64_dp2(b, A64_RORV, true, 15, 16, 17)', 'ror x15, x16, x17'),
    ('a64_dp2(b, (a64_dp2_op)4, true, 0, 1, 2)', '', F),
    ('a64_dp1(b, A64_RBIT, true, 0, 1)', 'rbit x0, x1'),
    ('a64_dp1(b, A64_REV16, false, 2, 3)', 'rev16 w2, w3'),
    ('a64_dp1(b, A64_REV, false, 2, 3)', 'rev w2, w3'),
    ('a64_dp1(b, A64_REV, true, 4, 5)', 'rev x4, x5'),
    ('a64_dp1(b, A64_CLZ, false, 6, 7)', 'clz w6, w7'),
    ('a64_dp1(b, A64_CLZ, true, 6, 7)', 'clz x6, x7'),
    ('a64_dp1(b, A64_CLS, true, 8, 9)', 'cls x8, x9'),
    ('a64_dp1(b, (a64_dp1_op)2, true, 0, 1)', '', F),
    ('a64_sbfm(b, true, 0, 1, 3, 7)', 'sbfm x0, x1, #3, #7'),
    ('a64_ubfm(b, false, 2, 3, 31, 30)', 'ubfm w2, w3, #31, #30'),
    ('a64_extr(b, true, 4, 5, 6, 63)', 'extr x4, x5, x6, #63'),
    ('a64_ubfm(b, false, 2, 3, 32, 0)', '', F),
    ('a64_extr(b, false, 4, 5, 6, 32)', '', F),
    ('a64_shift_imm(b, A64_LSL, true, 0, 1, 3)', 'lsl x0, x1, #3'),
    ('a64_shift_imm(b, A64_LSL, false, 2, 3, 0)', 'lsl w2, w3, #0'),
    ('a64_shift_imm(b, A64_LSL, false, 2, 3, 31)', 'lsl w2, w3, #31'),
    ('a64_shift_imm(b, A64_LSR, false, 4, 5, 31)', 'lsr w4, w5, #31'),
    ('a64_shift_imm(b, A64_ASR, true, 6, 7, 63)', 'asr x6, x7, #63'),
    ('a64_shift_imm(b, A64_ROR, false, 8, 9, 1)', 'ror w8, w9, #1'),
    ('a64_shift_imm(b, A64_LSL, false, 2, 3, 32)', '', F),
    ('a64_shift_imm(b, A64_ASR, true, 2, 3, 64)', '', F),
    ('a64_sxt(b, true, 0, 1, 8)', 'sxtb x0, w1'),
    ('a64_sxt(b, false, 2, 3, 16)', 'sxth w2, w3'),
    ('a64_sxt(b, true, 4, 5, 32)', 'sxtw x4, w5'),
    ('a64_sxt(b, false, 4, 5, 32)', '', F),
    ('a64_uxt(b, 6, 7, 8)', 'uxtb w6, w7'),
    ('a64_uxt(b, 8, 9, 16)', 'uxth w8, w9'),
    ('a64_uxt(b, 8, 9, 32)', '', F),
    # ---- conditional select and compare
    ('a64_csel(b, A64_CSEL, true, 0, 1, 2, A64_EQ)', 'csel x0, x1, x2, eq'),
    ('a64_csel(b, A64_CSINC, false, 3, 4, 5, A64_NE)', 'csinc w3, w4, w5, ne'),
    ('a64_csel(b, A64_CSINV, true, 6, 7, 8, A64_LT)', 'csinv x6, x7, x8, lt'),
    ('a64_csel(b, A64_CSNEG, false, 9, 10, 11, A64_GT)', 'csneg w9, w10, w11, gt'),
    ('a64_csel(b, A64_CSEL, true, 0, 1, 2, A64_AL)', '', F),
    ('a64_cset(b, true, 0, A64_HI)', 'cset x0, hi'),
    ('a64_cset(b, false, 1, A64_EQ)', 'cset w1, eq'),
    ('a64_cset(b, false, 1, A64_LE)', 'cset w1, le'),
    ('a64_cset(b, false, 1, A64_NV)', '', F),
    ('a64_ccmp(b, true, false, 1, 2, 4, A64_EQ)', 'ccmp x1, x2, #4, eq'),
    ('a64_ccmp(b, false, true, 3, 4, 0, A64_LT)', 'ccmn w3, w4, #0, lt'),
    ('a64_ccmp_imm(b, true, false, 5, 31, 15, A64_NE)', 'ccmp x5, #31, #15, ne'),
    ('a64_ccmp_imm(b, false, true, 6, 0, 2, A64_HS)', 'ccmn w6, #0, #2, hs'),
    ('a64_ccmp_imm(b, true, false, 5, 32, 0, A64_NE)', '', F),
    ('a64_ccmp(b, true, false, 5, 6, 16, A64_NE)', '', F),
    # ---- loads and stores
    ('a64_ldst(b, A64_LDR_X, 0, A64_SP, 0)', 'ldr x0, [sp]'),
    ('a64_ldst(b, A64_LDR_X, 1, 2, 32760)', 'ldr x1, [x2, #32760]'),
    ('a64_ldst(b, A64_LDR_X, 1, 2, 32768)', '', F),
    ('a64_ldst(b, A64_LDR_X, 3, 4, -8)', 'ldur x3, [x4, #-8]'),
    ('a64_ldst(b, A64_LDR_X, 5, 6, 12)', 'ldur x5, [x6, #12]'),
    ('a64_ldst(b, A64_LDR_W, 7, 8, 16380)', 'ldr w7, [x8, #16380]'),
    ('a64_ldst(b, A64_STRB, 9, 10, 4095)', 'strb w9, [x10, #4095]'),
    ('a64_ldst(b, A64_LDRB, 9, 10, 0)', 'ldrb w9, [x10]'),
    ('a64_ldst(b, A64_LDRSB_W, 11, 12, 1)', 'ldrsb w11, [x12, #1]'),
    ('a64_ldst(b, A64_LDRSB_X, 13, 14, 0)', 'ldrsb x13, [x14]'),
    ('a64_ldst(b, A64_STRH, 15, 16, 8190)', 'strh w15, [x16, #8190]'),
    ('a64_ldst(b, A64_LDRH, 17, 18, 2)', 'ldrh w17, [x18, #2]'),
    ('a64_ldst(b, A64_LDRSH_X, 19, 20, 4)', 'ldrsh x19, [x20, #4]'),
    ('a64_ldst(b, A64_LDRSH_W, 21, 22, 6)', 'ldrsh w21, [x22, #6]'),
    ('a64_ldst(b, A64_STR_W, 23, 24, 4)', 'str w23, [x24, #4]'),
    ('a64_ldst(b, A64_LDRSW, 25, 26, 8)', 'ldrsw x25, [x26, #8]'),
    ('a64_ldst(b, A64_STR_X, 27, 28, -256)', 'stur x27, [x28, #-256]'),
    ('a64_ldst(b, A64_STR_X, 27, 28, 255)', 'stur x27, [x28, #255]'),
    ('a64_ldst(b, A64_LDR_S, 0, 1, 4)', 'ldr s0, [x1, #4]'),
    ('a64_ldst(b, A64_STR_S, 0, 1, 16380)', 'str s0, [x1, #16380]'),
    ('a64_ldst(b, A64_STR_D, 2, 3, 8)', 'str d2, [x3, #8]'),
    ('a64_ldst(b, A64_LDR_Q, 4, 5, 65520)', 'ldr q4, [x5, #65520]'),
    ('a64_ldst(b, A64_STR_Q, 6, A64_SP, 16)', 'str q6, [sp, #16]'),
    ('a64_ldst(b, A64_LDR_B, 8, 9, 1)', 'ldr b8, [x9, #1]'),
    ('a64_ldst(b, A64_STR_B, 8, 9, 2)', 'str b8, [x9, #2]'),
    ('a64_ldst(b, A64_STR_H, 10, 11, 2)', 'str h10, [x11, #2]'),
    ('a64_ldst(b, A64_LDR_H, 10, 11, 4)', 'ldr h10, [x11, #4]'),
    ('a64_ldst(b, A64_LDR_D, 12, 13, 255)', 'ldur d12, [x13, #255]'),
    ('a64_ldst(b, A64_LDR_Q, 12, 13, -16)', 'ldur q12, [x13, #-16]'),
    ('a64_ldst(b, A64_LDR_B, 0, 1, 4096)', '', F),
    ('a64_ldst(b, A64_LDR_X, 0, 1, -257)', '', F),
    ('a64_ldst(b, (a64_ldst_kind)99, 0, 1, 0)', '', F),
    ('a64_ldst_reg(b, A64_LDR_X, 0, 1, 2, A64_UXTX, true)', 'ldr x0, [x1, x2, lsl #3]'),
    ('a64_ldst_reg(b, A64_LDRB, 3, 4, 5, A64_UXTW, false)', 'ldrb w3, [x4, w5, uxtw]'),
    ('a64_ldst_reg(b, A64_LDRB, 3, 4, 5, A64_UXTW, true)', 'ldrb w3, [x4, w5, uxtw #0]'),
    ('a64_ldst_reg(b, A64_STR_W, 6, 7, 8, A64_SXTW, true)', 'str w6, [x7, w8, sxtw #2]'),
    ('a64_ldst_reg(b, A64_LDR_Q, 9, 10, 11, A64_SXTX, true)', 'ldr q9, [x10, x11, sxtx #4]'),
    ('a64_ldst_reg(b, A64_LDRSH_W, 12, A64_SP, 13, A64_UXTX, false)', 'ldrsh w12, [sp, x13]'),
    ('a64_ldst_reg(b, A64_STR_D, 14, 15, 16, A64_UXTW, true)', 'str d14, [x15, w16, uxtw #3]'),
    ('a64_ldst_reg(b, A64_LDR_X, 0, 1, 2, A64_UXTB, false)', '', F),
    ('a64_ldst_pre(b, A64_LDR_X, 0, A64_SP, -16)', 'ldr x0, [sp, #-16]!'),
    ('a64_ldst_post(b, A64_STR_X, 1, A64_SP, 16)', 'str x1, [sp], #16'),
    ('a64_ldst_pre(b, A64_STRB, 2, 3, 255)', 'strb w2, [x3, #255]!'),
    ('a64_ldst_post(b, A64_LDR_Q, 4, 5, -256)', 'ldr q4, [x5], #-256'),
    ('a64_ldst_pre(b, A64_LDR_X, 0, 1, 256)', '', F),
    ('a64_ldst_post(b, A64_LDR_X, 0, 1, -257)', '', F),
    ('a64_stp(b, A64_PAIR_X, A64_PRE, A64_FP, A64_LR, A64_SP, -16)', 'stp x29, x30, [sp, #-16]!'),
    ('a64_ldp(b, A64_PAIR_X, A64_POST, A64_FP, A64_LR, A64_SP, 16)', 'ldp x29, x30, [sp], #16'),
    ('a64_stp(b, A64_PAIR_X, A64_OFFSET, 19, 20, A64_SP, 504)', 'stp x19, x20, [sp, #504]'),
    ('a64_ldp(b, A64_PAIR_X, A64_OFFSET, 19, 20, A64_SP, -512)', 'ldp x19, x20, [sp, #-512]'),
    ('a64_ldp(b, A64_PAIR_W, A64_OFFSET, 0, 1, 2, -256)', 'ldp w0, w1, [x2, #-256]'),
    ('a64_stp(b, A64_PAIR_D, A64_OFFSET, 8, 9, A64_SP, 16)', 'stp d8, d9, [sp, #16]'),
    ('a64_ldp(b, A64_PAIR_Q, A64_OFFSET, 0, 1, 2, 1008)', 'ldp q0, q1, [x2, #1008]'),
    ('a64_stp(b, A64_PAIR_S, A64_PRE, 0, 1, 3, -4)', 'stp s0, s1, [x3, #-4]!'),
    ('a64_stp(b, A64_PAIR_X, A64_OFFSET, 0, 1, 2, 512)', '', F),
    ('a64_stp(b, A64_PAIR_X, A64_OFFSET, 0, 1, 2, 12)', '', F),
    ('a64_ldp(b, A64_PAIR_Q, A64_OFFSET, 0, 1, 2, -1040)', '', F),
    # ---- branches, addresses, patching
    ('a64_b(b, 8)', 'b .+8'),
    ('a64_b(b, 0x7FFFFFC)', 'b .+0x7fffffc'),
    ('a64_b(b, 0x8000000)', '', F),
    ('a64_b(b, 2)', '', F),
    ('a64_bl(b, 0)', 'bl .-4', T, 1),
    ('a64_bl(b, 0x100)', 'bl .+0x100'),
    ('a64_bcond(b, A64_NE, 0)', 'b.ne .-8', T, 2),
    ('a64_bcond(b, A64_GE, 0xFFFFC)', 'b.ge .+0xffffc'),
    ('a64_bcond(b, A64_LT, 0)', 'b.lt .-0x100000', T, 0x40000),
    ('a64_bcond(b, A64_LT, 0)', '', F, 0x40001),
    ('a64_bcond(b, A64_GE, 0x100000)', '', F),
    ('a64_cbz(b, false, true, 0, 16)', 'cbz x0, .+16'),
    ('a64_cbz(b, true, false, 30, 4)', 'cbnz w30, .+4'),
    ('a64_cbz(b, false, true, 0, 0x100000)', '', F),
    ('a64_tbz(b, false, 1, 0, 32764)', 'tbz w1, #0, .+32764'),
    ('a64_tbz(b, true, 2, 63, 8)', 'tbnz x2, #63, .+8'),
    ('a64_tbz(b, false, 3, 32, 4)', 'tbz x3, #32, .+4'),
    ('a64_tbz(b, false, 1, 5, 0)', 'tbz w1, #5, .-32768', T, 0x2000),
    ('a64_tbz(b, false, 1, 0, 32768)', '', F),
    ('a64_tbz(b, false, 1, 64, 8)', '', F),
    ('a64_adr(b, 0, 0xFFFFF)', 'adr x0, .+0xfffff'),
    ('a64_adr(b, 5, 0)', 'adr x5, .-4', T, 1),
    ('a64_adr(b, 0, 0x100000)', '', F),
    ('a64_adrp(b, 1, 0x1000)', 'adrp x1, .+0x1000'),
    ('a64_adrp(b, 2, 0x7FFFF000)', 'adrp x2, .+0x7ffff000'),
    ('a64_adrp(b, 3, 0xFFFFF000)', 'adrp x3, .+0xfffff000'),
    ('a64_adrp(b, 3, (size_t)1 << 32)', '', F),
    ('a64_ldr_lit(b, A64_LDR_X, 0, 8)', 'ldr x0, .+8'),
    ('a64_ldr_lit(b, A64_LDR_Q, 1, 16)', 'ldr q1, .+16'),
    ('a64_ldr_lit(b, A64_LDR_W, 2, 4)', 'ldr w2, .+4'),
    ('a64_ldr_lit(b, A64_LDR_S, 3, 4)', 'ldr s3, .+4'),
    ('a64_ldr_lit(b, A64_LDR_D, 4, 0xFFFFC)', 'ldr d4, .+0xffffc'),
    ('a64_ldr_lit(b, A64_LDRB, 0, 8)', '', F),
    ('a64_ldr_lit(b, A64_LDR_X, 0, 2)', '', F),
    ('a64_b(b, b->n) && a64_nop(b) && a64_nop(b) && a64_patch(b, 0, 12)', 'b .+12; nop; nop'),
    ('a64_b(b, 4) && a64_patch(b, 0, 8)', 'b .+8'),
    ('a64_nop(b) && a64_b(b, 8) && a64_patch(b, 4, 0)', 'nop; b .-4'),
    ('a64_cbz(b, false, true, 3, 0) && a64_nop(b) && a64_patch(b, 0, 8)', 'cbz x3, .+8; nop'),
    ('a64_tbz(b, true, 4, 40, 0) && a64_patch(b, 0, 0x7FFC)', 'tbnz x4, #40, .+0x7ffc'),
    ('a64_bcond(b, A64_HI, 0) && a64_patch(b, 0, 0x40)', 'b.hi .+0x40'),
    ('a64_adr(b, 6, 0) && a64_patch(b, 0, 0x123)', 'adr x6, .+0x123'),
    ('a64_adrp(b, 7, 0) && a64_patch(b, 0, 0x5000)', 'adrp x7, .+0x5000'),
    ('a64_ldr_lit(b, A64_LDR_Q, 8, 0) && a64_patch(b, 0, 0x20)', 'ldr q8, .+0x20'),
    ('a64_bl(b, 0) && a64_patch(b, 0, 0x8000000)', 'bl .', F),
    ('a64_cbz(b, false, false, 1, 0) && a64_patch(b, 0, 2)', 'cbz w1, .', F),
    ('a64_nop(b) && a64_patch(b, 0, 8)', 'nop', F),
    ('a64_nop(b) && a64_patch(b, 4, 8)', 'nop', F),
    ('a64_br(b, 16)', 'br x16'),
    ('a64_blr(b, 17)', 'blr x17'),
    ('a64_ret(b, A64_LR)', 'ret'),
    ('a64_ret(b, 3)', 'ret x3'),
    ('a64_brk(b, 0)', 'brk #0'),
    ('a64_brk(b, 0xFFFF)', 'brk #0xffff'),
    ('a64_udf(b, 0)', 'udf #0'),
    ('a64_udf(b, 0x1234)', 'udf #0x1234'),
    ('a64_nop(b)', 'nop'),
    ('a64_brk(b, 0x10000)', '', F),
    ('a64_br(b, 32)', '', F),
    # ---- scalar floating point
    ('a64_fp2(b, A64_FMUL, false, 0, 1, 2)', 'fmul s0, s1, s2'),
    ('a64_fp2(b, A64_FDIV, true, 3, 4, 5)', 'fdiv d3, d4, d5'),
    ('a64_fp2(b, A64_FADD, false, 6, 7, 8)', 'fadd s6, s7, s8'),
    ('a64_fp2(b, A64_FSUB, true, 9, 10, 11)', 'fsub d9, d10, d11'),
    ('a64_fp2(b, A64_FMAX, false, 12, 13, 14)', 'fmax s12, s13, s14'),
    ('a64_fp2(b, A64_FMIN, true, 15, 16, 17)', 'fmin d15, d16, d17'),
    ('a64_fp2(b, A64_FMAXNM, false, 18, 19, 20)', 'fmaxnm s18, s19, s20'),
    ('a64_fp2(b, A64_FMINNM, true, 29, 30, 31)', 'fminnm d29, d30, d31'),
    ('a64_fp2(b, (a64_fp2_op)8, true, 0, 1, 2)', '', F),
    ('a64_fp1(b, A64_FMOV, true, 0, 1)', 'fmov d0, d1'),
    ('a64_fp1(b, A64_FABS, false, 2, 3)', 'fabs s2, s3'),
    ('a64_fp1(b, A64_FNEG, true, 4, 5)', 'fneg d4, d5'),
    ('a64_fp1(b, A64_FSQRT, false, 6, 7)', 'fsqrt s6, s7'),
    ('a64_fp1(b, A64_FRINTN, true, 8, 9)', 'frintn d8, d9'),
    ('a64_fp1(b, A64_FRINTP, false, 10, 11)', 'frintp s10, s11'),
    ('a64_fp1(b, A64_FRINTM, true, 12, 13)', 'frintm d12, d13'),
    ('a64_fp1(b, A64_FRINTZ, false, 14, 15)', 'frintz s14, s15'),
    ('a64_fp1(b, A64_FRINTA, true, 16, 17)', 'frinta d16, d17'),
    ('a64_fp1(b, A64_FRINTX, false, 18, 19)', 'frintx s18, s19'),
    ('a64_fp1(b, A64_FRINTI, true, 20, 21)', 'frinti d20, d21'),
    ('a64_fp1(b, (a64_fp1_op)4, true, 0, 1)', '', F),
    ('a64_fp1(b, (a64_fp1_op)13, true, 0, 1)', '', F),
    ('a64_fcvt(b, true, 0, 1)', 'fcvt d0, s1'),
    ('a64_fcvt(b, false, 2, 3)', 'fcvt s2, d3'),
    ('a64_fcmp(b, false, 0, 1, false, false)', 'fcmp s0, s1'),
    ('a64_fcmp(b, true, 2, 0, true, false)', 'fcmp d2, #0.0'),
    ('a64_fcmp(b, true, 3, 4, false, true)', 'fcmpe d3, d4'),
    ('a64_fcmp(b, false, 5, 0, true, true)', 'fcmpe s5, #0.0'),
    ('a64_fcsel(b, true, 0, 1, 2, A64_MI)', 'fcsel d0, d1, d2, mi'),
    ('a64_fcsel(b, false, 3, 4, 5, A64_VS)', 'fcsel s3, s4, s5, vs'),
    ('a64_fcvtz(b, false, false, false, 0, 1)', 'fcvtzs w0, s1'),
    ('a64_fcvtz(b, false, true, true, 2, 3)', 'fcvtzs x2, d3'),
    ('a64_fcvtz(b, true, false, true, 4, 5)', 'fcvtzu w4, d5'),
    ('a64_fcvtz(b, true, true, false, 6, 7)', 'fcvtzu x6, s7'),
    ('a64_cvtf(b, false, false, false, 0, 1)', 'scvtf s0, w1'),
    ('a64_cvtf(b, false, true, true, 2, 3)', 'scvtf d2, x3'),
    ('a64_cvtf(b, true, false, true, 4, 5)', 'ucvtf d4, w5'),
    ('a64_cvtf(b, true, true, false, 6, 7)', 'ucvtf s6, x7'),
    ('a64_fmov_to_gpr(b, false, 0, 1)', 'fmov w0, s1'),
    ('a64_fmov_to_gpr(b, true, 2, 3)', 'fmov x2, d3'),
    ('a64_fmov_from_gpr(b, false, 4, 5)', 'fmov s4, w5'),
    ('a64_fmov_from_gpr(b, true, 6, 7)', 'fmov d6, x7'),
    # ---- NEON: three registers
    ('a64_v3(b, A64_V_ADD, A64_16B, 0, 1, 2)', 'add v0.16b, v1.16b, v2.16b'),
    ('a64_v3(b, A64_V_ADD, A64_2D, 3, 4, 5)', 'add v3.2d, v4.2d, v5.2d'),
    ('a64_v3(b, A64_V_SUB, A64_8H, 6, 7, 8)', 'sub v6.8h, v7.8h, v8.8h'),
    ('a64_v3(b, A64_V_MUL, A64_4S, 9, 10, 11)', 'mul v9.4s, v10.4s, v11.4s'),
    ('a64_v3(b, A64_V_CMEQ, A64_2D, 12, 13, 14)', 'cmeq v12.2d, v13.2d, v14.2d'),
    ('a64_v3(b, A64_V_CMGT, A64_16B, 15, 16, 17)', 'cmgt v15.16b, v16.16b, v17.16b'),
    ('a64_v3(b, A64_V_CMGE, A64_8H, 18, 19, 20)', 'cmge v18.8h, v19.8h, v20.8h'),
    ('a64_v3(b, A64_V_CMHI, A64_4S, 21, 22, 23)', 'cmhi v21.4s, v22.4s, v23.4s'),
    ('a64_v3(b, A64_V_CMHS, A64_2D, 24, 25, 26)', 'cmhs v24.2d, v25.2d, v26.2d'),
    ('a64_v3(b, A64_V_CMTST, A64_16B, 27, 28, 29)', 'cmtst v27.16b, v28.16b, v29.16b'),
    ('a64_v3(b, A64_V_SSHL, A64_4S, 30, 31, 0)', 'sshl v30.4s, v31.4s, v0.4s'),
    ('a64_v3(b, A64_V_USHL, A64_2D, 1, 2, 3)', 'ushl v1.2d, v2.2d, v3.2d'),
    ('a64_v3(b, A64_V_SMAX, A64_16B, 0, 1, 2)', 'smax v0.16b, v1.16b, v2.16b'),
    ('a64_v3(b, A64_V_SMIN, A64_8H, 0, 1, 2)', 'smin v0.8h, v1.8h, v2.8h'),
    ('a64_v3(b, A64_V_UMAX, A64_4S, 0, 1, 2)', 'umax v0.4s, v1.4s, v2.4s'),
    ('a64_v3(b, A64_V_UMIN, A64_16B, 0, 1, 2)', 'umin v0.16b, v1.16b, v2.16b'),
    ('a64_v3(b, A64_V_SQADD, A64_16B, 0, 1, 2)', 'sqadd v0.16b, v1.16b, v2.16b'),
    ('a64_v3(b, A64_V_UQADD, A64_8H, 0, 1, 2)', 'uqadd v0.8h, v1.8h, v2.8h'),
    ('a64_v3(b, A64_V_SQSUB, A64_16B, 0, 1, 2)', 'sqsub v0.16b, v1.16b, v2.16b'),
    ('a64_v3(b, A64_V_UQSUB, A64_8H, 0, 1, 2)', 'uqsub v0.8h, v1.8h, v2.8h'),
    ('a64_v3(b, A64_V_URHADD, A64_16B, 0, 1, 2)', 'urhadd v0.16b, v1.16b, v2.16b'),
    ('a64_v3(b, A64_V_SQRDMULH, A64_8H, 0, 1, 2)', 'sqrdmulh v0.8h, v1.8h, v2.8h'),
    ('a64_v3(b, A64_V_ADDP, A64_4S, 0, 1, 2)', 'addp v0.4s, v1.4s, v2.4s'),
    ('a64_v3(b, A64_V_AND, A64_16B, 0, 1, 2)', 'and v0.16b, v1.16b, v2.16b'),
    ('a64_v3(b, A64_V_BIC, A64_16B, 0, 1, 2)', 'bic v0.16b, v1.16b, v2.16b'),
    ('a64_v3(b, A64_V_ORR, A64_16B, 0, 1, 2)', 'orr v0.16b, v1.16b, v2.16b'),
    ('a64_v3(b, A64_V_ORN, A64_8B, 0, 1, 2)', 'orn v0.8b, v1.8b, v2.8b'),
    ('a64_v3(b, A64_V_EOR, A64_16B, 0, 1, 2)', 'eor v0.16b, v1.16b, v2.16b'),
    ('a64_v3(b, A64_V_BSL, A64_16B, 0, 1, 2)', 'bsl v0.16b, v1.16b, v2.16b'),
    ('a64_v3(b, A64_V_BIT, A64_16B, 0, 1, 2)', 'bit v0.16b, v1.16b, v2.16b'),
    ('a64_v3(b, A64_V_BIF, A64_16B, 0, 1, 2)', 'bif v0.16b, v1.16b, v2.16b'),
    ('a64_v3(b, A64_V_FADD, A64_4S, 0, 1, 2)', 'fadd v0.4s, v1.4s, v2.4s'),
    ('a64_v3(b, A64_V_FADD, A64_2S, 0, 1, 2)', 'fadd v0.2s, v1.2s, v2.2s'),
    ('a64_v3(b, A64_V_FSUB, A64_2D, 0, 1, 2)', 'fsub v0.2d, v1.2d, v2.2d'),
    ('a64_v3(b, A64_V_FMUL, A64_4S, 0, 1, 2)', 'fmul v0.4s, v1.4s, v2.4s'),
    ('a64_v3(b, A64_V_FDIV, A64_2D, 0, 1, 2)', 'fdiv v0.2d, v1.2d, v2.2d'),
    ('a64_v3(b, A64_V_FMAX, A64_4S, 0, 1, 2)', 'fmax v0.4s, v1.4s, v2.4s'),
    ('a64_v3(b, A64_V_FMIN, A64_2D, 0, 1, 2)', 'fmin v0.2d, v1.2d, v2.2d'),
    ('a64_v3(b, A64_V_FMAXNM, A64_4S, 0, 1, 2)', 'fmaxnm v0.4s, v1.4s, v2.4s'),
    ('a64_v3(b, A64_V_FMINNM, A64_2D, 0, 1, 2)', 'fminnm v0.2d, v1.2d, v2.2d'),
    ('a64_v3(b, A64_V_FCMEQ, A64_4S, 0, 1, 2)', 'fcmeq v0.4s, v1.4s, v2.4s'),
    ('a64_v3(b, A64_V_FCMGE, A64_2D, 0, 1, 2)', 'fcmge v0.2d, v1.2d, v2.2d'),
    ('a64_v3(b, A64_V_FCMGT, A64_4S, 0, 1, 2)', 'fcmgt v0.4s, v1.4s, v2.4s'),
    ('a64_v3(b, A64_V_MUL, A64_2D, 0, 1, 2)', '', F),
    ('a64_v3(b, A64_V_AND, A64_4S, 0, 1, 2)', '', F),
    ('a64_v3(b, A64_V_FADD, A64_16B, 0, 1, 2)', '', F),
    ('a64_v3(b, A64_V_ADD, A64_1D, 0, 1, 2)', '', F),
    ('a64_v3(b, A64_V_SQRDMULH, A64_16B, 0, 1, 2)', '', F),
    ('a64_v3(b, A64_V3_COUNT_, A64_16B, 0, 1, 2)', '', F),
    # ---- NEON: two registers
    ('a64_v2(b, A64_V_CNT, A64_16B, 0, 1)', 'cnt v0.16b, v1.16b'),
    ('a64_v2(b, A64_V_CNT, A64_8B, 2, 3)', 'cnt v2.8b, v3.8b'),
    ('a64_v2(b, A64_V_NOT, A64_16B, 0, 1)', 'not v0.16b, v1.16b'),
    ('a64_v2(b, A64_V_ABS, A64_2D, 0, 1)', 'abs v0.2d, v1.2d'),
    ('a64_v2(b, A64_V_NEG, A64_4S, 0, 1)', 'neg v0.4s, v1.4s'),
    ('a64_v2(b, A64_V_CMEQ0, A64_8H, 0, 1)', 'cmeq v0.8h, v1.8h, #0'),
    ('a64_v2(b, A64_V_CMGT0, A64_16B, 0, 1)', 'cmgt v0.16b, v1.16b, #0'),
    ('a64_v2(b, A64_V_CMGE0, A64_4S, 0, 1)', 'cmge v0.4s, v1.4s, #0'),
    ('a64_v2(b, A64_V_CMLT0, A64_2D, 0, 1)', 'cmlt v0.2d, v1.2d, #0'),
    ('a64_v2(b, A64_V_CMLE0, A64_8H, 0, 1)', 'cmle v0.8h, v1.8h, #0'),
    ('a64_v2(b, A64_V_XTN, A64_8B, 0, 1)', 'xtn v0.8b, v1.8h'),
    ('a64_v2(b, A64_V_XTN, A64_16B, 0, 1)', 'xtn2 v0.16b, v1.8h'),
    ('a64_v2(b, A64_V_XTN, A64_4H, 0, 1)', 'xtn v0.4h, v1.4s'),
    ('a64_v2(b, A64_V_XTN, A64_2S, 0, 1)', 'xtn v0.2s, v1.2d'),
    ('a64_v2(b, A64_V_SQXTN, A64_8B, 0, 1)', 'sqxtn v0.8b, v1.8h'),
    ('a64_v2(b, A64_V_UQXTN, A64_4H, 0, 1)', 'uqxtn v0.4h, v1.4s'),
    ('a64_v2(b, A64_V_SQXTUN, A64_8B, 0, 1)', 'sqxtun v0.8b, v1.8h'),
    ('a64_v2(b, A64_V_SQXTUN, A64_16B, 0, 1)', 'sqxtun2 v0.16b, v1.8h'),
    ('a64_v2(b, A64_V_SADDLP, A64_16B, 0, 1)', 'saddlp v0.8h, v1.16b'),
    ('a64_v2(b, A64_V_UADDLP, A64_8H, 0, 1)', 'uaddlp v0.4s, v1.8h'),
    ('a64_v2(b, A64_V_FABS, A64_4S, 0, 1)', 'fabs v0.4s, v1.4s'),
    ('a64_v2(b, A64_V_FNEG, A64_2D, 0, 1)', 'fneg v0.2d, v1.2d'),
    ('a64_v2(b, A64_V_FSQRT, A64_4S, 0, 1)', 'fsqrt v0.4s, v1.4s'),
    ('a64_v2(b, A64_V_FRINTN, A64_2D, 0, 1)', 'frintn v0.2d, v1.2d'),
    ('a64_v2(b, A64_V_FRINTM, A64_4S, 0, 1)', 'frintm v0.4s, v1.4s'),
    ('a64_v2(b, A64_V_FRINTP, A64_2D, 0, 1)', 'frintp v0.2d, v1.2d'),
    ('a64_v2(b, A64_V_FRINTZ, A64_4S, 0, 1)', 'frintz v0.4s, v1.4s'),
    ('a64_v2(b, A64_V_FCVTZS, A64_4S, 0, 1)', 'fcvtzs v0.4s, v1.4s'),
    ('a64_v2(b, A64_V_FCVTZS, A64_2D, 0, 1)', 'fcvtzs v0.2d, v1.2d'),
    ('a64_v2(b, A64_V_FCVTZU, A64_4S, 0, 1)', 'fcvtzu v0.4s, v1.4s'),
    ('a64_v2(b, A64_V_SCVTF, A64_4S, 0, 1)', 'scvtf v0.4s, v1.4s'),
    ('a64_v2(b, A64_V_UCVTF, A64_2D, 0, 1)', 'ucvtf v0.2d, v1.2d'),
    ('a64_v2(b, A64_V_FCVTN, A64_2S, 0, 1)', 'fcvtn v0.2s, v1.2d'),
    ('a64_v2(b, A64_V_FCVTN, A64_4S, 0, 1)', 'fcvtn2 v0.4s, v1.2d'),
    ('a64_v2(b, A64_V_FCVTL, A64_2S, 0, 1)', 'fcvtl v0.2d, v1.2s'),
    ('a64_v2(b, A64_V_FCVTL, A64_4S, 0, 1)', 'fcvtl2 v0.2d, v1.4s'),
    ('a64_v2(b, A64_V_CNT, A64_8H, 0, 1)', '', F),
    ('a64_v2(b, A64_V_XTN, A64_2D, 0, 1)', '', F),
    ('a64_v2(b, A64_V_FABS, A64_8B, 0, 1)', '', F),
    ('a64_v2(b, A64_V_FCVTN, A64_2D, 0, 1)', '', F),
    # ---- NEON: widening, shifts, reductions, permutes, table lookup
    ('a64_vmull(b, false, A64_8B, 0, 1, 2)', 'smull v0.8h, v1.8b, v2.8b'),
    ('a64_vmull(b, true, A64_4H, 0, 1, 2)', 'umull v0.4s, v1.4h, v2.4h'),
    ('a64_vmull(b, false, A64_16B, 0, 1, 2)', 'smull2 v0.8h, v1.16b, v2.16b'),
    ('a64_vmull(b, true, A64_4S, 3, 4, 5)', 'umull2 v3.2d, v4.4s, v5.4s'),
    ('a64_vmull(b, true, A64_2D, 3, 4, 5)', '', F),
    ('a64_vshift(b, A64_V_SHL, A64_16B, 0, 1, 1)', 'shl v0.16b, v1.16b, #1'),
    ('a64_vshift(b, A64_V_SHL, A64_2D, 0, 1, 63)', 'shl v0.2d, v1.2d, #63'),
    ('a64_vshift(b, A64_V_SHL, A64_8H, 0, 1, 0)', 'shl v0.8h, v1.8h, #0'),
    ('a64_vshift(b, A64_V_SSHR, A64_4S, 0, 1, 32)', 'sshr v0.4s, v1.4s, #32'),
    ('a64_vshift(b, A64_V_SSHR, A64_16B, 0, 1, 1)', 'sshr v0.16b, v1.16b, #1'),
    ('a64_vshift(b, A64_V_USHR, A64_2D, 0, 1, 64)', 'ushr v0.2d, v1.2d, #64'),
    ('a64_vshift(b, A64_V_USHR, A64_8H, 0, 1, 3)', 'ushr v0.8h, v1.8h, #3'),
    ('a64_vshift(b, A64_V_SHL, A64_16B, 0, 1, 8)', '', F),
    ('a64_vshift(b, A64_V_SSHR, A64_4S, 0, 1, 0)', '', F),
    ('a64_vshift(b, A64_V_USHR, A64_2D, 0, 1, 65)', '', F),
    ('a64_vshift(b, A64_V_SHL, A64_1D, 0, 1, 1)', '', F),
    ('a64_vxtl(b, false, A64_8B, 0, 1)', 'sxtl v0.8h, v1.8b'),
    ('a64_vxtl(b, false, A64_16B, 0, 1)', 'sxtl2 v0.8h, v1.16b'),
    ('a64_vxtl(b, true, A64_4H, 0, 1)', 'uxtl v0.4s, v1.4h'),
    ('a64_vxtl(b, true, A64_4S, 0, 1)', 'uxtl2 v0.2d, v1.4s'),
    ('a64_vxtl(b, false, A64_2S, 0, 1)', 'sxtl v0.2d, v1.2s'),
    ('a64_vxtl(b, false, A64_2D, 0, 1)', '', F),
    ('a64_vacross(b, A64_V_ADDV, A64_16B, 0, 1)', 'addv b0, v1.16b'),
    ('a64_vacross(b, A64_V_ADDV, A64_4S, 0, 1)', 'addv s0, v1.4s'),
    ('a64_vacross(b, A64_V_SMAXV, A64_8H, 0, 1)', 'smaxv h0, v1.8h'),
    ('a64_vacross(b, A64_V_SMINV, A64_8B, 0, 1)', 'sminv b0, v1.8b'),
    ('a64_vacross(b, A64_V_UMAXV, A64_4S, 0, 1)', 'umaxv s0, v1.4s'),
    ('a64_vacross(b, A64_V_UMINV, A64_16B, 0, 1)', 'uminv b0, v1.16b'),
    ('a64_vacross(b, A64_V_ADDV, A64_2S, 0, 1)', '', F),
    ('a64_vacross(b, A64_V_UMAXV, A64_2D, 0, 1)', '', F),
    ('a64_vperm(b, A64_V_UZP1, A64_16B, 0, 1, 2)', 'uzp1 v0.16b, v1.16b, v2.16b'),
    ('a64_vperm(b, A64_V_UZP2, A64_8H, 0, 1, 2)', 'uzp2 v0.8h, v1.8h, v2.8h'),
    ('a64_vperm(b, A64_V_TRN1, A64_4S, 0, 1, 2)', 'trn1 v0.4s, v1.4s, v2.4s'),
    ('a64_vperm(b, A64_V_TRN2, A64_2D, 0, 1, 2)', 'trn2 v0.2d, v1.2d, v2.2d'),
    ('a64_vperm(b, A64_V_ZIP1, A64_16B, 0, 1, 2)', 'zip1 v0.16b, v1.16b, v2.16b'),
    ('a64_vperm(b, A64_V_ZIP2, A64_4S, 0, 1, 2)', 'zip2 v0.4s, v1.4s, v2.4s'),
    ('a64_vperm(b, (a64_vperm_op)4, A64_4S, 0, 1, 2)', '', F),
    ('a64_vperm(b, A64_V_ZIP1, A64_1D, 0, 1, 2)', '', F),
    ('a64_tbl(b, A64_16B, 0, 1, 1, 2)', 'tbl v0.16b, {v1.16b}, v2.16b'),
    ('a64_tbl(b, A64_16B, 3, 30, 2, 4)', 'tbl v3.16b, {v30.16b, v31.16b}, v4.16b'),
    ('a64_tbl(b, A64_8B, 5, 6, 1, 7)', 'tbl v5.8b, {v6.16b}, v7.8b'),
    ('a64_tbl(b, A64_16B, 0, 1, 0, 2)', '', F),
    ('a64_tbl(b, A64_16B, 0, 1, 5, 2)', '', F),
    ('a64_tbl(b, A64_4S, 0, 1, 1, 2)', '', F),
    ('a64_ext(b, A64_16B, 0, 1, 2, 15)', 'ext v0.16b, v1.16b, v2.16b, #15'),
    ('a64_ext(b, A64_8B, 3, 4, 5, 7)', 'ext v3.8b, v4.8b, v5.8b, #7'),
    ('a64_ext(b, A64_8B, 3, 4, 5, 8)', '', F),
    ('a64_ext(b, A64_16B, 3, 4, 5, 16)', '', F),
    # ---- NEON: lanes, immediates, structure loads
    ('a64_dup_gpr(b, A64_16B, 0, 1)', 'dup v0.16b, w1'),
    ('a64_dup_gpr(b, A64_8H, 2, 3)', 'dup v2.8h, w3'),
    ('a64_dup_gpr(b, A64_4S, 4, 5)', 'dup v4.4s, w5'),
    ('a64_dup_gpr(b, A64_2S, 4, 5)', 'dup v4.2s, w5'),
    ('a64_dup_gpr(b, A64_2D, 6, 7)', 'dup v6.2d, x7'),
    ('a64_dup_gpr(b, A64_1D, 6, 7)', '', F),
    ('a64_dup_lane(b, A64_16B, 0, 1, 15)', 'dup v0.16b, v1.b[15]'),
    ('a64_dup_lane(b, A64_8H, 2, 3, 7)', 'dup v2.8h, v3.h[7]'),
    ('a64_dup_lane(b, A64_4S, 4, 5, 3)', 'dup v4.4s, v5.s[3]'),
    ('a64_dup_lane(b, A64_2D, 6, 7, 1)', 'dup v6.2d, v7.d[1]'),
    ('a64_dup_lane(b, A64_4S, 4, 5, 4)', '', F),
    ('a64_ins_gpr(b, 1, 0, 15, 1)', 'ins v0.b[15], w1'),
    ('a64_ins_gpr(b, 2, 2, 7, 3)', 'ins v2.h[7], w3'),
    ('a64_ins_gpr(b, 4, 4, 3, 5)', 'ins v4.s[3], w5'),
    ('a64_ins_gpr(b, 8, 6, 1, 7)', 'ins v6.d[1], x7'),
    ('a64_ins_gpr(b, 8, 6, 2, 7)', '', F),
    ('a64_ins_gpr(b, 3, 6, 0, 7)', '', F),
    ('a64_ins_lane(b, 4, 0, 1, 1, 2)', 'ins v0.s[1], v1.s[2]'),
    ('a64_ins_lane(b, 1, 0, 15, 1, 0)', 'ins v0.b[15], v1.b[0]'),
    ('a64_ins_lane(b, 8, 2, 0, 3, 1)', 'ins v2.d[0], v3.d[1]'),
    ('a64_ins_lane(b, 2, 4, 3, 5, 7)', 'ins v4.h[3], v5.h[7]'),
    ('a64_ins_lane(b, 2, 4, 3, 5, 8)', '', F),
    ('a64_umov(b, 1, 0, 1, 15)', 'umov w0, v1.b[15]'),
    ('a64_umov(b, 2, 0, 1, 7)', 'umov w0, v1.h[7]'),
    ('a64_umov(b, 4, 0, 1, 3)', 'umov w0, v1.s[3]'),
    ('a64_umov(b, 8, 0, 1, 1)', 'umov x0, v1.d[1]'),
    ('a64_umov(b, 8, 0, 1, 2)', '', F),
    ('a64_smov(b, 1, false, 0, 1, 3)', 'smov w0, v1.b[3]'),
    ('a64_smov(b, 2, true, 0, 1, 7)', 'smov x0, v1.h[7]'),
    ('a64_smov(b, 4, true, 0, 1, 1)', 'smov x0, v1.s[1]'),
    ('a64_smov(b, 4, false, 0, 1, 1)', '', F),
    ('a64_smov(b, 8, true, 0, 1, 1)', '', F),
    ('a64_movi8(b, A64_16B, 0, 0)', 'movi v0.16b, #0'),
    ('a64_movi8(b, A64_16B, 1, 0xFF)', 'movi v1.16b, #0xff'),
    ('a64_movi8(b, A64_8B, 2, 0x5A)', 'movi v2.8b, #0x5a'),
    ('a64_movi8(b, A64_4S, 2, 0x5A)', '', F),
    ('a64_ld1(b, true, A64_16B, 0, 1)', 'ld1 {v0.16b}, [x1]'),
    ('a64_ld1(b, false, A64_2D, 2, A64_SP)', 'st1 {v2.2d}, [sp]'),
    ('a64_ld1(b, true, A64_4S, 3, 4)', 'ld1 {v3.4s}, [x4]'),
    ('a64_ld1(b, false, A64_8B, 5, 6)', 'st1 {v5.8b}, [x6]'),
    ('a64_ld1_lane(b, true, 1, 0, 15, 1)', 'ld1 {v0.b}[15], [x1]'),
    ('a64_ld1_lane(b, true, 2, 0, 5, 1)', 'ld1 {v0.h}[5], [x1]'),
    ('a64_ld1_lane(b, true, 4, 0, 3, 1)', 'ld1 {v0.s}[3], [x1]'),
    ('a64_ld1_lane(b, true, 8, 0, 1, 1)', 'ld1 {v0.d}[1], [x1]'),
    ('a64_ld1_lane(b, false, 1, 3, 0, 4)', 'st1 {v3.b}[0], [x4]'),
    ('a64_ld1_lane(b, false, 2, 3, 7, 4)', 'st1 {v3.h}[7], [x4]'),
    ('a64_ld1_lane(b, false, 4, 3, 2, 4)', 'st1 {v3.s}[2], [x4]'),
    ('a64_ld1_lane(b, false, 8, 3, 0, A64_SP)', 'st1 {v3.d}[0], [sp]'),
    ('a64_ld1_lane(b, true, 4, 0, 4, 1)', '', F),
    ('a64_ld1r(b, A64_16B, 0, 1)', 'ld1r {v0.16b}, [x1]'),
    ('a64_ld1r(b, A64_8H, 0, 1)', 'ld1r {v0.8h}, [x1]'),
    ('a64_ld1r(b, A64_4S, 0, 1)', 'ld1r {v0.4s}, [x1]'),
    ('a64_ld1r(b, A64_2D, 0, 1)', 'ld1r {v0.2d}, [x1]'),
]


def norm(c):
    expr, text = c[0], c[1]
    ok = c[2] == T if len(c) > 2 else True
    pre = c[3] if len(c) > 3 else 0
    instrs = [s.strip() for s in text.split(';') if s.strip()]
    return expr, text, ok, pre, instrs


def assemble(cases):
    """Words of each case's instructions (after its NOPs), from GNU as."""
    src = []
    for i, (_, _, _, pre, instrs) in enumerate(cases):
        src.append('.p2align 12')  # each case at a page: offsets (and ADRP pages) count from 0
        src.append('c%d:' % i)
        if pre:
            src.append('.rept %d\nnop\n.endr' % pre)
        src.extend(instrs)
    with tempfile.TemporaryDirectory() as d:
        s, o, e, bin_ = (os.path.join(d, n) for n in ('t.s', 't.o', 't.elf', 't.bin'))
        with open(s, 'w') as f:
            f.write('.text\n' + '\n'.join(src) + '\n')
        subprocess.run(['aarch64-linux-gnu-as', '-march=armv8-a', s, '-o', o], check=True)
        subprocess.run(['aarch64-linux-gnu-ld', '-Ttext=0', '-e', '0', o, '-o', e], check=True)
        syms = subprocess.run(['aarch64-linux-gnu-nm', e], check=True, capture_output=True, text=True).stdout
        addr = {l.split()[2]: int(l.split()[0], 16) for l in syms.splitlines() if len(l.split()) == 3}
        subprocess.run(['aarch64-linux-gnu-objcopy', '-O', 'binary', '-j', '.text', e, bin_], check=True)
        data = open(bin_, 'rb').read()
    out = []
    for i, (_, _, _, pre, instrs) in enumerate(cases):
        at = addr['c%d' % i] + 4 * pre
        out.append([struct.unpack_from('<I', data, at + 4 * k)[0] for k in range(len(instrs))])
    return out


HEAD = '''/*
 * test_aot_arm64_asm.c — the AArch64 encoder (src/aot/arm64/asm.c) against
 * the encodings GNU as gives the same instructions: every encoder function,
 * the boundary immediates of each form (largest and smallest offsets and
 * shifts, the ends of every branch range), the logical-immediate bitmasks,
 * constant materialization, label patching, and operands that must be
 * refused (out of range, misaligned, unencodable, wrong arrangement), which
 * must append nothing (or, for a refused patch, leave the code unchanged).
 *
 * GENERATED by tests/unit/gen_test_aot_arm64_asm.py: the expected words were
 * produced once by assembling each case's assembly (the comment beside it)
 * with aarch64-linux-gnu-as (binutils 2.40, -march=armv8-a), linking at
 * address 0 with aarch64-linux-gnu-ld and reading the code back with
 * aarch64-linux-gnu-objcopy. They are data here: the test needs no assembler
 * and runs on any host (natively on AArch64, and under qemu in CI).
 *
 * No cmocka: the test must also run in the cross-built tree, where the
 * AArch64 build of cmocka may be missing.
 */
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>

#include "aot/arm64/asm.h"

typedef struct enc_case {
  const char *what;              /* the C call */
  bool (*emit)(a64_buf *b);
  bool accepted;                 /* the encoder must return true */
  uint32_t pre;                  /* NOPs emitted before the call (not compared) */
  const char *text;              /* the assembly the words came from */
  uint32_t n;
  uint32_t want[4];
} enc_case;
'''

TAIL = '''
static int run_case(const enc_case *c) {
  a64_buf b = {0};
  for (uint32_t i = 0; i < c->pre; i++) a64_nop(&b);
  size_t start = b.n;
  bool ok = c->emit(&b);
  int bad = 0;
  if (b.oom) {
    fprintf(stderr, "FAIL %s: out of memory\\n", c->what);
    bad = 1;
  } else if (ok != c->accepted) {
    fprintf(stderr, "FAIL %s: returned %s, expected %s\\n", c->what, ok ? "true" : "false",
            c->accepted ? "true" : "false");
    bad = 1;
  } else if (b.n - start != 4 * (size_t)c->n) {
    fprintf(stderr, "FAIL %s: %zu words, expected %u (%s)\\n", c->what, (b.n - start) / 4, c->n, c->text);
    bad = 1;
  } else {
    for (uint32_t k = 0; k < c->n; k++) {
      const uint8_t *p = b.p + start + 4 * k;
      uint32_t got = (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
      if (got != c->want[k]) {
        fprintf(stderr, "FAIL %s: word %u is %08x, expected %08x (%s)\\n", c->what, k, got, c->want[k], c->text);
        bad = 1;
      }
    }
  }
  free(b.p);
  return bad;
}

/* The facts beside the encodings: sizes of the load/store kinds, and the
 * bitmask fields of a few logical immediates worked out by hand from the
 * manual's DecodeBitMasks (N:immr:imms). */
static int check_facts(void) {
  int bad = 0;
  uint32_t f = 0;
  bad += a64_ldst_size(A64_STRB) != 1 || a64_ldst_size(A64_LDRSH_W) != 2 || a64_ldst_size(A64_LDR_S) != 4 ||
         a64_ldst_size(A64_LDR_X) != 8 || a64_ldst_size(A64_STR_Q) != 16 || a64_ldst_size((a64_ldst_kind)99) != 0;
  /* 0xFF: 64-bit element, 8 ones, no rotation: N=1 immr=0 imms=7 */
  bad += !a64_bitmask_encode(0xFF, true, &f) || f != (1u << 12 | 7);
  /* 0x5555...: 2-bit element 01: N=0 immr=0 imms=0b111100 */
  bad += !a64_bitmask_encode(UINT64_C(0x5555555555555555), true, &f) || f != 0x3C;
  /* 0x80000000 as 32 bits: one 1 rotated right by 1: N=0 immr=1 imms=0 */
  bad += !a64_bitmask_encode(0x80000000u, false, &f) || f != (1u << 6);
  bad += a64_bitmask_encode(0, true, &f) || a64_bitmask_encode(0xFFFFFFFFu, false, &f);
  if (bad) fprintf(stderr, "FAIL: load/store sizes or bitmask fields\\n");
  return bad;
}

int main(void) {
  int failed = check_facts();
  size_t n = sizeof cases / sizeof cases[0];
  for (size_t i = 0; i < n; i++) failed += run_case(&cases[i]);
  printf("arm64 encoder: %zu cases, %d failed\\n", n, failed);
  return failed ? 1 : 0;
}
'''


def main():
    cases = [norm(c) for c in CASES]
    words = assemble(cases)
    out = [HEAD]
    for i, (expr, _, _, _, _) in enumerate(cases):
        out.append('static bool c%d(a64_buf *b) { return %s; }' % (i, expr))
    out.append('\nstatic const enc_case cases[] = {')
    for i, ((expr, text, ok, pre, instrs), w) in enumerate(zip(cases, words)):
        if len(w) > 4:
            sys.exit('case %d: more than 4 words' % i)
        ws = ', '.join('0x%08x' % x for x in w) or '0'
        out.append('    {"%s", c%d, %s, %d, "%s", %d, {%s}},' % (expr.replace('"', '\\"'), i, 'true' if ok else 'false',
                                                            pre, text, len(w), ws))
    out.append('};')
    out.append(TAIL)
    sys.stdout.write('\n'.join(out))


if __name__ == '__main__':
    main()
