/*
 * wasi_io.c — how WASI waits: reads and writes of streams (pipes, terminals,
 * character devices, sockets) and every other blocking host call wait on the
 * context's libuv loop instead of in a blocking syscall, so that
 * wasi_interrupt (the --timeout watchdog) can end a guest blocked in one.
 *
 * The host's standard streams are shared with other processes (the shell, the
 * next program in a pipeline), so wrun never changes their file status flags:
 * O_NONBLOCK set on a shared pipe would outlive wrun and break its neighbours.
 * A stream therefore gets, on its first read or write, one of these ways to
 * move bytes without blocking:
 *   - a socket: recvmsg/sendmsg with MSG_DONTWAIT, which is per call;
 *   - a stream of wrun's own (opened by path_open): its description made
 *     non-blocking, which nobody else sees;
 *   - an inherited pipe, FIFO or terminal: a second, private description of
 *     the same object, opened through /proc/self/fd with O_NONBLOCK;
 *   - an inherited stream that cannot be reopened (no /proc, no permission):
 *     wait until it is ready, then one call on the shared description, with
 *     writes capped at PIPE_BUF so that a ready pipe takes them whole.
 * Waiting on a descriptor goes through a private epoll instance watched by a
 * uv_poll, because uv_poll_init itself would set O_NONBLOCK on the descriptor.
 * The guest's own NONBLOCK flag is kept in its wasi_fd and honoured here.
 * A context that nothing can interrupt (no --timeout) makes its blocking reads
 * and writes of streams as plain blocking calls, as fast as a native program.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

/* ---- interrupts ------------------------------------------------------------------ */

void wasi_interrupt(wasi_ctx *w) {
  atomic_store(&w->interrupted, true);
  if (atomic_load(&w->loop_ready)) uv_async_send(&w->wake); /* else no wait has begun: see wasi_loop */
}

bool wasi_is_interrupted(wasi_ctx *w) { return atomic_load(&w->interrupted); }

bool wasi_trap_interrupted(rt_caller *c) { return rt_caller_trap(c, WRUN_TRAP_TIMEOUT, "wall-clock timeout"); }

/* ---- waiting on the loop --------------------------------------------------------- */

static void on_ready(uv_poll_t *p, int status, int events) {
  (void)status;
  (void)events;
  *(bool *)p->data = true;
}

static void on_timer_done(uv_timer_t *t) { *(bool *)t->data = true; }

/* Without a loop (libuv could not make one: see wasi_loop) a wait still
 * waits, in slices of at most 100 ms between looks at the interrupt flag. */
#define UNLOOPED_SLICE_MS 100

uint32_t wasi_wait_ms(wasi_ctx *w, uint64_t ms) {
  uint32_t lerr;
  uv_loop_t *loop = wasi_loop(w, &lerr);
  if (!loop) {
    while (ms && !wasi_is_interrupted(w)) {
      uint64_t slice = ms < UNLOOPED_SLICE_MS ? ms : UNLOOPED_SLICE_MS;
      poll(NULL, 0, (int)slice);
      ms -= slice;
    }
    return wasi_is_interrupted(w) ? WASI_INTERRUPTED : 0;
  }
  bool done = false;
  uv_timer_t t;
  uv_update_time(loop);
  uv_timer_init(loop, &t);
  t.data = &done;
  uv_timer_start(&t, on_timer_done, ms, 0);
  while (!done && !wasi_is_interrupted(w)) uv_run(loop, UV_RUN_ONCE);
  uv_timer_stop(&t);
  uv_close((uv_handle_t *)&t, NULL);
  uv_run(loop, UV_RUN_NOWAIT); /* finish the close before `t` goes */
  return done ? 0 : WASI_INTERRUPTED;
}

uint32_t wasi_wait_fd(wasi_ctx *w, int fd, uint32_t events) {
  if (wasi_is_interrupted(w)) return WASI_INTERRUPTED;
  /* Most waits are short (the writer of a pipe refills it within
   * microseconds): a poll(2) of at most a millisecond, which changes nothing
   * about the descriptor and costs one system call, catches those; the loop,
   * which the interrupt wakes, takes the long ones. */
  struct pollfd quick = {.fd = fd, .events = (short)events};
  if (poll(&quick, 1, 1) > 0) return 0;
  if (wasi_is_interrupted(w)) return WASI_INTERRUPTED;
  uint32_t lerr;
  uv_loop_t *loop = wasi_loop(w, &lerr);
  while (!loop) { /* see wasi_wait_ms */
    if (poll(&quick, 1, UNLOOPED_SLICE_MS) > 0) return 0;
    if (wasi_is_interrupted(w)) return WASI_INTERRUPTED;
  }
  int ep = epoll_create1(EPOLL_CLOEXEC);
  if (ep < 0) return wasi_errno(errno);
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = events;
  if (epoll_ctl(ep, EPOLL_CTL_ADD, fd, &ev) != 0) {
    int e = errno;
    close(ep);
    /* not pollable (EPERM: a file or device that is always ready): the caller
     * tries again; pause a little so that a device that still says EAGAIN is
     * not spun on */
    return e == EPERM ? wasi_wait_ms(w, 10) : wasi_errno(e);
  }
  bool ready = false;
  uv_poll_t p;
  int r = uv_poll_init(loop, &p, ep);
  if (r != 0) {
    close(ep);
    return wasi_errno(r);
  }
  p.data = &ready;
  uv_poll_start(&p, UV_READABLE, on_ready);
  while (!ready && !wasi_is_interrupted(w)) uv_run(loop, UV_RUN_ONCE);
  uv_poll_stop(&p);
  uv_close((uv_handle_t *)&p, NULL);
  uv_run(loop, UV_RUN_NOWAIT);
  close(ep);
  return ready ? 0 : WASI_INTERRUPTED;
}

/* ---- streams --------------------------------------------------------------------- */

/* A private non-blocking description of inherited stream `f`: the same pipe,
 * FIFO or terminal opened again through /proc, checked to be the same object.
 * -1 if that is not possible. */
static int reopen_private(const wasi_fd *f, const struct stat *st) {
  /* tests set WRUN_TEST_NO_REOPEN=1 to run the fallback as on a host without /proc */
  const char *no_reopen = getenv("WRUN_TEST_NO_REOPEN");
  if (no_reopen && strcmp(no_reopen, "1") == 0) return -1;
  int fl = fcntl(f->host, F_GETFL);
  if (fl < 0) return -1;
  char name[64];
  snprintf(name, sizeof name, "/proc/self/fd/%d", f->host);
  int h = open(name, (fl & O_ACCMODE) | O_NONBLOCK | O_CLOEXEC | O_NOCTTY);
  if (h < 0) return -1;
  struct stat st2;
  if (fstat(h, &st2) != 0 || st2.st_dev != st->st_dev || st2.st_ino != st->st_ino) {
    close(h);
    return -1;
  }
  return h;
}

/* Chooses how `f` moves bytes (see the top of this file). */
static void choose_io(wasi_fd *f) {
  struct stat st;
  f->io = f->host;
  if (fstat(f->host, &st) != 0 || S_ISREG(st.st_mode) || S_ISDIR(st.st_mode) || S_ISBLK(st.st_mode)) {
    f->io_mode = WASI_IO_FILE;
  } else if (S_ISSOCK(st.st_mode)) {
    f->io_mode = WASI_IO_SOCKET;
  } else if (!f->inherited) {
    int fl = fcntl(f->host, F_GETFL);
    f->io_mode = fl >= 0 && fcntl(f->host, F_SETFL, fl | O_NONBLOCK) == 0 ? WASI_IO_PRIVATE : WASI_IO_SHARED;
  } else {
    int h = reopen_private(f, &st);
    f->io_mode = h >= 0 ? WASI_IO_PRIVATE : WASI_IO_SHARED;
    if (h >= 0) f->io = h;
  }
}

bool wasi_is_stream(wasi_fd *f) {
  if (f->io_mode == WASI_IO_UNSET) choose_io(f);
  return f->io_mode != WASI_IO_FILE;
}

/* Drops `n` bytes from the front of an iovec array (in place). */
static void iov_advance(struct iovec **iov, int *cnt, size_t n) {
  while (*cnt > 0 && n >= (*iov)->iov_len) {
    n -= (*iov)->iov_len;
    (*iov)++;
    (*cnt)--;
  }
  if (*cnt > 0) {
    (*iov)->iov_base = (char *)(*iov)->iov_base + n;
    (*iov)->iov_len -= n;
  }
}

/* The first `cap` bytes of an iovec array, as a (possibly shorter) count of
 * entries with the last one cut: `tmp` receives the cut entry. */
static int iov_cap(struct iovec *iov, int cnt, size_t cap, struct iovec *tmp, struct iovec **out) {
  size_t sum = 0;
  for (int i = 0; i < cnt; i++) {
    if (sum + iov[i].iov_len > cap) {
      if (i == 0) {
        *tmp = iov[0];
        tmp->iov_len = cap;
        *out = tmp;
        return 1;
      }
      *out = iov;
      return i;
    }
    sum += iov[i].iov_len;
  }
  *out = iov;
  return cnt;
}

/* One transfer that does not block (on a shared description: after waiting
 * for readiness). Bytes moved or -errno. */
/* One sendmsg/recvmsg on socket `fd` with `flags` (never SIGPIPE). */
static ssize_t sock_transfer(int fd, bool write, struct iovec *iov, int cnt, int flags) {
  struct msghdr msg;
  memset(&msg, 0, sizeof msg);
  msg.msg_iov = iov;
  msg.msg_iovlen = (size_t)cnt;
  return write ? sendmsg(fd, &msg, flags | MSG_NOSIGNAL) : recvmsg(fd, &msg, flags);
}

static int64_t transfer(wasi_fd *f, bool write, struct iovec *iov, int cnt) {
  ssize_t r;
  if (f->io_mode == WASI_IO_SOCKET) {
    r = sock_transfer(f->host, write, iov, cnt, MSG_DONTWAIT);
  } else if (f->io_mode == WASI_IO_SHARED && write) {
    struct iovec tmp, *capped;
    int n = iov_cap(iov, cnt, PIPE_BUF, &tmp, &capped);
    r = writev(f->host, capped, n);
  } else {
    int h = f->io_mode == WASI_IO_PRIVATE ? f->io : f->host;
    r = write ? writev(h, iov, cnt) : readv(h, iov, cnt);
  }
  return r < 0 ? -(int64_t)errno : (int64_t)r;
}

/* Without a deadline nothing needs to end a wait early: one blocking call on
 * the host's descriptor, as a native program makes (-EAGAIN when wrun's own
 * description of the stream is non-blocking; the caller then waits). */
static int64_t transfer_blocking(wasi_fd *f, bool write, struct iovec *iov, int cnt) {
  ssize_t r;
  if (f->io_mode == WASI_IO_SOCKET) {
    r = sock_transfer(f->host, write, iov, cnt, 0);
  } else {
    r = write ? writev(f->host, iov, cnt) : readv(f->host, iov, cnt);
  }
  return r < 0 ? -(int64_t)errno : (int64_t)r;
}

/* Whether shared descriptor `fd` is ready now (poll(2) with no timeout, which
 * changes nothing about the descriptor). */
static bool ready_now(int fd, bool write) {
  struct pollfd p = {.fd = fd, .events = write ? POLLOUT : POLLIN};
  return poll(&p, 1, 0) > 0;
}

uint32_t wasi_stream_rw(wasi_ctx *w, wasi_fd *f, bool write, uv_buf_t *bufs, uint32_t n, uint32_t *done) {
  struct iovec *iov = (struct iovec *)(void *)bufs; /* laid out alike (asserted in wasi_sock.c) */
  int cnt = (int)n;
  if (f->io_mode == WASI_IO_UNSET) choose_io(f);
  size_t want = 0;
  for (int i = 0; i < cnt; i++) want += iov[i].iov_len;
  bool nonblock = f->flags & WASI_FDFLAG_NONBLOCK;
  uint32_t events = write ? EPOLLOUT : EPOLLIN;
  size_t total = 0;
  *done = 0;
  if (want == 0) return WASI_ESUCCESS;
  for (;;) {
    int64_t r;
    if (!w->interruptible && !nonblock) {
      r = transfer_blocking(f, write, iov, cnt);
    } else if (f->io_mode == WASI_IO_SHARED && !ready_now(f->host, write)) {
      r = -EAGAIN; /* a blocking call on the shared description could not be interrupted */
    } else {
      r = transfer(f, write, iov, cnt);
    }
    if (r == -EINTR) continue;
    if (r >= 0) {
      total += (size_t)r;
      /* a read returns what there is; a blocking write goes on until all is written */
      if (!write || r == 0 || total >= want || nonblock) break;
      iov_advance(&iov, &cnt, (size_t)r);
      continue;
    }
    if (r != -EAGAIN && r != -EWOULDBLOCK) {
      if (total) break; /* report the bytes moved; the error comes again on the next call */
      return wasi_errno((int)-r);
    }
    if (nonblock) {
      if (total) break;
      return WASI_EAGAIN;
    }
    uint32_t e = wasi_wait_fd(w, f->io_mode == WASI_IO_PRIVATE ? f->io : f->host, events);
    if (e == WASI_INTERRUPTED) return e;
    if (e != WASI_ESUCCESS) {
      if (total) break;
      return e;
    }
  }
  *done = (uint32_t)total;
  return WASI_ESUCCESS;
}

int64_t wasi_append_write(wasi_fd *f, uv_buf_t *bufs, uint32_t n) {
  struct iovec *iov = (struct iovec *)(void *)bufs;
  ssize_t r;
  do r = pwritev2(f->host, iov, (int)n, -1, RWF_APPEND);
  while (r < 0 && errno == EINTR);
  if (r < 0 && (errno == EOPNOTSUPP || errno == EINVAL || errno == ENOSYS)) { /* a kernel before 4.16 */
    if (lseek(f->host, 0, SEEK_END) < 0) return -(int64_t)errno;
    do r = writev(f->host, iov, (int)n);
    while (r < 0 && errno == EINTR);
  }
  return r < 0 ? -(int64_t)errno : (int64_t)r;
}
