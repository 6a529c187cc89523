/*
 * test_capi_component.c — wrun.h's component section on the components of
 * tests/component: load errors by phase, import/export listing with types,
 * calls with every value kind in WAVE and with C values for scalars and
 * strings (both tiers), argument errors, guest
 * and host traps, link errors, host functions with a finalizer, and WASI 0.2
 * commands' exit codes, output (stdout redirected to a pipe), arguments and
 * environment, and that only the WASI 0.2 families a component imports are
 * set up for it.
 */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <unistd.h>
#include <cmocka.h>

#include "wrun.h"

/* The engine's own answer to "is there a code generator for this host"
 * (src/aot/aot.h, not included here: its internal enums would clash with
 * wasm.h's); NULL on a host the AOT tier has no backend for (AArch64 today). */
const struct aot_target *aot_target_host(void);

#define COMP(name) WRUN_TEST_DATA "/../component/" name

static wasm_byte_vec_t read_file(const char *path) {
  wasm_byte_vec_t v = WASM_EMPTY_VEC;
  FILE *f = fopen(path, "rb");
  if (!f) fail_msg("cannot open %s", path);
  fseek(f, 0, SEEK_END);
  long n = ftell(f);
  fseek(f, 0, SEEK_SET);
  wasm_byte_vec_new_uninitialized(&v, (size_t)n);
  assert_int_equal(fread(v.data, 1, v.size, f), v.size);
  fclose(f);
  return v;
}

static wrun_component_t *load(wasm_engine_t *e, const char *path) {
  wasm_byte_vec_t b = read_file(path);
  wrun_error_t *err = NULL;
  wrun_component_t *c = wrun_component_new(e, (const uint8_t *)b.data, b.size, &err);
  wasm_byte_vec_delete(&b);
  if (!c) fail_msg("%s: %s", path, wrun_error_message(err));
  return c;
}

static void expect_error(wrun_error_t *err, wrun_phase_t phase, const char *text) {
  if (!err) fail_msg("no error (expected '%s')", text);
  if (!strstr(wrun_error_message(err), text)) fail_msg("'%s' lacks '%s'", wrun_error_message(err), text);
  assert_int_equal(wrun_error_phase(err), phase);
  wrun_error_delete(err);
}

/* Calls `name` with one argument and checks the WAVE result. */
static void expect_call(wrun_component_instance_t *inst, const char *name, const char *arg, const char *want) {
  wasm_byte_vec_t res;
  const char *args[1] = {arg};
  wrun_error_t *err = wrun_component_call(inst, name, args, arg ? 1 : 0, &res);
  if (err) fail_msg("%s(%s): %s", name, arg, wrun_error_message(err));
  assert_int_equal(res.size, strlen(want) + 1);
  if (strcmp(res.data, want) != 0) fail_msg("%s(%s) = %s, want %s", name, arg, res.data, want);
  wasm_byte_vec_delete(&res);
}

static void test_load_errors(void **state) {
  (void)state;
  wasm_engine_t *e = wasm_engine_new();
  wrun_error_t *err = NULL;
  static const uint8_t core[] = {0, 'a', 's', 'm', 1, 0, 0, 0};
  assert_null(wrun_component_new(e, core, sizeof core, &err));
  expect_error(err, WRUN_PHASE_USAGE, "not a component");
  wasm_byte_vec_t b = read_file(COMP("abi.wasm"));
  /* cut short: a decode error with the offset where the bytes ran out */
  assert_null(wrun_component_new(e, (const uint8_t *)b.data, b.size / 2, &err));
  assert_non_null(err);
  assert_int_equal(strncmp(wrun_error_message(err), "0x", 2), 0);
  expect_error(err, WRUN_PHASE_DECODE, "");
  /* a section id that does not exist, right after the preamble */
  ((uint8_t *)b.data)[8] = 0x7f;
  assert_null(wrun_component_new(e, (const uint8_t *)b.data, b.size, &err));
  expect_error(err, WRUN_PHASE_DECODE, "0x8:");
  wasm_byte_vec_delete(&b);
  assert_null(wrun_component_new(e, NULL, 0, NULL)); /* no error wanted: no crash */
  wasm_engine_delete(e);
}

static void test_listing(void **state) {
  (void)state;
  wasm_engine_t *e = wasm_engine_new();
  wrun_component_t *c = load(e, COMP("inst-host.wasm"));
  const char *name, *type;
  assert_int_equal(wrun_component_import_count(c), 2);
  assert_true(wrun_component_import(c, 0, &name, &type));
  assert_string_equal(name, "log");
  assert_string_equal(type, "func(msg: string) -> u32");
  assert_true(wrun_component_import(c, 1, &name, &type));
  assert_string_equal(name, "test:demo/math@0.1.0#mul");
  assert_string_equal(type, "func(a: u32, b: u32) -> u32");
  assert_false(wrun_component_import(c, 2, &name, &type));
  assert_int_equal(wrun_component_export_count(c), 1);
  assert_true(wrun_component_export(c, 0, &name, &type));
  assert_string_equal(name, "run");
  assert_string_equal(type, "func(x: u32) -> u32");
  wrun_component_delete(c);
  c = load(e, COMP("types.wasm"));
  bool found = false;
  for (size_t i = 0; wrun_component_export(c, i, &name, &type); i++)
    if (!strcmp(name, "point")) {
      assert_string_equal(type, "type record { x: s32, y: s32, label: string }");
      found = true;
    }
  assert_true(found);
  wrun_component_delete(c);
  wasm_engine_delete(e);
}

/* Every value kind through abi.wasm's identity functions (lowered into the
 * guest and lifted back), and a few that compute. */
static void calls_in(wrun_tier_t tier) {
  wasm_config_t *cfg = wasm_config_new();
  wrun_config_set_tier(cfg, tier);
  wasm_engine_t *e = wasm_engine_new_with_config(cfg);
  wrun_component_t *c = load(e, COMP("abi.wasm"));
  wasm_store_t *s = wasm_store_new(e);
  wrun_error_t *err = NULL;
  wrun_component_instance_t *inst = wrun_component_instantiate(s, c, NULL, &err);
  if (!inst) fail_msg("instantiate: %s", wrun_error_message(err));
  static const char *const same[][2] = {
      {"id-bool", "true"}, {"id-s8", "-128"}, {"id-u8", "255"}, {"id-s16", "-32768"}, {"id-u16", "65535"},
      {"id-s32", "-2147483648"}, {"id-u32", "4294967295"}, {"id-s64", "-9223372036854775808"},
      {"id-u64", "18446744073709551615"}, {"id-f32", "1.5"}, {"id-f64", "-0.125"}, {"id-f64", "nan"},
      {"id-char", "'\xe2\x98\x83'"}, {"echo-s8", "\"h\xc3\xa9llo \\\"q\\\"\""},
      {"list-u64", "[1, 18446744073709551615]"}, {"list-string", "[\"a\", \"\", \"bc\"]"},
      {"id-rec", "{a: 1, b: -2, c: 3, d: -4, e: 1.5, f: 2.5, g: 'x', h: true}"},
      {"id-tup", "(7, \"seven\", 77)"}, {"id-var", "d(\"hi\")"}, {"id-var", "e"}, {"id-col", "blue"},
      {"id-opts", "some(\"x\")"}, {"id-opts", "none"}, {"id-resus", "ok(3)"}, {"id-resus", "err(\"bad\")"},
      {"id-f9", "{f0, f8}"}, {"id-f9", "{}"},
  };
  for (size_t i = 0; i < sizeof same / sizeof same[0]; i++) expect_call(inst, same[i][0], same[i][1], same[i][1]);
  expect_call(inst, "char-of", "65", "'A'");
  expect_call(inst, "units8", "\"h\xc3\xa9llo\"", "6");
  expect_call(inst, "id-opts", "\"flat\"", "some(\"flat\")"); /* WAVE's flat option form */
  /* the same with C values */
  wrun_cval_t r, a = {.kind = WRUN_CVAL_S32, .of.s = -5};
  assert_null(wrun_component_call_cvals(inst, "id-s32", &a, 1, &r));
  assert_int_equal(r.kind, WRUN_CVAL_S32);
  assert_int_equal(r.of.s, -5);
  a = (wrun_cval_t){.kind = WRUN_CVAL_U64, .of.u = UINT64_MAX};
  assert_null(wrun_component_call_cvals(inst, "id-u64", &a, 1, &r));
  assert_true(r.kind == WRUN_CVAL_U64 && r.of.u == UINT64_MAX);
  a = (wrun_cval_t){.kind = WRUN_CVAL_F64, .of.f64 = 0.25};
  assert_null(wrun_component_call_cvals(inst, "id-f64", &a, 1, &r));
  assert_true(r.kind == WRUN_CVAL_F64 && r.of.f64 == 0.25);
  a = (wrun_cval_t){.kind = WRUN_CVAL_BOOL, .of.b = true};
  assert_null(wrun_component_call_cvals(inst, "id-bool", &a, 1, &r));
  assert_true(r.kind == WRUN_CVAL_BOOL && r.of.b);
  a = (wrun_cval_t){.kind = WRUN_CVAL_U32, .of.u = 0x2603};
  assert_null(wrun_component_call_cvals(inst, "char-of", &a, 1, &r));
  assert_true(r.kind == WRUN_CVAL_CHAR && r.of.ch == 0x2603);
  a = (wrun_cval_t){.kind = WRUN_CVAL_STRING, .of.str = {"h\xc3\xa9llo", 6}};
  assert_null(wrun_component_call_cvals(inst, "echo-s8", &a, 1, &r));
  assert_int_equal(r.kind, WRUN_CVAL_STRING);
  assert_int_equal(r.of.str.len, 6);
  assert_memory_equal(r.of.str.ptr, "h\xc3\xa9llo", 6);
  assert_null(wrun_component_call_cvals(inst, "units8", &a, 1, &r));
  assert_true(r.kind == WRUN_CVAL_U32 && r.of.u == 6);
  a = (wrun_cval_t){.kind = WRUN_CVAL_S8, .of.s = 200};
  expect_error(wrun_component_call_cvals(inst, "id-s8", &a, 1, &r), WRUN_PHASE_USAGE, "200 is out of range");
  expect_error(wrun_component_call_cvals(inst, "id-u8", &a, 1, &r), WRUN_PHASE_USAGE, "kind");
  a = (wrun_cval_t){.kind = WRUN_CVAL_CHAR, .of.ch = 0xd800};
  expect_error(wrun_component_call_cvals(inst, "id-char", &a, 1, &r), WRUN_PHASE_USAGE, "not a Unicode scalar");
  a = (wrun_cval_t){.kind = WRUN_CVAL_STRING, .of.str = {"\xc0\x80", 2}}; /* an overlong NUL */
  expect_error(wrun_component_call_cvals(inst, "echo-s8", &a, 1, &r), WRUN_PHASE_USAGE, "UTF-8");
  expect_error(wrun_component_call_cvals(inst, "id-rec", &a, 1, &r), WRUN_PHASE_USAGE, "not a scalar or string");
  expect_error(wrun_component_call_cvals(inst, "id-opts", &a, 1, &r), WRUN_PHASE_USAGE, "not a scalar or string");
  /* argument errors: a USAGE error, nothing run */
  const char *two[2] = {"1", "2"};
  expect_error(wrun_component_call(inst, "id-s8", two, 2, NULL), WRUN_PHASE_USAGE, "takes 1 argument(s), 2 given");
  expect_error(wrun_component_call(inst, "id-s8", two, 0, NULL), WRUN_PHASE_USAGE, "takes 1 argument(s), 0 given");
  const char *big[1] = {"300"};
  expect_error(wrun_component_call(inst, "id-s8", big, 1, NULL), WRUN_PHASE_USAGE, "argument 1 (a): 1:1:");
  const char *bad[1] = {"{a: 1"};
  expect_error(wrun_component_call(inst, "id-rec", bad, 1, NULL), WRUN_PHASE_USAGE, "argument 1 (a)");
  expect_error(wrun_component_call(inst, "no-such", NULL, 0, NULL), WRUN_PHASE_USAGE, "no exported function");
  /* not a command */
  expect_error(wrun_component_run(inst, NULL), WRUN_PHASE_USAGE, "no wasi:cli/run export");
  expect_call(inst, "id-u8", "1", "1"); /* still usable */
  wrun_component_instance_delete(inst);
  wasm_store_delete(s);
  wrun_component_delete(c);
  wasm_engine_delete(e);
}
static void test_calls_interp(void **state) { (void)state; calls_in(WRUN_TIER_INTERP); }
static void test_calls_aot(void **state) {
  (void)state;
  if (!aot_target_host()) skip(); /* no code generator for this host (AArch64 today): reported as skipped */
  calls_in(WRUN_TIER_AOT);
}

static void test_guest_traps(void **state) {
  (void)state;
  wasm_engine_t *e = wasm_engine_new();
  wrun_component_t *c = load(e, COMP("abi-traps.wasm"));
  wasm_store_t *s = wasm_store_new(e);
  wrun_error_t *err = NULL;
  wrun_component_instance_t *inst = wrun_component_instantiate(s, c, NULL, &err);
  assert_non_null(inst);
  wasm_byte_vec_t res;
  expect_error(wrun_component_call(inst, "oob-ptr", NULL, 0, &res), WRUN_PHASE_TRAP, "out of bounds");
  assert_int_equal(res.size, 0);
  expect_error(wrun_component_call(inst, "utf8-surrogate", NULL, 0, NULL), WRUN_PHASE_TRAP, "UTF-8");
  expect_error(wrun_component_call(inst, "bad-variant", NULL, 0, NULL), WRUN_PHASE_TRAP, "");
  wrun_component_instance_delete(inst);
  wasm_store_delete(s);
  wrun_component_delete(c);
  wasm_engine_delete(e);
}

/* ---- host functions ---- */

typedef struct host_state {
  int calls, finalized;
  char last[64];
  const char *mode; /* "ok", "trap", "bad", "none" */
} host_state;

static void host_log(void *env, const char *const args[], size_t nargs, wrun_component_reply_t *reply) {
  host_state *st = env;
  st->calls++;
  assert_int_equal(nargs, 1);
  snprintf(st->last, sizeof st->last, "%s", args[0]);
  if (!strcmp(st->mode, "trap")) wrun_component_reply_trap(reply, "log refused");
  else if (!strcmp(st->mode, "bad")) assert_false(wrun_component_reply_result(reply, "\"not a u32\""));
  else if (!strcmp(st->mode, "ok")) assert_true(wrun_component_reply_result(reply, "10"));
}
static void host_mul(void *env, const char *const args[], size_t nargs, wrun_component_reply_t *reply) {
  (void)env;
  assert_int_equal(nargs, 2);
  char out[32];
  snprintf(out, sizeof out, "%lu", strtoul(args[0], NULL, 10) * strtoul(args[1], NULL, 10));
  assert_true(wrun_component_reply_result(reply, out));
}
static void finalize(void *env) { ((host_state *)env)->finalized++; }

static void test_host_functions(void **state) {
  (void)state;
  wasm_engine_t *e = wasm_engine_new();
  wrun_component_t *c = load(e, COMP("inst-host.wasm"));
  wasm_store_t *s = wasm_store_new(e);
  wrun_error_t *err = NULL;
  /* nothing provided: a link error naming the import */
  assert_null(wrun_component_instantiate(s, c, NULL, &err));
  expect_error(err, WRUN_PHASE_LINK, "log");
  host_state st = {.mode = "ok"};
  wrun_component_host_t *h = wrun_component_host_new();
  expect_error(wrun_component_host_add_func(h, NULL, "bad", "func(x: nosuchtype)", host_log, &st, finalize),
               WRUN_PHASE_USAGE, "signature of bad");
  assert_int_equal(st.finalized, 1); /* a failed add runs the finalizer */
  assert_null(wrun_component_host_add_func(h, NULL, "log", "func(msg: string) -> u32", host_log, &st, finalize));
  /* a host with only log: mul is missing */
  assert_null(wrun_component_instantiate(s, c, h, &err));
  expect_error(err, WRUN_PHASE_LINK, "test:demo/math@0.1.0 is not provided");
  assert_null(wrun_component_host_add_func(h, "test:demo/math@0.1.0", "mul", "func(a: u32, b: u32) -> u32", host_mul,
                                           NULL, NULL));
  wrun_component_instance_t *inst = wrun_component_instantiate(s, c, h, &err);
  if (!inst) fail_msg("%s", wrun_error_message(err));
  expect_call(inst, "run", "3", "30"); /* mul(log(...) = 10, 3) */
  assert_string_equal(st.last, "\"hello from core\"");
  st.mode = "trap";
  expect_error(wrun_component_call(inst, "run", (const char *[]){"3"}, 1, NULL), WRUN_PHASE_TRAP, "log refused");
  st.mode = "bad";
  expect_error(wrun_component_call(inst, "run", (const char *[]){"3"}, 1, NULL), WRUN_PHASE_TRAP,
               "host function result");
  st.mode = "none";
  expect_error(wrun_component_call(inst, "run", (const char *[]){"3"}, 1, NULL), WRUN_PHASE_TRAP, "gave no result");
  assert_int_equal(st.calls, 4);
  wrun_component_instance_delete(inst);
  /* a host whose log has another type than the import's */
  wrun_component_host_t *h2 = wrun_component_host_new();
  assert_null(wrun_component_host_add_func(h2, NULL, "log", "func(msg: string) -> u64", host_log, &st, NULL));
  assert_null(wrun_component_instantiate(s, c, h2, &err));
  expect_error(err, WRUN_PHASE_LINK, "host's type");
  wrun_component_host_delete(h2);
  wasm_store_delete(s);
  wrun_component_delete(c);
  assert_int_equal(st.finalized, 1);
  wrun_component_host_delete(h);
  assert_int_equal(st.finalized, 2);
  wasm_engine_delete(e);
}

/* ---- WASI 0.2 commands ---- */

/* Runs wasi-cli.wasm with `args` (after the program name) and stdout to a
 * pipe; returns the exit code, the output in out. */
static int run_cli_stdout(const char *const *args, size_t nargs, char *out, size_t outlen, bool closed) {
  wasm_engine_t *e = wasm_engine_new();
  wrun_component_t *c = load(e, COMP("wasi-cli.wasm"));
  wasm_store_t *s = wasm_store_new(e);
  wrun_error_t *err = NULL;
  /* without WASI on the store, WASI imports are not provided */
  assert_null(wrun_component_instantiate(s, c, NULL, &err));
  expect_error(err, WRUN_PHASE_LINK, "wasi:");
  wrun_wasi_config_t *w = wrun_wasi_config_new();
  const char *argv[8] = {"cli"};
  for (size_t i = 0; i < nargs; i++) argv[i + 1] = args[i];
  assert_true(wrun_wasi_config_set_args(w, nargs + 1, argv));
  assert_true(wrun_wasi_config_add_env(w, "GREETING", "hi"));
  int p[2];
  assert_int_equal(pipe(p), 0);
  assert_true(wrun_wasi_config_set_stdio_fd(w, 1, closed ? -1 : p[1]));
  close(p[1]);
  assert_null(wrun_store_set_wasi(s, w));
  wrun_component_instance_t *inst = wrun_component_instantiate(s, c, NULL, &err);
  if (!inst) fail_msg("%s", wrun_error_message(err));
  int code = -1;
  err = wrun_component_run(inst, &code);
  if (err) fail_msg("run: %s", wrun_error_message(err));
  wrun_component_instance_delete(inst);
  wasm_store_delete(s); /* closes its copy of the pipe's write end */
  ssize_t n = read(p[0], out, outlen - 1);
  out[n > 0 ? n : 0] = 0;
  close(p[0]);
  wrun_component_delete(c);
  wasm_engine_delete(e);
  return code;
}

static int run_cli(const char *const *args, size_t nargs, char *out, size_t outlen) {
  return run_cli_stdout(args, nargs, out, outlen, false);
}

static void test_wasi_command(void **state) {
  (void)state;
  char out[256];
  assert_int_equal(run_cli((const char *[]){"hello"}, 1, out, sizeof out), 0);
  assert_string_equal(out, "hello\n");
  assert_int_equal(run_cli((const char *[]){"k", "7"}, 2, out, sizeof out), 7);
  assert_int_equal(run_cli((const char *[]){"xit"}, 1, out, sizeof out), 1);
  assert_string_equal(out, "before\n");
  assert_int_equal(run_cli((const char *[]){"args", "one", "two"}, 3, out, sizeof out), 0);
  assert_string_equal(out, "cli\nargs\none\ntwo\n");
  assert_int_equal(run_cli((const char *[]){"vars"}, 1, out, sizeof out), 0);
  assert_string_equal(out, "GREETING=hi\n");
  /* stdout closed for the guest: its write gets stream-error.closed (run returns ok) */
  assert_int_equal(run_cli_stdout((const char *[]){"closed"}, 1, out, sizeof out, true), 0);
  assert_string_equal(out, "");
  assert_int_equal(run_cli((const char *[]){"closed"}, 1, out, sizeof out), 1); /* open: the write works */
}

/* Not in wrun.h (src/capi/component.c): how many host functions and resource
 * types an instance was set up with. */
uint32_t capi_component_host_size(const wrun_component_instance_t *ci);

/* Instantiates tests/component/`name` in a store with WASI and returns the
 * size of its host, or UINT32_MAX when it does not link (error in *err). */
static uint32_t host_size_for(wasm_engine_t *e, const char *path, wrun_error_t **err) {
  wrun_component_t *c = load(e, path);
  wasm_store_t *s = wasm_store_new(e);
  assert_null(wrun_store_set_wasi(s, wrun_wasi_config_new()));
  wrun_component_instance_t *inst = wrun_component_instantiate(s, c, NULL, err);
  uint32_t n = inst ? capi_component_host_size(inst) : UINT32_MAX;
  wrun_component_instance_delete(inst);
  wasm_store_delete(s);
  wrun_component_delete(c);
  return n;
}

/* A store with WASI sets up only the WASI 0.2 families a component imports
 * (wp2_add_imports), not every interface's functions and types for each
 * instantiation; what it lacks is still refused by the linker. */
static void test_wasi_only_imported(void **state) {
  (void)state;
  wasm_engine_t *e = wasm_engine_new();
  wrun_error_t *err = NULL;
  /* imports nothing: no WASI functions or types at all */
  assert_int_equal(host_size_for(e, COMP("types.wasm"), &err), 0);
  /* wasi:io, cli, clocks: those families, far from all of them (~300 functions) */
  uint32_t cli = host_size_for(e, COMP("wasi-cli.wasm"), &err);
  if (cli == UINT32_MAX) fail_msg("%s", wrun_error_message(err));
  assert_true(cli > 10 && cli < 150);
  /* wasi:sockets/instance-network only: its family and those it uses, with
   * instance-network's function alone */
  uint32_t net = host_size_for(e, COMP("wasi-sockets.wasm"), &err);
  if (net == UINT32_MAX) fail_msg("%s", wrun_error_message(err));
  assert_true(net > 0 && net < 150);
  print_message("host entries (functions and resource types): wasi-cli %u, wasi-sockets %u\n", cli, net);
  /* a version the host does not serve: the same LINK error as with every family */
  assert_int_equal(host_size_for(e, COMP("wasi-version.wasm"), &err), UINT32_MAX);
  expect_error(err, WRUN_PHASE_LINK, "component import wasi:random/random@0.3.0 is not provided");
  wasm_engine_delete(e);
}

int main(void) {
  const struct CMUnitTest tests[] = {
      cmocka_unit_test(test_load_errors),    cmocka_unit_test(test_listing),
      cmocka_unit_test(test_calls_interp),   cmocka_unit_test(test_calls_aot),
      cmocka_unit_test(test_guest_traps),    cmocka_unit_test(test_host_functions),
      cmocka_unit_test(test_wasi_command),   cmocka_unit_test(test_wasi_only_imported),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
