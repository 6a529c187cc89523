/*
 * fuzz_aot.c — libFuzzer target: arbitrary bytes through the decoder and the
 * validator and, when they make a valid module, through the AOT compiler
 * (lower.c and the x86-64 backend) with every option combination. The code
 * is not run: this hunts crashes, leaks and sanitizer reports in the
 * compiler itself on hostile but valid modules. Each artifact is loaded back
 * and its code maps (pc -> wasm positions, codemap.h) must equal the
 * compiler's and answer every pc; the map decoder also reads the raw input
 * bytes as a hostile map.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "aot/aot.h"
#include "aot/codemap.h"
#include "binary/module.h"
#include "valid/valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* The loaded image's maps are the compiled one's, and every pc of every
 * function has a position inside the module (or the function's start). */
static void check_maps(const wm_module *m, const aot_image *a, const aot_image *b) {
  if (!b) return;
  if (a->codemap_size != b->codemap_size || memcmp(a->codemap, b->codemap, a->codemap_size) != 0 ||
      memcmp(a->codemap_off, b->codemap_off, ((size_t)a->nfuncs + 1) * sizeof *a->codemap_off) != 0)
    abort();
  for (uint32_t k = 0; k < a->nfuncs; k++) {
    uint32_t end = k + 1 < a->nfuncs ? a->func_off[k + 1] : a->code_size;
    uint32_t start = (uint32_t)m->funcs[m->nimported_funcs + k].code_offset;
    uint32_t step = (end - a->func_off[k]) / 64 + 1; /* a sample of pcs: lookups read the map linearly */
    for (uint32_t pc = a->func_off[k]; pc < end; pc += step) {
      codemap_frame fr[CODEMAP_MAX_DEPTH];
      uint32_t n = aot_image_position(b, k, start, (uintptr_t)b->mem + pc, fr, CODEMAP_MAX_DEPTH);
      if (n < 1 || n > CODEMAP_MAX_DEPTH || fr[0].woff > m->size) abort();
      for (uint32_t d = 1; d < n; d++)
        if (fr[d].func >= m->nfuncs || fr[d].woff > m->size) abort();
    }
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  codemap_frame hostile[CODEMAP_MAX_DEPTH]; /* any bytes read as a map: no overrun, no hang */
  codemap_lookup(data, (uint32_t)(size < UINT32_MAX ? size : UINT32_MAX), 0, UINT32_MAX, hostile, CODEMAP_MAX_DEPTH);
  rt_error err;
  rt_error_clear(&err);
  wm_module *m = wm_module_decode(data, size, &err);
  if (m && wm_module_validate(m, &err)) {
    for (uint32_t options = 0; options < 8; options++) { /* every AOT_OPT_* combination */
      aot_image *img = NULL;
      rt_error_clear(&err);
      if (aot_compile_module(m, options, &img, &err)) {
        size_t len = 0;
        uint8_t *art = aot_artifact_write(m, img, &len, &err);
        if (art) { /* and the artifact round-trips */
          wm_module *back = aot_artifact_load(art, len, &err);
          if (back) check_maps(m, img, back->aot_image);
          wm_module_free(back);
          free(art);
        }
        aot_image_free(img);
      }
    }
  }
  wm_module_free(m);
  return 0;
}
