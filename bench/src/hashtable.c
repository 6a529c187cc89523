/* hashtable.c — memory: open-addressing hash table (linear probing), inserts and lookups. */
#include "bench.h"

#define CAP (1u << 20)
static uint64_t keys[CAP];
static uint32_t vals[CAP];

static uint32_t slot_of(uint64_t k) { return (uint32_t)((k * 0x9E3779B97F4A7C15ull) >> 44); }

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t sum = 0;
  for (int rep = 0; rep < BENCH_SIZE(18, 1); rep++) {
    for (uint32_t i = 0; i < CAP; i++) keys[i] = 0;
    uint64_t seed = 1234 + (uint64_t)rep;
    for (uint32_t i = 0; i < CAP / 2; i++) {
      uint64_t k = bench_rand(&seed) | 1;
      uint32_t s = slot_of(k);
      while (keys[s] && keys[s] != k) s = (s + 1) & (CAP - 1);
      keys[s] = k;
      vals[s] = i;
    }
    seed = 1234 + (uint64_t)rep;
    for (uint32_t i = 0; i < CAP / 2; i++) {
      uint64_t k = bench_rand(&seed) | 1;
      uint32_t s = slot_of(k);
      while (keys[s] != k) s = (s + 1) & (CAP - 1);
      sum += vals[s];
    }
  }
  return sum;
}
