/*
 * cgroup.h — a task's cgroup (cgroup v2): made at Create from the spec's
 * linux.cgroupsPath with the limits of linux.resources, joined by the task's
 * process before it loads the program, read by Stats, removed at Delete.
 */
#ifndef WRUN_SHIM_CGROUP_H
#define WRUN_SHIM_CGROUP_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "shim/spec.h"

typedef struct shim_cgroup {
  char *path;        /* the directory under the cgroup v2 mount */
  bool created;      /* we made it (and remove it at Delete) */
  int procs_fd;      /* its cgroup.procs, open for the task to join (-1 once closed) */
} shim_cgroup;

/* The mount of the cgroup v2 hierarchy: $WRUN_SHIM_CGROUP_ROOT (taken as
 * is: the unit tests point it at a plain directory), else
 * /sys/fs/cgroup when it is cgroup2, else /sys/fs/cgroup/unified (a hybrid
 * host); NULL when there is none. */
const char *shim_cgroup_root(void);

/* (shim_cgroup_dir, which turns linux.cgroupsPath into a directory, is in
 * spec.h with the rest of what reads config.json.) */

/* Makes the task's cgroup of `spec` and writes its limits; cg->path is NULL
 * (and the call succeeds) when the spec names no cgroup or the host has no
 * writable cgroup v2. False with one line in err when a limit it asks for
 * cannot be applied. */
bool shim_cgroup_create(const shim_spec *spec, shim_cgroup *cg, char *err, size_t errlen);

/* Run by the task's process: moves itself into the cgroup through procs_fd. */
bool shim_cgroup_join(int procs_fd);

/* Closes procs_fd and, when we made it, removes the cgroup (its processes
 * must be gone). Idempotent. */
void shim_cgroup_remove(shim_cgroup *cg);

/* Memory in use (memory.current), CPU time (cpu.stat) and processes
 * (pids.current) of the cgroup; a counter its controller does not offer is 0.
 * False when the cgroup cannot be read. */
typedef struct shim_cgroup_stats {
  uint64_t memory_current, memory_max; /* memory_max 0: "max" or absent */
  uint64_t cpu_usage_usec, cpu_user_usec, cpu_system_usec;
  uint64_t pids_current;
} shim_cgroup_stats;
bool shim_cgroup_stats_read(const shim_cgroup *cg, shim_cgroup_stats *st);

#endif
