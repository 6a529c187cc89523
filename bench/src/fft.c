/* fft.c — floating point: iterative radix-2 complex FFT; twiddles from a Taylor
 * series and multiplication only, so native and wasm compute identical bits. */
#include "bench.h"

#define LOG2N 16
#define N (1 << LOG2N)
static double re[N], im[N];

static void cis(double t, double *c, double *s) { /* cos/sin for |t| <= pi by Taylor series */
  double t2 = t * t, term = 1, cc = 0, ss = 0;
  for (int k = 0; k < 30; k += 2) {
    cc += term;
    term *= -t2 / ((k + 1) * (k + 2));
  }
  term = t;
  for (int k = 1; k < 31; k += 2) {
    ss += term;
    term *= -t2 / ((k + 1) * (k + 2));
  }
  *c = cc;
  *s = ss;
}

static void fft(void) {
  for (uint32_t i = 1, j = 0; i < N; i++) { /* bit reversal */
    uint32_t bit = N >> 1;
    for (; j & bit; bit >>= 1) j ^= bit;
    j ^= bit;
    if (i < j) { double t = re[i]; re[i] = re[j]; re[j] = t; t = im[i]; im[i] = im[j]; im[j] = t; }
  }
  for (uint32_t len = 2; len <= N; len <<= 1) {
    double wc, ws;
    cis(-6.283185307179586 / len, &wc, &ws);
    for (uint32_t i = 0; i < N; i += len) {
      double cr = 1, ci = 0;
      for (uint32_t k = 0; k < len / 2; k++) {
        uint32_t p = i + k, q = i + k + len / 2;
        double tr = re[q] * cr - im[q] * ci, ti = re[q] * ci + im[q] * cr;
        re[q] = re[p] - tr; im[q] = im[p] - ti;
        re[p] += tr; im[p] += ti;
        double ncr = cr * wc - ci * ws;
        ci = cr * ws + ci * wc;
        cr = ncr;
      }
    }
  }
}

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t seed = 11;
  double acc = 0;
  for (int rep = 0; rep < BENCH_SIZE(150, 8); rep++) {
    for (int i = 0; i < N; i++) { re[i] = (double)(bench_rand(&seed) % 2000) / 1000.0 - 1.0; im[i] = 0; }
    fft();
    acc += re[rep % 64 + 1] + im[N / 2 - rep % 64];
  }
  return (uint64_t)(int64_t)(acc * 1e6);
}
