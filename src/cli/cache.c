/*
 * cache.c — the compile cache of `wrun run --aot`: compiled artifacts kept per
 * user, each authenticated, so that the only native code ever run from the
 * cache is code this user's wrun (this very build of it) wrote there.
 *
 * Location: $WRUN_CACHE_DIR, else $XDG_CACHE_HOME/wrun, else
 * $HOME/.cache/wrun, the last only when HOME is a directory (otherwise there
 * is no cache and nothing is created). Missing directories are made 0700.
 * The cache directory is used only when it is a real directory (not a
 * symbolic link), owned by the effective user and writable by nobody else;
 * otherwise one warning line and the run goes on without the cache. Every
 * file in it is opened relative to that checked descriptor with O_NOFOLLOW,
 * so the directory cannot be swapped after the check.
 *
 * Key: the file `key` in the directory, 32 random bytes made on first use
 * (written to a private O_EXCL temporary file, then hard-linked into place,
 * which fails rather than replaces: concurrent first runs agree on one key).
 * Used only when it is a regular file of the user's, mode 0600, 32 bytes.
 *
 * Entry: aot-BUILD-SHA256-OPTIONS.cwasm, an artifact followed by a 32-byte
 * HMAC-SHA-256 tag under the key over
 *     "wrun-cache-entry-1" NUL | build tag (32 bytes) | entry name NUL | artifact
 * The build tag is the SHA-256 of the GNU build id the linker put in this
 * wrun executable (a hash of the whole linked program; docs/aot.md says why
 * this and not a hash of the sources), so a rebuilt wrun neither finds (name)
 * nor accepts (tag) an older build's code. The name inside the tag binds an
 * entry to its module and options: one copied to another name is refused.
 * A hit loads only the code: the artifact must record the SHA-256 of the
 * module being run (the entry name's hash), so the module section is neither
 * inflated nor decoded again.
 * A refused entry is a miss: the module is compiled and the entry rewritten.
 */
#include <errno.h>
#include <fcntl.h>
#include <link.h>
#include <sodium.h>
#include <stdarg.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <sys/stat.h>
#include <unistd.h>

#include "cli/cache.h"
#include "common/sha256.h"

#define KEY_BYTES crypto_auth_hmacsha256_KEYBYTES
#define TAG_BYTES crypto_auth_hmacsha256_BYTES
#define MIN_ENTRY (128u + TAG_BYTES)     /* an artifact header and a tag */
#define MAX_ENTRY ((size_t)1 << 31)
#define KEY_FILE "key"

static const char domain[] = "wrun-cache-entry-1"; /* the tag's domain separator (with its NUL) */

struct cli_cache {
  int dirfd;                     /* the checked cache directory */
  bool verbose;
  uint8_t key[KEY_BYTES];
  uint8_t build[32];             /* SHA-256 of this executable's build id */
  char dir[4096];
  char name[160];                /* the entry name last computed */
  uint8_t hash[32];              /* SHA-256 of the module it was computed for */
  char path[4096 + 160];         /* dir/name, for messages */
};

/* ---- build id ---------------------------------------------------------------- */

typedef struct build_id {
  uint8_t bytes[64];
  size_t len;
} build_id;

static size_t align_up(size_t n, size_t a) { return (n + a - 1) / a * a; }

/* dl_iterate_phdr callback: the NT_GNU_BUILD_ID note of the first object,
 * which is the executable itself. */
static int find_build_id(struct dl_phdr_info *info, size_t size, void *arg) {
  build_id *id = arg;
  for (int i = 0; i < info->dlpi_phnum && !id->len; i++) {
    const ElfW(Phdr) *ph = &info->dlpi_phdr[i];
    if (ph->p_type != PT_NOTE) continue;
    size_t align = ph->p_align == 8 ? 8 : 4;
    const uint8_t *p = (const uint8_t *)(info->dlpi_addr + ph->p_vaddr);
    size_t left = ph->p_memsz;
    while (left >= sizeof(ElfW(Nhdr))) {
      ElfW(Nhdr) nh;
      memcpy(&nh, p, sizeof nh);
      size_t desc = sizeof nh + align_up(nh.n_namesz, align), next = desc + align_up(nh.n_descsz, align);
      if (next > left) break;
      if (nh.n_type == NT_GNU_BUILD_ID && nh.n_namesz == 4 && memcmp(p + sizeof nh, "GNU", 4) == 0 &&
          nh.n_descsz > 0 && nh.n_descsz <= sizeof id->bytes) {
        memcpy(id->bytes, p + desc, nh.n_descsz);
        id->len = nh.n_descsz;
        break;
      }
      p += next;
      left -= next;
    }
  }
  return 1; /* only the executable's own notes count */
}

/* ---- the directory and the key ---------------------------------------------- */

/* One warning line: the cache is not used this run. */
__attribute__((format(printf, 2, 3))) static void refuse(const cli_cache *c, const char *fmt, ...) {
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "wrun: warning: compile cache %s not used: ", c->dir);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "; running without it\n");
  va_end(ap);
}

/* Under -v: why one entry was not used. */
__attribute__((format(printf, 2, 3))) static void note(const cli_cache *c, const char *fmt, ...) {
  if (!c->verbose) return;
  va_list ap;
  va_start(ap, fmt);
  fprintf(stderr, "wrun: cache entry %s not used: ", c->path);
  vfprintf(stderr, fmt, ap);
  fprintf(stderr, "; compiling\n");
  va_end(ap);
}

static bool cache_location(char *buf, size_t size) {
  const char *v;
  int n;
  if ((v = getenv("WRUN_CACHE_DIR")) && *v) {
    n = snprintf(buf, size, "%s", v);
  } else if ((v = getenv("XDG_CACHE_HOME")) && *v) {
    n = snprintf(buf, size, "%s/wrun", v);
  } else {
    struct stat st;
    if (!(v = getenv("HOME")) || !*v || stat(v, &st) != 0 || !S_ISDIR(st.st_mode)) return false;
    n = snprintf(buf, size, "%s/.cache/wrun", v);
  }
  if (n <= 0 || (size_t)n >= size) return false;
  /* "dir/" would make lstat and open follow a symlink named dir */
  while (n > 1 && buf[n - 1] == '/') buf[--n] = 0;
  return true;
}

/* mkdir -p with mode 0700 for what is missing. *created: the last component
 * was made now (so its mode is ours to set). */
static bool make_dirs(const char *path, bool *created) {
  char buf[4096];
  size_t n = strlen(path);
  if (n >= sizeof buf) return errno = ENAMETOOLONG, false;
  memcpy(buf, path, n + 1);
  for (char *p = buf + 1; *p; p++) {
    if (*p != '/') continue;
    *p = 0;
    (void)mkdir(buf, 0700); /* failures show up when the last one is made or opened */
    *p = '/';
  }
  *created = mkdir(buf, 0700) == 0;
  return *created || errno == EEXIST;
}

static bool open_dir(cli_cache *c) {
  bool created = false;
  struct stat st;
  if (!make_dirs(c->dir, &created)) { /* e.g. a read-only HOME: nothing unsafe, so only -v says so */
    if (c->verbose) refuse(c, "cannot create it (%s)", strerror(errno));
    return false;
  }
  if (lstat(c->dir, &st) == 0 && S_ISLNK(st.st_mode)) return refuse(c, "it is a symbolic link"), false;
  c->dirfd = open(c->dir, O_RDONLY | O_DIRECTORY | O_NOFOLLOW | O_CLOEXEC);
  if (c->dirfd < 0) return refuse(c, "cannot open it (%s)", strerror(errno)), false;
  if (created) (void)fchmod(c->dirfd, 0700); /* whatever the umask took away or left */
  if (fstat(c->dirfd, &st) != 0) return refuse(c, "cannot stat it (%s)", strerror(errno)), false;
  if (st.st_uid != geteuid())
    return refuse(c, "it is owned by uid %u, not by you (uid %u)", (unsigned)st.st_uid, (unsigned)geteuid()), false;
  if (st.st_mode & (S_IWGRP | S_IWOTH))
    return refuse(c, "it is writable by others (mode %03o; chmod 700 it)", (unsigned)(st.st_mode & 0777)), false;
  return true;
}

static bool read_all(int fd, uint8_t *p, size_t n) {
  while (n) {
    ssize_t r = read(fd, p, n);
    if (r < 0 && errno == EINTR) continue;
    if (r <= 0) return false;
    p += r;
    n -= (size_t)r;
  }
  return true;
}

static bool write_all(int fd, const uint8_t *p, size_t n) {
  while (n) {
    ssize_t w = write(fd, p, n);
    if (w < 0 && errno == EINTR) continue;
    if (w <= 0) return false;
    p += w;
    n -= (size_t)w;
  }
  return true;
}

/* Reads the key from an open `key` after checking whose it is. */
static bool read_key(cli_cache *c, int fd) {
  struct stat st;
  if (fstat(fd, &st) != 0) return refuse(c, "cannot stat its key (%s)", strerror(errno)), false;
  if (!S_ISREG(st.st_mode)) return refuse(c, "its key is not a regular file"), false;
  if (st.st_uid != geteuid())
    return refuse(c, "its key is owned by uid %u, not by you (uid %u)", (unsigned)st.st_uid, (unsigned)geteuid()),
           false;
  if ((st.st_mode & 07777) != 0600)
    return refuse(c, "its key has mode %04o, not 0600", (unsigned)(st.st_mode & 07777)), false;
  if (st.st_size != KEY_BYTES || !read_all(fd, c->key, KEY_BYTES))
    return refuse(c, "its key is not %u bytes (delete it to make a new one)", (unsigned)KEY_BYTES), false;
  return true;
}

/* First use: a new random key, in place atomically. True also when another
 * process put its key there first (link fails with EEXIST): the caller
 * reads whichever key is there. */
static bool create_key(cli_cache *c) {
  char tmp[64];
  snprintf(tmp, sizeof tmp, KEY_FILE ".%ld.tmp", (long)getpid());
  (void)unlinkat(c->dirfd, tmp, 0); /* left by a crashed run that had our pid */
  int fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  if (fd < 0) return refuse(c, "cannot create its key (%s)", strerror(errno)), false;
  uint8_t k[KEY_BYTES];
  crypto_auth_hmacsha256_keygen(k);
  bool ok = fchmod(fd, 0600) == 0 && write_all(fd, k, sizeof k) && fsync(fd) == 0;
  sodium_memzero(k, sizeof k);
  ok = close(fd) == 0 && ok;
  int err = 0;
  if (ok && linkat(c->dirfd, tmp, c->dirfd, KEY_FILE, 0) != 0 && errno != EEXIST) err = errno, ok = false;
  (void)unlinkat(c->dirfd, tmp, 0);
  if (!ok) refuse(c, "cannot create its key (%s)", strerror(err ? err : EIO));
  return ok;
}

static bool load_key(cli_cache *c) {
  for (int attempt = 0; attempt < 2; attempt++) {
    int fd = openat(c->dirfd, KEY_FILE, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
    if (fd >= 0) {
      bool ok = read_key(c, fd);
      close(fd);
      return ok;
    }
    if (errno != ENOENT)
      return refuse(c, "cannot open its key (%s)", errno == ELOOP ? "a symbolic link" : strerror(errno)), false;
    if (!create_key(c)) return false;
  }
  return refuse(c, "its key vanished while being created"), false;
}

cli_cache *cli_cache_open(bool verbose) {
  cli_cache *c = calloc(1, sizeof *c);
  if (!c) return NULL;
  c->dirfd = -1;
  c->verbose = verbose;
  if (!cache_location(c->dir, sizeof c->dir)) { /* no HOME and nothing set: no cache, quietly */
    free(c);
    return NULL;
  }
  build_id id = {{0}, 0};
  dl_iterate_phdr(find_build_id, &id);
  bool ok;
  if (!id.len) {
    ok = false;
    refuse(c, "this wrun executable has no build id to tell its code from another build's");
  } else if (sodium_init() < 0) {
    ok = false;
    refuse(c, "libsodium failed to initialise");
  } else {
    rt_sha256(id.bytes, id.len, c->build);
    ok = open_dir(c) && load_key(c);
  }
  if (!ok) {
    cli_cache_close(c);
    return NULL;
  }
  return c;
}

void cli_cache_close(cli_cache *c) {
  if (!c) return;
  if (c->dirfd >= 0) close(c->dirfd);
  sodium_memzero(c->key, sizeof c->key);
  free(c);
}

/* ---- entries ------------------------------------------------------------------ */

const char *cli_cache_last_path(const cli_cache *c) { return c->path; }

/* The name of an entry's hint: an empty file beside it whose name a cheap
 * hash (64-bit FNV-1a over words) of the module gives, so that a tiered run can tell a
 * miss without SHA-256 over the module (about 60 instructions a byte here:
 * a quarter of a hello run). A hint only says an entry may be there; the
 * entry itself is still found by its SHA-256 name and authenticated. */
static void hint_name(const wm_module *m, uint32_t options, char *buf, size_t size) {
  uint64_t h = UINT64_C(14695981039346656037), w;
  size_t i = 0;
  for (; i + 8 <= m->size; i += 8) { /* a word at a time: FNV-1a's step over 64-bit words */
    memcpy(&w, m->bytes + i, 8);
    h = (h ^ w) * UINT64_C(1099511628211);
  }
  for (; i < m->size; i++) h = (h ^ m->bytes[i]) * UINT64_C(1099511628211);
  snprintf(buf, size, "hint-%016llx-%zu-%u", (unsigned long long)h, m->size, options);
}

bool cli_cache_may_have(const wm_module *m, uint32_t options) {
  char dir[sizeof ((cli_cache *)0)->dir], name[96], path[sizeof dir + sizeof name + 1];
  if (!cache_location(dir, sizeof dir)) return false;
  hint_name(m, options, name, sizeof name);
  snprintf(path, sizeof path, "%s/%s", dir, name);
  return access(path, F_OK) == 0;
}

const char *cli_cache_entry_path(cli_cache *c, const wm_module *m, uint32_t options) {
  uint8_t *h = c->hash;
  /* the same SHA-256 as rt_sha256 (artifacts record that one), from
   * libsodium, which is already open here: 310 MB/s against 130 MB/s on the
   * development machine, which matters for a large module's every cache hit */
  crypto_hash_sha256(h, m->bytes, m->size);
  char hex[65], build[17];
  for (int i = 0; i < 32; i++) snprintf(hex + 2 * i, 3, "%02x", h[i]);
  for (int i = 0; i < 8; i++) snprintf(build + 2 * i, 3, "%02x", c->build[i]);
  snprintf(c->name, sizeof c->name, "aot-%s-%s-%u.cwasm", build, hex, options);
  snprintf(c->path, sizeof c->path, "%s/%s", c->dir, c->name);
  return c->path;
}

/* Writes what the tag covers before the artifact into out (if not NULL);
 * returns its length. */
static size_t tag_prefix(const cli_cache *c, uint8_t *out) {
  size_t nlen = strlen(c->name) + 1;
  if (out) {
    memcpy(out, domain, sizeof domain);
    memcpy(out + sizeof domain, c->build, sizeof c->build);
    memcpy(out + sizeof domain + sizeof c->build, c->name, nlen);
  }
  return sizeof domain + sizeof c->build + nlen;
}

aot_image *cli_cache_load(cli_cache *c, const wm_module *m, uint32_t options) {
  cli_cache_entry_path(c, m, options);
  int fd = openat(c->dirfd, c->name, O_RDONLY | O_NOFOLLOW | O_NONBLOCK | O_CLOEXEC);
  if (fd < 0) {
    if (errno != ENOENT) note(c, "%s", errno == ELOOP ? "a symbolic link" : strerror(errno));
    return NULL;
  }
  struct stat st;
  const char *why = NULL;
  if (fstat(fd, &st) != 0) why = strerror(errno);
  else if (!S_ISREG(st.st_mode)) why = "not a regular file";
  else if (st.st_uid != geteuid()) why = "owned by another user";
  else if (st.st_size < (off_t)MIN_ENTRY || (uint64_t)st.st_size > MAX_ENTRY) why = "too small or too large";
  uint8_t *buf = NULL;
  size_t plen = tag_prefix(c, NULL), flen = why ? 0 : (size_t)st.st_size;
  if (!why && !(buf = malloc(plen + flen))) why = "out of memory";
  if (!why && !read_all(fd, buf + plen, flen)) why = "cannot read it";
  close(fd);
  if (why) {
    note(c, "%s", why);
    free(buf);
    return NULL;
  }
  tag_prefix(c, buf);
  size_t alen = flen - TAG_BYTES;
  /* Nothing of the entry is parsed before its tag is checked (constant time). */
  if (crypto_auth_hmacsha256_verify(buf + plen + alen, buf, plen + alen, c->key) != 0) {
    note(c, "it fails authentication (altered, or written under another key or by another build of wrun)");
    free(buf);
    return NULL;
  }
  /* Authenticated, so written by this build for a module with the recorded
   * hash: only the code is loaded (the module it was compiled from is `m`
   * when the recorded hash is m's; nothing is inflated, hashed or decoded
   * again). */
  rt_error err;
  rt_error_clear(&err);
  aot_image *img = aot_artifact_load_image(buf + plen, alen, c->hash, m->nfuncs - m->nimported_funcs, &err);
  free(buf);
  if (!img) note(c, "%s", err.message);
  return img;
}

bool cli_cache_store(cli_cache *c, const wm_module *m, const aot_image *img, uint32_t options) {
  cli_cache_entry_path(c, m, options);
  rt_error err;
  rt_error_clear(&err);
  size_t alen = 0;
  uint8_t *art = aot_artifact_write(m, img, &alen, &err);
  if (!art) return false;
  size_t plen = tag_prefix(c, NULL);
  uint8_t *buf = malloc(plen + alen + TAG_BYTES);
  if (!buf) {
    free(art);
    return false;
  }
  tag_prefix(c, buf);
  memcpy(buf + plen, art, alen);
  free(art);
  crypto_auth_hmacsha256(buf + plen + alen, buf, plen + alen, c->key);
  char tmp[sizeof c->name + 32];
  snprintf(tmp, sizeof tmp, "%s.%ld.tmp", c->name, (long)getpid());
  (void)unlinkat(c->dirfd, tmp, 0);
  int fd = openat(c->dirfd, tmp, O_WRONLY | O_CREAT | O_EXCL | O_NOFOLLOW | O_CLOEXEC, 0600);
  bool ok = fd >= 0 && write_all(fd, buf + plen, alen + TAG_BYTES);
  if (fd >= 0) ok = close(fd) == 0 && ok;
  ok = ok && renameat(c->dirfd, tmp, c->dirfd, c->name) == 0;
  if (!ok && fd >= 0) (void)unlinkat(c->dirfd, tmp, 0);
  if (ok) { /* the hint cli_cache_may_have looks for (a failure only costs the next run a compile) */
    char hint[96];
    hint_name(m, options, hint, sizeof hint);
    int hfd = openat(c->dirfd, hint, O_WRONLY | O_CREAT | O_NOFOLLOW | O_CLOEXEC, 0600);
    if (hfd >= 0) close(hfd);
  }
  free(buf);
  return ok;
}
