/*
 * bench.h — the contract of a wrun benchmark workload: one function,
 * bench_run(), that does a fixed amount of work and returns a checksum. The
 * same source is built natively (with native_main.c) and to wasm32 (exporting
 * bench_run), and the two checksums must agree.
 */
#ifndef WRUN_BENCH_H
#define WRUN_BENCH_H
#include <stddef.h>
#include <stdint.h>

#ifndef BENCH_EXPORT /* bench/compile-speed links many copies: it exports them all itself */
#if defined(__wasm__)
#define BENCH_EXPORT __attribute__((export_name("bench_run")))
#else
#define BENCH_EXPORT
#endif
#endif

uint64_t bench_run(void);

/* BENCH_SIZE(full, quick): the amount of work. bench/run builds every workload
 * twice: as is (about a second natively) and with -DBENCH_QUICK for quick
 * runs (--quick, about a twentieth of the work) while tuning. */
#ifdef BENCH_QUICK
#define BENCH_SIZE(full, quick) (quick)
#else
#define BENCH_SIZE(full, quick) (full)
#endif

/* A small deterministic generator shared by the workloads (xorshift64*). */
static inline uint64_t bench_rand(uint64_t *s) {
  uint64_t x = *s;
  x ^= x >> 12;
  x ^= x << 25;
  x ^= x >> 27;
  *s = x;
  return x * 0x2545F4914F6CDD1DULL;
}
#endif
