/*
 * wast.h — the spec-script (.wast) runner behind `wrun wast`.
 */
#ifndef WRUN_WAST_WAST_H
#define WRUN_WAST_WAST_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

typedef struct wast_options {
  bool verbose;         /* print every skipped command and message mismatches */
  bool quiet;           /* no per-file lines, only failures and the total */
  bool fail_fast;       /* stop at the first failure */
  bool aot;             /* instantiate modules with the AOT compiler */
  bool tiered;          /* tiered execution (--tier auto; WRUN_TIER_THRESHOLD forces early switches) */
} wast_options;

typedef struct wast_totals {
  uint64_t passed, failed, skipped;
} wast_totals;

/* Runs one script file, adding its results to `totals`; per-file summary and
 * failures are printed to `out`/stderr according to `opt`. Returns false when
 * any command failed (or the file could not be read or parsed). */
bool wast_run_file(const char *path, const wast_options *opt, wast_totals *totals, FILE *out);

/* Runs every path: files directly, directories as their *.wast files in sorted
 * order. Prints the final "N passed, N failed, N skipped" line to `out`.
 * Returns the process exit status: 0 when nothing failed, 1 otherwise. */
int wast_run_paths(char **paths, int npaths, const wast_options *opt, FILE *out);

#endif
