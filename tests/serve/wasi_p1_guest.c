/*
 * wasi_p1_guest.c — an http-wasm guest written by hand (no libc) that also
 * imports wasi_snapshot_preview1, as TinyGo guests do: fd_write, fd_close,
 * random_get and clock_time_get. `wrun serve` gives such guests their
 * instances from a template with a per-worker WASI context that is reset
 * for every request (tests/serve/wasi_template.sh). Each request answers
 *   n=<calls> stderr=<errno> random=<ok|same|err> clock=<ok|err> uri=<uri>
 * where n counts the requests this instance saw (1 with a fresh instance),
 * stderr is the errno of an fd_write of one line to descriptor 2, random says
 * whether random_get gave 16 bytes that are not all zero, and clock whether
 * the monotonic clock is non-zero. Routes that leave state behind:
 *   /close   closes descriptor 2 after the answer is written (the next
 *            request's fd_write to it must succeed again)
 *   /trap    counts, then traps (500)
 */
#include "http_handler.h"

#define WASI(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))

typedef struct ciovec { const void *buf; uint32_t len; } ciovec;
WASI(fd_write) int32_t fd_write(int32_t fd, const ciovec *iov, int32_t n, uint32_t *written);
WASI(fd_close) int32_t fd_close(int32_t fd);
WASI(random_get) int32_t random_get(void *buf, int32_t len);
WASI(clock_time_get) int32_t clock_time_get(int32_t id, uint64_t precision, uint64_t *time);

static int calls;

/* Appends s to out at *n (bounded by cap). */
static void put(char *out, int *n, int cap, const char *s, int len) {
  for (int i = 0; i < len && *n < cap; i++) out[(*n)++] = s[i];
}
static void put_z(char *out, int *n, int cap, const char *s) { put(out, n, cap, s, str_len(s)); }
static void put_num(char *out, int *n, int cap, int v) {
  char d[12];
  int k = 0;
  do d[k++] = (char)('0' + v % 10); while ((v /= 10) && k < 11);
  while (k) put(out, n, cap, &d[--k], 1);
}

__attribute__((export_name("handle_request"))) int64_t handle_request(void) {
  static char uri[256], body[512];
  int32_t ul = get_uri(uri, sizeof uri);
  if (ul < 0 || ul > (int32_t)sizeof uri) ul = 0;
  calls++;
  static const char line[] = "wasi_p1_guest: request\n";
  ciovec iov = {line, sizeof line - 1};
  uint32_t written = 0;
  int32_t werr = fd_write(2, &iov, 1, &written);
  unsigned char rnd[16] = {0};
  int32_t rerr = random_get(rnd, sizeof rnd);
  int nonzero = 0;
  for (int i = 0; i < 16; i++) nonzero |= rnd[i];
  uint64_t now = 0;
  int32_t cerr = clock_time_get(1, 1, &now);
  int n = 0, cap = sizeof body;
  put_z(body, &n, cap, "n=");
  put_num(body, &n, cap, calls);
  put_z(body, &n, cap, " stderr=");
  put_num(body, &n, cap, werr);
  put_z(body, &n, cap, rerr ? " random=err" : nonzero ? " random=ok" : " random=same");
  put_z(body, &n, cap, cerr || !now ? " clock=err" : " clock=ok");
  put_z(body, &n, cap, " uri=");
  put(body, &n, cap, uri, ul);
  put_z(body, &n, cap, "\n");
  if (ul == 5 && uri[1] == 't' && uri[2] == 'r' && uri[3] == 'a' && uri[4] == 'p') __builtin_trap();
  enable_features(FEATURE_BUFFER_RESPONSE);
  write_body(KIND_RESP, body, n);
  if (ul == 6 && uri[1] == 'c' && uri[2] == 'l' && uri[3] == 'o' && uri[4] == 's' && uri[5] == 'e') fd_close(2);
  return 0;
}

__attribute__((export_name("handle_response"))) void handle_response(int32_t ctx, int32_t is_error) {
  (void)ctx;
  (void)is_error;
}
