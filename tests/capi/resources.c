/*
 * resources.c — a resource type implemented by the embedder, through
 * wrun.h's component API (wrun_component_host_add_resource): the component
 * tests/capi/resources.wasm imports test:res/blobs@0.1.0 with resource
 * `blob`, its constructor, a method taking a borrow and `consume` taking an
 * own handle. Checks, in both tiers: handles the host makes reach the guest
 * and come back with the same rep; a borrow is lent (the blob stays the
 * guest's); a dropped handle runs the destructor exactly once; an own handle
 * passed to the host moves (no destructor, the host holds it); a handle
 * used after its drop or its move traps; misuse of the API is refused.
 *
 *   capi_resources resources.wasm
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wrun.h"

#define MAX_BLOBS 16

/* The host's blobs: rep = index (0 unused). */
typedef struct blobs {
  uint32_t size[MAX_BLOBS];
  int state[MAX_BLOBS];          /* 0 unused, 1 guest's, 2 destroyed, 3 moved to the host */
  int dtor_calls[MAX_BLOBS];
  uint32_t n;
  char last_borrow[64];          /* the last borrow argument's text */
  int finalized;
} blobs;

static int failures;

#define CHECK(cond) \
  do { \
    if (!(cond)) { \
      fprintf(stderr, "resources.c:%d: %s\n", __LINE__, #cond); \
      failures++; \
    } \
  } while (0)

static void blob_new(void *env, const char *const args[], size_t nargs, wrun_component_reply_t *reply) {
  blobs *b = env;
  if (nargs != 1 || b->n + 1 >= MAX_BLOBS) {
    wrun_component_reply_trap(reply, "no room for another blob");
    return;
  }
  uint32_t rep = ++b->n;
  b->size[rep] = (uint32_t)strtoul(args[0], NULL, 10);
  b->state[rep] = 1;
  CHECK(wrun_component_reply_handle(reply, rep));
}

/* The rep of a handle argument that names one of the blobs. */
static uint32_t rep_of(const blobs *b, const char *arg) {
  uint32_t rep = 0;
  if (!wrun_component_handle_rep(arg, &rep) || rep == 0 || rep > b->n) return 0;
  return rep;
}

static void blob_size(void *env, const char *const args[], size_t nargs, wrun_component_reply_t *reply) {
  blobs *b = env;
  uint32_t rep = nargs == 1 ? rep_of(b, args[0]) : 0;
  if (!rep || b->state[rep] != 1) {
    wrun_component_reply_trap(reply, "size of a blob that is not the guest's");
    return;
  }
  snprintf(b->last_borrow, sizeof b->last_borrow, "%s", args[0]);
  char text[16];
  snprintf(text, sizeof text, "%u", b->size[rep]);
  CHECK(wrun_component_reply_result(reply, text));
  /* a handle is not what this function returns */
  CHECK(!wrun_component_reply_handle(reply, rep));
}

static void blob_consume(void *env, const char *const args[], size_t nargs, wrun_component_reply_t *reply) {
  blobs *b = env;
  uint32_t rep = nargs == 1 ? rep_of(b, args[0]) : 0;
  if (!rep || b->state[rep] != 1) {
    wrun_component_reply_trap(reply, "consume of a blob that is not the guest's");
    return;
  }
  b->state[rep] = 3; /* the host owns it now */
  char text[16];
  snprintf(text, sizeof text, "%u", b->size[rep]);
  CHECK(wrun_component_reply_result(reply, text));
}

static void blob_dtor(void *env, uint32_t rep) {
  blobs *b = env;
  if (rep == 0 || rep > b->n) {
    failures++;
    fprintf(stderr, "resources.c: destructor of unknown rep %u\n", rep);
    return;
  }
  b->dtor_calls[rep]++;
  b->state[rep] = 2;
}

static void blobs_finalize(void *env) { ((blobs *)env)->finalized++; }

static const char *iface = "test:res/blobs@0.1.0";

static wrun_component_host_t *make_host(blobs *b) {
  wrun_component_host_t *h = wrun_component_host_new();
  wrun_error_t *e;
  /* a signature naming the resource before it is provided is refused */
  e = wrun_component_host_add_func(h, iface, "[method]blob.size", "func(self: borrow<blob>) -> u32", blob_size, b,
                                   NULL);
  CHECK(e && wrun_error_phase(e) == WRUN_PHASE_USAGE);
  wrun_error_delete(e);
  CHECK((e = wrun_component_host_add_resource(h, iface, "blob", blob_dtor, b, blobs_finalize)) == NULL);
  wrun_error_delete(e);
  CHECK((e = wrun_component_host_add_resource(NULL, iface, "blob", NULL, NULL, NULL)) != NULL);
  wrun_error_delete(e);
  CHECK((e = wrun_component_host_add_func(h, iface, "[constructor]blob", "func(size: u32) -> own<blob>", blob_new,
                                          b, NULL)) == NULL);
  wrun_error_delete(e);
  CHECK((e = wrun_component_host_add_func(h, iface, "[method]blob.size", "func(self: borrow<blob>) -> u32",
                                          blob_size, b, NULL)) == NULL);
  wrun_error_delete(e);
  CHECK((e = wrun_component_host_add_func(h, iface, "consume", "func(b: own<blob>) -> u32", blob_consume, b,
                                          NULL)) == NULL);
  wrun_error_delete(e);
  return h;
}

/* Calls `name` (no arguments but for run's 7) and gives its WAVE result or
 * the error's message in out. True when it returned. */
static bool call(wrun_component_instance_t *ci, const char *name, char *out, size_t n) {
  const char *args[] = {"7"};
  wasm_byte_vec_t res;
  wrun_error_t *e = wrun_component_call(ci, name, args, strcmp(name, "run") == 0 ? 1 : 0, &res);
  if (e) {
    snprintf(out, n, "%s", wrun_error_message(e));
    CHECK(wrun_error_phase(e) == WRUN_PHASE_TRAP);
    wrun_error_delete(e);
    return false;
  }
  snprintf(out, n, "%s", res.size ? res.data : "");
  wasm_byte_vec_delete(&res);
  return true;
}

static void run_tier(const uint8_t *bin, size_t len, wrun_tier_t tier) {
  blobs b;
  memset(&b, 0, sizeof b);
  wasm_config_t *cfg = wasm_config_new();
  wrun_config_set_tier(cfg, tier);
  wasm_engine_t *engine = wasm_engine_new_with_config(cfg);
  wasm_store_t *store = wasm_store_new(engine);
  wrun_error_t *err = NULL;
  wrun_component_t *c = wrun_component_new(engine, bin, len, &err);
  wrun_component_host_t *h = make_host(&b);
  wrun_component_instance_t *ci = c ? wrun_component_instantiate(store, c, h, &err) : NULL;
  CHECK(ci != NULL);
  if (!ci) fprintf(stderr, "resources.c: %s\n", err ? wrun_error_message(err) : "?");
  char out[256];
  if (ci) {
    /* run(7): blob 1 (size 7) read through a borrow and dropped, blob 2 (size 8) moved to the host */
    CHECK(call(ci, "run", out, sizeof out) && strcmp(out, "7008") == 0);
    CHECK(b.n == 2);
    CHECK(b.dtor_calls[1] == 1 && b.state[1] == 2);
    CHECK(b.dtor_calls[2] == 0 && b.state[2] == 3);
    uint32_t rep = 0;
    CHECK(wrun_component_handle_rep(b.last_borrow, &rep) && rep == 1);
    CHECK(strstr(b.last_borrow, "blob") != NULL);
    printf("a borrow argument: %s\n", b.last_borrow);
    /* use after drop: the destructor ran once, then the guest's call traps */
    CHECK(!call(ci, "use-after-drop", out, sizeof out));
    printf("use-after-drop: %s\n", out);
    CHECK(strstr(out, "unknown handle") != NULL);
    CHECK(b.n == 3 && b.dtor_calls[3] == 1 && b.state[3] == 2);
    /* use after move: the host holds it (no destructor), the guest's handle is gone */
    CHECK(!call(ci, "use-after-move", out, sizeof out));
    printf("use-after-move: %s\n", out);
    CHECK(strstr(out, "unknown handle") != NULL);
    CHECK(b.n == 4 && b.dtor_calls[4] == 0 && b.state[4] == 3);
  }
  wrun_component_instance_delete(ci);
  wasm_store_delete(store);
  wrun_component_delete(c);
  CHECK(b.finalized == 0);
  wrun_component_host_delete(h);
  CHECK(b.finalized == 1);
  wrun_error_delete(err);
  wasm_engine_delete(engine);
  for (uint32_t i = 1; i <= b.n; i++) CHECK(b.dtor_calls[i] <= 1);
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s resources.wasm\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  static uint8_t bin[1 << 16];
  size_t len = fread(bin, 1, sizeof bin, f);
  fclose(f);
  /* handle texts */
  uint32_t rep = 0;
  CHECK(wrun_component_handle_rep("own<blob>#12", &rep) && rep == 12);
  CHECK(wrun_component_handle_rep("blob#3", &rep) && rep == 3);
  CHECK(!wrun_component_handle_rep("\"a#1\"", &rep));
  CHECK(!wrun_component_handle_rep("blob#", &rep));
  CHECK(!wrun_component_handle_rep("blob#99999999999", &rep));
  CHECK(!wrun_component_handle_rep("12", &rep));
  run_tier(bin, len, WRUN_TIER_INTERP);
  run_tier(bin, len, WRUN_TIER_AOT);
  if (failures) {
    fprintf(stderr, "capi_resources: %d failures\n", failures);
    return 1;
  }
  printf("ok: embedder resources in both tiers\n");
  return 0;
}
