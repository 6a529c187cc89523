/*
 * instance.c — instantiation (import matching, globals, tables, memories,
 * segments, start), exports and rt_call.
 *
 * Follows the spec's instantiation order: imports are checked first (a
 * mismatch is a link error and changes nothing), then globals, tables and
 * memories are created, element segments and then data segments are applied
 * in order (a trap stops there, leaving earlier writes in place, as 2.0
 * requires), and finally the start function runs. The steps are rt_*
 * functions (rt.h) because instance templates (template.c) take the same
 * ones, with their instances' definitions owned and their data in an image.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary/opcodes.h"
#include "binary/reader.h"
#include "runtime/rt.h"
#include "runtime/tier.h"

static bool functype_equal(const wm_functype *a, const wm_functype *b) {
  if (a->nparams != b->nparams || a->nresults != b->nresults) return false;
  size_t n = (size_t)a->nparams + a->nresults;
  return n == 0 || memcmp(a->types, b->types, n * sizeof *a->types) == 0;
}

/* Limits subtyping for imports: the actual object's current size and maximum
 * must fit inside what the module expects. */
static bool limits_match(uint64_t cur_min, bool has_max, uint64_t max, const wm_limits *want) {
  if (cur_min < want->min) return false;
  if (want->has_max) return has_max && max <= want->max;
  return true;
}

static bool link_fail(rt_error *err, const wm_import *im, const char *why) {
  return rt_error_at(err, WRUN_ERR_LINK, im->offset, "%s: import \"%s\" \"%s\"", why, im->module.ptr,
                       im->field.ptr);
}

bool rt_link_imports(wrun_instance *inst, const rt_extern *imports, uint32_t n, rt_error *err) {
  const wm_module *m = inst->module;
  if (n != m->nimports)
    return rt_error_at(err, WRUN_ERR_LINK, WRUN_NO_OFFSET, "module needs %u imports, %u given", m->nimports, n);
  for (uint32_t i = 0; i < n; i++) {
    const wm_import *im = &m->imports[i];
    const rt_extern *x = &imports[i];
    if (x->kind != im->kind) return link_fail(err, im, "incompatible import type (wrong kind)");
    switch (im->kind) {
    case WASM_EXTERN_FUNC:
      if (!x->of.func) return link_fail(err, im, "unknown import");
      if (!functype_equal(x->of.func->type, wm_module_func_type(m, im->index)))
        return link_fail(err, im, "incompatible import type (function signature differs)");
      inst->funcs[im->index] = x->of.func;
      break;
    case WASM_EXTERN_TABLE: {
      const rt_table *t = x->of.table;
      const wm_tabletype *want = &m->tables[im->index].type;
      if (!t) return link_fail(err, im, "unknown import");
      if (t->type.elem != want->elem ||
          !limits_match(t->size, t->type.limits.has_max, t->type.limits.max, &want->limits))
        return link_fail(err, im, "incompatible import type (table)");
      inst->tables[im->index] = x->of.table;
      break;
    }
    case WASM_EXTERN_MEMORY: {
      const rt_memory *mem = x->of.memory;
      const wm_memtype *want = &m->mems[im->index].type;
      if (!mem) return link_fail(err, im, "unknown import");
      if (!limits_match(mem->size / 65536, mem->type.limits.has_max, mem->type.limits.max, &want->limits))
        return link_fail(err, im, "incompatible import type (memory)");
      inst->mems[im->index] = x->of.memory;
      break;
    }
    case WASM_EXTERN_GLOBAL: {
      const rt_global *g = x->of.global;
      const wm_globaltype *want = &m->globals[im->index].type;
      if (!g) return link_fail(err, im, "unknown import");
      if (g->type.type != want->type || g->type.mut != want->mut)
        return link_fail(err, im, "incompatible import type (global)");
      inst->globals[im->index] = x->of.global;
      break;
    }
    default:
      return link_fail(err, im, "unsupported import kind");
    }
  }
  return true;
}

/* Evaluates a validated constant expression into two slots. */
static void eval_const(wrun_instance *inst, const wm_constexpr *ce, uint64_t out[2]) {
  const wm_module *m = inst->module;
  rt_error scratch;
  rt_error_clear(&scratch);
  wm_reader r = {m->bytes, ce->code, ce->code + ce->len, &scratch};
  uint8_t op;
  out[0] = out[1] = 0;
  reader_u8(&r, &op);
  switch (op) {
  case 0x41: { int32_t v; reader_s32(&r, &v); out[0] = (uint32_t)v; break; }
  case 0x42: { int64_t v; reader_s64(&r, &v); out[0] = (uint64_t)v; break; }
  case 0x43: { uint32_t v; reader_f32(&r, &v); out[0] = v; break; }
  case 0x44: reader_f64(&r, &out[0]); break;
  case 0xD0: out[0] = 0; break;
  case 0xD2: { uint32_t x; reader_u32(&r, &x); out[0] = (uint64_t)(uintptr_t)inst->funcs[x]; break; }
  case 0x23: {
    uint32_t x;
    reader_u32(&r, &x);
    memcpy(out, inst->globals[x]->val, 16);
    break;
  }
  case 0xFD: { /* v128.const */
    uint32_t sub;
    const uint8_t *p;
    reader_u32(&r, &sub);
    reader_bytes(&r, 16, &p);
    memcpy(out, p, 16);
    break;
  }
  default: break; /* the validator admits nothing else */
  }
}

static bool instantiate_trap(wrun_store *s, rt_error *err, rt_trap_kind kind) {
  rt_set_trap(s, kind, NULL);
  return rt_error_at(err, WRUN_ERR_TRAP, WRUN_NO_OFFSET, "%s", rt_trap_message(kind));
}

bool rt_create_definitions(wrun_store *s, wrun_instance *inst, bool owned, rt_error *err) {
  const wm_module *m = inst->module;
  for (uint32_t i = m->nimported_funcs; i < m->nfuncs; i++)
    if (!(inst->funcs[i] = owned ? rt_func_alloc_wasm(inst, i) : rt_func_new_wasm(s, inst, i)))
      return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
  for (uint32_t i = m->nimported_globals; i < m->nglobals; i++) {
    const wm_globaltype *gt = &m->globals[i].type;
    if (!(inst->globals[i] = owned ? rt_global_alloc(gt) : rt_global_new(s, gt, NULL)))
      return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
  }
  for (uint32_t i = m->nimported_tables; i < m->ntables; i++) {
    const wm_tabletype *tt = &m->tables[i].type;
    if (!(inst->tables[i] = owned ? rt_table_alloc(tt, NULL) : rt_table_new(s, tt, NULL)))
      return rt_error_at(err, WRUN_ERR_LIMIT, WRUN_NO_OFFSET, "cannot create table %u of %llu entries", i,
                           (unsigned long long)tt->limits.min);
  }
  for (uint32_t i = m->nimported_mems; i < m->nmems; i++) {
    const wm_memtype *mt = &m->mems[i].type;
    if (!(inst->mems[i] = owned ? rt_memory_reserve(&s->cfg, mt) : rt_memory_new(s, mt)))
      return rt_error_at(err, WRUN_ERR_LIMIT, WRUN_NO_OFFSET, "cannot reserve memory %u of %llu pages", i,
                           (unsigned long long)mt->limits.min);
  }
  for (uint32_t i = 0; i < m->nelems; i++) {
    uint32_t n = m->elems[i].count;
    if (!(inst->elem_refs[i] = calloc(n ? n : 1, sizeof(void *))))
      return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
  }
  return true;
}

/* Gives the defined globals their initial values and computes the element
 * segments' references; every segment starts undropped (apply_segments drops
 * the active and declarative ones). Runs on fresh and on reused instances. */
bool rt_init_definitions(wrun_instance *inst, rt_error *err) {
  (void)err;
  const wm_module *m = inst->module;
  for (uint32_t i = m->nimported_globals; i < m->nglobals; i++)
    eval_const(inst, &m->globals[i].init, inst->globals[i]->val);
  for (uint32_t i = 0; i < m->nelems; i++) {
    const wm_elem *e = &m->elems[i];
    void **refs = inst->elem_refs[i];
    for (uint32_t k = 0; k < e->count; k++) {
      if (e->func_indices) {
        refs[k] = inst->funcs[e->func_indices[k]];
      } else {
        uint64_t v[2];
        eval_const(inst, &e->inits[k], v);
        refs[k] = (void *)(uintptr_t)v[0];
      }
    }
    inst->elem_len[i] = e->count;
  }
  memset(inst->data_dropped, 0, m->ndatas * sizeof *inst->data_dropped);
  return true;
}

bool rt_apply_segments(wrun_store *s, wrun_instance *inst, bool skip_data, rt_error *err) {
  const wm_module *m = inst->module;
  for (uint32_t i = 0; i < m->nelems; i++) {
    const wm_elem *e = &m->elems[i];
    if (e->mode == WASM_SEG_ACTIVE) {
      uint64_t off[2];
      eval_const(inst, &e->offset, off);
      rt_table *t = inst->tables[e->table];
      uint64_t o = (uint32_t)off[0];
      if (o + e->count > t->size) return instantiate_trap(s, err, WRUN_TRAP_TABLE_OOB);
      if (e->count) memcpy(t->elems + o, inst->elem_refs[i], e->count * sizeof(void *));
    }
    if (e->mode != WASM_SEG_PASSIVE) inst->elem_len[i] = 0; /* active and declarative: dropped */
  }
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const wm_data *d = &m->datas[i];
    if (d->mode != WASM_SEG_ACTIVE) continue;
    if (!skip_data) {
      uint64_t off[2];
      eval_const(inst, &d->offset, off);
      rt_memory *mem = inst->mems[d->memory];
      uint64_t o = (uint32_t)off[0];
      if (o + d->len > mem->size) return instantiate_trap(s, err, WRUN_TRAP_MEMORY_OOB);
      if (d->len) memcpy(mem->base + o, d->bytes, d->len);
    }
    inst->data_dropped[i] = true;
  }
  return true;
}

wrun_instance *rt_instantiate(wrun_store *s, const wm_module *m, const rt_extern *imports, uint32_t nimports,
                                rt_error *err) {
  if (!m->validated) {
    rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "module must be validated before instantiation");
    return NULL;
  }
  s->trap = WRUN_TRAP_NONE;
  wrun_instance *inst = rt_instance_new(s, m);
  if (!inst) {
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  if (!rt_link_imports(inst, imports, nimports, err) || !rt_create_definitions(s, inst, false, err) ||
      !rt_init_definitions(inst, err))
    return NULL;
  if (s->cfg.aot && !rt_tier(RT_TIER_AOT)->attach_instance(s, inst, err)) return NULL;
  if (!rt_apply_segments(s, inst, false, err)) return NULL;
  if (m->start != WASM_NONE_IDX && !rt_call(s, inst->funcs[m->start], NULL, 0, NULL, 0, err)) return NULL;
  return inst;
}

bool rt_instance_export(const wrun_instance *inst, const char *name, size_t len, rt_extern *out) {
  const wm_export *e = wm_module_find_export(inst->module, name, len);
  if (!e) return false;
  out->kind = e->kind;
  switch (e->kind) {
  case WASM_EXTERN_FUNC: out->of.func = inst->funcs[e->index]; break;
  case WASM_EXTERN_TABLE: out->of.table = inst->tables[e->index]; break;
  case WASM_EXTERN_MEMORY: out->of.memory = inst->mems[e->index]; break;
  case WASM_EXTERN_GLOBAL: out->of.global = inst->globals[e->index]; break;
  default: return false;
  }
  return true;
}

const wm_module *rt_instance_module(const wrun_instance *inst) { return inst->module; }

/* ---- calls from the embedder --------------------------------------------------- */

static void val_to_slots(const rt_val *v, wm_valtype t, uint64_t *slots) {
  if (t == WASM_V128) memcpy(slots, v->of.v128, 16);
  else if (wm_valtype_is_ref(t)) slots[0] = (uint64_t)(uintptr_t)v->of.ref;
  else if (t == WASM_I32 || t == WASM_F32) slots[0] = v->of.i32;
  else slots[0] = v->of.i64;
}

static void slots_to_val(const uint64_t *slots, wm_valtype t, rt_val *v) {
  memset(v, 0, sizeof *v);
  v->type = t;
  if (t == WASM_V128) memcpy(v->of.v128, slots, 16);
  else if (wm_valtype_is_ref(t)) v->of.ref = (void *)(uintptr_t)slots[0];
  else if (t == WASM_I32 || t == WASM_F32) v->of.i32 = (uint32_t)slots[0];
  else v->of.i64 = slots[0];
}

bool rt_call_slots(wrun_store *s, wrun_func *f, uint64_t *io) {
  uint64_t *sp = rt_call_slots_begin(s, f);
  if (!sp) return false;
  /* plain loops: a memcpy of a variable size is a library call, as long as the call itself */
  for (uint32_t i = 0; i < f->param_slots; i++) sp[i] = io[i];
  bool ok = rt_call_slots_run(s, f, sp);
  if (ok)
    for (uint32_t i = 0; i < f->result_slots; i++) io[i] = sp[i];
  return ok;
}

const char *rt_store_trap_message(const wrun_store *s) { return s->trap_msg; }

bool rt_call(wrun_store *s, wrun_func *f, const rt_val *args, uint32_t nargs, rt_val *results,
               uint32_t nresults, rt_error *err) {
  const wm_functype *ft = f->type;
  if (nargs != ft->nparams || (results && nresults < ft->nresults))
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "function takes %u arguments and returns %u results",
                         ft->nparams, ft->nresults);
  uint64_t *sp = s->stack_top;
  uint32_t need = f->param_slots > f->result_slots ? f->param_slots : f->result_slots;
  if (sp + need + 2 > s->stack + s->stack_slots) {
    rt_set_trap(s, WRUN_TRAP_STACK_EXHAUSTED, NULL);
    return rt_error_at(err, WRUN_ERR_EXHAUSTION, WRUN_NO_OFFSET, "call stack exhausted");
  }
  uint32_t k = 0;
  for (uint32_t i = 0; i < nargs; i++) {
    val_to_slots(&args[i], wm_functype_params(ft)[i], sp + k);
    k += rt_slots(wm_functype_params(ft)[i]);
  }
  s->trap = WRUN_TRAP_NONE;
  s->ntrace = 0;
  uint32_t saved_frames = s->nframes;
  bool ok = rt_invoke(s, f, sp);
  s->nframes = saved_frames;
  s->stack_top = sp;
  if (!ok) {
    rt_error_kind kind = s->trap == WRUN_TRAP_STACK_EXHAUSTED ? WRUN_ERR_EXHAUSTION : WRUN_ERR_TRAP;
    return rt_error_at(err, kind, WRUN_NO_OFFSET, "%s", s->trap_msg);
  }
  k = 0;
  for (uint32_t i = 0; results && i < ft->nresults; i++) {
    slots_to_val(sp + k, wm_functype_results(ft)[i], &results[i]);
    k += rt_slots(wm_functype_results(ft)[i]);
  }
  return true;
}
