/*
 * subtype.c — the type check of component `instantiate` arguments
 * (component-model Explainer.md, "Type checking" / subtyping): each argument's
 * type must be a subtype of the type the instantiated component imports
 * under that name.
 *
 * - Value types and function types must be equal (the spec relaxes subtyping
 *   only for module, instance and component types): the same constructor,
 *   field/case/label names in order, parameter names, the same result.
 * - An instance type is a subtype when it has every export the import's
 *   instance type lists (by name, with the same sort and a subtype of its
 *   type); extra exports are fine.
 * - A component-typed argument is compared by names and sorts only: it may
 *   import less and must export at least what the import's component type
 *   exports (deep types of component-typed arguments are not compared).
 * - Resource types: an import `(type (sub resource))` of the instantiated
 *   component (or an instance type's resource export) is an abstract type;
 *   the argument supplied for it must be a resource type, and from then on
 *   every `own`/`borrow` of the abstract type must be one of that resource.
 *   The substitution lives in a sub_map for one whole `instantiate`, so later
 *   imports that mention an earlier imported resource are checked against
 *   the resource actually supplied.
 *
 * - Two arenas: the host check (htypes.c) compares a component's import
 *   types (`atypes`, the actual side) with host function types in the
 *   host's own arena (`types`). Ids of the two are unrelated, so there the
 *   same-id shortcut is off and own/borrow match only the (host resource,
 *   guest resource) pairs the instantiation bound in `map`.
 *
 * Resource types in the arena are not generative per instantiation (two
 * instances of one component share the ids of its defined resources), so
 * resources of two instances of the same component are not told apart here;
 * the runtime's handle tables still keep them apart.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/grow.h"
#include "component/component_internal.h"
#include "component/subtype.h"

/* Bounds the comparison work of one load. Equal pairs of handle-free types
 * are remembered (eq_memo), so DAG-shaped types cost their distinct pairs;
 * this cap is the backstop against whatever the memo does not catch. */
#define SUB_MAX_STEPS 50000000u

void wc_sub_init(wc_sub *s, wc_loader *L) {
  memset(s, 0, sizeof *s);
  s->types = s->atypes = L->types;
  s->L = L;
}

void wc_sub_release(wc_sub *s) {
  free(s->map);
  s->map = NULL;
  s->n = s->cap = 0;
}

static bool why(wc_sub *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool why(wc_sub *s, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(s->why, sizeof s->why, fmt, ap);
  va_end(ap);
  return false;
}

/* Prefixes the current reason with where it was found ("field \"a\": ..."),
 * unless the failure was not a mismatch. Returns false. */
static bool within(wc_sub *s, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool within(wc_sub *s, const char *fmt, ...) {
  if (s->too_big || s->oom) return false;
  char where[96], inner[sizeof s->why];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(where, sizeof where, fmt, ap);
  va_end(ap);
  memcpy(inner, s->why, sizeof inner);
  /* where + ": " + inner, cut at the end of the buffer */
  size_t k = 0, cap = sizeof s->why - 1;
  for (const char *parts[3] = {where, ": ", inner}, **p = parts; p < parts + 3; p++)
    for (const char *c = *p; *c && k < cap; c++) s->why[k++] = *c;
  s->why[k] = 0;
  return false;
}

static const char *kind_name(wc_type_kind k) {
  switch (k) {
  case WC_T_PRIM: return "primitive";
  case WC_T_RECORD: return "record";
  case WC_T_VARIANT: return "variant";
  case WC_T_LIST: return "list";
  case WC_T_FIXED_LIST: return "fixed-length list";
  case WC_T_TUPLE: return "tuple";
  case WC_T_FLAGS: return "flags";
  case WC_T_ENUM: return "enum";
  case WC_T_OPTION: return "option";
  case WC_T_RESULT: return "result";
  case WC_T_OWN: return "own";
  case WC_T_BORROW: return "borrow";
  case WC_T_FUNC: return "func";
  case WC_T_COMPONENT: return "component";
  case WC_T_INSTANCE: return "instance";
  case WC_T_RESOURCE: return "resource";
  default: return "core type";
  }
}

static const char *article(const char *noun) { return strchr("aeiou", noun[0]) ? "an" : "a"; }

/* A short description of a value type for messages: "u32", "record", ... */
static const char *val_name(const wc_types *ts, wc_val v) {
  if (wc_val_is_prim(v)) return wc_prim_name((wc_prim)(v & ~WC_PRIM_BIT));
  const wc_type *t = &ts->v[v];
  if (t->kind == WC_T_PRIM) return wc_prim_name(t->prim);
  return kind_name(t->kind);
}

/* The resource the abstract `e` stands for (or e itself). */
static bool mapped(const wc_sub *s, uint32_t e, uint32_t *a) {
  for (uint32_t i = 0; i < s->n; i++)
    if (s->map[i].abstract == e) { *a = s->map[i].actual; return true; }
  return false;
}

static bool map_add(wc_sub *s, uint32_t e, uint32_t a) {
  if (!rt_grow((void **)&s->map, &s->cap, s->n + 1, sizeof *s->map)) return false;
  s->map[s->n].abstract = e;
  s->map[s->n++].actual = a;
  return true;
}

/* Whether resources x and y were linked by an earlier instantiate (an
 * abstract import and what was supplied for it), transitively: a search over
 * the links, which number at most the resource arguments of the component. */
static bool linked(wc_sub *s, uint32_t x, uint32_t y) {
  if (x == y) return true;
  const wc_loader *L = s->L;
  uint32_t n = L->nres_links, nseen = 1, head = 0;
  uint32_t *seen = malloc(sizeof *seen * (2 * (size_t)n + 1));  /* each resource enters once */
  if (!seen) { s->oom = true; return false; }
  seen[0] = x;
  bool found = false;
  while (head < nseen && !found) {
    uint32_t cur = seen[head++];
    for (uint32_t i = 0; i < n; i++) {
      const struct wc_res_link *k = &L->res_links[i];
      uint32_t other = k->a == cur ? k->b : k->b == cur ? k->a : UINT32_MAX;
      if (other == UINT32_MAX) continue;
      if (other == y) { found = true; break; }
      bool dup = false;
      for (uint32_t j = 0; j < nseen && !dup; j++) dup = seen[j] == other;
      if (!dup) seen[nseen++] = other;
    }
  }
  free(seen);
  return found;
}

static bool resource_eq(wc_sub *s, uint32_t e, uint32_t a) {
  if (s->atypes != s->types) {  /* two arenas (host types): only the bound pairs match */
    for (uint32_t i = 0; i < s->n; i++)
      if (s->map[i].abstract == e && s->map[i].actual == a) return true;
    wc_str n = s->types->v[e].name;
    return n.len ? why(s, "a handle of another resource type than %.*s", (int)n.len, n.ptr)
                 : why(s, "a handle of another resource type");
  }
  uint32_t m;
  if (!mapped(s, e, &m)) m = e;
  return linked(s, m, a) || why(s, "a handle of another resource type");
}

/* A primitive, whether written directly or as a type definition `prim`. */
static bool as_prim(const wc_types *ts, wc_val v, wc_prim *p) {
  if (wc_val_is_prim(v)) { *p = (wc_prim)(v & ~WC_PRIM_BIT); return true; }
  if (ts->v[v].kind == WC_T_PRIM) { *p = ts->v[v].prim; return true; }
  return false;
}

static bool names_eq(wc_sub *s, const char *what, uint32_t i, wc_str e, wc_str a) {
  if (wc_str_eq(e, a)) return true;
  return why(s, "%s %u is named \"%.*s\", expected \"%.*s\"", what, i, (int)a.len, a.ptr, (int)e.len, e.ptr);
}

static bool val_eq(wc_sub *s, wc_val e, wc_val a);

static uint64_t memo_key(wc_val e, wc_val a) { return ((uint64_t)e << 32 | a) + 1; }
static uint32_t memo_slot(uint64_t key, uint32_t cap) {
  key ^= key >> 33;
  key *= 0xff51afd7ed558ccdull;
  key ^= key >> 33;
  return (uint32_t)key & (cap - 1);
}
static bool memo_has(const wc_loader *L, uint64_t key) {
  if (!L->capeq_memo) return false;
  for (uint32_t i = memo_slot(key, L->capeq_memo);; i = (i + 1) & (L->capeq_memo - 1)) {
    if (L->eq_memo[i] == key) return true;
    if (!L->eq_memo[i]) return false;
  }
}
/* Remembers an equal pair; on out of memory it just forgets (a cache). */
static void memo_add(wc_loader *L, uint64_t key) {
  if ((L->neq_memo + 1) * 2 > L->capeq_memo) {   /* keep the load at most 1/2 */
    uint32_t cap = L->capeq_memo ? L->capeq_memo * 2 : 64;
    if (cap > (1u << 24)) return;
    uint64_t *v = calloc(cap, sizeof *v);
    if (!v) return;
    for (uint32_t i = 0; i < L->capeq_memo; i++) {
      if (!L->eq_memo[i]) continue;
      uint32_t j = memo_slot(L->eq_memo[i], cap);
      while (v[j]) j = (j + 1) & (cap - 1);
      v[j] = L->eq_memo[i];
    }
    free(L->eq_memo);
    L->eq_memo = v;
    L->capeq_memo = cap;
  }
  uint32_t j = memo_slot(key, L->capeq_memo);
  while (L->eq_memo[j]) {
    if (L->eq_memo[j] == key) return;
    j = (j + 1) & (L->capeq_memo - 1);
  }
  L->eq_memo[j] = key;
  L->neq_memo++;
}

static bool opt_val_eq(wc_sub *s, const char *what, wc_str name, bool eh, wc_val e, bool ah, wc_val a) {
  if (eh != ah)
    return why(s, "%s \"%.*s\" %s a payload, expected %s", what, (int)name.len, name.ptr, ah ? "has" : "has no",
               eh ? "one" : "none");
  return !eh || val_eq(s, e, a);
}

static bool val_eq_uncached(wc_sub *s, wc_val e, wc_val a);

static bool val_eq(wc_sub *s, wc_val e, wc_val a) {
  if (++s->L->sub_steps > SUB_MAX_STEPS) { s->too_big = true; return why(s, "types too large to compare"); }
  /* handle-free defined types compare the same in every context: memoize */
  bool cacheable = !wc_val_is_prim(e) && !wc_val_is_prim(a) && !s->types->v[e].has_handle &&
                   !s->atypes->v[a].has_handle;
  uint64_t key = cacheable ? memo_key(e, a) : 0;
  if (cacheable && memo_has(s->L, key)) return true;
  if (!val_eq_uncached(s, e, a)) return false;
  if (cacheable) memo_add(s->L, key);
  return true;
}

static bool val_eq_uncached(wc_sub *s, wc_val e, wc_val a) {
  wc_prim pe = WC_BOOL, pa = WC_BOOL;
  bool ep = as_prim(s->types, e, &pe), ap = as_prim(s->atypes, a, &pa);
  if (ep || ap) {
    if (ep && ap && pe == pa) return true;
    return why(s, "%s, expected %s", val_name(s->atypes, a), val_name(s->types, e));
  }
  const wc_type *te = &s->types->v[e], *ta = &s->atypes->v[a];
  /* the same entry is the same type unless it mentions a substituted resource */
  if (e == a && !te->has_handle && s->atypes == s->types) return true;
  if (te->kind != ta->kind) return why(s, "%s, expected %s", kind_name(ta->kind), kind_name(te->kind));
  switch (te->kind) {
  case WC_T_LIST: case WC_T_OPTION:
    return val_eq(s, te->elem, ta->elem) || within(s, "%s", te->kind == WC_T_LIST ? "list element" : "option payload");
  case WC_T_FIXED_LIST:
    if (te->len != ta->len) return why(s, "fixed-length list of %u, expected %u", ta->len, te->len);
    return val_eq(s, te->elem, ta->elem) || within(s, "list element");
  case WC_T_OWN: case WC_T_BORROW:
    return resource_eq(s, te->resource, ta->resource);
  default: break;
  }
  if (te->nitems != ta->nitems)
    return why(s, "%s with %u %s, expected %u", kind_name(ta->kind), ta->nitems,
               ta->kind == WC_T_RECORD ? "fields" : ta->kind == WC_T_TUPLE ? "types"
               : ta->kind == WC_T_FLAGS || ta->kind == WC_T_ENUM ? "labels" : "cases", te->nitems);
  for (uint32_t i = 0; i < te->nitems; i++) {
    const wc_item *ie = &te->items[i], *ia = &ta->items[i];
    switch (te->kind) {
    case WC_T_RECORD:
      if (!names_eq(s, "field", i, ie->name, ia->name)) return false;
      if (!val_eq(s, ie->type, ia->type)) return within(s, "field \"%.*s\"", (int)ie->name.len, ie->name.ptr);
      break;
    case WC_T_TUPLE:
      if (!val_eq(s, ie->type, ia->type)) return within(s, "tuple element %u", i);
      break;
    case WC_T_FLAGS: case WC_T_ENUM:
      if (!names_eq(s, "label", i, ie->name, ia->name)) return false;
      break;
    case WC_T_VARIANT:
      if (!names_eq(s, "case", i, ie->name, ia->name)) return false;
      if (!opt_val_eq(s, "case", ie->name, ie->has_type, ie->type, ia->has_type, ia->type))
        return ie->has_type != ia->has_type ? false : within(s, "case \"%.*s\"", (int)ie->name.len, ie->name.ptr);
      break;
    case WC_T_RESULT:
      if (!opt_val_eq(s, "result case", (wc_str){i ? "error" : "ok", i ? 5 : 2}, ie->has_type, ie->type,
                      ia->has_type, ia->type))
        return ie->has_type != ia->has_type ? false : within(s, "result %s", i ? "error" : "ok");
      break;
    default:
      return why(s, "%s cannot be compared", kind_name(te->kind));
    }
  }
  return true;
}

static bool func_eq(wc_sub *s, uint32_t e, uint32_t a) {
  const wc_type *fe = &s->types->v[e], *fa = &s->atypes->v[a];
  if (fe->nitems != fa->nitems) return why(s, "%u parameters, expected %u", fa->nitems, fe->nitems);
  for (uint32_t i = 0; i < fe->nitems; i++) {
    if (!wc_str_eq(fe->items[i].name, fa->items[i].name))
      return why(s, "parameter %u is named \"%.*s\", expected \"%.*s\"", i, (int)fa->items[i].name.len,
                 fa->items[i].name.ptr, (int)fe->items[i].name.len, fe->items[i].name.ptr);
    if (!val_eq(s, fe->items[i].type, fa->items[i].type))
      return within(s, "parameter \"%.*s\"", (int)fe->items[i].name.len, fe->items[i].name.ptr);
  }
  if (fe->has_result != fa->has_result)
    return why(s, "%s, expected %s", fa->has_result ? "a result" : "no result", fe->has_result ? "one" : "none");
  if (fe->has_result && !val_eq(s, fe->result, fa->result)) return within(s, "result");
  return true;
}

static bool instance_sub(wc_sub *s, uint32_t e, uint32_t a);
static bool component_sub(wc_sub *s, uint32_t e, uint32_t a);

/* A `type` extern: an abstract resource takes the supplied resource; any
 * other type (an `eq` bound) must be equal. */
static bool type_sub(wc_sub *s, uint32_t e, uint32_t a) {
  const wc_type *te = &s->types->v[e], *ta = &s->atypes->v[a];
  if (te->kind == WC_T_RESOURCE) {
    if (ta->kind != WC_T_RESOURCE)
      return why(s, "%s %s, expected a resource type", article(kind_name(ta->kind)), kind_name(ta->kind));
    uint32_t m;
    if (mapped(s, e, &m)) return linked(s, m, a) || why(s, "another resource type than the one supplied before");
    if (e == a) return true;
    wc_loader *L = s->L;
    if (!map_add(s, e, a) || !rt_grow((void **)&L->res_links, &L->capres_links, L->nres_links + 1,
                                        sizeof *L->res_links)) {
      s->oom = true;
      return why(s, "out of memory");
    }
    L->res_links[L->nres_links++] = (struct wc_res_link){e, a};
    return true;
  }
  if (ta->kind == WC_T_RESOURCE)
    return why(s, "a resource type, expected %s %s", article(kind_name(te->kind)), kind_name(te->kind));
  /* a type export/import may also name a function, instance or component type */
  if (te->kind == WC_T_FUNC || te->kind == WC_T_INSTANCE || te->kind == WC_T_COMPONENT) {
    if (ta->kind != te->kind)
      return why(s, "%s %s type, expected %s %s type", article(kind_name(ta->kind)), kind_name(ta->kind),
                 article(kind_name(te->kind)), kind_name(te->kind));
    return te->kind == WC_T_FUNC ? func_eq(s, e, a) : te->kind == WC_T_INSTANCE ? instance_sub(s, e, a)
                                                                                : component_sub(s, e, a);
  }
  if (te->kind >= WC_T_CORE_FUNC) return true; /* core types: not compared */
  return val_eq(s, e, a);
}

bool wc_sub_extern(wc_sub *s, wc_sort sort, uint32_t e, uint32_t a) {
  switch (sort) {
  case WC_FUNC: return func_eq(s, e, a);
  case WC_TYPE: return type_sub(s, e, a);
  case WC_INSTANCE: return instance_sub(s, e, a);
  case WC_COMPONENT: return component_sub(s, e, a);
  default: return true; /* core modules and values: name and sort only */
  }
}

static bool instance_sub(wc_sub *s, uint32_t e, uint32_t a) {
  const wc_type *te = &s->types->v[e], *ta = &s->atypes->v[a];
  for (uint32_t i = 0; i < te->nexports; i++) {
    const wc_extern *xe = &te->exports[i];
    const wc_extern *xa = wc_find_extern(ta->exports, ta->nexports, xe->name);
    if (!xa) return why(s, "no export \"%.*s\"", (int)xe->name.len, xe->name.ptr);
    if (xa->sort != xe->sort)
      return why(s, "export \"%.*s\" is %s %s, expected %s %s", (int)xe->name.len, xe->name.ptr,
                 article(wc_sort_name(xa->sort)), wc_sort_name(xa->sort), article(wc_sort_name(xe->sort)),
                 wc_sort_name(xe->sort));
    if (!wc_sub_extern(s, xe->sort, xe->type, xa->type))
      return within(s, "export \"%.*s\"", (int)xe->name.len, xe->name.ptr);
  }
  return true;
}

static bool component_sub(wc_sub *s, uint32_t e, uint32_t a) {
  const wc_type *te = &s->types->v[e], *ta = &s->atypes->v[a];
  for (uint32_t i = 0; i < ta->nimports; i++) {
    const wc_extern *ia = &ta->imports[i];
    const wc_extern *ie = wc_find_extern(te->imports, te->nimports, ia->name);
    if (!ie || ie->sort != ia->sort)
      return why(s, "it imports \"%.*s\" (%s %s), which the expected component type does not", (int)ia->name.len,
                 ia->name.ptr, article(wc_sort_name(ia->sort)), wc_sort_name(ia->sort));
  }
  for (uint32_t i = 0; i < te->nexports; i++) {
    const wc_extern *xe = &te->exports[i];
    const wc_extern *xa = wc_find_extern(ta->exports, ta->nexports, xe->name);
    if (!xa || xa->sort != xe->sort)
      return why(s, "no %s export \"%.*s\"", wc_sort_name(xe->sort), (int)xe->name.len, xe->name.ptr);
  }
  return true;
}
