/*
 * sockets.c — wasi:sockets 0.2 for the WASI 0.2 host: network and
 * instance-network, tcp and tcp-create-socket (the state machine of
 * TcpSocketOperationalSemantics.md), udp and udp-create-socket, and
 * ip-name-lookup, behind an allow-list that denies everything by default
 * (wp2_config: allow_connect, allow_bind, allow_lookup; docs/security.md).
 *
 * Sockets are non-blocking host sockets; nothing here waits except
 * pollable.block/poll (io.c), which end on --timeout. A TCP connection's
 * input and output streams are io.c streams over the socket's descriptor
 * (socket=true: a closed peer is stream-error.closed, not SIGPIPE); the
 * socket keeps the descriptor, so, as in wasmtime, a socket, datagram stream
 * or lookup with live child streams or pollables cannot be dropped (a trap).
 * Name lookups run getaddrinfo on a detached thread that signals an eventfd
 * when done, so resolve-next-address never blocks and a lookup that never
 * answers only holds that thread.
 */

#include "wasip2/wasip2_impl.h"

#include <arpa/inet.h>
#include <errno.h>
#include <limits.h>
#include <netdb.h>
#include <netinet/in.h>
#include <netinet/tcp.h>
#include <poll.h>
#include <pthread.h>
#include <stdatomic.h>
#include <stdlib.h>
#include <string.h>
#include <sys/eventfd.h>
#include <sys/socket.h>
#include <unistd.h>

/* network.error-code, in declaration order */
enum {
  EC_UNKNOWN, EC_ACCESS_DENIED, EC_NOT_SUPPORTED, EC_INVALID_ARGUMENT, EC_OUT_OF_MEMORY, EC_TIMEOUT,
  EC_CONCURRENCY_CONFLICT, EC_NOT_IN_PROGRESS, EC_WOULD_BLOCK, EC_INVALID_STATE, EC_NEW_SOCKET_LIMIT,
  EC_ADDRESS_NOT_BINDABLE, EC_ADDRESS_IN_USE, EC_REMOTE_UNREACHABLE, EC_CONNECTION_REFUSED, EC_CONNECTION_RESET,
  EC_CONNECTION_ABORTED, EC_DATAGRAM_TOO_LARGE, EC_NAME_UNRESOLVABLE, EC_TEMPORARY_RESOLVER_FAILURE,
  EC_PERMANENT_RESOLVER_FAILURE
};

#define UDP_MAX_DATAGRAM 65535u
#define UDP_SEND_PERMITS 16u   /* datagrams one check-send allows (wasmtime's number) */
#define MAX_BACKLOG 0x7fffffffu

typedef enum {
  T_UNBOUND, T_BIND_STARTED, T_BOUND, T_LISTEN_STARTED, T_LISTENING, T_CONNECTING, T_CONNECTED, T_CLOSED
} tcp_state;

typedef struct tcp_sock {
  int fd, family;       /* AF_INET or AF_INET6 */
  tcp_state st;
  int connect_err;      /* connecting: an errno connect(2) gave at once, for finish-connect */
  uint32_t backlog;
  uint32_t in_rep, out_rep;   /* connected: the reps of its streams (shutdown closes them) */
} tcp_sock;

typedef struct udp_sock {
  int fd, family;
  bool bind_started, bound, connected;
  struct sockaddr_storage peer;   /* when connected */
  uint32_t streams;               /* live datagram streams (at most one pair) */
} udp_sock;

/* An incoming or outgoing datagram stream: borrows its socket, which cannot
 * be dropped before it. */
typedef struct udp_stream {
  udp_sock *sock;
  uint64_t permits;               /* outgoing: what check-send granted (0: call it first) */
  bool waiting;                   /* outgoing: a send met a full buffer; check-send gives 0 until writable */
} udp_stream;

/* One lookup, shared by the guest's handle and the resolver thread: whoever
 * lets go last frees it. */
typedef struct lookup {
  atomic_int refs;
  atomic_bool done;
  int efd;                        /* eventfd, readable once done */
  char *name;
  int gai;                        /* getaddrinfo's status */
  struct addrinfo *res;           /* owned: freed with the lookup */
  struct addrinfo *next;          /* the next one resolve-next-address returns */
  bool started;                   /* `next` is set */
} lookup;

struct wp2_sockets {
  const wc_resource_type *rt_net, *rt_tcp, *rt_udp, *rt_uin, *rt_uout, *rt_lookup;
  wp2_table tcp, udp, uin, uout, lookups;
};

/* ---- results -------------------------------------------------------------- */

static int errno_code(int e) {
  switch (e) {
  case EACCES: case EPERM: return EC_ACCESS_DENIED;
  case EAFNOSUPPORT: case EPROTONOSUPPORT: case EOPNOTSUPP: return EC_NOT_SUPPORTED;
  case EINVAL: case EDESTADDRREQ: case EFAULT: return EC_INVALID_ARGUMENT;
  case ENOMEM: case ENOBUFS: return EC_OUT_OF_MEMORY;
  case ETIMEDOUT: return EC_TIMEOUT;
  case EALREADY: return EC_CONCURRENCY_CONFLICT;
  case EAGAIN: case EINPROGRESS: return EC_WOULD_BLOCK;
  case EISCONN: case ENOTCONN: return EC_INVALID_STATE;
  case EMFILE: case ENFILE: return EC_NEW_SOCKET_LIMIT;
  case EADDRNOTAVAIL: return EC_ADDRESS_NOT_BINDABLE;
  case EADDRINUSE: return EC_ADDRESS_IN_USE;
  case EHOSTUNREACH: case EHOSTDOWN: case ENETUNREACH: case ENETDOWN: case ENONET: case ENETRESET:
    return EC_REMOTE_UNREACHABLE;
  case ECONNREFUSED: return EC_CONNECTION_REFUSED;
  case ECONNRESET: case EPIPE: return EC_CONNECTION_RESET;
  case ECONNABORTED: return EC_CONNECTION_ABORTED;
  case EMSGSIZE: return EC_DATAGRAM_TOO_LARGE;
  default: return EC_UNKNOWN;
  }
}

/* result<T, error-code>: error `code`. */
static bool err_result(wc_value *res, wc_arena *a, int code, wc_trap *trap) {
  wc_value *v = wp2_vals(a, 1);
  if (!v) return wp2_trap_oom(trap);
  *v = wp2_variant((uint32_t)code, NULL);
  res[0] = wp2_variant(1, v);
  return true;
}
static bool errno_result(wc_value *res, wc_arena *a, int e, wc_trap *trap) {
  return err_result(res, a, errno_code(e), trap);
}
/* result<T, error-code>: ok(payload), payload NULL for `_`. */
static bool ok_result(wc_value *res, wc_value *payload) {
  res[0] = wp2_variant(0, payload);
  return true;
}
static bool ok_scalar(wc_value *res, wc_arena *a, wc_value_kind k, uint64_t u, wc_trap *trap) {
  wc_value *v = wp2_vals(a, 1);
  if (!v) return wp2_trap_oom(trap);
  *v = (wc_value){.kind = k, .u.u = u};
  if (k == WC_V_BOOL) v->u.b = u != 0;
  return ok_result(res, v);
}

/* ---- addresses ------------------------------------------------------------ */

/* The arguments have exactly the WASI types of the signatures below:
 * wc_instantiate refuses a guest whose imports declare any other, so the
 * values need no checks of their kinds here (only of their contents). */

/* An ip-socket-address value into a sockaddr. */
static socklen_t sockaddr_of(const wc_value *v, struct sockaddr_storage *ss) {
  memset(ss, 0, sizeof *ss);
  const wc_value *f = v->u.var.payload->u.seq.v;
  if (v->u.var.index == 0) {
    struct sockaddr_in *a = (struct sockaddr_in *)ss;
    a->sin_family = AF_INET;
    a->sin_port = htons((uint16_t)f[0].u.u);
    uint8_t *b = (uint8_t *)&a->sin_addr;
    for (int i = 0; i < 4; i++) b[i] = (uint8_t)f[1].u.seq.v[i].u.u;
    return sizeof *a;
  }
  struct sockaddr_in6 *a = (struct sockaddr_in6 *)ss;
  a->sin6_family = AF_INET6;
  a->sin6_port = htons((uint16_t)f[0].u.u);
  a->sin6_flowinfo = htonl((uint32_t)f[1].u.u);
  for (int i = 0; i < 8; i++) {
    uint16_t w = (uint16_t)f[2].u.seq.v[i].u.u;
    a->sin6_addr.s6_addr[2 * i] = (uint8_t)(w >> 8);
    a->sin6_addr.s6_addr[2 * i + 1] = (uint8_t)w;
  }
  a->sin6_scope_id = (uint32_t)f[3].u.u;
  return sizeof *a;
}

/* The ip-address value of an address (tuple of 4 u8 or 8 u16); NULL when out of memory. */
static bool ip_value(wc_arena *a, int family, const void *addr, wc_value *out) {
  int n = family == AF_INET ? 4 : 8;
  wc_value *t = wp2_vals(a, (size_t)n);
  if (!t) return false;
  const uint8_t *b = addr;
  for (int i = 0; i < n; i++)
    t[i] = family == AF_INET ? (wc_value){.kind = WC_V_U8, .u.u = b[i]}
                             : (wc_value){.kind = WC_V_U16, .u.u = (uint64_t)b[2 * i] << 8 | b[2 * i + 1]};
  *out = (wc_value){.kind = WC_V_RECORD, .u.seq = {t, (uint32_t)n}};
  return true;
}

/* A sockaddr as an ip-socket-address value. */
static bool sockaddr_value(wc_arena *a, const struct sockaddr_storage *ss, wc_value *out) {
  wc_value *f = wp2_vals(a, 4), *rec = wp2_vals(a, 1);
  if (!f || !rec) return false;
  if (ss->ss_family == AF_INET) {
    const struct sockaddr_in *s = (const struct sockaddr_in *)ss;
    f[0] = (wc_value){.kind = WC_V_U16, .u.u = ntohs(s->sin_port)};
    if (!ip_value(a, AF_INET, &s->sin_addr, &f[1])) return false;
    *rec = (wc_value){.kind = WC_V_RECORD, .u.seq = {f, 2}};
    *out = wp2_variant(0, rec);
  } else {
    const struct sockaddr_in6 *s = (const struct sockaddr_in6 *)ss;
    f[0] = (wc_value){.kind = WC_V_U16, .u.u = ntohs(s->sin6_port)};
    f[1] = (wc_value){.kind = WC_V_U32, .u.u = ntohl(s->sin6_flowinfo)};
    if (!ip_value(a, AF_INET6, &s->sin6_addr, &f[2])) return false;
    f[3] = (wc_value){.kind = WC_V_U32, .u.u = s->sin6_scope_id};
    *rec = (wc_value){.kind = WC_V_RECORD, .u.seq = {f, 4}};
    *out = wp2_variant(1, rec);
  }
  return true;
}

static bool addr_result(wc_value *res, wc_arena *a, const struct sockaddr_storage *ss, wc_trap *trap) {
  wc_value *v = wp2_vals(a, 1);
  if (!v || !sockaddr_value(a, ss, v)) return wp2_trap_oom(trap);
  return ok_result(res, v);
}

static const uint8_t *addr_bytes(const struct sockaddr_storage *ss) {
  return ss->ss_family == AF_INET ? (const uint8_t *)&((const struct sockaddr_in *)ss)->sin_addr
                                  : ((const struct sockaddr_in6 *)ss)->sin6_addr.s6_addr;
}
static uint16_t addr_port(const struct sockaddr_storage *ss) {
  return ntohs(ss->ss_family == AF_INET ? ((const struct sockaddr_in *)ss)->sin_port
                                        : ((const struct sockaddr_in6 *)ss)->sin6_port);
}
static bool addr_unspecified(const struct sockaddr_storage *ss) {
  const uint8_t *b = addr_bytes(ss);
  int n = ss->ss_family == AF_INET ? 4 : 16;
  for (int i = 0; i < n; i++)
    if (b[i]) return false;
  return true;
}
static bool addr_v4_mapped(const struct sockaddr_storage *ss) {
  return ss->ss_family == AF_INET6 && IN6_IS_ADDR_V4MAPPED(&((const struct sockaddr_in6 *)ss)->sin6_addr);
}
/* Multicast, or IPv4 broadcast: not a unicast address. */
static bool addr_not_unicast(const struct sockaddr_storage *ss) {
  const uint8_t *b = addr_bytes(ss);
  if (ss->ss_family == AF_INET) return (b[0] & 0xf0) == 0xe0 || (b[0] == 255 && b[1] == 255 && b[2] == 255 && b[3] == 255);
  return b[0] == 0xff;
}

/* The error-code for an address a socket of `family` may not use, or -1. */
static int check_local(int family, const struct sockaddr_storage *ss) {
  if (ss->ss_family != family || addr_v4_mapped(ss) || addr_not_unicast(ss)) return EC_INVALID_ARGUMENT;
  return -1;
}
static int check_remote(int family, const struct sockaddr_storage *ss) {
  if (ss->ss_family != family || addr_v4_mapped(ss) || addr_not_unicast(ss) || addr_unspecified(ss) ||
      addr_port(ss) == 0)
    return EC_INVALID_ARGUMENT;
  return -1;
}

/* ---- the allow-list ------------------------------------------------------- */

bool wp2_net_rule_parse(const char *spec, wp2_net_rule *r) {
  memset(r, 0, sizeof *r);
  const char *colon = strrchr(spec, ':');
  if (!colon || colon == spec) return false;
  char host[64];
  size_t hl = (size_t)(colon - spec);
  if (hl >= sizeof host) return false;
  memcpy(host, spec, hl);
  host[hl] = 0;
  /* the prefix length, if any */
  char *slash = strchr(host, '/');
  long bits = -1;
  if (slash) {
    char *end;
    *slash = 0;
    if (!slash[1]) return false;
    bits = strtol(slash + 1, &end, 10);
    if (*end || bits < 0) return false;
  }
  size_t n = strlen(host);
  if (n >= 2 && host[0] == '[' && host[n - 1] == ']') {
    host[n - 1] = 0;
    if (inet_pton(AF_INET6, host + 1, r->addr) != 1) return false;
    r->family = AF_INET6;
  } else if (inet_pton(AF_INET, host, r->addr) == 1) {
    r->family = AF_INET;
  } else {
    return false;
  }
  unsigned max = r->family == AF_INET ? 32 : 128;
  if (bits > (long)max) return false;
  r->prefix = bits < 0 ? max : (unsigned)bits;
  /* the ports: *, N or N-M */
  const char *p = colon + 1;
  if (strcmp(p, "*") == 0) {
    r->port_lo = 0;
    r->port_hi = 65535;
    return true;
  }
  char *end;
  if (*p < '0' || *p > '9') return false;
  long lo = strtol(p, &end, 10), hi = lo;
  if (*end == '-') {
    if (end[1] < '0' || end[1] > '9') return false;
    hi = strtol(end + 1, &end, 10);
  }
  if (*end || lo > 65535 || hi > 65535 || hi < lo) return false;
  r->port_lo = (uint16_t)lo;
  r->port_hi = (uint16_t)hi;
  return true;
}

/* Whether one of rules[0..n) covers the address and port. */
static bool allowed(const wp2_net_rule *rules, size_t n, const struct sockaddr_storage *ss) {
  const uint8_t *b = addr_bytes(ss);
  uint16_t port = addr_port(ss);
  for (size_t i = 0; i < n; i++) {
    const wp2_net_rule *r = &rules[i];
    if (r->family != ss->ss_family || port < r->port_lo || port > r->port_hi) continue;
    unsigned full = r->prefix / 8, rest = r->prefix % 8;
    if (memcmp(r->addr, b, full) != 0) continue;
    if (rest && ((r->addr[full] ^ b[full]) & (uint8_t)(0xff00u >> rest))) continue;
    return true;
  }
  return false;
}
static bool may_connect(const wp2_ctx *p, const struct sockaddr_storage *ss) {
  return allowed(p->cfg.allow_connect, p->cfg.nallow_connect, ss);
}
static bool may_bind(const wp2_ctx *p, const struct sockaddr_storage *ss) {
  return allowed(p->cfg.allow_bind, p->cfg.nallow_bind, ss);
}

/* ---- children: what keeps a resource from being dropped ---------------------- */

static bool tcp_ready(void *arg);
static bool udp_ready(void *arg);
static bool uin_ready(void *arg);
static bool uout_ready(void *arg);
static bool lookup_ready(void *arg);

/* Live streams and pollables that depend on `owner`. */
static uint32_t live_children(const wp2_ctx *p, const void *owner) {
  uint32_t n = 0;
  for (uint32_t i = 0; i < p->streams.n; i++) {
    const wp2_stream *s = p->streams.items[i];
    if (s && s->owner == owner) n++;
  }
  for (uint32_t i = 0; i < p->polls.n; i++) {
    const wp2_pollable *pl = p->polls.items[i];
    if (pl && pl->kind == PK_CUSTOM && pl->arg == owner &&
        (pl->ready == tcp_ready || pl->ready == udp_ready || pl->ready == uin_ready || pl->ready == uout_ready ||
         pl->ready == lookup_ready))
      n++;
  }
  return n;
}

static bool has_children_trap(const wp2_ctx *p, const void *owner, const char *what, wc_trap *trap) {
  uint32_t n = live_children(p, owner);
  if (n == 0) return false;
  wp2_trap(trap, "cannot drop %s: resource has children (%u stream(s) or pollable(s) made from it are still live)",
           what, n);
  return true;
}

static bool new_custom_pollable(wp2_ctx *p, int fd, short events, bool (*ready)(void *), void *arg, wc_value *res,
                                wc_trap *trap) {
  wp2_pollable pl = {.kind = PK_CUSTOM, .fd = fd, .events = events, .ready = ready, .arg = arg};
  return wp2_new_pollable(p, &pl, res, trap);
}

/* ---- network, instance-network -------------------------------------------- */

/* There is one network: every handle's rep is 0 and dropping one frees nothing. */
WP2_FN(instance_network) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  res[0] = wp2_own(p->sockets->rt_net, 0);
  return true;
}

/* network-error-code (unstable): an io error's errno as an error-code. */
WP2_FN(network_error_code) {
  WP2_UNUSED;
  int e = (int)args[0].u.handle.rep;
  int code = errno_code(e);
  if (code == EC_UNKNOWN) { res[0] = wp2_variant(0, NULL); return true; } /* not a network error */
  wc_value *v = wp2_vals(a, 1);
  if (!v) return wp2_trap_oom(trap);
  *v = wp2_variant((uint32_t)code, NULL);
  res[0] = wp2_variant(1, v);
  return true;
}

/* ---- tcp ---------------------------------------------------------------- */

static int family_of(const wc_value *v) { return v->u.var.index == 0 ? AF_INET : AF_INET6; }

/* A new non-blocking socket of `type`: the descriptor, or -1 with errno. IPv6
 * sockets are IPv6 only, as WASI asks. */
static int new_socket(int family, int type) {
  int fd = socket(family, type | SOCK_NONBLOCK | SOCK_CLOEXEC, 0);
  if (fd >= 0 && family == AF_INET6) {
    int one = 1;
    if (setsockopt(fd, IPPROTO_IPV6, IPV6_V6ONLY, &one, sizeof one) != 0) {
      int e = errno;
      close(fd);
      errno = e;
      return -1;
    }
  }
  return fd;
}

static bool tcp_add(wp2_ctx *p, tcp_sock *t, wc_value *out, wc_trap *trap) {
  uint32_t rep;
  if (!wp2_table_add(&p->sockets->tcp, t, &rep, trap)) return false;
  *out = wp2_own(p->sockets->rt_tcp, rep);
  return true;
}

WP2_FN(create_tcp_socket) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  int family = family_of(&args[0]);
  int fd = new_socket(family, SOCK_STREAM);
  if (fd < 0) return errno_result(res, a, errno, trap);
  tcp_sock *t = calloc(1, sizeof *t);
  wc_value *v = wp2_vals(a, 1);
  if (!t || !v) { free(t); close(fd); return wp2_trap_oom(trap); }
  *t = (tcp_sock){.fd = fd, .family = family, .st = T_UNBOUND, .backlog = 128};
  if (!tcp_add(p, t, v, trap)) { close(fd); free(t); return false; }
  return ok_result(res, v);
}

static tcp_sock *tcp_get(wp2_ctx *p, const wc_value *self, wc_trap *trap) {
  return wp2_table_get(&p->sockets->tcp, self->u.handle.rep, trap);
}
#define TCP_SELF                                                                                       \
  wp2_ctx *p = env;                                                                                    \
  tcp_sock *t = tcp_get(p, &args[0], trap);                                                            \
  if (!t) return false

WP2_FN(tcp_start_bind) {
  WP2_UNUSED;
  TCP_SELF;
  struct sockaddr_storage ss;
  socklen_t len = sockaddr_of(&args[2], &ss);
  if (t->st == T_BIND_STARTED) return err_result(res, a, EC_CONCURRENCY_CONFLICT, trap);
  if (t->st != T_UNBOUND) return err_result(res, a, EC_INVALID_STATE, trap);
  int bad = check_local(t->family, &ss);
  if (bad >= 0) return err_result(res, a, bad, trap);
  if (!may_bind(p, &ss)) return err_result(res, a, EC_ACCESS_DENIED, trap);
  /* as wasmtime: a port of a closed listener is reusable at once (no TIME_WAIT wait) */
  int one = 1;
  setsockopt(t->fd, SOL_SOCKET, SO_REUSEADDR, &one, sizeof one);
  if (bind(t->fd, (struct sockaddr *)&ss, len) != 0) return errno_result(res, a, errno, trap);
  t->st = T_BIND_STARTED;
  return ok_result(res, NULL);
}

WP2_FN(tcp_finish_bind) {
  WP2_UNUSED;
  TCP_SELF;
  if (t->st != T_BIND_STARTED) return err_result(res, a, EC_NOT_IN_PROGRESS, trap);
  t->st = T_BOUND;
  return ok_result(res, NULL);
}

WP2_FN(tcp_start_connect) {
  WP2_UNUSED;
  TCP_SELF;
  struct sockaddr_storage ss;
  socklen_t len = sockaddr_of(&args[2], &ss);
  if (t->st == T_CONNECTING) return err_result(res, a, EC_CONCURRENCY_CONFLICT, trap);
  if (t->st != T_UNBOUND && t->st != T_BOUND) return err_result(res, a, EC_INVALID_STATE, trap);
  int bad = check_remote(t->family, &ss);
  if (bad >= 0) return err_result(res, a, bad, trap);
  if (!may_connect(p, &ss)) return err_result(res, a, EC_ACCESS_DENIED, trap);
  int r;
  do r = connect(t->fd, (struct sockaddr *)&ss, len);
  while (r != 0 && errno == EINTR);
  /* as wasmtime: start-connect only starts; finish-connect reports every
   * outcome, also one connect(2) gave at once */
  t->connect_err = r != 0 && errno != EINPROGRESS ? errno : 0;
  t->st = T_CONNECTING;
  return ok_result(res, NULL);
}

/* The input and output streams of a connected socket in in_out[0], [1]:
 * the socket keeps the descriptor (and so must outlive them). */
static bool tcp_streams(wp2_ctx *p, tcp_sock *t, wc_value *in_out, wc_trap *trap) {
  wp2_stream s = {.fd = t->fd, .socket = true, .owner = t};
  if (!wp2_new_input_stream(p, &s, &in_out[0], trap) || !wp2_new_output_stream(p, &s, &in_out[1], trap)) return false;
  t->in_rep = in_out[0].u.handle.rep;
  t->out_rep = in_out[1].u.handle.rep;
  return true;
}

WP2_FN(tcp_finish_connect) {
  WP2_UNUSED;
  TCP_SELF;
  if (t->st != T_CONNECTING) return err_result(res, a, EC_NOT_IN_PROGRESS, trap);
  int e = t->connect_err;
  if (!e) {
    struct pollfd pf = {.fd = t->fd, .events = POLLOUT};
    if (poll(&pf, 1, 0) == 0) return err_result(res, a, EC_WOULD_BLOCK, trap);
    socklen_t el = sizeof e;
    if (getsockopt(t->fd, SOL_SOCKET, SO_ERROR, &e, &el) != 0) e = errno;
  }
  if (e) {
    t->st = T_CLOSED;
    /* Linux: EADDRNOTAVAIL is no ephemeral port left for the implicit bind */
    return err_result(res, a, e == EADDRNOTAVAIL ? EC_ADDRESS_IN_USE : errno_code(e), trap);
  }
  wc_value *v = wp2_vals(a, 3);
  if (!v) return wp2_trap_oom(trap);
  if (!tcp_streams(p, t, &v[1], trap)) return false;
  t->st = T_CONNECTED;
  v[0] = (wc_value){.kind = WC_V_RECORD, .u.seq = {&v[1], 2}};
  return ok_result(res, &v[0]);
}

WP2_FN(tcp_start_listen) {
  WP2_UNUSED;
  TCP_SELF;
  if (t->st == T_LISTEN_STARTED) return err_result(res, a, EC_CONCURRENCY_CONFLICT, trap);
  if (t->st != T_BOUND) return err_result(res, a, EC_INVALID_STATE, trap);
  t->st = T_LISTEN_STARTED; /* listen(2) is finish-listen's, as in wasmtime */
  return ok_result(res, NULL);
}

WP2_FN(tcp_finish_listen) {
  WP2_UNUSED;
  TCP_SELF;
  if (t->st != T_LISTEN_STARTED) return err_result(res, a, EC_NOT_IN_PROGRESS, trap);
  if (listen(t->fd, (int)t->backlog) != 0) {
    t->st = T_CLOSED;
    return errno_result(res, a, errno, trap);
  }
  t->st = T_LISTENING;
  return ok_result(res, NULL);
}

WP2_FN(tcp_accept) {
  WP2_UNUSED;
  TCP_SELF;
  if (t->st != T_LISTENING) return err_result(res, a, EC_INVALID_STATE, trap);
  int fd;
  do fd = accept4(t->fd, NULL, NULL, SOCK_NONBLOCK | SOCK_CLOEXEC);
  while (fd < 0 && errno == EINTR);
  if (fd < 0) {
    int e = errno;
    /* Linux reports a pending error of the new connection from accept(2):
     * to the guest that connection was aborted (as wasmtime normalizes it) */
    if (e == ECONNRESET || e == ENETRESET || e == EHOSTUNREACH || e == EHOSTDOWN || e == ENETDOWN ||
        e == ENETUNREACH || e == EPROTO || e == ENOPROTOOPT || e == ENONET || e == EOPNOTSUPP)
      return err_result(res, a, EC_CONNECTION_ABORTED, trap);
    return errno_result(res, a, e, trap);
  }
  tcp_sock *c = calloc(1, sizeof *c);
  wc_value *v = wp2_vals(a, 4);
  if (!c || !v) { free(c); close(fd); return wp2_trap_oom(trap); }
  *c = (tcp_sock){.fd = fd, .family = t->family, .st = T_CONNECTED, .backlog = t->backlog};
  if (!tcp_add(p, c, &v[1], trap)) { close(fd); free(c); return false; }
  if (!tcp_streams(p, c, &v[2], trap)) return false; /* c is the guest's handle's now */
  v[0] = (wc_value){.kind = WC_V_RECORD, .u.seq = {&v[1], 3}};
  return ok_result(res, &v[0]);
}

static bool tcp_bound(const tcp_sock *t) { return t->st != T_UNBOUND && t->st != T_BIND_STARTED; }

WP2_FN(tcp_local_address) {
  WP2_UNUSED;
  TCP_SELF;
  /* a socket that connected or failed to has a local address too */
  if (t->st == T_BIND_STARTED) return err_result(res, a, EC_CONCURRENCY_CONFLICT, trap);
  if (!tcp_bound(t)) return err_result(res, a, EC_INVALID_STATE, trap);
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(t->fd, (struct sockaddr *)&ss, &len) != 0) return errno_result(res, a, errno, trap);
  return addr_result(res, a, &ss, trap);
}

WP2_FN(tcp_remote_address) {
  WP2_UNUSED;
  TCP_SELF;
  if (t->st == T_CONNECTING) return err_result(res, a, EC_CONCURRENCY_CONFLICT, trap);
  if (t->st != T_CONNECTED) return err_result(res, a, EC_INVALID_STATE, trap);
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getpeername(t->fd, (struct sockaddr *)&ss, &len) != 0) return errno_result(res, a, errno, trap);
  return addr_result(res, a, &ss, trap);
}

WP2_FN(tcp_is_listening) {
  WP2_UNUSED;
  TCP_SELF;
  res[0] = (wc_value){.kind = WC_V_BOOL, .u.b = t->st == T_LISTENING};
  return true;
}

WP2_FN(tcp_address_family) {
  WP2_UNUSED;
  TCP_SELF;
  res[0] = wp2_variant(t->family == AF_INET ? 0 : 1, NULL);
  return true;
}

WP2_FN(tcp_set_listen_backlog_size) {
  WP2_UNUSED;
  TCP_SELF;
  uint64_t v = args[1].u.u;
  if (v == 0) return err_result(res, a, EC_INVALID_ARGUMENT, trap);
  if (t->st != T_UNBOUND && t->st != T_BOUND && t->st != T_LISTENING) return err_result(res, a, EC_INVALID_STATE, trap);
  uint32_t b = v > MAX_BACKLOG ? MAX_BACKLOG : (uint32_t)v;
  /* Linux takes a new backlog by listening again */
  if (t->st == T_LISTENING && listen(t->fd, (int)b) != 0) return err_result(res, a, EC_NOT_SUPPORTED, trap);
  t->backlog = b;
  return ok_result(res, NULL);
}

/* An integer socket option: get into *v, or set it. False with errno. */
static bool opt_get(int fd, int level, int name, int *v) {
  socklen_t len = sizeof *v;
  return getsockopt(fd, level, name, v, &len) == 0;
}
static bool opt_set(int fd, int level, int name, int v) { return setsockopt(fd, level, name, &v, sizeof v) == 0; }

static bool get_result(wc_value *res, wc_arena *a, int fd, int level, int name, wc_value_kind k, uint64_t scale,
                       wc_trap *trap) {
  int v;
  if (!opt_get(fd, level, name, &v)) return errno_result(res, a, errno, trap);
  return ok_scalar(res, a, k, (uint64_t)(v < 0 ? 0 : v) * scale, trap);
}
static bool set_result(wc_value *res, wc_arena *a, int fd, int level, int name, int v, wc_trap *trap) {
  if (!opt_set(fd, level, name, v)) return errno_result(res, a, errno, trap);
  return ok_result(res, NULL);
}

/* A duration in ns as whole seconds for TCP_KEEPIDLE/INTVL: rounded up, within 1..32767. */
static int secs_of(uint64_t ns) {
  uint64_t s = ns / 1000000000u + (ns % 1000000000u != 0);
  return s > 32767 ? 32767 : (int)s;
}

WP2_FN(tcp_keep_alive_enabled) {
  WP2_UNUSED;
  TCP_SELF;
  return get_result(res, a, t->fd, SOL_SOCKET, SO_KEEPALIVE, WC_V_BOOL, 1, trap);
}
WP2_FN(tcp_set_keep_alive_enabled) {
  WP2_UNUSED;
  TCP_SELF;
  return set_result(res, a, t->fd, SOL_SOCKET, SO_KEEPALIVE, args[1].u.b, trap);
}
WP2_FN(tcp_keep_alive_idle_time) {
  WP2_UNUSED;
  TCP_SELF;
  return get_result(res, a, t->fd, IPPROTO_TCP, TCP_KEEPIDLE, WC_V_U64, 1000000000u, trap);
}
WP2_FN(tcp_set_keep_alive_idle_time) {
  WP2_UNUSED;
  TCP_SELF;
  if (args[1].u.u == 0) return err_result(res, a, EC_INVALID_ARGUMENT, trap);
  return set_result(res, a, t->fd, IPPROTO_TCP, TCP_KEEPIDLE, secs_of(args[1].u.u), trap);
}
WP2_FN(tcp_keep_alive_interval) {
  WP2_UNUSED;
  TCP_SELF;
  return get_result(res, a, t->fd, IPPROTO_TCP, TCP_KEEPINTVL, WC_V_U64, 1000000000u, trap);
}
WP2_FN(tcp_set_keep_alive_interval) {
  WP2_UNUSED;
  TCP_SELF;
  if (args[1].u.u == 0) return err_result(res, a, EC_INVALID_ARGUMENT, trap);
  return set_result(res, a, t->fd, IPPROTO_TCP, TCP_KEEPINTVL, secs_of(args[1].u.u), trap);
}
WP2_FN(tcp_keep_alive_count) {
  WP2_UNUSED;
  TCP_SELF;
  return get_result(res, a, t->fd, IPPROTO_TCP, TCP_KEEPCNT, WC_V_U32, 1, trap);
}
WP2_FN(tcp_set_keep_alive_count) {
  WP2_UNUSED;
  TCP_SELF;
  uint64_t v = args[1].u.u;
  if (v == 0) return err_result(res, a, EC_INVALID_ARGUMENT, trap);
  return set_result(res, a, t->fd, IPPROTO_TCP, TCP_KEEPCNT, v > 127 ? 127 : (int)v, trap); /* Linux's maximum */
}

static int hop_level(int family) { return family == AF_INET ? IPPROTO_IP : IPPROTO_IPV6; }
static int hop_name(int family) { return family == AF_INET ? IP_TTL : IPV6_UNICAST_HOPS; }

static bool hop_get(wc_value *res, wc_arena *a, int fd, int family, wc_trap *trap) {
  return get_result(res, a, fd, hop_level(family), hop_name(family), WC_V_U8, 1, trap);
}
static bool hop_set(wc_value *res, wc_arena *a, int fd, int family, uint64_t v, wc_trap *trap) {
  if (v == 0) return err_result(res, a, EC_INVALID_ARGUMENT, trap);
  return set_result(res, a, fd, hop_level(family), hop_name(family), (int)v, trap);
}
static bool buf_set(wc_value *res, wc_arena *a, int fd, int name, uint64_t v, wc_trap *trap) {
  if (v == 0) return err_result(res, a, EC_INVALID_ARGUMENT, trap);
  return set_result(res, a, fd, SOL_SOCKET, name, v > INT_MAX / 2 ? INT_MAX / 2 : (int)v, trap);
}

WP2_FN(tcp_hop_limit) { WP2_UNUSED; TCP_SELF; return hop_get(res, a, t->fd, t->family, trap); }
WP2_FN(tcp_set_hop_limit) { WP2_UNUSED; TCP_SELF; return hop_set(res, a, t->fd, t->family, args[1].u.u, trap); }
WP2_FN(tcp_receive_buffer_size) {
  WP2_UNUSED;
  TCP_SELF;
  return get_result(res, a, t->fd, SOL_SOCKET, SO_RCVBUF, WC_V_U64, 1, trap);
}
WP2_FN(tcp_set_receive_buffer_size) { WP2_UNUSED; TCP_SELF; return buf_set(res, a, t->fd, SO_RCVBUF, args[1].u.u, trap); }
WP2_FN(tcp_send_buffer_size) {
  WP2_UNUSED;
  TCP_SELF;
  return get_result(res, a, t->fd, SOL_SOCKET, SO_SNDBUF, WC_V_U64, 1, trap);
}
WP2_FN(tcp_set_send_buffer_size) { WP2_UNUSED; TCP_SELF; return buf_set(res, a, t->fd, SO_SNDBUF, args[1].u.u, trap); }

/* Ready as TcpSocketOperationalSemantics.md says: a pending connect when it
 * has an outcome, a listener when a connection waits, anything else at once. */
static bool tcp_ready(void *arg) {
  const tcp_sock *t = arg;
  if (t->st == T_CONNECTING) return t->connect_err || wp2_fd_ready(t->fd, POLLOUT);
  if (t->st == T_LISTENING) return wp2_fd_ready(t->fd, POLLIN);
  return true;
}

WP2_FN(tcp_subscribe) {
  WP2_UNUSED;
  TCP_SELF;
  short ev = t->st == T_CONNECTING ? POLLOUT : POLLIN;
  return new_custom_pollable(p, t->st == T_CONNECTING || t->st == T_LISTENING ? t->fd : -1, ev, tcp_ready, t, res,
                             trap);
}

/* Marks the stream at `rep` closed if it is still the socket's (the guest may
 * have dropped it, and its slot may now hold another owner's stream). */
static void close_stream(wp2_ctx *p, const tcp_sock *t, uint32_t rep) {
  wp2_stream *s = rep < p->streams.n ? p->streams.items[rep] : NULL;
  if (s && s->owner == t) s->closed = true;
}

WP2_FN(tcp_shutdown) {
  WP2_UNUSED;
  TCP_SELF;
  if (t->st != T_CONNECTED) return err_result(res, a, EC_INVALID_STATE, trap);
  static const int how[] = {SHUT_RD, SHUT_WR, SHUT_RDWR};
  uint32_t k = args[1].u.var.index;
  if (k > 2) k = 2;
  /* as wasmtime: the streams are closed at once (reads give end of stream
   * even with data buffered, writes `closed`), whatever shutdown(2) says */
  if (k != 1) close_stream(p, t, t->in_rep);
  if (k != 0) close_stream(p, t, t->out_rep);
  shutdown(t->fd, how[k]);
  return ok_result(res, NULL);
}

static bool tcp_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  wp2_ctx *p = ctx;
  tcp_sock *t = wp2_table_get(&p->sockets->tcp, rep, trap);
  if (!t) return false;
  if (has_children_trap(p, t, "tcp-socket", trap)) return false;
  wp2_table_take(&p->sockets->tcp, rep);
  close(t->fd);
  free(t);
  return true;
}

/* ---- udp ---------------------------------------------------------------- */

WP2_FN(create_udp_socket) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  int family = family_of(&args[0]);
  int fd = new_socket(family, SOCK_DGRAM);
  if (fd < 0) return errno_result(res, a, errno, trap);
  udp_sock *u = calloc(1, sizeof *u);
  wc_value *v = wp2_vals(a, 1);
  uint32_t rep;
  if (!u || !v) { free(u); close(fd); return wp2_trap_oom(trap); }
  u->fd = fd;
  u->family = family;
  if (!wp2_table_add(&p->sockets->udp, u, &rep, trap)) { close(fd); free(u); return false; }
  *v = wp2_own(p->sockets->rt_udp, rep);
  return ok_result(res, v);
}

#define UDP_SELF                                                                                       \
  wp2_ctx *p = env;                                                                                    \
  udp_sock *u = wp2_table_get(&p->sockets->udp, args[0].u.handle.rep, trap);                           \
  if (!u) return false

WP2_FN(udp_start_bind) {
  WP2_UNUSED;
  UDP_SELF;
  struct sockaddr_storage ss;
  socklen_t len = sockaddr_of(&args[2], &ss);
  if (u->bind_started) return err_result(res, a, EC_CONCURRENCY_CONFLICT, trap);
  if (u->bound) return err_result(res, a, EC_INVALID_STATE, trap);
  int bad = check_local(u->family, &ss);
  if (bad >= 0) return err_result(res, a, bad, trap);
  if (!may_bind(p, &ss)) return err_result(res, a, EC_ACCESS_DENIED, trap);
  if (bind(u->fd, (struct sockaddr *)&ss, len) != 0) return errno_result(res, a, errno, trap);
  u->bind_started = true;
  return ok_result(res, NULL);
}

WP2_FN(udp_finish_bind) {
  WP2_UNUSED;
  UDP_SELF;
  if (!u->bind_started) return err_result(res, a, EC_NOT_IN_PROGRESS, trap);
  u->bind_started = false;
  u->bound = true;
  return ok_result(res, NULL);
}

static bool udp_stream_add(wp2_table *t, const wc_resource_type *rt, udp_sock *u, wc_value *out, wc_trap *trap) {
  udp_stream *s = calloc(1, sizeof *s);
  uint32_t rep;
  if (!s) return wp2_trap_oom(trap);
  s->sock = u;
  if (!wp2_table_add(t, s, &rep, trap)) { free(s); return false; }
  u->streams++;
  *out = wp2_own(rt, rep);
  return true;
}

WP2_FN(udp_stream_fn) {
  WP2_UNUSED;
  UDP_SELF;
  struct wp2_sockets *k = p->sockets;
  if (!u->bound) return err_result(res, a, EC_INVALID_STATE, trap);
  /* WASI lets an implementation trap here: only the newest pair would work */
  if (u->streams) return wp2_trap(trap, "udp-socket.stream: the datagram streams of the previous call are still live");
  bool connect_to = args[1].u.var.index == 1;
  struct sockaddr_storage ss;
  socklen_t len = 0;
  if (connect_to) {
    len = sockaddr_of(args[1].u.var.payload, &ss);
    int bad = check_remote(u->family, &ss);
    if (bad >= 0) return err_result(res, a, bad, trap);
    if (!may_connect(p, &ss)) return err_result(res, a, EC_ACCESS_DENIED, trap);
  }
  if (u->connected) { /* dissolve the old association first */
    struct sockaddr unspec = {.sa_family = AF_UNSPEC};
    connect(u->fd, &unspec, sizeof unspec);
    u->connected = false;
  }
  if (connect_to) {
    if (connect(u->fd, (struct sockaddr *)&ss, len) != 0) return errno_result(res, a, errno, trap);
    u->connected = true;
    u->peer = ss;
  }
  wc_value *v = wp2_vals(a, 3);
  if (!v) return wp2_trap_oom(trap);
  if (!udp_stream_add(&k->uin, k->rt_uin, u, &v[1], trap)) return false;
  if (!udp_stream_add(&k->uout, k->rt_uout, u, &v[2], trap)) return false;
  v[0] = (wc_value){.kind = WC_V_RECORD, .u.seq = {&v[1], 2}};
  return ok_result(res, &v[0]);
}

WP2_FN(udp_local_address) {
  WP2_UNUSED;
  UDP_SELF;
  if (u->bind_started) return err_result(res, a, EC_CONCURRENCY_CONFLICT, trap);
  if (!u->bound) return err_result(res, a, EC_INVALID_STATE, trap);
  struct sockaddr_storage ss;
  socklen_t len = sizeof ss;
  if (getsockname(u->fd, (struct sockaddr *)&ss, &len) != 0) return errno_result(res, a, errno, trap);
  return addr_result(res, a, &ss, trap);
}

WP2_FN(udp_remote_address) {
  WP2_UNUSED;
  UDP_SELF;
  if (!u->connected) return err_result(res, a, EC_INVALID_STATE, trap);
  return addr_result(res, a, &u->peer, trap);
}

WP2_FN(udp_address_family) {
  WP2_UNUSED;
  UDP_SELF;
  res[0] = wp2_variant(u->family == AF_INET ? 0 : 1, NULL);
  return true;
}

WP2_FN(udp_unicast_hop_limit) { WP2_UNUSED; UDP_SELF; return hop_get(res, a, u->fd, u->family, trap); }
WP2_FN(udp_set_unicast_hop_limit) { WP2_UNUSED; UDP_SELF; return hop_set(res, a, u->fd, u->family, args[1].u.u, trap); }
WP2_FN(udp_receive_buffer_size) {
  WP2_UNUSED;
  UDP_SELF;
  return get_result(res, a, u->fd, SOL_SOCKET, SO_RCVBUF, WC_V_U64, 1, trap);
}
WP2_FN(udp_set_receive_buffer_size) { WP2_UNUSED; UDP_SELF; return buf_set(res, a, u->fd, SO_RCVBUF, args[1].u.u, trap); }
WP2_FN(udp_send_buffer_size) {
  WP2_UNUSED;
  UDP_SELF;
  return get_result(res, a, u->fd, SOL_SOCKET, SO_SNDBUF, WC_V_U64, 1, trap);
}
WP2_FN(udp_set_send_buffer_size) { WP2_UNUSED; UDP_SELF; return buf_set(res, a, u->fd, SO_SNDBUF, args[1].u.u, trap); }

/* A UDP socket has no operation in progress that a pollable could wait for. */
static bool udp_ready(void *arg) { (void)arg; return true; }
WP2_FN(udp_subscribe) { WP2_UNUSED; UDP_SELF; return new_custom_pollable(p, -1, 0, udp_ready, u, res, trap); }

static bool udp_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  wp2_ctx *p = ctx;
  udp_sock *u = wp2_table_get(&p->sockets->udp, rep, trap);
  if (!u) return false;
  if (has_children_trap(p, u, "udp-socket", trap)) return false;
  if (u->streams) return wp2_trap(trap, "cannot drop udp-socket: resource has children (its datagram streams)");
  wp2_table_take(&p->sockets->udp, rep);
  close(u->fd);
  free(u);
  return true;
}

/* ---- udp datagram streams ------------------------------------------------- */

#define DGRAM_SELF(table)                                                                              \
  wp2_ctx *p = env;                                                                                    \
  udp_stream *ds = wp2_table_get(&p->sockets->table, args[0].u.handle.rep, trap);                      \
  if (!ds) return false;                                                                               \
  udp_sock *u = ds->sock

WP2_FN(uin_receive) {
  WP2_UNUSED;
  DGRAM_SELF(uin);
  uint64_t max = args[1].u.u;
  if (max > 64) max = 64; /* "fewer than requested" is allowed; this bounds one call's memory */
  wc_value *items = wp2_vals(a, (size_t)max);
  uint8_t *buf = wc_arena_alloc(a, UDP_MAX_DATAGRAM);
  if (!items || !buf) return wp2_trap_oom(trap);
  uint32_t n = 0;
  while (n < max) {
    struct sockaddr_storage from;
    socklen_t fl = sizeof from;
    ssize_t r = recvfrom(u->fd, buf, UDP_MAX_DATAGRAM, MSG_DONTWAIT, (struct sockaddr *)&from, &fl);
    if (r < 0) {
      if (errno == EINTR) continue;
      if (errno == EAGAIN || errno == EWOULDBLOCK) break;
      if (n > 0) break; /* report what came; the error comes again next time */
      return errno_result(res, a, errno, trap);
    }
    wc_value *f = wp2_vals(a, 2);
    if (!f || !wp2_u8_list(a, buf, (size_t)r, &f[0]) || !sockaddr_value(a, &from, &f[1])) return wp2_trap_oom(trap);
    items[n++] = (wc_value){.kind = WC_V_RECORD, .u.seq = {f, 2}};
  }
  wc_value *v = wp2_vals(a, 1);
  if (!v) return wp2_trap_oom(trap);
  *v = (wc_value){.kind = WC_V_LIST, .u.seq = {items, n}};
  return ok_result(res, v);
}

static bool uin_ready(void *arg) { return wp2_fd_ready(((udp_stream *)arg)->sock->fd, POLLIN); }
static bool uout_ready(void *arg) { return wp2_fd_ready(((udp_stream *)arg)->sock->fd, POLLOUT); }

WP2_FN(uin_subscribe) { WP2_UNUSED; DGRAM_SELF(uin); return new_custom_pollable(p, u->fd, POLLIN, uin_ready, ds, res, trap); }
WP2_FN(uout_subscribe) {
  WP2_UNUSED;
  DGRAM_SELF(uout);
  return new_custom_pollable(p, u->fd, POLLOUT, uout_ready, ds, res, trap);
}

WP2_FN(uout_check_send) {
  WP2_UNUSED;
  DGRAM_SELF(uout);
  /* as wasmtime: a grant lasts until the next send; after a send met a full
   * buffer, nothing is granted until the socket is writable again */
  if (ds->waiting && wp2_fd_ready(u->fd, POLLOUT)) ds->waiting = false;
  if (ds->waiting) return ok_scalar(res, a, WC_V_U64, 0, trap);
  if (ds->permits == 0) ds->permits = UDP_SEND_PERMITS;
  return ok_scalar(res, a, WC_V_U64, ds->permits, trap);
}

static bool same_addr(const struct sockaddr_storage *x, const struct sockaddr_storage *y) {
  return x->ss_family == y->ss_family && addr_port(x) == addr_port(y) &&
         memcmp(addr_bytes(x), addr_bytes(y), x->ss_family == AF_INET ? 4 : 16) == 0;
}

WP2_FN(uout_send) {
  WP2_UNUSED;
  DGRAM_SELF(uout);
  uint32_t n = args[1].u.seq.n;
  if (ds->permits == 0 || ds->waiting)
    return wp2_trap(trap, "outgoing-datagram-stream.send: unpermitted: must call check-send first");
  if (n > ds->permits)
    return wp2_trap(trap, "outgoing-datagram-stream.send: unpermitted: %u datagrams exceed the %llu check-send permitted",
                    n, (unsigned long long)ds->permits);
  ds->permits = 0;
  uint8_t *buf = wc_arena_alloc(a, UDP_MAX_DATAGRAM + 1);
  if (!buf) return wp2_trap_oom(trap);
  uint64_t sent = 0;
  for (uint32_t i = 0; i < n; i++) {
    const wc_value *d = &args[1].u.seq.v[i];
    const wc_value *data = &d->u.seq.v[0], *to = &d->u.seq.v[1];
    int code = -1;
    struct sockaddr_storage ss;
    socklen_t len = 0;
    if (to->u.var.index == 1) {
      len = sockaddr_of(to->u.var.payload, &ss);
      code = check_remote(u->family, &ss);
      if (code < 0 && u->connected && !same_addr(&ss, &u->peer)) code = EC_INVALID_ARGUMENT;
      if (code < 0 && !u->connected && !may_connect(p, &ss)) code = EC_ACCESS_DENIED;
    } else if (!u->connected) {
      code = EC_INVALID_ARGUMENT;
    }
    if (code < 0 && data->u.seq.n > UDP_MAX_DATAGRAM) code = EC_DATAGRAM_TOO_LARGE;
    if (code < 0) {
      for (uint32_t j = 0; j < data->u.seq.n; j++) buf[j] = (uint8_t)data->u.seq.v[j].u.u;
      ssize_t r;
      do r = u->connected ? send(u->fd, buf, data->u.seq.n, MSG_DONTWAIT | MSG_NOSIGNAL)
                          : sendto(u->fd, buf, data->u.seq.n, MSG_DONTWAIT | MSG_NOSIGNAL, (struct sockaddr *)&ss, len);
      while (r < 0 && errno == EINTR);
      if (r < 0) {
        if (errno == EAGAIN || errno == EWOULDBLOCK) { ds->waiting = true; break; }
        code = errno_code(errno);
      }
    }
    if (code >= 0) {
      if (sent > 0) break; /* what went counts; the error comes again next time */
      return err_result(res, a, code, trap);
    }
    sent++;
  }
  return ok_scalar(res, a, WC_V_U64, sent, trap);
}

static bool dgram_dtor(wp2_ctx *p, wp2_table *t, uint32_t rep, const char *what, wc_trap *trap) {
  udp_stream *ds = wp2_table_get(t, rep, trap);
  if (!ds) return false;
  if (has_children_trap(p, ds, what, trap)) return false;
  wp2_table_take(t, rep);
  ds->sock->streams--;
  free(ds);
  return true;
}
static bool uin_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  wp2_ctx *p = ctx;
  return dgram_dtor(p, &p->sockets->uin, rep, "incoming-datagram-stream", trap);
}
static bool uout_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  wp2_ctx *p = ctx;
  return dgram_dtor(p, &p->sockets->uout, rep, "outgoing-datagram-stream", trap);
}

/* ---- ip-name-lookup ------------------------------------------------------- */

static void lookup_unref(lookup *l) {
  if (atomic_fetch_sub(&l->refs, 1) != 1) return;
  if (l->res) freeaddrinfo(l->res);
  if (l->efd >= 0) close(l->efd);
  free(l->name);
  free(l);
}

static void *resolver(void *arg) {
  lookup *l = arg;
  struct addrinfo hints = {.ai_family = AF_UNSPEC, .ai_socktype = SOCK_STREAM};
  l->gai = getaddrinfo(l->name, NULL, &hints, &l->res);
  atomic_store(&l->done, true);
  uint64_t one = 1;
  if (write(l->efd, &one, sizeof one) < 0) { /* the eventfd cannot be full: nothing to do */ }
  lookup_unref(l);
  return NULL;
}

/* A name the resolver may be asked about: 1..253 bytes of letters, digits,
 * '-', '.', '_' or ':' (IPv6 literals), no empty label. */
static bool name_ok(const char *s, size_t n) {
  if (n == 0 || n > 253) return false;
  for (size_t i = 0; i < n; i++) {
    char c = s[i];
    bool ok = (c >= 'a' && c <= 'z') || (c >= 'A' && c <= 'Z') || (c >= '0' && c <= '9') || c == '-' || c == '.' ||
              c == '_' || c == ':';
    if (!ok) return false;
    if (c == '.' && (i == 0 || s[i - 1] == '.')) return false;
  }
  return true;
}

WP2_FN(resolve_addresses) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  const char *name = args[1].u.str.ptr;
  size_t n = args[1].u.str.len;
  /* wasmtime's order: a malformed name first, then the permission */
  if (!name_ok(name, n)) return err_result(res, a, EC_INVALID_ARGUMENT, trap);
  if (!p->cfg.allow_lookup) return err_result(res, a, EC_ACCESS_DENIED, trap);
  lookup *l = calloc(1, sizeof *l);
  if (!l) return wp2_trap_oom(trap);
  l->efd = eventfd(0, EFD_CLOEXEC | EFD_NONBLOCK);
  l->name = strndup(name, n);
  atomic_init(&l->refs, 2); /* the handle and the thread */
  atomic_init(&l->done, false);
  wc_value *v = wp2_vals(a, 1);
  pthread_attr_t attr;
  pthread_t th;
  bool started = false;
  if (l->efd >= 0 && l->name && v && pthread_attr_init(&attr) == 0) {
    pthread_attr_setdetachstate(&attr, PTHREAD_CREATE_DETACHED);
    pthread_attr_setstacksize(&attr, 256 * 1024);
    started = pthread_create(&th, &attr, resolver, l) == 0;
    pthread_attr_destroy(&attr);
  }
  if (!started) {
    atomic_store(&l->refs, 1);
    lookup_unref(l);
    return err_result(res, a, EC_OUT_OF_MEMORY, trap);
  }
  uint32_t rep;
  if (!wp2_table_add(&p->sockets->lookups, l, &rep, trap)) { lookup_unref(l); return false; }
  *v = wp2_own(p->sockets->rt_lookup, rep);
  return ok_result(res, v);
}

static int gai_code(int g) {
  switch (g) {
  case EAI_NONAME: case EAI_NODATA: case EAI_ADDRFAMILY: return EC_NAME_UNRESOLVABLE;
  case EAI_AGAIN: return EC_TEMPORARY_RESOLVER_FAILURE;
  case EAI_MEMORY: return EC_OUT_OF_MEMORY;
  default: return EC_PERMANENT_RESOLVER_FAILURE;
  }
}

WP2_FN(resolve_next_address) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  lookup *l = wp2_table_get(&p->sockets->lookups, args[0].u.handle.rep, trap);
  if (!l) return false;
  if (!atomic_load(&l->done)) return err_result(res, a, EC_WOULD_BLOCK, trap);
  if (l->gai) return err_result(res, a, gai_code(l->gai), trap);
  if (!l->started) { l->next = l->res; l->started = true; }
  while (l->next && l->next->ai_family != AF_INET && l->next->ai_family != AF_INET6) l->next = l->next->ai_next;
  wc_value *v = wp2_vals(a, 3);
  if (!v) return wp2_trap_oom(trap);
  if (!l->next) {
    v[0] = wp2_variant(0, NULL);
    return ok_result(res, &v[0]);
  }
  const struct addrinfo *ai = l->next;
  l->next = ai->ai_next;
  const void *addr = ai->ai_family == AF_INET ? (const void *)&((struct sockaddr_in *)ai->ai_addr)->sin_addr
                                              : (const void *)&((struct sockaddr_in6 *)ai->ai_addr)->sin6_addr;
  if (!ip_value(a, ai->ai_family, addr, &v[2])) return wp2_trap_oom(trap);
  v[1] = wp2_variant(ai->ai_family == AF_INET ? 0 : 1, &v[2]);
  v[0] = wp2_variant(1, &v[1]);
  return ok_result(res, &v[0]);
}

static bool lookup_ready(void *arg) { return atomic_load(&((lookup *)arg)->done); }

WP2_FN(resolve_subscribe) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  lookup *l = wp2_table_get(&p->sockets->lookups, args[0].u.handle.rep, trap);
  if (!l) return false;
  return new_custom_pollable(p, l->efd, POLLIN, lookup_ready, l, res, trap);
}

static bool lookup_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  wp2_ctx *p = ctx;
  lookup *l = wp2_table_get(&p->sockets->lookups, rep, trap);
  if (!l) return false;
  if (has_children_trap(p, l, "resolve-address-stream", trap)) return false;
  wp2_table_take(&p->sockets->lookups, rep);
  lookup_unref(l);
  return true;
}

/* ---- registration --------------------------------------------------------- */

#define TCP "wasi:sockets/tcp"
#define UDP "wasi:sockets/udp"
/* Named types of wasi:sockets (wasi:sockets@0.2 WIT), in dependency order. */
static const wp2_types socket_types[] = {
  {"wasi:sockets/network",
   "use wasi:io/error.{error};\n"
   "enum error-code { unknown, access-denied, not-supported, invalid-argument, out-of-memory, timeout,\n"
   "  concurrency-conflict, not-in-progress, would-block, invalid-state, new-socket-limit,\n"
   "  address-not-bindable, address-in-use, remote-unreachable, connection-refused, connection-reset,\n"
   "  connection-aborted, datagram-too-large, name-unresolvable, temporary-resolver-failure,\n"
   "  permanent-resolver-failure }\n"
   "enum ip-address-family { ipv4, ipv6 }\n"
   "type ipv4-address = tuple<u8, u8, u8, u8>;\n"
   "type ipv6-address = tuple<u16, u16, u16, u16, u16, u16, u16, u16>;\n"
   "variant ip-address { ipv4(ipv4-address), ipv6(ipv6-address) }\n"
   "record ipv4-socket-address { port: u16, address: ipv4-address }\n"
   "record ipv6-socket-address { port: u16, flow-info: u32, address: ipv6-address, scope-id: u32 }\n"
   "variant ip-socket-address { ipv4(ipv4-socket-address), ipv6(ipv6-socket-address) }"},
  {"wasi:sockets/instance-network", "use wasi:sockets/network.{network}"},
  {TCP,
   "use wasi:io/streams.{input-stream, output-stream}; use wasi:io/poll.{pollable};\n"
   "use wasi:clocks/monotonic-clock.{duration};\n"
   "use wasi:sockets/network.{network, error-code, ip-socket-address, ip-address-family};\n"
   "enum shutdown-type { receive, send, both }"},
  {"wasi:sockets/tcp-create-socket",
   "use wasi:sockets/network.{network, error-code, ip-address-family}; use wasi:sockets/tcp.{tcp-socket}"},
  {UDP,
   "use wasi:io/poll.{pollable};\n"
   "use wasi:sockets/network.{network, error-code, ip-socket-address, ip-address-family};\n"
   "record incoming-datagram { data: list<u8>, remote-address: ip-socket-address }\n"
   "record outgoing-datagram { data: list<u8>, remote-address: option<ip-socket-address> }"},
  {"wasi:sockets/udp-create-socket",
   "use wasi:sockets/network.{network, error-code, ip-address-family}; use wasi:sockets/udp.{udp-socket}"},
  {"wasi:sockets/ip-name-lookup",
   "use wasi:io/poll.{pollable}; use wasi:sockets/network.{network, error-code, ip-address}"},
};

static const wp2_func socket_funcs[] = {
  {"wasi:sockets/instance-network", "instance-network", instance_network,
   "func() -> network"},
  {"wasi:sockets/network", "network-error-code", network_error_code,
   "func(err: borrow<error>) -> option<error-code>"},
  {"wasi:sockets/tcp-create-socket", "create-tcp-socket", create_tcp_socket,
   "func(address-family: ip-address-family) -> result<tcp-socket, error-code>"},
  {TCP, "[method]tcp-socket.start-bind", tcp_start_bind,
   "func(self: borrow<tcp-socket>, network: borrow<network>, local-address: ip-socket-address) -> result<_, error-code>"},
  {TCP, "[method]tcp-socket.finish-bind", tcp_finish_bind,
   "func(self: borrow<tcp-socket>) -> result<_, error-code>"},
  {TCP, "[method]tcp-socket.start-connect", tcp_start_connect,
   "func(self: borrow<tcp-socket>, network: borrow<network>, remote-address: ip-socket-address) -> result<_, error-code>"},
  {TCP, "[method]tcp-socket.finish-connect", tcp_finish_connect,
   "func(self: borrow<tcp-socket>) -> result<tuple<input-stream, output-stream>, error-code>"},
  {TCP, "[method]tcp-socket.start-listen", tcp_start_listen,
   "func(self: borrow<tcp-socket>) -> result<_, error-code>"},
  {TCP, "[method]tcp-socket.finish-listen", tcp_finish_listen,
   "func(self: borrow<tcp-socket>) -> result<_, error-code>"},
  {TCP, "[method]tcp-socket.accept", tcp_accept,
   "func(self: borrow<tcp-socket>) -> result<tuple<tcp-socket, input-stream, output-stream>, error-code>"},
  {TCP, "[method]tcp-socket.local-address", tcp_local_address,
   "func(self: borrow<tcp-socket>) -> result<ip-socket-address, error-code>"},
  {TCP, "[method]tcp-socket.remote-address", tcp_remote_address,
   "func(self: borrow<tcp-socket>) -> result<ip-socket-address, error-code>"},
  {TCP, "[method]tcp-socket.is-listening", tcp_is_listening,
   "func(self: borrow<tcp-socket>) -> bool"},
  {TCP, "[method]tcp-socket.address-family", tcp_address_family,
   "func(self: borrow<tcp-socket>) -> ip-address-family"},
  {TCP, "[method]tcp-socket.set-listen-backlog-size", tcp_set_listen_backlog_size,
   "func(self: borrow<tcp-socket>, value: u64) -> result<_, error-code>"},
  {TCP, "[method]tcp-socket.keep-alive-enabled", tcp_keep_alive_enabled,
   "func(self: borrow<tcp-socket>) -> result<bool, error-code>"},
  {TCP, "[method]tcp-socket.set-keep-alive-enabled", tcp_set_keep_alive_enabled,
   "func(self: borrow<tcp-socket>, value: bool) -> result<_, error-code>"},
  {TCP, "[method]tcp-socket.keep-alive-idle-time", tcp_keep_alive_idle_time,
   "func(self: borrow<tcp-socket>) -> result<duration, error-code>"},
  {TCP, "[method]tcp-socket.set-keep-alive-idle-time", tcp_set_keep_alive_idle_time,
   "func(self: borrow<tcp-socket>, value: duration) -> result<_, error-code>"},
  {TCP, "[method]tcp-socket.keep-alive-interval", tcp_keep_alive_interval,
   "func(self: borrow<tcp-socket>) -> result<duration, error-code>"},
  {TCP, "[method]tcp-socket.set-keep-alive-interval", tcp_set_keep_alive_interval,
   "func(self: borrow<tcp-socket>, value: duration) -> result<_, error-code>"},
  {TCP, "[method]tcp-socket.keep-alive-count", tcp_keep_alive_count,
   "func(self: borrow<tcp-socket>) -> result<u32, error-code>"},
  {TCP, "[method]tcp-socket.set-keep-alive-count", tcp_set_keep_alive_count,
   "func(self: borrow<tcp-socket>, value: u32) -> result<_, error-code>"},
  {TCP, "[method]tcp-socket.hop-limit", tcp_hop_limit,
   "func(self: borrow<tcp-socket>) -> result<u8, error-code>"},
  {TCP, "[method]tcp-socket.set-hop-limit", tcp_set_hop_limit,
   "func(self: borrow<tcp-socket>, value: u8) -> result<_, error-code>"},
  {TCP, "[method]tcp-socket.receive-buffer-size", tcp_receive_buffer_size,
   "func(self: borrow<tcp-socket>) -> result<u64, error-code>"},
  {TCP, "[method]tcp-socket.set-receive-buffer-size", tcp_set_receive_buffer_size,
   "func(self: borrow<tcp-socket>, value: u64) -> result<_, error-code>"},
  {TCP, "[method]tcp-socket.send-buffer-size", tcp_send_buffer_size,
   "func(self: borrow<tcp-socket>) -> result<u64, error-code>"},
  {TCP, "[method]tcp-socket.set-send-buffer-size", tcp_set_send_buffer_size,
   "func(self: borrow<tcp-socket>, value: u64) -> result<_, error-code>"},
  {TCP, "[method]tcp-socket.subscribe", tcp_subscribe,
   "func(self: borrow<tcp-socket>) -> pollable"},
  {TCP, "[method]tcp-socket.shutdown", tcp_shutdown,
   "func(self: borrow<tcp-socket>, shutdown-type: shutdown-type) -> result<_, error-code>"},
  {"wasi:sockets/udp-create-socket", "create-udp-socket", create_udp_socket,
   "func(address-family: ip-address-family) -> result<udp-socket, error-code>"},
  {UDP, "[method]udp-socket.start-bind", udp_start_bind,
   "func(self: borrow<udp-socket>, network: borrow<network>, local-address: ip-socket-address) -> result<_, error-code>"},
  {UDP, "[method]udp-socket.finish-bind", udp_finish_bind,
   "func(self: borrow<udp-socket>) -> result<_, error-code>"},
  {UDP, "[method]udp-socket.stream", udp_stream_fn,
   "func(self: borrow<udp-socket>, remote-address: option<ip-socket-address>) -> result<tuple<incoming-datagram-stream, outgoing-datagram-stream>, error-code>"},
  {UDP, "[method]udp-socket.local-address", udp_local_address,
   "func(self: borrow<udp-socket>) -> result<ip-socket-address, error-code>"},
  {UDP, "[method]udp-socket.remote-address", udp_remote_address,
   "func(self: borrow<udp-socket>) -> result<ip-socket-address, error-code>"},
  {UDP, "[method]udp-socket.address-family", udp_address_family,
   "func(self: borrow<udp-socket>) -> ip-address-family"},
  {UDP, "[method]udp-socket.unicast-hop-limit", udp_unicast_hop_limit,
   "func(self: borrow<udp-socket>) -> result<u8, error-code>"},
  {UDP, "[method]udp-socket.set-unicast-hop-limit", udp_set_unicast_hop_limit,
   "func(self: borrow<udp-socket>, value: u8) -> result<_, error-code>"},
  {UDP, "[method]udp-socket.receive-buffer-size", udp_receive_buffer_size,
   "func(self: borrow<udp-socket>) -> result<u64, error-code>"},
  {UDP, "[method]udp-socket.set-receive-buffer-size", udp_set_receive_buffer_size,
   "func(self: borrow<udp-socket>, value: u64) -> result<_, error-code>"},
  {UDP, "[method]udp-socket.send-buffer-size", udp_send_buffer_size,
   "func(self: borrow<udp-socket>) -> result<u64, error-code>"},
  {UDP, "[method]udp-socket.set-send-buffer-size", udp_set_send_buffer_size,
   "func(self: borrow<udp-socket>, value: u64) -> result<_, error-code>"},
  {UDP, "[method]udp-socket.subscribe", udp_subscribe,
   "func(self: borrow<udp-socket>) -> pollable"},
  {UDP, "[method]incoming-datagram-stream.receive", uin_receive,
   "func(self: borrow<incoming-datagram-stream>, max-results: u64) -> result<list<incoming-datagram>, error-code>"},
  {UDP, "[method]incoming-datagram-stream.subscribe", uin_subscribe,
   "func(self: borrow<incoming-datagram-stream>) -> pollable"},
  {UDP, "[method]outgoing-datagram-stream.check-send", uout_check_send,
   "func(self: borrow<outgoing-datagram-stream>) -> result<u64, error-code>"},
  {UDP, "[method]outgoing-datagram-stream.send", uout_send,
   "func(self: borrow<outgoing-datagram-stream>, datagrams: list<outgoing-datagram>) -> result<u64, error-code>"},
  {UDP, "[method]outgoing-datagram-stream.subscribe", uout_subscribe,
   "func(self: borrow<outgoing-datagram-stream>) -> pollable"},
  {"wasi:sockets/ip-name-lookup", "resolve-addresses", resolve_addresses,
   "func(network: borrow<network>, name: string) -> result<resolve-address-stream, error-code>"},
  {"wasi:sockets/ip-name-lookup", "[method]resolve-address-stream.resolve-next-address", resolve_next_address,
   "func(self: borrow<resolve-address-stream>) -> result<option<ip-address>, error-code>"},
  {"wasi:sockets/ip-name-lookup", "[method]resolve-address-stream.subscribe", resolve_subscribe,
   "func(self: borrow<resolve-address-stream>) -> pollable"},
};

/* Everything the guest never dropped (the instance is gone). Runs before
 * io.c's cleanup, which releases the streams without closing the sockets'
 * descriptors (they are not theirs). */
static void sockets_cleanup(wp2_ctx *p, bool final) {
  struct wp2_sockets *k = p->sockets;
  for (uint32_t i = 0; i < k->tcp.n; i++) {
    tcp_sock *t = wp2_table_take(&k->tcp, i);
    if (t) { close(t->fd); free(t); }
  }
  for (uint32_t i = 0; i < k->udp.n; i++) {
    udp_sock *u = wp2_table_take(&k->udp, i);
    if (u) { close(u->fd); free(u); }
  }
  for (uint32_t i = 0; i < k->uin.n; i++) free(wp2_table_take(&k->uin, i));
  for (uint32_t i = 0; i < k->uout.n; i++) free(wp2_table_take(&k->uout, i));
  for (uint32_t i = 0; i < k->lookups.n; i++) {
    lookup *l = wp2_table_take(&k->lookups, i);
    if (l) lookup_unref(l);
  }
  if (!final) return;
  wp2_table_free(&k->tcp);
  wp2_table_free(&k->udp);
  wp2_table_free(&k->uin);
  wp2_table_free(&k->uout);
  wp2_table_free(&k->lookups);
  free(k);
  p->sockets = NULL;
}

bool wp2_add_sockets(wp2_ctx *p, wc_host *h) {
  struct wp2_sockets *k = calloc(1, sizeof *k);
  if (!k) return false;
  if (!wp2_at_free(p, sockets_cleanup)) { free(k); return false; }
  p->sockets = k;
  k->tcp.what = "tcp-socket";
  k->udp.what = "udp-socket";
  k->uin.what = "incoming-datagram-stream";
  k->uout.what = "outgoing-datagram-stream";
  k->lookups.what = "resolve-address-stream";
  return wp2_add_resource(p, h, "wasi:sockets/network", "network", &k->rt_net, NULL) &&
         wp2_add_resource(p, h, TCP, "tcp-socket", &k->rt_tcp, tcp_dtor) &&
         wp2_add_resource(p, h, UDP, "udp-socket", &k->rt_udp, udp_dtor) &&
         wp2_add_resource(p, h, UDP, "incoming-datagram-stream", &k->rt_uin, uin_dtor) &&
         wp2_add_resource(p, h, UDP, "outgoing-datagram-stream", &k->rt_uout, uout_dtor) &&
         wp2_add_resource(p, h, "wasi:sockets/ip-name-lookup", "resolve-address-stream", &k->rt_lookup, lookup_dtor) &&
         wp2_define(h, socket_types, sizeof socket_types / sizeof socket_types[0]) &&
         wp2_register(p, h, socket_funcs, sizeof socket_funcs / sizeof socket_funcs[0]);
}
