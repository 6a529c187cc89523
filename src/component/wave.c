/*
 * wave.c — the WAVE text form of component values (wave.h): a type-directed
 * recursive-descent parser into canon.h host values, and the canonical
 * printer. The syntax follows wasm-wave's README (bytecodealliance
 * wasm-tools): `//` comments, `%`-escaped labels, JSON numbers, `nan`/`inf`,
 * `\u{...}` escapes, multi-line `"""` strings, flat `some`/`ok` payloads,
 * omitted `none` record fields and trailing commas.
 *
 * Both directions recurse once per nested value and stop at
 * WC_WAVE_MAX_DEPTH, so neither text nor value can exhaust the stack.
 */
#include <inttypes.h>
#include <math.h>
#include <stdarg.h>
#include <stdlib.h>
#include <string.h>

#include "common/grow.h"
#include "component/wave.h"

/* ---- types ------------------------------------------------------------- */

/* A value type with WC_T_PRIM definitions looked through: either a primitive
 * (ty == NULL) or a defined type. */
typedef struct resolved { const wc_type *ty; wc_prim prim; } resolved;

static resolved resolve(const wc_types *T, wc_val t) {
  if (wc_val_is_prim(t)) return (resolved){NULL, (wc_prim)(t & 0xff)};
  const wc_type *ty = &T->v[t];
  if (ty->kind == WC_T_PRIM) return (resolved){NULL, ty->prim};
  return (resolved){ty, 0};
}

static bool is_option_or_result(const wc_types *T, wc_val t) {
  resolved r = resolve(T, t);
  return r.ty && (r.ty->kind == WC_T_OPTION || r.ty->kind == WC_T_RESULT);
}
static bool is_option(const wc_types *T, wc_val t) {
  resolved r = resolve(T, t);
  return r.ty && r.ty->kind == WC_T_OPTION;
}

/* A short name of a type for messages: its WIT name if an import/export gave
 * it one, else its structure a few levels deep. */
typedef struct namebuf { char s[96]; size_t n; } namebuf;

static void nb_put(namebuf *nb, const char *s, size_t n) {
  size_t room = sizeof nb->s - 1 - nb->n;
  if (n > room) n = room;
  memcpy(nb->s + nb->n, s, n);
  nb->n += n;
  nb->s[nb->n] = 0;
}
static void nb_puts(namebuf *nb, const char *s) { nb_put(nb, s, strlen(s)); }

static void name_into(const wc_types *T, wc_val t, namebuf *nb, unsigned depth) {
  resolved r = resolve(T, t);
  if (!r.ty) { nb_puts(nb, wc_prim_name(r.prim)); return; }
  const wc_type *ty = r.ty;
  if (ty->name.len) { nb_put(nb, ty->name.ptr, ty->name.len); return; }
  if (depth >= 3) { nb_puts(nb, "..."); return; }
  switch (ty->kind) {
  case WC_T_RECORD: nb_puts(nb, "record"); return;
  case WC_T_VARIANT: nb_puts(nb, "variant"); return;
  case WC_T_ENUM: nb_puts(nb, "enum"); return;
  case WC_T_FLAGS: nb_puts(nb, "flags"); return;
  case WC_T_LIST: case WC_T_FIXED_LIST:
    nb_puts(nb, "list<");
    name_into(T, ty->elem, nb, depth + 1);
    if (ty->kind == WC_T_FIXED_LIST) {
      char num[16];
      snprintf(num, sizeof num, ", %u", ty->len);
      nb_puts(nb, num);
    }
    nb_puts(nb, ">");
    return;
  case WC_T_OPTION: nb_puts(nb, "option<"); name_into(T, ty->elem, nb, depth + 1); nb_puts(nb, ">"); return;
  case WC_T_TUPLE:
    nb_puts(nb, "tuple<");
    for (uint32_t i = 0; i < ty->nitems; i++) {
      if (i) nb_puts(nb, ", ");
      name_into(T, ty->items[i].type, nb, depth + 1);
    }
    nb_puts(nb, ">");
    return;
  case WC_T_RESULT:
    nb_puts(nb, "result");
    if (ty->items[0].has_type || ty->items[1].has_type) {
      nb_puts(nb, "<");
      if (ty->items[0].has_type) name_into(T, ty->items[0].type, nb, depth + 1); else nb_puts(nb, "_");
      if (ty->items[1].has_type) { nb_puts(nb, ", "); name_into(T, ty->items[1].type, nb, depth + 1); }
      nb_puts(nb, ">");
    }
    return;
  case WC_T_OWN: case WC_T_BORROW: {
    nb_puts(nb, ty->kind == WC_T_OWN ? "own<" : "borrow<");
    const wc_type *res = &T->v[ty->resource];
    if (res->name.len) nb_put(nb, res->name.ptr, res->name.len); else nb_puts(nb, "resource");
    nb_puts(nb, ">");
    return;
  }
  default: nb_puts(nb, "?"); return;
  }
}

static namebuf type_name(const wc_types *T, wc_val t) {
  namebuf nb = {.n = 0};
  nb.s[0] = 0;
  name_into(T, t, &nb, 0);
  return nb;
}

static bool is_keyword(const char *s, size_t n) {
  static const char *const kw[] = {"true", "false", "some", "none", "ok", "err", "inf", "nan"};
  for (size_t i = 0; i < sizeof kw / sizeof kw[0]; i++)
    if (strlen(kw[i]) == n && memcmp(kw[i], s, n) == 0) return true;
  return false;
}

/* One UTF-8 scalar value at s[0..n): its length, or 0 if ill-formed
 * (overlong, surrogate, past U+10FFFF, truncated). */
static size_t utf8_decode(const unsigned char *s, size_t n, uint32_t *cp) {
  if (n == 0) return 0;
  unsigned char c = s[0];
  if (c < 0x80) { *cp = c; return 1; }
  size_t len;
  uint32_t v, min;
  if ((c & 0xe0) == 0xc0) { len = 2; v = c & 0x1f; min = 0x80; }
  else if ((c & 0xf0) == 0xe0) { len = 3; v = c & 0x0f; min = 0x800; }
  else if ((c & 0xf8) == 0xf0) { len = 4; v = c & 0x07; min = 0x10000; }
  else return 0;
  if (n < len) return 0;
  for (size_t i = 1; i < len; i++) {
    if ((s[i] & 0xc0) != 0x80) return 0;
    v = v << 6 | (s[i] & 0x3f);
  }
  if (v < min || v > 0x10ffff || (v >= 0xd800 && v <= 0xdfff)) return 0;
  *cp = v;
  return len;
}

static size_t utf8_encode(uint32_t cp, char *out) {
  if (cp < 0x80) { out[0] = (char)cp; return 1; }
  if (cp < 0x800) { out[0] = (char)(0xc0 | cp >> 6); out[1] = (char)(0x80 | (cp & 0x3f)); return 2; }
  if (cp < 0x10000) {
    out[0] = (char)(0xe0 | cp >> 12); out[1] = (char)(0x80 | (cp >> 6 & 0x3f)); out[2] = (char)(0x80 | (cp & 0x3f));
    return 3;
  }
  out[0] = (char)(0xf0 | cp >> 18); out[1] = (char)(0x80 | (cp >> 12 & 0x3f));
  out[2] = (char)(0x80 | (cp >> 6 & 0x3f)); out[3] = (char)(0x80 | (cp & 0x3f));
  return 4;
}

static bool is_scalar(uint32_t c) { return c <= 0x10ffff && (c < 0xd800 || c > 0xdfff); }

/* ---- the parser -------------------------------------------------------- */

typedef struct parser {
  const wc_types *T;
  const char *s;
  size_t i, end;        /* the cursor and where this parse stops */
  wc_arena *a;
  char *err;
  size_t errlen;
  bool failed;
} parser;

/* Formats "LINE:COL: message" for the position `at` (columns count
 * characters, not bytes) and returns false. Only the first error is kept. */
static bool fail_at(parser *p, size_t at, const char *fmt, ...) __attribute__((format(printf, 3, 4)));
static bool fail_at(parser *p, size_t at, const char *fmt, ...) {
  if (p->failed) return false;
  p->failed = true;
  size_t line = 1, col = 1;
  for (size_t k = 0; k < at; k++) {
    unsigned char c = (unsigned char)p->s[k];
    if (c == '\n') { line++; col = 1; }
    else if ((c & 0xc0) != 0x80) col++;
  }
  if (!p->err || !p->errlen) return false;
  int w = snprintf(p->err, p->errlen, "%zu:%zu: ", line, col);
  if (w < 0 || (size_t)w >= p->errlen) return false;
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(p->err + w, p->errlen - (size_t)w, fmt, ap);
  va_end(ap);
  return false;
}

static int peek(const parser *p) { return p->i < p->end ? (unsigned char)p->s[p->i] : -1; }

static bool is_label_char(int c) {
  return (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-';
}

static void skip_ws(parser *p) {
  while (p->i < p->end) {
    char c = p->s[p->i];
    if (c == ' ' || c == '\t' || c == '\n' || c == '\r') {
      p->i++;
    } else if (c == '/' && p->i + 1 < p->end && p->s[p->i + 1] == '/') {
      while (p->i < p->end && p->s[p->i] != '\n') p->i++;
    } else {
      break;
    }
  }
}

/* What is at the cursor, for "found ..." in messages. */
typedef struct found { char s[48]; } found;
static found found_here(const parser *p) {
  found f;
  if (p->i >= p->end) { strcpy(f.s, "end of input"); return f; }
  size_t n = 0;
  if (is_label_char(peek(p)) || peek(p) == '%') {
    while (p->i + n < p->end && n < 24 && (is_label_char((unsigned char)p->s[p->i + n]) || (n == 0 && p->s[p->i] == '%')))
      n++;
  } else {
    uint32_t cp;
    n = utf8_decode((const unsigned char *)p->s + p->i, p->end - p->i, &cp);
    if (n == 0) { strcpy(f.s, "invalid UTF-8"); return f; }
    if (cp < 0x20 || cp == 0x7f) { snprintf(f.s, sizeof f.s, "U+%04" PRIX32, cp); return f; }
  }
  snprintf(f.s, sizeof f.s, "'%.*s'", (int)n, p->s + p->i);
  return f;
}

static bool expect_char(parser *p, char c, const char *what, wc_val t) {
  skip_ws(p);
  if (peek(p) == (unsigned char)c) { p->i++; return true; }
  namebuf nb = type_name(p->T, t);
  return fail_at(p, p->i, "expected '%c' %s %s, found %s", c, what, nb.s, found_here(p).s);
}

/* After an element of a sequence: consumes ',' (and reports whether `close`
 * follows, ending the sequence) or `close`. */
static bool sequence_next(parser *p, char close, wc_val t, bool *done) {
  skip_ws(p);
  int c = peek(p);
  if (c == ',') {
    p->i++;
    skip_ws(p);
    if (peek(p) == (unsigned char)close) { p->i++; *done = true; } else *done = false;
    return true;
  }
  if (c == (unsigned char)close) { p->i++; *done = true; return true; }
  namebuf nb = type_name(p->T, t);
  return fail_at(p, p->i, "expected ',' or '%c' in %s, found %s", close, nb.s, found_here(p).s);
}

/* A label: optional '%', then words joined by single '-'; the first word
 * starts with a letter, each word is all-lowercase or all-uppercase. */
typedef struct label { size_t at; const char *ptr; size_t len; bool pct; } label;

static bool read_label(parser *p, label *l, const char *what, wc_val t) {
  skip_ws(p);
  l->at = p->i;
  l->pct = peek(p) == '%';
  size_t k = p->i + l->pct;
  size_t start = k;
  while (k < p->end && is_label_char((unsigned char)p->s[k])) k++;
  if (k == start) {
    namebuf nb = type_name(p->T, t);
    return fail_at(p, p->i, "expected %s of %s, found %s", what, nb.s, found_here(p).s);
  }
  const char *s = p->s + start;
  size_t n = k - start;
  bool ok = (s[0] >= 'a' && s[0] <= 'z') || (s[0] >= 'A' && s[0] <= 'Z');
  bool lower = false, upper = false;
  for (size_t j = 0; ok && j < n; j++) {
    char c = s[j];
    if (c == '-') {
      ok = j + 1 < n && s[j + 1] != '-';
      lower = upper = false;
    } else if (c >= 'a' && c <= 'z') {
      lower = true;
    } else if (c >= 'A' && c <= 'Z') {
      upper = true;
    }
    if (lower && upper) ok = false;
  }
  if (!ok) return fail_at(p, l->at, "invalid label '%.*s' (kebab-case words, each all lower or all upper case)", (int)n, s);
  l->ptr = s;
  l->len = n;
  p->i = k;
  return true;
}


/* The item named by l among items[0..n), or -1. */
static int64_t find_item(const wc_item *items, uint32_t n, const label *l) {
  for (uint32_t k = 0; k < n; k++)
    if (items[k].name.len == l->len && memcmp(items[k].name.ptr, l->ptr, l->len) == 0) return k;
  return -1;
}

/* A JSON number: -?(0|[1-9][0-9]*)(\.[0-9]+)?([eE][-+]?[0-9]+)? */
static bool scan_number(parser *p, size_t *len, bool *is_int) {
  size_t k = p->i;
  const char *s = p->s;
  if (k < p->end && s[k] == '-') k++;
  if (k >= p->end || s[k] < '0' || s[k] > '9') return false;
  if (s[k] == '0') k++;
  else while (k < p->end && s[k] >= '0' && s[k] <= '9') k++;
  *is_int = true;
  if (k < p->end && s[k] == '.') {
    k++;
    if (k >= p->end || s[k] < '0' || s[k] > '9') return fail_at(p, k, "expected a digit after '.'");
    while (k < p->end && s[k] >= '0' && s[k] <= '9') k++;
    *is_int = false;
  }
  if (k < p->end && (s[k] == 'e' || s[k] == 'E')) {
    k++;
    if (k < p->end && (s[k] == '-' || s[k] == '+')) k++;
    if (k >= p->end || s[k] < '0' || s[k] > '9') return fail_at(p, k, "expected a digit in the exponent");
    while (k < p->end && s[k] >= '0' && s[k] <= '9') k++;
    *is_int = false;
  }
  if (k < p->end && (is_label_char((unsigned char)s[k]) || s[k] == '.'))
    return fail_at(p, p->i, "invalid number '%.*s' (decimal, no leading zeros)", (int)(k - p->i + 1), s + p->i);
  *len = k - p->i;
  return true;
}

static bool parse_int(parser *p, wc_prim prim, wc_value *out) {
  static const struct { wc_prim prim; wc_value_kind kind; bool sign; unsigned bits; } tab[] = {
    {WC_S8, WC_V_S8, true, 8}, {WC_U8, WC_V_U8, false, 8}, {WC_S16, WC_V_S16, true, 16},
    {WC_U16, WC_V_U16, false, 16}, {WC_S32, WC_V_S32, true, 32}, {WC_U32, WC_V_U32, false, 32},
    {WC_S64, WC_V_S64, true, 64}, {WC_U64, WC_V_U64, false, 64},
  };
  unsigned k = 0;
  while (tab[k].prim != prim) k++;
  size_t at = p->i, len;
  bool is_int;
  if (!scan_number(p, &len, &is_int)) {
    if (p->failed) return false;
    return fail_at(p, at, "expected %s, found %s", wc_prim_name(prim), found_here(p).s);
  }
  if (!is_int) return fail_at(p, at, "expected an integer for %s, found '%.*s'", wc_prim_name(prim), (int)len, p->s + at);
  bool neg = p->s[at] == '-';
  uint64_t mag = 0;
  bool overflow = false;
  for (size_t j = at + neg; j < at + len; j++) {
    unsigned d = (unsigned)(p->s[j] - '0');
    if (mag > (UINT64_MAX - d) / 10) overflow = true;
    else mag = mag * 10 + d;
  }
  unsigned bits = tab[k].bits;
  uint64_t max_pos = tab[k].sign ? (UINT64_C(1) << (bits - 1)) - 1 : (bits == 64 ? UINT64_MAX : (UINT64_C(1) << bits) - 1);
  uint64_t max_neg = tab[k].sign ? UINT64_C(1) << (bits - 1) : 0;
  if (overflow || (neg ? mag > max_neg : mag > max_pos))
    return fail_at(p, at, "%.*s is out of range for %s", (int)len, p->s + at, wc_prim_name(prim));
  out->kind = tab[k].kind;
  if (tab[k].sign) out->u.s = neg ? (int64_t)(0 - mag) : (int64_t)mag;
  else out->u.u = mag;
  p->i = at + len;
  return true;
}

static bool parse_float(parser *p, bool is32, wc_value *out) {
  const char *tn = is32 ? "f32" : "f64";
  size_t at = p->i;
  double d;
  float f;
  out->kind = is32 ? WC_V_F32 : WC_V_F64;
  bool neg_inf = p->end - at >= 4 && memcmp(p->s + at, "-inf", 4) == 0 &&
                 (p->end - at == 4 || !is_label_char((unsigned char)p->s[at + 4]));
  if (neg_inf || peek(p) == '%' || (peek(p) >= 'a' && peek(p) <= 'z') || (peek(p) >= 'A' && peek(p) <= 'Z')) {
    size_t k = at + (peek(p) == '%');
    while (k < p->end && is_label_char((unsigned char)p->s[k])) k++;
    bool is_inf = k - at == 3 && memcmp(p->s + at, "inf", 3) == 0;
    bool is_nan = k - at == 3 && memcmp(p->s + at, "nan", 3) == 0;
    if (!neg_inf && !is_inf && !is_nan) return fail_at(p, at, "expected %s, found %s", tn, found_here(p).s);
    p->i = neg_inf ? at + 4 : k;
    if (neg_inf) d = -INFINITY;
    else if (is_inf) d = INFINITY;
    else {   /* the canonical NaN, as lifting produces */
      uint32_t b32 = 0x7fc00000;
      uint64_t b64 = UINT64_C(0x7ff8000000000000);
      if (is32) memcpy(&out->u.f32, &b32, 4); else memcpy(&out->u.f64, &b64, 8);
      return true;
    }
    if (is32) out->u.f32 = (float)d; else out->u.f64 = d;
    return true;
  }
  size_t len;
  bool is_int;
  if (!scan_number(p, &len, &is_int)) {
    if (p->failed) return false;
    return fail_at(p, at, "expected %s, found %s", tn, found_here(p).s);
  }
  /* strtod/strtof need a terminated copy; numbers are usually short. */
  char small[64];
  char *buf = len < sizeof small ? small : malloc(len + 1);
  if (!buf) return fail_at(p, at, "out of memory");
  memcpy(buf, p->s + at, len);
  buf[len] = 0;
  if (is32) f = strtof(buf, NULL), d = f; else d = strtod(buf, NULL);
  if (buf != small) free(buf);
  if (isinf(d)) return fail_at(p, at, "%.*s is out of range for %s", (int)len, p->s + at, tn);
  if (is32) out->u.f32 = f; else out->u.f64 = d;
  p->i = at + len;
  return true;
}

/* An escape at s[k] == '\\': \' \" \\ \t \n \r \u{1-6 hex digits}. */
static bool read_escape(parser *p, size_t k, size_t lim, uint32_t *cp, size_t *len) {
  if (k + 1 >= lim) return fail_at(p, k, "unterminated escape");
  char c = p->s[k + 1];
  *len = 2;
  switch (c) {
  case '\'': *cp = '\''; return true;
  case '"': *cp = '"'; return true;
  case '\\': *cp = '\\'; return true;
  case 't': *cp = '\t'; return true;
  case 'n': *cp = '\n'; return true;
  case 'r': *cp = '\r'; return true;
  case 'u': break;
  default: return fail_at(p, k, "invalid escape '\\%c' (use \\' \\\" \\\\ \\t \\n \\r \\u{...})", c >= 0x20 && c < 0x7f ? c : '?');
  }
  size_t j = k + 2;
  if (j >= lim || p->s[j] != '{') return fail_at(p, k, "expected '{' after \\u");
  j++;
  uint32_t v = 0;
  unsigned digits = 0;
  for (; j < lim && p->s[j] != '}'; j++) {
    char h = p->s[j];
    unsigned d;
    if (h >= '0' && h <= '9') d = (unsigned)(h - '0');
    else if (h >= 'a' && h <= 'f') d = (unsigned)(h - 'a' + 10);
    else if (h >= 'A' && h <= 'F') d = (unsigned)(h - 'A' + 10);
    else return fail_at(p, j, "expected a hex digit or '}' in \\u{...}");
    if (++digits > 6) return fail_at(p, k, "\\u{...} has more than 6 hex digits");
    v = v << 4 | d;
  }
  if (j >= lim) return fail_at(p, k, "unterminated \\u{...}");
  if (digits == 0) return fail_at(p, k, "empty \\u{}");
  if (!is_scalar(v)) return fail_at(p, k, "\\u{%" PRIX32 "} is not a Unicode scalar value", v);
  *cp = v;
  *len = j + 1 - k;
  return true;
}

/* Decodes the characters of s[from..to) (escapes, UTF-8 checked; no raw
 * line break) into dst; *n gets the bytes written. */
static bool decode_chars(parser *p, size_t from, size_t to, char *dst, size_t *n) {
  size_t w = 0;
  for (size_t k = from; k < to;) {
    uint32_t cp;
    size_t len;
    unsigned char c = (unsigned char)p->s[k];
    if (c == '\\') {
      if (!read_escape(p, k, to, &cp, &len)) return false;
      w += utf8_encode(cp, dst + w);
    } else if (c == '\n') {
      return fail_at(p, k, "line break in a string (write \\n)");
    } else {
      len = utf8_decode((const unsigned char *)p->s + k, to - k, &cp);
      if (!len) return fail_at(p, k, "invalid UTF-8");
      memcpy(dst + w, p->s + k, len);
      w += len;
    }
    k += len;
  }
  *n = w;
  return true;
}

static bool parse_char(parser *p, wc_value *out) {
  size_t at = p->i;
  if (peek(p) != '\'') return fail_at(p, at, "expected char, found %s", found_here(p).s);
  size_t k = at + 1;
  if (k >= p->end) return fail_at(p, at, "unterminated char");
  uint32_t cp;
  size_t len;
  unsigned char c = (unsigned char)p->s[k];
  if (c == '\'') return fail_at(p, at, "empty char ('')");
  if (c == '\n') return fail_at(p, k, "line break in a char (write '\\n')");
  if (c == '\\') {
    if (!read_escape(p, k, p->end, &cp, &len)) return false;
  } else {
    len = utf8_decode((const unsigned char *)p->s + k, p->end - k, &cp);
    if (!len) return fail_at(p, k, "invalid UTF-8");
  }
  k += len;
  if (k >= p->end || p->s[k] != '\'') return fail_at(p, at, "a char holds exactly one character (missing closing ')");
  out->kind = WC_V_CHAR;
  out->u.ch = cp;
  p->i = k + 1;
  return true;
}

/* How many of s[0..n) are spaces, from the start. */
static size_t memspn_spaces(const char *s, size_t n) {
  size_t k = 0;
  while (k < n && s[k] == ' ') k++;
  return k;
}

/* `"""` LF lines LF spaces `"""`: the closing line's spaces are the indent
 * every line starts with (and loses); the first and last line breaks are
 * not part of the string. */
static bool parse_multiline(parser *p, wc_value *out) {
  size_t at = p->i, body = at + 3, close = SIZE_MAX;
  for (size_t k = body; k + 3 <= p->end; k++)
    if (p->s[k] == '"' && p->s[k + 1] == '"' && p->s[k + 2] == '"') { close = k; break; }
  if (close == SIZE_MAX) return fail_at(p, at, "unterminated multi-line string");
  size_t first = body;
  if (first < close && p->s[first] == '\r') first++;
  if (first >= close || p->s[first] != '\n') return fail_at(p, at, "opening \"\"\" must be followed by a line break");
  first++;
  size_t last_nl = close;
  while (p->s[last_nl - 1] != '\n') last_nl--;  /* terminates: s[first-1] is '\n' */
  size_t indent = close - last_nl;
  for (size_t k = last_nl; k < close; k++)
    if (p->s[k] != ' ') return fail_at(p, close, "closing \"\"\" must be on a line of its own, after spaces only");
  if (close - at > WC_MAX_STRING_BYTES) return fail_at(p, at, "string too long");
  char *dst = wc_arena_alloc(p->a, close - at + 1);
  if (!dst) return fail_at(p, at, "out of memory");
  size_t w = 0;
  /* Lines are [line, nl) for each line break nl from `first` up to last_nl-1. */
  for (size_t line = first; line < last_nl;) {
    size_t nl = line;
    while (p->s[nl] != '\n') nl++;
    if (nl - line < indent || memspn_spaces(p->s + line, indent) != indent)
      return fail_at(p, line, "lines must be indented at least as much as the closing \"\"\"");
    size_t lend = nl;
    if (lend > line + indent && p->s[lend - 1] == '\r') lend--;
    if (line != first) dst[w++] = '\n';
    size_t n;
    if (!decode_chars(p, line + indent, lend, dst + w, &n)) return false;
    w += n;
    line = nl + 1;
  }
  out->kind = WC_V_STRING;
  out->u.str.ptr = dst;
  out->u.str.len = (uint32_t)w;
  p->i = close + 3;
  return true;
}

static bool parse_string(parser *p, wc_value *out) {
  size_t at = p->i;
  if (peek(p) != '"') return fail_at(p, at, "expected string, found %s", found_here(p).s);
  if (p->end - at >= 3 && p->s[at + 1] == '"' && p->s[at + 2] == '"') return parse_multiline(p, out);
  size_t k = at + 1;
  while (k < p->end && p->s[k] != '"') {
    if (p->s[k] == '\n') return fail_at(p, k, "line break in a string (write \\n)");
    k += p->s[k] == '\\' && k + 1 < p->end ? 2 : 1;
  }
  if (k >= p->end) return fail_at(p, at, "unterminated string");
  if (k - at > WC_MAX_STRING_BYTES) return fail_at(p, at, "string too long");
  char *dst = wc_arena_alloc(p->a, k - at);
  if (!dst) return fail_at(p, at, "out of memory");
  size_t n;
  if (!decode_chars(p, at + 1, k, dst, &n)) return false;
  out->kind = WC_V_STRING;
  out->u.str.ptr = dst;
  out->u.str.len = (uint32_t)n;
  p->i = k + 1;
  return true;
}

static bool parse_value(parser *p, wc_val t, wc_value *out, unsigned depth);

static wc_value *alloc_values(parser *p, size_t n, size_t at) {
  wc_value *v = wc_arena_alloc(p->a, (n ? n : 1) * sizeof *v);
  if (!v) fail_at(p, at, "out of memory");
  return v;
}

/* `case` or `case(payload)` given the case's label; shared by variants,
 * options and results. */
static bool parse_payload(parser *p, const wc_item *c, const char *case_name, size_t at, wc_val t, wc_value *out,
                          unsigned depth) {
  skip_ws(p);
  if (!c->has_type) {
    if (peek(p) == '(') return fail_at(p, p->i, "case '%s' of %s has no payload", case_name, type_name(p->T, t).s);
    out->u.var.payload = NULL;
    return true;
  }
  if (peek(p) != '(') return fail_at(p, at, "case '%s' of %s takes a payload: %s(...)", case_name, type_name(p->T, t).s, case_name);
  p->i++;
  wc_value *pl = alloc_values(p, 1, at);
  if (!pl || !parse_value(p, c->type, pl, depth + 1)) return false;
  out->u.var.payload = pl;
  return expect_char(p, ')', "after the payload of", t);
}

static bool parse_record(parser *p, wc_val t, const wc_type *ty, wc_value *out, unsigned depth) {
  size_t open = p->i;
  if (!expect_char(p, '{', "to start", t)) return false;
  uint32_t n = ty->nitems;
  wc_value *fields = alloc_values(p, n, open);
  bool *seen = wc_arena_alloc(p->a, n ? n : 1);
  if (!fields || !seen) return fields ? fail_at(p, open, "out of memory") : false;
  memset(seen, 0, n);
  skip_ws(p);
  bool empty_form = false;
  if (peek(p) == ':') {          /* `{:}`: every field left out */
    p->i++;
    if (!expect_char(p, '}', "to end the empty", t)) return false;
    empty_form = true;
  } else if (peek(p) == '}') {
    p->i++;
  } else {
    for (bool done = false; !done;) {
      label l;
      if (!read_label(p, &l, "a field name", t)) return false;
      int64_t k = find_item(ty->items, n, &l);
      if (k < 0) return fail_at(p, l.at, "unknown field '%.*s' in %s", (int)l.len, l.ptr, type_name(p->T, t).s);
      if (seen[k]) return fail_at(p, l.at, "duplicate field '%.*s' in %s", (int)l.len, l.ptr, type_name(p->T, t).s);
      seen[k] = true;
      if (!expect_char(p, ':', "after a field name in", t)) return false;
      skip_ws(p);
      if (!parse_value(p, ty->items[k].type, &fields[k], depth + 1)) return false;
      if (!sequence_next(p, '}', t, &done)) return false;
    }
  }
  bool any = false;
  for (uint32_t k = 0; k < n; k++) {
    any |= seen[k];
    if (seen[k]) continue;
    if (!is_option(p->T, ty->items[k].type))
      return fail_at(p, p->i - 1, "missing field '%.*s' in %s", (int)ty->items[k].name.len, ty->items[k].name.ptr,
                     type_name(p->T, t).s);
    fields[k] = (wc_value){.kind = WC_V_VARIANT, .u.var = {.index = 0, .payload = NULL}};
  }
  if (!any && !empty_form)
    return fail_at(p, open, "a record with every field left out is written {:}");
  out->kind = WC_V_RECORD;
  out->u.seq.v = fields;
  out->u.seq.n = n;
  return true;
}

static bool parse_flags(parser *p, wc_val t, const wc_type *ty, wc_value *out) {
  if (!expect_char(p, '{', "to start", t)) return false;
  if (ty->nitems > 32) return fail_at(p, p->i - 1, "flags with more than 32 labels are not supported");
  uint32_t bits = 0;
  skip_ws(p);
  if (peek(p) == '}') {
    p->i++;
  } else {
    for (bool done = false; !done;) {
      label l;
      if (!read_label(p, &l, "a flag", t)) return false;
      int64_t k = find_item(ty->items, ty->nitems, &l);
      if (k < 0) return fail_at(p, l.at, "unknown flag '%.*s' in %s", (int)l.len, l.ptr, type_name(p->T, t).s);
      if (bits >> k & 1) return fail_at(p, l.at, "duplicate flag '%.*s' in %s", (int)l.len, l.ptr, type_name(p->T, t).s);
      bits |= UINT32_C(1) << k;
      if (!sequence_next(p, '}', t, &done)) return false;
    }
  }
  out->kind = WC_V_FLAGS;
  out->u.flags = bits;
  return true;
}

/* A case label of a variant or enum: a keyword must be written with '%'. */
static bool read_case(parser *p, wc_val t, const wc_type *ty, label *l, uint32_t *index) {
  if (!read_label(p, l, "a case", t)) return false;
  if (!l->pct && is_keyword(l->ptr, l->len))
    return fail_at(p, l->at, "'%.*s' is a keyword: write a case of %s as %%%.*s", (int)l->len, l->ptr,
                   type_name(p->T, t).s, (int)l->len, l->ptr);
  int64_t k = find_item(ty->items, ty->nitems, l);
  if (k < 0) return fail_at(p, l->at, "unknown case '%.*s' of %s", (int)l->len, l->ptr, type_name(p->T, t).s);
  *index = (uint32_t)k;
  return true;
}

static bool parse_variant(parser *p, wc_val t, const wc_type *ty, wc_value *out, unsigned depth) {
  label l;
  uint32_t k = 0;
  if (!read_case(p, t, ty, &l, &k)) return false;
  char name[64];
  snprintf(name, sizeof name, "%.*s", (int)l.len, l.ptr);
  out->kind = WC_V_VARIANT;
  out->u.var.index = k;
  return parse_payload(p, &ty->items[k], name, l.at, t, out, depth);
}

static bool parse_enum(parser *p, wc_val t, const wc_type *ty, wc_value *out) {
  label l;
  uint32_t k = 0;
  if (!read_case(p, t, ty, &l, &k)) return false;
  out->kind = WC_V_VARIANT;
  out->u.var.index = k;
  out->u.var.payload = NULL;
  return true;
}

/* If the cursor is at one of the unprefixed keywords a and b, consumes it
 * and returns 1 or 2; else 0 with the cursor unmoved. */
static int keyword_here(parser *p, const char *a, const char *b) {
  size_t k = p->i;
  while (k < p->end && is_label_char((unsigned char)p->s[k])) k++;
  size_t n = k - p->i;
  if (n == strlen(a) && memcmp(p->s + p->i, a, n) == 0) { p->i = k; return 1; }
  if (n == strlen(b) && memcmp(p->s + p->i, b, n) == 0) { p->i = k; return 2; }
  return 0;
}

static bool parse_option(parser *p, wc_val t, const wc_type *ty, wc_value *out, unsigned depth) {
  size_t at = p->i;
  out->kind = WC_V_VARIANT;
  int kw = keyword_here(p, "none", "some");
  if (kw) {
    wc_item c = {.type = ty->elem, .has_type = kw == 2};
    out->u.var.index = (uint32_t)(kw - 1);
    return parse_payload(p, &c, kw == 1 ? "none" : "some", at, t, out, depth);
  }
  /* The flat form: the payload alone, unless it is itself an option/result. */
  if (is_option_or_result(p->T, ty->elem))
    return fail_at(p, at, "expected some(...) or none for %s, found %s", type_name(p->T, t).s, found_here(p).s);
  wc_value *pl = alloc_values(p, 1, at);
  if (!pl || !parse_value(p, ty->elem, pl, depth + 1)) return false;
  out->u.var.index = 1;
  out->u.var.payload = pl;
  return true;
}

static bool parse_result(parser *p, wc_val t, const wc_type *ty, wc_value *out, unsigned depth) {
  size_t at = p->i;
  out->kind = WC_V_VARIANT;
  int kw = keyword_here(p, "ok", "err");
  if (kw) {
    out->u.var.index = (uint32_t)(kw - 1);
    return parse_payload(p, &ty->items[kw - 1], kw == 1 ? "ok" : "err", at, t, out, depth);
  }
  const wc_item *ok = &ty->items[0];
  if (!ok->has_type || is_option_or_result(p->T, ok->type))
    return fail_at(p, at, "expected ok or err for %s, found %s", type_name(p->T, t).s, found_here(p).s);
  wc_value *pl = alloc_values(p, 1, at);
  if (!pl || !parse_value(p, ok->type, pl, depth + 1)) return false;
  out->u.var.index = 0;
  out->u.var.payload = pl;
  return true;
}

static bool parse_tuple(parser *p, wc_val t, const wc_type *ty, wc_value *out, unsigned depth) {
  size_t open = p->i;
  if (!expect_char(p, '(', "to start", t)) return false;
  uint32_t n = ty->nitems;
  wc_value *v = alloc_values(p, n, open);
  if (!v) return false;
  bool done = false;
  uint32_t k = 0;
  skip_ws(p);
  if (peek(p) == ')') { p->i++; done = true; }
  for (; !done && k < n; k++) {
    skip_ws(p);
    if (!parse_value(p, ty->items[k].type, &v[k], depth + 1)) return false;
    skip_ws(p);
    if (k + 1 == n && peek(p) != ',' && peek(p) != ')')
      return fail_at(p, p->i, "expected ')' after the %u values of %s, found %s", n, type_name(p->T, t).s, found_here(p).s);
    if (!sequence_next(p, ')', t, &done)) return false;
  }
  if (k < n) return fail_at(p, p->i - 1, "%s has %u values, found %u", type_name(p->T, t).s, n, k);
  if (!done) return fail_at(p, p->i, "expected ')' after the %u values of %s, found %s", n, type_name(p->T, t).s, found_here(p).s);
  out->kind = WC_V_RECORD;
  out->u.seq.v = v;
  out->u.seq.n = n;
  return true;
}

static bool parse_list(parser *p, wc_val t, const wc_type *ty, wc_value *out, unsigned depth) {
  size_t open = p->i;
  if (!expect_char(p, '[', "to start", t)) return false;
  /* Elements collect in a malloc'd array (the arena cannot grow one in
   * place) and are copied to the arena at the end. */
  wc_value *tmp = NULL;
  uint32_t n = 0, cap = 0;
  bool ok = true, done = false;
  skip_ws(p);
  if (peek(p) == ']') { p->i++; done = true; }
  while (ok && !done) {
    if (n >= WC_MAX_LIST_BYTES) { ok = fail_at(p, p->i, "list too long"); break; }
    if (!rt_grow((void **)&tmp, &cap, n + 1, sizeof *tmp)) { ok = fail_at(p, p->i, "out of memory"); break; }
    skip_ws(p);
    ok = parse_value(p, ty->elem, &tmp[n], depth + 1) && sequence_next(p, ']', t, &done);
    n++;
  }
  if (ok && ty->kind == WC_T_FIXED_LIST && n != ty->len)
    ok = fail_at(p, open, "%s has %u elements, found %u", type_name(p->T, t).s, ty->len, n);
  wc_value *v = ok ? alloc_values(p, n, open) : NULL;
  if (v && n) memcpy(v, tmp, n * sizeof *v);
  free(tmp);
  if (!v) return false;
  out->kind = WC_V_LIST;
  out->u.seq.v = v;
  out->u.seq.n = n;
  return true;
}

static bool parse_prim(parser *p, wc_prim prim, wc_value *out) {
  switch (prim) {
  case WC_BOOL: {
    size_t at = p->i;
    int kw = keyword_here(p, "false", "true");
    if (!kw) return fail_at(p, at, "expected true or false, found %s", found_here(p).s);
    out->kind = WC_V_BOOL;
    out->u.b = kw == 2;
    return true;
  }
  case WC_S8: case WC_U8: case WC_S16: case WC_U16: case WC_S32: case WC_U32: case WC_S64: case WC_U64:
    return parse_int(p, prim, out);
  case WC_F32: return parse_float(p, true, out);
  case WC_F64: return parse_float(p, false, out);
  case WC_CHAR: return parse_char(p, out);
  case WC_STRING: return parse_string(p, out);
  case WC_ERROR_CONTEXT: break;
  }
  return fail_at(p, p->i, "%s values cannot be written in WAVE", wc_prim_name(prim));
}

static bool parse_value(parser *p, wc_val t, wc_value *out, unsigned depth) {
  skip_ws(p);
  if (depth > WC_WAVE_MAX_DEPTH) return fail_at(p, p->i, "value nested too deeply (more than %u levels)", WC_WAVE_MAX_DEPTH);
  resolved r = resolve(p->T, t);
  if (!r.ty) return parse_prim(p, r.prim, out);
  const wc_type *ty = r.ty;
  switch (ty->kind) {
  case WC_T_RECORD: return parse_record(p, t, ty, out, depth);
  case WC_T_VARIANT: return parse_variant(p, t, ty, out, depth);
  case WC_T_LIST: case WC_T_FIXED_LIST: return parse_list(p, t, ty, out, depth);
  case WC_T_TUPLE: return parse_tuple(p, t, ty, out, depth);
  case WC_T_FLAGS: return parse_flags(p, t, ty, out);
  case WC_T_ENUM: return parse_enum(p, t, ty, out);
  case WC_T_OPTION: return parse_option(p, t, ty, out, depth);
  case WC_T_RESULT: return parse_result(p, t, ty, out, depth);
  case WC_T_OWN: case WC_T_BORROW:
    return fail_at(p, p->i, "resource handles (%s) cannot be written in WAVE", type_name(p->T, t).s);
  default:
    return fail_at(p, p->i, "not a value type");
  }
}

static parser parser_init(const wc_types *T, const char *text, size_t end, wc_arena *a, char *err, size_t errlen) {
  if (err && errlen) err[0] = 0;
  return (parser){.T = T, .s = text, .i = 0, .end = end, .a = a, .err = err, .errlen = errlen};
}

bool wc_wave_parse(const wc_types *types, wc_val t, const char *text, size_t len, wc_arena *a, wc_value *out,
                   char *err, size_t errlen) {
  parser p = parser_init(types, text, len, a, err, errlen);
  if (!parse_value(&p, t, out, 1)) return false;
  skip_ws(&p);
  if (p.i < p.end) return fail_at(&p, p.i, "unexpected %s after the value", found_here(&p).s);
  return true;
}

bool wc_wave_parse_args(const wc_types *types, const wc_val *ts, uint32_t nts, const char *text, size_t len,
                        size_t off, size_t n, wc_arena *a, wc_value *out, char *err, size_t errlen) {
  parser p = parser_init(types, text, off + n <= len ? off + n : len, a, err, errlen);
  p.i = off;
  for (uint32_t k = 0; k < nts; k++) {
    skip_ws(&p);
    if (p.i >= p.end) {           /* left out: only options, which are none */
      if (!is_option(types, ts[k]))
        return fail_at(&p, p.i, "missing argument %u (%s)", k + 1, type_name(types, ts[k]).s);
      out[k] = (wc_value){.kind = WC_V_VARIANT, .u.var = {.index = 0, .payload = NULL}};
      continue;
    }
    if (!parse_value(&p, ts[k], &out[k], 1)) return false;
    skip_ws(&p);
    if (p.i < p.end) {
      if (peek(&p) != ',') return fail_at(&p, p.i, "expected ',' after argument %u, found %s", k + 1, found_here(&p).s);
      p.i++;
    }
  }
  skip_ws(&p);
  if (p.i < p.end) return fail_at(&p, p.i, "too many arguments: expected %u", nts);
  return true;
}

bool wc_wave_split_call(const char *text, size_t len, size_t *name_off, size_t *name_len, size_t *args_off,
                        size_t *args_len, char *err, size_t errlen) {
  parser p = parser_init(NULL, text, len, NULL, err, errlen);
  const char *open = memchr(text, '(', len);
  size_t b = 0, e = open ? (size_t)(open - text) : len;
  while (b < e && strchr(" \t\r\n", text[b])) b++;
  while (e > b && strchr(" \t\r\n", text[e - 1])) e--;
  if (!open) return fail_at(&p, len, "expected NAME(ARGS...)");
  if (b == e) return fail_at(&p, b, "expected a function name before '('");
  size_t close = len;
  while (close > 0 && strchr(" \t\r\n", text[close - 1])) close--;
  if (close == 0 || text[close - 1] != ')' || close - 1 <= (size_t)(open - text))
    return fail_at(&p, close, "expected ')' at the end of the call");
  *name_off = b;
  *name_len = e - b;
  *args_off = (size_t)(open - text) + 1;
  *args_len = close - 1 - *args_off;
  return true;
}

/* ---- the printer ------------------------------------------------------- */

void wc_wave_buf_free(wc_wave_buf *b) {
  free(b->p);
  *b = (wc_wave_buf){.p = NULL};
}

static bool bad(wc_wave_buf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static bool bad(wc_wave_buf *b, const char *fmt, ...) {
  if (!b->failed) {
    b->failed = true;
    va_list ap;
    va_start(ap, fmt);
    vsnprintf(b->err, sizeof b->err, fmt, ap);
    va_end(ap);
  }
  return false;
}

static bool put(wc_wave_buf *b, const char *s, size_t n) {
  if (b->failed) return false;
  if (b->len + n + 1 > b->cap) {
    size_t c = b->cap ? b->cap : 64;
    while (c < b->len + n + 1) {
      if (c > SIZE_MAX / 2) return bad(b, "out of memory");
      c *= 2;
    }
    char *q = realloc(b->p, c);
    if (!q) return bad(b, "out of memory");
    b->p = q;
    b->cap = c;
  }
  memcpy(b->p + b->len, s, n);
  b->len += n;
  b->p[b->len] = 0;
  return true;
}
static bool puts_(wc_wave_buf *b, const char *s) { return put(b, s, strlen(s)); }

/* Escapes \ and the quote in use, tab, CR, LF, and other control characters
 * (U+0000-001F, U+007F-009F) as \u{..}; everything else is written as is. */
static bool put_char_escaped(wc_wave_buf *b, uint32_t cp, char quote) {
  char tmp[16];
  switch (cp) {
  case '\\': return puts_(b, "\\\\");
  case '\t': return puts_(b, "\\t");
  case '\n': return puts_(b, "\\n");
  case '\r': return puts_(b, "\\r");
  default: break;
  }
  if (cp == (uint32_t)quote) { tmp[0] = '\\'; tmp[1] = quote; return put(b, tmp, 2); }
  if (cp < 0x20 || (cp >= 0x7f && cp <= 0x9f)) {
    snprintf(tmp, sizeof tmp, "\\u{%" PRIx32 "}", cp);
    return puts_(b, tmp);
  }
  return put(b, tmp, utf8_encode(cp, tmp));
}

/* The shortest %g form that reads back as the same value. */
static bool put_float(wc_wave_buf *b, double d, bool is32) {
  if (isnan(d)) return puts_(b, "nan");
  if (isinf(d)) return puts_(b, d > 0 ? "inf" : "-inf");
  char tmp[40];
  for (int prec = 1; prec <= 17; prec++) {
    snprintf(tmp, sizeof tmp, "%.*g", prec, d);
    if (is32 ? strtof(tmp, NULL) == (float)d : strtod(tmp, NULL) == d) break;
  }
  return puts_(b, tmp);
}

static bool print_value(const wc_types *T, wc_val t, const wc_value *v, wc_wave_buf *b, unsigned depth);

static bool print_prim(wc_prim prim, const wc_value *v, wc_wave_buf *b) {
  static const struct { wc_prim prim; wc_value_kind kind; int64_t min; uint64_t max; } tab[] = {
    {WC_S8, WC_V_S8, INT8_MIN, INT8_MAX}, {WC_U8, WC_V_U8, 0, UINT8_MAX},
    {WC_S16, WC_V_S16, INT16_MIN, INT16_MAX}, {WC_U16, WC_V_U16, 0, UINT16_MAX},
    {WC_S32, WC_V_S32, INT32_MIN, INT32_MAX}, {WC_U32, WC_V_U32, 0, UINT32_MAX},
    {WC_S64, WC_V_S64, INT64_MIN, INT64_MAX}, {WC_U64, WC_V_U64, 0, UINT64_MAX},
  };
  char tmp[32];
  for (unsigned k = 0; k < sizeof tab / sizeof tab[0]; k++) {
    if (tab[k].prim != prim) continue;
    if (v->kind != tab[k].kind) return bad(b, "expected a %s value", wc_prim_name(prim));
    bool sign = tab[k].min < 0;
    if (sign ? v->u.s < tab[k].min || v->u.s > (int64_t)tab[k].max : v->u.u > tab[k].max)
      return bad(b, "%s value out of range", wc_prim_name(prim));
    if (sign) snprintf(tmp, sizeof tmp, "%" PRId64, v->u.s); else snprintf(tmp, sizeof tmp, "%" PRIu64, v->u.u);
    return puts_(b, tmp);
  }
  switch (prim) {
  case WC_BOOL:
    if (v->kind != WC_V_BOOL) return bad(b, "expected a bool value");
    return puts_(b, v->u.b ? "true" : "false");
  case WC_F32:
    if (v->kind != WC_V_F32) return bad(b, "expected an f32 value");
    return put_float(b, v->u.f32, true);
  case WC_F64:
    if (v->kind != WC_V_F64) return bad(b, "expected an f64 value");
    return put_float(b, v->u.f64, false);
  case WC_CHAR:
    if (v->kind != WC_V_CHAR) return bad(b, "expected a char value");
    if (!is_scalar(v->u.ch)) return bad(b, "char U+%" PRIX32 " is not a Unicode scalar value", v->u.ch);
    return puts_(b, "'") && put_char_escaped(b, v->u.ch, '\'') && puts_(b, "'");
  case WC_STRING: {
    if (v->kind != WC_V_STRING) return bad(b, "expected a string value");
    if (!puts_(b, "\"")) return false;
    const unsigned char *s = (const unsigned char *)v->u.str.ptr;
    for (uint32_t k = 0; k < v->u.str.len;) {
      uint32_t cp;
      size_t len = utf8_decode(s + k, v->u.str.len - k, &cp);
      if (!len) return bad(b, "string is not UTF-8");
      if (!put_char_escaped(b, cp, '"')) return false;
      k += (uint32_t)len;
    }
    return puts_(b, "\"");
  }
  default:
    return bad(b, "%s values cannot be written in WAVE", wc_prim_name(prim));
  }
}

static bool put_label(wc_wave_buf *b, wc_str name, bool may_be_keyword) {
  if (may_be_keyword && is_keyword(name.ptr, name.len) && !puts_(b, "%")) return false;
  return put(b, name.ptr, name.len);
}

/* `case` or `case(payload)`. */
static bool print_case(const wc_types *T, const wc_item *c, wc_str name, bool pct, const wc_value *v,
                       wc_wave_buf *b, unsigned depth) {
  if (!put_label(b, name, pct)) return false;
  if (!c->has_type) return v->u.var.payload ? bad(b, "case '%.*s' has no payload", (int)name.len, name.ptr) : true;
  if (!v->u.var.payload) return bad(b, "case '%.*s' needs a payload", (int)name.len, name.ptr);
  return puts_(b, "(") && print_value(T, c->type, v->u.var.payload, b, depth + 1) && puts_(b, ")");
}

static bool print_seq(const wc_types *T, const wc_type *ty, const wc_value *v, wc_wave_buf *b, unsigned depth) {
  bool list = ty->kind == WC_T_LIST || ty->kind == WC_T_FIXED_LIST;
  if (!puts_(b, list ? "[" : "(")) return false;
  for (uint32_t k = 0; k < v->u.seq.n; k++) {
    if (k && !puts_(b, ", ")) return false;
    if (!print_value(T, list ? ty->elem : ty->items[k].type, &v->u.seq.v[k], b, depth + 1)) return false;
  }
  return puts_(b, list ? "]" : ")");
}

static bool print_value(const wc_types *T, wc_val t, const wc_value *v, wc_wave_buf *b, unsigned depth) {
  if (b->failed) return false;
  if (depth > WC_WAVE_MAX_DEPTH) return bad(b, "value nested too deeply (more than %u levels)", WC_WAVE_MAX_DEPTH);
  resolved r = resolve(T, t);
  if (!r.ty) return print_prim(r.prim, v, b);
  const wc_type *ty = r.ty;
  switch (ty->kind) {
  case WC_T_RECORD: {
    if (v->kind != WC_V_RECORD || v->u.seq.n != ty->nitems) return bad(b, "expected a record of %u fields", ty->nitems);
    if (!puts_(b, "{")) return false;
    bool any = false;
    for (uint32_t k = 0; k < ty->nitems; k++) {
      const wc_value *f = &v->u.seq.v[k];
      if (is_option(T, ty->items[k].type) && f->kind == WC_V_VARIANT && f->u.var.index == 0) continue;
      if ((any && !puts_(b, ", ")) || !put_label(b, ty->items[k].name, false) || !puts_(b, ": ") ||
          !print_value(T, ty->items[k].type, f, b, depth + 1))
        return false;
      any = true;
    }
    return puts_(b, any ? "}" : ":}");
  }
  case WC_T_TUPLE:
    if (v->kind != WC_V_RECORD || v->u.seq.n != ty->nitems) return bad(b, "expected a tuple of %u values", ty->nitems);
    return print_seq(T, ty, v, b, depth);
  case WC_T_LIST: case WC_T_FIXED_LIST:
    if (v->kind != WC_V_LIST) return bad(b, "expected a list");
    if (ty->kind == WC_T_FIXED_LIST && v->u.seq.n != ty->len) return bad(b, "expected a list of %u elements", ty->len);
    return print_seq(T, ty, v, b, depth);
  case WC_T_VARIANT: case WC_T_ENUM: {
    if (v->kind != WC_V_VARIANT || v->u.var.index >= ty->nitems) return bad(b, "expected a case index below %u", ty->nitems);
    const wc_item *c = &ty->items[v->u.var.index];
    wc_item none = {.has_type = false};
    return print_case(T, ty->kind == WC_T_ENUM ? &none : c, c->name, true, v, b, depth);
  }
  case WC_T_OPTION: {
    if (v->kind != WC_V_VARIANT || v->u.var.index > 1) return bad(b, "expected an option");
    wc_item c = {.type = ty->elem, .has_type = v->u.var.index == 1};
    return print_case(T, &c, v->u.var.index ? (wc_str){"some", 4} : (wc_str){"none", 4}, false, v, b, depth);
  }
  case WC_T_RESULT:
    if (v->kind != WC_V_VARIANT || v->u.var.index > 1) return bad(b, "expected a result");
    return print_case(T, &ty->items[v->u.var.index], v->u.var.index ? (wc_str){"err", 3} : (wc_str){"ok", 2}, false,
                      v, b, depth);
  case WC_T_FLAGS: {
    if (v->kind != WC_V_FLAGS) return bad(b, "expected flags");
    if (!puts_(b, "{")) return false;
    bool any = false;
    for (uint32_t k = 0; k < ty->nitems && k < 32; k++) {
      if (!(v->u.flags >> k & 1)) continue;
      if ((any && !puts_(b, ", ")) || !put_label(b, ty->items[k].name, false)) return false;
      any = true;
    }
    return puts_(b, "}");
  }
  case WC_T_OWN: case WC_T_BORROW: {
    if (v->kind != (ty->kind == WC_T_OWN ? WC_V_OWN : WC_V_BORROW)) return bad(b, "expected a resource handle");
    char tmp[24];
    snprintf(tmp, sizeof tmp, "#%" PRIu32, v->u.handle.rep);
    return puts_(b, type_name(T, t).s) && puts_(b, tmp);
  }
  default:
    return bad(b, "not a value type");
  }
}

bool wc_wave_print(const wc_types *types, wc_val t, const wc_value *v, wc_wave_buf *b) {
  return print_value(types, t, v, b, 1);
}

bool wc_wave_fprint(const wc_types *types, wc_val t, const wc_value *v, FILE *out) {
  wc_wave_buf b = {.p = NULL};
  bool ok = wc_wave_print(types, t, v, &b) && fwrite(b.p, 1, b.len, out) == b.len;
  wc_wave_buf_free(&b);
  return ok;
}

/* ---- equality ---------------------------------------------------------- */

bool wc_wave_equal(const wc_types *T, wc_val t, const wc_value *x, const wc_value *y) {
  if (x->kind != y->kind) return false;
  resolved r = resolve(T, t);
  switch (x->kind) {
  case WC_V_BOOL: return x->u.b == y->u.b;
  case WC_V_S8: case WC_V_S16: case WC_V_S32: case WC_V_S64: return x->u.s == y->u.s;
  case WC_V_U8: case WC_V_U16: case WC_V_U32: case WC_V_U64: return x->u.u == y->u.u;
  case WC_V_F32: return isnan(x->u.f32) ? isnan(y->u.f32) : memcmp(&x->u.f32, &y->u.f32, sizeof x->u.f32) == 0;
  case WC_V_F64: return isnan(x->u.f64) ? isnan(y->u.f64) : memcmp(&x->u.f64, &y->u.f64, sizeof x->u.f64) == 0;
  case WC_V_CHAR: return x->u.ch == y->u.ch;
  case WC_V_STRING: return x->u.str.len == y->u.str.len && memcmp(x->u.str.ptr, y->u.str.ptr, x->u.str.len) == 0;
  case WC_V_FLAGS: return x->u.flags == y->u.flags;
  case WC_V_OWN: case WC_V_BORROW: return x->u.handle.rt == y->u.handle.rt && x->u.handle.rep == y->u.handle.rep;
  case WC_V_LIST: case WC_V_RECORD:
    if (!r.ty || x->u.seq.n != y->u.seq.n) return false;
    if (r.ty->kind != WC_T_LIST && r.ty->kind != WC_T_FIXED_LIST && x->u.seq.n > r.ty->nitems) return false;
    for (uint32_t k = 0; k < x->u.seq.n; k++) {
      wc_val et = r.ty->kind == WC_T_LIST || r.ty->kind == WC_T_FIXED_LIST ? r.ty->elem : r.ty->items[k].type;
      if (!wc_wave_equal(T, et, &x->u.seq.v[k], &y->u.seq.v[k])) return false;
    }
    return true;
  case WC_V_VARIANT: {
    if (!r.ty || x->u.var.index != y->u.var.index) return false;
    if (r.ty->kind != WC_T_OPTION && x->u.var.index >= r.ty->nitems) return false;
    if (!x->u.var.payload || !y->u.var.payload) return x->u.var.payload == y->u.var.payload;
    wc_val pt = r.ty->kind == WC_T_OPTION ? r.ty->elem : r.ty->items[x->u.var.index].type;
    return wc_wave_equal(T, pt, x->u.var.payload, y->u.var.payload);
  }
  }
  return false;
}
