/*
 * test_capi_api.c — the embedding API (include/wasm.h, include/wrun.h) on
 * what the example hosts do not cover: errors by phase, fuel, interrupts
 * and deadlines, memory and call-depth limits, host traps and externrefs,
 * host-made memories, tables and globals as imports, vectors and types,
 * WASI misuse, a WASI guest's stdout redirected to a pipe or closed, and
 * traps of nested calls (wasm -> host -> wasm). Modules are written in the
 * text format (src/text).
 */
#include <setjmp.h>
#include <signal.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "text/text.h"
#include "wrun.h"

/* The engine's own answer to "is there a code generator for this host"
 * (src/aot/aot.h, not included here: its internal enums would clash with
 * wasm.h's); NULL on a host the AOT tier has no backend for (AArch64 today). */
const struct aot_target *aot_target_host(void);

/* A module from WAT text in `engine` (fails the test when it does not load). */
static wasm_module_t *wat(wasm_engine_t *engine, const char *src) {
  uint8_t *bin;
  size_t len;
  rt_error e;
  rt_error_clear(&e);
  if (!wat_parse_to_binary(src, strlen(src), &bin, &len, &e)) fail_msg("wat: %s", e.message);
  wrun_error_t *err = NULL;
  wasm_module_t *m = wrun_module_new(engine, bin, len, &err);
  free(bin);
  if (!m) fail_msg("module: %s", wrun_error_message(err));
  return m;
}

static wasm_instance_t *instantiate(wasm_store_t *s, wasm_module_t *m) {
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  wrun_error_t *err = NULL;
  wasm_instance_t *inst = wrun_instance_new(s, m, &none, &err);
  if (!inst) fail_msg("instantiate: %s", wrun_error_message(err));
  return inst;
}

/* Calls export `name` with up to one i32 argument; returns the trap (owned) or NULL. */
static wasm_trap_t *call(wasm_instance_t *inst, const char *name, const wasm_val_t *arg, wasm_val_t *res) {
  wasm_extern_t *ex = wrun_instance_export(inst, name);
  assert_non_null(ex);
  const wasm_func_t *f = wasm_extern_as_func(ex);
  wasm_val_vec_t args = {arg ? 1 : 0, (wasm_val_t *)arg}, results = {res ? 1 : 0, res};
  wasm_trap_t *t = wasm_func_call(f, &args, &results);
  wasm_extern_delete(ex);
  return t;
}

static void expect_phase(wasm_engine_t *e, const uint8_t *bytes, size_t len, wrun_phase_t phase, const char *text) {
  wrun_error_t *err = NULL;
  assert_null(wrun_module_new(e, bytes, len, &err));
  assert_non_null(err);
  assert_int_equal(wrun_error_phase(err), phase);
  if (!strstr(wrun_error_message(err), text)) fail_msg("'%s' lacks '%s'", wrun_error_message(err), text);
  wrun_error_delete(err);
}

static void test_errors_by_phase(void **state) {
  (void)state;
  wasm_engine_t *e = wasm_engine_new();
  static const uint8_t bad_version[] = {0, 'a', 's', 'm', 2, 0, 0, 0};
  expect_phase(e, bad_version, sizeof bad_version, WRUN_PHASE_DECODE, "version");
  /* (func (result i32)) with an empty body: a type error */
  static const uint8_t invalid[] = {0, 'a', 's', 'm', 1, 0, 0, 0, 1, 5, 1, 0x60, 0, 1, 0x7f,
                                    3, 2, 1, 0, 10, 4, 1, 2, 0, 0x0b};
  expect_phase(e, invalid, sizeof invalid, WRUN_PHASE_VALIDATE, "");
  wrun_error_t *err = NULL;
  assert_null(wrun_module_new(NULL, invalid, sizeof invalid, &err));
  assert_int_equal(wrun_error_phase(err), WRUN_PHASE_USAGE);
  wrun_error_delete(err);

  wasm_store_t *s = wasm_store_new(e);
  /* link: an import not given, and one of the wrong type */
  wasm_module_t *m = wat(e, "(module (import \"env\" \"f\" (func (param i32))))");
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  assert_null(wrun_instance_new(s, m, &none, &err));
  assert_int_equal(wrun_error_phase(err), WRUN_PHASE_LINK);
  wrun_error_delete(err);
  wasm_globaltype_t *gt = wasm_globaltype_new(wasm_valtype_new_i32(), WASM_CONST);
  wasm_val_t v = WASM_I32_VAL(5);
  wasm_global_t *g = wasm_global_new(s, gt, &v);
  wasm_globaltype_delete(gt);
  wasm_extern_t *gx[] = {wasm_global_as_extern(g)};
  wasm_extern_vec_t wrong = WASM_ARRAY_VEC(gx);
  wasm_trap_t *trap = NULL;
  assert_null(wasm_instance_new(s, m, &wrong, &trap));
  assert_non_null(trap); /* the standard API reports it as a trap */
  wasm_trap_delete(trap);
  wasm_global_delete(g);
  wasm_module_delete(m);
  /* start: a trap while instantiating */
  m = wat(e, "(module (func $s unreachable) (start $s))");
  assert_null(wrun_instance_new(s, m, &none, &err));
  assert_int_equal(wrun_error_phase(err), WRUN_PHASE_START);
  assert_non_null(strstr(wrun_error_message(err), "unreachable"));
  wrun_error_delete(err);
  /* the standard API gives the same as a trap with its frame */
  assert_null(wasm_instance_new(s, m, &none, &trap));
  assert_non_null(trap);
  wasm_message_t msg;
  wasm_trap_message(trap, &msg);
  assert_string_equal(msg.data, "unreachable");
  wasm_byte_vec_delete(&msg);
  wasm_frame_t *origin = wasm_trap_origin(trap);
  assert_non_null(origin);
  assert_int_equal(wasm_frame_func_index(origin), 0);
  wasm_frame_delete(origin);
  assert_int_equal(wrun_trap_cause(trap), WRUN_CAUSE_WASM);
  wasm_trap_delete(trap);
  wasm_module_delete(m);
  /* a call with no room for its result: its own trap if it traps, else one saying the result did not fit */
  m = wat(e, "(module (func (export \"boom\") (result i32) unreachable) (func (export \"one\") (result i32) i32.const 1))");
  wasm_instance_t *inst = instantiate(s, m);
  wasm_extern_t *boom = wrun_instance_export(inst, "boom"), *one = wrun_instance_export(inst, "one");
  wasm_val_vec_t empty = WASM_EMPTY_VEC;
  trap = wasm_func_call(wasm_extern_as_func(boom), &empty, &empty);
  assert_non_null(trap);
  wasm_trap_message(trap, &msg);
  assert_string_equal(msg.data, "unreachable");
  wasm_byte_vec_delete(&msg);
  wasm_trap_delete(trap);
  trap = wasm_func_call(wasm_extern_as_func(one), &empty, &empty);
  assert_non_null(trap);
  assert_int_equal(wrun_trap_cause(trap), WRUN_CAUSE_OTHER);
  wasm_trap_delete(trap);
  wasm_extern_delete(boom);
  wasm_extern_delete(one);
  wasm_instance_delete(inst);
  wasm_module_delete(m);
  wasm_store_delete(s);
  wasm_engine_delete(e);
}

static const char *spin_wat =
    "(module (func (export \"spin\") (loop $l (br $l)))"
    "        (func (export \"one\") (result i32) (i32.const 1)))";

static void test_fuel(void **state) {
  (void)state;
  wasm_config_t *c = wasm_config_new();
  wrun_config_set_fuel(c, 10000);
  wasm_engine_t *e = wasm_engine_new_with_config(c);
  wasm_store_t *s = wasm_store_new(e);
  wasm_module_t *m = wat(e, spin_wat);
  wasm_instance_t *inst = instantiate(s, m);
  assert_int_equal(wrun_store_fuel_left(s), 10000);
  wasm_trap_t *t = call(inst, "spin", NULL, NULL);
  assert_non_null(t);
  assert_int_equal(wrun_trap_cause(t), WRUN_CAUSE_FUEL);
  assert_int_equal(wrun_store_fuel_left(s), 0);
  wasm_trap_delete(t);
  wrun_store_add_fuel(s);
  wasm_val_t r;
  assert_null(call(inst, "one", NULL, &r));
  assert_int_equal(r.of.i32, 1);
  assert_true(wrun_store_fuel_left(s) > 0 && wrun_store_fuel_left(s) < 10000);
  assert_false(wrun_store_set_deadline(s, 10)); /* not interruptible */
  wasm_instance_delete(inst);
  wasm_module_delete(m);
  wasm_store_delete(s);
  wasm_engine_delete(e);
}

static void test_deadline(void **state) {
  (void)state;
  int ntiers = aot_target_host() ? 2 : 1; /* AOT only where this build has a code generator for the host */
  for (int tier = 0; tier < ntiers; tier++) {
    wasm_config_t *c = wasm_config_new();
    wrun_config_set_interruptible(c, true);
    wrun_config_set_tier(c, tier ? WRUN_TIER_AOT : WRUN_TIER_INTERP);
    wasm_engine_t *e = wasm_engine_new_with_config(c);
    wasm_store_t *s = wasm_store_new(e);
    wasm_module_t *m = wat(e, spin_wat);
    wasm_instance_t *inst = instantiate(s, m);
    assert_true(wrun_store_set_deadline(s, 50));
    wasm_trap_t *t = call(inst, "spin", NULL, NULL);
    assert_non_null(t);
    assert_int_equal(wrun_trap_cause(t), WRUN_CAUSE_INTERRUPT);
    wasm_trap_delete(t);
    assert_true(wrun_store_set_deadline(s, 0)); /* cancels and clears the interrupt */
    wasm_val_t r;
    assert_null(call(inst, "one", NULL, &r));
    assert_int_equal(r.of.i32, 1);
    assert_true(wrun_store_set_deadline(s, 60000)); /* pending when the store goes */
    wasm_instance_delete(inst);
    wasm_module_delete(m);
    wasm_store_delete(s);
    wasm_engine_delete(e);
  }
}

static void test_limits(void **state) {
  (void)state;
  wasm_config_t *c = wasm_config_new();
  wrun_config_set_max_memory(c, 4 * 65536);
  wrun_config_set_max_call_depth(c, 100);
  wasm_engine_t *e = wasm_engine_new_with_config(c);
  wasm_store_t *s = wasm_store_new(e);
  wasm_module_t *m = wat(e, "(module (memory 1) (func (export \"grow\") (param i32) (result i32)"
                            " (memory.grow (local.get 0)))"
                            " (func $r (export \"rec\") (param i32) (result i32) (call $r (local.get 0))))");
  wasm_instance_t *inst = instantiate(s, m);
  wasm_val_t a = WASM_I32_VAL(3), r;
  assert_null(call(inst, "grow", &a, &r));
  assert_int_equal(r.of.i32, 1);
  a.of.i32 = 1;
  assert_null(call(inst, "grow", &a, &r));
  assert_int_equal(r.of.i32, -1); /* a fifth page is past the limit */
  wasm_trap_t *t = call(inst, "rec", &a, &r);
  assert_non_null(t);
  assert_int_equal(wrun_trap_cause(t), WRUN_CAUSE_STACK);
  wasm_trap_delete(t);
  wasm_module_t *big = wat(e, "(module (memory 5))");
  wasm_extern_vec_t none = WASM_EMPTY_VEC;
  wrun_error_t *err = NULL;
  assert_null(wrun_instance_new(s, big, &none, &err));
  assert_non_null(err);
  wrun_error_delete(err);
  wasm_module_delete(big);
  wasm_instance_delete(inst);
  wasm_module_delete(m);
  wasm_store_delete(s);
  wasm_engine_delete(e);
}

static wasm_trap_t *refuse(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)results;
  wasm_message_t msg;
  char text[64];
  snprintf(text, sizeof text, "refused %d", args->data[0].of.i32);
  wasm_name_new_from_string_nt(&msg, text);
  wasm_trap_t *t = wasm_trap_new(env, &msg);
  wasm_byte_vec_delete(&msg);
  return t;
}

static wasm_trap_t *echo_ref(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  wasm_val_copy(&results->data[0], &args->data[0]);
  return NULL;
}

static void test_host_traps_and_refs(void **state) {
  (void)state;
  wasm_engine_t *e = wasm_engine_new();
  wasm_store_t *s = wasm_store_new(e);
  wasm_module_t *m = wat(e, "(module (import \"h\" \"refuse\" (func $f (param i32)))"
                            " (import \"h\" \"echo\" (func $e (param externref) (result externref)))"
                            " (import \"h\" \"mem\" (memory 1)) (import \"h\" \"tab\" (table 1 externref))"
                            " (import \"h\" \"g\" (global (mut i64)))"
                            " (func (export \"go\") (param i32) (call $f (local.get 0)))"
                            " (func (export \"keep\") (param externref) (table.set (i32.const 0) (call $e (local.get 0))))"
                            " (func (export \"bump\") (global.set 0 (i64.add (global.get 0) (i64.const 1)))"
                            "   (i32.store8 (i32.const 3) (i32.const 77))))");
  wasm_functype_t *ft = wasm_functype_new_1_0(wasm_valtype_new_i32());
  wasm_func_t *f = wasm_func_new_with_env(s, ft, refuse, s, NULL);
  wasm_functype_delete(ft);
  ft = wasm_functype_new_1_1(wasm_valtype_new_externref(), wasm_valtype_new_externref());
  wasm_func_t *echo = wasm_func_new(s, ft, echo_ref);
  wasm_functype_delete(ft);
  wasm_limits_t one = {1, wasm_limits_max_default};
  wasm_memorytype_t *mt = wasm_memorytype_new(&one);
  wasm_memory_t *mem = wasm_memory_new(s, mt);
  wasm_memorytype_delete(mt);
  wasm_tabletype_t *tt = wasm_tabletype_new(wasm_valtype_new_externref(), &one);
  wasm_table_t *tab = wasm_table_new(s, tt, NULL);
  wasm_tabletype_delete(tt);
  wasm_globaltype_t *gt = wasm_globaltype_new(wasm_valtype_new_i64(), WASM_VAR);
  wasm_val_t g0 = WASM_I64_VAL(41);
  wasm_global_t *g = wasm_global_new(s, gt, &g0);
  wasm_globaltype_delete(gt);
  assert_true(f && echo && mem && tab && g);
  wasm_extern_t *ex[] = {wasm_func_as_extern(f), wasm_func_as_extern(echo), wasm_memory_as_extern(mem),
                         wasm_table_as_extern(tab), wasm_global_as_extern(g)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(ex);
  wrun_error_t *err = NULL;
  wasm_instance_t *inst = wrun_instance_new(s, m, &imports, &err);
  if (!inst) fail_msg("%s", wrun_error_message(err));

  wasm_val_t a = WASM_I32_VAL(9);
  wasm_trap_t *t = call(inst, "go", &a, NULL);
  assert_non_null(t);
  assert_int_equal(wrun_trap_cause(t), WRUN_CAUSE_HOST);
  wasm_message_t msg;
  wasm_trap_message(t, &msg);
  assert_string_equal(msg.data, "refused 9");
  wasm_byte_vec_delete(&msg);
  wasm_trap_delete(t);

  /* a foreign object through wasm (host -> host function -> table) and back */
  wasm_foreign_t *obj = wasm_foreign_new(s);
  wasm_foreign_set_host_info(obj, &a);
  wasm_val_t r = WASM_REF_VAL(wasm_foreign_as_ref(obj));
  assert_null(call(inst, "keep", &r, NULL));
  wasm_ref_t *back = wasm_table_get(tab, 0);
  assert_non_null(back);
  assert_true(wasm_ref_same(back, wasm_foreign_as_ref(obj)));
  assert_non_null(wasm_ref_as_foreign(back));
  assert_null(wasm_ref_as_func(back));
  wasm_ref_delete(back);
  wasm_foreign_t *other = wasm_foreign_new(s);
  assert_false(wasm_foreign_same(obj, other));
  assert_ptr_equal(wasm_foreign_get_host_info(obj), &a);
  wasm_foreign_delete(other);
  wasm_foreign_delete(obj); /* the table's reference stays valid */
  back = wasm_table_get(tab, 0);
  assert_non_null(back);
  wasm_ref_delete(back);

  assert_null(call(inst, "bump", NULL, NULL));
  wasm_val_t gv;
  wasm_global_get(g, &gv);
  assert_int_equal(gv.of.i64, 42);
  assert_int_equal(wasm_memory_data(mem)[3], 77);

  wasm_instance_delete(inst);
  wasm_func_delete(f);
  wasm_func_delete(echo);
  wasm_memory_delete(mem);
  wasm_table_delete(tab);
  wasm_global_delete(g);
  wasm_module_delete(m);
  wasm_store_delete(s);
  wasm_engine_delete(e);
}

/* Nested calls: wasm -> host -> wasm, where the inner calls trap in every
 * way a trap leaves wasm (a guard-page fault, an explicit trap, stack
 * exhaustion). Each inner trap must come back to the host function as a
 * value, and the outer call must then finish normally. */
static const char *nested_wat =
    "(module (import \"h\" \"reenter\" (func $r (param i32) (result i32))) (memory 1)"
    " (func (export \"outer\") (param i32) (result i32) (i32.add (call $r (local.get 0)) (i32.const 1000)))"
    " (func (export \"oob\") (param i32) (result i32) (i32.load (local.get 0)))"
    " (func (export \"div\") (param i32) (result i32) (i32.div_u (i32.const 84) (local.get 0)))"
    " (func $deep (export \"deep\") (param i32) (result i32) (i32.add (call $deep (local.get 0)) (i32.const 1))))";

typedef struct nested_host {
  wasm_instance_t *inst;
  int causes[3]; /* the inner traps' causes, in order */
} nested_host;

static wasm_trap_t *reenter(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  nested_host *h = env;
  wasm_val_t far = WASM_I32_VAL(0x7ffffff0), zero = WASM_I32_VAL(0), r = WASM_INIT_VAL;
  const char *names[3] = {"oob", "div", "deep"};
  const wasm_val_t *inputs[3] = {&far, &zero, &zero};
  for (int i = 0; i < 3; i++) {
    wasm_trap_t *t = call(h->inst, names[i], inputs[i], &r);
    h->causes[i] = t ? (int)wrun_trap_cause(t) : 0;
    wasm_trap_delete(t);
  }
  wasm_trap_t *t = call(h->inst, "div", &args->data[0], &r); /* and a normal inner call after them */
  if (t) return t;
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = r.of.i32;
  return NULL;
}

/* wrun's SIGSEGV handler, taken in main before cmocka puts its own in
 * place for each test: an out-of-bounds access that hits a guard page needs
 * wrun's, so test_nested_traps puts it back for its duration. */
static struct sigaction wrun_segv;

static void test_nested_traps(void **state) {
  (void)state;
  struct sigaction cmocka_segv;
  assert_int_equal(sigaction(SIGSEGV, &wrun_segv, &cmocka_segv), 0);
  int ntiers = aot_target_host() ? 2 : 1;
  for (int tier = 0; tier < ntiers; tier++) {
    wasm_config_t *c = wasm_config_new();
    wrun_config_set_tier(c, tier ? WRUN_TIER_AOT : WRUN_TIER_INTERP);
    wasm_engine_t *e = wasm_engine_new_with_config(c);
    wasm_store_t *s = wasm_store_new(e);
    wasm_module_t *m = wat(e, nested_wat);
    nested_host h = {NULL, {0, 0, 0}};
    wasm_functype_t *ft = wasm_functype_new_1_1(wasm_valtype_new_i32(), wasm_valtype_new_i32());
    wasm_func_t *f = wasm_func_new_with_env(s, ft, reenter, &h, NULL);
    wasm_functype_delete(ft);
    wasm_extern_t *ex[] = {wasm_func_as_extern(f)};
    wasm_extern_vec_t imports = WASM_ARRAY_VEC(ex);
    wrun_error_t *err = NULL;
    h.inst = wrun_instance_new(s, m, &imports, &err);
    if (!h.inst) fail_msg("%s", wrun_error_message(err));
    for (int round = 0; round < 3; round++) { /* the landing points are set afresh each time */
      wasm_val_t a = WASM_I32_VAL(round + 2), r = WASM_INIT_VAL;
      assert_null(call(h.inst, "outer", &a, &r));
      assert_int_equal(r.of.i32, 1000 + 84 / (round + 2));
      assert_int_equal(h.causes[0], WRUN_CAUSE_WASM);
      assert_int_equal(h.causes[1], WRUN_CAUSE_WASM);
      assert_int_equal(h.causes[2], WRUN_CAUSE_STACK);
    }
    /* a trap at the top level, then a normal call */
    wasm_val_t far = WASM_I32_VAL(0x7ffffff0), one = WASM_I32_VAL(1), r = WASM_INIT_VAL;
    wasm_trap_t *t = call(h.inst, "oob", &far, &r);
    assert_non_null(t);
    assert_int_equal(wrun_trap_cause(t), WRUN_CAUSE_WASM);
    wasm_trap_delete(t);
    assert_null(call(h.inst, "div", &one, &r));
    assert_int_equal(r.of.i32, 84);
    wasm_instance_delete(h.inst);
    wasm_func_delete(f);
    wasm_module_delete(m);
    wasm_store_delete(s);
    wasm_engine_delete(e);
  }
  assert_int_equal(sigaction(SIGSEGV, &cmocka_segv, NULL), 0);
}

static void test_vectors_and_types(void **state) {
  (void)state;
  wasm_valtype_t *ts[] = {wasm_valtype_new_i32(), wasm_valtype_new_f64()};
  wasm_valtype_vec_t v, c;
  wasm_valtype_vec_new(&v, 2, ts);
  wasm_valtype_vec_copy(&c, &v);
  assert_int_equal(c.size, 2);
  assert_ptr_not_equal(c.data[0], v.data[0]);
  assert_int_equal(wasm_valtype_kind(c.data[1]), WASM_F64);
  wasm_valtype_vec_delete(&v);
  assert_int_equal(v.size, 0);
  assert_null(v.data);
  wasm_valtype_vec_t r;
  wasm_valtype_vec_new_empty(&r);
  wasm_functype_t *ft = wasm_functype_new(&c, &r);
  assert_int_equal(c.size, 0); /* taken over */
  wasm_externtype_t *et = wasm_functype_as_externtype(ft);
  assert_int_equal(wasm_externtype_kind(et), WASM_EXTERN_FUNC);
  assert_null(wasm_externtype_as_memorytype(et));
  wasm_externtype_t *copy = wasm_externtype_copy(et);
  assert_int_equal(wasm_functype_params(wasm_externtype_as_functype(copy))->size, 2);
  wasm_externtype_delete(copy);
  wasm_functype_delete(ft);
  assert_null(wasm_valtype_new(77));
  assert_null(wasm_tabletype_new(wasm_valtype_new_i32(), &(wasm_limits_t){1, 2})); /* not a reference type */
  wasm_val_vec_t vals;
  wasm_val_vec_new_uninitialized(&vals, 3);
  assert_int_equal(vals.size, 3);
  wasm_val_vec_delete(&vals);
  wasm_name_t n;
  wasm_name_new_from_string(&n, "abc");
  assert_int_equal(n.size, 3);
  wasm_name_delete(&n);
}

static void test_wasi_misuse(void **state) {
  (void)state;
  wasm_engine_t *e = wasm_engine_new();
  wasm_store_t *s = wasm_store_new(e);
  wasm_module_t *m = wat(e, "(module (import \"wasi_snapshot_preview1\" \"no_such_call\" (func)))");
  wasm_extern_vec_t out;
  wrun_error_t *err = wrun_wasi_imports(s, m, &out);
  assert_non_null(err);
  assert_int_equal(wrun_error_phase(err), WRUN_PHASE_USAGE); /* no WASI yet */
  wrun_error_delete(err);
  wrun_wasi_config_t *c = wrun_wasi_config_new();
  assert_false(wrun_wasi_config_add_env(c, "A=B", "x"));
  assert_false(wrun_wasi_config_set_stdio_fd(c, 3, 1));
  assert_true(wrun_wasi_config_preopen_dir(c, "/nonexistent/wrun-test", "/", false));
  err = wrun_store_set_wasi(s, c);
  assert_non_null(err);
  assert_int_equal(wrun_error_phase(err), WRUN_PHASE_WASI);
  wrun_error_delete(err);
  assert_null(wrun_store_set_wasi(s, wrun_wasi_config_new()));
  err = wrun_store_set_wasi(s, wrun_wasi_config_new());
  assert_int_equal(wrun_error_phase(err), WRUN_PHASE_USAGE); /* only once */
  wrun_error_delete(err);
  err = wrun_wasi_imports(s, m, &out);
  assert_non_null(err);
  assert_int_equal(wrun_error_phase(err), WRUN_PHASE_LINK);
  assert_int_equal(out.size, 0);
  wrun_error_delete(err);
  wasm_module_delete(m);
  wasm_store_delete(s);
  wasm_engine_delete(e);
}

/* A WASI command writing "hi\n" to stdout and exiting with fd_write's errno
 * (0 on success, 8 = BADF when stdout is closed for it). */
static const char *wasi_write_wat =
    "(module (import \"wasi_snapshot_preview1\" \"fd_write\" (func $w (param i32 i32 i32 i32) (result i32)))"
    " (import \"wasi_snapshot_preview1\" \"proc_exit\" (func $x (param i32)))"
    " (import \"env\" \"extra\" (func $e))"
    " (memory (export \"memory\") 1) (data (i32.const 16) \"hi\\n\")"
    " (func (export \"_start\") (i32.store (i32.const 0) (i32.const 16)) (i32.store (i32.const 4) (i32.const 3))"
    "   (call $x (call $w (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))";

static wasm_trap_t *nothing(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args;
  (void)results;
  return NULL;
}

/* Runs wasi_write_wat with stdout given by `stdout_fd` (-1: closed); returns
 * the exit status. */
static int run_wasi_write(int stdout_fd) {
  wasm_engine_t *e = wasm_engine_new();
  wasm_store_t *s = wasm_store_new(e);
  wasm_module_t *m = wat(e, wasi_write_wat);
  wrun_wasi_config_t *c = wrun_wasi_config_new();
  assert_true(wrun_wasi_config_set_stdio_fd(c, 1, stdout_fd));
  assert_null(wrun_store_set_wasi(s, c));
  wasm_extern_vec_t imports;
  assert_null(wrun_wasi_imports(s, m, &imports));
  assert_int_equal(imports.size, 3);
  assert_non_null(imports.data[0]);
  assert_null(imports.data[2]); /* not WASI: for the host to fill */
  wasm_functype_t *ft = wasm_functype_new_0_0();
  imports.data[2] = wasm_func_as_extern(wasm_func_new(s, ft, nothing));
  wasm_functype_delete(ft);
  wrun_error_t *err = NULL;
  wasm_instance_t *inst = wrun_instance_new(s, m, &imports, &err);
  if (!inst) fail_msg("%s", wrun_error_message(err));
  wasm_trap_t *t = call(inst, "_start", NULL, NULL);
  int code = -1;
  assert_non_null(t);
  assert_int_equal(wrun_trap_cause(t), WRUN_CAUSE_EXIT);
  assert_true(wrun_trap_exit_code(t, &code));
  wasm_trap_delete(t);
  wasm_instance_delete(inst);
  wasm_extern_vec_delete(&imports);
  wasm_module_delete(m);
  wasm_store_delete(s);
  wasm_engine_delete(e);
  return code;
}

static void test_wasi_stdio(void **state) {
  (void)state;
  int p[2];
  assert_int_equal(pipe(p), 0);
  assert_int_equal(run_wasi_write(p[1]), 0);
  close(p[1]); /* the store closed its duplicate: the pipe ends here */
  char buf[16] = "";
  assert_int_equal(read(p[0], buf, sizeof buf), 3);
  assert_memory_equal(buf, "hi\n", 3);
  assert_int_equal(read(p[0], buf, sizeof buf), 0);
  close(p[0]);
  assert_int_equal(run_wasi_write(-1), 8); /* BADF */
}

int main(void) {
  wasm_engine_t *e = wasm_engine_new(); /* the first memory installs wrun's fault handler */
  wasm_store_t *s = wasm_store_new(e);
  wasm_limits_t one = {1, wasm_limits_max_default};
  wasm_memorytype_t *mt = wasm_memorytype_new(&one);
  wasm_memory_t *mem = s ? wasm_memory_new(s, mt) : NULL;
  wasm_memorytype_delete(mt);
  if (!mem || sigaction(SIGSEGV, NULL, &wrun_segv) != 0) return 1;
  wasm_memory_delete(mem);
  wasm_store_delete(s);
  wasm_engine_delete(e);
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_errors_by_phase), cmocka_unit_test(test_fuel),
      cmocka_unit_test(test_deadline),        cmocka_unit_test(test_limits),
      cmocka_unit_test(test_host_traps_and_refs), cmocka_unit_test(test_nested_traps),
      cmocka_unit_test(test_vectors_and_types),
      cmocka_unit_test(test_wasi_misuse),        cmocka_unit_test(test_wasi_stdio),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
