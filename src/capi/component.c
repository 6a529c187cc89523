/*
 * component.c — wrun.h's component section: components loaded and validated
 * (src/component), their imports and exports listed as WIT-like text,
 * instantiated in a wasm_store_t (src/cinst) with WASI 0.2 (src/wasip2) built
 * from the store's preview-1 configuration, exports called and host
 * functions answered with values in WAVE text (component/wave.h), and
 * resource types the embedder implements, with handles passed as reps.
 *
 * Ownership: a wrun_component_t owns the decoded component and its listing
 * strings; a host owns its function records (freed, finalizers run, with the
 * host); an instance owns its wc_instance, the wc_host it was linked with,
 * its WASI 0.2 context and its bindings of the host's entries (which
 * resource type each of the host's resources is in that instance), while the
 * core instances belong to the store.
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "capi/capi.h"
#include "aot/aot.h"
#include "cinst/artifact.h"
#include "cinst/instance.h"
#include "component/htypes.h"
#include "component/wave.h"
#include "wasip2/wasip2.h"

/* ---- components ----------------------------------------------------------------------- */

typedef struct item {
  char *name, *type;
} item;

struct wrun_component_t {
  wc_component *c;
  item *imports, *exports;
  size_t nimports, nexports;
};

static void free_items(item *v, size_t n) {
  for (size_t i = 0; i < n; i++) {
    free(v[i].name);
    free(v[i].type);
  }
  free(v);
}

void wrun_component_delete(wrun_component_t *c) {
  if (!c) return;
  free_items(c->imports, c->nimports);
  free_items(c->exports, c->nexports);
  wc_component_free(c->c);
  free(c);
}

/* Appends one entry "PREFIX#NAME" (or NAME) with its type text; false if out of memory. */
static bool add_item(const wc_component *c, item **v, size_t *n, size_t *cap, wc_str prefix, wc_str name,
                     wc_sort sort, uint32_t type) {
  if (*n == *cap) {
    size_t nc = *cap ? *cap * 2 : 8;
    item *nv = realloc(*v, nc * sizeof *nv);
    if (!nv) return false;
    *v = nv;
    *cap = nc;
  }
  item *it = &(*v)[*n];
  size_t len = prefix.len + 1 + name.len + 1;
  it->name = malloc(len);
  size_t tlen = 0;
  it->type = NULL;
  FILE *f = open_memstream(&it->type, &tlen);
  if (f) {
    wc_print_item_type(c, sort, type, f);
    if (fclose(f) != 0) { free(it->type); it->type = NULL; }
  }
  if (!it->name || !it->type) {
    free(it->name);
    free(it->type);
    return false;
  }
  if (prefix.len)
    snprintf(it->name, len, "%.*s#%.*s", (int)prefix.len, prefix.ptr, (int)name.len, name.ptr);
  else
    snprintf(it->name, len, "%.*s", (int)name.len, name.ptr);
  (*n)++;
  return true;
}

/* One entry per root item, an interface's functions and types flattened
 * into "INTERFACE#MEMBER" entries. */
static bool list_items(const wc_component *c, const wc_extern *v, uint32_t nv, item **out, size_t *n) {
  size_t cap = 0;
  wc_str none = {"", 0};
  for (uint32_t i = 0; i < nv; i++) {
    if (v[i].sort != WC_INSTANCE) {
      if (!add_item(c, out, n, &cap, none, v[i].name, v[i].sort, v[i].type)) return false;
      continue;
    }
    const wc_type *it = wc_type_at(c, v[i].type);
    for (uint32_t j = 0; j < it->nexports; j++)
      if (!add_item(c, out, n, &cap, v[i].name, it->exports[j].name, it->exports[j].sort, it->exports[j].type))
        return false;
  }
  return true;
}

/* With the AOT tier: compiles every core module now, as wrun_module_new does. */
static bool compile_core_modules(wc_component *c, const rt_config *cfg, rt_error *e) {
  uint32_t n = wc_core_modules(c, NULL, 0);
  wm_module **mods = calloc((size_t)n + 1, sizeof *mods);
  if (!mods) return rt_error_at(e, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory"), false;
  wc_core_modules(c, mods, n);
  bool ok = true;
  for (uint32_t k = 0; k < n && ok; k++) {
    if (mods[k]->aot_image) continue;
    aot_image *img;
    ok = aot_compile_module(mods[k], aot_options_for(cfg), &img, e);
    if (ok) aot_attach_image(mods[k], img);
  }
  free(mods);
  return ok;
}

wrun_component_t *wrun_component_new(wasm_engine_t *engine, const uint8_t *bytes, size_t len, wrun_error_t **err) {
  if (err) *err = NULL;
  if (!engine || (!bytes && len)) {
    if (err) *err = capi_error_new(WRUN_PHASE_USAGE, "wrun_component_new: no engine or no bytes");
    return NULL;
  }
  if (!wc_is_component(bytes, len)) {
    if (err) *err = capi_error_new(WRUN_PHASE_USAGE, "not a component (no component preamble)");
    return NULL;
  }
  rt_error e;
  rt_error_clear(&e);
  wrun_component_t *out = calloc(1, sizeof *out);
  if (!out) {
    if (err) *err = capi_error_new(WRUN_PHASE_RESOURCE, "out of memory");
    return NULL;
  }
  if (!(out->c = wc_component_load(bytes, len, &e)) ||
      (engine->cfg.aot && !compile_core_modules(out->c, &engine->cfg, &e))) {
    if (err) {
      *err = capi_error_from(&e);
      if (*err && engine->cfg.aot && out->c) (*err)->phase = WRUN_PHASE_COMPILE;
    }
    wrun_component_delete(out);
    return NULL;
  }
  const wc_type *ct = wc_type_at(out->c, out->c->type);
  if (!list_items(out->c, ct->imports, ct->nimports, &out->imports, &out->nimports) ||
      !list_items(out->c, ct->exports, ct->nexports, &out->exports, &out->nexports)) {
    if (err) *err = capi_error_new(WRUN_PHASE_RESOURCE, "out of memory");
    wrun_component_delete(out);
    return NULL;
  }
  return out;
}

size_t wrun_component_import_count(const wrun_component_t *c) { return c->nimports; }
size_t wrun_component_export_count(const wrun_component_t *c) { return c->nexports; }

static bool get_item(const item *v, size_t n, size_t i, const char **name, const char **type) {
  if (i >= n) return false;
  if (name) *name = v[i].name;
  if (type) *type = v[i].type;
  return true;
}
bool wrun_component_import(const wrun_component_t *c, size_t i, const char **name, const char **type) {
  return get_item(c->imports, c->nimports, i, name, type);
}
bool wrun_component_export(const wrun_component_t *c, size_t i, const char **name, const char **type) {
  return get_item(c->exports, c->nexports, i, name, type);
}

/* ---- hosts ------------------------------------------------------------------------------- */

/* One registration, replayed into each instantiation's wc_host in order. */
typedef struct host_entry {
  char *iface;                 /* NULL: a plain-named function */
  char *name;                  /* NULL: a type definition */
  char *text;                  /* the definitions or the signature (NULL for a resource) */
  wrun_component_func_t fn;
  wrun_component_dtor_t dtor;  /* a resource (fn NULL) */
  bool resource;
  void *env;
  void (*finalizer)(void *);
  uint32_t type;               /* the signature's (a resource's) id in the host's own type arena */
  const struct wrun_component_host_t *host;
} host_entry;

/* A host entry as bound in one instance: what its host function's
 * callbacks get, to find the instance's resource types. */
typedef struct binding {
  const host_entry *e;
  struct wrun_component_instance_t *ci;
  const wc_resource_type *rt;  /* a resource entry's type in this instance */
} binding;

struct wrun_component_instance_t {
  wasm_store_t *store;
  const wrun_component_t *comp;
  wc_host *host;
  wp2_ctx *p2;
  wc_instance *inst;
  wc_arena results;    /* wrun_component_call_cvals' string results, until the next call */
  binding *bindings;   /* one per entry of the host */
  uint32_t nbindings;
};

struct wrun_component_host_t {
  wc_htypes *types;            /* the signatures, parsed once: for checking and for WAVE */
  host_entry **entries;
  uint32_t n, cap;
};

struct wrun_component_reply_t {
  const wc_types *types;
  const binding *b;            /* the function's entry in the calling instance */
  const wc_type *ft;
  wc_arena *arena;
  wc_value *result;            /* where a parsed result goes */
  bool answered, trapped;
  char msg[192];
};

static void entry_free(host_entry *e) {
  if (!e) return;
  if (e->finalizer) e->finalizer(e->env);
  free(e->iface);
  free(e->name);
  free(e->text);
  free(e);
}

wrun_component_host_t *wrun_component_host_new(void) {
  wrun_component_host_t *h = calloc(1, sizeof *h);
  if (h && !(h->types = wc_htypes_new())) {
    free(h);
    h = NULL;
  }
  return h;
}

void wrun_component_host_delete(wrun_component_host_t *h) {
  if (!h) return;
  for (uint32_t i = 0; i < h->n; i++) entry_free(h->entries[i]);
  free(h->entries);
  wc_htypes_free(h->types);
  free(h);
}

/* The namespace key of an interface (a plain-named function's is ""). */
static const char *ns_of(const char *iface) { return iface ? iface : ""; }

/* Adds a filled entry, freeing it (finalizer included) on failure. */
static wrun_error_t *push_entry(wrun_component_host_t *h, host_entry *e) {
  if (!capi_push((void ***)&h->entries, &h->n, &h->cap, e)) {
    entry_free(e);
    return capi_error_new(WRUN_PHASE_RESOURCE, "out of memory");
  }
  return NULL;
}

wrun_error_t *wrun_component_host_add_types(wrun_component_host_t *h, const char *iface, const char *defs) {
  if (!h || !iface || !defs) return capi_error_new(WRUN_PHASE_USAGE, "wrun_component_host_add_types: NULL argument");
  if (!wc_htypes_define(h->types, iface, defs))
    return capi_error_new(WRUN_PHASE_USAGE, "types of %s: %s", iface, wc_htypes_error(h->types));
  host_entry *e = calloc(1, sizeof *e);
  if (e && (!(e->iface = strdup(iface)) || !(e->text = strdup(defs)))) {
    entry_free(e);
    e = NULL;
  }
  if (!e) return capi_error_new(WRUN_PHASE_RESOURCE, "out of memory");
  return push_entry(h, e);
}

wrun_error_t *wrun_component_host_add_func(wrun_component_host_t *h, const char *iface, const char *name,
                                           const char *sig, wrun_component_func_t fn, void *env,
                                           void (*finalizer)(void *)) {
  host_entry *e = calloc(1, sizeof *e);
  if (!e) {
    if (finalizer) finalizer(env);
    return capi_error_new(WRUN_PHASE_RESOURCE, "out of memory");
  }
  e->fn = fn;
  e->env = env;
  e->finalizer = finalizer;
  e->host = h;
  if (!h || !name || !*name || !sig || !fn) {
    entry_free(e);
    return capi_error_new(WRUN_PHASE_USAGE, "wrun_component_host_add_func: NULL argument");
  }
  if (!wc_htypes_func(h->types, ns_of(iface), sig, &e->type)) {
    wrun_error_t *err = capi_error_new(WRUN_PHASE_USAGE, "signature of %s%s%s: %s", iface ? iface : "",
                                       iface ? "#" : "", name, wc_htypes_error(h->types));
    entry_free(e);
    return err;
  }
  if ((iface && !(e->iface = strdup(iface))) || !(e->name = strdup(name)) || !(e->text = strdup(sig))) {
    entry_free(e);
    return capi_error_new(WRUN_PHASE_RESOURCE, "out of memory");
  }
  return push_entry(h, e);
}

static void resource_dtor_none(void *env, uint32_t rep) {
  (void)env;
  (void)rep;
}

wrun_error_t *wrun_component_host_add_resource(wrun_component_host_t *h, const char *iface, const char *name,
                                               wrun_component_dtor_t dtor, void *env, void (*finalizer)(void *)) {
  host_entry *e = calloc(1, sizeof *e);
  if (!e) {
    if (finalizer) finalizer(env);
    return capi_error_new(WRUN_PHASE_RESOURCE, "out of memory");
  }
  e->resource = true;
  e->dtor = dtor ? dtor : resource_dtor_none;
  e->env = env;
  e->finalizer = finalizer;
  e->host = h;
  if (!h || !name || !*name) {
    entry_free(e);
    return capi_error_new(WRUN_PHASE_USAGE, "wrun_component_host_add_resource: NULL argument");
  }
  if (!wc_htypes_resource(h->types, ns_of(iface), name, &e->type)) {
    wrun_error_t *err = capi_error_new(WRUN_PHASE_USAGE, "resource %s%s%s: %s", iface ? iface : "", iface ? "#" : "",
                                       name, wc_htypes_error(h->types));
    entry_free(e);
    return err;
  }
  if ((iface && !(e->iface = strdup(iface))) || !(e->name = strdup(name))) {
    entry_free(e);
    return capi_error_new(WRUN_PHASE_RESOURCE, "out of memory");
  }
  return push_entry(h, e);
}

bool wrun_component_handle_rep(const char *arg, uint32_t *rep) {
  /* WAVE prints a handle as its type's name, '#' and the rep; no other
   * value's text starts with a letter and contains a '#' */
  if (!arg || !((*arg >= 'a' && *arg <= 'z') || (*arg >= 'A' && *arg <= 'Z'))) return false;
  const char *hash = strrchr(arg, '#');
  if (!hash || hash[1] < '0' || hash[1] > '9') return false;
  for (const char *p = arg; p < hash; p++)
    if (*p == ' ' || *p == '"' || *p == '\'' || *p == ',' || *p == '(') return false;
  uint64_t v = 0;
  for (const char *p = hash + 1; *p; p++) {
    if (*p < '0' || *p > '9' || (v = v * 10 + (uint64_t)(*p - '0')) > UINT32_MAX) return false;
  }
  if (rep) *rep = (uint32_t)v;
  return true;
}

bool wrun_component_reply_handle(wrun_component_reply_t *r, uint32_t rep) {
  const wc_type *t = r->ft->has_result && !wc_val_is_prim(r->ft->result) ? &r->types->v[r->ft->result] : NULL;
  if (!t || t->kind != WC_T_OWN) {
    snprintf(r->msg, sizeof r->msg, "host function gave a handle but its result is not own<T>");
    return false;
  }
  const wrun_component_instance_t *ci = r->b->ci;
  const wc_resource_type *rt = NULL;
  for (uint32_t i = 0; i < ci->nbindings && !rt; i++)
    if (ci->bindings[i].e->resource && ci->bindings[i].e->type == t->resource) rt = ci->bindings[i].rt;
  if (!rt) {
    snprintf(r->msg, sizeof r->msg, "host function gave a handle of a resource this host does not implement");
    return false;
  }
  r->result->kind = WC_V_OWN;
  r->result->u.handle.rt = rt;
  r->result->u.handle.rep = rep;
  r->answered = true;
  r->trapped = false;
  return true;
}

bool wrun_component_reply_result(wrun_component_reply_t *r, const char *wave) {
  if (!wave) wave = "";
  if (!r->ft->has_result) {
    snprintf(r->msg, sizeof r->msg, "host function gave a result but has none");
    return false;
  }
  char why[160];
  if (!wc_wave_parse(r->types, r->ft->result, wave, strlen(wave), r->arena, r->result, why, sizeof why)) {
    snprintf(r->msg, sizeof r->msg, "host function result \"%.40s\": %.120s", wave, why);
    return false;
  }
  r->answered = true;
  r->trapped = false;
  return true;
}

void wrun_component_reply_trap(wrun_component_reply_t *r, const char *message) {
  r->trapped = true;
  snprintf(r->msg, sizeof r->msg, "%s", message ? message : "host function trapped");
}

/* The wc_host_fn of every embedder function: arguments to WAVE, the
 * callback, its reply back to a value. */
static bool host_trampoline(void *env, const wc_value *args, uint32_t nargs, wc_value *results, uint32_t nresults,
                            wc_arena *arena, wc_trap *trap) {
  const binding *bd = env;
  const host_entry *e = bd->e;
  const wc_types *ty = wc_htypes_arena(e->host->types);
  const wc_type *ft = &ty->v[e->type];
  char **texts = calloc((size_t)nargs + 1, sizeof *texts);
  bool ok = texts != NULL;
  if (!ok) snprintf(trap->msg, sizeof trap->msg, "out of memory");
  for (uint32_t i = 0; ok && i < nargs; i++) {
    wc_wave_buf b = {0};
    if (!wc_wave_print(ty, ft->items[i].type, &args[i], &b) || !b.p) {
      snprintf(trap->msg, sizeof trap->msg, "argument %u of host function %.40s: %.80s", i + 1, e->name, b.err);
      wc_wave_buf_free(&b);
      ok = false;
    } else {
      texts[i] = b.p; /* taken from the buffer: freed below */
    }
  }
  if (ok) {
    wrun_component_reply_t r = {.types = ty, .b = bd, .ft = ft, .arena = arena, .result = nresults ? results : NULL};
    e->fn(e->env, (const char *const *)texts, nargs, &r);
    if (r.trapped || (nresults && !r.answered)) {
      snprintf(trap->msg, sizeof trap->msg, "%s",
               r.msg[0] ? r.msg : "host function gave no result");
      ok = false;
    }
  }
  if (texts)
    for (uint32_t i = 0; i < nargs; i++) free(texts[i]);
  free(texts);
  if (!ok) trap->trapped = true;
  return ok;
}

/* ---- instances ---------------------------------------------------------------------------- */


void wrun_component_instance_delete(wrun_component_instance_t *ci) {
  if (!ci) return;
  wc_arena_free(&ci->results);
  wc_instance_free(ci->inst);
  wc_host_free(ci->host);
  wp2_free(ci->p2);
  free(ci->bindings);
  free(ci);
}

/* WASI 0.2 from the store's preview-1 settings, with the interface families
 * `comp` imports only (wp2_add_imports: registering all of them would parse
 * the types of some 300 functions per instantiation; an import the host lacks
 * is refused by the linker with the same message either way); NULL with *err
 * when out of memory. */
static wp2_ctx *wasi_p2_for(wasm_store_t *s, const wc_component *comp, wc_host *h, wrun_error_t **err) {
  const wrun_wasi_config_t *c = s->wasi_cfg;
  wp2_config pc = {.argc = (int)c->argc, .argv = c->argv, .envc = (int)c->envc, .env = c->env, .fs = s->wasi,
                   .interrupt = s->engine->cfg.interruptible ? s->wasi : NULL};
  for (int i = 0; i < 3; i++) {
    if (c->stdio[i] == -1) pc.closed_stdio |= 1u << i;
    if (s->stdio_fds[i] >= 0) {
      pc.redirected_stdio |= 1u << i;
      pc.stdio_fd[i] = s->stdio_fds[i];
    }
  }
  wp2_ctx *p2 = wp2_new(&pc);
  if (p2 && !wp2_add_imports(p2, h, comp, 0)) {
    wp2_free(p2);
    p2 = NULL;
  }
  if (!p2) *err = capi_error_new(WRUN_PHASE_RESOURCE, "cannot set up WASI 0.2: %s",
                                 *wc_host_error(h) ? wc_host_error(h) : "out of memory");
  return p2;
}

/* The wc_host destructor of an embedder's resource: its callback. */
static bool resource_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  const host_entry *e = ctx;
  e->dtor(e->env, rep);
  return true;
}

/* The embedder's registrations into an instantiation's wc_host, each bound
 * to the instance (ci->bindings, which must not move afterwards). */
static wrun_error_t *replay_host(const wrun_component_host_t *h, wrun_component_instance_t *ci) {
  wc_host *into = ci->host;
  if (h && h->n && !(ci->bindings = calloc(h->n, sizeof *ci->bindings)))
    return capi_error_new(WRUN_PHASE_RESOURCE, "out of memory");
  for (uint32_t i = 0; h && i < h->n; i++) {
    host_entry *e = h->entries[i];
    binding *b = &ci->bindings[ci->nbindings++];
    b->e = e;
    b->ci = ci;
    bool ok;
    if (e->resource) ok = (b->rt = wc_host_add_resource(into, e->iface, e->name, resource_dtor, e)) != NULL;
    else if (e->name) ok = wc_host_add(into, e->iface, e->name, e->text, host_trampoline, b);
    else ok = wc_host_add_types(into, e->iface, e->text);
    if (!ok) return capi_error_new(WRUN_PHASE_LINK, "host %s: %s", e->name ? e->name : e->iface, wc_host_error(into));
  }
  return NULL;
}

wrun_component_instance_t *wrun_component_instantiate(wasm_store_t *store, const wrun_component_t *c,
                                                      const wrun_component_host_t *host, wrun_error_t **err) {
  wrun_error_t *dummy = NULL, **e = err ? err : &dummy;
  *e = NULL;
  wrun_component_instance_t *ci = NULL;
  if (!store || !c) {
    *e = capi_error_new(WRUN_PHASE_USAGE, "wrun_component_instantiate: no store or component");
    goto fail;
  }
  ci = calloc(1, sizeof *ci);
  if (!ci || !(ci->host = wc_host_new())) {
    *e = capi_error_new(WRUN_PHASE_RESOURCE, "out of memory");
    goto fail;
  }
  ci->store = store;
  ci->comp = c;
  if (store->wasi && !(ci->p2 = wasi_p2_for(store, c->c, ci->host, e))) goto fail;
  if ((*e = replay_host(host, ci))) goto fail;
  rt_error re;
  rt_error_clear(&re);
  if (!(ci->inst = wc_instantiate(store->rt, c->c, ci->host, &re))) {
    *e = capi_error_from(&re);
    if (*e && (re.kind == WRUN_ERR_TRAP || re.kind == WRUN_ERR_EXHAUSTION)) (*e)->phase = WRUN_PHASE_TRAP;
    goto fail;
  }
  return ci;
fail:
  wrun_component_instance_delete(ci);
  wrun_error_delete(dummy);
  return NULL;
}

/* Not in wrun.h: how many host functions and resource types `ci` was
 * instantiated with (WASI 0.2's and the embedder's), for the tests to check
 * that only the WASI families a component imports are set up. */
uint32_t capi_component_host_size(const wrun_component_instance_t *ci);
uint32_t capi_component_host_size(const wrun_component_instance_t *ci) { return wc_host_size(ci->host); }

/* Calls `name` with parsed arguments; the result's value in *res when has. */
static wrun_error_t *call_parsed(wrun_component_instance_t *ci, const char *name, const wc_value *argv,
                                 uint32_t nargs, bool has, wc_value *res, wc_arena *arena) {
  rt_error re;
  rt_error_clear(&re);
  if (wc_instance_call(ci->inst, name, argv, nargs, res, has ? 1 : 0, arena, &re)) return NULL;
  wrun_error_t *err = capi_error_new(WRUN_PHASE_TRAP, "%s", re.message);
  if (err && re.kind != WRUN_ERR_TRAP && re.kind != WRUN_ERR_EXHAUSTION) err->phase = WRUN_PHASE_USAGE;
  return err;
}

wrun_error_t *wrun_component_call(wrun_component_instance_t *ci, const char *name, const char *const args[],
                                  size_t nargs, wasm_byte_vec_t *result) {
  if (result) wasm_byte_vec_new_empty(result);
  if (!ci || !name || (nargs && !args)) return capi_error_new(WRUN_PHASE_USAGE, "wrun_component_call: NULL argument");
  const wc_component *c = ci->comp->c;
  uint32_t ft = wc_instance_func_type(ci->inst, name);
  if (ft == WC_NONE) return capi_error_new(WRUN_PHASE_USAGE, "no exported function \"%s\"", name);
  const wc_type *t = wc_type_at(c, ft);
  if (nargs != t->nitems)
    return capi_error_new(WRUN_PHASE_USAGE, "\"%s\" takes %u argument(s), %zu given", name, t->nitems, nargs);
  wc_arena arena = {0};
  wc_value res, *argv = calloc(nargs + 1, sizeof *argv);
  wrun_error_t *err = argv ? NULL : capi_error_new(WRUN_PHASE_RESOURCE, "out of memory");
  for (size_t i = 0; !err && i < nargs; i++) {
    char why[200];
    const char *a = args[i] ? args[i] : "";
    if (!wc_wave_parse(c->types, t->items[i].type, a, strlen(a), &arena, &argv[i], why, sizeof why))
      err = capi_error_new(WRUN_PHASE_USAGE, "argument %zu (%.*s): %s", i + 1, (int)t->items[i].name.len,
                           t->items[i].name.ptr, why);
  }
  if (!err) err = call_parsed(ci, name, argv, (uint32_t)nargs, t->has_result, &res, &arena);
  if (!err && t->has_result && result) {
    wc_wave_buf b = {0};
    if (!wc_wave_print(c->types, t->result, &res, &b) || !b.p)
      err = capi_error_new(WRUN_PHASE_RESOURCE, "cannot print the result: %s", b.err);
    else
      wasm_byte_vec_new(result, b.len + 1, b.p);
    wc_wave_buf_free(&b);
  }
  free(argv);
  wc_arena_free(&arena);
  return err;
}

/* The public kind of a scalar or string type (0 for any other type). */
static wrun_cval_kind_t cval_kind_of(const wc_component *c, wc_val v) {
  unsigned p;
  if (wc_val_is_prim(v)) p = v & 0xffu;
  else if (wc_type_at(c, v)->kind == WC_T_PRIM) p = wc_type_at(c, v)->prim;
  else return 0;
  return p >= WC_STRING && p <= WC_BOOL ? (wrun_cval_kind_t)(WC_BOOL - p + WRUN_CVAL_BOOL) : 0;
}

/* Whether s[0..n) is well-formed UTF-8 (no overlongs, surrogates or values past U+10FFFF). */
static bool utf8_ok(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned c = s[i], len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || i + len > n) return false;
    uint32_t cp = len == 1 ? c : c & (0x7fu >> len);
    for (unsigned k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3fu);
    }
    static const uint32_t min[5] = {0, 0, 0x80, 0x800, 0x10000};
    if (cp < min[len] || cp > 0x10ffff || (cp >= 0xd800 && cp <= 0xdfff)) return false;
    i += len;
  }
  return true;
}

/* One argument as a host value; false with a reason when it does not fit. */
static bool cval_to_value(const wrun_cval_t *a, wrun_cval_kind_t want, wc_value *out, char *why, size_t n) {
  static const int64_t lo[] = {[WRUN_CVAL_S8] = INT8_MIN, [WRUN_CVAL_S16] = INT16_MIN, [WRUN_CVAL_S32] = INT32_MIN};
  static const int64_t hi[] = {[WRUN_CVAL_S8] = INT8_MAX, [WRUN_CVAL_S16] = INT16_MAX, [WRUN_CVAL_S32] = INT32_MAX};
  static const uint64_t umax[] = {[WRUN_CVAL_U8] = UINT8_MAX, [WRUN_CVAL_U16] = UINT16_MAX, [WRUN_CVAL_U32] = UINT32_MAX};
  if (a->kind != want) return snprintf(why, n, "kind %d given for a parameter of kind %d", (int)a->kind, (int)want), false;
  out->kind = (wc_value_kind)(WC_V_BOOL + (want - WRUN_CVAL_BOOL));
  switch (want) {
  case WRUN_CVAL_BOOL: out->u.b = a->of.b; return true;
  case WRUN_CVAL_S8: case WRUN_CVAL_S16: case WRUN_CVAL_S32:
    if (a->of.s < lo[want] || a->of.s > hi[want]) return snprintf(why, n, "%" PRId64 " is out of range", a->of.s), false;
    /* fall through */
  case WRUN_CVAL_S64: out->u.s = a->of.s; return true;
  case WRUN_CVAL_U8: case WRUN_CVAL_U16: case WRUN_CVAL_U32:
    if (a->of.u > umax[want]) return snprintf(why, n, "%" PRIu64 " is out of range", a->of.u), false;
    /* fall through */
  case WRUN_CVAL_U64: out->u.u = a->of.u; return true;
  case WRUN_CVAL_F32: out->u.f32 = a->of.f32; return true;
  case WRUN_CVAL_F64: out->u.f64 = a->of.f64; return true;
  case WRUN_CVAL_CHAR:
    if (a->of.ch > 0x10ffff || (a->of.ch >= 0xd800 && a->of.ch <= 0xdfff))
      return snprintf(why, n, "0x%" PRIx32 " is not a Unicode scalar value", a->of.ch), false;
    out->u.ch = a->of.ch;
    return true;
  case WRUN_CVAL_STRING:
    if ((!a->of.str.ptr && a->of.str.len) || a->of.str.len > INT32_MAX ||
        !utf8_ok((const unsigned char *)a->of.str.ptr, a->of.str.len))
      return snprintf(why, n, "not a valid UTF-8 string"), false;
    out->u.str.ptr = a->of.str.len ? a->of.str.ptr : "";
    out->u.str.len = (uint32_t)a->of.str.len;
    return true;
  }
  return snprintf(why, n, "unknown kind"), false;
}

/* A lifted scalar or string result as a public value. */
static void value_to_cval(const wc_value *v, wrun_cval_kind_t kind, wrun_cval_t *out) {
  out->kind = kind;
  switch (kind) {
  case WRUN_CVAL_BOOL: out->of.b = v->u.b; break;
  case WRUN_CVAL_S8: case WRUN_CVAL_S16: case WRUN_CVAL_S32: case WRUN_CVAL_S64: out->of.s = v->u.s; break;
  case WRUN_CVAL_U8: case WRUN_CVAL_U16: case WRUN_CVAL_U32: case WRUN_CVAL_U64: out->of.u = v->u.u; break;
  case WRUN_CVAL_F32: out->of.f32 = v->u.f32; break;
  case WRUN_CVAL_F64: out->of.f64 = v->u.f64; break;
  case WRUN_CVAL_CHAR: out->of.ch = v->u.ch; break;
  case WRUN_CVAL_STRING: out->of.str.ptr = v->u.str.ptr; out->of.str.len = v->u.str.len; break;
  }
}

wrun_error_t *wrun_component_call_cvals(wrun_component_instance_t *ci, const char *name, const wrun_cval_t *args,
                                        size_t nargs, wrun_cval_t *result) {
  if (!ci || !name || (nargs && !args))
    return capi_error_new(WRUN_PHASE_USAGE, "wrun_component_call_cvals: NULL argument");
  const wc_component *c = ci->comp->c;
  uint32_t ft = wc_instance_func_type(ci->inst, name);
  if (ft == WC_NONE) return capi_error_new(WRUN_PHASE_USAGE, "no exported function \"%s\"", name);
  const wc_type *t = wc_type_at(c, ft);
  if (nargs != t->nitems)
    return capi_error_new(WRUN_PHASE_USAGE, "\"%s\" takes %u argument(s), %zu given", name, t->nitems, nargs);
  wrun_cval_kind_t rkind = t->has_result ? cval_kind_of(c, t->result) : 0;
  if (t->has_result && !rkind)
    return capi_error_new(WRUN_PHASE_USAGE, "\"%s\" returns a value that is not a scalar or string", name);
  wc_value *argv = calloc(nargs + 1, sizeof *argv);
  if (!argv) return capi_error_new(WRUN_PHASE_RESOURCE, "out of memory");
  wrun_error_t *err = NULL;
  for (size_t i = 0; !err && i < nargs; i++) {
    char why[120];
    wrun_cval_kind_t want = cval_kind_of(c, t->items[i].type);
    if (!want) snprintf(why, sizeof why, "not a scalar or string parameter");
    if (!want || !cval_to_value(&args[i], want, &argv[i], why, sizeof why))
      err = capi_error_new(WRUN_PHASE_USAGE, "argument %zu (%.*s): %s", i + 1, (int)t->items[i].name.len,
                           t->items[i].name.ptr, why);
  }
  wc_arena_reset(&ci->results); /* the previous call's string result goes now */
  wc_value res;
  if (!err) err = call_parsed(ci, name, argv, (uint32_t)nargs, t->has_result, &res, &ci->results);
  if (!err && rkind && result) value_to_cval(&res, rkind, result);
  free(argv);
  return err;
}

/* The root's wasi:cli/run@0.2.N export as "wasi:cli/run@0.2.N#run", or false. */
static bool run_export(const wc_component *c, char *out, size_t n) {
  const wc_type *ct = wc_type_at(c, c->type);
  for (uint32_t i = 0; i < ct->nexports; i++) {
    wc_str s = ct->exports[i].name;
    if (ct->exports[i].sort == WC_INSTANCE && s.len >= 17 && s.len < n - 5 && !memcmp(s.ptr, "wasi:cli/run@0.2.", 17)) {
      snprintf(out, n, "%.*s#run", (int)s.len, s.ptr);
      return true;
    }
  }
  return false;
}

wrun_error_t *wrun_component_run(wrun_component_instance_t *ci, int *exit_code) {
  if (!ci) return capi_error_new(WRUN_PHASE_USAGE, "wrun_component_run: no instance");
  char name[300];
  if (!run_export(ci->comp->c, name, sizeof name))
    return capi_error_new(WRUN_PHASE_USAGE, "the component has no wasi:cli/run export");
  uint32_t ft = wc_instance_func_type(ci->inst, name);
  const wc_type *t = ft == WC_NONE ? NULL : wc_type_at(ci->comp->c, ft);
  if (!t || t->nitems != 0 || !t->has_result)
    return capi_error_new(WRUN_PHASE_USAGE, "%s is not func() -> result", name);
  wc_arena arena = {0};
  wc_value res;
  wrun_error_t *err = call_parsed(ci, name, NULL, 0, true, &res, &arena);
  int code = 0;
  if (err && ci->p2 && wp2_exited(ci->p2, &code)) { /* wasi:cli/exit: an exit, not a failure */
    wrun_error_delete(err);
    err = NULL;
  } else if (!err) {
    code = res.kind == WC_V_VARIANT && res.u.var.index == 0 ? 0 : 1;
  }
  if (!err && exit_code) *exit_code = code;
  wc_arena_free(&arena);
  return err;
}
