/*
 * fuzz_decode.c — libFuzzer target: arbitrary bytes through the binary decoder
 * and, when they decode, the validator. Any crash, leak, hang or sanitizer
 * report is a bug; rejections are the expected outcome for most inputs.
 */
#include <stddef.h>
#include <stdint.h>

#include "binary/module.h"
#include "valid/valid.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  rt_error err;
  rt_error_clear(&err);
  wm_module *m = wm_module_decode(data, size, &err);
  if (m) {
    rt_error_clear(&err);
    (void)wm_module_validate(m, &err);
    wm_module_free(m);
  }
  return 0;
}
