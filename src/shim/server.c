/*
 * server.c — the shim's event loop: one thread polling the listening socket,
 * containerd's connections and a signalfd (SIGCHLD: a task's process ended;
 * SIGTERM/SIGINT: stop). Requests are answered in the order they arrive;
 * Wait is parked on its task (task.c) so that a blocked Wait never holds up
 * Kill or State on the same connection.
 */
#include <errno.h>
#include <poll.h>
#include <signal.h>
#include <stdlib.h>
#include <string.h>
#include <sys/signalfd.h>
#include <sys/socket.h>
#include <unistd.h>

#include "shim/shim.h"

static void conn_close(shim_conn *c) {
  close(c->fd);
  c->fd = -1;
  ttrpc_rbuf_free(&c->in);
}

static void accept_conn(shim_server *s) {
  int fd = accept4(s->listen_fd, NULL, NULL, SOCK_CLOEXEC | SOCK_NONBLOCK);
  if (fd < 0) return;
  for (int i = 0; i < SHIM_MAX_CONNS; i++)
    if (s->conns[i].fd < 0) {
      s->conns[i] = (shim_conn){.fd = fd, .serial = ++s->next_serial};
      return;
    }
  shim_log("too many connections: refusing one");
  close(fd);
}

/* Reads what the connection has and handles every whole frame in it. */
static void serve_conn(shim_server *s, shim_conn *c) {
  long n = ttrpc_rbuf_fill(&c->in, c->fd);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) {
    conn_close(c);
    return;
  }
  size_t off = 0;
  for (;;) {
    ttrpc_frame f;
    long used = ttrpc_frame_parse(c->in.data + off, c->in.len - off, &f);
    if (used < 0) {
      shim_log("a ttrpc frame announces %u bytes, over the 4 MiB limit: closing the connection", f.length);
      conn_close(c);
      return;
    }
    if (used == 0) break;
    shim_dispatch(s, c, &f);
    off += (size_t)used;
    if (s->exiting) break;
  }
  ttrpc_rbuf_consume(&c->in, off);
}

static void take_signals(shim_server *s) {
  struct signalfd_siginfo si;
  while (read(s->signal_fd, &si, sizeof si) == (ssize_t)sizeof si) {
    if (si.ssi_signo == SIGCHLD) shim_reap(s);
    else s->exiting = true;
  }
}

int shim_serve(const shim_args *a, int listen_fd, const char *socket_path) {
  static shim_server srv; /* one per process: too big for the stack (the connection table) */
  shim_server *s = &srv;
  memset(s, 0, sizeof *s);
  s->args = a;
  s->listen_fd = listen_fd;
  s->socket_path = socket_path ? strdup(socket_path) : NULL;
  s->pub = (shim_publisher){.address = a->ttrpc_address, .ns = a->ns, .fd = -1};
  for (int i = 0; i < SHIM_MAX_CONNS; i++) s->conns[i].fd = -1;
  sigset_t set;
  sigemptyset(&set);
  sigaddset(&set, SIGCHLD);
  sigaddset(&set, SIGTERM);
  sigaddset(&set, SIGINT);
  sigprocmask(SIG_BLOCK, &set, NULL);
  signal(SIGPIPE, SIG_IGN);
  s->signal_fd = signalfd(-1, &set, SFD_CLOEXEC | SFD_NONBLOCK);
  if (s->signal_fd < 0) {
    shim_log("signalfd: %s", strerror(errno));
    return 1;
  }
  struct pollfd pfd[SHIM_MAX_CONNS + 3];
  int owner[SHIM_MAX_CONNS + 3];
  while (!s->exiting) {
    int n = 0;
    pfd[n++] = (struct pollfd){.fd = s->listen_fd, .events = POLLIN};
    pfd[n++] = (struct pollfd){.fd = s->signal_fd, .events = POLLIN};
    pfd[n++] = (struct pollfd){.fd = s->pub.fd, .events = POLLIN}; /* -1 (ignored by poll) until connected */
    for (int i = 0; i < SHIM_MAX_CONNS; i++)
      if (s->conns[i].fd >= 0) {
        owner[n] = i;
        pfd[n++] = (struct pollfd){.fd = s->conns[i].fd, .events = POLLIN};
      }
    if (poll(pfd, (nfds_t)n, -1) < 0) {
      if (errno == EINTR) continue;
      shim_log("poll: %s", strerror(errno));
      break;
    }
    if (pfd[1].revents) take_signals(s);
    if (pfd[2].revents && s->pub.fd == pfd[2].fd) shim_publisher_drain(&s->pub);
    for (int i = 3; i < n && !s->exiting; i++)
      if (pfd[i].revents && s->conns[owner[i]].fd == pfd[i].fd) serve_conn(s, &s->conns[owner[i]]);
    if (pfd[0].revents && !s->exiting) accept_conn(s);
  }
  shim_tasks_destroy(s);
  for (int i = 0; i < SHIM_MAX_CONNS; i++)
    if (s->conns[i].fd >= 0) conn_close(&s->conns[i]);
  close(s->listen_fd);
  close(s->signal_fd);
  if (s->socket_path) unlink(s->socket_path);
  free(s->socket_path);
  shim_publisher_close(&s->pub);
  return 0;
}
