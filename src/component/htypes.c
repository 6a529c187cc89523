/*
 * htypes.c — host function types from WIT-like text (grammar in htypes.h)
 * and the link-time check of a guest's imports against them.
 *
 * The parser is a recursive descent over one text at a time. The text is
 * copied and kept (names in the arena's wc_str point into the copies), every
 * type it builds is added to the host's own arena through types.c (so it gets
 * the same canonical-ABI facts and limits as a component's types), and names
 * are resolved in per-interface namespaces. Nesting is bounded by
 * WC_MAX_TYPE_DEPTH before recursing, so no input can exhaust the stack.
 *
 * The check reuses subtype.c's equality with two arenas: the host's types are
 * the expected side and the component's the actual one, so messages read
 * from the guest's point of view ("u64, expected list").
 */
#include "component/htypes.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/grow.h"
#include "component/component_internal.h"
#include "component/subtype.h"

typedef struct ht_name {
  wc_str name;
  wc_val type;
  bool resource;
  uint32_t own, borrow;   /* resources: the arena's own<R>/borrow<R> once made (WC_NONE before) */
} ht_name;
typedef struct ht_ns { char *iface; ht_name *v; uint32_t n, cap; } ht_ns;

struct wc_htypes {
  wc_types arena;
  rt_error err;          /* types.c reports limits and OOM here */
  ht_ns *ns; uint32_t nns, capns;
  uint32_t last;           /* the namespace used last (registration goes interface by interface) */
  /* Structural types (list, option, result, tuple, own, borrow) by shape,
   * so each distinct one is made once: signatures repeat result<_, error-code>
   * and borrow<descriptor> dozens of times. Open addressing, ids + 1, 0 empty. */
  uint32_t *shapes; uint32_t nshapes, capshapes;
  char **texts; uint32_t ntexts, captexts;   /* owned copies that names point into */
  char msg[256];
};

wc_htypes *wc_htypes_new(void) { return calloc(1, sizeof(wc_htypes)); }

void wc_htypes_free(wc_htypes *h) {
  if (!h) return;
  for (uint32_t i = 0; i < h->arena.n; i++) wc_type_release(&h->arena.v[i]);
  free(h->arena.v);
  free(h->shapes);
  for (uint32_t i = 0; i < h->nns; i++) { free(h->ns[i].iface); free(h->ns[i].v); }
  free(h->ns);
  for (uint32_t i = 0; i < h->ntexts; i++) free(h->texts[i]);
  free(h->texts);
  free(h);
}

const wc_types *wc_htypes_arena(const wc_htypes *h) { return &h->arena; }
const char *wc_htypes_error(const wc_htypes *h) { return h->msg; }

static bool fail(wc_htypes *h, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool fail(wc_htypes *h, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(h->msg, sizeof h->msg, fmt, ap);
  va_end(ap);
  return false;
}

/* A kept copy of `text`, or NULL. */
static char *keep(wc_htypes *h, const char *text) {
  char *c = strdup(text);
  if (!c || !rt_grow((void **)&h->texts, &h->captexts, h->ntexts + 1, sizeof *h->texts)) { free(c); return NULL; }
  return h->texts[h->ntexts++] = c;
}

/* ---- namespaces ----------------------------------------------------------- */

static bool same_iface(const char *a, const char *b) {
  if (!strcmp(a, b)) return true;
  /* one side without a version: compare the names before '@' */
  size_t la = strcspn(a, "@"), lb = strcspn(b, "@");
  return (!a[la] || !b[lb]) && la == lb && !memcmp(a, b, la);
}

static ht_ns *ns_find(wc_htypes *h, const char *iface) {
  for (uint32_t i = 0; i < h->nns; i++)
    if (!strcmp(h->ns[i].iface, iface)) return &h->ns[i];
  for (uint32_t i = 0; i < h->nns; i++)
    if (same_iface(h->ns[i].iface, iface)) return &h->ns[i];
  return NULL;
}

static ht_ns *ns_get(wc_htypes *h, const char *iface) {
  if (h->last < h->nns && !strcmp(h->ns[h->last].iface, iface)) return &h->ns[h->last];
  for (uint32_t i = 0; i < h->nns; i++)
    if (!strcmp(h->ns[i].iface, iface)) return &h->ns[h->last = i];
  char *c = strdup(iface);
  if (!c || !rt_grow((void **)&h->ns, &h->capns, h->nns + 1, sizeof *h->ns)) { free(c); return NULL; }
  h->ns[h->nns] = (ht_ns){c, NULL, 0, 0};
  h->last = h->nns;
  return &h->ns[h->nns++];
}

static ht_name *ns_lookup(const ht_ns *ns, wc_str name) {
  for (uint32_t i = 0; ns && i < ns->n; i++)
    if (wc_str_eq(ns->v[i].name, name)) return &ns->v[i];
  return NULL;
}

static bool ns_add(wc_htypes *h, ht_ns *ns, wc_str name, wc_val type, bool resource) {
  if (ns_lookup(ns, name)) return fail(h, "%s: type %.*s is defined twice", ns->iface, (int)name.len, name.ptr);
  if (!rt_grow((void **)&ns->v, &ns->cap, ns->n + 1, sizeof *ns->v)) return fail(h, "out of memory");
  ns->v[ns->n++] = (ht_name){name, type, resource, WC_NONE, WC_NONE};
  return true;
}

bool wc_htypes_nth(const wc_htypes *h, const char *iface, uint32_t i, wc_str *name, uint32_t *id, bool *resource) {
  for (uint32_t k = 0; k < h->nns; k++) {
    const ht_ns *ns = &h->ns[k];
    if (strcmp(ns->iface, iface)) continue;
    if (i >= ns->n) return false;
    *name = ns->v[i].name;
    *id = ns->v[i].type;
    *resource = ns->v[i].resource;
    return true;
  }
  return false;
}

static bool is_shape(wc_type_kind k) {
  return k == WC_T_LIST || k == WC_T_OPTION || k == WC_T_RESULT || k == WC_T_TUPLE || k == WC_T_OWN ||
         k == WC_T_BORROW;
}

static uint32_t shape_hash(const wc_type *t) {
  uint32_t x = 2166136261u;
  uint32_t parts[3] = {(uint32_t)t->kind, t->elem, t->resource};
  for (int i = 0; i < 3; i++) x = (x ^ parts[i]) * 16777619u;
  for (uint32_t i = 0; i < t->nitems; i++) x = (x ^ (t->items[i].has_type ? t->items[i].type : 0xfffffffeu)) * 16777619u;
  return x;
}

static bool shape_eq(const wc_type *a, const wc_type *b) {
  if (a->kind != b->kind || a->elem != b->elem || a->resource != b->resource || a->nitems != b->nitems) return false;
  for (uint32_t i = 0; i < a->nitems; i++)
    if (a->items[i].has_type != b->items[i].has_type || (a->items[i].has_type && a->items[i].type != b->items[i].type))
      return false;
  return true;
}

/* The id of an arena type of t's shape, or WC_NONE. */
static uint32_t shape_find(const wc_htypes *h, const wc_type *t) {
  if (!h->capshapes) return WC_NONE;
  for (uint32_t i = shape_hash(t) & (h->capshapes - 1);; i = (i + 1) & (h->capshapes - 1)) {
    if (!h->shapes[i]) return WC_NONE;
    if (shape_eq(&h->arena.v[h->shapes[i] - 1], t)) return h->shapes[i] - 1;
  }
}

/* Remembers arena type `id`; a cache, so out of memory just forgets. */
static void shape_add(wc_htypes *h, uint32_t id) {
  if ((h->nshapes + 1) * 2 > h->capshapes) {
    uint32_t cap = h->capshapes ? h->capshapes * 2 : 64;
    uint32_t *v = calloc(cap, sizeof *v);
    if (!v) return;
    for (uint32_t i = 0; i < h->capshapes; i++) {
      if (!h->shapes[i]) continue;
      uint32_t j = shape_hash(&h->arena.v[h->shapes[i] - 1]) & (cap - 1);
      while (v[j]) j = (j + 1) & (cap - 1);
      v[j] = h->shapes[i];
    }
    free(h->shapes);
    h->shapes = v;
    h->capshapes = cap;
  }
  uint32_t j = shape_hash(&h->arena.v[id]) & (h->capshapes - 1);
  while (h->shapes[j]) j = (j + 1) & (h->capshapes - 1);
  h->shapes[j] = id + 1;
  h->nshapes++;
}

/* Adds a type to the arena through types.c (facts and limits), or finds the
 * structural type of the same shape made before (then t is released). */
static bool add_type(wc_htypes *h, wc_type *t, uint32_t *id) {
  bool shape = is_shape(t->kind);
  if (shape && (*id = shape_find(h, t)) != WC_NONE) { wc_type_release(t); return true; }
  wc_loader L;
  memset(&L, 0, sizeof L);
  L.types = &h->arena;
  L.err = &h->err;
  rt_error_clear(&h->err);
  *id = wc_type_add(&L, t, 0);
  if (*id == WC_NONE) return fail(h, "%s", h->err.message);
  if (shape) shape_add(h, *id);
  return true;
}

bool wc_htypes_resource(wc_htypes *h, const char *iface, const char *name, uint32_t *id) {
  char *n = keep(h, name);
  ht_ns *ns = n ? ns_get(h, iface) : NULL;
  if (!ns) return fail(h, "out of memory");
  wc_type t;
  memset(&t, 0, sizeof t);
  t.kind = WC_T_RESOURCE;
  t.name = (wc_str){n, (uint32_t)strlen(n)};
  return add_type(h, &t, id) && ns_add(h, ns, t.name, *id, true);
}

/* ---- the parser ----------------------------------------------------------- */

typedef struct ht_parse {
  wc_htypes *h;
  ht_ns *ns;
  const char *text;   /* the kept copy */
  size_t pos;
  uint32_t depth;
} ht_parse;

static bool perr(ht_parse *P, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool perr(ht_parse *P, const char *fmt, ...) {
  char m[160];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(m, sizeof m, fmt, ap);
  va_end(ap);
  return fail(P->h, "%s: at %zu: %s", P->ns->iface, P->pos, m);
}

static void skip_space(ht_parse *P) {
  for (;;) {
    char c = P->text[P->pos];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') P->pos++;
    else if (c == '/' && P->text[P->pos + 1] == '/') while (P->text[P->pos] && P->text[P->pos] != '\n') P->pos++;
    else return;
  }
}

static bool is_id_char(char c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

/* An identifier (WIT kebab-case; a leading % escapes a keyword). */
static bool ident(ht_parse *P, wc_str *out) {
  skip_space(P);
  if (P->text[P->pos] == '%') P->pos++;
  size_t start = P->pos;
  while (is_id_char(P->text[P->pos])) P->pos++;
  if (P->pos == start) return perr(P, "expected a name");
  *out = (wc_str){P->text + start, (uint32_t)(P->pos - start)};
  return true;
}

static bool peek(ht_parse *P, char c) { skip_space(P); return P->text[P->pos] == c; }
static bool accept(ht_parse *P, char c) { if (!peek(P, c)) return false; P->pos++; return true; }
static bool expect(ht_parse *P, char c) { return accept(P, c) || perr(P, "expected '%c'", c); }
static bool is_word(wc_str s, const char *w) { return s.len == strlen(w) && !memcmp(s.ptr, w, s.len); }

static const struct { const char *name; wc_prim p; } prims[] = {
  {"bool", WC_BOOL}, {"s8", WC_S8}, {"u8", WC_U8}, {"s16", WC_S16}, {"u16", WC_U16}, {"s32", WC_S32},
  {"u32", WC_U32}, {"s64", WC_S64}, {"u64", WC_U64}, {"f32", WC_F32}, {"f64", WC_F64}, {"float32", WC_F32},
  {"float64", WC_F64}, {"char", WC_CHAR}, {"string", WC_STRING},
};

static bool valtype(ht_parse *P, wc_val *out);

/* own<R> or borrow<R> of resource entry `e`, made once per entry (every
 * method's `self` names one: this keeps the arena and the parse small). */
static bool handle_of(ht_parse *P, ht_name *e, wc_type_kind kind, wc_val *out) {
  uint32_t *cached = kind == WC_T_OWN ? &e->own : &e->borrow;
  if (*cached != WC_NONE) { *out = *cached; return true; }
  wc_type t;
  memset(&t, 0, sizeof t);
  t.kind = kind;
  t.resource = e->type;
  if (!add_type(P->h, &t, out)) return false;
  *cached = *out;
  return true;
}

/* `own<R>` / `borrow<R>` after the keyword. */
static bool handle(ht_parse *P, wc_type_kind kind, wc_val *out) {
  wc_str n;
  if (!expect(P, '<') || !ident(P, &n)) return false;
  ht_name *e = ns_lookup(P->ns, n);
  if (!e || !e->resource) return perr(P, "%.*s is not a resource", (int)n.len, n.ptr);
  return expect(P, '>') && handle_of(P, e, kind, out);
}

/* `result`, `result<T>`, `result<_, E>`, `result<T, E>` after the keyword. */
static bool result_type(ht_parse *P, wc_val *out) {
  wc_type t;
  memset(&t, 0, sizeof t);
  t.kind = WC_T_RESULT;
  if (!(t.items = calloc(2, sizeof *t.items))) return fail(P->h, "out of memory");
  t.nitems = 2;
  bool ok = true;
  if (accept(P, '<')) {
    if (accept(P, '_')) ok = peek(P, ',') || perr(P, "result<_> needs an error type");
    else ok = valtype(P, &t.items[0].type) && (t.items[0].has_type = true);
    if (ok && accept(P, ',')) ok = valtype(P, &t.items[1].type) && (t.items[1].has_type = true);
    ok = ok && expect(P, '>');
  }
  if (!ok) { wc_type_release(&t); return false; }
  return add_type(P->h, &t, out);
}

/* `tuple<T, ...>` after the keyword. */
static bool tuple_type(ht_parse *P, wc_val *out) {
  wc_type t;
  memset(&t, 0, sizeof t);
  t.kind = WC_T_TUPLE;
  bool ok = expect(P, '<');
  uint32_t cap = 0;
  while (ok) {
    if (!rt_grow((void **)&t.items, &cap, t.nitems + 1, sizeof *t.items)) { ok = fail(P->h, "out of memory"); break; }
    wc_item *it = &t.items[t.nitems++];
    memset(it, 0, sizeof *it);
    ok = valtype(P, &it->type) && (it->has_type = true);
    if (ok && !accept(P, ',')) break;
  }
  ok = ok && expect(P, '>');
  if (!ok) { wc_type_release(&t); return false; }
  return add_type(P->h, &t, out);
}

static bool valtype_inner(ht_parse *P, wc_val *out) {
  size_t at = (skip_space(P), P->pos);
  wc_str n;
  if (!ident(P, &n)) return false;
  for (size_t i = 0; i < sizeof prims / sizeof prims[0]; i++)
    if (is_word(n, prims[i].name)) { *out = WC_PRIM_BIT | prims[i].p; return true; }
  if (is_word(n, "list") || is_word(n, "option")) {
    wc_type t;
    memset(&t, 0, sizeof t);
    t.kind = is_word(n, "list") ? WC_T_LIST : WC_T_OPTION;
    return expect(P, '<') && valtype(P, &t.elem) && expect(P, '>') && add_type(P->h, &t, out);
  }
  if (is_word(n, "result")) return result_type(P, out);
  if (is_word(n, "tuple")) return tuple_type(P, out);
  if (is_word(n, "own")) return handle(P, WC_T_OWN, out);
  if (is_word(n, "borrow")) return handle(P, WC_T_BORROW, out);
  ht_name *e = ns_lookup(P->ns, n);
  if (!e) { P->pos = at; return perr(P, "unknown type %.*s", (int)n.len, n.ptr); }
  if (!e->resource) { *out = e->type; return true; }
  return handle_of(P, e, WC_T_OWN, out);   /* a bare resource name is an owned handle, as in WIT */
}

static bool valtype(ht_parse *P, wc_val *out) {
  if (++P->depth > WC_MAX_TYPE_DEPTH) return perr(P, "types nested more than %u deep", WC_MAX_TYPE_DEPTH);
  bool ok = valtype_inner(P, out);
  P->depth--;
  return ok;
}

static bool has_name(const wc_item *v, uint32_t n, wc_str name) {
  for (uint32_t i = 0; i < n; i++)
    if (wc_str_eq(v[i].name, name)) return true;
  return false;
}

/* `{ item, ... }` of a record (typed: "name: T"), variant (optional "(T)"),
 * enum or flags (names only); a trailing comma is allowed. */
static bool items(ht_parse *P, wc_type *t, const char *what) {
  if (!expect(P, '{')) return false;
  uint32_t cap = 0;
  while (!accept(P, '}')) {
    wc_str name;
    if (!ident(P, &name)) return false;
    if (has_name(t->items, t->nitems, name)) return perr(P, "%s %.*s appears twice", what, (int)name.len, name.ptr);
    if (!rt_grow((void **)&t->items, &cap, t->nitems + 1, sizeof *t->items)) return fail(P->h, "out of memory");
    wc_item *it = &t->items[t->nitems++];
    memset(it, 0, sizeof *it);
    it->name = name;
    if (t->kind == WC_T_RECORD) {
      if (!expect(P, ':') || !valtype(P, &it->type)) return false;
      it->has_type = true;
    } else if (t->kind == WC_T_VARIANT && accept(P, '(')) {
      if (!valtype(P, &it->type) || !expect(P, ')')) return false;
      it->has_type = true;
    }
    if (!accept(P, ',')) { if (!expect(P, '}')) return false; break; }
  }
  if (!t->nitems) return perr(P, "a %s needs at least one item", what);
  if (t->kind == WC_T_FLAGS && t->nitems > 32) return perr(P, "flags with more than 32 labels");
  return true;
}

/* `use IFACE.{a, b as c};` after the keyword. */
static bool use_decl(ht_parse *P) {
  skip_space(P);
  const char *start = P->text + P->pos, *dot = strstr(start, ".{");
  if (!dot || dot == start) return perr(P, "expected INTERFACE.{names}");
  char iface[128];
  size_t n = (size_t)(dot - start);
  if (n >= sizeof iface) return perr(P, "interface name too long");
  memcpy(iface, start, n);
  iface[n] = 0;
  ht_ns *from = ns_find(P->h, iface);
  if (!from) return perr(P, "unknown interface %s", iface);
  P->pos += n + 2;
  while (!accept(P, '}')) {
    wc_str name, as;
    if (!ident(P, &name)) return false;
    as = name;
    skip_space(P);
    if (!strncmp(P->text + P->pos, "as", 2) && !is_id_char(P->text[P->pos + 2])) {
      P->pos += 2;
      if (!ident(P, &as)) return false;
    }
    const ht_name *e = ns_lookup(from, name);
    if (!e) return perr(P, "%s has no type %.*s", from->iface, (int)name.len, name.ptr);
    if (!ns_add(P->h, P->ns, as, e->type, e->resource)) return false;
    if (!accept(P, ',')) { if (!expect(P, '}')) return false; break; }
  }
  accept(P, ';');
  return true;
}

static bool definition(ht_parse *P) {
  wc_str kw, name;
  if (!ident(P, &kw)) return false;
  if (is_word(kw, "use")) return use_decl(P);
  if (!ident(P, &name)) return false;
  if (ns_lookup(P->ns, name)) return perr(P, "type %.*s is defined twice", (int)name.len, name.ptr);
  wc_val id;
  if (is_word(kw, "type")) {
    if (!expect(P, '=')) return false;
    /* `type headers = fields;` names the resource itself (as in WIT), not own<fields> */
    size_t at = P->pos;
    wc_str rhs;
    if (ident(P, &rhs) && !peek(P, '<')) {
      const ht_name *e = ns_lookup(P->ns, rhs);
      if (e && e->resource) {
        accept(P, ';');
        return ns_add(P->h, P->ns, name, e->type, true);
      }
    }
    P->pos = at;
    P->h->msg[0] = 0;
    if (!valtype(P, &id)) return false;
    accept(P, ';');
    return ns_add(P->h, P->ns, name, id, false);
  }
  wc_type t;
  memset(&t, 0, sizeof t);
  t.name = name;
  if (is_word(kw, "record")) t.kind = WC_T_RECORD;
  else if (is_word(kw, "variant")) t.kind = WC_T_VARIANT;
  else if (is_word(kw, "enum")) t.kind = WC_T_ENUM;
  else if (is_word(kw, "flags")) t.kind = WC_T_FLAGS;
  else return perr(P, "expected use, type, record, variant, enum or flags");
  if (!items(P, &t, kw.ptr[0] == 'r' ? "field" : kw.ptr[0] == 'v' ? "case" : "label")) {
    wc_type_release(&t);
    return false;
  }
  accept(P, ';');
  return add_type(P->h, &t, &id) && ns_add(P->h, P->ns, name, id, false);
}

static bool parse_begin(wc_htypes *h, ht_parse *P, const char *iface, const char *text) {
  memset(P, 0, sizeof *P);
  P->h = h;
  h->msg[0] = 0;
  if (!(P->ns = ns_get(h, iface)) || !(P->text = keep(h, text))) return fail(h, "out of memory");
  return true;
}

bool wc_htypes_define(wc_htypes *h, const char *iface, const char *text) {
  ht_parse P;
  if (!parse_begin(h, &P, iface, text)) return false;
  for (;;) {
    skip_space(&P);
    if (!P.text[P.pos]) return true;
    if (!definition(&P)) return false;
  }
}

bool wc_htypes_func(wc_htypes *h, const char *iface, const char *text, uint32_t *id) {
  ht_parse P;
  if (!parse_begin(h, &P, iface, text)) return false;
  wc_str kw;
  if (!ident(&P, &kw)) return false;
  if (!is_word(kw, "func")) return perr(&P, "expected func");
  wc_type t;
  memset(&t, 0, sizeof t);
  t.kind = WC_T_FUNC;
  uint32_t cap = 0;
  bool ok = expect(&P, '(');
  if (ok && !accept(&P, ')')) {
    for (;;) {
      wc_str name;
      if (!(ok = ident(&P, &name))) break;
      if (has_name(t.items, t.nitems, name)) { ok = perr(&P, "parameter %.*s appears twice", (int)name.len, name.ptr); break; }
      if (!rt_grow((void **)&t.items, &cap, t.nitems + 1, sizeof *t.items)) { ok = fail(h, "out of memory"); break; }
      wc_item *it = &t.items[t.nitems++];
      memset(it, 0, sizeof *it);
      it->name = name;
      if (!(ok = expect(&P, ':') && valtype(&P, &it->type))) break;
      it->has_type = true;
      if (!accept(&P, ',')) { ok = expect(&P, ')'); break; }
    }
  }
  skip_space(&P);
  if (ok && P.text[P.pos] == '-' && P.text[P.pos + 1] == '>') {
    P.pos += 2;
    ok = valtype(&P, &t.result);
    t.has_result = ok;
    if (ok && !wc_val_is_prim(t.result) && h->arena.v[t.result].has_borrow)
      ok = perr(&P, "a function result must not contain a borrow handle");
  }
  if (ok) { skip_space(&P); if (P.text[P.pos]) ok = perr(&P, "unexpected text after the function type"); }
  if (!ok) { wc_type_release(&t); return false; }
  return add_type(h, &t, id);
}

/* ---- the link check -------------------------------------------------------- */

struct wc_hcheck {
  wc_loader L;     /* subtype.c's memo and step count, over the host arena */
  wc_sub sub;
};

wc_hcheck *wc_hcheck_new(const wc_htypes *h, const wc_types *guest) {
  wc_hcheck *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->L.types = (wc_types *)&h->arena;  /* only read */
  wc_sub_init(&c->sub, &c->L);
  c->sub.atypes = guest;
  return c;
}

void wc_hcheck_free(wc_hcheck *c) {
  if (!c) return;
  wc_sub_release(&c->sub);
  free(c->L.eq_memo);
  free(c->L.res_links);
  free(c);
}

bool wc_hcheck_bind(wc_hcheck *c, uint32_t host_res, uint32_t guest_res) {
  wc_sub *s = &c->sub;
  for (uint32_t i = 0; i < s->n; i++)
    if (s->map[i].abstract == host_res && s->map[i].actual == guest_res) return true;
  if (!rt_grow((void **)&s->map, &s->cap, s->n + 1, sizeof *s->map)) return false;
  s->map[s->n].abstract = host_res;
  s->map[s->n++].actual = guest_res;
  return true;
}

bool wc_hcheck_func(wc_hcheck *c, uint32_t host_fn, uint32_t guest_fn, char *why, size_t nwhy, bool *failed) {
  c->sub.why[0] = 0;
  c->sub.oom = c->sub.too_big = false;
  *failed = false;
  if (wc_sub_extern(&c->sub, WC_FUNC, host_fn, guest_fn)) return true;
  *failed = c->sub.oom || c->sub.too_big;
  snprintf(why, nwhy, "%s", c->sub.why);
  return false;
}
