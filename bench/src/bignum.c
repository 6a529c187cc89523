/* bignum.c — arbitrary-precision arithmetic on 64-bit limbs: schoolbook
 * multiplication (64x64->128-bit products through unsigned __int128), addition
 * and subtraction with carries and borrows, and division by a single limb,
 * used to compute digits of big products. 64-bit integer code throughout. */
#include "bench.h"

typedef unsigned __int128 u128;
#define LIMBS 128

static uint64_t x[LIMBS], y[LIMBS], prod[2 * LIMBS], tmp[2 * LIMBS];

/* r[0..na+nb) = a * b */
static void mul(uint64_t *r, const uint64_t *a, int na, const uint64_t *b, int nb) {
  for (int i = 0; i < na + nb; i++) r[i] = 0;
  for (int i = 0; i < na; i++) {
    uint64_t carry = 0, ai = a[i];
    for (int j = 0; j < nb; j++) {
      u128 t = (u128)ai * b[j] + r[i + j] + carry;
      r[i + j] = (uint64_t)t;
      carry = (uint64_t)(t >> 64);
    }
    r[i + nb] = carry;
  }
}

/* r = a + b over n limbs; returns the carry out */
static uint64_t add(uint64_t *r, const uint64_t *a, const uint64_t *b, int n) {
  uint64_t c = 0;
  for (int i = 0; i < n; i++) {
    uint64_t s = a[i] + c;
    c = s < c;
    r[i] = s + b[i];
    c += r[i] < s;
  }
  return c;
}

/* r = a - b over n limbs; returns the borrow out */
static uint64_t sub(uint64_t *r, const uint64_t *a, const uint64_t *b, int n) {
  uint64_t borrow = 0;
  for (int i = 0; i < n; i++) {
    uint64_t d = a[i] - b[i];
    uint64_t b1 = a[i] < b[i];
    r[i] = d - borrow;
    borrow = b1 | (d < borrow);
  }
  return borrow;
}

/* a /= d in place (d > 0); returns the remainder. Uses 64-bit halves so the
 * 128/64 division is two 64/32-bit steps, as portable code does it. */
static uint64_t divmod_small(uint64_t *a, int n, uint32_t d) {
  uint64_t rem = 0;
  for (int i = n - 1; i >= 0; i--) {
    uint64_t hi = (rem << 32) | (a[i] >> 32);
    uint64_t qhi = hi / d;
    rem = hi % d;
    uint64_t lo = (rem << 32) | (a[i] & 0xffffffffu);
    uint64_t qlo = lo / d;
    rem = lo % d;
    a[i] = (qhi << 32) | qlo;
  }
  return rem;
}

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t seed = 31337, acc = 0;
  for (int i = 0; i < LIMBS; i++) { x[i] = bench_rand(&seed); y[i] = bench_rand(&seed); }
  int rounds = BENCH_SIZE(45000, 2250);
  for (int r = 0; r < rounds; r++) {
    mul(prod, x, LIMBS, y, LIMBS);
    /* fold the product back into x: low half + high half, then minus y */
    uint64_t c = add(x, prod, prod + LIMBS, LIMBS);
    uint64_t b = sub(tmp, x, y, LIMBS);
    for (int i = 0; i < LIMBS; i++) x[i] = tmp[i] ^ (c + b);
    acc = acc * 31 + divmod_small(prod, 2 * LIMBS, 1000000007u);
    y[r % LIMBS] += x[(r * 7) % LIMBS] | 1;
  }
  for (int i = 0; i < LIMBS; i++) acc ^= x[i] + (uint64_t)i;
  return acc;
}
