/*
 * cgroup.c — the task's cgroup v2 (cgroup.h). The shim makes the directory
 * and writes the limits at Create; the task's process writes itself into
 * cgroup.procs (through a descriptor the shim opened) before it reads the
 * program, so everything it allocates is counted. A controller the host's
 * cgroup v2 hierarchy does not offer (a hybrid host keeps memory, cpu and
 * pids on cgroup v1) cannot hold a limit: that is logged, not fatal, since
 * the engine still caps each linear memory (docs/kubernetes.md).
 */
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/statfs.h>
#include <unistd.h>

#include <linux/magic.h>

#include "shim/cgroup.h"
#include "shim/shim.h"

static bool is_cgroup2(const char *path) {
  struct statfs fs;
  return statfs(path, &fs) == 0 && fs.f_type == CGROUP2_SUPER_MAGIC;
}

const char *shim_cgroup_root(void) {
  const char *env = getenv("WRUN_SHIM_CGROUP_ROOT");
  if (env && *env) return env; /* another cgroup2 mount, or (tests) a directory standing in for one */
  if (is_cgroup2("/sys/fs/cgroup")) return "/sys/fs/cgroup";
  if (is_cgroup2("/sys/fs/cgroup/unified")) return "/sys/fs/cgroup/unified";
  return NULL;
}

static bool write_file(const char *dir, const char *file, const char *text) {
  char path[4352];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  int fd = open(path, O_WRONLY | O_CLOEXEC);
  if (fd < 0) return false;
  size_t n = strlen(text);
  bool ok = write(fd, text, n) == (ssize_t)n;
  int saved = errno;
  close(fd);
  errno = saved;
  return ok;
}

/* Reads a small file of the cgroup into buf; false if it is absent. */
static bool read_file(const char *dir, const char *file, char *buf, size_t n) {
  char path[4352];
  snprintf(path, sizeof path, "%s/%s", dir, file);
  int fd = open(path, O_RDONLY | O_CLOEXEC);
  if (fd < 0) return false;
  ssize_t got = read(fd, buf, n - 1);
  close(fd);
  if (got < 0) return false;
  buf[got] = 0;
  return true;
}

static bool offers(const char *controllers, const char *name) {
  size_t n = strlen(name);
  for (const char *p = controllers; (p = strstr(p, name)) != NULL; p += n)
    if ((p == controllers || p[-1] == ' ') && (p[n] == ' ' || p[n] == '\n' || p[n] == 0)) return true;
  return false;
}

/* mkdir -p of `dir` below `root`, enabling memory, cpu and pids for the
 * children of each level on the way (what the leaf's limits need). */
static bool make_dirs(const char *root, const char *dir, bool *created) {
  char path[4096];
  size_t rl = strlen(root);
  snprintf(path, sizeof path, "%s", dir);
  *created = false;
  for (char *p = path + rl + 1;; p++) {
    if (*p != '/' && *p != 0) continue;
    char saved = *p;
    *p = 0;
    /* the parent of this level hands down its controllers */
    char *slash = strrchr(path, '/');
    *slash = 0;
    char ctl[512];
    if (read_file(path, "cgroup.controllers", ctl, sizeof ctl)) {
      static const char *const wanted[] = {"memory", "cpu", "pids"};
      for (size_t i = 0; i < sizeof wanted / sizeof *wanted; i++) {
        char plus[16];
        snprintf(plus, sizeof plus, "+%s", wanted[i]);
        if (offers(ctl, wanted[i]) && !write_file(path, "cgroup.subtree_control", plus))
          shim_log("cgroup %s: enabling %s for its children: %s", path, wanted[i], strerror(errno));
      }
    }
    *slash = '/';
    if (mkdir(path, 0755) == 0) *created = saved == 0;
    else if (errno != EEXIST) return false;
    if (saved == 0) return true;
    *p = saved;
  }
}

/* Writes limit `file` = `value` of controller `ctl`; a controller the
 * hierarchy lacks is logged and skipped (see the header comment). */
static bool set_limit(const shim_cgroup *cg, const char *ctl, const char *file, const char *value, char *err,
                      size_t errlen) {
  char path[4352];
  snprintf(path, sizeof path, "%s/%s", cg->path, file);
  if (access(path, F_OK) != 0) {
    shim_log("cgroup %s: no %s controller in the cgroup v2 hierarchy, %s=%s not applied", cg->path, ctl, file,
             value);
    return true;
  }
  if (write_file(cg->path, file, value)) return true;
  snprintf(err, errlen, "cgroup %s: writing %s to %s: %s", cg->path, value, file, strerror(errno));
  return false;
}

bool shim_cgroup_create(const shim_spec *spec, shim_cgroup *cg, char *err, size_t errlen) {
  cg->path = NULL;
  cg->created = false;
  cg->procs_fd = -1;
  if (!spec->cgroups_path || !*spec->cgroups_path) return true;
  const char *root = shim_cgroup_root();
  if (!root) {
    shim_log("no writable cgroup v2 hierarchy: cgroup %s not made", spec->cgroups_path);
    return true;
  }
  char dir[4096];
  if (!shim_cgroup_dir(root, spec->cgroups_path, dir, sizeof dir, err, errlen)) return false;
  if (!(cg->path = strdup(dir))) {
    snprintf(err, errlen, "cgroup %s: out of memory", dir);
    return false;
  }
  if (!make_dirs(root, dir, &cg->created)) {
    snprintf(err, errlen, "cgroup %s: %s", dir, strerror(errno));
    goto fail;
  }
  char v[64];
  if (spec->memory_limit) {
    snprintf(v, sizeof v, "%llu", (unsigned long long)spec->memory_limit);
    if (!set_limit(cg, "memory", "memory.max", v, err, errlen)) goto fail;
  }
  if (spec->cpu_quota > 0 || spec->cpu_period) {
    uint64_t period = spec->cpu_period ? spec->cpu_period : 100000;
    if (spec->cpu_quota > 0) snprintf(v, sizeof v, "%lld %llu", (long long)spec->cpu_quota, (unsigned long long)period);
    else snprintf(v, sizeof v, "max %llu", (unsigned long long)period);
    if (!set_limit(cg, "cpu", "cpu.max", v, err, errlen)) goto fail;
  }
  if (spec->pids_limit > 0) {
    snprintf(v, sizeof v, "%lld", (long long)spec->pids_limit);
    if (!set_limit(cg, "pids", "pids.max", v, err, errlen)) goto fail;
  }
  char procs[4352];
  snprintf(procs, sizeof procs, "%s/cgroup.procs", dir);
  if ((cg->procs_fd = open(procs, O_WRONLY | O_CLOEXEC)) < 0) {
    snprintf(err, errlen, "%s: %s", procs, strerror(errno));
    goto fail;
  }
  return true;
fail:
  shim_cgroup_remove(cg);
  return false;
}

bool shim_cgroup_join(int procs_fd) { return procs_fd < 0 || write(procs_fd, "0", 1) == 1; }

void shim_cgroup_remove(shim_cgroup *cg) {
  if (cg->procs_fd >= 0) close(cg->procs_fd);
  cg->procs_fd = -1;
  if (cg->path && cg->created && rmdir(cg->path) != 0 && errno != ENOENT)
    shim_log("cgroup %s: removing it: %s", cg->path, strerror(errno));
  free(cg->path);
  cg->path = NULL;
  cg->created = false;
}

/* The value of `key` in a "key value" per line file (cpu.stat). */
static uint64_t keyed(const char *text, const char *key) {
  size_t n = strlen(key);
  for (const char *p = text; p && *p; p = strchr(p, '\n'), p = p ? p + 1 : NULL)
    if (strncmp(p, key, n) == 0 && p[n] == ' ') return strtoull(p + n + 1, NULL, 10);
  return 0;
}

bool shim_cgroup_stats_read(const shim_cgroup *cg, shim_cgroup_stats *st) {
  memset(st, 0, sizeof *st);
  char buf[2048];
  if (!cg->path || !read_file(cg->path, "cgroup.procs", buf, sizeof buf)) return false;
  if (read_file(cg->path, "memory.current", buf, sizeof buf)) st->memory_current = strtoull(buf, NULL, 10);
  if (read_file(cg->path, "memory.max", buf, sizeof buf) && strncmp(buf, "max", 3) != 0)
    st->memory_max = strtoull(buf, NULL, 10);
  if (read_file(cg->path, "pids.current", buf, sizeof buf)) st->pids_current = strtoull(buf, NULL, 10);
  if (read_file(cg->path, "cpu.stat", buf, sizeof buf)) {
    st->cpu_usage_usec = keyed(buf, "usage_usec");
    st->cpu_user_usec = keyed(buf, "user_usec");
    st->cpu_system_usec = keyed(buf, "system_usec");
  }
  return true;
}
