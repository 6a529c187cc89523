/*
 * wrun.c — include/wrun.h: engine configuration, limits while running (fuel,
 * interrupts, the deadline timer), trap causes, errors, and WASI preview 1
 * attached to a store (src/wasi).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

#include "capi/capi.h"

/* ---- errors ---------------------------------------------------------------------- */

wrun_phase_t wrun_error_phase(const wrun_error_t *err) { return err->phase; }
const char *wrun_error_message(const wrun_error_t *err) { return err->message; }
void wrun_error_delete(wrun_error_t *err) { free(err); }

/* ---- configuration ------------------------------------------------------------------ */

void wrun_config_set_tier(wasm_config_t *cfg, wrun_tier_t tier) { cfg->cfg.aot = tier == WRUN_TIER_AOT; }
void wrun_config_set_fuel(wasm_config_t *cfg, uint64_t fuel) { cfg->cfg.fuel = fuel; }
void wrun_config_set_max_memory(wasm_config_t *cfg, uint64_t bytes) {
  /* whole pages, and at least one: 0 would mean "no limit" to the runtime */
  cfg->cfg.max_memory_bytes = bytes ? (bytes < 65536 ? 65536 : bytes & ~(uint64_t)65535) : 0;
}
void wrun_config_set_interruptible(wasm_config_t *cfg, bool on) { cfg->cfg.interruptible = on; }
void wrun_config_set_max_call_depth(wasm_config_t *cfg, uint32_t depth) { cfg->cfg.max_call_depth = depth; }

/* ---- limits while running ------------------------------------------------------------ */

void wrun_store_interrupt(wasm_store_t *s) { rt_store_interrupt(s->rt); }

uint64_t wrun_store_fuel_left(const wasm_store_t *s) {
  int64_t f = rt_store_fuel_left(s->rt);
  return f > 0 ? (uint64_t)f : 0;
}

void wrun_store_add_fuel(wasm_store_t *s) { rt_store_refill(s->rt); }

/* The timer thread: waits for the armed deadline, interrupts the store when
 * it passes, and ends when the store is deleted. */
static void *timer_main(void *arg) {
  wasm_store_t *s = arg;
  pthread_mutex_lock(&s->timer_mu);
  while (!s->timer_stop) {
    if (!s->timer_armed) {
      pthread_cond_wait(&s->timer_cv, &s->timer_mu);
      continue;
    }
    struct timespec now;
    clock_gettime(CLOCK_MONOTONIC, &now);
    if (now.tv_sec > s->deadline.tv_sec || (now.tv_sec == s->deadline.tv_sec && now.tv_nsec >= s->deadline.tv_nsec)) {
      s->timer_armed = false;
      rt_store_interrupt(s->rt);
      continue;
    }
    pthread_cond_timedwait(&s->timer_cv, &s->timer_mu, &s->deadline);
  }
  pthread_mutex_unlock(&s->timer_mu);
  return NULL;
}

bool wrun_store_set_deadline(wasm_store_t *s, uint64_t ms) {
  if (!s->engine->cfg.interruptible) return false;
  pthread_mutex_lock(&s->timer_mu);
  bool ok = true;
  if (ms == 0) {
    s->timer_armed = false;
  } else {
    if (!s->timer_running) {
      /* the condition variable waits on CLOCK_MONOTONIC: wall-clock jumps do not move deadlines */
      pthread_condattr_t ca;
      pthread_condattr_init(&ca);
      pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
      pthread_cond_destroy(&s->timer_cv);
      pthread_cond_init(&s->timer_cv, &ca);
      pthread_condattr_destroy(&ca);
      s->timer_running = pthread_create(&s->timer, NULL, timer_main, s) == 0;
      ok = s->timer_running;
    }
    if (ok) {
      clock_gettime(CLOCK_MONOTONIC, &s->deadline);
      s->deadline.tv_sec += (time_t)(ms / 1000);
      s->deadline.tv_nsec += (long)(ms % 1000) * 1000000L;
      if (s->deadline.tv_nsec >= 1000000000L) {
        s->deadline.tv_sec++;
        s->deadline.tv_nsec -= 1000000000L;
      }
      s->timer_armed = true;
      pthread_cond_signal(&s->timer_cv);
    }
  }
  pthread_mutex_unlock(&s->timer_mu);
  if (ok && ms == 0) rt_store_refill(s->rt); /* clears an interrupt that already fired */
  return ok;
}

wrun_trap_cause_t wrun_trap_cause(const wasm_trap_t *trap) { return trap->r.of.trap->cause; }

bool wrun_trap_exit_code(const wasm_trap_t *trap, int *code) {
  const capi_trap *t = trap->r.of.trap;
  if (t->cause != WRUN_CAUSE_EXIT) return false;
  if (code) *code = t->exit_code;
  return true;
}

/* ---- WASI ------------------------------------------------------------------------------ */

wrun_wasi_config_t *wrun_wasi_config_new(void) {
  wrun_wasi_config_t *c = calloc(1, sizeof *c);
  if (c) c->stdio[0] = c->stdio[1] = c->stdio[2] = -2;
  return c;
}

static void free_strings(char **v, size_t n) {
  for (size_t i = 0; i < n; i++) free(v[i]);
  free(v);
}

void wrun_wasi_config_delete(wrun_wasi_config_t *c) {
  if (!c) return;
  free_strings(c->argv, c->argc);
  free_strings(c->env, c->envc);
  for (size_t i = 0; i < c->npreopens; i++) {
    free((char *)c->preopens[i].host_path);
    free((char *)c->preopens[i].guest_path);
  }
  free(c->preopens);
  for (int i = 0; i < 3; i++)
    if (c->stdio[i] >= 0) close(c->stdio[i]);
  free(c);
}

bool wrun_wasi_config_set_args(wrun_wasi_config_t *c, size_t argc, const char *const argv[]) {
  char **v = argc ? calloc(argc, sizeof *v) : NULL;
  if (argc && !v) return false;
  for (size_t i = 0; i < argc; i++)
    if (!argv[i] || !(v[i] = strdup(argv[i]))) {
      free_strings(v, i);
      return false;
    }
  free_strings(c->argv, c->argc);
  c->argv = v;
  c->argc = argc;
  return true;
}

bool wrun_wasi_config_add_env(wrun_wasi_config_t *c, const char *name, const char *value) {
  if (!name || !value || !*name || strchr(name, '=')) return false;
  size_t len = strlen(name) + strlen(value) + 2;
  char *kv = malloc(len);
  char **nv = realloc(c->env, (c->envc + 1) * sizeof *nv);
  if (!kv || !nv) {
    free(kv);
    if (nv) c->env = nv;
    return false;
  }
  snprintf(kv, len, "%s=%s", name, value);
  c->env = nv;
  c->env[c->envc++] = kv;
  return true;
}

bool wrun_wasi_config_preopen_dir(wrun_wasi_config_t *c, const char *host_path, const char *guest_path,
                                  bool readonly) {
  if (!host_path || !guest_path) return false;
  wasi_preopen *np = realloc(c->preopens, (c->npreopens + 1) * sizeof *np);
  if (!np) return false;
  c->preopens = np;
  wasi_preopen *p = &np[c->npreopens];
  p->host_path = strdup(host_path);
  p->guest_path = strdup(guest_path);
  p->readonly = readonly;
  if (!p->host_path || !p->guest_path) {
    free((char *)p->host_path);
    free((char *)p->guest_path);
    return false;
  }
  c->npreopens++;
  return true;
}

static void set_stream(wrun_wasi_config_t *c, int stream, int fd) {
  if (c->stdio[stream] >= 0) close(c->stdio[stream]);
  c->stdio[stream] = fd;
}

bool wrun_wasi_config_set_stdio_fd(wrun_wasi_config_t *c, int stream, int fd) {
  if (stream < 0 || stream > 2) return false;
  if (fd < 0) {
    set_stream(c, stream, -1);
    return true;
  }
  int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
  if (d < 0) return false;
  set_stream(c, stream, d);
  return true;
}

bool wrun_wasi_config_set_stdio_file(wrun_wasi_config_t *c, int stream, const char *path) {
  if (stream < 0 || stream > 2 || !path) return false;
  int fd = stream == 0 ? open(path, O_RDONLY | O_CLOEXEC) : open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  if (fd < 0) return false;
  if (fd < 3) { /* keep clear of the host's own standard descriptors */
    int d = fcntl(fd, F_DUPFD_CLOEXEC, 3);
    close(fd);
    if ((fd = d) < 0) return false;
  }
  set_stream(c, stream, fd);
  return true;
}

wrun_error_t *wrun_store_set_wasi(wasm_store_t *s, wrun_wasi_config_t *c) {
  if (!c) return capi_error_new(WRUN_PHASE_USAGE, "wrun_store_set_wasi: no configuration");
  if (s->wasi) {
    wrun_wasi_config_delete(c);
    return capi_error_new(WRUN_PHASE_USAGE, "wrun_store_set_wasi: the store has WASI already");
  }
  wasi_config wc;
  memset(&wc, 0, sizeof wc);
  wc.argc = (int)c->argc;
  wc.argv = c->argv;
  wc.envc = (int)c->envc;
  wc.env = c->env;
  wc.npreopens = (int)c->npreopens;
  wc.preopens = c->preopens;
  wc.interruptible = s->engine->cfg.interruptible;
  for (int i = 0; i < 3; i++) {
    if (c->stdio[i] == -1) wc.closed_stdio |= 1u << i;
    else if (c->stdio[i] >= 0) {
      wc.redirected_stdio |= 1u << i;
      wc.stdio_fd[i] = c->stdio[i];
    }
  }
  rt_error e;
  rt_error_clear(&e);
  wasi_ctx *w = wasi_new(&wc, &e);
  if (!w) {
    wrun_wasi_config_delete(c);
    wrun_error_t *err = capi_error_from(&e);
    if (err) err->phase = WRUN_PHASE_WASI;
    return err;
  }
  s->wasi = w;
  for (int i = 0; i < 3; i++) { /* the context uses them now; the store closes them */
    s->stdio_fds[i] = c->stdio[i] >= 0 ? c->stdio[i] : -1;
    if (c->stdio[i] >= 0) c->stdio[i] = -2;
  }
  s->wasi_cfg = c; /* components get WASI 0.2 from the same settings (component.c) */
  return NULL;
}

wrun_error_t *wrun_wasi_imports(wasm_store_t *s, const wasm_module_t *module, wasm_extern_vec_t *out) {
  wasm_extern_vec_new_empty(out);
  if (!s->wasi) return capi_error_new(WRUN_PHASE_USAGE, "wrun_wasi_imports: the store has no WASI");
  const wm_module *m = module->r.of.module->m;
  wasm_extern_vec_new_uninitialized(out, m->nimports);
  if (out->size != m->nimports) return capi_error_new(WRUN_PHASE_RESOURCE, "out of memory");
  for (uint32_t i = 0; i < m->nimports; i++) {
    const wm_import *im = &m->imports[i];
    if (strcmp(im->module.ptr, "wasi_snapshot_preview1") != 0) continue;
    rt_extern ex;
    rt_error e;
    rt_error_clear(&e);
    if (!wasi_link_import(s->wasi, s->rt, m, i, &ex, &e) || !(out->data[i] = capi_extern_new(s, &ex))) {
      wasm_extern_vec_delete(out);
      if (e.kind == WRUN_OK) rt_error_at(&e, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
      return capi_error_from(&e);
    }
  }
  return NULL;
}
