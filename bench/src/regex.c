/* regex.c — a backtracking regular-expression matcher (literals, `.`,
 * bracket classes with ranges and negation, `*` `+` `?`, anchors `^` `$`)
 * searching generated log lines for a handful of patterns: recursion, byte
 * compares and short loops, the shape of grep-like text tools. */
#include "bench.h"

#define TEXT_MAX (1 << 17)
static char text[TEXT_MAX];
static uint32_t text_len;

/* A compiled pattern: a sequence of atoms, each with a repetition. */
enum { A_CHAR, A_ANY, A_CLASS, A_BOL, A_EOL };
enum { R_ONE, R_STAR, R_PLUS, R_OPT };
typedef struct { uint8_t kind, rep, ch, negate; uint8_t set[32]; } atom;
#define ATOMS_MAX 32
typedef struct { atom a[ATOMS_MAX]; int n; } pattern;

static int compile(const char *p, pattern *out) {
  out->n = 0;
  while (*p) {
    if (out->n == ATOMS_MAX) return 0;
    atom *at = &out->a[out->n++];
    for (int i = 0; i < 32; i++) at->set[i] = 0;
    at->rep = R_ONE;
    at->negate = 0;
    char c = *p++;
    if (c == '.') at->kind = A_ANY;
    else if (c == '^') at->kind = A_BOL;
    else if (c == '$') at->kind = A_EOL;
    else if (c == '[') {
      at->kind = A_CLASS;
      if (*p == '^') { at->negate = 1; p++; }
      while (*p && *p != ']') {
        uint8_t lo = (uint8_t)*p++, hi = lo;
        if (*p == '-' && p[1] && p[1] != ']') { hi = (uint8_t)p[1]; p += 2; }
        for (unsigned ch = lo; ch <= hi; ch++) at->set[ch >> 3] |= (uint8_t)(1u << (ch & 7));
      }
      if (*p != ']') return 0;
      p++;
    } else {
      if (c == '\\' && *p) c = *p++;
      at->kind = A_CHAR;
      at->ch = (uint8_t)c;
    }
    if (*p == '*') { at->rep = R_STAR; p++; }
    else if (*p == '+') { at->rep = R_PLUS; p++; }
    else if (*p == '?') { at->rep = R_OPT; p++; }
  }
  return 1;
}

static int atom_matches(const atom *a, uint32_t i, uint32_t end) {
  if (i >= end) return 0;
  uint8_t c = (uint8_t)text[i];
  switch (a->kind) {
  case A_CHAR: return c == a->ch;
  case A_ANY: return 1;
  case A_CLASS: return ((a->set[c >> 3] >> (c & 7)) & 1) != a->negate;
  default: return 0;
  }
}

/* Does pattern atoms k.. match at text position i (line ends at `end`)?
 * Returns the end of the match + 1, or 0. */
static uint32_t match_here(const pattern *p, int k, uint32_t i, uint32_t start, uint32_t end) {
  for (; k < p->n; k++) {
    const atom *a = &p->a[k];
    if (a->kind == A_BOL) { if (i != start) return 0; continue; }
    if (a->kind == A_EOL) { if (i != end) return 0; continue; }
    if (a->rep == R_ONE) {
      if (!atom_matches(a, i, end)) return 0;
      i++;
      continue;
    }
    uint32_t min = a->rep == R_PLUS ? 1 : 0, n = 0;
    uint32_t max = a->rep == R_OPT ? 1 : 0xffffffffu;
    while (n < max && atom_matches(a, i + n, end)) n++;
    for (;;) { /* greedy, backing off one at a time */
      if (n < min) return 0;
      uint32_t r = match_here(p, k + 1, i + n, start, end);
      if (r) return r;
      if (n == 0) return 0;
      n--;
    }
  }
  return i + 1;
}

/* Counts lines with a match and sums match positions and lengths. */
static uint64_t search(const pattern *p) {
  uint64_t acc = 0;
  uint32_t start = 0;
  while (start < text_len) {
    uint32_t end = start;
    while (end < text_len && text[end] != '\n') end++;
    for (uint32_t i = start; i <= end; i++) {
      uint32_t r = match_here(p, 0, i, start, end);
      if (r) { acc += 1 + (i - start) * 3 + (r - 1 - i); break; }
      if (p->n && p->a[0].kind == A_BOL) break;
    }
    start = end + 1;
  }
  return acc;
}

static const char *const words[] = {"GET", "POST", "/index.html", "/api/v1/users", "200", "404", "500",
                                    "error", "warning", "timeout", "user=alice", "user=bob", "id=42",
                                    "latency_ms=17", "retry", "ok"};
static const char *const patterns[] = {
  "error.*timeout", "user=[a-z]+ id=[0-9]+", "^POST /api/v[0-9]+/", "[0-9][0-9][0-9] [a-z]+$",
  "lat[a-z_]*=1[0-9]?", "a.*b.*c.*d", "[^ ]+=bob", "(x|y)", "ok$",
};

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t seed = 99;
  text_len = 0;
  while (text_len < TEXT_MAX - 200) {
    int nw = 3 + (int)(bench_rand(&seed) % 9);
    for (int w = 0; w < nw; w++) {
      const char *s = words[bench_rand(&seed) & 15];
      while (*s) text[text_len++] = *s++;
      text[text_len++] = w + 1 < nw ? ' ' : '\n';
    }
  }
  uint64_t acc = 0;
  int rounds = BENCH_SIZE(70, 4);
  pattern p;
  for (int r = 0; r < rounds; r++)
    for (unsigned k = 0; k < sizeof patterns / sizeof *patterns; k++) {
      if (!compile(patterns[k], &p)) return 0;
      acc = acc * 31 + search(&p);
    }
  return acc;
}
