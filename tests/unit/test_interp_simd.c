/*
 * test_interp_simd.c — the SIMD operations done with intrinsics (SSE2 on
 * x86-64, NEON on AArch64: simd_exec_native) against their portable C
 * definitions (simd_exec_portable), on special values and a deterministic
 * stream of random ones. The portable code is the reference: it is what the
 * spec scripts check on every host. Float lanes may differ only where both
 * are NaN (the spec leaves NaN payloads open).
 *
 * Plain C with its own main (no cmocka), so tests/run_all.sh can also
 * cross-compile it with simd.c alone and run it under qemu-aarch64.
 */
#include <stdio.h>
#include <string.h>

#include "semantics/simd.h"

typedef struct { wm_opcode op; const char *name; int flt; } case_t; /* flt: 0 int, 32, 64 */

static const case_t cases[] = {
#define C(id, kind, ...) {OP_##id, #id, kind},
  SEM_SIMD_NATIVE(C)
#undef C
};

static uint64_t next(uint64_t *s) { /* xorshift64* */
  *s ^= *s >> 12;
  *s ^= *s << 25;
  *s ^= *s >> 27;
  return *s * 0x2545F4914F6CDD1DULL;
}

/* Lane values worth testing: zeros of both signs, infinities, NaNs with
 * payloads and signs, subnormals, extremes, ones; integers at their edges. */
static const uint32_t special32[] = {0, 0x80000000u, 0x7f800000u, 0xff800000u, 0x7fc00000u, 0xffc00001u,
                                     0x7f800001u, 0x00000001u, 0x807fffffu, 0x7f7fffffu, 0x3f800000u,
                                     0xbf800000u, 0x7fffffffu, 0x00800000u, 0x4b000000u, 0xffffffffu};
static const uint64_t special64[] = {0, 0x8000000000000000ull, 0x7ff0000000000000ull, 0xfff0000000000000ull,
                                     0x7ff8000000000000ull, 0xfff8000000000001ull, 0x7ff0000000000001ull,
                                     1, 0x800fffffffffffffull, 0x7fefffffffffffffull, 0x3ff0000000000000ull,
                                     0xbff0000000000000ull, 0x7fffffffffffffffull, 0xffffffffffffffffull};

static void fill(uint64_t v[2], uint64_t *seed, int flt, int special) {
  v[0] = next(seed);
  v[1] = next(seed);
  if (!special) return;
  if (flt == 64) {
    for (int i = 0; i < 2; i++) v[i] = special64[next(seed) % (sizeof special64 / sizeof special64[0])];
  } else {
    uint32_t w[4];
    for (int i = 0; i < 4; i++) {
      uint64_t r = next(seed);
      w[i] = flt == 32 ? special32[r % (sizeof special32 / sizeof special32[0])]
                       : (uint32_t[]){0, 1, 0x7f, 0x80, 0xff, 0x7fff, 0x8000, 0xffff, 0x7fffffff,
                                      0x80000000u, 0xffffffffu, 0x80808080u, 0x7f7f7f7fu}[r % 13];
    }
    memcpy(v, w, 16);
  }
}

static int same(const uint64_t x[2], const uint64_t y[2], int flt) {
  if (!memcmp(x, y, 16)) return 1;
  if (!flt) return 0;
  int lanes = flt == 32 ? 4 : 2;
  for (int i = 0; i < lanes; i++) {
    uint64_t a, b;
    if (flt == 32) {
      uint32_t p, q;
      memcpy(&p, (const uint8_t *)x + 4 * i, 4);
      memcpy(&q, (const uint8_t *)y + 4 * i, 4);
      int pn = (p & 0x7fffffffu) > 0x7f800000u, qn = (q & 0x7fffffffu) > 0x7f800000u;
      if (p != q && !(pn && qn)) return 0;
      continue;
    }
    a = x[i];
    b = y[i];
    int an = (a & 0x7fffffffffffffffull) > 0x7ff0000000000000ull, bn = (b & 0x7fffffffffffffffull) > 0x7ff0000000000000ull;
    if (a != b && !(an && bn)) return 0;
  }
  return 1;
}

int main(void) {
  int failures = 0, native = 0;
  uint64_t seed = 0x9E3779B97F4A7C15ull;
  for (size_t k = 0; k < sizeof cases / sizeof cases[0]; k++) {
    const case_t *c = &cases[k];
    int handled = 0;
    for (int n = 0; n < 20000; n++) {
      uint64_t a[2], b[2], want[2] = {0, 0}, got[2] = {0, 0};
      fill(a, &seed, c->flt, n % 2);
      fill(b, &seed, c->flt, n % 3 == 0);
      simd_exec_portable(c->op, 0, want, a, b, NULL);
      if (!simd_exec_native(c->op, got, a, b)) break;
      handled = 1;
      if (!same(want, got, c->flt)) {
        fprintf(stderr, "%s: a=%016llx%016llx b=%016llx%016llx portable=%016llx%016llx native=%016llx%016llx\n",
                c->name, (unsigned long long)a[1], (unsigned long long)a[0], (unsigned long long)b[1],
                (unsigned long long)b[0], (unsigned long long)want[1], (unsigned long long)want[0],
                (unsigned long long)got[1], (unsigned long long)got[0]);
        failures++;
        break;
      }
    }
    native += handled;
  }
  printf("test_interp_simd: %d of %zu ops have a native form here, %d mismatching\n", native,
         sizeof cases / sizeof cases[0], failures);
#if defined(__SSE2__) || (defined(__ARM_NEON) && defined(__aarch64__))
  if (native != (int)(sizeof cases / sizeof cases[0])) {
    fprintf(stderr, "test_interp_simd: every listed op should have a native form on this host\n");
    return 1;
  }
#endif
  return failures ? 1 : 0;
}
