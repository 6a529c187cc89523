/*
 * allow_http.c — `--allow-http DEST` (and the manifest's `allow-http:` list):
 * the destinations a component's wasi:http/outgoing-handler may reach
 * (syntax and matching in wasip2/http.h; nothing is allowed by default). Kept
 * apart from options.c, which only routes the option here.
 */
#include <stdlib.h>
#include <string.h>

#include "cli/cli.h"
#include "wasip2/http.h"

bool cli_allow_http_add(cli_sandbox *sb, const char *spec, const char **why, bool *oom) {
  static char err[300];
  *oom = false;
  if (!wp2_http_allow_check(spec, err, sizeof err)) {
    *why = "HOST[:PORT], ADDR[/PREFIX][:PORT], [V6[/PREFIX]][:PORT] or *";
    return false;
  }
  char *copy = strdup(spec);
  char **v = copy ? realloc(sb->allow_http, (size_t)(sb->nallow_http + 1) * sizeof *v) : NULL;
  if (!v) {
    free(copy);
    *oom = true;
    return false;
  }
  sb->allow_http = v;
  v[sb->nallow_http++] = copy;
  return true;
}

bool cli_allow_http_merge(cli_sandbox *to, cli_sandbox *from) {
  if (!from->nallow_http) return true;
  char **v = malloc((size_t)(from->nallow_http + to->nallow_http) * sizeof *v);
  if (!v) return false;
  memcpy(v, from->allow_http, (size_t)from->nallow_http * sizeof *v);
  if (to->nallow_http) memcpy(v + from->nallow_http, to->allow_http, (size_t)to->nallow_http * sizeof *v);
  free(to->allow_http);
  free(from->allow_http);
  to->allow_http = v;
  to->nallow_http += from->nallow_http;
  from->allow_http = NULL;
  from->nallow_http = 0;
  return true;
}

void cli_allow_http_free(cli_sandbox *sb) {
  for (int i = 0; i < sb->nallow_http; i++) free(sb->allow_http[i]);
  free(sb->allow_http);
  sb->allow_http = NULL;
  sb->nallow_http = 0;
}

bool cli_allow_http_apply(const cli_sandbox *sb, struct wp2_ctx *p, const char *path) {
  for (int i = 0; i < sb->nallow_http; i++) {
    char err[300];
    if (!wp2_http_allow(p, sb->allow_http[i], err, sizeof err)) {
      fprintf(stderr, "%s: %s\n", path, err);
      return false;
    }
  }
  return true;
}
