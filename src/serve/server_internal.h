/*
 * server_internal.h — the server's workers and exchanges, shared by server.c
 * (connections, responses, logging, drain) and upstream.c (--upstream).
 * Nothing outside src/serve includes it.
 */
#ifndef WRUN_SERVE_SERVER_INTERNAL_H
#define WRUN_SERVE_SERVER_INTERNAL_H

#define H2O_USE_LIBUV 1
#include <h2o.h>
#include <h2o/http1client.h>
#include <pthread.h>
#include <uv.h>

#include "serve/serve.h"

typedef struct serve_server serve_server;
typedef struct serve_exchange serve_exchange;
typedef struct serve_gthread serve_gthread;

/* Guest state for one running guest at a time (serve_exchange_worker_slot):
 * a worker has as many as it ever ran guests at once. */
typedef struct serve_slot {
  void *state;                     /* the guest ABI's, freed by ops->worker_free */
  bool busy;                       /* a thread runs a guest with it */
  struct serve_slot *next_free, *next_all;
} serve_slot;

/* Guest work waiting for the loop's owner to run it outside uv_run: a new
 * request (the exchange's own node) or an upstream continuation, which
 * needs the slot its request started with. */
typedef struct serve_work {
  struct serve_work *next;
  void (*run)(void *arg);
  void *arg;
  serve_slot *need;                /* NULL: any slot */
  serve_exchange *x;
} serve_work;

/* A call that must run on the loop's owner thread (see serve_on_loop). */
typedef struct serve_loop_call {
  struct serve_loop_call *next;
  void (*fn)(void *arg);
  void *arg;
} serve_loop_call;

/* One worker: a libuv loop with an h2o context and a listening socket, and
 * the threads that take turns running that loop (one at a time: the owner)
 * and its guests (docs/serve.md, "Streaming"). */
typedef struct serve_worker {
  serve_server *srv;
  unsigned index;
  int listen_fd;                   /* bound by the main thread, listened on by the worker */
  uv_loop_t loop;
  h2o_context_t ctx;
  h2o_accept_ctx_t accept_ctx;
  uv_tcp_t listener;
  uv_async_t stop_async;           /* SIGINT/SIGTERM reach workers through this */
  uv_async_t wake_async;           /* posted exchange calls and work for the owner */
  uv_timer_t drain_timer;
  bool draining, drained;
  size_t inflight;                 /* exchanges not yet disposed */
  bool started;                    /* its first thread runs */
  /* --upstream */
  h2o_http1client_ctx_t client_ctx;
  h2o_timeout_t client_io_timeout;
  /* Everything below, and the parts of exchanges that guest threads touch,
   * under mu (recursive: h2o may call back into the exchange while an
   * exchange call holds it). */
  pthread_mutex_t mu;
  pthread_cond_t cv;               /* the finishing owner waits here for busy slots */
  serve_gthread *owner;            /* runs the loop and, outside uv_run, short guests */
  serve_gthread *monitor;          /* takes the loop over when the owner's guest runs long */
  serve_gthread *idle;             /* spare threads */
  serve_gthread *threads;          /* all of them */
  unsigned nthreads;
  bool in_guest;                   /* the owner runs guest work */
  bool monitor_asleep;
  uint64_t guest_gen;              /* counts the owner's guest runs */
  uint64_t handoffs;               /* times the loop changed threads */
  serve_work *ready, **ready_tail;
  serve_exchange *posted;          /* exchanges with calls made off the loop */
  serve_exchange *held;            /* written by the owner's guest, not flushed yet (a reference) */
  serve_loop_call *calls;
  serve_slot *slots, *free_slots;
  unsigned nbusy;
  bool done;                       /* drained: the threads stop */
} serve_worker;

struct serve_server {
  const serve_config *cfg;
  bool child;                      /* --worker-processes: this process runs one worker for its parent */
  const serve_guest_ops *ops;
  void *prepared;
  h2o_globalconf_t globalconf;
  bool h2o_ready;                  /* globalconf initialised */
  serve_url upstream;
  bool has_upstream;
  serve_worker *workers;
  unsigned nworkers;
  SSL_CTX *tls;                    /* --tls-cert/--tls-key, or NULL; shared by the workers */
  pthread_attr_t thread_attr;      /* every worker thread's (stack size) */
  bool attr_ready;
  /* workers done draining (they then park until the process exits) */
  pthread_mutex_t mu;
  pthread_cond_t cv;
  unsigned nstopped;
};

/* One request in flight. Shared (h2o's refcounted memory): one reference for
 * the handler until it ends the exchange, one for the request until h2o
 * disposes of it; the last release frees it. */
struct serve_exchange {
  h2o_generator_t gen;             /* first: h2o hands it back to proceed/stop */
  serve_worker *w;
  h2o_req_t *req;                  /* NULL once h2o disposed of the request */
  serve_request in;                /* copied (in_copy): a guest may outlive the request */
  void *in_copy;
  char peer[64];
  serve_slot *slot;                /* the guest state its handler runs with */
  serve_work work;                 /* runs the handler */
  bool started, finishing, aborting, sent_final, sending, ended;
  /* streaming: bytes h2o is writing (kept until it asks for more) and bytes
   * waiting behind them */
  uint8_t *inflight, *pending;
  size_t inflight_len, inflight_cap, pending_len, pending_cap;
  /* calls a guest thread made off the loop, applied by the owner */
  serve_exchange *post_next;
  bool posted, post_start, post_end;
  int post_status;
  int64_t post_length;
  serve_header *post_headers;      /* one block with the names and values */
  size_t post_nheaders;
  char *post_why;
  unsigned post_unref;
  serve_gthread *waiter;           /* a guest thread waiting for room (backpressure) */
  struct timespec guest_deadline;  /* --timeout of the guest call writing (tv_sec 0: none) */
  /* HTTP/1.1 chunked coding done here rather than by h2o's chunked filter,
   * so that the last chunk can carry a trailer section */
  bool self_chunked;
  bool trailers_set;               /* the handler ended with trailer fields */
  bool shut;                       /* a cut response's HTTP/1 socket was shut down */
  char chunk_head[20];             /* the size line of the chunk being sent */
  char *tail;                      /* "0\r\n" + trailer fields + "\r\n", or NULL */
  size_t tail_len;
};

/* Sets up a worker's client for --upstream (upstream.c), on its loop; it
 * lives as long as the loop does. */
void serve_upstream_worker_init(serve_worker *w);

/* Runs fn(arg) on the thread that owns x's loop: now if that is this one,
 * else posted to it (c is the caller's node, alive until fn runs). */
void serve_on_loop(serve_exchange *x, serve_loop_call *c, void (*fn)(void *), void *arg);
/* On the loop: queues guest work needing x's slot for the owner to run
 * outside uv_run. */
void serve_defer_work(serve_exchange *x, serve_work *wk, void (*run)(void *), void *arg);
/* Takes a reference to x (any thread). */
void serve_exchange_ref(serve_exchange *x);
/* Drops a reference to x, on the loop or posted to it. */
void serve_exchange_unref(serve_exchange *x);

#endif
