/*
 * decode_scan.c — instruction syntax of expressions, and the name section.
 *
 * The decoder runs decode_scan_expr over every function body and constant
 * expression so that every binary-format error in code (unknown opcode, bad
 * immediate encoding, missing `end`) is found before validation starts; the
 * spec orders decoding before validation, and assert_malformed depends on it.
 * The scan is table-driven by the immediate kinds of opcodes.def.
 */
#include <stdlib.h>
#include <string.h>

#include "binary/decode_internal.h"
#include "binary/opcodes.h"

static bool zero_byte(wm_reader *r) {
  uint64_t at = reader_offset(r);
  uint8_t b;
  if (!reader_u8(r, &b)) return false;
  if (b != 0)
    return rt_error_at(r->err, WRUN_ERR_MALFORMED, at,
                         "zero byte expected: found 0x%02x where a reserved memory index 0x00 belongs", b);
  return true;
}

static bool skip_u32s(wm_reader *r, int n) {
  uint32_t v;
  for (int i = 0; i < n; i++)
    if (!reader_u32(r, &v)) return false;
  return true;
}

static bool skip_blocktype(wm_reader *r) {
  if (reader_eof(r)) return reader_u32(r, &(uint32_t){0}); /* reports unexpected end */
  uint8_t b = *r->p;
  wm_valtype t;
  if (b == 0x40 || decode_valtype_byte(b, &t)) {
    r->p++;
    return true;
  }
  uint64_t at = reader_offset(r);
  int64_t idx;
  if (!reader_s33(r, &idx)) return false;
  if (idx < 0)
    return rt_error_at(r->err, WRUN_ERR_MALFORMED, at,
                         "malformed block type: expected 0x40, a value type or a type index");
  return true;
}

static bool skip_memarg(const wm_module *m, wm_reader *r) {
  uint32_t align, mem = 0;
  uint64_t off;
  uint64_t at = reader_offset(r);
  if (!reader_u32(r, &align)) return false;
  /* Alignment exponents are below 32; bit 6 is reserved for multi-memory's
   * explicit memory index (3.0), not accepted yet. */
  if (align >= 32)
    return rt_error_at(r->err, WRUN_ERR_MALFORMED, at,
                         "malformed memop flags 0x%x: expected an alignment exponent below 32", align);
  (void)mem;
  if (mem < m->nmems && m->mems[mem].type.limits.is64) return reader_u64(r, &off);
  uint32_t off32;
  return reader_u32(r, &off32);
}

static bool need_data_count(const wm_module *m, wm_reader *r, uint64_t at, bool is_body) {
  /* Only function bodies must announce data indices (constant expressions,
   * which are decoded before the data count section, cannot use them anyway). */
  if (m->has_data_count || !is_body) return true;
  return rt_error_at(r->err, WRUN_ERR_MALFORMED, at,
                       "data count section required: memory.init and data.drop need it");
}

bool decode_scan_expr(const wm_module *m, wm_reader *r, bool is_body) {
  uint64_t depth = 1;
  while (depth) {
    uint64_t at = reader_offset(r);
    uint8_t b;
    uint32_t code;
    if (!reader_u8(r, &b)) return false;
    uint8_t prefix = 0;
    if (b == 0xFC || b == 0xFD) {
      prefix = b;
      if (!reader_u32(r, &code)) return false;
    } else {
      code = b;
    }
    wm_opcode op = wm_op_lookup(prefix, code);
    if (op == OP_COUNT_) {
      if (prefix)
        return rt_error_at(r->err, WRUN_ERR_MALFORMED, at, "illegal opcode 0x%02x %u", prefix, code);
      return rt_error_at(r->err, WRUN_ERR_MALFORMED, at, "illegal opcode 0x%02x", code);
    }
    const wm_opinfo *info = &wm_opinfos[op];
    bool ok = true;
    switch (info->imm) {
    case IMM_NONE: break;
    case IMM_BLOCKTYPE: ok = skip_blocktype(r); break;
    case IMM_LABEL: case IMM_FUNC: case IMM_LOCAL: case IMM_GLOBAL: case IMM_TABLE: case IMM_ELEM:
      ok = skip_u32s(r, 1);
      break;
    case IMM_DATA:
      ok = need_data_count(m, r, at, is_body) && skip_u32s(r, 1);
      break;
    case IMM_CALL_INDIRECT: case IMM_ELEM_TABLE: case IMM_TABLE_TABLE: ok = skip_u32s(r, 2); break;
    case IMM_BR_TABLE: {
      uint32_t n;
      ok = reader_u32(r, &n);
      /* Each target takes at least one byte: a count beyond the bytes left is
       * reported as an end of input by the loop below, in time linear in the input. */
      for (uint64_t i = 0; ok && i <= n; i++) ok = skip_u32s(r, 1);
      break;
    }
    case IMM_MEMARG: ok = skip_memarg(m, r); break;
    case IMM_MEMARG_LANE: {
      uint8_t lane;
      ok = skip_memarg(m, r) && reader_u8(r, &lane);
      break;
    }
    case IMM_MEMORY: ok = zero_byte(r); break;
    case IMM_MEMORY_MEMORY: ok = zero_byte(r) && zero_byte(r); break;
    case IMM_DATA_MEMORY: ok = need_data_count(m, r, at, is_body) && skip_u32s(r, 1) && zero_byte(r); break;
    case IMM_I32: { int32_t v; ok = reader_s32(r, &v); break; }
    case IMM_I64: { int64_t v; ok = reader_s64(r, &v); break; }
    case IMM_F32: { const uint8_t *p; ok = reader_bytes(r, 4, &p); break; }
    case IMM_F64: { const uint8_t *p; ok = reader_bytes(r, 8, &p); break; }
    case IMM_V128: case IMM_SHUFFLE: { const uint8_t *p; ok = reader_bytes(r, 16, &p); break; }
    case IMM_LANE: { uint8_t lane; ok = reader_u8(r, &lane); break; }
    case IMM_SELECT_T: {
      uint32_t n;
      ok = reader_u32(r, &n);
      for (uint64_t i = 0; ok && i < n; i++) {
        uint64_t tat = reader_offset(r);
        uint8_t tb;
        wm_valtype t;
        ok = reader_u8(r, &tb);
        if (ok && !decode_valtype_byte(tb, &t))
          ok = rt_error_at(r->err, WRUN_ERR_MALFORMED, tat, "malformed value type 0x%02x in select", tb);
      }
      break;
    }
    case IMM_HEAPTYPE: {
      uint8_t ht;
      ok = reader_u8(r, &ht);
      if (ok && ht != 0x70 && ht != 0x6F)
        ok = rt_error_at(r->err, WRUN_ERR_MALFORMED, at + 1,
                           "malformed reference type 0x%02x: expected func (0x70) or extern (0x6f)", ht);
      break;
    }
    }
    if (!ok) return false;
    if (op == OP_BLOCK || op == OP_LOOP || op == OP_IF) depth++;
    else if (op == OP_END) depth--;
  }
  return true;
}

/* ---- the name section -------------------------------------------------- */

static bool name_read(wm_reader *r, const uint8_t **s, uint32_t *len) {
  if (!reader_u32(r, len) || *len > reader_left(r)) return false;
  return reader_bytes(r, *len, s) && decode_utf8_valid(*s, *len);
}

static char *dup_name(const uint8_t *s, uint32_t len) {
  char *p = malloc((size_t)len + 1);
  if (p) {
    memcpy(p, s, len);
    p[len] = 0;
  }
  return p;
}

void decode_name_section(wm_module *m) {
  for (uint32_t c = 0; c < m->ncustoms; c++) {
    wm_custom *cs = &m->customs[c];
    if (cs->name.len != 4 || memcmp(cs->name.ptr, "name", 4) != 0) continue;
    rt_error scratch;
    rt_error_clear(&scratch);
    wm_reader r = {m->bytes, cs->bytes, cs->bytes + cs->len, &scratch};
    while (!reader_eof(&r)) {
      uint8_t id;
      uint32_t size;
      if (!reader_u8(&r, &id) || !reader_u32(&r, &size) || size > reader_left(&r)) return;
      wm_reader sub = {m->bytes, r.p, r.p + size, &scratch};
      r.p += size;
      const uint8_t *s;
      uint32_t len, n;
      if (id == 0 && !m->name && name_read(&sub, &s, &len)) {
        m->name = dup_name(s, len);
      } else if (id == 1 && reader_u32(&sub, &n)) {
        for (uint32_t i = 0; i < n; i++) {
          uint32_t idx;
          if (!reader_u32(&sub, &idx) || !name_read(&sub, &s, &len)) break;
          if (idx < m->nfuncs && !m->funcs[idx].debug_name) m->funcs[idx].debug_name = dup_name(s, len);
        }
      }
    }
    return;
  }
}
