/*
 * plugins.c — a plugin host: loads several untrusted plugins (each a module
 * exporting process(i32) -> i32), shares one engine and the modules between
 * threads, and runs every plugin on its own thread in its own store with a
 * fuel budget and a memory limit. A plugin that loops, traps or asks for
 * too much memory gets a report; the others' results are unaffected.
 *
 *   plugins INPUT PLUGIN.wasm...
 * prints one line per plugin: "NAME: result R" or "NAME: stopped: REASON".
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wrun.h>

#include "example_util.h"

#define FUEL 1000000u             /* about a million instructions per call */
#define MAX_MEMORY (1u << 20)     /* 1 MiB of linear memory per plugin */

typedef struct plugin {
  const char *name;
  wasm_engine_t *engine;
  wasm_shared_module_t *shared;   /* made on the main thread, obtained on the plugin's */
  int32_t input;
  char report[256];
} plugin;

static const char *cause_name(wrun_trap_cause_t c) {
  switch (c) {
  case WRUN_CAUSE_FUEL: return "out of fuel";
  case WRUN_CAUSE_INTERRUPT: return "interrupted";
  case WRUN_CAUSE_STACK: return "stack exhausted";
  case WRUN_CAUSE_WASM: return "trapped";
  default: return "failed";
  }
}

/* One plugin's thread: its own store, instance and call. */
static void *run_plugin(void *arg) {
  plugin *p = arg;
  wasm_store_t *store = wasm_store_new(p->engine);
  wasm_module_t *module = store ? wasm_module_obtain(store, p->shared) : NULL;
  wrun_error_t *err = NULL;
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  wasm_instance_t *inst = module ? wrun_instance_new(store, module, &none, &err) : NULL;
  wasm_extern_t *process = inst ? wrun_instance_export(inst, "process") : NULL;
  const wasm_func_t *f = process ? wasm_extern_as_func(process) : NULL;
  if (!f || wasm_func_param_arity(f) != 1 || wasm_func_result_arity(f) != 1) {
    snprintf(p->report, sizeof p->report, "rejected: %s", err ? wrun_error_message(err) : "no process(i32) -> i32");
  } else {
    wasm_val_t args[] = {WASM_I32_VAL(p->input)}, res[] = {WASM_I32_VAL(0)};
    wasm_val_vec_t arg_vec = WASM_ARRAY_VEC(args), res_vec = WASM_ARRAY_VEC(res);
    wasm_trap_t *trap = wasm_func_call(f, &arg_vec, &res_vec);
    if (trap) {
      wasm_message_t msg;
      wasm_trap_message(trap, &msg);
      snprintf(p->report, sizeof p->report, "stopped: %s (%s)", cause_name(wrun_trap_cause(trap)), msg.data);
      wasm_byte_vec_delete(&msg);
      wasm_trap_delete(trap);
    } else if (res[0].kind != WASM_I32) {
      snprintf(p->report, sizeof p->report, "rejected: process does not return an i32");
    } else {
      snprintf(p->report, sizeof p->report, "result %d", res[0].of.i32);
    }
  }
  wrun_error_delete(err);
  wasm_extern_delete(process);
  wasm_instance_delete(inst);
  wasm_module_delete(module);
  wasm_store_delete(store);
  return NULL;
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s INPUT PLUGIN.wasm...\n", argv[0]);
    return 2;
  }
  int n = argc - 2;
  wasm_config_t *cfg = wasm_config_new();
  wrun_config_set_fuel(cfg, FUEL);
  wrun_config_set_max_memory(cfg, MAX_MEMORY);
  wasm_engine_t *engine = wasm_engine_new_with_config(cfg);
  plugin *plugins = calloc((size_t)n, sizeof *plugins);
  pthread_t *threads = calloc((size_t)n, sizeof *threads);
  bool *started = calloc((size_t)n, sizeof *started);
  if (!engine || !plugins || !threads || !started) {
    fprintf(stderr, "%s: out of memory\n", argv[0]);
    return 1;
  }
  for (int i = 0; i < n; i++) {
    plugin *p = &plugins[i];
    p->name = argv[2 + i];
    p->engine = engine;
    p->input = atoi(argv[1]);
    wasm_byte_vec_t bytes;
    wrun_error_t *err = NULL;
    wasm_module_t *module = NULL;
    if (!example_read_file(p->name, &bytes)) {
      snprintf(p->report, sizeof p->report, "rejected: cannot read it");
      continue;
    }
    module = wrun_module_new(engine, (const uint8_t *)bytes.data, bytes.size, &err);
    wasm_byte_vec_delete(&bytes);
    if (!module) {
      snprintf(p->report, sizeof p->report, "rejected: %s", wrun_error_message(err));
      wrun_error_delete(err);
      continue;
    }
    p->shared = wasm_module_share(module);
    wasm_module_delete(module);
    started[i] = pthread_create(&threads[i], NULL, run_plugin, p) == 0;
    if (!started[i]) snprintf(p->report, sizeof p->report, "not run: no thread");
  }
  for (int i = 0; i < n; i++) {
    if (started[i]) pthread_join(threads[i], NULL);
    wasm_shared_module_delete(plugins[i].shared);
    const char *base = strrchr(plugins[i].name, '/');
    printf("%s: %s\n", base ? base + 1 : plugins[i].name, plugins[i].report);
  }
  free(started);
  free(threads);
  free(plugins);
  wasm_engine_delete(engine);
  return 0;
}
