/* sandbox.c — a guest that attacks the preopen it is given (`--dir box::/`,
 * fd 3) through every path call, and checks that each attack is refused with
 * the errno wasmtime would give, while symlinks that stay inside work.
 * sandbox.py lays out box/ and a canary tree beside it, runs this guest with
 * and without openat2, and checks on the host that nothing outside box/
 * changed. Prints each failed check and finally "sandbox: all N checks
 * passed". The layout it expects (made by sandbox.py):
 *
 *   data/file.txt "inside\n"      sub/                      in_link -> data/file.txt
 *   data_link -> data              sub/up_in -> ../data      chain1 -> chain2 -> sub/up_in/file.txt
 *   secret_abs -> OUT/secret.txt   secret_rel -> ../outside/secret.txt
 *   victim_rel -> ../outside/victim.txt                      newfile_rel -> ../outside/created.txt
 *   out -> ../outside              out_abs -> OUT            sub/deep_out -> ../../outside
 *   dotdot -> ..                   loop1 <-> loop2, self -> self
 *   c00 -> c01 -> ... -> c45 -> data/file.txt (46 links)
 * where OUT is the absolute host path of the canary directory `outside`. */
#include <stdio.h>
#include <string.h>
#include <wasi/api.h>

#define ROOT 3
#define FOLLOW __WASI_LOOKUPFLAGS_SYMLINK_FOLLOW
/* What a refusal by the sandbox is: preview 1's NOTCAPABLE. Built with
 * -DSANDBOX_ADAPTED for the WASI 0.2 run (wrapped by jco's preview-1
 * adapter), where the host's `not-permitted` reaches the guest as PERM (as
 * under wasmtime), and the socket calls, which the adapter does not
 * implement, are left out. */
#ifdef SANDBOX_ADAPTED
#define NOTCAP __WASI_ERRNO_PERM
#else
#define NOTCAP __WASI_ERRNO_NOTCAPABLE
#endif
#define RD (__WASI_RIGHTS_FD_READ | __WASI_RIGHTS_FD_SEEK | __WASI_RIGHTS_FD_FILESTAT_GET)
#define RW (RD | __WASI_RIGHTS_FD_WRITE | __WASI_RIGHTS_FD_FILESTAT_SET_SIZE)

static int checks, failures;

/* one check: `got` must equal `want` */
static void expect(const char *what, int got, int want) {
  checks++;
  if (got != want) {
    failures++;
    printf("FAIL %s: errno %d, expected %d\n", what, got, want);
  }
}

static int open_as(const char *path, int follow, int oflags, __wasi_rights_t rights, __wasi_fd_t *fd) {
  return __wasi_path_open(ROOT, follow ? FOLLOW : 0, path, (__wasi_oflags_t)oflags, rights, 0, 0, fd);
}

/* open, read up to 63 bytes into buf, close; the errno of the open */
static int read_file(const char *path, int follow, char *buf) {
  __wasi_fd_t fd;
  buf[0] = 0;
  int e = open_as(path, follow, 0, RD, &fd);
  if (e) return e;
  __wasi_iovec_t io = {(uint8_t *)buf, 63};
  __wasi_size_t n = 0;
  if (__wasi_fd_read(fd, &io, 1, &n) == 0) buf[n] = 0;
  (void)__wasi_fd_close(fd);
  return 0;
}

static int opened(const char *path, int follow, int oflags, __wasi_rights_t rights) {
  __wasi_fd_t fd;
  int e = open_as(path, follow, oflags, rights, &fd);
  if (!e) (void)__wasi_fd_close(fd);
  return e;
}

static int stat_of(const char *path, int follow, __wasi_filestat_t *st) {
  return __wasi_path_filestat_get(ROOT, follow ? FOLLOW : 0, path, st);
}

static int set_mtime(const char *path, int follow) {
  return __wasi_path_filestat_set_times(ROOT, follow ? FOLLOW : 0, path, 0, 1000000000ull,
                                        __WASI_FSTFLAGS_MTIM);
}

static int readlink_of(const char *path, char *buf) {
  __wasi_size_t n = 0;
  int e = __wasi_path_readlink(ROOT, path, (uint8_t *)buf, 63, &n);
  buf[e ? 0 : n] = 0;
  return e;
}

/* Reading, creating and truncating through symlinks that lead out. */
static void escapes_by_symlink(void) {
  char buf[64];
  expect("A1 read through an absolute symlink to a host file", read_file("secret_abs", 1, buf), NOTCAP);
  expect("A1 read through a relative symlink climbing out", read_file("secret_rel", 1, buf), NOTCAP);
  expect("A1 the same without follow is ELOOP", read_file("secret_rel", 0, buf), __WASI_ERRNO_LOOP);
  expect("A2 O_CREAT through a dangling symlink pointing out",
         opened("newfile_rel", 1, __WASI_OFLAGS_CREAT, RW), NOTCAP);
  expect("A2 O_TRUNC through a symlink pointing out", opened("victim_rel", 1, __WASI_OFLAGS_TRUNC, RW), NOTCAP);
  expect("A2 O_CREAT|O_TRUNC through a symlink pointing out",
         opened("victim_rel", 1, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, RW), NOTCAP);
  expect("A2 O_CREAT|O_TRUNC without follow on that symlink is ELOOP",
         opened("victim_rel", 0, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_TRUNC, RW), __WASI_ERRNO_LOOP);
  expect("A2 O_CREAT|O_EXCL on that symlink is EEXIST",
         opened("victim_rel", 1, __WASI_OFLAGS_CREAT | __WASI_OFLAGS_EXCL, RW), __WASI_ERRNO_EXIST);
  expect("A3 symlink in the middle of a path (relative)", read_file("out/secret.txt", 0, buf), NOTCAP);
  expect("A3 symlink in the middle of a path (absolute)", read_file("out_abs/secret.txt", 0, buf), NOTCAP);
  expect("A3 symlink in the middle, from a subdirectory", read_file("sub/deep_out/secret.txt", 0, buf), NOTCAP);
  expect("A3 O_CREAT through a symlinked directory", opened("out/created.txt", 0, __WASI_OFLAGS_CREAT, RW), NOTCAP);
  __wasi_filestat_t st;
  expect("A3 filestat through a symlinked directory", stat_of("out/secret.txt", 0, &st), NOTCAP);
  expect("A3 no existence oracle: a missing name outside", stat_of("out/no-such-file", 0, &st), NOTCAP);
  expect("A3 filestat with follow on a symlink out", stat_of("secret_abs", 1, &st), NOTCAP);
  expect("A3 filestat without follow sees the link itself", stat_of("secret_abs", 0, &st), 0);
  expect("A3 ... which is a symlink", st.filetype, __WASI_FILETYPE_SYMBOLIC_LINK);
}

/* Every name operation through a symlinked parent or last component. */
static void name_ops_by_symlink(void) {
  char buf[64];
  expect("A4 unlink through a symlinked parent", __wasi_path_unlink_file(ROOT, "out/victim.txt"), NOTCAP);
  expect("A4 unlink through an absolute symlinked parent", __wasi_path_unlink_file(ROOT, "out_abs/victim.txt"),
         NOTCAP);
  expect("A4 mkdir through a symlinked parent", __wasi_path_create_directory(ROOT, "out/newdir"), NOTCAP);
  expect("A4 rmdir through a symlinked parent", __wasi_path_remove_directory(ROOT, "out/dir"), NOTCAP);
  expect("A4 rename out of the box", __wasi_path_rename(ROOT, "data/file.txt", ROOT, "out/planted"), NOTCAP);
  expect("A4 rename into the box", __wasi_path_rename(ROOT, "out/victim.txt", ROOT, "stolen"), NOTCAP);
  expect("A4 symlink through a symlinked parent", __wasi_path_symlink("x", ROOT, "out/planted_link"), NOTCAP);
  expect("A4 hard link of an outside file", __wasi_path_link(ROOT, 0, "out/secret.txt", ROOT, "stolen"), NOTCAP);
  expect("A4 hard link into the outside", __wasi_path_link(ROOT, 0, "data/file.txt", ROOT, "out/planted"), NOTCAP);
  expect("A4 hard link with follow of a symlink out", __wasi_path_link(ROOT, FOLLOW, "secret_rel", ROOT, "stolen"),
         NOTCAP);
  expect("A4 set-times through a symlinked parent", set_mtime("out/victim.txt", 0), NOTCAP);
  expect("A4 readlink through a symlinked parent", readlink_of("out/lnk", buf), NOTCAP);
  expect("A5 set-times with follow on a symlink out (absolute)", set_mtime("secret_abs", 1), NOTCAP);
  expect("A5 set-times with follow on a symlink out (relative)", set_mtime("victim_rel", 1), NOTCAP);
  /* a guest cannot make a symlink that points out, but it can make one that
   * does from somewhere else and move it: following it must still be refused */
  expect("A5 guest symlink pointing out is refused", __wasi_path_symlink("../outside/victim.txt", ROOT, "mine"),
         NOTCAP);
  expect("A5 mkdir sub/a", __wasi_path_create_directory(ROOT, "sub/a"), 0);
  expect("A5 guest symlink that stays inside from sub/a",
         __wasi_path_symlink("../../outside/victim.txt", ROOT, "sub/a/mine"), 0);
  expect("A5 ... moved to the top, where it points out", __wasi_path_rename(ROOT, "sub/a/mine", ROOT, "mine"), 0);
  expect("A5 set-times with follow on the guest's own symlink", set_mtime("mine", 1), NOTCAP);
  expect("A5 open with follow on the guest's own symlink", opened("mine", 1, __WASI_OFLAGS_TRUNC, RW), NOTCAP);
  expect("A5 set-times without follow changes the link itself", set_mtime("mine", 0), 0);
  expect("A5 unlink the guest's symlink (not its target)", __wasi_path_unlink_file(ROOT, "mine"), 0);
  expect("A5 rmdir sub/a", __wasi_path_remove_directory(ROOT, "sub/a"), 0);
}

/* `..`, absolute paths and absolute symlink targets. */
static void dotdot_and_absolute(void) {
  char buf[64];
  __wasi_filestat_t st;
  expect("A6 open ..", opened("..", 0, __WASI_OFLAGS_DIRECTORY, 0), NOTCAP);
  expect("A6 ../outside/secret.txt", read_file("../outside/secret.txt", 0, buf), NOTCAP);
  expect("A6 data/../../outside/secret.txt", read_file("data/../../outside/secret.txt", 0, buf), NOTCAP);
  expect("A6 .. out and back in", read_file("../box/data/file.txt", 0, buf), NOTCAP);
  expect("A6 filestat ..", stat_of("..", 0, &st), NOTCAP);
  expect("A6 mkdir ../x", __wasi_path_create_directory(ROOT, "../escape"), NOTCAP);
  expect("A6 unlink ../outside/victim.txt", __wasi_path_unlink_file(ROOT, "../outside/victim.txt"), NOTCAP);
  expect("A6 rename to ../escape", __wasi_path_rename(ROOT, "data/file.txt", ROOT, "../escape"), NOTCAP);
  expect("A6 symlink created at ../x", __wasi_path_symlink("data", ROOT, "../escape"), NOTCAP);
  expect("A6 symlink to .. through a symlink", read_file("dotdot/outside/secret.txt", 0, buf), NOTCAP);
  expect("A6 set-times on a symlink to ..", set_mtime("dotdot", 1), NOTCAP);
  expect("A7 absolute path", read_file("/etc/passwd", 0, buf), NOTCAP);
  expect("A7 absolute symlink target is refused at creation", __wasi_path_symlink("/etc/passwd", ROOT, "abs"), NOTCAP);
  expect("A7 relative target climbing out is refused at creation", __wasi_path_symlink("..", ROOT, "up"), NOTCAP);
  expect("A7 ... also when it climbs out in the middle", __wasi_path_symlink("data/../../box", ROOT, "up"), NOTCAP);
}

/* Loops and the bound on expansions, which both resolvers share (40). */
static void loops(void) {
  char buf[64];
  __wasi_filestat_t st;
  expect("A8 loop1 <-> loop2", read_file("loop1", 1, buf), __WASI_ERRNO_LOOP);
  expect("A8 self -> self", read_file("self", 1, buf), __WASI_ERRNO_LOOP);
  expect("A8 a loop in the middle of a path", read_file("loop1/x", 0, buf), __WASI_ERRNO_LOOP);
  expect("A8 filestat with follow on a loop", stat_of("loop2", 1, &st), __WASI_ERRNO_LOOP);
  expect("A8 set-times with follow on a loop", set_mtime("self", 1), __WASI_ERRNO_LOOP);
  expect("A8 filestat without follow on a loop", stat_of("loop1", 0, &st), 0);
  expect("A8 41 links in a row are too many", read_file("c05", 1, buf), __WASI_ERRNO_LOOP);
  expect("A8 40 links in a row resolve", read_file("c06", 1, buf), 0);
  expect("A8 ... to the file", strcmp(buf, "inside\n"), 0);
}

/* Symlinks that stay inside work, including chains and `..` within the box. */
static void inside_links_work(void) {
  char buf[64];
  __wasi_filestat_t st, st2;
  expect("A9 read through a symlink inside", read_file("in_link", 1, buf), 0);
  expect("A9 ... the file's content", strcmp(buf, "inside\n"), 0);
  expect("A9 a chain with .. inside", read_file("chain1", 1, buf) || strcmp(buf, "inside\n"), 0);
  expect("A9 a symlinked directory in the middle", read_file("data_link/file.txt", 0, buf), 0);
  expect("A9 .. through a symlink back inside", read_file("sub/up_in/../data/file.txt", 0, buf), 0);
  expect("A9 .. after a symlinked directory is logical", read_file("data_link/../data/file.txt", 0, buf), 0);
  expect("A9 create through a symlinked directory", opened("data_link/new.txt", 0, __WASI_OFLAGS_CREAT, RW), 0);
  expect("A9 ... lands in data/", stat_of("data/new.txt", 0, &st), 0);
  expect("A9 set-times with follow reaches the target", set_mtime("chain1", 1), 0);
  expect("A9 ... whose mtime is now 1 s", stat_of("data/file.txt", 0, &st) || st.mtim != 1000000000ull, 0);
  expect("A9 filestat with follow", stat_of("in_link", 1, &st2), 0);
  expect("A9 ... is the file", st2.ino == st.ino && st2.filetype == __WASI_FILETYPE_REGULAR_FILE, 1);
  expect("A9 hard link with follow links the target", __wasi_path_link(ROOT, FOLLOW, "in_link", ROOT, "hard"), 0);
  expect("A9 ... nlink 2", stat_of("data/file.txt", 0, &st) || st.nlink != 2, 0);
  expect("A9 hard link without follow links the symlink", __wasi_path_link(ROOT, 0, "in_link", ROOT, "hard2"), 0);
  expect("A9 ... which is a symlink", stat_of("hard2", 0, &st) || st.filetype != __WASI_FILETYPE_SYMBOLIC_LINK, 0);
  expect("A9 readlink", readlink_of("in_link", buf) || strcmp(buf, "data/file.txt"), 0);
  expect("A9 rename through a symlinked directory", __wasi_path_rename(ROOT, "data_link/new.txt", ROOT, "sub/new"), 0);
  expect("A9 mkdir and rmdir through a symlinked directory",
         __wasi_path_create_directory(ROOT, "data_link/d") || __wasi_path_remove_directory(ROOT, "data/d"), 0);
  expect("A9 symlink with .. that stays inside", __wasi_path_symlink("../data/file.txt", ROOT, "sub/rel"), 0);
  expect("A9 ... reads", read_file("sub/rel", 1, buf), 0);
  expect("A9 clean up", __wasi_path_unlink_file(ROOT, "sub/rel") || __wasi_path_unlink_file(ROOT, "sub/new") ||
                            __wasi_path_unlink_file(ROOT, "hard") || __wasi_path_unlink_file(ROOT, "hard2"), 0);
}

/* POSIX pathname rules: a trailing slash names a directory. */
static void trailing_slashes(void) {
  char buf[64];
  __wasi_filestat_t st;
  expect("B1 link to x/ (missing)", __wasi_path_link(ROOT, 0, "data/file.txt", ROOT, "x/"), __WASI_ERRNO_NOENT);
  expect("B1 symlink to x/ (missing)", __wasi_path_symlink("data/file.txt", ROOT, "x/"), __WASI_ERRNO_NOENT);
  expect("B1 link to data/ (exists)", __wasi_path_link(ROOT, 0, "data/file.txt", ROOT, "data/"), __WASI_ERRNO_EXIST);
  expect("B1 symlink to in_link/ (exists)", __wasi_path_symlink("data", ROOT, "in_link/"), __WASI_ERRNO_EXIST);
  expect("B1 link from file/", __wasi_path_link(ROOT, 0, "data/file.txt/", ROOT, "y"), __WASI_ERRNO_NOTDIR);
  expect("B1 link from dir/", __wasi_path_link(ROOT, 0, "data/", ROOT, "y"), __WASI_ERRNO_PERM);
  expect("B2 unlink file/", __wasi_path_unlink_file(ROOT, "data/file.txt/"), __WASI_ERRNO_NOTDIR);
  expect("B2 unlink dir/", __wasi_path_unlink_file(ROOT, "data/"), __WASI_ERRNO_ISDIR);
  expect("B2 unlink symlink-to-dir/", __wasi_path_unlink_file(ROOT, "data_link/"), __WASI_ERRNO_NOTDIR);
  expect("B2 unlink missing/", __wasi_path_unlink_file(ROOT, "missing/"), __WASI_ERRNO_NOENT);
  expect("B2 rmdir file/", __wasi_path_remove_directory(ROOT, "data/file.txt/"), __WASI_ERRNO_NOTDIR);
  expect("B3 readlink link-to-file/", readlink_of("in_link/", buf), __WASI_ERRNO_NOTDIR);
  expect("B3 readlink link-to-dir/", readlink_of("data_link/", buf), __WASI_ERRNO_INVAL);
  expect("B3 readlink file/", readlink_of("data/file.txt/", buf), __WASI_ERRNO_NOTDIR);
  expect("B3 readlink missing/", readlink_of("missing/", buf), __WASI_ERRNO_NOENT);
  expect("B4 rename file/ to y", __wasi_path_rename(ROOT, "data/file.txt/", ROOT, "y"), __WASI_ERRNO_NOTDIR);
  expect("B4 rename file to y/", __wasi_path_rename(ROOT, "data/file.txt", ROOT, "y/"), __WASI_ERRNO_NOTDIR);
  expect("B4 rename missing/ to y", __wasi_path_rename(ROOT, "missing/", ROOT, "y"), __WASI_ERRNO_NOENT);
  expect("B4 rename symlink-to-dir/ to y", __wasi_path_rename(ROOT, "data_link/", ROOT, "y"), __WASI_ERRNO_NOTDIR);
  expect("B4 rename dir/ to y/ works", __wasi_path_create_directory(ROOT, "d1/") ||
                                           __wasi_path_rename(ROOT, "d1/", ROOT, "d2/") ||
                                           __wasi_path_remove_directory(ROOT, "d2/"), 0);
  expect("B5 set-times file/", set_mtime("data/file.txt/", 0), __WASI_ERRNO_NOTDIR);
  expect("B5 set-times missing/", set_mtime("missing/", 0), __WASI_ERRNO_NOENT);
  expect("B5 set-times symlink-to-dir/ reaches the dir", set_mtime("data_link/", 0), 0);
  expect("B5 ... data's mtime", stat_of("data", 0, &st) || st.mtim != 1000000000ull, 0);
  expect("B6 filestat file/", stat_of("data/file.txt/", 0, &st), __WASI_ERRNO_NOTDIR);
  expect("B6 filestat symlink-to-dir/ without follow is the dir", stat_of("data_link/", 0, &st), 0);
  expect("B6 ... a directory", st.filetype, __WASI_FILETYPE_DIRECTORY);
  expect("B6 open file/", opened("data/file.txt/", 0, 0, RD), __WASI_ERRNO_NOTDIR);
  expect("B6 open symlink-to-file/", opened("in_link/", 1, 0, RD), __WASI_ERRNO_NOTDIR);
  expect("B6 create x/", opened("x/", 0, __WASI_OFLAGS_CREAT, RW), __WASI_ERRNO_ISDIR);
  expect("B6 open symlink-to-dir/ without follow", opened("data_link/", 0, __WASI_OFLAGS_DIRECTORY, 0), 0);
}

/* Socket calls on descriptors that are not sockets: NOTSOCK, before rights. */
static void not_sockets(void) {
  char b[4];
  __wasi_iovec_t io = {(uint8_t *)b, sizeof b};
  __wasi_ciovec_t cio = {(const uint8_t *)b, sizeof b};
  __wasi_size_t n;
  __wasi_roflags_t ro;
  __wasi_fd_t fd;
  expect("C1 sock_recv on stdin", __wasi_sock_recv(0, &io, 1, 0, &n, &ro), __WASI_ERRNO_NOTSOCK);
  expect("C1 sock_send on stdout", __wasi_sock_send(1, &cio, 1, 0, &n), __WASI_ERRNO_NOTSOCK);
  expect("C1 sock_shutdown on a directory", __wasi_sock_shutdown(ROOT, __WASI_SDFLAGS_WR), __WASI_ERRNO_NOTSOCK);
  expect("C1 sock_accept on a directory", __wasi_sock_accept(ROOT, 0, &fd), __WASI_ERRNO_NOTSOCK);
  expect("C1 open a file without read rights", open_as("data/file.txt", 0, 0, __WASI_RIGHTS_FD_SEEK, &fd), 0);
  expect("C1 sock_recv on it is NOTSOCK, not NOTCAPABLE", __wasi_sock_recv(fd, &io, 1, 0, &n, &ro),
         __WASI_ERRNO_NOTSOCK);
  expect("C1 sock_accept on it too", __wasi_sock_accept(fd, 0, &fd), __WASI_ERRNO_NOTSOCK);
  (void)__wasi_fd_close(fd);
  expect("C1 a closed descriptor is BADF", __wasi_sock_send(99, &cio, 1, 0, &n), __WASI_ERRNO_BADF);
}

/* Race mode (argument "race"): sandbox.py keeps swapping, with
 * renameat2(RENAME_EXCHANGE), box/flip (a directory holding f.txt) with a
 * symlink to ../outside, box/flink (a file) with a symlink to
 * ../outside/f.txt, and box/m1/m2/m3 with box/m3, while this loop goes through
 * them. Whatever the interleaving, nothing may reach outside: the host
 * compares the canary tree afterwards, and the guest must never read it. */
static int race_ok(const char *what, int e) {
  checks++;
  if (e == 0 || e == NOTCAP || e == __WASI_ERRNO_NOENT || e == __WASI_ERRNO_NOTDIR || e == __WASI_ERRNO_LOOP ||
      e == __WASI_ERRNO_EXIST)
    return 1;
  checks--; /* expect counts it */
  expect(what, e, 0);
  return 0;
}

static int race(void) {
  char buf[64];
  int reached = 0, refused = 0;
  for (int i = 0; i < 3000; i++) {
    int e = read_file("flip/f.txt", 1, buf);
    race_ok("race: read flip/f.txt", e);
    if (e == 0 && strncmp(buf, "SECRET", 6) == 0) expect("race: flip/f.txt read the host's file", 1, 0);
    e ? refused++ : reached++;
    e = read_file("flink", 1, buf);
    race_ok("race: read flink", e);
    if (e == 0 && strncmp(buf, "SECRET", 6) == 0) expect("race: flink read the host's file", 1, 0);
    race_ok("race: set-times flip/f.txt", set_mtime("flip/f.txt", 1));
    race_ok("race: set-times flink", set_mtime("flink", 1));
    race_ok("race: truncate flink", opened("flink", 1, __WASI_OFLAGS_TRUNC, RW));
    if (race_ok("race: create flip/new.txt", opened("flip/new.txt", 1, __WASI_OFLAGS_CREAT, RW)))
      (void)__wasi_path_unlink_file(ROOT, "flip/new.txt");
    if (race_ok("race: hard link flink", __wasi_path_link(ROOT, FOLLOW, "flink", ROOT, "hl")))
      (void)__wasi_path_unlink_file(ROOT, "hl");
    race_ok("race: mkdir flip/d", __wasi_path_create_directory(ROOT, "flip/d"));
    (void)__wasi_path_remove_directory(ROOT, "flip/d");
    e = read_file("m1/m2/m3/../../outside/f.txt", 0, buf); /* m1/outside does not exist: never 0 */
    if (e == 0) expect("race: .. climbed out while m3 moved", 0, NOTCAP);
    else race_ok("race: m1/m2/m3/../../outside/f.txt", e);
  }
  if (failures == 0) printf("sandbox race: all %d checks passed\n", checks);
  fprintf(stderr, "race: flip/f.txt reached %d times, refused %d times\n", reached, refused);
  return failures != 0;
}

int main(int argc, char **argv) {
  if (argc > 1 && strcmp(argv[1], "race") == 0) return race();
  escapes_by_symlink();
  name_ops_by_symlink();
  dotdot_and_absolute();
  loops();
  inside_links_work();
  trailing_slashes();
#ifndef SANDBOX_ADAPTED
  not_sockets();
#endif
  if (failures == 0) printf("sandbox: all %d checks passed\n", checks);
  return failures != 0;
}
