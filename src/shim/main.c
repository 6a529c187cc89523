/*
 * main.c — containerd-shim-wrun-v2: the command line containerd uses for a
 * shim v2 (`-namespace NS -address ADDR -publish-binary BIN -id ID [-debug]
 * start|delete`, Go flag syntax: -flag value or -flag=value, one or two
 * dashes). Without a command it serves in the foreground on -socket PATH
 * (tests and debugging).
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/socket.h>
#include <sys/un.h>
#include <unistd.h>

#include "shim/shim.h"

static int usage(const char *why) {
  fprintf(stderr,
          "containerd-shim-wrun-v2: %s\n"
          "usage: containerd-shim-wrun-v2 -namespace NS -id ID [-address ADDR] [-publish-binary BIN]\n"
          "       [-bundle DIR] [-debug] start|delete\n"
          "       containerd-shim-wrun-v2 -namespace NS -socket PATH   (serve in the foreground)\n",
          why);
  return 2;
}

/* The value of flag `name` at argv[*i] ("-name v", "-name=v", "--name v"). */
static bool flag(int argc, char **argv, int *i, const char *name, const char **out) {
  const char *a = argv[*i];
  if (*a != '-') return false;
  a += a[1] == '-' ? 2 : 1;
  size_t n = strlen(name);
  if (strncmp(a, name, n) != 0) return false;
  if (a[n] == '=') {
    *out = a + n + 1;
    return true;
  }
  if (a[n] || *i + 1 >= argc) return false;
  *out = argv[++*i];
  return true;
}

static int serve_foreground(const shim_args *a) {
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(a->socket) >= sizeof sa.sun_path) return usage("-socket: path too long");
  strcpy(sa.sun_path, a->socket);
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
  if (fd < 0 || bind(fd, (struct sockaddr *)&sa, sizeof sa) != 0 || listen(fd, 64) != 0) {
    fprintf(stderr, "containerd-shim-wrun-v2: %s: %s\n", a->socket, strerror(errno));
    if (fd >= 0) close(fd);
    return 1;
  }
  return shim_serve(a, fd, a->socket);
}

int main(int argc, char **argv) {
  shim_args a = {.ttrpc_address = getenv("TTRPC_ADDRESS")};
  const char *cmd = NULL, *ignored;
  char cwd[4096];
  for (int i = 1; i < argc; i++) {
    if (flag(argc, argv, &i, "namespace", &a.ns) || flag(argc, argv, &i, "id", &a.id) ||
        flag(argc, argv, &i, "address", &a.address) || flag(argc, argv, &i, "publish-binary", &a.publish_binary) ||
        flag(argc, argv, &i, "bundle", &a.bundle) || flag(argc, argv, &i, "socket", &a.socket))
      continue;
    if (strcmp(argv[i], "-debug") == 0 || strcmp(argv[i], "--debug") == 0) {
      a.debug = true;
    } else if (strcmp(argv[i], "-v") == 0 || strcmp(argv[i], "--version") == 0) {
      printf("containerd-shim-wrun-v2 (wrun %s)\n", WRUN_VERSION);
      return 0;
    } else if (flag(argc, argv, &i, "debug", &ignored)) {
      a.debug = true;
    } else if (argv[i][0] != '-' && !cmd) {
      cmd = argv[i];
    } else {
      char why[300];
      snprintf(why, sizeof why, "unknown argument \"%.200s\"", argv[i]);
      return usage(why);
    }
  }
  if (!a.bundle) a.bundle = getcwd(cwd, sizeof cwd) ? cwd : ".";
  if (!cmd) {
    if (!a.socket) return usage("no command (start, delete) and no -socket to serve on");
    return serve_foreground(&a);
  }
  if (strcmp(cmd, "start") == 0) return shim_cmd_start(&a);
  if (strcmp(cmd, "delete") == 0) return shim_cmd_delete(&a);
  char why[300];
  snprintf(why, sizeof why, "unknown command \"%.200s\"", cmd);
  return usage(why);
}
