/*
 * wrun.h — wrun's embedding API beyond the standard one: engine
 * configuration (execution tier, fuel, interrupts and deadlines, memory
 * limits), WASI attached to a store, and errors as values saying which phase
 * failed and why. It works on the standard API's objects (wasm.h, included
 * here), so a host uses wasm.h for everything the standard covers and this
 * header for the rest. docs/embedding.md has examples.
 *
 * Naming: every function here is wrun_*; the ownership marking follows
 * wasm.h (an `own` result is deleted by the caller; the comments say
 * "owned" where it matters).
 */
#ifndef WRUN_H
#define WRUN_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "wasm.h"

#ifdef __cplusplus
extern "C" {
#endif

/* ---- errors ------------------------------------------------------------------ */

/* Where a failure happened. */
typedef enum wrun_phase_t {
  WRUN_PHASE_DECODE = 1, /* the bytes are not a WebAssembly binary (or an implementation limit) */
  WRUN_PHASE_VALIDATE,   /* they decode but fail validation */
  WRUN_PHASE_COMPILE,    /* the AOT tier could not compile, or an artifact did not load */
  WRUN_PHASE_LINK,       /* an import is missing or has the wrong type */
  WRUN_PHASE_START,      /* instantiation trapped (segment out of bounds, start function) */
  WRUN_PHASE_WASI,       /* the WASI context could not be made (a preopen, a stdio file) */
  WRUN_PHASE_USAGE,      /* the API was called with arguments it cannot accept */
  WRUN_PHASE_RESOURCE,   /* out of memory */
  WRUN_PHASE_TRAP        /* a component call trapped (wrun_component_call, wrun_component_run) */
} wrun_phase_t;

/* An error: a phase and a one-line message ("0xOFFSET: kind: what", with the
 * byte offset in the module when there is one). */
typedef struct wrun_error_t wrun_error_t;

/* The phase that failed. */
wrun_phase_t wrun_error_phase(const wrun_error_t *err);
/* The message, NUL-terminated; valid until the error is deleted. */
const char *wrun_error_message(const wrun_error_t *err);
/* Frees an error (NULL allowed). */
void wrun_error_delete(wrun_error_t *err);

/* ---- configuration (before wasm_engine_new_with_config) ----------------------- */

typedef enum wrun_tier_t {
  WRUN_TIER_INTERP, /* the interpreter: no compile time (default) */
  WRUN_TIER_AOT     /* native code, compiled when the module is made */
} wrun_tier_t;

/* Chooses the execution tier. Modules are compiled for their engine's tier. */
void wrun_config_set_tier(wasm_config_t *cfg, wrun_tier_t tier);

/* Gives each store `fuel` units (about one per instruction executed; 0, the
 * default, means unlimited). Code that runs out traps ("all fuel consumed");
 * wrun_store_add_fuel gives more. */
void wrun_config_set_fuel(wasm_config_t *cfg, uint64_t fuel);

/* Caps every linear memory of the engine's stores at `bytes` (rounded down
 * to whole 64 KiB pages; 0, the default, means only the module's own
 * maximum). Instantiating a module whose minimum exceeds it fails; growing
 * past it fails as memory.grow does (-1). */
void wrun_config_set_max_memory(wasm_config_t *cfg, uint64_t bytes);

/* Makes the engine's code check for interrupts (wrun_store_interrupt,
 * wrun_store_set_deadline) at every loop iteration and call. Off by default:
 * it costs a little speed. */
void wrun_config_set_interruptible(wasm_config_t *cfg, bool on);

/* Limits the depth of nested wasm calls (0: the default, 20000). Deeper
 * recursion traps ("call stack exhausted"). */
void wrun_config_set_max_call_depth(wasm_config_t *cfg, uint32_t depth);

/* ---- modules and instances, with reasons ---------------------------------------- */

/* Like wasm_module_new, from an engine: decodes, validates and (with the AOT
 * tier) compiles a module. On failure returns NULL and stores an owned error
 * in *err (when err is not NULL). The bytes are copied. */
wasm_module_t *wrun_module_new(wasm_engine_t *engine, const uint8_t *bytes, size_t len, wrun_error_t **err);

/* Like wasm_instance_new, with the reason for a failure as an owned error in
 * *err: LINK for imports, START for a trap while instantiating. */
wasm_instance_t *wrun_instance_new(wasm_store_t *store, const wasm_module_t *module,
                                   const wasm_extern_vec_t *imports, wrun_error_t **err);

/* The export `name` of an instance as an owned extern, or NULL. */
wasm_extern_t *wrun_instance_export(const wasm_instance_t *inst, const char *name);

/* ---- limits while running ---------------------------------------------------------- */

/* Asks the code running in `store` to stop: it traps ("wall-clock timeout") at its
 * next loop iteration or call, and so does the next call made in the store
 * until wrun_store_add_fuel or a new deadline resets it. Safe to call from any
 * thread. Does nothing unless the engine is interruptible. */
void wrun_store_interrupt(wasm_store_t *store);

/* Interrupts the store `ms` milliseconds from now (from a timer thread the
 * store owns); 0 cancels a pending deadline and clears a past interrupt.
 * False, doing nothing, if the engine is not interruptible or the timer
 * thread cannot be started. */
bool wrun_store_set_deadline(wasm_store_t *store, uint64_t ms);

/* Fuel left in the store (meaningful when the engine has a fuel budget). */
uint64_t wrun_store_fuel_left(const wasm_store_t *store);

/* Refills the store to the engine's fuel budget and clears an interrupt,
 * readying the store for its next call after a trap. Not during a call. */
void wrun_store_add_fuel(wasm_store_t *store);

/* Why a trap happened, beyond its message. */
typedef enum wrun_trap_cause_t {
  WRUN_CAUSE_WASM = 1,  /* the code trapped (unreachable, out of bounds, divide by zero, ...) */
  WRUN_CAUSE_HOST,      /* a host function returned a trap */
  WRUN_CAUSE_FUEL,      /* the store ran out of fuel */
  WRUN_CAUSE_INTERRUPT, /* wrun_store_interrupt or a deadline */
  WRUN_CAUSE_STACK,     /* call stack exhausted */
  WRUN_CAUSE_EXIT,      /* WASI proc_exit: not a failure; wrun_trap_exit_code gives the code */
  WRUN_CAUSE_OTHER      /* made by wasm_trap_new, or an argument mismatch in wasm_func_call */
} wrun_trap_cause_t;

/* The cause of a trap (from wasm_func_call, wasm_instance_new or wasm_trap_new). */
wrun_trap_cause_t wrun_trap_cause(const wasm_trap_t *trap);

/* True when the trap is a WASI proc_exit, with its status in *code. */
bool wrun_trap_exit_code(const wasm_trap_t *trap, int *code);

/* ---- WASI preview 1 attached to a store --------------------------------------------- */

/* What a guest may see: arguments, environment, directories and its three
 * standard streams. Deny by default: an empty configuration gives no
 * arguments, no environment, no directories, and the host's stdio. */
typedef struct wrun_wasi_config_t wrun_wasi_config_t;

/* A new, empty configuration (NULL when out of memory). */
wrun_wasi_config_t *wrun_wasi_config_new(void);
/* Frees a configuration not given to a store (NULL allowed). */
void wrun_wasi_config_delete(wrun_wasi_config_t *cfg);

/* Sets the arguments (argv[0] is the program name the guest sees); copied. */
bool wrun_wasi_config_set_args(wrun_wasi_config_t *cfg, size_t argc, const char *const argv[]);
/* Adds one environment variable; copied. False for a name with '='. */
bool wrun_wasi_config_add_env(wrun_wasi_config_t *cfg, const char *name, const char *value);
/* Lets the guest use host directory `host_path` as `guest_path` ("/", "data");
 * read-only refuses every write, create, rename and removal beneath it. The
 * directory is opened when the configuration is attached. */
bool wrun_wasi_config_preopen_dir(wrun_wasi_config_t *cfg, const char *host_path, const char *guest_path,
                                  bool readonly);
/* Redirects guest stream `stream` (0 stdin, 1 stdout, 2 stderr) to host
 * descriptor `fd` (duplicated now: the caller keeps its own), or, with fd
 * -1, closes it for the guest. The default is the host's own stream. */
bool wrun_wasi_config_set_stdio_fd(wrun_wasi_config_t *cfg, int stream, int fd);
/* Redirects a stream to a file: stdin reads `path`, stdout and stderr
 * create or truncate it. False (errno set) when it cannot be opened. */
bool wrun_wasi_config_set_stdio_file(wrun_wasi_config_t *cfg, int stream, const char *path);

/* Attaches WASI to a store, taking ownership of `cfg` (kept by the store,
 * which also gives components WASI 0.2 from it, and deleted with it; deleted
 * here on failure). Returns NULL on success or an owned error (WASI phase: a
 * preopened directory that cannot be opened; USAGE: the store has WASI
 * already). */
wrun_error_t *wrun_store_set_wasi(wasm_store_t *store, wrun_wasi_config_t *cfg);

/* Fills `out` (owned) with one extern per import of `module`, in import
 * order: the WASI function for each `wasi_snapshot_preview1` import, NULL
 * for every other import, for the host to fill in before wasm_instance_new.
 * Returns NULL or an owned error (LINK: a WASI import wrun does not provide
 * or with another type; USAGE: the store has no WASI), leaving `out` empty. */
wrun_error_t *wrun_wasi_imports(wasm_store_t *store, const wasm_module_t *module, wasm_extern_vec_t *out);


/* ---- components (the component model, WASI 0.2) ------------------------------------
 *
 * A component (docs/components.md) is loaded from its binary, instantiated in
 * a store, and its exported functions are called with component-model values
 * written in WAVE, the text form `wrun --invoke` and wasmtime use: `42`,
 * `"text"`, `'c'`, `[1, 2]`, `(1, "a")`, `{x: 1, y: 2}`, `case(payload)`,
 * `some(3)`, `none`, `ok("x")`, `err(1)`, `{read, write}` (flags). Every value
 * kind is covered; docs/embedding.md says why text rather than a C value tree.
 * Resource handles have no WAVE form: a function taking one cannot be called
 * from here, one returning one prints `own<NAME>#REP`.
 */

/* A validated component (independent of stores, like a module). */
typedef struct wrun_component_t wrun_component_t;

/* Decodes and validates a component (and, with the AOT tier, compiles its
 * core modules). On failure returns NULL with an owned error in *err (when
 * err is not NULL): DECODE or VALIDATE with the message `wrun run` prints,
 * "0xOFFSET: kind: what"; USAGE for bytes that are not a component. The
 * bytes are copied. */
wrun_component_t *wrun_component_new(wasm_engine_t *engine, const uint8_t *bytes, size_t len, wrun_error_t **err);

/* Frees a component (NULL allowed), after the stores its instances were
 * made in (their core instances use the component's code until then). */
void wrun_component_delete(wrun_component_t *c);

/* The number of imports / exports listed by the two functions below. A
 * function of an imported or exported interface is its own entry, named
 * "INTERFACE#FUNC" ("test:demo/math@0.1.0#mul"), the name to call it by. */
size_t wrun_component_import_count(const wrun_component_t *c);
size_t wrun_component_export_count(const wrun_component_t *c);

/* Entry i: its name and its type as WIT-like text ("func(a: u32) -> string",
 * "type record { x: s32 }", ...), both valid while the component lives.
 * False (leaving *name and *type alone) when i is out of range. */
bool wrun_component_import(const wrun_component_t *c, size_t i, const char **name, const char **type);
bool wrun_component_export(const wrun_component_t *c, size_t i, const char **name, const char **type);

/* Host functions for a component's imports. A host holds functions (and the
 * named types their signatures use) and may serve any number of
 * instantiations; delete it after the instances made with it. */
typedef struct wrun_component_host_t wrun_component_host_t;

/* What a host function answers with (valid during the callback only). */
typedef struct wrun_component_reply_t wrun_component_reply_t;

/* A host function: its arguments, one WAVE text per parameter; it answers
 * through `reply`: wrun_component_reply_result for a function with a result,
 * nothing for one without, or wrun_component_reply_trap. */
typedef void (*wrun_component_func_t)(void *env, const char *const args[], size_t nargs,
                                      wrun_component_reply_t *reply);

/* A new, empty host (NULL when out of memory). */
wrun_component_host_t *wrun_component_host_new(void);

/* Frees a host (NULL allowed), running the finalizers of its functions. */
void wrun_component_host_delete(wrun_component_host_t *h);

/* Defines named types of interface `iface` for later signatures, in WIT
 * syntax: `record point { x: s32, y: s32 }`, `variant shape { circle(f64),
 * none }`, `enum color { red, green }`, `flags perm { read, write }`,
 * `type id = u64;`. Returns NULL or an owned USAGE error (the text's byte
 * offset and what is wrong). */
wrun_error_t *wrun_component_host_add_types(wrun_component_host_t *h, const char *iface, const char *defs);

/* Provides function `name` of the imported interface `iface`
 * ("local:demo/log@0.1.0"; a provider of "...@0.2.6" serves imports of any
 * semver-compatible version) or, with iface NULL, a function the component
 * imports by plain name. `sig` is its type, e.g. "func(msg: string) -> u32",
 * names resolved among `iface`'s types; an import whose declared type differs
 * fails to instantiate (LINK, naming the first difference), so `fn` only sees
 * arguments of this type. `finalizer` (may be NULL) gets `env` when the host
 * is deleted, also when this call fails. Returns NULL or an owned USAGE
 * error. Resource types of `iface` the host implements come first
 * (wrun_component_host_add_resource). */
wrun_error_t *wrun_component_host_add_func(wrun_component_host_t *h, const char *iface, const char *name,
                                           const char *sig, wrun_component_func_t fn, void *env,
                                           void (*finalizer)(void *));

/* A resource's destructor: the guest dropped its own handle of `rep`. */
typedef void (*wrun_component_dtor_t)(void *env, uint32_t rep);

/* Implements resource type `name` of the imported interface `iface` (or,
 * with iface NULL, one the component imports by plain name): the host's
 * functions make and take handles of it, each standing for a 32-bit `rep`
 * of the host's choosing (an index into its own table, say). `name` can then
 * be used in that interface's signatures (`func(size: u32) -> own<blob>`,
 * `func(self: borrow<blob>) -> u32`), and a component's import of the type is
 * bound to this one. The canonical ABI's rules hold: a handle a host
 * function returns (wrun_component_reply_handle) is owned by the guest; a
 * borrow<T> argument is lent for the call only; an own<T> argument moves to
 * the host, which from then on releases that rep itself (its destructor is
 * not run for it); when the guest drops an own handle `dtor` (may be NULL)
 * gets `env` and the rep, once; a handle used after it was dropped or moved
 * traps the guest. Handles still held by a guest when its instance is
 * deleted are not destroyed: the host owns what its reps stand for.
 * `finalizer` (may be NULL) gets `env` when the host is deleted, also when
 * this call fails. Returns NULL or an owned USAGE error. */
wrun_error_t *wrun_component_host_add_resource(wrun_component_host_t *h, const char *iface, const char *name,
                                               wrun_component_dtor_t dtor, void *env, void (*finalizer)(void *));

/* The rep of a handle argument of a host function (its WAVE text is the
 * type and the rep: "own<blob>#3", "borrow<blob>#3"). False when `arg` is not
 * a handle. */
bool wrun_component_handle_rep(const char *arg, uint32_t *rep);

/* Gives a host function's result as a new own handle of `rep`, for a
 * function whose result type is own<T> of a resource T this host implements
 * (wrun_component_host_add_resource). False, with the reason kept, for any
 * other result type. The guest receives ownership. */
bool wrun_component_reply_handle(wrun_component_reply_t *reply, uint32_t rep);

/* Gives the host function's result as WAVE text of its result type. False,
 * with the reason kept, when the text does not parse as that type (or the
 * function has no result): if no later reply succeeds, the guest's call
 * traps with that reason. */
bool wrun_component_reply_result(wrun_component_reply_t *reply, const char *wave);

/* Makes the guest's call trap with `message` (copied). */
void wrun_component_reply_trap(wrun_component_reply_t *reply, const char *message);

/* A component instance: the component's core instances live in the store. */
typedef struct wrun_component_instance_t wrun_component_instance_t;

/* Instantiates `c` in `store`. Its imports are served by `host` (may be NULL)
 * and, when the store has WASI (wrun_store_set_wasi), by WASI 0.2 with the
 * same arguments, environment, preopened directories and standard streams
 * as preview 1 would get. wasi:sockets and wasi:http outgoing requests are
 * denied (wrun.h has no configuration granting them). Without WASI on the
 * store a component importing a WASI interface fails to link. Returns NULL
 * with an owned error in *err: LINK (an import not provided or of another
 * type), TRAP (a start function trapped), USAGE, RESOURCE. The host and
 * the store must outlive the instance, the component the store. */
wrun_component_instance_t *wrun_component_instantiate(wasm_store_t *store, const wrun_component_t *c,
                                                      const wrun_component_host_t *host, wrun_error_t **err);

/* Frees an instance (NULL allowed), before its store. */
void wrun_component_instance_delete(wrun_component_instance_t *inst);

/* Calls exported function `name` (a root export, or "INTERFACE#FUNC") with
 * `nargs` arguments, each the WAVE text of its parameter. On success returns
 * NULL and, when the function has a result, fills `result` (owned, delete
 * with wasm_byte_vec_delete) with its WAVE text, NUL-terminated (the NUL
 * counted in size); for no result `result` is empty. On failure returns an
 * owned error and leaves `result` empty: USAGE (no such function, wrong
 * argument count, an argument that does not parse: "argument 2 (b): 1:3:
 * ..."), TRAP (the guest trapped, including a WASI exit, a host function's
 * trap, fuel or an interrupt). result may be NULL to ignore it. */
wrun_error_t *wrun_component_call(wrun_component_instance_t *inst, const char *name, const char *const args[],
                                  size_t nargs, wasm_byte_vec_t *result);

/* Scalars and strings as C values, for calls that need no text. The kinds
 * are the component model's primitive types, in this order. */
typedef enum wrun_cval_kind_t {
  WRUN_CVAL_BOOL = 1, WRUN_CVAL_S8, WRUN_CVAL_U8, WRUN_CVAL_S16, WRUN_CVAL_U16, WRUN_CVAL_S32, WRUN_CVAL_U32,
  WRUN_CVAL_S64, WRUN_CVAL_U64, WRUN_CVAL_F32, WRUN_CVAL_F64, WRUN_CVAL_CHAR, WRUN_CVAL_STRING
} wrun_cval_kind_t;

typedef struct wrun_cval_t {
  wrun_cval_kind_t kind;
  union {
    bool b;
    int64_t s;                                 /* s8 .. s64 */
    uint64_t u;                                /* u8 .. u64 */
    float f32;
    double f64;
    uint32_t ch;                               /* a Unicode scalar value */
    struct { const char *ptr; size_t len; } str; /* UTF-8, not NUL-terminated */
  } of;
} wrun_cval_t;

/* Like wrun_component_call for a function whose parameters and result are
 * all scalars or strings: each argument's kind must be its parameter's type
 * exactly, and its value in range (an s8 in -128..127, a char a scalar
 * value, a string valid UTF-8 of at most 2^31 bytes), else USAGE, nothing
 * run. The result (left alone for a function without one) is written to
 * *result; a string result points into memory of the instance, valid until
 * its next call or deletion. */
wrun_error_t *wrun_component_call_cvals(wrun_component_instance_t *inst, const char *name, const wrun_cval_t *args,
                                        size_t nargs, wrun_cval_t *result);

/* Runs a command component: calls the `run` function of its
 * wasi:cli/run@0.2.N export. Returns NULL with the exit code in *exit_code:
 * 0 when run returned ok, 1 for err, N for wasi:cli/exit-with-code(N)
 * (exit(err) is 1). An owned error otherwise: USAGE (no wasi:cli/run
 * export), TRAP (the guest trapped). */
wrun_error_t *wrun_component_run(wrun_component_instance_t *inst, int *exit_code);

#ifdef __cplusplus
}
#endif
#endif
