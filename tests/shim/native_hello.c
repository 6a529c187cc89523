/* native_hello.c — a static native program for the runc container the shim
 * tests and bench/containerd run beside wrun containers. */
#include <stdio.h>

int main(int argc, char **argv) {
  printf("hello from runc%s%s\n", argc > 1 ? " " : "", argc > 1 ? argv[1] : "");
  return 0;
}
