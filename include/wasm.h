/*
 * wasm.h — the standard WebAssembly C API (WebAssembly/wasm-c-api) as wrun
 * implements it. A host written against that API compiles against this
 * header unchanged and links with `pkg-config --libs wrun`; wrun's own
 * additions (tiers, fuel, deadlines, memory limits, WASI, error values) are
 * in wrun.h, which includes this header. docs/embedding.md explains the API.
 *
 * Ownership. A parameter or result marked `own` transfers ownership: the
 * receiver must eventually delete it (wasm_X_delete), and an `own` argument
 * is consumed by the call. Unmarked pointers are borrowed: valid as long as
 * the object they came from. An `own` vector out-parameter is filled by the
 * call and freed by the caller with wasm_X_vec_delete, which deletes its
 * elements too.
 *
 * Objects. Engines hold configuration; a store holds the runtime state
 * (instances, functions, memories, tables, globals) of one thread of
 * execution. Handles of runtime objects (wasm_func_t, wasm_memory_t, ...)
 * are references: deleting a handle frees the handle, while the object it
 * names lives until its store is deleted. Every handle made in a store must
 * be deleted before the store. Modules are independent of stores.
 *
 * Threads. An engine and a module may be used from several threads at once
 * (a module via wasm_module_share/obtain, or directly: wrun's modules are
 * immutable once made). A store and everything made in it belong to one
 * thread at a time.
 *
 * Functions that can fail return NULL / false / a trap; they never abort on
 * bad input. The reason is available through wrun.h (wrun_module_new,
 * wrun_instance_new) for hosts that want it.
 */
#ifndef WASM_H
#define WASM_H

#include <assert.h> /* hosts written for the standard header expect it to bring assert */
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>

#ifdef __cplusplus
extern "C" {
#endif

#ifndef WASM_API_EXTERN
#define WASM_API_EXTERN
#endif

/* ---- scalars and the ownership marker ----------------------------------- */

typedef char byte_t;
typedef float float32_t;
typedef double float64_t;

/* Marks a transfer of ownership (see the top of this file). Defined only
 * within this header. */
#define own

/* ---- declaration patterns -------------------------------------------------
 * Most of the API is made of a few repeated shapes; these macros spell each
 * shape once. X below is the short name (valtype, func, ...). */

/* An opaque type wasm_X_t deleted with wasm_X_delete. */
#define WASM_OWN_DECL(X) \
  typedef struct wasm_##X##_t wasm_##X##_t; \
  WASM_API_EXTERN void wasm_##X##_delete(own wasm_##X##_t *);

/* wasm_X_vec_t: `size` elements at `data` (elements are pointers when
 * PTR is `*`). new_empty makes {0, NULL}; new_uninitialized allocates `size`
 * zeroed elements; new takes ownership of the elements given (the array is
 * copied); copy deep-copies; delete frees the elements and the array and
 * leaves {0, NULL}. */
#define WASM_VEC_DECL(X, PTR) \
  typedef struct wasm_##X##_vec_t { \
    size_t size; \
    wasm_##X##_t PTR *data; \
  } wasm_##X##_vec_t; \
  WASM_API_EXTERN void wasm_##X##_vec_new_empty(own wasm_##X##_vec_t *out); \
  WASM_API_EXTERN void wasm_##X##_vec_new_uninitialized(own wasm_##X##_vec_t *out, size_t size); \
  WASM_API_EXTERN void wasm_##X##_vec_new(own wasm_##X##_vec_t *out, size_t size, \
                                         own wasm_##X##_t PTR const data[]); \
  WASM_API_EXTERN void wasm_##X##_vec_copy(own wasm_##X##_vec_t *out, const wasm_##X##_vec_t *src); \
  WASM_API_EXTERN void wasm_##X##_vec_delete(own wasm_##X##_vec_t *);

/* A type description: owned, copyable, with a vector of owned pointers. */
#define WASM_TYPE_DECL(X) \
  WASM_OWN_DECL(X) \
  WASM_VEC_DECL(X, *) \
  WASM_API_EXTERN own wasm_##X##_t *wasm_##X##_copy(const wasm_##X##_t *);

/* A reference-like object: copy makes another handle to the same object,
 * same tells whether two handles name the same object, and every handle
 * carries one host pointer with an optional finalizer (run when that handle
 * is deleted). */
#define WASM_REF_BASE_DECL(X) \
  WASM_OWN_DECL(X) \
  WASM_API_EXTERN own wasm_##X##_t *wasm_##X##_copy(const wasm_##X##_t *); \
  WASM_API_EXTERN bool wasm_##X##_same(const wasm_##X##_t *, const wasm_##X##_t *); \
  WASM_API_EXTERN void *wasm_##X##_get_host_info(const wasm_##X##_t *); \
  WASM_API_EXTERN void wasm_##X##_set_host_info(wasm_##X##_t *, void *); \
  WASM_API_EXTERN void wasm_##X##_set_host_info_with_finalizer(wasm_##X##_t *, void *, void (*)(void *));

/* ... that can also be viewed as a generic wasm_ref_t (borrowed views: the
 * result is the same handle, not a new one; NULL when the kind differs). */
#define WASM_REF_DECL(X) \
  WASM_REF_BASE_DECL(X) \
  WASM_API_EXTERN wasm_ref_t *wasm_##X##_as_ref(wasm_##X##_t *); \
  WASM_API_EXTERN wasm_##X##_t *wasm_ref_as_##X(wasm_ref_t *); \
  WASM_API_EXTERN const wasm_ref_t *wasm_##X##_as_ref_const(const wasm_##X##_t *); \
  WASM_API_EXTERN const wasm_##X##_t *wasm_ref_as_##X##_const(const wasm_ref_t *);

/* ... that can also be handed to another thread: share makes a store-less
 * token, obtain turns it into a handle usable in a store of that thread. */
#define WASM_SHARABLE_REF_DECL(X) \
  WASM_REF_DECL(X) \
  WASM_OWN_DECL(shared_##X) \
  WASM_API_EXTERN own wasm_shared_##X##_t *wasm_##X##_share(const wasm_##X##_t *); \
  WASM_API_EXTERN own wasm_##X##_t *wasm_##X##_obtain(wasm_store_t *, const wasm_shared_##X##_t *);

/* ---- bytes and names ------------------------------------------------------ */

typedef byte_t wasm_byte_t;
WASM_VEC_DECL(byte, )

/* Names are byte vectors (not NUL-terminated unless made with _nt). */
typedef wasm_byte_vec_t wasm_name_t;
#define wasm_name wasm_byte_vec
#define wasm_name_new wasm_byte_vec_new
#define wasm_name_new_empty wasm_byte_vec_new_empty
#define wasm_name_new_new_uninitialized wasm_byte_vec_new_uninitialized
#define wasm_name_copy wasm_byte_vec_copy
#define wasm_name_delete wasm_byte_vec_delete

static inline void wasm_name_new_from_string(own wasm_name_t *out, const char *s) {
  wasm_name_new(out, strlen(s), s);
}
/* The same with the terminating NUL counted in the size. */
static inline void wasm_name_new_from_string_nt(own wasm_name_t *out, const char *s) {
  wasm_name_new(out, strlen(s) + 1, s);
}

/* ---- engine and store ------------------------------------------------------ */

/* Configuration for an engine (wrun.h's wrun_config_* set its fields). */
WASM_OWN_DECL(config)
WASM_API_EXTERN own wasm_config_t *wasm_config_new(void);

/* An engine: configuration shared by its stores; safe to share between threads. */
WASM_OWN_DECL(engine)
WASM_API_EXTERN own wasm_engine_t *wasm_engine_new(void);
/* Takes ownership of the configuration. */
WASM_API_EXTERN own wasm_engine_t *wasm_engine_new_with_config(own wasm_config_t *);

/* A store of runtime objects. The engine must outlive it. NULL on failure. */
WASM_OWN_DECL(store)
WASM_API_EXTERN own wasm_store_t *wasm_store_new(wasm_engine_t *);

/* ---- types -------------------------------------------------------------------- */

typedef uint8_t wasm_mutability_t;
enum wasm_mutability_enum { WASM_CONST, WASM_VAR };

/* Limits in pages (memories) or elements (tables). */
typedef struct wasm_limits_t {
  uint32_t min;
  uint32_t max;
} wasm_limits_t;
/* The `max` meaning "no maximum". */
static const uint32_t wasm_limits_max_default = 0xffffffff;

WASM_TYPE_DECL(valtype)

typedef uint8_t wasm_valkind_t;
/* WASM_V128 is an extension: types may mention it, values cannot carry it. */
enum wasm_valkind_enum { WASM_I32, WASM_I64, WASM_F32, WASM_F64, WASM_V128, WASM_EXTERNREF = 128, WASM_FUNCREF };

/* NULL for a kind that is not one of the above. */
WASM_API_EXTERN own wasm_valtype_t *wasm_valtype_new(wasm_valkind_t);
/* The kind a value type was made with. */
WASM_API_EXTERN wasm_valkind_t wasm_valtype_kind(const wasm_valtype_t *);

static inline bool wasm_valkind_is_num(wasm_valkind_t k) { return k < WASM_EXTERNREF; }
static inline bool wasm_valkind_is_ref(wasm_valkind_t k) { return k >= WASM_EXTERNREF; }
static inline bool wasm_valtype_is_num(const wasm_valtype_t *t) { return wasm_valkind_is_num(wasm_valtype_kind(t)); }
static inline bool wasm_valtype_is_ref(const wasm_valtype_t *t) { return wasm_valkind_is_ref(wasm_valtype_kind(t)); }

WASM_TYPE_DECL(functype)
/* Takes ownership of both vectors' contents (the vectors are left empty). */
WASM_API_EXTERN own wasm_functype_t *wasm_functype_new(own wasm_valtype_vec_t *params, own wasm_valtype_vec_t *results);
/* The parameter and result types (borrowed from the function type). */
WASM_API_EXTERN const wasm_valtype_vec_t *wasm_functype_params(const wasm_functype_t *);
WASM_API_EXTERN const wasm_valtype_vec_t *wasm_functype_results(const wasm_functype_t *);

WASM_TYPE_DECL(globaltype)
/* A global's value type (taken over) and mutability; the accessors borrow. */
WASM_API_EXTERN own wasm_globaltype_t *wasm_globaltype_new(own wasm_valtype_t *, wasm_mutability_t);
WASM_API_EXTERN const wasm_valtype_t *wasm_globaltype_content(const wasm_globaltype_t *);
WASM_API_EXTERN wasm_mutability_t wasm_globaltype_mutability(const wasm_globaltype_t *);

WASM_TYPE_DECL(tabletype)
/* A table's element type (taken over; it must be a reference type, else
 * NULL and it is deleted) and limits (copied); the accessors borrow. */
WASM_API_EXTERN own wasm_tabletype_t *wasm_tabletype_new(own wasm_valtype_t *, const wasm_limits_t *);
WASM_API_EXTERN const wasm_valtype_t *wasm_tabletype_element(const wasm_tabletype_t *);
WASM_API_EXTERN const wasm_limits_t *wasm_tabletype_limits(const wasm_tabletype_t *);

WASM_TYPE_DECL(memorytype)
/* A memory's limits in pages (copied); the accessor borrows. */
WASM_API_EXTERN own wasm_memorytype_t *wasm_memorytype_new(const wasm_limits_t *);
WASM_API_EXTERN const wasm_limits_t *wasm_memorytype_limits(const wasm_memorytype_t *);

/* Any of the four above; the as_ conversions are borrowed views of the same
 * object (NULL when the kind differs). */
WASM_TYPE_DECL(externtype)

typedef uint8_t wasm_externkind_t;
enum wasm_externkind_enum { WASM_EXTERN_FUNC, WASM_EXTERN_GLOBAL, WASM_EXTERN_TABLE, WASM_EXTERN_MEMORY };

/* Which of the four an extern type is. */
WASM_API_EXTERN wasm_externkind_t wasm_externtype_kind(const wasm_externtype_t *);

WASM_API_EXTERN wasm_externtype_t *wasm_functype_as_externtype(wasm_functype_t *);
WASM_API_EXTERN wasm_externtype_t *wasm_globaltype_as_externtype(wasm_globaltype_t *);
WASM_API_EXTERN wasm_externtype_t *wasm_tabletype_as_externtype(wasm_tabletype_t *);
WASM_API_EXTERN wasm_externtype_t *wasm_memorytype_as_externtype(wasm_memorytype_t *);
WASM_API_EXTERN wasm_functype_t *wasm_externtype_as_functype(wasm_externtype_t *);
WASM_API_EXTERN wasm_globaltype_t *wasm_externtype_as_globaltype(wasm_externtype_t *);
WASM_API_EXTERN wasm_tabletype_t *wasm_externtype_as_tabletype(wasm_externtype_t *);
WASM_API_EXTERN wasm_memorytype_t *wasm_externtype_as_memorytype(wasm_externtype_t *);
WASM_API_EXTERN const wasm_externtype_t *wasm_functype_as_externtype_const(const wasm_functype_t *);
WASM_API_EXTERN const wasm_externtype_t *wasm_globaltype_as_externtype_const(const wasm_globaltype_t *);
WASM_API_EXTERN const wasm_externtype_t *wasm_tabletype_as_externtype_const(const wasm_tabletype_t *);
WASM_API_EXTERN const wasm_externtype_t *wasm_memorytype_as_externtype_const(const wasm_memorytype_t *);
WASM_API_EXTERN const wasm_functype_t *wasm_externtype_as_functype_const(const wasm_externtype_t *);
WASM_API_EXTERN const wasm_globaltype_t *wasm_externtype_as_globaltype_const(const wasm_externtype_t *);
WASM_API_EXTERN const wasm_tabletype_t *wasm_externtype_as_tabletype_const(const wasm_externtype_t *);
WASM_API_EXTERN const wasm_memorytype_t *wasm_externtype_as_memorytype_const(const wasm_externtype_t *);

/* One import of a module: its module name, field name and type. */
WASM_TYPE_DECL(importtype)
/* Takes over both names and the type; the accessors borrow. */
WASM_API_EXTERN own wasm_importtype_t *wasm_importtype_new(own wasm_name_t *module, own wasm_name_t *name,
                                                          own wasm_externtype_t *);
WASM_API_EXTERN const wasm_name_t *wasm_importtype_module(const wasm_importtype_t *);
WASM_API_EXTERN const wasm_name_t *wasm_importtype_name(const wasm_importtype_t *);
WASM_API_EXTERN const wasm_externtype_t *wasm_importtype_type(const wasm_importtype_t *);

/* One export of a module: its name and type. */
WASM_TYPE_DECL(exporttype)
/* Takes over the name and the type; the accessors borrow. */
WASM_API_EXTERN own wasm_exporttype_t *wasm_exporttype_new(own wasm_name_t *, own wasm_externtype_t *);
WASM_API_EXTERN const wasm_name_t *wasm_exporttype_name(const wasm_exporttype_t *);
WASM_API_EXTERN const wasm_externtype_t *wasm_exporttype_type(const wasm_exporttype_t *);

/* ---- values ----------------------------------------------------------------- */

struct wasm_ref_t;

/* A value. For the reference kinds `ref` is an owned handle or NULL (the
 * null reference). */
typedef struct wasm_val_t {
  wasm_valkind_t kind;
  union {
    int32_t i32;
    int64_t i64;
    float32_t f32;
    float64_t f64;
    struct wasm_ref_t *ref;
  } of;
} wasm_val_t;

/* Deletes the reference a value holds (nothing for numbers). */
WASM_API_EXTERN void wasm_val_delete(own wasm_val_t *v);
/* Copies a value, making a new handle for a reference. */
WASM_API_EXTERN void wasm_val_copy(own wasm_val_t *out, const wasm_val_t *);

WASM_VEC_DECL(val, )

/* ---- references, frames, traps, foreign objects ------------------------------- */

/* Any runtime object, viewed generically (funcref and externref values). */
WASM_REF_BASE_DECL(ref)

/* One frame of a trap's trace: the instance and defined-or-imported function
 * index running there, and where in it (see docs/embedding.md for what the
 * offsets mean in wrun). */
WASM_OWN_DECL(frame)
WASM_VEC_DECL(frame, *)
/* A copy of a frame; the instance of a frame is borrowed from it. */
WASM_API_EXTERN own wasm_frame_t *wasm_frame_copy(const wasm_frame_t *);
WASM_API_EXTERN struct wasm_instance_t *wasm_frame_instance(const wasm_frame_t *);
WASM_API_EXTERN uint32_t wasm_frame_func_index(const wasm_frame_t *);
WASM_API_EXTERN size_t wasm_frame_func_offset(const wasm_frame_t *);
WASM_API_EXTERN size_t wasm_frame_module_offset(const wasm_frame_t *);

/* A NUL-terminated message (the NUL is counted in `size`). */
typedef wasm_name_t wasm_message_t;

/* A trap: a message and, when it came from wasm code, the frames active
 * then. Host functions return one to make their caller trap. */
WASM_REF_DECL(trap)
/* A trap with a copy of the message (no frames); the message gets its
 * terminating NUL if it lacks one. */
WASM_API_EXTERN own wasm_trap_t *wasm_trap_new(wasm_store_t *store, const wasm_message_t *);
/* The message, NUL-terminated, into `out` (owned by the caller). */
WASM_API_EXTERN void wasm_trap_message(const wasm_trap_t *, own wasm_message_t *out);
/* The innermost frame, or NULL when there is none (a trap made by the host). */
WASM_API_EXTERN own wasm_frame_t *wasm_trap_origin(const wasm_trap_t *);
/* Every frame, innermost first. */
WASM_API_EXTERN void wasm_trap_trace(const wasm_trap_t *, own wasm_frame_vec_t *out);

/* An object with no contents but its host info: an externref a host can
 * pass into wasm and recognise when it comes back. */
WASM_REF_DECL(foreign)
WASM_API_EXTERN own wasm_foreign_t *wasm_foreign_new(wasm_store_t *);

/* ---- modules ---------------------------------------------------------------------- */

/* A decoded and validated module. Independent of the store it was made
 * with; usable in any store of any engine with the same tier settings. */
WASM_SHARABLE_REF_DECL(module)
/* NULL when the bytes are not a valid module (wrun_module_new says why).
 * The bytes are copied. */
WASM_API_EXTERN own wasm_module_t *wasm_module_new(wasm_store_t *, const wasm_byte_vec_t *binary);
/* Whether the bytes are a valid module (nothing is kept). */
WASM_API_EXTERN bool wasm_module_validate(wasm_store_t *, const wasm_byte_vec_t *binary);
/* The module's imports and exports, in module order, into `out` (owned). */
WASM_API_EXTERN void wasm_module_imports(const wasm_module_t *, own wasm_importtype_vec_t *out);
WASM_API_EXTERN void wasm_module_exports(const wasm_module_t *, own wasm_exporttype_vec_t *out);
/* A wrun compiled artifact (.cwasm, as `wrun compile` writes): the module
 * with its native code, compiled now if it was not yet. Empty on failure. */
WASM_API_EXTERN void wasm_module_serialize(const wasm_module_t *, own wasm_byte_vec_t *out);
/* Loads such an artifact. It runs native code as it is: give it only bytes
 * you made or trust. NULL if damaged or built by another wrun or CPU. */
WASM_API_EXTERN own wasm_module_t *wasm_module_deserialize(wasm_store_t *, const wasm_byte_vec_t *);

/* ---- functions ----------------------------------------------------------------------- */

WASM_REF_DECL(func)

/* A host function: `args` has one value per parameter, `results` has room
 * for one per result (write each, kind included). Return NULL, or a trap
 * (owned by the caller) to make the call trap. */
typedef own wasm_trap_t *(*wasm_func_callback_t)(const wasm_val_vec_t *args, own wasm_val_vec_t *results);
typedef own wasm_trap_t *(*wasm_func_callback_with_env_t)(void *env, const wasm_val_vec_t *args,
                                                           wasm_val_vec_t *results);

WASM_API_EXTERN own wasm_func_t *wasm_func_new(wasm_store_t *, const wasm_functype_t *, wasm_func_callback_t);
/* `env` is passed to every call; `finalizer` (may be NULL) is called on it
 * when the store is deleted. */
WASM_API_EXTERN own wasm_func_t *wasm_func_new_with_env(wasm_store_t *, const wasm_functype_t *type,
                                                       wasm_func_callback_with_env_t, void *env,
                                                       void (*finalizer)(void *));
/* The function's type (owned), and its numbers of parameters and results. */
WASM_API_EXTERN own wasm_functype_t *wasm_func_type(const wasm_func_t *);
WASM_API_EXTERN size_t wasm_func_param_arity(const wasm_func_t *);
WASM_API_EXTERN size_t wasm_func_result_arity(const wasm_func_t *);
/* Calls the function. `args` must match its parameters (else a trap saying
 * so, without calling); `results` needs room for its results (else, after
 * the call, a trap saying so, unless the call trapped first). Returns NULL
 * on success, else the trap (owned). */
WASM_API_EXTERN own wasm_trap_t *wasm_func_call(const wasm_func_t *, const wasm_val_vec_t *args,
                                               wasm_val_vec_t *results);

/* ---- globals, tables, memories ------------------------------------------------------- */

WASM_REF_DECL(global)
/* A global of the type with the initial value (which must be of its kind);
 * NULL otherwise. The type is copied. */
WASM_API_EXTERN own wasm_global_t *wasm_global_new(wasm_store_t *, const wasm_globaltype_t *, const wasm_val_t *);
/* Its type (owned), and its current value into `out` (owned). */
WASM_API_EXTERN own wasm_globaltype_t *wasm_global_type(const wasm_global_t *);
WASM_API_EXTERN void wasm_global_get(const wasm_global_t *, own wasm_val_t *out);
/* Ignored for an immutable global or a value of the wrong kind. */
WASM_API_EXTERN void wasm_global_set(wasm_global_t *, const wasm_val_t *);

WASM_REF_DECL(table)
typedef uint32_t wasm_table_size_t;
/* A table of the type's minimum size, every entry `init` (borrowed; NULL for
 * null). Its type (owned) has the current size as minimum. */
WASM_API_EXTERN own wasm_table_t *wasm_table_new(wasm_store_t *, const wasm_tabletype_t *, wasm_ref_t *init);
WASM_API_EXTERN own wasm_tabletype_t *wasm_table_type(const wasm_table_t *);
/* NULL for a null entry or an index out of bounds. */
WASM_API_EXTERN own wasm_ref_t *wasm_table_get(const wasm_table_t *, wasm_table_size_t index);
/* Sets an entry (the reference is borrowed); false out of bounds or for a
 * reference of the wrong kind. */
WASM_API_EXTERN bool wasm_table_set(wasm_table_t *, wasm_table_size_t index, wasm_ref_t *);
/* Entries now; grow adds `delta` entries set to `init`, false past the maximum. */
WASM_API_EXTERN wasm_table_size_t wasm_table_size(const wasm_table_t *);
WASM_API_EXTERN bool wasm_table_grow(wasm_table_t *, wasm_table_size_t delta, wasm_ref_t *init);

WASM_REF_DECL(memory)
typedef uint32_t wasm_memory_pages_t;
static const size_t MEMORY_PAGE_SIZE = 0x10000;
/* A memory of the type's minimum size (NULL past the engine's memory limit).
 * Its type (owned) has the current size as minimum. */
WASM_API_EXTERN own wasm_memory_t *wasm_memory_new(wasm_store_t *, const wasm_memorytype_t *);
WASM_API_EXTERN own wasm_memorytype_t *wasm_memory_type(const wasm_memory_t *);
/* The memory's bytes: valid until the memory grows or its store is deleted. */
WASM_API_EXTERN byte_t *wasm_memory_data(wasm_memory_t *);
WASM_API_EXTERN size_t wasm_memory_data_size(const wasm_memory_t *);
/* Size in pages; grow fails (false) beyond the maximum or the engine's limit. */
WASM_API_EXTERN wasm_memory_pages_t wasm_memory_size(const wasm_memory_t *);
WASM_API_EXTERN bool wasm_memory_grow(wasm_memory_t *, wasm_memory_pages_t delta);

/* ---- externals: any of the four, as imports and exports ------------------------------ */

WASM_REF_DECL(extern)
WASM_VEC_DECL(extern, *)
/* Which of the four an extern is, and its type (owned). */
WASM_API_EXTERN wasm_externkind_t wasm_extern_kind(const wasm_extern_t *);
WASM_API_EXTERN own wasm_externtype_t *wasm_extern_type(const wasm_extern_t *);

/* Borrowed views of one handle as another kind (NULL when the kind differs). */
WASM_API_EXTERN wasm_extern_t *wasm_func_as_extern(wasm_func_t *);
WASM_API_EXTERN wasm_extern_t *wasm_global_as_extern(wasm_global_t *);
WASM_API_EXTERN wasm_extern_t *wasm_table_as_extern(wasm_table_t *);
WASM_API_EXTERN wasm_extern_t *wasm_memory_as_extern(wasm_memory_t *);
WASM_API_EXTERN wasm_func_t *wasm_extern_as_func(wasm_extern_t *);
WASM_API_EXTERN wasm_global_t *wasm_extern_as_global(wasm_extern_t *);
WASM_API_EXTERN wasm_table_t *wasm_extern_as_table(wasm_extern_t *);
WASM_API_EXTERN wasm_memory_t *wasm_extern_as_memory(wasm_extern_t *);
WASM_API_EXTERN const wasm_extern_t *wasm_func_as_extern_const(const wasm_func_t *);
WASM_API_EXTERN const wasm_extern_t *wasm_global_as_extern_const(const wasm_global_t *);
WASM_API_EXTERN const wasm_extern_t *wasm_table_as_extern_const(const wasm_table_t *);
WASM_API_EXTERN const wasm_extern_t *wasm_memory_as_extern_const(const wasm_memory_t *);
WASM_API_EXTERN const wasm_func_t *wasm_extern_as_func_const(const wasm_extern_t *);
WASM_API_EXTERN const wasm_global_t *wasm_extern_as_global_const(const wasm_extern_t *);
WASM_API_EXTERN const wasm_table_t *wasm_extern_as_table_const(const wasm_extern_t *);
WASM_API_EXTERN const wasm_memory_t *wasm_extern_as_memory_const(const wasm_extern_t *);

/* ---- instances ------------------------------------------------------------------------- */

WASM_REF_DECL(instance)
/* Instantiates `module` with one extern per module import, in import order.
 * On failure returns NULL and, when `trap` is not NULL, stores a trap there
 * saying why (a trap in the start function, or a link error). */
WASM_API_EXTERN own wasm_instance_t *wasm_instance_new(wasm_store_t *, const wasm_module_t *,
                                                      const wasm_extern_vec_t *imports, own wasm_trap_t **trap);
/* One extern per module export, in export order. */
WASM_API_EXTERN void wasm_instance_exports(const wasm_instance_t *, own wasm_extern_vec_t *out);

/* ---- conveniences (inline: not library symbols) ---------------------------------------- */

#define WASM_EMPTY_VEC {0, NULL}
#define WASM_ARRAY_VEC(array) {sizeof(array) / sizeof(*(array)), array}

#define WASM_I32_VAL(x) {.kind = WASM_I32, .of = {.i32 = (x)}}
#define WASM_I64_VAL(x) {.kind = WASM_I64, .of = {.i64 = (x)}}
#define WASM_F32_VAL(x) {.kind = WASM_F32, .of = {.f32 = (x)}}
#define WASM_F64_VAL(x) {.kind = WASM_F64, .of = {.f64 = (x)}}
#define WASM_REF_VAL(r) {.kind = WASM_EXTERNREF, .of = {.ref = (r)}}
#define WASM_INIT_VAL {.kind = WASM_EXTERNREF, .of = {.ref = NULL}}

static inline own wasm_valtype_t *wasm_valtype_new_i32(void) { return wasm_valtype_new(WASM_I32); }
static inline own wasm_valtype_t *wasm_valtype_new_i64(void) { return wasm_valtype_new(WASM_I64); }
static inline own wasm_valtype_t *wasm_valtype_new_f32(void) { return wasm_valtype_new(WASM_F32); }
static inline own wasm_valtype_t *wasm_valtype_new_f64(void) { return wasm_valtype_new(WASM_F64); }
static inline own wasm_valtype_t *wasm_valtype_new_externref(void) { return wasm_valtype_new(WASM_EXTERNREF); }
static inline own wasm_valtype_t *wasm_valtype_new_funcref(void) { return wasm_valtype_new(WASM_FUNCREF); }

/* wasm_functype_new_P_R: a function type from P parameter and R result
 * types (all owned), for P up to 3 and R up to 2. */
static inline own wasm_functype_t *wasm_functype_from_arrays_(size_t np, wasm_valtype_t *const *ps, size_t nr,
                                                             wasm_valtype_t *const *rs) {
  wasm_valtype_vec_t p, r;
  wasm_valtype_vec_new(&p, np, ps);
  wasm_valtype_vec_new(&r, nr, rs);
  return wasm_functype_new(&p, &r);
}
static inline own wasm_functype_t *wasm_functype_new_0_0(void) {
  wasm_valtype_t *ps[1] = {NULL}, *rs[1] = {NULL};
  return wasm_functype_from_arrays_(0, ps, 0, rs);
}
static inline own wasm_functype_t *wasm_functype_new_0_1(own wasm_valtype_t *r) {
  wasm_valtype_t *ps[1] = {NULL}, *rs[1] = {r};
  return wasm_functype_from_arrays_(0, ps, 1, rs);
}
static inline own wasm_functype_t *wasm_functype_new_0_2(own wasm_valtype_t *r1, own wasm_valtype_t *r2) {
  wasm_valtype_t *ps[1] = {NULL}, *rs[2] = {r1, r2};
  return wasm_functype_from_arrays_(0, ps, 2, rs);
}
static inline own wasm_functype_t *wasm_functype_new_1_0(own wasm_valtype_t *p) {
  wasm_valtype_t *ps[1] = {p}, *rs[1] = {NULL};
  return wasm_functype_from_arrays_(1, ps, 0, rs);
}
static inline own wasm_functype_t *wasm_functype_new_1_1(own wasm_valtype_t *p, own wasm_valtype_t *r) {
  wasm_valtype_t *ps[1] = {p}, *rs[1] = {r};
  return wasm_functype_from_arrays_(1, ps, 1, rs);
}
static inline own wasm_functype_t *wasm_functype_new_1_2(own wasm_valtype_t *p, own wasm_valtype_t *r1, own wasm_valtype_t *r2) {
  wasm_valtype_t *ps[1] = {p}, *rs[2] = {r1, r2};
  return wasm_functype_from_arrays_(1, ps, 2, rs);
}
static inline own wasm_functype_t *wasm_functype_new_2_0(own wasm_valtype_t *p1, own wasm_valtype_t *p2) {
  wasm_valtype_t *ps[2] = {p1, p2}, *rs[1] = {NULL};
  return wasm_functype_from_arrays_(2, ps, 0, rs);
}
static inline own wasm_functype_t *wasm_functype_new_2_1(own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *r) {
  wasm_valtype_t *ps[2] = {p1, p2}, *rs[1] = {r};
  return wasm_functype_from_arrays_(2, ps, 1, rs);
}
static inline own wasm_functype_t *wasm_functype_new_2_2(own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *r1, own wasm_valtype_t *r2) {
  wasm_valtype_t *ps[2] = {p1, p2}, *rs[2] = {r1, r2};
  return wasm_functype_from_arrays_(2, ps, 2, rs);
}
static inline own wasm_functype_t *wasm_functype_new_3_0(own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *p3) {
  wasm_valtype_t *ps[3] = {p1, p2, p3}, *rs[1] = {NULL};
  return wasm_functype_from_arrays_(3, ps, 0, rs);
}
static inline own wasm_functype_t *wasm_functype_new_3_1(own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *p3, own wasm_valtype_t *r) {
  wasm_valtype_t *ps[3] = {p1, p2, p3}, *rs[1] = {r};
  return wasm_functype_from_arrays_(3, ps, 1, rs);
}
static inline own wasm_functype_t *wasm_functype_new_3_2(own wasm_valtype_t *p1, own wasm_valtype_t *p2, own wasm_valtype_t *p3, own wasm_valtype_t *r1, own wasm_valtype_t *r2) {
  wasm_valtype_t *ps[3] = {p1, p2, p3}, *rs[2] = {r1, r2};
  return wasm_functype_from_arrays_(3, ps, 2, rs);
}

/* Values carrying a host pointer as an integer of pointer width. */
static inline void wasm_val_init_ptr(own wasm_val_t *out, void *p) {
  if (sizeof(void *) == 4) {
    out->kind = WASM_I32;
    out->of.i32 = (int32_t)(intptr_t)p;
  } else {
    out->kind = WASM_I64;
    out->of.i64 = (int64_t)(intptr_t)p;
  }
}
static inline void *wasm_val_ptr(const wasm_val_t *val) {
  return sizeof(void *) == 4 ? (void *)(intptr_t)val->of.i32 : (void *)(intptr_t)val->of.i64;
}

#undef own

#ifdef __cplusplus
}
#endif
#endif
