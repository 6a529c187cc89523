/*
 * main.c — the `wrun` command line: picks the subcommand and runs it.
 *
 *   wrun [run] [OPTIONS] FILE [ARGS...]   run a module (options before FILE)
 *   wrun validate FILE...                 check modules
 *   wrun inspect FILE                     summarize a module
 *   wrun wast [OPTIONS] FILE|DIR...       run spec scripts
 *   wrun compile [OPTIONS] FILE           write a compiled artifact
 *   wrun serve [OPTIONS] FILE             serve HTTP with a handler (src/serve)
 *   wrun oci build APP.wasm -o IMAGE.tar  an OCI image for containerd (oci.c)
 *   wrun help [COMMAND], wrun version
 *
 * Options are parsed by the table in options.c. Diagnostics go to stderr, in
 * one of two forms (docs/cli.md): "FILE[:LOCATION]: kind: message" about an
 * input, "wrun: message" about the command line or the host; a usage error is
 * one line ending in a pointer to the command's help. stdout carries only
 * program output, --invoke results and the reports the user asked for.
 */
#include <pthread.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/resource.h>

#include "aot/aot.h"
#include "cli/cli.h"
#include "cli/manifest.h"
#include "cli/options.h"
#include "wast/wast.h"

/* The value stack of --max-stack by default (the store's own default), and
 * how much of it one call level may take: SIZE/256 nested calls. */
#define DEFAULT_STACK_BYTES (8u << 20)
#define STACK_BYTES_PER_CALL 256u
/* Native stack kept beyond --max-stack for host calls (WASI, libuv). */
#define HOST_STACK_MARGIN (2u << 20)

static int print_version(void) {
  printf("wrun %s\n", WRUN_VERSION);
  return CLI_EXIT_OK;
}

/* Parses the options of a command that takes nothing but -h (validate,
 * inspect, version). *first gets the index of the first operand. Returns -1
 * to go on, else the exit status. */
static int plain_options(cli_command c, int argc, char **argv, int *first, int *nops) {
  cli_options o = {0};
  if (!cli_parse_options(c, argc, argv, false, &o, first, nops)) return CLI_EXIT_USAGE;
  if (o.help) {
    cli_print_help(c, stdout);
    return CLI_EXIT_OK;
  }
  return -1;
}

static int cmd_help(int argc, char **argv) {
  int first, n, st = plain_options(CLI_CMD_HELP, argc, argv, &first, &n);
  if (st >= 0) return st;
  if (n > 1) return cli_usage_error(CLI_CMD_HELP, "help takes at most one COMMAND");
  if (n == 0) {
    cli_print_help(0, stdout);
    return CLI_EXIT_OK;
  }
  cli_command c = cli_command_named(argv[first]);
  if (!c) return cli_usage_error(CLI_CMD_HELP, "unknown command '%s'", argv[first]);
  cli_print_help(c, stdout);
  return CLI_EXIT_OK;
}

static int cmd_version(int argc, char **argv) {
  int first, n, st = plain_options(CLI_CMD_VERSION, argc, argv, &first, &n);
  if (st >= 0) return st;
  if (n) return cli_usage_error(CLI_CMD_VERSION, "version takes no arguments");
  return print_version();
}

static int cmd_validate(int argc, char **argv) {
  int first, n, st = plain_options(CLI_CMD_VALIDATE, argc, argv, &first, &n);
  if (st >= 0) return st;
  if (n == 0) return cli_usage_error(CLI_CMD_VALIDATE, "validate needs at least one FILE");
  int status = CLI_EXIT_OK;
  for (int i = first; i < argc; i++) {
    size_t len;
    uint8_t *bytes = cli_read_input(argv[i], &len);
    if (!bytes) {
      status = CLI_EXIT_REJECTED;
      continue;
    }
    int cs = cli_component_bytes(argv[i], bytes, len, false);
    if (cs >= 0) {
      if (cs != CLI_EXIT_OK) status = cs;
    } else {
      wm_module *m = cli_load_module_bytes(argv[i], bytes, len);
      if (!m) status = CLI_EXIT_REJECTED;
      wm_module_free(m);
    }
    free(bytes);
  }
  return status;
}

static int cmd_inspect(int argc, char **argv) {
  int first, n, st = plain_options(CLI_CMD_INSPECT, argc, argv, &first, &n);
  if (st >= 0) return st;
  if (n != 1) return cli_usage_error(CLI_CMD_INSPECT, "inspect takes exactly one FILE");
  return cli_inspect_file(argv[first]);
}

static int cmd_wast(int argc, char **argv) {
  cli_options o = {0};
  int first, n;
  if (!cli_parse_options(CLI_CMD_WAST, argc, argv, false, &o, &first, &n)) return CLI_EXIT_USAGE;
  if (o.help) return cli_print_help(CLI_CMD_WAST, stdout), CLI_EXIT_OK;
  if (n == 0) return cli_usage_error(CLI_CMD_WAST, "wast needs at least one FILE or DIR");
  if (!cli_tier_finish(&o.sb, CLI_CMD_WAST)) return CLI_EXIT_USAGE;
  if (o.sb.aot && !cli_aot_available(aot_host_arch())) return CLI_EXIT_REJECTED; /* once, not per module */
  wast_options opt = {.verbose = o.sb.verbose, .quiet = o.quiet, .fail_fast = o.fail_fast, .aot = o.sb.aot,
                      .tiered = o.sb.tier_mode == CLI_TIER_AUTO};
  return wast_run_paths(argv + first, n, &opt, stdout);
}

static int cmd_compile(int argc, char **argv) {
  cli_options o = {0};
  int n;
  if (!cli_parse_options(CLI_CMD_COMPILE, argc, argv, true, &o, NULL, &n)) return CLI_EXIT_USAGE;
  if (o.help) return cli_print_help(CLI_CMD_COMPILE, stdout), CLI_EXIT_OK;
  if (n == 0) return cli_usage_error(CLI_CMD_COMPILE, "compile needs a FILE");
  if (n > 1) return cli_usage_error(CLI_CMD_COMPILE, "compile takes one FILE, %d given", n);
  if (o.sb.aot_opt && o.sb.aot_one_pass)
    return cli_usage_error(CLI_CMD_COMPILE, "--opt and --one-pass contradict each other");
  /* the optimizing pipeline unless --one-pass */
  return cli_compile(argv[0], o.output, o.target, o.interruptible, !cli_one_pass(&o.sb), o.sb.verbose);
}

/* A module that needs more memory from the start than --max-memory allows is
 * refused before instantiation, naming the flag. */
static bool memory_fits(const char *path, const wm_module *m, uint64_t max_memory) {
  if (!max_memory) return true;
  for (uint32_t i = 0; i < m->nmems; i++) {
    uint64_t min = m->mems[i].type.limits.min;
    if (min > max_memory / 65536) {
      fprintf(stderr,
              "%s: limit: memory %u needs %llu pages (%llu KiB) from the start, more than --max-memory "
              "allows (%llu KiB)\n",
              path, i, (unsigned long long)min, (unsigned long long)(min * 64),
              (unsigned long long)(max_memory / 1024));
      return false;
    }
  }
  return true;
}

/* What runs the guest, possibly on a thread of its own (see run_with_stack). */
typedef struct run_job {
  const char *path;
  const char *invoke;
  int nargs;
  char **args;
  cli_sandbox *sb;
  int status;
} run_job;

static void *run_job_main(void *arg) {
  run_job *j = arg;
  size_t len;
  uint8_t *bytes = cli_read_input(j->path, &len); /* once, whatever the file turns out to be */
  if (!bytes) {
    j->status = CLI_EXIT_REJECTED;
    return NULL;
  }
  int cs = cli_run_component(j->path, bytes, len, j->invoke, j->nargs, j->args, j->sb);
  if (cs >= 0) {
    free(bytes);
    j->status = cs;
    return NULL;
  }
  wm_module *m = cli_load_program_bytes(j->path, bytes, len, j->sb->allow_precompiled);
  free(bytes); /* the module has its own copy */
  if (!m || !memory_fits(j->path, m, j->sb->max_memory) || !cli_prepare_aot(j->path, m, j->sb))
    j->status = CLI_EXIT_REJECTED;
  else
    j->status = cli_run_module(j->path, m, j->invoke, j->nargs, j->args, j->sb);
  wm_module_free(m);
  return NULL;
}

/* Compiled code runs on the native stack of the thread that calls it, so a
 * --max-stack beyond what the process's stack limit gives the main thread is
 * honoured by running the guest on a thread with a stack of that size. The
 * main thread then only waits, with signals blocked so that they reach the
 * guest's thread (a Ctrl-C still ends the process). */
static void run_with_stack(run_job *j) {
  uint64_t need = j->sb->max_stack + HOST_STACK_MARGIN;
  struct rlimit rl;
  bool main_is_enough = j->sb->max_stack <= DEFAULT_STACK_BYTES ||
                        (getrlimit(RLIMIT_STACK, &rl) == 0 && rl.rlim_cur != RLIM_INFINITY && rl.rlim_cur >= need);
  pthread_attr_t attr;
  pthread_t thread;
  if (main_is_enough || pthread_attr_init(&attr) != 0) {
    run_job_main(j);
    return;
  }
  bool started = pthread_attr_setstacksize(&attr, (size_t)need) == 0 &&
                 pthread_create(&thread, &attr, run_job_main, j) == 0;
  pthread_attr_destroy(&attr);
  if (!started) {
    fprintf(stderr, "wrun: cannot create a thread with a %llu-byte stack for --max-stack\n",
            (unsigned long long)need);
    j->status = CLI_EXIT_REJECTED;
    return;
  }
  sigset_t all, old;
  sigfillset(&all);
  pthread_sigmask(SIG_BLOCK, &all, &old);
  pthread_join(thread, NULL);
  pthread_sigmask(SIG_SETMASK, &old, NULL);
}

static int cmd_run(int argc, char **argv) {
  cli_options o = {0};
  cli_manifest man = {0};
  int first, n, status;
  if (!cli_parse_options(CLI_CMD_RUN, argc, argv, false, &o, &first, &n)) {
    cli_options_free(&o);
    return CLI_EXIT_USAGE;
  }
  if (o.help) {
    cli_options_free(&o);
    cli_print_help(CLI_CMD_RUN, stdout);
    return CLI_EXIT_OK;
  }
  if (!o.config && n == 0) {
    cli_options_free(&o);
    return cli_usage_error(CLI_CMD_RUN, "no module FILE given");
  }
  if (o.config && !cli_manifest_load(o.config, &man)) {
    cli_options_free(&o);
    return CLI_EXIT_REJECTED;
  }
  run_job job = {.sb = &o.sb, .status = CLI_EXIT_REJECTED};
  char **joined = NULL;
  if (!cli_options_finish(&o, o.config ? &man.opts : NULL, &status)) goto done;
  if (!cli_tier_finish(&o.sb, CLI_CMD_RUN)) {
    status = CLI_EXIT_USAGE;
    goto done;
  }
  if (o.sb.aot && o.sb.fuel) { /* run.c checks again for artifacts, which turn on aot by themselves */
    status = cli_usage_error(CLI_CMD_RUN, "--fuel is not supported with --aot (compiled code does not count "
                                          "instructions)");
    goto done;
  }
  if (!o.sb.max_stack) o.sb.max_stack = DEFAULT_STACK_BYTES;
  o.sb.max_call_depth = (uint32_t)(o.sb.max_stack / STACK_BYTES_PER_CALL);
  job.invoke = o.invoke;
  if (o.config) { /* the manifest gives the module; every remaining word is a guest argument */
    job.path = man.module;
    job.nargs = man.nargs + n;
    joined = calloc((size_t)job.nargs + 1, sizeof *joined);
    if (!joined) {
      fputs("wrun: out of memory\n", stderr);
      status = CLI_EXIT_REJECTED;
      goto done;
    }
    for (int k = 0; k < man.nargs; k++) joined[k] = man.args[k];
    for (int k = 0; k < n; k++) joined[man.nargs + k] = argv[first + k];
    job.args = joined;
  } else {
    job.path = argv[first];
    job.nargs = n - 1;
    job.args = argv + first + 1;
  }
  run_with_stack(&job);
  status = job.status;
done:
  free(joined);
  cli_options_free(&o);
  cli_manifest_free(&man);
  return status;
}

int main(int argc, char **argv) {
  cli_stdio_guard(); /* before anything opens a descriptor */
  if (argc < 2) return cli_usage_error(0, "no command or FILE given");
  const char *cmd = argv[1];
  if (strcmp(cmd, "-h") == 0 || strcmp(cmd, "--help") == 0) return cli_print_help(0, stdout), CLI_EXIT_OK;
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) return print_version();
  if (strcmp(cmd, "version") == 0) return cmd_version(argc - 2, argv + 2);
  if (strcmp(cmd, "help") == 0) return cmd_help(argc - 2, argv + 2);
  if (strcmp(cmd, "validate") == 0) return cmd_validate(argc - 2, argv + 2);
  if (strcmp(cmd, "inspect") == 0) return cmd_inspect(argc - 2, argv + 2);
  if (strcmp(cmd, "wast") == 0) return cmd_wast(argc - 2, argv + 2);
  if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
  if (strcmp(cmd, "compile") == 0) return cmd_compile(argc - 2, argv + 2);
  if (strcmp(cmd, "serve") == 0) return cli_serve(argc - 2, argv + 2);
  if (strcmp(cmd, "oci") == 0) return cli_oci(argc - 2, argv + 2);
  return cmd_run(argc - 1, argv + 1);
}
