/*
 * call_export.c — the smallest embedding of wrun: load a binary module, call
 * one of its exports with i32 arguments and print the results, using only the
 * public API of include/wrun.h (installed by `cmake --install`).
 *
 *   call_export MODULE.wasm EXPORT [I32_ARG...]
 *   call_export examples/fib.wasm fib 50      # prints 12586269025
 *
 * Build against an installed wrun:
 *   cc call_export.c $(pkg-config --cflags --libs wrun)
 */
#include <errno.h>
#include <inttypes.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wrun.h>

/* Reads the whole file at `path`; the caller frees the buffer. */
static uint8_t *read_file(const char *path, size_t *len) {
  FILE *f = fopen(path, "rb");
  if (!f) return NULL;
  uint8_t *buf = NULL;
  size_t cap = 0, n = 0;
  for (;;) {
    if (n == cap) {
      cap = cap ? cap * 2 : 4096;
      uint8_t *bigger = realloc(buf, cap);
      if (!bigger) break;
      buf = bigger;
    }
    size_t got = fread(buf + n, 1, cap - n, f);
    n += got;
    if (got == 0) {
      if (ferror(f)) break;
      fclose(f);
      *len = n;
      return buf;
    }
  }
  free(buf);
  fclose(f);
  return NULL;
}

static void print_value(const wrun_value *v) {
  switch (v->type) {
  case WRUN_I32: printf("%" PRId32 "\n", v->of.i32); break;
  case WRUN_I64: printf("%" PRId64 "\n", v->of.i64); break;
  case WRUN_F32: printf("%g\n", (double)v->of.f32); break;
  default: printf("%g\n", v->of.f64); break;
  }
}

int main(int argc, char **argv) {
  if (argc < 3) {
    fprintf(stderr, "usage: %s MODULE.wasm EXPORT [I32_ARG...]\n", argv[0]);
    return 2;
  }
  enum { MAX_VALUES = 16 };
  size_t nargs = (size_t)argc - 3;
  if (nargs > MAX_VALUES) {
    fprintf(stderr, "%s: at most %d arguments\n", argv[0], MAX_VALUES);
    return 2;
  }
  wrun_value args[MAX_VALUES], results[MAX_VALUES];
  for (size_t i = 0; i < nargs; i++) {
    char *end;
    errno = 0;
    long v = strtol(argv[3 + i], &end, 0);
    if (errno || *end || v < INT32_MIN || v > INT32_MAX) {
      fprintf(stderr, "%s: argument %zu: not an i32: '%s'\n", argv[0], i + 1, argv[3 + i]);
      return 2;
    }
    args[i].type = WRUN_I32;
    args[i].of.i32 = (int32_t)v;
  }

  size_t len;
  uint8_t *bytes = read_file(argv[1], &len);
  if (!bytes) {
    fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], strerror(errno));
    return 1;
  }
  char err[256];
  int status = 1;
  wrun_module *m = wrun_module_load(bytes, len, err, sizeof err);
  free(bytes); /* the module keeps its own copy */
  if (!m) {
    fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], err);
    return 1;
  }
  wrun_store *s = wrun_store_create();
  wrun_instance *inst = s ? wrun_module_instantiate(s, m, err, sizeof err) : NULL;
  wrun_func *f = inst ? wrun_instance_func(inst, argv[2]) : NULL;
  if (!s) {
    fprintf(stderr, "%s: out of memory\n", argv[0]);
  } else if (!inst) {
    fprintf(stderr, "%s: %s: %s\n", argv[0], argv[1], err);
  } else if (!f) {
    fprintf(stderr, "%s: %s: no exported function '%s'\n", argv[0], argv[1], argv[2]);
  } else {
    /* nresults is the room we have; the call writes as many as f returns. */
    memset(results, 0, sizeof results);
    int rc = wrun_func_invoke(s, f, args, nargs, results, MAX_VALUES, err, sizeof err);
    if (rc == 0) {
      for (size_t i = 0; i < MAX_VALUES && results[i].type; i++) print_value(&results[i]);
      status = 0;
    } else {
      fprintf(stderr, "%s: %s: %s\n", argv[0], rc == 1 ? "trap" : "bad call", err);
    }
  }
  wrun_store_delete(s);
  wrun_module_delete(m);
  return status;
}
