/*
 * serve.h — `wrun serve`: an HTTP/1.1 server (h2o on libuv, docs/serve.md)
 * that hands each request to a WebAssembly guest through a small interface,
 * serve_guest_ops, which each guest ABI fills in (http-wasm for core modules
 * in httpwasm.c; wasi:http/proxy components in wasihttp.c).
 *
 * The server owns the connections, parsing, limits, streaming and logging;
 * a guest ABI sees one request at a time as a serve_exchange: it reads the
 * request (serve_exchange_request), answers with serve_exchange_start /
 * _write / _finish (or serve_exchange_respond in one go), and may forward the
 * request to --upstream (serve_exchange_fetch) before answering. The server
 * runs one worker (one libuv loop, one listening socket with SO_REUSEPORT)
 * per --workers; a guest ABI's handle runs on a thread of the worker that
 * received the request, outside the loop's callbacks: usually the loop's own
 * thread, or another thread of that worker once the guest has run long
 * (docs/serve.md, "Streaming"). The serve_exchange_* calls work from either.
 *
 * Ownership: the exchange belongs to the server; a handler must eventually
 * call serve_exchange_finish (or _respond / _fail) exactly once, after which
 * it must not touch the exchange again. If the client goes away first the
 * calls still work and their output is dropped.
 */
#ifndef WRUN_SERVE_SERVE_H
#define WRUN_SERVE_SERVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binary/module.h"

typedef struct serve_header {
  const char *name;                /* lower case for request headers */
  size_t name_len;
  const char *value;
  size_t value_len;
} serve_header;

/* The incoming request, valid until the exchange is finished. */
typedef struct serve_request {
  const char *method;
  size_t method_len;
  const char *uri;                 /* path and query as received, e.g. "/a?b=c" */
  size_t uri_len;
  const char *authority;           /* Host */
  size_t authority_len;
  int version;                     /* 0x100 HTTP/1.0, 0x101 HTTP/1.1, 0x200 HTTP/2 */
  const serve_header *headers;
  size_t nheaders;
  const uint8_t *body;             /* the whole body: h2o buffers it (up to --max-body-size) */
  size_t body_len;
  const char *peer;                /* "1.2.3.4:5678" or "[::1]:5678" */
} serve_request;

/* A response from --upstream (serve_exchange_fetch). Valid during the callback. */
typedef struct serve_upstream_response {
  int status;
  const serve_header *headers;
  size_t nheaders;
  const uint8_t *body;
  size_t body_len;
} serve_upstream_response;

/* A request to send upstream: method, URI (path and query) and headers as the
 * guest left them; the host part comes from --upstream. */
typedef struct serve_outgoing {
  const char *method;
  size_t method_len;
  const char *uri;
  size_t uri_len;
  const serve_header *headers;
  size_t nheaders;
  const uint8_t *body;
  size_t body_len;
} serve_outgoing;

typedef struct serve_exchange serve_exchange;

/* Limits for each request's instance (0: none). */
typedef struct serve_limits {
  uint64_t timeout_ns;             /* --timeout: wall time of each guest call */
  uint64_t max_memory;             /* --max-memory: bytes per linear memory */
  uint64_t fuel;                   /* --fuel: instructions per request (interpreter) */
  uint64_t max_stack;              /* --max-stack: bytes of wasm value stack */
  uint32_t max_call_depth;
  bool aot;                        /* the module carries compiled code (run it) */
} serve_limits;

/* Everything `wrun serve` was asked for. */
typedef struct serve_config {
  const char *path;                /* the app, for messages */
  const char *addr;                /* "127.0.0.1:8080", "[::1]:8080", ":8080" */
  unsigned workers;                /* loops (threads); 0: one per core */
  uint64_t max_header_size;        /* request line + headers, bytes: 431 beyond */
  uint64_t max_body_size;          /* request body, bytes: 413 beyond */
  uint64_t client_timeout_ns;      /* a client idle or slow this long is dropped */
  uint64_t drain_timeout_ns;       /* how long SIGINT/SIGTERM waits for requests in flight */
  bool log;                        /* one access-log line per request on stderr */
  bool verbose;
  const char *upstream;            /* --upstream URL or NULL */
  char *const *allow_http;         /* --allow-http: where a wasi:http guest's outgoing requests may go */
  size_t nallow_http;
  const char *tls_cert;            /* --tls-cert: PEM chain; with tls_key, serve HTTPS (and HTTP/2 by ALPN) */
  const char *tls_key;             /* --tls-key: PEM private key */
  const uint8_t *guest_config;     /* --guest-config contents (get_config) */
  size_t guest_config_len;
  bool reuse_instances;            /* --reuse-instances: a worker keeps its instance between requests */
  bool worker_processes;           /* --worker-processes: each worker a child process */
  serve_limits limits;
} serve_config;

/* The handler file as the CLI loaded it. */
typedef struct serve_app {
  const char *path;
  const uint8_t *bytes;            /* the whole file */
  size_t len;
  const wm_module *module;       /* decoded and validated (compiled code attached with --aot);
                                    * NULL when the file is a component (validated) */
  const struct wc_component *component; /* the component, decoded (compiled code attached with --aot), or NULL */
} serve_app;

/* A guest ABI. `detect` says whether the file speaks it; `prepare` runs once before the server starts and returns the
 * state shared (read-only) by all workers; `handle` runs for each request on
 * the worker that got it and must end the exchange (now or later, e.g. after
 * an upstream fetch); `worker_free` releases what a handler stored in
 * a *serve_exchange_worker_slot of that worker (at its exit); `free` undoes
 * prepare after all workers stopped. `app` (and its module) outlives the
 * prepared state. */
typedef struct serve_guest_ops {
  const char *name;                                         /* "http-wasm" */
  bool (*detect)(const serve_app *app);                     /* does this file speak the ABI */
  void *(*prepare)(const serve_config *cfg, const serve_app *app, char *err, size_t errlen);
  void (*handle)(void *prepared, serve_exchange *x);
  void (*worker_free)(void *worker_state);
  void (*free)(void *prepared);
} serve_guest_ops;

/* The http-wasm ABI for core modules (httpwasm.c). */
extern const serve_guest_ops serve_httpwasm_ops;
/* wasi:http/proxy components: a fresh instance per request (wasihttp.c). */
extern const serve_guest_ops serve_wasihttp_ops;

/* Runs the server until SIGINT or SIGTERM, then drains requests in flight.
 * Returns 0, or 1 after printing why it could not start. */
int serve_run(const serve_config *cfg, const serve_guest_ops *ops, void *prepared);

/* ---- what a handler may do with an exchange ---------------------------- */

const serve_request *serve_exchange_request(serve_exchange *x);
const serve_config *serve_exchange_config(serve_exchange *x);

/* A pointer for the guest ABI's own state, held by this exchange's guest
 * alone while it runs: a worker has one per guest it ran at once (NULL at
 * first; each released by ops->worker_free when the worker ends). An
 * upstream continuation gets the same one as its request's handle. It may
 * be used from different threads over time, never from two at once. */
void **serve_exchange_worker_slot(serve_exchange *x);

/* Starts the response (status line and headers; content-length, connection
 * and transfer-encoding are the server's and are dropped). Then _write sends
 * body bytes as they come (chunked; the first bytes go out at once, the rest
 * as the client takes them) and _finish ends it. */
void serve_exchange_start(serve_exchange *x, int status, const serve_header *headers, size_t n);
void serve_exchange_write(serve_exchange *x, const void *data, size_t len);
void serve_exchange_finish(serve_exchange *x);
/* _finish with trailer fields after the body. They go out only where the
 * response is chunked by the server: HTTP/1.1 without a content-length
 * (not HEAD, 204 or 304). Elsewhere (HTTP/1.0, HTTP/2: h2o 2.2 has no
 * trailers) they are dropped and the access-log line says so. Fields that
 * must not be trailers (framing, routing, hop-by-hop) are left out. */
void serve_exchange_finish_trailers(serve_exchange *x, const serve_header *trailers, size_t n);

/* The guest call now running on x must end within timeout_ns (its
 * --timeout; 0: no limit): a write of it still waiting for a slow client
 * then gives up and the response is cut off. */
void serve_exchange_deadline(serve_exchange *x, uint64_t timeout_ns);

/* A whole response in one call, with a content-length. Ends the exchange. */
void serve_exchange_respond(serve_exchange *x, int status, const serve_header *headers, size_t n,
                            const void *body, size_t len);

/* The handler failed (a trap, a limit): before the response started the
 * client gets `status` with a one-line body; after, the stream is cut short.
 * `why` goes to the access log line. Ends the exchange. */
void serve_exchange_fail(serve_exchange *x, int status, const char *why);

/* True when the client will get no more of the response (it went away, or
 * the response was cut off): a guest's further writes are dropped. */
bool serve_exchange_gone(serve_exchange *x);

/* True once serve_exchange_start ran. */
bool serve_exchange_started(const serve_exchange *x);

/* Sends `req` to --upstream and calls `cb` on this worker with the whole
 * response, or with `error` set (connection refused, timeout, too large).
 * False (no callback) when there is no --upstream. */
typedef void (*serve_fetch_cb)(serve_exchange *x, void *data, const serve_upstream_response *res,
                               const char *error);
bool serve_exchange_fetch(serve_exchange *x, const serve_outgoing *req, serve_fetch_cb cb, void *data);

/* ---- --upstream URLs (upstream.c) -------------------------------------- */

typedef struct serve_url {
  char host[256];                  /* name or address, without brackets */
  uint16_t port;
  char prefix[512];                /* path prefix, "" or "/base" (no trailing slash) */
} serve_url;

/* Parses "http://HOST[:PORT][/PREFIX]". False (with *why) on anything else:
 * other schemes, userinfo, a query or fragment, bad ports, long parts. */
bool serve_url_parse(const char *s, size_t len, serve_url *out, const char **why);

#endif
