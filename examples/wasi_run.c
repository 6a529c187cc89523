/*
 * wasi_run.c — a WASI program run inside a host (wrun.h): the guest gets
 * two arguments, one environment variable, a read-only directory as /data,
 * and its stdout redirected to a file; the host runs _start and reports
 * the exit status the guest gave proc_exit.
 *
 *   wasi_run examples/wasi_app.wasm DATA_DIR STDOUT_FILE STATUS
 * exits with 0 when the guest exited with STATUS; prints "exit status N".
 */
#include <stdio.h>
#include <stdlib.h>

#include <wrun.h>

#include "example_util.h"

int main(int argc, char **argv) {
  wasm_byte_vec_t bytes;
  if (argc != 5 || !example_read_file(argv[1], &bytes)) {
    fprintf(stderr, "usage: %s APP.wasm DATA_DIR STDOUT_FILE STATUS (APP.wasm readable)\n", argv[0]);
    return 2;
  }
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wrun_error_t *err = NULL;
  wasm_module_t *module = wrun_module_new(engine, (const uint8_t *)bytes.data, bytes.size, &err);
  wasm_byte_vec_delete(&bytes);
  int status = 1;
  wasm_extern_vec_t imports = WASM_EMPTY_VEC;
  wasm_instance_t *inst = NULL;
  wasm_extern_t *start = NULL;
  if (!module) goto done;

  wrun_wasi_config_t *wasi = wrun_wasi_config_new();
  const char *guest_argv[] = {"app", argv[4]};
  if (!wasi || !wrun_wasi_config_set_args(wasi, 2, guest_argv) ||
      !wrun_wasi_config_add_env(wasi, "GREETING", "hello from the host") ||
      !wrun_wasi_config_preopen_dir(wasi, argv[2], "/data", true) ||
      !wrun_wasi_config_set_stdio_file(wasi, 1, argv[3])) {
    fprintf(stderr, "%s: cannot configure WASI (stdout file %s)\n", argv[0], argv[3]);
    wrun_wasi_config_delete(wasi);
    goto done;
  }
  if ((err = wrun_store_set_wasi(store, wasi)) || (err = wrun_wasi_imports(store, module, &imports))) goto done;
  for (size_t i = 0; i < imports.size; i++)
    if (!imports.data[i]) {
      fprintf(stderr, "%s: the program imports something other than WASI (import %zu)\n", argv[0], i);
      goto done;
    }
  inst = wrun_instance_new(store, module, &imports, &err);
  start = inst ? wrun_instance_export(inst, "_start") : NULL;
  if (!start) {
    if (!err) fprintf(stderr, "%s: no _start\n", argv[0]);
    goto done;
  }
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_trap_t *trap = wasm_func_call(wasm_extern_as_func(start), &none, &none);
  int code = 0; /* returning from _start is exit status 0 */
  if (trap && !wrun_trap_exit_code(trap, &code)) {
    example_report_trap("trap", trap);
    goto done;
  }
  wasm_trap_delete(trap);
  printf("exit status %d\n", code);
  status = code == atoi(argv[4]) ? 0 : 1;
done:
  if (err) fprintf(stderr, "%s: %s\n", argv[0], wrun_error_message(err));
  wrun_error_delete(err);
  wasm_extern_delete(start);
  wasm_instance_delete(inst);
  wasm_extern_vec_delete(&imports);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return status;
}
