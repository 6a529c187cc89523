/*
 * module.h — the in-memory form of a decoded WebAssembly module (the IR every
 * later stage reads: validator, interpreter, AOT compiler, inspect).
 *
 * Ownership: a wm_module owns a private copy of its binary (`bytes`); function
 * bodies, constant expressions and data payloads are byte ranges into that copy,
 * so they stay valid exactly as long as the module. Every array is owned by the
 * module and released by wm_module_free.
 *
 * Index spaces follow the spec: imported functions/tables/memories/globals come
 * first, in import order, then the module's own definitions. `import_idx` on an
 * entry says which import defined it (UINT32_MAX for a definition).
 *
 * The representation is shaped for WebAssembly 3.0 without accepting it yet:
 * value types can name concrete heap types, type entries carry rec-group and
 * supertype fields, limits carry a 64-bit flag, and tags have an index space.
 */
#ifndef WRUN_BINARY_MODULE_H
#define WRUN_BINARY_MODULE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

#define WASM_NONE_IDX UINT32_MAX

/* ---- value types ------------------------------------------------------
 * A wm_valtype is a number type (its binary code, < 0x100) or a reference
 * type: WASM_REF_BIT | nullable bit | heap type << 10. A heap type below 0x80
 * is an abstract heap type (its binary code); 0x80 + i is the concrete type i. */
typedef uint32_t wm_valtype;

enum {
  WASM_I32 = 0x7F,
  WASM_I64 = 0x7E,
  WASM_F32 = 0x7D,
  WASM_F64 = 0x7C,
  WASM_V128 = 0x7B,
};

enum { /* abstract heap types, by binary code */
  WASM_HT_NOEXN = 0x74, WASM_HT_NOFUNC = 0x73, WASM_HT_NOEXTERN = 0x72, WASM_HT_NONE = 0x71,
  WASM_HT_FUNC = 0x70, WASM_HT_EXTERN = 0x6F, WASM_HT_ANY = 0x6E, WASM_HT_EQ = 0x6D,
  WASM_HT_I31 = 0x6C, WASM_HT_STRUCT = 0x6B, WASM_HT_ARRAY = 0x6A, WASM_HT_EXN = 0x69,
};

#define WASM_REF_BIT       (1u << 8)
#define WASM_NULLABLE_BIT  (1u << 9)
#define WASM_MAKE_REF(nullable, heap) (WASM_REF_BIT | ((nullable) ? WASM_NULLABLE_BIT : 0) | ((uint32_t)(heap) << 10))
#define WASM_HT_CONCRETE(typeidx) (0x80u + (typeidx))
#define WASM_FUNCREF   WASM_MAKE_REF(1, WASM_HT_FUNC)
#define WASM_EXTERNREF WASM_MAKE_REF(1, WASM_HT_EXTERN)

static inline bool wm_valtype_is_ref(wm_valtype t) { return (t & WASM_REF_BIT) != 0; }
static inline bool wm_valtype_is_num(wm_valtype t) { return t >= WASM_V128 && t <= WASM_I32; }
static inline bool wm_reftype_nullable(wm_valtype t) { return (t & WASM_NULLABLE_BIT) != 0; }
static inline uint32_t wm_reftype_heap(wm_valtype t) { return t >> 10; }

/* Text name of a value type: "i32", "funcref", "(ref null 3)" ... into buf. */
const char *wm_valtype_name(wm_valtype t, char *buf, size_t size);

/* ---- types ------------------------------------------------------------ */
typedef struct wm_functype {
  uint32_t nparams, nresults;
  wm_valtype *types;           /* nparams params, then nresults results; owned */
} wm_functype;

static inline const wm_valtype *wm_functype_params(const wm_functype *f) { return f->types; }
/* (NULL when the type has no values at all: no arithmetic on a null pointer) */
static inline const wm_valtype *wm_functype_results(const wm_functype *f) {
  return f->types ? f->types + f->nparams : NULL;
}

typedef enum wm_comptype_kind { WASM_COMP_FUNC, WASM_COMP_STRUCT, WASM_COMP_ARRAY } wm_comptype_kind;

/* One entry of the type section. In 2.0 every entry is a final function type
 * forming its own recursion group of size 1. */
typedef struct wm_subtype {
  wm_comptype_kind kind;
  bool final;
  uint32_t super;                /* declared supertype index, or WASM_NONE_IDX */
  uint32_t rec_start, rec_size;  /* the recursion group this type belongs to */
  wm_functype func;            /* kind == WASM_COMP_FUNC */
} wm_subtype;

typedef struct wm_limits {
  uint64_t min, max;
  bool has_max;
  bool is64;                     /* memory64 / table64 (3.0) */
  bool shared;                   /* threads */
} wm_limits;

typedef struct wm_tabletype { wm_valtype elem; wm_limits limits; } wm_tabletype;
typedef struct wm_memtype { wm_limits limits; } wm_memtype; /* in 64 KiB pages */
typedef struct wm_globaltype { wm_valtype type; bool mut; } wm_globaltype;

typedef enum wm_extern_kind {
  WASM_EXTERN_FUNC = 0, WASM_EXTERN_TABLE = 1, WASM_EXTERN_MEMORY = 2, WASM_EXTERN_GLOBAL = 3,
  WASM_EXTERN_TAG = 4
} wm_extern_kind;

/* A name from the binary: valid UTF-8, may contain NUL; `ptr` is NUL-terminated
 * for convenience and owned by the module. */
typedef struct wm_name { char *ptr; uint32_t len; } wm_name;

/* A constant expression: the raw instruction bytes through the final `end`. */
typedef struct wm_constexpr {
  const uint8_t *code;
  uint32_t len;
  uint64_t offset;               /* of `code` within the binary */
} wm_constexpr;

/* ---- module entities -------------------------------------------------- */
typedef struct wm_import {
  wm_name module, field;
  wm_extern_kind kind;
  uint32_t index;                /* index in the kind's index space */
  uint64_t offset;               /* of the import entry, for link errors */
} wm_import;

typedef struct wm_func {
  uint32_t type_idx;
  uint32_t import_idx;           /* WASM_NONE_IDX for a defined function */
  /* Defined functions only: */
  uint32_t nlocals;              /* declared locals, not counting params */
  wm_valtype *locals;          /* owned, expanded one entry per local */
  const uint8_t *code;           /* instructions after the local declarations, through the final end */
  uint32_t code_len;
  uint64_t code_offset;          /* offset of `code` in the binary */
  const char *debug_name;        /* from the name section (owned by the module) or NULL */
} wm_func;

typedef struct wm_table {
  wm_tabletype type;
  uint32_t import_idx;
  uint64_t offset;               /* of its type in the binary, for diagnostics */
  bool has_init;                 /* 3.0: table with an explicit init expression */
  wm_constexpr init;
} wm_table;

typedef struct wm_memory {
  wm_memtype type;
  uint32_t import_idx;
  uint64_t offset;               /* of its type in the binary, for diagnostics */
} wm_memory;

typedef struct wm_global {
  wm_globaltype type;
  uint32_t import_idx;
  wm_constexpr init;           /* defined globals */
} wm_global;

typedef struct wm_tag { uint32_t type_idx; uint32_t import_idx; } wm_tag;

typedef struct wm_export {
  wm_name name;
  wm_extern_kind kind;
  uint32_t index;
  uint64_t offset;               /* of the export entry, for diagnostics */
} wm_export;

typedef enum wm_segmode { WASM_SEG_ACTIVE, WASM_SEG_PASSIVE, WASM_SEG_DECLARATIVE } wm_segmode;

typedef struct wm_elem {
  wm_segmode mode;
  uint32_t table;                /* active only */
  wm_constexpr offset;         /* active only */
  wm_valtype type;             /* element reference type */
  uint32_t count;
  uint32_t *func_indices;        /* flags 0-3: count function indices; else NULL */
  wm_constexpr *inits;         /* flags 4-7: count init expressions; else NULL */
  uint64_t offset_in_binary;
} wm_elem;

typedef struct wm_data {
  wm_segmode mode;             /* ACTIVE or PASSIVE */
  uint32_t memory;
  wm_constexpr offset;
  const uint8_t *bytes;
  uint32_t len;
  uint64_t offset_in_binary;
} wm_data;

typedef struct wm_custom {
  wm_name name;
  const uint8_t *bytes;
  uint32_t len;
} wm_custom;

typedef struct wm_module {
  uint8_t *bytes;                /* owned copy of the binary */
  size_t size;

  wm_subtype *types;   uint32_t ntypes;
  wm_import *imports;  uint32_t nimports;
  wm_func *funcs;      uint32_t nfuncs,   nimported_funcs;
  wm_table *tables;    uint32_t ntables,  nimported_tables;
  wm_memory *mems;     uint32_t nmems,    nimported_mems;
  wm_global *globals;  uint32_t nglobals, nimported_globals;
  wm_tag *tags;        uint32_t ntags,    nimported_tags;
  wm_export *exports;  uint32_t nexports;
  wm_elem *elems;      uint32_t nelems;
  wm_data *datas;      uint32_t ndatas;
  wm_custom *customs;  uint32_t ncustoms;
  uint32_t start;                /* WASM_NONE_IDX when there is no start function */
  uint64_t start_offset;         /* of the start section's function index */
  bool has_data_count;
  uint32_t data_count;
  char *name;                    /* module name from the name section, or NULL */

  /* Filled by the validator. */
  bool validated;
  uint8_t *func_declared;        /* nfuncs flags: may appear in ref.func (C.refs) */

  /* Native code for the module's functions (src/aot), compiled once and shared
   * by its instances; a cache the runtime fills, freed with the module. */
  void *aot_image;
  void (*aot_image_free)(void *image);
} wm_module;

/* Implementation limits (decoder rejects beyond these with WRUN_ERR_LIMIT...
 * or MALFORMED where the spec says so). Chosen like the JS embedding's limits. */
#define WASM_MAX_TYPES      1000000u
#define WASM_MAX_FUNCS      1000000u
#define WASM_MAX_IMPORTS    100000u
#define WASM_MAX_EXPORTS    100000u
#define WASM_MAX_LOCALS     50000u   /* params + locals of one function */
#define WASM_MAX_PARAMS     1000u
#define WASM_MAX_RESULTS    1000u
#define WASM_MAX_TABLES     100000u
#define WASM_MAX_MEMORIES   100u
#define WASM_MAX_GLOBALS    1000000u
#define WASM_MAX_SEGMENTS   100000u
#define WASM_MAX_BR_TABLE   65520u
#define WASM_MAX_PAGES32    65536u   /* 4 GiB of 64 KiB pages */
#define WASM_MAX_TABLE_SIZE 10000000u

/* Decodes a binary module. Copies `bytes`, so the caller keeps ownership of its
 * buffer. Checks everything the binary format demands (section order and sizes,
 * LEB128 forms, UTF-8 names, counts that must agree) but not validation rules;
 * function bodies are stored as byte ranges and decoded by the validator.
 * Returns NULL and fills `err` (kind MALFORMED, with byte offset) on failure.
 * The result is freed with wm_module_free. */
wm_module *wm_module_decode(const uint8_t *bytes, size_t size, rt_error *err);

/* Releases a module and everything it owns. NULL is allowed. */
void wm_module_free(wm_module *m);

/* The function type of function `funcidx` (which must be in range). */
const wm_functype *wm_module_func_type(const wm_module *m, uint32_t funcidx);

/* Finds an export by name; returns NULL if absent. */
const wm_export *wm_module_find_export(const wm_module *m, const char *name, size_t len);

#endif
