/*
 * wrun.h — the public embedding API of wrun: load a module, validate it,
 * instantiate it and call its exports from C.
 *
 * This header is self-contained. It is a small, stable facade over the engine's
 * internal contracts (src/runtime/runtime.h), which offer more (host functions,
 * imports, tables, memories, globals) and may still change.
 *
 * Ownership in one sentence: a wrun_store owns every instance and function
 * made in it; a wrun_module is owned by its creator and must outlive every
 * store it was instantiated in.
 *
 * Errors: functions that can fail take an `errbuf` of `errlen` bytes (either
 * may be 0/NULL) and write one line into it: "0xOFFSET: kind: message".
 */
#ifndef WRUN_H
#define WRUN_H

#include <stddef.h>
#include <stdint.h>

#ifdef __cplusplus
extern "C" {
#endif

typedef struct wrun_module_handle wrun_module;  /* a decoded, validated module */
typedef struct wrun_store wrun_store;           /* owns instances and functions */
typedef struct wrun_instance wrun_instance;     /* belongs to its store */
typedef struct wrun_func wrun_func;             /* belongs to its store */

/* Value types, by their binary encoding. */
enum { WRUN_I32 = 0x7F, WRUN_I64 = 0x7E, WRUN_F32 = 0x7D, WRUN_F64 = 0x7C };

/* A scalar value. For arguments `type` must match the parameter. */
typedef struct wrun_value {
  uint8_t type;
  union { int32_t i32; int64_t i64; float f32; double f64; } of;
} wrun_value;

/* Decodes and validates a binary module (`bytes` is copied; the caller keeps
 * its buffer). Returns NULL on rejection with the reason in errbuf. The result
 * is freed with wrun_module_delete. */
wrun_module *wrun_module_load(const uint8_t *bytes, size_t len, char *errbuf, size_t errlen);

/* Frees a module. Every store it was instantiated in must be deleted first. */
void wrun_module_delete(wrun_module *m);

/* Creates a store with default limits; NULL if out of memory. Deleted with
 * wrun_store_delete, which frees everything made in it. */
wrun_store *wrun_store_create(void);
void wrun_store_delete(wrun_store *s);

/* Instantiates a module that has no imports (run its start function, if any).
 * Returns NULL with the reason in errbuf when linking fails or start traps.
 * The instance belongs to the store. */
wrun_instance *wrun_module_instantiate(wrun_store *s, const wrun_module *m, char *errbuf, size_t errlen);

/* The exported function `name`, or NULL. Belongs to the instance's store. */
wrun_func *wrun_instance_func(wrun_instance *inst, const char *name);

/* Calls `f`. Returns 0 on success (results stored), 1 if it trapped (message in
 * errbuf), 2 if the arguments do not match its type or a type is not scalar. */
int wrun_func_invoke(wrun_store *s, wrun_func *f, const wrun_value *args, size_t nargs, wrun_value *results,
                     size_t nresults, char *errbuf, size_t errlen);

#ifdef __cplusplus
}
#endif
#endif
