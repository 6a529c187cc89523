/*
 * osrcopy.c — the optimizing pipeline's code for tiered execution: a
 * function with loops is compiled twice into one code range, first as
 * `--aot --opt` compiles it (its entry, which every call reaches), then
 * with an on-stack replacement entry per loop head (ir_build_osr), whose
 * entries are the image's OSR entries.
 *
 * Why two copies: the entries join the body at each loop's way in, so the
 * head of a loop enclosing another is no longer a natural loop head there
 * (no loop-invariant code motion, lower block frequencies for the register
 * allocator) and extra phis meet at every join. With one copy every call
 * of a tiered function paid for that: bintree's hottest function, called
 * millions of times and never entered by OSR, kept 14 more frame bytes of
 * spills and ran 30% slower than under `--aot --opt` (docs/performance.md).
 * The OSR copy runs only the rest of the call whose interpreted frame moved
 * into it. Both copies lie in the function's code range with one frame size
 * (x86-64 walks compiled frames by it: aot_func_in.min_frame gives the
 * first copy the second's frame) and one code map, so backtraces name either
 * copy's frames as the function's. When the frames still differ the
 * function keeps the OSR copy alone, as before.
 */
#include <stdlib.h>
#include <string.h>

#include "aot/codemap.h"
#include "aot/ir/isa.h"

static void func_out_free(aot_func_out *o) {
  free(o->code);
  free(o->relocs);
  free(o->osr);
  free(o->map);
  memset(o, 0, sizeof *o);
}

/* out = a (at 0) then b (at a 16-byte boundary): code, calls to link, OSR
 * entries (b's) and code map. False when memory ran out. */
static bool join_copies(const aot_func_in *in, const aot_func_out *a, const aot_func_out *b, aot_func_out *out) {
  uint32_t at = (a->size + 15u) & ~15u;
  uint32_t start = (uint32_t)in->m->funcs[in->index].code_offset;
  memset(out, 0, sizeof *out);
  out->size = at + b->size;
  out->frame = a->frame;
  out->code = malloc(out->size);
  out->nrelocs = a->nrelocs + b->nrelocs;
  out->relocs = out->nrelocs ? malloc(out->nrelocs * sizeof *out->relocs) : NULL;
  out->nosr = b->nosr;
  out->osr = malloc(b->nosr * sizeof *out->osr);
  if (!out->code || (out->nrelocs && !out->relocs) || !out->osr) return false;
  memcpy(out->code, a->code, a->size);
  memset(out->code + a->size, 0, at - a->size); /* never reached */
  memcpy(out->code + at, b->code, b->size);
  for (uint32_t k = 0; k < a->nrelocs; k++) out->relocs[k] = a->relocs[k];
  for (uint32_t k = 0; k < b->nrelocs; k++)
    out->relocs[a->nrelocs + k] = (aot_reloc){b->relocs[k].at + at, b->relocs[k].callee};
  for (uint32_t k = 0; k < b->nosr; k++) {
    out->osr[k] = b->osr[k];
    out->osr[k].code_off += at;
  }
  codemap_builder map = {0};
  codemap_begin(&map, start);
  bool ok = (!a->map_size || codemap_replay(&map, a->map, a->map_size, start, 0)) &&
            codemap_replay(&map, b->map, b->map_size, start, at) && codemap_encode(&map, &out->map, &out->map_size);
  codemap_builder_free(&map);
  return ok;
}

int aot_ir_compile_tiered(const aot_isa *isa, const aot_func_in *in, aot_func_out *out, char *why, size_t whysz,
                          rt_error *err) {
  aot_func_out with = {0}, plain = {0};
  int st = aot_ir_compile_func(isa, in, &with, why, whysz, err);
  if (st <= 0 || !with.nosr) { /* no loop head: the code is the plain one (ENTRY with one successor) */
    *out = with;
    return st;
  }
  aot_func_in pin = *in;
  pin.osr = false;
  pin.min_frame = with.frame;
  char why2[96];
  int pst = aot_ir_compile_func(isa, &pin, &plain, why2, sizeof why2, err);
  if (pst < 0) {
    func_out_free(&with);
    return -1;
  }
  if (pst == 0 || plain.frame != with.frame) { /* one copy, with the entries */
    func_out_free(&plain);
    *out = with;
    return 1;
  }
  bool ok = join_copies(in, &plain, &with, out);
  func_out_free(&plain);
  func_out_free(&with);
  if (!ok) {
    func_out_free(out);
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory while compiling");
    return -1;
  }
  return 1;
}
