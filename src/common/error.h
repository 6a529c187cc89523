/*
 * error.h — the one error record every stage reports into.
 *
 * A stage that fails fills a caller-owned rt_error and returns false (or NULL).
 * The record says which phase rejected the input (so `assert_malformed` and
 * `assert_invalid` can be told apart), where (byte offset, or line:col for text),
 * and a human sentence saying what was expected. Nothing is allocated: the message
 * lives in a fixed buffer, so reporting an error can never itself fail.
 */
#ifndef WRUN_COMMON_ERROR_H
#define WRUN_COMMON_ERROR_H

#include <stdarg.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef enum rt_error_kind {
  WRUN_OK = 0,
  WRUN_ERR_MALFORMED,    /* binary or text does not decode/parse */
  WRUN_ERR_INVALID,      /* decodes, but fails validation */
  WRUN_ERR_LINK,         /* instantiation: missing or mismatched import */
  WRUN_ERR_TRAP,         /* execution trapped (also a trap during start/segment init) */
  WRUN_ERR_EXHAUSTION,   /* call stack or another resource exhausted */
  WRUN_ERR_IO,           /* reading a file failed */
  WRUN_ERR_USAGE,        /* bad command line / API misuse */
  WRUN_ERR_LIMIT,        /* an implementation limit (too many locals, ...) */
  WRUN_ERR_OOM           /* host allocation failed */
} rt_error_kind;

#define WRUN_NO_OFFSET UINT64_MAX

typedef struct rt_error {
  rt_error_kind kind;
  uint64_t offset;       /* byte offset into the binary, or WRUN_NO_OFFSET */
  uint32_t line, col;    /* 1-based position in text input; 0 when not text */
  char message[256];     /* "expected X, found Y" style sentence, no trailing newline */
} rt_error;

/* Resets `err` to "no error". */
void rt_error_clear(rt_error *err);

/* Records an error at a byte offset. Keeps the first error: a second call on an
 * already-set record does nothing, so callers may report and unwind freely.
 * Always returns false so `return rt_error_at(...)` reads naturally. */
bool rt_error_at(rt_error *err, rt_error_kind kind, uint64_t offset,
                   const char *fmt, ...) __attribute__((format(printf, 4, 5)));

/* Records an error at a text position (1-based line and column). Returns false. */
bool rt_error_at_line(rt_error *err, rt_error_kind kind, uint32_t line, uint32_t col,
                        const char *fmt, ...) __attribute__((format(printf, 5, 6)));

/* Short lowercase name of a kind: "malformed", "invalid", "link", "trap", ... */
const char *rt_error_kind_name(rt_error_kind kind);

/* Formats "FILE:OFFSET: KIND: MESSAGE" (binary) or "FILE:LINE:COL: ..." (text)
 * into buf; `file` may be NULL. Returns buf. */
char *rt_error_format(const rt_error *err, const char *file, char *buf, size_t size);

#endif
