/*
 * wave.h — WAVE (WebAssembly Value Encoding), the text form of component
 * values that wasmtime and wasm-tools use on command lines: `"s"`, `'c'`,
 * `[1, 2]`, `(1, "a")`, `{a: 1, b-c: "x"}`, `case(payload)`, `some(3)`,
 * `ok("x")`, `{read, write}`. It is what `wrun --invoke` on a component reads
 * arguments in and prints results in (docs/components.md, "WAVE values").
 *
 * Parsing is type-directed: the expected type says whether `{...}` is a
 * record or flags, whether a bare label is a bool, an enum case or a variant
 * case, and whether `3` for an option<u8> is the flat form of `some(3)`.
 * Values are the Canonical ABI layer's host values (canon.h), allocated in a
 * wc_arena. Errors are one line, `LINE:COLUMN: message` (1-based, columns in
 * characters), naming the expected type.
 *
 * Printing writes the canonical form: options and results always in their
 * variant form (`some(3)`), record fields in type order with `none` fields
 * left out (`{:}` when nothing is left), flags in label order, `%` before a
 * case label that is a keyword, floats in the shortest form that reads back
 * to the same bits (`nan`, `inf`, `-inf`). parse(print(v)) == v for every
 * value of the type, and print(parse(x)) is a fixed point.
 *
 * Resource handles have no WAVE text: parsing one is an error, and printing
 * writes `own<NAME>#REP` / `borrow<NAME>#REP` (the resource type's name and
 * the handle's representation) for people to read, not to parse.
 */
#ifndef WRUN_COMPONENT_WAVE_H
#define WRUN_COMPONENT_WAVE_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>

#include "component/canon.h"
#include "component/component.h"

/* Values nested deeper than this are rejected (the parser and printer recurse
 * once per level, so this bounds their stack). */
#define WC_WAVE_MAX_DEPTH 100u

/* Parses exactly one value of type t from text[0..len) (surrounding
 * whitespace and `//` comments allowed). On failure returns false with a
 * one-line message in err. */
bool wc_wave_parse(const wc_types *types, wc_val t, const char *text, size_t len, wc_arena *a,
                   wc_value *out, char *err, size_t errlen);

/* A function call `name(arg, ...)`: finds the name (text before the first
 * `(`, trimmed; non-empty) and the argument text between the parentheses
 * (the `)` must end the text, apart from whitespace). Offsets are into text. */
bool wc_wave_split_call(const char *text, size_t len, size_t *name_off, size_t *name_len,
                        size_t *args_off, size_t *args_len, char *err, size_t errlen);

/* Parses the comma-separated arguments in text[off..off+n) as values of the
 * types ts[0..nts) into out[0..nts). A trailing comma is allowed, and
 * trailing arguments of option type may be left out (they are `none`).
 * Error columns count from the start of text, so a caller that split a call
 * with wc_wave_split_call reports positions in the whole call. */
bool wc_wave_parse_args(const wc_types *types, const wc_val *ts, uint32_t nts, const char *text,
                        size_t len, size_t off, size_t n, wc_arena *a, wc_value *out, char *err,
                        size_t errlen);

/* A growable output string (NUL-terminated while not failed). */
typedef struct wc_wave_buf {
  char *p;
  size_t len, cap;
  bool failed;         /* out of memory or a value that does not match its type */
  char err[160];       /* why, when failed */
} wc_wave_buf;

void wc_wave_buf_free(wc_wave_buf *b);

/* Appends the canonical WAVE text of v (of type t) to b. False (b->failed,
 * b->err) when v does not match t — a value of the wrong kind, a record with
 * the wrong field count, a case index out of range, a missing payload, a
 * string that is not UTF-8 — or when memory runs out. */
bool wc_wave_print(const wc_types *types, wc_val t, const wc_value *v, wc_wave_buf *b);

/* The same, written to a FILE. */
bool wc_wave_fprint(const wc_types *types, wc_val t, const wc_value *v, FILE *out);

/* Value equality under type t (all NaNs are equal: WAVE writes one `nan`). */
bool wc_wave_equal(const wc_types *types, wc_val t, const wc_value *x, const wc_value *y);

#endif
