/*
 * oci.c — `wrun oci build APP.wasm -o IMAGE.tar [--name REF] [--env K=V]...
 * [--gzip]`: an OCI image (an image layout in a tar: oci-layout, index.json,
 * blobs/sha256/...) holding the module or component as /APP.wasm in one layer,
 * its entrypoint set to it, which `ctr image import` takes and
 * containerd-shim-wrun-v2 runs. Made without docker or a registry, so tests
 * and users can build images offline. Digests are libsodium's SHA-256; the
 * layer is a plain tar, or gzip (zlib) with --gzip.
 */
#include <errno.h>
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <time.h>

#include <sodium.h>
#include <zlib.h>

#include "cli/cli.h"

typedef struct buf {
  uint8_t *p;
  size_t len, cap;
  bool oom;
} buf;

static void put(buf *b, const void *data, size_t n) {
  if (b->oom) return;
  if (b->cap - b->len < n) {
    size_t cap = b->cap ? b->cap : 4096;
    while (cap - b->len < n) cap *= 2;
    uint8_t *p = realloc(b->p, cap);
    if (!p) {
      b->oom = true;
      return;
    }
    b->p = p;
    b->cap = cap;
  }
  memcpy(b->p + b->len, data, n);
  b->len += n;
}

/* One ustar member (a file, or a directory when data is NULL), padded to 512. */
static void tar_member(buf *t, const char *name, const uint8_t *data, size_t size, unsigned mode) {
  uint8_t h[512] = {0};
  snprintf((char *)h, 100, "%s", name);
  snprintf((char *)h + 100, 8, "%07o", mode);
  snprintf((char *)h + 108, 8, "%07o", 0);
  snprintf((char *)h + 116, 8, "%07o", 0);
  snprintf((char *)h + 124, 12, "%011zo", data ? size : 0);
  snprintf((char *)h + 136, 12, "%011o", 0); /* mtime 0: the same input gives the same digests */
  h[156] = data ? '0' : '5';
  memcpy(h + 257, "ustar", 6);
  memcpy(h + 263, "00", 2);
  memset(h + 148, ' ', 8);
  unsigned sum = 0;
  for (int i = 0; i < 512; i++) sum += h[i];
  snprintf((char *)h + 148, 8, "%06o", sum);
  put(t, h, 512);
  if (!data) return;
  put(t, data, size);
  static const uint8_t zero[512];
  if (size % 512) put(t, zero, 512 - size % 512);
}

static void tar_end(buf *t) {
  static const uint8_t zero[1024];
  put(t, zero, sizeof zero);
}

static void sha256_hex(const uint8_t *p, size_t n, char out[65]) {
  unsigned char h[crypto_hash_sha256_BYTES];
  crypto_hash_sha256(h, p, n);
  sodium_bin2hex(out, 65, h, sizeof h);
}

static bool gzip(const buf *in, buf *out) {
  z_stream z;
  memset(&z, 0, sizeof z);
  if (deflateInit2(&z, 9, Z_DEFLATED, 15 + 16, 8, Z_DEFAULT_STRATEGY) != Z_OK) return false;
  uLong bound = deflateBound(&z, (uLong)in->len);
  out->p = malloc(bound);
  if (!out->p) {
    deflateEnd(&z);
    return false;
  }
  z.next_in = in->p;
  z.avail_in = (uInt)in->len;
  z.next_out = out->p;
  z.avail_out = (uInt)bound;
  int r = deflate(&z, Z_FINISH);
  out->len = out->cap = z.total_out;
  deflateEnd(&z);
  return r == Z_STREAM_END;
}

/* Appends `s` as a JSON string. */
static void json_str(buf *b, const char *s) {
  put(b, "\"", 1);
  for (; *s; s++) {
    char esc[8];
    if (*s == '"' || *s == '\\') {
      esc[0] = '\\', esc[1] = *s;
      put(b, esc, 2);
    } else if ((unsigned char)*s < 0x20) {
      snprintf(esc, sizeof esc, "\\u%04x", (unsigned char)*s);
      put(b, esc, 6);
    } else {
      put(b, s, 1);
    }
  }
  put(b, "\"", 1);
}

static void puts_(buf *b, const char *s) { put(b, s, strlen(s)); }

static const char *host_arch(void) {
#if defined(__x86_64__)
  return "amd64";
#elif defined(__aarch64__)
  return "arm64";
#else
  return "unknown";
#endif
}

static int oci_usage(const char *why) {
  fprintf(stderr, "wrun oci: %s\nusage: wrun oci build APP.wasm -o IMAGE.tar [--name REF] [--env NAME=VALUE]... "
                  "[--gzip]\n", why);
  return CLI_EXIT_USAGE;
}

/* The image config: the platform is the host's (what `ctr run` selects),
 * the entrypoint the program in the layer. */
static void image_config(buf *c, const char *entry, char **env, int nenv, const char *diff_id) {
  puts_(c, "{\"architecture\":\"");
  puts_(c, host_arch());
  puts_(c, "\",\"os\":\"linux\",\"config\":{\"Entrypoint\":[");
  json_str(c, entry);
  puts_(c, "],\"Env\":[");
  for (int i = 0; i < nenv; i++) {
    if (i) puts_(c, ",");
    json_str(c, env[i]);
  }
  puts_(c, "],\"WorkingDir\":\"/\"},\"rootfs\":{\"type\":\"layers\",\"diff_ids\":[\"sha256:");
  puts_(c, diff_id);
  puts_(c, "\"]},\"history\":[{\"created_by\":\"wrun oci build\"}]}");
}

static void descriptor(buf *b, const char *media, const char *hex, size_t size) {
  char n[32];
  snprintf(n, sizeof n, "%zu", size);
  puts_(b, "{\"mediaType\":\"");
  puts_(b, media);
  puts_(b, "\",\"digest\":\"sha256:");
  puts_(b, hex);
  puts_(b, "\",\"size\":");
  puts_(b, n);
}

static void add_blob(buf *tar, const uint8_t *p, size_t n, char hex[65]) {
  sha256_hex(p, n, hex);
  char name[100];
  snprintf(name, sizeof name, "blobs/sha256/%s", hex);
  tar_member(tar, name, p, n, 0644);
}

static int oci_build(const char *in, const char *out, const char *name, char **env, int nenv, bool gz) {
  size_t len;
  uint8_t *wasm = cli_read_input(in, &len);
  if (!wasm) return CLI_EXIT_REJECTED;
  if (len < 8 || memcmp(wasm, "\0asm", 4) != 0) {
    fprintf(stderr, "%s: not a WebAssembly module or component (no \\0asm header)\n", in);
    free(wasm);
    return CLI_EXIT_REJECTED;
  }
  if (sodium_init() < 0) {
    free(wasm);
    return CLI_EXIT_REJECTED;
  }
  const char *base = strrchr(in, '/') ? strrchr(in, '/') + 1 : in;
  char member[100], entry[128];
  snprintf(member, sizeof member, "%s", base);
  snprintf(entry, sizeof entry, "/%s", member);
  buf layer = {0}, zlayer = {0}, config = {0}, manifest = {0}, index = {0}, tar = {0};
  tar_member(&layer, member, wasm, len, 0755);
  tar_end(&layer);
  free(wasm);
  int status = CLI_EXIT_REJECTED;
  if (layer.oom || (gz && !gzip(&layer, &zlayer))) goto oom;
  const buf *blob = gz ? &zlayer : &layer;
  char diff_id[65], layer_hex[65], config_hex[65], manifest_hex[65];
  sha256_hex(layer.p, layer.len, diff_id);
  image_config(&config, entry, env, nenv, diff_id);
  tar_member(&tar, "blobs/", NULL, 0, 0755);
  tar_member(&tar, "blobs/sha256/", NULL, 0, 0755);
  add_blob(&tar, blob->p, blob->len, layer_hex);
  add_blob(&tar, config.p, config.len, config_hex);
  puts_(&manifest, "{\"schemaVersion\":2,\"mediaType\":\"application/vnd.oci.image.manifest.v1+json\",\"config\":");
  descriptor(&manifest, "application/vnd.oci.image.config.v1+json", config_hex, config.len);
  puts_(&manifest, "},\"layers\":[");
  descriptor(&manifest, gz ? "application/vnd.oci.image.layer.v1.tar+gzip" : "application/vnd.oci.image.layer.v1.tar",
             layer_hex, blob->len);
  puts_(&manifest, "}]}");
  if (manifest.oom || config.oom) goto oom;
  add_blob(&tar, manifest.p, manifest.len, manifest_hex);
  puts_(&index, "{\"schemaVersion\":2,\"manifests\":[");
  descriptor(&index, "application/vnd.oci.image.manifest.v1+json", manifest_hex, manifest.len);
  puts_(&index, ",\"platform\":{\"architecture\":\"");
  puts_(&index, host_arch());
  puts_(&index, "\",\"os\":\"linux\"},\"annotations\":{\"io.containerd.image.name\":");
  json_str(&index, name);
  puts_(&index, ",\"org.opencontainers.image.ref.name\":");
  const char *tag = strrchr(name, ':');
  json_str(&index, tag && !strchr(tag, '/') ? tag + 1 : "latest");
  puts_(&index, "}}]}");
  static const char layout[] = "{\"imageLayoutVersion\":\"1.0.0\"}";
  tar_member(&tar, "oci-layout", (const uint8_t *)layout, sizeof layout - 1, 0644);
  if (index.oom) goto oom;
  tar_member(&tar, "index.json", index.p, index.len, 0644);
  tar_end(&tar);
  if (tar.oom) goto oom;
  FILE *f = fopen(out, "wb");
  if (!f || fwrite(tar.p, 1, tar.len, f) != tar.len || fclose(f) != 0) {
    fprintf(stderr, "%s: error: cannot write: %s\n", out, strerror(errno));
    if (f) fclose(f);
  } else {
    status = CLI_EXIT_OK;
  }
  goto done;
oom:
  fprintf(stderr, "%s: out of memory building the image\n", in);
done:
  free(layer.p);
  free(zlayer.p);
  free(config.p);
  free(manifest.p);
  free(index.p);
  free(tar.p);
  return status;
}

int cli_oci(int argc, char **argv) {
  if (argc < 1 || strcmp(argv[0], "build") != 0) return oci_usage("the only subcommand is build");
  const char *in = NULL, *out = NULL, *name = "docker.io/library/wasm-app:latest";
  char **env = calloc((size_t)argc + 1, sizeof *env);
  int nenv = 0;
  bool gz = false;
  if (!env) return CLI_EXIT_REJECTED;
  int status = CLI_EXIT_USAGE;
  for (int i = 1; i < argc; i++) {
    const char *a = argv[i];
    bool has_value = i + 1 < argc;
    if ((strcmp(a, "-o") == 0 || strcmp(a, "--output") == 0) && has_value) out = argv[++i];
    else if (strcmp(a, "--name") == 0 && has_value) name = argv[++i];
    else if (strcmp(a, "--env") == 0 && has_value && strchr(argv[i + 1], '=')) env[nenv++] = argv[++i];
    else if (strcmp(a, "--gzip") == 0) gz = true;
    else if (a[0] != '-' && !in) in = a;
    else {
      char why[300];
      snprintf(why, sizeof why, "unexpected argument '%.200s'", a);
      oci_usage(why);
      goto done;
    }
  }
  if (!in || !out) {
    oci_usage(!in ? "no APP.wasm given" : "no -o IMAGE.tar given");
    goto done;
  }
  status = oci_build(in, out, name, env, nenv, gz);
done:
  free(env);
  return status;
}
