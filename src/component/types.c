/*
 * types.c — component type definitions: the arena every type lives in, the
 * decoding of defined value types, function, component, instance and
 * resource types (with their declarators) and core types, and the facts the
 * canonical ABI needs about a value type (flattening, element size and
 * alignment), computed once when the type is added.
 *
 * Because a type only refers to earlier arena entries, each fact of a new type
 * is computed from its children's facts in time linear in its number of
 * direct children: a type that would be exponentially large as a tree costs
 * nothing extra, and its tree size is tracked (saturating) to reject it.
 */
#include <stdlib.h>
#include <string.h>
#include <strings.h>

#include "common/grow.h"
#include "component/component_internal.h"

const char *wc_prim_name(wc_prim p) {
  switch (p) {
  case WC_BOOL: return "bool"; case WC_S8: return "s8"; case WC_U8: return "u8"; case WC_S16: return "s16";
  case WC_U16: return "u16"; case WC_S32: return "s32"; case WC_U32: return "u32"; case WC_S64: return "s64";
  case WC_U64: return "u64"; case WC_F32: return "f32"; case WC_F64: return "f64"; case WC_CHAR: return "char";
  case WC_STRING: return "string"; case WC_ERROR_CONTEXT: return "error-context";
  }
  return "?";
}

/* ---- the arena ---------------------------------------------------------- */

void wc_type_release(wc_type *t) {
  free(t->items);
  free(t->imports);
  free(t->exports);
  free(t->core_func.types);
  memset(t, 0, sizeof *t);
}

static bool is_value_kind(wc_type_kind k) { return k <= WC_T_BORROW; }

/* Facts of a value type reference (a primitive or an arena entry). */
typedef struct facts {
  uint32_t depth, size;
  uint64_t abi_size, abi_align;
  uint8_t nflat;
  uint8_t flat[WC_MAX_FLAT_PARAMS + 1];
  bool has_ptr, has_borrow, has_handle;
} facts;

static void prim_facts(wc_prim p, facts *f) {
  memset(f, 0, sizeof *f);
  f->size = 1;
  f->nflat = 1;
  switch (p) {
  case WC_BOOL: case WC_S8: case WC_U8: f->abi_size = f->abi_align = 1; f->flat[0] = WASM_I32; break;
  case WC_S16: case WC_U16: f->abi_size = f->abi_align = 2; f->flat[0] = WASM_I32; break;
  case WC_S32: case WC_U32: case WC_CHAR: case WC_ERROR_CONTEXT:
    f->abi_size = f->abi_align = 4; f->flat[0] = WASM_I32; break;
  case WC_S64: case WC_U64: f->abi_size = f->abi_align = 8; f->flat[0] = WASM_I64; break;
  case WC_F32: f->abi_size = f->abi_align = 4; f->flat[0] = WASM_F32; break;
  case WC_F64: f->abi_size = f->abi_align = 8; f->flat[0] = WASM_F64; break;
  case WC_STRING:
    f->abi_size = 8; f->abi_align = 4; f->nflat = 2; f->flat[0] = f->flat[1] = WASM_I32; f->has_ptr = true;
    break;
  }
}

static void val_facts(wc_loader *L, wc_val v, facts *f) {
  if (wc_val_is_prim(v)) { prim_facts((wc_prim)(v & 0xff), f); return; }
  const wc_type *t = &L->types->v[v];
  f->depth = t->depth; f->size = t->size;
  f->abi_size = t->abi_size; f->abi_align = t->abi_align;
  f->nflat = t->nflat;
  memcpy(f->flat, t->flat, sizeof f->flat);
  f->has_ptr = t->has_ptr; f->has_borrow = t->has_borrow; f->has_handle = t->has_handle;
}

#define SAT 0xffffffffull  /* ABI sizes saturate here (far past the 2^28 limit) */
static uint64_t sat_add(uint64_t a, uint64_t b) { return a + b > SAT ? SAT : a + b; }
static uint64_t sat_mul(uint64_t a, uint64_t b) { return b && a > SAT / b ? SAT : a * b; }
static uint64_t align_to(uint64_t x, uint64_t a) { return x >= SAT ? SAT : (x + a - 1) / a * a; }
static uint32_t size_add(uint32_t a, uint32_t b) {
  uint64_t s = (uint64_t)a + b;
  return s > WC_MAX_TYPE_SIZE + 1ull ? WC_MAX_TYPE_SIZE + 1 : (uint32_t)s;
}

/* Appends a value's flattening to a list that saturates at 17 entries. */
static void flat_append(uint8_t *dst, uint8_t *n, const facts *f) {
  for (uint32_t i = 0; i < f->nflat && *n <= WC_MAX_FLAT_PARAMS; i++) {
    if (i > WC_MAX_FLAT_PARAMS) break;
    if (*n < WC_MAX_FLAT_PARAMS + 1) dst[(*n)++] = f->flat[i];
  }
  if (f->nflat > WC_MAX_FLAT_PARAMS) *n = WC_MAX_FLAT_PARAMS + 1;
}

static uint8_t flat_join(uint8_t a, uint8_t b) {
  if (a == b) return a;
  if ((a == WASM_I32 && b == WASM_F32) || (a == WASM_F32 && b == WASM_I32)) return WASM_I32;
  return WASM_I64;
}

/* Variant-shaped types: discriminant + the join of the cases' flattenings. */
static void variant_facts(wc_loader *L, const wc_item *cases, uint32_t n, facts *out) {
  uint64_t disc = n <= 256 ? 1 : n <= 65536 ? 2 : 4;
  uint64_t max_size = 0, max_align = 1;
  uint8_t join[WC_MAX_FLAT_PARAMS + 1];
  uint8_t nj = 0;
  for (uint32_t i = 0; i < n; i++) {
    if (!cases[i].has_type) continue;
    facts f;
    val_facts(L, cases[i].type, &f);
    out->depth = f.depth > out->depth ? f.depth : out->depth;
    out->size = size_add(out->size, f.size);
    out->has_ptr |= f.has_ptr;
    out->has_borrow |= f.has_borrow;
    out->has_handle |= f.has_handle;
    if (f.abi_size > max_size) max_size = f.abi_size;
    if (f.abi_align > max_align) max_align = f.abi_align;
    if (f.nflat > WC_MAX_FLAT_PARAMS) { nj = WC_MAX_FLAT_PARAMS + 1; continue; }
    for (uint32_t k = 0; k < f.nflat && nj <= WC_MAX_FLAT_PARAMS; k++) {
      if (k < nj) join[k] = flat_join(join[k], f.flat[k]);
      else join[nj++] = f.flat[k];
    }
  }
  out->abi_align = disc > max_align ? disc : max_align;
  out->abi_size = align_to(sat_add(align_to(disc, max_align), max_size), out->abi_align);
  out->flat[0] = WASM_I32;
  out->nflat = 1;
  for (uint32_t k = 0; k < nj && out->nflat <= WC_MAX_FLAT_PARAMS; k++) out->flat[out->nflat++] = join[k];
  if (nj > WC_MAX_FLAT_PARAMS) out->nflat = WC_MAX_FLAT_PARAMS + 1;
}

static void compute_facts(wc_loader *L, wc_type *t) {
  facts out, f;
  memset(&out, 0, sizeof out);
  out.size = 1;
  switch (t->kind) {
  case WC_T_PRIM: prim_facts(t->prim, &out); break;
  case WC_T_RECORD: case WC_T_TUPLE:
    out.abi_align = 1;
    for (uint32_t i = 0; i < t->nitems; i++) {
      val_facts(L, t->items[i].type, &f);
      if (f.depth > out.depth) out.depth = f.depth;
      out.size = size_add(out.size, f.size);
      out.abi_size = sat_add(align_to(out.abi_size, f.abi_align), f.abi_size);
      if (f.abi_align > out.abi_align) out.abi_align = f.abi_align;
      flat_append(out.flat, &out.nflat, &f);
      out.has_ptr |= f.has_ptr; out.has_borrow |= f.has_borrow; out.has_handle |= f.has_handle;
    }
    out.abi_size = align_to(out.abi_size, out.abi_align);
    break;
  case WC_T_VARIANT: case WC_T_RESULT: variant_facts(L, t->items, t->nitems, &out); break;
  case WC_T_OPTION: {
    wc_item cases[2] = {{.has_type = false}, {.type = t->elem, .has_type = true}};
    variant_facts(L, cases, 2, &out);
    break;
  }
  case WC_T_ENUM: variant_facts(L, NULL, 0, &out);
    out.abi_size = out.abi_align = t->nitems <= 256 ? 1 : t->nitems <= 65536 ? 2 : 4;
    break;
  case WC_T_FLAGS:
    out.abi_size = out.abi_align = t->nitems <= 8 ? 1 : t->nitems <= 16 ? 2 : 4;
    out.nflat = 1; out.flat[0] = WASM_I32;
    break;
  case WC_T_LIST:
    val_facts(L, t->elem, &f);
    out.depth = f.depth; out.size = size_add(1, f.size); out.has_borrow = f.has_borrow;
    out.has_handle = f.has_handle;
    out.abi_size = 8; out.abi_align = 4; out.nflat = 2; out.flat[0] = out.flat[1] = WASM_I32;
    out.has_ptr = true;
    break;
  case WC_T_FIXED_LIST:
    val_facts(L, t->elem, &f);
    out.depth = f.depth; out.size = size_add(1, f.size);
    out.has_ptr = f.has_ptr; out.has_borrow = f.has_borrow; out.has_handle = f.has_handle;
    out.abi_size = sat_mul(f.abi_size, t->len); out.abi_align = f.abi_align;
    for (uint32_t i = 0; i < t->len && out.nflat <= WC_MAX_FLAT_PARAMS; i++) flat_append(out.flat, &out.nflat, &f);
    break;
  case WC_T_OWN: case WC_T_BORROW:
    out.abi_size = out.abi_align = 4; out.nflat = 1; out.flat[0] = WASM_I32;
    out.has_borrow = t->kind == WC_T_BORROW;
    out.has_handle = true;
    break;
  case WC_T_FUNC:
    for (uint32_t i = 0; i < t->nitems; i++) { val_facts(L, t->items[i].type, &f); t->has_handle |= f.has_handle; }
    if (t->has_result) { val_facts(L, t->result, &f); t->has_handle |= f.has_handle; }
    return;
  default: return; /* not a value type: no ABI facts */
  }
  t->depth = out.depth + 1;
  t->size = out.size;
  t->abi_size = out.abi_size; t->abi_align = out.abi_align ? out.abi_align : 1;
  t->nflat = out.nflat;
  memcpy(t->flat, out.flat, sizeof t->flat);
  t->has_ptr = out.has_ptr; t->has_borrow = out.has_borrow; t->has_handle = out.has_handle;
}

uint32_t wc_type_add(wc_loader *L, wc_type *t, uint64_t at) {
  wc_types *ts = L->types;
  if (ts->n >= 10u * WC_MAX_ITEMS) {
    wc_type_release(t);
    wc_limit(L, at, "too many types: at most %u in one component", 10u * WC_MAX_ITEMS);
    return WC_NONE;
  }
  if (!rt_grow((void **)&ts->v, &ts->cap, ts->n + 1, sizeof *ts->v)) {
    wc_type_release(t);
    wc_oom(L, at);
    return WC_NONE;
  }
  t->dtor = t->kind == WC_T_RESOURCE ? t->dtor : WC_NONE;
  compute_facts(L, t);
  if (is_value_kind(t->kind)) {
    if (t->depth > WC_MAX_TYPE_DEPTH) {
      wc_type_release(t);
      wc_limit(L, at, "value type nested too deeply: more than %u levels", WC_MAX_TYPE_DEPTH);
      return WC_NONE;
    }
    if (t->size > WC_MAX_TYPE_SIZE) {
      wc_type_release(t);
      wc_limit(L, at, "value type too large: more than %u nodes when expanded", WC_MAX_TYPE_SIZE);
      return WC_NONE;
    }
    if (t->abi_size >= (1u << 28)) {
      wc_type_release(t);
      wc_invalid(L, at, "value type too large: its canonical ABI size must be below 2^28 bytes");
      return WC_NONE;
    }
  }
  ts->v[ts->n] = *t;
  return ts->n++;
}

const wm_functype *wc_core_functype(wc_loader *L, uint32_t id) {
  if (id >= L->types->n || L->types->v[id].kind != WC_T_CORE_FUNC) return NULL;
  return &L->types->v[id].core_func;
}

uint32_t wc_core_functype_add(wc_loader *L, const wm_valtype *params, uint32_t np,
                              const wm_valtype *results, uint32_t nr, uint64_t at) {
  wc_type t = {.kind = WC_T_CORE_FUNC};
  t.core_func.nparams = np;
  t.core_func.nresults = nr;
  if (np + nr) {
    t.core_func.types = malloc(sizeof(wm_valtype) * (np + nr));
    if (!t.core_func.types) { wc_oom(L, at); return WC_NONE; }
    if (np) memcpy(t.core_func.types, params, sizeof(wm_valtype) * np);
    if (nr) memcpy(t.core_func.types + np, results, sizeof(wm_valtype) * nr);
  }
  return wc_type_add(L, &t, at);
}

bool wc_functype_equal(const wm_functype *a, const wm_functype *b) {
  if (a->nparams != b->nparams || a->nresults != b->nresults) return false;
  uint32_t n = a->nparams + a->nresults;
  return n == 0 || memcmp(a->types, b->types, sizeof(wm_valtype) * n) == 0;
}

bool wc_val_has_ptr(wc_loader *L, wc_val v) {
  facts f;
  val_facts(L, v, &f);
  return f.has_ptr;
}

uint32_t wc_val_nflat(wc_loader *L, wc_val v) {
  facts f;
  val_facts(L, v, &f);
  return f.nflat;
}

void wc_flatten_functype(wc_loader *L, uint32_t ft, bool lift, wm_valtype *params, uint32_t *np,
                         wm_valtype *results, uint32_t *nr) {
  const wc_type *t = &L->types->v[ft];
  uint8_t p[WC_MAX_FLAT_PARAMS + 1];
  uint8_t n = 0;
  facts f;
  for (uint32_t i = 0; i < t->nitems; i++) {
    val_facts(L, t->items[i].type, &f);
    flat_append(p, &n, &f);
  }
  if (n > WC_MAX_FLAT_PARAMS) { params[0] = WASM_I32; *np = 1; }
  else { for (uint32_t i = 0; i < n; i++) params[i] = p[i]; *np = n; }
  *nr = 0;
  if (!t->has_result) return;
  val_facts(L, t->result, &f);
  if (f.nflat > WC_MAX_FLAT_RESULTS) {
    if (lift) { results[0] = WASM_I32; *nr = 1; }
    else params[(*np)++] = WASM_I32;   /* lowered: the caller passes a return pointer */
  } else {
    for (uint32_t i = 0; i < f.nflat; i++) results[i] = f.flat[i];
    *nr = f.nflat;
  }
}

/* ---- value types -------------------------------------------------------- */

static bool is_prim_code(uint8_t b) { return (b >= 0x73 && b <= 0x7f) || b == 0x64; }

/* valtype ::= typeidx | primvaltype */
static bool read_valtype(wc_loader *L, wm_reader *r, wc_scope *s, wc_val *out) {
  uint64_t at = reader_offset(r);
  *out = 0;
  if (r->p < r->end && *r->p >= 0x40 && *r->p < 0x80) {
    uint8_t b = *r->p++;
    if (!is_prim_code(b)) return wc_malformed(L, at, "unknown value type 0x%02x", b);
    *out = WC_PRIM_BIT | b;
    return true;
  }
  int64_t idx;
  if (!reader_s33(r, &idx)) return false;
  if (idx < 0) return wc_malformed(L, at, "unknown value type (negative code %lld)", (long long)idx);
  uint32_t id;
  if (!wc_scope_get(L, s, WC_TYPE, (uint32_t)idx, at, &id)) return false;
  if (!is_value_kind(L->types->v[id].kind))
    return wc_invalid(L, at, "type %u is not a value type", (uint32_t)idx);
  *out = id;
  return true;
}

/* The labels of one type (fields, cases, flags, params) must be strongly unique. */
static bool check_labels(wc_loader *L, const wc_item *items, uint32_t n, uint64_t at, const char *what) {
  for (uint32_t i = 0; i < n; i++) {
    if (!wc_check_label(items[i].name))
      return wc_invalid(L, at, "%s name \"%.*s\" is not a valid label (kebab-case words)", what,
                        (int)items[i].name.len, items[i].name.ptr);
    for (uint32_t k = 0; k < i; k++)
      if (items[k].name.len == items[i].name.len &&
          strncasecmp(items[k].name.ptr, items[i].name.ptr, items[i].name.len) == 0)
        return wc_invalid(L, at, "duplicate %s name \"%.*s\"", what, (int)items[i].name.len, items[i].name.ptr);
  }
  return true;
}

/* vec of labelled items: names always, types as `typed` says (0 never, 1 always,
 * 2 optional then a 0x00 byte: variant cases). */
static bool read_items(wc_loader *L, wm_reader *r, wc_scope *s, int typed, bool named, wc_type *t) {
  uint32_t n;
  if (!wc_read_count(L, r, 1, &n)) return false;
  if (n > WC_MAX_ITEMS) return wc_limit(L, reader_offset(r), "too many fields: %u (at most %u)", n, WC_MAX_ITEMS);
  t->items = n ? calloc(n, sizeof *t->items) : NULL;
  if (n && !t->items) return wc_oom(L, reader_offset(r));
  for (uint32_t i = 0; i < n; i++) {
    wc_item *it = &t->items[i];
    if (named && !wc_read_name(L, r, &it->name)) return false;
    if (typed == 1) {
      if (!read_valtype(L, r, s, &it->type)) return false;
      it->has_type = true;
    } else if (typed == 2) {
      uint64_t at = reader_offset(r);
      uint8_t b;
      if (!reader_u8(r, &b)) return false;
      if (b == 1) { if (!read_valtype(L, r, s, &it->type)) return false; it->has_type = true; }
      else if (b != 0) return wc_malformed(L, at, "malformed optional type: expected 0x00 or 0x01, found 0x%02x", b);
      if (!reader_u8(r, &b)) return false;
      if (b != 0) return wc_malformed(L, reader_offset(r) - 1, "malformed variant case: expected 0x00 (no refinement), found 0x%02x", b);
    }
    t->nitems = i + 1;
  }
  return true;
}

static bool read_opt_valtype(wc_loader *L, wm_reader *r, wc_scope *s, wc_item *it) {
  uint64_t at = reader_offset(r);
  uint8_t b;
  if (!reader_u8(r, &b)) return false;
  if (b == 0) return true;
  if (b != 1) return wc_malformed(L, at, "malformed optional type: expected 0x00 or 0x01, found 0x%02x", b);
  it->has_type = true;
  return read_valtype(L, r, s, &it->type);
}

static bool resource_of(wc_loader *L, wm_reader *r, wc_scope *s, uint32_t *out) {
  uint64_t at = reader_offset(r);
  uint32_t idx, id;
  if (!reader_u32(r, &idx) || !wc_scope_get(L, s, WC_TYPE, idx, at, &id)) return false;
  if (L->types->v[id].kind != WC_T_RESOURCE)
    return wc_invalid(L, at, "handle type refers to type %u, which is not a resource type", idx);
  *out = id;
  return true;
}

/* defvaltype after its opcode byte `op` (already read at `at`). */
static bool read_defvaltype(wc_loader *L, wm_reader *r, wc_scope *s, uint8_t op, uint64_t at, uint32_t *out) {
  wc_type t;
  memset(&t, 0, sizeof t);
  bool ok = true;
  if (is_prim_code(op)) { t.kind = WC_T_PRIM; t.prim = (wc_prim)op; }
  else switch (op) {
  case 0x72:
    t.kind = WC_T_RECORD;
    ok = read_items(L, r, s, 1, true, &t) && check_labels(L, t.items, t.nitems, at, "record field");
    if (ok && t.nitems == 0) ok = wc_invalid(L, at, "record type must have at least one field");
    break;
  case 0x71:
    t.kind = WC_T_VARIANT;
    ok = read_items(L, r, s, 2, true, &t) && check_labels(L, t.items, t.nitems, at, "variant case");
    if (ok && t.nitems == 0) ok = wc_invalid(L, at, "variant type must have at least one case");
    break;
  case 0x70: t.kind = WC_T_LIST; ok = read_valtype(L, r, s, &t.elem); break;
  case 0x67:
    t.kind = WC_T_FIXED_LIST;
    ok = read_valtype(L, r, s, &t.elem) && reader_u32(r, &t.len);
    if (ok && t.len == 0) ok = wc_invalid(L, at, "fixed-length list must have a length above 0");
    break;
  case 0x6f:
    t.kind = WC_T_TUPLE;
    ok = read_items(L, r, s, 1, false, &t);
    if (ok && t.nitems == 0) ok = wc_invalid(L, at, "tuple type must have at least one element");
    break;
  case 0x6e: case 0x6d:
    t.kind = op == 0x6e ? WC_T_FLAGS : WC_T_ENUM;
    ok = read_items(L, r, s, 0, true, &t) &&
         check_labels(L, t.items, t.nitems, at, op == 0x6e ? "flag" : "enum case");
    if (ok && t.nitems == 0) ok = wc_invalid(L, at, "%s type must have at least one label", op == 0x6e ? "flags" : "enum");
    if (ok && op == 0x6e && t.nitems > 32) ok = wc_invalid(L, at, "flags type has %u labels: at most 32", t.nitems);
    break;
  case 0x6b: t.kind = WC_T_OPTION; ok = read_valtype(L, r, s, &t.elem); break;
  case 0x6a:
    t.kind = WC_T_RESULT;
    t.items = calloc(2, sizeof *t.items);
    if (!t.items) { ok = wc_oom(L, at); break; }
    t.nitems = 2;
    ok = read_opt_valtype(L, r, s, &t.items[0]) && read_opt_valtype(L, r, s, &t.items[1]);
    break;
  case 0x69: case 0x68:
    t.kind = op == 0x69 ? WC_T_OWN : WC_T_BORROW;
    ok = resource_of(L, r, s, &t.resource);
    break;
  case 0x66: case 0x65:
    ok = wc_invalid(L, at, "%s types (async) are not supported", op == 0x66 ? "stream" : "future");
    break;
  default:
    ok = wc_malformed(L, at, "unknown type opcode 0x%02x", op);
  }
  if (!ok) { wc_type_release(&t); return false; }
  *out = wc_type_add(L, &t, at);
  return *out != WC_NONE;
}

/* functype after 0x40 */
static bool read_functype(wc_loader *L, wm_reader *r, wc_scope *s, uint64_t at, uint32_t *out) {
  wc_type t;
  memset(&t, 0, sizeof t);
  t.kind = WC_T_FUNC;
  bool ok = read_items(L, r, s, 1, true, &t) && check_labels(L, t.items, t.nitems, at, "parameter");
  if (ok) {
    uint64_t rat = reader_offset(r);
    uint8_t b, z;
    ok = reader_u8(r, &b);
    if (ok && b == 0) {
      t.has_result = true;
      ok = read_valtype(L, r, s, &t.result);
      if (ok && !wc_val_is_prim(t.result) && L->types->v[t.result].has_borrow)
        ok = wc_invalid(L, rat, "function result type must not contain a borrow handle");
    } else if (ok && b == 1) {
      ok = reader_u8(r, &z);
      if (ok && z != 0) ok = wc_malformed(L, rat + 1, "named results are not supported: expected 0x00 after 0x01");
    } else if (ok) {
      ok = wc_malformed(L, rat, "malformed result list: expected 0x00 or 0x01, found 0x%02x", b);
    }
  }
  if (!ok) { wc_type_release(&t); return false; }
  *out = wc_type_add(L, &t, at);
  return *out != WC_NONE;
}

/* ---- component and instance types -------------------------------------- */

/* One declarator of a component type (comp=true) or an instance type. */
static bool read_decl(wc_loader *L, wm_reader *r, wc_scope *s, bool comp) {
  uint64_t at = reader_offset(r);
  uint8_t b;
  if (!reader_u8(r, &b)) return false;
  uint32_t id, idx;
  switch (b) {
  case 0x00:
    return wc_read_core_type(L, r, s, &id) && wc_scope_push(L, s, WC_CORE_TYPE, id, at, &idx);
  case 0x01:
    if (!wc_read_type(L, r, s, &id)) return false;
    return wc_scope_push(L, s, WC_TYPE, id, at, &idx);
  case 0x02: {
    wc_def def;
    memset(&def, 0, sizeof def);
    return wc_read_alias(L, r, s, true, &def);
  }
  case 0x03: case 0x04: {
    if (b == 0x03 && !comp) return wc_malformed(L, at, "import declarators are only allowed in component types");
    wc_str name;
    wc_sort sort;
    if (!wc_read_nameattrs(L, r, &name) || !wc_read_externtype(L, r, s, &sort, &id)) return false;
    if (!wc_scope_add_extern(L, s, b == 0x03, name, sort, id, at)) return false;
    return wc_scope_push(L, s, sort, id, at, &idx);
  }
  default:
    return wc_malformed(L, at, "unknown declarator 0x%02x", b);
  }
}

static bool read_decl_type(wc_loader *L, wm_reader *r, wc_scope *outer, bool comp, uint64_t at, uint32_t *out) {
  if (L->depth >= WC_MAX_DEPTH)
    return wc_limit(L, at, "component or instance types nested too deeply: more than %u levels", WC_MAX_DEPTH);
  wc_scope s;
  wc_scope_init(&s, outer, true, !comp);
  L->depth++;
  uint32_t n;
  bool ok = wc_read_count(L, r, 1, &n);
  for (uint32_t i = 0; ok && i < n; i++) ok = read_decl(L, r, &s, comp);
  L->depth--;
  if (ok) {
    wc_type t;
    memset(&t, 0, sizeof t);
    t.kind = comp ? WC_T_COMPONENT : WC_T_INSTANCE;
    t.imports = s.imports; t.nimports = s.nimports;
    t.exports = s.exports; t.nexports = s.nexports;
    s.imports = s.exports = NULL;
    *out = wc_type_add(L, &t, at);
    ok = *out != WC_NONE;
  }
  wc_scope_release(&s);
  return ok;
}

bool wc_read_type(wc_loader *L, wm_reader *r, wc_scope *s, uint32_t *out) {
  uint64_t at = reader_offset(r);
  uint8_t op;
  if (!reader_u8(r, &op)) return false;
  switch (op) {
  case 0x40: return read_functype(L, r, s, at, out);
  case 0x43: return wc_invalid(L, at, "async function types are not supported");
  case 0x41: return read_decl_type(L, r, s, true, at, out);
  case 0x42: return read_decl_type(L, r, s, false, at, out);
  case 0x3f: {
    if (s->is_type) return wc_invalid(L, at, "resource types cannot be defined inside a component or instance type");
    uint64_t vat = reader_offset(r);
    uint8_t rep, has;
    if (!reader_u8(r, &rep)) return false;
    if (rep != WASM_I32) return wc_invalid(L, vat, "resource representation must be i32, found 0x%02x", rep);
    wc_type t;
    memset(&t, 0, sizeof t);
    t.kind = WC_T_RESOURCE;
    t.dtor = WC_NONE;
    t.owner = s->id;
    uint64_t dat = reader_offset(r);
    if (!reader_u8(r, &has)) return false;
    if (has > 1) return wc_malformed(L, dat, "malformed optional destructor: expected 0x00 or 0x01, found 0x%02x", has);
    if (has) {
      uint32_t fid;
      dat = reader_offset(r);
      if (!reader_u32(r, &t.dtor) || !wc_scope_get(L, s, WC_CORE_FUNC, t.dtor, dat, &fid)) return false;
      const wm_functype *ft = wc_core_functype(L, fid);
      if (!ft || ft->nparams != 1 || ft->nresults != 0 || ft->types[0] != WASM_I32)
        return wc_invalid(L, dat, "resource destructor (core func %u) must have type [i32] -> []", t.dtor);
    }
    *out = wc_type_add(L, &t, at);
    return *out != WC_NONE;
  }
  default:
    return read_defvaltype(L, r, s, op, at, out);
  }
}

/* ---- core types --------------------------------------------------------- */

static bool read_core_valtype(wc_loader *L, wm_reader *r, wm_valtype *out) {
  uint64_t at = reader_offset(r);
  uint8_t b;
  if (!reader_u8(r, &b)) return false;
  switch (b) {
  case 0x7f: case 0x7e: case 0x7d: case 0x7c: case 0x7b: *out = b; return true;
  case 0x70: *out = WASM_FUNCREF; return true;
  case 0x6f: *out = WASM_EXTERNREF; return true;
  default: return wc_malformed(L, at, "unknown core value type 0x%02x", b);
  }
}

static bool read_core_functype(wc_loader *L, wm_reader *r, uint64_t at, uint32_t *out) {
  uint32_t np, nr;
  wm_valtype *v = NULL;
  bool ok = wc_read_count(L, r, 1, &np);
  if (ok && np > WASM_MAX_PARAMS) ok = wc_limit(L, at, "too many parameters: %u", np);
  if (ok) ok = (v = malloc(sizeof *v * (np + WASM_MAX_RESULTS + 1))) != NULL || wc_oom(L, at);
  for (uint32_t i = 0; ok && i < np; i++) ok = read_core_valtype(L, r, &v[i]);
  if (ok) ok = wc_read_count(L, r, 1, &nr);
  if (ok && nr > WASM_MAX_RESULTS) ok = wc_limit(L, at, "too many results: %u", nr);
  for (uint32_t i = 0; ok && i < nr; i++) ok = read_core_valtype(L, r, &v[np + i]);
  if (ok) { *out = wc_core_functype_add(L, v, np, v + np, nr, at); ok = *out != WC_NONE; }
  free(v);
  return ok;
}

static bool read_limits(wc_loader *L, wm_reader *r) {
  uint64_t at = reader_offset(r);
  uint8_t flags;
  uint64_t v;
  if (!reader_u8(r, &flags)) return false;
  if (flags > 0x07) return wc_malformed(L, at, "malformed limits flags 0x%02x", flags);
  unsigned bits = (flags & 4) ? 64 : 32;
  if (!reader_uleb(r, bits, &v)) return false;
  return !(flags & 1) || reader_uleb(r, bits, &v);
}

/* core:externtype (the import/export descriptor of a core module type). */
static bool read_core_externtype(wc_loader *L, wm_reader *r, wc_scope *s, wc_sort *sort, uint32_t *type) {
  uint64_t at = reader_offset(r);
  uint8_t k, b;
  wm_valtype vt;
  if (!reader_u8(r, &k)) return false;
  *type = L->core_other;
  switch (k) {
  case 0x00: {
    uint32_t idx;
    uint64_t iat = reader_offset(r);
    *sort = WC_CORE_FUNC;
    if (!reader_u32(r, &idx) || !wc_scope_get(L, s, WC_CORE_TYPE, idx, iat, type)) return false;
    if (!wc_core_functype(L, *type)) return wc_invalid(L, iat, "core type %u is not a function type", idx);
    return true;
  }
  case 0x01: *sort = WC_CORE_TABLE; return read_core_valtype(L, r, &vt) && read_limits(L, r);
  case 0x02: *sort = WC_CORE_MEMORY; return read_limits(L, r);
  case 0x03:
    *sort = WC_CORE_GLOBAL;
    if (!read_core_valtype(L, r, &vt) || !reader_u8(r, &b)) return false;
    return b <= 1 || wc_malformed(L, reader_offset(r) - 1, "malformed global mutability 0x%02x", b);
  case 0x04: {
    uint32_t idx;
    *sort = WC_CORE_TAG;
    return reader_u8(r, &b) && reader_u32(r, &idx);
  }
  default: return wc_malformed(L, at, "unknown core extern kind 0x%02x", k);
  }
}

static bool push_core_extern(wc_loader *L, wc_extern **v, uint32_t *n, uint32_t *cap, wc_extern e, uint64_t at) {
  if (*n >= WC_MAX_ITEMS) return wc_limit(L, at, "too many imports or exports: at most %u", WC_MAX_ITEMS);
  if (!rt_grow((void **)v, cap, *n + 1, sizeof **v)) return wc_oom(L, at);
  (*v)[(*n)++] = e;
  return true;
}

/* core:moduletype after 0x50: its own, initially empty, core type space. */
static bool read_core_moduletype(wc_loader *L, wm_reader *r, wc_scope *outer, uint64_t at, uint32_t *out) {
  if (L->depth >= WC_MAX_DEPTH)
    return wc_limit(L, at, "types nested too deeply: more than %u levels", WC_MAX_DEPTH);
  wc_scope s;
  wc_scope_init(&s, outer, true, false);
  wc_type t;
  memset(&t, 0, sizeof t);
  t.kind = WC_T_CORE_MODULE;
  uint32_t capi = 0, cape = 0, n, idx, id;
  L->depth++;
  bool ok = wc_read_count(L, r, 1, &n);
  for (uint32_t i = 0; ok && i < n; i++) {
    uint64_t dat = reader_offset(r);
    uint8_t b;
    wc_extern e;
    memset(&e, 0, sizeof e);
    if (!(ok = reader_u8(r, &b))) break;
    switch (b) {
    case 0x00:
      ok = wc_read_name(L, r, &e.module) && wc_read_name(L, r, &e.name) &&
           read_core_externtype(L, r, &s, &e.sort, &e.type) &&
           push_core_extern(L, &t.imports, &t.nimports, &capi, e, dat);
      break;
    case 0x01: {
      uint8_t op;
      uint64_t tat = reader_offset(r);
      ok = reader_u8(r, &op);
      if (ok && op != 0x60) ok = wc_invalid(L, tat, "only core function types may be declared in a core module type");
      ok = ok && read_core_functype(L, r, tat, &id) && wc_scope_push(L, &s, WC_CORE_TYPE, id, tat, &idx);
      break;
    }
    case 0x02: {
      uint8_t k, o;
      uint32_t ct, ti;
      ok = reader_u8(r, &k) && reader_u8(r, &o);
      if (ok && (k != 0x10 || o != 0x01)) { ok = wc_malformed(L, dat + 1, "malformed core alias: expected 0x10 0x01 (outer type)"); break; }
      ok = ok && reader_u32(r, &ct) && reader_u32(r, &ti);
      if (!ok) break;
      wc_scope *target = &s;
      for (uint32_t c = 0; c < ct && target; c++) target = target->outer;
      if (!target) { ok = wc_invalid(L, dat, "outer alias count %u exceeds the enclosing scopes", ct); break; }
      ok = wc_scope_get(L, target, WC_CORE_TYPE, ti, dat, &id);
      if (ok && L->types->v[id].kind == WC_T_CORE_MODULE) ok = wc_invalid(L, dat, "core module types cannot be aliased into a module type");
      ok = ok && wc_scope_push(L, &s, WC_CORE_TYPE, id, dat, &idx);
      break;
    }
    case 0x03:
      ok = wc_read_name(L, r, &e.name) && read_core_externtype(L, r, &s, &e.sort, &e.type);
      if (ok && wc_find_extern(t.exports, t.nexports, e.name))
        ok = wc_invalid(L, dat, "duplicate export name \"%.*s\" in core module type", (int)e.name.len, e.name.ptr);
      ok = ok && push_core_extern(L, &t.exports, &t.nexports, &cape, e, dat);
      break;
    default:
      ok = wc_malformed(L, dat, "unknown core module declarator 0x%02x", b);
    }
  }
  L->depth--;
  wc_scope_release(&s);
  if (!ok) { wc_type_release(&t); return false; }
  *out = wc_type_add(L, &t, at);
  return *out != WC_NONE;
}

bool wc_read_core_type(wc_loader *L, wm_reader *r, wc_scope *s, uint32_t *out) {
  uint64_t at = reader_offset(r);
  uint8_t op;
  if (!reader_u8(r, &op)) return false;
  switch (op) {
  case 0x60: return read_core_functype(L, r, at, out);
  case 0x50:
    return read_core_moduletype(L, r, s, at, out);
  case 0x4e: case 0x4f: case 0x00: case 0x5e: case 0x5f:
    return wc_invalid(L, at, "core GC types (0x%02x) are not supported in components", op);
  default: return wc_malformed(L, at, "unknown core type opcode 0x%02x", op);
  }
}

/* ---- extern types ------------------------------------------------------- */

static bool typeidx_of_kind(wc_loader *L, wm_reader *r, wc_scope *s, wc_type_kind kind, const char *what,
                            uint32_t *type) {
  uint64_t at = reader_offset(r);
  uint32_t idx;
  if (!reader_u32(r, &idx) || !wc_scope_get(L, s, WC_TYPE, idx, at, type)) return false;
  if (L->types->v[*type].kind != kind) return wc_invalid(L, at, "type %u is not a %s type", idx, what);
  return true;
}

bool wc_read_externtype(wc_loader *L, wm_reader *r, wc_scope *s, wc_sort *sort, uint32_t *type) {
  uint64_t at = reader_offset(r);
  uint8_t k, b;
  uint32_t idx;
  if (!reader_u8(r, &k)) return false;
  switch (k) {
  case 0x00:
    *sort = WC_CORE_MODULE;
    if (!reader_u8(r, &b)) return false;
    if (b != 0x11) return wc_malformed(L, at + 1, "malformed core extern type: expected 0x11 (module), found 0x%02x", b);
    at = reader_offset(r);
    if (!reader_u32(r, &idx) || !wc_scope_get(L, s, WC_CORE_TYPE, idx, at, type)) return false;
    if (L->types->v[*type].kind != WC_T_CORE_MODULE) return wc_invalid(L, at, "core type %u is not a module type", idx);
    return true;
  case 0x01: *sort = WC_FUNC; return typeidx_of_kind(L, r, s, WC_T_FUNC, "function", type);
  case 0x02: {
    *sort = WC_VALUE;
    if (!reader_u8(r, &b)) return false;
    if (b == 0x00) {
      at = reader_offset(r);
      return reader_u32(r, &idx) && wc_scope_get(L, s, WC_VALUE, idx, at, type);
    }
    if (b != 0x01) return wc_malformed(L, at + 1, "malformed value bound 0x%02x", b);
    wc_val v;
    if (!read_valtype(L, r, s, &v)) return false;
    *type = v;
    return true;
  }
  case 0x03:
    *sort = WC_TYPE;
    if (!reader_u8(r, &b)) return false;
    if (b == 0x00) {
      at = reader_offset(r);
      return reader_u32(r, &idx) && wc_scope_get(L, s, WC_TYPE, idx, at, type);
    }
    if (b != 0x01) return wc_malformed(L, at + 1, "malformed type bound 0x%02x", b);
    {
      wc_type t;
      memset(&t, 0, sizeof t);
      t.kind = WC_T_RESOURCE;  /* (sub resource): a fresh abstract resource type */
      t.dtor = WC_NONE;
      *type = wc_type_add(L, &t, at);
      return *type != WC_NONE;
    }
  case 0x04: *sort = WC_COMPONENT; return typeidx_of_kind(L, r, s, WC_T_COMPONENT, "component", type);
  case 0x05: *sort = WC_INSTANCE; return typeidx_of_kind(L, r, s, WC_T_INSTANCE, "instance", type);
  default: return wc_malformed(L, at, "unknown extern type kind 0x%02x", k);
  }
}
