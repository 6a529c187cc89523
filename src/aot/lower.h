/*
 * lower.h — the split between the target-independent half of the AOT
 * compiler (lower.c: walking wasm, the operand-stack model, register homes
 * for locals, the register pool, control flow, choosing fusions) and an
 * instruction-set backend (x64/target.c), which emits code for the
 * operations lower.c asks for through `aot_target`, in the spirit of QBE's
 * struct Target: a new ISA implements these hooks and nothing else.
 *
 * Registers are small integers meaningful to the target; conditions are
 * target values too (lower.c only passes them between hooks and inverts them
 * through the target).
 */
#ifndef WRUN_AOT_LOWER_H
#define WRUN_AOT_LOWER_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "aot/aot.h"
#include "binary/opcodes.h"
#include "binary/reader.h"

/* Where a value on the compile-time operand stack is. */
enum { E_CONST, E_LOCAL, E_REG, E_SLOT };
/* Register classes: general (integers, references), float, and v128 (which
 * this version keeps in frame slots only). */
enum { CL_G, CL_X, CL_V };

typedef struct ent {
  wm_valtype type;
  uint8_t kind;
  int8_t reg;                    /* E_REG */
  uint32_t local;                /* E_LOCAL */
  int32_t pos;                   /* canonical frame slot index (always set) */
  uint64_t imm[2];               /* E_CONST */
} ent;

typedef struct site_list {
  uint32_t *at;
  uint32_t n, cap;
} site_list;

typedef struct ctl {
  wm_opcode op;                /* BLOCK, LOOP, IF, ELSE, or END for the function itself */
  uint32_t height;
  int32_t base;
  const wm_valtype *params, *results;
  uint32_t np, nr;
  wm_valtype single;
  size_t head;                   /* loops: the address of the loop start */
  site_list patches;             /* jumps to the end label */
  int64_t else_site;             /* IF: the jump to the else branch, -1 if none */
  bool unreachable, dead;
} ctl;

/* A generic code buffer (asm.h's x64_buf is this). */
typedef struct aot_buf {
  uint8_t *p;
  size_t n, cap;
  bool oom;
} aot_buf;
/* Makes room for `more` bytes after b->n (buf.c; reallocating by doubling
 * from 4 KiB only when they do not fit already); false, with the sticky
 * b->oom set, when memory runs out. */
bool aot_buf_reserve(aot_buf *b, size_t more);

/* A place a value can be stored to. */
typedef enum { PL_SLOT, PL_LOCAL, PL_RESULT } aot_place_kind;
typedef struct aot_place {
  aot_place_kind kind;
  int32_t index;                 /* slot position, local index, or result slot index */
} aot_place;

typedef struct aot_target aot_target;

/* A loop head with an OSR entry: at `head` every operand-stack value is in
 * its slot (positions 0 .. nslots-1) and live[i] says whether local i holds
 * a value there (its home may be shared with dead locals otherwise). */
typedef struct aot_osr_point {
  uint32_t wasm_off;
  size_t head;
  int32_t nslots;
  uint8_t *live;
} aot_osr_point;

/* The state of compiling one function (shared by lower.c and the target). */
typedef struct cg {
  const aot_target *t;
  const aot_func_in *in;
  const wm_module *m;
  const wm_functype *ft;
  wm_reader r;
  aot_buf b;
  ent *vs;
  uint32_t nv, capv;
  ctl *cs;
  uint32_t nc, capc;
  uint32_t nlocals;
  wm_valtype *ltype;
  int8_t *lreg;                  /* register home or -1 */
  int32_t *lslot;                /* frame slot (always reserved: also the save area) */
  uint32_t nlslots;
  int32_t maxpos;                /* frame slots the operand stack needs */
  uint32_t gfree, xfree;         /* free pool registers */
  uint32_t gused, xused;         /* registers written: the callee saves them */
  bool calls_c;                  /* calls a C helper that returns */
  site_list traps[WRUN_TRAP_INTERRUPTED + 1];
  site_list rets;                /* jumps to the epilogue */
  aot_reloc *relocs;
  uint32_t nrelocs, caprelocs;
  /* on-stack replacement (in->osr): the loop heads, and the live range of
   * each local from regalloc.c ([start, end] instruction positions; NULL
   * when locals got registers by use count, which never share one) */
  aot_osr_point *osr;
  uint32_t nosr, caposr;
  uint32_t (*ival)[2];
  struct codemap_builder *map;   /* pc -> wasm positions (codemap.h) */
  bool fail;
  char msg[160];
} cg;

/* The hooks of an instruction-set backend. Operands are stack entries (const
 * ent *); `dst` is a register of the result's class. Unless said otherwise a
 * hook may use the target's scratch registers but no pool register except
 * dst, and must not change any entry. */
struct aot_target {
  const char *name;
  uint32_t gpr_alloc, fpr_alloc;         /* allocatable registers, as bit sets */
  const int8_t *gpr_local_order;         /* registers for locals, in order of preference */
  uint32_t ngpr_locals;                  /* at most this many general registers for locals */
  const int8_t *fpr_local_order;
  uint32_t nfpr_locals;

  /* function frame: params into their homes and locals zeroed; after the
   * body, epilogue, trap stubs and prologue (out->code) */
  void (*begin)(cg *c);
  bool (*finish)(cg *c, aot_func_out *out);

  /* moves */
  void (*load)(cg *c, const ent *e, int reg);
  void (*store)(cg *c, const ent *e, aot_place p);

  /* operators. For binops dst either holds a already (a is that register) or
   * is a local's home, which b may also be: the target handles the alias. */
  void (*int_binop)(cg *c, wm_opcode op, int dst, const ent *a, const ent *b);
  void (*float_binop)(cg *c, wm_opcode op, int dst, const ent *a, const ent *b);
  void (*divrem)(cg *c, wm_opcode op, int dst, const ent *a, const ent *b);
  bool (*has_unop)(wm_opcode op);      /* unop handles op (else lower.c calls call_op) */
  void (*unop)(cg *c, wm_opcode op, int dst, const ent *a);
  int (*compare)(cg *c, wm_opcode op, const ent *a, const ent *b); /* returns the "true" condition */
  int (*test)(cg *c, const ent *a, bool wide);                       /* condition "a != 0" */
  int (*invert)(int cond);
  void (*set_cond)(cg *c, int cond, int dst);                        /* dst = cond ? 1 : 0 */
  void (*select)(cg *c, wm_valtype t, int dst, const ent *b, int cond); /* dst = cond ? dst : b */

  /* memory, variables */
  void (*load_mem)(cg *c, wm_opcode op, int dst, const ent *addr, uint64_t offset);
  void (*store_mem)(cg *c, wm_opcode op, const ent *addr, const ent *val, uint64_t offset);
  void (*global_get)(cg *c, uint32_t g, const ent *dst);            /* dst: an E_REG or E_SLOT entry */
  void (*global_set)(cg *c, uint32_t g, const ent *v);
  void (*ref_func)(cg *c, uint32_t f, int dst);

  /* control: jumps return a site that `patch` resolves later */
  size_t (*jump)(cg *c);
  size_t (*jump_if)(cg *c, int cond);
  void (*patch)(cg *c, size_t site, size_t target);
  void (*trap)(cg *c, rt_trap_kind kind);
  void (*interrupt_check)(cg *c);
  void (*align_loop)(cg *c);             /* before a loop head (may emit nothing) */
  /* jump through a table of n+1 entries indexed by idx (clamped to n);
   * returns the table's position for table_entry */
  size_t (*table_jump)(cg *c, const ent *idx, uint32_t n);
  void (*table_entry)(cg *c, size_t table, uint32_t i, size_t target);

  /* calls. Convention between compiled functions: a scalar argument in one
   * of the first `arg_regs` slots travels in a register (the callee finds
   * it there, not in its slot); a single scalar result comes back in a
   * register (result_in_reg). call_import and call_indirect see every
   * operand in its canonical slot (they may go through C); call_internal
   * gets the argument entries (those not in registers already spilled) and
   * may leave every other entry where it is: the callee preserves
   * allocatable registers. take_result moves a register result to reg. */
  uint32_t arg_regs;
  void (*call_internal)(cg *c, uint32_t fidx, int32_t p0, const ent *args, uint32_t nargs);
  void (*call_import)(cg *c, uint32_t fidx, int32_t p0);
  void (*call_indirect)(cg *c, uint32_t typeidx, uint32_t table, const ent *idx, int32_t p0);
  void (*take_result)(cg *c, wm_valtype t, int reg);
  void (*call_op)(cg *c, wm_opcode op, int32_t p0, uint64_t a, uint64_t b); /* the AOT_H_OP helper */

  /* SIMD: has_simd says whether simd compiles op inline; operands are in
   * their slots from p0 (only the operands: other entries may be in
   * registers, so simd must leave pool registers alone) and the result goes
   * to slot p0. a, b: the immediates as for call_op. */
  bool (*has_simd)(wm_opcode op);
  void (*simd)(cg *c, wm_opcode op, int32_t p0, uint64_t a, uint64_t b);

  /* the C -> compiled-code entry: enter(ctx, fn, slots); returns its size, 0 if over cap */
  uint32_t (*trampoline)(uint8_t *dst, uint32_t cap);

  /* the machine: what an image for this ISA records and needs */
  uint32_t arch;                         /* AOT_ARCH_* */
  uint32_t cpu_required;                 /* feature bits (the target's own) compiled code relies on */
  uint32_t (*host_cpu)(void);            /* the bits the running machine has (0 on another ISA) */
  const char *const *cpu_names;          /* name of feature bit i, NULL-terminated */
  /* links a call at `at` (an aot_reloc) to the function entry at `target` */
  void (*link_call)(uint8_t *code, size_t at, size_t target);
  uint32_t max_code;                     /* largest image link_call can link (0: 2 GiB) */
  void (*fill)(uint8_t *p, size_t n);    /* fills gaps in an image with trapping instructions */
  /* the pc and stack pointer in a ucontext_t of this ISA (signal handlers) */
  void (*signal_pc_sp)(const void *uctx, uintptr_t *pc, uintptr_t *sp);
  /* Optional (NULL: backtraces use the frame sizes, as x86-64's do). A
   * target whose every function stores a frame record (the caller's frame
   * pointer, then the return address, at the new frame pointer) within its
   * first record_after bytes gives the frame pointer and link register of
   * a ucontext_t here, and a fault's backtrace follows the records
   * (aot_walk_frame_records), as AArch64's will. */
  void (*signal_fp_lr)(const void *uctx, uintptr_t *fp, uintptr_t *lr);
  uint32_t record_after;
};

/* Compiles every defined function of `m` for target t into an image: mapped
 * executable when t is the host's target, else (cross-compiling) left in a
 * plain buffer with image->executable false, to be written to an artifact
 * and never run here. */
bool aot_compile_module_for(const aot_target *t, const wm_module *m, uint32_t options, aot_image **out,
                            rt_error *err);

/* Compiles one function body with target t. */
bool aot_compile_func(const aot_target *t, const aot_func_in *in, aot_func_out *out, rt_error *err);

/* ---- services of lower.c for targets and regalloc.c --------------------------- */
/* Assigns c->lreg by linear scan over live intervals (regalloc.c); false
 * (lreg all -1) when the function is too large for the analysis. */
bool aot_regalloc_locals(cg *c);
/* Does a function of type ft return its result in a register? */
bool aot_result_in_reg(const wm_functype *ft);
/* Is the parameter at slot position pos (relative to the first argument's
 * slot; of type ty) passed in a register? */
bool aot_arg_in_reg(const aot_target *t, int32_t pos, wm_valtype ty);
void aot_fail(cg *c, const char *msg);
void aot_add_site(cg *c, site_list *l, size_t at);
void aot_bind_sites(cg *c, site_list *l, size_t target);
void aot_add_reloc(cg *c, size_t at, uint32_t callee);
int aot_cls(wm_valtype t);
/* 64-bit operations for this type (i64, f64, references) */
static inline bool aot_wide(wm_valtype t) { return t != WASM_I32 && t != WASM_F32; }
static inline int32_t aot_width(wm_valtype t) { return t == WASM_V128 ? 2 : 1; }

#endif
