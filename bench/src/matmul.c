/* matmul.c — floating point: dense double-precision matrix multiply (i-k-j order). */
#include "bench.h"

#define N 200
static double a[N][N], b[N][N], c[N][N];

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t seed = 5;
  for (int i = 0; i < N; i++)
    for (int j = 0; j < N; j++) {
      a[i][j] = (double)(bench_rand(&seed) % 1000) / 100.0;
      b[i][j] = (double)(bench_rand(&seed) % 1000) / 100.0;
    }
  double total = 0;
  for (int rep = 0; rep < BENCH_SIZE(180, 9); rep++) {
    for (int i = 0; i < N; i++)
      for (int j = 0; j < N; j++) c[i][j] = 0;
    for (int i = 0; i < N; i++)
      for (int k = 0; k < N; k++) {
        double aik = a[i][k];
        for (int j = 0; j < N; j++) c[i][j] += aik * b[k][j];
      }
    total += c[rep % N][N - 1 - rep % N];
    a[rep % N][rep % N] += 1.0;
  }
  return (uint64_t)(total * 1000.0);
}
