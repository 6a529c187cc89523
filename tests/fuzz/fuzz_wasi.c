/*
 * fuzz_wasi.c — libFuzzer target for the WASI layer: the input is a sequence
 * of up to 64 preview-1 path and descriptor calls with fuzzed arguments, made
 * by a tiny module whose exports forward to its WASI imports, against a fresh
 * temporary tree per input:
 *
 *   BASE/                 persistent per process (mkdtemp, on tmpfs when it can)
 *     root/               made and removed for every input
 *       box/              the preopen (fd 3), with planted files, dirs and
 *                         symlinks that point at the canary, absolute paths and loops
 *       canary/           a sibling the guest must never see or touch
 *       outside           a file next to them
 *
 * Paths are built from a small alphabet ("a", "..", ".", "", "up", "abs",
 * "loop", long names, the host's absolute path of root, trailing slashes…)
 * so escapes and odd interactions come up often.
 *
 * What aborts (libFuzzer then saves the input):
 *  - a sanitizer report, a trap out of a host function or an errno outside witx;
 *  - any change outside box: names, types, modes, link counts, sizes, contents,
 *    symlink targets, mtimes and ctimes (nanoseconds) of everything under BASE
 *    except box's contents; with a read-only preopen, box must not change either;
 *  - a guest descriptor whose host file is not beneath box (checked through
 *    /proc/self/fd after every call), a filestat naming an inode outside, or
 *    the per-input random secret that the files outside hold appearing in
 *    guest memory (a read escaped);
 *  - a host descriptor leaked by an input, or a tree left behind after cleanup.
 * BASE's parent is shared with other processes and not compared: an escape
 * that climbs three levels from box and changes only that is not seen.
 *
 * Input: byte 0 configures the preopen (read-only when its low three bits are
 * all set); then each call is an op byte (low 5 bits: which call; bit 7: hand
 * out-of-bounds pointers) followed by that call's argument bytes, read as
 * needed (zeros after the end).
 *
 * WRUN_TEST_NO_OPENAT2=1 in the environment also makes the kernel answer
 * openat2 with ENOSYS for this whole process (a seccomp filter installed at
 * start-up), as on kernels before 5.6 and in seccomp sandboxes, so the
 * resolver's fallback is what gets fuzzed, whether or not wasi_new reads
 * the variable itself.
 */
#include <dirent.h>
#include <errno.h>
#include <fcntl.h>
#include <linux/audit.h>
#include <linux/filter.h>
#include <linux/openat2.h>
#include <linux/seccomp.h>
#include <stdarg.h>
#include <stddef.h>
#include <stdint.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/prctl.h>
#include <sys/random.h>
#include <sys/stat.h>
#include <sys/syscall.h>
#include <unistd.h>

#include "binary/module.h"
#include "runtime/runtime.h"
#include "text/text.h"
#include "valid/valid.h"
#include "wasi/wasi.h"
#include "wasi/wasi_impl.h"

int LLVMFuzzerInitialize(int *argc, char ***argv);
int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size);

#define MAX_CALLS 64
#define SECRET_LEN 24

/* Guest memory layout (one 64 KiB page). */
enum {
  MEM_PATH_A = 0x0000, MEM_PATH_B = 0x1000, PATH_CAP = 0x1000,
  MEM_IOV = 0x2000,   /* up to 4 iovecs */
  MEM_OUT = 0x2100,   /* results: fd, counts, filestat, fdstat */
  MEM_IO = 0x4000, IO_CAP = 0x8000,
  MEM_SIZE = 0x10000,
  MEM_BAD = MEM_SIZE - 2, /* a pointer whose every access of 4+ bytes is out of bounds */
};

/* ---- process-wide state --------------------------------------------------------- */

static wm_module *g_module;       /* the forwarding module, decoded once */
static char g_base[256];            /* BASE: persistent temp directory */
static char g_root[300], g_box[320];
static int g_base_fd = -1;
static bool g_trace;                /* WRUN_FUZZ_WASI_TRACE=1 */

/* The WASI functions this target calls, by name with their signatures. */
typedef struct fs_func { const char *name, *sig; } fs_func;
#define FS_ENTRY(name, sig) {#name, sig},
static const fs_func g_funcs[] = {WASI_FS_FUNCS(FS_ENTRY)};
#undef FS_ENTRY
#define NFUNCS (sizeof g_funcs / sizeof g_funcs[0])

static void fail(void) __attribute__((noreturn));

static void die(const char *what) {
  fprintf(stderr, "fuzz_wasi: %s\n", what);
  fail();
}

/* A growing text buffer (snapshots, paths, the module text); never truncates, so
 * two snapshots compare equal only when they are. */
typedef struct strbuf { char *p; size_t len, cap; } strbuf;
static void sb_printf(strbuf *b, const char *fmt, ...) __attribute__((format(printf, 2, 3)));
static void sb_printf(strbuf *b, const char *fmt, ...) {
  va_list ap;
  if (!b->p) {
    b->cap = 256;
    if (!(b->p = malloc(b->cap))) die("out of memory");
  }
  for (;;) {
    va_start(ap, fmt);
    int n = vsnprintf(b->p + b->len, b->cap - b->len, fmt, ap);
    va_end(ap);
    if (n < 0) die("vsnprintf failed");
    if ((size_t)n < b->cap - b->len) {
      b->len += (size_t)n;
      return;
    }
    size_t cap = b->cap * 2 + (size_t)n + 64;
    char *p = realloc(b->p, cap);
    if (!p) die("out of memory");
    b->p = p;
    b->cap = cap;
  }
}

/* ---- the forwarding module ------------------------------------------------------- */

/* One import and one exported wrapper per function: calls from the harness go
 * through wasm, so host functions see the instance's memory as a guest's call would. */
static void build_module(void) {
  strbuf w = {0}, funcs = {0};
  sb_printf(&w, "(module\n");
  sb_printf(&funcs, "%s", "");
  for (size_t i = 0; i < NFUNCS; i++) {
    const char *s = g_funcs[i].sig;
    strbuf params = {0}, body = {0};
    sb_printf(&params, " ");
    sb_printf(&body, " ");
    for (int k = 0; s[k] && s[k] != '>'; k++) {
      sb_printf(&params, "%s ", s[k] == 'I' ? "i64" : "i32");
      sb_printf(&body, "local.get %d ", k);
    }
    sb_printf(&w, "(import \"wasi_snapshot_preview1\" \"%s\" (func $%s (param%s) (result i32)))\n", g_funcs[i].name,
              g_funcs[i].name, params.p);
    sb_printf(&funcs, "(func (export \"%s\") (param%s) (result i32)%scall $%s)\n", g_funcs[i].name, params.p,
              body.p, g_funcs[i].name);
    free(params.p);
    free(body.p);
  }
  sb_printf(&w, "%s", funcs.p); /* imports come first */
  free(funcs.p);
  sb_printf(&w, "(memory (export \"memory\") 1 1))\n");
  rt_error err;
  rt_error_clear(&err);
  uint8_t *bin = NULL;
  size_t len = 0;
  if (!wat_parse_to_binary(w.p, w.len, &bin, &len, &err)) die(err.message);
  free(w.p);
  g_module = wm_module_decode(bin, len, &err);
  if (!g_module || !wm_module_validate(g_module, &err)) die(err.message);
  free(bin); /* the decoder keeps its own copy */
}

/* ---- openat2 off: a seccomp filter answering ENOSYS ------------------------------- */

#if defined(__x86_64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_X86_64
#elif defined(__aarch64__)
#define AUDIT_ARCH_HERE AUDIT_ARCH_AARCH64
#endif

static void disable_openat2(void) {
#if defined(AUDIT_ARCH_HERE) && defined(SYS_openat2)
  struct sock_filter prog[] = {
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, arch)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, AUDIT_ARCH_HERE, 1, 0),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
      BPF_STMT(BPF_LD | BPF_W | BPF_ABS, offsetof(struct seccomp_data, nr)),
      BPF_JUMP(BPF_JMP | BPF_JEQ | BPF_K, SYS_openat2, 0, 1),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ERRNO | ENOSYS),
      BPF_STMT(BPF_RET | BPF_K, SECCOMP_RET_ALLOW),
  };
  struct sock_fprog fp = {.len = sizeof prog / sizeof prog[0], .filter = prog};
  if (prctl(PR_SET_NO_NEW_PRIVS, 1, 0, 0, 0) != 0 || prctl(PR_SET_SECCOMP, SECCOMP_MODE_FILTER, &fp) != 0) {
    perror("fuzz_wasi: cannot install the seccomp filter for WRUN_TEST_NO_OPENAT2");
    exit(2);
  }
  struct open_how how = {.flags = O_RDONLY | O_CLOEXEC, .resolve = RESOLVE_BENEATH};
  long fd = syscall(SYS_openat2, AT_FDCWD, ".", &how, sizeof how);
  if (fd >= 0 || errno != ENOSYS) die("openat2 still answers after the seccomp filter");
  fprintf(stderr, "fuzz_wasi: openat2 answers ENOSYS (WRUN_TEST_NO_OPENAT2=1): fuzzing the fallback resolver\n");
#else
  fprintf(stderr, "fuzz_wasi: cannot disable openat2 on this architecture\n");
  exit(2);
#endif
}

static void remove_base(void) {
  if (g_base[0]) rmdir(g_base); /* empty after every input's cleanup */
}

int LLVMFuzzerInitialize(int *argc, char ***argv) {
  (void)argc;
  (void)argv;
  const char *off = getenv("WRUN_TEST_NO_OPENAT2");
  if (off && strcmp(off, "1") == 0) disable_openat2();
  const char *tr = getenv("WRUN_FUZZ_WASI_TRACE");
  g_trace = tr && strcmp(tr, "1") == 0;
  build_module();
  struct stat st;
  const char *dir = stat("/dev/shm", &st) == 0 && S_ISDIR(st.st_mode) && access("/dev/shm", W_OK) == 0
                        ? "/dev/shm" /* tmpfs: fsync and O_SYNC cost nothing */
                        : getenv("TMPDIR") ? getenv("TMPDIR") : "/tmp";
  snprintf(g_base, sizeof g_base, "%s/wrun-fuzz-wasi-XXXXXX", dir);
  if (!mkdtemp(g_base)) die("mkdtemp failed");
  char *real = realpath(g_base, NULL);
  if (!real || strlen(real) >= sizeof g_base) die("realpath failed");
  snprintf(g_base, sizeof g_base, "%s", real);
  free(real);
  snprintf(g_root, sizeof g_root, "%s/root", g_base);
  snprintf(g_box, sizeof g_box, "%s/box", g_root);
  g_base_fd = open(g_base, O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  if (g_base_fd < 0) die("cannot open the base directory");
  atexit(remove_base);
  /* libuv opens process-wide descriptors (its signal pipe) with the first
   * loop; open them now so the per-input descriptor count compares like with like */
  wasi_config wc = {0};
  rt_error err;
  rt_error_clear(&err);
  wasi_free(wasi_new(&wc, &err));
  return 0;
}

/* ---- the temp tree ---------------------------------------------------------------- */

static void put_file(int dirfd, const char *name, const char *text, mode_t mode) {
  int fd = openat(dirfd, name, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, mode);
  if (fd < 0 || write(fd, text, strlen(text)) != (ssize_t)strlen(text) || close(fd) != 0) die("setup: file");
}

static void put_link(int dirfd, const char *target, const char *name) {
  if (symlinkat(target, dirfd, name) != 0) die("setup: symlink");
}

static int put_dir(int dirfd, const char *name, mode_t mode) {
  if (mkdirat(dirfd, name, mode) != 0) die("setup: mkdir");
  int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) die("setup: open dir");
  return fd;
}

static void make_tree(const char *secret) {
  char text[128], abs[400];
  snprintf(text, sizeof text, "canary %s\n", secret);
  int root = put_dir(g_base_fd, "root", 0755);
  put_file(root, "outside", text, 0644);
  int canary = put_dir(root, "canary", 0750);
  put_file(canary, "secret", text, 0640);
  put_file(canary, "empty", "", 0600);
  int sub = put_dir(canary, "sub", 0700);
  put_file(sub, "inner", text, 0444);
  close(sub);
  put_link(canary, "secret", "sym");
  put_link(canary, "../box", "esc");
  close(canary);
  int box = put_dir(root, "box", 0755);
  put_file(box, "file", "hello from the box\n", 0644);
  int dir = put_dir(box, "dir", 0755);
  put_file(dir, "a", "a file in dir\n", 0644);
  put_link(dir, "../../canary", "deep");
  put_link(dir, "../up", "up2");
  int sub2 = put_dir(dir, "sub", 0755); /* two levels down: `..` inside the box, and a link climbing three */
  put_file(sub2, "a", "a file two levels down\n", 0644);
  put_link(sub2, "../../../canary", "deep");
  close(sub2);
  close(dir);
  put_link(box, "file", "link");
  put_link(box, "dir", "dlink");
  put_link(box, "../canary", "up");
  put_link(box, "../canary/secret", "upf");
  put_link(box, "..", "dotdot");
  put_link(box, "loop", "loop");
  put_link(box, ".", "self");
  snprintf(abs, sizeof abs, "%s/canary", g_root);
  put_link(box, abs, "abs");
  snprintf(abs, sizeof abs, "%s/canary/secret", g_root);
  put_link(box, abs, "absf");
  close(box);
  close(root);
}

/* Removes everything beneath dirfd without following a symlink. `strict`:
 * anything that cannot be removed is a failure (after a failure, best effort). */
static void remove_contents(int dirfd, int depth, bool strict) {
  if (depth > 200) {
    if (strict) die("cleanup: tree too deep");
    return;
  }
  int fd = openat(dirfd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) {
    if (fd >= 0) close(fd);
    if (strict) die("cleanup: opendir");
    return;
  }
  struct dirent *e;
  while ((e = readdir(d))) {
    if (!strcmp(e->d_name, ".") || !strcmp(e->d_name, "..")) continue;
    if (unlinkat(dirfd, e->d_name, 0) == 0) continue;
    if (errno != EISDIR && errno != EPERM) {
      if (strict) die("cleanup: unlink");
      continue;
    }
    int sub = openat(dirfd, e->d_name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (sub < 0) {
      if (strict) die("cleanup: open subdirectory");
      continue;
    }
    remove_contents(sub, depth + 1, strict);
    close(sub);
    if (unlinkat(dirfd, e->d_name, AT_REMOVEDIR) != 0) {
      if (strict) die("cleanup: rmdir");
      continue;
    }
    rewinddir(d); /* the listing changed under readdir */
  }
  closedir(d);
}

/* On any failure: remove what this process made (the input reproduces it), then abort. */
static void fail(void) {
  static bool failing;
  if (!failing && g_base_fd >= 0) {
    failing = true;
    remove_contents(g_base_fd, 0, false);
    rmdir(g_base);
  }
  abort();
}

static void remove_tree(void) {
  int root = openat(g_base_fd, "root", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (root < 0) die("cleanup: root is gone or not a directory");
  remove_contents(root, 0, true);
  close(root);
  if (unlinkat(g_base_fd, "root", AT_REMOVEDIR) != 0) die("cleanup: rmdir root");
  /* BASE must be empty again: nothing was created next to root */
  int fd = openat(g_base_fd, ".", O_RDONLY | O_DIRECTORY | O_CLOEXEC);
  DIR *d = fd >= 0 ? fdopendir(fd) : NULL;
  if (!d) die("cleanup: opendir base");
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) die("cleanup: base directory not empty");
  closedir(d);
}

/* ---- snapshots of what the guest must not change ------------------------------------- */

/* Inodes outside the box (for filestat results); filled by snapshot(). */
typedef struct ino_set { uint64_t dev[64], ino[64]; int n; } ino_set;

static int cmp_names(const void *a, const void *b) { return strcmp(*(char *const *)a, *(char *const *)b); }

static uint64_t hash_file(int dirfd, const char *name) {
  int fd = openat(dirfd, name, O_RDONLY | O_NOFOLLOW | O_CLOEXEC);
  if (fd < 0) return 0;
  uint64_t h = UINT64_C(14695981039346656037);
  uint8_t buf[4096];
  ssize_t n;
  while ((n = read(fd, buf, sizeof buf)) > 0)
    for (ssize_t i = 0; i < n; i++) h = (h ^ buf[i]) * UINT64_C(1099511628211);
  close(fd);
  return h;
}

/* Describes `name` in dirfd (and, for a directory, everything beneath it) as
 * text, one line per file. `skip_box`: of root's entry "box" (depth 2 below
 * base) only what the guest may not change is recorded; its contents and
 * times are the guest's.
 * Inodes described go into `out` when it is not NULL. */
static void describe(strbuf *b, ino_set *out, int dirfd, const char *name, const char *path, bool skip_box,
                     int depth);

static void describe_dir(strbuf *b, ino_set *out, int fd, const char *path, bool skip_box, int depth) {
  DIR *d = fdopendir(fd);
  if (!d) die("snapshot: fdopendir");
  char *names[256];
  int n = 0;
  struct dirent *e;
  while ((e = readdir(d)))
    if (strcmp(e->d_name, ".") && strcmp(e->d_name, "..")) {
      if (n == 256) die("snapshot: directory too large");
      if (!(names[n++] = strdup(e->d_name))) die("out of memory");
    }
  qsort(names, (size_t)n, sizeof names[0], cmp_names);
  for (int i = 0; i < n; i++) {
    char sub[1024];
    snprintf(sub, sizeof sub, "%s/%s", path, names[i]);
    if (skip_box && depth == 1 && !strcmp(names[i], "box")) { /* listing root */
      struct stat st;
      if (fstatat(dirfd(d), "box", &st, AT_SYMLINK_NOFOLLOW) != 0) die("snapshot: box is gone");
      sb_printf(b, "%s: mode %o ino %llu\n", sub, (unsigned)st.st_mode, (unsigned long long)st.st_ino);
    } else {
      describe(b, out, dirfd(d), names[i], sub, skip_box, depth + 1);
    }
    free(names[i]);
  }
  closedir(d);
}

static void describe(strbuf *b, ino_set *out, int dirfd, const char *name, const char *path, bool skip_box,
                     int depth) {
  if (depth > 64) die("snapshot: tree too deep");
  struct stat st;
  if (fstatat(dirfd, name, &st, AT_SYMLINK_NOFOLLOW) != 0) {
    sb_printf(b, "%s: missing\n", path);
    return;
  }
  if (out && out->n < 64) {
    out->dev[out->n] = st.st_dev;
    out->ino[out->n++] = st.st_ino;
  }
  sb_printf(b, "%s: mode %o ino %llu nlink %llu uid %u size %lld mtime %lld.%09ld ctime %lld.%09ld", path,
            (unsigned)st.st_mode, (unsigned long long)st.st_ino, (unsigned long long)st.st_nlink,
            (unsigned)st.st_uid, (long long)st.st_size, (long long)st.st_mtim.tv_sec, st.st_mtim.tv_nsec,
            (long long)st.st_ctim.tv_sec, st.st_ctim.tv_nsec);
  if (S_ISREG(st.st_mode)) {
    sb_printf(b, " hash %016llx\n", (unsigned long long)hash_file(dirfd, name));
  } else if (S_ISLNK(st.st_mode)) {
    char t[4096];
    ssize_t n = readlinkat(dirfd, name, t, sizeof t - 1);
    t[n < 0 ? 0 : n] = 0;
    sb_printf(b, " -> %s\n", t);
  } else if (S_ISDIR(st.st_mode)) {
    sb_printf(b, "\n");
    int fd = openat(dirfd, name, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (fd < 0) die("snapshot: open directory");
    describe_dir(b, out, fd, path, skip_box, depth);
  } else {
    sb_printf(b, " (special)\n");
  }
}

/* Everything under BASE except box's contents, or (box_only) box in full. */
static void snapshot(strbuf *b, ino_set *out, bool box_only) {
  b->len = 0;
  if (box_only) {
    int root = openat(g_base_fd, "root", O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
    if (root < 0) die("snapshot: root is gone");
    describe(b, NULL, root, "box", "box", false, 1);
    close(root);
  } else {
    describe(b, out, AT_FDCWD, g_base, "base", true, 0);
  }
}

/* Prints the first line where two snapshots differ, then aborts. */
static void compare(const strbuf *before, const strbuf *after, const char *what) {
  if (before->len == after->len && memcmp(before->p, after->p, before->len) == 0) return;
  size_t i = 0, line = 0;
  while (i < before->len && i < after->len && before->p[i] == after->p[i]) {
    if (before->p[i] == '\n') line = i + 1;
    i++;
  }
  fprintf(stderr, "fuzz_wasi: %s changed\n  before: %.*s\n  after:  %.*s\n", what,
          (int)strcspn(before->p + line, "\n"), before->p + line, (int)strcspn(after->p + line, "\n"),
          after->p + line);
  fail();
}

static int count_fds(void) {
  DIR *d = opendir("/proc/self/fd");
  if (!d) die("cannot list /proc/self/fd");
  int n = 0;
  while (readdir(d)) n++;
  closedir(d);
  return n;
}

/* ---- fuzz input --------------------------------------------------------------------- */

typedef struct input { const uint8_t *p; size_t n, at; } input;

static uint8_t u8(input *in) { return in->at < in->n ? in->p[in->at++] : 0; }
static uint32_t u32(input *in) {
  uint32_t v = 0;
  for (int i = 0; i < 4; i++) v |= (uint32_t)u8(in) << (8 * i);
  return v;
}
static uint64_t u64(input *in) { return u32(in) | (uint64_t)u32(in) << 32; }

/* A size or offset: mostly small, sometimes at an edge. */
static uint64_t amount(input *in) {
  static const uint64_t edge[] = {UINT64_MAX,        INT64_MAX,         (uint64_t)INT64_MAX + 1, UINT32_MAX,
                                  UINT64_C(1) << 31, UINT64_C(1) << 32, UINT64_C(1) << 40,       4096};
  uint8_t b = u8(in);
  return b < 0xF8 ? (uint64_t)b * 13 : edge[b & 7];
}

/* A descriptor: the preopen (3) or one the guest opened; never the host's stdio. */
static uint32_t pick_fd(input *in) {
  static const uint32_t odd[] = {UINT32_MAX, 64, 65535, 65536, 1u << 31, 3, 4, 11};
  uint8_t b = u8(in);
  return b < 0xF8 ? 3u + (b & 7u) : odd[b & 7];
}

/* Rights to ask for: the sets guests usually ask for, everything, random bits, none. */
static uint64_t rights(input *in) {
  switch (u8(in) & 7) {
  case 0: return WASI_RIGHTS_DIR | WASI_RIGHTS_FILE;
  case 1: return WASI_R(R_FD_READ) | WASI_R(R_FD_SEEK) | WASI_R(R_FD_TELL) | WASI_R(R_FD_FILESTAT_GET);
  case 2: return WASI_R(R_FD_WRITE) | WASI_R(R_FD_FILESTAT_SET_SIZE) | WASI_R(R_FD_FILESTAT_SET_TIMES);
  case 3: return WASI_RIGHTS_FILE;
  case 4: return WASI_RIGHTS_DIR;
  case 5: return WASI_RIGHTS_ALL;
  case 6: return u64(in);
  default: return 0;
  }
}

static uint64_t timestamp(input *in) {
  uint8_t b = u8(in);
  if (b == 0) return 0;
  if (b == 0xFF) return UINT64_MAX;
  return (uint64_t)u32(in) * 1000000000u + (uint64_t)b * 3906250u;
}

static const char *component(uint8_t b) {
  static char long255[256], long300[301];
  if (!long255[0]) {
    memset(long255, 'L', 255);
    memset(long300, 'M', 300);
  }
  static const char *names[] = {"a",    "b",    "..",     ".",     "",      "file", "dir",  "link",
                                "dlink", "up",  "upf",    "abs",   "absf",  "loop", "dotdot", "self",
                                "canary", "secret", "outside", "sub", "deep", "esc",  "x",    NULL, NULL};
  size_t n = sizeof names / sizeof names[0];
  b %= (uint8_t)n;
  if (b == n - 2) return long255;
  if (b == n - 1) return long300;
  return names[b];
}

/* Writes a path built from the input at `at` in guest memory; returns its length.
 * Header byte: components (0-7), prefix (none, "/", root's absolute host path,
 * "../"), a trailing slash, and rarely a NUL inside. */
static uint32_t put_path(input *in, uint8_t *mem, uint32_t at) {
  strbuf b = {0};
  sb_printf(&b, "%s", ""); /* an empty path is a valid input */
  uint8_t h = u8(in);
  int ncomp = h & 7;
  switch ((h >> 3) & 3) {
  case 1: sb_printf(&b, "/"); break;
  case 2: sb_printf(&b, "%s/", g_root); break;
  case 3: sb_printf(&b, "../"); break;
  default: break;
  }
  for (int i = 0; i < ncomp; i++) sb_printf(&b, "%s%s", i ? "/" : "", component(u8(in)));
  if (h & 0x20) sb_printf(&b, "/");
  uint32_t len = b.len < PATH_CAP ? (uint32_t)b.len : PATH_CAP;
  memcpy(mem + at, b.p, len);
  if ((h & 0xC0) == 0xC0 && len) mem[at + len / 2] = 0;
  free(b.p);
  return len;
}

/* ---- one run ------------------------------------------------------------------------- */

typedef struct run {
  wrun_store *s;
  wrun_instance *inst;
  wasi_ctx *w;
  wrun_func *fn[NFUNCS];      /* exports, looked up on first use */
  uint8_t *mem;
  char secret[SECRET_LEN + 1];
  ino_set outside;
} run;

/* The index in g_funcs of a function named by a string literal. The names are
 * compared once per literal, not per call, so they do not flood the fuzzer's
 * dictionary. */
static size_t func_index(const char *name) {
  static const char *known[NFUNCS];
  for (size_t i = 0; i < NFUNCS; i++)
    if (known[i] == name) return i;
  for (size_t i = 0; i < NFUNCS; i++)
    if (!strcmp(g_funcs[i].name, name)) {
      known[i] = name;
      return i;
    }
  die("no such WASI function");
  return 0;
}

/* Which arguments of a function are (pointer, length) pairs of paths: bit k = argument k. */
static unsigned path_args(const char *name) {
  static const struct { const char *name; unsigned mask; } t[] = {
      {"path_open", 1u << 2},          {"path_filestat_get", 1u << 2},     {"path_filestat_set_times", 1u << 2},
      {"path_create_directory", 1u << 1}, {"path_remove_directory", 1u << 1}, {"path_unlink_file", 1u << 1},
      {"path_rename", 1u << 1 | 1u << 4}, {"path_link", 1u << 2 | 1u << 5},   {"path_symlink", 1u << 0 | 1u << 3},
      {"path_readlink", 1u << 1},
  };
  for (size_t i = 0; i < sizeof t / sizeof t[0]; i++)
    if (!strcmp(t[i].name, name)) return t[i].mask;
  return 0;
}

/* WRUN_FUZZ_WASI_TRACE=1: each call with its arguments (paths as text) and errno. */
static void trace(const run *r, size_t fi, const uint64_t *args, uint32_t n, uint32_t result) {
  unsigned paths = path_args(g_funcs[fi].name);
  fprintf(stderr, "  %s(", g_funcs[fi].name);
  for (uint32_t k = 0; k < n; k++) {
    if ((paths >> k & 1) && args[k] + args[k + 1] <= MEM_SIZE) {
      fprintf(stderr, "%s\"", k ? ", " : "");
      for (uint64_t i = 0; i < args[k + 1]; i++) {
        uint8_t ch = r->mem[args[k] + i];
        fprintf(stderr, ch >= 32 && ch < 127 && ch != '"' ? "%c" : "\\x%02x", ch);
      }
      fprintf(stderr, "\"");
      k++;
    } else {
      fprintf(stderr, "%s%llu", k ? ", " : "", (unsigned long long)args[k]);
    }
  }
  fprintf(stderr, ") = %u\n", result);
}

static uint32_t call(run *r, const char *name, const uint64_t *args) {
  size_t fi = func_index(name);
  if (!r->fn[fi]) {
    rt_extern ex;
    if (!rt_instance_export(r->inst, name, strlen(name), &ex)) die("export missing");
    r->fn[fi] = ex.of.func;
  }
  rt_val av[12], res;
  uint32_t n = 0;
  for (const char *s = g_funcs[fi].sig; *s && *s != '>'; s++, n++) {
    memset(&av[n], 0, sizeof av[n]);
    av[n].type = *s == 'I' ? WASM_I64 : WASM_I32;
    if (*s == 'I') av[n].of.i64 = args[n];
    else av[n].of.i32 = (uint32_t)args[n];
  }
  rt_error err;
  rt_error_clear(&err);
  if (!rt_call(r->s, r->fn[fi], av, n, &res, 1, &err)) {
    fprintf(stderr, "fuzz_wasi: %s trapped: %s\n", name, err.message);
    fail();
  }
  if (g_trace) trace(r, fi, args, n, res.of.i32);
  if (res.of.i32 > WASI_ENOTCAPABLE) {
    fprintf(stderr, "fuzz_wasi: %s returned errno %u, not a witx errno\n", name, res.of.i32);
    fail();
  }
  return res.of.i32;
}

/* Every guest descriptor past the standard streams must name a file beneath box. */
static void check_fds(run *r) {
  size_t blen = strlen(g_box);
  for (uint32_t i = 3; i < r->w->nfds; i++) {
    const wasi_fd *f = &r->w->fds[i];
    if (!f->used) continue;
    char proc[64], target[4096];
    snprintf(proc, sizeof proc, "/proc/self/fd/%d", f->host);
    ssize_t n = readlink(proc, target, sizeof target - 1);
    if (n < 0) die("guest descriptor without a host descriptor");
    target[n] = 0;
    if (f->host <= 2 || strncmp(target, g_box, blen) != 0 || (target[blen] && target[blen] != '/' &&
                                                                strcmp(target + blen, " (deleted)") != 0)) {
      fprintf(stderr, "fuzz_wasi: guest fd %u is host fd %d = %s, not beneath %s\n", i, f->host, target, g_box);
      fail();
    }
  }
}

/* The files outside hold the secret: seeing it in guest memory means a read escaped. */
static void check_secret(run *r) {
  const uint8_t *m = r->mem + MEM_OUT, *end = r->mem + MEM_IO + IO_CAP;
  /* memchr, not a byte loop: the fuzzer's compare tracing would make a loop cost more than the calls */
  while (m + SECRET_LEN <= end && (m = memchr(m, r->secret[0], (size_t)(end - m - SECRET_LEN + 1)))) {
    if (memcmp(m, r->secret, SECRET_LEN) == 0) {
      fprintf(stderr, "fuzz_wasi: the secret of a file outside the box reached guest memory at %td\n", m - r->mem);
      fail();
    }
    m++;
  }
}

/* A filestat the guest got must not describe an inode outside the box. */
static void check_filestat(run *r, uint32_t at) {
  uint64_t dev, ino;
  memcpy(&dev, r->mem + at, 8);
  memcpy(&ino, r->mem + at + 8, 8);
  for (int i = 0; i < r->outside.n; i++)
    if (r->outside.dev[i] == dev && r->outside.ino[i] == ino) {
      fprintf(stderr, "fuzz_wasi: a filestat described inode %llu outside the box\n", (unsigned long long)ino);
      fail();
    }
}

/* iovecs over the IO area; lengths from the input. Returns how many. */
static uint32_t put_iovecs(input *in, run *r) {
  uint32_t n = u8(in) % 4 + 1, at = MEM_IO;
  for (uint32_t i = 0; i < n; i++) {
    uint32_t len = (uint32_t)u8(in) * 16;
    if (at + len > MEM_IO + IO_CAP) len = 0;
    memcpy(r->mem + MEM_IOV + 8 * i, &at, 4);
    memcpy(r->mem + MEM_IOV + 8 * i + 4, &len, 4);
    at += len;
  }
  return n;
}

/* Data for writes: the input's next bytes, repeated over the IO area. */
static void put_data(input *in, run *r) {
  uint8_t seed[16];
  for (int i = 0; i < 16; i++) seed[i] = u8(in);
  for (uint32_t i = 0; i < IO_CAP; i++) r->mem[MEM_IO + i] = seed[i % 16];
}

enum {
  OP_PATH_OPEN, OP_FD_CLOSE, OP_FD_READ, OP_FD_WRITE, OP_FD_PREAD, OP_FD_PWRITE, OP_FD_SEEK, OP_FD_TELL,
  OP_FD_RENUMBER, OP_FD_READDIR, OP_FD_FILESTAT_GET, OP_FD_SET_SIZE, OP_FD_SET_TIMES, OP_FD_SET_FLAGS,
  OP_FD_FDSTAT, OP_MKDIR, OP_RMDIR, OP_UNLINK, OP_RENAME, OP_SYMLINK, OP_LINK, OP_READLINK,
  OP_PATH_FILESTAT_GET, OP_PATH_SET_TIMES, OP_FD_ALLOCATE, OP_FD_ADVISE, OP_PRESTAT, OP_FD_SYNC,
  OP_COUNT,
};

static void one_call(input *in, run *r) {
  uint8_t opb = u8(in);
  bool bad = opb & 0x80; /* out-of-bounds result pointers */
  uint32_t out = bad ? MEM_BAD : MEM_OUT;
  uint64_t a[10] = {0};
  switch (opb % 32 % OP_COUNT) {
  case OP_PATH_OPEN: {
    uint8_t fl = u8(in), of = u8(in), ff = u8(in);
    a[0] = pick_fd(in);
    a[1] = fl & 0x80 ? fl : fl & 1;
    a[3] = put_path(in, r->mem, MEM_PATH_A);
    a[2] = MEM_PATH_A;
    a[4] = of & 0x80 ? of : of & 15;
    a[5] = rights(in);
    a[6] = rights(in);
    a[7] = ff & 0x80 ? ff : ff & 31;
    a[8] = out;
    if (call(r, "path_open", a) == WASI_ESUCCESS && !bad) {
      uint32_t fd;
      memcpy(&fd, r->mem + out, 4);
      if (fd >= r->w->nfds || !r->w->fds[fd].used) die("path_open returned a descriptor that is not open");
    }
    break;
  }
  case OP_FD_CLOSE: a[0] = pick_fd(in); call(r, "fd_close", a); break;
  case OP_FD_READ:
  case OP_FD_PREAD:
  case OP_FD_WRITE:
  case OP_FD_PWRITE: {
    int op = opb % 32 % OP_COUNT;
    bool write = op == OP_FD_WRITE || op == OP_FD_PWRITE, pos = op == OP_FD_PREAD || op == OP_FD_PWRITE;
    a[0] = pick_fd(in);
    a[2] = put_iovecs(in, r);
    a[1] = bad && (u8(in) & 1) ? MEM_BAD : MEM_IOV;
    if (write) put_data(in, r);
    else memset(r->mem + MEM_IO, 0, IO_CAP);
    if (pos) a[3] = amount(in);
    a[pos ? 4 : 3] = out;
    call(r, write ? (pos ? "fd_pwrite" : "fd_write") : (pos ? "fd_pread" : "fd_read"), a);
    break;
  }
  case OP_FD_SEEK: {
    a[0] = pick_fd(in);
    uint64_t v = amount(in);
    a[1] = u8(in) & 1 ? 0 - v : v; /* negative offsets as the guest passes them */
    a[2] = u8(in) % 4;
    a[3] = out;
    call(r, "fd_seek", a);
    break;
  }
  case OP_FD_TELL: a[0] = pick_fd(in); a[1] = out; call(r, "fd_tell", a); break;
  case OP_FD_RENUMBER: a[0] = pick_fd(in); a[1] = pick_fd(in); call(r, "fd_renumber", a); break;
  case OP_FD_READDIR:
    a[0] = pick_fd(in);
    a[1] = MEM_IO;
    a[2] = (uint64_t)u8(in) * 8;
    a[3] = u8(in) < 0xF0 ? u8(in) % 32 : u64(in);
    a[4] = out;
    call(r, "fd_readdir", a);
    break;
  case OP_FD_FILESTAT_GET:
    a[0] = pick_fd(in);
    a[1] = out;
    if (call(r, "fd_filestat_get", a) == WASI_ESUCCESS) check_filestat(r, out);
    break;
  case OP_FD_SET_SIZE: a[0] = pick_fd(in); a[1] = amount(in); call(r, "fd_filestat_set_size", a); break;
  case OP_FD_SET_TIMES:
    a[0] = pick_fd(in);
    a[1] = timestamp(in);
    a[2] = timestamp(in);
    a[3] = u8(in) & 31;
    call(r, "fd_filestat_set_times", a);
    break;
  case OP_FD_SET_FLAGS: {
    a[0] = pick_fd(in);
    uint8_t f = u8(in);
    a[1] = f & 0x80 ? f : f & 31;
    call(r, "fd_fdstat_set_flags", a);
    break;
  }
  case OP_FD_FDSTAT:
    a[0] = pick_fd(in);
    if (u8(in) & 1) {
      a[1] = out;
      call(r, "fd_fdstat_get", a);
    } else {
      a[1] = rights(in);
      a[2] = rights(in);
      call(r, "fd_fdstat_set_rights", a);
    }
    break;
  case OP_MKDIR:
  case OP_RMDIR:
  case OP_UNLINK: {
    int op = opb % 32 % OP_COUNT;
    a[0] = pick_fd(in);
    a[2] = put_path(in, r->mem, MEM_PATH_A);
    a[1] = MEM_PATH_A;
    call(r, op == OP_MKDIR ? "path_create_directory" : op == OP_RMDIR ? "path_remove_directory" : "path_unlink_file",
         a);
    break;
  }
  case OP_RENAME:
    a[0] = pick_fd(in);
    a[2] = put_path(in, r->mem, MEM_PATH_A);
    a[1] = MEM_PATH_A;
    a[3] = pick_fd(in);
    a[5] = put_path(in, r->mem, MEM_PATH_B);
    a[4] = MEM_PATH_B;
    call(r, "path_rename", a);
    break;
  case OP_SYMLINK: /* (target, fd, path) */
    a[1] = put_path(in, r->mem, MEM_PATH_A);
    a[0] = MEM_PATH_A;
    a[2] = pick_fd(in);
    a[4] = put_path(in, r->mem, MEM_PATH_B);
    a[3] = MEM_PATH_B;
    call(r, "path_symlink", a);
    break;
  case OP_LINK:
    a[0] = pick_fd(in);
    a[1] = u8(in) & 1;
    a[3] = put_path(in, r->mem, MEM_PATH_A);
    a[2] = MEM_PATH_A;
    a[4] = pick_fd(in);
    a[6] = put_path(in, r->mem, MEM_PATH_B);
    a[5] = MEM_PATH_B;
    call(r, "path_link", a);
    break;
  case OP_READLINK:
    a[0] = pick_fd(in);
    a[2] = put_path(in, r->mem, MEM_PATH_A);
    a[1] = MEM_PATH_A;
    a[3] = MEM_IO;
    a[4] = u8(in) * 2;
    a[5] = out;
    call(r, "path_readlink", a);
    break;
  case OP_PATH_FILESTAT_GET:
    a[0] = pick_fd(in);
    a[1] = u8(in) & 1;
    a[3] = put_path(in, r->mem, MEM_PATH_A);
    a[2] = MEM_PATH_A;
    a[4] = out;
    if (call(r, "path_filestat_get", a) == WASI_ESUCCESS) check_filestat(r, out);
    break;
  case OP_PATH_SET_TIMES:
    a[0] = pick_fd(in);
    a[1] = u8(in) & 1;
    a[3] = put_path(in, r->mem, MEM_PATH_A);
    a[2] = MEM_PATH_A;
    a[4] = timestamp(in);
    a[5] = timestamp(in);
    a[6] = u8(in) & 31;
    call(r, "path_filestat_set_times", a);
    break;
  case OP_FD_ALLOCATE:
    a[0] = pick_fd(in);
    a[1] = amount(in);
    a[2] = amount(in) % 65536; /* bounded: tmpfs pages are memory */
    call(r, "fd_allocate", a);
    break;
  case OP_FD_ADVISE:
    a[0] = pick_fd(in);
    a[1] = amount(in);
    a[2] = amount(in);
    a[3] = u8(in) % 8;
    call(r, "fd_advise", a);
    break;
  case OP_PRESTAT:
    a[0] = pick_fd(in);
    a[1] = out;
    if (u8(in) & 1) {
      call(r, "fd_prestat_get", a);
    } else {
      a[2] = u8(in) % 8;
      call(r, "fd_prestat_dir_name", a);
    }
    break;
  case OP_FD_SYNC: a[0] = pick_fd(in); call(r, u8(in) & 1 ? "fd_sync" : "fd_datasync", a); break;
  }
}

int LLVMFuzzerTestOneInput(const uint8_t *data, size_t size) {
  input in = {data, size, 0};
  uint8_t cfg = u8(&in);
  bool readonly = (cfg & 7) == 7;
  int fds_before = count_fds();

  run r;
  memset(&r, 0, sizeof r);
  uint8_t raw[SECRET_LEN / 2];
  if (getrandom(raw, sizeof raw, 0) != (ssize_t)sizeof raw) die("getrandom failed");
  for (size_t i = 0; i < sizeof raw; i++) snprintf(r.secret + 2 * i, 3, "%02x", raw[i]);
  make_tree(r.secret);
  strbuf outside0 = {0}, outside1 = {0}, box0 = {0}, box1 = {0};
  snapshot(&outside0, &r.outside, false);
  if (readonly) snapshot(&box0, NULL, true);

  wasi_preopen pre = {.host_path = g_box, .guest_path = cfg & 8 ? "box" : "/", .readonly = readonly};
  char *argv0 = "fuzz";
  wasi_config wc = {.argc = 1, .argv = &argv0, .npreopens = 1, .preopens = &pre};
  rt_error err;
  rt_error_clear(&err);
  r.w = wasi_new(&wc, &err);
  if (!r.w) die(err.message);
  rt_config rc = {.stack_bytes = 1u << 16}; /* the default 8 MiB stack costs more to clear than a run */
  r.s = engine_store_new(&rc);
  rt_extern imports[NFUNCS];
  if (!r.s || !wasi_link(r.w, r.s, g_module, imports, &err) ||
      !(r.inst = rt_instantiate(r.s, g_module, imports, g_module->nimports, &err)))
    die(err.message);
  rt_extern mem;
  if (!rt_instance_export(r.inst, "memory", 6, &mem)) die("no memory export");
  r.mem = rt_memory_data(mem.of.memory);

  for (int i = 0; i < MAX_CALLS && in.at < in.n; i++) {
    one_call(&in, &r);
    check_fds(&r);
    check_secret(&r);
  }

  rt_store_free(r.s);
  wasi_free(r.w);
  snapshot(&outside1, NULL, false);
  compare(&outside0, &outside1, "the tree outside the box");
  if (readonly) {
    snapshot(&box1, NULL, true);
    compare(&box0, &box1, "the read-only box");
  }
  free(outside0.p);
  free(outside1.p);
  free(box0.p);
  free(box1.p);
  remove_tree();
  int fds_after = count_fds();
  if (fds_after != fds_before) {
    fprintf(stderr, "fuzz_wasi: %d host descriptors before the input, %d after\n", fds_before, fds_after);
    fail();
  }
  return 0;
}
