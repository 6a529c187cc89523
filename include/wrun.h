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
  WRUN_PHASE_RESOURCE    /* out of memory */
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

/* Attaches WASI to a store, taking ownership of `cfg` (deleted here, also on
 * failure). Returns NULL on success or an owned error (WASI phase: a
 * preopened directory that cannot be opened; USAGE: the store has WASI
 * already). */
wrun_error_t *wrun_store_set_wasi(wasm_store_t *store, wrun_wasi_config_t *cfg);

/* Fills `out` (owned) with one extern per import of `module`, in import
 * order: the WASI function for each `wasi_snapshot_preview1` import, NULL
 * for every other import, for the host to fill in before wasm_instance_new.
 * Returns NULL or an owned error (LINK: a WASI import wrun does not provide
 * or with another type; USAGE: the store has no WASI), leaving `out` empty. */
wrun_error_t *wrun_wasi_imports(wasm_store_t *store, const wasm_module_t *module, wasm_extern_vec_t *out);

#ifdef __cplusplus
}
#endif
#endif
