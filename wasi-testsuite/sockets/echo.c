/* echo.c — accepts one connection on the preopened listening socket (fd 3),
 * reads a line and answers "echo: LINE" through sock_recv/sock_send, then
 * shuts the connection down. Also checks that sock_accept on a non-socket
 * descriptor is refused. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>

#define WASI(name) __attribute__((import_module("wasi_snapshot_preview1"), import_name(#name)))
WASI(sock_accept) int32_t sock_accept(int32_t fd, int32_t flags, int32_t *out);
WASI(sock_recv) int32_t sock_recv(int32_t fd, const void *iovs, int32_t n, int32_t flags, int32_t *len, int16_t *oflags);
WASI(sock_send) int32_t sock_send(int32_t fd, const void *iovs, int32_t n, int32_t flags, int32_t *len);
WASI(sock_shutdown) int32_t sock_shutdown(int32_t fd, int32_t how);

int main(void) {
  int32_t conn = -1, n = 0;
  int16_t oflags = 0;
  if (sock_accept(1, 0, &conn) == 0) { printf("accept on stdout succeeded\n"); return 1; }
  int32_t e = sock_accept(3, 0, &conn);
  if (e != 0) { printf("sock_accept: errno %d\n", e); return 1; }
  static char buf[256];
  struct { uint32_t p, len; } iov = {(uint32_t)(uintptr_t)buf, sizeof buf - 1};
  e = sock_recv(conn, &iov, 1, 0, &n, &oflags);
  if (e != 0) { printf("sock_recv: errno %d\n", e); return 1; }
  buf[n] = 0;
  static char reply[300];
  int len = snprintf(reply, sizeof reply, "echo: %s", buf);
  struct { uint32_t p, len; } out = {(uint32_t)(uintptr_t)reply, (uint32_t)len};
  e = sock_send(conn, &out, 1, 0, &n);
  if (e != 0 || n != len) { printf("sock_send: errno %d, %d of %d\n", e, n, len); return 1; }
  if (sock_shutdown(conn, 3) != 0) { printf("sock_shutdown failed\n"); return 1; }
  printf("served one connection\n");
  return 0;
}
