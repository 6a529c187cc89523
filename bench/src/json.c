/* json.c — a JSON encoder and decoder: builds a document (objects, arrays,
 * strings with escapes, integers, booleans, null) in an arena, encodes it to
 * text, decodes the text back into a second tree and checks both agree.
 * Byte-at-a-time scanning, a switch on the next character, recursion. */
#include "bench.h"

enum { J_NULL, J_FALSE, J_TRUE, J_NUM, J_STR, J_ARR, J_OBJ };
typedef struct {
  uint8_t kind;
  int64_t num;
  uint32_t str, len;    /* J_STR and object keys: bytes in the string pool */
  int32_t first, next;  /* children of arrays/objects, as a list */
  uint32_t key, keylen; /* for members of an object */
} jval;

#define VALS_MAX 32768
#define POOL_MAX (1 << 19)
#define OUT_MAX (1 << 20)

typedef struct {
  jval v[VALS_MAX];
  int32_t n;
  char pool[POOL_MAX];
  uint32_t pool_len;
} jdoc;

static jdoc a, b;
static char out[OUT_MAX];
static uint32_t out_len;

static int32_t jnew(jdoc *d, int kind) {
  if (d->n == VALS_MAX) return -1;
  d->v[d->n] = (jval){(uint8_t)kind, 0, 0, 0, -1, -1, 0, 0};
  return d->n++;
}

/* ---- building a document ---- */
static uint32_t pool_add_word(jdoc *d, uint64_t r, uint32_t *len) {
  static const char alphabet[] = "abcdefghijklmnopqrstuvwxyz _-\"\\/\n\t0123456789";
  uint32_t start = d->pool_len, n = 3 + (uint32_t)(r % 13);
  for (uint32_t i = 0; i < n && d->pool_len < POOL_MAX; i++) {
    r = r * 6364136223846793005ULL + 1442695040888963407ULL;
    d->pool[d->pool_len++] = alphabet[(r >> 33) % (sizeof alphabet - 1)];
  }
  *len = d->pool_len - start;
  return start;
}
static int32_t build(jdoc *d, uint64_t *seed, int depth) {
  uint64_t r = bench_rand(seed);
  int kind = depth == 0 || (r & 3) == 0 ? (int)(r % 5) : J_ARR + (int)((r >> 4) & 1);
  int32_t v = jnew(d, kind);
  if (v < 0) return -1;
  if (kind == J_NUM) d->v[v].num = (int64_t)(r >> 20) - (int64_t)(1ULL << 43);
  else if (kind == J_STR) d->v[v].str = pool_add_word(d, r >> 8, &d->v[v].len);
  else if (kind == J_ARR || kind == J_OBJ) {
    int n = 1 + (int)((r >> 16) % 5), last = -1;
    for (int i = 0; i < n; i++) {
      int32_t c = build(d, seed, depth - 1);
      if (c < 0) return -1;
      if (kind == J_OBJ) d->v[c].key = pool_add_word(d, bench_rand(seed), &d->v[c].keylen);
      if (last < 0) d->v[v].first = c; else d->v[last].next = c;
      last = c;
    }
  }
  return v;
}

/* ---- encoding ---- */
static void put(char c) { if (out_len < OUT_MAX) out[out_len++] = c; }
static void put_str(const char *s, uint32_t n) {
  static const char hex[] = "0123456789abcdef";
  put('"');
  for (uint32_t i = 0; i < n; i++) {
    uint8_t c = (uint8_t)s[i];
    if (c == '"' || c == '\\') { put('\\'); put((char)c); }
    else if (c == '\n') { put('\\'); put('n'); }
    else if (c < 0x20) { put('\\'); put('u'); put('0'); put('0'); put(hex[c >> 4]); put(hex[c & 15]); }
    else put((char)c);
  }
  put('"');
}
static void encode(const jdoc *d, int32_t v) {
  const jval *j = &d->v[v];
  switch (j->kind) {
  case J_NULL: put('n'); put('u'); put('l'); put('l'); break;
  case J_FALSE: put('f'); put('a'); put('l'); put('s'); put('e'); break;
  case J_TRUE: put('t'); put('r'); put('u'); put('e'); break;
  case J_NUM: {
    char buf[24];
    int n = 0;
    uint64_t m = j->num < 0 ? 0 - (uint64_t)j->num : (uint64_t)j->num;
    do { buf[n++] = (char)('0' + m % 10); m /= 10; } while (m);
    if (j->num < 0) put('-');
    while (n) put(buf[--n]);
    break;
  }
  case J_STR: put_str(d->pool + j->str, j->len); break;
  case J_ARR: case J_OBJ:
    put(j->kind == J_ARR ? '[' : '{');
    for (int32_t c = j->first; c >= 0; c = d->v[c].next) {
      if (c != j->first) put(',');
      if (j->kind == J_OBJ) { put_str(d->pool + d->v[c].key, d->v[c].keylen); put(':'); }
      encode(d, c);
    }
    put(j->kind == J_ARR ? ']' : '}');
    break;
  }
}

/* ---- decoding ---- */
static uint32_t in_pos;
static int bad;
static void skip_ws(void) { while (in_pos < out_len && (out[in_pos] == ' ' || out[in_pos] == '\n')) in_pos++; }
static int hexval(char c) { return c >= '0' && c <= '9' ? c - '0' : c >= 'a' && c <= 'f' ? c - 'a' + 10 : -1; }
static uint32_t parse_str(jdoc *d, uint32_t *len) {
  uint32_t start = d->pool_len;
  if (out[in_pos] != '"') { bad = 1; *len = 0; return start; }
  in_pos++;
  while (in_pos < out_len && out[in_pos] != '"') {
    char c = out[in_pos++];
    if (c == '\\') {
      char e = out[in_pos++];
      switch (e) {
      case 'n': c = '\n'; break;
      case 't': c = '\t'; break;
      case 'u': {
        int h = 0;
        for (int k = 0; k < 4; k++) { int x = hexval(out[in_pos++]); if (x < 0) bad = 1; h = h * 16 + x; }
        c = (char)h;
        break;
      }
      default: c = e; break;
      }
    }
    if (d->pool_len < POOL_MAX) d->pool[d->pool_len++] = c;
  }
  in_pos++;
  *len = d->pool_len - start;
  return start;
}
static int expect(const char *w) {
  while (*w) if (in_pos >= out_len || out[in_pos++] != *w++) return 0;
  return 1;
}
static int32_t parse(jdoc *d) {
  skip_ws();
  if (in_pos >= out_len) { bad = 1; return -1; }
  char c = out[in_pos];
  int32_t v;
  switch (c) {
  case 'n': v = jnew(d, J_NULL); if (!expect("null")) bad = 1; return v;
  case 't': v = jnew(d, J_TRUE); if (!expect("true")) bad = 1; return v;
  case 'f': v = jnew(d, J_FALSE); if (!expect("false")) bad = 1; return v;
  case '"': v = jnew(d, J_STR); if (v >= 0) d->v[v].str = parse_str(d, &d->v[v].len); return v;
  case '[': case '{': {
    int obj = c == '{';
    v = jnew(d, obj ? J_OBJ : J_ARR);
    if (v < 0) return -1;
    in_pos++;
    skip_ws();
    int32_t last = -1;
    while (in_pos < out_len && out[in_pos] != (obj ? '}' : ']')) {
      uint32_t key = 0, keylen = 0;
      if (obj) { key = parse_str(d, &keylen); skip_ws(); if (out[in_pos++] != ':') bad = 1; }
      int32_t e = parse(d);
      if (e < 0) return -1;
      d->v[e].key = key;
      d->v[e].keylen = keylen;
      if (last < 0) d->v[v].first = e; else d->v[last].next = e;
      last = e;
      skip_ws();
      if (out[in_pos] == ',') in_pos++;
    }
    in_pos++;
    return v;
  }
  default: {
    int neg = c == '-';
    if (neg) in_pos++;
    uint64_t m = 0;
    while (in_pos < out_len && out[in_pos] >= '0' && out[in_pos] <= '9') m = m * 10 + (uint64_t)(out[in_pos++] - '0');
    v = jnew(d, J_NUM);
    if (v >= 0) d->v[v].num = neg ? (int64_t)(0 - m) : (int64_t)m;
    return v;
  }
  }
}

/* a checksum over the tree's contents (identical trees give identical sums) */
static uint64_t digest(const jdoc *d, int32_t v) {
  const jval *j = &d->v[v];
  uint64_t h = j->kind * 0x100000001b3ULL + (uint64_t)j->num;
  for (uint32_t i = 0; i < j->len; i++) h = (h ^ (uint8_t)d->pool[j->str + i]) * 0x100000001b3ULL;
  for (uint32_t i = 0; i < j->keylen; i++) h = (h ^ (uint8_t)d->pool[j->key + i]) * 0x100000001b3ULL;
  for (int32_t c = j->first; c >= 0; c = d->v[c].next) h = h * 31 + digest(d, c);
  return h;
}

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t seed = 4242, acc = 0;
  int rounds = BENCH_SIZE(600, 30);
  for (int r = 0; r < rounds; r++) {
    a.n = 0; a.pool_len = 0; b.n = 0; b.pool_len = 0;
    int32_t root = jnew(&a, J_ARR), last = -1;
    for (int i = 0; i < 100; i++) {
      int32_t c = build(&a, &seed, 5);
      if (c < 0) break;
      if (last < 0) a.v[root].first = c; else a.v[last].next = c;
      last = c;
    }
    out_len = 0;
    encode(&a, root);
    in_pos = 0;
    bad = 0;
    int32_t root2 = parse(&b);
    if (root2 < 0 || bad) return 1;
    uint64_t da = digest(&a, root), db = digest(&b, root2);
    if (da != db) return 2;
    acc = acc * 1000003 + da + out_len;
  }
  return acc;
}
