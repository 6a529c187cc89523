/*
 * fuzz_text.c — libFuzzer target: arbitrary bytes as WebAssembly text. What
 * parses is translated to binary and pushed through decoder and validator, so
 * the fuzzer also checks that the text front end only emits decodable output
 * (a module the text parser accepted but the decoder calls malformed is a bug
 * in one of them, reported by abort()).
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary/module.h"
#include "text/text.h"
#include "valid/valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rt_error err;
  rt_error_clear(&err);
  uint8_t *bin = NULL;
  size_t len = 0;
  if (!wat_parse_to_binary((const char *)data, size, &bin, &len, &err)) return 0;
  rt_error_clear(&err);
  wm_module *m = wm_module_decode(bin, len, &err);
  /* `(module binary ...)` passes bytes through untouched, and implementation
   * limits are not the text parser's to enforce: only other decode errors are bugs. */
  if (!m && err.kind == WRUN_ERR_MALFORMED && !memmem(data, size, "binary", 6)) {
    char buf[400];
    fprintf(stderr, "text front end emitted an undecodable module: %s\n",
            rt_error_format(&err, "<fuzz>", buf, sizeof buf));
    abort();
  }
  if (!m) {
    free(bin);
    return 0;
  }
  rt_error_clear(&err);
  (void)wm_module_validate(m, &err);
  wm_module_free(m);
  free(bin);
  return 0;
}
