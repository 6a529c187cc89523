/*
 * cache.h — the compile cache of `wrun run --aot` (see cache.c and
 * docs/aot.md, "Compile cache"; the trust model is docs/security.md).
 */
#ifndef WRUN_CLI_CACHE_H
#define WRUN_CLI_CACHE_H

#include <stdbool.h>
#include <stdint.h>

#include "aot/aot.h"

typedef struct cli_cache cli_cache;

/* Opens the cache directory and this user's key (creating them on first
 * use). NULL when there is no cache: no usable location (silently), the
 * directory cannot be created (said only when verbose), or the directory or
 * key is refused as unsafe or this wrun has no build id (one warning line on
 * stderr each). The run goes on without the cache then. */
cli_cache *cli_cache_open(bool verbose);

/* The cached code for `m` compiled with `options`: only an entry that
 * authenticates under this user's key, was written by this very build of
 * wrun for this module and options, and records `m`'s SHA-256 (which, the
 * entry being authenticated, means it was compiled from exactly `m`). NULL on any miss
 * (under verbose, a refused entry is reported). Caller owns the image. */
aot_image *cli_cache_load(cli_cache *c, const wm_module *m, uint32_t options);

/* Writes (atomically: temporary file, then rename) an authenticated entry
 * for `m`. False if it could not be written; nothing to undo. */
bool cli_cache_store(cli_cache *c, const wm_module *m, const aot_image *img, uint32_t options);

/* The path of m's entry, for messages (valid until the next call). */
const char *cli_cache_entry_path(cli_cache *c, const wm_module *m, uint32_t options);

/* The path of the entry the last load or store used, for messages (no
 * hashing: the module is not hashed again). */
const char *cli_cache_last_path(const cli_cache *c);

/* Whether an entry for `m` and `options` may exist: its hint file (written by
 * cli_cache_store) is there. No key, no libsodium, no SHA-256: cheap enough
 * for every tiered run, which opens the cache only on a yes (cli_cache_load
 * then finds and authenticates the entry as always). */
bool cli_cache_may_have(const wm_module *m, uint32_t options);

/* Releases the cache handle (NULL allowed). */
void cli_cache_close(cli_cache *c);

#endif
