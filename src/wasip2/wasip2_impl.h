/*
 * wasip2_impl.h — what the files of the WASI 0.2 host share (internal to
 * src/wasip2): the context, handle tables, streams and pollables, value
 * helpers, and the registration of one interface's functions.
 *
 * One file per interface family: io.c (wasi:io error, poll, streams), cli.c
 * (wasi:cli, wasi:clocks, wasi:random); filesystem, sockets and http add their
 * own file with a `wp2_add_NAME(p, h)` called from wasip2.c and their state
 * behind their own pointer in wp2_ctx. A new file is a row of wasip2.c's
 * `families` (the wasi: packages it serves, the families its types `use`)
 * and a WP2_* bit (wasip2.h): a component gets the file's interfaces only
 * when it imports one of those packages.
 *
 * Handles: every resource the host implements is a wc_host resource type whose
 * rep indexes a wp2_table of heap objects (or, for wasi:io/error, is the errno).
 * Streams are one type for every source: the host's stdio (never closed by
 * the host), a descriptor the stream owns (files, sockets, pipes), read or
 * written at a position (files) or not.
 */
#ifndef WRUN_WASIP2_IMPL_H
#define WRUN_WASIP2_IMPL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "wasip2/wasip2.h"

#define WP2_VERSION "@0.2.6"  /* the version interfaces are registered under (semver matching serves 0.2.N) */
#define WP2_SLICE_MS 50       /* longest wait before the interrupt flag is checked again */
#define WP2_MAX_READ (64u * 1024u)   /* bytes one read returns at most */
#define WP2_WRITE_BUDGET 4096u       /* what check-write grants a ready stream */
#define WP2_MAX_HANDLES 65536u       /* live objects per table */

/* ---- handle tables -------------------------------------------------------- */

/* Live heap objects by rep; a freed slot is reused. Each table's objects are
 * owned by the table's user, which frees them when the guest drops the handle
 * (and in its cleanup, for those still live at wp2_free). */
typedef struct wp2_table { void **items; uint32_t n, cap; const char *what; } wp2_table;

/* Stores `obj` and returns its rep in *rep; false with a trap (table full or
 * out of memory). */
bool wp2_table_add(wp2_table *t, void *obj, uint32_t *rep, wc_trap *trap);
/* The object at `rep`, or NULL with a trap "unknown WHAT REP". */
void *wp2_table_get(const wp2_table *t, uint32_t rep, wc_trap *trap);
/* Removes and returns the object at `rep` (NULL if none). */
void *wp2_table_take(wp2_table *t, uint32_t rep);
/* Frees the slot array (not the objects). */
void wp2_table_free(wp2_table *t);

/* ---- streams -------------------------------------------------------------- */

/* A stream whose bytes come from or go to the host program itself rather than
 * a descriptor (HTTP bodies: http.c). The stream's `fd` is then only what a
 * wait polls (-1: none, readiness is re-checked every millisecond). */
typedef struct wp2_host_io {
  /* input: up to cap bytes into buf; returns the count (> 0), 0 at the end of
   * the stream, -EAGAIN when nothing is there yet, another -errno on failure */
  long (*read)(void *arg, uint8_t *buf, size_t cap);
  /* output: takes all n bytes; 0, or an errno (EPIPE: the reader is gone, the
   * guest sees stream-error.closed) */
  int (*write)(void *arg, const uint8_t *buf, size_t n);
  /* whether a read would not give -EAGAIN (a subscription's readiness); NULL: always */
  bool (*ready)(void *arg);
  /* a subscription's pollable holds `arg` from retain until it is freed
   * (release); both NULL when `arg` outlives its streams' pollables anyway */
  void (*retain)(void *arg);
  void (*release)(void *arg);
} wp2_host_io;

typedef struct wp2_stream {
  int fd;            /* host descriptor */
  bool owns_fd;      /* close it when the stream is dropped (stdio: never) */
  bool stdio;        /* one of the host's standard streams (0, 1, 2): honours closed_stdio */
  bool positioned;   /* read/write at `offset` (pread/pwrite) and advance it: file streams */
  bool append;       /* writes go to the end of the file (positioned streams) */
  bool socket;       /* send with MSG_NOSIGNAL: a closed peer is stream-error.closed, not SIGPIPE */
  bool closed;       /* reads give end of stream, writes `closed` (e.g. after a socket shutdown) */
  uint64_t offset;
  const wp2_host_io *hio;  /* non-NULL: a host stream (above), `hio_arg` its argument */
  void *hio_arg;
  /* Called when the stream is dropped (after its descriptor is closed if owned),
   * for owners that count their child streams. May be NULL. */
  void (*on_drop)(void *owner, struct wp2_stream *s);
  void *owner;
} wp2_stream;

/* Makes a new input or output stream handle from `s` (copied); false with a
 * trap. If it fails and s->owns_fd, the descriptor is closed. */
bool wp2_new_input_stream(wp2_ctx *p, const wp2_stream *s, wc_value *out, wc_trap *trap);
bool wp2_new_output_stream(wp2_ctx *p, const wp2_stream *s, wc_value *out, wc_trap *trap);

/* ---- pollables ------------------------------------------------------------ */

typedef enum { PK_READY, PK_FD_IN, PK_FD_OUT, PK_TIME, PK_CUSTOM } wp2_pollable_kind;
typedef struct wp2_pollable {
  wp2_pollable_kind kind;
  int fd;             /* PK_FD_*: wait for it; PK_CUSTOM: also waited on if >= 0 (with `events`) */
  short events;       /* PK_CUSTOM's poll(2) events */
  uint64_t deadline;  /* PK_TIME: monotonic ns */
  /* PK_CUSTOM: readiness decided by the owner (e.g. an HTTP response arriving) */
  bool (*ready)(void *arg);
  void *arg;
  /* PK_CUSTOM: called with `arg` when the pollable is freed (the owner may
   * hold a reference for it; may be NULL) */
  void (*release)(void *arg);
} wp2_pollable;

/* Makes a new pollable handle (copied from pl); false with a trap (pl->release
 * has then been called). */
bool wp2_new_pollable(wp2_ctx *p, const wp2_pollable *pl, wc_value *out, wc_trap *trap);

/* ---- the context ---------------------------------------------------------- */

struct wp2_fs;
struct wp2_sockets;
struct wp2_http;

/* fn(p, final): frees the objects the guest left; with `final` (wp2_free)
 * also the file's state, without (wp2_reset) it keeps that for the next
 * instance (its resource types, settings and empty tables). */
typedef struct wp2_cleanup { void (*fn)(wp2_ctx *p, bool final); struct wp2_cleanup *next; } wp2_cleanup;

struct wp2_ctx {
  wp2_config cfg;
  const wc_resource_type *rt_in, *rt_out, *rt_err, *rt_poll, *rt_tin, *rt_tout;
  wp2_table streams;    /* wp2_stream (input and output) */
  wp2_table polls;      /* wp2_pollable */
  struct wp2_fs *fs;          /* filesystem.c's state (NULL until it is added) */
  struct wp2_sockets *sockets;
  struct wp2_http *http;
  wp2_cleanup *cleanups;      /* run by wp2_free and wp2_reset, newest first */
  unsigned added;             /* the wp2_family bits (wasip2.h) added to the host so far */
  const wc_component *only;   /* during wp2_add_imports: register only functions of interfaces it imports */
  bool exited;
  int exit_code;
};

/* Runs `fn(p)` in wp2_free (before the tables are freed). False when out of memory. */
bool wp2_at_free(wp2_ctx *p, void (*fn)(wp2_ctx *p, bool final));

/* ---- registration --------------------------------------------------------- */

/* Every host function has a component-level type, and instantiation refuses
 * (LINK error naming the first difference) a guest whose import declares any
 * other: the implementations may rely on args[] having exactly that shape
 * (args[1].u.seq for a list<u8>, own/borrow handles of the named resource
 * type, ...) and need no checks of their own on the kinds of values.
 *
 * How an interface file adds functions:
 *  1. its resources: wp2_add_resource(p, h, IFACE, "name", &rt, dtor), which
 *     also makes "name" a type name of IFACE;
 *  2. its named types as WIT-like text, one wp2_types row per interface
 *     (syntax: component/htypes.h), registered with wp2_define:
 *       {"wasi:io/streams", "use wasi:io/error.{error}; use wasi:io/poll.{pollable};\n"
 *                           "variant stream-error { last-operation-failed(error), closed }"}
 *     `use` names an interface registered before (its version may be left out);
 *  3. one wp2_func row per function, with its signature (`self` is the
 *     explicit first parameter of methods, as in the component binary):
 *       {"wasi:io/streams", "[method]output-stream.write", out_write,
 *        "func(self: borrow<output-stream>, contents: list<u8>) -> result<_, stream-error>"}
 *     registered with wp2_register.
 * A row without a signature (sig NULL) or with one that does not parse makes
 * wp2_register fail, and with it the whole WASI host: `wrun` then prints
 * "host function IFACE NAME: no type signature ..." for every component
 * importing that interface (wp2_add_imports parses only those; the C API and
 * the shim, wp2_add_to_host, parse all). */
typedef struct wp2_func { const char *iface, *name; wc_host_fn fn; const char *sig; } wp2_func;
typedef struct wp2_types { const char *iface, *defs; } wp2_types;

/* Registers funcs[0..n) (iface without version; WP2_VERSION is appended) with env p;
 * false (wc_host_error says why) on a missing or bad signature. */
bool wp2_register(wp2_ctx *p, wc_host *h, const wp2_func *funcs, size_t n);
/* Registers the named types of interfaces (iface without version). */
bool wp2_define(wc_host *h, const wp2_types *types, size_t n);
/* Registers resource type `name` of `iface` (without version) with dtor(p, rep). */
bool wp2_add_resource(wp2_ctx *p, wc_host *h, const char *iface, const char *name, const wc_resource_type **out,
                      bool (*dtor)(void *ctx, uint32_t rep, wc_trap *trap));

bool wp2_add_io(wp2_ctx *p, wc_host *h);
bool wp2_add_cli(wp2_ctx *p, wc_host *h);
bool wp2_add_filesystem(wp2_ctx *p, wc_host *h);
bool wp2_add_sockets(wp2_ctx *p, wc_host *h);  /* sockets.c */
bool wp2_add_http(wp2_ctx *p, wc_host *h);  /* http.c */

/* ---- shared helpers ------------------------------------------------------- */

uint64_t wp2_mono_ns(void);
bool wp2_interrupted_now(const wp2_ctx *p);
/* Fill `trap` and return false. */
bool wp2_trap(wc_trap *trap, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
bool wp2_trap_timeout(wc_trap *trap);
bool wp2_trap_oom(wc_trap *trap);

/* Waits until `fd` is ready for `events` or `deadline` (monotonic ns, 0:
 * none) passes: 1 ready, 0 deadline, -1 interrupted. Never changes the
 * descriptor's flags. */
int wp2_wait_fd(wp2_ctx *p, int fd, short events, uint64_t deadline);
bool wp2_fd_ready(int fd, short events);

/* result<T, stream-error>: ok(payload) or the error for errno `e` (EPIPE,
 * EBADF and end of stream, e == 0, are `closed`). */
bool wp2_stream_result(wp2_ctx *p, wc_arena *a, wc_value *out, bool ok, wc_value *payload, int e, wc_trap *trap);

static inline wc_value *wp2_vals(wc_arena *a, size_t n) { return wc_arena_alloc(a, (n ? n : 1) * sizeof(wc_value)); }
static inline wc_value wp2_own(const wc_resource_type *rt, uint32_t rep) {
  return (wc_value){.kind = WC_V_OWN, .u.handle = {rt, rep}};
}
static inline wc_value wp2_variant(uint32_t index, wc_value *payload) {
  return (wc_value){.kind = WC_V_VARIANT, .u.var = {index, payload}};
}
static inline wc_value wp2_str(const char *s, size_t n) {
  return (wc_value){.kind = WC_V_STRING, .u.str = {s, (uint32_t)n}};
}
/* A list<u8> of b[0..n) in `a` written to *out; NULL when out of memory. */
wc_value *wp2_u8_list(wc_arena *a, const uint8_t *b, size_t n, wc_value *out);

/* Host function signature shorthand for the interface files. */
#define WP2_FN(name)                                                                                   \
  static bool name(void *env, const wc_value *args, uint32_t nargs, wc_value *res, uint32_t nres,      \
                   wc_arena *a, wc_trap *trap)
/* Silences the unused parameters of a WP2_FN body. */
#define WP2_UNUSED (void)env, (void)args, (void)nargs, (void)res, (void)nres, (void)a, (void)trap

#endif
