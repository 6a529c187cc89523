/*
 * layout.c — the Wasm program of a runwasi-style image in an OCI image
 * layout directory (layout.h): index.json -> the manifest for os wasip1/wasi
 * and architecture wasm (or the only one) -> its config (which must say so)
 * and its first layer of a Wasm media type. Blobs are opened beneath the
 * directory only (no symlink leaves it) and checked against their digests.
 */
#include <errno.h>
#include <stdbool.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include <jansson.h>
#include <sodium.h>

#include "shim/layout.h"

#define JSON_BLOB_MAX (4u << 20)
#define WASM_BLOB_MAX (1u << 30)

static const char *const wm_media_types[] = {
    "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm",
    "application/wasm",
};

/* Reads `rel` beneath dirfd whole (at most `max` bytes). */
static uint8_t *read_beneath(int dirfd, const char *rel, size_t max, size_t *len, char *err, size_t errlen) {
  struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS};
  int fd = (int)syscall(SYS_openat2, dirfd, rel, &how, sizeof how);
  struct stat st;
  if (fd < 0 || fstat(fd, &st) != 0 || !S_ISREG(st.st_mode) || (uint64_t)st.st_size > max) {
    snprintf(err, errlen, "%s: %s", rel, fd < 0 ? strerror(errno) : "not a regular file of a sensible size");
    if (fd >= 0) close(fd);
    return NULL;
  }
  uint8_t *p = malloc((size_t)st.st_size + 1);
  size_t got = 0;
  while (p && got < (size_t)st.st_size) {
    ssize_t n = read(fd, p + got, (size_t)st.st_size - got);
    if (n <= 0) break;
    got += (size_t)n;
  }
  close(fd);
  if (!p || got != (size_t)st.st_size) {
    snprintf(err, errlen, "%s: cannot read it", rel);
    free(p);
    return NULL;
  }
  *len = got;
  return p;
}

/* The blob of `digest` ("sha256:" and 64 lowercase hex digits), checked. */
static uint8_t *read_blob(int dirfd, const char *digest, size_t max, size_t *len, char *err, size_t errlen) {
  if (!digest || strncmp(digest, "sha256:", 7) != 0 || strlen(digest) != 71 ||
      strspn(digest + 7, "0123456789abcdef") != 64) {
    snprintf(err, errlen, "digest \"%.80s\": not a sha256 digest", digest ? digest : "");
    return NULL;
  }
  char rel[96];
  snprintf(rel, sizeof rel, "blobs/sha256/%s", digest + 7);
  uint8_t *p = read_beneath(dirfd, rel, max, len, err, errlen);
  if (!p) return NULL;
  unsigned char h[crypto_hash_sha256_BYTES];
  char hex[2 * sizeof h + 1];
  crypto_hash_sha256(h, p, *len);
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  if (strcmp(hex, digest + 7) != 0) {
    snprintf(err, errlen, "%s: content does not match its digest (sha256 %s)", rel, hex);
    free(p);
    return NULL;
  }
  return p;
}

static json_t *read_json_blob(int dirfd, const char *digest, char *err, size_t errlen) {
  size_t len;
  uint8_t *p = read_blob(dirfd, digest, JSON_BLOB_MAX, &len, err, errlen);
  if (!p) return NULL;
  json_error_t je;
  json_t *j = json_loadb((const char *)p, len, 0, &je);
  free(p);
  if (!j) snprintf(err, errlen, "blob %.80s: %d:%d: %s", digest, je.line, je.column, je.text);
  return j;
}

static bool is_wasm_platform(json_t *o) {
  const char *os = json_string_value(json_object_get(o, "os"));
  const char *arch = json_string_value(json_object_get(o, "architecture"));
  return os && arch && (strcmp(os, "wasip1") == 0 || strcmp(os, "wasi") == 0) && strcmp(arch, "wasm") == 0;
}

/* The manifest of index.json: the one for a Wasm platform, else the only one. */
static const char *pick_manifest(json_t *index) {
  json_t *ms = json_object_get(index, "manifests");
  size_t i;
  json_t *m;
  json_array_foreach(ms, i, m) if (is_wasm_platform(json_object_get(m, "platform"))) return json_string_value(
      json_object_get(m, "digest"));
  return json_array_size(ms) == 1 ? json_string_value(json_object_get(json_array_get(ms, 0), "digest")) : NULL;
}

static int memfd_of(const uint8_t *p, size_t len) {
  int fd = memfd_create("wasm-layer", MFD_CLOEXEC);
  size_t off = 0;
  while (fd >= 0 && off < len) {
    ssize_t n = write(fd, p + off, len - off);
    if (n <= 0) {
      close(fd);
      return -1;
    }
    off += (size_t)n;
  }
  return fd;
}

int shim_open_layout_module(const char *dir, char *err, size_t errlen) {
  if (sodium_init() < 0) {
    snprintf(err, errlen, "libsodium did not initialise");
    return -1;
  }
  int dirfd = open(dir, O_PATH | O_DIRECTORY | O_CLOEXEC);
  if (dirfd < 0) {
    snprintf(err, errlen, "%s: %s", dir, strerror(errno));
    return -1;
  }
  int fd = -1;
  char why[900] = "";
  json_t *index = NULL, *manifest = NULL, *config = NULL;
  size_t len;
  uint8_t *ix = read_beneath(dirfd, "index.json", JSON_BLOB_MAX, &len, why, sizeof why);
  json_error_t je;
  if (ix && !(index = json_loadb((const char *)ix, len, 0, &je)))
    snprintf(why, sizeof why, "index.json:%d:%d: %s", je.line, je.column, je.text);
  free(ix);
  if (!index) goto out;
  const char *md = pick_manifest(index);
  if (!md) {
    snprintf(why, sizeof why, "index.json names no manifest for os wasip1, architecture wasm");
    goto out;
  }
  if (!(manifest = read_json_blob(dirfd, md, why, sizeof why))) goto out;
  const char *cd = json_string_value(json_object_get(json_object_get(manifest, "config"), "digest"));
  if (!(config = read_json_blob(dirfd, cd, why, sizeof why))) goto out;
  if (!is_wasm_platform(config)) {
    snprintf(why, sizeof why, "the image config is not for os wasip1 (or wasi) and architecture wasm");
    goto out;
  }
  size_t i;
  json_t *l;
  json_array_foreach(json_object_get(manifest, "layers"), i, l) {
    const char *mt = json_string_value(json_object_get(l, "mediaType"));
    for (size_t k = 0; mt && k < sizeof wm_media_types / sizeof *wm_media_types; k++) {
      if (strcmp(mt, wm_media_types[k]) != 0) continue;
      uint8_t *wasm = read_blob(dirfd, json_string_value(json_object_get(l, "digest")), WASM_BLOB_MAX, &len, why,
                                sizeof why);
      if (!wasm) goto out;
      if (len < 8 || memcmp(wasm, "\0asm", 4) != 0) snprintf(why, sizeof why, "the Wasm layer has no \\0asm header");
      else if ((fd = memfd_of(wasm, len)) < 0) snprintf(why, sizeof why, "memfd: %s", strerror(errno));
      free(wasm);
      goto out;
    }
  }
  snprintf(why, sizeof why, "the manifest has no layer of a Wasm media type (application/wasm or "
                            "application/vnd.bytecodealliance.wasm.component.layer.v0+wasm)");
out:
  if (fd < 0) snprintf(err, errlen, "%s: %s", dir, why);
  json_decref(index);
  json_decref(manifest);
  json_decref(config);
  close(dirfd);
  return fd;
}
