/*
 * component_run.c — `wrun [--invoke NAME] comp.wasm ARGS...` on a component:
 * instantiates it (src/cinst) with no host imports yet (WASI 0.2 is not
 * written, so any import is a link error naming it), calls the export given
 * by --invoke and prints its results.
 *
 * TEMPORARY: the argument parser and result printer here are minimal
 * stand-ins (integers, floats, bools, chars and strings in; WAVE-like text
 * out) until the WAVE parser/printer (src/component/wave.h) is merged; then
 * both are replaced by wc_wave_parse / wc_wave_print.
 */
#include <errno.h>
#include <math.h>
#include <stdlib.h>
#include <string.h>

#include "cinst/instance.h"
#include "cli/cli.h"
#include "common/file.h"

static wc_prim prim_of(const wc_component *c, wc_val t, const wc_type **def) {
  *def = NULL;
  if (wc_val_is_prim(t)) return (wc_prim)(t & ~WC_PRIM_BIT);
  *def = wc_type_at(c, t);
  return (*def)->kind == WC_T_PRIM ? (*def)->prim : (wc_prim)0;
}

/* TEMPORARY (until wave.h): one argument of a primitive type. */
static bool parse_arg(const wc_component *c, wc_val t, const char *s, wc_value *out) {
  const wc_type *d;
  wc_prim p = prim_of(c, t, &d);
  char *end;
  errno = 0;
  switch (p) {
  case WC_BOOL:
    out->kind = WC_V_BOOL;
    if (!strcmp(s, "true")) { out->u.b = true; return true; }
    if (!strcmp(s, "false")) { out->u.b = false; return true; }
    return false;
  case WC_S8: case WC_S16: case WC_S32: case WC_S64: {
    static const struct { wc_prim p; wc_value_kind k; int bits; } m[] = {
      {WC_S8, WC_V_S8, 8}, {WC_S16, WC_V_S16, 16}, {WC_S32, WC_V_S32, 32}, {WC_S64, WC_V_S64, 64}};
    long long v = strtoll(s, &end, 10);
    for (int i = 0; i < 4; i++)
      if (m[i].p == p) {
        out->kind = m[i].k;
        out->u.s = v;
        if (m[i].bits < 64 && (v < -(1LL << (m[i].bits - 1)) || v >= (1LL << (m[i].bits - 1)))) return false;
      }
    return *s && !*end && !errno;
  }
  case WC_U8: case WC_U16: case WC_U32: case WC_U64: {
    static const struct { wc_prim p; wc_value_kind k; int bits; } m[] = {
      {WC_U8, WC_V_U8, 8}, {WC_U16, WC_V_U16, 16}, {WC_U32, WC_V_U32, 32}, {WC_U64, WC_V_U64, 64}};
    if (*s == '-') return false;
    unsigned long long v = strtoull(s, &end, 10);
    for (int i = 0; i < 4; i++)
      if (m[i].p == p) {
        out->kind = m[i].k;
        out->u.u = v;
        if (m[i].bits < 64 && v >> m[i].bits) return false;
      }
    return *s && !*end && !errno;
  }
  case WC_F32: case WC_F64: {
    double v = strtod(s, &end);
    if (!*s || *end) return false;
    if (p == WC_F32) { out->kind = WC_V_F32; out->u.f32 = (float)v; }
    else { out->kind = WC_V_F64; out->u.f64 = v; }
    return true;
  }
  case WC_CHAR: {
    /* one character (as UTF-8) between single quotes, or bare */
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '\'' && s[n - 1] == '\'') { s++; n -= 2; }
    const unsigned char *u = (const unsigned char *)s;
    uint32_t cp;
    size_t len = u[0] < 0x80 ? 1 : u[0] >= 0xf0 ? 4 : u[0] >= 0xe0 ? 3 : 2;
    if (n != len) return false;
    cp = len == 1 ? u[0] : u[0] & (0x7f >> len);
    for (size_t i = 1; i < len; i++) cp = cp << 6 | (u[i] & 0x3f);
    out->kind = WC_V_CHAR;
    out->u.ch = cp;
    return true;
  }
  case WC_STRING: {
    /* a quoted string; the quotes are optional (the shell usually removes them) */
    size_t n = strlen(s);
    if (n >= 2 && s[0] == '"' && s[n - 1] == '"') { s++; n -= 2; }
    out->kind = WC_V_STRING;
    out->u.str.ptr = s;
    out->u.str.len = (uint32_t)n;
    return true;
  }
  default:
    return false;
  }
}

static void print_str(FILE *f, const char *p, uint32_t n) {
  fputc('"', f);
  for (uint32_t i = 0; i < n; i++) {
    unsigned char ch = (unsigned char)p[i];
    if (ch == '"' || ch == '\\') fprintf(f, "\\%c", ch);
    else if (ch == '\n') fputs("\\n", f);
    else if (ch == '\t') fputs("\\t", f);
    else if (ch < 0x20) fprintf(f, "\\u{%x}", ch);
    else fputc(ch, f);
  }
  fputc('"', f);
}

static void print_float(FILE *f, double v) {
  if (isnan(v)) fputs("nan", f);
  else if (isinf(v)) fputs(v < 0 ? "-inf" : "inf", f);
  else fprintf(f, "%.17g", v);
}

/* TEMPORARY (until wave.h): a result in WAVE-like text. */
static void print_value(FILE *f, const wc_component *c, wc_val t, const wc_value *v) {
  const wc_type *d;
  prim_of(c, t, &d);
  switch (v->kind) {
  case WC_V_BOOL: fputs(v->u.b ? "true" : "false", f); return;
  case WC_V_S8: case WC_V_S16: case WC_V_S32: case WC_V_S64: fprintf(f, "%lld", (long long)v->u.s); return;
  case WC_V_U8: case WC_V_U16: case WC_V_U32: case WC_V_U64: fprintf(f, "%llu", (unsigned long long)v->u.u); return;
  case WC_V_F32: print_float(f, v->u.f32); return;
  case WC_V_F64: print_float(f, v->u.f64); return;
  case WC_V_CHAR: {
    char b[4];
    uint32_t cp = v->u.ch, n = cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
    if (n == 1) b[0] = (char)cp;
    else {
      for (uint32_t i = n - 1; i > 0; i--) { b[i] = (char)(0x80 | (cp & 0x3f)); cp >>= 6; }
      b[0] = (char)((0xf00 >> n) | cp);
    }
    fprintf(f, "'%.*s'", (int)n, b);
    return;
  }
  case WC_V_STRING: print_str(f, v->u.str.ptr, v->u.str.len); return;
  case WC_V_LIST:
    fputc('[', f);
    for (uint32_t i = 0; i < v->u.seq.n; i++) {
      if (i) fputs(", ", f);
      print_value(f, c, d->elem, &v->u.seq.v[i]);
    }
    fputc(']', f);
    return;
  case WC_V_RECORD:
    fputc(d->kind == WC_T_TUPLE ? '(' : '{', f);
    for (uint32_t i = 0; i < v->u.seq.n; i++) {
      if (i) fputs(", ", f);
      if (d->kind != WC_T_TUPLE) fprintf(f, "%.*s: ", (int)d->items[i].name.len, d->items[i].name.ptr);
      print_value(f, c, d->items[i].type, &v->u.seq.v[i]);
    }
    fputc(d->kind == WC_T_TUPLE ? ')' : '}', f);
    return;
  case WC_V_VARIANT: {
    uint32_t i = v->u.var.index;
    wc_val pt = 0;
    if (d->kind == WC_T_OPTION) { fputs(i ? "some" : "none", f); pt = d->elem; }
    else if (d->kind == WC_T_RESULT) { fputs(i ? "err" : "ok", f); pt = d->items[i].type; }
    else { fprintf(f, "%.*s", (int)d->items[i].name.len, d->items[i].name.ptr); pt = d->items[i].type; }
    if (v->u.var.payload) {
      fputc('(', f);
      print_value(f, c, pt, v->u.var.payload);
      fputc(')', f);
    }
    return;
  }
  case WC_V_FLAGS: {
    fputc('{', f);
    bool first = true;
    for (uint32_t i = 0; i < d->nitems; i++)
      if (v->u.flags >> i & 1) {
        fprintf(f, "%s%.*s", first ? "" : ", ", (int)d->items[i].name.len, d->items[i].name.ptr);
        first = false;
      }
    fputc('}', f);
    return;
  }
  case WC_V_OWN: case WC_V_BORROW: fprintf(f, "<resource %u>", v->u.handle.rep); return;
  }
}

/* The root exports an instance named wasi:cli/run@VERSION. */
static bool exports_cli_run(const wc_component *c) {
  for (uint32_t i = 0; i < c->ndefs; i++) {
    const wc_def *d = &c->defs[i];
    if (d->kind == WC_DEF_EXPORT && d->sort == WC_INSTANCE && d->u.ie.name.len >= 13 &&
        !memcmp(d->u.ie.name.ptr, "wasi:cli/run@", 13))
      return true;
  }
  return false;
}

static int invoke(const char *path, const wc_component *c, const char *name, int nargs, char **args,
                  const cli_sandbox *sb) {
  wrun_config cfg = {0};
  cfg.fuel = sb->fuel;
  cfg.max_memory_bytes = sb->max_memory;
  cfg.stack_bytes = sb->max_stack > UINT32_MAX ? UINT32_MAX : (uint32_t)sb->max_stack;
  cfg.max_call_depth = sb->max_call_depth;
  cfg.aot = sb->aot;
  cfg.interruptible = sb->timeout_ns != 0;
  if (sb->aot && sb->fuel) {
    fprintf(stderr, "wrun: --fuel is not supported with --aot (compiled code does not count instructions)\n");
    return CLI_EXIT_USAGE;
  }
  wrun_store *s = wrun_store_new(&cfg);
  if (!s) {
    fprintf(stderr, "%s: out of memory creating the store\n", path);
    return CLI_EXIT_REJECTED;
  }
  wrun_error err;
  wc_arena arena = {0};
  wc_value *argv = NULL, res;
  int status = CLI_EXIT_OK;
  watchdog wd;
  watchdog_start(&wd, s, NULL, sb->timeout_ns);
  wc_instance *inst = wc_instantiate(s, c, NULL, &err);
  if (!inst) {
    if (err.kind == WRUN_ERR_LINK) {
      fprintf(stderr, "%s: link error: %s\n", path, err.message);
      status = CLI_EXIT_REJECTED;
    } else if (err.kind == WRUN_ERR_TRAP || err.kind == WRUN_ERR_EXHAUSTION) {
      fprintf(stderr, "%s: wasm trap: %s%s\n", path, err.message, cli_trap_hint(wrun_store_trap_kind(s)));
      status = CLI_EXIT_TRAP;
    } else {
      char buf[600];
      fprintf(stderr, "%s\n", wrun_error_format(&err, path, buf, sizeof buf));
      status = CLI_EXIT_REJECTED;
    }
    goto done;
  }
  uint32_t ft = wc_instance_func_type(inst, name);
  if (ft == WC_NONE) {
    fprintf(stderr, "%s: error: no exported function \"%s\"\n", path, name);
    status = CLI_EXIT_REJECTED;
    goto done;
  }
  const wc_type *t = wc_type_at(c, ft);
  if ((uint32_t)nargs != t->nitems) {
    fprintf(stderr, "%s: error: \"%s\" takes %u argument(s), %d given\n", path, name, t->nitems, nargs);
    status = CLI_EXIT_USAGE;
    goto done;
  }
  argv = calloc((size_t)nargs + 1, sizeof *argv);
  if (!argv) {
    fprintf(stderr, "%s: out of memory\n", path);
    status = CLI_EXIT_REJECTED;
    goto done;
  }
  for (int i = 0; i < nargs; i++)
    if (!parse_arg(c, t->items[i].type, args[i], &argv[i])) {
      fprintf(stderr, "%s: error: argument %d \"%s\" is not a valid value for parameter %.*s (for now only integers, "
              "floats, bools, chars and strings can be given)\n", path, i + 1, args[i], (int)t->items[i].name.len,
              t->items[i].name.ptr);
      status = CLI_EXIT_USAGE;
      goto done;
    }
  if (!wc_instance_call(inst, name, argv, (uint32_t)nargs, &res, t->has_result ? 1 : 0, &arena, &err)) {
    bool trap = err.kind == WRUN_ERR_TRAP || err.kind == WRUN_ERR_EXHAUSTION;
    fprintf(stderr, "%s: %s: %s%s\n", path, trap ? "wasm trap" : wrun_error_kind_name(err.kind), err.message,
            trap ? cli_trap_hint(wrun_store_trap_kind(s)) : "");
    status = trap ? CLI_EXIT_TRAP : CLI_EXIT_REJECTED;
    goto done;
  }
  if (t->has_result) {
    print_value(stdout, c, t->result, &res);
    fputc('\n', stdout);
  }
done:
  watchdog_stop(&wd);
  fflush(stdout);
  free(argv);
  wc_arena_free(&arena);
  wc_instance_free(inst);
  wrun_store_free(s);
  return status;
}

int cli_run_component(const char *path, const char *name, int nargs, char **args, const cli_sandbox *sb) {
  wrun_error err;
  wrun_error_clear(&err);
  size_t len;
  uint8_t *bytes = wrun_read_file(path, &len, &err);
  if (!bytes) return -1; /* the module path reports it */
  if (!wc_is_component(bytes, len)) {
    free(bytes);
    return -1;
  }
  wc_component *c = wc_component_load(bytes, len, &err);
  free(bytes);
  if (!c) return -1; /* the module path prints the one-line rejection */
  int status = -1;
  if (name) status = invoke(path, c, name, nargs, args, sb);
  else if (exports_cli_run(c)) {
    fprintf(stderr, "%s: wasi:cli/run needs WASI 0.2, not implemented yet\n", path);
    status = CLI_EXIT_REJECTED;
  }
  wc_component_free(c);
  return status;
}
