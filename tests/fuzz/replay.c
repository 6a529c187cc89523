/*
 * replay.c — a fuzz target's corpus replayed without libFuzzer: a plain
 * main that feeds every file named (or every file in a directory named) to
 * LLVMFuzzerTestOneInput once, in name order. Built for targets that must
 * run where libFuzzer is not (the AArch64 cross build under qemu-aarch64,
 * tests/fuzz/replay.cmake); a target reports a failure by aborting, so a
 * normal exit means every input passed.
 *   fuzz_tiers_replay DIR_OR_FILE...
 */
#include <dirent.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

/* Runs the target on one file; false (after a message) when it cannot be read. */
static bool replay_file(const char *path) {
  FILE *f = fopen(path, "rb");
  if (!f) return fprintf(stderr, "replay: %s: cannot open\n", path), false;
  size_t cap = 4096, len = 0;
  uint8_t *buf = malloc(cap);
  size_t got;
  while (buf && (got = fread(buf + len, 1, cap - len, f)) > 0) {
    len += got;
    if (len == cap) {
      uint8_t *bigger = realloc(buf, cap *= 2);
      if (!bigger) free(buf);
      buf = bigger;
    }
  }
  bool ok = buf && !ferror(f);
  fclose(f);
  if (ok) LLVMFuzzerTestOneInput(buf, len);
  else fprintf(stderr, "replay: %s: cannot read\n", path);
  free(buf);
  return ok;
}

static int by_name(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

/* Every regular file directly in dir, in name order; the count run in *n. */
static bool replay_dir(const char *dir, unsigned *n) {
  DIR *d = opendir(dir);
  if (!d) return fprintf(stderr, "replay: %s: cannot open directory\n", dir), false;
  char **names = NULL;
  size_t count = 0, cap = 0;
  bool ok = true;
  struct dirent *e;
  while (ok && (e = readdir(d))) {
    if (e->d_name[0] == '.') continue;
    size_t need = strlen(dir) + strlen(e->d_name) + 2;
    char *p = malloc(need);
    if (count == cap) {
      char **more = realloc(names, (cap = cap ? 2 * cap : 64) * sizeof *names);
      if (more) names = more;
      else ok = false;
    }
    if (!p || !ok) {
      free(p);
      ok = false;
      break;
    }
    snprintf(p, need, "%s/%s", dir, e->d_name);
    names[count++] = p;
  }
  closedir(d);
  if (!ok) fprintf(stderr, "replay: out of memory\n");
  if (count) qsort(names, count, sizeof *names, by_name);
  for (size_t i = 0; i < count; i++) {
    struct stat st;
    if (ok && stat(names[i], &st) == 0 && S_ISREG(st.st_mode)) {
      ok = replay_file(names[i]);
      *n += ok;
    }
    free(names[i]);
  }
  free(names);
  return ok;
}

int main(int argc, char **argv) {
  if (argc < 2) return fprintf(stderr, "usage: %s DIR_OR_FILE...\n", argv[0]), 2;
  unsigned n = 0;
  for (int i = 1; i < argc; i++) {
    struct stat st;
    if (stat(argv[i], &st) != 0) return fprintf(stderr, "replay: %s: no such file or directory\n", argv[i]), 1;
    bool ok = S_ISDIR(st.st_mode) ? replay_dir(argv[i], &n) : replay_file(argv[i]);
    if (!ok) return 1;
    n += !S_ISDIR(st.st_mode);
  }
  if (!n) return fprintf(stderr, "replay: no inputs found\n"), 1;
  printf("replay: %u inputs passed\n", n);
  return 0;
}
