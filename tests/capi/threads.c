/*
 * threads.c — the C API's thread model under load: one engine and one
 * module shared by every thread, a store per thread. Each thread
 * instantiates the module with host functions whose environment is its
 * own, calls into it repeatedly (through an export and through the table),
 * writes and reads its memory, and makes it trap; every result is checked.
 * Run for both tiers, and for AOT stores sharing a module made by an
 * interpreter engine. Then, for both tiers, one thread runs an endless
 * loop in an interruptible store while another interrupts it
 * (wrun_store_interrupt is the one store function other threads may
 * call). Built and run plain, under ASan with the tree, and under
 * ThreadSanitizer by tests/capi/tsan.sh.
 *
 *   capi_threads standard.wasm [THREADS] [ROUNDS]
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sched.h>
#include <time.h>

#include "wrun.h"

typedef struct worker {
  wasm_engine_t *engine;
  const wasm_module_t *module;   /* shared: used by every thread at once */
  int id, rounds;
  int hello_calls;               /* this thread's, through its env */
  int failures;
} worker;

static wasm_trap_t *hello(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args;
  (void)results;
  ((worker *)env)->hello_calls++;
  return NULL;
}

static wasm_trap_t *add(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 + args->data[1].of.i32 + ((worker *)env)->id;
  return NULL;
}

#define EXPECT(w, cond) \
  do { \
    if (!(cond)) { \
      fprintf(stderr, "thread %d: line %d: %s\n", (w)->id, __LINE__, #cond); \
      (w)->failures++; \
    } \
  } while (0)

static int32_t call_i32(const wasm_func_t *f, int32_t arg, size_t nargs, bool *trapped) {
  wasm_val_t a[1] = {WASM_I32_VAL(arg)}, r[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = {nargs, a}, res = WASM_ARRAY_VEC(r);
  wasm_trap_t *trap = wasm_func_call(f, &args, &res);
  *trapped = trap != NULL;
  wasm_trap_delete(trap);
  return r[0].of.i32;
}

static void *work(void *arg) {
  worker *w = arg;
  wasm_store_t *store = wasm_store_new(w->engine);
  wasm_functype_t *t0 = wasm_functype_new_0_0();
  wasm_functype_t *t2 = wasm_functype_new_2_1(wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32());
  wasm_func_t *h = wasm_func_new_with_env(store, t0, hello, w, NULL);
  wasm_func_t *a = wasm_func_new_with_env(store, t2, add, w, NULL);
  wasm_functype_delete(t0);
  wasm_functype_delete(t2);
  wasm_extern_t *ex[] = {wasm_func_as_extern(h), wasm_func_as_extern(a)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(ex), exports = WASM_EMPTY_VEC;
  wasm_instance_t *inst = wasm_instance_new(store, w->module, &imports, NULL);
  EXPECT(w, inst != NULL);
  if (inst) wasm_instance_exports(inst, &exports);
  EXPECT(w, exports.size == 6);
  if (exports.size == 6) {
    wasm_memory_t *mem = wasm_extern_as_memory(exports.data[0]);
    wasm_table_t *table = wasm_extern_as_table(exports.data[2]);
    const wasm_func_t *run = wasm_extern_as_func(exports.data[3]);
    const wasm_func_t *load = wasm_extern_as_func(exports.data[4]);
    const wasm_func_t *fail = wasm_extern_as_func(exports.data[5]);
    bool trapped;
    for (int i = 0; i < w->rounds; i++) {
      EXPECT(w, call_i32(run, 0, 0, &trapped) == 42 + w->id && !trapped);
      wasm_memory_data(mem)[i % 4096] = (byte_t)(w->id + i);
      EXPECT(w, call_i32(load, i % 4096, 1, &trapped) == (uint8_t)(w->id + i) && !trapped);
      if (i % 16 == 0) {
        call_i32(fail, 0, 0, &trapped);
        EXPECT(w, trapped);
        wasm_ref_t *r = wasm_table_get(table, 0);
        const wasm_func_t *f = r ? wasm_ref_as_func_const(r) : NULL;
        EXPECT(w, f && call_i32(f, 0, 0, &trapped) == 42 + w->id && !trapped);
        wasm_ref_delete(r);
      }
    }
    int expect_hello = w->rounds + (w->rounds + 15) / 16;
    EXPECT(w, w->hello_calls == expect_hello);
  }
  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(inst);
  wasm_func_delete(h);
  wasm_func_delete(a);
  wasm_store_delete(store);
  return NULL;
}

static wasm_engine_t *engine_for(wrun_tier_t tier) {
  wasm_config_t *cfg = wasm_config_new();
  wrun_config_set_tier(cfg, tier);
  return wasm_engine_new_with_config(cfg);
}

/* Runs the workers in stores of a `tier` engine on a module made by a
 * `module_tier` engine (an interpreter engine's module in AOT stores is
 * compiled by the first instantiation, while the others wait). */
static int run_tier(const wasm_byte_vec_t *binary, wrun_tier_t module_tier, wrun_tier_t tier, int nthreads,
                    int rounds) {
  wasm_engine_t *module_engine = engine_for(module_tier), *engine = engine_for(tier);
  wrun_error_t *err = NULL;
  wasm_module_t *module = wrun_module_new(module_engine, (const uint8_t *)binary->data, binary->size, &err);
  wasm_engine_delete(module_engine); /* a module does not need its engine */
  if (!module) {
    fprintf(stderr, "capi_threads: %s\n", err ? wrun_error_message(err) : "out of memory");
    wrun_error_delete(err);
    wasm_engine_delete(engine);
    return 1;
  }
  worker *ws = calloc((size_t)nthreads, sizeof *ws);
  pthread_t *ts = calloc((size_t)nthreads, sizeof *ts);
  int failures = 0;
  for (int i = 0; i < nthreads; i++) {
    ws[i] = (worker){engine, module, i + 1, rounds, 0, 0};
    if (pthread_create(&ts[i], NULL, work, &ws[i]) != 0) {
      fprintf(stderr, "capi_threads: cannot start thread %d\n", i);
      nthreads = i;
      failures++;
    }
  }
  for (int i = 0; i < nthreads; i++) {
    pthread_join(ts[i], NULL);
    failures += ws[i].failures;
  }
  free(ws);
  free(ts);
  wasm_module_delete(module);
  wasm_engine_delete(engine);
  return failures;
}

/* (module (func (export "spin") (loop (br 0)))) */
static const uint8_t spin_wasm[] = {0x00, 0x61, 0x73, 0x6d, 0x01, 0x00, 0x00, 0x00, 0x01, 0x04, 0x01, 0x60,
                                    0x00, 0x00, 0x03, 0x02, 0x01, 0x00, 0x07, 0x08, 0x01, 0x04, 's',  'p',
                                    'i',  'n',  0x00, 0x00, 0x0a, 0x09, 0x01, 0x07, 0x00, 0x03, 0x40, 0x0c,
                                    0x00, 0x0b, 0x0b};

typedef struct spinner {
  wasm_store_t *store;
  const wasm_func_t *spin;
  atomic_int started;            /* set just before the call: the interrupter waits for it */
  wrun_trap_cause_t cause;       /* of the call's trap, 0 if it returned */
} spinner;

static void *spin_main(void *arg) {
  spinner *sp = arg;
  wasm_val_vec_t none = WASM_EMPTY_VEC;
  atomic_store(&sp->started, 1);
  wasm_trap_t *t = wasm_func_call(sp->spin, &none, &none);
  sp->cause = t ? wrun_trap_cause(t) : 0;
  wasm_trap_delete(t);
  return NULL;
}

/* One thread spins in wasm, this one interrupts it once the call has
 * started (or is about to: a pending request stops the call at its first
 * check). Returns the number of failures. */
static int run_interrupt(wrun_tier_t tier) {
  wasm_config_t *cfg = wasm_config_new();
  wrun_config_set_tier(cfg, tier);
  wrun_config_set_interruptible(cfg, true);
  wasm_engine_t *engine = wasm_engine_new_with_config(cfg);
  wasm_store_t *store = wasm_store_new(engine);
  wrun_error_t *err = NULL;
  wasm_module_t *module = wrun_module_new(engine, spin_wasm, sizeof spin_wasm, &err);
  wasm_instance_t *inst = module ? wrun_instance_new(store, module, NULL, &err) : NULL;
  wasm_extern_t *ex = inst ? wrun_instance_export(inst, "spin") : NULL;
  int failures = 0;
  if (!ex) {
    fprintf(stderr, "capi_threads: spin: %s\n", err ? wrun_error_message(err) : "no export");
    failures++;
  } else {
    spinner sp = {store, wasm_extern_as_func(ex), 0, 0};
    pthread_t t;
    if (pthread_create(&t, NULL, spin_main, &sp) != 0) {
      fprintf(stderr, "capi_threads: cannot start the spinning thread\n");
      failures++;
    } else {
      while (!atomic_load(&sp.started)) sched_yield();
      nanosleep(&(struct timespec){0, 5 * 1000 * 1000}, NULL); /* usually well inside the loop by now */
      wrun_store_interrupt(store);
      pthread_join(t, NULL);
      if (sp.cause != WRUN_CAUSE_INTERRUPT) {
        fprintf(stderr, "capi_threads: %s: the spinning call ended with cause %d, not an interrupt\n",
                tier == WRUN_TIER_AOT ? "aot" : "interpreter", (int)sp.cause);
        failures++;
      }
    }
  }
  wrun_error_delete(err);
  wasm_extern_delete(ex);
  wasm_instance_delete(inst);
  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  return failures;
}

int main(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: %s standard.wasm [THREADS] [ROUNDS]\n", argv[0]);
    return 2;
  }
  int nthreads = argc > 2 ? atoi(argv[2]) : 4, rounds = argc > 3 ? atoi(argv[3]) : 2000;
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  wasm_byte_vec_t binary;
  wasm_byte_vec_new_uninitialized(&binary, 1 << 16);
  binary.size = fread(binary.data, 1, binary.size, f);
  fclose(f);
  int failures = run_tier(&binary, WRUN_TIER_INTERP, WRUN_TIER_INTERP, nthreads, rounds);
  failures += run_tier(&binary, WRUN_TIER_AOT, WRUN_TIER_AOT, nthreads, rounds);
  failures += run_tier(&binary, WRUN_TIER_INTERP, WRUN_TIER_AOT, nthreads, rounds);
  failures += run_interrupt(WRUN_TIER_INTERP);
  failures += run_interrupt(WRUN_TIER_AOT);
  wasm_byte_vec_delete(&binary);
  if (failures) {
    fprintf(stderr, "capi_threads: %d failures\n", failures);
    return 1;
  }
  printf("ok: %d threads x %d rounds, interpreter, AOT, and AOT stores on an interpreter engine's module; "
         "an interrupt from another thread in both tiers\n", nthreads, rounds);
  return 0;
}
