/*
 * aot.c — the AOT tier's driver: compiles a module's functions with the
 * target's code generator into one image and links the direct calls, then,
 * when the target is the host's, maps it (one private mapping, written while
 * read-write, instruction caches synchronized, then switched to
 * read+execute: never both at once, on every ISA); code for another ISA
 * stays in a plain buffer, only to be written to an artifact. Attaches
 * per-instance state and runs compiled functions (aot_invoke).
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/auxv.h>
#include <sys/mman.h>
#include <sys/resource.h>
#include <time.h>
#include <unistd.h>

#include "aot/aot.h"
#include "aot/codemap.h"
#include "aot/ir/ahead.h"
#include "aot/ir/isa.h"
#include "aot/lower.h"


uint32_t aot_options_for(const rt_config *cfg) {
  uint32_t o = cfg->interruptible ? AOT_OPT_INTERRUPTIBLE : 0;
  /* the optimizing pipeline: asked for by the configuration (--opt) or, for
   * test runs of every tier, by WRUN_AOT_OPT=1 in the environment */
  const char *env = getenv("WRUN_AOT_OPT");
  if (cfg->aot_optimize || (env && strcmp(env, "1") == 0)) o |= AOT_OPT_OPTIMIZE;
#ifdef WRUN_BOUNDS_CHECKS
  o |= AOT_OPT_BOUNDS_CHECKS;
#endif
  return o;
}

void aot_image_free(aot_image *img) {
  if (!img) return;
  if (img->executable) munmap(img->mem, img->map_size);
  else free(img->mem);
  free(img->func_off);
  free(img->osr);
  free(img->codemap);
  free(img->codemap_off);
  free(img);
}

static void free_image_cb(void *p) { aot_image_free(p); }

void aot_attach_image(wm_module *m, aot_image *img) {
  if (m->aot_image && m->aot_image_free) m->aot_image_free(m->aot_image);
  m->aot_image = img;
  m->aot_image_free = free_image_cb;
}

void aot_code_free(aot_code *c) {
  if (!c) return;
  free(c->types);
  free(c);
}

uint32_t aot_compiled_count(const wrun_instance *inst) { return inst->aot ? inst->aot->img->nfuncs : 0; }

aot_image *aot_image_from_code(const uint8_t *code, uint32_t code_size, uint32_t nfuncs, uint32_t *func_off,
                               uint32_t options, uint32_t cpu, rt_error *err) {
  aot_image *img = calloc(1, sizeof *img);
  if (!img) {
    free(func_off);
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  img->func_off = func_off;
  img->nfuncs = nfuncs;
  img->code_size = code_size;
  img->options = options;
  img->cpu = cpu;
  const aot_target *host = aot_target_host();
  img->arch = host ? host->arch : 0;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  img->map_size = ((size_t)code_size + page - 1) / page * page;
  if (!img->map_size) img->map_size = page;
  void *mem = mmap(NULL, img->map_size, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  if (mem == MAP_FAILED) {
    aot_image_free(img);
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "cannot map %u bytes for code", code_size);
    return NULL;
  }
  img->mem = mem;
  img->executable = true;
  if (host) host->fill(img->mem, img->map_size); /* trapping instructions in the gaps */
  else memset(img->mem, 0, img->map_size);
  memcpy(img->mem, code, code_size);
  /* Instruction fetch must see the new code: a no-op where instruction
   * caches are coherent (x86-64), data cache clean + instruction cache
   * invalidate by address on AArch64. Done while still writable, before the
   * one switch to read+execute. */
  __builtin___clear_cache((char *)img->mem, (char *)img->mem + code_size);
  if (mprotect(img->mem, img->map_size, PROT_READ | PROT_EXEC) != 0) {
    aot_image_free(img);
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "cannot make code executable");
    return NULL;
  }
  return img;
}

/* An image of code for target arch that is never mapped: the code buffer
 * (malloc'd, code_size bytes) and func_off become the image's. */
static aot_image *image_unmapped(uint8_t *code, uint32_t code_size, uint32_t nfuncs, uint32_t *func_off,
                                 uint32_t arch, uint32_t options, uint32_t cpu, rt_error *err) {
  aot_image *img = calloc(1, sizeof *img);
  if (!img) {
    free(code);
    free(func_off);
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  *img = (aot_image){.mem = code, .code_size = code_size, .nfuncs = nfuncs, .func_off = func_off,
                     .options = options, .arch = arch, .cpu = cpu};
  return img;
}

static double now_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

/* CPU time of the process (every thread): compile speed on a loaded
 * machine is measured in it (bench/compile-speed). */
static double cpu_ms(void) {
  struct timespec t;
  clock_gettime(CLOCK_PROCESS_CPUTIME_ID, &t);
  return (double)t.tv_sec * 1e3 + (double)t.tv_nsec / 1e6;
}

bool aot_compile_module(const wm_module *m, uint32_t options, aot_image **out, rt_error *err) {
  const aot_target *t = aot_target_host();
  if (!t) {
    *out = NULL;
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "AOT not available for %s in this build",
                       aot_arch_name(aot_host_arch()));
  }
  return aot_compile_module_for(t, m, options, out, err);
}

/* Compiles with OSR entries when osr, stopping early once *cancel is set. */
static bool compile_module(const aot_target *t, const wm_module *m, uint32_t options, bool osr,
                           const volatile int *cancel, aot_image **out, rt_error *err);

bool aot_compile_module_for(const aot_target *t, const wm_module *m, uint32_t options, aot_image **out,
                            rt_error *err) {
  return compile_module(t, m, options, false, NULL, out, err);
}

bool aot_compile_module_tiered(const wm_module *m, uint32_t options, const volatile int *cancel, aot_image **out,
                               rt_error *err) {
  const aot_target *t = aot_target_host();
  if (!t) {
    *out = NULL;
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "the AOT compiler has no backend for this machine");
  }
  return compile_module(t, m, options, true, cancel, out, err);
}

/* The functions' code maps (codemap.h) joined into the image's. */
static bool join_maps(aot_image *img, const aot_func_out *outs, uint32_t n) {
  size_t total = 0;
  for (uint32_t k = 0; k < n; k++) total += outs[k].map_size;
  if (total > UINT32_MAX / 2) return false;
  img->codemap_off = malloc(((size_t)n + 1) * sizeof *img->codemap_off);
  img->codemap = malloc(total ? total : 1);
  if (!img->codemap_off || !img->codemap) return false;
  uint32_t at = 0;
  for (uint32_t k = 0; k < n; k++) {
    img->codemap_off[k] = at;
    if (outs[k].map_size) memcpy(img->codemap + at, outs[k].map, outs[k].map_size);
    at += outs[k].map_size;
  }
  img->codemap_off[n] = at;
  img->codemap_size = at;
  return true;
}

static bool compile_module(const aot_target *t, const wm_module *m, uint32_t options, bool osr,
                           const volatile int *cancel, aot_image **out, rt_error *err) {
  *out = NULL;
  /* code for this machine is mapped and may run here, so the CPU must have
   * what it needs; code for another ISA is checked where it is loaded */
  bool native = t == aot_target_host();
  if (native && (t->host_cpu() & t->cpu_required) != t->cpu_required) {
    char need[64];
    aot_cpu_names(t->arch, t->cpu_required, need, sizeof need);
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "the AOT compiler needs a CPU with %s", need);
  }
  for (uint32_t i = 0; i < m->nmems; i++)
    if (m->mems[i].type.limits.is64)
      return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "the AOT compiler does not support 64-bit memories");
  double t0 = now_ms(), c0 = cpu_ms();
  uint32_t ndef = m->nfuncs - m->nimported_funcs;
  aot_func_out *outs = calloc(ndef + 1, sizeof *outs);
  uint32_t *offs = calloc(2 * (size_t)ndef + 1, sizeof *offs); /* entries, then frame sizes */
  uint8_t *code = NULL, *ahead = NULL; /* ahead: functions the pipeline compiled on worker threads */
  bool ok = false;
  if (!outs || !offs) {
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    goto done;
  }
  aot_func_in in = {m, 0, (options & AOT_OPT_BOUNDS_CHECKS) != 0, (options & AOT_OPT_INTERRUPTIBLE) != 0, osr, 0};
  size_t total = AOT_TRAMPOLINE_SIZE;
  uint32_t nosr = 0;
  /* a target without a one-pass compiler (AArch64) compiles everything through the IR */
  bool one_pass = t->begin != NULL;
  const aot_isa *isa = (options & AOT_OPT_OPTIMIZE) || !one_pass ? aot_isa_for(t) : NULL;
  if (!one_pass && !isa) {
    rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "AOT not available for %s in this build", t->name);
    goto done;
  }
  uint32_t nopt = 0;
  /* WRUN_AOT_OPT_REPORT=1: say on stderr which functions fall back and why (development, coverage counts) */
  const char *rep = getenv("WRUN_AOT_OPT_REPORT");
  bool report = rep && strcmp(rep, "1") == 0;
  /* WRUN_AOT_IR_STRICT=1: a function the pipeline does not take is an error, not a
   * one-pass fallback (the spec-aot-opt tests run so; an ISA without a one-pass compiler needs it) */
  const char *strict_env = getenv("WRUN_AOT_IR_STRICT");
  bool strict = isa && strict_env && strcmp(strict_env, "1") == 0;
  /* the pipeline runs ahead on worker threads (ahead.c; the code is the
   * same): not for tiered compiles (cancel), which share the machine with
   * the running program */
  ahead = isa && !cancel ? aot_ir_compile_ahead(isa, &in, outs, ndef) : NULL;
  for (uint32_t k = 0; k < ndef; k++) {
    if (cancel && *cancel) {
      rt_error_at(err, WRUN_ERR_LIMIT, WRUN_NO_OFFSET, "compilation cancelled");
      goto done;
    }
    in.index = m->nimported_funcs + k;
    /* the optimizing pipeline where it can, else (and always without it) the one-pass compiler */
    char why[96];
    int st = ahead && ahead[k] ? 1 : isa ? (osr ? aot_ir_compile_tiered : aot_ir_compile_func)(isa, &in, &outs[k], why, sizeof why, err) : 0;
    if (st < 0) goto done;
    if (st > 0) nopt++;
    if (st == 0 && isa && report) /* without a one-pass compiler (AArch64) the module is refused just below */
      fprintf(stderr, "wrun: aot-opt: function %u %s: %s\n", in.index, one_pass ? "one-pass" : "refused (no one-pass compiler)", why);
    if (st == 0 && !one_pass) {
      const char *name = m->funcs[in.index].debug_name;
      rt_error_at(err, WRUN_ERR_LIMIT, m->funcs[in.index].code_offset,
                  "function %u%s%s%s: not supported by the %s AOT compiler: %s (run it with --tier interp)",
                  in.index, name ? " (" : "", name ? name : "", name ? ")" : "", t->name, why);
      goto done;
    }
    if (st == 0 && strict) {
      rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "function %u not compiled by the optimizing pipeline: %s",
                  in.index, why);
      goto done;
    }
    if (st == 0 && !aot_compile_func(t, &in, &outs[k], err)) goto done;
    total = (total + 15) & ~(size_t)15;
    offs[k] = (uint32_t)total;
    offs[ndef + k] = outs[k].frame;
    total += outs[k].size;
    nosr += outs[k].nosr;
    if (total > (t->max_code ? t->max_code : UINT32_MAX / 2)) {
      rt_error_at(err, WRUN_ERR_LIMIT, WRUN_NO_OFFSET, "compiled code exceeds %u MiB", (t->max_code ? t->max_code : UINT32_MAX / 2) >> 20);
      goto done;
    }
  }
  code = malloc(total);
  if (!code) {
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    goto done;
  }
  t->fill(code, total);
  if (!t->trampoline(code, AOT_TRAMPOLINE_SIZE)) {
    rt_error_at(err, WRUN_ERR_LIMIT, WRUN_NO_OFFSET, "internal error: trampoline too large");
    goto done;
  }
  for (uint32_t k = 0; k < ndef; k++) {
    memcpy(code + offs[k], outs[k].code, outs[k].size);
    for (uint32_t r = 0; r < outs[k].nrelocs; r++)
      t->link_call(code, offs[k] + outs[k].relocs[r].at, offs[outs[k].relocs[r].callee - m->nimported_funcs]);
  }
  aot_osr *osrs = nosr ? malloc(nosr * sizeof *osrs) : NULL;
  if (nosr && !osrs) {
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    goto done;
  }
  for (uint32_t k = 0, n = 0; k < ndef; k++) /* by function, then offset: the order of the pass */
    for (uint32_t i = 0; i < outs[k].nosr; i++)
      osrs[n++] = (aot_osr){k, outs[k].osr[i].wasm_off, offs[k] + outs[k].osr[i].code_off};
  if (native) {
    *out = aot_image_from_code(code, (uint32_t)total, ndef, offs, options, t->cpu_required, err);
  } else {
    *out = image_unmapped(code, (uint32_t)total, ndef, offs, t->arch, options, t->cpu_required, err);
    code = NULL;
  }
  offs = NULL;
  if (*out) {
    (*out)->compile_ms = now_ms() - t0;
    (*out)->compile_cpu_ms = cpu_ms() - c0;
    (*out)->osr = osrs;
    (*out)->nosr = nosr;
    (*out)->nopt = nopt;
    if (!join_maps(*out, outs, ndef)) {
      aot_image_free(*out);
      *out = NULL;
      rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
      goto done;
    }
    if (isa && report) fprintf(stderr, "wrun: aot-opt: %u of %u functions optimized\n", nopt, ndef);
  } else {
    free(osrs);
  }
  ok = *out != NULL;
done:
  for (uint32_t k = 0; outs && k < ndef; k++) {
    free(outs[k].code);
    free(outs[k].relocs);
    free(outs[k].osr);
    free(outs[k].map);
  }
  free(outs);
  free(offs);
  free(code);
  free(ahead);
  return ok;
}

/* Where the trampoline finds a function's result: 0 in slots, 1 in a
 * general register, 2 in a float register. */
static int result_kind(const wm_functype *ft) {
  if (!aot_result_in_reg(ft)) return 0;
  return aot_cls(wm_functype_results(ft)[0]) == CL_X ? 2 : 1;
}

/* Development aids for looking at the generated code (docs/aot.md):
 * WRUN_PERF_MAP=1 appends each compiled function of an instance to
 * /tmp/perf-<pid>.map, which `perf report` reads to name samples in JIT
 * code; WRUN_AOT_DUMP=PREFIX writes the image's code to PREFIX.bin and
 * "offset size function-index" lines to PREFIX.txt, for `objdump -D -b
 * binary -m i386:x86-64 PREFIX.bin`. Failures to write are ignored. */
static void dump_code(const wm_module *m, const aot_image *img) {
  const char *map = getenv("WRUN_PERF_MAP"), *dump = getenv("WRUN_AOT_DUMP");
  char path[4096];
  for (int pass = 0; pass < 2; pass++) {
    FILE *fp = NULL;
    if (pass == 0 && map && strcmp(map, "1") == 0) {
      snprintf(path, sizeof path, "/tmp/perf-%d.map", (int)getpid());
      fp = fopen(path, "a");
    } else if (pass == 1 && dump && *dump) {
      snprintf(path, sizeof path, "%s.bin", dump);
      FILE *bin = fopen(path, "wb");
      if (bin) {
        fwrite(img->mem, 1, img->code_size, bin);
        fclose(bin);
      }
      snprintf(path, sizeof path, "%s.txt", dump);
      fp = fopen(path, "w");
    }
    if (!fp) continue;
    for (uint32_t k = 0; k < img->nfuncs; k++) {
      uint32_t at = img->func_off[k], next = k + 1 < img->nfuncs ? img->func_off[k + 1] : img->code_size;
      if (pass == 0)
        fprintf(fp, "%lx %x wasm-function[%u]\n", (unsigned long)(uintptr_t)(img->mem + at), next - at,
                m->nimported_funcs + k);
      else fprintf(fp, "%x %x %u\n", at, next - at, m->nimported_funcs + k);
    }
    fclose(fp);
  }
}

bool aot_compile_instance(wrun_store *s, wrun_instance *inst, rt_error *err) {
  wm_module *m = (wm_module *)inst->module; /* the image slot is a cache on the module */
  uint32_t want = aot_options_for(&s->cfg);
  aot_image *img = m->aot_image;
  if (!img) {
    if (!aot_compile_module(m, want, &img, err)) return false;
    aot_attach_image(m, img);
  }
  if (!img->executable) /* cross-compiled: never mapped, never run */
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "the compiled code is for %s, not this machine",
                       aot_arch_name(img->arch));
  if ((want & AOT_OPT_INTERRUPTIBLE) && !(img->options & AOT_OPT_INTERRUPTIBLE))
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET,
                         "the compiled code has no interrupt checks (needed for --timeout): "
                         "recompile with `wrun compile --interruptible`");
  if ((want & AOT_OPT_BOUNDS_CHECKS) && !(img->options & AOT_OPT_BOUNDS_CHECKS))
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET,
                         "the compiled code relies on guard pages, which this build does not use");
  if (img->nfuncs != m->nfuncs - m->nimported_funcs)
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "compiled code does not match the module");
  aot_code *code = calloc(1, sizeof *code);
  const wm_functype **types = calloc(m->ntypes + 1, sizeof *types);
  if (!code || !types) {
    free(code);
    free(types);
    return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
  }
  for (uint32_t i = 0; i < m->ntypes; i++) types[i] = &m->types[i].func;
  code->img = img;
  code->types = types;
  code->enter = (void (*)(aot_ctx *, const void *, uint64_t *, int))(void *)img->mem;
  aot_ctx *ctx = &code->ctx;
  ctx->mem0 = m->nmems ? inst->mems[0] : NULL;
  ctx->mem_base = ctx->mem0 ? ctx->mem0->base : NULL;
  ctx->interrupt = &s->interrupt;
  ctx->globals = inst->globals;
  ctx->funcs = inst->funcs;
  ctx->tables = inst->tables;
  ctx->store = s;
  ctx->inst = inst;
  ctx->types = types;
  aot_init_helpers(ctx);
  for (uint32_t k = 0; k < img->nfuncs; k++) {
    wrun_func *f = inst->funcs[m->nimported_funcs + k];
    f->aot_result = (uint8_t)result_kind(f->type); /* once here, not per call */
    f->aot_entry = img->mem + img->func_off[k];
  }
  inst->aot = code;
  dump_code(m, img);
  return true;
}

/* The calling thread's stack, [lo, hi), looked up once per thread. */
static _Thread_local RT_TLS_FAST uintptr_t thread_stack_lo, thread_stack_hi; /* rt.h */

/* The main thread's stack [bottom, *top), or NULL if unknown or not on the
 * main thread. glibc's pthread_getattr_np finds it by reading
 * /proc/self/maps, about 55 us, a third of what running a compiled hello
 * costs; the same answer is at hand: the kernel copies the program's file
 * name (AT_EXECFN) to the very top of the stack, ending a pointer's width
 * below it, and the stack may grow down to RLIMIT_STACK below that top,
 * which is the size glibc reports too. */
static void *main_stack_bottom(uintptr_t *top_out) {
  const char *execfn = (const char *)getauxval(AT_EXECFN);
  struct rlimit rl;
  if (gettid() != getpid() || !execfn || getrlimit(RLIMIT_STACK, &rl) != 0 || rl.rlim_cur == RLIM_INFINITY)
    return NULL;
  uintptr_t page = (uintptr_t)sysconf(_SC_PAGESIZE);
  uintptr_t top = ((uintptr_t)execfn + strlen(execfn) + 1 + sizeof(void *) + page - 1) & ~(page - 1);
  if (rl.rlim_cur >= top) return NULL;
  *top_out = top;
  return (void *)((top - (uintptr_t)rl.rlim_cur + page - 1) & ~(page - 1));
}

static void thread_stack(uintptr_t here) {
  pthread_attr_t a;
  uintptr_t top = 0;
  void *lo = main_stack_bottom(&top);
  size_t size = lo ? top - (uintptr_t)lo : 0;
  if (!lo && pthread_getattr_np(pthread_self(), &a) == 0) {
    pthread_attr_getstack(&a, &lo, &size);
    pthread_attr_destroy(&a);
  }
  if (lo && (uintptr_t)lo < here && here < (uintptr_t)lo + size) {
    thread_stack_lo = (uintptr_t)lo;
    thread_stack_hi = (uintptr_t)lo + size;
  } else { /* unknown: assume a small stack below here */
    thread_stack_lo = here - 768 * 1024;
    thread_stack_hi = here + 1;
  }
}

/* The lowest address compiled code may push the stack to: the thread's
 * stack bottom plus a margin for helpers, host functions and the signal
 * handler. */
static uintptr_t stack_floor(uintptr_t here) {
  if (!thread_stack_hi || here < thread_stack_lo || here >= thread_stack_hi) thread_stack(here);
  uintptr_t floor = thread_stack_lo + 256 * 1024;
  if (floor >= here) floor = here - 512 * 1024;
  return floor;
}

/* The defined function whose code holds image offset `off`: the last entry
 * at or below it (entries ascend). */
static uint32_t func_at(const aot_image *img, uint32_t off) {
  uint32_t lo = 0, hi = img->nfuncs;
  while (hi - lo > 1) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (img->func_off[mid] <= off) lo = mid;
    else hi = mid;
  }
  return lo;
}

/* Reverses the n frames captured innermost first above ex's entry frame
 * into the frame stack's order (outermost first) and keeps them. */
static void keep_frames(rt_exec *ex, uint32_t n) {
  wrun_store *s = ex->store;
  uint32_t at = ex->aot_base;
  if (!n) return;
  for (uint32_t i = 0; i < n / 2; i++) {
    rt_frame_info t = s->frames[at + i];
    s->frames[at + i] = s->frames[at + n - 1 - i];
    s->frames[at + n - 1 - i] = t;
  }
  s->nframes = at + n;
}

/* Room for compiled frames in ex's store above its entry frame (0: none). */
static uint32_t frame_room(const rt_exec *ex) {
  const wrun_store *s = ex->store;
  if (!ex->aot || !s->frames || ex->aot_base >= s->cap_frames) return 0;
  return s->cap_frames - ex->aot_base;
}

uint32_t aot_image_position(const aot_image *img, uint32_t k, uint32_t module_start, uintptr_t pc,
                            codemap_frame *out, uint32_t max) {
  out[0].woff = module_start;
  if (!img->codemap_off || k >= img->nfuncs) return 1;
  uintptr_t entry = (uintptr_t)img->mem + img->func_off[k];
  uint32_t at = img->codemap_off[k], end = img->codemap_off[k + 1];
  if (pc < entry || at > end || end > img->codemap_size) return 1;
  return codemap_lookup(img->codemap + at, end - at, module_start, (uint32_t)(pc - entry), out, max);
}

/* Puts the frames of image function k at `pos` (its trapping pc, or a
 * return address minus one) at positions i, i+1, ... of ex's captured
 * frames, innermost first: the callees inlined there, then k itself.
 * Returns how many (at most room - i). */
static uint32_t put_frame(rt_exec *ex, uint32_t i, uint32_t room, uint32_t k, uintptr_t pos) {
  const aot_code *code = ex->aot;
  const wm_module *m = code->ctx.inst->module;
  uint32_t index = m->nimported_funcs + k;
  codemap_frame fr[CODEMAP_MAX_DEPTH];
  uint32_t start = index < m->nfuncs ? (uint32_t)m->funcs[index].code_offset : 0;
  uint32_t n = aot_image_position(code->img, k, start, pos, fr, CODEMAP_MAX_DEPTH), put = 0;
  fr[0].func = index;
  for (uint32_t d = n; d-- > 0 && i + put < room;) {
    uint32_t f = fr[d].func < m->nfuncs ? fr[d].func : index; /* a damaged map names no other function */
    ex->store->frames[ex->aot_base + i + put++] = rt_frame_compiled(code->ctx.funcs[f], fr[d].woff);
  }
  return put;
}

void aot_capture_frames(rt_exec *ex, uintptr_t pc, uintptr_t sp) {
  uint32_t room = frame_room(ex);
  if (!room) return;
  const aot_image *img = ex->aot->img;
  uintptr_t lo = (uintptr_t)img->mem + AOT_TRAMPOLINE_SIZE, hi = (uintptr_t)img->mem + img->code_size;
  uint32_t n = 0;
  /* innermost first, from the frame sizes: inside a body, the return address
   * is at sp + frame and the caller's sp just above it */
  bool first = true; /* pc is the trapping instruction's; below it, return addresses */
  while (pc >= lo && pc < hi && n < room && img->nfuncs) {
    uintptr_t pos = first ? pc : pc - 1;
    first = false;
    uint32_t k = func_at(img, (uint32_t)(pos - (uintptr_t)img->mem));
    n += put_frame(ex, n, room, k, pos);
    uintptr_t slot = sp + img->func_off[img->nfuncs + k];
    if (slot < sp || slot + 8 > ex->aot_sp_limit) break;
    memcpy(&pc, (const void *)slot, sizeof pc);
    sp = slot + 8;
  }
  keep_frames(ex, n);
}

void aot_trace_after_call(rt_exec *ex, uintptr_t pc, uintptr_t sp) {
  wrun_store *s = ex->store;
  uint32_t base = ex->aot_base;
  if (!s->ntrace || base >= s->ntrace || base >= s->nframes || s->trace[base].func != s->frames[base].func ||
      rt_frame_compiled_offset(&s->trace[base]) != UINT32_MAX)
    return; /* not the trace of this call, or this level's frames are in it already */
  aot_capture_frames(ex, pc, sp);
  uint32_t n = s->nframes - base;
  if (!n) return;
  uint32_t total = s->ntrace - 1 + n;
  if (total > s->cap_trace) {
    rt_frame_info *t = realloc(s->trace, total * sizeof *t);
    if (!t) return; /* the trace keeps the entry frame only */
    s->trace = t;
    s->cap_trace = total;
  }
  memmove(s->trace + base + n, s->trace + base + 1, (s->ntrace - base - 1) * sizeof *s->trace);
  memcpy(s->trace + base, s->frames + base, n * sizeof *s->trace);
  s->ntrace = total;
}

uint32_t aot_walk_frame_records(const aot_image *img, uintptr_t pc, uintptr_t sp, uintptr_t fp, uintptr_t lr,
                                uint32_t record_after, uintptr_t stack_hi,
                                void (*visit)(void *arg, uint32_t k, uintptr_t pos), void *arg, uint32_t max) {
  uintptr_t base = (uintptr_t)img->mem, lo = base + AOT_TRAMPOLINE_SIZE, hi = base + img->code_size;
  uintptr_t floor = sp; /* the next record must lie at or above this */
  uint32_t n = 0;
  while (pc >= lo && pc < hi && n < max && img->nfuncs) {
    uintptr_t pos = n ? pc - 1 : pc; /* below the innermost frame, return addresses */
    uint32_t k = func_at(img, (uint32_t)(pos - base));
    visit(arg, k, pos);
    if (n++ == 0 && pc - (base + img->func_off[k]) < record_after) {
      /* stopped before its record was stored: fp is still the caller's,
       * and the way back is in the link register */
      pc = lr;
      continue;
    }
    if (fp % 16 || fp < floor || fp > stack_hi || stack_hi - fp < 16) break;
    uintptr_t rec[2]; /* the caller's fp, the return address */
    memcpy(rec, (const void *)fp, sizeof rec);
    floor = fp + 16;
    fp = rec[0];
    pc = rec[1];
  }
  return n;
}

/* aot_walk_frame_records' visitor for a fault: into the store's frames. */
typedef struct frame_sink {
  rt_exec *ex;
  uint32_t n, room;
} frame_sink;

static void sink_frame(void *arg, uint32_t k, uintptr_t pos) {
  frame_sink *f = arg;
  f->n += put_frame(f->ex, f->n, f->room, k, pos);
}

/* The frames active at a fault in code of a target with frame records. */
static void capture_records(rt_exec *ex, const aot_target *t, const void *uctx) {
  uint32_t room = frame_room(ex);
  if (!room) return;
  uintptr_t pc, sp, fp, lr;
  t->signal_pc_sp(uctx, &pc, &sp);
  t->signal_fp_lr(uctx, &fp, &lr);
  frame_sink f = {ex, 0, room};
  aot_walk_frame_records(ex->aot->img, pc, sp, fp, lr, t->record_after, ex->aot_sp_limit, sink_frame, &f, room);
  keep_frames(ex, f.n);
}

const void *aot_osr_entry(const wrun_instance *inst, uint32_t index, uint32_t wasm_off) {
  const aot_image *img = inst->aot ? inst->aot->img : NULL;
  if (!img || !img->nosr || index < inst->module->nimported_funcs) return NULL;
  uint32_t k = index - inst->module->nimported_funcs, lo = 0, hi = img->nosr;
  while (lo < hi) { /* the first entry at or after (k, wasm_off) */
    uint32_t mid = lo + (hi - lo) / 2;
    const aot_osr *o = &img->osr[mid];
    if (o->func < k || (o->func == k && o->wasm_off < wasm_off)) lo = mid + 1;
    else hi = mid;
  }
  if (lo == img->nosr || img->osr[lo].func != k || img->osr[lo].wasm_off != wasm_off) return NULL;
  return img->mem + img->osr[lo].code_off;
}

/* Sets how deep compiled code of `code` may grow the native stack of the
 * thread at `here` (out of aot_invoke_at's path: once per thread). */
static __attribute__((noinline, cold)) void set_stack_limit(const wrun_store *s, aot_code *code, uintptr_t here) {
  uintptr_t floor = stack_floor(here);
  /* --max-stack bounds the native stack compiled code may use */
  if (s->cfg.stack_bytes && here - floor > s->cfg.stack_bytes) floor = here - s->cfg.stack_bytes;
  code->ctx.stack_limit = floor;
}

bool aot_invoke(wrun_store *s, wrun_func *f, uint64_t *sp) { return aot_invoke_at(s, f, sp, f->aot_entry); }

bool aot_invoke_at(wrun_store *s, wrun_func *f, uint64_t *sp, const void *entry) {
  aot_code *code = f->inst->aot;
  rt_exec ex;
  ex.outer = rt_current_exec;
  ex.store = s;
  ex.in_wasm = true;
  ex.aot = code;
  ex.aot_base = s->nframes;
  ex.aot_sp_limit = (uintptr_t)&ex; /* every compiled frame of this call lies below */
  uint32_t base_depth = s->nframes;
  /* Computed once per thread an instance runs on: normally one, but `wrun
   * serve` may run an instance's later calls on another thread than its
   * first (a slow handler leaves its loop thread, docs/serve.md). */
  uintptr_t here = (uintptr_t)&ex;
  if (__builtin_expect(!code->ctx.stack_limit || here < thread_stack_lo || here >= thread_stack_hi ||
                           code->ctx.stack_limit < thread_stack_lo || code->ctx.stack_limit >= thread_stack_hi,
                       0))
    set_stack_limit(s, code, here);
  if (s->nframes < s->cap_frames) s->frames[s->nframes++] = (rt_frame_info){f, NULL, NULL, NULL};
  bool ok;
  if (RT_LAND(ex.unwind)) { /* rt.h */
    if (ex.unwind_why == RT_UNWIND_GUARD_PAGE) rt_set_trap(s, WRUN_TRAP_MEMORY_OOB, NULL);
    ok = false;
  } else {
    rt_current_exec = &ex;
    code->enter(&code->ctx, entry, sp, f->aot_result); /* see result_kind */
    ok = true;
  }
  rt_current_exec = ex.outer;
  s->nframes = base_depth;
  return ok;
}

/* ---- the tier's operations for the runtime (tier.h) ------------------------- */

/* The module's image for instances under cfg, compiled once. */
static bool prepare_module(const wm_module *m, const rt_config *cfg, rt_error *err) {
  if (m->aot_image) return true;
  aot_image *img;
  if (!aot_compile_module(m, aot_options_for(cfg), &img, err)) return false;
  aot_attach_image((wm_module *)m, img); /* the image slot is a cache on the module */
  return true;
}

static void free_instance_code(wrun_instance *inst) {
  aot_code_free(inst->aot);
  inst->aot = NULL;
}

/* From the fault handler: the faulting pc and sp through the host target's
 * reading of the signal context (async-signal-safe: no allocation). */
static void capture_from_signal(rt_exec *ex, const void *uctx) {
  const aot_target *t = aot_target_host();
  if (!t) return;
  if (t->signal_fp_lr) {
    capture_records(ex, t, uctx);
    return;
  }
  uintptr_t pc, sp;
  t->signal_pc_sp(uctx, &pc, &sp);
  aot_capture_frames(ex, pc, sp);
}

const rt_tier_ops aot_tier_ops = {
    .name = "aot",
    .invoke = aot_invoke,
    .prepare_module = prepare_module,
    .attach_instance = aot_compile_instance,
    .free_instance_code = free_instance_code,
    .capture_frames = capture_from_signal,
};
