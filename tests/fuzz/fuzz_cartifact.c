/*
 * fuzz_cartifact.c — libFuzzer target: compiled component artifacts
 * (src/aot/artifact.c's container, bound to the component by
 * src/cinst/artifact.c), and core artifacts through the compile cache's
 * code-only loader and the whole loader (`wrun run --allow-precompiled`, the
 * C API's wasm_module_deserialize). Every input is loaded three ways:
 *   1. as it is;
 *   2. with its checksums made right again (the header's, the section
 *      table's and each inflatable section's CRC), so mutations reach the
 *      structure behind the checksums: offsets, counts, module hashes, code
 *      section fields, the component binary itself;
 *   3. when it is a component: its core modules are compiled, an artifact is
 *      written, loaded back and checked to describe the same component.
 * The native code is never run (it is trusted by design: docs/security.md).
 * A crash, leak, hang or sanitizer report is a bug; rejections are expected.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "aot/aot.h"
#include "cinst/artifact.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static uint32_t rd32(const uint8_t *p) { return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24; }
static void wr32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t crc(const uint8_t *p, size_t n) { return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n); }

static void load_and_free(const uint8_t *b, size_t n) {
  rt_error err;
  rt_error_clear(&err);
  wc_component *c = wc_artifact_load(b, n, &err);
  wc_component_free(c);
  aot_artifact_info info;
  (void)aot_artifact_describe(b, n, &info, &err); /* for inspect; rejections are fine */
  aot_artifact_info_free(&info);
  wm_module_free(aot_artifact_load(b, n, &err)); /* `wrun run --allow-precompiled`, wasm_module_deserialize */
  if (n >= 72) { /* the compile cache's code-only load of a core artifact, with the hash it records */
    uint8_t hash[32];
    memcpy(hash, b + 40, 32);
    aot_image_free(aot_artifact_load_image(b, n, hash, n > 200 ? rd32(b + n - 4) % 64 : 1, &err));
  }
}

/* Recomputes the CRC of one section whose entry is at `e`: a raw one
 * (stored size = size, format 4 on), or a compressed one when it inflates. */
static void reseal_section(uint8_t *b, size_t n, size_t e) {
  uint64_t off = rd32(b + e) | (uint64_t)rd32(b + e + 4) << 32;
  uint32_t clen = rd32(b + e + 8), want = rd32(b + e + 12);
  if (off > n || clen > n - off || want > (1u << 20)) return;
  if (clen == want) {
    wr32(b + e + 16, crc(b + off, want));
    return;
  }
  uint8_t *buf = malloc(want ? want : 1);
  if (!buf) return;
  uLongf got = want;
  if (uncompress(buf, &got, b + off, clen) == Z_OK && got == want) wr32(b + e + 16, crc(buf, want));
  free(buf);
}

static void resealed(const uint8_t *data, size_t size) {
  if (size < 128) return;
  bool core = aot_is_artifact(data, size);
  if (!core && !aot_is_component_artifact(data, size)) return;
  uint8_t *b = malloc(size);
  if (!b) return;
  memcpy(b, data, size);
  if (core) { /* its two sections, then the header */
    reseal_section(b, size, 80);
    reseal_section(b, size, 104);
    wr32(b + 124, crc(b, 124));
    load_and_free(b, size);
    free(b);
    return;
  }
  uint32_t nmods = rd32(b + 72);
  size_t table = 128 + 24 * (size_t)(nmods <= AOT_MAX_COMPONENT_MODULES ? nmods : 0);
  reseal_section(b, size, 80);
  if (table + 4 <= size) {
    for (uint32_t k = 0; 128 + 24 * (size_t)k < table; k++) reseal_section(b, size, 128 + 24 * (size_t)k);
    wr32(b + table, crc(b + 128, table - 128));
  }
  wr32(b + 124, crc(b, 124));
  load_and_free(b, size);
  free(b);
}

static void round_trip(const uint8_t *data, size_t size) {
  if (!wc_is_component(data, size)) return;
  rt_error err;
  rt_error_clear(&err);
  wc_component *c = wc_component_load(data, size, &err);
  if (!c) return;
  uint32_t n = wc_core_modules(c, NULL, 0);
  wm_module **mods = calloc((size_t)n + 1, sizeof *mods);
  bool ok = mods != NULL;
  if (ok) wc_core_modules(c, mods, n);
  for (uint32_t k = 0; ok && k < n; k++) {
    aot_image *img = NULL;
    ok = aot_compile_module(mods[k], 0, &img, &err);
    if (ok) aot_attach_image(mods[k], img);
  }
  size_t len = 0;
  uint8_t *art = ok ? wc_artifact_write(c, &len, &err) : NULL;
  if (art) {
    wc_component *back = wc_artifact_load(art, len, &err);
    /* what was written must load, and hold the same component */
    if (!back || back->size != c->size || memcmp(back->bytes, c->bytes, c->size) != 0 ||
        wc_core_modules(back, NULL, 0) != n)
      abort();
    wc_component_free(back);
    free(art);
  }
  free(mods);
  wc_component_free(c);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  load_and_free(data, size);
  resealed(data, size);
  round_trip(data, size);
  return 0;
}
