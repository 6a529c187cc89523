/*
 * io.c — wasi:io for the WASI 0.2 host: error, poll (pollables of
 * descriptors, timers and owner-decided readiness) and streams (input and
 * output streams over any descriptor: stdio, files at a position, sockets,
 * pipes).
 *
 * Waits never change descriptor flags: poll(2) in slices of at most
 * WP2_SLICE_MS, checking the interrupt flag between slices, and pure timer
 * waits on the preview-1 context's loop (which wasi_interrupt wakes).
 */
#include "wasip2/wasip2_impl.h"

#include <errno.h>
#include <limits.h>
#include <poll.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

/* ---- wasi:io/error -------------------------------------------------------- */

/* An error's rep is the errno it reports: nothing to free. */
WP2_FN(error_to_debug_string) {
  WP2_UNUSED;
  const char *s = strerror((int)args[0].u.handle.rep);
  res[0] = wp2_str(s, strlen(s));
  return true;
}

/* ---- wasi:io/poll --------------------------------------------------------- */

static void pollable_free(wp2_pollable *pl) {
  if (pl && pl->release) pl->release(pl->arg);
  free(pl);
}

static bool poll_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  pollable_free(wp2_table_take(&((wp2_ctx *)ctx)->polls, rep));
  return true;
}

bool wp2_new_pollable(wp2_ctx *p, const wp2_pollable *pl, wc_value *out, wc_trap *trap) {
  wp2_pollable *o = malloc(sizeof *o);
  if (!o) {
    if (pl->release) pl->release(pl->arg);
    return wp2_trap_oom(trap);
  }
  *o = *pl;
  uint32_t rep;
  if (!wp2_table_add(&p->polls, o, &rep, trap)) { pollable_free(o); return false; }
  *out = wp2_own(p->rt_poll, rep);
  return true;
}

static bool pollable_is_ready(const wp2_pollable *pl) {
  switch (pl->kind) {
  case PK_TIME: return wp2_mono_ns() >= pl->deadline;
  case PK_FD_IN: return wp2_fd_ready(pl->fd, POLLIN);
  case PK_FD_OUT: return wp2_fd_ready(pl->fd, POLLOUT);
  case PK_CUSTOM: return pl->ready(pl->arg);
  default: return true;
  }
}

/* Blocks until one of `pls` is ready: false (trap) if interrupted. */
static bool block_any(wp2_ctx *p, wp2_pollable **pls, uint32_t n, wc_trap *trap) {
  struct pollfd fds[64];
  for (;;) {
    if (wp2_interrupted_now(p)) return wp2_trap_timeout(trap);
    uint64_t deadline = 0;
    uint32_t nf = 0;
    bool custom = false;
    for (uint32_t i = 0; i < n; i++) {
      wp2_pollable *pl = pls[i];
      if (pollable_is_ready(pl)) return true;
      if (pl->kind == PK_TIME && (!deadline || pl->deadline < deadline)) deadline = pl->deadline;
      if (pl->kind == PK_CUSTOM) custom = true;
      int fd = pl->fd;
      short ev = pl->kind == PK_FD_IN ? POLLIN : pl->kind == PK_FD_OUT ? POLLOUT : pl->events;
      if ((pl->kind == PK_FD_IN || pl->kind == PK_FD_OUT || (pl->kind == PK_CUSTOM && fd >= 0)) && nf < 64)
        fds[nf++] = (struct pollfd){.fd = fd, .events = ev};
    }
    /* custom readiness without a descriptor is re-checked every slice */
    uint64_t ms = p->cfg.interrupt || custom ? WP2_SLICE_MS : UINT32_MAX;
    if (custom && nf == 0) ms = 1;
    if (deadline) {
      uint64_t now = wp2_mono_ns(), left = deadline > now ? (deadline - now + 999999u) / 1000000u : 0;
      if (left < ms) ms = left;
    }
    if (nf == 0 && p->cfg.interrupt) {
      /* timers only: sleep on the loop, which the interrupt wakes */
      if (wasi_wait_ms(p->cfg.interrupt, ms ? ms : 1) != 0) return wp2_trap_timeout(trap);
    } else if (poll(fds, nf, ms > INT_MAX ? -1 : (int)ms) < 0 && errno != EINTR) {
      return true;
    }
  }
}

WP2_FN(pollable_ready) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  wp2_pollable *pl = wp2_table_get(&p->polls, args[0].u.handle.rep, trap);
  if (!pl) return false;
  res[0] = (wc_value){.kind = WC_V_BOOL, .u.b = pollable_is_ready(pl)};
  return true;
}

WP2_FN(pollable_block) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  wp2_pollable *pl = wp2_table_get(&p->polls, args[0].u.handle.rep, trap);
  return pl && block_any(p, &pl, 1, trap);
}

WP2_FN(poll_poll) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  uint32_t n = args[0].u.seq.n;
  if (n == 0) return wp2_trap(trap, "poll: empty list of pollables");
  wp2_pollable **pls = wc_arena_alloc(a, n * sizeof *pls);
  wc_value *out = wp2_vals(a, n);
  if (!pls || !out) return wp2_trap_oom(trap);
  for (uint32_t i = 0; i < n; i++)
    if (!(pls[i] = wp2_table_get(&p->polls, args[0].u.seq.v[i].u.handle.rep, trap))) return false;
  if (!block_any(p, pls, n, trap)) return false;
  uint32_t k = 0;
  for (uint32_t i = 0; i < n; i++)
    if (pollable_is_ready(pls[i])) out[k++] = (wc_value){.kind = WC_V_U32, .u.u = i};
  res[0] = (wc_value){.kind = WC_V_LIST, .u.seq = {out, k}};
  return true;
}

/* ---- streams: the table --------------------------------------------------- */

static void stream_release(wp2_stream *s) {
  if (s->owns_fd && s->fd >= 0) close(s->fd);
  if (s->on_drop) s->on_drop(s->owner, s);
  free(s);
}

static bool stream_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  wp2_stream *s = wp2_table_take(&((wp2_ctx *)ctx)->streams, rep);
  if (s) stream_release(s);
  return true;
}

static bool new_stream(wp2_ctx *p, const wp2_stream *s, const wc_resource_type *rt, wc_value *out, wc_trap *trap) {
  wp2_stream *o = malloc(sizeof *o);
  if (!o) {
    if (s->owns_fd) close(s->fd);
    return wp2_trap_oom(trap);
  }
  *o = *s;
  uint32_t rep;
  if (!wp2_table_add(&p->streams, o, &rep, trap)) {
    o->on_drop = NULL; /* never handed out */
    stream_release(o);
    return false;
  }
  *out = wp2_own(rt, rep);
  return true;
}

bool wp2_new_input_stream(wp2_ctx *p, const wp2_stream *s, wc_value *out, wc_trap *trap) {
  return new_stream(p, s, p->rt_in, out, trap);
}

bool wp2_new_output_stream(wp2_ctx *p, const wp2_stream *s, wc_value *out, wc_trap *trap) {
  return new_stream(p, s, p->rt_out, out, trap);
}

/* A stream that gives end of stream / `closed`: the host's stdio the user
 * started wrun with closed, or one closed by its owner. */
static bool stream_closed(const wp2_ctx *p, const wp2_stream *s) {
  return s->closed || (s->stdio && s->fd <= 2 && ((p->cfg.closed_stdio >> s->fd) & 1u));
}

/* ---- streams: input ------------------------------------------------------- */

/* A host stream's pollable: the owner's readiness, plus its descriptor if any. */
static wp2_pollable host_pollable(const wp2_stream *s) {
  if (!s->hio->ready) return (wp2_pollable){.kind = PK_READY, .fd = -1};
  return (wp2_pollable){.kind = PK_CUSTOM, .fd = s->fd, .events = POLLIN, .ready = s->hio->ready, .arg = s->hio_arg};
}

/* host_pollable for a pollable handle: it holds the owner's object. */
static wp2_pollable host_subscription(const wp2_stream *s) {
  wp2_pollable pl = host_pollable(s);
  if (pl.kind == PK_CUSTOM && s->hio->retain) {
    s->hio->retain(s->hio_arg);
    pl.release = s->hio->release;
  }
  return pl;
}

/* read_some for a host stream (wp2_host_io). */
static bool host_read(wp2_ctx *p, wp2_stream *s, uint64_t len, bool blocking, uint8_t *buf, size_t *n, int *e,
                      wc_trap *trap) {
  for (;;) {
    long r = s->hio->read(s->hio_arg, buf, (size_t)len);
    if (r >= 0) { *n = (size_t)r; return true; }
    if (r != -EAGAIN) { *e = (int)-r; return false; }
    if (!blocking) { *e = EAGAIN; return true; }
    wp2_pollable pl = host_pollable(s), *pp = &pl;
    if (!block_any(p, &pp, 1, trap)) return false;
  }
}

/* Reads up to `len` bytes of `s`, waiting for some if `blocking`. True with
 * *n bytes (0: end of input, or, with *e EAGAIN, nothing there yet); false
 * with *e the errno. */
static bool read_some(wp2_ctx *p, wp2_stream *s, uint64_t len, bool blocking, uint8_t *buf, size_t *n, int *e,
                      wc_trap *trap) {
  *n = 0;
  *e = 0;
  if (stream_closed(p, s)) return true;
  if (len > WP2_MAX_READ) len = WP2_MAX_READ;
  if (len == 0) return true;
  if (s->hio) return host_read(p, s, len, blocking, buf, n, e, trap);
  for (;;) {
    if (!s->positioned) {
      if (blocking) {
        if (wp2_wait_fd(p, s->fd, POLLIN, 0) < 0) return wp2_trap_timeout(trap);
      } else if (!wp2_fd_ready(s->fd, POLLIN)) {
        *e = EAGAIN;
        return true;
      }
    }
    ssize_t r = s->positioned ? pread(s->fd, buf, (size_t)len, (off_t)s->offset) : read(s->fd, buf, (size_t)len);
    if (r >= 0) {
      *n = (size_t)r;
      if (s->positioned) s->offset += (uint64_t)r;
      return true;
    }
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
  wp2_stream *s = wp2_table_get(&p->streams, args[0].u.handle.rep, trap);
  if (!s) return false;
  uint64_t len = args[1].u.u;
  uint8_t *buf = wc_arena_alloc(a, WP2_MAX_READ);
  if (!buf) return wp2_trap_oom(trap);
  size_t n;
  int e;
  trap->trapped = false;
  bool ok = read_some(p, s, len, blocking, buf, &n, &e, trap);
  if (trap->trapped) return false;
  /* end of stream: a read of a non-zero length that returned nothing for
   * another reason than "nothing there yet" */
  bool eof = ok && n == 0 && len > 0 && e != EAGAIN;
  if (!ok || eof) return wp2_stream_result(p, a, res, false, NULL, ok ? 0 : e, trap);
  wc_value *payload = wp2_vals(a, 1);
  if (!payload) return wp2_trap_oom(trap);
  if (skip) *payload = (wc_value){.kind = WC_V_U64, .u.u = n};
  else if (!wp2_u8_list(a, buf, n, payload)) return wp2_trap_oom(trap);
  return wp2_stream_result(p, a, res, true, payload, 0, trap);
}

WP2_FN(in_read) { WP2_UNUSED; return input_read(env, args, false, false, res, a, trap); }
WP2_FN(in_blocking_read) { WP2_UNUSED; return input_read(env, args, true, false, res, a, trap); }
WP2_FN(in_skip) { WP2_UNUSED; return input_read(env, args, false, true, res, a, trap); }
WP2_FN(in_blocking_skip) { WP2_UNUSED; return input_read(env, args, true, true, res, a, trap); }

/* A subscription for a stream: ready at once for closed and positioned
 * (file) streams, else when the descriptor is. */
static bool stream_subscribe(wp2_ctx *p, const wc_value *args, short events, wc_value *res, wc_trap *trap) {
  wp2_stream *s = wp2_table_get(&p->streams, args[0].u.handle.rep, trap);
  if (!s) return false;
  bool now = stream_closed(p, s) || s->positioned;
  if (s->hio && !now) {
    wp2_pollable hp = events == POLLIN ? host_subscription(s) : (wp2_pollable){.kind = PK_READY, .fd = -1};
    return wp2_new_pollable(p, &hp, res, trap);
  }
  wp2_pollable pl = {.kind = now ? PK_READY : events == POLLIN ? PK_FD_IN : PK_FD_OUT, .fd = s->fd};
  return wp2_new_pollable(p, &pl, res, trap);
}
WP2_FN(in_subscribe) { WP2_UNUSED; return stream_subscribe(env, args, POLLIN, res, trap); }

/* ---- streams: output ------------------------------------------------------ */

/* Writes all of buf (waiting as needed): 0 or an errno in *e; false = interrupted. */
static bool write_all(wp2_ctx *p, wp2_stream *s, const uint8_t *buf, size_t n, int *e) {
  *e = 0;
  if (stream_closed(p, s)) { *e = EBADF; return true; }
  if (s->hio) { /* the owner takes it whole */
    *e = n ? s->hio->write(s->hio_arg, buf, n) : 0;
    return true;
  }
  if (s->positioned && s->append) {
    off_t end = lseek(s->fd, 0, SEEK_END);
    if (end >= 0) s->offset = (uint64_t)end;
  }
  while (n > 0) {
    if (p->cfg.interrupt && !s->positioned) {
      int w = wp2_wait_fd(p, s->fd, POLLOUT, 0);
      if (w < 0) return false;
    }
    /* with an interrupt, at most PIPE_BUF at a time: a ready pipe takes that whole */
    size_t chunk = p->cfg.interrupt && !s->positioned && n > PIPE_BUF ? PIPE_BUF : n;
    ssize_t r = s->positioned ? pwrite(s->fd, buf, chunk, (off_t)s->offset)
              : s->socket     ? send(s->fd, buf, chunk, MSG_NOSIGNAL)
                              : write(s->fd, buf, chunk);
    if (r < 0) {
      if (errno == EINTR) continue;
      /* a non-blocking descriptor (a socket) that is full: wait rather than spin */
      if (errno == EAGAIN || errno == EWOULDBLOCK) {
        if (!s->positioned && wp2_wait_fd(p, s->fd, POLLOUT, 0) < 0) return false;
        continue;
      }
      *e = errno;
      return true;
    }
    if (s->positioned) s->offset += (uint64_t)r;
    buf += r;
    n -= (size_t)r;
  }
  return true;
}

static bool output_write(wp2_ctx *p, const wc_value *args, bool zeroes, wc_value *res, wc_arena *a,
                         wc_trap *trap) {
  wp2_stream *s = wp2_table_get(&p->streams, args[0].u.handle.rep, trap);
  if (!s) return false;
  size_t n = zeroes ? (size_t)args[1].u.u : args[1].u.seq.n;
  if (zeroes && args[1].u.u > WP2_MAX_READ * 16u)
    return wp2_trap(trap, "write-zeroes of %llu bytes: more than check-write allowed",
                    (unsigned long long)args[1].u.u);
  uint8_t *buf = wc_arena_alloc(a, n ? n : 1);
  if (!buf) return wp2_trap_oom(trap);
  for (size_t i = 0; i < n; i++) buf[i] = zeroes ? 0 : (uint8_t)args[1].u.seq.v[i].u.u;
  int e;
  if (!write_all(p, s, buf, n, &e)) return wp2_trap_timeout(trap);
  return wp2_stream_result(p, a, res, e == 0, NULL, e, trap);
}

WP2_FN(out_check_write) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  wp2_stream *s = wp2_table_get(&p->streams, args[0].u.handle.rep, trap);
  if (!s) return false;
  if (stream_closed(p, s)) return wp2_stream_result(p, a, res, false, NULL, 0, trap);
  wc_value *v = wp2_vals(a, 1);
  if (!v) return wp2_trap_oom(trap);
  bool ready = s->positioned || s->hio || wp2_fd_ready(s->fd, POLLOUT);
  /* a host stream takes any size: grant a read's worth so bodies move in large pieces */
  *v = (wc_value){.kind = WC_V_U64, .u.u = !ready ? 0 : s->hio ? WP2_MAX_READ : WP2_WRITE_BUDGET};
  return wp2_stream_result(p, a, res, true, v, 0, trap);
}
WP2_FN(out_write) { WP2_UNUSED; return output_write(env, args, false, res, a, trap); }
WP2_FN(out_write_zeroes) { WP2_UNUSED; return output_write(env, args, true, res, a, trap); }
/* Writes are made whole before they return, so flushing only reports a closed stream. */
WP2_FN(out_flush) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  wp2_stream *s = wp2_table_get(&p->streams, args[0].u.handle.rep, trap);
  if (!s) return false;
  return wp2_stream_result(p, a, res, !stream_closed(p, s), NULL, 0, trap);
}
WP2_FN(out_subscribe) { WP2_UNUSED; return stream_subscribe(env, args, POLLOUT, res, trap); }

/* splice: read from args[1] (an input stream), write to args[0]; result<u64>. */
static bool output_splice(wp2_ctx *p, const wc_value *args, bool blocking, wc_value *res, wc_arena *a,
                          wc_trap *trap) {
  wp2_stream *out = wp2_table_get(&p->streams, args[0].u.handle.rep, trap);
  wp2_stream *in = out ? wp2_table_get(&p->streams, args[1].u.handle.rep, trap) : NULL;
  if (!in) return false;
  uint64_t len = args[2].u.u;
  if (stream_closed(p, out)) return wp2_stream_result(p, a, res, false, NULL, 0, trap);
  uint8_t *buf = wc_arena_alloc(a, WP2_MAX_READ);
  if (!buf) return wp2_trap_oom(trap);
  size_t n;
  int e;
  trap->trapped = false;
  bool ok = read_some(p, in, len, blocking, buf, &n, &e, trap);
  if (trap->trapped) return false;
  bool eof = ok && n == 0 && len > 0 && e != EAGAIN;
  if (!ok || eof) return wp2_stream_result(p, a, res, false, NULL, ok ? 0 : e, trap);
  if (!write_all(p, out, buf, n, &e)) return wp2_trap_timeout(trap);
  if (e) return wp2_stream_result(p, a, res, false, NULL, e, trap);
  wc_value *v = wp2_vals(a, 1);
  if (!v) return wp2_trap_oom(trap);
  *v = (wc_value){.kind = WC_V_U64, .u.u = n};
  return wp2_stream_result(p, a, res, true, v, 0, trap);
}
WP2_FN(out_splice) { WP2_UNUSED; return output_splice(env, args, false, res, a, trap); }
WP2_FN(out_blocking_splice) { WP2_UNUSED; return output_splice(env, args, true, res, a, trap); }

/* ---- registration --------------------------------------------------------- */

/* Named types of the wasi:io interfaces (wasi:io@0.2 WIT), for the signatures below. */
static const wp2_types io_types[] = {
  {"wasi:io/streams", "use wasi:io/error.{error}; use wasi:io/poll.{pollable};\n"
                      "variant stream-error { last-operation-failed(error), closed }"},
};

static const wp2_func io_funcs[] = {
  {"wasi:io/error", "[method]error.to-debug-string", error_to_debug_string,
   "func(self: borrow<error>) -> string"},
  {"wasi:io/poll", "[method]pollable.ready", pollable_ready,
   "func(self: borrow<pollable>) -> bool"},
  {"wasi:io/poll", "[method]pollable.block", pollable_block,
   "func(self: borrow<pollable>)"},
  {"wasi:io/poll", "poll", poll_poll,
   "func(in: list<borrow<pollable>>) -> list<u32>"},
  {"wasi:io/streams", "[method]input-stream.read", in_read,
   "func(self: borrow<input-stream>, len: u64) -> result<list<u8>, stream-error>"},
  {"wasi:io/streams", "[method]input-stream.blocking-read", in_blocking_read,
   "func(self: borrow<input-stream>, len: u64) -> result<list<u8>, stream-error>"},
  {"wasi:io/streams", "[method]input-stream.skip", in_skip,
   "func(self: borrow<input-stream>, len: u64) -> result<u64, stream-error>"},
  {"wasi:io/streams", "[method]input-stream.blocking-skip", in_blocking_skip,
   "func(self: borrow<input-stream>, len: u64) -> result<u64, stream-error>"},
  {"wasi:io/streams", "[method]input-stream.subscribe", in_subscribe,
   "func(self: borrow<input-stream>) -> pollable"},
  {"wasi:io/streams", "[method]output-stream.check-write", out_check_write,
   "func(self: borrow<output-stream>) -> result<u64, stream-error>"},
  {"wasi:io/streams", "[method]output-stream.write", out_write,
   "func(self: borrow<output-stream>, contents: list<u8>) -> result<_, stream-error>"},
  {"wasi:io/streams", "[method]output-stream.blocking-write-and-flush", out_write,
   "func(self: borrow<output-stream>, contents: list<u8>) -> result<_, stream-error>"},
  {"wasi:io/streams", "[method]output-stream.flush", out_flush,
   "func(self: borrow<output-stream>) -> result<_, stream-error>"},
  {"wasi:io/streams", "[method]output-stream.blocking-flush", out_flush,
   "func(self: borrow<output-stream>) -> result<_, stream-error>"},
  {"wasi:io/streams", "[method]output-stream.subscribe", out_subscribe,
   "func(self: borrow<output-stream>) -> pollable"},
  {"wasi:io/streams", "[method]output-stream.write-zeroes", out_write_zeroes,
   "func(self: borrow<output-stream>, len: u64) -> result<_, stream-error>"},
  {"wasi:io/streams", "[method]output-stream.blocking-write-zeroes-and-flush", out_write_zeroes,
   "func(self: borrow<output-stream>, len: u64) -> result<_, stream-error>"},
  {"wasi:io/streams", "[method]output-stream.splice", out_splice,
   "func(self: borrow<output-stream>, src: borrow<input-stream>, len: u64) -> result<u64, stream-error>"},
  {"wasi:io/streams", "[method]output-stream.blocking-splice", out_blocking_splice,
   "func(self: borrow<output-stream>, src: borrow<input-stream>, len: u64) -> result<u64, stream-error>"},
};

/* Streams and pollables the guest never dropped (the instance is gone). */
static void io_cleanup(wp2_ctx *p, bool final) {
  (void)final; /* the tables are the context's, freed by wp2_free */
  for (uint32_t i = 0; i < p->streams.n; i++) {
    wp2_stream *s = wp2_table_take(&p->streams, i);
    if (s) { s->on_drop = NULL; stream_release(s); }
  }
  for (uint32_t i = 0; i < p->polls.n; i++) pollable_free(wp2_table_take(&p->polls, i));
}

bool wp2_add_io(wp2_ctx *p, wc_host *h) {
  return wp2_add_resource(p, h, "wasi:io/streams", "input-stream", &p->rt_in, stream_dtor) &&
         wp2_add_resource(p, h, "wasi:io/streams", "output-stream", &p->rt_out, stream_dtor) &&
         wp2_add_resource(p, h, "wasi:io/error", "error", &p->rt_err, NULL) &&
         wp2_add_resource(p, h, "wasi:io/poll", "pollable", &p->rt_poll, poll_dtor) &&
         wp2_at_free(p, io_cleanup) && wp2_define(h, io_types, sizeof io_types / sizeof io_types[0]) &&
         wp2_register(p, h, io_funcs, sizeof io_funcs / sizeof io_funcs[0]);
}
