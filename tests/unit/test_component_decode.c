/*
 * test_component_decode.c — the component loader's rejections: each test
 * assembles a small component by hand, byte by byte, around one defect and
 * checks the error's kind, byte offset and message; the matching correct
 * component (where there is one) must load. Also loads the committed corpus
 * in tests/component and checks what the IR says about it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "common/file.h"
#include "component/component.h"

typedef struct bytes { uint8_t b[16384]; size_t n; } bytes;

static void put(bytes *o, const void *p, size_t n) {
  assert_true(o->n + n <= sizeof o->b);
  memcpy(o->b + o->n, p, n);
  o->n += n;
}

static size_t leb(uint8_t *out, uint32_t v) {
  size_t n = 0;
  do {
    uint8_t b = v & 0x7f;
    v >>= 7;
    out[n++] = b | (v ? 0x80 : 0);
  } while (v);
  return n;
}

static const uint8_t preamble[8] = {0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00};

static void start(bytes *o) { o->n = 0; put(o, preamble, 8); }

/* Appends a section; returns the offset of its payload. */
static size_t section(bytes *o, uint8_t id, const void *p, size_t n) {
  uint8_t h[6] = {id};
  size_t hn = 1 + leb(h + 1, (uint32_t)n);
  put(o, h, hn);
  size_t at = o->n;
  put(o, p, n);
  return at;
}
#define SEC(o, id, ...) section(o, id, (const uint8_t[]){__VA_ARGS__}, sizeof((const uint8_t[]){__VA_ARGS__}))

/* A core module exporting "f" of type (params) -> (), body `unreachable`. */
static size_t core_module(bytes *o, const uint8_t *params, uint8_t np) {
  uint8_t m[64] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00};
  size_t n = 8;
  m[n++] = 0x01; m[n++] = (uint8_t)(4 + np); m[n++] = 0x01; m[n++] = 0x60; m[n++] = np;
  if (np) memcpy(m + n, params, np);
  n += np;
  m[n++] = 0x00;
  const uint8_t rest[] = {0x03, 0x02, 0x01, 0x00, 0x07, 0x05, 0x01, 0x01, 'f', 0x00, 0x00,
                          0x0a, 0x05, 0x01, 0x03, 0x00, 0x00, 0x0b};
  memcpy(m + n, rest, sizeof rest);
  n += sizeof rest;
  return section(o, 1, m, n);
}

static wc_component *load(const bytes *o, rt_error *err) {
  rt_error_clear(err);
  return wc_component_load(o->b, o->n, err);
}

static void expect(const bytes *o, rt_error_kind kind, uint64_t offset, const char *text) {
  rt_error err;
  wc_component *c = load(o, &err);
  if (c) fail_msg("expected \"%s\", but the component loaded", text);
  if (err.kind != kind || err.offset != offset || !strstr(err.message, text))
    fail_msg("expected %s at 0x%llx \"%s\"; got %s at 0x%llx \"%s\"", rt_error_kind_name(kind),
             (unsigned long long)offset, text, rt_error_kind_name(err.kind), (unsigned long long)err.offset,
             err.message);
}

static void expect_ok(const bytes *o) {
  rt_error err;
  wc_component *c = load(o, &err);
  if (!c) fail_msg("expected success, got %s at 0x%llx: %s", rt_error_kind_name(err.kind),
                   (unsigned long long)err.offset, err.message);
  wc_component_free(c);
}

/* ---- malformed ---------------------------------------------------------- */

static void test_preamble(void **state) {
  (void)state;
  bytes o;
  start(&o);
  expect_ok(&o); /* the empty component */
  o.b[4] = 0x0e;
  expect(&o, WRUN_ERR_MALFORMED, 4, "unknown component version");
  o.n = 6;
  expect(&o, WRUN_ERR_MALFORMED, 0, "8-byte preamble");
  assert_false(wc_is_component(o.b, o.n));
}

static void test_bad_section_id(void **state) {
  (void)state;
  bytes o;
  start(&o);
  SEC(&o, 13, 0x00);
  expect(&o, WRUN_ERR_MALFORMED, 8, "unknown component section id 13");
}

static void test_truncated(void **state) {
  (void)state;
  bytes o;
  start(&o);
  put(&o, (const uint8_t[]){0x07, 0x05, 0x01}, 3);
  expect(&o, WRUN_ERR_MALFORMED, 9, "section size mismatch");
  start(&o);
  size_t at = SEC(&o, 7, 0x01, 0x72); /* a record whose field vector is cut off */
  expect(&o, WRUN_ERR_MALFORMED, at + 2, "unexpected end");
}

static void test_bad_leb(void **state) {
  (void)state;
  bytes o;
  start(&o);
  size_t at = SEC(&o, 7, 0xff, 0xff, 0xff, 0xff, 0xff, 0x0f);
  expect(&o, WRUN_ERR_MALFORMED, at + 4, "integer too large");
}

static void test_leftover_bytes(void **state) {
  (void)state;
  bytes o;
  start(&o);
  size_t at = SEC(&o, 7, 0x01, 0x73, 0x00);
  expect(&o, WRUN_ERR_MALFORMED, at + 2, "bytes left over in section 7");
}

static void test_bad_opcodes(void **state) {
  (void)state;
  bytes o;
  start(&o);
  size_t at = SEC(&o, 7, 0x01, 0x55);
  expect(&o, WRUN_ERR_MALFORMED, at + 1, "unknown type opcode 0x55");
  start(&o);
  at = SEC(&o, 6, 0x01, 0x09, 0x00, 0x00, 0x00);
  expect(&o, WRUN_ERR_MALFORMED, at + 1, "unknown sort 0x09");
  start(&o);
  at = SEC(&o, 8, 0x01, 0x7e);
  expect(&o, WRUN_ERR_MALFORMED, at + 1, "unknown canonical function 0x7e");
}

static void test_bad_utf8_name(void **state) {
  (void)state;
  bytes o;
  start(&o);
  SEC(&o, 7, 0x01, 0x73);
  size_t at = SEC(&o, 11, 0x01, 0x00, 0x01, 0xff, 0x03, 0x00, 0x00);
  expect(&o, WRUN_ERR_MALFORMED, at + 2, "malformed UTF-8");
}

/* ---- invalid: indices per sort ------------------------------------------ */

static void test_unknown_type(void **state) {
  (void)state;
  bytes o;
  start(&o);
  size_t at = SEC(&o, 7, 0x01, 0x70, 0x05);
  expect(&o, WRUN_ERR_INVALID, at + 2, "unknown type 5: 0 defined");
}

static void test_unknown_core_func(void **state) {
  (void)state;
  bytes o;
  start(&o);
  SEC(&o, 7, 0x01, 0x40, 0x00, 0x01, 0x00);
  size_t at = SEC(&o, 8, 0x01, 0x00, 0x00, 0x03, 0x00, 0x00);
  expect(&o, WRUN_ERR_INVALID, at + 3, "unknown core func 3: 0 defined");
}

static void test_unknown_instance(void **state) {
  (void)state;
  bytes o;
  start(&o);
  size_t at = SEC(&o, 6, 0x01, 0x01, 0x00, 0x02, 0x01, 'f');
  expect(&o, WRUN_ERR_INVALID, at + 3, "unknown instance 2: 0 defined");
  start(&o);
  at = SEC(&o, 6, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 'f');
  expect(&o, WRUN_ERR_INVALID, at + 4, "unknown core instance 0: 0 defined");
}

static void test_unknown_module_and_component(void **state) {
  (void)state;
  bytes o;
  start(&o);
  size_t at = SEC(&o, 2, 0x01, 0x00, 0x00, 0x00);
  expect(&o, WRUN_ERR_INVALID, at + 2, "unknown core module 0: 0 defined");
  start(&o);
  at = SEC(&o, 5, 0x01, 0x00, 0x01, 0x00);
  expect(&o, WRUN_ERR_INVALID, at + 2, "unknown component 1: 0 defined");
}

static void test_alias_sort_mismatch(void **state) {
  (void)state;
  bytes o;
  start(&o);
  core_module(&o, NULL, 0);
  SEC(&o, 2, 0x01, 0x00, 0x00, 0x00);
  /* core export "f" is a func, aliased as a core memory */
  size_t at = SEC(&o, 6, 0x01, 0x00, 0x02, 0x01, 0x00, 0x01, 'f');
  expect(&o, WRUN_ERR_INVALID, at + 1, "is a core func, not a core memory");
  start(&o);
  core_module(&o, NULL, 0);
  SEC(&o, 2, 0x01, 0x00, 0x00, 0x00);
  at = SEC(&o, 6, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 'g');
  expect(&o, WRUN_ERR_INVALID, at + 1, "core instance 0 has no export named \"g\"");
}

static void test_outer_alias(void **state) {
  (void)state;
  bytes o;
  start(&o);
  /* outer count 1 from the root: there is no enclosing scope */
  size_t at = SEC(&o, 6, 0x01, 0x03, 0x02, 0x01, 0x00);
  expect(&o, WRUN_ERR_INVALID, at + 1, "outer alias count 1 exceeds the enclosing scopes");
  start(&o);
  at = SEC(&o, 6, 0x01, 0x01, 0x02, 0x00, 0x00);
  expect(&o, WRUN_ERR_INVALID, at + 1, "outer aliases cannot alias a func");
  /* an outer alias of type 0 of the enclosing component, from a nested one */
  start(&o);
  SEC(&o, 7, 0x01, 0x73);
  SEC(&o, 4, 0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x06, 0x05, 0x01, 0x03, 0x02, 0x01, 0x00);
  expect_ok(&o);
  /* ... but not a resource type, nor a type holding a handle to one */
  for (int handle = 0; handle < 2; handle++) {
    start(&o);
    if (handle) SEC(&o, 7, 0x03, 0x3f, 0x7f, 0x00, 0x69, 0x00, 0x6b, 0x01); /* resource, own, option<own> */
    else SEC(&o, 7, 0x01, 0x3f, 0x7f, 0x00);
    at = SEC(&o, 4, 0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x06, 0x05, 0x01, 0x03, 0x02, 0x01,
             (uint8_t)(handle ? 2 : 0));
    expect(&o, WRUN_ERR_INVALID, at + 11, "outer alias of a type that refers to a resource");
  }
}

/* ---- invalid: canonical functions --------------------------------------- */

/* core module exporting f: (params) -> (); instance; alias core func; lift as `ftype`. */
static size_t lift_case(bytes *o, const uint8_t *params, uint8_t np, const uint8_t *ftype, size_t fn,
                        const uint8_t *opts, size_t on) {
  start(o);
  core_module(o, params, np);
  SEC(o, 2, 0x01, 0x00, 0x00, 0x00);
  SEC(o, 6, 0x01, 0x00, 0x00, 0x01, 0x00, 0x01, 'f');
  uint8_t t[64] = {0x01};
  memcpy(t + 1, ftype, fn);
  section(o, 7, t, 1 + fn);
  uint8_t c[64] = {0x01, 0x00, 0x00, 0x00};
  memcpy(c + 4, opts, on);
  c[4 + on] = 0x00;
  return section(o, 8, c, 5 + on);
}

static void test_lift_type_mismatch(void **state) {
  (void)state;
  bytes o;
  const uint8_t i64[] = {0x7e}, i32[] = {0x7f};
  const uint8_t ft[] = {0x40, 0x01, 0x01, 'a', 0x79, 0x01, 0x00}; /* func (a: u32) */
  size_t at = lift_case(&o, i64, 1, ft, sizeof ft, (const uint8_t[]){0x00}, 1);
  expect(&o, WRUN_ERR_INVALID, at + 3, "core func 0 has type [i64] -> [], the lifted type flattens to [i32] -> []");
  lift_case(&o, i32, 1, ft, sizeof ft, (const uint8_t[]){0x00}, 1);
  expect_ok(&o);
  /* s64 and f32 flatten to i64 and f32 */
  const uint8_t ft2[] = {0x40, 0x02, 0x01, 'a', 0x78, 0x01, 'b', 0x76, 0x01, 0x00};
  lift_case(&o, (const uint8_t[]){0x7e, 0x7d}, 2, ft2, sizeof ft2, (const uint8_t[]){0x00}, 1);
  expect_ok(&o);
}

static void test_lift_needs_memory(void **state) {
  (void)state;
  bytes o;
  const uint8_t i32x2[] = {0x7f, 0x7f};
  const uint8_t ft[] = {0x40, 0x01, 0x01, 's', 0x73, 0x01, 0x00}; /* func (s: string) */
  size_t at = lift_case(&o, i32x2, 2, ft, sizeof ft, (const uint8_t[]){0x00}, 1);
  expect(&o, WRUN_ERR_INVALID, at + 1, "need the memory option");
  /* a memory given, but not a core memory that exists */
  at = lift_case(&o, i32x2, 2, ft, sizeof ft, (const uint8_t[]){0x01, 0x03, 0x00}, 3);
  expect(&o, WRUN_ERR_INVALID, at + 6, "unknown core memory 0: 0 defined");
}

static void test_canon_duplicate_option(void **state) {
  (void)state;
  bytes o;
  const uint8_t i32[] = {0x7f};
  const uint8_t ft[] = {0x40, 0x01, 0x01, 'a', 0x79, 0x01, 0x00};
  size_t at = lift_case(&o, i32, 1, ft, sizeof ft, (const uint8_t[]){0x02, 0x00, 0x01}, 3);
  expect(&o, WRUN_ERR_INVALID, at + 6, "string-encoding given twice");
}

static void test_resource_rules(void **state) {
  (void)state;
  bytes o;
  start(&o);
  size_t at = SEC(&o, 7, 0x02, 0x73, 0x69, 0x00);
  expect(&o, WRUN_ERR_INVALID, at + 3, "is not a resource type");
  start(&o);
  at = SEC(&o, 7, 0x01, 0x3f, 0x7e, 0x00);
  expect(&o, WRUN_ERR_INVALID, at + 2, "resource representation must be i32");
  /* a borrow handle in a function result */
  start(&o);
  at = SEC(&o, 7, 0x03, 0x3f, 0x7f, 0x00, 0x68, 0x00, 0x40, 0x00, 0x00, 0x01);
  expect(&o, WRUN_ERR_INVALID, at + 8, "must not contain a borrow handle");
  start(&o);
  at = SEC(&o, 7, 0x01, 0x73);
  at = SEC(&o, 8, 0x01, 0x02, 0x00);
  expect(&o, WRUN_ERR_INVALID, at + 2, "canon resource.new: type 0 is not a resource type");
  start(&o);
  SEC(&o, 7, 0x01, 0x3f, 0x7f, 0x00);
  SEC(&o, 8, 0x03, 0x02, 0x00, 0x03, 0x00, 0x04, 0x00);
  expect_ok(&o);
  /* an imported resource: drop is allowed, new and rep are not */
  start(&o);
  SEC(&o, 10, 0x01, 0x00, 0x01, 'r', 0x03, 0x01);
  SEC(&o, 8, 0x01, 0x03, 0x00);
  at = SEC(&o, 8, 0x01, 0x02, 0x00);
  expect(&o, WRUN_ERR_INVALID, at + 2, "canon resource.new: resource type 0 is not defined by this component");
}

static void test_type_rules(void **state) {
  (void)state;
  bytes o;
  start(&o);
  size_t at = SEC(&o, 7, 0x01, 0x72, 0x00);
  expect(&o, WRUN_ERR_INVALID, at + 1, "record type must have at least one field");
  start(&o);
  at = SEC(&o, 7, 0x01, 0x72, 0x02, 0x01, 'a', 0x79, 0x01, 'A', 0x79);
  expect(&o, WRUN_ERR_INVALID, at + 1, "duplicate record field name \"A\"");
  bytes big;
  start(&big);
  uint8_t f[200] = {0x01, 0x6e, 33};
  size_t n = 3;
  for (int i = 0; i < 33; i++) { f[n++] = 2; f[n++] = 'a' + i / 26; f[n++] = 'a' + i % 26; }
  at = section(&big, 7, f, n);
  expect(&big, WRUN_ERR_INVALID, at + 1, "flags type has 33 labels: at most 32");
}

/* ---- invalid: names ----------------------------------------------------- */

static void export_named(bytes *o, const char *a, const char *b, size_t *second_at) {
  start(o);
  SEC(o, 7, 0x01, 0x73);
  uint8_t e[128] = {b ? 2 : 1};
  size_t n = 1;
  const char *names[2] = {a, b};
  for (int i = 0; i < (b ? 2 : 1); i++) {
    if (i == 1) *second_at = n;
    e[n++] = 0x00;
    e[n++] = (uint8_t)strlen(names[i]);
    memcpy(e + n, names[i], strlen(names[i]));
    n += strlen(names[i]);
    e[n++] = 0x03; e[n++] = 0x00; e[n++] = 0x00;
  }
  size_t at = section(o, 11, e, n);
  if (b) *second_at += at;
  else *second_at = at + 1;
}

static void test_duplicate_export(void **state) {
  (void)state;
  bytes o;
  size_t at;
  export_named(&o, "a-b", "A-B", &at);
  expect(&o, WRUN_ERR_INVALID, at, "duplicate export name \"A-B\" (conflicts with \"a-b\")");
  export_named(&o, "a-b", "a-c", &at);
  expect_ok(&o);
}

static void test_bad_names(void **state) {
  (void)state;
  bytes o;
  size_t at;
  export_named(&o, "Foo-bar", NULL, &at);
  expect(&o, WRUN_ERR_INVALID, at, "not a kebab-case label");
  export_named(&o, "foo_bar", NULL, &at);
  expect(&o, WRUN_ERR_INVALID, at, "not a kebab-case label");
  export_named(&o, "a:b/c@1.02.3", NULL, &at);
  expect(&o, WRUN_ERR_INVALID, at, "invalid semver version");
  export_named(&o, "a:b/c@1.2", NULL, &at);
  expect(&o, WRUN_ERR_INVALID, at, "invalid semver version");
  export_named(&o, "a:b/c@1.2.3-rc.01", NULL, &at);
  expect(&o, WRUN_ERR_INVALID, at, "invalid semver version");
  export_named(&o, "a:b", NULL, &at);
  expect(&o, WRUN_ERR_INVALID, at, "needs a /interface projection");
  export_named(&o, "[method]r.m", NULL, &at);
  expect(&o, WRUN_ERR_INVALID, at, "annotated names are only allowed on functions");
  export_named(&o, "wasi:cli/run@0.2.12-rc.1+b.01", NULL, &at);
  expect_ok(&o);
  export_named(&o, "wasi:http/types", NULL, &at);
  expect_ok(&o);
}

/* ---- invalid: instantiation --------------------------------------------- */

static void test_instantiate_args(void **state) {
  (void)state;
  bytes o;
  start(&o);
  /* component 0 imports func "x" of type func() */
  SEC(&o, 4, 0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x07, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00, 0x0a, 0x06,
      0x01, 0x00, 0x01, 'x', 0x01, 0x00);
  size_t at = SEC(&o, 5, 0x01, 0x00, 0x00, 0x00);
  expect(&o, WRUN_ERR_INVALID, at + 1, "missing argument for import \"x\"");
  start(&o);
  SEC(&o, 4, 0x00, 0x61, 0x73, 0x6d, 0x0d, 0x00, 0x01, 0x00, 0x07, 0x05, 0x01, 0x40, 0x00, 0x01, 0x00, 0x0a, 0x06,
      0x01, 0x00, 0x01, 'x', 0x01, 0x00);
  SEC(&o, 7, 0x01, 0x73);
  at = SEC(&o, 5, 0x01, 0x00, 0x00, 0x01, 0x01, 'x', 0x03, 0x00);
  expect(&o, WRUN_ERR_INVALID, at + 4, "argument \"x\" is a type, the import is a func"); /* at the argument */
}

static void test_core_instantiate_args(void **state) {
  (void)state;
  bytes o;
  start(&o);
  /* a core module importing "env" "g" (func) */
  static const uint8_t m[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60, 0x00, 0x00,
                              0x02, 0x09, 0x01, 0x03, 'e', 'n', 'v', 0x01, 'g', 0x00, 0x00};
  section(&o, 1, m, sizeof m);
  size_t at = SEC(&o, 2, 0x01, 0x00, 0x00, 0x00);
  expect(&o, WRUN_ERR_INVALID, at + 1, "no argument supplies import module \"env\"");
  start(&o);
  section(&o, 1, m, sizeof m);
  SEC(&o, 2, 0x01, 0x01, 0x00); /* core instance 0: no exports */
  at = SEC(&o, 2, 0x01, 0x00, 0x00, 0x01, 0x03, 'e', 'n', 'v', 0x12, 0x00);
  expect(&o, WRUN_ERR_INVALID, at + 1, "import \"env\" \"g\" (core func) is not exported by core instance 0");
}

static void test_core_module_error_offset(void **state) {
  (void)state;
  bytes o;
  start(&o);
  /* a core module whose type section has an unknown value type byte */
  static const uint8_t m[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x05, 0x01, 0x60, 0x01, 0x55, 0x00};
  size_t at = section(&o, 1, m, sizeof m);
  rt_error err;
  wc_component *c = load(&o, &err);
  assert_null(c);
  assert_int_equal(err.kind, WRUN_ERR_MALFORMED);
  assert_int_equal(err.offset, at + 13); /* the 0x55, in component coordinates */
}

/* ---- limits ------------------------------------------------------------- */

/* `levels` components nested inside the root. */
static void nest(bytes *o, int levels) {
  static uint8_t buf[2][16384];
  size_t n = 8;
  memcpy(buf[0], preamble, 8);
  int cur = 0;
  for (int i = 0; i < levels; i++) {
    uint8_t *dst = buf[!cur];
    memcpy(dst, preamble, 8);
    dst[8] = 4;
    size_t h = 9 + leb(dst + 9, (uint32_t)n);
    memcpy(dst + h, buf[cur], n);
    n += h;
    cur = !cur;
  }
  o->n = 0;
  put(o, buf[cur], n);
}

static void test_nesting_too_deep(void **state) {
  (void)state;
  static bytes o;
  nest(&o, WC_MAX_DEPTH - 1);
  expect_ok(&o);
  nest(&o, WC_MAX_DEPTH);
  /* the innermost allowed component's section holding one more */
  size_t pos = 0;
  for (unsigned d = 0; d < WC_MAX_DEPTH; d++) {
    pos += 9;
    while (o.b[pos] & 0x80) pos++;
    pos++;
  }
  expect(&o, WRUN_ERR_LIMIT, pos, "components nested too deeply: more than 100 levels");
}

static void test_type_too_deep_or_large(void **state) {
  (void)state;
  static bytes o;
  start(&o);
  uint8_t t[400] = {101, 0x70, 0x7d};
  size_t n = 3, last = 0;
  for (int i = 1; i <= 100; i++) {
    last = n;
    t[n++] = 0x70;
    /* type indices are s33: from 64 on they take two bytes */
    if (i - 1 < 64) t[n++] = (uint8_t)(i - 1);
    else { t[n++] = (uint8_t)(0x80 | ((i - 1) & 0x7f)); t[n++] = (uint8_t)((i - 1) >> 7); }
  }
  size_t at = section(&o, 7, t, n);
  expect(&o, WRUN_ERR_LIMIT, at + last, "value type nested too deeply");
  /* tuples of two of the previous: 2^k nodes as a tree, in 4 bytes each */
  start(&o);
  n = 0;
  t[n++] = 40;
  t[n++] = 0x6f; t[n++] = 0x02; t[n++] = 0x7d; t[n++] = 0x7d;
  for (int i = 1; i < 40; i++) { t[n++] = 0x6f; t[n++] = 0x02; t[n++] = (uint8_t)(i - 1); t[n++] = (uint8_t)(i - 1); }
  section(&o, 7, t, n);
  rt_error err;
  assert_null(load(&o, &err));
  assert_int_equal(err.kind, WRUN_ERR_LIMIT);
  assert_non_null(strstr(err.message, "value type too large"));
}

/* ---- the committed corpus ----------------------------------------------- */

static wc_component *load_file(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/../component/%s", WRUN_TEST_DATA, name);
  rt_error err;
  rt_error_clear(&err);
  size_t len;
  uint8_t *b = rt_read_file(path, &len, &err);
  assert_non_null(b);
  wc_component *c = wc_component_load(b, len, &err);
  free(b);
  if (!c) fail_msg("%s: %s", name, err.message);
  return c;
}

static void test_corpus(void **state) {
  (void)state;
  wc_component *c = load_file("canon.wasm");
  assert_int_equal(c->nmodules, 2);
  assert_int_equal(c->nspace[WC_FUNC], 1 + 7 + 7); /* import, lifts, exports */
  /* the 17-field record spills: `many` lifts to [i32] -> [i32] */
  const wc_type *ct = wc_type_at(c, c->type);
  bool found = false;
  for (uint32_t i = 0; i < ct->nexports; i++)
    if (ct->exports[i].name.len == 4 && memcmp(ct->exports[i].name.ptr, "many", 4) == 0) found = true;
  assert_true(found);
  for (uint32_t i = 0; i < c->ndefs; i++)
    if (c->defs[i].kind == WC_DEF_CANON && c->defs[i].u.canon.op == WC_CANON_LOWER) {
      assert_int_equal(c->defs[i].u.canon.opts.encoding, WC_UTF16);
      assert_int_not_equal(c->defs[i].u.canon.opts.realloc, WC_NONE);
    }
  wc_component_free(c);
  c = load_file("nested.wasm");
  assert_int_equal(c->ncomponents, 1);
  assert_int_equal(c->components[0]->ncomponents, 1);
  assert_int_equal(c->total_modules, 1);
  wc_component_free(c);
  c = load_file("resources.wasm");
  assert_int_equal(c->nspace[WC_CORE_FUNC], 3 + 1 + 4 /* canon */ - 3 + 3);
  wc_component_free(c);
  c = load_file("types.wasm");
  wc_component_free(c);
  /* wit.wasm: one instance import whose type holds a resource and its members */
  c = load_file("wit.wasm");
  ct = wc_type_at(c, c->type);
  assert_int_equal(ct->nimports, 2);
  assert_int_equal(ct->imports[0].sort, WC_INSTANCE);
  const wc_type *api = wc_type_at(c, ct->imports[0].type);
  assert_int_equal(api->nexports, 10);
  assert_int_equal(wc_type_at(c, api->exports[0].type)->kind, WC_T_RESOURCE);
  wc_component_free(c);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_preamble),
    cmocka_unit_test(test_bad_section_id),
    cmocka_unit_test(test_truncated),
    cmocka_unit_test(test_bad_leb),
    cmocka_unit_test(test_leftover_bytes),
    cmocka_unit_test(test_bad_opcodes),
    cmocka_unit_test(test_bad_utf8_name),
    cmocka_unit_test(test_unknown_type),
    cmocka_unit_test(test_unknown_core_func),
    cmocka_unit_test(test_unknown_instance),
    cmocka_unit_test(test_unknown_module_and_component),
    cmocka_unit_test(test_alias_sort_mismatch),
    cmocka_unit_test(test_outer_alias),
    cmocka_unit_test(test_lift_type_mismatch),
    cmocka_unit_test(test_lift_needs_memory),
    cmocka_unit_test(test_canon_duplicate_option),
    cmocka_unit_test(test_resource_rules),
    cmocka_unit_test(test_type_rules),
    cmocka_unit_test(test_duplicate_export),
    cmocka_unit_test(test_bad_names),
    cmocka_unit_test(test_instantiate_args),
    cmocka_unit_test(test_core_instantiate_args),
    cmocka_unit_test(test_core_module_error_offset),
    cmocka_unit_test(test_nesting_too_deep),
    cmocka_unit_test(test_type_too_deep_or_large),
    cmocka_unit_test(test_corpus),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
