/* mandelbrot.c — floating point: escape-time iteration over a grid. */
#include "bench.h"

BENCH_EXPORT uint64_t bench_run(void) {
  const int W = 1800, H = BENCH_SIZE(1400, 70), MAXIT = 200;
  uint64_t total = 0;
  for (int py = 0; py < H; py++)
    for (int px = 0; px < W; px++) {
      double cx = -2.2 + 3.2 * px / W, cy = -1.2 + 2.4 * py / H;
      double x = 0, y = 0;
      int it = 0;
      while (it < MAXIT && x * x + y * y <= 4.0) {
        double t = x * x - y * y + cx;
        y = 2 * x * y + cy;
        x = t;
        it++;
      }
      total += (uint64_t)it;
    }
  return total;
}
