/*
 * htypes.h — component-level types of host functions, written as WIT-like
 * text and parsed into a type arena of their own, and the link-time check
 * that a guest's import declares exactly the host's type (htypes.c).
 *
 * A host (src/cinst's wc_host) keeps one wc_htypes. Per interface it holds a
 * namespace of named types: host resources (wc_htypes_resource), and
 * definitions parsed from text (wc_htypes_define):
 *
 *   use wasi:io/streams.{input-stream, output-stream};   names from another interface
 *   type filesize = u64;                                  an alias (of a resource:
 *                                                         another name for it)
 *   record datetime { seconds: u64, nanoseconds: u32 }
 *   variant stream-error { last-operation-failed(error), closed }
 *   enum descriptor-type { unknown, directory, regular-file }
 *   flags descriptor-flags { read, write }
 *
 * and function types (wc_htypes_func) such as
 *
 *   func(self: borrow<output-stream>, contents: list<u8>) -> result<_, stream-error>
 *
 * Value types: bool s8..s64 u8..u64 f32 f64 char string, list<T>, option<T>,
 * result, result<T>, result<_, E>, result<T, E>, tuple<T, ...>, own<R>,
 * borrow<R>, and names (a bare resource name means own<R>, as in WIT).
 * `//` starts a comment. A `use`d interface may be named without its
 * version: it matches the namespace with the same name before '@'.
 *
 * Errors (bad text, unknown names, duplicates) are one line in
 * wc_htypes_error, with the byte offset in the text.
 */
#ifndef WRUN_COMPONENT_HTYPES_H
#define WRUN_COMPONENT_HTYPES_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "component/component.h"

typedef struct wc_htypes wc_htypes;

wc_htypes *wc_htypes_new(void);
void wc_htypes_free(wc_htypes *h);
/* The arena the ids below refer to. */
const wc_types *wc_htypes_arena(const wc_htypes *h);
/* The last error ("" if none). */
const char *wc_htypes_error(const wc_htypes *h);

/* Defines resource `name` in interface `iface`; *id gets its arena id. */
bool wc_htypes_resource(wc_htypes *h, const char *iface, const char *name, uint32_t *id);
/* Parses type definitions into `iface`'s namespace. */
bool wc_htypes_define(wc_htypes *h, const char *iface, const char *text);
/* Parses a function type whose names are resolved in `iface`; *id gets the
 * arena id of its WC_T_FUNC. */
bool wc_htypes_func(wc_htypes *h, const char *iface, const char *text, uint32_t *id);

/* Entry i of `iface`'s namespace (in definition order): its name, arena id
 * and whether it is a resource; false past the last one. */
bool wc_htypes_nth(const wc_htypes *h, const char *iface, uint32_t i, wc_str *name, uint32_t *id, bool *resource);

/* The check of one instantiation: guest function types (in the component's
 * arena `guest`) against host function types, with subtype.c's equality.
 * Host resources compare by identity: a guest resource type matches the host
 * resource it was bound to (wc_hcheck_bind) and no other. */
typedef struct wc_hcheck wc_hcheck;
wc_hcheck *wc_hcheck_new(const wc_htypes *h, const wc_types *guest);
void wc_hcheck_free(wc_hcheck *c);
/* Records that guest resource type `guest_res` is host resource `host_res`. */
bool wc_hcheck_bind(wc_hcheck *c, uint32_t host_res, uint32_t guest_res);
/* Whether guest function type `guest_fn` equals host function type
 * `host_fn`. On false, `why` says where they first differ ("parameter
 * \"contents\": u64, expected list"), or that the check ran out of memory or
 * steps (*failed set). */
bool wc_hcheck_func(wc_hcheck *c, uint32_t host_fn, uint32_t guest_fn, char *why, size_t nwhy, bool *failed);

#endif
