/*
 * file.c — reading a whole file into memory.
 *
 * A regular file is read into a buffer of its size (plus the NUL), with
 * read(2): a hello module is a few hundred bytes, and a fixed 64 KiB start
 * buffer plus stdio's own FILE cost page faults on every start-up. Anything
 * else (a pipe, /dev/stdin) is read until EOF into a buffer that doubles.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "common/file.h"

#define FIRST_CHUNK 4096u /* the first buffer when the size is not known */

/* Reads fd until EOF into *buf (capacity *cap, grown by doubling), keeping
 * one spare byte. Returns the length, or -1 with errno (ENOMEM included). */
static ssize_t read_all(int fd, uint8_t **buf, size_t *cap) {
  size_t n = 0;
  for (;;) {
    if (n + 1 >= *cap) {
      if (*cap > SIZE_MAX / 2) {
        errno = ENOMEM;
        return -1;
      }
      uint8_t *nb = realloc(*buf, *cap * 2);
      if (!nb) {
        errno = ENOMEM;
        return -1;
      }
      *buf = nb;
      *cap *= 2;
    }
    ssize_t r = read(fd, *buf + n, *cap - n - 1);
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) return -1;
    if (r == 0) return (ssize_t)n;
    n += (size_t)r;
  }
}

uint8_t *rt_read_file(const char *path, size_t *len, rt_error *err) {
  *len = 0;
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) {
    rt_error_at(err, WRUN_ERR_IO, WRUN_NO_OFFSET, "cannot open: %s", strerror(errno));
    return NULL;
  }
  struct stat st;
  if (fstat(fd, &st) == 0 && S_ISDIR(st.st_mode)) {
    close(fd);
    rt_error_at(err, WRUN_ERR_IO, WRUN_NO_OFFSET, "is a directory, expected a file");
    return NULL;
  }
  /* the size is a first guess (the file may change while it is read): one
   * byte more than it, so that EOF is seen without growing the buffer */
  size_t cap = FIRST_CHUNK;
  if (S_ISREG(st.st_mode) && st.st_size >= 0 && (uint64_t)st.st_size < SIZE_MAX - 2) cap = (size_t)st.st_size + 2;
  uint8_t *buf = malloc(cap);
  ssize_t n = buf ? read_all(fd, &buf, &cap) : (errno = ENOMEM, -1);
  int e = errno;
  close(fd);
  if (n < 0) {
    free(buf);
    if (e == ENOMEM) rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory reading the file");
    else rt_error_at(err, WRUN_ERR_IO, WRUN_NO_OFFSET, "read error: %s", strerror(e));
    return NULL;
  }
  buf[n] = 0;
  *len = (size_t)n;
  return buf;
}
