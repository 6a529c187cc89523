/*
 * trap.c — a trap and its trace (wasm.h, and wrun.h for the cause): calls
 * outer(0) of examples/trap.wasm, which divides by zero two calls deep, and
 * prints the trap's message and frames (function index and module offset of
 * each, innermost first). Exit 0 when the trace is inner, middle, outer.
 *
 *   trap examples/trap.wasm
 */
#include <stdio.h>

#include <wrun.h>

#include "example_util.h"

int main(int argc, char **argv) {
  wasm_byte_vec_t bytes;
  if (argc != 2 || !example_read_file(argv[1], &bytes)) {
    fprintf(stderr, "usage: %s trap.wasm (readable)\n", argv[0]);
    return 2;
  }
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wasm_module_t *module = wasm_module_new(store, &bytes);
  wasm_byte_vec_delete(&bytes);
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  wasm_instance_t *inst = module ? wasm_instance_new(store, module, &none, NULL) : NULL;
  wasm_extern_t *outer = inst ? wrun_instance_export(inst, "outer") : NULL;
  if (!outer) {
    fprintf(stderr, "%s: %s: no export 'outer'\n", argv[0], argv[1]);
    return 1;
  }
  wasm_val_t args[] = {WASM_I32_VAL(0)}, res[] = {WASM_INIT_VAL};
  wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args), res_vec = WASM_ARRAY_VEC(res);
  wasm_trap_t *trap = wasm_func_call(wasm_extern_as_func(outer), &arg_vec, &res_vec);
  int status = 1;
  if (!trap) {
    fprintf(stderr, "%s: outer(0) returned %d instead of trapping\n", argv[0], res[0].of.i32);
  } else {
    wasm_message_t msg;
    wasm_trap_message(trap, &msg);
    printf("trap: %s (cause %d)\n", msg.data, (int)wrun_trap_cause(trap));
    wasm_frame_t *origin = wasm_trap_origin(trap);
    wasm_frame_vec_t trace;
    wasm_trap_trace(trap, &trace);
    uint32_t expect[] = {0, 1, 2}; /* inner, middle, outer */
    bool as_expected = trace.size == 3 && origin && wasm_frame_func_index(origin) == 0 &&
                       wrun_trap_cause(trap) == WRUN_CAUSE_WASM;
    for (size_t i = 0; i < trace.size; i++) {
      wasm_frame_t *f = trace.data[i];
      printf("  #%zu func %u at module offset 0x%zx%s\n", i, wasm_frame_func_index(f), wasm_frame_module_offset(f),
             wasm_instance_same(wasm_frame_instance(f), inst) ? "" : " (another instance?)");
      as_expected = as_expected && i < 3 && wasm_frame_func_index(f) == expect[i] &&
                    wasm_instance_same(wasm_frame_instance(f), inst);
    }
    status = as_expected ? 0 : 1;
    wasm_frame_delete(origin);
    wasm_frame_vec_delete(&trace);
    wasm_byte_vec_delete(&msg);
    wasm_trap_delete(trap);
  }
  wasm_extern_delete(outer);
  wasm_instance_delete(inst);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return status;
}
