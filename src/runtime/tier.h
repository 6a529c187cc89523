/*
 * tier.h — the boundary between the runtime and its execution tiers.
 *
 * The runtime (store, instances, templates, the fault handler) sits beneath
 * the interpreter (src/interp) and the AOT tier (src/aot) and includes
 * neither: it calls them through a table of operations each tier defines
 * (interp_tier_ops in interp.h, aot_tier_ops in aot.h). Those tables are
 * registered once per process by the layer above both, src/engine, when the
 * first store or template is made (engine_store_new, engine_template_new), so
 * every runtime object that could need a tier exists only after registration.
 *
 * The interpreter is the base tier: it runs every call the runtime starts
 * (host functions too) and hands functions with compiled code to the AOT
 * tier; the tiers reach each other through this table as well.
 */
#ifndef WRUN_RUNTIME_TIER_H
#define WRUN_RUNTIME_TIER_H

#include <stdbool.h>
#include <stdint.h>

#include "runtime/rt.h"

typedef enum rt_tier_kind { RT_TIER_INTERP, RT_TIER_AOT, RT_TIER_COUNT_ } rt_tier_kind;

/* What a tier does for the runtime. Members a tier has no use for are NULL. */
typedef struct rt_tier_ops {
  const char *name;
  /* Runs `f` with arguments in slots at `sp` (results written there). False
   * on a trap, recorded in the store. */
  bool (*invoke)(wrun_store *s, wrun_func *f, uint64_t *sp);
  /* Releases the tier's per-function state (f's translated body), leaving
   * the function ready to be prepared again. */
  void (*free_func_code)(wrun_func *f);
  /* Prepares a module once for instances made under `cfg` (the AOT tier
   * compiles it and caches the image on the module). */
  bool (*prepare_module)(const wm_module *m, const rt_config *cfg, rt_error *err);
  /* Attaches the tier's per-instance state (compiled code) to `inst`. */
  bool (*attach_instance)(wrun_store *s, wrun_instance *inst, rt_error *err);
  /* Releases what attach_instance made (inst->aot). */
  void (*free_instance_code)(wrun_instance *inst);
  /* From the fault handler, before it unwinds `ex`: records the tier's
   * frames active at the fault from the signal context `uctx` (a
   * ucontext_t). Must be async-signal-safe. */
  void (*capture_frames)(rt_exec *ex, const void *uctx);
  /* The module offset of frame i of the store's trace when the tier ran it
   * (UINT32_MAX: unknown; the interpreter's frames; compiled frames carry
   * theirs, rt_frame_compiled_offset). */
  uint32_t (*frame_offset)(const wrun_store *s, uint32_t i);
  /* When a store is freed (profiling builds report their counts). */
  void (*store_freed)(wrun_store *s);
} rt_tier_ops;

/* Registers the operations of tier `kind` (src/engine; idempotent). */
void rt_tier_register(rt_tier_kind kind, const rt_tier_ops *ops);

/* The registered tiers (read-only after registration). */
extern const rt_tier_ops *rt_tiers[RT_TIER_COUNT_];

/* The tier operations by kind: never NULL once a store or template exists. */
static inline const rt_tier_ops *rt_tier(rt_tier_kind kind) { return rt_tiers[kind]; }

/* Runs `f` through the base tier (the interpreter dispatches onwards). */
static inline bool rt_invoke(wrun_store *s, wrun_func *f, uint64_t *sp) {
  return rt_tiers[RT_TIER_INTERP]->invoke(s, f, sp);
}

/* rt_call_slots (runtime.h) in two inline halves, for the embedding API's
 * call path: the caller writes the arguments straight into the slots the
 * first gives and reads the results from them after the second, with no
 * copies and one call level less. */

/* Where f's arguments go: the free part of the value stack, or NULL (with
 * the trap recorded) when f's values do not fit. */
static inline uint64_t *rt_call_slots_begin(wrun_store *s, const wrun_func *f) {
  uint64_t *sp = s->stack_top;
  uint32_t need = f->param_slots > f->result_slots ? f->param_slots : f->result_slots;
  if (sp + need + 2 > s->stack + s->stack_slots) {
    rt_set_trap(s, WRUN_TRAP_STACK_EXHAUSTED, NULL);
    return NULL;
  }
  return sp;
}

/* Runs f on the arguments at sp (from rt_call_slots_begin); its results are
 * there after it returns true. A function with compiled code goes straight
 * to the AOT tier once the store has its frame stack (the interpreter's
 * entry makes it on the first call). */
static inline bool rt_call_slots_run(wrun_store *s, wrun_func *f, uint64_t *sp) {
  s->trap = WRUN_TRAP_NONE;
  s->ntrace = 0;
  /* s->nframes needs no saving here: both tiers' invoke leave it as they
   * found it, on a return and on a trap (one value less kept across the
   * call on this path). */
  bool ok = f->aot_entry && s->frames ? rt_tiers[RT_TIER_AOT]->invoke(s, f, sp) : rt_invoke(s, f, sp);
  s->stack_top = sp;
  return ok;
}

/* ---- tiered execution (src/engine/tierup.c) ----------------------------------
 * With rt_config.tiered the interpreter's translator puts a TIER op at every
 * function entry and loop head; its fast path counts down s->tier_countdown,
 * and at zero the interpreter calls poll, which starts the background
 * compile, installs finished code and, where it can, leaves the interpreted
 * frame for compiled code (at a function entry: the whole call; at a loop
 * head: on-stack replacement through the loop's OSR entry). */

/* What poll did with the interpreted frame. */
enum { RT_TIERUP_CONTINUE, RT_TIERUP_RETURNED, RT_TIERUP_TRAPPED };

/* The loop offset poll gets at a function entry. */
#define RT_TIERUP_ENTRY UINT32_MAX

typedef struct rt_tierup_ops {
  /* f is interpreted with its frame at fp, at the function entry
   * (loop_off == RT_TIERUP_ENTRY) or at the head of the loop whose opcode is
   * at module offset loop_off. RT_TIERUP_RETURNED: compiled code ran the
   * rest of f and left its results at fp; RT_TIERUP_TRAPPED: it trapped (the
   * trap is recorded); RT_TIERUP_CONTINUE: keep interpreting. Resets
   * s->tier_countdown. The caller has popped f's frame record (compiled code
   * records its own) and set s->stack_top above the frame. */
  int (*poll)(wrun_store *s, wrun_func *f, uint64_t *fp, uint32_t loop_off);
  /* From rt_store_free: stops the compiler thread, frees the state. */
  void (*store_freed)(wrun_store *s);
} rt_tierup_ops;

/* Registered by src/engine with the tiers (NULL before). */
extern const rt_tierup_ops *rt_tierup;

/* Drops every tier's per-function state of f (NULL-safe members). */
static inline void rt_free_func_code(wrun_func *f) {
  for (int k = 0; k < RT_TIER_COUNT_; k++)
    if (rt_tiers[k] && rt_tiers[k]->free_func_code) rt_tiers[k]->free_func_code(f);
}

#endif
