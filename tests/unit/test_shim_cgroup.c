/* test_shim_cgroup.c — the shim's reading of a task's cgroup and resources
 * without a cgroup hierarchy: linux.cgroupsPath as a plain path and as
 * systemd's slice:prefix:name (runc's expansion of nested slices), malformed
 * paths refused with one line, and config.json's cpu, pids and memory
 * resources, cgroupsPath and the HTTP address (annotation, env, default). */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "shim/cgroup.h"
#include "shim/spec.h"

static void expect_dir(const char *path, const char *want) {
  char out[4096], err[256] = "";
  bool ok = shim_cgroup_dir("/cg", path, out, sizeof out, err, sizeof err);
  if (!ok) fail_msg("%s: refused: %s", path, err);
  assert_string_equal(out, want);
}

static void expect_refused(const char *path) {
  char out[4096], err[256] = "";
  assert_false(shim_cgroup_dir("/cg", path, out, sizeof out, err, sizeof err));
  assert_non_null(strstr(err, "linux.cgroupsPath"));
  assert_null(strchr(err, '\n'));
}

static void cgroup_paths(void **state) {
  (void)state;
  expect_dir("/default/c1", "/cg/default/c1");
  expect_dir("k8s/pod/c", "/cg/k8s/pod/c");
  expect_dir("system.slice:wrun:abc", "/cg/system.slice/wrun-abc.scope");
  expect_dir("kubepods-besteffort-pod12.slice:cri-containerd:deadbeef",
             "/cg/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/cri-containerd-deadbeef.scope");
  expect_dir(":wrun:x", "/cg/system.slice/wrun-x.scope"); /* no slice: system.slice, as runc */
  expect_dir("-.slice:p:x", "/cg/p-x.scope");             /* the root slice */
  expect_dir("a.slice::x", "/cg/a.slice/x.scope");
  expect_dir("a.slice:p:b-c.slice", "/cg/a.slice/b-c.slice"); /* a slice as the unit */
  expect_refused("/default/../../etc");
  expect_refused("/a/./b");
  expect_refused("/");
  expect_refused("bad:prefix:name");        /* not a slice */
  expect_refused("a--b.slice:p:x");         /* doubled dash */
  expect_refused("-a.slice:p:x");           /* leading dash */
  expect_refused("a.slice:p:x/y");          /* a unit name with a slash */
  expect_refused("a.slice:p:");             /* no name */
}

static char *write_config(const char *json) {
  static char path[64];
  snprintf(path, sizeof path, "/tmp/wrun-cgtest-XXXXXX");
  int fd = mkstemp(path);
  assert_true(fd >= 0);
  assert_int_equal(write(fd, json, strlen(json)), (ssize_t)strlen(json));
  close(fd);
  return path;
}

static void spec_resources(void **state) {
  (void)state;
  shim_spec s;
  char err[512];
  char *p = write_config("{\"process\":{\"args\":[\"/a.wasm\"],\"env\":[\"WRUN_SERVE_ADDR=127.0.0.1:9000\"]},"
                         "\"linux\":{\"cgroupsPath\":\"/default/t1\",\"resources\":{\"memory\":{\"limit\":67108864},"
                         "\"cpu\":{\"quota\":50000,\"period\":100000,\"shares\":1024},\"pids\":{\"limit\":32}}}}");
  assert_true(shim_spec_load(p, &s, err, sizeof err));
  assert_string_equal(s.cgroups_path, "/default/t1");
  assert_int_equal(s.memory_limit, 67108864);
  assert_int_equal(s.cpu_quota, 50000);
  assert_int_equal(s.cpu_period, 100000);
  assert_int_equal(s.pids_limit, 32);
  assert_string_equal(s.serve_addr, "127.0.0.1:9000");
  shim_spec_free(&s);
  unlink(p);

  /* the annotation wins over the env; quota -1 is no limit; no cgroupsPath: none */
  p = write_config("{\"process\":{\"args\":[\"/a.wasm\"],\"env\":[\"WRUN_SERVE_ADDR=127.0.0.1:9000\"]},"
                   "\"annotations\":{\"io.wrun.serve-addr\":\"[::1]:81\"},"
                   "\"linux\":{\"resources\":{\"cpu\":{\"quota\":-1}}}}");
  assert_true(shim_spec_load(p, &s, err, sizeof err));
  assert_string_equal(s.serve_addr, "[::1]:81");
  assert_int_equal(s.cpu_quota, 0);
  assert_null(s.cgroups_path);
  shim_spec_free(&s);
  unlink(p);

  p = write_config("{\"process\":{\"args\":[\"/a.wasm\"]}}");
  assert_true(shim_spec_load(p, &s, err, sizeof err));
  assert_string_equal(s.serve_addr, SHIM_SERVE_DEFAULT_ADDR);
  shim_spec_free(&s);
  unlink(p);

  /* a resource of the wrong type is named in one line */
  p = write_config("{\"process\":{\"args\":[\"/a.wasm\"]},\"linux\":{\"resources\":{\"pids\":{\"limit\":\"32\"}}}}");
  assert_false(shim_spec_load(p, &s, err, sizeof err));
  assert_non_null(strstr(err, "linux.resources.pids.limit must be an integer"));
  unlink(p);
  p = write_config("{\"process\":{\"args\":[\"/a.wasm\"]},\"linux\":{\"cgroupsPath\":7}}");
  assert_false(shim_spec_load(p, &s, err, sizeof err));
  assert_non_null(strstr(err, "linux.cgroupsPath must be a string"));
  unlink(p);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cgroup_paths),
      cmocka_unit_test(spec_resources),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
