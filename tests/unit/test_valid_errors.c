/*
 * test_valid_errors.c — the validator's rejections: each test assembles a small
 * module around one function body (or one module-level defect) and checks that
 * validation fails as INVALID, at the right instruction, for the right reason;
 * and that the matching correct module passes.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "binary/module.h"
#include "valid/valid.h"

typedef struct bytes { uint8_t b[512]; size_t n; } bytes;

static void put(bytes *o, const uint8_t *p, size_t n) {
  assert_true(o->n + n <= sizeof o->b);
  memcpy(o->b + o->n, p, n);
  o->n += n;
}

static void put_section(bytes *o, uint8_t id, const uint8_t *p, size_t n) {
  uint8_t h[2] = {id, (uint8_t)n};
  assert_true(n < 128);
  put(o, h, 2);
  put(o, p, n);
}

/* A module: type 0 = `sig` (encoded params/results vectors), one function of
 * type 0 with `body` (locals vector + code), a memory when `memory`, and a
 * global (mut i32) and funcref table always present. Returns the offset of the
 * body's first instruction byte (after its locals vector, assumed one byte). */
static size_t build(bytes *o, const uint8_t *sig, size_t sig_n, const uint8_t *body, size_t body_n, bool memory) {
  static const uint8_t hdr[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00};
  o->n = 0;
  put(o, hdr, sizeof hdr);
  uint8_t types[64] = {0x01, 0x60};
  memcpy(types + 2, sig, sig_n);
  put_section(o, 1, types, 2 + sig_n);
  put_section(o, 3, (const uint8_t[]){0x01, 0x00}, 2);
  put_section(o, 4, (const uint8_t[]){0x01, 0x70, 0x00, 0x01}, 4);
  if (memory) put_section(o, 5, (const uint8_t[]){0x01, 0x00, 0x01}, 3);
  put_section(o, 6, (const uint8_t[]){0x01, 0x7F, 0x01, 0x41, 0x00, 0x0B}, 6);
  uint8_t code[256] = {0x01, (uint8_t)body_n};
  memcpy(code + 2, body, body_n);
  size_t code_at = o->n + 2;
  put_section(o, 10, code, 2 + body_n);
  return code_at + 2 + 1;
}

static rt_error run(const bytes *o, bool *accepted) {
  rt_error err;
  rt_error_clear(&err);
  wm_module *m = wm_module_decode(o->b, o->n, &err);
  assert_non_null(m); /* these tests are about validation, decoding must succeed */
  *accepted = wm_module_validate(m, &err);
  wm_module_free(m);
  return err;
}

/* Expects the body to be rejected at body instruction offset `at` with `words`. */
static void reject(const uint8_t *sig, size_t sig_n, const uint8_t *body, size_t body_n, bool memory, size_t at,
                   const char *words) {
  bytes o;
  size_t first = build(&o, sig, sig_n, body, body_n, memory);
  bool ok;
  rt_error err = run(&o, &ok);
  if (ok) fail_msg("accepted; expected \"%s\"", words);
  assert_int_equal(err.kind, WRUN_ERR_INVALID);
  if (at != SIZE_MAX) assert_int_equal(err.offset, first + at);
  if (!strstr(err.message, words)) fail_msg("message \"%s\" lacks \"%s\"", err.message, words);
}

static void accept(const uint8_t *sig, size_t sig_n, const uint8_t *body, size_t body_n, bool memory) {
  bytes o;
  build(&o, sig, sig_n, body, body_n, memory);
  bool ok;
  rt_error err = run(&o, &ok);
  if (!ok) fail_msg("rejected: %s", err.message);
}

#define SIG(...) (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__})
#define BODY(...) (const uint8_t[]){0x00, __VA_ARGS__}, sizeof((const uint8_t[]){0x00, __VA_ARGS__})
#define VOID_SIG SIG(0x00, 0x00)
#define I32_RESULT SIG(0x00, 0x01, 0x7F)

static void test_operand_types(void **state) {
  (void)state;
  /* i32.add of i32 and f32 */
  reject(I32_RESULT, BODY(0x41, 0x01, 0x43, 0, 0, 0, 0, 0x6A, 0x0B), false, 7, "type mismatch");
  accept(I32_RESULT, BODY(0x41, 0x01, 0x41, 0x02, 0x6A, 0x0B), false);
  /* empty stack for i32.eqz */
  reject(I32_RESULT, BODY(0x45, 0x0B), false, 0, "type mismatch");
  /* result missing at the end of the function */
  reject(I32_RESULT, BODY(0x0B), false, 0, "type mismatch");
  /* a value left over in a void function */
  reject(VOID_SIG, BODY(0x41, 0x00, 0x0B), false, 2, "left on the stack");
  /* unreachable makes the stack polymorphic */
  accept(I32_RESULT, BODY(0x00, 0x6A, 0x0B), false);
}

static void test_control(void **state) {
  (void)state;
  /* br to a label that does not exist */
  reject(VOID_SIG, BODY(0x0C, 0x01, 0x0B), false, 0, "unknown label");
  /* block (result i32) with nothing in it */
  reject(VOID_SIG, BODY(0x02, 0x7F, 0x0B, 0x1A, 0x0B), false, 2, "type mismatch");
  /* if (result i32) without else */
  reject(VOID_SIG, BODY(0x41, 0x00, 0x04, 0x7F, 0x41, 0x01, 0x0B, 0x1A, 0x0B), false, 6, "if without else");
  /* br_table whose targets carry different arities */
  reject(VOID_SIG, BODY(0x02, 0x7F, 0x41, 0x00, 0x41, 0x00, 0x0E, 0x01, 0x00, 0x01, 0x0B, 0x1A, 0x0B), false, 6,
         "br_table");
  /* block with a type index that does not exist */
  reject(VOID_SIG, BODY(0x02, 0x05, 0x0B, 0x0B), false, 0, "unknown type");
  /* call of a function that does not exist */
  reject(VOID_SIG, BODY(0x10, 0x07, 0x0B), false, 0, "unknown function");
}

static void test_variables(void **state) {
  (void)state;
  reject(VOID_SIG, BODY(0x20, 0x00, 0x1A, 0x0B), false, 0, "unknown local");
  reject(VOID_SIG, BODY(0x23, 0x03, 0x1A, 0x0B), false, 0, "unknown global");
  /* global.set of an i32 global with an i64 */
  reject(VOID_SIG, BODY(0x42, 0x00, 0x24, 0x00, 0x0B), false, 2, "type mismatch");
  accept(VOID_SIG, BODY(0x41, 0x00, 0x24, 0x00, 0x0B), false);
  /* local.tee keeps the type of the local: param i64 */
  reject(SIG(0x01, 0x7E, 0x00), BODY(0x41, 0x00, 0x22, 0x00, 0x1A, 0x0B), false, 2, "type mismatch");
}

static void test_memory(void **state) {
  (void)state;
  /* i32.load without a memory */
  reject(VOID_SIG, BODY(0x41, 0x00, 0x28, 0x02, 0x00, 0x1A, 0x0B), false, 2, "unknown memory");
  /* i32.load with alignment 2^3 > 4 bytes */
  reject(VOID_SIG, BODY(0x41, 0x00, 0x28, 0x03, 0x00, 0x1A, 0x0B), true, 2, "alignment");
  accept(VOID_SIG, BODY(0x41, 0x00, 0x28, 0x02, 0x00, 0x1A, 0x0B), true);
  /* memory.grow returns i32, not i64 */
  reject(SIG(0x00, 0x01, 0x7E), BODY(0x41, 0x01, 0x40, 0x00, 0x0B), true, 4, "type mismatch");
}

static void test_references_and_tables(void **state) {
  (void)state;
  /* ref.func of a function never declared in an elem segment or export */
  reject(VOID_SIG, BODY(0xD2, 0x00, 0x1A, 0x0B), false, 0, "undeclared function reference");
  /* table.get of table 1 (only table 0 exists) */
  reject(VOID_SIG, BODY(0x41, 0x00, 0x25, 0x01, 0x1A, 0x0B), false, 2, "unknown table");
  /* select on two funcrefs needs the typed form */
  reject(VOID_SIG, BODY(0xD0, 0x70, 0xD0, 0x70, 0x41, 0x00, 0x1B, 0x1A, 0x0B), false, 6, "select");
  accept(VOID_SIG, BODY(0xD0, 0x70, 0xD0, 0x70, 0x41, 0x00, 0x1C, 0x01, 0x70, 0x1A, 0x0B), false);
  /* typed select with two types */
  reject(VOID_SIG, BODY(0x41, 0x00, 0x41, 0x00, 0x41, 0x00, 0x1C, 0x02, 0x7F, 0x7F, 0x1A, 0x0B), false, 6,
         "arity");
}

static void test_simd(void **state) {
  (void)state;
  /* i8x16.extract_lane_s lane 16 */
  const uint8_t v[] = {0xFD, 0x0C, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0};
  uint8_t body[64] = {0x00};
  memcpy(body + 1, v, sizeof v);
  size_t n = 1 + sizeof v;
  body[n++] = 0xFD; body[n++] = 0x15; body[n++] = 16; body[n++] = 0x1A; body[n++] = 0x0B;
  reject(VOID_SIG, body, n, false, 18, "lane");
  body[n - 3] = 15;
  accept(VOID_SIG, body, n, false);
  /* i32x4.add of a v128 and an i32 */
  n = 1 + sizeof v;
  body[n++] = 0x41; body[n++] = 0x00; body[n++] = 0xFD; body[n++] = 0xAE; body[n++] = 0x01;
  body[n++] = 0x1A; body[n++] = 0x0B;
  reject(VOID_SIG, body, n, false, 20, "type mismatch");
}

/* Module-level rules. */
static void check_module(const uint8_t *b, size_t n, bool valid, const char *words) {
  rt_error err;
  rt_error_clear(&err);
  wm_module *m = wm_module_decode(b, n, &err);
  if (!m) fail_msg("test module does not decode: %s", err.message);
  bool ok = wm_module_validate(m, &err);
  wm_module_free(m);
  if (valid && !ok) fail_msg("rejected: %s", err.message);
  if (!valid) {
    if (ok) fail_msg("accepted; expected \"%s\"", words);
    assert_int_equal(err.kind, WRUN_ERR_INVALID);
    if (!strstr(err.message, words)) fail_msg("message \"%s\" lacks \"%s\"", err.message, words);
  }
}

#define MOD(valid, words, ...)                                        \
  do {                                                                \
    const uint8_t b_[] = {0x00, 0x61, 0x73, 0x6D, 0x01, 0x00, 0x00, 0x00, __VA_ARGS__}; \
    check_module(b_, sizeof b_, valid, words);                        \
  } while (0)

static void test_module_rules(void **state) {
  (void)state;
  /* memory min 65537 pages */
  MOD(false, "memory size", 0x05, 0x05, 0x01, 0x00, 0x81, 0x80, 0x04);
  /* memory min > max */
  MOD(false, "minimum must not be greater than maximum", 0x05, 0x04, 0x01, 0x01, 0x02, 0x01);
  /* two memories */
  MOD(false, "multiple memories", 0x05, 0x05, 0x02, 0x00, 0x01, 0x00, 0x01);
  /* a function whose type does not exist */
  MOD(false, "unknown type", 0x03, 0x02, 0x01, 0x00, 0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B);
  /* two exports named "a" (of global 0) */
  MOD(false, "duplicate export name", 0x06, 0x06, 0x01, 0x7F, 0x00, 0x41, 0x00, 0x0B, 0x07, 0x09, 0x02, 0x01,
      'a', 0x03, 0x00, 0x01, 'a', 0x03, 0x00);
  MOD(true, "", 0x06, 0x06, 0x01, 0x7F, 0x00, 0x41, 0x00, 0x0B, 0x07, 0x09, 0x02, 0x01, 'a', 0x03, 0x00, 0x01,
      'b', 0x03, 0x00);
  /* a global initialized with i64.const for an i32 */
  MOD(false, "type mismatch", 0x06, 0x06, 0x01, 0x7F, 0x00, 0x42, 0x00, 0x0B);
  /* a global initialized with a non-constant instruction */
  MOD(false, "constant expression required", 0x06, 0x07, 0x01, 0x7F, 0x00, 0x41, 0x00, 0x45, 0x0B);
  /* a global initialized from a non-imported global */
  MOD(false, "unknown global", 0x06, 0x0B, 0x02, 0x7F, 0x00, 0x41, 0x00, 0x0B, 0x7F, 0x00, 0x23, 0x00, 0x0B);
  /* start function with a parameter: type (i32)->(), func, start 0, body */
  MOD(false, "start function", 0x01, 0x05, 0x01, 0x60, 0x01, 0x7F, 0x00, 0x03, 0x02, 0x01, 0x00, 0x08, 0x01,
      0x00, 0x0A, 0x04, 0x01, 0x02, 0x00, 0x0B);
  /* an active data segment without a memory */
  MOD(false, "unknown memory", 0x0B, 0x06, 0x01, 0x00, 0x41, 0x00, 0x0B, 0x00);
  /* export of function 3 that does not exist */
  MOD(false, "unknown function", 0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x03);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_operand_types), cmocka_unit_test(test_control),
    cmocka_unit_test(test_variables),     cmocka_unit_test(test_memory),
    cmocka_unit_test(test_references_and_tables), cmocka_unit_test(test_simd),
    cmocka_unit_test(test_module_rules),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
