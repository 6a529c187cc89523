/*
 * canon.c — the Canonical ABI's value layer (synchronous form): load/store of
 * component values in linear memory, lift/lower through flat core values,
 * string transcoding between the host's UTF-8 and the guest's utf8, utf16 or
 * latin1+utf16, and the per-instance resource handle table. See canon.h for
 * the contract and docs/components.md ("Canonical ABI") for the rules.
 *
 * Every guest-supplied pointer, length, discriminant, char and handle index
 * is checked before use; address arithmetic is done in 64 bits so that
 * ptr + length never wraps.
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "common/grow.h"
#include "component/canon.h"

/* ---- arena -------------------------------------------------------------- */

struct wc_arena_chunk {
  wc_arena_chunk *next;
  size_t used, cap;
  _Alignas(8) uint8_t data[];
};

#define ARENA_CHUNK (64u * 1024u)

void *wc_arena_alloc(wc_arena *a, size_t size) {
  size = (size + 7) & ~(size_t)7;
  wc_arena_chunk *c = a->head;
  if (!c || c->cap - c->used < size) {
    size_t cap = size > ARENA_CHUNK ? size : ARENA_CHUNK;
    size_t limit = a->limit ? a->limit : WC_ARENA_DEFAULT_LIMIT;
    if (cap > limit || a->total > limit - cap) return NULL;
    c = malloc(sizeof *c + cap);
    if (!c) return NULL;
    a->total += cap;
    c->next = a->head;
    c->used = 0;
    c->cap = cap;
    a->head = c;
  }
  void *p = c->data + c->used;
  c->used += size;
  return p;
}

void wc_arena_reset(wc_arena *a) {
  if (!a->head) return;
  wc_arena_chunk *keep = a->head;
  a->head = keep->next;
  wc_arena_free(a);
  keep->next = NULL;
  keep->used = 0;
  a->head = keep;
  a->total = keep->cap;
}

void wc_arena_free(wc_arena *a) {
  while (a->head) {
    wc_arena_chunk *n = a->head->next;
    free(a->head);
    a->head = n;
  }
  a->total = 0;
}

/* ---- traps and context -------------------------------------------------- */

bool wc_canon_trap(wc_canon_cx *cx, const char *fmt, ...) {
  if (cx->trap.trapped) return false; /* keep the first (innermost) reason */
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(cx->trap.msg, sizeof cx->trap.msg, fmt, ap);
  va_end(ap);
  cx->trap.trapped = true;
  return false;
}

void wc_canon_cx_release(wc_canon_cx *cx) {
  free(cx->lenders);
  cx->lenders = NULL;
  cx->nlenders = cx->caplenders = 0;
}

static void *arena_new(wc_canon_cx *cx, size_t size) {
  void *p = wc_arena_alloc(cx->arena, size);
  if (!p) wc_canon_trap(cx, "lifted value too large for the host: over %zu bytes, or out of host memory",
                        cx->arena->limit ? cx->arena->limit : WC_ARENA_DEFAULT_LIMIT);
  return p;
}

/* ---- types -------------------------------------------------------------- */

/* A value type with defined aliases of primitives resolved: either *prim is
 * set (and NULL returned) or the arena entry is returned. */
static const wc_type *resolve(const wc_types *ts, wc_val t, wc_prim *prim) {
  if (wc_val_is_prim(t)) { *prim = (wc_prim)(t & 0xff); return NULL; }
  const wc_type *d = &ts->v[t];
  if (d->kind == WC_T_PRIM) { *prim = d->prim; return NULL; }
  return d;
}

static void prim_abi(wc_prim p, uint64_t *size, uint64_t *align) {
  switch (p) {
  case WC_BOOL: case WC_S8: case WC_U8: *size = *align = 1; return;
  case WC_S16: case WC_U16: *size = *align = 2; return;
  case WC_S64: case WC_U64: case WC_F64: *size = *align = 8; return;
  case WC_STRING: *size = 8; *align = 4; return;
  default: *size = *align = 4; return;
  }
}

void wc_abi(const wc_types *ts, wc_val t, uint64_t *size, uint64_t *align) {
  wc_prim p;
  const wc_type *d = resolve(ts, t, &p);
  if (!d) { prim_abi(p, size, align); return; }
  *size = d->abi_size;
  *align = d->abi_align;
}

void wc_flatten(const wc_types *ts, wc_val t, uint8_t out[WC_MAX_FLAT_PARAMS + 1], uint32_t *n) {
  wc_prim p;
  const wc_type *d = resolve(ts, t, &p);
  if (d) {
    *n = d->nflat;
    memcpy(out, d->flat, d->nflat <= WC_MAX_FLAT_PARAMS ? d->nflat : WC_MAX_FLAT_PARAMS + 1);
    return;
  }
  *n = 1;
  switch (p) {
  case WC_S64: case WC_U64: out[0] = WASM_I64; break;
  case WC_F32: out[0] = WASM_F32; break;
  case WC_F64: out[0] = WASM_F64; break;
  case WC_STRING: out[0] = out[1] = WASM_I32; *n = 2; break;
  default: out[0] = WASM_I32; break;
  }
}

static uint32_t nflat_of(const wc_types *ts, wc_val t) {
  uint8_t f[WC_MAX_FLAT_PARAMS + 1];
  uint32_t n;
  wc_flatten(ts, t, f, &n);
  return n;
}

static uint64_t align_up(uint64_t x, uint64_t a) { return (x + a - 1) / a * a; }

/* Variant-shaped types: number of cases and each case's optional payload. */
static uint32_t ncases(const wc_type *d) {
  switch (d->kind) {
  case WC_T_OPTION: case WC_T_RESULT: return 2;
  default: return d->nitems;
  }
}
static bool case_payload(const wc_type *d, uint32_t i, wc_val *t) {
  switch (d->kind) {
  case WC_T_OPTION: *t = d->elem; return i == 1;
  case WC_T_ENUM: return false;
  default: *t = d->items[i].type; return d->items[i].has_type;
  }
}
static uint32_t disc_size(uint32_t n) { return n <= 256 ? 1 : n <= 65536 ? 2 : 4; }
/* Offset of the payload from the start of the variant: align_to(disc size,
 * max case alignment). The variant's alignment is the larger of the two,
 * and both are powers of two, so that offset is exactly the alignment. */
static uint64_t payload_offset(const wc_type *d) { return d->abi_align; }

static const wc_resource_type *runtime_rt(wc_canon_cx *cx, const wc_type *d) {
  const wc_resource_type *rt = cx->rtypes ? cx->rtypes[d->resource] : NULL;
  if (!rt) wc_canon_trap(cx, "resource type %u has no runtime instance", d->resource);
  return rt;
}

/* ---- memory access ------------------------------------------------------ */

static bool check_range(wc_canon_cx *cx, uint64_t ptr, uint64_t len, uint64_t align, const char *what) {
  if (!cx->mem) return wc_canon_trap(cx, "%s needs a memory, but the canonical options give none", what);
  if (ptr % align) return wc_canon_trap(cx, "misaligned %s pointer 0x%llx (alignment %llu)", what,
                                        (unsigned long long)ptr, (unsigned long long)align);
  if (ptr > cx->mem->size || len > cx->mem->size - ptr)
    return wc_canon_trap(cx, "%s out of bounds: 0x%llx + %llu past memory size %llu", what,
                         (unsigned long long)ptr, (unsigned long long)len, (unsigned long long)cx->mem->size);
  return true;
}

static uint64_t rd(const uint8_t *p, unsigned n) {
  uint64_t v = 0;
  for (unsigned i = 0; i < n; i++) v |= (uint64_t)p[i] << (8 * i);
  return v;
}
static void wr(uint8_t *p, uint64_t v, unsigned n) {
  for (unsigned i = 0; i < n; i++) p[i] = (uint8_t)(v >> (8 * i));
}

/* cx.allocate / cx.reallocate: calls realloc and checks what it returns. */
static bool guest_alloc(wc_canon_cx *cx, uint32_t old_ptr, uint32_t old_size, uint32_t align, uint64_t size,
                        uint32_t *out, const char *what) {
  if (!cx->realloc) return wc_canon_trap(cx, "%s needs realloc, but the canonical options give none", what);
  if (size > UINT32_MAX) return wc_canon_trap(cx, "%s too large: %llu bytes", what, (unsigned long long)size);
  if (!cx->realloc(cx->realloc_ctx, old_ptr, old_size, align, (uint32_t)size, out))
    return wc_canon_trap(cx, "realloc trapped while storing a %s", what);
  return check_range(cx, *out, size, align, what);
}

/* ---- UTF-8 -------------------------------------------------------------- */

/* Decodes one scalar value from s[*i..n); false on any ill-formed sequence
 * (overlong, surrogate, past U+10FFFF, truncated). */
static bool utf8_next(const uint8_t *s, uint64_t n, uint64_t *i, uint32_t *cp);

/* True when s[0..n) is well-formed UTF-8; ASCII runs are skipped eight bytes
 * at a time, since most strings crossing an interface are mostly ASCII. */
static bool utf8_valid(const uint8_t *s, uint64_t n, uint64_t *bad_at) {
  uint64_t i = 0;
  uint32_t cp;
  while (i < n) {
    uint64_t w;
    if (n - i >= 8 && (memcpy(&w, s + i, 8), (w & 0x8080808080808080ull) == 0)) { i += 8; continue; }
    if (s[i] < 0x80) { i++; continue; }
    uint64_t at = i;
    if (!utf8_next(s, n, &i, &cp)) { *bad_at = at; return false; }
  }
  return true;
}
static bool utf8_next(const uint8_t *s, uint64_t n, uint64_t *i, uint32_t *cp) {
  uint8_t b = s[*i];
  if (b < 0x80) { *cp = b; (*i)++; return true; }
  uint32_t need, min, c;
  if ((b & 0xe0) == 0xc0) { need = 1; min = 0x80; c = b & 0x1f; }
  else if ((b & 0xf0) == 0xe0) { need = 2; min = 0x800; c = b & 0x0f; }
  else if ((b & 0xf8) == 0xf0) { need = 3; min = 0x10000; c = b & 0x07; }
  else return false;
  if (n - *i <= need) return false;
  for (uint32_t k = 1; k <= need; k++) {
    uint8_t x = s[*i + k];
    if ((x & 0xc0) != 0x80) return false;
    c = (c << 6) | (x & 0x3f);
  }
  if (c < min || c > 0x10ffff || (c >= 0xd800 && c <= 0xdfff)) return false;
  *i += need + 1;
  *cp = c;
  return true;
}

static uint32_t utf8_put(uint8_t *o, uint32_t c) {
  if (c < 0x80) { o[0] = (uint8_t)c; return 1; }
  if (c < 0x800) { o[0] = (uint8_t)(0xc0 | c >> 6); o[1] = (uint8_t)(0x80 | (c & 0x3f)); return 2; }
  if (c < 0x10000) {
    o[0] = (uint8_t)(0xe0 | c >> 12); o[1] = (uint8_t)(0x80 | ((c >> 6) & 0x3f));
    o[2] = (uint8_t)(0x80 | (c & 0x3f));
    return 3;
  }
  o[0] = (uint8_t)(0xf0 | c >> 18); o[1] = (uint8_t)(0x80 | ((c >> 12) & 0x3f));
  o[2] = (uint8_t)(0x80 | ((c >> 6) & 0x3f)); o[3] = (uint8_t)(0x80 | (c & 0x3f));
  return 4;
}

/* UTF-16 encoding of c into o (1 or 2 code units, little-endian); returns units. */
static uint32_t utf16_put(uint8_t *o, uint32_t c) {
  if (c < 0x10000) { wr(o, c, 2); return 1; }
  c -= 0x10000;
  wr(o, 0xd800 | (c >> 10), 2);
  wr(o + 2, 0xdc00 | (c & 0x3ff), 2);
  return 2;
}

/* ---- strings ------------------------------------------------------------ */

#define UTF16_TAG 0x80000000u

/* load_string_from_range: guest bytes in cx->encoding into a host UTF-8 string. */
static bool lift_string(wc_canon_cx *cx, uint32_t ptr, uint32_t tagged, wc_value *out) {
  uint64_t bytes, align = 1;
  int enc; /* 0 utf8, 1 utf16, 2 latin1 */
  switch (cx->encoding) {
  case WC_UTF8: enc = 0; bytes = tagged; break;
  case WC_UTF16: enc = 1; bytes = 2ull * tagged; align = 2; break;
  default:
    align = 2;
    if (tagged & UTF16_TAG) { enc = 1; bytes = 2ull * (tagged ^ UTF16_TAG); }
    else { enc = 2; bytes = tagged; }
    break;
  }
  if (bytes > WC_MAX_STRING_BYTES)
    return wc_canon_trap(cx, "string too long: %llu bytes (at most %u)", (unsigned long long)bytes, WC_MAX_STRING_BYTES);
  if (!check_range(cx, ptr, bytes, align, "string")) return false;
  const uint8_t *s = cx->mem->base + ptr;
  /* UTF-8 output is at most 3/2 of UTF-16 bytes and 2x Latin-1 bytes. */
  uint8_t *o = arena_new(cx, enc == 0 ? bytes + 1 : 2 * bytes + 1);
  if (!o) return false;
  uint64_t len = 0;
  if (enc == 0) {
    uint64_t at;
    if (!utf8_valid(s, bytes, &at)) return wc_canon_trap(cx, "invalid UTF-8 in string at 0x%llx", (unsigned long long)(ptr + at));
    memcpy(o, s, bytes);
    len = bytes;
  } else if (enc == 2) {
    for (uint64_t i = 0; i < bytes; i++) len += utf8_put(o + len, s[i]);
  } else {
    for (uint64_t i = 0; i < bytes; i += 2) {
      uint32_t u = (uint32_t)rd(s + i, 2);
      if (u >= 0xd800 && u <= 0xdbff) {
        uint32_t lo = i + 2 < bytes ? (uint32_t)rd(s + i + 2, 2) : 0;
        if (lo < 0xdc00 || lo > 0xdfff)
          return wc_canon_trap(cx, "unpaired surrogate 0x%x in UTF-16 string at 0x%llx", u, (unsigned long long)(ptr + i));
        u = 0x10000 + ((u - 0xd800) << 10) + (lo - 0xdc00);
        i += 2;
      } else if (u >= 0xdc00 && u <= 0xdfff) {
        return wc_canon_trap(cx, "unpaired surrogate 0x%x in UTF-16 string at 0x%llx", u, (unsigned long long)(ptr + i));
      }
      len += utf8_put(o + len, u);
    }
  }
  out->kind = WC_V_STRING;
  out->u.str.ptr = (const char *)o;
  out->u.str.len = (uint32_t)len;
  return true;
}

/* store_string_into_range with a UTF-8 source; the allocation sizes and
 * reallocations follow the spec's algorithms for a UTF-8 source. */
static bool lower_string(wc_canon_cx *cx, const wc_value *v, uint32_t *ptr_out, uint32_t *units_out) {
  const uint8_t *s = (const uint8_t *)v->u.str.ptr;
  uint32_t n = v->u.str.len;
  if (n > WC_MAX_STRING_BYTES) return wc_canon_trap(cx, "string too long: %u bytes (at most %u)", n, WC_MAX_STRING_BYTES);
  uint32_t ptr = 0, cp = 0;
  uint64_t i;
  switch (cx->encoding) {
  case WC_UTF8:
    if (!utf8_valid(s, n, &i)) return wc_canon_trap(cx, "host string is not valid UTF-8");
    if (!guest_alloc(cx, 0, 0, 1, n, &ptr, "string")) return false;
    if (n) memcpy(cx->mem->base + ptr, s, n);
    *ptr_out = ptr; *units_out = n;
    return true;
  case WC_UTF16: {
    uint64_t worst = 2ull * n, len = 0;
    if (!guest_alloc(cx, 0, 0, 2, worst, &ptr, "string")) return false;
    for (i = 0; i < n;) {
      if (!utf8_next(s, n, &i, &cp)) return wc_canon_trap(cx, "host string is not valid UTF-8");
      len += 2 * utf16_put(cx->mem->base + ptr + len, cp);
    }
    if (len < worst && !guest_alloc(cx, ptr, (uint32_t)worst, 2, len, &ptr, "string")) return false;
    *ptr_out = ptr; *units_out = (uint32_t)(len / 2);
    return true;
  }
  default: { /* latin1+utf16: speculate Latin-1, inflate in place on the first wider char */
    uint64_t dst = 0;
    if (!guest_alloc(cx, 0, 0, 2, n, &ptr, "string")) return false;
    for (i = 0; i < n;) {
      if (!utf8_next(s, n, &i, &cp)) return wc_canon_trap(cx, "host string is not valid UTF-8");
      if (cp < 0x100) { cx->mem->base[ptr + dst++] = (uint8_t)cp; continue; }
      uint64_t worst = 2ull * n;
      if (!guest_alloc(cx, ptr, n, 2, worst, &ptr, "string")) return false;
      uint8_t *m = cx->mem->base + ptr;
      for (uint64_t j = dst; j-- > 0;) { m[2 * j] = m[j]; m[2 * j + 1] = 0; }
      uint64_t len = 2 * dst;
      len += 2 * utf16_put(m + len, cp);
      while (i < n) {
        if (!utf8_next(s, n, &i, &cp)) return wc_canon_trap(cx, "host string is not valid UTF-8");
        len += 2 * utf16_put(m + len, cp);
      }
      if (worst > len && !guest_alloc(cx, ptr, (uint32_t)worst, 2, len, &ptr, "string")) return false;
      *ptr_out = ptr; *units_out = (uint32_t)(len / 2) | UTF16_TAG;
      return true;
    }
    if (dst < n && !guest_alloc(cx, ptr, n, 2, dst, &ptr, "string")) return false;
    *ptr_out = ptr; *units_out = (uint32_t)dst;
    return true;
  }
  }
}

/* ---- handles ------------------------------------------------------------ */

void wc_handles_init(wc_handle_table *t) { memset(t, 0, sizeof *t); }
void wc_handles_free(wc_handle_table *t) { free(t->v); memset(t, 0, sizeof *t); }

static bool handle_add(wc_canon_cx *cx, wc_handle h, uint32_t *index) {
  wc_handle_table *t = cx->handles;
  if (!t) return wc_canon_trap(cx, "no handle table for resource handles");
  if (t->free_head) {
    uint32_t i = t->free_head;
    t->free_head = t->v[i].next_free;
    t->v[i] = h;
    *index = i;
    return true;
  }
  if (t->n == 0) t->n = 1; /* slot 0 is reserved */
  if (t->n > WC_MAX_HANDLES) return wc_canon_trap(cx, "handle table full (%u entries)", WC_MAX_HANDLES);
  if (!rt_grow((void **)&t->v, &t->cap, t->n + 1, sizeof *t->v)) return wc_canon_trap(cx, "out of host memory growing the handle table");
  memset(&t->v[0], 0, sizeof t->v[0]);
  t->v[t->n] = h;
  *index = t->n++;
  return true;
}

/* Table.get plus the resource-type guard. */
static wc_handle *handle_get(wc_canon_cx *cx, const wc_resource_type *rt, uint32_t i) {
  wc_handle_table *t = cx->handles;
  if (!t || i == 0 || i >= t->n || !t->v[i].rt) {
    wc_canon_trap(cx, i == 0 ? "invalid handle index 0" : "unknown handle %u (never created or already dropped)", i);
    return NULL;
  }
  if (t->v[i].rt != rt) {
    wc_canon_trap(cx, "handle %u is of another resource type", i);
    return NULL;
  }
  return &t->v[i];
}

static void handle_remove(wc_handle_table *t, uint32_t i) {
  memset(&t->v[i], 0, sizeof t->v[i]);
  t->v[i].next_free = t->free_head;
  t->free_head = i;
}

static bool lift_handle(wc_canon_cx *cx, const wc_type *d, uint32_t i, wc_value *out) {
  const wc_resource_type *rt = runtime_rt(cx, d);
  if (!rt) return false;
  wc_handle *h = handle_get(cx, rt, i);
  if (!h) return false;
  out->u.handle.rt = rt;
  out->u.handle.rep = h->rep;
  if (d->kind == WC_T_OWN) {
    if (!h->own) return wc_canon_trap(cx, "handle %u is a borrow; an own handle was expected", i);
    if (h->lends) return wc_canon_trap(cx, "own handle %u moved out while lent (%u borrows outstanding)", i, h->lends);
    out->kind = WC_V_OWN;
    handle_remove(cx->handles, i);
    return true;
  }
  /* A borrow: lend the source handle until the call ends. */
  if (!rt_grow((void **)&cx->lenders, &cx->caplenders, cx->nlenders + 1, sizeof *cx->lenders))
    return wc_canon_trap(cx, "out of host memory recording a borrow");
  cx->lenders[cx->nlenders++] = i;
  h->lends++;
  out->kind = WC_V_BORROW;
  return true;
}

static bool lower_handle(wc_canon_cx *cx, const wc_type *d, const wc_value *v, uint32_t *out) {
  const wc_resource_type *rt = runtime_rt(cx, d);
  if (!rt) return false;
  if (v->u.handle.rt != rt) return wc_canon_trap(cx, "handle value is of another resource type");
  if (d->kind == WC_T_OWN)
    return handle_add(cx, (wc_handle){.rt = rt, .rep = v->u.handle.rep, .own = true}, out);
  if (cx->inst && cx->inst == rt->impl) { *out = v->u.handle.rep; return true; }
  if (!handle_add(cx, (wc_handle){.rt = rt, .rep = v->u.handle.rep, .own = false}, out)) return false;
  cx->handles->num_borrows++;
  return true;
}

void wc_canon_release_lends(wc_canon_cx *cx) {
  for (uint32_t k = 0; k < cx->nlenders; k++) {
    uint32_t i = cx->lenders[k];
    if (cx->handles && i < cx->handles->n && cx->handles->v[i].lends) cx->handles->v[i].lends--;
  }
  cx->nlenders = 0;
}

bool wc_canon_check_borrows(wc_canon_cx *cx) {
  if (cx->handles && cx->handles->num_borrows)
    return wc_canon_trap(cx, "call ended with %u borrowed handle%s not dropped", cx->handles->num_borrows,
                         cx->handles->num_borrows == 1 ? "" : "s");
  return true;
}

bool wc_resource_new(wc_canon_cx *cx, const wc_resource_type *rt, uint32_t rep, uint32_t *index) {
  return handle_add(cx, (wc_handle){.rt = rt, .rep = rep, .own = true}, index);
}

bool wc_resource_drop(wc_canon_cx *cx, const wc_resource_type *rt, uint32_t index) {
  wc_handle *h = handle_get(cx, rt, index);
  if (!h) return false;
  if (h->lends) return wc_canon_trap(cx, "resource.drop of handle %u while lent (%u borrows outstanding)", index, h->lends);
  wc_handle copy = *h;
  handle_remove(cx->handles, index);
  if (!copy.own) {
    if (cx->handles->num_borrows) cx->handles->num_borrows--;
    return true;
  }
  if (rt->dtor && !rt->dtor(rt->dtor_ctx, copy.rep, &cx->trap)) {
    if (!cx->trap.trapped) wc_canon_trap(cx, "resource destructor trapped");
    return false;
  }
  return true;
}

bool wc_resource_rep(wc_canon_cx *cx, const wc_resource_type *rt, uint32_t index, uint32_t *rep) {
  wc_handle *h = handle_get(cx, rt, index);
  if (!h) return false;
  *rep = h->rep;
  return true;
}

/* ---- load / store ------------------------------------------------------- */

static bool load_at(wc_canon_cx *cx, uint64_t ptr, wc_val t, wc_value *out);

/* The type constructor a discriminant belongs to, for trap messages. */
static const char *disc_kind(const wc_type *d) {
  switch (d->kind) {
  case WC_T_ENUM: return "enum";
  case WC_T_OPTION: return "option";
  case WC_T_RESULT: return "result";
  default: return "variant";
  }
}

static bool lift_list(wc_canon_cx *cx, uint32_t ptr, uint32_t len, wc_val elem, wc_value *out) {
  uint64_t size, align;
  wc_abi(cx->types, elem, &size, &align);
  uint64_t bytes = (uint64_t)len * size;
  if (bytes > WC_MAX_LIST_BYTES)
    return wc_canon_trap(cx, "list too long: %u elements of %llu bytes (at most %u bytes)", len,
                         (unsigned long long)size, WC_MAX_LIST_BYTES);
  if (!check_range(cx, ptr, bytes, align, "list")) return false;
  wc_value *v = len ? arena_new(cx, (size_t)len * sizeof *v) : NULL;
  if (len && !v) return false;
  for (uint32_t i = 0; i < len; i++)
    if (!load_at(cx, ptr + (uint64_t)i * size, elem, &v[i])) return false;
  out->kind = WC_V_LIST;
  out->u.seq.v = v;
  out->u.seq.n = len;
  return true;
}

static uint32_t flags_mask(uint32_t n) { return n >= 32 ? UINT32_MAX : (1u << n) - 1; }

/* The value at ptr, which is in bounds and aligned for t. */
static bool load_at(wc_canon_cx *cx, uint64_t ptr, wc_val t, wc_value *out) {
  const uint8_t *m = cx->mem->base + ptr;
  wc_prim p;
  const wc_type *d = resolve(cx->types, t, &p);
  if (!d) {
    switch (p) {
    case WC_BOOL: out->kind = WC_V_BOOL; out->u.b = m[0] != 0; return true;
    case WC_S8: out->kind = WC_V_S8; out->u.s = (int8_t)m[0]; return true;
    case WC_U8: out->kind = WC_V_U8; out->u.u = m[0]; return true;
    case WC_S16: out->kind = WC_V_S16; out->u.s = (int16_t)rd(m, 2); return true;
    case WC_U16: out->kind = WC_V_U16; out->u.u = rd(m, 2); return true;
    case WC_S32: out->kind = WC_V_S32; out->u.s = (int32_t)rd(m, 4); return true;
    case WC_U32: out->kind = WC_V_U32; out->u.u = rd(m, 4); return true;
    case WC_S64: out->kind = WC_V_S64; out->u.s = (int64_t)rd(m, 8); return true;
    case WC_U64: out->kind = WC_V_U64; out->u.u = rd(m, 8); return true;
    case WC_F32: case WC_F64: case WC_CHAR: {
      /* Same checks as the flat forms. */
      uint64_t bits = rd(m, p == WC_F64 ? 8 : 4);
      uint32_t pos = 0;
      return wc_lift_flat(cx, &bits, 1, &pos, t, out);
    }
    case WC_STRING: return lift_string(cx, (uint32_t)rd(m, 4), (uint32_t)rd(m + 4, 4), out);
    default: return wc_canon_trap(cx, "error-context values are not supported");
    }
  }
  switch (d->kind) {
  case WC_T_LIST: return lift_list(cx, (uint32_t)rd(m, 4), (uint32_t)rd(m + 4, 4), d->elem, out);
  case WC_T_FIXED_LIST: case WC_T_RECORD: case WC_T_TUPLE: {
    uint32_t n = d->kind == WC_T_FIXED_LIST ? d->len : d->nitems;
    wc_value *v = arena_new(cx, (size_t)n * sizeof *v);
    if (!v) return false;
    uint64_t off = 0, size, align;
    for (uint32_t i = 0; i < n; i++) {
      wc_val ft = d->kind == WC_T_FIXED_LIST ? d->elem : d->items[i].type;
      wc_abi(cx->types, ft, &size, &align);
      off = align_up(off, align);
      if (!load_at(cx, ptr + off, ft, &v[i])) return false;
      off += size;
    }
    out->kind = d->kind == WC_T_FIXED_LIST ? WC_V_LIST : WC_V_RECORD;
    out->u.seq.v = v;
    out->u.seq.n = n;
    return true;
  }
  case WC_T_VARIANT: case WC_T_ENUM: case WC_T_OPTION: case WC_T_RESULT: {
    uint32_t nc = ncases(d);
    uint64_t disc = rd(m, disc_size(nc));
    if (disc >= nc) return wc_canon_trap(cx, "%s discriminant %llu out of range (%u cases)", disc_kind(d),
                                          (unsigned long long)disc, nc);
    out->kind = WC_V_VARIANT;
    out->u.var.index = (uint32_t)disc;
    out->u.var.payload = NULL;
    wc_val pt;
    if (!case_payload(d, (uint32_t)disc, &pt)) return true;
    wc_value *pv = arena_new(cx, sizeof *pv);
    if (!pv) return false;
    out->u.var.payload = pv;
    return load_at(cx, ptr + payload_offset(d), pt, pv);
  }
  case WC_T_FLAGS:
    if (d->nitems > 32) return wc_canon_trap(cx, "flags with more than 32 labels are not supported");
    out->kind = WC_V_FLAGS;
    out->u.flags = (uint32_t)rd(m, (unsigned)d->abi_size) & flags_mask(d->nitems);
    return true;
  case WC_T_OWN: case WC_T_BORROW: return lift_handle(cx, d, (uint32_t)rd(m, 4), out);
  default: return wc_canon_trap(cx, "type %u is not a value type", t);
  }
}

bool wc_load(wc_canon_cx *cx, uint32_t ptr, wc_val t, wc_value *out) {
  uint64_t size, align;
  wc_abi(cx->types, t, &size, &align);
  if (!check_range(cx, ptr, size, align, "value")) return false;
  return load_at(cx, ptr, t, out);
}

static bool kind_is(wc_canon_cx *cx, const wc_value *v, wc_value_kind k) {
  if (v->kind != k) return wc_canon_trap(cx, "host value of kind %d where kind %d was expected", (int)v->kind, (int)k);
  return true;
}

static bool store_at(wc_canon_cx *cx, const wc_value *v, wc_val t, uint64_t ptr);

static bool lower_list(wc_canon_cx *cx, const wc_value *v, wc_val elem, uint32_t *ptr_out) {
  uint64_t size, align;
  wc_abi(cx->types, elem, &size, &align);
  uint64_t bytes = (uint64_t)v->u.seq.n * size;
  if (bytes > WC_MAX_LIST_BYTES) return wc_canon_trap(cx, "list too long: %llu bytes", (unsigned long long)bytes);
  uint32_t ptr = 0;
  if (!guest_alloc(cx, 0, 0, (uint32_t)align, bytes, &ptr, "list")) return false;
  for (uint32_t i = 0; i < v->u.seq.n; i++)
    if (!store_at(cx, &v->u.seq.v[i], elem, ptr + (uint64_t)i * size)) return false;
  *ptr_out = ptr;
  return true;
}

/* Stores v at ptr (in bounds and aligned). Memory may move during the store
 * (realloc), so the base is re-read after every nested allocation. */
static bool store_at(wc_canon_cx *cx, const wc_value *v, wc_val t, uint64_t ptr) {
  wc_prim p;
  const wc_type *d = resolve(cx->types, t, &p);
  if (!d) {
    uint64_t w[2];
    uint32_t n = 0;
    if (!wc_lower_flat(cx, v, t, w, 2, &n)) return false;
    uint64_t size, align;
    prim_abi(p, &size, &align);
    if (p == WC_STRING) { wr(cx->mem->base + ptr, w[0], 4); wr(cx->mem->base + ptr + 4, w[1], 4); }
    else wr(cx->mem->base + ptr, w[0], (unsigned)size);
    return true;
  }
  switch (d->kind) {
  case WC_T_LIST: {
    uint32_t lp = 0;
    if (!kind_is(cx, v, WC_V_LIST) || !lower_list(cx, v, d->elem, &lp)) return false;
    wr(cx->mem->base + ptr, lp, 4);
    wr(cx->mem->base + ptr + 4, v->u.seq.n, 4);
    return true;
  }
  case WC_T_FIXED_LIST: case WC_T_RECORD: case WC_T_TUPLE: {
    uint32_t n = d->kind == WC_T_FIXED_LIST ? d->len : d->nitems;
    if (!kind_is(cx, v, d->kind == WC_T_FIXED_LIST ? WC_V_LIST : WC_V_RECORD)) return false;
    if (v->u.seq.n != n) return wc_canon_trap(cx, "host value has %u fields/elements, type has %u", v->u.seq.n, n);
    uint64_t off = 0, size, align;
    for (uint32_t i = 0; i < n; i++) {
      wc_val ft = d->kind == WC_T_FIXED_LIST ? d->elem : d->items[i].type;
      wc_abi(cx->types, ft, &size, &align);
      off = align_up(off, align);
      if (!store_at(cx, &v->u.seq.v[i], ft, ptr + off)) return false;
      off += size;
    }
    return true;
  }
  case WC_T_VARIANT: case WC_T_ENUM: case WC_T_OPTION: case WC_T_RESULT: {
    uint32_t nc = ncases(d);
    if (!kind_is(cx, v, WC_V_VARIANT)) return false;
    if (v->u.var.index >= nc) return wc_canon_trap(cx, "host variant case %u out of range (%u cases)", v->u.var.index, nc);
    wr(cx->mem->base + ptr, v->u.var.index, disc_size(nc));
    wc_val pt;
    if (!case_payload(d, v->u.var.index, &pt)) return true;
    if (!v->u.var.payload) return wc_canon_trap(cx, "host variant case %u lacks its payload", v->u.var.index);
    return store_at(cx, v->u.var.payload, pt, ptr + payload_offset(d));
  }
  case WC_T_FLAGS:
    if (d->nitems > 32) return wc_canon_trap(cx, "flags with more than 32 labels are not supported");
    if (!kind_is(cx, v, WC_V_FLAGS)) return false;
    wr(cx->mem->base + ptr, v->u.flags & flags_mask(d->nitems), (unsigned)d->abi_size);
    return true;
  case WC_T_OWN: case WC_T_BORROW: {
    uint32_t i = 0;
    if (!kind_is(cx, v, d->kind == WC_T_OWN ? WC_V_OWN : WC_V_BORROW) || !lower_handle(cx, d, v, &i)) return false;
    wr(cx->mem->base + ptr, i, 4);
    return true;
  }
  default: return wc_canon_trap(cx, "type %u is not a value type", t);
  }
}

bool wc_store(wc_canon_cx *cx, const wc_value *v, wc_val t, uint32_t ptr) {
  uint64_t size, align;
  wc_abi(cx->types, t, &size, &align);
  if (!check_range(cx, ptr, size, align, "value")) return false;
  return store_at(cx, v, t, ptr);
}

/* ---- flat lifting ------------------------------------------------------- */

#define CANON_NAN32 0x7fc00000u
#define CANON_NAN64 0x7ff8000000000000ull

static bool next(wc_canon_cx *cx, const uint64_t *flat, uint32_t n, uint32_t *pos, uint64_t *x) {
  if (*pos >= n) return wc_canon_trap(cx, "too few core values: %u given", n);
  *x = flat[(*pos)++];
  return true;
}

bool wc_lift_flat(wc_canon_cx *cx, const uint64_t *flat, uint32_t n, uint32_t *pos, wc_val t, wc_value *out) {
  uint64_t x = 0, y = 0;
  wc_prim p;
  const wc_type *d = resolve(cx->types, t, &p);
  if (!d) {
    if (!next(cx, flat, n, pos, &x)) return false;
    uint32_t w = (uint32_t)x; /* an i32 (or an i64 wrapped by a variant join) */
    switch (p) {
    case WC_BOOL: out->kind = WC_V_BOOL; out->u.b = w != 0; return true;
    case WC_S8: out->kind = WC_V_S8; out->u.s = (int8_t)w; return true;
    case WC_U8: out->kind = WC_V_U8; out->u.u = (uint8_t)w; return true;
    case WC_S16: out->kind = WC_V_S16; out->u.s = (int16_t)w; return true;
    case WC_U16: out->kind = WC_V_U16; out->u.u = (uint16_t)w; return true;
    case WC_S32: out->kind = WC_V_S32; out->u.s = (int32_t)w; return true;
    case WC_U32: out->kind = WC_V_U32; out->u.u = w; return true;
    case WC_S64: out->kind = WC_V_S64; out->u.s = (int64_t)x; return true;
    case WC_U64: out->kind = WC_V_U64; out->u.u = x; return true;
    case WC_F32: {
      /* NaNs lose sign and payload on lifting (canonicalize_nan32). */
      if ((w & 0x7f800000u) == 0x7f800000u && (w & 0x007fffffu)) w = CANON_NAN32;
      out->kind = WC_V_F32;
      memcpy(&out->u.f32, &w, 4);
      return true;
    }
    case WC_F64:
      if ((x & 0x7ff0000000000000ull) == 0x7ff0000000000000ull && (x & 0x000fffffffffffffull)) x = CANON_NAN64;
      out->kind = WC_V_F64;
      memcpy(&out->u.f64, &x, 8);
      return true;
    case WC_CHAR:
      if (w >= 0x110000 || (w >= 0xd800 && w <= 0xdfff)) return wc_canon_trap(cx, "invalid char 0x%x: not a Unicode scalar value", w);
      out->kind = WC_V_CHAR; out->u.ch = w;
      return true;
    case WC_STRING:
      if (!next(cx, flat, n, pos, &y)) return false;
      return lift_string(cx, w, (uint32_t)y, out);
    default: return wc_canon_trap(cx, "error-context values are not supported");
    }
  }
  switch (d->kind) {
  case WC_T_LIST:
    if (!next(cx, flat, n, pos, &x) || !next(cx, flat, n, pos, &y)) return false;
    return lift_list(cx, (uint32_t)x, (uint32_t)y, d->elem, out);
  case WC_T_FIXED_LIST: case WC_T_RECORD: case WC_T_TUPLE: {
    uint32_t k = d->kind == WC_T_FIXED_LIST ? d->len : d->nitems;
    wc_value *v = arena_new(cx, (size_t)k * sizeof *v);
    if (!v) return false;
    for (uint32_t i = 0; i < k; i++)
      if (!wc_lift_flat(cx, flat, n, pos, d->kind == WC_T_FIXED_LIST ? d->elem : d->items[i].type, &v[i])) return false;
    out->kind = d->kind == WC_T_FIXED_LIST ? WC_V_LIST : WC_V_RECORD;
    out->u.seq.v = v;
    out->u.seq.n = k;
    return true;
  }
  case WC_T_VARIANT: case WC_T_ENUM: case WC_T_OPTION: case WC_T_RESULT: {
    uint32_t nc = ncases(d);
    if (!next(cx, flat, n, pos, &x)) return false;
    if ((uint32_t)x >= nc) return wc_canon_trap(cx, "%s discriminant %u out of range (%u cases)", disc_kind(d), (uint32_t)x, nc);
    uint32_t end = *pos + d->nflat - 1; /* the payload slots every case consumes */
    if (end > n) return wc_canon_trap(cx, "too few core values: %u given", n);
    out->kind = WC_V_VARIANT;
    out->u.var.index = (uint32_t)x;
    out->u.var.payload = NULL;
    wc_val pt;
    if (case_payload(d, (uint32_t)x, &pt)) {
      wc_value *pv = arena_new(cx, sizeof *pv);
      /* The slot representation makes the join's coercions the identity. */
      if (!pv || !wc_lift_flat(cx, flat, end, pos, pt, pv)) return false;
      out->u.var.payload = pv;
    }
    *pos = end;
    return true;
  }
  case WC_T_FLAGS:
    if (d->nitems > 32) return wc_canon_trap(cx, "flags with more than 32 labels are not supported");
    if (!next(cx, flat, n, pos, &x)) return false;
    out->kind = WC_V_FLAGS;
    out->u.flags = (uint32_t)x & flags_mask(d->nitems);
    return true;
  case WC_T_OWN: case WC_T_BORROW:
    if (!next(cx, flat, n, pos, &x)) return false;
    return lift_handle(cx, d, (uint32_t)x, out);
  default: return wc_canon_trap(cx, "type %u is not a value type", t);
  }
}

/* ---- flat lowering ------------------------------------------------------ */

static bool push(wc_canon_cx *cx, uint64_t *out, uint32_t cap, uint32_t *n, uint64_t x) {
  if (*n >= cap) return wc_canon_trap(cx, "too many core values for the room given (%u)", cap);
  out[(*n)++] = x;
  return true;
}

static bool lower_prim(wc_canon_cx *cx, const wc_value *v, wc_prim p, uint64_t *out, uint32_t cap, uint32_t *n) {
  uint32_t bits32;
  uint64_t bits64;
  switch (p) {
  case WC_BOOL: return kind_is(cx, v, WC_V_BOOL) && push(cx, out, cap, n, v->u.b ? 1 : 0);
  case WC_S8: return kind_is(cx, v, WC_V_S8) && push(cx, out, cap, n, (uint32_t)(int32_t)(int8_t)v->u.s);
  case WC_U8: return kind_is(cx, v, WC_V_U8) && push(cx, out, cap, n, (uint8_t)v->u.u);
  case WC_S16: return kind_is(cx, v, WC_V_S16) && push(cx, out, cap, n, (uint32_t)(int32_t)(int16_t)v->u.s);
  case WC_U16: return kind_is(cx, v, WC_V_U16) && push(cx, out, cap, n, (uint16_t)v->u.u);
  case WC_S32: return kind_is(cx, v, WC_V_S32) && push(cx, out, cap, n, (uint32_t)(int32_t)v->u.s);
  case WC_U32: return kind_is(cx, v, WC_V_U32) && push(cx, out, cap, n, (uint32_t)v->u.u);
  case WC_S64: return kind_is(cx, v, WC_V_S64) && push(cx, out, cap, n, (uint64_t)v->u.s);
  case WC_U64: return kind_is(cx, v, WC_V_U64) && push(cx, out, cap, n, v->u.u);
  case WC_F32:
    if (!kind_is(cx, v, WC_V_F32)) return false;
    memcpy(&bits32, &v->u.f32, 4); /* NaN bits pass unchanged: the spec allows any NaN */
    return push(cx, out, cap, n, bits32);
  case WC_F64:
    if (!kind_is(cx, v, WC_V_F64)) return false;
    memcpy(&bits64, &v->u.f64, 8);
    return push(cx, out, cap, n, bits64);
  case WC_CHAR:
    if (!kind_is(cx, v, WC_V_CHAR)) return false;
    if (v->u.ch >= 0x110000 || (v->u.ch >= 0xd800 && v->u.ch <= 0xdfff))
      return wc_canon_trap(cx, "invalid char 0x%x: not a Unicode scalar value", v->u.ch);
    return push(cx, out, cap, n, v->u.ch);
  case WC_STRING: {
    uint32_t ptr = 0, units = 0;
    return kind_is(cx, v, WC_V_STRING) && lower_string(cx, v, &ptr, &units) && push(cx, out, cap, n, ptr) &&
           push(cx, out, cap, n, units);
  }
  default: return wc_canon_trap(cx, "error-context values are not supported");
  }
}

bool wc_lower_flat(wc_canon_cx *cx, const wc_value *v, wc_val t, uint64_t *out, uint32_t cap, uint32_t *n) {
  wc_prim p;
  const wc_type *d = resolve(cx->types, t, &p);
  if (!d) return lower_prim(cx, v, p, out, cap, n);
  switch (d->kind) {
  case WC_T_LIST: {
    uint32_t ptr = 0;
    return kind_is(cx, v, WC_V_LIST) && lower_list(cx, v, d->elem, &ptr) && push(cx, out, cap, n, ptr) &&
           push(cx, out, cap, n, v->u.seq.n);
  }
  case WC_T_FIXED_LIST: case WC_T_RECORD: case WC_T_TUPLE: {
    uint32_t k = d->kind == WC_T_FIXED_LIST ? d->len : d->nitems;
    if (!kind_is(cx, v, d->kind == WC_T_FIXED_LIST ? WC_V_LIST : WC_V_RECORD)) return false;
    if (v->u.seq.n != k) return wc_canon_trap(cx, "host value has %u fields/elements, type has %u", v->u.seq.n, k);
    for (uint32_t i = 0; i < k; i++)
      if (!wc_lower_flat(cx, &v->u.seq.v[i], d->kind == WC_T_FIXED_LIST ? d->elem : d->items[i].type, out, cap, n))
        return false;
    return true;
  }
  case WC_T_VARIANT: case WC_T_ENUM: case WC_T_OPTION: case WC_T_RESULT: {
    uint32_t nc = ncases(d);
    if (!kind_is(cx, v, WC_V_VARIANT)) return false;
    if (v->u.var.index >= nc) return wc_canon_trap(cx, "host variant case %u out of range (%u cases)", v->u.var.index, nc);
    if (!push(cx, out, cap, n, v->u.var.index)) return false;
    uint32_t end = *n + d->nflat - 1;
    if (end > cap) return wc_canon_trap(cx, "too many core values for the room given (%u)", cap);
    wc_val pt;
    if (case_payload(d, v->u.var.index, &pt)) {
      if (!v->u.var.payload) return wc_canon_trap(cx, "host variant case %u lacks its payload", v->u.var.index);
      if (!wc_lower_flat(cx, v->u.var.payload, pt, out, end, n)) return false;
    }
    while (*n < end) out[(*n)++] = 0; /* unused joined slots are zero */
    return true;
  }
  case WC_T_FLAGS:
    if (d->nitems > 32) return wc_canon_trap(cx, "flags with more than 32 labels are not supported");
    return kind_is(cx, v, WC_V_FLAGS) && push(cx, out, cap, n, v->u.flags & flags_mask(d->nitems));
  case WC_T_OWN: case WC_T_BORROW: {
    uint32_t i = 0;
    return kind_is(cx, v, d->kind == WC_T_OWN ? WC_V_OWN : WC_V_BORROW) && lower_handle(cx, d, v, &i) &&
           push(cx, out, cap, n, i);
  }
  default: return wc_canon_trap(cx, "type %u is not a value type", t);
  }
}

/* ---- function parameters and results ------------------------------------ */

/* Size and alignment of the tuple of ts, and their total flat count (saturating). */
static void tuple_facts(const wc_types *ts, const wc_val *t, uint32_t nt, uint64_t *size, uint64_t *align, uint32_t *nflat) {
  uint64_t off = 0, a = 1, s, al;
  uint32_t nf = 0;
  for (uint32_t i = 0; i < nt; i++) {
    wc_abi(ts, t[i], &s, &al);
    off = align_up(off, al) + s;
    if (al > a) a = al;
    nf += nflat_of(ts, t[i]);
    if (nf > WC_MAX_FLAT_PARAMS + 1) nf = WC_MAX_FLAT_PARAMS + 1;
  }
  *size = align_up(off, a);
  *align = a;
  *nflat = nf;
}

bool wc_lift_flat_values(wc_canon_cx *cx, uint32_t max_flat, const uint64_t *flat, uint32_t n,
                         const wc_val *ts, uint32_t nts, wc_value *out) {
  uint64_t size, align;
  uint32_t nf, pos = 0;
  tuple_facts(cx->types, ts, nts, &size, &align, &nf);
  if (nf <= max_flat) {
    for (uint32_t i = 0; i < nts; i++)
      if (!wc_lift_flat(cx, flat, n, &pos, ts[i], &out[i])) return false;
    return true;
  }
  uint64_t p = 0;
  if (!next(cx, flat, n, &pos, &p)) return false;
  if (!check_range(cx, (uint32_t)p, size, align, "spilled values")) return false;
  uint64_t off = 0, s, a;
  for (uint32_t i = 0; i < nts; i++) {
    wc_abi(cx->types, ts[i], &s, &a);
    off = align_up(off, a);
    if (!load_at(cx, (uint32_t)p + off, ts[i], &out[i])) return false;
    off += s;
  }
  return true;
}

bool wc_lower_flat_values(wc_canon_cx *cx, uint32_t max_flat, const wc_value *vs, const wc_val *ts,
                          uint32_t nts, const uint32_t *out_param, uint64_t *out, uint32_t *nout) {
  uint64_t size, align;
  uint32_t nf;
  *nout = 0;
  tuple_facts(cx->types, ts, nts, &size, &align, &nf);
  if (nf <= max_flat) {
    for (uint32_t i = 0; i < nts; i++)
      if (!wc_lower_flat(cx, &vs[i], ts[i], out, max_flat, nout)) return false;
    return true;
  }
  uint32_t ptr = 0;
  if (out_param) {
    ptr = *out_param;
    if (!check_range(cx, ptr, size, align, "return area")) return false;
  } else {
    if (!guest_alloc(cx, 0, 0, (uint32_t)align, size, &ptr, "spilled parameters")) return false;
    out[(*nout)++] = ptr;
  }
  uint64_t off = 0, s, a;
  for (uint32_t i = 0; i < nts; i++) {
    wc_abi(cx->types, ts[i], &s, &a);
    off = align_up(off, a);
    if (!store_at(cx, &vs[i], ts[i], ptr + off)) return false;
    off += s;
  }
  return true;
}
