/*
 * manifest.h — the settings of `wrun run -c wrun.yaml` (see manifest.c).
 */
#ifndef WRUN_CLI_MANIFEST_H
#define WRUN_CLI_MANIFEST_H

#include <stdbool.h>

#include "cli/cli.h"

typedef struct cli_manifest {
  char *module;                  /* resolved against the manifest's directory */
  char **args;
  int nargs;
  char **env;                    /* NAME=VALUE */
  int nenv;
  bool inherit_env;
  char **listen;                 /* ADDR:PORT */
  int nlisten;
  wasi_preopen *dirs;            /* strings owned by the manifest */
  int ndirs;
  cli_sandbox limits;            /* only fuel/timeout_ns/max_memory/max_stack are used */
  bool allow_precompiled;        /* allow-precompiled: true (as --allow-precompiled) */
} cli_manifest;

/* Reads and checks a manifest. On error prints FILE:LINE:COL: manifest error:
 * ... to stderr and returns false (nothing to free). */
bool cli_manifest_load(const char *path, cli_manifest *out);

/* Frees what cli_manifest_load allocated. */
void cli_manifest_free(cli_manifest *m);

#endif
