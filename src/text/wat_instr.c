/*
 * wat_instr.c — WAT instructions to binary code.
 *
 * Handles plain (`i32.add`, `block ... end`) and folded (`(i32.add (x) (y))`,
 * `(if (then ...) (else ...))`) instructions alike: a folded form's operands
 * are emitted first, then the instruction. Immediates are read according to the
 * instruction's wm_imm_kind from opcodes.def, so a new instruction needs no
 * code here unless it has a new kind of immediate. Folded nesting follows the
 * S-expression tree, whose depth sx_parse bounds.
 */
#include <stdlib.h>
#include <string.h>

#include "binary/opcodes.h"
#include "text/wat_internal.h"

/* ---- labels ----------------------------------------------------------------- */

static bool push_label(wat_func_ctx *fc, const sx_node *id) {
  if (fc->nlabels == fc->cap_labels) {
    uint32_t cap = fc->cap_labels ? fc->cap_labels * 2 : 16;
    const char **l = realloc(fc->labels, cap * sizeof *l);
    size_t *ll = realloc(fc->label_lens, cap * sizeof *ll);
    if (l) fc->labels = l;
    if (ll) fc->label_lens = ll;
    if (!l || !ll) return wat_fail(fc->mod, id, "out of memory");
    fc->cap_labels = cap;
  }
  fc->labels[fc->nlabels] = id ? id->text : NULL;
  fc->label_lens[fc->nlabels] = id ? id->len : 0;
  fc->nlabels++;
  return true;
}

/* `end $l` / `else $l` must repeat the block's label, if given. */
static bool check_label_repeat(wat_func_ctx *fc, const sx_node *id) {
  if (!id) return true;
  uint32_t top = fc->nlabels - 1;
  if (!fc->labels[top] || fc->label_lens[top] != id->len || memcmp(fc->labels[top], id->text, id->len) != 0)
    return wat_fail(fc->mod, id, "mismatching label: %.*s does not name the enclosing block", (int)id->len,
                    id->text);
  return true;
}

static bool label_index(wat_func_ctx *fc, const sx_node *n, uint32_t *depth) {
  if (n->kind == SX_ID) {
    for (uint32_t k = fc->nlabels; k-- > 0;)
      if (fc->labels[k] && fc->label_lens[k] == n->len && memcmp(fc->labels[k], n->text, n->len) == 0) {
        *depth = fc->nlabels - 1 - k;
        return true;
      }
    return wat_fail(fc->mod, n, "unknown label %.*s", (int)n->len, n->text);
  }
  uint32_t v;
  if (n->kind != SX_ATOM || !wat_parse_i32(n->text, n->len, &v) || n->text[0] == '-' || n->text[0] == '+')
    return wat_fail(fc->mod, n, "unexpected token: expected a label");
  *depth = v;
  return true;
}

/* ---- immediates ------------------------------------------------------------- */

static const sx_node *opt_id(const sx_node *items, size_t n, size_t *i) {
  if (*i < n && items[*i].kind == SX_ID) return &items[(*i)++];
  return NULL;
}

static bool is_list_head(const sx_node *n, const char *kw) {
  return n->kind == SX_LIST && n->nitems > 0 && sx_is_atom(&n->items[0], kw);
}

/* blocktype: (type x)? (param t*)* (result t*)* */
static bool blocktype(wat_func_ctx *fc, const sx_node *items, size_t n, size_t *i, wat_buf *b,
                      const sx_node *where) {
  wat_module *m = fc->mod;
  size_t j = *i;
  bool complex = false;
  uint32_t nresults = 0;
  wm_valtype single = 0;
  while (j < n && items[j].kind == SX_LIST) {
    const sx_node *l = &items[j];
    if (is_list_head(l, "type") || is_list_head(l, "param")) complex = true;
    else if (is_list_head(l, "result")) {
      for (size_t k = 1; k < l->nitems; k++) {
        nresults++;
        if (!wat_valtype(m, &l->items[k], &single)) return false;
      }
    } else break;
    j++;
  }
  if (!complex && nresults <= 1) {
    *i = j;
    if (nresults == 0) wat_buf_byte(b, 0x40);
    else wat_emit_valtype(b, single);
    return true;
  }
  uint32_t idx;
  if (!wat_typeuse(m, items, n, i, &idx, NULL, where)) return false;
  wat_buf_sleb(b, idx);
  return true;
}

static bool u32_literal(wat_module *m, const sx_node *n, uint64_t max, uint64_t *out, const char *what) {
  uint64_t v = 0;
  *out = 0;
  if (n->kind != SX_ATOM || n->len == 0 || n->text[0] == '-' || n->text[0] == '+' ||
      !wat_parse_int_bits(n->text, n->len, 64, &v) || v > max)
    return wat_fail(m, n, "malformed %s: expected an unsigned integer up to %llu", what, (unsigned long long)max);
  *out = v;
  return true;
}

static bool memarg(wat_func_ctx *fc, const wm_opinfo *info, const sx_node *items, size_t n, size_t *i,
                   wat_buf *b) {
  wat_module *m = fc->mod;
  uint64_t offset = 0, align = (uint64_t)1 << info->arg;
  if (*i < n && items[*i].kind == SX_ATOM && items[*i].len > 7 && memcmp(items[*i].text, "offset=", 7) == 0) {
    const sx_node *t = &items[(*i)++];
    sx_node v = *t;
    v.text += 7;
    v.len -= 7;
    if (!u32_literal(m, &v, UINT32_MAX, &offset, "offset")) return false;
  }
  if (*i < n && items[*i].kind == SX_ATOM && items[*i].len > 6 && memcmp(items[*i].text, "align=", 6) == 0) {
    const sx_node *t = &items[(*i)++];
    sx_node v = *t;
    v.text += 6;
    v.len -= 6;
    if (!u32_literal(m, &v, UINT32_MAX, &align, "alignment")) return false;
    if (align == 0 || (align & (align - 1)))
      return wat_fail(m, t, "alignment must be a power of two, found %llu", (unsigned long long)align);
  }
  uint32_t log2 = 0;
  while (((uint64_t)1 << log2) < align) log2++;
  wat_buf_uleb(b, log2);
  wat_buf_uleb(b, offset);
  return true;
}

static bool lane_literal(wat_module *m, const sx_node *items, size_t n, size_t *i, uint8_t *lane) {
  if (*i >= n) return wat_fail(m, &items[n - 1], "unexpected end: expected a lane index");
  uint64_t v;
  if (!u32_literal(m, &items[*i], 255, &v, "lane index")) return false;
  (*i)++;
  *lane = (uint8_t)v;
  return true;
}

/* v128.const SHAPE lanes... */
static bool v128_const(wat_module *m, const sx_node *items, size_t n, size_t *i, wat_buf *b,
                       const sx_node *where) {
  static const struct { const char *name; unsigned lanes, bits; bool fl; } shapes[] = {
    {"i8x16", 16, 8, false}, {"i16x8", 8, 16, false}, {"i32x4", 4, 32, false},
    {"i64x2", 2, 64, false}, {"f32x4", 4, 32, true}, {"f64x2", 2, 64, true},
  };
  if (*i >= n || items[*i].kind != SX_ATOM) return wat_fail(m, where, "unexpected token: expected a v128 shape");
  const sx_node *sh = &items[(*i)++];
  int s = -1;
  for (int k = 0; k < 6; k++)
    if (sx_is_atom(sh, shapes[k].name)) s = k;
  if (s < 0) return wat_fail(m, sh, "unexpected token: expected i8x16, i16x8, i32x4, i64x2, f32x4 or f64x2");
  uint8_t bytes[16];
  unsigned width = shapes[s].bits / 8;
  for (unsigned l = 0; l < shapes[s].lanes; l++) {
    if (*i >= n || items[*i].kind != SX_ATOM)
      return wat_fail(m, *i < n ? &items[*i] : where, "wrong number of lane literals: %s needs %u",
                      shapes[s].name, shapes[s].lanes);
    const sx_node *t = &items[(*i)++];
    uint64_t v;
    bool ok;
    if (shapes[s].fl && shapes[s].bits == 32) {
      uint32_t f;
      ok = wat_parse_f32(t->text, t->len, &f);
      v = f;
    } else if (shapes[s].fl) {
      ok = wat_parse_f64(t->text, t->len, &v);
    } else {
      ok = wat_parse_int_bits(t->text, t->len, shapes[s].bits, &v);
    }
    if (!ok) return wat_fail(m, t, "constant out of range or malformed: %.*s", (int)t->len, t->text);
    for (unsigned k = 0; k < width; k++) bytes[l * width + k] = (uint8_t)(v >> (8 * k));
  }
  wat_buf_bytes(b, bytes, 16);
  return true;
}

static bool emit_index(wat_module *m, const sx_node *items, size_t n, size_t *i, const wat_names *ns,
                       const char *what, wat_buf *b, const sx_node *where) {
  if (*i >= n || !wat_is_index(&items[*i]))
    return wat_fail(m, *i < n ? &items[*i] : where, "unexpected token: expected a %s index", what);
  uint32_t idx;
  if (!wat_index(m, &items[(*i)++], ns, what, &idx)) return false;
  wat_buf_uleb(b, idx);
  return true;
}

/* An optional index (default 0). */
static bool opt_index(wat_module *m, const sx_node *items, size_t n, size_t *i, const wat_names *ns,
                      const char *what, uint32_t *out) {
  *out = 0;
  if (*i < n && wat_is_index(&items[*i])) return wat_index(m, &items[(*i)++], ns, what, out);
  return true;
}

static void emit_opcode(wat_buf *b, const wm_opinfo *info) {
  if (info->prefix) {
    wat_buf_byte(b, info->prefix);
    wat_buf_uleb(b, info->code);
  } else {
    wat_buf_byte(b, (uint8_t)info->code);
  }
}

/* Emits a non-structured instruction `op` whose immediates start at items[*i]. */
static bool plain_instr(wat_func_ctx *fc, const sx_node *opnode, const sx_node *items, size_t n, size_t *i,
                        wat_buf *b) {
  wat_module *m = fc->mod;
  wm_opcode op = wm_op_by_name(opnode->text, opnode->len);
  if (op == OP_COUNT_ || op == OP_SELECT_T)
    return wat_fail(m, opnode, "unknown operator %.*s", (int)opnode->len, opnode->text);
  const wm_opinfo *info = &wm_opinfos[op];
  uint32_t x, y;
  uint64_t v64;
  if (op == OP_SELECT) {
    /* select (result t)* : the typed form when result annotations follow */
    if (*i < n && is_list_head(&items[*i], "result")) {
      wat_buf tmp = {0};
      uint32_t count = 0;
      while (*i < n && is_list_head(&items[*i], "result")) {
        const sx_node *l = &items[(*i)++];
        for (size_t k = 1; k < l->nitems; k++) {
          wm_valtype t;
          if (!wat_valtype(m, &l->items[k], &t)) { wat_buf_free(&tmp); return false; }
          wat_emit_valtype(&tmp, t);
          count++;
        }
      }
      wat_buf_byte(b, 0x1C);
      wat_buf_uleb(b, count);
      wat_buf_bytes(b, tmp.p, tmp.len);
      wat_buf_free(&tmp);
      return true;
    }
  }
  emit_opcode(b, info);
  switch (info->imm) {
  case IMM_NONE:
    return true;
  case IMM_LABEL:
    if (*i >= n) return wat_fail(m, opnode, "unexpected end: %s needs a label", info->name);
    if (!label_index(fc, &items[(*i)++], &x)) return false;
    wat_buf_uleb(b, x);
    return true;
  case IMM_BR_TABLE: {
    uint32_t count = 0;
    wat_buf tmp = {0};
    while (*i < n && wat_is_index(&items[*i])) {
      if (!label_index(fc, &items[(*i)++], &x)) { wat_buf_free(&tmp); return false; }
      wat_buf_uleb(&tmp, x);
      count++;
    }
    if (count == 0) { wat_buf_free(&tmp); return wat_fail(m, opnode, "unexpected token: br_table needs a label"); }
    wat_buf_uleb(b, count - 1);
    wat_buf_bytes(b, tmp.p, tmp.len);
    wat_buf_free(&tmp);
    return true;
  }
  case IMM_FUNC: return emit_index(m, items, n, i, &m->func_names, "function", b, opnode);
  case IMM_LOCAL: return emit_index(m, items, n, i, &fc->locals, "local", b, opnode);
  case IMM_GLOBAL: return emit_index(m, items, n, i, &m->global_names, "global", b, opnode);
  case IMM_ELEM: return emit_index(m, items, n, i, &m->elem_names, "elem", b, opnode);
  case IMM_DATA:
    fc->uses_data = true;
    return emit_index(m, items, n, i, &m->data_names, "data", b, opnode);
  case IMM_TABLE:
    if (!opt_index(m, items, n, i, &m->table_names, "table", &x)) return false;
    wat_buf_uleb(b, x);
    return true;
  case IMM_CALL_INDIRECT: {
    if (!opt_index(m, items, n, i, &m->table_names, "table", &x)) return false;
    if (!wat_typeuse(m, items, n, i, &y, NULL, opnode)) return false;
    wat_buf_uleb(b, y);
    wat_buf_uleb(b, x);
    return true;
  }
  case IMM_MEMARG: return memarg(fc, info, items, n, i, b);
  case IMM_MEMARG_LANE: {
    uint8_t lane;
    if (!memarg(fc, info, items, n, i, b) || !lane_literal(m, items, n, i, &lane)) return false;
    wat_buf_byte(b, lane);
    return true;
  }
  case IMM_MEMORY:
    if (!opt_index(m, items, n, i, &m->mem_names, "memory", &x)) return false;
    wat_buf_byte(b, 0x00); /* 2.0: the one memory */
    return true;
  case IMM_MEMORY_MEMORY:
    wat_buf_byte(b, 0x00);
    wat_buf_byte(b, 0x00);
    return true;
  case IMM_DATA_MEMORY:
    fc->uses_data = true;
    if (!emit_index(m, items, n, i, &m->data_names, "data", b, opnode)) return false;
    wat_buf_byte(b, 0x00);
    return true;
  case IMM_I32: case IMM_I64: {
    if (*i >= n || items[*i].kind != SX_ATOM) return wat_fail(m, opnode, "unexpected token: expected a number");
    const sx_node *t = &items[(*i)++];
    if (!wat_parse_int_bits(t->text, t->len, info->imm == IMM_I32 ? 32 : 64, &v64))
      return wat_fail(m, t, "constant out of range or malformed: %.*s", (int)t->len, t->text);
    wat_buf_sleb(b, info->imm == IMM_I32 ? (int64_t)(int32_t)(uint32_t)v64 : (int64_t)v64);
    return true;
  }
  case IMM_F32: case IMM_F64: {
    if (*i >= n || items[*i].kind != SX_ATOM) return wat_fail(m, opnode, "unexpected token: expected a number");
    const sx_node *t = &items[(*i)++];
    uint8_t bytes[8];
    unsigned w = info->imm == IMM_F32 ? 4 : 8;
    if (w == 4) {
      uint32_t f;
      if (!wat_parse_f32(t->text, t->len, &f)) return wat_fail(m, t, "constant out of range or malformed: %.*s", (int)t->len, t->text);
      v64 = f;
    } else if (!wat_parse_f64(t->text, t->len, &v64)) {
      return wat_fail(m, t, "constant out of range or malformed: %.*s", (int)t->len, t->text);
    }
    for (unsigned k = 0; k < w; k++) bytes[k] = (uint8_t)(v64 >> (8 * k));
    wat_buf_bytes(b, bytes, w);
    return true;
  }
  case IMM_V128: return v128_const(m, items, n, i, b, opnode);
  case IMM_LANE: {
    uint8_t lane;
    if (!lane_literal(m, items, n, i, &lane)) return false;
    wat_buf_byte(b, lane);
    return true;
  }
  case IMM_SHUFFLE:
    for (int k = 0; k < 16; k++) {
      uint8_t lane;
      if (!lane_literal(m, items, n, i, &lane)) return false;
      wat_buf_byte(b, lane);
    }
    return true;
  case IMM_HEAPTYPE: {
    if (*i >= n) return wat_fail(m, opnode, "unexpected end: ref.null needs a heap type");
    const sx_node *t = &items[(*i)++];
    if (sx_is_atom(t, "func")) wat_buf_byte(b, 0x70);
    else if (sx_is_atom(t, "extern")) wat_buf_byte(b, 0x6F);
    else return wat_fail(m, t, "unexpected token: expected func or extern");
    return true;
  }
  case IMM_ELEM_TABLE: { /* table.init (table)? elem */
    uint32_t first, second;
    if (*i >= n || !wat_is_index(&items[*i])) return wat_fail(m, opnode, "unexpected token: table.init needs an elem index");
    bool two = *i + 1 < n && wat_is_index(&items[*i + 1]);
    if (two) {
      if (!wat_index(m, &items[(*i)++], &m->table_names, "table", &first)) return false;
      if (!wat_index(m, &items[(*i)++], &m->elem_names, "elem", &second)) return false;
    } else {
      first = 0;
      if (!wat_index(m, &items[(*i)++], &m->elem_names, "elem", &second)) return false;
    }
    wat_buf_uleb(b, second);
    wat_buf_uleb(b, first);
    return true;
  }
  case IMM_TABLE_TABLE: {
    x = y = 0;
    if (*i < n && wat_is_index(&items[*i])) {
      if (!wat_index(m, &items[(*i)++], &m->table_names, "table", &x)) return false;
      if (*i >= n || !wat_is_index(&items[*i])) return wat_fail(m, opnode, "unexpected token: table.copy needs two tables");
      if (!wat_index(m, &items[(*i)++], &m->table_names, "table", &y)) return false;
    }
    wat_buf_uleb(b, x);
    wat_buf_uleb(b, y);
    return true;
  }
  case IMM_SELECT_T:
  case IMM_BLOCKTYPE:
    break;
  }
  return wat_fail(m, opnode, "unexpected instruction %s here", info->name);
}

static bool folded(wat_func_ctx *fc, const sx_node *list, wat_buf *b);

/* Emits the instruction sequence items[from..n). */
bool wat_instrs(wat_func_ctx *fc, const sx_node *items, size_t n, size_t from, wat_buf *b) {
  wat_module *m = fc->mod;
  uint32_t base = fc->nlabels;
  size_t i = from;
  while (i < n) {
    const sx_node *t = &items[i];
    if (t->kind == SX_LIST) {
      if (!folded(fc, t, b)) return false;
      i++;
      continue;
    }
    if (t->kind != SX_ATOM) return wat_fail(m, t, "unexpected token: expected an instruction");
    i++;
    if (sx_is_atom(t, "block") || sx_is_atom(t, "loop") || sx_is_atom(t, "if")) {
      const sx_node *label = opt_id(items, n, &i);
      wat_buf_byte(b, sx_is_atom(t, "block") ? 0x02 : sx_is_atom(t, "loop") ? 0x03 : 0x04);
      if (!blocktype(fc, items, n, &i, b, t) || !push_label(fc, label)) return false;
    } else if (sx_is_atom(t, "else") || sx_is_atom(t, "end")) {
      if (fc->nlabels == base) return wat_fail(m, t, "unexpected token: %.*s without a block", (int)t->len, t->text);
      if (!check_label_repeat(fc, opt_id(items, n, &i))) return false;
      if (sx_is_atom(t, "end")) {
        fc->nlabels--;
        wat_buf_byte(b, 0x0B);
      } else {
        wat_buf_byte(b, 0x05);
      }
    } else if (!plain_instr(fc, t, items, n, &i, b)) {
      return false;
    }
  }
  if (fc->nlabels != base)
    return wat_fail(m, &items[n ? n - 1 : 0], "unexpected end: a block is missing its 'end'");
  return !b->oom || wat_fail(m, &items[0], "out of memory");
}

static bool folded(wat_func_ctx *fc, const sx_node *list, wat_buf *b) {
  wat_module *m = fc->mod;
  const sx_node *items = list->items;
  size_t n = list->nitems, i = 1;
  if (n == 0 || items[0].kind != SX_ATOM) return wat_fail(m, list, "unexpected token: expected an instruction");
  const sx_node *head = &items[0];
  if (sx_is_atom(head, "block") || sx_is_atom(head, "loop")) {
    const sx_node *label = opt_id(items, n, &i);
    wat_buf_byte(b, sx_is_atom(head, "block") ? 0x02 : 0x03);
    if (!blocktype(fc, items, n, &i, b, head) || !push_label(fc, label)) return false;
    if (!wat_instrs(fc, items, n, i, b)) return false;
    fc->nlabels--;
    wat_buf_byte(b, 0x0B);
    return true;
  }
  if (sx_is_atom(head, "if")) {
    const sx_node *label = opt_id(items, n, &i);
    wat_buf bt = {0};
    if (!blocktype(fc, items, n, &i, &bt, head)) { wat_buf_free(&bt); return false; }
    while (i < n && items[i].kind == SX_LIST && !is_list_head(&items[i], "then")) {
      if (!folded(fc, &items[i++], b)) { wat_buf_free(&bt); return false; }
    }
    if (i >= n || !is_list_head(&items[i], "then")) {
      wat_buf_free(&bt);
      return wat_fail(m, i < n ? &items[i] : head, "unexpected token: if needs a (then ...) clause");
    }
    wat_buf_byte(b, 0x04);
    wat_buf_bytes(b, bt.p, bt.len);
    wat_buf_free(&bt);
    if (!push_label(fc, label)) return false;
    const sx_node *then = &items[i++];
    if (!wat_instrs(fc, then->items, then->nitems, 1, b)) return false;
    if (i < n && is_list_head(&items[i], "else")) {
      const sx_node *els = &items[i++];
      wat_buf_byte(b, 0x05);
      if (!wat_instrs(fc, els->items, els->nitems, 1, b)) return false;
    }
    if (i < n) return wat_fail(m, &items[i], "unexpected token after the if's clauses");
    fc->nlabels--;
    wat_buf_byte(b, 0x0B);
    return true;
  }
  if (sx_is_atom(head, "then") || sx_is_atom(head, "else") || sx_is_atom(head, "end"))
    return wat_fail(m, head, "unexpected token %.*s", (int)head->len, head->text);
  wat_buf op = {0};
  bool ok = plain_instr(fc, head, items, n, &i, &op);
  while (ok && i < n) {
    if (items[i].kind != SX_LIST) {
      ok = wat_fail(m, &items[i], "unexpected token: expected a folded operand or ')'");
      break;
    }
    ok = folded(fc, &items[i++], b);
  }
  if (ok) wat_buf_bytes(b, op.p, op.len);
  wat_buf_free(&op);
  return ok;
}

bool wat_const_expr(wat_module *m, const sx_node *items, size_t n, size_t from, wat_buf *b) {
  wat_func_ctx fc = {.mod = m};
  bool ok = wat_instrs(&fc, items, n, from, b);
  wat_buf_byte(b, 0x0B);
  if (fc.uses_data) m->uses_data = true;
  free(fc.labels);
  free(fc.label_lens);
  wat_names_free(&fc.locals);
  return ok;
}
