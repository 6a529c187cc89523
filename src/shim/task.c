/*
 * task.c — the Task service of containerd's shim v2 protocol
 * (runtime/v2/task/shim.proto): Create mounts the rootfs containerd prepared,
 * reads the bundle's config.json and forks the task's process (workload.c),
 * which waits for Start; Wait answers when the process has exited; Delete
 * unmounts and forgets the task. Exec, Pause, Resume, Update, Checkpoint and
 * ResizePty answer Unimplemented: a Wasm task is one process with no tty.
 */
#include <errno.h>
#include <fcntl.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <linux/sched.h>
#include <sys/mount.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <sys/wait.h>
#include <unistd.h>

#include "github.com/containerd/containerd/api/events/task.pb-c.h"
#include "github.com/containerd/containerd/runtime/v2/task/shim.pb-c.h"
#include "shim/layout.h"
#include "shim/shim.h"
#include "shim/spec.h"
#include "shim/workload.h"

/* ---- tasks ------------------------------------------------------------------------- */

shim_task *shim_find_task(shim_server *s, const char *id) {
  for (size_t i = 0; i < s->ntasks; i++)
    if (strcmp(s->tasks[i]->id, id) == 0) return s->tasks[i];
  return NULL;
}

static void task_free(shim_task *t) {
  if (!t) return;
  if (t->start_fd >= 0) close(t->start_fd);
  if (t->stdin_fd >= 0) close(t->stdin_fd);
  if (t->stdout_fd >= 0) close(t->stdout_fd);
  if (t->stderr_fd >= 0) close(t->stderr_fd);
  if (t->mounted && umount2(t->rootfs, MNT_DETACH) != 0 && errno != EINVAL) /* EINVAL: never mounted */
    shim_log("unmounting %s: %s", t->rootfs, strerror(errno));
  shim_cgroup_remove(&t->cgroup);
  free(t->id);
  free(t->bundle);
  free(t->rootfs);
  free(t->stdin_path);
  free(t->stdout_path);
  free(t->stderr_path);
  free(t->waiters);
  free(t);
}

static void task_remove(shim_server *s, shim_task *t) {
  for (size_t i = 0; i < s->ntasks; i++)
    if (s->tasks[i] == t) {
      s->tasks[i] = s->tasks[--s->ntasks];
      break;
    }
  task_free(t);
}

void shim_tasks_destroy(shim_server *s) {
  for (size_t i = 0; i < s->ntasks; i++) {
    shim_task *t = s->tasks[i];
    if (t->state != TASK_STOPPED && t->pid > 0) {
      kill(t->pid, SIGKILL);
      waitpid(t->pid, NULL, 0);
    }
    task_free(t);
  }
  free(s->tasks);
  s->tasks = NULL;
  s->ntasks = 0;
}

static Google__Protobuf__Timestamp timestamp_of(const struct timespec *ts) {
  Google__Protobuf__Timestamp t = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  t.seconds = ts->tv_sec;
  t.nanos = (int32_t)ts->tv_nsec;
  return t;
}

static shim_conn *conn_by_serial(shim_server *s, uint64_t serial) {
  for (int i = 0; i < SHIM_MAX_CONNS; i++)
    if (s->conns[i].fd >= 0 && s->conns[i].serial == serial) return &s->conns[i];
  return NULL;
}

static void answer_waiters(shim_server *s, shim_task *t) {
  Containerd__Task__V2__WaitResponse r = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
  Google__Protobuf__Timestamp at = timestamp_of(&t->exited_at);
  r.exit_status = t->exit_status;
  r.exited_at = &at;
  for (size_t i = 0; i < t->nwaiters; i++) {
    shim_conn *c = conn_by_serial(s, t->waiters[i].conn_serial);
    if (c) ttrpc_respond(c->fd, t->waiters[i].stream, &r.base, TTRPC_OK, NULL);
  }
  t->nwaiters = 0;
}

static double ms_between(const struct timespec *a, const struct timespec *b) {
  return (double)(b->tv_sec - a->tv_sec) * 1e3 + (double)(b->tv_nsec - a->tv_nsec) / 1e6;
}

static void task_exited(shim_server *s, shim_task *t, int wstatus) {
  shim_trace(t->id, "exit: reaped");
  t->state_was_started = t->state == TASK_RUNNING;
  t->state = TASK_STOPPED;
  t->exit_status = WIFEXITED(wstatus) ? (uint32_t)WEXITSTATUS(wstatus) : 128u + (uint32_t)WTERMSIG(wstatus);
  clock_gettime(CLOCK_REALTIME, &t->exited_at);
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  /* the shim's own share of a container's life, for bench/containerd: Create
   * handled in C ms, and Start to exit (the program's whole run) in S ms */
  shim_log("task %s: pid %d exited with status %u; create %.3f ms, start to exit %.3f ms, create to exit %.3f ms",
           t->id, (int)t->pid, t->exit_status, t->create_ms,
           t->state_was_started ? ms_between(&t->started_at, &now) : 0.0, ms_between(&t->created_at, &now));
  answer_waiters(s, t);
  shim_trace(t->id, "exit: waiters answered");
  Containerd__Events__TaskExit ev = CONTAINERD__EVENTS__TASK_EXIT__INIT;
  Google__Protobuf__Timestamp at = timestamp_of(&t->exited_at);
  ev.container_id = t->id;
  ev.id = t->id;
  ev.pid = (uint32_t)t->pid;
  ev.exit_status = t->exit_status;
  ev.exited_at = &at;
  shim_publish(&s->pub, "/tasks/exit", &ev.base);
}

void shim_reap(shim_server *s) {
  int wstatus;
  pid_t pid;
  while ((pid = waitpid(-1, &wstatus, WNOHANG)) > 0) {
    for (size_t i = 0; i < s->ntasks; i++)
      if (s->tasks[i]->pid == pid && s->tasks[i]->state != TASK_STOPPED) {
        task_exited(s, s->tasks[i], wstatus);
        break;
      }
  }
}

/* ---- Create ------------------------------------------------------------------------ */

/* mount(2) flags and data of containerd's mount options. */
static void mount_options(const Containerd__Types__Mount *m, unsigned long *flags, char *data, size_t n) {
  static const struct { const char *name; unsigned long flag; } known[] = {
      {"ro", MS_RDONLY}, {"rbind", MS_BIND | MS_REC}, {"bind", MS_BIND}, {"nosuid", MS_NOSUID},
      {"nodev", MS_NODEV}, {"noexec", MS_NOEXEC}, {"rw", 0}};
  *flags = 0;
  data[0] = 0;
  for (size_t i = 0; i < m->n_options; i++) {
    size_t k = 0;
    while (k < sizeof known / sizeof *known && strcmp(known[k].name, m->options[i]) != 0) k++;
    if (k < sizeof known / sizeof *known) {
      *flags |= known[k].flag;
      continue;
    }
    size_t used = strlen(data);
    snprintf(data + used, n - used, "%s%s", used ? "," : "", m->options[i]);
  }
}

bool shim_mount_rootfs(const Containerd__Types__Mount *m, const char *target, char *err, size_t errlen) {
  unsigned long flags;
  char data[8192];
  mount_options(m, &flags, data, sizeof data);
  if (mkdir(target, 0711) != 0 && errno != EEXIST) {
    snprintf(err, errlen, "%s: %s", target, strerror(errno));
    return false;
  }
  unsigned long first = flags & MS_BIND ? flags & ~(unsigned long)MS_RDONLY : flags;
  if (mount(m->source, target, m->type, first, data[0] ? data : NULL) != 0) {
    snprintf(err, errlen, "mounting %s (%s) on %s: %s", m->source, m->type, target, strerror(errno));
    return false;
  }
  /* a bind mount takes read-only only from a remount */
  if ((flags & MS_BIND) && (flags & MS_RDONLY) &&
      mount(NULL, target, NULL, MS_REMOUNT | MS_BIND | MS_RDONLY, NULL) != 0) {
    snprintf(err, errlen, "remounting %s read-only: %s", target, strerror(errno));
    umount2(target, MNT_DETACH);
    return false;
  }
  return true;
}

static char *join(const char *a, const char *b) {
  size_t n = strlen(a) + strlen(b) + 2;
  char *p = malloc(n);
  if (p) snprintf(p, n, "%s/%s", a, b);
  return p;
}

static char *dup_or_empty(const char *s) { return strdup(s ? s : ""); }

/* wrun-serve in the shim's own directory (installed together), which runs a
 * task whose program is an HTTP handler; NULL when it is not there. */
static const char *serve_binary(void) {
  static char path[4096];
  static int found = -1;
  if (found < 0) {
    char self[4000];
    ssize_t n = readlink("/proc/self/exe", self, sizeof self - 1);
    char *slash = n > 0 ? (self[n] = 0, strrchr(self, '/')) : NULL;
    if (slash) *slash = 0;
    found = slash && snprintf(path, sizeof path, "%s/wrun-serve", self) < (int)sizeof path &&
            access(path, X_OK) == 0;
  }
  return found ? path : NULL;
}

/* fork(), or with a cgroup clone3(CLONE_INTO_CGROUP): the child starts in
 * it. Moving a process in afterwards (writing cgroup.procs) waits for an RCU
 * grace period on the cgroup's lock, 10 to 20 ms measured here, which
 * landed between Start and the task's exit; born in place it costs nothing.
 * The raw clone3 skips glibc's fork bookkeeping, which this single-threaded
 * server does not need (no atfork handlers of its own, no lock held by
 * another thread); the child's cached thread id stays its parent's, which
 * only pthread_kill/raise on the main thread would use. When the kernel
 * refuses (no clone3, a threaded cgroup) *in_cgroup stays false and the
 * child joins through cgroup.procs. */
static pid_t spawn_task(const shim_cgroup *cg, bool *in_cgroup) {
  *in_cgroup = false;
#if defined(SYS_clone3) && defined(CLONE_INTO_CGROUP)
  int dir = cg->path ? open(cg->path, O_RDONLY | O_DIRECTORY | O_CLOEXEC) : -1;
  if (dir >= 0) {
    struct clone_args ca;
    memset(&ca, 0, sizeof ca);
    ca.flags = CLONE_INTO_CGROUP;
    ca.exit_signal = SIGCHLD;
    ca.cgroup = (uint64_t)dir;
    long pid = syscall(SYS_clone3, &ca, sizeof ca);
    if (pid == 0) {
      *in_cgroup = true;
      return 0; /* the child: its copy of dir goes with close_range */
    }
    close(dir);
    if (pid > 0) {
      *in_cgroup = true;
      return (pid_t)pid;
    }
    shim_log("clone3 into cgroup %s: %s; forking and joining instead", cg->path, strerror(errno));
  }
#else
  (void)cg;
#endif
  return fork();
}

static int create_task(shim_server *s, const Containerd__Task__V2__CreateTaskRequest *r, shim_task **out,
                       char *err, size_t errlen) {
  if (!r->id || !*r->id || !r->bundle || !*r->bundle) {
    snprintf(err, errlen, "create: id and bundle are required");
    return TTRPC_INVALID_ARGUMENT;
  }
  if (shim_find_task(s, r->id)) {
    snprintf(err, errlen, "task %s: already exists", r->id);
    return TTRPC_ALREADY_EXISTS;
  }
  if (r->terminal) {
    snprintf(err, errlen, "task %s: a terminal is not supported for Wasm tasks", r->id);
    return TTRPC_INVALID_ARGUMENT;
  }
  if (r->n_rootfs > 1) {
    snprintf(err, errlen, "task %s: %zu rootfs mounts given, one is supported", r->id, r->n_rootfs);
    return TTRPC_INVALID_ARGUMENT;
  }
  char *config = join(r->bundle, "config.json");
  shim_spec spec;
  bool ok = config && shim_spec_load(config, &spec, err, errlen);
  free(config);
  if (!ok) return TTRPC_INVALID_ARGUMENT;
  shim_trace(r->id, "create: config.json read");
  shim_task *t = calloc(1, sizeof *t);
  int code = TTRPC_INTERNAL;
  int pipefd[2] = {-1, -1}, module_fd = -1;
  if (!t) goto fail;
  t->start_fd = t->stdin_fd = t->stdout_fd = t->stderr_fd = t->cgroup.procs_fd = -1;
  clock_gettime(CLOCK_MONOTONIC, &t->created_at);
  t->id = strdup(r->id);
  t->bundle = strdup(r->bundle);
  t->rootfs = spec.root[0] == '/' ? strdup(spec.root) : join(r->bundle, spec.root);
  t->stdin_path = dup_or_empty(r->stdin);
  t->stdout_path = dup_or_empty(r->stdout);
  t->stderr_path = dup_or_empty(r->stderr);
  if (!t->id || !t->bundle || !t->rootfs || !t->stdin_path || !t->stdout_path || !t->stderr_path) goto fail;
  /* the task's process mounts the rootfs and opens the program (workload.c)
   * while containerd answers Create and sends Start; an image layout's
   * program is outside the rootfs and opened here */
  t->mounted = r->n_rootfs == 1 && !spec.pod_sandbox;
  if (spec.oci_layout && (module_fd = shim_open_layout_module(spec.oci_layout, err, errlen)) < 0) {
    code = TTRPC_INVALID_ARGUMENT;
    goto fail_msg;
  }
  /* the reading end of stdin is opened now, without waiting: containerd's
   * writer, waiting for a reader, then connects at once, and the task reads
   * its data and then end of file when containerd closes (also when there
   * was nothing to copy and containerd never opened its end for good) */
  if (*t->stdin_path && (t->stdin_fd = open(t->stdin_path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)) < 0) {
    snprintf(err, errlen, "%s: %s", t->stdin_path, strerror(errno));
    goto fail_msg;
  }
  /* the output fifos too, read and write so that the open never waits:
   * containerd's reader connects whenever it gets to it, and holds the
   * output even if the task ends before it does; end of file comes when the
   * task's process, the only other holder, exits */
  if ((*t->stdout_path && (t->stdout_fd = open(t->stdout_path, O_RDWR | O_CLOEXEC)) < 0) ||
      (*t->stderr_path && (t->stderr_fd = open(t->stderr_path, O_RDWR | O_CLOEXEC)) < 0)) {
    snprintf(err, errlen, "%s: %s", t->stdout_fd < 0 ? t->stdout_path : t->stderr_path, strerror(errno));
    goto fail_msg;
  }
  shim_trace(r->id, "create: program and fifos open");
  if (!shim_cgroup_create(&spec, &t->cgroup, err, errlen)) goto fail_msg;
  shim_trace(r->id, "create: cgroup made");
  if (pipe2(pipefd, O_CLOEXEC) != 0) goto fail;
  shim_task **grown = realloc(s->tasks, (s->ntasks + 1) * sizeof *grown);
  if (!grown) goto fail;
  s->tasks = grown;
  pid_t shim = getpid();
  bool in_cgroup = false;
  pid_t pid = spawn_task(&t->cgroup, &in_cgroup);
  if (pid < 0) goto fail;
  if (pid == 0) {
    close(pipefd[1]);
    shim_launch l = {.module_fd = module_fd, .rootfs_mount = t->mounted ? r->rootfs[0] : NULL,
                     .task_id = t->id, .rootfs = t->rootfs, .spec = &spec, .stdin_fd = t->stdin_fd,
                     .stdout_fd = t->stdout_fd, .stderr_fd = t->stderr_fd, .start_fd = pipefd[0],
                     .cgroup_procs_fd = in_cgroup ? -1 : t->cgroup.procs_fd, .serve_binary = serve_binary()};
    shim_workload_main(&l, shim);
  }
  shim_trace(r->id, "create: task process spawned");
  close(pipefd[0]);
  if (module_fd >= 0) close(module_fd);
  /* the fifos are the task's now */
  if (t->stdin_fd >= 0) close(t->stdin_fd);
  if (t->stdout_fd >= 0) close(t->stdout_fd);
  if (t->stderr_fd >= 0) close(t->stderr_fd);
  t->stdin_fd = t->stdout_fd = t->stderr_fd = -1;
  if (t->cgroup.procs_fd >= 0) close(t->cgroup.procs_fd); /* the task joined (or failed and exits) */
  t->cgroup.procs_fd = -1;
  t->pid = pid;
  t->start_fd = pipefd[1];
  t->state = TASK_CREATED;
  s->tasks[s->ntasks++] = t;
  shim_spec_free(&spec);
  struct timespec done;
  clock_gettime(CLOCK_MONOTONIC, &done);
  t->create_ms = ms_between(&t->created_at, &done);
  *out = t;
  return TTRPC_OK;
fail:
  snprintf(err, errlen, "task %s: %s", r->id, strerror(errno ? errno : ENOMEM));
fail_msg:
  if (pipefd[0] >= 0) close(pipefd[0]);
  if (pipefd[1] >= 0) close(pipefd[1]);
  if (module_fd >= 0) close(module_fd);
  task_free(t);
  shim_spec_free(&spec);
  return code;
}

/* ---- dispatch ---------------------------------------------------------------------- */

typedef struct call {
  shim_server *s;
  shim_conn *c;
  uint32_t stream;
} call;

static void reply(const call *k, const ProtobufCMessage *msg) { ttrpc_respond(k->c->fd, k->stream, msg, TTRPC_OK, NULL); }

static void fail(const call *k, int code, const char *fmt, const char *id) {
  char msg[512];
  snprintf(msg, sizeof msg, fmt, id ? id : "");
  ttrpc_respond(k->c->fd, k->stream, NULL, code, msg);
}

/* The task a request names; answers NotFound (and returns NULL) when there is
 * none, or when it names an exec process (there are none). */
static shim_task *named_task(const call *k, const char *id, const char *exec_id) {
  shim_task *t = id ? shim_find_task(k->s, id) : NULL;
  if (!t) {
    fail(k, TTRPC_NOT_FOUND, "task %s: not found", id);
    return NULL;
  }
  if (exec_id && *exec_id && strcmp(exec_id, id) != 0) {
    fail(k, TTRPC_NOT_FOUND, "exec %s: not found (a Wasm task has no exec processes)", exec_id);
    return NULL;
  }
  return t;
}

static void do_create(const call *k, const Containerd__Task__V2__CreateTaskRequest *r) {
  shim_trace(r->id, "create: request");
  char err[1024];
  shim_task *t = NULL;
  int code = create_task(k->s, r, &t, err, sizeof err);
  if (code != TTRPC_OK) {
    shim_log("create %s: %s", r->id, err);
    ttrpc_respond(k->c->fd, k->stream, NULL, code, err);
    return;
  }
  Containerd__Task__V2__CreateTaskResponse resp = CONTAINERD__TASK__V2__CREATE_TASK_RESPONSE__INIT;
  resp.pid = (uint32_t)t->pid;
  reply(k, &resp.base);
  shim_trace(t->id, "create: answered");
  Containerd__Events__TaskCreate ev = CONTAINERD__EVENTS__TASK_CREATE__INIT;
  Containerd__Events__TaskIO io = CONTAINERD__EVENTS__TASK_IO__INIT;
  io.stdin = t->stdin_path;
  io.stdout = t->stdout_path;
  io.stderr = t->stderr_path;
  ev.container_id = t->id;
  ev.bundle = t->bundle;
  ev.n_rootfs = r->n_rootfs;
  ev.rootfs = r->rootfs;
  ev.io = &io;
  ev.pid = (uint32_t)t->pid;
  shim_publish(&k->s->pub, "/tasks/create", &ev.base);
}

static void do_start(const call *k, const Containerd__Task__V2__StartRequest *r) {
  shim_task *t = named_task(k, r->id, r->exec_id);
  if (!t) return;
  if (t->state != TASK_CREATED) {
    fail(k, TTRPC_FAILED_PRECONDITION, "task %s: already started", t->id);
    return;
  }
  shim_trace(t->id, "start: request");
  char go = 1;
  if (write(t->start_fd, &go, 1) != 1) {
    fail(k, TTRPC_INTERNAL, "task %s: its process is gone", t->id);
    return;
  }
  close(t->start_fd);
  t->start_fd = -1;
  t->state = TASK_RUNNING;
  clock_gettime(CLOCK_MONOTONIC, &t->started_at);
  Containerd__Task__V2__StartResponse resp = CONTAINERD__TASK__V2__START_RESPONSE__INIT;
  resp.pid = (uint32_t)t->pid;
  reply(k, &resp.base);
  shim_trace(t->id, "start: answered");
  Containerd__Events__TaskStart ev = CONTAINERD__EVENTS__TASK_START__INIT;
  ev.container_id = t->id;
  ev.pid = (uint32_t)t->pid;
  shim_publish(&k->s->pub, "/tasks/start", &ev.base);
}

static void do_state(const call *k, const Containerd__Task__V2__StateRequest *r) {
  shim_task *t = named_task(k, r->id, r->exec_id);
  if (!t) return;
  Containerd__Task__V2__StateResponse resp = CONTAINERD__TASK__V2__STATE_RESPONSE__INIT;
  Google__Protobuf__Timestamp at = timestamp_of(&t->exited_at);
  resp.id = t->id;
  resp.bundle = t->bundle;
  resp.pid = (uint32_t)t->pid;
  resp.status = (Containerd__V1__Types__Status)t->state;
  resp.stdin = t->stdin_path;
  resp.stdout = t->stdout_path;
  resp.stderr = t->stderr_path;
  resp.exit_status = t->exit_status;
  if (t->state == TASK_STOPPED) resp.exited_at = &at;
  resp.exec_id = r->exec_id;
  reply(k, &resp.base);
}

static void do_wait(const call *k, const Containerd__Task__V2__WaitRequest *r) {
  shim_task *t = named_task(k, r->id, r->exec_id);
  if (!t) return;
  if (t->state != TASK_STOPPED) { /* answered by answer_waiters */
    shim_waiter *w = realloc(t->waiters, (t->nwaiters + 1) * sizeof *w);
    if (!w) {
      fail(k, TTRPC_INTERNAL, "task %s: out of memory", t->id);
      return;
    }
    t->waiters = w;
    t->waiters[t->nwaiters++] = (shim_waiter){k->c->serial, k->stream};
    return;
  }
  Containerd__Task__V2__WaitResponse resp = CONTAINERD__TASK__V2__WAIT_RESPONSE__INIT;
  Google__Protobuf__Timestamp at = timestamp_of(&t->exited_at);
  resp.exit_status = t->exit_status;
  resp.exited_at = &at;
  reply(k, &resp.base);
}

static void do_kill(const call *k, const Containerd__Task__V2__KillRequest *r) {
  shim_task *t = named_task(k, r->id, r->exec_id);
  if (!t) return;
  if (t->state == TASK_STOPPED) {
    fail(k, TTRPC_NOT_FOUND, "task %s: process already finished", t->id);
    return;
  }
  if (r->signal == 0 || r->signal >= (uint32_t)NSIG || kill(t->pid, (int)r->signal) != 0) {
    fail(k, TTRPC_INVALID_ARGUMENT, "task %s: cannot send that signal", t->id);
    return;
  }
  reply(k, NULL);
}

static void do_delete(const call *k, const Containerd__Task__V2__DeleteRequest *r) {
  shim_task *t = named_task(k, r->id, r->exec_id);
  if (!t) return;
  shim_trace(t->id, "delete: request");
  if (t->state == TASK_RUNNING) {
    fail(k, TTRPC_FAILED_PRECONDITION, "task %s: still running (kill it first)", t->id);
    return;
  }
  if (t->state == TASK_CREATED) { /* never started: its process waits for a Start that will not come */
    kill(t->pid, SIGKILL);
    int ws;
    if (waitpid(t->pid, &ws, 0) == t->pid) task_exited(k->s, t, ws);
  }
  Containerd__Task__V2__DeleteResponse resp = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
  Google__Protobuf__Timestamp at = timestamp_of(&t->exited_at);
  resp.pid = (uint32_t)t->pid;
  resp.exit_status = t->exit_status;
  resp.exited_at = &at;
  Containerd__Events__TaskDelete ev = CONTAINERD__EVENTS__TASK_DELETE__INIT;
  ev.container_id = t->id;
  ev.pid = (uint32_t)t->pid;
  ev.exit_status = t->exit_status;
  ev.exited_at = &at;
  ev.id = t->id;
  if (t->mounted && umount2(t->rootfs, MNT_DETACH) != 0 && errno != EINVAL) /* EINVAL: never mounted */
    shim_log("unmounting %s: %s", t->rootfs, strerror(errno));
  t->mounted = false;
  shim_trace(t->id, "delete: rootfs unmounted");
  shim_cgroup_remove(&t->cgroup); /* its process was reaped: the cgroup is empty */
  shim_trace(t->id, "delete: cgroup removed");
  reply(k, &resp.base);
  shim_trace(t->id, "delete: answered");
  shim_publish(&k->s->pub, "/tasks/delete", &ev.base);
  task_remove(k->s, t);
}

static void do_pids(const call *k, const Containerd__Task__V2__PidsRequest *r) {
  shim_task *t = named_task(k, r->id, NULL);
  if (!t) return;
  Containerd__Task__V2__PidsResponse resp = CONTAINERD__TASK__V2__PIDS_RESPONSE__INIT;
  Containerd__V1__Types__ProcessInfo info = CONTAINERD__V1__TYPES__PROCESS_INFO__INIT;
  Containerd__V1__Types__ProcessInfo *list[1] = {&info};
  info.pid = (uint32_t)t->pid;
  if (t->state != TASK_STOPPED) {
    resp.n_processes = 1;
    resp.processes = list;
  }
  reply(k, &resp.base);
}

static void do_close_io(const call *k, const Containerd__Task__V2__CloseIORequest *r) {
  shim_task *t = named_task(k, r->id, r->exec_id);
  if (!t) return;
  /* the task holds the only reader and containerd the only writer: its
   * closing the writer is the end of file, there is nothing to drop here */
  reply(k, NULL);
}

static void do_connect(const call *k, const Containerd__Task__V2__ConnectRequest *r) {
  shim_task *t = named_task(k, r->id, NULL);
  if (!t) return;
  Containerd__Task__V2__ConnectResponse resp = CONTAINERD__TASK__V2__CONNECT_RESPONSE__INIT;
  resp.shim_pid = (uint32_t)getpid();
  resp.task_pid = (uint32_t)t->pid;
  resp.version = "wrun " WRUN_VERSION;
  reply(k, &resp.base);
}

static void do_shutdown(const call *k, const Containerd__Task__V2__ShutdownRequest *r) {
  reply(k, NULL);
  if (k->s->ntasks == 0 || r->now) k->s->exiting = true; /* tasks left: other containers of the pod */
}

static void do_stats(const call *k, const Containerd__Task__V2__StatsRequest *r);

/* The handler of each implemented method (methods.c lists them all, with
 * their request types). */
typedef void (*handler)(const call *, const void *);
static const struct {
  const char *name;
  handler fn;
} handlers[] = {
    {"Create", (handler)do_create}, {"Start", (handler)do_start},     {"State", (handler)do_state},
    {"Wait", (handler)do_wait},     {"Kill", (handler)do_kill},       {"Delete", (handler)do_delete},
    {"Pids", (handler)do_pids},     {"CloseIO", (handler)do_close_io}, {"Connect", (handler)do_connect},
    {"Shutdown", (handler)do_shutdown}, {"Stats", (handler)do_stats},
};

#include "ttrpc.pb-c.h"

void shim_dispatch(shim_server *s, shim_conn *c, const ttrpc_frame *f) {
  if (f->type != TTRPC_TYPE_REQUEST) return; /* a server gets requests only: ignore the rest */
  Wrun__Ttrpc__Request *req = wrun__ttrpc__request__unpack(NULL, f->length, f->payload);
  call k = {s, c, f->stream};
  if (!req) {
    fail(&k, TTRPC_INVALID_ARGUMENT, "malformed ttrpc request%s", "");
    return;
  }
  bool implemented = false;
  const ProtobufCMessageDescriptor *d = shim_method_request(req->service, req->method, &implemented);
  handler fn = NULL;
  for (size_t i = 0; implemented && i < sizeof handlers / sizeof *handlers; i++)
    if (strcmp(handlers[i].name, req->method) == 0) fn = handlers[i].fn;
  if (!d) {
    char what[300];
    snprintf(what, sizeof what, "%.120s/%.120s", req->service, req->method);
    fail(&k, TTRPC_UNIMPLEMENTED, "%s: no such method", what);
  } else if (!fn) {
    fail(&k, TTRPC_UNIMPLEMENTED, "%s: not implemented by the wrun shim (Wasm tasks are one process)", req->method);
  } else {
    ProtobufCMessage *args = protobuf_c_message_unpack(d, NULL, req->payload.len, req->payload.data);
    if (!args) fail(&k, TTRPC_INVALID_ARGUMENT, "%s: malformed request", req->method);
    else fn(&k, args);
    protobuf_c_message_free_unpacked(args, NULL);
  }
  wrun__ttrpc__request__free_unpacked(req, NULL);
}

/* ---- Stats ------------------------------------------------------------------------- */

#include "cgroups/metrics.pb-c.h"

/* cgroup v2 metrics (what `ctr task metrics` and the CRI read): the task's
 * cgroup's counters (cgroup.c), or without a cgroup the process's CPU time
 * and resident memory from /proc. */
static void do_stats(const call *k, const Containerd__Task__V2__StatsRequest *r) {
  shim_task *t = named_task(k, r->id, NULL);
  if (!t) return;
  Io__Containerd__Cgroups__V2__Metrics m = IO__CONTAINERD__CGROUPS__V2__METRICS__INIT;
  Io__Containerd__Cgroups__V2__PidsStat pids = IO__CONTAINERD__CGROUPS__V2__PIDS_STAT__INIT;
  Io__Containerd__Cgroups__V2__CPUStat cpu = IO__CONTAINERD__CGROUPS__V2__CPUSTAT__INIT;
  Io__Containerd__Cgroups__V2__MemoryStat mem = IO__CONTAINERD__CGROUPS__V2__MEMORY_STAT__INIT;
  m.pids = &pids;
  m.cpu = &cpu;
  m.memory = &mem;
  if (t->state != TASK_STOPPED) {
    pids.current = 1;
    char path[64], buf[1024];
    snprintf(path, sizeof path, "/proc/%d/stat", (int)t->pid);
    FILE *f = fopen(path, "r");
    unsigned long long utime = 0, stime = 0;
    if (f && fgets(buf, sizeof buf, f)) {
      const char *p = strrchr(buf, ')'); /* past the command name, which may hold spaces */
      if (p) sscanf(p + 2, "%*c %*d %*d %*d %*d %*d %*u %*u %*u %*u %*u %llu %llu", &utime, &stime);
    }
    if (f) fclose(f);
    long hz = sysconf(_SC_CLK_TCK);
    cpu.user_usec = utime * 1000000ull / (unsigned long long)(hz > 0 ? hz : 100);
    cpu.system_usec = stime * 1000000ull / (unsigned long long)(hz > 0 ? hz : 100);
    cpu.usage_usec = cpu.user_usec + cpu.system_usec;
    snprintf(path, sizeof path, "/proc/%d/statm", (int)t->pid);
    f = fopen(path, "r");
    unsigned long long size = 0, rss = 0;
    if (f && fscanf(f, "%llu %llu", &size, &rss) == 2) mem.usage = rss * (unsigned long long)sysconf(_SC_PAGESIZE);
    if (f) fclose(f);
    /* the cgroup's counters where its controllers give them (cpu.stat always) */
    shim_cgroup_stats cs;
    if (shim_cgroup_stats_read(&t->cgroup, &cs)) {
      cpu.usage_usec = cs.cpu_usage_usec;
      cpu.user_usec = cs.cpu_user_usec;
      cpu.system_usec = cs.cpu_system_usec;
      if (cs.pids_current) pids.current = cs.pids_current;
      if (cs.memory_current) mem.usage = cs.memory_current;
      mem.usage_limit = cs.memory_max;
    }
  }
  Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
  any.type_url = "io.containerd.cgroups.v2.Metrics";
  any.value.len = protobuf_c_message_get_packed_size(&m.base);
  any.value.data = malloc(any.value.len + 1);
  if (!any.value.data) {
    fail(k, TTRPC_INTERNAL, "task %s: out of memory", t->id);
    return;
  }
  protobuf_c_message_pack(&m.base, any.value.data);
  Containerd__Task__V2__StatsResponse resp = CONTAINERD__TASK__V2__STATS_RESPONSE__INIT;
  resp.stats = &any;
  reply(k, &resp.base);
  free(any.value.data);
}
