/*
 * udf.c — the shape of a database UDF host: one export called a million
 * times with fresh arguments, the results checked against the same formula
 * in C. Prints the time per call (host -> wasm, including the argument and
 * result conversions of wasm_func_call).
 *
 *   udf examples/udf.wasm [CALLS] [aot]
 */
#define _POSIX_C_SOURCE 200809L /* clock_gettime in strict C11 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <wrun.h>

#include "example_util.h"

static int64_t score_in_c(int64_t a, int64_t b) { return a * 31 + (b ^ (int64_t)((uint64_t)b >> 7)); }

int main(int argc, char **argv) {
  wasm_byte_vec_t bytes;
  if (argc < 2 || !example_read_file(argv[1], &bytes)) {
    fprintf(stderr, "usage: %s udf.wasm [CALLS] [aot]\n", argv[0]);
    return 2;
  }
  long calls = argc > 2 ? atol(argv[2]) : 1000000;
  wasm_config_t *cfg = wasm_config_new();
  if (argc > 3 && strcmp(argv[3], "aot") == 0) wrun_config_set_tier(cfg, WRUN_TIER_AOT);
  wasm_engine_t *engine = wasm_engine_new_with_config(cfg);
  wasm_store_t *store = wasm_store_new(engine);
  wrun_error_t *err = NULL;
  wasm_module_t *module = wrun_module_new(engine, (const uint8_t *)bytes.data, bytes.size, &err);
  wasm_byte_vec_delete(&bytes);
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  wasm_instance_t *inst = module ? wrun_instance_new(store, module, &none, &err) : NULL;
  wasm_extern_t *score = inst ? wrun_instance_export(inst, "score") : NULL;
  if (!score) {
    fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], err ? wrun_error_message(err) : "no export 'score'");
    return 1;
  }
  const wasm_func_t *f = wasm_extern_as_func(score);
  wasm_val_t args[2], res[1];
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args), res_vec = WASM_ARRAY_VEC(res);
  long wrong = 0;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  for (long i = 0; i < calls; i++) {
    args[0].kind = args[1].kind = WASM_I64;
    args[0].of.i64 = i;
    args[1].of.i64 = i * 7919;
    wasm_trap_t *trap = wasm_func_call(f, &arg_vec, &res_vec);
    if (trap) {
      example_report_trap("score", trap);
      return 1;
    }
    wrong += res[0].of.i64 != score_in_c(i, i * 7919);
  }
  clock_gettime(CLOCK_MONOTONIC, &t1);
  double ns = ((double)(t1.tv_sec - t0.tv_sec) * 1e9 + (double)(t1.tv_nsec - t0.tv_nsec)) / (double)(calls ? calls : 1);
  printf("%ld calls, %ld wrong results, %.1f ns per call\n", calls, wrong, ns);
  wasm_extern_delete(score);
  wasm_instance_delete(inst);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return wrong ? 1 : 0;
}
