/*
 * trapstub.c — x86-64 trap stubs that keep each trap site's position for
 * backtraces (trapstub.h).
 */
#include <stddef.h>
#include <stdint.h>

#include "aot/x64/trapstub.h"
#include "aot/x64/target.h"

void x64_trap_stub(x64_buf *b, codemap_builder *map, const site_list *sites, size_t extra_at, int kind) {
  uint32_t n = sites->n + (extra_at != SIZE_MAX ? 1 : 0);
  x64_mem sp_slot = x64_base(R14, (int32_t)offsetof(aot_ctx, helper_sp));
  x64_mem helper = x64_base(R14, (int32_t)(offsetof(aot_ctx, helpers) + 8 * (size_t)AOT_H_TRAP));
  if (n <= 1 || !map) {
    if (map) codemap_copy(map, (uint32_t)b->n, n ? codemap_find(map, sites->n ? sites->at[0] : (uint32_t)extra_at) : -1);
    for (uint32_t k = 0; k < sites->n; k++) x64_patch_rel32(b, sites->at[k], b->n);
    if (extra_at != SIZE_MAX) x64_patch_rel32(b, extra_at, b->n);
    x64_mov_rr(b, true, RDI, R14);
    x64_mov_imm(b, false, RSI, (uint64_t)kind);
    x64_mov_store(b, true, sp_slot, RSP);
    x64_op_rm(b, 0, 0xFF, false, 2, x64_m(helper)); /* call [helper] */
    x64_ud2(b);
    return;
  }
  size_t first = b->n;
  for (uint32_t k = 0; k < n; k++) { /* one `call stub` per site */
    size_t at = k < sites->n ? sites->at[k] : extra_at;
    codemap_copy(map, (uint32_t)b->n, codemap_find(map, (uint32_t)at));
    x64_patch_rel32(b, at, b->n);
    x64_call_rel32(b);
  }
  size_t stub = b->n;
  codemap_copy(map, (uint32_t)stub, -1);
  for (uint32_t k = 0; k < n; k++) x64_patch_rel32(b, first + 5 * (size_t)k + 1, stub);
  x64_lea(b, true, RAX, x64_base(RSP, 8)); /* the site's rsp, above the return address */
  x64_mov_store(b, true, sp_slot, RAX);
  x64_mov_rr(b, true, RDI, R14);
  x64_mov_imm(b, false, RSI, (uint64_t)kind);
  x64_op_rm(b, 0, 0xFF, false, 4, x64_m(helper)); /* jmp [helper] */
  x64_ud2(b);
}
