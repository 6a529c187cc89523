/* sieve.c — integers and memory: the sieve of Eratosthenes, repeated. */
#include "bench.h"

#define N 8000000
static uint8_t composite[N + 1];

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t total = 0;
  for (int rep = 0; rep < BENCH_SIZE(16, 1); rep++) {
    for (uint32_t i = 0; i <= N; i++) composite[i] = 0;
    uint32_t count = 0;
    for (uint32_t i = 2; i <= N; i++) {
      if (composite[i]) continue;
      count++;
      for (uint64_t j = (uint64_t)i * i; j <= N; j += i) composite[j] = 1;
    }
    total += count;
  }
  return total;
}
