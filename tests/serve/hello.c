/*
 * hello.c — the smallest http-wasm handler: 200 "hello, world" to every
 * request. Used by the serve tests and bench/serve.
 */
#include "http_handler.h"

__attribute__((export_name("handle_request"))) int64_t handle_request(void) {
  SET_HEADER(KIND_RESP, "content-type", "text/plain");
  WRITE_LIT(KIND_RESP, "hello, world\n");
  return 0; /* next=0: this is the response */
}

__attribute__((export_name("handle_response"))) void handle_response(int32_t ctx, int32_t is_error) {
  (void)ctx;
  (void)is_error;
}
