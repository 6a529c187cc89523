/*
 * wasi.h — WASI preview 1 (`wasi_snapshot_preview1`) for wrun: the host
 * functions a guest imports, and the capability context they run against.
 *
 * Deny by default: the guest sees exactly the arguments and environment in its
 * wasi_config, the three standard streams, and the directories preopened for
 * it. Every path is resolved beneath one of those preopens by one resolver
 * (wasi_path.c) that walks it a component at a time with O_PATH|O_NOFOLLOW,
 * expands symlinks itself and makes the final call on a single name without
 * following, so `..`, absolute paths and symlinks that point outside are
 * refused (NOTCAPABLE) on any kernel, also when swapped in under a race;
 * openat2 RESOLVE_BENEATH is only a fast path for opening. WRUN_TEST_NO_OPENAT2=1
 * in the environment (test-only, read by wasi_new) forces the walk.
 *
 * Ownership: a wasi_ctx is owned by its creator, borrows nothing from the
 * config after wasi_new returns, and must outlive the store whose host
 * functions were made from it.
 */
#ifndef WRUN_WASI_WASI_H
#define WRUN_WASI_WASI_H

#include <stdbool.h>
#include <stdint.h>

#include "common/error.h"
#include "runtime/runtime.h"

typedef struct wasi_preopen {
  const char *host_path;   /* directory on the host */
  const char *guest_path;  /* name the guest sees, e.g. "/" or "data" */
  bool readonly;           /* no writes, creates, renames or removals beneath it */
} wasi_preopen;

typedef struct wasi_config {
  int nlisten;
  const char **listen;     /* --tcplisten ADDR:PORT: sockets preopened for sock_accept */
  int argc;
  char **argv;             /* argv[0] is the program name the guest sees */
  int envc;
  char **env;              /* "NAME=VALUE" strings */
  int npreopens;
  wasi_preopen *preopens;
  bool interruptible;      /* wasi_interrupt may be called (--timeout): blocking reads and writes
                              then wait on the event loop; without it they may sleep in the
                              kernel, which is a little faster */
  unsigned closed_stdio;   /* bit i: the host had descriptor i (0-2) closed; the guest's
                              descriptor i is then closed too (EBADF), whatever now holds
                              the host's slot */
  unsigned redirected_stdio; /* bit i: the guest's descriptor i is host descriptor stdio_fd[i]
                                (an embedder's redirection, wrun.h; the caller keeps it open
                                while the context lives and closes it after wasi_free) */
  int stdio_fd[3];
} wasi_config;

typedef struct wasi_ctx wasi_ctx;

/* Creates a context: copies the config, opens the preopened directories.
 * Returns NULL with an IO error naming the directory that could not be opened. */
wasi_ctx *wasi_new(const wasi_config *cfg, rt_error *err);

/* Ends every wait of a blocking host call (poll_oneoff, reads and writes of
 * pipes, terminals and sockets, sock_accept/recv/send), now and from then on:
 * the call returns a WRUN_TRAP_TIMEOUT trap ("wall-clock timeout"). Safe to
 * call from another thread (the --timeout watchdog) while the guest runs. */
void wasi_interrupt(wasi_ctx *w);

/* Makes a context made without preopens or listening sockets as wasi_new
 * left it, for the next instance that uses it (`wrun serve` per request):
 * closes every descriptor the guest opened, restores the standard streams
 * (numbers, rights, flags) and clears an interrupt. The arguments and the
 * environment never change. False, doing nothing, for a context with
 * preopens or listeners. Not while a call runs. */
bool wasi_reset(wasi_ctx *w);

/* Closes every file the guest still has open and frees the context. */
void wasi_free(wasi_ctx *w);

/* Resolves the module's `wasi_snapshot_preview1` imports to host functions in
 * store `s`, writing one extern per import into `imports` (in import order).
 * Fails with a LINK error naming the first import that is not a WASI function
 * wrun provides (or whose type differs). */
bool wasi_link(wasi_ctx *w, wrun_store *s, const wm_module *m, rt_extern *imports, rt_error *err);

/* The same for import `i` alone (an embedder that provides other modules'
 * imports itself, such as `wrun serve`'s http_handler). */
bool wasi_link_import(wasi_ctx *w, wrun_store *s, const wm_module *m, uint32_t i, rt_extern *out,
                      rt_error *err);

#endif
