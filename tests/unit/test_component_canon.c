/*
 * test_component_canon.c — the Canonical ABI value layer (src/component/canon.c):
 * round trips of every value type through linear memory and through flat core
 * values, byte layouts computed by hand from CanonicalABI.md, the three string
 * encodings, function-level spilling, the resource handle table, and every
 * trap (each checked by its message, never by a crash).
 *
 * Types are built directly in a type arena with wc_type_add; guest memory is
 * a 64 KiB buffer with a bump-allocating realloc that records its calls.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "component/canon.h"
#include "component/component_internal.h"

/* ---- fixture: a type arena, a guest memory, a context -------------------- */

#define MEM_SIZE 65536u
static uint8_t mem_bytes[MEM_SIZE];
static wc_mem mem = {mem_bytes, MEM_SIZE};
static uint32_t heap_top;
static uint32_t nreallocs;
static uint32_t last_old_size, last_new_size;
static bool realloc_fails;

static bool bump_realloc(void *ctx, uint32_t old_ptr, uint32_t old_size, uint32_t align, uint32_t new_size,
                         uint32_t *out) {
  (void)ctx;
  nreallocs++;
  last_old_size = old_size;
  last_new_size = new_size;
  if (realloc_fails) return false;
  uint32_t p = (heap_top + align - 1) / align * align;
  if ((uint64_t)p + new_size > MEM_SIZE) return false;
  if (old_size) memmove(mem_bytes + p, mem_bytes + old_ptr, old_size < new_size ? old_size : new_size);
  heap_top = p + new_size;
  *out = p;
  return true;
}

static wc_types TS;
static rt_error ERR;
static wc_loader L;
static wc_arena arena;
static wc_handle_table table;
static wc_canon_cx cx;
static const wc_resource_type *rtypes[64];

static int setup(void **state) {
  (void)state;
  memset(&TS, 0, sizeof TS);
  memset(&L, 0, sizeof L);
  L.types = &TS;
  L.err = &ERR;
  memset(mem_bytes, 0, sizeof mem_bytes);
  heap_top = 1024; /* addresses below are for the tests' own placements */
  nreallocs = 0;
  realloc_fails = false;
  wc_handles_init(&table);
  memset(rtypes, 0, sizeof rtypes);
  memset(&cx, 0, sizeof cx);
  cx.types = &TS;
  cx.mem = &mem;
  cx.encoding = WC_UTF8;
  cx.realloc = bump_realloc;
  cx.handles = &table;
  cx.rtypes = rtypes;
  cx.arena = &arena;
  return 0;
}

static int teardown(void **state) {
  (void)state;
  for (uint32_t i = 0; i < TS.n; i++) wc_type_release(&TS.v[i]);
  free(TS.v);
  wc_arena_free(&arena);
  wc_handles_free(&table);
  wc_canon_cx_release(&cx);
  return 0;
}

static wc_val P(wc_prim p) { return WC_PRIM_BIT | p; }

static wc_val add(wc_type t) {
  uint32_t id = wc_type_add(&L, &t, 0);
  assert_int_not_equal(id, WC_NONE);
  return id;
}

/* A type with n items of the given types (has_type = type != WC_NONE). */
static wc_val items_type(wc_type_kind kind, uint32_t n, const wc_val *types) {
  wc_type t = {.kind = kind, .nitems = n};
  t.items = calloc(n, sizeof *t.items);
  assert_non_null(t.items);
  for (uint32_t i = 0; i < n; i++) {
    t.items[i].name = (wc_str){"x", 1};
    t.items[i].type = types ? types[i] : WC_NONE;
    t.items[i].has_type = types && types[i] != WC_NONE;
  }
  return add(t);
}
static wc_val elem_type(wc_type_kind kind, wc_val elem) { return add((wc_type){.kind = kind, .elem = elem}); }

/* Asserts that c trapped with a message containing needle, then clears the trap. */
static void expect_trap_in(wc_canon_cx *c, const char *needle) {
  if (!c->trap.trapped) fail_msg("expected a trap with '%s'", needle);
  if (!strstr(c->trap.msg, needle)) fail_msg("trap '%s' lacks '%s'", c->trap.msg, needle);
  c->trap.trapped = false;
  c->trap.msg[0] = 0;
}
static void expect_trap(const char *needle) { expect_trap_in(&cx, needle); }

static wc_value U32V(uint32_t x) { return (wc_value){.kind = WC_V_U32, .u.u = x}; }
static wc_value STRV(const char *s) { return (wc_value){.kind = WC_V_STRING, .u.str = {s, (uint32_t)strlen(s)}}; }
static void assert_str(const wc_value *v, const char *s) {
  assert_int_equal(v->kind, WC_V_STRING);
  assert_int_equal(v->u.str.len, strlen(s));
  assert_memory_equal(v->u.str.ptr, s, strlen(s));
}
/* The payload bytes that matter for a scalar of this kind. */
static void assert_same_scalar(const wc_value *a, const wc_value *b) {
  assert_int_equal(a->kind, b->kind);
  size_t w = a->kind == WC_V_BOOL ? sizeof a->u.b : a->kind == WC_V_F32 || a->kind == WC_V_CHAR ? 4 : 8;
  assert_memory_equal(&a->u, &b->u, w);
}
static uint32_t rd32(uint32_t at) { uint32_t x; memcpy(&x, mem_bytes + at, 4); return x; }

/* ---- primitives --------------------------------------------------------- */

static void test_primitives_round_trip(void **state) {
  (void)state;
  struct { wc_prim p; wc_value v; uint64_t flat; unsigned size; } cases[] = {
    {WC_BOOL, {.kind = WC_V_BOOL, .u.b = true}, 1, 1},
    {WC_S8, {.kind = WC_V_S8, .u.s = -2}, 0xfffffffe, 1},
    {WC_U8, {.kind = WC_V_U8, .u.u = 200}, 200, 1},
    {WC_S16, {.kind = WC_V_S16, .u.s = -300}, (uint32_t)-300, 2},
    {WC_U16, {.kind = WC_V_U16, .u.u = 65000}, 65000, 2},
    {WC_S32, {.kind = WC_V_S32, .u.s = -5}, 0xfffffffb, 4},
    {WC_U32, {.kind = WC_V_U32, .u.u = 0xdeadbeef}, 0xdeadbeef, 4},
    {WC_S64, {.kind = WC_V_S64, .u.s = -7}, (uint64_t)-7, 8},
    {WC_U64, {.kind = WC_V_U64, .u.u = 0x123456789abcdef0ull}, 0x123456789abcdef0ull, 8},
    {WC_F32, {.kind = WC_V_F32, .u.f32 = 1.5f}, 0x3fc00000, 4},
    {WC_F64, {.kind = WC_V_F64, .u.f64 = -2.0}, 0xc000000000000000ull, 8},
    {WC_CHAR, {.kind = WC_V_CHAR, .u.ch = 0x1f600}, 0x1f600, 4},
  };
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    uint64_t flat[2];
    uint32_t n = 0, pos = 0;
    assert_true(wc_lower_flat(&cx, &cases[k].v, P(cases[k].p), flat, 2, &n));
    assert_int_equal(n, 1);
    assert_int_equal(flat[0], cases[k].flat);
    wc_value back;
    assert_true(wc_lift_flat(&cx, flat, n, &pos, P(cases[k].p), &back));
    assert_int_equal(pos, 1);
    assert_same_scalar(&back, &cases[k].v);
    /* through memory: little-endian bytes of the flat value */
    memset(mem_bytes + 64, 0xaa, 16);
    assert_true(wc_store(&cx, &cases[k].v, P(cases[k].p), 64));
    for (unsigned b = 0; b < cases[k].size; b++) assert_int_equal(mem_bytes[64 + b], (uint8_t)(cases[k].flat >> (8 * b)));
    assert_int_equal(mem_bytes[64 + cases[k].size], 0xaa);
    assert_true(wc_load(&cx, 64, P(cases[k].p), &back));
    assert_same_scalar(&back, &cases[k].v);
  }
}

static void test_lift_rules(void **state) {
  (void)state;
  wc_value v;
  uint32_t pos = 0;
  uint64_t two = 2; /* any nonzero is true */
  assert_true(wc_lift_flat(&cx, &two, 1, &pos, P(WC_BOOL), &v));
  assert_true(v.u.b);
  mem_bytes[8] = 0x80;
  assert_true(wc_load(&cx, 8, P(WC_BOOL), &v));
  assert_true(v.u.b);
  uint64_t wide = 0x1ff; /* high bits beyond u8 are ignored */
  pos = 0;
  assert_true(wc_lift_flat(&cx, &wide, 1, &pos, P(WC_U8), &v));
  assert_int_equal(v.u.u, 0xff);
  /* NaNs are canonicalized on lifting */
  uint64_t nan32 = 0xffc00123, nan64 = 0xfff8000000000abcull;
  uint32_t b32;
  uint64_t b64;
  pos = 0;
  assert_true(wc_lift_flat(&cx, &nan32, 1, &pos, P(WC_F32), &v));
  memcpy(&b32, &v.u.f32, 4);
  assert_int_equal(b32, 0x7fc00000);
  pos = 0;
  assert_true(wc_lift_flat(&cx, &nan64, 1, &pos, P(WC_F64), &v));
  memcpy(&b64, &v.u.f64, 8);
  assert_int_equal(b64, 0x7ff8000000000000ull);
}

static void test_char_traps(void **state) {
  (void)state;
  wc_value v;
  uint64_t bad[] = {0xd800, 0xdfff, 0x110000, 0xffffffff};
  for (size_t k = 0; k < 4; k++) {
    uint32_t pos = 0;
    assert_false(wc_lift_flat(&cx, &bad[k], 1, &pos, P(WC_CHAR), &v));
    expect_trap("invalid char");
  }
  memcpy(mem_bytes + 16, &(uint32_t){0xd900}, 4);
  assert_false(wc_load(&cx, 16, P(WC_CHAR), &v));
  expect_trap("invalid char 0xd900");
  wc_value c = {.kind = WC_V_CHAR, .u.ch = 0xdc00};
  uint64_t out[1];
  uint32_t n = 0;
  assert_false(wc_lower_flat(&cx, &c, P(WC_CHAR), out, 1, &n));
  expect_trap("invalid char");
}

/* ---- records, variants, flags ------------------------------------------- */

static void test_record_padding(void **state) {
  (void)state;
  /* record { a: u8, b: u32, c: u16, d: u64 }: offsets 0, 4, 8, 16; size 24, align 8 */
  wc_val f[] = {P(WC_U8), P(WC_U32), P(WC_U16), P(WC_U64)};
  wc_val r = items_type(WC_T_RECORD, 4, f);
  uint64_t size, align;
  wc_abi(&TS, r, &size, &align);
  assert_int_equal(size, 24);
  assert_int_equal(align, 8);
  wc_value fields[] = {{.kind = WC_V_U8, .u.u = 0x11}, U32V(0x22334455), {.kind = WC_V_U16, .u.u = 0x6677},
                       {.kind = WC_V_U64, .u.u = 0x8899aabbccddeeffull}};
  wc_value rec = {.kind = WC_V_RECORD, .u.seq = {fields, 4}};
  memset(mem_bytes + 256, 0xcc, 32);
  assert_true(wc_store(&cx, &rec, r, 256));
  const uint8_t expect[24] = {0x11, 0xcc, 0xcc, 0xcc, 0x55, 0x44, 0x33, 0x22, 0x77, 0x66, 0xcc, 0xcc,
                              0xcc, 0xcc, 0xcc, 0xcc, 0xff, 0xee, 0xdd, 0xcc, 0xbb, 0xaa, 0x99, 0x88};
  assert_memory_equal(mem_bytes + 256, expect, 24);
  wc_value back;
  assert_true(wc_load(&cx, 256, r, &back));
  assert_int_equal(back.kind, WC_V_RECORD);
  assert_int_equal(back.u.seq.n, 4);
  assert_int_equal(back.u.seq.v[0].u.u, 0x11);
  assert_int_equal(back.u.seq.v[1].u.u, 0x22334455);
  assert_int_equal(back.u.seq.v[2].u.u, 0x6677);
  assert_int_equal(back.u.seq.v[3].u.u, 0x8899aabbccddeeffull);
  uint64_t flat[8];
  uint32_t n = 0, pos = 0;
  assert_true(wc_lower_flat(&cx, &rec, r, flat, 8, &n));
  assert_int_equal(n, 4);
  assert_int_equal(flat[3], 0x8899aabbccddeeffull);
  assert_true(wc_lift_flat(&cx, flat, n, &pos, r, &back));
  assert_int_equal(back.u.seq.v[1].u.u, 0x22334455);
  /* misaligned record address */
  assert_false(wc_load(&cx, 260, r, &back));
  expect_trap("misaligned");
}

static void test_variant_join(void **state) {
  (void)state;
  /* variant { a(u32), b(f32), c(u64) }: flattens to i32 (disc) i64 (join of i32, f32, i64) */
  wc_val cases[] = {P(WC_U32), P(WC_F32), P(WC_U64)};
  wc_val v = items_type(WC_T_VARIANT, 3, cases);
  uint8_t ft[17];
  uint32_t nf;
  wc_flatten(&TS, v, ft, &nf);
  assert_int_equal(nf, 2);
  assert_int_equal(ft[0], WASM_I32);
  assert_int_equal(ft[1], WASM_I64);
  uint64_t size, align;
  wc_abi(&TS, v, &size, &align);
  assert_int_equal(size, 16); /* u8 disc, payload at 8 */
  assert_int_equal(align, 8);

  wc_value pb = {.kind = WC_V_F32, .u.f32 = 1.5f};
  wc_value b = {.kind = WC_V_VARIANT, .u.var = {1, &pb}};
  uint64_t flat[2];
  uint32_t n = 0, pos = 0;
  assert_true(wc_lower_flat(&cx, &b, v, flat, 2, &n));
  assert_int_equal(n, 2);
  assert_int_equal(flat[0], 1);
  assert_int_equal(flat[1], 0x3fc00000); /* f32 bits in the i64 slot */
  wc_value back;
  assert_true(wc_lift_flat(&cx, flat, 2, &pos, v, &back));
  assert_int_equal(pos, 2);
  assert_int_equal(back.u.var.index, 1);
  assert_true(back.u.var.payload->u.f32 == 1.5f);
  /* a(u32) from an i64 slot with high bits set: wrapped */
  uint64_t fa[2] = {0, 0xffffffff00000007ull};
  pos = 0;
  assert_true(wc_lift_flat(&cx, fa, 2, &pos, v, &back));
  assert_int_equal(back.u.var.payload->u.u, 7);
  /* c(u64) through memory */
  wc_value pc = {.kind = WC_V_U64, .u.u = 0x0102030405060708ull};
  wc_value c = {.kind = WC_V_VARIANT, .u.var = {2, &pc}};
  assert_true(wc_store(&cx, &c, v, 128));
  assert_int_equal(mem_bytes[128], 2);
  assert_int_equal(mem_bytes[136], 0x08);
  assert_int_equal(mem_bytes[143], 0x01);
  assert_true(wc_load(&cx, 128, v, &back));
  assert_int_equal(back.u.var.payload->u.u, 0x0102030405060708ull);

  /* variant { a(f32), b(u32), c } joins to i32 i32; the case without payload zero-fills */
  wc_val cases2[] = {P(WC_F32), P(WC_U32), WC_NONE};
  wc_val v2 = items_type(WC_T_VARIANT, 3, cases2);
  wc_flatten(&TS, v2, ft, &nf);
  assert_int_equal(nf, 2);
  assert_int_equal(ft[1], WASM_I32);
  wc_value none = {.kind = WC_V_VARIANT, .u.var = {2, NULL}};
  flat[1] = 99;
  n = 0;
  assert_true(wc_lower_flat(&cx, &none, v2, flat, 2, &n));
  assert_int_equal(n, 2);
  assert_int_equal(flat[1], 0);

  /* bad discriminants */
  uint64_t bad[2] = {3, 0};
  pos = 0;
  assert_false(wc_lift_flat(&cx, bad, 2, &pos, v, &back));
  expect_trap("discriminant 3 out of range");
  mem_bytes[128] = 7;
  assert_false(wc_load(&cx, 128, v, &back));
  expect_trap("discriminant 7");
}

static void test_option_result_enum(void **state) {
  (void)state;
  wc_val opt = elem_type(WC_T_OPTION, P(WC_STRING));
  wc_val res_types[] = {P(WC_U8), P(WC_STRING)};
  wc_val res = items_type(WC_T_RESULT, 2, res_types);
  wc_val en = items_type(WC_T_ENUM, 300, NULL); /* 300 cases: a u16 discriminant */
  uint64_t size, align;
  wc_abi(&TS, en, &size, &align);
  assert_int_equal(size, 2);
  wc_abi(&TS, opt, &size, &align);
  assert_int_equal(size, 12);
  wc_value s = STRV("hi"), some = {.kind = WC_V_VARIANT, .u.var = {1, &s}};
  assert_true(wc_store(&cx, &some, opt, 32));
  assert_int_equal(mem_bytes[32], 1);
  assert_int_equal(rd32(40), 2);
  wc_value back;
  assert_true(wc_load(&cx, 32, opt, &back));
  assert_str(back.u.var.payload, "hi");
  wc_value e = STRV("bad"), err = {.kind = WC_V_VARIANT, .u.var = {1, &e}};
  uint64_t flat[3];
  uint32_t n = 0, pos = 0;
  assert_true(wc_lower_flat(&cx, &err, res, flat, 3, &n));
  assert_int_equal(n, 3);
  assert_int_equal(flat[2], 3);
  assert_true(wc_lift_flat(&cx, flat, n, &pos, res, &back));
  assert_int_equal(back.u.var.index, 1);
  assert_str(back.u.var.payload, "bad");
  wc_value e299 = {.kind = WC_V_VARIANT, .u.var = {299, NULL}};
  assert_true(wc_store(&cx, &e299, en, 48));
  assert_int_equal(mem_bytes[48] | mem_bytes[49] << 8, 299);
  mem_bytes[49] = 0x02; /* 555 */
  assert_false(wc_load(&cx, 48, en, &back));
  expect_trap("discriminant 555 out of range (300 cases)");
}

static void test_flags(void **state) {
  (void)state;
  struct { uint32_t labels; uint64_t size; } k[] = {{1, 1}, {8, 1}, {9, 2}, {16, 2}, {17, 4}, {32, 4}};
  for (size_t i = 0; i < 6; i++) {
    wc_val f = items_type(WC_T_FLAGS, k[i].labels, NULL);
    uint64_t size, align;
    wc_abi(&TS, f, &size, &align);
    assert_int_equal(size, k[i].size);
    uint32_t mask = k[i].labels == 32 ? UINT32_MAX : (1u << k[i].labels) - 1;
    wc_value v = {.kind = WC_V_FLAGS, .u.flags = 0xa5a5a5a5u};
    memset(mem_bytes + 64, 0xee, 8);
    assert_true(wc_store(&cx, &v, f, 64));
    assert_int_equal((uint32_t)(mem_bytes[64] | (size > 1 ? mem_bytes[65] << 8 : 0) |
                                (size > 2 ? (uint32_t)mem_bytes[66] << 16 | (uint32_t)mem_bytes[67] << 24 : 0)),
                     0xa5a5a5a5u & mask);
    assert_int_equal(mem_bytes[64 + size], 0xee);
    /* bits past the labels are ignored on lifting */
    memset(mem_bytes + 64, 0xff, size);
    wc_value back;
    assert_true(wc_load(&cx, 64, f, &back));
    assert_int_equal(back.u.flags, mask);
    uint64_t flat = 0xffffffffu;
    uint32_t pos = 0;
    assert_true(wc_lift_flat(&cx, &flat, 1, &pos, f, &back));
    assert_int_equal(back.u.flags, mask);
  }
  /* The current spec caps flags at 32 labels (validation rejects more); the
   * value layer refuses a 33-label type instead of guessing a layout. */
  wc_val f33 = items_type(WC_T_FLAGS, 33, NULL);
  wc_value back;
  assert_false(wc_load(&cx, 64, f33, &back));
  expect_trap("more than 32 labels");
}

/* ---- lists and strings -------------------------------------------------- */

static void test_nested_lists_of_records(void **state) {
  (void)state;
  /* list<record { name: string, xs: list<u16> }> : element size 16, align 4 */
  wc_val lu16 = elem_type(WC_T_LIST, P(WC_U16));
  wc_val f[] = {P(WC_STRING), lu16};
  wc_val rec = items_type(WC_T_RECORD, 2, f);
  wc_val lst = elem_type(WC_T_LIST, rec);
  wc_value xs0[] = {{.kind = WC_V_U16, .u.u = 1}, {.kind = WC_V_U16, .u.u = 2}, {.kind = WC_V_U16, .u.u = 3}};
  wc_value r0[] = {STRV("one"), {.kind = WC_V_LIST, .u.seq = {xs0, 3}}};
  wc_value r1[] = {STRV(""), {.kind = WC_V_LIST, .u.seq = {NULL, 0}}};
  wc_value elems[] = {{.kind = WC_V_RECORD, .u.seq = {r0, 2}}, {.kind = WC_V_RECORD, .u.seq = {r1, 2}}};
  wc_value list = {.kind = WC_V_LIST, .u.seq = {elems, 2}};
  uint64_t flat[2];
  uint32_t n = 0, pos = 0;
  assert_true(wc_lower_flat(&cx, &list, lst, flat, 2, &n));
  assert_int_equal(n, 2);
  assert_int_equal(flat[1], 2);
  uint32_t base = (uint32_t)flat[0];
  assert_int_equal(base % 4, 0);
  assert_int_equal(rd32(base + 4), 3);        /* name length */
  assert_memory_equal(mem_bytes + rd32(base), "one", 3);
  assert_int_equal(rd32(base + 12), 3);       /* xs length */
  uint32_t xp = rd32(base + 8);
  assert_int_equal(xp % 2, 0);
  assert_int_equal(mem_bytes[xp + 4], 3);
  assert_int_equal(rd32(base + 16 + 4), 0);
  wc_value back;
  assert_true(wc_lift_flat(&cx, flat, 2, &pos, lst, &back));
  assert_int_equal(back.u.seq.n, 2);
  assert_str(&back.u.seq.v[0].u.seq.v[0], "one");
  assert_int_equal(back.u.seq.v[0].u.seq.v[1].u.seq.n, 3);
  assert_int_equal(back.u.seq.v[0].u.seq.v[1].u.seq.v[2].u.u, 3);
  assert_int_equal(back.u.seq.v[1].u.seq.v[1].u.seq.n, 0);

  /* traps: misaligned list, out of bounds, byte length over the limit */
  uint64_t mis[2] = {base + 2, 1};
  pos = 0;
  assert_false(wc_lift_flat(&cx, mis, 2, &pos, lst, &back));
  expect_trap("misaligned list pointer");
  uint64_t oob[2] = {MEM_SIZE - 16, 2};
  pos = 0;
  assert_false(wc_lift_flat(&cx, oob, 2, &pos, lst, &back));
  expect_trap("list out of bounds");
  uint64_t huge[2] = {0, 0xffffffffu};
  pos = 0;
  assert_false(wc_lift_flat(&cx, huge, 2, &pos, lst, &back));
  expect_trap("list too long");
  /* a list far larger on the host than in guest memory hits the arena cap */
  wc_val lu8 = elem_type(WC_T_LIST, P(WC_U8));
  arena.limit = 128 * 1024;
  uint64_t bytes[2] = {0, 60000}; /* 60000 bytes in memory, 60000 value nodes on the host */
  pos = 0;
  assert_false(wc_lift_flat(&cx, bytes, 2, &pos, lu8, &back));
  expect_trap("lifted value too large for the host");
  arena.limit = 0;
  pos = 0;
  assert_true(wc_lift_flat(&cx, bytes, 2, &pos, lu8, &back));
  assert_int_equal(back.u.seq.n, 60000);
  /* a nested string's bad pointer is caught too */
  memcpy(mem_bytes + base, &(uint32_t){MEM_SIZE - 1}, 4);
  pos = 0;
  assert_false(wc_lift_flat(&cx, flat, 2, &pos, lst, &back));
  expect_trap("string out of bounds");
}

/* "héllo 😀": é is U+00E9 (Latin-1), 😀 is U+1F600 (astral). */
static const char MIXED[] = "h\xc3\xa9llo \xf0\x9f\x98\x80";

static void lower_lift_string(const wc_value *s, uint32_t *ptr, uint32_t *units, wc_value *back) {
  uint64_t flat[2];
  uint32_t n = 0, pos = 0;
  assert_true(wc_lower_flat(&cx, s, P(WC_STRING), flat, 2, &n));
  *ptr = (uint32_t)flat[0];
  *units = (uint32_t)flat[1];
  assert_true(wc_lift_flat(&cx, flat, 2, &pos, P(WC_STRING), back));
}

static void test_strings_utf8(void **state) {
  (void)state;
  wc_value s = STRV(MIXED), back;
  uint32_t ptr, units;
  lower_lift_string(&s, &ptr, &units, &back);
  assert_int_equal(units, sizeof MIXED - 1);
  assert_memory_equal(mem_bytes + ptr, MIXED, units);
  assert_str(&back, MIXED);
  const char *bad[] = {"\xc0\x80", "\xff", "\xe0\x80\x80", "\xed\xa0\x80", "\xf4\x90\x80\x80", "ab\xe2\x82"};
  for (size_t k = 0; k < 6; k++) {
    memcpy(mem_bytes + 100, bad[k], strlen(bad[k]));
    uint64_t flat[2] = {100, strlen(bad[k])};
    uint32_t pos = 0;
    assert_false(wc_lift_flat(&cx, flat, 2, &pos, P(WC_STRING), &back));
    expect_trap("invalid UTF-8");
  }
  uint64_t over[2] = {0, 1u << 28};
  uint32_t pos = 0;
  assert_false(wc_lift_flat(&cx, over, 2, &pos, P(WC_STRING), &back));
  expect_trap("string too long");
  uint64_t oob[2] = {MEM_SIZE - 2, 3};
  pos = 0;
  assert_false(wc_lift_flat(&cx, oob, 2, &pos, P(WC_STRING), &back));
  expect_trap("string out of bounds");
  uint64_t wrap[2] = {0xfffffff0u, 0x20};
  pos = 0;
  assert_false(wc_lift_flat(&cx, wrap, 2, &pos, P(WC_STRING), &back));
  expect_trap("out of bounds");
}

static void test_strings_utf16(void **state) {
  (void)state;
  cx.encoding = WC_UTF16;
  wc_value s = STRV(MIXED), back;
  uint32_t ptr, units;
  nreallocs = 0;
  lower_lift_string(&s, &ptr, &units, &back);
  /* h é l l o ' ' D83D DE00: 8 code units */
  assert_int_equal(units, 8);
  const uint8_t expect[16] = {'h', 0, 0xe9, 0, 'l', 0, 'l', 0, 'o', 0, ' ', 0, 0x3d, 0xd8, 0x00, 0xde};
  assert_memory_equal(mem_bytes + ptr, expect, 16);
  assert_str(&back, MIXED);
  /* allocated 2 * 11 UTF-8 bytes, then shrunk to 16 */
  assert_int_equal(nreallocs, 2);
  assert_int_equal(last_old_size, 22);
  assert_int_equal(last_new_size, 16);
  /* unpaired surrogates trap */
  const uint16_t lone_lo[] = {'a', 0xdc00}, lone_hi_end[] = {'a', 0xd800}, hi_hi[] = {0xd800, 0xd801};
  const uint16_t *bad[] = {lone_lo, lone_hi_end, hi_hi};
  for (size_t k = 0; k < 3; k++) {
    memcpy(mem_bytes + 200, bad[k], 4);
    uint64_t flat[2] = {200, 2};
    uint32_t pos = 0;
    assert_false(wc_lift_flat(&cx, flat, 2, &pos, P(WC_STRING), &back));
    expect_trap("unpaired surrogate");
  }
  uint64_t mis[2] = {201, 1};
  uint32_t pos = 0;
  assert_false(wc_lift_flat(&cx, mis, 2, &pos, P(WC_STRING), &back));
  expect_trap("misaligned string pointer");
  uint64_t over[2] = {0, 1u << 27}; /* 2^28 bytes */
  pos = 0;
  assert_false(wc_lift_flat(&cx, over, 2, &pos, P(WC_STRING), &back));
  expect_trap("string too long");
}

static void test_strings_latin1_utf16(void **state) {
  (void)state;
  cx.encoding = WC_LATIN1_UTF16;
  /* All of "café" fits Latin-1: 4 bytes, no tag, shrunk from 5 (its UTF-8 length). */
  wc_value s = STRV("caf\xc3\xa9"), back;
  uint32_t ptr, units;
  nreallocs = 0;
  lower_lift_string(&s, &ptr, &units, &back);
  assert_int_equal(units, 4);
  assert_memory_equal(mem_bytes + ptr, "caf\xe9", 4);
  assert_int_equal(nreallocs, 2);
  assert_int_equal(last_old_size, 5);
  assert_int_equal(last_new_size, 4);
  assert_str(&back, "caf\xc3\xa9");
  /* A char past Latin-1 inflates to UTF-16 and sets the tag bit. */
  wc_value m = STRV(MIXED);
  lower_lift_string(&m, &ptr, &units, &back);
  assert_int_equal(units, 0x80000000u | 8);
  assert_int_equal(mem_bytes[ptr + 2], 0xe9);
  assert_int_equal(mem_bytes[ptr + 3], 0);
  assert_int_equal(mem_bytes[ptr + 13], 0xd8);
  assert_str(&back, MIXED);
  /* Latin-1 input: every byte is a char */
  memcpy(mem_bytes + 300, "\xff\x41", 2);
  uint64_t flat[2] = {300, 2};
  uint32_t pos = 0;
  assert_true(wc_lift_flat(&cx, flat, 2, &pos, P(WC_STRING), &back));
  assert_str(&back, "\xc3\xbf" "A");
  /* alignment 2 applies to both forms */
  uint64_t mis[2] = {301, 1};
  pos = 0;
  assert_false(wc_lift_flat(&cx, mis, 2, &pos, P(WC_STRING), &back));
  expect_trap("misaligned");
  uint64_t bad16[2] = {300, 0x80000001u};
  memcpy(mem_bytes + 300, &(uint16_t){0xdfff}, 2);
  pos = 0;
  assert_false(wc_lift_flat(&cx, bad16, 2, &pos, P(WC_STRING), &back));
  expect_trap("unpaired surrogate");
}

static void test_realloc_failures(void **state) {
  (void)state;
  wc_value s = STRV("x");
  uint64_t flat[2];
  uint32_t n = 0;
  realloc_fails = true;
  assert_false(wc_lower_flat(&cx, &s, P(WC_STRING), flat, 2, &n));
  expect_trap("realloc trapped");
  realloc_fails = false;
  cx.realloc = NULL;
  n = 0;
  assert_false(wc_lower_flat(&cx, &s, P(WC_STRING), flat, 2, &n));
  expect_trap("needs realloc");
  cx.mem = NULL;
  wc_value back;
  assert_false(wc_load(&cx, 0, P(WC_U32), &back));
  expect_trap("needs a memory");
}

/* ---- function-level spilling -------------------------------------------- */

static void test_spilling(void **state) {
  (void)state;
  /* 17 u32 parameters: more than 16 flat values, so they travel as a tuple in memory */
  wc_val ts[17];
  wc_value vs[17], back[17];
  for (int i = 0; i < 17; i++) { ts[i] = P(WC_U32); vs[i] = U32V(1000u + (uint32_t)i); }
  uint64_t flat[16];
  uint32_t n;
  assert_true(wc_lower_flat_values(&cx, WC_MAX_FLAT_PARAMS, vs, ts, 17, NULL, flat, &n));
  assert_int_equal(n, 1);
  assert_int_equal(rd32((uint32_t)flat[0] + 16 * 4), 1016);
  assert_true(wc_lift_flat_values(&cx, WC_MAX_FLAT_PARAMS, flat, 1, ts, 17, back));
  for (int i = 0; i < 17; i++) assert_int_equal(back[i].u.u, 1000u + (uint32_t)i);
  /* 16 fit flat */
  assert_true(wc_lower_flat_values(&cx, WC_MAX_FLAT_PARAMS, vs, ts, 16, NULL, flat, &n));
  assert_int_equal(n, 16);
  assert_int_equal(flat[15], 1015);
  /* a string result (2 flat values > 1) goes through the caller's return pointer */
  wc_val rt[] = {P(WC_STRING)};
  wc_value rv[] = {STRV("result")};
  uint32_t retptr = 512;
  assert_true(wc_lower_flat_values(&cx, WC_MAX_FLAT_RESULTS, rv, rt, 1, &retptr, flat, &n));
  assert_int_equal(n, 0);
  assert_int_equal(rd32(516), 6);
  assert_memory_equal(mem_bytes + rd32(512), "result", 6);
  uint64_t p = 512;
  assert_true(wc_lift_flat_values(&cx, WC_MAX_FLAT_RESULTS, &p, 1, rt, 1, back));
  assert_str(&back[0], "result");
  /* a misaligned or out-of-bounds spill area traps */
  p = 514;
  assert_false(wc_lift_flat_values(&cx, WC_MAX_FLAT_RESULTS, &p, 1, rt, 1, back));
  expect_trap("misaligned");
  retptr = MEM_SIZE - 4;
  assert_false(wc_lower_flat_values(&cx, WC_MAX_FLAT_RESULTS, rv, rt, 1, &retptr, flat, &n));
  expect_trap("out of bounds");
  /* a u64 result fits in one flat value */
  wc_val r64[] = {P(WC_U64)};
  wc_value v64[] = {{.kind = WC_V_U64, .u.u = 42}};
  assert_true(wc_lower_flat_values(&cx, WC_MAX_FLAT_RESULTS, v64, r64, 1, &retptr, flat, &n));
  assert_int_equal(n, 1);
  assert_int_equal(flat[0], 42);
}

/* ---- resources ---------------------------------------------------------- */

static uint32_t dtor_calls, dtor_rep;
static bool count_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)ctx; (void)trap;
  dtor_calls++;
  dtor_rep = rep;
  return true;
}

static void test_handle_table(void **state) {
  (void)state;
  static const int impl_a = 0, impl_b = 0;
  wc_resource_type ra = {.impl = &impl_a, .dtor = count_dtor}, rb = {.impl = &impl_b};
  uint32_t res_a = add((wc_type){.kind = WC_T_RESOURCE}), res_b = add((wc_type){.kind = WC_T_RESOURCE});
  rtypes[res_a] = &ra;
  rtypes[res_b] = &rb;
  wc_val own_a = add((wc_type){.kind = WC_T_OWN, .resource = res_a});
  wc_val borrow_a = add((wc_type){.kind = WC_T_BORROW, .resource = res_a});
  wc_val unknown = add((wc_type){.kind = WC_T_RESOURCE});
  wc_val own_unknown = add((wc_type){.kind = WC_T_OWN, .resource = unknown});

  uint32_t h1, h2, h3, rep;
  assert_true(wc_resource_new(&cx, &ra, 100, &h1));
  assert_true(wc_resource_new(&cx, &ra, 200, &h2));
  assert_int_equal(h1, 1); /* index 0 is reserved */
  assert_int_equal(h2, 2);
  assert_true(wc_resource_rep(&cx, &ra, h2, &rep));
  assert_int_equal(rep, 200);
  assert_false(wc_resource_rep(&cx, &rb, h2, &rep));
  expect_trap("another resource type");
  assert_false(wc_resource_rep(&cx, &ra, 0, &rep));
  expect_trap("index 0");
  assert_false(wc_resource_rep(&cx, &ra, 9, &rep));
  expect_trap("unknown handle 9");
  /* drop: destructor runs, slot is reused */
  assert_true(wc_resource_drop(&cx, &ra, h1));
  assert_int_equal(dtor_calls, 1);
  assert_int_equal(dtor_rep, 100);
  assert_false(wc_resource_drop(&cx, &ra, h1));
  expect_trap("unknown handle 1");
  assert_true(wc_resource_new(&cx, &ra, 300, &h3));
  assert_int_equal(h3, 1);

  /* lifting a borrow lends h2; an own lift or drop of h2 then traps */
  uint64_t x = h2;
  uint32_t pos = 0;
  wc_value b;
  assert_true(wc_lift_flat(&cx, &x, 1, &pos, borrow_a, &b));
  assert_int_equal(b.kind, WC_V_BORROW);
  assert_int_equal(b.u.handle.rep, 200);
  assert_int_equal(table.v[h2].lends, 1);
  wc_value o;
  pos = 0;
  assert_false(wc_lift_flat(&cx, &x, 1, &pos, own_a, &o));
  expect_trap("moved out while lent");
  assert_false(wc_resource_drop(&cx, &ra, h2));
  expect_trap("while lent");
  wc_canon_release_lends(&cx);
  assert_int_equal(table.v[h2].lends, 0);
  /* now the own moves out: the entry is gone */
  pos = 0;
  assert_true(wc_lift_flat(&cx, &x, 1, &pos, own_a, &o));
  assert_int_equal(o.kind, WC_V_OWN);
  assert_int_equal(o.u.handle.rep, 200);
  assert_false(wc_resource_rep(&cx, &ra, h2, &rep));
  expect_trap("unknown handle 2");
  /* an unknown runtime resource type */
  pos = 0;
  x = h3;
  assert_false(wc_lift_flat(&cx, &x, 1, &pos, own_unknown, &o));
  expect_trap("no runtime instance");

  /* lowering into another instance's table */
  wc_handle_table t2;
  wc_handles_init(&t2);
  wc_canon_cx callee = cx;
  callee.handles = &t2;
  callee.inst = &impl_b;
  callee.lenders = NULL;
  callee.nlenders = callee.caplenders = 0;
  uint64_t out[1];
  uint32_t n = 0;
  assert_true(wc_lower_flat(&callee, &o, own_a, out, 1, &n));
  assert_int_equal(out[0], 1);
  assert_true(wc_resource_rep(&callee, &ra, 1, &rep));
  assert_int_equal(rep, 200);
  /* a borrow into a non-implementing instance makes a borrow handle that must be dropped */
  n = 0;
  assert_true(wc_lower_flat(&callee, &b, borrow_a, out, 1, &n));
  uint32_t bh = (uint32_t)out[0];
  assert_int_equal(t2.num_borrows, 1);
  assert_false(wc_canon_check_borrows(&callee));
  expect_trap_in(&callee, "1 borrowed handle not dropped");
  /* an own lift of a borrow handle traps */
  x = bh;
  pos = 0;
  assert_false(wc_lift_flat(&callee, &x, 1, &pos, own_a, &o));
  expect_trap_in(&callee, "is a borrow");
  uint32_t before = dtor_calls;
  assert_true(wc_resource_drop(&callee, &ra, bh)); /* a borrow drop runs no destructor */
  assert_int_equal(dtor_calls, before);
  assert_true(wc_canon_check_borrows(&callee));
  /* a borrow into the implementing instance is just the rep */
  callee.inst = &impl_a;
  n = 0;
  assert_true(wc_lower_flat(&callee, &b, borrow_a, out, 1, &n));
  assert_int_equal(out[0], 200);
  /* a handle value of the wrong resource type */
  wc_value wrong = {.kind = WC_V_OWN, .u.handle = {&rb, 1}};
  n = 0;
  assert_false(wc_lower_flat(&callee, &wrong, own_a, out, 1, &n));
  expect_trap_in(&callee, "another resource type");
  wc_canon_cx_release(&callee);
  wc_handles_free(&t2);
}

static bool failing_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)ctx;
  snprintf(trap->msg, sizeof trap->msg, "destructor of %u hit unreachable", rep);
  trap->trapped = true;
  return false;
}

static void test_destructor_trap(void **state) {
  (void)state;
  static const int impl = 0;
  wc_resource_type r = {.impl = &impl, .dtor = failing_dtor};
  uint32_t h;
  assert_true(wc_resource_new(&cx, &r, 77, &h));
  assert_false(wc_resource_drop(&cx, &r, h));
  expect_trap("destructor of 77 hit unreachable");
}

static void test_fixed_list(void **state) {
  (void)state;
  wc_type t = {.kind = WC_T_FIXED_LIST, .elem = P(WC_U16), .len = 3};
  wc_val fl = add(t);
  uint64_t size, align;
  wc_abi(&TS, fl, &size, &align);
  assert_int_equal(size, 6);
  assert_int_equal(align, 2);
  wc_value e[] = {{.kind = WC_V_U16, .u.u = 1}, {.kind = WC_V_U16, .u.u = 0x0203}, {.kind = WC_V_U16, .u.u = 4}};
  wc_value v = {.kind = WC_V_LIST, .u.seq = {e, 3}}, back;
  assert_true(wc_store(&cx, &v, fl, 40));
  const uint8_t expect[6] = {1, 0, 3, 2, 4, 0};
  assert_memory_equal(mem_bytes + 40, expect, 6);
  uint64_t flat[3];
  uint32_t n = 0, pos = 0;
  assert_true(wc_lower_flat(&cx, &v, fl, flat, 3, &n));
  assert_int_equal(n, 3); /* flattened like a tuple: no pointer */
  assert_int_equal(flat[1], 0x0203);
  assert_true(wc_lift_flat(&cx, flat, n, &pos, fl, &back));
  assert_int_equal(back.u.seq.n, 3);
  assert_int_equal(back.u.seq.v[2].u.u, 4);
  assert_true(wc_load(&cx, 40, fl, &back));
  assert_int_equal(back.u.seq.v[1].u.u, 0x0203);
  wc_value two = {.kind = WC_V_LIST, .u.seq = {e, 2}};
  n = 0;
  assert_false(wc_lower_flat(&cx, &two, fl, flat, 3, &n));
  expect_trap("2 fields/elements, type has 3");
}

static void test_handle_table_grows(void **state) {
  (void)state;
  static const int impl = 0;
  wc_resource_type r = {.impl = &impl};
  uint32_t h = 0;
  for (uint32_t i = 1; i <= 1000; i++) {
    assert_true(wc_resource_new(&cx, &r, i, &h));
    assert_int_equal(h, i);
  }
  /* freed slots are reused most recent first */
  assert_true(wc_resource_drop(&cx, &r, 10));
  assert_true(wc_resource_drop(&cx, &r, 20));
  assert_true(wc_resource_new(&cx, &r, 7, &h));
  assert_int_equal(h, 20);
  assert_true(wc_resource_new(&cx, &r, 7, &h));
  assert_int_equal(h, 10);
  assert_true(wc_resource_new(&cx, &r, 7, &h));
  assert_int_equal(h, 1001);
}

static void test_host_value_mismatch(void **state) {
  (void)state;
  wc_value s = STRV("no");
  uint64_t out[2];
  uint32_t n = 0;
  assert_false(wc_lower_flat(&cx, &s, P(WC_U32), out, 2, &n));
  expect_trap("kind");
  wc_val f[] = {P(WC_U8), P(WC_U8)};
  wc_val r = items_type(WC_T_RECORD, 2, f);
  wc_value one[] = {{.kind = WC_V_U8}};
  wc_value rec = {.kind = WC_V_RECORD, .u.seq = {one, 1}};
  n = 0;
  assert_false(wc_lower_flat(&cx, &rec, r, out, 2, &n));
  expect_trap("1 fields/elements, type has 2");
  wc_value u = U32V(1);
  n = 0;
  assert_false(wc_lower_flat(&cx, &u, P(WC_U32), out, 0, &n));
  expect_trap("too many core values");
  uint32_t pos = 0;
  wc_value back;
  assert_false(wc_lift_flat(&cx, out, 0, &pos, P(WC_U32), &back));
  expect_trap("too few core values");
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test_setup_teardown(test_primitives_round_trip, setup, teardown),
    cmocka_unit_test_setup_teardown(test_lift_rules, setup, teardown),
    cmocka_unit_test_setup_teardown(test_char_traps, setup, teardown),
    cmocka_unit_test_setup_teardown(test_record_padding, setup, teardown),
    cmocka_unit_test_setup_teardown(test_variant_join, setup, teardown),
    cmocka_unit_test_setup_teardown(test_option_result_enum, setup, teardown),
    cmocka_unit_test_setup_teardown(test_flags, setup, teardown),
    cmocka_unit_test_setup_teardown(test_nested_lists_of_records, setup, teardown),
    cmocka_unit_test_setup_teardown(test_strings_utf8, setup, teardown),
    cmocka_unit_test_setup_teardown(test_strings_utf16, setup, teardown),
    cmocka_unit_test_setup_teardown(test_strings_latin1_utf16, setup, teardown),
    cmocka_unit_test_setup_teardown(test_realloc_failures, setup, teardown),
    cmocka_unit_test_setup_teardown(test_spilling, setup, teardown),
    cmocka_unit_test_setup_teardown(test_handle_table, setup, teardown),
    cmocka_unit_test_setup_teardown(test_handle_table_grows, setup, teardown),
    cmocka_unit_test_setup_teardown(test_destructor_trap, setup, teardown),
    cmocka_unit_test_setup_teardown(test_fixed_list, setup, teardown),
    cmocka_unit_test_setup_teardown(test_host_value_mismatch, setup, teardown),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
