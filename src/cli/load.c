/*
 * load.c — reading a module file for the command line: binary or text, decoded
 * and validated, or a compiled artifact, with one error line on failure.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot/aot.h"
#include "cli/cli.h"
#include "common/file.h"
#include "text/text.h"
#include "valid/valid.h"

static void print_error(const char *path, const wrun_error *err) {
  char buf[600];
  fprintf(stderr, "%s\n", wrun_error_format(err, path, buf, sizeof buf));
}

wasm_module *cli_load_module(const char *path) {
  wrun_error err;
  wrun_error_clear(&err);
  size_t len;
  uint8_t *bytes = wrun_read_file(path, &len, &err);
  if (!bytes) {
    print_error(path, &err);
    return NULL;
  }
  wasm_module *m = NULL;
  if (aot_is_artifact(bytes, len)) { /* compiled by `wrun compile`: checked, not re-validated */
    m = aot_artifact_load(bytes, len, &err);
    free(bytes);
    if (!m) print_error(path, &err);
    return m;
  }
  if (len == 0) {
    wrun_error_at(&err, WRUN_ERR_MALFORMED, 0, "unexpected end: empty file, expected a module");
  } else if (len >= 4 && memcmp(bytes, "\0asm", 4) == 0) {
    m = wasm_module_decode(bytes, len, &err);
  } else if (bytes[0] == 0 || (len >= 4 && memcmp(bytes + 1, "asm", 3) == 0)) {
    /* Looks like a binary with a damaged header rather than text. */
    m = wasm_module_decode(bytes, len, &err);
  } else {
    uint8_t *bin = NULL;
    size_t blen = 0;
    if (wat_parse_to_binary((const char *)bytes, len, &bin, &blen, &err)) {
      m = wasm_module_decode(bin, blen, &err);
      free(bin);
    }
  }
  free(bytes);
  if (m && !wasm_module_validate(m, &err)) {
    wasm_module_free(m);
    m = NULL;
  }
  if (!m) print_error(path, &err);
  return m;
}
