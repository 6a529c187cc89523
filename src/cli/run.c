/*
 * run.c — `wrun run`: instantiate a module, call `_start` or the export named
 * by --invoke, print results, and turn traps into the documented exit status
 * with a message and backtrace on stderr.
 */
#include <errno.h>
#include <pthread.h>
#include <time.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "aot/aot.h"
#include "cli/cache.h"
#include "engine/tierup.h"
#include "runtime/runtime.h"

bool cli_parse_size(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  if (!*s || *s == '-') return false;
  unsigned long long v = strtoull(s, &end, 10);
  if (errno || end == s) return false;
  uint64_t mul = 1;
  if (*end == 'K' || *end == 'k') mul = 1024, end++;
  else if (*end == 'M' || *end == 'm') mul = 1024 * 1024, end++;
  else if (*end == 'G' || *end == 'g') mul = 1024ull * 1024 * 1024, end++;
  if (*end || (mul > 1 && v > UINT64_MAX / mul)) return false;
  *out = v * mul;
  return true;
}

bool cli_parse_duration(const char *s, uint64_t *out) {
  char *end;
  errno = 0;
  if (!*s || *s == '-') return false;
  double v = strtod(s, &end);
  if (errno || end == s || !(v >= 0)) return false;
  double mul = 1e9;
  if (strcmp(end, "ms") == 0) mul = 1e6;
  else if (strcmp(end, "us") == 0) mul = 1e3;
  else if (strcmp(end, "ns") == 0) mul = 1;
  else if (strcmp(end, "m") == 0) mul = 60e9;
  else if (strcmp(end, "h") == 0) mul = 3600e9;
  else if (strcmp(end, "s") != 0 && *end) return false;
  double ns = v * mul;
  if (ns > 9.2e18) return false;
  *out = (uint64_t)ns;
  return true;
}

/* --timeout: the watchdog thread (contract in cli.h; also used for components). */

static void *watch(void *arg) {
  watchdog *w = arg;
  pthread_mutex_lock(&w->mu);
  while (!w->done) {
    if (pthread_cond_timedwait(&w->cv, &w->mu, &w->deadline) == ETIMEDOUT) {
      rt_store_interrupt(w->store);
      if (w->wasi) wasi_interrupt(w->wasi);
      break;
    }
  }
  pthread_mutex_unlock(&w->mu);
  return NULL;
}

void watchdog_start(watchdog *w, wrun_store *s, wasi_ctx *wasi, uint64_t ns) {
  memset(w, 0, sizeof *w);
  if (!ns) return;
  pthread_mutex_init(&w->mu, NULL);
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&w->cv, &ca);
  pthread_condattr_destroy(&ca);
  clock_gettime(CLOCK_MONOTONIC, &w->deadline);
  w->deadline.tv_sec += (time_t)(ns / 1000000000u);
  w->deadline.tv_nsec += (long)(ns % 1000000000u);
  if (w->deadline.tv_nsec >= 1000000000) {
    w->deadline.tv_sec++;
    w->deadline.tv_nsec -= 1000000000;
  }
  w->store = s;
  w->wasi = wasi;
  w->started = pthread_create(&w->thread, NULL, watch, w) == 0;
}

void watchdog_stop(watchdog *w) {
  if (!w->started) return;
  pthread_mutex_lock(&w->mu);
  w->done = true;
  pthread_cond_signal(&w->cv);
  pthread_mutex_unlock(&w->mu);
  pthread_join(w->thread, NULL);
  pthread_mutex_destroy(&w->mu);
  pthread_cond_destroy(&w->cv);
}

/* --tier auto: on the compiler thread, the module's fresh code goes into the
 * compile cache, so the next run starts compiled. */
static void cache_compiled(void *arg, const wm_module *m, const void *image, uint32_t options) {
  const cli_sandbox *sb = arg;
  cli_cache *c = cli_cache_open(sb->verbose);
  if (!c) return;
  bool stored = cli_cache_store(c, m, image, options);
  if (sb->verbose)
    fprintf(stderr, "wrun: tier: auto: %s %s\n", stored ? "cached the compiled code at" : "could not write the cache entry",
            cli_cache_last_path(c));
  cli_cache_close(c);
}

/* -v: what tiered execution did (docs/cli.md, --tier). */
static void report_tiering(const wrun_store *s) {
  rt_tier_stats st;
  if (!engine_tier_stats(s, &st)) {
    fprintf(stderr, "wrun: tier: auto: everything ran in the interpreter (nothing got hot enough to compile)\n");
    return;
  }
  if (!st.instances) {
    fprintf(stderr, "wrun: tier: auto: compile requested at %.3f ms; everything ran in the interpreter%s%s\n",
            st.requested_ms, st.error[0] ? ": " : " (the compile did not finish in time)", st.error);
    return;
  }
  fprintf(stderr, "wrun: tier: auto: compile requested at %.3f ms, %u functions compiled in %.3f ms on the compiler "
          "thread, switched to compiled code at %.3f ms; %llu interpreted calls moved at their entry, %llu OSR "
          "entries taken (of %u loop heads)\n", st.requested_ms, st.compiled_funcs, st.compile_ms, st.switched_ms,
          (unsigned long long)st.entry_switches, (unsigned long long)st.osr_entries, st.osr_points);
}

static int report_failure(const char *path, wrun_store *s, const rt_error *err) {
  if (err->kind == WRUN_ERR_TRAP || err->kind == WRUN_ERR_EXHAUSTION) {
    if (rt_store_trap_kind(s) == WRUN_TRAP_EXIT) return rt_store_exit_code(s);
    char bt[4096];
    fprintf(stderr, "%s: wasm trap: %s%s\nwasm backtrace:\n%s", path, err->message,
            cli_trap_hint(rt_store_trap_kind(s)), rt_store_backtrace(s, bt, sizeof bt));
    return CLI_EXIT_TRAP;
  }
  char buf[600];
  fprintf(stderr, "%s\n", rt_error_format(err, path, buf, sizeof buf));
  return CLI_EXIT_REJECTED;
}

int cli_run_module(const char *path, const wm_module *m, const char *invoke, int nargs, char **args,
                   const cli_sandbox *sb) {
  rt_error err;
  rt_error_clear(&err);
  /* The guest's argv: the program name, then (for _start) everything after it. */
  int gargc = invoke ? 1 : 1 + nargs;
  char **gargv = calloc((size_t)gargc + 1, sizeof *gargv);
  if (!gargv) {
    fprintf(stderr, "%s: out of memory\n", path);
    return CLI_EXIT_REJECTED;
  }
  gargv[0] = (char *)path;
  for (int i = 1; i < gargc; i++) gargv[i] = args[i - 1];
  wasi_config wc = {.nlisten = sb->nlisten, .listen = (const char **)sb->listen, .argc = gargc, .argv = gargv,
                    .envc = sb->nenv, .env = sb->env, .npreopens = sb->ndirs, .preopens = sb->dirs,
                    .interruptible = sb->timeout_ns != 0, .closed_stdio = cli_stdio_closed()};
  wasi_ctx *wasi = wasi_new(&wc, &err);
  free(gargv);
  if (!wasi) {
    char buf[600];
    fprintf(stderr, "%s\n", rt_error_format(&err, path, buf, sizeof buf));
    return CLI_EXIT_REJECTED;
  }
  rt_config cfg = {0};
  cfg.fuel = sb->fuel;
  cfg.max_memory_bytes = sb->max_memory;
  cfg.stack_bytes = sb->max_stack > UINT32_MAX ? UINT32_MAX : (uint32_t)sb->max_stack;
  cfg.max_call_depth = sb->max_call_depth;
  cfg.interruptible = sb->timeout_ns != 0;
  cfg.aot = sb->aot;
  cfg.tiered = sb->tier_mode == CLI_TIER_AUTO && !sb->aot && !sb->fuel;
  /* the optimizing pipeline is the default (tier-up's choice: tier_one_pass) */
  cfg.aot_optimize = cfg.tiered ? sb->aot_opt : !cli_one_pass(sb);
  if (sb->tier_mode == CLI_TIER_AUTO && !engine_tier_config_from_env(&cfg)) { /* checked even when unused */
    wasi_free(wasi);
    return CLI_EXIT_USAGE;
  }
  if (sb->aot_one_pass) cfg.tier_one_pass = true; /* --one-pass: tier-up too */
  if (cfg.tiered) {
    if (!sb->no_cache) {
      cfg.tier_compiled = cache_compiled;
      cfg.tier_arg = (void *)sb;
    }
  }
  if (sb->aot && sb->fuel) {
    fprintf(stderr, "wrun: --fuel is not supported with --aot (compiled code does not count instructions)\n");
    wasi_free(wasi);
    return CLI_EXIT_USAGE;
  }
  wrun_store *s = engine_store_new(&cfg);
  rt_extern *imports = calloc(m->nimports + 1, sizeof *imports);
  watchdog wd;
  memset(&wd, 0, sizeof wd);
  if (s && imports) watchdog_start(&wd, s, wasi, sb->timeout_ns);
  if (!s || !imports) {
    fprintf(stderr, "%s: out of memory creating the store\n", path);
    free(imports);
    rt_store_free(s);
    wasi_free(wasi);
    return CLI_EXIT_REJECTED;
  }
  int status = CLI_EXIT_OK;
  wrun_instance *inst = NULL;
  struct timespec t0, t1;
  clock_gettime(CLOCK_MONOTONIC, &t0);
  if (wasi_link(wasi, s, m, imports, &err)) inst = rt_instantiate(s, m, imports, m->nimports, &err);
  clock_gettime(CLOCK_MONOTONIC, &t1);
  free(imports);
  if (inst && sb->verbose) {
    double ms = (double)(t1.tv_sec - t0.tv_sec) * 1e3 + (double)(t1.tv_nsec - t0.tv_nsec) / 1e6;
    if (sb->aot)
      fprintf(stderr, "wrun: tier: aot (%s native code for %u functions); instantiation took %.3f ms\n",
              aot_arch_name(aot_host_arch()), aot_compiled_count(inst), ms);
    else if (cfg.tiered)
      fprintf(stderr, "wrun: tier: auto (the interpreter first, compiled code once hot); instantiation took %.3f ms\n",
              ms);
    else
      fprintf(stderr, "wrun: tier: interpreter%s; instantiation took %.3f ms\n",
              sb->tier_mode == CLI_TIER_AUTO ? " (--fuel: compiled code counts no fuel)" : "", ms);
  }
  if (!inst) {
    status = report_failure(path, s, &err);
    watchdog_stop(&wd);
    rt_store_free(s);
    wasi_free(wasi);
    return status;
  }
  const char *name = invoke ? invoke : "_start";
  rt_extern ex;
  if (!rt_instance_export(inst, name, strlen(name), &ex) || ex.kind != WASM_EXTERN_FUNC) {
    if (invoke) {
      fprintf(stderr, "%s: error: no exported function \"%s\"\n", path, invoke);
      status = CLI_EXIT_REJECTED;
    }
    watchdog_stop(&wd);
    rt_store_free(s);
    wasi_free(wasi);
    return status;
  }
  const wm_functype *ft = rt_func_type(ex.of.func);
  if (!invoke && ft->nparams) {
    fprintf(stderr, "%s: error: _start must take no parameters\n", path);
    watchdog_stop(&wd);
    rt_store_free(s);
    wasi_free(wasi);
    return CLI_EXIT_REJECTED;
  }
  if (!invoke) nargs = 0; /* they went to the guest's argv */
  if (invoke && (uint32_t)nargs != ft->nparams) {
    fprintf(stderr, "%s: error: \"%s\" takes %u argument(s), %d given\n", path, invoke, ft->nparams, nargs);
    watchdog_stop(&wd);
    rt_store_free(s);
    wasi_free(wasi);
    return CLI_EXIT_USAGE;
  }
  rt_val *argv = calloc((size_t)ft->nparams + 1, sizeof *argv);
  rt_val *res = calloc((size_t)ft->nresults + 1, sizeof *res);
  if (!argv || !res) {
    fprintf(stderr, "%s: out of memory\n", path);
    status = CLI_EXIT_REJECTED;
    goto done;
  }
  for (uint32_t i = 0; i < ft->nparams; i++) {
    wm_valtype t = wm_functype_params(ft)[i];
    if (!cli_parse_value(args[i], t, &argv[i])) {
      char tn[32];
      fprintf(stderr, "%s: error: argument %u \"%s\" is not a valid %s\n", path, i + 1, args[i],
              wm_valtype_name(t, tn, sizeof tn));
      status = CLI_EXIT_USAGE;
      goto done;
    }
  }
  if (!rt_call(s, ex.of.func, argv, ft->nparams, res, ft->nresults, &err)) {
    status = report_failure(path, s, &err);
    goto done;
  }
  if (invoke)
    for (uint32_t i = 0; i < ft->nresults; i++) cli_print_value(stdout, &res[i]);
done:
  watchdog_stop(&wd);
  free(argv);
  free(res);
  fflush(stdout);
  if (cfg.tiered && sb->verbose) report_tiering(s);
  rt_store_free(s);
  wasi_free(wasi);
  return status;
}
