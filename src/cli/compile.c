/*
 * compile.c — `wrun compile` (module -> compiled artifact) and the compile
 * cache used by `wrun run --aot`.
 *
 * The cache holds artifacts named by the module's SHA-256, the wrun version
 * and the compile options (aot_cache_path); a hit is loaded with every check
 * an artifact gets, and must contain exactly the module being run. Entries
 * are written to a temporary file and renamed into place, so a reader never
 * sees half an artifact.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "aot/aot.h"
#include "cli/cli.h"
#include "common/file.h"

static bool write_file(const char *path, const uint8_t *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return false;
  bool ok = fwrite(data, 1, len, f) == len;
  ok = (fclose(f) == 0) && ok;
  return ok;
}

static void print_err(const char *path, const wrun_error *err) {
  char buf[600];
  fprintf(stderr, "%s\n", wrun_error_format(err, path, buf, sizeof buf));
}

int cli_compile(const char *in, const char *out, bool interruptible, bool verbose) {
  char defout[4096];
  if (!out) {
    const char *dot = strrchr(in, '.'), *slash = strrchr(in, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - in) : strlen(in);
    if (stem + 7 > sizeof defout) return fprintf(stderr, "wrun: %s: path too long\n", in), CLI_EXIT_USAGE;
    memcpy(defout, in, stem);
    strcpy(defout + stem, ".cwasm");
    out = defout;
  }
  wasm_module *m = cli_load_module(in);
  if (!m) return CLI_EXIT_REJECTED;
  wrun_config cfg = {0};
  cfg.interruptible = interruptible;
  wrun_error err;
  wrun_error_clear(&err);
  aot_image *img = NULL;
  if (m->aot_image) {
    fprintf(stderr, "%s: already a compiled artifact\n", in);
    wasm_module_free(m);
    return CLI_EXIT_USAGE;
  }
  if (!aot_compile_module(m, aot_options_for(&cfg), &img, &err)) {
    print_err(in, &err);
    wasm_module_free(m);
    return CLI_EXIT_REJECTED;
  }
  size_t len = 0;
  uint8_t *bytes = aot_artifact_write(m, img, &len, &err);
  int status = CLI_EXIT_OK;
  if (!bytes) {
    print_err(in, &err);
    status = CLI_EXIT_REJECTED;
  } else if (!write_file(out, bytes, len)) {
    fprintf(stderr, "%s: cannot write: %s\n", out, strerror(errno));
    status = CLI_EXIT_REJECTED;
  } else if (verbose) {
    uint64_t body = 0; /* compile speed counts function bodies, not data or custom sections */
    for (uint32_t i = m->nimported_funcs; i < m->nfuncs; i++) body += m->funcs[i].code_len;
    double mbps = img->compile_ms > 0 ? (double)body / 1e6 / (img->compile_ms / 1e3) : 0;
    fprintf(stderr, "wrun: compiled %u functions (%llu bytes of code in a %zu-byte module) to %u bytes of x86-64 "
            "in %.3f ms (%.1f MB/s of wasm code); wrote %s (%zu bytes)\n", img->nfuncs, (unsigned long long)body,
            m->size, img->code_size, img->compile_ms, mbps, out, len);
  }
  free(bytes);
  aot_image_free(img);
  wasm_module_free(m);
  return status;
}

/* mkdir -p for the cache directory (the part of `file` before its last '/'). */
static bool make_parent_dirs(const char *file) {
  char buf[4096];
  size_t n = strlen(file);
  if (n >= sizeof buf) return false;
  memcpy(buf, file, n + 1);
  char *slash = strrchr(buf, '/');
  if (!slash) return true;
  *slash = 0;
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    if (mkdir(buf, 0700) != 0 && errno != EEXIST) return false;
    *p = '/';
  }
  return mkdir(buf, 0700) == 0 || errno == EEXIST;
}

/* A cache hit: the cached artifact's image, if it holds exactly `m`. */
static aot_image *cache_load(const char *cpath, const wasm_module *m) {
  wrun_error err;
  wrun_error_clear(&err);
  size_t len;
  uint8_t *bytes = wrun_read_file(cpath, &len, &err);
  if (!bytes) return NULL;
  wasm_module *cm = aot_is_artifact(bytes, len) ? aot_artifact_load(bytes, len, &err) : NULL;
  free(bytes);
  aot_image *img = NULL;
  if (cm && cm->size == m->size && memcmp(cm->bytes, m->bytes, m->size) == 0) {
    img = cm->aot_image;
    cm->aot_image = NULL;
  }
  wasm_module_free(cm);
  return img;
}

static void cache_store(const char *cpath, const wasm_module *m, const aot_image *img) {
  wrun_error err;
  wrun_error_clear(&err);
  size_t len;
  uint8_t *bytes = aot_artifact_write(m, img, &len, &err);
  char tmp[4200];
  if (!bytes || !make_parent_dirs(cpath)) {
    free(bytes);
    return;
  }
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", cpath, (long)getpid());
  if (write_file(tmp, bytes, len)) {
    if (rename(tmp, cpath) != 0) unlink(tmp);
  } else {
    unlink(tmp);
  }
  free(bytes);
}

bool cli_prepare_aot(const char *path, wasm_module *m, cli_sandbox *sb) {
  if (m->aot_image) { /* an artifact */
    sb->aot = true;
    if (sb->verbose) fprintf(stderr, "wrun: running precompiled code from %s\n", path);
    return true;
  }
  if (!sb->aot) return true;
  wrun_config cfg = {0};
  cfg.interruptible = sb->timeout_ns != 0;
  uint32_t options = aot_options_for(&cfg);
  char cpath[4096];
  bool use_cache = !sb->no_cache && aot_cache_path(m, options, cpath, sizeof cpath);
  if (use_cache) {
    aot_image *img = cache_load(cpath, m);
    if (img) {
      aot_attach_image(m, img);
      if (sb->verbose) fprintf(stderr, "wrun: compiled code loaded from the cache: %s\n", cpath);
      return true;
    }
  }
  wrun_error err;
  wrun_error_clear(&err);
  aot_image *img = NULL;
  if (!aot_compile_module(m, options, &img, &err)) {
    print_err(path, &err);
    return false;
  }
  aot_attach_image(m, img);
  if (sb->verbose)
    fprintf(stderr, "wrun: compiled %u functions (%zu bytes of wasm) in %.3f ms\n", img->nfuncs, m->size,
            img->compile_ms);
  if (use_cache) {
    cache_store(cpath, m, img);
    if (sb->verbose) fprintf(stderr, "wrun: cached at %s\n", cpath);
  }
  return true;
}
