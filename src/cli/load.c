/*
 * load.c — reading a module file for the command line: binary or text, decoded
 * and validated, with one error line on failure; and, only where the user
 * allowed it, a compiled artifact (native code, trusted, not validated: see
 * docs/security.md). Artifacts are told apart by their magic, never by name.
 * Each command reads its FILE once (cli_read_input) and hands the bytes to
 * the *_bytes loaders, which neither keep nor free them.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot/aot.h"
#include "cli/cli.h"
#include "common/file.h"
#include "component/component.h"
#include "text/text.h"
#include "valid/valid.h"

void cli_print_error(const char *path, const rt_error *err) {
  char buf[600];
  fprintf(stderr, "%s\n", rt_error_format(err, path, buf, sizeof buf));
}

uint8_t *cli_read_input(const char *path, size_t *len) {
  rt_error err;
  rt_error_clear(&err);
  uint8_t *bytes = rt_read_file(path, len, &err);
  if (!bytes) cli_print_error(path, &err);
  return bytes;
}

/* Decodes (binary or text) and validates a module's bytes. */
static wm_module *load_wasm(const uint8_t *bytes, size_t len, rt_error *err) {
  wm_module *m = NULL;
  if (len == 0) {
    rt_error_at(err, WRUN_ERR_MALFORMED, 0, "unexpected end: empty file, expected a module");
  } else if (len >= 4 && memcmp(bytes, "\0asm", 4) == 0) {
    m = wm_module_decode(bytes, len, err);
  } else if (bytes[0] == 0 || (len >= 4 && memcmp(bytes + 1, "asm", 3) == 0)) {
    /* Looks like a binary with a damaged header rather than text. */
    m = wm_module_decode(bytes, len, err);
  } else {
    uint8_t *bin = NULL;
    size_t blen = 0;
    if (wat_parse_to_binary((const char *)bytes, len, &bin, &blen, err)) {
      m = wm_module_decode(bin, blen, err);
      free(bin);
    }
  }
  if (m && !wm_module_validate(m, err)) {
    wm_module_free(m);
    m = NULL;
  }
  return m;
}

typedef enum artifact_policy { ARTIFACT_NOT_A_MODULE, ARTIFACT_NEEDS_FLAG, ARTIFACT_ALLOWED } artifact_policy;

/* The module in `bytes` (FILE's contents, read once by the caller, who keeps
 * them), under `policy` for artifacts. */
static wm_module *load(const char *path, const uint8_t *bytes, size_t len, artifact_policy policy) {
  rt_error err;
  rt_error_clear(&err);
  wm_module *m = NULL;
  if (aot_is_component_artifact(bytes, len)) {
    /* a compiled component runs through cli_run_component; everything else refuses it */
    if (policy == ARTIFACT_NEEDS_FLAG)
      fprintf(stderr, "%s: refusing to run a precompiled artifact (native code that is not validated); "
              "pass --allow-precompiled if you trust it\n", path);
    else
      fprintf(stderr, "%s: precompiled component artifact (native code from `wrun compile`), not a WebAssembly "
              "module or component: not validated\n", path);
    return NULL;
  }
  if (aot_is_artifact(bytes, len)) {
    if (policy == ARTIFACT_ALLOWED) {
      /* compiled by `wrun compile`: checked for damage, not validated */
      m = aot_artifact_load(bytes, len, &err);
      if (!m) cli_print_error(path, &err);
    } else if (policy == ARTIFACT_NEEDS_FLAG) {
      fprintf(stderr, "%s: refusing to run a precompiled artifact (native code that is not validated); "
              "pass --allow-precompiled if you trust it\n", path);
    } else {
      fprintf(stderr, "%s: precompiled artifact (native code from `wrun compile`), not a WebAssembly module: "
              "not validated\n", path);
    }
    return m;
  }
  if (wc_is_component(bytes, len)) {
    /* decoded and validated, so the one line says what is wrong with it, if anything */
    wc_component *c = wc_component_load(bytes, len, &err);
    if (!c) cli_print_error(path, &err);
    else if (policy == ARTIFACT_NOT_A_MODULE)
      fprintf(stderr, "%s: a component, not a core module: this command does not take components yet\n", path);
    else
      fprintf(stderr, "%s: a component with no wasi:cli/run export: nothing to run without --invoke (decoded and "
              "validated: %u core modules)\n", path,
              c->total_modules);
    wc_component_free(c);
    return NULL;
  }
  m = load_wasm(bytes, len, &err);
  if (!m) cli_print_error(path, &err);
  return m;
}

/* Reads FILE and loads it under `policy`: one read, one error line. */
static wm_module *load_file(const char *path, artifact_policy policy) {
  size_t len;
  uint8_t *bytes = cli_read_input(path, &len);
  if (!bytes) return NULL;
  wm_module *m = load(path, bytes, len, policy);
  free(bytes);
  return m;
}

wm_module *cli_load_module(const char *path) { return load_file(path, ARTIFACT_NOT_A_MODULE); }

wm_module *cli_load_module_bytes(const char *path, const uint8_t *bytes, size_t len) {
  return load(path, bytes, len, ARTIFACT_NOT_A_MODULE);
}

wm_module *cli_load_program(const char *path, bool allow_precompiled) {
  return load_file(path, allow_precompiled ? ARTIFACT_ALLOWED : ARTIFACT_NEEDS_FLAG);
}

wm_module *cli_load_program_bytes(const char *path, const uint8_t *bytes, size_t len, bool allow_precompiled) {
  return load(path, bytes, len, allow_precompiled ? ARTIFACT_ALLOWED : ARTIFACT_NEEDS_FLAG);
}

int cli_component_bytes(const char *path, const uint8_t *bytes, size_t len, bool inspect) {
  if (!wc_is_component(bytes, len)) return -1;
  rt_error err;
  rt_error_clear(&err);
  wc_component *c = wc_component_load(bytes, len, &err);
  if (!c) {
    cli_print_error(path, &err);
    return CLI_EXIT_REJECTED;
  }
  if (inspect) cli_print_component(path, c);
  wc_component_free(c);
  return CLI_EXIT_OK;
}
