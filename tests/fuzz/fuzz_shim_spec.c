/*
 * fuzz_shim_spec.c — the containerd shim's reading of a bundle's config.json
 * (src/shim/spec.c) on any bytes: it either fails with one line naming the
 * file, or gives a spec whose invariants hold (a non-empty NULL-terminated
 * args, env entries and mounts as counted, absolute mount destinations);
 * its linux.cgroupsPath becomes a directory below the root without . or ..
 * components, or is refused in one line.
 */
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "shim/spec.h"

#define CHECK(c)       \
  do {                 \
    if (!(c)) abort(); \
  } while (0)

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  static int fd = -1;
  static char path[64];
  if (fd < 0) {
    fd = memfd_create("config.json", 0);
    CHECK(fd >= 0);
    snprintf(path, sizeof path, "/proc/self/fd/%d", fd);
  }
  CHECK(ftruncate(fd, 0) == 0);
  CHECK(pwrite(fd, data, size, 0) == (ssize_t)size);
  shim_spec s;
  char err[512];
  err[0] = 0;
  if (!shim_spec_load(path, &s, err, sizeof err)) {
    CHECK(strncmp(err, path, strlen(path)) == 0 && !strchr(err, '\n'));
    CHECK(s.args == NULL && s.nargs == 0);
    return 0;
  }
  CHECK(s.nargs > 0 && s.args[s.nargs] == NULL && s.cwd && s.root);
  for (int i = 0; i < s.nargs; i++) CHECK(s.args[i] != NULL);
  for (int i = 0; i < s.nenv; i++) CHECK(s.env[i] != NULL);
  for (int i = 0; i < s.nmounts; i++) CHECK(s.mounts[i].destination[0] == '/' && s.mounts[i].source);
  CHECK(s.serve_addr != NULL);
  if (s.cgroups_path) {
    char dir[4096];
    if (shim_cgroup_dir("/cg", s.cgroups_path, dir, sizeof dir, err, sizeof err)) {
      CHECK(strncmp(dir, "/cg/", 4) == 0 && dir[strspn(dir + 4, "/") + 4] != 0); /* not the root itself */
      for (const char *p = dir; (p = strchr(p, '/')) != NULL; p++) /* no "." or ".." component */
        CHECK(!(p[1] == '.' && (p[2] == '/' || p[2] == 0 || (p[2] == '.' && (p[3] == '/' || p[3] == 0)))));
    } else {
      CHECK(strstr(err, "linux.cgroupsPath") != NULL && !strchr(err, '\n'));
    }
  }
  shim_spec_free(&s);
  return 0;
}
