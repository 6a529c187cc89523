/*
 * inspect.c — `wrun inspect`: a short, human-readable summary of a module.
 */
#include <stdio.h>

#include "cli/cli.h"

static const char *const kind_names[] = {"func", "table", "memory", "global", "tag"};

static void print_functype(const wasm_functype *ft) {
  char b[32];
  printf("(");
  for (uint32_t i = 0; i < ft->nparams; i++)
    printf("%s%s", i ? " " : "", wasm_valtype_name(wasm_functype_params(ft)[i], b, sizeof b));
  printf(") -> (");
  for (uint32_t i = 0; i < ft->nresults; i++)
    printf("%s%s", i ? " " : "", wasm_valtype_name(wasm_functype_results(ft)[i], b, sizeof b));
  printf(")");
}

static void print_limits(const wasm_limits *l) {
  printf("min %llu", (unsigned long long)l->min);
  if (l->has_max) printf(" max %llu", (unsigned long long)l->max);
}

void cli_inspect(const char *path, const wasm_module *m) {
  char b[32];
  printf("%s: %zu bytes%s%s\n", path, m->size, m->name ? ", module name " : "", m->name ? m->name : "");
  printf("types: %u\n", m->ntypes);
  for (uint32_t i = 0; i < m->ntypes; i++) {
    printf("  type[%u] ", i);
    print_functype(&m->types[i].func);
    printf("\n");
  }
  printf("imports: %u\n", m->nimports);
  for (uint32_t i = 0; i < m->nimports; i++) {
    const wasm_import *im = &m->imports[i];
    printf("  %s \"%s\" \"%s\"", kind_names[im->kind], im->module.ptr, im->field.ptr);
    if (im->kind == WASM_EXTERN_FUNC) {
      printf(" ");
      print_functype(wasm_module_func_type(m, im->index));
    }
    printf("\n");
  }
  printf("functions: %u defined, %u imported\n", m->nfuncs - m->nimported_funcs, m->nimported_funcs);
  for (uint32_t i = 0; i < m->ntables; i++) {
    printf("  table[%u] %s ", i, wasm_valtype_name(m->tables[i].type.elem, b, sizeof b));
    print_limits(&m->tables[i].type.limits);
    printf("\n");
  }
  for (uint32_t i = 0; i < m->nmems; i++) {
    printf("  memory[%u] pages ", i);
    print_limits(&m->mems[i].type.limits);
    printf("\n");
  }
  printf("globals: %u\n", m->nglobals);
  printf("exports: %u\n", m->nexports);
  for (uint32_t i = 0; i < m->nexports; i++) {
    const wasm_export *e = &m->exports[i];
    printf("  %s \"%s\" = %u", kind_names[e->kind], e->name.ptr, e->index);
    if (e->kind == WASM_EXTERN_FUNC) {
      printf(" ");
      print_functype(wasm_module_func_type(m, e->index));
    }
    printf("\n");
  }
  if (m->start != WASM_NONE_IDX) printf("start: func %u\n", m->start);
  printf("element segments: %u, data segments: %u, custom sections: %u\n", m->nelems, m->ndatas, m->ncustoms);
}
