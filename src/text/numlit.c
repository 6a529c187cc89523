/*
 * numlit.c — numeric literals of the text format.
 *
 * The grammar is checked here by hand (digits with single underscores between
 * them, 0x prefixes, optional fraction and exponent, inf, nan, nan:0x...); the
 * cleaned-up digits are then handed to strtof/strtod, which round correctly to
 * nearest-even in the C locale, for decimal and hexadecimal forms alike. A
 * finite literal that rounds to infinity is rejected, as the spec requires.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "text/text.h"
#include "text/wat_internal.h"

static bool is_dec(char c) { return c >= '0' && c <= '9'; }
static bool is_hex(char c) { return is_dec(c) || (c >= 'a' && c <= 'f') || (c >= 'A' && c <= 'F'); }

/* Copies a digit run (digits with single '_' between them) from s[*i] into
 * out[*o]; returns the number of digits (0 if none or malformed). */
static size_t digits(const char *s, size_t len, size_t *i, char *out, size_t *o, bool hex) {
  size_t n = 0;
  while (*i < len) {
    char c = s[*i];
    if (hex ? is_hex(c) : is_dec(c)) {
      out[(*o)++] = c;
      n++;
      (*i)++;
    } else if (c == '_' && n > 0 && *i + 1 < len && (hex ? is_hex(s[*i + 1]) : is_dec(s[*i + 1]))) {
      (*i)++;
    } else {
      break;
    }
  }
  return n;
}

/* Parses an unsigned integer literal (decimal or 0x hex) into *v; false on
 * malformed input or overflow of 64 bits. */
static bool parse_uint(const char *s, size_t len, uint64_t *v) {
  bool hex = len > 2 && s[0] == '0' && (s[1] == 'x');
  size_t i = hex ? 2 : 0;
  char buf[128];
  size_t o = 0;
  if (len - i >= sizeof buf) {
    /* very long literals: only leading zeros could make them fit; reject */
    size_t nz = i;
    while (nz < len && (s[nz] == '0' || s[nz] == '_')) nz++;
    if (len - nz >= 64) return false;
  }
  char *big = malloc(len + 1);
  if (!big) return false;
  size_t n = digits(s, len, &i, big, &o, hex);
  bool ok = n > 0 && i == len;
  uint64_t acc = 0;
  for (size_t k = 0; ok && k < o; k++) {
    unsigned d = is_dec(big[k]) ? (unsigned)(big[k] - '0') : (unsigned)((big[k] | 0x20) - 'a' + 10);
    unsigned base = hex ? 16 : 10;
    if (acc > (UINT64_MAX - d) / base) ok = false;
    else acc = acc * base + d;
  }
  free(big);
  (void)buf;
  if (ok) *v = acc;
  return ok;
}

static bool parse_int(const char *s, size_t len, unsigned bits, uint64_t *out) {
  bool neg = false, sign = false;
  if (len && (s[0] == '+' || s[0] == '-')) {
    neg = s[0] == '-';
    sign = true;
    s++;
    len--;
  }
  uint64_t v;
  if (!len || !parse_uint(s, len, &v)) return false;
  uint64_t umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
  uint64_t smin_mag = UINT64_C(1) << (bits - 1);
  if (neg) {
    if (v > smin_mag) return false;
    v = (uint64_t)0 - v;
  } else if (v > umax) {
    return false;
  }
  (void)sign;
  *out = bits == 64 ? v : v & umax;
  return true;
}

bool wat_parse_i32(const char *s, size_t len, uint32_t *out) {
  uint64_t v;
  if (!parse_int(s, len, 32, &v)) return false;
  *out = (uint32_t)v;
  return true;
}

bool wat_parse_i64(const char *s, size_t len, uint64_t *out) { return parse_int(s, len, 64, out); }

/* Checks float syntax and writes a strtod-ready copy (no underscores) into buf.
 * Sets *kind: 0 finite number, 1 inf, 2 nan (payload in *payload, has_payload). */
static bool float_syntax(const char *s, size_t len, char *buf, int *kind, bool *neg, uint64_t *payload,
                         bool *has_payload) {
  size_t i = 0, o = 0;
  *neg = false;
  *has_payload = false;
  if (i < len && (s[i] == '+' || s[i] == '-')) {
    *neg = s[i] == '-';
    buf[o++] = s[i++];
  }
  const char *rest = s + i;
  size_t rlen = len - i;
  if (rlen == 3 && memcmp(rest, "inf", 3) == 0) { *kind = 1; return true; }
  if (rlen == 3 && memcmp(rest, "nan", 3) == 0) { *kind = 2; return true; }
  if (rlen > 6 && memcmp(rest, "nan:0x", 6) == 0) {
    *kind = 2;
    *has_payload = true;
    return parse_uint(rest + 4, rlen - 4, payload);
  }
  *kind = 0;
  bool hex = rlen > 2 && rest[0] == '0' && rest[1] == 'x';
  if (hex) {
    buf[o++] = '0';
    buf[o++] = 'x';
    i += 2;
  }
  if (!digits(s, len, &i, buf, &o, hex)) return false;
  if (i < len && s[i] == '.') {
    buf[o++] = s[i++];
    if (i < len && (hex ? is_hex(s[i]) : is_dec(s[i])) && !digits(s, len, &i, buf, &o, hex)) return false;
  }
  if (i < len && (hex ? (s[i] == 'p' || s[i] == 'P') : (s[i] == 'e' || s[i] == 'E'))) {
    buf[o++] = s[i++];
    if (i < len && (s[i] == '+' || s[i] == '-')) buf[o++] = s[i++];
    if (!digits(s, len, &i, buf, &o, false)) return false;
  } else if (hex) {
    buf[o++] = 'p'; /* strtod needs no exponent, but be explicit */
    buf[o++] = '0';
  }
  buf[o] = 0;
  return i == len;
}

bool wat_parse_f32(const char *s, size_t len, uint32_t *bits) {
  char *buf = malloc(len + 8);
  if (!buf) return false;
  int kind;
  bool neg, has_payload;
  uint64_t payload = 0;
  bool ok = float_syntax(s, len, buf, &kind, &neg, &payload, &has_payload);
  uint32_t sign = neg ? 0x80000000u : 0;
  if (ok && kind == 1) {
    *bits = sign | 0x7F800000u;
  } else if (ok && kind == 2) {
    if (!has_payload) payload = 0x400000;
    if (payload == 0 || payload > 0x7FFFFF) ok = false;
    else *bits = sign | 0x7F800000u | (uint32_t)payload;
  } else if (ok) {
    errno = 0;
    float f = strtof(buf, NULL);
    if (isinf(f)) ok = false; /* constant out of range */
    else memcpy(bits, &f, 4);
  }
  free(buf);
  return ok;
}

bool wat_parse_f64(const char *s, size_t len, uint64_t *bits) {
  char *buf = malloc(len + 8);
  if (!buf) return false;
  int kind;
  bool neg, has_payload;
  uint64_t payload = 0;
  bool ok = float_syntax(s, len, buf, &kind, &neg, &payload, &has_payload);
  uint64_t sign = neg ? UINT64_C(1) << 63 : 0;
  uint64_t exp = UINT64_C(0x7FF0000000000000), mant = UINT64_C(0xFFFFFFFFFFFFF);
  if (ok && kind == 1) {
    *bits = sign | exp;
  } else if (ok && kind == 2) {
    if (!has_payload) payload = UINT64_C(1) << 51;
    if (payload == 0 || payload > mant) ok = false;
    else *bits = sign | exp | payload;
  } else if (ok) {
    double d = strtod(buf, NULL);
    if (isinf(d)) ok = false;
    else memcpy(bits, &d, 8);
  }
  free(buf);
  return ok;
}

bool wat_parse_int_bits(const char *s, size_t len, unsigned bits, uint64_t *out) {
  return parse_int(s, len, bits, out);
}
