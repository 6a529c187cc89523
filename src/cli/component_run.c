/*
 * component_run.c — `wrun [--invoke NAME] comp.wasm ARGS...` on a component:
 * instantiates it (src/cinst) with the WASI 0.2 host (src/wasip2) serving its
 * imports and the CLI's --dir/--dir-ro preopens as wasi:filesystem's, its
 * wasi:sockets limited to what --allow-connect/--allow-bind/--allow-lookup grant.
 * Without --invoke it runs the `run` function of its wasi:cli/run export with
 * ARGS as the guest's arguments: exit 0 for ok, 1 for err, or the status
 * given to wasi:cli/exit. With --invoke it calls that export with its
 * arguments read as WAVE values (component/wave.h), one command-line argument
 * per parameter, and prints the result in WAVE. A compiled component (from
 * `wrun compile`) runs the same way, with --allow-precompiled only.
 */
#include <signal.h>
#include <stdlib.h>
#include <string.h>

#include "aot/aot.h"
#include "cinst/artifact.h"
#include "cinst/instance.h"
#include "cli/cli.h"
#include "engine/tierup.h"
#include "component/wave.h"
#include "wasip2/wasip2.h"

/* The name of the root's exported instance wasi:cli/run@0.2.N ("" if none). */
static wc_str cli_run_export(const wc_component *c) {
  for (uint32_t i = 0; i < c->ndefs; i++) {
    const wc_def *d = &c->defs[i];
    if (d->kind == WC_DEF_EXPORT && d->sort == WC_INSTANCE && d->u.ie.name.len >= 17 &&
        !memcmp(d->u.ie.name.ptr, "wasi:cli/run@0.2.", 17))
      return d->u.ie.name;
  }
  return (wc_str){"", 0};
}

/* The --allow-connect/--allow-bind strings as rules (checked when parsed);
 * NULL when out of memory. The array is the caller's to free. */
static wp2_net_rule *net_rules(const cli_strings *l) {
  wp2_net_rule *r = calloc((size_t)l->n + 1, sizeof *r);
  for (int i = 0; r && i < l->n; i++)
    if (!wp2_net_rule_parse(l->v[i], &r[i])) r[i].family = -1; /* cannot happen: matches nothing */
  return r;
}

/* Runs the component: `name` is the export to call (for wasi:cli/run,
 * "wasi:cli/run@0.2.N#run"); `run` says whether it is the command's run (args
 * go to the guest) or an --invoke (args are WAVE values). */
static int invoke(const char *path, const wc_component *c, const char *name, bool run, int nargs, char **args,
                  const cli_sandbox *sb) {
  rt_config cfg = {0};
  cfg.fuel = sb->fuel;
  cfg.max_memory_bytes = sb->max_memory;
  cfg.stack_bytes = sb->max_stack > UINT32_MAX ? UINT32_MAX : (uint32_t)sb->max_stack;
  cfg.max_call_depth = sb->max_call_depth;
  cfg.aot = sb->aot;
  cfg.interruptible = sb->timeout_ns != 0;
  /* tiered like a module (each core module compiled on the store's compiler
   * thread when hot); the compile cache is used with --aot only */
  cfg.tiered = sb->tier_mode == CLI_TIER_AUTO && !sb->aot && !sb->fuel;
  /* as cli_prepare_component_aot compiled it (tier-up's choice: tier_one_pass) */
  cfg.aot_optimize = cfg.tiered ? sb->aot_opt : !cli_one_pass(sb);
  if (cfg.tiered && !engine_tier_config_from_env(&cfg)) cfg.tiered = false;
  if (sb->aot_one_pass) cfg.tier_one_pass = true; /* --one-pass: tier-up too */
  if (sb->aot && sb->fuel) {
    fprintf(stderr, "wrun: --fuel is not supported with --aot (compiled code does not count instructions)\n");
    return CLI_EXIT_USAGE;
  }
  /* The guest's argv: the program name, then (for run) everything after it. */
  int gargc = run ? 1 + nargs : 1;
  char **gargv = calloc((size_t)gargc + 1, sizeof *gargv);
  rt_error err;
  rt_error_clear(&err);
  /* a preview-1 context: its preopens (--dir, --dir-ro) and path resolver
   * serve wasi:filesystem, and its interrupt and loop the WASI 0.2 host's
   * waits, so --timeout ends them the same way */
  wasi_config wcfg = {.argc = 1, .argv = (char *[]){(char *)path, NULL}, .interruptible = sb->timeout_ns != 0,
                      .closed_stdio = cli_stdio_closed(), .npreopens = sb->ndirs, .preopens = sb->dirs};
  wasi_ctx *wasi = gargv ? wasi_new(&wcfg, &err) : NULL;
  if (gargv && !wasi) { /* e.g. a --dir that cannot be opened: the same line as for a module */
    char buf[600];
    fprintf(stderr, "%s\n", rt_error_format(&err, path, buf, sizeof buf));
    free(gargv);
    return CLI_EXIT_REJECTED;
  }
  wrun_store *s = wasi ? engine_store_new(&cfg) : NULL;
  wc_host *host = s ? wc_host_new() : NULL;
  wp2_ctx *p2 = NULL;
  wp2_net_rule *connect_rules = net_rules(&sb->allow_connect), *bind_rules = net_rules(&sb->allow_bind);
  if (host && connect_rules && bind_rules) {
    gargv[0] = (char *)path;
    for (int i = 1; i < gargc; i++) gargv[i] = args[i - 1];
    wp2_config pc = {.argc = gargc, .argv = gargv, .envc = sb->nenv, .env = sb->env,
                     .closed_stdio = cli_stdio_closed(), .interrupt = sb->timeout_ns ? wasi : NULL, .fs = wasi,
                     .allow_connect = connect_rules, .nallow_connect = (size_t)sb->allow_connect.n,
                     .allow_bind = bind_rules, .nallow_bind = (size_t)sb->allow_bind.n,
                     .allow_lookup = sb->allow_lookup};
    p2 = wp2_new(&pc);
    /* only what the component imports: defining every interface was three
     * quarters of a hello's start-up (docs/performance.md, wasip2.h);
     * wasi:http also for --allow-http, whose destinations it keeps */
    if (p2 && !wp2_add_imports(p2, host, c, sb->nallow_http ? WP2_HTTP : 0u)) { wp2_free(p2); p2 = NULL; }
    if (p2 && !cli_allow_http_apply(sb, p2, path)) {
      wc_host_free(host);
      wp2_free(p2);
      rt_store_free(s);
      wasi_free(wasi);
      free(gargv);
      return CLI_EXIT_USAGE;
    }
  }
  if (!p2) {
    if (host && *wc_host_error(host)) /* a host function without a valid type: a bug of wrun */
      fprintf(stderr, "%s: cannot set up the WASI host: %s\n", path, wc_host_error(host));
    else
      fprintf(stderr, "%s: out of memory creating the store and WASI host\n", path);
    wc_host_free(host);
    rt_store_free(s);
    wasi_free(wasi);
    free(gargv);
    free(connect_rules);
    free(bind_rules);
    return CLI_EXIT_REJECTED;
  }
  /* a guest writing to a closed pipe gets stream-error.closed, not SIGPIPE */
  signal(SIGPIPE, SIG_IGN);
  wc_arena arena = {0};
  wc_value *argv = NULL, res;
  int status = CLI_EXIT_OK;
  watchdog wd;
  watchdog_start(&wd, s, wasi, sb->timeout_ns);
  wc_instance *inst = wc_instantiate(s, c, host, &err);
  if (!inst) {
    if (err.kind == WRUN_ERR_LINK) {
      fprintf(stderr, "%s: link error: %s\n", path, err.message);
      status = CLI_EXIT_REJECTED;
    } else if (err.kind == WRUN_ERR_TRAP || err.kind == WRUN_ERR_EXHAUSTION) {
      fprintf(stderr, "%s: wasm trap: %s%s\n", path, err.message, cli_trap_hint(rt_store_trap_kind(s)));
      status = CLI_EXIT_TRAP;
    } else {
      char buf[600];
      fprintf(stderr, "%s\n", rt_error_format(&err, path, buf, sizeof buf));
      status = CLI_EXIT_REJECTED;
    }
    goto done;
  }
  uint32_t ft = wc_instance_func_type(inst, name);
  if (ft == WC_NONE) {
    fprintf(stderr, "%s: error: no exported function \"%s\"\n", path, name);
    status = CLI_EXIT_REJECTED;
    goto done;
  }
  const wc_type *t = wc_type_at(c, ft);
  if (run) nargs = 0; /* they are the guest's arguments */
  if (run && (t->nitems != 0 || !t->has_result)) {
    fprintf(stderr, "%s: error: %s is not func() -> result\n", path, name);
    status = CLI_EXIT_REJECTED;
    goto done;
  }
  if ((uint32_t)nargs != t->nitems) {
    fprintf(stderr, "%s: error: \"%s\" takes %u argument(s), %d given\n", path, name, t->nitems, nargs);
    status = CLI_EXIT_USAGE;
    goto done;
  }
  argv = calloc((size_t)nargs + 1, sizeof *argv);
  if (!argv) {
    fprintf(stderr, "%s: out of memory\n", path);
    status = CLI_EXIT_REJECTED;
    goto done;
  }
  for (int i = 0; i < nargs; i++) {
    char why[200];
    if (!wc_wave_parse(c->types, t->items[i].type, args[i], strlen(args[i]), &arena, &argv[i], why, sizeof why)) {
      fprintf(stderr, "%s: error: argument %d (%.*s) \"%s\": %s\n", path, i + 1, (int)t->items[i].name.len,
              t->items[i].name.ptr, args[i], why);
      status = CLI_EXIT_USAGE;
      goto done;
    }
  }
  if (!wc_instance_call(inst, name, argv, (uint32_t)nargs, &res, t->has_result ? 1 : 0, &arena, &err)) {
    int code;
    if (wp2_exited(p2, &code)) { /* wasi:cli/exit */
      status = code;
      goto done;
    }
    bool trap = err.kind == WRUN_ERR_TRAP || err.kind == WRUN_ERR_EXHAUSTION;
    /* a wait in a WASI host call ended by --timeout traps as a host trap */
    rt_trap_kind kind = wp2_interrupted(p2) ? WRUN_TRAP_TIMEOUT : rt_store_trap_kind(s);
    fprintf(stderr, "%s: %s: %s%s\n", path, trap ? "wasm trap" : rt_error_kind_name(err.kind), err.message,
            trap ? cli_trap_hint(kind) : "");
    status = trap ? CLI_EXIT_TRAP : CLI_EXIT_REJECTED;
    goto done;
  }
  if (run) {
    status = res.kind == WC_V_VARIANT && res.u.var.index == 0 ? CLI_EXIT_OK : 1;
  } else if (t->has_result) {
    wc_wave_buf b = {0};
    if (!wc_wave_print(c->types, t->result, &res, &b)) {
      fprintf(stderr, "%s: error: cannot print the result: %s\n", path, b.err);
      status = CLI_EXIT_REJECTED;
    } else {
      printf("%s\n", b.p);
    }
    wc_wave_buf_free(&b);
  }
done:
  watchdog_stop(&wd);
  fflush(stdout);
  free(argv);
  wc_arena_free(&arena);
  wc_instance_free(inst);
  wc_host_free(host);
  wp2_free(p2);
  rt_store_free(s);
  wasi_free(wasi);
  free(gargv);
  free(connect_rules);
  free(bind_rules);
  return status;
}

/* A compiled component: loaded only when the user allowed precompiled code. */
static wc_component *load_artifact(const char *path, const uint8_t *bytes, size_t len, const cli_sandbox *sb,
                                   int *status) {
  *status = CLI_EXIT_REJECTED;
  if (!sb->allow_precompiled) {
    fprintf(stderr, "%s: refusing to run a precompiled artifact (native code that is not validated); "
            "pass --allow-precompiled if you trust it\n", path);
    return NULL;
  }
  rt_error err;
  rt_error_clear(&err);
  wc_component *c = wc_artifact_load(bytes, len, &err);
  if (!c) cli_print_error(path, &err);
  else if (sb->verbose) fprintf(stderr, "wrun: running precompiled code from %s\n", path);
  return c;
}

int cli_run_component(const char *path, const uint8_t *bytes, size_t len, const char *name, int nargs, char **args,
                      const cli_sandbox *sb) {
  rt_error err;
  rt_error_clear(&err);
  cli_sandbox run = *sb;
  wc_component *c = NULL;
  int status = -1;
  bool artifact = aot_is_component_artifact(bytes, len);
  if (artifact) {
    c = load_artifact(path, bytes, len, sb, &status);
    if (!c) return status;
    run.aot = true; /* its code is compiled */
  } else if (wc_is_component(bytes, len)) {
    c = wc_component_load(bytes, len, &err);
    if (!c) return -1; /* the module path prints the one-line rejection */
  } else {
    return -1;
  }
  wc_str runx = cli_run_export(c);
  if (!name && !runx.len) { /* for a .wasm the module path says there is nothing to run */
    if (artifact) {
      fprintf(stderr, "%s: a component with no wasi:cli/run export: nothing to run without --invoke\n", path);
      status = CLI_EXIT_REJECTED;
    }
    goto done;
  }
  if (run.aot && run.fuel) {
    fprintf(stderr, "wrun: --fuel is not supported with --aot (compiled code does not count instructions)\n");
    status = CLI_EXIT_USAGE;
    goto done;
  }
  if (run.aot && !cli_prepare_component_aot(path, c, &run)) {
    status = CLI_EXIT_REJECTED;
    goto done;
  }
  if (run.verbose)
    fprintf(stderr, "wrun: tier: %s for the component's %u core modules\n", run.aot ? "aot" : "interpreter",
            c->total_modules);
  if (name) {
    status = invoke(path, c, name, false, nargs, args, &run);
  } else {
    char full[300];
    snprintf(full, sizeof full, "%.*s#run", (int)(runx.len > 250 ? 250 : runx.len), runx.ptr);
    status = invoke(path, c, full, true, nargs, args, &run);
  }
done:
  wc_component_free(c);
  return status;
}
