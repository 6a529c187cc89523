/*
 * subtype.h — checking that a component `instantiate` argument's type is a
 * subtype of the import it supplies (subtype.c has the rules). One wc_sub
 * spans all arguments of one instantiate: it remembers which resource type
 * was supplied for each abstract resource type the component imports.
 */
#ifndef WRUN_COMPONENT_SUBTYPE_H
#define WRUN_COMPONENT_SUBTYPE_H

#include <stdbool.h>
#include <stdint.h>

#include "component/component.h"

struct wc_loader;

typedef struct wc_sub {
  const wc_types *types;  /* the arena of the expected types */
  const wc_types *atypes; /* of the actual types: `types` unless changed after wc_sub_init (the
                           * host check, htypes.c, compares host types with a component's); with
                           * two arenas, own/borrow match only the resource pairs in `map` */
  struct wc_loader *L;   /* its resource links (abstract = supplied), extended by each check */
  struct { uint32_t abstract, actual; } *map;   /* owned: abstract resource -> supplied resource */
  uint32_t n, cap;
  bool too_big, oom;     /* why a check failed, when it is not a mismatch */
  char why[200];         /* the mismatch, for the error message (cut if longer) */
} wc_sub;

void wc_sub_init(wc_sub *s, struct wc_loader *L);
void wc_sub_release(wc_sub *s);
/* Whether an item of sort `sort` and type `actual` may supply an import of
 * type `expected` (arena ids; for WC_TYPE the types themselves). On false,
 * s->why says why (and s->too_big / s->oom mark the non-mismatch failures). */
bool wc_sub_extern(wc_sub *s, wc_sort sort, uint32_t expected, uint32_t actual);

#endif
