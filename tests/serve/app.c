/*
 * app.c — an http-wasm guest for the `wrun serve` tests, one behaviour per
 * URI prefix (serve.sh requests each):
 *   /hello            200 "hello\n"
 *   /echo             the request body back (buffered: content-length), with
 *                     x-method and x-body-len
 *   /size/N           N bytes of a pattern, written 4 KiB at a time (streamed)
 *   /stream/N         "first\n", N iterations of busy work, "second\n"
 *   /ticks/N          "tick 1\n", N iterations, "tick 2\n", N iterations,
 *                     "tick 3\n" (each write must reach the client as made)
 *   /info             method, URI, protocol, source address, request header
 *                     names and the values of x-test, one per line
 *   /config           the guest configuration (get_config)
 *   /status/N         status N, body "status N\n"
 *   /log              logs "hello from the guest" at info level
 *   /trap             traps (unreachable)
 *   /loop             never returns (for --timeout and --fuel)
 *   /grow             grows memory by 64 MiB (traps if that fails)
 *   /count            a global counter: 1 on a fresh instance, every time
 *   /oob              stores past the end of memory (an out-of-bounds trap)
 *   /bad/ptr          get_uri into a buffer past the end of memory (traps)
 *   /bad/kind         get_header_names of header kind 9 (traps)
 *   /bad/crlf         a response header value holding CR LF (traps)
 *   /bad/trailer      sets a request trailer without enabling the trailers
 *                     feature (traps)
 *   /trailers/stream  enables trailers; body "streamed body\n" (streamed),
 *                     then the response trailers x-checksum: 9f86d0 and
 *                     x-multi: one, x-multi: two (set + add)
 *   /trailers/buffer  the same with buffer_response; body "buffered body\n"
 *   /trailers/info    body: what enable_features(trailers) returned and the
 *                     request trailer names (count and bytes)
 *   /next             next handler (upstream or 404), handle_response adds
 *                     x-saw-status
 *   /proxy/REST       strips /proxy, adds request header x-from-guest, goes to
 *                     the next handler with ctx 7; handle_response adds
 *                     x-ctx and x-saw-status, and for REST containing
 *                     "rewrite" replaces the body with "rewritten\n"
 */
#include "http_handler.h"

static char uri[4096];
static int32_t uri_len;
static char buf[65536];
static int counter;

static uint32_t parse_u(const char *s, int32_t len) {
  uint32_t v = 0;
  for (int32_t i = 0; i < len && s[i] >= '0' && s[i] <= '9'; i++) v = v * 10 + (uint32_t)(s[i] - '0');
  return v;
}

static void echo(void) {
  enable_features(FEATURE_BUFFER_RESPONSE);
  char m[16];
  int32_t ml = get_method(m, sizeof m);
  set_header_value(KIND_RESP, "x-method", 8, m, ml <= (int32_t)sizeof m ? ml : 0);
  uint64_t total = 0;
  for (;;) {
    int64_t r = read_body(KIND_REQ, buf, sizeof buf);
    int32_t n = (int32_t)(uint32_t)r;
    write_body(KIND_RESP, buf, n);
    total += (uint32_t)n;
    if (r >> 32) break;
  }
  char num[24];
  char *e = put_u(num, total);
  set_header_value(KIND_RESP, "x-body-len", 10, num, (int32_t)(e - num));
}

static void size(uint32_t n) {
  for (int32_t i = 0; i < 4096; i++) buf[i] = (char)('a' + i % 26);
  while (n) {
    uint32_t k = n < 4096 ? n : 4096;
    write_body(KIND_RESP, buf, (int32_t)k);
    n -= k;
  }
}

static void set_trailers(void) {
  SET_HEADER(KIND_RESP_TRAILERS, "x-checksum", "9f86d0");
  SET_HEADER(KIND_RESP_TRAILERS, "x-multi", "one");
  add_header_value(KIND_RESP_TRAILERS, "x-multi", 7, "two", 3);
}

static void trailers(const char *which, int32_t len) {
  if (str_prefix(which, len, "stream")) {
    enable_features(FEATURE_TRAILERS);
    WRITE_LIT(KIND_RESP, "streamed body\n");
    set_trailers();
  } else if (str_prefix(which, len, "buffer")) {
    enable_features(FEATURE_BUFFER_RESPONSE | FEATURE_TRAILERS);
    set_trailers();
    WRITE_LIT(KIND_RESP, "buffered body\n");
  } else {
    int32_t f = enable_features(FEATURE_TRAILERS);
    int64_t names = get_header_names(KIND_REQ_TRAILERS, buf, sizeof buf);
    char *e = put_u(put_s(buf, "features ", 9), (uint64_t)f);
    e = put_u(put_s(e, " request-trailers ", 18), (uint64_t)(names >> 32));
    e = put_u(put_s(e, " ", 1), (uint64_t)(uint32_t)names);
    *e++ = '\n';
    write_body(KIND_RESP, buf, (int32_t)(e - buf));
  }
}

static void info(void) {
  char *p = buf;
  p += get_method(p, 64);
  *p++ = '\n';
  p += get_uri(p, 4096);
  *p++ = '\n';
  p += get_protocol_version(p, 64);
  *p++ = '\n';
  p += get_source_addr(p, 128);
  *p++ = '\n';
  /* names: NUL-terminated; the length probe first (limit 0 writes nothing) */
  int64_t cl = get_header_names(KIND_REQ, p, 0);
  int32_t len = (int32_t)(uint32_t)cl, count = (int32_t)(cl >> 32);
  get_header_names(KIND_REQ, p, len);
  for (int32_t i = 0; i < len; i++)
    if (p[i] == 0) p[i] = ' ';
  p += len;
  p = put_s(p, "count=", 6);
  p = put_u(p, (uint64_t)count);
  *p++ = '\n';
  cl = get_header_values(KIND_REQ, "X-Test", 6, p, 8192);
  len = (int32_t)(uint32_t)cl;
  for (int32_t i = 0; i < len; i++)
    if (p[i] == 0) p[i] = '\n';
  p += len;
  enable_features(FEATURE_BUFFER_RESPONSE);
  write_body(KIND_RESP, buf, (int32_t)(p - buf));
}

__attribute__((export_name("handle_request"))) int64_t handle_request(void) {
  uri_len = get_uri(uri, sizeof uri);
  if (uri_len > (int32_t)sizeof uri) uri_len = 0;
  const char *u = uri;
  if (str_prefix(u, uri_len, "/hello")) {
    SET_HEADER(KIND_RESP, "content-type", "text/plain");
    WRITE_LIT(KIND_RESP, "hello\n");
  } else if (str_prefix(u, uri_len, "/echo")) {
    echo();
  } else if (str_prefix(u, uri_len, "/size/")) {
    size(parse_u(u + 6, uri_len - 6));
  } else if (str_prefix(u, uri_len, "/stream/")) {
    uint32_t n = parse_u(u + 8, uri_len - 8);
    WRITE_LIT(KIND_RESP, "first\n");
    volatile uint32_t sink = 0;
    for (uint32_t i = 0; i < n; i++) sink += i;
    (void)sink;
    WRITE_LIT(KIND_RESP, "second\n");
  } else if (str_prefix(u, uri_len, "/ticks/")) {
    uint32_t n = parse_u(u + 7, uri_len - 7);
    volatile uint32_t sink = 0;
    WRITE_LIT(KIND_RESP, "tick 1\n");
    for (uint32_t i = 0; i < n; i++) sink += i;
    WRITE_LIT(KIND_RESP, "tick 2\n");
    for (uint32_t i = 0; i < n; i++) sink += i;
    WRITE_LIT(KIND_RESP, "tick 3\n");
    (void)sink;
  } else if (str_prefix(u, uri_len, "/trailers/")) {
    trailers(u + 10, uri_len - 10);
  } else if (str_prefix(u, uri_len, "/info")) {
    info();
  } else if (str_prefix(u, uri_len, "/config")) {
    int32_t n = get_config(buf, sizeof buf);
    write_body(KIND_RESP, buf, n <= (int32_t)sizeof buf ? n : 0);
  } else if (str_prefix(u, uri_len, "/status/")) {
    uint32_t st = parse_u(u + 8, uri_len - 8);
    set_status_code((int32_t)st);
    char *e = put_u(put_s(buf, "status ", 7), st);
    *e++ = '\n';
    write_body(KIND_RESP, buf, (int32_t)(e - buf));
  } else if (str_prefix(u, uri_len, "/log")) {
    static const char msg[] = "hello from the guest";
    if (log_enabled(0)) hh_log(0, msg, sizeof msg - 1);
    WRITE_LIT(KIND_RESP, "logged\n");
  } else if (str_prefix(u, uri_len, "/trap")) {
    __builtin_trap();
  } else if (str_prefix(u, uri_len, "/loop")) {
    volatile int spin = 1;
    while (spin) {}
  } else if (str_prefix(u, uri_len, "/grow")) {
    if (__builtin_wasm_memory_grow(0, 1024) == (__SIZE_TYPE__)-1) __builtin_trap();
    WRITE_LIT(KIND_RESP, "grew\n");
  } else if (str_prefix(u, uri_len, "/oob")) {
    *(volatile int32_t *)(uintptr_t)(__builtin_wasm_memory_size(0) * 65536 + 16) = 1;
  } else if (str_prefix(u, uri_len, "/bad/ptr")) {
    get_uri((void *)(uintptr_t)(__builtin_wasm_memory_size(0) * 65536 - 4), 100);
  } else if (str_prefix(u, uri_len, "/bad/kind")) {
    get_header_names(9, buf, sizeof buf);
  } else if (str_prefix(u, uri_len, "/bad/crlf")) {
    SET_HEADER(KIND_RESP, "x-evil", "a\r\nset-cookie: b");
  } else if (str_prefix(u, uri_len, "/bad/trailer")) {
    SET_HEADER(KIND_REQ_TRAILERS, "x-t", "1");
  } else if (str_prefix(u, uri_len, "/count")) {
    char *e = put_u(buf, (uint64_t)++counter);
    *e++ = '\n';
    write_body(KIND_RESP, buf, (int32_t)(e - buf));
  } else if (str_prefix(u, uri_len, "/next")) {
    return 1;
  } else if (str_prefix(u, uri_len, "/proxy/")) {
    set_uri(u + 6, uri_len - 6);
    SET_HEADER(KIND_REQ, "x-from-guest", "1");
    enable_features(FEATURE_BUFFER_RESPONSE);
    return (int64_t)7 << 32 | 1;
  } else {
    set_status_code(404);
    WRITE_LIT(KIND_RESP, "no such route\n");
  }
  return 0;
}

static int contains(const char *s, int32_t len, const char *w) {
  for (int32_t i = 0; i < len; i++)
    if (str_prefix(s + i, len - i, w)) return 1;
  return 0;
}

__attribute__((export_name("handle_response"))) void handle_response(int32_t ctx, int32_t is_error) {
  char *e = put_u(buf, (uint64_t)get_status_code());
  set_header_value(KIND_RESP, "x-saw-status", 12, buf, (int32_t)(e - buf));
  e = put_u(buf, (uint64_t)ctx);
  set_header_value(KIND_RESP, "x-ctx", 5, buf, (int32_t)(e - buf));
  if (is_error) SET_HEADER(KIND_RESP, "x-upstream-error", "1");
  if (contains(uri, uri_len, "rewrite")) WRITE_LIT(KIND_RESP, "rewritten\n");
}
