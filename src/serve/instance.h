/*
 * instance.h — the one place where `wrun serve` makes and drops a guest's
 * instance for a request (instance.c), and the per-worker watchdog that
 * enforces --timeout on guest calls. A faster instantiation path (instance
 * templates, copy-on-write memory images) plugs in behind serve_instance_new
 * without the guest ABIs changing.
 */
#ifndef WRUN_SERVE_INSTANCE_H
#define WRUN_SERVE_INSTANCE_H

#include "runtime/runtime.h"
#include "serve/serve.h"
#include "wasi/wasi.h"

/* Resolves import `i` of `m` that is not WASI (the guest ABI's host module). */
typedef struct serve_watchdog serve_watchdog;

typedef bool (*serve_link_fn)(void *env, wrun_store *s, const wasm_module *m, uint32_t i, wrun_extern *out,
                              wrun_error *err);

typedef struct serve_instance {
  wrun_store *store;
  wrun_instance *inst;
  wasi_ctx *wasi;                  /* only for modules that import wasi_snapshot_preview1 */
  serve_watchdog *wd;       /* arms around every guest call when timeout_ns */
  uint64_t timeout_ns;
} serve_instance;

/* A fresh store (with the limits of `lim`) and instance of `m`: WASI imports
 * get a context of their own that grants nothing (no files, no environment),
 * other imports go to `link`; then `_initialize`, or else `_start`, runs if
 * exported (a proc_exit(0) from it is not an error). On failure returns false
 * with `err` set (a trap: kind TRAP) and `out` freed. */
bool serve_instance_new(const wasm_module *m, const serve_limits *lim, const char *path, serve_watchdog *wd,
                        serve_link_fn link, void *env, serve_instance *out, wrun_error *err);

/* Frees the store, and with it the instance and its memory. */
void serve_instance_free(serve_instance *si);

/* Calls export `name` under the --timeout watchdog. False with `err` set if
 * it trapped (or is missing: kind LINK). */
bool serve_instance_call(serve_instance *si, const char *name, const wrun_val *args, uint32_t nargs,
                         wrun_val *results, uint32_t nresults, wrun_error *err);

/* --timeout: one thread per worker that interrupts the armed store (and its
 * WASI waits) when the deadline passes. Arming costs a mutex and a wakeup. */
serve_watchdog *serve_watchdog_new(void);
void serve_watchdog_arm(serve_watchdog *wd, wrun_store *s, wasi_ctx *wasi, uint64_t ns);
void serve_watchdog_disarm(serve_watchdog *wd);
void serve_watchdog_free(serve_watchdog *wd);

#endif
