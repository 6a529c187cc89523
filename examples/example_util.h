/*
 * example_util.h — what the example hosts share: reading a file into
 * memory and printing a trap. Header-only so each example stays one
 * compilation unit.
 */
#ifndef WRUN_EXAMPLE_UTIL_H
#define WRUN_EXAMPLE_UTIL_H

#include <stdio.h>
#include <stdlib.h>

#include <wasm.h>

/* Reads the whole file at `path` into `out` (a byte vector the caller
 * deletes). False with errno set when it cannot be read. */
static inline bool example_read_file(const char *path, wasm_byte_vec_t *out) {
  FILE *f = fopen(path, "rb");
  if (!f) return false;
  bool ok = fseek(f, 0, SEEK_END) == 0;
  long size = ok ? ftell(f) : -1;
  ok = size >= 0 && fseek(f, 0, SEEK_SET) == 0;
  if (ok) {
    wasm_byte_vec_new_uninitialized(out, (size_t)size);
    ok = (size_t)size == out->size && fread(out->data, 1, out->size, f) == out->size;
    if (!ok) wasm_byte_vec_delete(out);
  }
  fclose(f);
  return ok;
}

/* Prints "PREFIX: MESSAGE" for a trap and deletes it. */
static inline void example_report_trap(const char *prefix, wasm_trap_t *trap) {
  wasm_message_t msg;
  wasm_trap_message(trap, &msg);
  fprintf(stderr, "%s: %s\n", prefix, msg.data);
  wasm_byte_vec_delete(&msg);
  wasm_trap_delete(trap);
}

#endif
