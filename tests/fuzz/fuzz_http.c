/*
 * fuzz_http.c — libFuzzer over what wasi:http's client does with a server's
 * bytes: the input is sent as the response of an upstream on loopback to a
 * request the test handler (tests/component/http-handler.wasm, route /fetch)
 * makes through wasi:http/outgoing-handler; wrun parses it (http_parser),
 * buffers the head, body and trailers, and the guest relays the result.
 * Whatever the bytes, the call must end (the upstream closes after them)
 * with a response — the relayed one or the guest's 502 for an error code —
 * and never trap or crash.
 */
#include <netinet/in.h>
#include <pthread.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "common/file.h"
#include "wasip2/http.h"

static wc_component *comp;
static int listener = -1, port;
static char handler[128];

typedef struct upstream { const uint8_t *data; size_t size; } upstream;

/* Accepts one connection, reads the request head, sends the input, closes. */
static void *serve_once(void *arg) {
  upstream *u = arg;
  int c = accept(listener, NULL, NULL);
  if (c < 0) return NULL;
  char buf[4096];
  size_t got = 0;
  while (got < sizeof buf - 1) {
    ssize_t r = recv(c, buf + got, sizeof buf - 1 - got, 0);
    if (r <= 0) break;
    got += (size_t)r;
    buf[got] = 0;
    if (strstr(buf, "\r\n\r\n")) break;
  }
  for (size_t off = 0; off < u->size;) {
    ssize_t w = send(c, u->data + off, u->size - off, MSG_NOSIGNAL);
    if (w <= 0) break;
    off += (size_t)w;
  }
  shutdown(c, SHUT_WR);
  while (recv(c, buf, sizeof buf, 0) > 0) {}
  close(c);
  return NULL;
}

static int on_head(void *a, unsigned s, const wp2_http_field *f, size_t n) { (void)a, (void)s, (void)f, (void)n; return 0; }
static int on_body(void *a, const uint8_t *d, size_t n) { (void)d; *(size_t *)a += n; return 0; }
static void on_end(void *a, const wp2_http_field *t, size_t n, bool c) { (void)a, (void)t, (void)n, (void)c; }

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc, (void)argv;
  rt_error err;
  rt_error_clear(&err);
  size_t len;
  uint8_t *bytes = rt_read_file(WRUN_FUZZ_HTTP_COMPONENT, &len, &err);
  if (!bytes || !(comp = wc_component_load(bytes, len, &err))) {
    fprintf(stderr, "fuzz_http: %s\n", err.message);
    abort();
  }
  free(bytes);
  if (!wp2_http_handler_name(comp, handler, sizeof handler)) abort();
  listener = socket(AF_INET, SOCK_STREAM, 0);
  struct sockaddr_in a = {.sin_family = AF_INET, .sin_addr.s_addr = htonl(INADDR_LOOPBACK)};
  socklen_t l = sizeof a;
  if (bind(listener, (struct sockaddr *)&a, sizeof a) || listen(listener, 4) ||
      getsockname(listener, (struct sockaddr *)&a, &l))
    abort();
  port = ntohs(a.sin_port);
  return 0;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  upstream u = {data, size};
  pthread_t th;
  if (pthread_create(&th, NULL, serve_once, &u)) abort();
  rt_config cfg = {0};
  wrun_store *s = engine_store_new(&cfg);
  wc_host *host = wc_host_new();
  wp2_config pc = {0};
  wp2_ctx *p = wp2_new(&pc);
  char err[200];
  if (!s || !host || !p || !wp2_add_to_host(p, host) || !wp2_http_allow(p, "127.0.0.1", err, sizeof err)) abort();
  rt_error werr;
  wc_instance *inst = wc_instantiate(s, comp, host, &werr);
  if (!inst) abort();
  char target[32];
  snprintf(target, sizeof target, "127.0.0.1:%d", port);
  wp2_http_field h[] = {{"x-target", 8, (const uint8_t *)target, strlen(target)},
                        {"x-target-path", 13, (const uint8_t *)"/f", 2}};
  wp2_http_request r = {.method = "GET", .scheme = "http", .authority = "fuzz", .path_with_query = "/fetch",
                        .headers = h, .nheaders = 2};
  size_t body = 0;
  wp2_http_response_sink sink = {on_head, on_body, on_end, &body};
  wp2_http_result res;
  if (!wp2_http_handle(p, inst, handler, &r, &sink, &res)) abort();
  pthread_join(th, NULL);
  /* the guest always answers: the upstream's response or 502 "error N" */
  if (res.outcome != WP2_HTTP_RESPONDED) {
    fprintf(stderr, "fuzz_http: outcome %d: %s\n", res.outcome, res.message);
    abort();
  }
  if (res.status == 200 && body > size) abort(); /* more body than the upstream sent */
  wc_instance_free(inst);
  wc_host_free(host);
  wp2_free(p);
  rt_store_free(s);
  return 0;
}
