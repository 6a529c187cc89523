/* exit_code.c — proc_exit's status is the process's exit status. */
#include <stdio.h>
#include <stdlib.h>

int main(void) {
  printf("exiting\n");
  fflush(stdout);
  exit(42);
}
