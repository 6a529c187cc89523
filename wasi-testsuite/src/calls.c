/* calls.c — the preview 1 calls the libc-level tests do not reach, through
 * the raw API, with their error cases: rights, bad descriptors, renumbering,
 * links, times, advice, allocation, sync, polling and readdir cookies. Run with
 * "calls.dir" preopened (fd 3). Prints each failed check and finally
 * "calls: all N checks passed". */
#include <errno.h>
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

/* proc_raise is not in every wasi-libc's api.h; import it directly */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("proc_raise")))
int32_t raw_proc_raise(int32_t sig);

static int checks, failures;
#define CHECK(cond, what)                                                     \
  do {                                                                        \
    checks++;                                                                 \
    if (!(cond)) {                                                            \
      failures++;                                                             \
      printf("FAIL %s (line %d)\n", what, __LINE__);                          \
    }                                                                         \
  } while (0)

#define DIRFD 3
#define RW (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_TELL | \
            __WASI_RIGHTS_FD_ADVISE | __WASI_RIGHTS_FD_ALLOCATE | __WASI_RIGHTS_FD_SYNC | __WASI_RIGHTS_FD_DATASYNC | \
            __WASI_RIGHTS_FD_FILESTAT_GET | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE | __WASI_RIGHTS_FD_FILESTAT_SET_TIMES | \
            __WASI_RIGHTS_FD_FDSTAT_SET_FLAGS | __WASI_RIGHTS_POLL_FD_READWRITE)

static __wasi_fd_t open_file(const char *path, __wasi_oflags_t oflags, __wasi_rights_t rights, __wasi_errno_t *err) {
  __wasi_fd_t fd = (__wasi_fd_t)-1;
  *err = __wasi_path_open(DIRFD, 0, path, oflags, rights, 0, 0, &fd);
  return fd;
}

int main(void) {
  __wasi_errno_t e;
  __wasi_size_t n;
  __wasi_filesize_t pos;

  /* prestat */
  __wasi_prestat_t ps;
  CHECK(__wasi_fd_prestat_get(DIRFD, &ps) == 0 && ps.u.dir.pr_name_len == 9, "prestat of the preopen");
  char name[16];
  CHECK(__wasi_fd_prestat_dir_name(DIRFD, (uint8_t *)name, 4) == __WASI_ERRNO_NAMETOOLONG, "dir name buffer too short");
  CHECK(__wasi_fd_prestat_dir_name(DIRFD, (uint8_t *)name, 9) == 0 && memcmp(name, "calls.dir", 9) == 0, "dir name");
  CHECK(__wasi_fd_prestat_get(1, &ps) == __WASI_ERRNO_BADF, "stdout is not a preopen");

  /* pwrite/pread/tell/allocate/advise/sync */
  __wasi_fd_t f = open_file("data", __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, RW, &e);
  CHECK(e == 0, "create a file with read/write rights");
  __wasi_ciovec_t out = {(const uint8_t *)"0123456789", 10};
  CHECK(__wasi_fd_pwrite(f, &out, 1, 5, &n) == 0 && n == 10, "pwrite at an offset");
  CHECK(__wasi_fd_tell(f, &pos) == 0 && pos == 0, "pwrite does not move the offset");
  char buf[32];
  __wasi_iovec_t in = {(uint8_t *)buf, 4};
  CHECK(__wasi_fd_pread(f, &in, 1, 7, &n) == 0 && n == 4 && memcmp(buf, "2345", 4) == 0, "pread");
  CHECK(__wasi_fd_allocate(f, 0, 4096) == 0, "allocate");
  __wasi_filestat_t st;
  CHECK(__wasi_fd_filestat_get(f, &st) == 0 && st.size == 4096 && st.filetype == __WASI_FILETYPE_REGULAR_FILE,
        "allocate grew the file");
  CHECK(__wasi_fd_advise(f, 0, 100, __WASI_ADVICE_SEQUENTIAL) == 0, "advise");
  CHECK(__wasi_fd_advise(f, 0, 100, 99) == __WASI_ERRNO_INVAL, "unknown advice");
  CHECK(__wasi_fd_sync(f) == 0 && __wasi_fd_datasync(f) == 0, "sync and datasync");
  CHECK(__wasi_fd_filestat_set_size(f, 12) == 0 && __wasi_fd_filestat_get(f, &st) == 0 && st.size == 12,
        "set size");
  CHECK(__wasi_fd_filestat_set_times(f, 5000000123, 6000000456, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_MTIM) == 0 &&
        __wasi_fd_filestat_get(f, &st) == 0 && st.mtim == 6000000456 && st.atim == 5000000123,
        "set times with nanoseconds");
  CHECK(__wasi_fd_filestat_set_times(f, 0, 0, __WASI_FSTFLAGS_ATIM | __WASI_FSTFLAGS_ATIM_NOW) == __WASI_ERRNO_INVAL,
        "ATIM with ATIM_NOW is invalid");
  CHECK(__wasi_fd_fdstat_set_flags(f, __WASI_FDFLAGS_SYNC) == __WASI_ERRNO_NOTSUP, "flags that cannot change are refused");

  /* rights only shrink, and are enforced */
  __wasi_fdstat_t fs;
  CHECK(__wasi_fd_fdstat_get(f, &fs) == 0 && (fs.fs_rights_base & __WASI_RIGHTS_FD_WRITE), "write right present");
  CHECK(__wasi_fd_fdstat_set_rights(f, fs.fs_rights_base & ~__WASI_RIGHTS_FD_WRITE, 0) == 0, "drop the write right");
  CHECK(__wasi_fd_write(f, &out, 1, &n) == __WASI_ERRNO_NOTCAPABLE, "write without the right");
  CHECK(__wasi_fd_fdstat_set_rights(f, fs.fs_rights_base, 0) == __WASI_ERRNO_NOTCAPABLE, "rights cannot grow back");
  CHECK(open_file("x", __WASI_OFLAGS_CREAT, ~(__wasi_rights_t)0, &e) == (__wasi_fd_t)-1 && e == __WASI_ERRNO_NOTCAPABLE,
        "path_open asking for more than the directory grants");

  /* renumber and bad descriptors */
  __wasi_fd_t g = open_file("data", 0, __WASI_RIGHTS_FD_READ, &e);
  CHECK(e == 0, "open again read-only");
  CHECK(__wasi_fd_renumber(g, f) == 0, "renumber onto an open descriptor");
  CHECK(__wasi_fd_close(g) == __WASI_ERRNO_BADF, "the old number is gone");
  CHECK(__wasi_fd_read(f, &in, 1, &n) == 0 && n == 4, "the new number reads the renumbered file");
  CHECK(__wasi_fd_close(f) == 0 && __wasi_fd_close(f) == __WASI_ERRNO_BADF, "close, then close again is BADF");
  CHECK(__wasi_fd_write(1000, &out, 1, &n) == __WASI_ERRNO_BADF, "write to a descriptor never opened");
  CHECK(__wasi_fd_seek(DIRFD, 0, __WASI_WHENCE_SET, &pos) != 0, "seek on a directory fails");

  /* links and path times; filestat with and without following a symlink */
  CHECK(__wasi_path_link(DIRFD, 0, "data", DIRFD, "hard") == 0, "hard link");
  CHECK(__wasi_path_filestat_get(DIRFD, 0, "hard", &st) == 0 && st.nlink == 2, "link count 2");
  CHECK(__wasi_path_symlink("data", DIRFD, "soft") == 0, "symlink");
  CHECK(__wasi_path_filestat_get(DIRFD, 0, "soft", &st) == 0 && st.filetype == __WASI_FILETYPE_SYMBOLIC_LINK,
        "filestat without follow sees the link");
  CHECK(__wasi_path_filestat_get(DIRFD, __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW, "soft", &st) == 0 &&
        st.filetype == __WASI_FILETYPE_REGULAR_FILE, "filestat with follow sees the file");
  CHECK(__wasi_path_filestat_set_times(DIRFD, 0, "data", 0, 7000000789, __WASI_FSTFLAGS_MTIM) == 0 &&
        __wasi_path_filestat_get(DIRFD, 0, "data", &st) == 0 && st.mtim == 7000000789, "path set times");
  CHECK(__wasi_path_remove_directory(DIRFD, "data") == __WASI_ERRNO_NOTDIR, "rmdir of a file");
  CHECK(__wasi_path_create_directory(DIRFD, "d") == 0, "mkdir");
  CHECK(__wasi_path_unlink_file(DIRFD, "d") != 0, "unlink of a directory fails");
  CHECK(__wasi_path_rename(DIRFD, "hard", DIRFD, "d/hard") == 0, "rename into a directory");
  CHECK(__wasi_path_remove_directory(DIRFD, "d") == __WASI_ERRNO_NOTEMPTY, "rmdir of a non-empty directory");
  CHECK(__wasi_path_open(DIRFD, 0, "d/../../x", 0, __WASI_RIGHTS_FD_READ, 0, 0, &g) == __WASI_ERRNO_NOTCAPABLE,
        "climbing out through a subdirectory");

  /* readdir with cookies, one entry at a time */
  __wasi_fd_t dfd = open_file("d", __WASI_OFLAGS_DIRECTORY, __WASI_RIGHTS_FD_READDIR, &e);
  CHECK(e == 0, "open a directory");
  __wasi_dircookie_t cookie = 0;
  int entries = 0;
  for (int guard = 0; guard < 10; guard++) { /* a small buffer: several calls, each resuming at a cookie */
    uint8_t dbuf[64];
    __wasi_size_t used, at = 0;
    if (__wasi_fd_readdir(dfd, dbuf, sizeof dbuf, cookie, &used) != 0) break;
    while (at + sizeof(__wasi_dirent_t) <= used) {
      __wasi_dirent_t de;
      memcpy(&de, dbuf + at, sizeof de);
      if (at + sizeof de + de.d_namlen > used) break; /* cut short: ask again from here */
      entries++;
      cookie = de.d_next;
      at += sizeof de + de.d_namlen;
    }
    if (used < sizeof dbuf) break; /* not filled: the listing is complete */
  }
  CHECK(entries == 3, "readdir resumes from cookies (. .. hard)");
  (void)__wasi_fd_close(dfd);

  /* clocks and polling */
  __wasi_timestamp_t t;
  CHECK(__wasi_clock_time_get(99, 1, &t) == __WASI_ERRNO_INVAL, "unknown clock");
  CHECK(__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t) == 0, "monotonic clock");
  __wasi_subscription_t sub[2];
  memset(sub, 0, sizeof sub);
  sub[0].userdata = 42;
  sub[0].u.tag = __WASI_EVENTTYPE_CLOCK;
  sub[0].u.u.clock.id = __WASI_CLOCKID_MONOTONIC;
  sub[0].u.u.clock.timeout = t + 5000000; /* absolute: 5 ms from now */
  sub[0].u.u.clock.flags = __WASI_SUBCLOCKFLAGS_SUBSCRIPTION_CLOCK_ABSTIME;
  __wasi_event_t ev[2];
  CHECK(__wasi_poll_oneoff(sub, ev, 1, &n) == 0 && n == 1 && ev[0].userdata == 42 && ev[0].error == 0,
        "poll on an absolute clock");
  __wasi_timestamp_t t2;
  (void)__wasi_clock_time_get(__WASI_CLOCKID_MONOTONIC, 1, &t2);
  CHECK(t2 >= t + 5000000, "it did not fire early");
  sub[1].userdata = 7;
  sub[1].u.tag = __WASI_EVENTTYPE_FD_WRITE;
  sub[1].u.u.fd_write.file_descriptor = 1;
  sub[0].u.u.clock.timeout = 1000000000; /* relative 1 s: stdout is writable long before */
  sub[0].u.u.clock.flags = 0;
  CHECK(__wasi_poll_oneoff(sub, ev, 2, &n) == 0 && n >= 1 && ev[0].userdata == 7, "stdout is writable before the timeout");
  CHECK(__wasi_poll_oneoff(sub, ev, 0, &n) == __WASI_ERRNO_INVAL, "polling nothing is invalid");

  /* the rest */
  CHECK(__wasi_sched_yield() == 0, "sched_yield");
  CHECK(raw_proc_raise(15) == __WASI_ERRNO_NOSYS, "proc_raise is not supported");

  (void)__wasi_path_unlink_file(DIRFD, "soft");
  (void)__wasi_path_unlink_file(DIRFD, "d/hard");
  (void)__wasi_path_remove_directory(DIRFD, "d");
  (void)__wasi_path_unlink_file(DIRFD, "data");
  if (failures == 0) printf("calls: all %d checks passed\n", checks);
  return failures != 0;
}
