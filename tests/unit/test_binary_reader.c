/*
 * test_binary_reader.c — LEB128 and fixed-width reads of the shared byte cursor,
 * including every boundary the spec's binary-leb128 rules draw.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "binary/reader.h"

static wm_reader make(const uint8_t *b, size_t n, rt_error *err) {
  rt_error_clear(err);
  wm_reader r = {b, b, b + n, err};
  return r;
}

static void test_u32_forms(void **state) {
  (void)state;
  rt_error err;
  uint32_t v;
  const uint8_t one[] = {0x01};
  wm_reader r = make(one, 1, &err);
  assert_true(reader_u32(&r, &v));
  assert_int_equal(v, 1);
  assert_true(reader_eof(&r));

  const uint8_t padded[] = {0x81, 0x80, 0x80, 0x80, 0x00}; /* 1 in five bytes: allowed */
  r = make(padded, 5, &err);
  assert_true(reader_u32(&r, &v));
  assert_int_equal(v, 1);

  const uint8_t max[] = {0xff, 0xff, 0xff, 0xff, 0x0f};
  r = make(max, 5, &err);
  assert_true(reader_u32(&r, &v));
  assert_int_equal(v, UINT32_MAX);
}

static void test_u32_errors(void **state) {
  (void)state;
  rt_error err;
  uint32_t v;
  const uint8_t too_long[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x00};
  wm_reader r = make(too_long, sizeof too_long, &err);
  assert_false(reader_u32(&r, &v));
  assert_int_equal(err.kind, WRUN_ERR_MALFORMED);
  assert_int_equal(err.offset, 4);

  const uint8_t too_big[] = {0xff, 0xff, 0xff, 0xff, 0x1f}; /* bit 32 set */
  r = make(too_big, sizeof too_big, &err);
  assert_false(reader_u32(&r, &v));
  assert_non_null(strstr(err.message, "integer too large"));

  const uint8_t cut[] = {0x80, 0x80};
  r = make(cut, sizeof cut, &err);
  assert_false(reader_u32(&r, &v));
  assert_non_null(strstr(err.message, "unexpected end"));
  assert_int_equal(err.offset, 2);
}

static void test_s32_forms(void **state) {
  (void)state;
  rt_error err;
  int32_t v;
  const uint8_t m1[] = {0x7f};
  wm_reader r = make(m1, 1, &err);
  assert_true(reader_s32(&r, &v));
  assert_int_equal(v, -1);

  const uint8_t min[] = {0x80, 0x80, 0x80, 0x80, 0x78};
  r = make(min, 5, &err);
  assert_true(reader_s32(&r, &v));
  assert_int_equal(v, INT32_MIN);

  const uint8_t m1_long[] = {0xff, 0xff, 0xff, 0xff, 0x7f};
  r = make(m1_long, 5, &err);
  assert_true(reader_s32(&r, &v));
  assert_int_equal(v, -1);

}

static void test_s32_errors(void **state) {
  (void)state;
  rt_error err;
  int32_t v;
  const uint8_t bad1[] = {0x80, 0x80, 0x80, 0x80, 0x70}; /* high bits 1, sign bit 0 */
  wm_reader r = make(bad1, 5, &err);
  assert_false(reader_s32(&r, &v));
  assert_non_null(strstr(err.message, "integer too large"));

  const uint8_t bad2[] = {0xff, 0xff, 0xff, 0xff, 0x0f}; /* sign bit 1, high bits 0 */
  r = make(bad2, 5, &err);
  assert_false(reader_s32(&r, &v));

  const uint8_t too_long[] = {0xff, 0xff, 0xff, 0xff, 0xff, 0x7f};
  r = make(too_long, 6, &err);
  assert_false(reader_s32(&r, &v));
  assert_non_null(strstr(err.message, "too long"));
}

static void test_s33_s64(void **state) {
  (void)state;
  rt_error err;
  int64_t v;
  const uint8_t s33_max[] = {0xff, 0xff, 0xff, 0xff, 0x0f}; /* 2^32-1 fits s33 */
  wm_reader r = make(s33_max, 5, &err);
  assert_true(reader_s33(&r, &v));
  assert_int_equal(v, 0xffffffffLL);

  const uint8_t s64_min[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x7f};
  r = make(s64_min, 10, &err);
  assert_true(reader_s64(&r, &v));
  assert_true(v == INT64_MIN);

  const uint8_t s64_bad[] = {0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x80, 0x01};
  r = make(s64_bad, 10, &err);
  assert_false(reader_s64(&r, &v));
}

static void test_fixed_width(void **state) {
  (void)state;
  rt_error err;
  uint32_t f;
  uint64_t d;
  const uint8_t b[] = {0x00, 0x00, 0x80, 0x3f, 0, 0, 0, 0, 0, 0, 0xf0, 0x3f};
  wm_reader r = make(b, sizeof b, &err);
  assert_true(reader_f32(&r, &f));
  assert_int_equal(f, 0x3f800000u);
  assert_true(reader_f64(&r, &d));
  assert_true(d == 0x3ff0000000000000ull);
  assert_false(reader_f32(&r, &f));
  assert_int_equal(err.kind, WRUN_ERR_MALFORMED);
}

static void test_first_error_wins(void **state) {
  (void)state;
  rt_error err;
  rt_error_clear(&err);
  assert_false(rt_error_at(&err, WRUN_ERR_INVALID, 7, "first"));
  assert_false(rt_error_at(&err, WRUN_ERR_MALFORMED, 9, "second"));
  assert_int_equal(err.kind, WRUN_ERR_INVALID);
  assert_int_equal(err.offset, 7);
  assert_string_equal(err.message, "first");
  char buf[128];
  assert_string_equal(rt_error_format(&err, "m.wasm", buf, sizeof buf), "m.wasm:0x7: invalid: first");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_u32_forms),   cmocka_unit_test(test_u32_errors),
      cmocka_unit_test(test_s32_forms),   cmocka_unit_test(test_s32_errors),
      cmocka_unit_test(test_s33_s64),     cmocka_unit_test(test_fixed_width),
      cmocka_unit_test(test_first_error_wins),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
