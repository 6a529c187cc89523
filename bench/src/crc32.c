/* crc32.c — integers: table-driven CRC-32 (reflected, poly 0xEDB88320). */
#include "bench.h"

#define LEN (1u << 20)
static uint8_t data[LEN];
static uint32_t table[256];

BENCH_EXPORT uint64_t bench_run(void) {
  for (uint32_t i = 0; i < 256; i++) {
    uint32_t c = i;
    for (int k = 0; k < 8; k++) c = c & 1 ? 0xEDB88320u ^ (c >> 1) : c >> 1;
    table[i] = c;
  }
  uint64_t seed = 42;
  for (uint32_t i = 0; i < LEN; i++) data[i] = (uint8_t)bench_rand(&seed);
  uint64_t sum = 0;
  for (int rep = 0; rep < BENCH_SIZE(160, 8); rep++) {
    uint32_t crc = 0xFFFFFFFFu ^ (uint32_t)rep;
    for (uint32_t i = 0; i < LEN; i++) crc = table[(crc ^ data[i]) & 0xFF] ^ (crc >> 8);
    sum += crc ^ 0xFFFFFFFFu;
  }
  return sum;
}
