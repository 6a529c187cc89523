/* native_main.c — runs one workload natively and prints its checksum. */
#include <inttypes.h>
#include <stdio.h>

#include "bench.h"

int main(void) {
  printf("%" PRId64 "\n", (int64_t)bench_run());
  return 0;
}
