/*
 * test_aot_arm64_frames.c — backtraces by frame records
 * (aot_walk_frame_records, src/aot/aot.c), the walk an AArch64 code
 * generator's faults use (x29/x30 from the signal context).
 *
 * On every host: a made-up image (entries only) and a made-up stack of
 * records, walked after the record is stored, before it (the link
 * register's case), and with damaged chains (misaligned, descending, past
 * the stack's top, a record pointing below sp), which must stop the walk.
 * On AArch64 (natively or under qemu-aarch64): hand-assembled functions with
 * the prologue machine.h describes call each other and fault; the signal
 * handler reads pc/sp/fp/lr from the ucontext (arm64_signal_*) and walks,
 * and the functions found must be the call chain.
 *
 * No cmocka: the test must also run in the cross-built tree.
 */
#include <stdint.h>
#include <stdlib.h>
#include <string.h>

#include "unit/arm64_harness.h"

/* The functions a walk visited, innermost first. */
typedef struct seen {
  uint32_t k[16];
  uintptr_t pos[16];             /* the pc looked up: exact innermost, a return address - 1 below */
  uint32_t n;
} seen;

static void visit(void *arg, uint32_t k, uintptr_t pos) {
  seen *s = arg;
  if (s->n < 16) {
    s->k[s->n] = k;
    s->pos[s->n] = pos;
  }
  s->n++;
}

/* An image of `size` bytes of filler with nfuncs entries at offs[]: only
 * its addresses matter to a walk over a made-up stack. */
static aot_image *image_with(uint32_t size, uint32_t nfuncs, const uint32_t *offs) {
  a64_buf b = {0};
  a64h_pad_to(&b, size);
  return a64h_place(&b, nfuncs, offs);
}

/* ---- on every host: made-up frames ----------------------------------------- */

static void test_made_up_stack(void) {
  static const uint32_t offs[] = {128, 256, 512}; /* f, g, h */
  aot_image *img = image_with(1024, 3, offs);
  if (!img) return;
  uintptr_t base = (uintptr_t)img->mem;
  _Alignas(16) uintptr_t stack[16] = {0};
  uintptr_t st = (uintptr_t)stack, top = st + sizeof stack;
  /* h's record at stack[2] (h called from g at g+20), g's at stack[6] (g
   * called from f at f+8), f's at stack[10] (f called from outside) */
  stack[2] = st + 6 * 8, stack[3] = base + 256 + 20;
  stack[6] = st + 10 * 8, stack[7] = base + 128 + 8;
  stack[10] = 0, stack[11] = 0x10; /* the entry's caller: outside the image */
  seen s = {0};
  /* a fault in h's body: fp is h's record */
  uint32_t n = aot_walk_frame_records(img, base + 512 + 12, st, st + 16, 0xdead, 8, top, visit, &s, 16);
  CHECK(n == 3 && s.n == 3 && s.k[0] == 2 && s.k[1] == 1 && s.k[2] == 0);
  CHECK(s.pos[0] == base + 512 + 12 && s.pos[1] == base + 256 + 19 && s.pos[2] == base + 128 + 7);
  /* at h's first instruction: fp is still g's record, lr holds the way back into g */
  memset(&s, 0, sizeof s);
  n = aot_walk_frame_records(img, base + 512, st, st + 48, base + 256 + 20, 8, top, visit, &s, 16);
  CHECK(n == 3 && s.k[0] == 2 && s.k[1] == 1 && s.k[2] == 0);
  CHECK(s.pos[0] == base + 512 && s.pos[1] == base + 256 + 19); /* the link register is a return address too */
  /* ...and at its second (the record stored, fp not yet moved) */
  memset(&s, 0, sizeof s);
  n = aot_walk_frame_records(img, base + 512 + 4, st, st + 48, base + 256 + 20, 8, top, visit, &s, 16);
  CHECK(n == 3 && s.k[0] == 2 && s.k[1] == 1 && s.k[2] == 0);
  /* max bounds the walk */
  memset(&s, 0, sizeof s);
  CHECK(aot_walk_frame_records(img, base + 512 + 12, st, st + 16, 0, 8, top, visit, &s, 2) == 2);
  /* a pc outside the image: nothing */
  memset(&s, 0, sizeof s);
  CHECK(aot_walk_frame_records(img, base + 64, st, st + 16, 0, 8, top, visit, &s, 16) == 0 && s.n == 0);
  CHECK(aot_walk_frame_records(img, base + 1024, st, st + 16, 0, 8, top, visit, &s, 16) == 0);

  /* damaged chains stop the walk after the frames already found */
  memset(&s, 0, sizeof s);
  CHECK(aot_walk_frame_records(img, base + 512 + 12, st, st + 8, 0, 8, top, visit, &s, 16) == 1); /* misaligned */
  memset(&s, 0, sizeof s);
  CHECK(aot_walk_frame_records(img, base + 512 + 12, st + 32, st + 16, 0, 8, top, visit, &s, 16) == 1); /* below sp */
  memset(&s, 0, sizeof s);
  CHECK(aot_walk_frame_records(img, base + 512 + 12, st, st + 16, 0, 8, st + 24, visit, &s, 16) == 1); /* past the top */
  /* g's record sends the walk back down to h's (a loop), or to itself: f is
   * still found by g's return address, then the walk stops instead of
   * going round until max */
  stack[6] = st + 16;
  memset(&s, 0, sizeof s);
  CHECK(aot_walk_frame_records(img, base + 512 + 12, st, st + 16, 0, 8, top, visit, &s, 16) == 3 && s.k[2] == 0);
  stack[6] = st + 6 * 8;
  memset(&s, 0, sizeof s);
  CHECK(aot_walk_frame_records(img, base + 512 + 12, st, st + 16, 0, 8, top, visit, &s, 16) == 3 && s.k[2] == 0);
  aot_image_free(img);
}

/* ---- on AArch64: hand-assembled frames, a real fault ----------------------- */
#if defined(__aarch64__)

/* What a fault's walk is given and finds (the handler's hook). */
typedef struct walk {
  const aot_image *img;
  uintptr_t top;
  seen seen;
} walk;

static void walk_at_trap(const a64h_trap *t, void *arg) {
  walk *w = arg;
  aot_walk_frame_records(w->img, t->pc, t->sp, t->fp, t->lr, ARM64_FRAME_RECORD_AFTER, w->top, visit, &w->seen, 16);
}

/* The prologue machine.h describes, with `frame` bytes of frame. */
static bool prologue(a64_buf *b, int64_t frame) {
  return a64_stp(b, A64_PAIR_X, A64_PRE, A64_FP, A64_LR, A64_SP, -frame) && a64_mov_sp(b, true, A64_FP, A64_SP);
}

static bool epilogue(a64_buf *b, int64_t frame) {
  return a64_ldp(b, A64_PAIR_X, A64_POST, A64_FP, A64_LR, A64_SP, frame) && a64_ret(b, A64_LR);
}

/* A function at `at` that calls the one at `callee` (linked later). */
static bool caller(a64_buf *b, size_t at, int64_t frame, size_t *bl) {
  a64h_pad_to(b, at);
  if (!prologue(b, frame)) return false;
  *bl = b->n;
  return a64_bl(b, b->n) && epilogue(b, frame);
}

enum { F = 128, G = 192, H = 256, G2 = 320, H2 = 384, H3 = 448, END = 512 };

static void test_real_frames(void) {
  a64_buf b = {0};
  size_t bl_fg, bl_gh, bl_g2h2;
  /* f -> g -> h: h faults in its body, its record stored */
  CHECK(caller(&b, F, 16, &bl_fg) && caller(&b, G, 32, &bl_gh));
  a64h_pad_to(&b, H);
  CHECK(prologue(&b, 48) && a64_ldst(&b, A64_LDR_X, 0, 0, 0) && epilogue(&b, 48)); /* x0 = NULL */
  /* g2 -> h2: h2 faults at its first instruction, before any record (lr) */
  CHECK(caller(&b, G2, 16, &bl_g2h2));
  a64h_pad_to(&b, H2);
  CHECK(a64_ldst(&b, A64_LDR_X, 0, 0, 0) && a64_ret(&b, A64_LR));
  /* h3: damages its own frame pointer, then faults */
  a64h_pad_to(&b, H3);
  CHECK(prologue(&b, 16) && a64_mov_imm(&b, true, A64_FP, 24) && a64_ldst(&b, A64_LDR_X, 0, 0, 0) &&
        epilogue(&b, 16));
  a64h_pad_to(&b, END);
  CHECK(!b.oom && arm64_link_call(b.p, bl_fg, G) && arm64_link_call(b.p, bl_gh, H) &&
        arm64_link_call(b.p, bl_g2h2, H2));
  static const uint32_t offs[] = {F, G, H, G2, H2, H3};
  aot_image *img = a64h_place(&b, 6, offs);
  if (!img) return;
  static walk w; /* static: read after the handler's siglongjmp */
  CHECK(a64h_catch(walk_at_trap, &w));
  static const struct {
    uint32_t entry, n, want[3];
  } cases[] = {{F, 3, {2, 1, 0}}, {G2, 2, {4, 3, 0}}, {H3, 1, {5, 0, 0}}};
  for (size_t c = 0; c < sizeof cases / sizeof *cases; c++) {
    volatile int here = 0;
    memset(&w, 0, sizeof w);
    w.img = img;
    w.top = (uintptr_t)&here;
    if (!A64H_TRAPPED()) {
      uint64_t (*fn)(uint64_t) = (uint64_t(*)(uint64_t))(void *)(img->mem + cases[c].entry);
      fn(0);
      CHECK(!"the load from NULL did not fault");
    } else {
      CHECK(w.seen.n == cases[c].n);
      for (uint32_t i = 0; i < cases[c].n && i < w.seen.n; i++) CHECK(w.seen.k[i] == cases[c].want[i]);
      if (w.seen.n != cases[c].n) fprintf(stderr, "case %zu: %u frames\n", c, w.seen.n);
    }
  }
  a64h_release();
  aot_image_free(img);
}
#endif

int main(void) {
  test_made_up_stack();
#if defined(__aarch64__)
  test_real_frames();
  printf("arm64 frames: made-up stacks and hand-assembled frames faulting on this CPU, %d failed\n", *a64h_failures());
#else
  printf("arm64 frames: made-up stacks only (not an AArch64 host), %d failed\n", *a64h_failures());
#endif
  return *a64h_failures() ? 1 : 0;
}
