/*
 * tierup.h — tiered execution (tierup.c): the operations src/engine
 * registers with the runtime, and what a run can report about it (-v).
 */
#ifndef WRUN_ENGINE_TIERUP_H
#define WRUN_ENGINE_TIERUP_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/rt.h"
#include "runtime/tier.h"

typedef struct rt_tierup_state rt_tierup_state;

/* What tiered execution did in a store so far. */
typedef struct rt_tier_stats {
  double requested_ms;           /* since the store was made: when the first compile was queued */
  double switched_ms;            /* when the first instance got compiled code */
  double compile_ms;             /* compiler thread time of the installed images */
  uint32_t compiled_funcs;       /* functions of the installed images */
  uint32_t osr_points;           /* their OSR entries */
  uint32_t instances;            /* instances switched to compiled code */
  uint64_t entry_switches;       /* interpreted calls moved to compiled code at their entry */
  uint64_t osr_entries;          /* interpreted frames moved at a loop head (OSR) */
  char error[256];               /* why compiled code could not be used, or "" */
} rt_tier_stats;

extern const rt_tierup_ops engine_tierup_ops;

/* The tiering state of a tiered store, made with it so that times count from
 * the store's creation (NULL: out of memory; poll tries again). */
rt_tierup_state *engine_tierup_new(wrun_store *s);

/* The statistics of store s; false (all zero) when tiering never polled. */
bool engine_tier_stats(const wrun_store *s, rt_tier_stats *out);

/* Applies WRUN_TIER_THRESHOLD=N (a testing knob: poll after N instructions and
 * wait for the compile there, so switches happen at a fixed point) to cfg,
 * and engine_tier_compiler_from_env.
 * False after printing a one-line error when it is not a number 1..2^31. */
bool engine_tier_config_from_env(rt_config *cfg);
/* WRUN_TIER_ONE_PASS=1 (measurements, tests): tier-up compiles with the
 * one-pass compiler (cfg->tier_one_pass). */
void engine_tier_compiler_from_env(rt_config *cfg);

/* The AOT_OPT_* options tier-up compiles a store of configuration cfg with
 * (and the compile cache keys its images by): aot_options_for's, with the
 * optimizing pipeline unless cfg->tier_one_pass. */
uint32_t engine_tier_options(const rt_config *cfg);

#endif
