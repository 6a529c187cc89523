/*
 * events.c — publishes task events to containerd. containerd 1.6 gives a v2
 * shim the address of its ttrpc socket in $TTRPC_ADDRESS and takes events on
 * containerd.services.events.ttrpc.v1.Events/Forward, each an Envelope of a
 * timestamp, the namespace, the topic and the event as a google.protobuf.Any
 * whose type URL is the event's protobuf name ("containerd.events.TaskExit").
 */
#include <errno.h>
#include <poll.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include "github.com/containerd/containerd/api/services/ttrpc/events/v1/events.pb-c.h"
#include "shim/shim.h"

void shim_log(const char *fmt, ...) {
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  char line[1024];
  va_list ap;
  va_start(ap, fmt);
  vsnprintf(line, sizeof line, fmt, ap);
  va_end(ap);
  fprintf(stderr, "containerd-shim-wrun-v2[%d] %lld.%03ld: %s\n", (int)getpid(), (long long)now.tv_sec,
          now.tv_nsec / 1000000, line);
  fflush(stderr);
}

/* ---- tracing (WRUN_SHIM_TRACE) ----------------------------------------------------- */

static int trace_fd = 2;       /* the shim's log; the task's copy of it in a task's process */
static int trace_on = -1;      /* unknown until first asked */

bool shim_trace_enabled(void) {
  if (trace_on < 0) {
    const char *v = getenv("WRUN_SHIM_TRACE");
    trace_on = v && *v && strcmp(v, "0") != 0;
  }
  return trace_on;
}

static const char *trace_task; /* the task a task's process traces for */

void shim_trace_set_fd(int fd, const char *task) {
  trace_fd = fd;
  trace_task = task;
}

void shim_trace(const char *task, const char *what) {
  if (!shim_trace_enabled() || trace_fd < 0) return;
  struct timespec now;
  clock_gettime(CLOCK_MONOTONIC, &now);
  char line[512];
  const char *who = task ? task : trace_task ? trace_task : "-";
  int n = snprintf(line, sizeof line, "containerd-shim-wrun-v2[%d] trace %s %s at %.3f ms\n", (int)getpid(), who,
                   what, (double)now.tv_sec * 1e3 + (double)now.tv_nsec / 1e6);
  if (n > 0 && write(trace_fd, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1) < 0) trace_on = 0;
}

static int connect_unix(const char *address) {
  if (strncmp(address, "unix://", 7) == 0) address += 7;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(address) >= sizeof sa.sun_path) return -1;
  strcpy(sa.sun_path, address);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  if (fd < 0) return -1;
  if (connect(fd, (struct sockaddr *)&sa, sizeof sa) != 0) {
    close(fd);
    return -1;
  }
  return fd;
}

void shim_publish(shim_publisher *p, const char *topic, const ProtobufCMessage *event) {
  if (!p->address || !*p->address) return;
  Google__Protobuf__Any any = GOOGLE__PROTOBUF__ANY__INIT;
  any.type_url = (char *)event->descriptor->name; /* "containerd.events.TaskExit" */
  any.value.len = protobuf_c_message_get_packed_size(event);
  any.value.data = malloc(any.value.len ? any.value.len : 1);
  if (!any.value.data) return;
  protobuf_c_message_pack(event, any.value.data);
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  Google__Protobuf__Timestamp ts = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  ts.seconds = now.tv_sec;
  ts.nanos = (int32_t)now.tv_nsec;
  Containerd__Services__Events__Ttrpc__V1__Envelope env = CONTAINERD__SERVICES__EVENTS__TTRPC__V1__ENVELOPE__INIT;
  env.timestamp = &ts;
  env.namespace_ = (char *)p->ns;
  env.topic = (char *)topic;
  env.event = &any;
  Containerd__Services__Events__Ttrpc__V1__ForwardRequest req =
      CONTAINERD__SERVICES__EVENTS__TTRPC__V1__FORWARD_REQUEST__INIT;
  req.envelope = &env;
  for (int attempt = 0; attempt < 2; attempt++) { /* once more on a fresh connection */
    if (p->fd < 0) {
      p->fd = connect_unix(p->address);
      p->next_stream = 1;
      p->pending = 0;
      ttrpc_rbuf_free(&p->in);
    }
    if (p->fd < 0) break;
    uint32_t stream = p->next_stream;
    p->next_stream += 2; /* a client's streams are odd */
    /* the answer is read by the server loop (shim_publisher_drain): a
     * containerd slow to answer never holds up a task's Wait */
    if (ttrpc_send_request(p->fd, stream, "containerd.services.events.ttrpc.v1.Events", "Forward", &req.base, p->ns,
                           5000)) {
      p->pending++;
      free(any.value.data);
      return;
    }
    close(p->fd);
    p->fd = -1;
  }
  shim_log("publishing %s to %s failed", topic, p->address);
  free(any.value.data);
}

void shim_publisher_drain(shim_publisher *p) {
  long n = ttrpc_rbuf_fill(&p->in, p->fd);
  if (n < 0 && (errno == EAGAIN || errno == EINTR)) return;
  if (n <= 0) { /* containerd closed it: the next event reconnects */
    if (p->pending) shim_log("containerd closed the events connection with %u event(s) unanswered", p->pending);
    close(p->fd);
    p->fd = -1;
    return;
  }
  for (;;) {
    ttrpc_frame f;
    long used = ttrpc_frame_parse(p->in.data, p->in.len, &f);
    if (used <= 0) {
      if (used < 0) {
        close(p->fd);
        p->fd = -1;
      }
      return;
    }
    if (f.type == TTRPC_TYPE_RESPONSE) {
      int code = ttrpc_response_code(&f);
      if (code != TTRPC_OK) shim_log("containerd refused an event (status %d)", code);
      if (p->pending) p->pending--;
    }
    ttrpc_rbuf_consume(&p->in, (size_t)used);
  }
}

void shim_publisher_close(shim_publisher *p) {
  /* the last events (TaskExit, TaskDelete) must reach containerd before the shim is gone */
  for (int waited = 0; p->fd >= 0 && p->pending && waited < 2000; waited += 10) {
    struct pollfd pfd = {.fd = p->fd, .events = POLLIN};
    if (poll(&pfd, 1, 10) > 0) shim_publisher_drain(p);
  }
  if (p->fd >= 0) close(p->fd);
  p->fd = -1;
  ttrpc_rbuf_free(&p->in);
}
