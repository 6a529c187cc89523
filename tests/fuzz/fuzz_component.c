/*
 * fuzz_component.c — libFuzzer target: arbitrary bytes through the component
 * loader (decoding and validation in one pass, core modules included) and,
 * when they load, the WIT printer. Any crash, leak, hang or sanitizer report
 * is a bug; rejections are the expected outcome for most inputs.
 */
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "component/component.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static FILE *sink;
  if (!sink) sink = fopen("/dev/null", "w");
  rt_error err;
  rt_error_clear(&err);
  wc_component *c = wc_component_load(data, size, &err);
  if (c && sink) wc_print_wit(c, "fuzz", sink);
  wc_component_free(c);
  return 0;
}
