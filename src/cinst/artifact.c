/*
 * artifact.c — compiled components (contract in artifact.h): which code
 * section of the container belongs to which core module, and the checks that
 * bind them.
 */
#include <stdlib.h>

#include "aot/aot.h"
#include "cinst/artifact.h"
#include "common/sha256.h"

/* Depth first over the nesting (bounded by the validator's 100 levels). */
static uint32_t collect(const wc_component *c, wm_module **out, uint32_t cap, uint32_t n) {
  for (uint32_t i = 0; i < c->nmodules; i++, n++)
    if (n < cap) out[n] = c->modules[i];
  for (uint32_t i = 0; i < c->ncomponents; i++) n = collect(c->components[i], out, cap, n);
  return n;
}

uint32_t wc_core_modules(const wc_component *c, wm_module **out, uint32_t cap) { return collect(c, out, cap, 0); }

uint8_t *wc_artifact_write(const wc_component *c, size_t *len, rt_error *err) {
  uint32_t n = wc_core_modules(c, NULL, 0);
  wm_module **mods = calloc((size_t)n + 1, sizeof *mods);
  const aot_image **imgs = calloc((size_t)n + 1, sizeof *imgs);
  uint8_t *out = NULL;
  if (!mods || !imgs) {
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    goto done;
  }
  wc_core_modules(c, mods, n);
  for (uint32_t k = 0; k < n; k++) {
    if (!(imgs[k] = mods[k]->aot_image)) {
      rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "core module %u has no compiled code", k);
      goto done;
    }
  }
  out = aot_component_artifact_write(c->bytes, c->size, n, (const wm_module *const *)mods, imgs, len, err);
done:
  free(mods);
  free(imgs);
  return out;
}

wc_component *wc_artifact_load(const uint8_t *bytes, size_t len, rt_error *err) {
  uint8_t *cbytes = NULL;
  size_t clen = 0;
  uint32_t ncode = 0;
  if (!aot_component_artifact_open(bytes, len, &cbytes, &clen, &ncode, err)) return NULL;
  /* the component is validated like any other; only its core modules' code is taken on trust */
  wc_component *c = wc_component_load(cbytes, clen, err);
  free(cbytes);
  if (!c) return NULL;
  wm_module **mods = NULL;
  uint32_t n = wc_core_modules(c, NULL, 0);
  if (n != ncode) {
    rt_error_at(err, WRUN_ERR_MALFORMED, 72, "invalid compiled artifact: code for %u core modules, the component "
                  "has %u", ncode, n);
    goto fail;
  }
  mods = calloc((size_t)n + 1, sizeof *mods);
  if (!mods) {
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    goto fail;
  }
  wc_core_modules(c, mods, n);
  for (uint32_t k = 0; k < n; k++) {
    uint8_t hash[32];
    rt_sha256(mods[k]->bytes, mods[k]->size, hash);
    aot_image *img = aot_component_artifact_code(bytes, len, k, hash, err);
    if (!img) goto fail;
    if (img->nfuncs != mods[k]->nfuncs - mods[k]->nimported_funcs) {
      aot_image_free(img);
      rt_error_at(err, WRUN_ERR_MALFORMED, 128 + 24 * (uint64_t)k, "invalid compiled artifact: function count "
                    "does not match core module %u", k);
      goto fail;
    }
    aot_attach_image(mods[k], img);
  }
  free(mods);
  return c;
fail:
  free(mods);
  wc_component_free(c);
  return NULL;
}
