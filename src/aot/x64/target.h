/*
 * target.h — what the x86-64 backend's files share (target.c, simd.c).
 */
#ifndef WRUN_AOT_X64_TARGET_H
#define WRUN_AOT_X64_TARGET_H

#include "aot/lower.h"
#include "aot/x64/asm.h"

/* The frame slot of operand-stack position pos. */
x64_mem x64_slot(const cg *c, int32_t pos);

/* The memory operand for an access of `size` bytes at addr + offset (with an
 * explicit bounds check when the function is compiled with them). May use
 * r11, rax and rdx. */
x64_mem x64_address(cg *c, const ent *addr, uint64_t offset, uint32_t size);

/* SIMD (simd.c): whether op is compiled inline, and its code. Operands are in
 * their slots from p0; the result goes to slot p0. */
bool x64_has_simd(wasm_opcode op);
void x64_simd(cg *c, wasm_opcode op, int32_t p0, uint64_t a, uint64_t b);

#endif
