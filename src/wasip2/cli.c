/*
 * cli.c — wasi:cli (environment, exit, stdin/stdout/stderr, terminal-*),
 * wasi:clocks (monotonic-clock, wall-clock) and wasi:random (random,
 * insecure, insecure-seed) for the WASI 0.2 host.
 *
 * The standard streams are streams over the host's descriptors 0-2 that the
 * host never closes: dropping one only forgets the handle, so host stdio stays
 * the host's. A terminal handle's rep is its descriptor.
 */
#include "wasip2/wasip2_impl.h"

#include <errno.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <time.h>
#include <unistd.h>

/* ---- wasi:cli ------------------------------------------------------------- */

WP2_FN(cli_get_arguments) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  wc_value *v = wp2_vals(a, (size_t)p->cfg.argc);
  if (!v) return wp2_trap_oom(trap);
  for (int i = 0; i < p->cfg.argc; i++) v[i] = wp2_str(p->cfg.argv[i], strlen(p->cfg.argv[i]));
  res[0] = (wc_value){.kind = WC_V_LIST, .u.seq = {v, (uint32_t)p->cfg.argc}};
  return true;
}

WP2_FN(cli_get_environment) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  wc_value *v = wp2_vals(a, (size_t)p->cfg.envc * 3);
  if (!v) return wp2_trap_oom(trap);
  wc_value *pairs = v + p->cfg.envc;
  for (int i = 0; i < p->cfg.envc; i++) {
    const char *kv = p->cfg.env[i], *eq = strchr(kv, '=');
    size_t kn = eq ? (size_t)(eq - kv) : strlen(kv);
    pairs[2 * i] = wp2_str(kv, kn);
    pairs[2 * i + 1] = eq ? wp2_str(eq + 1, strlen(eq + 1)) : wp2_str("", 0);
    v[i] = (wc_value){.kind = WC_V_RECORD, .u.seq = {&pairs[2 * i], 2}};
  }
  res[0] = (wc_value){.kind = WC_V_LIST, .u.seq = {v, (uint32_t)p->cfg.envc}};
  return true;
}

/* No initial working directory: relative paths mean nothing outside a preopen. */
WP2_FN(cli_initial_cwd) { WP2_UNUSED; res[0] = wp2_variant(0, NULL); return true; }

static bool exit_with(wp2_ctx *p, int code, wc_trap *trap) {
  p->exited = true;
  p->exit_code = code;
  return wp2_trap(trap, "exit with status %d", code);
}
WP2_FN(cli_exit) { WP2_UNUSED; return exit_with(env, args[0].u.var.index == 0 ? 0 : 1, trap); }
WP2_FN(cli_exit_with_code) { WP2_UNUSED; return exit_with(env, (int)(args[0].u.u & 0xff), trap); }

static bool stdio_stream(wp2_ctx *p, int fd, wc_value *res, wc_trap *trap) {
  /* an embedder may have redirected the stream to another descriptor */
  int real = (p->cfg.redirected_stdio >> fd) & 1u ? p->cfg.stdio_fd[fd] : fd;
  wp2_stream s = {.fd = real, .stdio = true};
  return fd == 0 ? wp2_new_input_stream(p, &s, res, trap) : wp2_new_output_stream(p, &s, res, trap);
}
WP2_FN(cli_get_stdin) { WP2_UNUSED; return stdio_stream(env, 0, res, trap); }
WP2_FN(cli_get_stdout) { WP2_UNUSED; return stdio_stream(env, 1, res, trap); }
WP2_FN(cli_get_stderr) { WP2_UNUSED; return stdio_stream(env, 2, res, trap); }

/* option<own<terminal-*>>: some only when the descriptor is a terminal. */
static bool terminal_of(wp2_ctx *p, int fd, const wc_resource_type *rt, wc_value *res, wc_arena *a,
                        wc_trap *trap) {
  int real = (p->cfg.redirected_stdio >> fd) & 1u ? p->cfg.stdio_fd[fd] : fd;
  if (((p->cfg.closed_stdio >> fd) & 1u) || !isatty(real)) { res[0] = wp2_variant(0, NULL); return true; }
  wc_value *v = wp2_vals(a, 1);
  if (!v) return wp2_trap_oom(trap);
  *v = wp2_own(rt, (uint32_t)fd);
  res[0] = wp2_variant(1, v);
  return true;
}
WP2_FN(cli_terminal_stdin) { WP2_UNUSED; wp2_ctx *p = env; return terminal_of(p, 0, p->rt_tin, res, a, trap); }
WP2_FN(cli_terminal_stdout) { WP2_UNUSED; wp2_ctx *p = env; return terminal_of(p, 1, p->rt_tout, res, a, trap); }
WP2_FN(cli_terminal_stderr) { WP2_UNUSED; wp2_ctx *p = env; return terminal_of(p, 2, p->rt_tout, res, a, trap); }

/* ---- wasi:clocks ---------------------------------------------------------- */

WP2_FN(mono_now) { WP2_UNUSED; res[0] = (wc_value){.kind = WC_V_U64, .u.u = wp2_mono_ns()}; return true; }
WP2_FN(mono_resolution) {
  WP2_UNUSED;
  struct timespec ts;
  clock_getres(CLOCK_MONOTONIC, &ts);
  res[0] = (wc_value){.kind = WC_V_U64, .u.u = (uint64_t)ts.tv_sec * 1000000000u + (uint64_t)ts.tv_nsec};
  return true;
}
WP2_FN(mono_subscribe_instant) {
  WP2_UNUSED;
  wp2_pollable pl = {.kind = PK_TIME, .fd = -1, .deadline = args[0].u.u};
  return wp2_new_pollable(env, &pl, res, trap);
}
WP2_FN(mono_subscribe_duration) {
  WP2_UNUSED;
  uint64_t now = wp2_mono_ns(), d = args[0].u.u;
  wp2_pollable pl = {.kind = PK_TIME, .fd = -1, .deadline = d > UINT64_MAX - now ? UINT64_MAX : now + d};
  return wp2_new_pollable(env, &pl, res, trap);
}

static bool datetime(clockid_t id, bool resolution, wc_value *res, wc_arena *a, wc_trap *trap) {
  struct timespec ts;
  if (resolution) clock_getres(id, &ts);
  else clock_gettime(id, &ts);
  wc_value *f = wp2_vals(a, 2);
  if (!f) return wp2_trap_oom(trap);
  f[0] = (wc_value){.kind = WC_V_U64, .u.u = (uint64_t)ts.tv_sec};
  f[1] = (wc_value){.kind = WC_V_U32, .u.u = (uint64_t)ts.tv_nsec};
  res[0] = (wc_value){.kind = WC_V_RECORD, .u.seq = {f, 2}};
  return true;
}
WP2_FN(wall_now) { WP2_UNUSED; return datetime(CLOCK_REALTIME, false, res, a, trap); }
WP2_FN(wall_resolution) { WP2_UNUSED; return datetime(CLOCK_REALTIME, true, res, a, trap); }

/* ---- wasi:random ---------------------------------------------------------- */

static bool fill_random(uint8_t *b, size_t n, wc_trap *trap) {
  while (n > 0) {
    ssize_t r = getrandom(b, n, 0);
    if (r < 0) {
      if (errno == EINTR) continue;
      return wp2_trap(trap, "getrandom: %s", strerror(errno));
    }
    b += r;
    n -= (size_t)r;
  }
  return true;
}

/* Both the secure and the insecure interfaces use the kernel's generator. */
WP2_FN(random_bytes) {
  WP2_UNUSED;
  uint64_t n = args[0].u.u;
  if (n > (1u << 24))
    return wp2_trap(trap, "get-random-bytes of %llu bytes: more than 16 MiB", (unsigned long long)n);
  uint8_t *b = wc_arena_alloc(a, n ? (size_t)n : 1);
  if (!b) return wp2_trap_oom(trap);
  if (!fill_random(b, (size_t)n, trap)) return false;
  return wp2_u8_list(a, b, (size_t)n, &res[0]) != NULL || wp2_trap_oom(trap);
}
WP2_FN(random_u64) {
  WP2_UNUSED;
  uint64_t v;
  if (!fill_random((uint8_t *)&v, sizeof v, trap)) return false;
  res[0] = (wc_value){.kind = WC_V_U64, .u.u = v};
  return true;
}
WP2_FN(random_seed) {
  WP2_UNUSED;
  uint64_t v[2];
  if (!fill_random((uint8_t *)v, sizeof v, trap)) return false;
  wc_value *f = wp2_vals(a, 2);
  if (!f) return wp2_trap_oom(trap);
  f[0] = (wc_value){.kind = WC_V_U64, .u.u = v[0]};
  f[1] = (wc_value){.kind = WC_V_U64, .u.u = v[1]};
  res[0] = (wc_value){.kind = WC_V_RECORD, .u.seq = {f, 2}};
  return true;
}

/* ---- registration --------------------------------------------------------- */

/* Named types of these interfaces (wasi:cli, wasi:clocks @0.2 WIT). */
static const wp2_types cli_types[] = {
  {"wasi:cli/stdin", "use wasi:io/streams.{input-stream}"},
  {"wasi:cli/stdout", "use wasi:io/streams.{output-stream}"},
  {"wasi:cli/stderr", "use wasi:io/streams.{output-stream}"},
  {"wasi:cli/terminal-stdin", "use wasi:cli/terminal-input.{terminal-input}"},
  {"wasi:cli/terminal-stdout", "use wasi:cli/terminal-output.{terminal-output}"},
  {"wasi:cli/terminal-stderr", "use wasi:cli/terminal-output.{terminal-output}"},
  {"wasi:clocks/monotonic-clock", "use wasi:io/poll.{pollable}; type instant = u64; type duration = u64;"},
  {"wasi:clocks/wall-clock", "record datetime { seconds: u64, nanoseconds: u32 }"},
};

static const wp2_func cli_funcs[] = {
  {"wasi:cli/environment", "get-environment", cli_get_environment,
   "func() -> list<tuple<string, string>>"},
  {"wasi:cli/environment", "get-arguments", cli_get_arguments,
   "func() -> list<string>"},
  {"wasi:cli/environment", "initial-cwd", cli_initial_cwd,
   "func() -> option<string>"},
  {"wasi:cli/exit", "exit", cli_exit,
   "func(status: result)"},
  {"wasi:cli/exit", "exit-with-code", cli_exit_with_code,
   "func(status-code: u8)"},
  {"wasi:cli/stdin", "get-stdin", cli_get_stdin,
   "func() -> input-stream"},
  {"wasi:cli/stdout", "get-stdout", cli_get_stdout,
   "func() -> output-stream"},
  {"wasi:cli/stderr", "get-stderr", cli_get_stderr,
   "func() -> output-stream"},
  {"wasi:cli/terminal-stdin", "get-terminal-stdin", cli_terminal_stdin,
   "func() -> option<terminal-input>"},
  {"wasi:cli/terminal-stdout", "get-terminal-stdout", cli_terminal_stdout,
   "func() -> option<terminal-output>"},
  {"wasi:cli/terminal-stderr", "get-terminal-stderr", cli_terminal_stderr,
   "func() -> option<terminal-output>"},
  {"wasi:clocks/monotonic-clock", "now", mono_now,
   "func() -> instant"},
  {"wasi:clocks/monotonic-clock", "resolution", mono_resolution,
   "func() -> duration"},
  {"wasi:clocks/monotonic-clock", "subscribe-instant", mono_subscribe_instant,
   "func(when: instant) -> pollable"},
  {"wasi:clocks/monotonic-clock", "subscribe-duration", mono_subscribe_duration,
   "func(when: duration) -> pollable"},
  {"wasi:clocks/wall-clock", "now", wall_now,
   "func() -> datetime"},
  {"wasi:clocks/wall-clock", "resolution", wall_resolution,
   "func() -> datetime"},
  {"wasi:random/random", "get-random-bytes", random_bytes,
   "func(len: u64) -> list<u8>"},
  {"wasi:random/random", "get-random-u64", random_u64,
   "func() -> u64"},
  {"wasi:random/insecure", "get-insecure-random-bytes", random_bytes,
   "func(len: u64) -> list<u8>"},
  {"wasi:random/insecure", "get-insecure-random-u64", random_u64,
   "func() -> u64"},
  {"wasi:random/insecure-seed", "insecure-seed", random_seed,
   "func() -> tuple<u64, u64>"},
};

bool wp2_add_cli(wp2_ctx *p, wc_host *h) {
  return wp2_add_resource(p, h, "wasi:cli/terminal-input", "terminal-input", &p->rt_tin, NULL) &&
         wp2_add_resource(p, h, "wasi:cli/terminal-output", "terminal-output", &p->rt_tout, NULL) &&
         wp2_define(h, cli_types, sizeof cli_types / sizeof cli_types[0]) &&
         wp2_register(p, h, cli_funcs, sizeof cli_funcs / sizeof cli_funcs[0]);
}
