/*
 * http.h — wasi:http 0.2 for the WASI 0.2 host: the C API an HTTP server uses
 * to hand one request to a `wasi:http/incoming-handler` component and get its
 * response back as it is produced, and the allow-list of
 * `wasi:http/outgoing-handler` (outgoing requests are denied unless allowed).
 *
 * The types (wasi:http/types: fields, requests, responses, bodies, trailers,
 * response-outparam, futures, error-code) and the outgoing-handler are
 * registered by wp2_add_to_host (http.c), so any component importing them
 * links; a request it sends to a destination not on the allow-list fails with
 * error-code.HTTP-request-denied.
 *
 * Threading: everything here runs on the thread that calls wp2_http_handle,
 * synchronously, like the rest of a component call. The body source and the
 * response sink callbacks are called on that thread while the guest runs.
 * A libuv/h2o server therefore runs the guest off its loop thread (a worker
 * thread per loop, or uv_queue_work) and lets its callbacks hand the head and
 * the chunks to the loop (uv_async_send) — the sink may block to apply
 * back-pressure, the source must not block: it returns -EAGAIN and the guest's
 * blocking read waits for `ready` (and the source's descriptor, if any), in
 * slices that --timeout's interrupt ends. A server that runs the guest on its
 * loop thread can instead buffer: the chunks then reach the client when the
 * call returns.
 */
#ifndef WRUN_WASIP2_HTTP_H
#define WRUN_WASIP2_HTTP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cinst/instance.h"
#include "wasip2/wasip2.h"

/* One header or trailer field (bytes; names need not be NUL-terminated). */
typedef struct wp2_http_field {
  const char *name;
  size_t name_len;
  const uint8_t *value;
  size_t value_len;
} wp2_http_field;

/* A request body the server streams to the guest (when `read` is set). */
typedef struct wp2_http_body_source {
  /* Up to cap bytes into buf: the count (> 0), 0 at the end of the body,
   * -EAGAIN when nothing is there yet, another -errno when the body failed
   * (the client went away). Must not block. */
  long (*read)(void *arg, uint8_t *buf, size_t cap);
  /* Whether read would return something other than -EAGAIN (NULL: always). */
  bool (*ready)(void *arg);
  /* Polled for POLLIN while the guest waits for the body (-1: none, then
   * `ready` is asked every millisecond). */
  int fd;
  /* After read returned 0: the request's trailers (may set *n = 0). The
   * fields must stay valid until wp2_http_handle returns. May be NULL. */
  void (*trailers)(void *arg, const wp2_http_field **fields, size_t *n);
  void *arg;
} wp2_http_body_source;

typedef struct wp2_http_request {
  const char *method;           /* "GET", "POST", ... (any token) */
  const char *scheme;           /* "http", "https", something else, or NULL for none */
  const char *authority;        /* "host:port", or NULL for none */
  const char *path_with_query;  /* "/p?q", or NULL for none */
  const wp2_http_field *headers;
  size_t nheaders;
  /* The body: `source.read` when streamed, else the bytes body[0..body_len)
   * followed by the trailers trailers[0..ntrailers). */
  wp2_http_body_source source;
  const uint8_t *body;
  size_t body_len;
  const wp2_http_field *trailers;
  size_t ntrailers;
} wp2_http_request;

/* Where the guest's response goes, as the guest produces it. */
typedef struct wp2_http_response_sink {
  /* response-outparam.set with a response: its status and headers (valid
   * for the call only). Return 0, or an errno if the response cannot be sent
   * (the guest's body writes then fail with stream-error.closed). */
  int (*head)(void *arg, unsigned status, const wp2_http_field *headers, size_t n);
  /* One piece of the body as the guest wrote it (valid for the call only):
   * 0, or an errno (EPIPE: the client is gone; the guest sees
   * stream-error.closed). May block to apply back-pressure. */
  int (*body)(void *arg, const uint8_t *data, size_t n);
  /* The body ended: `complete` when the guest finished it
   * (outgoing-body.finish, with trailers[0..n), or when it never asked for a
   * body); false when the body was dropped unfinished, the handler trapped
   * or returned with the body still open — the server must then abort the
   * response (e.g. close the connection). Called at most once, after head. */
  void (*end)(void *arg, const wp2_http_field *trailers, size_t n, bool complete);
  void *arg;
} wp2_http_response_sink;

typedef enum {
  WP2_HTTP_RESPONDED,     /* the guest set a response (head was called) */
  WP2_HTTP_ERROR_CODE,    /* the guest set err(error-code): `message` names the case */
  WP2_HTTP_NO_RESPONSE,   /* handle returned without setting the response-outparam */
  WP2_HTTP_TRAP,          /* the guest trapped: `message` is the trap's (head may have been called) */
} wp2_http_outcome;

typedef struct wp2_http_result {
  wp2_http_outcome outcome;
  bool head_sent;         /* sink.head was called */
  bool body_complete;     /* sink.end was called with complete = true */
  unsigned status;        /* with head_sent */
  char message[300];      /* error-code case (and payload) or trap message */
} wp2_http_result;

/* The name to call for the root's export wasi:http/incoming-handler@0.2.N
 * (e.g. "wasi:http/incoming-handler@0.2.10#handle") in buf; false when the
 * component has no such export (the detection a server uses). */
bool wp2_http_handler_name(const wc_component *c, char *buf, size_t cap);

/* Calls `handler` (from wp2_http_handler_name) of `inst`, whose imports were
 * served by `p` (wp2_add_to_host), with `req`, and streams the response to
 * `sink`. Returns false only when the host itself failed (out of memory,
 * `message` says so); a guest trap is outcome WP2_HTTP_TRAP and the server
 * answers 500 if head was not sent. When it returns, sink.end has been called
 * if sink.head was. One handler call per instance at a time; a component made
 * by componentize-js answers one request per instance. */
bool wp2_http_handle(wp2_ctx *p, wc_instance *inst, const char *handler, const wp2_http_request *req,
                     const wp2_http_response_sink *sink, wp2_http_result *out);

/* ---- outgoing requests ---------------------------------------------------- */

/* Allows outgoing requests (wasi:http/outgoing-handler) to `spec`:
 * HOST[:PORT] (a name compared case-insensitively with the request's
 * authority, or an IPv4/IPv6 address, [v6] with a port), or CIDR[:PORT]
 * (e.g. 127.0.0.0/8:8000, [::1/128]:80); no port: any port; `*` allows every
 * destination. False with a one-line reason in err for a bad spec. */
bool wp2_http_allow(wp2_ctx *p, const char *spec, char *err, size_t errlen);
/* Checks a spec without a context (for option parsing). */
bool wp2_http_allow_check(const char *spec, char *err, size_t errlen);

#endif
