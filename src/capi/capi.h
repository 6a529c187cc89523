/*
 * capi.h — what the files of src/capi share: the layouts behind the
 * standard C API's handles (include/wasm.h) and wrun.h's objects, built on
 * the runtime's objects (src/runtime/runtime.h).
 *
 * Names: the standard header and the engine's decoded-module header both
 * define WASM_I32, WASM_EXTERN_FUNC and friends (with different values), so
 * this header includes wasm.h with its enumerators renamed to PUB_* and
 * then lets the engine's names mean the engine's values. In src/capi,
 * PUB_I32 / PUB_EXTERN_GLOBAL are the public kinds, WASM_I32 /
 * WASM_EXTERN_GLOBAL the engine's.
 *
 * Handles: every runtime object a host sees (func, global, table, memory,
 * extern, ref, trap, foreign, module, instance) is a small malloc'd
 * capi_ref naming the real object; wasm_X_delete frees the handle only.
 * The runtime objects belong to the runtime store (rt_store_free); the
 * host-function records and externref anchors below belong to the
 * wasm_store_t and are freed with it.
 */
#ifndef WRUN_CAPI_CAPI_H
#define WRUN_CAPI_CAPI_H

#define WASM_I32 PUB_I32
#define WASM_I64 PUB_I64
#define WASM_F32 PUB_F32
#define WASM_F64 PUB_F64
#define WASM_V128 PUB_V128
#define WASM_EXTERNREF PUB_EXTERNREF
#define WASM_FUNCREF PUB_FUNCREF
#define WASM_EXTERN_FUNC PUB_EXTERN_FUNC
#define WASM_EXTERN_GLOBAL PUB_EXTERN_GLOBAL
#define WASM_EXTERN_TABLE PUB_EXTERN_TABLE
#define WASM_EXTERN_MEMORY PUB_EXTERN_MEMORY
#include "wasm.h"
#include "wrun.h"
#undef WASM_I32
#undef WASM_I64
#undef WASM_F32
#undef WASM_F64
#undef WASM_V128
#undef WASM_EXTERNREF
#undef WASM_FUNCREF
#undef WASM_EXTERN_FUNC
#undef WASM_EXTERN_GLOBAL
#undef WASM_EXTERN_TABLE
#undef WASM_EXTERN_MEMORY

#include <pthread.h>
#include <stdatomic.h>

#include "runtime/rt.h"
#include "wasi/wasi.h"

/* What a capi_ref names. The first four are the externs. */
typedef enum capi_kind {
  CAPI_FUNC, CAPI_GLOBAL, CAPI_TABLE, CAPI_MEMORY, CAPI_TRAP, CAPI_FOREIGN, CAPI_MODULE, CAPI_INSTANCE
} capi_kind;

struct capi_trap;
struct capi_module;

/* The one layout of every object handle. `store` is NULL for modules. */
typedef struct capi_ref {
  capi_kind kind;
  wasm_store_t *store;
  void *host_info;
  void (*finalizer)(void *);
  union {
    wrun_func *func;
    rt_global *global;
    rt_table *table;
    rt_memory *memory;
    void *foreign;               /* an identity block owned by the store */
    struct capi_trap *trap;      /* owned by the handle */
    struct capi_module *module;  /* one reference counted */
    wrun_instance *instance;
    void *any;
  } of;
  uint64_t call_sig;             /* CAPI_FUNC: the type packed for wasm_func_call's fast path, 0 if
                                  * it has none (capi_call_sig) */
} capi_ref;

struct wasm_ref_t { capi_ref r; };
struct wasm_extern_t { capi_ref r; };
struct wasm_func_t { capi_ref r; };
struct wasm_global_t { capi_ref r; };
struct wasm_table_t { capi_ref r; };
struct wasm_memory_t { capi_ref r; };
struct wasm_trap_t { capi_ref r; };
struct wasm_foreign_t { capi_ref r; };
struct wasm_module_t { capi_ref r; };
struct wasm_instance_t { capi_ref r; };

/* A module, shared by its handles, the shared tokens and the stores that
 * instantiated it (each holds one reference). */
typedef struct capi_module {
  atomic_int refs;
  wm_module *m;
  rt_config cfg;                 /* of the engine it was made for */
  /* Native code is made when the module is, for an AOT engine; an
   * interpreter engine's module instantiated in an AOT store is compiled
   * then, once, under this lock (stores on other threads may be
   * instantiating it at the same time). */
  pthread_mutex_t compile_mu;
} capi_module;
struct wasm_shared_module_t { capi_module *mod; };

/* One frame of a trap. */
struct wasm_frame_t {
  wasm_instance_t *instance;     /* owned handle, or NULL */
  uint32_t func_index;
  size_t func_offset, module_offset;
};

typedef struct capi_trap {
  char *message;                 /* NUL-terminated, owned */
  wrun_trap_cause_t cause;
  int exit_code;
  uint32_t nframes;
  struct capi_frame_src { wrun_instance *inst; uint32_t index; size_t func_offset, module_offset; } *frames;
} capi_trap;

/* A host function's state (the runtime passes it as the env). */
typedef struct capi_host {
  wasm_store_t *store;
  wasm_func_callback_t cb;
  wasm_func_callback_with_env_t cb_env;
  void *env;
  void (*finalizer)(void *);
  const wm_functype *type;       /* the runtime function's own copy */
  wasm_valkind_t *kinds;         /* public kinds of its parameters, then results (owned) */
  bool numeric;                  /* no references among them: the trampoline's fast path */
} capi_host;

struct wasm_config_t { rt_config cfg; };
struct wasm_engine_t { rt_config cfg; };

struct wasm_store_t {
  wasm_engine_t *engine;
  wrun_store *rt;
  /* freed with the store */
  capi_host **hosts;      uint32_t nhosts, cap_hosts;
  capi_ref **anchors;     uint32_t nanchors, cap_anchors;   /* externref values given to wasm */
  void **foreigns;        uint32_t nforeigns, cap_foreigns; /* foreign identities */
  capi_module **modules;  uint32_t nmodules, cap_modules;   /* modules instantiated here */
  /* WASI (wrun_store_set_wasi) */
  wasi_ctx *wasi;
  wrun_wasi_config_t *wasi_cfg;  /* its configuration (args, env, preopens), owned */
  int stdio_fds[3];              /* descriptors the context uses, owned; -1 none */
  /* the deadline timer (wrun_store_set_deadline) */
  pthread_mutex_t timer_mu;
  pthread_cond_t timer_cv;
  pthread_t timer;
  bool timer_running, timer_stop, timer_armed;
  struct timespec deadline;      /* CLOCK_MONOTONIC */
};

/* wrun.h's WASI configuration; kept by the store it is attached to. */
struct wrun_wasi_config_t {
  char **argv;
  size_t argc;
  char **env;                    /* "NAME=VALUE" */
  size_t envc;
  wasi_preopen *preopens;        /* host_path and guest_path owned */
  size_t npreopens;
  int stdio[3];                  /* owned descriptor, -1 closed for the guest, -2 inherit (or moved
                                    to the store's stdio_fds) */
};

struct wrun_error_t {
  wrun_phase_t phase;
  char message[320];
};

/* ---- types.c -------------------------------------------------------------------- */

/* Engine value types <-> public kinds. The kind of an engine reference type
 * is FUNCREF for function references, EXTERNREF for the rest. */
wasm_valkind_t capi_ref_kind_of(wm_valtype t);
static inline wasm_valkind_t capi_kind_of(wm_valtype t) {
  switch (t) { /* the numeric types inline: this is on every call's path */
  case WASM_I32: return PUB_I32;
  case WASM_I64: return PUB_I64;
  case WASM_F32: return PUB_F32;
  case WASM_F64: return PUB_F64;
  default: return capi_ref_kind_of(t);
  }
}
bool capi_valtype_of(wasm_valkind_t k, wm_valtype *out);

/* Public type objects made from engine types (owned results; NULL if out of
 * memory), and the engine form of public types (false for a type the engine
 * cannot represent). capi_functype_to fills a wm_functype whose `types`
 * the caller frees. */
wasm_functype_t *capi_functype_from(const wm_functype *ft);
bool capi_functype_to(const wasm_functype_t *ft, wm_functype *out);
wasm_globaltype_t *capi_globaltype_from(const wm_globaltype *gt);
bool capi_globaltype_to(const wasm_globaltype_t *gt, wm_globaltype *out);
wasm_tabletype_t *capi_tabletype_from(const wm_tabletype *tt);
bool capi_tabletype_to(const wasm_tabletype_t *tt, wm_tabletype *out);
wasm_memorytype_t *capi_memorytype_from(const wm_memtype *mt);
void capi_memorytype_to(const wasm_memorytype_t *mt, wm_memtype *out);

/* ---- objects.c (used by wrun.c) ----------------------------------------------------- */

/* A new handle of `kind` naming `obj` in `store` (NULL if out of memory). */
capi_ref *capi_ref_new(capi_kind kind, wasm_store_t *store, void *obj);

/* An owned handle for an engine extern of `store`. */
wasm_extern_t *capi_extern_new(wasm_store_t *store, const rt_extern *ex);

/* A new error (NULL if out of memory) from an engine error or a message. */
wrun_error_t *capi_error_from(const rt_error *err);
wrun_error_t *capi_error_new(wrun_phase_t phase, const char *fmt, ...) __attribute__((format(printf, 2, 3)));

/* Appends p to a growable pointer array; false if out of memory. */
bool capi_push(void ***arr, uint32_t *n, uint32_t *cap, void *p);

#endif
