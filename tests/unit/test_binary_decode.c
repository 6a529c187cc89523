/*
 * test_binary_decode.c — the decoder's error paths and what it keeps: each test
 * feeds a small hand-assembled binary and checks the error kind, the byte
 * offset it names and the words of its message, or the decoded fields.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "binary/module.h"

#define HDR 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00

/* Decodes `b` and expects a rejection of `kind` at `offset` mentioning `words`. */
static void expect_error(const uint8_t *b, size_t n, rt_error_kind kind, uint64_t offset, const char *words) {
  rt_error err;
  rt_error_clear(&err);
  wm_module *m = wm_module_decode(b, n, &err);
  if (m) {
    wm_module_free(m);
    fail_msg("module was accepted; expected \"%s\"", words);
  }
  assert_int_equal(err.kind, kind);
  if (offset != WRUN_NO_OFFSET) assert_int_equal(err.offset, offset);
  if (!strstr(err.message, words)) fail_msg("message \"%s\" lacks \"%s\"", err.message, words);
}

#define EXPECT(kind, off, words, ...)                      \
  do {                                                     \
    const uint8_t b_[] = {__VA_ARGS__};                    \
    expect_error(b_, sizeof b_, kind, off, words);         \
  } while (0)

static void test_header(void **state) {
  (void)state;
  expect_error((const uint8_t *)"", 0, WRUN_ERR_MALFORMED, 0, "unexpected end");
  EXPECT(WRUN_ERR_MALFORMED, 0, "magic header", 0x00, 0x61, 0x73, 0x6E, 0x01, 0x00, 0x00, 0x00);
  EXPECT(WRUN_ERR_MALFORMED, 4, "unknown binary version", 0x00, 0x61, 0x73, 0x6D, 0x02, 0x00, 0x00, 0x00);
  EXPECT(WRUN_ERR_MALFORMED, WRUN_NO_OFFSET, "unexpected end", 0x00, 0x61, 0x73, 0x6D, 0x01, 0x00);
}

static void test_sections(void **state) {
  (void)state;
  /* id 13 is not a 2.0 section */
  EXPECT(WRUN_ERR_MALFORMED, 8, "malformed section id", HDR, 0x0D, 0x00);
  /* function section before type section */
  EXPECT(WRUN_ERR_MALFORMED, 11, "out of order", HDR, 0x03, 0x01, 0x00, 0x01, 0x01, 0x00);
  /* repeated type section */
  EXPECT(WRUN_ERR_MALFORMED, 11, "out of order", HDR, 0x01, 0x01, 0x00, 0x01, 0x01, 0x00);
  /* section size larger than the file */
  EXPECT(WRUN_ERR_MALFORMED, 9, "unexpected end", HDR, 0x01, 0x05, 0x00);
  /* type section declares 2 bytes, its one empty vector uses 1 */
  EXPECT(WRUN_ERR_MALFORMED, WRUN_NO_OFFSET, "section size mismatch", HDR, 0x01, 0x02, 0x00, 0x00);
  /* a u32 section size in six bytes */
  EXPECT(WRUN_ERR_MALFORMED, WRUN_NO_OFFSET, "representation too long", HDR, 0x01, 0x80, 0x80, 0x80, 0x80,
         0x80, 0x00);
  /* a vector count bigger than the bytes that follow */
  EXPECT(WRUN_ERR_MALFORMED, 10, "length out of bounds", HDR, 0x01, 0x02, 0x7F, 0x60);
}

static void test_types_and_imports(void **state) {
  (void)state;
  EXPECT(WRUN_ERR_MALFORMED, 11, "malformed type form", HDR, 0x01, 0x04, 0x01, 0x5F, 0x00, 0x00);
  EXPECT(WRUN_ERR_MALFORMED, 13, "malformed value type", HDR, 0x01, 0x05, 0x01, 0x60, 0x01, 0x55, 0x00);
  /* import kind 0x05 */
  EXPECT(WRUN_ERR_MALFORMED, 15, "malformed import kind", HDR, 0x02, 0x06, 0x01, 0x01, 'm', 0x01, 'f', 0x05);
  /* global import with mutability 2 */
  EXPECT(WRUN_ERR_MALFORMED, 17, "malformed mutability", HDR, 0x02, 0x08, 0x01, 0x01, 'm', 0x01, 'g', 0x03,
         0x7F, 0x02);
  /* an import name that is not UTF-8 (a lone continuation byte) */
  EXPECT(WRUN_ERR_MALFORMED, 11, "UTF-8", HDR, 0x02, 0x07, 0x01, 0x01, 0x80, 0x01, 'f', 0x00, 0x00);
  /* an overlong encoding of '/' */
  EXPECT(WRUN_ERR_MALFORMED, 11, "UTF-8", HDR, 0x02, 0x08, 0x01, 0x02, 0xC0, 0xAF, 0x01, 'f', 0x00, 0x00);
  /* memory limits flag 0x04 (memory64) is not 2.0 */
  EXPECT(WRUN_ERR_MALFORMED, 11, "limits flags", HDR, 0x05, 0x03, 0x01, 0x04, 0x00);
}

static void test_code(void **state) {
  (void)state;
  /* one function declared, no code section */
  EXPECT(WRUN_ERR_MALFORMED, WRUN_NO_OFFSET, "inconsistent lengths", HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
         0x03, 0x02, 0x01, 0x00);
  /* code section with two bodies for one function */
  EXPECT(WRUN_ERR_MALFORMED, 20, "inconsistent lengths", HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02,
         0x01, 0x00, 0x0A, 0x07, 0x02, 0x02, 0x00, 0x0B, 0x02, 0x00, 0x0B);
  /* locals adding up past 2^32-1 */
  EXPECT(WRUN_ERR_MALFORMED, WRUN_NO_OFFSET, "too many locals", HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03,
         0x02, 0x01, 0x00, 0x0A, 0x0C, 0x01, 0x0A, 0x02, 0xFF, 0xFF, 0xFF, 0xFF, 0x0F, 0x7F, 0x02, 0x7E, 0x0B);
  /* illegal opcode 0xFF in a body */
  EXPECT(WRUN_ERR_MALFORMED, 23, "illegal opcode", HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01,
         0x00, 0x0A, 0x05, 0x01, 0x03, 0x00, 0xFF, 0x0B);
  /* memory.size with a non-zero reserved byte */
  EXPECT(WRUN_ERR_MALFORMED, 29, "zero byte expected", HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02,
         0x01, 0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x0A, 0x07, 0x01, 0x05, 0x00, 0x3F, 0x01, 0x1A, 0x0B);
  /* a body without its final end */
  EXPECT(WRUN_ERR_MALFORMED, WRUN_NO_OFFSET, "unexpected end", HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03,
         0x02, 0x01, 0x00, 0x0A, 0x04, 0x01, 0x02, 0x00, 0x01);
  /* bytes after the function's end */
  EXPECT(WRUN_ERR_MALFORMED, 24, "size mismatch", HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01,
         0x00, 0x0A, 0x05, 0x01, 0x03, 0x00, 0x0B, 0x01);
  /* data.drop without a data count section */
  EXPECT(WRUN_ERR_MALFORMED, 23, "data count section required", HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03,
         0x02, 0x01, 0x00, 0x0A, 0x07, 0x01, 0x05, 0x00, 0xFC, 0x09, 0x00, 0x0B);
  /* alignment exponent 32 */
  EXPECT(WRUN_ERR_MALFORMED, 31, "memop flags", HDR, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00, 0x03, 0x02, 0x01,
         0x00, 0x05, 0x03, 0x01, 0x00, 0x01, 0x0A, 0x0A, 0x01, 0x08, 0x00, 0x41, 0x00, 0x28, 0x20, 0x00, 0x1A,
         0x0B);
}

static void test_segments(void **state) {
  (void)state;
  /* data count 1, no data section */
  EXPECT(WRUN_ERR_MALFORMED, WRUN_NO_OFFSET, "data count and data section", HDR, 0x0C, 0x01, 0x01);
  /* data segment kind 3 */
  EXPECT(WRUN_ERR_MALFORMED, 11, "data segment kind", HDR, 0x0B, 0x03, 0x01, 0x03, 0x00);
  /* element kind byte other than 0x00 (flags 1: passive, elemkind) */
  EXPECT(WRUN_ERR_MALFORMED, 12, "element kind", HDR, 0x09, 0x04, 0x01, 0x01, 0x01, 0x00);
}

static void test_decoded_fields(void **state) {
  (void)state;
  /* (module (func $f (export "f") (param i32) (result i32) (local i64 i64) local.get 0) + name section) */
  const uint8_t b[] = {HDR,
                       0x01, 0x06, 0x01, 0x60, 0x01, 0x7F, 0x01, 0x7F,          /* type */
                       0x03, 0x02, 0x01, 0x00,                                  /* function */
                       0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,                 /* export */
                       0x0A, 0x08, 0x01, 0x06, 0x01, 0x02, 0x7E, 0x20, 0x00, 0x0B, /* code */
                       0x00, 0x0D, 0x04, 'n', 'a', 'm', 'e',                    /* custom "name" */
                       0x01, 0x06, 0x01, 0x00, 0x03, 'a', 'd', 'd'};            /* function names */
  rt_error err;
  rt_error_clear(&err);
  wm_module *m = wm_module_decode(b, sizeof b, &err);
  assert_non_null(m);
  assert_int_equal(m->ntypes, 1);
  assert_int_equal(m->nfuncs, 1);
  assert_int_equal(m->funcs[0].nlocals, 2);
  assert_int_equal(m->funcs[0].locals[1], WASM_I64);
  assert_int_equal(m->funcs[0].code_len, 3);
  assert_string_equal(m->funcs[0].debug_name, "add");
  assert_non_null(wm_module_find_export(m, "f", 1));
  assert_null(wm_module_find_export(m, "g", 1));
  assert_int_equal(wm_module_func_type(m, 0)->nparams, 1);
  assert_int_equal(m->ncustoms, 1);
  wm_module_free(m);
}

static void test_name_section_errors_ignored(void **state) {
  (void)state;
  /* a "name" section whose contents are garbage still decodes */
  const uint8_t b[] = {HDR, 0x00, 0x07, 0x04, 'n', 'a', 'm', 'e', 0x01, 0xFF};
  rt_error err;
  rt_error_clear(&err);
  wm_module *m = wm_module_decode(b, sizeof b, &err);
  assert_non_null(m);
  wm_module_free(m);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_header),        cmocka_unit_test(test_sections),
    cmocka_unit_test(test_types_and_imports), cmocka_unit_test(test_code),
    cmocka_unit_test(test_segments),      cmocka_unit_test(test_decoded_fields),
    cmocka_unit_test(test_name_section_errors_ignored),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
