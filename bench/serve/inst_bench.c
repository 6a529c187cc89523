/*
 * inst_bench.c — what `wrun serve` pays per request to make and drop a fresh
 * instance, through the same calls the http-wasm handler makes (instance.h),
 * with the http_handler imports bound to functions that do nothing:
 *   store     serve_instance_new + serve_instance_free: a new store, host
 *             functions, rt_instantiate, _initialize/_start, freeing it all
 *             (the path of modules that import WASI);
 *   template  serve_instance_take + serve_instance_free on a worker's pool
 *             (serve_template_new, serve_pool_new): a pooled copy-on-write
 *             instance, released after (the path of every other module);
 *   +call     the template path with one handle_request call, which touches
 *             the guest's stack and data, so the release has pages to drop
 *             and the next instance faults them in again;
 *   reuse     the same with --reuse-instances (one warm instance).
 * Prints, per path, the median of 9 batches in microseconds: wall time and
 * the thread's CPU time (the machine is shared; CPU time is the cost).
 *   bench_serve_inst MODULE.wasm [ITERATIONS_PER_BATCH] [--aot]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aot/aot.h"
#include "serve/instance.h"
#include "valid/valid.h"

static bool nothing(rt_caller *c, void *env, uint64_t *slots) {
  (void)c, (void)env;
  slots[0] = 0;
  return true;
}

static bool link_dummy(void *env, wrun_store *s, const wm_module *m, uint32_t i, rt_extern *out, rt_error *err) {
  const wm_import *im = &m->imports[i];
  if (im->kind != WASM_EXTERN_FUNC)
    return rt_error_at(err, WRUN_ERR_LINK, im->offset, "only function imports are benchmarked");
  out->kind = WASM_EXTERN_FUNC;
  out->of.func = rt_func_new_host(s, wm_module_func_type(m, im->index), nothing, env, im->field.ptr);
  return out->of.func != NULL;
}

static double now_us(clockid_t clock) {
  struct timespec t;
  clock_gettime(clock, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

enum path { STORE, TEMPLATE, CALL, REUSE };
static const char *const path_names[] = {"store", "template", "template+call", "reuse+call"};

/* One request's instance by `path`; false (message printed) on failure. */
static bool one(enum path path, const wm_module *m, const serve_limits *lim, serve_pool *pool, const char *name) {
  serve_instance si;
  rt_error err;
  rt_error_clear(&err);
  bool ok = path == STORE ? serve_instance_new(m, lim, name, NULL, link_dummy, NULL, &si, &err)
                          : serve_instance_take(pool, NULL, &si, &err);
  if (ok && path >= CALL) {
    rt_val res;
    ok = serve_instance_call(&si, "handle_request", NULL, 0, &res, 1, &err);
  }
  if (!ok) fprintf(stderr, "%s: %s: %s\n", name, path_names[path], err.message);
  serve_instance_free(&si);
  return ok;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static bool export_func(const wm_module *m, const char *name) {
  for (uint32_t i = 0; i < m->nexports; i++)
    if (m->exports[i].kind == WASM_EXTERN_FUNC && strcmp(m->exports[i].name.ptr, name) == 0) return true;
  return false;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_serve_inst MODULE.wasm [ITERATIONS] [--aot]\n");
    return 2;
  }
  int iters = argc > 2 ? atoi(argv[2]) : 2000;
  bool aot = argc > 3 && strcmp(argv[3], "--aot") == 0;
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  fseek(f, 0, SEEK_END);
  long len = ftell(f);
  fseek(f, 0, SEEK_SET);
  uint8_t *bytes = malloc((size_t)len);
  if (!bytes || fread(bytes, 1, (size_t)len, f) != (size_t)len) return 1;
  fclose(f);
  rt_error err;
  rt_error_clear(&err);
  wm_module *m = wm_module_decode(bytes, (size_t)len, &err);
  if (!m || !wm_module_validate(m, &err)) {
    fprintf(stderr, "%s: %s\n", argv[1], err.message);
    return 1;
  }
  serve_limits lim = {.max_stack = 128 << 10, .max_call_depth = 512, .aot = aot};
  if (aot) { /* compiled once, as serve gets it from the compile cache */
    rt_config cfg = {.aot = true};
    aot_image *img;
    if (!aot_compile_module(m, aot_options_for(&cfg), &img, &err)) {
      fprintf(stderr, "%s: aot: %s\n", argv[1], err.message);
      return 1;
    }
    aot_attach_image(m, img);
  }
  serve_template *st = serve_template_new(m, &lim, argv[1], link_dummy, &err);
  if (!st) {
    fprintf(stderr, "%s: template: %s\n", argv[1], err.message);
    return 1;
  }
  serve_pool *pool = serve_pool_new(st, NULL, 0, false), *warm = serve_pool_new(st, NULL, 0, true);
  if (!pool || !warm) return 1;
  bool calls = export_func(m, "handle_request");
  printf("%s (%s, image %llu KiB): us per instance, median of 9 x %d (wall / cpu)\n", argv[1],
         aot ? "aot" : "interpreter", (unsigned long long)(rt_template_image_bytes(serve_template_rt(st)) >> 10), iters);
  for (enum path path = STORE; path <= REUSE; path++) {
    if (path >= CALL && !calls) continue;
    double wall[9], cpu[9];
    for (int b = 0; b < 9; b++) {
      double w0 = now_us(CLOCK_MONOTONIC), c0 = now_us(CLOCK_THREAD_CPUTIME_ID);
      for (int i = 0; i < iters; i++)
        if (!one(path, m, &lim, path == REUSE ? warm : pool, argv[1])) return 1;
      wall[b] = (now_us(CLOCK_MONOTONIC) - w0) / iters;
      cpu[b] = (now_us(CLOCK_THREAD_CPUTIME_ID) - c0) / iters;
    }
    qsort(wall, 9, sizeof *wall, cmp_double);
    qsort(cpu, 9, sizeof *cpu, cmp_double);
    printf("  %-14s %9.2f %9.2f\n", path_names[path], wall[4], cpu[4]);
  }
  serve_pool_free(warm);
  serve_pool_free(pool);
  serve_template_free(st);
  wm_module_free(m);
  free(bytes);
  return 0;
}
