/*
 * buf.c — the growable code buffer both encoders append to (aot_buf,
 * lower.h): one place that reallocates, so x64/asm.c and arm64/asm.c only
 * encode.
 */
#include <stdlib.h>

#include "aot/lower.h"

bool aot_buf_reserve(aot_buf *b, size_t more) {
  if (b->oom) return false;
  if (b->n + more <= b->cap) return true; /* also what keeps a caller's fixed view (machine.c) in place */
  size_t c = b->cap ? b->cap : 4096;
  while (c < b->n + more) c *= 2;
  uint8_t *q = realloc(b->p, c);
  if (!q) {
    b->oom = true;
    return false;
  }
  b->p = q;
  b->cap = c;
  return true;
}
