/*
 * decode.c — the component binary decoder: preamble, sections, and the
 * definitions of each section in order, building the index spaces as it goes
 * (valid.c checks each definition against them, types.c reads types).
 *
 * Core modules are decoded and validated by the core stages (src/binary,
 * src/valid); their error offsets, relative to the module's own bytes, are
 * shifted to offsets in the whole component. Nested components recurse, at
 * most WC_MAX_DEPTH levels (a LIMIT error beyond), so hostile nesting cannot
 * exhaust the stack; every count is checked against the bytes left before
 * anything is allocated for it.
 */
#include <stdlib.h>
#include <string.h>

#include "binary/decode_internal.h"
#include "common/grow.h"
#include "component/component_internal.h"
#include "valid/valid.h"

enum {
  SEC_CUSTOM = 0, SEC_CORE_MODULE = 1, SEC_CORE_INSTANCE = 2, SEC_CORE_TYPE = 3, SEC_COMPONENT = 4,
  SEC_INSTANCE = 5, SEC_ALIAS = 6, SEC_TYPE = 7, SEC_CANON = 8, SEC_START = 9, SEC_IMPORT = 10,
  SEC_EXPORT = 11, SEC_VALUE = 12
};

static const uint8_t preamble[8] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};

bool wc_is_component(const uint8_t *bytes, size_t size) {
  return size >= 8 && memcmp(bytes, preamble, 8) == 0;
}

/* ---- reading helpers ---------------------------------------------------- */

bool wc_read_count(wc_loader *L, wm_reader *r, size_t min_entry, uint32_t *n) {
  uint64_t at = reader_offset(r);
  if (!reader_u32(r, n)) return false;
  if (min_entry && (uint64_t)*n * min_entry > reader_left(r))
    return wc_malformed(L, at, "length out of bounds: vector of %u entries does not fit in the %zu bytes left",
                        *n, reader_left(r));
  return true;
}

bool wc_read_name(wc_loader *L, wm_reader *r, wc_str *out) {
  uint64_t at = reader_offset(r);
  uint32_t len;
  const uint8_t *bytes;
  out->ptr = "";
  out->len = 0;
  if (!reader_u32(r, &len)) return false;
  if (len > reader_left(r))
    return wc_malformed(L, at, "length out of bounds: name of %u bytes, only %zu left", len, reader_left(r));
  if (!reader_bytes(r, len, &bytes)) return false;
  if (!decode_utf8_valid(bytes, len)) return wc_malformed(L, at, "malformed UTF-8 encoding in name");
  out->ptr = (const char *)bytes;
  out->len = len;
  return true;
}

bool wc_read_core_sort(wc_loader *L, wm_reader *r, wc_sort *out) {
  uint64_t at = reader_offset(r);
  uint8_t b;
  *out = WC_CORE_FUNC;
  if (!reader_u8(r, &b)) return false;
  switch (b) {
  case 0x00: *out = WC_CORE_FUNC; return true;
  case 0x01: *out = WC_CORE_TABLE; return true;
  case 0x02: *out = WC_CORE_MEMORY; return true;
  case 0x03: *out = WC_CORE_GLOBAL; return true;
  case 0x04: *out = WC_CORE_TAG; return true;
  case 0x10: *out = WC_CORE_TYPE; return true;
  case 0x11: *out = WC_CORE_MODULE; return true;
  case 0x12: *out = WC_CORE_INSTANCE; return true;
  default: return wc_malformed(L, at, "unknown core sort 0x%02x", b);
  }
}

bool wc_read_sort(wc_loader *L, wm_reader *r, wc_sort *out) {
  uint64_t at = reader_offset(r);
  uint8_t b;
  *out = WC_FUNC;
  if (!reader_u8(r, &b)) return false;
  switch (b) {
  case 0x00: return wc_read_core_sort(L, r, out);
  case 0x01: *out = WC_FUNC; return true;
  case 0x02: *out = WC_VALUE; return true;
  case 0x03: *out = WC_TYPE; return true;
  case 0x04: *out = WC_COMPONENT; return true;
  case 0x05: *out = WC_INSTANCE; return true;
  default: return wc_malformed(L, at, "unknown sort 0x%02x", b);
  }
}

/* ---- the component ------------------------------------------------------ */

typedef struct comp_state {
  wc_loader *L;
  wc_component *c;
  wc_scope scope;
  uint32_t capdefs, capmodules, capcomponents;
} comp_state;

static void def_release(wc_def *d) {
  if (d->kind == WC_DEF_CORE_INSTANCE || d->kind == WC_DEF_INSTANCE) free(d->u.inst.args);
  if (d->kind == WC_DEF_START) free(d->u.start.args);
}

static void component_release(wc_component *c) {
  if (!c) return;
  for (uint32_t i = 0; i < c->ndefs; i++) def_release(&c->defs[i]);
  free(c->defs);
  for (uint32_t i = 0; i < c->nmodules; i++) wm_module_free(c->modules[i]);
  free(c->modules);
  for (uint32_t i = 0; i < c->ncomponents; i++) component_release(c->components[i]);
  free(c->components);
  for (int i = 0; i < WC_NSORTS; i++) free(c->spaces[i]);
  free(c);
}

void wc_component_free(wc_component *c) {
  if (!c) return;
  wc_types *ts = c->types;
  uint8_t *bytes = c->bytes;
  component_release(c);
  if (ts) {
    for (uint32_t i = 0; i < ts->n; i++) wc_type_release(&ts->v[i]);
    free(ts->v);
    free(ts);
  }
  free(bytes);
}

static wc_def *new_def(comp_state *st, uint64_t at) {
  wc_component *c = st->c;
  if (c->ndefs >= 10u * WC_MAX_ITEMS) { wc_limit(st->L, at, "too many definitions in one component"); return NULL; }
  if (!rt_grow((void **)&c->defs, &st->capdefs, c->ndefs + 1, sizeof *c->defs)) { wc_oom(st->L, at); return NULL; }
  wc_def *d = &c->defs[c->ndefs++];
  memset(d, 0, sizeof *d);
  d->offset = at;
  d->index = WC_NONE;
  return d;
}

/* A core module type describing a decoded module's imports and exports. */
static uint32_t module_type(wc_loader *L, const wm_module *m, uint64_t at) {
  wc_type t;
  memset(&t, 0, sizeof t);
  t.kind = WC_T_CORE_MODULE;
  t.nimports = m->nimports;
  t.nexports = m->nexports;
  t.imports = m->nimports ? calloc(m->nimports, sizeof *t.imports) : NULL;
  t.exports = m->nexports ? calloc(m->nexports, sizeof *t.exports) : NULL;
  if ((m->nimports && !t.imports) || (m->nexports && !t.exports)) {
    wc_type_release(&t);
    wc_oom(L, at);
    return WC_NONE;
  }
  static const wc_sort kinds[] = {WC_CORE_FUNC, WC_CORE_TABLE, WC_CORE_MEMORY, WC_CORE_GLOBAL, WC_CORE_TAG};
  for (int pass = 0; pass < 2; pass++) {
    uint32_t n = pass ? m->nexports : m->nimports;
    for (uint32_t i = 0; i < n; i++) {
      wc_extern *e = pass ? &t.exports[i] : &t.imports[i];
      wm_extern_kind kind = pass ? m->exports[i].kind : m->imports[i].kind;
      uint32_t index = pass ? m->exports[i].index : m->imports[i].index;
      const wm_name *nm = pass ? &m->exports[i].name : &m->imports[i].field;
      /* names point into the module's own copy; the module lives as long as the component */
      e->name.ptr = nm->ptr;
      e->name.len = nm->len;
      if (!pass) { e->module.ptr = m->imports[i].module.ptr; e->module.len = m->imports[i].module.len; }
      e->sort = kinds[kind];
      e->type = L->core_other;
      if (kind == WASM_EXTERN_FUNC) {
        const wm_functype *ft = wm_module_func_type(m, index);
        e->type = wc_core_functype_add(L, ft->types, ft->nparams, wm_functype_results(ft), ft->nresults, at);
        if (e->type == WC_NONE) { wc_type_release(&t); return WC_NONE; }
      }
    }
  }
  return wc_type_add(L, &t, at);
}

static bool read_core_module(comp_state *st, wm_reader *r, uint64_t at) {
  wc_loader *L = st->L;
  wc_component *c = st->c;
  uint64_t base = reader_offset(r);
  size_t len = reader_left(r);
  wm_module *m = wm_module_decode(r->p, len, L->err);
  if (m && !wm_module_validate(m, L->err)) { wm_module_free(m); m = NULL; }
  if (!m) {
    if (L->err->offset != WRUN_NO_OFFSET) L->err->offset += base;
    return false;
  }
  r->p = r->end;
  if (!rt_grow((void **)&c->modules, &st->capmodules, c->nmodules + 1, sizeof *c->modules)) {
    wm_module_free(m);
    return wc_oom(L, at);
  }
  c->modules[c->nmodules++] = m;
  L->total_modules++;
  uint32_t type = module_type(L, m, base), idx;
  if (type == WC_NONE || !wc_scope_push(L, &st->scope, WC_CORE_MODULE, type, at, &idx)) return false;
  wc_def *d = new_def(st, at);
  if (!d) return false;
  d->kind = WC_DEF_CORE_MODULE;
  d->sort = WC_CORE_MODULE;
  d->index = idx;
  d->u.module = c->nmodules - 1;
  return true;
}

static wc_component *load_component(wc_loader *L, wm_reader *r, wc_scope *outer, uint32_t depth);

static bool read_nested_component(comp_state *st, wm_reader *r, uint64_t at) {
  wc_loader *L = st->L;
  wc_component *c = st->c;
  if (L->depth >= WC_MAX_DEPTH) /* scopes open: this component and all around it */
    return wc_limit(L, at, "components nested too deeply: more than %u levels", WC_MAX_DEPTH);
  wc_component *child = load_component(L, r, &st->scope, c->depth + 1);
  if (!child) return false;
  if (!rt_grow((void **)&c->components, &st->capcomponents, c->ncomponents + 1, sizeof *c->components)) {
    component_release(child);
    return wc_oom(L, at);
  }
  c->components[c->ncomponents++] = child;
  uint32_t idx;
  if (!wc_scope_push(L, &st->scope, WC_COMPONENT, child->type, at, &idx)) return false;
  wc_def *d = new_def(st, at);
  if (!d) return false;
  d->kind = WC_DEF_COMPONENT;
  d->sort = WC_COMPONENT;
  d->index = idx;
  d->u.component = c->ncomponents - 1;
  return true;
}

/* nameattributes ::= 0x00 name | 0x01 name | 0x02 name vec(attribute) */
bool wc_read_nameattrs(wc_loader *L, wm_reader *r, wc_str *name) {
  uint64_t at = reader_offset(r);
  uint8_t k;
  if (!reader_u8(r, &k)) return false;
  if (k > 0x02) return wc_malformed(L, at, "unknown name attributes kind 0x%02x", k);
  if (!wc_read_name(L, r, name)) return false;
  if (k != 0x02) return true;
  uint32_t n;
  bool seen[3] = {false, false, false};
  if (!wc_read_count(L, r, 2, &n)) return false;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t aat = reader_offset(r);
    uint8_t a;
    wc_str v;
    if (!reader_u8(r, &a)) return false;
    if (a > 0x02) return wc_malformed(L, aat, "unknown name attribute 0x%02x", a);
    if (seen[a]) return wc_invalid(L, aat, "name attribute 0x%02x given twice", a);
    seen[a] = true;
    if (!wc_read_name(L, r, &v)) return false;
    if (a == 0x00 && !wc_check_extern_name(L, v, aat)) return false;
  }
  return true;
}

static bool read_import(comp_state *st, wm_reader *r) {
  wc_loader *L = st->L;
  uint64_t at = reader_offset(r);
  wc_str name;
  wc_sort sort;
  uint32_t type, idx;
  if (!wc_read_nameattrs(L, r, &name) || !wc_read_externtype(L, r, &st->scope, &sort, &type) ||
      !wc_scope_add_extern(L, &st->scope, true, name, sort, type, at) ||
      !wc_scope_push(L, &st->scope, sort, type, at, &idx))
    return false;
  wc_def *d = new_def(st, at);
  if (!d) return false;
  d->kind = WC_DEF_IMPORT;
  d->sort = sort;
  d->index = idx;
  d->u.ie.name = name;
  d->u.ie.type = type;
  return true;
}

static bool read_export(comp_state *st, wm_reader *r) {
  wc_loader *L = st->L;
  uint64_t at = reader_offset(r);
  wc_str name;
  wc_sort sort, esort;
  uint32_t index, type, etype, idx;
  uint8_t has;
  if (!wc_read_nameattrs(L, r, &name) || !wc_read_sort(L, r, &sort)) return false;
  uint64_t iat = reader_offset(r);
  if (!reader_u32(r, &index) || !wc_scope_get(L, &st->scope, sort, index, iat, &type)) return false;
  if (sort < WC_FUNC && sort != WC_CORE_MODULE)
    return wc_invalid(L, at, "export \"%.*s\": a %s cannot be exported from a component", (int)name.len, name.ptr,
                      wc_sort_name(sort));
  uint64_t hat = reader_offset(r);
  if (!reader_u8(r, &has)) return false;
  if (has > 1) return wc_malformed(L, hat, "malformed optional extern type: expected 0x00 or 0x01, found 0x%02x", has);
  if (has) {
    if (!wc_read_externtype(L, r, &st->scope, &esort, &etype)) return false;
    if (esort != sort)
      return wc_invalid(L, hat, "export \"%.*s\": ascribed type is a %s, the exported item a %s", (int)name.len,
                        name.ptr, wc_sort_name(esort), wc_sort_name(sort));
    if (sort == WC_TYPE && L->types->v[etype].kind == WC_T_RESOURCE && etype != type &&
        L->types->v[type].kind == WC_T_RESOURCE)
      etype = type; /* (sub resource) ascription re-exports the same resource */
    if (sort != WC_TYPE) etype = type;
    type = etype;
  }
  if (!wc_scope_add_extern(L, &st->scope, false, name, sort, type, at) ||
      !wc_scope_push(L, &st->scope, sort, type, at, &idx))
    return false;
  wc_def *d = new_def(st, at);
  if (!d) return false;
  d->kind = WC_DEF_EXPORT;
  d->sort = sort;
  d->index = idx;
  d->u.ie.name = name;
  d->u.ie.type = type;
  d->u.ie.target = index;
  return true;
}

static bool read_start(comp_state *st, wm_reader *r) {
  wc_loader *L = st->L;
  uint64_t at = reader_offset(r);
  uint32_t f, ft, n, nres, t;
  if (!reader_u32(r, &f) || !wc_scope_get(L, &st->scope, WC_FUNC, f, at, &ft) || !wc_read_count(L, r, 1, &n))
    return false;
  wc_def *d = new_def(st, at);
  if (!d) return false;
  d->kind = WC_DEF_START;
  d->u.start.func = f;
  d->u.start.args = n ? calloc(n, sizeof(uint32_t)) : NULL;
  if (n && !d->u.start.args) return wc_oom(L, at);
  const wc_type *fty = &L->types->v[ft];
  if (n != fty->nitems) return wc_invalid(L, at, "start function %u takes %u arguments, %u given", f, fty->nitems, n);
  for (uint32_t i = 0; i < n; i++) {
    uint64_t vat = reader_offset(r);
    if (!reader_u32(r, &d->u.start.args[i]) || !wc_scope_get(L, &st->scope, WC_VALUE, d->u.start.args[i], vat, &t))
      return false;
    d->u.start.nargs = i + 1;
  }
  if (!reader_u32(r, &nres)) return false;
  if (nres != (fty->has_result ? 1u : 0u))
    return wc_invalid(L, at, "start function %u has %u results, %u declared", f, fty->has_result ? 1u : 0u, nres);
  d->u.start.nresults = nres;
  if (nres && !wc_scope_push(L, &st->scope, WC_VALUE, fty->result, at, &d->index)) return false;
  return true;
}

/* A vector section whose entries are read by `one`. */
static bool read_vec(comp_state *st, wm_reader *r, bool (*one)(comp_state *, wm_reader *)) {
  uint32_t n;
  if (!wc_read_count(st->L, r, 1, &n)) return false;
  for (uint32_t i = 0; i < n; i++)
    if (!one(st, r)) return false;
  return true;
}

static bool one_core_instance(comp_state *st, wm_reader *r) {
  wc_def *d = new_def(st, reader_offset(r));
  return d && wc_read_core_instance(st->L, r, &st->scope, d);
}
static bool one_instance(comp_state *st, wm_reader *r) {
  wc_def *d = new_def(st, reader_offset(r));
  return d && wc_read_instance(st->L, r, &st->scope, d);
}
static bool one_alias(comp_state *st, wm_reader *r) {
  wc_def *d = new_def(st, reader_offset(r));
  return d && wc_read_alias(st->L, r, &st->scope, false, d);
}
static bool one_canon(comp_state *st, wm_reader *r) {
  wc_def *d = new_def(st, reader_offset(r));
  return d && wc_read_canon(st->L, r, &st->scope, d);
}
static bool one_type(comp_state *st, wm_reader *r) {
  uint64_t at = reader_offset(r);
  uint32_t id, idx;
  if (!wc_read_type(st->L, r, &st->scope, &id) || !wc_scope_push(st->L, &st->scope, WC_TYPE, id, at, &idx)) return false;
  wc_def *d = new_def(st, at);
  if (!d) return false;
  d->kind = WC_DEF_TYPE;
  d->sort = WC_TYPE;
  d->index = idx;
  d->u.type = id;
  return true;
}
static bool one_core_type(comp_state *st, wm_reader *r) {
  uint64_t at = reader_offset(r);
  uint32_t id, idx;
  if (!wc_read_core_type(st->L, r, &st->scope, &id) || !wc_scope_push(st->L, &st->scope, WC_CORE_TYPE, id, at, &idx))
    return false;
  wc_def *d = new_def(st, at);
  if (!d) return false;
  d->kind = WC_DEF_CORE_TYPE;
  d->sort = WC_CORE_TYPE;
  d->index = idx;
  d->u.type = id;
  return true;
}

static bool read_section(comp_state *st, wm_reader *r, uint8_t id, uint64_t at) {
  switch (id) {
  case SEC_CUSTOM: {
    wc_str name;
    if (!wc_read_name(st->L, r, &name)) return false;
    r->p = r->end;
    return true;
  }
  case SEC_CORE_MODULE: return read_core_module(st, r, at);
  case SEC_CORE_INSTANCE: return read_vec(st, r, one_core_instance);
  case SEC_CORE_TYPE: return read_vec(st, r, one_core_type);
  case SEC_COMPONENT: return read_nested_component(st, r, at);
  case SEC_INSTANCE: return read_vec(st, r, one_instance);
  case SEC_ALIAS: return read_vec(st, r, one_alias);
  case SEC_TYPE: return read_vec(st, r, one_type);
  case SEC_CANON: return read_vec(st, r, one_canon);
  case SEC_START: return read_start(st, r);
  case SEC_IMPORT: return read_vec(st, r, read_import);
  case SEC_EXPORT: return read_vec(st, r, read_export);
  case SEC_VALUE: return wc_invalid(st->L, at, "value definitions (section 12) are not supported");
  default: return wc_malformed(st->L, at, "unknown component section id %u", id);
  }
}

/* Reads one component (preamble and sections) from r, which spans exactly it. */
static wc_component *load_component(wc_loader *L, wm_reader *r, wc_scope *outer, uint32_t depth) {
  comp_state st;
  memset(&st, 0, sizeof st);
  st.L = L;
  st.c = calloc(1, sizeof *st.c);
  if (!st.c) { wc_oom(L, reader_offset(r)); return NULL; }
  st.c->types = L->types;
  st.c->depth = depth;
  st.c->offset = reader_offset(r);
  wc_scope_init(&st.scope, outer, false, false);
  st.scope.id = ++L->ncomponent_scopes;
  L->depth++;
  bool ok = true;
  const uint8_t *hdr;
  if (reader_left(r) < 8) ok = wc_malformed(L, reader_offset(r), "unexpected end: a component needs an 8-byte preamble");
  else if (memcmp(r->p, preamble, 4) != 0) ok = wc_malformed(L, reader_offset(r), "magic header not detected");
  else if (memcmp(r->p + 4, preamble + 4, 4) != 0)
    ok = wc_malformed(L, reader_offset(r) + 4, "unknown component version: expected 0d 00 01 00 (layer 1)");
  if (ok) ok = reader_bytes(r, 8, &hdr);
  while (ok && !reader_eof(r)) {
    uint64_t at = reader_offset(r);
    uint8_t id;
    uint32_t size;
    if (!(ok = reader_u8(r, &id))) break;
    if (id > SEC_VALUE) { ok = wc_malformed(L, at, "unknown component section id %u", id); break; }
    uint64_t sat = reader_offset(r);
    if (!(ok = reader_u32(r, &size))) break;
    if (size > reader_left(r)) {
      ok = wc_malformed(L, sat, "section size mismatch: section of %u bytes, only %zu left", size, reader_left(r));
      break;
    }
    wm_reader sec = *r;
    sec.end = r->p + size;
    r->p += size;
    st.c->section_count[id]++;
    ok = read_section(&st, &sec, id, reader_offset(&sec));
    if (ok && !reader_eof(&sec))
      ok = wc_malformed(L, reader_offset(&sec), "section size mismatch: %zu bytes left over in section %u",
                        reader_left(&sec), id);
  }
  L->depth--;
  if (ok) {
    wc_type t;
    memset(&t, 0, sizeof t);
    t.kind = WC_T_COMPONENT;
    t.imports = st.scope.imports; t.nimports = st.scope.nimports;
    t.exports = st.scope.exports; t.nexports = st.scope.nexports;
    st.scope.imports = st.scope.exports = NULL;
    st.c->type = wc_type_add(L, &t, st.c->offset);
    ok = st.c->type != WC_NONE;
  }
  for (int i = 0; i < WC_NSORTS; i++) {
    st.c->spaces[i] = st.scope.spaces[i];
    st.c->nspace[i] = st.scope.n[i];
    st.scope.spaces[i] = NULL;
  }
  wc_scope_release(&st.scope);
  st.c->end = reader_offset(r);
  if (!ok) { component_release(st.c); return NULL; }
  return st.c;
}

wc_component *wc_component_load(const uint8_t *bytes, size_t size, rt_error *err) {
  wc_loader L;
  memset(&L, 0, sizeof L);
  L.err = err;
  L.types = calloc(1, sizeof *L.types);
  uint8_t *copy = malloc(size ? size : 1);
  if (!L.types || !copy) {
    free(L.types);
    free(copy);
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  memcpy(copy, bytes, size);
  wc_type other;
  memset(&other, 0, sizeof other);
  other.kind = WC_T_CORE_OTHER;
  L.core_other = wc_type_add(&L, &other, 0);
  wm_reader r = {.base = copy, .p = copy, .end = copy + size, .err = err};
  wc_component *c = L.core_other == WC_NONE ? NULL : load_component(&L, &r, NULL, 0);
  free(L.res_links);
  free(L.eq_memo);
  if (!c) {
    for (uint32_t i = 0; i < L.types->n; i++) wc_type_release(&L.types->v[i]);
    free(L.types->v);
    free(L.types);
    free(copy);
    return NULL;
  }
  c->bytes = copy;
  c->size = size;
  c->total_modules = L.total_modules;
  return c;
}
