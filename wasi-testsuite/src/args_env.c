/* args_env.c — the guest sees exactly the arguments and environment it was given. */
#include <stdio.h>
#include <stdlib.h>

extern char **environ;

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) printf("arg %d: %s\n", i, argv[i]);
  int n = 0;
  for (char **e = environ; *e; e++) n++;
  printf("env count: %d\n", n);
  printf("FOO=%s\n", getenv("FOO") ? getenv("FOO") : "(unset)");
  printf("PATH=%s\n", getenv("PATH") ? getenv("PATH") : "(unset)");
  return 0;
}
