/*
 * filesystem.c — wasi:filesystem 0.2 (types, preopens) for the WASI 0.2 host:
 * descriptors over host files and directories, directory-entry streams, file
 * streams, and the preopened directories of the CLI's --dir / --dir-ro.
 *
 * One sandbox for both preview versions: the preopens are the preview-1
 * context's own directory descriptors (wp2_config.fs), and every path goes
 * through preview 1's resolver (wasi_at_* in src/wasi/wasi_path.c), so `..`,
 * absolute paths and symlinks leading out are refused the same way, with or
 * without openat2. Its NOTCAPABLE is `not-permitted` here, as in wasmtime.
 *
 * Permissions follow wasmtime's model: a directory may be read (always) and
 * mutated (not beneath a --dir-ro preopen); files opened beneath it may be
 * read (always) and written (not beneath --dir-ro). Refusals by these
 * permissions are `not-permitted`; asking a file for a directory operation is
 * `not-directory`, and a directory for a file operation `bad-descriptor`.
 *
 * A descriptor's rep indexes fs->descs; a directory-entry stream's rep
 * indexes fs->dirs. File streams (read-via-stream, write-via-stream,
 * append-via-stream) are io.c's positioned streams over a duplicate of the
 * descriptor, so they outlive a dropped descriptor as the spec allows.
 */
#include "wasip2/wasip2_impl.h"

#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <limits.h>
#include <stdlib.h>
#include <string.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <unistd.h>

#include "wasi/wasi_impl.h"

#define IFACE_TYPES "wasi:filesystem/types"
#define FS_MAX_READ (1u << 20) /* bytes one descriptor.read returns at most */

/* error-code cases, in WIT order */
enum {
  EC_ACCESS, EC_WOULD_BLOCK, EC_ALREADY, EC_BAD_DESCRIPTOR, EC_BUSY, EC_DEADLOCK, EC_QUOTA, EC_EXIST,
  EC_FILE_TOO_LARGE, EC_ILLEGAL_BYTE_SEQUENCE, EC_IN_PROGRESS, EC_INTERRUPTED, EC_INVALID, EC_IO,
  EC_IS_DIRECTORY, EC_LOOP, EC_TOO_MANY_LINKS, EC_MESSAGE_SIZE, EC_NAME_TOO_LONG, EC_NO_DEVICE,
  EC_NO_ENTRY, EC_NO_LOCK, EC_INSUFFICIENT_MEMORY, EC_INSUFFICIENT_SPACE, EC_NOT_DIRECTORY, EC_NOT_EMPTY,
  EC_NOT_RECOVERABLE, EC_UNSUPPORTED, EC_NO_TTY, EC_NO_SUCH_DEVICE, EC_OVERFLOW, EC_NOT_PERMITTED, EC_PIPE,
  EC_READ_ONLY, EC_INVALID_SEEK, EC_TEXT_FILE_BUSY, EC_CROSS_DEVICE,
};

/* descriptor-type cases */
enum { DT_UNKNOWN_, DT_BLOCK, DT_CHAR, DT_DIR_, DT_FIFO_, DT_SYMLINK, DT_REG_, DT_SOCKET };

/* flags */
enum { DF_READ = 1, DF_WRITE = 2, DF_FILE_SYNC = 4, DF_DATA_SYNC = 8, DF_WRITE_SYNC = 16, DF_MUTATE_DIR = 32 };
enum { OF_CREATE = 1, OF_DIRECTORY = 2, OF_EXCLUSIVE = 4, OF_TRUNCATE = 8 };
enum { PF_SYMLINK_FOLLOW = 1 };

typedef struct fs_desc {
  int fd;
  bool owned;        /* closed when dropped (a preopen's descriptor belongs to the preview-1 context) */
  bool dir;          /* a directory (else a file or anything else that is not one) */
  bool mutate;       /* directory: may create, remove, rename, link, set times beneath it */
  bool file_write;   /* files opened here (or this file) may be written */
  uint8_t flags;     /* descriptor-flags reported by get-flags */
} fs_desc;

typedef struct fs_dirstream {
  DIR *d;
} fs_dirstream;

struct wp2_fs {
  wasi_ctx *w;                                   /* preopens and the resolver's settings */
  const wc_resource_type *rt_desc, *rt_dirs;
  wp2_table descs;                               /* fs_desc */
  wp2_table dirs;                                /* fs_dirstream */
  uint64_t key[2];                               /* metadata-hash key, random per context */
};

/* ---- values --------------------------------------------------------------- */

static uint32_t error_code_of(uint32_t wasi_errno) {
  switch (wasi_errno) {
  case WASI_EACCES: return EC_ACCESS;
  case WASI_EAGAIN: return EC_WOULD_BLOCK;
  case WASI_EALREADY: return EC_ALREADY;
  case WASI_EBADF: return EC_BAD_DESCRIPTOR;
  case WASI_EBUSY: return EC_BUSY;
  case WASI_EDEADLK: return EC_DEADLOCK;
  case WASI_EDQUOT: return EC_QUOTA;
  case WASI_EEXIST: return EC_EXIST;
  case WASI_EFBIG: return EC_FILE_TOO_LARGE;
  case WASI_EILSEQ: return EC_ILLEGAL_BYTE_SEQUENCE;
  case WASI_EINPROGRESS: return EC_IN_PROGRESS;
  case WASI_EINTR: return EC_INTERRUPTED;
  case WASI_EINVAL: return EC_INVALID;
  case WASI_EISDIR: return EC_IS_DIRECTORY;
  case WASI_ELOOP: return EC_LOOP;
  case WASI_EMLINK: return EC_TOO_MANY_LINKS;
  case WASI_EMSGSIZE: return EC_MESSAGE_SIZE;
  case WASI_ENAMETOOLONG: return EC_NAME_TOO_LONG;
  case WASI_ENODEV: return EC_NO_DEVICE;
  case WASI_ENOENT: return EC_NO_ENTRY;
  case WASI_ENOLCK: return EC_NO_LOCK;
  case WASI_ENOMEM: return EC_INSUFFICIENT_MEMORY;
  case WASI_ENOSPC: return EC_INSUFFICIENT_SPACE;
  case WASI_ENOTDIR: return EC_NOT_DIRECTORY;
  case WASI_ENOTEMPTY: return EC_NOT_EMPTY;
  case WASI_ENOTRECOVERABLE: return EC_NOT_RECOVERABLE;
  case WASI_ENOTSUP: case WASI_ENOSYS: return EC_UNSUPPORTED;
  case WASI_ENOTTY: return EC_NO_TTY;
  case WASI_ENXIO: return EC_NO_SUCH_DEVICE;
  case WASI_EOVERFLOW: return EC_OVERFLOW;
  case WASI_EPERM: return EC_NOT_PERMITTED;
  case WASI_ENOTCAPABLE: return EC_NOT_PERMITTED; /* the sandbox refused: as wasmtime answers an escape */
  case WASI_EPIPE: return EC_PIPE;
  case WASI_EROFS: return EC_READ_ONLY;
  case WASI_ESPIPE: return EC_INVALID_SEEK;
  case WASI_ETXTBSY: return EC_TEXT_FILE_BUSY;
  case WASI_EXDEV: return EC_CROSS_DEVICE;
  default: return EC_IO;
  }
}

/* res[0] = ok(payload) */
static bool ok(wc_value *res, wc_value *payload) {
  res[0] = wp2_variant(0, payload);
  return true;
}

/* res[0] = err(error-code `code`) */
static bool fail_code(wc_arena *a, wc_value *res, uint32_t code, wc_trap *trap) {
  wc_value *v = wp2_vals(a, 1);
  if (!v) return wp2_trap_oom(trap);
  *v = wp2_variant(code, NULL);
  res[0] = wp2_variant(1, v);
  return true;
}

/* res[0] = err(the error-code of WASI errno e) */
static bool fail(wc_arena *a, wc_value *res, uint32_t e, wc_trap *trap) {
  return fail_code(a, res, error_code_of(e), trap);
}

/* ok(_) or err(e) for a WASI errno (0: ok). */
static bool done(wc_arena *a, wc_value *res, uint32_t e, wc_trap *trap) {
  return e ? fail(a, res, e, trap) : ok(res, NULL);
}

static uint32_t type_of(mode_t m) {
  if (S_ISREG(m)) return DT_REG_;
  if (S_ISDIR(m)) return DT_DIR_;
  if (S_ISLNK(m)) return DT_SYMLINK;
  if (S_ISCHR(m)) return DT_CHAR;
  if (S_ISBLK(m)) return DT_BLOCK;
  if (S_ISFIFO(m)) return DT_FIFO_;
  if (S_ISSOCK(m)) return DT_SOCKET;
  return DT_UNKNOWN_;
}

/* option<datetime> of a host time: none before 1970 (datetime is unsigned). */
static void timestamp(const struct timespec *ts, wc_value *opt, wc_value *rec) {
  if (ts->tv_sec < 0) { *opt = wp2_variant(0, NULL); return; }
  rec[0] = (wc_value){.kind = WC_V_U64, .u.u = (uint64_t)ts->tv_sec};
  rec[1] = (wc_value){.kind = WC_V_U32, .u.u = (uint64_t)ts->tv_nsec};
  opt[1] = (wc_value){.kind = WC_V_RECORD, .u.seq = {rec, 2}};
  opt[0] = wp2_variant(1, &opt[1]);
}

/* ok(descriptor-stat) of a host stat, nanoseconds kept. */
static bool stat_result(wc_arena *a, wc_value *res, const struct stat *st, wc_trap *trap) {
  wc_value *v = wp2_vals(a, 1 + 6 + 3 * 2 + 3 * 2);
  if (!v) return wp2_trap_oom(trap);
  wc_value *f = v + 1, *opts = f + 6, *recs = opts + 6;
  f[0] = wp2_variant(type_of(st->st_mode), NULL);
  f[1] = (wc_value){.kind = WC_V_U64, .u.u = (uint64_t)st->st_nlink};
  f[2] = (wc_value){.kind = WC_V_U64, .u.u = (uint64_t)st->st_size};
  const struct timespec *t[3] = {&st->st_atim, &st->st_mtim, &st->st_ctim};
  for (int i = 0; i < 3; i++) {
    timestamp(t[i], &opts[2 * i], &recs[2 * i]);
    f[3 + i] = opts[2 * i];
  }
  v[0] = (wc_value){.kind = WC_V_RECORD, .u.seq = {f, 6}};
  return ok(res, v);
}

/* A string for the guest must be UTF-8 (host names need not be). */
static bool is_utf8(const unsigned char *s, size_t n) {
  for (size_t i = 0; i < n;) {
    unsigned c = s[i];
    size_t len = c < 0x80 ? 1 : (c & 0xe0) == 0xc0 ? 2 : (c & 0xf0) == 0xe0 ? 3 : (c & 0xf8) == 0xf0 ? 4 : 0;
    if (!len || i + len > n) return false;
    uint32_t cp = len == 1 ? c : len == 2 ? c & 0x1f : len == 3 ? c & 0x0f : c & 0x07;
    for (size_t k = 1; k < len; k++) {
      if ((s[i + k] & 0xc0) != 0x80) return false;
      cp = cp << 6 | (s[i + k] & 0x3f);
    }
    if ((len == 2 && cp < 0x80) || (len == 3 && cp < 0x800) || (len == 4 && cp < 0x10000) || cp > 0x10ffff ||
        (cp >= 0xd800 && cp <= 0xdfff))
      return false;
    i += len;
  }
  return true;
}

/* A copy of s[0..n) in the arena as a string value; NULL when out of memory. */
static bool arena_str(wc_arena *a, const char *s, size_t n, wc_value *out) {
  char *c = wc_arena_alloc(a, n ? n : 1);
  if (!c) return false;
  memcpy(c, s, n);
  *out = wp2_str(c, n);
  return true;
}

/* new-timestamp -> a utimensat timespec; false for nanoseconds past a second. */
static bool new_timestamp(const wc_value *v, struct timespec *ts) {
  switch (v->u.var.index) {
  case 0: ts->tv_sec = 0; ts->tv_nsec = UTIME_OMIT; return true;
  case 1: ts->tv_sec = 0; ts->tv_nsec = UTIME_NOW; return true;
  default: {
    const wc_value *r = v->u.var.payload->u.seq.v;
    if (r[1].u.u >= 1000000000u || r[0].u.u > (uint64_t)INT64_MAX) return false;
    ts->tv_sec = (time_t)r[0].u.u;
    ts->tv_nsec = (long)r[1].u.u;
    return true;
  }
  }
}

/* ---- descriptors ---------------------------------------------------------- */

static bool new_desc(wp2_ctx *p, const fs_desc *d, wc_value *out, wc_trap *trap) {
  fs_desc *o = malloc(sizeof *o);
  if (!o) {
    if (d->owned) close(d->fd);
    return wp2_trap_oom(trap);
  }
  *o = *d;
  uint32_t rep;
  if (!wp2_table_add(&p->fs->descs, o, &rep, trap)) {
    if (o->owned) close(o->fd);
    free(o);
    return false;
  }
  *out = wp2_own(p->fs->rt_desc, rep);
  return true;
}

static void desc_release(fs_desc *d) {
  if (d->owned) close(d->fd);
  free(d);
}

static bool desc_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  fs_desc *d = wp2_table_take(&((wp2_ctx *)ctx)->fs->descs, rep);
  if (d) desc_release(d);
  return true;
}

/* The descriptor of handle args[i] (a trap when unknown). */
static fs_desc *desc_arg(wp2_ctx *p, const wc_value *args, int i, wc_trap *trap) {
  return wp2_table_get(&p->fs->descs, args[i].u.handle.rep, trap);
}

/* Each descriptor function: `d` is args[0]'s descriptor, or the function has trapped. */
#define DESC                                                                                           \
  WP2_UNUSED;                                                                                          \
  wp2_ctx *p = env;                                                                                    \
  fs_desc *d = desc_arg(p, args, 0, trap);                                                             \
  if (!d) return false
/* A directory operation on a file is not-directory. */
#define NEED_DIR                                                                                       \
  if (!d->dir) return fail_code(a, res, EC_NOT_DIRECTORY, trap)
/* A file operation on a directory is bad-descriptor. */
#define NEED_FILE                                                                                      \
  if (d->dir) return fail_code(a, res, EC_BAD_DESCRIPTOR, trap)
#define NEED_MUTATE                                                                                    \
  if (!d->mutate) return fail_code(a, res, EC_NOT_PERMITTED, trap)

static uint32_t host_err(void) { return wasi_errno(errno); }

/* The path argument args[i] (a string). */
#define PATH(i) args[i].u.str.ptr, args[i].u.str.len

/* ---- streams -------------------------------------------------------------- */

/* A positioned stream over a duplicate of the file's descriptor. */
static bool file_stream(wp2_ctx *p, fs_desc *d, bool output, bool append, uint64_t offset, wc_value *res,
                        wc_arena *a, wc_trap *trap) {
  int fd = fcntl(d->fd, F_DUPFD_CLOEXEC, 3);
  if (fd < 0) return fail(a, res, host_err(), trap);
  wp2_stream s = {.fd = fd, .owns_fd = true, .positioned = true, .append = append, .offset = offset};
  wc_value *v = wp2_vals(a, 1);
  if (!v) {
    close(fd);
    return wp2_trap_oom(trap);
  }
  if (!(output ? wp2_new_output_stream(p, &s, v, trap) : wp2_new_input_stream(p, &s, v, trap))) return false;
  return ok(res, v);
}

WP2_FN(fs_read_via_stream) {
  DESC;
  NEED_FILE;
  return file_stream(p, d, false, false, args[1].u.u, res, a, trap);
}

WP2_FN(fs_write_via_stream) {
  DESC;
  NEED_FILE;
  if (!d->file_write) return fail_code(a, res, EC_BAD_DESCRIPTOR, trap);
  return file_stream(p, d, true, false, args[1].u.u, res, a, trap);
}

WP2_FN(fs_append_via_stream) {
  DESC;
  NEED_FILE;
  if (!d->file_write) return fail_code(a, res, EC_BAD_DESCRIPTOR, trap);
  return file_stream(p, d, true, true, 0, res, a, trap);
}

/* ---- file operations ------------------------------------------------------ */

WP2_FN(fs_advise) {
  DESC;
  NEED_FILE;
  static const int advice[] = {POSIX_FADV_NORMAL, POSIX_FADV_SEQUENTIAL, POSIX_FADV_RANDOM,
                               POSIX_FADV_WILLNEED, POSIX_FADV_DONTNEED, POSIX_FADV_NOREUSE};
  uint64_t off = args[1].u.u, len = args[2].u.u;
  if (off > (uint64_t)INT64_MAX || len > (uint64_t)INT64_MAX) return fail(a, res, WASI_EINVAL, trap);
  int e = posix_fadvise(d->fd, (off_t)off, (off_t)len, advice[args[3].u.var.index % 6]);
  return done(a, res, e ? wasi_errno(e) : 0, trap);
}

WP2_FN(fs_sync_data) { DESC; return done(a, res, fdatasync(d->fd) == 0 ? 0 : host_err(), trap); }
WP2_FN(fs_sync) { DESC; return done(a, res, fsync(d->fd) == 0 ? 0 : host_err(), trap); }

WP2_FN(fs_get_flags) {
  DESC;
  wc_value *v = wp2_vals(a, 1);
  if (!v) return wp2_trap_oom(trap);
  *v = (wc_value){.kind = WC_V_FLAGS, .u.flags = d->flags};
  return ok(res, v);
}

WP2_FN(fs_get_type) {
  DESC;
  struct stat st;
  if (fstat(d->fd, &st) != 0) return fail(a, res, host_err(), trap);
  wc_value *v = wp2_vals(a, 1);
  if (!v) return wp2_trap_oom(trap);
  *v = wp2_variant(type_of(st.st_mode), NULL);
  return ok(res, v);
}

WP2_FN(fs_set_size) {
  DESC;
  NEED_FILE;
  if (!d->file_write) return fail_code(a, res, EC_NOT_PERMITTED, trap);
  if (args[1].u.u > (uint64_t)INT64_MAX) return fail(a, res, WASI_EFBIG, trap);
  return done(a, res, ftruncate(d->fd, (off_t)args[1].u.u) == 0 ? 0 : host_err(), trap);
}

WP2_FN(fs_set_times) {
  DESC;
  if (d->dir ? !d->mutate : !d->file_write) return fail_code(a, res, EC_NOT_PERMITTED, trap);
  struct timespec ts[2];
  if (!new_timestamp(&args[1], &ts[0]) || !new_timestamp(&args[2], &ts[1])) return fail(a, res, WASI_EINVAL, trap);
  return done(a, res, futimens(d->fd, ts) == 0 ? 0 : host_err(), trap);
}

WP2_FN(fs_read) {
  DESC;
  NEED_FILE;
  uint64_t len = args[1].u.u, off = args[2].u.u;
  if (off > (uint64_t)INT64_MAX) return fail(a, res, WASI_EINVAL, trap);
  if (len > FS_MAX_READ) len = FS_MAX_READ;
  uint8_t *buf = wc_arena_alloc(a, len ? (size_t)len : 1);
  wc_value *v = wp2_vals(a, 3);
  if (!buf || !v) return wp2_trap_oom(trap);
  ssize_t n;
  do n = pread(d->fd, buf, (size_t)len, (off_t)off);
  while (n < 0 && errno == EINTR);
  if (n < 0) return fail(a, res, host_err(), trap);
  if (!wp2_u8_list(a, buf, (size_t)n, &v[1])) return wp2_trap_oom(trap);
  v[2] = (wc_value){.kind = WC_V_BOOL, .u.b = n == 0}; /* end of file: nothing more at this offset */
  v[0] = (wc_value){.kind = WC_V_RECORD, .u.seq = {&v[1], 2}};
  return ok(res, v);
}

WP2_FN(fs_write) {
  DESC;
  NEED_FILE;
  if (!d->file_write) return fail_code(a, res, EC_NOT_PERMITTED, trap);
  uint32_t n = args[1].u.seq.n;
  uint64_t off = args[2].u.u;
  if (off > (uint64_t)INT64_MAX) return fail(a, res, WASI_EINVAL, trap);
  uint8_t *buf = wc_arena_alloc(a, n ? n : 1);
  wc_value *v = wp2_vals(a, 1);
  if (!buf || !v) return wp2_trap_oom(trap);
  for (uint32_t i = 0; i < n; i++) buf[i] = (uint8_t)args[1].u.seq.v[i].u.u;
  size_t put = 0;
  while (put < n) {
    ssize_t r = pwrite(d->fd, buf + put, n - put, (off_t)(off + put));
    if (r < 0 && errno == EINTR) continue;
    if (r < 0) {
      if (put) break; /* report what was written */
      return fail(a, res, host_err(), trap);
    }
    put += (size_t)r;
  }
  *v = (wc_value){.kind = WC_V_U64, .u.u = put};
  return ok(res, v);
}

WP2_FN(fs_stat) {
  DESC;
  struct stat st;
  if (fstat(d->fd, &st) != 0) return fail(a, res, host_err(), trap);
  return stat_result(a, res, &st, trap);
}

WP2_FN(fs_is_same_object) {
  DESC;
  fs_desc *o = desc_arg(p, args, 1, trap);
  if (!o) return false;
  struct stat s1, s2;
  bool same = fstat(d->fd, &s1) == 0 && fstat(o->fd, &s2) == 0 && s1.st_dev == s2.st_dev && s1.st_ino == s2.st_ino;
  res[0] = (wc_value){.kind = WC_V_BOOL, .u.b = same};
  return true;
}

/* A 64-bit mix (a keyed multiply-xorshift finaliser) of x under key k. */
static uint64_t mix(uint64_t x, uint64_t k) {
  x ^= k;
  x ^= x >> 31;
  x *= 0x7fb5d329728ea185u;
  x ^= x >> 27;
  x *= 0x81dadef4bc2dd44du;
  x ^= x >> 33;
  return x;
}

/* metadata-hash-value of a stat: keyed (not computable back to the inode),
 * the same while the object is unchanged, different once it is modified
 * (size, modification and change times) or replaced (device, inode). */
static bool hash_result(wp2_ctx *p, wc_arena *a, wc_value *res, const struct stat *st, wc_trap *trap) {
  uint64_t in[6] = {(uint64_t)st->st_dev, (uint64_t)st->st_ino, (uint64_t)st->st_size,
                    (uint64_t)st->st_mtim.tv_sec * 1000000000u + (uint64_t)st->st_mtim.tv_nsec,
                    (uint64_t)st->st_ctim.tv_sec * 1000000000u + (uint64_t)st->st_ctim.tv_nsec, 6};
  uint64_t lo = p->fs->key[0], hi = p->fs->key[1];
  for (int i = 0; i < 6; i++) {
    lo = mix(lo ^ in[i], p->fs->key[1] + (uint64_t)i);
    hi = mix(hi + in[i], p->fs->key[0] ^ (uint64_t)(i + 1) << 56);
  }
  wc_value *v = wp2_vals(a, 3);
  if (!v) return wp2_trap_oom(trap);
  v[1] = (wc_value){.kind = WC_V_U64, .u.u = lo};
  v[2] = (wc_value){.kind = WC_V_U64, .u.u = hi};
  v[0] = (wc_value){.kind = WC_V_RECORD, .u.seq = {&v[1], 2}};
  return ok(res, v);
}

WP2_FN(fs_metadata_hash) {
  DESC;
  struct stat st;
  if (fstat(d->fd, &st) != 0) return fail(a, res, host_err(), trap);
  return hash_result(p, a, res, &st, trap);
}

/* ---- directory operations ------------------------------------------------- */

WP2_FN(fs_stat_at) {
  DESC;
  NEED_DIR;
  struct stat st;
  uint32_t e = wasi_at_stat(p->fs->w, d->fd, PATH(2), args[1].u.flags & PF_SYMLINK_FOLLOW, &st);
  return e ? fail(a, res, e, trap) : stat_result(a, res, &st, trap);
}

WP2_FN(fs_metadata_hash_at) {
  DESC;
  NEED_DIR;
  struct stat st;
  uint32_t e = wasi_at_stat(p->fs->w, d->fd, PATH(2), args[1].u.flags & PF_SYMLINK_FOLLOW, &st);
  return e ? fail(a, res, e, trap) : hash_result(p, a, res, &st, trap);
}

WP2_FN(fs_set_times_at) {
  DESC;
  NEED_DIR;
  NEED_MUTATE;
  struct timespec ts[2];
  if (!new_timestamp(&args[3], &ts[0]) || !new_timestamp(&args[4], &ts[1])) return fail(a, res, WASI_EINVAL, trap);
  return done(a, res, wasi_at_set_times(d->fd, PATH(2), args[1].u.flags & PF_SYMLINK_FOLLOW, ts), trap);
}

WP2_FN(fs_create_directory_at) { DESC; NEED_DIR; NEED_MUTATE; return done(a, res, wasi_at_mkdir(d->fd, PATH(1)), trap); }
WP2_FN(fs_remove_directory_at) { DESC; NEED_DIR; NEED_MUTATE; return done(a, res, wasi_at_rmdir(d->fd, PATH(1)), trap); }
WP2_FN(fs_unlink_file_at) { DESC; NEED_DIR; NEED_MUTATE; return done(a, res, wasi_at_unlink(d->fd, PATH(1)), trap); }

WP2_FN(fs_symlink_at) {
  DESC;
  NEED_DIR;
  NEED_MUTATE;
  return done(a, res, wasi_at_symlink(PATH(1), d->fd, PATH(2)), trap);
}

WP2_FN(fs_readlink_at) {
  DESC;
  NEED_DIR;
  char buf[PATH_MAX];
  size_t n;
  uint32_t e = wasi_at_readlink(d->fd, PATH(1), buf, sizeof buf, &n);
  if (e) return fail(a, res, e, trap);
  if (n == sizeof buf) return fail(a, res, WASI_ENAMETOOLONG, trap);
  if (!is_utf8((const unsigned char *)buf, n)) return fail_code(a, res, EC_ILLEGAL_BYTE_SEQUENCE, trap);
  wc_value *v = wp2_vals(a, 1);
  if (!v || !arena_str(a, buf, n, v)) return wp2_trap_oom(trap);
  return ok(res, v);
}

/* rename-at(old-path, new-descriptor, new-path) */
WP2_FN(fs_rename_at) {
  DESC;
  NEED_DIR;
  fs_desc *nd = desc_arg(p, args, 2, trap);
  if (!nd) return false;
  if (!nd->dir) return fail_code(a, res, EC_NOT_DIRECTORY, trap);
  if (!d->mutate || !nd->mutate) return fail_code(a, res, EC_NOT_PERMITTED, trap);
  return done(a, res, wasi_at_rename(d->fd, PATH(1), nd->fd, PATH(3)), trap);
}

/* link-at(old-path-flags, old-path, new-descriptor, new-path) */
WP2_FN(fs_link_at) {
  DESC;
  NEED_DIR;
  fs_desc *nd = desc_arg(p, args, 3, trap);
  if (!nd) return false;
  if (!nd->dir) return fail_code(a, res, EC_NOT_DIRECTORY, trap);
  if (!d->mutate || !nd->mutate) return fail_code(a, res, EC_NOT_PERMITTED, trap);
  bool follow = args[1].u.flags & PF_SYMLINK_FOLLOW;
  return done(a, res, wasi_at_link(d->fd, PATH(2), follow, nd->fd, PATH(4)), trap);
}

/* open-at(path-flags, path, open-flags, descriptor-flags) */
WP2_FN(fs_open_at) {
  DESC;
  NEED_DIR;
  uint32_t pf = args[1].u.flags, of = args[3].u.flags, df = args[4].u.flags;
  bool create = of & OF_CREATE, trunc = of & OF_TRUNCATE;
  /* as wasmtime: a read-only tree refuses creating, truncating and writing before the kernel is asked */
  if (!d->mutate && (create || trunc || (df & DF_WRITE))) return fail_code(a, res, EC_NOT_PERMITTED, trap);
  if ((of & OF_DIRECTORY) && (of & (OF_CREATE | OF_EXCLUSIVE | OF_TRUNCATE))) return fail(a, res, WASI_EINVAL, trap);
  bool wr = (df & DF_WRITE) || create || trunc;
  bool rd = (df & DF_READ) || !(df & DF_WRITE); /* not asked to write: open for reading */
  if (wr && !d->file_write) return fail_code(a, res, EC_NOT_PERMITTED, trap);
  int flags = wr ? (rd ? O_RDWR : O_WRONLY) : O_RDONLY;
  if (create) flags |= O_CREAT;
  if (of & OF_EXCLUSIVE) flags |= O_EXCL;
  if (trunc) flags |= O_TRUNC;
  if (of & OF_DIRECTORY) flags |= O_DIRECTORY;
  if (df & DF_FILE_SYNC) flags |= O_SYNC;
  if (df & DF_DATA_SYNC) flags |= O_RSYNC | O_DSYNC;
  if (df & DF_WRITE_SYNC) flags |= O_DSYNC;
  int h;
  uint32_t e = wasi_at_open(p->fs->w, d->fd, PATH(2), flags, pf & PF_SYMLINK_FOLLOW, &h);
  if (e == WASI_INTERRUPTED) return wp2_trap_timeout(trap);
  if (e) return fail(a, res, e, trap);
  struct stat st;
  if (fstat(h, &st) != 0) {
    e = host_err();
    close(h);
    return fail(a, res, e, trap);
  }
  fs_desc nd = {.fd = h, .owned = true, .dir = S_ISDIR(st.st_mode), .mutate = d->mutate,
                .file_write = d->file_write};
  uint8_t sync = (uint8_t)(df & (DF_FILE_SYNC | DF_DATA_SYNC | DF_WRITE_SYNC));
  nd.flags = nd.dir ? (uint8_t)(DF_READ | (d->mutate && (df & DF_MUTATE_DIR) ? DF_MUTATE_DIR : 0) | sync)
                    : (uint8_t)((rd ? DF_READ : 0) | (wr ? DF_WRITE : 0) | sync);
  if (!nd.dir) nd.mutate = false;
  wc_value *v = wp2_vals(a, 1);
  if (!v) {
    close(h);
    return wp2_trap_oom(trap);
  }
  if (!new_desc(p, &nd, v, trap)) return false;
  return ok(res, v);
}

/* ---- directory-entry streams ---------------------------------------------- */

static bool dirs_dtor(void *ctx, uint32_t rep, wc_trap *trap) {
  (void)trap;
  fs_dirstream *s = wp2_table_take(&((wp2_ctx *)ctx)->fs->dirs, rep);
  if (s) {
    closedir(s->d);
    free(s);
  }
  return true;
}

WP2_FN(fs_read_directory) {
  DESC;
  NEED_DIR;
  int fd = openat(d->fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (fd < 0) return fail(a, res, host_err(), trap);
  DIR *dir = fdopendir(fd);
  fs_dirstream *s = dir ? malloc(sizeof *s) : NULL;
  if (!s) {
    uint32_t e = host_err();
    if (dir) closedir(dir);
    else close(fd);
    return fail(a, res, e, trap);
  }
  s->d = dir;
  uint32_t rep;
  wc_value *v = wp2_vals(a, 1);
  if (!v || !wp2_table_add(&p->fs->dirs, s, &rep, trap)) {
    closedir(dir);
    free(s);
    return v ? false : wp2_trap_oom(trap);
  }
  *v = wp2_own(p->fs->rt_dirs, rep);
  return ok(res, v);
}

/* The next entry, "." and ".." left out (as wasmtime); none at the end. */
WP2_FN(fs_read_directory_entry) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  fs_dirstream *s = wp2_table_get(&p->fs->dirs, args[0].u.handle.rep, trap);
  if (!s) return false;
  struct dirent *e;
  do {
    errno = 0;
    e = readdir(s->d);
  } while (e && (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")));
  wc_value *v = wp2_vals(a, 5);
  if (!v) return wp2_trap_oom(trap);
  if (!e) {
    if (errno) return fail(a, res, host_err(), trap);
    v[0] = wp2_variant(0, NULL);
    return ok(res, v);
  }
  size_t n = strlen(e->d_name);
  if (!is_utf8((const unsigned char *)e->d_name, n)) return fail_code(a, res, EC_ILLEGAL_BYTE_SEQUENCE, trap);
  uint32_t type;
  switch (e->d_type) {
  case DT_REG: type = DT_REG_; break;
  case DT_DIR: type = DT_DIR_; break;
  case DT_LNK: type = DT_SYMLINK; break;
  case DT_CHR: type = DT_CHAR; break;
  case DT_BLK: type = DT_BLOCK; break;
  case DT_FIFO: type = DT_FIFO_; break;
  case DT_SOCK: type = DT_SOCKET; break;
  default: { /* the filesystem does not say: ask */
    struct stat st;
    type = fstatat(dirfd(s->d), e->d_name, &st, AT_SYMLINK_NOFOLLOW) == 0 ? type_of(st.st_mode) : DT_UNKNOWN_;
  }
  }
  v[2] = wp2_variant(type, NULL);
  if (!arena_str(a, e->d_name, n, &v[3])) return wp2_trap_oom(trap);
  v[1] = (wc_value){.kind = WC_V_RECORD, .u.seq = {&v[2], 2}};
  v[0] = wp2_variant(1, &v[1]);
  return ok(res, v);
}

/* filesystem-error-code(borrow<error>): an error's rep is its host errno. */
WP2_FN(fs_error_code) {
  WP2_UNUSED;
  wc_value *v = wp2_vals(a, 1);
  if (!v) return wp2_trap_oom(trap);
  *v = wp2_variant(error_code_of(wasi_errno((int)args[0].u.handle.rep)), NULL);
  res[0] = wp2_variant(1, v);
  return true;
}

/* ---- preopens ------------------------------------------------------------- */

/* list<tuple<own<descriptor>, string>>: the preview-1 context's preopened
 * directories, in order, each a new handle borrowing its descriptor. */
WP2_FN(fs_get_directories) {
  WP2_UNUSED;
  wp2_ctx *p = env;
  wasi_ctx *w = p->fs->w;
  uint32_t n = 0;
  for (uint32_t i = 0; w && i < w->nfds; i++) n += w->fds[i].used && w->fds[i].preopen;
  wc_value *v = wp2_vals(a, (size_t)n * 3);
  if (!v) return wp2_trap_oom(trap);
  uint32_t k = 0;
  for (uint32_t i = 0; w && i < w->nfds; i++) {
    const wasi_fd *f = &w->fds[i];
    if (!f->used || !f->preopen) continue;
    bool mutate = f->rights & WASI_R(R_PATH_CREATE_DIRECTORY); /* withheld for --dir-ro */
    fs_desc d = {.fd = f->host, .dir = true, .mutate = mutate, .file_write = f->inheriting & WASI_R(R_FD_WRITE),
                 .flags = (uint8_t)(DF_READ | (mutate ? DF_MUTATE_DIR : 0))};
    wc_value *t = &v[n + 2 * k];
    if (!new_desc(p, &d, &t[0], trap)) return false;
    t[1] = wp2_str(f->preopen, strlen(f->preopen));
    v[k++] = (wc_value){.kind = WC_V_RECORD, .u.seq = {t, 2}};
  }
  res[0] = (wc_value){.kind = WC_V_LIST, .u.seq = {v, n}};
  return true;
}

/* ---- registration --------------------------------------------------------- */

/* Named types of wasi:filesystem (wasi:filesystem@0.2 WIT). */
static const wp2_types fs_types[] = {
  {IFACE_TYPES,
   "use wasi:io/streams.{input-stream, output-stream, error};\n"
   "use wasi:clocks/wall-clock.{datetime};\n"
   "type filesize = u64; type link-count = u64;\n"
   "enum descriptor-type { unknown, block-device, character-device, directory, fifo, symbolic-link,\n"
   "                       regular-file, socket }\n"
   "flags descriptor-flags { read, write, file-integrity-sync, data-integrity-sync, requested-write-sync,\n"
   "                         mutate-directory }\n"
   "record descriptor-stat { type: descriptor-type, link-count: link-count, size: filesize,\n"
   "  data-access-timestamp: option<datetime>, data-modification-timestamp: option<datetime>,\n"
   "  status-change-timestamp: option<datetime> }\n"
   "flags path-flags { symlink-follow }\n"
   "flags open-flags { create, directory, exclusive, truncate }\n"
   "variant new-timestamp { no-change, now, timestamp(datetime) }\n"
   "record directory-entry { type: descriptor-type, name: string }\n"
   "enum error-code { access, would-block, already, bad-descriptor, busy, deadlock, quota, exist,\n"
   "  file-too-large, illegal-byte-sequence, in-progress, interrupted, invalid, io, is-directory, loop,\n"
   "  too-many-links, message-size, name-too-long, no-device, no-entry, no-lock, insufficient-memory,\n"
   "  insufficient-space, not-directory, not-empty, not-recoverable, unsupported, no-tty, no-such-device,\n"
   "  overflow, not-permitted, pipe, read-only, invalid-seek, text-file-busy, cross-device }\n"
   "enum advice { normal, sequential, random, will-need, dont-need, no-reuse }\n"
   "record metadata-hash-value { lower: u64, upper: u64 }"},
  {"wasi:filesystem/preopens", "use wasi:filesystem/types.{descriptor}"},
};

#define M(name) "[method]descriptor." name
static const wp2_func fs_funcs[] = {
  {IFACE_TYPES, M("read-via-stream"), fs_read_via_stream,
   "func(self: borrow<descriptor>, offset: filesize) -> result<input-stream, error-code>"},
  {IFACE_TYPES, M("write-via-stream"), fs_write_via_stream,
   "func(self: borrow<descriptor>, offset: filesize) -> result<output-stream, error-code>"},
  {IFACE_TYPES, M("append-via-stream"), fs_append_via_stream,
   "func(self: borrow<descriptor>) -> result<output-stream, error-code>"},
  {IFACE_TYPES, M("advise"), fs_advise,
   "func(self: borrow<descriptor>, offset: filesize, length: filesize, advice: advice) -> result<_, error-code>"},
  {IFACE_TYPES, M("sync-data"), fs_sync_data,
   "func(self: borrow<descriptor>) -> result<_, error-code>"},
  {IFACE_TYPES, M("get-flags"), fs_get_flags,
   "func(self: borrow<descriptor>) -> result<descriptor-flags, error-code>"},
  {IFACE_TYPES, M("get-type"), fs_get_type,
   "func(self: borrow<descriptor>) -> result<descriptor-type, error-code>"},
  {IFACE_TYPES, M("set-size"), fs_set_size,
   "func(self: borrow<descriptor>, size: filesize) -> result<_, error-code>"},
  {IFACE_TYPES, M("set-times"), fs_set_times,
   "func(self: borrow<descriptor>, data-access-timestamp: new-timestamp, data-modification-timestamp: new-timestamp) -> result<_, error-code>"},
  {IFACE_TYPES, M("read"), fs_read,
   "func(self: borrow<descriptor>, length: filesize, offset: filesize) -> result<tuple<list<u8>, bool>, error-code>"},
  {IFACE_TYPES, M("write"), fs_write,
   "func(self: borrow<descriptor>, buffer: list<u8>, offset: filesize) -> result<filesize, error-code>"},
  {IFACE_TYPES, M("read-directory"), fs_read_directory,
   "func(self: borrow<descriptor>) -> result<directory-entry-stream, error-code>"},
  {IFACE_TYPES, M("sync"), fs_sync,
   "func(self: borrow<descriptor>) -> result<_, error-code>"},
  {IFACE_TYPES, M("create-directory-at"), fs_create_directory_at,
   "func(self: borrow<descriptor>, path: string) -> result<_, error-code>"},
  {IFACE_TYPES, M("stat"), fs_stat,
   "func(self: borrow<descriptor>) -> result<descriptor-stat, error-code>"},
  {IFACE_TYPES, M("stat-at"), fs_stat_at,
   "func(self: borrow<descriptor>, path-flags: path-flags, path: string) -> result<descriptor-stat, error-code>"},
  {IFACE_TYPES, M("set-times-at"), fs_set_times_at,
   "func(self: borrow<descriptor>, path-flags: path-flags, path: string, data-access-timestamp: new-timestamp, data-modification-timestamp: new-timestamp) -> result<_, error-code>"},
  {IFACE_TYPES, M("link-at"), fs_link_at,
   "func(self: borrow<descriptor>, old-path-flags: path-flags, old-path: string, new-descriptor: borrow<descriptor>, new-path: string) -> result<_, error-code>"},
  {IFACE_TYPES, M("open-at"), fs_open_at,
   "func(self: borrow<descriptor>, path-flags: path-flags, path: string, open-flags: open-flags, flags: descriptor-flags) -> result<descriptor, error-code>"},
  {IFACE_TYPES, M("readlink-at"), fs_readlink_at,
   "func(self: borrow<descriptor>, path: string) -> result<string, error-code>"},
  {IFACE_TYPES, M("remove-directory-at"), fs_remove_directory_at,
   "func(self: borrow<descriptor>, path: string) -> result<_, error-code>"},
  {IFACE_TYPES, M("rename-at"), fs_rename_at,
   "func(self: borrow<descriptor>, old-path: string, new-descriptor: borrow<descriptor>, new-path: string) -> result<_, error-code>"},
  {IFACE_TYPES, M("symlink-at"), fs_symlink_at,
   "func(self: borrow<descriptor>, old-path: string, new-path: string) -> result<_, error-code>"},
  {IFACE_TYPES, M("unlink-file-at"), fs_unlink_file_at,
   "func(self: borrow<descriptor>, path: string) -> result<_, error-code>"},
  {IFACE_TYPES, M("is-same-object"), fs_is_same_object,
   "func(self: borrow<descriptor>, other: borrow<descriptor>) -> bool"},
  {IFACE_TYPES, M("metadata-hash"), fs_metadata_hash,
   "func(self: borrow<descriptor>) -> result<metadata-hash-value, error-code>"},
  {IFACE_TYPES, M("metadata-hash-at"), fs_metadata_hash_at,
   "func(self: borrow<descriptor>, path-flags: path-flags, path: string) -> result<metadata-hash-value, error-code>"},
  {IFACE_TYPES, "[method]directory-entry-stream.read-directory-entry", fs_read_directory_entry,
   "func(self: borrow<directory-entry-stream>) -> result<option<directory-entry>, error-code>"},
  {IFACE_TYPES, "filesystem-error-code", fs_error_code, "func(err: borrow<error>) -> option<error-code>"},
  {"wasi:filesystem/preopens", "get-directories", fs_get_directories,
   "func() -> list<tuple<descriptor, string>>"},
};
#undef M

/* Descriptors and entry streams the guest never dropped (the instance is gone). */
static void fs_cleanup(wp2_ctx *p, bool final) {
  struct wp2_fs *fs = p->fs;
  for (uint32_t i = 0; i < fs->descs.n; i++) {
    fs_desc *d = wp2_table_take(&fs->descs, i);
    if (d) desc_release(d);
  }
  for (uint32_t i = 0; i < fs->dirs.n; i++) {
    fs_dirstream *s = wp2_table_take(&fs->dirs, i);
    if (s) {
      closedir(s->d);
      free(s);
    }
  }
  if (!final) return;
  wp2_table_free(&fs->descs);
  wp2_table_free(&fs->dirs);
  free(fs);
  p->fs = NULL;
}

bool wp2_add_filesystem(wp2_ctx *p, wc_host *h) {
  struct wp2_fs *fs = calloc(1, sizeof *fs);
  if (!fs) return false;
  fs->w = p->cfg.fs;
  fs->descs.what = "descriptor";
  fs->dirs.what = "directory-entry-stream";
  if (getrandom(fs->key, sizeof fs->key, 0) != (ssize_t)sizeof fs->key) {
    fs->key[0] = wp2_mono_ns();
    fs->key[1] = (uint64_t)(uintptr_t)fs ^ fs->key[0] << 17;
  }
  p->fs = fs;
  if (!wp2_at_free(p, fs_cleanup)) {
    free(fs);
    p->fs = NULL;
    return false;
  }
  return wp2_add_resource(p, h, IFACE_TYPES, "descriptor", &fs->rt_desc, desc_dtor) &&
         wp2_add_resource(p, h, IFACE_TYPES, "directory-entry-stream", &fs->rt_dirs, dirs_dtor) &&
         wp2_define(h, fs_types, sizeof fs_types / sizeof fs_types[0]) &&
         wp2_register(p, h, fs_funcs, sizeof fs_funcs / sizeof fs_funcs[0]);
}
