/*
 * values.c — the text form of `--invoke` arguments and results.
 *
 *   i32, i64   decimal ("010" is ten), or hexadecimal with a 0x prefix; a
 *              leading - or +; anything from -2^(N-1) to 2^N-1 is accepted
 *              (negative numbers and large unsigned ones name the same bits)
 *   f32, f64   the forms of the WebAssembly text format: decimal (1.5, -0,
 *              1e-3), hexadecimal (0x1.8p3), inf, -inf, nan, nan:0xPAYLOAD
 *   v128       SHAPE:LANE,LANE,... or, as in .wast scripts, "SHAPE LANE LANE ..."
 *              (one argument, so quote it), SHAPE one of i8x16 i16x8 i32x4
 *              i64x2 f32x4 f64x2 and each lane as above; or 0x and 32 hex
 *              digits for the whole 128-bit number
 *
 * Results print in a form these parsers read back: integers in signed
 * decimal, floats with enough digits to round-trip (nan with its payload when
 * it is not the canonical one), v128 as i32x4 with hexadecimal lanes.
 */
#include <errno.h>
#include <inttypes.h>
#include <math.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"

static int hex_digit(char c) {
  if (c >= '0' && c <= '9') return c - '0';
  if (c >= 'a' && c <= 'f') return c - 'a' + 10;
  if (c >= 'A' && c <= 'F') return c - 'A' + 10;
  return -1;
}

/* Digits of base 10 or 16 (after a 0x prefix) into *out; false on junk,
 * nothing, or a value above `max`. */
static bool parse_unsigned(const char *s, size_t len, uint64_t max, uint64_t *out) {
  unsigned base = 10;
  if (len > 2 && s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) {
    base = 16;
    s += 2;
    len -= 2;
  }
  if (len == 0) return false;
  uint64_t v = 0;
  for (size_t i = 0; i < len; i++) {
    int d = base == 16 ? hex_digit(s[i]) : (s[i] >= '0' && s[i] <= '9' ? s[i] - '0' : -1);
    if (d < 0) return false;
    if (v > (max - (uint64_t)d) / base) return false;
    v = v * base + (uint64_t)d;
  }
  *out = v;
  return true;
}

/* An integer of `bits` bits (8..64) from s[0..len), as its two's complement. */
static bool parse_int(const char *s, size_t len, unsigned bits, uint64_t *out) {
  bool neg = len > 0 && s[0] == '-';
  if (len > 0 && (s[0] == '-' || s[0] == '+')) s++, len--;
  uint64_t umax = bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1;
  uint64_t limit = neg ? UINT64_C(1) << (bits - 1) : umax;
  uint64_t u;
  if (!parse_unsigned(s, len, limit, &u)) return false;
  *out = (neg ? 0 - u : u) & umax;
  return true;
}

/* A float of `bits` (32 or 64) bits from s[0..len), as its bit pattern. */
static bool parse_float(const char *s, size_t len, unsigned bits, uint64_t *out) {
  char buf[128];
  if (len == 0 || len >= sizeof buf) return false;
  memcpy(buf, s, len);
  buf[len] = 0;
  const char *p = buf;
  bool neg = *p == '-';
  if (*p == '-' || *p == '+') p++;
  uint64_t sign = neg ? (bits == 32 ? UINT64_C(1) << 31 : UINT64_C(1) << 63) : 0;
  uint64_t exp_mask = bits == 32 ? UINT64_C(0x7f800000) : UINT64_C(0x7ff0000000000000);
  uint64_t frac_mask = bits == 32 ? UINT64_C(0x7fffff) : UINT64_C(0xfffffffffffff);
  if (strcmp(p, "inf") == 0) {
    *out = sign | exp_mask;
    return true;
  }
  if (strncmp(p, "nan", 3) == 0) {
    uint64_t payload = (frac_mask >> 1) + 1; /* the canonical NaN: only the top fraction bit */
    if (p[3] == ':') {
      if (strncmp(p + 4, "0x", 2) != 0 || !parse_unsigned(p + 4, strlen(p + 4), frac_mask, &payload) || !payload)
        return false;
    } else if (p[3]) {
      return false;
    }
    *out = sign | exp_mask | payload;
    return true;
  }
  /* strtod also takes "infinity", "nan(...)" and leading blanks: only digits,
   * a point or a 0x prefix may start a number here */
  if (!((*p >= '0' && *p <= '9') || (*p == '.' && p[1] >= '0' && p[1] <= '9'))) return false;
  char *end;
  bool overflow;
  errno = 0;
  if (bits == 32) {
    float f = strtof(buf, &end);
    uint32_t u;
    memcpy(&u, &f, 4);
    *out = u;
    overflow = isinf(f);
  } else {
    double d = strtod(buf, &end);
    memcpy(out, &d, 8);
    overflow = isinf(d);
  }
  /* as in the text format, a number too large for the type is an error, not inf */
  return *end == 0 && !(overflow && errno == ERANGE);
}

typedef struct shape {
  const char *name;
  unsigned lanes, bits;
  bool is_float;
} shape;

static const shape shapes[] = {
  {"i8x16", 16, 8, false}, {"i16x8", 8, 16, false}, {"i32x4", 4, 32, false},
  {"i64x2", 2, 64, false}, {"f32x4", 4, 32, true},  {"f64x2", 2, 64, true},
};

static bool parse_v128(const char *s, uint8_t v[16]) {
  memset(v, 0, 16);
  if (s[0] == '0' && (s[1] == 'x' || s[1] == 'X')) { /* one 128-bit hexadecimal number */
    size_t n = strlen(s + 2);
    if (n == 0 || n > 32) return false;
    for (size_t i = 0; i < n; i++) {
      int d = hex_digit(s[2 + n - 1 - i]);
      if (d < 0) return false;
      v[i / 2] |= (uint8_t)(d << (i % 2 * 4));
    }
    return true;
  }
  const shape *sh = NULL;
  for (size_t i = 0; i < sizeof shapes / sizeof *shapes; i++) {
    size_t n = strlen(shapes[i].name);
    if (strncmp(s, shapes[i].name, n) == 0 && (s[n] == ':' || s[n] == ' ')) sh = &shapes[i];
  }
  if (!sh) return false;
  const char *p = s + strlen(sh->name) + 1;
  for (unsigned lane = 0; lane < sh->lanes; lane++) {
    while (*p == ' ') p++;
    size_t len = strcspn(p, ", ");
    uint64_t bitsv;
    if (!(sh->is_float ? parse_float(p, len, sh->bits, &bitsv) : parse_int(p, len, sh->bits, &bitsv))) return false;
    for (unsigned b = 0; b < sh->bits / 8; b++) v[lane * sh->bits / 8 + b] = (uint8_t)(bitsv >> (8 * b));
    p += len;
    while (*p == ' ') p++;
    if (lane + 1 < sh->lanes && *p == ',') p++;
  }
  return *p == 0;
}

bool cli_parse_value(const char *s, wm_valtype t, rt_val *v) {
  memset(v, 0, sizeof *v);
  v->type = t;
  uint64_t bits;
  switch (t) {
  case WASM_I32:
    if (!parse_int(s, strlen(s), 32, &bits)) return false;
    v->of.i32 = (uint32_t)bits;
    return true;
  case WASM_I64: return parse_int(s, strlen(s), 64, &v->of.i64);
  case WASM_F32:
    if (!parse_float(s, strlen(s), 32, &bits)) return false;
    v->of.f32 = (uint32_t)bits;
    return true;
  case WASM_F64: return parse_float(s, strlen(s), 64, &v->of.f64);
  case WASM_V128: return parse_v128(s, v->of.v128);
  default: return false; /* references cannot be written on a command line */
  }
}

static void print_float(FILE *out, uint64_t bits, unsigned width) {
  uint64_t frac_mask = width == 32 ? UINT64_C(0x7fffff) : UINT64_C(0xfffffffffffff);
  uint64_t exp_mask = width == 32 ? UINT64_C(0x7f800000) : UINT64_C(0x7ff0000000000000);
  bool neg = bits >> (width - 1) & 1;
  if ((bits & exp_mask) == exp_mask && (bits & frac_mask)) {
    uint64_t payload = bits & frac_mask;
    if (payload == (frac_mask >> 1) + 1) fprintf(out, "%snan", neg ? "-" : "");
    else fprintf(out, "%snan:0x%" PRIx64, neg ? "-" : "", payload);
    return;
  }
  if (width == 32) {
    float f;
    uint32_t u = (uint32_t)bits;
    memcpy(&f, &u, 4);
    fprintf(out, "%.9g", (double)f);
  } else {
    double d;
    memcpy(&d, &bits, 8);
    fprintf(out, "%.17g", d);
  }
}

void cli_print_value(FILE *out, const rt_val *v) {
  switch (v->type) {
  case WASM_I32: fprintf(out, "%" PRId32, (int32_t)v->of.i32); break;
  case WASM_I64: fprintf(out, "%" PRId64, (int64_t)v->of.i64); break;
  case WASM_F32: print_float(out, v->of.f32, 32); break;
  case WASM_F64: print_float(out, v->of.f64, 64); break;
  case WASM_V128:
    fputs("i32x4:", out);
    for (int lane = 0; lane < 4; lane++) {
      const uint8_t *b = v->of.v128 + 4 * lane;
      fprintf(out, "%s0x%02x%02x%02x%02x", lane ? "," : "", b[3], b[2], b[1], b[0]);
    }
    break;
  default: fputs(v->of.ref ? "ref" : "null", out); break;
  }
  fputc('\n', out);
}
