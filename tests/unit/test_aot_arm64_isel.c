/*
 * test_aot_arm64_isel.c — the AArch64 code generator (src/aot/arm64/isel.c)
 * through the whole pipeline: wasm text -> module -> IR -> AArch64 code.
 *
 * On every host: each function of the test module goes through the IR to
 * AArch64 code (aot_ir_compile_func with aot_isa_arm64, no execution).
 * On an AArch64 host (natively, or under qemu-aarch64 in CI) the module is
 * also instantiated in the AOT tier and run: integer and float arithmetic
 * with wasm's edge cases (division traps, INT_MIN / -1, clz/ctz/popcnt,
 * fmin/fmax with NaN and signed zeros, nearest, trapping and saturating
 * truncation), loops, br_table, direct recursion, calls with arguments in
 * slots, many live values (spills), globals, memory (guard-page traps),
 * call_indirect's signature check, an import, the interrupt check at loop
 * heads, stack exhaustion, a trap's backtrace naming wasm functions, v128
 * values live across calls and passed in slots, a call of several results
 * and ref.func;
 * then memory again with code compiled with explicit bounds checks.
 * A generated function of more than 1 MiB of code checks conditional
 * branches past B.cond's ±1 MiB (a64_patch_cond's long form): compiled on
 * every host, run on AArch64 (the skip over it, a loop back over it, and a
 * division trap at its start reaching the trap stub at its end).
 *
 * No cmocka: the test must also run in the cross-built tree.
 */
#include <pthread.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aot/aot.h"
#include "aot/arm64/asm.h"
#include "aot/ir/isa.h"
#include "runtime/runtime.h"
#include "text/text.h"
#include "unit/arm64_harness.h"
#include "valid/valid.h"

extern const aot_isa aot_isa_arm64;

static const char *wat =
    "(module\n"
    "  (import \"env\" \"twice\" (func $twice (param i32) (result i32)))\n"
    "  (type $ii (func (param i32) (result i32)))\n"
    "  (type $v (func))\n"
    "  (memory 1)\n"
    "  (global $g (mut i64) (i64.const 5))\n"
    "  (table 2 funcref)\n"
    "  (elem (i32.const 0) $inc $nop)\n"
    "  (func $inc (type $ii) (i32.add (local.get 0) (i32.const 1)))\n"
    "  (func $nop (type $v))\n"
    "  (func (export \"div_s\") (param i32 i32) (result i32) (i32.div_s (local.get 0) (local.get 1)))\n"
    "  (func (export \"rem_s\") (param i32 i32) (result i32) (i32.rem_s (local.get 0) (local.get 1)))\n"
    "  (func (export \"div_u64\") (param i64 i64) (result i64) (i64.div_u (local.get 0) (local.get 1)))\n"
    "  (func (export \"bits\") (param i32 i64) (result i64)\n"
    "    (i64.add (i64.add (i64.extend_i32_u (i32.clz (local.get 0))) (i64.ctz (local.get 1)))\n"
    "             (i64.mul (i64.popcnt (local.get 1)) (i64.const 1000))))\n"
    "  (func (export \"rotl\") (param i32 i32) (result i32) (i32.rotl (local.get 0) (local.get 1)))\n"
    "  (func (export \"fmin\") (param f64 f64) (result f64) (f64.min (local.get 0) (local.get 1)))\n"
    "  (func (export \"fmax\") (param f32 f32) (result f32) (f32.max (local.get 0) (local.get 1)))\n"
    "  (func (export \"nearest\") (param f64) (result f64) (f64.nearest (local.get 0)))\n"
    "  (func (export \"trunc\") (param f32) (result i32) (i32.trunc_f32_s (local.get 0)))\n"
    "  (func (export \"trunc_u64\") (param f64) (result i64) (i64.trunc_f64_u (local.get 0)))\n"
    "  (func (export \"sat\") (param f64) (result i32) (i32.trunc_sat_f64_s (local.get 0)))\n"
    "  (func (export \"fac\") (param i64) (result i64) (local i64)\n"
    "    (local.set 1 (i64.const 1))\n"
    "    (block (loop\n"
    "      (br_if 1 (i64.eqz (local.get 0)))\n"
    "      (local.set 1 (i64.mul (local.get 1) (local.get 0)))\n"
    "      (local.set 0 (i64.sub (local.get 0) (i64.const 1)))\n"
    "      (br 0)))\n"
    "    (local.get 1))\n"
    "  (func $fib (export \"fib\") (param i32) (result i32)\n"
    "    (if (result i32) (i32.lt_u (local.get 0) (i32.const 2)) (then (local.get 0))\n"
    "      (else (i32.add (call $fib (i32.sub (local.get 0) (i32.const 1)))\n"
    "                     (call $fib (i32.sub (local.get 0) (i32.const 2)))))))\n"
    "  (func (export \"switch\") (param i32) (result i32)\n"
    "    (block (block (block (br_table 0 1 2 (local.get 0))) (return (i32.const 10)))\n"
    "      (return (i32.const 20))) (i32.const 30))\n"
    "  (func $many (param i32 i64 f32 f64 i32 i64 f32 f64) (result f64)\n"
    "    (f64.add (f64.add (f64.convert_i32_s (local.get 0)) (f64.convert_i64_s (local.get 1)))\n"
    "      (f64.add (f64.add (f64.promote_f32 (local.get 2)) (local.get 3))\n"
    "        (f64.add (f64.convert_i32_u (local.get 4))\n"
    "          (f64.add (f64.convert_i64_u (local.get 5)) (f64.add (f64.promote_f32 (local.get 6)) (local.get 7)))))))\n"
    "  (func (export \"many\") (result f64)\n"
    "    (call $many (i32.const -1) (i64.const 2) (f32.const 3.5) (f64.const 4) (i32.const 5) (i64.const 6)\n"
    "      (f32.const 7) (f64.const 8)))\n"
    /* 24 values live at once: more than the allocator's registers with the 40-odd temporaries */
    "  (func (export \"spill\") (param i32) (result i32)\n"
    "    (local i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32)\n"
    "    (local.set 1 (i32.add (local.get 0) (i32.const 1))) (local.set 2 (i32.add (local.get 1) (i32.const 2)))\n"
    "    (local.set 3 (i32.add (local.get 2) (i32.const 3))) (local.set 4 (i32.add (local.get 3) (i32.const 4)))\n"
    "    (local.set 5 (i32.mul (local.get 4) (i32.const 5))) (local.set 6 (i32.add (local.get 5) (i32.const 6)))\n"
    "    (local.set 7 (i32.mul (local.get 6) (i32.const 7))) (local.set 8 (i32.add (local.get 7) (i32.const 8)))\n"
    "    (local.set 9 (i32.xor (local.get 8) (i32.const 9))) (local.set 10 (i32.add (local.get 9) (i32.const 10)))\n"
    "    (local.set 11 (i32.mul (local.get 10) (i32.const 11))) (local.set 12 (i32.add (local.get 11) (i32.const 12)))\n"
    "    (local.set 13 (i32.add (local.get 12) (local.get 1))) (local.set 14 (i32.add (local.get 13) (local.get 2)))\n"
    "    (local.set 15 (i32.add (local.get 14) (local.get 3))) (local.set 16 (i32.add (local.get 15) (local.get 4)))\n"
    "    (local.set 17 (i32.add (local.get 16) (local.get 5))) (local.set 18 (i32.add (local.get 17) (local.get 6)))\n"
    "    (local.set 19 (i32.add (local.get 18) (local.get 7))) (local.set 20 (i32.add (local.get 19) (local.get 8)))\n"
    "    (local.set 21 (i32.add (local.get 20) (local.get 9))) (local.set 22 (i32.add (local.get 21) (local.get 10)))\n"
    "    (local.set 23 (i32.add (local.get 22) (local.get 11))) (local.set 24 (i32.add (local.get 23) (local.get 12)))\n"
    "    (i32.add (i32.add (i32.add (local.get 1) (local.get 2)) (i32.add (local.get 3) (local.get 4)))\n"
    "      (i32.add (i32.add (i32.add (local.get 5) (local.get 6)) (i32.add (local.get 7) (local.get 8)))\n"
    "        (i32.add (i32.add (i32.add (local.get 9) (local.get 10)) (i32.add (local.get 11) (local.get 12)))\n"
    "          (i32.add (i32.add (local.get 13) (local.get 14)) (i32.add (i32.add (local.get 15) (local.get 16))\n"
    "            (i32.add (i32.add (local.get 17) (local.get 18)) (i32.add (i32.add (local.get 19) (local.get 20))\n"
    "              (i32.add (i32.add (local.get 21) (local.get 22)) (i32.add (local.get 23) (local.get 24)))))))))))\n"
    "  (func (export \"glob\") (param i64) (result i64)\n"
    "    (global.set $g (i64.add (global.get $g) (local.get 0))) (global.get $g))\n"
    "  (func (export \"mem\") (param i32 i64) (result i64)\n"
    "    (i64.store offset=4 (local.get 0) (local.get 1))\n"
    "    (i64.add (i64.load8_s offset=4 (local.get 0)) (i64.load32_u offset=4 (local.get 0))))\n"
    "  (func (export \"indirect\") (param i32 i32) (result i32)\n"
    "    (call_indirect (type $ii) (local.get 0) (local.get 1)))\n"
    "  (func (export \"host\") (param i32) (result i32) (i32.add (call $twice (local.get 0)) (i32.const 1)))\n"
    "  (func $deep (export \"deep\") (param i32) (result i32) (i32.add (call $deep (local.get 0)) (i32.const 1)))\n"
    "  (func $inner (param i32) (result i32) (i32.load (local.get 0)))\n"
    "  (func $outer (export \"outer\") (param i32) (result i32) (i32.add (call $inner (local.get 0)) (i32.const 1)))\n"
    "  (func (export \"spin\") (loop (br 0)))\n"
    /* v128: a vector live across calls whose callee computes with vectors in
     * the same registers (callees keep only the low 64 bits of v8-v15) and
     * across a call into C; v128 arguments and results in slots; a call of
     * several results; ref.func */
    "  (func $vclob (param i32) (result i32) (local v128 v128)\n"
    "    (local.set 1 (i32x4.splat (local.get 0))) (local.set 2 (i32x4.mul (local.get 1) (local.get 1)))\n"
    "    (i32x4.extract_lane 3 (i32x4.add (local.get 1) (local.get 2))))\n"
    "  (func (export \"vlive\") (param i32) (result i32) (local v128)\n"
    "    (local.set 1 (i32x4.add (i32x4.splat (local.get 0)) (v128.const i32x4 0 1 2 3)))\n"
    "    (drop (call $vclob (i32.const 100)))\n"
    "    (drop (call $twice (i32.const 100)))\n"
    "    (i32.add (i32x4.extract_lane 3 (local.get 1)) (i32x4.extract_lane 0 (local.get 1))))\n"
    "  (func $vsum (param v128 i32 v128) (result v128) (i32x4.add (i32x4.splat (local.get 1)) (i32x4.add (local.get 0) (local.get 2))))\n"
    "  (func (export \"vcall\") (param i32) (result i32)\n"
    "    (i32x4.extract_lane 2 (call $vsum (i32x4.splat (local.get 0)) (i32.const 1000) (v128.const i32x4 1 2 3 4))))\n"
    "  (func $two (param i32) (result i32 i64) (local.get 0) (i64.const 7))\n"
    "  (func (export \"multi\") (param i32) (result i64) (local i64)\n"
    "    (call $two (local.get 0)) (local.set 1) (i64.extend_i32_u) (local.get 1) (i64.add))\n"
    "  (func (export \"rf\") (result i32) (ref.is_null (ref.func $inc)))\n"
    ")\n";

static wm_module *load(const char *src) {
  rt_error err;
  rt_error_clear(&err);
  uint8_t *bin = NULL;
  size_t len = 0;
  if (!wat_parse_to_binary(src, strlen(src), &bin, &len, &err)) {
    fprintf(stderr, "wat: %s\n", err.message);
    exit(1);
  }
  wm_module *m = wm_module_decode(bin, len, &err);
  free(bin);
  if (!m || !wm_module_validate(m, &err)) {
    fprintf(stderr, "module: %s\n", err.message);
    exit(1);
  }
  return m;
}

/* ---- on every host: code generation only ---- */

static void test_compile_all(void) {
  wm_module *m = load(wat);
  for (uint32_t i = m->nimported_funcs; i < m->nfuncs; i++) {
    aot_func_in in = {m, i, false, true, false, 0};
    aot_func_out out;
    memset(&out, 0, sizeof out);
    char why[96] = "";
    rt_error err;
    rt_error_clear(&err);
    int st = aot_ir_compile_func(&aot_isa_arm64, &in, &out, why, sizeof why, &err);
    if (st != 1) fprintf(stderr, "function %u: %d %s %s\n", i, st, why, err.message);
    CHECK(st == 1);
    CHECK(out.size >= 16 && out.size % 4 == 0);
    CHECK(out.frame % 16 == 8); /* sp + frame is the saved x30 under a 16-byte frame record */
    free(out.code);
    free(out.relocs);
    free(out.map);
  }
  wm_module_free(m);
}

/* ---- on AArch64: run the code ---- */

typedef struct run {
  wm_module *m;
  wrun_store *s;
  wrun_instance *inst;
} run;

static bool twice(rt_caller *caller, void *env, uint64_t *slots) {
  (void)caller;
  (void)env;
  slots[0] = (uint32_t)slots[0] * 2u;
  return true;
}

static wrun_func *fn(run *r, const char *name) {
  rt_extern x;
  if (!rt_instance_export(r->inst, name, strlen(name), &x)) {
    fprintf(stderr, "no export %s\n", name);
    exit(1);
  }
  return x.of.func;
}

static rt_val I32(uint32_t v) { return (rt_val){.type = WASM_I32, .of.i32 = v}; }
static rt_val I64(uint64_t v) { return (rt_val){.type = WASM_I64, .of.i64 = v}; }
static rt_val F32(float v) {
  rt_val r = {.type = WASM_F32};
  memcpy(&r.of.f32, &v, 4);
  return r;
}
static rt_val F64(double v) {
  rt_val r = {.type = WASM_F64};
  memcpy(&r.of.f64, &v, 8);
  return r;
}

/* Calls export `name`; returns the trap kind (0 when it returned). */
static int call(run *r, const char *name, const rt_val *args, uint32_t n, rt_val *res) {
  rt_error err;
  rt_error_clear(&err);
  rt_val dummy;
  wrun_func *f = fn(r, name);
  if (rt_call(r->s, f, args, n, res ? res : &dummy, rt_func_type(f)->nresults, &err)) return 0;
  if (getenv("DEBUG_TRAPS")) fprintf(stderr, "%s: trap %d: %s\n", name, (int)rt_store_trap_kind(r->s), err.message);
  return (int)rt_store_trap_kind(r->s) + 1000;
}
#define TRAP(k) ((int)(k) + 1000)

static uint32_t call_i32(run *r, const char *name, const rt_val *args, uint32_t n) {
  rt_val v = {0};
  CHECK(call(r, name, args, n, &v) == 0);
  return v.of.i32;
}
static uint64_t call_i64(run *r, const char *name, const rt_val *args, uint32_t n) {
  rt_val v = {0};
  CHECK(call(r, name, args, n, &v) == 0);
  return v.of.i64;
}
static uint64_t call_bits(run *r, const char *name, const rt_val *args, uint32_t n) {
  rt_val v = {0};
  CHECK(call(r, name, args, n, &v) == 0);
  return v.type == WASM_F32 ? v.of.f32 : v.of.f64;
}
static uint64_t dbits(double d) {
  uint64_t u;
  memcpy(&u, &d, 8);
  return u;
}
static uint32_t fbits(float f) {
  uint32_t u;
  memcpy(&u, &f, 4);
  return u;
}

/* bounds: the module's code compiled beforehand with explicit bounds checks
 * (what sanitizer builds use instead of guard pages), attached to it. */
static void open_run(run *r, bool interruptible, bool bounds) {
  memset(r, 0, sizeof *r);
  r->m = load(wat);
  if (bounds) {
    aot_image *img = NULL;
    rt_error err;
    rt_error_clear(&err);
    CHECK(aot_compile_module(r->m, AOT_OPT_BOUNDS_CHECKS | AOT_OPT_INTERRUPTIBLE, &img, &err));
    if (img) aot_attach_image(r->m, img);
  }
  rt_config cfg = {.aot = true, .interruptible = interruptible};
  r->s = engine_store_new(&cfg);
  CHECK(r->s != NULL);
  wrun_func *h = rt_func_new_host(r->s, wm_module_func_type(r->m, 0), twice, NULL, "twice");
  rt_extern imp = {.kind = WASM_EXTERN_FUNC, .of.func = h};
  rt_error err;
  rt_error_clear(&err);
  r->inst = rt_instantiate(r->s, r->m, &imp, 1, &err);
  if (!r->inst) {
    fprintf(stderr, "instantiate: %s\n", err.message);
    exit(1);
  }
  CHECK(aot_compiled_count(r->inst) == r->m->nfuncs - r->m->nimported_funcs);
}

static void close_run(run *r) {
  rt_store_free(r->s);
  wm_module_free(r->m);
}

static void *interrupt_later(void *arg) {
  struct timespec t = {0, 100 * 1000 * 1000};
  nanosleep(&t, NULL);
  rt_store_interrupt(arg);
  return NULL;
}

static void test_run(void) {
  run r;
  open_run(&r, false, false);
  rt_val a[8];
  /* integer division and its traps */
  a[0] = I32((uint32_t)-7), a[1] = I32(2);
  CHECK(call_i32(&r, "div_s", a, 2) == (uint32_t)-3);
  CHECK(call_i32(&r, "rem_s", a, 2) == (uint32_t)-1);
  a[1] = I32(0);
  CHECK(call(&r, "div_s", a, 2, NULL) == TRAP(WRUN_TRAP_DIV_ZERO));
  CHECK(call(&r, "rem_s", a, 2, NULL) == TRAP(WRUN_TRAP_DIV_ZERO));
  a[0] = I32(0x80000000u), a[1] = I32((uint32_t)-1);
  CHECK(call(&r, "div_s", a, 2, NULL) == TRAP(WRUN_TRAP_INT_OVERFLOW));
  CHECK(call_i32(&r, "rem_s", a, 2) == 0);
  a[0] = I64(UINT64_MAX), a[1] = I64(3);
  CHECK(call_i64(&r, "div_u64", a, 2) == UINT64_MAX / 3);
  /* bit counts: clz(1) = 31, ctz(1 << 40) = 40, popcnt = 1; clz(0) = 32, ctz(0) = 64 */
  a[0] = I32(1), a[1] = I64(UINT64_C(1) << 40);
  CHECK(call_i64(&r, "bits", a, 2) == 31 + 40 + 1000);
  a[0] = I32(0), a[1] = I64(0);
  CHECK(call_i64(&r, "bits", a, 2) == 32 + 64);
  a[0] = I32(0xF0000001u), a[1] = I32(36); /* rotate count modulo 32 */
  CHECK(call_i32(&r, "rotl", a, 2) == 0x0000001Fu);
  /* floats: wasm's min/max (signed zeros, NaN), ties to even */
  a[0] = F64(0.0), a[1] = F64(-0.0);
  CHECK(call_bits(&r, "fmin", a, 2) == dbits(-0.0));
  a[0] = F32(0.0f / 0.0f), a[1] = F32(1.0f);
  CHECK((call_bits(&r, "fmax", a, 2) & 0x7FC00000u) == 0x7FC00000u);
  a[0] = F32(-0.0f), a[1] = F32(0.0f);
  CHECK(call_bits(&r, "fmax", a, 2) == fbits(0.0f));
  a[0] = F64(2.5);
  CHECK(call_bits(&r, "nearest", a, 1) == dbits(2.0));
  a[0] = F64(-3.5);
  CHECK(call_bits(&r, "nearest", a, 1) == dbits(-4.0));
  /* truncation: traps at the bounds, saturation */
  a[0] = F32(-2147483648.0f);
  CHECK(call_i32(&r, "trunc", a, 1) == 0x80000000u);
  a[0] = F32(2147483648.0f);
  CHECK(call(&r, "trunc", a, 1, NULL) == TRAP(WRUN_TRAP_INT_OVERFLOW));
  a[0] = F32(0.0f / 0.0f);
  CHECK(call(&r, "trunc", a, 1, NULL) == TRAP(WRUN_TRAP_INVALID_CONVERSION));
  a[0] = F64(-0.9);
  CHECK(call_i64(&r, "trunc_u64", a, 1) == 0);
  a[0] = F64(-1.0);
  CHECK(call(&r, "trunc_u64", a, 1, NULL) == TRAP(WRUN_TRAP_INT_OVERFLOW));
  a[0] = F64(18446744073709549568.0);
  CHECK(call_i64(&r, "trunc_u64", a, 1) == UINT64_C(18446744073709549568));
  a[0] = F64(1e10);
  CHECK(call_i32(&r, "sat", a, 1) == 0x7FFFFFFFu);
  a[0] = F64(0.0 / 0.0);
  CHECK(call_i32(&r, "sat", a, 1) == 0);
  /* control flow and calls */
  a[0] = I64(20);
  CHECK(call_i64(&r, "fac", a, 1) == UINT64_C(2432902008176640000));
  a[0] = I32(20);
  CHECK(call_i32(&r, "fib", a, 1) == 6765);
  for (uint32_t k = 0; k < 5; k++) {
    a[0] = I32(k);
    CHECK(call_i32(&r, "switch", a, 1) == (k == 0 ? 10u : k == 1 ? 20u : 30u));
  }
  CHECK(call_bits(&r, "many", NULL, 0) == dbits(-1 + 2 + 3.5 + 4 + 5 + 6 + 7 + 8));
  /* the same sums in C */
  uint32_t l[25];
  l[0] = 3;
  l[1] = l[0] + 1, l[2] = l[1] + 2, l[3] = l[2] + 3, l[4] = l[3] + 4, l[5] = l[4] * 5, l[6] = l[5] + 6;
  l[7] = l[6] * 7, l[8] = l[7] + 8, l[9] = l[8] ^ 9, l[10] = l[9] + 10, l[11] = l[10] * 11, l[12] = l[11] + 12;
  for (int k = 13; k <= 24; k++) l[k] = l[k - 1] + l[k - 12];
  uint32_t sum = 0;
  for (int k = 1; k <= 24; k++) sum += l[k];
  a[0] = I32(3);
  CHECK(call_i32(&r, "spill", a, 1) == sum);
  a[0] = I64(10);
  CHECK(call_i64(&r, "glob", a, 1) == 15);
  CHECK(call_i64(&r, "glob", a, 1) == 25);
  /* memory: offsets, widths, sign extension, the guard region */
  a[0] = I32(100), a[1] = I64(UINT64_C(0x11223344556677F0));
  CHECK(call_i64(&r, "mem", a, 2) == (uint64_t)(int64_t)(int8_t)0xF0 + 0x556677F0u);
  a[0] = I32(65536 - 11);
  CHECK(call(&r, "mem", a, 2, NULL) == TRAP(WRUN_TRAP_MEMORY_OOB));
  a[0] = I32(0xFFFFFFFFu);
  CHECK(call(&r, "mem", a, 2, NULL) == TRAP(WRUN_TRAP_MEMORY_OOB));
  /* call_indirect: a match, a signature mismatch, an index past the table */
  a[0] = I32(41), a[1] = I32(0);
  CHECK(call_i32(&r, "indirect", a, 2) == 42);
  a[1] = I32(1);
  CHECK(call(&r, "indirect", a, 2, NULL) == TRAP(WRUN_TRAP_INDIRECT_MISMATCH));
  a[1] = I32(2);
  CHECK(call(&r, "indirect", a, 2, NULL) == TRAP(WRUN_TRAP_UNDEFINED_ELEMENT));
  a[0] = I32(20);
  CHECK(call_i32(&r, "host", a, 1) == 41);
  /* stack exhaustion by the prologue's check */
  a[0] = I32(1);
  CHECK(call(&r, "deep", a, 1, NULL) == TRAP(WRUN_TRAP_STACK_EXHAUSTED));
  /* a fault in an inner function: the backtrace names both wasm frames */
  a[0] = I32(0xFFFFFFF0u);
  CHECK(call(&r, "outer", a, 1, NULL) == TRAP(WRUN_TRAP_MEMORY_OOB));
  char bt[512];
  rt_store_backtrace(r.s, bt, sizeof bt);
  const char *in = strstr(bt, "inner"), *out = strstr(bt, "outer");
  if (!in || !out || in > out) fprintf(stderr, "backtrace:\n%s\n", bt);
  CHECK(in && out && in < out);
  /* after all the traps, the instance still runs */
  a[0] = I32(10);
  CHECK(call_i32(&r, "fib", a, 1) == 55);
  /* v128 across calls, in argument and result slots; several results; ref.func */
  a[0] = I32(5);
  CHECK(call_i32(&r, "vlive", a, 1) == 5 + 3 + 5);
  a[0] = I32(10);
  CHECK(call_i32(&r, "vcall", a, 1) == 10 + 3 + 1000);
  a[0] = I32(0xFFFFFFFFu);
  CHECK(call_i64(&r, "multi", a, 1) == UINT64_C(0xFFFFFFFF) + 7);
  CHECK(call_i32(&r, "rf", NULL, 0) == 0);
  close_run(&r);

  /* explicit bounds checks: the same accesses, trapping before the guard region */
  open_run(&r, false, true);
  a[0] = I32(100), a[1] = I64(UINT64_C(0x11223344556677F0));
  CHECK(call_i64(&r, "mem", a, 2) == (uint64_t)(int64_t)(int8_t)0xF0 + 0x556677F0u);
  a[0] = I32(65536 - 12); /* the last 8 bytes at offset 4 */
  CHECK(call_i64(&r, "mem", a, 2) == (uint64_t)(int64_t)(int8_t)0xF0 + 0x556677F0u);
  a[0] = I32(65536 - 11);
  CHECK(call(&r, "mem", a, 2, NULL) == TRAP(WRUN_TRAP_MEMORY_OOB));
  a[0] = I32(0xFFFFFFFFu);
  CHECK(call(&r, "mem", a, 2, NULL) == TRAP(WRUN_TRAP_MEMORY_OOB));
  a[0] = I32(0xFFFFFFF0u);
  CHECK(call(&r, "outer", a, 1, NULL) == TRAP(WRUN_TRAP_MEMORY_OOB));
  rt_store_backtrace(r.s, bt, sizeof bt); /* from the trap stub's helper call this time */
  in = strstr(bt, "inner"), out = strstr(bt, "outer");
  if (!in || !out || in > out) fprintf(stderr, "backtrace:\n%s\n", bt);
  CHECK(in && out && in < out);
  close_run(&r);

  /* the interrupt check at loop heads */
  open_run(&r, true, false);
  pthread_t t;
  CHECK(pthread_create(&t, NULL, interrupt_later, r.s) == 0);
  CHECK(call(&r, "spin", NULL, 0, NULL) == TRAP(WRUN_TRAP_TIMEOUT));
  pthread_join(t, NULL);
  close_run(&r);
}

/* ---- conditional branches past ±1 MiB ---- */

/* a64_patch_cond on hand-checked words (the same as aarch64-linux-gnu-as
 * gives "b.eq .+8", "b.ne .+8; b .+0x1ffffc", "cbnz x3, .+8; b .-0x100008") */
static void test_patch_cond(void) {
  a64_buf b = {0};
  CHECK(a64_bcond(&b, A64_EQ, 0) && a64_nop(&b));
  CHECK(a64_patch_cond(&b, 0, 8));
  CHECK(a64h_word(b.p + 0) == 0x54000040u && a64h_word(b.p + 4) == 0xD503201Fu); /* reaches: the NOP stays */
  b.n = 0;
  CHECK(a64_bcond(&b, A64_EQ, 0) && a64_nop(&b));
  CHECK(!a64_patch(&b, 0, 0x200000));
  CHECK(a64_patch_cond(&b, 0, 0x200000));
  CHECK(a64h_word(b.p + 0) == 0x54000041u && a64h_word(b.p + 4) == 0x1407FFFFu);
  b.n = 0;
  for (int k = 0; k <= 0x40000; k++) CHECK(a64_nop(&b)); /* 1 MiB + 4 of code before the branch */
  size_t at = b.n;
  CHECK(a64_cbz(&b, false, true, 3, at) && a64_nop(&b));
  CHECK(a64_patch_cond(&b, at, 0));
  CHECK(a64h_word(b.p + at) == 0xB5000043u && a64h_word(b.p + at + 4) == 0x17FBFFFEu);
  /* refused, unchanged: no NOP reserved after it, an unconditional B, beyond ±128 MiB */
  b.n = 0;
  CHECK(a64_bcond(&b, A64_EQ, 0) && a64_mov(&b, true, 1, 2));
  CHECK(!a64_patch_cond(&b, 0, 0x200000) && a64h_word(b.p + 0) == 0x54000000u);
  b.n = 0;
  CHECK(a64_b(&b, 0) && a64_nop(&b));
  CHECK(!a64_patch_cond(&b, 0, 0x200000) && a64h_word(b.p + 0) == 0x14000000u);
  b.n = 0;
  CHECK(a64_bcond(&b, A64_EQ, 0) && a64_nop(&b));
  CHECK(!a64_patch_cond(&b, 0, (size_t)1 << 28) && a64h_word(b.p + 0) == 0x54000000u && a64h_word(b.p + 4) == 0xD503201Fu);
  free(b.p);
}

/* big(a, d): when a == 0, a loop run twice whose body is REPS times
 * x = x / d + 3 (x starts at 1000000007); returns x. Each division's
 * zero check branches to the trap stub after the whole body. */
#define BIG_REPS 40000
static char *big_wat(void) {
  static const char head[] =
      "(module (func (export \"big\") (param i64 i64) (result i64) (local i64 i32)\n"
      "  (local.set 2 (i64.const 1000000007))\n"
      "  (if (i64.eqz (local.get 0)) (then (loop\n";
  static const char rep[] = "    (local.set 2 (i64.add (i64.div_s (local.get 2) (local.get 1)) (i64.const 3)))\n";
  static const char tail[] =
      "    (local.set 3 (i32.add (local.get 3) (i32.const 1)))\n"
      "    (br_if 0 (i32.lt_u (local.get 3) (i32.const 2))))))\n"
      "  (local.get 2)))\n";
  size_t n = sizeof head + (size_t)BIG_REPS * (sizeof rep - 1) + sizeof tail;
  char *s = malloc(n), *p = s;
  if (!s) exit(1);
  memcpy(p, head, sizeof head - 1), p += sizeof head - 1;
  for (int k = 0; k < BIG_REPS; k++) memcpy(p, rep, sizeof rep - 1), p += sizeof rep - 1;
  memcpy(p, tail, sizeof tail);
  return s;
}

static int64_t big_expect(int64_t a, int64_t d) {
  int64_t x = 1000000007;
  if (a == 0)
    for (int k = 0; k < 2 * BIG_REPS; k++) x = x / d + 3;
  return x;
}

static void test_far_compile(void) {
  char *src = big_wat();
  wm_module *m = load(src);
  free(src);
  aot_func_in in = {m, 0, false, false, false, 0};
  aot_func_out out;
  memset(&out, 0, sizeof out);
  char why[96] = "";
  rt_error err;
  rt_error_clear(&err);
  int st = aot_ir_compile_func(&aot_isa_arm64, &in, &out, why, sizeof why, &err);
  if (st != 1) fprintf(stderr, "big: %d %s %s\n", st, why, err.message);
  CHECK(st == 1);
  if (getenv("DEBUG_SIZE")) fprintf(stderr, "big: %u bytes\n", out.size);
  CHECK(out.size > (UINT32_C(9) << 17)); /* more than 1.125 MiB: the first zero check is out of B.cond's reach */
  free(out.code);
  free(out.relocs);
  free(out.map);
  wm_module_free(m);
}

static void test_far_run(void) {
  char *src = big_wat();
  wm_module *m = load(src);
  free(src);
  rt_config cfg = {.aot = true};
  wrun_store *s = engine_store_new(&cfg);
  rt_error err;
  rt_error_clear(&err);
  wrun_instance *inst = s ? rt_instantiate(s, m, NULL, 0, &err) : NULL;
  if (!inst) fprintf(stderr, "big: instantiate: %s\n", err.message);
  CHECK(inst && aot_compiled_count(inst) == 1);
  if (inst) {
    run r = {m, s, inst};
    rt_val a[2];
    a[0] = I64(0), a[1] = I64(1);
    CHECK(call_i64(&r, "big", a, 2) == (uint64_t)big_expect(0, 1));
    a[1] = I64(2);
    CHECK(call_i64(&r, "big", a, 2) == (uint64_t)big_expect(0, 2));
    a[0] = I64(5); /* the skip over the body */
    CHECK(call_i64(&r, "big", a, 2) == (uint64_t)big_expect(5, 2));
    a[0] = I64(0), a[1] = I64(0); /* the first division's trap, 1.5 MiB before its stub */
    CHECK(call(&r, "big", a, 2, NULL) == TRAP(WRUN_TRAP_DIV_ZERO));
  }
  rt_store_free(s);
  wm_module_free(m);
}

int main(void) {
  test_compile_all();
  test_patch_cond();
  if (aot_host_arch() == AOT_ARCH_AARCH64 && aot_target_host()) {
    test_run();
    test_far_run(); /* compiles it too (the code size is checked on other hosts: qemu is slow) */
  } else {
    test_far_compile();
    printf("not an AArch64 host: code generation checked, not run\n");
  }
  if (*a64h_failures()) {
    fprintf(stderr, "%d check(s) failed\n", *a64h_failures());
    return 1;
  }
  printf("ok\n");
  return 0;
}
