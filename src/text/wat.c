/*
 * wat.c — WAT module fields to a binary module.
 *
 * Two passes over the fields of a (module ...): the first assigns every index
 * space (explicit types first, so that types implied by inline type uses are
 * appended after them, as the spec orders), records identifiers and expands
 * the abbreviations (inline imports and exports, tables with inline elements,
 * memories with inline data); the second emits the sections, by which time
 * every identifier can be resolved, including forward references.
 *
 * The output is handed to the binary decoder, so this file cares about the
 * text grammar only; type errors are left for the validator to report.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary/decode_internal.h"
#include "text/wat_internal.h"

/* ---- byte buffers ------------------------------------------------------------ */

static bool buf_reserve(wat_buf *b, size_t n) {
  if (b->oom) return false;
  if (b->cap - b->len >= n) return true;
  size_t cap = b->cap ? b->cap : 64;
  while (cap - b->len < n) cap *= 2;
  uint8_t *p = realloc(b->p, cap);
  if (!p) {
    b->oom = true;
    return false;
  }
  b->p = p;
  b->cap = cap;
  return true;
}

void wat_buf_byte(wat_buf *b, uint8_t v) {
  if (buf_reserve(b, 1)) b->p[b->len++] = v;
}

void wat_buf_bytes(wat_buf *b, const void *p, size_t n) {
  if (n && buf_reserve(b, n)) {
    memcpy(b->p + b->len, p, n);
    b->len += n;
  }
}

void wat_buf_uleb(wat_buf *b, uint64_t v) {
  do {
    uint8_t byte = v & 0x7F;
    v >>= 7;
    wat_buf_byte(b, (uint8_t)(byte | (v ? 0x80 : 0)));
  } while (v);
}

void wat_buf_sleb(wat_buf *b, int64_t v) {
  for (;;) {
    uint8_t byte = v & 0x7F;
    v >>= 7; /* arithmetic shift on the platforms we support */
    bool done = (v == 0 && !(byte & 0x40)) || (v == -1 && (byte & 0x40));
    wat_buf_byte(b, (uint8_t)(byte | (done ? 0 : 0x80)));
    if (done) break;
  }
}

void wat_buf_free(wat_buf *b) {
  free(b->p);
  memset(b, 0, sizeof *b);
}

/* ---- identifier tables --------------------------------------------------------- */

static uint32_t name_hash(const char *s, size_t len) {
  uint32_t h = 2166136261u;
  for (size_t i = 0; i < len; i++) h = (h ^ (uint8_t)s[i]) * 16777619u;
  return h;
}

static bool names_rehash(wat_names *ns, uint32_t nslots) {
  uint32_t *slots = calloc(nslots, sizeof *slots);
  if (!slots) return false;
  for (uint32_t i = 0; i < ns->n; i++) {
    if (!ns->name[i]) continue;
    uint32_t h = name_hash(ns->name[i], ns->len[i]) & (nslots - 1);
    while (slots[h]) h = (h + 1) & (nslots - 1);
    slots[h] = i + 1;
  }
  free(ns->slots);
  ns->slots = slots;
  ns->nslots = nslots;
  return true;
}

uint32_t wat_names_find(const wat_names *ns, const char *name, size_t len) {
  if (!ns->nslots) return UINT32_MAX;
  uint32_t h = name_hash(name, len) & (ns->nslots - 1);
  while (ns->slots[h]) {
    uint32_t i = ns->slots[h] - 1;
    if (ns->len[i] == len && memcmp(ns->name[i], name, len) == 0) return i;
    h = (h + 1) & (ns->nslots - 1);
  }
  return UINT32_MAX;
}

bool wat_names_add(wat_names *ns, const char *name, size_t len) {
  if (name && wat_names_find(ns, name, len) != UINT32_MAX) return false;
  if (ns->n == ns->cap) {
    uint32_t cap = ns->cap ? ns->cap * 2 : 16;
    const char **nm = realloc(ns->name, cap * sizeof *nm);
    if (nm) ns->name = nm;
    size_t *ln = realloc(ns->len, cap * sizeof *ln);
    if (ln) ns->len = ln;
    if (!nm || !ln) return false;
    ns->cap = cap;
  }
  ns->name[ns->n] = name;
  ns->len[ns->n] = len;
  ns->n++;
  if (name) {
    if ((ns->n + 1) * 2 > ns->nslots) return names_rehash(ns, ns->nslots ? ns->nslots * 2 : 32);
    uint32_t h = name_hash(name, len) & (ns->nslots - 1);
    while (ns->slots[h]) h = (h + 1) & (ns->nslots - 1);
    ns->slots[h] = ns->n;
  }
  return true;
}

void wat_names_free(wat_names *ns) {
  free(ns->name);
  free(ns->len);
  free(ns->slots);
  memset(ns, 0, sizeof *ns);
}

/* ---- shared helpers -------------------------------------------------------------- */

static const sx_node *opt_id(const sx_node *items, size_t n, size_t *i) {
  if (*i < n && items[*i].kind == SX_ID) return &items[(*i)++];
  return NULL;
}

bool wat_fail(wat_module *m, const sx_node *n, const char *fmt, ...) {
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return rt_error_at_line(m->err, WRUN_ERR_MALFORMED, n ? n->line : 0, n ? n->col : 0, "%s", msg);
}

bool wat_valtype(wat_module *m, const sx_node *n, wm_valtype *out) {
  static const struct { const char *name; wm_valtype t; } simple[] = {
    {"i32", WASM_I32}, {"i64", WASM_I64}, {"f32", WASM_F32}, {"f64", WASM_F64}, {"v128", WASM_V128},
    {"funcref", WASM_FUNCREF}, {"externref", WASM_EXTERNREF},
  };
  for (size_t k = 0; k < sizeof simple / sizeof simple[0]; k++)
    if (sx_is_atom(n, simple[k].name)) {
      *out = simple[k].t;
      return true;
    }
  if (n->kind == SX_LIST && n->nitems == 3 && sx_is_atom(&n->items[0], "ref") && sx_is_atom(&n->items[1], "null")) {
    if (sx_is_atom(&n->items[2], "func")) { *out = WASM_FUNCREF; return true; }
    if (sx_is_atom(&n->items[2], "extern")) { *out = WASM_EXTERNREF; return true; }
  }
  return wat_fail(m, n, "unexpected token: expected a value type");
}

/* A value type that must be a reference type (tables, element segments). */
static bool wat_reftype(wat_module *m, const sx_node *n, wm_valtype *out) {
  if (!wat_valtype(m, n, out)) return false;
  if (!wm_valtype_is_ref(*out)) return wat_fail(m, n, "malformed reference type: expected funcref or externref");
  return true;
}

void wat_emit_valtype(wat_buf *b, wm_valtype t) {
  wat_buf_byte(b, t == WASM_FUNCREF ? 0x70 : t == WASM_EXTERNREF ? 0x6F : (uint8_t)t);
}

bool wat_is_index(const sx_node *n) {
  return n->kind == SX_ID || (n->kind == SX_ATOM && n->len && n->text[0] >= '0' && n->text[0] <= '9');
}

bool wat_index(wat_module *m, const sx_node *n, const wat_names *ns, const char *what, uint32_t *out) {
  if (n->kind == SX_ID) {
    uint32_t i = wat_names_find(ns, n->text, n->len);
    if (i == UINT32_MAX) return wat_fail(m, n, "unknown %s %.*s", what, (int)n->len, n->text);
    *out = i;
    return true;
  }
  if (n->kind != SX_ATOM || !n->len || n->text[0] < '0' || n->text[0] > '9' || !wat_parse_i32(n->text, n->len, out))
    return wat_fail(m, n, "unexpected token: expected a %s index", what);
  return true;
}

static bool sig_push(wm_valtype **arr, uint32_t *n, uint32_t *cap, wm_valtype t) {
  if (*n == *cap) {
    uint32_t c = *cap ? *cap * 2 : 4;
    wm_valtype *p = realloc(*arr, c * sizeof *p);
    if (!p) return false;
    *arr = p;
    *cap = c;
  }
  (*arr)[(*n)++] = t;
  return true;
}

bool wat_sig_param(wat_sig *s, wm_valtype t) { return sig_push(&s->params, &s->nparams, &s->cap_params, t); }
bool wat_sig_result(wat_sig *s, wm_valtype t) { return sig_push(&s->results, &s->nresults, &s->cap_results, t); }

void wat_sig_free(wat_sig *s) {
  free(s->params);
  free(s->results);
  memset(s, 0, sizeof *s);
}

static bool sig_equal(const wat_sig *a, const wat_sig *b) {
  return a->nparams == b->nparams && a->nresults == b->nresults &&
         (!a->nparams || memcmp(a->params, b->params, a->nparams * sizeof *a->params) == 0) &&
         (!a->nresults || memcmp(a->results, b->results, a->nresults * sizeof *a->results) == 0);
}

static uint32_t add_type(wat_module *m, wat_sig *sig) {
  if (m->ntypes == m->cap_types) {
    uint32_t cap = m->cap_types ? m->cap_types * 2 : 16;
    wat_type *t = realloc(m->types, cap * sizeof *t);
    if (!t) {
      wat_sig_free(sig);
      return UINT32_MAX;
    }
    m->types = t;
    m->cap_types = cap;
  }
  m->types[m->ntypes].sig = *sig;
  memset(sig, 0, sizeof *sig);
  return m->ntypes++;
}

uint32_t wat_intern_type(wat_module *m, wat_sig *sig) {
  for (uint32_t i = 0; i < m->ntypes; i++)
    if (sig_equal(&m->types[i].sig, sig)) {
      wat_sig_free(sig);
      return i;
    }
  return add_type(m, sig);
}

static bool is_head(const sx_node *n, const char *kw) {
  return n->kind == SX_LIST && n->nitems > 0 && sx_is_atom(&n->items[0], kw);
}

/* (param $x t) | (param t*) and (result t*) lists into `s`. */
static bool sig_lists(wat_module *m, const sx_node *items, size_t n, size_t *i, wat_sig *s, wat_names *names,
                      bool allow_names) {
  while (*i < n && is_head(&items[*i], "param")) {
    const sx_node *l = &items[(*i)++];
    if (l->nitems >= 2 && l->items[1].kind == SX_ID) {
      if (!allow_names) return wat_fail(m, &l->items[1], "unexpected token: a named parameter is not allowed here");
      if (l->nitems != 3) return wat_fail(m, l, "unexpected token: (param $id type) names one parameter");
      wm_valtype t;
      if (!wat_valtype(m, &l->items[2], &t) || !wat_sig_param(s, t)) return false;
      if (names && !wat_names_add(names, l->items[1].text, l->items[1].len))
        return wat_fail(m, &l->items[1], "duplicate local %.*s", (int)l->items[1].len, l->items[1].text);
      continue;
    }
    for (size_t k = 1; k < l->nitems; k++) {
      wm_valtype t;
      if (!wat_valtype(m, &l->items[k], &t) || !wat_sig_param(s, t)) return false;
      if (names && !wat_names_add(names, NULL, 0)) return wat_fail(m, l, "out of memory");
    }
  }
  while (*i < n && is_head(&items[*i], "result")) {
    const sx_node *l = &items[(*i)++];
    for (size_t k = 1; k < l->nitems; k++) {
      wm_valtype t;
      if (!wat_valtype(m, &l->items[k], &t) || !wat_sig_result(s, t)) return false;
    }
  }
  return true;
}

bool wat_typeuse(wat_module *m, const sx_node *items, size_t n, size_t *i, uint32_t *typeidx,
                 wat_names *param_names, const sx_node *where) {
  bool has_type = false;
  const sx_node *type_node = NULL;
  if (*i < n && is_head(&items[*i], "type")) {
    type_node = &items[(*i)++];
    if (type_node->nitems != 2) return wat_fail(m, type_node, "unexpected token: (type x) names one type");
    if (!wat_index(m, &type_node->items[1], &m->type_names, "type", typeidx)) return false;
    has_type = true;
  }
  wat_sig s = {0};
  if (!sig_lists(m, items, n, i, &s, param_names, param_names != NULL)) {
    wat_sig_free(&s);
    return false;
  }
  if (has_type) {
    bool inline_given = s.nparams || s.nresults;
    if (*typeidx < m->ntypes) {
      if (inline_given && !sig_equal(&m->types[*typeidx].sig, &s)) {
        wat_sig_free(&s);
        return wat_fail(m, type_node, "inline function type does not match type %u", *typeidx);
      }
      if (!inline_given && param_names)
        for (uint32_t k = 0; k < m->types[*typeidx].sig.nparams; k++)
          if (!wat_names_add(param_names, NULL, 0)) return wat_fail(m, where, "out of memory");
    } else if (inline_given) {
      wat_sig_free(&s);
      return wat_fail(m, type_node, "unknown type %u", *typeidx);
    }
    wat_sig_free(&s);
    return true;
  }
  *typeidx = wat_intern_type(m, &s);
  if (*typeidx == UINT32_MAX) return wat_fail(m, where, "out of memory");
  return true;
}

/* ---- module fields ------------------------------------------------------------ */

typedef struct wat_import {
  const sx_node *module, *field;   /* strings */
  uint8_t kind;
  wat_buf desc;                    /* encoded import description */
} wat_import;

typedef struct wat_def {
  const sx_node *node;             /* the field */
  size_t at;                       /* where its payload starts in node->items */
  uint32_t type;                   /* functions: type index */
  wat_names params;                /* functions: parameter names */
  const sx_node *inline_elem;      /* tables: (elem ...) abbreviation */
  const sx_node *inline_data;      /* memories: (data ...) abbreviation */
  uint32_t seg;                    /* index of the segment the abbreviation made */
  wm_valtype reftype;
} wat_def;

typedef struct wat_export {
  const sx_node *name;
  uint8_t kind;
  uint32_t index;                  /* resolved, or ... */
  const sx_node *ref;              /* ... resolved in pass 2 when not NULL */
} wat_export;

typedef struct wat_seg {            /* elem or data segment field, or an inline one */
  const sx_node *node;
  size_t at;
  uint32_t owner;                  /* inline: the table/memory index; else UINT32_MAX */
} wat_seg;

#define VEC(T) struct { T *v; uint32_t n, cap; }
typedef struct translation {
  wat_module m;
  VEC(wat_import) imports;
  VEC(wat_def) funcs;
  VEC(wat_def) tables;
  VEC(wat_def) mems;
  VEC(wat_def) globals;
  VEC(wat_export) exports;
  VEC(wat_seg) elems;
  VEC(wat_seg) datas;
  const sx_node *start;
  bool defined_any;                /* an import after a definition is malformed */
} translation;

#define VEC_PUSH(t, vec, item)                                                           \
  ((vec).n == (vec).cap                                                                  \
       ? vec_grow((void **)&(vec).v, &(vec).cap, sizeof *(vec).v) &&                     \
             ((vec).v[(vec).n++] = (item), true)                                        \
       : ((vec).v[(vec).n++] = (item), true))

static bool vec_grow(void **v, uint32_t *cap, size_t size) {
  uint32_t c = *cap ? *cap * 2 : 8;
  void *p = realloc(*v, c * size);
  if (!p) return false;
  *v = p;
  *cap = c;
  return true;
}

static bool oom(translation *t, const sx_node *n) { return wat_fail(&t->m, n, "out of memory"); }

/* Collects (export "name") abbreviations at items[*i]. */
static bool inline_exports(translation *t, const sx_node *items, size_t n, size_t *i, uint8_t kind,
                           uint32_t index) {
  while (*i < n && is_head(&items[*i], "export")) {
    const sx_node *e = &items[(*i)++];
    if (e->nitems != 2 || e->items[1].kind != SX_STRING)
      return wat_fail(&t->m, e, "unexpected token: (export \"name\") expected");
    wat_export ex = {&e->items[1], kind, index, NULL};
    if (!VEC_PUSH(t, t->exports, ex)) return oom(t, e);
  }
  return true;
}

static bool limits(wat_module *m, const sx_node *items, size_t n, size_t *i, wat_buf *b, const sx_node *where) {
  uint32_t min, max;
  if (*i >= n || items[*i].kind != SX_ATOM || !wat_parse_i32(items[*i].text, items[*i].len, &min) ||
      items[*i].text[0] == '-' || items[*i].text[0] == '+')
    return wat_fail(m, *i < n ? &items[*i] : where, "unexpected token: expected limits (a u32 minimum)");
  (*i)++;
  bool has_max = *i < n && items[*i].kind == SX_ATOM && items[*i].len && items[*i].text[0] >= '0' &&
                 items[*i].text[0] <= '9';
  if (has_max) {
    if (!wat_parse_i32(items[*i].text, items[*i].len, &max))
      return wat_fail(m, &items[*i], "constant out of range: limits maximum must fit in 32 bits");
    (*i)++;
  }
  wat_buf_byte(b, has_max ? 1 : 0);
  wat_buf_uleb(b, min);
  if (has_max) wat_buf_uleb(b, max);
  return true;
}

static bool globaltype(wat_module *m, const sx_node *items, size_t n, size_t *i, wat_buf *b, const sx_node *where) {
  if (*i >= n) return wat_fail(m, where, "unexpected end: expected a global type");
  const sx_node *g = &items[(*i)++];
  wm_valtype vt;
  if (is_head(g, "mut")) {
    if (g->nitems != 2 || !wat_valtype(m, &g->items[1], &vt)) return wat_fail(m, g, "unexpected token: (mut valtype) expected");
    wat_emit_valtype(b, vt);
    wat_buf_byte(b, 1);
    return true;
  }
  if (!wat_valtype(m, g, &vt)) return false;
  wat_emit_valtype(b, vt);
  wat_buf_byte(b, 0);
  return true;
}

/* Registers an identifier in a space (duplicates are malformed). */
static bool define_name(translation *t, wat_names *ns, const sx_node *id, const char *what, const sx_node *where) {
  if (!wat_names_add(ns, id ? id->text : NULL, id ? id->len : 0))
    return id ? wat_fail(&t->m, id, "duplicate %s %.*s", what, (int)id->len, id->text) : oom(t, where);
  return true;
}

static wat_names *space_names(wat_module *m, uint8_t kind) {
  switch (kind) {
  case WASM_EXTERN_FUNC: return &m->func_names;
  case WASM_EXTERN_TABLE: return &m->table_names;
  case WASM_EXTERN_MEMORY: return &m->mem_names;
  default: return &m->global_names;
  }
}

static bool add_func_type(translation *t, uint32_t type, const sx_node *where) {
  wat_module *m = &t->m;
  if (m->nfuncs == m->cap_funcs) {
    if (!vec_grow((void **)&m->func_types, &m->cap_funcs, sizeof *m->func_types)) return oom(t, where);
  }
  m->func_types[m->nfuncs++] = type;
  return true;
}

/* An import: from (import "m" "n" desc) or an inline (import "m" "n") on a
 * func/table/memory/global field whose description follows at items[i]. */
static bool add_import(translation *t, const sx_node *modname, const sx_node *fieldname, uint8_t kind,
                       const sx_node *id, const sx_node *items, size_t n, size_t i, const sx_node *where) {
  wat_module *m = &t->m;
  if (t->defined_any) {
    static const char *const kinds[] = {"function", "table", "memory", "global"};
    return wat_fail(m, where, "import after %s definition: imports must come first", kinds[kind]);
  }
  if (modname->kind != SX_STRING || fieldname->kind != SX_STRING)
    return wat_fail(m, where, "unexpected token: import names must be strings");
  static const char *const what[] = {"function", "table", "memory", "global"};
  if (!define_name(t, space_names(m, kind), id, what[kind], where)) return false;
  wat_import im = {modname, fieldname, kind, {0}};
  bool ok = true;
  switch (kind) {
  case WASM_EXTERN_FUNC: {
    uint32_t type;
    ok = wat_typeuse(m, items, n, &i, &type, NULL, where) && add_func_type(t, type, where);
    if (ok) wat_buf_uleb(&im.desc, type);
    /* parameter names in an import are allowed but unused */
    break;
  }
  case WASM_EXTERN_TABLE: {
    wat_buf lim = {0};
    wm_valtype rt;
    ok = limits(m, items, n, &i, &lim, where) && i < n && wat_reftype(m, &items[i++], &rt);
    if (ok) {
      wat_emit_valtype(&im.desc, rt);
      wat_buf_bytes(&im.desc, lim.p, lim.len);
    } else if (!m->err->kind) {
      wat_fail(m, where, "unexpected token: table import needs limits and a reference type");
    }
    wat_buf_free(&lim);
    break;
  }
  case WASM_EXTERN_MEMORY: ok = limits(m, items, n, &i, &im.desc, where); break;
  default: ok = globaltype(m, items, n, &i, &im.desc, where); break;
  }
  if (ok && i != n) ok = wat_fail(m, &items[i], "unexpected token in import description");
  if (ok && !VEC_PUSH(t, t->imports, im)) ok = oom(t, where);
  if (!ok) wat_buf_free(&im.desc);
  return ok;
}

/* (import "m" "n" (func|table|memory|global $id? ...)) */
static bool field_import(translation *t, const sx_node *f) {
  if (f->nitems != 4 || f->items[3].kind != SX_LIST || f->items[3].nitems == 0)
    return wat_fail(&t->m, f, "unexpected token: (import \"module\" \"name\" (desc)) expected");
  const sx_node *desc = &f->items[3];
  static const char *const kinds[] = {"func", "table", "memory", "global"};
  for (uint8_t k = 0; k < 4; k++) {
    if (!sx_is_atom(&desc->items[0], kinds[k])) continue;
    size_t i = 1;
    const sx_node *id = opt_id(desc->items, desc->nitems, &i);
    return add_import(t, &f->items[1], &f->items[2], k, id, desc->items, desc->nitems, i, desc);
  }
  return wat_fail(&t->m, desc, "unexpected token: expected func, table, memory or global");
}

/* Shared start of func/table/memory/global fields: $id? (export ..)* (import ..)? */
static bool field_prefix(translation *t, const sx_node *f, uint8_t kind, size_t *i, const sx_node **id,
                         const sx_node **import) {
  *i = 1;
  *id = opt_id(f->items, f->nitems, i);
  wat_names *ns = space_names(&t->m, kind);
  uint32_t index = ns->n; /* the index this field will get */
  if (!inline_exports(t, f->items, f->nitems, i, kind, index)) return false;
  *import = NULL;
  if (*i < f->nitems && is_head(&f->items[*i], "import")) {
    *import = &f->items[(*i)++];
    if ((*import)->nitems != 3) return wat_fail(&t->m, *import, "unexpected token: (import \"m\" \"n\") expected");
  }
  return true;
}

static bool field_func(translation *t, const sx_node *f) {
  wat_module *m = &t->m;
  size_t i;
  const sx_node *id, *import;
  if (!field_prefix(t, f, WASM_EXTERN_FUNC, &i, &id, &import)) return false;
  if (import)
    return add_import(t, &import->items[1], &import->items[2], WASM_EXTERN_FUNC, id, f->items, f->nitems, i, f);
  t->defined_any = true;
  if (!define_name(t, &m->func_names, id, "function", f)) return false;
  wat_def d = {.node = f};
  if (!wat_typeuse(m, f->items, f->nitems, &i, &d.type, &d.params, f) || !add_func_type(t, d.type, f)) {
    wat_names_free(&d.params);
    return false;
  }
  d.at = i;
  if (!VEC_PUSH(t, t->funcs, d)) {
    wat_names_free(&d.params);
    return oom(t, f);
  }
  return true;
}

static bool add_segment(translation *t, bool elem, const sx_node *node, size_t at, uint32_t owner,
                        const sx_node *id) {
  wat_names *ns = elem ? &t->m.elem_names : &t->m.data_names;
  if (!define_name(t, ns, id, elem ? "elem segment" : "data segment", node)) return false;
  wat_seg s = {node, at, owner};
  if (elem ? !VEC_PUSH(t, t->elems, s) : !VEC_PUSH(t, t->datas, s)) return oom(t, node);
  return true;
}

static bool field_table(translation *t, const sx_node *f) {
  wat_module *m = &t->m;
  size_t i;
  const sx_node *id, *import;
  if (!field_prefix(t, f, WASM_EXTERN_TABLE, &i, &id, &import)) return false;
  if (import)
    return add_import(t, &import->items[1], &import->items[2], WASM_EXTERN_TABLE, id, f->items, f->nitems, i, f);
  t->defined_any = true;
  uint32_t index = m->table_names.n;
  if (!define_name(t, &m->table_names, id, "table", f)) return false;
  wat_def d = {.node = f, .at = i};
  /* reftype (elem ...) abbreviation */
  if (i + 2 == f->nitems && is_head(&f->items[i + 1], "elem")) {
    if (!wat_reftype(m, &f->items[i], &d.reftype)) return false;
    d.inline_elem = &f->items[i + 1];
    d.seg = t->elems.n;
    if (!add_segment(t, true, d.inline_elem, 1, index, NULL)) return false;
  }
  if (!VEC_PUSH(t, t->tables, d)) return oom(t, f);
  return true;
}

static bool field_memory(translation *t, const sx_node *f) {
  wat_module *m = &t->m;
  size_t i;
  const sx_node *id, *import;
  if (!field_prefix(t, f, WASM_EXTERN_MEMORY, &i, &id, &import)) return false;
  if (import)
    return add_import(t, &import->items[1], &import->items[2], WASM_EXTERN_MEMORY, id, f->items, f->nitems, i, f);
  t->defined_any = true;
  uint32_t index = m->mem_names.n;
  if (!define_name(t, &m->mem_names, id, "memory", f)) return false;
  wat_def d = {.node = f, .at = i};
  if (i + 1 == f->nitems && is_head(&f->items[i], "data")) {
    d.inline_data = &f->items[i];
    d.seg = t->datas.n;
    if (!add_segment(t, false, d.inline_data, 1, index, NULL)) return false;
  }
  if (!VEC_PUSH(t, t->mems, d)) return oom(t, f);
  return true;
}

static bool field_global(translation *t, const sx_node *f) {
  wat_module *m = &t->m;
  size_t i;
  const sx_node *id, *import;
  if (!field_prefix(t, f, WASM_EXTERN_GLOBAL, &i, &id, &import)) return false;
  if (import)
    return add_import(t, &import->items[1], &import->items[2], WASM_EXTERN_GLOBAL, id, f->items, f->nitems, i, f);
  t->defined_any = true;
  if (!define_name(t, &m->global_names, id, "global", f)) return false;
  wat_def d = {.node = f, .at = i};
  if (!VEC_PUSH(t, t->globals, d)) return oom(t, f);
  return true;
}

static bool field_export(translation *t, const sx_node *f) {
  static const char *const kinds[] = {"func", "table", "memory", "global"};
  if (f->nitems != 3 || f->items[1].kind != SX_STRING || f->items[2].kind != SX_LIST || f->items[2].nitems != 2)
    return wat_fail(&t->m, f, "unexpected token: (export \"name\" (kind index)) expected");
  const sx_node *desc = &f->items[2];
  for (uint8_t k = 0; k < 4; k++)
    if (sx_is_atom(&desc->items[0], kinds[k])) {
      wat_export ex = {&f->items[1], k, 0, &desc->items[1]};
      if (!VEC_PUSH(t, t->exports, ex)) return oom(t, f);
      return true;
    }
  return wat_fail(&t->m, desc, "unexpected token: expected func, table, memory or global");
}

static bool field_type(translation *t, const sx_node *f) {
  wat_module *m = &t->m;
  size_t i = 1;
  const sx_node *id = opt_id(f->items, f->nitems, &i);
  if (i + 1 != f->nitems || !is_head(&f->items[i], "func"))
    return wat_fail(m, f, "unexpected token: (type $id? (func ...)) expected");
  const sx_node *fn = &f->items[i];
  size_t k = 1;
  wat_sig s = {0};
  wat_names ignored = {0};
  bool ok = sig_lists(m, fn->items, fn->nitems, &k, &s, &ignored, true);
  wat_names_free(&ignored);
  if (ok && k != fn->nitems) ok = wat_fail(m, &fn->items[k], "unexpected token in function type");
  if (!ok) {
    wat_sig_free(&s);
    return false;
  }
  if (!define_name(t, &m->type_names, id, "type", f)) {
    wat_sig_free(&s);
    return false;
  }
  if (add_type(m, &s) == UINT32_MAX) return oom(t, f);
  return true;
}

static bool first_pass(translation *t, const sx_node *fields, size_t n, size_t from) {
  wat_module *m = &t->m;
  for (size_t i = from; i < n; i++) /* explicit types first: implicit ones go after them */
    if (is_head(&fields[i], "type") && !field_type(t, &fields[i])) return false;
  for (size_t i = from; i < n; i++) {
    const sx_node *f = &fields[i];
    if (f->kind != SX_LIST || f->nitems == 0 || f->items[0].kind != SX_ATOM)
      return wat_fail(m, f, "unexpected token: expected a module field");
    const sx_node *h = &f->items[0];
    bool ok;
    if (sx_is_atom(h, "type")) ok = true;
    else if (sx_is_atom(h, "import")) ok = field_import(t, f);
    else if (sx_is_atom(h, "func")) ok = field_func(t, f);
    else if (sx_is_atom(h, "table")) ok = field_table(t, f);
    else if (sx_is_atom(h, "memory")) ok = field_memory(t, f);
    else if (sx_is_atom(h, "global")) ok = field_global(t, f);
    else if (sx_is_atom(h, "export")) ok = field_export(t, f);
    else if (sx_is_atom(h, "start")) {
      if (t->start) return wat_fail(m, f, "multiple start sections");
      if (f->nitems != 2) return wat_fail(m, f, "unexpected token: (start funcidx) expected");
      t->start = &f->items[1];
      ok = true;
    } else if (sx_is_atom(h, "elem") || sx_is_atom(h, "data")) {
      size_t k = 1;
      const sx_node *id = opt_id(f->items, f->nitems, &k);
      ok = add_segment(t, sx_is_atom(h, "elem"), f, k, UINT32_MAX, id);
    } else {
      ok = wat_fail(m, h, "unknown module field %.*s", (int)h->len, h->text);
    }
    if (!ok) return false;
  }
  return true;
}

/* ---- pass 2: sections ------------------------------------------------------------ */

static void section(wat_buf *out, uint8_t id, const wat_buf *body) {
  wat_buf_byte(out, id);
  wat_buf_uleb(out, body->len);
  wat_buf_bytes(out, body->p, body->len);
}

/* Import and export names must be UTF-8; say so at the string, in the text. */
static bool check_name(wat_module *m, const sx_node *s) {
  if (decode_utf8_valid((const uint8_t *)s->text, s->len)) return true;
  return wat_fail(m, s, "malformed UTF-8 encoding in name");
}

static void emit_name(wat_buf *b, const sx_node *s) {
  wat_buf_uleb(b, s->len);
  wat_buf_bytes(b, s->text, s->len);
}

/* (offset instr*) or a single folded instruction, emitted as a constant expression. */
static bool offset_expr(translation *t, const sx_node *items, size_t n, size_t *i, wat_buf *b, const sx_node *where) {
  if (*i >= n || items[*i].kind != SX_LIST) return wat_fail(&t->m, where, "unexpected token: expected an offset expression");
  const sx_node *o = &items[(*i)++];
  if (is_head(o, "offset")) return wat_const_expr(&t->m, o->items, o->nitems, 1, b);
  return wat_const_expr(&t->m, o, 1, 0, b);
}

/* Element list: `func idx*`, `reftype elemexpr*`, or (legacy) bare `idx*`. */
static bool elem_list(translation *t, const sx_node *items, size_t n, size_t i, bool *exprs, wm_valtype *type,
                      wat_buf *list, uint32_t *count, const sx_node *where) {
  wat_module *m = &t->m;
  *count = 0;
  *exprs = false;
  if (i < n && sx_is_atom(&items[i], "func")) {
    i++;
  } else if (i < n && (items[i].kind == SX_ATOM || is_head(&items[i], "ref")) && !wat_is_index(&items[i])) {
    if (!wat_reftype(m, &items[i++], type)) return false;
    *exprs = true;
  } else if (i < n && items[i].kind == SX_LIST) { /* inline table elements given as expressions */
    *exprs = true;
  }
  if (!*exprs) {
    for (; i < n; i++) {
      uint32_t f;
      if (!wat_is_index(&items[i])) return wat_fail(m, &items[i], "unexpected token: expected a function index");
      if (!wat_index(m, &items[i], &m->func_names, "function", &f)) return false;
      wat_buf_uleb(list, f);
      (*count)++;
    }
    return true;
  }
  for (; i < n; i++) {
    const sx_node *e = &items[i];
    if (e->kind != SX_LIST) return wat_fail(m, e, "unexpected token: expected an element expression");
    bool ok = is_head(e, "item") ? wat_const_expr(m, e->items, e->nitems, 1, list) : wat_const_expr(m, e, 1, 0, list);
    if (!ok) return false;
    (*count)++;
  }
  (void)where;
  return true;
}

static bool emit_elem(translation *t, const wat_seg *s, wat_buf *b) {
  wat_module *m = &t->m;
  const sx_node *f = s->node;
  const sx_node *items = f->items;
  size_t n = f->nitems, i = s->at;
  wat_buf offset = {0}, list = {0};
  uint32_t table = 0, count;
  bool exprs, explicit_table = false, ok = true;
  wm_valtype type = WASM_FUNCREF;
  int mode; /* 0 active, 1 passive, 2 declarative */
  if (s->owner != UINT32_MAX) { /* (table ... (elem ...)) */
    mode = 0;
    table = s->owner;
    type = t->tables.v[table - t->m.table_names.n + t->tables.n].reftype;
    explicit_table = table != 0;
    wat_buf_bytes(&offset, "\x41\x00\x0b", 3);
  } else if (i < n && sx_is_atom(&items[i], "declare")) {
    mode = 2;
    i++;
  } else if (i < n && (is_head(&items[i], "table") || is_head(&items[i], "offset") ||
                       (items[i].kind == SX_LIST && !is_head(&items[i], "item")))) {
    mode = 0;
    if (is_head(&items[i], "table")) {
      if (items[i].nitems != 2) return wat_fail(m, &items[i], "unexpected token: (table x) expected");
      if (!wat_index(m, &items[i].items[1], &m->table_names, "table", &table)) return false;
      explicit_table = true;
      i++;
    }
    ok = offset_expr(t, items, n, &i, &offset, f);
  } else {
    mode = 1;
  }
  if (ok) ok = elem_list(t, items, n, i, &exprs, &type, &list, &count, f);
  if (ok) {
    bool funcref = type == WASM_FUNCREF;
    uint32_t flags = (exprs ? 4u : 0u) | (mode == 1 ? 1u : mode == 2 ? 3u : 0u);
    if (mode == 0 && (explicit_table || (exprs && !funcref))) flags |= 2;
    wat_buf_uleb(b, flags);
    if (mode == 0 && (flags & 2)) wat_buf_uleb(b, table);
    if (mode == 0) wat_buf_bytes(b, offset.p, offset.len);
    if (flags & 3) {
      if (exprs) wat_emit_valtype(b, type);
      else wat_buf_byte(b, 0x00);
    }
    wat_buf_uleb(b, count);
    wat_buf_bytes(b, list.p, list.len);
  }
  wat_buf_free(&offset);
  wat_buf_free(&list);
  return ok;
}

static bool data_strings(translation *t, const sx_node *items, size_t n, size_t i, wat_buf *out) {
  wat_buf bytes = {0};
  for (; i < n; i++) {
    if (items[i].kind != SX_STRING) {
      wat_buf_free(&bytes);
      return wat_fail(&t->m, &items[i], "unexpected token: expected a data string");
    }
    wat_buf_bytes(&bytes, items[i].text, items[i].len);
  }
  wat_buf_uleb(out, bytes.len);
  wat_buf_bytes(out, bytes.p, bytes.len);
  wat_buf_free(&bytes);
  return true;
}

static bool emit_data(translation *t, const wat_seg *s, wat_buf *b) {
  wat_module *m = &t->m;
  const sx_node *items = s->node->items;
  size_t n = s->node->nitems, i = s->at;
  if (s->owner != UINT32_MAX) {
    if (s->owner == 0) wat_buf_byte(b, 0);
    else { wat_buf_byte(b, 2); wat_buf_uleb(b, s->owner); }
    wat_buf_bytes(b, "\x41\x00\x0b", 3);
    return data_strings(t, items, n, i, b);
  }
  uint32_t mem = 0;
  bool explicit_mem = false;
  if (i < n && is_head(&items[i], "memory")) {
    if (items[i].nitems != 2) return wat_fail(m, &items[i], "unexpected token: (memory x) expected");
    if (!wat_index(m, &items[i].items[1], &m->mem_names, "memory", &mem)) return false;
    explicit_mem = true;
    i++;
  }
  if (i < n && items[i].kind == SX_LIST) {
    wat_buf off = {0};
    if (explicit_mem && mem != 0) { wat_buf_byte(b, 2); wat_buf_uleb(b, mem); }
    else wat_buf_byte(b, 0);
    bool ok = offset_expr(t, items, n, &i, &off, s->node);
    wat_buf_bytes(b, off.p, off.len);
    wat_buf_free(&off);
    return ok && data_strings(t, items, n, i, b);
  }
  if (explicit_mem) return wat_fail(m, s->node, "unexpected token: an active data segment needs an offset");
  wat_buf_byte(b, 1);
  return data_strings(t, items, n, i, b);
}

/* (local $x t) | (local t*) then the body. */
static bool emit_func_body(translation *t, wat_def *d, wat_buf *code) {
  wat_module *m = &t->m;
  const sx_node *items = d->node->items;
  size_t n = d->node->nitems, i = d->at;
  wat_func_ctx fc = {.mod = m, .locals = d->params};
  memset(&d->params, 0, sizeof d->params); /* moved into fc */
  wat_buf body = {0};
  /* local declarations, run-length encoded */
  wm_valtype *lt = NULL;
  uint32_t nl = 0, capl = 0;
  bool ok = true;
  while (ok && i < n && is_head(&items[i], "local")) {
    const sx_node *l = &items[i++];
    if (l->nitems >= 2 && l->items[1].kind == SX_ID) {
      wm_valtype vt;
      if (l->nitems != 3) { ok = wat_fail(m, l, "unexpected token: (local $id type) names one local"); break; }
      ok = wat_valtype(m, &l->items[2], &vt) && sig_push(&lt, &nl, &capl, vt);
      if (ok && !wat_names_add(&fc.locals, l->items[1].text, l->items[1].len))
        ok = wat_fail(m, &l->items[1], "duplicate local %.*s", (int)l->items[1].len, l->items[1].text);
      continue;
    }
    for (size_t k = 1; ok && k < l->nitems; k++) {
      wm_valtype vt;
      ok = wat_valtype(m, &l->items[k], &vt) && sig_push(&lt, &nl, &capl, vt) && wat_names_add(&fc.locals, NULL, 0);
    }
  }
  if (ok) {
    uint32_t groups = 0;
    for (uint32_t k = 0; k < nl; k++)
      if (k == 0 || lt[k] != lt[k - 1]) groups++;
    wat_buf_uleb(&body, groups);
    for (uint32_t k = 0; k < nl;) {
      uint32_t run = 1;
      while (k + run < nl && lt[k + run] == lt[k]) run++;
      wat_buf_uleb(&body, run);
      wat_emit_valtype(&body, lt[k]);
      k += run;
    }
    ok = wat_instrs(&fc, items, n, i, &body);
    wat_buf_byte(&body, 0x0B);
  }
  if (ok) {
    wat_buf_uleb(code, body.len);
    wat_buf_bytes(code, body.p, body.len);
  }
  if (fc.uses_data) m->uses_data = true;
  free(lt);
  wat_buf_free(&body);
  wat_names_free(&fc.locals);
  free(fc.labels);
  free(fc.label_lens);
  return ok;
}

static bool emit_module(translation *t, wat_buf *out) {
  wat_module *m = &t->m;
  wat_buf sec = {0}, code = {0};
  bool ok = true;
  /* Code first: bodies may add implicit types (blocks, call_indirect). */
  wat_buf_uleb(&code, t->funcs.n);
  for (uint32_t i = 0; ok && i < t->funcs.n; i++) ok = emit_func_body(t, &t->funcs.v[i], &code);
  wat_buf globals = {0}, elems = {0}, datas = {0};
  wat_buf_uleb(&globals, t->globals.n);
  for (uint32_t i = 0; ok && i < t->globals.n; i++) {
    wat_def *g = &t->globals.v[i];
    size_t k = g->at;
    ok = globaltype(m, g->node->items, g->node->nitems, &k, &globals, g->node) &&
         wat_const_expr(m, g->node->items, g->node->nitems, k, &globals);
  }
  wat_buf_uleb(&elems, t->elems.n);
  for (uint32_t i = 0; ok && i < t->elems.n; i++) ok = emit_elem(t, &t->elems.v[i], &elems);
  wat_buf_uleb(&datas, t->datas.n);
  for (uint32_t i = 0; ok && i < t->datas.n; i++) ok = emit_data(t, &t->datas.v[i], &datas);

  wat_buf_bytes(out, "\0asm\1\0\0\0", 8);
  if (ok && m->ntypes) {
    wat_buf_uleb(&sec, m->ntypes);
    for (uint32_t i = 0; i < m->ntypes; i++) {
      const wat_sig *s = &m->types[i].sig;
      wat_buf_byte(&sec, 0x60);
      wat_buf_uleb(&sec, s->nparams);
      for (uint32_t k = 0; k < s->nparams; k++) wat_emit_valtype(&sec, s->params[k]);
      wat_buf_uleb(&sec, s->nresults);
      for (uint32_t k = 0; k < s->nresults; k++) wat_emit_valtype(&sec, s->results[k]);
    }
    section(out, 1, &sec);
  }
  if (ok && t->imports.n) {
    sec.len = 0;
    wat_buf_uleb(&sec, t->imports.n);
    for (uint32_t i = 0; i < t->imports.n; i++) {
      wat_import *im = &t->imports.v[i];
      if (!check_name(m, im->module) || !check_name(m, im->field)) {
        ok = false;
        break;
      }
      emit_name(&sec, im->module);
      emit_name(&sec, im->field);
      wat_buf_byte(&sec, im->kind);
      wat_buf_bytes(&sec, im->desc.p, im->desc.len);
    }
    if (ok) section(out, 2, &sec);
  }
  if (ok && t->funcs.n) {
    sec.len = 0;
    wat_buf_uleb(&sec, t->funcs.n);
    for (uint32_t i = 0; i < t->funcs.n; i++) wat_buf_uleb(&sec, t->funcs.v[i].type);
    section(out, 3, &sec);
  }
  if (ok && t->tables.n) {
    sec.len = 0;
    wat_buf_uleb(&sec, t->tables.n);
    for (uint32_t i = 0; ok && i < t->tables.n; i++) {
      wat_def *d = &t->tables.v[i];
      if (d->inline_elem) {
        uint32_t count = 0;
        const sx_node *e = d->inline_elem;
        count = (uint32_t)(e->nitems - 1);
        wat_emit_valtype(&sec, d->reftype);
        wat_buf_byte(&sec, 1);
        wat_buf_uleb(&sec, count);
        wat_buf_uleb(&sec, count);
        continue;
      }
      size_t k = d->at;
      const sx_node *items = d->node->items;
      wat_buf lim = {0};
      wm_valtype rt = 0;
      ok = limits(m, items, d->node->nitems, &k, &lim, d->node);
      if (ok && k < d->node->nitems) ok = wat_reftype(m, &items[k++], &rt);
      else if (ok) ok = wat_fail(m, d->node, "unexpected token: a table needs a reference type");
      if (ok && k != d->node->nitems) ok = wat_fail(m, &items[k], "unexpected token in table");
      wat_emit_valtype(&sec, rt);
      wat_buf_bytes(&sec, lim.p, lim.len);
      wat_buf_free(&lim);
    }
    if (ok) section(out, 4, &sec);
  }
  if (ok && t->mems.n) {
    sec.len = 0;
    wat_buf_uleb(&sec, t->mems.n);
    for (uint32_t i = 0; ok && i < t->mems.n; i++) {
      wat_def *d = &t->mems.v[i];
      if (d->inline_data) {
        size_t bytes = 0;
        for (size_t k = 1; k < d->inline_data->nitems; k++) bytes += d->inline_data->items[k].len;
        uint64_t pages = (bytes + 65535) / 65536;
        wat_buf_byte(&sec, 1);
        wat_buf_uleb(&sec, pages);
        wat_buf_uleb(&sec, pages);
        continue;
      }
      size_t k = d->at;
      ok = limits(m, d->node->items, d->node->nitems, &k, &sec, d->node);
      if (ok && k != d->node->nitems) ok = wat_fail(m, &d->node->items[k], "unexpected token in memory");
    }
    if (ok) section(out, 5, &sec);
  }
  if (ok && t->globals.n) section(out, 6, &globals);
  if (ok && t->exports.n) {
    sec.len = 0;
    wat_buf_uleb(&sec, t->exports.n);
    for (uint32_t i = 0; ok && i < t->exports.n; i++) {
      wat_export *e = &t->exports.v[i];
      static const char *const what[] = {"function", "table", "memory", "global"};
      if (e->ref) ok = wat_index(m, e->ref, space_names(m, e->kind), what[e->kind], &e->index);
      if (ok) ok = check_name(m, e->name);
      emit_name(&sec, e->name);
      wat_buf_byte(&sec, e->kind);
      wat_buf_uleb(&sec, e->index);
    }
    if (ok) section(out, 7, &sec);
  }
  if (ok && t->start) {
    uint32_t f;
    sec.len = 0;
    ok = wat_index(m, t->start, &m->func_names, "function", &f);
    wat_buf_uleb(&sec, f);
    if (ok) section(out, 8, &sec);
  }
  if (ok && t->elems.n) section(out, 9, &elems);
  if (ok && m->uses_data) {
    sec.len = 0;
    wat_buf_uleb(&sec, t->datas.n);
    section(out, 12, &sec);
  }
  if (ok && t->funcs.n) section(out, 10, &code);
  if (ok && t->datas.n) section(out, 11, &datas);
  if (ok) { /* a "name" section with the function identifiers, for backtraces */
    uint32_t named = 0;
    for (uint32_t i = 0; i < m->func_names.n; i++) named += m->func_names.name[i] != NULL;
    if (named) {
      wat_buf names = {0};
      wat_buf_uleb(&names, named);
      for (uint32_t i = 0; i < m->func_names.n; i++) {
        if (!m->func_names.name[i]) continue;
        wat_buf_uleb(&names, i);
        wat_buf_uleb(&names, m->func_names.len[i] - 1); /* without the '$' */
        wat_buf_bytes(&names, m->func_names.name[i] + 1, m->func_names.len[i] - 1);
      }
      sec.len = 0;
      wat_buf_byte(&sec, 4);
      wat_buf_bytes(&sec, "name", 4);
      wat_buf_byte(&sec, 1);
      wat_buf_uleb(&sec, names.len);
      wat_buf_bytes(&sec, names.p, names.len);
      section(out, 0, &sec);
      if (names.oom) out->oom = true;
      wat_buf_free(&names);
    }
  }
  bool oomed = sec.oom || code.oom || globals.oom || elems.oom || datas.oom || out->oom;
  wat_buf_free(&sec);
  wat_buf_free(&code);
  wat_buf_free(&globals);
  wat_buf_free(&elems);
  wat_buf_free(&datas);
  if (ok && oomed) ok = wat_fail(m, NULL, "out of memory");
  return ok;
}

static void translation_free(translation *t) {
  wat_module *m = &t->m;
  for (uint32_t i = 0; i < m->ntypes; i++) wat_sig_free(&m->types[i].sig);
  free(m->types);
  wat_names_free(&m->type_names);
  wat_names_free(&m->func_names);
  wat_names_free(&m->table_names);
  wat_names_free(&m->mem_names);
  wat_names_free(&m->global_names);
  wat_names_free(&m->elem_names);
  wat_names_free(&m->data_names);
  free(m->func_types);
  for (uint32_t i = 0; i < t->imports.n; i++) wat_buf_free(&t->imports.v[i].desc);
  free(t->imports.v);
  for (uint32_t i = 0; i < t->funcs.n; i++) wat_names_free(&t->funcs.v[i].params);
  free(t->funcs.v);
  free(t->tables.v);
  free(t->mems.v);
  free(t->globals.v);
  free(t->exports.v);
  free(t->elems.v);
  free(t->datas.v);
}

/* Translates module fields fields[from..n). */
static bool translate_fields(const sx_node *fields, size_t n, size_t from, uint8_t **out, size_t *out_len,
                             rt_error *err) {
  translation t;
  memset(&t, 0, sizeof t);
  t.m.err = err;
  wat_buf bin = {0};
  bool ok = first_pass(&t, fields, n, from) && emit_module(&t, &bin);
  translation_free(&t);
  if (!ok) {
    wat_buf_free(&bin);
    return false;
  }
  *out = bin.p;
  *out_len = bin.len;
  return true;
}

static bool concat_strings(const sx_node *items, size_t n, size_t from, wat_buf *b, rt_error *err) {
  for (size_t i = from; i < n; i++) {
    if (items[i].kind != SX_STRING)
      return rt_error_at_line(err, WRUN_ERR_MALFORMED, items[i].line, items[i].col,
                                "unexpected token: expected a string");
    wat_buf_bytes(b, items[i].text, items[i].len);
  }
  if (b->oom) return rt_error_at_line(err, WRUN_ERR_MALFORMED, 0, 0, "out of memory");
  return true;
}

static bool translate_doc(const sx_node *root, uint8_t **out, size_t *out_len, rt_error *err);

/* A parsed document that is one (module ...) or a bare list of fields. */
static bool translate_doc(const sx_node *root, uint8_t **out, size_t *out_len, rt_error *err) {
  if (root->nitems == 1 && is_head(&root->items[0], "module"))
    return wat_module_to_binary(&root->items[0], out, out_len, err);
  return translate_fields(root->items, root->nitems, 0, out, out_len, err);
}

bool wat_module_to_binary(const sx_node *module, uint8_t **out, size_t *out_len, rt_error *err) {
  const sx_node *items = module->items;
  size_t n = module->nitems, i = 1;
  if (i < n && items[i].kind == SX_ID) i++;
  if (i < n && sx_is_atom(&items[i], "binary")) {
    wat_buf b = {0};
    if (!concat_strings(items, n, i + 1, &b, err)) {
      wat_buf_free(&b);
      return false;
    }
    *out = b.p ? b.p : malloc(1);
    *out_len = b.len;
    return *out != NULL;
  }
  if (i < n && sx_is_atom(&items[i], "quote")) {
    wat_buf b = {0};
    if (!concat_strings(items, n, i + 1, &b, err)) {
      wat_buf_free(&b);
      return false;
    }
    sx_doc doc;
    bool ok = sx_parse(b.p ? (const char *)b.p : "", b.len, &doc, err);
    if (ok) {
      ok = translate_doc(&doc.root, out, out_len, err);
      sx_doc_free(&doc);
    }
    wat_buf_free(&b);
    return ok;
  }
  return translate_fields(items, n, i, out, out_len, err);
}

bool wat_parse_to_binary(const char *src, size_t len, uint8_t **out, size_t *out_len, rt_error *err) {
  sx_doc doc;
  if (!sx_parse(src, len, &doc, err)) return false;
  bool ok = translate_doc(&doc.root, out, out_len, err);
  sx_doc_free(&doc);
  return ok;
}
