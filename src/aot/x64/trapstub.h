/*
 * trapstub.h — the x86-64 trap stubs of both compilers (target.c, isel.c),
 * placed so a backtrace knows which site trapped (codemap.h).
 */
#ifndef WRUN_AOT_X64_TRAPSTUB_H
#define WRUN_AOT_X64_TRAPSTUB_H

#include "aot/codemap.h"
#include "aot/lower.h"
#include "aot/x64/asm.h"

/* Emits the stub of trap `kind` for the jumps in `sites` (rsp is the
 * body's at each; `extra` is one more jump to it at offset extra_at, or
 * SIZE_MAX): the stub stores rsp in ctx->helper_sp and calls the trap helper,
 * whose return address then names the stub. With several sites each gets a
 * 5-byte `call` of the stub of its own, so the return address the stub
 * passes on names the site: the stub jumps to the helper with it in place,
 * the stack as if the site had called the helper. The map (may be NULL)
 * gives the stub, or each site's call, its site's position. */
void x64_trap_stub(x64_buf *b, codemap_builder *map, const site_list *sites, size_t extra_at, int kind);

#endif
