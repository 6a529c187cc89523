/*
 * error.c — filling and formatting rt_error records.
 */
#include "common/error.h"

#include <inttypes.h>
#include <stdio.h>
#include <string.h>

void rt_error_clear(rt_error *err) {
  err->kind = WRUN_OK;
  err->offset = WRUN_NO_OFFSET;
  err->line = err->col = 0;
  err->message[0] = '\0';
}

static void set_message(rt_error *err, const char *fmt, va_list ap) {
  vsnprintf(err->message, sizeof err->message, fmt, ap);
}

bool rt_error_at(rt_error *err, rt_error_kind kind, uint64_t offset, const char *fmt, ...) {
  if (!err || err->kind != WRUN_OK) return false;
  err->kind = kind;
  err->offset = offset;
  err->line = err->col = 0;
  va_list ap;
  va_start(ap, fmt);
  set_message(err, fmt, ap);
  va_end(ap);
  return false;
}

bool rt_error_at_line(rt_error *err, rt_error_kind kind, uint32_t line, uint32_t col,
                        const char *fmt, ...) {
  if (!err || err->kind != WRUN_OK) return false;
  err->kind = kind;
  err->offset = WRUN_NO_OFFSET;
  err->line = line;
  err->col = col;
  va_list ap;
  va_start(ap, fmt);
  set_message(err, fmt, ap);
  va_end(ap);
  return false;
}

const char *rt_error_kind_name(rt_error_kind kind) {
  switch (kind) {
  case WRUN_OK: return "ok";
  case WRUN_ERR_MALFORMED: return "malformed";
  case WRUN_ERR_INVALID: return "invalid";
  case WRUN_ERR_LINK: return "link error";
  case WRUN_ERR_TRAP: return "trap";
  case WRUN_ERR_EXHAUSTION: return "exhaustion";
  case WRUN_ERR_IO: return "i/o error";
  case WRUN_ERR_USAGE: return "usage";
  case WRUN_ERR_LIMIT: return "limit";
  case WRUN_ERR_OOM: return "out of memory";
  }
  return "error";
}

char *rt_error_format(const rt_error *err, const char *file, char *buf, size_t size) {
  char where[64] = "";
  if (err->line)
    snprintf(where, sizeof where, ":%" PRIu32 ":%" PRIu32, err->line, err->col);
  else if (err->offset != WRUN_NO_OFFSET)
    snprintf(where, sizeof where, ":0x%" PRIx64, err->offset);
  /* without a file name, the location stands alone: "0x1f: invalid: ..." */
  const char *loc = !file && where[0] == ':' ? where + 1 : where;
  snprintf(buf, size, "%s%s%s%s: %s", file ? file : "", loc, (file || loc[0]) ? ": " : "",
           rt_error_kind_name(err->kind), err->message);
  return buf;
}
