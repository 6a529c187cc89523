/*
 * options.c — the table of wrun's options and everything it drives: parsing
 * of every command's arguments (`--opt value`, `--opt=value`, `-x value`),
 * the option lists in `wrun help CMD`, the keys a manifest may set (manifest.c
 * looks them up here), and the one-line usage errors.
 */
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "cli/options.h"
#include "wasip2/wasip2.h"

#define RUN CLI_CMD_RUN
#define WAST CLI_CMD_WAST
#define COMPILE CLI_CMD_COMPILE
#define SERVE CLI_CMD_SERVE
#define ALL (CLI_CMD_RUN | CLI_CMD_VALIDATE | CLI_CMD_INSPECT | CLI_CMD_WAST | CLI_CMD_COMPILE | CLI_CMD_HELP | \
             CLI_CMD_VERSION | CLI_CMD_SERVE)
#define AT(field) offsetof(cli_options, field)

/* The order here is the order of the help text. */
const cli_option cli_option_table[] = {
  {"--dir", 0, CLI_ARG_DIR, RUN, "HOST[::GUEST]",
   "preopen directory HOST, seen by the guest as GUEST\n"
   "(default: HOST's own name); GUEST `/` makes it the\n"
   "root that relative paths resolve against; two\n"
   "preopens may not share a GUEST name", "dirs", 0, 0, 0},
  {"--dir-ro", 0, CLI_ARG_DIR_RO, RUN, "HOST[::GUEST]", "the same, read-only", "dirs-ro", 0, 0, 0},
  {"--env", 0, CLI_ARG_ENV, RUN, "NAME[=VALUE]",
   "set a guest environment variable (without =VALUE:\n"
   "the host's value, if set); the last of a NAME wins", "env", 0, 0, 0},
  {"--inherit-env", 0, CLI_ARG_NONE, RUN, NULL,
   "pass the whole host environment (--env overrides it)", "inherit-env", AT(inherit_env), 0, 0},
  {"--tcplisten", 0, CLI_ARG_ADDR, RUN, "ADDR:PORT",
   "give the guest a listening TCP socket (sock_accept);\n"
   "it cannot open sockets itself", "listen", 0, 0, 0},
  {"--allow-connect", 0, CLI_ARG_NET, RUN, "ADDR[/BITS]:PORTS",
   "components (wasi:sockets): allow TCP connections and\n"
   "UDP datagrams to these addresses and ports (PORTS:\n"
   "N, N-M or *; IPv6 in brackets: [::1]:80); repeatable;\n"
   "nothing is allowed by default", "allow-connect", AT(sb.allow_connect), 0, 0},
  {"--allow-bind", 0, CLI_ARG_NET, RUN, "ADDR[/BITS]:PORTS",
   "components: allow binding TCP and UDP sockets (and so\n"
   "listening) to these addresses and ports (port 0: an\n"
   "ephemeral port, allowed when the range includes 0)", "allow-bind", AT(sb.allow_bind), 0, 0},
  {"--allow-lookup", 0, CLI_ARG_NONE, RUN, NULL,
   "components: allow name resolution (ip-name-lookup);\n"
   "connecting to the answers needs --allow-connect", "allow-lookup", AT(sb.allow_lookup), 0, 0},
  {"--allow-http", 0, CLI_ARG_ALLOW_HTTP, RUN | SERVE, "DEST",
   "let a component's wasi:http requests reach DEST:\n"
   "HOST[:PORT], ADDR[/PREFIX][:PORT] or * (default:\n"
   "nothing is reachable)", "allow-http", 0, 0, 0},
  {"--fuel", 0, CLI_ARG_COUNT, RUN | SERVE, "N",
   "stop with a trap after about N wasm instructions\n"
   "(charged per call and loop iteration by body size;\n"
   "deterministic; interpreter only)", "limits.fuel", AT(sb.fuel), 0, 0},
  {"--timeout", 0, CLI_ARG_DURATION, RUN | SERVE, "DURATION",
   "stop with a trap after DURATION of wall time\n"
   "(500ms, 2s, 1m), even in an endless loop", "limits.timeout", AT(sb.timeout_ns), 0, 0},
  {"--max-memory", 0, CLI_ARG_SIZE, RUN | SERVE, "SIZE",
   "cap each linear memory (e.g. 64M): memory.grow fails\n"
   "beyond it; a module that needs more is refused", "limits.max-memory", AT(sb.max_memory), 0, 0},
  {"--max-stack", 0, CLI_ARG_SIZE, RUN | SERVE, "SIZE",
   "the wasm stack (default 8M): SIZE bytes of values,\n"
   "SIZE/256 nested calls, SIZE bytes of native stack\n"
   "for compiled code; deeper recursion traps", "limits.max-stack", AT(sb.max_stack), 4096,
   UINT32_MAX},
  {"--invoke", 0, CLI_ARG_STRING, RUN, "NAME",
   "call export NAME instead of _start with ARGS parsed\n"
   "by its parameter types (see below) and print each\n"
   "result on its own line", "invoke", AT(invoke), 0, 0},
  {"--aot", 0, CLI_ARG_NONE, RUN | SERVE | WAST, NULL,
   "compile the module to native code (x86-64 or\n"
   "AArch64) at load time and run that instead of\n"
   "the interpreter", "aot", AT(sb.aot), 0, 0},
  {"--tier", 0, CLI_ARG_STRING, RUN | WAST, "TIER",
   "where code runs: interp (the interpreter only), aot\n"
   "(compiled before it starts, as --aot) or auto (run:\n"
   "the default; start interpreted, compile the module\n"
   "on a background thread when code gets hot and switch\n"
   "to it at calls and loop heads; code from the compile\n"
   "cache runs compiled at once; --fuel stays interp)", "tier", AT(sb.tier), 0, 0},
  {"--opt", 0, CLI_ARG_NONE, RUN | COMPILE, NULL,
   "compile with the optimizing pipeline (the default;\n"
   "docs/aot-ir.md; run: implies --aot)", NULL, AT(sb.aot_opt), 0, 0},
  {"--one-pass", 0, CLI_ARG_NONE, RUN | COMPILE, NULL,
   "compile with the one-pass compiler instead: about\n"
   "2.5x faster compiles, slower code (x86-64; run:\n"
   "for --aot and tier-up)", NULL, AT(sb.aot_one_pass), 0, 0},
  {"--allow-precompiled", 0, CLI_ARG_NONE, RUN, NULL,
   "run compiled artifacts from `wrun compile` (native\n"
   "code: trust them as you would an executable)", "allow-precompiled", AT(sb.allow_precompiled), 0, 0},
  {"--interpreter", 0, CLI_ARG_NONE, SERVE, NULL,
   "serve: run the interpreter instead of compiled code\n"
   "(serve compiles by default, into the compile cache;\n"
   "--fuel implies the interpreter)", "interpreter", AT(interpreter), 0, 0},
  {"--no-cache", 0, CLI_ARG_NONE, RUN | SERVE, NULL,
   "--aot and --tier auto: do not use the compile cache\n"
   "($WRUN_CACHE_DIR, else ~/.cache/wrun)", "no-cache", AT(sb.no_cache), 0, 0},
  {"--config", 'c', CLI_ARG_STRING, RUN | SERVE, "FILE",
   "take the module and settings from a YAML manifest\n"
   "(docs/cli.md); ARGS are appended to its args; the\n"
   "command line wins", NULL, AT(config), 0, 0},
  {"--addr", 0, CLI_ARG_STRING, SERVE, "ADDR:PORT",
   "serve: listen there (default 127.0.0.1:8080; :PORT\n"
   "is every interface, port 0 picks a free one)", "serve.addr", AT(addr), 0, 0},
  {"--workers", 0, CLI_ARG_COUNT, SERVE, "N",
   "serve: N threads, each with its own loop and socket\n"
   "(SO_REUSEPORT; default: one per core)", "serve.workers", AT(workers), 1, 1024},
  {"--worker-processes", 0, CLI_ARG_NONE, SERVE, NULL,
   "serve: make each worker a process of its own (cheaper\n"
   "fresh instances: no TLB shootdowns between workers)", "serve.worker-processes", AT(worker_processes), 0,
   0},
  {"--max-header-size", 0, CLI_ARG_SIZE, SERVE, "SIZE",
   "serve: request line and headers beyond SIZE get 431\n"
   "(default 32K)", "serve.max-header-size", AT(max_header_size), 0, 0},
  {"--max-body-size", 0, CLI_ARG_SIZE, SERVE, "SIZE",
   "serve: request bodies beyond SIZE get 413 (default\n"
   "16M)", "serve.max-body-size", AT(max_body_size), 0, 0},
  {"--client-timeout", 0, CLI_ARG_DURATION, SERVE, "DURATION",
   "serve: drop a client that sends nothing for this\n"
   "long, idle or mid-request (default 10s)", "serve.client-timeout", AT(client_timeout), 0, 0},
  {"--drain-timeout", 0, CLI_ARG_DURATION, SERVE, "DURATION",
   "serve: on SIGINT/SIGTERM wait this long at most for\n"
   "requests in flight (default 10s)", "serve.drain-timeout", AT(drain_timeout), 0, 0},
  {"--upstream", 0, CLI_ARG_STRING, SERVE, "URL",
   "serve: http://HOST[:PORT][/PREFIX] the http-wasm\n"
   "guest's next handler forwards to (without: 404)", "serve.upstream", AT(upstream), 0, 0},
  {"--guest-config", 0, CLI_ARG_STRING, SERVE, "FILE",
   "serve: bytes the guest reads with get_config", "serve.guest-config", AT(guest_config), 0, 0},
  {"--tls-cert", 0, CLI_ARG_STRING, SERVE, "FILE",
   "serve: HTTPS with this PEM certificate chain (and\n"
   "--tls-key); HTTP/2 or HTTP/1.1 by ALPN", "serve.tls-cert", AT(tls_cert), 0, 0},
  {"--tls-key", 0, CLI_ARG_STRING, SERVE, "FILE", "serve: the PEM private key of --tls-cert", "serve.tls-key",
   AT(tls_key), 0, 0},
  {"--log", 0, CLI_ARG_NONE, SERVE, NULL, "serve: one access-log line per request on stderr\n(the default)",
   "serve.log", AT(log), 0, 0},
  {"--quiet", 'q', CLI_ARG_NONE, SERVE, NULL, "serve: no access log", "serve.quiet", AT(quiet), 0, 0},
  {"--reuse-instances", 0, CLI_ARG_NONE, SERVE, NULL,
   "serve: the handler opts in to keeping its state: each\n"
   "worker reuses one instance for request after request\n"
   "(a trap still discards it); default: a fresh instance\n"
   "per request", "serve.reuse-instances", AT(reuse_instances), 0, 0},
  {"--output", 'o', CLI_ARG_STRING, COMPILE, "FILE", "where to write (default: FILE with extension\n.cwasm)", NULL,
   AT(output), 0, 0},
  {"--target", 0, CLI_ARG_STRING, COMPILE, "ISA",
   "the instruction set to compile for: x86_64 or\naarch64 (default: this machine's); one this build\n"
   "has no code generator for is an error", NULL, AT(target), 0, 0},
  {"--interruptible", 0, CLI_ARG_NONE, COMPILE, NULL, "add the checks `--timeout` needs (slightly\nslower code)",
   NULL, AT(interruptible), 0, 0},
  {"--quiet", 'q', CLI_ARG_NONE, WAST, NULL, "print only failures and the total", NULL, AT(quiet), 0, 0},
  {"--fail-fast", 'x', CLI_ARG_NONE, WAST, NULL, "stop at the first failure", NULL, AT(fail_fast), 0, 0},
  {"--verbose", 'v', CLI_ARG_NONE, RUN | SERVE | WAST | COMPILE, NULL,
   "say more on stderr (run: which tier runs and where\n"
   "its code came from; compile: sizes and speed; wast:\n"
   "skipped commands and message mismatches)", NULL, AT(sb.verbose), 0, 0},
  {"--help", 'h', CLI_ARG_HELP, ALL, NULL, "this help", NULL, AT(help), 0, 0},
};
const size_t cli_noptions = sizeof cli_option_table / sizeof *cli_option_table;
/* cli_options.given has one bit per row */
_Static_assert(sizeof cli_option_table / sizeof *cli_option_table <= 64, "too many options for cli_options.given");

/* ---- commands and their help --------------------------------------------- */

typedef struct command_info {
  cli_command cmd;
  const char *name;
  const char *usage;             /* the usage line(s) and description */
  const char *after;             /* printed after the options, or NULL */
} command_info;

static const command_info commands[] = {
  {CLI_CMD_RUN, "run",
   "usage: wrun [run] [OPTIONS] FILE [ARGS...]\n"
   "       wrun [run] -c MANIFEST [OPTIONS] [ARGS...]\n"
   "Decodes, validates, instantiates and runs FILE with WASI preview 1: calls\n"
   "`_start` if exported, with ARGS as the guest's arguments. Options come\n"
   "before FILE; everything after FILE goes to the guest. The exit status is\n"
   "the guest's proc_exit code. Nothing is granted by default: no directories,\n"
   "no environment variables.\n",
   "--invoke arguments: integers in decimal (010 is ten) or 0x hex; floats as\n"
   "in the text format (1.5, -0, 0x1p-3, inf, nan, nan:0x200000); v128 as\n"
   "SHAPE:LANE,... or \"SHAPE LANE LANE ...\" (i32x4:1,2,3,4, \"f32x4 1 2 3 4\").\n"
   "Results print the same way; v128 results as i32x4 with hex lanes.\n"},
  {CLI_CMD_VALIDATE, "validate",
   "usage: wrun validate FILE...\n"
   "Checks each FILE against the WebAssembly 2.0 binary/text format and\n"
   "validation rules. Prints nothing and exits 0 when all are valid; otherwise\n"
   "prints one line per rejected file, FILE:OFFSET (or LINE:COL): kind: message,\n"
   "and exits 1. A compiled artifact is native code, not a module: rejected.\n",
   NULL},
  {CLI_CMD_INSPECT, "inspect",
   "usage: wrun inspect FILE\n"
   "Prints the module's types, imports, exports, tables, memories and segment\n"
   "counts. Exits 1 if FILE is not a valid module. For a compiled artifact it\n"
   "says that it is native code (not validated) and prints its header.\n",
   NULL},
  {CLI_CMD_WAST, "wast",
   "usage: wrun wast [OPTIONS] FILE|DIR...\n"
   "Runs WebAssembly spec scripts (.wast; a DIR means its *.wast files, sorted).\n"
   "Prints `FILE: N passed, N failed, N skipped` per file and the total\n"
   "`N passed, N failed, N skipped` last; exits 1 if anything failed.\n",
   NULL},
  {CLI_CMD_COMPILE, "compile",
   "usage: wrun compile [OPTIONS] FILE\n"
   "Compiles FILE (.wasm or .wat) to native code and writes a compiled artifact\n"
   "that `wrun run --allow-precompiled ARTIFACT` runs without compiling again.\n"
   "For a component: one artifact with the code of every core module in it.\n"
   "Options may come before or after FILE.\n",
   NULL},
  {CLI_CMD_SERVE, "serve",
   "usage: wrun serve [OPTIONS] FILE\n"
   "       wrun serve -c MANIFEST [OPTIONS]\n"
   "Serves HTTP/1.1 with FILE handling every request in a fresh instance of its\n"
   "own. FILE is a core module speaking the http-wasm handler ABI (it exports\n"
   "handle_request and handle_response; docs/serve.md). A trap, --timeout or\n"
   "--fuel in a handler gives 500 and the server goes on. SIGINT or SIGTERM\n"
   "stops accepting, lets requests in flight finish and exits 0.\n",
   "The limits (--fuel, --timeout, --max-memory, --max-stack) apply to each\n"
   "request's instance; serve's --max-stack defaults to 128K. A module whose\n"
   "memory starts larger than --max-memory is refused at start-up.\n"},
  {CLI_CMD_HELP, "help",
   "usage: wrun help [COMMAND]\n"
   "Prints the help of COMMAND (run, validate, inspect, wast, compile, serve,\n"
   "help, version), or the overview without one. `wrun COMMAND --help` is the same.\n",
   NULL},
  {CLI_CMD_VERSION, "version",
   "usage: wrun version (or wrun --version, wrun -V)\n"
   "Prints wrun's version.\n",
   NULL},
};

static const char overview[] =
  "usage: wrun [run] [OPTIONS] FILE [ARGS...]   run a module\n"
  "       wrun validate FILE...                 check modules\n"
  "       wrun inspect FILE                     summarize a module\n"
  "       wrun wast [OPTIONS] FILE|DIR...       run spec scripts\n"
  "       wrun compile [OPTIONS] FILE           write a compiled artifact\n"
  "       wrun serve [OPTIONS] FILE             serve HTTP with a handler module\n"
  "       wrun help [COMMAND]                   help of a command (also COMMAND --help)\n"
  "       wrun --version                        print the version (also `wrun version`)\n"
  "\n"
  "FILE is a binary module (.wasm, recognised by its magic), a compiled\n"
  "artifact from `wrun compile` (also by its magic; native code, run only with\n"
  "--allow-precompiled) or a text module (.wat, anything else). Options of\n"
  "`run` come before FILE; everything after FILE is passed to the guest.\n"
  "Options taking a value accept --opt VALUE and --opt=VALUE.\n"
  "\n"
  "Errors: FILE:LOCATION: kind: message for a rejected input or a trap,\n"
  "wrun: message for the command line and the host.\n"
  "Exit status: 0 success; 1 the module or a file was rejected (I/O error,\n"
  "malformed, invalid, unlinkable); 2 usage error; 134 the guest trapped.\n";

static const command_info *info_of(cli_command c) {
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (commands[i].cmd == c) return &commands[i];
  return NULL;
}

const char *cli_command_name(cli_command c) {
  const command_info *ci = info_of(c);
  return ci ? ci->name : "";
}

cli_command cli_command_named(const char *name) {
  for (size_t i = 0; i < sizeof commands / sizeof *commands; i++)
    if (strcmp(commands[i].name, name) == 0) return commands[i].cmd;
  return 0;
}

int cli_usage_error(cli_command c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fputs("wrun: ", stderr);
  vfprintf(stderr, fmt, ap);
  va_end(ap);
  if (c) fprintf(stderr, " (see 'wrun help %s')\n", cli_command_name(c));
  else fputs(" (see 'wrun help')\n", stderr);
  return CLI_EXIT_USAGE;
}

static void print_option(const cli_option *opt, FILE *out) {
  char left[64];
  int n = opt->short_name ? snprintf(left, sizeof left, "  -%c, %s", opt->short_name, opt->name)
                          : snprintf(left, sizeof left, "  %s", opt->name);
  if (opt->metavar) snprintf(left + n, sizeof left - (size_t)n, " %s", opt->metavar);
  const char *h = opt->help;
  bool first = true;
  while (*h) {
    size_t len = strcspn(h, "\n");
    if (first && strlen(left) < 26) fprintf(out, "%-26s%.*s\n", left, (int)len, h);
    else if (first) fprintf(out, "%s\n%-26s%.*s\n", left, "", (int)len, h);
    else fprintf(out, "%-26s%.*s\n", "", (int)len, h);
    first = false;
    h += len;
    if (*h) h++;
  }
}

void cli_print_help(cli_command c, FILE *out) {
  const command_info *ci = info_of(c);
  if (!ci) {
    fputs(overview, out);
    return;
  }
  fputs(ci->usage, out);
  fputs("Options:\n", out);
  for (size_t i = 0; i < cli_noptions; i++)
    if (cli_option_table[i].commands & c) print_option(&cli_option_table[i], out);
  if (ci->after) fputs(ci->after, out);
  if (c == CLI_CMD_SERVE) {
    fputs("Manifest keys (-c): module, serve.*, limits.* (the option names)\n", out);
  } else if (c == CLI_CMD_RUN) { /* the manifest keys, from the same table */
    int col = fprintf(out, "Manifest keys (-c): module, args");
    for (size_t i = 0; i < cli_noptions; i++) {
      const char *key = cli_option_table[i].manifest_key;
      if (!key || strncmp(key, "serve.", 6) == 0) continue;
      if (col + (int)strlen(key) + 2 > 78) col = fprintf(out, ",\n  %s", key) - 2;
      else col += fprintf(out, ", %s", key);
    }
    fputs("\n", out);
  }
}

/* ---- values ------------------------------------------------------------------ */

static const char *expected(const cli_option *opt) {
  switch (opt->kind) {
  case CLI_ARG_NONE: return "true or false";
  case CLI_ARG_SIZE: return opt->min ? "a size from 4K to 4G such as 512K or 64M" : "a size such as 512K, 64M or 1G";
  case CLI_ARG_DURATION: return "a duration such as 500ms, 2s or 1m";
  case CLI_ARG_COUNT: return "a positive count such as 1000 or 10M";
  case CLI_ARG_STRING: return "a string";
  case CLI_ARG_DIR:
  case CLI_ARG_DIR_RO: return "HOST[::GUEST] with non-empty names";
  case CLI_ARG_ENV: return "NAME=VALUE or NAME";
  case CLI_ARG_ADDR: return "ADDR:PORT";
  case CLI_ARG_NET: return "ADDR[/BITS]:PORT, ADDR[/BITS]:PORT-PORT or ADDR[/BITS]:* (IPv6 in brackets)";
  case CLI_ARG_ALLOW_HTTP: return "HOST[:PORT], ADDR[/PREFIX][:PORT], [V6[/PREFIX]][:PORT] or *";
  case CLI_ARG_HELP: break;
  }
  return "nothing";
}

static bool push_owned(char ***v, int *n, char *s) {
  if (!s) return false;
  char **nv = realloc(*v, (size_t)(*n + 1) * sizeof *nv);
  if (!nv) {
    free(s);
    return false;
  }
  *v = nv;
  nv[(*n)++] = s;
  return true;
}

bool cli_sandbox_setenv(cli_sandbox *sb, const char *kv) {
  size_t name_len = strcspn(kv, "=");
  for (int i = 0; i < sb->nenv; i++) {
    if (strncmp(sb->env[i], kv, name_len) == 0 && sb->env[i][name_len] == '=') {
      char *s = strdup(kv);
      if (!s) return false;
      free(sb->env[i]);
      sb->env[i] = s;
      return true;
    }
  }
  return push_owned(&sb->env, &sb->nenv, strdup(kv));
}

/* A preopen owns one block "HOST\0GUEST": host_path points at its start. */
bool cli_sandbox_add_dir(cli_sandbox *sb, const char *host, const char *guest, bool readonly) {
  size_t hl = strlen(host), gl = strlen(guest);
  char *block = malloc(hl + gl + 2);
  wasi_preopen *d = realloc(sb->dirs, (size_t)(sb->ndirs + 1) * sizeof *d);
  if (d) sb->dirs = d;
  if (!block || !d) {
    free(block);
    return false;
  }
  memcpy(block, host, hl + 1);
  memcpy(block + hl + 1, guest, gl + 1);
  sb->dirs[sb->ndirs++] = (wasi_preopen){.host_path = block, .guest_path = block + hl + 1, .readonly = readonly};
  return true;
}

static bool add_dir_spec(cli_sandbox *sb, const char *spec, bool readonly, bool *oom) {
  const char *sep = strstr(spec, "::");
  size_t hl = sep ? (size_t)(sep - spec) : strlen(spec);
  const char *guest = sep ? sep + 2 : spec;
  if (hl == 0 || !*guest) return false;
  char *host = strndup(spec, hl);
  *oom = !host || !cli_sandbox_add_dir(sb, host, guest, readonly);
  free(host);
  return true;
}

/* A number for a row of kind SIZE/COUNT/DURATION within the row's range. */
static bool parse_number(const cli_option *opt, const char *value, uint64_t *n) {
  bool ok = opt->kind == CLI_ARG_DURATION ? cli_parse_duration(value, n) : cli_parse_size(value, n);
  if (!ok || *n == 0) return false;
  if (opt->min && *n < opt->min) return false;
  if (opt->max && *n > opt->max) return false;
  return true;
}

bool cli_option_set(const cli_option *opt, const char *value, cli_options *o, const char **why) {
  char *base = (char *)o + opt->where;
  bool oom = false;
  *why = expected(opt);
  switch (opt->kind) {
  case CLI_ARG_HELP:
  case CLI_ARG_NONE:
    if (!value || strcmp(value, "true") == 0) *(bool *)base = true;
    else if (strcmp(value, "false") == 0) *(bool *)base = false;
    else return false;
    break;
  case CLI_ARG_SIZE:
  case CLI_ARG_DURATION:
  case CLI_ARG_COUNT: {
    uint64_t n;
    if (!parse_number(opt, value, &n)) return false;
    memcpy(base, &n, sizeof n);
    break;
  }
  case CLI_ARG_STRING:
    if (!*value) return false;
    memcpy(base, &value, sizeof value);
    break;
  case CLI_ARG_DIR:
  case CLI_ARG_DIR_RO:
    if (!add_dir_spec(&o->sb, value, opt->kind == CLI_ARG_DIR_RO, &oom)) return false;
    break;
  case CLI_ARG_ENV:
    if (!*value || *value == '=') return false;
    if (strchr(value, '=')) {
      oom = !cli_sandbox_setenv(&o->sb, value);
    } else {
      const char *host = getenv(value);
      if (host) {
        size_t n = strlen(value) + strlen(host) + 2;
        char *kv = malloc(n);
        oom = !kv;
        if (kv) {
          snprintf(kv, n, "%s=%s", value, host);
          oom = !cli_sandbox_setenv(&o->sb, kv);
          free(kv);
        }
      }
    }
    break;
  case CLI_ARG_ADDR:
    if (!strchr(value, ':')) return false;
    oom = !push_owned(&o->sb.listen, &o->sb.nlisten, strdup(value));
    break;
  case CLI_ARG_NET: {
    wp2_net_rule rule;
    if (!wp2_net_rule_parse(value, &rule)) return false;
    cli_strings *l = (cli_strings *)base;
    oom = !push_owned(&l->v, &l->n, strdup(value));
    break;
  }
  case CLI_ARG_ALLOW_HTTP:
    if (!cli_allow_http_add(&o->sb, value, why, &oom) && !oom) return false;
    break;
  }
  if (oom) *why = "out of memory";
  o->given |= UINT64_C(1) << (opt - cli_option_table);
  return !oom;
}

const cli_option *cli_option_for_key(const char *key) {
  for (size_t i = 0; i < cli_noptions; i++)
    if (cli_option_table[i].manifest_key && strcmp(cli_option_table[i].manifest_key, key) == 0)
      return &cli_option_table[i];
  return NULL;
}

/* ---- parsing ----------------------------------------------------------------- */

static const cli_option *find_long(cli_command c, const char *name, size_t len) {
  for (size_t i = 0; i < cli_noptions; i++) {
    const cli_option *opt = &cli_option_table[i];
    if ((opt->commands & c) && strlen(opt->name) == len && strncmp(opt->name, name, len) == 0) return opt;
  }
  return NULL;
}

static const cli_option *find_short(cli_command c, char ch) {
  for (size_t i = 0; i < cli_noptions; i++)
    if ((cli_option_table[i].commands & c) && cli_option_table[i].short_name == ch) return &cli_option_table[i];
  return NULL;
}

/* One option at argv[*i]; advances *i past its value. */
static bool parse_one(cli_command c, int argc, char **argv, int *i, cli_options *o) {
  const char *a = argv[*i], *value = NULL;
  const cli_option *opt;
  if (a[1] == '-') {
    const char *eq = strchr(a, '=');
    opt = find_long(c, a, eq ? (size_t)(eq - a) : strlen(a));
    if (eq) value = eq + 1;
    if (!opt) {
      cli_usage_error(c, "unknown option '%.*s'", (int)(eq ? (size_t)(eq - a) : strlen(a)), a);
      return false;
    }
    if (eq && (opt->kind == CLI_ARG_NONE || opt->kind == CLI_ARG_HELP)) {
      cli_usage_error(c, "option '%s' takes no value", opt->name);
      return false;
    }
  } else {
    opt = a[2] ? NULL : find_short(c, a[1]);
    if (!opt) {
      cli_usage_error(c, "unknown option '%s'", a);
      return false;
    }
  }
  bool takes = opt->kind != CLI_ARG_NONE && opt->kind != CLI_ARG_HELP;
  if (takes && !value) {
    if (*i + 1 >= argc) {
      cli_usage_error(c, "option '%s' needs a value (%s)", a, opt->metavar);
      return false;
    }
    value = argv[++*i];
  }
  const char *why;
  if (!cli_option_set(opt, value, o, &why)) {
    if (strcmp(why, "out of memory") == 0) fputs("wrun: out of memory\n", stderr);
    else cli_usage_error(c, "bad value '%s' for %s: expected %s", value ? value : "", opt->name, why);
    return false;
  }
  return true;
}

bool cli_parse_options(cli_command c, int argc, char **argv, bool interleaved, cli_options *o, int *first,
                       int *nops) {
  int nout = 0, i = 0;
  bool options_done = false;
  for (; i < argc; i++) {
    const char *a = argv[i];
    bool is_option = !options_done && a[0] == '-' && a[1];
    if (is_option && strcmp(a, "--") == 0) {
      options_done = true;
      if (!interleaved) {
        i++;
        break;
      }
      continue;
    }
    if (!is_option) {
      if (!interleaved) break;
      argv[nout++] = argv[i];
      continue;
    }
    if (!parse_one(c, argc, argv, &i, o)) return false;
    if (o->help) break;
  }
  if (interleaved) {
    *nops = nout;
    if (first) *first = 0;
  } else {
    *nops = argc - i;
    if (first) *first = i;
  }
  return true;
}

/* ---- merging with a manifest ---------------------------------------------------- */

static size_t scalar_size(cli_arg_kind k) {
  switch (k) {
  case CLI_ARG_NONE: return sizeof(bool);
  case CLI_ARG_SIZE:
  case CLI_ARG_DURATION:
  case CLI_ARG_COUNT: return sizeof(uint64_t);
  case CLI_ARG_STRING: return sizeof(const char *);
  default: return 0; /* lists and help */
  }
}

/* "data/" and "./data" name the same guest directory as "data". */
static size_t guest_key(const char *g, const char **start) {
  while (g[0] == '.' && g[1] == '/') g += 2;
  size_t n = strlen(g);
  while (n > 1 && g[n - 1] == '/') n--;
  *start = g;
  return n;
}

/* from's strings, then to's, into `to`; `from` is left empty. */
static bool move_strings(cli_strings *to, cli_strings *from) {
  char **v = malloc((size_t)(from->n + to->n + 1) * sizeof *v);
  if (!v) return false;
  if (from->n) memcpy(v, from->v, (size_t)from->n * sizeof *v);
  if (to->n) memcpy(v + from->n, to->v, (size_t)to->n * sizeof *v);
  free(to->v);
  free(from->v);
  to->v = v;
  to->n += from->n;
  *from = (cli_strings){0};
  return true;
}

static void free_strings(cli_strings *l) {
  for (int i = 0; i < l->n; i++) free(l->v[i]);
  free(l->v);
  *l = (cli_strings){0};
}

static bool move_lists(cli_sandbox *to, cli_sandbox *from) {
  if (!move_strings(&to->allow_connect, &from->allow_connect) || !move_strings(&to->allow_bind, &from->allow_bind))
    return false;
  /* the manifest's entries go first, so the command line's come later and win */
  wasi_preopen *d = malloc((size_t)(from->ndirs + to->ndirs + 1) * sizeof *d);
  char **l = malloc((size_t)(from->nlisten + to->nlisten + 1) * sizeof *l);
  if (!d || !l) {
    free(d);
    free(l);
    return false;
  }
  if (from->ndirs) memcpy(d, from->dirs, (size_t)from->ndirs * sizeof *d);
  if (to->ndirs) memcpy(d + from->ndirs, to->dirs, (size_t)to->ndirs * sizeof *d);
  if (from->nlisten) memcpy(l, from->listen, (size_t)from->nlisten * sizeof *l);
  if (to->nlisten) memcpy(l + from->nlisten, to->listen, (size_t)to->nlisten * sizeof *l);
  free(to->dirs);
  free(to->listen);
  free(from->dirs);
  free(from->listen);
  to->dirs = d;
  to->ndirs += from->ndirs;
  to->listen = l;
  to->nlisten += from->nlisten;
  from->dirs = NULL;
  from->listen = NULL;
  from->ndirs = from->nlisten = 0;
  return true;
}

/* The guest environment: host (if inherited), then the manifest's, then the
 * command line's entries, each replacing an earlier one of the same name. */
static bool build_env(cli_options *o, const cli_options *m) {
  extern char **environ;
  cli_sandbox env = {0};
  bool ok = true;
  if (o->inherit_env)
    for (char **e = environ; ok && *e; e++) ok = !strchr(*e, '=') || cli_sandbox_setenv(&env, *e);
  for (int i = 0; ok && m && i < m->sb.nenv; i++) ok = cli_sandbox_setenv(&env, m->sb.env[i]);
  for (int i = 0; ok && i < o->sb.nenv; i++) ok = cli_sandbox_setenv(&env, o->sb.env[i]);
  for (int i = 0; i < o->sb.nenv; i++) free(o->sb.env[i]);
  free(o->sb.env);
  o->sb.env = env.env;
  o->sb.nenv = env.nenv;
  return ok;
}

bool cli_options_finish(cli_options *o, cli_options *m, int *status) {
  *status = CLI_EXIT_REJECTED;
  if (m) {
    for (size_t i = 0; i < cli_noptions; i++) {
      const cli_option *opt = &cli_option_table[i];
      uint64_t bit = UINT64_C(1) << i;
      size_t n = scalar_size(opt->kind);
      if (n && (m->given & bit) && !(o->given & bit)) {
        memcpy((char *)o + opt->where, (const char *)m + opt->where, n);
        o->given |= bit;
      }
    }
    if (!move_lists(&o->sb, &m->sb) || !cli_allow_http_merge(&o->sb, &m->sb)) {
      fputs("wrun: out of memory\n", stderr);
      return false;
    }
  }
  if (!build_env(o, m)) {
    fputs("wrun: out of memory\n", stderr);
    return false;
  }
  for (int i = 0; i < o->sb.ndirs; i++) {
    const char *gi, *gj;
    size_t ni = guest_key(o->sb.dirs[i].guest_path, &gi);
    for (int j = 0; j < i; j++) {
      size_t nj = guest_key(o->sb.dirs[j].guest_path, &gj);
      if (ni == nj && memcmp(gi, gj, ni) == 0) {
        *status = cli_usage_error(CLI_CMD_RUN, "two preopened directories have the guest path '%s' ('%s' and '%s')",
                                  o->sb.dirs[i].guest_path, o->sb.dirs[j].host_path, o->sb.dirs[i].host_path);
        return false;
      }
    }
  }
  *status = CLI_EXIT_OK;
  return true;
}

bool cli_tier_finish(cli_sandbox *sb, cli_command c) {
  const char *t = sb->tier;
  if (sb->aot_opt && sb->aot_one_pass) return cli_usage_error(c, "--opt and --one-pass contradict each other"), false;
  sb->tier_mode = c == CLI_CMD_RUN ? CLI_TIER_AUTO : CLI_TIER_INTERP; /* wast: the interpreter unless told */
  if (!t) {
    if (sb->aot) sb->tier_mode = CLI_TIER_AOT;
    return true;
  }
  if (strcmp(t, "interp") == 0) sb->tier_mode = CLI_TIER_INTERP;
  else if (strcmp(t, "aot") == 0) sb->tier_mode = CLI_TIER_AOT;
  else if (strcmp(t, "auto") == 0) sb->tier_mode = CLI_TIER_AUTO;
  else return cli_usage_error(c, "--tier: expected interp, aot or auto, got '%s'", t), false;
  if (sb->aot && sb->tier_mode != CLI_TIER_AOT)
    return cli_usage_error(c, "--aot and --tier %s contradict each other", t), false;
  sb->aot = sb->tier_mode == CLI_TIER_AOT;
  return true;
}

void cli_options_free(cli_options *o) {
  cli_sandbox *sb = &o->sb;
  for (int i = 0; i < sb->nenv; i++) free(sb->env[i]);
  free(sb->env);
  for (int i = 0; i < sb->nlisten; i++) free(sb->listen[i]);
  free(sb->listen);
  cli_allow_http_free(sb);
  for (int i = 0; i < sb->ndirs; i++) free((char *)sb->dirs[i].host_path);
  free(sb->dirs);
  free_strings(&sb->allow_connect);
  free_strings(&sb->allow_bind);
  memset(sb, 0, sizeof *sb);
}

const char *cli_trap_hint(rt_trap_kind kind) {
  switch (kind) {
  case WRUN_TRAP_FUEL: return " (the budget set by --fuel)";
  case WRUN_TRAP_TIMEOUT: return " (the limit set by --timeout)";
  case WRUN_TRAP_STACK_EXHAUSTED: return " (--max-stack sets the depth)";
  default: return "";
  }
}
