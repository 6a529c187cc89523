/*
 * target.h — what the x86-64 backend's files share (target.c, simd.c,
 * machine.c), and the machine facts only this backend knows.
 *
 * Calling convention of compiled functions (internal, not the C ABI):
 *   r14  the instance's aot_ctx           r15  base of memory 0
 *   rax  on entry: the argument slots (uint64_t[], the interpreter's slot
 *        layout). Scalar arguments in slots 0 and 1 travel in rcx/rdx
 *        (integers, references) or xmm0/xmm14 (floats) instead; a single
 *        scalar result comes back in rax or xmm0; other results are
 *        written to the slots.
 * Every register the code generator allocates is preserved by the callee,
 * so a caller's register-resident values survive calls. C helpers are called
 * with the SysV ABI through the table in aot_ctx. A function's return address
 * sits just above its frame (backtraces, aot.c).
 */
#ifndef WRUN_AOT_X64_TARGET_H
#define WRUN_AOT_X64_TARGET_H

#include "aot/lower.h"
#include "aot/x64/asm.h"

/* CPU features x86-64 code may use (aot_image.cpu and artifacts). */
enum { X64_CPU_SSE41 = 1, X64_CPU_POPCNT = 2 };
#define X64_CPU_REQUIRED (X64_CPU_SSE41 | X64_CPU_POPCNT)

extern const aot_target aot_target_x64;

/* The machine (machine.c): its features, their names, the pc and sp of a
 * signal context, call linking and gap filling. */
uint32_t x64_host_cpu(void);
extern const char *const x64_cpu_names[];
void x64_signal_pc_sp(const void *uctx, uintptr_t *pc, uintptr_t *sp);
void x64_link_call(uint8_t *code, size_t at, size_t target);
void x64_fill(uint8_t *p, size_t n);

/* The frame slot of operand-stack position pos. */
x64_mem x64_slot(const cg *c, int32_t pos);

/* The memory operand for an access of `size` bytes at addr + offset (with an
 * explicit bounds check when the function is compiled with them). May use
 * r11, rax and rdx. */
x64_mem x64_address(cg *c, const ent *addr, uint64_t offset, uint32_t size);

/* SIMD (simd.c): whether op is compiled inline, and its code. Operands are in
 * their slots from p0; the result goes to slot p0. */
bool x64_has_simd(wm_opcode op);
void x64_simd(cg *c, wm_opcode op, int32_t p0, uint64_t a, uint64_t b);

/* The inline sequence of a SIMD instruction x64_has_simd accepts (shared by
 * both compilers): in[] are the operands in signature order, dst where the
 * result goes (16 bytes, or 8 for a scalar); dst may be in[0] but no other
 * operand. v128 operands and results may be xmm registers, except where the
 * sequence reaches into them by lane (x64_simd_needs_mem); scalar operands
 * and results are always in memory. `address` gives the memory operand for an
 * access of `size` bytes at the address operand plus offset (may use rax,
 * rdx, r11). a, b: the immediates (memory: offset and lane; lanes; the
 * shuffle's lane bytes as an offset into `bytes`). Uses rax, xmm0, xmm14
 * and xmm15. */
typedef struct x64_simd_io {
  aot_buf *b;
  const uint8_t *bytes;          /* the module's bytes */
  x64_rm in[3], dst;
  x64_mem (*address)(void *ctx, uint64_t offset, uint32_t size);
  void *ctx;
  cg *cg;                        /* the one-pass compiler's state (x64_simd), else NULL */
  int32_t p0;
} x64_simd_io;
void x64_simd_seq(const x64_simd_io *io, wm_opcode op, uint64_t a, uint64_t b);
/* Must v128 operand k (k < 0: the result) of op be in memory for x64_simd_seq? */
bool x64_simd_needs_mem(wm_opcode op, int k);

#endif
