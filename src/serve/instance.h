/*
 * instance.h — the one place where `wrun serve` makes and drops a guest's
 * instance for a request (instance.c), and the per-worker watchdog that
 * enforces --timeout on guest calls. Two ways to make one:
 *   * the template path (serve_template_new, serve_pool_*): one pre-linked
 *     rt_template per module (copy-on-write memory image, AOT code
 *     compiled or loaded once), one store per worker, and per request an
 *     instance taken from that store's pool and released after; host
 *     functions are shared and find their request through rt_store_data.
 *     A module importing WASI gets one WASI context per worker, its host
 *     functions linked in the worker's store, and the context reset
 *     (wasi_reset: descriptors the guest opened closed, standard streams
 *     restored) before each request's instance;
 *   * serve_instance_new: a new store, host functions bound to the request,
 *     rt_instantiate, then freeing the store (WRUN_SERVE_NO_TEMPLATE=1, for
 *     comparisons).
 */
#ifndef WRUN_SERVE_INSTANCE_H
#define WRUN_SERVE_INSTANCE_H

#include "runtime/runtime.h"
#include "serve/serve.h"
#include "wasi/wasi.h"

/* Resolves import `i` of `m` that is not WASI (the guest ABI's host module). */
typedef struct serve_watchdog serve_watchdog;

typedef bool (*serve_link_fn)(void *env, wrun_store *s, const wm_module *m, uint32_t i, rt_extern *out,
                              rt_error *err);

typedef struct serve_pool serve_pool;

typedef struct serve_instance {
  wrun_store *store;               /* owned, or the worker's (pool != NULL) */
  serve_pool *pool;                /* template path: where the instance goes back */
  void *data;                      /* template path: the request, as rt_store_data for every call */
  bool failed;                     /* a call or the instantiation trapped: discard, never reuse */
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
bool serve_instance_new(const wm_module *m, const serve_limits *lim, const char *path, serve_watchdog *wd,
                        serve_link_fn link, void *env, serve_instance *out, rt_error *err);

/* Frees the store, and with it the instance and its memory; on the template
 * path gives the instance back to its pool instead: kept warm for the next
 * request with --reuse-instances, else released (its written memory dropped;
 * globals, tables and segments are set again when the pool hands it out).
 * An instance that trapped or hit a limit is released and the pool's store
 * trimmed, so its memory is unmapped and the next request maps a new one,
 * and the store is refilled (trap, interrupt and fuel cleared). Call it
 * after serve_instance_take / _new whatever they returned (a no-op after a
 * failed serve_instance_new). */
void serve_instance_free(serve_instance *si);

/* ---- template path ------------------------------------------------------ */

typedef struct serve_template serve_template;

/* A template of `m` with its non-WASI imports linked by `link` (env NULL:
 * the host functions are shared by all requests and workers) into a store
 * the template owns; WASI imports (argv[0] `path`, nothing granted) are
 * linked per worker by serve_pool_new. NULL with `err` set on failure. */
serve_template *serve_template_new(const wm_module *m, const serve_limits *lim, const char *path,
                                   serve_link_fn link, rt_error *err);
/* Frees the template and its host functions, after every pool made from it. */
void serve_template_free(serve_template *t);
/* Whether the module imports wasi_snapshot_preview1. */
bool serve_template_imports_wasi(const serve_template *t);
/* The runtime template inside (for its image size). */
const rt_template *serve_template_rt(const serve_template *t);

/* A worker's pool: a store made for `t`, the watchdog, a WASI context when
 * the module imports WASI, and with `reuse` the one warm instance kept
 * between requests. NULL when out of memory. */
serve_pool *serve_pool_new(const serve_template *t, serve_watchdog *wd, uint64_t timeout_ns, bool reuse);
/* Releases the pool's instances and frees its store (before the template). */
void serve_pool_free(serve_pool *p);

/* An instance for one request whose host functions see `data` as
 * rt_store_data: the warm one (--reuse-instances, as the last request left
 * it, no initialiser run again) or one from the template, whose `_initialize`
 * (or `_start`) then runs. False with `err` set on failure; call
 * serve_instance_free either way. */
bool serve_instance_take(serve_pool *p, void *data, serve_instance *out, rt_error *err);

/* Calls export `name` under the --timeout watchdog. False with `err` set if
 * it trapped (or is missing: kind LINK). */
bool serve_instance_call(serve_instance *si, const char *name, const rt_val *args, uint32_t nargs,
                         rt_val *results, uint32_t nresults, rt_error *err);

/* --timeout: one thread per worker that interrupts the armed store (and its
 * WASI waits) when the deadline passes. Arming costs a mutex and a wakeup. */
serve_watchdog *serve_watchdog_new(void);
void serve_watchdog_arm(serve_watchdog *wd, wrun_store *s, wasi_ctx *wasi, uint64_t ns);
/* True if the deadline passed (and the store was interrupted) since arming. */
bool serve_watchdog_disarm(serve_watchdog *wd);
void serve_watchdog_free(serve_watchdog *wd);

#endif
