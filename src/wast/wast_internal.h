/*
 * wast_internal.h — state of one running script, shared by the runner's files
 * (wast.c: parsing and front-end assertions; wast_exec.c: instantiation and
 * execution; spectest.c: the host module). Not a public API.
 */
#ifndef WRUN_WAST_INTERNAL_H
#define WRUN_WAST_INTERNAL_H

#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>

#include "binary/module.h"
#include "runtime/runtime.h"
#include "text/text.h"
#include "wast/wast.h"

typedef struct wast_named {
  char *name;                 /* registered name or $id */
  wrun_instance *inst;
} wast_named;

typedef struct spectest spectest;

typedef struct script {
  const char *path;
  const wast_options *opt;
  FILE *out;
  uint64_t passed, failed, skipped;
  /* execution state, one store per script */
  wrun_store *store;
  spectest *spectest;
  wm_module **modules;      /* kept alive until the store is freed */
  uint32_t nmodules, cap_modules;
  wast_named *registered, *ids;
  uint32_t nregistered, nids, cap_registered, cap_ids;
  wrun_instance *current;
  /* WRUN_WAST_TEMPLATE=1: modules are instantiated through instance
   * templates; =2: also a first instance is made, scribbled on, released and
   * the pooled one reused (tests the reset). Templates live until the end. */
  int template_mode;
  rt_template **templates;
  uint32_t ntemplates, cap_templates;
} script;

/* Counts a failure and prints FILE:LINE:COL: WHAT failed: expected X, got Y. */
void wast_report_failure(script *s, const sx_node *cmd, const char *what, const char *expected,
                         const char *got);
/* Counts a skip and prints why. */
void wast_skip(script *s, const sx_node *cmd, const char *why);
/* (module ...) form -> decoded, validated module, or NULL with err set. */
wm_module *wast_load_module(const sx_node *form, rt_error *err);
void wast_describe_error(const rt_error *e, char *buf, size_t size);

/* Execution side: creates/frees the script's store and host module. */
bool wast_exec_begin(script *s);
void wast_exec_end(script *s);
/* Runs module/register/invoke/get/assert_return/assert_trap/assert_exhaustion/
 * assert_unlinkable/assert_uninstantiable; false if `cmd` is none of these. */
bool wast_exec_command(script *s, const sx_node *cmd);

/* The spectest host module (spectest.c). */
spectest *spectest_new(wrun_store *store, bool verbose);
void spectest_free(spectest *t);
/* Resolves spectest.FIELD of the given kind; false if there is none. */
bool spectest_lookup(spectest *t, const char *field, wm_extern_kind kind, rt_extern *out);

#endif
