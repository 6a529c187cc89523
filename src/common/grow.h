/*
 * grow.h — growing a malloc'd array in place: the one helper every pass with
 * a dynamic list uses.
 */
#ifndef WRUN_COMMON_GROW_H
#define WRUN_COMMON_GROW_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdlib.h>

/* Makes *p (an array of *cap elements of `size` bytes) hold at least `need`
 * elements, doubling from 16. False (and *p untouched) when out of memory. */
static inline bool rt_grow(void **p, uint32_t *cap, uint32_t need, size_t size) {
  if (need <= *cap) return true;
  uint32_t c = *cap ? *cap : 16;
  while (c < need) c *= 2;
  void *q = realloc(*p, (size_t)c * size);
  if (!q) return false;
  *p = q;
  *cap = c;
  return true;
}

#endif
