/*
 * httpwasm.c — the http-wasm handler ABI (http-wasm.io/http-handler-abi) for
 * core modules under `wrun serve`: the host module "http_handler" and the
 * guest's handle_request / handle_response exports, one fresh instance per
 * request (instance.c).
 *
 * The guest is middleware. handle_request sees and may rewrite the request;
 * when it returns next=1 the "next handler" runs: the (rewritten) request
 * goes to --upstream, or without one a 404 answers; then handle_response may
 * rewrite that response before it is sent. With next=0 the guest's own
 * response is sent (streamed as write_body produces it unless the guest
 * enabled buffer_response). Features: buffer_request and buffer_response
 * (bodies are buffered whole anyway) and trailers: response trailers the
 * guest sets end a chunked HTTP/1.1 response (serve_exchange_finish_trailers);
 * request trailers are always empty (h2o 2.2 drops HTTP/1 ones and merges
 * HTTP/2 ones into the headers), and setting one traps (nothing could send
 * it upstream).
 */
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <strings.h>
#include <unistd.h>

#include "serve/instance.h"
#include "serve/serve.h"

enum { FEATURE_BUFFER_REQUEST = 1, FEATURE_BUFFER_RESPONSE = 2, FEATURE_TRAILERS = 4 };
enum { SUPPORTED_FEATURES = FEATURE_BUFFER_REQUEST | FEATURE_BUFFER_RESPONSE | FEATURE_TRAILERS };
enum { KIND_REQUEST = 0, KIND_RESPONSE = 1, KIND_REQUEST_TRAILERS = 2, KIND_RESPONSE_TRAILERS = 3 };
enum { LOG_DEBUG = -1, LOG_INFO = 0, LOG_WARN = 1, LOG_ERROR = 2, LOG_NONE = 3 };

/* What prepare made: the module and settings every request shares. */
typedef struct hw_app {
  const wm_module *m;
  serve_template *tmpl;            /* the template path (NULL: WRUN_SERVE_NO_TEMPLATE=1) */
  const serve_config *cfg;
  int log_min;                     /* lowest level logged */
} hw_app;

/* One header field: name (lower case) and value, NUL-terminated copies. */
typedef struct hw_field {
  char *name, *value;
  size_t name_len, value_len;
} hw_field;

typedef struct hw_fields {
  hw_field *v;
  size_t n, cap;
} hw_fields;

typedef struct hw_buf {
  uint8_t *p;
  size_t len, cap;
  size_t pos;                      /* read_body's cursor */
  bool written;                    /* write_body overwrote it in this phase */
} hw_buf;

/* One request's state: the message as the guest sees and changes it. */
typedef struct hw_req {
  const hw_app *app;
  serve_exchange *x;
  serve_instance si;
  bool in_response;                /* handle_response is running */
  uint32_t features;
  char *method, *uri;
  hw_fields req_headers, resp_headers;
  hw_fields req_trailers, resp_trailers; /* request trailers: always empty (h2o gives none) */
  hw_buf req_body, resp_body;
  int status;
  bool streaming;                  /* the response went out as it was written */
  uint32_t ctx;                    /* handle_request's reqCtx, for handle_response */
  char fail[300];                  /* why a host function trapped */
} hw_req;

/* Per slot (serve_exchange_worker_slot: per guest running at once): the
 * --timeout watchdog and the template's store and pool. */
typedef struct hw_worker {
  serve_watchdog *wd;
  serve_pool *pool;
} hw_worker;

/* ---- fields --------------------------------------------------------------- */

static void fields_free(hw_fields *f) {
  for (size_t i = 0; i < f->n; i++) {
    free(f->v[i].name);
    free(f->v[i].value);
  }
  free(f->v);
  memset(f, 0, sizeof *f);
}

static bool fields_add(hw_fields *f, const char *name, size_t nl, const char *value, size_t vl) {
  if (f->n == f->cap) {
    size_t cap = f->cap ? f->cap * 2 : 16;
    hw_field *v = realloc(f->v, cap * sizeof *v);
    if (!v) return false;
    f->v = v;
    f->cap = cap;
  }
  hw_field *e = &f->v[f->n];
  e->name = malloc(nl + 1);
  e->value = malloc(vl + 1);
  if (!e->name || !e->value) {
    free(e->name);
    free(e->value);
    return false;
  }
  for (size_t i = 0; i < nl; i++) e->name[i] = (char)(name[i] >= 'A' && name[i] <= 'Z' ? name[i] + 32 : name[i]);
  e->name[nl] = 0;
  memcpy(e->value, value, vl);
  e->value[vl] = 0;
  e->name_len = nl;
  e->value_len = vl;
  f->n++;
  return true;
}

static void fields_remove(hw_fields *f, const char *name, size_t nl) {
  size_t out = 0;
  for (size_t i = 0; i < f->n; i++) {
    if (f->v[i].name_len == nl && strncasecmp(f->v[i].name, name, nl) == 0) {
      free(f->v[i].name);
      free(f->v[i].value);
      continue;
    }
    f->v[out++] = f->v[i];
  }
  f->n = out;
}

/* The fields as serve_headers (pointing into f), for the server. */
static serve_header *fields_view(const hw_fields *f) {
  serve_header *h = calloc(f->n + 1, sizeof *h);
  if (!h) return NULL;
  for (size_t i = 0; i < f->n; i++) h[i] = (serve_header){f->v[i].name, f->v[i].name_len, f->v[i].value, f->v[i].value_len};
  return h;
}

/* ---- bodies --------------------------------------------------------------- */

static bool buf_append(hw_buf *b, const void *p, size_t n) {
  if (b->len + n > b->cap) {
    size_t cap = b->cap ? b->cap : 1024;
    while (cap < b->len + n) cap *= 2;
    uint8_t *q = realloc(b->p, cap);
    if (!q) return false;
    b->p = q;
    b->cap = cap;
  }
  if (n) memcpy(b->p + b->len, p, n);
  b->len += n;
  return true;
}

static void buf_reset(hw_buf *b) {
  b->len = 0;
  b->pos = 0;
}

/* ---- guest memory ---------------------------------------------------------- */

/* [ptr, ptr+len) of the caller's memory, or NULL after recording a trap. */
static uint8_t *guest_bytes(rt_caller *c, uint32_t ptr, uint32_t len, const char *fn) {
  rt_memory *mem = rt_caller_memory(c, 0);
  if (!mem || (uint64_t)ptr + len > rt_memory_size(mem)) {
    rt_caller_trap(c, WRUN_TRAP_HOST, "http_handler.%s: %u bytes at %u are outside the guest's memory", fn, len, ptr);
    return NULL;
  }
  return rt_memory_data(mem) + ptr;
}

/* The get_* convention: write `v` at buf if it fits in buf_limit; return its length. */
static bool write_result(rt_caller *c, uint64_t *slots, const void *v, size_t len, const char *fn) {
  uint32_t buf = (uint32_t)slots[0], limit = (uint32_t)slots[1];
  if (len <= limit && len) {
    uint8_t *p = guest_bytes(c, buf, (uint32_t)len, fn);
    if (!p) return false;
    memcpy(p, v, len);
  }
  slots[0] = (uint32_t)len;
  return true;
}

static bool host_fail(rt_caller *c, const char *fn, const char *why) {
  return rt_caller_trap(c, WRUN_TRAP_HOST, "http_handler.%s: %s", fn, why);
}

/* ---- host functions ------------------------------------------------------ */

/* The request a host function serves: its env (bound per request), or on the
 * template path, where one set of host functions serves every request, the
 * calling store's current request (serve_instance_call sets it). */
static inline hw_req *req_of(rt_caller *c, void *env) {
  return env ? env : rt_store_data(rt_caller_store(c));
}

static bool h_enable_features(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  r->features |= (uint32_t)slots[0] & SUPPORTED_FEATURES;
  slots[0] = SUPPORTED_FEATURES;
  return true;
}

static bool h_get_config(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  return write_result(c, slots, r->app->cfg->guest_config, r->app->cfg->guest_config_len, "get_config");
}

static bool h_log(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  int32_t level = (int32_t)(uint32_t)slots[0];
  uint32_t len = (uint32_t)slots[2];
  if (level < r->app->log_min || level >= LOG_NONE) return true;
  rt_memory *mem = rt_caller_memory(c, 0);
  if (!mem || (uint64_t)(uint32_t)slots[1] + len > rt_memory_size(mem)) return true; /* spec: ignore, never trap */
  static const char *const names[] = {"debug", "info", "warn", "error"};
  char line[1100];
  int n = snprintf(line, sizeof line, "wrun: %s: guest %s: %.*s\n", r->app->cfg->path, names[level + 1],
                   (int)(len > 1000 ? 1000 : len), (const char *)rt_memory_data(mem) + (uint32_t)slots[1]);
  if (n > 0) {
    ssize_t w = write(2, line, (size_t)n < sizeof line ? (size_t)n : sizeof line - 1);
    (void)w;
  }
  return true;
}

static bool h_log_enabled(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  int32_t level = (int32_t)(uint32_t)slots[0];
  slots[0] = level >= r->app->log_min && level < LOG_NONE;
  return true;
}

static bool h_get_method(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  return write_result(c, slots, r->method, strlen(r->method), "get_method");
}

/* A copy of guest bytes as a string, refusing what would break an HTTP/1 head. */
static char *guest_string(rt_caller *c, uint64_t ptr, uint64_t len, const char *fn, bool allow_space) {
  uint8_t *p = guest_bytes(c, (uint32_t)ptr, (uint32_t)len, fn);
  if (!p) return NULL;
  for (uint32_t i = 0; i < (uint32_t)len; i++)
    if (p[i] == '\r' || p[i] == '\n' || p[i] == 0 || (!allow_space && p[i] == ' ')) {
      host_fail(c, fn, "the value holds a space, CR, LF or NUL");
      return NULL;
    }
  char *s = malloc((uint32_t)len + 1);
  if (!s) {
    host_fail(c, fn, "out of memory");
    return NULL;
  }
  memcpy(s, p, (uint32_t)len);
  s[(uint32_t)len] = 0;
  return s;
}

static bool h_set_method(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  if ((uint32_t)slots[1] == 0) return host_fail(c, "set_method", "empty method");
  char *s = guest_string(c, slots[0], slots[1], "set_method", false);
  if (!s) return false;
  free(r->method);
  r->method = s;
  return true;
}

static bool h_get_uri(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  const char *u = r->uri[0] ? r->uri : "/";
  return write_result(c, slots, u, strlen(u), "get_uri");
}

static bool h_set_uri(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  char *s = guest_string(c, slots[0], slots[1], "set_uri", false);
  if (!s) return false;
  free(r->uri);
  r->uri = s;
  return true;
}

static bool h_get_protocol_version(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  int v = serve_exchange_request(r->x)->version;
  const char *s = v >= 0x200 ? "HTTP/2.0" : v == 0x100 ? "HTTP/1.0" : "HTTP/1.1";
  return write_result(c, slots, s, strlen(s), "get_protocol_version");
}

static bool h_get_source_addr(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  const char *a = serve_exchange_request(r->x)->peer;
  return write_result(c, slots, a, strlen(a), "get_source_addr");
}

/* The header list of a kind. */
static hw_fields *fields_of(hw_req *r, uint32_t kind) {
  if (kind == KIND_REQUEST) return &r->req_headers;
  if (kind == KIND_RESPONSE) return &r->resp_headers;
  if (kind == KIND_REQUEST_TRAILERS) return &r->req_trailers;
  return &r->resp_trailers;
}

static bool check_kind(rt_caller *c, uint32_t kind, const char *fn) {
  if (kind <= KIND_RESPONSE_TRAILERS) return true;
  char why[64];
  snprintf(why, sizeof why, "unknown header kind %u", kind);
  return host_fail(c, fn, why);
}

/* Writes a NUL-separated list (built in *out, freed here) to the guest's
 * buffer at slots[at] with limit slots[at + 1], and returns in slots[0] the
 * count in the high and the byte length in the low 32 bits (0 when empty). */
static bool write_list(rt_caller *c, uint64_t *slots, int at, hw_buf *out, uint32_t count, const char *fn) {
  uint64_t args[2] = {slots[at], slots[at + 1]};
  bool ok = write_result(c, args, out->p, out->len, fn);
  slots[0] = out->len ? (uint64_t)count << 32 | (uint32_t)out->len : 0;
  free(out->p);
  return ok;
}

static bool h_get_header_names(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  uint32_t kind = (uint32_t)slots[0];
  if (!check_kind(c, kind, "get_header_names")) return false;
  hw_fields *f = fields_of(r, kind);
  /* unique names, in order of first appearance, each NUL-terminated */
  hw_buf out = {0};
  uint32_t count = 0;
  for (size_t i = 0; f && i < f->n; i++) {
    bool seen = false;
    for (size_t j = 0; j < i && !seen; j++)
      seen = f->v[j].name_len == f->v[i].name_len && memcmp(f->v[j].name, f->v[i].name, f->v[i].name_len) == 0;
    if (seen) continue;
    if (!buf_append(&out, f->v[i].name, f->v[i].name_len + 1)) {
      free(out.p);
      return host_fail(c, "get_header_names", "out of memory");
    }
    count++;
  }
  return write_list(c, slots, 1, &out, count, "get_header_names");
}

static bool h_get_header_values(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  uint32_t kind = (uint32_t)slots[0];
  if (!check_kind(c, kind, "get_header_values")) return false;
  uint8_t *name = guest_bytes(c, (uint32_t)slots[1], (uint32_t)slots[2], "get_header_values");
  if (!name) return false;
  size_t nl = (uint32_t)slots[2];
  hw_fields *f = fields_of(r, kind);
  hw_buf out = {0};
  uint32_t count = 0;
  for (size_t i = 0; f && i < f->n; i++) {
    if (f->v[i].name_len != nl || strncasecmp(f->v[i].name, (const char *)name, nl) != 0) continue;
    if (!buf_append(&out, f->v[i].value, f->v[i].value_len + 1)) {
      free(out.p);
      return host_fail(c, "get_header_values", "out of memory");
    }
    count++;
  }
  return write_list(c, slots, 3, &out, count, "get_header_values");
}

/* set_header_value, add_header_value, remove_header. */
static bool change_header(rt_caller *c, hw_req *r, uint64_t *slots, const char *fn, bool remove, bool add) {
  uint32_t kind = (uint32_t)slots[0];
  if (!check_kind(c, kind, fn)) return false;
  hw_fields *f = fields_of(r, kind);
  if (kind >= KIND_REQUEST_TRAILERS && !(r->features & FEATURE_TRAILERS))
    return host_fail(c, fn, "trailers need enable_features(trailers) first");
  if (kind == KIND_REQUEST_TRAILERS) return host_fail(c, fn, "request trailers cannot be sent on (h2o 2.2 has none)");
  if ((uint32_t)slots[2] == 0) return host_fail(c, fn, "empty header name");
  char *name = guest_string(c, slots[1], slots[2], fn, false);
  if (!name) return false;
  for (char *p = name; *p; p++)
    if (*p == ':' || (unsigned char)*p < 0x21 || (unsigned char)*p > 0x7e) {
      free(name);
      return host_fail(c, fn, "the header name is not a token");
    }
  char *value = remove ? NULL : guest_string(c, slots[3], slots[4], fn, true);
  if (!remove && !value) {
    free(name);
    return false;
  }
  size_t nl = strlen(name);
  if (!add) fields_remove(f, name, nl);
  bool ok = remove || fields_add(f, name, nl, value, strlen(value));
  free(name);
  free(value);
  return ok ? true : host_fail(c, fn, "out of memory");
}

static bool h_set_header_value(rt_caller *c, void *env, uint64_t *slots) {
  return change_header(c, req_of(c, env), slots, "set_header_value", false, false);
}
static bool h_add_header_value(rt_caller *c, void *env, uint64_t *slots) {
  return change_header(c, req_of(c, env), slots, "add_header_value", false, true);
}
static bool h_remove_header(rt_caller *c, void *env, uint64_t *slots) {
  return change_header(c, req_of(c, env), slots, "remove_header", true, false);
}

static bool h_read_body(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  uint32_t kind = (uint32_t)slots[0], limit = (uint32_t)slots[2];
  if (kind > KIND_RESPONSE) return host_fail(c, "read_body", "unknown body kind");
  if (limit == 0) return host_fail(c, "read_body", "buf_limit is 0");
  hw_buf *b = kind == KIND_REQUEST ? &r->req_body : &r->resp_body;
  size_t left = b->len - b->pos, n = left < limit ? left : limit;
  if (n) {
    uint8_t *p = guest_bytes(c, (uint32_t)slots[1], (uint32_t)n, "read_body");
    if (!p) return false;
    memcpy(p, b->p + b->pos, n);
    b->pos += n;
  }
  slots[0] = (uint64_t)(b->pos == b->len) << 32 | (uint32_t)n;
  return true;
}

/* The first bytes of a response that streams: the status line and headers go
 * out now, so later header changes cannot apply. */
static void start_streaming(hw_req *r) {
  serve_header *h = fields_view(&r->resp_headers);
  serve_exchange_start(r->x, r->status, h, h ? r->resp_headers.n : 0);
  free(h);
  r->streaming = true;
}

static bool h_write_body(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  uint32_t kind = (uint32_t)slots[0], len = (uint32_t)slots[2];
  if (kind > KIND_RESPONSE) return host_fail(c, "write_body", "unknown body kind");
  uint8_t *p = guest_bytes(c, (uint32_t)slots[1], len, "write_body");
  if (!p) return false;
  hw_buf *b = kind == KIND_REQUEST ? &r->req_body : &r->resp_body;
  /* a response the guest makes itself in handle_request streams unless it asked for buffering */
  if (kind == KIND_RESPONSE && !r->in_response && !(r->features & FEATURE_BUFFER_RESPONSE)) {
    if (!r->streaming) start_streaming(r);
    serve_exchange_write(r->x, p, len);
    return true;
  }
  if (!b->written) {
    buf_reset(b);
    b->written = true;
  }
  return buf_append(b, p, len) ? true : host_fail(c, "write_body", "out of memory");
}

static bool h_get_status_code(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  slots[0] = (uint32_t)r->status;
  return true;
}

static bool h_set_status_code(rt_caller *c, void *env, uint64_t *slots) {
  hw_req *r = req_of(c, env);
  int32_t st = (int32_t)(uint32_t)slots[0];
  if (st < 100 || st > 999) return host_fail(c, "set_status_code", "status codes are 100 to 999");
  r->status = st;
  return true;
}

/* ---- the host module ------------------------------------------------------ */

typedef struct hw_func {
  const char *name;
  const char *sig;                 /* params, ':', results; 'i' i32, 'I' i64 */
  rt_host_fn fn;
} hw_func;

static const hw_func hw_funcs[] = {
  {"enable_features", "i:i", h_enable_features},
  {"get_config", "ii:i", h_get_config},
  {"log", "iii:", h_log},
  {"log_enabled", "i:i", h_log_enabled},
  {"get_method", "ii:i", h_get_method},
  {"set_method", "ii:", h_set_method},
  {"get_uri", "ii:i", h_get_uri},
  {"set_uri", "ii:", h_set_uri},
  {"get_protocol_version", "ii:i", h_get_protocol_version},
  {"get_source_addr", "ii:i", h_get_source_addr},
  {"get_header_names", "iii:I", h_get_header_names},
  {"get_header_values", "iiiii:I", h_get_header_values},
  {"set_header_value", "iiiii:", h_set_header_value},
  {"add_header_value", "iiiii:", h_add_header_value},
  {"remove_header", "iii:", h_remove_header},
  {"read_body", "iii:I", h_read_body},
  {"write_body", "iii:", h_write_body},
  {"get_status_code", ":i", h_get_status_code},
  {"set_status_code", "i:", h_set_status_code},
};

static bool sig_matches(const char *sig, const wm_functype *ft) {
  const char *colon = strchr(sig, ':');
  size_t np = (size_t)(colon - sig), nr = strlen(colon + 1);
  if (ft->nparams != np || ft->nresults != nr) return false;
  for (size_t i = 0; i < np + nr; i++) {
    char ch = i < np ? sig[i] : colon[1 + i - np];
    if (ft->types[i] != (ch == 'I' ? WASM_I64 : WASM_I32)) return false;
  }
  return true;
}

static const hw_func *find_func(const wm_import *im) {
  if (strcmp(im->module.ptr, "http_handler") != 0 || im->kind != WASM_EXTERN_FUNC) return NULL;
  for (size_t k = 0; k < sizeof hw_funcs / sizeof *hw_funcs; k++)
    if (strcmp(hw_funcs[k].name, im->field.ptr) == 0) return &hw_funcs[k];
  return NULL;
}

/* serve_link_fn: an http_handler import, bound to this request's state. */
static bool link_import(void *env, wrun_store *s, const wm_module *m, uint32_t i, rt_extern *out, rt_error *err) {
  const wm_import *im = &m->imports[i];
  const hw_func *hf = find_func(im);
  if (!hf)
    return rt_error_at(err, WRUN_ERR_LINK, im->offset,
                         "unknown import \"%s\" \"%s\": `wrun serve` provides http_handler and wasi_snapshot_preview1",
                         im->module.ptr, im->field.ptr);
  const wm_functype *ft = wm_module_func_type(m, im->index);
  if (!sig_matches(hf->sig, ft))
    return rt_error_at(err, WRUN_ERR_LINK, im->offset, "incompatible import type: \"%s\" \"%s\" has the wrong signature",
                         im->module.ptr, im->field.ptr);
  wrun_func *f = rt_func_new_host(s, ft, hf->fn, env, hf->name);
  if (!f) return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
  out->kind = WASM_EXTERN_FUNC;
  out->of.func = f;
  return true;
}

/* ---- requests ------------------------------------------------------------- */

static void req_free(hw_req *r) {
  serve_instance_free(&r->si);
  free(r->method);
  free(r->uri);
  fields_free(&r->req_headers);
  fields_free(&r->resp_headers);
  fields_free(&r->req_trailers);
  fields_free(&r->resp_trailers);
  free(r->req_body.p);
  free(r->resp_body.p);
  free(r);
}

/* A trap or failed instantiation: 500 (or a cut stream), logged with the reason. */
static void fail_request(hw_req *r, const rt_error *err) {
  char why[400];
  rt_trap_kind k = r->si.store ? rt_store_trap_kind(r->si.store) : WRUN_TRAP_NONE;
  snprintf(why, sizeof why, "%s: %s%s", err->kind == WRUN_ERR_TRAP || err->kind == WRUN_ERR_EXHAUSTION ? "trap" : "error",
           err->message,
           k == WRUN_TRAP_FUEL      ? " (--fuel)"
           : k == WRUN_TRAP_TIMEOUT ? " (--timeout)"
                                    : "");
  serve_exchange_fail(r->x, 500, why);
  req_free(r);
}

/* Sends the response as the guest left it, and frees the request. */
static void send_response(hw_req *r) {
  if (r->resp_trailers.n) { /* trailers need a chunked response: no content-length */
    serve_header *t = fields_view(&r->resp_trailers);
    if (!r->streaming) {
      serve_header *h = fields_view(&r->resp_headers);
      serve_exchange_start(r->x, r->status, h, h ? r->resp_headers.n : 0);
      free(h);
      serve_exchange_write(r->x, r->resp_body.p, r->resp_body.len);
    }
    serve_exchange_finish_trailers(r->x, t, t ? r->resp_trailers.n : 0);
    free(t);
  } else if (r->streaming) {
    serve_exchange_finish(r->x);
  } else {
    serve_header *h = fields_view(&r->resp_headers);
    serve_exchange_respond(r->x, r->status, h, h ? r->resp_headers.n : 0, r->resp_body.p, r->resp_body.len);
    free(h);
  }
  req_free(r);
}

/* A call into the guest under --timeout: the watchdog interrupts the guest
 * and the exchange stops a write waiting for a slow client at the same
 * deadline. */
static bool call_guest(hw_req *r, const char *name, const rt_val *args, uint32_t nargs, rt_val *res, uint32_t nres,
                       rt_error *err) {
  uint64_t t = r->app->cfg->limits.timeout_ns;
  if (t) serve_exchange_deadline(r->x, t);
  bool ok = serve_instance_call(&r->si, name, args, nargs, res, nres, err);
  if (t) serve_exchange_deadline(r->x, 0);
  return ok;
}

static void call_handle_response(hw_req *r, bool is_error) {
  r->in_response = true;
  r->resp_body.written = false;
  r->resp_body.pos = 0;
  rt_val args[2] = {{.type = WASM_I32, .of.i32 = r->ctx}, {.type = WASM_I32, .of.i32 = is_error}};
  rt_error err;
  rt_error_clear(&err);
  if (!call_guest(r, "handle_response", args, 2, NULL, 0, &err)) {
    fail_request(r, &err);
    return;
  }
  send_response(r);
}

/* The next handler's answer becomes the response the guest then sees. */
static void take_response(hw_req *r, int status, const serve_header *h, size_t n, const void *body, size_t len) {
  r->status = status;
  fields_free(&r->resp_headers);
  fields_free(&r->resp_trailers); /* the next handler's response has none (h2o's client drops them) */
  for (size_t i = 0; i < n; i++) fields_add(&r->resp_headers, h[i].name, h[i].name_len, h[i].value, h[i].value_len);
  buf_reset(&r->resp_body);
  buf_append(&r->resp_body, body, len);
}

static void on_upstream(serve_exchange *x, void *data, const serve_upstream_response *res, const char *error) {
  hw_req *r = data;
  if (error) {
    static const serve_header ct = {"content-type", 12, "text/plain; charset=utf-8", 25};
    static const char msg[] = "502 Bad Gateway\n";
    take_response(r, 502, &ct, 1, msg, sizeof msg - 1);
    call_handle_response(r, true);
    return;
  }
  take_response(r, res->status, res->headers, res->nheaders, res->body, res->body_len);
  call_handle_response(r, false);
}

static void call_next(hw_req *r) {
  if (r->streaming) { /* the guest already answered; there is nothing for a next handler to do */
    send_response(r);
    return;
  }
  serve_header *h = fields_view(&r->req_headers);
  serve_outgoing out = {r->method, strlen(r->method), r->uri, strlen(r->uri), h, h ? r->req_headers.n : 0,
                        r->req_body.p, r->req_body.len};
  bool fetching = h && serve_exchange_fetch(r->x, &out, on_upstream, r);
  free(h);
  if (fetching) return;
  static const serve_header ct = {"content-type", 12, "text/plain; charset=utf-8", 25};
  static const char msg[] = "404 Not Found\n";
  take_response(r, 404, &ct, 1, msg, sizeof msg - 1);
  call_handle_response(r, false);
}

static hw_req *req_new(const hw_app *app, serve_exchange *x) {
  const serve_request *in = serve_exchange_request(x);
  hw_req *r = calloc(1, sizeof *r);
  if (!r) return NULL;
  r->app = app;
  r->x = x;
  r->status = 200;
  r->method = strndup(in->method, in->method_len);
  r->uri = strndup(in->uri, in->uri_len);
  bool ok = r->method && r->uri && buf_append(&r->req_body, in->body, in->body_len);
  for (size_t i = 0; ok && i < in->nheaders; i++)
    ok = fields_add(&r->req_headers, in->headers[i].name, in->headers[i].name_len, in->headers[i].value,
                    in->headers[i].value_len);
  if (!ok) {
    req_free(r);
    return NULL;
  }
  return r;
}

static void hw_handle(void *prepared, serve_exchange *x) {
  const hw_app *app = prepared;
  void **slot = serve_exchange_worker_slot(x);
  hw_worker *hwk = *slot;
  if (!hwk && (hwk = calloc(1, sizeof *hwk)) != NULL) {
    const serve_config *cfg = app->cfg;
    if (cfg->limits.timeout_ns) hwk->wd = serve_watchdog_new();
    if (app->tmpl) hwk->pool = serve_pool_new(app->tmpl, hwk->wd, cfg->limits.timeout_ns, cfg->reuse_instances);
    *slot = hwk;
  }
  bool ready = hwk && (!app->cfg->limits.timeout_ns || hwk->wd) && (!app->tmpl || hwk->pool);
  hw_req *r = ready ? req_new(app, x) : NULL;
  if (!r) {
    serve_exchange_fail(x, 500, "out of memory");
    return;
  }
  rt_error err;
  rt_error_clear(&err);
  if (hwk->pool ? !serve_instance_take(hwk->pool, r, &r->si, &err)
                : !serve_instance_new(app->m, &app->cfg->limits, app->cfg->path, hwk->wd, link_import, r, &r->si,
                                      &err)) {
    fail_request(r, &err);
    return;
  }
  rt_val res;
  if (!call_guest(r, "handle_request", NULL, 0, &res, 1, &err)) {
    fail_request(r, &err);
    return;
  }
  r->ctx = (uint32_t)(res.of.i64 >> 32);
  if (res.of.i64 & 1) call_next(r);
  else send_response(r);
}

static void hw_worker_free(void *p) {
  hw_worker *hwk = p;
  serve_pool_free(hwk->pool);
  serve_watchdog_free(hwk->wd);
  free(hwk);
}

/* ---- detection and preparation --------------------------------------------- */

static bool export_func_type(const wm_module *m, const char *name, const char *sig) {
  for (uint32_t i = 0; i < m->nexports; i++) {
    const wm_export *e = &m->exports[i];
    if (e->kind != WASM_EXTERN_FUNC || strcmp(e->name.ptr, name) != 0) continue;
    return sig_matches(sig, wm_module_func_type(m, e->index));
  }
  return false;
}

static bool hw_detect(const serve_app *app) {
  const wm_module *m = app->module;
  if (!m) return false; /* a component */
  if (export_func_type(m, "handle_request", ":I")) return true;
  for (uint32_t i = 0; i < m->nimports; i++)
    if (strcmp(m->imports[i].module.ptr, "http_handler") == 0) return true;
  return false;
}

static void *hw_prepare(const serve_config *cfg, const serve_app *sa, char *err, size_t errlen) {
  const wm_module *m = sa->module;
  if (!export_func_type(m, "handle_request", ":I")) {
    snprintf(err, errlen, "http-wasm: the module must export handle_request: [] -> [i64]");
    return NULL;
  }
  if (!export_func_type(m, "handle_response", "ii:")) {
    snprintf(err, errlen, "http-wasm: the module must export handle_response: [i32 i32] -> []");
    return NULL;
  }
  bool memory = false;
  for (uint32_t i = 0; i < m->nexports; i++)
    memory |= m->exports[i].kind == WASM_EXTERN_MEMORY && strcmp(m->exports[i].name.ptr, "memory") == 0;
  if (!memory) {
    snprintf(err, errlen, "http-wasm: the module must export its memory as \"memory\"");
    return NULL;
  }
  for (uint32_t i = 0; i < m->nimports; i++) {
    const wm_import *im = &m->imports[i];
    if (strcmp(im->module.ptr, "wasi_snapshot_preview1") == 0) continue;
    const hw_func *hf = find_func(im);
    if (!hf || !sig_matches(hf->sig, wm_module_func_type(m, im->index))) {
      snprintf(err, errlen, "%s import \"%s\" \"%s\" (http-wasm provides http_handler functions and WASI)",
               hf ? "incompatible" : "unknown", im->module.ptr, im->field.ptr);
      return NULL;
    }
  }
  hw_app *app = calloc(1, sizeof *app);
  if (!app) {
    snprintf(err, errlen, "out of memory");
    return NULL;
  }
  app->m = m;
  app->cfg = cfg;
  app->log_min = cfg->verbose ? LOG_DEBUG : LOG_INFO;
  if (!getenv("WRUN_SERVE_NO_TEMPLATE")) { /* a switch for measuring the other path */
    rt_error e;
    rt_error_clear(&e);
    app->tmpl = serve_template_new(m, &cfg->limits, cfg->path, link_import, &e);
    if (!app->tmpl) {
      snprintf(err, errlen, "http-wasm: %s", e.message);
      free(app);
      return NULL;
    }
  }
  if (cfg->reuse_instances && (!app->tmpl || serve_template_imports_wasi(app->tmpl))) {
    snprintf(err, errlen, "--reuse-instances needs a handler without WASI imports (it keeps template instances)");
    free(app);
    return NULL;
  }
  return app;
}

static void hw_free(void *prepared) {
  hw_app *app = prepared;
  serve_template_free(app->tmpl); /* the workers' stores are gone */
  free(app);
}

const serve_guest_ops serve_httpwasm_ops = {
  .name = "http-wasm",
  .detect = hw_detect,
  .prepare = hw_prepare,
  .handle = hw_handle,
  .worker_free = hw_worker_free,
  .free = hw_free,
};
