/*
 * wasihttp.c — `wasi:http/proxy` components under `wrun serve`: a component
 * exporting wasi:http/incoming-handler@0.2.N (Spin, componentize-js, Rust's
 * wasip2 target) answers each request in a fresh instance of its own,
 * through the wasi:http host's server API (src/wasip2/http.h).
 *
 * Instances: prepare makes a component template (src/cinst: one instance
 * template per core module, copy-on-write memory images, compiled code
 * attached). Each guest slot of a worker (serve_exchange_worker_slot: one per
 * guest running at once) keeps one instance graph: a store, a WASI 0.2
 * context and host (its outgoing-handler allowed only the --allow-http
 * destinations) and the component instantiated from the template. Per
 * request the graph is renewed in place (wc_instance_renew: every core
 * instance back to its initial state, start functions run again, handle
 * tables emptied), incoming-handler.handle is called with the exchange's
 * request, and the host's objects are freed after (wp2_reset). A request
 * that trapped, timed out or failed in the host discards the whole graph
 * and builds a new one from the template before returning (the next
 * request builds it if that failed). WRUN_SERVE_NO_TEMPLATE=1 (for
 * comparisons) builds a graph per request instead, with plain instantiation.
 * The response sink hands the head and each body piece straight to the
 * exchange, which streams them as they come (a write waits while the client
 * is far behind; the server moves a long-running guest off its loop thread:
 * docs/serve.md, "Streaming"). Request bodies are buffered whole by h2o and
 * given to the guest from memory, with no trailers (h2o 2.2 gives a handler
 * none). The guest's response trailers end the body over chunked HTTP/1.1
 * (serve_exchange_finish_trailers; dropped, and logged, where the response
 * is not chunked: HTTP/1.0, HTTP/2).
 *
 * Failures (docs/serve.md): a trap before the head, a missing response or a
 * failed instantiation is 500; a trap after the head cuts the response short;
 * an error-code the guest sets is 500, 502 for the cases that say an upstream
 * failed and 504 for the ones that say it timed out.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "cinst/instance.h"
#include "serve/instance.h"
#include "serve/serve.h"
#include "wasi/wasi.h"
#include "wasip2/http.h"
#include "wasip2/wasip2.h"

/* What prepare made, shared read-only by the workers. */
typedef struct wh_app {
  const serve_config *cfg;
  const wc_component *c;
  wc_template *tmpl;               /* NULL: WRUN_SERVE_NO_TEMPLATE=1 */
  char handler[160];               /* "wasi:http/incoming-handler@0.2.N#handle" */
} wh_app;

/* Everything one instance graph needs, freed together. */
typedef struct wh_instance {
  wasi_ctx *wasi;                  /* only with --timeout: its interrupt ends the guest's waits */
  wrun_store *store;
  wc_host *host;
  wp2_ctx *p2;
  wc_instance *inst;
  bool used;                       /* a request ran in it since it was made or renewed */
} wh_instance;

/* Per worker: the --timeout watchdog and the instance graph it renews. */
typedef struct wh_worker {
  serve_watchdog *wd;
  wh_instance wi;                  /* inst NULL: none yet (or the last one was discarded) */
} wh_worker;

/* One request, between the sink callbacks and the code that ends it. */
typedef struct wh_req {
  serve_exchange *x;
  bool head;                       /* the exchange's response started */
  bool ended, complete;            /* sink.end ran, and whether the body was finished */
  serve_header *trailers;          /* copied at sink.end: the fields live only during the callback */
  size_t ntrailers;
} wh_req;

/* Every request of every worker instantiates the same component. */
static char *guest_argv0 = "wasi-http";

/* ---- the response sink ---------------------------------------------------- */

static serve_header *headers_of(const wp2_http_field *f, size_t n) {
  serve_header *h = calloc(n + 1, sizeof *h);
  if (!h) return NULL;
  for (size_t i = 0; i < n; i++)
    h[i] = (serve_header){f[i].name, f[i].name_len, (const char *)f[i].value, f[i].value_len};
  return h;
}

static int sink_head(void *arg, unsigned status, const wp2_http_field *fields, size_t n) {
  wh_req *r = arg;
  serve_header *h = headers_of(fields, n);
  if (!h) return ENOMEM; /* the guest's writes fail; the request ends in a 500 */
  serve_exchange_start(r->x, (int)status, h, n);
  free(h);
  r->head = true;
  return 0;
}

static int sink_body(void *arg, const uint8_t *data, size_t n) {
  wh_req *r = arg;
  serve_exchange_write(r->x, data, n); /* may wait while the client is behind */
  return serve_exchange_gone(r->x) ? EPIPE : 0;
}

/* The exchange is ended after wp2_http_handle returns, when the outcome (and
 * a trap's message, for the log) is known. */
static void sink_end(void *arg, const wp2_http_field *trailers, size_t n, bool complete) {
  wh_req *r = arg;
  r->ended = true;
  r->complete = complete;
  if (!complete || !n) return;
  /* one block: the views, then the names and values */
  size_t bytes = n * sizeof *r->trailers;
  for (size_t i = 0; i < n; i++) bytes += trailers[i].name_len + trailers[i].value_len;
  serve_header *t = malloc(bytes);
  if (!t) { /* the trailers cannot be kept: end the body broken rather than without them */
    r->complete = false;
    return;
  }
  char *p = (char *)(t + n);
  for (size_t i = 0; i < n; i++) {
    t[i] = (serve_header){memcpy(p, trailers[i].name, trailers[i].name_len), trailers[i].name_len, NULL,
                          trailers[i].value_len};
    p += trailers[i].name_len;
    t[i].value = trailers[i].value_len ? memcpy(p, trailers[i].value, trailers[i].value_len) : p;
    p += trailers[i].value_len;
  }
  r->trailers = t;
  r->ntrailers = n;
}

/* ---- outcomes -------------------------------------------------------------- */

static bool starts_with(const char *s, const char *prefix) { return strncmp(s, prefix, strlen(prefix)) == 0; }

/* The status for an error-code the guest set (its case name starts res.message). */
static int error_code_status(const char *msg) {
  static const char *const timeouts[] = {"connection-timeout", "connection-read-timeout",
                                         "connection-write-timeout", "HTTP-response-timeout"};
  static const char *const upstream[] = {"DNS-", "destination-", "connection-", "TLS-", "HTTP-response-",
                                         "HTTP-protocol-error", "HTTP-upgrade-failed"};
  for (size_t i = 0; i < sizeof timeouts / sizeof *timeouts; i++)
    if (starts_with(msg, timeouts[i])) return 504;
  for (size_t i = 0; i < sizeof upstream / sizeof *upstream; i++)
    if (starts_with(msg, upstream[i])) return 502;
  return 500;
}

/* Ends the exchange from what the handler did. */
static void finish(wh_req *r, const wp2_http_result *res, bool host_ok, bool timed_out) {
  char why[400];
  if (!host_ok) {
    snprintf(why, sizeof why, "error: %s", res->message);
    serve_exchange_fail(r->x, 500, why);
    return;
  }
  switch (res->outcome) {
  case WP2_HTTP_RESPONDED:
    if (r->complete) serve_exchange_finish_trailers(r->x, r->trailers, r->ntrailers);
    else serve_exchange_fail(r->x, 500, "the handler left its body unfinished");
    return;
  case WP2_HTTP_ERROR_CODE:
    snprintf(why, sizeof why, "error-code: %s", res->message);
    serve_exchange_fail(r->x, r->head ? 500 : error_code_status(res->message), why);
    return;
  case WP2_HTTP_NO_RESPONSE:
    serve_exchange_fail(r->x, 500, "the handler returned without a response");
    return;
  case WP2_HTTP_TRAP:
    snprintf(why, sizeof why, "trap: %s%s", res->message, timed_out ? " (--timeout)" : "");
    serve_exchange_fail(r->x, 500, why);
    return;
  }
  serve_exchange_fail(r->x, 500, "unknown outcome");
}

/* The request as wasi:http sees it: hop-by-hop fields and Host (which becomes
 * the authority) left out, since a guest may not set those either. */
static bool hop_by_hop(const char *n, size_t len) {
  static const char *const names[] = {"connection", "keep-alive", "transfer-encoding", "upgrade", "host",
                                      "proxy-connection", "te", "trailer", "http2-settings"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strlen(names[i]) == len && strncasecmp(names[i], n, len) == 0) return true;
  return false;
}

typedef struct wh_in {
  char *method, *authority, *path;
  wp2_http_field *fields;
  size_t nfields;
} wh_in;

static void in_free(wh_in *in) {
  free(in->method);
  free(in->authority);
  free(in->path);
  free(in->fields);
}

static bool in_fill(wh_in *in, const serve_request *sr) {
  memset(in, 0, sizeof *in);
  in->method = strndup(sr->method, sr->method_len);
  in->authority = strndup(sr->authority ? sr->authority : "", sr->authority ? sr->authority_len : 0);
  in->path = sr->uri_len ? strndup(sr->uri, sr->uri_len) : strdup("/");
  in->fields = calloc(sr->nheaders + 1, sizeof *in->fields);
  if (!in->method || !in->authority || !in->path || !in->fields) return false;
  for (size_t i = 0; i < sr->nheaders; i++) {
    const serve_header *h = &sr->headers[i];
    if (hop_by_hop(h->name, h->name_len)) continue;
    in->fields[in->nfields++] =
        (wp2_http_field){h->name, h->name_len, (const uint8_t *)h->value, h->value_len};
  }
  return true;
}

/* ---- one request ------------------------------------------------------------ */

static void instance_free(wh_instance *wi) {
  wc_instance_free(wi->inst);
  wc_host_free(wi->host);
  wp2_free(wi->p2);
  rt_store_free(wi->store);
  if (wi->wasi) wasi_free(wi->wasi);
  memset(wi, 0, sizeof *wi);
}

static rt_config store_config(const serve_limits *lim) {
  rt_config sc = {0};
  sc.fuel = lim->fuel;
  sc.max_memory_bytes = lim->max_memory;
  sc.stack_bytes = lim->max_stack > UINT32_MAX ? UINT32_MAX : (uint32_t)lim->max_stack;
  sc.max_call_depth = lim->max_call_depth;
  sc.interruptible = lim->timeout_ns != 0;
  sc.aot = lim->aot;
  return sc;
}

/* Why instantiating or renewing failed, for the 500 and the log. */
static void instance_failed(const wh_instance *wi, const rt_error *err, char *why, size_t whylen) {
  rt_trap_kind k = wi->store ? rt_store_trap_kind(wi->store) : WRUN_TRAP_NONE;
  snprintf(why, whylen, "%s: %s%s", err->kind == WRUN_ERR_TRAP || err->kind == WRUN_ERR_EXHAUSTION ? "trap" : "error",
           err->message, k == WRUN_TRAP_TIMEOUT ? " (--timeout)" : k == WRUN_TRAP_FUEL ? " (--fuel)" : "");
}

/* Store, WASI 0.2 host and context; false with `why` set. */
static bool instance_env(const wh_app *app, wh_instance *wi, char *why, size_t whylen) {
  const serve_config *cfg = app->cfg;
  const serve_limits *lim = &cfg->limits;
  rt_error err;
  rt_error_clear(&err);
  if (lim->timeout_ns) {
    char *argv[] = {guest_argv0, NULL};
    wasi_config wc = {.argc = 1, .argv = argv, .interruptible = true};
    if (!(wi->wasi = wasi_new(&wc, &err))) {
      snprintf(why, whylen, "error: %s", err.message);
      return false;
    }
  }
  rt_config sc = store_config(lim);
  wi->store = engine_store_new(app->tmpl ? wc_template_config(app->tmpl) : &sc);
  wi->host = wi->store ? wc_host_new() : NULL;
  char *argv[] = {guest_argv0, NULL};
  wp2_config pc = {.argc = 1, .argv = argv, .interrupt = wi->wasi};
  wi->p2 = wi->host ? wp2_new(&pc) : NULL;
  /* the families the handler imports (wasi:http always: it keeps the
   * --allow-http list and serves the request) */
  if (!wi->p2 || !wp2_add_imports(wi->p2, wi->host, app->c, WP2_HTTP)) {
    snprintf(why, whylen, "error: out of memory");
    return false;
  }
  for (size_t i = 0; i < cfg->nallow_http; i++)
    if (!wp2_http_allow(wi->p2, cfg->allow_http[i], why, whylen)) return false;
  return true;
}

/* A fresh instance graph in wi (empty): false with `why` set. */
static bool instance_new(const wh_app *app, serve_watchdog *wd, wh_instance *wi, char *why, size_t whylen) {
  if (!instance_env(app, wi, why, whylen)) return false;
  rt_error err;
  rt_error_clear(&err);
  if (wd) serve_watchdog_arm(wd, wi->store, wi->wasi, app->cfg->limits.timeout_ns);
  wi->inst = app->tmpl ? wc_template_instantiate(app->tmpl, wi->store, wi->host, &err)
                       : wc_instantiate(wi->store, app->c, wi->host, &err);
  if (wd) serve_watchdog_disarm(wd);
  if (!wi->inst) instance_failed(wi, &err, why, whylen);
  return wi->inst != NULL;
}

/* The worker's graph made fresh for this request: renewed in place, or made
 * anew when there is none (or no template). False with `why` set; the graph
 * is then gone. */
static bool instance_ready(const wh_app *app, wh_worker *wk, char *why, size_t whylen) {
  wh_instance *wi = &wk->wi;
  if (wi->inst && (!app->tmpl || wi->used)) {
    if (!app->tmpl) instance_free(wi);
    else {
      rt_error err;
      rt_error_clear(&err);
      rt_store_refill(wi->store); /* this request's fuel */
      if (wk->wd) serve_watchdog_arm(wk->wd, wi->store, wi->wasi, app->cfg->limits.timeout_ns);
      bool ok = wc_instance_renew(wi->inst, &err);
      if (wk->wd) serve_watchdog_disarm(wk->wd);
      if (!ok) {
        instance_failed(wi, &err, why, whylen);
        instance_free(wi);
        return false;
      }
    }
  }
  if (!wi->inst && !instance_new(app, wk->wd, wi, why, whylen)) {
    instance_free(wi);
    return false;
  }
  wi->used = true;
  return true;
}

static void wh_handle(void *prepared, serve_exchange *x) {
  const wh_app *app = prepared;
  const serve_limits *lim = &app->cfg->limits;
  void **slot = serve_exchange_worker_slot(x);
  wh_worker *wk = *slot;
  if (!wk && (wk = calloc(1, sizeof *wk)) != NULL) {
    if (lim->timeout_ns) wk->wd = serve_watchdog_new();
    *slot = wk;
  }
  if (!wk || (lim->timeout_ns && !wk->wd)) {
    serve_exchange_fail(x, 500, "out of memory");
    return;
  }
  char why[400];
  wh_in in;
  if (!in_fill(&in, serve_exchange_request(x))) {
    in_free(&in);
    serve_exchange_fail(x, 500, "out of memory");
    return;
  }
  if (!instance_ready(app, wk, why, sizeof why)) {
    serve_exchange_fail(x, 500, why);
    in_free(&in);
    return;
  }
  wh_instance *wi = &wk->wi;
  serve_watchdog *wd = lim->timeout_ns ? wk->wd : NULL;
  const serve_request *sr = serve_exchange_request(x);
  wp2_http_request req = {
    .method = in.method,
    .scheme = app->cfg->tls_cert ? "https" : "http",
    .authority = in.authority[0] ? in.authority : NULL,
    .path_with_query = in.path,
    .headers = in.fields,
    .nheaders = in.nfields,
    .body = sr->body,
    .body_len = sr->body_len,
  };
  wh_req r = {.x = x};
  wp2_http_response_sink sink = {sink_head, sink_body, sink_end, &r};
  wp2_http_result res;
  memset(&res, 0, sizeof res);
  if (wd) {
    serve_watchdog_arm(wd, wi->store, wi->wasi, lim->timeout_ns);
    serve_exchange_deadline(x, lim->timeout_ns); /* a write waiting for a slow client gives up then too */
  }
  bool ok = wp2_http_handle(wi->p2, wi->inst, app->handler, &req, &sink, &res);
  if (wd) {
    serve_exchange_deadline(x, 0);
    serve_watchdog_disarm(wd);
  }
  bool timed_out = wp2_interrupted(wi->p2) || rt_store_trap_kind(wi->store) == WRUN_TRAP_TIMEOUT;
  if (res.outcome == WP2_HTTP_TRAP && !timed_out && rt_store_trap_kind(wi->store) == WRUN_TRAP_FUEL)
    snprintf(res.message + strlen(res.message), sizeof res.message - strlen(res.message), " (--fuel)");
  finish(&r, &res, ok, timed_out);
  free(r.trailers);
  /* the objects the guest left go now (descriptors, sockets, bodies); a
   * graph that trapped or was interrupted is not renewed but made anew,
   * now, so the request that failed pays for it rather than the next one
   * (if that fails, the next request tries again) */
  if (!ok || timed_out || res.outcome == WP2_HTTP_TRAP || !app->tmpl) {
    instance_free(wi);
    if (app->tmpl && !instance_new(app, wd, wi, why, sizeof why)) instance_free(wi);
  } else {
    wp2_reset(wi->p2);
  }
  in_free(&in);
}

static void wh_worker_free(void *p) {
  wh_worker *wk = p;
  instance_free(&wk->wi);
  serve_watchdog_free(wk->wd);
  free(wk);
}

/* ---- detection and preparation --------------------------------------------- */

static bool wh_detect(const serve_app *app) {
  char name[160];
  return app->component && wp2_http_handler_name(app->component, name, sizeof name);
}

static void *wh_prepare(const serve_config *cfg, const serve_app *sa, char *err, size_t errlen) {
  wh_app *app = calloc(1, sizeof *app);
  if (!app) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  app->cfg = cfg;
  app->c = sa->component;
  if (!app->c || !wp2_http_handler_name(app->c, app->handler, sizeof app->handler)) {
    snprintf(err, errlen, "wasi:http: the component must export wasi:http/incoming-handler@0.2.x");
    free(app);
    return NULL;
  }
  if (!getenv("WRUN_SERVE_NO_TEMPLATE")) { /* a switch for measuring the other path */
    rt_config sc = store_config(&cfg->limits);
    rt_error e;
    if (!(app->tmpl = wc_template_new(app->c, &sc, &e))) {
      snprintf(err, errlen, "wasi:http: %s", e.message);
      free(app);
      return NULL;
    }
  }
  return app;
}

static void wh_free(void *prepared) {
  wh_app *app = prepared;
  wc_template_free(app->tmpl); /* the workers' stores are gone */
  free(app);
}

const serve_guest_ops serve_wasihttp_ops = {
  .name = "wasi:http",
  .detect = wh_detect,
  .prepare = wh_prepare,
  .handle = wh_handle,
  .worker_free = wh_worker_free,
  .free = wh_free,
};
