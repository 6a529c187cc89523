/*
 * types.c — the standard C API's vectors and type descriptions (valtype,
 * functype, globaltype, tabletype, memorytype, externtype, importtype,
 * exporttype), and their conversion to and from the engine's types.
 *
 * The four extern types start with a wasm_externtype_t header holding their
 * kind, so the as_externtype views are casts and wasm_externtype_delete can
 * dispatch on the kind.
 */
#include <stdlib.h>
#include <string.h>

#include "capi/capi.h"

struct wasm_valtype_t { wasm_valkind_t kind; };
struct wasm_externtype_t { wasm_externkind_t kind; };
struct wasm_functype_t { wasm_externtype_t ext; wasm_valtype_vec_t params, results; };
struct wasm_globaltype_t { wasm_externtype_t ext; wasm_valtype_t *content; wasm_mutability_t mut; };
struct wasm_tabletype_t { wasm_externtype_t ext; wasm_valtype_t *elem; wasm_limits_t limits; };
struct wasm_memorytype_t { wasm_externtype_t ext; wasm_limits_t limits; };
struct wasm_importtype_t { wasm_name_t module, name; wasm_externtype_t *type; };
struct wasm_exporttype_t { wasm_name_t name; wasm_externtype_t *type; };

/* ---- vectors ------------------------------------------------------------------
 * One definition per vector type. COPY(dst, src) copies one element,
 * DROP(e) deletes one. A failed allocation leaves an empty vector (and
 * deletes the elements whose ownership was given). */
#define VEC_IMPL(X, T, COPY, DROP) \
  void wasm_##X##_vec_new_empty(wasm_##X##_vec_t *out) { \
    out->size = 0; \
    out->data = NULL; \
  } \
  void wasm_##X##_vec_new_uninitialized(wasm_##X##_vec_t *out, size_t n) { \
    out->data = n ? calloc(n, sizeof(T)) : NULL; \
    out->size = out->data ? n : 0; \
  } \
  void wasm_##X##_vec_new(wasm_##X##_vec_t *out, size_t n, T const src[]) { \
    wasm_##X##_vec_new_uninitialized(out, n); \
    if (out->size) memcpy(out->data, src, n * sizeof(T)); \
    else for (size_t i = 0; i < n; i++) { T e = src[i]; DROP(e); } \
  } \
  void wasm_##X##_vec_copy(wasm_##X##_vec_t *out, const wasm_##X##_vec_t *src) { \
    wasm_##X##_vec_new_uninitialized(out, src->size); \
    for (size_t i = 0; i < out->size; i++) COPY(out->data[i], src->data[i]); \
  } \
  void wasm_##X##_vec_delete(wasm_##X##_vec_t *v) { \
    if (!v) return; \
    for (size_t i = 0; i < v->size; i++) DROP(v->data[i]); \
    free(v->data); \
    v->size = 0; \
    v->data = NULL; \
  }

#define PLAIN_COPY(d, s) ((d) = (s))
#define NO_DROP(e) ((void)(e))
#define VAL_COPY(d, s) wasm_val_copy(&(d), &(s))
#define VAL_DROP(e) wasm_val_delete(&(e))

#define PTR_VEC_IMPL(X) \
  static inline void X##_elem_copy(wasm_##X##_t **d, const wasm_##X##_t *s) { *d = s ? wasm_##X##_copy(s) : NULL; } \
  static inline void X##_elem_drop(wasm_##X##_t *e) { if (e) wasm_##X##_delete(e); }
PTR_VEC_IMPL(valtype)
PTR_VEC_IMPL(functype)
PTR_VEC_IMPL(globaltype)
PTR_VEC_IMPL(tabletype)
PTR_VEC_IMPL(memorytype)
PTR_VEC_IMPL(externtype)
PTR_VEC_IMPL(importtype)
PTR_VEC_IMPL(exporttype)
PTR_VEC_IMPL(frame)
PTR_VEC_IMPL(extern)

VEC_IMPL(byte, wasm_byte_t, PLAIN_COPY, NO_DROP)
VEC_IMPL(val, wasm_val_t, VAL_COPY, VAL_DROP)
#define PVEC(X) VEC_IMPL(X, wasm_##X##_t *, X##_COPY_, X##_elem_drop)
#define valtype_COPY_(d, s) valtype_elem_copy(&(d), s)
#define functype_COPY_(d, s) functype_elem_copy(&(d), s)
#define globaltype_COPY_(d, s) globaltype_elem_copy(&(d), s)
#define tabletype_COPY_(d, s) tabletype_elem_copy(&(d), s)
#define memorytype_COPY_(d, s) memorytype_elem_copy(&(d), s)
#define externtype_COPY_(d, s) externtype_elem_copy(&(d), s)
#define importtype_COPY_(d, s) importtype_elem_copy(&(d), s)
#define exporttype_COPY_(d, s) exporttype_elem_copy(&(d), s)
#define frame_COPY_(d, s) frame_elem_copy(&(d), s)
#define extern_COPY_(d, s) extern_elem_copy(&(d), s)
PVEC(valtype)
PVEC(functype)
PVEC(globaltype)
PVEC(tabletype)
PVEC(memorytype)
PVEC(externtype)
PVEC(importtype)
PVEC(exporttype)
PVEC(frame)
PVEC(extern)

/* ---- value types ------------------------------------------------------------------- */

static bool known_kind(wasm_valkind_t k) {
  return k == PUB_I32 || k == PUB_I64 || k == PUB_F32 || k == PUB_F64 || k == PUB_V128 || k == PUB_EXTERNREF ||
         k == PUB_FUNCREF;
}

wasm_valtype_t *wasm_valtype_new(wasm_valkind_t k) {
  if (!known_kind(k)) return NULL;
  wasm_valtype_t *t = malloc(sizeof *t);
  if (t) t->kind = k;
  return t;
}
void wasm_valtype_delete(wasm_valtype_t *t) { free(t); }
wasm_valtype_t *wasm_valtype_copy(const wasm_valtype_t *t) { return wasm_valtype_new(t->kind); }
wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t *t) { return t->kind; }

wasm_valkind_t capi_ref_kind_of(wm_valtype t) {
  if (t == WASM_V128) return PUB_V128;
  uint32_t heap = wm_reftype_heap(t);
  bool func = heap == WASM_HT_FUNC || heap == WASM_HT_NOFUNC || heap >= 0x80;
  return func ? PUB_FUNCREF : PUB_EXTERNREF;
}

bool capi_valtype_of(wasm_valkind_t k, wm_valtype *out) {
  switch (k) {
  case PUB_I32: *out = WASM_I32; return true;
  case PUB_I64: *out = WASM_I64; return true;
  case PUB_F32: *out = WASM_F32; return true;
  case PUB_F64: *out = WASM_F64; return true;
  case PUB_V128: *out = WASM_V128; return true;
  case PUB_FUNCREF: *out = WASM_FUNCREF; return true;
  case PUB_EXTERNREF: *out = WASM_EXTERNREF; return true;
  default: return false;
  }
}

/* ---- function types ------------------------------------------------------------------- */

wasm_functype_t *wasm_functype_new(wasm_valtype_vec_t *params, wasm_valtype_vec_t *results) {
  wasm_functype_t *f = malloc(sizeof *f);
  if (!f) {
    wasm_valtype_vec_delete(params);
    wasm_valtype_vec_delete(results);
    return NULL;
  }
  f->ext.kind = PUB_EXTERN_FUNC;
  f->params = *params;
  f->results = *results;
  wasm_valtype_vec_new_empty(params);
  wasm_valtype_vec_new_empty(results);
  return f;
}

void wasm_functype_delete(wasm_functype_t *f) {
  if (!f) return;
  wasm_valtype_vec_delete(&f->params);
  wasm_valtype_vec_delete(&f->results);
  free(f);
}

wasm_functype_t *wasm_functype_copy(const wasm_functype_t *f) {
  wasm_valtype_vec_t p, r;
  wasm_valtype_vec_copy(&p, &f->params);
  wasm_valtype_vec_copy(&r, &f->results);
  return wasm_functype_new(&p, &r);
}

const wasm_valtype_vec_t *wasm_functype_params(const wasm_functype_t *f) { return &f->params; }
const wasm_valtype_vec_t *wasm_functype_results(const wasm_functype_t *f) { return &f->results; }

static bool fill_valtypes(wasm_valtype_vec_t *v, const wm_valtype *ts, uint32_t n) {
  wasm_valtype_vec_new_uninitialized(v, n);
  if (v->size != n) return false;
  for (uint32_t i = 0; i < n; i++)
    if (!(v->data[i] = wasm_valtype_new(capi_kind_of(ts[i])))) return false;
  return true;
}

wasm_functype_t *capi_functype_from(const wm_functype *ft) {
  wasm_valtype_vec_t p, r;
  bool ok = fill_valtypes(&p, wm_functype_params(ft), ft->nparams);
  ok = fill_valtypes(&r, wm_functype_results(ft), ft->nresults) && ok;
  if (!ok) {
    wasm_valtype_vec_delete(&p);
    wasm_valtype_vec_delete(&r);
    return NULL;
  }
  return wasm_functype_new(&p, &r);
}

bool capi_functype_to(const wasm_functype_t *ft, wm_functype *out) {
  size_t np = ft->params.size, nr = ft->results.size;
  out->nparams = (uint32_t)np;
  out->nresults = (uint32_t)nr;
  out->types = np + nr ? malloc((np + nr) * sizeof *out->types) : NULL;
  if (np + nr && !out->types) return false;
  for (size_t i = 0; i < np + nr; i++) {
    const wasm_valtype_t *t = i < np ? ft->params.data[i] : ft->results.data[i - np];
    if (!t || !capi_valtype_of(t->kind, &out->types[i])) {
      free(out->types);
      out->types = NULL;
      return false;
    }
  }
  return true;
}

/* ---- global, table and memory types ------------------------------------------------------ */

wasm_globaltype_t *wasm_globaltype_new(wasm_valtype_t *content, wasm_mutability_t mut) {
  wasm_globaltype_t *g = content && mut <= WASM_VAR ? malloc(sizeof *g) : NULL;
  if (!g) {
    wasm_valtype_delete(content);
    return NULL;
  }
  g->ext.kind = PUB_EXTERN_GLOBAL;
  g->content = content;
  g->mut = mut;
  return g;
}
void wasm_globaltype_delete(wasm_globaltype_t *g) {
  if (!g) return;
  wasm_valtype_delete(g->content);
  free(g);
}
wasm_globaltype_t *wasm_globaltype_copy(const wasm_globaltype_t *g) {
  return wasm_globaltype_new(wasm_valtype_copy(g->content), g->mut);
}
const wasm_valtype_t *wasm_globaltype_content(const wasm_globaltype_t *g) { return g->content; }
wasm_mutability_t wasm_globaltype_mutability(const wasm_globaltype_t *g) { return g->mut; }

wasm_globaltype_t *capi_globaltype_from(const wm_globaltype *gt) {
  return wasm_globaltype_new(wasm_valtype_new(capi_kind_of(gt->type)), gt->mut ? WASM_VAR : WASM_CONST);
}
bool capi_globaltype_to(const wasm_globaltype_t *gt, wm_globaltype *out) {
  out->mut = gt->mut == WASM_VAR;
  return capi_valtype_of(gt->content->kind, &out->type);
}

static wasm_limits_t limits_from(const wm_limits *l) {
  wasm_limits_t r = {(uint32_t)(l->min > UINT32_MAX ? UINT32_MAX : l->min),
                     l->has_max && l->max < UINT32_MAX ? (uint32_t)l->max : wasm_limits_max_default};
  return r;
}
static void limits_to(const wasm_limits_t *l, wm_limits *out) {
  memset(out, 0, sizeof *out);
  out->min = l->min;
  out->has_max = l->max != wasm_limits_max_default;
  out->max = out->has_max ? l->max : 0;
}

wasm_tabletype_t *wasm_tabletype_new(wasm_valtype_t *elem, const wasm_limits_t *limits) {
  wasm_tabletype_t *t = elem && wasm_valkind_is_ref(elem->kind) && limits ? malloc(sizeof *t) : NULL;
  if (!t) {
    wasm_valtype_delete(elem);
    return NULL;
  }
  t->ext.kind = PUB_EXTERN_TABLE;
  t->elem = elem;
  t->limits = *limits;
  return t;
}
void wasm_tabletype_delete(wasm_tabletype_t *t) {
  if (!t) return;
  wasm_valtype_delete(t->elem);
  free(t);
}
wasm_tabletype_t *wasm_tabletype_copy(const wasm_tabletype_t *t) {
  return wasm_tabletype_new(wasm_valtype_copy(t->elem), &t->limits);
}
const wasm_valtype_t *wasm_tabletype_element(const wasm_tabletype_t *t) { return t->elem; }
const wasm_limits_t *wasm_tabletype_limits(const wasm_tabletype_t *t) { return &t->limits; }

wasm_tabletype_t *capi_tabletype_from(const wm_tabletype *tt) {
  wasm_limits_t l = limits_from(&tt->limits);
  return wasm_tabletype_new(wasm_valtype_new(capi_kind_of(tt->elem)), &l);
}
bool capi_tabletype_to(const wasm_tabletype_t *tt, wm_tabletype *out) {
  limits_to(&tt->limits, &out->limits);
  return capi_valtype_of(tt->elem->kind, &out->elem);
}

wasm_memorytype_t *wasm_memorytype_new(const wasm_limits_t *limits) {
  wasm_memorytype_t *m = limits ? malloc(sizeof *m) : NULL;
  if (!m) return NULL;
  m->ext.kind = PUB_EXTERN_MEMORY;
  m->limits = *limits;
  return m;
}
void wasm_memorytype_delete(wasm_memorytype_t *m) { free(m); }
wasm_memorytype_t *wasm_memorytype_copy(const wasm_memorytype_t *m) { return wasm_memorytype_new(&m->limits); }
const wasm_limits_t *wasm_memorytype_limits(const wasm_memorytype_t *m) { return &m->limits; }

wasm_memorytype_t *capi_memorytype_from(const wm_memtype *mt) {
  wasm_limits_t l = limits_from(&mt->limits);
  return wasm_memorytype_new(&l);
}
void capi_memorytype_to(const wasm_memorytype_t *mt, wm_memtype *out) { limits_to(&mt->limits, &out->limits); }

/* ---- extern types: views and dispatch ------------------------------------------------------ */

wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t *t) { return t->kind; }

void wasm_externtype_delete(wasm_externtype_t *t) {
  if (!t) return;
  switch (t->kind) {
  case PUB_EXTERN_FUNC: wasm_functype_delete((wasm_functype_t *)t); break;
  case PUB_EXTERN_GLOBAL: wasm_globaltype_delete((wasm_globaltype_t *)t); break;
  case PUB_EXTERN_TABLE: wasm_tabletype_delete((wasm_tabletype_t *)t); break;
  default: wasm_memorytype_delete((wasm_memorytype_t *)t); break;
  }
}

wasm_externtype_t *wasm_externtype_copy(const wasm_externtype_t *t) {
  switch (t->kind) {
  case PUB_EXTERN_FUNC: return (wasm_externtype_t *)wasm_functype_copy((const wasm_functype_t *)t);
  case PUB_EXTERN_GLOBAL: return (wasm_externtype_t *)wasm_globaltype_copy((const wasm_globaltype_t *)t);
  case PUB_EXTERN_TABLE: return (wasm_externtype_t *)wasm_tabletype_copy((const wasm_tabletype_t *)t);
  default: return (wasm_externtype_t *)wasm_memorytype_copy((const wasm_memorytype_t *)t);
  }
}

#define EXTERNTYPE_VIEWS(X, KIND) \
  wasm_externtype_t *wasm_##X##_as_externtype(wasm_##X##_t *t) { return t ? &t->ext : NULL; } \
  const wasm_externtype_t *wasm_##X##_as_externtype_const(const wasm_##X##_t *t) { return t ? &t->ext : NULL; } \
  wasm_##X##_t *wasm_externtype_as_##X(wasm_externtype_t *t) { \
    return t && t->kind == KIND ? (wasm_##X##_t *)t : NULL; \
  } \
  const wasm_##X##_t *wasm_externtype_as_##X##_const(const wasm_externtype_t *t) { \
    return t && t->kind == KIND ? (const wasm_##X##_t *)t : NULL; \
  }
EXTERNTYPE_VIEWS(functype, PUB_EXTERN_FUNC)
EXTERNTYPE_VIEWS(globaltype, PUB_EXTERN_GLOBAL)
EXTERNTYPE_VIEWS(tabletype, PUB_EXTERN_TABLE)
EXTERNTYPE_VIEWS(memorytype, PUB_EXTERN_MEMORY)

/* ---- import and export types ---------------------------------------------------------------- */

wasm_importtype_t *wasm_importtype_new(wasm_name_t *module, wasm_name_t *name, wasm_externtype_t *type) {
  wasm_importtype_t *t = type ? malloc(sizeof *t) : NULL;
  if (!t) {
    wasm_name_delete(module);
    wasm_name_delete(name);
    wasm_externtype_delete(type);
    return NULL;
  }
  t->module = *module;
  t->name = *name;
  t->type = type;
  wasm_name_new_empty(module);
  wasm_name_new_empty(name);
  return t;
}
void wasm_importtype_delete(wasm_importtype_t *t) {
  if (!t) return;
  wasm_name_delete(&t->module);
  wasm_name_delete(&t->name);
  wasm_externtype_delete(t->type);
  free(t);
}
wasm_importtype_t *wasm_importtype_copy(const wasm_importtype_t *t) {
  wasm_name_t m, n;
  wasm_name_copy(&m, &t->module);
  wasm_name_copy(&n, &t->name);
  return wasm_importtype_new(&m, &n, wasm_externtype_copy(t->type));
}
const wasm_name_t *wasm_importtype_module(const wasm_importtype_t *t) { return &t->module; }
const wasm_name_t *wasm_importtype_name(const wasm_importtype_t *t) { return &t->name; }
const wasm_externtype_t *wasm_importtype_type(const wasm_importtype_t *t) { return t->type; }

wasm_exporttype_t *wasm_exporttype_new(wasm_name_t *name, wasm_externtype_t *type) {
  wasm_exporttype_t *t = type ? malloc(sizeof *t) : NULL;
  if (!t) {
    wasm_name_delete(name);
    wasm_externtype_delete(type);
    return NULL;
  }
  t->name = *name;
  t->type = type;
  wasm_name_new_empty(name);
  return t;
}
void wasm_exporttype_delete(wasm_exporttype_t *t) {
  if (!t) return;
  wasm_name_delete(&t->name);
  wasm_externtype_delete(t->type);
  free(t);
}
wasm_exporttype_t *wasm_exporttype_copy(const wasm_exporttype_t *t) {
  wasm_name_t n;
  wasm_name_copy(&n, &t->name);
  return wasm_exporttype_new(&n, wasm_externtype_copy(t->type));
}
const wasm_name_t *wasm_exporttype_name(const wasm_exporttype_t *t) { return &t->name; }
const wasm_externtype_t *wasm_exporttype_type(const wasm_exporttype_t *t) { return t->type; }
