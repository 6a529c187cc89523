/*
 * component_call.c — a host embedding a component: load it, list its
 * imports and exports, instantiate it with WASI 0.2 and two host functions,
 * then either call one export with arguments in WAVE text or run it as a
 * command (wasi:cli/run) and report its exit code.
 *
 *   component_call COMP.wasm FUNC [WAVE_ARG...]   # prints "result: TEXT"
 *   component_call COMP.wasm --run [GUEST_ARG...] # prints "exit code N"
 *
 * The host provides `log: func(msg: string) -> u32` (prints the message,
 * answers its length) and `test:demo/math@0.1.0#mul: func(a: u32, b: u32)
 * -> u32`, as tests/component/inst-host.wasm imports them:
 *   component_call tests/component/inst-host.wasm run 3   # result: 45
 *
 * Build against an installed wrun:
 *   cc component_call.c $(pkg-config --cflags --libs wrun)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wrun.h>

#include "example_util.h"

/* log(msg) -> u32: the message's length in bytes (it arrives as a WAVE string). */
static void host_log(void *env, const char *const args[], size_t nargs, wrun_component_reply_t *reply) {
  (void)env;
  (void)nargs;
  size_t len = strlen(args[0]);
  printf("log %s\n", args[0]);
  char text[32];
  snprintf(text, sizeof text, "%zu", len >= 2 ? len - 2 : 0); /* without the quotes (no escapes here) */
  wrun_component_reply_result(reply, text);
}

/* mul(a, b) -> u32; traps on overflow, to show a host trap. */
static void host_mul(void *env, const char *const args[], size_t nargs, wrun_component_reply_t *reply) {
  (void)env;
  (void)nargs;
  unsigned long long a = strtoull(args[0], NULL, 10), b = strtoull(args[1], NULL, 10);
  if (a && b > 0xffffffffull / a) {
    wrun_component_reply_trap(reply, "mul: overflow");
    return;
  }
  char text[32];
  snprintf(text, sizeof text, "%llu", a * b);
  wrun_component_reply_result(reply, text);
}

/* Prints an error as "PREFIX: MESSAGE", deletes it, and gives exit status 1. */
static int fail(const char *prefix, wrun_error_t *err) {
  fprintf(stderr, "%s: %s\n", prefix, wrun_error_message(err));
  wrun_error_delete(err);
  return 1;
}

static int use(const char *prog, wasm_store_t *store, const wrun_component_t *comp, int argc, char **argv) {
  wrun_component_host_t *host = wrun_component_host_new();
  if (!host) return fprintf(stderr, "%s: out of memory\n", prog), 1;
  wrun_error_t *err = wrun_component_host_add_func(host, NULL, "log", "func(msg: string) -> u32", host_log, NULL, NULL);
  if (!err)
    err = wrun_component_host_add_func(host, "test:demo/math@0.1.0", "mul", "func(a: u32, b: u32) -> u32", host_mul,
                                       NULL, NULL);
  int status = 0;
  wrun_component_instance_t *inst = err ? NULL : wrun_component_instantiate(store, comp, host, &err);
  if (!inst) {
    status = fail(prog, err);
  } else if (strcmp(argv[0], "--run") == 0) {
    int code;
    if ((err = wrun_component_run(inst, &code))) status = fail(prog, err);
    else printf("exit code %d\n", code);
  } else {
    wasm_byte_vec_t result;
    if ((err = wrun_component_call(inst, argv[0], (const char *const *)argv + 1, (size_t)argc - 1, &result))) {
      status = fail(prog, err);
    } else {
      printf("result: %s\n", result.size ? result.data : "(none)");
      wasm_byte_vec_delete(&result);
    }
  }
  wrun_component_instance_delete(inst);
  wrun_component_host_delete(host);
  return status;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s COMP.wasm FUNC [WAVE_ARG...] | --run [GUEST_ARG...]\n", argv[0]);
    return 2;
  }
  wasm_byte_vec_t bytes;
  if (!example_read_file(argv[1], &bytes)) {
    perror(argv[1]);
    return 1;
  }
  wasm_engine_t *engine = wasm_engine_new();
  wrun_error_t *err = NULL;
  wrun_component_t *comp = wrun_component_new(engine, (const uint8_t *)bytes.data, bytes.size, &err);
  wasm_byte_vec_delete(&bytes);
  int status = 1;
  if (!comp) {
    status = fail(argv[1], err);
  } else {
    const char *name, *type;
    for (size_t i = 0; wrun_component_import(comp, i, &name, &type); i++) printf("import %s: %s\n", name, type);
    for (size_t i = 0; wrun_component_export(comp, i, &name, &type); i++) printf("export %s: %s\n", name, type);
    wasm_store_t *store = wasm_store_new(engine);
    wrun_wasi_config_t *wc = wrun_wasi_config_new();
    /* the guest's arguments: its name, then what follows --run */
    const char **gargv = calloc((size_t)argc, sizeof *gargv);
    if (store && wc && gargv) {
      gargv[0] = argv[1];
      int gargc = 1;
      if (strcmp(argv[2], "--run") == 0)
        for (int i = 3; i < argc; i++) gargv[gargc++] = argv[i];
      if (!wrun_wasi_config_set_args(wc, (size_t)gargc, gargv)) {
        fprintf(stderr, "%s: out of memory\n", argv[0]);
      } else {
        err = wrun_store_set_wasi(store, wc);
        wc = NULL; /* the store has it, or a failed attach freed it */
        status = err ? fail(argv[0], err) : use(argv[0], store, comp, argc - 2, argv + 2);
      }
    }
    free(gargv);
    wrun_wasi_config_delete(wc);
    wasm_store_delete(store);
    wrun_component_delete(comp);
  }
  wasm_engine_delete(engine);
  return status;
}
