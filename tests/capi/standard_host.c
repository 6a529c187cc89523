/*
 * standard_host.c — a host written only against the WebAssembly C API's
 * documentation (wasm.h, no wrun.h): the walk of the API's own examples
 * (hello, callback, global, memory, table, trap, serialize) in one program,
 * every step checked. tests/install/prefix.sh builds it against the
 * installed headers with `pkg-config --cflags --libs wrun` and runs it.
 *
 *   standard_host standard.wasm     # "ok" and exit 0 when every check held
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>

#include <wasm.h>

static int failures;
#define CHECK(cond) \
  do { \
    if (!(cond)) { \
      fprintf(stderr, "standard_host: line %d: check failed: %s\n", __LINE__, #cond); \
      failures++; \
    } \
  } while (0)

static int hello_calls;

static wasm_trap_t *hello(const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  (void)args;
  (void)results;
  hello_calls++;
  return NULL;
}

/* env points at an int added to every sum, to show the environment arrives. */
static wasm_trap_t *add(void *env, const wasm_val_vec_t *args, wasm_val_vec_t *results) {
  results->data[0].kind = WASM_I32;
  results->data[0].of.i32 = args->data[0].of.i32 + args->data[1].of.i32 + *(int *)env;
  return NULL;
}

static int finalized;
static void env_done(void *env) { finalized = *(int *)env == 0; }

static bool name_is(const wasm_name_t *n, const char *s) { return n->size == strlen(s) && !memcmp(n->data, s, n->size); }

/* Calls f with no arguments expecting one i32 result, or a trap. */
static wasm_trap_t *call0(const wasm_func_t *f, int32_t *out) {
  wasm_val_t res[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_EMPTY_VEC, results = WASM_ARRAY_VEC(res);
  wasm_trap_t *trap = wasm_func_call(f, &args, &results);
  *out = res[0].kind == WASM_I32 ? res[0].of.i32 : -1;
  return trap;
}

/* Instantiates `module` with the two host functions and checks everything. */
static void exercise(wasm_store_t *store, wasm_module_t *module, bool first) {
  wasm_functype_t *hello_type = wasm_functype_new_0_0();
  wasm_functype_t *add_type =
      wasm_functype_new_2_1(wasm_valtype_new_i32(), wasm_valtype_new_i32(), wasm_valtype_new_i32());
  static int zero = 0;
  wasm_func_t *hello_fn = wasm_func_new(store, hello_type, hello);
  wasm_func_t *add_fn = wasm_func_new_with_env(store, add_type, add, &zero, first ? env_done : NULL);
  CHECK(wasm_func_param_arity(add_fn) == 2 && wasm_func_result_arity(add_fn) == 1);
  wasm_functype_delete(hello_type);
  wasm_functype_delete(add_type);

  wasm_extern_t *externs[] = {wasm_func_as_extern(hello_fn), wasm_func_as_extern(add_fn)};
  wasm_extern_vec_t imports = WASM_ARRAY_VEC(externs);
  wasm_trap_t *trap = NULL;
  wasm_instance_t *instance = wasm_instance_new(store, module, &imports, &trap);
  CHECK(instance && !trap);
  if (!instance) return;
  wasm_extern_vec_t exports;
  wasm_instance_exports(instance, &exports);
  CHECK(exports.size == 6); /* memory, count, table, run, load, fail */
  if (exports.size != 6) return;
  wasm_memory_t *memory = wasm_extern_as_memory(exports.data[0]);
  wasm_global_t *count = wasm_extern_as_global(exports.data[1]);
  wasm_table_t *table = wasm_extern_as_table(exports.data[2]);
  const wasm_func_t *run = wasm_extern_as_func(exports.data[3]);
  const wasm_func_t *load = wasm_extern_as_func(exports.data[4]);
  const wasm_func_t *fail = wasm_extern_as_func(exports.data[5]);
  CHECK(memory && count && table && run && load && fail);
  CHECK(!wasm_extern_as_func(exports.data[0]));
  CHECK(wasm_extern_kind(exports.data[1]) == WASM_EXTERN_GLOBAL);

  /* hello + callback */
  int32_t r = 0;
  hello_calls = 0;
  CHECK(!call0(run, &r) && r == 42 && hello_calls == 1);

  /* global */
  wasm_val_t v;
  wasm_global_get(count, &v);
  CHECK(v.kind == WASM_I32 && v.of.i32 == 1);
  wasm_val_t seven = WASM_I32_VAL(7);
  wasm_global_set(count, &seven);
  wasm_global_get(count, &v);
  CHECK(v.of.i32 == 7);
  wasm_globaltype_t *gt = wasm_global_type(count);
  CHECK(wasm_globaltype_mutability(gt) == WASM_VAR && wasm_valtype_kind(wasm_globaltype_content(gt)) == WASM_I32);
  wasm_globaltype_delete(gt);

  /* memory */
  CHECK(wasm_memory_size(memory) == 1 && wasm_memory_data_size(memory) == MEMORY_PAGE_SIZE);
  wasm_memory_data(memory)[1000] = 99;
  wasm_val_t arg[1] = {WASM_I32_VAL(1000)}, res[1] = {WASM_INIT_VAL};
  wasm_val_vec_t args = WASM_ARRAY_VEC(arg), results = WASM_ARRAY_VEC(res);
  CHECK(!wasm_func_call(load, &args, &results) && res[0].of.i32 == 99);
  CHECK(wasm_memory_grow(memory, 1) && wasm_memory_size(memory) == 2 && !wasm_memory_grow(memory, 1));
  arg[0].of.i32 = 3 * 65536;
  trap = wasm_func_call(load, &args, &results);
  CHECK(trap != NULL);
  wasm_trap_delete(trap);

  /* table: slot 0 holds run, slot 1 is null */
  CHECK(wasm_table_size(table) == 2);
  wasm_ref_t *slot0 = wasm_table_get(table, 0);
  const wasm_func_t *via_table = slot0 ? wasm_ref_as_func(slot0) : NULL;
  CHECK(via_table && wasm_func_same(via_table, run));
  CHECK(via_table && !call0(via_table, &r) && r == 42);
  CHECK(wasm_table_get(table, 1) == NULL && wasm_table_get(table, 2) == NULL);
  CHECK(wasm_table_set(table, 1, slot0) && wasm_table_grow(table, 3, NULL) && wasm_table_size(table) == 5);
  wasm_ref_t *slot1 = wasm_table_get(table, 1);
  CHECK(slot1 && wasm_ref_same(slot1, slot0));
  wasm_ref_delete(slot1);
  wasm_ref_delete(slot0);

  /* trap */
  trap = call0(fail, &r);
  CHECK(trap != NULL);
  if (trap) {
    wasm_message_t msg;
    wasm_trap_message(trap, &msg);
    CHECK(msg.size > 0 && msg.data[msg.size - 1] == 0 && strstr(msg.data, "unreachable"));
    wasm_byte_vec_delete(&msg);
    wasm_frame_t *origin = wasm_trap_origin(trap);
    CHECK(origin && wasm_frame_func_index(origin) == 4 && wasm_instance_same(wasm_frame_instance(origin), instance));
    wasm_frame_delete(origin);
    wasm_trap_delete(trap);
  }

  /* a host function that traps, called directly */
  wasm_val_t two[2] = {WASM_I32_VAL(1), WASM_I64_VAL(2)}; /* the second has the wrong kind */
  wasm_val_vec_t bad_args = WASM_ARRAY_VEC(two);
  trap = wasm_func_call(add_fn, &bad_args, &results);
  CHECK(trap != NULL);
  wasm_trap_delete(trap);

  wasm_extern_vec_delete(&exports);
  wasm_instance_delete(instance);
  wasm_func_delete(hello_fn);
  wasm_func_delete(add_fn);
}

int main(int argc, char **argv) {
  if (argc != 2) {
    fprintf(stderr, "usage: %s standard.wasm\n", argv[0]);
    return 2;
  }
  FILE *f = fopen(argv[1], "rb");
  if (!f) {
    perror(argv[1]);
    return 1;
  }
  wasm_byte_vec_t binary;
  fseek(f, 0, SEEK_END);
  size_t size = (size_t)ftell(f);
  fseek(f, 0, SEEK_SET);
  wasm_byte_vec_new_uninitialized(&binary, size);
  if (fread(binary.data, 1, size, f) != size) {
    fprintf(stderr, "%s: short read\n", argv[1]);
    return 1;
  }
  fclose(f);

  wasm_engine_t *engine = wasm_engine_new();
  wasm_store_t *store = wasm_store_new(engine);
  CHECK(wasm_module_validate(store, &binary));
  wasm_module_t *module = wasm_module_new(store, &binary);
  CHECK(module != NULL);
  if (!module) return 1;

  /* imports and exports */
  wasm_importtype_vec_t imports;
  wasm_module_imports(module, &imports);
  CHECK(imports.size == 2 && name_is(wasm_importtype_module(imports.data[0]), "host") &&
        name_is(wasm_importtype_name(imports.data[1]), "add") &&
        wasm_externtype_kind(wasm_importtype_type(imports.data[1])) == WASM_EXTERN_FUNC);
  if (imports.size == 2) {
    const wasm_functype_t *ft = wasm_externtype_as_functype_const(wasm_importtype_type(imports.data[1]));
    CHECK(ft && wasm_functype_params(ft)->size == 2 && wasm_functype_results(ft)->size == 1);
  }
  wasm_importtype_vec_delete(&imports);
  wasm_exporttype_vec_t exports;
  wasm_module_exports(module, &exports);
  CHECK(exports.size == 6 && name_is(wasm_exporttype_name(exports.data[3]), "run"));
  if (exports.size == 6) {
    const wasm_memorytype_t *mt = wasm_externtype_as_memorytype_const(wasm_exporttype_type(exports.data[0]));
    CHECK(mt && wasm_memorytype_limits(mt)->min == 1 && wasm_memorytype_limits(mt)->max == 2);
  }
  wasm_exporttype_vec_delete(&exports);

  exercise(store, module, true);

  /* serialize, deserialize, and the copy behaves the same */
  wasm_byte_vec_t serialized;
  wasm_module_serialize(module, &serialized);
  CHECK(serialized.size > 0);
  wasm_module_t *copy = wasm_module_deserialize(store, &serialized);
  CHECK(copy != NULL);
  if (copy) exercise(store, copy, false);
  wasm_byte_vec_delete(&serialized);
  wasm_module_delete(copy);

  /* a rejected module */
  binary.data[4] = 2; /* version 2 */
  CHECK(!wasm_module_validate(store, &binary) && !wasm_module_new(store, &binary));
  wasm_byte_vec_delete(&binary);

  wasm_module_delete(module);
  wasm_store_delete(store);
  wasm_engine_delete(engine);
  CHECK(finalized);
  if (failures) return 1;
  printf("ok\n");
  return 0;
}
