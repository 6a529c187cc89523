/*
 * test_aot_codemap.c — the pc -> wasm position maps of compiled code
 * (src/aot/codemap.[ch]): building (a mark at the same pc replaces the last,
 * one repeating it adds nothing, copies for trap stubs, the shift for a
 * prologue placed in front), encoding and reading back every pc against
 * the builder's own answer, inlined chains, offsets that go backwards (IR
 * block order), and truncated maps read only as far as they are intact.
 *
 * No cmocka: plain checks, also in the cross-built tree.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot/codemap.h"

static int failed;
#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);    \
      failed++;                                                          \
    }                                                                    \
  } while (0)

/* What the builder says about pc: the function's own offset and chain. */
static uint32_t expect(const codemap_builder *b, uint32_t pc, codemap_frame *out) {
  int32_t e = codemap_find(b, pc);
  if (e < 0) {
    out[0].woff = b->start;
    return 1;
  }
  out[0].woff = b->e[e].woff;
  for (uint32_t k = 0; k < b->e[e].nchain; k++) out[1 + k] = b->pool[b->e[e].chain + k];
  return 1 + b->e[e].nchain;
}

/* Every step-th pc up to `end` reads back from the encoded map as the builder has it. */
static void check_roundtrip(const codemap_builder *b, uint32_t end, uint32_t step) {
  uint8_t *map;
  uint32_t size;
  CHECK(codemap_encode(b, &map, &size));
  for (uint32_t pc = 0; pc < end; pc += step) {
    codemap_frame want[CODEMAP_MAX_DEPTH], got[CODEMAP_MAX_DEPTH];
    uint32_t nw = expect(b, pc, want), ng = codemap_lookup(map, size, b->start, pc, got, CODEMAP_MAX_DEPTH);
    CHECK(nw == ng);
    CHECK(got[0].woff == want[0].woff);
    for (uint32_t k = 1; k < nw && k < ng; k++) CHECK(got[k].func == want[k].func && got[k].woff == want[k].woff);
  }
  /* truncated: never past the bytes given, and always at least the function's frame */
  for (uint32_t cut = 0; cut < size; cut += step) {
    uint8_t *copy = malloc(cut ? cut : 1); /* exactly cut bytes: ASan sees any overrun */
    memcpy(copy, map, cut);
    codemap_frame got[CODEMAP_MAX_DEPTH];
    CHECK(codemap_lookup(copy, cut, b->start, end, got, CODEMAP_MAX_DEPTH) >= 1);
    free(copy);
  }
  free(map);
}

int main(void) {
  codemap_builder b;
  codemap_begin(&b, 1000);
  codemap_mark(&b, 0, 1000, NULL, 0); /* the start needs no entry */
  CHECK(b.n == 0);
  codemap_mark(&b, 10, 1005, NULL, 0);
  codemap_mark(&b, 10, 1009, NULL, 0); /* same pc: replaces (the first emitted nothing) */
  CHECK(b.n == 1 && b.e[0].woff == 1009);
  codemap_mark(&b, 20, 1009, NULL, 0); /* the same position again: nothing new */
  CHECK(b.n == 1);
  codemap_mark(&b, 30, 1002, NULL, 0); /* backwards (blocks laid out out of wasm order) */
  codemap_frame chain[2] = {{7, 500}, {8, 620}};
  codemap_mark(&b, 45, 1020, chain, 1);  /* inlined: the call at 1020, callee 7 at 500 */
  chain[0].woff = 504;
  codemap_mark(&b, 50, 1020, chain, 1);  /* the next instruction of the same copy */
  codemap_mark(&b, 60, 1020, chain, 2);  /* two levels */
  codemap_mark(&b, 200, 70000, NULL, 0); /* a long jump forward */
  CHECK(b.n == 6);
  codemap_copy(&b, 300, codemap_find(&b, 47)); /* a trap stub for the site at 47 */
  codemap_copy(&b, 310, -1);                   /* the stack check's: the function's start */
  CHECK(b.n == 8 && b.e[6].woff == 1020 && b.e[6].nchain == 1 && b.e[7].woff == 1000);
  CHECK(codemap_find(&b, 5) == -1 && codemap_find(&b, 10) == 0 && codemap_find(&b, 49) == 2);
  CHECK(!b.oom);
  check_roundtrip(&b, 400, 1);
  codemap_shift(&b, 16); /* a prologue of 16 bytes in front */
  CHECK(b.e[0].pc == 26 && codemap_find(&b, 25) == -1);
  check_roundtrip(&b, 420, 1);

  /* an exact answer at a marked pc and just before the next mark */
  uint8_t *map;
  uint32_t size;
  CHECK(codemap_encode(&b, &map, &size));
  codemap_frame fr[CODEMAP_MAX_DEPTH];
  CHECK(codemap_lookup(map, size, 1000, 16 + 61, fr, CODEMAP_MAX_DEPTH) == 3);
  CHECK(fr[0].woff == 1020 && fr[1].func == 7 && fr[1].woff == 504 && fr[2].func == 8 && fr[2].woff == 620);
  CHECK(codemap_lookup(map, size, 1000, 16 + 199, fr, CODEMAP_MAX_DEPTH) == 3); /* still the last entry's */
  CHECK(codemap_lookup(map, size, 1000, 16 + 200, fr, CODEMAP_MAX_DEPTH) == 1 && fr[0].woff == 70000);
  CHECK(codemap_lookup(map, size, 1000, 16 + 61, fr, 2) == 2); /* room for two frames only */
  printf("map: %u entries in %u bytes\n", b.n, size);
  free(map);
  codemap_builder_free(&b);

  /* an empty map: every pc is the start */
  codemap_begin(&b, 42);
  CHECK(codemap_encode(&b, &map, &size) && !map && size == 0);
  CHECK(codemap_lookup(NULL, 0, 42, 5, fr, CODEMAP_MAX_DEPTH) == 1 && fr[0].woff == 42);
  codemap_builder_free(&b);

  /* many entries (the builder grows) with random steps */
  codemap_begin(&b, 5000);
  uint32_t pc = 0, w = 5000, seed = 12345;
  for (int k = 0; k < 5000; k++) {
    seed = seed * 1103515245u + 12345u;
    pc += 1 + (seed >> 16) % 40;
    w = (uint32_t)((int64_t)w + (int64_t)((seed >> 8) % 200) - 90);
    codemap_frame c = {seed % 100, w + 3};
    codemap_mark(&b, pc, w, &c, (seed >> 4) % 3 == 0);
  }
  check_roundtrip(&b, pc + 10, 97);
  codemap_builder_free(&b);

  if (failed) return 1;
  printf("ok: code maps\n");
  return 0;
}
