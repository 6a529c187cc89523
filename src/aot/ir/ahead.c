/*
 * ahead.c — a module's functions through the optimizing pipeline on worker
 * threads, before aot.c's loop walks them in order and takes each finished
 * one as if it had compiled it itself. A function's code depends only on
 * the module and its own body (inlining reads the callee's body, never its
 * code), so the image is the same byte for byte whatever the number of
 * threads or the order in which functions finish (artifacts are compared
 * across runs and ISAs). Functions are handed out one at a time from a
 * shared counter, so a thread that drew large ones takes fewer.
 */
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>

#include "aot/ir/ahead.h"

/* Fewer functions than this are not worth a thread. */
#define AHEAD_MIN_FUNCS 16u
#define AHEAD_MAX_THREADS 2
/* Workers get the calling thread's stack size within these bounds: building
 * the IR recurses through predecessors (build.c, read_var), as deep on a
 * worker as on the caller, which may be a thread sized for --max-stack. */
#define AHEAD_STACK_MIN ((size_t)8 << 20)
#define AHEAD_STACK_MAX ((size_t)256 << 20)

typedef struct ahead {
  const aot_isa *isa;
  const aot_func_in *in;
  aot_func_out *outs;
  uint8_t *done;
  uint32_t ndef;
  atomic_uint next;
} ahead;

static void *work(void *arg) {
  ahead *a = arg;
  aot_func_in in = *a->in;
  for (;;) {
    uint32_t k = atomic_fetch_add(&a->next, 1u);
    if (k >= a->ndef) break;
    in.index = in.m->nimported_funcs + k;
    char why[96];
    rt_error err;
    rt_error_clear(&err);
    aot_func_out out;
    memset(&out, 0, sizeof out);
    if (aot_ir_compile_func(a->isa, &in, &out, why, sizeof why, &err) == 1) {
      a->outs[k] = out;
      a->done[k] = 1;
    } else { /* the caller compiles it again and says why */
      free(out.code);
      free(out.relocs);
      free(out.osr);
    }
  }
  return NULL;
}

/* WRUN_AOT_THREADS=N (1 turns this off), else 2 where there are 2 CPUs. */
static unsigned thread_count(void) {
  const char *e = getenv("WRUN_AOT_THREADS");
  long n = e ? strtol(e, NULL, 10) : sysconf(_SC_NPROCESSORS_ONLN);
  if (n < 1) n = 1;
  return n > AHEAD_MAX_THREADS ? AHEAD_MAX_THREADS : (unsigned)n;
}

uint8_t *aot_ir_compile_ahead(const aot_isa *isa, const aot_func_in *in, aot_func_out *outs, uint32_t ndef) {
  unsigned nt = thread_count();
  if (nt < 2 || ndef < AHEAD_MIN_FUNCS) return NULL;
  ahead a = {isa, in, outs, calloc((size_t)ndef + 1, 1), ndef, 0};
  if (!a.done) return NULL;
  atomic_init(&a.next, 0u);
  size_t stack = AHEAD_STACK_MIN;
  pthread_attr_t self, attr;
  if (pthread_getattr_np(pthread_self(), &self) == 0) {
    size_t sz = 0;
    if (pthread_attr_getstacksize(&self, &sz) == 0 && sz > stack) stack = sz < AHEAD_STACK_MAX ? sz : AHEAD_STACK_MAX;
    pthread_attr_destroy(&self);
  }
  pthread_t th[AHEAD_MAX_THREADS];
  unsigned started = 0;
  if (pthread_attr_init(&attr) == 0) {
    if (pthread_attr_setstacksize(&attr, stack) == 0)
      for (unsigned t = 1; t < nt; t++) {
        if (pthread_create(&th[started], &attr, work, &a) != 0) break; /* the calling thread does the rest */
        started++;
      }
    pthread_attr_destroy(&attr);
  }
  work(&a);
  for (unsigned t = 0; t < started; t++) pthread_join(th[t], NULL);
  return a.done;
}
