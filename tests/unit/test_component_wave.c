/*
 * test_component_wave.c — the WAVE value text (src/component/wave.c): for
 * every type constructor a table of texts with the canonical text they print
 * back as, or the error (with its line:column) they must give; explicit
 * checks of the parsed values; round trips print(parse(x)) == x for
 * canonical texts and parse(print(v)) == v; function-call argument lists;
 * and the nesting cap on a self-referential hand-made type.
 *
 * Types are built directly in a type arena with wc_type_add, as in
 * test_component_canon.c.
 */
#include <math.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "component/component_internal.h"
#include "component/wave.h"

static wc_types TS;
static rt_error ERR;
static wc_loader L;
static wc_arena arena;

static wc_val P(wc_prim p) { return WC_PRIM_BIT | p; }

static wc_val add(wc_type t) {
  uint32_t id = wc_type_add(&L, &t, 0);
  assert_int_not_equal(id, WC_NONE);
  return id;
}

/* A type with items named names[i] ("" for tuples) of types[i] (WC_NONE: no type). */
static wc_val items_type(wc_type_kind kind, uint32_t n, const char *const *names, const wc_val *types) {
  wc_type t = {.kind = kind, .nitems = n};
  t.items = calloc(n, sizeof *t.items);
  assert_non_null(t.items);
  for (uint32_t i = 0; i < n; i++) {
    t.items[i].name = names ? (wc_str){names[i], (uint32_t)strlen(names[i])} : (wc_str){"", 0};
    t.items[i].type = types ? types[i] : WC_NONE;
    t.items[i].has_type = types && types[i] != WC_NONE;
  }
  return add(t);
}
static wc_val elem_type(wc_type_kind kind, wc_val elem) { return add((wc_type){.kind = kind, .elem = elem}); }

/* The types of the tables, built by setup. */
static wc_val T_LIST_U32, T_LIST_STR, T_FIXED3, T_TUPLE, T_TUPLE1, T_REC, T_REC_OPT, T_VARIANT, T_ENUM, T_OPT,
    T_OPT_OPT, T_RES, T_RES_UNIT, T_RES_ERR, T_FLAGS, T_OWN, T_NESTED, T_NAMED, T_LIST_F32;

static int setup(void **state) {
  (void)state;
  memset(&TS, 0, sizeof TS);
  memset(&L, 0, sizeof L);
  L.types = &TS;
  L.err = &ERR;
  T_LIST_U32 = elem_type(WC_T_LIST, P(WC_U32));
  T_LIST_STR = elem_type(WC_T_LIST, P(WC_STRING));
  T_LIST_F32 = elem_type(WC_T_LIST, P(WC_F32));
  T_FIXED3 = add((wc_type){.kind = WC_T_FIXED_LIST, .elem = P(WC_U8), .len = 3});
  T_TUPLE = items_type(WC_T_TUPLE, 2, NULL, (wc_val[]){P(WC_U8), P(WC_STRING)});
  T_TUPLE1 = items_type(WC_T_TUPLE, 1, NULL, (wc_val[]){P(WC_BOOL)});
  T_OPT = elem_type(WC_T_OPTION, P(WC_U8));
  T_OPT_OPT = elem_type(WC_T_OPTION, T_OPT);
  T_REC = items_type(WC_T_RECORD, 3, (const char *[]){"a", "b-c", "opt"}, (wc_val[]){P(WC_U32), P(WC_STRING), T_OPT});
  T_REC_OPT = items_type(WC_T_RECORD, 2, (const char *[]){"x", "y"}, (wc_val[]){T_OPT, T_OPT});
  T_VARIANT = items_type(WC_T_VARIANT, 3, (const char *[]){"empty", "body", "err"},
                         (wc_val[]){WC_NONE, T_LIST_U32, P(WC_STRING)});
  T_ENUM = items_type(WC_T_ENUM, 3, (const char *[]){"north", "south-west", "ok"}, NULL);
  T_RES = items_type(WC_T_RESULT, 2, (const char *[]){"", ""}, (wc_val[]){P(WC_STRING), P(WC_U32)});
  T_RES_UNIT = items_type(WC_T_RESULT, 2, (const char *[]){"", ""}, (wc_val[]){WC_NONE, WC_NONE});
  T_RES_ERR = items_type(WC_T_RESULT, 2, (const char *[]){"", ""}, (wc_val[]){WC_NONE, P(WC_STRING)});
  T_FLAGS = items_type(WC_T_FLAGS, 3, (const char *[]){"read", "write", "exec"}, NULL);
  wc_val res = add((wc_type){.kind = WC_T_RESOURCE, .name = {"file", 4}, .dtor = WC_NONE});
  T_OWN = add((wc_type){.kind = WC_T_OWN, .resource = res});
  T_NESTED = elem_type(WC_T_LIST, T_REC);
  T_NAMED = add((wc_type){.kind = WC_T_PRIM, .prim = WC_S16, .name = {"my-int", 6}});
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (uint32_t i = 0; i < TS.n; i++) wc_type_release(&TS.v[i]);
  free(TS.v);
  wc_arena_free(&arena);
  return 0;
}

/* Parses text as t; on success prints it and returns the printed text
 * (malloc'd), else NULL with the message in err. */
static char *parse_print(wc_val t, const char *text, char *err, size_t errlen, wc_value *v) {
  wc_value tmp;
  if (!v) v = &tmp;
  if (!wc_wave_parse(&TS, t, text, strlen(text), &arena, v, err, errlen)) return NULL;
  wc_wave_buf b = {.p = NULL};
  if (!wc_wave_print(&TS, t, v, &b)) fail_msg("print failed: %s", b.err);
  return b.p;
}

typedef struct row {
  const wc_val *type;   /* a pointer: the ids exist only after setup */
  const char *text;
  const char *expect;   /* canonical print, or (when starting with a digit) the error's "L:C: message" prefix */
} row;

static void run_rows(const row *rows, size_t n) {
  for (size_t k = 0; k < n; k++) {
    char err[256];
    wc_value v;
    char *out = parse_print(*rows[k].type, rows[k].text, err, sizeof err, &v);
    bool want_error = rows[k].expect[0] >= '0' && rows[k].expect[0] <= '9' && strchr(rows[k].expect, ':');
    if (want_error) {
      if (out) fail_msg("row %zu '%s': expected error '%s', got value %s", k, rows[k].text, rows[k].expect, out);
      if (strncmp(err, rows[k].expect, strlen(rows[k].expect)) != 0)
        fail_msg("row %zu '%s': error '%s' does not start with '%s'", k, rows[k].text, err, rows[k].expect);
      continue;
    }
    if (!out) fail_msg("row %zu '%s': unexpected error %s", k, rows[k].text, err);
    if (strcmp(out, rows[k].expect) != 0) fail_msg("row %zu '%s': printed '%s', expected '%s'", k, rows[k].text, out, rows[k].expect);
    /* the canonical text is a fixed point and reads back as an equal value */
    wc_value again;
    char *out2 = parse_print(*rows[k].type, out, err, sizeof err, &again);
    if (!out2) fail_msg("row %zu: canonical '%s' does not parse: %s", k, out, err);
    assert_string_equal(out2, out);
    assert_true(wc_wave_equal(&TS, *rows[k].type, &v, &again));
    free(out2);
    free(out);
  }
}

static const wc_val PBOOL = WC_PRIM_BIT | WC_BOOL, PS8 = WC_PRIM_BIT | WC_S8, PU8 = WC_PRIM_BIT | WC_U8,
                    PS16 = WC_PRIM_BIT | WC_S16, PU16 = WC_PRIM_BIT | WC_U16, PS32 = WC_PRIM_BIT | WC_S32,
                    PU32 = WC_PRIM_BIT | WC_U32, PS64 = WC_PRIM_BIT | WC_S64, PU64 = WC_PRIM_BIT | WC_U64,
                    PF32 = WC_PRIM_BIT | WC_F32, PF64 = WC_PRIM_BIT | WC_F64, PCHAR = WC_PRIM_BIT | WC_CHAR,
                    PSTR = WC_PRIM_BIT | WC_STRING;

static void test_primitives(void **state) {
  (void)state;
  static const row rows[] = {
    {&PBOOL, "true", "true"}, {&PBOOL, " false // no\n", "false"},
    {&PBOOL, "True", "1:1: expected true or false, found 'True'"},
    {&PBOOL, "%true", "1:1: expected true or false"}, {&PBOOL, "1", "1:1: expected true or false, found '1'"},
    {&PS8, "-128", "-128"}, {&PS8, "127", "127"}, {&PS8, "128", "1:1: 128 is out of range for s8"},
    {&PS8, "-129", "1:1: -129 is out of range for s8"},
    {&PU8, "255", "255"}, {&PU8, "-0", "0"},
    {&PS16, "-32768", "-32768"}, {&PU16, "65536", "1:1: 65536 is out of range for u16"},
    {&PS32, "-2147483648", "-2147483648"}, {&PU32, "4294967295", "4294967295"},
    {&PU32, "  4294967296", "1:3: 4294967296 is out of range for u32"},
    {&PU32, "-1", "1:1: -1 is out of range for u32"},
    {&PS64, "-9223372036854775808", "-9223372036854775808"},
    {&PS64, "9223372036854775808", "1:1: 9223372036854775808 is out of range for s64"},
    {&PU64, "18446744073709551615", "18446744073709551615"},
    {&PU64, "18446744073709551616", "1:1: 18446744073709551616 is out of range for u64"},
    {&PU64, "99999999999999999999999", "1:1: 99999999999999999999999 is out of range for u64"},
    {&PU32, "1.5", "1:1: expected an integer for u32, found '1.5'"},
    {&PU32, "1e3", "1:1: expected an integer for u32"}, {&PU32, "007", "1:1: invalid number '00'"},
    {&PU32, "12x", "1:1: invalid number '12x'"}, {&PU32, "+1", "1:1: expected u32, found '+'"},
    {&PU32, "1 2", "1:3: unexpected '2' after the value"}, {&PU32, "", "1:1: expected u32, found end of input"},
    {&PF32, "1.5", "1.5"}, {&PF32, "0.1", "0.1"}, {&PF32, "-0", "-0"}, {&PF32, "nan", "nan"},
    {&PF32, "inf", "inf"}, {&PF32, "-inf", "-inf"}, {&PF32, "3.4028235e38", "3.4028235e+38"},
    {&PF32, "3.5e38", "1:1: 3.5e38 is out of range for f32"}, {&PF32, "1e-50", "0"},
    {&PF32, "16777217", "16777216"}, {&PF32, "NaN", "1:1: expected f32, found 'NaN'"},
    {&PF32, "-nan", "1:1: expected f32, found '-nan'"}, {&PF32, "1.", "1:3: expected a digit after '.'"},
    {&PF32, ".5", "1:1: expected f32, found '.'"}, {&PF32, "1e", "1:3: expected a digit in the exponent"},
    {&PF64, "6.022e+23", "6.022e+23"}, {&PF64, "0.1", "0.1"}, {&PF64, "2", "2"},
    {&PF64, "1.7976931348623157e308", "1.7976931348623157e+308"}, {&PF64, "1e400", "1:1: 1e400 is out of range for f64"},
    {&PF64, "5e-324", "5e-324"}, {&PF64, "4.9406564584124654e-324", "5e-324"}, {&PF64, "-inf", "-inf"}, {&PF64, "-infinity", "1:1: expected f64"},
    {&PCHAR, "'x'", "'x'"}, {&PCHAR, "'\\''", "'\\''"}, {&PCHAR, "'\"'", "'\"'"}, {&PCHAR, "'\\\"'", "'\"'"},
    {&PCHAR, "'\xe2\x98\x83'", "'\xe2\x98\x83'"}, {&PCHAR, "'\\u{1F600}'", "'\xf0\x9f\x98\x80'"},
    {&PCHAR, "'\\u{0}'", "'\\u{0}'"}, {&PCHAR, "'\\t'", "'\\t'"}, {&PCHAR, "'\\u{7f}'", "'\\u{7f}'"},
    {&PCHAR, "'\\u{D800}'", "1:2: \\u{D800} is not a Unicode scalar value"},
    {&PCHAR, "'\\u{110000}'", "1:2: \\u{110000} is not a Unicode scalar value"},
    {&PCHAR, "'\\u{1234567}'", "1:2: \\u{...} has more than 6 hex digits"},
    {&PCHAR, "'\xed\xa0\x80'", "1:2: invalid UTF-8"}, {&PCHAR, "'ab'", "1:1: a char holds exactly one character"},
    {&PCHAR, "''", "1:1: empty char"}, {&PCHAR, "'\\q'", "1:2: invalid escape '\\q'"}, {&PCHAR, "'x", "1:1: a char holds"},
    {&PCHAR, "x", "1:1: expected char, found 'x'"},
    {&PSTR, "\"s\"", "\"s\""}, {&PSTR, "\"\"", "\"\""},
    {&PSTR, "\"a\\n\\t\\\"\\\\\\r\\u{1F600}'\\'\"", "\"a\\n\\t\\\"\\\\\\r\xf0\x9f\x98\x80''\""},
    {&PSTR, "\"\xc3\xa9t\xc3\xa9\"", "\"\xc3\xa9t\xc3\xa9\""}, {&PSTR, "\"\x01\"", "\"\\u{1}\""},
    {&PSTR, "\"ab", "1:1: unterminated string"}, {&PSTR, "\"a\nb\"", "1:3: line break in a string"},
    {&PSTR, "\"\xc3\xa9\\u{dfff}\"", "1:3: \\u{DFFF} is not a Unicode scalar value"},
    {&PSTR, "\"\xc0\x80\"", "1:2: invalid UTF-8"}, {&PSTR, "\"x\" \"y\"", "1:5: unexpected '\"' after the value"},
    {&PSTR, "\n  \"\xc3\xa9\" x", "2:7: unexpected 'x' after the value"},
    {&PSTR, "\"\"\"\n  one\n    two\\t\n  \"\"\"", "\"one\\n  two\\t\""},
    {&PSTR, "\"\"\"\r\n  a \"quoted\"\r\n  \"\"\"", "\"a \\\"quoted\\\"\""},
    {&PSTR, "\"\"\"\n\"\"\"", "\"\""},
    {&PSTR, "\"\"\"one\n\"\"\"", "1:1: opening \"\"\" must be followed by a line break"},
    {&PSTR, "\"\"\"\n  a\n b\n  \"\"\"", "3:1: lines must be indented at least as much"},
    {&PSTR, "\"\"\"\n  a  \"\"\"", "2:6: closing \"\"\" must be on a line of its own"},
    {&PSTR, "\"\"\"\n a\n", "1:1: unterminated multi-line string"},
    {&T_NAMED, "-7", "-7"}, {&T_NAMED, "x", "1:1: expected s16, found 'x'"},
  };
  run_rows(rows, sizeof rows / sizeof rows[0]);
}

static void test_compound(void **state) {
  (void)state;
  static const row rows[] = {
    /* lists */
    {&T_LIST_U32, "[]", "[]"}, {&T_LIST_U32, "[1,2 ,3,]", "[1, 2, 3]"}, {&T_LIST_U32, "[ // c\n 1 ]", "[1]"},
    {&T_LIST_U32, "[1 2]", "1:4: expected ',' or ']' in list<u32>, found '2'"},
    {&T_LIST_U32, "[1,,2]", "1:4: expected u32, found ','"}, {&T_LIST_U32, "[1", "1:3: expected ',' or ']' in list<u32>, found end of input"},
    {&T_LIST_U32, "[-1]", "1:2: -1 is out of range for u32"}, {&T_LIST_U32, "(1)", "1:1: expected '[' to start list<u32>, found '('"},
    {&T_LIST_STR, "[\"a\", \"b\\n\"]", "[\"a\", \"b\\n\"]"}, {&T_LIST_F32, "[nan, -inf, 1e10]", "[nan, -inf, 1e+10]"},
    {&T_FIXED3, "[1, 2, 3]", "[1, 2, 3]"}, {&T_FIXED3, "[1, 2]", "1:1: list<u8, 3> has 3 elements, found 2"},
    /* tuples */
    {&T_TUPLE, "(1, \"a\")", "(1, \"a\")"}, {&T_TUPLE, "( 1 , \"a\" , )", "(1, \"a\")"},
    {&T_TUPLE, "(1)", "1:3: tuple<u8, string> has 2 values, found 1"},
    {&T_TUPLE, "(1, \"a\", 2)", "1:10: expected ')' after the 2 values of tuple<u8, string>, found '2'"},
    {&T_TUPLE, "(1 \"a\")", "1:4: expected ',' or ')' in tuple<u8, string>"}, {&T_TUPLE1, "(true)", "(true)"},
    {&T_TUPLE, "()", "1:2: tuple<u8, string> has 2 values, found 0"},
    /* records */
    {&T_REC, "{a: 1, b-c: \"x\"}", "{a: 1, b-c: \"x\"}"}, {&T_REC, "{b-c: \"x\", a: 1, opt: none,}", "{a: 1, b-c: \"x\"}"},
    {&T_REC, "{a: 1, b-c: \"x\", opt: 5}", "{a: 1, b-c: \"x\", opt: some(5)}"},
    {&T_REC, "{%a: 1, b-c: \"x\", opt: some(5)}", "{a: 1, b-c: \"x\", opt: some(5)}"},
    {&T_REC, "{a: 1}", "1:6: missing field 'b-c' in record"},
    {&T_REC, "{a: 1, a: 2, b-c: \"\"}", "1:8: duplicate field 'a' in record"},
    {&T_REC, "{a: 1, d: 2}", "1:8: unknown field 'd' in record"},
    {&T_REC, "{a 1}", "1:4: expected ':' after a field name in record, found '1'"},
    {&T_REC, "{a: 1, b-c: \"x\" opt: none}", "1:17: expected ',' or '}' in record, found 'opt'"},
    {&T_REC, "{a-: 1}", "1:2: invalid label 'a-'"}, {&T_REC, "{aB: 1}", "1:2: invalid label 'aB'"},
    {&T_REC, "{a--b: 1}", "1:2: invalid label 'a--b'"}, {&T_REC, "{1a: 1}", "1:2: invalid label '1a'"},
    {&T_REC, "{}", "1:2: missing field 'a' in record"},
    {&T_REC_OPT, "{:}", "{:}"}, {&T_REC_OPT, "{ : }", "{:}"}, {&T_REC_OPT, "{x: none}", "{:}"},
    {&T_REC_OPT, "{y: 2}", "{y: some(2)}"}, {&T_REC_OPT, "{}", "1:1: a record with every field left out is written {:}"},
    {&T_NESTED, "[{a: 1, b-c: \"\"}, {a: 2, b-c: \"z\", opt: 0}]", "[{a: 1, b-c: \"\"}, {a: 2, b-c: \"z\", opt: some(0)}]"},
    /* variants and enums */
    {&T_VARIANT, "empty", "empty"}, {&T_VARIANT, "body([79, 75])", "body([79, 75])"},
    {&T_VARIANT, "body ( [ ] )", "body([])"}, {&T_VARIANT, "%err(\"oops\")", "%err(\"oops\")"},
    {&T_VARIANT, "%empty", "empty"},
    {&T_VARIANT, "err(\"oops\")", "1:1: 'err' is a keyword: write a case of variant as %err"},
    {&T_VARIANT, "body", "1:1: case 'body' of variant takes a payload: body(...)"},
    {&T_VARIANT, "empty(1)", "1:6: case 'empty' of variant has no payload"},
    {&T_VARIANT, "full", "1:1: unknown case 'full' of variant"},
    {&T_VARIANT, "body([1]", "1:9: expected ')' after the payload of variant, found end of input"},
    {&T_ENUM, "north", "north"}, {&T_ENUM, "south-west", "south-west"}, {&T_ENUM, "%ok", "%ok"},
    {&T_ENUM, "ok", "1:1: 'ok' is a keyword"}, {&T_ENUM, "east", "1:1: unknown case 'east' of enum"},
    {&T_ENUM, "\"north\"", "1:1: expected a case of enum, found '\"'"},
    /* options */
    {&T_OPT, "some(3)", "some(3)"}, {&T_OPT, "none", "none"}, {&T_OPT, "3", "some(3)"},
    {&T_OPT, "some", "1:1: case 'some' of option<u8> takes a payload"}, {&T_OPT, "none(1)", "1:5: case 'none' of option<u8> has no payload"},
    {&T_OPT, "some(256)", "1:6: 256 is out of range for u8"}, {&T_OPT, "%some(3)", "1:1: expected u8, found '%some'"},
    {&T_OPT_OPT, "some(none)", "some(none)"}, {&T_OPT_OPT, "some(some(1))", "some(some(1))"}, {&T_OPT_OPT, "some(1)", "some(some(1))"},
    {&T_OPT_OPT, "1", "1:1: expected some(...) or none for option<option<u8>>, found '1'"},
    /* results */
    {&T_RES, "ok(\"x\")", "ok(\"x\")"}, {&T_RES, "err(1)", "err(1)"}, {&T_RES, "\"flat\"", "ok(\"flat\")"},
    {&T_RES, "err", "1:1: case 'err' of result<string, u32> takes a payload"},
    {&T_RES, "err(\"x\")", "1:5: expected u32, found '\"'"},
    {&T_RES_UNIT, "ok", "ok"}, {&T_RES_UNIT, "err", "err"}, {&T_RES_UNIT, "ok()", "1:3: case 'ok' of result has no payload"},
    {&T_RES_UNIT, "fine", "1:1: expected ok or err for result, found 'fine'"},
    {&T_RES_ERR, "ok", "ok"}, {&T_RES_ERR, "err(\"e\")", "err(\"e\")"},
    /* flags */
    {&T_FLAGS, "{}", "{}"}, {&T_FLAGS, "{write, read,}", "{read, write}"}, {&T_FLAGS, "{%exec}", "{exec}"},
    {&T_FLAGS, "{read, read}", "1:8: duplicate flag 'read' in flags"}, {&T_FLAGS, "{delete}", "1:2: unknown flag 'delete' in flags"},
    {&T_FLAGS, "{read: true}", "1:6: expected ',' or '}' in flags, found ':'"}, {&T_FLAGS, "{:}", "1:2: expected a flag of flags, found ':'"},
    /* resources */
    {&T_OWN, "own<file>#3", "1:1: resource handles (own<file>) cannot be written in WAVE"},
  };
  run_rows(rows, sizeof rows / sizeof rows[0]);
}

/* The parsed values themselves, field by field. */
static void test_values(void **state) {
  (void)state;
  char err[200];
  wc_value v;
  assert_true(wc_wave_parse(&TS, P(WC_S64), "-9223372036854775808", 20, &arena, &v, err, sizeof err));
  assert_int_equal(v.kind, WC_V_S64);
  assert_true(v.u.s == INT64_MIN);
  assert_true(wc_wave_parse(&TS, P(WC_F32), "0.1", 3, &arena, &v, err, sizeof err));
  assert_true(v.kind == WC_V_F32 && v.u.f32 == 0.1f);
  assert_true(wc_wave_parse(&TS, P(WC_F64), "nan", 3, &arena, &v, err, sizeof err));
  uint64_t bits;
  memcpy(&bits, &v.u.f64, 8);
  assert_true(bits == UINT64_C(0x7ff8000000000000));
  assert_true(wc_wave_parse(&TS, P(WC_CHAR), "'\\u{1F600}'", 11, &arena, &v, err, sizeof err));
  assert_int_equal(v.u.ch, 0x1f600);
  const char *s = "\"a\\u{e9}\\n\"";
  assert_true(wc_wave_parse(&TS, P(WC_STRING), s, strlen(s), &arena, &v, err, sizeof err));
  assert_int_equal(v.u.str.len, 4);
  assert_memory_equal(v.u.str.ptr, "a\xc3\xa9\n", 4);

  s = "{b-c: \"hi\", a: 7}";
  assert_true(wc_wave_parse(&TS, T_REC, s, strlen(s), &arena, &v, err, sizeof err));
  assert_int_equal(v.kind, WC_V_RECORD);
  assert_int_equal(v.u.seq.n, 3);
  assert_int_equal(v.u.seq.v[0].u.u, 7);
  assert_int_equal(v.u.seq.v[1].u.str.len, 2);
  assert_int_equal(v.u.seq.v[2].kind, WC_V_VARIANT);
  assert_int_equal(v.u.seq.v[2].u.var.index, 0);      /* none */
  assert_null(v.u.seq.v[2].u.var.payload);

  s = "body([4294967295, 0])";
  assert_true(wc_wave_parse(&TS, T_VARIANT, s, strlen(s), &arena, &v, err, sizeof err));
  assert_int_equal(v.u.var.index, 1);
  assert_int_equal(v.u.var.payload->kind, WC_V_LIST);
  assert_int_equal(v.u.var.payload->u.seq.n, 2);
  assert_int_equal(v.u.var.payload->u.seq.v[0].u.u, 4294967295u);

  assert_true(wc_wave_parse(&TS, T_ENUM, "%ok", 3, &arena, &v, err, sizeof err));
  assert_int_equal(v.u.var.index, 2);
  assert_true(wc_wave_parse(&TS, T_RES, "err(9)", 6, &arena, &v, err, sizeof err));
  assert_int_equal(v.u.var.index, 1);
  assert_int_equal(v.u.var.payload->u.u, 9);
  assert_true(wc_wave_parse(&TS, T_OPT, "200", 3, &arena, &v, err, sizeof err));
  assert_int_equal(v.u.var.index, 1);
  assert_int_equal(v.u.var.payload->u.u, 200);
  assert_true(wc_wave_parse(&TS, T_FLAGS, "{exec, read}", 12, &arena, &v, err, sizeof err));
  assert_int_equal(v.kind, WC_V_FLAGS);
  assert_int_equal(v.u.flags, 5);
  assert_true(wc_wave_parse(&TS, T_TUPLE, "(255, \"\")", 9, &arena, &v, err, sizeof err));
  assert_int_equal(v.kind, WC_V_RECORD);
  assert_int_equal(v.u.seq.v[0].u.u, 255);
  assert_int_equal(v.u.seq.v[1].u.str.len, 0);
}

/* parse(print(v)) == v for values built by hand, including float bit
 * patterns that need every digit. */
static void test_print_round_trip(void **state) {
  (void)state;
  const float f32s[] = {0.1f, 1e-45f, 3.4028235e38f, -1.17549435e-38f, 16777216.0f, 0.3f, 123456.789f};
  const double f64s[] = {0.1, 5e-324, 1.7976931348623157e308, -2.2250738585072014e-308, 1.0 / 3, 9007199254740993.0, 1e21};
  char err[200];
  for (size_t k = 0; k < sizeof f32s / sizeof f32s[0]; k++) {
    wc_value v = {.kind = WC_V_F32, .u.f32 = f32s[k]}, back;
    wc_wave_buf b = {.p = NULL};
    assert_true(wc_wave_print(&TS, P(WC_F32), &v, &b));
    assert_true(wc_wave_parse(&TS, P(WC_F32), b.p, b.len, &arena, &back, err, sizeof err));
    assert_memory_equal(&back.u.f32, &v.u.f32, 4);
    assert_true(b.len <= 15);   /* shortest form: at most 9 significant digits */
    wc_wave_buf_free(&b);
  }
  for (size_t k = 0; k < sizeof f64s / sizeof f64s[0]; k++) {
    wc_value v = {.kind = WC_V_F64, .u.f64 = f64s[k]}, back;
    wc_wave_buf b = {.p = NULL};
    assert_true(wc_wave_print(&TS, P(WC_F64), &v, &b));
    assert_true(wc_wave_parse(&TS, P(WC_F64), b.p, b.len, &arena, &back, err, sizeof err));
    assert_memory_equal(&back.u.f64, &v.u.f64, 8);
    wc_wave_buf_free(&b);
  }
  /* every char escapes or passes through and comes back */
  for (uint32_t c = 0; c < 0x110000; c += (c < 0x300 ? 1 : 97)) {
    if (c >= 0xd800 && c <= 0xdfff) continue;
    wc_value v = {.kind = WC_V_CHAR, .u.ch = c}, back;
    wc_wave_buf b = {.p = NULL};
    assert_true(wc_wave_print(&TS, P(WC_CHAR), &v, &b));
    if (!wc_wave_parse(&TS, P(WC_CHAR), b.p, b.len, &arena, &back, err, sizeof err)) fail_msg("U+%X: %s: %s", c, b.p, err);
    assert_int_equal(back.u.ch, c);
    wc_wave_buf_free(&b);
  }
  /* a handle prints for reading, and the text is rejected */
  wc_value h = {.kind = WC_V_OWN, .u.handle = {NULL, 3}};
  wc_wave_buf b = {.p = NULL};
  assert_true(wc_wave_print(&TS, T_OWN, &h, &b));
  assert_string_equal(b.p, "own<file>#3");
  wc_wave_buf_free(&b);
}

/* Values that do not match their type are refused by the printer. */
static void test_print_mismatch(void **state) {
  (void)state;
  struct { wc_val t; wc_value v; const char *err; } cases[] = {
    {P(WC_U8), {.kind = WC_V_U8, .u.u = 256}, "u8 value out of range"},
    {P(WC_S8), {.kind = WC_V_S8, .u.s = -129}, "s8 value out of range"},
    {P(WC_U8), {.kind = WC_V_S8, .u.s = 1}, "expected a u8 value"},
    {P(WC_CHAR), {.kind = WC_V_CHAR, .u.ch = 0xd800}, "char U+D800 is not a Unicode scalar value"},
    {P(WC_STRING), {.kind = WC_V_STRING, .u.str = {"\xff", 1}}, "string is not UTF-8"},
    {0, {.kind = WC_V_VARIANT, .u.var = {5, NULL}}, "expected a case index below 3"},
    {0, {.kind = WC_V_VARIANT, .u.var = {1, NULL}}, "case 'body' needs a payload"},
    {0, {.kind = WC_V_RECORD, .u.seq = {NULL, 2}}, "expected a record of 3 fields"},
  };
  cases[5].t = T_VARIANT;
  cases[6].t = T_VARIANT;
  cases[7].t = T_REC;
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    wc_wave_buf b = {.p = NULL};
    assert_false(wc_wave_print(&TS, cases[k].t, &cases[k].v, &b));
    assert_true(b.failed);
    assert_string_equal(b.err, cases[k].err);
    wc_wave_buf_free(&b);
  }
}

static void test_call(void **state) {
  (void)state;
  char err[200];
  size_t no, nl, ao, al;
  const char *call = "  greet ( \"w\", [1, 2] , ) ";
  assert_true(wc_wave_split_call(call, strlen(call), &no, &nl, &ao, &al, err, sizeof err));
  assert_int_equal(no, 2);
  assert_int_equal(nl, 5);
  wc_val ts[3] = {P(WC_STRING), T_LIST_U32, T_OPT};
  wc_value vs[3];
  assert_true(wc_wave_parse_args(&TS, ts, 3, call, strlen(call), ao, al, &arena, vs, err, sizeof err));
  assert_int_equal(vs[0].u.str.len, 1);
  assert_int_equal(vs[1].u.seq.n, 2);
  assert_int_equal(vs[2].u.var.index, 0);     /* a trailing option left out is none */
  const char *c2 = "f(\"w\", [1, x])";
  assert_true(wc_wave_split_call(c2, strlen(c2), &no, &nl, &ao, &al, err, sizeof err));
  assert_false(wc_wave_parse_args(&TS, ts, 3, c2, strlen(c2), ao, al, &arena, vs, err, sizeof err));
  assert_string_equal(err, "1:12: expected u32, found 'x'");  /* columns in the whole call */
  const char *c3 = "f()";
  assert_true(wc_wave_split_call(c3, strlen(c3), &no, &nl, &ao, &al, err, sizeof err));
  assert_int_equal(al, 0);
  assert_false(wc_wave_parse_args(&TS, ts, 3, c3, strlen(c3), ao, al, &arena, vs, err, sizeof err));
  assert_string_equal(err, "1:3: missing argument 1 (string)");
  const char *c4 = "f(\"a\", [], none, 1)";
  assert_true(wc_wave_split_call(c4, strlen(c4), &no, &nl, &ao, &al, err, sizeof err));
  assert_false(wc_wave_parse_args(&TS, ts, 3, c4, strlen(c4), ao, al, &arena, vs, err, sizeof err));
  assert_string_equal(err, "1:18: too many arguments: expected 3");
  const char *c5 = "f(\"a\" [])";
  assert_true(wc_wave_split_call(c5, strlen(c5), &no, &nl, &ao, &al, err, sizeof err));
  assert_false(wc_wave_parse_args(&TS, ts, 3, c5, strlen(c5), ao, al, &arena, vs, err, sizeof err));
  assert_string_equal(err, "1:7: expected ',' after argument 1, found '['");
  assert_false(wc_wave_split_call("run", 3, &no, &nl, &ao, &al, err, sizeof err));
  assert_string_equal(err, "1:4: expected NAME(ARGS...)");
  assert_false(wc_wave_split_call(" (1)", 4, &no, &nl, &ao, &al, err, sizeof err));
  assert_string_equal(err, "1:2: expected a function name before '('");
  assert_false(wc_wave_split_call("f(1) x", 6, &no, &nl, &ao, &al, err, sizeof err));
  assert_string_equal(err, "1:7: expected ')' at the end of the call");
}

/* A hand-made arena entry `list<itself>` (the loader never makes cycles)
 * lets text nest without bound: the parser must stop at the cap, not
 * recurse with the input. */
static void test_depth_cap(void **state) {
  (void)state;
  wc_types cyc = {0};
  wc_type self = {.kind = WC_T_LIST, .elem = 0};
  cyc.v = &self;
  cyc.n = 1;
  size_t n = 100000;
  char *text = malloc(2 * n);
  assert_non_null(text);
  memset(text, '[', n);
  memset(text + n, ']', n);
  char err[200];
  wc_value v;
  assert_false(wc_wave_parse(&cyc, 0, text, 2 * n, &arena, &v, err, sizeof err));
  assert_string_equal(err, "1:101: value nested too deeply (more than 100 levels)");
  /* exactly at the cap it parses and prints */
  assert_true(wc_wave_parse(&cyc, 0, text + n - 100, 200, &arena, &v, err, sizeof err));
  wc_wave_buf b = {.p = NULL};
  assert_true(wc_wave_print(&cyc, 0, &v, &b));
  assert_int_equal(b.len, 200);
  wc_wave_buf_free(&b);
  free(text);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_primitives, setup, teardown),
    cmocka_unit_test_setup_teardown(test_compound, setup, teardown),
    cmocka_unit_test_setup_teardown(test_values, setup, teardown),
    cmocka_unit_test_setup_teardown(test_print_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_print_mismatch, setup, teardown),
    cmocka_unit_test_setup_teardown(test_call, setup, teardown),
    cmocka_unit_test_setup_teardown(test_depth_cap, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
