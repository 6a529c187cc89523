/*
 * resources.c — a resource type implemented by the host, for a component
 * that imports it (docs/embedding.md, "Host resources"). The host keeps its
 * blobs in a table; a handle the guest holds stands for an index (the rep).
 * With tests/capi/resources.wasm (interface test:res/blobs@0.1.0):
 *
 *   example_resources tests/capi/resources.wasm      prints "result: 7008"
 *
 * The guest makes two blobs, reads the first through a borrow and drops it
 * (the destructor runs), and gives the second to the host (it moves: the
 * host releases it itself).
 */
#include <stdio.h>
#include <stdlib.h>

#include "example_util.h"
#include "wrun.h"

#define MAX_BLOBS 8

typedef struct blob {
  unsigned size;
  int live;
} blob;

static blob table[MAX_BLOBS + 1]; /* rep = index; 0 unused */

static void blob_new(void *env, const char *const args[], size_t nargs, wrun_component_reply_t *reply) {
  (void)env;
  for (uint32_t rep = 1; rep <= MAX_BLOBS && nargs == 1; rep++) {
    if (table[rep].live) continue;
    table[rep] = (blob){(unsigned)strtoul(args[0], NULL, 10), 1};
    printf("new blob %u (size %u)\n", rep, table[rep].size);
    wrun_component_reply_handle(reply, rep);
    return;
  }
  wrun_component_reply_trap(reply, "out of blobs");
}

/* The live blob a handle argument ("borrow<blob>#3") names, or NULL. */
static blob *blob_of(const char *arg, uint32_t *rep) {
  if (!wrun_component_handle_rep(arg, rep) || *rep == 0 || *rep > MAX_BLOBS || !table[*rep].live) return NULL;
  return &table[*rep];
}

static void blob_size(void *env, const char *const args[], size_t nargs, wrun_component_reply_t *reply) {
  (void)env;
  uint32_t rep;
  blob *b = nargs == 1 ? blob_of(args[0], &rep) : NULL;
  char text[16];
  if (!b) {
    wrun_component_reply_trap(reply, "no such blob");
    return;
  }
  snprintf(text, sizeof text, "%u", b->size);
  wrun_component_reply_result(reply, text);
}

static void blob_consume(void *env, const char *const args[], size_t nargs, wrun_component_reply_t *reply) {
  (void)env;
  uint32_t rep;
  blob *b = nargs == 1 ? blob_of(args[0], &rep) : NULL;
  char text[16];
  if (!b) {
    wrun_component_reply_trap(reply, "no such blob");
    return;
  }
  printf("host took blob %u and releases it\n", rep); /* own moved: no destructor will run for it */
  snprintf(text, sizeof text, "%u", b->size);
  b->live = 0;
  wrun_component_reply_result(reply, text);
}

static void blob_drop(void *env, uint32_t rep) {
  (void)env;
  printf("guest dropped blob %u\n", rep);
  if (rep <= MAX_BLOBS) table[rep].live = 0;
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s COMPONENT.wasm\n", argv[0]);
    return 2;
  }
  wasm_byte_vec_t bin;
  if (!example_read_file(argv[1], &bin)) return 1;
  const char *iface = "test:res/blobs@0.1.0";
  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  wrun_component_host_t *host = wrun_component_host_new();
  wrun_error_t *err = wrun_component_host_add_resource(host, iface, "blob", blob_drop, NULL, NULL);
  if (!err) err = wrun_component_host_add_func(host, iface, "[constructor]blob", "func(size: u32) -> own<blob>",
                                               blob_new, NULL, NULL);
  if (!err) err = wrun_component_host_add_func(host, iface, "[method]blob.size", "func(self: borrow<blob>) -> u32",
                                               blob_size, NULL, NULL);
  if (!err) err = wrun_component_host_add_func(host, iface, "consume", "func(b: own<blob>) -> u32", blob_consume,
                                               NULL, NULL);
  wrun_component_t *c = err ? NULL : wrun_component_new(engine, (const uint8_t *)bin.data, bin.size, &err);
  wrun_component_instance_t *inst = c ? wrun_component_instantiate(store, c, host, &err) : NULL;
  wasm_byte_vec_t result = WASM_EMPTY_VEC;
  const char *args[] = {"7"};
  if (inst) err = wrun_component_call(inst, "run", args, 1, &result);
  int status = 0;
  if (err) {
    fprintf(stderr, "resources: %s\n", wrun_error_message(err));
    status = 1;
  } else {
    printf("result: %s\n", result.data);
  }
  wasm_byte_vec_delete(&result);
  wrun_error_delete(err);
  wrun_component_instance_delete(inst);
  wasm_store_delete(store);
  wrun_component_delete(c);
  wrun_component_host_delete(host);
  wasm_engine_delete(engine);
  wasm_byte_vec_delete(&bin);
  return status;
}
