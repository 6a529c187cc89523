/*
 * wast_exec.c — the execution commands of spec scripts: module instantiation,
 * register, invoke, get, and the assertions about results, traps, exhaustion
 * and linking.
 *
 * Argument and result values are written in the script as (TYPE.const ...),
 * (ref.null T), (ref.extern N) and (ref.func). An externref N is the host
 * pointer N+1, so that (ref.extern 0) is not null.
 */
#include <stdlib.h>
#include <string.h>

#include "engine/tierup.h"
#include "runtime/rt.h" /* scribble: raw access to globals and tables */
#include "wast/wast_internal.h"

bool wast_exec_begin(script *s) {
  rt_config cfg = {0};
  cfg.aot = s->opt->aot;
  cfg.tiered = s->opt->tiered;
  if (cfg.tiered && !engine_tier_config_from_env(&cfg)) return false;
  s->store = engine_store_new(&cfg);
  if (!s->store) return false;
  const char *tm = getenv("WRUN_WAST_TEMPLATE");
  s->template_mode = tm ? atoi(tm) : 0;
  s->spectest = spectest_new(s->store, s->opt->verbose);
  return s->spectest != NULL;
}

static void free_named(wast_named *v, uint32_t n) {
  for (uint32_t i = 0; i < n; i++) free(v[i].name);
  free(v);
}

void wast_exec_end(script *s) {
  rt_tier_stats ts;
  if (s->opt->tiered && s->opt->verbose && s->store && engine_tier_stats(s->store, &ts))
    fprintf(s->out, "tier: auto: %u instances switched to compiled code, %llu calls moved at their entry, %llu OSR "
            "entries%s%s\n", ts.instances, (unsigned long long)ts.entry_switches, (unsigned long long)ts.osr_entries,
            ts.error[0] ? "; " : "", ts.error);
  spectest_free(s->spectest);
  rt_store_free(s->store);
  for (uint32_t i = 0; i < s->ntemplates; i++) rt_template_free(s->templates[i]);
  free(s->templates);
  s->templates = NULL;
  s->ntemplates = s->cap_templates = 0;
  for (uint32_t i = 0; i < s->nmodules; i++) wm_module_free(s->modules[i]);
  free(s->modules);
  free_named(s->registered, s->nregistered);
  free_named(s->ids, s->nids);
  s->store = NULL;
  s->modules = NULL;
  s->registered = s->ids = NULL;
}

static bool add_named(wast_named **v, uint32_t *n, uint32_t *cap, const char *name, size_t len, wrun_instance *inst) {
  for (uint32_t i = 0; i < *n; i++) /* a later definition replaces an earlier one */
    if (strlen((*v)[i].name) == len && memcmp((*v)[i].name, name, len) == 0) {
      (*v)[i].inst = inst;
      return true;
    }
  if (*n == *cap) {
    uint32_t c = *cap ? *cap * 2 : 8;
    wast_named *p = realloc(*v, c * sizeof *p);
    if (!p) return false;
    *v = p;
    *cap = c;
  }
  char *copy = malloc(len + 1);
  if (!copy) return false;
  memcpy(copy, name, len);
  copy[len] = 0;
  (*v)[(*n)++] = (wast_named){copy, inst};
  return true;
}

static wrun_instance *find_named(const wast_named *v, uint32_t n, const char *name, size_t len) {
  for (uint32_t i = n; i-- > 0;)
    if (strlen(v[i].name) == len && memcmp(v[i].name, name, len) == 0) return v[i].inst;
  return NULL;
}

/* ---- modules ------------------------------------------------------------------- */

static bool keep_module(script *s, wm_module *m) {
  if (s->nmodules == s->cap_modules) {
    uint32_t c = s->cap_modules ? s->cap_modules * 2 : 16;
    wm_module **p = realloc(s->modules, c * sizeof *p);
    if (!p) return false;
    s->modules = p;
    s->cap_modules = c;
  }
  s->modules[s->nmodules++] = m;
  return true;
}

/* Changes everything an instance owns (not what it imports) that
 * instantiation sets: its memories' bytes and sizes, its mutable globals, its
 * tables' entries and sizes. */
static void scribble(wrun_instance *inst) {
  const wm_module *m = rt_instance_module(inst);
  for (uint32_t i = m->nimported_mems; i < m->nmems; i++) {
    memset(inst->mems[i]->base, 0xA5, inst->mems[i]->size);
    rt_memory_grow(inst->mems[i], 1);
  }
  for (uint32_t i = m->nimported_globals; i < m->nglobals; i++)
    if (inst->globals[i]->type.mut) memset(inst->globals[i]->val, 0x5A, sizeof inst->globals[i]->val);
  for (uint32_t i = m->nimported_tables; i < m->ntables; i++) {
    rt_table_grow(inst->tables[i], 1, NULL);
    memset(inst->tables[i]->elems, 0, inst->tables[i]->size * sizeof(void *));
  }
}

/* Instantiates through a template (WRUN_WAST_TEMPLATE): the results must be
 * those of rt_instantiate. In mode 2, when a first instantiation has no
 * effect outside its own instance (no start function; only functions and
 * globals imported), it is made, scribbled on and released first, so the
 * instance returned is a reset one from the pool. */
static wrun_instance *instantiate_template(script *s, const wm_module *m, const rt_extern *imports,
                                           rt_error *err) {
  if (s->ntemplates == s->cap_templates) {
    uint32_t c = s->cap_templates ? s->cap_templates * 2 : 16;
    rt_template **p = realloc(s->templates, c * sizeof *p);
    if (!p) {
      rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
      return NULL;
    }
    s->templates = p;
    s->cap_templates = c;
  }
  rt_config cfg = {0};
  cfg.aot = s->opt->aot;
  rt_template *t = engine_template_new(m, &cfg, imports, m->nimports, err);
  if (!t) return NULL;
  s->templates[s->ntemplates++] = t;
  bool contained = m->start == WASM_NONE_IDX;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (m->imports[i].kind != WASM_EXTERN_FUNC && m->imports[i].kind != WASM_EXTERN_GLOBAL) contained = false;
  if (s->template_mode >= 2 && contained) {
    rt_error first;
    rt_error_clear(&first);
    wrun_instance *inst = rt_template_instantiate(t, s->store, &first);
    if (inst) {
      scribble(inst);
      rt_instance_release(s->store, inst);
    }
  }
  return rt_template_instantiate(t, s->store, err);
}

/* Decodes, validates and instantiates a (module ...) form. */
static wrun_instance *instantiate(script *s, const sx_node *form, rt_error *err) {
  wm_module *m = wast_load_module(form, err);
  if (!m) return NULL;
  if (!keep_module(s, m)) {
    wm_module_free(m);
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  rt_extern *imports = calloc(m->nimports ? m->nimports : 1, sizeof *imports);
  if (!imports) {
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < m->nimports; i++) {
    const wm_import *im = &m->imports[i];
    bool found = false;
    if (strcmp(im->module.ptr, "spectest") == 0) {
      found = spectest_lookup(s->spectest, im->field.ptr, im->kind, &imports[i]);
    } else {
      wrun_instance *from = find_named(s->registered, s->nregistered, im->module.ptr, im->module.len);
      found = from && rt_instance_export(from, im->field.ptr, im->field.len, &imports[i]);
    }
    if (!found) {
      free(imports);
      rt_error_at(err, WRUN_ERR_LINK, im->offset, "unknown import \"%s\" \"%s\"", im->module.ptr, im->field.ptr);
      return NULL;
    }
  }
  wrun_instance *inst = s->template_mode ? instantiate_template(s, m, imports, err)
                                         : rt_instantiate(s->store, m, imports, m->nimports, err);
  free(imports);
  return inst;
}

static const sx_node *module_id(const sx_node *form) {
  return form->nitems > 1 && form->items[1].kind == SX_ID ? &form->items[1] : NULL;
}

/* ---- values ------------------------------------------------------------------------ */

typedef struct expect_lane { int kind; uint64_t bits; } expect_lane; /* kind: 0 exact, 1 canonical, 2 arithmetic */
typedef struct expect {
  wm_valtype type;
  int ref;                   /* 0 value, 1 null ref, 2 ref.extern N, 3 ref.func (any non-null) */
  uint64_t ref_value;
  unsigned lanes, lane_bits;
  bool float_lanes;
  expect_lane lane[16];
} expect;

static bool shape(const sx_node *n, unsigned *lanes, unsigned *bits, bool *fl) {
  static const struct { const char *name; unsigned lanes, bits; bool fl; } shapes[] = {
    {"i8x16", 16, 8, false}, {"i16x8", 8, 16, false}, {"i32x4", 4, 32, false},
    {"i64x2", 2, 64, false}, {"f32x4", 4, 32, true}, {"f64x2", 2, 64, true},
  };
  for (size_t k = 0; k < 6; k++)
    if (sx_is_atom(n, shapes[k].name)) {
      *lanes = shapes[k].lanes;
      *bits = shapes[k].bits;
      *fl = shapes[k].fl;
      return true;
    }
  return false;
}

/* One scalar literal of `bits` width, or a NaN pattern when `allow_nan`. */
static bool scalar(const sx_node *n, unsigned bits, bool fl, bool allow_nan, expect_lane *out) {
  if (n->kind != SX_ATOM) return false;
  out->kind = 0;
  if (fl && allow_nan && sx_is_atom(n, "nan:canonical")) { out->kind = 1; return true; }
  if (fl && allow_nan && sx_is_atom(n, "nan:arithmetic")) { out->kind = 2; return true; }
  if (fl && bits == 32) {
    uint32_t b;
    if (!wat_parse_f32(n->text, n->len, &b)) return false;
    out->bits = b;
    return true;
  }
  if (fl) return wat_parse_f64(n->text, n->len, &out->bits);
  uint32_t v32;
  switch (bits) {
  case 32: if (!wat_parse_i32(n->text, n->len, &v32)) return false; out->bits = v32; return true;
  case 64: return wat_parse_i64(n->text, n->len, &out->bits);
  default: { /* 8 and 16: accept signed and unsigned forms of the width */
    if (!wat_parse_i32(n->text, n->len, &v32)) return false;
    int32_t sv = (int32_t)v32;
    int32_t lo = -(1 << (bits - 1)), hi = (1 << bits) - 1;
    if (n->text[0] == '-' ? sv < lo : v32 > (uint32_t)hi) return false;
    out->bits = v32 & ((1u << bits) - 1);
    return true;
  }
  }
}

/* Parses (T.const ...) / (ref.null T) / (ref.extern N) / (ref.func) into e. */
static bool parse_value(const sx_node *n, bool expected, expect *e) {
  memset(e, 0, sizeof *e);
  if (n->kind != SX_LIST || n->nitems < 1 || n->items[0].kind != SX_ATOM) return false;
  const sx_node *h = &n->items[0];
  if (sx_is_atom(h, "ref.null")) {
    if (n->nitems != 2) return false;
    e->type = sx_is_atom(&n->items[1], "func") ? WASM_FUNCREF : WASM_EXTERNREF;
    e->ref = 1;
    return true;
  }
  if (sx_is_atom(h, "ref.extern")) {
    e->type = WASM_EXTERNREF;
    if (n->nitems == 1 && expected) { e->ref = 4; return true; } /* any non-null externref */
    uint64_t v;
    if (n->nitems != 2 || n->items[1].kind != SX_ATOM || !wat_parse_i64(n->items[1].text, n->items[1].len, &v))
      return false;
    e->ref = 2;
    e->ref_value = v + 1;
    return true;
  }
  if (sx_is_atom(h, "ref.func")) {
    e->type = WASM_FUNCREF;
    e->ref = 3;
    return expected;
  }
  if (sx_is_atom(h, "v128.const")) {
    if (n->nitems < 2 || !shape(&n->items[1], &e->lanes, &e->lane_bits, &e->float_lanes)) return false;
    if (n->nitems != 2 + e->lanes) return false;
    e->type = WASM_V128;
    for (unsigned i = 0; i < e->lanes; i++)
      if (!scalar(&n->items[2 + i], e->lane_bits, e->float_lanes, expected, &e->lane[i])) return false;
    return true;
  }
  static const struct { const char *name; wm_valtype t; unsigned bits; bool fl; } consts[] = {
    {"i32.const", WASM_I32, 32, false}, {"i64.const", WASM_I64, 64, false},
    {"f32.const", WASM_F32, 32, true}, {"f64.const", WASM_F64, 64, true},
  };
  for (size_t k = 0; k < 4; k++) {
    if (!sx_is_atom(h, consts[k].name)) continue;
    if (n->nitems != 2) return false;
    e->type = consts[k].t;
    e->lanes = 1;
    e->lane_bits = consts[k].bits;
    e->float_lanes = consts[k].fl;
    return scalar(&n->items[1], consts[k].bits, consts[k].fl, expected, &e->lane[0]);
  }
  return false;
}

static void to_val(const expect *e, rt_val *v) {
  memset(v, 0, sizeof *v);
  v->type = e->type;
  if (e->ref) {
    v->of.ref = e->ref == 2 ? (void *)(uintptr_t)e->ref_value : NULL;
  } else if (e->type == WASM_V128) {
    unsigned bytes = e->lane_bits / 8;
    for (unsigned i = 0; i < e->lanes; i++)
      for (unsigned k = 0; k < bytes; k++) v->of.v128[i * bytes + k] = (uint8_t)(e->lane[i].bits >> (8 * k));
  } else if (e->type == WASM_I32 || e->type == WASM_F32) {
    v->of.i32 = (uint32_t)e->lane[0].bits;
  } else {
    v->of.i64 = e->lane[0].bits;
  }
}

static bool lane_matches(const expect_lane *l, uint64_t bits, unsigned width, bool fl) {
  if (!fl || l->kind == 0) return bits == l->bits;
  uint64_t exp_mask = width == 32 ? 0x7F800000u : 0x7FF0000000000000ull;
  uint64_t quiet = width == 32 ? 0x00400000u : 0x0008000000000000ull;
  uint64_t abs = bits & (width == 32 ? 0x7FFFFFFFu : 0x7FFFFFFFFFFFFFFFull);
  if (l->kind == 1) return abs == (exp_mask | quiet);
  return (bits & (exp_mask | quiet)) == (exp_mask | quiet);
}

static bool value_matches(const expect *e, const rt_val *v) {
  if (e->ref) {
    if (!wm_valtype_is_ref(v->type)) return false;
    switch (e->ref) {
    case 1: return v->of.ref == NULL;
    case 2: return (uintptr_t)v->of.ref == e->ref_value;
    default: return v->of.ref != NULL;
    }
  }
  if (v->type != e->type) return false;
  if (e->type == WASM_V128) {
    unsigned bytes = e->lane_bits / 8;
    for (unsigned i = 0; i < e->lanes; i++) {
      uint64_t bits = 0;
      for (unsigned k = 0; k < bytes; k++) bits |= (uint64_t)v->of.v128[i * bytes + k] << (8 * k);
      if (!lane_matches(&e->lane[i], bits, e->lane_bits, e->float_lanes)) return false;
    }
    return true;
  }
  uint64_t bits = e->lane_bits == 32 ? v->of.i32 : v->of.i64;
  return lane_matches(&e->lane[0], bits, e->lane_bits, e->float_lanes);
}

static void format_val(const rt_val *v, char *buf, size_t size) {
  char t[32];
  wm_valtype_name(v->type, t, sizeof t);
  if (wm_valtype_is_ref(v->type)) snprintf(buf, size, "(%s %p)", t, v->of.ref);
  else if (v->type == WASM_V128) {
    size_t used = (size_t)snprintf(buf, size, "(v128 i8x16");
    for (int i = 0; i < 16 && used < size; i++) used += (size_t)snprintf(buf + used, size - used, " %u", v->of.v128[i]);
    if (used < size) snprintf(buf + used, size - used, ")");
  } else if (v->type == WASM_I32 || v->type == WASM_F32) snprintf(buf, size, "(%s 0x%08x)", t, v->of.i32);
  else snprintf(buf, size, "(%s 0x%016llx)", t, (unsigned long long)v->of.i64);
}

/* ---- actions -------------------------------------------------------------------------- */

#define MAX_VALUES 64

/* Runs (invoke $id? "name" args...) or (get $id? "name"). On success fills
 * results; on failure fills err (its kind says trap, exhaustion, ...). */
static bool run_action(script *s, const sx_node *act, rt_val *results, uint32_t *nresults, rt_error *err) {
  if (act->kind != SX_LIST || act->nitems < 2) return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "malformed action");
  size_t i = 1;
  wrun_instance *inst = s->current;
  if (act->items[i].kind == SX_ID) {
    inst = find_named(s->ids, s->nids, act->items[i].text, act->items[i].len);
    i++;
  }
  if (!inst) return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "no module instance to act on");
  if (i >= act->nitems || act->items[i].kind != SX_STRING)
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "action needs an export name");
  const sx_node *name = &act->items[i++];
  rt_extern ex;
  if (!rt_instance_export(inst, name->text, name->len, &ex))
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "no export \"%.*s\"", (int)name->len, name->text);
  if (sx_is_atom(&act->items[0], "get")) {
    if (ex.kind != WASM_EXTERN_GLOBAL) return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "export is not a global");
    rt_global_get(ex.of.global, &results[0]);
    *nresults = 1;
    return true;
  }
  if (!sx_is_atom(&act->items[0], "invoke")) return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "unknown action");
  if (ex.kind != WASM_EXTERN_FUNC) return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "export is not a function");
  const wm_functype *ft = rt_func_type(ex.of.func);
  uint32_t nargs = (uint32_t)(act->nitems - i);
  if (nargs != ft->nparams || nargs > MAX_VALUES || ft->nresults > MAX_VALUES)
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "wrong number of arguments");
  rt_val args[MAX_VALUES];
  for (uint32_t k = 0; k < nargs; k++) {
    expect e;
    if (!parse_value(&act->items[i + k], false, &e))
      return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "malformed argument %u", k);
    to_val(&e, &args[k]);
    args[k].type = wm_functype_params(ft)[k];
  }
  *nresults = ft->nresults;
  return rt_call(s->store, ex.of.func, args, nargs, results, ft->nresults, err);
}

static void cmd_module(script *s, const sx_node *cmd) {
  rt_error err;
  rt_error_clear(&err);
  wrun_instance *inst = instantiate(s, cmd, &err);
  if (!inst) {
    char got[400];
    wast_describe_error(&err, got, sizeof got);
    wast_report_failure(s, cmd, "module", "a module that instantiates", got);
    s->current = NULL;
    return;
  }
  s->current = inst;
  const sx_node *id = module_id(cmd);
  if (id && !add_named(&s->ids, &s->nids, &s->cap_ids, id->text, id->len, inst)) {
    wast_report_failure(s, cmd, "module", "memory", "out of memory");
    return;
  }
  s->passed++;
}

static void cmd_register(script *s, const sx_node *cmd) {
  if (cmd->nitems < 2 || cmd->items[1].kind != SX_STRING) {
    wast_report_failure(s, cmd, "register", "(register \"name\" $id?)", "something else");
    return;
  }
  wrun_instance *inst = s->current;
  if (cmd->nitems > 2 && cmd->items[2].kind == SX_ID)
    inst = find_named(s->ids, s->nids, cmd->items[2].text, cmd->items[2].len);
  if (!inst) {
    wast_report_failure(s, cmd, "register", "an instance", "none");
    return;
  }
  if (!add_named(&s->registered, &s->nregistered, &s->cap_registered, cmd->items[1].text, cmd->items[1].len, inst)) {
    wast_report_failure(s, cmd, "register", "memory", "out of memory");
    return;
  }
  s->passed++;
}

static void cmd_action(script *s, const sx_node *cmd) {
  rt_val results[MAX_VALUES];
  uint32_t n = 0;
  rt_error err;
  rt_error_clear(&err);
  if (!run_action(s, cmd, results, &n, &err)) {
    char got[400];
    wast_describe_error(&err, got, sizeof got);
    wast_report_failure(s, cmd, "action", "success", got);
    return;
  }
  s->passed++;
}

static void cmd_assert_return(script *s, const sx_node *cmd) {
  if (cmd->nitems < 2) {
    wast_report_failure(s, cmd, "assert_return", "an action", "nothing");
    return;
  }
  for (size_t i = 2; i < cmd->nitems; i++) {
    const sx_node *r = &cmd->items[i];
    if (r->kind == SX_LIST && r->nitems && sx_is_atom(&r->items[0], "either")) {
      wast_skip(s, cmd, "(either ...) results are a 3.0 script feature");
      return;
    }
  }
  rt_val results[MAX_VALUES];
  uint32_t n = 0;
  rt_error err;
  rt_error_clear(&err);
  if (!run_action(s, &cmd->items[1], results, &n, &err)) {
    char got[400];
    wast_describe_error(&err, got, sizeof got);
    wast_report_failure(s, cmd, "assert_return", "results", got);
    return;
  }
  if (n != cmd->nitems - 2) {
    char exp[64], got[64];
    snprintf(exp, sizeof exp, "%zu results", cmd->nitems - 2);
    snprintf(got, sizeof got, "%u", n);
    wast_report_failure(s, cmd, "assert_return", exp, got);
    return;
  }
  for (uint32_t k = 0; k < n; k++) {
    expect e;
    if (!parse_value(&cmd->items[2 + k], true, &e)) {
      wast_report_failure(s, cmd, "assert_return", "a well-formed expected value", "one wrun cannot parse");
      return;
    }
    if (!value_matches(&e, &results[k])) {
      char got[200], exp[200];
      format_val(&results[k], got, sizeof got);
      rt_val ev;
      to_val(&e, &ev);
      format_val(&ev, exp, sizeof exp);
      if (e.lane[0].kind) snprintf(exp, sizeof exp, "a NaN (%s)", e.lane[0].kind == 1 ? "canonical" : "arithmetic");
      char what[32];
      snprintf(what, sizeof what, "assert_return result %u", k);
      wast_report_failure(s, cmd, what, exp, got);
      return;
    }
  }
  s->passed++;
}

/* assert_trap / assert_exhaustion on an action, or assert_trap /
 * assert_uninstantiable on a module. */
static void cmd_assert_fails(script *s, const sx_node *cmd, rt_error_kind want, const char *name) {
  if (cmd->nitems < 2) {
    wast_report_failure(s, cmd, name, "an action or module", "nothing");
    return;
  }
  const sx_node *what = &cmd->items[1];
  rt_error err;
  rt_error_clear(&err);
  bool ok;
  if (what->kind == SX_LIST && what->nitems && sx_is_atom(&what->items[0], "module")) {
    wrun_instance *inst = instantiate(s, what, &err);
    ok = inst != NULL;
  } else {
    rt_val results[MAX_VALUES];
    uint32_t n;
    ok = run_action(s, what, results, &n, &err);
  }
  char exp[200];
  const char *msg = cmd->nitems > 2 && cmd->items[2].kind == SX_STRING ? cmd->items[2].text : "";
  int msg_len = cmd->nitems > 2 && cmd->items[2].kind == SX_STRING ? (int)cmd->items[2].len : 0;
  snprintf(exp, sizeof exp, "%s \"%.*s\"", rt_error_kind_name(want), msg_len, msg);
  if (ok) {
    wast_report_failure(s, cmd, name, exp, "success");
    return;
  }
  if (err.kind != want) {
    char got[400];
    wast_describe_error(&err, got, sizeof got);
    wast_report_failure(s, cmd, name, exp, got);
    return;
  }
  if (s->opt->verbose && msg_len && strncmp(err.message, msg, (size_t)msg_len) != 0)
    fprintf(s->out, "%s:%u:%u: note: %s message differs: spec says \"%.*s\", wrun says \"%s\"\n", s->path, cmd->line,
            cmd->col, name, msg_len, msg, err.message);
  s->passed++;
}

bool wast_exec_command(script *s, const sx_node *cmd) {
  const sx_node *h = &cmd->items[0];
  if (sx_is_atom(h, "module")) cmd_module(s, cmd);
  else if (sx_is_atom(h, "register")) cmd_register(s, cmd);
  else if (sx_is_atom(h, "invoke") || sx_is_atom(h, "get")) cmd_action(s, cmd);
  else if (sx_is_atom(h, "assert_return")) cmd_assert_return(s, cmd);
  else if (sx_is_atom(h, "assert_trap")) {
    bool on_module = cmd->nitems > 1 && cmd->items[1].kind == SX_LIST && cmd->items[1].nitems &&
                     sx_is_atom(&cmd->items[1].items[0], "module");
    cmd_assert_fails(s, cmd, WRUN_ERR_TRAP, on_module ? "assert_trap (module)" : "assert_trap");
  } else if (sx_is_atom(h, "assert_exhaustion")) cmd_assert_fails(s, cmd, WRUN_ERR_EXHAUSTION, "assert_exhaustion");
  else if (sx_is_atom(h, "assert_unlinkable")) cmd_assert_fails(s, cmd, WRUN_ERR_LINK, "assert_unlinkable");
  else if (sx_is_atom(h, "assert_uninstantiable")) cmd_assert_fails(s, cmd, WRUN_ERR_TRAP, "assert_uninstantiable");
  else return false;
  return true;
}
