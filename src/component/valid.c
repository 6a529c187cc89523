/*
 * valid.c — the component validation rules applied while definitions are
 * decoded: index spaces per sort (bounds), import/export names (grammar,
 * semver, strong uniqueness, [constructor]/[method]/[static] annotations),
 * aliases (export, core export, outer), core and component instantiation
 * (arguments matched to imports by name and sort) and canonical functions
 * (the core function type must equal the canonical ABI's flattening; the
 * memory and realloc options are required where values need them).
 */
#include <ctype.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/grow.h"
#include "component/component_internal.h"
#include "component/subtype.h"

static const char *const sort_names[WC_NSORTS] = {
  "core func", "core table", "core memory", "core global", "core tag", "core type", "core module",
  "core instance", "func", "value", "type", "component", "instance",
};

const char *wc_sort_name(wc_sort s) { return (unsigned)s < WC_NSORTS ? sort_names[s] : "?"; }

/* ---- errors ------------------------------------------------------------- */

static bool report(wc_loader *L, rt_error_kind kind, uint64_t at, const char *fmt, va_list ap) {
  char msg[sizeof L->err->message];
  vsnprintf(msg, sizeof msg, fmt, ap);
  return rt_error_at(L->err, kind, at, "%s", msg);
}
#define REPORTER(fn, kind)                                             \
  bool fn(wc_loader *L, uint64_t at, const char *fmt, ...) {           \
    va_list ap;                                                        \
    va_start(ap, fmt);                                                 \
    report(L, kind, at, fmt, ap);                                      \
    va_end(ap);                                                        \
    return false;                                                      \
  }
REPORTER(wc_malformed, WRUN_ERR_MALFORMED)
REPORTER(wc_invalid, WRUN_ERR_INVALID)
REPORTER(wc_limit, WRUN_ERR_LIMIT)

bool wc_oom(wc_loader *L, uint64_t at) { return rt_error_at(L->err, WRUN_ERR_OOM, at, "out of memory"); }

/* ---- scopes ------------------------------------------------------------- */

void wc_scope_init(wc_scope *s, wc_scope *outer, bool is_type, bool is_instance_type) {
  memset(s, 0, sizeof *s);
  s->outer = outer;
  s->is_type = is_type;
  s->is_instance_type = is_instance_type;
}

void wc_scope_release(wc_scope *s) {
  for (int i = 0; i < WC_NSORTS; i++) free(s->spaces[i]);
  free(s->imports);
  free(s->exports);
  free(s->import_keys);
  free(s->export_keys);
  memset(s, 0, sizeof *s);
}

bool wc_scope_push(wc_loader *L, wc_scope *s, wc_sort sort, uint32_t type, uint64_t at, uint32_t *index) {
  if (s->n[sort] >= WC_MAX_ITEMS)
    return wc_limit(L, at, "too many %s definitions: at most %u", sort_names[sort], WC_MAX_ITEMS);
  if (!rt_grow((void **)&s->spaces[sort], &s->cap[sort], s->n[sort] + 1, sizeof(uint32_t))) return wc_oom(L, at);
  s->spaces[sort][s->n[sort]] = type;
  *index = s->n[sort]++;
  return true;
}

bool wc_scope_get(wc_loader *L, wc_scope *s, wc_sort sort, uint32_t idx, uint64_t at, uint32_t *type) {
  *type = 0;
  if (idx >= s->n[sort])
    return wc_invalid(L, at, "unknown %s %u: %u defined", sort_names[sort], idx, s->n[sort]);
  *type = s->spaces[sort][idx];
  return true;
}

const wc_extern *wc_find_extern(const wc_extern *v, uint32_t n, wc_str name) {
  for (uint32_t i = 0; i < n; i++)
    if (wc_str_eq(v[i].name, name)) return &v[i];
  return NULL;
}

/* ---- names -------------------------------------------------------------- */

/* label ::= fragment ('-' fragment)*, each fragment all-lowercase-or-digits
 * or all-uppercase-or-digits, the first starting with a letter. */
static bool label_at(const char *p, size_t n) {
  if (n == 0 || !isalpha((unsigned char)p[0])) return false;
  size_t i = 0;
  while (i < n) {
    size_t start = i;
    bool lower = false, upper = false;
    while (i < n && p[i] != '-') {
      unsigned char c = (unsigned char)p[i];
      if (c >= 'a' && c <= 'z') lower = true;
      else if (c >= 'A' && c <= 'Z') upper = true;
      else if (!(c >= '0' && c <= '9')) return false;
      i++;
    }
    if (i == start || (lower && upper)) return false;
    if (i < n) { i++; if (i == n) return false; }
  }
  return true;
}

bool wc_check_label(wc_str name) { return label_at(name.ptr, name.len); }

/* words ::= first-word ('-' word)*: lowercase only. */
static bool words_at(const char *p, size_t n) {
  if (n == 0 || !(p[0] >= 'a' && p[0] <= 'z')) return false;
  for (size_t i = 0; i < n; i++) {
    char c = p[i];
    if (c == '-') { if (i + 1 == n || p[i + 1] == '-') return false; continue; }
    if (!((c >= 'a' && c <= 'z') || (c >= '0' && c <= '9'))) return false;
  }
  return true;
}

/* A numeric semver identifier: digits, no leading zero (unless just "0"). */
static bool semver_num(const char *p, size_t n) {
  if (n == 0 || (n > 1 && p[0] == '0')) return false;
  for (size_t i = 0; i < n; i++) if (!isdigit((unsigned char)p[i])) return false;
  return true;
}

/* Dot-separated identifiers of [0-9A-Za-z-]; numeric ones (pre-release only)
 * without leading zeros. */
static bool semver_idents(const char *p, size_t n, bool numeric_rule) {
  size_t i = 0;
  if (n == 0) return false;
  while (i <= n) {
    size_t s = i;
    bool digits = true;
    while (i < n && p[i] != '.') {
      unsigned char c = (unsigned char)p[i];
      if (!isalnum(c) && c != '-') return false;
      if (!isdigit(c)) digits = false;
      i++;
    }
    if (i == s) return false;
    if (numeric_rule && digits && i - s > 1 && p[s] == '0') return false;
    i++;
  }
  return true;
}

/* A valid semver (semver.org): MAJOR.MINOR.PATCH[-pre][+build]. */
static bool semver_valid(const char *p, size_t n) {
  size_t i = 0, part = 0;
  while (part < 3) {
    size_t s = i;
    while (i < n && isdigit((unsigned char)p[i])) i++;
    if (!semver_num(p + s, i - s)) return false;
    part++;
    if (part < 3) { if (i >= n || p[i] != '.') return false; i++; }
  }
  if (i < n && p[i] == '-') {
    size_t s = ++i;
    while (i < n && p[i] != '+') i++;
    if (!semver_idents(p + s, i - s, true)) return false;
  }
  if (i < n && p[i] == '+') {
    size_t s = ++i;
    if (!semver_idents(p + s, n - s, false)) return false;
    i = n;
  }
  return i == n;
}

typedef enum name_kind { NAME_PLAIN, NAME_CONSTRUCTOR, NAME_METHOD, NAME_STATIC, NAME_INTERFACE } name_kind;

typedef struct parsed_name {
  name_kind kind;
  const char *resource; size_t resource_len;   /* annotated names: the resource label */
} parsed_name;

static bool has_prefix(wc_str s, const char *pfx) {
  size_t n = strlen(pfx);
  return s.len >= n && memcmp(s.ptr, pfx, n) == 0;
}

/* Parses an extern name; false with a reason when it does not fit the grammar. */
static bool parse_name(wc_str name, parsed_name *pn, const char **why) {
  const char *p = name.ptr;
  size_t n = name.len;
  memset(pn, 0, sizeof *pn);
  *why = "not a valid name";
  if (memchr(p, ':', n)) {
    pn->kind = NAME_INTERFACE;
    const char *colon = memchr(p, ':', n);
    if (!words_at(p, (size_t)(colon - p))) { *why = "bad namespace in interface name"; return false; }
    const char *rest = colon + 1, *end = p + n;
    const char *at = memchr(rest, '@', (size_t)(end - rest));
    const char *pkg_end = at ? at : end;
    const char *slash = memchr(rest, '/', (size_t)(pkg_end - rest));
    if (!slash) { *why = "interface name needs a /interface projection"; return false; }
    if (!words_at(rest, (size_t)(slash - rest))) { *why = "bad package name in interface name"; return false; }
    if (!label_at(slash + 1, (size_t)(pkg_end - slash - 1))) { *why = "bad interface label in interface name"; return false; }
    if (at && !semver_valid(at + 1, (size_t)(end - at - 1))) { *why = "invalid semver version"; return false; }
    return true;
  }
  static const struct { const char *pfx; name_kind k; } ann[] = {
    {"[constructor]", NAME_CONSTRUCTOR}, {"[method]", NAME_METHOD}, {"[static]", NAME_STATIC},
  };
  for (size_t i = 0; i < 3; i++) {
    if (!has_prefix(name, ann[i].pfx)) continue;
    size_t pl = strlen(ann[i].pfx);
    pn->kind = ann[i].k;
    pn->resource = p + pl;
    if (ann[i].k == NAME_CONSTRUCTOR) {
      pn->resource_len = n - pl;
      if (!label_at(p + pl, n - pl)) { *why = "bad label after [constructor]"; return false; }
      return true;
    }
    const char *dot = memchr(p + pl, '.', n - pl);
    if (!dot) { *why = "annotated name needs resource.name"; return false; }
    pn->resource_len = (size_t)(dot - (p + pl));
    if (!label_at(p + pl, pn->resource_len) || !label_at(dot + 1, (size_t)(p + n - dot - 1))) {
      *why = "bad label in annotated name";
      return false;
    }
    return true;
  }
  pn->kind = NAME_PLAIN;
  if (!label_at(p, n)) { *why = "not a kebab-case label or an interface name"; return false; }
  return true;
}

bool wc_check_extern_name(wc_loader *L, wc_str name, uint64_t at) {
  parsed_name pn;
  const char *why;
  if (!parse_name(name, &pn, &why))
    return wc_invalid(L, at, "import/export name \"%.*s\": %s", (int)name.len, name.ptr, why);
  return true;
}

/* The strong-uniqueness form of a name, compared without regard to case:
 * `[method]r.r`/`[static]r.r` become `r`, other annotations except
 * [constructor] are stripped. */
static wc_str canon_range(wc_str name) {
  parsed_name pn;
  const char *why;
  if (parse_name(name, &pn, &why) && (pn.kind == NAME_METHOD || pn.kind == NAME_STATIC)) {
    const char *end = name.ptr + name.len;
    const char *item = pn.resource + pn.resource_len + 1;
    size_t item_len = (size_t)(end - item);
    wc_str r = {pn.resource, (uint32_t)(end - pn.resource)};  /* "r.m" */
    if (item_len == pn.resource_len && strncasecmp(item, pn.resource, item_len) == 0) r.len = (uint32_t)pn.resource_len;
    return r;
  }
  return name;
}

bool wc_scope_add_extern(wc_loader *L, wc_scope *s, bool is_import, wc_str name, wc_sort sort,
                         uint32_t type, uint64_t at) {
  parsed_name pn;
  const char *why;
  if (!parse_name(name, &pn, &why))
    return wc_invalid(L, at, "%s name \"%.*s\": %s", is_import ? "import" : "export", (int)name.len, name.ptr, why);
  wc_extern **v = is_import ? &s->imports : &s->exports;
  uint32_t *n = is_import ? &s->nimports : &s->nexports;
  uint32_t *cap = is_import ? &s->capimports : &s->capexports;
  uint64_t **keys = is_import ? &s->import_keys : &s->export_keys;
  uint32_t *capkeys = is_import ? &s->capikeys : &s->capekeys;
  wc_str a = canon_range(name);
  uint64_t key = 1469598103934665603ull; /* FNV-1a of the lowercased form: compare keys first */
  for (size_t i = 0; i < a.len; i++) key = (key ^ (uint8_t)tolower((unsigned char)a.ptr[i])) * 1099511628211ull;
  for (uint32_t i = 0; i < *n; i++) {
    if ((*keys)[i] != key) continue;
    wc_str b = canon_range((*v)[i].name);
    if (a.len == b.len && strncasecmp(a.ptr, b.ptr, a.len) == 0)
      return wc_invalid(L, at, "duplicate %s name \"%.*s\" (conflicts with \"%.*s\")", is_import ? "import" : "export",
                        (int)name.len, name.ptr, (int)(*v)[i].name.len, (*v)[i].name.ptr);
  }
  if (pn.kind == NAME_CONSTRUCTOR || pn.kind == NAME_METHOD || pn.kind == NAME_STATIC) {
    if (sort != WC_FUNC)
      return wc_invalid(L, at, "\"%.*s\": annotated names are only allowed on functions", (int)name.len, name.ptr);
    /* the resource must be a preceding resource import or export of this scope */
    const wc_extern *res = NULL;
    for (int pass = 0; pass < 2 && !res; pass++) {
      const wc_extern *list = pass ? s->exports : s->imports;
      uint32_t cnt = pass ? s->nexports : s->nimports;
      for (uint32_t i = 0; i < cnt; i++)
        if (list[i].sort == WC_TYPE && list[i].name.len == pn.resource_len &&
            memcmp(list[i].name.ptr, pn.resource, pn.resource_len) == 0 &&
            L->types->v[list[i].type].kind == WC_T_RESOURCE)
          res = &list[i];
    }
    if (!res)
      return wc_invalid(L, at, "\"%.*s\": no preceding resource named \"%.*s\" in this scope", (int)name.len,
                        name.ptr, (int)pn.resource_len, pn.resource);
    const wc_type *ft = &L->types->v[type];
    if (pn.kind == NAME_METHOD) {
      const wc_type *self = ft->nitems && !wc_val_is_prim(ft->items[0].type) ? &L->types->v[ft->items[0].type] : NULL;
      if (!self || self->kind != WC_T_BORROW || self->resource != res->type ||
          ft->items[0].name.len != 4 || memcmp(ft->items[0].name.ptr, "self", 4) != 0)
        return wc_invalid(L, at, "\"%.*s\": a method's first parameter must be (param \"self\" (borrow %.*s))",
                          (int)name.len, name.ptr, (int)pn.resource_len, pn.resource);
    } else if (pn.kind == NAME_CONSTRUCTOR) {
      bool ok = false;
      if (ft->has_result && !wc_val_is_prim(ft->result)) {
        const wc_type *rt = &L->types->v[ft->result];
        if (rt->kind == WC_T_RESULT && rt->items[0].has_type && !wc_val_is_prim(rt->items[0].type))
          rt = &L->types->v[rt->items[0].type];
        ok = rt->kind == WC_T_OWN && rt->resource == res->type;
      }
      if (!ok)
        return wc_invalid(L, at, "\"%.*s\": a constructor must return (own %.*s) or a result of it", (int)name.len,
                          name.ptr, (int)pn.resource_len, pn.resource);
    }
  }
  if (*n >= WC_MAX_ITEMS / 10) return wc_limit(L, at, "too many imports or exports: at most %u", WC_MAX_ITEMS / 10);
  if (!rt_grow((void **)v, cap, *n + 1, sizeof **v) || !rt_grow((void **)keys, capkeys, *n + 1, sizeof **keys))
    return wc_oom(L, at);
  wc_extern e = {.name = name, .sort = sort, .type = type};
  (*keys)[*n] = key;
  (*v)[(*n)++] = e;
  /* give a type a name to print it by, if it has none yet */
  if (sort == WC_TYPE && type < L->types->n && L->types->v[type].name.len == 0) L->types->v[type].name = name;
  return true;
}

/* ---- aliases ------------------------------------------------------------ */

bool wc_read_alias(wc_loader *L, wm_reader *r, wc_scope *s, bool decl, wc_def *def) {
  uint64_t at = reader_offset(r);
  wc_sort sort;
  uint8_t how;
  uint32_t type = 0, idx;
  if (!wc_read_sort(L, r, &sort) || !reader_u8(r, &how)) return false;
  def->kind = WC_DEF_ALIAS;
  def->offset = at;
  def->sort = sort;
  switch (how) {
  case 0x00: case 0x01: {
    bool core = how == 0x01;
    uint64_t iat = reader_offset(r);
    uint32_t inst;
    wc_str name;
    if (!reader_u32(r, &inst) || !wc_read_name(L, r, &name)) return false;
    def->u.alias.how = core ? WC_ALIAS_CORE_EXPORT : WC_ALIAS_EXPORT;
    def->u.alias.instance = inst;
    def->u.alias.name = name;
    if (core != (sort < WC_FUNC))
      return wc_invalid(L, at, "%s alias of a %s", core ? "core export" : "export", sort_names[sort]);
    if (decl && (core || (sort != WC_INSTANCE && sort != WC_TYPE)))
      return wc_invalid(L, at, "export aliases in type declarators may only alias instances and types");
    if (!wc_scope_get(L, s, core ? WC_CORE_INSTANCE : WC_INSTANCE, inst, iat, &type)) return false;
    const wc_type *it = &L->types->v[type];
    const wc_extern *e = wc_find_extern(it->exports, it->nexports, name);
    if (!e) return wc_invalid(L, at, "%sinstance %u has no export named \"%.*s\"", core ? "core " : "", inst,
                              (int)name.len, name.ptr);
    if (e->sort != sort)
      return wc_invalid(L, at, "export \"%.*s\" of %sinstance %u is a %s, not a %s", (int)name.len, name.ptr,
                        core ? "core " : "", inst, sort_names[e->sort], sort_names[sort]);
    type = e->type;
    break;
  }
  case 0x02: {
    uint32_t ct, oi;
    if (!reader_u32(r, &ct) || !reader_u32(r, &oi)) return false;
    def->u.alias.how = WC_ALIAS_OUTER;
    def->u.alias.outer_count = ct;
    def->u.alias.outer_index = oi;
    bool allowed = decl ? (sort == WC_CORE_TYPE || sort == WC_TYPE)
                        : (sort == WC_CORE_TYPE || sort == WC_TYPE || sort == WC_CORE_MODULE || sort == WC_COMPONENT);
    if (!allowed) return wc_invalid(L, at, "outer aliases cannot alias a %s", sort_names[sort]);
    wc_scope *target = s;
    for (uint32_t c = 0; c < ct && target; c++) target = target->outer;
    if (!target) return wc_invalid(L, at, "outer alias count %u exceeds the enclosing scopes", ct);
    if (!wc_scope_get(L, target, sort, oi, at, &type)) return false;
    if (sort == WC_TYPE && ct > 0) {
      /* crossing a component boundary, a type must not be a resource type */
      bool crosses = false;
      wc_scope *w = s;
      for (uint32_t c = 0; c < ct; c++, w = w->outer) if (!w->is_type) crosses = true;
      if (crosses && (L->types->v[type].kind == WC_T_RESOURCE || L->types->v[type].has_handle))
        return wc_invalid(L, at, "outer alias of a type that refers to a resource, across a component boundary");
    }
    break;
  }
  default:
    return wc_malformed(L, at + 1, "unknown alias target 0x%02x", how);
  }
  if (!wc_scope_push(L, s, sort, type, at, &idx)) return false;
  def->index = idx;
  return true;
}

/* ---- instances ---------------------------------------------------------- */

static bool read_sortidx(wc_loader *L, wm_reader *r, bool core, wc_arg *a) {
  return (core ? wc_read_core_sort(L, r, &a->sort) : wc_read_sort(L, r, &a->sort)) && reader_u32(r, &a->index);
}

static bool read_args(wc_loader *L, wm_reader *r, bool core, bool inline_exports, wc_def *def) {
  uint32_t n;
  if (!wc_read_count(L, r, 2, &n)) return false;
  if (n > WC_MAX_ITEMS / 10)
    return wc_limit(L, def->offset, "too many arguments or exports: %u (at most %u)", n, WC_MAX_ITEMS / 10);
  def->u.inst.args = n ? calloc(n, sizeof(wc_arg)) : NULL;
  if (n && !def->u.inst.args) return wc_oom(L, reader_offset(r));
  for (uint32_t i = 0; i < n; i++) {
    wc_arg *a = &def->u.inst.args[i];
    a->offset = reader_offset(r);
    if (inline_exports && !core) {
      if (!wc_read_nameattrs(L, r, &a->name)) return false;
    } else if (!wc_read_name(L, r, &a->name)) {
      return false;
    }
    if (core && !inline_exports) {
      uint64_t sat = reader_offset(r);
      uint8_t k;
      if (!reader_u8(r, &k)) return false;
      if (k != 0x12) return wc_malformed(L, sat, "core instantiate argument must be an instance (0x12), found 0x%02x", k);
      a->sort = WC_CORE_INSTANCE;
      if (!reader_u32(r, &a->index)) return false;
    } else if (!read_sortidx(L, r, core, a)) {
      return false;
    }
    def->u.inst.nargs = i + 1;
    for (uint32_t k = 0; k < i; k++)
      if (wc_str_eq(def->u.inst.args[k].name, a->name))
        return wc_invalid(L, def->offset, "duplicate %s name \"%.*s\"", inline_exports ? "export" : "argument",
                          (int)a->name.len, a->name.ptr);
  }
  return true;
}

/* Builds an instance type (core or component) from inline exports. */
static bool inline_instance_type(wc_loader *L, wc_scope *s, wc_def *def, bool core, uint32_t *out) {
  wc_type t;
  memset(&t, 0, sizeof t);
  t.kind = core ? WC_T_CORE_INSTANCE : WC_T_INSTANCE;
  t.nexports = def->u.inst.nargs;
  t.exports = t.nexports ? calloc(t.nexports, sizeof *t.exports) : NULL;
  if (t.nexports && !t.exports) return wc_oom(L, def->offset);
  for (uint32_t i = 0; i < t.nexports; i++) {
    const wc_arg *a = &def->u.inst.args[i];
    t.exports[i].name = a->name;
    t.exports[i].sort = a->sort;
    if (!core && !wc_check_extern_name(L, a->name, def->offset)) { wc_type_release(&t); return false; }
    if (!wc_scope_get(L, s, a->sort, a->index, def->offset, &t.exports[i].type)) { wc_type_release(&t); return false; }
  }
  *out = wc_type_add(L, &t, def->offset);
  return *out != WC_NONE;
}

bool wc_read_core_instance(wc_loader *L, wm_reader *r, wc_scope *s, wc_def *def) {
  uint64_t at = reader_offset(r);
  uint8_t k;
  uint32_t type, idx;
  def->kind = WC_DEF_CORE_INSTANCE;
  def->offset = at;
  def->sort = WC_CORE_INSTANCE;
  if (!reader_u8(r, &k)) return false;
  if (k == 0x01) {
    if (!read_args(L, r, true, true, def) || !inline_instance_type(L, s, def, true, &type)) return false;
  } else if (k == 0x00) {
    def->u.inst.instantiate = true;
    uint64_t mat = reader_offset(r);
    if (!reader_u32(r, &def->u.inst.of) || !wc_scope_get(L, s, WC_CORE_MODULE, def->u.inst.of, mat, &type) ||
        !read_args(L, r, true, false, def))
      return false;
    const wc_type *mt = &L->types->v[type];
    for (uint32_t i = 0; i < def->u.inst.nargs; i++) {
      uint32_t it;
      if (!wc_scope_get(L, s, WC_CORE_INSTANCE, def->u.inst.args[i].index, at, &it)) return false;
    }
    for (uint32_t i = 0; i < mt->nimports; i++) {
      const wc_extern *im = &mt->imports[i];
      const wc_arg *arg = NULL;
      for (uint32_t a = 0; a < def->u.inst.nargs && !arg; a++)
        if (wc_str_eq(def->u.inst.args[a].name, im->module)) arg = &def->u.inst.args[a];
      if (!arg)
        return wc_invalid(L, at, "core instantiate of module %u: no argument supplies import module \"%.*s\"",
                          def->u.inst.of, (int)im->module.len, im->module.ptr);
      const wc_type *it = &L->types->v[s->spaces[WC_CORE_INSTANCE][arg->index]];
      const wc_extern *e = wc_find_extern(it->exports, it->nexports, im->name);
      if (!e || e->sort != im->sort)
        return wc_invalid(L, at, "core instantiate of module %u: import \"%.*s\" \"%.*s\" (%s) is not exported by "
                          "core instance %u", def->u.inst.of, (int)im->module.len, im->module.ptr, (int)im->name.len,
                          im->name.ptr, sort_names[im->sort], arg->index);
      if (im->sort == WC_CORE_FUNC) {
        const wm_functype *want = wc_core_functype(L, im->type), *have = wc_core_functype(L, e->type);
        if (want && have && !wc_functype_equal(want, have))
          return wc_invalid(L, at, "core instantiate of module %u: import \"%.*s\" \"%.*s\" has the wrong function type",
                            def->u.inst.of, (int)im->module.len, im->module.ptr, (int)im->name.len, im->name.ptr);
      }
    }
    wc_type t;
    memset(&t, 0, sizeof t);
    t.kind = WC_T_CORE_INSTANCE;
    t.nexports = mt->nexports;
    if (t.nexports) {
      t.exports = malloc(sizeof *t.exports * t.nexports);
      if (!t.exports) return wc_oom(L, at);
      memcpy(t.exports, mt->exports, sizeof *t.exports * t.nexports);
    }
    type = wc_type_add(L, &t, at);
    if (type == WC_NONE) return false;
  } else {
    return wc_malformed(L, at, "unknown core instance kind 0x%02x", k);
  }
  if (!wc_scope_push(L, s, WC_CORE_INSTANCE, type, at, &idx)) return false;
  def->index = idx;
  return true;
}

/* Every import of the component (type `ct`) must be supplied by an argument
 * of the same name and sort whose type is a subtype of the import's
 * (subtype.c), in import order, so that abstract resource types imported
 * earlier are substituted in the types of later imports. */
static bool check_instantiate_args(wc_loader *L, uint64_t at, const wc_def *def, uint32_t ct_id, wc_scope *s) {
  const wc_type *ct = &L->types->v[ct_id];
  wc_sub sub;
  wc_sub_init(&sub, L);
  bool ok = true;
  for (uint32_t i = 0; i < ct->nimports && ok; i++) {
    const wc_extern *im = &ct->imports[i];
    const wc_arg *arg = NULL;
    for (uint32_t a = 0; a < def->u.inst.nargs && !arg; a++)
      if (wc_str_eq(def->u.inst.args[a].name, im->name)) arg = &def->u.inst.args[a];
    uint32_t t;
    if (!arg)
      ok = wc_invalid(L, at, "instantiate of component %u: missing argument for import \"%.*s\"",
                      def->u.inst.of, (int)im->name.len, im->name.ptr);
    else if (arg->sort != im->sort)
      ok = wc_invalid(L, arg->offset, "instantiate of component %u: argument \"%.*s\" is a %s, the import is a %s",
                      def->u.inst.of, (int)im->name.len, im->name.ptr, sort_names[arg->sort], sort_names[im->sort]);
    else if (!wc_scope_get(L, s, arg->sort, arg->index, at, &t))
      ok = false;
    else if (!wc_sub_extern(&sub, im->sort, im->type, t))
      ok = sub.oom ? wc_oom(L, arg->offset)
         : sub.too_big ? wc_limit(L, arg->offset, "instantiate of component %u: argument \"%.*s\": types too large to compare",
                                  def->u.inst.of, (int)im->name.len, im->name.ptr)
         : wc_invalid(L, arg->offset, "instantiate of component %u: argument \"%.*s\" does not match the import's type: %s",
                      def->u.inst.of, (int)im->name.len, im->name.ptr, sub.why);
  }
  wc_sub_release(&sub);
  return ok;
}

bool wc_read_instance(wc_loader *L, wm_reader *r, wc_scope *s, wc_def *def) {
  uint64_t at = reader_offset(r);
  uint8_t k;
  uint32_t type, idx;
  def->kind = WC_DEF_INSTANCE;
  def->offset = at;
  def->sort = WC_INSTANCE;
  if (!reader_u8(r, &k)) return false;
  if (k == 0x01) {
    if (!read_args(L, r, false, true, def) || !inline_instance_type(L, s, def, false, &type)) return false;
  } else if (k == 0x00) {
    def->u.inst.instantiate = true;
    uint64_t cat = reader_offset(r);
    if (!reader_u32(r, &def->u.inst.of) || !wc_scope_get(L, s, WC_COMPONENT, def->u.inst.of, cat, &type) ||
        !read_args(L, r, false, false, def))
      return false;
    for (uint32_t i = 0; i < def->u.inst.nargs; i++) {
      uint32_t t;
      if (!wc_scope_get(L, s, def->u.inst.args[i].sort, def->u.inst.args[i].index, at, &t)) return false;
    }
    if (!check_instantiate_args(L, at, def, type, s)) return false;
    const wc_type *ct = &L->types->v[type];
    wc_type t;
    memset(&t, 0, sizeof t);
    t.kind = WC_T_INSTANCE;
    t.nexports = ct->nexports;
    if (t.nexports) {
      t.exports = malloc(sizeof *t.exports * t.nexports);
      if (!t.exports) return wc_oom(L, at);
      memcpy(t.exports, ct->exports, sizeof *t.exports * t.nexports);
    }
    type = wc_type_add(L, &t, at);
    if (type == WC_NONE) return false;
  } else {
    return wc_malformed(L, at, "unknown instance kind 0x%02x", k);
  }
  if (!wc_scope_push(L, s, WC_INSTANCE, type, at, &idx)) return false;
  def->index = idx;
  return true;
}

/* ---- canonical functions ------------------------------------------------ */

static bool read_opts(wc_loader *L, wm_reader *r, wc_scope *s, bool lift, wc_canon_opts *o) {
  uint32_t n, t;
  bool seen_enc = false;
  o->encoding = WC_UTF8;
  o->memory = o->realloc = o->post_return = WC_NONE;
  if (!wc_read_count(L, r, 1, &n)) return false;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t at = reader_offset(r);
    uint8_t k;
    uint32_t idx;
    if (!reader_u8(r, &k)) return false;
    switch (k) {
    case 0x00: case 0x01: case 0x02:
      if (seen_enc) return wc_invalid(L, at, "canonical option string-encoding given twice");
      seen_enc = true;
      o->encoding = k == 0 ? WC_UTF8 : k == 1 ? WC_UTF16 : WC_LATIN1_UTF16;
      break;
    case 0x03: case 0x04: case 0x05: {
      uint32_t *slot = k == 3 ? &o->memory : k == 4 ? &o->realloc : &o->post_return;
      const char *what = k == 3 ? "memory" : k == 4 ? "realloc" : "post-return";
      uint64_t iat = reader_offset(r);
      if (!reader_u32(r, &idx)) return false;
      if (*slot != WC_NONE) return wc_invalid(L, at, "canonical option %s given twice", what);
      if (k == 5 && !lift) return wc_invalid(L, at, "canonical option post-return is only allowed on lift");
      if (!wc_scope_get(L, s, k == 3 ? WC_CORE_MEMORY : WC_CORE_FUNC, idx, iat, &t)) return false;
      if (k == 4) {
        const wm_functype *ft = wc_core_functype(L, t);
        bool ok = ft && ft->nparams == 4 && ft->nresults == 1;
        for (uint32_t p = 0; ok && p < 5; p++) ok = ft->types[p] == WASM_I32;
        if (!ok) return wc_invalid(L, iat, "realloc (core func %u) must have type [i32 i32 i32 i32] -> [i32]", idx);
      }
      *slot = idx;
      break;
    }
    case 0x06: case 0x07: return wc_invalid(L, at, "async canonical options are not supported");
    default: return wc_malformed(L, at, "unknown canonical option 0x%02x", k);
    }
  }
  if (o->realloc != WC_NONE && o->memory == WC_NONE)
    return wc_invalid(L, reader_offset(r), "canonical option realloc requires a memory option");
  return true;
}

static void print_core_functype(const wm_valtype *v, uint32_t np, uint32_t nr, char *buf, size_t cap) {
  size_t o = 0;
  char b[32];
  o += (size_t)snprintf(buf + o, cap - o, "[");
  for (uint32_t i = 0; i < np + nr && o < cap; i++) {
    if (i == np) o += (size_t)snprintf(buf + o, o < cap ? cap - o : 0, "%s] -> [", np ? "" : "");
    if (o >= cap) break;
    o += (size_t)snprintf(buf + o, cap - o, "%s%s", (i && i != np) ? " " : "", wm_valtype_name(v[i], b, sizeof b));
  }
  if (o < cap && np + nr == np) o += (size_t)snprintf(buf + o, cap - o, "] -> [");
  if (o < cap) snprintf(buf + o, cap - o, "]");
}

/* The memory/realloc options the value types of `ft` require. */
static bool check_needed_opts(wc_loader *L, uint32_t ftid, bool lift, const wc_canon_opts *o, uint64_t at) {
  const wc_type *ft = &L->types->v[ftid];
  bool params_ptr = false, res_ptr = ft->has_result && wc_val_has_ptr(L, ft->result);
  uint32_t nflat = 0;
  for (uint32_t i = 0; i < ft->nitems; i++) {
    params_ptr |= wc_val_has_ptr(L, ft->items[i].type);
    nflat += wc_val_nflat(L, ft->items[i].type);
  }
  bool many_params = nflat > WC_MAX_FLAT_PARAMS;
  bool many_results = ft->has_result && wc_val_nflat(L, ft->result) > WC_MAX_FLAT_RESULTS;
  /* lift: the callee receives params (needs realloc), returns results (needs memory);
   * lower: the caller's params are read from its memory, results written via realloc. */
  bool need_realloc = lift ? (params_ptr || many_params) : res_ptr;
  bool need_memory = need_realloc || (lift ? (res_ptr || many_results) : (params_ptr || many_params || many_results));
  if (need_memory && o->memory == WC_NONE)
    return wc_invalid(L, at, "canon %s: the function's types need the memory option (strings, lists or "
                      "values spilled to memory)", lift ? "lift" : "lower");
  if (need_realloc && o->realloc == WC_NONE)
    return wc_invalid(L, at, "canon %s: the function's types need the realloc option", lift ? "lift" : "lower");
  return true;
}

bool wc_read_canon(wc_loader *L, wm_reader *r, wc_scope *s, wc_def *def) {
  uint64_t at = reader_offset(r);
  uint8_t op, z;
  uint32_t t, ftid, idx, res;
  def->kind = WC_DEF_CANON;
  def->offset = at;
  if (!reader_u8(r, &op)) return false;
  wc_canon_opts *o = &def->u.canon.opts;
  o->memory = o->realloc = o->post_return = WC_NONE;
  switch (op) {
  case 0x00: {
    def->u.canon.op = WC_CANON_LIFT;
    def->sort = WC_FUNC;
    if (!reader_u8(r, &z)) return false;
    if (z != 0x00) return wc_malformed(L, at + 1, "canon lift: expected 0x00 (core func), found 0x%02x", z);
    uint64_t fat = reader_offset(r);
    uint32_t coreft;
    if (!reader_u32(r, &def->u.canon.func) || !wc_scope_get(L, s, WC_CORE_FUNC, def->u.canon.func, fat, &coreft) ||
        !read_opts(L, r, s, true, o))
      return false;
    uint64_t tat = reader_offset(r);
    if (!reader_u32(r, &def->u.canon.type) || !wc_scope_get(L, s, WC_TYPE, def->u.canon.type, tat, &ftid)) return false;
    if (L->types->v[ftid].kind != WC_T_FUNC)
      return wc_invalid(L, tat, "canon lift: type %u is not a function type", def->u.canon.type);
    wm_valtype p[WC_MAX_FLAT_PARAMS + 2], rs[WC_MAX_FLAT_PARAMS + 2];
    uint32_t np, nr;
    wc_flatten_functype(L, ftid, true, p, &np, rs, &nr);
    const wm_functype *have = wc_core_functype(L, coreft);
    wm_functype want = {.nparams = np, .nresults = nr, .types = NULL};
    wm_valtype all[2 * WC_MAX_FLAT_PARAMS + 4];
    memcpy(all, p, sizeof *p * np);
    memcpy(all + np, rs, sizeof *rs * nr);
    want.types = all;
    if (!have || !wc_functype_equal(have, &want)) {
      char a[160], b[160];
      print_core_functype(all, np, nr, a, sizeof a);
      if (have) print_core_functype(have->types, have->nparams, have->nresults, b, sizeof b);
      else snprintf(b, sizeof b, "not a function");
      return wc_invalid(L, fat, "canon lift: core func %u has type %s, the lifted type flattens to %s",
                        def->u.canon.func, b, a);
    }
    if (o->post_return != WC_NONE) {
      const wm_functype *pr = wc_core_functype(L, s->spaces[WC_CORE_FUNC][o->post_return]);
      wm_functype pwant = {.nparams = nr, .nresults = 0, .types = rs};
      if (!pr || !wc_functype_equal(pr, &pwant))
        return wc_invalid(L, at, "canon lift: post-return (core func %u) must take the lifted function's core "
                          "results and return nothing", o->post_return);
    }
    if (!check_needed_opts(L, ftid, true, o, at)) return false;
    t = ftid;
    break;
  }
  case 0x01: {
    def->u.canon.op = WC_CANON_LOWER;
    def->sort = WC_CORE_FUNC;
    if (!reader_u8(r, &z)) return false;
    if (z != 0x00) return wc_malformed(L, at + 1, "canon lower: expected 0x00 (func), found 0x%02x", z);
    uint64_t fat = reader_offset(r);
    if (!reader_u32(r, &def->u.canon.func) || !wc_scope_get(L, s, WC_FUNC, def->u.canon.func, fat, &ftid) ||
        !read_opts(L, r, s, false, o) || !check_needed_opts(L, ftid, false, o, at))
      return false;
    wm_valtype p[WC_MAX_FLAT_PARAMS + 2], rs[WC_MAX_FLAT_PARAMS + 2];
    uint32_t np, nr;
    wc_flatten_functype(L, ftid, false, p, &np, rs, &nr);
    t = wc_core_functype_add(L, p, np, rs, nr, at);
    if (t == WC_NONE) return false;
    break;
  }
  case 0x02: case 0x03: case 0x04: {
    def->u.canon.op = op == 2 ? WC_CANON_RESOURCE_NEW : op == 3 ? WC_CANON_RESOURCE_DROP : WC_CANON_RESOURCE_REP;
    def->sort = WC_CORE_FUNC;
    uint64_t tat = reader_offset(r);
    if (!reader_u32(r, &def->u.canon.type) || !wc_scope_get(L, s, WC_TYPE, def->u.canon.type, tat, &res)) return false;
    if (L->types->v[res].kind != WC_T_RESOURCE)
      return wc_invalid(L, tat, "canon resource.%s: type %u is not a resource type",
                        op == 2 ? "new" : op == 3 ? "drop" : "rep", def->u.canon.type);
    /* only the defining component sees a resource's representation */
    if (op != 3 && L->types->v[res].owner != s->id)
      return wc_invalid(L, tat, "canon resource.%s: resource type %u is not defined by this component",
                        op == 2 ? "new" : "rep", def->u.canon.type);
    wm_valtype i32 = WASM_I32;
    t = wc_core_functype_add(L, &i32, 1, &i32, op == 3 ? 0 : 1, at);
    if (t == WC_NONE) return false;
    break;
  }
  default:
    if (op <= 0x2d || (op >= 0x40 && op <= 0x42))
      return wc_invalid(L, at, "canonical built-in 0x%02x (async, threads or error-context) is not supported", op);
    return wc_malformed(L, at, "unknown canonical function 0x%02x", op);
  }
  if (!wc_scope_push(L, s, def->sort, t, at, &idx)) return false;
  def->index = idx;
  return true;
}
