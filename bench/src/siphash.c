/* siphash.c — 64-bit integer code: SipHash-2-4 (written from the paper's
 * description: add-rotate-xor rounds on four 64-bit words) over messages of
 * every length from 0 to 255 bytes, keyed per round, with the 8-byte words
 * assembled little-endian byte by byte. i64 add, xor, rotl, shifts, loads. */
#include "bench.h"

static uint8_t msg[256];

static inline uint64_t rotl64(uint64_t v, int k) { return (v << k) | (v >> (64 - k)); }

#define SIP_ROUND(v0, v1, v2, v3)                                                                      \
  do {                                                                                                 \
    v0 += v1; v1 = rotl64(v1, 13); v1 ^= v0; v0 = rotl64(v0, 32);                                      \
    v2 += v3; v3 = rotl64(v3, 16); v3 ^= v2;                                                           \
    v0 += v3; v3 = rotl64(v3, 21); v3 ^= v0;                                                           \
    v2 += v1; v1 = rotl64(v1, 17); v1 ^= v2; v2 = rotl64(v2, 32);                                      \
  } while (0)

static uint64_t load_le64(const uint8_t *p, int n) {
  uint64_t v = 0;
  for (int i = n - 1; i >= 0; i--) v = (v << 8) | p[i];
  return v;
}

static uint64_t siphash24(const uint8_t *m, uint32_t len, uint64_t k0, uint64_t k1) {
  uint64_t v0 = k0 ^ 0x736f6d6570736575ULL, v1 = k1 ^ 0x646f72616e646f6dULL;
  uint64_t v2 = k0 ^ 0x6c7967656e657261ULL, v3 = k1 ^ 0x7465646279746573ULL;
  uint32_t i = 0;
  for (; i + 8 <= len; i += 8) {
    uint64_t w = load_le64(m + i, 8);
    v3 ^= w;
    SIP_ROUND(v0, v1, v2, v3);
    SIP_ROUND(v0, v1, v2, v3);
    v0 ^= w;
  }
  uint64_t last = load_le64(m + i, (int)(len - i)) | ((uint64_t)len << 56);
  v3 ^= last;
  SIP_ROUND(v0, v1, v2, v3);
  SIP_ROUND(v0, v1, v2, v3);
  v0 ^= last;
  v2 ^= 0xff;
  for (int r = 0; r < 4; r++) SIP_ROUND(v0, v1, v2, v3);
  return v0 ^ v1 ^ v2 ^ v3;
}

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t seed = 161803, acc = 0;
  for (int i = 0; i < 256; i++) msg[i] = (uint8_t)bench_rand(&seed);
  int rounds = BENCH_SIZE(25000, 1250);
  for (int r = 0; r < rounds; r++) {
    uint64_t k0 = bench_rand(&seed), k1 = bench_rand(&seed);
    for (uint32_t len = 0; len < 256; len++) acc += siphash24(msg, len, k0, k1) * (len | 1);
    msg[r & 255] ^= (uint8_t)acc;
  }
  return acc;
}
