/*
 * wasihttp_inst.c — what `wrun serve` pays per request for a wasi:http
 * component (src/serve/wasihttp.c), step by step: the store, the WASI 0.2
 * context and host (wp2_new + wp2_add_imports, as serve does), wc_instantiate, one
 * wp2_http_handle of GET PATH (its response discarded), and freeing it all;
 * then serve's template path: one instance graph from a component template
 * (wc_template_instantiate), per request wc_instance_renew, the handle call
 * and wp2_reset. Prints the median over 9 batches of each step, in
 * microseconds (wall time, and the thread's CPU time for the template path). Runs on a
 * thread of its own, as serve's workers do (on the main thread glibc's
 * pthread_getattr_np, which compiled code asks for the stack bounds, parses
 * /proc/self/maps on every call).
 *   bench_serve_wasihttp COMPONENT.wasm [ITERATIONS_PER_BATCH] [PATH] [--aot|--interp] [--template-only]
 * (--template-only skips the graph-per-request path, whose JavaScript
 * instantiation takes seconds per batch.)
 */
#include <pthread.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "aot/aot.h"
#include "cinst/artifact.h"
#include "cinst/instance.h"
#include "common/file.h"
#include "wasip2/http.h"
#include "wasip2/wasip2.h"

enum { STEP_STORE, STEP_HOST, STEP_INSTANTIATE, STEP_HANDLE, STEP_FREE, NSTEPS };
static const char *const step_names[NSTEPS] = {"store", "wp2 context + host", "wc_instantiate", "handle",
                                               "free all"};
enum { TSTEP_RENEW, TSTEP_HANDLE, TSTEP_RESET, TSTEP_CPU, NTSTEPS };
static const char *const tstep_names[NTSTEPS] = {"wc_instance_renew", "handle", "wp2_reset", "total CPU"};

static double clock_us(clockid_t id) {
  struct timespec t;
  clock_gettime(id, &t);
  return (double)t.tv_sec * 1e6 + (double)t.tv_nsec / 1e3;
}
static double now_us(void) { return clock_us(CLOCK_MONOTONIC); }

static int cmp_double(const void *a, const void *b) {
  double x = *(const double *)a, y = *(const double *)b;
  return x < y ? -1 : x > y;
}

static int on_head(void *arg, unsigned status, const wp2_http_field *h, size_t n) {
  (void)h, (void)n;
  *(unsigned *)arg = status;
  return 0;
}
static int on_body(void *arg, const uint8_t *d, size_t n) {
  (void)arg, (void)d, (void)n;
  return 0;
}
static void on_end(void *arg, const wp2_http_field *t, size_t n, bool complete) { (void)arg, (void)t, (void)n, (void)complete; }

/* Compiles the component's core modules, as serve gets them from the cache. */
static bool compile_all(wc_component *c, rt_error *err) {
  uint32_t n = wc_core_modules(c, NULL, 0);
  wm_module **mods = calloc((size_t)n + 1, sizeof *mods);
  if (!mods) return false;
  wc_core_modules(c, mods, n);
  rt_config cfg = {.aot = true};
  bool ok = true;
  for (uint32_t k = 0; k < n && ok; k++) {
    aot_image *img;
    if ((ok = aot_compile_module(mods[k], aot_options_for(&cfg), &img, err))) aot_attach_image(mods[k], img);
  }
  free(mods);
  return ok;
}

/* serve's path: one graph from a template, renewed per request. */
static bool bench_template(const wc_component *c, const rt_config *cfg, const char *handler, const char *path,
                           int iters) {
  rt_error err;
  wc_template *t = wc_template_new(c, cfg, &err);
  wrun_store *s = t ? engine_store_new(wc_template_config(t)) : NULL;
  wc_host *host = wc_host_new();
  char *av[] = {"bench", NULL};
  wp2_ctx *p = wp2_new(&(wp2_config){.argc = 1, .argv = av});
  if (!t || !s || !host || !p || !wp2_add_imports(p, host, c, WP2_HTTP)) return fprintf(stderr, "template: %s\n", err.message), false;
  double t0 = now_us();
  wc_instance *inst = wc_template_instantiate(t, s, host, &err);
  if (!inst) return fprintf(stderr, "template: %s\n", err.message), false;
  double first = now_us() - t0;
  double per[NTSTEPS][9];
  for (int b = 0; b < 9; b++) {
    double sum[NTSTEPS] = {0};
    double c0 = clock_us(CLOCK_THREAD_CPUTIME_ID);
    for (int i = 0; i < iters; i++) {
      double t1 = now_us();
      rt_store_refill(s);
      if (!wc_instance_renew(inst, &err)) return fprintf(stderr, "renew: %s\n", err.message), false;
      double t2 = now_us();
      unsigned status = 0;
      wp2_http_request req = {.method = "GET", .scheme = "http", .authority = "localhost", .path_with_query = path};
      wp2_http_response_sink sink = {on_head, on_body, on_end, &status};
      wp2_http_result res;
      if (!wp2_http_handle(p, inst, handler, &req, &sink, &res) || res.outcome != WP2_HTTP_RESPONDED)
        return fprintf(stderr, "no response: %s\n", res.message), false;
      double t3 = now_us();
      wp2_reset(p);
      double t4 = now_us();
      sum[TSTEP_RENEW] += t2 - t1;
      sum[TSTEP_HANDLE] += t3 - t2;
      sum[TSTEP_RESET] += t4 - t3;
    }
    sum[TSTEP_CPU] = clock_us(CLOCK_THREAD_CPUTIME_ID) - c0;
    for (int k = 0; k < NTSTEPS; k++) per[k][b] = sum[k] / iters;
  }
  printf("template path (first wc_template_instantiate %.1f us), median of 9 x %d:", first, iters);
  double total = 0;
  for (int k = 0; k < NTSTEPS; k++) {
    qsort(per[k], 9, sizeof per[k][0], cmp_double);
    printf(" %s %.1f us%s", tstep_names[k], per[k][4], k + 1 < NTSTEPS ? "," : "");
    if (k != TSTEP_CPU) total += per[k][4];
  }
  printf("; total wall %.1f us\n", total);
  wc_instance_free(inst);
  wc_host_free(host);
  wp2_free(p);
  rt_store_free(s);
  wc_template_free(t);
  return true;
}

static int bench(int argc, char **argv) {
  if (argc < 2) {
    fprintf(stderr, "usage: bench_serve_wasihttp COMPONENT.wasm [ITERATIONS] [PATH] [--aot]\n");
    return 2;
  }
  int iters = argc > 2 ? atoi(argv[2]) : 200;
  const char *path = argc > 3 ? argv[3] : "/";
  bool aot = argc > 4 && strcmp(argv[4], "--aot") == 0;
  bool template_only = argc > 5 && strcmp(argv[5], "--template-only") == 0;
  if (iters < 1) iters = 1;
  rt_error err;
  rt_error_clear(&err);
  size_t len;
  uint8_t *bytes = rt_read_file(argv[1], &len, &err);
  wc_component *c = bytes ? wc_component_load(bytes, len, &err) : NULL;
  char handler[160];
  if (!c || (aot && !compile_all(c, &err)) || !wp2_http_handler_name(c, handler, sizeof handler)) {
    fprintf(stderr, "%s: %s\n", argv[1], err.message[0] ? err.message : "not a wasi:http component");
    return 1;
  }
  rt_config cfg = {.stack_bytes = 128 << 10, .max_call_depth = 512, .aot = aot};
  double per[NSTEPS][9];
  for (int b = 0; b < 9 && !template_only; b++) {
    double sum[NSTEPS] = {0};
    for (int i = 0; i < iters; i++) {
      double t0 = now_us();
      wrun_store *s = engine_store_new(&cfg);
      double t1 = now_us();
      wc_host *host = wc_host_new();
      char *av[] = {"bench", NULL};
      wp2_ctx *p = wp2_new(&(wp2_config){.argc = 1, .argv = av});
      if (!s || !host || !p || !wp2_add_imports(p, host, c, WP2_HTTP)) return fprintf(stderr, "out of memory\n"), 1;
      double t2 = now_us();
      wc_instance *inst = wc_instantiate(s, c, host, &err);
      if (!inst) return fprintf(stderr, "%s: %s\n", argv[1], err.message), 1;
      double t3 = now_us();
      unsigned status = 0;
      wp2_http_request req = {.method = "GET", .scheme = "http", .authority = "localhost", .path_with_query = path};
      wp2_http_response_sink sink = {on_head, on_body, on_end, &status};
      wp2_http_result res;
      if (!wp2_http_handle(p, inst, handler, &req, &sink, &res) || res.outcome != WP2_HTTP_RESPONDED)
        return fprintf(stderr, "%s: no response: %s\n", argv[1], res.message), 1;
      double t4 = now_us();
      wc_instance_free(inst);
      wc_host_free(host);
      wp2_free(p);
      rt_store_free(s);
      double t5 = now_us();
      sum[STEP_STORE] += t1 - t0;
      sum[STEP_HOST] += t2 - t1;
      sum[STEP_INSTANTIATE] += t3 - t2;
      sum[STEP_HANDLE] += t4 - t3;
      sum[STEP_FREE] += t5 - t4;
    }
    for (int k = 0; k < NSTEPS; k++) per[k][b] = sum[k] / iters;
  }
  if (!template_only) {
    printf("wasi:http per request (%s, GET %s, %s), median of 9 x %d:", argv[1], path, aot ? "aot" : "interpreter",
           iters);
    double total = 0;
    for (int k = 0; k < NSTEPS; k++) {
      qsort(per[k], 9, sizeof per[k][0], cmp_double);
      printf(" %s %.1f us%s", step_names[k], per[k][4], k + 1 < NSTEPS ? "," : "");
      total += per[k][4];
    }
    printf("; total %.1f us\n", total);
  }
  if (!bench_template(c, &cfg, handler, path, iters)) return 1;
  wc_component_free(c);
  free(bytes);
  return 0;
}

typedef struct bench_args {
  int argc;
  char **argv;
  int status;
} bench_args;

static void *bench_thread(void *p) {
  bench_args *a = p;
  a->status = bench(a->argc, a->argv);
  return NULL;
}

int main(int argc, char **argv) {
  bench_args a = {argc, argv, 1};
  pthread_attr_t attr;
  pthread_t t;
  pthread_attr_init(&attr);
  pthread_attr_setstacksize(&attr, 8u << 20);
  if (pthread_create(&t, &attr, bench_thread, &a) != 0) return 1;
  pthread_join(t, NULL);
  pthread_attr_destroy(&attr);
  return a.status;
}
