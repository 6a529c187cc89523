/*
 * manifest.h — the settings of `wrun run -c wrun.yaml` (see manifest.c).
 */
#ifndef WRUN_CLI_MANIFEST_H
#define WRUN_CLI_MANIFEST_H

#include <stdbool.h>

#include "cli/options.h"

typedef struct cli_manifest {
  char *module;                  /* resolved against the manifest's directory */
  char **args;
  int nargs;
  cli_options opts;              /* the settings of the option table's manifest keys */
  char **strings;                /* string values opts points at (owned) */
  int nstrings;
} cli_manifest;

/* Reads and checks a manifest. On error prints FILE:LINE:COL: manifest error:
 * ... to stderr and returns false (nothing to free). */
bool cli_manifest_load(const char *path, cli_manifest *out);

/* Frees what cli_manifest_load allocated. */
void cli_manifest_free(cli_manifest *m);

#endif
