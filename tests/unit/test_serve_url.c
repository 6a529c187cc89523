/* test_serve_url.c — serve_url_parse, the parser of `wrun serve --upstream`:
 * the accepted forms give the right host, port and path prefix; everything
 * else (other schemes, userinfo, queries, fragments, bad ports, empty hosts,
 * unterminated brackets, control characters, overlong parts) is refused with
 * a reason. */
#include <setjmp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <string.h>
#include <cmocka.h>

#include "serve/serve.h"

static void parses(const char *s, const char *host, unsigned port, const char *prefix) {
  serve_url u;
  const char *why = NULL;
  if (!serve_url_parse(s, strlen(s), &u, &why)) print_error("refused %s: %s\n", s, why);
  assert_true(serve_url_parse(s, strlen(s), &u, &why));
  assert_string_equal(u.host, host);
  assert_int_equal(u.port, port);
  assert_string_equal(u.prefix, prefix);
}

static void refuses(const char *s) {
  serve_url u;
  const char *why = NULL;
  if (serve_url_parse(s, strlen(s), &u, &why)) print_error("accepted %s\n", s);
  assert_false(serve_url_parse(s, strlen(s), &u, &why));
  assert_non_null(why);
  assert_true(why[0] != 0);
}

static void accepted_forms(void **state) {
  (void)state;
  parses("http://127.0.0.1:8080", "127.0.0.1", 8080, "");
  parses("http://localhost", "localhost", 80, "");
  parses("HTTP://example.com/", "example.com", 80, "");
  parses("http://example.com/api/v1/", "example.com", 80, "/api/v1");
  parses("http://[::1]:9000/base", "::1", 9000, "/base");
  parses("http://up-stream_1.local:65535", "up-stream_1.local", 65535, "");
  /* the length given wins over a NUL or more text after it */
  serve_url u;
  const char *why;
  assert_true(serve_url_parse("http://a:1/xyz", 12, &u, &why));
  assert_string_equal(u.host, "a");
  assert_int_equal(u.port, 1);
  assert_string_equal(u.prefix, "/x");
}

static void refused_forms(void **state) {
  (void)state;
  refuses("");
  refuses("https://example.com");
  refuses("ftp://x");
  refuses("http://");
  refuses("http:///path");
  refuses("http://user@host");
  refuses("http://host:0");
  refuses("http://host:65536");
  refuses("http://host:");
  refuses("http://host:80x");
  refuses("http://host:99999999999999999999");
  refuses("http://[::1");
  refuses("http://[::1]00:90/base/"); /* found by fuzz_serve_url: text after ] */
  refuses("http://[::1]x");
  refuses("http://host/a?b=c");
  refuses("http://host/a#frag");
  refuses("http://host/a b");
  refuses("http://host/a\r\nX: y");
  char long_host[400] = "http://";
  memset(long_host + 7, 'a', 300);
  long_host[307] = 0;
  refuses(long_host);
  char long_path[700] = "http://h/";
  memset(long_path + 9, 'p', 600);
  long_path[609] = 0;
  refuses(long_path);
}

int main(void) {
  const struct CMUnitTest tests[] = {
    cmocka_unit_test(accepted_forms),
    cmocka_unit_test(refused_forms),
  };
  return cmocka_run_group_tests(tests, NULL, NULL);
}
