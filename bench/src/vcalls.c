/* vcalls.c — many small functions and indirect calls: objects of eight
 * kinds with vtables (object-oriented C, or C++ virtual calls), visited
 * through function pointers, plus a pipeline of small callbacks (map, filter,
 * fold) as generic library code does it. Each call does little work, so call
 * and return cost dominates. */
#include "bench.h"

typedef struct object object;
typedef struct {
  int64_t (*area)(const object *);
  int64_t (*perimeter)(const object *);
  void (*scale)(object *, int32_t);
  uint32_t (*kind)(const object *);
} vtable;
struct object { const vtable *vt; int32_t w, h, x, y; };

#define NOINLINE __attribute__((noinline))
static NOINLINE int64_t rect_area(const object *o) { return (int64_t)o->w * o->h; }
static NOINLINE int64_t rect_perim(const object *o) { return 2 * ((int64_t)o->w + o->h); }
static NOINLINE int64_t sq_area(const object *o) { return (int64_t)o->w * o->w; }
static NOINLINE int64_t sq_perim(const object *o) { return 4 * (int64_t)o->w; }
static NOINLINE int64_t tri_area(const object *o) { return (int64_t)o->w * o->h / 2; }
static NOINLINE int64_t tri_perim(const object *o) { return (int64_t)o->w + o->h + (o->w > o->h ? o->w : o->h); }
static NOINLINE int64_t circ_area(const object *o) { return 355 * (int64_t)o->w * o->w / 113; }
static NOINLINE int64_t circ_perim(const object *o) { return 710 * (int64_t)o->w / 113; }
static NOINLINE int64_t pt_zero(const object *o) { return o->x & 1; }
static NOINLINE int64_t line_len(const object *o) { return o->w > o->h ? o->w : o->h; }
static NOINLINE void scale_both(object *o, int32_t k) { o->w = (o->w * k) % 1000 + 1; o->h = (o->h * k) % 1000 + 1; }
static NOINLINE void scale_w(object *o, int32_t k) { o->w = (o->w * k) % 1000 + 1; }
static NOINLINE void move_by(object *o, int32_t k) { o->x += k; o->y -= k; }
static NOINLINE void scale_none(object *o, int32_t k) { (void)o; (void)k; }
static NOINLINE uint32_t kind0(const object *o) { (void)o; return 0; }
static NOINLINE uint32_t kind1(const object *o) { (void)o; return 1; }
static NOINLINE uint32_t kind2(const object *o) { (void)o; return 2; }
static NOINLINE uint32_t kind3(const object *o) { return 3 + (o->w & 1); }

static const vtable vtables[8] = {
  {rect_area, rect_perim, scale_both, kind0}, {sq_area, sq_perim, scale_w, kind1},
  {tri_area, tri_perim, scale_both, kind2},   {circ_area, circ_perim, scale_w, kind3},
  {pt_zero, pt_zero, move_by, kind0},          {pt_zero, line_len, scale_both, kind1},
  {rect_area, line_len, move_by, kind2},       {circ_area, sq_perim, scale_none, kind3},
};

#define NOBJ 4096
static object objs[NOBJ];
static int32_t vals[NOBJ];

typedef int32_t (*map_fn)(int32_t);
typedef int (*pred_fn)(int32_t);
typedef int64_t (*fold_fn)(int64_t, int32_t);
static NOINLINE int32_t m_inc(int32_t v) { return v + 1; }
static NOINLINE int32_t m_dbl(int32_t v) { return v * 2; }
static NOINLINE int32_t m_sq(int32_t v) { return (v * v) & 0xffff; }
static NOINLINE int32_t m_neg(int32_t v) { return -v; }
static NOINLINE int p_odd(int32_t v) { return v & 1; }
static NOINLINE int p_pos(int32_t v) { return v > 0; }
static NOINLINE int p_small(int32_t v) { return v < 5000 && v > -5000; }
static NOINLINE int64_t f_sum(int64_t a, int32_t v) { return a + v; }
static NOINLINE int64_t f_xor(int64_t a, int32_t v) { return (int64_t)((uint64_t)a << 1) ^ v; }
static NOINLINE int64_t f_max(int64_t a, int32_t v) { return a > v ? a : v; }
static map_fn const maps[4] = {m_inc, m_dbl, m_sq, m_neg};
static pred_fn const preds[3] = {p_odd, p_pos, p_small};
static fold_fn const folds[3] = {f_sum, f_xor, f_max};

static NOINLINE int64_t pipeline(map_fn m, pred_fn p, fold_fn f, int64_t init) {
  int64_t acc = init;
  for (int i = 0; i < NOBJ; i++) {
    int32_t v = m(vals[i]);
    if (p(v)) acc = f(acc, v);
  }
  return acc;
}

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t seed = 555, acc = 0;
  for (int i = 0; i < NOBJ; i++) {
    uint64_t r = bench_rand(&seed);
    objs[i] = (object){&vtables[r & 7], (int32_t)(r >> 8) % 500 + 1, (int32_t)(r >> 20) % 500 + 1, 0, 0};
    vals[i] = (int32_t)(r >> 32) % 20000 - 10000;
  }
  int rounds = BENCH_SIZE(10000, 500);
  for (int r = 0; r < rounds; r++) {
    int64_t sum = 0;
    for (int i = 0; i < NOBJ; i++) {
      object *o = &objs[i];
      sum += o->vt->area(o) + 3 * o->vt->perimeter(o) + o->vt->kind(o);
      if ((i & 15) == (r & 15)) o->vt->scale(o, 3 + (r & 3));
    }
    acc = acc * 31 + (uint64_t)sum;
    acc += (uint64_t)pipeline(maps[r & 3], preds[r % 3], folds[(r >> 2) % 3], r);
  }
  return acc;
}
