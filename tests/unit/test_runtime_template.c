/*
 * test_runtime_template.c — instance templates (src/runtime/template.c) in
 * both tiers: an instance from a template behaves like one from
 * rt_instantiate (the same probe of memory, globals, tables, segments and
 * imports gives the same answers, also from a pooled instance after a reset);
 * copy-on-write isolation between instances; memory.grow after the image
 * was mapped; --max-memory limits; out-of-bounds segments trap in order as
 * before; configuration mismatches; rt_store_reset; several threads
 * instantiating one template at once.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <pthread.h>
#include <signal.h>
#include <cmocka.h>

#include "runtime/rt.h" /* the imported table's entries */
#include "text/text.h"
#include "valid/valid.h"

/* cmocka installs its own SIGSEGV and SIGBUS handlers around each test; the
 * runtime's (which turns a fault in a guard page into a trap) is put back
 * at the start of every test that may fault. */
static struct sigaction rt_segv, rt_bus;

static void save_wrun_fault_handler(void) {
  wrun_store *s = engine_store_new(NULL);
  wm_memtype mt = {{1, 0, false, false, false}};
  if (!s || !rt_memory_new(s, &mt)) abort(); /* installs the handler */
  rt_store_free(s);
  sigaction(SIGSEGV, NULL, &rt_segv);
  sigaction(SIGBUS, NULL, &rt_bus);
}

static void use_wrun_fault_handler(void) {
  sigaction(SIGSEGV, &rt_segv, NULL);
  sigaction(SIGBUS, &rt_bus, NULL);
}

static wm_module *load_wat(const char *src) {
  use_wrun_fault_handler();
  rt_error err;
  rt_error_clear(&err);
  uint8_t *bin = NULL;
  size_t len = 0;
  if (!wat_parse_to_binary(src, strlen(src), &bin, &len, &err)) fail_msg("wat: %s", err.message);
  wm_module *m = wm_module_decode(bin, len, &err);
  free(bin);
  if (!m || !wm_module_validate(m, &err)) fail_msg("module: %s", err.message);
  return m;
}

static int ntiers(void) {
#if defined(__x86_64__)
  return 2;
#else
  return 1;
#endif
}

/* ---- the equivalence probe ------------------------------------------------------- */

static const char *probe_wat =
    "(module\n"
    "  (import \"env\" \"g\" (global $gi i32))\n"
    "  (import \"env\" \"f\" (func $hf (param i32) (result i32)))\n"
    "  (memory (export \"mem\") 2 4)\n"
    "  (table $t 4 10 funcref)\n"
    "  (global $g (mut i32) (global.get $gi))\n"
    "  (global $gf (mut funcref) (ref.func $seven))\n"
    "  (global $gc i64 (i64.const 0x123456789))\n"
    "  (elem (table $t) (i32.const 1) func $seven $eight)\n"
    "  (elem $pe funcref (ref.func $eight) (ref.null func))\n"
    "  (data (i32.const 0) \"abcdefgh\")\n"
    "  (data (i32.const 4) \"XY\")\n"
    "  (data (i32.const 65536) \"page1\")\n"
    "  (data $pd \"passive\")\n"
    "  (start $st)\n"
    "  (func $st (i32.store8 (i32.const 100) (i32.const 0x77)) (global.set $g (i32.add (global.get $g) (i32.const 1))))\n"
    "  (func $seven (result i32) (i32.const 7))\n"
    "  (func $eight (result i32) (i32.const 8))\n"
    "  (func (export \"load\") (param i32) (result i32) (i32.load8_u (local.get 0)))\n"
    "  (func (export \"store\") (param i32 i32) (i32.store8 (local.get 0) (local.get 1)))\n"
    "  (func (export \"grow\") (param i32) (result i32) (memory.grow (local.get 0)))\n"
    "  (func (export \"size\") (result i32) (memory.size))\n"
    "  (func (export \"setg\") (param i32) (global.set $g (local.get 0)))\n"
    "  (func (export \"getg\") (result i32) (global.get $g))\n"
    "  (func (export \"getgc\") (result i32) (i32.wrap_i64 (i64.shr_u (global.get $gc) (i64.const 4))))\n"
    "  (func (export \"calli\") (param i32) (result i32) (call_indirect (result i32) (local.get 0)))\n"
    "  (func (export \"tgrow\") (param i32) (result i32) (table.grow $t (ref.null func) (local.get 0)))\n"
    "  (func (export \"tsize\") (result i32) (table.size $t))\n"
    "  (func (export \"tsetg\") (param i32) (table.set $t (local.get 0) (global.get $gf)))\n"
    "  (func (export \"init\") (param i32) (memory.init $pd (local.get 0) (i32.const 0) (i32.const 7)))\n"
    "  (func (export \"dropd\") (data.drop $pd))\n"
    "  (func (export \"einit\") (param i32) (table.init $t $pe (local.get 0) (i32.const 0) (i32.const 1)))\n"
    "  (func (export \"drope\") (elem.drop $pe))\n"
    "  (func (export \"callf\") (param i32) (result i32) (call $hf (local.get 0))))\n";

static bool host_f(rt_caller *c, void *env, uint64_t *slots) {
  (void)c;
  (*(int *)env)++;
  slots[0] = (uint32_t)slots[0] * 2 + 1;
  return true;
}

typedef struct probe_env {
  wrun_store *host;              /* owns the imports */
  rt_extern imports[2];
  int calls;
} probe_env;

static void probe_env_init(probe_env *pe, const wm_module *m, const rt_config *cfg) {
  pe->host = engine_store_new(cfg);
  pe->calls = 0;
  wm_globaltype gt = {WASM_I32, false};
  rt_val v = {.type = WASM_I32, .of.i32 = 41};
  pe->imports[0].kind = WASM_EXTERN_GLOBAL;
  pe->imports[0].of.global = rt_global_new(pe->host, &gt, &v);
  pe->imports[1].kind = WASM_EXTERN_FUNC;
  pe->imports[1].of.func = rt_func_new_host(pe->host, wm_module_func_type(m, 0), host_f, &pe->calls, "f");
  assert_non_null(pe->imports[0].of.global);
  assert_non_null(pe->imports[1].of.func);
}

#define TRAPPED UINT64_C(0xDEAD000000000000)

/* Calls an export with up to two i32 arguments: its i32 result, 0 for
 * none, or TRAPPED | trap kind. */
static uint64_t call(wrun_store *s, wrun_instance *inst, const char *name, int nargs, uint32_t a, uint32_t b) {
  rt_extern x;
  if (!rt_instance_export(inst, name, strlen(name), &x) || x.kind != WASM_EXTERN_FUNC) fail_msg("no %s", name);
  rt_val args[2] = {{.type = WASM_I32, .of.i32 = a}, {.type = WASM_I32, .of.i32 = b}}, res[1];
  memset(res, 0, sizeof res);
  rt_error err;
  rt_error_clear(&err);
  uint32_t nres = rt_func_type(x.of.func)->nresults;
  if (!rt_call(s, x.of.func, args, (uint32_t)nargs, res, nres, &err)) return TRAPPED | rt_store_trap_kind(s);
  return nres ? res[0].of.i32 : 0;
}

enum { PROBE_N = 48 };

/* Observes and changes everything instantiation sets up, in one fixed order. */
static void probe(wrun_store *s, wrun_instance *inst, uint64_t out[PROBE_N]) {
  int k = 0;
  static const uint32_t addrs[] = {0, 3, 4, 5, 6, 7, 8, 100, 65536, 65540, 65541, 131071};
  for (size_t i = 0; i < sizeof addrs / sizeof *addrs; i++) out[k++] = call(s, inst, "load", 1, addrs[i], 0);
  out[k++] = call(s, inst, "load", 1, 131072, 0);         /* trap: beyond 2 pages */
  out[k++] = call(s, inst, "getg", 0, 0, 0);              /* 41 + 1 from start */
  out[k++] = call(s, inst, "getgc", 0, 0, 0);
  out[k++] = call(s, inst, "size", 0, 0, 0);
  out[k++] = call(s, inst, "tsize", 0, 0, 0);
  for (uint32_t i = 0; i < 5; i++) out[k++] = call(s, inst, "calli", 1, i, 0);
  out[k++] = call(s, inst, "callf", 1, 20, 0);
  out[k++] = call(s, inst, "init", 1, 200, 0);
  out[k++] = call(s, inst, "load", 1, 206, 0);
  out[k++] = call(s, inst, "dropd", 0, 0, 0);
  out[k++] = call(s, inst, "init", 1, 300, 0);            /* trap: dropped */
  out[k++] = call(s, inst, "einit", 1, 0, 0);
  out[k++] = call(s, inst, "calli", 1, 0, 0);             /* 8 now */
  out[k++] = call(s, inst, "drope", 0, 0, 0);
  out[k++] = call(s, inst, "einit", 1, 3, 0);             /* trap: dropped */
  out[k++] = call(s, inst, "tsetg", 1, 3, 0);
  out[k++] = call(s, inst, "calli", 1, 3, 0);             /* 7 through the funcref global */
  out[k++] = call(s, inst, "store", 2, 0, 'z');
  out[k++] = call(s, inst, "setg", 1, 1000, 0);
  out[k++] = call(s, inst, "grow", 1, 1, 0);
  out[k++] = call(s, inst, "store", 2, 131072 + 9, 'q');
  out[k++] = call(s, inst, "load", 1, 131072 + 9, 0);
  out[k++] = call(s, inst, "grow", 1, 2, 0);              /* -1: max 4 */
  out[k++] = call(s, inst, "tgrow", 1, 3, 0);
  out[k++] = call(s, inst, "tsize", 0, 0, 0);
  out[k++] = call(s, inst, "calli", 1, 6, 0);             /* null entry */
  out[k++] = call(s, inst, "load", 1, 0, 0);
  out[k++] = call(s, inst, "getg", 0, 0, 0);
  while (k < PROBE_N) out[k++] = 0;
}

static void test_equivalence_and_reset(void **state) {
  (void)state;
  wm_module *m = load_wat(probe_wat);
  for (int aot = 0; aot < ntiers(); aot++) {
    rt_config cfg = {0};
    cfg.aot = aot;
    probe_env pe;
    probe_env_init(&pe, m, &cfg);
    rt_error err;
    rt_error_clear(&err);

    uint64_t want[PROBE_N], got[PROBE_N];
    wrun_store *ref = engine_store_new(&cfg);
    wrun_instance *ri = rt_instantiate(ref, m, pe.imports, 2, &err);
    if (!ri) fail_msg("instantiate: %s", err.message);
    probe(ref, ri, want);
    assert_int_equal(want[0], 'a');
    assert_int_equal(want[2], 'X');
    assert_int_equal(want[7], 0x77);
    assert_int_equal(want[8], 'p');
    assert_int_equal(want[13], 42);
    assert_true(want[12] & TRAPPED);

    rt_template *t = engine_template_new(m, &cfg, pe.imports, 2, &err);
    if (!t) fail_msg("template: %s", err.message);
    assert_true(rt_template_image_bytes(t) >= 8192); /* pages 0 and 16 */
    wrun_store *s = engine_store_new(rt_template_config(t));
    wrun_instance *first = NULL;
    for (int round = 0; round < 3; round++) { /* fresh, then reset from the pool twice */
      wrun_instance *inst = rt_template_instantiate(t, s, &err);
      if (!inst) fail_msg("template instantiate: %s", err.message);
      if (round == 0) first = inst;
      else assert_ptr_equal(inst, first);
      probe(s, inst, got);
      for (int i = 0; i < PROBE_N; i++)
        if (got[i] != want[i])
          fail_msg("tier %d round %d probe %d: template %llx, rt_instantiate %llx", aot, round, i,
                   (unsigned long long)got[i], (unsigned long long)want[i]);
      assert_true(rt_instance_release(s, inst));
      assert_false(rt_instance_release(s, inst)); /* already released */
    }
    assert_false(rt_instance_release(ref, ri));   /* not from a template */
    assert_int_equal(pe.calls, 4);
    rt_store_free(s);
    rt_template_free(t);
    rt_store_free(ref);
    rt_store_free(pe.host);
  }
  wm_module_free(m);
}

/* rt_instance_renew: the same instance object, live throughout, gives what a
 * fresh rt_instantiate gives after the probe changed everything; it refuses
 * instances that are not a template's in this store. */
static void test_renew_in_place(void **state) {
  (void)state;
  wm_module *m = load_wat(probe_wat);
  for (int aot = 0; aot < ntiers(); aot++) {
    rt_config cfg = {0};
    cfg.aot = aot;
    probe_env pe;
    probe_env_init(&pe, m, &cfg);
    rt_error err;
    rt_error_clear(&err);
    uint64_t want[PROBE_N], got[PROBE_N];
    wrun_store *ref = engine_store_new(&cfg);
    wrun_instance *ri = rt_instantiate(ref, m, pe.imports, 2, &err);
    assert_non_null(ri);
    probe(ref, ri, want);
    rt_template *t = engine_template_new(m, &cfg, NULL, 0, &err); /* imports given per instance */
    assert_non_null(t);
    wrun_store *s = engine_store_new(rt_template_config(t));
    wrun_instance *inst = rt_template_instantiate_with(t, s, pe.imports, 2, &err);
    if (!inst) fail_msg("instantiate: %s", err.message);
    rt_extern mem0;
    assert_true(rt_instance_export(inst, "mem", 3, &mem0));
    for (int round = 0; round < 3; round++) {
      if (round && !rt_instance_renew(s, inst, &err)) fail_msg("renew: %s", err.message);
      rt_extern mem;
      assert_true(rt_instance_export(inst, "mem", 3, &mem));
      assert_ptr_equal(mem.of.memory, mem0.of.memory); /* the same objects: importers stay valid */
      probe(s, inst, got);
      for (int i = 0; i < PROBE_N; i++)
        if (got[i] != want[i])
          fail_msg("tier %d round %d probe %d: renewed %llx, rt_instantiate %llx", aot, round, i,
                   (unsigned long long)got[i], (unsigned long long)want[i]);
    }
    assert_int_equal(pe.calls, 4); /* one callf per probe: the reference and three rounds */
    assert_false(rt_instance_renew(ref, ri, &err));   /* not from a template */
    assert_int_equal(err.kind, WRUN_ERR_USAGE);
    assert_false(rt_instance_renew(ref, inst, &err)); /* another store's */
    rt_store_free(s);
    rt_template_free(t);
    rt_store_free(ref);
    rt_store_free(pe.host);
  }
  wm_module_free(m);
}

/* ---- copy-on-write ------------------------------------------------------------------ */

static void test_cow_isolation_and_grow(void **state) {
  (void)state;
  wm_module *m = load_wat(probe_wat);
  for (int aot = 0; aot < ntiers(); aot++) {
    rt_config cfg = {0};
    cfg.aot = aot;
    probe_env pe;
    probe_env_init(&pe, m, &cfg);
    rt_error err;
    rt_error_clear(&err);
    rt_template *t = engine_template_new(m, &cfg, pe.imports, 2, &err);
    assert_non_null(t);
    wrun_store *s = engine_store_new(&cfg);
    wrun_instance *a = rt_template_instantiate(t, s, &err);
    wrun_instance *b = rt_template_instantiate(t, s, &err);
    assert_non_null(a);
    assert_non_null(b);
    assert_ptr_not_equal(a, b);
    /* a write in one live instance is not seen by the other */
    assert_int_equal(call(s, a, "store", 2, 1, 'Q'), 0);
    assert_int_equal(call(s, a, "load", 1, 1, 0), 'Q');
    assert_int_equal(call(s, b, "load", 1, 1, 0), 'b');
    /* nor through the host's view of the memory */
    rt_extern ma, mb;
    assert_true(rt_instance_export(a, "mem", 3, &ma));
    assert_true(rt_instance_export(b, "mem", 3, &mb));
    assert_ptr_not_equal(rt_memory_data(ma.of.memory), rt_memory_data(mb.of.memory));
    assert_int_equal(rt_memory_data(mb.of.memory)[1], 'b');
    rt_memory_data(mb.of.memory)[65537] = '!';
    assert_int_equal(call(s, a, "load", 1, 65537, 0), 'a');
    /* grow after the image was mapped: new pages are zero, the image stays */
    assert_int_equal(call(s, a, "grow", 1, 2, 0), 2);
    assert_int_equal(call(s, a, "size", 0, 0, 0), 4);
    assert_int_equal(call(s, a, "load", 1, 4 * 65536 - 1, 0), 0);
    assert_int_equal(call(s, a, "store", 2, 4 * 65536 - 1, 9), 0);
    assert_int_equal(call(s, a, "load", 1, 4 * 65536 - 1, 0), 9);
    assert_int_equal(call(s, a, "load", 1, 65536, 0), 'p');
    assert_int_equal(call(s, a, "load", 1, 1, 0), 'Q');
    assert_int_equal(call(s, a, "grow", 1, 1, 0), (uint32_t)-1);
    assert_int_equal(call(s, b, "size", 0, 0, 0), 2);
    wrun_store *other = engine_store_new(&cfg);
    assert_false(rt_instance_release(other, a)); /* not its store */
    rt_store_free(other);
    /* the next instance of the pool (a's, reset) sees the image again, at
     * its initial size, with the grown pages inaccessible */
    assert_true(rt_instance_release(s, a));
    wrun_instance *c = rt_template_instantiate(t, s, &err);
    assert_ptr_equal(c, a);
    assert_int_equal(call(s, c, "load", 1, 1, 0), 'b');
    assert_int_equal(call(s, c, "size", 0, 0, 0), 2);
    assert_int_equal(call(s, c, "load", 1, 4 * 65536 - 1, 0), TRAPPED | WRUN_TRAP_MEMORY_OOB);
    assert_int_equal(call(s, c, "load", 1, 65537, 0), 'a');
    /* a template made later maps the same, untouched image */
    rt_template *t2 = engine_template_new(m, &cfg, pe.imports, 2, &err);
    wrun_store *s2 = engine_store_new(&cfg);
    wrun_instance *d = rt_template_instantiate(t2, s2, &err);
    assert_non_null(d);
    assert_int_equal(call(s2, d, "load", 1, 1, 0), 'b');
    rt_store_free(s2);
    rt_template_free(t2);
    rt_store_free(s); /* frees a/c and b, still in use */
    rt_template_free(t);
    rt_store_free(pe.host);
  }
  wm_module_free(m);
}

/* ---- limits and bad segments ------------------------------------------------------- */

static void test_max_memory(void **state) {
  (void)state;
  wm_module *m = load_wat(probe_wat);
  for (int aot = 0; aot < ntiers(); aot++) {
    rt_config cfg = {0};
    cfg.aot = aot;
    cfg.max_memory_bytes = 3 * 65536;
    probe_env pe;
    probe_env_init(&pe, m, &cfg);
    rt_error err;
    rt_error_clear(&err);
    rt_template *t = engine_template_new(m, &cfg, pe.imports, 2, &err);
    assert_non_null(t);
    wrun_store *s = engine_store_new(&cfg);
    wrun_instance *inst = rt_template_instantiate(t, s, &err);
    assert_non_null(inst);
    assert_int_equal(call(s, inst, "grow", 1, 2, 0), (uint32_t)-1);
    assert_int_equal(call(s, inst, "grow", 1, 1, 0), 2);
    rt_store_free(s);
    rt_template_free(t);
    /* a minimum over the limit: the same error as rt_instantiate, every time */
    cfg.max_memory_bytes = 65536;
    t = engine_template_new(m, &cfg, pe.imports, 2, &err);
    assert_non_null(t);
    assert_int_equal(rt_template_image_bytes(t), 0);
    s = engine_store_new(&cfg);
    rt_error e1, e2;
    rt_error_clear(&e1);
    rt_error_clear(&e2);
    assert_null(rt_instantiate(s, m, pe.imports, 2, &e1));
    for (int i = 0; i < 2; i++) {
      rt_error_clear(&e2);
      assert_null(rt_template_instantiate(t, s, &e2));
      assert_int_equal(e1.kind, WRUN_ERR_LIMIT);
      assert_int_equal(e2.kind, e1.kind);
      assert_string_equal(e2.message, e1.message);
    }
    rt_store_free(s);
    rt_template_free(t);
    rt_store_free(pe.host);
  }
  wm_module_free(m);
}

/* Segments that do not fit: no image; the trap comes at the same segment as
 * with rt_instantiate, after the earlier ones were written (visible here
 * through an imported memory and table). */
static void test_segments_out_of_bounds(void **state) {
  (void)state;
  wm_module *m = load_wat("(module (import \"env\" \"mem\" (memory 1)) (import \"env\" \"tab\" (table 2 funcref))\n"
                            "  (func $f) (elem (i32.const 0) $f) (elem (i32.const 1) $f $f)\n"
                            "  (data (i32.const 0) \"ok\"))");
  wm_module *m2 = load_wat("(module (import \"env\" \"mem\" (memory 1))\n"
                             "  (data (i32.const 0) \"ok\") (data (i32.const 65535) \"xx\"))");
  wm_module *m3 = load_wat("(module (memory 1) (data (i32.const 10) \"ok\") (data (i32.const 65534) \"xyz\"))");
  for (int aot = 0; aot < ntiers(); aot++) {
    rt_config cfg = {0};
    cfg.aot = aot;
    wrun_store *s = engine_store_new(&cfg);
    wm_memtype mt = {{1, 0, false, false, false}};
    wm_tabletype tt = {WASM_FUNCREF, {2, 0, false, false, false}};
    rt_extern im[2] = {{.kind = WASM_EXTERN_MEMORY, .of.memory = rt_memory_new(s, &mt)},
                         {.kind = WASM_EXTERN_TABLE, .of.table = rt_table_new(s, &tt, NULL)}};
    rt_error err, ref;
    rt_error_clear(&err);
    rt_error_clear(&ref);
    /* element segment 2 traps: the first was applied, the data never is */
    rt_template *t = engine_template_new(m, &cfg, im, 2, &err);
    assert_non_null(t);
    assert_null(rt_template_instantiate(t, s, &err));
    assert_int_equal(err.kind, WRUN_ERR_TRAP);
    assert_string_equal(err.message, "out of bounds table access");
    rt_error_clear(&err);
    assert_non_null(im[1].of.table->elems[0]);
    assert_null(im[1].of.table->elems[1]);
    assert_int_equal(rt_memory_data(im[0].of.memory)[0], 0);
    /* the store pools the failed instance: trim it before freeing its
     * template (runtime.h), or the next template, if malloc places it at the
     * same address, would be handed that instance (seen on AArch64) */
    rt_store_trim(s);
    rt_template_free(t);
    /* data into an imported memory: copied; the second segment traps */
    t = engine_template_new(m2, &cfg, im, 1, &err);
    assert_non_null(t);
    assert_int_equal(rt_template_image_bytes(t), 0);
    assert_null(rt_instantiate(s, m2, im, 1, &ref));
    assert_memory_equal(rt_memory_data(im[0].of.memory), "ok", 2);
    memset(rt_memory_data(im[0].of.memory), 0, 2);
    assert_null(rt_template_instantiate(t, s, &err));
    assert_int_equal(err.kind, ref.kind);
    assert_string_equal(err.message, ref.message);
    assert_string_equal(err.message, "out of bounds memory access");
    assert_memory_equal(rt_memory_data(im[0].of.memory), "ok", 2);
    assert_int_equal(rt_memory_data(im[0].of.memory)[65535], 0);
    /* a defined memory: no image either, the same trap, and again from the pool */
    rt_template *t3 = engine_template_new(m3, &cfg, NULL, 0, &err);
    assert_non_null(t3);
    assert_int_equal(rt_template_image_bytes(t3), 0);
    for (int i = 0; i < 2; i++) {
      rt_error_clear(&err);
      assert_null(rt_template_instantiate(t3, s, &err));
      assert_string_equal(err.message, "out of bounds memory access");
    }
    rt_store_free(s);
    rt_template_free(t);
    rt_template_free(t3);
  }
  wm_module_free(m);
  wm_module_free(m2);
  wm_module_free(m3);
}

static void test_link_errors_and_config(void **state) {
  (void)state;
  wm_module *m = load_wat(probe_wat);
  rt_config cfg = {0};
  probe_env pe;
  probe_env_init(&pe, m, &cfg);
  rt_error err, ref;
  rt_error_clear(&err);
  rt_error_clear(&ref);
  rt_extern swapped[2] = {pe.imports[1], pe.imports[0]};
  wrun_store *s = engine_store_new(&cfg);
  assert_null(rt_instantiate(s, m, swapped, 2, &ref));
  assert_null(engine_template_new(m, &cfg, swapped, 2, &err));
  assert_int_equal(err.kind, WRUN_ERR_LINK);
  assert_string_equal(err.message, ref.message);
  rt_error_clear(&err);
  assert_null(engine_template_new(m, &cfg, pe.imports, 1, &err));
  assert_int_equal(err.kind, WRUN_ERR_LINK);
  rt_template *t = engine_template_new(m, &cfg, pe.imports, 2, &err);
  assert_non_null(t);
  rt_config other = cfg;
  other.max_memory_bytes = 1 << 20;
  wrun_store *s2 = engine_store_new(&other);
  rt_error_clear(&err);
  assert_null(rt_template_instantiate(t, s2, &err));
  assert_int_equal(err.kind, WRUN_ERR_USAGE);
  rt_store_free(s2);
  rt_store_free(s);
  rt_template_free(t);
  rt_store_free(pe.host);
  wm_module_free(m);
}

/* Imports given per instantiation: a pooled instance relinked to other host
 * functions calls the new ones (in the interpreter, its translated code is
 * dropped); a mismatch is the link error of rt_instantiate. */
static void test_imports_per_instance(void **state) {
  (void)state;
  wm_module *m = load_wat(probe_wat);
  for (int aot = 0; aot < ntiers(); aot++) {
    rt_config cfg = {0};
    cfg.aot = aot;
    probe_env a, b;
    probe_env_init(&a, m, &cfg);
    probe_env_init(&b, m, &cfg);
    rt_error err, ref;
    rt_error_clear(&err);
    rt_error_clear(&ref);
    rt_template *t = engine_template_new(m, &cfg, NULL, 0, &err);
    assert_non_null(t);
    wrun_store *s = engine_store_new(&cfg);
    assert_null(rt_template_instantiate(t, s, &err));
    assert_int_equal(err.kind, WRUN_ERR_USAGE);
    wrun_instance *first = NULL;
    for (int round = 0; round < 4; round++) {
      probe_env *pe = round % 2 ? &b : &a;
      rt_error_clear(&err);
      wrun_instance *inst = rt_template_instantiate_with(t, s, pe->imports, 2, &err);
      if (!inst) fail_msg("instantiate_with: %s", err.message);
      if (round == 0) first = inst;
      assert_ptr_equal(inst, first);
      assert_int_equal(call(s, inst, "callf", 1, 5, 0), 11);
      assert_int_equal(call(s, inst, "getg", 0, 0, 0), 42);
      rt_instance_release(s, inst);
    }
    assert_int_equal(a.calls, 2);
    assert_int_equal(b.calls, 2);
    rt_extern swapped[2] = {a.imports[1], a.imports[0]};
    assert_null(rt_instantiate(s, m, swapped, 2, &ref));
    rt_error_clear(&err);
    assert_null(rt_template_instantiate_with(t, s, swapped, 2, &err));
    assert_int_equal(err.kind, WRUN_ERR_LINK);
    assert_string_equal(err.message, ref.message);
    rt_error_clear(&err);
    wrun_instance *inst = rt_template_instantiate_with(t, s, b.imports, 2, &err);
    assert_ptr_equal(inst, first);
    assert_int_equal(call(s, inst, "callf", 1, 1, 0), 3);
    assert_int_equal(b.calls, 3);
    rt_store_free(s);
    rt_template_free(t);
    rt_store_free(a.host);
    rt_store_free(b.host);
  }
  wm_module_free(m);
}

/* ---- store reset, start traps ------------------------------------------------------- */

static void test_store_reset(void **state) {
  (void)state;
  wm_module *m = load_wat(probe_wat);
  rt_config cfg = {0};
  cfg.fuel = 100000;
  cfg.interruptible = true;
  probe_env pe;
  probe_env_init(&pe, m, &cfg);
  rt_error err;
  rt_error_clear(&err);
  rt_template *t = engine_template_new(m, &cfg, pe.imports, 2, &err);
  wrun_store *s = engine_store_new(&cfg);
  int marker;
  rt_store_set_data(s, &marker);
  wrun_instance *a = rt_template_instantiate(t, s, &err), *b = rt_template_instantiate(t, s, &err);
  assert_non_null(a);
  assert_non_null(b);
  call(s, a, "store", 2, 0, 1);
  assert_int_equal(call(s, a, "load", 1, 1 << 20, 0), TRAPPED | WRUN_TRAP_MEMORY_OOB);
  assert_true(rt_store_fuel_left(s) < 100000);
  /* refill: fuel and the interrupt request, instances stay */
  int64_t left = rt_store_fuel_left(s);
  rt_store_interrupt(s);
  assert_int_equal(call(s, a, "load", 1, 0, 0), TRAPPED | WRUN_TRAP_TIMEOUT);
  assert_int_equal(call(s, a, "load", 1, 0, 0), TRAPPED | WRUN_TRAP_TIMEOUT); /* until cleared */
  rt_store_refill(s);
  assert_true(rt_store_fuel_left(s) > left);
  assert_int_equal(call(s, a, "load", 1, 0, 0), 1);
  assert_int_equal(rt_store_trap_kind(s), WRUN_TRAP_NONE);
  call(s, a, "load", 1, 1 << 20, 0);
  rt_store_reset(s);
  assert_int_equal(rt_store_trap_kind(s), WRUN_TRAP_NONE);
  assert_int_equal(rt_store_fuel_left(s), 100000);
  assert_ptr_equal(rt_store_data(s), &marker);
  assert_false(rt_instance_release(s, a)); /* the reset released both */
  assert_false(rt_instance_release(s, b));
  wrun_instance *c = rt_template_instantiate(t, s, &err), *d = rt_template_instantiate(t, s, &err);
  assert_true((c == a && d == b) || (c == b && d == a));
  assert_int_equal(call(s, c, "load", 1, 0, 0), 'a');
  assert_int_equal(call(s, d, "load", 1, 0, 0), 'a');
  /* trim frees the pooled one only; then the template may go first */
  rt_instance_release(s, c);
  rt_store_trim(s);
  wrun_instance *e = rt_template_instantiate(t, s, &err);
  assert_non_null(e);
  assert_int_equal(call(s, d, "load", 1, 1, 0), 'b');
  assert_int_equal(call(s, e, "load", 1, 1, 0), 'b');
  rt_store_reset(s);
  rt_store_trim(s);
  rt_template_free(t);
  rt_store_free(s);
  rt_store_free(pe.host);
  wm_module_free(m);
}

static void test_start_trap(void **state) {
  (void)state;
  wm_module *m = load_wat("(module (memory 1) (data (i32.const 0) \"x\") (start $s) (func $s unreachable))");
  for (int aot = 0; aot < ntiers(); aot++) {
    rt_config cfg = {0};
    cfg.aot = aot;
    rt_error err;
    rt_error_clear(&err);
    rt_template *t = engine_template_new(m, &cfg, NULL, 0, &err);
    assert_non_null(t);
    assert_int_equal(rt_template_image_bytes(t), 4096);
    wrun_store *s = engine_store_new(&cfg);
    for (int i = 0; i < 3; i++) {
      rt_error_clear(&err);
      assert_null(rt_template_instantiate(t, s, &err));
      assert_int_equal(err.kind, WRUN_ERR_TRAP);
      assert_int_equal(rt_store_trap_kind(s), WRUN_TRAP_UNREACHABLE);
    }
    rt_store_free(s);
    rt_template_free(t);
  }
  wm_module_free(m);
}

/* ---- no growth ----------------------------------------------------------------------- */

static int count_lines(const char *path) {
  FILE *f = fopen(path, "r");
  if (!f) return -1;
  int n = 0, c;
  while ((c = fgetc(f)) != EOF) n += c == '\n';
  fclose(f);
  return n;
}

static int count_fds(void) {
  int n = 0;
  for (int fd = 0; fd < 1024; fd++) {
    char p[64];
    snprintf(p, sizeof p, "/proc/self/fd/%d", fd);
    FILE *f = fopen(p, "r"); /* opening /proc/self/fd/N fails for a closed N */
    if (f) {
      n++;
      fclose(f);
    }
  }
  return n;
}

/* Many instantiate / write / grow / release cycles leave the process with
 * as many mappings and descriptors as one cycle did. */
static void test_no_growth(void **state) {
  (void)state;
  wm_module *m = load_wat(probe_wat);
  for (int aot = 0; aot < ntiers(); aot++) {
    rt_config cfg = {0};
    cfg.aot = aot;
    probe_env pe;
    probe_env_init(&pe, m, &cfg);
    rt_error err;
    rt_error_clear(&err);
    rt_template *t = engine_template_new(m, &cfg, pe.imports, 2, &err);
    wrun_store *s = engine_store_new(&cfg);
    int maps = 0, fds = 0;
    for (int i = 0; i < 400; i++) {
      wrun_instance *inst = rt_template_instantiate(t, s, &err);
      if (!inst) fail_msg("cycle %d: %s", i, err.message);
      assert_int_equal(call(s, inst, "load", 1, 65536, 0), 'p');
      call(s, inst, "store", 2, (uint32_t)i * 97 % 131072, 1);
      if (i % 2) assert_int_equal(call(s, inst, "grow", 1, 1, 0), 2);
      if (i % 3 == 0) call(s, inst, "tgrow", 1, 2, 0);
      rt_instance_release(s, inst);
      if (i == 1) {
        maps = count_lines("/proc/self/maps");
        fds = count_fds();
      }
    }
    assert_int_equal(count_lines("/proc/self/maps"), maps);
    assert_int_equal(count_fds(), fds);
    rt_store_free(s);
    rt_template_free(t);
    rt_store_free(pe.host);
  }
  wm_module_free(m);
}

/* ---- threads ----------------------------------------------------------------------- */

typedef struct worker {
  const rt_template *t;
  uint32_t id;
  int failures;
} worker;

static void *work(void *arg) {
  worker *w = arg;
  wrun_store *s = engine_store_new(rt_template_config(w->t));
  rt_error err;
  rt_error_clear(&err);
  for (uint32_t i = 0; i < 300 && s; i++) {
    wrun_instance *inst = rt_template_instantiate(w->t, s, &err);
    if (!inst) {
      w->failures++;
      continue;
    }
    if (call(s, inst, "load", 1, 3, 0) != 'd' || call(s, inst, "getg", 0, 0, 0) != 42) w->failures++;
    call(s, inst, "store", 2, 3, w->id);
    call(s, inst, "setg", 1, w->id, 0);
    if (call(s, inst, "load", 1, 3, 0) != w->id) w->failures++;
    rt_instance_release(s, inst);
  }
  if (!s) w->failures++;
  rt_store_free(s);
  return NULL;
}

static void test_threads(void **state) {
  (void)state;
  wm_module *m = load_wat(probe_wat);
  for (int aot = 0; aot < ntiers(); aot++) {
    rt_config cfg = {0};
    cfg.aot = aot;
    probe_env pe;
    probe_env_init(&pe, m, &cfg);
    rt_error err;
    rt_error_clear(&err);
    rt_template *t = engine_template_new(m, &cfg, pe.imports, 2, &err);
    assert_non_null(t);
    worker w[4];
    pthread_t th[4];
    for (uint32_t i = 0; i < 4; i++) {
      w[i] = (worker){t, 0xA0 + i, 0};
      assert_int_equal(pthread_create(&th[i], NULL, work, &w[i]), 0);
    }
    for (int i = 0; i < 4; i++) {
      pthread_join(th[i], NULL);
      assert_int_equal(w[i].failures, 0);
    }
    rt_template_free(t);
    rt_store_free(pe.host);
  }
  wm_module_free(m);
}

int main(void) {
  save_wrun_fault_handler();
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_equivalence_and_reset),
    cmocka_unit_test(test_renew_in_place),
    cmocka_unit_test(test_cow_isolation_and_grow),
    cmocka_unit_test(test_max_memory),
    cmocka_unit_test(test_segments_out_of_bounds),
    cmocka_unit_test(test_link_errors_and_config),
    cmocka_unit_test(test_imports_per_instance),
    cmocka_unit_test(test_store_reset),
    cmocka_unit_test(test_start_trap),
    cmocka_unit_test(test_no_growth),
    cmocka_unit_test(test_threads),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
