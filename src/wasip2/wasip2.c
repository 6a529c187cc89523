/*
 * wasip2.c — the WASI 0.2 host's context (wasip2.h) and what its interface
 * files share (wasip2_impl.h): handle tables, registration, waits, results.
 */
#include "wasip2/wasip2_impl.h"

#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "common/grow.h"
#include "wasi/wasi_impl.h"

/* ---- handle tables -------------------------------------------------------- */

bool wp2_table_add(wp2_table *t, void *obj, uint32_t *rep, wc_trap *trap) {
  uint32_t i = 0;
  while (i < t->n && t->items[i]) i++;
  if (i == t->n) {
    if (t->n == WP2_MAX_HANDLES) return wp2_trap(trap, "more than %u live %ss", WP2_MAX_HANDLES, t->what);
    if (!rt_grow((void **)&t->items, &t->cap, t->n + 1, sizeof *t->items)) return wp2_trap_oom(trap);
    t->n++;
  }
  t->items[i] = obj;
  *rep = i;
  return true;
}

void *wp2_table_get(const wp2_table *t, uint32_t rep, wc_trap *trap) {
  if (rep < t->n && t->items[rep]) return t->items[rep];
  wp2_trap(trap, "unknown %s %u", t->what, rep);
  return NULL;
}

void *wp2_table_take(wp2_table *t, uint32_t rep) {
  if (rep >= t->n) return NULL;
  void *o = t->items[rep];
  t->items[rep] = NULL;
  return o;
}

void wp2_table_free(wp2_table *t) {
  free(t->items);
  t->items = NULL;
  t->n = t->cap = 0;
}

/* ---- shared helpers ------------------------------------------------------- */

uint64_t wp2_mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

bool wp2_interrupted_now(const wp2_ctx *p) { return p->cfg.interrupt && wasi_is_interrupted(p->cfg.interrupt); }

bool wp2_trap(wc_trap *trap, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  trap->trapped = true;
  vsnprintf(trap->msg, sizeof trap->msg, fmt, ap);
  va_end(ap);
  return false;
}

bool wp2_trap_timeout(wc_trap *trap) { return wp2_trap(trap, "wall-clock timeout"); }
bool wp2_trap_oom(wc_trap *trap) { return wp2_trap(trap, "out of host memory"); }

int wp2_wait_fd(wp2_ctx *p, int fd, short events, uint64_t deadline) {
  for (;;) {
    if (wp2_interrupted_now(p)) return -1;
    int ms = WP2_SLICE_MS;
    if (deadline) {
      uint64_t now = wp2_mono_ns();
      if (now >= deadline) return 0;
      if ((deadline - now) / 1000000u < (uint64_t)ms) ms = (int)((deadline - now) / 1000000u) + 1;
    }
    struct pollfd pf = {.fd = fd, .events = events};
    int r = poll(&pf, 1, p->cfg.interrupt ? ms : (deadline ? ms : -1));
    if (r > 0) return 1;
    if (r < 0 && errno != EINTR) return 1; /* let the read or write report it */
  }
}

bool wp2_fd_ready(int fd, short events) {
  struct pollfd pf = {.fd = fd, .events = events};
  return poll(&pf, 1, 0) != 0;
}

bool wp2_stream_result(wp2_ctx *p, wc_arena *a, wc_value *out, bool ok, wc_value *payload, int e, wc_trap *trap) {
  if (ok) { *out = wp2_variant(0, payload); return true; }
  wc_value *se = wp2_vals(a, 2);
  if (!se) return wp2_trap_oom(trap);
  if (e == 0 || e == EPIPE || e == EBADF) {
    se[0] = wp2_variant(1, NULL);
  } else {
    se[1] = wp2_own(p->rt_err, (uint32_t)e);
    se[0] = wp2_variant(0, &se[1]);
  }
  *out = wp2_variant(1, se);
  return true;
}

wc_value *wp2_u8_list(wc_arena *a, const uint8_t *b, size_t n, wc_value *out) {
  wc_value *v = wp2_vals(a, n);
  if (!v) return NULL;
  for (size_t i = 0; i < n; i++) v[i] = (wc_value){.kind = WC_V_U8, .u.u = b[i]};
  *out = (wc_value){.kind = WC_V_LIST, .u.seq = {v, (uint32_t)n}};
  return v;
}

/* ---- registration --------------------------------------------------------- */

/* Whether the root of `c` imports an instance named `iface` (no version) at
 * some version. */
static bool imports_iface(const wc_component *c, const char *iface) {
  size_t n = strlen(iface);
  for (uint32_t i = 0; i < c->ndefs; i++) {
    const wc_def *d = &c->defs[i];
    if (d->kind == WC_DEF_IMPORT && d->sort == WC_INSTANCE && d->u.ie.name.len > n &&
        d->u.ie.name.ptr[n] == '@' && !memcmp(d->u.ie.name.ptr, iface, n))
      return true;
  }
  return false;
}

bool wp2_register(wp2_ctx *p, wc_host *h, const wp2_func *funcs, size_t n) {
  for (size_t i = 0; i < n; i++) {
    /* a function is looked up only under an import of its interface, and no
     * other definition refers to it: those of interfaces `only` does not
     * import can be left out (types and resources cannot: others `use` them) */
    if (p->only && !imports_iface(p->only, funcs[i].iface)) continue;
    char full[96];
    snprintf(full, sizeof full, "%s%s", funcs[i].iface, WP2_VERSION);
    if (!wc_host_add(h, full, funcs[i].name, funcs[i].sig, funcs[i].fn, p)) return false;
  }
  return true;
}

bool wp2_define(wc_host *h, const wp2_types *types, size_t n) {
  for (size_t i = 0; i < n; i++) {
    char full[96];
    snprintf(full, sizeof full, "%s%s", types[i].iface, WP2_VERSION);
    if (!wc_host_add_types(h, full, types[i].defs)) return false;
  }
  return true;
}

bool wp2_add_resource(wp2_ctx *p, wc_host *h, const char *iface, const char *name, const wc_resource_type **out,
                      bool (*dtor)(void *ctx, uint32_t rep, wc_trap *trap)) {
  char full[96];
  snprintf(full, sizeof full, "%s%s", iface, WP2_VERSION);
  return (*out = wc_host_add_resource(h, full, name, dtor, p)) != NULL;
}

/* The interface families, in the order they must be added: an interface's
 * types `use` names of the families before it (every family's use wasi:io;
 * filesystem, sockets and http use wasi:clocks, which cli.c defines), so a
 * family brings those along (`needs`). Each row's packages are what its file
 * registers. */
typedef struct wp2_family {
  unsigned bit, needs;
  bool (*add)(wp2_ctx *p, wc_host *h);
  const char *packages[3]; /* "wasi:PKG/" prefixes of the interface names it serves */
} wp2_family;

static const wp2_family families[] = {
  {WP2_IO, 0, wp2_add_io, {"wasi:io/"}},
  {WP2_CLI, WP2_IO, wp2_add_cli, {"wasi:cli/", "wasi:clocks/", "wasi:random/"}},
  {WP2_FILESYSTEM, WP2_IO | WP2_CLI, wp2_add_filesystem, {"wasi:filesystem/"}},
  {WP2_SOCKETS, WP2_IO | WP2_CLI, wp2_add_sockets, {"wasi:sockets/"}},
  {WP2_HTTP, WP2_IO | WP2_CLI, wp2_add_http, {"wasi:http/"}},
};
#define NFAMILIES (sizeof families / sizeof families[0])

unsigned wp2_imported(const wc_component *c) {
  unsigned want = 0;
  for (uint32_t i = 0; i < c->ndefs; i++) {
    const wc_def *d = &c->defs[i];
    if (d->kind != WC_DEF_IMPORT || d->sort != WC_INSTANCE) continue;
    for (size_t f = 0; f < NFAMILIES; f++)
      for (size_t k = 0; k < 3 && families[f].packages[k]; k++) {
        size_t n = strlen(families[f].packages[k]);
        if (d->u.ie.name.len > n && !memcmp(d->u.ie.name.ptr, families[f].packages[k], n)) want |= families[f].bit;
      }
  }
  return want;
}

bool wp2_add_families(wp2_ctx *p, wc_host *h, unsigned which) {
  for (size_t f = 0; f < NFAMILIES; f++)
    if (which & families[f].bit) which |= families[f].needs;
  for (size_t f = 0; f < NFAMILIES; f++) {
    if (!(which & families[f].bit) || (p->added & families[f].bit)) continue;
    if (!families[f].add(p, h)) return false;
    p->added |= families[f].bit;
  }
  return true;
}

bool wp2_add_to_host(wp2_ctx *p, wc_host *h) { return wp2_add_families(p, h, WP2_ALL); }

bool wp2_add_imports(wp2_ctx *p, wc_host *h, const wc_component *c, unsigned extra) {
  p->only = c;
  bool ok = wp2_add_families(p, h, wp2_imported(c) | extra);
  p->only = NULL;
  return ok;
}

/* ---- the context ---------------------------------------------------------- */

wp2_ctx *wp2_new(const wp2_config *cfg) {
  wp2_ctx *p = calloc(1, sizeof *p);
  if (!p) return NULL;
  p->cfg = *cfg;
  p->streams.what = "stream";
  p->polls.what = "pollable";
  return p;
}

bool wp2_at_free(wp2_ctx *p, void (*fn)(wp2_ctx *p, bool final)) {
  wp2_cleanup *c = malloc(sizeof *c);
  if (!c) return false;
  *c = (wp2_cleanup){fn, p->cleanups};
  p->cleanups = c;
  return true;
}

void wp2_free(wp2_ctx *p) {
  if (!p) return;
  while (p->cleanups) {
    wp2_cleanup *c = p->cleanups;
    p->cleanups = c->next;
    c->fn(p, true);
    free(c);
  }
  wp2_table_free(&p->streams);
  wp2_table_free(&p->polls);
  free(p);
}

void wp2_reset(wp2_ctx *p) {
  for (wp2_cleanup *c = p->cleanups; c; c = c->next) c->fn(p, false);
  p->exited = false;
  p->exit_code = 0;
}

bool wp2_exited(const wp2_ctx *p, int *code) {
  if (p->exited) *code = p->exit_code;
  return p->exited;
}

bool wp2_interrupted(const wp2_ctx *p) { return wp2_interrupted_now(p); }
