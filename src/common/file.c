/*
 * file.c — reading a whole file into memory.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include "common/file.h"

uint8_t *rt_read_file(const char *path, size_t *len, rt_error *err) {
  FILE *f = fopen(path, "rb");
  *len = 0;
  if (!f) {
    rt_error_at(err, WRUN_ERR_IO, WRUN_NO_OFFSET, "cannot open: %s", strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fileno(f), &st) == 0 && S_ISDIR(st.st_mode)) {
    fclose(f);
    rt_error_at(err, WRUN_ERR_IO, WRUN_NO_OFFSET, "is a directory, expected a file");
    return NULL;
  }
  size_t cap = 1 << 16, n = 0;
  uint8_t *buf = malloc(cap);
  while (buf) {
    n += fread(buf + n, 1, cap - n - 1, f);
    if (n < cap - 1) break;
    uint8_t *nb = realloc(buf, cap * 2);
    if (!nb) {
      free(buf);
      buf = NULL;
      break;
    }
    buf = nb;
    cap *= 2;
  }
  if (!buf) {
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory reading the file");
  } else if (ferror(f)) {
    rt_error_at(err, WRUN_ERR_IO, WRUN_NO_OFFSET, "read error: %s", strerror(errno));
    free(buf);
    buf = NULL;
  } else {
    buf[n] = 0;
    *len = n;
  }
  fclose(f);
  return buf;
}
