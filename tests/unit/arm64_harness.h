/*
 * arm64_harness.h — what the AArch64 code generator's unit tests
 * (test_aot_arm64_{machine,frames,isel}.c) share to check and to run code
 * they assembled: a CHECK that counts failures instead of aborting (no
 * cmocka: these tests also run in the cross-built tree under qemu-aarch64),
 * reading back an instruction word, padding a buffer to an offset, placing
 * a buffer's code as an executable image, and catching the SIGSEGV/SIGILL a
 * placed function raises with the registers of the signal context.
 *
 * Header only, every function static inline (each test uses a different
 * part); the state a signal handler needs lives in function-local statics.
 */
#ifndef WRUN_TESTS_UNIT_ARM64_HARNESS_H
#define WRUN_TESTS_UNIT_ARM64_HARNESS_H

#include <setjmp.h>
#include <signal.h>
#include <stdbool.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include "aot/aot.h"
#include "aot/arm64/asm.h"
#include "aot/arm64/machine.h"

/* How many CHECKs have failed so far in this test program. */
static inline int *a64h_failures(void) {
  static int n;
  return &n;
}

#define CHECK(cond)                                                      \
  do {                                                                   \
    if (!(cond)) {                                                       \
      fprintf(stderr, "FAIL %s:%d: %s\n", __FILE__, __LINE__, #cond);    \
      (*a64h_failures())++;                                              \
    }                                                                    \
  } while (0)

/* The little-endian instruction word at p. */
static inline uint32_t a64h_word(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}

/* NOPs up to offset `off` of the buffer (where the next function starts). */
static inline void a64h_pad_to(a64_buf *b, size_t off) {
  while (b->n < off) a64_nop(b);
}

/* Maps the buffer's code as an image (aot_image_from_code: one mapping,
 * written, instruction cache synchronized, switched to read+execute) with
 * `nfuncs` function entries at offs[] (frame sizes 8: only a walk's
 * addresses matter to these tests). The buffer is consumed; NULL (and a
 * failed CHECK) when the code could not be placed. */
static inline aot_image *a64h_place(a64_buf *b, uint32_t nfuncs, const uint32_t *offs) {
  CHECK(!b->oom);
  rt_error err;
  memset(&err, 0, sizeof err);
  uint32_t *fo = calloc(2 * (size_t)nfuncs + 1, sizeof *fo); /* owned by the image once placed */
  aot_image *img = NULL;
  if (fo && !b->oom && b->p) {
    if (nfuncs) memcpy(fo, offs, nfuncs * sizeof *fo);
    for (uint32_t i = 0; i < nfuncs; i++) fo[nfuncs + i] = 8;
    img = aot_image_from_code(b->p, (uint32_t)b->n, nfuncs, fo, 0, 0, &err);
  } else {
    free(fo);
  }
  CHECK(img != NULL);
  free(b->p);
  memset(b, 0, sizeof *b);
  return img;
}

/* ---- catching a placed function's fault ------------------------------------ */

/* What the last caught signal's context said. */
typedef struct a64h_trap {
  int sig;
  uintptr_t pc, sp, fp, lr;
} a64h_trap;

typedef struct a64h_catcher {
  sigjmp_buf env;                           /* where the handler jumps back to */
  volatile a64h_trap last;
  void (*hook)(const a64h_trap *t, void *arg); /* run in the handler (e.g. a frame walk) */
  void *arg;
  struct sigaction old_segv, old_ill;
} a64h_catcher;

static inline a64h_catcher *a64h_catcher_get(void) {
  static a64h_catcher c;
  return &c;
}

static inline void a64h_on_signal(int sig, siginfo_t *si, void *uctx) {
  (void)si;
  a64h_catcher *c = a64h_catcher_get();
  a64h_trap t = {.sig = sig};
  arm64_signal_pc_sp(uctx, &t.pc, &t.sp);
  arm64_signal_fp_lr(uctx, &t.fp, &t.lr);
  c->last.sig = t.sig, c->last.pc = t.pc, c->last.sp = t.sp, c->last.fp = t.fp, c->last.lr = t.lr;
  if (c->hook) c->hook(&t, c->arg);
  siglongjmp(c->env, 1);
}

/* Installs the handler for SIGSEGV and SIGILL, with `hook` (may be NULL)
 * called in it with the registers before it jumps back to the sigsetjmp
 * of A64H_TRAPPED. */
static inline bool a64h_catch(void (*hook)(const a64h_trap *t, void *arg), void *arg) {
  a64h_catcher *c = a64h_catcher_get();
  c->hook = hook;
  c->arg = arg;
  struct sigaction sa;
  memset(&sa, 0, sizeof sa);
  sa.sa_sigaction = a64h_on_signal;
  sa.sa_flags = SA_SIGINFO;
  sigemptyset(&sa.sa_mask);
  return sigaction(SIGSEGV, &sa, &c->old_segv) == 0 && sigaction(SIGILL, &sa, &c->old_ill) == 0;
}

/* Puts back the handlers a64h_catch replaced. */
static inline void a64h_release(void) {
  a64h_catcher *c = a64h_catcher_get();
  sigaction(SIGSEGV, &c->old_segv, NULL);
  sigaction(SIGILL, &c->old_ill, NULL);
}

/* if (!A64H_TRAPPED()) { run code that must fault } else { check
 * a64h_last() }: zero when first reached, nonzero after the handler. */
#define A64H_TRAPPED() sigsetjmp(a64h_catcher_get()->env, 1)

/* The registers of the last caught signal. */
static inline a64h_trap a64h_last(void) {
  a64h_catcher *c = a64h_catcher_get();
  return (a64h_trap){c->last.sig, c->last.pc, c->last.sp, c->last.fp, c->last.lr};
}

#endif
