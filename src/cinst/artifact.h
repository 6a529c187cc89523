/*
 * artifact.h — compiled components: a component together with the native
 * code of every core module it holds (its own and its nested components'),
 * written by `wrun compile` as one file and loaded back with that code
 * attached, so instantiating it in an AOT store compiles nothing.
 *
 * The container is src/aot/artifact.c's (layout there and in
 * docs/components.md); this file binds it to the component: which core
 * module is which code section, and that each section was compiled from
 * exactly that module.
 */
#ifndef WRUN_CINST_ARTIFACT_H
#define WRUN_CINST_ARTIFACT_H

#include <stddef.h>
#include <stdint.h>

#include "component/component.h"

/* The core modules of `c` in artifact order: a component's own modules in
 * definition order, then each nested component's, depth first. Writes at most
 * `cap` to `out` (which may be NULL when cap is 0) and returns how many there
 * are (c->total_modules for a root). */
uint32_t wc_core_modules(const wc_component *c, wm_module **out, uint32_t cap);

/* A compiled component artifact (malloc'd, *len bytes) for root `c`, each of
 * whose core modules must have compiled code attached (aot_attach_image).
 * NULL with `err` set. */
uint8_t *wc_artifact_write(const wc_component *c, size_t *len, rt_error *err);

/* Loads a compiled component artifact: the component decoded and validated,
 * each core module with its compiled code attached. NULL with a located
 * one-line error for anything truncated, damaged, of another wrun version,
 * machine or options, or whose code does not belong to its modules. The
 * native code is trusted, not verified: only for artifacts the user allowed
 * (--allow-precompiled; docs/security.md). */
wc_component *wc_artifact_load(const uint8_t *bytes, size_t len, rt_error *err);

#endif
