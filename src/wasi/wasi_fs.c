/*
 * wasi_fs.c — WASI descriptors, files, directories and paths.
 *
 * Every path a guest names is resolved by the kernel beneath the directory
 * descriptor it is relative to: openat2(2) with RESOLVE_BENEATH refuses `..`
 * that climbs out, absolute paths and symlinks (absolute, or climbing out),
 * also when a component is swapped under a race; a kernel without openat2 gets
 * a component-by-component walk with O_NOFOLLOW that refuses any symlink in the
 * middle of a path. Operations on a last component (mkdir, unlink, rename, …)
 * resolve its parent that way and then use the *at() call on the name alone.
 * Reads and writes go through libuv's file API.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/openat2.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

#define ARG32(i) ((uint32_t)slots[i])
#define ARG64(i) (slots[i])
#define RET(v) do { slots[0] = (uint32_t)(v); return true; } while (0)
#define CTX wasi_ctx *w = env

/* ---- paths ------------------------------------------------------------------- */

/* Copies a guest path into a NUL-terminated host string. Refuses NUL bytes
 * inside the path (the host would silently cut it) and absolute paths. */
static uint32_t guest_path(wrun_caller *c, uint32_t ptr, uint32_t len, char **out) {
  const uint8_t *p = wasi_mem(c, ptr, len);
  if (!p) return WASI_EFAULT;
  if (memchr(p, 0, len)) return WASI_EILSEQ;
  if (len && p[0] == '/') return WASI_ENOTCAPABLE;
  char *s = malloc((size_t)len + 1);
  if (!s) return WASI_ENOMEM;
  memcpy(s, p, len);
  s[len] = 0;
  *out = s;
  return WASI_ESUCCESS;
}

/* Component walk for kernels without openat2: no symlinks in the middle, and
 * `..` may not climb above the starting directory. */
static int open_beneath_walk(int dirfd, const char *path, int flags, mode_t mode) {
  char *copy = strdup(path);
  if (!copy) { errno = ENOMEM; return -1; }
  int cur = dup(dirfd), depth = 0;
  char *save = NULL, *comp = strtok_r(copy, "/", &save);
  while (cur >= 0 && comp) {
    char *next = strtok_r(NULL, "/", &save);
    if (!next) break;
    if (strcmp(comp, "..") == 0 && --depth < 0) { close(cur); cur = -1; errno = EXDEV; break; }
    if (strcmp(comp, ".") != 0 && strcmp(comp, "..") != 0) depth++;
    int nfd = openat(cur, comp, O_PATH | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    close(cur);
    cur = nfd;
    comp = next;
  }
  int fd = -1;
  if (cur >= 0) {
    if (comp && strcmp(comp, "..") == 0 && depth <= 0) errno = EXDEV;
    else fd = openat(cur, comp ? comp : ".", flags | O_CLOEXEC, mode);
    int e = errno;
    close(cur);
    errno = e;
  }
  free(copy);
  return fd;
}

/* Opens `path` beneath `dirfd`. `follow` says whether a symlink as the last
 * component is followed (it must then stay beneath too). */
static int open_beneath(int dirfd, const char *path, int flags, mode_t mode, bool follow) {
  struct open_how how;
  memset(&how, 0, sizeof how);
  how.flags = (uint64_t)(flags | O_CLOEXEC | (follow ? 0 : O_NOFOLLOW));
  /* a mode only with O_CREAT (O_TMPFILE shares its bits with O_DIRECTORY) */
  how.mode = ((flags & O_CREAT) || (flags & O_TMPFILE) == O_TMPFILE) ? mode : 0;
  how.resolve = RESOLVE_BENEATH | RESOLVE_NO_MAGICLINKS;
  long fd = syscall(SYS_openat2, dirfd, *path ? path : ".", &how, sizeof how);
  if (fd < 0 && errno == ENOSYS) return open_beneath_walk(dirfd, *path ? path : ".", flags | (follow ? 0 : O_NOFOLLOW), mode);
  return (int)fd;
}

/* Splits `path` into its parent (opened beneath dirfd as an O_PATH directory)
 * and its last component. The last component may not be `.` or `..`. */
static uint32_t open_parent(int dirfd, char *path, int *parent, const char **name) {
  size_t len = strlen(path);
  while (len > 1 && path[len - 1] == '/') path[--len] = 0; /* "dir/" names dir */
  char *slash = strrchr(path, '/');
  const char *last = slash ? slash + 1 : path;
  if (!*last || strcmp(last, ".") == 0) return WASI_EINVAL;
  if (strcmp(last, "..") == 0) return WASI_ENOTCAPABLE;
  int p;
  if (slash == path) return WASI_ENOTCAPABLE; /* "/name" is absolute */
  if (slash) {
    *slash = 0;
    p = open_beneath(dirfd, path, O_PATH | O_DIRECTORY, 0, true);
  } else {
    p = dup(dirfd);
  }
  if (p < 0) return wasi_errno(errno);
  *parent = p;
  *name = last;
  return WASI_ESUCCESS;
}

/* ---- stat conversion ------------------------------------------------------------ */

static void put_filestat(uint8_t *p, const struct stat *st) {
  uint64_t v[8];
  memset(p, 0, 64);
  v[0] = st->st_dev;
  v[1] = st->st_ino;
  v[3] = st->st_nlink;
  v[4] = (uint64_t)st->st_size;
  v[5] = (uint64_t)st->st_atim.tv_sec * 1000000000u + (uint64_t)st->st_atim.tv_nsec;
  v[6] = (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec;
  v[7] = (uint64_t)st->st_ctim.tv_sec * 1000000000u + (uint64_t)st->st_ctim.tv_nsec;
  memcpy(p, &v[0], 8);
  memcpy(p + 8, &v[1], 8);
  p[16] = wasi_filetype_of(st->st_mode);
  memcpy(p + 24, &v[3], 8);
  memcpy(p + 32, &v[4], 8);
  memcpy(p + 40, &v[5], 8);
  memcpy(p + 48, &v[6], 8);
  memcpy(p + 56, &v[7], 8);
}

/* ---- reads and writes (libuv) -------------------------------------------------------- */

static bool rw(wrun_caller *c, wasi_ctx *w, uint64_t *slots, bool write, bool positioned) {
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(write ? R_FD_WRITE : R_FD_READ) | (positioned ? WASI_R(R_FD_SEEK) : 0), &err);
  if (!f) RET(err);
  if (f->type == WASI_FT_DIR) RET(WASI_EISDIR);
  uint32_t outp = positioned ? ARG32(4) : ARG32(3);
  uint8_t *pn = wasi_mem(c, outp, 4);
  if (!pn) RET(WASI_EFAULT);
  uv_buf_t *bufs;
  if ((err = wasi_iovecs(c, ARG32(1), ARG32(2), &bufs)) != WASI_ESUCCESS) RET(err);
  int64_t off = positioned ? (int64_t)ARG64(3) : -1;
  if (positioned && off < 0) {
    free(bufs);
    RET(WASI_EINVAL);
  }
  uint32_t n;
  if (!positioned && wasi_is_stream(f)) { /* pipes, terminals, sockets: may wait, see wasi_io.c */
    err = wasi_stream_rw(w, f, write, bufs, ARG32(2), &n);
    free(bufs);
    if (err == WASI_INTERRUPTED) return wasi_trap_interrupted(c);
    if (err != WASI_ESUCCESS) RET(err);
    memcpy(pn, &n, 4);
    RET(WASI_ESUCCESS);
  }
  int64_t r;
  if (write && !positioned && f->inherited && (f->flags & WASI_FDFLAG_APPEND)) {
    r = wasi_append_write(f, bufs, ARG32(2)); /* the guest's APPEND on the host's file, emulated */
  } else { /* files do not block: the call returns without a wait */
    uv_fs_t req;
    r = write ? uv_fs_write(&w->loop, &req, f->host, bufs, ARG32(2), off, NULL)
              : uv_fs_read(&w->loop, &req, f->host, bufs, ARG32(2), off, NULL);
    uv_fs_req_cleanup(&req);
  }
  free(bufs);
  if (r < 0) RET(wasi_errno((int)r));
  n = (uint32_t)r;
  memcpy(pn, &n, 4);
  RET(WASI_ESUCCESS);
}

bool wasi_fd_read(wrun_caller *c, void *env, uint64_t *slots) { return rw(c, env, slots, false, false); }
bool wasi_fd_write(wrun_caller *c, void *env, uint64_t *slots) { return rw(c, env, slots, true, false); }
bool wasi_fd_pread(wrun_caller *c, void *env, uint64_t *slots) { return rw(c, env, slots, false, true); }
bool wasi_fd_pwrite(wrun_caller *c, void *env, uint64_t *slots) { return rw(c, env, slots, true, true); }

/* ---- descriptors ---------------------------------------------------------------------- */

bool wasi_fd_close(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  (void)c;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), 0, &err);
  if (!f) RET(err);
  wasi_fd_release(w, f);
  RET(WASI_ESUCCESS);
}

bool wasi_fd_seek(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  int64_t off = (int64_t)ARG64(1);
  uint32_t whence = ARG32(2), err;
  bool tell_only = off == 0 && whence == 1;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(tell_only ? R_FD_TELL : R_FD_SEEK), &err);
  if (!f) RET(err);
  uint8_t *p = wasi_mem(c, ARG32(3), 8);
  if (!p) RET(WASI_EFAULT);
  if (whence > 2) RET(WASI_EINVAL);
  if (f->type == WASI_FT_DIR) RET(WASI_EBADF);
  off_t r = lseek(f->host, off, whence == 0 ? SEEK_SET : whence == 1 ? SEEK_CUR : SEEK_END);
  if (r < 0) RET(wasi_errno(errno));
  uint64_t v = (uint64_t)r;
  memcpy(p, &v, 8);
  RET(WASI_ESUCCESS);
}

bool wasi_fd_tell(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(R_FD_TELL), &err);
  if (!f) RET(err);
  uint8_t *p = wasi_mem(c, ARG32(1), 8);
  if (!p) RET(WASI_EFAULT);
  off_t r = lseek(f->host, 0, SEEK_CUR);
  if (r < 0) RET(wasi_errno(errno));
  uint64_t v = (uint64_t)r;
  memcpy(p, &v, 8);
  RET(WASI_ESUCCESS);
}

bool wasi_fd_fdstat_get(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), 0, &err);
  if (!f) RET(err);
  uint8_t *p = wasi_mem(c, ARG32(1), 24);
  if (!p) RET(WASI_EFAULT);
  memset(p, 0, 24);
  p[0] = f->type;
  memcpy(p + 2, &f->flags, 2);
  memcpy(p + 8, &f->rights, 8);
  memcpy(p + 16, &f->inheriting, 8);
  RET(WASI_ESUCCESS);
}

bool wasi_fd_fdstat_set_flags(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  (void)c;
  uint32_t err, flags = ARG32(1);
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(R_FD_FDSTAT_SET_FLAGS), &err);
  if (!f) RET(err);
  /* Only APPEND and NONBLOCK can change on an open file; refuse the rest rather than ignore it. */
  if (flags & ~(uint32_t)(WASI_FDFLAG_APPEND | WASI_FDFLAG_NONBLOCK)) RET(WASI_ENOTSUP);
  /* NONBLOCK is kept here and honoured by wrun's own reads and writes
   * (wasi_io.c), never set on the host's description. APPEND is set on a file
   * wrun opened; on an inherited stream, whose description other processes
   * share, it is emulated too (wasi_append_write), and an O_APPEND the host
   * gave stays. */
  int fl = fcntl(f->host, F_GETFL);
  if (fl < 0) RET(wasi_errno(errno));
  if (f->inherited) {
    if (fl & O_APPEND) flags |= WASI_FDFLAG_APPEND;
  } else if (((fl & O_APPEND) != 0) != ((flags & WASI_FDFLAG_APPEND) != 0)) {
    fl ^= O_APPEND;
    if (fcntl(f->host, F_SETFL, fl) < 0) RET(wasi_errno(errno));
  }
  f->flags = (uint16_t)flags;
  RET(WASI_ESUCCESS);
}

bool wasi_fd_fdstat_set_rights(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  (void)c;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), 0, &err);
  if (!f) RET(err);
  uint64_t base = ARG64(1), inh = ARG64(2);
  if ((base & ~f->rights) || (inh & ~f->inheriting)) RET(WASI_ENOTCAPABLE); /* rights only shrink */
  f->rights = base;
  f->inheriting = inh;
  RET(WASI_ESUCCESS);
}

bool wasi_fd_prestat_get(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), 0, &err);
  if (!f) RET(err);
  if (!f->preopen) RET(WASI_EBADF);
  uint8_t *p = wasi_mem(c, ARG32(1), 8);
  if (!p) RET(WASI_EFAULT);
  uint32_t len = (uint32_t)strlen(f->preopen);
  memset(p, 0, 8);
  memcpy(p + 4, &len, 4);
  RET(WASI_ESUCCESS);
}

bool wasi_fd_prestat_dir_name(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), 0, &err);
  if (!f) RET(err);
  if (!f->preopen) RET(WASI_EBADF);
  uint32_t len = (uint32_t)strlen(f->preopen);
  if (ARG32(2) < len) RET(WASI_ENAMETOOLONG);
  uint8_t *p = wasi_mem(c, ARG32(1), len);
  if (!p) RET(WASI_EFAULT);
  memcpy(p, f->preopen, len);
  RET(WASI_ESUCCESS);
}

bool wasi_fd_filestat_get(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(R_FD_FILESTAT_GET), &err);
  if (!f) RET(err);
  uint8_t *p = wasi_mem(c, ARG32(1), 64);
  if (!p) RET(WASI_EFAULT);
  struct stat st;
  if (fstat(f->host, &st) != 0) RET(wasi_errno(errno));
  put_filestat(p, &st);
  RET(WASI_ESUCCESS);
}

bool wasi_fd_filestat_set_size(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  (void)c;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(R_FD_FILESTAT_SET_SIZE), &err);
  if (!f) RET(err);
  if ((int64_t)ARG64(1) < 0) RET(WASI_EINVAL);
  if (ftruncate(f->host, (off_t)ARG64(1)) != 0) RET(wasi_errno(errno));
  RET(WASI_ESUCCESS);
}

/* fstflags: ATIM 1, ATIM_NOW 2, MTIM 4, MTIM_NOW 8 */
static uint32_t times_of(uint64_t atim, uint64_t mtim, uint32_t fl, struct timespec ts[2]) {
  if (fl & ~15u || ((fl & 1) && (fl & 2)) || ((fl & 4) && (fl & 8))) return WASI_EINVAL;
  ts[0].tv_sec = (time_t)(atim / 1000000000u);
  ts[0].tv_nsec = (fl & 2) ? UTIME_NOW : (fl & 1) ? (long)(atim % 1000000000u) : UTIME_OMIT;
  ts[1].tv_sec = (time_t)(mtim / 1000000000u);
  ts[1].tv_nsec = (fl & 8) ? UTIME_NOW : (fl & 4) ? (long)(mtim % 1000000000u) : UTIME_OMIT;
  return WASI_ESUCCESS;
}

bool wasi_fd_filestat_set_times(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  (void)c;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(R_FD_FILESTAT_SET_TIMES), &err);
  if (!f) RET(err);
  struct timespec ts[2];
  if ((err = times_of(ARG64(1), ARG64(2), ARG32(3), ts)) != WASI_ESUCCESS) RET(err);
  if (futimens(f->host, ts) != 0) RET(wasi_errno(errno));
  RET(WASI_ESUCCESS);
}

/* fd_sync and fd_datasync: one right, one host call on the descriptor. */
static bool fd_call(wasi_ctx *w, uint64_t *slots, uint32_t right, int (*call)(int)) {
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(right), &err);
  if (!f) RET(err);
  RET(call(f->host) == 0 ? WASI_ESUCCESS : wasi_errno(errno));
}

bool wasi_fd_sync(wrun_caller *c, void *env, uint64_t *slots) {
  (void)c;
  return fd_call(env, slots, R_FD_SYNC, fsync);
}

bool wasi_fd_datasync(wrun_caller *c, void *env, uint64_t *slots) {
  (void)c;
  return fd_call(env, slots, R_FD_DATASYNC, fdatasync);
}

bool wasi_fd_advise(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  (void)c;
  static const int advice[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                               POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(R_FD_ADVISE), &err);
  if (!f) RET(err);
  if (ARG32(3) > 5) RET(WASI_EINVAL);
  int r = posix_fadvise(f->host, (off_t)ARG64(1), (off_t)ARG64(2), advice[ARG32(3)]);
  RET(r == 0 ? WASI_ESUCCESS : wasi_errno(r));
}

bool wasi_fd_allocate(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  (void)c;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(R_FD_ALLOCATE), &err);
  if (!f) RET(err);
  int r = posix_fallocate(f->host, (off_t)ARG64(1), (off_t)ARG64(2));
  RET(r == 0 ? WASI_ESUCCESS : wasi_errno(r));
}

bool wasi_fd_renumber(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  (void)c;
  uint32_t err;
  wasi_fd *from = wasi_fd_get(w, ARG32(0), 0, &err);
  if (!from) RET(err);
  wasi_fd *to = wasi_fd_get(w, ARG32(1), 0, &err);
  if (!to) RET(err);
  if (from == to) RET(WASI_ESUCCESS);
  wasi_fd_release(w, to);
  *to = *from;
  memset(from, 0, sizeof *from);
  RET(WASI_ESUCCESS);
}

/* fd_readdir: entries from `cookie` on, "." and ".." included; the last entry
 * may be cut short when the buffer fills (the guest then asks again). */
bool wasi_fd_readdir(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err, buf_len = ARG32(2);
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(R_FD_READDIR), &err);
  if (!f) RET(err);
  if (f->type != WASI_FT_DIR) RET(WASI_ENOTDIR);
  uint8_t *buf = wasi_mem(c, ARG32(1), buf_len), *pused = wasi_mem(c, ARG32(4), 4);
  if (!buf || !pused) RET(WASI_EFAULT);
  int dfd = openat(f->host, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (dfd < 0) RET(wasi_errno(errno));
  DIR *d = fdopendir(dfd);
  if (!d) {
    close(dfd);
    RET(wasi_errno(errno));
  }
  uint64_t cookie = ARG64(3), idx = 0;
  uint32_t used = 0;
  struct dirent *e;
  while (used < buf_len && (errno = 0, e = readdir(d))) {
    if (idx++ < cookie) continue;
    uint8_t hdr[24];
    uint64_t next = idx, ino = e->d_ino;
    uint32_t namlen = (uint32_t)strlen(e->d_name);
    memset(hdr, 0, 24);
    memcpy(hdr, &next, 8);
    memcpy(hdr + 8, &ino, 8);
    memcpy(hdr + 16, &namlen, 4);
    hdr[20] = e->d_type == DT_DIR ? WASI_FT_DIR : e->d_type == DT_REG ? WASI_FT_REG
            : e->d_type == DT_LNK ? WASI_FT_SYMLINK : e->d_type == DT_CHR ? WASI_FT_CHAR
            : e->d_type == DT_BLK ? WASI_FT_BLOCK : e->d_type == DT_SOCK ? WASI_FT_SOCK_STREAM : WASI_FT_UNKNOWN;
    uint32_t n = buf_len - used < 24 ? buf_len - used : 24;
    memcpy(buf + used, hdr, n);
    used += n;
    n = buf_len - used < namlen ? buf_len - used : namlen;
    memcpy(buf + used, e->d_name, n);
    used += n;
  }
  int e2 = errno;
  closedir(d);
  if (e2 && used < buf_len) RET(wasi_errno(e2));
  memcpy(pused, &used, 4);
  RET(WASI_ESUCCESS);
}

/* ---- paths ------------------------------------------------------------------------------ */

/* oflags: CREAT 1, DIRECTORY 2, EXCL 4, TRUNC 8 */
bool wasi_path_open(wrun_caller *c, void *env, uint64_t *slots) {
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
  if (!pfd) RET(WASI_EFAULT);
  char *path;
  if ((err = guest_path(c, ARG32(2), ARG32(3), &path)) != WASI_ESUCCESS) RET(err);
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
  int h = open_beneath(dir->host, path, flags, 0666, dirflags & 1);
  if (h < 0 && errno == EISDIR && (flags & O_ACCMODE) != O_RDONLY) /* a directory opened for writing */
    h = -1;
  free(path);
  if (h < 0) RET(wasi_errno(errno));
  struct stat st;
  if (fstat(h, &st) != 0) {
    int e = errno;
    close(h);
    RET(wasi_errno(e));
  }
  int64_t fd = wasi_fd_alloc(w);
  if (fd < 0) {
    close(h);
    RET(WASI_EMFILE);
  }
  dir = &w->fds[ARG32(0)]; /* the table may have moved */
  wasi_fd *f = &w->fds[fd];
  f->used = true;
  f->host = h;
  f->type = wasi_filetype_of(st.st_mode);
  f->rights = base & (f->type == WASI_FT_DIR ? WASI_RIGHTS_DIR : WASI_RIGHTS_FILE | WASI_R(R_POLL_FD_READWRITE));
  f->inheriting = inh;
  f->flags = (uint16_t)fdflags;
  uint32_t v = (uint32_t)fd;
  memcpy(pfd, &v, 4);
  RET(WASI_ESUCCESS);
}

bool wasi_path_filestat_get(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  wasi_fd *dir = wasi_fd_get(w, ARG32(0), WASI_R(R_PATH_FILESTAT_GET), &err);
  if (!dir) RET(err);
  uint8_t *p = wasi_mem(c, ARG32(4), 64);
  if (!p) RET(WASI_EFAULT);
  char *path;
  if ((err = guest_path(c, ARG32(2), ARG32(3), &path)) != WASI_ESUCCESS) RET(err);
  int h = open_beneath(dir->host, path, O_PATH, 0, ARG32(1) & 1);
  free(path);
  if (h < 0) RET(wasi_errno(errno));
  struct stat st;
  int r = fstat(h, &st);
  int e = errno;
  close(h);
  if (r != 0) RET(wasi_errno(e));
  put_filestat(p, &st);
  RET(WASI_ESUCCESS);
}

bool wasi_path_filestat_set_times(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  wasi_fd *dir = wasi_fd_get(w, ARG32(0), WASI_R(R_PATH_FILESTAT_SET_TIMES), &err);
  if (!dir) RET(err);
  struct timespec ts[2];
  if ((err = times_of(ARG64(4), ARG64(5), ARG32(6), ts)) != WASI_ESUCCESS) RET(err);
  char *path;
  if ((err = guest_path(c, ARG32(2), ARG32(3), &path)) != WASI_ESUCCESS) RET(err);
  int parent;
  const char *name;
  err = open_parent(dir->host, path, &parent, &name);
  if (err == WASI_ESUCCESS) {
    if (utimensat(parent, name, ts, (ARG32(1) & 1) ? 0 : AT_SYMLINK_NOFOLLOW) != 0) err = wasi_errno(errno);
    close(parent);
  }
  free(path);
  RET(err);
}

/* The common shape of mkdir/rmdir/unlink: resolve the parent, act on the name. */
static bool path_op(wrun_caller *c, wasi_ctx *w, uint64_t *slots, uint32_t right, int (*op)(int, const char *)) {
  uint32_t err;
  wasi_fd *dir = wasi_fd_get(w, ARG32(0), WASI_R(right), &err);
  if (!dir) RET(err);
  char *path;
  if ((err = guest_path(c, ARG32(1), ARG32(2), &path)) != WASI_ESUCCESS) RET(err);
  int parent;
  const char *name;
  err = open_parent(dir->host, path, &parent, &name);
  if (err == WASI_ESUCCESS) {
    if (op(parent, name) != 0) err = wasi_errno(errno);
    close(parent);
  }
  free(path);
  RET(err);
}

static int do_mkdir(int d, const char *n) { return mkdirat(d, n, 0777); }
static int do_rmdir(int d, const char *n) { return unlinkat(d, n, AT_REMOVEDIR); }
static int do_unlink(int d, const char *n) { return unlinkat(d, n, 0); }

bool wasi_path_create_directory(wrun_caller *c, void *env, uint64_t *slots) {
  return path_op(c, env, slots, R_PATH_CREATE_DIRECTORY, do_mkdir);
}
bool wasi_path_remove_directory(wrun_caller *c, void *env, uint64_t *slots) {
  return path_op(c, env, slots, R_PATH_REMOVE_DIRECTORY, do_rmdir);
}
bool wasi_path_unlink_file(wrun_caller *c, void *env, uint64_t *slots) {
  return path_op(c, env, slots, R_PATH_UNLINK_FILE, do_unlink);
}

/* rename and link: two (descriptor, path) pairs, each resolved to a parent
 * beneath its preopen, then one *at call on the two names. */
static bool two_paths(wrun_caller *c, wasi_ctx *w, uint64_t *slots, uint32_t from_arg, uint32_t from_right,
                      uint32_t to_arg, uint32_t to_right, int (*op)(int, const char *, int, const char *)) {
  uint32_t err;
  wasi_fd *from = wasi_fd_get(w, ARG32(from_arg), WASI_R(from_right), &err);
  if (!from) RET(err);
  wasi_fd *to = wasi_fd_get(w, ARG32(to_arg), WASI_R(to_right), &err);
  if (!to) RET(err);
  char *a = NULL, *b = NULL;
  if ((err = guest_path(c, ARG32(from_arg + 1), ARG32(from_arg + 2), &a)) != WASI_ESUCCESS) RET(err);
  if ((err = guest_path(c, ARG32(to_arg + 1), ARG32(to_arg + 2), &b)) != WASI_ESUCCESS) {
    free(a);
    RET(err);
  }
  int pa = -1, pb = -1;
  const char *na, *nb;
  err = open_parent(from->host, a, &pa, &na);
  if (err == WASI_ESUCCESS) err = open_parent(to->host, b, &pb, &nb);
  if (err == WASI_ESUCCESS && op(pa, na, pb, nb) != 0) err = wasi_errno(errno);
  if (pa >= 0) close(pa);
  if (pb >= 0) close(pb);
  free(a);
  free(b);
  RET(err);
}

static int link_names(int da, const char *a, int db, const char *b) { return linkat(da, a, db, b, 0); }

/* path_rename(fd, old_path, old_len, new_fd, new_path, new_len) */
bool wasi_path_rename(wrun_caller *c, void *env, uint64_t *slots) {
  return two_paths(c, env, slots, 0, R_PATH_RENAME_SOURCE, 3, R_PATH_RENAME_TARGET, renameat);
}

/* path_link(old_fd, old_flags, old_path, old_len, new_fd, new_path, new_len) */
bool wasi_path_link(wrun_caller *c, void *env, uint64_t *slots) {
  if (ARG32(1) & 1) RET(WASI_EINVAL); /* following a symlink source could leave the preopen */
  /* shift the arguments so both pairs read (fd, path, len) */
  uint64_t shifted[7] = {slots[0], slots[2], slots[3], slots[4], slots[5], slots[6], 0};
  bool ok = two_paths(c, env, shifted, 0, R_PATH_LINK_SOURCE, 3, R_PATH_LINK_TARGET, link_names);
  slots[0] = shifted[0];
  return ok;
}

/* path_symlink(old_path, fd, new_path): a link whose target is absolute is refused. */
bool wasi_path_symlink(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  wasi_fd *dir = wasi_fd_get(w, ARG32(2), WASI_R(R_PATH_SYMLINK), &err);
  if (!dir) RET(err);
  char *target = NULL, *path = NULL;
  if ((err = guest_path(c, ARG32(0), ARG32(1), &target)) != WASI_ESUCCESS) RET(err);
  if ((err = guest_path(c, ARG32(3), ARG32(4), &path)) != WASI_ESUCCESS) {
    free(target);
    RET(err);
  }
  int parent;
  const char *name;
  err = open_parent(dir->host, path, &parent, &name);
  if (err == WASI_ESUCCESS) {
    if (symlinkat(target, parent, name) != 0) err = wasi_errno(errno);
    close(parent);
  }
  free(target);
  free(path);
  RET(err);
}

/* path_readlink: a buffer shorter than the target gets the truncated target. */
bool wasi_path_readlink(wrun_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  wasi_fd *dir = wasi_fd_get(w, ARG32(0), WASI_R(R_PATH_READLINK), &err);
  if (!dir) RET(err);
  uint8_t *buf = wasi_mem(c, ARG32(3), ARG32(4)), *pused = wasi_mem(c, ARG32(5), 4);
  if (!buf || !pused) RET(WASI_EFAULT);
  char *path;
  if ((err = guest_path(c, ARG32(1), ARG32(2), &path)) != WASI_ESUCCESS) RET(err);
  int parent;
  const char *name;
  err = open_parent(dir->host, path, &parent, &name);
  if (err == WASI_ESUCCESS) {
    ssize_t n = readlinkat(parent, name, (char *)buf, ARG32(4));
    if (n < 0) err = wasi_errno(errno);
    else {
      uint32_t u = (uint32_t)n;
      memcpy(pused, &u, 4);
    }
    close(parent);
  }
  free(path);
  RET(err);
}
