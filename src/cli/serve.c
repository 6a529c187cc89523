/*
 * serve.c — `wrun serve [OPTIONS] FILE`: reads the options (the table in
 * options.c, a manifest's serve: and limits: sections), loads the handler
 * module, picks the guest ABI that speaks it and hands over to src/serve.
 *
 * That is compiled into the program wrun-serve (WRUN_SERVE_BUILD). In wrun
 * itself, `wrun serve ...` execs the wrun-serve beside it with the same
 * arguments: the HTTP library and its TLS libraries then cost nothing to
 * the start-up of every other command (CMakeLists.txt).
 */
#include <errno.h>
#include <limits.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "cli/cli.h"
#include "cli/manifest.h"
#include "cli/options.h"

#ifndef WRUN_SERVE_BUILD

int cli_serve(int argc, char **argv) {
  char self[PATH_MAX], path[PATH_MAX + 16];
  ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
  if (n <= 0) {
    fprintf(stderr, "wrun: serve: cannot find wrun's own path to run wrun-serve: %s\n", strerror(errno));
    return CLI_EXIT_REJECTED;
  }
  self[n] = 0;
  char *slash = strrchr(self, '/');
  if (slash) *slash = 0;
  snprintf(path, sizeof path, "%s/wrun-serve", slash ? self : ".");
  char **args = calloc((size_t)argc + 3, sizeof *args);
  if (!args) {
    fputs("wrun: out of memory\n", stderr);
    return CLI_EXIT_REJECTED;
  }
  args[0] = path;
  args[1] = "serve";
  for (int i = 0; i < argc; i++) args[i + 2] = argv[i];
  execv(path, args);
  fprintf(stderr, "wrun: serve needs %s (built with wrun, from the same sources): %s\n", path, strerror(errno));
  free(args);
  return CLI_EXIT_REJECTED;
}

#else

#include "component/component.h"
#include "serve/serve.h"

/* Defaults of the serve options (docs/serve.md). */
#define SERVE_DEFAULT_ADDR "127.0.0.1:8080"
#define SERVE_DEFAULT_MAX_HEADER (32u << 10)
#define SERVE_DEFAULT_MAX_BODY (16u << 20)
#define SERVE_DEFAULT_CLIENT_TIMEOUT_NS 10000000000ull
#define SERVE_DEFAULT_DRAIN_TIMEOUT_NS 10000000000ull
/* A handler's value stack: far smaller than run's 8M, since a store (and its
 * zeroed stack) is made per request; 128K is 512 nested calls. */
#define SERVE_DEFAULT_STACK (128u << 10)
#define STACK_BYTES_PER_CALL 256u

/* Compiled code by default on x86-64. AArch64 has a code generator too, but
 * serve's instance templates are not run with it in CI (qemu) yet, so there
 * serve interprets unless --aot is given. */
#if defined(__x86_64__)
#define SERVE_AOT_BY_DEFAULT 1
#else
#define SERVE_AOT_BY_DEFAULT 0
#endif

/* The guest ABIs, tried in order. */
static const serve_guest_ops *const guest_abis[] = {&serve_httpwasm_ops, &serve_wasihttp_ops};

/* A component (validated by cli_component_bytes) decoded, with its core
 * modules' compiled code attached for --aot; NULL after printing why. */
static wc_component *serve_component(const char *path, const uint8_t *bytes, size_t len, const cli_sandbox *sb,
                                     int *status) {
  rt_error err;
  rt_error_clear(&err);
  wc_component *c = wc_component_load(bytes, len, &err);
  if (!c) {
    cli_print_error(path, &err);
    return NULL;
  }
  if (sb->aot && sb->fuel) {
    *status = cli_usage_error(CLI_CMD_SERVE, "--fuel is not supported with --aot (compiled code does not count "
                                             "instructions)");
    wc_component_free(c);
    return NULL;
  }
  if (sb->aot && !cli_prepare_component_aot(path, c, sb)) {
    wc_component_free(c);
    return NULL;
  }
  return c;
}

static int serve_module(const char *path, cli_options *o) {
  size_t len = 0;
  uint8_t *bytes = cli_read_input(path, &len); /* once: every check below looks at these bytes */
  if (!bytes) return CLI_EXIT_REJECTED;
  int comp = cli_component_bytes(path, bytes, len, false); /* -1: not a component; else its validation status */
  if (comp > 0) {
    free(bytes);
    return comp;
  }
  uint8_t *gconf = NULL;
  size_t gconf_len = 0;
  wm_module *m = NULL;
  wc_component *c = NULL;
  int status = CLI_EXIT_REJECTED;
  if (o->guest_config && !(gconf = cli_read_input(o->guest_config, &gconf_len))) goto done;
  /* compiled code by default (through the compile cache): the interpreter
   * only when asked for, or for --fuel, which compiled code does not count */
  if (o->interpreter && o->sb.aot) {
    status = cli_usage_error(CLI_CMD_SERVE, "--aot and --interpreter exclude each other");
    goto done;
  }
  if (SERVE_AOT_BY_DEFAULT && !o->interpreter && !o->sb.fuel) o->sb.aot = true;
  if (comp < 0) { /* a core module (or an artifact, with --allow-precompiled) */
    m = cli_load_program_bytes(path, bytes, len, o->sb.allow_precompiled);
    if (!m || !cli_prepare_aot(path, m, &o->sb)) goto done;
  } else if (!(c = serve_component(path, bytes, len, &o->sb, &status))) {
    goto done;
  }
  serve_app app = {.path = path, .bytes = bytes, .len = len, .module = m, .component = c};
  const serve_guest_ops *ops = NULL;
  for (size_t i = 0; i < sizeof guest_abis / sizeof *guest_abis && !ops; i++)
    if (guest_abis[i]->detect(&app)) ops = guest_abis[i];
  if (!ops && c) {
    fprintf(stderr, "%s: error: not an HTTP handler: a component must export "
                    "wasi:http/incoming-handler@0.2.x\n", path);
    goto done;
  }
  if (!ops) {
    fprintf(stderr, "%s: error: not an HTTP handler: an http-wasm module exports handle_request and "
                    "handle_response and imports from http_handler\n", path);
    goto done;
  }
  for (uint32_t i = 0; m && o->sb.max_memory && i < m->nmems; i++)
    if (m->mems[i].type.limits.min > o->sb.max_memory / 65536) {
      fprintf(stderr, "%s: limit: memory %u needs %llu KiB from the start, more than --max-memory allows (%llu KiB)\n",
              path, i, (unsigned long long)(m->mems[i].type.limits.min * 64),
              (unsigned long long)(o->sb.max_memory / 1024));
      goto done;
    }
  if (o->sb.aot && o->sb.fuel) {
    status = cli_usage_error(CLI_CMD_SERVE, "--fuel is not supported with --aot (compiled code does not count "
                                            "instructions)");
    goto done;
  }
  serve_config cfg = {
    .path = path,
    .addr = o->addr ? o->addr : SERVE_DEFAULT_ADDR,
    .workers = (unsigned)o->workers,
    .max_header_size = o->max_header_size ? o->max_header_size : SERVE_DEFAULT_MAX_HEADER,
    .max_body_size = o->max_body_size ? o->max_body_size : SERVE_DEFAULT_MAX_BODY,
    .client_timeout_ns = o->client_timeout ? o->client_timeout : SERVE_DEFAULT_CLIENT_TIMEOUT_NS,
    .drain_timeout_ns = o->drain_timeout ? o->drain_timeout : SERVE_DEFAULT_DRAIN_TIMEOUT_NS,
    .log = !o->quiet,
    .verbose = o->sb.verbose,
    .upstream = o->upstream,
    .allow_http = o->sb.allow_http,
    .nallow_http = (size_t)o->sb.nallow_http,
    .tls_cert = o->tls_cert,
    .tls_key = o->tls_key,
    .guest_config = gconf,
    .guest_config_len = gconf_len,
    .reuse_instances = o->reuse_instances,
    .worker_processes = o->worker_processes,
    .limits = {.timeout_ns = o->sb.timeout_ns, .max_memory = o->sb.max_memory, .fuel = o->sb.fuel,
               .max_stack = o->sb.max_stack, .max_call_depth = o->sb.max_call_depth, .aot = o->sb.aot},
  };
  char err[300];
  void *prepared = ops->prepare(&cfg, &app, err, sizeof err);
  if (!prepared) {
    fprintf(stderr, "%s: error: %s\n", path, err);
    goto done;
  }
  status = serve_run(&cfg, ops, prepared) == 0 ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
  ops->free(prepared);
done:
  wm_module_free(m);
  wc_component_free(c);
  free(bytes);
  free(gconf);
  return status;
}

int cli_serve(int argc, char **argv) {
  cli_options o = {0};
  cli_manifest man = {0};
  int n, status;
  if (!cli_parse_options(CLI_CMD_SERVE, argc, argv, true, &o, NULL, &n)) {
    cli_options_free(&o);
    return CLI_EXIT_USAGE;
  }
  if (o.help) {
    cli_options_free(&o);
    cli_print_help(CLI_CMD_SERVE, stdout);
    return CLI_EXIT_OK;
  }
  if (o.config && !cli_manifest_load(o.config, &man)) {
    cli_options_free(&o);
    return CLI_EXIT_REJECTED;
  }
  const char *path = NULL;
  if (!cli_options_finish(&o, o.config ? &man.opts : NULL, &status)) goto done;
  status = CLI_EXIT_USAGE;
  if (!o.tls_cert != !o.tls_key) {
    cli_usage_error(CLI_CMD_SERVE, "--tls-cert and --tls-key go together");
    goto done;
  }
  if (o.log && o.quiet) {
    cli_usage_error(CLI_CMD_SERVE, "--log and --quiet contradict each other");
    goto done;
  }
  if (o.config ? n != 0 : n != 1) {
    cli_usage_error(CLI_CMD_SERVE, o.config ? "the manifest names the module: no FILE expected"
                                            : "serve takes exactly one FILE");
    goto done;
  }
  path = o.config ? man.module : argv[0];
  if (!o.sb.max_stack) o.sb.max_stack = SERVE_DEFAULT_STACK;
  o.sb.max_call_depth = (uint32_t)(o.sb.max_stack / STACK_BYTES_PER_CALL);
  status = serve_module(path, &o);
done:
  cli_options_free(&o);
  cli_manifest_free(&man);
  return status;
}

#endif
