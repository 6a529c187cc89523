/*
 * wasip2.h — the WASI 0.2 (preview 2) host for components: the host
 * implementations of wasi:cli (environment, exit, stdin/stdout/stderr,
 * terminal-*), wasi:io (error, poll, streams), wasi:clocks (monotonic-clock,
 * wall-clock), wasi:random (random, insecure, insecure-seed) and
 * wasi:filesystem (types, preopens; paths resolved by preview 1's resolver
 * beneath the preview-1 context's preopens), registered in
 * a wc_host (src/cinst) under their 0.2 names. Instantiation matches imports
 * by package/interface and semver-compatible version, so one implementation
 * serves every wasi:...@0.2.N a toolchain emits.
 *
 * This stage (src/wasip2, library wrun_wasip2) sits on top of src/cinst and
 * src/wasi: blocking calls wait in slices that the preview-1 context's
 * interrupt flag (set by wasi_interrupt, i.e. the --timeout watchdog) ends,
 * and timed waits use its loop. wasi:sockets (network, instance-network,
 * tcp, udp, their create-socket, ip-name-lookup) is served behind the
 * allow-lists of wp2_config.
 *
 * Ownership: a wp2_ctx borrows the argument and environment strings of its
 * config and the wasi_ctx(s) (both must outlive it); it owns its tables and
 * the descriptors the guest opened (a preopen's stays the wasi_ctx's).
 * The wc_host it was added to must be freed after the instance and before
 * the context.
 */
#ifndef WRUN_WASIP2_WASIP2_H
#define WRUN_WASIP2_WASIP2_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "cinst/instance.h"
#include "wasi/wasi.h"

/* One entry of a wasi:sockets allow-list (--allow-connect, --allow-bind):
 * addresses of `family` whose first `prefix` bits equal addr's, ports
 * port_lo..port_hi. */
typedef struct wp2_net_rule {
  int family;             /* AF_INET or AF_INET6 */
  uint8_t addr[16];       /* network byte order (4 bytes used for IPv4) */
  unsigned prefix;
  uint16_t port_lo, port_hi;
} wp2_net_rule;

/* Parses "ADDR[/BITS]:PORT", ":PORT-PORT" or ":*", ADDR an IPv4 address or
 * an IPv6 one in brackets ("[::1]/128:8080"). False when malformed. */
bool wp2_net_rule_parse(const char *spec, wp2_net_rule *out);

typedef struct wp2_config {
  int argc;
  char **argv;            /* what get-arguments returns (argv[0] is the program name) */
  int envc;
  char **env;             /* "NAME=VALUE": what get-environment returns, nothing else */
  unsigned closed_stdio;  /* bit i: the host had standard stream i closed (the stream is then closed) */
  unsigned redirected_stdio; /* bit i: standard stream i is host descriptor stdio_fd[i] (an embedder's
                                redirection, wrun.h; the caller keeps it open while the context lives) */
  int stdio_fd[3];
  wasi_ctx *interrupt;    /* its wasi_interrupt ends blocking calls (may be NULL: nothing does) */
  wasi_ctx *fs;           /* wasi:filesystem: its preopened directories are the component's, and its
                             path resolver (and settings) resolve every path (NULL: no preopens) */
  /* wasi:sockets: what the guest may do; nothing by default (access-denied) */
  const wp2_net_rule *allow_connect;  /* tcp connect, udp stream(some) and send */
  size_t nallow_connect;
  const wp2_net_rule *allow_bind;     /* tcp and udp bind (and so listen) */
  size_t nallow_bind;
  bool allow_lookup;                  /* ip-name-lookup */
} wp2_config;

typedef struct wp2_ctx wp2_ctx;

/* NULL when out of memory. */
wp2_ctx *wp2_new(const wp2_config *cfg);
void wp2_free(wp2_ctx *p);

/* Frees every object the guest's instance left (streams, pollables, files,
 * sockets, HTTP requests and bodies...) and clears the exit status, keeping
 * the registrations in the wc_host and the settings: the context is then as
 * wp2_new + wp2_add_to_host left it, for a renewed instance of the same
 * component (wc_instance_renew; `wrun serve` per request). Not during a call. */
void wp2_reset(wp2_ctx *p);

/* Registers every interface this host implements in `h`. False when out of
 * memory (or, a bug of wrun, a host signature that does not parse:
 * wc_host_error says which). */
bool wp2_add_to_host(wp2_ctx *p, wc_host *h);

/* The interface families: the types and resources one interface file
 * registers, all or nothing (interfaces `use` each other's). Defining all of
 * them costs more than the rest of a small component's start-up (parsing the
 * types of some 300 functions), so a host made for one component defines only
 * what it imports: wp2_add_imports below. */
enum {
  WP2_IO = 1u << 0,          /* wasi:io */
  WP2_CLI = 1u << 1,         /* wasi:cli, wasi:clocks, wasi:random */
  WP2_FILESYSTEM = 1u << 2,  /* wasi:filesystem */
  WP2_SOCKETS = 1u << 3,     /* wasi:sockets */
  WP2_HTTP = 1u << 4,        /* wasi:http (needed by wp2_http_allow and wp2_http_handle) */
  WP2_ALL = (1u << 5) - 1
};

/* The families whose interfaces the root of `c` imports (any version). */
unsigned wp2_imported(const wc_component *c);

/* Registers the families in `which` (a mask of WP2_*) and those their types
 * use, skipping any already added to this context; false as wp2_add_to_host.
 * May be called again with more families (same `h`). */
bool wp2_add_families(wp2_ctx *p, wc_host *h, unsigned which);

/* The host for component `c`: the families it imports (wp2_imported) plus
 * `extra` (e.g. WP2_HTTP for wp2_http_allow), with the functions of only the
 * interfaces it imports (at any version). What `c` imports resolves exactly
 * as with wp2_add_to_host: every interface of an imported wasi: package keeps
 * its types and resources, and every function of an imported interface is
 * there, so the same names find the same functions with the same checked
 * types, a version the host does not serve is still refused by the linker,
 * and an import the host does not provide gets the same LINK error. The host
 * then serves `c` (or another component with the same imports), not any
 * component. False as wp2_add_to_host. */
bool wp2_add_imports(wp2_ctx *p, wc_host *h, const wc_component *c, unsigned extra);

/* After a call trapped: true if it was the guest calling wasi:cli/exit, with
 * the status it asked for in *code. */
bool wp2_exited(const wp2_ctx *p, int *code);

/* Whether the interrupt (--timeout) has fired: a trap then was the timeout's,
 * also when a host call reported it. */
bool wp2_interrupted(const wp2_ctx *p);

#endif
