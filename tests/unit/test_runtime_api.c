/*
 * test_runtime_api.c — the public API of include/wrun.h end to end: load,
 * instantiate, call, traps (and their message), bad modules and misuse.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "wrun.h"

/* (module
 *   (func (export "add") (param i32 i32) (result i32) local.get 0 local.get 1 i32.add)
 *   (func (export "div") (param i64 i64) (result i64) local.get 0 local.get 1 i64.div_s)
 *   (func (export "half") (param f64) (result f64) local.get 0 f64.const 0.5 f64.mul))
 * assembled by hand */
static const uint8_t mod_bytes[] = {
  0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00,
  0x01, 0x12, 0x03, 0x60, 0x02, 0x7F, 0x7F, 0x01, 0x7F, 0x60, 0x02, 0x7E, 0x7E, 0x01, 0x7E, 0x60, 0x01, 0x7C,
  0x01, 0x7C,
  0x03, 0x04, 0x03, 0x00, 0x01, 0x02,
  0x07, 0x14, 0x03, 0x03, 'a', 'd', 'd', 0x00, 0x00, 0x03, 'd', 'i', 'v', 0x00, 0x01, 0x04, 'h', 'a', 'l', 'f',
  0x00, 0x02,
  0x0A, 0x20, 0x03,
  0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x6A, 0x0B,
  0x07, 0x00, 0x20, 0x00, 0x20, 0x01, 0x7F, 0x0B,
  0x0E, 0x00, 0x20, 0x00, 0x44, 0, 0, 0, 0, 0, 0, 0xE0, 0x3F, 0xA2, 0x0B,
};

static void test_call_and_trap(void **state) {
  (void)state;
  char err[200] = "";
  wrun_module *m = wrun_module_load(mod_bytes, sizeof mod_bytes, err, sizeof err);
  if (!m) fail_msg("load: %s", err);
  wrun_store *s = wrun_store_create();
  assert_non_null(s);
  wrun_instance *inst = wrun_module_instantiate(s, m, err, sizeof err);
  assert_non_null(inst);

  wrun_func *add = wrun_instance_func(inst, "add");
  assert_non_null(add);
  wrun_value args[2] = {{WRUN_I32, {.i32 = 40}}, {WRUN_I32, {.i32 = 2}}}, res[1];
  assert_int_equal(wrun_func_invoke(s, add, args, 2, res, 1, err, sizeof err), 0);
  assert_int_equal(res[0].type, WRUN_I32);
  assert_int_equal(res[0].of.i32, 42);

  wrun_func *half = wrun_instance_func(inst, "half");
  wrun_value h = {WRUN_F64, {.f64 = 3.0}};
  assert_int_equal(wrun_func_invoke(s, half, &h, 1, res, 1, err, sizeof err), 0);
  assert_true(res[0].of.f64 == 1.5);

  wrun_func *div = wrun_instance_func(inst, "div");
  wrun_value d[2] = {{WRUN_I64, {.i64 = 1}}, {WRUN_I64, {.i64 = 0}}};
  assert_int_equal(wrun_func_invoke(s, div, d, 2, res, 1, err, sizeof err), 1);
  assert_non_null(strstr(err, "integer divide by zero"));
  d[0].of.i64 = INT64_MIN;
  d[1].of.i64 = -1;
  assert_int_equal(wrun_func_invoke(s, div, d, 2, res, 1, err, sizeof err), 1);
  assert_non_null(strstr(err, "integer overflow"));
  /* the store stays usable after a trap */
  assert_int_equal(wrun_func_invoke(s, add, args, 2, res, 1, err, sizeof err), 0);

  /* misuse: wrong arity and wrong argument type */
  assert_int_equal(wrun_func_invoke(s, add, args, 1, res, 1, err, sizeof err), 2);
  assert_int_equal(wrun_func_invoke(s, add, d, 2, res, 1, err, sizeof err), 2);
  assert_null(wrun_instance_func(inst, "nope"));

  wrun_store_delete(s);
  wrun_module_delete(m);
}

static void test_rejects(void **state) {
  (void)state;
  char err[200] = "";
  uint8_t bad[sizeof mod_bytes];
  memcpy(bad, mod_bytes, sizeof bad);
  bad[4] = 2; /* version */
  assert_null(wrun_module_load(bad, sizeof bad, err, sizeof err));
  assert_non_null(strstr(err, "malformed"));
  memcpy(bad, mod_bytes, sizeof bad);
  bad[sizeof bad - 2] = 0xA0; /* f64.mul -> f64.add: still valid */
  wrun_module *m = wrun_module_load(bad, sizeof bad, err, sizeof err);
  assert_non_null(m);
  wrun_module_delete(m);
  memcpy(bad, mod_bytes, sizeof bad);
  bad[sizeof bad - 2] = 0x6A; /* i32.add on f64 operands: invalid */
  assert_null(wrun_module_load(bad, sizeof bad, err, sizeof err));
  assert_non_null(strstr(err, "invalid"));
  assert_null(wrun_module_load(mod_bytes, 20, err, sizeof err));
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_call_and_trap), cmocka_unit_test(test_rejects)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
