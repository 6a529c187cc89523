/*
 * profile.c — a developer's view of what the interpreter executes: counts of
 * every internal op and of every consecutive pair of ops, for choosing
 * superinstructions from measurements rather than guesses.
 *
 * Only built into a profiling build (cmake -DWRUN_INTERP_PROFILE=ON): the
 * dispatch macro then calls interp_profile_hit before every jump, which makes
 * the interpreter several times slower. The counts live in the store and are
 * printed to stderr when the store is freed.
 */
#include <stdio.h>
#include <stdlib.h>

#include "interp/interp.h"

#ifdef WRUN_INTERP_PROFILE

struct interp_profile {
  const void *const *handlers;
  uint64_t ops[IOP_COUNT_];
  uint64_t *pairs;               /* IOP_COUNT_ x IOP_COUNT_ */
  int prev;
  struct { const void *h; int op; } cache[4096]; /* handler address -> op */
};

static const char *const op_names[IOP_COUNT_] = {
#define N(id, ...) [IOP_##id] = #id,
#define NK(id, ...) [IOP_##id] = #id, [IOP_##id##_K] = #id "_K",
#define NA(id, ...) INTERP_ADDR_FORMS(N, id)
#define NB(id, ...) [IOP_BR_I32_##id] = "BR_I32_" #id, [IOP_BR_I32_##id##_K] = "BR_I32_" #id "_K", \
  [IOP_ADDK_BR_##id] = "ADDK_BR_" #id, [IOP_ADDK_BR_##id##_K] = "ADDK_BR_" #id "_K",
#define NC(id, ...) [IOP_BRT_##id] = "BRT_" #id, [IOP_BRF_##id] = "BRF_" #id, \
  [IOP_BRT_##id##_K] = "BRT_" #id "_K", [IOP_BRF_##id##_K] = "BRF_" #id "_K",
  SEM_INT_BINOPS(NK) SEM_FLOAT_BINOPS(NK) SEM_BITS_BINOPS(N) SEM_UNOPS(N)
  INTERP_SPECIAL_OPS(N) INTERP_EXTRA_OPS(N) INTERP_SHIFT_FUSIONS(N) INTERP_LOAD_FUSIONS(N) INTERP_MASK_FUSIONS(N) INTERP_SLOT_FUSIONS(N) SEM_LOAD_OPS(NA) SEM_STORE_OPS(NA) INTERP_BR_CMPS(NB)
  INTERP_CMP_BRANCHES(NC)
  INTERP_ARITH_OPS(N)
#define NS(id, ...) [IOP_##id##_K] = #id "_K",
  SEM_STORE_OPS(NS)
#undef NS
#undef NC
#undef N
#undef NK
#undef NA
#undef NB
};

static int op_of(struct interp_profile *p, const void *h) {
  size_t k = ((uintptr_t)h >> 2) % 4096;
  if (p->cache[k].h == h) return p->cache[k].op;
  for (int i = 0; i < IOP_COUNT_; i++)
    if (p->handlers[i] == h) {
      p->cache[k].h = h;
      p->cache[k].op = i;
      return i;
    }
  return -1;
}

void interp_profile_hit(wrun_store *s, const void *h) {
  struct interp_profile *p = s->interp_profile;
  if (!p) {
    p = calloc(1, sizeof *p);
    if (!p) return;
    p->pairs = calloc((size_t)IOP_COUNT_ * IOP_COUNT_, sizeof *p->pairs);
    if (!p->pairs) {
      free(p);
      return;
    }
    p->handlers = interp_handlers();
    p->prev = -1;
    s->interp_profile = p;
  }
  int op = op_of(p, h);
  if (op < 0) return;
  p->ops[op]++;
  if (p->prev >= 0) p->pairs[(size_t)p->prev * IOP_COUNT_ + (size_t)op]++;
  p->prev = op;
}

typedef struct { uint64_t n; int a, b; } row;

static int row_cmp(const void *x, const void *y) {
  const row *a = x, *b = y;
  return a->n < b->n ? 1 : a->n > b->n ? -1 : 0;
}

void interp_profile_report(wrun_store *s) {
  struct interp_profile *p = s->interp_profile;
  if (!p) return;
  uint64_t total = 0;
  row *rows = malloc((size_t)IOP_COUNT_ * IOP_COUNT_ * sizeof *rows);
  if (rows) {
    size_t n = 0;
    for (int i = 0; i < IOP_COUNT_; i++) {
      total += p->ops[i];
      if (p->ops[i]) rows[n++] = (row){p->ops[i], i, -1};
    }
    qsort(rows, n, sizeof *rows, row_cmp);
    fprintf(stderr, "interp profile: %llu ops\n", (unsigned long long)total);
    for (size_t i = 0; i < n && i < 40; i++)
      fprintf(stderr, "  %5.2f%%  %s\n", 100.0 * (double)rows[i].n / (double)total, op_names[rows[i].a]);
    n = 0;
    for (int i = 0; i < IOP_COUNT_; i++)
      for (int j = 0; j < IOP_COUNT_; j++)
        if (p->pairs[(size_t)i * IOP_COUNT_ + (size_t)j]) rows[n++] = (row){p->pairs[(size_t)i * IOP_COUNT_ + (size_t)j], i, j};
    qsort(rows, n, sizeof *rows, row_cmp);
    fprintf(stderr, "pairs:\n");
    for (size_t i = 0; i < n && i < 40; i++)
      fprintf(stderr, "  %5.2f%%  %s -> %s\n", 100.0 * (double)rows[i].n / (double)total, op_names[rows[i].a],
              op_names[rows[i].b]);
    free(rows);
  }
  free(p->pairs);
  free(p);
  s->interp_profile = NULL;
}

#endif
