/*
 * memory.c — reading and writing a module's linear memory from the host
 * (wasm.h only): the host writes 1..100 and wasm sums them, wasm fills a
 * range and the host reads it, the memory grows up to its maximum, and an
 * access past its end traps.
 *
 *   memory examples/memory.wasm     # prints what it checked; exit 0 when all held
 */
#include <stdio.h>
#include <string.h>

#include <wasm.h>

#include "example_util.h"

static int failures;

static void check(bool ok, const char *what) {
  printf("%s %s\n", ok ? "ok:" : "FAILED:", what);
  if (!ok) failures++;
}

/* Calls an export with i32 arguments; returns its i32 result, or -1 after
 * printing a trap (*trapped set). */
static int32_t call(const wasm_func_t *f, int32_t a, int32_t b, int32_t c, bool *trapped) {
  wasm_val_t args[3] = {WASM_I32_VAL(a), WASM_I32_VAL(b), WASM_I32_VAL(c)};
  wasm_val_t res[1] = {WASM_I32_VAL(-1)};
  wasm_val_vec_t arg_vec = {wasm_func_param_arity(f), args}, res_vec = {wasm_func_result_arity(f), res};
  wasm_trap_t *trap = wasm_func_call(f, &arg_vec, &res_vec);
  *trapped = trap != NULL;
  if (trap) example_report_trap("trap", trap);
  return res[0].of.i32;
}

int main(int argc, char **argv) {
  wasm_byte_vec_t bytes;
  if (argc != 2 || !example_read_file(argv[1], &bytes)) {
    fprintf(stderr, "usage: %s memory.wasm (readable)\n", argv[0]);
    return 2;
  }
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = wasm_module_new(store, &bytes);
  wasm_byte_vec_delete(&bytes);
  wasm_extern_vec_t none = WASM_EMPTY_VEC, exports = WASM_EMPTY_VEC;
  wasm_instance_t *inst = module ? wasm_instance_new(store, module, &none, NULL) : NULL;
  if (inst) wasm_instance_exports(inst, &exports);
  if (exports.size != 4) {
    fprintf(stderr, "%s: %s: expected a module with 4 exports\n", argv[0], argv[1]);
    return 1;
  }
  /* export order: memory, sum, fill, pages */
  wasm_memory_t *mem = wasm_extern_as_memory(exports.data[0]);
  const wasm_func_t *sum = wasm_extern_as_func(exports.data[1]);
  const wasm_func_t *fill = wasm_extern_as_func(exports.data[2]);
  const wasm_func_t *pages = wasm_extern_as_func(exports.data[3]);
  bool trapped;

  check(wasm_memory_size(mem) == 1 && wasm_memory_data_size(mem) == 65536, "one page, 65536 bytes");
  byte_t *data = wasm_memory_data(mem);
  for (int i = 0; i < 100; i++) data[i] = (byte_t)(i + 1);
  check(call(sum, 0, 100, 0, &trapped) == 5050 && !trapped, "wasm sums the bytes the host wrote: 5050");
  call(fill, 200, 10, 7, &trapped);
  bool all7 = !trapped;
  for (int i = 200; i < 210; i++) all7 = all7 && wasm_memory_data(mem)[i] == 7;
  check(all7 && wasm_memory_data(mem)[210] == 0, "the host reads the bytes wasm filled");
  check(wasm_memory_grow(mem, 1) && wasm_memory_size(mem) == 2, "grows to 2 pages");
  check(call(pages, 0, 0, 0, &trapped) == 2, "wasm sees 2 pages");
  check(!wasm_memory_grow(mem, 3) && wasm_memory_size(mem) == 2, "growing past the maximum (4) fails");
  call(sum, 2 * 65536 - 4, 8, 0, &trapped);
  check(trapped, "reading past the end traps");

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(inst);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return failures ? 1 : 0;
}
