/*
 * spec.c — reads a bundle's config.json (OCI runtime spec) with jansson into
 * shim_spec (spec.h). Only what a guest can use is kept; a field of the wrong
 * type is an error naming it, never ignored silently. Also the directory a
 * linux.cgroupsPath names (plain or systemd's slice:prefix:name).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <jansson.h>

#include "shim/spec.h"

static bool fail(char *err, size_t errlen, const char *path, const char *what) {
  snprintf(err, errlen, "%s: %s", path, what);
  return false;
}

/* Copies a JSON array of strings into a NULL-terminated vector. */
static bool string_array(json_t *a, char ***out, int *n) {
  *out = NULL;
  *n = 0;
  if (!a) return true;
  if (!json_is_array(a)) return false;
  size_t len = json_array_size(a);
  char **v = calloc(len + 1, sizeof *v);
  if (!v) return false;
  for (size_t i = 0; i < len; i++) {
    json_t *e = json_array_get(a, i);
    if (!json_is_string(e) || !(v[i] = strdup(json_string_value(e)))) {
      for (size_t j = 0; j < i; j++) free(v[j]);
      free(v);
      return false;
    }
  }
  *out = v;
  *n = (int)len;
  return true;
}

bool shim_parse_duration(const char *text, uint64_t *ns) {
  char *end;
  errno = 0;
  double v = strtod(text, &end);
  if (errno || end == text || !(v >= 0)) return false;
  double mul = 1e9;
  if (strcmp(end, "ms") == 0) mul = 1e6;
  else if (strcmp(end, "us") == 0) mul = 1e3;
  else if (strcmp(end, "m") == 0) mul = 60e9;
  else if (*end && strcmp(end, "s") != 0) return false;
  if (v * mul > 9e18) return false;
  *ns = (uint64_t)(v * mul);
  return true;
}

static bool has_option(json_t *opts, const char *name) {
  size_t i;
  json_t *o;
  json_array_foreach(opts, i, o) if (json_is_string(o) && strcmp(json_string_value(o), name) == 0) return true;
  return false;
}

/* Bind mounts of directories become preopens; everything else is skipped. */
static bool read_mounts(json_t *mounts, shim_spec *s) {
  if (!mounts) return true;
  if (!json_is_array(mounts)) return false;
  s->mounts = calloc(json_array_size(mounts) + 1, sizeof *s->mounts);
  if (!s->mounts) return false;
  size_t i;
  json_t *m;
  json_array_foreach(mounts, i, m) {
    if (!json_is_object(m)) return false;
    const char *type = json_string_value(json_object_get(m, "type"));
    const char *src = json_string_value(json_object_get(m, "source"));
    const char *dst = json_string_value(json_object_get(m, "destination"));
    json_t *opts = json_object_get(m, "options");
    bool bind = (type && strcmp(type, "bind") == 0) || (opts && (has_option(opts, "bind") || has_option(opts, "rbind")));
    struct stat st;
    if (!bind || !src || !dst || dst[0] != '/' || stat(src, &st) != 0 || !S_ISDIR(st.st_mode)) continue;
    shim_mount *sm = &s->mounts[s->nmounts];
    sm->source = strdup(src);
    sm->destination = strdup(dst);
    sm->readonly = opts && has_option(opts, "ro");
    s->nmounts++;
    if (!sm->source || !sm->destination) return false;
  }
  return true;
}

/* linux.resources.GROUP.KEY as an integer (0 when absent); a value of
 * another type is an error naming the field. */
static bool resource(json_t *res, const char *group, const char *key, json_int_t *v, char *err, size_t errlen,
                     const char *path) {
  json_t *j = json_object_get(json_object_get(res, group), key);
  *v = 0;
  if (!j || json_is_null(j)) return true;
  if (!json_is_integer(j)) {
    char what[96];
    snprintf(what, sizeof what, "linux.resources.%s.%s must be an integer", group, key);
    return fail(err, errlen, path, what);
  }
  *v = json_integer_value(j);
  return true;
}

bool shim_spec_load(const char *path, shim_spec *s, char *err, size_t errlen) {
  memset(s, 0, sizeof *s);
  json_error_t je;
  json_t *root = json_load_file(path, 0, &je);
  if (!root) {
    snprintf(err, errlen, "%s:%d:%d: %s", path, je.line, je.column, je.text);
    return false;
  }
  bool ok = false;
  json_t *proc = json_object_get(root, "process");
  if (!json_is_object(root) || !json_is_object(proc)) {
    fail(err, errlen, path, "no \"process\" object");
    goto out;
  }
  if (!string_array(json_object_get(proc, "args"), &s->args, &s->nargs) || s->nargs == 0) {
    fail(err, errlen, path, "process.args must be a non-empty array of strings (args[0] is the .wasm file)");
    goto out;
  }
  if (!string_array(json_object_get(proc, "env"), &s->env, &s->nenv)) {
    fail(err, errlen, path, "process.env must be an array of strings");
    goto out;
  }
  json_t *cwd = json_object_get(proc, "cwd");
  if (cwd && !json_is_string(cwd)) {
    fail(err, errlen, path, "process.cwd must be a string");
    goto out;
  }
  s->cwd = strdup(cwd ? json_string_value(cwd) : "/");
  json_t *r = json_object_get(root, "root");
  const char *rp = json_string_value(json_object_get(r, "path"));
  s->root = strdup(rp ? rp : "rootfs");
  s->root_readonly = json_is_true(json_object_get(r, "readonly"));
  if (!s->cwd || !s->root) {
    fail(err, errlen, path, "out of memory");
    goto out;
  }
  if (!read_mounts(json_object_get(root, "mounts"), s)) {
    fail(err, errlen, path, "mounts must be an array of objects");
    goto out;
  }
  json_t *linux_ = json_object_get(root, "linux");
  json_t *res = json_object_get(linux_, "resources");
  json_int_t v;
  if (!resource(res, "memory", "limit", &v, err, errlen, path)) goto out;
  s->memory_limit = v > 0 ? (uint64_t)v : 0; /* -1: unlimited */
  if (!resource(res, "cpu", "quota", &v, err, errlen, path)) goto out;
  s->cpu_quota = v > 0 ? v : 0;
  if (!resource(res, "cpu", "period", &v, err, errlen, path)) goto out;
  s->cpu_period = v > 0 ? (uint64_t)v : 0;
  if (!resource(res, "pids", "limit", &v, err, errlen, path)) goto out;
  s->pids_limit = v > 0 ? v : 0;
  json_t *cgpath = json_object_get(linux_, "cgroupsPath");
  if (cgpath && !json_is_string(cgpath)) {
    fail(err, errlen, path, "linux.cgroupsPath must be a string");
    goto out;
  }
  if (cgpath && *json_string_value(cgpath) && !(s->cgroups_path = strdup(json_string_value(cgpath)))) {
    fail(err, errlen, path, "out of memory");
    goto out;
  }
  json_t *ann = json_object_get(root, "annotations");
  const char *timeout = json_string_value(json_object_get(ann, "io.wrun.timeout"));
  if (timeout && !shim_parse_duration(timeout, &s->timeout_ns)) {
    fail(err, errlen, path, "annotation io.wrun.timeout is not a duration (like 5s or 250ms)");
    goto out;
  }
  const char *sandbox = json_string_value(json_object_get(ann, "io.kubernetes.cri.sandbox-id"));
  if (sandbox && !(s->sandbox_id = strdup(sandbox))) {
    fail(err, errlen, path, "out of memory");
    goto out;
  }
  const char *layout = json_string_value(json_object_get(ann, "io.wrun.oci-layout"));
  if (layout && !(s->oci_layout = strdup(layout))) {
    fail(err, errlen, path, "out of memory");
    goto out;
  }
  const char *addr = json_string_value(json_object_get(ann, "io.wrun.serve-addr"));
  for (int e = 0; !addr && e < s->nenv; e++)
    if (strncmp(s->env[e], "WRUN_SERVE_ADDR=", 16) == 0) addr = s->env[e] + 16;
  if (!(s->serve_addr = strdup(addr && *addr ? addr : SHIM_SERVE_DEFAULT_ADDR))) {
    fail(err, errlen, path, "out of memory");
    goto out;
  }
  const char *ctype = json_string_value(json_object_get(ann, "io.kubernetes.cri.container-type"));
  s->pod_sandbox = ctype && strcmp(ctype, "sandbox") == 0;
  size_t i;
  json_t *ns;
  json_array_foreach(json_object_get(json_object_get(root, "linux"), "namespaces"), i, ns) {
    const char *type = json_string_value(json_object_get(ns, "type"));
    const char *nspath = json_string_value(json_object_get(ns, "path"));
    if (type && nspath && *nspath && strcmp(type, "network") == 0 && !s->netns && !(s->netns = strdup(nspath))) {
      fail(err, errlen, path, "out of memory");
      goto out;
    }
  }
  ok = true;
out:
  json_decref(root);
  if (!ok) shim_spec_free(s);
  return ok;
}

void shim_spec_free(shim_spec *s) {
  for (int i = 0; i < s->nargs; i++) free(s->args[i]);
  free(s->args);
  for (int i = 0; i < s->nenv; i++) free(s->env[i]);
  free(s->env);
  for (int i = 0; i < s->nmounts; i++) {
    free(s->mounts[i].source);
    free(s->mounts[i].destination);
  }
  free(s->mounts);
  free(s->cwd);
  free(s->root);
  free(s->sandbox_id);
  free(s->netns);
  free(s->oci_layout);
  free(s->cgroups_path);
  free(s->serve_addr);
  memset(s, 0, sizeof *s);
}

/* ---- linux.cgroupsPath ------------------------------------------------------------- */

/* A path component that cannot climb out of the hierarchy or hide in it. */
static bool safe_component(const char *p, size_t n) {
  return n > 0 && !(n == 1 && p[0] == '.') && !(n == 2 && p[0] == '.' && p[1] == '.');
}

/* systemd's slice "a-b-c.slice" is the directory a.slice/a-b.slice/a-b-c.slice. */
static bool expand_slice(const char *slice, size_t n, char *out, size_t outlen) {
  const size_t suffix = strlen(".slice");
  if (n <= suffix || memcmp(slice + n - suffix, ".slice", suffix) != 0 || memchr(slice, '/', n)) return false;
  size_t stem = n - suffix, used = 0;
  if (stem == 1 && slice[0] == '-') return true; /* "-.slice": the root slice */
  for (size_t i = 0; i <= stem; i++) {
    if (i < stem && slice[i] != '-') continue;
    if (i == 0 || slice[i - 1] == '-') return false; /* leading or doubled dash */
    int w = snprintf(out + used, outlen - used, "/%.*s.slice", (int)i, slice);
    if (w < 0 || (size_t)w >= outlen - used) return false;
    used += (size_t)w;
  }
  return true;
}

bool shim_cgroup_dir(const char *root, const char *path, char *out, size_t outlen, char *err, size_t errlen) {
  const char *c1 = path[0] != '/' ? strchr(path, ':') : NULL;
  const char *c2 = c1 ? strchr(c1 + 1, ':') : NULL;
  if (c2) { /* systemd: "slice:prefix:name" */
    const char *name = c2 + 1;
    char slice[2048] = "";
    size_t sn = (size_t)(c1 - path);
    /* the prefix joins the name in one unit name: no '/' (which would let
     * ".." components climb out of the hierarchy) */
    bool ok = strchr(name, ':') == NULL && strchr(name, '/') == NULL && *name &&
              memchr(c1 + 1, '/', (size_t)(c2 - c1 - 1)) == NULL &&
              (sn == 0 ? expand_slice("system.slice", 12, slice, sizeof slice)
                       : expand_slice(path, sn, slice, sizeof slice));
    int prefix = (int)(c2 - c1 - 1);
    size_t nl = strlen(name);
    int w = !ok ? -1
            : nl > 6 && strcmp(name + nl - 6, ".slice") == 0 ? snprintf(out, outlen, "%s%s/%s", root, slice, name)
            : prefix ? snprintf(out, outlen, "%s%s/%.*s-%s.scope", root, slice, prefix, c1 + 1, name)
                     : snprintf(out, outlen, "%s%s/%s.scope", root, slice, name);
    if (w < 0 || (size_t)w >= outlen) {
      snprintf(err, errlen, "linux.cgroupsPath \"%.200s\": not a systemd slice:prefix:name", path);
      return false;
    }
    return true;
  }
  /* a plain path, below the hierarchy's root whether it starts with / or not;
   * at least one component ("//" is the root itself: the task would join the
   * root cgroup, where no limit can be set) */
  size_t components = 0;
  for (const char *p = path; *p;) {
    while (*p == '/') p++;
    size_t n = strcspn(p, "/");
    if (*p && !safe_component(p, n)) {
      snprintf(err, errlen, "linux.cgroupsPath \"%.200s\": . and .. are not allowed", path);
      return false;
    }
    components += n > 0;
    p += n;
  }
  int w = snprintf(out, outlen, "%s/%s", root, path[0] == '/' ? path + 1 : path);
  if (w < 0 || (size_t)w >= outlen || components == 0) {
    snprintf(err, errlen, "linux.cgroupsPath \"%.200s\": not a cgroup below the root", path);
    return false;
  }
  return true;
}
