/*
 * call_export.c — the smallest embedding of wrun: load a binary module, call
 * one of its exports with i32 arguments and print the results. It uses the
 * standard C API (wasm.h) for everything, and wrun.h only to say why a
 * module was rejected.
 *
 *   call_export MODULE.wasm EXPORT [I32_ARG...]
 *   call_export examples/fib.wasm fib 50      # prints 12586269025
 *
 * Build against an installed wrun:
 *   cc call_export.c $(pkg-config --cflags --libs wrun)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wrun.h>

#include "example_util.h"

enum { MAX_VALUES = 16 };

static void print_value(const wasm_val_t *v) {
  switch (v->kind) {
  case WASM_I32: printf("%" PRId32 "\n", v->of.i32); break;
  case WASM_I64: printf("%" PRId64 "\n", v->of.i64); break;
  case WASM_F32: printf("%g\n", (double)v->of.f32); break;
  case WASM_F64: printf("%g\n", v->of.f64); break;
  default: printf("ref %p\n", (void *)v->of.ref); break;
  }
}

/* Calls `f` with the i32 arguments in argv; 0 on success. */
static int call(const char *prog, const wasm_func_t *f, int nargs, char **argv) {
  wasm_val_t args[MAX_VALUES], results[MAX_VALUES];
  if (nargs > MAX_VALUES || wasm_func_result_arity(f) > MAX_VALUES) {
    fprintf(stderr, "%s: at most %d arguments and results\n", prog, MAX_VALUES);
    return 2;
  }
  for (int i = 0; i < nargs; i++) {
    char *end;
    errno = 0;
    long v = strtol(argv[i], &end, 0);
    if (errno || *end || v < INT32_MIN || v > INT32_MAX) {
      fprintf(stderr, "%s: argument %d: not an i32: '%s'\n", prog, i + 1, argv[i]);
      return 2;
    }
    args[i].kind = WASM_I32;
    args[i].of.i32 = (int32_t)v;
  }
  wasm_val_vec_t argv_vec = {(size_t)nargs, args};
  wasm_val_vec_t res_vec = {wasm_func_result_arity(f), results};
  wasm_trap_t *trap = wasm_func_call(f, &argv_vec, &res_vec);
  if (trap) {
    example_report_trap("trap", trap);
    return 1;
  }
  for (size_t i = 0; i < res_vec.size; i++) {
    print_value(&results[i]);
    wasm_val_delete(&results[i]);
  }
  return 0;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODULE.wasm EXPORT [I32_ARG...]\n", argv[0]);
    return 2;
  }
  wasm_byte_vec_t bytes;
  if (!example_read_file(argv[1], &bytes)) {
    fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], strerror(errno));
    return 1;
  }
  int status = 1;
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = engine ? wasm_store_new(engine) : NULL;
  wrun_error_t *err = NULL;
  wasm_module_t *module = store ? wrun_module_new(engine, (const uint8_t *)bytes.data, bytes.size, &err) : NULL;
  wasm_byte_vec_delete(&bytes); /* the module keeps its own copy */
  wasm_extern_vec_t no_imports = WASM_EMPTY_VEC;
  wasm_instance_t *inst = module ? wrun_instance_new(store, module, &no_imports, &err) : NULL;
  wasm_extern_t *ex = inst ? wrun_instance_export(inst, argv[2]) : NULL;
  const wasm_func_t *f = ex ? wasm_extern_as_func(ex) : NULL;
  if (!store) fprintf(stderr, "%s: out of memory\n", argv[0]);
  else if (err) fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], wrun_error_message(err));
  else if (!f) fprintf(stderr, "%s: %s: no exported function '%s'\n", argv[0], argv[1], argv[2]);
  else status = call(argv[0], f, argc - 3, argv + 3);
  wrun_error_delete(err);
  wasm_extern_delete(ex);
  wasm_instance_delete(inst);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return status;
}
