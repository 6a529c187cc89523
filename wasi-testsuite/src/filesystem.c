/* filesystem.c — files and directories inside a preopened directory, and the
 * sandbox around it. Run with "fs.dir" preopened; prints each failed check
 * and finally "filesystem: all N checks passed". */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <stdio.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>
#include <stdint.h>

/* path_open as the raw import, so a path can carry a NUL byte and a length */
__attribute__((import_module("wasi_snapshot_preview1"), import_name("path_open")))
int32_t raw_path_open(int32_t fd, int32_t dirflags, int32_t path, int32_t len, int32_t oflags, int64_t base,
                      int64_t inheriting, int32_t fdflags, int32_t out);

static int checks, failures;
#define CHECK(cond, what)                                                          \
  do {                                                                             \
    checks++;                                                                      \
    if (!(cond)) {                                                                 \
      failures++;                                                                  \
      printf("FAIL %s (line %d, errno %d: %s)\n", what, __LINE__, errno, strerror(errno)); \
    }                                                                              \
  } while (0)

static int write_file(const char *path, const char *text, int flags) {
  int fd = open(path, O_WRONLY | O_CREAT | flags, 0644);
  if (fd < 0) return -1;
  ssize_t n = write(fd, text, strlen(text));
  close(fd);
  return n == (ssize_t)strlen(text) ? 0 : -1;
}

static int read_file(const char *path, char *buf, size_t size) {
  int fd = open(path, O_RDONLY);
  if (fd < 0) return -1;
  ssize_t n = read(fd, buf, size - 1);
  close(fd);
  if (n < 0) return -1;
  buf[n] = 0;
  return (int)n;
}

int main(void) {
  char buf[256];
  struct stat st;

  /* create, write, read back */
  CHECK(write_file("fs.dir/a.txt", "hello", O_TRUNC) == 0, "create and write");
  CHECK(read_file("fs.dir/a.txt", buf, sizeof buf) == 5 && strcmp(buf, "hello") == 0, "read back");

  /* O_APPEND sticks: it is reported by fcntl and applies to every write */
  int fd = open("fs.dir/a.txt", O_WRONLY | O_APPEND);
  CHECK(fd >= 0, "open for append");
  CHECK((fcntl(fd, F_GETFL) & O_APPEND) != 0, "append flag reported");
  lseek(fd, 0, SEEK_SET);
  CHECK(write(fd, " world", 6) == 6, "append write");
  close(fd);
  CHECK(read_file("fs.dir/a.txt", buf, sizeof buf) == 11 && strcmp(buf, "hello world") == 0, "appended at the end");

  /* seek, tell, pread, truncate */
  fd = open("fs.dir/a.txt", O_RDWR);
  CHECK(lseek(fd, 6, SEEK_SET) == 6, "seek");
  CHECK(read(fd, buf, 5) == 5 && memcmp(buf, "world", 5) == 0, "read after seek");
  CHECK(lseek(fd, 0, SEEK_CUR) == 11, "tell");
  CHECK(pread(fd, buf, 4, 1) == 4 && memcmp(buf, "ello", 4) == 0, "pread");
  CHECK(ftruncate(fd, 5) == 0, "ftruncate");
  CHECK(fstat(fd, &st) == 0 && st.st_size == 5, "size after truncate");
  close(fd);

  /* timestamps keep nanoseconds */
  struct timespec ts[2] = {{1000, 123456789}, {2000, 987654321}};
  CHECK(utimensat(AT_FDCWD, "fs.dir/a.txt", ts, 0) == 0, "utimensat");
  CHECK(stat("fs.dir/a.txt", &st) == 0 && st.st_mtim.tv_sec == 2000 && st.st_mtim.tv_nsec == 987654321,
        "mtime nanoseconds kept");
  CHECK(st.st_atim.tv_nsec == 123456789, "atime nanoseconds kept");

  /* directories: create, list (with . and ..), rename, remove */
  CHECK(mkdir("fs.dir/sub", 0755) == 0, "mkdir");
  CHECK(mkdir("fs.dir/sub", 0755) != 0 && errno == EEXIST, "mkdir existing is EEXIST");
  CHECK(write_file("fs.dir/sub/b.txt", "b", O_TRUNC) == 0, "file in subdirectory");
  DIR *d = opendir("fs.dir/sub");
  int dot = 0, dotdot = 0, b = 0;
  struct dirent *e;
  while (d && (e = readdir(d))) {
    if (strcmp(e->d_name, ".") == 0) dot = 1;
    if (strcmp(e->d_name, "..") == 0) dotdot = 1;
    if (strcmp(e->d_name, "b.txt") == 0) b = e->d_type == DT_REG;
  }
  if (d) closedir(d);
  CHECK(dot && dotdot, "readdir lists . and ..");
  CHECK(b, "readdir lists the file with its type");
  CHECK(rmdir("fs.dir/sub") != 0 && errno == ENOTEMPTY, "rmdir of a non-empty directory");
  CHECK(rename("fs.dir/sub/b.txt", "fs.dir/c.txt") == 0, "rename across directories");
  CHECK(access("fs.dir/c.txt", F_OK) == 0 && access("fs.dir/sub/b.txt", F_OK) != 0, "rename moved the file");
  CHECK(rmdir("fs.dir/sub") == 0, "rmdir");
  CHECK(unlink("fs.dir/c.txt") == 0, "unlink");
  CHECK(open("fs.dir/missing", O_RDONLY) < 0 && errno == ENOENT, "missing file is ENOENT");

  /* symlinks: relative ones work, absolute targets are refused, readlink truncates */
  CHECK(symlink("a.txt", "fs.dir/link") == 0, "relative symlink");
  CHECK(read_file("fs.dir/link", buf, sizeof buf) == 5, "read through a symlink");
  char small[3];
  CHECK(readlink("fs.dir/link", small, sizeof small) == 3 && memcmp(small, "a.t", 3) == 0, "readlink truncates");
  CHECK(symlink("/etc/passwd", "fs.dir/abs") != 0, "symlink to an absolute path is refused");
  CHECK(unlink("fs.dir/link") == 0, "unlink a symlink");

  /* the sandbox: no climbing out, no NUL bytes, nothing outside the preopen */
  CHECK(open("fs.dir/../escape.txt", O_WRONLY | O_CREAT, 0644) < 0, "'..' out of the preopen");
  /* preview 1 answers ENOTCAPABLE; WASI 0.2 has no such code, and the same refusal reaches a program
   * adapted to it (jco's adapter) as `not-permitted`, EPERM (as under wasmtime) */
  CHECK(symlink("../..", "fs.dir/up") != 0 && (errno == ENOTCAPABLE || errno == EPERM),
        "a symlink pointing out is refused");
  CHECK(symlink("a.txt", "fs.dir/nodir/l") != 0 && errno == ENOENT, "a link in a missing directory is ENOENT");
  CHECK(open("fs.dir/up/etc/passwd", O_RDONLY) < 0 && errno == ENOENT, "so nothing is there to follow");
  CHECK(open("/etc/passwd", O_RDONLY) < 0, "absolute host paths are unreachable");
  static const char nul_path[] = "a.txt\0x";
  static int32_t nfd;
  CHECK(raw_path_open(3, 0, (int32_t)(uintptr_t)nul_path, 7, 0, 2, 0, 0, (int32_t)(uintptr_t)&nfd) == 25,
        "a path with a NUL byte is EILSEQ"); /* fd 3 is the first preopen */

  CHECK(unlink("fs.dir/a.txt") == 0, "clean up");
  if (failures == 0) printf("filesystem: all %d checks passed\n", checks);
  return failures != 0;
}
