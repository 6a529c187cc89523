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

static const char usage_compile[] =
  "usage: wrun compile [OPTIONS] FILE\n"
  "Compiles FILE (.wasm or .wat) to native code and writes a compiled artifact\n"
  "that `wrun ARTIFACT` runs without compiling again.\n"
  "  -o FILE          where to write (default: FILE with extension .cwasm)\n"
  "  --interruptible  add the checks `--timeout` needs (slightly slower code)\n"
  "  -v, --verbose    print what was compiled and how fast\n"
  "  -h, --help       this help\n";

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

int cli_compile(int argc, char **argv) {
  const char *out = NULL, *in = NULL;
  bool interruptible = false, verbose = false;
  for (int i = 0; i < argc; i++) {
    const char *a = argv[i];
    if (strcmp(a, "-h") == 0 || strcmp(a, "--help") == 0) return fputs(usage_compile, stdout), CLI_EXIT_OK;
    if (strcmp(a, "-o") == 0 && i + 1 < argc) out = argv[++i];
    else if (strcmp(a, "--interruptible") == 0) interruptible = true;
    else if (strcmp(a, "-v") == 0 || strcmp(a, "--verbose") == 0) verbose = true;
    else if (a[0] == '-' && a[1]) return fprintf(stderr, "wrun compile: unknown option %s\n%s", a, usage_compile), CLI_EXIT_USAGE;
    else if (!in) in = a;
    else return fprintf(stderr, "wrun compile: more than one input file\n%s", usage_compile), CLI_EXIT_USAGE;
  }
  if (!in) return fprintf(stderr, "wrun compile: no input FILE\n%s", usage_compile), CLI_EXIT_USAGE;
  char defout[4096];
  if (!out) {
    const char *dot = strrchr(in, '.'), *slash = strrchr(in, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - in) : strlen(in);
    if (stem + 7 > sizeof defout) return fprintf(stderr, "wrun compile: path too long\n"), CLI_EXIT_USAGE;
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
