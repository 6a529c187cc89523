/*
 * start.c — the commands containerd runs the shim binary with.
 *
 * `start` (working directory: the bundle) picks the shim's socket, forks the
 * long-lived server into its own session and prints the socket's address,
 * which containerd then dials. Tasks of one group share a shim: the group is
 * the pod's sandbox id (annotation io.kubernetes.cri.sandbox-id) or else the
 * task id, and the socket is named by a hash of containerd's address, the
 * namespace and the group, under containerd's state directory (the bundle is
 * STATE/io.containerd.runtime.v2.task/NS/ID) in s/. When a shim already
 * listens there its address is printed again (the pod's next container); a
 * socket nobody answers on is stale and replaced.
 *
 * `delete` (after a shim died) cleans what a task left: its rootfs mount and
 * the dead shim's socket (tasks die with their shim: workload.c), and
 * answers a DeleteResponse on stdout. containerd runs `delete` in the bundle
 * directory, so when a `task delete` removes the bundle first it cannot run,
 * and a shim killed outright leaves its socket; `start` therefore also removes
 * every socket in s/ that nobody listens on any more.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <libgen.h>
#include <signal.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mount.h>
#include <sys/socket.h>
#include <sys/stat.h>
#include <sys/un.h>
#include <time.h>
#include <unistd.h>

#include <sodium.h>

#include "github.com/containerd/containerd/runtime/v2/task/shim.pb-c.h"
#include "shim/shim.h"
#include "shim/spec.h"

/* STATE/s/HASH for the group, or /run/containerd/s/HASH when the bundle is
 * not under a state directory (or the path would not fit a socket name). */
static void socket_path(const shim_args *a, const char *group, char *out, size_t n) {
  char key[4096];
  snprintf(key, sizeof key, "%s\n%s\n%s", a->address ? a->address : "", a->ns ? a->ns : "", group);
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, (const unsigned char *)key, strlen(key));
  char hex[2 * sizeof h + 1];
  sodium_bin2hex(hex, sizeof hex, h, sizeof h);
  char b[4096];
  snprintf(b, sizeof b, "%s", a->bundle);
  char *ns_dir = dirname(b);               /* STATE/io.containerd.runtime.v2.task/NS */
  char *v2_dir = dirname(ns_dir);          /* STATE/io.containerd.runtime.v2.task */
  const char *v2 = strrchr(v2_dir, '/');
  if (v2 && strcmp(v2 + 1, "io.containerd.runtime.v2.task") == 0) {
    char *state = dirname(v2_dir);
    int len = snprintf(out, n, "%s/s/%s", state, hex);
    if (len > 0 && (size_t)len < sizeof ((struct sockaddr_un *)0)->sun_path) return;
  }
  snprintf(out, n, "/run/containerd/s/%s", hex);
}

static int mkdir_parents(const char *path) {
  char p[4096];
  snprintf(p, sizeof p, "%s", path);
  for (char *q = p + 1; *q; q++)
    if (*q == '/') {
      *q = 0;
      if (mkdir(p, 0711) != 0 && errno != EEXIST) return -1;
      *q = '/';
    }
  return 0;
}

static bool can_connect(const struct sockaddr_un *sa) {
  int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
  bool ok = fd >= 0 && connect(fd, (const struct sockaddr *)sa, sizeof *sa) == 0;
  if (fd >= 0) close(fd);
  return ok;
}

/* Removes the sockets in `path`'s directory whose listener is gone (connect
 * refused): sockets of shims that were killed before they or `delete` could
 * remove them. Only sockets are touched, and only dead ones. */
static void sweep_dead_sockets(const char *path) {
  char d[4096];
  snprintf(d, sizeof d, "%s", path);
  char *dir = dirname(d);
  DIR *dp = opendir(dir);
  if (!dp) return;
  struct dirent *e;
  while ((e = readdir(dp)) != NULL) {
    struct sockaddr_un sa = {.sun_family = AF_UNIX};
    int len = snprintf(sa.sun_path, sizeof sa.sun_path, "%s/%s", dir, e->d_name);
    struct stat st;
    if (e->d_name[0] == '.' || len < 0 || (size_t)len >= sizeof sa.sun_path) continue;
    if (lstat(sa.sun_path, &st) != 0 || !S_ISSOCK(st.st_mode)) continue;
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC, 0);
    if (fd < 0) break;
    if (connect(fd, (const struct sockaddr *)&sa, sizeof sa) != 0 && errno == ECONNREFUSED) unlink(sa.sun_path);
    close(fd);
  }
  closedir(dp);
}

/* Listens on `path`; *reused when a live shim already does. -1 on failure. */
static int listen_at(const char *path, bool *reused) {
  *reused = false;
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (strlen(path) >= sizeof sa.sun_path || mkdir_parents(path) != 0) return -1;
  strcpy(sa.sun_path, path);
  for (int attempt = 0; attempt < 2; attempt++) {
    int fd = socket(AF_UNIX, SOCK_STREAM | SOCK_CLOEXEC | SOCK_NONBLOCK, 0);
    if (fd < 0) return -1;
    if (bind(fd, (struct sockaddr *)&sa, sizeof sa) == 0 && listen(fd, 64) == 0) return fd;
    int e = errno;
    close(fd);
    if (e != EADDRINUSE) return -1;
    if (can_connect(&sa)) {
      *reused = true;
      return -1;
    }
    unlink(path); /* a dead shim's socket */
  }
  return -1;
}

static void write_address_file(const char *bundle, const char *address) {
  char p[4096];
  snprintf(p, sizeof p, "%s/address", bundle);
  FILE *f = fopen(p, "w");
  if (!f) return;
  fputs(address, f);
  fclose(f);
}

/* stderr of the server: the bundle's "log" fifo, which containerd reads into its own log. */
static void redirect_stdio(const char *bundle) {
  int null = open("/dev/null", O_RDWR);
  char p[4096];
  snprintf(p, sizeof p, "%s/log", bundle);
  int log = open(p, O_WRONLY | O_NONBLOCK | O_CLOEXEC);
  if (null >= 0) {
    dup2(null, 0);
    dup2(null, 1);
    dup2(log >= 0 ? log : null, 2);
    if (null > 2) close(null);
  }
  if (log > 2) close(log);
  if (log >= 0) fcntl(2, F_SETFL, fcntl(2, F_GETFL) & ~O_NONBLOCK);
}

int shim_cmd_start(const shim_args *a) {
  if (!a->id || !a->ns) {
    fprintf(stderr, "containerd-shim-wrun-v2 start: -id and -namespace are required\n");
    return 2;
  }
  if (sodium_init() < 0) return 1;
  char config[4096], err[1024];
  snprintf(config, sizeof config, "%s/config.json", a->bundle);
  shim_spec spec;
  char group[512];
  snprintf(group, sizeof group, "%s", a->id);
  if (shim_spec_load(config, &spec, err, sizeof err)) {
    if (spec.sandbox_id) snprintf(group, sizeof group, "%s", spec.sandbox_id);
    shim_spec_free(&spec);
  }
  char path[4096], address[4200];
  socket_path(a, group, path, sizeof path);
  snprintf(address, sizeof address, "unix://%s", path);
  sweep_dead_sockets(path);
  bool reused;
  int fd = listen_at(path, &reused);
  if (reused) {
    write_address_file(a->bundle, address);
    fputs(address, stdout);
    return 0;
  }
  if (fd < 0) {
    fprintf(stderr, "containerd-shim-wrun-v2 start: cannot listen on %s: %s\n", path, strerror(errno));
    return 1;
  }
  fflush(NULL);
  pid_t pid = fork();
  if (pid < 0) {
    fprintf(stderr, "containerd-shim-wrun-v2 start: fork: %s\n", strerror(errno));
    close(fd);
    unlink(path);
    return 1;
  }
  if (pid == 0) {
    setsid();
    redirect_stdio(a->bundle);
    shim_log("serving %s for task %s (namespace %s)", address, a->id, a->ns);
    _exit(shim_serve(a, fd, path));
  }
  close(fd);
  write_address_file(a->bundle, address);
  fputs(address, stdout);
  return 0;
}

int shim_cmd_delete(const shim_args *a) {
  char rootfs[4096];
  snprintf(rootfs, sizeof rootfs, "%s/rootfs", a->bundle);
  /* a rootfs the dead shim mounted; EINVAL: it was not a mount point */
  if (umount2(rootfs, MNT_DETACH) != 0 && errno != EINVAL && errno != ENOENT)
    fprintf(stderr, "containerd-shim-wrun-v2 delete: unmounting %s: %s\n", rootfs, strerror(errno));
  /* the socket of the shim that served the bundle (from its address file,
   * or, when containerd already removed that, computed as `start` did for a
   * task of its own group), unless a shim still answers there */
  char p[4096], address[4200] = "";
  snprintf(p, sizeof p, "%s/address", a->bundle);
  FILE *f = fopen(p, "r");
  if (f) {
    if (!fgets(address, sizeof address, f)) address[0] = 0;
    fclose(f);
  }
  char computed[4096];
  const char *path = strncmp(address, "unix://", 7) == 0 ? address + 7 : NULL;
  if (!path && a->id && sodium_init() >= 0) {
    socket_path(a, a->id, computed, sizeof computed);
    path = computed;
  }
  struct sockaddr_un sa = {.sun_family = AF_UNIX};
  if (path && strlen(path) < sizeof sa.sun_path) {
    strcpy(sa.sun_path, path);
    /* containerd runs `delete` for a shim that is dead or on its way out; one
     * still closing its tasks keeps accepting connections for a moment and
     * could be killed before it removes its socket itself, so give it up to
     * 2 s to stop listening before deciding it is alive */
    for (int i = 0; i < 40 && can_connect(&sa); i++) usleep(50 * 1000);
    if (!can_connect(&sa)) unlink(path);
  }
  struct timespec now;
  clock_gettime(CLOCK_REALTIME, &now);
  Google__Protobuf__Timestamp at = GOOGLE__PROTOBUF__TIMESTAMP__INIT;
  at.seconds = now.tv_sec;
  at.nanos = (int32_t)now.tv_nsec;
  Containerd__Task__V2__DeleteResponse r = CONTAINERD__TASK__V2__DELETE_RESPONSE__INIT;
  r.exit_status = 128 + SIGKILL; /* what a task of a dead shim counts as */
  r.exited_at = &at;
  size_t n = protobuf_c_message_get_packed_size(&r.base);
  uint8_t *buf = malloc(n + 1);
  if (!buf) return 1;
  protobuf_c_message_pack(&r.base, buf);
  bool ok = fwrite(buf, 1, n, stdout) == n;
  free(buf);
  return ok ? 0 : 1;
}
