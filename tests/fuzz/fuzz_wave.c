/*
 * fuzz_wave.c — libFuzzer target for the WAVE value text (component/wave.c).
 * The first input byte picks one of a few fixed types (a record using every
 * type constructor, lists of it, primitives, nested options); the rest is
 * parsed as a value of that type. When it parses, the value is printed,
 * the printed text parsed again, and both the values and the two printed
 * texts must be equal (print(parse(x)) is canonical, parse(print(v)) == v).
 * Any crash, sanitizer report or failed round trip is a bug.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "component/component_internal.h"
#include "component/wave.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static wc_types TS;
static wc_val types[12];
static uint32_t ntypes;

static wc_val add(wc_loader *L, wc_type t) {
  uint32_t id = wc_type_add(L, &t, 0);
  if (id == WC_NONE) abort();
  return id;
}

static wc_val items(wc_loader *L, wc_type_kind kind, uint32_t n, const char *const *names, const wc_val *ts) {
  wc_type t = {.kind = kind, .nitems = n, .items = calloc(n, sizeof(wc_item))};
  if (!t.items) abort();
  for (uint32_t i = 0; i < n; i++) {
    t.items[i].name = names ? (wc_str){names[i], (uint32_t)strlen(names[i])} : (wc_str){"", 0};
    t.items[i].type = ts ? ts[i] : WC_NONE;
    t.items[i].has_type = ts && ts[i] != WC_NONE;
  }
  return add(L, t);
}

static void build_types(void) {
  static rt_error err;
  wc_loader L = {.types = &TS, .err = &err};
  const wc_val P = WC_PRIM_BIT;
  wc_val opt_str = add(&L, (wc_type){.kind = WC_T_OPTION, .elem = P | WC_STRING});
  wc_val tup = items(&L, WC_T_TUPLE, 2, NULL, (wc_val[]){P | WC_S8, P | WC_CHAR});
  wc_val list_tup = add(&L, (wc_type){.kind = WC_T_LIST, .elem = tup});
  wc_val var = items(&L, WC_T_VARIANT, 3, (const char *[]){"x", "y-z", "ok"}, (wc_val[]){WC_NONE, P | WC_F32, P | WC_F64});
  wc_val flags = items(&L, WC_T_FLAGS, 3, (const char *[]){"read", "write", "EXEC"}, NULL);
  wc_val en = items(&L, WC_T_ENUM, 3, (const char *[]){"a", "none", "c3"}, NULL);
  wc_val res = items(&L, WC_T_RESULT, 2, (const char *[]){"", ""}, (wc_val[]){en, P | WC_STRING});
  wc_val opt_u64 = add(&L, (wc_type){.kind = WC_T_OPTION, .elem = P | WC_U64});
  wc_val opt_opt = add(&L, (wc_type){.kind = WC_T_OPTION, .elem = opt_u64});
  wc_val fixed = add(&L, (wc_type){.kind = WC_T_FIXED_LIST, .elem = P | WC_U16, .len = 2});
  wc_val rec = items(&L, WC_T_RECORD, 8, (const char *[]){"a", "b", "c", "d", "e", "f", "g", "h"},
                     (wc_val[]){P | WC_U32, opt_str, list_tup, var, flags, res, opt_opt, fixed});
  wc_val unit = items(&L, WC_T_RESULT, 2, (const char *[]){"", ""}, (wc_val[]){WC_NONE, WC_NONE});
  wc_val l1 = add(&L, (wc_type){.kind = WC_T_LIST, .elem = P | WC_U8});
  wc_val l2 = add(&L, (wc_type){.kind = WC_T_LIST, .elem = l1});
  wc_val l3 = add(&L, (wc_type){.kind = WC_T_LIST, .elem = l2});
  wc_val tup3 = items(&L, WC_T_TUPLE, 3, NULL, (wc_val[]){P | WC_BOOL, unit, P | WC_S16});
  const wc_val all[] = {rec, add(&L, (wc_type){.kind = WC_T_LIST, .elem = rec}), P | WC_STRING, P | WC_F64, P | WC_F32,
                        P | WC_CHAR, P | WC_S64, opt_opt, l3, tup3, res, var};
  memcpy(types, all, sizeof all);
  ntypes = sizeof all / sizeof all[0];
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static wc_arena arena = {.limit = (size_t)64 << 20};
  if (!ntypes) build_types();
  if (size == 0) return 0;
  wc_val t = types[data[0] % ntypes];
  const char *text = (const char *)data + 1;
  char err[256];
  wc_value v, w;
  if (wc_wave_parse(&TS, t, text, size - 1, &arena, &v, err, sizeof err)) {
    wc_wave_buf b1 = {.p = NULL}, b2 = {.p = NULL};
    if (!wc_wave_print(&TS, t, &v, &b1)) { fprintf(stderr, "print failed: %s\n", b1.err); abort(); }
    if (!wc_wave_parse(&TS, t, b1.p, b1.len, &arena, &w, err, sizeof err)) {
      fprintf(stderr, "printed text does not parse: %s\n%s\n", err, b1.p);
      abort();
    }
    if (!wc_wave_equal(&TS, t, &v, &w)) { fprintf(stderr, "round trip changed the value: %s\n", b1.p); abort(); }
    if (!wc_wave_print(&TS, t, &w, &b2) || b1.len != b2.len || memcmp(b1.p, b2.p, b1.len) != 0) {
      fprintf(stderr, "printing is not a fixed point:\n%s\n%s\n", b1.p, b2.p ? b2.p : "");
      abort();
    }
    wc_wave_buf_free(&b1);
    wc_wave_buf_free(&b2);
  } else if (!err[0] || strchr(err, '\n')) {
    fprintf(stderr, "an error must be one non-empty line: '%s'\n", err);
    abort();
  }
  wc_arena_reset(&arena);
  return 0;
}
