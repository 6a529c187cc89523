/*
 * manifest.c — `wrun run -c wrun.yaml`: the run settings in a YAML file.
 *
 *   module: app.wasm            # relative to the manifest's directory
 *   args: [--verbose, input.txt]
 *   env: {LANG: C}              # or a list of NAME=VALUE strings
 *   inherit-env: false
 *   dirs:                       # HOST[::GUEST] strings, or maps
 *     - data::/
 *     - {host: ./out, guest: out, readonly: true}
 *   listen: [127.0.0.1:8080]    # sockets for sock_accept
 *   limits: {fuel: 1000000, timeout: 2s, max-memory: 64M, max-stack: 1M}
 *   allow-precompiled: false    # true: module may be a compiled artifact (trusted native code)
 *
 * Unknown keys and values of the wrong shape are errors reported with the
 * manifest's line:col, never ignored.
 */
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

static bool add_dir(mctx *c, const yaml_node_t *n) {
  const char *host = NULL, *guest = NULL;
  bool readonly = false;
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
  cli_manifest *m = c->out;
  wasi_preopen *d = realloc(m->dirs, (size_t)(m->ndirs + 1) * sizeof *d);
  bool ok = d != NULL;
  if (ok) {
    m->dirs = d;
    d[m->ndirs].host_path = relative_to(c, host);
    d[m->ndirs].guest_path = strdup(guest);
    d[m->ndirs].readonly = readonly;
    ok = d[m->ndirs].host_path && d[m->ndirs].guest_path;
    m->ndirs++;
  }
  free(tmp);
  return ok ? true : fail_at(c, n, "out of memory");
}

static bool limit(mctx *c, const yaml_node_t *k, const yaml_node_t *v) {
  const char *ks = scalar(k), *vs = scalar(v);
  uint64_t n;
  if (!vs) return fail_at(c, v, "limit values are scalars such as 64M or 2s");
  if (strcmp(ks, "timeout") == 0) {
    if (!cli_parse_duration(vs, &n) || !n) return fail_at(c, v, "timeout must be a duration such as 500ms or 2s");
    c->out->limits.timeout_ns = n;
  } else if (strcmp(ks, "fuel") == 0 || strcmp(ks, "max-memory") == 0 || strcmp(ks, "max-stack") == 0) {
    if (!cli_parse_size(vs, &n) || !n) return fail_at(c, v, "expected a positive number (suffixes K, M, G allowed)");
    if (strcmp(ks, "fuel") == 0) c->out->limits.fuel = n;
    else if (strcmp(ks, "max-memory") == 0) c->out->limits.max_memory = n;
    else {
      if (n < 4096 || n > UINT32_MAX) return fail_at(c, v, "max-stack must be between 4K and 4G");
      c->out->limits.max_stack = n;
    }
  } else {
    return fail_at(c, k, "unknown limit (expected fuel, timeout, max-memory or max-stack)");
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
  if (strcmp(ks, "env") == 0) {
    if (v->type == YAML_MAPPING_NODE) {
      for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++) {
        yaml_node_t *ek = yaml_document_get_node(c->doc, p->key), *ev = yaml_document_get_node(c->doc, p->value);
        if (!scalar(ek) || !scalar(ev) || strchr(scalar(ek), '=')) return fail_at(c, ek, "env maps NAME to a value");
        size_t n = strlen(scalar(ek)) + strlen(scalar(ev)) + 2;
        char *kv = malloc(n);
        if (!kv) return fail_at(c, ek, "out of memory");
        snprintf(kv, n, "%s=%s", scalar(ek), scalar(ev));
        bool ok = push_str(&m->env, &m->nenv, kv);
        free(kv);
        if (!ok) return fail_at(c, ek, "out of memory");
      }
      return true;
    }
    if (v->type == YAML_SEQUENCE_NODE) {
      for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
        yaml_node_t *e = yaml_document_get_node(c->doc, *i);
        if (!scalar(e) || !strchr(scalar(e), '=')) return fail_at(c, e, "env list entries are NAME=VALUE");
        if (!push_str(&m->env, &m->nenv, scalar(e))) return fail_at(c, e, "out of memory");
      }
      return true;
    }
    return fail_at(c, v, "env must be a map or a list of NAME=VALUE");
  }
  if (strcmp(ks, "inherit-env") == 0) {
    const char *s = scalar(v);
    if (!s || (strcmp(s, "true") != 0 && strcmp(s, "false") != 0)) return fail_at(c, v, "inherit-env must be true or false");
    m->inherit_env = strcmp(s, "true") == 0;
    return true;
  }
  if (strcmp(ks, "allow-precompiled") == 0) { /* as --allow-precompiled: docs/security.md */
    const char *s = scalar(v);
    if (!s || (strcmp(s, "true") != 0 && strcmp(s, "false") != 0))
      return fail_at(c, v, "allow-precompiled must be true or false");
    m->allow_precompiled = strcmp(s, "true") == 0;
    return true;
  }
  if (strcmp(ks, "dirs") == 0) {
    if (v->type != YAML_SEQUENCE_NODE) return fail_at(c, v, "dirs must be a list");
    for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++)
      if (!add_dir(c, yaml_document_get_node(c->doc, *i))) return false;
    return true;
  }
  if (strcmp(ks, "listen") == 0) {
    if (v->type != YAML_SEQUENCE_NODE) return fail_at(c, v, "listen must be a list of ADDR:PORT");
    for (yaml_node_item_t *i = v->data.sequence.items.start; i < v->data.sequence.items.top; i++) {
      yaml_node_t *e = yaml_document_get_node(c->doc, *i);
      if (!scalar(e) || !strchr(scalar(e), ':')) return fail_at(c, e, "listen entries are ADDR:PORT");
      if (!push_str(&m->listen, &m->nlisten, scalar(e))) return fail_at(c, e, "out of memory");
    }
    return true;
  }
  if (strcmp(ks, "limits") == 0) {
    if (v->type != YAML_MAPPING_NODE) return fail_at(c, v, "limits must be a map");
    for (yaml_node_pair_t *p = v->data.mapping.pairs.start; p < v->data.mapping.pairs.top; p++)
      if (!limit(c, yaml_document_get_node(c->doc, p->key), yaml_document_get_node(c->doc, p->value))) return false;
    return true;
  }
  return fail_at(c, k, "unknown key (expected module, args, env, inherit-env, dirs, listen, limits or "
                 "allow-precompiled)");
}

bool cli_manifest_load(const char *path, cli_manifest *out) {
  memset(out, 0, sizeof *out);
  FILE *f = fopen(path, "rb");
  if (!f) {
    fprintf(stderr, "%s: i/o error: cannot open the manifest\n", path);
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
  for (int i = 0; i < m->nenv; i++) free(m->env[i]);
  free(m->env);
  for (int i = 0; i < m->nlisten; i++) free(m->listen[i]);
  free(m->listen);
  for (int i = 0; i < m->ndirs; i++) {
    free((char *)m->dirs[i].host_path);
    free((char *)m->dirs[i].guest_path);
  }
  free(m->dirs);
  memset(m, 0, sizeof *m);
}
