/*
 * wasi_fs.c — WASI descriptors, files and directories: reads and writes
 * (plain readv/preadv: files never wait), seeking, descriptor flags and rights, stat and
 * times of open descriptors, readdir. Everything that takes a path is in
 * wasi_path.c, which resolves it beneath a preopen without ever letting the
 * kernel follow a symlink it has not checked.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stddef.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <sys/uio.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

#define ARG32(i) ((uint32_t)slots[i])
#define ARG64(i) (slots[i])
#define RET(v) do { slots[0] = (uint32_t)(v); return true; } while (0)
#define CTX wasi_ctx *w = env

/* ---- stat conversion ------------------------------------------------------------ */

void wasi_put_filestat(uint8_t *p, const struct stat *st) {
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

/* ---- reads and writes ---------------------------------------------------------------- */

/* libuv's uv_buf_t is struct iovec on Unix (its documented guarantee), which
 * lets the guest's buffers go to the kernel as they are. */
_Static_assert(sizeof(uv_buf_t) == sizeof(struct iovec) && offsetof(uv_buf_t, base) == offsetof(struct iovec, iov_base) &&
                   offsetof(uv_buf_t, len) == offsetof(struct iovec, iov_len),
               "uv_buf_t is laid out as struct iovec");

/* A file's read or write: one system call, since files do not block (so
 * no libuv loop is needed), again if a signal interrupted it; at most IOV_MAX
 * buffers per call (the count is short then, as POSIX allows). Returns the
 * count or a negative errno. */
static int64_t file_rw(int fd, bool write, const uv_buf_t *bufs, uint32_t n, int64_t off) {
  const struct iovec *iov = (const struct iovec *)(const void *)bufs;
  int cnt = n > IOV_MAX ? IOV_MAX : (int)n;
  ssize_t r;
  do {
    if (off < 0) r = write ? writev(fd, iov, cnt) : readv(fd, iov, cnt);
    else r = write ? pwritev(fd, iov, cnt, off) : preadv(fd, iov, cnt, off);
  } while (r < 0 && errno == EINTR);
  return r < 0 ? -(int64_t)errno : (int64_t)r;
}

static bool rw(rt_caller *c, wasi_ctx *w, uint64_t *slots, bool write, bool positioned) {
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
    r = file_rw(f->host, write, bufs, ARG32(2), off);
  }
  free(bufs);
  if (r < 0) RET(wasi_errno((int)r));
  n = (uint32_t)r;
  memcpy(pn, &n, 4);
  RET(WASI_ESUCCESS);
}

bool wasi_fd_read(rt_caller *c, void *env, uint64_t *slots) { return rw(c, env, slots, false, false); }
bool wasi_fd_write(rt_caller *c, void *env, uint64_t *slots) { return rw(c, env, slots, true, false); }
bool wasi_fd_pread(rt_caller *c, void *env, uint64_t *slots) { return rw(c, env, slots, false, true); }
bool wasi_fd_pwrite(rt_caller *c, void *env, uint64_t *slots) { return rw(c, env, slots, true, true); }

/* ---- descriptors ---------------------------------------------------------------------- */

bool wasi_fd_close(rt_caller *c, void *env, uint64_t *slots) {
  CTX;
  (void)c;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), 0, &err);
  if (!f) RET(err);
  wasi_fd_release(w, f);
  RET(WASI_ESUCCESS);
}

bool wasi_fd_seek(rt_caller *c, void *env, uint64_t *slots) {
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

bool wasi_fd_tell(rt_caller *c, void *env, uint64_t *slots) {
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

bool wasi_fd_fdstat_get(rt_caller *c, void *env, uint64_t *slots) {
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

bool wasi_fd_fdstat_set_flags(rt_caller *c, void *env, uint64_t *slots) {
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

bool wasi_fd_fdstat_set_rights(rt_caller *c, void *env, uint64_t *slots) {
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

bool wasi_fd_prestat_get(rt_caller *c, void *env, uint64_t *slots) {
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

bool wasi_fd_prestat_dir_name(rt_caller *c, void *env, uint64_t *slots) {
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

bool wasi_fd_filestat_get(rt_caller *c, void *env, uint64_t *slots) {
  CTX;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(R_FD_FILESTAT_GET), &err);
  if (!f) RET(err);
  uint8_t *p = wasi_mem(c, ARG32(1), 64);
  if (!p) RET(WASI_EFAULT);
  struct stat st;
  if (fstat(f->host, &st) != 0) RET(wasi_errno(errno));
  wasi_put_filestat(p, &st);
  RET(WASI_ESUCCESS);
}

bool wasi_fd_filestat_set_size(rt_caller *c, void *env, uint64_t *slots) {
  CTX;
  (void)c;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(R_FD_FILESTAT_SET_SIZE), &err);
  if (!f) RET(err);
  if ((int64_t)ARG64(1) < 0) RET(WASI_EINVAL);
  if (ftruncate(f->host, (off_t)ARG64(1)) != 0) RET(wasi_errno(errno));
  RET(WASI_ESUCCESS);
}

uint32_t wasi_times_of(uint64_t atim, uint64_t mtim, uint32_t fl, struct timespec ts[2]) {
  if (fl & ~15u || ((fl & 1) && (fl & 2)) || ((fl & 4) && (fl & 8))) return WASI_EINVAL;
  ts[0].tv_sec = (time_t)(atim / 1000000000u);
  ts[0].tv_nsec = (fl & 2) ? UTIME_NOW : (fl & 1) ? (long)(atim % 1000000000u) : UTIME_OMIT;
  ts[1].tv_sec = (time_t)(mtim / 1000000000u);
  ts[1].tv_nsec = (fl & 8) ? UTIME_NOW : (fl & 4) ? (long)(mtim % 1000000000u) : UTIME_OMIT;
  return WASI_ESUCCESS;
}

bool wasi_fd_filestat_set_times(rt_caller *c, void *env, uint64_t *slots) {
  CTX;
  (void)c;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(R_FD_FILESTAT_SET_TIMES), &err);
  if (!f) RET(err);
  struct timespec ts[2];
  if ((err = wasi_times_of(ARG64(1), ARG64(2), ARG32(3), ts)) != WASI_ESUCCESS) RET(err);
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

bool wasi_fd_sync(rt_caller *c, void *env, uint64_t *slots) {
  (void)c;
  return fd_call(env, slots, R_FD_SYNC, fsync);
}

bool wasi_fd_datasync(rt_caller *c, void *env, uint64_t *slots) {
  (void)c;
  return fd_call(env, slots, R_FD_DATASYNC, fdatasync);
}

bool wasi_fd_advise(rt_caller *c, void *env, uint64_t *slots) {
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

bool wasi_fd_allocate(rt_caller *c, void *env, uint64_t *slots) {
  CTX;
  (void)c;
  uint32_t err;
  wasi_fd *f = wasi_fd_get(w, ARG32(0), WASI_R(R_FD_ALLOCATE), &err);
  if (!f) RET(err);
  int r = posix_fallocate(f->host, (off_t)ARG64(1), (off_t)ARG64(2));
  RET(r == 0 ? WASI_ESUCCESS : wasi_errno(r));
}

bool wasi_fd_renumber(rt_caller *c, void *env, uint64_t *slots) {
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
bool wasi_fd_readdir(rt_caller *c, void *env, uint64_t *slots) {
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
    struct stat st; /* some filesystems do not fill d_type: ask, without following a symlink */
    if (e->d_type == DT_UNKNOWN && fstatat(dirfd(d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0)
      hdr[20] = wasi_filetype_of(st.st_mode);
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
