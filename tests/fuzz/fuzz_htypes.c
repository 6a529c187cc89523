/*
 * fuzz_htypes.c — libFuzzer target for the host type text (component/htypes.c).
 * The input is split at its first NUL byte: the part before is parsed as
 * type definitions of interface t:f/a (which has resources r and s), the
 * part after as a function type there. Every parsed function type must equal
 * itself under the host check (wc_hcheck, with each resource bound to
 * itself), which walks every type it mentions. Any crash, sanitizer report,
 * leak or failed self-comparison is a bug.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "component/htypes.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (size > 1 << 16) return 0;
  char *text = malloc(size + 2);
  if (!text) return 0;
  memcpy(text, data, size);
  text[size] = text[size + 1] = 0;
  size_t cut = strlen(text);
  const char *defs = text, *sig = cut < size ? text + cut + 1 : "func()";
  wc_htypes *h = wc_htypes_new();
  uint32_t r, s, f;
  if (!h || !wc_htypes_resource(h, "t:f/a@1.0.0", "r", &r) || !wc_htypes_resource(h, "t:f/a@1.0.0", "s", &s)) abort();
  (void)wc_htypes_define(h, "t:f/a@1.0.0", defs);
  /* a second interface that uses the first one's names */
  (void)wc_htypes_define(h, "t:f/b@1.0.0", "use t:f/a.{r, s}");
  if (wc_htypes_func(h, "t:f/a@1.0.0", sig, &f)) {
    wc_hcheck *c = wc_hcheck_new(h, wc_htypes_arena(h));
    if (!c || !wc_hcheck_bind(c, r, r) || !wc_hcheck_bind(c, s, s)) abort();
    char why[200];
    bool failed;
    if (!wc_hcheck_func(c, f, f, why, sizeof why, &failed) && !failed) abort();
    wc_hcheck_free(c);
  } else if (!*wc_htypes_error(h)) {
    abort();  /* a refusal must say why */
  }
  wc_htypes_free(h);
  free(text);
  return 0;
}
