/*
 * wasi_guest.c — an http-wasm guest built with wasi-libc as a reactor
 * (exports _initialize): it uses malloc, snprintf and getenv, so it imports
 * wasi_snapshot_preview1 beside http_handler, as TinyGo and Rust guests do.
 * Answers "n=<calls> env=<HOME or unset> uri=<uri>" and writes a line to
 * stdout; _initialize runs on every fresh instance, so n is always 1.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "http_handler.h"

static int calls;
static char *scratch;

__attribute__((export_name("handle_request"))) int64_t handle_request(void) {
  if (!scratch) scratch = malloc(8192);
  char uri[1024];
  int32_t n = get_uri(uri, sizeof uri - 1);
  uri[n < (int32_t)sizeof uri ? n : 0] = 0;
  const char *home = getenv("HOME");
  int len = snprintf(scratch, 8192, "n=%d env=%s uri=%s\n", ++calls, home ? home : "unset", uri);
  printf("wasi guest saw %s\n", uri);
  fflush(stdout);
  enable_features(FEATURE_BUFFER_RESPONSE);
  write_body(KIND_RESP, scratch, len);
  return 0;
}

__attribute__((export_name("handle_response"))) void handle_response(int32_t ctx, int32_t is_error) {
  (void)ctx;
  (void)is_error;
}
