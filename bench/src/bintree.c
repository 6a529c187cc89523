/* bintree.c — allocation: build and walk binary trees through malloc/free. */
#include <stdlib.h>

#include "bench.h"

typedef struct node { struct node *l, *r; } node;

static node *make(int depth) {
  node *n = malloc(sizeof *n);
  if (!n) return NULL;
  n->l = depth ? make(depth - 1) : NULL;
  n->r = depth ? make(depth - 1) : NULL;
  return n;
}

static uint32_t check(const node *n) { return n ? 1 + check(n->l) + check(n->r) : 0; }

static void drop(node *n) {
  if (!n) return;
  drop(n->l);
  drop(n->r);
  free(n);
}

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t total = 0;
  node *longlived = make(16);
  for (int d = 4; d <= 16; d += 2) {
    int iters = 1 << (16 - d + BENCH_SIZE(5, 1));
    for (int i = 0; i < iters; i++) {
      node *t = make(d);
      total += check(t);
      drop(t);
    }
  }
  total += check(longlived);
  drop(longlived);
  return total;
}
