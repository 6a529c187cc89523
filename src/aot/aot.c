/*
 * aot.c — the AOT tier's driver: compiles an instance's functions with the
 * target's code generator, places them in one executable mapping (written
 * while read-write, then switched to read+execute: never both), links the
 * direct calls, and runs compiled functions (aot_invoke).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "aot/aot.h"

#if !defined(__x86_64__)
bool aot_compile_instance(wrun_store *s, wrun_instance *inst, wrun_error *err) {
  (void)s;
  (void)inst;
  return wrun_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "the AOT compiler supports x86-64 only");
}
bool aot_invoke(wrun_store *s, wrun_func *f, uint64_t *sp) {
  (void)f;
  (void)sp;
  rt_set_trap(s, WRUN_TRAP_HOST, "no AOT support on this platform");
  return false;
}
void aot_code_free(aot_code *c) { (void)c; }
uint32_t aot_compiled_count(const wrun_instance *inst) { (void)inst; return 0; }
#else

uint32_t aot_compiled_count(const wrun_instance *inst) { return inst->aot ? inst->aot->ncompiled : 0; }

void aot_code_free(aot_code *c) {
  if (!c) return;
  if (c->mem) munmap(c->mem, c->size);
  free(c);
}

static bool cpu_ok(wrun_error *err) {
  __builtin_cpu_init();
  if (!__builtin_cpu_supports("sse4.1") || !__builtin_cpu_supports("popcnt"))
    return wrun_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET,
                         "the AOT compiler needs a CPU with SSE4.1 and POPCNT");
  return true;
}

bool aot_compile_instance(wrun_store *s, wrun_instance *inst, wrun_error *err) {
  const wasm_module *m = inst->module;
  if (!cpu_ok(err)) return false;
  for (uint32_t i = 0; i < m->nmems; i++)
    if (m->mems[i].type.limits.is64)
      return wrun_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "the AOT compiler does not support 64-bit memories");
  uint32_t ndef = m->nfuncs - m->nimported_funcs;
  aot_func_out *outs = calloc(ndef + 1, sizeof *outs);
  uint32_t *offs = calloc(ndef + 1, sizeof *offs);
  aot_code *code = calloc(1, sizeof *code);
  bool ok = false;
  if (!outs || !offs || !code) {
    wrun_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    goto done;
  }
  aot_func_in in = {m, 0, false, s->cfg.interruptible};
#ifdef WRUN_BOUNDS_CHECKS
  in.bounds_checks = true;
#endif
  size_t total = 64; /* the trampoline */
  for (uint32_t k = 0; k < ndef; k++) {
    in.index = m->nimported_funcs + k;
    if (!aot_x64_compile(&in, &outs[k], err)) goto done;
    total = (total + 15) & ~(size_t)15;
    offs[k] = (uint32_t)total;
    total += outs[k].size;
  }
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  code->size = (total + page - 1) / page * page;
  void *mem = mmap(NULL, code->size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    wrun_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "cannot map %zu bytes for code", code->size);
    goto done;
  }
  code->mem = mem;
  memset(code->mem, 0xCC, code->size); /* int3 between functions */
  if (!aot_x64_trampoline(code->mem, 64)) {
    wrun_error_at(err, WRUN_ERR_LIMIT, WRUN_NO_OFFSET, "internal error: trampoline too large");
    goto done;
  }
  for (uint32_t k = 0; k < ndef; k++) {
    memcpy(code->mem + offs[k], outs[k].code, outs[k].size);
    for (uint32_t r = 0; r < outs[k].nrelocs; r++) {
      size_t at = offs[k] + outs[k].relocs[r].at;
      size_t target = offs[outs[k].relocs[r].callee - m->nimported_funcs];
      int32_t rel = (int32_t)((int64_t)target - (int64_t)(at + 4));
      memcpy(code->mem + at, &rel, 4);
    }
  }
  if (mprotect(code->mem, code->size, PROT_READ | PROT_EXEC) != 0) {
    wrun_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "cannot make code executable");
    goto done;
  }
  code->enter = (void (*)(aot_ctx *, const void *, uint64_t *))(void *)code->mem;
  aot_ctx *ctx = &code->ctx;
  ctx->mem0 = m->nmems ? inst->mems[0] : NULL;
  ctx->mem_base = ctx->mem0 ? ctx->mem0->base : NULL;
  ctx->interrupt = &s->interrupt;
  ctx->globals = inst->globals;
  ctx->funcs = inst->funcs;
  ctx->tables = inst->tables;
  ctx->store = s;
  ctx->inst = inst;
  aot_init_helpers(ctx);
  code->ncompiled = ndef;
  for (uint32_t k = 0; k < ndef; k++) inst->funcs[m->nimported_funcs + k]->aot_entry = code->mem + offs[k];
  inst->aot = code;
  code = NULL;
  ok = true;
done:
  for (uint32_t k = 0; outs && k < ndef; k++) {
    free(outs[k].code);
    free(outs[k].relocs);
  }
  free(outs);
  free(offs);
  aot_code_free(code);
  return ok;
}

/* The lowest address compiled code may push the stack to: the thread's
 * stack bottom plus a margin for helpers, host functions and the signal
 * handler. */
static uintptr_t stack_floor(void) {
  pthread_attr_t a;
  void *lo = NULL;
  size_t size = 0;
  uintptr_t here = (uintptr_t)&a;
  if (pthread_getattr_np(pthread_self(), &a) == 0) {
    pthread_attr_getstack(&a, &lo, &size);
    pthread_attr_destroy(&a);
  }
  uintptr_t floor = (uintptr_t)lo + 256 * 1024;
  if (!lo || floor >= here) floor = here - 512 * 1024; /* unknown: assume a small stack */
  return floor;
}

bool aot_invoke(wrun_store *s, wrun_func *f, uint64_t *sp) {
  aot_code *code = f->inst->aot;
  rt_exec ex;
  ex.outer = rt_current_exec;
  ex.store = s;
  ex.in_wasm = true;
  uint32_t base_depth = s->nframes;
  if (!code->ctx.stack_limit) code->ctx.stack_limit = stack_floor(); /* wasm runs on one thread */
  if (s->nframes < s->cap_frames) s->frames[s->nframes++] = (rt_frame_info){f, NULL, NULL};
  bool ok;
  int why = sigsetjmp(ex.unwind, 1);
  if (why) {
    if (why == 1) rt_set_trap(s, WRUN_TRAP_MEMORY_OOB, NULL); /* a guard page was hit */
    ok = false;
  } else {
    rt_current_exec = &ex;
    code->enter(&code->ctx, f->aot_entry, sp);
    ok = true;
  }
  rt_current_exec = ex.outer;
  s->nframes = base_depth;
  return ok;
}

#endif
