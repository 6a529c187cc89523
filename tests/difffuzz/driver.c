/*
 * driver.c — wrun's side of the differential fuzzer (tests/difffuzz/run.py).
 *
 *   difffuzz_driver [--aot] MODULE.wasm
 *
 * Instantiates MODULE in one tier, with binaryen's `fuzzing-support` log
 * imports provided as host functions that print what they receive, then
 * calls every exported function once, in export order, with fixed arguments
 * chosen by parameter type. It prints one line per event, in the format
 * tests/difffuzz/oracle.js prints for V8, so the two outputs compare line by
 * line (docs/testing.md describes the format and what is normalised):
 *
 *   instantiate ok | instantiate trap KIND | reject MESSAGE
 *   call NAME          then, for that call:
 *   log TYPE VALUE     one per log-* import call
 *   result VALUE...    or `trap KIND`, or `exhausted` (stack or fuel: the
 *                      comparison stops there), or `skip` (a v128 in the
 *                      signature: JS cannot pass or receive one)
 *   mem PAGES HASH     FNV-1a of the exported memory after the call
 *
 * Values: integers as hex bit patterns, floats as hex bits except that every
 * NaN prints as `nan` (payloads may legitimately differ between engines).
 */
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary/module.h"
#include "runtime/runtime.h"
#include "valid/valid.h"

static bool nan32(uint32_t b) { return (b & 0x7F800000u) == 0x7F800000u && (b & 0x7FFFFFu); }
static bool nan64(uint64_t b) {
  return (b & UINT64_C(0x7FF0000000000000)) == UINT64_C(0x7FF0000000000000) && (b & UINT64_C(0xFFFFFFFFFFFFF));
}

static void print_f32(uint32_t b) {
  if (nan32(b)) printf(" nan");
  else printf(" %" PRIx32, b);
}

static void print_f64(uint64_t b) {
  if (nan64(b)) printf(" nan");
  else printf(" %" PRIx64, b);
}

/* A v128 of unknown shape, as two 64-bit halves. A half whose high 32 bits
 * are an f32 NaN prints as `nan*`: it may be an f64 NaN, whose low bits are
 * payload, or two f32 lanes; the two cannot be told apart, so the low lane
 * goes unchecked. Otherwise both lanes print as f32s would. oracle.js
 * applies the same rule. */
static void print_v128(const uint8_t *v) {
  for (int h = 0; h < 2; h++) {
    uint32_t lo, hi;
    memcpy(&lo, v + 8 * h, 4);
    memcpy(&hi, v + 8 * h + 4, 4);
    if (nan32(hi)) {
      printf(" nan*");
      continue;
    }
    print_f32(lo);
    print_f32(hi);
  }
}

static void print_val(const rt_val *v) {
  switch (v->type) {
  case WASM_I32: printf(" %" PRIx32, v->of.i32); break;
  case WASM_I64: printf(" %" PRIx64, v->of.i64); break;
  case WASM_F32: print_f32(v->of.f32); break;
  case WASM_F64: print_f64(v->of.f64); break;
  case WASM_V128: print_v128(v->of.v128); break;
  default: printf(" %s", v->of.ref ? "ref" : "null"); break;
  }
}

/* The trap kinds as the comparison names them. V8 reports some spec traps
 * under one message, so those share a name here: an index past a table's end
 * and a dropped segment are both "table index is out of bounds"; a null
 * entry and a signature mismatch are one message; a float truncation out of
 * range ("integer overflow" in the spec) and of a NaN ("invalid conversion")
 * are both "float unrepresentable in integer range", which cannot be told
 * from a division's "integer overflow" without knowing the instruction. */
static const char *trap_name(rt_trap_kind k) {
  switch (k) {
  case WRUN_TRAP_UNREACHABLE: return "unreachable";
  case WRUN_TRAP_MEMORY_OOB: return "memory-oob";
  case WRUN_TRAP_TABLE_OOB: case WRUN_TRAP_UNDEFINED_ELEMENT: return "table-oob";
  case WRUN_TRAP_UNINITIALIZED_ELEMENT: case WRUN_TRAP_INDIRECT_MISMATCH: return "indirect-call";
  case WRUN_TRAP_DIV_ZERO: return "div-zero";
  case WRUN_TRAP_INT_OVERFLOW: case WRUN_TRAP_INVALID_CONVERSION: return "overflow-or-conversion";
  case WRUN_TRAP_NULL_REFERENCE: return "null-reference";
  default: return "other";
  }
}

/* ---- the fuzzing-support imports -------------------------------------- */

static bool log_i32(rt_caller *c, void *env, uint64_t *slots) {
  (void)c, (void)env;
  printf("log i32 %" PRIx32 "\n", (uint32_t)slots[0]);
  return true;
}

static bool log_i64(rt_caller *c, void *env, uint64_t *slots) {
  (void)c, (void)env;
  printf("log i64 %" PRIx64 "\n", slots[0]);
  return true;
}

static bool log_f32(rt_caller *c, void *env, uint64_t *slots) {
  (void)c, (void)env;
  printf("log f32");
  print_f32((uint32_t)slots[0]);
  printf("\n");
  return true;
}

static bool log_f64(rt_caller *c, void *env, uint64_t *slots) {
  (void)c, (void)env;
  printf("log f64");
  print_f64(slots[0]);
  printf("\n");
  return true;
}

static bool log_v128(rt_caller *c, void *env, uint64_t *slots) {
  (void)c, (void)env;
  uint8_t v[16];
  memcpy(v, &slots[0], 8);
  memcpy(v + 8, &slots[1], 8);
  printf("log v128");
  print_v128(v);
  printf("\n");
  return true;
}

static rt_host_fn log_fn(const wm_import *imp) {
  static const struct { const char *name; rt_host_fn fn; } logs[] = {
    {"log-i32", log_i32}, {"log-i64", log_i64}, {"log-f32", log_f32}, {"log-f64", log_f64}, {"log-v128", log_v128},
  };
  if (imp->kind != WASM_EXTERN_FUNC || imp->module.len != 15 || memcmp(imp->module.ptr, "fuzzing-support", 15))
    return NULL;
  for (size_t i = 0; i < sizeof logs / sizeof logs[0]; i++)
    if (imp->field.len == strlen(logs[i].name) && !memcmp(imp->field.ptr, logs[i].name, imp->field.len))
      return logs[i].fn;
  return NULL;
}

/* ---- calls ------------------------------------------------------------- */

/* Argument k of type t: the same table as oracle.js. */
static void arg_for(wm_valtype t, uint32_t k, rt_val *v) {
  static const uint32_t i32s[] = {7, 0xFFFFFFFFu, 0x80000000u};
  static const uint64_t i64s[] = {UINT64_C(0xFFFFFFFFFFFFFFFD), UINT64_C(0x7FFFFFFFFFFFFFFF), 0};
  static const uint32_t f32s[] = {0x3FC00000u, 0x80000000u, 0x477FE000u}; /* 1.5, -0, 65504 */
  static const uint64_t f64s[] = {UINT64_C(0xC002000000000000), 0, UINT64_C(0x4630000000000000)}; /* -2.25, 0, 2^100 */
  memset(v, 0, sizeof *v);
  v->type = t;
  switch (t) {
  case WASM_I32: v->of.i32 = i32s[k % 3]; break;
  case WASM_I64: v->of.i64 = i64s[k % 3]; break;
  case WASM_F32: v->of.f32 = f32s[k % 3]; break;
  case WASM_F64: v->of.f64 = f64s[k % 3]; break;
  default: break; /* null references */
  }
}

static bool has_v128(const wm_functype *ft) {
  for (uint32_t i = 0; i < ft->nparams; i++)
    if (wm_functype_params(ft)[i] == WASM_V128) return true;
  for (uint32_t i = 0; i < ft->nresults; i++)
    if (wm_functype_results(ft)[i] == WASM_V128) return true;
  return false;
}

/* Prints the memory's size and hash; with DIFFFUZZ_DUMP=DIR set, also
 * writes its bytes to DIR/mem-CALL.bin (run.py looks at the bytes when only
 * the hashes differ, to tell NaN payloads from real differences). */
static void print_memory(const rt_memory *mem, uint32_t call) {
  const uint8_t *p = rt_memory_data(mem);
  uint64_t n = rt_memory_size(mem);
  uint32_t h = 0x811C9DC5u;
  for (uint64_t i = 0; i < n; i++) h = (h ^ p[i]) * 0x01000193u;
  printf("mem %" PRIu64 " %08" PRIx32 "\n", n / 65536, h);
  const char *dir = getenv("DIFFFUZZ_DUMP");
  if (!dir) return;
  char path[4096];
  snprintf(path, sizeof path, "%s/mem-%" PRIu32 ".bin", dir, call);
  FILE *f = fopen(path, "wb");
  if (f) {
    fwrite(p, 1, (size_t)n, f);
    fclose(f);
  }
}

static bool name_is(const wm_name *n, const char *s) { return n->len == strlen(s) && !memcmp(n->ptr, s, n->len); }

/* Calls export e; false when the comparison must stop (stack or fuel ran out:
 * the engines exhaust at different depths, so what follows may differ). */
static bool call_export(wrun_store *s, wrun_instance *inst, const wm_module *m, uint32_t e, wrun_func *hang_init,
                        const rt_memory *mem, uint32_t call) {
  const wm_export *ex = &m->exports[e];
  rt_extern fx;
  rt_error err;
  rt_error_clear(&err);
  printf("call %.*s\n", (int)ex->name.len, ex->name.ptr);
  rt_instance_export(inst, ex->name.ptr, ex->name.len, &fx);
  const wm_functype *ft = rt_func_type(fx.of.func);
  if (has_v128(ft) || ft->nparams > 64 || ft->nresults > 64) {
    printf("skip\n");
    return true;
  }
  if (hang_init && !rt_call(s, hang_init, NULL, 0, NULL, 0, &err)) { /* reset the module's loop bound */
    printf("exhausted\n");
    return false;
  }
  rt_val args[64], res[64];
  for (uint32_t k = 0; k < ft->nparams; k++) arg_for(wm_functype_params(ft)[k], k, &args[k]);
  if (rt_call(s, fx.of.func, args, ft->nparams, res, ft->nresults, &err)) {
    printf("result");
    for (uint32_t k = 0; k < ft->nresults; k++) print_val(&res[k]);
    printf("\n");
  } else {
    rt_trap_kind k = rt_store_trap_kind(s);
    if (k == WRUN_TRAP_STACK_EXHAUSTED || k == WRUN_TRAP_FUEL) {
      printf("exhausted\n");
      return false;
    }
    printf("trap %s\n", trap_name(k));
  }
  if (mem) print_memory(mem, call);
  return true;
}

static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + n, 1, cap - n, f)) > 0) {
    n += got;
    if (n == cap) {
      uint8_t *nb = realloc(buf, cap *= 2);
      if (!nb) free(buf);
      buf = nb;
    }
  }
  fclose(f);
  *len = n;
  return buf;
}

int main(int argc, char **argv) {
  bool aot = argc == 3 && !strcmp(argv[1], "--aot");
  if (argc != 2 && !aot) {
    fprintf(stderr, "usage: difffuzz_driver [--aot] MODULE.wasm\n");
    return 2;
  }
  size_t len = 0;
  uint8_t *bytes = read_file(argv[argc - 1], &len);
  if (!bytes) {
    fprintf(stderr, "difffuzz_driver: cannot read %s\n", argv[argc - 1]);
    return 2;
  }
  rt_error err;
  rt_error_clear(&err);
  wm_module *m = wm_module_decode(bytes, len, &err);
  if (!m || !wm_module_validate(m, &err)) {
    printf("reject %s\n", err.message);
    wm_module_free(m);
    free(bytes);
    return 0;
  }
  rt_config cfg = {0};
  cfg.aot = aot;
  if (!aot) cfg.fuel = UINT64_C(2000000000); /* the interpreter's bound; compiled code relies on the module's */
  wrun_store *s = engine_store_new(&cfg);
  rt_extern *imports = calloc(m->nimports + 1, sizeof *imports);
  int status = 0;
  for (uint32_t i = 0; s && imports && i < m->nimports; i++) {
    rt_host_fn fn = log_fn(&m->imports[i]);
    if (!fn) {
      printf("reject unknown import %.*s.%.*s\n", (int)m->imports[i].module.len, m->imports[i].module.ptr,
             (int)m->imports[i].field.len, m->imports[i].field.ptr);
      goto done;
    }
    imports[i].kind = WASM_EXTERN_FUNC;
    imports[i].of.func = rt_func_new_host(s, wm_module_func_type(m, m->imports[i].index), fn, NULL, NULL);
  }
  wrun_instance *inst = s && imports ? rt_instantiate(s, m, imports, m->nimports, &err) : NULL;
  if (!inst) {
    rt_trap_kind k = s ? rt_store_trap_kind(s) : WRUN_TRAP_NONE;
    if (k == WRUN_TRAP_NONE) printf("reject %s\n", err.message);
    else printf("instantiate trap %s\n", k == WRUN_TRAP_STACK_EXHAUSTED ? "exhausted" : trap_name(k));
    goto done;
  }
  printf("instantiate ok\n");
  wrun_func *hang_init = NULL;
  const rt_memory *mem = NULL;
  for (uint32_t e = 0; e < m->nexports; e++) {
    rt_extern x;
    rt_instance_export(inst, m->exports[e].name.ptr, m->exports[e].name.len, &x);
    if (x.kind == WASM_EXTERN_FUNC && name_is(&m->exports[e].name, "hangLimitInitializer")) hang_init = x.of.func;
    if (x.kind == WASM_EXTERN_MEMORY && !mem) mem = x.of.memory;
  }
  for (uint32_t e = 0, call = 0; e < m->nexports; e++) {
    if (m->exports[e].kind != WASM_EXTERN_FUNC || name_is(&m->exports[e].name, "hangLimitInitializer")) continue;
    if (!call_export(s, inst, m, e, hang_init, mem, call++)) break;
  }
done:
  fflush(stdout);
  free(imports);
  rt_store_free(s);
  wm_module_free(m);
  free(bytes);
  return status;
}
