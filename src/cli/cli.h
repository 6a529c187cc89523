/*
 * cli.h — pieces of the `wrun` command line shared between its files.
 */
#ifndef WRUN_CLI_CLI_H
#define WRUN_CLI_CLI_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <pthread.h>
#include <stdio.h>
#include <time.h>

#include "binary/module.h"
#include "common/error.h"
#include "runtime/runtime.h"

/* Exit statuses, documented in docs/cli.md and `wrun --help`. */
enum {
  CLI_EXIT_OK = 0,
  CLI_EXIT_REJECTED = 1,   /* I/O error, malformed, invalid or unlinkable module */
  CLI_EXIT_USAGE = 2,      /* bad command line */
  CLI_EXIT_TRAP = 134      /* the guest trapped (as wasmtime on Unix) */
};

/* Run first in main(), before anything opens a descriptor: a standard stream
 * (0, 1, 2) the host left closed gets /dev/null, so that no file, socket or
 * libuv descriptor of wrun's own lands on it, and is remembered as closed
 * (src/cli/stdio.c). */
void cli_stdio_guard(void);
/* Bit i set: the host had standard stream i closed when wrun started. */
unsigned cli_stdio_closed(void);

/* Prints `err` about input `path` as one line on stderr: FILE:LOCATION: kind: message. */
void cli_print_error(const char *path, const rt_error *err);

/* Reads FILE whole. On failure prints its i/o error line (cli_print_error)
 * and returns NULL. The bytes are the caller's to free. */
uint8_t *cli_read_input(const char *path, size_t *len);

/* Reads FILE (.wasm by its magic, anything else as WAT text), decodes and
 * validates it. On failure prints one line "FILE:LOCATION: kind: message" to
 * stderr and returns NULL. A compiled artifact (by its magic, whatever its
 * name) is not a module: refused with a line saying it is native code that
 * is not validated. The module is the caller's to free. */
wm_module *cli_load_module(const char *path);

/* The same for a module to run: a compiled artifact is loaded (its native
 * code trusted, not validated) only when `allow_precompiled`, and otherwise
 * refused with a line naming --allow-precompiled (docs/security.md). */
wm_module *cli_load_program(const char *path, bool allow_precompiled);

/* The same two on FILE's contents, already read (cli_read_input): `bytes`
 * stay the caller's, so a command reads its file once whatever it turns out
 * to be. */
wm_module *cli_load_module_bytes(const char *path, const uint8_t *bytes, size_t len);
wm_module *cli_load_program_bytes(const char *path, const uint8_t *bytes, size_t len, bool allow_precompiled);

/* When FILE's contents `bytes` are a component (by its preamble): decodes and
 * validates it (one error line on failure) and, when `inspect`, prints its
 * summary and WIT. Returns the exit status, or -1 when it is not a component,
 * leaving it to the module path. Running a component is refused by
 * cli_load_program with "nothing to run without --invoke". */
int cli_component_bytes(const char *path, const uint8_t *bytes, size_t len, bool inspect);
struct wc_component;
/* `wrun inspect` of a component (inspect.c). */
void cli_print_component(const char *path, const struct wc_component *c);

#include "wasi/wasi.h"

/* A list of owned strings. */
typedef struct cli_strings { char **v; int n; } cli_strings;

/* What the guest may see and how it runs: set from the options of `run`
 * (options.c's table) and a manifest. */
/* Where `wrun run` runs code (--tier). */
typedef enum cli_tier { CLI_TIER_AUTO, CLI_TIER_INTERP, CLI_TIER_AOT } cli_tier;

typedef struct cli_sandbox {
  wasi_preopen *dirs;
  int ndirs;
  char **env;                    /* "NAME=VALUE" (owned) */
  int nenv;
  char **listen;                 /* --tcplisten ADDR:PORT (owned) */
  int nlisten;
  /* wasi:sockets (components): ADDR[/BITS]:PORT[-PORT] rules, each checked
   * by wp2_net_rule_parse when given (owned) */
  cli_strings allow_connect;     /* --allow-connect */
  cli_strings allow_bind;        /* --allow-bind */
  bool allow_lookup;             /* --allow-lookup: name resolution */
  char **allow_http;             /* --allow-http DEST (owned; allow_http.c) */
  int nallow_http;
  /* limits: 0 means none */
  uint64_t fuel;                 /* --fuel */
  uint64_t timeout_ns;           /* --timeout */
  uint64_t max_memory;           /* --max-memory, bytes per linear memory */
  uint64_t max_stack;            /* --max-stack, bytes of wasm value stack */
  uint32_t max_call_depth;       /* nested calls allowed, from --max-stack (0: the store's default) */
  /* execution */
  bool aot;                      /* --aot / --tier aot: compile to native code before running */
  const char *tier;              /* --tier as given (NULL: not given) */
  int tier_mode;                 /* cli_tier, from cli_tier_finish */
  bool aot_opt;                  /* --opt given: the optimizing pipeline (the default), and for run --aot */
  bool aot_one_pass;             /* --one-pass: compile with the one-pass compiler instead (--aot, tier-up,
                                  * wrun compile): faster compiles, slower code */
  bool verbose;                  /* -v: say which tier ran and how long compiling took */
  bool no_cache;                 /* --no-cache: neither read nor write the compile cache */
  bool allow_precompiled;        /* --allow-precompiled: run compiled artifacts (native code the
                                  * user vouches for; never validated: docs/security.md) */
} cli_sandbox;

/* Parses "10", "512K", "64M", "1G" (bytes). False on junk or overflow. */
bool cli_parse_size(const char *s, uint64_t *out);
/* Adds a preopen of HOST seen as GUEST (copied; freed with the sandbox). */
bool cli_sandbox_add_dir(cli_sandbox *sb, const char *host, const char *guest, bool readonly);
/* Parses "1.5s", "500ms", "2m", "100us", "30" (seconds) into nanoseconds. */
bool cli_parse_duration(const char *s, uint64_t *out);

/* A component (by its header) to run: with `invoke`, instantiates it and calls
 * that export with `args` (src/cli/component_run.c); without, runs its
 * wasi:cli/run export with `args` as the guest's arguments. Returns the exit
 * status, or -1 when `path` is not a valid component or has nothing to run, for
 * the module path to report as it always has. */
/* --timeout (src/cli/run.c): a thread that, when the deadline passes,
 * interrupts the store (wasm code traps at its next loop head or call) and the
 * WASI context if any (a host call waiting for a pipe, socket, terminal or
 * clock traps at once), both with the same "wall-clock timeout" trap.
 * watchdog_start does nothing for ns 0; watchdog_stop must run before `s` or
 * `wasi` are freed. */
typedef struct wasi_ctx wasi_ctx;
typedef struct watchdog {
  pthread_t thread;
  pthread_mutex_t mu;
  pthread_cond_t cv;
  bool done, started;
  struct timespec deadline;
  wrun_store *store;
  wasi_ctx *wasi;
} watchdog;
void watchdog_start(watchdog *w, wrun_store *s, wasi_ctx *wasi, uint64_t ns);
void watchdog_stop(watchdog *w);

/* Runs FILE's contents `bytes` (the caller's) when they are a component or a
 * compiled component; -1 when they are neither (the module path takes them). */
int cli_run_component(const char *path, const uint8_t *bytes, size_t len, const char *invoke, int nargs, char **args,
                      const cli_sandbox *sb);

/* --allow-http (allow_http.c): validate and append a destination (false: *why
 * says what was expected, or *oom); merge the manifest's list before the
 * command line's; free; hand them to a WASI 0.2 host (false after printing
 * "PATH: reason"). */
struct wp2_ctx;
bool cli_allow_http_add(cli_sandbox *sb, const char *spec, const char **why, bool *oom);
bool cli_allow_http_merge(cli_sandbox *to, cli_sandbox *from);
void cli_allow_http_free(cli_sandbox *sb);
bool cli_allow_http_apply(const cli_sandbox *sb, struct wp2_ctx *p, const char *path);

/* Parses one --invoke argument as a value of type t (values.c documents the
 * forms: decimal or 0x integers, text-format floats, v128 as SHAPE:LANES).
 * False on anything else. */
bool cli_parse_value(const char *s, wm_valtype t, rt_val *v);
/* Prints a result in the form cli_parse_value reads, and a newline. */
void cli_print_value(FILE *out, const rt_val *v);

/* " (the limit set by --fuel)": which option set the limit a trap of `kind`
 * hit, for the trap message; "" for other traps. */
const char *cli_trap_hint(rt_trap_kind kind);

/* Instantiates `m` with WASI (imports from wasi_snapshot_preview1, sandboxed
 * by `sb`) and runs it: calls export `invoke` with `args` parsed by its
 * parameter types and prints the results, or `_start`, with `args` as the
 * guest's argv after the program name, when invoke is NULL. Returns the
 * process exit status: the guest's proc_exit code, 0, 1 (link error, bad
 * argument), 2 (usage) or 134 (trap). */
int cli_run_module(const char *path, const wm_module *m, const char *invoke, int nargs, char **args,
                   const cli_sandbox *sb);

/* Prepares compiled code for `m` before cli_run_module: an artifact's code is
 * already attached (and turns on sb->aot); with sb->aot, code comes from the
 * compile cache or is compiled now (and cached). False after printing an
 * error. */
bool cli_prepare_aot(const char *path, wm_module *m, cli_sandbox *sb);

/* The same for every core module of component `c` when sb->aot (each from
 * the compile cache, or compiled now and cached). False after printing an
 * error. */
bool cli_prepare_component_aot(const char *path, struct wc_component *c, const cli_sandbox *sb);

/* Whether --aot and `wrun compile` use the one-pass compiler: --one-pass, or
 * WRUN_AOT_OPT=0 in the environment without --opt (the test variants that
 * keep the one-pass compiler covered); else the optimizing pipeline. */
bool cli_one_pass(const cli_sandbox *sb);

/* `wrun compile`: writes a compiled artifact of `in` to `out` (NULL: `in`
 * with extension .cwasm) for `target` ("x86_64", "aarch64"; NULL: the
 * host's), with the optimizing pipeline when `optimize`. Returns the exit
 * status. */
int cli_compile(const char *in, const char *out, const char *target, bool interruptible, bool optimize,
                bool verbose);

/* True if this build has a code generator for AOT_ARCH_* `arch`; else prints
 * a one-line error naming it and returns false. */
bool cli_aot_available(uint32_t arch);

/* `wrun serve [OPTIONS] FILE` (serve.c): argv after the command word. */
int cli_serve(int argc, char **argv);

/* `wrun inspect FILE`: prints a short summary of a module (sections, imports,
 * exports, types) to stdout; for a compiled artifact, first that it is native
 * code and not validated, and its header. Returns the exit status. */
int cli_inspect_file(const char *path);

/* `wrun oci build APP.wasm -o IMAGE.tar ...`: an OCI image of the program
 * (src/cli/oci.c). Returns the exit status. */
int cli_oci(int argc, char **argv);

#endif
