/*
 * upstream.c — `--upstream URL`: where an http-wasm guest's "next handler"
 * sends the request. The URL parser (fuzzed by tests/fuzz/fuzz_serve_url.c)
 * and the forwarding itself, an HTTP/1.1 request per exchange over h2o's
 * client on the worker's loop, whose whole response is handed back.
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/server_internal.h"

/* Upstream responses are buffered whole; beyond this the fetch fails. */
#define UPSTREAM_MAX_BODY (64u << 20)
#define UPSTREAM_MAX_HEADERS 100

bool serve_url_parse(const char *s, size_t len, serve_url *out, const char **why) {
  memset(out, 0, sizeof *out);
  static const char scheme[] = "http://";
  if (len < sizeof scheme - 1 || strncasecmp(s, scheme, sizeof scheme - 1) != 0) {
    *why = "only http://HOST[:PORT][/PATH] URLs are supported";
    return false;
  }
  const char *p = s + sizeof scheme - 1, *end = s + len;
  const char *host = p, *host_end;
  if (p < end && *p == '[') { /* [v6] */
    host = ++p;
    while (p < end && *p != ']') p++;
    if (p == end) {
      *why = "unterminated [ in the host";
      return false;
    }
    host_end = p++;
  } else {
    while (p < end && *p != ':' && *p != '/') p++;
    host_end = p;
  }
  if (p < end && *p != ':' && *p != '/') {
    *why = "the host must be followed by :PORT, /PATH or nothing";
    return false;
  }
  size_t hl = (size_t)(host_end - host);
  if (hl == 0 || hl >= sizeof out->host) {
    *why = hl ? "host name too long" : "no host";
    return false;
  }
  for (const char *c = host; c < host_end; c++)
    if (!(isalnum((unsigned char)*c) || *c == '.' || *c == '-' || *c == ':' || *c == '_')) {
      *why = "bad character in the host (userinfo, query and fragment are not supported)";
      return false;
    }
  memcpy(out->host, host, hl);
  out->host[hl] = 0;
  out->port = 80;
  if (p < end && *p == ':') {
    p++;
    unsigned port = 0;
    const char *digits = p;
    while (p < end && *p >= '0' && *p <= '9' && port <= 65535) port = port * 10 + (unsigned)(*p++ - '0');
    if (p == digits || port == 0 || port > 65535 || (p < end && *p != '/')) {
      *why = "bad port";
      return false;
    }
    out->port = (uint16_t)port;
  }
  size_t pl = (size_t)(end - p);
  while (pl > 0 && p[pl - 1] == '/') pl--; /* "/base/" and "/base" mean the same prefix */
  if (pl >= sizeof out->prefix) {
    *why = "path too long";
    return false;
  }
  for (size_t i = 0; i < pl; i++)
    if (p[i] == '?' || p[i] == '#' || (unsigned char)p[i] <= ' ' || p[i] == 0x7f) {
      *why = "the path may not hold a query, fragment, spaces or control characters";
      return false;
    }
  memcpy(out->prefix, p, pl);
  out->prefix[pl] = 0;
  return true;
}

/* ---- forwarding -------------------------------------------------------- */

typedef struct fetch {
  serve_exchange *x;
  serve_fetch_cb cb;
  void *data;
  h2o_http1client_t *client;
  char *head;                      /* request line and headers */
  size_t head_len;
  h2o_iovec_t reqbufs[2];
  const uint8_t *body;             /* the guest's request body (copied) */
  uint8_t *body_copy;
  size_t body_len;
  /* the response */
  int status;
  serve_header *headers;
  size_t nheaders;
  char *header_bytes;
  uint8_t *rbody;
  size_t rbody_len, rbody_cap;
  const char *error;               /* why it failed (static strings), or NULL */
  serve_loop_call connect;         /* the connection is made on the loop */
  serve_work deliver;              /* the callback runs as guest work */
} fetch;

static void fetch_free(fetch *f) {
  free(f->head);
  free(f->body_copy);
  free(f->headers);
  free(f->header_bytes);
  free(f->rbody);
  free(f);
}

/* Guest work, off uv_run: the guest's callback, then the fetch's reference
 * to the exchange goes. */
static void fetch_deliver(void *arg) {
  fetch *f = arg;
  serve_upstream_response res = {f->status, f->headers, f->nheaders, f->rbody, f->rbody_len};
  serve_exchange *x = f->x;
  f->cb(x, f->data, f->error ? NULL : &res, f->error);
  fetch_free(f);
  serve_exchange_unref(x);
}

/* On the loop: the response is complete (or failed); the callback runs the
 * guest, so it is queued as work for the loop's owner (with the slot the
 * request's guest state lives in). */
static void fetch_done(fetch *f, const char *error) {
  f->error = error;
  serve_defer_work(f->x, &f->deliver, fetch_deliver, f);
}

static int on_body(h2o_http1client_t *client, const char *errstr) {
  fetch *f = client->data;
  h2o_buffer_t *in = client->sock ? client->sock->input : NULL;
  if (in && in->size) {
    if (f->rbody_len + in->size > UPSTREAM_MAX_BODY) {
      fetch_done(f, "upstream response body too large");
      return -1;
    }
    if (f->rbody_len + in->size > f->rbody_cap) {
      size_t cap = f->rbody_cap ? f->rbody_cap : 8192;
      while (cap < f->rbody_len + in->size) cap *= 2;
      uint8_t *p = realloc(f->rbody, cap);
      if (!p) {
        fetch_done(f, "out of memory");
        return -1;
      }
      f->rbody = p;
      f->rbody_cap = cap;
    }
    memcpy(f->rbody + f->rbody_len, in->bytes, in->size);
    f->rbody_len += in->size;
    h2o_buffer_consume(&client->sock->input, in->size);
  }
  if (errstr == h2o_http1client_error_is_eos) fetch_done(f, NULL);
  else if (errstr) fetch_done(f, errstr);
  return 0;
}

static h2o_http1client_body_cb on_head(h2o_http1client_t *client, const char *errstr, int minor_version, int status,
                                       h2o_iovec_t msg, h2o_header_t *headers, size_t num_headers, int rlen) {
  fetch *f = client->data;
  if (errstr && errstr != h2o_http1client_error_is_eos) {
    fetch_done(f, errstr);
    return NULL;
  }
  f->status = status;
  size_t bytes = 0;
  if (num_headers > UPSTREAM_MAX_HEADERS) num_headers = UPSTREAM_MAX_HEADERS;
  for (size_t i = 0; i < num_headers; i++) bytes += headers[i].name->len + headers[i].value.len;
  f->headers = calloc(num_headers + 1, sizeof *f->headers);
  f->header_bytes = malloc(bytes + 1);
  if (!f->headers || !f->header_bytes) {
    fetch_done(f, "out of memory");
    return NULL;
  }
  char *p = f->header_bytes;
  for (size_t i = 0; i < num_headers; i++) { /* the socket's buffer moves on: copy */
    serve_header *h = &f->headers[f->nheaders++];
    memcpy(p, headers[i].name->base, headers[i].name->len);
    h->name = p;
    h->name_len = headers[i].name->len;
    p += h->name_len;
    memcpy(p, headers[i].value.base, headers[i].value.len);
    h->value = p;
    h->value_len = headers[i].value.len;
    p += h->value_len;
  }
  if (errstr == h2o_http1client_error_is_eos) { /* no body */
    fetch_done(f, NULL);
    return NULL;
  }
  return on_body;
}

static h2o_http1client_head_cb on_connect(h2o_http1client_t *client, const char *errstr, h2o_iovec_t **reqbufs,
                                          size_t *reqbufcnt, int *method_is_head) {
  fetch *f = client->data;
  if (errstr) {
    fetch_done(f, errstr);
    return NULL;
  }
  f->reqbufs[0] = h2o_iovec_init(f->head, f->head_len);
  f->reqbufs[1] = h2o_iovec_init(f->body, f->body_len);
  *reqbufs = f->reqbufs;
  *reqbufcnt = f->body_len ? 2 : 1;
  *method_is_head = f->head_len >= 5 && memcmp(f->head, "HEAD ", 5) == 0;
  return on_head;
}

static bool skip_forwarded_header(const serve_header *h) {
  static const char *const names[] = {"connection", "content-length", "transfer-encoding", "keep-alive", "upgrade",
                                      "te", "trailer", "proxy-connection", "host", "expect"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strlen(names[i]) == h->name_len && strncasecmp(names[i], h->name, h->name_len) == 0) return true;
  return false;
}

static bool token_ok(const char *s, size_t n, bool value) {
  for (size_t i = 0; i < n; i++) {
    unsigned char c = (unsigned char)s[i];
    if (c == '\r' || c == '\n' || c == 0 || (!value && (c <= ' ' || c == ':'))) return false;
  }
  return true;
}

/* The request head, or NULL when a part would break the framing (a guest
 * that put CR/LF into a header or the method). */
static char *build_head(const serve_url *u, const serve_outgoing *r, size_t *len) {
  if (!r->method_len || !token_ok(r->method, r->method_len, false) || !token_ok(r->uri, r->uri_len, false))
    return NULL;
  size_t n = r->method_len + strlen(u->prefix) + r->uri_len + strlen(u->host) + 128;
  for (size_t i = 0; i < r->nheaders; i++) {
    if (!token_ok(r->headers[i].name, r->headers[i].name_len, false) ||
        !token_ok(r->headers[i].value, r->headers[i].value_len, true))
      return NULL;
    n += r->headers[i].name_len + r->headers[i].value_len + 4;
  }
  char *h = malloc(n), *p = h;
  if (!h) return NULL;
  const char *uri = r->uri_len ? r->uri : "/";
  size_t ul = r->uri_len ? r->uri_len : 1;
  bool v6 = strchr(u->host, ':') != NULL;
  p += sprintf(p, "%.*s %s%.*s HTTP/1.1\r\nhost: %s%s%s:%u\r\n", (int)r->method_len, r->method, u->prefix, (int)ul,
               uri, v6 ? "[" : "", u->host, v6 ? "]" : "", u->port);
  for (size_t i = 0; i < r->nheaders; i++) {
    if (skip_forwarded_header(&r->headers[i])) continue;
    memcpy(p, r->headers[i].name, r->headers[i].name_len);
    p += r->headers[i].name_len;
    *p++ = ':';
    *p++ = ' ';
    memcpy(p, r->headers[i].value, r->headers[i].value_len);
    p += r->headers[i].value_len;
    *p++ = '\r';
    *p++ = '\n';
  }
  p += sprintf(p, "content-length: %zu\r\nconnection: close\r\n\r\n", r->body_len);
  *len = (size_t)(p - h);
  return h;
}

/* On the loop. */
static void fetch_connect(void *arg) {
  fetch *f = arg;
  serve_server *srv = f->x->w->srv;
  h2o_http1client_connect(&f->client, f, &f->x->w->client_ctx,
                          h2o_iovec_init(srv->upstream.host, strlen(srv->upstream.host)), srv->upstream.port, 0,
                          on_connect);
}

bool serve_exchange_fetch(serve_exchange *x, const serve_outgoing *req, serve_fetch_cb cb, void *data) {
  serve_server *srv = x->w->srv;
  if (!srv->has_upstream) return false;
  fetch *f = calloc(1, sizeof *f);
  if (!f) {
    cb(x, data, NULL, "out of memory");
    return true;
  }
  f->x = x;
  f->cb = cb;
  f->data = data;
  f->head = build_head(&srv->upstream, req, &f->head_len);
  if (req->body_len) f->body_copy = malloc(req->body_len);
  if (!f->head || (req->body_len && !f->body_copy)) {
    fetch_free(f);
    cb(x, data, NULL, "the request to forward has a malformed method, URI or header");
    return true;
  }
  if (req->body_len) memcpy(f->body_copy, req->body, req->body_len);
  f->body = f->body_copy;
  f->body_len = req->body_len;
  serve_exchange_ref(x); /* the exchange stays while the fetch runs */
  serve_on_loop(x, &f->connect, fetch_connect, f);
  return true;
}

void serve_upstream_worker_init(serve_worker *w) {
  uint64_t ms = w->srv->cfg->client_timeout_ns ? w->srv->cfg->client_timeout_ns / 1000000 + 1 : 30000;
  h2o_timeout_init(&w->loop, &w->client_io_timeout, ms);
  w->client_ctx.loop = &w->loop;
  w->client_ctx.getaddr_receiver = &w->ctx.receivers.hostinfo_getaddr;
  w->client_ctx.io_timeout = &w->client_io_timeout;
}
