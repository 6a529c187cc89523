/*
 * inspect.c — `wrun inspect`: a short, human-readable summary of a module or
 * component, or of a compiled artifact: first and plainly that it is native
 * code that was not validated, then its header and the module or component it
 * was compiled from.
 */
#include <stdio.h>
#include <stdlib.h>

#include "aot/aot.h"
#include "cli/cli.h"
#include "component/component.h"

static const char *const kind_names[] = {"func", "table", "memory", "global", "tag"};

static void print_functype(const wm_functype *ft) {
  char b[32];
  printf("(");
  for (uint32_t i = 0; i < ft->nparams; i++)
    printf("%s%s", i ? " " : "", wm_valtype_name(wm_functype_params(ft)[i], b, sizeof b));
  printf(") -> (");
  for (uint32_t i = 0; i < ft->nresults; i++)
    printf("%s%s", i ? " " : "", wm_valtype_name(wm_functype_results(ft)[i], b, sizeof b));
  printf(")");
}

static void print_limits(const wm_limits *l) {
  printf("min %llu", (unsigned long long)l->min);
  if (l->has_max) printf(" max %llu", (unsigned long long)l->max);
}

static void print_module(const char *path, const wm_module *m) {
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
    const wm_import *im = &m->imports[i];
    printf("  %s \"%s\" \"%s\"", kind_names[im->kind], im->module.ptr, im->field.ptr);
    if (im->kind == WASM_EXTERN_FUNC) {
      printf(" ");
      print_functype(wm_module_func_type(m, im->index));
    }
    printf("\n");
  }
  printf("functions: %u defined, %u imported\n", m->nfuncs - m->nimported_funcs, m->nimported_funcs);
  for (uint32_t i = 0; i < m->ntables; i++) {
    printf("  table[%u] %s ", i, wm_valtype_name(m->tables[i].type.elem, b, sizeof b));
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
    const wm_export *e = &m->exports[i];
    printf("  %s \"%s\" = %u", kind_names[e->kind], e->name.ptr, e->index);
    if (e->kind == WASM_EXTERN_FUNC) {
      printf(" ");
      print_functype(wm_module_func_type(m, e->index));
    }
    printf("\n");
  }
  if (m->start != WASM_NONE_IDX) printf("start: func %u\n", m->start);
  printf("element segments: %u, data segments: %u, custom sections: %u\n", m->nelems, m->ndatas, m->ncustoms);
}

/* The artifact's header, then the embedded module decoded (not validated). */
static int inspect_artifact(const char *path, const uint8_t *bytes, size_t len) {
  rt_error err;
  rt_error_clear(&err);
  aot_artifact_info info;
  if (!aot_artifact_describe(bytes, len, &info, &err)) {
    cli_print_error(path, &err);
    return CLI_EXIT_REJECTED;
  }
  printf("%s: compiled %s: native machine code produced by `wrun compile`, NOT validated as WebAssembly\n"
         "  (it runs only with --allow-precompiled, as trusted code: see docs/security.md)\n", path,
         info.component ? "component artifact" : "artifact");
  printf("artifact format: %u\n", info.format);
  printf("written by: wrun %s\n", info.version);
  char cpu[64]; /* the feature names, known when this build has the artifact's target */
  aot_cpu_names(info.arch, info.cpu, cpu, sizeof cpu);
  printf("architecture: %s\n", aot_arch_name(info.arch));
  if (!info.cpu) printf("CPU features required: none\n");
  else if (cpu[0]) printf("CPU features required: %s\n", cpu);
  else printf("CPU features required: 0x%x\n", info.cpu);
  printf("compile options:%s%s%s%s\n", info.options & AOT_OPT_INTERRUPTIBLE ? " interruptible" : "",
         info.options & AOT_OPT_BOUNDS_CHECKS ? " bounds-checks" : "", info.options & AOT_OPT_OPTIMIZE ? " optimize" : "",
         info.options ? "" : " none");
  printf("%s sha256: ", info.component ? "component" : "module");
  for (int i = 0; i < 32; i++) printf("%02x", info.module_hash[i]);
  printf("%s\n", !info.sections_read ? "" : !info.hash_ok ? " (MISMATCH: damaged)"
                : info.component ? " (matches the embedded component)" : " (matches the embedded module)");
  printf("loadable by this wrun on this machine: %s\n", info.loadable ? "yes" : "no");
  if (!info.sections_read) {
    printf("sections: not read (format %u is not this wrun's)\n", info.format);
    aot_artifact_info_free(&info);
    return CLI_EXIT_OK;
  }
  if (info.component)
    printf("native code: %u core modules, %u functions, %u bytes (section checksums match; checksums catch damage, "
           "not tampering)\n", info.nmodules, info.nfuncs, info.code_size);
  else
    printf("native code: %u functions, %u bytes (section checksums match; checksums catch damage, not tampering)\n",
           info.nfuncs, info.code_size);
  if (info.component) { /* the component itself is WebAssembly: decoded and validated as usual */
    wc_component *c = wc_component_load(info.module, info.module_len, &err);
    aot_artifact_info_free(&info);
    if (!c) return cli_print_error(path, &err), CLI_EXIT_REJECTED;
    printf("embedded component (decoded and validated; its core modules' code is not):\n");
    cli_print_component(path, c);
    wc_component_free(c);
    return CLI_EXIT_OK;
  }
  wm_module *m = wm_module_decode(info.module, info.module_len, &err);
  if (!m) {
    cli_print_error(path, &err);
    aot_artifact_info_free(&info);
    return CLI_EXIT_REJECTED;
  }
  printf("embedded module (decoded, not validated):\n");
  print_module(path, m);
  wm_module_free(m);
  aot_artifact_info_free(&info);
  return CLI_EXIT_OK;
}

/* A component: what it holds, then its imports and exports as WIT. */
void cli_print_component(const char *path, const wc_component *c) {
  static const char *const sections[13] = {"custom", "core module", "core instance", "core type", "component",
                                           "instance", "alias", "type", "canon", "start", "import", "export", "value"};
  printf("%s: component, %zu bytes\n", path, c->size);
  printf("core modules: %u (%u at top level)\n", c->total_modules, c->nmodules);
  printf("nested components: %u\n", c->ncomponents);
  printf("sections:");
  for (int i = 0; i < 13; i++)
    if (c->section_count[i]) printf(" %s %u,", sections[i], c->section_count[i]);
  printf("\nindex spaces:");
  for (int s = 0; s < WC_NSORTS; s++)
    if (c->nspace[s]) printf(" %s %u,", wc_sort_name((wc_sort)s), c->nspace[s]);
  printf("\n");
  for (uint32_t i = 0; i < c->nmodules; i++) {
    const wm_module *m = c->modules[i];
    printf("  core module %u: %zu bytes, %u functions (%u imported), %u imports, %u exports\n", i, m->size,
           m->nfuncs, m->nimported_funcs, m->nimports, m->nexports);
  }
  printf("\n");
  wc_print_wit(c, "root", stdout);
}

int cli_inspect_file(const char *path) {
  rt_error err;
  rt_error_clear(&err);
  size_t len;
  uint8_t *bytes = cli_read_input(path, &len);
  if (!bytes) return CLI_EXIT_REJECTED;
  int status;
  if (aot_is_artifact(bytes, len) || aot_is_component_artifact(bytes, len)) {
    status = inspect_artifact(path, bytes, len);
  } else if ((status = cli_component_bytes(path, bytes, len, true)) < 0) {
    wm_module *m = cli_load_module_bytes(path, bytes, len);
    status = m ? CLI_EXIT_OK : CLI_EXIT_REJECTED;
    if (m) print_module(path, m);
    wm_module_free(m);
  }
  free(bytes);
  return status;
}
