/*
 * inst_bench.c — what `wrun serve` pays per request to make and drop a fresh
 * instance: serve_instance_new (store, host functions for every import,
 * instantiation, _initialize/_start) and serve_instance_free, exactly as the
 * http-wasm handler calls them, with the http_handler imports bound to
 * functions that do nothing. Prints the median of 9 batches in microseconds.
 *   bench_serve_inst MODULE.wasm [ITERATIONS_PER_BATCH] [--aot]
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aot/aot.h"
#include "serve/instance.h"
#include "valid/valid.h"

static bool nothing(wrun_caller *c, void *env, uint64_t *slots) {
  (void)c, (void)env;
  slots[0] = 0;
  return true;
}

static bool link_dummy(void *env, wrun_store *s, const wasm_module *m, uint32_t i, wrun_extern *out, wrun_error *err) {
  const wasm_import *im = &m->imports[i];
  if (im->kind != WASM_EXTERN_FUNC)
    return wrun_error_at(err, WRUN_ERR_LINK, im->offset, "only function imports are benchmarked");
  out->kind = WASM_EXTERN_FUNC;
  out->of.func = wrun_func_new_host(s, wasm_module_func_type(m, im->index), nothing, env, im->field.ptr);
  return out->of.func != NULL;
}

static double now_us(void) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
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
  wrun_error err;
  wrun_error_clear(&err);
  wasm_module *m = wasm_module_decode(bytes, (size_t)len, &err);
  if (!m || !wasm_module_validate(m, &err)) {
    fprintf(stderr, "%s: %s\n", argv[1], err.message);
    return 1;
  }
  serve_limits lim = {.max_stack = 128 << 10, .max_call_depth = 512, .aot = aot};
  if (aot) { /* compiled once, as serve gets it from the compile cache */
    wrun_config cfg = {.aot = true};
    aot_image *img;
    if (!aot_compile_module(m, aot_options_for(&cfg), &img, &err)) {
      fprintf(stderr, "%s: aot: %s\n", argv[1], err.message);
      return 1;
    }
    aot_attach_image(m, img);
  }
  double batches[9];
  for (int b = 0; b < 9; b++) {
    double t0 = now_us();
    for (int i = 0; i < iters; i++) {
      serve_instance si;
      if (!serve_instance_new(m, &lim, argv[1], NULL, link_dummy, NULL, &si, &err)) {
        fprintf(stderr, "%s: %s\n", argv[1], err.message);
        return 1;
      }
      serve_instance_free(&si);
    }
    batches[b] = (now_us() - t0) / iters;
  }
  qsort(batches, 9, sizeof *batches, cmp_double);
  printf("instantiate + free (%s, %s): %.2f us median of 9 x %d\n", argv[1], aot ? "aot" : "interpreter", batches[4],
         iters);
  wasm_module_free(m);
  free(bytes);
  return 0;
}
