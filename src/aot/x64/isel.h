/*
 * isel.h — what the x86-64 instruction selection of the optimizing pipeline
 * (isel.c) shares with its SIMD half (isel_simd.c).
 */
#ifndef WRUN_AOT_X64_ISEL_H
#define WRUN_AOT_X64_ISEL_H

#include "aot/ir/isa.h"
#include "aot/x64/asm.h"

/* Outgoing slots a SIMD instruction may use as its staging area: three
 * operands and a result of 16 bytes each. */
#define X64I_SIMD_STAGE_SLOTS 8

x64_mem x64i_spill_mem(const ir_gen *g, int32_t slot);
/* offset from rsp of the outgoing argument slots (the staging area) */
int32_t x64i_out_base(ir_gen *g);
/* a scalar (integer or float bits) into general register d */
void x64i_load_g(ir_gen *g, ir_loc l, int d);
/* stores the result computed in general register r to v's slot if it has one */
void x64i_commit(ir_gen *g, uint32_t v, int r);
/* a v128 location into xmm x, and xmm x into a v128 location */
void x64i_v_load(ir_gen *g, ir_loc l, int x);
void x64i_v_store(ir_gen *g, ir_loc l, int x);
/* the memory operand of an access of `size` bytes at address a + offset
 * (bounds-checked in that mode); may use rax, rdx and r11 */
x64_mem x64i_address(ir_gen *g, ir_loc a, uint64_t offset, uint32_t size);
/* instruction v through the runtime's AOT_H_OP helper: arguments to the
 * outgoing slots by width, the result back from them */
void x64i_helper_op(ir_gen *g, uint32_t v, wm_opcode op, uint64_t a, uint64_t b);

/* selects SIMD instruction v (isel_simd.c) */
void x64_isel_simd(ir_gen *g, uint32_t v);

#endif
