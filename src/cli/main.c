/*
 * main.c — the `wrun` command line: argument parsing and subcommands.
 *
 *   wrun [run] [OPTIONS] FILE [ARGS...]   run a module (options before FILE)
 *   wrun validate FILE...                 check modules
 *   wrun inspect FILE                     summarize a module
 *   wrun wast [OPTIONS] FILE|DIR...       run spec scripts
 *
 * Diagnostics go to stderr; stdout carries only program output, --invoke
 * results and the reports the user asked for (inspect, wast).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "cli/manifest.h"
#include "wast/wast.h"

static const char usage_main[] =
  "usage: wrun [run] [OPTIONS] FILE [ARGS...]\n"
  "       wrun validate FILE...\n"
  "       wrun inspect FILE\n"
  "       wrun wast [OPTIONS] FILE|DIR...\n"
  "       wrun compile [-o OUT] FILE\n"
  "       wrun help [COMMAND]\n"
  "\n"
  "FILE is a binary module (.wasm, recognised by its magic), a compiled\n"
  "artifact from `wrun compile` (also by its magic) or a text module\n"
  "(.wat, anything else). Options of `run` come before FILE; everything after\n"
  "FILE is passed to the guest.\n"
  "\n"
  "Exit status: 0 success; 1 the module or a file was rejected (I/O error,\n"
  "malformed, invalid, unlinkable); 2 usage error; 134 the guest trapped.\n";

static const char usage_run[] =
  "usage: wrun [run] [OPTIONS] FILE [ARGS...]\n"
  "Decodes, validates, instantiates and runs FILE with WASI preview 1: calls\n"
  "`_start` if exported, with ARGS as the guest's arguments. The exit status\n"
  "is the guest's proc_exit code. Nothing is granted by default: no\n"
  "directories, no environment variables.\n"
  "  --dir HOST[::GUEST]     preopen directory HOST, seen by the guest as GUEST\n"
  "                          (default: HOST's own name); GUEST `/` makes it the\n"
  "                          root that relative paths resolve against\n"
  "  --dir-ro HOST[::GUEST]  the same, read-only\n"
  "  --env NAME=VALUE        set a guest environment variable\n"
  "  --env NAME              pass the host's NAME (if set)\n"
  "  --inherit-env           pass the whole host environment\n"
  "  --tcplisten ADDR:PORT   give the guest a listening TCP socket (sock_accept);\n"
  "                          it cannot open sockets itself\n"
  "  --fuel N                stop with a trap after about N wasm instructions\n"
  "                          (charged per call and loop iteration by body size;\n"
  "                          deterministic)\n"
  "  --timeout DURATION      stop with a trap after DURATION of wall time\n"
  "                          (e.g. 500ms, 2s, 1m), even in an endless loop\n"
  "  --max-memory SIZE       cap each linear memory (e.g. 64M); memory.grow fails\n"
  "                          beyond it\n"
  "  --max-stack SIZE        size of the wasm value stack (default 8M)\n"
  "  --aot                   compile the module to native code (x86-64) at load\n"
  "                          time and run that instead of the interpreter\n"
  "  --no-cache              with --aot: do not use the compile cache\n"
  "                          ($WRUN_CACHE_DIR, else ~/.cache/wrun)\n"
  "  -v, --verbose           say on stderr which tier runs the code\n"
  "  -c, --config FILE       take the module and these settings from a YAML\n"
  "                          manifest (docs/cli.md); ARGS are appended to its args\n"
  "  --invoke NAME   call export NAME with ARGS parsed by its parameter types\n"
  "                  and print each result on its own line\n"
  "  -h, --help      this help\n";

static const char usage_validate[] =
  "usage: wrun validate FILE...\n"
  "Checks each FILE against the WebAssembly 2.0 binary/text format and\n"
  "validation rules. Prints nothing and exits 0 when all are valid; otherwise\n"
  "prints one line per rejected file, FILE:OFFSET (or LINE:COL): kind: message,\n"
  "and exits 1.\n";

static const char usage_inspect[] =
  "usage: wrun inspect FILE\n"
  "Prints the module's types, imports, exports, tables, memories and segment\n"
  "counts. Exits 1 if FILE is not a valid module.\n";

static const char usage_wast[] =
  "usage: wrun wast [OPTIONS] FILE|DIR...\n"
  "Runs WebAssembly spec scripts (.wast; a DIR means its *.wast files, sorted).\n"
  "Prints `FILE: N passed, N failed, N skipped` per file and the total\n"
  "`N passed, N failed, N skipped` last; exits 1 if anything failed.\n"
  "  -v, --verbose   print every skipped command and message mismatches\n"
  "  -q, --quiet     print only failures and the total\n"
  "  -x, --fail-fast stop at the first failure\n"
  "  --aot           run every module through the AOT compiler\n";

static int usage_error(const char *msg, const char *arg, const char *usage) {
  fprintf(stderr, "wrun: %s%s%s\n%s", msg, arg ? ": " : "", arg ? arg : "", usage);
  return CLI_EXIT_USAGE;
}

static bool is_help(const char *a) { return strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0; }

static int cmd_help(int argc, char **argv) {
  const char *topic = argc > 0 ? argv[0] : NULL;
  if (!topic) fputs(usage_main, stdout);
  else if (strcmp(topic, "run") == 0) fputs(usage_run, stdout);
  else if (strcmp(topic, "validate") == 0) fputs(usage_validate, stdout);
  else if (strcmp(topic, "inspect") == 0) fputs(usage_inspect, stdout);
  else if (strcmp(topic, "wast") == 0) fputs(usage_wast, stdout);
  else return usage_error("unknown command", topic, usage_main);
  return CLI_EXIT_OK;
}

static int cmd_validate(int argc, char **argv) {
  if (argc > 0 && is_help(argv[0])) return fputs(usage_validate, stdout), CLI_EXIT_OK;
  if (argc == 0) return usage_error("validate needs at least one FILE", NULL, usage_validate);
  int status = CLI_EXIT_OK;
  for (int i = 0; i < argc; i++) {
    wasm_module *m = cli_load_module(argv[i]);
    if (!m) status = CLI_EXIT_REJECTED;
    wasm_module_free(m);
  }
  return status;
}

static int cmd_inspect(int argc, char **argv) {
  if (argc > 0 && is_help(argv[0])) return fputs(usage_inspect, stdout), CLI_EXIT_OK;
  if (argc != 1) return usage_error("inspect takes exactly one FILE", NULL, usage_inspect);
  wasm_module *m = cli_load_module(argv[0]);
  if (!m) return CLI_EXIT_REJECTED;
  cli_inspect(argv[0], m);
  wasm_module_free(m);
  return CLI_EXIT_OK;
}

static int cmd_wast(int argc, char **argv) {
  wast_options opt = {0};
  int i = 0;
  for (; i < argc && argv[i][0] == '-'; i++) {
    if (is_help(argv[i])) return fputs(usage_wast, stdout), CLI_EXIT_OK;
    if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--verbose") == 0) opt.verbose = true;
    else if (strcmp(argv[i], "-q") == 0 || strcmp(argv[i], "--quiet") == 0) opt.quiet = true;
    else if (strcmp(argv[i], "-x") == 0 || strcmp(argv[i], "--fail-fast") == 0) opt.fail_fast = true;
    else if (strcmp(argv[i], "--aot") == 0) opt.aot = true;
    else if (strcmp(argv[i], "--") == 0) { i++; break; }
    else return usage_error("unknown option", argv[i], usage_wast);
  }
  if (i == argc) return usage_error("wast needs at least one FILE or DIR", NULL, usage_wast);
  return wast_run_paths(argv + i, argc - i, &opt, stdout);
}

static void sandbox_free(cli_sandbox *sb) {
  for (int i = 0; i < sb->nenv; i++) free(sb->env[i]);
  free(sb->env);
  for (int i = 0; i < sb->nlisten; i++) free(sb->listen[i]);
  free(sb->listen);
  free(sb->dirs);
}

static bool sandbox_listen(cli_sandbox *sb, const char *spec) {
  char **l = realloc(sb->listen, (size_t)(sb->nlisten + 1) * sizeof *l);
  if (!l) return false;
  sb->listen = l;
  if (!(sb->listen[sb->nlisten] = strdup(spec))) return false;
  sb->nlisten++;
  return true;
}

static bool sandbox_env(cli_sandbox *sb, const char *kv) {
  char **e = realloc(sb->env, (size_t)(sb->nenv + 1) * sizeof *e);
  if (!e) return false;
  sb->env = e;
  if (!(sb->env[sb->nenv] = strdup(kv))) return false;
  sb->nenv++;
  return true;
}

/* --dir HOST[::GUEST] */
static bool sandbox_dir(cli_sandbox *sb, char *spec, bool readonly) {
  wasi_preopen *d = realloc(sb->dirs, (size_t)(sb->ndirs + 1) * sizeof *d);
  if (!d) return false;
  sb->dirs = d;
  char *sep = strstr(spec, "::");
  wasi_preopen *p = &sb->dirs[sb->ndirs++];
  p->readonly = readonly;
  if (sep) {
    *sep = 0;
    p->host_path = spec;
    p->guest_path = sep + 2;
  } else {
    p->host_path = spec;
    p->guest_path = spec;
  }
  return true;
}

static int cmd_run(int argc, char **argv) {
  extern char **environ;
  const char *invoke = NULL, *config = NULL;
  cli_sandbox sb = {0};
  int i = 0, status;
  for (; i < argc && argv[i][0] == '-' && argv[i][1]; i++) {
    const char *a = argv[i];
    bool ok = true;
    if (is_help(a)) {
      sandbox_free(&sb);
      return fputs(usage_run, stdout), CLI_EXIT_OK;
    }
    if (strcmp(a, "--") == 0) {
      i++;
      break;
    }
    bool takes = strcmp(a, "--invoke") == 0 || strcmp(a, "--dir") == 0 || strcmp(a, "--dir-ro") == 0 ||
                 strcmp(a, "--env") == 0 || strcmp(a, "--fuel") == 0 || strcmp(a, "--timeout") == 0 ||
                 strcmp(a, "--max-memory") == 0 || strcmp(a, "--max-stack") == 0 || strcmp(a, "-c") == 0 ||
                 strcmp(a, "--config") == 0 || strcmp(a, "--tcplisten") == 0;
    if (takes && i + 1 >= argc) {
      sandbox_free(&sb);
      return usage_error("option needs a value", a, usage_run);
    }
    if (strcmp(a, "--invoke") == 0) invoke = argv[++i];
    else if (strcmp(a, "-c") == 0 || strcmp(a, "--config") == 0) config = argv[++i];
    else if (strcmp(a, "--dir") == 0) ok = sandbox_dir(&sb, argv[++i], false);
    else if (strcmp(a, "--tcplisten") == 0) ok = sandbox_listen(&sb, argv[++i]);
    else if (strcmp(a, "--dir-ro") == 0) ok = sandbox_dir(&sb, argv[++i], true);
    else if (strcmp(a, "--env") == 0) {
      const char *v = argv[++i];
      if (strchr(v, '=')) ok = sandbox_env(&sb, v);
      else {
        const char *host = getenv(v);
        if (host) {
          size_t n = strlen(v) + strlen(host) + 2;
          char *kv = malloc(n);
          ok = kv != NULL;
          if (kv) {
            snprintf(kv, n, "%s=%s", v, host);
            ok = sandbox_env(&sb, kv);
            free(kv);
          }
        }
      }
    } else if (strcmp(a, "--fuel") == 0 || strcmp(a, "--max-memory") == 0 || strcmp(a, "--max-stack") == 0 ||
               strcmp(a, "--timeout") == 0) {
      const char *v = argv[++i];
      uint64_t n;
      bool good = strcmp(a, "--timeout") == 0 ? cli_parse_duration(v, &n) : cli_parse_size(v, &n);
      if (!good || n == 0 || (strcmp(a, "--max-stack") == 0 && (n < 4096 || n > UINT32_MAX))) {
        sandbox_free(&sb);
        return usage_error("bad value for option", a, usage_run);
      }
      if (strcmp(a, "--fuel") == 0) sb.fuel = n;
      else if (strcmp(a, "--timeout") == 0) sb.timeout_ns = n;
      else if (strcmp(a, "--max-memory") == 0) sb.max_memory = n;
      else sb.max_stack = n;
    } else if (strcmp(a, "--aot") == 0) {
      sb.aot = true;
    } else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) {
      sb.verbose = true;
    } else if (strcmp(a, "--no-cache") == 0) {
      sb.no_cache = true;
    } else if (strcmp(a, "--inherit-env") == 0) {
      for (char **e = environ; ok && *e; e++) ok = sandbox_env(&sb, *e);
    } else {
      sandbox_free(&sb);
      return usage_error("unknown option", a, usage_run);
    }
    if (!ok) {
      sandbox_free(&sb);
      fprintf(stderr, "wrun: out of memory\n");
      return CLI_EXIT_REJECTED;
    }
  }
  cli_manifest man = {0};
  char **gargs = argv + i + 1;
  int ngargs = argc - i - 1;
  char **joined = NULL;
  const char *path;
  if (config) { /* the manifest gives the module; every remaining word is a guest argument */
    if (!cli_manifest_load(config, &man)) {
      sandbox_free(&sb);
      return CLI_EXIT_REJECTED;
    }
    bool ok = true;
    for (int k = 0; ok && k < man.nenv; k++) ok = sandbox_env(&sb, man.env[k]);
    for (int k = 0; ok && k < man.nlisten; k++) ok = sandbox_listen(&sb, man.listen[k]);
    for (char **e = environ; ok && man.inherit_env && *e; e++) ok = sandbox_env(&sb, *e);
    for (int k = 0; ok && k < man.ndirs; k++) {
      wasi_preopen *d = realloc(sb.dirs, (size_t)(sb.ndirs + 1) * sizeof *d);
      ok = d != NULL;
      if (ok) {
        sb.dirs = d;
        sb.dirs[sb.ndirs++] = man.dirs[k];
      }
    }
    if (!sb.fuel) sb.fuel = man.limits.fuel;
    if (!sb.timeout_ns) sb.timeout_ns = man.limits.timeout_ns;
    if (!sb.max_memory) sb.max_memory = man.limits.max_memory;
    if (!sb.max_stack) sb.max_stack = man.limits.max_stack;
    ngargs = man.nargs + (argc - i);
    joined = calloc((size_t)ngargs + 1, sizeof *joined);
    ok = ok && joined;
    if (!ok) {
      fprintf(stderr, "wrun: out of memory\n");
      free(joined);
      cli_manifest_free(&man);
      sandbox_free(&sb);
      return CLI_EXIT_REJECTED;
    }
    for (int k = 0; k < man.nargs; k++) joined[k] = man.args[k];
    for (int k = i; k < argc; k++) joined[man.nargs + k - i] = argv[k];
    gargs = joined;
    path = man.module;
  } else {
    if (i == argc) {
      sandbox_free(&sb);
      return usage_error("no module FILE given", NULL, usage_run);
    }
    path = argv[i];
  }
  wasm_module *m = cli_load_module(path);
  status = m && cli_prepare_aot(path, m, &sb) ? cli_run_module(path, m, invoke, ngargs, gargs, &sb)
                                              : CLI_EXIT_REJECTED;
  wasm_module_free(m);
  free(joined);
  sandbox_free(&sb);
  cli_manifest_free(&man);
  return status;
}

int main(int argc, char **argv) {
  cli_stdio_guard(); /* before anything opens a descriptor */
  if (argc < 2) {
    fputs(usage_main, stderr);
    return CLI_EXIT_USAGE;
  }
  const char *cmd = argv[1];
  if (is_help(cmd)) return fputs(usage_main, stdout), CLI_EXIT_OK;
  if (strcmp(cmd, "--version") == 0 || strcmp(cmd, "-V") == 0) {
    printf("wrun %s\n", WRUN_VERSION);
    return CLI_EXIT_OK;
  }
  if (strcmp(cmd, "help") == 0) return cmd_help(argc - 2, argv + 2);
  if (strcmp(cmd, "validate") == 0) return cmd_validate(argc - 2, argv + 2);
  if (strcmp(cmd, "inspect") == 0) return cmd_inspect(argc - 2, argv + 2);
  if (strcmp(cmd, "wast") == 0) return cmd_wast(argc - 2, argv + 2);
  if (strcmp(cmd, "run") == 0) return cmd_run(argc - 2, argv + 2);
  if (strcmp(cmd, "compile") == 0) return cli_compile(argc - 2, argv + 2);
  return cmd_run(argc - 1, argv + 1);
}
