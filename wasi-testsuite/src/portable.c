/* portable.c — one program, built natively and to wasm32-wasi, whose output
 * must be identical in both: arguments, environment, files and directories,
 * clocks, randomness and sleeping (through poll_oneoff under WASI). Run it in
 * a directory containing an empty "work" directory. */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <time.h>
#include <unistd.h>

static int cmp(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

int main(int argc, char **argv) {
  for (int i = 1; i < argc; i++) printf("arg: %s\n", argv[i]);
  printf("WRUN_TEST=%s\n", getenv("WRUN_TEST") ? getenv("WRUN_TEST") : "(unset)");

  FILE *f = fopen("work/notes.txt", "w");
  if (!f) { printf("fopen: %s\n", strerror(errno)); return 1; }
  for (int i = 0; i < 5; i++) fprintf(f, "line %d\n", i);
  fclose(f);
  f = fopen("work/notes.txt", "a");
  fputs("appended\n", f);
  fclose(f);
  char buf[128];
  f = fopen("work/notes.txt", "r");
  int lines = 0;
  while (fgets(buf, sizeof buf, f)) lines++;
  printf("lines: %d, last: %s", lines, buf);
  fseek(f, 0, SEEK_END);
  printf("size: %ld\n", ftell(f));
  fclose(f);

  mkdir("work/d", 0755);
  for (int i = 0; i < 3; i++) {
    snprintf(buf, sizeof buf, "work/d/f%d", i);
    close(open(buf, O_CREAT | O_WRONLY, 0644));
  }
  DIR *d = opendir("work/d");
  char *names[16];
  int n = 0;
  struct dirent *e;
  while (d && n < 16 && (e = readdir(d))) names[n++] = strdup(e->d_name);
  if (d) closedir(d);
  qsort(names, (size_t)n, sizeof *names, cmp);
  printf("dir:");
  for (int i = 0; i < n; i++) {
    printf(" %s", names[i]);
    free(names[i]);
  }
  printf("\n");
  rename("work/d/f0", "work/renamed");
  struct stat st;
  printf("renamed exists: %d, old gone: %d\n", stat("work/renamed", &st) == 0, stat("work/d/f0", &st) != 0);
  printf("missing: %s\n", open("work/nope", O_RDONLY) < 0 ? strerror(errno) : "found?");

  struct timespec a, b;
  clock_gettime(CLOCK_MONOTONIC, &a);
  struct timespec req = {0, 30 * 1000 * 1000};
  nanosleep(&req, NULL);
  clock_gettime(CLOCK_MONOTONIC, &b);
  long long ms = (b.tv_sec - a.tv_sec) * 1000LL + (b.tv_nsec - a.tv_nsec) / 1000000;
  printf("slept at least 30ms: %d\n", ms >= 30);
  time_t now = time(NULL);
  printf("wall clock sane: %d\n", now > 1700000000);
  unsigned char r[16];
  printf("getentropy: %d\n", getentropy(r, sizeof r));

  unlink("work/renamed");
  for (int i = 1; i < 3; i++) {
    snprintf(buf, sizeof buf, "work/d/f%d", i);
    unlink(buf);
  }
  printf("rmdir: %d\n", rmdir("work/d"));
  unlink("work/notes.txt");
  return 5;
}
