/*
 * instr.c — instruction reading for passes after validation (see instr.h).
 */
#include "binary/instr.h"
#include "binary/decode_internal.h"

bool wm_blocktype_valtype(uint8_t b, wm_valtype *out) { return decode_valtype_byte(b, out); }

wm_opcode wm_read_op(wm_reader *r) {
  uint8_t b = 0;
  reader_u8(r, &b);
  if (b == 0xFC || b == 0xFD) {
    uint32_t code = 0;
    reader_u32(r, &code);
    return wm_op_lookup(b, code);
  }
  return wm_op_lookup(0, b);
}

void wm_read_blocktype(wm_reader *r, const wm_module *m, wm_blocktype *bt) {
  uint8_t b = r->p < r->end ? *r->p : 0x40;
  wm_valtype single;
  bt->params = bt->results = NULL;
  bt->np = bt->nr = 0;
  bt->single = 0;
  if (b == 0x40) {
    r->p++;
  } else if (wm_blocktype_valtype(b, &single)) {
    r->p++;
    bt->single = single;
    bt->nr = 1;
  } else {
    int64_t idx = 0;
    reader_s33(r, &idx);
    const wm_functype *ft = &m->types[idx].func;
    bt->params = wm_functype_params(ft);
    bt->np = ft->nparams;
    bt->results = wm_functype_results(ft);
    bt->nr = ft->nresults;
  }
}

static void skip_u32(wm_reader *r, int n) {
  uint32_t v;
  for (int i = 0; i < n; i++) reader_u32(r, &v);
}

void wm_skip_imm(wm_reader *r, const wm_module *m, wm_imm_kind imm) {
  const uint8_t *p;
  int64_t s64;
  int32_t s32;
  uint8_t b;
  uint32_t n = 0;
  switch (imm) {
  case IMM_NONE: break;
  case IMM_BLOCKTYPE: {
    wm_blocktype bt;
    wm_read_blocktype(r, m, &bt);
    break;
  }
  case IMM_LABEL: case IMM_FUNC: case IMM_LOCAL: case IMM_GLOBAL: case IMM_TABLE: case IMM_ELEM:
  case IMM_DATA: skip_u32(r, 1); break;
  case IMM_CALL_INDIRECT: case IMM_ELEM_TABLE: case IMM_TABLE_TABLE: skip_u32(r, 2); break;
  case IMM_BR_TABLE:
    reader_u32(r, &n);
    for (uint32_t i = 0; i <= n && !reader_eof(r); i++) skip_u32(r, 1);
    break;
  case IMM_MEMARG: case IMM_MEMARG_LANE: {
    uint32_t align = 0;
    reader_u32(r, &align);
    skip_u32(r, align & 0x40 ? 2 : 1); /* a memory index comes first when bit 6 is set */
    if (imm == IMM_MEMARG_LANE) reader_u8(r, &b);
    break;
  }
  case IMM_MEMORY: reader_u8(r, &b); break;
  case IMM_MEMORY_MEMORY: reader_u8(r, &b); reader_u8(r, &b); break;
  case IMM_DATA_MEMORY: skip_u32(r, 1); reader_u8(r, &b); break;
  case IMM_I32: reader_s32(r, &s32); break;
  case IMM_I64: reader_s64(r, &s64); break;
  case IMM_F32: reader_bytes(r, 4, &p); break;
  case IMM_F64: reader_bytes(r, 8, &p); break;
  case IMM_V128: case IMM_SHUFFLE: reader_bytes(r, 16, &p); break;
  case IMM_LANE: reader_u8(r, &b); break;
  case IMM_SELECT_T:
    reader_u32(r, &n);
    for (uint32_t i = 0; i < n && !reader_eof(r); i++) reader_u8(r, &b);
    break;
  case IMM_HEAPTYPE: reader_u8(r, &b); break;
  }
}
