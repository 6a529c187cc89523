/*
 * shim.h — containerd's runtime shim v2 for wrun (containerd-shim-wrun-v2):
 * one process serves the Task ttrpc service for the tasks containerd gives it
 * (one, or a pod's when grouped), runs each task's Wasm program in a forked
 * process (workload.h) and publishes task events back to containerd.
 *
 *   server.c  the poll loop: the listening socket, connections, SIGCHLD
 *   task.c    the Task service methods and the tasks' state
 *   events.c  TaskCreate/Start/Exit/Delete to containerd's ttrpc events service
 *   start.c   the `start` and `delete` commands containerd runs
 */
#ifndef WRUN_SHIM_SHIM_H
#define WRUN_SHIM_SHIM_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>
#include <sys/types.h>
#include <time.h>

#include <protobuf-c/protobuf-c.h>

#include "shim/cgroup.h"
#include "shim/ttrpc.h"

#define SHIM_TASK_SERVICE "containerd.task.v2.Task"
#define SHIM_MAX_CONNS 64

/* What containerd passes on the command line and in the environment. */
typedef struct shim_args {
  const char *ns;             /* -namespace */
  const char *id;             /* -id */
  const char *address;        /* -address: containerd's gRPC socket */
  const char *publish_binary; /* -publish-binary (containerd 1.6 publishes over ttrpc instead) */
  const char *bundle;         /* -bundle, or the working directory */
  const char *ttrpc_address;  /* $TTRPC_ADDRESS: containerd's ttrpc socket for events */
  const char *socket;         /* -socket: serve here (for tests); normally start.c picks it */
  bool debug;
} shim_args;

/* A Wait call parked until its task exits. */
typedef struct shim_waiter {
  uint64_t conn_serial;       /* which connection asked */
  uint32_t stream;
} shim_waiter;

typedef enum { TASK_CREATED = 1, TASK_RUNNING = 2, TASK_STOPPED = 3 } shim_task_state;

typedef struct shim_task {
  char *id, *bundle, *rootfs;
  char *stdin_path, *stdout_path, *stderr_path;
  bool terminal;
  bool mounted;               /* we mounted the rootfs (and unmount it at Delete) */
  pid_t pid;
  shim_task_state state;
  uint32_t exit_status;
  struct timespec exited_at;  /* CLOCK_REALTIME */
  struct timespec created_at; /* CLOCK_MONOTONIC: Create arrived, Start arrived (the shim's share) */
  struct timespec started_at;
  bool state_was_started;     /* it ran (exit after Start, not a Delete of a created task) */
  double create_ms;           /* time spent handling Create (mount, config, fork) */
  int start_fd;               /* write end: a byte starts the program */
  int stdin_fd, stdout_fd, stderr_fd; /* the fifos, held between their opening at Create and the fork */
  shim_cgroup cgroup;         /* the task's cgroup (path NULL: none), removed at Delete */
  shim_waiter *waiters;
  size_t nwaiters;
} shim_task;

typedef struct shim_conn {
  int fd;                     /* -1: a free slot */
  uint64_t serial;
  ttrpc_rbuf in;
} shim_conn;

typedef struct shim_publisher {
  const char *address;        /* containerd's ttrpc socket ("" or NULL: events are dropped) */
  const char *ns;
  int fd;                     /* connected lazily, reconnected after a failure */
  uint32_t next_stream;
  unsigned pending;           /* events sent and not yet answered */
  ttrpc_rbuf in;              /* containerd's answers */
} shim_publisher;

typedef struct shim_server {
  const shim_args *args;
  int listen_fd, signal_fd;
  char *socket_path;          /* removed on exit */
  shim_conn conns[SHIM_MAX_CONNS];
  uint64_t next_serial;
  shim_task **tasks;
  size_t ntasks;
  shim_publisher pub;
  bool exiting;
} shim_server;

/* The server loop on an already listening socket; returns the process's exit
 * status once Shutdown (with no tasks left) or SIGTERM ends it. */
int shim_serve(const shim_args *a, int listen_fd, const char *socket_path);

/* Handles one ttrpc request frame of connection `c` (task.c): answers it, or
 * parks it (Wait). */
void shim_dispatch(shim_server *s, shim_conn *c, const ttrpc_frame *f);

/* The request message type of Task method `method` of `service` (NULL: no
 * such method), and whether the shim implements it (the fuzz target decodes
 * requests with it). */
const ProtobufCMessageDescriptor *shim_method_request(const char *service, const char *method, bool *implemented);

/* The task `id` (NULL if none). */
shim_task *shim_find_task(shim_server *s, const char *id);
/* Reaps exited children: records statuses, answers Waits, publishes TaskExit. */
void shim_reap(shim_server *s);
/* Kills and forgets every task (shim exit). */
void shim_tasks_destroy(shim_server *s);

/* events.c: publishes `event` (a message of a containerd.events type) on
 * `topic` ("/tasks/exit"): sends it and returns; the answer is read by
 * shim_publisher_drain when p->fd is readable. Failures are logged, never
 * fatal. shim_publisher_close waits (up to 2 s) for unanswered events. */
void shim_publish(shim_publisher *p, const char *topic, const ProtobufCMessage *event);
void shim_publisher_drain(shim_publisher *p);
void shim_publisher_close(shim_publisher *p);

/* start.c: the `start` and `delete` subcommands (stdout is containerd's). */
int shim_cmd_start(const shim_args *a);
int shim_cmd_delete(const shim_args *a);

/* Logs one line to stderr (the bundle's log fifo, read by containerd). */
void shim_log(const char *fmt, ...) __attribute__((format(printf, 1, 2)));

/* With WRUN_SHIM_TRACE=1 in the shim's environment (containerd's), one log
 * line per step of a task's life with its CLOCK_MONOTONIC time, from the
 * shim and from the task's process alike (bench/containerd). The task's
 * process sets its own copy of the log descriptor (-1: none) and its task's
 * id, named in its lines. */
bool shim_trace_enabled(void);
void shim_trace(const char *task, const char *what);
void shim_trace_set_fd(int fd, const char *task);

#endif
