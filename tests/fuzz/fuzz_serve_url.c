/*
 * fuzz_serve_url.c — libFuzzer target for `wrun serve --upstream URL`
 * (serve_url_parse, src/serve/upstream.c), the one parser of its own that
 * serve has (HTTP itself is parsed by h2o). A URL that parses must give a
 * NUL-terminated host without brackets, a non-zero port and a prefix that
 * is empty or starts with '/' and does not end with one; printing it back as
 * http://HOST:PORT/PREFIX must parse to the same three parts.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "serve/serve.h"

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  serve_url u, v;
  const char *why = NULL;
  if (!serve_url_parse((const char *)data, size, &u, &why)) {
    if (!why || !*why) abort(); /* a refusal always says why */
    return 0;
  }
  size_t hl = strnlen(u.host, sizeof u.host), pl = strnlen(u.prefix, sizeof u.prefix);
  if (hl == 0 || hl == sizeof u.host || pl == sizeof u.prefix || u.port == 0) abort();
  if (strchr(u.host, '[') || strchr(u.host, ']')) abort();
  if (pl && (u.prefix[0] != '/' || u.prefix[pl - 1] == '/')) abort();
  char again[1024];
  bool v6 = strchr(u.host, ':') != NULL;
  int n = snprintf(again, sizeof again, "http://%s%s%s:%u%s", v6 ? "[" : "", u.host, v6 ? "]" : "", u.port, u.prefix);
  if (n < 0 || (size_t)n >= sizeof again) abort();
  if (!serve_url_parse(again, (size_t)n, &v, &why)) abort();
  if (strcmp(u.host, v.host) != 0 || u.port != v.port || strcmp(u.prefix, v.prefix) != 0) abort();
  return 0;
}
