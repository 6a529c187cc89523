/*
 * manifest.c — `wrun run -c wrun.yaml`: the run settings in a YAML file.
 *
 *   module: app.wasm            # relative to the manifest's directory
 *   args: [--verbose, input.txt]
 *   env: {LANG: C}              # or a list of NAME=VALUE (or NAME) strings
 *   inherit-env: false
 *   dirs:                       # HOST[::GUEST] strings, or maps
 *     - data::/
 *     - {host: ./out, guest: out, readonly: true}
 *   dirs-ro: [docs]
 *   listen: [127.0.0.1:8080]    # sockets for sock_accept
 *   allow-connect: [127.0.0.1:8000-8100]   # components' wasi:sockets
 *   allow-bind: ["[::1]:0"]
 *   allow-lookup: true
 *   limits: {fuel: 1000000, timeout: 2s, max-memory: 64M, max-stack: 1M}
 *   aot: true                   # also invoke, no-cache, allow-precompiled
 *   serve: {addr: 127.0.0.1:8080, workers: 2, upstream: http://127.0.0.1:9000,
 *           guest-config: conf.json}   # `wrun serve -c`; guest-config, tls-cert and
 *                                      # tls-key are relative to the manifest's directory
 *
 * Apart from module and args, the keys are those of the option table
 * (options.c: a row's manifest key, "limits.X" for X under limits, "serve.X"
 * under serve) and their
 * values are parsed as the option's argument. Unknown keys and values of the
 * wrong shape are errors reported with the manifest's line:col, never ignored.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <yaml.h>

#include "cli/manifest.h"

typedef struct mctx {
  const char *path;
  yaml_document_t *doc;
  cli_manifest *out;
  char *dir;                     /* the manifest's directory, for relative paths */
} mctx;

static bool fail_at(mctx *c, const yaml_node_t *n, const char *what) {
  fprintf(stderr, "%s:%zu:%zu: manifest error: %s\n", c->path, n ? n->start_mark.line + 1 : 0,
          n ? n->start_mark.column + 1 : 0, what);
  return false;
}

static const char *scalar(const yaml_node_t *n) {
  return n && n->type == YAML_SCALAR_NODE ? (const char *)n->data.scalar.value : NULL;
}

static char *relative_to(const mctx *c, const char *p) {
  if (p[0] == '/' || !c->dir[0]) return strdup(p);
  size_t n = strlen(c->dir) + strlen(p) + 2;
  char *s = malloc(n);
  if (s) snprintf(s, n, "%s/%s", c->dir, p);
  return s;
}

static bool push_str(char ***v, int *n, const char *s) {
  char **nv = realloc(*v, (size_t)(*n + 1) * sizeof *nv);
  if (!nv) return false;
  *v = nv;
  if (!(nv[*n] = strdup(s))) return false;
  (*n)++;
  return true;
}

static bool add_dir(mctx *c, const yaml_node_t *n, bool readonly) {
  const char *host = NULL, *guest = NULL;
  const char *s = scalar(n);
  char *tmp = NULL;
  if (s) {
    tmp = strdup(s);
    if (!tmp) return fail_at(c, n, "out of memory");
    char *sep = strstr(tmp, "::");
    host = tmp;
    guest = tmp;
    if (sep) {
      *sep = 0;
      guest = sep + 2;
    }
  } else if (n->type == YAML_MAPPING_NODE) {
    for (yaml_node_pair_t *p = n->data.mapping.pairs.start; p < n->data.mapping.pairs.top; p++) {
      yaml_node_t *k = yaml_document_get_node(c->doc, p->key), *v = yaml_document_get_node(c->doc, p->value);
      const char *ks = scalar(k), *vs = scalar(v);
      if (!ks || !vs) return fail_at(c, k, "dirs entries map host/guest/readonly to plain values");
      if (strcmp(ks, "host") == 0) host = vs;
      else if (strcmp(ks, "guest") == 0) guest = vs;
      else if (strcmp(ks, "readonly") == 0) {
        if (strcmp(vs, "true") == 0) readonly = true;
        else if (strcmp(vs, "false") != 0) return fail_at(c, v, "readonly must be true or false");
      } else {
        return fail_at(c, k, "unknown key in a dirs entry (expected host, guest or readonly)");
      }
    }
    if (!host) return fail_at(c, n, "a dirs entry needs a host directory");
    if (!guest) guest = host;
  } else {
    return fail_at(c, n, "a dirs entry is HOST[::GUEST] or {host, guest, readonly}");
  }
  if (!*host || !*guest) {
    free(tmp);
    return fail_at(c, n, "a dirs entry needs non-empty HOST and GUEST names");
  }
  char *hp = relative_to(c, host);
  bool ok = hp && cli_sandbox_add_dir(&c->out->opts.sb, hp, guest, readonly);
  free(hp);
  free(tmp);
  return ok ? true : fail_at(c, n, "out of memory");
}

/* A scalar value for row `opt`, parsed as on the command line. */
static bool set_scalar(mctx *c, const cli_option *opt, const yaml_node_t *v) {
  const char *vs = scalar(v), *why;
  if (!vs) return fail_at(c, v, "expected a plain value");
  cli_manifest *m = c->out;
  if (opt->kind == CLI_ARG_STRING) { /* kept alive by the manifest */
    char *copy = strdup(vs);
    char **ns = copy ? realloc(m->strings, (size_t)(m->nstrings + 1) * sizeof *ns) : NULL;
    if (!ns) {
      free(copy);
      return fail_at(c, v, "out of memory");
    }
    m->strings = ns;
    m->strings[m->nstrings++] = copy;
    vs = copy;
  }
  if (cli_option_set(opt, vs, &m->opts, &why)) return true;
  char msg[200];
  snprintf(msg, sizeof msg, "%s: expected %s", opt->manifest_key, why);
  return fail_at(c, v, msg);
}

/* The value of a row that collects a list (dirs, env, listen, allow-connect, allow-bind). */
static bool set_list(mctx *c, const cli_option *opt, const yaml_node_t *v) {
  cli_options *o = &c->out->opts;
  if (opt->kind == CLI_ARG_ENV && v->type == YAML_MAPPING_NODE) {
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
      yaml_node_t *ek = yaml_document_get_node(c->doc, p->key), *ev = yaml_document_get_node(c->doc, p->value);
      if (!scalar(ek) || !scalar(ev) || !*scalar(ek) || strchr(scalar(ek), '='))
        return fail_at(c, ek, "env maps NAME to a value");
      size_t n = strlen(scalar(ek)) + strlen(scalar(ev)) + 2;
      char *kv = malloc(n);
      if (!kv) return fail_at(c, ek, "out of memory");
      snprintf(kv, n, "%s=%s", scalar(ek), scalar(ev));
      bool ok = cli_sandbox_setenv(&o->sb, kv);
      free(kv);
      if (!ok) return fail_at(c, ek, "out of memory");
    }
    return true;
  }
  if (v->type != YAML_SEQUENCE_NODE) {
    char msg[120];
    snprintf(msg, sizeof msg, "%s must be a list%s", opt->manifest_key,
             opt->kind == CLI_ARG_ENV ? " of NAME=VALUE or a map" : "");
    return fail_at(c, v, msg);
  }
  for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
    yaml_node_t *e = yaml_document_get_node(c->doc, *i);
    bool ok = opt->kind == CLI_ARG_DIR || opt->kind == CLI_ARG_DIR_RO ? add_dir(c, e, opt->kind == CLI_ARG_DIR_RO)
                                                                        : set_scalar(c, opt, e);
    if (!ok) return false;
  }
  return true;
}

static bool set_option(mctx *c, const cli_option *opt, const yaml_node_t *v) {
  switch (opt->kind) {
  case CLI_ARG_DIR:
  case CLI_ARG_DIR_RO:
  case CLI_ARG_ENV:
  case CLI_ARG_ADDR:
  case CLI_ARG_NET: return set_list(c, opt, v);
  case CLI_ARG_ALLOW_HTTP: return set_list(c, opt, v);
  default: return set_scalar(c, opt, v);
  }
}

/* "unknown key 'x' (expected a, b, ...)" with the keys of the table under `prefix`. */
static bool unknown_key(mctx *c, const yaml_node_t *k, const char *prefix) {
  char msg[600];
  size_t plen = strlen(prefix);
  int n = snprintf(msg, sizeof msg, "unknown %s '%s' (expected %s",
                   !plen ? "key" : strcmp(prefix, "limits.") == 0 ? "limit" : "setting", scalar(k),
                   plen ? "" : "module, args, limits, serve");
  bool first = plen != 0;
  for (size_t i = 0; i < cli_noptions && n > 0 && (size_t)n < sizeof msg; i++) {
    const char *key = cli_option_table[i].manifest_key;
    if (!key || strncmp(key, prefix, plen) != 0 || (!plen && strchr(key, '.'))) continue;
    n += snprintf(msg + n, sizeof msg - (size_t)n, "%s%s", first ? "" : ", ", key + plen);
    first = false;
  }
  if (n > 0 && (size_t)n < sizeof msg) snprintf(msg + n, sizeof msg - (size_t)n, ")");
  return fail_at(c, k, msg);
}

/* A section of scalar settings: limits (SECTION "limits") or serve. */
static bool section(mctx *c, const yaml_node_t *v, const char *name) {
  char prefix[32];
  snprintf(prefix, sizeof prefix, "%s.", name);
  if (v->type != YAML_MAPPING_NODE) {
    char msg[80];
    snprintf(msg, sizeof msg, "%s must be a map", name);
    return fail_at(c, v, msg);
  }
  for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
    yaml_node_t *k = yaml_document_get_node(c->doc, p->key), *lv = yaml_document_get_node(c->doc, p->value);
    if (!scalar(k)) return fail_at(c, k, "keys must be plain words");
    char key[80];
    snprintf(key, sizeof key, "%s%s", prefix, scalar(k));
    const cli_option *opt = cli_option_for_key(key);
    if (!opt) return unknown_key(c, k, prefix);
    bool is_file = strcmp(key, "serve.guest-config") == 0 || strcmp(key, "serve.tls-cert") == 0 ||
                   strcmp(key, "serve.tls-key") == 0;
    if (is_file && scalar(lv)) { /* a file beside the manifest */
      char *path = relative_to(c, scalar(lv));
      if (!path) return fail_at(c, lv, "out of memory");
      yaml_node_t copy = *lv;
      copy.data.scalar.value = (yaml_char_t *)path;
      bool ok = set_scalar(c, opt, &copy);
      free(path);
      if (!ok) return false;
      continue;
    }
    if (!set_scalar(c, opt, lv)) return false;
  }
  return true;
}

static bool top_key(mctx *c, const yaml_node_t *k, const yaml_node_t *v) {
  const char *ks = scalar(k);
  cli_manifest *m = c->out;
  if (!ks) return fail_at(c, k, "keys must be plain words");
  if (strcmp(ks, "module") == 0) {
    if (!scalar(v)) return fail_at(c, v, "module must be a path");
    free(m->module);
    m->module = relative_to(c, scalar(v));
    return m->module ? true : fail_at(c, v, "out of memory");
  }
  if (strcmp(ks, "args") == 0) {
    if (v->type != YAML_SEQUENCE_NODE) return fail_at(c, v, "args must be a list");
    for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
      yaml_node_t *e = yaml_document_get_node(c->doc, *i);
      if (!scalar(e)) return fail_at(c, e, "each argument must be a string");
      if (!push_str(&m->args, &m->nargs, scalar(e))) return fail_at(c, e, "out of memory");
    }
    return true;
  }
  if (strcmp(ks, "limits") == 0) return section(c, v, "limits");
  if (strcmp(ks, "serve") == 0) return section(c, v, "serve");
  const cli_option *opt = strchr(ks, '.') ? NULL : cli_option_for_key(ks);
  if (!opt) return unknown_key(c, k, "");
  return set_option(c, opt, v);
}

bool cli_manifest_load(const char *path, cli_manifest *out) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: i/o error: cannot open the manifest: %s\n", path, strerror(errno));
    return false;
  }
  yaml_parser_t parser;
  yaml_document_t doc;
  yaml_parser_initialize(&parser);
  yaml_parser_set_input_file(&parser, f);
  bool ok = yaml_parser_load(&parser, &doc) != 0;
  if (!ok) {
    fprintf(stderr, "%s:%zu:%zu: manifest error: %s\n", path, parser.problem_mark.line + 1,
            parser.problem_mark.column + 1, parser.problem ? parser.problem : "malformed YAML");
  } else {
    char *slash = strrchr(path, '/');
    mctx c = {path, &doc, out, strndup(path, slash ? (size_t)(slash - path) : 0)};
    yaml_node_t *root = yaml_document_get_root_node(&doc);
    if (!c.dir) ok = fail_at(&c, root, "out of memory");
    else if (!root || root->type != YAML_MAPPING_NODE) ok = fail_at(&c, root, "the manifest must be a map of settings");
    else
      for (yaml_node_pair_t *p = root->data.mapping.pairs.start; ok && p < root->data.mapping.pairs.top; p++)
        ok = top_key(&c, yaml_document_get_node(&doc, p->key), yaml_document_get_node(&doc, p->value));
    if (ok && !out->module) ok = fail_at(&c, root, "missing key: module");
    free(c.dir);
    yaml_document_delete(&doc);
  }
  yaml_parser_delete(&parser);
  fclose(f);
  if (!ok) cli_manifest_free(out);
  return ok;
}

void cli_manifest_free(cli_manifest *m) {
  free(m->module);
  for (int i = 0; i < m->nargs; i++) free(m->args[i]);
  free(m->args);
  cli_options_free(&m->opts);
  for (int i = 0; i < m->nstrings; i++) free(m->strings[i]);
  free(m->strings);
  memset(m, 0, sizeof *m);
}
