/*
 * wasi_sock.c — WASI sockets: the guest can only accept connections on the
 * listening sockets it was given (--tcplisten), then read, write, recv, send
 * and shut them down. It cannot open, bind or connect sockets itself.
 * Accepting runs on the libuv loop (uv_tcp); recv and send use recvmsg and
 * sendmsg with MSG_DONTWAIT on the accepted descriptor (libuv has no
 * equivalent of the PEEK/WAITALL flags and truncation report that sock_recv
 * promises) and wait on the loop when they would block, so that a --timeout
 * ends a guest blocked in them (wasi_io.c).
 */
#include <arpa/inet.h>
#include <errno.h>
#include <stddef.h>
#include <fcntl.h>
#include <netinet/in.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

#define ARG32(i) ((uint32_t)slots[i])

static void free_handle_cb(uv_handle_t *h) { free(h); }
#define RET(v) do { slots[0] = (uint32_t)(v); return true; } while (0)

/* The socket `fd`: BADF if it is not open, NOTSOCK if it is no socket (checked
 * before rights, so a file without socket rights still answers NOTSOCK), then
 * NOTCAPABLE without the rights in `need`. */
static wasi_fd *sock_fd_get(wasi_ctx *w, uint32_t fd, uint64_t need, uint32_t *err) {
  wasi_fd *f = wasi_fd_get(w, fd, 0, err);
  if (!f) return NULL;
  if (f->type != WASI_FT_SOCK_STREAM && f->type != WASI_FT_SOCK_DGRAM) {
    *err = WASI_ENOTSOCK;
    return NULL;
  }
  return wasi_fd_get(w, fd, need, err);
}

int wasi_listen(const char *spec) {
  char host[256];
  const char *colon = strrchr(spec, ':');
  if (!colon || colon == spec || (size_t)(colon - spec) >= sizeof host) {
    errno = EINVAL;
    return -1;
  }
  memcpy(host, spec, (size_t)(colon - spec));
  host[colon - spec] = 0;
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535) {
    errno = EINVAL;
    return -1;
  }
  struct sockaddr_storage ss;
  socklen_t len;
  memset(&ss, 0, sizeof ss);
  size_t hl = strlen(host);
  if (host[0] == '[' && hl > 2 && host[hl - 1] == ']') {
    host[hl - 1] = 0;
    struct sockaddr_in6 *a = (struct sockaddr_in6 *)&ss;
    a->sin6_family = AF_INET6;
    a->sin6_port = htons((uint16_t)port);
    if (inet_pton(AF_INET6, host + 1, &a->sin6_addr) != 1) { errno = EINVAL; return -1; }
    len = sizeof *a;
  } else {
    struct sockaddr_in *a = (struct sockaddr_in *)&ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)port);
    if (inet_pton(AF_INET, host, &a->sin_addr) != 1) { errno = EINVAL; return -1; }
    len = sizeof *a;
  }
  int fd = socket(ss.ss_family, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  int one = 1;
  setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(fd, (struct sockaddr *)&ss, len) != 0 || listen(fd, 128) != 0) {
    int e = errno;
    close(fd);
    errno = e;
    return -1;
  }
  return fd;
}

/* Accepting goes through libuv: the listening socket is wrapped in a uv_tcp_t
 * on first use, and the loop runs until a connection is pending (or, for a
 * non-blocking accept, only once). The accepted connection is detached from
 * libuv as a plain descriptor so fd_read/fd_write and sock_* work on it. */
static void on_connection(uv_stream_t *server, int status) {
  int *pending = server->data;
  *pending = status < 0 ? status : 1;
}

bool wasi_sock_accept(rt_caller *c, void *env, uint64_t *slots) {
  wasi_ctx *w = env;
  uint32_t err, flags = ARG32(1);
  wasi_fd *l = sock_fd_get(w, ARG32(0), WASI_R(R_SOCK_ACCEPT), &err);
  if (!l) RET(err);
  if (flags & ~(uint32_t)WASI_FDFLAG_NONBLOCK) RET(WASI_EINVAL);
  uint8_t *pfd = wasi_mem(c, ARG32(2), 4);
  if (!pfd) RET(WASI_EFAULT);
  uint32_t lerr;
  uv_loop_t *loop = wasi_loop(w, &lerr);
  if (!loop) RET(lerr);
  int pending = 0;
  if (!l->listener) {
    uv_tcp_t *t = malloc(sizeof *t);
    if (!t) RET(WASI_ENOMEM);
    int r = uv_tcp_init(loop, t);
    if (r == 0) r = uv_tcp_open(t, l->host);
    if (r == 0) {
      t->data = &pending;
      r = uv_listen((uv_stream_t *)t, 128, on_connection);
    }
    if (r != 0) {
      uv_close((uv_handle_t *)t, free_handle_cb);
      uv_run(loop, UV_RUN_NOWAIT);
      RET(wasi_errno(r));
    }
    l->listener = t;
  }
  l->listener->data = &pending;
  uv_run(loop, UV_RUN_NOWAIT);
  /* the guest's NONBLOCK on the listening socket counts as the flag of this call */
  bool nonblock = (flags | l->flags) & WASI_FDFLAG_NONBLOCK;
  while (!pending && !nonblock && !wasi_is_interrupted(w)) uv_run(loop, UV_RUN_ONCE);
  l->listener->data = NULL;
  if (!pending && !nonblock) return wasi_trap_interrupted(c);
  if (pending < 0) RET(wasi_errno(pending));
  if (!pending) RET(WASI_EAGAIN);
  uv_tcp_t client;
  uv_tcp_init(loop, &client);
  int r = uv_accept((uv_stream_t *)l->listener, (uv_stream_t *)&client);
  uv_os_fd_t cfd = -1;
  int h = -1;
  if (r == 0 && uv_fileno((uv_handle_t *)&client, &cfd) == 0) h = fcntl(cfd, F_DUPFD_CLOEXEC, 3);
  uv_close((uv_handle_t *)&client, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  if (r != 0) RET(r == UV_EAGAIN ? WASI_EAGAIN : wasi_errno(r));
  if (h < 0) RET(wasi_errno(errno));
  /* The connection stays non-blocking on the host (libuv accepted it so): reads
   * and writes use MSG_DONTWAIT and wait on the loop unless the guest asked for
   * NONBLOCK, which f->flags keeps. */
  l = &w->fds[ARG32(0)];
  uint64_t inh = l->inheriting;
  int64_t fd;
  wasi_fd *f = wasi_fd_install(w, h, WASI_FT_SOCK_STREAM, inh, 0, &fd);
  if (!f) RET(WASI_EMFILE);
  f->flags = (uint16_t)flags;
  uint32_t v = (uint32_t)fd;
  memcpy(pfd, &v, 4);
  RET(WASI_ESUCCESS);
}

/* uv_buf_t must be an iovec for recvmsg/sendmsg (true of libuv on Unix). */
_Static_assert(sizeof(uv_buf_t) == sizeof(struct iovec) && offsetof(uv_buf_t, base) == offsetof(struct iovec, iov_base) &&
                   offsetof(uv_buf_t, len) == offsetof(struct iovec, iov_len),
               "uv_buf_t is laid out as struct iovec");

static uint32_t gather(rt_caller *c, uint32_t iovs, uint32_t n, struct iovec **out) {
  uv_buf_t *b;
  uint32_t err = wasi_iovecs(c, iovs, n, &b);
  if (err == WASI_ESUCCESS) *out = (struct iovec *)(void *)b;
  return err;
}

/* recvmsg that waits on the loop instead of in the kernel. WAITALL gathers
 * until the buffers are full, the peer closes or an error follows some data;
 * PEEK with WAITALL looks again every few milliseconds until enough is queued
 * (epoll has no "this many bytes" readiness). */
static uint32_t recv_waiting(wasi_ctx *w, wasi_fd *f, struct iovec *iov, int cnt, uint32_t riflags, uint32_t *len,
                             bool *trunc) {
  bool peek = riflags & 1, waitall = riflags & 2, nonblock = f->flags & WASI_FDFLAG_NONBLOCK;
  size_t want = 0, total = 0;
  for (int i = 0; i < cnt; i++) want += iov[i].iov_len;
  *len = 0;
  *trunc = false;
  for (;;) {
    struct msghdr msg;
    memset(&msg, 0, sizeof msg);
    msg.msg_iov = iov;
    msg.msg_iovlen = (size_t)cnt;
    ssize_t n = recvmsg(f->host, &msg, MSG_DONTWAIT | (peek ? MSG_PEEK : 0));
    if (n < 0 && errno == EINTR) continue;
    if (n < 0 && errno != EAGAIN && errno != EWOULDBLOCK) {
      if (total) break;
      return wasi_errno(errno);
    }
    if (n >= 0) {
      *trunc = msg.msg_flags & MSG_TRUNC;
      if (peek) total = (size_t)n;
      else total += (size_t)n;
      if (!waitall || n == 0 || total >= want || nonblock) break;
      if (!peek) { /* keep what came, wait for the rest */
        size_t k = (size_t)n;
        while (cnt > 0 && k >= iov->iov_len) k -= iov->iov_len, iov++, cnt--;
        if (cnt > 0) iov->iov_base = (char *)iov->iov_base + k, iov->iov_len -= k;
      }
    } else if (nonblock) {
      if (total) break;
      return WASI_EAGAIN;
    }
    uint32_t e = n > 0 && peek ? wasi_wait_ms(w, 5) : wasi_wait_fd(w, f->host, EPOLLIN);
    if (e == WASI_INTERRUPTED) return e;
    if (e != WASI_ESUCCESS) {
      if (total) break;
      return e;
    }
  }
  *len = (uint32_t)total;
  return WASI_ESUCCESS;
}

/* riflags: RECV_PEEK 1, RECV_WAITALL 2; roflags: RECV_DATA_TRUNCATED 1 */
bool wasi_sock_recv(rt_caller *c, void *env, uint64_t *slots) {
  wasi_ctx *w = env;
  uint32_t err, flags = ARG32(3);
  wasi_fd *f = sock_fd_get(w, ARG32(0), WASI_R(R_FD_READ), &err);
  if (!f) RET(err);
  if (flags & ~3u) RET(WASI_EINVAL);
  uint8_t *plen = wasi_mem(c, ARG32(4), 4), *pflags = wasi_mem(c, ARG32(5), 2);
  if (!plen || !pflags) RET(WASI_EFAULT);
  struct iovec *io;
  if ((err = gather(c, ARG32(1), ARG32(2), &io)) != WASI_ESUCCESS) RET(err);
  uint32_t len;
  bool trunc;
  err = recv_waiting(w, f, io, (int)ARG32(2), flags, &len, &trunc);
  free(io);
  if (err == WASI_INTERRUPTED) return wasi_trap_interrupted(c);
  if (err != WASI_ESUCCESS) RET(err);
  uint16_t ro = trunc ? 1 : 0;
  memcpy(plen, &len, 4);
  memcpy(pflags, &ro, 2);
  RET(WASI_ESUCCESS);
}

bool wasi_sock_send(rt_caller *c, void *env, uint64_t *slots) {
  wasi_ctx *w = env;
  uint32_t err;
  wasi_fd *f = sock_fd_get(w, ARG32(0), WASI_R(R_FD_WRITE), &err);
  if (!f) RET(err);
  if (ARG32(3) != 0) RET(WASI_EINVAL); /* no siflags are defined */
  uint8_t *plen = wasi_mem(c, ARG32(4), 4);
  if (!plen) RET(WASI_EFAULT);
  uv_buf_t *bufs;
  if ((err = wasi_iovecs(c, ARG32(1), ARG32(2), &bufs)) != WASI_ESUCCESS) RET(err);
  uint32_t len;
  err = wasi_stream_rw(w, f, true, bufs, ARG32(2), &len); /* sendmsg(MSG_DONTWAIT|MSG_NOSIGNAL), waiting */
  free(bufs);
  if (err == WASI_INTERRUPTED) return wasi_trap_interrupted(c);
  if (err != WASI_ESUCCESS) RET(err);
  memcpy(plen, &len, 4);
  RET(WASI_ESUCCESS);
}

/* sdflags: RD 1, WR 2 */
bool wasi_sock_shutdown(rt_caller *c, void *env, uint64_t *slots) {
  wasi_ctx *w = env;
  (void)c;
  uint32_t err, how = ARG32(1);
  wasi_fd *f = sock_fd_get(w, ARG32(0), WASI_R(R_SOCK_SHUTDOWN), &err);
  if (!f) RET(err);
  if (how == 0 || how > 3) RET(WASI_EINVAL);
  int h = how == 1 ? SHUT_RD : how == 2 ? SHUT_WR : SHUT_RDWR;
  if (shutdown(f->host, h) != 0) RET(wasi_errno(errno));
  RET(WASI_ESUCCESS);
}
