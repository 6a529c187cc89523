/*
 * decode.c — the binary format decoder: bytes in, wm_module out.
 *
 * One pass over the sections in their required order. Everything the binary
 * grammar demands is checked here (section order and sizes, LEB128 forms, UTF-8
 * names, entry encodings, counts that must agree, and the instruction syntax of
 * every function body and constant expression via decode_scan_expr), so a
 * module that leaves this file is well-formed and the validator reports only
 * validation errors. Type rules are not checked here.
 *
 * Every count read from the input is checked against the bytes that remain
 * before anything is allocated for it, so hostile counts cannot make the decoder
 * allocate more than a small multiple of the input size; nothing recurses.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "binary/decode_internal.h"
#include "binary/module.h"
#include "binary/opcodes.h"
#include "binary/reader.h"

enum {
  SEC_CUSTOM = 0, SEC_TYPE = 1, SEC_IMPORT = 2, SEC_FUNCTION = 3, SEC_TABLE = 4,
  SEC_MEMORY = 5, SEC_GLOBAL = 6, SEC_EXPORT = 7, SEC_START = 8, SEC_ELEMENT = 9,
  SEC_CODE = 10, SEC_DATA = 11, SEC_DATACOUNT = 12, SEC_MAX_ = 12
};

/* Position of each known section id in the required order (datacount sits
 * between element and code). */
static const uint8_t section_rank[SEC_MAX_ + 1] = {
  [SEC_TYPE] = 1, [SEC_IMPORT] = 2, [SEC_FUNCTION] = 3, [SEC_TABLE] = 4, [SEC_MEMORY] = 5,
  [SEC_GLOBAL] = 6, [SEC_EXPORT] = 7, [SEC_START] = 8, [SEC_ELEMENT] = 9, [SEC_DATACOUNT] = 10,
  [SEC_CODE] = 11, [SEC_DATA] = 12,
};

static const char *const section_names[SEC_MAX_ + 1] = {
  "custom", "type", "import", "function", "table", "memory", "global", "export",
  "start", "element", "code", "data", "data count",
};

typedef struct decoder {
  wm_reader r;
  wm_module *m;
  rt_error *err;
  uint32_t nfunc_decls;          /* entries of the function section */
  bool saw_function_section, saw_code_section, saw_data_section;
} decoder;

static bool fail(decoder *d, uint64_t at, const char *msg) {
  return rt_error_at(d->err, WRUN_ERR_MALFORMED, at, "%s", msg);
}

static void *alloc_array(decoder *d, size_t n, size_t size) {
  if (n == 0) return NULL;
  void *p = calloc(n, size);
  if (!p) rt_error_at(d->err, WRUN_ERR_OOM, reader_offset(&d->r), "out of memory");
  return p;
}

/* Reads a vector length and checks that at least `min_entry` bytes per entry
 * remain, so a hostile count cannot cause a huge allocation. */
static bool read_count(decoder *d, wm_reader *r, size_t min_entry, uint32_t *n) {
  uint64_t at = reader_offset(r);
  if (!reader_u32(r, n)) return false;
  if (min_entry && (uint64_t)*n * min_entry > reader_left(r))
    return rt_error_at(d->err, WRUN_ERR_MALFORMED, at,
                         "length out of bounds: vector of %u entries does not fit in the %zu bytes left",
                         *n, reader_left(r));
  return true;
}

/* ---- UTF-8 and names --------------------------------------------------- */

bool decode_utf8_valid(const uint8_t *s, size_t n) {
  size_t i = 0;
  while (i < n) {
    uint8_t c = s[i];
    if (c < 0x80) { i++; continue; }
    uint32_t cp, len;
    if (c >= 0xC2 && c <= 0xDF) { len = 2; cp = c & 0x1F; }
    else if (c >= 0xE0 && c <= 0xEF) { len = 3; cp = c & 0x0F; }
    else if (c >= 0xF0 && c <= 0xF4) { len = 4; cp = c & 0x07; }
    else return false;
    if (n - i < len) return false;
    for (uint32_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xC0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3F);
    }
    if ((len == 3 && (cp < 0x800 || (cp >= 0xD800 && cp <= 0xDFFF))) ||
        (len == 4 && (cp < 0x10000 || cp > 0x10FFFF)))
      return false;
    i += len;
  }
  return true;
}

static bool read_name(decoder *d, wm_reader *r, wm_name *out) {
  uint64_t at = reader_offset(r);
  uint32_t len;
  const uint8_t *bytes;
  if (!reader_u32(r, &len)) return false;
  if (len > reader_left(r))
    return rt_error_at(d->err, WRUN_ERR_MALFORMED, at,
                         "length out of bounds: name of %u bytes, only %zu left", len, reader_left(r));
  if (!reader_bytes(r, len, &bytes)) return false;
  if (!decode_utf8_valid(bytes, len)) return fail(d, at, "malformed UTF-8 encoding in name");
  out->ptr = malloc((size_t)len + 1);
  if (!out->ptr) return rt_error_at(d->err, WRUN_ERR_OOM, at, "out of memory");
  memcpy(out->ptr, bytes, len);
  out->ptr[len] = 0;
  out->len = len;
  return true;
}

/* ---- types ------------------------------------------------------------- */

bool decode_valtype_byte(uint8_t b, wm_valtype *out) {
  switch (b) {
  case 0x7F: case 0x7E: case 0x7D: case 0x7C: case 0x7B: *out = b; return true;
  case 0x70: *out = WASM_FUNCREF; return true;
  case 0x6F: *out = WASM_EXTERNREF; return true;
  default: return false;
  }
}

static bool read_valtype(decoder *d, wm_reader *r, wm_valtype *out) {
  uint64_t at = reader_offset(r);
  uint8_t b;
  if (!reader_u8(r, &b)) return false;
  if (!decode_valtype_byte(b, out))
    return rt_error_at(d->err, WRUN_ERR_MALFORMED, at,
                         "malformed value type: expected i32, i64, f32, f64, v128, funcref or externref, found 0x%02x", b);
  return true;
}

static bool read_reftype(decoder *d, wm_reader *r, wm_valtype *out) {
  uint64_t at = reader_offset(r);
  uint8_t b;
  if (!reader_u8(r, &b)) return false;
  if (b == 0x70) *out = WASM_FUNCREF;
  else if (b == 0x6F) *out = WASM_EXTERNREF;
  else
    return rt_error_at(d->err, WRUN_ERR_MALFORMED, at,
                         "malformed reference type: expected funcref (0x70) or externref (0x6f), found 0x%02x", b);
  return true;
}

static bool read_limits(decoder *d, wm_reader *r, wm_limits *l, bool is_memory) {
  uint64_t at = reader_offset(r);
  uint8_t flags;
  memset(l, 0, sizeof *l);
  if (!reader_u8(r, &flags)) return false;
  if (flags > 1) /* 2.0: only "min" and "min max"; shared/64-bit forms come later */
    return rt_error_at(d->err, WRUN_ERR_MALFORMED, at,
                         "integer too large: malformed limits flags 0x%02x (expected 0x00 or 0x01)", flags);
  uint32_t v;
  if (!reader_u32(r, &v)) return false;
  l->min = v;
  if (flags & 1) {
    if (!reader_u32(r, &v)) return false;
    l->max = v;
    l->has_max = true;
  }
  (void)is_memory;
  return true;
}

static bool read_functype(decoder *d, wm_reader *r, wm_functype *ft) {
  uint32_t np, nr;
  if (!read_count(d, r, 1, &np)) return false;
  if (np > WASM_MAX_PARAMS)
    return rt_error_at(d->err, WRUN_ERR_LIMIT, reader_offset(r), "too many parameters: %u (limit %u)",
                         np, WASM_MAX_PARAMS);
  wm_valtype tmp[WASM_MAX_PARAMS];
  for (uint32_t i = 0; i < np; i++)
    if (!read_valtype(d, r, &tmp[i])) return false;
  if (!read_count(d, r, 1, &nr)) return false;
  if (nr > WASM_MAX_RESULTS)
    return rt_error_at(d->err, WRUN_ERR_LIMIT, reader_offset(r), "too many results: %u (limit %u)",
                         nr, WASM_MAX_RESULTS);
  ft->types = alloc_array(d, (size_t)np + nr, sizeof(wm_valtype));
  if (np + nr && !ft->types) return false;
  if (np) memcpy(ft->types, tmp, np * sizeof(wm_valtype));
  ft->nparams = np;
  for (uint32_t i = 0; i < nr; i++)
    if (!read_valtype(d, r, &ft->types[np + i])) return false;
  ft->nresults = nr;
  return true;
}

static bool sec_type(decoder *d, wm_reader *r) {
  wm_module *m = d->m;
  uint32_t n;
  if (!read_count(d, r, 3, &n)) return false;
  if (n > WASM_MAX_TYPES)
    return rt_error_at(d->err, WRUN_ERR_LIMIT, reader_offset(r), "too many types: %u", n);
  m->types = alloc_array(d, n, sizeof *m->types);
  if (n && !m->types) return false;
  for (uint32_t i = 0; i < n; i++) {
    uint64_t at = reader_offset(r);
    uint8_t form;
    if (!reader_u8(r, &form)) return false;
    if (form != 0x60)
      return rt_error_at(d->err, WRUN_ERR_MALFORMED, at,
                           "integer representation too long: malformed type form 0x%02x, expected a function type (0x60)", form);
    wm_subtype *st = &m->types[i];
    st->kind = WASM_COMP_FUNC;
    st->final = true;
    st->super = WASM_NONE_IDX;
    st->rec_start = i;
    st->rec_size = 1;
    m->ntypes = i + 1;
    if (!read_functype(d, r, &st->func)) return false;
  }
  return true;
}

static bool sec_import(decoder *d, wm_reader *r) {
  wm_module *m = d->m;
  uint32_t n;
  if (!read_count(d, r, 4, &n)) return false;
  if (n > WASM_MAX_IMPORTS)
    return rt_error_at(d->err, WRUN_ERR_LIMIT, reader_offset(r), "too many imports: %u", n);
  m->imports = alloc_array(d, n, sizeof *m->imports);
  if (n && !m->imports) return false;
  /* Count per kind first would need two passes; grow per-kind arrays instead,
   * bounded by n. */
  m->funcs = alloc_array(d, n, sizeof *m->funcs);
  m->tables = alloc_array(d, n, sizeof *m->tables);
  m->mems = alloc_array(d, n, sizeof *m->mems);
  m->globals = alloc_array(d, n, sizeof *m->globals);
  if (n && (!m->funcs || !m->tables || !m->mems || !m->globals)) return false;
  for (uint32_t i = 0; i < n; i++) {
    wm_import *im = &m->imports[i];
    im->offset = reader_offset(r);
    m->nimports = i + 1;
    if (!read_name(d, r, &im->module) || !read_name(d, r, &im->field)) return false;
    uint64_t at = reader_offset(r);
    uint8_t kind;
    if (!reader_u8(r, &kind)) return false;
    switch (kind) {
    case WASM_EXTERN_FUNC: {
      uint32_t t;
      if (!reader_u32(r, &t)) return false;
      im->index = m->nfuncs;
      m->funcs[m->nfuncs++] = (wm_func){.type_idx = t, .import_idx = i};
      break;
    }
    case WASM_EXTERN_TABLE: {
      wm_table *t = &m->tables[m->ntables];
      t->import_idx = i;
      t->offset = reader_offset(r);
      if (!read_reftype(d, r, &t->type.elem) || !read_limits(d, r, &t->type.limits, false)) return false;
      im->index = m->ntables++;
      break;
    }
    case WASM_EXTERN_MEMORY: {
      wm_memory *mem = &m->mems[m->nmems];
      mem->import_idx = i;
      mem->offset = reader_offset(r);
      if (!read_limits(d, r, &mem->type.limits, true)) return false;
      im->index = m->nmems++;
      break;
    }
    case WASM_EXTERN_GLOBAL: {
      wm_global *g = &m->globals[m->nglobals];
      g->import_idx = i;
      uint8_t mut;
      if (!read_valtype(d, r, &g->type.type)) return false;
      uint64_t mat = reader_offset(r);
      if (!reader_u8(r, &mut)) return false;
      if (mut > 1) return fail(d, mat, "malformed mutability: expected 0x00 or 0x01");
      g->type.mut = mut;
      im->index = m->nglobals++;
      break;
    }
    default:
      return rt_error_at(d->err, WRUN_ERR_MALFORMED, at,
                           "malformed import kind 0x%02x: expected func, table, memory or global", kind);
    }
    im->kind = (wm_extern_kind)kind;
  }
  m->nimported_funcs = m->nfuncs;
  m->nimported_tables = m->ntables;
  m->nimported_mems = m->nmems;
  m->nimported_globals = m->nglobals;
  return true;
}

/* Grows an entity array to hold `extra` more entries after `have`. */
static bool grow(decoder *d, void **arr, uint32_t have, uint32_t extra, size_t size) {
  if (extra == 0) return true;
  void *p = realloc(*arr, ((size_t)have + extra) * size);
  if (!p) return rt_error_at(d->err, WRUN_ERR_OOM, reader_offset(&d->r), "out of memory");
  memset((char *)p + (size_t)have * size, 0, (size_t)extra * size);
  *arr = p;
  return true;
}

static bool sec_function(decoder *d, wm_reader *r) {
  wm_module *m = d->m;
  uint32_t n;
  if (!read_count(d, r, 1, &n)) return false;
  if ((uint64_t)n + m->nfuncs > WASM_MAX_FUNCS)
    return rt_error_at(d->err, WRUN_ERR_LIMIT, reader_offset(r), "too many functions: %u", n);
  if (!grow(d, (void **)&m->funcs, m->nfuncs, n, sizeof *m->funcs)) return false;
  for (uint32_t i = 0; i < n; i++) {
    wm_func *f = &m->funcs[m->nfuncs];
    if (!reader_u32(r, &f->type_idx)) return false;
    f->import_idx = WASM_NONE_IDX;
    m->nfuncs++;
  }
  d->nfunc_decls = n;
  return true;
}

static bool sec_table(decoder *d, wm_reader *r) {
  wm_module *m = d->m;
  uint32_t n;
  if (!read_count(d, r, 3, &n)) return false;
  if ((uint64_t)n + m->ntables > WASM_MAX_TABLES)
    return rt_error_at(d->err, WRUN_ERR_LIMIT, reader_offset(r), "too many tables: %u", n);
  if (!grow(d, (void **)&m->tables, m->ntables, n, sizeof *m->tables)) return false;
  for (uint32_t i = 0; i < n; i++) {
    wm_table *t = &m->tables[m->ntables];
    t->import_idx = WASM_NONE_IDX;
    t->offset = reader_offset(r);
    m->ntables++;
    if (!read_reftype(d, r, &t->type.elem) || !read_limits(d, r, &t->type.limits, false)) return false;
  }
  return true;
}

static bool sec_memory(decoder *d, wm_reader *r) {
  wm_module *m = d->m;
  uint32_t n;
  if (!read_count(d, r, 2, &n)) return false;
  if ((uint64_t)n + m->nmems > WASM_MAX_MEMORIES)
    return rt_error_at(d->err, WRUN_ERR_LIMIT, reader_offset(r), "too many memories: %u", n);
  if (!grow(d, (void **)&m->mems, m->nmems, n, sizeof *m->mems)) return false;
  for (uint32_t i = 0; i < n; i++) {
    wm_memory *mem = &m->mems[m->nmems];
    mem->import_idx = WASM_NONE_IDX;
    mem->offset = reader_offset(r);
    m->nmems++;
    if (!read_limits(d, r, &mem->type.limits, true)) return false;
  }
  return true;
}

/* Reads a constant expression (syntax only) as a byte range. */
static bool read_constexpr(decoder *d, wm_reader *r, wm_constexpr *ce) {
  ce->offset = reader_offset(r);
  ce->code = r->p;
  if (!decode_scan_expr(d->m, r, false)) return false;
  ce->len = (uint32_t)(r->p - ce->code);
  return true;
}

static bool sec_global(decoder *d, wm_reader *r) {
  wm_module *m = d->m;
  uint32_t n;
  if (!read_count(d, r, 3, &n)) return false;
  if ((uint64_t)n + m->nglobals > WASM_MAX_GLOBALS)
    return rt_error_at(d->err, WRUN_ERR_LIMIT, reader_offset(r), "too many globals: %u", n);
  if (!grow(d, (void **)&m->globals, m->nglobals, n, sizeof *m->globals)) return false;
  for (uint32_t i = 0; i < n; i++) {
    wm_global *g = &m->globals[m->nglobals];
    g->import_idx = WASM_NONE_IDX;
    m->nglobals++;
    if (!read_valtype(d, r, &g->type.type)) return false;
    uint64_t at = reader_offset(r);
    uint8_t mut;
    if (!reader_u8(r, &mut)) return false;
    if (mut > 1) return fail(d, at, "malformed mutability: expected 0x00 or 0x01");
    g->type.mut = mut;
    if (!read_constexpr(d, r, &g->init)) return false;
  }
  return true;
}

static bool sec_export(decoder *d, wm_reader *r) {
  wm_module *m = d->m;
  uint32_t n;
  if (!read_count(d, r, 3, &n)) return false;
  if (n > WASM_MAX_EXPORTS)
    return rt_error_at(d->err, WRUN_ERR_LIMIT, reader_offset(r), "too many exports: %u", n);
  m->exports = alloc_array(d, n, sizeof *m->exports);
  if (n && !m->exports) return false;
  for (uint32_t i = 0; i < n; i++) {
    wm_export *e = &m->exports[i];
    m->nexports = i + 1;
    e->offset = reader_offset(r);
    if (!read_name(d, r, &e->name)) return false;
    uint64_t at = reader_offset(r);
    uint8_t kind;
    if (!reader_u8(r, &kind)) return false;
    if (kind > WASM_EXTERN_GLOBAL)
      return rt_error_at(d->err, WRUN_ERR_MALFORMED, at,
                           "malformed export kind 0x%02x: expected func, table, memory or global", kind);
    e->kind = (wm_extern_kind)kind;
    if (!reader_u32(r, &e->index)) return false;
  }
  return true;
}

static bool sec_start(decoder *d, wm_reader *r) {
  d->m->start_offset = reader_offset(r);
  return reader_u32(r, &d->m->start);
}

static bool read_elemkind(decoder *d, wm_reader *r) {
  uint64_t at = reader_offset(r);
  uint8_t b;
  if (!reader_u8(r, &b)) return false;
  if (b != 0x00)
    return rt_error_at(d->err, WRUN_ERR_MALFORMED, at,
                         "malformed element kind 0x%02x: expected 0x00 (funcref)", b);
  return true;
}

static bool sec_element(decoder *d, wm_reader *r) {
  wm_module *m = d->m;
  uint32_t n;
  if (!read_count(d, r, 2, &n)) return false;
  if (n > WASM_MAX_SEGMENTS)
    return rt_error_at(d->err, WRUN_ERR_LIMIT, reader_offset(r), "too many element segments: %u", n);
  m->elems = alloc_array(d, n, sizeof *m->elems);
  if (n && !m->elems) return false;
  for (uint32_t i = 0; i < n; i++) {
    wm_elem *e = &m->elems[i];
    m->nelems = i + 1;
    e->offset_in_binary = reader_offset(r);
    uint32_t flags;
    if (!reader_u32(r, &flags)) return false;
    if (flags > 7)
      return rt_error_at(d->err, WRUN_ERR_MALFORMED, e->offset_in_binary,
                           "malformed elements segment kind %u: expected 0 to 7", flags);
    bool passive_or_decl = flags & 1, explicit_table = flags & 2, exprs = flags & 4;
    e->mode = !passive_or_decl ? WASM_SEG_ACTIVE : explicit_table ? WASM_SEG_DECLARATIVE : WASM_SEG_PASSIVE;
    e->type = WASM_FUNCREF;
    if (e->mode == WASM_SEG_ACTIVE) {
      if (explicit_table && !reader_u32(r, &e->table)) return false;
      if (!read_constexpr(d, r, &e->offset)) return false;
    }
    /* Flags 0 and 4 imply funcref; the others name the kind/type explicitly. */
    if (flags != 0 && flags != 4) {
      if (exprs) { if (!read_reftype(d, r, &e->type)) return false; }
      else if (!read_elemkind(d, r)) return false;
    }
    uint32_t cnt;
    if (!read_count(d, r, 1, &cnt)) return false;
    if (exprs) {
      e->inits = alloc_array(d, cnt, sizeof *e->inits);
      if (cnt && !e->inits) return false;
      for (uint32_t k = 0; k < cnt; k++) {
        e->count = k + 1;
        if (!read_constexpr(d, r, &e->inits[k])) return false;
      }
    } else {
      e->func_indices = alloc_array(d, cnt, sizeof *e->func_indices);
      if (cnt && !e->func_indices) return false;
      for (uint32_t k = 0; k < cnt; k++) {
        e->count = k + 1;
        if (!reader_u32(r, &e->func_indices[k])) return false;
      }
    }
    e->count = cnt;
  }
  return true;
}

static bool sec_datacount(decoder *d, wm_reader *r) {
  d->m->has_data_count = true;
  return reader_u32(r, &d->m->data_count);
}

/* Decodes one function body: local declarations, then the instruction syntax. */
static bool read_body(decoder *d, wm_reader *body, wm_func *f) {
  uint32_t ngroups;
  if (!read_count(d, body, 2, &ngroups)) return false;
  /* An unknown type index is the validator's to report; count no parameters. */
  uint32_t nparams = f->type_idx < d->m->ntypes ? d->m->types[f->type_idx].func.nparams : 0;
  uint64_t total = 0;
  const uint8_t *groups = body->p;
  for (uint32_t i = 0; i < ngroups; i++) { /* first pass: count */
    uint32_t cnt;
    wm_valtype t;
    if (!reader_u32(body, &cnt) || !read_valtype(d, body, &t)) return false;
    total += cnt;
    if (total > UINT32_MAX) return fail(d, reader_offset(body), "too many locals: more than 2^32-1 declared");
  }
  if (total + nparams > WASM_MAX_LOCALS)
    return rt_error_at(d->err, WRUN_ERR_LIMIT, f->code_offset,
                         "too many locals: %llu (implementation limit %u including parameters)",
                         (unsigned long long)total, WASM_MAX_LOCALS);
  f->locals = alloc_array(d, (size_t)total, sizeof *f->locals);
  if (total && !f->locals) return false;
  wm_reader again = *body;
  again.p = groups;
  uint32_t k = 0;
  for (uint32_t i = 0; i < ngroups; i++) {
    uint32_t cnt;
    wm_valtype t;
    reader_u32(&again, &cnt);
    read_valtype(d, &again, &t);
    for (uint32_t j = 0; j < cnt; j++) f->locals[k++] = t;
  }
  f->nlocals = (uint32_t)total;
  f->code = body->p;
  f->code_offset = reader_offset(body);
  if (!decode_scan_expr(d->m, body, true)) return false;
  f->code_len = (uint32_t)(body->p - f->code);
  return true;
}

static bool sec_code(decoder *d, wm_reader *r) {
  wm_module *m = d->m;
  uint64_t at = reader_offset(r);
  uint32_t n;
  if (!read_count(d, r, 2, &n)) return false;
  if (n != d->nfunc_decls)
    return rt_error_at(d->err, WRUN_ERR_MALFORMED, at,
                         "function and code section have inconsistent lengths: %u functions, %u bodies",
                         d->nfunc_decls, n);
  for (uint32_t i = 0; i < n; i++) {
    wm_func *f = &m->funcs[m->nimported_funcs + i];
    uint64_t size_at = reader_offset(r);
    uint32_t size;
    if (!reader_u32(r, &size)) return false;
    if (size > reader_left(r))
      return rt_error_at(d->err, WRUN_ERR_MALFORMED, size_at,
                           "unexpected end of section or function: body of %u bytes, %zu left", size,
                           reader_left(r));
    wm_reader body = {r->base, r->p, r->p + size, d->err};
    f->code_offset = reader_offset(&body);
    if (!read_body(d, &body, f)) return false;
    if (!reader_eof(&body))
      return fail(d, reader_offset(&body), "section size mismatch: bytes after the end of the function body");
    r->p = body.end;
  }
  return true;
}

static bool sec_data(decoder *d, wm_reader *r) {
  wm_module *m = d->m;
  uint64_t at = reader_offset(r);
  uint32_t n;
  if (!read_count(d, r, 2, &n)) return false;
  if (m->has_data_count && n != m->data_count)
    return rt_error_at(d->err, WRUN_ERR_MALFORMED, at,
                         "data count and data section have inconsistent lengths: %u declared, %u segments",
                         m->data_count, n);
  if (n > WASM_MAX_SEGMENTS)
    return rt_error_at(d->err, WRUN_ERR_LIMIT, at, "too many data segments: %u", n);
  m->datas = alloc_array(d, n, sizeof *m->datas);
  if (n && !m->datas) return false;
  for (uint32_t i = 0; i < n; i++) {
    wm_data *s = &m->datas[i];
    m->ndatas = i + 1;
    s->offset_in_binary = reader_offset(r);
    uint32_t flags;
    if (!reader_u32(r, &flags)) return false;
    if (flags > 2)
      return rt_error_at(d->err, WRUN_ERR_MALFORMED, s->offset_in_binary,
                           "malformed data segment kind %u: expected 0, 1 or 2", flags);
    s->mode = flags == 1 ? WASM_SEG_PASSIVE : WASM_SEG_ACTIVE;
    if (flags == 2 && !reader_u32(r, &s->memory)) return false;
    if (s->mode == WASM_SEG_ACTIVE && !read_constexpr(d, r, &s->offset)) return false;
    uint64_t lat = reader_offset(r);
    uint32_t len;
    if (!reader_u32(r, &len)) return false;
    if (len > reader_left(r))
      return rt_error_at(d->err, WRUN_ERR_MALFORMED, lat,
                           "unexpected end of section or function: data segment of %u bytes, %zu left", len,
                           reader_left(r));
    s->len = len;
    reader_bytes(r, len, &s->bytes);
  }
  return true;
}

/* ---- custom sections ---------------------------------------------------- */

static bool sec_custom(decoder *d, wm_reader *r) {
  wm_module *m = d->m;
  wm_name name = {0};
  if (!read_name(d, r, &name)) return false;
  if (!grow(d, (void **)&m->customs, m->ncustoms, 1, sizeof *m->customs)) {
    free(name.ptr);
    return false;
  }
  wm_custom *c = &m->customs[m->ncustoms++];
  c->name = name;
  c->bytes = r->p;
  c->len = (uint32_t)reader_left(r);
  r->p = r->end;
  return true;
}

/* ---- the module --------------------------------------------------------- */

static bool decode_sections(decoder *d) {
  wm_reader *r = &d->r;
  wm_module *m = d->m;
  const uint8_t *magic;
  if (!reader_bytes(r, 4, &magic)) return false;
  if (memcmp(magic, "\0asm", 4) != 0) return fail(d, 0, "magic header not detected: expected \\0asm");
  const uint8_t *ver;
  if (!reader_bytes(r, 4, &ver)) return false;
  if (memcmp(ver, "\1\0\0\0", 4) != 0)
    return fail(d, 4, "unknown binary version: expected 1 (a core module)");
  unsigned last_rank = 0;
  while (!reader_eof(r)) {
    uint64_t sec_at = reader_offset(r);
    uint8_t id;
    uint32_t size;
    if (!reader_u8(r, &id)) return false;
    if (id > SEC_MAX_)
      return rt_error_at(d->err, WRUN_ERR_MALFORMED, sec_at, "malformed section id %u", id);
    uint64_t size_at = reader_offset(r);
    if (!reader_u32(r, &size)) return false;
    if (size > reader_left(r))
      return rt_error_at(d->err, WRUN_ERR_MALFORMED, size_at,
                           "unexpected end: %s section of %u bytes, only %zu left", section_names[id], size,
                           reader_left(r));
    if (id != SEC_CUSTOM) {
      if (section_rank[id] <= last_rank)
        return rt_error_at(d->err, WRUN_ERR_MALFORMED, sec_at,
                             "unexpected content after last section: %s section out of order or repeated",
                             section_names[id]);
      last_rank = section_rank[id];
    }
    wm_reader sec = {r->base, r->p, r->p + size, d->err};
    bool ok;
    switch (id) {
    case SEC_CUSTOM: ok = sec_custom(d, &sec); break;
    case SEC_TYPE: ok = sec_type(d, &sec); break;
    case SEC_IMPORT: ok = sec_import(d, &sec); break;
    case SEC_FUNCTION: ok = sec_function(d, &sec); d->saw_function_section = true; break;
    case SEC_TABLE: ok = sec_table(d, &sec); break;
    case SEC_MEMORY: ok = sec_memory(d, &sec); break;
    case SEC_GLOBAL: ok = sec_global(d, &sec); break;
    case SEC_EXPORT: ok = sec_export(d, &sec); break;
    case SEC_START: ok = sec_start(d, &sec); break;
    case SEC_ELEMENT: ok = sec_element(d, &sec); break;
    case SEC_DATACOUNT: ok = sec_datacount(d, &sec); break;
    case SEC_CODE: ok = sec_code(d, &sec); d->saw_code_section = true; break;
    case SEC_DATA: ok = sec_data(d, &sec); d->saw_data_section = true; break;
    default: ok = false;
    }
    if (!ok) {
      /* An entry running past its section is a size mismatch, not an end of file. */
      if (d->err->kind == WRUN_ERR_MALFORMED && sec.end < r->end && d->err->offset >= sec_at &&
          strncmp(d->err->message, "unexpected end", 14) == 0) {
        char msg[sizeof d->err->message];
        snprintf(msg, sizeof msg, "section size mismatch: %.200s", d->err->message);
        snprintf(d->err->message, sizeof d->err->message, "%s", msg);
      }
      return false;
    }
    if (!reader_eof(&sec))
      return rt_error_at(d->err, WRUN_ERR_MALFORMED, reader_offset(&sec),
                           "section size mismatch: %s section declares %u bytes but its contents end at 0x%llx",
                           section_names[id], size, (unsigned long long)reader_offset(&sec));
    r->p = sec.end;
  }
  if (d->nfunc_decls && !d->saw_code_section)
    return rt_error_at(d->err, WRUN_ERR_MALFORMED, reader_offset(r),
                         "function and code section have inconsistent lengths: %u functions, no code section",
                         d->nfunc_decls);
  if (m->has_data_count && m->data_count && !d->saw_data_section)
    return rt_error_at(d->err, WRUN_ERR_MALFORMED, reader_offset(r),
                         "data count and data section have inconsistent lengths: %u declared, no data section",
                         m->data_count);
  return true;
}

wm_module *wm_module_decode(const uint8_t *bytes, size_t size, rt_error *err) {
  wm_module *m = calloc(1, sizeof *m);
  if (!m) {
    rt_error_at(err, WRUN_ERR_OOM, 0, "out of memory");
    return NULL;
  }
  m->start = WASM_NONE_IDX;
  m->bytes = malloc(size ? size : 1);
  if (!m->bytes) {
    free(m);
    rt_error_at(err, WRUN_ERR_OOM, 0, "out of memory");
    return NULL;
  }
  if (size) memcpy(m->bytes, bytes, size);
  m->size = size;
  decoder d = {.r = {m->bytes, m->bytes, m->bytes + size, err}, .m = m, .err = err};
  if (!decode_sections(&d)) {
    wm_module_free(m);
    return NULL;
  }
  decode_name_section(m);
  return m;
}

static void free_name(wm_name *n) { free(n->ptr); }

void wm_module_free(wm_module *m) {
  if (!m) return;
  if (m->aot_image && m->aot_image_free) m->aot_image_free(m->aot_image);
  for (uint32_t i = 0; i < m->ntypes; i++) free(m->types[i].func.types);
  free(m->types);
  for (uint32_t i = 0; i < m->nimports; i++) {
    free_name(&m->imports[i].module);
    free_name(&m->imports[i].field);
  }
  free(m->imports);
  for (uint32_t i = 0; i < m->nfuncs; i++) {
    free(m->funcs[i].locals);
    free((char *)m->funcs[i].debug_name);
  }
  free(m->funcs);
  free(m->tables);
  free(m->mems);
  free(m->globals);
  free(m->tags);
  for (uint32_t i = 0; i < m->nexports; i++) free_name(&m->exports[i].name);
  free(m->exports);
  for (uint32_t i = 0; i < m->nelems; i++) {
    free(m->elems[i].func_indices);
    free(m->elems[i].inits);
  }
  free(m->elems);
  free(m->datas);
  for (uint32_t i = 0; i < m->ncustoms; i++) free_name(&m->customs[i].name);
  free(m->customs);
  free(m->name);
  free(m->func_declared);
  free(m->bytes);
  free(m);
}

const wm_functype *wm_module_func_type(const wm_module *m, uint32_t funcidx) {
  return &m->types[m->funcs[funcidx].type_idx].func;
}

const wm_export *wm_module_find_export(const wm_module *m, const char *name, size_t len) {
  for (uint32_t i = 0; i < m->nexports; i++)
    if (m->exports[i].name.len == len && memcmp(m->exports[i].name.ptr, name, len) == 0)
      return &m->exports[i];
  return NULL;
}
