/*
 * server.c — the HTTP side of `wrun serve`: h2o (HTTP/1.1 parsing, keep-alive,
 * pipelining, chunked bodies, 400/413, client timeouts) on one libuv loop per
 * worker thread, each with its own SO_REUSEPORT socket; the request limits h2o
 * does not enforce (431); exchanges (serve.h) with streamed responses; the
 * access log; and the graceful drain on SIGINT/SIGTERM.
 */
#include <arpa/inet.h>
#include <ctype.h>
#include <errno.h>
#include <netdb.h>
#include <signal.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/socket.h>
#include <sys/time.h>
#include <sys/wait.h>
#include <time.h>
#include <unistd.h>
#include <openssl/err.h>
#include <openssl/ssl.h>

#include "serve/server_internal.h"

/* Room for native frames of host calls, libuv and h2o beyond the wasm stack. */
#define WORKER_STACK_MARGIN (2u << 20)

static serve_worker *worker_of(h2o_req_t *req) {
  return (serve_worker *)((char *)req->conn->ctx - offsetof(serve_worker, ctx));
}

/* ---- addresses --------------------------------------------------------- */

/* "HOST:PORT", "[V6]:PORT" or ":PORT" (all interfaces). */
static bool resolve_addr(const char *addr, struct sockaddr_storage *ss, socklen_t *len) {
  char host[256];
  const char *colon = strrchr(addr, ':');
  if (!colon || !colon[1]) return false;
  size_t hl = (size_t)(colon - addr);
  if (hl >= sizeof host) return false;
  memcpy(host, addr, hl);
  host[hl] = 0;
  if (hl >= 2 && host[0] == '[' && host[hl - 1] == ']') {
    memmove(host, host + 1, hl - 2);
    host[hl - 2] = 0;
  }
  char *end;
  long port = strtol(colon + 1, &end, 10);
  if (*end || port < 0 || port > 65535) return false;
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM, .ai_flags = AI_PASSIVE}, *res;
  if (getaddrinfo(host[0] ? host : NULL, colon + 1, &hints, &res) != 0) return false;
  memcpy(ss, res->ai_addr, res->ai_addrlen);
  *len = res->ai_addrlen;
  freeaddrinfo(res);
  return true;
}

static void format_addr(const struct sockaddr *sa, char *buf, size_t size) {
  char ip[INET6_ADDRSTRLEN] = "?";
  unsigned port = 0;
  if (sa->sa_family == AF_INET) {
    const struct sockaddr_in *in = (const struct sockaddr_in *)sa;
    inet_ntop(AF_INET, &in->sin_addr, ip, sizeof ip);
    port = ntohs(in->sin_port);
    snprintf(buf, size, "%s:%u", ip, port);
  } else if (sa->sa_family == AF_INET6) {
    const struct sockaddr_in6 *in = (const struct sockaddr_in6 *)sa;
    inet_ntop(AF_INET6, &in->sin6_addr, ip, sizeof ip);
    port = ntohs(in->sin6_port);
    snprintf(buf, size, "[%s]:%u", ip, port);
  } else {
    snprintf(buf, size, "unknown");
  }
}

/* A listening socket that other workers can share (SO_REUSEPORT: the kernel
 * spreads connections over them). */
static int listen_socket(const struct sockaddr *sa, socklen_t len, char *why, size_t whylen) {
  int fd = socket(sa->sa_family, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  int one = 1;
  if (fd < 0 || setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one) != 0 ||
      setsockopt(fd, SOL_SOCKET, SO_REUSEPORT, &one, sizeof one) != 0 || bind(fd, sa, len) != 0 ||
      listen(fd, 1024) != 0) {
    snprintf(why, whylen, "%s", strerror(errno));
    if (fd >= 0) close(fd);
    return -1;
  }
  return fd;
}

/* ---- threads: who runs the loop ------------------------------------------
 *
 * A worker's loop is run by one thread at a time, its owner. Guests run on
 * the owner too, but outside uv_run: h2o hands a request over (on_req
 * queues it and stops the loop) and the owner runs the queued guests before
 * polling again, so a guest that answers at once (hello) never leaves the
 * thread. Its writes are held (w->held) until it returns, or leaves the
 * loop: the loop cannot send anything meanwhile anyway, and a response then
 * goes to h2o whole, head, body and end in one send (one system call and one
 * TCP segment for hello, not one for the head and body and another for the
 * chunked body's end). A second thread, the monitor,
 * watches: when the owner's guest has run for a tick (HANDOFF_NS), the monitor takes
 * the loop over and the guest goes on as a detached thread, whose calls on
 * its exchange are posted to the loop (wake_async) and whose streamed writes
 * wait while STREAM_BACKLOG bytes are queued ahead of the client. The loop
 * thus keeps serving while a guest computes or streams. Everything shared
 * is under the worker's mutex, which the owner takes around each h2o step
 * that touches an exchange. */

struct serve_gthread {
  serve_worker *w;
  pthread_t thread;
  pthread_cond_t cv;               /* monitor ticks, idle parking, backpressure waits */
  serve_gthread *next_idle, *next_all;
  bool idle;                       /* parked in w->idle */
  bool asleep;                     /* a monitor waiting for the owner to run a guest */
  bool detached;                   /* runs a guest after the loop went to another thread */
  uint64_t seen_gen;               /* monitor: the owner's guest_gen at its last look */
};

static _Thread_local serve_gthread *this_thread; /* the worker thread running this code, if any */

/* How long the owner's guest may run before the monitor takes the loop: a
 * tick of the monitor (docs/serve.md says why not shorter). */
#define HANDOFF_NS 4000000u
/* Bytes of a streamed body a guest may have queued ahead of the client. */
#define STREAM_BACKLOG (256u << 10)
/* Threads per worker at most: the owner, the monitor and detached guests. */
#define MAX_THREADS 16

static void lock(serve_worker *w) { pthread_mutex_lock(&w->mu); }
static void unlock(serve_worker *w) { pthread_mutex_unlock(&w->mu); }

/* Under mu: this thread owns w's loop, so it may call h2o. */
static bool on_loop(const serve_worker *w) { return this_thread && this_thread->w == w && w->owner == this_thread; }

static struct timespec deadline_in(uint64_t ns) {
  struct timespec t;
  clock_gettime(CLOCK_MONOTONIC, &t);
  t.tv_sec += (time_t)(ns / 1000000000u);
  t.tv_nsec += (long)(ns % 1000000000u);
  if (t.tv_nsec >= 1000000000) {
    t.tv_sec++;
    t.tv_nsec -= 1000000000;
  }
  return t;
}

static void *gthread_main(void *arg);
static void on_wake(uv_async_t *a);

/* Under mu: a new thread for w (it starts as whatever w needs: see
 * gthread_main), or NULL. */
static serve_gthread *thread_new(serve_worker *w, void *(*start)(void *)) {
  serve_gthread *t = calloc(1, sizeof *t);
  if (!t) return NULL;
  t->w = w;
  pthread_condattr_t ca;
  pthread_condattr_init(&ca);
  pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
  pthread_cond_init(&t->cv, &ca);
  pthread_condattr_destroy(&ca);
  if (pthread_create(&t->thread, &w->srv->thread_attr, start, t) != 0) {
    pthread_cond_destroy(&t->cv);
    free(t);
    return NULL;
  }
  t->next_all = w->threads;
  w->threads = t;
  w->nthreads++;
  return t;
}

/* Under mu: makes sure a thread watches the owner (a spare one, or a new
 * one up to MAX_THREADS; beyond, a long guest keeps the loop, as it would
 * without any of this). */
static void ensure_monitor(serve_worker *w) {
  if (w->monitor || w->done) return;
  serve_gthread *m = w->idle;
  if (m) {
    w->idle = m->next_idle;
    m->idle = false;
    pthread_cond_signal(&m->cv);
  } else if (w->nthreads >= MAX_THREADS || !(m = thread_new(w, gthread_main))) {
    return;
  }
  m->seen_gen = w->guest_gen;
  w->monitor = m;
}

static void release_held(serve_worker *w);

/* Under mu: `to` runs the loop from now on; the old owner's guest goes on
 * detached. */
static void hand_loop(serve_worker *w, serve_gthread *to) {
  w->owner->detached = true;
  w->owner = to;
  w->in_guest = false;
  w->handoffs++;
  ensure_monitor(w);
}

/* Under mu, on the loop, in a guest that must wait (backpressure): gives the
 * loop to the monitor now rather than after HANDOFF_NS. False if there is
 * none (the guest then cannot wait and its bytes are kept). */
static bool detach_self(serve_worker *w) {
  serve_gthread *m = w->monitor;
  if (!m) return false;
  release_held(w);
  w->monitor = NULL;
  hand_loop(w, m);
  pthread_cond_signal(&m->cv);
  return true;
}

/* Under mu, as the monitor: one look at the owner. */
static void monitor_tick(serve_gthread *t) {
  serve_worker *w = t->w;
  if (!w->in_guest && w->guest_gen == t->seen_gen) { /* idle a whole tick: sleep until a guest runs */
    t->asleep = true;
    pthread_cond_wait(&t->cv, &w->mu);
    t->asleep = false;
    t->seen_gen = w->guest_gen;
    return;
  }
  uint64_t gen = w->guest_gen;
  t->seen_gen = gen;
  struct timespec dl = deadline_in(HANDOFF_NS);
  pthread_cond_timedwait(&t->cv, &w->mu, &dl);
  if (w->monitor == t && !w->done && w->owner && w->in_guest && w->guest_gen == gen) {
    w->monitor = NULL;
    hand_loop(w, t); /* the same guest has run for a tick: take the loop */
    release_held(w); /* and send what it wrote so far (it no longer holds the loop) */
  }
}

/* ---- guest slots and work ------------------------------------------------ */

static serve_slot *slot_take(serve_worker *w, serve_slot *need) {
  serve_slot *s = need;
  if (s) {
    for (serve_slot **p = &w->free_slots; *p; p = &(*p)->next_free)
      if (*p == s) {
        *p = s->next_free;
        break;
      }
  } else if ((s = w->free_slots) != NULL) {
    w->free_slots = s->next_free;
  } else {
    if (!(s = calloc(1, sizeof *s))) return NULL;
    s->next_all = w->slots;
    w->slots = s;
  }
  s->busy = true;
  w->nbusy++;
  return s;
}

static void slot_put(serve_worker *w, serve_slot *s) {
  s->busy = false;
  w->nbusy--;
  s->next_free = w->free_slots;
  w->free_slots = s;
  if (w->done) pthread_cond_broadcast(&w->cv);
}

static void push_work(serve_worker *w, serve_work *wk) {
  wk->next = NULL;
  *w->ready_tail = wk;
  w->ready_tail = &wk->next;
}

/* The first queued work whose slot is free (a continuation waits while a
 * detached thread still uses its request's slot). */
static serve_work *pop_runnable(serve_worker *w) {
  for (serve_work **p = &w->ready; *p; p = &(*p)->next) {
    serve_work *wk = *p;
    if (wk->need && wk->need->busy) continue;
    *p = wk->next;
    if (!*p) w->ready_tail = p;
    return wk;
  }
  return NULL;
}

static bool has_runnable(const serve_worker *w) {
  for (const serve_work *wk = w->ready; wk; wk = wk->next)
    if (!wk->need || !wk->need->busy) return true;
  return false;
}

void serve_defer_work(serve_exchange *x, serve_work *wk, void (*run)(void *), void *arg) {
  serve_worker *w = x->w;
  lock(w);
  *wk = (serve_work){.run = run, .arg = arg, .need = x->slot, .x = x};
  push_work(w, wk);
  uv_stop(&w->loop); /* run it once this loop iteration ends */
  unlock(w);
}

/* ---- exchanges --------------------------------------------------------- */

static const char *reason_of(int status) {
  switch (status) {
  case 200: return "OK";
  case 201: return "Created";
  case 204: return "No Content";
  case 301: return "Moved Permanently";
  case 302: return "Found";
  case 304: return "Not Modified";
  case 400: return "Bad Request";
  case 403: return "Forbidden";
  case 404: return "Not Found";
  case 405: return "Method Not Allowed";
  case 413: return "Payload Too Large";
  case 431: return "Request Header Fields Too Large";
  case 500: return "Internal Server Error";
  case 502: return "Bad Gateway";
  case 503: return "Service Unavailable";
  case 504: return "Gateway Timeout";
  default: return status < 300 ? "OK" : status < 400 ? "Redirect" : status < 500 ? "Client Error" : "Server Error";
  }
}

static void maybe_stop_drained(serve_worker *w) {
  lock(w);
  if (w->draining && w->inflight == 0) {
    w->drained = true;
    uv_stop(&w->loop);
  }
  unlock(w);
}

static void exchange_dispose(void *p) {
  serve_exchange *x = p;
  free(x->in_copy);
  free(x->inflight);
  free(x->pending);
  free(x->post_headers);
  free(x->post_why);
  free(x->tail);
  lock(x->w);
  x->w->inflight--;
  unlock(x->w);
  maybe_stop_drained(x->w);
}

/* A guest thread waiting for room in x's backlog goes on. */
static void wake_waiter(serve_exchange *x) {
  if (x->waiter) pthread_cond_signal(&x->waiter->cv);
}

/* Lives in the request's pool: when h2o disposes of the request, the exchange
 * forgets it and drops the request's reference. */
typedef struct req_link {
  serve_exchange *x;
} req_link;

static void req_link_dispose(void *p) {
  req_link *l = p;
  serve_worker *w = l->x->w;
  lock(w);
  l->x->req = NULL;
  wake_waiter(l->x);
  h2o_mem_release_shared(l->x);
  unlock(w);
}

static void flush(serve_exchange *x);

/* Under mu, by the loop's owner: sends what the owner's guest wrote and
 * drops the reference held for it. Called when the guest returns and before
 * the loop goes to another thread while it runs (the guest then goes on
 * detached, its writes posted as for any detached guest). */
static void release_held(serve_worker *w) {
  serve_exchange *x = w->held;
  if (!x) return;
  w->held = NULL;
  flush(x);
  h2o_mem_release_shared(x); /* x may be gone now */
}

static void on_proceed(h2o_generator_t *g, h2o_req_t *req) {
  serve_exchange *x = (serve_exchange *)g;
  serve_worker *w = x->w;
  lock(w);
  x->sending = false;
  x->inflight_len = 0;
  wake_waiter(x); /* it runs after this unlock, when flush has made room */
  flush(x);       /* last: a final send may dispose of the request and free x */
  unlock(w);
}

static void on_stop(h2o_generator_t *g, h2o_req_t *req) {
  serve_exchange *x = (serve_exchange *)g;
  lock(x->w);
  x->sending = false;
  x->sent_final = true; /* the client is gone: nothing more to send */
  wake_waiter(x);
  unlock(x->w);
}

/* On the loop: hands h2o what is pending when it is not busy with an
 * earlier write. */
static void flush(serve_exchange *x) {
  if (!x->req || x->sent_final) return;
  if (x->sending) {
    /* a response cut while h2o waits for a client that reads nothing:
     * h2o takes no second send before that write completes, so end the
     * HTTP/1 connection under it (the write then fails and h2o closes
     * it). An HTTP/2 stream is reset once h2o asks for more: shutting
     * the connection would end the client's other streams too. */
    if (x->aborting && !x->shut && x->req->version < 0x200) {
      h2o_socket_t *sock = x->req->conn->callbacks->get_socket ? x->req->conn->callbacks->get_socket(x->req->conn) : NULL;
      int fd = sock ? h2o_socket_get_fd(sock) : -1;
      if (fd >= 0) shutdown(fd, SHUT_RDWR);
      x->shut = true;
    }
    return;
  }
  if (x->aborting) { /* after the write in progress (h2o allows one at a time): cut the stream */
    x->sent_final = true;
    x->req->http1_is_persistent = 0;
    h2o_send(x->req, NULL, 0, H2O_SEND_STATE_ERROR);
    return;
  }
  if (x->pending_len == 0 && !x->finishing) return;
  uint8_t *t = x->inflight;
  size_t tcap = x->inflight_cap;
  x->inflight = x->pending;
  x->inflight_cap = x->pending_cap;
  x->inflight_len = x->pending_len;
  x->pending = t;
  x->pending_cap = tcap;
  x->pending_len = 0;
  bool final = x->finishing;
  h2o_iovec_t iov[4];
  size_t n = 0;
  if (x->self_chunked) {
    if (x->inflight_len) {
      int hl = snprintf(x->chunk_head, sizeof x->chunk_head, "%zx\r\n", x->inflight_len);
      iov[n++] = h2o_iovec_init(x->chunk_head, (size_t)hl);
      iov[n++] = h2o_iovec_init(x->inflight, x->inflight_len);
      iov[n++] = h2o_iovec_init(H2O_STRLIT("\r\n"));
      x->req->bytes_sent += x->inflight_len; /* the log counts body bytes, not framing */
    }
    if (final) iov[n++] = x->tail ? h2o_iovec_init(x->tail, x->tail_len) : h2o_iovec_init(H2O_STRLIT("0\r\n\r\n"));
  } else {
    if (x->inflight_len) iov[n++] = h2o_iovec_init(x->inflight, x->inflight_len);
    if (final && x->trailers_set) /* no chunked coding to carry them (docs/serve.md, "Trailers") */
      h2o_req_log_error(x->req, "wrun", "response trailers dropped: %s",
                        x->req->version >= 0x200   ? "h2o 2.2 cannot send HTTP/2 trailers"
                        : x->req->version < 0x101  ? "an HTTP/1.0 response has no chunked coding"
                                                   : "this response is not chunked");
  }
  x->sending = !final;
  x->sent_final = final;
  h2o_send(x->req, iov, n, final ? H2O_SEND_STATE_FINAL : H2O_SEND_STATE_IN_PROGRESS);
}

static bool hop_by_hop(const char *n, size_t len) {
  static const char *const names[] = {"connection", "content-length", "transfer-encoding", "keep-alive", "upgrade",
                                      "te", "trailer", "proxy-connection"};
  for (size_t i = 0; i < sizeof names / sizeof *names; i++)
    if (strlen(names[i]) == len && strncasecmp(names[i], n, len) == 0) return true;
  return false;
}

/* On the loop: the status line and headers go to h2o. */
static void start_response(serve_exchange *x, int status, const serve_header *h, size_t n, int64_t length) {
  x->started = true;
  if (!x->req) return;
  h2o_req_t *req = x->req;
  req->res.status = status;
  req->res.reason = reason_of(status);
  if (length >= 0) req->res.content_length = (size_t)length;
  for (size_t i = 0; i < n; i++) {
    if (hop_by_hop(h[i].name, h[i].name_len)) continue;
    /* h2o keeps pointers: copy into the request's pool */
    char *name = h2o_mem_alloc_pool(&req->pool, h[i].name_len + 1);
    char *value = h2o_mem_alloc_pool(&req->pool, h[i].value_len + 1);
    memcpy(name, h[i].name, h[i].name_len);
    name[h[i].name_len] = 0;
    memcpy(value, h[i].value, h[i].value_len);
    value[h[i].value_len] = 0;
    h2o_strtolower(name, h[i].name_len);
    h2o_add_header_by_str(&req->pool, &req->res.headers, name, h[i].name_len, 1, NULL, value, h[i].value_len);
  }
  if (length < 0 && req->version == 0x101 && status >= 200 && status != 204 && status != 304 &&
      !h2o_memis(req->input.method.base, req->input.method.len, H2O_STRLIT("HEAD"))) {
    /* h2o's chunked filter leaves a response that has this header alone, and
     * its HTTP/1 writer sends the bytes as given: framing them here lets the
     * last chunk carry trailers, which that filter cannot */
    h2o_add_header(&req->pool, &req->res.headers, H2O_TOKEN_TRANSFER_ENCODING, NULL, H2O_STRLIT("chunked"));
    req->bytes_counted_by_ostream = 1;
    x->self_chunked = true;
  }
  x->gen.proceed = on_proceed;
  x->gen.stop = on_stop;
  h2o_start_response(req, &x->gen);
}

/* Under mu, off the loop: x has calls for the owner to apply. */
static void post(serve_exchange *x) {
  serve_worker *w = x->w;
  if (!x->posted) {
    x->posted = true;
    x->post_next = w->posted;
    w->posted = x;
  }
  uv_async_send(&w->wake_async);
}

/* Under mu. */
static void start_locked(serve_exchange *x, int status, const serve_header *h, size_t n, int64_t length) {
  if (on_loop(x->w)) {
    start_response(x, status, h, n, length);
    return;
  }
  x->started = true;
  size_t bytes = (n + 1) * sizeof *h;
  for (size_t i = 0; i < n; i++) bytes += h[i].name_len + h[i].value_len;
  serve_header *c = malloc(bytes);
  if (!c) { /* the head cannot be kept: cut the response rather than send a wrong one */
    n = 0;
    x->aborting = true;
  } else {
    char *p = (char *)(c + n + 1);
    for (size_t i = 0; i < n; i++) {
      c[i] = h[i];
      c[i].name = memcpy(p, h[i].name, h[i].name_len);
      p += h[i].name_len;
      c[i].value = h[i].value_len ? memcpy(p, h[i].value, h[i].value_len) : p;
      p += h[i].value_len;
    }
  }
  x->post_start = true;
  x->post_status = status;
  x->post_length = length;
  x->post_headers = c;
  x->post_nheaders = n;
  post(x);
}

/* Under mu: x's handler reference goes (ending the exchange for it). */
static void end_locked(serve_exchange *x) {
  if (x->ended) return;
  x->ended = true;
  if (on_loop(x->w)) {
    flush(x);
    h2o_mem_release_shared(x);
  } else {
    x->post_end = true;
    post(x);
  }
}

static void fail_locked(serve_exchange *x, int status, const char *why);

/* Under mu: the server cuts a started response short on its own (the
 * handler goes on until it ends the exchange; its writes are dropped). */
static void cut_locked(serve_exchange *x, const char *why) {
  if (x->aborting || x->ended) return;
  if (x->w->held == x) release_held(x->w); /* what the guest wrote before goes out first, then the cut */
  x->aborting = true;
  if (on_loop(x->w)) {
    if (x->req) h2o_req_log_error(x->req, "wrun", "%s", why);
    flush(x);
  } else {
    if (!x->post_why) x->post_why = strdup(why); /* logged by the owner */
    post(x);
  }
}

static bool before(const struct timespec *a, const struct timespec *b) {
  return a->tv_sec < b->tv_sec || (a->tv_sec == b->tv_sec && a->tv_nsec < b->tv_nsec);
}

/* Under mu, off the loop: waits while the client is STREAM_BACKLOG bytes
 * behind. A client that takes nothing for --client-timeout, or one still
 * behind when the guest's --timeout passes, gets its response cut off (the
 * watchdog interrupts the guest at that deadline too). */
static void wait_room(serve_exchange *x) {
  serve_worker *w = x->w;
  uint64_t ns = w->srv->cfg->client_timeout_ns ? w->srv->cfg->client_timeout_ns : 10000000000u;
  struct timespec dl = deadline_in(ns);
  bool guest_first = x->guest_deadline.tv_sec && before(&x->guest_deadline, &dl);
  if (guest_first) dl = x->guest_deadline;
  x->waiter = this_thread;
  while (x->pending_len >= STREAM_BACKLOG && x->req && !x->sent_final && !x->aborting)
    if (pthread_cond_timedwait(&this_thread->cv, &w->mu, &dl) == ETIMEDOUT) {
      cut_locked(x, guest_first ? "the guest waited for a slow client past --timeout"
                                : "the client read nothing for --client-timeout");
      break;
    }
  x->waiter = NULL;
}

/* Under mu. `wait`: a streamed write, which may wait for the client. */
static void write_locked(serve_exchange *x, const void *data, size_t len, bool wait) {
  if (!x->started) start_locked(x, 200, NULL, 0, -1);
  if (!len || x->sent_final || x->ended || x->aborting || !x->req) return; /* nobody to send to */
  serve_worker *w = x->w;
  /* the owner may hand the loop over only from guest work, never from
   * inside uv_run */
  if (wait && x->pending_len >= STREAM_BACKLOG && this_thread && (!on_loop(w) || (w->in_guest && detach_self(w)))) {
    wait_room(x);
    if (x->sent_final || x->aborting || !x->req) return;
  }
  if (x->pending_len + len > x->pending_cap) {
    size_t cap = x->pending_cap ? x->pending_cap : 4096;
    while (cap < x->pending_len + len) cap *= 2;
    uint8_t *p = realloc(x->pending, cap);
    if (!p) { /* cannot keep the bytes: cut the response short rather than send a wrong one */
      fail_locked(x, 500, "out of memory");
      return;
    }
    x->pending = p;
    x->pending_cap = cap;
  }
  memcpy(x->pending + x->pending_len, data, len);
  x->pending_len += len;
  if (!on_loop(w)) {
    post(x);
  } else if (w->in_guest) { /* held until the guest returns or leaves the loop (release_held) */
    if (w->held != x) {
      release_held(w);
      h2o_mem_addref_shared(x);
      w->held = x;
    }
  } else {
    flush(x);
  }
}

/* A field that may go in a trailer section: a token name that does not
 * frame or route the message, and a value without CR, LF or NUL. */
static bool trailer_ok(const serve_header *t) {
  static const char *const framing[] = {"content-length", "host", "authorization", "content-type", "content-encoding",
                                        "content-range", "cache-control", "expect", "set-cookie"};
  if (!t->name_len || hop_by_hop(t->name, t->name_len)) return false;
  for (size_t i = 0; i < sizeof framing / sizeof *framing; i++)
    if (strlen(framing[i]) == t->name_len && strncasecmp(framing[i], t->name, t->name_len) == 0) return false;
  for (size_t i = 0; i < t->name_len; i++) {
    unsigned char c = (unsigned char)t->name[i];
    if (c <= 0x20 || c >= 0x7f || c == ':') return false;
  }
  for (size_t i = 0; i < t->value_len; i++)
    if (t->value[i] == '\r' || t->value[i] == '\n' || t->value[i] == 0) return false;
  return true;
}

/* Under mu: the last chunk with the trailer section, kept for flush (used
 * only if the response turns out to be chunked here). */
static void keep_trailers(serve_exchange *x, const serve_header *t, size_t n) {
  size_t bytes = 5, used = 0;
  for (size_t i = 0; i < n; i++)
    if (trailer_ok(&t[i])) bytes += t[i].name_len + t[i].value_len + 4, used++;
  if (!used || !(x->tail = malloc(bytes))) return; /* nothing to send, or no room: a plain last chunk */
  char *p = x->tail;
  memcpy(p, "0\r\n", 3);
  p += 3;
  for (size_t i = 0; i < n; i++) {
    if (!trailer_ok(&t[i])) continue;
    for (size_t k = 0; k < t[i].name_len; k++) *p++ = (char)tolower((unsigned char)t[i].name[k]);
    *p++ = ':';
    *p++ = ' ';
    memcpy(p, t[i].value, t[i].value_len);
    p += t[i].value_len;
    *p++ = '\r';
    *p++ = '\n';
  }
  *p++ = '\r';
  *p++ = '\n';
  x->tail_len = (size_t)(p - x->tail);
  x->trailers_set = true;
}

static void finish_locked(serve_exchange *x, const serve_header *trailers, size_t n) {
  if (x->ended) return;
  if (!x->started) start_locked(x, 200, NULL, 0, -1);
  if (n && !x->tail) keep_trailers(x, trailers, n);
  x->finishing = true;
  end_locked(x);
}

static void respond_locked(serve_exchange *x, int status, const serve_header *headers, size_t n, const void *body,
                           size_t len) {
  if (x->ended) return;
  if (!x->started) start_locked(x, status, headers, n, (int64_t)len);
  write_locked(x, body, len, false);
  finish_locked(x, NULL, 0);
}

static void fail_locked(serve_exchange *x, int status, const char *why) {
  if (x->ended) return;
  if (on_loop(x->w)) {
    if (x->req) h2o_req_log_error(x->req, "wrun", "%s", why);
  } else if (!x->post_why) {
    x->post_why = strdup(why); /* logged by the owner */
    post(x);
  }
  if (!x->started) {
    char body[256];
    int n = snprintf(body, sizeof body, "%d %s\n", status, reason_of(status));
    serve_header ct = {"content-type", 12, "text/plain; charset=utf-8", 25};
    respond_locked(x, status, &ct, 1, body, (size_t)n);
    return;
  }
  /* the status line is out: the only honest signal left is a cut-off body
   * (after what the guest wrote before, as cut_locked) */
  if (x->w->held == x) release_held(x->w);
  x->aborting = true;
  end_locked(x);
}

void serve_exchange_start(serve_exchange *x, int status, const serve_header *headers, size_t n) {
  serve_worker *w = x->w;
  lock(w);
  if (!x->started && !x->ended) start_locked(x, status, headers, n, -1);
  unlock(w);
}

void serve_exchange_write(serve_exchange *x, const void *data, size_t len) {
  serve_worker *w = x->w;
  lock(w);
  write_locked(x, data, len, true);
  unlock(w);
}

void serve_exchange_finish(serve_exchange *x) {
  serve_worker *w = x->w;
  lock(w);
  finish_locked(x, NULL, 0);
  unlock(w);
}

void serve_exchange_finish_trailers(serve_exchange *x, const serve_header *trailers, size_t n) {
  serve_worker *w = x->w;
  lock(w);
  finish_locked(x, trailers, n);
  unlock(w);
}

void serve_exchange_respond(serve_exchange *x, int status, const serve_header *headers, size_t n,
                            const void *body, size_t len) {
  serve_worker *w = x->w;
  lock(w);
  respond_locked(x, status, headers, n, body, len);
  unlock(w);
}

void serve_exchange_fail(serve_exchange *x, int status, const char *why) {
  serve_worker *w = x->w;
  lock(w);
  fail_locked(x, status, why);
  unlock(w);
}

bool serve_exchange_gone(serve_exchange *x) {
  serve_worker *w = x->w;
  lock(w);
  bool gone = !x->req || x->sent_final || x->aborting;
  unlock(w);
  return gone;
}

void serve_exchange_ref(serve_exchange *x) {
  serve_worker *w = x->w;
  lock(w);
  h2o_mem_addref_shared(x);
  unlock(w);
}

void serve_exchange_unref(serve_exchange *x) {
  serve_worker *w = x->w;
  lock(w);
  if (on_loop(w)) {
    h2o_mem_release_shared(x);
  } else {
    x->post_unref++;
    post(x);
  }
  unlock(w);
}

void serve_on_loop(serve_exchange *x, serve_loop_call *c, void (*fn)(void *), void *arg) {
  serve_worker *w = x->w;
  lock(w);
  if (on_loop(w)) {
    fn(arg);
  } else {
    *c = (serve_loop_call){w->calls, fn, arg};
    w->calls = c;
    uv_async_send(&w->wake_async);
  }
  unlock(w);
}

/* On the loop: what guest threads posted. */
static void apply_posted(serve_worker *w) {
  lock(w);
  while (w->posted) {
    serve_exchange *x = w->posted;
    w->posted = x->post_next;
    x->posted = false;
    if (x->post_start) {
      x->post_start = false;
      start_response(x, x->post_status, x->post_headers, x->post_nheaders, x->post_length);
      free(x->post_headers);
      x->post_headers = NULL;
    }
    if (x->post_why) {
      if (x->req) h2o_req_log_error(x->req, "wrun", "%s", x->post_why);
      free(x->post_why);
      x->post_why = NULL;
    }
    wake_waiter(x);
    flush(x); /* x stays: its handler's (or a fetch's) reference is released below */
    bool end = x->post_end;
    unsigned unref = x->post_unref;
    x->post_end = false;
    x->post_unref = 0;
    if (end) h2o_mem_release_shared(x);
    while (unref--) h2o_mem_release_shared(x); /* x may be gone now */
  }
  /* calls run in the order they were made */
  serve_loop_call *rev = NULL;
  while (w->calls) {
    serve_loop_call *c = w->calls;
    w->calls = c->next;
    c->next = rev;
    rev = c;
  }
  while (rev) {
    serve_loop_call *c = rev;
    rev = c->next;
    c->fn(c->arg);
  }
  unlock(w);
}

static void on_wake(uv_async_t *a) {
  serve_worker *w = a->data;
  apply_posted(w);
  lock(w);
  if (has_runnable(w)) uv_stop(&w->loop);
  unlock(w);
}

void serve_exchange_deadline(serve_exchange *x, uint64_t timeout_ns) {
  serve_worker *w = x->w;
  lock(w);
  if (timeout_ns) x->guest_deadline = deadline_in(timeout_ns);
  else x->guest_deadline = (struct timespec){0, 0};
  unlock(w);
}

bool serve_exchange_started(const serve_exchange *x) { return x->started; }
const serve_request *serve_exchange_request(serve_exchange *x) { return &x->in; }
const serve_config *serve_exchange_config(serve_exchange *x) { return x->w->srv->cfg; }
void **serve_exchange_worker_slot(serve_exchange *x) { return &x->slot->state; }

/* ---- requests ---------------------------------------------------------- */

static size_t header_bytes(const h2o_req_t *req) {
  size_t n = req->input.method.len + req->input.path.len + 12; /* request line */
  for (size_t i = 0; i < req->headers.size; i++)
    n += req->headers.entries[i].name->len + req->headers.entries[i].value.len + 4;
  return n;
}

static const char *put(char **p, const char *s, size_t n) {
  char *at = *p;
  if (n) memcpy(at, s, n);
  *p += n;
  return at;
}

/* The request, copied into one block the exchange owns: a guest that left
 * the loop may still read it after h2o disposed of the request. */
static bool fill_request(serve_exchange *x, h2o_req_t *req) {
  size_t nh = req->headers.size, body_len = req->entity.base ? req->entity.len : 0;
  size_t bytes = (nh + 1) * sizeof(serve_header) + req->method.len + req->path.len + req->authority.len + body_len;
  for (size_t i = 0; i < nh; i++) bytes += req->headers.entries[i].name->len + req->headers.entries[i].value.len;
  serve_header *hs = malloc(bytes);
  if (!hs) return false;
  x->in_copy = hs;
  char *p = (char *)(hs + nh + 1);
  serve_request *in = &x->in;
  in->body = (const uint8_t *)put(&p, req->entity.base, body_len);
  in->body_len = body_len;
  in->method = put(&p, req->method.base, req->method.len);
  in->method_len = req->method.len;
  in->uri = put(&p, req->path.base, req->path.len);
  in->uri_len = req->path.len;
  in->authority = put(&p, req->authority.base, req->authority.len);
  in->authority_len = req->authority.len;
  in->version = req->version;
  for (size_t i = 0; i < nh; i++) {
    const h2o_header_t *h = &req->headers.entries[i];
    hs[i].name = put(&p, h->name->base, h->name->len);
    hs[i].name_len = h->name->len;
    hs[i].value = put(&p, h->value.base, h->value.len);
    hs[i].value_len = h->value.len;
  }
  in->headers = hs;
  in->nheaders = nh;
  struct sockaddr_storage ss;
  socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
  if (sl) format_addr((struct sockaddr *)&ss, x->peer, sizeof x->peer);
  else snprintf(x->peer, sizeof x->peer, "unknown");
  in->peer = x->peer;
  return true;
}

static void run_handler(void *arg) {
  serve_exchange *x = arg;
  x->w->srv->ops->handle(x->w->srv->prepared, x);
}

static int on_req(h2o_handler_t *self_handler, h2o_req_t *req) {
  serve_worker *w = worker_of(req);
  serve_server *srv = w->srv;
  if (srv->cfg->max_header_size && header_bytes(req) > srv->cfg->max_header_size) {
    req->http1_is_persistent = 0;
    h2o_req_log_error(req, "wrun", "request headers larger than --max-header-size");
    h2o_send_error_generic(req, 431, "Request Header Fields Too Large", "431 Request Header Fields Too Large\n",
                           H2O_SEND_ERROR_HTTP1_CLOSE_CONNECTION);
    return 0;
  }
  serve_exchange *x = h2o_mem_alloc_shared(NULL, sizeof *x, exchange_dispose);
  memset(x, 0, sizeof *x);
  x->w = w;
  x->req = req;
  lock(w);
  w->inflight++;
  req_link *l = h2o_mem_alloc_shared(&req->pool, sizeof *l, req_link_dispose);
  l->x = x;
  h2o_mem_addref_shared(x); /* the request's reference, dropped by req_link_dispose */
  if (!fill_request(x, req)) {
    fail_locked(x, 500, "out of memory");
  } else {
    /* the guest runs when this loop iteration ends, outside uv_run */
    x->work = (serve_work){.run = run_handler, .arg = x, .x = x};
    push_work(w, &x->work);
    uv_stop(&w->loop);
  }
  unlock(w);
  return 0;
}

/* ---- access log -------------------------------------------------------- */

static void log_access(h2o_logger_t *logger, h2o_req_t *req) {
  struct timeval now;
  gettimeofday(&now, NULL);
  double ms = (double)(now.tv_sec - req->timestamps.request_begin_at.tv_sec) * 1e3 +
              (double)(now.tv_usec - req->timestamps.request_begin_at.tv_usec) / 1e3;
  char peer[64] = "unknown", line[1024];
  struct sockaddr_storage ss;
  socklen_t sl = req->conn->callbacks->get_peername(req->conn, (struct sockaddr *)&ss);
  if (sl) format_addr((struct sockaddr *)&ss, peer, sizeof peer);
  const h2o_iovec_t *m = &req->input.method, *p = &req->input.path;
  int uri_len = p->len > 200 ? 200 : (int)p->len;
  int n = snprintf(line, sizeof line, "%s \"%.*s %.*s%s HTTP/%d.%d\" %d %zu %.3fms", peer, (int)(m->len > 16 ? 16 : m->len),
                   m->base ? m->base : "", uri_len, p->base ? p->base : "", (size_t)uri_len < p->len ? "..." : "",
                   req->version >> 8, req->version & 0xff, req->res.status, req->bytes_sent, ms);
  for (size_t i = 0; i < req->error_logs.size && n > 0 && (size_t)n < sizeof line - 2; i++)
    n += snprintf(line + n, sizeof line - (size_t)n, " (%.*s)", (int)req->error_logs.entries[i].msg.len,
                  req->error_logs.entries[i].msg.base);
  if (n < 0) return;
  if ((size_t)n > sizeof line - 2) n = (int)sizeof line - 2;
  line[n++] = '\n';
  /* one write per line, so lines of different workers never interleave */
  ssize_t wr = write(2, line, (size_t)n);
  (void)wr;
}

/* ---- workers ----------------------------------------------------------- */

static void on_conn_close(uv_handle_t *h) { free(h); }

static void on_accept(uv_stream_t *listener, int status) {
  serve_worker *w = listener->data;
  if (status != 0) return;
  uv_tcp_t *conn = calloc(1, sizeof *conn);
  if (!conn) return;
  uv_tcp_init(listener->loop, conn);
  if (uv_accept(listener, (uv_stream_t *)conn) != 0) {
    uv_close((uv_handle_t *)conn, on_conn_close);
    return;
  }
  uv_tcp_nodelay(conn, 1);
  h2o_socket_t *sock = h2o_uv_socket_create((uv_stream_t *)conn, on_conn_close);
  h2o_accept(&w->accept_ctx, sock);
}

static void on_drain_timeout(uv_timer_t *t) {
  serve_worker *w = t->data;
  lock(w);
  w->drained = true;
  uv_stop(&w->loop);
  unlock(w);
}

static void on_stop_request(uv_async_t *a) {
  serve_worker *w = a->data;
  if (w->draining) return;
  w->draining = true;
  uv_close((uv_handle_t *)&w->listener, NULL);
  h2o_context_request_shutdown(&w->ctx);
  uv_timer_init(&w->loop, &w->drain_timer);
  w->drain_timer.data = w;
  uv_timer_start(&w->drain_timer, on_drain_timeout, w->srv->cfg->drain_timeout_ns / 1000000 + 1, 0);
  uv_unref((uv_handle_t *)&w->drain_timer);
  maybe_stop_drained(w);
}

/* Under mu, by the owner that saw the drain end: stops the worker's
 * threads, waits (at most --drain-timeout) for guests still finishing on
 * detached threads, frees what the guest ABI kept in the free slots and
 * tells the main thread. */
static void finish_worker(serve_worker *w) {
  w->done = true;
  w->owner = NULL;
  for (serve_gthread *t = w->threads; t; t = t->next_all) pthread_cond_signal(&t->cv);
  /* after a clean drain the guests left are only tidying up; after a timed
   * out one they may never end */
  struct timespec dl = deadline_in(w->inflight ? 100000000u : w->srv->cfg->drain_timeout_ns + 1000000);
  while (w->nbusy && pthread_cond_timedwait(&w->cv, &w->mu, &dl) != ETIMEDOUT) {
  }
  /* a slot still busy belongs to a guest that outlived the drain: it stays
   * until the process exits */
  const serve_guest_ops *ops = w->srv->ops;
  for (serve_slot *s = w->slots; s; s = s->next_all)
    if (!s->busy && s->state && ops->worker_free) {
      ops->worker_free(s->state);
      s->state = NULL;
    }
  serve_server *srv = w->srv;
  if (srv->cfg->verbose)
    fprintf(stderr, "wrun: worker %u: its loop changed threads %llu times; %u threads\n", w->index,
            (unsigned long long)w->handoffs, w->nthreads);
  pthread_mutex_lock(&srv->mu);
  srv->nstopped++;
  pthread_cond_signal(&srv->cv);
  pthread_mutex_unlock(&srv->mu);
}

/* The owner's turn: queued guests (outside uv_run), then the loop, until the
 * loop goes to another thread (while one of its guests ran) or the worker
 * drained. */
static void own_loop(serve_gthread *t) {
  serve_worker *w = t->w;
  for (;;) {
    apply_posted(w);
    lock(w);
    if (w->owner != t) {
      unlock(w);
      return;
    }
    if (w->drained) {
      finish_worker(w);
      unlock(w);
      return;
    }
    serve_work *wk = pop_runnable(w);
    if (!wk) {
      unlock(w);
      uv_run(&w->loop, UV_RUN_DEFAULT); /* until on_req, work or the drain stops it */
      continue;
    }
    serve_slot *s = slot_take(w, wk->need);
    if (!s) {
      fail_locked(wk->x, 500, "out of memory");
      unlock(w);
      continue;
    }
    if (!wk->need) wk->x->slot = s;
    w->in_guest = true;
    w->guest_gen++;
    if (w->monitor && w->monitor->asleep) pthread_cond_signal(&w->monitor->cv);
    unlock(w);
    wk->run(wk->arg); /* wk may be gone after this */
    lock(w);
    slot_put(w, s);
    if (w->owner != t) { /* the loop went to another thread while this guest ran (its writes were released then) */
      t->detached = false;
      if (w->ready && !w->done) uv_async_send(&w->wake_async); /* work may have waited for this slot */
      unlock(w);
      return;
    }
    w->in_guest = false;
    release_held(w);
    unlock(w);
  }
}

/* Every thread of a worker: the owner runs the loop, the monitor watches
 * it, the others wait to be either; when the worker is done, each parks
 * (h2o keeps recycled memory in thread-local lists that no call of its 2.2
 * API releases, so the threads stay until the process exits). */
static void *gthread_main(void *arg) {
  serve_gthread *t = arg;
  serve_worker *w = t->w;
  this_thread = t;
  lock(w);
  while (!w->done) {
    if (w->owner == t) {
      unlock(w);
      own_loop(t);
      lock(w);
    } else if (w->monitor == t) {
      monitor_tick(t);
    } else if (!w->monitor) {
      w->monitor = t;
      t->seen_gen = w->guest_gen;
    } else {
      t->idle = true;
      t->next_idle = w->idle;
      w->idle = t;
      while (t->idle && !w->done) pthread_cond_wait(&t->cv, &w->mu);
    }
  }
  unlock(w);
  for (;;) pause(); /* every signal is blocked here: only exit ends it */
  return NULL;
}

/* The worker's first thread: sets up its h2o context and listener on the
 * loop, then owns it. */
static void *worker_main(void *arg) {
  serve_gthread *t = arg;
  serve_worker *w = t->w;
  serve_server *srv = w->srv;
  h2o_context_init(&w->ctx, &w->loop, &srv->globalconf);
  w->accept_ctx.ctx = &w->ctx;
  w->accept_ctx.hosts = srv->globalconf.hosts;
  w->accept_ctx.ssl_ctx = srv->tls;
  serve_upstream_worker_init(w);
  uv_tcp_init(&w->loop, &w->listener);
  w->listener.data = w;
  int rc = uv_tcp_open(&w->listener, w->listen_fd);
  if (rc == 0) rc = uv_listen((uv_stream_t *)&w->listener, 1024, on_accept);
  lock(w);
  w->owner = t;
  if (rc != 0) {
    fprintf(stderr, "wrun: worker %u cannot listen: %s\n", w->index, uv_strerror(rc));
    w->drained = true;
  } else {
    ensure_monitor(w);
  }
  unlock(w);
  return gthread_main(t);
}

static void park_workers(serve_server *srv, unsigned started) {
  pthread_mutex_lock(&srv->mu);
  while (srv->nstopped < started) pthread_cond_wait(&srv->cv, &srv->mu);
  pthread_mutex_unlock(&srv->mu);
}

static unsigned core_count(void) {
  long n = sysconf(_SC_NPROCESSORS_ONLN);
  return n > 0 ? (unsigned)n : 1;
}

static void setup_h2o(serve_server *srv) {
  const serve_config *cfg = srv->cfg;
  h2o_config_init(&srv->globalconf);
  srv->h2o_ready = true;
  srv->globalconf.server_name = h2o_iovec_init(H2O_STRLIT("wrun"));
  srv->globalconf.max_request_entity_size = cfg->max_body_size ? (size_t)cfg->max_body_size : SIZE_MAX;
  if (cfg->client_timeout_ns) srv->globalconf.http1.req_timeout = cfg->client_timeout_ns / 1000000 + 1;
  h2o_hostconf_t *host = h2o_config_register_host(&srv->globalconf, h2o_iovec_init(H2O_STRLIT("default")), 65535);
  h2o_pathconf_t *path = h2o_config_register_path(host, "/", 0);
  path->error_log.emit_request_errors = 0; /* our access log line carries them */
  h2o_handler_t *h = h2o_create_handler(path, sizeof *h);
  h->on_req = on_req;
  if (cfg->log) {
    h2o_logger_t *lg = h2o_create_logger(path, sizeof *lg);
    lg->log_access = log_access;
  }
}

static serve_server *stopped_server;

static void announce(const serve_server *srv, const char *where) {
  fprintf(stderr, "wrun: serving %s (%s) on %s://%s with %u worker%s%s\n", srv->cfg->path, srv->ops->name,
          srv->tls ? "https" : "http", where, srv->nworkers, srv->nworkers == 1 ? "" : "s",
          srv->cfg->worker_processes && srv->nworkers > 1 ? " (processes)" : "");
}

/* --tls-cert/--tls-key: a TLS context offering HTTP/2 and HTTP/1.1 by ALPN.
 * NULL after printing why it could not be made. */
static SSL_CTX *tls_context(const serve_config *cfg) {
  SSL_CTX *ctx = SSL_CTX_new(TLS_server_method());
  const char *what = "cannot create a TLS context";
  if (!ctx) goto fail;
  SSL_CTX_set_min_proto_version(ctx, TLS1_2_VERSION);
  SSL_CTX_set_options(ctx, SSL_OP_NO_COMPRESSION | SSL_OP_CIPHER_SERVER_PREFERENCE);
  what = cfg->tls_cert;
  if (SSL_CTX_use_certificate_chain_file(ctx, cfg->tls_cert) != 1) goto fail;
  what = cfg->tls_key;
  if (SSL_CTX_use_PrivateKey_file(ctx, cfg->tls_key, SSL_FILETYPE_PEM) != 1) goto fail;
  what = "the key does not match the certificate";
  if (SSL_CTX_check_private_key(ctx) != 1) goto fail;
  h2o_ssl_register_alpn_protocols(ctx, h2o_http2_alpn_protocols);
  return ctx;
fail:;
  char buf[256];
  ERR_error_string_n(ERR_get_error(), buf, sizeof buf);
  fprintf(stderr, "wrun: TLS: %s: %s\n", what, buf);
  SSL_CTX_free(ctx);
  return NULL;
}

/* Starts the worker threads [from, to), says so (unless this is a child
 * process, whose parent does), waits for SIGINT/SIGTERM, has the workers
 * drain and waits for them. Returns the exit status. */
static int run_threads(serve_server *srv, unsigned from, unsigned to, const sigset_t *stop_set, const char *where) {
  const serve_config *cfg = srv->cfg;
  int status = 0;
  pthread_attr_init(&srv->thread_attr);
  srv->attr_ready = true;
  uint64_t stack = cfg->limits.max_stack + WORKER_STACK_MARGIN;
  if (stack < (8u << 20)) stack = 8u << 20;
  pthread_attr_setstacksize(&srv->thread_attr, (size_t)stack);
  for (unsigned i = from; i < to; i++) {
    serve_worker *w = &srv->workers[i];
    if (uv_loop_init(&w->loop) != 0 || uv_async_init(&w->loop, &w->stop_async, on_stop_request) != 0 ||
        uv_async_init(&w->loop, &w->wake_async, on_wake) != 0) {
      fprintf(stderr, "wrun: cannot create the event loop of worker %u\n", i);
      status = 1;
      break;
    }
    w->stop_async.data = w;
    w->wake_async.data = w;
    pthread_mutexattr_t ma;
    pthread_mutexattr_init(&ma);
    pthread_mutexattr_settype(&ma, PTHREAD_MUTEX_RECURSIVE);
    pthread_mutex_init(&w->mu, &ma);
    pthread_mutexattr_destroy(&ma);
    pthread_condattr_t ca;
    pthread_condattr_init(&ca);
    pthread_condattr_setclock(&ca, CLOCK_MONOTONIC);
    pthread_cond_init(&w->cv, &ca);
    pthread_condattr_destroy(&ca);
    w->ready_tail = &w->ready;
    lock(w);
    w->started = thread_new(w, worker_main) != NULL;
    unlock(w);
    if (!w->started) {
      fprintf(stderr, "wrun: cannot start worker %u: %s\n", i, strerror(errno));
      status = 1;
      break;
    }
  }
  if (status == 0) {
    if (!srv->child) announce(srv, where);
    int sig = 0;
    sigwait(stop_set, &sig);
    if (!srv->child && (cfg->log || cfg->verbose))
      fprintf(stderr, "wrun: %s: draining requests in flight, then stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
  }
  unsigned started = 0;
  for (unsigned i = from; i < to; i++)
    if (srv->workers[i].started) {
      uv_async_send(&srv->workers[i].stop_async);
      started++;
    }
  park_workers(srv, started);
  return status;
}

/* --worker-processes: one child process per worker, each running that one
 * worker's thread on the listening socket made here (so no two workers share
 * an address space, and releasing an instance's pages never has to flush
 * the TLB of another core). In a child, sets srv->child and *mine and returns
 * 0; in the parent waits for SIGINT/SIGTERM (forwarded to the children as
 * SIGTERM) or for a child to end, then for all of them, and returns 0 when
 * every child drained and exited 0. */
static int fork_workers(serve_server *srv, const sigset_t *stop_set, const char *where, unsigned *mine) {
  const serve_config *cfg = srv->cfg;
  sigset_t wait_set = *stop_set;
  sigaddset(&wait_set, SIGCHLD);
  pthread_sigmask(SIG_BLOCK, &wait_set, NULL);
  pid_t *pids = calloc(srv->nworkers, sizeof *pids);
  if (!pids) {
    fputs("wrun: out of memory\n", stderr);
    return 1;
  }
  pid_t parent = getpid();
  int status = 0;
  unsigned forked = 0;
  for (unsigned i = 0; i < srv->nworkers; i++) {
    fflush(NULL);
    pid_t pid = fork();
    if (pid == 0) {
      /* a child ends with its parent, even one killed outright */
      prctl(PR_SET_PDEATHSIG, SIGTERM);
      if (getppid() != parent) _exit(1);
      for (unsigned j = 0; j < srv->nworkers; j++)
        if (j != i && srv->workers[j].listen_fd >= 0) {
          close(srv->workers[j].listen_fd);
          srv->workers[j].listen_fd = -1;
        }
      free(pids);
      srv->child = true;
      *mine = i;
      return 0;
    }
    if (pid < 0) {
      fprintf(stderr, "wrun: cannot start worker %u: %s\n", i, strerror(errno));
      status = 1;
      break;
    }
    pids[i] = pid;
    forked++;
  }
  if (status == 0) announce(srv, where);
  unsigned live = forked;
  while (status == 0) {
    int sig = 0;
    sigwait(&wait_set, &sig);
    if (sig != SIGCHLD) {
      if (cfg->log || cfg->verbose)
        fprintf(stderr, "wrun: %s: draining requests in flight, then stopping\n", sig == SIGINT ? "SIGINT" : "SIGTERM");
      break;
    }
    int st;
    pid_t pid;
    while ((pid = waitpid(-1, &st, WNOHANG)) > 0)
      for (unsigned i = 0; i < forked; i++)
        if (pids[i] == pid) {
          pids[i] = 0;
          live--;
          fprintf(stderr, "wrun: worker %u ended (%s %d): stopping\n", i,
                  WIFSIGNALED(st) ? "signal" : "status", WIFSIGNALED(st) ? WTERMSIG(st) : WEXITSTATUS(st));
          status = 1;
        }
  }
  for (unsigned i = 0; i < forked; i++)
    if (pids[i]) kill(pids[i], SIGTERM);
  for (unsigned i = 0; i < forked && live; i++) {
    if (!pids[i]) continue;
    int st;
    while (waitpid(pids[i], &st, 0) < 0 && errno == EINTR) {
    }
    live--;
    if (!WIFEXITED(st) || WEXITSTATUS(st) != 0) status = 1;
  }
  free(pids);
  return status;
}

int serve_run(const serve_config *cfg, const serve_guest_ops *ops, void *prepared) {
  serve_server *srv = calloc(1, sizeof *srv);
  if (!srv) {
    fputs("wrun: out of memory\n", stderr);
    return 1;
  }
  *srv = (serve_server){.cfg = cfg, .ops = ops, .prepared = prepared};
  pthread_mutex_init(&srv->mu, NULL);
  pthread_cond_init(&srv->cv, NULL);
  if (cfg->upstream) {
    const char *why;
    if (!serve_url_parse(cfg->upstream, strlen(cfg->upstream), &srv->upstream, &why)) {
      fprintf(stderr, "wrun: bad --upstream '%s': %s\n", cfg->upstream, why);
      free(srv);
      return 1;
    }
    srv->has_upstream = true;
  }
  struct sockaddr_storage ss;
  socklen_t sl;
  if (!resolve_addr(cfg->addr, &ss, &sl)) {
    fprintf(stderr, "wrun: bad --addr '%s': expected HOST:PORT, [V6]:PORT or :PORT\n", cfg->addr);
    free(srv);
    return 1;
  }
  srv->nworkers = cfg->workers ? cfg->workers : core_count();
  srv->workers = calloc(srv->nworkers, sizeof *srv->workers);
  if (!srv->workers) {
    fputs("wrun: out of memory\n", stderr);
    free(srv);
    return 1;
  }
  /* The first socket fixes the port (port 0 picks one); the others share it. */
  char why[200];
  int status = 0;
  for (unsigned i = 0; i < srv->nworkers; i++) srv->workers[i].listen_fd = -1;
  for (unsigned i = 0; i < srv->nworkers; i++) {
    serve_worker *w = &srv->workers[i];
    w->srv = srv;
    w->index = i;
    w->listen_fd = listen_socket((struct sockaddr *)&ss, sl, why, sizeof why);
    if (w->listen_fd < 0) {
      fprintf(stderr, "wrun: cannot listen on %s: %s\n", cfg->addr, why);
      status = 1;
      goto out;
    }
    if (i == 0) {
      sl = sizeof ss;
      getsockname(w->listen_fd, (struct sockaddr *)&ss, &sl);
    }
  }
  if (cfg->tls_cert) {
    srv->tls = tls_context(cfg);
    if (!srv->tls) {
      status = 1;
      goto out;
    }
  }
  setup_h2o(srv);
  char where[80];
  format_addr((struct sockaddr *)&ss, where, sizeof where);
  /* Signals: every thread blocks them; this one waits for them. */
  sigset_t stop_set, old;
  sigemptyset(&stop_set);
  sigaddset(&stop_set, SIGINT);
  sigaddset(&stop_set, SIGTERM);
  pthread_sigmask(SIG_BLOCK, &stop_set, &old);
  signal(SIGPIPE, SIG_IGN);
  if (cfg->worker_processes && srv->nworkers > 1) {
    unsigned mine = 0;
    status = fork_workers(srv, &stop_set, where, &mine);
    if (srv->child) status = run_threads(srv, mine, mine + 1, &stop_set, where);
  } else {
    status = run_threads(srv, 0, srv->nworkers, &stop_set, where);
  }
  pthread_sigmask(SIG_SETMASK, &old, NULL);
out:
  for (unsigned i = 0; i < srv->nworkers; i++) {
    serve_worker *w = &srv->workers[i];
    if (w->listen_fd >= 0 && !w->started) close(w->listen_fd);
  }
  bool any_started = false, srv_child = srv->child;
  for (unsigned i = 0; i < srv->nworkers; i++) any_started |= srv->workers[i].started;
  if (any_started) {
    /* The loops, contexts, idle keep-alive connections and parked workers
     * stay until the process exits (h2o 2.2 has no call that closes its
     * connections), so the server stays reachable from here rather than
     * being freed under them. */
    stopped_server = srv;
  } else {
    if (srv->h2o_ready) h2o_config_dispose(&srv->globalconf);
    if (srv->attr_ready) pthread_attr_destroy(&srv->thread_attr);
    SSL_CTX_free(srv->tls);
    free(srv->workers);
    free(srv);
  }
  if (status == 0 && !srv_child && (cfg->log || cfg->verbose)) fputs("wrun: stopped\n", stderr);
  return status;
}
