/*
 * canon.h — the Canonical ABI's value layer, synchronous form
 * (component-model CanonicalABI.md): host-side component values, loading and
 * storing them in a guest's linear memory, lifting and lowering them from and
 * to flat core values (with the 16-parameter / 1-result spilling rules),
 * the three string encodings, and the per-instance resource handle table.
 *
 * Nothing here depends on the runtime: guest memory is a view {base, size}
 * that the caller keeps current (realloc may grow memory, so the view is read
 * through a pointer after every realloc), and realloc is a callback. Calling
 * post-return is the caller's business.
 *
 * Traps are values: every operation returns false and fills cx->trap with a
 * one-line message; nothing aborts or longjmps. A trap leaves the instance in
 * an unspecified (but memory-safe) state, as the spec's trap does.
 */
#ifndef WRUN_COMPONENT_CANON_H
#define WRUN_COMPONENT_CANON_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "component/component.h"

#define WC_MAX_STRING_BYTES ((1u << 28) - 1)   /* MAX_STRING_BYTE_LENGTH */
#define WC_MAX_LIST_BYTES   ((1u << 28) - 1)   /* MAX_LIST_BYTE_LENGTH */
#define WC_MAX_HANDLES      ((1u << 28) - 1)   /* Table.MAX_LENGTH */

/* ---- host-side values --------------------------------------------------- */

typedef enum wc_value_kind {
  WC_V_BOOL, WC_V_S8, WC_V_U8, WC_V_S16, WC_V_U16, WC_V_S32, WC_V_U32, WC_V_S64, WC_V_U64,
  WC_V_F32, WC_V_F64, WC_V_CHAR, WC_V_STRING,
  WC_V_LIST,     /* list and fixed-length list: elements */
  WC_V_RECORD,   /* record and tuple: fields in type order */
  WC_V_VARIANT,  /* variant, enum, option (none=0, some=1), result (ok=0, error=1) */
  WC_V_FLAGS,    /* bit i set = label i present */
  WC_V_OWN, WC_V_BORROW
} wc_value_kind;

typedef struct wc_resource_type wc_resource_type;

typedef struct wc_value {
  wc_value_kind kind;
  union {
    bool b;
    int64_t s;               /* s8..s64 */
    uint64_t u;              /* u8..u64 */
    float f32;
    double f64;
    uint32_t ch;             /* a Unicode scalar value */
    struct { const char *ptr; uint32_t len; } str;              /* UTF-8, not NUL-terminated */
    struct { struct wc_value *v; uint32_t n; } seq;             /* list / record */
    struct { uint32_t index; struct wc_value *payload; } var;   /* payload NULL if the case has none */
    uint32_t flags;
    /* A handle's abstract value is the resource's representation, as in the
     * spec: lifting an own/borrow turns a table index into (rt, rep);
     * lowering turns it into an index in the receiving instance's table. */
    struct { const wc_resource_type *rt; uint32_t rep; } handle;
  } u;
} wc_value;

/* A bump arena holding lifted values (their nodes, arrays and string bytes).
 * Everything lifted into an arena is freed at once by wc_arena_free. */
typedef struct wc_arena_chunk wc_arena_chunk;
typedef struct wc_arena {
  wc_arena_chunk *head;
  size_t total;   /* bytes of the live chunks */
  size_t limit;   /* cap on total (0: WC_ARENA_DEFAULT_LIMIT) */
} wc_arena;
/* A guest can describe a value far larger on the host than in its memory (a
 * list<u8> of 2^28 bytes is 2^28 24-byte nodes), so lifting is capped: past
 * the limit wc_arena_alloc fails and the lift traps instead of letting the
 * host overcommit into the OOM killer. */
#define WC_ARENA_DEFAULT_LIMIT ((size_t)1 << 30)
void *wc_arena_alloc(wc_arena *a, size_t size);   /* 8-aligned; NULL on OOM or past the limit */
void wc_arena_free(wc_arena *a);                  /* back to empty; reusable */
/* Frees all values but keeps the newest chunk for reuse (per-call lifting
 * without a malloc/free and fresh page faults on every call). */
void wc_arena_reset(wc_arena *a);

/* ---- traps -------------------------------------------------------------- */
typedef struct wc_trap {
  bool trapped;
  char msg[192];
} wc_trap;

/* ---- resources and the handle table ------------------------------------- */

/* A runtime resource type (one per instantiation of its defining component);
 * identity is the pointer. */
struct wc_resource_type {
  const void *impl;          /* the defining instance (compared with wc_canon_cx.inst) */
  /* The destructor, or NULL. Returns false (having filled *trap) if it trapped. */
  bool (*dtor)(void *ctx, uint32_t rep, wc_trap *trap);
  void *dtor_ctx;
};

typedef struct wc_handle {
  const wc_resource_type *rt;  /* NULL: a free slot */
  uint32_t rep;
  bool own;
  uint32_t lends;              /* borrows currently lent out of this handle */
  uint32_t next_free;          /* free slots: the next free index (0 = none) */
} wc_handle;

/* One per component instance. Index 0 is reserved (never valid). */
typedef struct wc_handle_table {
  wc_handle *v;
  uint32_t n, cap;             /* n includes the reserved slot 0 */
  uint32_t free_head;          /* most recently freed slot, reused first (0 = none) */
  uint32_t num_borrows;        /* borrow handles lowered into this instance and not yet dropped */
} wc_handle_table;

void wc_handles_init(wc_handle_table *t);
void wc_handles_free(wc_handle_table *t);

/* ---- the lifting/lowering context --------------------------------------- */

typedef struct wc_mem { uint8_t *base; uint64_t size; } wc_mem;

typedef bool (*wc_realloc_fn)(void *ctx, uint32_t old_ptr, uint32_t old_size, uint32_t align,
                              uint32_t new_size, uint32_t *out_ptr);

typedef struct wc_canon_cx {
  const wc_types *types;
  wc_mem *mem;                 /* NULL if the canonopts give no memory */
  wc_string_encoding encoding;
  wc_realloc_fn realloc;       /* NULL if the canonopts give no realloc */
  void *realloc_ctx;
  wc_handle_table *handles;    /* this side's instance's table */
  const void *inst;            /* this side's instance (for the lower-borrow shortcut) */
  const wc_resource_type *const *rtypes; /* runtime resource type by arena id (NULL: unknown) */
  wc_arena *arena;             /* where lifted values are allocated */
  /* Lifting a borrow lends the source handle until the call ends: */
  uint32_t *lenders; uint32_t nlenders, caplenders;  /* owned */
  wc_trap trap;
} wc_canon_cx;

/* Releases what the context owns (the lender list). */
void wc_canon_cx_release(wc_canon_cx *cx);

/* Formats cx->trap and returns false. */
bool wc_canon_trap(wc_canon_cx *cx, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* ---- memory ------------------------------------------------------------- */

/* Loads a value of type t from ptr (alignment and bounds checked). */
bool wc_load(wc_canon_cx *cx, uint32_t ptr, wc_val t, wc_value *out);
/* Stores v (of type t) at ptr, allocating strings and lists with realloc. */
bool wc_store(wc_canon_cx *cx, const wc_value *v, wc_val t, uint32_t ptr);

/* ---- flat values ---------------------------------------------------------
 * A core value is a uint64_t holding its bits: i32 and f32 zero-extended,
 * i64 and f64 whole. With this representation the variant join's coercions
 * (f32<->i32 reinterpretation, i32->i64 extension, i64->i32 wrapping) are the
 * identity on the slot, and a variant's unused slots are 0. */

/* The flattening of t: *n core types (WASM_I32 ...) into out[17]; *n is 17
 * when it has more than 16. */
void wc_flatten(const wc_types *types, wc_val t, uint8_t out[WC_MAX_FLAT_PARAMS + 1], uint32_t *n);
/* Canonical ABI size and alignment of t. */
void wc_abi(const wc_types *types, wc_val t, uint64_t *size, uint64_t *align);

/* Lifts one value from flat[*pos ..] (n slots in all), advancing *pos. */
bool wc_lift_flat(wc_canon_cx *cx, const uint64_t *flat, uint32_t n, uint32_t *pos, wc_val t, wc_value *out);
/* Lowers v into out[*n ..] (cap slots in all), advancing *n. */
bool wc_lower_flat(wc_canon_cx *cx, const wc_value *v, wc_val t, uint64_t *out, uint32_t cap, uint32_t *n);

/* A function's parameters or results: when the values of ts flatten to more
 * than max_flat core values they travel through memory as a tuple.
 * Lifting: flat[0] is then the tuple's address.
 * Lowering: with out_param == NULL the tuple is allocated with realloc and its
 * address is the one flat value (parameters); with an out_param the tuple is
 * stored there and no flat value is produced (results through a return
 * pointer). out has room for max_flat (at least 1) values. */
bool wc_lift_flat_values(wc_canon_cx *cx, uint32_t max_flat, const uint64_t *flat, uint32_t n,
                         const wc_val *ts, uint32_t nts, wc_value *out);
bool wc_lower_flat_values(wc_canon_cx *cx, uint32_t max_flat, const wc_value *vs, const wc_val *ts,
                          uint32_t nts, const uint32_t *out_param, uint64_t *out, uint32_t *nout);

/* ---- the end of a synchronous call --------------------------------------
 * Caller side (the context that lifted the arguments): returns the lends of
 * borrowed handles. Callee side (the context that lowered them): traps if
 * borrow handles lowered into the callee are still in its table. */
void wc_canon_release_lends(wc_canon_cx *cx);
bool wc_canon_check_borrows(wc_canon_cx *cx);

/* ---- canon resource.new / resource.drop / resource.rep ------------------ */
bool wc_resource_new(wc_canon_cx *cx, const wc_resource_type *rt, uint32_t rep, uint32_t *index);
bool wc_resource_drop(wc_canon_cx *cx, const wc_resource_type *rt, uint32_t index);
bool wc_resource_rep(wc_canon_cx *cx, const wc_resource_type *rt, uint32_t index, uint32_t *rep);

#endif
