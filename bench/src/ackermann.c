/* ackermann.c — calls: deep, irregular recursion. */
#include "bench.h"

static uint32_t ack(uint32_t m, uint32_t n) {
  if (m == 0) return n + 1;
  if (n == 0) return ack(m - 1, 1);
  return ack(m - 1, ack(m, n - 1));
}

BENCH_EXPORT uint64_t bench_run(void) {
  volatile uint32_t m = 3;
  uint64_t sum = 0;
  for (uint32_t n = 1; n <= 9; n++) sum += ack(m, n);
  for (int r = 0; r < BENCH_SIZE(220, 10); r++) sum += ack(m, 8);
  return sum;
}
