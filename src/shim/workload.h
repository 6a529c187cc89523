/*
 * workload.h — the process that runs one task's Wasm program. The shim forks
 * it at Create (so containerd gets a real pid); it wires the stdio fifos,
 * loads and validates the program and then waits for Start before
 * instantiating and running it on wrun's engine. Its exit status is the
 * task's: the guest's exit code, 134 for a trap, 128+N when signal N ended it.
 */
#ifndef WRUN_SHIM_WORKLOAD_H
#define WRUN_SHIM_WORKLOAD_H

#include <stdbool.h>
#include <stddef.h>
#include <sys/types.h>

#include "github.com/containerd/containerd/api/types/mount.pb-c.h"
#include "shim/spec.h"

typedef struct shim_launch {
  int module_fd;          /* the program when the shim opened it (an image layout's), else -1:
                             the process opens it in the rootfs (shim_open_module), except for a
                             pod sandbox, which only waits for a stop signal, standing in for
                             the pause container a pod's network belongs to */
  const Containerd__Types__Mount *rootfs_mount; /* mounted on rootfs by the process (NULL: none) */
  const char *task_id;    /* for the trace lines (WRUN_SHIM_TRACE) */
  const char *rootfs;     /* host directory preopened as "/" */
  const shim_spec *spec;
  int stdin_fd;           /* the stdin fifo, opened by the shim at Create (-1: /dev/null) */
  int stdout_fd, stderr_fd; /* containerd's fifos, opened by the shim at Create (-1: /dev/null) */
  int start_fd;           /* a byte read from it means Start; end of file means the task is gone */
  int cgroup_procs_fd;    /* the task's cgroup.procs, joined first thing (-1: no cgroup) */
  const char *serve_binary; /* wrun-serve beside the shim, for HTTP handlers (NULL: not found) */
} shim_launch;

/* Opens the program of `spec` (process.args[0], relative to its cwd when not
 * absolute) inside `rootfs`, resolving symlinks as if rootfs were "/", and
 * checks it starts as a Wasm module or component. Returns the descriptor, or
 * -1 with one line in err. */
int shim_open_module(const char *rootfs, const shim_spec *spec, char *err, size_t errlen);

/* Mounts containerd's rootfs mount `m` on `target` (task.c). False with one
 * line in err. */
bool shim_mount_rootfs(const Containerd__Types__Mount *m, const char *target, char *err, size_t errlen);

/* Runs in the forked child of the shim process `shim` and never returns;
 * the child is killed when the shim dies. */
_Noreturn void shim_workload_main(const shim_launch *l, pid_t shim);

#endif
