/*
 * fuzz_aot.c — libFuzzer target: arbitrary bytes through the decoder and the
 * validator and, when they make a valid module, through the AOT compiler
 * (lower.c and the x86-64 backend) with every option combination. The code
 * is not run: this hunts crashes, leaks and sanitizer reports in the
 * compiler itself on hostile but valid modules.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

#include "aot/aot.h"
#include "binary/module.h"
#include "valid/valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
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
