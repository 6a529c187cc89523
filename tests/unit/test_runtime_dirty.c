/*
 * test_runtime_dirty.c — the written-page record of template instances'
 * memories (src/runtime/dirty.c): after a restore every byte of the range is
 * its initial value (image bytes or zero) whatever was written; a restore
 * covers the pages written since the last one plus those it left writable
 * (restored earlier), and within 16 restores without writes it covers none
 * again (the pages are protected again, and a new write is seen); and
 * rt_instance_renew of a template instance
 * whose guest wrote every page of its memory gives back exactly the memory
 * a fresh rt_instantiate has, in both tiers, through the record (a memory
 * of 17 pages: template.c records memories of 1 MiB or more). Skipped
 * where the kernel cannot keep the record (before Linux 6.7, or userfaultfd
 * denied): template.c then resets with madvise, covered by
 * test_runtime_template.
 */
#ifndef _GNU_SOURCE
#define _GNU_SOURCE
#endif
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>
#include <cmocka.h>

#include "runtime/rt.h"
#include "text/text.h"
#include "valid/valid.h"

enum { NPAGES = 16, IMAGE_PAGES = 8 };

static uint8_t initial_byte(size_t at, size_t page) {
  return at < IMAGE_PAGES * page ? (uint8_t)(at * 7 + 3) : 0;
}

static void check_initial(const uint8_t *p, size_t page) {
  for (size_t i = 0; i < NPAGES * page; i++)
    if (p[i] != initial_byte(i, page)) fail_msg("byte %zu is %u, not %u", i, p[i], initial_byte(i, page));
}

/* The range as template.c lays it out: image pages mapped privately from a
 * memfd, zero pages after them. */
static void test_restore_range(void **state) {
  (void)state;
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  int fd = memfd_create("dirty-test", MFD_CLOEXEC);
  assert_true(fd >= 0);
  uint8_t *img = malloc(IMAGE_PAGES * page);
  assert_non_null(img);
  for (size_t i = 0; i < IMAGE_PAGES * page; i++) img[i] = initial_byte(i, page);
  assert_int_equal(write(fd, img, IMAGE_PAGES * page), (ssize_t)(IMAGE_PAGES * page));
  uint8_t *base = mmap(NULL, NPAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  assert_true(base != MAP_FAILED);
  assert_true(mmap(base, IMAGE_PAGES * page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_FIXED, fd, 0) != MAP_FAILED);
  const uint8_t *view = mmap(NULL, IMAGE_PAGES * page, PROT_READ, MAP_SHARED, fd, 0);
  assert_true(view != MAP_FAILED);
  rt_dirty *d = rt_dirty_new(base, NPAGES * page);
  if (!d) {
    munmap((void *)view, IMAGE_PAGES * page);
    munmap(base, NPAGES * page);
    close(fd);
    free(img);
    skip(); /* no kernel support: nothing to check here */
  }
  uint64_t n = 99;
  assert_true(rt_dirty_restore(d, view, 0, IMAGE_PAGES * page, &n));
  assert_int_equal(n, 0); /* nothing written yet */
  /* round 1: image pages 1 and 7 (7 only its last byte), zero pages 8 and 15,
   * and page 3 only read */
  volatile uint8_t sink = base[3 * page];
  (void)sink;
  base[1 * page + 5] = 0xEE;
  base[8 * page - 1] = 0xEE;
  memset(base + 8 * page, 0xAB, page);
  base[15 * page + page / 2] = 1;
  assert_true(rt_dirty_restore(d, view, 0, IMAGE_PAGES * page, &n));
  assert_int_equal(n, 4);
  check_initial(base, page);
  /* round 2: other pages (0, 1, 12); round 1's stay in the set: 1, 7, 8, 15 */
  memset(base, 0x11, 2 * page);
  base[12 * page] = 9;
  assert_true(rt_dirty_restore(d, view, 0, IMAGE_PAGES * page, &n));
  assert_int_equal(n, 6);
  check_initial(base, page);
  /* no writes: the set is protected again within 16 restores */
  int k = 0;
  while (n && k++ < 16) assert_true(rt_dirty_restore(d, view, 0, IMAGE_PAGES * page, &n));
  assert_int_equal(n, 0);
  base[4 * page + 9] = 1;
  assert_true(rt_dirty_restore(d, view, 0, IMAGE_PAGES * page, &n));
  assert_int_equal(n, 1);
  check_initial(base, page);
  /* round 3: everything */
  memset(base, 0x5A, NPAGES * page);
  assert_true(rt_dirty_restore(d, view, 0, IMAGE_PAGES * page, &n));
  assert_int_equal(n, NPAGES);
  check_initial(base, page);
  rt_dirty_free(d);
  munmap((void *)view, IMAGE_PAGES * page);
  munmap(base, NPAGES * page);
  close(fd);
  free(img);
}

static const char *fill_wat =
    "(module\n"
    "  (memory (export \"mem\") 17 19)\n"
    "  (data (i32.const 10) \"initial bytes\")\n"
    "  (data (i32.const 70000) \"more\")\n"
    "  (func (export \"fill\") (param $v i32) (local $i i32)\n"
    "    (block $done (loop $l\n"
    "      (br_if $done (i32.ge_u (local.get $i) (i32.const 1114112)))\n"
    "      (i32.store8 (local.get $i) (i32.add (local.get $v) (local.get $i)))\n"
    "      (local.set $i (i32.add (local.get $i) (i32.const 1)))\n"
    "      (br $l))))\n"
    "  (func (export \"grow\") (result i32) (memory.grow (i32.const 1))))\n";

static rt_memory *memory_of(wrun_instance *inst) {
  rt_extern x;
  if (!rt_instance_export(inst, "mem", 3, &x) || x.kind != WASM_EXTERN_MEMORY) fail_msg("no memory export");
  return x.of.memory;
}

static void call1(wrun_store *s, wrun_instance *inst, const char *name, uint32_t arg) {
  rt_extern x;
  if (!rt_instance_export(inst, name, strlen(name), &x)) fail_msg("no %s", name);
  rt_val a = {.type = WASM_I32, .of.i32 = arg}, r;
  rt_error err;
  rt_error_clear(&err);
  uint32_t np = rt_func_type(x.of.func)->nparams, nr = rt_func_type(x.of.func)->nresults;
  if (!rt_call(s, x.of.func, &a, np, &r, nr, &err)) fail_msg("%s: %s", name, err.message);
}

/* A guest that writes every byte of its memory (and grows it) is renewed to
 * exactly a fresh instance's memory. */
static void test_renew_restores_every_page(void **state) {
  (void)state;
  rt_error err;
  rt_error_clear(&err);
  uint8_t *bin = NULL;
  size_t len = 0;
  if (!wat_parse_to_binary(fill_wat, strlen(fill_wat), &bin, &len, &err)) fail_msg("wat: %s", err.message);
  wm_module *m = wm_module_decode(bin, len, &err);
  free(bin);
  if (!m || !wm_module_validate(m, &err)) fail_msg("module: %s", err.message);
  int tiers = 1;
#if defined(__x86_64__)
  tiers = 2;
#endif
  for (int aot = 0; aot < tiers; aot++) {
    rt_config cfg = {0};
    cfg.aot = aot;
    wrun_store *ref = engine_store_new(&cfg);
    wrun_instance *ri = rt_instantiate(ref, m, NULL, 0, &err);
    if (!ri) fail_msg("instantiate: %s", err.message);
    rt_memory *want = memory_of(ri);
    rt_template *t = engine_template_new(m, &cfg, NULL, 0, &err);
    if (!t) fail_msg("template: %s", err.message);
    wrun_store *s = engine_store_new(rt_template_config(t));
    wrun_instance *inst = rt_template_instantiate(t, s, &err);
    if (!inst) fail_msg("template instantiate: %s", err.message);
    rt_memory *got = memory_of(inst);
    bool tracked = got->dirty != NULL;
    for (uint32_t round = 0; round < 4; round++) {
      call1(s, inst, "fill", round * 13 + 1);
      if (round & 1) call1(s, inst, "grow", 0);
      if (!rt_instance_renew(s, inst, &err)) fail_msg("renew: %s", err.message);
      assert_int_equal(got->size, want->size);
      if (memcmp(got->base, want->base, want->size) != 0) fail_msg("tier %d round %u: memory differs", aot, round);
      assert_true((got->dirty != NULL) == tracked); /* the record survives resets */
    }
    rt_store_free(s);
    rt_template_free(t);
    rt_store_free(ref);
    if (!tracked) {
      wm_module_free(m);
      skip(); /* checked through madvise only */
    }
  }
  wm_module_free(m);
}

int main(void) {
  /* without kernel support there is nothing to test: exit 77 (ctest: skipped) */
  size_t page = (size_t)sysconf(_SC_PAGESIZE);
  uint8_t *p = mmap(NULL, page, PROT_READ | PROT_WRITE, MAP_PRIVATE | MAP_ANONYMOUS, -1, 0);
  rt_dirty *d = p != MAP_FAILED ? rt_dirty_new(p, page) : NULL;
  if (p != MAP_FAILED) munmap(p, page);
  if (!d) {
    printf("SKIP: the kernel keeps no written-page record here (Linux 6.7+ userfaultfd WP_ASYNC and PAGEMAP_SCAN)\n");
    return 77;
  }
  rt_dirty_free(d);
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_restore_range),
    cmocka_unit_test(test_renew_restores_every_page),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
