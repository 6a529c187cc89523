/*
 * canon_bench.c — micro-benchmark of the Canonical ABI value layer
 * (src/component/canon.c): lowers a list of 1000 records
 * { id: u32, name: string, score: f64, tags: list<string> } into a guest
 * memory and lifts it back, per string encoding, and prints the time per
 * list element for each direction: the mean over all rounds and the best
 * round (on a shared machine the best round is the figure preemption
 * distorts least). The guest realloc is a bump allocator
 * reset between rounds, so the figures are the value layer's own cost.
 *
 * Usage: bench_canon [rounds]   (default 2000)
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include "component/canon.h"
#include "component/component_internal.h"

#define NELEMS 1000u
#define MEM_SIZE (16u << 20)

static uint8_t *mem_bytes;
static uint32_t heap_top;

static bool bump_realloc(void *ctx, uint32_t old_ptr, uint32_t old_size, uint32_t align, uint32_t new_size,
                         uint32_t *out) {
  (void)ctx;
  uint32_t p = (heap_top + align - 1) / align * align;
  if ((uint64_t)p + new_size > MEM_SIZE) return false;
  if (old_size) memmove(mem_bytes + p, mem_bytes + old_ptr, old_size < new_size ? old_size : new_size);
  heap_top = p + new_size;
  *out = p;
  return true;
}

static double now_ns(void) {
  struct timespec ts;
  clock_gettime(CLOCK_MONOTONIC, &ts);
  return ts.tv_sec * 1e9 + ts.tv_nsec;
}

static uint32_t add_type(wc_loader *L, wc_type t) {
  uint32_t id = wc_type_add(L, &t, 0);
  if (id == WC_NONE) { fprintf(stderr, "bench_canon: cannot build types\n"); exit(1); }
  return id;
}

static uint32_t record_type(wc_loader *L, const wc_val *f, uint32_t n) {
  wc_type t = {.kind = WC_T_RECORD, .nitems = n, .items = calloc(n, sizeof(wc_item))};
  if (!t.items) exit(1);
  for (uint32_t i = 0; i < n; i++) t.items[i] = (wc_item){.name = {"f", 1}, .type = f[i], .has_type = true};
  return add_type(L, t);
}

int main(int argc, char **argv) {
  int rounds = argc > 1 ? atoi(argv[1]) : 2000;
  if (rounds <= 0) rounds = 1;
  mem_bytes = calloc(1, MEM_SIZE);
  if (!mem_bytes) return 1;
  wc_types ts = {0};
  rt_error err;
  wc_loader L = {.types = &ts, .err = &err};
  wc_val str = WC_PRIM_BIT | WC_STRING;
  wc_val tags = add_type(&L, (wc_type){.kind = WC_T_LIST, .elem = str});
  wc_val fields[] = {WC_PRIM_BIT | WC_U32, str, WC_PRIM_BIT | WC_F64, tags};
  wc_val rec = record_type(&L, fields, 4);
  wc_val list = add_type(&L, (wc_type){.kind = WC_T_LIST, .elem = rec});

  /* The host value: names mix ASCII and one non-ASCII char, as real data does. */
  static char names[NELEMS][32];
  static wc_value tagv[2] = {{.kind = WC_V_STRING, .u.str = {"alpha", 5}}, {.kind = WC_V_STRING, .u.str = {"beta", 4}}};
  wc_value *recs = calloc(NELEMS, sizeof *recs), *flds = calloc(NELEMS * 4, sizeof *flds);
  if (!recs || !flds) return 1;
  for (uint32_t i = 0; i < NELEMS; i++) {
    int len = snprintf(names[i], sizeof names[i], "user-%u-caf\xc3\xa9", i);
    wc_value *f = &flds[i * 4];
    f[0] = (wc_value){.kind = WC_V_U32, .u.u = i};
    f[1] = (wc_value){.kind = WC_V_STRING, .u.str = {names[i], (uint32_t)len}};
    f[2] = (wc_value){.kind = WC_V_F64, .u.f64 = i * 0.5};
    f[3] = (wc_value){.kind = WC_V_LIST, .u.seq = {tagv, 2}};
    recs[i] = (wc_value){.kind = WC_V_RECORD, .u.seq = {f, 4}};
  }
  wc_value v = {.kind = WC_V_LIST, .u.seq = {recs, NELEMS}};

  const char *encname[] = {"utf8", "utf16", "latin1+utf16"};
  wc_string_encoding encs[] = {WC_UTF8, WC_UTF16, WC_LATIN1_UTF16};
  wc_mem mem = {mem_bytes, MEM_SIZE};
  wc_handle_table table;
  wc_handles_init(&table);
  wc_arena arena = {0};
  printf("list of %u records {u32, string, f64, list<string>(2)}, %d rounds\n", NELEMS, rounds);
  printf("%-14s %14s %14s %14s %14s\n", "encoding", "lower ns/elem", "lift ns/elem", "best lower", "best lift");
  for (int e = 0; e < 3; e++) {
    wc_canon_cx cx = {.types = &ts, .mem = &mem, .encoding = encs[e], .realloc = bump_realloc,
                      .handles = &table, .arena = &arena};
    double tl = 0, tf = 0, bl = 1e300, bf = 1e300;
    for (int r = 0; r < rounds; r++) {
      heap_top = 8;
      uint64_t flat[2];
      uint32_t n = 0, pos = 0;
      double t0 = now_ns();
      if (!wc_lower_flat(&cx, &v, list, flat, 2, &n)) { fprintf(stderr, "bench_canon: lower trapped: %s\n", cx.trap.msg); return 1; }
      double t1 = now_ns();
      wc_value back;
      if (!wc_lift_flat(&cx, flat, n, &pos, list, &back)) { fprintf(stderr, "bench_canon: lift trapped: %s\n", cx.trap.msg); return 1; }
      double t2 = now_ns();
      if (back.u.seq.n != NELEMS || back.u.seq.v[NELEMS - 1].u.seq.v[1].u.str.len != recs[NELEMS - 1].u.seq.v[1].u.str.len) {
        fprintf(stderr, "bench_canon: round trip mismatch\n");
        return 1;
      }
      wc_arena_reset(&arena);
      tl += t1 - t0;
      tf += t2 - t1;
      if (t1 - t0 < bl) bl = t1 - t0;
      if (t2 - t1 < bf) bf = t2 - t1;
    }
    printf("%-14s %14.1f %14.1f %14.1f %14.1f\n", encname[e], tl / rounds / NELEMS, tf / rounds / NELEMS,
           bl / NELEMS, bf / NELEMS);
    wc_canon_cx_release(&cx);
  }
  wc_arena_free(&arena);
  wc_handles_free(&table);
  for (uint32_t i = 0; i < ts.n; i++) wc_type_release(&ts.v[i]);
  free(ts.v);
  free(recs);
  free(flds);
  free(mem_bytes);
  return 0;
}
