/*
 * guest.c — the WASI program the containerd shim tests run in containers
 * (the scripts in tests/shim), built to wasm32-wasi by CMake. argv[1] picks what it does:
 *   hello         print "hello from wrun"
 *   args          print each argument, one a line
 *   env           print each NAME=VALUE, one a line
 *   exit N        exit with status N
 *   stderr TEXT   write TEXT and a newline to stderr
 *   loop          spin forever (Kill must end it)
 *   mem MIB       allocate and touch MIB MiB, then print "allocated MIB MiB"
 *   cat PATH      print the file at PATH (the rootfs is "/", mounts beside it)
 *   write PATH T  write T to PATH
 *   stdin         copy stdin to stdout
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

extern char **environ;

int main(int argc, char **argv) {
  const char *mode = argc > 1 ? argv[1] : "hello";
  if (strcmp(mode, "hello") == 0) {
    puts("hello from wrun");
  } else if (strcmp(mode, "args") == 0) {
    for (int i = 0; i < argc; i++) puts(argv[i]);
  } else if (strcmp(mode, "env") == 0) {
    for (char **e = environ; *e; e++) puts(*e);
  } else if (strcmp(mode, "exit") == 0 && argc > 2) {
    return atoi(argv[2]);
  } else if (strcmp(mode, "stderr") == 0 && argc > 2) {
    fprintf(stderr, "%s\n", argv[2]);
  } else if (strcmp(mode, "loop") == 0) {
    puts("looping");
    fflush(stdout);
    for (volatile unsigned long i = 0;; i++) {}
  } else if (strcmp(mode, "mem") == 0 && argc > 2) {
    size_t n = (size_t)atoi(argv[2]) << 20;
    char *p = malloc(n);
    if (!p) {
      puts("allocation failed");
      return 3;
    }
    memset(p, 1, n);
    /* reading it back keeps the compiler from eliding the allocation */
    printf("allocated %s MiB (%d)\n", argv[2], p[n - 1] + p[n / 2]);
  } else if (strcmp(mode, "cat") == 0 && argc > 2) {
    FILE *f = fopen(argv[2], "r");
    if (!f) {
      perror(argv[2]);
      return 4;
    }
    int c;
    while ((c = fgetc(f)) != EOF) putchar(c);
    fclose(f);
  } else if (strcmp(mode, "write") == 0 && argc > 3) {
    FILE *f = fopen(argv[2], "w");
    if (!f || fputs(argv[3], f) < 0 || fclose(f) != 0) {
      perror(argv[2]);
      return 4;
    }
  } else if (strcmp(mode, "stdin") == 0) {
    int c;
    while ((c = getchar()) != EOF) putchar(c);
  } else {
    fprintf(stderr, "guest: unknown mode %s\n", mode);
    return 2;
  }
  return 0;
}
