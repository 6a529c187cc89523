/*
 * component_run.c — `wrun [--invoke NAME] comp.wasm ARGS...` on a component:
 * instantiates it (src/cinst) with no host imports yet (WASI 0.2 is not
 * written, so any import is a link error naming it), calls the export given
 * by --invoke with its arguments read as WAVE values (component/wave.h), one
 * command-line argument per parameter, and prints the result in WAVE.
 */
#include <stdlib.h>
#include <string.h>

#include "cinst/instance.h"
#include "cli/cli.h"
#include "component/wave.h"
#include "common/file.h"

/* The root exports an instance named wasi:cli/run@VERSION. */
static bool exports_cli_run(const wc_component *c) {
  for (uint32_t i = 0; i < c->ndefs; i++) {
    const wc_def *d = &c->defs[i];
    if (d->kind == WC_DEF_EXPORT && d->sort == WC_INSTANCE && d->u.ie.name.len >= 13 &&
        !memcmp(d->u.ie.name.ptr, "wasi:cli/run@", 13))
      return true;
  }
  return false;
}

static int invoke(const char *path, const wc_component *c, const char *name, int nargs, char **args,
                  const cli_sandbox *sb) {
  wrun_config cfg = {0};
  cfg.fuel = sb->fuel;
  cfg.max_memory_bytes = sb->max_memory;
  cfg.stack_bytes = sb->max_stack > UINT32_MAX ? UINT32_MAX : (uint32_t)sb->max_stack;
  cfg.max_call_depth = sb->max_call_depth;
  cfg.aot = sb->aot;
  cfg.interruptible = sb->timeout_ns != 0;
  if (sb->aot && sb->fuel) {
    fprintf(stderr, "wrun: --fuel is not supported with --aot (compiled code does not count instructions)\n");
    return CLI_EXIT_USAGE;
  }
  wrun_store *s = wrun_store_new(&cfg);
  if (!s) {
    fprintf(stderr, "%s: out of memory creating the store\n", path);
    return CLI_EXIT_REJECTED;
  }
  wrun_error err;
  wc_arena arena = {0};
  wc_value *argv = NULL, res;
  int status = CLI_EXIT_OK;
  watchdog wd;
  watchdog_start(&wd, s, NULL, sb->timeout_ns);
  wc_instance *inst = wc_instantiate(s, c, NULL, &err);
  if (!inst) {
    if (err.kind == WRUN_ERR_LINK) {
      fprintf(stderr, "%s: link error: %s\n", path, err.message);
      status = CLI_EXIT_REJECTED;
    } else if (err.kind == WRUN_ERR_TRAP || err.kind == WRUN_ERR_EXHAUSTION) {
      fprintf(stderr, "%s: wasm trap: %s%s\n", path, err.message, cli_trap_hint(wrun_store_trap_kind(s)));
      status = CLI_EXIT_TRAP;
    } else {
      char buf[600];
      fprintf(stderr, "%s\n", wrun_error_format(&err, path, buf, sizeof buf));
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
    bool trap = err.kind == WRUN_ERR_TRAP || err.kind == WRUN_ERR_EXHAUSTION;
    fprintf(stderr, "%s: %s: %s%s\n", path, trap ? "wasm trap" : wrun_error_kind_name(err.kind), err.message,
            trap ? cli_trap_hint(wrun_store_trap_kind(s)) : "");
    status = trap ? CLI_EXIT_TRAP : CLI_EXIT_REJECTED;
    goto done;
  }
  if (t->has_result) {
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
  wrun_store_free(s);
  return status;
}

int cli_run_component(const char *path, const char *name, int nargs, char **args, const cli_sandbox *sb) {
  wrun_error err;
  wrun_error_clear(&err);
  size_t len;
  uint8_t *bytes = wrun_read_file(path, &len, &err);
  if (!bytes) return -1; /* the module path reports it */
  if (!wc_is_component(bytes, len)) {
    free(bytes);
    return -1;
  }
  wc_component *c = wc_component_load(bytes, len, &err);
  free(bytes);
  if (!c) return -1; /* the module path prints the one-line rejection */
  int status = -1;
  if (name) status = invoke(path, c, name, nargs, args, sb);
  else if (exports_cli_run(c)) {
    fprintf(stderr, "%s: wasi:cli/run needs WASI 0.2, not implemented yet\n", path);
    status = CLI_EXIT_REJECTED;
  }
  wc_component_free(c);
  return status;
}
