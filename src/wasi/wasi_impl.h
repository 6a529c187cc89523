/*
 * wasi_impl.h — the WASI context and helpers shared by wasi.c (process,
 * clocks, streams, linking), wasi_fs.c (descriptors, files, directories),
 * wasi_path.c (path resolution and path_* calls) and wasi_sock.c (sockets).
 */
#ifndef WRUN_WASI_IMPL_H
#define WRUN_WASI_IMPL_H

#include <stdatomic.h>
#include <stdbool.h>
#include <stdint.h>
#include <sys/stat.h>
#include <sys/types.h>
#include <time.h>
#include <uv.h>

#include "wasi/wasi.h"

/* errno values of wasi_snapshot_preview1 (witx `errno`), all of them */
enum {
  WASI_ESUCCESS = 0, WASI_E2BIG = 1, WASI_EACCES = 2, WASI_EADDRINUSE = 3, WASI_EADDRNOTAVAIL = 4,
  WASI_EAFNOSUPPORT = 5, WASI_EAGAIN = 6, WASI_EALREADY = 7, WASI_EBADF = 8, WASI_EBADMSG = 9, WASI_EBUSY = 10,
  WASI_ECANCELED = 11, WASI_ECHILD = 12, WASI_ECONNABORTED = 13, WASI_ECONNREFUSED = 14, WASI_ECONNRESET = 15,
  WASI_EDEADLK = 16, WASI_EDESTADDRREQ = 17, WASI_EDOM = 18, WASI_EDQUOT = 19, WASI_EEXIST = 20,
  WASI_EFAULT = 21, WASI_EFBIG = 22, WASI_EHOSTUNREACH = 23, WASI_EIDRM = 24, WASI_EILSEQ = 25,
  WASI_EINPROGRESS = 26, WASI_EINTR = 27, WASI_EINVAL = 28, WASI_EIO = 29, WASI_EISCONN = 30, WASI_EISDIR = 31,
  WASI_ELOOP = 32, WASI_EMFILE = 33, WASI_EMLINK = 34, WASI_EMSGSIZE = 35, WASI_EMULTIHOP = 36,
  WASI_ENAMETOOLONG = 37, WASI_ENETDOWN = 38, WASI_ENETRESET = 39, WASI_ENETUNREACH = 40, WASI_ENFILE = 41,
  WASI_ENOBUFS = 42, WASI_ENODEV = 43, WASI_ENOENT = 44, WASI_ENOEXEC = 45, WASI_ENOLCK = 46, WASI_ENOLINK = 47,
  WASI_ENOMEM = 48, WASI_ENOMSG = 49, WASI_ENOPROTOOPT = 50, WASI_ENOSPC = 51, WASI_ENOSYS = 52,
  WASI_ENOTCONN = 53, WASI_ENOTDIR = 54, WASI_ENOTEMPTY = 55, WASI_ENOTRECOVERABLE = 56, WASI_ENOTSOCK = 57,
  WASI_ENOTSUP = 58, WASI_ENOTTY = 59, WASI_ENXIO = 60, WASI_EOVERFLOW = 61, WASI_EOWNERDEAD = 62,
  WASI_EPERM = 63, WASI_EPIPE = 64, WASI_EPROTO = 65, WASI_EPROTONOSUPPORT = 66, WASI_EPROTOTYPE = 67,
  WASI_ERANGE = 68, WASI_EROFS = 69, WASI_ESPIPE = 70, WASI_ESRCH = 71, WASI_ESTALE = 72, WASI_ETIMEDOUT = 73,
  WASI_ETXTBSY = 74, WASI_EXDEV = 75, WASI_ENOTCAPABLE = 76,
};

enum { /* filetype */
  WASI_FT_UNKNOWN = 0, WASI_FT_BLOCK = 1, WASI_FT_CHAR = 2, WASI_FT_DIR = 3, WASI_FT_REG = 4,
  WASI_FT_SOCK_DGRAM = 5, WASI_FT_SOCK_STREAM = 6, WASI_FT_SYMLINK = 7,
};

enum { WASI_FDFLAG_APPEND = 1, WASI_FDFLAG_DSYNC = 2, WASI_FDFLAG_NONBLOCK = 4, WASI_FDFLAG_RSYNC = 8,
       WASI_FDFLAG_SYNC = 16 };

/* rights (witx `rights`), by bit */
#define WASI_R(bit) (UINT64_C(1) << (bit))
enum {
  R_FD_DATASYNC = 0, R_FD_READ = 1, R_FD_SEEK = 2, R_FD_FDSTAT_SET_FLAGS = 3, R_FD_SYNC = 4, R_FD_TELL = 5,
  R_FD_WRITE = 6, R_FD_ADVISE = 7, R_FD_ALLOCATE = 8, R_PATH_CREATE_DIRECTORY = 9, R_PATH_CREATE_FILE = 10,
  R_PATH_LINK_SOURCE = 11, R_PATH_LINK_TARGET = 12, R_PATH_OPEN = 13, R_FD_READDIR = 14,
  R_PATH_READLINK = 15, R_PATH_RENAME_SOURCE = 16, R_PATH_RENAME_TARGET = 17, R_PATH_FILESTAT_GET = 18,
  R_PATH_FILESTAT_SET_SIZE = 19, R_PATH_FILESTAT_SET_TIMES = 20, R_FD_FILESTAT_GET = 21,
  R_FD_FILESTAT_SET_SIZE = 22, R_FD_FILESTAT_SET_TIMES = 23, R_PATH_SYMLINK = 24,
  R_PATH_REMOVE_DIRECTORY = 25, R_PATH_UNLINK_FILE = 26, R_POLL_FD_READWRITE = 27, R_SOCK_SHUTDOWN = 28,
  R_SOCK_ACCEPT = 29,
};
#define WASI_RIGHTS_ALL (WASI_R(30) - 1)
/* rights that only make sense on a regular file, and those for directories */
#define WASI_RIGHTS_FILE                                                                                   \
  (WASI_R(R_FD_DATASYNC) | WASI_R(R_FD_READ) | WASI_R(R_FD_SEEK) | WASI_R(R_FD_FDSTAT_SET_FLAGS) |        \
   WASI_R(R_FD_SYNC) | WASI_R(R_FD_TELL) | WASI_R(R_FD_WRITE) | WASI_R(R_FD_ADVISE) |                      \
   WASI_R(R_FD_ALLOCATE) | WASI_R(R_FD_FILESTAT_GET) | WASI_R(R_FD_FILESTAT_SET_SIZE) |                    \
   WASI_R(R_FD_FILESTAT_SET_TIMES) | WASI_R(R_POLL_FD_READWRITE))
#define WASI_RIGHTS_DIR                                                                                    \
  (WASI_R(R_FD_FDSTAT_SET_FLAGS) | WASI_R(R_FD_SYNC) | WASI_R(R_FD_ADVISE) |                              \
   WASI_R(R_PATH_CREATE_DIRECTORY) | WASI_R(R_PATH_CREATE_FILE) | WASI_R(R_PATH_LINK_SOURCE) |            \
   WASI_R(R_PATH_LINK_TARGET) | WASI_R(R_PATH_OPEN) | WASI_R(R_FD_READDIR) | WASI_R(R_PATH_READLINK) |    \
   WASI_R(R_PATH_RENAME_SOURCE) | WASI_R(R_PATH_RENAME_TARGET) | WASI_R(R_PATH_FILESTAT_GET) |            \
   WASI_R(R_PATH_FILESTAT_SET_SIZE) | WASI_R(R_PATH_FILESTAT_SET_TIMES) | WASI_R(R_FD_FILESTAT_GET) |     \
   WASI_R(R_FD_FILESTAT_SET_TIMES) | WASI_R(R_PATH_SYMLINK) | WASI_R(R_PATH_REMOVE_DIRECTORY) |          \
   WASI_R(R_PATH_UNLINK_FILE))
/* what a read-only preopen withholds */
#define WASI_RIGHTS_WRITING                                                                                \
  (WASI_R(R_FD_WRITE) | WASI_R(R_FD_ALLOCATE) | WASI_R(R_FD_DATASYNC) | WASI_R(R_PATH_CREATE_DIRECTORY) |  \
   WASI_R(R_PATH_CREATE_FILE) | WASI_R(R_PATH_LINK_SOURCE) | WASI_R(R_PATH_LINK_TARGET) |                 \
   WASI_R(R_PATH_RENAME_SOURCE) | WASI_R(R_PATH_RENAME_TARGET) | WASI_R(R_PATH_FILESTAT_SET_SIZE) |       \
   WASI_R(R_PATH_FILESTAT_SET_TIMES) | WASI_R(R_FD_FILESTAT_SET_SIZE) | WASI_R(R_FD_FILESTAT_SET_TIMES) | \
   WASI_R(R_PATH_SYMLINK) | WASI_R(R_PATH_REMOVE_DIRECTORY) | WASI_R(R_PATH_UNLINK_FILE))

/* How wasi_io.c moves the bytes of a descriptor; chosen on its first read or
 * write (WASI_IO_UNSET until then). */
enum {
  WASI_IO_UNSET = 0,
  WASI_IO_FILE,                /* regular file, directory, block device: plain blocking calls */
  WASI_IO_SOCKET,              /* recvmsg/sendmsg with MSG_DONTWAIT on `host` */
  WASI_IO_PRIVATE,             /* readv/writev on `io`, a non-blocking description of wrun's own */
  WASI_IO_SHARED,              /* the host's description, which must stay blocking: wait, then one call */
};

typedef struct wasi_fd {
  bool used;
  bool inherited;              /* one of the host's standard streams: its file description is shared
                                  with other processes, so wrun never changes its status flags */
  int host;                    /* OS descriptor; -1 for a standard stream the host had closed */
  int io;                      /* WASI_IO_PRIVATE: the descriptor reads and writes use (may be `host`) */
  uint8_t io_mode;             /* WASI_IO_* */
  uint8_t type;                /* WASI filetype */
  uint16_t flags;              /* fdflags as the guest set them (NONBLOCK and, on inherited
                                  streams, APPEND are emulated by wrun, see wasi_io.c) */
  uint64_t rights, inheriting;
  char *preopen;               /* guest name of a preopened directory, else NULL */
  uv_tcp_t *listener;          /* --tcplisten sockets: the libuv handle accepting on `host` */
} wasi_fd;

/* Releases what a descriptor holds (host fd, libuv handle, names) and marks
 * it free. */
void wasi_fd_release(wasi_ctx *w, wasi_fd *f);

struct wasi_ctx {
  char *args_buf, *env_buf;    /* NUL-separated strings */
  uint32_t argc, args_size, envc, env_size;
  wasi_fd *fds;
  uint32_t nfds;
  uv_loop_t loop;              /* every wait of a blocking call runs on this loop; made on the first
                                  wait (wasi_loop), since most programs never wait and the loop's
                                  epoll, pipes and eventfd are a dozen system calls at start-up */
  atomic_bool loop_ready;      /* `loop` and `wake` are initialized (read by wasi_interrupt's thread) */
  bool no_openat2;             /* resolve every path by wasi_path.c's walk: the kernel has no openat2, or
                                  WRUN_TEST_NO_OPENAT2=1 (test-only) asked for it */
  bool interruptible;          /* wasi_config.interruptible */
  uv_async_t wake;             /* wasi_interrupt wakes the loop through it */
  atomic_bool interrupted;     /* set by wasi_interrupt: blocking calls end the guest */
  bool resettable;             /* only the standard streams were set up (wasi_reset) */
  wasi_fd stdio_initial[3];    /* the standard streams as wasi_new set them up */
};

/* The context's libuv loop, initialized on first use (with `wake`); NULL
 * with the WASI errno in *err when libuv cannot set it up (e.g. EMFILE: the
 * guest holds every descriptor it may). Only the guest's thread calls it. */
uv_loop_t *wasi_loop(wasi_ctx *w, uint32_t *err);

/* Guest memory access: a checked pointer to [ptr, ptr+len) or NULL. */
uint8_t *wasi_mem(rt_caller *c, uint64_t ptr, uint64_t len);

/* Maps a host errno (or a negative libuv code) to a WASI errno: every Linux
 * errno that has a WASI equivalent maps to it; only the rest become EIO. */
uint32_t wasi_errno(int host_errno);

/* Writes a WASI filestat (64 bytes) for a host stat. */
void wasi_put_filestat(uint8_t *p, const struct stat *st);

/* Host timespecs for utimensat/futimens from WASI times and fstflags (ATIM 1,
 * ATIM_NOW 2, MTIM 4, MTIM_NOW 8); INVAL for contradictory flags. */
uint32_t wasi_times_of(uint64_t atim, uint64_t mtim, uint32_t fstflags, struct timespec ts[2]);

/* The descriptor `fd` if it is open and has every right in `need`, else NULL
 * with *err set (BADF or NOTCAPABLE). */
wasi_fd *wasi_fd_get(wasi_ctx *w, uint32_t fd, uint64_t need, uint32_t *err);

/* The WASI filetype of a host st_mode. */
uint8_t wasi_filetype_of(mode_t mode);

/* Gathers the guest's iovec array (bounds-checked) into malloc'd uv_buf_t
 * entries; on Unix libuv lays uv_buf_t out exactly as struct iovec. */
uint32_t wasi_iovecs(rt_caller *c, uint32_t iovs, uint32_t n, uv_buf_t **out);

/* Allocates the lowest free descriptor number. */
int64_t wasi_fd_alloc(wasi_ctx *w);

/* Gives host descriptor `host` to the guest under the lowest free number
 * (*fd) with its type and rights; the rest of the record is zero. NULL when
 * the table is full or out of memory: `host` is then closed. */
wasi_fd *wasi_fd_install(wasi_ctx *w, int host, uint8_t type, uint64_t rights, uint64_t inheriting, int64_t *fd);

/* ---- waiting and streams (wasi_io.c) ----
 * A blocking call never sleeps in a syscall: it waits on the context's loop,
 * which wasi_interrupt wakes, so a --timeout ends a guest blocked in a host call.
 * Functions that could wait return WASI_INTERRUPTED (not a WASI errno) when
 * that happened; the host function then returns wasi_trap_interrupted(c). */
#define WASI_INTERRUPTED 0x10000u

/* True once wasi_interrupt was called. */
bool wasi_is_interrupted(wasi_ctx *w);

/* Ends the calling guest with the timeout trap; returns false (a host
 * function returns this). */
bool wasi_trap_interrupted(rt_caller *c);

/* Waits on the loop until host descriptor `fd` is ready for `events`
 * (EPOLLIN / EPOLLOUT), without changing its file status flags. Returns 0
 * when ready (or when the descriptor cannot be polled and `fd` should simply
 * be tried again), WASI_INTERRUPTED, or a WASI errno. */
uint32_t wasi_wait_fd(wasi_ctx *w, int fd, uint32_t events);

/* Waits `ms` milliseconds on the loop: 0, or WASI_INTERRUPTED. */
uint32_t wasi_wait_ms(wasi_ctx *w, uint64_t ms);

/* fd_read / fd_write on a stream (pipe, terminal, character device, socket):
 * honours the guest's NONBLOCK (EAGAIN instead of waiting) and otherwise waits
 * on the loop; a blocking write writes everything unless an error stops it
 * after some bytes. *done gets the byte count. Returns a WASI errno or
 * WASI_INTERRUPTED. Regular files return false from wasi_is_stream. */
bool wasi_is_stream(wasi_fd *f);
uint32_t wasi_stream_rw(wasi_ctx *w, wasi_fd *f, bool write, uv_buf_t *bufs, uint32_t n, uint32_t *done);

/* A write to an inherited regular file whose guest set APPEND (emulated: the
 * host's file description keeps its flags). Returns bytes or -errno. */
int64_t wasi_append_write(wasi_fd *f, uv_buf_t *bufs, uint32_t n);

/* ---- paths beneath a directory (wasi_path.c) ----
 * The one resolver every path goes through, for preview 1's path_* functions
 * and the WASI 0.2 host alike: `path` is `len` bytes (no NUL inside, not
 * absolute: ENOTCAPABLE), resolved beneath host directory descriptor
 * `dirfd` without ever leaving it. Each returns a WASI errno. */
/* open(2) `flags`; under an interruptible context a FIFO's wait can end in
 * WASI_INTERRUPTED. The new descriptor in *out. */
uint32_t wasi_at_open(wasi_ctx *w, int dirfd, const char *path, size_t len, int flags, bool follow, int *out);
uint32_t wasi_at_stat(wasi_ctx *w, int dirfd, const char *path, size_t len, bool follow, struct stat *st);
uint32_t wasi_at_set_times(int dirfd, const char *path, size_t len, bool follow, const struct timespec ts[2]);
uint32_t wasi_at_mkdir(int dirfd, const char *path, size_t len);
uint32_t wasi_at_rmdir(int dirfd, const char *path, size_t len);
uint32_t wasi_at_unlink(int dirfd, const char *path, size_t len);
uint32_t wasi_at_rename(int da, const char *pa, size_t la, int db, const char *pb, size_t lb);
/* `follow`: link what a final symlink of the old path points to. */
uint32_t wasi_at_link(int da, const char *pa, size_t la, bool follow, int db, const char *pb, size_t lb);
uint32_t wasi_at_symlink(const char *target, size_t tlen, int dirfd, const char *path, size_t len);
/* At most `cap` bytes of the target into buf (truncated), the count in *n. */
uint32_t wasi_at_readlink(int dirfd, const char *path, size_t len, char *buf, size_t cap, size_t *n);

/* Host functions of wasi_fs.c and wasi_path.c, registered by name in wasi.c's table. */
#define WASI_FS_FUNCS(X)                                                                                   \
  X(fd_close, "i>i") X(fd_read, "iiii>i") X(fd_write, "iiii>i") X(fd_pread, "iiiIi>i")                      \
  X(fd_pwrite, "iiiIi>i") X(fd_seek, "iIii>i") X(fd_tell, "ii>i") X(fd_fdstat_get, "ii>i")                 \
  X(fd_fdstat_set_flags, "ii>i") X(fd_fdstat_set_rights, "iII>i") X(fd_prestat_get, "ii>i")                \
  X(fd_prestat_dir_name, "iii>i") X(fd_filestat_get, "ii>i") X(fd_filestat_set_size, "iI>i")               \
  X(fd_filestat_set_times, "iIIi>i") X(fd_sync, "i>i") X(fd_datasync, "i>i") X(fd_advise, "iIIi>i")        \
  X(fd_allocate, "iII>i") X(fd_renumber, "ii>i") X(fd_readdir, "iiiIi>i") X(path_open, "iiiiiIIii>i")      \
  X(path_filestat_get, "iiiii>i") X(path_filestat_set_times, "iiiiIIi>i") X(path_create_directory, "iii>i") \
  X(path_remove_directory, "iii>i") X(path_unlink_file, "iii>i") X(path_rename, "iiiiii>i")                \
  X(path_link, "iiiiiii>i") X(path_symlink, "iiiii>i") X(path_readlink, "iiiiii>i")

/* Socket functions of wasi_sock.c. */
#define WASI_SOCK_FUNCS(X)                                                                                 \
  X(sock_accept, "iii>i") X(sock_recv, "iiiiii>i") X(sock_send, "iiiii>i") X(sock_shutdown, "ii>i")

/* Opens a listening TCP socket for "ADDR:PORT" ([v6]:PORT too); the host fd or -1
 * with errno set. */
int wasi_listen(const char *spec);

#define WASI_DECLARE(name, sig) bool wasi_##name(rt_caller *c, void *env, uint64_t *slots);
WASI_FS_FUNCS(WASI_DECLARE)
WASI_SOCK_FUNCS(WASI_DECLARE)
#undef WASI_DECLARE

#endif
