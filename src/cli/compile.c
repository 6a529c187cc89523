/*
 * compile.c — `wrun compile` (module -> compiled artifact) and the compiled
 * code of `wrun run`: an artifact's, or the compile cache's (cache.c), or
 * compiled now.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot/aot.h"
#include "cli/cache.h"
#include "cli/cli.h"

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
  cli_cache *cache = sb->no_cache ? NULL : cli_cache_open(sb->verbose);
  if (cache) {
    aot_image *img = cli_cache_load(cache, m, options);
    if (img) {
      aot_attach_image(m, img);
      if (sb->verbose)
        fprintf(stderr, "wrun: compiled code loaded from the cache: %s\n", cli_cache_entry_path(cache, m, options));
      cli_cache_close(cache);
      return true;
    }
  }
  wrun_error err;
  wrun_error_clear(&err);
  aot_image *img = NULL;
  if (!aot_compile_module(m, options, &img, &err)) {
    print_err(path, &err);
    cli_cache_close(cache);
    return false;
  }
  aot_attach_image(m, img);
  if (sb->verbose)
    fprintf(stderr, "wrun: compiled %u functions (%zu bytes of wasm) in %.3f ms\n", img->nfuncs, m->size,
            img->compile_ms);
  if (cache) {
    bool stored = cli_cache_store(cache, m, img, options);
    if (sb->verbose)
      fprintf(stderr, "wrun: %s %s\n", stored ? "cached at" : "could not write the cache entry",
              cli_cache_entry_path(cache, m, options));
  }
  cli_cache_close(cache);
  return true;
}
