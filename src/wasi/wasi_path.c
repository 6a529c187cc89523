/*
 * wasi_path.c — guest paths resolved beneath a preopened directory, and the
 * path_* functions of WASI preview 1 built on that one resolver.
 *
 * The resolver never lets the kernel follow a symlink it has not checked. It
 * walks a path one component at a time from the directory descriptor the guest
 * named: each intermediate component is opened with O_PATH|O_NOFOLLOW and
 * fstat'ed; a directory becomes the next step, a symlink is read through that
 * very descriptor (readlinkat(fd, "")) and its target spliced in front of the
 * rest of the path. Absolute targets are refused (NOTCAPABLE), as is a `..`
 * that would climb above the preopen: `..` pops a depth counter, and the
 * directory it reaches must be the one the walk came through (same device and
 * inode), so a directory renamed under the walk cannot lead it out. More than
 * WALK_MAX_LINKS expansions is ELOOP.
 *
 * The walk stops at the last component and leaves (directory descriptor,
 * single name). Operations that follow a final symlink (path_open without
 * O_NOFOLLOW, filestat and set-times with SYMLINK_FOLLOW, path_link's old
 * path, any path ending in '/') let the resolver expand it the same way. The
 * host call is then made on that one name with O_NOFOLLOW, AT_SYMLINK_NOFOLLOW
 * or a call that never follows (unlinkat, mkdirat, renameat, linkat without
 * AT_SYMLINK_FOLLOW, readlinkat): a symlink swapped in after the check is
 * acted on itself, inside the preopen, never followed.
 *
 * Where the kernel has openat2(2), path_open and path_filestat_get first try
 * it with RESOLVE_BENEATH|RESOLVE_NO_MAGICLINKS (one system call, same
 * answers); ENOSYS switches the context to the walk for good. The environment
 * variable WRUN_TEST_NO_OPENAT2=1, read once by wasi_new, forces the walk so
 * the tests can run both ways on any kernel (test-only).
 *
 * Pathname rules follow Linux: a trailing slash names a directory (it follows
 * a final symlink where Linux does, and unlink, rename, link, symlink and
 * set-times answer NOTDIR/NOENT/EXIST/ISDIR as Linux would), and a symlink
 * whose relative target would leave the preopen from where it is created is
 * refused like an absolute one.
 */
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/epoll.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

#define ARG32(i) ((uint32_t)slots[i])
#define ARG64(i) (slots[i])
#define RET(v) do { slots[0] = (uint32_t)(v); return true; } while (0)
#define CTX wasi_ctx *w = env

enum {
  WALK_MAX_LINKS = 40,        /* symlink expansions per resolution, as Linux allows */
  WALK_MAX_PATH = 64 * 1024,  /* the remaining path, after expansions */
};

/* ---- guest paths ---------------------------------------------------------------- */

/* Copies a path of `len` bytes into a NUL-terminated host string. Refuses NUL
 * bytes inside the path (the host would silently cut it), absolute paths, and
 * paths the host could not take whole (PATH_MAX). */
static uint32_t host_path(const uint8_t *p, size_t len, char **out) {
  if (len && memchr(p, 0, len)) return WASI_EILSEQ;
  if (len && p[0] == '/') return WASI_ENOTCAPABLE;
  if (len >= PATH_MAX) return WASI_ENAMETOOLONG;
  char *s = malloc(len + 1);
  if (!s) return WASI_ENOMEM;
  if (len) memcpy(s, p, len);
  s[len] = 0;
  *out = s;
  return WASI_ESUCCESS;
}

/* The bytes of a guest path in guest memory (bounds-checked), or NULL. */
static const char *guest_bytes(rt_caller *c, uint32_t ptr, uint32_t len) {
  return (const char *)wasi_mem(c, ptr, len);
}

static bool ends_in_slash(const char *path) {
  size_t n = strlen(path);
  return n && path[n - 1] == '/';
}

/* ---- the walk --------------------------------------------------------------------- */

typedef struct walk_id {
  dev_t dev;
  ino_t ino;
} walk_id;

typedef struct walker {
  int root;          /* the preopen's descriptor (borrowed) */
  int cur;           /* the directory reached: `root` or an owned O_PATH descriptor */
  walk_id *ids;      /* ids[i]: the directory the walk entered at depth i (ids[0] unused: the root) */
  size_t depth, cap; /* cur is `depth` levels below root */
  char *path;        /* what is left to walk (owned) */
  size_t at;
  const char *name;  /* the last component, or "." when the path names `cur` itself */
  bool slash;        /* the last component was followed by '/' */
  int links;         /* symlinks expanded so far */
} walker;

static void walk_init(walker *wk, int root, char *path) {
  memset(wk, 0, sizeof *wk);
  wk->root = wk->cur = root;
  wk->path = path;
  wk->name = ".";
}

static void walk_free(walker *wk) {
  if (wk->cur != wk->root) close(wk->cur);
  free(wk->ids);
  free(wk->path);
  memset(wk, 0, sizeof *wk);
}

/* Moves into `fd` (an O_PATH directory described by `st`), one level down. */
static uint32_t walk_down(walker *wk, int fd, const struct stat *st) {
  if (wk->depth + 1 >= wk->cap) {
    size_t n = wk->cap ? wk->cap * 2 : 16;
    walk_id *ids = realloc(wk->ids, n * sizeof *ids);
    if (!ids) {
      close(fd);
      return WASI_ENOMEM;
    }
    wk->ids = ids;
    wk->cap = n;
  }
  wk->depth++;
  wk->ids[wk->depth].dev = st->st_dev;
  wk->ids[wk->depth].ino = st->st_ino;
  if (wk->cur != wk->root) close(wk->cur);
  wk->cur = fd;
  return WASI_ESUCCESS;
}

/* `..`: one level up, never above the root. The directory reached must be the
 * one the walk came through; if the tree was rearranged under the walk, it is
 * refused rather than trusted. */
static uint32_t walk_up(walker *wk) {
  if (wk->depth == 0) return WASI_ENOTCAPABLE;
  if (wk->depth == 1) {
    close(wk->cur);
    wk->cur = wk->root;
    wk->depth = 0;
    return WASI_ESUCCESS;
  }
  int fd = openat(wk->cur, "..", O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return wasi_errno(errno);
  struct stat st;
  const walk_id *want = &wk->ids[wk->depth - 1];
  if (fstat(fd, &st) != 0 || st.st_dev != want->dev || st.st_ino != want->ino) {
    close(fd);
    return WASI_ENOTCAPABLE;
  }
  close(wk->cur);
  wk->cur = fd;
  wk->depth--;
  return WASI_ESUCCESS;
}

/* The symlink open as `linkfd` (O_PATH|O_NOFOLLOW) stands where the walk is:
 * replaces it by its target, followed by `rest` (what came after it). */
static uint32_t walk_expand(walker *wk, int linkfd, const char *rest) {
  if (++wk->links > WALK_MAX_LINKS) return WASI_ELOOP;
  char target[PATH_MAX];
  ssize_t n = readlinkat(linkfd, "", target, sizeof target);
  if (n < 0) return wasi_errno(errno);
  if ((size_t)n >= sizeof target) return WASI_ENAMETOOLONG;
  if (n == 0) return WASI_ENOENT; /* an empty target names nothing */
  if (target[0] == '/') return WASI_ENOTCAPABLE;
  size_t rl = strlen(rest);
  if ((size_t)n + rl >= WALK_MAX_PATH) return WASI_ENAMETOOLONG;
  char *p = malloc((size_t)n + rl + 1);
  if (!p) return WASI_ENOMEM;
  memcpy(p, target, (size_t)n);
  memcpy(p + n, rest, rl + 1); /* `rest` may point into wk->path: copy before freeing it */
  free(wk->path);
  wk->path = p;
  wk->at = 0;
  wk->name = "."; /* the old name pointed into the old path */
  return WASI_ESUCCESS;
}

/* Walks every component but the last: `.` stays, `..` goes up, a directory is
 * entered, a symlink is expanded. Leaves wk->name (and wk->slash). */
static uint32_t walk_to_last(walker *wk) {
  for (;;) {
    char *p = wk->path;
    size_t s = wk->at;
    while (p[s] == '/') s++;
    if (!p[s]) { /* nothing left: the path names the directory reached */
      wk->name = ".";
      wk->slash = false;
      wk->at = s;
      return WASI_ESUCCESS;
    }
    size_t e = s;
    while (p[e] && p[e] != '/') e++;
    size_t next = e;
    while (p[next] == '/') next++;
    size_t len = e - s;
    if (len > NAME_MAX) return WASI_ENAMETOOLONG;
    if (len == 1 && p[s] == '.') {
      wk->at = next;
      continue;
    }
    if (len == 2 && p[s] == '.' && p[s + 1] == '.') {
      uint32_t err = walk_up(wk);
      if (err) return err;
      wk->at = next;
      continue;
    }
    if (!p[next]) { /* the last component */
      p[e] = 0;
      wk->name = p + s;
      wk->slash = next > e;
      wk->at = next;
      return WASI_ESUCCESS;
    }
    p[e] = 0;
    int fd = openat(wk->cur, p + s, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    p[e] = '/';
    if (fd < 0) return wasi_errno(errno);
    struct stat st;
    if (fstat(fd, &st) != 0) {
      int e2 = errno;
      close(fd);
      return wasi_errno(e2);
    }
    uint32_t err;
    if (S_ISDIR(st.st_mode)) {
      if ((err = walk_down(wk, fd, &st)) != WASI_ESUCCESS) return err;
      wk->at = next;
    } else if (S_ISLNK(st.st_mode)) {
      err = walk_expand(wk, fd, p + e);
      close(fd);
      if (err) return err;
    } else {
      close(fd);
      return WASI_ENOTDIR;
    }
  }
}

/* While the last component is a symlink, expands it (within the preopen). A
 * last component that does not exist is left for the caller to create or
 * report. Most names are no symlink: one fstatat says so; only a symlink is
 * opened (O_PATH|O_NOFOLLOW) and read through that descriptor. */
static uint32_t walk_follow(walker *wk) {
  for (;;) {
    if (strcmp(wk->name, ".") == 0) return WASI_ESUCCESS;
    struct stat st;
    if (fstatat(wk->cur, wk->name, &st, AT_SYMLINK_NOFOLLOW) != 0)
      return errno == ENOENT ? WASI_ESUCCESS : wasi_errno(errno);
    if (!S_ISLNK(st.st_mode)) return WASI_ESUCCESS;
    int fd = openat(wk->cur, wk->name, O_PATH | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) return errno == ENOENT ? WASI_ESUCCESS : wasi_errno(errno);
    if (fstat(fd, &st) != 0 || !S_ISLNK(st.st_mode)) { /* replaced since: look again, a bounded number of times */
      close(fd);
      if (++wk->links > WALK_MAX_LINKS) return WASI_ELOOP;
      continue;
    }
    uint32_t err = walk_expand(wk, fd, wk->slash ? "/" : "");
    close(fd);
    if (err) return err;
    if ((err = walk_to_last(wk)) != WASI_ESUCCESS) return err;
  }
}

/* Resolves `path` (owned by the walker from here on) beneath `root` to a
 * directory and a last component. `follow`: expand a final symlink. A path
 * ending in '/' expands it too when `slash_follows` (as Linux does for lookups,
 * not for unlink, rmdir, mkdir, rename or the new name of a link). */
static uint32_t resolve(walker *wk, int root, char *path, bool follow, bool slash_follows) {
  walk_init(wk, root, path);
  uint32_t err = walk_to_last(wk);
  if (!err && (follow || (slash_follows && wk->slash))) err = walk_follow(wk);
  return err;
}

static bool is_dot(const walker *wk) { return strcmp(wk->name, ".") == 0; }

/* lstat of the last component: 0, or a WASI errno. */
static uint32_t stat_last(const walker *wk, struct stat *st) {
  return fstatat(wk->cur, wk->name, st, AT_SYMLINK_NOFOLLOW) == 0 ? WASI_ESUCCESS : wasi_errno(errno);
}

/* A path ending in '/' must name a directory (after following, done by the walk). */
static uint32_t need_dir_if_slash(const walker *wk) {
  if (!wk->slash) return WASI_ESUCCESS;
  struct stat st;
  uint32_t err = stat_last(wk, &st);
  if (err) return err;
  return S_ISDIR(st.st_mode) ? WASI_ESUCCESS : WASI_ENOTDIR;
}

/* ---- openat2, where the kernel has it ------------------------------------------------- */

/* One openat2 call with RESOLVE_BENEATH. Returns the descriptor, or -1 with
 * *err set, or -2 when the walk should answer instead: no openat2 (ENOSYS,
 * remembered), a seccomp filter refusing it (EPERM), or a rename race the
 * kernel asks to retry (EAGAIN). */
static int open_fast(wasi_ctx *w, int dirfd, const char *path, int flags, mode_t mode, bool follow, uint32_t *err) {
  if (w->no_openat2) return -2;
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
  how.mode = (flags & O_CREAT) ? mode : 0; /* a mode only with O_CREAT */
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd = syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof how);
  if (fd >= 0) return (int)fd;
  if (errno == ENOSYS) w->no_openat2 = true;
  if (errno == ENOSYS || errno == EPERM || errno == EAGAIN || errno == E2BIG) return -2;
  *err = errno == EXDEV ? WASI_ENOTCAPABLE : wasi_errno(errno); /* EXDEV: the path led out */
  return -1;
}

/* Opens `path` beneath `dirfd` with open(2) `flags` by the walk. */
static int open_walk(int dirfd, char *path, int flags, mode_t mode, bool follow, uint32_t *err) {
  walker wk;
  int h = -1;
  if ((flags & (O_CREAT | O_EXCL)) == (O_CREAT | O_EXCL)) follow = false; /* O_EXCL: a symlink there is EEXIST */
  *err = resolve(&wk, dirfd, path, follow, true);
  if (*err == WASI_ESUCCESS) {
    int how = flags | O_NOFOLLOW | O_CLOEXEC | (wk.slash ? O_DIRECTORY : 0);
    h = openat(wk.cur, wk.name, how, mode);
    /* ELOOP here is a symlink swapped in after walk_follow looked: look again, a few times */
    for (int tries = 0; h < 0 && errno == ELOOP && (follow || wk.slash) && tries < 4; tries++) {
      if ((*err = walk_follow(&wk)) != WASI_ESUCCESS) break;
      h = openat(wk.cur, wk.name, how, mode);
    }
    if (h < 0 && *err == WASI_ESUCCESS) *err = wasi_errno(errno);
  }
  walk_free(&wk);
  return h;
}

/* Opens `path` beneath `dirfd`: openat2 where it answers, else the walk.
 * Consumes `path`. */
static int open_beneath(wasi_ctx *w, int dirfd, char *path, int flags, mode_t mode, bool follow, uint32_t *err) {
  if ((flags & O_CREAT) && ends_in_slash(path)) { /* as Linux: creating "x/" is creating a directory */
    free(path);
    *err = WASI_EISDIR;
    return -1;
  }
  int h = open_fast(w, dirfd, path, flags, mode, follow, err);
  if (h == -2) return open_walk(dirfd, path, flags, mode, follow, err);
  free(path);
  return h;
}

/* ---- path_open and filestat ------------------------------------------------------------ */

/* Whether `path` beneath `dirfd` names a FIFO (following a last symlink when
 * `follow`). */
static bool names_fifo(wasi_ctx *w, int dirfd, const char *path, bool follow) {
  char *copy = strdup(path);
  if (!copy) return false;
  uint32_t err;
  int h = open_beneath(w, dirfd, copy, O_PATH, 0, follow, &err);
  struct stat st;
  bool fifo = h >= 0 && fstat(h, &st) == 0 && S_ISFIFO(st.st_mode);
  if (h >= 0) close(h);
  return fifo;
}

/* Under a deadline (--timeout) an open must not sleep in the kernel: opening a
 * FIFO waits there for the other end. So the open is made non-blocking, and
 * the wait happens on the loop, which wasi_interrupt ends: a FIFO opened for
 * writing is retried while it has no reader (ENXIO); one opened for reading
 * waits until a writer has written or come and gone. The descriptor is then
 * made blocking again, as the guest asked. `err` is WASI_INTERRUPTED when the
 * deadline ended the wait. Consumes `path`. */
static int open_interruptible(wasi_ctx *w, int dirfd, char *path, int flags, bool follow, uint32_t *err) {
  int h;
  for (;;) {
    char *copy = strdup(path);
    if (!copy) {
      free(path);
      *err = WASI_ENOMEM;
      return -1;
    }
    h = open_beneath(w, dirfd, copy, flags | O_NONBLOCK, 0666, follow, err);
    if (h >= 0 || *err != WASI_ENXIO || (flags & O_ACCMODE) != O_WRONLY || !names_fifo(w, dirfd, path, follow))
      break;
    if ((*err = wasi_wait_ms(w, 10)) != WASI_ESUCCESS) break; /* no reader yet: look again soon */
    *err = WASI_ENXIO;
  }
  free(path);
  if (h < 0) return -1;
  struct stat st;
  if (fstat(h, &st) == 0 && S_ISFIFO(st.st_mode) && (flags & O_ACCMODE) == O_RDONLY) {
    uint32_t e = wasi_wait_fd(w, h, EPOLLIN);
    if (e == WASI_INTERRUPTED) {
      close(h);
      *err = e;
      return -1;
    }
  }
  int fl = fcntl(h, F_GETFL);
  if (fl >= 0) fcntl(h, F_SETFL, fl & ~O_NONBLOCK);
  *err = WASI_ESUCCESS;
  return h;
}

/* ---- operations beneath a directory, for every host ---------------------------------------
 * The wasi_at_* functions (wasi_impl.h) take a path as bytes and a host
 * directory descriptor: preview 1's path_* functions below and the WASI 0.2
 * host (src/wasip2/filesystem.c) both call them, so both share one sandbox. */

uint32_t wasi_at_open(wasi_ctx *w, int dirfd, const char *bytes, size_t len, int flags, bool follow, int *out) {
  char *path;
  uint32_t err = host_path((const uint8_t *)bytes, len, &path);
  if (err) return err;
  int h = w->interruptible && !(flags & O_NONBLOCK) ? open_interruptible(w, dirfd, path, flags, follow, &err)
                                                     : open_beneath(w, dirfd, path, flags, 0666, follow, &err);
  if (h < 0) return err;
  *out = h;
  return WASI_ESUCCESS;
}

uint32_t wasi_at_stat(wasi_ctx *w, int dirfd, const char *bytes, size_t len, bool follow, struct stat *st) {
  char *path;
  uint32_t err = host_path((const uint8_t *)bytes, len, &path);
  if (err) return err;
  int h = open_fast(w, dirfd, path, O_PATH, 0, follow, &err);
  if (h >= 0) {
    err = fstat(h, st) == 0 ? WASI_ESUCCESS : wasi_errno(errno);
    close(h);
    free(path);
  } else if (h == -1) {
    free(path);
  } else {
    walker wk;
    err = resolve(&wk, dirfd, path, follow, true);
    if (!err) err = stat_last(&wk, st);
    if (!err && wk.slash && !S_ISDIR(st->st_mode)) err = WASI_ENOTDIR;
    walk_free(&wk);
  }
  return err;
}

uint32_t wasi_at_set_times(int dirfd, const char *bytes, size_t len, bool follow, const struct timespec ts[2]) {
  char *path;
  uint32_t err = host_path((const uint8_t *)bytes, len, &path);
  if (err) return err;
  walker wk;
  err = resolve(&wk, dirfd, path, follow, true);
  if (!err) err = need_dir_if_slash(&wk);
  /* the walk has expanded any symlink to follow: the kernel must not follow one swapped in since */
  if (!err && utimensat(wk.cur, wk.name, ts, AT_SYMLINK_NOFOLLOW) != 0) err = wasi_errno(errno);
  walk_free(&wk);
  return err;
}

/* mkdir, rmdir, unlink: the parent resolved, the host call on the name alone. */
enum name_op { OP_MKDIR, OP_RMDIR, OP_UNLINK };

static uint32_t name_op(int dirfd, const char *bytes, size_t len, enum name_op op) {
  char *path;
  uint32_t err = host_path((const uint8_t *)bytes, len, &path);
  if (err) return err;
  walker wk;
  err = resolve(&wk, dirfd, path, false, false);
  if (!err && is_dot(&wk)) err = op == OP_MKDIR ? WASI_EEXIST : op == OP_RMDIR ? WASI_EINVAL : WASI_EISDIR;
  if (!err && op == OP_UNLINK && wk.slash) { /* "x/" names a directory: unlink answers as Linux does */
    struct stat st;
    err = stat_last(&wk, &st);
    if (!err) err = S_ISDIR(st.st_mode) ? WASI_EISDIR : WASI_ENOTDIR;
  }
  if (!err) {
    int r = op == OP_MKDIR ? mkdirat(wk.cur, wk.name, 0777)
          : unlinkat(wk.cur, wk.name, op == OP_RMDIR ? AT_REMOVEDIR : 0);
    if (r != 0) err = wasi_errno(errno);
  }
  walk_free(&wk);
  return err;
}

uint32_t wasi_at_mkdir(int dirfd, const char *path, size_t len) { return name_op(dirfd, path, len, OP_MKDIR); }
uint32_t wasi_at_rmdir(int dirfd, const char *path, size_t len) { return name_op(dirfd, path, len, OP_RMDIR); }
uint32_t wasi_at_unlink(int dirfd, const char *path, size_t len) { return name_op(dirfd, path, len, OP_UNLINK); }

/* The new name of a link or symlink: "x/" is ENOENT when x is missing and
 * EEXIST when it exists, as Linux answers; "." exists. */
static uint32_t new_name_ok(const walker *wk) {
  if (is_dot(wk)) return WASI_EEXIST;
  if (!wk->slash) return WASI_ESUCCESS;
  struct stat st;
  uint32_t err = stat_last(wk, &st);
  return err == WASI_ESUCCESS ? WASI_EEXIST : err;
}

/* Both paths of a rename or link as host strings. */
static uint32_t two_paths(const char *a, size_t la, const char *b, size_t lb, char **pa, char **pb) {
  uint32_t err = host_path((const uint8_t *)a, la, pa);
  if (err) return err;
  if ((err = host_path((const uint8_t *)b, lb, pb)) != WASI_ESUCCESS) free(*pa);
  return err;
}

uint32_t wasi_at_rename(int da, const char *pa, size_t la, int db, const char *pb, size_t lb) {
  char *a, *b;
  uint32_t err = two_paths(pa, la, pb, lb, &a, &b);
  if (err) return err;
  walker wa, wb;
  uint32_t ea = resolve(&wa, da, a, false, false), eb = resolve(&wb, db, b, false, false);
  err = ea ? ea : eb;
  if (!err && (is_dot(&wa) || is_dot(&wb))) err = WASI_EBUSY; /* as Linux for "." */
  if (!err && (wa.slash || wb.slash)) { /* a trailing slash on either side: the source must be a directory */
    struct stat st;
    err = stat_last(&wa, &st);
    if (!err && !S_ISDIR(st.st_mode)) err = WASI_ENOTDIR;
  }
  if (!err && renameat(wa.cur, wa.name, wb.cur, wb.name) != 0) err = wasi_errno(errno);
  walk_free(&wa);
  walk_free(&wb);
  return err;
}

/* With `follow` the resolver expands the old path's final symlink; the host
 * call never follows one itself. */
uint32_t wasi_at_link(int da, const char *pa, size_t la, bool follow, int db, const char *pb, size_t lb) {
  char *a, *b;
  uint32_t err = two_paths(pa, la, pb, lb, &a, &b);
  if (err) return err;
  walker wa, wb;
  uint32_t ea = resolve(&wa, da, a, follow, true), eb = resolve(&wb, db, b, false, false);
  err = ea ? ea : eb;
  if (!err && is_dot(&wa)) err = WASI_EPERM; /* a hard link to a directory */
  if (!err && wa.slash) { /* "x/" names a directory, and directories cannot be linked */
    err = need_dir_if_slash(&wa);
    if (!err) err = WASI_EPERM;
  }
  if (!err) err = new_name_ok(&wb);
  if (!err && linkat(wa.cur, wa.name, wb.cur, wb.name, 0) != 0) err = wasi_errno(errno);
  walk_free(&wa);
  walk_free(&wb);
  return err;
}

/* Whether a relative symlink target, read in a directory `depth` levels below
 * the preopen, stays beneath it when its `..` are counted literally. (The
 * resolver checks again whenever the link is followed: a link moved elsewhere
 * is refused then.) */
static bool target_stays_beneath(const char *t, size_t depth) {
  size_t d = depth;
  while (*t) {
    const char *e = strchr(t, '/');
    size_t len = e ? (size_t)(e - t) : strlen(t);
    if (len == 2 && t[0] == '.' && t[1] == '.') {
      if (d == 0) return false;
      d--;
    } else if (len && !(len == 1 && t[0] == '.')) {
      d++;
    }
    t += len;
    while (*t == '/') t++;
  }
  return true;
}

/* A target that is absolute, or that climbs out of the preopen from where the
 * link is made, is refused. */
uint32_t wasi_at_symlink(const char *tbytes, size_t tlen, int dirfd, const char *pbytes, size_t plen) {
  char *target, *path;
  uint32_t err = two_paths(tbytes, tlen, pbytes, plen, &target, &path);
  if (err) return err;
  walker wk;
  err = resolve(&wk, dirfd, path, false, false);
  if (!err) err = new_name_ok(&wk);
  if (!err && !target_stays_beneath(target, wk.depth)) err = WASI_ENOTCAPABLE;
  if (!err && symlinkat(target, wk.cur, wk.name) != 0) err = wasi_errno(errno);
  walk_free(&wk);
  free(target);
  return err;
}

/* A buffer shorter than the target gets the truncated target. "x/" follows x
 * (as Linux): a directory then is no symlink (INVAL). */
uint32_t wasi_at_readlink(int dirfd, const char *bytes, size_t len, char *buf, size_t cap, size_t *n) {
  char *path;
  uint32_t err = host_path((const uint8_t *)bytes, len, &path);
  if (err) return err;
  walker wk;
  err = resolve(&wk, dirfd, path, false, true);
  if (!err) err = need_dir_if_slash(&wk);
  if (!err && (wk.slash || is_dot(&wk))) err = WASI_EINVAL;
  if (!err) {
    ssize_t r = readlinkat(wk.cur, wk.name, buf, cap);
    if (r < 0) err = wasi_errno(errno);
    else *n = (size_t)r;
  }
  walk_free(&wk);
  return err;
}

/* ---- preview 1's path_* functions ---------------------------------------------------------- */

/* The directory `fd` with the rights `need` and the guest path at (ptr, len):
 * NULL with *err set (BADF, NOTCAPABLE, FAULT). */
static wasi_fd *dir_and_path(rt_caller *c, wasi_ctx *w, uint32_t fd, uint64_t need, uint32_t ptr, uint32_t len,
                             const char **path, uint32_t *err) {
  wasi_fd *dir = wasi_fd_get(w, fd, need, err);
  if (!dir) return NULL;
  if (!(*path = guest_bytes(c, ptr, len))) {
    *err = WASI_EFAULT;
    return NULL;
  }
  return dir;
}

/* oflags: CREAT 1, DIRECTORY 2, EXCL 4, TRUNC 8 */
bool wasi_path_open(rt_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err, dirflags = ARG32(1), oflags = ARG32(4), fdflags = ARG32(7);
  uint64_t base = ARG64(5), inh = ARG64(6);
  uint64_t need = WASI_R(R_PATH_OPEN) | ((oflags & 1) ? WASI_R(R_PATH_CREATE_FILE) : 0) |
                  ((oflags & 8) ? WASI_R(R_PATH_FILESTAT_SET_SIZE) : 0);
  wasi_fd *dir = wasi_fd_get(w, ARG32(0), need, &err);
  if (!dir) RET(err);
  if ((base & ~dir->inheriting) || (inh & ~dir->inheriting)) RET(WASI_ENOTCAPABLE);
  if (oflags & ~15u) RET(WASI_EINVAL);
  if (fdflags & ~(uint32_t)(WASI_FDFLAG_APPEND | WASI_FDFLAG_DSYNC | WASI_FDFLAG_NONBLOCK | WASI_FDFLAG_RSYNC |
                            WASI_FDFLAG_SYNC))
    RET(WASI_EINVAL);
  uint8_t *pfd = wasi_mem(c, ARG32(8), 4);
  const char *path = guest_bytes(c, ARG32(2), ARG32(3));
  if (!pfd || !path) RET(WASI_EFAULT);
  bool rd = base & (WASI_R(R_FD_READ) | WASI_R(R_FD_READDIR));
  bool wr = base & (WASI_R(R_FD_WRITE) | WASI_R(R_FD_ALLOCATE) | WASI_R(R_FD_FILESTAT_SET_SIZE));
  int flags = wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (oflags & 1) flags |= O_CREAT;
  if (oflags & 2) flags |= O_DIRECTORY;
  if (oflags & 4) flags |= O_EXCL;
  if (oflags & 8) flags |= O_TRUNC;
  if (fdflags & WASI_FDFLAG_APPEND) flags |= O_APPEND;
  if (fdflags & WASI_FDFLAG_DSYNC) flags |= O_DSYNC;
  if (fdflags & WASI_FDFLAG_SYNC) flags |= O_SYNC;
  if (fdflags & WASI_FDFLAG_RSYNC) flags |= O_RSYNC;
  if (fdflags & WASI_FDFLAG_NONBLOCK) flags |= O_NONBLOCK;
  int h;
  err = wasi_at_open(w, dir->host, path, ARG32(3), flags, dirflags & 1, &h);
  if (err == WASI_INTERRUPTED) return wasi_trap_interrupted(c);
  if (err) RET(err);
  struct stat st;
  if (fstat(h, &st) != 0) {
    int e = errno;
    close(h);
    RET(wasi_errno(e));
  }
  uint8_t type = wasi_filetype_of(st.st_mode);
  int64_t fd;
  wasi_fd *f = wasi_fd_install(w, h, type,
                               base & (type == WASI_FT_DIR ? WASI_RIGHTS_DIR
                                                           : WASI_RIGHTS_FILE | WASI_R(R_POLL_FD_READWRITE)),
                               inh, &fd);
  if (!f) RET(WASI_EMFILE);
  f->flags = (uint16_t)fdflags;
  uint32_t v = (uint32_t)fd;
  memcpy(pfd, &v, 4);
  RET(WASI_ESUCCESS);
}

bool wasi_path_filestat_get(rt_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  const char *path;
  wasi_fd *dir = dir_and_path(c, w, ARG32(0), WASI_R(R_PATH_FILESTAT_GET), ARG32(2), ARG32(3), &path, &err);
  if (!dir) RET(err);
  uint8_t *p = wasi_mem(c, ARG32(4), 64);
  if (!p) RET(WASI_EFAULT);
  struct stat st;
  if ((err = wasi_at_stat(w, dir->host, path, ARG32(3), ARG32(1) & 1, &st)) != WASI_ESUCCESS) RET(err);
  wasi_put_filestat(p, &st);
  RET(WASI_ESUCCESS);
}

/* fstflags: ATIM 1, ATIM_NOW 2, MTIM 4, MTIM_NOW 8 */
bool wasi_path_filestat_set_times(rt_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  const char *path;
  wasi_fd *dir = dir_and_path(c, w, ARG32(0), WASI_R(R_PATH_FILESTAT_SET_TIMES), ARG32(2), ARG32(3), &path, &err);
  if (!dir) RET(err);
  struct timespec ts[2];
  if ((err = wasi_times_of(ARG64(4), ARG64(5), ARG32(6), ts)) != WASI_ESUCCESS) RET(err);
  RET(wasi_at_set_times(dir->host, path, ARG32(3), ARG32(1) & 1, ts));
}

static bool path_op(rt_caller *c, wasi_ctx *w, uint64_t *slots, uint32_t right, enum name_op op) {
  uint32_t err;
  const char *path;
  wasi_fd *dir = dir_and_path(c, w, ARG32(0), WASI_R(right), ARG32(1), ARG32(2), &path, &err);
  if (!dir) RET(err);
  RET(name_op(dir->host, path, ARG32(2), op));
}

bool wasi_path_create_directory(rt_caller *c, void *env, uint64_t *slots) {
  return path_op(c, env, slots, R_PATH_CREATE_DIRECTORY, OP_MKDIR);
}
bool wasi_path_remove_directory(rt_caller *c, void *env, uint64_t *slots) {
  return path_op(c, env, slots, R_PATH_REMOVE_DIRECTORY, OP_RMDIR);
}
bool wasi_path_unlink_file(rt_caller *c, void *env, uint64_t *slots) {
  return path_op(c, env, slots, R_PATH_UNLINK_FILE, OP_UNLINK);
}

/* path_rename(fd, old_path, old_len, new_fd, new_path, new_len) */
bool wasi_path_rename(rt_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  const char *a, *b;
  wasi_fd *fa = dir_and_path(c, w, ARG32(0), WASI_R(R_PATH_RENAME_SOURCE), ARG32(1), ARG32(2), &a, &err);
  if (!fa) RET(err);
  wasi_fd *fb = dir_and_path(c, w, ARG32(3), WASI_R(R_PATH_RENAME_TARGET), ARG32(4), ARG32(5), &b, &err);
  if (!fb) RET(err);
  RET(wasi_at_rename(fa->host, a, ARG32(2), fb->host, b, ARG32(5)));
}

/* path_link(old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len) */
bool wasi_path_link(rt_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  const char *a, *b;
  if (ARG32(1) & ~1u) RET(WASI_EINVAL);
  wasi_fd *fa = dir_and_path(c, w, ARG32(0), WASI_R(R_PATH_LINK_SOURCE), ARG32(2), ARG32(3), &a, &err);
  if (!fa) RET(err);
  wasi_fd *fb = dir_and_path(c, w, ARG32(4), WASI_R(R_PATH_LINK_TARGET), ARG32(5), ARG32(6), &b, &err);
  if (!fb) RET(err);
  RET(wasi_at_link(fa->host, a, ARG32(3), ARG32(1) & 1, fb->host, b, ARG32(6)));
}

/* path_symlink(old_path, old_len, fd, new_path, new_len) */
bool wasi_path_symlink(rt_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  const char *path, *target = guest_bytes(c, ARG32(0), ARG32(1));
  wasi_fd *dir = dir_and_path(c, w, ARG32(2), WASI_R(R_PATH_SYMLINK), ARG32(3), ARG32(4), &path, &err);
  if (!dir) RET(err);
  if (!target) RET(WASI_EFAULT);
  RET(wasi_at_symlink(target, ARG32(1), dir->host, path, ARG32(4)));
}

/* path_readlink(fd, path, path_len, buf, buf_len, used) */
bool wasi_path_readlink(rt_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  const char *path;
  wasi_fd *dir = dir_and_path(c, w, ARG32(0), WASI_R(R_PATH_READLINK), ARG32(1), ARG32(2), &path, &err);
  if (!dir) RET(err);
  uint8_t *buf = wasi_mem(c, ARG32(3), ARG32(4)), *pused = wasi_mem(c, ARG32(5), 4);
  if (!buf || !pused) RET(WASI_EFAULT);
  size_t n;
  if ((err = wasi_at_readlink(dir->host, path, ARG32(2), (char *)buf, ARG32(4), &n)) != WASI_ESUCCESS) RET(err);
  uint32_t u = (uint32_t)n;
  memcpy(pused, &u, 4);
  RET(WASI_ESUCCESS);
}
