/*
 * runtime.h — runtime objects (store, instances, functions, tables, memories,
 * globals), instantiation and calls. This is the contract between the
 * execution engine (src/runtime + src/interp) and its users (the wast runner,
 * WASI, the CLI, the public API in include/wrun.h).
 *
 * Ownership: a wrun_store owns every object created in it (instances, host and
 * wasm functions, tables, memories, globals) and frees them all in
 * rt_store_free. Objects never outlive their store. Modules are borrowed: a
 * module passed to rt_instantiate must stay alive until the store is freed.
 * Instances made from a template (below) can also be released one by one.
 *
 * Values: f32/f64 travel as raw IEEE bits so NaN payloads survive. A funcref is
 * a wrun_func pointer, an externref an opaque host pointer; NULL is the null
 * reference for both.
 */
#ifndef WRUN_RUNTIME_RUNTIME_H
#define WRUN_RUNTIME_RUNTIME_H

#include <stdbool.h>
#include <stdint.h>

#include "binary/module.h"
#include "common/error.h"

typedef struct wrun_store wrun_store;
typedef struct wrun_instance wrun_instance;
typedef struct wrun_func wrun_func;
typedef struct rt_table rt_table;
typedef struct rt_memory rt_memory;
typedef struct rt_global rt_global;
typedef struct rt_caller rt_caller;

typedef struct rt_val {
  wm_valtype type;
  union {
    uint32_t i32;
    uint64_t i64;
    uint32_t f32;   /* IEEE bits */
    uint64_t f64;   /* IEEE bits */
    uint8_t v128[16];
    void *ref;      /* wrun_func* for funcref, host pointer for externref; NULL = null */
  } of;
} rt_val;

typedef struct rt_extern {
  wm_extern_kind kind;
  union {
    wrun_func *func;
    rt_table *table;
    rt_memory *memory;
    rt_global *global;
  } of;
} rt_extern;

/* Why execution stopped abnormally. Reported in rt_error.message with the
 * spec's wording (e.g. "integer divide by zero") and kind WRUN_ERR_TRAP, except
 * STACK_EXHAUSTED which uses WRUN_ERR_EXHAUSTION. */
typedef enum rt_trap_kind {
  WRUN_TRAP_NONE = 0,
  WRUN_TRAP_UNREACHABLE,          /* "unreachable" */
  WRUN_TRAP_MEMORY_OOB,           /* "out of bounds memory access" */
  WRUN_TRAP_TABLE_OOB,            /* "out of bounds table access" */
  WRUN_TRAP_UNDEFINED_ELEMENT,    /* "undefined element" */
  WRUN_TRAP_UNINITIALIZED_ELEMENT,/* "uninitialized element" (null entry in call_indirect) */
  WRUN_TRAP_INDIRECT_MISMATCH,    /* "indirect call type mismatch" */
  WRUN_TRAP_DIV_ZERO,             /* "integer divide by zero" */
  WRUN_TRAP_INT_OVERFLOW,         /* "integer overflow" */
  WRUN_TRAP_INVALID_CONVERSION,   /* "invalid conversion to integer" */
  WRUN_TRAP_STACK_EXHAUSTED,      /* "call stack exhausted" */
  WRUN_TRAP_NULL_REFERENCE,       /* "null reference" (3.0) */
  WRUN_TRAP_HOST,                 /* a host function failed; message from the host */
  WRUN_TRAP_EXIT,                 /* WASI proc_exit: not an error, carries an exit code */
  WRUN_TRAP_FUEL,                 /* "all fuel consumed" */
  WRUN_TRAP_TIMEOUT,              /* "wall-clock timeout" */
  WRUN_TRAP_INTERRUPTED,
} rt_trap_kind;

/* Wasm instructions a tiered store interprets (counted by the size of each
 * function body entered and loop body iterated) before it starts compiling:
 * a few milliseconds of interpretation (docs/interpreter.md). */
#define RT_TIER_DEFAULT_THRESHOLD 2000000

typedef struct rt_config {
  uint64_t max_memory_bytes;      /* per linear memory; 0 = no extra limit */
  uint64_t fuel;                  /* 0 = unlimited */
  uint32_t max_call_depth;        /* 0 = default */
  uint32_t stack_bytes;           /* value stack size; 0 = default */
  bool interruptible;             /* code checks for rt_store_interrupt (costs a little speed) */
  bool aot;                       /* compile functions to native code at instantiation (AOT tier) */
  /* tiered execution (src/engine/tierup.c; ignored with aot or fuel): start
   * interpreted, compile the module on a background thread once about
   * tier_threshold wasm instructions have run (0: the default), switch to compiled code at calls and loop heads */
  bool tiered;
  bool tier_sync;                 /* wait for the compile at the threshold (tests: deterministic switches) */
  bool tier_osr_only;             /* tests: a frame polling at its function entry stays interpreted, so
                                   * it moves at a loop head (OSR) or not at all */
  uint32_t tier_threshold;
  bool tier_one_pass;             /* tier-up compiles with the one-pass compiler (x86-64) rather than the
                                   * optimizing pipeline (engine_tier_options; WRUN_TIER_ONE_PASS=1) */
  /* called on the compiler thread with each module it compiled (an
   * aot_image), e.g. to fill the compile cache; may be NULL */
  void (*tier_compiled)(void *arg, const wm_module *m, const void *image, uint32_t options);
  void *tier_arg;
  bool aot_optimize;              /* AOT: the optimizing pipeline (docs/aot-ir.md) */
} rt_config;

/* ---- store ------------------------------------------------------------ */

/* Creates an empty store. `cfg` may be NULL for defaults; it is copied. */
wrun_store *engine_store_new(const rt_config *cfg);

/* Frees the store and every object created in it. NULL is allowed. */
void rt_store_free(wrun_store *s);

/* Asks running wasm code in `s` to stop with a WRUN_TRAP_TIMEOUT trap at its
 * next loop iteration or call. Safe to call from another thread or a signal
 * handler; only effective when the store was created `interruptible`. */
void rt_store_interrupt(wrun_store *s);

/* Fuel left in the store (the budget of rt_config.fuel, charged as code runs). */
int64_t rt_store_fuel_left(const wrun_store *s);

/* After a call or instantiation failed with a trap: its kind, and for
 * WRUN_TRAP_EXIT the exit code. */
rt_trap_kind rt_store_trap_kind(const wrun_store *s);
int rt_store_exit_code(const wrun_store *s);

/* After a trap: a backtrace, innermost frame first, one "  #N NAME" line each
 * (" at 0xOFFSET" after it when the frame's position is known: the module
 * offset of the instruction that trapped, or of the call below it), written
 * into buf (truncated to size). Returns buf. */
const char *rt_store_backtrace(const wrun_store *s, char *buf, size_t size);
/* The module offset of frame i of the trace (innermost last), UINT32_MAX
 * when unknown (host functions, guard-page faults in the interpreter). */
uint32_t rt_trace_offset(const wrun_store *s, uint32_t i);

/* ---- instantiation ---------------------------------------------------- */

/* Instantiates a validated module. `imports` gives one extern per module
 * import, in import order. Checks each import's kind and type (function type
 * equality, limits and global mutability/type matching) and fails with
 * WRUN_ERR_LINK naming the module and field; then initialises globals,
 * tables and memories, applies active element and data segments in order and
 * runs the start function. A trap during those steps fails with
 * WRUN_ERR_TRAP (side effects of segments applied before the trap remain, as
 * the spec says). Returns NULL on failure. The instance belongs to the store. */
wrun_instance *rt_instantiate(wrun_store *s, const wm_module *m,
                                const rt_extern *imports, uint32_t nimports,
                                rt_error *err);

/* ---- instance templates -------------------------------------------------
 * For making many instances of one module fast (wrun serve: one per request).
 * A template is a module pre-linked to its imports, with its compiled code
 * (when cfg->aot) and a copy-on-write image of each memory's initial
 * contents (a memfd mapped MAP_PRIVATE, so an instance copies only the pages
 * it writes). Instantiating it does only the per-instance work: set globals
 * and tables, apply element segments, run the start function; a new
 * instance also maps the image. Instances released to their store go to a
 * per-store pool (their written pages dropped) and are reused, not rebuilt,
 * when the template is instantiated again in that store.
 *
 * An instance from a template behaves exactly like one from rt_instantiate
 * with the same imports: same results, same traps, same errors.
 *
 * Threads: make the templates of one module on one thread (with cfg->aot,
 * making one compiles into the module). A template is immutable once made;
 * any number of threads may instantiate it at the same time, each into its
 * own store (a store, its pool and its instances belong to one thread at a
 * time). Imports are shared
 * by every instance: a host function gets called from all of those threads
 * (its env must allow that; per-request state belongs in rt_store_data of
 * the calling store), and an imported table, memory or mutable global is
 * shared state the embedder must not let two threads use at once.
 *
 * Lifetimes: the module and the imports must outlive the template (imports
 * given to one instantiation: that instance, until it is released); the
 * template must outlive every store that instantiated it, or every store
 * must have released its instances of it and called rt_store_trim. */
typedef struct rt_template rt_template;

/* Makes a template of a validated module with `imports` (one extern per
 * module import, in import order; checked as rt_instantiate checks them,
 * with the same WRUN_ERR_LINK errors), or with imports NULL when every
 * instantiation will give its own (rt_template_instantiate_with). `cfg`
 * (NULL: defaults; copied) must be the configuration of the stores it will be
 * instantiated in. With cfg->aot the module is compiled here (an error from
 * the compiler fails the template). Returns NULL with `err` set on failure. */
rt_template *engine_template_new(const wm_module *m, const rt_config *cfg, const rt_extern *imports,
                                 uint32_t nimports, rt_error *err);

/* Frees a template (NULL allowed). Free the stores that used it first, or
 * release their instances of it and rt_store_trim them. */
void rt_template_free(rt_template *t);

/* The module and the configuration a template was made with; create the
 * stores that instantiate it with engine_store_new(rt_template_config(t)). */
const wm_module *rt_template_module(const rt_template *t);
const rt_config *rt_template_config(const rt_template *t);

/* Bytes of memory image the template maps into each instance (0 when its
 * data segments are copied into every instance instead: no active data, an
 * offset read from an imported global, a segment out of bounds, or data for
 * an imported memory). */
uint64_t rt_template_image_bytes(const rt_template *t);

/* Instantiates the template in store `s`, reusing an instance of it that was
 * released in `s` if there is one. Fails with WRUN_ERR_USAGE if `s` was made
 * with another aot, interruptible or max_memory_bytes setting than the
 * template; otherwise like rt_instantiate (a trap in a segment or the start
 * function fails with WRUN_ERR_TRAP, and the instance goes back to the pool).
 * The instance belongs to the store until rt_instance_release. */
wrun_instance *rt_template_instantiate(const rt_template *t, wrun_store *s, rt_error *err);

/* The same with imports for this instance only (NULL: the template's), e.g.
 * host functions bound to one request's state, or the exports of the other
 * instances of a component. They are checked like rt_instantiate's; a
 * pooled instance last linked to other imports is relinked, and in the
 * interpreter tier its functions are translated again when first called. */
wrun_instance *rt_template_instantiate_with(const rt_template *t, wrun_store *s, const rt_extern *imports,
                                              uint32_t nimports, rt_error *err);

/* Gives an instance made by rt_template_instantiate back to its store's
 * pool; its memory pages are dropped now. The instance and everything it
 * exported (functions, memories, tables, globals) must not be used after
 * this. Returns false, doing nothing, for an instance that did not come from
 * a template, is already released, or belongs to another store. Never call it while the instance runs. */
bool rt_instance_release(wrun_store *s, wrun_instance *inst);

/* Puts an instance made from a template back into the state a fresh
 * instantiation would give it, in place: the same object, the same exported
 * functions, memories, tables and globals, linked to the same imports. Its
 * memories drop every page written since (as rt_instance_release), then
 * globals, tables and segments are set again and the start function runs.
 * For graphs of instances that hold each other's exports (a component's
 * core instances, src/cinst), which renew their instances in creation order
 * so segments written into another instance's table or memory land after
 * that one was reset. The imports must still be alive. False with `err` set
 * when `inst` is not a template instance of `s`, a memory cannot be reset
 * (WRUN_ERR_LIMIT), or a segment or the start function trapped (TRAP): the
 * instance is then in no defined state and should be freed with its store. */
bool rt_instance_renew(wrun_store *s, wrun_instance *inst, rt_error *err);

/* Readies a store for its next request while other instances in it stay in
 * use: clears the last trap, the interrupt request (after a timeout) and the
 * exit code, and refills its fuel to cfg.fuel. Not during a call. */
void rt_store_refill(wrun_store *s);

/* Readies a store for its next user: releases every template instance in
 * it, then rt_store_refill. Objects made by rt_instantiate and the
 * wrun_*_new functions stay (they are freed with the store). Not during a
 * call. */
void rt_store_reset(wrun_store *s);

/* Frees the released instances pooled in a store (their memory reservations
 * included); instances in use stay. After this, a template none of whose
 * instances is in use in any store may be freed before those stores. */
void rt_store_trim(wrun_store *s);

/* An embedder pointer carried by the store (not owned; NULL initially), so
 * host functions shared by many stores find the state of their caller's:
 * rt_store_data(rt_caller_store(caller)). */
void rt_store_set_data(wrun_store *s, void *data);
void *rt_store_data(const wrun_store *s);

/* Looks up an export of an instance by name. Returns false if absent. */
bool rt_instance_export(const wrun_instance *inst, const char *name, size_t len,
                          rt_extern *out);

/* The module an instance was made from. */
const wm_module *rt_instance_module(const wrun_instance *inst);

/* ---- calls ------------------------------------------------------------ */

/* Calls `f` with `nargs` arguments (types must match its parameters; the
 * caller checks) and stores its results. Returns false with `err` set if it
 * trapped (kind TRAP or EXHAUSTION; rt_store_trap_kind says which trap).
 * Re-entrant: host functions may call back into wasm. */
bool rt_call(wrun_store *s, wrun_func *f, const rt_val *args, uint32_t nargs,
               rt_val *results, uint32_t nresults, rt_error *err);

/* rt_call for a caller that has its values in the slot layout of host
 * functions (below): arguments in io[0..), results written to io[0..) on
 * success; io has room for max(parameter, result) slots. No conversion and
 * no error text: false on a trap, whose kind and message are in the store
 * (rt_store_trap_kind, rt_store_trap_message). The embedding API's call path. */
bool rt_call_slots(wrun_store *s, wrun_func *f, uint64_t *io);

/* The message of the store's last trap ("" if none). */
const char *rt_store_trap_message(const wrun_store *s);

/* The type of a function (owned by the function's store). */
const wm_functype *rt_func_type(const wrun_func *f);

/* ---- host functions ---------------------------------------------------
 * The host ABI (also what WASI uses): arguments arrive in slots[0..nparams),
 * one 64-bit slot per value (i32/f32 in the low 32 bits, whose upper bits are
 * unspecified, so read them as (uint32_t)slot; f64 as bits, references as
 * pointers; a v128 takes two consecutive slots, low half first). The function
 * writes its results to slots[0..nresults) in the same layout. It returns true
 * on success; to trap, it returns rt_caller_trap(...) or rt_caller_exit(...). */
typedef bool (*rt_host_fn)(rt_caller *caller, void *env, uint64_t *slots);

/* Creates a host function of the given type (copied). `env` is passed back on
 * every call and is not owned. `name` is used in backtraces (copied; may be NULL). */
wrun_func *rt_func_new_host(wrun_store *s, const wm_functype *type, rt_host_fn fn,
                              void *env, const char *name);

/* Inside a host function: records a trap of `kind` with a message; returns false. */
bool rt_caller_trap(rt_caller *c, rt_trap_kind kind, const char *fmt, ...)
    __attribute__((format(printf, 3, 4)));

/* Inside a host function: ends the whole execution with an exit code (WASI
 * proc_exit); rt_call returns false with rt_store_trap_kind == EXIT. */
bool rt_caller_exit(rt_caller *c, int code);

/* Inside a host function: the calling instance's memory `idx`, or NULL. */
rt_memory *rt_caller_memory(rt_caller *c, uint32_t idx);

/* Inside a host function: the store. */
wrun_store *rt_caller_store(rt_caller *c);

/* ---- tables, memories, globals made by the host ----------------------- */

rt_table *rt_table_new(wrun_store *s, const wm_tabletype *type, void *init_ref);
uint64_t rt_table_size(const rt_table *t);
const wm_tabletype *rt_table_type(const rt_table *t);

/* Creates a linear memory with `type.limits.min` pages. NULL if it can't be reserved. */
rt_memory *rt_memory_new(wrun_store *s, const wm_memtype *type);
uint8_t *rt_memory_data(const rt_memory *m);
uint64_t rt_memory_size(const rt_memory *m);      /* bytes */
const wm_memtype *rt_memory_type(const rt_memory *m);

rt_global *rt_global_new(wrun_store *s, const wm_globaltype *type, const rt_val *init);
void rt_global_get(const rt_global *g, rt_val *out);
const wm_globaltype *rt_global_type(const rt_global *g);

#endif
