/*
 * embed_bench.c — the per-call overheads of the embedding API against a
 * direct C call (docs/embedding.md records the numbers):
 *   host -> wasm  wasm_func_call of add(i32, i32) -> i32, per call
 *   wasm -> host  a wasm loop calling an imported host function
 *                 add(i32, i32) -> i32 (wasm_func_new callback), per call,
 *                 minus the same loop calling a wasm function instead
 *   C             the same add through a function pointer the compiler
 *                 cannot inline
 * for the interpreter and the AOT tier.
 *   bench_embed [CALLS [interp|aot]]   (default 5,000,000 calls, both tiers;
 *                                       one tier alone for profiling it)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "text/text.h"
#include "wrun.h"

static const char *module_wat =
    "(module"
    "  (import \"host\" \"add\" (func $hadd (param i32 i32) (result i32)))"
    "  (func $add (export \"add\") (param i32 i32) (result i32) (i32.add (local.get 0) (local.get 1)))"
    "  (func (export \"call_host\") (param $n i32) (result i32) (local $acc i32)"
    "    (loop $l (local.set $acc (call $hadd (local.get $acc) (local.get $n)))"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))"
    "    (local.get $acc))"
    "  (func (export \"call_wasm\") (param $n i32) (result i32) (local $acc i32)"
    "    (loop $l (local.set $acc (call $add (local.get $acc) (local.get $n)))"
    "      (br_if $l (local.tee $n (i32.sub (local.get $n) (i32.const 1)))))"
    "    (local.get $acc)))";

static double now_ns(void) {
  struct timespec t;
  clock_gettime(CLOCK_THREAD_CPUTIME_ID, &t); /* CPU time: the machine may be shared */
  return (double)t.tv_sec * 1e9 + (double)t.tv_nsec;
}

static int32_t c_add(int32_t a, int32_t b) { return a + b; }
static int32_t (*volatile c_add_ptr)(int32_t, int32_t) = c_add;

static wasm_trap_t *host_add(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 + args->data[1].of.i32;
  return NULL;
}

/* Calls export `name`(n) once; returns its i32 result. */
static int32_t call1(wasm_instance_t *inst, const char *name, int32_t n) {
  wasm_extern_t *ex = wrun_instance_export(inst, name);
  wasm_val_t a[1] = {WASM_I32_VAL(n)}, r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(a), res = WASM_ARRAY_VEC(r);
  wasm_trap_t *t = wasm_func_call(wasm_extern_as_func(ex), &args, &res);
  if (t) {
    fprintf(stderr, "bench_embed: %s trapped\n", name);
    exit(1);
  }
  wasm_extern_delete(ex);
  return r[0].of.i32;
}

static void bench_tier(const uint8_t *bin, size_t len, wrun_tier_t tier, long calls) {
  wasm_config_t *cfg = wasm_config_new();
  wrun_config_set_tier(cfg, tier);
  wasm_engine_t *engine = wasm_engine_new_with_config(cfg);
  wasm_store_t *store = wasm_store_new(engine);
  wrun_error_t *err = NULL;
  wasm_module_t *module = wrun_module_new(engine, bin, len, &err);
  wasm_functype_t *ft = wasm_functype_new_2_1(wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t *hadd = wasm_func_new(store, ft, host_add);
  wasm_functype_delete(ft);
  wasm_extern_t *imps[] = {wasm_func_as_extern(hadd)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(imps);
  wasm_instance_t *inst = module ? wrun_instance_new(store, module, &imports, &err) : NULL;
  if (!inst) {
    fprintf(stderr, "bench_embed: %s\n", err ? wrun_error_message(err) : "no store");
    exit(1);
  }
  const char *tname = tier == WRUN_TIER_AOT ? "aot" : "interp";

  /* host -> wasm */
  wasm_extern_t *add = wrun_instance_export(inst, "add");
  const wasm_func_t *f = wasm_extern_as_func(add);
  wasm_val_t a[2] = {WASM_I32_VAL(0), WASM_I32_VAL(1)}, r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(a), res = WASM_ARRAY_VEC(r);
  double t0 = now_ns();
  for (long i = 0; i < calls; i++) {
    a[0].of.i32 = (int32_t)i;
    wasm_trap_t *t = wasm_func_call(f, &args, &res);
    if (t || r[0].of.i32 != (int32_t)i + 1) {
      fprintf(stderr, "bench_embed: wrong result\n");
      exit(1);
    }
  }
  double host_to_wasm = (now_ns() - t0) / (double)calls;
  wasm_extern_delete(add);

  /* wasm -> host, and the same loop calling wasm */
  int32_t n = (int32_t)(calls > 0x7fffffff ? 0x7fffffff : calls);
  t0 = now_ns();
  int32_t via_host = call1(inst, "call_host", n);
  double loop_host = (now_ns() - t0) / (double)n;
  t0 = now_ns();
  int32_t via_wasm = call1(inst, "call_wasm", n);
  double loop_wasm = (now_ns() - t0) / (double)n;
  if (via_host != via_wasm) {
    fprintf(stderr, "bench_embed: host and wasm loops disagree\n");
    exit(1);
  }
  printf("%-6s host->wasm %6.1f ns/call   wasm->host %6.1f ns/call (loop %5.1f, same loop calling wasm %4.1f)\n",
         tname, host_to_wasm, loop_host - loop_wasm, loop_host, loop_wasm);

  wasm_instance_delete(inst);
  wasm_func_delete(hadd);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
}

int main(int argc, char **argv) {
  long calls = argc > 1 ? atol(argv[1]) : 5000000;
  if (calls < 1) calls = 1;
  const char *only = argc > 2 ? argv[2] : "";
  if (*only && strcmp(only, "interp") && strcmp(only, "aot")) {
    fprintf(stderr, "bench_embed: unknown tier '%s' (interp or aot)\n", only);
    return 1;
  }
  uint8_t *bin;
  size_t len;
  rt_error e;
  rt_error_clear(&e);
  if (!wat_parse_to_binary(module_wat, strlen(module_wat), &bin, &len, &e)) {
    fprintf(stderr, "bench_embed: %s\n", e.message);
    return 1;
  }
  int32_t acc = 0;
  double t0 = now_ns();
  for (long i = 0; i < calls; i++) acc = c_add_ptr(acc, (int32_t)i);
  double c_call = (now_ns() - t0) / (double)calls;
  printf("C      direct call through a pointer %.1f ns/call (checksum %d)\n", c_call, acc);
  if (strcmp(only, "aot")) bench_tier(bin, len, WRUN_TIER_INTERP, calls);
  if (strcmp(only, "interp")) bench_tier(bin, len, WRUN_TIER_AOT, calls);
  free(bin);
  return 0;
}
