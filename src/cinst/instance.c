/*
 * instance.c — component instantiation and calls (synchronous Canonical ABI).
 *
 * Instantiating walks a component's definitions in order, filling one runtime
 * index space per sort (ci_item arrays indexed exactly as the validator's
 * spaces), so every index in a definition refers to an entry already made:
 *  - core modules and core instances: rt_instantiate with imports looked up
 *    in the `with` core instances (real instances or inline export bundles);
 *  - nested components: recursion on the child with its `with` arguments as
 *    its imports (the depth is bounded by the validator's WC_MAX_DEPTH);
 *  - aliases copy an entry (core export, instance export, outer);
 *  - canon lift makes a ci_func wrapping a core function; canon lower makes a
 *    core host function (lower_trampoline) that lifts its core arguments,
 *    calls the component-level callee and lowers the results;
 *    resource.new/drop/rep are core host functions over the instance's
 *    handle table;
 *  - start calls a function; exports name entries for the parent.
 *
 * Flags (CanonicalABI.md, synchronous): an instance's may_enter is cleared
 * while one of its lifted functions runs (entering it again traps), and its
 * may_leave is cleared while realloc lowers into it and while post-return runs
 * (calling an import then traps).
 *
 * Every object made here is allocated through ci_new and listed in the
 * wc_instance, which frees them all; store objects belong to the store.
 *
 * Templates (wc_template): the core modules get one rt_template each, so
 * instantiating makes their instances copy-on-write from memory images, and
 * the instantiation records its steps (each core instance made, each start
 * function called, in order). wc_instance_renew replays them on the same
 * graph: every core instance is renewed in place (rt_instance_renew), the
 * handle tables are emptied and the start functions run again, which is what
 * a fresh instantiation would do, without building the graph again.
 */
#include "cinst/instance.h"

#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cinst/artifact.h"
#include "common/grow.h"
#include "component/htypes.h"

typedef struct ci_comp ci_comp;
typedef struct ci_func ci_func;
typedef struct ci_inst ci_inst;

/* A core instance: a real one, or a bundle of inline exports. */
typedef struct ci_core {
  wrun_instance *inst;
  uint32_t n;
  const wc_arg *names;     /* bundle: the definition's arguments (names) */
  rt_extern *ex;         /* bundle: the externs, parallel to names */
} ci_core;

/* One entry of a runtime index space; which member is used depends on the sort. */
typedef struct ci_item {
  union {
    rt_extern ext;                                    /* core func/table/memory/global */
    const wm_module *module;                          /* core module */
    ci_core *core;                                      /* core instance */
    ci_func *func;                                      /* func */
    struct { const wc_component *c; ci_comp *parent; } comp; /* component + its lexical parent */
    ci_inst *inst;                                      /* instance */
    const wc_resource_type *rt;                         /* type: the runtime resource type, or NULL */
  } u;
} ci_item;

typedef struct ci_export { wc_str name; wc_sort sort; ci_item item; } ci_export;
struct ci_inst { uint32_t n; ci_export *ex; };

/* A component instance. */
struct ci_comp {
  wc_instance *wi;
  const wc_component *c;
  ci_comp *parent;                     /* lexically enclosing instance (outer aliases) */
  ci_item *space[WC_NSORTS];
  wc_handle_table handles;
  const wc_resource_type **rtypes;     /* runtime resource type by arena id */
  bool may_enter, may_leave;
  ci_inst exports;
  ci_comp *next_comp;                  /* the wc_instance's list, for freeing tables */
};

/* A component-level function: a host import or a lifted core function. */
struct ci_func {
  bool host;
  uint32_t type;                       /* arena id of its WC_T_FUNC type */
  const char *name;                    /* for messages */
  wc_host_fn fn; void *env;            /* host */
  ci_comp *owner;                      /* lifted */
  wrun_func *core, *realloc, *post_return;
  rt_memory *mem;
  wc_string_encoding enc;
};

/* A canon lower: the env of its core host function. */
typedef struct ci_lower {
  ci_comp *owner;
  ci_func *callee;
  uint32_t type;
  rt_memory *mem;
  wrun_func *realloc;
  wc_string_encoding enc;
} ci_lower;

/* A canon resource.* function or a destructor. */
typedef struct ci_res {
  ci_comp *owner;
  const wc_resource_type *rt;
  wrun_func *dtor;
} ci_res;

/* A host function (fn set) or a host resource type (rt set); htype is the
 * arena id (in the host's wc_htypes) of its function or resource type. */
typedef struct ci_host_entry {
  char *iface, *func;
  wc_host_fn fn; void *env;
  wc_resource_type *rt;
  bool alias;            /* rt is another entry's (a resource `use`d by this interface): not owned */
  uint32_t htype;
} ci_host_entry;
struct wc_host {
  ci_host_entry *v; uint32_t n, cap;
  wc_htypes *types;      /* every entry's type, parsed once at registration */
  char err[320];         /* why the last registration failed */
};

typedef struct ci_block { struct ci_block *next; max_align_t data[]; } ci_block;

/* Instances (component and core) one instantiation may create. A component
 * instantiating a nested component twice, which instantiates its own twice,
 * and so on, would otherwise make 2^depth instances out of a small binary. */
#define CI_MAX_INSTANCES 10000u

/* Nested calls of lifted functions (a lowered import calling into another
 * instance, whose core code calls another lowered import, ...). Each level
 * nests a rt_call on the native stack, and may_enter only stops cycles, so a
 * chain of distinct instances needs its own bound (4000 levels overflowed
 * the 8 MiB main stack). */
#define CI_MAX_CALL_DEPTH 500u

/* One step of an instantiation made from a template, replayed by
 * wc_instance_renew: a core instance (core) or a start function (start). */
typedef struct ci_step {
  wrun_instance *core;
  ci_func *start;
} ci_step;

struct wc_template {
  const wc_component *c;
  rt_config cfg;
  uint32_t n;
  wm_module **mods;         /* every core module of the component, nested ones included */
  rt_template **tmpls;      /* parallel to mods */
};

struct wc_instance {
  const wc_template *tmpl; /* NULL: core instances from rt_instantiate, no renewal */
  ci_step *steps;          /* with tmpl: the instantiation's steps, in order */
  uint32_t nsteps, capsteps;
  bool renewable;          /* with tmpl: instantiated completely (renew replays all the steps) */
  uint32_t ninstances;     /* made so far, against CI_MAX_INSTANCES */
  uint32_t depth;          /* lifted calls on the stack, against CI_MAX_CALL_DEPTH */
  wrun_store *s;
  const wc_component *c;
  const wc_host *host;
  wc_hcheck *hcheck;       /* while instantiating: the host-type check (made at the first host import) */
  ci_block *blocks;
  ci_comp *comps;
  ci_comp *top;
};

/* ---- host import table -------------------------------------------------- */

wc_host *wc_host_new(void) {
  wc_host *h = calloc(1, sizeof(wc_host));
  if (h && !(h->types = wc_htypes_new())) { free(h); return NULL; }
  return h;
}

void wc_host_free(wc_host *h) {
  if (!h) return;
  for (uint32_t i = 0; i < h->n; i++) {
    free(h->v[i].iface);
    free(h->v[i].func);
    if (!h->v[i].alias) free(h->v[i].rt);
  }
  free(h->v);
  wc_htypes_free(h->types);
  free(h);
}

const char *wc_host_error(const wc_host *h) { return h->err; }

uint32_t wc_host_size(const wc_host *h) { return h->n; }

static bool host_fail(wc_host *h, const char *iface, const char *func, const char *why) {
  snprintf(h->err, sizeof h->err, "host function %s%s%s: %s", iface ? iface : "", iface ? " " : "", func, why);
  return false;
}

static bool host_entry(wc_host *h, const char *iface, const char *func, wc_host_fn fn, void *env, uint32_t htype) {
  if (!rt_grow((void **)&h->v, &h->cap, h->n + 1, sizeof *h->v)) return host_fail(h, iface, func, "out of memory");
  char *i = strdup(iface ? iface : ""), *f = strdup(func);
  if (!i || !f) { free(i); free(f); return host_fail(h, iface, func, "out of memory"); }
  h->v[h->n++] = (ci_host_entry){i, f, fn, env, NULL, false, htype};
  return true;
}

bool wc_host_add(wc_host *h, const char *iface, const char *func, const char *sig, wc_host_fn fn, void *env) {
  if (!sig || !*sig) return host_fail(h, iface, func, "no type signature (every host function needs one)");
  uint32_t id;
  if (!wc_htypes_func(h->types, iface ? iface : "", sig, &id))
    return host_fail(h, iface, func, wc_htypes_error(h->types));
  return host_entry(h, iface, func, fn, env, id);
}

static bool str_is(wc_str s, const char *z);

/* Whether interface `iface` (exactly) has a resource entry `name`. */
static bool resource_here(const wc_host *h, const char *iface, wc_str name) {
  for (uint32_t i = 0; i < h->n; i++)
    if (h->v[i].rt && str_is(name, h->v[i].func) && !strcmp(h->v[i].iface, iface)) return true;
  return false;
}

/* The host's resource entry of arena id `htype`, or NULL. */
static const ci_host_entry *resource_entry(const wc_host *h, uint32_t htype) {
  for (uint32_t i = 0; i < h->n; i++)
    if (h->v[i].rt && !h->v[i].alias && h->v[i].htype == htype) return &h->v[i];
  return NULL;
}

bool wc_host_add_types(wc_host *h, const char *iface, const char *defs) {
  const char *in = iface ? iface : "";
  if (!wc_htypes_define(h->types, in, defs)) {
    snprintf(h->err, sizeof h->err, "host types of %s: %s", iface ? iface : "the root", wc_htypes_error(h->types));
    return false;
  }
  /* A resource the interface `use`s is also one of its type exports (a guest
   * may import it from this interface, as wit-component and wasmtime allow):
   * an alias entry resolves it to the defining interface's resource. */
  wc_str name;
  uint32_t id;
  bool res;
  for (uint32_t i = 0; wc_htypes_nth(h->types, in, i, &name, &id, &res); i++) {
    if (!res || resource_here(h, in, name)) continue;
    const ci_host_entry *orig = resource_entry(h, id);
    char *n = orig ? strndup(name.ptr, name.len) : NULL;
    if (!n || !host_entry(h, iface, n, NULL, NULL, id)) {
      free(n);
      return host_fail(h, iface, "(types)", "out of memory");
    }
    free(n);
    h->v[h->n - 1].rt = resource_entry(h, id)->rt;  /* h->v may have moved */
    h->v[h->n - 1].alias = true;
  }
  return true;
}

const wc_resource_type *wc_host_add_resource(wc_host *h, const char *iface, const char *name,
                                             bool (*dtor)(void *ctx, uint32_t rep, wc_trap *trap), void *ctx) {
  wc_resource_type *rt = calloc(1, sizeof *rt);
  uint32_t id;
  if (!rt) { host_fail(h, iface, name, "out of memory"); return NULL; }
  if (!wc_htypes_resource(h->types, iface ? iface : "", name, &id)) {
    host_fail(h, iface, name, wc_htypes_error(h->types));
    free(rt);
    return NULL;
  }
  if (!host_entry(h, iface, name, NULL, NULL, id)) { free(rt); return NULL; }
  rt->impl = h;
  rt->dtor = dtor;
  rt->dtor_ctx = ctx;
  h->v[h->n - 1].rt = rt;
  return rt;
}

static bool str_is(wc_str s, const char *z) { return strlen(z) == s.len && memcmp(s.ptr, z, s.len) == 0; }
static bool str_eq(wc_str a, wc_str b) { return a.len == b.len && memcmp(a.ptr, b.ptr, a.len) == 0; }

/* Reads a decimal number at s[*i..n); false if there is none. */
static bool ver_num(const char *s, size_t n, size_t *i, uint64_t *out) {
  size_t start = *i;
  uint64_t v = 0;
  while (*i < n && s[*i] >= '0' && s[*i] <= '9' && v < UINT64_MAX / 10) v = v * 10 + (uint64_t)(s[(*i)++] - '0');
  *out = v;
  return *i > start;
}

/* Whether the import name `imp` is served by the host's interface name
 * `have`: equal, or the same package/interface with semver-compatible
 * versions (same major, and for 0.x the same minor: toolchains emit every
 * wasi 0.2.N, all served by one 0.2 implementation). */
static bool iface_matches(wc_str imp, const char *have) {
  if (str_is(imp, have)) return true;
  const char *hat = strchr(have, '@');
  const char *iat = memchr(imp.ptr, '@', imp.len);
  if (!hat || !iat || (size_t)(hat - have) != (size_t)(iat - imp.ptr) || memcmp(have, imp.ptr, (size_t)(hat - have)))
    return false;
  size_t hn = strlen(hat + 1), in = imp.len - (size_t)(iat - imp.ptr) - 1, hi = 0, ii = 0;
  const char *hv = hat + 1, *iv = iat + 1;
  uint64_t hmaj, imaj, hmin, imin;
  if (!ver_num(hv, hn, &hi, &hmaj) || !ver_num(iv, in, &ii, &imaj) || hmaj != imaj) return false;
  if (hmaj != 0) return true;
  return hi < hn && ii < in && hv[hi++] == '.' && iv[ii++] == '.' && ver_num(hv, hn, &hi, &hmin) &&
         ver_num(iv, in, &ii, &imin) && hmin == imin;
}

/* The host function (resource: false) or resource type (true) iface/func. */
static const ci_host_entry *host_find(const wc_host *h, wc_str iface, wc_str func, bool resource) {
  for (uint32_t i = 0; h && i < h->n; i++)
    /* the function name first: it rules out most entries for a strlen and a memcmp */
    if ((h->v[i].rt != NULL) == resource && str_is(func, h->v[i].func) && iface_matches(iface, h->v[i].iface))
      return &h->v[i];
  return NULL;
}

/* ---- allocation --------------------------------------------------------- */

static void *ci_new(wc_instance *wi, size_t size) {
  ci_block *b = calloc(1, sizeof(ci_block) + (size ? size : 1));
  if (!b) return NULL;
  b->next = wi->blocks;
  wi->blocks = b;
  return b->data;
}

static bool count_instance(wc_instance *wi, uint64_t offset, rt_error *err) {
  if (++wi->ninstances <= CI_MAX_INSTANCES) return true;
  return rt_error_at(err, WRUN_ERR_LIMIT, offset, "more than %u component and core instances", CI_MAX_INSTANCES);
}

void wc_instance_free(wc_instance *wi) {
  if (!wi) return;
  for (ci_comp *k = wi->comps; k; k = k->next_comp) wc_handles_free(&k->handles);
  for (ci_block *b = wi->blocks, *n; b; b = n) { n = b->next; free(b); }
  free(wi->steps);
  free(wi);
}

/* Records a step of a templated instantiation (nothing without a template). */
static bool add_step(wc_instance *wi, ci_step step, rt_error *err) {
  if (!wi->tmpl) return true;
  if (!rt_grow((void **)&wi->steps, &wi->capsteps, wi->nsteps + 1, sizeof *wi->steps))
    return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of host memory");
  wi->steps[wi->nsteps++] = step;
  return true;
}

/* The template of core module `m`, or NULL (not one of the component's). */
static const rt_template *core_template(const wc_template *t, const wm_module *m) {
  for (uint32_t i = 0; i < t->n; i++)
    if (t->mods[i] == m) return t->tmpls[i];
  return NULL;
}

/* ---- calling core functions --------------------------------------------- */

/* Calls a core function with flat values (the canon.h representation). */
static bool core_call(wrun_store *s, wrun_func *f, const uint64_t *in, uint32_t nin, uint64_t *out,
                      uint32_t *nout, rt_error *err) {
  const wm_functype *ft = rt_func_type(f);
  if (ft->nparams != nin || ft->nresults > WC_MAX_FLAT_PARAMS)
    return rt_error_at(err, WRUN_ERR_TRAP, WRUN_NO_OFFSET, "core function takes %u values, given %u",
                         ft->nparams, nin);
  rt_val a[WC_MAX_FLAT_PARAMS + 1], r[WC_MAX_FLAT_PARAMS + 1];
  for (uint32_t i = 0; i < nin; i++) {
    a[i].type = ft->types[i];
    if (a[i].type == WASM_I32 || a[i].type == WASM_F32) a[i].of.i32 = (uint32_t)in[i];
    else a[i].of.i64 = in[i];
  }
  if (!rt_call(s, f, a, nin, r, ft->nresults, err)) return false;
  for (uint32_t i = 0; i < ft->nresults; i++) {
    wm_valtype t = ft->types[ft->nparams + i];
    out[i] = (t == WASM_I32 || t == WASM_F32) ? r[i].of.i32 : r[i].of.i64;
  }
  *nout = ft->nresults;
  return true;
}

/* The realloc callback of canon.c: calls the guest's realloc with may_leave
 * cleared and refreshes the memory view (realloc may grow memory). */
typedef struct ci_realloc_cx {
  wrun_store *s;
  ci_comp *owner;
  wrun_func *realloc;
  rt_memory *mem;
  wc_mem view;
  rt_error err;
} ci_realloc_cx;

static void view_refresh(ci_realloc_cx *r) {
  if (r->mem) { r->view.base = rt_memory_data(r->mem); r->view.size = rt_memory_size(r->mem); }
}

static bool realloc_cb(void *ctx, uint32_t old_ptr, uint32_t old_size, uint32_t align, uint32_t new_size,
                       uint32_t *out_ptr) {
  ci_realloc_cx *r = ctx;
  uint64_t in[4] = {old_ptr, old_size, align, new_size}, res[WC_MAX_FLAT_PARAMS + 1];
  uint32_t n = 0;
  bool saved = r->owner->may_leave;
  r->owner->may_leave = false;
  bool ok = core_call(r->s, r->realloc, in, 4, res, &n, &r->err);
  r->owner->may_leave = saved;
  view_refresh(r);
  if (!ok || n != 1) return false;
  *out_ptr = (uint32_t)res[0];
  return true;
}

static void cx_init(wc_canon_cx *cx, ci_realloc_cx *r, ci_comp *owner, rt_memory *mem, wrun_func *realloc,
                    wc_string_encoding enc, wc_arena *arena) {
  memset(r, 0, sizeof *r);
  r->s = owner->wi->s; r->owner = owner; r->realloc = realloc; r->mem = mem;
  view_refresh(r);
  memset(cx, 0, sizeof *cx);
  cx->types = owner->c->types;
  cx->mem = mem ? &r->view : NULL;
  cx->encoding = enc;
  cx->realloc = realloc ? realloc_cb : NULL;
  cx->realloc_ctx = r;
  cx->handles = &owner->handles;
  cx->inst = owner;
  cx->rtypes = owner->rtypes;
  cx->arena = arena;
}

/* A canonical-ABI trap as an error; a realloc that trapped reports its own. */
static bool cx_fail(wc_canon_cx *cx, ci_realloc_cx *r, rt_error *err) {
  if (r->err.kind != WRUN_OK) { *err = r->err; return false; }
  return rt_error_at(err, WRUN_ERR_TRAP, WRUN_NO_OFFSET, "%s", cx->trap.msg);
}

/* ---- calling component-level functions --------------------------------- */

static bool call_func(wc_instance *wi, ci_func *f, const wc_value *args, uint32_t nargs, wc_value *results,
                      uint32_t nresults, wc_arena *arena, rt_error *err) {
  const wc_type *ft = &wi->c->types->v[f->type];
  uint32_t nres = ft->has_result ? 1 : 0;
  if (nargs != ft->nitems || nresults != nres)
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "%s takes %u arguments and %u results, given %u and %u",
                         f->name, ft->nitems, nres, nargs, nresults);
  if (f->host) {
    wc_trap trap = {0};
    if (f->fn(f->env, args, nargs, results, nresults, arena, &trap)) return true;
    return rt_error_at(err, WRUN_ERR_TRAP, WRUN_NO_OFFSET, "%s", trap.trapped ? trap.msg : "host function failed");
  }
  ci_comp *k = f->owner;
  if (!k->may_enter)
    return rt_error_at(err, WRUN_ERR_TRAP, WRUN_NO_OFFSET,
                         "cannot enter component instance: calling %s would reenter it", f->name);
  if (wi->depth >= CI_MAX_CALL_DEPTH)
    return rt_error_at(err, WRUN_ERR_EXHAUSTION, WRUN_NO_OFFSET,
                         "call stack exhausted: more than %u nested component calls", CI_MAX_CALL_DEPTH);
  /* parameter types: on the stack for the common case (no malloc per call) */
  wc_val small[WC_MAX_FLAT_PARAMS];
  wc_val *ptypes = ft->nitems <= WC_MAX_FLAT_PARAMS ? small : malloc(ft->nitems * sizeof *ptypes);
  if (!ptypes) return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of host memory");
  for (uint32_t i = 0; i < ft->nitems; i++) ptypes[i] = ft->items[i].type;
  wc_canon_cx cx;
  ci_realloc_cx r;
  cx_init(&cx, &r, k, f->mem, f->realloc, f->enc, arena);
  uint64_t flat[WC_MAX_FLAT_PARAMS + 1], out[WC_MAX_FLAT_PARAMS + 1];
  uint32_t nflat = 0, nout = 0;
  bool ok = false;
  wi->depth++;
  k->may_enter = false;
  k->may_leave = false;   /* realloc while lowering the arguments must not call imports */
  if (!wc_lower_flat_values(&cx, WC_MAX_FLAT_PARAMS, args, ptypes, nargs, NULL, flat, &nflat)) {
    k->may_leave = true;
    cx_fail(&cx, &r, err);
    goto done;
  }
  k->may_leave = true;
  if (!core_call(wi->s, f->core, flat, nflat, out, &nout, err)) goto done;
  view_refresh(&r);
  if (!wc_lift_flat_values(&cx, WC_MAX_FLAT_RESULTS, out, nout, &ft->result, nres, results)) {
    cx_fail(&cx, &r, err);
    goto done;
  }
  if (f->post_return) {
    uint64_t ignored[WC_MAX_FLAT_PARAMS + 1];
    uint32_t nign = 0;
    k->may_leave = false;
    bool pr = core_call(wi->s, f->post_return, out, nout, ignored, &nign, err);
    k->may_leave = true;
    if (!pr) goto done;
  }
  if (!wc_canon_check_borrows(&cx)) { cx_fail(&cx, &r, err); goto done; }
  ok = true;
done:
  wi->depth--;
  k->may_enter = true;
  wc_canon_cx_release(&cx);
  if (ptypes != small) free(ptypes);
  return ok;
}

/* The core host function made by canon lower. */
static bool lower_trampoline(rt_caller *caller, void *env, uint64_t *slots) {
  ci_lower *lw = env;
  ci_comp *k = lw->owner;
  wc_instance *wi = k->wi;
  if (!k->may_leave)
    return rt_caller_trap(caller, WRUN_TRAP_HOST,
                            "cannot leave component instance: %s called during realloc or post-return",
                            lw->callee->name);
  const wc_type *ft = &wi->c->types->v[lw->type];
  uint32_t nres = ft->has_result ? 1 : 0;
  wc_arena arena = {0};
  wc_canon_cx cx;
  ci_realloc_cx r;
  cx_init(&cx, &r, k, lw->mem, lw->realloc, lw->enc, &arena);
  wc_val small_t[WC_MAX_FLAT_PARAMS];
  wc_value small_v[WC_MAX_FLAT_PARAMS];
  bool big = ft->nitems > WC_MAX_FLAT_PARAMS;
  wc_val *ptypes = big ? malloc(ft->nitems * sizeof *ptypes) : small_t;
  wc_value *args = big ? malloc(ft->nitems * sizeof *args) : small_v;
  wc_value res[1];
  rt_error err;
  rt_error_clear(&err);
  bool ok = false;
  if (!ptypes || !args) { rt_error_at(&err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of host memory"); goto done; }
  for (uint32_t i = 0; i < ft->nitems; i++) ptypes[i] = ft->items[i].type;
  /* Core parameters: the flattened arguments (or one pointer past 16), then
   * a return pointer when the result flattens to more than one value. */
  uint8_t rflat[WC_MAX_FLAT_PARAMS + 1];
  uint32_t nrflat = 0;
  if (nres) wc_flatten(cx.types, ft->result, rflat, &nrflat);
  uint32_t nparams_core = 0;
  {
    uint32_t total = 0;
    for (uint32_t i = 0; i < ft->nitems; i++) {
      uint8_t fl[WC_MAX_FLAT_PARAMS + 1];
      uint32_t n = 0;
      wc_flatten(cx.types, ptypes[i], fl, &n);
      total += n;
    }
    nparams_core = total > WC_MAX_FLAT_PARAMS ? 1 : total;
  }
  if (!wc_lift_flat_values(&cx, WC_MAX_FLAT_PARAMS, slots, nparams_core, ptypes, ft->nitems, args)) {
    cx_fail(&cx, &r, &err);
    goto done;
  }
  if (!call_func(wi, lw->callee, args, ft->nitems, res, nres, &arena, &err)) goto done;
  view_refresh(&r);
  if (nres) {
    uint32_t nout = 0;
    if (nrflat > WC_MAX_FLAT_RESULTS) {
      uint32_t retptr = (uint32_t)slots[nparams_core];
      if (!wc_lower_flat_values(&cx, WC_MAX_FLAT_RESULTS, res, &ft->result, 1, &retptr, slots, &nout)) {
        cx_fail(&cx, &r, &err);
        goto done;
      }
    } else if (!wc_lower_flat_values(&cx, WC_MAX_FLAT_RESULTS, res, &ft->result, 1, NULL, slots, &nout)) {
      cx_fail(&cx, &r, &err);
      goto done;
    }
  }
  ok = true;
done:
  wc_canon_release_lends(&cx);
  wc_canon_cx_release(&cx);
  wc_arena_free(&arena);
  if (big) {
    free(ptypes);
    free(args);
  }
  if (ok) return true;
  return rt_caller_trap(caller, WRUN_TRAP_HOST, "%s", err.message);
}

/* ---- resource.new / drop / rep and destructors -------------------------- */

static bool res_cx_trap(rt_caller *caller, wc_canon_cx *cx) {
  return rt_caller_trap(caller, WRUN_TRAP_HOST, "%s", cx->trap.msg);
}

static void res_cx(wc_canon_cx *cx, ci_res *e) {
  memset(cx, 0, sizeof *cx);
  cx->types = e->owner->c->types;
  cx->handles = &e->owner->handles;
  cx->inst = e->owner;
  cx->rtypes = e->owner->rtypes;
}

static bool resource_new_fn(rt_caller *caller, void *env, uint64_t *slots) {
  wc_canon_cx cx;
  res_cx(&cx, env);
  uint32_t idx;
  if (!wc_resource_new(&cx, ((ci_res *)env)->rt, (uint32_t)slots[0], &idx)) return res_cx_trap(caller, &cx);
  slots[0] = idx;
  return true;
}

static bool resource_rep_fn(rt_caller *caller, void *env, uint64_t *slots) {
  wc_canon_cx cx;
  res_cx(&cx, env);
  uint32_t rep;
  if (!wc_resource_rep(&cx, ((ci_res *)env)->rt, (uint32_t)slots[0], &rep)) return res_cx_trap(caller, &cx);
  slots[0] = rep;
  return true;
}

static bool resource_drop_fn(rt_caller *caller, void *env, uint64_t *slots) {
  wc_canon_cx cx;
  res_cx(&cx, env);
  bool ok = wc_resource_drop(&cx, ((ci_res *)env)->rt, (uint32_t)slots[0]);
  wc_canon_cx_release(&cx);
  return ok ? true : res_cx_trap(caller, &cx);
}

static bool dtor_cb(void *ctx, uint32_t rep, wc_trap *trap) {
  ci_res *e = ctx;
  uint64_t in[1] = {rep}, out[WC_MAX_FLAT_PARAMS + 1];
  uint32_t n = 0;
  rt_error err;
  rt_error_clear(&err);
  if (core_call(e->owner->wi->s, e->dtor, in, 1, out, &n, &err)) return true;
  trap->trapped = true;
  snprintf(trap->msg, sizeof trap->msg, "resource destructor trapped: %.160s", err.message);
  return false;
}

/* ---- instantiation ------------------------------------------------------ */

typedef struct ci_walk {
  wc_instance *wi;
  ci_comp *k;
  const ci_inst *args;     /* nested: the `with` arguments; root: NULL (the host) */
  rt_error *err;
} ci_walk;

/* A link error at the definition's offset. */
static bool link_err(ci_walk *w, const wc_def *d, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool link_err(ci_walk *w, const wc_def *d, const char *fmt, ...) {
  char msg[sizeof w->err->message];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  return rt_error_at(w->err, WRUN_ERR_LINK, d->offset, "%s", msg);
}

static bool oom(ci_walk *w) { return rt_error_at(w->err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of host memory"); }

/* Places an item into its space (and records a resource type by arena id). */
static void put(ci_comp *k, wc_sort s, uint32_t index, ci_item item) {
  if (index == WC_NONE || index >= k->c->nspace[s]) return;
  k->space[s][index] = item;
  if (s == WC_TYPE && item.u.rt) k->rtypes[k->c->spaces[WC_TYPE][index]] = item.u.rt;
}

static bool core_lookup(const ci_core *core, wc_str name, rt_extern *out) {
  if (core->inst) return rt_instance_export(core->inst, name.ptr, name.len, out);
  for (uint32_t i = 0; i < core->n; i++)
    if (str_eq(core->names[i].name, name)) { *out = core->ex[i]; return true; }
  return false;
}

static const ci_export *inst_lookup(const ci_inst *in, wc_str name) {
  for (uint32_t i = 0; in && i < in->n; i++)
    if (str_eq(in->ex[i].name, name)) return &in->ex[i];
  return NULL;
}

static char *name_dup(ci_walk *w, wc_str s) {
  char *p = ci_new(w->wi, s.len + 1);
  if (p) memcpy(p, s.ptr, s.len);
  return p;
}

/* Whether the guest's type `type` for host function `e` (imported as
 * `name`, of instance `iface` or the root) is exactly the host's; a LINK error
 * naming the first difference when not. Made once per instantiation. */
static bool host_type_ok(ci_walk *w, const wc_def *d, const ci_host_entry *e, uint32_t type, wc_str iface,
                         wc_str name) {
  wc_instance *wi = w->wi;
  if (!wi->hcheck && !(wi->hcheck = wc_hcheck_new(wi->host->types, wi->c->types))) return oom(w);
  char why[200];
  bool failed;
  if (wc_hcheck_func(wi->hcheck, e->htype, type, why, sizeof why, &failed)) return true;
  if (failed) return rt_error_at(w->err, WRUN_ERR_LIMIT, d->offset, "component import %.*s: %s",
                                   (int)d->u.ie.name.len, d->u.ie.name.ptr, why);
  if (!iface.len)
    return link_err(w, d, "component import %.*s does not have the host's type: %s", (int)name.len, name.ptr, why);
  return link_err(w, d, "component import %.*s: function %.*s does not have the host's type: %s", (int)iface.len,
                  iface.ptr, (int)name.len, name.ptr, why);
}

static ci_func *host_func(ci_walk *w, const ci_host_entry *e, uint32_t type, wc_str name) {
  ci_func *f = ci_new(w->wi, sizeof *f);
  if (!f) return NULL;
  f->host = true; f->type = type; f->fn = e->fn; f->env = e->env;
  f->name = name_dup(w, name);
  return f->name ? f : NULL;
}

/* An import of the root: functions and instances of functions from the host. */
static bool import_from_host(ci_walk *w, const wc_def *d, ci_item *item) {
  wc_str none = {"", 0}, name = d->u.ie.name;
  const wc_type *t = &w->wi->c->types->v[d->u.ie.type];
  if (d->sort == WC_FUNC) {
    const ci_host_entry *e = host_find(w->wi->host, none, name, false);
    if (!e) return link_err(w, d, "component import %.*s is not provided", (int)name.len, name.ptr);
    if (!host_type_ok(w, d, e, d->u.ie.type, none, name)) return false;
    return (item->u.func = host_func(w, e, d->u.ie.type, name)) != NULL || oom(w);
  }
  if (d->sort == WC_TYPE) { item->u.rt = NULL; return true; }
  if (d->sort != WC_INSTANCE)
    return link_err(w, d, "component import %.*s: only functions and instances can be provided by the host",
                    (int)name.len, name.ptr);
  bool any = false;
  for (uint32_t i = 0; w->wi->host && i < w->wi->host->n && !any; i++) any = iface_matches(name, w->wi->host->v[i].iface);
  if (!w->wi->host || !any) return link_err(w, d, "component import %.*s is not provided", (int)name.len, name.ptr);
  ci_inst *in = ci_new(w->wi, sizeof *in);
  if (!in || !(in->ex = ci_new(w->wi, (t->nexports + 1) * sizeof *in->ex))) return oom(w);
  for (uint32_t i = 0; i < t->nexports; i++) {
    const wc_extern *x = &t->exports[i];
    ci_export *ex = &in->ex[in->n++];
    ex->name = x->name; ex->sort = x->sort;
    if (x->sort == WC_TYPE) {
      /* a resource type the host implements; the instance type's functions
       * name it by this arena id */
      const ci_host_entry *e = host_find(w->wi->host, name, x->name, true);
      if (e && w->wi->c->types->v[x->type].kind == WC_T_RESOURCE) {
        ex->item.u.rt = e->rt;
        w->k->rtypes[x->type] = e->rt;
        /* from now on own/borrow of x->type in the guest's types is this host resource */
        if (!w->wi->hcheck && !(w->wi->hcheck = wc_hcheck_new(w->wi->host->types, w->wi->c->types))) return oom(w);
        if (!wc_hcheck_bind(w->wi->hcheck, e->htype, x->type)) return oom(w);
      }
      continue;
    }
    if (x->sort != WC_FUNC)
      return link_err(w, d, "component import %.*s exports a kind of item the host cannot provide", (int)name.len,
                      name.ptr);
    const ci_host_entry *e = host_find(w->wi->host, name, x->name, false);
    if (!e) {
      return link_err(w, d, "component import %.*s: function %.*s is not provided", (int)name.len, name.ptr,
                      (int)x->name.len, x->name.ptr);
    }
    if (!host_type_ok(w, d, e, x->type, name, x->name)) return false;
    if (!(ex->item.u.func = host_func(w, e, x->type, x->name))) return oom(w);
  }
  item->u.inst = in;
  return true;
}

static bool inst_core(ci_walk *w, const wc_def *d) {
  ci_comp *k = w->k;
  ci_core *core = ci_new(w->wi, sizeof *core);
  if (!core) return oom(w);
  if (!d->u.inst.instantiate) {
    core->n = d->u.inst.nargs;
    core->names = d->u.inst.args;
    if (!(core->ex = ci_new(w->wi, (core->n + 1) * sizeof *core->ex))) return oom(w);
    for (uint32_t i = 0; i < core->n; i++) core->ex[i] = k->space[core->names[i].sort][core->names[i].index].u.ext;
  } else {
    const wm_module *m = k->space[WC_CORE_MODULE][d->u.inst.of].u.module;
    if (!m) return link_err(w, d, "core module to instantiate is not available");
    if (!count_instance(w->wi, d->offset, w->err)) return false;
    rt_extern *ims = ci_new(w->wi, (m->nimports + 1) * sizeof *ims);
    if (!ims) return oom(w);
    for (uint32_t i = 0; i < m->nimports; i++) {
      const wm_import *im = &m->imports[i];
      wc_str mod = {im->module.ptr, im->module.len}, field = {im->field.ptr, im->field.len};
      const ci_core *from = NULL;
      for (uint32_t a = 0; a < d->u.inst.nargs; a++)
        if (str_eq(d->u.inst.args[a].name, mod)) from = k->space[WC_CORE_INSTANCE][d->u.inst.args[a].index].u.core;
      if (!from || !core_lookup(from, field, &ims[i]) || !ims[i].of.func)
        return rt_error_at(w->err, WRUN_ERR_LINK, d->offset, "core import %.*s.%.*s is not provided",
                             (int)mod.len, mod.ptr, (int)field.len, field.ptr);
    }
    const rt_template *t = w->wi->tmpl ? core_template(w->wi->tmpl, m) : NULL;
    if (w->wi->tmpl && !t) return link_err(w, d, "core module to instantiate is not in the template");
    core->inst = t ? rt_template_instantiate_with(t, w->wi->s, ims, m->nimports, w->err)
                   : rt_instantiate(w->wi->s, m, ims, m->nimports, w->err);
    if (!core->inst || !add_step(w->wi, (ci_step){core->inst, NULL}, w->err)) return false;
  }
  put(k, WC_CORE_INSTANCE, d->index, (ci_item){.u.core = core});
  return true;
}

static ci_comp *comp_instantiate(wc_instance *wi, const wc_component *c, ci_comp *parent, const ci_inst *args,
                                 rt_error *err);

static bool inst_comp(ci_walk *w, const wc_def *d) {
  ci_comp *k = w->k;
  ci_inst *in = ci_new(w->wi, sizeof *in);
  if (!in || !(in->ex = ci_new(w->wi, (d->u.inst.nargs + 1) * sizeof *in->ex))) return oom(w);
  for (uint32_t i = 0; i < d->u.inst.nargs; i++) {
    const wc_arg *a = &d->u.inst.args[i];
    in->ex[in->n++] = (ci_export){a->name, a->sort, k->space[a->sort][a->index]};
  }
  if (d->u.inst.instantiate) {
    ci_item ci = k->space[WC_COMPONENT][d->u.inst.of];
    if (!ci.u.comp.c) return link_err(w, d, "component to instantiate is not available");
    ci_comp *child = comp_instantiate(w->wi, ci.u.comp.c, ci.u.comp.parent, in, w->err);
    if (!child) return false;
    in = &child->exports;
  }
  put(k, WC_INSTANCE, d->index, (ci_item){.u.inst = in});
  return true;
}

static bool def_alias(ci_walk *w, const wc_def *d) {
  ci_comp *k = w->k;
  ci_item item = {0};
  wc_str name = d->u.alias.name;
  switch (d->u.alias.how) {
  case WC_ALIAS_CORE_EXPORT: {
    const ci_core *core = k->space[WC_CORE_INSTANCE][d->u.alias.instance].u.core;
    if (!core || !core_lookup(core, name, &item.u.ext))
      return link_err(w, d, "core export %.*s not found", (int)name.len, name.ptr);
    break;
  }
  case WC_ALIAS_EXPORT: {
    const ci_export *e = inst_lookup(k->space[WC_INSTANCE][d->u.alias.instance].u.inst, name);
    if (!e) return link_err(w, d, "instance export %.*s not found", (int)name.len, name.ptr);
    item = e->item;
    break;
  }
  case WC_ALIAS_OUTER: {
    ci_comp *p = k;
    for (uint32_t i = 0; p && i < d->u.alias.outer_count; i++) p = p->parent;
    if (p && d->u.alias.outer_index < p->c->nspace[d->sort]) item = p->space[d->sort][d->u.alias.outer_index];
    break;
  }
  }
  put(k, d->sort, d->index, item);
  return true;
}

static bool def_canon(ci_walk *w, const wc_def *d) {
  ci_comp *k = w->k;
  const wc_component *c = k->c;
  const wc_canon_opts *o = &d->u.canon.opts;
  rt_memory *mem = o->memory != WC_NONE ? k->space[WC_CORE_MEMORY][o->memory].u.ext.of.memory : NULL;
  wrun_func *realloc = o->realloc != WC_NONE ? k->space[WC_CORE_FUNC][o->realloc].u.ext.of.func : NULL;
  if (d->u.canon.op == WC_CANON_LIFT) {
    ci_func *f = ci_new(w->wi, sizeof *f);
    if (!f) return oom(w);
    f->owner = k; f->type = c->spaces[WC_FUNC][d->index]; f->mem = mem; f->realloc = realloc; f->enc = o->encoding;
    f->core = k->space[WC_CORE_FUNC][d->u.canon.func].u.ext.of.func;
    f->post_return = o->post_return != WC_NONE ? k->space[WC_CORE_FUNC][o->post_return].u.ext.of.func : NULL;
    f->name = "a lifted function";
    if (!f->core || (o->memory != WC_NONE && !mem) || (o->realloc != WC_NONE && !realloc) ||
        (o->post_return != WC_NONE && !f->post_return))
      return link_err(w, d, "canon lift of a core function that is not available");
    put(k, WC_FUNC, d->index, (ci_item){.u.func = f});
    return true;
  }
  const wm_functype *core_t = &wc_type_at(c, c->spaces[WC_CORE_FUNC][d->index])->core_func;
  wrun_func *hf = NULL;
  if (d->u.canon.op == WC_CANON_LOWER) {
    ci_lower *lw = ci_new(w->wi, sizeof *lw);
    if (!lw) return oom(w);
    lw->owner = k; lw->callee = k->space[WC_FUNC][d->u.canon.func].u.func;
    lw->type = c->spaces[WC_FUNC][d->u.canon.func]; lw->mem = mem; lw->realloc = realloc; lw->enc = o->encoding;
    if (!lw->callee || (o->memory != WC_NONE && !mem) || (o->realloc != WC_NONE && !realloc))
      return link_err(w, d, "canon lower of a function that is not available");
    hf = rt_func_new_host(w->wi->s, core_t, lower_trampoline, lw, lw->callee->name);
  } else {
    ci_res *e = ci_new(w->wi, sizeof *e);
    if (!e) return oom(w);
    e->owner = k;
    e->rt = k->space[WC_TYPE][d->u.canon.type].u.rt;
    if (!e->rt) return link_err(w, d, "canon resource.* on a resource type with no runtime instance");
    rt_host_fn fn = d->u.canon.op == WC_CANON_RESOURCE_NEW ? resource_new_fn
                      : d->u.canon.op == WC_CANON_RESOURCE_REP ? resource_rep_fn : resource_drop_fn;
    hf = rt_func_new_host(w->wi->s, core_t, fn, e, "resource");
  }
  if (!hf) return oom(w);
  put(k, WC_CORE_FUNC, d->index, (ci_item){.u.ext = {.kind = WASM_EXTERN_FUNC, .of.func = hf}});
  return true;
}

static bool def_type(ci_walk *w, const wc_def *d) {
  ci_comp *k = w->k;
  const wc_type *t = wc_type_at(k->c, d->u.type);
  ci_item item = {0};
  if (t->kind == WC_T_RESOURCE) {
    wc_resource_type *rt = ci_new(w->wi, sizeof *rt);
    if (!rt) return oom(w);
    rt->impl = k;
    if (t->dtor != WC_NONE) {
      ci_res *e = ci_new(w->wi, sizeof *e);
      if (!e) return oom(w);
      e->owner = k; e->rt = rt; e->dtor = k->space[WC_CORE_FUNC][t->dtor].u.ext.of.func;
      if (!e->dtor) return link_err(w, d, "resource destructor is not available");
      rt->dtor = dtor_cb; rt->dtor_ctx = e;
    }
    k->rtypes[d->u.type] = rt;
    item.u.rt = rt;
  }
  put(k, WC_TYPE, d->index, item);
  return true;
}

static bool def_start(ci_walk *w, const wc_def *d) {
  if (d->u.start.nargs || d->u.start.nresults)
    return link_err(w, d, "start functions with arguments or results are not supported yet");
  ci_func *f = w->k->space[WC_FUNC][d->u.start.func].u.func;
  if (!f) return link_err(w, d, "start function is not available");
  if (!add_step(w->wi, (ci_step){NULL, f}, w->err)) return false;
  wc_arena arena = {0};
  bool ok = call_func(w->wi, f, NULL, 0, NULL, 0, &arena, w->err);
  wc_arena_free(&arena);
  return ok;
}

static bool def_import(ci_walk *w, const wc_def *d) {
  ci_item item = {0};
  if (!w->args) {
    if (!import_from_host(w, d, &item)) return false;
  } else {
    const ci_export *e = inst_lookup(w->args, d->u.ie.name);
    if (!e)
      return link_err(w, d, "component import %.*s is not provided", (int)d->u.ie.name.len, d->u.ie.name.ptr);
    item = e->item;
    if (d->sort == WC_TYPE && item.u.rt) w->k->rtypes[d->u.ie.type] = item.u.rt;
  }
  put(w->k, d->sort, d->index, item);
  return true;
}

static bool def_export(ci_walk *w, const wc_def *d) {
  ci_comp *k = w->k;
  ci_item item = k->space[d->sort][d->u.ie.target];
  if (d->sort == WC_FUNC && item.u.func && !item.u.func->host && !strcmp(item.u.func->name, "a lifted function")) {
    char *n = name_dup(w, d->u.ie.name);
    if (!n) return oom(w);
    item.u.func->name = n;
  }
  if (d->sort == WC_TYPE && item.u.rt) k->rtypes[d->u.ie.type] = item.u.rt;
  k->exports.ex[k->exports.n++] = (ci_export){d->u.ie.name, d->sort, item};
  put(k, d->sort, d->index, item);
  return true;
}

static bool walk_def(ci_walk *w, const wc_def *d) {
  ci_comp *k = w->k;
  switch (d->kind) {
  case WC_DEF_CORE_MODULE:
    put(k, WC_CORE_MODULE, d->index, (ci_item){.u.module = k->c->modules[d->u.module]});
    return true;
  case WC_DEF_COMPONENT:
    put(k, WC_COMPONENT, d->index, (ci_item){.u.comp = {k->c->components[d->u.component], k}});
    return true;
  case WC_DEF_CORE_INSTANCE: return inst_core(w, d);
  case WC_DEF_INSTANCE: return inst_comp(w, d);
  case WC_DEF_ALIAS: return def_alias(w, d);
  case WC_DEF_CANON: return def_canon(w, d);
  case WC_DEF_TYPE: return def_type(w, d);
  case WC_DEF_CORE_TYPE: return true;
  case WC_DEF_START: return def_start(w, d);
  case WC_DEF_IMPORT: return def_import(w, d);
  case WC_DEF_EXPORT: return def_export(w, d);
  }
  return true;
}

/* Recursion depth is bounded: a component nests at most WC_MAX_DEPTH deep
 * (the validator's cap) and only components defined or aliased in an
 * enclosing one can be instantiated. */
static ci_comp *comp_instantiate(wc_instance *wi, const wc_component *c, ci_comp *parent, const ci_inst *args,
                                 rt_error *err) {
  if (!count_instance(wi, c->offset, err)) return NULL;
  ci_comp *k = ci_new(wi, sizeof *k);
  if (!k) { rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of host memory"); return NULL; }
  k->wi = wi; k->c = c; k->parent = parent; k->may_enter = true; k->may_leave = true;
  wc_handles_init(&k->handles);
  k->next_comp = wi->comps;
  wi->comps = k;
  ci_walk w = {wi, k, args, err};
  uint32_t nexports = 0;
  for (uint32_t i = 0; i < c->ndefs; i++) nexports += c->defs[i].kind == WC_DEF_EXPORT;
  k->exports.ex = ci_new(wi, (nexports + 1) * sizeof *k->exports.ex);
  k->rtypes = ci_new(wi, (c->types->n + 1) * sizeof *k->rtypes);
  if (!k->exports.ex || !k->rtypes) { oom(&w); return NULL; }
  for (int s = 0; s < WC_NSORTS; s++)
    if (!(k->space[s] = ci_new(wi, (c->nspace[s] + 1) * sizeof(ci_item)))) { oom(&w); return NULL; }
  for (uint32_t i = 0; i < c->ndefs; i++)
    if (!walk_def(&w, &c->defs[i])) return NULL;
  return k;
}

static wc_instance *instantiate(wrun_store *s, const wc_component *c, const wc_template *t, const wc_host *host,
                                rt_error *err) {
  rt_error_clear(err);
  wc_instance *wi = calloc(1, sizeof *wi);
  if (!wi) { rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of host memory"); return NULL; }
  static const wc_host empty;
  wi->s = s; wi->c = c; wi->host = host ? host : &empty; wi->tmpl = t;
  wi->top = comp_instantiate(wi, c, NULL, NULL, err);
  wc_hcheck_free(wi->hcheck);   /* only needed while linking */
  wi->hcheck = NULL;
  if (!wi->top) { wc_instance_free(wi); return NULL; }
  wi->renewable = t != NULL;
  return wi;
}

wc_instance *wc_instantiate(wrun_store *s, const wc_component *c, const wc_host *host, rt_error *err) {
  return instantiate(s, c, NULL, host, err);
}

/* ---- templates ----------------------------------------------------------- */

void wc_template_free(wc_template *t) {
  if (!t) return;
  for (uint32_t i = 0; i < t->n; i++) rt_template_free(t->tmpls[i]);
  free(t->tmpls);
  free(t->mods);
  free(t);
}

wc_template *wc_template_new(const wc_component *c, const rt_config *cfg, rt_error *err) {
  rt_error_clear(err);
  wc_template *t = calloc(1, sizeof *t);
  uint32_t n = wc_core_modules(c, NULL, 0);
  if (t) {
    t->c = c;
    t->cfg = *cfg;
    t->mods = calloc((size_t)n + 1, sizeof *t->mods);
    t->tmpls = calloc((size_t)n + 1, sizeof *t->tmpls);
  }
  if (!t || !t->mods || !t->tmpls) {
    wc_template_free(t);
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of host memory");
    return NULL;
  }
  wc_core_modules(c, t->mods, n);
  for (; t->n < n; t->n++) {
    /* imports are given per instantiation: they are the other instances' exports */
    if (!(t->tmpls[t->n] = engine_template_new(t->mods[t->n], cfg, NULL, 0, err))) {
      wc_template_free(t);
      return NULL;
    }
  }
  return t;
}

const rt_config *wc_template_config(const wc_template *t) { return &t->cfg; }

wc_instance *wc_template_instantiate(const wc_template *t, wrun_store *s, const wc_host *host, rt_error *err) {
  return instantiate(s, t->c, t, host, err);
}

bool wc_instance_renew(wc_instance *wi, rt_error *err) {
  rt_error_clear(err);
  if (!wi->renewable)
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "only a complete instance made from a template can be renewed");
  wi->renewable = false; /* until every step has run again */
  for (ci_comp *k = wi->comps; k; k = k->next_comp) {
    /* the handles go with the old state: the host resets its own objects,
     * and guest-defined resources belong to memories about to be reset */
    k->handles.n = 0;
    k->handles.free_head = 0;
    k->handles.num_borrows = 0;
    k->may_enter = k->may_leave = true;
  }
  wi->depth = 0;
  for (uint32_t i = 0; i < wi->nsteps; i++) {
    const ci_step *st = &wi->steps[i];
    if (st->core) {
      if (!rt_instance_renew(wi->s, st->core, err)) return false;
    } else {
      wc_arena arena = {0};
      bool ok = call_func(wi, st->start, NULL, 0, NULL, 0, &arena, err);
      wc_arena_free(&arena);
      if (!ok) return false;
    }
  }
  wi->renewable = true;
  return true;
}

/* `name` is a function export of the root, or "IFACE#func": function `func`
 * of the root's exported instance IFACE (e.g. "wasi:cli/run@0.2.0#run"). */
static ci_func *export_func(const wc_instance *wi, const char *name) {
  const ci_inst *in = &wi->top->exports;
  const char *hash = strchr(name, '#');
  if (hash) {
    wc_str iface = {name, (uint32_t)(hash - name)};
    const ci_inst *sub = NULL;
    for (uint32_t i = 0; i < in->n && !sub; i++)
      if (in->ex[i].sort == WC_INSTANCE && str_eq(in->ex[i].name, iface)) sub = in->ex[i].item.u.inst;
    if (!sub) return NULL;
    in = sub;
    name = hash + 1;
  }
  for (uint32_t i = 0; i < in->n; i++)
    if (in->ex[i].sort == WC_FUNC && str_is(in->ex[i].name, name)) return in->ex[i].item.u.func;
  return NULL;
}

uint32_t wc_instance_func_type(const wc_instance *wi, const char *name) {
  ci_func *f = export_func(wi, name);
  return f ? f->type : WC_NONE;
}

bool wc_instance_call(wc_instance *wi, const char *name, const wc_value *args, uint32_t nargs, wc_value *results,
                      uint32_t nresults, wc_arena *arena, rt_error *err) {
  rt_error_clear(err);
  ci_func *f = export_func(wi, name);
  if (!f) return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "no exported function %s", name);
  return call_func(wi, f, args, nargs, results, nresults, arena, err);
}
