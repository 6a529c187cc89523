/*
 * options.h — the one table of command-line options (options.c): it drives
 * parsing of every command, the help text and the manifest's keys.
 */
#ifndef WRUN_CLI_OPTIONS_H
#define WRUN_CLI_OPTIONS_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "cli/cli.h"

/* The commands, as bits so an option row can belong to several. */
typedef enum cli_command {
  CLI_CMD_RUN = 1 << 0,
  CLI_CMD_VALIDATE = 1 << 1,
  CLI_CMD_INSPECT = 1 << 2,
  CLI_CMD_WAST = 1 << 3,
  CLI_CMD_COMPILE = 1 << 4,
  CLI_CMD_HELP = 1 << 5,
  CLI_CMD_VERSION = 1 << 6,
  CLI_CMD_SERVE = 1 << 7,
} cli_command;

/* What an option's argument is, and so how it is parsed (the same way on the
 * command line and in a manifest). */
typedef enum cli_arg_kind {
  CLI_ARG_NONE,      /* a switch; in a manifest: true or false */
  CLI_ARG_SIZE,      /* bytes: 4096, 512K, 64M, 1G */
  CLI_ARG_DURATION,  /* 500ms, 2s, 1m, 100us; a bare number is seconds */
  CLI_ARG_COUNT,     /* a positive number, suffixes K M G (x1024) allowed */
  CLI_ARG_STRING,    /* any text (a name, a file) */
  CLI_ARG_DIR,       /* HOST[::GUEST], appended to the preopens */
  CLI_ARG_DIR_RO,    /* the same, read-only */
  CLI_ARG_ENV,       /* NAME=VALUE or NAME (the host's value) */
  CLI_ARG_ADDR,      /* ADDR:PORT of a listening socket */
  CLI_ARG_NET,       /* ADDR[/BITS]:PORT[-PORT] appended to the cli_strings at `where` */
  CLI_ARG_ALLOW_HTTP, /* a wasi:http destination (allow_http.c) */
  CLI_ARG_HELP,      /* -h/--help: print the command's help */
} cli_arg_kind;

/* Everything any command's options set. Strings point into argv or into the
 * manifest that set them; lists live in `sb` (see cli_options_free). */
typedef struct cli_options {
  cli_sandbox sb;                /* run: grants, limits, tier; verbose/aot for all */
  const char *invoke;            /* run --invoke */
  const char *config;            /* run -c */
  bool inherit_env;              /* run --inherit-env (applied by cli_options_merge) */
  const char *output;            /* compile -o */
  bool interruptible;            /* compile --interruptible */
  const char *target;            /* compile --target */
  bool quiet, fail_fast;         /* wast; serve --quiet */
  /* serve (src/cli/serve.c) */
  const char *addr;              /* --addr */
  uint64_t workers;              /* --workers */
  uint64_t max_header_size;      /* --max-header-size */
  uint64_t max_body_size;        /* --max-body-size */
  uint64_t client_timeout;       /* --client-timeout, ns */
  uint64_t drain_timeout;        /* --drain-timeout, ns */
  const char *upstream;          /* --upstream */
  const char *guest_config;      /* --guest-config */
  const char *tls_cert, *tls_key; /* --tls-cert, --tls-key */
  bool log;                      /* --log */
  bool reuse_instances;          /* --reuse-instances */
  bool interpreter;              /* serve --interpreter */
  bool worker_processes;         /* serve --worker-processes */
  bool help;                     /* -h/--help was given */
  uint64_t given;                /* bit i: row i of the table was given */
} cli_options;

/* One row of the table. */
typedef struct cli_option {
  const char *name;              /* "--max-stack" */
  char short_name;               /* 'v' for -v, 0 for none */
  cli_arg_kind kind;
  unsigned commands;             /* cli_command bits */
  const char *metavar;           /* shown in help: "SIZE" */
  const char *help;              /* lines separated by \n */
  const char *manifest_key;      /* "limits.max-stack", or NULL: not in a manifest */
  size_t where;                  /* offsetof(cli_options, ...) for scalar kinds */
  uint64_t min, max;             /* accepted range of numbers (0, 0: any positive) */
} cli_option;

extern const cli_option cli_option_table[];
extern const size_t cli_noptions;

/* The name of a command as typed ("run"), and the command of a name (0 if none). */
const char *cli_command_name(cli_command c);
cli_command cli_command_named(const char *name);

/* Prints "wrun: MESSAGE (see 'wrun help CMD')" to stderr; returns CLI_EXIT_USAGE. */
int cli_usage_error(cli_command c, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Parses the options of command `c` from argv[0..argc). `--opt=value` and
 * `--opt value` both work; `--` ends the options. With `interleaved`,
 * options and operands may mix and the operands are moved, in order, to the
 * front of argv; otherwise parsing stops at the first operand. Sets *nops to
 * the number of operands and, when not interleaved, *first to the index of
 * the first one. On a usage error prints one line and returns false. */
bool cli_parse_options(cli_command c, int argc, char **argv, bool interleaved, cli_options *o, int *first,
                       int *nops);

/* Parses `value` as the argument of row `opt` into `o` (shared by the command
 * line and the manifest). On failure sets *why to what was expected. */
bool cli_option_set(const cli_option *opt, const char *value, cli_options *o, const char **why);

/* The row with manifest key `key` ("aot", "limits.fuel"), or NULL. */
const cli_option *cli_option_for_key(const char *key);

/* Fills what the command line left unset from the manifest's options `m`
 * (command line first for scalars; lists: the manifest's entries first, so a
 * later --env of the command line wins), then builds the guest environment:
 * the host's when inherit-env is set, then explicit entries, the last of each
 * name winning. Checks that no two preopens share a guest path. False after
 * printing an error (a usage error: exit 2; out of memory: exit 1 in *status). */ 
bool cli_options_finish(cli_options *o, cli_options *m, int *status);

/* Resolves --tier (sb->tier) and --aot into sb->tier_mode (and sb->aot for
 * the aot tier); the default is auto for run and the interpreter for wast.
 * False after printing a usage error (unknown name, --aot with another tier). */
bool cli_tier_finish(cli_sandbox *sb, cli_command c);

/* Frees the lists of o->sb. */
void cli_options_free(cli_options *o);

/* Appends NAME=VALUE to the guest environment, replacing an entry of the same
 * name (the last one wins). */
bool cli_sandbox_setenv(cli_sandbox *sb, const char *kv);

/* Prints the help of command `c` (the table's options included) to `out`. */
void cli_print_help(cli_command c, FILE *out);

#endif
