/*
 * test_wasip2_imports.c — a host made for one component (wp2_add_imports:
 * only the interface families it imports, only the functions of the
 * interfaces it imports) links exactly as the full host (wp2_add_to_host):
 * every component under tests/component (and htypes/) is instantiated with
 * both, and both must succeed or fail with the same error message (kind,
 * offset and text: "is not provided", "does not have the host's type", a
 * version the host does not serve...).
 */
#include <dirent.h>
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>

#include <cmocka.h>

#include "runtime/runtime.h"
#include "wasip2/wasip2.h"

/* Larger components (the componentize-js handler) take seconds to
 * instantiate in the interpreter and import nothing the others do not. */
#define MAX_BYTES (1u << 20)

/* Instantiates `c` with a host set up by `full` (wp2_add_to_host) or not
 * (wp2_add_imports) and returns whether it linked, its error in *err, the
 * host's size (functions and resource types) in *size. */
static bool link_with(const wc_component *c, bool full, rt_error *err, uint32_t *size) {
  char *argv[] = {"test", NULL};
  wp2_ctx *p = wp2_new(&(wp2_config){.argc = 1, .argv = argv});
  wc_host *h = wc_host_new();
  rt_config cfg = {0};
  wrun_store *s = engine_store_new(&cfg);
  assert_true(p && h && s);
  assert_true(full ? wp2_add_to_host(p, h) : wp2_add_imports(p, h, c, 0));
  *size = wc_host_size(h);
  rt_error_clear(err);
  wc_instance *inst = wc_instantiate(s, c, h, err);
  bool ok = inst != NULL;
  wc_instance_free(inst);
  rt_store_free(s);
  wc_host_free(h);
  wp2_free(p);
  return ok;
}

/* Compares both hosts on every component in `dir`; returns how many. */
static unsigned compare_dir(const char *dir, unsigned *nlinked) {
  DIR *d = opendir(dir);
  assert_non_null(d);
  unsigned n = 0;
  for (struct dirent *e; (e = readdir(d)) != NULL;) {
    size_t len = strlen(e->d_name);
    if (len < 6 || strcmp(e->d_name + len - 5, ".wasm")) continue;
    char path[1024];
    snprintf(path, sizeof path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (stat(path, &st) || st.st_size > MAX_BYTES) continue;
    FILE *f = fopen(path, "rb");
    assert_non_null(f);
    uint8_t *buf = malloc((size_t)st.st_size + 1);
    assert_non_null(buf);
    size_t got = fread(buf, 1, (size_t)st.st_size, f);
    fclose(f);
    rt_error err;
    rt_error_clear(&err);
    wc_component *c = wc_is_component(buf, got) ? wc_component_load(buf, got, &err) : NULL;
    free(buf);
    if (!c) continue; /* a core module, or a component made to be refused by the loader */
    rt_error full, only;
    uint32_t nfull, nonly;
    bool ok_full = link_with(c, true, &full, &nfull), ok_only = link_with(c, false, &only, &nonly);
    /* never more than the full host; less unless it imports every family */
    if (nonly > nfull || (wp2_imported(c) != WP2_ALL && nonly >= nfull))
      fail_msg("%s: %u host entries for its imports, %u in the full host", path, nonly, nfull);
    if (ok_full != ok_only || strcmp(full.message, only.message) || full.kind != only.kind ||
        full.offset != only.offset)
      fail_msg("%s: full host %s \"%s\", imported only %s \"%s\"", path, ok_full ? "links" : "refuses", full.message,
               ok_only ? "links" : "refuses", only.message);
    *nlinked += ok_full;
    wc_component_free(c);
    n++;
  }
  closedir(d);
  return n;
}

static void test_same_links_as_full_host(void **state) {
  (void)state;
  unsigned linked = 0, n = compare_dir(WRUN_TEST_DATA "/../component", &linked);
  unsigned refused_before = n - linked;
  n += compare_dir(WRUN_TEST_DATA "/../component/htypes", &linked);
  /* both kinds are there: components that link, and ones each host refuses */
  assert_true(n >= 30);
  assert_true(linked >= 10);
  assert_true(refused_before >= 2 && n - linked > refused_before);
}

int main(void) {
  const struct CMUnitTest tests[] = {cmocka_unit_test(test_same_links_as_full_host)};
  return cmocka_run_group_tests(tests, NULL, NULL);
}
