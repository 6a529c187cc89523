/*
 * handler.c — a wasi:http/incoming-handler written in C straight against the
 * Canonical ABI (no bindings generator): the imports are declared with their
 * lowered core signatures and results are read from return areas by hand.
 * build.sh compiles it with clang, embeds the WIT world (world.wit) and makes
 * the component with jco (tests/component/http-handler.wasm, committed).
 *
 * Routes (the path picks one):
 *   /echo...     200; x-method, x-path, x-authority, x-scheme and every request
 *                header as x-echo-NAME; the request body streamed back; the
 *                request's trailers become the response's trailers
 *   /poll-echo   the same body, read by subscribe + block + non-blocking read
 *   /gen/N       200 with N bytes ('a' + i % 26), written as check-write allows
 *   /cl/N/M      declares content-length N, writes M bytes ('x') and finishes
 *                (a body shorter or longer than declared is broken off)
 *   /trap        traps before responding
 *   /trap-mid    responds, writes "partial", then traps
 *   /error       response-outparam.set(err(internal-error(some("boom"))))
 *   /none        returns without responding
 *   /unfinished  writes "x" and drops the body without finish
 *   /fields      the header rules, one word per check, in the body
 *   /fetch       GET (HEAD with x-head) http://<x-target><x-target-path> through outgoing-handler;
 *                answers with its status in x-upstream-status and its body, or
 *                502 and "error N" (the error-code case) when it failed
 *   /hello       200 "hello\n" (the bench's hello handler)
 *   /trailers    200 "trailer body\n", finished with the trailers
 *                x-checksum: c0ffee, x-multi: one, x-multi: two
 *   /count       200 "count N": N counts this instance's requests (1 when each
 *                request gets a fresh instance)
 *   /stream/N    200: writes "first\n", spins N iterations, writes "second\n"
 *   /spin        loops forever (for --timeout)
 *   /relay       the same as a POST carrying the request's body (streamed,
 *                chunked) and trailers; the upstream's trailers become the
 *                response's; x-first-byte-ms sets request-options'
 *                first-byte-timeout
 *
 * It is also a command (wasi:cli/run): `run` GETs http://$TARGET$TARGET_PATH
 * (environment variables) and copies the response body to stdout; ok for a
 * 2xx status, else err after printing "status N" or "error N" (the
 * error-code case) to stdout — for `wrun --allow-http` (tests/cli/component_http.sh).
 */
#include <stdint.h>

typedef uint32_t u32;
typedef uint64_t u64;

#define IMPORT(mod, name) __attribute__((import_module(mod), import_name(name)))
#define TYPES "wasi:http/types@0.2.12"
#define STREAMS "wasi:io/streams@0.2.12"
#define POLL "wasi:io/poll@0.2.12"

/* ---- memory ---------------------------------------------------------------- */

extern unsigned char __heap_base;
static uintptr_t heap_top;

void *memcpy(void *d, const void *s, unsigned long n) {
  unsigned char *dd = d;
  const unsigned char *ss = s;
  while (n--) *dd++ = *ss++;
  return d;
}
void *memset(void *d, int c, unsigned long n) {
  unsigned char *dd = d;
  while (n--) *dd++ = (unsigned char)c;
  return d;
}

static void *bump(u32 align, u32 size) {
  if (!heap_top) heap_top = (uintptr_t)&__heap_base;
  uintptr_t p = (heap_top + align - 1) & ~(uintptr_t)(align - 1);
  uintptr_t end = p + size;
  uintptr_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have && __builtin_wasm_memory_grow(0, (end - have + 65535) / 65536) == (uintptr_t)-1)
    __builtin_trap();
  heap_top = end;
  return (void *)p;
}

__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, u32 old_size, u32 align, u32 size) {
  void *p = bump(align, size);
  if (old) memcpy(p, old, old_size < size ? old_size : size);
  return p;
}

static u32 slen(const char *s) { u32 n = 0; while (s[n]) n++; return n; }
static int starts(const char *s, u32 n, const char *pre) {
  u32 k = slen(pre);
  if (n < k) return 0;
  for (u32 i = 0; i < k; i++) if (s[i] != pre[i]) return 0;
  return 1;
}
static int equals(const char *s, u32 n, const char *z) { return n == slen(z) && starts(s, n, z); }

/* ---- imports (lowered signatures) --------------------------------------------- */

IMPORT(TYPES, "[constructor]fields") u32 fields_new(void);
IMPORT(TYPES, "[static]fields.from-list") void fields_from_list(u32 ptr, u32 len, void *ret);
IMPORT(TYPES, "[method]fields.append") void fields_append(u32 self, const char *n, u32 nl, const void *v, u32 vl, void *ret);
IMPORT(TYPES, "[method]fields.set") void fields_set(u32 self, const char *n, u32 nl, const void *vals, u32 count, void *ret);
IMPORT(TYPES, "[method]fields.get") void fields_get(u32 self, const char *n, u32 nl, void *ret);
IMPORT(TYPES, "[method]fields.entries") void fields_entries(u32 self, void *ret);
IMPORT(TYPES, "[resource-drop]fields") void fields_drop(u32);
IMPORT(TYPES, "[method]incoming-request.method") void req_method(u32 self, void *ret);
IMPORT(TYPES, "[method]incoming-request.path-with-query") void req_path(u32 self, void *ret);
IMPORT(TYPES, "[method]incoming-request.authority") void req_authority(u32 self, void *ret);
IMPORT(TYPES, "[method]incoming-request.scheme") void req_scheme(u32 self, void *ret);
IMPORT(TYPES, "[method]incoming-request.headers") u32 req_headers(u32 self);
IMPORT(TYPES, "[method]incoming-request.consume") void req_consume(u32 self, void *ret);
IMPORT(TYPES, "[resource-drop]incoming-request") void req_drop(u32);
IMPORT(TYPES, "[method]incoming-body.stream") void inbody_stream(u32 self, void *ret);
IMPORT(TYPES, "[static]incoming-body.finish") u32 inbody_finish(u32 self);
IMPORT(TYPES, "[method]future-trailers.subscribe") u32 ftrail_subscribe(u32 self);
IMPORT(TYPES, "[method]future-trailers.get") void ftrail_get(u32 self, void *ret);
IMPORT(TYPES, "[resource-drop]future-trailers") void ftrail_drop(u32);
IMPORT(TYPES, "[constructor]outgoing-response") u32 resp_new(u32 headers);
IMPORT(TYPES, "[method]outgoing-response.set-status-code") u32 resp_set_status(u32 self, u32 status);
IMPORT(TYPES, "[method]outgoing-response.body") void resp_body(u32 self, void *ret);
IMPORT(TYPES, "[method]outgoing-body.write") void outbody_write(u32 self, void *ret);
IMPORT(TYPES, "[static]outgoing-body.finish") void outbody_finish(u32 self, u32 has_trailers, u32 trailers, void *ret);
IMPORT(TYPES, "[resource-drop]outgoing-body") void outbody_drop(u32);
IMPORT(TYPES, "[static]response-outparam.set")
void outparam_set(u32 param, u32 is_err, u32 a, u32 b, u64 c, u32 d, u32 e, u32 f, u32 g);
IMPORT(TYPES, "[constructor]outgoing-request") u32 oreq_new(u32 headers);
IMPORT(TYPES, "[method]outgoing-request.set-authority") u32 oreq_set_authority(u32 self, u32 some, const char *p, u32 n);
IMPORT(TYPES, "[method]outgoing-request.set-path-with-query") u32 oreq_set_path(u32 self, u32 some, const char *p, u32 n);
IMPORT(TYPES, "[method]outgoing-request.set-scheme") u32 oreq_set_scheme(u32 self, u32 some, u32 which, const char *p, u32 n);
IMPORT(TYPES, "[method]outgoing-request.set-method") u32 oreq_set_method(u32 self, u32 which, const char *p, u32 n);
IMPORT(TYPES, "[method]outgoing-request.body") void oreq_body(u32 self, void *ret);
IMPORT(TYPES, "[constructor]request-options") u32 opts_new(void);
IMPORT(TYPES, "[method]request-options.set-first-byte-timeout") u32 opts_set_first_byte(u32 self, u32 some, u64 ns);
IMPORT(TYPES, "[method]future-incoming-response.subscribe") u32 fresp_subscribe(u32 self);
IMPORT(TYPES, "[method]future-incoming-response.get") void fresp_get(u32 self, void *ret);
IMPORT(TYPES, "[resource-drop]future-incoming-response") void fresp_drop(u32);
IMPORT(TYPES, "[method]incoming-response.status") u32 iresp_status(u32 self);
IMPORT(TYPES, "[method]incoming-response.consume") void iresp_consume(u32 self, void *ret);
IMPORT(TYPES, "[resource-drop]incoming-response") void iresp_drop(u32);
IMPORT("wasi:http/outgoing-handler@0.2.12", "handle") void http_send(u32 req, u32 has_opts, u32 opts, void *ret);
IMPORT(STREAMS, "[method]input-stream.blocking-read") void in_read(u32 self, u64 len, void *ret);
IMPORT(STREAMS, "[resource-drop]input-stream") void in_drop(u32);
IMPORT(STREAMS, "[method]input-stream.read") void in_read_now(u32 self, u64 len, void *ret);
IMPORT(STREAMS, "[method]input-stream.subscribe") u32 in_subscribe(u32 self);
IMPORT(STREAMS, "[method]output-stream.check-write") void out_check(u32 self, void *ret);
IMPORT(STREAMS, "[method]output-stream.write") void out_write(u32 self, const void *p, u32 n, void *ret);
IMPORT(STREAMS, "[method]output-stream.subscribe") u32 out_subscribe(u32 self);
IMPORT(STREAMS, "[resource-drop]output-stream") void out_drop(u32);
IMPORT(POLL, "[method]pollable.block") void poll_block(u32 self);
IMPORT("wasi:cli/environment@0.2.12", "get-environment") void get_environment(void *ret);
IMPORT("wasi:cli/stdout@0.2.12", "get-stdout") u32 get_stdout(void);
IMPORT(STREAMS, "[method]output-stream.blocking-write-and-flush") void out_write_flush(u32 self, const void *p, u32 n, void *ret);
IMPORT(POLL, "[resource-drop]pollable") void poll_drop(u32);

/* return areas: 8-aligned, large enough for every result above */
static u64 ret_area[8];
#define RB ((unsigned char *)ret_area)
#define R8(o) (*(unsigned char *)(RB + (o)))
#define R32(o) (*(u32 *)(RB + (o)))
#define R64(o) (*(u64 *)(RB + (o)))

/* ---- helpers ---------------------------------------------------------------------- */

static u32 append(u32 f, const char *n, u32 nl, const void *v, u32 vl) {
  fields_append(f, n, nl, v, vl, ret_area);
  return R8(0) ? 10 + R8(1) : 0; /* 0 ok, 10 + header-error case */
}
static void append_z(u32 f, const char *n, const char *v) { append(f, n, slen(n), v, slen(v)); }

/* Writes all of data[0..n) honouring check-write; 0 or -1 (stream error). */
static int write_all(u32 out, const unsigned char *data, u32 n) {
  while (n) {
    out_check(out, ret_area);
    if (R8(0)) return -1;
    u64 budget = R64(8);
    if (budget == 0) {
      u32 p = out_subscribe(out);
      poll_block(p);
      poll_drop(p);
      continue;
    }
    u32 k = budget < n ? (u32)budget : n;
    out_write(out, data, k, ret_area);
    if (R8(0)) return -1;
    data += k;
    n -= k;
  }
  return 0;
}

/* Sets a response with `headers` and returns its body's output stream in *out. */
static u32 respond(u32 outparam, u32 headers, u32 status, u32 *out) {
  u32 resp = resp_new(headers);
  resp_set_status(resp, status);
  resp_body(resp, ret_area);
  u32 body = R32(4);
  outbody_write(body, ret_area);
  *out = R32(4);
  outparam_set(outparam, 0, resp, 0, 0, 0, 0, 0, 0);
  return body;
}

static void finish(u32 out, u32 body, int has_trailers, u32 trailers) {
  out_drop(out);
  outbody_finish(body, has_trailers, trailers, ret_area);
}

static void text_response(u32 outparam, u32 status, const char *text) {
  u32 out, body = respond(outparam, fields_new(), status, &out);
  write_all(out, (const unsigned char *)text, slen(text));
  finish(out, body, 0, 0);
}

/* ---- routes ------------------------------------------------------------------------- */

static void route_echo(u32 req, u32 outparam, int poll) {
  u32 h = fields_new();
  req_method(req, ret_area);
  static const char *const methods[] = {"GET", "HEAD", "POST", "PUT", "DELETE", "CONNECT", "OPTIONS", "TRACE", "PATCH"};
  if (R8(0) < 9) append_z(h, "x-method", methods[R8(0)]);
  else append(h, "x-method", 8, (const void *)R32(4), R32(8));
  req_path(req, ret_area);
  if (R8(0)) append(h, "x-path", 6, (const void *)R32(4), R32(8));
  req_authority(req, ret_area);
  if (R8(0)) append(h, "x-authority", 11, (const void *)R32(4), R32(8));
  req_scheme(req, ret_area);
  if (R8(0)) append_z(h, "x-scheme", R8(4) == 0 ? "HTTP" : R8(4) == 1 ? "HTTPS" : "other");
  u32 rh = req_headers(req);
  fields_entries(rh, ret_area);
  u32 *ents = (u32 *)R32(0), nent = R32(4);
  for (u32 i = 0; i < nent; i++) {
    u32 *e = ents + 4 * i; /* {name ptr, name len, value ptr, value len} */
    char *name = bump(1, e[1] + 7);
    memcpy(name, "x-echo-", 7);
    memcpy(name + 7, (const void *)e[0], e[1]);
    append(h, name, e[1] + 7, (const void *)e[2], e[3]);
  }
  fields_drop(rh);
  req_consume(req, ret_area);
  u32 inbody = R32(4);
  inbody_stream(inbody, ret_area);
  u32 in = R32(4);
  u32 out, body = respond(outparam, h, 200, &out);
  for (;;) {
    if (poll) {
      u32 p = in_subscribe(in);
      poll_block(p);
      in_read_now(in, 65536, ret_area);
      poll_drop(p);
    } else {
      in_read(in, 65536, ret_area);
    }
    if (R8(0)) break; /* closed (end of body) */
    if (write_all(out, (const unsigned char *)R32(4), R32(8))) break;
  }
  in_drop(in);
  u32 ft = inbody_finish(inbody);
  u32 p = ftrail_subscribe(ft);
  poll_block(p);
  poll_drop(p);
  ftrail_get(ft, ret_area);
  /* some(ok(ok(option<trailers>))): disc at 0, 8, 16; the option at 24, the handle at 28 */
  int has = R8(0) == 1 && R8(8) == 0 && R8(16) == 0 && R8(24) == 1;
  u32 trailers = R32(28);
  ftrail_drop(ft);
  finish(out, body, has, trailers);
}

static void route_gen(u32 outparam, const char *num, u32 nl) {
  u32 n = 0;
  for (u32 i = 0; i < nl && num[i] >= '0' && num[i] <= '9'; i++) n = n * 10 + (u32)(num[i] - '0');
  static unsigned char chunk[65536];
  u32 out, body = respond(outparam, fields_new(), 200, &out);
  u32 done = 0;
  while (done < n) {
    u32 k = n - done < sizeof chunk ? n - done : (u32)sizeof chunk;
    for (u32 i = 0; i < k; i++) chunk[i] = (unsigned char)('a' + (done + i) % 26);
    if (write_all(out, chunk, k)) break;
    done += k;
  }
  finish(out, body, 0, 0);
}

static void route_trailers(u32 outparam) {
  u32 out, body = respond(outparam, fields_new(), 200, &out);
  write_all(out, (const unsigned char *)"trailer body\n", 13);
  u32 t = fields_new();
  append_z(t, "x-checksum", "c0ffee");
  append_z(t, "x-multi", "one");
  append_z(t, "x-multi", "two");
  finish(out, body, 1, t);
}

static u32 number(const char **p, const char *end) {
  u32 n = 0;
  while (*p < end && **p >= '0' && **p <= '9') n = n * 10 + (u32)(*(*p)++ - '0');
  return n;
}

static void route_cl(u32 outparam, const char *p, u32 len) {
  const char *end = p + len;
  u32 declared = number(&p, end);
  if (p < end) p++;
  u32 n = number(&p, end);
  char v[12];
  u32 k = 0, d = declared;
  char tmp[12];
  do { tmp[k++] = (char)('0' + d % 10); d /= 10; } while (d);
  for (u32 i = 0; i < k; i++) v[i] = tmp[k - 1 - i];
  v[k] = 0;
  u32 h = fields_new();
  append_z(h, "content-length", v);
  u32 out, body = respond(outparam, h, 200, &out);
  static unsigned char xs[4096];
  memset(xs, 'x', sizeof xs);
  while (n) {
    u32 c = n < sizeof xs ? n : (u32)sizeof xs;
    if (write_all(out, xs, c)) break;
    n -= c;
  }
  finish(out, body, 0, 0);
}

static char words[512];
static u32 nwords;
static void word(const char *w) {
  u32 n = slen(w);
  memcpy(words + nwords, w, n);
  nwords += n;
  words[nwords++] = ' ';
  words[nwords] = 0;
}
static void he_word(u32 r) {
  static const char *const names[] = {"invalid", "forbidden", "immutable"};
  word(r == 0 ? "ok" : names[r - 10]);
}

static void route_fields(u32 req, u32 outparam) {
  u32 f = fields_new();
  he_word(append(f, "Connection", 10, "x", 1));
  he_word(append(f, "bad name", 8, "x", 1));
  he_word(append(f, "x-a", 3, "a\nb", 3));
  he_word(append(f, "X-Upper", 7, "1", 1));
  u32 rh = req_headers(req);
  he_word(append(rh, "x-b", 3, "1", 1)); /* request headers are immutable */
  fields_drop(rh);
  struct { const char *n; u32 nl; const char *v; u32 vl; } list[2] = {{"x-ok", 4, "1", 1}, {"Host", 4, "h", 1}};
  fields_from_list((u32)list, 2, ret_area);
  word(R8(0) == 0 ? "ok" : R8(4) == 1 ? "forbidden" : "other");
  struct { const char *p; u32 n; } vals[2] = {{"v1", 2}, {"v2", 2}};
  fields_set(f, "x-upper", 7, vals, 2, ret_area);
  word(R8(0) ? "fail" : "ok");
  fields_get(f, "X-UPPER", 7, ret_area);
  word(R32(4) == 2 ? "two" : "not-two");
  fields_entries(f, ret_area);
  u32 *e = (u32 *)R32(0);
  word(R32(4) == 2 && equals((const char *)e[0], e[1], "x-upper") ? "lower" : "not-lower");
  fields_drop(f);
  text_response(outparam, 200, words);
}

/* A header value as a string (the first one), or 0. */
static const char *header(u32 req, const char *name, u32 *len) {
  u32 rh = req_headers(req);
  fields_get(rh, name, slen(name), ret_area);
  fields_drop(rh);
  if (R32(4) == 0) return 0;
  u32 *v = (u32 *)R32(0);
  *len = v[1];
  return (const char *)v[0];
}

static void error_response(u32 outparam, u32 c) {
  char msg[16] = "error ";
  msg[6] = (char)('0' + c / 10);
  msg[7] = (char)('0' + c % 10);
  msg[8] = 0;
  text_response(outparam, 502, msg);
}

/* Copies an input stream to an output stream until the input ends: 0 at its
 * end (stream-error.closed), -1 if it failed (last-operation-failed). */
static int copy(u32 in, u32 out) {
  for (;;) {
    in_read(in, 65536, ret_area);
    if (R8(0)) return R8(4) == 1 ? 0 : -1;
    if (write_all(out, (const unsigned char *)R32(4), R32(8))) return -1;
  }
}

/* The trailers of an incoming body (consumed): 1 and the handle, or 0. */
static int body_trailers(u32 inbody, u32 *trailers) {
  u32 ft = inbody_finish(inbody);
  u32 p = ftrail_subscribe(ft);
  poll_block(p);
  poll_drop(p);
  ftrail_get(ft, ret_area);
  /* some(ok(ok(option<trailers>))): discriminants at 0, 8, 16; the option at 24, the handle at 28 */
  int has = R8(0) == 1 && R8(8) == 0 && R8(16) == 0 && R8(24) == 1;
  *trailers = R32(28);
  ftrail_drop(ft);
  return has;
}

static u32 header_ms(u32 req, const char *name) {
  u32 n = 0, v = 0;
  const char *s = header(req, name, &n);
  for (u32 i = 0; s && i < n; i++) v = v * 10 + (u32)(s[i] - '0');
  return v;
}

static void route_fetch(u32 req, u32 outparam, int relay) {
  u32 al = 0, pl = 0;
  const char *auth = header(req, "x-target", &al), *path = header(req, "x-target-path", &pl);
  u32 first_ms = header_ms(req, "x-first-byte-ms");
  u32 oreq = oreq_new(fields_new());
  oreq_set_scheme(oreq, 1, 0, 0, 0);
  if (auth) oreq_set_authority(oreq, 1, auth, al);
  if (path) oreq_set_path(oreq, 1, path, pl);
  u32 obody = 0, oout = 0, hl;
  if (header(req, "x-head", &hl)) oreq_set_method(oreq, 1, 0, 0); /* HEAD */
  if (relay) {
    oreq_set_method(oreq, 2, 0, 0); /* POST */
    oreq_body(oreq, ret_area);
    obody = R32(4);
    outbody_write(obody, ret_area);
    oout = R32(4);
  }
  u32 opts = 0;
  if (first_ms) {
    opts = opts_new();
    opts_set_first_byte(opts, 1, (u64)first_ms * 1000000u);
  }
  http_send(oreq, first_ms != 0, opts, ret_area);
  if (R8(0)) { /* err(error-code): the case at 8 */
    error_response(outparam, R8(8));
    return;
  }
  u32 fut = R32(8);
  if (relay) { /* the request body after the head: streamed to the upstream */
    req_consume(req, ret_area);
    u32 ib = R32(4);
    inbody_stream(ib, ret_area);
    u32 in = R32(4);
    copy(in, oout);
    in_drop(in);
    u32 t;
    int has = body_trailers(ib, &t);
    out_drop(oout);
    outbody_finish(obody, has, t, ret_area);
  }
  u32 p = fresp_subscribe(fut);
  poll_block(p);
  poll_drop(p);
  fresp_get(fut, ret_area);
  /* some(ok(ok(own))): 0, 8, 16; the response at 24 (or the error-code case at 24) */
  if (!(R8(0) == 1 && R8(8) == 0 && R8(16) == 0)) {
    u32 c = R8(24);
    fresp_drop(fut);
    error_response(outparam, c);
    return;
  }
  u32 iresp = R32(24);
  fresp_drop(fut);
  u32 status = iresp_status(iresp);
  char st[4] = {(char)('0' + status / 100), (char)('0' + status / 10 % 10), (char)('0' + status % 10), 0};
  u32 h = fields_new();
  append_z(h, "x-upstream-status", st);
  iresp_consume(iresp, ret_area);
  u32 ib = R32(4);
  inbody_stream(ib, ret_area);
  u32 in = R32(4);
  u32 out, body = respond(outparam, h, 200, &out);
  int failed = copy(in, out);
  in_drop(in);
  u32 t;
  int has = body_trailers(ib, &t);
  iresp_drop(iresp);
  if (failed) { /* the upstream's body broke off: so does ours */
    out_drop(out);
    outbody_drop(body);
    return;
  }
  finish(out, body, has, t);
}

__attribute__((export_name("wasi:http/incoming-handler@0.2.12#handle"))) void handle(u32 req, u32 outparam) {
  req_path(req, ret_area);
  const char *path = R8(0) ? (const char *)R32(4) : "";
  u32 n = R8(0) ? R32(8) : 0;
  if (starts(path, n, "/echo")) {
    route_echo(req, outparam, 0);
  } else if (equals(path, n, "/poll-echo")) {
    route_echo(req, outparam, 1);
  } else if (starts(path, n, "/gen/")) {
    route_gen(outparam, path + 5, n - 5);
  } else if (starts(path, n, "/cl/")) {
    route_cl(outparam, path + 4, n - 4);
  } else if (equals(path, n, "/hello")) {
    text_response(outparam, 200, "hello\n");
  } else if (equals(path, n, "/trailers")) {
    route_trailers(outparam);
  } else if (equals(path, n, "/count")) {
    static u32 count;
    char msg[] = "count 0000000000\n";
    u32 c = ++count;
    for (int i = 15; i >= 6; i--, c /= 10) msg[i] = (char)('0' + c % 10);
    u32 k = 6;
    while (k < 15 && msg[k] == '0') k++;
    memcpy(msg + 6, msg + k, 17 - k + 1);
    text_response(outparam, 200, msg);
  } else if (starts(path, n, "/stream/")) {
    const char *p = path + 8;
    u32 spins = number(&p, path + n);
    u32 out, body = respond(outparam, fields_new(), 200, &out);
    write_all(out, (const unsigned char *)"first\n", 6);
    for (volatile u32 i = 0; i < spins; i++) {
    }
    write_all(out, (const unsigned char *)"second\n", 7);
    finish(out, body, 0, 0);
  } else if (equals(path, n, "/spin")) {
    for (volatile u32 i = 0;; i++) {
    }
  } else if (equals(path, n, "/trap")) {
    __builtin_trap();
  } else if (equals(path, n, "/trap-mid")) {
    u32 out;
    respond(outparam, fields_new(), 200, &out);
    write_all(out, (const unsigned char *)"partial", 7);
    __builtin_trap();
  } else if (equals(path, n, "/error")) {
    static const char boom[] = "boom";
    /* err(internal-error(some("boom"))): case 38, option some, the string's pointer in the i64 slot */
    outparam_set(outparam, 1, 38, 1, (u64)(u32)boom, 4, 0, 0, 0);
  } else if (equals(path, n, "/none")) {
    /* no response */
  } else if (equals(path, n, "/unfinished")) {
    u32 out, body = respond(outparam, fields_new(), 200, &out);
    write_all(out, (const unsigned char *)"x", 1);
    out_drop(out);
    outbody_drop(body);
  } else if (equals(path, n, "/fields")) {
    route_fields(req, outparam);
  } else if (equals(path, n, "/fetch")) {
    route_fetch(req, outparam, 0);
  } else if (equals(path, n, "/relay")) {
    route_fetch(req, outparam, 1);
  } else {
    text_response(outparam, 404, "not found\n");
  }
  req_drop(req);
}

/* ---- the command ------------------------------------------------------------------------ */

static const char *env_var(const char *name, u32 *len) {
  get_environment(ret_area);
  u32 *v = (u32 *)R32(0), n = R32(4);
  for (u32 i = 0; i < n; i++, v += 4)
    if (equals((const char *)v[0], v[1], name)) { *len = v[3]; return (const char *)v[2]; }
  *len = 0;
  return 0;
}

static void say(u32 out, const char *what, u32 n) {
  char msg[16];
  u32 k = slen(what);
  memcpy(msg, what, k);
  msg[k] = (char)('0' + n / 100);
  msg[k + 1] = (char)('0' + n / 10 % 10);
  msg[k + 2] = (char)('0' + n % 10);
  msg[k + 3] = '\n';
  out_write_flush(out, msg, k + 4, ret_area);
}

__attribute__((export_name("wasi:cli/run@0.2.12#run"))) u32 run(void) {
  u32 al, pl;
  const char *auth = env_var("TARGET", &al), *path = env_var("TARGET_PATH", &pl);
  u32 out = get_stdout();
  u32 oreq = oreq_new(fields_new());
  if (auth) oreq_set_authority(oreq, 1, auth, al);
  if (path) oreq_set_path(oreq, 1, path, pl);
  http_send(oreq, 0, 0, ret_area);
  if (R8(0)) { say(out, "error ", R8(8)); return 1; }
  u32 fut = R32(8);
  u32 p = fresp_subscribe(fut);
  poll_block(p);
  poll_drop(p);
  fresp_get(fut, ret_area);
  if (!(R8(0) == 1 && R8(8) == 0 && R8(16) == 0)) { say(out, "error ", R8(24)); return 1; }
  u32 iresp = R32(24);
  fresp_drop(fut);
  u32 status = iresp_status(iresp);
  iresp_consume(iresp, ret_area);
  u32 ib = R32(4);
  inbody_stream(ib, ret_area);
  u32 in = R32(4);
  for (;;) {
    in_read(in, 65536, ret_area);
    if (R8(0)) break;
    u32 ptr = R32(4), n = R32(8);
    out_write_flush(out, (const void *)ptr, n, ret_area);
  }
  in_drop(in);
  if (status / 100 != 2) { say(out, "status ", status); return 1; }
  return 0;
}
