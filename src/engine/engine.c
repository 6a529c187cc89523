/*
 * engine.c — where the runtime meets its execution tiers: the public entry
 * points that make stores and templates register the interpreter and the
 * AOT tier with the runtime (runtime/tier.h) before delegating to it. This
 * is the only code that names both tiers; it sits above src/runtime,
 * src/interp and src/aot, so the runtime needs neither (docs/architecture.md).
 */
#include <pthread.h>

#include "aot/aot.h"
#include "engine/tierup.h"
#include "interp/interp.h"
#include "runtime/rt.h"
#include "runtime/tier.h"

static pthread_once_t tiers_once = PTHREAD_ONCE_INIT;

static void register_tiers(void) {
  rt_tier_register(RT_TIER_INTERP, &interp_tier_ops);
  rt_tier_register(RT_TIER_AOT, &aot_tier_ops);
  rt_tierup = &engine_tierup_ops;
}

wrun_store *engine_store_new(const rt_config *cfg) {
  pthread_once(&tiers_once, register_tiers);
  wrun_store *s = rt_store_new(cfg);
  if (s && s->cfg.tiered) s->tierup = engine_tierup_new(s);
  return s;
}

rt_template *engine_template_new(const wm_module *m, const rt_config *cfg, const rt_extern *imports,
                                 uint32_t nimports, rt_error *err) {
  pthread_once(&tiers_once, register_tiers);
  return rt_template_new(m, cfg, imports, nimports, err);
}

