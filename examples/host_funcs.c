/*
 * host_funcs.c — host functions imported by a module, with the standard C
 * API only (wasm.h): env.log has no environment, env.accumulate keeps a
 * running total in an environment the store finalizes when it is deleted.
 *
 *   host_funcs examples/host_funcs.wasm 5
 * prints "log 0" .. "log 4", "total 10", "finalized: 5 calls".
 */
#include <stdio.h>
#include <stdlib.h>

#include <wasm.h>

#include "example_util.h"

typedef struct accumulator {
  int64_t total;
  int calls;
} accumulator;

static wasm_trap_t *log_cb(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)results;
  printf("log %d\n", args->data[0].of.i32);
  return NULL;
}

static wasm_trap_t *accumulate_cb(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  accumulator *acc = env;
  acc->total += args->data[0].of.i64;
  acc->calls++;
  results->data[0].kind = WASM_I64;
  results->data[0].of.i64 = acc->total;
  return NULL;
}

static void accumulator_free(void *env) {
  accumulator *acc = env;
  printf("finalized: %d calls\n", acc->calls);
  free(acc);
}

int main(int argc, char **argv) {
  if (argc != 3) {
    fprintf(stderr, "usage: %s host_funcs.wasm N\n", argv[0]);
    return 2;
  }
  wasm_byte_vec_t bytes;
  if (!example_read_file(argv[1], &bytes)) {
    perror(argv[1]);
    return 1;
  }
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = wasm_module_new(store, &bytes);
  wasm_byte_vec_delete(&bytes);
  if (!module) {
    fprintf(stderr, "%s: %s: not a valid module\n", argv[0], argv[1]);
    return 1;
  }

  /* The imports, in the module's import order: log, accumulate. */
  wasm_functype_t *log_type = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_functype_t *acc_type = wasm_functype_new_1_1(wasm_valtype_new_i64(), wasm_valtype_new_i64());
  accumulator *acc = calloc(1, sizeof *acc);
  wasm_func_t *log_fn = wasm_func_new(store, log_type, log_cb);
  wasm_func_t *acc_fn = wasm_func_new_with_env(store, acc_type, accumulate_cb, acc, accumulator_free);
  wasm_functype_delete(log_type);
  wasm_functype_delete(acc_type);
  wasm_extern_t *imports[] = {wasm_func_as_extern(log_fn), wasm_func_as_extern(acc_fn)};
  wasm_extern_vec_t import_vec = WASM_ARRAY_VEC(imports);
  wasm_trap_t *trap = NULL;
  wasm_instance_t *inst = wasm_instance_new(store, module, &import_vec, &trap);
  int status = 1;
  if (!inst) {
    example_report_trap("instantiate", trap);
  } else {
    wasm_extern_vec_t exports;
    wasm_instance_exports(inst, &exports);
    const wasm_func_t *run = exports.size ? wasm_extern_as_func(exports.data[0]) : NULL;
    wasm_val_t args[] = {WASM_I32_VAL(atoi(argv[2]))}, res[] = {WASM_INIT_VAL};
    wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args), res_vec = WASM_ARRAY_VEC(res);
    if (run && !(trap = wasm_func_call(run, &arg_vec, &res_vec))) {
      printf("total %lld\n", (long long)res[0].of.i64);
      status = 0;
    } else if (trap) {
      example_report_trap("run", trap);
    }
    wasm_extern_vec_delete(&exports);
  }
  wasm_instance_delete(inst);
  wasm_func_delete(log_fn);
  wasm_func_delete(acc_fn);
  wasm_module_delete(module);
  wasm_store_delete(store); /* runs accumulator_free */
  wasm_engine_delete(engine);
  return status;
}
