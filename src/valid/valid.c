/*
 * valid.c — module-level validation: the index spaces, limits, constant
 * expressions, exports, start and segments. Function bodies are checked by
 * valid_code.c. The order follows the spec's module rule, so the first error
 * reported is the one a reader of the module would meet first.
 */
#include <stdlib.h>
#include <string.h>

#include "binary/opcodes.h"
#include "binary/reader.h"
#include "valid/valid.h"
#include "valid/valid_internal.h"

static bool invalid(rt_error *err, uint64_t at, const char *what, uint32_t idx) {
  return rt_error_at(err, WRUN_ERR_INVALID, at, "%s %u", what, idx);
}

bool valid_subtype(const wm_module *m, wm_valtype t1, wm_valtype t2) {
  (void)m;
  return t1 == VALID_UNKNOWN || t2 == VALID_UNKNOWN || t1 == t2;
}

static bool check_limits(const wm_limits *l, uint64_t bound, const char *what, uint64_t at,
                         rt_error *err) {
  if (l->min > bound)
    return rt_error_at(err, WRUN_ERR_INVALID, at, "%s size must be at most %llu%s", what,
                         (unsigned long long)bound, bound == WASM_MAX_PAGES32 ? " pages (4GiB)" : "");
  if (l->has_max && l->max > bound)
    return rt_error_at(err, WRUN_ERR_INVALID, at, "%s size must be at most %llu%s", what,
                         (unsigned long long)bound, bound == WASM_MAX_PAGES32 ? " pages (4GiB)" : "");
  if (l->has_max && l->min > l->max)
    return rt_error_at(err, WRUN_ERR_INVALID, at,
                         "size minimum must not be greater than maximum (%llu > %llu)",
                         (unsigned long long)l->min, (unsigned long long)l->max);
  return true;
}

/* Reads the function index of a `ref.func x; end` expression, if that is what
 * `ce` is (the elem segment shorthand that C.refs must count). */
static void mark_ref_funcs(const wm_module *m, const wm_constexpr *ce, uint8_t *declared) {
  rt_error scratch;
  rt_error_clear(&scratch);
  wm_reader r = {m->bytes, ce->code, ce->code + ce->len, &scratch};
  uint8_t op;
  uint32_t idx;
  while (reader_u8(&r, &op)) {
    if (op == 0xD2 && reader_u32(&r, &idx)) {
      if (idx < m->nfuncs) declared[idx] = 1;
    } else {
      return; /* other shapes carry no function references worth scanning here */
    }
  }
}

/* C.refs: every function index named outside function bodies (globals, element
 * segments, exports) may be used by ref.func in code. */
static void collect_declared_refs(const wm_module *m, uint8_t *declared) {
  for (uint32_t i = m->nimported_globals; i < m->nglobals; i++)
    mark_ref_funcs(m, &m->globals[i].init, declared);
  for (uint32_t i = 0; i < m->nelems; i++) {
    const wm_elem *e = &m->elems[i];
    for (uint32_t k = 0; k < e->count; k++) {
      if (e->func_indices && e->func_indices[k] < m->nfuncs) declared[e->func_indices[k]] = 1;
      if (e->inits) mark_ref_funcs(m, &e->inits[k], declared);
    }
  }
  for (uint32_t i = 0; i < m->nexports; i++)
    if (m->exports[i].kind == WASM_EXTERN_FUNC && m->exports[i].index < m->nfuncs)
      declared[m->exports[i].index] = 1;
}

static uint64_t import_offset(const wm_module *m, uint32_t import_idx) {
  return import_idx < m->nimports ? m->imports[import_idx].offset : WRUN_NO_OFFSET;
}

static bool valid_imports_and_defs(const wm_module *m, rt_error *err) {
  for (uint32_t i = 0; i < m->nfuncs; i++) {
    const wm_func *f = &m->funcs[i];
    uint64_t at = f->import_idx != WASM_NONE_IDX ? import_offset(m, f->import_idx) : f->code_offset;
    if (f->type_idx >= m->ntypes) return invalid(err, at, "unknown type", f->type_idx);
  }
  for (uint32_t i = 0; i < m->ntables; i++) {
    const wm_table *t = &m->tables[i];
    if (!check_limits(&t->type.limits, UINT32_MAX, "table", t->offset, err))
      return false;
  }
  for (uint32_t i = 0; i < m->nmems; i++) {
    const wm_memory *mem = &m->mems[i];
    if (!check_limits(&mem->type.limits, WASM_MAX_PAGES32, "memory", mem->offset, err))
      return false;
  }
  if (m->nmems > 1)
    return rt_error_at(err, WRUN_ERR_INVALID, m->mems[1].offset,
                         "multiple memories: %u declared, WebAssembly 2.0 allows one", m->nmems);
  return true;
}

static bool valid_exports(const wm_module *m, rt_error *err) {
  static const char *const unknown[] = {"unknown function", "unknown table", "unknown memory",
                                        "unknown global", "unknown tag"};
  for (uint32_t i = 0; i < m->nexports; i++) {
    const wm_export *e = &m->exports[i];
    uint32_t limit = e->kind == WASM_EXTERN_FUNC ? m->nfuncs : e->kind == WASM_EXTERN_TABLE ? m->ntables
                   : e->kind == WASM_EXTERN_MEMORY ? m->nmems : e->kind == WASM_EXTERN_GLOBAL ? m->nglobals
                   : m->ntags;
    if (e->index >= limit) return invalid(err, e->offset, unknown[e->kind], e->index);
  }
  /* Duplicate names: sort indices by name, compare neighbours (n log n). */
  if (m->nexports < 2) return true;
  uint32_t *order = malloc(m->nexports * sizeof *order);
  if (!order) return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
  for (uint32_t i = 0; i < m->nexports; i++) order[i] = i;
  /* Insertion into a hash would be faster; a heap sort keeps this allocation-free
   * and O(n log n) on hostile input. */
  const wm_export *ex = m->exports;
#define NAME_LESS(a, b) \
  (ex[a].name.len != ex[b].name.len ? ex[a].name.len < ex[b].name.len \
                                    : memcmp(ex[a].name.ptr, ex[b].name.ptr, ex[a].name.len) < 0)
  uint32_t n = m->nexports;
  for (uint32_t start = n / 2; start-- > 0;) { /* heapify */
    uint32_t root = start;
    for (;;) {
      uint32_t child = 2 * root + 1;
      if (child >= n) break;
      if (child + 1 < n && NAME_LESS(order[child], order[child + 1])) child++;
      if (!NAME_LESS(order[root], order[child])) break;
      uint32_t t = order[root]; order[root] = order[child]; order[child] = t;
      root = child;
    }
  }
  for (uint32_t end = n; end-- > 1;) {
    uint32_t t = order[0]; order[0] = order[end]; order[end] = t;
    uint32_t root = 0;
    for (;;) {
      uint32_t child = 2 * root + 1;
      if (child >= end) break;
      if (child + 1 < end && NAME_LESS(order[child], order[child + 1])) child++;
      if (!NAME_LESS(order[root], order[child])) break;
      uint32_t t2 = order[root]; order[root] = order[child]; order[child] = t2;
      root = child;
    }
  }
#undef NAME_LESS
  bool ok = true;
  for (uint32_t i = 1; i < n && ok; i++) {
    const wm_name *a = &ex[order[i - 1]].name, *b = &ex[order[i]].name;
    if (a->len == b->len && memcmp(a->ptr, b->ptr, a->len) == 0)
      ok = rt_error_at(err, WRUN_ERR_INVALID, ex[order[i]].offset, "duplicate export name \"%.100s\"", a->ptr);
  }
  free(order);
  return ok;
}

static bool valid_segments(const wm_module *m, uint8_t *declared, rt_error *err) {
  for (uint32_t i = 0; i < m->nelems; i++) {
    const wm_elem *e = &m->elems[i];
    if (e->mode == WASM_SEG_ACTIVE) {
      if (e->table >= m->ntables) return invalid(err, e->offset_in_binary, "unknown table", e->table);
      if (!valid_const_expr(m, &e->offset, WASM_I32, m->nimported_globals, NULL, err)) return false;
      if (!valid_subtype(m, e->type, m->tables[e->table].type.elem))
        return rt_error_at(err, WRUN_ERR_INVALID, e->offset_in_binary,
                             "type mismatch: element segment %u does not fit the type of table %u", i, e->table);
    }
    for (uint32_t k = 0; k < e->count; k++) {
      if (e->func_indices && e->func_indices[k] >= m->nfuncs)
        return invalid(err, e->offset_in_binary, "unknown function", e->func_indices[k]);
      if (e->inits && !valid_const_expr(m, &e->inits[k], e->type, m->nimported_globals, declared, err))
        return false;
    }
  }
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const wm_data *d = &m->datas[i];
    if (d->mode != WASM_SEG_ACTIVE) continue;
    if (d->memory >= m->nmems) return invalid(err, d->offset_in_binary, "unknown memory", d->memory);
    if (!valid_const_expr(m, &d->offset, WASM_I32, m->nimported_globals, NULL, err)) return false;
  }
  return true;
}

bool wm_module_validate(wm_module *m, rt_error *err) {
  if (m->validated) return true;
  free(m->func_declared);
  m->func_declared = calloc(m->nfuncs ? m->nfuncs : 1, 1);
  if (!m->func_declared) return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
  if (!valid_imports_and_defs(m, err)) return false;
  collect_declared_refs(m, m->func_declared);
  /* 2.0: constant expressions see only imported globals. */
  for (uint32_t i = m->nimported_globals; i < m->nglobals; i++)
    if (!valid_const_expr(m, &m->globals[i].init, m->globals[i].type.type, m->nimported_globals, NULL, err))
      return false;
  if (!valid_exports(m, err)) return false;
  if (m->start != WASM_NONE_IDX) {
    if (m->start >= m->nfuncs) return invalid(err, m->start_offset, "unknown function", m->start);
    const wm_functype *ft = wm_module_func_type(m, m->start);
    if (ft->nparams || ft->nresults)
      return rt_error_at(err, WRUN_ERR_INVALID, m->start_offset,
                           "start function %u must take no parameters and return nothing", m->start);
  }
  if (!valid_segments(m, m->func_declared, err)) return false;
  for (uint32_t i = m->nimported_funcs; i < m->nfuncs; i++)
    if (!valid_func_body(m, i, err)) return false;
  m->validated = true;
  return true;
}
