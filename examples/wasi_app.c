/*
 * wasi_app.c — the guest of examples/wasi_run.c: a WASI command that prints
 * its arguments and the GREETING variable, copies /data/input.txt to
 * stdout in upper case, and exits with the status given as its first
 * argument. Built with wasi-libc:
 *   clang --target=wasm32-wasi -Os -Wl,--strip-all -o examples/wasi_app.wasm examples/wasi_app.c
 */
#include <ctype.h>
#include <stdio.h>
#include <stdlib.h>

int main(int argc, char **argv) {
  for (int i = 0; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
  const char *greeting = getenv("GREETING");
  printf("GREETING=%s\n", greeting ? greeting : "(unset)");
  FILE *f = fopen("/data/input.txt", "r");
  if (!f) {
    perror("/data/input.txt");
  } else {
    int c;
    while ((c = fgetc(f)) != EOF) putchar(toupper(c));
    fclose(f);
  }
  FILE *w = fopen("/data/output.txt", "w"); /* the directory is read-only: this must fail */
  printf("write to /data: %s\n", w ? "allowed" : "refused");
  if (w) fclose(w);
  fflush(stdout);
  return argc > 1 ? atoi(argv[1]) : 0;
}
