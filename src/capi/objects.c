/*
 * objects.c — the standard C API's runtime half (include/wasm.h): engines,
 * stores, modules, instances, functions (calls and host functions), globals,
 * tables, memories, externs, references, values, traps and frames, on the
 * runtime's objects (src/runtime/runtime.h). Handles and ownership are
 * described in capi.h.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "capi/capi.h" /* first: it renames wasm.h's enumerators before the engine's headers come in */
#include "aot/aot.h"
#include "runtime/tier.h"
#include "valid/valid.h"

/* Values passed on the C stack up to this many; more take the heap. */
#define SMALL_ARITY 16

bool capi_push(void ***arr, uint32_t *n, uint32_t *cap, void *p) {
  if (*n == *cap) {
    uint32_t nc = *cap ? *cap * 2 : 8;
    void **na = realloc(*arr, nc * sizeof *na);
    if (!na) return false;
    *arr = na;
    *cap = nc;
  }
  (*arr)[(*n)++] = p;
  return true;
}

/* ---- errors ------------------------------------------------------------------------ */

wrun_error_t *capi_error_new(wrun_phase_t phase, const char *fmt, ...) {
  wrun_error_t *e = malloc(sizeof *e);
  if (!e) return NULL;
  e->phase = phase;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(e->message, sizeof e->message, fmt, ap);
  va_end(ap);
  return e;
}

static wrun_phase_t phase_of(rt_error_kind k) {
  switch (k) {
  case WRUN_ERR_MALFORMED: case WRUN_ERR_LIMIT: return WRUN_PHASE_DECODE;
  case WRUN_ERR_INVALID: return WRUN_PHASE_VALIDATE;
  case WRUN_ERR_LINK: return WRUN_PHASE_LINK;
  case WRUN_ERR_TRAP: case WRUN_ERR_EXHAUSTION: return WRUN_PHASE_START;
  case WRUN_ERR_IO: return WRUN_PHASE_WASI;
  case WRUN_ERR_OOM: return WRUN_PHASE_RESOURCE;
  default: return WRUN_PHASE_USAGE;
  }
}

wrun_error_t *capi_error_from(const rt_error *err) {
  char line[300];
  rt_error_format(err, NULL, line, sizeof line);
  return capi_error_new(phase_of(err->kind), "%s", line);
}

/* ---- handles ------------------------------------------------------------------------ */

/* A function type whose parameters (at most SIG_MAX_PARAMS) and results
 * (at most SIG_MAX_RESULTS) are all numbers, packed so that a call needs no
 * look at the type: bit 63 set, the counts in bits 0-3 and 4-7, then two bits
 * per value, its public kind (WASM_I32..WASM_F64 are 0..3; odd ones are 64
 * bits wide), parameters from bit 8, results from bit 24. 0 for any other. */
#define SIG_MAX_PARAMS 8
#define SIG_MAX_RESULTS 4
static uint64_t capi_call_sig(const wm_functype *ft) {
  if (ft->nparams > SIG_MAX_PARAMS || ft->nresults > SIG_MAX_RESULTS) return 0;
  uint64_t sig = UINT64_C(1) << 63 | ft->nparams | (uint64_t)ft->nresults << 4;
  for (uint32_t i = 0; i < ft->nparams + ft->nresults; i++) {
    wasm_valkind_t k = capi_kind_of(ft->types[i]);
    if (k > PUB_F64 || ft->types[i] == WASM_V128) return 0;
    sig |= (uint64_t)k << (i < ft->nparams ? 8 + 2 * i : 24 + 2 * (i - ft->nparams));
  }
  return sig;
}

capi_ref *capi_ref_new(capi_kind kind, wasm_store_t *store, void *obj) {
  capi_ref *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->kind = kind;
  r->store = store;
  r->of.any = obj;
  if (kind == CAPI_FUNC) r->call_sig = capi_call_sig(rt_func_type(obj));
  return r;
}

static void trap_data_free(capi_trap *t) {
  if (!t) return;
  free(t->message);
  free(t->frames);
  free(t);
}

static capi_trap *trap_data_copy(const capi_trap *t) {
  capi_trap *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  *c = *t;
  c->message = strdup(t->message);
  c->frames = t->nframes ? malloc(t->nframes * sizeof *c->frames) : NULL;
  if (!c->message || (t->nframes && !c->frames)) {
    c->nframes = 0;
    trap_data_free(c);
    return NULL;
  }
  if (t->nframes) memcpy(c->frames, t->frames, t->nframes * sizeof *c->frames);
  return c;
}

static void module_release(capi_module *mod) {
  if (mod && atomic_fetch_sub(&mod->refs, 1) == 1) {
    wm_module_free(mod->m);
    pthread_mutex_destroy(&mod->compile_mu);
    free(mod);
  }
}

static void ref_free(capi_ref *r) {
  if (!r) return;
  if (r->finalizer) r->finalizer(r->host_info);
  if (r->kind == CAPI_TRAP) trap_data_free(r->of.trap);
  if (r->kind == CAPI_MODULE) module_release(r->of.module);
  free(r);
}

static capi_ref *ref_copy(const capi_ref *r) {
  if (!r) return NULL;
  void *obj = r->of.any;
  if (r->kind == CAPI_TRAP && !(obj = trap_data_copy(r->of.trap))) return NULL;
  capi_ref *c = capi_ref_new(r->kind, r->store, obj);
  if (!c) {
    if (r->kind == CAPI_TRAP) trap_data_free(obj);
    return NULL;
  }
  if (r->kind == CAPI_MODULE) atomic_fetch_add(&r->of.module->refs, 1);
  return c;
}

static bool ref_same(const capi_ref *a, const capi_ref *b) {
  if (!a || !b) return a == b;
  return a->kind == b->kind && a->of.any == b->of.any;
}

/* The operations every reference-like handle has. */
#define REF_BASE_IMPL(X) \
  void wasm_##X##_delete(wasm_##X##_t *h) { ref_free((capi_ref *)h); } \
  wasm_##X##_t *wasm_##X##_copy(const wasm_##X##_t *h) { return (wasm_##X##_t *)ref_copy((const capi_ref *)h); } \
  bool wasm_##X##_same(const wasm_##X##_t *a, const wasm_##X##_t *b) { \
    return ref_same((const capi_ref *)a, (const capi_ref *)b); \
  } \
  void *wasm_##X##_get_host_info(const wasm_##X##_t *h) { return ((const capi_ref *)h)->host_info; } \
  void wasm_##X##_set_host_info(wasm_##X##_t *h, void *info) { \
    ((capi_ref *)h)->host_info = info; \
    ((capi_ref *)h)->finalizer = NULL; \
  } \
  void wasm_##X##_set_host_info_with_finalizer(wasm_##X##_t *h, void *info, void (*fin)(void *)) { \
    ((capi_ref *)h)->host_info = info; \
    ((capi_ref *)h)->finalizer = fin; \
  }

/* ... and the views to and from wasm_ref_t (NULL when the kind differs). */
#define REF_IMPL(X, KIND) \
  REF_BASE_IMPL(X) \
  wasm_ref_t *wasm_##X##_as_ref(wasm_##X##_t *h) { return (wasm_ref_t *)h; } \
  const wasm_ref_t *wasm_##X##_as_ref_const(const wasm_##X##_t *h) { return (const wasm_ref_t *)h; } \
  wasm_##X##_t *wasm_ref_as_##X(wasm_ref_t *r) { return r && r->r.kind == KIND ? (wasm_##X##_t *)r : NULL; } \
  const wasm_##X##_t *wasm_ref_as_##X##_const(const wasm_ref_t *r) { \
    return r && r->r.kind == KIND ? (const wasm_##X##_t *)r : NULL; \
  }

REF_BASE_IMPL(ref)
REF_IMPL(trap, CAPI_TRAP)
REF_IMPL(foreign, CAPI_FOREIGN)
REF_IMPL(module, CAPI_MODULE)
REF_IMPL(func, CAPI_FUNC)
REF_IMPL(global, CAPI_GLOBAL)
REF_IMPL(table, CAPI_TABLE)
REF_IMPL(memory, CAPI_MEMORY)
REF_IMPL(instance, CAPI_INSTANCE)

/* Externs are any of the first four kinds. */
REF_BASE_IMPL(extern)
wasm_ref_t *wasm_extern_as_ref(wasm_extern_t *h) { return (wasm_ref_t *)h; }
const wasm_ref_t *wasm_extern_as_ref_const(const wasm_extern_t *h) { return (const wasm_ref_t *)h; }
wasm_extern_t *wasm_ref_as_extern(wasm_ref_t *r) { return r && r->r.kind <= CAPI_MEMORY ? (wasm_extern_t *)r : NULL; }
const wasm_extern_t *wasm_ref_as_extern_const(const wasm_ref_t *r) {
  return r && r->r.kind <= CAPI_MEMORY ? (const wasm_extern_t *)r : NULL;
}

#define EXTERN_VIEWS(X, KIND) \
  wasm_extern_t *wasm_##X##_as_extern(wasm_##X##_t *h) { return (wasm_extern_t *)h; } \
  const wasm_extern_t *wasm_##X##_as_extern_const(const wasm_##X##_t *h) { return (const wasm_extern_t *)h; } \
  wasm_##X##_t *wasm_extern_as_##X(wasm_extern_t *e) { return e && e->r.kind == KIND ? (wasm_##X##_t *)e : NULL; } \
  const wasm_##X##_t *wasm_extern_as_##X##_const(const wasm_extern_t *e) { \
    return e && e->r.kind == KIND ? (const wasm_##X##_t *)e : NULL; \
  }
EXTERN_VIEWS(func, CAPI_FUNC)
EXTERN_VIEWS(global, CAPI_GLOBAL)
EXTERN_VIEWS(table, CAPI_TABLE)
EXTERN_VIEWS(memory, CAPI_MEMORY)

/* capi_kind's first four values are the public extern kinds, in order. */
wasm_externkind_t wasm_extern_kind(const wasm_extern_t *e) { return (wasm_externkind_t)e->r.kind; }

wasm_extern_t *capi_extern_new(wasm_store_t *store, const rt_extern *ex) {
  switch (ex->kind) {
  case WASM_EXTERN_FUNC: return (wasm_extern_t *)capi_ref_new(CAPI_FUNC, store, ex->of.func);
  case WASM_EXTERN_TABLE: return (wasm_extern_t *)capi_ref_new(CAPI_TABLE, store, ex->of.table);
  case WASM_EXTERN_MEMORY: return (wasm_extern_t *)capi_ref_new(CAPI_MEMORY, store, ex->of.memory);
  case WASM_EXTERN_GLOBAL: return (wasm_extern_t *)capi_ref_new(CAPI_GLOBAL, store, ex->of.global);
  default: return NULL; /* tags have no place in the C API */
  }
}

/* ---- engine and store ------------------------------------------------------------------ */

wasm_config_t *wasm_config_new(void) { return calloc(1, sizeof(wasm_config_t)); }
void wasm_config_delete(wasm_config_t *c) { free(c); }

wasm_engine_t *wasm_engine_new(void) { return calloc(1, sizeof(wasm_engine_t)); }

wasm_engine_t *wasm_engine_new_with_config(wasm_config_t *c) {
  wasm_engine_t *e = wasm_engine_new();
  if (e && c) e->cfg = c->cfg;
  wasm_config_delete(c);
  return e;
}

void wasm_engine_delete(wasm_engine_t *e) { free(e); }

wasm_store_t *wasm_store_new(wasm_engine_t *engine) {
  if (!engine) return NULL;
  wasm_store_t *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  s->engine = engine;
  s->stdio_fds[0] = s->stdio_fds[1] = s->stdio_fds[2] = -1;
  if (!(s->rt = engine_store_new(&engine->cfg))) {
    free(s);
    return NULL;
  }
  pthread_mutex_init(&s->timer_mu, NULL);
  pthread_cond_init(&s->timer_cv, NULL);
  return s;
}

static void stop_timer(wasm_store_t *s) {
  pthread_mutex_lock(&s->timer_mu);
  bool running = s->timer_running;
  s->timer_stop = true;
  pthread_cond_signal(&s->timer_cv);
  pthread_mutex_unlock(&s->timer_mu);
  if (running) pthread_join(s->timer, NULL);
}

void wasm_store_delete(wasm_store_t *s) {
  if (!s) return;
  stop_timer(s);
  pthread_mutex_destroy(&s->timer_mu);
  pthread_cond_destroy(&s->timer_cv);
  rt_store_free(s->rt);          /* first: its host functions use the records below */
  wasi_free(s->wasi);
  wrun_wasi_config_delete(s->wasi_cfg);
  for (int i = 0; i < 3; i++)
    if (s->stdio_fds[i] >= 0) close(s->stdio_fds[i]);
  for (uint32_t i = 0; i < s->nhosts; i++) {
    if (s->hosts[i]->finalizer) s->hosts[i]->finalizer(s->hosts[i]->env);
    free(s->hosts[i]->kinds);
    free(s->hosts[i]);
  }
  free(s->hosts);
  for (uint32_t i = 0; i < s->nanchors; i++) ref_free(s->anchors[i]);
  free(s->anchors);
  for (uint32_t i = 0; i < s->nforeigns; i++) free(s->foreigns[i]);
  free(s->foreigns);
  for (uint32_t i = 0; i < s->nmodules; i++) module_release(s->modules[i]);
  free(s->modules);
  free(s);
}

/* ---- values --------------------------------------------------------------------------------- */

void wasm_val_delete(wasm_val_t *v) {
  if (wasm_valkind_is_ref(v->kind) && v->of.ref) {
    wasm_ref_delete(v->of.ref);
    v->of.ref = NULL;
  }
}

void wasm_val_copy(wasm_val_t *out, const wasm_val_t *v) {
  *out = *v;
  if (wasm_valkind_is_ref(v->kind) && v->of.ref) out->of.ref = wasm_ref_copy(v->of.ref);
}

/* The runtime pointer an externref handle travels as: a copy of the handle
 * the store keeps (one per object), so the value stays valid whatever the
 * host does with its own handle. NULL if out of memory. */
static void *anchor(wasm_store_t *s, const capi_ref *r) {
  for (uint32_t i = s->nanchors; i-- > 0;)
    if (ref_same(s->anchors[i], r)) return s->anchors[i];
  capi_ref *c = ref_copy(r);
  if (c && !capi_push((void ***)&s->anchors, &s->nanchors, &s->cap_anchors, c)) {
    ref_free(c);
    c = NULL;
  }
  return c;
}

/* A runtime reference of type t as the raw pointer the runtime keeps, from
 * a public handle (false: the handle does not fit the type). */
static bool ref_to_rt(wasm_store_t *s, const wasm_ref_t *ref, wm_valtype t, void **out) {
  *out = NULL;
  if (!ref) return true;
  if (capi_kind_of(t) == PUB_FUNCREF) {
    if (ref->r.kind != CAPI_FUNC) return false;
    *out = ref->r.of.func;
    return true;
  }
  return (*out = anchor(s, &ref->r)) != NULL;
}

/* An owned handle for a runtime reference of type t (NULL for null). */
static wasm_ref_t *ref_from_rt(wasm_store_t *s, void *p, wm_valtype t) {
  if (!p) return NULL;
  if (capi_kind_of(t) == PUB_FUNCREF) return (wasm_ref_t *)capi_ref_new(CAPI_FUNC, s, p);
  return (wasm_ref_t *)ref_copy(p);
}

static inline bool val_to_rt(wasm_store_t *s, const wasm_val_t *v, wm_valtype t, rt_val *out) {
  out->type = t; /* the runtime reads only the member of the type */
  if (v->kind != capi_kind_of(t) || t == WASM_V128) return false;
  switch (v->kind) {
  case PUB_I32: out->of.i32 = (uint32_t)v->of.i32; return true;
  case PUB_I64: out->of.i64 = (uint64_t)v->of.i64; return true;
  case PUB_F32: memcpy(&out->of.f32, &v->of.f32, 4); return true;
  case PUB_F64: memcpy(&out->of.f64, &v->of.f64, 8); return true;
  default: return ref_to_rt(s, v->of.ref, t, &out->of.ref);
  }
}

static inline void val_from_rt(wasm_store_t *s, const rt_val *in, wasm_val_t *out) {
  out->of.i64 = 0;
  out->kind = capi_kind_of(in->type);
  switch (out->kind) {
  case PUB_I32: out->of.i32 = (int32_t)in->of.i32; break;
  case PUB_I64: out->of.i64 = (int64_t)in->of.i64; break;
  case PUB_F32: memcpy(&out->of.f32, &in->of.f32, 4); break;
  case PUB_F64: memcpy(&out->of.f64, &in->of.f64, 8); break;
  case PUB_V128: break; /* values cannot carry a v128 */
  default: out->of.ref = ref_from_rt(s, in->of.ref, in->type); break;
  }
}

static const char *kind_name(wasm_valkind_t k) {
  switch (k) {
  case PUB_I32: return "i32";
  case PUB_I64: return "i64";
  case PUB_F32: return "f32";
  case PUB_F64: return "f64";
  case PUB_V128: return "v128";
  case PUB_FUNCREF: return "funcref";
  case PUB_EXTERNREF: return "externref";
  default: return "an unknown kind";
  }
}

/* ---- traps and frames -------------------------------------------------------------------- */

static wasm_trap_t *trap_make(wasm_store_t *s, const char *msg, wrun_trap_cause_t cause) {
  capi_trap *t = calloc(1, sizeof *t);
  if (!t || !(t->message = strdup(msg))) {
    free(t);
    return NULL;
  }
  t->cause = cause;
  capi_ref *r = capi_ref_new(CAPI_TRAP, s, t);
  if (!r) trap_data_free(t);
  return (wasm_trap_t *)r;
}

static wrun_trap_cause_t cause_of(rt_trap_kind k) {
  switch (k) {
  case WRUN_TRAP_HOST: return WRUN_CAUSE_HOST;
  case WRUN_TRAP_FUEL: return WRUN_CAUSE_FUEL;
  case WRUN_TRAP_TIMEOUT: case WRUN_TRAP_INTERRUPTED: return WRUN_CAUSE_INTERRUPT;
  case WRUN_TRAP_STACK_EXHAUSTED: return WRUN_CAUSE_STACK;
  case WRUN_TRAP_EXIT: return WRUN_CAUSE_EXIT;
  default: return WRUN_CAUSE_WASM;
  }
}

/* The trap the store's last call ended with: message, cause and the wasm
 * frames of its trace (host frames are left out). */
static wasm_trap_t *trap_from_store(wasm_store_t *s, const char *text) {
  rt_trap_kind k = rt_store_trap_kind(s->rt);
  char msg[64];
  if (k == WRUN_TRAP_EXIT) {
    snprintf(msg, sizeof msg, "exit with status %d", rt_store_exit_code(s->rt));
    text = msg;
  }
  wasm_trap_t *trap = trap_make(s, text, cause_of(k));
  if (!trap) return NULL;
  capi_trap *t = trap->r.of.trap;
  t->exit_code = k == WRUN_TRAP_EXIT ? rt_store_exit_code(s->rt) : 0;
  const wrun_store *rs = s->rt;
  if (rs->ntrace && (t->frames = calloc(rs->ntrace, sizeof *t->frames))) {
    for (uint32_t i = rs->ntrace; i-- > 0;) { /* innermost last in the store, first here */
      const wrun_func *f = rs->trace[i].func;
      if (!f || !f->inst || f->host) continue;
      const wm_module *m = f->inst->module;
      struct capi_frame_src *fr = &t->frames[t->nframes++];
      fr->inst = f->inst;
      fr->index = f->index;
      size_t body = f->index < m->nfuncs ? (size_t)m->funcs[f->index].code_offset : 0;
      /* A compiled frame carries its position (from the AOT's code map). An
       * interpreted frame's: the op that trapped (innermost) or the call it
       * made (its record's return address). Memory faults the interpreter
       * left to guard pages have none: the frame then points at the
       * function's first instruction. */
      uint32_t at = rt_trace_offset(rs, i);
      fr->func_offset = at != UINT32_MAX && at >= body ? at - body : 0;
      fr->module_offset = body + fr->func_offset;
    }
  }
  return trap;
}

wasm_trap_t *wasm_trap_new(wasm_store_t *s, const wasm_message_t *msg) {
  size_t n = msg ? msg->size : 0;
  char *text = malloc(n + 1);
  if (!text) return NULL;
  if (n) memcpy(text, msg->data, n);
  text[n] = 0;
  wasm_trap_t *t = trap_make(s, text, WRUN_CAUSE_OTHER);
  free(text);
  return t;
}

void wasm_trap_message(const wasm_trap_t *trap, wasm_message_t *out) {
  const char *m = trap->r.of.trap->message;
  wasm_byte_vec_new(out, strlen(m) + 1, m);
}

static wasm_frame_t *frame_new(wasm_store_t *s, const struct capi_frame_src *src) {
  wasm_frame_t *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->instance = (wasm_instance_t *)capi_ref_new(CAPI_INSTANCE, s, src->inst);
  if (!f->instance) {
    free(f);
    return NULL;
  }
  f->func_index = src->index;
  f->func_offset = src->func_offset;
  f->module_offset = src->module_offset;
  return f;
}

wasm_frame_t *wasm_trap_origin(const wasm_trap_t *trap) {
  const capi_trap *t = trap->r.of.trap;
  return t->nframes ? frame_new(trap->r.store, &t->frames[0]) : NULL;
}

void wasm_trap_trace(const wasm_trap_t *trap, wasm_frame_vec_t *out) {
  const capi_trap *t = trap->r.of.trap;
  wasm_frame_vec_new_uninitialized(out, t->nframes);
  for (size_t i = 0; i < out->size; i++) out->data[i] = frame_new(trap->r.store, &t->frames[i]);
}

void wasm_frame_delete(wasm_frame_t *f) {
  if (!f) return;
  wasm_instance_delete(f->instance);
  free(f);
}

wasm_frame_t *wasm_frame_copy(const wasm_frame_t *f) {
  struct capi_frame_src src = {f->instance->r.of.instance, f->func_index, f->func_offset, f->module_offset};
  return frame_new(f->instance->r.store, &src);
}

wasm_instance_t *wasm_frame_instance(const wasm_frame_t *f) { return f->instance; }
uint32_t wasm_frame_func_index(const wasm_frame_t *f) { return f->func_index; }
size_t wasm_frame_func_offset(const wasm_frame_t *f) { return f->func_offset; }
size_t wasm_frame_module_offset(const wasm_frame_t *f) { return f->module_offset; }

/* ---- foreign objects ------------------------------------------------------------------------------ */

wasm_foreign_t *wasm_foreign_new(wasm_store_t *s) {
  void *id = malloc(1); /* its address is the object's identity */
  if (!id || !capi_push(&s->foreigns, &s->nforeigns, &s->cap_foreigns, id)) {
    free(id);
    return NULL;
  }
  return (wasm_foreign_t *)capi_ref_new(CAPI_FOREIGN, s, id);
}

/* ---- modules ------------------------------------------------------------------------------------ */

/* Decodes, validates and, for an AOT engine, compiles (now, so that stores
 * on other threads only read the module). */
static capi_module *module_make(const rt_config *cfg, const uint8_t *bytes, size_t len, rt_error *err) {
  wm_module *m = wm_module_decode(bytes, len, err);
  if (m && !wm_module_validate(m, err)) {
    wm_module_free(m);
    return NULL;
  }
  if (!m) return NULL;
  if (cfg->aot) {
    aot_image *img;
    if (!aot_compile_module(m, aot_options_for(cfg), &img, err)) {
      wm_module_free(m);
      return NULL;
    }
    aot_attach_image(m, img);
  }
  capi_module *mod = calloc(1, sizeof *mod);
  if (!mod) {
    wm_module_free(m);
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  atomic_init(&mod->refs, 1);
  pthread_mutex_init(&mod->compile_mu, NULL);
  mod->m = m;
  mod->cfg = *cfg;
  return mod;
}

static wasm_module_t *module_handle(capi_module *mod) {
  capi_ref *r = mod ? capi_ref_new(CAPI_MODULE, NULL, mod) : NULL;
  if (!r) module_release(mod);
  return (wasm_module_t *)r;
}

wasm_module_t *wrun_module_new(wasm_engine_t *engine, const uint8_t *bytes, size_t len, wrun_error_t **err) {
  rt_error e;
  rt_error_clear(&e);
  if (err) *err = NULL;
  if (!engine || (!bytes && len)) {
    if (err) *err = capi_error_new(WRUN_PHASE_USAGE, "wrun_module_new: no engine or no bytes");
    return NULL;
  }
  capi_module *mod = module_make(&engine->cfg, bytes, len, &e);
  if (!mod && err) *err = capi_error_from(&e);
  return module_handle(mod);
}

wasm_module_t *wasm_module_new(wasm_store_t *s, const wasm_byte_vec_t *binary) {
  if (!s || !binary) return NULL;
  return wrun_module_new(s->engine, (const uint8_t *)binary->data, binary->size, NULL);
}

bool wasm_module_validate(wasm_store_t *s, const wasm_byte_vec_t *binary) {
  (void)s;
  if (!binary) return false;
  rt_error e;
  rt_error_clear(&e);
  wm_module *m = wm_module_decode((const uint8_t *)binary->data, binary->size, &e);
  bool ok = m && wm_module_validate(m, &e);
  wm_module_free(m);
  return ok;
}

/* The public type of entity `index` of `kind` in m (owned). */
static wasm_externtype_t *entity_type(const wm_module *m, wm_extern_kind kind, uint32_t index) {
  switch (kind) {
  case WASM_EXTERN_FUNC: return wasm_functype_as_externtype(capi_functype_from(wm_module_func_type(m, index)));
  case WASM_EXTERN_TABLE: return wasm_tabletype_as_externtype(capi_tabletype_from(&m->tables[index].type));
  case WASM_EXTERN_MEMORY: return wasm_memorytype_as_externtype(capi_memorytype_from(&m->mems[index].type));
  case WASM_EXTERN_GLOBAL: return wasm_globaltype_as_externtype(capi_globaltype_from(&m->globals[index].type));
  default: { /* a tag: described by its function type */
    const wm_functype *ft = &m->types[m->tags[index].type_idx].func;
    return wasm_functype_as_externtype(capi_functype_from(ft));
  }
  }
}

static void name_of(wasm_name_t *out, const wm_name *n) { wasm_name_new(out, n->len, n->ptr); }

void wasm_module_imports(const wasm_module_t *module, wasm_importtype_vec_t *out) {
  const wm_module *m = module->r.of.module->m;
  wasm_importtype_vec_new_uninitialized(out, m->nimports);
  for (size_t i = 0; i < out->size; i++) {
    const wm_import *im = &m->imports[i];
    wasm_name_t mod, field;
    name_of(&mod, &im->module);
    name_of(&field, &im->field);
    out->data[i] = wasm_importtype_new(&mod, &field, entity_type(m, im->kind, im->index));
  }
}

void wasm_module_exports(const wasm_module_t *module, wasm_exporttype_vec_t *out) {
  const wm_module *m = module->r.of.module->m;
  wasm_exporttype_vec_new_uninitialized(out, m->nexports);
  for (size_t i = 0; i < out->size; i++) {
    const wm_export *ex = &m->exports[i];
    wasm_name_t name;
    name_of(&name, &ex->name);
    out->data[i] = wasm_exporttype_new(&name, entity_type(m, ex->kind, ex->index));
  }
}

void wasm_module_serialize(const wasm_module_t *module, wasm_byte_vec_t *out) {
  const capi_module *mod = module->r.of.module;
  wasm_byte_vec_new_empty(out);
  rt_error e;
  rt_error_clear(&e);
  aot_image *own_img = NULL;
  pthread_mutex_lock((pthread_mutex_t *)&mod->compile_mu); /* an AOT store may be attaching code */
  const aot_image *img = mod->m->aot_image;
  if (!img) { /* an interpreter engine's module: compile a copy of the code for the artifact */
    rt_config cfg = mod->cfg;
    cfg.aot = true;
    if (!aot_compile_module(mod->m, aot_options_for(&cfg), &own_img, &e)) {
      pthread_mutex_unlock((pthread_mutex_t *)&mod->compile_mu);
      return;
    }
    img = own_img;
  }
  size_t len = 0;
  uint8_t *bytes = aot_artifact_write(mod->m, img, &len, &e);
  pthread_mutex_unlock((pthread_mutex_t *)&mod->compile_mu);
  aot_image_free(own_img);
  if (bytes) {
    out->data = (wasm_byte_t *)bytes; /* malloc'd: the vector owns it */
    out->size = len;
  }
}

wasm_module_t *wasm_module_deserialize(wasm_store_t *s, const wasm_byte_vec_t *bytes) {
  if (!s || !bytes) return NULL;
  rt_error e;
  rt_error_clear(&e);
  wm_module *m = aot_artifact_load((const uint8_t *)bytes->data, bytes->size, &e);
  if (!m) return NULL;
  capi_module *mod = calloc(1, sizeof *mod);
  if (!mod) {
    wm_module_free(m);
    return NULL;
  }
  atomic_init(&mod->refs, 1);
  pthread_mutex_init(&mod->compile_mu, NULL);
  mod->m = m;
  mod->cfg = s->engine->cfg;
  return module_handle(mod);
}

void wasm_shared_module_delete(wasm_shared_module_t *sh) {
  if (!sh) return;
  module_release(sh->mod);
  free(sh);
}

wasm_shared_module_t *wasm_module_share(const wasm_module_t *module) {
  wasm_shared_module_t *sh = malloc(sizeof *sh);
  if (!sh) return NULL;
  sh->mod = module->r.of.module;
  atomic_fetch_add(&sh->mod->refs, 1);
  return sh;
}

wasm_module_t *wasm_module_obtain(wasm_store_t *s, const wasm_shared_module_t *sh) {
  (void)s;
  atomic_fetch_add(&sh->mod->refs, 1);
  return module_handle(sh->mod);
}

/* ---- instances ---------------------------------------------------------------------------------- */

/* The runtime extern of a public one of store s (false: another store's). */
static bool extern_to_rt(wasm_store_t *s, const wasm_extern_t *e, rt_extern *out) {
  if (e->r.store != s) return false;
  switch (e->r.kind) {
  case CAPI_FUNC: out->kind = WASM_EXTERN_FUNC; out->of.func = e->r.of.func; return true;
  case CAPI_GLOBAL: out->kind = WASM_EXTERN_GLOBAL; out->of.global = e->r.of.global; return true;
  case CAPI_TABLE: out->kind = WASM_EXTERN_TABLE; out->of.table = e->r.of.table; return true;
  case CAPI_MEMORY: out->kind = WASM_EXTERN_MEMORY; out->of.memory = e->r.of.memory; return true;
  default: return false;
  }
}

/* For a store of an AOT engine: the module's native code, made now if the
 * module came from an interpreter engine (the runtime would otherwise make
 * it on first instantiation, unsynchronized). */
static bool ensure_compiled(capi_module *mod, const rt_config *cfg, rt_error *err) {
  if (!cfg->aot) return true;
  pthread_mutex_lock(&mod->compile_mu);
  bool ok = true;
  if (!mod->m->aot_image) {
    aot_image *img;
    ok = aot_compile_module(mod->m, aot_options_for(cfg), &img, err);
    if (ok) aot_attach_image(mod->m, img);
  }
  pthread_mutex_unlock(&mod->compile_mu);
  return ok;
}

/* The store keeps one reference to every module instantiated in it: its
 * instances read the module until the store is deleted. */
static bool retain_module(wasm_store_t *s, capi_module *mod) {
  for (uint32_t i = 0; i < s->nmodules; i++)
    if (s->modules[i] == mod) return true;
  if (!capi_push((void ***)&s->modules, &s->nmodules, &s->cap_modules, mod)) return false;
  atomic_fetch_add(&mod->refs, 1);
  return true;
}

/* Instantiates, or fails with the reason in `e` (the runtime's kinds: LINK,
 * TRAP or EXHAUSTION for a trap while instantiating, OOM, USAGE). */
static wasm_instance_t *instance_make(wasm_store_t *s, const wasm_module_t *module, const wasm_extern_vec_t *imports,
                                      rt_error *e) {
  if (!s || !module) {
    rt_error_at(e, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "wasm_instance_new: no store or no module");
    return NULL;
  }
  const wm_module *m = module->r.of.module->m;
  size_t given = imports ? imports->size : 0;
  if (given != m->nimports) {
    rt_error_at(e, WRUN_ERR_LINK, WRUN_NO_OFFSET, "the module has %u imports, %zu were given", m->nimports, given);
    return NULL;
  }
  rt_extern *ex = m->nimports ? calloc(m->nimports, sizeof *ex) : NULL;
  if (m->nimports && !ex) {
    rt_error_at(e, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < m->nimports; i++) {
    const wasm_extern_t *x = imports->data[i];
    if (!x || !extern_to_rt(s, x, &ex[i])) {
      rt_error_at(e, WRUN_ERR_LINK, m->imports[i].offset, "import %u (%s.%s) %s", i, m->imports[i].module.ptr,
                  m->imports[i].field.ptr, x ? "belongs to another store" : "is not provided");
      free(ex);
      return NULL;
    }
  }
  wrun_instance *inst = NULL;
  if (!retain_module(s, module->r.of.module)) rt_error_at(e, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
  else if (ensure_compiled(module->r.of.module, &s->engine->cfg, e))
    inst = rt_instantiate(s->rt, m, ex, m->nimports, e);
  free(ex);
  capi_ref *r = inst ? capi_ref_new(CAPI_INSTANCE, s, inst) : NULL;
  if (inst && !r) rt_error_at(e, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
  return (wasm_instance_t *)r;
}

wasm_instance_t *wrun_instance_new(wasm_store_t *s, const wasm_module_t *module, const wasm_extern_vec_t *imports,
                                   wrun_error_t **err) {
  rt_error e;
  rt_error_clear(&e);
  if (err) *err = NULL;
  wasm_instance_t *inst = instance_make(s, module, imports, &e);
  if (!inst && err) *err = capi_error_from(&e);
  return inst;
}

/* A trap while instantiating comes back as the runtime made it (message,
 * cause and frames); any other failure as a trap with the error's line. */
wasm_instance_t *wasm_instance_new(wasm_store_t *s, const wasm_module_t *module, const wasm_extern_vec_t *imports,
                                   wasm_trap_t **trap) {
  rt_error e;
  rt_error_clear(&e);
  wasm_instance_t *inst = instance_make(s, module, imports, &e);
  if (trap) {
    *trap = NULL;
    if (!inst && (e.kind == WRUN_ERR_TRAP || e.kind == WRUN_ERR_EXHAUSTION)) {
      *trap = trap_from_store(s, e.message);
    } else if (!inst) {
      char line[300];
      *trap = trap_make(s, rt_error_format(&e, NULL, line, sizeof line), WRUN_CAUSE_OTHER);
    }
  }
  return inst;
}

void wasm_instance_exports(const wasm_instance_t *h, wasm_extern_vec_t *out) {
  const wrun_instance *inst = h->r.of.instance;
  const wm_module *m = rt_instance_module(inst);
  wasm_extern_vec_new_uninitialized(out, m->nexports);
  for (size_t i = 0; i < out->size; i++) {
    rt_extern ex;
    const wm_name *n = &m->exports[i].name;
    if (rt_instance_export(inst, n->ptr, n->len, &ex)) out->data[i] = capi_extern_new(h->r.store, &ex);
  }
}

wasm_extern_t *wrun_instance_export(const wasm_instance_t *h, const char *name) {
  rt_extern ex;
  if (!h || !name || !rt_instance_export(h->r.of.instance, name, strlen(name), &ex)) return NULL;
  return capi_extern_new(h->r.store, &ex);
}

/* ---- functions ---------------------------------------------------------------------------------- */

/* Calls a host function for the runtime: slots -> values, the callback,
 * values -> slots (layout in runtime.h). */
/* The trampoline for signatures of numbers only (one slot each), with at
 * most SMALL_ARITY parameters and results: no references to make or
 * delete, kinds precomputed. */
static bool host_trampoline_numeric(rt_caller *c, capi_host *h, uint64_t *slots) {
  const wm_functype *ft = h->type;
  uint32_t np = ft->nparams, nr = ft->nresults;
  wasm_val_t args[SMALL_ARITY], res[SMALL_ARITY];
  for (uint32_t i = 0; i < np; i++) {
    wasm_val_t *a = &args[i];
    a->kind = h->kinds[i];
    switch (a->kind) {
    case PUB_I32: a->of.i32 = (int32_t)(uint32_t)slots[i]; break;
    case PUB_I64: a->of.i64 = (int64_t)slots[i]; break;
    case PUB_F32: { uint32_t b = (uint32_t)slots[i]; memcpy(&a->of.f32, &b, 4); break; }
    default: memcpy(&a->of.f64, &slots[i], 8); break;
    }
  }
  for (uint32_t i = 0; i < nr; i++) {
    res[i].kind = h->kinds[np + i];
    res[i].of.i64 = 0;
  }
  wasm_val_vec_t argv = {np, args}, resv = {nr, res};
  wasm_trap_t *trap = h->cb_env ? h->cb_env(h->env, &argv, &resv) : h->cb(&argv, &resv);
  if (trap) {
    bool ok = rt_caller_trap(c, WRUN_TRAP_HOST, "%s", trap->r.of.trap->message);
    wasm_trap_delete(trap);
    return ok;
  }
  for (uint32_t i = 0; i < nr; i++) {
    const wasm_val_t *r = &res[i];
    if (r->kind != h->kinds[np + i]) {
      if (wasm_valkind_is_ref(r->kind)) wasm_val_delete(&res[i]);
      return rt_caller_trap(c, WRUN_TRAP_HOST, "host function result %u is %s, expected %s", i, kind_name(r->kind),
                            kind_name(h->kinds[np + i]));
    }
    switch (r->kind) {
    case PUB_I32: slots[i] = (uint32_t)r->of.i32; break;
    case PUB_I64: slots[i] = (uint64_t)r->of.i64; break;
    case PUB_F32: { uint32_t b; memcpy(&b, &r->of.f32, 4); slots[i] = b; break; }
    default: memcpy(&slots[i], &r->of.f64, 8); break;
    }
  }
  return true;
}

static bool host_trampoline(rt_caller *c, void *env, uint64_t *slots) {
  capi_host *h = env;
  if (h->numeric) return host_trampoline_numeric(c, h, slots);
  const wm_functype *ft = h->type;
  wasm_val_t small_args[SMALL_ARITY], small_res[SMALL_ARITY];
  wasm_val_t *args = ft->nparams <= SMALL_ARITY ? small_args : calloc(ft->nparams, sizeof *args);
  wasm_val_t *res = ft->nresults <= SMALL_ARITY ? small_res : calloc(ft->nresults, sizeof *res);
  if (!args || !res) {
    if (args != small_args) free(args);
    if (res != small_res) free(res);
    return rt_caller_trap(c, WRUN_TRAP_HOST, "out of memory");
  }
  uint32_t k = 0;
  for (uint32_t i = 0; i < ft->nparams; i++) {
    wm_valtype t = wm_functype_params(ft)[i];
    rt_val v;
    memset(&v, 0, sizeof v);
    v.type = t;
    if (t == WASM_I32 || t == WASM_F32) v.of.i32 = (uint32_t)slots[k];
    else if (wm_valtype_is_ref(t)) v.of.ref = (void *)(uintptr_t)slots[k];
    else v.of.i64 = slots[k];
    val_from_rt(h->store, &v, &args[i]);
    k += rt_slots(t);
  }
  for (uint32_t i = 0; i < ft->nresults; i++) {
    memset(&res[i], 0, sizeof res[i]);
    res[i].kind = capi_kind_of(wm_functype_results(ft)[i]);
  }
  wasm_val_vec_t argv = {ft->nparams, args}, resv = {ft->nresults, res};
  wasm_trap_t *trap = h->cb_env ? h->cb_env(h->env, &argv, &resv) : h->cb(&argv, &resv);
  for (uint32_t i = 0; i < ft->nparams; i++) wasm_val_delete(&args[i]);
  bool ok = true;
  if (trap) {
    ok = rt_caller_trap(c, WRUN_TRAP_HOST, "%s", trap->r.of.trap->message);
    wasm_trap_delete(trap);
  }
  k = 0;
  for (uint32_t i = 0; ok && i < ft->nresults; i++) {
    wm_valtype t = wm_functype_results(ft)[i];
    rt_val v;
    if (!val_to_rt(h->store, &res[i], t, &v)) {
      ok = rt_caller_trap(c, WRUN_TRAP_HOST, "host function result %u is %s, expected %s", i,
                          kind_name(res[i].kind), kind_name(capi_kind_of(t)));
      break;
    }
    if (t == WASM_I32 || t == WASM_F32) slots[k] = v.of.i32;
    else if (wm_valtype_is_ref(t)) slots[k] = (uint64_t)(uintptr_t)v.of.ref;
    else slots[k] = v.of.i64;
    k += rt_slots(t);
  }
  for (uint32_t i = 0; i < ft->nresults; i++) wasm_val_delete(&res[i]);
  if (args != small_args) free(args);
  if (res != small_res) free(res);
  return ok;
}

static wasm_func_t *host_func_new(wasm_store_t *s, const wasm_functype_t *type, wasm_func_callback_t cb,
                                  wasm_func_callback_with_env_t cb_env, void *env, void (*fin)(void *)) {
  wm_functype ft;
  capi_host *h = NULL;
  if (!s || !type || !capi_functype_to(type, &ft)) return NULL;
  for (uint32_t i = 0; i < ft.nparams + ft.nresults; i++)
    if (ft.types[i] == WASM_V128) goto fail; /* values cannot carry it */
  if (!(h = calloc(1, sizeof *h)) || !capi_push((void ***)&s->hosts, &s->nhosts, &s->cap_hosts, h)) goto fail;
  h->store = s;
  h->cb = cb;
  h->cb_env = cb_env;
  h->env = env;
  h->finalizer = fin; /* once the function exists, the store runs it */
  wrun_func *f = rt_func_new_host(s->rt, &ft, host_trampoline, h, "host");
  free(ft.types);
  if (!f) { /* no function: the record goes (it is the last one pushed), its env stays the caller's */
    s->nhosts--;
    free(h);
    return NULL;
  }
  h->type = rt_func_type(f);
  uint32_t n = h->type->nparams + h->type->nresults;
  if (n && !(h->kinds = malloc(n * sizeof *h->kinds))) return NULL; /* f stays in the store, unused */
  h->numeric = h->type->nparams <= SMALL_ARITY && h->type->nresults <= SMALL_ARITY;
  for (uint32_t i = 0; i < n; i++) {
    h->kinds[i] = capi_kind_of(h->type->types[i]);
    if (wasm_valkind_is_ref(h->kinds[i])) h->numeric = false;
  }
  return (wasm_func_t *)capi_ref_new(CAPI_FUNC, s, f);
fail:
  free(h);
  free(ft.types);
  return NULL;
}

wasm_func_t *wasm_func_new(wasm_store_t *s, const wasm_functype_t *type, wasm_func_callback_t cb) {
  return cb ? host_func_new(s, type, cb, NULL, NULL, NULL) : NULL;
}

wasm_func_t *wasm_func_new_with_env(wasm_store_t *s, const wasm_functype_t *type, wasm_func_callback_with_env_t cb,
                                    void *env, void (*finalizer)(void *)) {
  return cb ? host_func_new(s, type, NULL, cb, env, finalizer) : NULL;
}

wasm_functype_t *wasm_func_type(const wasm_func_t *f) { return capi_functype_from(rt_func_type(f->r.of.func)); }
size_t wasm_func_param_arity(const wasm_func_t *f) { return rt_func_type(f->r.of.func)->nparams; }
size_t wasm_func_result_arity(const wasm_func_t *f) { return rt_func_type(f->r.of.func)->nresults; }

/* The trap for a call the function's type does not allow (kept out of the
 * call path: the message buffer would otherwise sit in its frame). */
static __attribute__((noinline, cold)) wasm_trap_t *misuse_trap(wasm_store_t *s, const wm_functype *ft,
                                                                 size_t nargs, size_t nres, const wasm_val_t *args) {
  char msg[160];
  if (nargs != ft->nparams || nres < ft->nresults) {
    snprintf(msg, sizeof msg, "the function takes %u arguments and returns %u results; given %zu and room for %zu",
             ft->nparams, ft->nresults, nargs, nres);
  } else {
    uint32_t i = 0;
    while (i + 1 < ft->nparams && args[i].kind == capi_kind_of(wm_functype_params(ft)[i])) i++;
    snprintf(msg, sizeof msg, "argument %u is %s, expected %s", i, kind_name(args[i].kind),
             kind_name(capi_kind_of(wm_functype_params(ft)[i])));
  }
  return trap_make(s, msg, WRUN_CAUSE_OTHER);
}

/* A trap of the store's last call (kept out of the call path). */
static __attribute__((noinline, cold)) wasm_trap_t *call_trap(wasm_store_t *s) {
  return trap_from_store(s, rt_store_trap_message(s->rt));
}

/* wasm_func_call of a function with a call signature (capi_call_sig):
 * arguments checked against it and written straight into slots, results
 * read straight out of them, through rt_call_slots. */
static inline wasm_trap_t *call_numeric(const wasm_func_t *func, uint64_t sig, const wasm_val_t *args,
                                        wasm_val_vec_t *results, size_t nres) {
  wasm_store_t *s = func->r.store;
  uint32_t np = sig & 15, nr = sig >> 4 & 15;
  uint64_t *io = rt_call_slots_begin(s->rt, func->r.of.func); /* the values go straight to the stack */
  if (!io) return call_trap(s);
  for (uint32_t i = 0; i < np; i++) {
    wasm_valkind_t k = (wasm_valkind_t)(sig >> (8 + 2 * i) & 3);
    if (args[i].kind != k) return misuse_trap(s, func->r.of.func->type, np, nres, args);
    if (k & 1) {
      memcpy(&io[i], &args[i].of, 8); /* i64, f64: their bits */
    } else {
      uint32_t b;
      memcpy(&b, &args[i].of, 4); /* i32, f32 */
      io[i] = b;
    }
  }
  if (!rt_call_slots_run(s->rt, func->r.of.func, io)) return call_trap(s);
  if (nres < nr) return misuse_trap(s, func->r.of.func->type, np, nres, NULL);
  for (uint32_t i = 0; i < nr; i++) {
    wasm_val_t *r = &results->data[i];
    wasm_valkind_t k = (wasm_valkind_t)(sig >> (24 + 2 * i) & 3);
    r->kind = k;
    r->of.i64 = 0;
    if (k & 1) {
      memcpy(&r->of, &io[i], 8);
    } else {
      uint32_t b = (uint32_t)io[i];
      memcpy(&r->of, &b, 4);
    }
  }
  return NULL;
}

/* wasm_func_call of any other function, through rt_call and rt_val (kept
 * out of line: its arrays would otherwise make every call's frame large). */
static __attribute__((noinline)) wasm_trap_t *call_general(const wasm_func_t *func, const wasm_val_vec_t *args,
                                                           wasm_val_vec_t *results, size_t nargs, size_t nres);

wasm_trap_t *wasm_func_call(const wasm_func_t *func, const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  size_t nargs = args ? args->size : 0, nres = results ? results->size : 0;
  /* Arguments must match before the call; room for results is checked after
   * it, so a call that traps reports its trap whatever the room (hosts
   * written for other engines pass an empty results vector to calls they
   * expect to trap). */
  uint64_t sig = func->r.call_sig;
  if (sig) { /* its arity is in the handle: no loads through the function and its type */
    if (nargs != (sig & 15)) return misuse_trap(func->r.store, func->r.of.func->type, nargs, nres, NULL);
    return call_numeric(func, sig, nargs ? args->data : NULL, results, nres);
  }
  const wm_functype *ft = func->r.of.func->type;
  if (nargs != ft->nparams) return misuse_trap(func->r.store, ft, nargs, nres, NULL);
  return call_general(func, args, results, nargs, nres);
}

static wasm_trap_t *call_general(const wasm_func_t *func, const wasm_val_vec_t *args, wasm_val_vec_t *results,
                                 size_t nargs, size_t nres) {
  wasm_store_t *s = func->r.store;
  const wm_functype *ft = func->r.of.func->type;
  rt_val small_in[SMALL_ARITY], small_out[SMALL_ARITY];
  rt_val *in = ft->nparams <= SMALL_ARITY ? small_in : calloc(ft->nparams, sizeof *in);
  rt_val *out = ft->nresults <= SMALL_ARITY ? small_out : calloc(ft->nresults, sizeof *out);
  wasm_trap_t *trap = NULL;
  if (!in || !out) {
    trap = trap_make(s, "out of memory", WRUN_CAUSE_OTHER);
    goto done;
  }
  for (uint32_t i = 0; i < ft->nparams; i++)
    if (!val_to_rt(s, &args->data[i], wm_functype_params(ft)[i], &in[i])) {
      trap = misuse_trap(s, ft, nargs, nres, args->data);
      goto done;
    }
  rt_error err;
  err.kind = WRUN_OK; /* rt_error_clear without the call: this path is per call */
  if (!rt_call(s->rt, func->r.of.func, in, ft->nparams, out, ft->nresults, &err)) {
    trap = trap_from_store(s, err.message);
    goto done;
  }
  if (nres < ft->nresults) {
    trap = misuse_trap(s, ft, nargs, nres, NULL);
    goto done;
  }
  for (uint32_t i = 0; i < ft->nresults; i++) val_from_rt(s, &out[i], &results->data[i]);
done:
  if (in != small_in) free(in);
  if (out != small_out) free(out);
  return trap;
}

/* ---- globals ------------------------------------------------------------------------------------ */

wasm_global_t *wasm_global_new(wasm_store_t *s, const wasm_globaltype_t *type, const wasm_val_t *val) {
  wm_globaltype gt;
  rt_val v;
  if (!s || !type || !val || !capi_globaltype_to(type, &gt) || !val_to_rt(s, val, gt.type, &v)) return NULL;
  rt_global *g = rt_global_new(s->rt, &gt, &v);
  return g ? (wasm_global_t *)capi_ref_new(CAPI_GLOBAL, s, g) : NULL;
}

wasm_globaltype_t *wasm_global_type(const wasm_global_t *g) {
  return capi_globaltype_from(rt_global_type(g->r.of.global));
}

void wasm_global_get(const wasm_global_t *g, wasm_val_t *out) {
  rt_val v;
  rt_global_get(g->r.of.global, &v);
  val_from_rt(g->r.store, &v, out);
}

void wasm_global_set(wasm_global_t *g, const wasm_val_t *val) {
  rt_global *rg = g->r.of.global;
  rt_val v;
  if (!rg->type.mut || !val_to_rt(g->r.store, val, rg->type.type, &v)) return;
  if (wm_valtype_is_ref(v.type)) rg->val[0] = (uint64_t)(uintptr_t)v.of.ref;
  else if (v.type == WASM_I32 || v.type == WASM_F32) rg->val[0] = v.of.i32;
  else rg->val[0] = v.of.i64;
}

/* ---- tables --------------------------------------------------------------------------------------- */

wasm_table_t *wasm_table_new(wasm_store_t *s, const wasm_tabletype_t *type, wasm_ref_t *init) {
  wm_tabletype tt;
  void *p;
  if (!s || !type || !capi_tabletype_to(type, &tt) || !ref_to_rt(s, init, tt.elem, &p)) return NULL;
  rt_table *t = rt_table_new(s->rt, &tt, p);
  return t ? (wasm_table_t *)capi_ref_new(CAPI_TABLE, s, t) : NULL;
}

wasm_tabletype_t *wasm_table_type(const wasm_table_t *t) {
  wm_tabletype tt = *rt_table_type(t->r.of.table);
  tt.limits.min = rt_table_size(t->r.of.table);
  return capi_tabletype_from(&tt);
}

wasm_ref_t *wasm_table_get(const wasm_table_t *t, wasm_table_size_t index) {
  const rt_table *rt = t->r.of.table;
  if (index >= rt->size) return NULL;
  return ref_from_rt(t->r.store, rt->elems[index], rt->type.elem);
}

bool wasm_table_set(wasm_table_t *t, wasm_table_size_t index, wasm_ref_t *ref) {
  rt_table *rt = t->r.of.table;
  void *p;
  if (index >= rt->size || !ref_to_rt(t->r.store, ref, rt->type.elem, &p)) return false;
  rt->elems[index] = p;
  return true;
}

wasm_table_size_t wasm_table_size(const wasm_table_t *t) { return (wasm_table_size_t)rt_table_size(t->r.of.table); }

bool wasm_table_grow(wasm_table_t *t, wasm_table_size_t delta, wasm_ref_t *init) {
  rt_table *rt = t->r.of.table;
  void *p;
  return ref_to_rt(t->r.store, init, rt->type.elem, &p) && rt_table_grow(rt, delta, p) >= 0;
}

/* ---- memories -------------------------------------------------------------------------------------- */

wasm_memory_t *wasm_memory_new(wasm_store_t *s, const wasm_memorytype_t *type) {
  wm_memtype mt;
  if (!s || !type) return NULL;
  capi_memorytype_to(type, &mt);
  if (mt.limits.min > WASM_MAX_PAGES32 || (mt.limits.has_max && mt.limits.max < mt.limits.min)) return NULL;
  rt_memory *m = rt_memory_new(s->rt, &mt);
  return m ? (wasm_memory_t *)capi_ref_new(CAPI_MEMORY, s, m) : NULL;
}

wasm_memorytype_t *wasm_memory_type(const wasm_memory_t *m) {
  wm_memtype mt = *rt_memory_type(m->r.of.memory);
  mt.limits.min = rt_memory_size(m->r.of.memory) / MEMORY_PAGE_SIZE;
  return capi_memorytype_from(&mt);
}

byte_t *wasm_memory_data(wasm_memory_t *m) { return (byte_t *)rt_memory_data(m->r.of.memory); }
size_t wasm_memory_data_size(const wasm_memory_t *m) { return (size_t)rt_memory_size(m->r.of.memory); }
wasm_memory_pages_t wasm_memory_size(const wasm_memory_t *m) {
  return (wasm_memory_pages_t)(rt_memory_size(m->r.of.memory) / MEMORY_PAGE_SIZE);
}
bool wasm_memory_grow(wasm_memory_t *m, wasm_memory_pages_t delta) { return rt_memory_grow(m->r.of.memory, delta) >= 0; }

/* ---- extern types of live objects --------------------------------------------------------------------- */

wasm_externtype_t *wasm_extern_type(const wasm_extern_t *e) {
  switch (e->r.kind) {
  case CAPI_FUNC: return wasm_functype_as_externtype(wasm_func_type((const wasm_func_t *)e));
  case CAPI_GLOBAL: return wasm_globaltype_as_externtype(wasm_global_type((const wasm_global_t *)e));
  case CAPI_TABLE: return wasm_tabletype_as_externtype(wasm_table_type((const wasm_table_t *)e));
  default: return wasm_memorytype_as_externtype(wasm_memory_type((const wasm_memory_t *)e));
  }
}
