/* sort.c — integers and branches: quicksort (median of three, insertion sort below 16). */
#include "bench.h"

#define N 1000000
static uint32_t v[N];

static void isort(uint32_t *a, int n) {
  for (int i = 1; i < n; i++) {
    uint32_t x = a[i];
    int j = i - 1;
    while (j >= 0 && a[j] > x) { a[j + 1] = a[j]; j--; }
    a[j + 1] = x;
  }
}

static void qsort_u32(uint32_t *a, int n) {
  while (n > 16) {
    uint32_t x = a[0], y = a[n / 2], z = a[n - 1];
    uint32_t p = x < y ? (y < z ? y : (x < z ? z : x)) : (x < z ? x : (y < z ? z : y));
    int i = 0, j = n - 1;
    for (;;) {
      while (a[i] < p) i++;
      while (a[j] > p) j--;
      if (i >= j) break;
      uint32_t t = a[i]; a[i] = a[j]; a[j] = t;
      i++; j--;
    }
    if (j + 1 < n - j - 1) { qsort_u32(a, j + 1); a += j + 1; n -= j + 1; }
    else { qsort_u32(a + j + 1, n - j - 1); n = j + 1; }
  }
  isort(a, n);
}

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t sum = 0, seed = 99;
  for (int rep = 0; rep < BENCH_SIZE(6, 1); rep++) {
    for (int i = 0; i < N; i++) v[i] = (uint32_t)bench_rand(&seed);
    qsort_u32(v, N);
    for (int i = 0; i < N; i += 1000) sum = sum * 31 + v[i];
    for (int i = 1; i < N; i++) if (v[i - 1] > v[i]) return 0; /* not sorted: wrong checksum */
  }
  return sum;
}
