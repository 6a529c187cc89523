/* clocks.c — clocks move forward with nanosecond resolution, sleeping through
 * poll_oneoff takes at least as long as asked, randomness is random. */
#include <stdint.h>
#include <stdio.h>
#include <string.h>
#include <time.h>
#include <unistd.h>

static int64_t ns(clockid_t c) {
  struct timespec t;
  if (clock_gettime(c, &t) != 0) return -1;
  return (int64_t)t.tv_sec * 1000000000 + t.tv_nsec;
}

int main(void) {
  int64_t r0 = ns(CLOCK_REALTIME), m0 = ns(CLOCK_MONOTONIC);
  printf("realtime after 2023: %d\n", r0 > (int64_t)1700000000 * 1000000000);
  struct timespec res;
  printf("monotonic resolution <= 1us: %d\n", clock_getres(CLOCK_MONOTONIC, &res) == 0 && res.tv_sec == 0 && res.tv_nsec <= 1000);
  struct timespec req = {0, 20 * 1000000};
  nanosleep(&req, NULL);
  int64_t m1 = ns(CLOCK_MONOTONIC);
  printf("slept >= 20ms: %d\n", m1 - m0 >= 20 * 1000000);
  printf("process cputime works: %d\n", ns(CLOCK_PROCESS_CPUTIME_ID) >= 0);
  unsigned char a[32], b[32];
  getentropy(a, sizeof a);
  getentropy(b, sizeof b);
  printf("random differs: %d\n", memcmp(a, b, sizeof a) != 0);
  return 0;
}
