/*
 * instance.h — instantiating a validated component in a wrun_store and
 * calling its exports (component-model Explainer + CanonicalABI.md,
 * synchronous form).
 *
 * This stage (src/cinst, library wrun_cinst) sits on top of both the
 * component stage (IR, types, canon.c's value layer) and the runtime (core
 * instances, host functions, calls), so neither of those depends on the other.
 *
 * Ownership: a wc_instance owns everything it creates outside the store
 * (component-level function objects, instance records, handle tables, resource
 * types); the core instances and host functions it creates belong to the store.
 * Free the wc_instance before the store, and keep the wc_component (which owns
 * the core modules and the type arena) alive until both are freed.
 */
#ifndef WRUN_CINST_INSTANCE_H
#define WRUN_CINST_INSTANCE_H

#include <stdbool.h>
#include <stdint.h>

#include "component/canon.h"
#include "component/component.h"
#include "runtime/runtime.h"

/* A host implementation of an imported component function. Arguments arrive
 * lifted (host values, valid for the call); results are written to
 * results[0..nresults) and may point into `arena` (which the caller frees after
 * lowering them). To trap, fill `trap` (wc_trap: trapped + msg) and return false. */
typedef bool (*wc_host_fn)(void *env, const wc_value *args, uint32_t nargs, wc_value *results,
                           uint32_t nresults, wc_arena *arena, wc_trap *trap);

/* The host's import implementations, by name. */
typedef struct wc_host wc_host;
wc_host *wc_host_new(void);
void wc_host_free(wc_host *h);
/* Provides `func`, either a function of an imported instance `iface`
 * (e.g. "wasi:cli/stdout@0.2.0", "get-stdout") or, with iface NULL, a
 * function imported directly by the root under `func`. Names are copied.
 * An import matches `iface` when equal, or with the same name before '@' and
 * a semver-compatible version (same major; for 0.x the same minor): one
 * "...@0.2.6" serves imports of every 0.2.N.
 *
 * `sig` is the function's component-level type in the WIT-like text of
 * component/htypes.h, e.g. "func(self: borrow<output-stream>, contents:
 * list<u8>) -> result<_, stream-error>", its names resolved among the
 * interface's resources and wc_host_add_types definitions (which must come
 * first). It is required: wc_instantiate refuses (LINK error naming the
 * first difference) an import whose declared type is not exactly this one,
 * so `fn` only ever sees arguments of this type. Returns false (reason in
 * wc_host_error) for a missing or bad signature or out of memory. */
bool wc_host_add(wc_host *h, const char *iface, const char *func, const char *sig, wc_host_fn fn, void *env);

/* Defines named types (records, variants, enums, flags, aliases, `use` of
 * another interface's names) of interface `iface` for the signatures of its
 * functions; syntax in component/htypes.h. False with wc_host_error set. */
bool wc_host_add_types(wc_host *h, const char *iface, const char *defs);

/* Why the last wc_host_add* failed (one line). */
const char *wc_host_error(const wc_host *h);

/* How many functions and resource types `h` provides (for tests: what setting
 * up a host cost). */
uint32_t wc_host_size(const wc_host *h);

/* Provides resource type `name` of the imported instance `iface` (e.g.
 * "wasi:io/streams@0.2.0", "output-stream"), implemented by the host: handles
 * of it that reach host functions carry the returned type and the host's own
 * `rep`; host functions make new ones as {WC_V_OWN, .u.handle = {rt, rep}}.
 * `dtor` (may be NULL) runs when the guest drops an own handle. The type is
 * owned by the wc_host, and `name` becomes a type name in `iface` for
 * signatures (a guest's import of it is bound to this type: its functions
 * must use it, not another resource). Returns NULL (wc_host_error) on failure. */
const wc_resource_type *wc_host_add_resource(wc_host *h, const char *iface, const char *name,
                                             bool (*dtor)(void *ctx, uint32_t rep, wc_trap *trap), void *ctx);

typedef struct wc_instance wc_instance;

/* Instantiates the root component `c` in `s`, resolving its imports from
 * `host` (may be NULL when there are none). Core modules run in the store's
 * tier (rt_config.aot). Returns NULL with `err` set: LINK for an import the
 * host does not provide ("component import NAME is not provided") or whose
 * declared type is not the host's ("... does not have the host's type: WHY"), TRAP for a
 * trap in a core start function, a start function or a canonical-ABI step. */
wc_instance *wc_instantiate(wrun_store *s, const wc_component *c, const wc_host *host, rt_error *err);

/* ---- templates ----------------------------------------------------------
 *
 * A component template holds one instance template (src/runtime/template.c)
 * per core module of a validated component, its compiled code attached when
 * cfg->aot (compile or load it first). Instances made from it get
 * copy-on-write memory images, and can be renewed: put back, in place, into
 * the state a fresh instantiation gives, for a fraction of its cost (what
 * `wrun serve` does per request). The component must outlive the template,
 * the template every store that instantiated it. */
typedef struct wc_template wc_template;

/* NULL with `err` set on failure (out of memory, a module the compiler refuses). */
wc_template *wc_template_new(const wc_component *c, const rt_config *cfg, rt_error *err);
void wc_template_free(wc_template *t);
/* The configuration stores instantiating the template must be made with. */
const rt_config *wc_template_config(const wc_template *t);

/* As wc_instantiate of the component `t` was made of, with every core
 * instance from its template; `s` made with wc_template_config(t). */
wc_instance *wc_template_instantiate(const wc_template *t, wrun_store *s, const wc_host *host, rt_error *err);

/* Makes `inst` (from wc_template_instantiate) fresh again, in place: every
 * core instance renewed (memory pages written since dropped, globals, tables
 * and segments set again, start functions run), in the order instantiation
 * made them, the component-level start functions called again at their
 * places, every handle table emptied and the reentrance flags reset. The
 * host's resources are not touched: reset its own state first (the handles
 * the guest held are gone). The store's trap state must be clear (e.g.
 * rt_store_refill). False with `err` set when a step trapped or a memory
 * could not be reset: the instance must then be freed (with its store). */
bool wc_instance_renew(wc_instance *inst, rt_error *err);

/* Frees what the instance owns (not the store's objects). NULL is allowed. */
void wc_instance_free(wc_instance *inst);

/* The arena id of the function type of the root's export `name` (or, as
 * "IFACE#func", function `func` of the root's exported instance IFACE), or
 * WC_NONE if there is no such function export. */
uint32_t wc_instance_func_type(const wc_instance *inst, const char *name);

/* Calls the root's exported function `name` with nargs lifted values (they
 * must match its parameter types: lowering checks them and traps on a
 * mismatch). Results (nresults must equal the function's result count, 0 or
 * 1) are allocated in `arena`. A trap is returned as a value: false with `err`
 * of kind TRAP (or EXHAUSTION) and the trap's message. */
bool wc_instance_call(wc_instance *inst, const char *name, const wc_value *args, uint32_t nargs,
                      wc_value *results, uint32_t nresults, wc_arena *arena, rt_error *err);

#endif
