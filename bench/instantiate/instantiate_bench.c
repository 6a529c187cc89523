/*
 * instantiate_bench.c — per-instantiation cost, the figure `wrun serve`
 * lives on (a fresh instance per request). Two modules, built here in binary:
 *
 *   hello   imports wasi_snapshot_preview1.fd_write (a stub that checks the
 *           iovec), one page of memory with "hello\n" and an iovec in data,
 *           _start calls fd_write;
 *   data10m 160 pages (10 MiB) all filled by one active data segment of
 *           non-zero bytes; touch(addr) returns the byte at addr and writes
 *           0xEE there.
 *
 * For each module and tier (interpreter, AOT) it times, per instance:
 *   new store + rt_instantiate + free store   (the path `wrun run` takes),
 *   rt_template_instantiate + release          (pooled, copy-on-write),
 *   the same plus one call (_start, or touch of a rotating address, which
 *   checks that the byte the previous instance overwrote is back).
 * Each figure is the best of 5 batches of N instantiations (mean per
 * instantiation within the batch), as wall time and as this thread's CPU
 * time (user + system).
 *
 *   build/bench_instantiate [N] [--template-only]     (default N = 2000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "runtime/runtime.h"
#include "valid/valid.h"

/* ---- module bytes ------------------------------------------------------------- */

typedef struct buf { uint8_t *p; size_t n, cap; } buf;

static void put(buf *b, const void *src, size_t n) {
  if (b->n + n > b->cap) {
    b->cap = (b->n + n) * 2;
    b->p = realloc(b->p, b->cap);
    if (!b->p) abort();
  }
  memcpy(b->p + b->n, src, n);
  b->n += n;
}
static void put_byte(buf *b, uint8_t x) { put(b, &x, 1); }
static void put_uleb(buf *b, uint64_t v) {
  do {
    uint8_t x = v & 0x7f;
    v >>= 7;
    put_byte(b, x | (v ? 0x80 : 0));
  } while (v);
}
static void put_section(buf *m, uint8_t id, const buf *body) {
  put_byte(m, id);
  put_uleb(m, body->n);
  put(m, body->p, body->n);
}
#define SECTION(m, id, ...)                                                                            \
  do {                                                                                                 \
    static const uint8_t raw_[] = {__VA_ARGS__};                                                      \
    buf b_ = {0};                                                                                      \
    put(&b_, raw_, sizeof raw_);                                                                       \
    put_section(m, id, &b_);                                                                           \
    free(b_.p);                                                                                        \
  } while (0)

static buf hello_module(void) {
  buf m = {0};
  put(&m, "\0asm\1\0\0\0", 8);
  SECTION(&m, 1, 2, 0x60, 4, 0x7f, 0x7f, 0x7f, 0x7f, 1, 0x7f, 0x60, 0, 0);
  SECTION(&m, 2, 1, 22, 'w', 'a', 's', 'i', '_', 's', 'n', 'a', 'p', 's', 'h', 'o', 't', '_', 'p', 'r', 'e', 'v',
          'i', 'e', 'w', '1', 8, 'f', 'd', '_', 'w', 'r', 'i', 't', 'e', 0, 0);
  SECTION(&m, 3, 1, 1);
  SECTION(&m, 5, 1, 0, 1);
  SECTION(&m, 7, 2, 6, '_', 's', 't', 'a', 'r', 't', 0, 1, 6, 'm', 'e', 'm', 'o', 'r', 'y', 2, 0);
  /* _start: fd_write(1, iovs=16, 1, nwritten=24) drop */
  SECTION(&m, 10, 1, 13, 0, 0x41, 1, 0x41, 16, 0x41, 1, 0x41, 24, 0x10, 0, 0x1a, 0x0b);
  SECTION(&m, 11, 2, 0, 0x41, 0, 0x0b, 6, 'h', 'e', 'l', 'l', 'o', '\n', 0, 0x41, 16, 0x0b, 8, 0, 0, 0, 0, 6, 0, 0,
          0);
  return m;
}

#define DATA10M_PAGES 160u

static uint8_t data10m_byte(uint64_t i) { return (uint8_t)(1 + (i * 7) % 251); }

static buf data10m_module(void) {
  buf m = {0};
  put(&m, "\0asm\1\0\0\0", 8);
  SECTION(&m, 1, 1, 0x60, 1, 0x7f, 1, 0x7f);
  SECTION(&m, 3, 1, 0);
  SECTION(&m, 5, 1, 0, 0xa0, 0x01); /* 160 pages */
  SECTION(&m, 7, 1, 5, 't', 'o', 'u', 'c', 'h', 0, 0);
  /* touch: local.get 0 i32.load8_u; local.get 0 i32.const 0xEE i32.store8 */
  SECTION(&m, 10, 1, 15, 0, 0x20, 0, 0x2d, 0, 0, 0x20, 0, 0x41, 0xee, 0x01, 0x3a, 0, 0, 0x0b);
  uint64_t len = (uint64_t)DATA10M_PAGES * 65536;
  buf d = {0};
  put_byte(&d, 1);
  put(&d, (const uint8_t[]){0, 0x41, 0, 0x0b}, 4);
  put_uleb(&d, len);
  for (uint64_t i = 0; i < len; i++) put_byte(&d, data10m_byte(i));
  put_section(&m, 11, &d);
  free(d.p);
  return m;
}

/* ---- the fd_write stub ---------------------------------------------------------- */

static bool fd_write_stub(rt_caller *c, void *env, uint64_t *slots) {
  (void)env;
  rt_memory *mem = rt_caller_memory(c, 0);
  uint32_t iovs = (uint32_t)slots[1];
  const uint8_t *base = rt_memory_data(mem);
  uint32_t len;
  memcpy(&len, base + iovs + 4, 4);
  slots[0] = len == 6 && memcmp(base, "hello\n", 6) == 0 ? 0 : 28; /* EINVAL when the image is wrong */
  return slots[0] == 0 || rt_caller_trap(c, WRUN_TRAP_HOST, "hello: wrong memory contents");
}

/* ---- timing ----------------------------------------------------------------------- */

static double clock_us(clockid_t id) {
  struct timespec ts;
  clock_gettime(id, &ts);
  return (double)ts.tv_sec * 1e6 + (double)ts.tv_nsec / 1e3;
}

/* Wall time, and the CPU time of this thread (user + system), which is the
 * better figure on a machine shared with other work: time spent waiting for
 * a core counts in the first only. */
typedef struct cost { double wall, cpu; } cost;

typedef struct bench_ctx {
  const wm_module *m;
  const rt_config *cfg;
  const rt_extern *imports;    /* for the normal path: made in each store */
  const rt_template *t;
  wrun_store *s;                 /* the pool's store */
  const char *call;              /* export to call, or NULL */
  bool is_data;
  uint64_t iter;
} bench_ctx;

static void die(const char *what, const rt_error *err) {
  char b[400];
  fprintf(stderr, "bench_instantiate: %s: %s\n", what, rt_error_format(err, NULL, b, sizeof b));
  exit(1);
}

static void call_export(bench_ctx *c, wrun_store *s, wrun_instance *inst) {
  rt_error err;
  rt_error_clear(&err);
  rt_extern x;
  if (!rt_instance_export(inst, c->call, strlen(c->call), &x)) die("no export", &err);
  if (c->is_data) {
    uint32_t addr = (uint32_t)((c->iter * 40961) % ((uint64_t)DATA10M_PAGES * 65536));
    rt_val arg = {.type = WASM_I32, .of.i32 = addr}, res;
    if (!rt_call(s, x.of.func, &arg, 1, &res, 1, &err)) die("touch", &err);
    if (res.of.i32 != data10m_byte(addr)) {
      fprintf(stderr, "bench_instantiate: byte %u is %u, image says %u: copy-on-write isolation broken\n", addr,
              res.of.i32, data10m_byte(addr));
      exit(1);
    }
  } else if (!rt_call(s, x.of.func, NULL, 0, NULL, 0, &err)) {
    die("_start", &err);
  }
}

static void one_normal(bench_ctx *c) {
  rt_error err;
  rt_error_clear(&err);
  wrun_store *s = engine_store_new(c->cfg);
  rt_extern imports[1];
  uint32_t n = rt_template_module(c->t)->nimports;
  if (n) {
    imports[0].kind = WASM_EXTERN_FUNC;
    imports[0].of.func = rt_func_new_host(s, rt_func_type(c->imports[0].of.func), fd_write_stub, NULL, "fd_write");
  }
  wrun_instance *inst = rt_instantiate(s, c->m, imports, n, &err);
  if (!inst) die("instantiate", &err);
  if (c->call) call_export(c, s, inst);
  rt_store_free(s);
}

static void one_template(bench_ctx *c) {
  rt_error err;
  rt_error_clear(&err);
  wrun_instance *inst = rt_template_instantiate(c->t, c->s, &err);
  if (!inst) die("template instantiate", &err);
  if (c->call) call_export(c, c->s, inst);
  rt_instance_release(c->s, inst);
}

static cost best_us(bench_ctx *c, void (*one)(bench_ctx *), int n) {
  cost best = {1e30, 1e30};
  for (int batch = 0; batch < 5; batch++) {
    double w0 = clock_us(CLOCK_MONOTONIC), c0 = clock_us(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < n; i++, c->iter++) one(c);
    double wall = (clock_us(CLOCK_MONOTONIC) - w0) / n, cpu = (clock_us(CLOCK_THREAD_CPUTIME_ID) - c0) / n;
    if (wall < best.wall) best.wall = wall;
    if (cpu < best.cpu) best.cpu = cpu;
  }
  return best;
}

static bool template_only;

static void run(const char *name, const buf *bytes, bool aot, const char *call, bool is_data, int n) {
  rt_error err;
  rt_error_clear(&err);
  wm_module *m = wm_module_decode(bytes->p, bytes->n, &err);
  if (!m || !wm_module_validate(m, &err)) die(name, &err);
  rt_config cfg = {0};
  cfg.aot = aot;
  wrun_store *host = engine_store_new(&cfg); /* owns the template's host function */
  rt_extern imports[1];
  if (m->nimports) {
    imports[0].kind = WASM_EXTERN_FUNC;
    imports[0].of.func = rt_func_new_host(host, wm_module_func_type(m, 0), fd_write_stub, NULL, "fd_write");
  }
  rt_template *t = engine_template_new(m, &cfg, imports, m->nimports, &err);
  if (!t) die(name, &err);
  bench_ctx c = {m, &cfg, imports, t, engine_store_new(&cfg), NULL, is_data, 0};
  int slow_n = is_data ? (n / 20 > 10 ? n / 20 : 10) : n; /* the copying path is slow: fewer rounds */
  cost none = {0, 0};
  cost normal = template_only ? none : best_us(&c, one_normal, slow_n);
  cost pooled = best_us(&c, one_template, n);
  c.call = call;
  cost normal_call = template_only ? none : best_us(&c, one_normal, slow_n);
  cost pooled_call = best_us(&c, one_template, n);
  printf("%-7s %-6s %5llu KiB | %8.1f %8.1f | %6.2f %6.2f | %8.1f %8.1f | %6.2f %6.2f\n", name,
         aot ? "aot" : "interp", (unsigned long long)rt_template_image_bytes(t) / 1024, normal.wall, normal.cpu,
         pooled.wall, pooled.cpu, normal_call.wall, normal_call.cpu, pooled_call.wall, pooled_call.cpu);
  rt_store_free(c.s);
  rt_template_free(t);
  rt_store_free(host);
  wm_module_free(m);
}

int main(int argc, char **argv) {
  int n = 2000;
  for (int i = 1; i < argc; i++) {
    if (strcmp(argv[i], "--template-only") == 0) template_only = true;
    else n = atoi(argv[i]);
  }
  if (n < 1) n = 1;
  buf hello = hello_module(), data = data10m_module();
  printf("µs per instance (wall, cpu), best of 5 batches of %d (the copying path: fewer)\n", n);
  printf("                      |  rt_instantiate |     template  | + call: instantiate | + call: template\n");
  printf("module  tier   image    |     wall      cpu |   wall    cpu |     wall      cpu |   wall    cpu\n");
  for (int aot = 0; aot <= 1; aot++) {
#if !defined(__x86_64__)
    if (aot) break;
#endif
    run("hello", &hello, aot, "_start", false, n);
    run("data10m", &data, aot, "touch", true, n);
  }
  free(hello.p);
  free(data.p);
  return 0;
}
