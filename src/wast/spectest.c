/*
 * spectest.c — the `spectest` host module the spec scripts import: print
 * functions (silent unless verbose), four globals holding 666 / 666.6, a
 * funcref table of 10..20 entries and a memory of 1..2 pages.
 */
#include <inttypes.h>
#include <stddef.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wast/wast_internal.h"

struct spectest {
  bool verbose;
  wrun_func *print, *print_i32, *print_i64, *print_f32, *print_f64, *print_i32_f32, *print_f64_f64;
  rt_global *g_i32, *g_i64, *g_f32, *g_f64;
  rt_table *table;
  rt_memory *memory;
};

static bool print_values(rt_caller *c, void *env, uint64_t *slots) {
  (void)c;
  const wm_functype *ft = env;
  for (uint32_t i = 0; i < ft->nparams; i++) {
    wm_valtype t = wm_functype_params(ft)[i];
    uint64_t v = slots[i];
    if (t == WASM_I32) printf("%" PRIu32 " : i32\n", (uint32_t)v);
    else if (t == WASM_I64) printf("%" PRIu64 " : i64\n", v);
    else if (t == WASM_F32) { float f; uint32_t b = (uint32_t)v; memcpy(&f, &b, 4); printf("%g : f32\n", (double)f); }
    else { double d; memcpy(&d, &v, 8); printf("%g : f64\n", d); }
  }
  return true;
}

static bool print_quiet(rt_caller *c, void *env, uint64_t *slots) {
  (void)c;
  (void)env;
  (void)slots;
  return true;
}

/* Static signatures of the print functions (read-only data). */
static const wm_valtype sig_i32[] = {WASM_I32};
static const wm_valtype sig_i64[] = {WASM_I64};
static const wm_valtype sig_f32[] = {WASM_F32};
static const wm_valtype sig_f64[] = {WASM_F64};
static const wm_valtype sig_i32_f32[] = {WASM_I32, WASM_F32};
static const wm_valtype sig_f64_f64[] = {WASM_F64, WASM_F64};
static const wm_functype ft_none = {0, 0, NULL};
static const wm_functype ft_i32 = {1, 0, (wm_valtype *)sig_i32};
static const wm_functype ft_i64 = {1, 0, (wm_valtype *)sig_i64};
static const wm_functype ft_f32 = {1, 0, (wm_valtype *)sig_f32};
static const wm_functype ft_f64 = {1, 0, (wm_valtype *)sig_f64};
static const wm_functype ft_i32_f32 = {2, 0, (wm_valtype *)sig_i32_f32};
static const wm_functype ft_f64_f64 = {2, 0, (wm_valtype *)sig_f64_f64};

static wrun_func *make_print(wrun_store *st, const wm_functype *ft, bool verbose, const char *name) {
  return rt_func_new_host(st, ft, verbose ? print_values : print_quiet, (void *)ft, name);
}

spectest *spectest_new(wrun_store *st, bool verbose) {
  spectest *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->verbose = verbose;
  t->print = make_print(st, &ft_none, verbose, "spectest.print");
  t->print_i32 = make_print(st, &ft_i32, verbose, "spectest.print_i32");
  t->print_i64 = make_print(st, &ft_i64, verbose, "spectest.print_i64");
  t->print_f32 = make_print(st, &ft_f32, verbose, "spectest.print_f32");
  t->print_f64 = make_print(st, &ft_f64, verbose, "spectest.print_f64");
  t->print_i32_f32 = make_print(st, &ft_i32_f32, verbose, "spectest.print_i32_f32");
  t->print_f64_f64 = make_print(st, &ft_f64_f64, verbose, "spectest.print_f64_f64");
  rt_val v;
  memset(&v, 0, sizeof v);
  v.of.i32 = 666;
  t->g_i32 = rt_global_new(st, &(wm_globaltype){WASM_I32, false}, &v);
  v.of.i64 = 666;
  t->g_i64 = rt_global_new(st, &(wm_globaltype){WASM_I64, false}, &v);
  float f = 666.6f;
  memcpy(&v.of.f32, &f, 4);
  t->g_f32 = rt_global_new(st, &(wm_globaltype){WASM_F32, false}, &v);
  double d = 666.6;
  memcpy(&v.of.f64, &d, 8);
  t->g_f64 = rt_global_new(st, &(wm_globaltype){WASM_F64, false}, &v);
  t->table = rt_table_new(st, &(wm_tabletype){WASM_FUNCREF, {10, 20, true, false, false}}, NULL);
  t->memory = rt_memory_new(st, &(wm_memtype){{1, 2, true, false, false}});
  if (!t->print || !t->print_i32 || !t->print_i64 || !t->print_f32 || !t->print_f64 || !t->print_i32_f32 ||
      !t->print_f64_f64 || !t->g_i32 || !t->g_i64 || !t->g_f32 || !t->g_f64 || !t->table || !t->memory) {
    free(t);
    return NULL;
  }
  return t;
}

void spectest_free(spectest *t) { free(t); } /* the objects belong to the store */

bool spectest_lookup(spectest *t, const char *field, wm_extern_kind kind, rt_extern *out) {
  static const struct { const char *name; wm_extern_kind kind; size_t off; } table[] = {
    {"print", WASM_EXTERN_FUNC, offsetof(spectest, print)},
    {"print_i32", WASM_EXTERN_FUNC, offsetof(spectest, print_i32)},
    {"print_i64", WASM_EXTERN_FUNC, offsetof(spectest, print_i64)},
    {"print_f32", WASM_EXTERN_FUNC, offsetof(spectest, print_f32)},
    {"print_f64", WASM_EXTERN_FUNC, offsetof(spectest, print_f64)},
    {"print_i32_f32", WASM_EXTERN_FUNC, offsetof(spectest, print_i32_f32)},
    {"print_f64_f64", WASM_EXTERN_FUNC, offsetof(spectest, print_f64_f64)},
    {"global_i32", WASM_EXTERN_GLOBAL, offsetof(spectest, g_i32)},
    {"global_i64", WASM_EXTERN_GLOBAL, offsetof(spectest, g_i64)},
    {"global_f32", WASM_EXTERN_GLOBAL, offsetof(spectest, g_f32)},
    {"global_f64", WASM_EXTERN_GLOBAL, offsetof(spectest, g_f64)},
    {"table", WASM_EXTERN_TABLE, offsetof(spectest, table)},
    {"memory", WASM_EXTERN_MEMORY, offsetof(spectest, memory)},
  };
  for (size_t i = 0; i < sizeof table / sizeof table[0]; i++) {
    if (strcmp(table[i].name, field) != 0) continue;
    out->kind = table[i].kind;
    void *obj = *(void **)((char *)t + table[i].off);
    switch (table[i].kind) {
    case WASM_EXTERN_FUNC: out->of.func = obj; break;
    case WASM_EXTERN_GLOBAL: out->of.global = obj; break;
    case WASM_EXTERN_TABLE: out->of.table = obj; break;
    default: out->of.memory = obj; break;
    }
    (void)kind;
    return true;
  }
  return false;
}
