/*
 * http.c — wasi:http 0.2 for the WASI 0.2 host (http.h): the resources of
 * wasi:http/types, the incoming-handler call a server makes
 * (wp2_http_handle), and wasi:http/outgoing-handler as a plain HTTP/1.1
 * client over a socket, denied unless the destination is on the allow-list.
 * The client's response parsing is http_parser's (libhttp-parser), a
 * maintained parser, so none is written here.
 *
 * Objects: every resource is a heap object in its own wp2_table, its rep the
 * slot. Bodies are shared between the objects that use them and counted:
 * - an incoming body (`hin`: the request body a server streams in, or the
 *   body of a response to an outgoing request) is read through a host stream
 *   (wp2_host_io) and ends with its trailers (future-trailers);
 * - an outgoing body (`hout`: a response body on its way to the server's
 *   sink, or a request body on its way to the socket) buffers what the guest
 *   writes before it is attached (before response-outparam.set, before
 *   outgoing-handler.handle) and then passes each write straight through.
 * Headers returned by `headers()` methods are immutable copies (wasmtime
 * makes them immutable children; a copy behaves the same and needs no
 * drop-order rule).
 */
#include "wasip2/http.h"

#include <arpa/inet.h>
#include <errno.h>
#include <fcntl.h>
#include <http_parser.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/grow.h"
#include "wasip2/wasip2_impl.h"

#define HTTP_DEFAULT_CONNECT_NS (10ull * 1000000000ull) /* connect timeout without request-options */
#define HTTP_MAX_HEAD (64u * 1024u)                     /* bytes of a response head we accept */
#define HTTP_MAX_ALLOW 256                              /* allow-list entries */

/* ---- fields ----------------------------------------------------------------- */

typedef struct hfield { char *name; uint8_t *val; size_t nlen, vlen; } hfield;
typedef struct hfields { hfield *v; uint32_t n, cap; bool immutable; } hfields;

static void fields_clear(hfields *f) {
  for (uint32_t i = 0; i < f->n; i++) { free(f->v[i].name); free(f->v[i].val); }
  free(f->v);
  *f = (hfields){0};
}

static void fields_free(hfields *f) {
  if (f) { fields_clear(f); free(f); }
}

/* Appends a copy (the name lowercased, as HTTP names compare). */
static bool fields_add(hfields *f, const char *name, size_t nlen, const uint8_t *val, size_t vlen) {
  if (!rt_grow((void **)&f->v, &f->cap, f->n + 1, sizeof *f->v)) return false;
  char *n = malloc(nlen + 1);
  uint8_t *v = malloc(vlen ? vlen : 1);
  if (!n || !v) { free(n); free(v); return false; }
  for (size_t i = 0; i < nlen; i++) n[i] = (char)((name[i] >= 'A' && name[i] <= 'Z') ? name[i] + 32 : name[i]);
  n[nlen] = 0;
  if (vlen) memcpy(v, val, vlen);
  f->v[f->n++] = (hfield){n, v, nlen, vlen};
  return true;
}

static bool name_eq(const hfield *e, const char *name, size_t nlen) {
  return e->nlen == nlen && strncasecmp(e->name, name, nlen) == 0;
}

static void fields_delete(hfields *f, const char *name, size_t nlen) {
  uint32_t k = 0;
  for (uint32_t i = 0; i < f->n; i++) {
    if (name_eq(&f->v[i], name, nlen)) { free(f->v[i].name); free(f->v[i].val); }
    else f->v[k++] = f->v[i];
  }
  f->n = k;
}

static hfields *fields_copy(const hfields *src, bool immutable) {
  hfields *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  for (uint32_t i = 0; src && i < src->n; i++)
    if (!fields_add(f, src->v[i].name, src->v[i].nlen, src->v[i].val, src->v[i].vlen)) { fields_free(f); return NULL; }
  f->immutable = immutable;
  return f;
}

static hfields *fields_from(const wp2_http_field *fs, size_t n) {
  hfields *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  for (size_t i = 0; i < n; i++)
    if (!fields_add(f, fs[i].name, fs[i].name_len, fs[i].value, fs[i].value_len)) { fields_free(f); return NULL; }
  return f;
}

/* A wp2_http_field view of f (the array in `a`, the bytes f's). */
static wp2_http_field *fields_view(const hfields *f, wc_arena *a) {
  wp2_http_field *v = wc_arena_alloc(a, (f && f->n ? f->n : 1) * sizeof *v);
  for (uint32_t i = 0; v && f && i < f->n; i++) v[i] = (wp2_http_field){f->v[i].name, f->v[i].nlen, f->v[i].val, f->v[i].vlen};
  return v;
}

/* RFC 9110 token characters. */
static bool is_tchar(unsigned char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || (c && strchr("!#$%&'*+-.^_`|~", c));
}

static bool valid_name(const char *s, size_t n) {
  if (n == 0) return false;
  for (size_t i = 0; i < n; i++) if (!is_tchar((unsigned char)s[i])) return false;
  return true;
}

/* Visible characters, obs-text, space and tab (no CR, LF, NUL, other controls, DEL). */
static bool valid_value(const uint8_t *v, size_t n) {
  for (size_t i = 0; i < n; i++) if ((v[i] < 0x20 && v[i] != '\t') || v[i] == 0x7f) return false;
  return true;
}

/* Hop-by-hop and connection-level fields the host owns (wasmtime's default list). */
static bool forbidden_name(const char *s, size_t n) {
  static const char *const names[] = {"connection", "keep-alive", "proxy-authenticate", "proxy-authorization",
                                      "proxy-connection", "transfer-encoding", "upgrade", "host", "http2-settings"};
  for (size_t i = 0; i < sizeof names / sizeof names[0]; i++)
    if (strlen(names[i]) == n && strncasecmp(names[i], s, n) == 0) return true;
  return false;
}

enum { HE_INVALID = 0, HE_FORBIDDEN = 1, HE_IMMUTABLE = 2, HE_OK = -1 };

static int check_field(const char *name, size_t nlen, const uint8_t *v, size_t vlen, bool check_value) {
  if (!valid_name(name, nlen)) return HE_INVALID;
  if (forbidden_name(name, nlen)) return HE_FORBIDDEN;
  if (check_value && !valid_value(v, vlen)) return HE_INVALID;
  return HE_OK;
}

/* ---- the state -------------------------------------------------------------- */

/* An incoming body: the server's request body or an outgoing request's response body. */
typedef struct hin {
  int refs;
  long (*read)(struct hin *b, uint8_t *buf, size_t cap);
  bool (*ready)(struct hin *b);
  void (*release)(struct hin *b);
  int fd;                 /* polled while waiting, -1 none */
  bool ended, failed;     /* read gave 0 / an error */
  bool stream_live;       /* its input-stream child exists */
  hfields *trailers;      /* once ended (may stay NULL: none) */
  void *impl;
} hin;

struct hconn;

/* An outgoing body: a response's (to the server's sink) or a request's (to the socket). */
typedef struct hout {
  int refs;
  bool is_request;
  bool attached;          /* the response was set / the request sent: writes pass through */
  bool finished, aborted, ended_reported;
  bool stream_live;
  int64_t expect;         /* the message's content-length, or -1 */
  uint64_t written;
  uint8_t *pend;          /* written before attachment */
  size_t npend, cap;
  hfields *trailers;      /* given to finish before attachment */
  const wp2_http_response_sink *sink;  /* response: while the handler call runs */
  wp2_http_result *res;
  struct hconn *conn;     /* request */
  wp2_ctx *p;
} hout;

typedef struct inreq {
  char *method, *scheme, *authority, *path;
  hfields *headers;
  hin *body;              /* NULL once consumed */
} inreq;

typedef struct outmsg {  /* outgoing-request and outgoing-response */
  char *method, *scheme, *authority, *path;  /* request */
  uint16_t status;                           /* response */
  hfields *headers;
  hout *body;             /* once body() was called */
  bool body_taken;
} outmsg;

typedef struct reqopts { uint64_t t[3]; bool set[3]; } reqopts;  /* connect, first-byte, between-bytes */

typedef struct inresp { struct hconn *conn; uint16_t status; hfields *headers; bool consumed; } inresp;
typedef struct inbody { hin *b; bool stream_taken; } inbody;
typedef struct ftrail { hin *b; bool taken; } ftrail;
typedef struct fresp { struct hconn *conn; bool taken; } fresp;

/* A client connection (one request, then closed). */
typedef struct hconn {
  int refs;
  int fd;
  http_parser parser;
  bool head_done, complete, failed;
  bool head_request;        /* a HEAD: the response has no body whatever it says */
  int error_case;           /* error-code case when failed */
  char error_msg[120];
  hfields headers, trailers;
  char *fname; size_t fname_len, fname_cap;  /* the field being parsed */
  char *fval; size_t fval_len, fval_cap;
  bool in_value;
  size_t head_bytes;
  uint8_t *body; size_t body_len, body_cap, body_off;  /* parsed body bytes not yet read */
  bool chunked;             /* the request body is sent chunked */
  uint64_t first_byte_ns, between_ns;   /* request-options (0: none) */
  uint64_t first_byte_deadline;         /* monotonic ns, 0: none */
  uint64_t last_data;                   /* when the last response bytes arrived */
  hin *in;                  /* the response body (shared with incoming-body objects) */
  wp2_ctx *p;
} hconn;

typedef struct allow_entry {
  char host[256];           /* a name (or "*"), or empty for an address range */
  bool v6;
  uint8_t addr[16];
  int prefix;               /* -1: host by name */
  int port;                 /* 0: any */
} allow_entry;

typedef struct wp2_http {
  const wc_resource_type *rt_fields, *rt_inreq, *rt_outreq, *rt_opts, *rt_outparam, *rt_inresp, *rt_outresp,
      *rt_inbody, *rt_outbody, *rt_ftrail, *rt_fresp;
  wp2_table fields, inreq, outreq, opts, outparam, inresp, outresp, inbody, outbody, ftrail, fresp;
  allow_entry *allow;
  int nallow;
  /* the incoming-handler call in progress */
  const wp2_http_response_sink *sink;
  wp2_http_result *res;
  bool outparam_set;
  hout *resp_body;        /* the set response's body, if it was taken */
} wp2_http;

#define H(env) (((wp2_ctx *)(env))->http)

static bool oom(wc_trap *trap) { return wp2_trap_oom(trap); }

/* Makes the byte buffer *p hold at least `need` bytes (doubling). */
static bool buf_reserve(void **p, size_t *cap, size_t need) {
  if (need <= *cap) return true;
  size_t c = *cap ? *cap : 256;
  while (c < need) c *= 2;
  void *q = realloc(*p, c);
  if (!q) return false;
  *p = q;
  *cap = c;
  return true;
}

static char *dupn(const char *s, size_t n) {
  char *d = malloc(n + 1);
  if (d) { memcpy(d, s, n); d[n] = 0; }
  return d;
}
static char *dupz(const char *s) { return s ? dupn(s, strlen(s)) : NULL; }

/* ---- value helpers ----------------------------------------------------------- */

static wc_value vu(wc_value_kind k, uint64_t u) { return (wc_value){.kind = k, .u.u = u}; }

/* option<string> of a NUL-terminated string or none. */
static bool opt_str(wc_arena *a, const char *s, wc_value *out) {
  if (!s) { *out = wp2_variant(0, NULL); return true; }
  wc_value *v = wp2_vals(a, 1);
  if (!v) return false;
  *v = wp2_str(s, strlen(s));
  *out = wp2_variant(1, v);
  return true;
}

/* A string argument copied to a NUL-terminated heap string. */
static char *arg_str(const wc_value *v) { return dupn(v->u.str.ptr, v->u.str.len); }

/* A list<u8> argument as bytes in the arena. */
static uint8_t *arg_bytes(wc_arena *a, const wc_value *v, size_t *n) {
  *n = v->u.seq.n;
  uint8_t *b = wc_arena_alloc(a, *n ? *n : 1);
  for (size_t i = 0; b && i < *n; i++) b[i] = (uint8_t)v->u.seq.v[i].u.u;
  return b;
}

/* result<_, header-error>: ok, or err(case). */
static bool header_result(wc_arena *a, int he, wc_value *out) {
  if (he == HE_OK) { *out = wp2_variant(0, NULL); return true; }
  wc_value *e = wp2_vals(a, 1);
  if (!e) return false;
  *e = wp2_variant((uint32_t)he, NULL);
  *out = wp2_variant(1, e);
  return true;
}

static const char *const method_names[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};

static bool method_value(wc_arena *a, const char *m, wc_value *out) {
  for (uint32_t i = 0; i < 9; i++)
    if (strcmp(m, method_names[i]) == 0) { *out = wp2_variant(i, NULL); return true; }
  wc_value *s = wp2_vals(a, 1);
  if (!s) return false;
  *s = wp2_str(m, strlen(m));
  *out = wp2_variant(9, s);
  return true;
}

/* The method variant as text; NULL for other() that is not a token. */
static char *method_text(const wc_value *v) {
  if (v->u.var.index < 9) return dupz(method_names[v->u.var.index]);
  const wc_value *s = v->u.var.payload;
  if (!valid_name(s->u.str.ptr, s->u.str.len)) return NULL;
  return arg_str(s);
}

static bool scheme_value(wc_arena *a, const char *s, wc_value *out) {
  if (!s) { *out = wp2_variant(0, NULL); return true; }
  wc_value *v = wp2_vals(a, 2);
  if (!v) return false;
  if (strcasecmp(s, "http") == 0) v[0] = wp2_variant(0, NULL);
  else if (strcasecmp(s, "https") == 0) v[0] = wp2_variant(1, NULL);
  else { v[1] = wp2_str(s, strlen(s)); v[0] = wp2_variant(2, &v[1]); }
  *out = wp2_variant(1, v);
  return true;
}

/* error-code cases this host produces (indices into the WIT variant). */
enum {
  EC_DNS_ERROR = 1, EC_CONNECTION_REFUSED = 6, EC_CONNECTION_TERMINATED = 7, EC_CONNECTION_TIMEOUT = 8,
  EC_CONNECTION_READ_TIMEOUT = 9, EC_REQUEST_DENIED = 15, EC_REQUEST_BODY_SIZE = 17, EC_REQUEST_URI_INVALID = 19,
  EC_RESPONSE_INCOMPLETE = 25, EC_RESPONSE_HEADER_SECTION_SIZE = 26, EC_RESPONSE_BODY_SIZE = 28,
  EC_RESPONSE_TIMEOUT = 33,
  EC_PROTOCOL_ERROR = 35, EC_INTERNAL_ERROR = 38, EC_NCASES = 39
};

static const char *const error_case_names[EC_NCASES] = {
  "DNS-timeout", "DNS-error", "destination-not-found", "destination-unavailable", "destination-IP-prohibited",
  "destination-IP-unroutable", "connection-refused", "connection-terminated", "connection-timeout",
  "connection-read-timeout", "connection-write-timeout", "connection-limit-reached", "TLS-protocol-error",
  "TLS-certificate-error", "TLS-alert-received", "HTTP-request-denied", "HTTP-request-length-required",
  "HTTP-request-body-size", "HTTP-request-method-invalid", "HTTP-request-URI-invalid", "HTTP-request-URI-too-long",
  "HTTP-request-header-section-size", "HTTP-request-header-size", "HTTP-request-trailer-section-size",
  "HTTP-request-trailer-size", "HTTP-response-incomplete", "HTTP-response-header-section-size",
  "HTTP-response-header-size", "HTTP-response-body-size", "HTTP-response-trailer-section-size",
  "HTTP-response-trailer-size", "HTTP-response-transfer-coding", "HTTP-response-content-coding",
  "HTTP-response-timeout", "HTTP-upgrade-failed", "HTTP-protocol-error", "loop-detected", "configuration-error",
  "internal-error"};

/* An error-code value: `which` with the payload this host gives it (msg for
 * internal-error; none/empty records for the others that carry one). */
static bool error_code(wc_arena *a, int which, const char *msg, wc_value *out) {
  wc_value *v = wp2_vals(a, 4);
  if (!v) return false;
  switch (which) {
  case EC_DNS_ERROR: /* {rcode: option<string>, info-code: option<u16>} */
    v[1] = wp2_variant(0, NULL);
    v[2] = wp2_variant(0, NULL);
    v[0] = (wc_value){.kind = WC_V_RECORD, .u.seq = {&v[1], 2}};
    *out = wp2_variant((uint32_t)which, v);
    return true;
  case EC_RESPONSE_HEADER_SECTION_SIZE: /* option<u32> */
    v[0] = wp2_variant(0, NULL);
    *out = wp2_variant((uint32_t)which, v);
    return true;
  case EC_INTERNAL_ERROR: /* option<string> */
    if (!opt_str(a, msg, &v[0])) return false;
    *out = wp2_variant((uint32_t)which, v);
    return true;
  default:
    *out = wp2_variant((uint32_t)which, NULL);
    return true;
  }
}

/* A readable form of an error-code value the guest gave (for the server's log). */
static void describe_error_code(const wc_value *v, char *buf, size_t cap) {
  uint32_t i = v->u.var.index;
  const char *name = i < EC_NCASES ? error_case_names[i] : "?";
  const wc_value *pl = v->u.var.payload;
  if (i == EC_INTERNAL_ERROR && pl && pl->u.var.index == 1 && pl->u.var.payload)
    snprintf(buf, cap, "%s(%.*s)", name, (int)(pl->u.var.payload->u.str.len > 200 ? 200 : pl->u.var.payload->u.str.len),
             pl->u.var.payload->u.str.ptr);
  else
    snprintf(buf, cap, "%s", name);
}

/* Adds `obj` to `t` and writes own<rt>(rep) to *out; frees nothing on failure. */
static bool hand_out(wp2_table *t, const wc_resource_type *rt, void *obj, wc_value *out, wc_trap *trap) {
  uint32_t rep;
  if (!wp2_table_add(t, obj, &rep, trap)) return false;
  *out = wp2_own(rt, rep);
  return true;
}

static bool new_fields_handle(wp2_http *h, hfields *f, wc_value *out, wc_trap *trap) {
  if (!f) return oom(trap);
  if (!hand_out(&h->fields, h->rt_fields, f, out, trap)) { fields_free(f); return false; }
  return true;
}

/* ---- incoming bodies ---------------------------------------------------------- */

static void hin_unref(hin *b) {
  if (b && --b->refs == 0) {
    if (b->release) b->release(b);
    fields_free(b->trailers);
    free(b);
  }
}

static long hin_read(void *arg, uint8_t *buf, size_t cap) {
  hin *b = arg;
  if (b->ended) return 0;
  if (b->failed) return -EIO;
  long r = b->read(b, buf, cap);
  if (r == 0) b->ended = true;
  else if (r < 0 && r != -EAGAIN) b->failed = true;
  return r;
}
static void hin_unref_cb(void *arg) { hin_unref(arg); }
static bool hin_ready(void *arg) {
  hin *b = arg;
  return b->ended || b->failed || !b->ready || b->ready(b);
}
static void hin_retain(void *arg) { ((hin *)arg)->refs++; }
static const wp2_host_io hin_io = {.read = hin_read, .ready = hin_ready, .retain = hin_retain, .release = hin_unref_cb};

static void hin_stream_dropped(void *owner, wp2_stream *s) {
  (void)s;
  hin *b = owner;
  b->stream_live = false;
  hin_unref(b);
}

/* Reads and discards the rest of the body without waiting: true once it has
 * ended (or failed). */
static bool hin_drain(hin *b) {
  uint8_t tmp[4096];
  for (;;) {
    long r = hin_read(b, tmp, sizeof tmp);
    if (r == 0 || (r < 0 && r != -EAGAIN)) return true;
    if (r == -EAGAIN) return false;
  }
}

/* The server's request body: in memory or the server's source. */
typedef struct srv_src { const wp2_http_request *req; size_t off; bool detached; } srv_src;

static long srv_read(hin *b, uint8_t *buf, size_t cap) {
  srv_src *s = b->impl;
  if (s->detached) return -EPIPE;
  const wp2_http_request *r = s->req;
  long n;
  if (r->source.read) {
    n = r->source.read(r->source.arg, buf, cap);
  } else {
    size_t left = r->body_len - s->off;
    n = (long)(left < cap ? left : cap);
    if (n) memcpy(buf, r->body + s->off, (size_t)n);
    s->off += (size_t)n;
  }
  if (n == 0) { /* end: collect the trailers while the request is still there */
    const wp2_http_field *t = r->trailers;
    size_t nt = r->ntrailers;
    if (r->source.read) {
      t = NULL;
      nt = 0;
      if (r->source.trailers) r->source.trailers(r->source.arg, &t, &nt);
    }
    if (nt && !(b->trailers = fields_from(t, nt))) return -ENOMEM;
    if (b->trailers) b->trailers->immutable = true;
  }
  return n;
}
static bool srv_ready(hin *b) {
  srv_src *s = b->impl;
  return s->detached || !s->req->source.read || !s->req->source.ready || s->req->source.ready(s->req->source.arg);
}
static void srv_release(hin *b) { free(b->impl); }

/* ---- outgoing bodies ----------------------------------------------------------- */

static void conn_unref(hconn *c);
static int conn_send(hconn *c, const void *buf, size_t n);

static void hout_unref(hout *o) {
  if (o && --o->refs == 0) {
    free(o->pend);
    fields_free(o->trailers);
    if (o->conn) conn_unref(o->conn);
    free(o);
  }
}

/* Sends one piece of a request body (as a chunk when chunked). */
static int req_body_send(hout *o, const uint8_t *buf, size_t n) {
  if (!o->conn || o->conn->fd < 0) return EPIPE;
  if (!o->conn->chunked) return conn_send(o->conn, buf, n);
  char hd[24];
  int hl = snprintf(hd, sizeof hd, "%zx\r\n", n);
  int e = conn_send(o->conn, hd, (size_t)hl);
  if (!e) e = conn_send(o->conn, buf, n);
  if (!e) e = conn_send(o->conn, "\r\n", 2);
  return e;
}

/* Passes bytes on (attached) or keeps them until attachment. */
static int hout_deliver(hout *o, const uint8_t *buf, size_t n) {
  if (o->is_request) return req_body_send(o, buf, n);
  if (!o->sink) return EPIPE; /* the handler call is over */
  int e = o->sink->body(o->sink->arg, buf, n);
  return e ? EPIPE : 0;
}

static int hout_write(void *arg, const uint8_t *buf, size_t n) {
  hout *o = arg;
  if (o->finished || o->aborted) return EPIPE;
  /* past the declared content-length: the write fails (as in wasmtime) */
  if (o->expect >= 0 && o->written + n > (uint64_t)o->expect) return EFBIG;
  o->written += n;
  if (o->attached) return hout_deliver(o, buf, n);
  if (!buf_reserve((void **)&o->pend, &o->cap, o->npend + n)) return ENOMEM;
  memcpy(o->pend + o->npend, buf, n);
  o->npend += n;
  return 0;
}
static const wp2_host_io hout_io = {.write = hout_write};

static void hout_stream_dropped(void *owner, wp2_stream *s) {
  (void)s;
  hout *o = owner;
  o->stream_live = false;
  hout_unref(o);
}

/* Reports the end of an attached body (once): the trailers and completion to
 * the sink, or the last chunk to the socket. */
static void hout_report_end(hout *o, wc_arena *a) {
  if (!o->attached || o->ended_reported || !(o->finished || o->aborted)) return;
  o->ended_reported = true;
  if (o->is_request) {
    hconn *c = o->conn;
    if (!c || c->fd < 0) return;
    if (o->aborted) { shutdown(c->fd, SHUT_RDWR); return; } /* the server sees a truncated request */
    if (c->first_byte_ns) c->first_byte_deadline = wp2_mono_ns() + c->first_byte_ns; /* from the request's end */
    if (!c->chunked) return;
    conn_send(c, "0\r\n", 3);
    for (uint32_t i = 0; o->trailers && i < o->trailers->n; i++) {
      hfield *f = &o->trailers->v[i];
      conn_send(c, f->name, f->nlen);
      conn_send(c, ": ", 2);
      conn_send(c, f->val, f->vlen);
      conn_send(c, "\r\n", 2);
    }
    conn_send(c, "\r\n", 2);
    return;
  }
  if (!o->sink) return;
  wp2_http_field *tv = fields_view(o->trailers, a);
  o->sink->end(o->sink->arg, tv, tv && o->trailers ? o->trailers->n : 0, o->finished);
  if (o->res && o->finished) o->res->body_complete = true;
}

/* Attaches a body: what was buffered goes out, then its end if it has one. */
static void hout_attach(hout *o, wc_arena *a) {
  o->attached = true;
  if (o->npend) hout_deliver(o, o->pend, o->npend);
  free(o->pend);
  o->pend = NULL;
  o->npend = o->cap = 0;
  hout_report_end(o, a);
}

/* ---- wasi:http/types: fields --------------------------------------------------- */

static bool fields_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  fields_free(wp2_table_take(&H(ctx)->fields, rep));
  return true;
}

static hfields *get_fields(void *env, const wc_value *v, wc_trap *trap) {
  return wp2_table_get(&H(env)->fields, v->u.handle.rep, trap);
}

WP2_FN(fields_new) {
  WP2_UNUSED;
  return new_fields_handle(H(env), calloc(1, sizeof(hfields)), &res[0], trap);
}

WP2_FN(fields_from_list) {
  WP2_UNUSED;
  hfields *f = calloc(1, sizeof *f);
  if (!f) return oom(trap);
  const wc_value *l = &args[0];
  for (uint32_t i = 0; i < l->u.seq.n; i++) {
    const wc_value *t = l->u.seq.v[i].u.seq.v;
    size_t vn;
    uint8_t *vb = arg_bytes(a, &t[1], &vn);
    if (!vb) { fields_free(f); return oom(trap); }
    int he = check_field(t[0].u.str.ptr, t[0].u.str.len, vb, vn, true);
    if (he != HE_OK) { fields_free(f); return header_result(a, he, &res[0]) || oom(trap); }
    if (!fields_add(f, t[0].u.str.ptr, t[0].u.str.len, vb, vn)) { fields_free(f); return oom(trap); }
  }
  wc_value *ok = wp2_vals(a, 1);
  if (!ok) { fields_free(f); return oom(trap); }
  if (!new_fields_handle(H(env), f, ok, trap)) return false;
  res[0] = wp2_variant(0, ok);
  return true;
}

WP2_FN(fields_get) {
  WP2_UNUSED;
  hfields *f = get_fields(env, &args[0], trap);
  if (!f) return false;
  const char *name = args[1].u.str.ptr;
  size_t nlen = args[1].u.str.len;
  uint32_t k = 0;
  for (uint32_t i = 0; i < f->n; i++) k += name_eq(&f->v[i], name, nlen);
  wc_value *out = wp2_vals(a, k);
  if (!out) return oom(trap);
  k = 0;
  for (uint32_t i = 0; i < f->n; i++)
    if (name_eq(&f->v[i], name, nlen) && !wp2_u8_list(a, f->v[i].val, f->v[i].vlen, &out[k++])) return oom(trap);
  res[0] = (wc_value){.kind = WC_V_LIST, .u.seq = {out, k}};
  return true;
}

WP2_FN(fields_has) {
  WP2_UNUSED;
  hfields *f = get_fields(env, &args[0], trap);
  if (!f) return false;
  bool has = false;
  for (uint32_t i = 0; i < f->n && !has; i++) has = name_eq(&f->v[i], args[1].u.str.ptr, args[1].u.str.len);
  res[0] = (wc_value){.kind = WC_V_BOOL, .u.b = has};
  return true;
}

/* set (values: a list), append (one value) and delete (none): the checks in
 * wasmtime's order — immutable, then the name, then the values. */
static bool fields_change(void *env, const wc_value *args, int op, wc_value *res, wc_arena *a, wc_trap *trap) {
  hfields *f = get_fields(env, &args[0], trap);
  if (!f) return false;
  const char *name = args[1].u.str.ptr;
  size_t nlen = args[1].u.str.len;
  int he = f->immutable ? HE_IMMUTABLE : check_field(name, nlen, NULL, 0, false);
  uint32_t nv = op == 0 ? args[2].u.seq.n : op == 1 ? 1 : 0;
  uint8_t **vals = wc_arena_alloc(a, (nv ? nv : 1) * sizeof *vals);
  size_t *lens = wc_arena_alloc(a, (nv ? nv : 1) * sizeof *lens);
  if (!vals || !lens) return oom(trap);
  for (uint32_t i = 0; he == HE_OK && i < nv; i++) {
    if (!(vals[i] = arg_bytes(a, op == 0 ? &args[2].u.seq.v[i] : &args[2], &lens[i]))) return oom(trap);
    if (!valid_value(vals[i], lens[i])) he = HE_INVALID;
  }
  if (he == HE_OK) {
    if (op != 1) fields_delete(f, name, nlen);
    for (uint32_t i = 0; i < nv; i++)
      if (!fields_add(f, name, nlen, vals[i], lens[i])) return oom(trap);
  }
  return header_result(a, he, &res[0]) || oom(trap);
}

WP2_FN(fields_set) { WP2_UNUSED; return fields_change(env, args, 0, res, a, trap); }
WP2_FN(fields_append) { WP2_UNUSED; return fields_change(env, args, 1, res, a, trap); }
WP2_FN(fields_del) { WP2_UNUSED; return fields_change(env, args, 2, res, a, trap); }

WP2_FN(fields_entries) {
  WP2_UNUSED;
  hfields *f = get_fields(env, &args[0], trap);
  if (!f) return false;
  wc_value *out = wp2_vals(a, f->n), *pairs = wp2_vals(a, 2 * (size_t)f->n);
  if (!out || !pairs) return oom(trap);
  for (uint32_t i = 0; i < f->n; i++) {
    pairs[2 * i] = wp2_str(f->v[i].name, f->v[i].nlen);
    if (!wp2_u8_list(a, f->v[i].val, f->v[i].vlen, &pairs[2 * i + 1])) return oom(trap);
    out[i] = (wc_value){.kind = WC_V_RECORD, .u.seq = {&pairs[2 * i], 2}};
  }
  res[0] = (wc_value){.kind = WC_V_LIST, .u.seq = {out, f->n}};
  return true;
}

WP2_FN(fields_clone) {
  WP2_UNUSED;
  hfields *f = get_fields(env, &args[0], trap);
  return f && new_fields_handle(H(env), fields_copy(f, false), &res[0], trap);
}

/* Takes an own<fields> argument out of the table (the guest gave it away). */
static hfields *take_fields(void *env, const wc_value *v, wc_trap *trap) {
  hfields *f = wp2_table_take(&H(env)->fields, v->u.handle.rep);
  if (!f) wp2_trap(trap, "unknown fields %u", v->u.handle.rep);
  return f;
}

/* ---- incoming-request ------------------------------------------------------------ */

static void inreq_free(inreq *r) {
  if (!r) return;
  free(r->method); free(r->scheme); free(r->authority); free(r->path);
  fields_free(r->headers);
  hin_unref(r->body);
  free(r);
}

static bool inreq_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  inreq_free(wp2_table_take(&H(ctx)->inreq, rep));
  return true;
}

static inreq *get_inreq(void *env, const wc_value *v, wc_trap *trap) {
  return wp2_table_get(&H(env)->inreq, v->u.handle.rep, trap);
}

WP2_FN(inreq_method) {
  WP2_UNUSED;
  inreq *r = get_inreq(env, &args[0], trap);
  return r && (method_value(a, r->method, &res[0]) || oom(trap));
}
WP2_FN(inreq_path) {
  WP2_UNUSED;
  inreq *r = get_inreq(env, &args[0], trap);
  return r && (opt_str(a, r->path, &res[0]) || oom(trap));
}
WP2_FN(inreq_scheme) {
  WP2_UNUSED;
  inreq *r = get_inreq(env, &args[0], trap);
  return r && (scheme_value(a, r->scheme, &res[0]) || oom(trap));
}
WP2_FN(inreq_authority) {
  WP2_UNUSED;
  inreq *r = get_inreq(env, &args[0], trap);
  return r && (opt_str(a, r->authority, &res[0]) || oom(trap));
}
WP2_FN(inreq_headers) {
  WP2_UNUSED;
  inreq *r = get_inreq(env, &args[0], trap);
  return r && new_fields_handle(H(env), fields_copy(r->headers, true), &res[0], trap);
}

/* result<own<incoming-body>>: the body the first time, err after. */
static bool consume_body(wp2_http *h, hin **slot, wc_value *res, wc_arena *a, wc_trap *trap) {
  if (!*slot) { res[0] = wp2_variant(1, NULL); return true; }
  inbody *ib = calloc(1, sizeof *ib);
  wc_value *v = wp2_vals(a, 1);
  if (!ib || !v) { free(ib); return oom(trap); }
  ib->b = *slot;
  if (!hand_out(&h->inbody, h->rt_inbody, ib, v, trap)) { free(ib); return false; }
  *slot = NULL; /* the reference moved to the incoming-body */
  res[0] = wp2_variant(0, v);
  return true;
}

WP2_FN(inreq_consume) {
  WP2_UNUSED;
  inreq *r = get_inreq(env, &args[0], trap);
  return r && consume_body(H(env), &r->body, res, a, trap);
}

/* ---- incoming-body, future-trailers ---------------------------------------------- */

static void inbody_free(inbody *ib) {
  if (ib) { hin_unref(ib->b); free(ib); }
}
static bool inbody_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  inbody_free(wp2_table_take(&H(ctx)->inbody, rep));
  return true;
}

WP2_FN(inbody_stream) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  inbody *ib = wp2_table_get(&H(env)->inbody, args[0].u.handle.rep, trap);
  if (!ib) return false;
  if (ib->stream_taken) { res[0] = wp2_variant(1, NULL); return true; }
  wc_value *v = wp2_vals(a, 1);
  if (!v) return oom(trap);
  wp2_stream s = {.fd = ib->b->fd, .hio = &hin_io, .hio_arg = ib->b, .on_drop = hin_stream_dropped, .owner = ib->b};
  if (!wp2_new_input_stream(p, &s, v, trap)) return false;
  ib->stream_taken = true;
  ib->b->refs++;
  ib->b->stream_live = true;
  res[0] = wp2_variant(0, v);
  return true;
}

static bool new_future_trailers(wp2_http *h, hin *b, wc_value *out, wc_trap *trap) {
  ftrail *ft = calloc(1, sizeof *ft);
  if (!ft) return oom(trap);
  ft->b = b;
  b->refs++;
  if (!hand_out(&h->ftrail, h->rt_ftrail, ft, out, trap)) { hin_unref(b); free(ft); return false; }
  return true;
}

WP2_FN(inbody_finish) {
  WP2_UNUSED;
  wp2_http *h = H(env);
  inbody *ib = wp2_table_take(&h->inbody, args[0].u.handle.rep);
  if (!ib) return wp2_trap(trap, "unknown incoming-body %u", args[0].u.handle.rep);
  if (ib->b->stream_live) {
    inbody_free(ib);
    return wp2_trap(trap, "incoming-body.finish: its input-stream is still alive");
  }
  bool ok = new_future_trailers(h, ib->b, &res[0], trap);
  inbody_free(ib);
  return ok;
}

static bool ftrail_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  ftrail *ft = wp2_table_take(&H(ctx)->ftrail, rep);
  if (ft) { hin_unref(ft->b); free(ft); }
  return true;
}

static bool ftrail_ready(void *arg) { return hin_drain(arg); }

WP2_FN(ftrail_subscribe) {
  WP2_UNUSED;
  ftrail *ft = wp2_table_get(&H(env)->ftrail, args[0].u.handle.rep, trap);
  if (!ft) return false;
  ft->b->refs++; /* the pollable's (released when it is dropped) */
  wp2_pollable pl = {.kind = PK_CUSTOM, .fd = ft->b->fd, .events = POLLIN, .ready = ftrail_ready, .arg = ft->b,
                     .release = hin_unref_cb};
  return wp2_new_pollable(env, &pl, &res[0], trap);
}

/* option<result<result<option<trailers>, error-code>>> */
WP2_FN(ftrail_get) {
  WP2_UNUSED;
  wp2_http *h = H(env);
  ftrail *ft = wp2_table_get(&h->ftrail, args[0].u.handle.rep, trap);
  if (!ft) return false;
  if (!hin_drain(ft->b)) { res[0] = wp2_variant(0, NULL); return true; }
  wc_value *v = wp2_vals(a, 4);
  if (!v) return oom(trap);
  if (ft->taken) { /* some(err) */
    v[0] = wp2_variant(1, NULL);
  } else if (ft->b->failed) { /* some(ok(err(connection-terminated))) */
    if (!error_code(a, EC_CONNECTION_TERMINATED, NULL, &v[2])) return oom(trap);
    v[1] = wp2_variant(1, &v[2]);
    v[0] = wp2_variant(0, &v[1]);
  } else { /* some(ok(ok(option<trailers>))) */
    if (ft->b->trailers) {
      if (!new_fields_handle(h, fields_copy(ft->b->trailers, true), &v[3], trap)) return false;
      v[2] = wp2_variant(1, &v[3]);
    } else {
      v[2] = wp2_variant(0, NULL);
    }
    v[1] = wp2_variant(0, &v[2]);
    v[0] = wp2_variant(0, &v[1]);
  }
  ft->taken = true;
  res[0] = wp2_variant(1, v);
  return true;
}

/* ---- outgoing-response / outgoing-request / outgoing-body ------------------------ */

static void outmsg_free(outmsg *m) {
  if (!m) return;
  free(m->method); free(m->scheme); free(m->authority); free(m->path);
  fields_free(m->headers);
  hout_unref(m->body);
  free(m);
}

static bool outresp_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  outmsg_free(wp2_table_take(&H(ctx)->outresp, rep));
  return true;
}
static bool outreq_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  outmsg_free(wp2_table_take(&H(ctx)->outreq, rep));
  return true;
}

/* The constructors take the headers (own<fields>); they become immutable. */
static bool outmsg_new(void *env, const wc_value *hdrs, bool request, wc_value *res, wc_trap *trap) {
  wp2_http *h = H(env);
  outmsg *m = calloc(1, sizeof *m);
  if (!m) return oom(trap);
  if (!(m->headers = take_fields(env, hdrs, trap))) { free(m); return false; }
  m->headers->immutable = true;
  m->status = 200;
  if (request && !(m->method = dupz("GET"))) { outmsg_free(m); return oom(trap); }
  if (!hand_out(request ? &h->outreq : &h->outresp, request ? h->rt_outreq : h->rt_outresp, m, &res[0], trap)) {
    outmsg_free(m);
    return false;
  }
  return true;
}

WP2_FN(outresp_new) { WP2_UNUSED; return outmsg_new(env, &args[0], false, res, trap); }
WP2_FN(outreq_new) { WP2_UNUSED; return outmsg_new(env, &args[0], true, res, trap); }

static outmsg *get_outresp(void *env, const wc_value *v, wc_trap *trap) {
  return wp2_table_get(&H(env)->outresp, v->u.handle.rep, trap);
}
static outmsg *get_outreq(void *env, const wc_value *v, wc_trap *trap) {
  return wp2_table_get(&H(env)->outreq, v->u.handle.rep, trap);
}

WP2_FN(outresp_status) {
  WP2_UNUSED;
  outmsg *m = get_outresp(env, &args[0], trap);
  if (!m) return false;
  res[0] = vu(WC_V_U16, m->status);
  return true;
}
WP2_FN(outresp_set_status) {
  WP2_UNUSED;
  outmsg *m = get_outresp(env, &args[0], trap);
  if (!m) return false;
  uint64_t s = args[1].u.u;
  bool ok = s >= 100 && s <= 999;
  if (ok) m->status = (uint16_t)s;
  res[0] = wp2_variant(ok ? 0 : 1, NULL);
  return true;
}
WP2_FN(outresp_headers) {
  WP2_UNUSED;
  outmsg *m = get_outresp(env, &args[0], trap);
  return m && new_fields_handle(H(env), fields_copy(m->headers, true), &res[0], trap);
}
WP2_FN(outreq_headers) {
  WP2_UNUSED;
  outmsg *m = get_outreq(env, &args[0], trap);
  return m && new_fields_handle(H(env), fields_copy(m->headers, true), &res[0], trap);
}

/* body(): result<own<outgoing-body>>, once. */
static bool outmsg_body(void *env, outmsg *m, bool request, wc_value *res, wc_arena *a, wc_trap *trap) {
  wp2_http *h = H(env);
  if (m->body_taken) { res[0] = wp2_variant(1, NULL); return true; }
  hout *o = calloc(1, sizeof *o);
  hout **ob = calloc(1, sizeof *ob);
  wc_value *v = wp2_vals(a, 1);
  if (!o || !ob || !v) { free(o); free(ob); return oom(trap); }
  o->refs = 2; /* the message and the outgoing-body */
  o->is_request = request;
  o->p = env;
  o->expect = -1;
  for (uint32_t i = 0; i < m->headers->n; i++) {
    const hfield *f = &m->headers->v[i];
    if (!name_eq(f, "content-length", 14)) continue;
    uint64_t v = 0;
    bool digits = f->vlen > 0 && f->vlen <= 18;
    for (size_t k = 0; digits && k < f->vlen; k++) {
      digits = f->val[k] >= '0' && f->val[k] <= '9';
      v = v * 10 + (uint64_t)(f->val[k] - '0');
    }
    if (digits) o->expect = (int64_t)v;
  }
  *ob = o;
  if (!hand_out(&h->outbody, h->rt_outbody, ob, v, trap)) { free(o); free(ob); return false; }
  m->body = o;
  m->body_taken = true;
  res[0] = wp2_variant(0, v);
  return true;
}
WP2_FN(outresp_body) {
  WP2_UNUSED;
  outmsg *m = get_outresp(env, &args[0], trap);
  return m && outmsg_body(env, m, false, res, a, trap);
}
WP2_FN(outreq_body) {
  WP2_UNUSED;
  outmsg *m = get_outreq(env, &args[0], trap);
  return m && outmsg_body(env, m, true, res, a, trap);
}

WP2_FN(outreq_method) {
  WP2_UNUSED;
  outmsg *m = get_outreq(env, &args[0], trap);
  return m && (method_value(a, m->method, &res[0]) || oom(trap));
}
WP2_FN(outreq_set_method) {
  WP2_UNUSED;
  outmsg *m = get_outreq(env, &args[0], trap);
  if (!m) return false;
  char *s = method_text(&args[1]);
  if (s) { free(m->method); m->method = s; }
  res[0] = wp2_variant(s ? 0 : 1, NULL);
  return true;
}
WP2_FN(outreq_path) {
  WP2_UNUSED;
  outmsg *m = get_outreq(env, &args[0], trap);
  return m && (opt_str(a, m->path, &res[0]) || oom(trap));
}
WP2_FN(outreq_scheme) {
  WP2_UNUSED;
  outmsg *m = get_outreq(env, &args[0], trap);
  return m && (scheme_value(a, m->scheme, &res[0]) || oom(trap));
}
WP2_FN(outreq_authority) {
  WP2_UNUSED;
  outmsg *m = get_outreq(env, &args[0], trap);
  return m && (opt_str(a, m->authority, &res[0]) || oom(trap));
}

/* Bytes allowed in a path-with-query or authority: visible ASCII, no spaces. */
static bool uri_part_ok(const wc_value *s, bool authority) {
  for (uint32_t i = 0; i < s->u.str.len; i++) {
    unsigned char c = (unsigned char)s->u.str.ptr[i];
    if (c <= 0x20 || c >= 0x7f || (authority && (c == '/' || c == '?' || c == '#'))) return false;
  }
  return true;
}

/* set-path-with-query / set-authority: option<string> -> result. */
static bool outreq_set_opt(void *env, const wc_value *args, bool authority, wc_value *res, wc_trap *trap) {
  outmsg *m = get_outreq(env, &args[0], trap);
  if (!m) return false;
  char **slot = authority ? &m->authority : &m->path;
  const wc_value *o = &args[1];
  if (o->u.var.index == 0) {
    free(*slot);
    *slot = NULL;
  } else {
    if (!uri_part_ok(o->u.var.payload, authority)) { res[0] = wp2_variant(1, NULL); return true; }
    char *s = arg_str(o->u.var.payload);
    if (!s) return oom(trap);
    free(*slot);
    *slot = s;
  }
  res[0] = wp2_variant(0, NULL);
  return true;
}
WP2_FN(outreq_set_path) { WP2_UNUSED; return outreq_set_opt(env, args, false, res, trap); }
WP2_FN(outreq_set_authority) { WP2_UNUSED; return outreq_set_opt(env, args, true, res, trap); }

WP2_FN(outreq_set_scheme) {
  WP2_UNUSED;
  outmsg *m = get_outreq(env, &args[0], trap);
  if (!m) return false;
  char *s = NULL;
  const wc_value *o = &args[1];
  if (o->u.var.index == 1) {
    const wc_value *sc = o->u.var.payload;
    if (sc->u.var.index == 2) {
      const wc_value *t = sc->u.var.payload;
      bool ok = t->u.str.len > 0;
      for (uint32_t i = 0; i < t->u.str.len; i++) {
        char c = t->u.str.ptr[i];
        ok = ok && ((c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (i && ((c >= '0' && c <= '9') || c == '+' || c == '-' || c == '.')));
      }
      if (!ok) { res[0] = wp2_variant(1, NULL); return true; }
      s = arg_str(t);
    } else {
      s = dupz(sc->u.var.index == 0 ? "http" : "https");
    }
    if (!s) return oom(trap);
  }
  free(m->scheme);
  m->scheme = s;
  res[0] = wp2_variant(0, NULL);
  return true;
}

static bool outbody_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  hout **ob = wp2_table_take(&H(ctx)->outbody, rep);
  if (!ob) return true;
  hout *o = *ob;
  free(ob);
  bool live = o->stream_live;
  if (!o->finished) { /* dropped without finish: the body is incomplete */
    o->aborted = true;
    wc_arena a = {0};
    hout_report_end(o, &a);
    wc_arena_free(&a);
  }
  hout_unref(o);
  if (live) return wp2_trap(trap, "outgoing-body dropped while its output-stream is still alive");
  return true;
}

static hout *get_outbody(void *env, const wc_value *v, wc_trap *trap) {
  hout **ob = wp2_table_get(&H(env)->outbody, v->u.handle.rep, trap);
  return ob ? *ob : NULL;
}

WP2_FN(outbody_write) {
  WP2_UNUSED;
  hout *o = get_outbody(env, &args[0], trap);
  if (!o) return false;
  if (o->stream_live || o->finished) { res[0] = wp2_variant(1, NULL); return true; }
  wc_value *v = wp2_vals(a, 1);
  if (!v) return oom(trap);
  wp2_stream s = {.fd = -1, .hio = &hout_io, .hio_arg = o, .on_drop = hout_stream_dropped, .owner = o};
  if (!wp2_new_output_stream(env, &s, v, trap)) return false;
  o->refs++;
  o->stream_live = true;
  res[0] = wp2_variant(0, v);
  return true;
}

/* finish(own<outgoing-body>, option<own<trailers>>) -> result<_, error-code> */
WP2_FN(outbody_finish) {
  WP2_UNUSED;
  wp2_http *h = H(env);
  hout **ob = wp2_table_take(&h->outbody, args[0].u.handle.rep);
  if (!ob) return wp2_trap(trap, "unknown outgoing-body %u", args[0].u.handle.rep);
  hout *o = *ob;
  free(ob);
  hfields *t = NULL;
  if (args[1].u.var.index == 1 && !(t = take_fields(env, args[1].u.var.payload, trap))) { hout_unref(o); return false; }
  if (o->stream_live) {
    fields_free(t);
    o->aborted = true;
    hout_report_end(o, a);
    hout_unref(o);
    return wp2_trap(trap, "outgoing-body.finish: its output-stream is still alive");
  }
  if (o->expect >= 0 && o->written != (uint64_t)o->expect) {
    /* fewer bytes than the content-length said: the body is broken off, and
     * finish says HTTP-{request,response}-body-size(some(written)) */
    fields_free(t);
    o->aborted = true;
    hout_report_end(o, a);
    wc_value *v = wp2_vals(a, 3);
    if (!v) { hout_unref(o); return oom(trap); }
    v[2] = vu(WC_V_U64, o->written);
    v[1] = wp2_variant(1, &v[2]);
    v[0] = wp2_variant(o->is_request ? EC_REQUEST_BODY_SIZE : EC_RESPONSE_BODY_SIZE, &v[1]);
    hout_unref(o);
    res[0] = wp2_variant(1, v);
    return true;
  }
  o->finished = true;
  o->trailers = t;
  hout_report_end(o, a);
  hout_unref(o);
  res[0] = wp2_variant(0, NULL);
  return true;
}

/* ---- response-outparam ---------------------------------------------------------- */

static bool outparam_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  free(wp2_table_take(&H(ctx)->outparam, rep));
  return true;
}

/* set(own<response-outparam>, result<own<outgoing-response>, error-code>) */
WP2_FN(outparam_set) {
  WP2_UNUSED;
  wp2_http *h = H(env);
  free(wp2_table_take(&h->outparam, args[0].u.handle.rep));
  if (!h->res || h->outparam_set) return wp2_trap(trap, "response-outparam.set: the response was already set");
  h->outparam_set = true;
  const wc_value *r = &args[1];
  if (r->u.var.index == 1) {
    h->res->outcome = WP2_HTTP_ERROR_CODE;
    describe_error_code(r->u.var.payload, h->res->message, sizeof h->res->message);
    return true;
  }
  outmsg *m = wp2_table_take(&h->outresp, r->u.var.payload->u.handle.rep);
  if (!m) return wp2_trap(trap, "unknown outgoing-response %u", r->u.var.payload->u.handle.rep);
  wp2_http_field *hv = fields_view(m->headers, a);
  if (!hv) { outmsg_free(m); return oom(trap); }
  h->res->outcome = WP2_HTTP_RESPONDED;
  h->res->head_sent = true;
  h->res->status = m->status;
  int e = h->sink->head(h->sink->arg, m->status, hv, m->headers->n);
  if (!m->body_taken) { /* no body: it is complete now */
    h->sink->end(h->sink->arg, NULL, 0, true);
    h->res->body_complete = true;
  } else {
    hout *o = m->body;
    o->refs++;
    h->resp_body = o;
    o->res = h->res;
    o->sink = e ? NULL : h->sink;
    if (e) { /* the server cannot send it: writes fail, the end is still reported */
      o->attached = true;
      o->aborted = true;
      h->sink->end(h->sink->arg, NULL, 0, false);
      o->ended_reported = true;
    } else {
      hout_attach(o, a);
    }
  }
  outmsg_free(m);
  return true;
}

/* ---- request-options -------------------------------------------------------------- */

static bool opts_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  free(wp2_table_take(&H(ctx)->opts, rep));
  return true;
}
WP2_FN(opts_new) {
  WP2_UNUSED;
  wp2_http *h = H(env);
  reqopts *o = calloc(1, sizeof *o);
  if (!o) return oom(trap);
  if (!hand_out(&h->opts, h->rt_opts, o, &res[0], trap)) { free(o); return false; }
  return true;
}
static bool opts_get(void *env, const wc_value *args, int i, wc_value *res, wc_arena *a, wc_trap *trap) {
  reqopts *o = wp2_table_get(&H(env)->opts, args[0].u.handle.rep, trap);
  if (!o) return false;
  if (!o->set[i]) { res[0] = wp2_variant(0, NULL); return true; }
  wc_value *v = wp2_vals(a, 1);
  if (!v) return oom(trap);
  *v = vu(WC_V_U64, o->t[i]);
  res[0] = wp2_variant(1, v);
  return true;
}
static bool opts_set(void *env, const wc_value *args, int i, wc_value *res, wc_trap *trap) {
  reqopts *o = wp2_table_get(&H(env)->opts, args[0].u.handle.rep, trap);
  if (!o) return false;
  o->set[i] = args[1].u.var.index == 1;
  o->t[i] = o->set[i] ? args[1].u.var.payload->u.u : 0;
  res[0] = wp2_variant(0, NULL);
  return true;
}
WP2_FN(opts_connect) { WP2_UNUSED; return opts_get(env, args, 0, res, a, trap); }
WP2_FN(opts_first_byte) { WP2_UNUSED; return opts_get(env, args, 1, res, a, trap); }
WP2_FN(opts_between) { WP2_UNUSED; return opts_get(env, args, 2, res, a, trap); }
WP2_FN(opts_set_connect) { WP2_UNUSED; return opts_set(env, args, 0, res, trap); }
WP2_FN(opts_set_first_byte) { WP2_UNUSED; return opts_set(env, args, 1, res, trap); }
WP2_FN(opts_set_between) { WP2_UNUSED; return opts_set(env, args, 2, res, trap); }

/* http-error-code(borrow<io-error>) -> option<error-code>: this host's stream
 * errors are errnos, never HTTP errors. */
WP2_FN(http_error_code) {
  WP2_UNUSED;
  res[0] = wp2_variant(0, NULL);
  return true;
}

/* ---- the allow-list ---------------------------------------------------------------- */

static bool parse_port(const char *s, int *port) {
  char *end;
  long v = strtol(s, &end, 10);
  if (!*s || *end || v < 1 || v > 65535 || *s == '+' || *s == '-') return false;
  *port = (int)v;
  return true;
}

/* ADDR[/PREFIX] into e (v4 or v6). */
static bool parse_range(const char *s, size_t n, allow_entry *e) {
  char buf[80];
  if (n == 0 || n >= sizeof buf) return false;
  memcpy(buf, s, n);
  buf[n] = 0;
  char *slash = strchr(buf, '/');
  if (slash) *slash = 0;
  if (inet_pton(AF_INET, buf, e->addr) == 1) e->v6 = false;
  else if (inet_pton(AF_INET6, buf, e->addr) == 1) e->v6 = true;
  else return false;
  int max = e->v6 ? 128 : 32;
  e->prefix = max;
  if (slash) {
    char *end;
    long v = strtol(slash + 1, &end, 10);
    if (!slash[1] || *end || v < 0 || v > max) return false;
    e->prefix = (int)v;
  }
  return true;
}

static bool parse_allow(const char *spec, allow_entry *e, char *err, size_t errlen) {
  *e = (allow_entry){.prefix = -1};
  const char *port = NULL;
  bool ok;
  if (spec[0] == '[') {
    const char *close = strchr(spec, ']');
    ok = close && parse_range(spec + 1, (size_t)(close - spec - 1), e) && e->v6;
    if (ok && close[1]) ok = close[1] == ':' && (port = close + 2);
  } else if (strchr(spec, ':') && strchr(spec, ':') != strrchr(spec, ':')) {
    ok = parse_range(spec, strlen(spec), e) && e->v6; /* a bare IPv6 address or range: no port */
  } else {
    const char *colon = strrchr(spec, ':');
    size_t hn = colon ? (size_t)(colon - spec) : strlen(spec);
    if (colon) port = colon + 1;
    if (parse_range(spec, hn, e)) {
      ok = true;
    } else {
      ok = hn > 0 && hn < sizeof e->host;
      for (size_t i = 0; ok && i < hn; i++) {
        char c = spec[i];
        ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
             (c == '*' && hn == 1);
      }
      if (ok) { memcpy(e->host, spec, hn); e->host[hn] = 0; }
    }
  }
  if (ok && port) ok = parse_port(port, &e->port);
  if (!ok) snprintf(err, errlen, "bad --allow-http destination '%s' (HOST[:PORT], ADDR[/PREFIX][:PORT], [V6[/PREFIX]][:PORT] or *)", spec);
  return ok;
}

bool wp2_http_allow_check(const char *spec, char *err, size_t errlen) {
  allow_entry e;
  return parse_allow(spec, &e, err, errlen);
}

bool wp2_http_allow(wp2_ctx *p, const char *spec, char *err, size_t errlen) {
  wp2_http *h = p->http;
  allow_entry e;
  if (!parse_allow(spec, &e, err, errlen)) return false;
  if (!h || h->nallow >= HTTP_MAX_ALLOW) {
    snprintf(err, errlen, h ? "more than %d --allow-http destinations" : "wasi:http is not registered", HTTP_MAX_ALLOW);
    return false;
  }
  allow_entry *v = realloc(h->allow, (size_t)(h->nallow + 1) * sizeof *v);
  if (!v) { snprintf(err, errlen, "out of memory"); return false; }
  h->allow = v;
  h->allow[h->nallow++] = e;
  return true;
}

static bool port_ok(const allow_entry *e, int port) { return e->port == 0 || e->port == port; }

/* Whether a destination named `host` may be reached on `port` at all (by
 * name, or possibly by one of its addresses). */
static bool allow_maybe(const wp2_http *h, const char *host, int port) {
  for (int i = 0; i < h->nallow; i++) {
    const allow_entry *e = &h->allow[i];
    if (port_ok(e, port) && (e->prefix >= 0 || strcmp(e->host, "*") == 0 || strcasecmp(e->host, host) == 0)) return true;
  }
  return false;
}

static bool in_range(const allow_entry *e, const struct sockaddr *sa) {
  const uint8_t *a;
  if (sa->sa_family == AF_INET && !e->v6) a = (const uint8_t *)&((const struct sockaddr_in *)sa)->sin_addr;
  else if (sa->sa_family == AF_INET6 && e->v6) a = ((const struct sockaddr_in6 *)sa)->sin6_addr.s6_addr;
  else return false;
  int bits = e->prefix, i = 0;
  for (; bits >= 8; bits -= 8, i++) if (a[i] != e->addr[i]) return false;
  if (bits) {
    uint8_t mask = (uint8_t)(0xff << (8 - bits));
    if ((a[i] & mask) != (e->addr[i] & mask)) return false;
  }
  return true;
}

/* Whether the address `sa` of `host` may be reached on `port`. */
static bool allow_addr(const wp2_http *h, const char *host, int port, const struct sockaddr *sa) {
  for (int i = 0; i < h->nallow; i++) {
    const allow_entry *e = &h->allow[i];
    if (!port_ok(e, port)) continue;
    if (e->prefix < 0 ? (strcmp(e->host, "*") == 0 || strcasecmp(e->host, host) == 0) : in_range(e, sa)) return true;
  }
  return false;
}

/* ---- the client connection ------------------------------------------------------------ */

static void conn_unref(hconn *c) {
  if (!c || --c->refs) return;
  if (c->fd >= 0) close(c->fd);
  fields_clear(&c->headers);
  fields_clear(&c->trailers);
  free(c->fname);
  free(c->fval);
  free(c->body);
  free(c);
}

static void conn_fail(hconn *c, int which, const char *msg) {
  if (c->failed || c->complete) return;
  c->failed = true;
  c->error_case = which;
  snprintf(c->error_msg, sizeof c->error_msg, "%s", msg ? msg : "");
}

/* Writes all of buf to the socket (waiting as needed): 0 or an errno. */
static int conn_send(hconn *c, const void *buf, size_t n) {
  const uint8_t *b = buf;
  while (n > 0) {
    ssize_t r = send(c->fd, b, n, MSG_NOSIGNAL);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (wp2_wait_fd(c->p, c->fd, POLLOUT, 0) < 0) return ETIMEDOUT;
        continue;
      }
      return errno;
    }
    b += r;
    n -= (size_t)r;
  }
  return 0;
}

static bool grow_append(char **p, size_t *len, size_t *cap, const char *at, size_t n) {
  if (!buf_reserve((void **)p, cap, *len + n + 1)) return false;
  memcpy(*p + *len, at, n);
  *len += n;
  (*p)[*len] = 0;
  return true;
}

/* Stores the field being parsed (into the headers, or the trailers once the head is done). */
static int conn_flush_field(hconn *c) {
  if (!c->in_value) return 0;
  c->in_value = false;
  bool ok = fields_add(c->head_done ? &c->trailers : &c->headers, c->fname ? c->fname : "", c->fname_len,
                       (const uint8_t *)(c->fval ? c->fval : ""), c->fval_len);
  c->fname_len = c->fval_len = 0;
  return ok ? 0 : -1;
}

static int on_field(http_parser *hp, const char *at, size_t n) {
  hconn *c = hp->data;
  if (c->in_value && conn_flush_field(c)) return -1;
  c->head_bytes += n;
  if (c->head_bytes > HTTP_MAX_HEAD) { conn_fail(c, EC_RESPONSE_HEADER_SECTION_SIZE, NULL); return -1; }
  return grow_append(&c->fname, &c->fname_len, &c->fname_cap, at, n) ? 0 : -1;
}
static int on_value(http_parser *hp, const char *at, size_t n) {
  hconn *c = hp->data;
  c->in_value = true;
  c->head_bytes += n;
  if (c->head_bytes > HTTP_MAX_HEAD) { conn_fail(c, EC_RESPONSE_HEADER_SECTION_SIZE, NULL); return -1; }
  return grow_append(&c->fval, &c->fval_len, &c->fval_cap, at, n) ? 0 : -1;
}
static int on_headers_complete(http_parser *hp) {
  hconn *c = hp->data;
  if (conn_flush_field(c)) return -1;
  if (hp->status_code < 200) { /* 1xx: an interim response; the real one follows */
    fields_clear(&c->headers);
    c->head_bytes = 0;
    return 0;
  }
  c->head_done = true;
  return c->head_request ? 1 : 0; /* 1: http_parser expects no body */
}
static int on_body(http_parser *hp, const char *at, size_t n) {
  hconn *c = hp->data;
  if (c->body_off == c->body_len) c->body_off = c->body_len = 0;
    if (!buf_reserve((void **)&c->body, &c->body_cap, c->body_len + n)) return -1;
  memcpy(c->body + c->body_len, at, n);
  c->body_len += n;
  return 0;
}
static int on_message_complete(http_parser *hp) {
  hconn *c = hp->data;
  if (!c->head_done) return 0; /* the end of an interim response */
  if (conn_flush_field(c)) return -1;
  c->complete = true;
  http_parser_pause(hp, 1); /* anything after the response is not ours */
  return 0;
}

static const http_parser_settings parser_settings = {
  .on_header_field = on_field, .on_header_value = on_value, .on_headers_complete = on_headers_complete,
  .on_body = on_body, .on_message_complete = on_message_complete,
};

/* Feeds the parser what the socket has now (without waiting): false when
 * nothing more is there yet. */
static bool conn_progress(hconn *c) {
  if (c->complete || c->failed) return false;
  uint8_t buf[16384];
  ssize_t r = recv(c->fd, buf, sizeof buf, MSG_DONTWAIT);
  if (r < 0) {
    if (errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR) {
      /* the timeouts of request-options, checked whenever readiness is asked
       * (at least every WP2_SLICE_MS while the guest waits) */
      uint64_t now = wp2_mono_ns();
      if (!c->head_done && c->first_byte_deadline && now >= c->first_byte_deadline)
        conn_fail(c, EC_RESPONSE_TIMEOUT, NULL);
      else if (c->head_done && c->between_ns && now - c->last_data >= c->between_ns)
        conn_fail(c, EC_CONNECTION_READ_TIMEOUT, NULL);
      return false;
    }
    conn_fail(c, EC_CONNECTION_TERMINATED, NULL);
    return false;
  }
  c->last_data = wp2_mono_ns();
  /* a paused parser (after the response's end) ignores the rest: not ours */
  http_parser_execute(&c->parser, &parser_settings, (const char *)buf, (size_t)r);
  enum http_errno he = HTTP_PARSER_ERRNO(&c->parser);
  if (he != HPE_OK && he != HPE_PAUSED) conn_fail(c, EC_PROTOCOL_ERROR, http_errno_description(he));
  else if (r == 0 && !c->complete) conn_fail(c, EC_RESPONSE_INCOMPLETE, NULL);
  return r > 0;
}

/* Reads a response's body: a hin over the connection. */
static long conn_body_read(hin *b, uint8_t *buf, size_t cap) {
  hconn *c = b->impl;
  while (c->body_off == c->body_len && !c->complete && !c->failed)
    if (!conn_progress(c) && c->body_off == c->body_len && !c->complete && !c->failed) return -EAGAIN;
  if (c->body_off < c->body_len) {
    size_t n = c->body_len - c->body_off;
    if (n > cap) n = cap;
    memcpy(buf, c->body + c->body_off, n);
    c->body_off += n;
    return (long)n;
  }
  if (c->failed) return -EIO;
  if (c->trailers.n && !b->trailers) {
    if (!(b->trailers = fields_copy(&c->trailers, true))) return -ENOMEM;
  }
  return 0;
}
static bool conn_body_ready(hin *b) {
  hconn *c = b->impl;
  return c->body_off < c->body_len || c->complete || c->failed || wp2_fd_ready(c->fd, POLLIN);
}
static void conn_body_release(hin *b) { conn_unref(b->impl); }

/* ---- incoming-response, future-incoming-response ----------------------------------------- */

static void inresp_free(inresp *r) {
  if (!r) return;
  fields_free(r->headers);
  conn_unref(r->conn);
  free(r);
}
static bool inresp_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  inresp_free(wp2_table_take(&H(ctx)->inresp, rep));
  return true;
}
static inresp *get_inresp(void *env, const wc_value *v, wc_trap *trap) {
  return wp2_table_get(&H(env)->inresp, v->u.handle.rep, trap);
}
WP2_FN(inresp_status) {
  WP2_UNUSED;
  inresp *r = get_inresp(env, &args[0], trap);
  if (!r) return false;
  res[0] = vu(WC_V_U16, r->status);
  return true;
}
WP2_FN(inresp_headers) {
  WP2_UNUSED;
  inresp *r = get_inresp(env, &args[0], trap);
  return r && new_fields_handle(H(env), fields_copy(r->headers, true), &res[0], trap);
}
WP2_FN(inresp_consume) {
  WP2_UNUSED;
  inresp *r = get_inresp(env, &args[0], trap);
  if (!r) return false;
  hin *b = NULL;
  if (!r->consumed) {
    if (!(b = calloc(1, sizeof *b))) return oom(trap);
    *b = (hin){.refs = 1, .read = conn_body_read, .ready = conn_body_ready, .release = conn_body_release,
               .fd = r->conn->fd, .impl = r->conn};
    r->conn->refs++;
    r->consumed = true;
  }
  bool ok = consume_body(H(env), &b, res, a, trap);
  hin_unref(b); /* still set only if consume_body failed */
  return ok;
}

static void fresp_free(fresp *f) {
  if (f) { conn_unref(f->conn); free(f); }
}
static bool fresp_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  fresp_free(wp2_table_take(&H(ctx)->fresp, rep));
  return true;
}

static bool fresp_ready(void *arg) {
  hconn *c = arg;
  while (!c->head_done && conn_progress(c)) {}
  return c->head_done || c->failed;
}
static void conn_release(void *arg) { conn_unref(arg); }

WP2_FN(fresp_subscribe) {
  WP2_UNUSED;
  fresp *f = wp2_table_get(&H(env)->fresp, args[0].u.handle.rep, trap);
  if (!f) return false;
  f->conn->refs++;
  wp2_pollable pl = {.kind = PK_CUSTOM, .fd = f->conn->fd, .events = POLLIN, .ready = fresp_ready,
                     .arg = f->conn, .release = conn_release};
  return wp2_new_pollable(env, &pl, &res[0], trap);
}

/* option<result<result<own<incoming-response>, error-code>>> */
WP2_FN(fresp_get) {
  WP2_UNUSED;
  wp2_http *h = H(env);
  fresp *f = wp2_table_get(&h->fresp, args[0].u.handle.rep, trap);
  if (!f) return false;
  hconn *c = f->conn;
  if (!f->taken && !fresp_ready(c)) { res[0] = wp2_variant(0, NULL); return true; }
  wc_value *v = wp2_vals(a, 3);
  if (!v) return oom(trap);
  if (f->taken) {
    v[0] = wp2_variant(1, NULL);
  } else if (c->head_done) {
    inresp *r = calloc(1, sizeof *r);
    if (!r || !(r->headers = fields_copy(&c->headers, true))) { free(r); return oom(trap); }
    r->status = c->parser.status_code;
    r->conn = c;
    c->refs++;
    if (!hand_out(&h->inresp, h->rt_inresp, r, &v[2], trap)) { inresp_free(r); return false; }
    v[1] = wp2_variant(0, &v[2]);
    v[0] = wp2_variant(0, &v[1]);
  } else {
    if (!error_code(a, c->error_case, c->error_msg, &v[2])) return oom(trap);
    v[1] = wp2_variant(1, &v[2]);
    v[0] = wp2_variant(0, &v[1]);
  }
  f->taken = true;
  res[0] = wp2_variant(1, v);
  return true;
}

/* ---- wasi:http/outgoing-handler ------------------------------------------------------- */

/* Splits an authority into host and port (default 80); false if malformed. */
static bool split_authority(const char *auth, char *host, size_t cap, int *port) {
  const char *colon;
  size_t hn;
  if (strchr(auth, '@')) return false;
  if (auth[0] == '[') {
    const char *close = strchr(auth, ']');
    if (!close) return false;
    hn = (size_t)(close - auth - 1);
    auth++;
    colon = close[1] == ':' ? close + 1 : NULL;
    if (close[1] && !colon) return false;
  } else {
    colon = strchr(auth, ':');
    hn = colon ? (size_t)(colon - auth) : strlen(auth);
  }
  if (hn == 0 || hn >= cap) return false;
  memcpy(host, auth, hn);
  host[hn] = 0;
  *port = 80;
  return !colon || parse_port(colon + 1, port);
}

/* Connects to an allowed address of host:port within `timeout_ns`: the
 * descriptor, or -1 with the error-code case in *ec (-2: interrupted). */
static int connect_allowed(wp2_ctx *p, const char *host, int port, uint64_t timeout_ns, int *ec) {
  wp2_http *h = p->http;
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM}, *ai = NULL;
  char ps[8];
  snprintf(ps, sizeof ps, "%d", port);
  if (getaddrinfo(host, ps, &hints, &ai) != 0 || !ai) { *ec = EC_DNS_ERROR; return -1; }
  *ec = EC_REQUEST_DENIED;
  int fd = -1;
  uint64_t deadline = wp2_mono_ns() + timeout_ns;
  for (struct addrinfo *x = ai; x && fd < 0; x = x->ai_next) {
    if (!allow_addr(h, host, port, x->ai_addr)) continue;
    int s = socket(x->ai_family, SOCK_STREAM | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
    if (s < 0) { *ec = EC_INTERNAL_ERROR; continue; }
    int r = connect(s, x->ai_addr, x->ai_addrlen);
    if (r < 0 && errno == EINPROGRESS) {
      int w = wp2_wait_fd(p, s, POLLOUT, deadline);
      if (w < 0) { close(s); freeaddrinfo(ai); *ec = -2; return -1; }
      if (w == 0) { close(s); *ec = EC_CONNECTION_TIMEOUT; continue; }
      int soerr = 0;
      socklen_t sl = sizeof soerr;
      getsockopt(s, SOL_SOCKET, SO_ERROR, &soerr, &sl);
      r = soerr ? -1 : 0;
      errno = soerr;
    }
    if (r < 0) {
      *ec = errno == ECONNREFUSED ? EC_CONNECTION_REFUSED : EC_CONNECTION_TERMINATED;
      close(s);
      continue;
    }
    int one = 1;
    setsockopt(s, IPPROTO_TCP, TCP_NODELAY, &one, sizeof one);
    fd = s;
  }
  freeaddrinfo(ai);
  return fd;
}

/* The request head: request line, host, the guest's fields, framing, close. */
static int send_head(hconn *c, const outmsg *m, bool has_body) {
  bool has_length = false;
  for (uint32_t i = 0; i < m->headers->n; i++) has_length |= name_eq(&m->headers->v[i], "content-length", 14);
  c->chunked = has_body && !has_length;
  const char *path = m->path && m->path[0] ? m->path : "/";
  size_t cap = strlen(m->method) + strlen(path) + strlen(m->authority) + 128;
  for (uint32_t i = 0; i < m->headers->n; i++) cap += m->headers->v[i].nlen + m->headers->v[i].vlen + 4;
  char *b = malloc(cap);
  if (!b) return ENOMEM;
  size_t n = (size_t)snprintf(b, cap, "%s %s HTTP/1.1\r\nhost: %s\r\n", m->method, path, m->authority);
  for (uint32_t i = 0; i < m->headers->n; i++) {
    const hfield *f = &m->headers->v[i];
    memcpy(b + n, f->name, f->nlen); n += f->nlen;
    memcpy(b + n, ": ", 2); n += 2;
    memcpy(b + n, f->val, f->vlen); n += f->vlen;
    memcpy(b + n, "\r\n", 2); n += 2;
  }
  const char *framing = c->chunked ? "transfer-encoding: chunked\r\n"
                      : !has_body && !has_length && strcmp(m->method, "GET") && strcmp(m->method, "HEAD")
                          ? "content-length: 0\r\n" : "";
  n += (size_t)snprintf(b + n, cap - n, "%sconnection: close\r\n\r\n", framing);
  int e = conn_send(c, b, n);
  free(b);
  return e;
}

/* handle(own<outgoing-request>, option<own<request-options>>) ->
 * result<own<future-incoming-response>, error-code> */
WP2_FN(outgoing_handle) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  wp2_http *h = p->http;
  outmsg *m = wp2_table_take(&h->outreq, args[0].u.handle.rep);
  if (!m) return wp2_trap(trap, "unknown outgoing-request %u", args[0].u.handle.rep);
  uint64_t connect_ns = HTTP_DEFAULT_CONNECT_NS, first_byte_ns = 0, between_ns = 0;
  if (args[1].u.var.index == 1) {
    reqopts *o = wp2_table_take(&h->opts, args[1].u.var.payload->u.handle.rep);
    if (o && o->set[0]) connect_ns = o->t[0];
    if (o && o->set[1]) first_byte_ns = o->t[1];
    if (o && o->set[2]) between_ns = o->t[2];
    free(o);
  }
  int ec = -1;
  const char *msg = NULL;
  char host[256];
  int port = 80;
  int fd = -1;
  if (m->scheme && strcasecmp(m->scheme, "http") != 0) {
    ec = EC_INTERNAL_ERROR;
    msg = "only http: is supported for outgoing requests";
  } else if (!m->authority || !split_authority(m->authority, host, sizeof host, &port)) {
    ec = EC_REQUEST_URI_INVALID;
  } else if (!allow_maybe(h, host, port)) {
    ec = EC_REQUEST_DENIED;
  } else {
    fd = connect_allowed(p, host, port, connect_ns, &ec);
    if (fd < 0 && ec == -2) { outmsg_free(m); return wp2_trap_timeout(trap); }
  }
  wc_value *v = wp2_vals(a, 2);
  if (!v) { if (fd >= 0) close(fd); outmsg_free(m); return oom(trap); }
  if (fd < 0) {
    outmsg_free(m);
    if (!error_code(a, ec, msg, &v[0])) return oom(trap);
    res[0] = wp2_variant(1, v);
    return true;
  }
  hconn *c = calloc(1, sizeof *c);
  fresp *f = calloc(1, sizeof *f);
  if (!c || !f) { free(c); free(f); close(fd); outmsg_free(m); return oom(trap); }
  c->refs = 1;
  c->fd = fd;
  c->p = p;
  c->first_byte_ns = first_byte_ns;
  c->between_ns = between_ns;
  if (first_byte_ns) c->first_byte_deadline = wp2_mono_ns() + first_byte_ns;
  http_parser_init(&c->parser, HTTP_RESPONSE);
  c->parser.data = c;
  c->head_request = strcmp(m->method, "HEAD") == 0;
  f->conn = c;
  int e = send_head(c, m, m->body_taken);
  if (e) conn_fail(c, EC_CONNECTION_TERMINATED, strerror(e));
  if (m->body_taken) { /* the body goes to this connection from now on */
    m->body->conn = c;
    c->refs++;
    hout_attach(m->body, a);
  }
  outmsg_free(m);
  if (!hand_out(&h->fresp, h->rt_fresp, f, &v[0], trap)) { fresp_free(f); return false; }
  res[0] = wp2_variant(0, v);
  return true;
}

/* ---- the incoming-handler call -------------------------------------------------- */

bool wp2_http_handler_name(const wc_component *c, char *buf, size_t cap) {
  static const char prefix[] = "wasi:http/incoming-handler@0.2.";
  for (uint32_t i = 0; i < c->ndefs; i++) {
    const wc_def *d = &c->defs[i];
    if (d->kind == WC_DEF_EXPORT && d->sort == WC_INSTANCE && d->u.ie.name.len >= sizeof prefix - 1 &&
        !memcmp(d->u.ie.name.ptr, prefix, sizeof prefix - 1)) {
      if (d->u.ie.name.len + 8 > cap) return false;
      snprintf(buf, cap, "%.*s#handle", (int)d->u.ie.name.len, d->u.ie.name.ptr);
      return true;
    }
  }
  return false;
}

static inreq *inreq_from(const wp2_http_request *req) {
  inreq *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->method = dupz(req->method ? req->method : "GET");
  r->scheme = dupz(req->scheme);
  r->authority = dupz(req->authority);
  r->path = dupz(req->path_with_query);
  r->headers = fields_from(req->headers, req->nheaders);
  r->body = calloc(1, sizeof *r->body);
  srv_src *s = calloc(1, sizeof *s);
  bool ok = r->method && (r->scheme || !req->scheme) && (r->authority || !req->authority) &&
            (r->path || !req->path_with_query) && r->headers && r->body && s;
  if (r->headers) r->headers->immutable = true;
  if (r->body) {
    *r->body = (hin){.refs = 1, .read = srv_read, .ready = srv_ready, .release = srv_release,
                     .fd = req->source.read ? req->source.fd : -1, .impl = s};
    s = NULL;
    ((srv_src *)r->body->impl)->req = req;
  }
  free(s);
  if (!ok) { inreq_free(r); return NULL; }
  return r;
}

bool wp2_http_handle(wp2_ctx *p, wc_instance *inst, const char *handler, const wp2_http_request *req,
                     const wp2_http_response_sink *sink, wp2_http_result *out) {
  wp2_http *h = p->http;
  *out = (wp2_http_result){.outcome = WP2_HTTP_NO_RESPONSE};
  if (!h) { snprintf(out->message, sizeof out->message, "wasi:http is not registered"); return false; }
  wc_trap trap = {0};
  inreq *r = inreq_from(req);
  uint32_t *op = calloc(1, sizeof *op);
  wc_value args[2];
  if (!r || !op) {
    inreq_free(r);
    free(op);
    snprintf(out->message, sizeof out->message, "out of host memory");
    return false;
  }
  srv_src *src = r->body->impl;
  src->req = req;
  hin *body = r->body;
  body->refs++; /* kept to detach it from `req` when the call returns */
  if (!hand_out(&h->inreq, h->rt_inreq, r, &args[0], &trap)) {
    inreq_free(r);
    free(op);
    hin_unref(body);
    snprintf(out->message, sizeof out->message, "%s", trap.msg);
    return false;
  }
  if (!hand_out(&h->outparam, h->rt_outparam, op, &args[1], &trap)) {
    inreq_free(wp2_table_take(&h->inreq, args[0].u.handle.rep));
    free(op);
    hin_unref(body);
    snprintf(out->message, sizeof out->message, "%s", trap.msg);
    return false;
  }
  h->sink = sink;
  h->res = out;
  h->outparam_set = false;
  h->resp_body = NULL;
  wc_arena arena = {0};
  rt_error err;
  rt_error_clear(&err);
  bool ok = wc_instance_call(inst, handler, args, 2, NULL, 0, &arena, &err);
  if (!ok) {
    out->outcome = WP2_HTTP_TRAP;
    snprintf(out->message, sizeof out->message, "%s", err.message);
  }
  /* the body must have ended by now; if it has not (open, or the guest
   * trapped), the server must abort the response */
  hout *o = h->resp_body;
  if (o) {
    if (!o->ended_reported) {
      o->aborted = true;
      hout_report_end(o, &arena);
    }
    o->sink = NULL;
    o->res = NULL;
    hout_unref(o);
  }
  src->detached = true;
  hin_unref(body);
  h->sink = NULL;
  h->res = NULL;
  h->resp_body = NULL;
  wc_arena_free(&arena);
  return true;
}

/* ---- registration ------------------------------------------------------------------ */

#define T "wasi:http/types"
/* Named types of wasi:http (wasi:http@0.2 WIT), for the signatures below. */
static const wp2_types http_types[] = {
  {T,
   "use wasi:clocks/monotonic-clock.{duration};\n"
   "use wasi:io/streams.{input-stream, output-stream}; use wasi:io/error.{error as io-error};\n"
   "use wasi:io/poll.{pollable};\n"
   "variant method { get, head, post, put, delete, connect, options, trace, patch, other(string) }\n"
   "variant scheme { HTTP, HTTPS, other(string) }\n"
   "record DNS-error-payload { rcode: option<string>, info-code: option<u16> }\n"
   "record TLS-alert-received-payload { alert-id: option<u8>, alert-message: option<string> }\n"
   "record field-size-payload { field-name: option<string>, field-size: option<u32> }\n"
   "variant error-code { DNS-timeout, DNS-error(DNS-error-payload), destination-not-found,\n"
   "  destination-unavailable, destination-IP-prohibited, destination-IP-unroutable, connection-refused,\n"
   "  connection-terminated, connection-timeout, connection-read-timeout, connection-write-timeout,\n"
   "  connection-limit-reached, TLS-protocol-error, TLS-certificate-error,\n"
   "  TLS-alert-received(TLS-alert-received-payload), HTTP-request-denied, HTTP-request-length-required,\n"
   "  HTTP-request-body-size(option<u64>), HTTP-request-method-invalid, HTTP-request-URI-invalid,\n"
   "  HTTP-request-URI-too-long, HTTP-request-header-section-size(option<u32>),\n"
   "  HTTP-request-header-size(option<field-size-payload>), HTTP-request-trailer-section-size(option<u32>),\n"
   "  HTTP-request-trailer-size(field-size-payload), HTTP-response-incomplete,\n"
   "  HTTP-response-header-section-size(option<u32>), HTTP-response-header-size(field-size-payload),\n"
   "  HTTP-response-body-size(option<u64>), HTTP-response-trailer-section-size(option<u32>),\n"
   "  HTTP-response-trailer-size(field-size-payload), HTTP-response-transfer-coding(option<string>),\n"
   "  HTTP-response-content-coding(option<string>), HTTP-response-timeout, HTTP-upgrade-failed,\n"
   "  HTTP-protocol-error, loop-detected, configuration-error, internal-error(option<string>) }\n"
   "variant header-error { invalid-syntax, forbidden, immutable }\n"
   "type field-key = string; type field-name = field-key; type field-value = list<u8>;\n"
   "type headers = fields; type trailers = fields; type status-code = u16;"},
  {"wasi:http/incoming-handler", "use wasi:http/types.{incoming-request, response-outparam}"},
  {"wasi:http/outgoing-handler",
   "use wasi:http/types.{outgoing-request, request-options, future-incoming-response, error-code}"},
};

static const wp2_func http_funcs[] = {
  {T, "[constructor]fields", fields_new,
   "func() -> fields"},
  {T, "[static]fields.from-list", fields_from_list,
   "func(entries: list<tuple<field-name, field-value>>) -> result<fields, header-error>"},
  {T, "[method]fields.get", fields_get,
   "func(self: borrow<fields>, name: field-name) -> list<field-value>"},
  {T, "[method]fields.has", fields_has,
   "func(self: borrow<fields>, name: field-name) -> bool"},
  {T, "[method]fields.set", fields_set,
   "func(self: borrow<fields>, name: field-name, value: list<field-value>) -> result<_, header-error>"},
  {T, "[method]fields.delete", fields_del,
   "func(self: borrow<fields>, name: field-name) -> result<_, header-error>"},
  {T, "[method]fields.append", fields_append,
   "func(self: borrow<fields>, name: field-name, value: field-value) -> result<_, header-error>"},
  {T, "[method]fields.entries", fields_entries,
   "func(self: borrow<fields>) -> list<tuple<field-name, field-value>>"},
  {T, "[method]fields.clone", fields_clone,
   "func(self: borrow<fields>) -> fields"},
  {T, "[method]incoming-request.method", inreq_method,
   "func(self: borrow<incoming-request>) -> method"},
  {T, "[method]incoming-request.path-with-query", inreq_path,
   "func(self: borrow<incoming-request>) -> option<string>"},
  {T, "[method]incoming-request.scheme", inreq_scheme,
   "func(self: borrow<incoming-request>) -> option<scheme>"},
  {T, "[method]incoming-request.authority", inreq_authority,
   "func(self: borrow<incoming-request>) -> option<string>"},
  {T, "[method]incoming-request.headers", inreq_headers,
   "func(self: borrow<incoming-request>) -> headers"},
  {T, "[method]incoming-request.consume", inreq_consume,
   "func(self: borrow<incoming-request>) -> result<incoming-body>"},
  {T, "[constructor]outgoing-request", outreq_new,
   "func(headers: headers) -> outgoing-request"},
  {T, "[method]outgoing-request.body", outreq_body,
   "func(self: borrow<outgoing-request>) -> result<outgoing-body>"},
  {T, "[method]outgoing-request.method", outreq_method,
   "func(self: borrow<outgoing-request>) -> method"},
  {T, "[method]outgoing-request.set-method", outreq_set_method,
   "func(self: borrow<outgoing-request>, method: method) -> result"},
  {T, "[method]outgoing-request.path-with-query", outreq_path,
   "func(self: borrow<outgoing-request>) -> option<string>"},
  {T, "[method]outgoing-request.set-path-with-query", outreq_set_path,
   "func(self: borrow<outgoing-request>, path-with-query: option<string>) -> result"},
  {T, "[method]outgoing-request.scheme", outreq_scheme,
   "func(self: borrow<outgoing-request>) -> option<scheme>"},
  {T, "[method]outgoing-request.set-scheme", outreq_set_scheme,
   "func(self: borrow<outgoing-request>, scheme: option<scheme>) -> result"},
  {T, "[method]outgoing-request.authority", outreq_authority,
   "func(self: borrow<outgoing-request>) -> option<string>"},
  {T, "[method]outgoing-request.set-authority", outreq_set_authority,
   "func(self: borrow<outgoing-request>, authority: option<string>) -> result"},
  {T, "[method]outgoing-request.headers", outreq_headers,
   "func(self: borrow<outgoing-request>) -> headers"},
  {T, "[constructor]request-options", opts_new,
   "func() -> request-options"},
  {T, "[method]request-options.connect-timeout", opts_connect,
   "func(self: borrow<request-options>) -> option<duration>"},
  {T, "[method]request-options.set-connect-timeout", opts_set_connect,
   "func(self: borrow<request-options>, duration: option<duration>) -> result"},
  {T, "[method]request-options.first-byte-timeout", opts_first_byte,
   "func(self: borrow<request-options>) -> option<duration>"},
  {T, "[method]request-options.set-first-byte-timeout", opts_set_first_byte,
   "func(self: borrow<request-options>, duration: option<duration>) -> result"},
  {T, "[method]request-options.between-bytes-timeout", opts_between,
   "func(self: borrow<request-options>) -> option<duration>"},
  {T, "[method]request-options.set-between-bytes-timeout", opts_set_between,
   "func(self: borrow<request-options>, duration: option<duration>) -> result"},
  {T, "[static]response-outparam.set", outparam_set,
   "func(param: response-outparam, response: result<outgoing-response, error-code>)"},
  {T, "[method]incoming-response.status", inresp_status,
   "func(self: borrow<incoming-response>) -> status-code"},
  {T, "[method]incoming-response.headers", inresp_headers,
   "func(self: borrow<incoming-response>) -> headers"},
  {T, "[method]incoming-response.consume", inresp_consume,
   "func(self: borrow<incoming-response>) -> result<incoming-body>"},
  {T, "[method]incoming-body.stream", inbody_stream,
   "func(self: borrow<incoming-body>) -> result<input-stream>"},
  {T, "[static]incoming-body.finish", inbody_finish,
   "func(this: incoming-body) -> future-trailers"},
  {T, "[method]future-trailers.subscribe", ftrail_subscribe,
   "func(self: borrow<future-trailers>) -> pollable"},
  {T, "[method]future-trailers.get", ftrail_get,
   "func(self: borrow<future-trailers>) -> option<result<result<option<trailers>, error-code>>>"},
  {T, "[constructor]outgoing-response", outresp_new,
   "func(headers: headers) -> outgoing-response"},
  {T, "[method]outgoing-response.status-code", outresp_status,
   "func(self: borrow<outgoing-response>) -> status-code"},
  {T, "[method]outgoing-response.set-status-code", outresp_set_status,
   "func(self: borrow<outgoing-response>, status-code: status-code) -> result"},
  {T, "[method]outgoing-response.headers", outresp_headers,
   "func(self: borrow<outgoing-response>) -> headers"},
  {T, "[method]outgoing-response.body", outresp_body,
   "func(self: borrow<outgoing-response>) -> result<outgoing-body>"},
  {T, "[method]outgoing-body.write", outbody_write,
   "func(self: borrow<outgoing-body>) -> result<output-stream>"},
  {T, "[static]outgoing-body.finish", outbody_finish,
   "func(this: outgoing-body, trailers: option<trailers>) -> result<_, error-code>"},
  {T, "[method]future-incoming-response.subscribe", fresp_subscribe,
   "func(self: borrow<future-incoming-response>) -> pollable"},
  {T, "[method]future-incoming-response.get", fresp_get,
   "func(self: borrow<future-incoming-response>) -> option<result<result<incoming-response, error-code>>>"},
  {T, "http-error-code", http_error_code,
   "func(err: borrow<io-error>) -> option<error-code>"},
  {"wasi:http/outgoing-handler", "handle", outgoing_handle,
   "func(request: outgoing-request, options: option<request-options>) -> result<future-incoming-response, error-code>"},
};

/* Objects the guest never dropped (the instance is gone). */
static void http_cleanup(wp2_ctx *p, bool final) {
  wp2_http *h = p->http;
  if (!h) return;
  /* body streams hold references to their bodies: io.c's cleanup (after this
   * one) frees the streams without calling their owners back */
  for (uint32_t i = 0; i < p->streams.n; i++) {
    wp2_stream *st = p->streams.items[i];
    if (st && (st->hio == &hin_io || st->hio == &hout_io) && st->on_drop) {
      st->on_drop(st->owner, st);
      st->on_drop = NULL;
      st->closed = true;
    }
  }
  for (uint32_t i = 0; i < h->fields.n; i++) fields_free(wp2_table_take(&h->fields, i));
  for (uint32_t i = 0; i < h->inreq.n; i++) inreq_free(wp2_table_take(&h->inreq, i));
  for (uint32_t i = 0; i < h->outreq.n; i++) outmsg_free(wp2_table_take(&h->outreq, i));
  for (uint32_t i = 0; i < h->outresp.n; i++) outmsg_free(wp2_table_take(&h->outresp, i));
  for (uint32_t i = 0; i < h->opts.n; i++) free(wp2_table_take(&h->opts, i));
  for (uint32_t i = 0; i < h->outparam.n; i++) free(wp2_table_take(&h->outparam, i));
  for (uint32_t i = 0; i < h->inresp.n; i++) inresp_free(wp2_table_take(&h->inresp, i));
  for (uint32_t i = 0; i < h->inbody.n; i++) inbody_free(wp2_table_take(&h->inbody, i));
  for (uint32_t i = 0; i < h->outbody.n; i++) {
    hout **ob = wp2_table_take(&h->outbody, i);
    if (ob) { hout_unref(*ob); free(ob); }
  }
  for (uint32_t i = 0; i < h->ftrail.n; i++) {
    ftrail *ft = wp2_table_take(&h->ftrail, i);
    if (ft) { hin_unref(ft->b); free(ft); }
  }
  for (uint32_t i = 0; i < h->fresp.n; i++) fresp_free(wp2_table_take(&h->fresp, i));
  if (!final) return;
  wp2_table *ts[] = {&h->fields, &h->inreq, &h->outreq, &h->opts, &h->outparam, &h->inresp,
                     &h->outresp, &h->inbody, &h->outbody, &h->ftrail, &h->fresp};
  for (size_t i = 0; i < sizeof ts / sizeof ts[0]; i++) wp2_table_free(ts[i]);
  free(h->allow);
  free(h);
  p->http = NULL;
}

bool wp2_add_http(wp2_ctx *p, wc_host *h) {
  if (p->http) return true;
  wp2_http *s = calloc(1, sizeof *s);
  if (!s) return false;
  p->http = s;
  if (!wp2_at_free(p, http_cleanup)) { free(s); p->http = NULL; return false; }
  s->fields.what = "fields";
  s->inreq.what = "incoming-request";
  s->outreq.what = "outgoing-request";
  s->opts.what = "request-options";
  s->outparam.what = "response-outparam";
  s->inresp.what = "incoming-response";
  s->outresp.what = "outgoing-response";
  s->inbody.what = "incoming-body";
  s->outbody.what = "outgoing-body";
  s->ftrail.what = "future-trailers";
  s->fresp.what = "future-incoming-response";
  return wp2_add_resource(p, h, T, "fields", &s->rt_fields, fields_dtor) &&
         wp2_add_resource(p, h, T, "incoming-request", &s->rt_inreq, inreq_dtor) &&
         wp2_add_resource(p, h, T, "outgoing-request", &s->rt_outreq, outreq_dtor) &&
         wp2_add_resource(p, h, T, "request-options", &s->rt_opts, opts_dtor) &&
         wp2_add_resource(p, h, T, "response-outparam", &s->rt_outparam, outparam_dtor) &&
         wp2_add_resource(p, h, T, "incoming-response", &s->rt_inresp, inresp_dtor) &&
         wp2_add_resource(p, h, T, "outgoing-response", &s->rt_outresp, outresp_dtor) &&
         wp2_add_resource(p, h, T, "incoming-body", &s->rt_inbody, inbody_dtor) &&
         wp2_add_resource(p, h, T, "outgoing-body", &s->rt_outbody, outbody_dtor) &&
         wp2_add_resource(p, h, T, "future-trailers", &s->rt_ftrail, ftrail_dtor) &&
         wp2_add_resource(p, h, T, "future-incoming-response", &s->rt_fresp, fresp_dtor) &&
         wp2_define(h, http_types, sizeof http_types / sizeof http_types[0]) &&
         wp2_register(p, h, http_funcs, sizeof http_funcs / sizeof http_funcs[0]);
}
#undef T
