/*
 * dirty.c — which pages of a template instance's memory were written since
 * the last reset, so that a reset restores only those (template.c).
 *
 * The kernel keeps the record: the memory's initial range is registered
 * with a userfaultfd in write-protect mode with asynchronous faults
 * (UFFD_FEATURE_WP_ASYNC, Linux 6.7): a write to a protected page is let
 * through at once and only marks the page written, with no thread waiting
 * on the descriptor. The PAGEMAP_SCAN ioctl of /proc/self/pagemap lists the
 * written pages of a range and can protect them again. A reset lists the
 * written pages, copies their initial contents back (from the template's
 * image, or zeros) and protects them again, so the pages stay mapped: the
 * next request neither faults them in from the image nor copies them on
 * write, and the reset needs no madvise (whose page-table teardown and TLB
 * flush were most of the cost for guests that write many pages).
 *
 * Protecting the pages again after each restore would make every page the
 * next request writes fault once more. A guest handling one request after
 * another mostly writes the same pages each time, so a restore leaves the
 * pages it restored writable: they count as written in every later scan and
 * are restored every time (a 4 KiB copy, cheaper than the fault it saves),
 * and only every RELEARN-th restore protects them all again, so that pages
 * a guest stopped writing drop out of the set.
 *
 * The record is per range, unlike the soft-dirty bits of /proc/self/pagemap,
 * whose reset (/proc/self/clear_refs) is process-wide and would lose the
 * writes of other threads' instances. Without the kernel support (older
 * kernels, userfaultfd denied by seccomp or vm.unprivileged_userfaultfd,
 * WRUN_NO_DIRTY_TRACKING=1 in the environment) rt_dirty_new returns NULL and
 * template.c resets with madvise as before.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdint.h>
#include <stdlib.h>
#include <string.h>
#include <sys/types.h>
#include <unistd.h>

#include "runtime/rt.h"

#if defined(__linux__)
#include <linux/userfaultfd.h>
#include <sys/ioctl.h>
#include <sys/syscall.h>

/* Kernel ABI values newer than some build hosts' headers (Linux 6.7 UAPI). */
#ifndef UFFD_USER_MODE_ONLY
#define UFFD_USER_MODE_ONLY 1
#endif
#define DIRTY_UFFD_WP_UNPOPULATED (1ull << 13)
#define DIRTY_UFFD_WP_ASYNC (1ull << 15)
#define DIRTY_PAGE_IS_WRITTEN (1ull << 1)
#define DIRTY_SCAN_WP_MATCHING (1ull << 0)
#define DIRTY_SCAN_CHECK_WPASYNC (1ull << 1)

typedef struct dirty_region {
  uint64_t start, end, categories;
} dirty_region;

typedef struct dirty_scan_arg {
  uint64_t size, flags, start, end, walk_end, vec, vec_len, max_pages;
  uint64_t category_inverted, category_mask, category_anyof_mask, return_mask;
} dirty_scan_arg;

#define DIRTY_PAGEMAP_SCAN _IOWR('f', 16, dirty_scan_arg)

struct rt_dirty {
  int uffd;                        /* the range's registration; closing it ends it */
  int pagemap;                     /* /proc/self/pagemap */
  uint8_t *base;
  uint64_t len;
  pid_t pid;                       /* the process whose pagemap was opened (a forked child must not use it) */
  unsigned since_protect;          /* restores since every page was protected */
};

/* How often a restore protects the written pages again (see above). */
#define RELEARN 16

void rt_dirty_free(rt_dirty *d) {
  if (!d) return;
  if (d->uffd >= 0) close(d->uffd);
  if (d->pagemap >= 0) close(d->pagemap);
  free(d);
}

rt_dirty *rt_dirty_new(uint8_t *base, uint64_t len) {
  if (!len || getenv("WRUN_NO_DIRTY_TRACKING")) return NULL;
  rt_dirty *d = malloc(sizeof *d);
  if (!d) return NULL;
  *d = (rt_dirty){.uffd = -1, .pagemap = -1, .base = base, .len = len, .pid = getpid()};
  d->uffd = (int)syscall(SYS_userfaultfd, O_CLOEXEC | O_NONBLOCK | UFFD_USER_MODE_ONLY);
  struct uffdio_api api = {.api = UFFD_API, .features = DIRTY_UFFD_WP_ASYNC | DIRTY_UFFD_WP_UNPOPULATED};
  struct uffdio_register reg = {.range = {(uintptr_t)base, len}, .mode = UFFDIO_REGISTER_MODE_WP};
  struct uffdio_writeprotect wp = {.range = {(uintptr_t)base, len}, .mode = UFFDIO_WRITEPROTECT_MODE_WP};
  if (d->uffd < 0 || ioctl(d->uffd, UFFDIO_API, &api) != 0 || ioctl(d->uffd, UFFDIO_REGISTER, &reg) != 0 ||
      ioctl(d->uffd, UFFDIO_WRITEPROTECT, &wp) != 0 ||
      (d->pagemap = open("/proc/self/pagemap", O_RDONLY | O_CLOEXEC)) < 0) {
    rt_dirty_free(d);
    return NULL;
  }
  /* a kernel without PAGEMAP_SCAN (or asynchronous protection) says so here */
  dirty_scan_arg probe = {.size = sizeof probe, .flags = DIRTY_SCAN_CHECK_WPASYNC, .start = (uintptr_t)base,
                          .end = (uintptr_t)base + len, .category_mask = DIRTY_PAGE_IS_WRITTEN,
                          .return_mask = DIRTY_PAGE_IS_WRITTEN};
  if (ioctl(d->pagemap, DIRTY_PAGEMAP_SCAN, &probe) < 0) {
    rt_dirty_free(d);
    return NULL;
  }
  return d;
}

/* Puts the initial bytes back into [p, p + n) of the range: the image's
 * bytes where it covers, zeros elsewhere. */
static void restore_run(const rt_dirty *d, uint64_t at, uint64_t n, const uint8_t *image, uint64_t lo, uint64_t hi) {
  uint8_t *p = d->base + at;
  uint64_t end = at + n;
  uint64_t a = at > lo ? at : lo, b = end < hi ? end : hi; /* the overlap with the image */
  if (!image || a >= b) {
    memset(p, 0, n);
    return;
  }
  if (at < a) memset(p, 0, a - at);
  memcpy(d->base + a, image + (a - lo), b - a);
  if (b < end) memset(d->base + b, 0, end - b);
}

bool rt_dirty_restore(rt_dirty *d, const uint8_t *image, uint64_t lo, uint64_t hi, uint64_t *pages) {
  /* after fork the descriptors still describe the parent's address space,
   * and the child's copy of the range records nothing */
  if (getpid() != d->pid) return false;
  dirty_region vec[64];
  uint64_t start = (uintptr_t)d->base, end = start + d->len, restored = 0;
  /* list the written runs (in batches of 64) and restore them (the
   * restoring writes change no record: the pages are writable already) */
  while (start < end) {
    dirty_scan_arg a = {.size = sizeof a, .flags = DIRTY_SCAN_CHECK_WPASYNC, .start = start, .end = end,
                        .vec = (uintptr_t)vec, .vec_len = sizeof vec / sizeof *vec,
                        .category_mask = DIRTY_PAGE_IS_WRITTEN, .return_mask = DIRTY_PAGE_IS_WRITTEN};
    long n = ioctl(d->pagemap, DIRTY_PAGEMAP_SCAN, &a);
    if (n < 0) return false;
    for (long i = 0; i < n; i++) {
      uint64_t at = vec[i].start - (uintptr_t)d->base;
      restore_run(d, at, vec[i].end - vec[i].start, image, lo, hi);
      restored += vec[i].end - vec[i].start;
    }
    if (a.walk_end <= start) return false; /* no progress: should not happen */
    start = a.walk_end;
  }
  if (pages) *pages = restored / (uint64_t)sysconf(_SC_PAGESIZE);
  if (++d->since_protect < RELEARN) return true; /* the restored pages stay writable */
  d->since_protect = 0;
  /* protect every written page again: one walk over the range */
  dirty_scan_arg wp = {.size = sizeof wp, .flags = DIRTY_SCAN_WP_MATCHING | DIRTY_SCAN_CHECK_WPASYNC,
                       .start = (uintptr_t)d->base, .end = (uintptr_t)d->base + d->len,
                       .category_mask = DIRTY_PAGE_IS_WRITTEN, .return_mask = DIRTY_PAGE_IS_WRITTEN};
  return ioctl(d->pagemap, DIRTY_PAGEMAP_SCAN, &wp) >= 0;
}

#else /* not Linux: no tracking; template.c resets with madvise */

rt_dirty *rt_dirty_new(uint8_t *base, uint64_t len) {
  (void)base, (void)len;
  return NULL;
}
bool rt_dirty_restore(rt_dirty *d, const uint8_t *image, uint64_t lo, uint64_t hi, uint64_t *pages) {
  (void)d, (void)image, (void)lo, (void)hi, (void)pages;
  return false;
}
void rt_dirty_free(rt_dirty *d) { (void)d; }

#endif
