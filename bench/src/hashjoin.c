/* hashjoin.c — a database-style hash join: builds an open-addressing hash
 * table over one relation's 64-bit keys, probes it with another relation's
 * keys, and aggregates the matching rows' payloads per group. 64-bit hashing,
 * random memory access and short probe loops. */
#include "bench.h"

#define BUILD_ROWS 65536
#define PROBE_ROWS 262144
#define SLOTS (BUILD_ROWS * 2)
#define GROUPS 64

typedef struct { uint64_t key; uint32_t payload, group; } row;
static row build_rel[BUILD_ROWS];
static uint64_t probe_keys[PROBE_ROWS];
static uint32_t probe_vals[PROBE_ROWS];
static int32_t slot_row[SLOTS]; /* -1 = empty */
static uint64_t slot_key[SLOTS];
static int32_t next_dup[BUILD_ROWS]; /* chain of rows with an equal key */

static uint64_t mix64(uint64_t k) {
  k ^= k >> 33;
  k *= 0xff51afd7ed558ccdULL;
  k ^= k >> 33;
  k *= 0xc4ceb9fe1a85ec53ULL;
  return k ^ (k >> 33);
}

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t seed = 7, agg[GROUPS] = {0}, matches = 0;
  for (int i = 0; i < BUILD_ROWS; i++) {
    uint64_t r = bench_rand(&seed);
    build_rel[i] = (row){(r % (BUILD_ROWS * 3)) * 0x9E3779B1u, (uint32_t)(r >> 40), (uint32_t)(r >> 20) % GROUPS};
  }
  for (int i = 0; i < PROBE_ROWS; i++) {
    uint64_t r = bench_rand(&seed);
    probe_keys[i] = (r % (BUILD_ROWS * 3)) * 0x9E3779B1u;
    probe_vals[i] = (uint32_t)(r >> 45);
  }
  int rounds = BENCH_SIZE(130, 7);
  for (int round = 0; round < rounds; round++) {
    for (int i = 0; i < SLOTS; i++) slot_row[i] = -1;
    for (int i = 0; i < BUILD_ROWS; i++) {
      uint64_t k = build_rel[i].key ^ (uint64_t)round;
      uint32_t h = (uint32_t)mix64(k) & (SLOTS - 1);
      next_dup[i] = -1;
      while (slot_row[h] >= 0 && slot_key[h] != k) h = (h + 1) & (SLOTS - 1);
      if (slot_row[h] >= 0) next_dup[i] = slot_row[h];
      slot_row[h] = i;
      slot_key[h] = k;
    }
    for (int i = 0; i < PROBE_ROWS; i++) {
      uint64_t k = probe_keys[i] ^ (uint64_t)round;
      uint32_t h = (uint32_t)mix64(k) & (SLOTS - 1);
      while (slot_row[h] >= 0) {
        if (slot_key[h] == k) {
          for (int32_t j = slot_row[h]; j >= 0; j = next_dup[j]) {
            agg[build_rel[j].group] += (uint64_t)build_rel[j].payload * probe_vals[i];
            matches++;
          }
          break;
        }
        h = (h + 1) & (SLOTS - 1);
      }
    }
  }
  uint64_t sum = matches;
  for (int g = 0; g < GROUPS; g++) sum = sum * 1099511628211ULL + agg[g];
  return sum;
}
