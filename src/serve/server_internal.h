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

/* One thread with its own loop, h2o context and listening socket. */
typedef struct serve_worker {
  serve_server *srv;
  unsigned index;
  pthread_t thread;
  bool thread_started;
  int listen_fd;                   /* bound by the main thread, listened on by the worker */
  uv_loop_t loop;
  h2o_context_t ctx;
  h2o_accept_ctx_t accept_ctx;
  uv_tcp_t listener;
  uv_async_t stop_async;           /* SIGINT/SIGTERM reach workers through this */
  uv_timer_t drain_timer;
  bool draining;
  size_t inflight;                 /* exchanges not yet disposed */
  void *guest_slot;                /* serve_exchange_worker_slot */
  /* --upstream */
  h2o_http1client_ctx_t client_ctx;
  h2o_timeout_t client_io_timeout;
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
  serve_request in;
  serve_header *in_headers;
  char peer[64];
  bool started, finishing, aborting, sent_final, sending, ended;
  /* streaming: bytes h2o is writing (kept until it asks for more) and bytes
   * waiting behind them */
  uint8_t *inflight, *pending;
  size_t inflight_len, inflight_cap, pending_len, pending_cap;
};

/* Sets up a worker's client for --upstream (upstream.c), on its loop; it
 * lives as long as the loop does. */
void serve_upstream_worker_init(serve_worker *w);

#endif
