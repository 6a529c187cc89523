/*
 * text.h — the WebAssembly text format: a lexer into S-expressions, and a
 * translator from a WAT module to the binary format.
 *
 * Design: the text front end produces binary bytes, which the binary decoder
 * then reads like any .wasm file. So there is one path into the module IR, and
 * `(module binary ...)`, `(module quote ...)` and plain text modules in .wast
 * scripts all meet at the decoder. Text errors are WRUN_ERR_MALFORMED with a
 * 1-based line:col.
 *
 * Ownership: an sx_doc owns every node and string of a parse; nodes are valid
 * until sx_doc_free. Binary output buffers are malloc'd and owned by the caller.
 */
#ifndef WRUN_TEXT_TEXT_H
#define WRUN_TEXT_TEXT_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "common/error.h"

typedef enum sx_kind {
  SX_LIST,     /* ( ... ) */
  SX_ATOM,     /* keyword, number or other reserved token: "i32.add", "0x1p3", "offset=4" */
  SX_ID,       /* $name: text includes the '$' */
  SX_STRING,   /* "..." with escapes decoded: arbitrary bytes, may contain NUL */
} sx_kind;

typedef struct sx_node {
  sx_kind kind;
  uint32_t line, col;          /* position of the first character */
  const char *text;            /* atom/id text, or decoded string bytes (not NUL-terminated) */
  size_t len;
  struct sx_node *items;       /* SX_LIST: children */
  size_t nitems;
} sx_node;

typedef struct sx_doc {
  sx_node root;                /* an SX_LIST holding the top-level forms */
  void *arena;                 /* private */
} sx_doc;

/* Parses source text into S-expressions. Comments (;; and nested (; ;)) are
 * dropped. Fails on unbalanced parens, bad string escapes, invalid UTF-8 in
 * strings-as-names is left to the consumer. Nesting depth is bounded without
 * recursion. */
bool sx_parse(const char *src, size_t len, sx_doc *doc, rt_error *err);

/* Releases everything a parse allocated. Safe on a zeroed doc. */
void sx_doc_free(sx_doc *doc);

/* True if `n` is an atom equal to the keyword `kw`. */
bool sx_is_atom(const sx_node *n, const char *kw);

/* Translates a `(module ...)` form into a binary module. Handles
 *   (module $id? field*)             text module
 *   (module $id? binary "..."*)      bytes are concatenated as-is
 *   (module $id? quote "..."*)       strings concatenated and parsed as text
 * Returns false with a MALFORMED error (line:col) for text that does not parse
 * or names things that do not exist. Type errors are left to the validator.
 * *out is malloc'd; the caller frees it. */
bool wat_module_to_binary(const sx_node *module, uint8_t **out, size_t *out_len, rt_error *err);

/* Parses a whole .wat file: either one `(module ...)` form or a bare sequence
 * of module fields, and translates it to a binary module as above. */
bool wat_parse_to_binary(const char *src, size_t len, uint8_t **out, size_t *out_len,
                         rt_error *err);

/* Numeric literals of the text format (underscores, hex, hex floats, inf,
 * nan, nan:0x...). Integers accept signed and unsigned forms of their width.
 * Floats are rounded to nearest-even exactly; results are IEEE bits.
 * Return false if the literal is malformed or out of range. */
bool wat_parse_i32(const char *s, size_t len, uint32_t *out);
bool wat_parse_i64(const char *s, size_t len, uint64_t *out);
bool wat_parse_f32(const char *s, size_t len, uint32_t *bits);
bool wat_parse_f64(const char *s, size_t len, uint64_t *bits);

#endif
