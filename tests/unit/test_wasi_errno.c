/* test_wasi_errno.c — wasi_errno: every WASI errno of wasi_snapshot_preview1
 * (witx `errno`, 1..75; 76 NOTCAPABLE is wrun's own verdict) is reached from
 * some Linux errno, aliases agree, libuv's negative codes map like errno, and
 * only errnos without any WASI meaning become EIO. */
#include <errno.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <cmocka.h>

#include "wasi/wasi_impl.h"

static void every_wasi_errno_is_reachable(void **state) {
  (void)state;
  bool reached[77] = {false};
  for (int e = 1; e < 4096; e++) {
    uint32_t w = wasi_errno(e);
    assert_true(w <= 76);
    reached[w] = true;
  }
  for (int w = 1; w <= 75; w++) {
    if (!reached[w]) print_error("WASI errno %d is never produced\n", w);
    assert_true(reached[w]);
  }
  assert_false(reached[WASI_ENOTCAPABLE]); /* only the resolver decides that */
}

static void specific_mappings(void **state) {
  (void)state;
  assert_int_equal(wasi_errno(0), WASI_ESUCCESS);
  assert_int_equal(wasi_errno(EXDEV), WASI_EXDEV); /* a real cross-device rename, not an escape */
  assert_int_equal(wasi_errno(ENOTSOCK), WASI_ENOTSOCK);
  assert_int_equal(wasi_errno(EWOULDBLOCK), WASI_EAGAIN);
  assert_int_equal(wasi_errno(EOPNOTSUPP), WASI_ENOTSUP);
  assert_int_equal(wasi_errno(ENOTSUP), WASI_ENOTSUP);
  assert_int_equal(wasi_errno(EDEADLOCK), WASI_EDEADLK);
  assert_int_equal(wasi_errno(ECONNRESET), WASI_ECONNRESET);
  assert_int_equal(wasi_errno(ETIMEDOUT), WASI_ETIMEDOUT);
  assert_int_equal(wasi_errno(EDQUOT), WASI_EDQUOT);
  assert_int_equal(wasi_errno(ETXTBSY), WASI_ETXTBSY);
  assert_int_equal(wasi_errno(-ENOENT), WASI_ENOENT); /* libuv style */
  assert_int_equal(wasi_errno(ECHRNG), WASI_EIO);      /* no WASI meaning at all */
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(every_wasi_errno_is_reachable),
    cmocka_unit_test(specific_mappings),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
