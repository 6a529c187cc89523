/*
 * wat_internal.h — shared state of the WAT-to-binary translator (wat.c for
 * module fields and sections, wat_instr.c for instructions). Not a public API.
 */
#ifndef WRUN_TEXT_WAT_INTERNAL_H
#define WRUN_TEXT_WAT_INTERNAL_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binary/module.h"
#include "text/text.h"

/* A growable byte buffer; `oom` sticks once an allocation fails. */
typedef struct wat_buf {
  uint8_t *p;
  size_t len, cap;
  bool oom;
} wat_buf;

void wat_buf_byte(wat_buf *b, uint8_t v);
void wat_buf_bytes(wat_buf *b, const void *p, size_t n);
void wat_buf_uleb(wat_buf *b, uint64_t v);
void wat_buf_sleb(wat_buf *b, int64_t v);
void wat_buf_free(wat_buf *b);

/* One index space's identifiers: index -> name, and a hash from name to index. */
typedef struct wat_names {
  const char **name;     /* per index, NULL when anonymous */
  size_t *len;
  uint32_t n, cap;
  uint32_t *slots;       /* open addressing: index + 1, 0 = empty */
  uint32_t nslots;
} wat_names;

/* Appends an entry (name may be NULL). False on a duplicate name or OOM. */
bool wat_names_add(wat_names *ns, const char *name, size_t len);
/* Index of `name`, or UINT32_MAX. */
uint32_t wat_names_find(const wat_names *ns, const char *name, size_t len);
void wat_names_free(wat_names *ns);

/* A function signature being assembled from (param ...) and (result ...). */
typedef struct wat_sig {
  wm_valtype *params, *results;
  uint32_t nparams, nresults, cap_params, cap_results;
} wat_sig;

typedef struct wat_type {
  wat_sig sig;
} wat_type;

typedef struct wat_module wat_module;

/* Per-function state while emitting a body. */
typedef struct wat_func_ctx {
  wat_module *mod;
  wat_names locals;
  const char **labels;   /* label stack (NULL for unnamed), innermost last */
  size_t *label_lens;
  uint32_t nlabels, cap_labels;
  bool uses_data;        /* memory.init / data.drop seen: a data count section is needed */
} wat_func_ctx;

struct wat_module {
  rt_error *err;
  wat_type *types;
  uint32_t ntypes, cap_types;
  wat_names type_names, func_names, table_names, mem_names, global_names, elem_names, data_names;
  uint32_t *func_types;  /* type index of each function */
  uint32_t nfuncs, cap_funcs;
  bool uses_data;
};

/* Reports a MALFORMED error at node `n` (line:col). Returns false. */
bool wat_fail(wat_module *m, const sx_node *n, const char *fmt, ...) __attribute__((format(printf, 3, 4)));

/* Value types: i32 ... v128, funcref, externref, (ref null func|extern). */
bool wat_valtype(wat_module *m, const sx_node *n, wm_valtype *out);
void wat_emit_valtype(wat_buf *b, wm_valtype t);

/* Reads an index: a u32 literal or an $id from `ns`. `what` names the space. */
bool wat_index(wat_module *m, const sx_node *n, const wat_names *ns, const char *what, uint32_t *out);

/* True if `n` could be an index (an $id or a number). */
bool wat_is_index(const sx_node *n);

/* Typeuse: (type x)? (param ...)* (result ...)* starting at items[*i].
 * Returns the type index (found or appended). If `param_names` is not NULL,
 * parameter identifiers are added to it in order. */
bool wat_typeuse(wat_module *m, const sx_node *items, size_t n, size_t *i, uint32_t *typeidx,
                 wat_names *param_names, const sx_node *where);

/* Index of a type equal to `sig`, appending one if there is none. Takes
 * ownership of sig's arrays. */
uint32_t wat_intern_type(wat_module *m, wat_sig *sig);

bool wat_sig_param(wat_sig *s, wm_valtype t);
bool wat_sig_result(wat_sig *s, wm_valtype t);
void wat_sig_free(wat_sig *s);

/* Emits instructions items[from..n) (plain and folded) into `b`. */
bool wat_instrs(wat_func_ctx *fc, const sx_node *items, size_t n, size_t from, wat_buf *b);

/* Emits a constant expression (instructions then `end`). */
bool wat_const_expr(wat_module *m, const sx_node *items, size_t n, size_t from, wat_buf *b);

/* Integer literal of `bits` (8, 16, 32, 64) bits, signed or unsigned form. */
bool wat_parse_int_bits(const char *s, size_t len, unsigned bits, uint64_t *out);

#endif
