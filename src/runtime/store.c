/*
 * store.c — the store and the objects it owns: functions, tables, memories,
 * globals; traps and backtraces.
 *
 * Linear memories reserve their whole possible range of address space up front
 * (PROT_NONE) and commit pages with mprotect as they grow, so memory.grow never
 * moves a memory and the interpreter may keep its base pointer across calls.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <sys/mman.h>

#include "runtime/rt.h"
#include "runtime/tier.h"
#ifdef WRUN_INTERP_PROFILE
#endif

enum { OBJ_FUNC, OBJ_TABLE, OBJ_MEMORY, OBJ_GLOBAL, OBJ_INSTANCE };

#define PAGE_BYTES 65536u
#define DEFAULT_STACK_SLOTS (1u << 20)   /* 8 MiB of value stack */
#define DEFAULT_MAX_DEPTH 20000u

static bool track(wrun_store *s, void *obj, uint8_t kind) {
  if (s->nobjs == s->cap_objs) {
    uint32_t cap = s->cap_objs ? s->cap_objs * 2 : 64;
    void **o = realloc(s->objs, cap * sizeof *o);
    if (!o) return false;
    s->objs = o;
    uint8_t *k = realloc(s->obj_kinds, cap);
    if (!k) return false;
    s->obj_kinds = k;
    s->cap_objs = cap;
  }
  s->objs[s->nobjs] = obj;
  s->obj_kinds[s->nobjs++] = kind;
  return true;
}

/* ---- tiers ------------------------------------------------------------------- */

const rt_tier_ops *rt_tiers[RT_TIER_COUNT_];

void rt_tier_register(rt_tier_kind kind, const rt_tier_ops *ops) { rt_tiers[kind] = ops; }
const rt_tierup_ops *rt_tierup;

/* ---- stores ------------------------------------------------------------------- */

wrun_store *rt_store_new(const rt_config *cfg) {
  wrun_store *s = calloc(1, sizeof *s);
  if (!s) return NULL;
  if (cfg) s->cfg = *cfg;
  s->stack_slots = s->cfg.stack_bytes ? s->cfg.stack_bytes / 8 : DEFAULT_STACK_SLOTS;
  s->max_depth = s->cfg.max_call_depth ? s->cfg.max_call_depth : DEFAULT_MAX_DEPTH;
  s->stack = calloc(s->stack_slots, sizeof *s->stack);
  if (!s->stack) {
    free(s);
    return NULL;
  }
  s->stack_top = s->stack;
  s->fuel_left = (int64_t)(s->cfg.fuel > INT64_MAX ? INT64_MAX : s->cfg.fuel);
  /* compiled code counts no fuel, and --aot compiles everything up front */
  if (s->cfg.aot || s->cfg.fuel) s->cfg.tiered = false;
  s->tier_countdown = s->cfg.tier_threshold ? s->cfg.tier_threshold : RT_TIER_DEFAULT_THRESHOLD;
  return s;
}

void rt_store_interrupt(wrun_store *s) { atomic_store_explicit(&s->interrupt, 1, memory_order_relaxed); }
int64_t rt_store_fuel_left(const wrun_store *s) { return s->fuel_left; }

static void free_func(wrun_func *f) {
  if (!f) return;
  rt_free_func_code(f);
  free(f->own_type.types);
  free(f->name);
  free(f);
}

static void free_memory(rt_memory *m) {
  if (!m) return;
  rt_dirty_free(m->dirty);
  if (m->base) munmap(m->base, m->reserved);
  free(m);
}

void rt_instance_free(wrun_instance *inst) {
  if (!inst) return;
  const wm_module *m = inst->module;
  if (inst->tmpl) { /* a template's instance owns its definitions (template.c) */
    for (uint32_t i = m->nimported_funcs; i < m->nfuncs; i++) free_func(inst->funcs[i]);
    for (uint32_t i = m->nimported_globals; i < m->nglobals; i++) free(inst->globals[i]);
    for (uint32_t i = m->nimported_tables; i < m->ntables; i++) rt_table_free(inst->tables[i]);
    for (uint32_t i = m->nimported_mems; i < m->nmems; i++) free_memory(inst->mems[i]);
  }
  if (inst->elem_refs)
    for (uint32_t i = 0; i < m->nelems; i++) free(inst->elem_refs[i]);
  free(inst->elem_refs);
  free(inst->elem_len);
  free(inst->data_dropped);
  free(inst->funcs);
  free(inst->tables);
  free(inst->mems);
  free(inst->globals);
  if (inst->aot) rt_tier(RT_TIER_AOT)->free_instance_code(inst);
  free(inst);
}

void rt_store_free(wrun_store *s) {
  if (!s) return;
  if (s->tierup && rt_tierup) rt_tierup->store_freed(s); /* joins the compiler thread first */
  for (int k = 0; k < RT_TIER_COUNT_; k++)
    if (rt_tiers[k] && rt_tiers[k]->store_freed) rt_tiers[k]->store_freed(s);
  for (uint32_t i = s->nobjs; i-- > 0;) {
    void *o = s->objs[i];
    switch (s->obj_kinds[i]) {
    case OBJ_FUNC: free_func(o); break;
    case OBJ_TABLE: rt_table_free(o); break;
    case OBJ_MEMORY: free_memory(o); break;
    case OBJ_GLOBAL: free(o); break;
    case OBJ_INSTANCE: rt_instance_free(o); break;
    }
  }
  rt_store_free_templated(s);
  free(s->objs);
  free(s->obj_kinds);
  free(s->stack);
  free(s->trace);
  free(s->frames);
  free(s);
}

/* ---- traps --------------------------------------------------------------- */

const char *rt_trap_message(rt_trap_kind kind) {
  switch (kind) {
  case WRUN_TRAP_NONE: return "no trap";
  case WRUN_TRAP_UNREACHABLE: return "unreachable";
  case WRUN_TRAP_MEMORY_OOB: return "out of bounds memory access";
  case WRUN_TRAP_TABLE_OOB: return "out of bounds table access";
  case WRUN_TRAP_UNDEFINED_ELEMENT: return "undefined element";
  case WRUN_TRAP_UNINITIALIZED_ELEMENT: return "uninitialized element";
  case WRUN_TRAP_INDIRECT_MISMATCH: return "indirect call type mismatch";
  case WRUN_TRAP_DIV_ZERO: return "integer divide by zero";
  case WRUN_TRAP_INT_OVERFLOW: return "integer overflow";
  case WRUN_TRAP_INVALID_CONVERSION: return "invalid conversion to integer";
  case WRUN_TRAP_STACK_EXHAUSTED: return "call stack exhausted";
  case WRUN_TRAP_NULL_REFERENCE: return "null reference";
  case WRUN_TRAP_HOST: return "host function failed";
  case WRUN_TRAP_EXIT: return "exit";
  case WRUN_TRAP_FUEL: return "all fuel consumed";
  case WRUN_TRAP_TIMEOUT: return "wall-clock timeout";
  case WRUN_TRAP_INTERRUPTED: return "interrupted";
  }
  return "trap";
}

void rt_set_trap(wrun_store *s, rt_trap_kind kind, const char *msg) {
  s->trap = kind;
  s->trap_pc = NULL;
  snprintf(s->trap_msg, sizeof s->trap_msg, "%s", msg ? msg : rt_trap_message(kind));
  /* keep the frames that were active for the backtrace */
  if (s->nframes > s->cap_trace) {
    rt_frame_info *t = realloc(s->trace, s->nframes * sizeof *t);
    if (t) {
      s->trace = t;
      s->cap_trace = s->nframes;
    }
  }
  s->ntrace = s->nframes <= s->cap_trace ? s->nframes : 0;
  if (s->ntrace) memcpy(s->trace, s->frames, s->ntrace * sizeof *s->trace);
}

rt_trap_kind rt_store_trap_kind(const wrun_store *s) { return s->trap; }
int rt_store_exit_code(const wrun_store *s) { return s->exit_code; }

static const char *func_name(const wrun_func *f, char *buf, size_t size) {
  if (f->host) return f->name ? f->name : "<host>";
  const wm_func *wf = &f->inst->module->funcs[f->index];
  if (wf->debug_name) return wf->debug_name;
  snprintf(buf, size, "func[%u]", f->index);
  return buf;
}

uint32_t rt_trace_offset(const wrun_store *s, uint32_t i) {
  if (i >= s->ntrace || !s->trace[i].func || s->trace[i].func->host) return UINT32_MAX;
  uint32_t at = rt_frame_compiled_offset(&s->trace[i]);
  const rt_tier_ops *interp = rt_tier(RT_TIER_INTERP);
  if (at == UINT32_MAX && interp && interp->frame_offset) at = interp->frame_offset(s, i);
  return at;
}

const char *rt_store_backtrace(const wrun_store *s, char *buf, size_t size) {
  size_t used = 0;
  if (size) buf[0] = 0;
  for (uint32_t i = s->ntrace, n = 0; i-- > 0 && used + 1 < size; n++) {
    char tmp[32];
    uint32_t at = rt_trace_offset(s, i);
    char pos[24] = "";
    if (at != UINT32_MAX) snprintf(pos, sizeof pos, " at 0x%x", at);
    int w = snprintf(buf + used, size - used, "  #%u %s%s\n", n, func_name(s->trace[i].func, tmp, sizeof tmp), pos);
    if (w < 0) break;
    used += (size_t)w;
    if (n >= 40 && i > 0) { /* deep recursion: keep the report short */
      snprintf(buf + (used < size ? used : size - 1), used < size ? size - used : 1, "  ... %u more frames\n", i);
      break;
    }
  }
  return buf;
}

/* ---- functions ------------------------------------------------------------ */

static void set_slot_counts(wrun_func *f) {
  f->param_slots = f->result_slots = 0;
  for (uint32_t i = 0; i < f->type->nparams; i++) f->param_slots += rt_slots(wm_functype_params(f->type)[i]);
  for (uint32_t i = 0; i < f->type->nresults; i++) f->result_slots += rt_slots(wm_functype_results(f->type)[i]);
}

wrun_func *rt_func_alloc_wasm(wrun_instance *inst, uint32_t index) {
  wrun_func *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  f->inst = inst;
  f->index = index;
  f->type = wm_module_func_type(inst->module, index);
  set_slot_counts(f);
  return f;
}

wrun_func *rt_func_new_wasm(wrun_store *s, wrun_instance *inst, uint32_t index) {
  wrun_func *f = rt_func_alloc_wasm(inst, index);
  if (f && !track(s, f, OBJ_FUNC)) {
    free(f);
    return NULL;
  }
  return f;
}

wrun_func *rt_func_new_host(wrun_store *s, const wm_functype *type, rt_host_fn fn, void *env,
                              const char *name) {
  wrun_func *f = calloc(1, sizeof *f);
  if (!f) return NULL;
  size_t n = (size_t)type->nparams + type->nresults;
  f->own_type.nparams = type->nparams;
  f->own_type.nresults = type->nresults;
  f->own_type.types = n ? malloc(n * sizeof *f->own_type.types) : NULL;
  if (n && !f->own_type.types) {
    free(f);
    return NULL;
  }
  if (n) memcpy(f->own_type.types, type->types, n * sizeof *type->types);
  f->type = &f->own_type;
  f->host = fn;
  f->env = env;
  f->name = name ? strdup(name) : NULL;
  set_slot_counts(f);
  if (!track(s, f, OBJ_FUNC)) {
    free_func(f);
    return NULL;
  }
  return f;
}

const wm_functype *rt_func_type(const wrun_func *f) { return f->type; }

/* ---- host function context ------------------------------------------------ */

struct rt_caller {
  wrun_store *store;
  wrun_instance *inst;
};

bool rt_caller_trap(rt_caller *c, rt_trap_kind kind, const char *fmt, ...) {
  char msg[200];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(msg, sizeof msg, fmt, ap);
  va_end(ap);
  rt_set_trap(c->store, kind, msg);
  return false;
}

bool rt_caller_exit(rt_caller *c, int code) {
  c->store->exit_code = code;
  rt_set_trap(c->store, WRUN_TRAP_EXIT, "exit");
  return false;
}

rt_memory *rt_caller_memory(rt_caller *c, uint32_t idx) {
  if (!c->inst || idx >= c->inst->module->nmems) return NULL;
  return c->inst->mems[idx];
}

wrun_store *rt_caller_store(rt_caller *c) { return c->store; }

bool rt_call_host(wrun_store *s, wrun_func *f, wrun_instance *caller_inst, uint64_t *slots) {
  rt_caller c = {s, caller_inst};
  if (f->host(&c, f->env, slots)) return true;
  if (s->trap == WRUN_TRAP_NONE) rt_set_trap(s, WRUN_TRAP_HOST, "host function failed");
  return false;
}

/* ---- tables ----------------------------------------------------------------- */

void rt_table_free(rt_table *t) {
  if (!t) return;
  free(t->elems);
  free(t);
}

rt_table *rt_table_alloc(const wm_tabletype *type, void *init_ref) {
  rt_table *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->type = *type;
  t->max = type->limits.has_max ? type->limits.max : WASM_MAX_TABLE_SIZE;
  if (t->max > WASM_MAX_TABLE_SIZE) t->max = WASM_MAX_TABLE_SIZE;
  if (type->limits.min > t->max) {
    free(t);
    return NULL;
  }
  t->size = t->cap = type->limits.min;
  t->elems = calloc(t->cap ? t->cap : 1, sizeof *t->elems);
  if (!t->elems) {
    free(t);
    return NULL;
  }
  for (uint64_t i = 0; i < t->size; i++) t->elems[i] = init_ref;
  return t;
}

rt_table *rt_table_new(wrun_store *s, const wm_tabletype *type, void *init_ref) {
  rt_table *t = rt_table_alloc(type, init_ref);
  if (t && !track(s, t, OBJ_TABLE)) {
    rt_table_free(t);
    return NULL;
  }
  return t;
}

int64_t rt_table_grow(rt_table *t, uint64_t delta, void *init) {
  uint64_t old = t->size;
  if (delta > t->max - old) return -1;
  uint64_t n = old + delta;
  if (n > t->cap) {
    uint64_t cap = t->cap * 2 > n ? t->cap * 2 : n;
    if (cap > t->max) cap = t->max;
    void **e = realloc(t->elems, cap * sizeof *e);
    if (!e) return -1;
    t->elems = e;
    t->cap = cap;
  }
  for (uint64_t i = old; i < n; i++) t->elems[i] = init;
  t->size = n;
  return (int64_t)old;
}

uint64_t rt_table_size(const rt_table *t) { return t->size; }
const wm_tabletype *rt_table_type(const rt_table *t) { return &t->type; }

/* ---- memories ----------------------------------------------------------------- */

rt_memory *rt_memory_reserve(const rt_config *cfg, const wm_memtype *type) {
  rt_memory *m = calloc(1, sizeof *m);
  if (!m) return NULL;
  m->type = *type;
  uint64_t max = type->limits.has_max ? type->limits.max : WASM_MAX_PAGES32;
  if (cfg->max_memory_bytes && max > cfg->max_memory_bytes / PAGE_BYTES)
    max = cfg->max_memory_bytes / PAGE_BYTES;
  m->max_pages = max;
  if (type->limits.min > max) {
    free(m);
    return NULL;
  }
  /* Reserve the whole range the memory may ever reach (at least one page so the
   * base is never NULL); commit only `min` pages. */
#ifdef WRUN_BOUNDS_CHECKS
  m->reserved = (max ? max : 1) * (uint64_t)PAGE_BYTES;
#else
  m->reserved = RT_GUARD_RESERVATION; /* see rt.h: accesses never need a check */
  if (!rt_install_fault_handler()) {
    free(m);
    return NULL;
  }
#endif
  void *p = mmap(NULL, m->reserved, PROT_NONE, MAP_PRIVATE | MAP_ANONYMOUS | MAP_NORESERVE, -1, 0);
  if (p == MAP_FAILED) {
    free(m);
    return NULL;
  }
  m->base = p;
  return m;
}

void rt_memory_free(rt_memory *m) { free_memory(m); }

rt_memory *rt_memory_new(wrun_store *s, const wm_memtype *type) {
  rt_memory *m = rt_memory_reserve(&s->cfg, type);
  if (!m) return NULL;
  if (type->limits.min && mprotect(m->base, type->limits.min * PAGE_BYTES, PROT_READ | PROT_WRITE) != 0) {
    free_memory(m);
    return NULL;
  }
  m->size = type->limits.min * PAGE_BYTES;
  if (!track(s, m, OBJ_MEMORY)) {
    free_memory(m);
    return NULL;
  }
  return m;
}

int64_t rt_memory_grow(rt_memory *m, uint64_t delta) {
  uint64_t old = m->size / PAGE_BYTES;
  if (delta > m->max_pages - old) return -1;
  if (delta && mprotect(m->base + m->size, delta * PAGE_BYTES, PROT_READ | PROT_WRITE) != 0) return -1;
  m->size += delta * PAGE_BYTES;
  return (int64_t)old;
}

uint8_t *rt_memory_data(const rt_memory *m) { return m->base; }
uint64_t rt_memory_size(const rt_memory *m) { return m->size; }
const wm_memtype *rt_memory_type(const rt_memory *m) { return &m->type; }

/* ---- memory faults ------------------------------------------------------------------ */

_Thread_local RT_TLS_FAST rt_exec *rt_current_exec;

static bool fault_in_memory(wrun_store *s, const void *addr) {
  const uint8_t *a = addr;
  for (uint32_t i = 0; i < s->nobjs; i++) {
    if (s->obj_kinds[i] != OBJ_MEMORY) continue;
    const rt_memory *m = s->objs[i];
    if (a >= m->base && a < m->base + m->reserved) return true;
  }
  return rt_store_owns_templated_memory(s, a);
}

/* A fault inside a memory reservation while wasm code runs is an out-of-bounds
 * access: unwind to the tier that runs it (interp_invoke or aot_invoke). Anything else is a real crash: restore the
 * default action and return, so the faulting instruction re-runs and the
 * process dies as it would have without us. */
static void on_fault(int sig, siginfo_t *si, void *uctx) {
  rt_exec *ex = rt_current_exec;
  if (ex && ex->in_wasm && fault_in_memory(ex->store, si->si_addr)) {
    /* compiled code: its frames are intact until we unwind, so read them now
     * (the AOT tier's capture_frames only reads the stack and writes store->frames) */
    if (ex->aot) rt_tier(RT_TIER_AOT)->capture_frames(ex, uctx);
    ex->unwind_why = RT_UNWIND_GUARD_PAGE;
    RT_UNWIND(ex->unwind);
  }
  signal(sig, SIG_DFL);
}

static pthread_once_t fault_once = PTHREAD_ONCE_INIT;
static bool fault_installed; /* written once under fault_once */

static void install_fault_handler(void) {
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = on_fault;
  sa.sa_flags = SA_SIGINFO | SA_NODEFER;
  sigemptyset(&sa.sa_mask);
  fault_installed = sigaction(SIGSEGV, &sa, NULL) == 0 && sigaction(SIGBUS, &sa, NULL) == 0;
}

bool rt_install_fault_handler(void) {
  pthread_once(&fault_once, install_fault_handler);
  return fault_installed;
}

/* ---- globals ------------------------------------------------------------------- */

rt_global *rt_global_alloc(const wm_globaltype *type) {
  rt_global *g = calloc(1, sizeof *g);
  if (g) g->type = *type;
  return g;
}

rt_global *rt_global_new(wrun_store *s, const wm_globaltype *type, const rt_val *init) {
  rt_global *g = rt_global_alloc(type);
  if (!g) return NULL;
  if (init) {
    if (type->type == WASM_V128) memcpy(g->val, init->of.v128, 16);
    else if (wm_valtype_is_ref(type->type)) g->val[0] = (uint64_t)(uintptr_t)init->of.ref;
    else if (type->type == WASM_I32 || type->type == WASM_F32) g->val[0] = init->of.i32;
    else g->val[0] = init->of.i64;
  }
  if (!track(s, g, OBJ_GLOBAL)) {
    free(g);
    return NULL;
  }
  return g;
}

void rt_global_get(const rt_global *g, rt_val *out) {
  memset(out, 0, sizeof *out);
  out->type = g->type.type;
  if (g->type.type == WASM_V128) memcpy(out->of.v128, g->val, 16);
  else if (wm_valtype_is_ref(g->type.type)) out->of.ref = (void *)(uintptr_t)g->val[0];
  else if (g->type.type == WASM_I32 || g->type.type == WASM_F32) out->of.i32 = (uint32_t)g->val[0];
  else out->of.i64 = g->val[0];
}

const wm_globaltype *rt_global_type(const rt_global *g) { return &g->type; }

/* ---- instances (allocation only; instantiate.c fills them) ---------------------- */

wrun_instance *rt_instance_alloc(const wm_module *m) {
  wrun_instance *inst = calloc(1, sizeof *inst);
  if (!inst) return NULL;
  inst->module = m;
  inst->funcs = calloc(m->nfuncs + 1, sizeof *inst->funcs);
  inst->tables = calloc(m->ntables + 1, sizeof *inst->tables);
  inst->mems = calloc(m->nmems + 1, sizeof *inst->mems);
  inst->globals = calloc(m->nglobals + 1, sizeof *inst->globals);
  inst->elem_refs = calloc(m->nelems + 1, sizeof *inst->elem_refs);
  inst->elem_len = calloc(m->nelems + 1, sizeof *inst->elem_len);
  inst->data_dropped = calloc(m->ndatas + 1, sizeof *inst->data_dropped);
  if (!inst->funcs || !inst->tables || !inst->mems || !inst->globals || !inst->elem_refs || !inst->elem_len ||
      !inst->data_dropped) {
    rt_instance_free(inst);
    return NULL;
  }
  return inst;
}

wrun_instance *rt_instance_new(wrun_store *s, const wm_module *m) {
  wrun_instance *inst = rt_instance_alloc(m);
  if (inst && !track(s, inst, OBJ_INSTANCE)) {
    rt_instance_free(inst);
    return NULL;
  }
  return inst;
}
