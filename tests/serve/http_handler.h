/*
 * http_handler.h — the http-wasm host functions (http-wasm.io), declared for
 * the C test guests of `wrun serve`, and the few string helpers a -nostdlib
 * guest needs.
 */
#ifndef HTTP_HANDLER_H
#define HTTP_HANDLER_H

#include <stdint.h>

#define HH(name) __attribute__((import_module("http_handler"), import_name(#name)))

HH(enable_features) int32_t enable_features(int32_t features);
HH(get_config) int32_t get_config(void *buf, int32_t limit);
HH(log) void hh_log(int32_t level, const void *msg, int32_t len);
HH(log_enabled) int32_t log_enabled(int32_t level);
HH(get_method) int32_t get_method(void *buf, int32_t limit);
HH(set_method) void set_method(const void *p, int32_t len);
HH(get_uri) int32_t get_uri(void *buf, int32_t limit);
HH(set_uri) void set_uri(const void *p, int32_t len);
HH(get_protocol_version) int32_t get_protocol_version(void *buf, int32_t limit);
HH(get_source_addr) int32_t get_source_addr(void *buf, int32_t limit);
HH(get_header_names) int64_t get_header_names(int32_t kind, void *buf, int32_t limit);
HH(get_header_values) int64_t get_header_values(int32_t kind, const void *name, int32_t name_len, void *buf, int32_t limit);
HH(set_header_value) void set_header_value(int32_t kind, const void *n, int32_t nl, const void *v, int32_t vl);
HH(add_header_value) void add_header_value(int32_t kind, const void *n, int32_t nl, const void *v, int32_t vl);
HH(remove_header) void remove_header(int32_t kind, const void *n, int32_t nl);
HH(read_body) int64_t read_body(int32_t kind, void *buf, int32_t limit);
HH(write_body) void write_body(int32_t kind, const void *p, int32_t len);
HH(get_status_code) int32_t get_status_code(void);
HH(set_status_code) void set_status_code(int32_t code);

enum { KIND_REQ = 0, KIND_RESP = 1, KIND_REQ_TRAILERS = 2, KIND_RESP_TRAILERS = 3 };
enum { FEATURE_BUFFER_REQUEST = 1, FEATURE_BUFFER_RESPONSE = 2, FEATURE_TRAILERS = 4 };

static inline int32_t str_len(const char *s) {
  int32_t n = 0;
  while (s[n]) n++;
  return n;
}

static inline int str_prefix(const char *s, int32_t len, const char *p) {
  int32_t n = str_len(p);
  if (len < n) return 0;
  for (int32_t i = 0; i < n; i++)
    if (s[i] != p[i]) return 0;
  return 1;
}

/* Appends decimal v at p; returns the new end. */
static inline char *put_u(char *p, uint64_t v) {
  char tmp[24];
  int n = 0;
  do tmp[n++] = (char)('0' + v % 10), v /= 10; while (v);
  while (n) *p++ = tmp[--n];
  return p;
}

static inline char *put_s(char *p, const char *s, int32_t len) {
  for (int32_t i = 0; i < len; i++) *p++ = s[i];
  return p;
}

#define WRITE_LIT(kind, s) write_body(kind, s, (int32_t)sizeof(s) - 1)
#define SET_HEADER(kind, n, v) set_header_value(kind, n, (int32_t)sizeof(n) - 1, v, (int32_t)sizeof(v) - 1)

#endif
