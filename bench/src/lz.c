/* lz.c — integers and memory: an LZ77-style compressor with a hash of 4-byte prefixes. */
#include "bench.h"

#define LEN (1u << 20)
#define HBITS 14
static uint8_t in[LEN], out[LEN + LEN / 8 + 16];
static uint32_t head[1 << HBITS];

static uint32_t compress(void) {
  for (uint32_t i = 0; i < (1u << HBITS); i++) head[i] = 0xFFFFFFFFu;
  uint32_t o = 0, i = 0;
  while (i + 4 <= LEN) {
    uint32_t key = (uint32_t)in[i] | (uint32_t)in[i + 1] << 8 | (uint32_t)in[i + 2] << 16 | (uint32_t)in[i + 3] << 24;
    uint32_t h = (key * 2654435761u) >> (32 - HBITS);
    uint32_t cand = head[h];
    head[h] = i;
    uint32_t len = 0;
    if (cand != 0xFFFFFFFFu && i - cand < 65536)
      while (i + len < LEN && len < 255 && in[cand + len] == in[i + len]) len++;
    if (len >= 4) {
      out[o++] = 1; out[o++] = (uint8_t)len; out[o++] = (uint8_t)(i - cand); out[o++] = (uint8_t)((i - cand) >> 8);
      i += len;
    } else {
      out[o++] = 0; out[o++] = in[i++];
    }
  }
  while (i < LEN) { out[o++] = 0; out[o++] = in[i++]; }
  return o;
}

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t seed = 3;
  /* text-like input: words drawn from a small vocabulary, so matches exist */
  static const char *words[] = {"wasm ", "runtime ", "interpreter ", "sandbox ", "module ", "memory ", "table ", "trap "};
  uint32_t p = 0;
  while (p < LEN) {
    const char *w = words[bench_rand(&seed) & 7];
    while (*w && p < LEN) in[p++] = (uint8_t)*w++;
  }
  uint64_t sum = 0;
  for (int rep = 0; rep < BENCH_SIZE(150, 8); rep++) {
    in[rep % 4096] ^= 1;
    uint32_t n = compress();
    sum = sum * 131 + n;
    for (uint32_t k = 0; k < n; k += 4096) sum += out[k];
  }
  return sum;
}
