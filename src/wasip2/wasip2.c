/*
 * wasip2.c — the WASI 0.2 host functions (wasip2.h): cli, io, clocks and
 * random on the host's standard streams and clocks.
 *
 * Representations: a stream handle's rep is the host descriptor (0 stdin,
 * 1 stdout, 2 stderr) — streams are never closed on the host, dropping one
 * only forgets the handle, so host stdio stays the host's; a terminal
 * handle's rep is its descriptor too; an error's rep is the errno it reports;
 * a pollable's rep indexes the context's pollable table (freed by its drop).
 * Waits never change descriptor flags: poll(2) in slices of at most
 * WP2_SLICE_MS, checking the interrupt flag between slices, and pure timer
 * waits on the preview-1 context's loop (which wasi_interrupt wakes).
 */
#include "wasip2/wasip2.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

#include "common/grow.h"
#include "wasi/wasi_impl.h"

#define WP2_VERSION "@0.2.6"
#define WP2_SLICE_MS 50
#define WP2_MAX_READ (64u * 1024u)   /* bytes one read returns at most */
#define WP2_WRITE_BUDGET 4096u       /* what check-write grants */
#define WP2_MAX_POLLABLES 65536u

typedef enum { PK_FREE, PK_READY, PK_FD_IN, PK_FD_OUT, PK_TIME } pollable_kind;
typedef struct pollable { pollable_kind kind; int fd; uint64_t deadline; } pollable;

struct wp2_ctx {
  wp2_config cfg;
  const wc_resource_type *rt_in, *rt_out, *rt_err, *rt_poll, *rt_tin, *rt_tout;
  pollable *polls;
  uint32_t npolls, cap;
  bool exited;
  int exit_code;
};

/* ---- small helpers -------------------------------------------------------- */

static uint64_t mono_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec;
}

static bool interrupted(const wp2_ctx *p) { return p->cfg.interrupt && wasi_is_interrupted(p->cfg.interrupt); }

static bool trap_timeout(wc_trap *trap) {
  trap->trapped = true;
  snprintf(trap->msg, sizeof trap->msg, "wall-clock timeout");
  return false;
}

static bool trap_oom(wc_trap *trap) {
  trap->trapped = true;
  snprintf(trap->msg, sizeof trap->msg, "out of host memory");
  return false;
}

static bool stdio_closed(const wp2_ctx *p, int fd) { return fd <= 2 && (p->cfg.closed_stdio >> fd) & 1u; }

static wc_value *vals(wc_arena *a, size_t n) { return wc_arena_alloc(a, (n ? n : 1) * sizeof(wc_value)); }

static wc_value own(const wc_resource_type *rt, uint32_t rep) {
  return (wc_value){.kind = WC_V_OWN, .u.handle = {rt, rep}};
}

static wc_value variant(uint32_t index, wc_value *payload) {
  return (wc_value){.kind = WC_V_VARIANT, .u.var = {index, payload}};
}

/* result<T, stream-error>: ok(payload) or the error for errno `e` (EPIPE,
 * EBADF and end of stream, e == 0, are `closed`). */
static bool stream_result(wp2_ctx *p, wc_arena *a, wc_value *out, bool ok, wc_value *payload, int e,
                          wc_trap *trap) {
  if (ok) { *out = variant(0, payload); return true; }
  wc_value *se = vals(a, 2);
  if (!se) return trap_oom(trap);
  if (e == 0 || e == EPIPE || e == EBADF) {
    se[0] = variant(1, NULL);
  } else {
    se[1] = own(p->rt_err, (uint32_t)e);
    se[0] = variant(0, &se[1]);
  }
  *out = variant(1, se);
  return true;
}

static wc_value *u8_list(wc_arena *a, const uint8_t *b, size_t n, wc_value *out) {
  wc_value *v = vals(a, n);
  if (!v) return NULL;
  for (size_t i = 0; i < n; i++) v[i] = (wc_value){.kind = WC_V_U8, .u.u = b[i]};
  *out = (wc_value){.kind = WC_V_LIST, .u.seq = {v, (uint32_t)n}};
  return v;
}

/* Waits until `fd` is ready for `events` or `deadline` (monotonic ns, 0:
 * none) passes: 1 ready, 0 deadline, -1 interrupted. Never changes the
 * descriptor's flags. */
static int wait_fd(wp2_ctx *p, int fd, short events, uint64_t deadline) {
  for (;;) {
    if (interrupted(p)) return -1;
    int ms = WP2_SLICE_MS;
    if (deadline) {
      uint64_t now = mono_ns();
      if (now >= deadline) return 0;
      if ((deadline - now) / 1000000u < (uint64_t)ms) ms = (int)((deadline - now) / 1000000u) + 1;
    }
    struct pollfd pf = {.fd = fd, .events = events};
    int r = poll(&pf, 1, p->cfg.interrupt ? ms : (deadline ? ms : -1));
    if (r > 0) return 1;
    if (r < 0 && errno != EINTR) return 1; /* let the read or write report it */
  }
}

static bool fd_ready(int fd, short events) {
  struct pollfd pf = {.fd = fd, .events = events};
  return poll(&pf, 1, 0) != 0;
}

/* ---- wasi:io/error -------------------------------------------------------- */

static bool error_to_debug_string(void *env, const wc_value *args, uint32_t nargs, wc_value *res, uint32_t nres,
                                  wc_arena *a, wc_trap *trap) {
  (void)env; (void)nargs; (void)nres; (void)a; (void)trap;
  const char *s = strerror((int)args[0].u.handle.rep);
  res[0] = (wc_value){.kind = WC_V_STRING, .u.str = {s, (uint32_t)strlen(s)}};
  return true;
}

/* ---- wasi:io/poll --------------------------------------------------------- */

static bool poll_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  wp2_ctx *p = ctx;
  if (rep < p->npolls) p->polls[rep].kind = PK_FREE;
  return true;
}

static bool new_pollable(wp2_ctx *p, pollable pl, wc_value *out, wc_trap *trap) {
  uint32_t i = 0;
  while (i < p->npolls && p->polls[i].kind != PK_FREE) i++;
  if (i == p->npolls) {
    if (p->npolls == WP2_MAX_POLLABLES) {
      trap->trapped = true;
      snprintf(trap->msg, sizeof trap->msg, "more than %u live pollables", WP2_MAX_POLLABLES);
      return false;
    }
    if (!wrun_grow((void **)&p->polls, &p->cap, p->npolls + 1, sizeof *p->polls)) return trap_oom(trap);
    p->npolls++;
  }
  p->polls[i] = pl;
  *out = own(p->rt_poll, i);
  return true;
}

static pollable *pollable_at(wp2_ctx *p, uint32_t rep, wc_trap *trap) {
  if (rep < p->npolls && p->polls[rep].kind != PK_FREE) return &p->polls[rep];
  trap->trapped = true;
  snprintf(trap->msg, sizeof trap->msg, "unknown pollable %u", rep);
  return NULL;
}

static bool pollable_is_ready(const pollable *pl) {
  switch (pl->kind) {
  case PK_TIME: return mono_ns() >= pl->deadline;
  case PK_FD_IN: return fd_ready(pl->fd, POLLIN);
  case PK_FD_OUT: return fd_ready(pl->fd, POLLOUT);
  default: return true;
  }
}

/* Blocks until one of `pls` is ready: false (trap) if interrupted. */
static bool block_any(wp2_ctx *p, pollable **pls, uint32_t n, wc_trap *trap) {
  struct pollfd fds[64];
  for (;;) {
    if (interrupted(p)) return trap_timeout(trap);
    uint64_t deadline = 0;
    uint32_t nf = 0;
    for (uint32_t i = 0; i < n; i++) {
      if (pollable_is_ready(pls[i])) return true;
      if (pls[i]->kind == PK_TIME && (!deadline || pls[i]->deadline < deadline)) deadline = pls[i]->deadline;
      if ((pls[i]->kind == PK_FD_IN || pls[i]->kind == PK_FD_OUT) && nf < 64)
        fds[nf++] = (struct pollfd){.fd = pls[i]->fd, .events = pls[i]->kind == PK_FD_IN ? POLLIN : POLLOUT};
    }
    uint64_t ms = p->cfg.interrupt ? WP2_SLICE_MS : UINT32_MAX;
    if (deadline) {
      uint64_t now = mono_ns(), left = deadline > now ? (deadline - now + 999999u) / 1000000u : 0;
      if (left < ms) ms = left;
    }
    if (nf == 0 && p->cfg.interrupt) {
      /* timers only: sleep on the loop, which the interrupt wakes */
      if (wasi_wait_ms(p->cfg.interrupt, ms ? ms : 1) != 0) return trap_timeout(trap);
    } else if (poll(fds, nf, ms > INT_MAX ? -1 : (int)ms) < 0 && errno != EINTR) {
      return true;
    }
  }
}

static bool pollable_ready(void *env, const wc_value *args, uint32_t nargs, wc_value *res, uint32_t nres,
                           wc_arena *a, wc_trap *trap) {
  (void)nargs; (void)nres; (void)a;
  pollable *pl = pollable_at(env, args[0].u.handle.rep, trap);
  if (!pl) return false;
  res[0] = (wc_value){.kind = WC_V_BOOL, .u.b = pollable_is_ready(pl)};
  return true;
}

static bool pollable_block(void *env, const wc_value *args, uint32_t nargs, wc_value *res, uint32_t nres,
                           wc_arena *a, wc_trap *trap) {
  (void)nargs; (void)res; (void)nres; (void)a;
  pollable *pl = pollable_at(env, args[0].u.handle.rep, trap);
  return pl && block_any(env, &pl, 1, trap);
}

static bool poll_poll(void *env, const wc_value *args, uint32_t nargs, wc_value *res, uint32_t nres, wc_arena *a,
                      wc_trap *trap) {
  (void)nargs; (void)nres;
  wp2_ctx *p = env;
  uint32_t n = args[0].u.seq.n;
  if (n == 0) {
    trap->trapped = true;
    snprintf(trap->msg, sizeof trap->msg, "poll: empty list of pollables");
    return false;
  }
  pollable **pls = wc_arena_alloc(a, n * sizeof *pls);
  wc_value *out = vals(a, n);
  if (!pls || !out) return trap_oom(trap);
  for (uint32_t i = 0; i < n; i++)
    if (!(pls[i] = pollable_at(p, args[0].u.seq.v[i].u.handle.rep, trap))) return false;
  if (!block_any(p, pls, n, trap)) return false;
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++)
    if (pollable_is_ready(pls[i])) out[k++] = (wc_value){.kind = WC_V_U32, .u.u = i};
  res[0] = (wc_value){.kind = WC_V_LIST, .u.seq = {out, k}};
  return true;
}

/* ---- wasi:io/streams: input ----------------------------------------------- */

/* Reads up to `len` bytes of descriptor `fd`, waiting for some if
 * `blocking`. True with *n bytes (0: end of input, or, with *e EAGAIN,
 * nothing there yet); false with *e the errno. */
static bool read_some(wp2_ctx *p, int fd, uint64_t len, bool blocking, uint8_t *buf, size_t *n, int *e,
                      wc_trap *trap) {
  *n = 0;
  *e = 0;
  if (stdio_closed(p, fd)) return true; /* e 0, n 0 with `false` below: closed */
  if (len > WP2_MAX_READ) len = WP2_MAX_READ;
  if (len == 0) return true;
  for (;;) {
    if (blocking) {
      if (wait_fd(p, fd, POLLIN, 0) < 0) return trap_timeout(trap);
    } else if (!fd_ready(fd, POLLIN)) {
      *e = EAGAIN;
      return true;
    }
    ssize_t r = read(fd, buf, (size_t)len);
    if (r >= 0) { *n = (size_t)r; return true; }
    if (errno == EINTR) continue;
    /* EAGAIN: the host's description is non-blocking and the data went to
     * another reader; wait again (or report nothing yet) */
    if (errno == EAGAIN || errno == EWOULDBLOCK) {
      if (blocking) continue;
      *e = EAGAIN;
      return true;
    }
    *e = errno;
    return false;
  }
}

static bool input_read(wp2_ctx *p, const wc_value *args, bool blocking, bool skip, wc_value *res, wc_arena *a,
                       wc_trap *trap) {
  int fd = (int)args[0].u.handle.rep;
  uint64_t len = args[1].u.u;
  uint8_t *buf = wc_arena_alloc(a, WP2_MAX_READ);
  if (!buf) return trap_oom(trap);
  size_t n;
  int e;
  trap->trapped = false;
  bool ok = read_some(p, fd, len, blocking, buf, &n, &e, trap);
  if (trap->trapped) return false;
  /* end of stream: a read of a non-zero length that returned nothing for
   * another reason than "nothing there yet" */
  bool eof = ok && n == 0 && len > 0 && e != EAGAIN;
  if (!ok || eof) return stream_result(p, a, res, false, NULL, ok ? 0 : e, trap);
  wc_value *payload = vals(a, 1);
  if (!payload) return trap_oom(trap);
  if (skip) *payload = (wc_value){.kind = WC_V_U64, .u.u = n};
  else if (!u8_list(a, buf, n, payload)) return trap_oom(trap);
  return stream_result(p, a, res, true, payload, 0, trap);
}

#define STREAM_FN(name, ...)                                                                                 \
  static bool name(void *env, const wc_value *args, uint32_t nargs, wc_value *res, uint32_t nres, wc_arena *a, \
                   wc_trap *trap) {                                                                           \
    (void)nargs; (void)nres; (void)a; (void)args; (void)res;                                                  \
    wp2_ctx *p = env;                                                                                         \
    __VA_ARGS__                                                                                               \
  }

STREAM_FN(in_read, return input_read(p, args, false, false, res, a, trap);)
STREAM_FN(in_blocking_read, return input_read(p, args, true, false, res, a, trap);)
STREAM_FN(in_skip, return input_read(p, args, false, true, res, a, trap);)
STREAM_FN(in_blocking_skip, return input_read(p, args, true, true, res, a, trap);)
STREAM_FN(in_subscribe, {
  int fd = (int)args[0].u.handle.rep;
  return new_pollable(p, (pollable){stdio_closed(p, fd) ? PK_READY : PK_FD_IN, fd, 0}, res, trap);
})

/* ---- wasi:io/streams: output ---------------------------------------------- */

/* Writes all of buf (waiting as needed): 0 or an errno; false = interrupted. */
static bool write_all(wp2_ctx *p, int fd, const uint8_t *buf, size_t n, int *e) {
  *e = 0;
  if (stdio_closed(p, fd)) { *e = EBADF; return true; }
  while (n > 0) {
    if (p->cfg.interrupt) {
      int w = wait_fd(p, fd, POLLOUT, 0);
      if (w < 0) return false;
    }
    /* with an interrupt, at most PIPE_BUF at a time: a ready pipe takes that whole */
    size_t chunk = p->cfg.interrupt && n > PIPE_BUF ? PIPE_BUF : n;
    ssize_t r = write(fd, buf, chunk);
    if (r < 0) {
      if (errno == EINTR || errno == EAGAIN) continue;
      *e = errno;
      return true;
    }
    buf += r;
    n -= (size_t)r;
  }
  return true;
}

static bool output_write(wp2_ctx *p, const wc_value *args, bool zeroes, wc_value *res, wc_arena *a,
                         wc_trap *trap) {
  int fd = (int)args[0].u.handle.rep;
  size_t n = zeroes ? (size_t)args[1].u.u : args[1].u.seq.n;
  if (zeroes && args[1].u.u > WP2_MAX_READ * 16u) {
    trap->trapped = true;
    snprintf(trap->msg, sizeof trap->msg, "write-zeroes of %llu bytes: more than check-write allowed",
             (unsigned long long)args[1].u.u);
    return false;
  }
  uint8_t *buf = wc_arena_alloc(a, n ? n : 1);
  if (!buf) return trap_oom(trap);
  for (size_t i = 0; i < n; i++) buf[i] = zeroes ? 0 : (uint8_t)args[1].u.seq.v[i].u.u;
  int e;
  if (!write_all(p, fd, buf, n, &e)) return trap_timeout(trap);
  return stream_result(p, a, res, e == 0, NULL, e, trap);
}

STREAM_FN(out_check_write, {
  int fd = (int)args[0].u.handle.rep;
  if (stdio_closed(p, fd)) return stream_result(p, a, res, false, NULL, 0, trap);
  wc_value *v = vals(a, 1);
  if (!v) return trap_oom(trap);
  *v = (wc_value){.kind = WC_V_U64, .u.u = fd_ready(fd, POLLOUT) ? WP2_WRITE_BUDGET : 0};
  return stream_result(p, a, res, true, v, 0, trap);
})
STREAM_FN(out_write, return output_write(p, args, false, res, a, trap);)
STREAM_FN(out_write_zeroes, return output_write(p, args, true, res, a, trap);)
/* Writes are made whole before they return, so flushing only reports a closed stream. */
STREAM_FN(out_flush, {
  int fd = (int)args[0].u.handle.rep;
  return stream_result(p, a, res, !stdio_closed(p, fd), NULL, 0, trap);
})
STREAM_FN(out_subscribe, {
  int fd = (int)args[0].u.handle.rep;
  return new_pollable(p, (pollable){stdio_closed(p, fd) ? PK_READY : PK_FD_OUT, fd, 0}, res, trap);
})

/* splice: read from args[1] (an input stream), write to args[0]; result<u64>. */
static bool output_splice(wp2_ctx *p, const wc_value *args, bool blocking, wc_value *res, wc_arena *a,
                          wc_trap *trap) {
  int out = (int)args[0].u.handle.rep, in = (int)args[1].u.handle.rep;
  uint64_t len = args[2].u.u;
  if (stdio_closed(p, out)) return stream_result(p, a, res, false, NULL, 0, trap);
  uint8_t *buf = wc_arena_alloc(a, WP2_MAX_READ);
  if (!buf) return trap_oom(trap);
  size_t n;
  int e;
  trap->trapped = false;
  bool ok = read_some(p, in, len, blocking, buf, &n, &e, trap);
  if (trap->trapped) return false;
  bool eof = ok && n == 0 && len > 0 && e != EAGAIN;
  if (!ok || eof) return stream_result(p, a, res, false, NULL, ok ? 0 : e, trap);
  if (!write_all(p, out, buf, n, &e)) return trap_timeout(trap);
  if (e) return stream_result(p, a, res, false, NULL, e, trap);
  wc_value *v = vals(a, 1);
  if (!v) return trap_oom(trap);
  *v = (wc_value){.kind = WC_V_U64, .u.u = n};
  return stream_result(p, a, res, true, v, 0, trap);
}
STREAM_FN(out_splice, return output_splice(p, args, false, res, a, trap);)
STREAM_FN(out_blocking_splice, return output_splice(p, args, true, res, a, trap);)

/* ---- wasi:cli ------------------------------------------------------------- */

static wc_value str_value(const char *s, size_t n) {
  return (wc_value){.kind = WC_V_STRING, .u.str = {s, (uint32_t)n}};
}

STREAM_FN(cli_get_arguments, {
  wc_value *v = vals(a, (size_t)p->cfg.argc);
  if (!v) return trap_oom(trap);
  for (int i = 0; i < p->cfg.argc; i++) v[i] = str_value(p->cfg.argv[i], strlen(p->cfg.argv[i]));
  res[0] = (wc_value){.kind = WC_V_LIST, .u.seq = {v, (uint32_t)p->cfg.argc}};
  return true;
})
STREAM_FN(cli_get_environment, {
  wc_value *v = vals(a, (size_t)p->cfg.envc * 3);
  if (!v) return trap_oom(trap);
  wc_value *pairs = v + p->cfg.envc;
  for (int i = 0; i < p->cfg.envc; i++) {
    const char *kv = p->cfg.env[i], *eq = strchr(kv, '=');
    size_t kn = eq ? (size_t)(eq - kv) : strlen(kv);
    pairs[2 * i] = str_value(kv, kn);
    pairs[2 * i + 1] = eq ? str_value(eq + 1, strlen(eq + 1)) : str_value("", 0);
    v[i] = (wc_value){.kind = WC_V_RECORD, .u.seq = {&pairs[2 * i], 2}};
  }
  res[0] = (wc_value){.kind = WC_V_LIST, .u.seq = {v, (uint32_t)p->cfg.envc}};
  return true;
})
STREAM_FN(cli_initial_cwd, { (void)p; (void)trap; res[0] = variant(0, NULL); return true; })

static bool exit_with(wp2_ctx *p, int code, wc_trap *trap) {
  p->exited = true;
  p->exit_code = code;
  trap->trapped = true;
  snprintf(trap->msg, sizeof trap->msg, "exit with status %d", code);
  return false;
}
STREAM_FN(cli_exit, return exit_with(p, args[0].u.var.index == 0 ? 0 : 1, trap);)
STREAM_FN(cli_exit_with_code, return exit_with(p, (int)(args[0].u.u & 0xff), trap);)

STREAM_FN(cli_get_stdin, { (void)trap; res[0] = own(p->rt_in, 0); return true; })
STREAM_FN(cli_get_stdout, { (void)trap; res[0] = own(p->rt_out, 1); return true; })
STREAM_FN(cli_get_stderr, { (void)trap; res[0] = own(p->rt_out, 2); return true; })

/* option<own<terminal-*>>: some only when the descriptor is a terminal. */
static bool terminal_of(wp2_ctx *p, int fd, const wc_resource_type *rt, wc_value *res, wc_arena *a,
                        wc_trap *trap) {
  if (stdio_closed(p, fd) || !isatty(fd)) { res[0] = variant(0, NULL); return true; }
  wc_value *v = vals(a, 1);
  if (!v) return trap_oom(trap);
  *v = own(rt, (uint32_t)fd);
  res[0] = variant(1, v);
  return true;
}
STREAM_FN(cli_terminal_stdin, return terminal_of(p, 0, p->rt_tin, res, a, trap);)
STREAM_FN(cli_terminal_stdout, return terminal_of(p, 1, p->rt_tout, res, a, trap);)
STREAM_FN(cli_terminal_stderr, return terminal_of(p, 2, p->rt_tout, res, a, trap);)

/* ---- wasi:clocks ---------------------------------------------------------- */

STREAM_FN(mono_now, { (void)p; (void)trap; res[0] = (wc_value){.kind = WC_V_U64, .u.u = mono_ns()}; return true; })
STREAM_FN(mono_resolution, {
  (void)p; (void)trap;
  struct timespec ts;
  clock_getres(CLOCK_MONOTONIC, &ts);
  res[0] = (wc_value){.kind = WC_V_U64, .u.u = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec};
  return true;
})
STREAM_FN(mono_subscribe_instant, return new_pollable(p, (pollable){PK_TIME, -1, args[0].u.u}, res, trap);)
STREAM_FN(mono_subscribe_duration, {
  uint64_t now = mono_ns(), d = args[0].u.u;
  return new_pollable(p, (pollable){PK_TIME, -1, d > UINT64_MAX - now ? UINT64_MAX : now + d}, res, trap);
})

static bool datetime(clockid_t id, bool resolution, wc_value *res, wc_arena *a, wc_trap *trap) {
  struct timespec ts;
  if (resolution) clock_getres(id, &ts);
  else clock_gettime(id, &ts);
  wc_value *f = vals(a, 2);
  if (!f) return trap_oom(trap);
  f[0] = (wc_value){.kind = WC_V_U64, .u.u = (uint64_t)ts.tv_sec};
  f[1] = (wc_value){.kind = WC_V_U32, .u.u = (uint64_t)ts.tv_nsec};
  res[0] = (wc_value){.kind = WC_V_RECORD, .u.seq = {f, 2}};
  return true;
}
STREAM_FN(wall_now, (void)p; return datetime(CLOCK_REALTIME, false, res, a, trap);)
STREAM_FN(wall_resolution, (void)p; return datetime(CLOCK_REALTIME, true, res, a, trap);)

/* ---- wasi:random ---------------------------------------------------------- */

static bool fill_random(uint8_t *b, size_t n, wc_trap *trap) {
  while (n > 0) {
    ssize_t r = getrandom(b, n, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      trap->trapped = true;
      snprintf(trap->msg, sizeof trap->msg, "getrandom: %s", strerror(errno));
      return false;
    }
    b += r;
    n -= (size_t)r;
  }
  return true;
}

/* Both the secure and the insecure interfaces use the kernel's generator. */
STREAM_FN(random_bytes, {
  (void)p;
  uint64_t n = args[0].u.u;
  if (n > (1u << 24)) {
    trap->trapped = true;
    snprintf(trap->msg, sizeof trap->msg, "get-random-bytes of %llu bytes: more than 16 MiB",
             (unsigned long long)n);
    return false;
  }
  uint8_t *b = wc_arena_alloc(a, n ? (size_t)n : 1);
  if (!b) return trap_oom(trap);
  if (!fill_random(b, (size_t)n, trap)) return false;
  return u8_list(a, b, (size_t)n, &res[0]) != NULL || trap_oom(trap);
})
STREAM_FN(random_u64, {
  (void)p;
  uint64_t v;
  if (!fill_random((uint8_t *)&v, sizeof v, trap)) return false;
  res[0] = (wc_value){.kind = WC_V_U64, .u.u = v};
  return true;
})
STREAM_FN(random_seed, {
  (void)p;
  uint64_t v[2];
  if (!fill_random((uint8_t *)v, sizeof v, trap)) return false;
  wc_value *f = vals(a, 2);
  if (!f) return trap_oom(trap);
  f[0] = (wc_value){.kind = WC_V_U64, .u.u = v[0]};
  f[1] = (wc_value){.kind = WC_V_U64, .u.u = v[1]};
  res[0] = (wc_value){.kind = WC_V_RECORD, .u.seq = {f, 2}};
  return true;
})

/* ---- registration --------------------------------------------------------- */

typedef struct wp2_func { const char *iface, *name; wc_host_fn fn; } wp2_func;

static const wp2_func wp2_funcs[] = {
  {"wasi:io/error", "[method]error.to-debug-string", error_to_debug_string},
  {"wasi:io/poll", "[method]pollable.ready", pollable_ready},
  {"wasi:io/poll", "[method]pollable.block", pollable_block},
  {"wasi:io/poll", "poll", poll_poll},
  {"wasi:io/streams", "[method]input-stream.read", in_read},
  {"wasi:io/streams", "[method]input-stream.blocking-read", in_blocking_read},
  {"wasi:io/streams", "[method]input-stream.skip", in_skip},
  {"wasi:io/streams", "[method]input-stream.blocking-skip", in_blocking_skip},
  {"wasi:io/streams", "[method]input-stream.subscribe", in_subscribe},
  {"wasi:io/streams", "[method]output-stream.check-write", out_check_write},
  {"wasi:io/streams", "[method]output-stream.write", out_write},
  {"wasi:io/streams", "[method]output-stream.blocking-write-and-flush", out_write},
  {"wasi:io/streams", "[method]output-stream.flush", out_flush},
  {"wasi:io/streams", "[method]output-stream.blocking-flush", out_flush},
  {"wasi:io/streams", "[method]output-stream.subscribe", out_subscribe},
  {"wasi:io/streams", "[method]output-stream.write-zeroes", out_write_zeroes},
  {"wasi:io/streams", "[method]output-stream.blocking-write-zeroes-and-flush", out_write_zeroes},
  {"wasi:io/streams", "[method]output-stream.splice", out_splice},
  {"wasi:io/streams", "[method]output-stream.blocking-splice", out_blocking_splice},
  {"wasi:cli/environment", "get-environment", cli_get_environment},
  {"wasi:cli/environment", "get-arguments", cli_get_arguments},
  {"wasi:cli/environment", "initial-cwd", cli_initial_cwd},
  {"wasi:cli/exit", "exit", cli_exit},
  {"wasi:cli/exit", "exit-with-code", cli_exit_with_code},
  {"wasi:cli/stdin", "get-stdin", cli_get_stdin},
  {"wasi:cli/stdout", "get-stdout", cli_get_stdout},
  {"wasi:cli/stderr", "get-stderr", cli_get_stderr},
  {"wasi:cli/terminal-stdin", "get-terminal-stdin", cli_terminal_stdin},
  {"wasi:cli/terminal-stdout", "get-terminal-stdout", cli_terminal_stdout},
  {"wasi:cli/terminal-stderr", "get-terminal-stderr", cli_terminal_stderr},
  {"wasi:clocks/monotonic-clock", "now", mono_now},
  {"wasi:clocks/monotonic-clock", "resolution", mono_resolution},
  {"wasi:clocks/monotonic-clock", "subscribe-instant", mono_subscribe_instant},
  {"wasi:clocks/monotonic-clock", "subscribe-duration", mono_subscribe_duration},
  {"wasi:clocks/wall-clock", "now", wall_now},
  {"wasi:clocks/wall-clock", "resolution", wall_resolution},
  {"wasi:random/random", "get-random-bytes", random_bytes},
  {"wasi:random/random", "get-random-u64", random_u64},
  {"wasi:random/insecure", "get-insecure-random-bytes", random_bytes},
  {"wasi:random/insecure", "get-insecure-random-u64", random_u64},
  {"wasi:random/insecure-seed", "insecure-seed", random_seed},
};

static bool add_resource(wc_host *h, const char *iface, const char *name, const wc_resource_type **out,
                         bool (*dtor)(void *, uint32_t, wc_trap *), void *ctx) {
  char full[96];
  snprintf(full, sizeof full, "%s%s", iface, WP2_VERSION);
  return (*out = wc_host_add_resource(h, full, name, dtor, ctx)) != NULL;
}

bool wp2_add_to_host(wp2_ctx *p, wc_host *h) {
  if (!add_resource(h, "wasi:io/streams", "input-stream", &p->rt_in, NULL, p) ||
      !add_resource(h, "wasi:io/streams", "output-stream", &p->rt_out, NULL, p) ||
      !add_resource(h, "wasi:io/error", "error", &p->rt_err, NULL, p) ||
      !add_resource(h, "wasi:io/poll", "pollable", &p->rt_poll, poll_dtor, p) ||
      !add_resource(h, "wasi:cli/terminal-input", "terminal-input", &p->rt_tin, NULL, p) ||
      !add_resource(h, "wasi:cli/terminal-output", "terminal-output", &p->rt_tout, NULL, p))
    return false;
  for (size_t i = 0; i < sizeof wp2_funcs / sizeof wp2_funcs[0]; i++) {
    char full[96];
    snprintf(full, sizeof full, "%s%s", wp2_funcs[i].iface, WP2_VERSION);
    if (!wc_host_add(h, full, wp2_funcs[i].name, wp2_funcs[i].fn, p)) return false;
  }
  return true;
}

wp2_ctx *wp2_new(const wp2_config *cfg) {
  wp2_ctx *p = calloc(1, sizeof *p);
  if (p) p->cfg = *cfg;
  return p;
}

void wp2_free(wp2_ctx *p) {
  if (!p) return;
  free(p->polls);
  free(p);
}

bool wp2_exited(const wp2_ctx *p, int *code) {
  if (p->exited) *code = p->exit_code;
  return p->exited;
}

bool wp2_interrupted(const wp2_ctx *p) { return interrupted(p); }
