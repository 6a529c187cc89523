/*
 * test_text_literals.c — numeric literals, the S-expression reader and WAT
 * translation errors of the text front end.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "text/text.h"

#define S(lit) lit, strlen(lit)

static void test_integers(void **state) {
  (void)state;
  uint32_t v;
  uint64_t w;
  assert_true(wat_parse_i32(S("0"), &v)); assert_int_equal(v, 0);
  assert_true(wat_parse_i32(S("1_000_000"), &v)); assert_int_equal(v, 1000000);
  assert_true(wat_parse_i32(S("0xFFFF_FFFF"), &v)); assert_int_equal(v, 0xFFFFFFFFu);
  assert_true(wat_parse_i32(S("-0x8000_0000"), &v)); assert_int_equal(v, 0x80000000u);
  assert_true(wat_parse_i32(S("-1"), &v)); assert_int_equal(v, 0xFFFFFFFFu);
  assert_true(wat_parse_i32(S("+42"), &v)); assert_int_equal(v, 42);
  assert_false(wat_parse_i32(S("0x1_0000_0000"), &v)); /* 2^32 */
  assert_false(wat_parse_i32(S("-2147483649"), &v));
  assert_false(wat_parse_i32(S("1__0"), &v));
  assert_false(wat_parse_i32(S("_1"), &v));
  assert_false(wat_parse_i32(S("1_"), &v));
  assert_false(wat_parse_i32(S("0x"), &v));
  assert_false(wat_parse_i32(S("0xg"), &v));
  assert_false(wat_parse_i32(S(""), &v));
  assert_true(wat_parse_i64(S("18446744073709551615"), &w)); assert_true(w == UINT64_MAX);
  assert_true(wat_parse_i64(S("-9223372036854775808"), &w)); assert_true(w == UINT64_C(0x8000000000000000));
  assert_false(wat_parse_i64(S("18446744073709551616"), &w));
}

static void test_floats(void **state) {
  (void)state;
  uint32_t f;
  uint64_t d;
  assert_true(wat_parse_f32(S("1.5"), &f)); assert_int_equal(f, 0x3FC00000u);
  assert_true(wat_parse_f32(S("-0"), &f)); assert_int_equal(f, 0x80000000u);
  assert_true(wat_parse_f32(S("0x1p-149"), &f)); assert_int_equal(f, 1); /* smallest subnormal */
  assert_true(wat_parse_f32(S("0x1.fffffep127"), &f)); assert_int_equal(f, 0x7F7FFFFFu);
  assert_false(wat_parse_f32(S("0x1p128"), &f)); /* rounds to infinity: out of range */
  assert_false(wat_parse_f32(S("1e39"), &f));
  /* round to nearest, ties to even: 1 + 2^-24 is halfway between 1 and 1+2^-23 */
  assert_true(wat_parse_f32(S("0x1.000001p0"), &f)); assert_int_equal(f, 0x3F800000u);
  assert_true(wat_parse_f32(S("0x1.000003p0"), &f)); assert_int_equal(f, 0x3F800002u);
  assert_true(wat_parse_f32(S("inf"), &f)); assert_int_equal(f, 0x7F800000u);
  assert_true(wat_parse_f32(S("-inf"), &f)); assert_int_equal(f, 0xFF800000u);
  assert_true(wat_parse_f32(S("nan"), &f)); assert_int_equal(f, 0x7FC00000u);
  assert_true(wat_parse_f32(S("-nan:0x1"), &f)); assert_int_equal(f, 0xFF800001u);
  assert_false(wat_parse_f32(S("nan:0x0"), &f));
  assert_false(wat_parse_f32(S("nan:0x800000"), &f));
  assert_true(wat_parse_f32(S("1_000.000_1"), &f));
  assert_true(wat_parse_f32(S("1."), &f)); assert_int_equal(f, 0x3F800000u);
  assert_true(wat_parse_f32(S("1.e1"), &f)); assert_int_equal(f, 0x41200000u);
  assert_false(wat_parse_f32(S("1.0e"), &f));
  assert_false(wat_parse_f32(S("1._0"), &f));
  assert_false(wat_parse_f32(S(".5"), &f));
  assert_true(wat_parse_f64(S("0x1.8p1"), &d)); assert_true(d == UINT64_C(0x4008000000000000));
  assert_true(wat_parse_f64(S("2.2250738585072014e-308"), &d)); assert_true(d == UINT64_C(0x0010000000000000));
  assert_true(wat_parse_f64(S("nan:0x8000000000000"), &d)); assert_true(d == UINT64_C(0x7FF8000000000000));
  assert_true(wat_parse_f64(S("1e308"), &d));
  assert_false(wat_parse_f64(S("1e309"), &d));
}

static void test_sexpr(void **state) {
  (void)state;
  sx_doc doc;
  rt_error err;
  rt_error_clear(&err);
  const char *src = "(module ;; comment\n  (; block (; nested ;) ;) (func $f \"a\\n\\41\\u{1F600}\"))";
  assert_true(sx_parse(src, strlen(src), &doc, &err));
  assert_int_equal(doc.root.nitems, 1);
  const sx_node *mod = &doc.root.items[0];
  assert_true(sx_is_atom(&mod->items[0], "module"));
  const sx_node *fn = &mod->items[1];
  assert_int_equal(fn->line, 2);
  assert_int_equal(fn->items[1].kind, SX_ID);
  assert_int_equal(fn->items[2].kind, SX_STRING);
  assert_int_equal(fn->items[2].len, 7); /* a, newline, A, then U+1F600 in 4 bytes */
  sx_doc_free(&doc);

  rt_error_clear(&err);
  assert_false(sx_parse(S("(module\n  (func)"), &doc, &err));
  assert_int_equal(err.kind, WRUN_ERR_MALFORMED);
  assert_int_equal(err.line, 1);
  assert_int_equal(err.col, 1);
  rt_error_clear(&err);
  assert_false(sx_parse(S("(a)\n )"), &doc, &err));
  assert_int_equal(err.line, 2);
  assert_int_equal(err.col, 2);
  rt_error_clear(&err);
  assert_false(sx_parse(S("\"abc"), &doc, &err));
  rt_error_clear(&err);
  assert_false(sx_parse(S("(; unclosed"), &doc, &err));
  rt_error_clear(&err);
  assert_false(sx_parse(S("\"\\q\""), &doc, &err));
  /* nesting beyond the cap is an error, not a stack overflow */
  size_t n = 100000;
  char *deep = malloc(n);
  memset(deep, '(', n);
  rt_error_clear(&err);
  assert_false(sx_parse(deep, n, &doc, &err));
  assert_non_null(strstr(err.message, "nesting"));
  free(deep);
}

static void wat_expect(const char *src, bool ok, uint32_t line, uint32_t col, const char *words) {
  uint8_t *bin = NULL;
  size_t len = 0;
  rt_error err;
  rt_error_clear(&err);
  bool got = wat_parse_to_binary(src, strlen(src), &bin, &len, &err);
  free(bin);
  if (got != ok) fail_msg("%s: expected %s, message \"%s\"", src, ok ? "success" : "failure", err.message);
  if (!ok) {
    assert_int_equal(err.kind, WRUN_ERR_MALFORMED);
    if (line) assert_int_equal(err.line, line);
    if (col) assert_int_equal(err.col, col);
    if (!strstr(err.message, words)) fail_msg("message \"%s\" lacks \"%s\"", err.message, words);
  }
}

static void test_wat(void **state) {
  (void)state;
  wat_expect("(module (func (result i32) (i32.add (i32.const 1) (i32.const 2))))", true, 0, 0, "");
  wat_expect("(func $f (param $x i32) (local.get $x) drop) (export \"f\" (func $f))", true, 0, 0, "");
  wat_expect("(module (func (i32.frob)))", false, 1, 16, "unknown operator");
  wat_expect("(module (func (call $nope)))", false, 1, 21, "unknown function");
  wat_expect("(module (func $a) (func $a))", false, 1, 25, "duplicate function");
  wat_expect("(module (func) (import \"m\" \"f\" (func)))", false, 1, 32, "import after");
  wat_expect("(module (func block $l end $m))", false, 1, 28, "mismatching label");
  wat_expect("(module (func (i32.load align=3 (i32.const 0)) drop) (memory 1))", false, 1, 25, "alignment");
  wat_expect("(module (type $t (func (param i32))) (func (type $t) (param i64)))", false, 1, 44, "inline function type");
  wat_expect("(module (memory (data \"abc\")) (table funcref (elem $f)) (func $f))", true, 0, 0, "");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_integers), cmocka_unit_test(test_floats),
    cmocka_unit_test(test_sexpr),    cmocka_unit_test(test_wat),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
