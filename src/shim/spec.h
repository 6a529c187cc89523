/*
 * spec.h — the part of an OCI runtime spec (a bundle's config.json) that a
 * Wasm workload uses: process args, env and cwd, the root path, bind mounts
 * (preopened for the guest), the resources (memory, cpu, pids), the cgroup,
 * the network namespace and wrun's own annotations.
 */
#ifndef WRUN_SHIM_SPEC_H
#define WRUN_SHIM_SPEC_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

typedef struct shim_mount {
  char *destination;   /* the guest path */
  char *source;        /* host directory */
  bool readonly;
} shim_mount;

typedef struct shim_spec {
  char **args;         /* process.args, NULL-terminated */
  int nargs;
  char **env;          /* process.env "NAME=VALUE" */
  int nenv;
  char *cwd;           /* process.cwd ("/" when absent) */
  char *root;          /* root.path as given (relative to the bundle or absolute) */
  bool root_readonly;
  shim_mount *mounts;  /* bind mounts of directories; proc, sysfs, tmpfs... mean nothing to a guest */
  int nmounts;
  uint64_t memory_limit; /* linux.resources.memory.limit in bytes, 0: none */
  uint64_t timeout_ns;   /* annotation "io.wrun.timeout" (e.g. "5s", "250ms"), 0: none */
  char *sandbox_id;      /* annotation "io.kubernetes.cri.sandbox-id": the pod's shim is shared */
  bool pod_sandbox;      /* annotation "io.kubernetes.cri.container-type" is "sandbox": the pod's
                          * pause container, which holds no program of ours (workload.h) */
  char *oci_layout;      /* annotation "io.wrun.oci-layout": the program is a Wasm layer there (layout.h) */
  char *netns;           /* linux.namespaces' network path: the pod's network, joined by the task */
  char *cgroups_path;    /* linux.cgroupsPath: the task's cgroup (cgroup.h), NULL: none */
  int64_t cpu_quota;     /* linux.resources.cpu.quota in microseconds per period, 0: none */
  uint64_t cpu_period;   /* linux.resources.cpu.period in microseconds, 0: the default (100000) */
  int64_t pids_limit;    /* linux.resources.pids.limit, 0: none */
  char *serve_addr;      /* where an HTTP handler listens: annotation io.wrun.serve-addr, else
                          * WRUN_SERVE_ADDR of process.env, else SHIM_SERVE_DEFAULT_ADDR */
} shim_spec;

#define SHIM_SERVE_DEFAULT_ADDR "0.0.0.0:8080"

/* Reads and checks config.json at `path`. On failure writes one line
 * (PATH: what is wrong) into err and returns false; *s is then empty. */
bool shim_spec_load(const char *path, shim_spec *s, char *err, size_t errlen);
void shim_spec_free(shim_spec *s);

/* The directory of `cgroups_path` under `root`: a plain path ("/default/id")
 * as is, systemd's "slice:prefix:name" as the slice's nested directories and
 * "prefix-name.scope", as runc expands it. False (with one line in err) for
 * a malformed path or one with . or .. components. */
bool shim_cgroup_dir(const char *root, const char *cgroups_path, char *out, size_t outlen, char *err, size_t errlen);

/* Parses "5s", "250ms", "2m", "100us", "30" (seconds) into nanoseconds. */
bool shim_parse_duration(const char *text, uint64_t *ns);

#endif
