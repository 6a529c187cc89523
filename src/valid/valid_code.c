/*
 * valid_code.c — type-checking function bodies and constant expressions.
 *
 * This is the spec's validation algorithm (Appendix "Validation Algorithm"):
 * an operand stack of value types and a control stack of frames, where an
 * `unreachable`-style instruction makes the rest of its frame polymorphic
 * (pops below the frame's height yield VALID_UNKNOWN). Instructions with a
 * fixed signature are checked straight from the `sig` column of opcodes.def;
 * only control, variable, reference, table and parametric instructions are
 * written out by hand. Both stacks grow on the heap, so deep nesting costs
 * memory proportional to the body, never C stack.
 */
#include <stdlib.h>
#include <string.h>

#include "binary/instr.h"
#include "binary/opcodes.h"
#include "binary/reader.h"
#include "valid/valid_internal.h"

typedef struct ctrl_frame {
  wm_opcode op;              /* BLOCK, LOOP, IF, ELSE or the function's implicit block (END) */
  const wm_valtype *params, *results;
  uint32_t nparams, nresults;
  wm_valtype single;         /* storage for a one-value block type */
  uint32_t height;             /* operand stack height at entry */
  bool unreachable;
} ctrl_frame;

typedef struct checker {
  const wm_module *m;
  const wm_func *f;
  const wm_functype *ft;
  rt_error *err;
  wm_reader r;
  uint64_t at;                 /* offset of the instruction being checked */
  wm_valtype *vals;
  uint32_t nvals, cap_vals;
  ctrl_frame *ctrls;
  uint32_t nctrls, cap_ctrls;
  uint32_t nlocals;            /* params + locals */
} checker;

static bool fail(checker *c, const char *fmt, const char *arg) {
  return rt_error_at(c->err, WRUN_ERR_INVALID, c->at, fmt, arg);
}

static bool fail_idx(checker *c, const char *what, uint64_t idx) {
  return rt_error_at(c->err, WRUN_ERR_INVALID, c->at, "%s %llu", what, (unsigned long long)idx);
}

static bool mismatch(checker *c, wm_valtype expected, wm_valtype got) {
  char a[32], b[32];
  return rt_error_at(c->err, WRUN_ERR_INVALID, c->at, "type mismatch: expected %s, found %s",
                       wm_valtype_name(expected, a, sizeof a), wm_valtype_name(got, b, sizeof b));
}

/* ---- operand stack ----------------------------------------------------- */

static bool push(checker *c, wm_valtype t) {
  if (c->nvals == c->cap_vals) {
    uint32_t cap = c->cap_vals ? c->cap_vals * 2 : 64;
    wm_valtype *v = realloc(c->vals, cap * sizeof *v);
    if (!v) return rt_error_at(c->err, WRUN_ERR_OOM, c->at, "out of memory");
    c->vals = v;
    c->cap_vals = cap;
  }
  c->vals[c->nvals++] = t;
  return true;
}

/* Pops any value; *out is VALID_UNKNOWN when the frame is unreachable and empty. */
static bool pop_any(checker *c, wm_valtype *out) {
  *out = VALID_UNKNOWN;
  ctrl_frame *fr = &c->ctrls[c->nctrls - 1];
  if (c->nvals == fr->height) {
    if (fr->unreachable) {
      *out = VALID_UNKNOWN;
      return true;
    }
    return rt_error_at(c->err, WRUN_ERR_INVALID, c->at,
                         "type mismatch: instruction needs an operand but the stack of this block is empty");
  }
  *out = c->vals[--c->nvals];
  return true;
}

static bool pop_expect(checker *c, wm_valtype expected, wm_valtype *out) {
  ctrl_frame *fr = &c->ctrls[c->nctrls - 1];
  if (c->nvals == fr->height && !fr->unreachable) {
    char a[32];
    return rt_error_at(c->err, WRUN_ERR_INVALID, c->at,
                         "type mismatch: expected %s but the stack of this block is empty",
                         wm_valtype_name(expected, a, sizeof a));
  }
  wm_valtype got;
  if (!pop_any(c, &got)) return false;
  if (!valid_subtype(c->m, got, expected)) return mismatch(c, expected, got);
  if (out) *out = got; /* stays unknown on a polymorphic stack (br_table needs that) */
  return true;
}

static bool pop(checker *c, wm_valtype expected) { return pop_expect(c, expected, NULL); }

static bool pop_vals(checker *c, const wm_valtype *ts, uint32_t n) {
  for (uint32_t i = n; i-- > 0;)
    if (!pop(c, ts[i])) return false;
  return true;
}

static bool push_vals(checker *c, const wm_valtype *ts, uint32_t n) {
  for (uint32_t i = 0; i < n; i++)
    if (!push(c, ts[i])) return false;
  return true;
}

/* ---- control stack ----------------------------------------------------- */

static bool push_ctrl(checker *c, wm_opcode op, const wm_valtype *params, uint32_t np,
                      const wm_valtype *results, uint32_t nr, wm_valtype single) {
  if (c->nctrls == c->cap_ctrls) {
    uint32_t cap = c->cap_ctrls ? c->cap_ctrls * 2 : 16;
    ctrl_frame *v = realloc(c->ctrls, cap * sizeof *v);
    if (!v) return rt_error_at(c->err, WRUN_ERR_OOM, c->at, "out of memory");
    c->ctrls = v;
    c->cap_ctrls = cap;
  }
  ctrl_frame *fr = &c->ctrls[c->nctrls++];
  fr->op = op;
  fr->single = single;
  fr->params = params;
  fr->nparams = np;
  fr->results = results;
  fr->nresults = nr;
  if (single != VALID_UNKNOWN) fr->results = NULL; /* resolved by frame_results() */
  fr->height = c->nvals;
  fr->unreachable = false;
  return push_vals(c, params, np);
}

static const wm_valtype *frame_results(const ctrl_frame *fr) {
  return fr->results ? fr->results : &fr->single;
}

/* The types a branch to this frame carries: a loop's parameters, else results. */
static const wm_valtype *label_types(const ctrl_frame *fr, uint32_t *n) {
  if (fr->op == OP_LOOP) {
    *n = fr->nparams;
    return fr->params;
  }
  *n = fr->nresults;
  return frame_results(fr);
}

static bool pop_ctrl(checker *c, ctrl_frame *out) {
  ctrl_frame *fr = &c->ctrls[c->nctrls - 1];
  if (!pop_vals(c, frame_results(fr), fr->nresults)) return false;
  if (c->nvals != fr->height)
    return rt_error_at(c->err, WRUN_ERR_INVALID, c->at,
                         "type mismatch: %u value(s) left on the stack at the end of the block",
                         c->nvals - fr->height);
  *out = *fr;
  c->nctrls--;
  return true;
}

static void set_unreachable(checker *c) {
  ctrl_frame *fr = &c->ctrls[c->nctrls - 1];
  c->nvals = fr->height;
  fr->unreachable = true;
}

/* ---- immediates -------------------------------------------------------- */

static bool read_u32(checker *c, uint32_t *v) { return reader_u32(&c->r, v); }

static bool read_blocktype(checker *c, const wm_valtype **params, uint32_t *np,
                           const wm_valtype **results, uint32_t *nr, wm_valtype *single) {
  uint8_t b = *c->r.p;
  *params = NULL;
  *np = 0;
  *results = NULL;
  *nr = 0;
  *single = VALID_UNKNOWN;
  if (b == 0x40) {
    c->r.p++;
    return true;
  }
  /* Only the value-type bytes are one-byte block types; every other first
   * byte (0x80 and up included) starts a type index. */
  if (wm_blocktype_valtype(b, single)) {
    c->r.p++;
    *nr = 1;
    return true;
  }
  int64_t idx;
  if (!reader_s33(&c->r, &idx)) return false;
  if ((uint64_t)idx >= c->m->ntypes) return fail_idx(c, "unknown type", (uint64_t)idx);
  const wm_functype *ft = &c->m->types[idx].func;
  *params = wm_functype_params(ft);
  *np = ft->nparams;
  *results = wm_functype_results(ft);
  *nr = ft->nresults;
  return true;
}

static bool memarg(checker *c, const wm_opinfo *info, uint32_t *align_out) {
  uint32_t align, off;
  if (!read_u32(c, &align)) return false;
  uint64_t off64;
  if (c->m->nmems && c->m->mems[0].type.limits.is64) {
    if (!reader_u64(&c->r, &off64)) return false;
  } else if (!read_u32(c, &off)) {
    return false;
  }
  if (c->m->nmems == 0) return fail_idx(c, "unknown memory", 0);
  if (align > info->arg)
    return rt_error_at(c->err, WRUN_ERR_INVALID, c->at,
                         "alignment must not be larger than natural: 2^%u > 2^%u for %s", align, info->arg,
                         info->name);
  if (align_out) *align_out = align;
  return true;
}

static wm_valtype sig_type(const checker *c, char ch) {
  switch (ch) {
  case 'i': return WASM_I32;
  case 'I': return WASM_I64;
  case 'f': return WASM_F32;
  case 'F': return WASM_F64;
  case 'v': return WASM_V128;
  case 'a': return c->m->nmems && c->m->mems[0].type.limits.is64 ? WASM_I64 : WASM_I32;
  default: return VALID_UNKNOWN;
  }
}

/* Checks and applies an "operands>results" signature. */
static bool apply_sig(checker *c, const char *sig) {
  const char *gt = strchr(sig, '>');
  for (const char *p = gt; p-- > sig;)
    if (!pop(c, sig_type(c, *p))) return false;
  for (const char *p = gt + 1; *p; p++)
    if (!push(c, sig_type(c, *p))) return false;
  return true;
}

static bool check_local(checker *c, uint32_t idx, wm_valtype *t) {
  *t = VALID_UNKNOWN;
  if (idx >= c->nlocals) return fail_idx(c, "unknown local", idx);
  *t = idx < c->ft->nparams ? wm_functype_params(c->ft)[idx] : c->f->locals[idx - c->ft->nparams];
  return true;
}

static bool check_label(checker *c, uint32_t depth, ctrl_frame **fr) {
  *fr = &c->ctrls[c->nctrls - 1];
  if (depth >= c->nctrls) return fail_idx(c, "unknown label", depth);
  *fr = &c->ctrls[c->nctrls - 1 - depth];
  return true;
}

static bool check_table(checker *c, uint32_t idx) {
  return idx < c->m->ntables ? true : fail_idx(c, "unknown table", idx);
}

static bool check_elem(checker *c, uint32_t idx) {
  return idx < c->m->nelems ? true : fail_idx(c, "unknown elem segment", idx);
}

static bool check_data(checker *c, uint32_t idx) {
  if (!c->m->has_data_count || idx >= c->m->data_count) return fail_idx(c, "unknown data segment", idx);
  return true;
}

static bool check_memory(checker *c) {
  return c->m->nmems ? true : fail_idx(c, "unknown memory", 0);
}

/* ---- instructions ------------------------------------------------------ */

static bool check_branch_table(checker *c) {
  uint32_t n;
  if (!read_u32(c, &n)) return false;
  if (n > WASM_MAX_BR_TABLE)
    return rt_error_at(c->err, WRUN_ERR_LIMIT, c->at, "br_table with %u targets exceeds the limit %u", n,
                         WASM_MAX_BR_TABLE);
  if (!pop(c, WASM_I32)) return false;
  /* Check the default first to learn the arity, then every target against a
   * snapshot of the stack (the spec's pop-then-push per label). */
  wm_reader save = c->r;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t skip;
    if (!read_u32(c, &skip)) return false;
  }
  uint32_t def;
  if (!read_u32(c, &def)) return false;
  ctrl_frame *dfr;
  if (!check_label(c, def, &dfr)) return false;
  uint32_t arity;
  label_types(dfr, &arity);
  wm_reader after = c->r;
  c->r = save;
  for (uint32_t i = 0; i <= n; i++) {
    uint32_t depth = def;
    if (i < n && !read_u32(c, &depth)) return false;
    ctrl_frame *fr;
    if (!check_label(c, depth, &fr)) return false;
    uint32_t nl;
    const wm_valtype *lt = label_types(fr, &nl);
    if (nl != arity)
      return rt_error_at(c->err, WRUN_ERR_INVALID, c->at,
                           "type mismatch: br_table targets carry %u and %u values", arity, nl);
    /* pop the label's types and push back what was found (keeps specific types) */
    uint32_t base = c->nvals;
    wm_valtype tmp[8];
    wm_valtype *got = nl <= 8 ? tmp : malloc(nl * sizeof *got);
    if (!got) return rt_error_at(c->err, WRUN_ERR_OOM, c->at, "out of memory");
    bool ok = true;
    for (uint32_t k = nl; ok && k-- > 0;) ok = pop_expect(c, lt[k], &got[k]);
    if (ok) {
      for (uint32_t k = 0; ok && k < nl; k++) ok = push(c, got[k]);
    }
    if (got != tmp) free(got);
    if (!ok) return false;
    (void)base;
  }
  c->r = after;
  set_unreachable(c);
  return true;
}

static bool check_call(checker *c, const wm_functype *ft) {
  return pop_vals(c, wm_functype_params(ft), ft->nparams) &&
         push_vals(c, wm_functype_results(ft), ft->nresults);
}

/* Checks one instruction; `done` is set when the function's final end is reached. */
static bool check_instr(checker *c, bool *done) {
  const wm_module *m = c->m;
  c->at = reader_offset(&c->r);
  uint8_t b;
  uint32_t code;
  if (!reader_u8(&c->r, &b)) return false;
  uint8_t prefix = 0;
  if (b == 0xFC || b == 0xFD) {
    prefix = b;
    if (!read_u32(c, &code)) return false;
  } else {
    code = b;
  }
  wm_opcode op = wm_op_lookup(prefix, code);
  if (op == OP_COUNT_)
    return rt_error_at(c->err, WRUN_ERR_MALFORMED, c->at, "illegal opcode 0x%02x", code);
  const wm_opinfo *info = &wm_opinfos[op];
  uint32_t x, y;
  wm_valtype t, t2;
  ctrl_frame *fr, popped;

  switch (info->imm) { /* generic immediates of fixed-signature instructions */
  case IMM_MEMARG:
    if (!memarg(c, info, NULL)) return false;
    break;
  case IMM_MEMARG_LANE: {
    uint8_t lane;
    if (!memarg(c, info, NULL) || !reader_u8(&c->r, &lane)) return false;
    if (lane >= (16u >> info->arg)) return fail_idx(c, "invalid lane index", lane);
    break;
  }
  case IMM_LANE: {
    uint8_t lane;
    if (!reader_u8(&c->r, &lane)) return false;
    if (lane >= info->arg) return fail_idx(c, "invalid lane index", lane);
    break;
  }
  case IMM_SHUFFLE: {
    const uint8_t *lanes;
    if (!reader_bytes(&c->r, 16, &lanes)) return false;
    for (int i = 0; i < 16; i++)
      if (lanes[i] >= 32) return fail_idx(c, "invalid lane index", lanes[i]);
    break;
  }
  case IMM_I32: { int32_t v; if (!reader_s32(&c->r, &v)) return false; break; }
  case IMM_I64: { int64_t v; if (!reader_s64(&c->r, &v)) return false; break; }
  case IMM_F32: case IMM_F64: case IMM_V128: {
    const uint8_t *p;
    if (!reader_bytes(&c->r, info->imm == IMM_F32 ? 4 : info->imm == IMM_F64 ? 8 : 16, &p)) return false;
    break;
  }
  case IMM_MEMORY:
    c->r.p++; /* the reserved zero byte (decoder checked it) */
    if (!check_memory(c)) return false;
    break;
  case IMM_MEMORY_MEMORY:
    c->r.p += 2;
    if (!check_memory(c)) return false;
    break;
  case IMM_DATA_MEMORY:
    if (!read_u32(c, &x)) return false;
    c->r.p++;
    if (!check_memory(c) || !check_data(c, x)) return false;
    break;
  case IMM_DATA:
    if (!read_u32(c, &x) || !check_data(c, x)) return false;
    break;
  case IMM_ELEM:
    if (!read_u32(c, &x) || !check_elem(c, x)) return false;
    break;
  default:
    break;
  }
  if (info->sig) return apply_sig(c, info->sig);

  switch (op) {
  case OP_UNREACHABLE:
    set_unreachable(c);
    return true;
  case OP_BLOCK: case OP_LOOP: case OP_IF: {
    const wm_valtype *ps, *rs;
    uint32_t np, nr;
    wm_valtype single;
    if (!read_blocktype(c, &ps, &np, &rs, &nr, &single)) return false;
    if (op == OP_IF && !pop(c, WASM_I32)) return false;
    if (!pop_vals(c, ps, np)) return false;
    return push_ctrl(c, op, ps, np, rs, nr, single);
  }
  case OP_ELSE:
    fr = &c->ctrls[c->nctrls - 1];
    if (fr->op != OP_IF)
      return rt_error_at(c->err, WRUN_ERR_MALFORMED, c->at, "else without a matching if");
    if (!pop_ctrl(c, &popped)) return false;
    return push_ctrl(c, OP_ELSE, popped.params, popped.nparams, popped.results, popped.nresults,
                     popped.single);
  case OP_END:
    if (!pop_ctrl(c, &popped)) return false;
    if (popped.op == OP_IF) { /* no else: the implicit else passes params through */
      const wm_valtype *rs = frame_results(&popped);
      bool same = popped.nparams == popped.nresults;
      for (uint32_t i = 0; same && i < popped.nparams; i++) same = popped.params[i] == rs[i];
      if (!same)
        return rt_error_at(c->err, WRUN_ERR_INVALID, c->at,
                             "type mismatch: if without else must leave its parameters as its results");
    }
    if (c->nctrls == 0) {
      *done = true;
      return true;
    }
    return push_vals(c, frame_results(&popped), popped.nresults);
  case OP_BR: {
    uint32_t n;
    if (!read_u32(c, &x) || !check_label(c, x, &fr)) return false;
    const wm_valtype *lt = label_types(fr, &n);
    if (!pop_vals(c, lt, n)) return false;
    set_unreachable(c);
    return true;
  }
  case OP_BR_IF: {
    uint32_t n;
    if (!read_u32(c, &x) || !check_label(c, x, &fr)) return false;
    if (!pop(c, WASM_I32)) return false;
    const wm_valtype *lt = label_types(fr, &n);
    /* pop and re-push keeping the more specific operand types */
    return pop_vals(c, lt, n) && push_vals(c, lt, n);
  }
  case OP_BR_TABLE:
    return check_branch_table(c);
  case OP_RETURN:
    if (!pop_vals(c, wm_functype_results(c->ft), c->ft->nresults)) return false;
    set_unreachable(c);
    return true;
  case OP_CALL:
    if (!read_u32(c, &x)) return false;
    if (x >= m->nfuncs) return fail_idx(c, "unknown function", x);
    return check_call(c, wm_module_func_type(m, x));
  case OP_CALL_INDIRECT:
    if (!read_u32(c, &y) || !read_u32(c, &x)) return false; /* type, then table */
    if (!check_table(c, x)) return false;
    if (m->tables[x].type.elem != WASM_FUNCREF)
      return rt_error_at(c->err, WRUN_ERR_INVALID, c->at,
                           "type mismatch: call_indirect needs a funcref table, table %u is not", x);
    if (y >= m->ntypes) return fail_idx(c, "unknown type", y);
    if (!pop(c, WASM_I32)) return false;
    return check_call(c, &m->types[y].func);
  case OP_DROP:
    return pop_any(c, &t);
  case OP_SELECT:
    if (!pop(c, WASM_I32) || !pop_any(c, &t) || !pop_any(c, &t2)) return false;
    if ((t != VALID_UNKNOWN && !wm_valtype_is_num(t)) || (t2 != VALID_UNKNOWN && !wm_valtype_is_num(t2)))
      return fail(c, "type mismatch: select without a type annotation needs %s operands", "numeric or vector");
    if (t != VALID_UNKNOWN && t2 != VALID_UNKNOWN && t != t2) return mismatch(c, t2, t);
    return push(c, t == VALID_UNKNOWN ? t2 : t);
  case OP_SELECT_T: {
    uint32_t n;
    if (!read_u32(c, &n)) return false;
    if (n != 1) return fail_idx(c, "invalid result arity: typed select needs exactly one type, found", n);
    uint8_t tb = *c->r.p++;
    t = tb == 0x70 ? WASM_FUNCREF : tb == 0x6F ? WASM_EXTERNREF : tb;
    return pop(c, WASM_I32) && pop(c, t) && pop(c, t) && push(c, t);
  }
  case OP_LOCAL_GET:
    return read_u32(c, &x) && check_local(c, x, &t) && push(c, t);
  case OP_LOCAL_SET:
    return read_u32(c, &x) && check_local(c, x, &t) && pop(c, t);
  case OP_LOCAL_TEE:
    return read_u32(c, &x) && check_local(c, x, &t) && pop(c, t) && push(c, t);
  case OP_GLOBAL_GET:
    if (!read_u32(c, &x)) return false;
    if (x >= m->nglobals) return fail_idx(c, "unknown global", x);
    return push(c, m->globals[x].type.type);
  case OP_GLOBAL_SET:
    if (!read_u32(c, &x)) return false;
    if (x >= m->nglobals) return fail_idx(c, "unknown global", x);
    if (!m->globals[x].type.mut) return fail_idx(c, "global is immutable: global.set of global", x);
    return pop(c, m->globals[x].type.type);
  case OP_TABLE_GET:
    return read_u32(c, &x) && check_table(c, x) && pop(c, WASM_I32) && push(c, m->tables[x].type.elem);
  case OP_TABLE_SET:
    return read_u32(c, &x) && check_table(c, x) && pop(c, m->tables[x].type.elem) && pop(c, WASM_I32);
  case OP_TABLE_SIZE:
    return read_u32(c, &x) && check_table(c, x) && push(c, WASM_I32);
  case OP_TABLE_GROW:
    return read_u32(c, &x) && check_table(c, x) && pop(c, WASM_I32) && pop(c, m->tables[x].type.elem) &&
           push(c, WASM_I32);
  case OP_TABLE_FILL:
    return read_u32(c, &x) && check_table(c, x) && pop(c, WASM_I32) && pop(c, m->tables[x].type.elem) &&
           pop(c, WASM_I32);
  case OP_TABLE_COPY:
    if (!read_u32(c, &x) || !read_u32(c, &y) || !check_table(c, x) || !check_table(c, y)) return false;
    if (!valid_subtype(m, m->tables[y].type.elem, m->tables[x].type.elem))
      return rt_error_at(c->err, WRUN_ERR_INVALID, c->at,
                           "type mismatch: table.copy from table %u into table %u of another type", y, x);
    return pop(c, WASM_I32) && pop(c, WASM_I32) && pop(c, WASM_I32);
  case OP_TABLE_INIT: /* elem index, then table index */
    if (!read_u32(c, &y) || !read_u32(c, &x) || !check_elem(c, y) || !check_table(c, x)) return false;
    if (!valid_subtype(m, m->elems[y].type, m->tables[x].type.elem))
      return rt_error_at(c->err, WRUN_ERR_INVALID, c->at,
                           "type mismatch: table.init of table %u from element segment %u of another type", x, y);
    return pop(c, WASM_I32) && pop(c, WASM_I32) && pop(c, WASM_I32);
  case OP_REF_NULL: {
    uint8_t ht = *c->r.p++;
    return push(c, ht == 0x70 ? WASM_FUNCREF : WASM_EXTERNREF);
  }
  case OP_REF_IS_NULL:
    if (!pop_any(c, &t)) return false;
    if (t != VALID_UNKNOWN && !wm_valtype_is_ref(t))
      return fail(c, "type mismatch: ref.is_null needs a %s operand", "reference");
    return push(c, WASM_I32);
  case OP_REF_FUNC:
    if (!read_u32(c, &x)) return false;
    if (x >= m->nfuncs) return fail_idx(c, "unknown function", x);
    if (!m->func_declared[x]) return fail_idx(c, "undeclared function reference", x);
    return push(c, WASM_FUNCREF);
  default:
    return rt_error_at(c->err, WRUN_ERR_INVALID, c->at, "instruction %s is not supported", info->name);
  }
}

bool valid_func_body(const wm_module *m, uint32_t funcidx, rt_error *err) {
  const wm_func *f = &m->funcs[funcidx];
  checker c = {
    .m = m, .f = f, .ft = wm_module_func_type(m, funcidx), .err = err,
    .r = {m->bytes, f->code, f->code + f->code_len, err}, .at = f->code_offset,
  };
  c.nlocals = c.ft->nparams + f->nlocals;
  bool ok = push_ctrl(&c, OP_END, NULL, 0, wm_functype_results(c.ft), c.ft->nresults, VALID_UNKNOWN);
  bool done = false;
  while (ok && !done) {
    if (reader_eof(&c.r)) {
      ok = rt_error_at(err, WRUN_ERR_MALFORMED, reader_offset(&c.r), "unexpected end of function body");
      break;
    }
    ok = check_instr(&c, &done);
  }
  free(c.vals);
  free(c.ctrls);
  return ok;
}

/* ---- constant expressions ---------------------------------------------- */

bool valid_const_expr(const wm_module *m, const wm_constexpr *ce, wm_valtype expected,
                      uint32_t nglobals_visible, uint8_t *declared, rt_error *err) {
  wm_reader r = {m->bytes, ce->code, ce->code + ce->len, err};
  wm_valtype stack[1] = {0}; /* read only when n == 1; gcc 12 for aarch64 cannot tell */
  uint32_t n = 0;
  for (;;) {
    uint64_t at = reader_offset(&r);
    uint8_t b;
    uint32_t code, x;
    if (!reader_u8(&r, &b)) return false;
    uint8_t prefix = 0;
    if (b == 0xFC || b == 0xFD) {
      prefix = b;
      if (!reader_u32(&r, &code)) return false;
    } else {
      code = b;
    }
    wm_opcode op = wm_op_lookup(prefix, code);
    wm_valtype t;
    const uint8_t *p;
    switch (op) {
    case OP_END:
      if (n != 1 || !valid_subtype(m, stack[0], expected)) {
        char a[32];
        return rt_error_at(err, WRUN_ERR_INVALID, at,
                             "type mismatch: constant expression must produce exactly one %s",
                             wm_valtype_name(expected, a, sizeof a));
      }
      return true;
    case OP_I32_CONST: { int32_t v; if (!reader_s32(&r, &v)) return false; t = WASM_I32; break; }
    case OP_I64_CONST: { int64_t v; if (!reader_s64(&r, &v)) return false; t = WASM_I64; break; }
    case OP_F32_CONST: if (!reader_bytes(&r, 4, &p)) return false; t = WASM_F32; break;
    case OP_F64_CONST: if (!reader_bytes(&r, 8, &p)) return false; t = WASM_F64; break;
    case OP_V128_CONST: if (!reader_bytes(&r, 16, &p)) return false; t = WASM_V128; break;
    case OP_REF_NULL: {
      uint8_t ht;
      if (!reader_u8(&r, &ht)) return false;
      t = ht == 0x70 ? WASM_FUNCREF : WASM_EXTERNREF;
      break;
    }
    case OP_REF_FUNC:
      if (!reader_u32(&r, &x)) return false;
      if (x >= m->nfuncs) return rt_error_at(err, WRUN_ERR_INVALID, at, "unknown function %u", x);
      if (declared) declared[x] = 1;
      t = WASM_FUNCREF;
      break;
    case OP_GLOBAL_GET:
      if (!reader_u32(&r, &x)) return false;
      if (x >= nglobals_visible) return rt_error_at(err, WRUN_ERR_INVALID, at, "unknown global %u", x);
      if (m->globals[x].type.mut)
        return rt_error_at(err, WRUN_ERR_INVALID, at,
                             "constant expression required: global.get of mutable global %u", x);
      t = m->globals[x].type.type;
      break;
    default:
      return rt_error_at(err, WRUN_ERR_INVALID, at,
                           "constant expression required: %s is not a constant instruction",
                           op == OP_COUNT_ ? "this opcode" : wm_opinfos[op].name);
    }
    if (n == 1)
      return rt_error_at(err, WRUN_ERR_INVALID, at,
                           "type mismatch: constant expression leaves more than one value");
    stack[n++] = t;
  }
}
