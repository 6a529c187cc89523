/* test_shim_cgroup.c — the shim's reading of a task's cgroup and resources
 * without a cgroup hierarchy: linux.cgroupsPath as a plain path and as
 * systemd's slice:prefix:name (runc's expansion of nested slices), malformed
 * paths refused with one line, and config.json's cpu, pids and memory
 * resources, cgroupsPath and the HTTP address (annotation, env, default);
 * and the files the shim writes and reads, in a plain directory standing in
 * for the hierarchy (WRUN_SHIM_CGROUP_ROOT): limits, the join, the counters,
 * and removal of only a cgroup it made. */
#include <fcntl.h>
#include <sys/stat.h>
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
             "/cg/kubepods.slice/kubepods-besteffort.slice/kubepods-besteffort-pod12.slice/"
             "cri-containerd-deadbeef.scope");
  expect_dir(":wrun:x", "/cg/system.slice/wrun-x.scope"); /* no slice: system.slice, as runc */
  expect_dir("-.slice:p:x", "/cg/p-x.scope");             /* the root slice */
  expect_dir("a.slice::x", "/cg/a.slice/x.scope");
  expect_dir("a.slice:p:b-c.slice", "/cg/a.slice/b-c.slice"); /* a slice as the unit */
  expect_refused("/default/../../etc");
  expect_refused("/a/./b");
  expect_refused("/");
  expect_refused("//");                     /* also the root itself, which no limit applies to */
  expect_refused("///");
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

static void put(const char *dir, const char *file, const char *text) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, file);
  FILE *f = fopen(p, "w");
  assert_non_null(f);
  fputs(text, f);
  fclose(f);
}

static void get(const char *dir, const char *file, char *buf, size_t n) {
  char p[512];
  snprintf(p, sizeof p, "%s/%s", dir, file);
  FILE *f = fopen(p, "r");
  assert_non_null(f);
  size_t got = fread(buf, 1, n - 1, f);
  buf[got] = 0;
  fclose(f);
}

static void cgroup_files(void **state) {
  (void)state;
  char root[] = "/tmp/wrun-cgroot-XXXXXX", leaf[256], buf[128], err[512] = "";
  assert_non_null(mkdtemp(root));
  setenv("WRUN_SHIM_CGROUP_ROOT", root, 1);
  snprintf(leaf, sizeof leaf, "%s/pod", root);
  assert_int_equal(mkdir(leaf, 0755), 0);
  snprintf(leaf, sizeof leaf, "%s/pod/t1", root);
  assert_int_equal(mkdir(leaf, 0755), 0);
  /* the files a cgroup v2 directory offers when its controllers are enabled */
  const char *files[] = {"memory.max", "cpu.max", "pids.max", "cgroup.procs"};
  for (size_t i = 0; i < 4; i++) put(leaf, files[i], "");
  shim_spec spec = {.cgroups_path = "/pod/t1", .memory_limit = 1 << 26, .cpu_quota = 25000, .pids_limit = 16};
  shim_cgroup cg;
  bool ok = shim_cgroup_create(&spec, &cg, err, sizeof err);
  if (!ok) fail_msg("create: %s", err);
  assert_string_equal(cg.path, leaf);
  assert_false(cg.created); /* it was there: not ours to remove */
  get(leaf, "memory.max", buf, sizeof buf);
  assert_string_equal(buf, "67108864");
  get(leaf, "cpu.max", buf, sizeof buf);
  assert_string_equal(buf, "25000 100000"); /* the default period */
  get(leaf, "pids.max", buf, sizeof buf);
  assert_string_equal(buf, "16");
  assert_true(shim_cgroup_join(cg.procs_fd));
  get(leaf, "cgroup.procs", buf, sizeof buf);
  assert_string_equal(buf, "0"); /* "0": the writing process itself */
  put(leaf, "memory.current", "123456\n");
  put(leaf, "cpu.stat", "usage_usec 900\nuser_usec 700\nsystem_usec 200\nnr_periods 0\n");
  put(leaf, "pids.current", "3\n");
  shim_cgroup_stats st;
  assert_true(shim_cgroup_stats_read(&cg, &st));
  assert_int_equal(st.memory_current, 123456);
  assert_int_equal(st.memory_max, 67108864);
  assert_int_equal(st.cpu_usage_usec, 900);
  assert_int_equal(st.cpu_user_usec, 700);
  assert_int_equal(st.cpu_system_usec, 200);
  assert_int_equal(st.pids_current, 3);
  shim_cgroup_remove(&cg);
  assert_null(cg.path);
  struct stat sb;
  assert_int_equal(stat(leaf, &sb), 0); /* left in place */

  /* a new leaf is made; a limit without its file (no controller) is skipped;
   * without cgroup.procs (a plain directory, not a cgroup) the task could not
   * join: refused in one line, and the directory made is removed again */
  char made[256];
  snprintf(made, sizeof made, "%s/pod/t2", root);
  shim_spec spec2 = {.cgroups_path = "pod/t2", .memory_limit = 1 << 20};
  assert_false(shim_cgroup_create(&spec2, &cg, err, sizeof err));
  assert_non_null(strstr(err, "t2/cgroup.procs"));
  assert_null(strchr(err, '\n'));
  assert_null(cg.path);
  assert_int_not_equal(stat(made, &sb), 0);
  shim_spec none = {0};
  assert_true(shim_cgroup_create(&none, &cg, err, sizeof err)); /* no cgroupsPath: no cgroup */
  assert_null(cg.path);
  for (size_t i = 0; i < 4; i++) {
    char p[512];
    snprintf(p, sizeof p, "%s/%s", leaf, files[i]);
    unlink(p);
  }
  unlink(strcat(strcpy(made, leaf), "/memory.current"));
  unlink(strcat(strcpy(made, leaf), "/cpu.stat"));
  unlink(strcat(strcpy(made, leaf), "/pids.current"));
  rmdir(leaf);
  snprintf(leaf, sizeof leaf, "%s/pod", root);
  rmdir(leaf);
  rmdir(root);
  unsetenv("WRUN_SHIM_CGROUP_ROOT");
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(cgroup_paths),
      cmocka_unit_test(spec_resources),
      cmocka_unit_test(cgroup_files),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
