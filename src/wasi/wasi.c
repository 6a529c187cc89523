/*
 * wasi.c — the WASI preview 1 context: arguments, environment, clocks,
 * randomness, process exit, polling on clocks and descriptors, the descriptor
 * table, and linking a module's `wasi_snapshot_preview1` imports to host
 * functions. Descriptor and file functions are in wasi_fs.c, path resolution
 * and the path_* functions in wasi_path.c, sockets in wasi_sock.c.
 */
#include <errno.h>
#include <sched.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/ioctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>
#include <fcntl.h>

#include "wasi/wasi_impl.h"

/* ---- helpers shared with wasi_fs.c ------------------------------------------ */

uint8_t *wasi_mem(rt_caller *c, uint64_t ptr, uint64_t len) {
  rt_memory *m = rt_caller_memory(c, 0);
  if (!m || ptr + len > rt_memory_size(m) || ptr + len < ptr) return NULL;
  return rt_memory_data(m) + ptr;
}

/* Linux errno -> WASI errno. Aliases (EWOULDBLOCK, EDEADLOCK, ENOTSUP) share
 * their value with the name listed. EXDEV is a real cross-device error here:
 * the resolver reports escapes from a preopen as NOTCAPABLE itself. */
static const struct {
  int host;
  uint8_t wasi;
} errno_map[] = {
  {E2BIG, WASI_E2BIG}, {EACCES, WASI_EACCES}, {EADDRINUSE, WASI_EADDRINUSE},
  {EADDRNOTAVAIL, WASI_EADDRNOTAVAIL}, {EAFNOSUPPORT, WASI_EAFNOSUPPORT}, {EAGAIN, WASI_EAGAIN},
  {EALREADY, WASI_EALREADY}, {EBADF, WASI_EBADF}, {EBADMSG, WASI_EBADMSG}, {EBUSY, WASI_EBUSY},
  {ECANCELED, WASI_ECANCELED}, {ECHILD, WASI_ECHILD}, {ECONNABORTED, WASI_ECONNABORTED},
  {ECONNREFUSED, WASI_ECONNREFUSED}, {ECONNRESET, WASI_ECONNRESET}, {EDEADLK, WASI_EDEADLK},
  {EDESTADDRREQ, WASI_EDESTADDRREQ}, {EDOM, WASI_EDOM}, {EDQUOT, WASI_EDQUOT}, {EEXIST, WASI_EEXIST},
  {EFAULT, WASI_EFAULT}, {EFBIG, WASI_EFBIG}, {EHOSTUNREACH, WASI_EHOSTUNREACH}, {EIDRM, WASI_EIDRM},
  {EILSEQ, WASI_EILSEQ}, {EINPROGRESS, WASI_EINPROGRESS}, {EINTR, WASI_EINTR}, {EINVAL, WASI_EINVAL},
  {EIO, WASI_EIO}, {EISCONN, WASI_EISCONN}, {EISDIR, WASI_EISDIR}, {ELOOP, WASI_ELOOP},
  {EMFILE, WASI_EMFILE}, {EMLINK, WASI_EMLINK}, {EMSGSIZE, WASI_EMSGSIZE}, {EMULTIHOP, WASI_EMULTIHOP},
  {ENAMETOOLONG, WASI_ENAMETOOLONG}, {ENETDOWN, WASI_ENETDOWN}, {ENETRESET, WASI_ENETRESET},
  {ENETUNREACH, WASI_ENETUNREACH}, {ENFILE, WASI_ENFILE}, {ENOBUFS, WASI_ENOBUFS}, {ENODEV, WASI_ENODEV},
  {ENOENT, WASI_ENOENT}, {ENOEXEC, WASI_ENOEXEC}, {ENOLCK, WASI_ENOLCK}, {ENOLINK, WASI_ENOLINK},
  {ENOMEM, WASI_ENOMEM}, {ENOMSG, WASI_ENOMSG}, {ENOPROTOOPT, WASI_ENOPROTOOPT}, {ENOSPC, WASI_ENOSPC},
  {ENOSYS, WASI_ENOSYS}, {ENOTCONN, WASI_ENOTCONN}, {ENOTDIR, WASI_ENOTDIR}, {ENOTEMPTY, WASI_ENOTEMPTY},
  {ENOTRECOVERABLE, WASI_ENOTRECOVERABLE}, {ENOTSOCK, WASI_ENOTSOCK}, {EOPNOTSUPP, WASI_ENOTSUP},
  {ENOTTY, WASI_ENOTTY}, {ENXIO, WASI_ENXIO}, {EOVERFLOW, WASI_EOVERFLOW}, {EOWNERDEAD, WASI_EOWNERDEAD},
  {EPERM, WASI_EPERM}, {EPIPE, WASI_EPIPE}, {EPROTO, WASI_EPROTO}, {EPROTONOSUPPORT, WASI_EPROTONOSUPPORT},
  {EPROTOTYPE, WASI_EPROTOTYPE}, {ERANGE, WASI_ERANGE}, {EROFS, WASI_EROFS}, {ESPIPE, WASI_ESPIPE},
  {ESRCH, WASI_ESRCH}, {ESTALE, WASI_ESTALE}, {ETIMEDOUT, WASI_ETIMEDOUT}, {ETXTBSY, WASI_ETXTBSY},
  {EXDEV, WASI_EXDEV},
  /* Linux names with no WASI twin but an unmistakable nearest meaning */
  {ESOCKTNOSUPPORT, WASI_EPROTONOSUPPORT}, {EPFNOSUPPORT, WASI_EAFNOSUPPORT}, {ESHUTDOWN, WASI_EPIPE},
  {EHOSTDOWN, WASI_EHOSTUNREACH}, {ENOMEDIUM, WASI_ENODEV}, {ETIME, WASI_ETIMEDOUT},
};

uint32_t wasi_errno(int e) {
  if (e < 0) e = -e; /* libuv reports -errno */
  if (e == 0) return WASI_ESUCCESS;
  for (size_t i = 0; i < sizeof errno_map / sizeof errno_map[0]; i++)
    if (errno_map[i].host == e) return errno_map[i].wasi;
  return WASI_EIO; /* a Linux errno with no WASI meaning at all (ECHRNG, EBADE, ...) */
}

wasi_fd *wasi_fd_get(wasi_ctx *w, uint32_t fd, uint64_t need, uint32_t *err) {
  if (fd >= w->nfds || !w->fds[fd].used) {
    *err = WASI_EBADF;
    return NULL;
  }
  wasi_fd *f = &w->fds[fd];
  if (f->host < 0) { /* a standard stream the host had closed */
    *err = WASI_EBADF;
    return NULL;
  }
  if ((f->rights & need) != need) {
    *err = WASI_ENOTCAPABLE;
    return NULL;
  }
  return f;
}

int64_t wasi_fd_alloc(wasi_ctx *w) {
  for (uint32_t i = 0; i < w->nfds; i++)
    if (!w->fds[i].used) return i;
  if (w->nfds >= 1u << 16) return -1;
  uint32_t n = w->nfds ? w->nfds * 2 : 8;
  wasi_fd *f = realloc(w->fds, n * sizeof *f);
  if (!f) return -1;
  memset(f + w->nfds, 0, (n - w->nfds) * sizeof *f);
  w->fds = f;
  int64_t i = w->nfds;
  w->nfds = n;
  return i;
}

wasi_fd *wasi_fd_install(wasi_ctx *w, int host, uint8_t type, uint64_t rights, uint64_t inheriting, int64_t *fd) {
  *fd = wasi_fd_alloc(w);
  if (*fd < 0) {
    close(host);
    return NULL;
  }
  wasi_fd *f = &w->fds[*fd];
  f->used = true;
  f->host = host;
  f->type = type;
  f->rights = rights;
  f->inheriting = inheriting;
  return f;
}

uint8_t wasi_filetype_of(mode_t mode) {
  if (S_ISREG(mode)) return WASI_FT_REG;
  if (S_ISDIR(mode)) return WASI_FT_DIR;
  if (S_ISCHR(mode)) return WASI_FT_CHAR;
  if (S_ISBLK(mode)) return WASI_FT_BLOCK;
  if (S_ISLNK(mode)) return WASI_FT_SYMLINK;
  if (S_ISSOCK(mode)) return WASI_FT_SOCK_STREAM;
  return WASI_FT_UNKNOWN;
}

uint32_t wasi_iovecs(rt_caller *c, uint32_t iovs, uint32_t n, uv_buf_t **out) {
  if (n > 1024) return WASI_EINVAL;
  const uint8_t *v = wasi_mem(c, iovs, (uint64_t)n * 8);
  if (!v) return WASI_EFAULT;
  uv_buf_t *b = calloc(n ? n : 1, sizeof *b);
  if (!b) return WASI_ENOMEM;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t ptr, len;
    memcpy(&ptr, v + 8 * i, 4);
    memcpy(&len, v + 8 * i + 4, 4);
    uint8_t *p = wasi_mem(c, ptr, len);
    if (!p) {
      free(b);
      return WASI_EFAULT;
    }
    b[i] = uv_buf_init((char *)p, len);
  }
  *out = b;
  return WASI_ESUCCESS;
}

/* ---- context ------------------------------------------------------------------- */

static void on_wake(uv_async_t *a) { (void)a; /* the waits check `interrupted` themselves */ }

static char *pack_strings(int n, char **v, uint32_t *size) {
  size_t total = 0;
  for (int i = 0; i < n; i++) total += strlen(v[i]) + 1;
  char *buf = malloc(total ? total : 1);
  if (!buf) return NULL;
  size_t at = 0;
  for (int i = 0; i < n; i++) {
    size_t l = strlen(v[i]) + 1;
    memcpy(buf + at, v[i], l);
    at += l;
  }
  *size = (uint32_t)total;
  return buf;
}

uv_loop_t *wasi_loop(wasi_ctx *w, uint32_t *err) {
  if (atomic_load(&w->loop_ready)) return &w->loop;
  int r = uv_loop_init(&w->loop);
  if (r != 0) {
    *err = wasi_errno(r);
    return NULL;
  }
  if ((r = uv_async_init(&w->loop, &w->wake, on_wake)) != 0) {
    uv_loop_close(&w->loop);
    *err = wasi_errno(r);
    return NULL;
  }
  uv_unref((uv_handle_t *)&w->wake); /* it only wakes waits; it is no reason to run */
  /* Published after `wake` is ready, and before any wait checks `interrupted`:
   * wasi_interrupt stores `interrupted` and then reads this, so either it
   * sees the loop and wakes it, or the wait sees the interrupt and never
   * blocks (both sides are sequentially consistent atomics). */
  atomic_store(&w->loop_ready, true);
  return &w->loop;
}

wasi_ctx *wasi_new(const wasi_config *cfg, rt_error *err) {
  wasi_ctx *w = calloc(1, sizeof *w);
  if (!w) {
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  w->argc = (uint32_t)cfg->argc;
  w->envc = (uint32_t)cfg->envc;
  w->args_buf = pack_strings(cfg->argc, cfg->argv, &w->args_size);
  w->env_buf = pack_strings(cfg->envc, cfg->env, &w->env_size);
  if (!w->args_buf || !w->env_buf) {
    wasi_free(w);
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  w->interruptible = cfg->interruptible;
  if (wasi_fd_alloc(w) != 0) { /* the table starts with room for the standard streams */
    wasi_free(w);
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  for (int i = 0; i < 3; i++) { /* the standard streams, as the host has them */
    wasi_fd *f = &w->fds[i];
    struct stat st;
    f->used = true;
    f->inherited = true;
    f->host = (cfg->closed_stdio & (1u << i)) ? -1 : (cfg->redirected_stdio & (1u << i)) ? cfg->stdio_fd[i] : i;
    if (f->host < 0) continue; /* closed for the guest too: every call on it is EBADF */
    f->type = fstat(f->host, &st) == 0 ? wasi_filetype_of(st.st_mode) : WASI_FT_UNKNOWN;
    f->rights = (i == 0 ? WASI_R(R_FD_READ) : WASI_R(R_FD_WRITE)) | WASI_R(R_FD_FDSTAT_SET_FLAGS) |
                WASI_R(R_FD_FILESTAT_GET) | WASI_R(R_POLL_FD_READWRITE) |
                (f->type == WASI_FT_REG ? WASI_R(R_FD_SEEK) | WASI_R(R_FD_TELL) : 0);
    int fl = fcntl(f->host, F_GETFL);
    f->flags = fl >= 0 && (fl & O_APPEND) ? WASI_FDFLAG_APPEND : 0;
  }
  for (int i = 0; i < cfg->nlisten; i++) { /* listening sockets come first, after the streams */
    int h = wasi_listen(cfg->listen[i]);
    int64_t fd;
    uint64_t rights = WASI_R(R_SOCK_ACCEPT) | WASI_R(R_POLL_FD_READWRITE) | WASI_R(R_FD_FDSTAT_SET_FLAGS) |
                      WASI_R(R_FD_FILESTAT_GET);
    uint64_t inheriting = WASI_R(R_FD_READ) | WASI_R(R_FD_WRITE) | WASI_R(R_SOCK_SHUTDOWN) |
                          WASI_R(R_POLL_FD_READWRITE) | WASI_R(R_FD_FDSTAT_SET_FLAGS) | WASI_R(R_FD_FILESTAT_GET);
    if (h < 0 || !wasi_fd_install(w, h, WASI_FT_SOCK_STREAM, rights, inheriting, &fd)) {
      rt_error_at(err, WRUN_ERR_IO, WRUN_NO_OFFSET, "cannot listen on %s for --tcplisten: %s", cfg->listen[i],
                    h < 0 ? strerror(errno) : "out of memory");
      wasi_free(w);
      return NULL;
    }
  }
  for (int i = 0; i < cfg->npreopens; i++) {
    const wasi_preopen *p = &cfg->preopens[i];
    int h = open(p->host_path, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
    if (h < 0) {
      rt_error_at(err, WRUN_ERR_IO, WRUN_NO_OFFSET, "cannot open directory %s for --dir: %s", p->host_path,
                    strerror(errno));
      wasi_free(w);
      return NULL;
    }
    uint64_t writing = p->readonly ? WASI_RIGHTS_WRITING : 0;
    int64_t fd;
    wasi_fd *f = wasi_fd_install(w, h, WASI_FT_DIR, WASI_RIGHTS_DIR & ~writing,
                                 (WASI_RIGHTS_DIR | WASI_RIGHTS_FILE) & ~writing, &fd);
    if (!f) {
      wasi_free(w);
      rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
      return NULL;
    }
    f->preopen = strdup(p->guest_path);
  }
  const char *no2 = getenv("WRUN_TEST_NO_OPENAT2"); /* test-only: resolve by the walk, as without openat2 */
  w->no_openat2 = no2 && strcmp(no2, "1") == 0;
  /* the standard streams own nothing (no preopen name, no libuv handle, no
   * private descriptor yet), so a copy restores them */
  w->resettable = cfg->nlisten == 0 && cfg->npreopens == 0;
  memcpy(w->stdio_initial, w->fds, sizeof w->stdio_initial);
  return w;
}

/* Whether standard stream entry `f` is still as wasi_new made it, apart from
 * how wasi_io.c moves its bytes (its private descriptor is wrun's own view of
 * the same host stream, reopened at a cost per request otherwise). */
static bool stdio_unchanged(const wasi_fd *f, const wasi_fd *initial) {
  return f->used && f->inherited && f->host == initial->host && f->type == initial->type &&
         f->flags == initial->flags && f->rights == initial->rights && f->inheriting == initial->inheriting;
}

bool wasi_reset(wasi_ctx *w) {
  if (!w->resettable) return false;
  for (uint32_t i = 0; i < w->nfds; i++) {
    if (i < 3 && stdio_unchanged(&w->fds[i], &w->stdio_initial[i])) continue;
    if (w->fds[i].used) wasi_fd_release(w, &w->fds[i]);
    if (i < 3) w->fds[i] = w->stdio_initial[i];
  }
  atomic_store(&w->interrupted, false);
  return true;
}

static void free_handle(uv_handle_t *h) { free(h); }

void wasi_fd_release(wasi_ctx *w, wasi_fd *f) {
  if (f->io_mode == WASI_IO_PRIVATE && f->io != f->host) close(f->io); /* wrun's own view of a stream */
  if (f->listener) { /* the handle owns the socket: closing it closes `host` (and the loop exists) */
    uv_close((uv_handle_t *)f->listener, free_handle);
    uv_run(&w->loop, UV_RUN_NOWAIT);
  } else if (f->host > 2 && !f->inherited) {
    close(f->host);
  }
  free(f->preopen);
  memset(f, 0, sizeof *f);
}

void wasi_free(wasi_ctx *w) {
  if (!w) return;
  for (uint32_t i = 0; i < w->nfds; i++)
    if (w->fds[i].used) wasi_fd_release(w, &w->fds[i]);
  free(w->fds);
  free(w->args_buf);
  free(w->env_buf);
  if (atomic_load(&w->loop_ready)) {
    uv_close((uv_handle_t *)&w->wake, NULL);
    uv_run(&w->loop, UV_RUN_NOWAIT);
    uv_loop_close(&w->loop);
  }
  free(w);
}

/* ---- args and environment ------------------------------------------------------- */

static uint32_t put_strings(rt_caller *c, const char *buf, uint32_t n, uint32_t size, uint32_t ptrs,
                            uint32_t out) {
  uint8_t *p = wasi_mem(c, ptrs, (uint64_t)n * 4), *o = wasi_mem(c, out, size);
  if (!p || !o) return WASI_EFAULT;
  memcpy(o, buf, size);
  uint32_t at = 0;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t addr = out + at;
    memcpy(p + 4 * i, &addr, 4);
    at += (uint32_t)strlen(buf + at) + 1;
  }
  return WASI_ESUCCESS;
}

static uint32_t put_sizes(rt_caller *c, uint32_t n, uint32_t size, uint32_t pn, uint32_t psize) {
  uint8_t *a = wasi_mem(c, pn, 4), *b = wasi_mem(c, psize, 4);
  if (!a || !b) return WASI_EFAULT;
  memcpy(a, &n, 4);
  memcpy(b, &size, 4);
  return WASI_ESUCCESS;
}

#define ARG32(i) ((uint32_t)slots[i])
#define RET(v) do { slots[0] = (uint32_t)(v); return true; } while (0)

static bool args_get(rt_caller *c, void *env, uint64_t *slots) {
  wasi_ctx *w = env;
  RET(put_strings(c, w->args_buf, w->argc, w->args_size, ARG32(0), ARG32(1)));
}
static bool args_sizes_get(rt_caller *c, void *env, uint64_t *slots) {
  wasi_ctx *w = env;
  RET(put_sizes(c, w->argc, w->args_size, ARG32(0), ARG32(1)));
}
static bool environ_get(rt_caller *c, void *env, uint64_t *slots) {
  wasi_ctx *w = env;
  RET(put_strings(c, w->env_buf, w->envc, w->env_size, ARG32(0), ARG32(1)));
}
static bool environ_sizes_get(rt_caller *c, void *env, uint64_t *slots) {
  wasi_ctx *w = env;
  RET(put_sizes(c, w->envc, w->env_size, ARG32(0), ARG32(1)));
}

/* ---- clocks, random, process ------------------------------------------------------ */

static bool host_clock(uint32_t id, clockid_t *out) {
  switch (id) {
  case 0: *out = CLOCK_REALTIME; return true;
  case 1: *out = CLOCK_MONOTONIC; return true;
  case 2: *out = CLOCK_PROCESS_CPUTIME_ID; return true;
  case 3: *out = CLOCK_THREAD_CPUTIME_ID; return true;
  default: return false;
  }
}

static bool clock_res_get(rt_caller *c, void *env, uint64_t *slots) {
  (void)env;
  clockid_t id;
  struct timespec ts;
  if (!host_clock(ARG32(0), &id)) RET(WASI_EINVAL);
  if (clock_getres(id, &ts) != 0) RET(wasi_errno(errno));
  uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  uint8_t *p = wasi_mem(c, ARG32(1), 8);
  if (!p) RET(WASI_EFAULT);
  memcpy(p, &ns, 8);
  RET(WASI_ESUCCESS);
}

static bool clock_time_get(rt_caller *c, void *env, uint64_t *slots) {
  (void)env;
  clockid_t id;
  struct timespec ts;
  if (!host_clock(ARG32(0), &id)) RET(WASI_EINVAL);
  if (clock_gettime(id, &ts) != 0) RET(wasi_errno(errno));
  uint64_t ns = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
  uint8_t *p = wasi_mem(c, ARG32(2), 8);
  if (!p) RET(WASI_EFAULT);
  memcpy(p, &ns, 8);
  RET(WASI_ESUCCESS);
}

static bool random_get(rt_caller *c, void *env, uint64_t *slots) {
  (void)env;
  uint8_t *p = wasi_mem(c, ARG32(0), ARG32(1));
  if (!p) RET(WASI_EFAULT);
  for (uint32_t done = 0; done < ARG32(1);) {
    ssize_t n = getrandom(p + done, ARG32(1) - done, 0);
    if (n < 0) {
      if (errno == EINTR) continue;
      RET(wasi_errno(errno));
    }
    done += (uint32_t)n;
  }
  RET(WASI_ESUCCESS);
}

static bool proc_exit(rt_caller *c, void *env, uint64_t *slots) {
  (void)env;
  return rt_caller_exit(c, (int)ARG32(0));
}

static bool proc_raise(rt_caller *c, void *env, uint64_t *slots) {
  (void)c;
  (void)env;
  RET(WASI_ENOSYS); /* signals are not delivered to guests */
}

static bool sched_yield_(rt_caller *c, void *env, uint64_t *slots) {
  (void)c;
  (void)env;
  sched_yield();
  RET(WASI_ESUCCESS);
}

/* poll_oneoff on the context's libuv loop: a uv_timer per clock subscription;
 * the descriptor subscriptions go into one private epoll instance that a
 * uv_poll watches (a uv_poll on the descriptor itself would set O_NONBLOCK on
 * it, and on an inherited stream that outlives wrun). Regular files and
 * directories are always ready, as in POSIX. The loop runs until at least one
 * subscription fires, and every subscription that fired by then is reported;
 * wasi_interrupt ends the wait with the timeout trap. */
typedef struct poll_sub {
  uv_timer_t timer;
  bool timing, fired, hangup;
  uint8_t tag;
  uint16_t error;
  int host;                    /* descriptor subscriptions: the host descriptor, else -1 */
  int dup;                     /* a duplicate of `host` watched instead when the guest subscribed
                                  to the same descriptor twice (epoll takes each once), else -1 */
  clockid_t clock;             /* clock subscriptions: the clock and the deadline on it */
  uint64_t deadline;
} poll_sub;

typedef struct poll_set {
  poll_sub *subs;
  uint32_t nsubs;
  int ep;                      /* the epoll instance of the descriptor subscriptions, or -1 */
  struct epoll_event *events;  /* room for epoll_wait to report every subscription */
} poll_set;

static uint64_t clock_now(clockid_t c) {
  struct timespec ts;
  clock_gettime(c, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

/* libuv's timers run on a coarse millisecond clock that can lag the precise
 * one, so a timer may fire a little before the guest's deadline: check the
 * precise clock and wait again for what is left. */
static void on_timer(uv_timer_t *t) {
  poll_sub *ps = t->data;
  uint64_t now = clock_now(ps->clock);
  if (now >= ps->deadline) ps->fired = true;
  else uv_timer_start(t, on_timer, (ps->deadline - now) / 1000000 + 1, 0);
}

/* The epoll instance is readable: mark every descriptor subscription that is ready. */
static void on_fds_ready(uv_poll_t *p, int status, int events) {
  (void)status;
  (void)events;
  poll_set *ps = p->data;
  int n = epoll_wait(ps->ep, ps->events, (int)ps->nsubs, 0);
  for (int i = 0; i < n; i++) {
    poll_sub *sub = &ps->subs[ps->events[i].data.u32];
    sub->fired = true;
    if (ps->events[i].events & (EPOLLHUP | EPOLLRDHUP)) sub->hangup = true;
  }
}

/* Sets up clock subscription `s` (48 bytes of guest memory); false if it is
 * ready at once. */
static bool poll_add_clock(wasi_ctx *w, poll_sub *ps, const uint8_t *s) {
  uint32_t id;
  uint64_t t;
  uint16_t flags;
  memcpy(&id, s + 16, 4);
  memcpy(&t, s + 24, 8);
  memcpy(&flags, s + 40, 2);
  clockid_t cid;
  if (!host_clock(id, &cid)) {
    ps->error = WASI_EINVAL;
    return false;
  }
  uint64_t cur = clock_now(cid);
  ps->clock = cid;
  /* absolute, or relative to now (saturating: a huge timeout means "never") */
  ps->deadline = (flags & 1) ? t : t > UINT64_MAX - cur ? UINT64_MAX : cur + t;
  t = ps->deadline > cur ? ps->deadline - cur : 0;
  if (t == 0) return false;
  uv_timer_init(&w->loop, &ps->timer); /* poll_oneoff made the loop first */
  ps->timer.data = ps;
  ps->timing = true;
  uv_timer_start(&ps->timer, on_timer, t / 1000000 + 1, 0); /* on_timer checks the precise clock */
  return true;
}

/* Sets up descriptor subscription number `i`; false if it is ready (or failed) at once. */
static bool poll_add_fd(wasi_ctx *w, poll_set *set, uint32_t i, const uint8_t *s) {
  poll_sub *ps = &set->subs[i];
  uint32_t fd, err;
  memcpy(&fd, s + 16, 4);
  wasi_fd *f = wasi_fd_get(w, fd, WASI_R(R_POLL_FD_READWRITE), &err);
  if (!f) {
    ps->error = (uint16_t)err;
    return false;
  }
  if (f->type == WASI_FT_REG || f->type == WASI_FT_DIR) return false; /* files never block */
  if (set->ep < 0 && (set->ep = epoll_create1(EPOLL_CLOEXEC)) < 0) {
    ps->error = (uint16_t)wasi_errno(errno);
    return false;
  }
  struct epoll_event ev;
  memset(&ev, 0, sizeof ev);
  ev.events = ps->tag == 1 ? EPOLLIN | EPOLLRDHUP : EPOLLOUT;
  ev.data.u32 = i;
  ps->host = f->host;
  int r = epoll_ctl(set->ep, EPOLL_CTL_ADD, f->host, &ev);
  if (r != 0 && errno == EEXIST) {
    ps->dup = fcntl(f->host, F_DUPFD_CLOEXEC, 3);
    r = ps->dup < 0 ? -1 : epoll_ctl(set->ep, EPOLL_CTL_ADD, ps->dup, &ev);
  }
  if (r != 0) { /* EPERM: a descriptor epoll cannot watch is always ready (e.g. /dev/null) */
    if (errno != EPERM) ps->error = (uint16_t)wasi_errno(errno);
    return false;
  }
  return true;
}

/* Writes the event of fired subscription `ps` (userdata from `s`) to `e`. */
static void poll_event(const poll_sub *ps, const uint8_t *s, uint8_t *e) {
  memset(e, 0, 32);
  memcpy(e, s, 8); /* userdata */
  memcpy(e + 8, &ps->error, 2);
  e[10] = ps->tag;
  if (ps->tag == 1 && ps->host >= 0 && !ps->error) {
    int avail = 0; /* event_fd_readwrite.nbytes: what a read would get now, where the host knows */
    if (ioctl(ps->host, FIONREAD, &avail) == 0 && avail > 0) {
      uint64_t nb = (uint64_t)avail;
      memcpy(e + 16, &nb, 8);
    }
  }
  if (ps->hangup) {
    uint16_t hup = 1; /* event_rw_flags.fd_readwrite_hangup */
    memcpy(e + 24, &hup, 2);
  }
}

static bool poll_oneoff(rt_caller *c, void *env, uint64_t *slots) {
  wasi_ctx *w = env;
  uint32_t nsubs = ARG32(2);
  if (nsubs == 0) RET(WASI_EINVAL);
  uint8_t *in = wasi_mem(c, ARG32(0), (uint64_t)nsubs * 48), *out = wasi_mem(c, ARG32(1), (uint64_t)nsubs * 32);
  uint8_t *pn = wasi_mem(c, ARG32(3), 4);
  if (!in || !out || !pn) RET(WASI_EFAULT);
  poll_set set = {.subs = calloc(nsubs, sizeof(poll_sub)), .nsubs = nsubs, .ep = -1,
                  .events = calloc(nsubs, sizeof(struct epoll_event))};
  if (!set.subs || !set.events) {
    free(set.subs);
    free(set.events);
    RET(WASI_ENOMEM);
  }
  uint32_t lerr = 0;
  uv_loop_t *loop = wasi_loop(w, &lerr);
  if (!loop) {
    free(set.subs);
    free(set.events);
    RET(lerr);
  }
  bool ready_now = false;
  uv_update_time(loop); /* timers count from the loop's clock, which is stale between calls */
  for (uint32_t i = 0; i < nsubs; i++) {
    const uint8_t *s = in + 48 * (size_t)i;
    poll_sub *ps = &set.subs[i];
    ps->tag = s[8];
    ps->host = ps->dup = -1;
    bool waits = false;
    if (ps->tag == 0) waits = poll_add_clock(w, ps, s);
    else if (ps->tag == 1 || ps->tag == 2) waits = poll_add_fd(w, &set, i, s);
    else ps->error = WASI_EINVAL;
    if (!waits) ps->fired = ready_now = true;
  }
  uv_poll_t fds;
  bool watching = false;
  if (set.ep >= 0) {
    int r = uv_poll_init(loop, &fds, set.ep);
    if (r == 0) {
      fds.data = &set;
      uv_poll_start(&fds, UV_READABLE, on_fds_ready);
      watching = true;
    } else { /* report the failure on every descriptor subscription rather than wait forever */
      for (uint32_t i = 0; i < nsubs; i++)
        if (set.subs[i].host >= 0 && !set.subs[i].fired) {
          set.subs[i].fired = ready_now = true;
          set.subs[i].error = (uint16_t)wasi_errno(r);
        }
    }
  }
  /* Collect what is ready; block (one iteration at a time) only if nothing is. */
  uv_run(loop, UV_RUN_NOWAIT);
  bool any = ready_now;
  while (!any && !wasi_is_interrupted(w)) {
    uv_run(loop, UV_RUN_ONCE);
    for (uint32_t i = 0; i < nsubs && !any; i++) any = set.subs[i].fired;
  }
  for (uint32_t i = 0; i < nsubs; i++) {
    poll_sub *ps = &set.subs[i];
    if (ps->timing) {
      uv_timer_stop(&ps->timer);
      uv_close((uv_handle_t *)&ps->timer, NULL);
    }
  }
  if (watching) {
    uv_poll_stop(&fds);
    uv_close((uv_handle_t *)&fds, NULL);
  }
  uv_run(loop, UV_RUN_NOWAIT); /* let the closed handles finish before `set` goes */
  uint32_t nevents = 0;
  for (uint32_t i = 0; i < nsubs; i++) {
    poll_sub *ps = &set.subs[i];
    if (ps->fired) poll_event(ps, in + 48 * (size_t)i, out + 32 * (size_t)nevents++);
    if (ps->dup >= 0) close(ps->dup);
  }
  if (set.ep >= 0) close(set.ep);
  free(set.subs);
  free(set.events);
  if (!nevents) return wasi_trap_interrupted(c); /* only an interrupt ends a wait with nothing ready */
  memcpy(pn, &nevents, 4);
  RET(WASI_ESUCCESS);
}

/* ---- linking ------------------------------------------------------------------------- */

typedef struct wasi_func {
  const char *name;
  const char *sig;             /* 'i' i32, 'I' i64; ">i" returns an errno */
  rt_host_fn fn;
} wasi_func;

static const wasi_func wasi_funcs[] = {
  {"args_get", "ii>i", args_get},
  {"args_sizes_get", "ii>i", args_sizes_get},
  {"environ_get", "ii>i", environ_get},
  {"environ_sizes_get", "ii>i", environ_sizes_get},
  {"clock_res_get", "ii>i", clock_res_get},
  {"clock_time_get", "iIi>i", clock_time_get},
  {"random_get", "ii>i", random_get},
  {"proc_exit", "i>", proc_exit},
  {"proc_raise", "i>i", proc_raise},
  {"sched_yield", ">i", sched_yield_},
  {"poll_oneoff", "iiii>i", poll_oneoff},
#define WASI_ENTRY(name, sig) {#name, sig, wasi_##name},
  WASI_FS_FUNCS(WASI_ENTRY)
  WASI_SOCK_FUNCS(WASI_ENTRY)
#undef WASI_ENTRY
};

static bool sig_matches(const char *sig, const wm_functype *ft) {
  const char *gt = strchr(sig, '>');
  uint32_t np = (uint32_t)(gt - sig), nr = (uint32_t)strlen(gt + 1);
  if (ft->nparams != np || ft->nresults != nr) return false;
  for (uint32_t i = 0; i < np; i++)
    if (wm_functype_params(ft)[i] != (sig[i] == 'I' ? WASM_I64 : WASM_I32)) return false;
  for (uint32_t i = 0; i < nr; i++)
    if (wm_functype_results(ft)[i] != (gt[1 + i] == 'I' ? WASM_I64 : WASM_I32)) return false;
  return true;
}

bool wasi_link_import(wasi_ctx *w, wrun_store *s, const wm_module *m, uint32_t i, rt_extern *out,
                      rt_error *err) {
  const wm_import *im = &m->imports[i];
  if (strcmp(im->module.ptr, "wasi_snapshot_preview1") != 0)
    return rt_error_at(err, WRUN_ERR_LINK, im->offset, "unknown import \"%s\" \"%s\": wrun provides only wasi_snapshot_preview1",
                         im->module.ptr, im->field.ptr);
  const wasi_func *wf = NULL;
  for (size_t k = 0; k < sizeof wasi_funcs / sizeof wasi_funcs[0]; k++)
    if (strcmp(wasi_funcs[k].name, im->field.ptr) == 0) wf = &wasi_funcs[k];
  if (!wf || im->kind != WASM_EXTERN_FUNC)
    return rt_error_at(err, WRUN_ERR_LINK, im->offset, "unknown import \"%s\" \"%s\": not a WASI function wrun provides",
                         im->module.ptr, im->field.ptr);
  const wm_functype *ft = wm_module_func_type(m, im->index);
  if (!sig_matches(wf->sig, ft))
    return rt_error_at(err, WRUN_ERR_LINK, im->offset, "incompatible import type: \"%s\" \"%s\" has the wrong signature",
                         im->module.ptr, im->field.ptr);
  char name[96];
  snprintf(name, sizeof name, "wasi:%s", wf->name);
  wrun_func *f = rt_func_new_host(s, ft, wf->fn, w, name);
  if (!f) return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
  out->kind = WASM_EXTERN_FUNC;
  out->of.func = f;
  return true;
}

bool wasi_link(wasi_ctx *w, wrun_store *s, const wm_module *m, rt_extern *imports, rt_error *err) {
  for (uint32_t i = 0; i < m->nimports; i++)
    if (!wasi_link_import(w, s, m, i, &imports[i], err)) return false;
  return true;
}
