/*
 * component_internal.h — state shared by the component loader's files:
 * decode.c (sections and definitions), types.c (the type arena, type
 * definitions and their canonical-ABI facts) and valid.c (index spaces,
 * names, aliases, instantiation and canonical-function rules).
 */
#ifndef WRUN_COMPONENT_INTERNAL_H
#define WRUN_COMPONENT_INTERNAL_H

#include "binary/reader.h"
#include "component/component.h"

/* A scope with index spaces: a component definition, or a component or
 * instance type (whose declarators build their own, initially empty, spaces).
 * Outer aliases count scopes outward through `outer`. */
typedef struct wc_scope {
  struct wc_scope *outer;
  bool is_type;                     /* component or instance type */
  bool is_instance_type;
  uint32_t id;                      /* component scopes: a number unique in the load (from 1) */
  uint32_t *spaces[WC_NSORTS];
  uint32_t n[WC_NSORTS], cap[WC_NSORTS];
  wc_extern *imports, *exports;     /* the scope's own imports / exports so far */
  uint32_t nimports, nexports, capimports, capexports;
  uint64_t *import_keys, *export_keys; /* hashes of the names' strong-uniqueness forms */
  uint32_t capikeys, capekeys;
} wc_scope;

typedef struct wc_loader {
  wc_types *types;
  rt_error *err;
  uint32_t depth;                   /* scopes currently open */
  uint32_t total_modules;
  uint32_t core_other;              /* arena id of the shared WC_T_CORE_OTHER entry */
  uint32_t ncomponent_scopes;       /* ids handed out to component scopes */
  /* Resource types known to be the same: an abstract imported resource and
   * the resource an instantiate supplied for it (subtype.c), so the types of
   * that instance's exports, which still name the abstract one, match. */
  struct wc_res_link { uint32_t a, b; } *res_links;   /* owned */
  uint32_t nres_links, capres_links;
  /* Pairs of value types without handles found equal (subtype.c), as keys
   * ((uint64_t)expected << 32 | actual) + 1 in an open-addressing set
   * (0 = empty), so that comparing DAG-shaped types costs their number of
   * distinct pairs, not their size as trees; and the comparison steps spent
   * in the whole load, which are bounded. */
  uint64_t *eq_memo;                /* owned */
  uint32_t neq_memo, capeq_memo;    /* capeq_memo: 0 or a power of two */
  uint64_t sub_steps;
} wc_loader;

/* ---- errors ------------------------------------------------------------- */
bool wc_malformed(wc_loader *L, uint64_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool wc_invalid(wc_loader *L, uint64_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool wc_limit(wc_loader *L, uint64_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
bool wc_oom(wc_loader *L, uint64_t at);

/* ---- reading (decode.c) ------------------------------------------------- */
bool wc_read_count(wc_loader *L, wm_reader *r, size_t min_entry, uint32_t *n);
bool wc_read_name(wc_loader *L, wm_reader *r, wc_str *out);
/* nameattributes ::= 0x00 name | 0x01 name | 0x02 name vec(attribute) */
bool wc_read_nameattrs(wc_loader *L, wm_reader *r, wc_str *name);
/* sort ::= 0x00 core:sort | 0x01..0x05 */
bool wc_read_sort(wc_loader *L, wm_reader *r, wc_sort *out);
bool wc_read_core_sort(wc_loader *L, wm_reader *r, wc_sort *out);

/* ---- types (types.c) ---------------------------------------------------- */
/* Appends *t to the arena (taking ownership of its arrays, also on failure),
 * computing its depth/size/ABI facts. Returns the id or WC_NONE. */
uint32_t wc_type_add(wc_loader *L, wc_type *t, uint64_t at);
void wc_type_release(wc_type *t);
/* type ::= deftype, in `s` (a component or a type scope). */
bool wc_read_type(wc_loader *L, wm_reader *r, wc_scope *s, uint32_t *out);
/* core:type, in `s`. */
bool wc_read_core_type(wc_loader *L, wm_reader *r, wc_scope *s, uint32_t *out);
/* externtype; *sort gets the sort it describes and *type its arena id. */
bool wc_read_externtype(wc_loader *L, wm_reader *r, wc_scope *s, wc_sort *sort, uint32_t *type);
/* The core function type an arena id names, or NULL if it is not one. */
const wm_functype *wc_core_functype(wc_loader *L, uint32_t id);
uint32_t wc_core_functype_add(wc_loader *L, const wm_valtype *params, uint32_t np,
                              const wm_valtype *results, uint32_t nr, uint64_t at);
bool wc_functype_equal(const wm_functype *a, const wm_functype *b);
/* Flattening per the canonical ABI: core parameter and result types of
 * function type `ft` lifted (lift=true) or lowered. Arrays hold up to 17. */
void wc_flatten_functype(wc_loader *L, uint32_t ft, bool lift, wm_valtype *params, uint32_t *np,
                         wm_valtype *results, uint32_t *nr);
bool wc_val_has_ptr(wc_loader *L, wc_val v);
uint32_t wc_val_nflat(wc_loader *L, wc_val v);

/* ---- scopes, names and rules (valid.c) ---------------------------------- */
void wc_scope_init(wc_scope *s, wc_scope *outer, bool is_type, bool is_instance_type);
void wc_scope_release(wc_scope *s);
/* Appends an entry of `sort` with type `type`; *index gets its index. */
bool wc_scope_push(wc_loader *L, wc_scope *s, wc_sort sort, uint32_t type, uint64_t at, uint32_t *index);
/* The type of entry `idx` of `sort`, or an INVALID "unknown ..." error. */
bool wc_scope_get(wc_loader *L, wc_scope *s, wc_sort sort, uint32_t idx, uint64_t at, uint32_t *type);
/* Checks an import/export name's grammar, its strong uniqueness among the
 * scope's imports (or exports) and the annotation rules, then records it. */
bool wc_scope_add_extern(wc_loader *L, wc_scope *s, bool is_import, wc_str name, wc_sort sort,
                         uint32_t type, uint64_t at);
/* Checks a (possibly versioned) interface or plain name; exported for tests via decode. */
bool wc_check_extern_name(wc_loader *L, wc_str name, uint64_t at);
bool wc_check_label(wc_str name);
/* alias ::= ... ; in a component (decl=false) or a type declarator. */
bool wc_read_alias(wc_loader *L, wm_reader *r, wc_scope *s, bool decl, wc_def *def);
/* canon ::= ... */
bool wc_read_canon(wc_loader *L, wm_reader *r, wc_scope *s, wc_def *def);
/* Core and component instance definitions. */
bool wc_read_core_instance(wc_loader *L, wm_reader *r, wc_scope *s, wc_def *def);
bool wc_read_instance(wc_loader *L, wm_reader *r, wc_scope *s, wc_def *def);
/* The item named `name` of `sort` among `exports`, or NULL. */
const wc_extern *wc_find_extern(const wc_extern *v, uint32_t n, wc_str name);

static inline bool wc_str_eq(wc_str a, wc_str b) { return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0; }

#endif
