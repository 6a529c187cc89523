/*
 * trap_offsets.c — the positions in a trap's trace (wasm_frame_func_offset,
 * wasm_frame_module_offset) against a module whose instruction offsets are
 * known: the bytes below are wat2wasm's output for
 *
 *   (module
 *     (import "h" "fail" (func $fail))                                  ;; func 0
 *     (func $inner (param i32) (result i32)                             ;; func 1
 *       (i32.div_u (i32.const 100) (local.get 0)))
 *     (func $middle (param i32) (result i32) (local i64)                ;; func 2
 *       (nop) (call $inner (local.get 0)))
 *     (func (export "outer") (param i32) (result i32)                   ;; func 3
 *       (call $middle (local.get 0)))
 *     (func (export "host") (nop) (call $fail) (nop)))                  ;; func 4
 *
 * and `wasm-objdump -d` places the first instructions of funcs 1-4 at 0x3d,
 * 0x48, 0x50 and 0x57, the i32.div_u at 0x42, the calls at 0x4b, 0x52 and
 * 0x58. The interpreter reports those exactly (func_offset counted from the
 * first instruction, docs/embedding.md). Compiled code must report what the
 * interpreter reported, frame for frame (the AOT's code maps, docs/aot.md):
 * from the one-pass compiler, from the optimizing pipeline (which inlines
 * $inner, a leaf that may trap, into $middle: its frame must still be
 * there), and from a serialized artifact of each, loaded back.
 *
 *   capi_trap_offsets
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "wrun.h"

static const uint8_t module_bytes[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x09, 0x02, 0x60, 0x00, 0x00, 0x60, 0x01, 0x7f, 0x01, 0x7f,
    0x02, 0x0a, 0x01, 0x01, 0x68, 0x04, 0x66, 0x61, 0x69, 0x6c, 0x00, 0x00, 0x03, 0x05, 0x04, 0x01, 0x01, 0x01, 0x00,
    0x07, 0x10, 0x02, 0x05, 0x6f, 0x75, 0x74, 0x65, 0x72, 0x00, 0x03, 0x04, 0x68, 0x6f, 0x73, 0x74, 0x00, 0x04, 0x0a,
    0x22, 0x04, 0x08, 0x00, 0x41, 0xe4, 0x00, 0x20, 0x00, 0x6e, 0x0b, 0x09, 0x01, 0x01, 0x7e, 0x01, 0x20, 0x00, 0x10,
    0x01, 0x0b, 0x06, 0x00, 0x20, 0x00, 0x10, 0x02, 0x0b, 0x06, 0x00, 0x01, 0x10, 0x00, 0x01, 0x0b};

/* A host function's trap below three compiled frames (which compiled code
 * fills in after the call, aot_trace_after_call), compared with the
 * interpreter's trace only (wat2wasm of):
 *
 *   (module
 *     (import "h" "fail" (func $fail))
 *     (func $leaf (nop) (call $fail))
 *     (func $mid (call $leaf) (nop))
 *     (func (export "chain") (nop) (nop) (call $mid)))
 */
static const uint8_t chain_bytes[] = {
    0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x02, 0x0a, 0x01, 0x01,
    0x68, 0x04, 0x66, 0x61, 0x69, 0x6c, 0x00, 0x00, 0x03, 0x04, 0x03, 0x00, 0x00, 0x00, 0x07, 0x09, 0x01, 0x05,
    0x63, 0x68, 0x61, 0x69, 0x6e, 0x00, 0x03, 0x0a, 0x14, 0x03, 0x05, 0x00, 0x01, 0x10, 0x00, 0x0b, 0x05, 0x00,
    0x10, 0x01, 0x01, 0x0b, 0x06, 0x00, 0x01, 0x01, 0x10, 0x02, 0x0b};

/* One expected frame: function index, its first instruction, the position. */
typedef struct want {
  uint32_t func;
  size_t body, at;
} want;

static int failures;

/* The interpreter's frames (function, module offset) per export, which
 * every compiled run must reproduce. */
typedef struct seen_trace {
  size_t n;
  uint32_t func[8];
  size_t at[8];
} seen_trace;
static seen_trace interp_seen[3];

static wasm_trap_t *fail_cb(void *store, const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args;
  (void)results;
  wasm_message_t msg;
  wasm_name_new_from_string_nt(&msg, "host says no");
  wasm_trap_t *t = wasm_trap_new(store, &msg);
  wasm_byte_vec_delete(&msg);
  return t;
}

/* Calls `name` (with i32 0 if it takes one) and checks its trap's frames. */
static void check_trace(wasm_instance_t *inst, const char *name, int nargs, const want *w, size_t nw,
                        seen_trace *seen, bool record, const char *tier) {
  wasm_extern_t *ex = wrun_instance_export(inst, name);
  wasm_val_t a[1] = {WASM_I32_VAL(0)}, r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = {(size_t)nargs, a}, res = {(size_t)nargs, r};
  wasm_trap_t *trap = ex ? wasm_func_call(wasm_extern_as_func(ex), &args, &res) : NULL;
  wasm_frame_vec_t trace = WASM_EMPTY_VEC;
  if (trap) wasm_trap_trace(trap, &trace);
  if (!trap || trace.size != nw) {
    fprintf(stderr, "%s %s: %s, %zu frames, expected %zu\n", tier, name, trap ? "trapped" : "no trap", trace.size, nw);
    failures++;
  }
  if (!record && seen->n != trace.size) {
    fprintf(stderr, "%s %s: %zu frames, the interpreter had %zu\n", tier, name, trace.size, seen->n);
    failures++;
  }
  for (size_t i = 0; i < trace.size && i < nw && i < 8; i++) {
    const wasm_frame_t *f = trace.data[i];
    size_t at = w[i].at;
    size_t fo = wasm_frame_func_offset(f), mo = wasm_frame_module_offset(f);
    if (record) {
      seen->func[i] = wasm_frame_func_index(f);
      seen->at[i] = mo;
      seen->n = i + 1;
    } else if (i < seen->n && (seen->func[i] != wasm_frame_func_index(f) || seen->at[i] != mo)) {
      fprintf(stderr, "%s %s: frame %zu: func %u at 0x%zx, the interpreter's: func %u at 0x%zx\n", tier, name, i,
              wasm_frame_func_index(f), mo, seen->func[i], seen->at[i]);
      failures++;
    }
    if (wasm_frame_func_index(f) != w[i].func || mo != at || fo != at - w[i].body) {
      fprintf(stderr, "%s %s: frame %zu: func %u at 0x%zx (+0x%zx), expected func %u at 0x%zx (+0x%zx)\n", tier, name,
              i, wasm_frame_func_index(f), mo, fo, w[i].func, at, at - w[i].body);
      failures++;
    }
  }
  if (trap && nw) { /* the origin is the first frame */
    wasm_frame_t *o = wasm_trap_origin(trap);
    if (!o || wasm_frame_module_offset(o) != w[0].at) {
      fprintf(stderr, "%s %s: origin differs from the first frame\n", tier, name);
      failures++;
    }
    wasm_frame_delete(o);
  }
  wasm_frame_vec_delete(&trace);
  wasm_trap_delete(trap);
  wasm_extern_delete(ex);
}

/* Calls chain_bytes' export in an instance of it (the same engine, store and
 * host function) and compares its frames with the interpreter's (recorded
 * when `record`): three frames. */
static void check_chain(wasm_engine_t *engine, wasm_store_t *store, wasm_func_t *fail, bool artifact, bool record,
                        const char *tier) {
  wrun_error_t *err = NULL;
  wasm_module_t *module = wrun_module_new(engine, chain_bytes, sizeof chain_bytes, &err);
  if (module && artifact) {
    wasm_byte_vec_t bin = WASM_EMPTY_VEC;
    wasm_module_serialize(module, &bin);
    wasm_module_delete(module);
    module = bin.size ? wasm_module_deserialize(store, &bin) : NULL;
    wasm_byte_vec_delete(&bin);
  }
  wasm_extern_t *imps[] = {wasm_func_as_extern(fail)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(imps);
  wasm_instance_t *inst = module ? wrun_instance_new(store, module, &imports, &err) : NULL;
  wasm_extern_t *ex = inst ? wrun_instance_export(inst, "chain") : NULL;
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  wasm_trap_t *trap = ex ? wasm_func_call(wasm_extern_as_func(ex), &none, &none) : NULL;
  wasm_frame_vec_t trace = WASM_EMPTY_VEC;
  if (trap) wasm_trap_trace(trap, &trace);
  seen_trace *seen = &interp_seen[2];
  if (!trap || trace.size != 3 || (!record && trace.size != seen->n)) {
    fprintf(stderr, "%s chain: %s, %zu frames\n", tier, trap ? "trapped" : "no trap", trace.size);
    failures++;
  }
  for (size_t i = 0; i < trace.size && i < 8; i++) {
    const wasm_frame_t *f = trace.data[i];
    uint32_t fi = wasm_frame_func_index(f);
    size_t mo = wasm_frame_module_offset(f);
    if (record) {
      seen->func[i] = fi;
      seen->at[i] = mo;
      seen->n = i + 1;
      /* $leaf, $mid, chain; the calls of $leaf and chain come after nops */
      if (fi != 1 + i || (i != 1 && wasm_frame_func_offset(f) == 0)) {
        fprintf(stderr, "%s chain: frame %zu: func %u at +0x%zx\n", tier, i, fi, wasm_frame_func_offset(f));
        failures++;
      }
    } else if (i >= seen->n || seen->func[i] != fi || seen->at[i] != mo) {
      fprintf(stderr, "%s chain: frame %zu: func %u at 0x%zx, not the interpreter's\n", tier, i, fi, mo);
      failures++;
    }
  }
  wasm_frame_vec_delete(&trace);
  wasm_trap_delete(trap);
  wasm_extern_delete(ex);
  wasm_instance_delete(inst);
  wasm_module_delete(module);
  wrun_error_delete(err);
}

/* Runs both exports in one configuration: the interpreter (which records
 * its frames), compiled code, optimized (WRUN_AOT_OPT), or either loaded
 * back from a serialized artifact. */
static void run_tier(wrun_tier_t tier, bool opt, bool artifact) {
  char tname[48];
  snprintf(tname, sizeof tname, "%s%s%s", tier == WRUN_TIER_AOT ? "aot" : "interpreter", opt ? " --opt" : "",
           artifact ? " (artifact)" : "");
  if (opt) setenv("WRUN_AOT_OPT", "1", 1);
  else unsetenv("WRUN_AOT_OPT");
  wasm_config_t *cfg = wasm_config_new();
  wrun_config_set_tier(cfg, tier);
  wasm_engine_t *engine = wasm_engine_new_with_config(cfg);
  wasm_store_t *store = wasm_store_new(engine);
  wrun_error_t *err = NULL;
  wasm_module_t *module = wrun_module_new(engine, module_bytes, sizeof module_bytes, &err);
  if (module && artifact) { /* through the bytes of a compiled artifact */
    wasm_byte_vec_t bin = WASM_EMPTY_VEC;
    wasm_module_serialize(module, &bin);
    wasm_module_delete(module);
    module = bin.size ? wasm_module_deserialize(store, &bin) : NULL;
    wasm_byte_vec_delete(&bin);
  }
  wasm_functype_t *ft = wasm_functype_new_0_0();
  wasm_func_t *fail = wasm_func_new_with_env(store, ft, fail_cb, store, NULL);
  wasm_functype_delete(ft);
  wasm_extern_t *imps[] = {wasm_func_as_extern(fail)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(imps);
  wasm_instance_t *inst = module ? wrun_instance_new(store, module, &imports, &err) : NULL;
  if (!inst) {
    fprintf(stderr, "%s: %s\n", tname, err ? wrun_error_message(err) : "no instance");
    failures++;
  } else {
    bool record = tier == WRUN_TIER_INTERP;
    const want divide[] = {{1, 0x3d, 0x42}, {2, 0x48, 0x4b}, {3, 0x50, 0x52}};
    check_trace(inst, "outer", 1, divide, 3, &interp_seen[0], record, tname);
    const want host[] = {{4, 0x57, 0x58}};
    check_trace(inst, "host", 0, host, 1, &interp_seen[1], record, tname);
    check_chain(engine, store, fail, artifact, record, tname);
  }
  wrun_error_delete(err);
  wasm_instance_delete(inst);
  wasm_func_delete(fail);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

int main(void) {
  run_tier(WRUN_TIER_INTERP, false, false);
  for (int opt = 0; opt < 2; opt++)
    for (int artifact = 0; artifact < 2; artifact++) run_tier(WRUN_TIER_AOT, opt, artifact);
  if (failures) {
    fprintf(stderr, "capi_trap_offsets: %d failures\n", failures);
    return 1;
  }
  printf("ok: trap frame offsets (interpreter exact; compiled, optimized and from artifacts the same)\n");
  return 0;
}
