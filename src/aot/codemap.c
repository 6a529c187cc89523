/*
 * codemap.c — building, encoding and reading the maps from compiled code to
 * wasm positions (codemap.h has the format and what is marked).
 */
#include <stdlib.h>
#include <string.h>

#include "aot/codemap.h"

void codemap_begin(codemap_builder *b, uint32_t start) {
  memset(b, 0, sizeof *b);
  b->start = start;
}

void codemap_builder_free(codemap_builder *b) {
  free(b->e);
  free(b->pool);
  memset(b, 0, sizeof *b);
}

static bool same_chain(const codemap_builder *b, const codemap_entry *e, const codemap_frame *chain, uint32_t n) {
  if (e->nchain != n) return false;
  for (uint32_t k = 0; k < n; k++)
    if (b->pool[e->chain + k].func != chain[k].func || b->pool[e->chain + k].woff != chain[k].woff) return false;
  return true;
}

static bool grow(void **p, uint32_t *cap, uint32_t need, size_t sz) {
  if (need <= *cap) return true;
  uint32_t nc = *cap ? 2 * *cap : 32;
  while (nc < need) nc *= 2;
  void *q = realloc(*p, (size_t)nc * sz);
  if (!q) return false;
  *p = q;
  *cap = nc;
  return true;
}

/* Appends (or, at the last entry's pc, replaces) an entry whose chain is
 * already in the pool at `chain`. */
static void put(codemap_builder *b, uint32_t pc, uint32_t woff, uint32_t chain, uint32_t nchain) {
  if (b->oom) return;
  codemap_entry *last = b->n ? &b->e[b->n - 1] : NULL;
  if (last && last->pc == pc) {
    *last = (codemap_entry){pc, woff, chain, nchain};
    return;
  }
  if (!grow((void **)&b->e, &b->cap, b->n + 1, sizeof *b->e)) {
    b->oom = true;
    return;
  }
  b->e[b->n++] = (codemap_entry){pc, woff, chain, nchain};
}

void codemap_mark(codemap_builder *b, uint32_t pc, uint32_t woff, const codemap_frame *chain, uint32_t nchain) {
  if (b->oom) return;
  if (nchain > CODEMAP_MAX_DEPTH - 1) nchain = CODEMAP_MAX_DEPTH - 1;
  const codemap_entry *last = b->n ? &b->e[b->n - 1] : NULL;
  if (last && last->woff == woff && same_chain(b, last, chain, nchain)) return; /* still the same position */
  if (!last && woff == b->start && !nchain) return;                          /* the start needs no entry */
  uint32_t at = b->npool;
  if (last && nchain && same_chain(b, last, chain, nchain)) {
    at = last->chain; /* consecutive instructions of one inlined copy share their chain */
  } else if (nchain) {
    if (!grow((void **)&b->pool, &b->cappool, b->npool + nchain, sizeof *b->pool)) {
      b->oom = true;
      return;
    }
    memcpy(b->pool + b->npool, chain, nchain * sizeof *chain);
    b->npool += nchain;
  }
  put(b, pc, woff, at, nchain);
}

int32_t codemap_find(const codemap_builder *b, uint32_t pc) {
  uint32_t lo = 0, hi = b->n; /* the first entry after pc */
  while (lo < hi) {
    uint32_t mid = lo + (hi - lo) / 2;
    if (b->e[mid].pc <= pc) lo = mid + 1;
    else hi = mid;
  }
  return (int32_t)lo - 1;
}

void codemap_copy(codemap_builder *b, uint32_t pc, int32_t from) {
  if (b->oom) return;
  if (from < 0) {
    if (b->n) put(b, pc, b->start, 0, 0);
    return;
  }
  codemap_entry e = b->e[from];
  put(b, pc, e.woff, e.chain, e.nchain);
}

void codemap_shift(codemap_builder *b, uint32_t by) {
  for (uint32_t k = 0; k < b->n; k++) b->e[k].pc += by;
}

static uint8_t *uleb(uint8_t *p, uint64_t v) {
  do {
    uint8_t byte = v & 0x7F;
    v >>= 7;
    *p++ = byte | (v ? 0x80 : 0);
  } while (v);
  return p;
}

static uint8_t *sleb(uint8_t *p, int64_t v) { return uleb(p, ((uint64_t)v << 1) ^ (uint64_t)(v >> 63)); /* zigzag */ }

bool codemap_encode(const codemap_builder *b, uint8_t **out, uint32_t *size) {
  *out = NULL;
  *size = 0;
  if (b->oom) return false;
  if (!b->n) return true;
  size_t cap = 0;
  for (uint32_t k = 0; k < b->n; k++) cap += 6 + 10 + 5 + 10 * (size_t)b->e[k].nchain;
  uint8_t *buf = malloc(cap), *p = buf;
  if (!buf) return false;
  uint32_t pc = 0, woff = b->start;
  for (uint32_t k = 0; k < b->n; k++) {
    const codemap_entry *e = &b->e[k];
    p = uleb(p, (uint64_t)(e->pc - pc) << 1 | (e->nchain ? 1 : 0));
    p = sleb(p, (int64_t)e->woff - (int64_t)woff);
    if (e->nchain) {
      p = uleb(p, e->nchain);
      for (uint32_t i = 0; i < e->nchain; i++) {
        p = uleb(p, b->pool[e->chain + i].func);
        p = uleb(p, b->pool[e->chain + i].woff);
      }
    }
    pc = e->pc;
    woff = e->woff;
  }
  size_t n = (size_t)(p - buf);
  uint8_t *fit = realloc(buf, n); /* the bound above is generous */
  *out = fit ? fit : buf;
  *size = (uint32_t)n;
  return true;
}

/* Reads a uleb of at most 35 bits from [*p, end); false at the end or past it. */
static bool read_uleb(const uint8_t **p, const uint8_t *end, uint64_t *v) {
  uint64_t r = 0;
  for (unsigned shift = 0; shift < 35; shift += 7) {
    if (*p >= end) return false;
    uint8_t byte = *(*p)++;
    r |= (uint64_t)(byte & 0x7F) << shift;
    if (!(byte & 0x80)) {
      *v = r;
      return true;
    }
  }
  return false;
}

uint32_t codemap_lookup(const uint8_t *p, uint32_t size, uint32_t start, uint32_t pc, codemap_frame *out,
                        uint32_t max) {
  const uint8_t *end = p + size;
  uint64_t at = 0;
  int64_t woff = start;
  uint32_t n = 1;
  out[0].woff = start;
  while (p < end) {
    uint64_t head, dw, depth;
    if (!read_uleb(&p, end, &head) || !read_uleb(&p, end, &dw)) break;
    at += head >> 1;
    if (at > pc) break; /* this entry starts past pc: the previous one holds it */
    woff += (int64_t)(dw >> 1) ^ -(int64_t)(dw & 1);
    out[0].woff = (uint32_t)woff;
    n = 1;
    if (!(head & 1)) continue;
    if (!read_uleb(&p, end, &depth)) break;
    for (uint64_t k = 0; k < depth; k++) {
      uint64_t f, w;
      if (!read_uleb(&p, end, &f) || !read_uleb(&p, end, &w)) return n;
      if (n < max) out[n++] = (codemap_frame){(uint32_t)f, (uint32_t)w};
    }
  }
  return n;
}

bool codemap_replay(codemap_builder *b, const uint8_t *p, uint32_t size, uint32_t start, uint32_t pc_bias) {
  const uint8_t *end = size ? p + size : p; /* an empty map may have no buffer at all */
  uint64_t at = 0;
  int64_t woff = start;
  codemap_frame chain[CODEMAP_MAX_DEPTH];
  codemap_copy(b, pc_bias, -1); /* up to its first entry, the code is the function's first instruction */
  while (p < end) {
    uint64_t head, dw, depth = 0;
    if (!read_uleb(&p, end, &head) || !read_uleb(&p, end, &dw)) return false;
    at += head >> 1;
    woff += (int64_t)(dw >> 1) ^ -(int64_t)(dw & 1);
    if ((head & 1) && !read_uleb(&p, end, &depth)) return false;
    if (depth > CODEMAP_MAX_DEPTH || at + pc_bias > UINT32_MAX) return false;
    for (uint64_t k = 0; k < depth; k++) {
      uint64_t f, w;
      if (!read_uleb(&p, end, &f) || !read_uleb(&p, end, &w)) return false;
      chain[k] = (codemap_frame){(uint32_t)f, (uint32_t)w};
    }
    codemap_mark(b, (uint32_t)(at + pc_bias), (uint32_t)woff, depth ? chain : NULL, (uint32_t)depth);
  }
  return !b->oom;
}
