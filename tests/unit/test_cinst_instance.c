/*
 * test_cinst_instance.c — component instantiation and calls (src/cinst):
 * components written in the component text format (tests/component/inst*.wat,
 * turned into binaries with `jco parse`) are instantiated in a store and
 * their exports called through wc_instance_call, in both tiers (interpreter
 * and AOT). Covers canon lift/lower, utf8/utf16 strings with realloc and
 * post-return, spilling past 16 parameters, lists of records, traps while
 * lifting (as error values with messages), the reentrance and may-leave
 * flags, host imports (functions and a host-implemented resource) and the
 * link error for a missing one, a
 * component-to-component call, a resource's constructor, method and
 * destructor (in its own instance and across two), and a start function.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <cmocka.h>

#include "aot/aot.h"
#include "cinst/instance.h"

/* Tiers to run each case in: the interpreter, and compiled code where this
 * build has an AOT backend for the host. */
static int ntiers(void) { return aot_target_host() ? 2 : 1; }

static wc_component *load(const char *name) {
  char path[512];
  snprintf(path, sizeof path, "%s/../component/%s", WRUN_TEST_DATA, name);
  FILE *f = fopen(path, "rb");
  assert_non_null(f);
  static uint8_t buf[1 << 16];
  size_t n = fread(buf, 1, sizeof buf, f);
  fclose(f);
  rt_error err;
  rt_error_clear(&err);
  wc_component *c = wc_component_load(buf, n, &err);
  if (!c) fail_msg("%s: %s", name, err.message);
  return c;
}

/* One component instantiated in a store of one tier. */
typedef struct fx {
  wc_component *c;
  wrun_store *s;
  wc_instance *inst;
  wc_arena arena;
  rt_error err;
} fx;

static void fx_open(fx *x, const char *name, bool aot, const wc_host *host) {
  memset(x, 0, sizeof *x);
  x->c = load(name);
  rt_config cfg = {.aot = aot};
  x->s = engine_store_new(&cfg);
  assert_non_null(x->s);
  x->inst = wc_instantiate(x->s, x->c, host, &x->err);
  if (!x->inst) fail_msg("%s: %s", name, x->err.message);
}

static void fx_close(fx *x) {
  wc_instance_free(x->inst);
  rt_store_free(x->s);
  wc_component_free(x->c);
  wc_arena_free(&x->arena);
}

static wc_value u32v(uint32_t v) { return (wc_value){.kind = WC_V_U32, .u.u = v}; }
static wc_value strv(const char *s) { return (wc_value){.kind = WC_V_STRING, .u.str = {s, (uint32_t)strlen(s)}}; }

static uint32_t call_u32(fx *x, const char *name, const wc_value *args, uint32_t n) {
  wc_value r;
  if (!wc_instance_call(x->inst, name, args, n, &r, 1, &x->arena, &x->err)) fail_msg("%s: %s", name, x->err.message);
  assert_int_equal(r.kind, WC_V_U32);
  return (uint32_t)r.u.u;
}

/* Calls `name`, which must trap with a message containing `want`. */
static void expect_trap(fx *x, const char *name, const wc_value *args, uint32_t n, uint32_t nres, const char *want) {
  wc_value r;
  assert_false(wc_instance_call(x->inst, name, args, n, &r, nres, &x->arena, &x->err));
  assert_int_equal(x->err.kind, WRUN_ERR_TRAP);
  if (!strstr(x->err.message, want)) fail_msg("%s: trap \"%s\" lacks \"%s\"", name, x->err.message, want);
}

static void test_scalars_strings_lists(void **state) {
  (void)state;
  for (int aot = 0; aot < ntiers(); aot++) {
    fx x;
    fx_open(&x, "inst.wasm", aot, NULL);
    wc_value a[17] = {u32v(7), u32v(35)};
    assert_int_equal(call_u32(&x, "add", a, 2), 42);
    a[0] = u32v(0xffffffffu); a[1] = u32v(3);
    assert_int_equal(call_u32(&x, "add", a, 2), 2);
    /* the start function ran once, at instantiation */
    assert_int_equal(call_u32(&x, "started", NULL, 0), 1);

    /* strings in both encodings, each followed by post-return */
    /* each string in each encoding: latin1+utf16 stores the first as Latin-1
     * and the others as UTF-16 */
    const char *texts[3] = {"h\xc3\xa9llo w\xc3\xb6rld", "h\xc3\xa9llo \xe2\x98\x83 w\xc3\xb6rld \xf0\x9f\x8c\x8d", ""};
    const char *fns[3] = {"echo", "echo16", "echo-latin1"};
    for (int e = 0; e < 9; e++) {
      const char *text = texts[e % 3];
      uint32_t posts = call_u32(&x, "post-count", NULL, 0);
      wc_value s = strv(text), r;
      if (!wc_instance_call(x.inst, fns[e / 3], &s, 1, &r, 1, &x.arena, &x.err)) fail_msg("%s", x.err.message);
      assert_int_equal(r.kind, WC_V_STRING);
      assert_int_equal(r.u.str.len, strlen(text));
      assert_memory_equal(r.u.str.ptr, text, strlen(text));
      assert_int_equal(call_u32(&x, "post-count", NULL, 0), posts + 1);
    }

    /* 17 parameters: spilled to memory through realloc */
    uint32_t sum = 0;
    for (uint32_t i = 0; i < 17; i++) { a[i] = u32v(i * i + 1); sum += i * i + 1; }
    assert_int_equal(call_u32(&x, "sum17", a, 17), sum);

    /* list<record {x, y}> */
    wc_value fields[6] = {u32v(2), u32v(3), u32v(4), u32v(5), u32v(6), u32v(7)};
    wc_value pts[3];
    for (int i = 0; i < 3; i++) pts[i] = (wc_value){.kind = WC_V_RECORD, .u.seq = {&fields[2 * i], 2}};
    wc_value list = {.kind = WC_V_LIST, .u.seq = {pts, 3}};
    assert_int_equal(call_u32(&x, "dot", &list, 1), 2 * 3 + 4 * 5 + 6 * 7);
    list.u.seq.n = 0;
    assert_int_equal(call_u32(&x, "dot", &list, 1), 0);
    fx_close(&x);
  }
}

static void test_traps(void **state) {
  (void)state;
  for (int aot = 0; aot < ntiers(); aot++) {
    fx x;
    fx_open(&x, "inst.wasm", aot, NULL);
    expect_trap(&x, "bad-ptr", NULL, 0, 1, "out of bounds");
    expect_trap(&x, "bad-utf8", NULL, 0, 1, "invalid UTF-8");
    expect_trap(&x, "bad-disc", NULL, 0, 1, "discriminant 7 out of range");
    /* a host value of the wrong type is refused while lowering */
    wc_value a[2] = {strv("x"), u32v(1)};
    expect_trap(&x, "add", a, 2, 1, "kind");
    /* reentering the instance through its own lowered export */
    expect_trap(&x, "reenter", NULL, 0, 1, "cannot enter component instance");
    /* realloc calling an import while lowering arguments: may_leave is false */
    wc_value s = strv("abc");
    expect_trap(&x, "leave-in-realloc", &s, 1, 1, "cannot leave component instance");
    /* wrong arity is a usage error, not a trap */
    wc_value r;
    assert_false(wc_instance_call(x.inst, "add", a, 1, &r, 1, &x.arena, &x.err));
    assert_int_equal(x.err.kind, WRUN_ERR_USAGE);
    assert_false(wc_instance_call(x.inst, "nope", NULL, 0, NULL, 0, &x.arena, &x.err));
    assert_int_equal(x.err.kind, WRUN_ERR_USAGE);
    fx_close(&x);
  }
}

/* Host implementations: log returns the message's length and records it;
 * mul multiplies. */
static char logged[64];
static bool host_log(void *env, const wc_value *args, uint32_t nargs, wc_value *res, uint32_t nres, wc_arena *arena,
                     wc_trap *trap) {
  (void)env; (void)arena; (void)trap;
  assert_int_equal(nargs, 1);
  assert_int_equal(nres, 1);
  assert_int_equal(args[0].kind, WC_V_STRING);
  snprintf(logged, sizeof logged, "%.*s", (int)args[0].u.str.len, args[0].u.str.ptr);
  res[0] = u32v(args[0].u.str.len);
  return true;
}
static bool host_mul(void *env, const wc_value *args, uint32_t nargs, wc_value *res, uint32_t nres, wc_arena *arena,
                     wc_trap *trap) {
  (void)arena; (void)nres;
  assert_int_equal(nargs, 2);
  if (env) { trap->trapped = true; snprintf(trap->msg, sizeof trap->msg, "mul refused"); return false; }
  res[0] = u32v((uint32_t)(args[0].u.u * args[1].u.u));
  return true;
}

static void test_host_imports(void **state) {
  (void)state;
  static int refuse;
  for (int aot = 0; aot < ntiers(); aot++) {
    wc_host *h = wc_host_new();
    assert_true(wc_host_add(h, NULL, "log", "func(msg: string) -> u32", host_log, NULL));
    assert_true(wc_host_add(h, "test:demo/math@0.1.0", "mul", "func(a: u32, b: u32) -> u32", host_mul, NULL));
    fx x;
    fx_open(&x, "inst-host.wasm", aot, h);
    wc_value a = u32v(3);
    logged[0] = 0;
    assert_int_equal(call_u32(&x, "run", &a, 1), 15 * 3);
    assert_string_equal(logged, "hello from core");
    fx_close(&x);
    wc_host_free(h);

    /* a host function that traps: the trap reaches the caller with its message */
    h = wc_host_new();
    assert_true(wc_host_add(h, NULL, "log", "func(msg: string) -> u32", host_log, NULL));
    assert_true(wc_host_add(h, "test:demo/math@0.1.0", "mul", "func(a: u32, b: u32) -> u32", host_mul, &refuse));
    fx_open(&x, "inst-host.wasm", aot, h);
    expect_trap(&x, "run", &a, 1, 1, "mul refused");
    fx_close(&x);
    wc_host_free(h);
  }
}

/* A host-implemented resource: counters in a static array, rep = index. */
static const wc_resource_type *counter_rt;
static uint32_t counters[8], ncounters, dropped_rep;
static bool counter_new(void *env, const wc_value *args, uint32_t nargs, wc_value *res, uint32_t nres,
                        wc_arena *arena, wc_trap *trap) {
  (void)env; (void)nargs; (void)nres; (void)arena; (void)trap;
  counters[++ncounters] = (uint32_t)args[0].u.u;
  res[0] = (wc_value){.kind = WC_V_OWN, .u.handle = {counter_rt, ncounters}};
  return true;
}
static bool counter_next(void *env, const wc_value *args, uint32_t nargs, wc_value *res, uint32_t nres,
                         wc_arena *arena, wc_trap *trap) {
  (void)env; (void)nargs; (void)nres; (void)arena; (void)trap;
  assert_int_equal(args[0].kind, WC_V_BORROW);
  assert_ptr_equal(args[0].u.handle.rt, counter_rt);
  res[0] = u32v(counters[args[0].u.handle.rep]++);
  return true;
}
static bool counter_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)ctx; (void)trap;
  dropped_rep = rep;
  return true;
}

static void test_host_resource(void **state) {
  (void)state;
  for (int aot = 0; aot < ntiers(); aot++) {
    wc_host *h = wc_host_new();
    counter_rt = wc_host_add_resource(h, "test:demo/counter", "counter", counter_dtor, NULL);
    assert_non_null(counter_rt);
    assert_true(wc_host_add(h, "test:demo/counter", "[constructor]counter", "func(start: u32) -> counter", counter_new, NULL));
    assert_true(wc_host_add(h, "test:demo/counter", "[method]counter.next", "func(self: borrow<counter>) -> u32",
                            counter_next, NULL));
    ncounters = 0;
    dropped_rep = 0;
    fx x;
    fx_open(&x, "inst-host-resource.wasm", aot, h);
    wc_value a = u32v(5);
    assert_int_equal(call_u32(&x, "count", &a, 1), 506);
    assert_int_equal(dropped_rep, 1);
    a = u32v(40);
    assert_int_equal(call_u32(&x, "count", &a, 1), 4041);
    assert_int_equal(dropped_rep, 2);
    fx_close(&x);
    wc_host_free(h);
  }
}

static void test_link_errors(void **state) {
  (void)state;
  wc_component *c = load("inst-host.wasm");
  wrun_store *s = engine_store_new(NULL);
  rt_error err;
  assert_null(wc_instantiate(s, c, NULL, &err));
  assert_int_equal(err.kind, WRUN_ERR_LINK);
  assert_string_equal(err.message, "component import log is not provided");
  wc_host *h = wc_host_new();
  assert_true(wc_host_add(h, NULL, "log", "func(msg: string) -> u32", host_log, NULL));
  assert_true(wc_host_add(h, "test:demo/math@0.1.0", "div", "func(a: u32, b: u32) -> u32", host_mul, NULL));
  assert_null(wc_instantiate(s, c, h, &err));
  assert_string_equal(err.message, "component import test:demo/math@0.1.0: function mul is not provided");
  wc_host_free(h);

  /* a root import whose declared type is not the host's: refused before any call */
  h = wc_host_new();
  assert_true(wc_host_add(h, NULL, "log", "func(msg: list<u8>) -> u32", host_log, NULL));
  assert_true(wc_host_add(h, "test:demo/math@0.1.0", "mul", "func(a: u32, b: u32) -> u32", host_mul, NULL));
  assert_null(wc_instantiate(s, c, h, &err));
  assert_int_equal(err.kind, WRUN_ERR_LINK);
  assert_string_equal(err.message, "component import log does not have the host's type: parameter \"msg\": string, "
                                   "expected list");
  wc_host_free(h);
  /* an interface function: the result differs */
  h = wc_host_new();
  assert_true(wc_host_add(h, NULL, "log", "func(msg: string) -> u32", host_log, NULL));
  assert_true(wc_host_add(h, "test:demo/math@0.1.0", "mul", "func(a: u32, b: u32) -> u64", host_mul, NULL));
  assert_null(wc_instantiate(s, c, h, &err));
  assert_string_equal(err.message, "component import test:demo/math@0.1.0: function mul does not have the host's "
                                   "type: result: u32, expected u64");
  wc_host_free(h);
  rt_store_free(s);
  wc_component_free(c);
}

/* Registration: a signature is required and must parse; names resolve in
 * the interface's namespace (resources, definitions, `use`). */
static void test_host_signatures(void **state) {
  (void)state;
  wc_host *h = wc_host_new();
  assert_false(wc_host_add(h, "a:b/c@1.0.0", "f", NULL, host_log, NULL));
  assert_string_equal(wc_host_error(h), "host function a:b/c@1.0.0 f: no type signature (every host function needs one)");
  assert_false(wc_host_add(h, "a:b/c@1.0.0", "f", "func(x: u32", host_log, NULL));
  assert_string_equal(wc_host_error(h), "host function a:b/c@1.0.0 f: a:b/c@1.0.0: at 11: expected ')'");
  assert_false(wc_host_add(h, "a:b/c@1.0.0", "f", "func(x: nope)", host_log, NULL));
  assert_string_equal(wc_host_error(h), "host function a:b/c@1.0.0 f: a:b/c@1.0.0: at 8: unknown type nope");
  assert_false(wc_host_add(h, "a:b/c@1.0.0", "f", "func() -> borrow<r>", host_log, NULL));
  assert_non_null(wc_host_add_resource(h, "a:b/c@1.0.0", "r", NULL, NULL));
  assert_false(wc_host_add(h, "a:b/c@1.0.0", "f", "func() -> borrow<r>", host_log, NULL));
  assert_string_equal(wc_host_error(h), "host function a:b/c@1.0.0 f: a:b/c@1.0.0: at 19: a function result must not "
                                        "contain a borrow handle");
  assert_true(wc_host_add_types(h, "a:b/c@1.0.0", "record p { x: u32, y: r } enum e { one, two }; type t = list<p>;"));
  assert_false(wc_host_add_types(h, "a:b/c@1.0.0", "enum e { three }"));
  assert_string_equal(wc_host_error(h), "host types of a:b/c@1.0.0: a:b/c@1.0.0: at 6: type e is defined twice");
  assert_false(wc_host_add_types(h, "a:b/d@1.0.0", "flags f { a, a }"));
  assert_true(wc_host_add_types(h, "a:b/d@1.0.0", "use a:b/c.{p, r as q, t}"));
  assert_true(wc_host_add(h, "a:b/d@1.0.0", "g", "func(self: borrow<q>, v: t) -> result<tuple<p, q>, string>", host_log,
                          NULL));
  assert_true(wc_host_add(h, "a:b/d@1.0.0", "h", "func() -> result<_, q> // a comment", host_log, NULL));
  /* an alias of a resource is the resource: borrow<rr> is allowed */
  assert_false(wc_host_add_types(h, "a:b/d@1.0.0", "type o = q2;"));
  assert_string_equal(wc_host_error(h), "host types of a:b/d@1.0.0: a:b/d@1.0.0: at 9: unknown type q2");
  assert_true(wc_host_add_types(h, "a:b/d@1.0.0", "type rr = q;"));
  assert_true(wc_host_add(h, "a:b/d@1.0.0", "i", "func(x: borrow<rr>) -> rr", host_log, NULL));
  assert_false(wc_host_add_types(h, "a:b/e@1.0.0", "use a:b/zz.{p}"));
  wc_host_free(h);
}

static void test_component_to_component(void **state) {
  (void)state;
  for (int aot = 0; aot < ntiers(); aot++) {
    fx x;
    fx_open(&x, "inst-nested.wasm", aot, NULL);
    wc_value a = u32v(10);
    assert_int_equal(call_u32(&x, "run", &a, 1), 41);
    wc_value s = strv("component"), r;
    if (!wc_instance_call(x.inst, "greet", &s, 1, &r, 1, &x.arena, &x.err)) fail_msg("%s", x.err.message);
    assert_int_equal(r.kind, WC_V_STRING);
    assert_int_equal(r.u.str.len, 9);
    assert_memory_equal(r.u.str.ptr, "Component", 9);
    fx_close(&x);
  }
}

static void test_resource(void **state) {
  (void)state;
  for (int aot = 0; aot < ntiers(); aot++) {
    fx x;
    fx_open(&x, "inst-resource.wasm", aot, NULL);
    wc_value a = u32v(7), own;
    assert_true(wc_instance_call(x.inst, "[constructor]r", &a, 1, &own, 1, &x.arena, &x.err));
    assert_int_equal(own.kind, WC_V_OWN);
    assert_int_equal(own.u.handle.rep, 7);
    wc_value borrow = own;
    borrow.kind = WC_V_BORROW;
    assert_int_equal(call_u32(&x, "[method]r.get", &borrow, 1), 70);
    assert_int_equal(call_u32(&x, "dropped", NULL, 0), 0);
    /* handing the own back: the core drops it and the destructor runs */
    assert_true(wc_instance_call(x.inst, "consume", &own, 1, NULL, 0, &x.arena, &x.err));
    assert_int_equal(call_u32(&x, "dropped", NULL, 0), 7);
    /* a handle of another resource type is refused */
    wc_value forged = own;
    static const wc_resource_type other;
    forged.u.handle.rt = &other;
    expect_trap(&x, "consume", &forged, 1, 0, "another resource type");
    fx_close(&x);
  }
}

static void test_resource_across_components(void **state) {
  (void)state;
  for (int aot = 0; aot < ntiers(); aot++) {
    fx x;
    fx_open(&x, "inst-resource2.wasm", aot, NULL);
    wc_value a = u32v(5);
    /* own in the consumer's table, lent as a borrow, dropped: the provider's destructor runs */
    assert_int_equal(call_u32(&x, "roundtrip", &a, 1), 1005);
    assert_int_equal(call_u32(&x, "dropped", NULL, 0), 5);
    a = u32v(9);
    assert_int_equal(call_u32(&x, "roundtrip", &a, 1), 1009);
    assert_int_equal(call_u32(&x, "dropped", NULL, 0), 9);
    assert_int_equal(call_u32(&x, "dropped2", NULL, 0), 0);   /* the other instance of the provider */
    expect_trap(&x, "use-after-drop", &a, 1, 1, "unknown handle");
    fx_close(&x);
  }
}

/* Reentrance through the host: the host's `cb` calls the instance that
 * called it. The nested call must fail with the may_enter trap (reported to
 * the host as an error value), the host's trap then unwinds `go`, and the
 * instance works again afterwards. */
typedef struct reenter_env {
  wc_instance *inst;
  bool reenter;
  rt_error inner;
  bool inner_ok;
} reenter_env;
static bool host_cb(void *envp, const wc_value *args, uint32_t nargs, wc_value *res, uint32_t nres, wc_arena *arena,
                    wc_trap *trap) {
  (void)args; (void)nargs; (void)nres;
  reenter_env *env = envp;
  if (!env->reenter) { res[0] = u32v(5); return true; }
  wc_value r;
  env->inner_ok = wc_instance_call(env->inst, "seven", NULL, 0, &r, 1, arena, &env->inner);
  trap->trapped = true;
  snprintf(trap->msg, sizeof trap->msg, "host saw: %.160s", env->inner.message);
  return false;
}

static void test_reenter_through_host(void **state) {
  (void)state;
  for (int aot = 0; aot < ntiers(); aot++) {
    reenter_env env = {0};
    wc_host *h = wc_host_new();
    assert_true(wc_host_add(h, NULL, "cb", "func() -> u32", host_cb, &env));
    fx x;
    fx_open(&x, "inst-reenter.wasm", aot, h);
    env.inst = x.inst;
    assert_int_equal(call_u32(&x, "go", NULL, 0), 6);
    env.reenter = true;
    expect_trap(&x, "go", NULL, 0, 1, "host saw: cannot enter component instance");
    assert_false(env.inner_ok);
    assert_int_equal(env.inner.kind, WRUN_ERR_TRAP);
    /* the flags were restored when the trap unwound */
    assert_int_equal(call_u32(&x, "seven", NULL, 0), 7);
    env.reenter = false;
    assert_int_equal(call_u32(&x, "go", NULL, 0), 6);
    fx_close(&x);
    wc_host_free(h);
  }
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(test_scalars_strings_lists),
    cmocka_unit_test(test_traps),
    cmocka_unit_test(test_host_imports),
    cmocka_unit_test(test_host_resource),
    cmocka_unit_test(test_link_errors),
    cmocka_unit_test(test_host_signatures),
    cmocka_unit_test(test_component_to_component),
    cmocka_unit_test(test_resource),
    cmocka_unit_test(test_resource_across_components),
    cmocka_unit_test(test_reenter_through_host),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
