/*
 * tierup.c — tiered execution: a store created with rt_config.tiered starts
 * every call in the interpreter and moves to compiled code while it runs.
 *
 * The interpreter's translator puts a TIER op at each function entry and
 * loop head; together they count down s->tier_countdown, and at zero the
 * interpreter calls poll (below, through rt_tierup). The first poll queues
 * the instance's module for the one compiler thread of the store, which
 * compiles the whole module with an OSR entry per loop head
 * (aot_compile_module_tiered with engine_tier_options: the optimizing
 * pipeline, or the one-pass compiler for rt_config.tier_one_pass; both make
 * the entries) and hands the image back, calling
 * cfg.tier_compiled with it (the CLI fills the compile cache there). A later
 * poll on the wasm thread installs the image: the module takes it, the
 * instance gets its compiled code (every function's aot_entry), and from then
 * on calls go to compiled code wherever the interpreter checks aot_entry
 * (calls, call_indirect, rt_invoke). The interpreted frame that polled
 * moves too: at a function entry the whole call runs compiled; at a loop
 * head its locals and operand stack move into compiled code through the
 * loop's OSR entry (on-stack replacement). Everything that touches the store
 * or instances happens on the wasm thread; the compiler thread sees only the
 * module, which nothing changes while it runs.
 *
 * Why the whole module and not hot functions one by one: compiled functions
 * call each other directly (linked rel32 calls) and the image is what the
 * compile cache stores, so one image serves the switch, the direct calls and
 * the next run; a typical module compiles in a few milliseconds on the
 * other core (docs/interpreter.md, Tiered execution).
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aot/aot.h"
#include "common/grow.h"
#include "engine/tierup.h"
#include "runtime/rt.h"
#include "runtime/tier.h"

/* Countdown (wasm instructions) between polls while a compile is under way
 * or after the switch (loops without an OSR entry keep polling at this rate). */
#define POLL_INTERVAL 200000

enum { JOB_QUEUED, JOB_DONE, JOB_FAILED };

typedef struct tier_job {
  const wm_module *m;
  _Atomic int state;
  aot_image *img;                /* JOB_DONE: owned here until installed */
  double compile_ms;
  uint32_t nfuncs, nosr;
  char error[256];
} tier_job;

struct rt_tierup_state {
  pthread_t thread;
  bool started;
  pthread_mutex_t mu;
  pthread_cond_t cv;             /* signalled on new jobs, finished jobs, and stop */
  bool stop;
  volatile int cancel;           /* read by the compiler between functions */
  tier_job **jobs;               /* guarded by mu; entries are stable once made */
  uint32_t njobs, capjobs;
  uint32_t options;              /* AOT_OPT_* of this store's compiled code */
  void (*compiled)(void *arg, const wm_module *m, const void *image, uint32_t options);
  void *compiled_arg;
  struct timespec t0;            /* when the state was made (with the store) */
  rt_tier_stats stats;
};

static double ms_since(const struct timespec *t0) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  return (double)(t.tv_sec - t0->tv_sec) * 1e3 + (double)(t.tv_nsec - t0->tv_nsec) / 1e6;
}

/* ---- the compiler thread --------------------------------------------------- */

static void *compiler_main(void *arg) {
  rt_tierup_state *st = arg;
  pthread_mutex_lock(&st->mu);
  for (;;) {
    tier_job *j = NULL;
    for (uint32_t i = 0; i < st->njobs && !j; i++)
      if (atomic_load(&st->jobs[i]->state) == JOB_QUEUED) j = st->jobs[i];
    if (st->stop) break;
    if (!j) {
      pthread_cond_wait(&st->cv, &st->mu);
      continue;
    }
    pthread_mutex_unlock(&st->mu);
    struct timespec t0;
    clock_gettime(CLOCK_MONOTONIC, &t0);
    rt_error err;
    rt_error_clear(&err);
    aot_image *img = NULL;
    bool ok = aot_compile_module_tiered(j->m, st->options, &st->cancel, &img, &err);
    j->compile_ms = ms_since(&t0);
    if (ok) {
      j->img = img;
      j->nfuncs = img->nfuncs;
      j->nosr = img->nosr;
      if (st->compiled && !st->cancel) st->compiled(st->compiled_arg, j->m, img, st->options);
    } else {
      snprintf(j->error, sizeof j->error, "%s", err.message);
    }
    pthread_mutex_lock(&st->mu);
    atomic_store(&j->state, ok ? JOB_DONE : JOB_FAILED);
    pthread_cond_broadcast(&st->cv);
  }
  pthread_mutex_unlock(&st->mu);
  return NULL;
}

rt_tierup_state *engine_tierup_new(wrun_store *s) {
  rt_tierup_state *st = calloc(1, sizeof *st);
  if (!st) return NULL;
  pthread_mutex_init(&st->mu, NULL);
  pthread_cond_init(&st->cv, NULL);
  st->options = engine_tier_options(&s->cfg);
  st->compiled = s->cfg.tier_compiled;
  st->compiled_arg = s->cfg.tier_arg;
  clock_gettime(CLOCK_MONOTONIC, &st->t0);
  return st;
}

/* The job of module m, queued now if there is none (NULL: out of memory or
 * no thread). */
static tier_job *job_for(rt_tierup_state *st, const wm_module *m) {
  pthread_mutex_lock(&st->mu);
  tier_job *j = NULL;
  for (uint32_t i = 0; i < st->njobs && !j; i++)
    if (st->jobs[i]->m == m) j = st->jobs[i];
  if (!j && !st->started) st->started = pthread_create(&st->thread, NULL, compiler_main, st) == 0;
  if (!j && st->started && rt_grow((void **)&st->jobs, &st->capjobs, st->njobs + 1, sizeof *st->jobs) &&
      (j = calloc(1, sizeof *j))) {
    j->m = m;
    atomic_init(&j->state, JOB_QUEUED);
    st->jobs[st->njobs++] = j;
    if (!st->stats.requested_ms) st->stats.requested_ms = ms_since(&st->t0);
    pthread_cond_broadcast(&st->cv);
  }
  pthread_mutex_unlock(&st->mu);
  return j;
}

static void wait_job(rt_tierup_state *st, tier_job *j) {
  pthread_mutex_lock(&st->mu);
  while (atomic_load(&j->state) == JOB_QUEUED) pthread_cond_wait(&st->cv, &st->mu);
  pthread_mutex_unlock(&st->mu);
}

/* ---- the wasm thread's side -------------------------------------------------- */

/* Gives inst compiled code when its module's compile has finished. False
 * while it has not (or when it failed: then polling stops). */
static bool install(wrun_store *s, rt_tierup_state *st, wrun_instance *inst) {
  wm_module *m = (wm_module *)inst->module; /* the image slot is a cache on the module */
  if (!m->aot_image) {
    tier_job *j = job_for(st, m);
    if (!j) {
      s->tier_countdown = INT64_MAX; /* no memory or no thread: stay interpreted */
      return false;
    }
    if (s->cfg.tier_sync) wait_job(st, j);
    int state = atomic_load(&j->state);
    if (state == JOB_QUEUED) return false;
    if (state == JOB_FAILED) {
      if (!st->stats.error[0]) memcpy(st->stats.error, j->error, sizeof st->stats.error);
      s->tier_countdown = INT64_MAX;
      return false;
    }
    aot_attach_image(m, j->img);
    j->img = NULL;
    st->stats.compiled_funcs += j->nfuncs;
    st->stats.osr_points += j->nosr;
    st->stats.compile_ms += j->compile_ms;
  }
  rt_error err;
  rt_error_clear(&err);
  if (!aot_compile_instance(s, inst, &err)) {
    if (!st->stats.error[0]) snprintf(st->stats.error, sizeof st->stats.error, "%s", err.message);
    s->tier_countdown = INT64_MAX;
    return false;
  }
  if (!st->stats.instances++) st->stats.switched_ms = ms_since(&st->t0);
  return true;
}

static int poll(wrun_store *s, wrun_func *f, uint64_t *fp, uint32_t loop_off) {
  rt_tierup_state *st = s->tierup;
  if (!st && !(st = s->tierup = engine_tierup_new(s))) {
    s->tier_countdown = INT64_MAX;
    return RT_TIERUP_CONTINUE;
  }
  s->tier_countdown = s->cfg.tier_sync && s->cfg.tier_threshold ? s->cfg.tier_threshold : POLL_INTERVAL;
  if (!f->inst->aot && !install(s, st, f->inst)) return RT_TIERUP_CONTINUE;
  if (loop_off == RT_TIERUP_ENTRY) {
    if (s->cfg.tier_osr_only) return RT_TIERUP_CONTINUE;
    st->stats.entry_switches++;
    return aot_invoke(s, f, fp) ? RT_TIERUP_RETURNED : RT_TIERUP_TRAPPED;
  }
  const void *entry = aot_osr_entry(f->inst, f->index, loop_off);
  if (!entry) return RT_TIERUP_CONTINUE;
  st->stats.osr_entries++;
  return aot_invoke_at(s, f, fp, entry) ? RT_TIERUP_RETURNED : RT_TIERUP_TRAPPED;
}

static void store_freed(wrun_store *s) {
  rt_tierup_state *st = s->tierup;
  if (!st) return;
  if (st->started) {
    pthread_mutex_lock(&st->mu);
    st->stop = true;
    st->cancel = 1;
    pthread_cond_broadcast(&st->cv);
    pthread_mutex_unlock(&st->mu);
    pthread_join(st->thread, NULL);
  }
  for (uint32_t i = 0; i < st->njobs; i++) {
    aot_image_free(st->jobs[i]->img);
    free(st->jobs[i]);
  }
  free(st->jobs);
  pthread_mutex_destroy(&st->mu);
  pthread_cond_destroy(&st->cv);
  free(st);
  s->tierup = NULL;
}

const rt_tierup_ops engine_tierup_ops = {.poll = poll, .store_freed = store_freed};

bool engine_tier_stats(const wrun_store *s, rt_tier_stats *out) {
  memset(out, 0, sizeof *out);
  if (!s->tierup) return false;
  *out = s->tierup->stats;
  return true;
}

/* The optimizing pipeline by default: on the bench/ workloads tier-up with
 * it took 1.51-1.55x native CPU time against 1.64-1.65x with the one-pass
 * compiler (geomean, quick inputs, compile time included; docs/performance.md);
 * it compiles 2-3 times slower, on the compiler thread. */
uint32_t engine_tier_options(const rt_config *cfg) {
  return aot_options_for(cfg) | (cfg->tier_one_pass ? 0 : AOT_OPT_OPTIMIZE);
}

void engine_tier_compiler_from_env(rt_config *cfg) {
  const char *one = getenv("WRUN_TIER_ONE_PASS");
  if (one && strcmp(one, "1") == 0) cfg->tier_one_pass = true;
}

bool engine_tier_config_from_env(rt_config *cfg) {
  engine_tier_compiler_from_env(cfg);
  const char *v = getenv("WRUN_TIER_THRESHOLD");
  if (!v) return true;
  char *end;
  unsigned long n = strtoul(v, &end, 10);
  if (!*v || *end || *v == '-' || n < 1 || n > INT32_MAX) {
    fprintf(stderr, "wrun: WRUN_TIER_THRESHOLD: expected a number from 1 to %d, got '%s'\n", INT32_MAX, v);
    return false;
  }
  cfg->tier_threshold = (uint32_t)n;
  cfg->tier_sync = true;
  return true;
}
