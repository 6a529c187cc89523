/*
 * instance.c — a fresh instance per request for `wrun serve` (instance.h):
 * the template path (a pooled, copy-on-write instance in the worker's store)
 * and the store-per-request path, and the per-worker --timeout watchdog.
 */
#include <errno.h>
#include <pthread.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "serve/instance.h"

/* ---- watchdog ----------------------------------------------------------- */

struct serve_watchdog {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool quit, armed;
  bool fired;                      /* interrupted the store since it was armed */
  struct timespec deadline;
  wrun_store *store;
  wasi_ctx *wasi;
};

static void *watch(void *arg) {
  serve_watchdog *wd = arg;
  pthread_mutex_lock(&wd->mu);
  while (!wd->quit) {
    if (!wd->armed) {
      pthread_cond_wait(&wd->cv, &wd->mu);
      continue;
    }
    struct timespec deadline = wd->deadline;
    int rc = pthread_cond_timedwait(&wd->cv, &wd->mu, &deadline);
    if (rc == ETIMEDOUT && wd->armed && wd->deadline.tv_sec == deadline.tv_sec &&
        wd->deadline.tv_nsec == deadline.tv_nsec) {
      rt_store_interrupt(wd->store);
      if (wd->wasi) wasi_interrupt(wd->wasi);
      wd->armed = false;
      wd->fired = true;
    }
  }
  pthread_mutex_unlock(&wd->mu);
  return NULL;
}

serve_watchdog *serve_watchdog_new(void) {
  serve_watchdog *wd = calloc(1, sizeof *wd);
  if (!wd) return NULL;
  pthread_mutex_init(&wd->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&wd->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&wd->thread, NULL, watch, wd) != 0) {
    pthread_mutex_destroy(&wd->mu);
    pthread_cond_destroy(&wd->cv);
    free(wd);
    return NULL;
  }
  return wd;
}

void serve_watchdog_arm(serve_watchdog *wd, wrun_store *s, wasi_ctx *wasi, uint64_t ns) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_sec += (time_t)(ns / 1000000000u);
  t.tv_nsec += (long)(ns % 1000000000u);
  if (t.tv_nsec >= 1000000000) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000;
  }
  pthread_mutex_lock(&wd->mu);
  wd->store = s;
  wd->wasi = wasi;
  wd->deadline = t;
  wd->armed = true;
  wd->fired = false;
  pthread_cond_signal(&wd->cv);
  pthread_mutex_unlock(&wd->mu);
}

bool serve_watchdog_disarm(serve_watchdog *wd) {
  /* under the lock: once this returns the thread no longer touches the store */
  pthread_mutex_lock(&wd->mu);
  bool fired = wd->fired;
  wd->armed = false;
  wd->fired = false;
  wd->store = NULL;
  wd->wasi = NULL;
  pthread_mutex_unlock(&wd->mu);
  return fired;
}

void serve_watchdog_free(serve_watchdog *wd) {
  if (!wd) return;
  pthread_mutex_lock(&wd->mu);
  wd->quit = true;
  pthread_cond_signal(&wd->cv);
  pthread_mutex_unlock(&wd->mu);
  pthread_join(wd->thread, NULL);
  pthread_mutex_destroy(&wd->mu);
  pthread_cond_destroy(&wd->cv);
  free(wd);
}

/* ---- instances ---------------------------------------------------------- */

struct serve_template {
  rt_template *t;
  wrun_store *host_store;          /* owns the shared (non-WASI) host functions */
  rt_extern *imports;              /* every import; the WASI ones empty (each pool links its own) */
  bool wasi;                       /* the module imports wasi_snapshot_preview1 */
  const char *path;                /* argv[0] of the WASI contexts */
  uint64_t timeout_ns;
};

struct serve_pool {
  const serve_template *st;
  const rt_template *t;
  wrun_store *store;               /* this worker's: every instance of the template lives here */
  wasi_ctx *wasi;                  /* a WASI module's context, reset before each instance */
  rt_extern *imports;              /* a WASI module's imports: the template's plus this pool's WASI */
  bool wasi_used;                  /* an instance ran against `wasi` since its last reset */
  serve_watchdog *wd;
  uint64_t timeout_ns;
  bool reuse;                      /* --reuse-instances */
  wrun_instance *warm;             /* with reuse: the idle instance the next request gets */
};

static void pool_put(serve_pool *p, wrun_instance *inst, bool failed) {
  if (!failed && p->reuse && !p->warm) {
    p->warm = inst;
    return;
  }
  rt_instance_release(p->store, inst);
  if (failed) {
    /* a trapped instance is not pooled: its pages and reservation go now */
    rt_store_trim(p->store);
    rt_store_refill(p->store);
  }
}

void serve_instance_free(serve_instance *si) {
  if (si->pool) { /* si->wasi is the pool's */
    if (si->inst) pool_put(si->pool, si->inst, si->failed);
    else if (si->failed) rt_store_refill(si->pool->store);
  } else {
    rt_store_free(si->store);
    if (si->wasi) wasi_free(si->wasi);
  }
  memset(si, 0, sizeof *si);
}

static bool call_export(serve_instance *si, wrun_func *f, const rt_val *args, uint32_t nargs, rt_val *results,
                        uint32_t nresults, rt_error *err) {
  if (si->pool) rt_store_set_data(si->store, si->data); /* the store is shared by the worker's requests */
  if (si->wd && si->timeout_ns) serve_watchdog_arm(si->wd, si->store, si->wasi, si->timeout_ns);
  bool ok = rt_call(si->store, f, args, nargs, results, nresults, err);
  /* a deadline that passed just as the call returned interrupted the store
   * for nothing: clear that before another request's call sees it */
  if (si->wd && si->timeout_ns && serve_watchdog_disarm(si->wd) && ok && si->pool) rt_store_refill(si->store);
  if (!ok) si->failed = true;
  return ok;
}

bool serve_instance_call(serve_instance *si, const char *name, const rt_val *args, uint32_t nargs,
                         rt_val *results, uint32_t nresults, rt_error *err) {
  rt_extern ex;
  if (!rt_instance_export(si->inst, name, strlen(name), &ex) || ex.kind != WASM_EXTERN_FUNC)
    return rt_error_at(err, WRUN_ERR_LINK, WRUN_NO_OFFSET, "no exported function \"%s\"", name);
  return call_export(si, ex.of.func, args, nargs, results, nresults, err);
}

/* `_initialize` (a reactor) or `_start` (a command whose main sets things up). */
static bool run_init(serve_instance *si, rt_error *err) {
  static const char *const names[] = {"_initialize", "_start"};
  for (int i = 0; i < 2; i++) {
    rt_extern ex;
    if (!rt_instance_export(si->inst, names[i], strlen(names[i]), &ex) || ex.kind != WASM_EXTERN_FUNC) continue;
    const wm_functype *ft = rt_func_type(ex.of.func);
    if (ft->nparams || ft->nresults) continue;
    if (call_export(si, ex.of.func, NULL, 0, NULL, 0, err)) return true;
    if (rt_store_trap_kind(si->store) == WRUN_TRAP_EXIT && rt_store_exit_code(si->store) == 0) {
      rt_error_clear(err);
      si->failed = false;
      if (si->pool) rt_store_refill(si->store); /* clears the exit for the handler's calls (fuel too) */
      return true;
    }
    return false;
  }
  return true;
}

static bool is_wasi(const wm_import *im) { return strcmp(im->module.ptr, "wasi_snapshot_preview1") == 0; }

static bool imports_wasi(const wm_module *m) {
  for (uint32_t i = 0; i < m->nimports; i++)
    if (is_wasi(&m->imports[i])) return true;
  return false;
}

/* A WASI context that grants nothing: argv[0] only, the server's standard streams. */
static wasi_ctx *guest_wasi(const char *path, bool interruptible, rt_error *err) {
  char *argv[] = {(char *)path, NULL};
  wasi_config wc = {.argc = 1, .argv = argv, .interruptible = interruptible};
  return wasi_new(&wc, err);
}

static rt_config store_config(const serve_limits *lim) {
  rt_config cfg = {0};
  cfg.fuel = lim->fuel;
  cfg.max_memory_bytes = lim->max_memory;
  cfg.stack_bytes = lim->max_stack > UINT32_MAX ? UINT32_MAX : (uint32_t)lim->max_stack;
  cfg.max_call_depth = lim->max_call_depth;
  cfg.interruptible = lim->timeout_ns != 0;
  cfg.aot = lim->aot;
  return cfg;
}

bool serve_instance_new(const wm_module *m, const serve_limits *lim, const char *path, serve_watchdog *wd,
                        serve_link_fn link, void *env, serve_instance *out, rt_error *err) {
  memset(out, 0, sizeof *out);
  out->wd = wd;
  out->timeout_ns = lim->timeout_ns;
  rt_config cfg = store_config(lim);
  if (imports_wasi(m) && !(out->wasi = guest_wasi(path, lim->timeout_ns != 0, err))) return false;
  out->store = engine_store_new(&cfg);
  rt_extern *imports = calloc(m->nimports + 1, sizeof *imports);
  if (!out->store || !imports) {
    free(imports);
    serve_instance_free(out);
    return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
  }
  bool ok = true;
  for (uint32_t i = 0; ok && i < m->nimports; i++)
    ok = is_wasi(&m->imports[i])
             ? wasi_link_import(out->wasi, out->store, m, i, &imports[i], err)
             : link(env, out->store, m, i, &imports[i], err);
  if (ok) {
    if (wd && lim->timeout_ns) serve_watchdog_arm(wd, out->store, out->wasi, lim->timeout_ns);
    out->inst = rt_instantiate(out->store, m, imports, m->nimports, err);
    if (wd && lim->timeout_ns) (void)serve_watchdog_disarm(wd);
    ok = out->inst && run_init(out, err);
  }
  free(imports);
  if (!ok) serve_instance_free(out);
  return ok;
}

/* ---- template path ------------------------------------------------------ */

void serve_template_free(serve_template *st) {
  if (!st) return;
  rt_template_free(st->t);
  rt_store_free(st->host_store);
  free(st->imports);
  free(st);
}

bool serve_template_imports_wasi(const serve_template *st) { return st->wasi; }
const rt_template *serve_template_rt(const serve_template *st) { return st->t; }

serve_template *serve_template_new(const wm_module *m, const serve_limits *lim, const char *path,
                                   serve_link_fn link, rt_error *err) {
  /* fuel with compiled code is refused by the CLI; templates do not check it */
  if (lim->aot && lim->fuel) {
    rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "--fuel is not supported with --aot");
    return NULL;
  }
  rt_config cfg = store_config(lim);
  serve_template *st = calloc(1, sizeof *st);
  if (st) {
    st->host_store = engine_store_new(&cfg);
    st->imports = calloc(m->nimports + 1, sizeof *st->imports);
  }
  bool ok = st && st->host_store && st->imports;
  if (!ok) rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
  if (ok) {
    st->wasi = imports_wasi(m);
    st->path = path;
    st->timeout_ns = lim->timeout_ns;
  }
  for (uint32_t i = 0; ok && i < m->nimports; i++)
    if (!is_wasi(&m->imports[i])) ok = link(NULL, st->host_store, m, i, &st->imports[i], err);
  /* WASI's host functions are each worker's: the template then takes the
   * imports at every instantiation */
  if (ok && !(st->t = engine_template_new(m, &cfg, st->wasi ? NULL : st->imports, m->nimports, err))) ok = false;
  if (!ok) {
    serve_template_free(st);
    return NULL;
  }
  return st;
}

/* A WASI module's pool: its context, and the template's imports with the
 * WASI ones linked to it in the pool's store. */
static bool pool_wasi(serve_pool *p) {
  const wm_module *m = rt_template_module(p->t);
  rt_error err;
  rt_error_clear(&err);
  p->wasi = guest_wasi(p->st->path, p->st->timeout_ns != 0, &err);
  p->imports = calloc(m->nimports + 1, sizeof *p->imports);
  if (!p->wasi || !p->imports) return false;
  memcpy(p->imports, p->st->imports, m->nimports * sizeof *p->imports);
  for (uint32_t i = 0; i < m->nimports; i++)
    if (is_wasi(&m->imports[i]) && !wasi_link_import(p->wasi, p->store, m, i, &p->imports[i], &err)) return false;
  return true;
}

serve_pool *serve_pool_new(const serve_template *st, serve_watchdog *wd, uint64_t timeout_ns, bool reuse) {
  serve_pool *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->st = st;
  p->t = st->t;
  p->wd = wd;
  p->timeout_ns = timeout_ns;
  p->reuse = reuse;
  p->store = engine_store_new(rt_template_config(st->t));
  if (!p->store || (st->wasi && !pool_wasi(p))) {
    serve_pool_free(p);
    return NULL;
  }
  return p;
}

void serve_pool_free(serve_pool *p) {
  if (!p) return;
  rt_store_free(p->store); /* with its pooled and warm instances */
  wasi_free(p->wasi);      /* after the store whose host functions use it */
  free(p->imports);
  free(p);
}

bool serve_instance_take(serve_pool *p, void *data, serve_instance *out, rt_error *err) {
  memset(out, 0, sizeof *out);
  out->pool = p;
  out->store = p->store;
  out->data = data;
  out->wd = p->wd;
  out->timeout_ns = p->timeout_ns;
  out->wasi = p->wasi; /* the pool's: the watchdog interrupts its waits; never freed per request */
  rt_store_refill(p->store); /* this request's fuel */
  if (p->warm) { /* --reuse-instances: as the last request left it */
    out->inst = p->warm;
    p->warm = NULL;
    return true;
  }
  if (p->wasi && p->wasi_used && !wasi_reset(p->wasi)) { /* cannot fail: the context has no preopens */
    out->failed = true;
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "the WASI context cannot be reset");
  }
  p->wasi_used = p->wasi != NULL;
  rt_store_set_data(p->store, data); /* a start function may call host functions */
  if (p->wd && p->timeout_ns) serve_watchdog_arm(p->wd, p->store, p->wasi, p->timeout_ns);
  out->inst = rt_template_instantiate_with(p->t, p->store, p->imports, p->imports ? rt_template_module(p->t)->nimports : 0, err);
  if (p->wd && p->timeout_ns) (void)serve_watchdog_disarm(p->wd);
  if (!out->inst) {
    out->failed = true;
    return false;
  }
  return run_init(out, err);
}
