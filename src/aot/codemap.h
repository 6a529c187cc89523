/*
 * codemap.h — maps from compiled code back to wasm positions (docs/aot.md,
 * "Backtraces"): for each compiled function, which wasm instruction the
 * machine code at a pc came from, so a trace of compiled frames names the
 * same module offsets as the interpreter's.
 *
 * Both compilers (one-pass lower.c, the IR pipeline's emit.c) mark the
 * position of every instruction that can trap or call as they emit it: an
 * entry says "from this pc on, the code is wasm instruction W's", valid up
 * to the next entry. Instructions that neither trap nor call are not
 * marked (no pc of theirs is ever asked about: a trap's pc, a return
 * address minus one). An entry of code inlined from other functions also
 * carries the chain of inlined frames, outermost first, each a (function
 * index, module offset) pair, so a trace can show them as if they had not
 * been inlined.
 *
 * Encoding, per function, entries in ascending pc order (a few bytes each):
 *   uleb (pc delta from the previous entry, from the function's entry for
 *         the first) << 1 | has_chain
 *   sleb (module offset minus the previous entry's; the first from the
 *         function's first instruction)
 *   if has_chain: uleb n, then n x (uleb function index, uleb module offset)
 * A pc before the first entry is the function's first instruction.
 */
#ifndef WRUN_AOT_CODEMAP_H
#define WRUN_AOT_CODEMAP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

/* The most frames one pc expands to (the function and inlined callees). */
#define CODEMAP_MAX_DEPTH 8u

/* One frame of a position: a function index of the module and the module
 * offset of its instruction. */
typedef struct codemap_frame {
  uint32_t func;
  uint32_t woff;
} codemap_frame;

typedef struct codemap_entry {
  uint32_t pc;                   /* from the function's first byte of code */
  uint32_t woff;                 /* module offset in the compiled function itself */
  uint32_t chain, nchain;        /* inlined frames (outermost first) in the builder's pool */
} codemap_entry;

/* The entries of one function while it is compiled. */
typedef struct codemap_builder {
  codemap_entry *e;
  uint32_t n, cap;
  codemap_frame *pool;
  uint32_t npool, cappool;
  uint32_t start;                /* module offset of the function's first instruction */
  bool oom;
} codemap_builder;

void codemap_begin(codemap_builder *b, uint32_t start);
void codemap_builder_free(codemap_builder *b);

/* Marks code from `pc` on as the instruction at module offset woff, inside
 * the inlined frames chain[0..nchain) (NULL, 0: not inlined). A mark at the
 * pc of the last one replaces it; one saying the same as the last adds
 * nothing. pcs must not descend. */
void codemap_mark(codemap_builder *b, uint32_t pc, uint32_t woff, const codemap_frame *chain, uint32_t nchain);

/* The entry whose code holds `pc` (-1: before the first, the function's start). */
int32_t codemap_find(const codemap_builder *b, uint32_t pc);

/* Marks code from `pc` on with what entry `from` says (-1: the function's
 * start). For out-of-line code reached from a site inside an entry (trap
 * stubs). */
void codemap_copy(codemap_builder *b, uint32_t pc, int32_t from);

/* Moves every entry `by` bytes later (a prologue placed in front afterwards). */
void codemap_shift(codemap_builder *b, uint32_t by);

/* The function's map, encoded (malloc'd, *size bytes; NULL with size 0 when
 * empty). False when memory ran out. */
bool codemap_encode(const codemap_builder *b, uint8_t **out, uint32_t *size);

/* Marks in b, pc_bias bytes on, what the encoded map p[0..size) of a
 * function starting at module offset start says (two compiled copies of a
 * function in one code range: src/aot/ir/osrcopy.c). False on a damaged map
 * or when memory ran out. */
bool codemap_replay(codemap_builder *b, const uint8_t *p, uint32_t size, uint32_t start, uint32_t pc_bias);

/* The frames at `pc` (bytes from the function's entry) of a function whose
 * map is p[0..size) and first instruction is at module offset start:
 * out[0].woff is the function's own position (out[0].func is left alone),
 * out[1..] the inlined frames, outermost first. Returns how many (1 at
 * least, at most max). A damaged map reads as far as it is intact. Reads
 * only p: safe in a signal handler. */
uint32_t codemap_lookup(const uint8_t *p, uint32_t size, uint32_t start, uint32_t pc, codemap_frame *out,
                        uint32_t max);

#endif
