/*
 * sockets.c — a WASI 0.2 command exercising wasi:sockets, for
 * tests/cli/component_sockets.sh. Freestanding C (no libc): its imports are
 * the canonical-ABI lowerings of the functions in wit/, written by hand, and
 * it exports wasi:cli/run@0.2.0#run. build.sh turns it into
 * ../wasi-sockets-run.wasm with clang, `jco embed` and `jco new`.
 *
 * The first argument picks what run does; results are printed one per line
 * as `OPERATION: ok ...` or `OPERATION: ERROR-CODE`, so the script compares
 * them with what it expects:
 *   connect ADDR PORT MSG   TCP client: send MSG, shut down sending, print the reply
 *   serve ADDR PORT N       TCP server: print the port, echo N connections
 *   bind ADDR PORT          start-bind + finish-bind + listen
 *   udp PORT MSG            bind 127.0.0.1:0, send MSG to 127.0.0.1:PORT, print the answer
 *   udp-connected PORT MSG  the same through stream(some(127.0.0.1:PORT))
 *   lookup NAME             resolve NAME, print every address
 *   pending                 a connect that cannot finish yet: would-block, then ok
 *   states                  the state machine's errors and the options
 *   drop-socket             drop a connected socket before its streams (traps)
 *   drop-pollable           drop a socket before its pollable (traps)
 *   drop-ordered            drop streams, pollable, then the socket (fine)
 *   shutdown                reads after shutdown(receive), writes after shutdown(send)
 *   udp-unpermitted         send without check-send (traps)
 * ADDR is an IPv4 dotted quad or an IPv6 address of the forms ::1 or ::.
 */
#include <stddef.h>
#include <stdint.h>

#define IMPORT(mod, name) __attribute__((import_module(mod), import_name(name)))
#define TCP "wasi:sockets/tcp@0.2.0"
#define UDP "wasi:sockets/udp@0.2.0"
#define IO "wasi:io/streams@0.2.0"
#define POLL "wasi:io/poll@0.2.0"
#define LOOKUP "wasi:sockets/ip-name-lookup@0.2.0"
typedef int32_t i32;
typedef int64_t i64;

/* ip-socket-address flattened: discriminant + 11 slots (the ipv6 case's) */
#define ADDR_PARAMS i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32, i32

IMPORT("wasi:cli/environment@0.2.0", "get-arguments") void get_arguments(i32 ret);
IMPORT("wasi:cli/stdout@0.2.0", "get-stdout") i32 get_stdout(void);
IMPORT(IO, "[method]output-stream.blocking-write-and-flush") void out_write(i32 s, i32 p, i32 n, i32 ret);
IMPORT(IO, "[method]input-stream.blocking-read") void in_read(i32 s, i64 n, i32 ret);
IMPORT(IO, "[method]input-stream.subscribe") i32 in_subscribe(i32 s);
IMPORT(IO, "[resource-drop]input-stream") void drop_in(i32 s);
IMPORT(IO, "[resource-drop]output-stream") void drop_out(i32 s);
IMPORT(POLL, "[method]pollable.block") void poll_block(i32 p);
IMPORT(POLL, "[method]pollable.ready") i32 poll_ready(i32 p);
IMPORT(POLL, "[resource-drop]pollable") void drop_poll(i32 p);
IMPORT("wasi:sockets/instance-network@0.2.0", "instance-network") i32 instance_network(void);
IMPORT("wasi:sockets/tcp-create-socket@0.2.0", "create-tcp-socket") void create_tcp(i32 family, i32 ret);
IMPORT(TCP, "[method]tcp-socket.start-bind") void tcp_start_bind(i32 s, i32 net, ADDR_PARAMS, i32 ret);
IMPORT(TCP, "[method]tcp-socket.finish-bind") void tcp_finish_bind(i32 s, i32 ret);
IMPORT(TCP, "[method]tcp-socket.start-connect") void tcp_start_connect(i32 s, i32 net, ADDR_PARAMS, i32 ret);
IMPORT(TCP, "[method]tcp-socket.finish-connect") void tcp_finish_connect(i32 s, i32 ret);
IMPORT(TCP, "[method]tcp-socket.start-listen") void tcp_start_listen(i32 s, i32 ret);
IMPORT(TCP, "[method]tcp-socket.finish-listen") void tcp_finish_listen(i32 s, i32 ret);
IMPORT(TCP, "[method]tcp-socket.accept") void tcp_accept(i32 s, i32 ret);
IMPORT(TCP, "[method]tcp-socket.local-address") void tcp_local_address(i32 s, i32 ret);
IMPORT(TCP, "[method]tcp-socket.remote-address") void tcp_remote_address(i32 s, i32 ret);
IMPORT(TCP, "[method]tcp-socket.is-listening") i32 tcp_is_listening(i32 s);
IMPORT(TCP, "[method]tcp-socket.address-family") i32 tcp_address_family(i32 s);
IMPORT(TCP, "[method]tcp-socket.set-listen-backlog-size") void tcp_set_backlog(i32 s, i64 v, i32 ret);
IMPORT(TCP, "[method]tcp-socket.keep-alive-enabled") void tcp_keep_alive(i32 s, i32 ret);
IMPORT(TCP, "[method]tcp-socket.set-keep-alive-enabled") void tcp_set_keep_alive(i32 s, i32 v, i32 ret);
IMPORT(TCP, "[method]tcp-socket.keep-alive-idle-time") void tcp_idle(i32 s, i32 ret);
IMPORT(TCP, "[method]tcp-socket.set-keep-alive-idle-time") void tcp_set_idle(i32 s, i64 v, i32 ret);
IMPORT(TCP, "[method]tcp-socket.hop-limit") void tcp_hop(i32 s, i32 ret);
IMPORT(TCP, "[method]tcp-socket.set-hop-limit") void tcp_set_hop(i32 s, i32 v, i32 ret);
IMPORT(TCP, "[method]tcp-socket.receive-buffer-size") void tcp_rcvbuf(i32 s, i32 ret);
IMPORT(TCP, "[method]tcp-socket.set-receive-buffer-size") void tcp_set_rcvbuf(i32 s, i64 v, i32 ret);
IMPORT(TCP, "[method]tcp-socket.subscribe") i32 tcp_subscribe(i32 s);
IMPORT(TCP, "[method]tcp-socket.shutdown") void tcp_shutdown(i32 s, i32 how, i32 ret);
IMPORT(TCP, "[resource-drop]tcp-socket") void drop_tcp(i32 s);
IMPORT("wasi:sockets/udp-create-socket@0.2.0", "create-udp-socket") void create_udp(i32 family, i32 ret);
IMPORT(UDP, "[method]udp-socket.start-bind") void udp_start_bind(i32 s, i32 net, ADDR_PARAMS, i32 ret);
IMPORT(UDP, "[method]udp-socket.finish-bind") void udp_finish_bind(i32 s, i32 ret);
IMPORT(UDP, "[method]udp-socket.stream") void udp_stream(i32 s, i32 some, ADDR_PARAMS, i32 ret);
IMPORT(UDP, "[method]udp-socket.local-address") void udp_local_address(i32 s, i32 ret);
IMPORT(UDP, "[method]udp-socket.remote-address") void udp_remote_address(i32 s, i32 ret);
IMPORT(UDP, "[method]incoming-datagram-stream.receive") void udp_receive(i32 s, i64 max, i32 ret);
IMPORT(UDP, "[method]incoming-datagram-stream.subscribe") i32 udp_in_subscribe(i32 s);
IMPORT(UDP, "[method]outgoing-datagram-stream.check-send") void udp_check_send(i32 s, i32 ret);
IMPORT(UDP, "[method]outgoing-datagram-stream.send") void udp_send(i32 s, i32 p, i32 n, i32 ret);
IMPORT(UDP, "[resource-drop]udp-socket") void drop_udp(i32 s);
IMPORT(UDP, "[resource-drop]incoming-datagram-stream") void drop_udp_in(i32 s);
IMPORT(UDP, "[resource-drop]outgoing-datagram-stream") void drop_udp_out(i32 s);
IMPORT(LOOKUP, "resolve-addresses") void resolve_addresses(i32 net, i32 p, i32 n, i32 ret);
IMPORT(LOOKUP, "[method]resolve-address-stream.resolve-next-address") void resolve_next(i32 s, i32 ret);
IMPORT(LOOKUP, "[method]resolve-address-stream.subscribe") i32 resolve_subscribe(i32 s);
IMPORT(LOOKUP, "[resource-drop]resolve-address-stream") void drop_resolve(i32 s);

/* ---- memory: a bump allocator (the program is short-lived) ----------------- */

extern unsigned char __heap_base;
static uintptr_t heap_top;

__attribute__((export_name("cabi_realloc"))) void *cabi_realloc(void *old, size_t old_size, size_t align, size_t size) {
  if (!heap_top) heap_top = (uintptr_t)&__heap_base;
  uintptr_t p = (heap_top + align - 1) & ~(uintptr_t)(align - 1);
  uintptr_t end = p + size;
  size_t have = __builtin_wasm_memory_size(0) * 65536u;
  if (end > have) __builtin_wasm_memory_grow(0, (end - have + 65535u) / 65536u);
  heap_top = end;
  unsigned char *d = (unsigned char *)p;
  for (size_t i = 0; old && i < old_size && i < size; i++) d[i] = ((unsigned char *)old)[i];
  return d;
}

/* What the compiler calls for struct copies (volatile: never turned back into a memcpy call). */
void *memcpy(void *d, const void *s, size_t n) {
  volatile unsigned char *dd = d;
  const unsigned char *ss = s;
  for (size_t i = 0; i < n; i++) dd[i] = ss[i];
  return d;
}
void *memset(void *d, int c, size_t n) {
  volatile unsigned char *dd = d;
  for (size_t i = 0; i < n; i++) dd[i] = (unsigned char)c;
  return d;
}

static size_t slen(const char *s) { size_t n = 0; while (s[n]) n++; return n; }
static int seq(const char *a, const char *b) { while (*a && *a == *b) a++, b++; return *a == *b; }
static int sneq(const char *a, size_t n, const char *b) {
  size_t m = slen(b);
  if (m != n) return 0;
  for (size_t i = 0; i < n; i++) if (a[i] != b[i]) return 0;
  return 1;
}

/* ---- output ------------------------------------------------------------- */

static i32 out;
static char line[4096];
static size_t nline;
static uint32_t ret[16] __attribute__((aligned(8)));   /* return areas */
#define RET8(off) (((uint8_t *)ret)[off])
#define RET16(off) (*(uint16_t *)((uint8_t *)ret + (off)))
#define RET32(off) (*(uint32_t *)((uint8_t *)ret + (off)))
#define RET64(off) (*(uint64_t *)((uint8_t *)ret + (off)))

static void puts_(const char *s) { while (*s && nline < sizeof line) line[nline++] = *s++; }
static void putn(const char *s, size_t n) { for (size_t i = 0; i < n && nline < sizeof line; i++) line[nline++] = s[i]; }
static void putu(uint64_t v) {
  char b[24];
  int n = 0;
  do b[n++] = (char)('0' + v % 10); while (v /= 10);
  while (n) line[nline < sizeof line ? nline++ : nline] = b[--n];
}
static void puthex(uint32_t v) {
  char b[8];
  int n = 0;
  do b[n++] = "0123456789abcdef"[v & 15]; while (v >>= 4);
  while (n) line[nline < sizeof line ? nline++ : nline] = b[--n];
}
static void flush_line(void) {
  puts_("\n");
  static uint32_t r[4];
  out_write(out, (i32)(uintptr_t)line, (i32)nline, (i32)(uintptr_t)r);
  nline = 0;
}

static const char *codes[] = {
  "unknown", "access-denied", "not-supported", "invalid-argument", "out-of-memory", "timeout",
  "concurrency-conflict", "not-in-progress", "would-block", "invalid-state", "new-socket-limit",
  "address-not-bindable", "address-in-use", "remote-unreachable", "connection-refused",
  "connection-reset", "connection-aborted", "datagram-too-large", "name-unresolvable",
  "temporary-resolver-failure", "permanent-resolver-failure"};

/* Prints "what: ok" or "what: ERROR" for a result<_, error-code> at ret
 * (error code at `off`) and returns whether it was ok. */
static int report(const char *what, int off) {
  puts_(what);
  puts_(": ");
  int ok = RET8(0) == 0;
  if (ok) puts_("ok");
  else puts_(RET8(off) < 21 ? codes[RET8(off)] : "?");
  flush_line();
  return ok;
}

/* ---- addresses ---------------------------------------------------------- */

typedef struct { i32 v[12]; } addr_t;   /* a flattened ip-socket-address */

/* "a.b.c.d", "::1" or "::" with a port. */
static addr_t make_addr(const char *s, uint32_t port) {
  addr_t a = {{0}};
  a.v[1] = (i32)port;
  if (s[0] == ':') {
    a.v[0] = 1;                           /* ipv6: port, flow-info, 8 x u16, scope-id */
    if (seq(s, "::1")) a.v[10] = 1;
    return a;
  }
  int part = 0;
  uint32_t x = 0;
  for (;; s++) {
    if (*s == '.' || !*s) {
      a.v[2 + part++] = (i32)x;
      x = 0;
      if (!*s || part == 4) break;
    } else {
      x = x * 10 + (uint32_t)(*s - '0');
    }
  }
  return a;
}
#define A(a) a.v[0], a.v[1], a.v[2], a.v[3], a.v[4], a.v[5], a.v[6], a.v[7], a.v[8], a.v[9], a.v[10], a.v[11]

/* Prints the ip-socket-address stored at ret+off. */
static void put_sockaddr(int off) {
  if (RET8(off) == 0) {
    for (int i = 0; i < 4; i++) { if (i) puts_("."); putu(RET8(off + 6 + i)); }
  } else {
    puts_("[");
    for (int i = 0; i < 8; i++) { if (i) puts_(":"); puthex(RET16(off + 12 + 2 * i)); }
    puts_("]");
  }
  puts_(":");
  putu(RET16(off + 4));
}

static uint32_t atou(const char *s) { uint32_t v = 0; while (*s >= '0' && *s <= '9') v = v * 10 + (uint32_t)(*s++ - '0'); return v; }

/* ---- helpers over the imports -------------------------------------------- */

static i32 net;

static i32 new_tcp(const char *addr) {
  create_tcp(addr[0] == ':' ? 1 : 0, (i32)(uintptr_t)ret);
  if (!report("create-tcp-socket", 4)) return -1;
  return (i32)RET32(4);
}

static void wait_on(i32 pollable) {
  poll_block(pollable);
  drop_poll(pollable);
}

static int tcp_bind(i32 s, const char *addr, uint32_t port) {
  addr_t a = make_addr(addr, port);
  tcp_start_bind(s, net, A(a), (i32)(uintptr_t)ret);
  if (!report("start-bind", 1)) return 0;
  tcp_finish_bind(s, (i32)(uintptr_t)ret);
  return report("finish-bind", 1);
}

/* start-connect, then wait on the socket's pollable and finish-connect:
 * streams in io[0], io[1]. */
static int tcp_connect(i32 s, const char *addr, uint32_t port, i32 io[2]) {
  addr_t a = make_addr(addr, port);
  tcp_start_connect(s, net, A(a), (i32)(uintptr_t)ret);
  if (!report("start-connect", 1)) return 0;
  wait_on(tcp_subscribe(s));
  tcp_finish_connect(s, (i32)(uintptr_t)ret);
  if (!report("finish-connect", 4)) return 0;
  io[0] = (i32)RET32(4);
  io[1] = (i32)RET32(8);
  return 1;
}

static int tcp_listen(i32 s) {
  tcp_start_listen(s, (i32)(uintptr_t)ret);
  if (!report("start-listen", 1)) return 0;
  tcp_finish_listen(s, (i32)(uintptr_t)ret);
  return report("finish-listen", 1);
}

static uint32_t local_port(i32 s) {
  tcp_local_address(s, (i32)(uintptr_t)ret);
  return RET8(0) == 0 ? RET16(8) : 0;
}

static int write_all(i32 o, const char *p, size_t n) {
  out_write(o, (i32)(uintptr_t)p, (i32)n, (i32)(uintptr_t)ret);
  return RET8(0) == 0;
}

/* Reads until the stream is closed into buf; returns the length. */
static size_t read_all(i32 in, char *buf, size_t cap) {
  size_t n = 0;
  for (;;) {
    in_read(in, (i64)(cap - n), (i32)(uintptr_t)ret);
    if (RET8(0) != 0) break;
    const char *p = (const char *)(uintptr_t)RET32(4);
    uint32_t len = RET32(8);
    for (uint32_t i = 0; i < len && n < cap; i++) buf[n++] = p[i];
    if (n == cap) break;
  }
  return n;
}

/* ---- the commands ---------------------------------------------------------- */

static int cmd_connect(const char *addr, uint32_t port, const char *msg) {
  i32 s = new_tcp(addr), io[2];
  if (s < 0 || !tcp_connect(s, addr, port, io)) return 1;
  tcp_remote_address(s, (i32)(uintptr_t)ret);
  puts_("remote-address: ");
  put_sockaddr(4);
  flush_line();
  if (!write_all(io[1], msg, slen(msg))) { puts_("write failed"); flush_line(); return 1; }
  tcp_shutdown(s, 1, (i32)(uintptr_t)ret);
  report("shutdown send", 1);
  static char buf[2048];
  size_t n = read_all(io[0], buf, sizeof buf);
  puts_("reply: ");
  putn(buf, n);
  flush_line();
  drop_in(io[0]);
  drop_out(io[1]);
  drop_tcp(s);
  return 0;
}

static int cmd_serve(const char *addr, uint32_t port, uint32_t count) {
  i32 l = new_tcp(addr);
  if (l < 0 || !tcp_bind(l, addr, port) || !tcp_listen(l)) return 1;
  puts_("listening on port ");
  putu(local_port(l));
  flush_line();
  for (uint32_t k = 0; k < count; k++) {
    wait_on(tcp_subscribe(l));
    tcp_accept(l, (i32)(uintptr_t)ret);
    if (!report("accept", 4)) return 1;
    i32 c = (i32)RET32(4), in = (i32)RET32(8), o = (i32)RET32(12);
    static char buf[2048];
    size_t n = read_all(in, buf, sizeof buf);
    static char reply[2100] = "echo: ";
    for (size_t i = 0; i < n; i++) reply[6 + i] = buf[i];
    write_all(o, reply, 6 + n);
    puts_("served ");
    putu(n);
    puts_(" bytes");
    flush_line();
    drop_in(in);
    drop_out(o);
    drop_tcp(c);
  }
  drop_tcp(l);
  return 0;
}

static int cmd_bind(const char *addr, uint32_t port) {
  i32 s = new_tcp(addr);
  if (s < 0 || !tcp_bind(s, addr, port) || !tcp_listen(s)) return 1;
  tcp_local_address(s, (i32)(uintptr_t)ret);
  puts_("local-address: ");
  put_sockaddr(4);
  flush_line();
  drop_tcp(s);
  return 0;
}

static int cmd_udp(uint32_t port, const char *msg, int connected) {
  create_udp(0, (i32)(uintptr_t)ret);
  if (!report("create-udp-socket", 4)) return 1;
  i32 s = (i32)RET32(4);
  addr_t any = make_addr("127.0.0.1", 0);
  udp_start_bind(s, net, A(any), (i32)(uintptr_t)ret);
  if (!report("udp start-bind", 1)) return 1;
  udp_finish_bind(s, (i32)(uintptr_t)ret);
  report("udp finish-bind", 1);
  addr_t none = {{0}}, peer = make_addr("127.0.0.1", port);
  addr_t target = connected ? peer : none;
  udp_stream(s, connected, A(target), (i32)(uintptr_t)ret);
  if (!report("stream", 4)) return 1;
  i32 in = (i32)RET32(4), o = (i32)RET32(8);
  udp_remote_address(s, (i32)(uintptr_t)ret);
  if (report("udp remote-address", 4)) { puts_("  "); put_sockaddr(4); flush_line(); }
  udp_check_send(o, (i32)(uintptr_t)ret);
  if (!report("check-send", 8)) return 1;
  puts_("  permits: ");
  putu(RET64(8));
  flush_line();
  /* one outgoing-datagram: data (ptr, len), option<ip-socket-address> at 8 */
  static uint32_t dg[11];
  uint8_t *d = (uint8_t *)dg;
  dg[0] = (uint32_t)(uintptr_t)msg;
  dg[1] = (uint32_t)slen(msg);
  d[8] = connected ? 0 : 1;   /* connected: none (the stream's address) */
  d[12] = 0;         /* ipv4 */
  *(uint16_t *)(d + 16) = (uint16_t)port;
  d[18] = 127, d[19] = 0, d[20] = 0, d[21] = 1;
  udp_send(o, (i32)(uintptr_t)dg, 1, (i32)(uintptr_t)ret);
  if (!report("send", 8)) return 1;
  puts_("sent ");
  putu(RET64(8));
  flush_line();
  wait_on(udp_in_subscribe(in));
  udp_receive(in, 4, (i32)(uintptr_t)ret);
  if (!report("receive", 4)) return 1;
  uint32_t n = RET32(8);
  uint8_t *items = (uint8_t *)(uintptr_t)RET32(4);
  for (uint32_t i = 0; i < n; i++) {
    uint8_t *it = items + 40 * i;
    puts_("datagram: ");
    putn((const char *)(uintptr_t) * (uint32_t *)it, *(uint32_t *)(it + 4));
    puts_(" from ");
    for (int k = 0; k < 36; k++) ((uint8_t *)ret)[k] = 0;
    for (int k = 0; k < 32; k++) ((uint8_t *)ret)[4 + k] = it[8 + k];
    put_sockaddr(4);
    flush_line();
  }
  drop_udp_in(in);
  drop_udp_out(o);
  drop_udp(s);
  return 0;
}

static int cmd_lookup(const char *name) {
  resolve_addresses(net, (i32)(uintptr_t)name, (i32)slen(name), (i32)(uintptr_t)ret);
  if (!report("resolve-addresses", 4)) return 1;
  i32 r = (i32)RET32(4);
  wait_on(resolve_subscribe(r));
  for (;;) {
    resolve_next(r, (i32)(uintptr_t)ret);
    if (RET8(0) != 0) { report("resolve-next-address", 2); break; }
    if (RET8(2) == 0) break;  /* none */
    puts_("address: ");
    if (RET8(4) == 0) {
      for (int i = 0; i < 4; i++) { if (i) puts_("."); putu(RET8(6 + i)); }
    } else {
      for (int i = 0; i < 8; i++) { if (i) puts_(":"); puthex(RET16(6 + 2 * i)); }
    }
    flush_line();
  }
  drop_resolve(r);
  return 0;
}

/* A connect the listener's full queue holds back: finish-connect says
 * would-block and the pollable is not ready until the listener accepts. */
static int cmd_pending(void) {
  i32 l = new_tcp("127.0.0.1");
  tcp_set_backlog(l, 1, (i32)(uintptr_t)ret);
  report("set-listen-backlog-size", 1);
  if (!tcp_bind(l, "127.0.0.1", 0) || !tcp_listen(l)) return 1;
  uint32_t port = local_port(l);
  i32 c[3], io[3][2];
  for (int i = 0; i < 2; i++) { /* fill the accept queue (backlog 1 holds two on Linux) */
    c[i] = new_tcp("127.0.0.1");
    if (!tcp_connect(c[i], "127.0.0.1", port, io[i])) return 1;
  }
  c[2] = new_tcp("127.0.0.1");
  addr_t a = make_addr("127.0.0.1", port);
  tcp_start_connect(c[2], net, A(a), (i32)(uintptr_t)ret);
  report("start-connect", 1);
  tcp_start_connect(c[2], net, A(a), (i32)(uintptr_t)ret);
  report("start-connect again", 1);
  tcp_finish_connect(c[2], (i32)(uintptr_t)ret);
  report("finish-connect", 4);
  i32 pl = tcp_subscribe(c[2]);
  puts_("ready before accept: ");
  puts_(poll_ready(pl) ? "true" : "false");
  flush_line();
  tcp_accept(l, (i32)(uintptr_t)ret);      /* room in the queue: the SYN is answered when retried */
  report("accept", 4);
  poll_block(pl);
  drop_poll(pl);
  tcp_finish_connect(c[2], (i32)(uintptr_t)ret);
  report("finish-connect after accept", 4);
  return 0;
}

static void show_u64(const char *what, int ok_off) {
  if (report(what, ok_off)) { puts_("  value: "); putu(RET64(8)); flush_line(); }
}

static int cmd_states(void) {
  i32 s = new_tcp("127.0.0.1");
  tcp_finish_bind(s, (i32)(uintptr_t)ret);
  report("finish-bind unbound", 1);
  tcp_start_listen(s, (i32)(uintptr_t)ret);
  report("start-listen unbound", 1);
  tcp_local_address(s, (i32)(uintptr_t)ret);
  report("local-address unbound", 4);
  tcp_remote_address(s, (i32)(uintptr_t)ret);
  report("remote-address unbound", 4);
  tcp_shutdown(s, 2, (i32)(uintptr_t)ret);
  report("shutdown unbound", 1);
  tcp_accept(s, (i32)(uintptr_t)ret);
  report("accept unbound", 4);
  tcp_finish_connect(s, (i32)(uintptr_t)ret);
  report("finish-connect unbound", 4);
  addr_t v6 = make_addr("::1", 80), zero_port = make_addr("127.0.0.1", 0), any = make_addr("0.0.0.0", 80);
  addr_t multi = make_addr("224.0.0.1", 80);
  tcp_start_connect(s, net, A(v6), (i32)(uintptr_t)ret);
  report("connect ipv6 address on ipv4 socket", 1);
  tcp_start_connect(s, net, A(zero_port), (i32)(uintptr_t)ret);
  report("connect port 0", 1);
  tcp_start_connect(s, net, A(any), (i32)(uintptr_t)ret);
  report("connect 0.0.0.0", 1);
  tcp_start_connect(s, net, A(multi), (i32)(uintptr_t)ret);
  report("connect multicast", 1);
  tcp_start_bind(s, net, A(v6), (i32)(uintptr_t)ret);
  report("bind ipv6 address on ipv4 socket", 1);
  tcp_set_backlog(s, 0, (i32)(uintptr_t)ret);
  report("set-listen-backlog-size 0", 1);
  tcp_set_hop(s, 0, (i32)(uintptr_t)ret);
  report("set-hop-limit 0", 1);
  tcp_set_hop(s, 42, (i32)(uintptr_t)ret);
  report("set-hop-limit 42", 1);
  tcp_hop(s, (i32)(uintptr_t)ret);
  if (report("hop-limit", 1)) { puts_("  value: "); putu(RET8(1)); flush_line(); }
  tcp_set_keep_alive(s, 1, (i32)(uintptr_t)ret);
  report("set-keep-alive-enabled", 1);
  tcp_keep_alive(s, (i32)(uintptr_t)ret);
  if (report("keep-alive-enabled", 1)) { puts_("  value: "); putu(RET8(1)); flush_line(); }
  tcp_set_idle(s, 2500000000ll, (i32)(uintptr_t)ret);
  report("set-keep-alive-idle-time 2.5s", 1);
  tcp_idle(s, (i32)(uintptr_t)ret);
  show_u64("keep-alive-idle-time", 8);
  tcp_set_rcvbuf(s, 0, (i32)(uintptr_t)ret);
  report("set-receive-buffer-size 0", 1);
  tcp_set_rcvbuf(s, 65536, (i32)(uintptr_t)ret);
  report("set-receive-buffer-size 65536", 1);
  tcp_rcvbuf(s, (i32)(uintptr_t)ret);
  if (report("receive-buffer-size", 8)) { puts_("  nonzero: "); puts_(RET64(8) ? "true" : "false"); flush_line(); }
  puts_("address-family: ");
  putu((uint64_t)tcp_address_family(s));
  flush_line();
  addr_t loop0 = make_addr("127.0.0.1", 0);
  tcp_start_bind(s, net, A(loop0), (i32)(uintptr_t)ret);
  report("start-bind", 1);
  tcp_start_bind(s, net, A(loop0), (i32)(uintptr_t)ret);
  report("start-bind while in progress", 1);
  tcp_local_address(s, (i32)(uintptr_t)ret);
  report("local-address while binding", 4);
  tcp_finish_bind(s, (i32)(uintptr_t)ret);
  report("finish-bind", 1);
  tcp_start_bind(s, net, A(loop0), (i32)(uintptr_t)ret);
  report("start-bind when bound", 1);
  tcp_finish_connect(s, (i32)(uintptr_t)ret);
  report("finish-connect when bound", 4);
  tcp_finish_listen(s, (i32)(uintptr_t)ret);
  report("finish-listen when bound", 1);
  puts_("is-listening: ");
  puts_(tcp_is_listening(s) ? "true" : "false");
  flush_line();
  tcp_start_listen(s, (i32)(uintptr_t)ret);
  report("start-listen", 1);
  tcp_start_listen(s, (i32)(uintptr_t)ret);
  report("start-listen while in progress", 1);
  tcp_accept(s, (i32)(uintptr_t)ret);
  report("accept before finish-listen", 4);
  tcp_finish_listen(s, (i32)(uintptr_t)ret);
  report("finish-listen", 1);
  puts_("is-listening: ");
  puts_(tcp_is_listening(s) ? "true" : "false");
  flush_line();
  tcp_accept(s, (i32)(uintptr_t)ret);
  report("accept with nobody waiting", 4);
  i32 pl = tcp_subscribe(s);
  puts_("listener ready: ");
  puts_(poll_ready(pl) ? "true" : "false");
  flush_line();
  drop_poll(pl);
  tcp_set_backlog(s, 16, (i32)(uintptr_t)ret);
  report("set-listen-backlog-size 16 while listening", 1);
  tcp_start_connect(s, net, A(loop0), (i32)(uintptr_t)ret);
  report("start-connect while listening", 1);
  drop_tcp(s);
  /* udp */
  create_udp(0, (i32)(uintptr_t)ret);
  i32 u = (i32)RET32(4);
  addr_t none = {{0}};
  udp_stream(u, 0, A(none), (i32)(uintptr_t)ret);
  report("udp stream unbound", 4);
  udp_local_address(u, (i32)(uintptr_t)ret);
  report("udp local-address unbound", 4);
  udp_finish_bind(u, (i32)(uintptr_t)ret);
  report("udp finish-bind unbound", 1);
  drop_udp(u);
  /* lookups */
  resolve_addresses(net, (i32)(uintptr_t) "bad name!", 9, (i32)(uintptr_t)ret);
  report("resolve-addresses of a bad name", 4);
  return 0;
}

/* A connected pair on loopback (both ends in this guest): client socket in
 * *c with streams io[2]; the server side is left open. */
static int loop_pair(i32 *c, i32 io[2]) {
  i32 l = new_tcp("127.0.0.1");
  if (!tcp_bind(l, "127.0.0.1", 0) || !tcp_listen(l)) return 0;
  *c = new_tcp("127.0.0.1");
  return tcp_connect(*c, "127.0.0.1", local_port(l), io);
}

static int cmd_shutdown(void) {
  i32 c, io[2];
  if (!loop_pair(&c, io)) return 1;
  tcp_remote_address(c, (i32)(uintptr_t)ret);
  report("remote-address connected", 4);
  tcp_shutdown(c, 0, (i32)(uintptr_t)ret);
  report("shutdown receive", 1);
  in_read(io[0], 10, (i32)(uintptr_t)ret);
  puts_("read after shutdown receive: ");
  puts_(RET8(0) == 0 ? "ok" : RET8(4) == 1 ? "closed" : "failed");
  flush_line();
  write_all(io[1], "x", 1);
  puts_("write before shutdown send: ");
  puts_(RET8(0) == 0 ? "ok" : RET8(4) == 1 ? "closed" : "failed");
  flush_line();
  tcp_shutdown(c, 1, (i32)(uintptr_t)ret);
  report("shutdown send", 1);
  write_all(io[1], "x", 1);
  puts_("write after shutdown send: ");
  puts_(RET8(0) == 0 ? "ok" : RET8(4) == 1 ? "closed" : "failed");
  flush_line();
  return 0;
}

static int cmd_udp_unpermitted(void) {
  create_udp(0, (i32)(uintptr_t)ret);
  i32 s = (i32)RET32(4);
  addr_t any = make_addr("127.0.0.1", 0), none = {{0}};
  udp_start_bind(s, net, A(any), (i32)(uintptr_t)ret);
  udp_finish_bind(s, (i32)(uintptr_t)ret);
  udp_stream(s, 0, A(none), (i32)(uintptr_t)ret);
  if (!report("stream", 4)) return 1;
  i32 o = (i32)RET32(8);
  static uint32_t dg[11];
  dg[0] = (uint32_t)(uintptr_t) "x";
  dg[1] = 1;
  ((uint8_t *)dg)[8] = 1;
  *(uint16_t *)((uint8_t *)dg + 16) = 9;
  ((uint8_t *)dg)[18] = 127, ((uint8_t *)dg)[21] = 1;
  puts_("sending without check-send");
  flush_line();
  udp_send(o, (i32)(uintptr_t)dg, 1, (i32)(uintptr_t)ret);
  report("send", 8);
  return 0;
}

static int cmd_drop(const char *how) {
  i32 c, io[2];
  if (!loop_pair(&c, io)) return 1;
  if (seq(how, "drop-socket")) {
    puts_("dropping the socket before its streams");
    flush_line();
    drop_tcp(c);
    puts_("dropped");
    flush_line();
  } else if (seq(how, "drop-pollable")) {
    drop_in(io[0]);
    drop_out(io[1]);
    i32 pl = tcp_subscribe(c);
    puts_("dropping the socket before its pollable");
    flush_line();
    drop_tcp(c);
    drop_poll(pl);
  } else {
    i32 pl = in_subscribe(io[0]), sp = tcp_subscribe(c);
    drop_poll(pl);
    drop_poll(sp);
    drop_in(io[0]);
    drop_out(io[1]);
    drop_tcp(c);
    puts_("dropped in order");
    flush_line();
  }
  return 0;
}

__attribute__((export_name("wasi:cli/run@0.2.0#run"))) i32 run(void) {
  out = get_stdout();
  net = instance_network();
  static uint32_t argv[2];
  get_arguments((i32)(uintptr_t)argv);
  uint32_t argc = argv[1];
  const uint32_t *av = (const uint32_t *)(uintptr_t)argv[0];
  static char args[8][256];
  for (uint32_t i = 0; i < argc && i < 8; i++) {
    uint32_t n = av[2 * i + 1] < 255 ? av[2 * i + 1] : 255;
    for (uint32_t k = 0; k < n; k++) args[i][k] = ((const char *)(uintptr_t)av[2 * i])[k];
    args[i][n] = 0;
  }
  const char *cmd = argc > 1 ? args[1] : "";
  int st = 2;
  if (sneq(cmd, slen(cmd), "connect") && argc == 5) st = cmd_connect(args[2], atou(args[3]), args[4]);
  else if (seq(cmd, "serve") && argc == 5) st = cmd_serve(args[2], atou(args[3]), atou(args[4]));
  else if (seq(cmd, "bind") && argc == 4) st = cmd_bind(args[2], atou(args[3]));
  else if (seq(cmd, "udp") && argc == 4) st = cmd_udp(atou(args[2]), args[3], 0);
  else if (seq(cmd, "udp-connected") && argc == 4) st = cmd_udp(atou(args[2]), args[3], 1);
  else if (seq(cmd, "lookup") && argc == 3) st = cmd_lookup(args[2]);
  else if (seq(cmd, "pending")) st = cmd_pending();
  else if (seq(cmd, "states")) st = cmd_states();
  else if (seq(cmd, "shutdown")) st = cmd_shutdown();
  else if (seq(cmd, "udp-unpermitted")) st = cmd_udp_unpermitted();
  else if (seq(cmd, "drop-socket") || seq(cmd, "drop-pollable") || seq(cmd, "drop-ordered")) st = cmd_drop(cmd);
  else { puts_("unknown command"); flush_line(); }
  return st == 0 ? 0 : 1;
}
