/*
 * aot.h — the ahead-of-time tier: wasm function bodies compiled to native
 * code, shared by the driver (aot.c), the run-time helpers (helpers.c) and
 * the per-ISA code generators (x64/).
 *
 * Calling convention of compiled functions (internal, not the C ABI):
 *   r14  the instance's aot_ctx           r15  base of memory 0
 *   rax  on entry: the argument slots (uint64_t[], the interpreter's slot
 *        layout); the callee writes its results there before returning.
 * Every register the code generator allocates is preserved by the callee,
 * so a caller's register-resident locals survive calls. C helpers are called
 * with the SysV ABI through the table in aot_ctx (no absolute addresses in
 * the code, which keeps it position independent).
 */
#ifndef WRUN_AOT_AOT_H
#define WRUN_AOT_AOT_H

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "runtime/rt.h"

/* The run-time helpers compiled code calls (index into aot_ctx.helpers). */
typedef enum aot_helper {
  AOT_H_TRAP,          /* (ctx, kind): records the trap and unwinds; never returns */
  AOT_H_CALL,          /* (ctx, func, slots): calls any function through the slot ABI */
  AOT_H_CALL_INDIRECT, /* (ctx, table, typeidx, elem index, slots): checked indirect call */
  AOT_H_OP,            /* (ctx, slots, op, a, b): out-of-line instruction on stack slots */
  AOT_H_COUNT_
} aot_helper;

/* Per-instance data the generated code reads, at fixed offsets. */
typedef struct aot_ctx {
  uint8_t *mem_base;              /* memory 0 base, or NULL */
  wrun_memory *mem0;
  uintptr_t stack_limit;          /* lowest rsp allowed (set by aot_invoke) */
  volatile sig_atomic_t *interrupt;
  wrun_global **globals;
  wrun_func **funcs;
  wrun_table **tables;
  wrun_store *store;
  wrun_instance *inst;
  void *helpers[AOT_H_COUNT_];
} aot_ctx;

/* Compiled code of one instance: owned by the instance. */
typedef struct aot_code {
  uint8_t *mem;                   /* the executable mapping */
  size_t size;
  aot_ctx ctx;
  uint32_t ncompiled;
  /* enter(ctx, fn, slots): the C -> compiled-code trampoline at the start of mem */
  void (*enter)(aot_ctx *ctx, const void *fn, uint64_t *slots);
} aot_code;

/* Compiles every defined function of `inst` and sets their aot_entry. False
 * (with a message in err) when the module uses something the compiler cannot
 * handle or memory runs out. */
bool aot_compile_instance(wrun_store *s, wrun_instance *inst, wrun_error *err);

/* How many functions of `inst` run compiled (0 when it was not compiled). */
uint32_t aot_compiled_count(const wrun_instance *inst);

/* Releases compiled code (NULL allowed). */
void aot_code_free(aot_code *c);

/* Runs compiled function `f` with arguments in slots at `sp` (results written
 * there). False on a trap, recorded in the store. */
bool aot_invoke(wrun_store *s, wrun_func *f, uint64_t *sp);

/* Fills the helper table of a context. */
void aot_init_helpers(aot_ctx *ctx);

/* ---- code generation (per ISA) --------------------------------------------- */

/* What the generator needs about a function it compiles. */
typedef struct aot_func_in {
  const wasm_module *m;
  uint32_t index;                 /* function index in the module */
  bool bounds_checks;             /* explicit memory bounds checks (no guard pages) */
  bool interruptible;             /* check ctx->interrupt at loop heads */
} aot_func_in;

/* A call to another function of the module: patch rel32 at `at` with the
 * entry of function `callee` once all are placed. */
typedef struct aot_reloc {
  uint32_t at;
  uint32_t callee;
} aot_reloc;

/* Compiled body of one function, position independent except for relocs. */
typedef struct aot_func_out {
  uint8_t *code;
  uint32_t size;
  aot_reloc *relocs;
  uint32_t nrelocs;
} aot_func_out;

/* Compiles one function body (x64/codegen.c). False with err set if the body
 * cannot be compiled. */
bool aot_x64_compile(const aot_func_in *in, aot_func_out *out, wrun_error *err);

/* Emits the C -> compiled-code trampoline (x64/codegen.c); returns its size
 * or 0 if `cap` is too small. */
uint32_t aot_x64_trampoline(uint8_t *dst, uint32_t cap);

#endif
