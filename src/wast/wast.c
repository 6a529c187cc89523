/*
 * wast.c — runs WebAssembly spec scripts (.wast).
 *
 * Every top-level command of a script is one assertion and counts as passed,
 * failed or skipped. Module commands go through the same path as `wrun` does
 * for files (text -> binary -> decoder -> validator), so a script exercises
 * exactly what users run. assert_malformed and assert_invalid are kind-exact:
 * a module rejected in the wrong phase is a failure, and so is one accepted.
 *
 * Modules are instantiated in one store per script, with imports resolved
 * from registered instances and the `spectest` host module (spectest.c).
 * Values are compared bit-exactly, except the spec's nan:canonical and
 * nan:arithmetic patterns; traps must be traps and exhaustion exhaustion.
 */
#include <dirent.h>
#include <errno.h>
#include <stdlib.h>
#include <string.h>

#include "binary/module.h"
#include "common/file.h"
#include "text/text.h"
#include "valid/valid.h"
#include "runtime/runtime.h"
#include "wast/wast.h"
#include "wast/wast_internal.h"


void wast_report_failure(script *s, const sx_node *cmd, const char *what, const char *expected,
                           const char *got) {
  s->failed++;
  fprintf(stderr, "%s:%u:%u: %s failed: expected %s, got %s\n", s->path, cmd->line, cmd->col, what, expected,
          got);
}

void wast_skip(script *s, const sx_node *cmd, const char *why) {
  s->skipped++;
  const char *name = cmd->nitems && cmd->items[0].kind == SX_ATOM ? cmd->items[0].text : "command";
  fprintf(s->out, "%s:%u:%u: skipped %s: %s\n", s->path, cmd->line, cmd->col, name, why);
}

/* Text or binary of a (module ...) form to a validated module. Returns NULL and
 * fills err on rejection. */
wm_module *wast_load_module(const sx_node *form, rt_error *err) {
  uint8_t *bin = NULL;
  size_t len = 0;
  if (!wat_module_to_binary(form, &bin, &len, err)) return NULL;
  wm_module *m = wm_module_decode(bin, len, err);
  free(bin);
  if (m && !wm_module_validate(m, err)) {
    wm_module_free(m);
    m = NULL;
  }
  return m;
}

static bool is_module_form(const sx_node *n) {
  return n->kind == SX_LIST && n->nitems > 0 && sx_is_atom(&n->items[0], "module");
}

void wast_describe_error(const rt_error *e, char *buf, size_t size) {
  if (e->line)
    snprintf(buf, size, "%s error at %u:%u (%s)", rt_error_kind_name(e->kind), e->line, e->col, e->message);
  else if (e->offset != WRUN_NO_OFFSET)
    snprintf(buf, size, "%s error at 0x%llx (%s)", rt_error_kind_name(e->kind), (unsigned long long)e->offset,
             e->message);
  else
    snprintf(buf, size, "%s error (%s)", rt_error_kind_name(e->kind), e->message);
}


/* assert_malformed / assert_invalid: the module must be rejected in that phase. */
static void cmd_assert_rejected(script *s, const sx_node *cmd, rt_error_kind want, const char *name) {
  if (cmd->nitems < 2 || !is_module_form(&cmd->items[1])) {
    wast_report_failure(s, cmd, name, "(module ...) as the first argument", "something else");
    return;
  }
  const char *expected_msg = cmd->nitems > 2 && cmd->items[2].kind == SX_STRING ? cmd->items[2].text : "";
  size_t expected_len = cmd->nitems > 2 && cmd->items[2].kind == SX_STRING ? cmd->items[2].len : 0;
  rt_error err;
  rt_error_clear(&err);
  wm_module *m = wast_load_module(&cmd->items[1], &err);
  char expected[300];
  snprintf(expected, sizeof expected, "%s module (\"%.*s\")", rt_error_kind_name(want), (int)expected_len,
           expected_msg);
  if (m) {
    wm_module_free(m);
    wast_report_failure(s, cmd, name, expected, "a module that was accepted");
    return;
  }
  /* Implementation limits reject modules the spec calls malformed for the same reason. */
  if (err.kind != want && !(want == WRUN_ERR_MALFORMED && err.kind == WRUN_ERR_LIMIT)) {
    char got[400];
    wast_describe_error(&err, got, sizeof got);
    wast_report_failure(s, cmd, name, expected, got);
    return;
  }
  if (s->opt->verbose && expected_len && !strstr(err.message, expected_msg))
    fprintf(s->out, "%s:%u:%u: note: %s message differs: spec says \"%.*s\", wrun says \"%s\"\n", s->path,
            cmd->line, cmd->col, name, (int)expected_len, expected_msg, err.message);
  s->passed++;
}

static void run_command(script *s, const sx_node *cmd) {
  if (cmd->kind != SX_LIST || cmd->nitems == 0 || cmd->items[0].kind != SX_ATOM) {
    wast_report_failure(s, cmd, "script", "a command", "something else");
    return;
  }
  const sx_node *h = &cmd->items[0];
  if (sx_is_atom(h, "assert_malformed")) cmd_assert_rejected(s, cmd, WRUN_ERR_MALFORMED, "assert_malformed");
  else if (sx_is_atom(h, "assert_invalid")) cmd_assert_rejected(s, cmd, WRUN_ERR_INVALID, "assert_invalid");
  else if (wast_exec_command(s, cmd)) {
    /* module, register, invoke, get, assert_return/trap/exhaustion/unlinkable/uninstantiable */
  } else {
    char got[100];
    snprintf(got, sizeof got, "unknown command %.*s", (int)h->len, h->text);
    wast_report_failure(s, cmd, "script", "a spec script command", got);
  }
}

/* True if the script's first form is a module field rather than a command. */
static bool is_bare_module(const sx_node *root) {
  static const char *const fields[] = {"type", "import", "func", "table", "memory", "global",
                                       "export", "start", "elem", "data"};
  if (root->nitems == 0) return false;
  const sx_node *f = &root->items[0];
  if (f->kind != SX_LIST || f->nitems == 0) return false;
  for (size_t k = 0; k < sizeof fields / sizeof fields[0]; k++)
    if (sx_is_atom(&f->items[0], fields[k])) return true;
  return false;
}

bool wast_run_file(const char *path, const wast_options *opt, wast_totals *totals, FILE *out) {
  script s = {.path = path, .opt = opt, .out = out};
  if (!wast_exec_begin(&s)) {
    fprintf(stderr, "%s: cannot create a store\n", path);
    totals->failed++;
    return false;
  }
  size_t len;
  rt_error rerr;
  rt_error_clear(&rerr);
  char *src = (char *)rt_read_file(path, &len, &rerr);
  if (!src) {
    char buf[400];
    fprintf(stderr, "%s\n", rt_error_format(&rerr, path, buf, sizeof buf));
    wast_exec_end(&s);
    totals->failed++;
    return false;
  }
  sx_doc doc;
  rt_error err;
  rt_error_clear(&err);
  if (!sx_parse(src, len, &doc, &err)) {
    char buf[512];
    fprintf(stderr, "%s\n", rt_error_format(&err, path, buf, sizeof buf));
    free(src);
    wast_exec_end(&s);
    totals->failed++;
    return false;
  }
  if (is_bare_module(&doc.root)) {
    /* A script may be a module's fields alone: treat the file as one module. */
    sx_node module = doc.root, *items = malloc((doc.root.nitems + 1) * sizeof *items);
    if (items) {
      items[0] = (sx_node){.kind = SX_ATOM, .line = 1, .col = 1, .text = "module", .len = 6};
      if (doc.root.nitems) memcpy(items + 1, doc.root.items, doc.root.nitems * sizeof *items);
      module.items = items;
      module.nitems = doc.root.nitems + 1;
      wast_exec_command(&s, &module);
      free(items);
    } else {
      wast_report_failure(&s, &doc.root, "script", "memory", "out of memory");
    }
  } else {
    for (size_t i = 0; i < doc.root.nitems; i++) {
      run_command(&s, &doc.root.items[i]);
      if (opt->fail_fast && s.failed) break;
    }
  }
  wast_exec_end(&s);
  sx_doc_free(&doc);
  free(src);
  if (!opt->quiet) {
    fprintf(out, "%s: %llu passed, %llu failed, %llu skipped", path, (unsigned long long)s.passed,
            (unsigned long long)s.failed, (unsigned long long)s.skipped);
    fputc('\n', out);
  }
  totals->passed += s.passed;
  totals->failed += s.failed;
  totals->skipped += s.skipped;
  return s.failed == 0;
}

static int cmp_str(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static bool run_dir(const char *dir, const wast_options *opt, wast_totals *t, FILE *out) {
  DIR *d = opendir(dir);
  if (!d) {
    fprintf(stderr, "%s: io error: cannot open directory: %s\n", dir, strerror(errno));
    t->failed++;
    return false;
  }
  char **names = NULL;
  size_t n = 0, cap = 0;
  struct dirent *e;
  while ((e = readdir(d))) {
    size_t l = strlen(e->d_name);
    if (l < 6 || strcmp(e->d_name + l - 5, ".wast") != 0) continue;
    if (n == cap) {
      cap = cap ? cap * 2 : 64;
      char **nn = realloc(names, cap * sizeof *nn);
      if (!nn) break;
      names = nn;
    }
    size_t plen = strlen(dir) + l + 2;
    names[n] = malloc(plen);
    if (!names[n]) break;
    snprintf(names[n], plen, "%s/%s", dir, e->d_name);
    n++;
  }
  closedir(d);
  if (n) qsort(names, n, sizeof *names, cmp_str);
  bool ok = true;
  for (size_t i = 0; i < n; i++) {
    if (!(opt->fail_fast && !ok)) ok &= wast_run_file(names[i], opt, t, out);
    free(names[i]);
  }
  free(names);
  return ok;
}

int wast_run_paths(char **paths, int npaths, const wast_options *opt, FILE *out) {
  wast_totals t = {0};
  bool ok = true;
  for (int i = 0; i < npaths && (ok || !opt->fail_fast); i++) {
    DIR *d = opendir(paths[i]);
    if (d) {
      closedir(d);
      ok &= run_dir(paths[i], opt, &t, out);
    } else {
      ok &= wast_run_file(paths[i], opt, &t, out);
    }
  }
  fprintf(out, "%llu passed, %llu failed, %llu skipped\n", (unsigned long long)t.passed,
          (unsigned long long)t.failed, (unsigned long long)t.skipped);
  return ok && t.failed == 0 ? 0 : 1;
}
