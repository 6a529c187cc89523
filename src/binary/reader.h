/*
 * reader.h — a bounds-checked cursor over WebAssembly binary bytes.
 *
 * Shared by the decoder (sections) and the validator (function bodies and
 * constant expressions) so LEB128 rules live in one place: a u32 takes at most
 * 5 bytes and unused bits of the last byte must be zero (sign bits for signed),
 * exactly as the spec's binary format demands. Every failure is a MALFORMED
 * error at the offset of the offending byte; reads after a failure keep failing.
 */
#ifndef WRUN_BINARY_READER_H
#define WRUN_BINARY_READER_H

#include <stdbool.h>
#include <stdint.h>
#include <string.h>

#include "common/error.h"

typedef struct wm_reader {
  const uint8_t *base;   /* start of the whole module: offsets are relative to it */
  const uint8_t *p;      /* next byte */
  const uint8_t *end;    /* one past the last readable byte (a section or body end) */
  rt_error *err;
} wm_reader;

static inline uint64_t reader_offset(const wm_reader *r) { return (uint64_t)(r->p - r->base); }
static inline bool reader_eof(const wm_reader *r) { return r->p >= r->end; }
static inline size_t reader_left(const wm_reader *r) { return (size_t)(r->end - r->p); }

static inline bool reader_fail(wm_reader *r, const char *what) {
  uint64_t at = reader_offset(r);
  r->p = r->end; /* stop further progress */
  return rt_error_at(r->err, WRUN_ERR_MALFORMED, at, "%s", what);
}

/* Every reader sets *out even when it fails (to zero), so callers never see an
 * indeterminate value and compilers can tell. */
static inline bool reader_u8(wm_reader *r, uint8_t *out) {
  *out = 0;
  if (r->p >= r->end) return rt_error_at(r->err, WRUN_ERR_MALFORMED, reader_offset(r),
                                           "unexpected end: expected a byte");
  *out = *r->p++;
  return true;
}

static inline bool reader_bytes(wm_reader *r, size_t n, const uint8_t **out) {
  *out = NULL;
  if (reader_left(r) < n) return rt_error_at(r->err, WRUN_ERR_MALFORMED, reader_offset(r),
                                               "unexpected end: expected %zu more bytes", n);
  *out = r->p;
  r->p += n;
  return true;
}

/* Unsigned LEB128 of at most `bits` bits (32 or 64). */
static inline bool reader_uleb(wm_reader *r, unsigned bits, uint64_t *out) {
  *out = 0;
  uint64_t result = 0;
  unsigned shift = 0;
  uint64_t start = reader_offset(r);
  for (;;) {
    if (r->p >= r->end)
      return rt_error_at(r->err, WRUN_ERR_MALFORMED, reader_offset(r),
                           "unexpected end: LEB128 integer starting at 0x%llx is cut short",
                           (unsigned long long)start);
    uint8_t b = *r->p++;
    unsigned room = bits - shift; /* bits still allowed */
    if (room < 7 && (b & 0x7f) >> room)
      return rt_error_at(r->err, WRUN_ERR_MALFORMED, reader_offset(r) - 1,
                           "integer too large: u%u LEB128 has bits set beyond its width", bits);
    result |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
    if (shift >= bits)
      return rt_error_at(r->err, WRUN_ERR_MALFORMED, reader_offset(r) - 1,
                           "integer representation too long: u%u LEB128 exceeds %u bytes",
                           bits, (bits + 6) / 7);
  }
  *out = result;
  return true;
}

/* Signed LEB128 of at most `bits` bits (32, 33 or 64). */
static inline bool reader_sleb(wm_reader *r, unsigned bits, int64_t *out) {
  *out = 0;
  uint64_t result = 0;
  unsigned shift = 0;
  uint8_t b;
  uint64_t start = reader_offset(r);
  for (;;) {
    if (r->p >= r->end)
      return rt_error_at(r->err, WRUN_ERR_MALFORMED, reader_offset(r),
                           "unexpected end: LEB128 integer starting at 0x%llx is cut short",
                           (unsigned long long)start);
    b = *r->p++;
    unsigned room = bits - shift;
    if (room < 7 && !(b & 0x80)) {
      /* Last permitted byte: the unused high payload bits must all equal the sign bit. */
      uint8_t mask = (uint8_t)((0x7fu >> (room - 1)) << (room - 1));
      uint8_t hi = b & mask;
      if (hi != 0 && hi != mask)
        return rt_error_at(r->err, WRUN_ERR_MALFORMED, reader_offset(r) - 1,
                             "integer too large: s%u LEB128 has bits beyond its width", bits);
    }
    result |= (uint64_t)(b & 0x7f) << shift;
    shift += 7;
    if (!(b & 0x80)) break;
    if (shift >= bits)
      return rt_error_at(r->err, WRUN_ERR_MALFORMED, reader_offset(r) - 1,
                           "integer representation too long: s%u LEB128 exceeds %u bytes",
                           bits, (bits + 6) / 7);
  }
  if (shift < 64 && (b & 0x40)) result |= ~(uint64_t)0 << shift;
  *out = (int64_t)result;
  return true;
}

static inline bool reader_u32(wm_reader *r, uint32_t *out) {
  uint64_t v = 0;
  *out = 0;
  if (!reader_uleb(r, 32, &v)) return false;
  *out = (uint32_t)v;
  return true;
}

static inline bool reader_u64(wm_reader *r, uint64_t *out) { return reader_uleb(r, 64, out); }

static inline bool reader_s32(wm_reader *r, int32_t *out) {
  int64_t v = 0;
  *out = 0;
  if (!reader_sleb(r, 32, &v)) return false;
  *out = (int32_t)v;
  return true;
}

static inline bool reader_s33(wm_reader *r, int64_t *out) { return reader_sleb(r, 33, out); }
static inline bool reader_s64(wm_reader *r, int64_t *out) { return reader_sleb(r, 64, out); }

static inline bool reader_f32(wm_reader *r, uint32_t *bits) {
  const uint8_t *b;
  *bits = 0;
  if (!reader_bytes(r, 4, &b)) return false;
  *bits = (uint32_t)b[0] | (uint32_t)b[1] << 8 | (uint32_t)b[2] << 16 | (uint32_t)b[3] << 24;
  return true;
}

static inline bool reader_f64(wm_reader *r, uint64_t *bits) {
  const uint8_t *b;
  *bits = 0;
  if (!reader_bytes(r, 8, &b)) return false;
  uint64_t v = 0;
  for (int i = 7; i >= 0; i--) v = v << 8 | b[i];
  *bits = v;
  return true;
}

#endif
