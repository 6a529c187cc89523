/*
 * fuzz_shim_layout.c — the containerd shim's reading of an OCI image layout
 * directory (src/shim/layout.c: index.json -> manifest -> config and the
 * Wasm layer, every blob checked against its digest) on fuzzed content.
 *
 * The input is split at NUL bytes into up to four parts: index.json, then
 * three blobs stored under blobs/sha256/<their digest>. In every part "@1",
 * "@2" and "@3" become "sha256:<digest of part 1, 2, 3>", so mutations
 * reach the structure behind the digests. Beside the layout sits a canary
 * (a valid Wasm header) and blobs/sha256/<its digest> is a symbolic link to
 * it; the canary must never be read through the layout. The result is either a descriptor holding one of
 * the stored blobs, starting with \0asm, or -1 with one line naming the
 * directory. Any crash, leak, sanitizer report or broken invariant is a bug.
 * WRUN_FUZZ_LAYOUT_TRACE=1 prints each input's outcome.
 */
#include <fcntl.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include <sodium.h>

#include "shim/layout.h"

#define CHECK(c)       \
  do {                 \
    if (!(c)) abort(); \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

static const char canary[] = "\0asm\1\0\0\0canary";

static void digest_hex(const uint8_t *p, size_t n, char hex[65]) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, p, n);
  sodium_bin2hex(hex, 65, h, sizeof h);
}

static void write_file(const char *path, const uint8_t *p, size_t n) {
  int fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_CLOEXEC, 0644);
  CHECK(fd >= 0);
  CHECK(n == 0 || write(fd, p, n) == (ssize_t)n);
  close(fd);
}

/* part with @1..@3 replaced by the digests (each 2 bytes -> 71) */
static uint8_t *substitute(const uint8_t *p, size_t n, char hex[4][65], size_t *outn) {
  uint8_t *o = malloc(n * 36 + 1);
  CHECK(o);
  size_t k = 0;
  for (size_t i = 0; i < n; i++) {
    if (p[i] == '@' && i + 1 < n && p[i + 1] >= '1' && p[i + 1] <= '3') {
      k += (size_t)sprintf((char *)o + k, "sha256:%s", hex[p[i + 1] - '0']);
      i++;
    } else {
      o[k++] = p[i];
    }
  }
  *outn = k;
  return o;
}

static char base[64], dir[96], blobs[128], canary_path[96];

/* the per-process directory goes at exit (the blobs of each input are
 * removed after it) */
static void remove_base(void) {
  char p[160];
  unlink(canary_path);
  rmdir(blobs);
  snprintf(p, sizeof p, "%s/blobs", dir);
  rmdir(p);
  rmdir(dir);
  rmdir(base);
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  if (!base[0]) {
    CHECK(sodium_init() >= 0);
    snprintf(base, sizeof base, "/tmp/fuzz-layout-XXXXXX");
    CHECK(mkdtemp(base));
    snprintf(canary_path, sizeof canary_path, "%s/canary", base);
    write_file(canary_path, (const uint8_t *)canary, sizeof canary - 1);
    snprintf(dir, sizeof dir, "%s/layout", base);
    CHECK(mkdir(dir, 0755) == 0);
    snprintf(blobs, sizeof blobs, "%s/blobs", dir);
    CHECK(mkdir(blobs, 0755) == 0);
    snprintf(blobs, sizeof blobs, "%s/blobs/sha256", dir);
    CHECK(mkdir(blobs, 0755) == 0);
    atexit(remove_base);
  }
  /* the parts: index.json and three blobs */
  const uint8_t *part[4] = {data, NULL, NULL, NULL};
  size_t len[4] = {size, 0, 0, 0};
  int nparts = 1;
  for (size_t i = 0; i < size && nparts < 4; i++) {
    if (data[i] != 0) continue;
    len[nparts - 1] = (size_t)(data + i - part[nparts - 1]);
    part[nparts] = data + i + 1;
    len[nparts] = size - i - 1;
    nparts++;
  }
  /* blobs first refer to the raw digests of the parts after them (a blob cannot
   * name its own digest): substitute from the last part backwards */
  char hex[4][65] = {{0}};
  uint8_t *stored[4] = {0};
  size_t slen[4] = {0};
  for (int k = 3; k >= 0; k--) {
    if (k >= nparts) {
      digest_hex((const uint8_t *)"", 0, hex[k]);
      continue;
    }
    stored[k] = substitute(part[k], len[k], hex, &slen[k]);
    digest_hex(stored[k], slen[k], hex[k]);
  }
  char path[256], files[6][256];
  int nfiles = 0;
  snprintf(files[nfiles], sizeof files[0], "%s/index.json", dir);
  write_file(files[nfiles++], stored[0], slen[0]);
  for (int k = 1; k < nparts; k++) {
    snprintf(path, sizeof path, "%s/%s", blobs, hex[k]);
    bool dup = false;
    for (int j = 1; j < nfiles; j++) dup |= strcmp(files[j], path) == 0;
    if (dup) continue;
    write_file(path, stored[k], slen[k]);
    snprintf(files[nfiles++], sizeof files[0], "%s", path);
  }
  /* the canary's digest names a link to it, outside the layout */
  char chex[65];
  digest_hex((const uint8_t *)canary, sizeof canary - 1, chex);
  snprintf(path, sizeof path, "%s/%s", blobs, chex);
  if (symlink(canary_path, path) == 0) snprintf(files[nfiles++], sizeof files[0], "%s", path);

  char err[1024] = "";
  int fd = shim_open_layout_module(dir, err, sizeof err);
  if (getenv("WRUN_FUZZ_LAYOUT_TRACE")) fprintf(stderr, "%s\n", fd < 0 ? err : "a Wasm layer");
  if (fd < 0) {
    CHECK(strncmp(err, dir, strlen(dir)) == 0 && !strchr(err, '\n'));
  } else {
    struct stat st;
    CHECK(fstat(fd, &st) == 0);
    uint8_t *got = malloc((size_t)st.st_size + 1);
    CHECK(got && pread(fd, got, (size_t)st.st_size, 0) == st.st_size);
    bool one_of_ours = false;
    for (int k = 1; k < nparts; k++)
      one_of_ours |= slen[k] == (size_t)st.st_size && memcmp(got, stored[k], slen[k]) == 0;
    CHECK(one_of_ours && st.st_size >= 8 && memcmp(got, "\0asm", 4) == 0);
    free(got);
    close(fd);
  }
  for (int j = 0; j < nfiles; j++) unlink(files[j]);
  for (int k = 0; k < 4; k++) free(stored[k]);
  return 0;
}
