/*
 * opcodes.c — lookup tables over opcodes.def.
 *
 * Code -> id goes through dense arrays per prefix, filled once from the table on
 * first use; name -> id is a binary search over a sorted index. Both are built
 * lazily into process-wide, read-only-after-init tables, each guarded by its
 * own once-flag: decoding a binary never pays for sorting the names (a qsort
 * of ~550 strcmp'd names, about 3% of running a hello).
 */
#include <stdatomic.h>
#include <stdbool.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <threads.h>

#include "binary/opcodes.h"

const wm_opinfo wm_opinfos[OP_COUNT_] = {
#define OP(id, name, prefix, code, imm, arg, sig) {name, prefix, code, imm, arg, sig},
#include "binary/opcodes.def"
#undef OP
};

/* Immutable once filled; the once_flags make first use thread-safe. */
static struct {
  uint16_t single[256];
  uint16_t misc[32];
  uint16_t simd[256];
  uint16_t by_name[OP_COUNT_];
} op_tables;
static once_flag op_tables_once = ONCE_FLAG_INIT;
static once_flag op_names_once = ONCE_FLAG_INIT;
/* Set (release) once the code tables are filled: wm_op_lookup runs for every
 * instruction read (validation, the scan, the AOT builders), and an acquire
 * load is cheaper there than call_once's library call. */
static atomic_bool op_tables_ready;

static int cmp_name(const void *a, const void *b) {
  return strcmp(wm_opinfos[*(const uint16_t *)a].name, wm_opinfos[*(const uint16_t *)b].name);
}

static void op_tables_init(void) {
  for (size_t i = 0; i < 256; i++) op_tables.single[i] = op_tables.simd[i] = OP_COUNT_;
  for (size_t i = 0; i < 32; i++) op_tables.misc[i] = OP_COUNT_;
  for (uint16_t i = 0; i < OP_COUNT_; i++) {
    const wm_opinfo *o = &wm_opinfos[i];
    if (o->prefix == 0) op_tables.single[o->code] = i;
    else if (o->prefix == 0xFC) op_tables.misc[o->code] = i;
    else op_tables.simd[o->code] = i;
  }
}

static void op_names_init(void) {
  for (uint16_t i = 0; i < OP_COUNT_; i++) op_tables.by_name[i] = i;
  qsort(op_tables.by_name, OP_COUNT_, sizeof op_tables.by_name[0], cmp_name);
}

wm_opcode wm_op_lookup(uint8_t prefix, uint32_t code) {
  if (!atomic_load_explicit(&op_tables_ready, memory_order_acquire)) {
    call_once(&op_tables_once, op_tables_init);
    atomic_store_explicit(&op_tables_ready, true, memory_order_release);
  }
  switch (prefix) {
  case 0: return (wm_opcode)op_tables.single[code & 0xff];
  case 0xFC: return code < 32 ? (wm_opcode)op_tables.misc[code] : OP_COUNT_;
  case 0xFD: return code < 256 ? (wm_opcode)op_tables.simd[code] : OP_COUNT_;
  default: return OP_COUNT_;
  }
}

wm_opcode wm_op_by_name(const char *name, size_t len) {
  call_once(&op_names_once, op_names_init);
  size_t lo = 0, hi = OP_COUNT_;
  while (lo < hi) {
    size_t mid = (lo + hi) / 2;
    const char *n = wm_opinfos[op_tables.by_name[mid]].name;
    int c = strncmp(n, name, len);
    if (c == 0 && n[len] != '\0') c = 1;
    if (c == 0) return (wm_opcode)op_tables.by_name[mid];
    if (c < 0) lo = mid + 1;
    else hi = mid;
  }
  return OP_COUNT_;
}
