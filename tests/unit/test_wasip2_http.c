/*
 * test_wasip2_http.c — wasi:http through the server's C API (wasip2/http.h):
 * requests handed to wasi:http/incoming-handler components, each on a fresh
 * instance as `wrun serve` does, in both tiers, checking status, headers,
 * bodies (in memory and streamed, 0 B to 1 MiB), trailers both ways, traps
 * (a result value; the next request still works), error codes, missing and
 * unfinished responses, the header rules, and outgoing requests denied by
 * default and allowed per host/CIDR:port against a python3 http.server on
 * loopback and tests/component/http/upstream.py (a chunked echo with trailers
 * both ways), both started and stopped here.
 *
 * Guests: tests/component/http-handler.wasm (tests/component/http/handler.c,
 * written against the Canonical ABI) and http-js.wasm (app.js built by
 * componentize-js; it also imports wasi:filesystem, which this harness
 * serves with an empty set of preopens when the host does not).
 */
#include <errno.h>
#include <fcntl.h>
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <poll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/wait.h>
#include <netinet/in.h>
#include <time.h>
#include <pthread.h>
#include <unistd.h>
#include <cmocka.h>

#include "aot/aot.h"
#include "cinst/instance.h"
#include "common/file.h"
#include "wasip2/http.h"

/* ---- loading ------------------------------------------------------------------ */

/* Tiers to run each case in: the interpreter, and compiled code where this
 * build compiles every function for the host: x86-64 (AArch64 compiles only
 * what the IR lowers, and the JS app has functions it does not: docs/aot.md). */
static int ntiers(void) { return aot_host_arch() == AOT_ARCH_X86_64 && aot_target_host() ? 2 : 1; }

static wc_component *load(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/../component/%s", WRUN_TEST_DATA, name);
  rt_error err;
  rt_error_clear(&err);
  size_t len;
  uint8_t *bytes = rt_read_file(path, &len, &err);
  if (!bytes) fail_msg("%s: %s", path, err.message);
  wc_component *c = wc_component_load(bytes, len, &err);
  free(bytes);
  if (!c) fail_msg("%s: %s", name, err.message);
  return c;
}

/* ---- what the sink collects ------------------------------------------------------ */

typedef struct collected {
  int heads, ends, chunks;
  bool chunk_before_head, complete;
  unsigned status;
  char headers[4096];     /* "name: value\n" each */
  char trailers[1024];
  uint8_t *body;
  size_t len, cap;
} collected;

static void put_fields(char *dst, size_t cap, const wp2_http_field *f, size_t n) {
  dst[0] = 0;
  for (size_t i = 0; i < n; i++) {
    size_t l = strlen(dst);
    snprintf(dst + l, cap - l, "%.*s: %.*s\n", (int)f[i].name_len, f[i].name, (int)f[i].value_len,
             (const char *)f[i].value);
  }
}

static int sink_head(void *arg, unsigned status, const wp2_http_field *h, size_t n) {
  collected *c = arg;
  c->heads++;
  c->status = status;
  put_fields(c->headers, sizeof c->headers, h, n);
  return 0;
}
static int sink_body(void *arg, const uint8_t *d, size_t n) {
  collected *c = arg;
  if (!c->heads) c->chunk_before_head = true;
  c->chunks++;
  if (c->len + n > c->cap) {
    c->cap = (c->len + n) * 2;
    c->body = realloc(c->body, c->cap);
    assert_non_null(c->body);
  }
  memcpy(c->body + c->len, d, n);
  c->len += n;
  return 0;
}
static void sink_end(void *arg, const wp2_http_field *t, size_t n, bool complete) {
  collected *c = arg;
  c->ends++;
  c->complete = complete;
  put_fields(c->trailers, sizeof c->trailers, t, n);
}

/* The value of header `name` in c->headers ("" if absent). */
static const char *hdr(const collected *c, const char *name) {
  static char v[512];
  char pat[128];
  snprintf(pat, sizeof pat, "%s: ", name);
  const char *p = c->headers;
  v[0] = 0;
  while ((p = strstr(p, pat))) {
    if (p == c->headers || p[-1] == '\n') {
      const char *e = strchr(p, '\n');
      snprintf(v, sizeof v, "%.*s", (int)(e - p - strlen(pat)), p + strlen(pat));
      break;
    }
    p++;
  }
  return v;
}

/* ---- one request on a fresh instance --------------------------------------------------- */

typedef struct server {
  wc_component *c;
  bool aot;
  const char *allow[4];
  wasi_ctx *interrupt;    /* ends blocking waits (the --timeout watchdog's context) */
} server;

static bool serve(const server *sv, const wp2_http_request *req, collected *out, wp2_http_result *res) {
  memset(out, 0, sizeof *out);
  rt_config cfg = {.aot = sv->aot};
  wrun_store *s = engine_store_new(&cfg);
  assert_non_null(s);
  wc_host *host = wc_host_new();
  wp2_config pc = {.argc = 0, .interrupt = sv->interrupt};
  wp2_ctx *p = wp2_new(&pc);
  assert_true(p && host && wp2_add_to_host(p, host));
  for (int i = 0; i < 4 && sv->allow[i]; i++) {
    char err[200];
    if (!wp2_http_allow(p, sv->allow[i], err, sizeof err)) fail_msg("%s", err);
  }
  rt_error err;
  rt_error_clear(&err);
  wc_instance *inst = wc_instantiate(s, sv->c, host, &err);
  if (!inst) fail_msg("instantiate: %s", err.message);
  char name[128];
  assert_true(wp2_http_handler_name(sv->c, name, sizeof name));
  wp2_http_response_sink sink = {sink_head, sink_body, sink_end, out};
  bool ok = wp2_http_handle(p, inst, name, req, &sink, res);
  wc_instance_free(inst);
  wc_host_free(host);
  wp2_free(p);
  rt_store_free(s);
  return ok;
}

static wp2_http_request get(const char *path) {
  return (wp2_http_request){.method = "GET", .scheme = "http", .authority = "example.test:8080",
                            .path_with_query = path};
}

static void done(collected *c) { free(c->body); }

/* ---- the hand-written handler ------------------------------------------------------------ */

static void run_echo_headers(server *sv) {
  wp2_http_field h[] = {{"X-In", 4, (const uint8_t *)"hello", 5}, {"accept", 6, (const uint8_t *)"*/*", 3}};
  wp2_http_request r = get("/echo?q=1");
  r.headers = h;
  r.nheaders = 2;
  collected c;
  wp2_http_result res;
  assert_true(serve(sv, &r, &c, &res));
  assert_int_equal(res.outcome, WP2_HTTP_RESPONDED);
  assert_int_equal(c.status, 200);
  assert_string_equal(hdr(&c, "x-method"), "GET");
  assert_string_equal(hdr(&c, "x-path"), "/echo?q=1");
  assert_string_equal(hdr(&c, "x-authority"), "example.test:8080");
  assert_string_equal(hdr(&c, "x-scheme"), "HTTP");
  assert_string_equal(hdr(&c, "x-echo-x-in"), "hello"); /* names arrive lowercased */
  assert_string_equal(hdr(&c, "x-echo-accept"), "*/*");
  assert_int_equal(c.len, 0);
  assert_int_equal(c.heads, 1);
  assert_int_equal(c.ends, 1);
  assert_true(c.complete && res.body_complete);
  assert_string_equal(c.trailers, "");
  done(&c);
  /* another method, another scheme, no authority */
  r = (wp2_http_request){.method = "PATCH", .scheme = "https", .path_with_query = "/echo"};
  assert_true(serve(sv, &r, &c, &res));
  assert_string_equal(hdr(&c, "x-method"), "PATCH");
  assert_string_equal(hdr(&c, "x-scheme"), "HTTPS");
  assert_string_equal(hdr(&c, "x-authority"), "");
  done(&c);
  r.method = "PURGE";
  assert_true(serve(sv, &r, &c, &res));
  assert_string_equal(hdr(&c, "x-method"), "PURGE");
  done(&c);
}

static uint8_t *pattern(size_t n, unsigned seed) {
  uint8_t *b = malloc(n ? n : 1);
  assert_non_null(b);
  for (size_t i = 0; i < n; i++) b[i] = (uint8_t)((i * 7 + seed + (i >> 9)) & 0xff);
  return b;
}

static const size_t sizes[] = {0, 1, 65536, 1u << 20};

static void run_echo_bodies(server *sv) {
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    uint8_t *body = pattern(sizes[k], (unsigned)k);
    wp2_http_field t[] = {{"x-sum", 5, (const uint8_t *)"42", 2}};
    wp2_http_request r = get("/echo");
    r.method = "POST";
    r.body = body;
    r.body_len = sizes[k];
    r.trailers = t;
    r.ntrailers = 1;
    collected c;
    wp2_http_result res;
    assert_true(serve(sv, &r, &c, &res));
    assert_int_equal(c.status, 200);
    assert_int_equal(c.len, sizes[k]);
    assert_true(sizes[k] == 0 || memcmp(c.body, body, sizes[k]) == 0);
    assert_false(c.chunk_before_head);
    /* streamed: the 1 MiB body reaches the sink in pieces as the guest writes them */
    if (sizes[k] == (1u << 20)) assert_true(c.chunks >= 16);
    assert_true(c.complete);
    assert_string_equal(c.trailers, "x-sum: 42\n");
    done(&c);
    free(body);
  }
}

/* A streamed request body: pieces of 1000 bytes, each "arriving" only when
 * the host asks whether the source is ready (so every piece makes the guest's
 * read wait first, as bytes from a network would). */
typedef struct drip { const uint8_t *data; size_t len, off; bool avail; int waits; } drip;
static long drip_read(void *arg, uint8_t *buf, size_t cap) {
  drip *d = arg;
  if (!d->avail && d->off < d->len) return -EAGAIN;
  d->avail = false;
  size_t n = d->len - d->off;
  if (n > 1000) n = 1000;
  if (n > cap) n = cap;
  memcpy(buf, d->data + d->off, n);
  d->off += n;
  return (long)n;
}
static bool drip_ready(void *arg) {
  drip *d = arg;
  if (!d->avail) d->waits++;
  d->avail = true;
  return true;
}
static void drip_trailers(void *arg, const wp2_http_field **f, size_t *n) {
  (void)arg;
  static const wp2_http_field t[] = {{"x-stream-end", 12, (const uint8_t *)"yes", 3}, {"x-two", 5, (const uint8_t *)"2", 1}};
  *f = t;
  *n = 2;
}

static void run_streamed_request(server *sv) {
  for (size_t k = 0; k < 2 * sizeof sizes / sizeof sizes[0]; k++) {
    bool poll = k >= sizeof sizes / sizeof sizes[0]; /* then through subscribe + block + read */
    size_t sz = sizes[k % (sizeof sizes / sizeof sizes[0])];
    size_t n = sz > 65536 ? 200000 : sz; /* 1000-byte drips: keep it quick */
    uint8_t *body = pattern(n, 9);
    drip d = {body, n, 0, false, 0};
    wp2_http_request r = get(poll ? "/poll-echo" : "/echo");
    r.method = "PUT";
    r.source = (wp2_http_body_source){drip_read, drip_ready, -1, drip_trailers, &d};
    collected c;
    wp2_http_result res;
    assert_true(serve(sv, &r, &c, &res));
    assert_int_equal(c.len, n);
    assert_true(n == 0 || memcmp(c.body, body, n) == 0);
    assert_int_equal(d.off, n);
    if (n) assert_true(d.waits >= (int)(n / 1000)); /* the guest waited for every piece */
    assert_string_equal(c.trailers, "x-stream-end: yes\nx-two: 2\n");
    assert_true(c.complete);
    done(&c);
    free(body);
  }
}

static void run_generated(server *sv) {
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    char path[64];
    snprintf(path, sizeof path, "/gen/%zu", sizes[k]);
    wp2_http_request r = get(path);
    collected c;
    wp2_http_result res;
    assert_true(serve(sv, &r, &c, &res));
    assert_int_equal(c.status, 200);
    assert_int_equal(c.len, sizes[k]);
    for (size_t i = 0; i < c.len; i++)
      if (c.body[i] != 'a' + i % 26) fail_msg("byte %zu of %zu: %c", i, c.len, c.body[i]);
    assert_true(c.complete);
    done(&c);
  }
}

static void run_failures(server *sv) {
  collected c;
  wp2_http_result res;
  wp2_http_request r = get("/trap");
  assert_true(serve(sv, &r, &c, &res));
  assert_int_equal(res.outcome, WP2_HTTP_TRAP);
  assert_false(res.head_sent);
  assert_int_equal(c.heads + c.ends, 0);
  assert_non_null(strstr(res.message, "unreachable"));
  done(&c);

  r = get("/trap-mid"); /* responded, wrote, trapped: the body is reported unfinished */
  assert_true(serve(sv, &r, &c, &res));
  assert_int_equal(res.outcome, WP2_HTTP_TRAP);
  assert_true(res.head_sent);
  assert_int_equal(c.status, 200);
  assert_int_equal(c.len, 7);
  assert_memory_equal(c.body, "partial", 7);
  assert_int_equal(c.ends, 1);
  assert_false(c.complete);
  done(&c);

  r = get("/error");
  assert_true(serve(sv, &r, &c, &res));
  assert_int_equal(res.outcome, WP2_HTTP_ERROR_CODE);
  assert_string_equal(res.message, "internal-error(boom)");
  assert_int_equal(c.heads, 0);
  done(&c);

  r = get("/none");
  assert_true(serve(sv, &r, &c, &res));
  assert_int_equal(res.outcome, WP2_HTTP_NO_RESPONSE);
  assert_int_equal(c.heads + c.ends, 0);
  done(&c);

  r = get("/unfinished"); /* the body dropped without finish */
  assert_true(serve(sv, &r, &c, &res));
  assert_int_equal(res.outcome, WP2_HTTP_RESPONDED);
  assert_int_equal(c.len, 1);
  assert_int_equal(c.ends, 1);
  assert_false(c.complete);
  assert_false(res.body_complete);
  done(&c);

  /* content-length: a body of the declared size completes; a shorter or a
   * longer one is broken off (the server must not end it cleanly) */
  static const struct { const char *path; size_t got; bool complete; } cl[] = {
    {"/cl/5/5", 5, true}, {"/cl/0/0", 0, true}, {"/cl/10/5", 5, false}, {"/cl/3/5", 0, false},
    {"/cl/70000/70000", 70000, true}};
  for (size_t i = 0; i < sizeof cl / sizeof cl[0]; i++) {
    r = get(cl[i].path);
    assert_true(serve(sv, &r, &c, &res));
    assert_int_equal(res.outcome, WP2_HTTP_RESPONDED);
    assert_true(strstr(c.headers, "content-length: ") != NULL);
    if (c.len != cl[i].got || c.complete != cl[i].complete) fail_msg("%s: %zu bytes, complete %d", cl[i].path, c.len, c.complete);
    assert_int_equal(c.ends, 1);
    done(&c);
  }

  r = get("/nowhere"); /* after all that, requests are still answered */
  assert_true(serve(sv, &r, &c, &res));
  assert_int_equal(c.status, 404);
  assert_int_equal(c.len, 10);
  assert_memory_equal(c.body, "not found\n", 10);
  done(&c);
}

static void run_fields(server *sv) {
  collected c;
  wp2_http_result res;
  wp2_http_request r = get("/fields");
  assert_true(serve(sv, &r, &c, &res));
  assert_int_equal(c.status, 200);
  /* Connection forbidden, "bad name" and "a\nb" invalid, X-Upper ok,
   * request headers immutable, from-list with Host forbidden, set ok, get
   * case-insensitively two values, names lowercased */
  const char *want = "forbidden invalid invalid ok immutable forbidden ok two lower ";
  assert_int_equal(c.len, strlen(want));
  assert_memory_equal(c.body, want, strlen(want));
  done(&c);
}

/* ---- outgoing requests against python3 http.server ------------------------------------------- */

static int free_port(void) {
  int s = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t l = sizeof a;
  assert_int_equal(bind(s, (struct sockaddr *)&a, sizeof a), 0);
  assert_int_equal(getsockname(s, (struct sockaddr *)&a, &l), 0);
  close(s);
  return ntohs(a.sin_port);
}

/* Starts `python3 -m http.server PORT` in dir; waits (at most 10 s) until it accepts. */
static pid_t start_python(const char *dir, int port) {
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    char ps[16];
    snprintf(ps, sizeof ps, "%d", port);
    if (chdir(dir) != 0) _exit(127);
    int null = open("/dev/null", O_WRONLY);
    dup2(null, 1);
    dup2(null, 2);
    execlp("python3", "python3", "-m", "http.server", "--bind", "127.0.0.1", ps, (char *)NULL);
    _exit(127);
  }
  for (int i = 0; i < 200; i++) {
    int s = socket(AF_INET, SOCK_STREAM, 0);
    struct sockaddr_in a = {.sin_family = AF_INET, .sin_port = htons((uint16_t)port),
                            .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
    bool up = connect(s, (struct sockaddr *)&a, sizeof a) == 0;
    close(s);
    if (up) return pid;
    int st;
    if (waitpid(pid, &st, WNOHANG) == pid) return -1; /* python3 missing or failed */
    usleep(50000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
  return -1;
}

static void fetch(server *sv, const char *target, const char *path, collected *c, wp2_http_result *res) {
  wp2_http_field h[] = {{"x-target", 8, (const uint8_t *)target, strlen(target)},
                        {"x-target-path", 13, (const uint8_t *)path, strlen(path)}};
  wp2_http_request r = get("/fetch");
  r.headers = h;
  r.nheaders = 2;
  assert_true(serve(sv, &r, c, res));
}

static void run_outgoing(server *sv) {
  char dir[] = "/tmp/wrun-http-XXXXXX";
  assert_non_null(mkdtemp(dir));
  char file[600];
  snprintf(file, sizeof file, "%s/data.bin", dir);
  size_t n = 300000;
  uint8_t *data = pattern(n, 3);
  FILE *f = fopen(file, "wb");
  assert_non_null(f);
  assert_int_equal(fwrite(data, 1, n, f), n);
  fclose(f);
  int port = free_port();
  pid_t py = start_python(dir, port);
  if (py < 0) fail_msg("could not start python3 -m http.server");
  char target[64], other[64];
  snprintf(target, sizeof target, "127.0.0.1:%d", port);
  snprintf(other, sizeof other, "localhost:%d", port);
  collected c;
  wp2_http_result res;

  sv->allow[0] = NULL; /* denied by default */
  fetch(sv, target, "/data.bin", &c, &res);
  assert_int_equal(c.status, 502);
  assert_memory_equal(c.body, "error 15", 8); /* HTTP-request-denied */
  done(&c);

  char spec[64];
  snprintf(spec, sizeof spec, "127.0.0.1:%d", port + 1 > 65535 ? 1 : port + 1); /* another port only */
  sv->allow[0] = spec;
  fetch(sv, target, "/data.bin", &c, &res);
  assert_memory_equal(c.body, "error 15", 8);
  done(&c);

  sv->allow[0] = "127.0.0.0/8"; /* a range, any port */
  fetch(sv, target, "/data.bin", &c, &res);
  assert_int_equal(c.status, 200);
  assert_string_equal(hdr(&c, "x-upstream-status"), "200");
  assert_int_equal(c.len, n);
  assert_memory_equal(c.body, data, n);
  done(&c);

  { /* HEAD: the response says content-length but has no body */
    wp2_http_field h[] = {{"x-target", 8, (const uint8_t *)target, strlen(target)},
                          {"x-target-path", 13, (const uint8_t *)"/data.bin", 9},
                          {"x-head", 6, (const uint8_t *)"1", 1}};
    wp2_http_request r = get("/fetch");
    r.headers = h;
    r.nheaders = 3;
    assert_true(serve(sv, &r, &c, &res));
    assert_int_equal(c.status, 200);
    assert_string_equal(hdr(&c, "x-upstream-status"), "200");
    assert_int_equal(c.len, 0);
    assert_true(c.complete);
    done(&c);
  }

  snprintf(spec, sizeof spec, "localhost:%d", port); /* by name and port */
  sv->allow[0] = spec;
  fetch(sv, other, "/missing", &c, &res);
  assert_int_equal(c.status, 200);
  assert_string_equal(hdr(&c, "x-upstream-status"), "404");
  done(&c);
  fetch(sv, target, "/data.bin", &c, &res); /* the name does not allow the address */
  assert_memory_equal(c.body, "error 15", 8);
  done(&c);

  kill(py, SIGTERM);
  waitpid(py, NULL, 0);
  sv->allow[0] = "127.0.0.1"; /* allowed, nothing listening any more */
  fetch(sv, target, "/data.bin", &c, &res);
  assert_int_equal(c.status, 502);
  assert_memory_equal(c.body, "error 06", 8); /* connection-refused */
  done(&c);
  sv->allow[0] = NULL;

  unlink(file);
  rmdir(dir);
  free(data);
}

/* Starts tests/component/http/upstream.py; its port in *port, its stdin (closing
 * it stops the server) in *ctl. */
static pid_t start_upstream(int *port, int *ctl) {
  int in[2], out[2];
  assert_int_equal(pipe(in), 0);
  assert_int_equal(pipe(out), 0);
  pid_t pid = fork();
  assert_true(pid >= 0);
  if (pid == 0) {
    dup2(in[0], 0);
    dup2(out[1], 1);
    close(in[1]);
    close(out[0]);
    char script[600];
    snprintf(script, sizeof script, "%s/../component/http/upstream.py", WRUN_TEST_DATA);
    execlp("python3", "python3", script, (char *)NULL);
    _exit(127);
  }
  close(in[0]);
  close(out[1]);
  char line[32] = {0};
  size_t n = 0;
  struct pollfd pf = {.fd = out[0], .events = POLLIN};
  while (n < sizeof line - 1 && !strchr(line, '\n') && poll(&pf, 1, 10000) > 0) {
    ssize_t r = read(out[0], line + n, sizeof line - 1 - n);
    if (r <= 0) break;
    n += (size_t)r;
  }
  close(out[0]);
  *port = atoi(line);
  *ctl = in[1];
  if (*port <= 0) fail_msg("upstream.py did not start");
  return pid;
}

static void stop_child(pid_t pid, int ctl) {
  if (ctl >= 0) close(ctl);
  for (int i = 0; i < 100; i++) { /* at most 5 s, then SIGKILL */
    if (waitpid(pid, NULL, WNOHANG) == pid) return;
    usleep(50000);
  }
  kill(pid, SIGKILL);
  waitpid(pid, NULL, 0);
}

static void run_relay(server *sv) {
  int port, ctl;
  pid_t up = start_upstream(&port, &ctl);
  char target[64], spec[64];
  snprintf(target, sizeof target, "127.0.0.1:%d", port);
  snprintf(spec, sizeof spec, "[::1]:%d", port);
  sv->allow[0] = spec; /* another address: denied */
  sv->allow[1] = NULL;
  collected c;
  wp2_http_result res;
  wp2_http_field t[] = {{"x-t1", 4, (const uint8_t *)"a", 1}, {"x-t2", 4, (const uint8_t *)"b c", 3}};
  wp2_http_request r;
  for (size_t k = 0; k < sizeof sizes / sizeof sizes[0]; k++) {
    uint8_t *body = pattern(sizes[k], 5);
    wp2_http_field h[] = {{"x-target", 8, (const uint8_t *)target, strlen(target)},
                          {"x-target-path", 13, (const uint8_t *)"/up", 3}};
    r = get("/relay");
    r.method = "POST";
    r.headers = h;
    r.nheaders = 2;
    r.body = body;
    r.body_len = sizes[k];
    r.trailers = t;
    r.ntrailers = 2;
    if (k == 0) { /* denied first */
      assert_true(serve(sv, &r, &c, &res));
      assert_int_equal(c.status, 502);
      assert_memory_equal(c.body, "error 15", 8);
      done(&c);
      snprintf(spec, sizeof spec, "127.0.0.1:%d", port);
    }
    assert_true(serve(sv, &r, &c, &res));
    assert_int_equal(c.status, 200);
    assert_string_equal(hdr(&c, "x-upstream-status"), "201");
    assert_int_equal(c.len, sizes[k]);
    assert_true(sizes[k] == 0 || memcmp(c.body, body, sizes[k]) == 0);
    /* the request went out chunked with its trailers; the upstream's trailers came back */
    assert_string_equal(c.trailers, "x-upstream-trailer: ok\nx-got-trailers: x-t1=a;x-t2=b c\n");
    assert_true(c.complete);
    done(&c);
    free(body);
  }
  /* first-byte-timeout: /slow answers after 3 s, the guest allows 300 ms */
  wp2_http_field h[] = {{"x-target", 8, (const uint8_t *)target, strlen(target)},
                        {"x-target-path", 13, (const uint8_t *)"/slow", 5},
                        {"x-first-byte-ms", 15, (const uint8_t *)"300", 3}};
  r = get("/relay");
  r.headers = h;
  r.nheaders = 3;
  uint64_t t0 = (uint64_t)time(NULL);
  assert_true(serve(sv, &r, &c, &res));
  assert_int_equal(c.status, 502);
  assert_memory_equal(c.body, "error 33", 8); /* HTTP-response-timeout */
  assert_true((uint64_t)time(NULL) - t0 < 3);
  done(&c);
  sv->allow[0] = NULL;
  stop_child(up, ctl);
}

static void test_handler(void **state) {
  (void)state;
  for (int aot = 0; aot < ntiers(); aot++) {
    server sv = {.c = load("http-handler.wasm"), .aot = aot};
    run_echo_headers(&sv);
    run_echo_bodies(&sv);
    run_streamed_request(&sv);
    run_generated(&sv);
    run_failures(&sv);
    run_fields(&sv);
    run_outgoing(&sv);
    run_relay(&sv);
    wc_component_free(sv.c);
  }
}

/* ---- --timeout: a request body that never comes ----------------------------------------- */

static long never_read(void *arg, uint8_t *buf, size_t cap) { (void)arg, (void)buf, (void)cap; return -EAGAIN; }
static bool never_ready(void *arg) { (void)arg; return false; }

static void *interrupt_later(void *arg) {
  usleep(300000);
  wasi_interrupt(arg);
  return NULL;
}

static void test_timeout(void **state) {
  (void)state;
  wc_component *c = load("http-handler.wasm");
  for (int aot = 0; aot < ntiers(); aot++) {
    char *argv[] = {"t", NULL};
    wasi_config wc = {.argc = 1, .argv = argv, .interruptible = true};
    rt_error err;
    wasi_ctx *w = wasi_new(&wc, &err);
    assert_non_null(w);
    server sv = {.c = c, .aot = aot, .interrupt = w};
    wp2_http_request r = get("/echo");
    r.method = "POST";
    r.source = (wp2_http_body_source){never_read, never_ready, -1, NULL, NULL};
    pthread_t th;
    assert_int_equal(pthread_create(&th, NULL, interrupt_later, w), 0);
    collected col;
    wp2_http_result res;
    time_t t0 = time(NULL);
    assert_true(serve(&sv, &r, &col, &res));
    pthread_join(th, NULL);
    assert_true(time(NULL) - t0 < 5);
    assert_int_equal(res.outcome, WP2_HTTP_TRAP);
    assert_string_equal(res.message, "wall-clock timeout");
    assert_true(res.head_sent); /* echo responds before it reads the body */
    assert_int_equal(col.ends, 1);
    assert_false(col.complete); /* so the server aborts the response */
    done(&col);
    wasi_free(w);
  }
  wc_component_free(c);
}

/* ---- the JavaScript handler ----------------------------------------------------------------- */

static void test_js(void **state) {
  (void)state;
  wc_component *c = load("http-js.wasm");
  for (int aot = 0; aot < ntiers(); aot++) {
    server sv = {.c = c, .aot = aot};
    collected col;
    wp2_http_result res;
    wp2_http_field h[] = {{"x-in", 4, (const uint8_t *)"from-test", 9}};
    wp2_http_request r = get("/hello");
    r.headers = h;
    r.nheaders = 1;
    assert_true(serve(&sv, &r, &col, &res));
    if (res.outcome != WP2_HTTP_RESPONDED) fail_msg("outcome %d: %s", res.outcome, res.message);
    assert_int_equal(col.status, 200);
    assert_string_equal(hdr(&col, "x-js"), "yes");
    assert_string_equal(hdr(&col, "x-got"), "from-test");
    assert_int_equal(col.len, strlen("js GET /hello 0\n"));
    assert_memory_equal(col.body, "js GET /hello 0\n", col.len);
    assert_true(col.complete);
    done(&col);

    uint8_t *body = pattern(100000, 1);
    r = get("/teapot");
    r.method = "POST";
    r.body = body;
    r.body_len = 100000;
    assert_true(serve(&sv, &r, &col, &res));
    assert_int_equal(col.status, 418);
    assert_int_equal(col.len, strlen("js POST /teapot 100000\n"));
    assert_memory_equal(col.body, "js POST /teapot 100000\n", col.len);
    done(&col);
    free(body);
  }
  wc_component_free(c);
}

/* A componentize-js instance answers one request: the second on the same
 * instance gets no response (StarlingMonkey reports respondWith twice); and
 * it needs a scheme and an authority to build the request's URL. */
static void test_js_reuse(void **state) {
  (void)state;
  wc_component *c = load("http-js.wasm");
  rt_config cfg = {0};
  wrun_store *s = engine_store_new(&cfg);
  wc_host *host = wc_host_new();
  wp2_config pc = {0};
  wp2_ctx *p = wp2_new(&pc);
  assert_true(s && host && p && wp2_add_to_host(p, host));
  rt_error err;
  wc_instance *inst = wc_instantiate(s, c, host, &err);
  assert_non_null(inst);
  char name[128];
  assert_true(wp2_http_handler_name(c, name, sizeof name));
  for (int i = 0; i < 2; i++) {
    collected col = {0};
    wp2_http_response_sink sink = {sink_head, sink_body, sink_end, &col};
    wp2_http_result res;
    wp2_http_request r = get("/again");
    assert_true(wp2_http_handle(p, inst, name, &r, &sink, &res));
    assert_int_equal(res.outcome, i == 0 ? WP2_HTTP_RESPONDED : WP2_HTTP_NO_RESPONSE);
    assert_int_equal(col.heads, i == 0);
    done(&col);
  }
  wc_instance_free(inst);
  wc_host_free(host);
  wp2_free(p);
  rt_store_free(s);

  server sv = {.c = c};
  wp2_http_request r = {.method = "GET", .path_with_query = "/no-authority"};
  collected col;
  wp2_http_result res;
  assert_true(serve(&sv, &r, &col, &res));
  assert_int_equal(res.outcome, WP2_HTTP_TRAP);
  assert_int_equal(col.heads, 0);
  done(&col);
  wc_component_free(c);
}

/* ---- the allow-list syntax --------------------------------------------------------------------- */

static void test_allow_syntax(void **state) {
  (void)state;
  const char *good[] = {"*", "localhost", "localhost:8080", "example.com:1", "127.0.0.1", "127.0.0.1:80",
                        "10.0.0.0/8", "10.0.0.0/8:443", "::1", "[::1]:8080", "[fd00::/8]:80", "fd00::/8"};
  const char *bad[] = {"", ":80", "host:", "host:0", "host:65536", "host:x", "10.0.0.0/33", "[::1", "[::1]x",
                       "a b", "ho_st", "[10.0.0.1]:80", "*.example.com"};
  char err[200];
  for (size_t i = 0; i < sizeof good / sizeof good[0]; i++)
    if (!wp2_http_allow_check(good[i], err, sizeof err)) fail_msg("%s: %s", good[i], err);
  for (size_t i = 0; i < sizeof bad / sizeof bad[0]; i++) {
    err[0] = 0;
    if (wp2_http_allow_check(bad[i], err, sizeof err)) fail_msg("'%s' accepted", bad[i]);
    assert_non_null(strstr(err, "--allow-http"));
    assert_null(strchr(err, '\n'));
  }
}

int main(void) {
  signal(SIGPIPE, SIG_IGN);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_allow_syntax),
    cmocka_unit_test(test_handler),
    cmocka_unit_test(test_timeout),
    cmocka_unit_test(test_js),
    cmocka_unit_test(test_js_reuse),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
