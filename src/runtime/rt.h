/*
 * rt.h — the runtime's object layouts, shared by src/runtime and the tiers above it
 * (src/interp, src/aot; their interface is tier.h).
 * Users outside the engine go through runtime.h.
 */
#ifndef WRUN_RUNTIME_RT_H
#define WRUN_RUNTIME_RT_H

#include <setjmp.h>
#include <signal.h>
#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "runtime/runtime.h"

struct interp_code; /* translated body, owned by its wrun_func (src/interp) */

struct wrun_func {
  const wm_functype *type;     /* the module's type, or own_type for host functions */
  wm_functype own_type;
  wrun_instance *inst;           /* wasm functions: the defining instance */
  uint32_t index;                /* wasm functions: index in the module */
  rt_host_fn host;             /* host functions */
  void *env;
  char *name;                    /* host functions: for backtraces */
  struct interp_code *code;      /* lazily translated */
  const void *aot_entry;         /* compiled code (src/aot), or NULL */
  uint8_t aot_result;            /* with aot_entry: where its result comes back (aot_invoke_at) */
  uint32_t param_slots, result_slots;
};

typedef struct rt_dirty rt_dirty;

struct rt_memory {
  uint8_t *base;                 /* start of the reservation; stable across grow */
  uint64_t size;                 /* accessible bytes */
  uint64_t reserved;             /* bytes of address space reserved (guard pages beyond size) */
  uint64_t max_pages;            /* effective maximum */
  wm_memtype type;
  rt_dirty *dirty;               /* a template instance's written-page record (dirty.c), or NULL */
};

struct rt_table {
  void **elems;
  uint64_t size, cap, max;
  wm_tabletype type;
};

struct rt_global {
  wm_globaltype type;
  uint64_t val[2];               /* v128 uses both */
};

struct wrun_instance {
  const wm_module *module;
  wrun_func **funcs;
  rt_table **tables;
  rt_memory **mems;
  rt_global **globals;
  void ***elem_refs;             /* per element segment: resolved references */
  uint32_t *elem_len;            /* 0 once dropped */
  bool *data_dropped;
  struct aot_code *aot;          /* compiled code (src/aot), or NULL */
  /* made by rt_template_instantiate: the template, and whether the
   * instance is in use (false: in its store's pool, waiting for reuse). Such
   * an instance owns its defined functions, globals, tables and memories
   * (they are not in the store's object list) and is freed by
   * rt_instance_free. */
  const struct rt_template *tmpl;
  uint64_t tmpl_id;              /* that template's rt_template id: a freed template's address may
                                  * be reused by a new one, whose pool must not take this instance */
  wrun_store *pool;              /* the store whose pool it belongs to */
  bool live;
};

/* One activation of the interpreter's call stack: the function running in it
 * and, for the frame below, where to resume. Also what backtraces are made of. */
/* One frame of the store's call stack. The ret_ fields are the interpreter's
 * caller state, restored on return (32 bytes, so depth is a shift away). */
typedef struct rt_frame_info {
  wrun_func *func;
  const void *ret_pc;
  uint64_t *ret_fp;
  struct rt_memory *ret_mem;
} rt_frame_info;

/* A frame of compiled code (the AOT tier) has no interpreter caller state:
 * ret_pc and ret_fp are NULL and ret_mem holds its position instead, 2 x
 * the module offset of its instruction + 1 (odd, so never a memory's
 * address), or NULL when unknown. */
static inline rt_frame_info rt_frame_compiled(struct wrun_func *f, uint32_t module_offset) {
  return (rt_frame_info){f, NULL, NULL, (struct rt_memory *)(uintptr_t)(2 * (uint64_t)module_offset + 1)};
}
/* A compiled frame's module offset, or UINT32_MAX when fr has none. */
static inline uint32_t rt_frame_compiled_offset(const rt_frame_info *fr) {
  uintptr_t v = (uintptr_t)fr->ret_mem;
  return !fr->ret_pc && !fr->ret_fp && (v & 1) ? (uint32_t)(v >> 1) : UINT32_MAX;
}

/* Guard pages: unless WRUN_BOUNDS_CHECKS is set (sanitizer builds set it,
 * because ASan owns SIGSEGV), a 32-bit memory reserves 8 GiB + 64 KiB of
 * address space, enough for any u32 address plus u32 offset plus access size,
 * so loads and stores need no bounds check: an access beyond the memory's
 * size lands on PROT_NONE pages and the fault handler turns it into a trap. */
#if defined(WRUN_SANITIZED) && !defined(WRUN_BOUNDS_CHECKS)
#define WRUN_BOUNDS_CHECKS 1
#endif
#define RT_GUARD_RESERVATION ((UINT64_C(1) << 33) + 65536)

/* The landing point a trap unwinds to (rt_exec.unwind), set by each entry
 * into wasm (interp_invoke, aot_invoke_at) and jumped to by the fault handler
 * (store.c) and the AOT tier's trap helpers. On x86-64 it is the compiler's
 * __builtin_setjmp: three words stored inline, where sigsetjmp is two calls
 * into the C library that store and mangle eight; the entry's own prologue
 * already saves the registers the landing needs back (docs/embedding.md,
 * call overheads: about 3 ns of a 20 ns call). The jump goes to a frame that
 * is still live and may come from a signal handler, as siglongjmp's does.
 * Sanitizer builds keep sigsetjmp/siglongjmp, which ASan and TSan intercept
 * to keep their view of the stack right; so do other targets. */
#if defined(__has_feature)
#if __has_feature(address_sanitizer) || __has_feature(thread_sanitizer) || __has_feature(memory_sanitizer)
#define RT_LANDING_SANITIZED 1
#endif
#endif
#if defined(__SANITIZE_ADDRESS__) || defined(__SANITIZE_THREAD__)
#define RT_LANDING_SANITIZED 1
#endif
#if defined(__x86_64__) && defined(__GNUC__) && !defined(RT_LANDING_SANITIZED)
typedef void *rt_landing[5];
/* 0 when set, 1 when unwound to. A macro: the landing must be in the entry's frame. */
#define RT_LAND(b) __builtin_setjmp(b)
#define RT_UNWIND(b) __builtin_longjmp(b, 1)
#else
typedef sigjmp_buf rt_landing;
/* 0: the signal mask is not saved (two system calls per entry); nothing
 * changes the mask while wasm runs and the fault handler is SA_NODEFER with
 * an empty sa_mask (store.c), so the mask in the handler is the one here. */
#define RT_LAND(b) sigsetjmp(b, 0)
#define RT_UNWIND(b) siglongjmp(b, 1)
#endif

/* Why a landing was reached (rt_exec.unwind_why). */
enum { RT_UNWIND_GUARD_PAGE = 1, RT_UNWIND_TRAP_RECORDED = 2 };

/* The state of one running interp_invoke: where a memory fault unwinds to.
 * Lives on the C stack; the innermost one is reachable through the
 * thread-local rt_current_exec so the SIGSEGV handler can find it. */
typedef struct rt_exec {
  struct rt_exec *outer;         /* enclosing call (host -> wasm re-entry) */
  wrun_store *store;
  rt_landing unwind;
  volatile int unwind_why;       /* RT_UNWIND_*, set before jumping to unwind */
  volatile bool in_wasm;         /* false while a host function runs */
  /* set by aot_invoke: its instance's compiled code, where its entry frame
   * sits in store->frames, and a stack address above every compiled frame it
   * runs (backtraces walk those frames, aot.c) */
  const struct aot_code *aot;
  uint32_t aot_base;
  uintptr_t aot_sp_limit;
} rt_exec;

/* Thread-locals read on every entry into wasm. In libwrun.so the default
 * (general-dynamic) model makes each access a call to __tls_get_addr, two to
 * four per host -> wasm call; initial-exec reads them at a fixed offset from
 * the thread pointer, as in an executable. The cost: the library's few such
 * bytes come from the static TLS block, which glibc keeps room in for
 * libraries loaded with dlopen. */
#if defined(__GNUC__)
#define RT_TLS_FAST __attribute__((tls_model("initial-exec")))
#else
#define RT_TLS_FAST
#endif

/* The innermost execution context of this thread (NULL outside wasm). */
extern _Thread_local RT_TLS_FAST rt_exec *rt_current_exec;

/* Installs the fault handler (once per process). False if it could not be. */
bool rt_install_fault_handler(void);

struct wrun_store {
  rt_config cfg;
  /* every object, for rt_store_free */
  void **objs;
  uint8_t *obj_kinds;
  uint32_t nobjs, cap_objs;
  /* the value stack shared by all wasm frames of this store */
  uint64_t *stack;
  uint64_t stack_slots;
  uint64_t *stack_top;           /* first free slot (between nested rt_calls) */
  uint32_t depth, max_depth;
  /* limits: fuel left (when cfg.fuel) and the interrupt request (timeouts).
   * The request is set from other threads and signal handlers while this
   * store runs, so it is an atomic (lock-free: async-signal-safe); the tiers
   * poll it with relaxed loads, which on x86-64 and AArch64 are the plain
   * loads compiled code does (rt_store_interrupt, rt_interrupt_requested). */
  int64_t fuel_left;
  _Atomic int interrupt;
  /* tiered execution (runtime/tier.h): TIER ops left until the next poll,
   * and the state of src/engine/tierup.c (NULL until the first poll) */
  int64_t tier_countdown;
  struct rt_tierup_state *tierup;
  /* the last trap */
  rt_trap_kind trap;
  char trap_msg[200];
  int exit_code;
  rt_frame_info *trace;          /* frames active at the trap, innermost last; an interpreted
                                  * frame's position below the innermost is its ret_pc */
  const void *trap_pc;           /* the interpreter op that trapped, NULL if not known (set after
                                  * rt_set_trap, which clears it) */
  uint32_t ntrace, cap_trace;
  rt_frame_info *frames;         /* live call stack, for backtraces */
  uint32_t nframes, cap_frames;
  /* instances made from templates, in use or pooled for reuse (template.c) */
  wrun_instance **tinsts;
  uint32_t ntinsts, cap_tinsts;
  void *data;                    /* rt_store_set_data */
#ifdef WRUN_INTERP_PROFILE
  struct interp_profile *interp_profile; /* op counts of a profiling build (interp/profile.c) */
#endif
};

/* Creates the wrun_func of defined function `index` of an instance. */
wrun_func *rt_func_new_wasm(wrun_store *s, wrun_instance *inst, uint32_t index);

/* Allocates an empty instance of `m` (arrays sized, nothing filled in). */
wrun_instance *rt_instance_new(wrun_store *s, const wm_module *m);

/* The same objects, not registered with a store: the caller owns them
 * (template instances, template.c) and frees them with the rt_*_free below. */
wrun_func *rt_func_alloc_wasm(wrun_instance *inst, uint32_t index);
wrun_instance *rt_instance_alloc(const wm_module *m);
rt_table *rt_table_alloc(const wm_tabletype *type, void *init_ref);
rt_global *rt_global_alloc(const wm_globaltype *type);
/* Reserves the address space of a memory of `type` under `cfg`'s limits
 * with nothing accessible yet (size 0). NULL when the minimum exceeds the
 * limit or the reservation fails. */
rt_memory *rt_memory_reserve(const rt_config *cfg, const wm_memtype *type);
void rt_table_free(rt_table *t);
void rt_memory_free(rt_memory *m);

/* Written pages of [base, base + len) (dirty.c): NULL when the kernel cannot
 * record them (callers then drop pages with madvise). rt_dirty_restore puts
 * every page written since the last restore (or since rt_dirty_new) back to
 * its initial bytes — image[a - lo] for addresses a in [lo, hi) of the
 * range, zero elsewhere (image NULL: all zero) — and records anew; `pages`
 * (may be NULL) gets how many it restored. False on a kernel error (the
 * record is then unreliable: free it and drop the pages). */
rt_dirty *rt_dirty_new(uint8_t *base, uint64_t len);
bool rt_dirty_restore(rt_dirty *d, const uint8_t *image, uint64_t lo, uint64_t hi, uint64_t *pages);
void rt_dirty_free(rt_dirty *d);
/* Frees an instance's arrays and compiled-code state, and for a template's
 * instance its definitions too. NULL allowed. */
void rt_instance_free(wrun_instance *inst);

/* Template instances of a store (template.c): frees them all (from
 * rt_store_free), and tells the fault handler whether an address lies in
 * the reservation of one of their memories. */
void rt_store_free_templated(wrun_store *s);
bool rt_store_owns_templated_memory(const wrun_store *s, const void *addr);

/* Instantiation steps shared by rt_instantiate and templates (instance.c):
 * checks and records the imports; creates the defined functions, globals,
 * tables and memories (registered with the store unless `owned`, in which
 * case memories are only reserved and left at size 0 for the caller to map);
 * initialises globals and element references; applies element segments, and
 * data segments unless `skip_data` (they are already in the memory image). */
bool rt_link_imports(wrun_instance *inst, const rt_extern *imports, uint32_t n, rt_error *err);
bool rt_create_definitions(wrun_store *s, wrun_instance *inst, bool owned, rt_error *err);
bool rt_init_definitions(wrun_instance *inst, rt_error *err);
bool rt_apply_segments(wrun_store *s, wrun_instance *inst, bool skip_data, rt_error *err);

/* Calls a host function with the slot ABI; `caller_inst` is the calling
 * instance (NULL from the embedder). Records a trap when it fails. */
bool rt_call_host(wrun_store *s, wrun_func *f, wrun_instance *caller_inst, uint64_t *slots);

/* Records a trap in the store. */
void rt_set_trap(wrun_store *s, rt_trap_kind kind, const char *msg);

/* The spec's wording of a trap kind. */
const char *rt_trap_message(rt_trap_kind kind);

/* Grows a memory by `delta` pages; returns the old size in pages or -1. */
int64_t rt_memory_grow(rt_memory *m, uint64_t delta);

/* Grows a table by `delta` entries set to `init`; returns old size or -1. */
int64_t rt_table_grow(rt_table *t, uint64_t delta, void *init);

/* The runtime's halves of engine_store_new and engine_template_new, which
 * src/engine defines: it registers the execution tiers first (tier.h). */
wrun_store *rt_store_new(const rt_config *cfg);
rt_template *rt_template_new(const wm_module *m, const rt_config *cfg, const rt_extern *imports,
                               uint32_t nimports, rt_error *err);

/* Structural equality of function types (2.0: types are equal when their
 * parameter and result lists are). */
static inline bool rt_functype_equal(const wm_functype *a, const wm_functype *b) {
  if (a == b) return true;
  if (a->nparams != b->nparams || a->nresults != b->nresults) return false;
  size_t n = (size_t)a->nparams + a->nresults;
  return n == 0 || memcmp(a->types, b->types, n * sizeof *a->types) == 0;
}

/* Whether an interrupt was requested (the tiers' poll: relaxed, no fence). */
static inline bool rt_interrupt_requested(const wrun_store *s) {
  return atomic_load_explicit(&s->interrupt, memory_order_relaxed) != 0;
}

/* Slots a value of type t takes (v128: 2). */
static inline uint32_t rt_slots(wm_valtype t) { return t == WASM_V128 ? 2 : 1; }

#endif
