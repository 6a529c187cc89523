/*
 * fuzz_tiers.c — differential libFuzzer target: every valid module without
 * imports made from the fuzzed bytes is instantiated twice, once for the
 * interpreter and once for the AOT tier, and every exported function is
 * called in both with the same arguments. Results and trap kinds must agree.
 * A third instance runs tiered (rt_config.tiered) with a switch forced after
 * a threshold of 1 to 256 instructions taken from the input (the compile is
 * waited for there, tier_sync), so calls move to compiled code at function
 * entries and loop heads (OSR) at varying points mid-run; for half the inputs
 * (tier_osr_only) a polling frame moves only at a loop head. It must agree too.
 * The comparison with compiled code is done twice: with the one-pass compiler and with the optimizing
 * pipeline (docs/aot-ir.md), each against a fresh
 * interpreter instance, and so is the tiered run: its compile (and the OSR
 * entries) by the one-pass compiler, then by the optimizing pipeline.
 *
 * On a host this build has no code generator for (AArch64 until its backend
 * lands) the only tier is the interpreter: each input is then run in two
 * fresh interpreter instances, which must agree (tests/fuzz/replay.c runs
 * the seeds that way under qemu-aarch64), and the tiered run is left out.
 *
 * What may legitimately differ is left out: NaN payloads (the spec lets them
 * vary), and everything after a call stack exhaustion (the tiers exhaust at
 * different depths) or after the interpreter ran out of fuel (the only
 * bound on endless loops; compiled code has no fuel, so such a call is not
 * repeated there).
 */
#include <math.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot/aot.h"
#include "aot/lower.h"
#include "binary/module.h"
#include "engine/tierup.h"
#include "runtime/runtime.h"
#include "valid/valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static bool nan32(uint32_t b) { return (b & 0x7F800000u) == 0x7F800000u && (b & 0x7FFFFFu); }
static bool nan64(uint64_t b) {
  return (b & UINT64_C(0x7FF0000000000000)) == UINT64_C(0x7FF0000000000000) && (b & UINT64_C(0xFFFFFFFFFFFFF));
}

static bool same_half(const uint8_t *a, const uint8_t *b) { /* 8 bytes of a v128 */
  uint64_t x, y;
  memcpy(&x, a, 8);
  memcpy(&y, b, 8);
  if (x == y || (nan64(x) && nan64(y))) return true;
  for (int k = 0; k < 2; k++) {
    uint32_t p = (uint32_t)(x >> (32 * k)), q = (uint32_t)(y >> (32 * k));
    if (p != q && !(nan32(p) && nan32(q))) return false;
  }
  return true;
}

static bool same(const rt_val *a, const rt_val *b) {
  switch (a->type) {
  case WASM_I32: return a->of.i32 == b->of.i32;
  case WASM_I64: return a->of.i64 == b->of.i64;
  case WASM_F32: return a->of.f32 == b->of.f32 || (nan32(a->of.f32) && nan32(b->of.f32));
  case WASM_F64: return a->of.f64 == b->of.f64 || (nan64(a->of.f64) && nan64(b->of.f64));
  case WASM_V128: return same_half(a->of.v128, b->of.v128) && same_half(a->of.v128 + 8, b->of.v128 + 8);
  default: return (a->of.ref == NULL) == (b->of.ref == NULL); /* different stores: only nullness compares */
  }
}

static void arg_for(wm_valtype t, rt_val *v) {
  memset(v, 0, sizeof *v);
  v->type = t;
  switch (t) {
  case WASM_I32: v->of.i32 = 7; break;
  case WASM_I64: v->of.i64 = (uint64_t)-3; break;
  case WASM_F32: v->of.f32 = 0x3FC00000u; break;                 /* 1.5 */
  case WASM_F64: v->of.f64 = UINT64_C(0xC002000000000000); break; /* -2.25 */
  default: break;                                                /* v128 zero, null refs */
  }
}

/* Compares the interpreter with compiled code of one mode; false when the
 * module is not one this target runs. */
static bool compare(const uint8_t *data, size_t size, bool optimize) {
  rt_error err;
  rt_error_clear(&err);
  wm_module *m = wm_module_decode(data, size, &err); /* a fresh module: its compiled code is cached on it */
  if (!m || !wm_module_validate(m, &err) || m->nimports) {
    wm_module_free(m);
    return false;
  }
  rt_config ci = {0}, ca = {0}, ct = {0};
  ci.fuel = 100000;
  ci.max_memory_bytes = ca.max_memory_bytes = ct.max_memory_bytes = 16u << 20;
  ca.aot = true;
  ca.aot_optimize = optimize;
  bool aot = aot_target_host() != NULL;
  if (!aot) ca = ci; /* no code generator for this host: a second interpreter */
  ct.tiered = ct.tier_sync = true;
  uint32_t h = 2166136261u; /* FNV-1a of the input: the switch point */
  for (size_t i = 0; i < size; i++) h = (h ^ data[i]) * 16777619u;
  ct.tier_threshold = 1 + (h >> 1) % 256;
  ct.tier_osr_only = h & 1; /* half the inputs: frames move only at loop heads */
  ct.tier_one_pass = !optimize;
  wrun_store *si = engine_store_new(&ci), *sa = engine_store_new(&ca);
  wrun_store *st = aot ? engine_store_new(&ct) : NULL; /* tiered: once per compiler */
  wrun_instance *ii = si ? rt_instantiate(si, m, NULL, 0, &err) : NULL;
  rt_trap_kind ki = si ? rt_store_trap_kind(si) : WRUN_TRAP_NONE;
  bool go = ii && sa;
  wrun_instance *ia = NULL;
  if (!ii && ki != WRUN_TRAP_FUEL && ki != WRUN_TRAP_STACK_EXHAUSTED && sa) {
    /* instantiation failed in the interpreter (a trap in start, segments out of
     * bounds...): it must fail the same way for compiled code */
    ia = rt_instantiate(sa, m, NULL, 0, &err);
    if (ia || rt_store_trap_kind(sa) != ki) {
      fprintf(stderr, "instantiation: interpreter failed (trap %d), aot%s %s (trap %d)\n", (int)ki, optimize ? "-opt" : "",
              ia ? "succeeded" : "failed", (int)rt_store_trap_kind(sa));
      abort();
    }
  }
  if (go) ia = rt_instantiate(sa, m, NULL, 0, &err);
  /* its own copy of the module: the image compiled for `sa` is cached on m and
   * has no OSR entries (only a tiered compile makes them) */
  wm_module *mt = go && ia && st ? wm_module_decode(data, size, &err) : NULL;
  if (mt && !wm_module_validate(mt, &err)) {
    fprintf(stderr, "the module validated once and not twice\n");
    abort();
  }
  wrun_instance *it = mt ? rt_instantiate(st, mt, NULL, 0, &err) : NULL;
  if (mt && !it && rt_store_trap_kind(st) != WRUN_TRAP_STACK_EXHAUSTED) {
    fprintf(stderr, "instantiation: interpreter succeeded, tiered failed: %s\n", err.message);
    abort();
  }
  if (go && !ia) {
    /* compiled code may exhaust the stack in start where the interpreter did
     * not; and a target without a one-pass compiler (AArch64) refuses, in one
     * line, a module with a function its code generator does not lower yet:
     * there is then no compiled code to compare (x86-64 must never refuse) */
    const aot_target *host = aot_target_host();
    bool refused = aot && host && !host->begin && err.kind == WRUN_ERR_LIMIT &&
                   strstr(err.message, "not supported by the") != NULL;
    if (!refused && rt_store_trap_kind(sa) != WRUN_TRAP_STACK_EXHAUSTED) {
      fprintf(stderr, "instantiation: interpreter succeeded, aot%s failed: %s\n", optimize ? "-opt" : "", err.message);
      abort();
    }
    go = false;
  }
  for (uint32_t e = 0; go && e < m->nexports; e++) {
    if (m->exports[e].kind != WASM_EXTERN_FUNC) continue;
    rt_extern fi, fa;
    rt_instance_export(ii, m->exports[e].name.ptr, m->exports[e].name.len, &fi);
    rt_instance_export(ia, m->exports[e].name.ptr, m->exports[e].name.len, &fa);
    const wm_functype *ft = rt_func_type(fi.of.func);
    rt_val args[16], ri[16], ra[16];
    if (ft->nparams > 16 || ft->nresults > 16) continue;
    for (uint32_t k = 0; k < ft->nparams; k++) arg_for(wm_functype_params(ft)[k], &args[k]);
    bool oki = rt_call(si, fi.of.func, args, ft->nparams, ri, ft->nresults, &err);
    rt_trap_kind ti = oki ? WRUN_TRAP_NONE : rt_store_trap_kind(si);
    if (ti == WRUN_TRAP_FUEL || ti == WRUN_TRAP_STACK_EXHAUSTED || ti == WRUN_TRAP_HOST) break;
    bool oka = rt_call(sa, fa.of.func, args, ft->nparams, ra, ft->nresults, &err);
    rt_trap_kind ta = oka ? WRUN_TRAP_NONE : rt_store_trap_kind(sa);
    if (ta == WRUN_TRAP_STACK_EXHAUSTED) break;
    if (ti != ta) {
      fprintf(stderr, "export %s: interpreter trap %d, aot%s trap %d\n", m->exports[e].name.ptr, (int)ti, optimize ? "-opt" : "", (int)ta);
      abort();
    }
    if (it) { /* tiered: switched to compiled code somewhere in this call or an earlier one */
      rt_extern ft2;
      rt_instance_export(it, m->exports[e].name.ptr, m->exports[e].name.len, &ft2);
      rt_val rt2[16];
      bool okt = rt_call(st, ft2.of.func, args, ft->nparams, rt2, ft->nresults, &err);
      rt_trap_kind tt = okt ? WRUN_TRAP_NONE : rt_store_trap_kind(st);
      if (tt == WRUN_TRAP_STACK_EXHAUSTED) {
        it = NULL;
      } else if (tt != ti) {
        fprintf(stderr, "export %s: interpreter trap %d, tiered trap %d\n", m->exports[e].name.ptr, (int)ti, (int)tt);
        abort();
      }
      for (uint32_t k = 0; it && oki && k < ft->nresults; k++)
        if (!same(&ri[k], &rt2[k])) {
          fprintf(stderr, "export %s: result %u differs (interpreter %llx, tiered %llx)\n", m->exports[e].name.ptr,
                  k, (unsigned long long)ri[k].of.i64, (unsigned long long)rt2[k].of.i64);
          abort();
        }
    }
    for (uint32_t k = 0; oki && k < ft->nresults; k++)
      if (!same(&ri[k], &ra[k])) {
        fprintf(stderr, "export %s: result %u differs (interpreter %llx, aot%s %llx)\n", m->exports[e].name.ptr, k,
                (unsigned long long)ri[k].of.i64, optimize ? "-opt" : "", (unsigned long long)ra[k].of.i64);
        abort();
      }
  }
  static uint64_t inputs, switched, entries, osr; /* WRUN_FUZZ_TIER_STATS=1: how often switches happen */
  rt_tier_stats ts;
  if (st && engine_tier_stats(st, &ts)) {
    switched += ts.instances != 0;
    entries += ts.entry_switches;
    osr += ts.osr_entries;
  }
  inputs++;
  if ((inputs & (inputs - 1)) == 0 && getenv("WRUN_FUZZ_TIER_STATS"))
    fprintf(stderr, "fuzz_tiers: %llu inputs, %llu switched, %llu calls moved at entry, %llu OSR entries\n",
            (unsigned long long)inputs, (unsigned long long)switched, (unsigned long long)entries,
            (unsigned long long)osr);
  rt_store_free(si);
  rt_store_free(sa);
  rt_store_free(st);
  wm_module_free(mt);
  wm_module_free(m);
  return true;
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (compare(data, size, false) && aot_target_host()) compare(data, size, true);
  return 0;
}
