/* strings.c — byte-at-a-time string code as C programs write it without a
 * vectorized libc: length, character search, word and line counting, case
 * folding, naive substring search, UTF-8 decoding and validation, decimal
 * parsing, reversal and a byte-wise hash. Loads of one byte, compares and
 * short loops with early exits. */
#include "bench.h"

#define TEXT_LEN 32768
static uint8_t text[TEXT_LEN + 1];
static uint8_t buf[TEXT_LEN + 1];

static uint32_t my_strlen(const uint8_t *s) { const uint8_t *p = s; while (*p) p++; return (uint32_t)(p - s); }
static const uint8_t *my_strchr(const uint8_t *s, uint8_t c) {
  for (; *s; s++) if (*s == c) return s;
  return 0;
}
static uint32_t count_words(const uint8_t *s) {
  uint32_t n = 0;
  int in_word = 0;
  for (; *s; s++) {
    int sp = *s == ' ' || *s == '\n' || *s == '\t';
    if (!sp && !in_word) n++;
    in_word = !sp;
  }
  return n;
}
static void to_upper(uint8_t *d, const uint8_t *s) {
  while (*s) { uint8_t c = *s++; *d++ = c >= 'a' && c <= 'z' ? (uint8_t)(c - 32) : c; }
  *d = 0;
}
static uint32_t count_substr(const uint8_t *s, const char *needle) {
  uint32_t n = 0;
  for (; *s; s++) {
    const uint8_t *a = s;
    const char *b = needle;
    while (*b && *a == (uint8_t)*b) { a++; b++; }
    if (!*b) n++;
  }
  return n;
}
/* decodes UTF-8; returns the code point sum, counts invalid sequences */
static uint64_t utf8_sum(const uint8_t *s, uint32_t *invalid) {
  uint64_t sum = 0;
  while (*s) {
    uint8_t c = *s;
    uint32_t cp, n;
    if (c < 0x80) { cp = c; n = 1; }
    else if ((c & 0xe0) == 0xc0) { cp = c & 0x1f; n = 2; }
    else if ((c & 0xf0) == 0xe0) { cp = c & 0x0f; n = 3; }
    else if ((c & 0xf8) == 0xf0) { cp = c & 0x07; n = 4; }
    else { (*invalid)++; s++; continue; }
    uint32_t i = 1;
    for (; i < n; i++) {
      if ((s[i] & 0xc0) != 0x80) break;
      cp = (cp << 6) | (s[i] & 0x3f);
    }
    if (i < n) { (*invalid)++; s++; continue; }
    sum += cp;
    s += n;
  }
  return sum;
}
static uint64_t sum_numbers(const uint8_t *s) {
  uint64_t sum = 0;
  while (*s) {
    if (*s >= '0' && *s <= '9') {
      uint64_t v = 0;
      while (*s >= '0' && *s <= '9') v = v * 10 + (uint64_t)(*s++ - '0');
      sum += v;
    } else s++;
  }
  return sum;
}
static void reverse(uint8_t *s, uint32_t n) {
  for (uint32_t i = 0, j = n ? n - 1 : 0; i < j; i++, j--) { uint8_t t = s[i]; s[i] = s[j]; s[j] = t; }
}
static uint32_t hash_bytes(const uint8_t *s) {
  uint32_t h = 5381;
  while (*s) h = h * 33 + *s++;
  return h;
}

BENCH_EXPORT uint64_t bench_run(void) {
  static const char *const words[] = {"the", "quick", "brown", "fox", "12345", "caf\xc3\xa9", "na\xc3\xafve",
                                      "\xe2\x82\xac" "42", "jumps", "over", "lazy", "dog", "\xf0\x9f\x99\x82",
                                      "\xff" "bad", "x9", "attack"};
  uint64_t seed = 1414, acc = 0;
  uint32_t n = 0;
  while (n < TEXT_LEN - 16) {
    const char *w = words[bench_rand(&seed) & 15];
    while (*w) text[n++] = (uint8_t)*w++;
    text[n++] = (bench_rand(&seed) & 7) == 0 ? '\n' : ' ';
  }
  text[n] = 0;
  int rounds = BENCH_SIZE(2000, 100);
  for (int r = 0; r < rounds; r++) {
    text[(r * 7919) % n] = (uint8_t)('a' + r % 26); /* vary the input between rounds */
    uint32_t len = my_strlen(text), invalid = 0;
    const uint8_t *q = my_strchr(text, 'z');
    acc += len + (q ? (uint32_t)(q - text) : 0) + count_words(text);
    to_upper(buf, text);
    acc = acc * 31 + count_substr(buf, "FOX") + count_substr(text, "at") * 7;
    acc += utf8_sum(text, &invalid) + invalid;
    acc ^= sum_numbers(text);
    reverse(buf, len);
    acc += hash_bytes(buf);
  }
  return acc;
}
