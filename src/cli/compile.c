/*
 * compile.c — `wrun compile` (module or component -> compiled artifact) and
 * the compiled code of `wrun run`: an artifact's, or the compile cache's
 * (cache.c), or compiled now. A component's core modules are compiled and
 * cached one by one, so a module shared by many components (such as jco's
 * preview-1 adapter) is compiled once. `compile --target ISA` picks the
 * code generator by name, the host's or any other this build has (code for
 * another ISA is written, never mapped executable); an ISA this build has
 * none for is a one-line error.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot/aot.h"
#include "aot/lower.h"
#include "cli/cache.h"
#include "cinst/artifact.h"
#include "cli/cli.h"
#include "cli/options.h"
#include "engine/tierup.h"
#include "component/component.h"

static bool write_file(const char *path, const uint8_t *data, size_t len) {
  FILE *f = fopen(path, "wb");
  if (!f) return false;
  bool ok = fwrite(data, 1, len, f) == len;
  ok = (fclose(f) == 0) && ok;
  return ok;
}

static void print_err(const char *path, const rt_error *err) {
  char buf[600];
  fprintf(stderr, "%s\n", rt_error_format(err, path, buf, sizeof buf));
}

/* The names `--target` takes, with the instruction set each means. */
static const struct {
  const char *name;
  uint32_t arch;
} target_names[] = {
  {"x86_64", AOT_ARCH_X86_64},
  {"aarch64", AOT_ARCH_AARCH64},
};

bool cli_aot_available(uint32_t arch) {
  if (aot_target_for_arch(arch)) return true;
  fprintf(stderr, "wrun: no AOT code generator for %s in this build (the interpreter runs everywhere)\n",
          arch ? aot_arch_name(arch) : "this machine's instruction set");
  return false;
}

/* The code generator `--target NAME` names (NULL: the host's) in *t; an exit
 * status after printing a one-line error when there is none. */
static int pick_target(const char *name, const aot_target **t) {
  uint32_t arch = aot_host_arch();
  if (name) {
    size_t i = 0, n = sizeof target_names / sizeof *target_names;
    while (i < n && strcmp(name, target_names[i].name)) i++;
    if (i == n) return cli_usage_error(CLI_CMD_COMPILE, "unknown --target '%s' (known: x86_64, aarch64)", name);
    arch = target_names[i].arch;
  }
  if (!cli_aot_available(arch)) return CLI_EXIT_REJECTED;
  *t = aot_target_for_arch(arch);
  return CLI_EXIT_OK;
}

/* `wrun compile` of a component: every core module compiled, one artifact. */
static int compile_component(const char *in, const char *out, const uint8_t *bytes, size_t blen,
                             const aot_target *target, bool interruptible, bool optimize, bool verbose) {
  rt_error err;
  rt_error_clear(&err);
  wc_component *c = wc_component_load(bytes, blen, &err);
  if (!c) return print_err(in, &err), CLI_EXIT_REJECTED;
  rt_config cfg = {0};
  cfg.interruptible = interruptible;
  cfg.aot_optimize = optimize;
  uint32_t n = wc_core_modules(c, NULL, 0), nfuncs = 0, code = 0, arch = target->arch;
  wm_module **mods = calloc((size_t)n + 1, sizeof *mods);
  int status = CLI_EXIT_REJECTED;
  double ms = 0;
  size_t len = 0;
  uint8_t *art = NULL;
  if (!mods) {
    fprintf(stderr, "%s: out of memory\n", in);
    goto done;
  }
  wc_core_modules(c, mods, n);
  for (uint32_t k = 0; k < n; k++) {
    aot_image *img = NULL;
    if (!aot_compile_module_for(target, mods[k], aot_options_for(&cfg), &img, &err)) {
      print_err(in, &err);
      goto done;
    }
    aot_attach_image(mods[k], img);
    nfuncs += img->nfuncs;
    code += img->code_size;
    ms += img->compile_ms;
  }
  if (!(art = wc_artifact_write(c, &len, &err))) {
    print_err(in, &err);
  } else if (!write_file(out, art, len)) {
    fprintf(stderr, "%s: cannot write: %s\n", out, strerror(errno));
  } else {
    status = CLI_EXIT_OK;
    if (verbose)
      fprintf(stderr, "wrun: compiled a component's %u core modules (%u functions) to %u bytes of %s in %.3f ms; "
              "wrote %s (%zu bytes)\n", n, nfuncs, code, aot_arch_name(arch), ms, out, len);
  }
done:
  free(art);
  free(mods);
  wc_component_free(c);
  return status;
}

int cli_compile(const char *in, const char *out, const char *target_name, bool interruptible, bool optimize,
                bool verbose) {
  const aot_target *target = NULL;
  int st = pick_target(target_name, &target);
  if (st != CLI_EXIT_OK) return st;
  char defout[4096];
  if (!out) {
    const char *dot = strrchr(in, '.'), *slash = strrchr(in, '/');
    size_t stem = dot && (!slash || dot > slash) ? (size_t)(dot - in) : strlen(in);
    if (stem + 7 > sizeof defout) return fprintf(stderr, "wrun: %s: path too long\n", in), CLI_EXIT_USAGE;
    memcpy(defout, in, stem);
    strcpy(defout + stem, ".cwasm");
    out = defout;
  }
  size_t blen = 0;
  uint8_t *input = cli_read_input(in, &blen);
  if (!input) return CLI_EXIT_REJECTED;
  if (wc_is_component(input, blen)) {
    st = compile_component(in, out, input, blen, target, interruptible, optimize, verbose);
    free(input);
    return st;
  }
  wm_module *m = cli_load_module_bytes(in, input, blen);
  free(input);
  if (!m) return CLI_EXIT_REJECTED;
  rt_config cfg = {0};
  cfg.interruptible = interruptible;
  cfg.aot_optimize = optimize;
  rt_error err;
  rt_error_clear(&err);
  aot_image *img = NULL;
  if (!aot_compile_module_for(target, m, aot_options_for(&cfg), &img, &err)) {
    print_err(in, &err);
    wm_module_free(m);
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
    double cpu_mbps = img->compile_cpu_ms > 0 ? (double)body / 1e6 / (img->compile_cpu_ms / 1e3) : 0;
    fprintf(stderr, "wrun: compiled %u functions (%llu bytes of code in a %zu-byte module) to %u bytes of %s "
            "in %.3f ms (%.1f MB/s of wasm code; %.3f ms of CPU, %.1f MB/s); wrote %s (%zu bytes)\n", img->nfuncs,
            (unsigned long long)body, m->size, img->code_size, aot_arch_name(img->arch), img->compile_ms, mbps,
            img->compile_cpu_ms, cpu_mbps, out, len);
    if (img->options & AOT_OPT_OPTIMIZE)
      fprintf(stderr, "wrun: %u of %u functions through the optimizing pipeline, the others one-pass\n",
              img->nopt, img->nfuncs);
  }
  free(bytes);
  aot_image_free(img);
  wm_module_free(m);
  return status;
}

/* Attaches compiled code to `m`: from the cache (may be NULL), else compiled
 * now and stored in the cache. False after printing an error. */
static bool attach_code(const char *path, wm_module *m, cli_cache *cache, uint32_t options, bool verbose) {
  if (cache) {
    aot_image *img = cli_cache_load(cache, m, options);
    if (img) {
      aot_attach_image(m, img);
      if (verbose)
        fprintf(stderr, "wrun: compiled code loaded from the cache: %s\n", cli_cache_last_path(cache));
      return true;
    }
  }
  rt_error err;
  rt_error_clear(&err);
  aot_image *img = NULL;
  if (!aot_compile_module(m, options, &img, &err)) {
    print_err(path, &err);
    return false;
  }
  aot_attach_image(m, img);
  if (verbose)
    fprintf(stderr, "wrun: compiled %u functions (%zu bytes of wasm) in %.3f ms\n", img->nfuncs, m->size,
            img->compile_ms);
  if (verbose && (options & AOT_OPT_OPTIMIZE))
    fprintf(stderr, "wrun: %u of %u functions through the optimizing pipeline, the others one-pass\n", img->nopt,
            img->nfuncs);
  if (cache) {
    bool stored = cli_cache_store(cache, m, img, options);
    if (verbose)
      fprintf(stderr, "wrun: %s %s\n", stored ? "cached at" : "could not write the cache entry",
              cli_cache_last_path(cache));
  }
  return true;
}

bool cli_one_pass(const cli_sandbox *sb) {
  if (sb->aot_one_pass || sb->aot_opt) return sb->aot_one_pass;
  const char *env = getenv("WRUN_AOT_OPT");
  return env && strcmp(env, "0") == 0;
}

/* The options compiled code needs for this run. */
static uint32_t run_options(const cli_sandbox *sb) {
  rt_config cfg = {0};
  cfg.interruptible = sb->timeout_ns != 0;
  cfg.aot_optimize = !cli_one_pass(sb); /* the optimizing pipeline is the default */
  if (sb->tier_mode == CLI_TIER_AUTO && !sb->aot) { /* tiered: what tier-up compiles with */
    cfg.aot_optimize = sb->aot_opt;
    engine_tier_compiler_from_env(&cfg);
    if (sb->aot_one_pass) cfg.tier_one_pass = true;
    return engine_tier_options(&cfg);
  }
  return aot_options_for(&cfg);
}

bool cli_prepare_aot(const char *path, wm_module *m, cli_sandbox *sb) {
  /* --opt implies --aot, except with an explicit --tier auto: tier-up then compiles with the pipeline */
  if (sb->aot_opt && !(sb->tier && sb->tier_mode == CLI_TIER_AUTO)) sb->aot = true;
  if (m->aot_image) { /* an artifact */
    sb->aot = true;
    if (sb->verbose) fprintf(stderr, "wrun: running precompiled code from %s\n", path);
    return true;
  }
  if (sb->tier_mode == CLI_TIER_AUTO && !sb->aot && !sb->fuel) {
    /* tiered: code the compile cache has runs compiled from the start */
    bool worth = !sb->no_cache && cli_cache_may_have(m, run_options(sb)); /* misses stay cheap */
    cli_cache *cache = worth ? cli_cache_open(sb->verbose) : NULL;
    aot_image *img = cache ? cli_cache_load(cache, m, run_options(sb)) : NULL;
    if (img) {
      aot_attach_image(m, img);
      sb->aot = true;
      if (sb->verbose) fprintf(stderr, "wrun: tier: auto: compiled code from the cache: %s\n", cli_cache_last_path(cache));
    }
    cli_cache_close(cache);
    return true;
  }
  if (!sb->aot) return true;
  cli_cache *cache = sb->no_cache ? NULL : cli_cache_open(sb->verbose);
  bool ok = attach_code(path, m, cache, run_options(sb), sb->verbose);
  cli_cache_close(cache);
  return ok;
}

bool cli_prepare_component_aot(const char *path, wc_component *c, const cli_sandbox *sb) {
  uint32_t n = wc_core_modules(c, NULL, 0);
  wm_module **mods = calloc((size_t)n + 1, sizeof *mods);
  if (!mods) return fprintf(stderr, "%s: out of memory\n", path), false;
  wc_core_modules(c, mods, n);
  cli_cache *cache = sb->no_cache || !n ? NULL : cli_cache_open(sb->verbose);
  bool ok = true;
  for (uint32_t k = 0; k < n && ok; k++)
    if (!mods[k]->aot_image) ok = attach_code(path, mods[k], cache, run_options(sb), sb->verbose);
  cli_cache_close(cache);
  free(mods);
  return ok;
}
