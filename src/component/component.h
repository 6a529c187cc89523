/*
 * component.h — the in-memory form of a decoded and validated component
 * (component-model Binary.md, version 0x0d, layer 1): the IR that `wrun
 * inspect` prints and that instantiation (not written yet) will walk.
 *
 * One pass decodes and validates: a component's index spaces are built
 * incrementally, definition by definition, and every index must be checked
 * against the spaces as they stand at that point, so the grammar (MALFORMED
 * errors) and the typing rules (INVALID errors) are checked together while
 * the bytes are read. Errors are ordinary rt_error records with byte offsets.
 *
 * Ownership:
 *  - The root wc_component owns a private copy of the input (`bytes`); every
 *    name (wc_str) points into that copy, nested components included.
 *  - The root owns the type arena (`types`): every type of every nested
 *    component, component type and instance type lives there and is named by
 *    its arena id (uint32_t). Types are immutable once added and refer to
 *    earlier ids only, so the type graph is a DAG with no cycles.
 *  - Each wc_component owns its definitions (`defs`), its decoded core modules
 *    (`modules`, validated by src/valid) and its nested components.
 *  Everything is released by wc_component_free on the root.
 *
 * Index spaces: one per sort (core func/table/memory/global/tag/type/module/
 * instance; func, value, type, component, instance). Every entry is the arena
 * id of the entry's type: a core func's core function type, a core instance's
 * export list, a component func's function type, and so on. `spaces[s][i]` is
 * the type of index i of sort s in the final component.
 */
#ifndef WRUN_COMPONENT_COMPONENT_H
#define WRUN_COMPONENT_COMPONENT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binary/module.h"
#include "common/error.h"

#define WC_NONE UINT32_MAX

/* Implementation limits (exceeding one is a WRUN_ERR_LIMIT error). */
#define WC_MAX_DEPTH      100u      /* nested components and component/instance types */
#define WC_MAX_TYPE_DEPTH 100u      /* value types nested in value types */
#define WC_MAX_TYPE_SIZE  1000000u  /* nodes of one value type counted as a tree */
#define WC_MAX_ITEMS      100000u   /* entries of one index space, fields of one type */
#define WC_MAX_FLAT_PARAMS  16u     /* canonical ABI */
#define WC_MAX_FLAT_RESULTS 1u

/* A name: bytes in the root's copy of the binary (valid UTF-8, not NUL-terminated). */
typedef struct wc_str { const char *ptr; uint32_t len; } wc_str;

/* Sorts, in one numbering for core and component index spaces. */
typedef enum wc_sort {
  WC_CORE_FUNC, WC_CORE_TABLE, WC_CORE_MEMORY, WC_CORE_GLOBAL, WC_CORE_TAG,
  WC_CORE_TYPE, WC_CORE_MODULE, WC_CORE_INSTANCE,
  WC_FUNC, WC_VALUE, WC_TYPE, WC_COMPONENT, WC_INSTANCE,
  WC_NSORTS
} wc_sort;

/* "core func", "type", "instance", ... */
const char *wc_sort_name(wc_sort s);

/* Primitive value types, by their binary code. */
typedef enum wc_prim {
  WC_BOOL = 0x7f, WC_S8 = 0x7e, WC_U8 = 0x7d, WC_S16 = 0x7c, WC_U16 = 0x7b, WC_S32 = 0x7a,
  WC_U32 = 0x79, WC_S64 = 0x78, WC_U64 = 0x77, WC_F32 = 0x76, WC_F64 = 0x75, WC_CHAR = 0x74,
  WC_STRING = 0x73, WC_ERROR_CONTEXT = 0x64
} wc_prim;

/* The WIT (and WAVE) name of a primitive type: "u32", "string", ... */
const char *wc_prim_name(wc_prim p);

/* A value type: a primitive (WC_PRIM_BIT | code) or the arena id of a defined
 * value type. */
typedef uint32_t wc_val;
#define WC_PRIM_BIT 0x80000000u
static inline bool wc_val_is_prim(wc_val v) { return (v & WC_PRIM_BIT) != 0; }

typedef enum wc_type_kind {
  /* defined value types */
  WC_T_PRIM,        /* a type definition that is just a primitive: `prim` */
  WC_T_RECORD,      /* items: fields (name, type) */
  WC_T_VARIANT,     /* items: cases (name, optional type) */
  WC_T_LIST,        /* elem */
  WC_T_FIXED_LIST,  /* elem, len */
  WC_T_TUPLE,       /* items: types (no names) */
  WC_T_FLAGS,       /* items: labels */
  WC_T_ENUM,        /* items: labels */
  WC_T_OPTION,      /* elem */
  WC_T_RESULT,      /* items[0] ok, items[1] error, each with has_type */
  WC_T_OWN,         /* resource: arena id of a WC_T_RESOURCE */
  WC_T_BORROW,      /* resource */
  /* other component types */
  WC_T_FUNC,        /* items: params; has_result/result */
  WC_T_COMPONENT,   /* imports and exports */
  WC_T_INSTANCE,    /* exports */
  WC_T_RESOURCE,    /* a resource type (defined, imported or exported): rep i32, dtor */
  /* core types */
  WC_T_CORE_FUNC,   /* core: a core function type */
  WC_T_CORE_MODULE, /* imports (core externs with module names) and exports */
  WC_T_CORE_INSTANCE, /* exports */
  WC_T_CORE_OTHER,  /* a core table, memory, global or tag (no further detail kept) */
} wc_type_kind;

/* One field / case / label / parameter. */
typedef struct wc_item {
  wc_str name;
  wc_val type;
  bool has_type;
} wc_item;

/* An import or export in a component/instance type (or a core extern in a core
 * module/instance type). For sort WC_TYPE, `type` is the type it names (a fresh
 * WC_T_RESOURCE for `(sub resource)`). */
typedef struct wc_extern {
  wc_str module;       /* core module imports only: the import's module name */
  wc_str name;
  wc_sort sort;
  uint32_t type;       /* arena id of the item's type */
} wc_extern;

/* A type in the arena. Which fields are used depends on `kind` (see above). */
typedef struct wc_type {
  wc_type_kind kind;
  wc_prim prim;
  uint32_t nitems;
  wc_item *items;                   /* owned */
  wc_val elem;
  uint32_t len;                     /* fixed list */
  uint32_t resource;                /* own/borrow */
  bool has_result;                  /* func */
  wc_val result;
  uint32_t nimports, nexports;
  wc_extern *imports, *exports;     /* owned */
  wm_functype core_func;          /* WC_T_CORE_FUNC; types owned */
  uint32_t dtor;                    /* resource: core func index in its component, or WC_NONE */
  uint32_t owner;                   /* resource: id of the component that defines it (0: imported/abstract) */
  wc_str name;                      /* a name to print it by in WIT (from an import/export), or empty */
  /* Facts computed once when the type is added (value types only), so that no
   * later question walks the type again: */
  uint32_t depth;                   /* nesting depth of value types */
  uint32_t size;                    /* nodes counted as a tree, saturating at WC_MAX_TYPE_SIZE+1 */
  uint64_t abi_size, abi_align;     /* canonical ABI elem_size/alignment (saturating) */
  uint8_t nflat;                    /* flattened core values, saturating at WC_MAX_FLAT_PARAMS+1 */
  uint8_t flat[WC_MAX_FLAT_PARAMS + 1]; /* the first nflat (<= 16) flattened core types */
  bool has_ptr;                     /* contains a string or list (needs memory/realloc) */
  bool has_borrow;                  /* transitively contains a borrow handle */
  bool has_handle;                  /* transitively contains an own or borrow handle (also functions) */
} wc_type;

typedef struct wc_types {
  wc_type *v;
  uint32_t n, cap;
} wc_types;

/* ---- definitions, in the order they appear ------------------------------ */
typedef enum wc_def_kind {
  WC_DEF_CORE_MODULE, WC_DEF_CORE_INSTANCE, WC_DEF_CORE_TYPE, WC_DEF_COMPONENT,
  WC_DEF_INSTANCE, WC_DEF_ALIAS, WC_DEF_TYPE, WC_DEF_CANON, WC_DEF_START,
  WC_DEF_IMPORT, WC_DEF_EXPORT
} wc_def_kind;

/* One argument of an instantiation or one inline export. */
typedef struct wc_arg {
  wc_str name;
  wc_sort sort;
  uint32_t index;
  uint64_t offset;   /* of the argument in the file (for errors) */
} wc_arg;

typedef enum wc_alias_kind { WC_ALIAS_EXPORT, WC_ALIAS_CORE_EXPORT, WC_ALIAS_OUTER } wc_alias_kind;

typedef enum wc_canon_op {
  WC_CANON_LIFT, WC_CANON_LOWER, WC_CANON_RESOURCE_NEW, WC_CANON_RESOURCE_DROP, WC_CANON_RESOURCE_REP
} wc_canon_op;

typedef enum wc_string_encoding { WC_UTF8, WC_UTF16, WC_LATIN1_UTF16 } wc_string_encoding;

typedef struct wc_canon_opts {
  wc_string_encoding encoding;
  uint32_t memory, realloc, post_return;   /* core indices or WC_NONE */
} wc_canon_opts;

typedef struct wc_def {
  wc_def_kind kind;
  uint64_t offset;                  /* of the definition in the binary */
  wc_sort sort;                     /* the sort the definition adds to */
  uint32_t index;                   /* the index it got in that sort's space (WC_NONE if none) */
  union {
    uint32_t module;                /* CORE_MODULE: index into the component's `modules` */
    uint32_t component;             /* COMPONENT: index into `components` */
    struct {                        /* CORE_INSTANCE, INSTANCE */
      bool instantiate;             /* else: a bundle of inline exports */
      uint32_t of;                  /* module / component index (instantiate) */
      uint32_t nargs;
      wc_arg *args;                 /* owned: `with` arguments or inline exports */
    } inst;
    struct {                        /* ALIAS */
      wc_alias_kind how;
      uint32_t instance;            /* export aliases: (core) instance index */
      wc_str name;                  /* export aliases */
      uint32_t outer_count, outer_index; /* outer aliases */
    } alias;
    struct {                        /* CANON */
      wc_canon_op op;
      uint32_t func;                /* lift: core func; lower: component func */
      uint32_t type;                /* lift: func type index; resource.*: resource type index */
      wc_canon_opts opts;
    } canon;
    struct {                        /* START */
      uint32_t func, nargs, nresults;
      uint32_t *args;               /* owned value indices */
    } start;
    struct {                        /* IMPORT, EXPORT */
      wc_str name;
      uint32_t type;                /* arena id of the item's type */
      uint32_t target;              /* EXPORT: the exported index (of `sort`) */
    } ie;
    uint32_t type;                  /* TYPE, CORE_TYPE: arena id */
  } u;
} wc_def;

typedef struct wc_component {
  uint8_t *bytes;                   /* root only: owned copy of the binary (else NULL) */
  size_t size;                      /* root: size of bytes */
  uint64_t offset;                  /* of this component's preamble within the root's bytes */
  uint64_t end;                     /* one past its last byte */
  wc_types *types;                  /* the shared arena; owned by the root */
  uint32_t type;                    /* arena id of this component's WC_T_COMPONENT type */
  uint32_t depth;                   /* 0 for the root */

  wc_def *defs;          uint32_t ndefs;
  wm_module **modules; uint32_t nmodules;      /* owned, decoded and validated */
  struct wc_component **components; uint32_t ncomponents; /* owned */
  uint32_t *spaces[WC_NSORTS];                    /* owned; entries are arena ids */
  uint32_t nspace[WC_NSORTS];
  uint32_t section_count[13];                     /* sections seen, by id */
  uint32_t total_modules;                         /* core modules here and in all nested components */
} wc_component;

/* True when the first 8 bytes are a component preamble (\0asm 0d 00 01 00). */
bool wc_is_component(const uint8_t *bytes, size_t size);

/* Decodes and validates a component. Copies `bytes` (the caller keeps its
 * buffer). Returns NULL and fills `err` (MALFORMED for the grammar, INVALID
 * for typing rules, LIMIT for implementation limits, OOM) on failure. */
wc_component *wc_component_load(const uint8_t *bytes, size_t size, rt_error *err);

/* Frees a root component and everything it owns. NULL is allowed. */
void wc_component_free(wc_component *c);

/* The arena entry for id (which must be valid). */
static inline const wc_type *wc_type_at(const wc_component *c, uint32_t id) { return &c->types->v[id]; }

/* Writes the component's imports and exports as a WIT world named `name`. */
#include <stdio.h>
void wc_print_wit(const wc_component *c, const char *name, FILE *out);
/* Writes the type of one import or export of sort `sort` (type: its arena
 * id) in the same notation: `func(a: u32) -> string`, `type record {...}`,
 * `interface` for an instance, the sort's name for anything else. */
void wc_print_item_type(const wc_component *c, wc_sort sort, uint32_t type, FILE *out);

#endif
