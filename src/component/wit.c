/*
 * wit.c — printing a validated component's imports and exports as WIT text
 * (for `wrun inspect`): first a `world` listing every import and export in
 * the order the component declares them (interface-named instances by name,
 * as `wasm-tools component wit` prints them, plain names with their types),
 * then the body of each instance-typed import/export as an `interface` block
 * with its types (records, variants, enums, flags, resources with their
 * constructors, methods and static functions) and functions.
 *
 * Printing only reads the arena; value types are printed by name when a
 * type import/export named them, structurally otherwise. Nesting of value
 * types is capped by validation (WC_MAX_TYPE_DEPTH), which bounds recursion.
 */
#include <string.h>

#include "component/component.h"

#define WIT_MAX_INLINE_NODES 1024u

typedef struct printer {
  const wc_component *c;
  FILE *out;
} printer;

static void put_str(printer *p, wc_str s) { fprintf(p->out, "%.*s", (int)s.len, s.ptr); }

static void print_val(printer *p, wc_val v);

/* The structure of a value type (not its name). */
static void print_structure(printer *p, const wc_type *t) {
  FILE *o = p->out;
  switch (t->kind) {
  case WC_T_PRIM: fputs(wc_prim_name(t->prim), o); break;
  case WC_T_LIST: fputs("list<", o); print_val(p, t->elem); fputs(">", o); break;
  case WC_T_FIXED_LIST: fputs("list<", o); print_val(p, t->elem); fprintf(o, ", %u>", t->len); break;
  case WC_T_OPTION: fputs("option<", o); print_val(p, t->elem); fputs(">", o); break;
  case WC_T_TUPLE:
    fputs("tuple<", o);
    for (uint32_t i = 0; i < t->nitems; i++) { if (i) fputs(", ", o); print_val(p, t->items[i].type); }
    fputs(">", o);
    break;
  case WC_T_RESULT:
    fputs("result", o);
    if (t->items[0].has_type || t->items[1].has_type) {
      fputs("<", o);
      if (t->items[0].has_type) print_val(p, t->items[0].type); else fputs("_", o);
      if (t->items[1].has_type) { fputs(", ", o); print_val(p, t->items[1].type); }
      fputs(">", o);
    }
    break;
  case WC_T_OWN: case WC_T_BORROW: {
    const wc_type *r = wc_type_at(p->c, t->resource);
    if (t->kind == WC_T_BORROW) fputs("borrow<", o);
    if (r->name.len) put_str(p, r->name); else fputs("resource", o);
    if (t->kind == WC_T_BORROW) fputs(">", o);
    break;
  }
  case WC_T_RECORD: case WC_T_VARIANT: case WC_T_ENUM: case WC_T_FLAGS: {
    static const char *const kw[] = {[WC_T_RECORD] = "record", [WC_T_VARIANT] = "variant", [WC_T_ENUM] = "enum",
                                     [WC_T_FLAGS] = "flags"};
    fprintf(o, "%s { ", kw[t->kind]);
    for (uint32_t i = 0; i < t->nitems; i++) {
      if (i) fputs(", ", o);
      put_str(p, t->items[i].name);
      if (t->kind == WC_T_RECORD) { fputs(": ", o); print_val(p, t->items[i].type); }
      if (t->kind == WC_T_VARIANT && t->items[i].has_type) {
        fputs("(", o); print_val(p, t->items[i].type); fputs(")", o);
      }
    }
    fputs(" }", o);
    break;
  }
  case WC_T_RESOURCE: fputs("resource", o); break;
  default: fputs("?", o);
  }
}

static void print_val(printer *p, wc_val v) {
  if (wc_val_is_prim(v)) { fputs(wc_prim_name((wc_prim)(v & 0xff)), p->out); return; }
  const wc_type *t = wc_type_at(p->c, v);
  bool nominal = t->kind == WC_T_RECORD || t->kind == WC_T_VARIANT || t->kind == WC_T_ENUM ||
                 t->kind == WC_T_FLAGS || t->kind == WC_T_RESOURCE || t->kind == WC_T_PRIM ||
                 t->kind == WC_T_LIST || t->kind == WC_T_TUPLE || t->kind == WC_T_OPTION || t->kind == WC_T_RESULT;
  if (t->name.len && nominal && t->kind != WC_T_PRIM) { put_str(p, t->name); return; }
  /* An unnamed type is printed as a tree, which can be exponentially larger
   * than its definition (tuple<t, t> of tuple<t, t> of ...): past a bound,
   * print a reference instead, so printing stays linear in the input. */
  if (t->size > WIT_MAX_INLINE_NODES) { fprintf(p->out, "/* type #%u: %u nodes */", v, t->size); return; }
  print_structure(p, t);
}

/* func(a: T, ...) -> R, skipping the first parameter for methods. */
static void print_func(printer *p, const wc_type *ft, bool skip_self) {
  fputs("(", p->out);
  for (uint32_t i = skip_self ? 1 : 0; i < ft->nitems; i++) {
    if (i > (skip_self ? 1u : 0u)) fputs(", ", p->out);
    put_str(p, ft->items[i].name);
    fputs(": ", p->out);
    print_val(p, ft->items[i].type);
  }
  fputs(")", p->out);
  if (ft->has_result) { fputs(" -> ", p->out); print_val(p, ft->result); }
}

static bool starts(wc_str s, const char *pfx, size_t *n) {
  *n = strlen(pfx);
  return s.len >= *n && memcmp(s.ptr, pfx, *n) == 0;
}

/* Resource members: [constructor]r, [method]r.m, [static]r.m of resource `r`. */
static bool member_of(wc_str fn, wc_str r, const char **kind, wc_str *member) {
  size_t n;
  if (starts(fn, "[constructor]", &n)) {
    *kind = "constructor";
    member->ptr = fn.ptr + n; member->len = fn.len - (uint32_t)n;
    return member->len == r.len && memcmp(member->ptr, r.ptr, r.len) == 0;
  }
  if (starts(fn, "[method]", &n)) *kind = "method";
  else if (starts(fn, "[static]", &n)) *kind = "static";
  else return false;
  if (fn.len < n + r.len + 1 || memcmp(fn.ptr + n, r.ptr, r.len) != 0 || fn.ptr[n + r.len] != '.') return false;
  member->ptr = fn.ptr + n + r.len + 1;
  member->len = fn.len - (uint32_t)(n + r.len + 1);
  return true;
}

static bool is_member_name(wc_str fn) {
  size_t n;
  return starts(fn, "[constructor]", &n) || starts(fn, "[method]", &n) || starts(fn, "[static]", &n);
}

/* The instance import/export of the world whose type export named `t`. */
static const wc_extern *origin_of(printer *p, const wc_type *t) {
  const wc_type *ct = wc_type_at(p->c, p->c->type);
  for (int pass = 0; pass < 2; pass++) {
    const wc_extern *v = pass ? ct->exports : ct->imports;
    uint32_t n = pass ? ct->nexports : ct->nimports;
    for (uint32_t i = 0; i < n; i++) {
      if (v[i].sort != WC_INSTANCE) continue;
      const wc_type *it = wc_type_at(p->c, v[i].type);
      for (uint32_t k = 0; k < it->nexports; k++)
        if (it->exports[k].sort == WC_TYPE && it->exports[k].name.ptr == t->name.ptr) return &v[i];
    }
  }
  return NULL;
}

/* The body of an instance type: types then functions, as WIT items. */
static void print_interface_body(printer *p, const wc_type *it, const char *indent) {
  FILE *o = p->out;
  bool first = true, prev_use = false;
  for (uint32_t i = 0; i < it->nexports; i++) {
    const wc_extern *e = &it->exports[i];
    if (e->sort != WC_TYPE) continue;
    const wc_type *t = wc_type_at(p->c, e->type);
    bool own_name = t->name.ptr == e->name.ptr;
    bool is_use = !own_name && origin_of(p, t);
    /* items are separated by a blank line, consecutive `use`s are not (as wit-parser prints) */
    if (!first && !(is_use && prev_use)) fputs("\n", o);
    first = false;
    prev_use = is_use;
    fputs(indent, o);
    const wc_extern *origin = own_name ? NULL : origin_of(p, t);
    if (origin) {
      /* a type another interface of the world defines: `use` it */
      fputs("use ", o); put_str(p, origin->name); fputs(".{", o); put_str(p, t->name);
      if (!(t->name.len == e->name.len && memcmp(t->name.ptr, e->name.ptr, e->name.len) == 0)) {
        fputs(" as ", o); put_str(p, e->name);
      }
      fputs("};\n", o);
      continue;
    }
    if (!own_name) {
      /* a type defined elsewhere and re-exported under this name */
      fputs("type ", o); put_str(p, e->name); fputs(" = ", o);
      if (t->name.len) put_str(p, t->name); else print_structure(p, t);
      fputs(";\n", o);
      continue;
    }
    switch (t->kind) {
    case WC_T_RESOURCE: {
      fputs("resource ", o); put_str(p, e->name);
      bool any = false;
      for (uint32_t k = 0; k < it->nexports; k++) {
        const wc_extern *f = &it->exports[k];
        const char *kind;
        wc_str member;
        if (f->sort != WC_FUNC || !member_of(f->name, e->name, &kind, &member)) continue;
        if (!any) fputs(" {\n", o);
        any = true;
        const wc_type *ft = wc_type_at(p->c, f->type);
        fprintf(o, "%s  ", indent);
        if (strcmp(kind, "constructor") == 0) {
          fputs("constructor", o);
          wc_type tmp = *ft;
          tmp.has_result = false; /* the constructor's own<r> result is implied */
          print_func(p, &tmp, false);
        } else {
          put_str(p, member);
          fputs(strcmp(kind, "static") == 0 ? ": static func" : ": func", o);
          print_func(p, ft, strcmp(kind, "method") == 0);
        }
        fputs(";\n", o);
      }
      fprintf(o, any ? "%s}\n" : ";\n", indent);
      break;
    }
    case WC_T_RECORD: case WC_T_VARIANT: case WC_T_ENUM: case WC_T_FLAGS: {
      static const char *const kw[] = {[WC_T_RECORD] = "record", [WC_T_VARIANT] = "variant", [WC_T_ENUM] = "enum",
                                       [WC_T_FLAGS] = "flags"};
      fprintf(o, "%s ", kw[t->kind]); put_str(p, e->name); fputs(" {\n", o);
      for (uint32_t k = 0; k < t->nitems; k++) {
        fprintf(o, "%s  ", indent);
        put_str(p, t->items[k].name);
        if (t->kind == WC_T_RECORD) { fputs(": ", o); print_val(p, t->items[k].type); }
        if (t->kind == WC_T_VARIANT && t->items[k].has_type) { fputs("(", o); print_val(p, t->items[k].type); fputs(")", o); }
        fputs(",\n", o);
      }
      fprintf(o, "%s}\n", indent);
      break;
    }
    default:
      fputs("type ", o); put_str(p, e->name); fputs(" = ", o); print_structure(p, t); fputs(";\n", o);
    }
  }
  for (uint32_t i = 0; i < it->nexports; i++) {
    const wc_extern *e = &it->exports[i];
    if (e->sort != WC_FUNC || is_member_name(e->name)) continue;
    if (!first) fputs("\n", o);
    first = false;
    fputs(indent, o);
    put_str(p, e->name);
    fputs(": func", o);
    print_func(p, wc_type_at(p->c, e->type), false);
    fputs(";\n", o);
  }
  for (uint32_t i = 0; i < it->nexports; i++) {
    const wc_extern *e = &it->exports[i];
    if (e->sort == WC_FUNC || e->sort == WC_TYPE) continue;
    fprintf(o, "%s/* %s ", indent, wc_sort_name(e->sort));
    put_str(p, e->name);
    fputs(" */\n", o);
  }
}

static bool is_interface_name(wc_str s) { return memchr(s.ptr, ':', s.len) != NULL; }

static void print_world_item(printer *p, const char *dir, const wc_extern *e) {
  FILE *o = p->out;
  /* (a value's `type` is a wc_val, possibly a primitive: only look types up by sort) */
  const wc_type *t = e->sort == WC_INSTANCE || e->sort == WC_FUNC || e->sort == WC_TYPE ? wc_type_at(p->c, e->type) : NULL;
  fprintf(o, "  %s ", dir);
  put_str(p, e->name);
  switch (e->sort) {
  case WC_INSTANCE:
    if (is_interface_name(e->name)) { fputs(";\n", o); return; }
    fputs(": interface {\n", o);
    print_interface_body(p, t, "    ");
    fputs("  }\n", o);
    return;
  case WC_FUNC: fputs(": func", o); print_func(p, t, false); fputs(";\n", o); return;
  case WC_TYPE:
    fputs(": type ", o);
    print_structure(p, t);
    fputs(";\n", o);
    return;
  default:
    fprintf(o, "; /* %s */\n", wc_sort_name(e->sort));
  }
}

void wc_print_wit(const wc_component *c, const char *name, FILE *out) {
  printer p = {.c = c, .out = out};
  const wc_type *ct = wc_type_at(c, c->type);
  fprintf(out, "package root:component;\n\nworld %s {\n", name);
  for (uint32_t i = 0; i < ct->nimports; i++) print_world_item(&p, "import", &ct->imports[i]);
  if (ct->nimports && ct->nexports) fputs("\n", out);
  for (uint32_t i = 0; i < ct->nexports; i++) print_world_item(&p, "export", &ct->exports[i]);
  fputs("}\n", out);
  /* the interfaces the world names, with their contents */
  for (int pass = 0; pass < 2; pass++) {
    const wc_extern *v = pass ? ct->exports : ct->imports;
    uint32_t n = pass ? ct->nexports : ct->nimports;
    for (uint32_t i = 0; i < n; i++) {
      if (v[i].sort != WC_INSTANCE || !is_interface_name(v[i].name)) continue;
      fprintf(out, "\n/// %s %.*s\n", pass ? "exported" : "imported", (int)v[i].name.len, v[i].name.ptr);
      const char *slash = memchr(v[i].name.ptr, '/', v[i].name.len);
      const char *end = v[i].name.ptr + v[i].name.len;
      const char *at = slash ? memchr(slash, '@', (size_t)(end - slash)) : NULL;
      int len = slash ? (int)((at ? at : end) - slash - 1) : 0;
      fprintf(out, "interface %.*s {\n", len, slash ? slash + 1 : "");
      print_interface_body(&p, wc_type_at(c, v[i].type), "  ");
      fputs("}\n", out);
    }
  }
}

void wc_print_item_type(const wc_component *c, wc_sort sort, uint32_t type, FILE *out) {
  printer p = {.c = c, .out = out};
  switch (sort) {
  case WC_FUNC: fputs("func", out); print_func(&p, wc_type_at(c, type), false); return;
  case WC_TYPE: fputs("type ", out); print_structure(&p, wc_type_at(c, type)); return;
  case WC_INSTANCE: fputs("interface", out); return;
  default: fputs(wc_sort_name(sort), out);
  }
}
