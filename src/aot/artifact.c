/*
 * artifact.c — compiled artifacts (.cwasm): the source module and its native
 * code in one file.
 *
 * Layout (all integers little-endian):
 *
 *   0   8   magic "\0wrunaot"
 *   8   4   format version (ARTIFACT_FORMAT)
 *   12  4   target architecture (AOT_ARCH_*: 1 = x86-64, 2 = aarch64)
 *   16  4   CPU features the code needs (the target's bits, e.g. X64_CPU_*)
 *   20  4   compile options (AOT_OPT_*)
 *   24  16  wrun version that wrote it, NUL-padded
 *   40  32  SHA-256 of the source module
 *   72  4   section count (2)
 *   76  4   zero
 *   80  24  section 0: u64 file offset, u32 stored size, u32 size, u32
 *           CRC-32 of the section's bytes (uncompressed), u32 zero
 *   104 20  section 1, the same without the last word
 *   124 4   CRC-32 of bytes 0..124
 *   128     the sections
 *
 * A section whose stored size equals its size is stored raw; any other is
 * zlib-compressed. The writer compresses only where that pays: from
 * COMPRESS_MIN bytes up, and when zlib saves at least an eighth (so the two
 * cases never meet). A hello's sections are a few hundred bytes, and
 * inflating them (zlib builds its decoding tables per stream) cost more than
 * the rest of loading the artifact; a raw section is used where it lies in
 * the file, without a copy. (Format 3 compressed every section.) Level 1
 * (zlib's fastest): on bench/compile-speed's module level 6 took a third of
 * `wrun compile --opt` for sections 9% smaller; level 1 deflates about
 * three times faster (any level reads back the same).
 *
 * Section 0 is the module binary. Section 1 is the code: u32 function count,
 * u32 code size, one u32 entry offset per defined function (ascending), one
 * u32 frame size per defined function (for backtraces), then the code
 * (position independent: see aot.h), then the code maps (codemap.h): u32
 * their size in bytes, one u32 start per defined function (ascending, within
 * the maps), then the maps. (Format 5 added the maps; 4 and older are
 * refused with a message asking to recompile.) Every field is checked on load; the
 * CRCs catch damage, not tampering: an artifact is native code, trusted like
 * any executable, which is why the command line runs one only when the user
 * passes --allow-precompiled (docs/security.md). The compile cache adds its
 * own authentication around these bytes (src/cli/cache.c). The SHA-256 at 40
 * names the module the code was compiled from (the cache and the caller of
 * aot_artifact_load_image compare it with the module they have); loading a
 * whole artifact does not hash its embedded module again, since the section's
 * CRC already catches damage to it and a forger would rewrite both.
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "aot/aot.h"
#include "aot/lower.h"
#include "common/sha256.h"

#define ARTIFACT_FORMAT 5u /* bump whenever generated code, its conventions or this layout change */
#define HEADER_SIZE 128u
#define MAX_SECTION (1u << 30)
#define COMPRESS_MIN 4096u /* smaller sections are stored raw: inflating them costs more than reading them */
#define ARTIFACT_ZLIB_LEVEL 1 /* zlib's fastest: see the layout comment above */

static const uint8_t magic[8] = {0, 'w', 'r', 'u', 'n', 'a', 'o', 't'};
/* a compiled component (layout at the end of this file) */
static const uint8_t cmagic[8] = {0, 'w', 'r', 'u', 'n', 'a', 'o', 'c'};

static void put32(uint8_t *p, uint32_t v) {
  for (int i = 0; i < 4; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static void put64(uint8_t *p, uint64_t v) {
  for (int i = 0; i < 8; i++) p[i] = (uint8_t)(v >> (8 * i));
}
static uint32_t get32(const uint8_t *p) {
  return (uint32_t)p[0] | (uint32_t)p[1] << 8 | (uint32_t)p[2] << 16 | (uint32_t)p[3] << 24;
}
static uint64_t get64(const uint8_t *p) { return (uint64_t)get32(p) | (uint64_t)get32(p + 4) << 32; }

static uint32_t crc(const uint8_t *p, size_t n) { return (uint32_t)crc32(crc32(0L, Z_NULL, 0), p, (uInt)n); }

bool aot_is_artifact(const uint8_t *bytes, size_t len) { return len >= 8 && memcmp(bytes, magic, 8) == 0; }

/* The architecture whose artifacts this wrun loads: the host's, when this
 * build has a backend for it. */
static uint32_t this_arch(void) {
  const aot_target *t = aot_target_host();
  return t ? t->arch : 0;
}

static bool bad(rt_error *err, uint64_t off, const char *what) {
  return rt_error_at(err, WRUN_ERR_MALFORMED, off, "invalid compiled artifact: %s", what);
}

/* A section's bytes: where they lie in the file (raw) or inflated into
 * `owned` (which the holder frees with section_release). */
typedef struct section_view {
  const uint8_t *bytes;
  size_t len;
  uint8_t *owned;
} section_view;

static void section_release(section_view *v) {
  free(v->owned);
  memset(v, 0, sizeof *v);
}

/* Checks the section whose table entry is at `entry` (that it lies inside
 * the file, its size, that it inflates if compressed, its CRC) and gives its bytes,
 * inflating a compressed one into a new buffer of exactly its recorded size. */
static bool section_at(const uint8_t *bytes, size_t len, uint64_t entry, section_view *v, rt_error *err) {
  memset(v, 0, sizeof *v);
  const uint8_t *sec = bytes + entry;
  uint64_t off = get64(sec);
  uint32_t clen = get32(sec + 8), size = get32(sec + 12), want = get32(sec + 16);
  if (off < HEADER_SIZE || off > len || clen > len - off)
    return bad(err, entry, "section extends beyond the end of the file (truncated?)");
  if (size > MAX_SECTION) return bad(err, entry + 12, "section size out of range");
  if (clen == size) { /* raw */
    v->bytes = bytes + off;
  } else {
    uint8_t *buf = malloc(size ? size : 1);
    if (!buf) return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    uLongf got = size;
    if (uncompress(buf, &got, bytes + off, clen) != Z_OK || got != size) {
      free(buf);
      return bad(err, off, "section does not decompress (damaged)");
    }
    v->bytes = v->owned = buf;
  }
  v->len = size;
  if (crc(v->bytes, size) != want) {
    section_release(v);
    return bad(err, off, "section checksum mismatch (damaged)");
  }
  return true;
}

/* Section k of a core artifact (its table starts at byte 80). */
static bool section(const uint8_t *bytes, size_t len, int k, section_view *v, rt_error *err) {
  return section_at(bytes, len, 80 + 24 * (uint64_t)k, v, err);
}

/* A section's bytes in a buffer of the caller's (for APIs that hand them out). */
static uint8_t *section_copy(section_view *v, size_t *out_len, rt_error *err) {
  uint8_t *buf = v->owned;
  if (!buf && (buf = malloc(v->len ? v->len : 1)) != NULL) memcpy(buf, v->bytes, v->len);
  if (!buf) rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
  *out_len = v->len;
  v->owned = NULL;
  return buf;
}

/* Writes `src` as a section at out + at and fills its table entry: zlib
 * where that pays (see the layout above), else raw. `cap` bytes are free at
 * out + at, at least compressBound(n). *stored gets the bytes written. */
static bool put_section(uint8_t *out, size_t at, size_t cap, uint8_t *entry, const uint8_t *src, size_t n,
                        size_t *stored, rt_error *err) {
  if (n > MAX_SECTION) return rt_error_at(err, WRUN_ERR_LIMIT, WRUN_NO_OFFSET, "a section is too large");
  *stored = n;
  if (n >= COMPRESS_MIN) {
    uLongf clen = (uLongf)cap;
    if (compress2(out + at, &clen, src, (uLong)n, ARTIFACT_ZLIB_LEVEL) != Z_OK)
      return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "compression failed");
    if (clen <= n - n / 8) *stored = clen; /* compressed: the stored size is smaller */
  }
  if (*stored == n) memcpy(out + at, src, n); /* raw */
  put64(entry, at);
  put32(entry + 8, (uint32_t)*stored);
  put32(entry + 12, (uint32_t)n);
  put32(entry + 16, crc(src, n));
  return true;
}

/* The checks both kinds of artifact share, on the first 128 bytes: magic,
 * header CRC, format version, wrun version, architecture, CPU features and
 * compile options. */
static bool check_header(const uint8_t *bytes, size_t len, const uint8_t want_magic[8], rt_error *err) {
  if (len < HEADER_SIZE) return bad(err, len, "file is shorter than the header (truncated)");
  if (memcmp(bytes, want_magic, 8) != 0) return bad(err, 0, "wrong magic");
  if (get32(bytes + 124) != crc(bytes, 124)) return bad(err, 124, "header checksum mismatch (damaged)");
  if (get32(bytes + 8) != ARTIFACT_FORMAT)
    return rt_error_at(err, WRUN_ERR_MALFORMED, 8, "compiled artifact has format version %u, this wrun reads %u: "
                         "recompile it", get32(bytes + 8), ARTIFACT_FORMAT);
  char ver[17];
  memcpy(ver, bytes + 24, 16);
  ver[16] = 0;
  if (strcmp(ver, WRUN_VERSION) != 0)
    return rt_error_at(err, WRUN_ERR_MALFORMED, 24, "compiled artifact was made by wrun %s, this is wrun %s: "
                         "recompile it", ver, WRUN_VERSION);
  uint32_t arch = get32(bytes + 12);
  if (arch != this_arch() || !arch)
    return rt_error_at(err, WRUN_ERR_MALFORMED, 12, "compiled artifact targets architecture %u (%s), not this "
                         "machine", arch, aot_arch_name(arch));
  uint32_t cpu = get32(bytes + 16), options = get32(bytes + 20);
  if (cpu & ~aot_target_host()->cpu_required) return bad(err, 16, "unknown CPU feature bits");
  if ((cpu & aot_host_cpu()) != cpu) {
    char lack[64];
    aot_cpu_names(arch, cpu & ~aot_host_cpu(), lack, sizeof lack);
    return rt_error_at(err, WRUN_ERR_MALFORMED, 16, "compiled artifact needs CPU features this machine lacks (%s)",
                         lack);
  }
  if (options & ~(uint32_t)(AOT_OPT_INTERRUPTIBLE | AOT_OPT_BOUNDS_CHECKS | AOT_OPT_OPTIMIZE)) return bad(err, 20, "unknown compile option bits");
  return true;
}

/* Serializes an image's code as a code section (layout above) after `pre`
 * bytes left for the caller; *out_len is the whole length. */
static size_t code_section_size(const aot_image *img) {
  return 8 + 8 * (size_t)img->nfuncs + img->code_size + 4 + 4 * (size_t)img->nfuncs + img->codemap_size;
}

static uint8_t *code_bytes(const aot_image *img, size_t pre, size_t *out_len) {
  size_t code_len = pre + code_section_size(img);
  uint8_t *code = malloc(code_len);
  if (!code) return NULL;
  uint8_t *p = code + pre;
  put32(p, img->nfuncs);
  put32(p + 4, img->code_size);
  for (uint32_t i = 0; i < 2 * img->nfuncs; i++) put32(p + 8 + 4 * (size_t)i, img->func_off[i]);
  memcpy(p + 8 + 8 * (size_t)img->nfuncs, img->mem, img->code_size);
  uint8_t *q = p + 8 + 8 * (size_t)img->nfuncs + img->code_size;
  put32(q, img->codemap_size);
  for (uint32_t i = 0; i < img->nfuncs; i++) put32(q + 4 + 4 * (size_t)i, img->codemap_off ? img->codemap_off[i] : 0);
  if (img->codemap_size) memcpy(q + 4 + 4 * (size_t)img->nfuncs, img->codemap, img->codemap_size);
  *out_len = code_len;
  return code;
}

/* The code maps after the code (layout above; n bytes at p) into img. */
static bool maps_from_section(aot_image *img, const uint8_t *p, size_t n, uint64_t at, rt_error *err) {
  uint32_t nf = img->nfuncs, size = get32(p);
  if (n != 4 + 4 * (size_t)nf + size) return bad(err, at, "code section sizes disagree");
  img->codemap_off = malloc(((size_t)nf + 1) * sizeof *img->codemap_off);
  img->codemap = malloc(size ? size : 1);
  if (!img->codemap_off || !img->codemap) return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
  for (uint32_t i = 0; i < nf; i++) {
    img->codemap_off[i] = get32(p + 4 + 4 * (size_t)i);
    if (img->codemap_off[i] > size || (i && img->codemap_off[i] < img->codemap_off[i - 1]))
      return bad(err, at, "code map start outside the maps or out of order");
  }
  img->codemap_off[nf] = size;
  memcpy(img->codemap, p + 4 + 4 * (size_t)nf, size);
  img->codemap_size = size;
  return true;
}

/* Checks a code section (clen bytes; errors located at `at`, where its table
 * entry sits) and maps its code: an image, or NULL with the error. */
static aot_image *image_from_section(const uint8_t *code, size_t clen, uint64_t at, uint32_t options, uint32_t cpu,
                                     rt_error *err) {
  if (clen < 8) {
    bad(err, at, "code section too short");
    return NULL;
  }
  uint32_t nfuncs = get32(code), code_size = get32(code + 4);
  uint64_t maps_at = (uint64_t)8 + 8 * (uint64_t)nfuncs + code_size; /* the code maps follow the code */
  if (maps_at + 4 + 4 * (uint64_t)nfuncs > clen || code_size < AOT_TRAMPOLINE_SIZE) {
    bad(err, at, "code section sizes disagree");
    return NULL;
  }
  uint32_t *offs = malloc((2 * (size_t)nfuncs + 1) * sizeof *offs);
  if (!offs) {
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  for (uint32_t i = 0; i < nfuncs; i++) {
    offs[i] = get32(code + 8 + 4 * (size_t)i);
    offs[nfuncs + i] = get32(code + 8 + 4 * ((size_t)nfuncs + i));
    if (offs[i] < AOT_TRAMPOLINE_SIZE || offs[i] >= code_size || (i && offs[i] <= offs[i - 1])) {
      free(offs);
      bad(err, at, "function entry outside the code or out of order");
      return NULL;
    }
    if (offs[nfuncs + i] % 16 != 8 || offs[nfuncs + i] > (1u << 30)) {
      free(offs);
      bad(err, at, "implausible frame size");
      return NULL;
    }
  }
  aot_image *img = aot_image_from_code(code + 8 + 8 * (size_t)nfuncs, code_size, nfuncs, offs, options, cpu, err);
  if (img) img->from_artifact = true;
  if (img && !maps_from_section(img, code + maps_at, clen - maps_at, at, err)) {
    aot_image_free(img);
    return NULL;
  }
  return img;
}

uint8_t *aot_artifact_write(const wm_module *m, const aot_image *img, size_t *len, rt_error *err) {
  size_t code_len = 0;
  uint8_t *code = code_bytes(img, 0, &code_len);
  uLong c0 = compressBound((uLong)m->size), c1 = compressBound((uLong)code_len);
  uint8_t *out = code ? malloc(HEADER_SIZE + c0 + c1) : NULL;
  if (!code || !out) {
    free(code);
    free(out);
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  memset(out, 0, HEADER_SIZE);
  memcpy(out, magic, 8);
  put32(out + 8, ARTIFACT_FORMAT);
  put32(out + 12, img->arch);
  put32(out + 16, img->cpu);
  put32(out + 20, img->options);
  snprintf((char *)out + 24, 16, "%s", WRUN_VERSION);
  rt_sha256(m->bytes, m->size, out + 40);
  put32(out + 72, 2);
  const uint8_t *src[2] = {m->bytes, code};
  size_t srclen[2] = {m->size, code_len};
  size_t at = HEADER_SIZE, cap = HEADER_SIZE + c0 + c1;
  for (int k = 0; k < 2; k++) {
    size_t stored;
    if (!put_section(out, at, cap - at, out + 80 + 24 * k, src[k], srclen[k], &stored, err)) {
      free(code);
      free(out);
      return NULL;
    }
    at += stored;
  }
  put32(out + 124, crc(out, 124));
  free(code);
  *len = at;
  return out;
}

aot_image *aot_artifact_load_image(const uint8_t *bytes, size_t len, const uint8_t module_hash[32], uint32_t nfuncs,
                                   rt_error *err) {
  if (!check_header(bytes, len, magic, err)) return NULL;
  if (get32(bytes + 72) != 2 || get32(bytes + 76) != 0) {
    bad(err, 72, "unexpected section count");
    return NULL;
  }
  if (memcmp(bytes + 40, module_hash, 32) != 0) {
    bad(err, 40, "compiled from another module");
    return NULL;
  }
  section_view code;
  if (!section(bytes, len, 1, &code, err)) return NULL;
  aot_image *img = image_from_section(code.bytes, code.len, get64(bytes + 104), get32(bytes + 20), get32(bytes + 16), err);
  section_release(&code);
  if (img && img->nfuncs != nfuncs) {
    aot_image_free(img);
    bad(err, get64(bytes + 104), "function count does not match the module");
    return NULL;
  }
  return img;
}

wm_module *aot_artifact_load(const uint8_t *bytes, size_t len, rt_error *err) {
  if (!check_header(bytes, len, magic, err)) return NULL;
  if (get32(bytes + 72) != 2 || get32(bytes + 76) != 0) {
    bad(err, 72, "unexpected section count");
    return NULL;
  }
  section_view mod, code = {0};
  wm_module *m = NULL;
  aot_image *img = NULL;
  if (!section(bytes, len, 0, &mod, err) || !section(bytes, len, 1, &code, err)) goto fail;
  img = image_from_section(code.bytes, code.len, get64(bytes + 104), get32(bytes + 20), get32(bytes + 16), err);
  if (!img) goto fail;
  m = wm_module_decode(mod.bytes, mod.len, err);
  if (!m) goto fail;
  if (m->nfuncs - m->nimported_funcs != img->nfuncs) {
    bad(err, get64(bytes + 104), "function count does not match the module");
    goto fail;
  }
  /* compiled from a validated module (the section's CRC shows it is the
   * bytes the writer had) */
  m->validated = true;
  aot_attach_image(m, img);
  section_release(&mod);
  section_release(&code);
  return m;
fail:
  aot_image_free(img);
  wm_module_free(m);
  section_release(&mod);
  section_release(&code);
  return NULL;
}

/* ---- component artifacts -------------------------------------------------------
 *
 * A component compiled by `wrun compile` (docs/components.md, "Compiled
 * components"): the component binary and the native code of each of its core
 * modules, in the order wc_core_modules (src/cinst/artifact.c) lists them.
 * The first 128 bytes are a core artifact's header with another magic, so
 * the same checks apply (format, wrun version, architecture, CPU, options):
 *
 *   0   8   magic "\0wrunaoc"
 *   8..72   as in a core artifact; bytes 40..72 hash the component binary
 *   72  4   number of core modules N (at most AOT_MAX_COMPONENT_MODULES)
 *   76  4   zero
 *   80  24  section 0: the component binary (entry as in a core artifact)
 *   104 20  zero
 *   124 4   CRC-32 of bytes 0..124
 *   128 24N the entries of sections 1..N: core module k's code is section k+1
 *   +24N 4  CRC-32 of those entries
 *   then the sections, each raw or zlib-compressed as in a core artifact
 *
 * A code section is the SHA-256 of the core module's bytes (32 bytes) followed
 * by a core artifact's code section. The component bytes already hold every
 * core module, so none is stored twice.
 */


bool aot_is_component_artifact(const uint8_t *bytes, size_t len) {
  return len >= 8 && memcmp(bytes, cmagic, 8) == 0;
}

uint8_t *aot_component_artifact_write(const uint8_t *comp, size_t comp_len, uint32_t n,
                                      const wm_module *const *mods, const aot_image *const *imgs, size_t *len,
                                      rt_error *err) {
  if (n > AOT_MAX_COMPONENT_MODULES) {
    rt_error_at(err, WRUN_ERR_LIMIT, WRUN_NO_OFFSET, "more than %u core modules", AOT_MAX_COMPONENT_MODULES);
    return NULL;
  }
  /* the images' instruction set (cross-compiled ones are not the host's) */
  uint32_t cpu = 0, options = n ? imgs[0]->options : 0, arch = n ? imgs[0]->arch : this_arch();
  size_t table = HEADER_SIZE + 24 * (size_t)n + 4, cap = table + compressBound((uLong)comp_len);
  for (uint32_t k = 0; k < n; k++) {
    if (imgs[k]->options != options || imgs[k]->arch != arch) {
      rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "core modules compiled with different options or for "
                  "different instruction sets");
      return NULL;
    }
    cpu |= imgs[k]->cpu;
    cap += compressBound((uLong)(32 + code_section_size(imgs[k])));
  }
  uint8_t *out = malloc(cap);
  if (!out) {
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  memset(out, 0, table);
  memcpy(out, cmagic, 8);
  put32(out + 8, ARTIFACT_FORMAT);
  put32(out + 12, arch);
  put32(out + 16, cpu);
  put32(out + 20, options);
  snprintf((char *)out + 24, 16, "%s", WRUN_VERSION);
  rt_sha256(comp, comp_len, out + 40);
  put32(out + 72, n);
  size_t at = table;
  for (uint32_t k = 0; k <= n; k++) {
    size_t slen = comp_len;
    uint8_t *code = NULL;
    const uint8_t *src = comp;
    if (k > 0) {
      if (!(code = code_bytes(imgs[k - 1], 32, &slen))) {
        free(out);
        rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
        return NULL;
      }
      rt_sha256(mods[k - 1]->bytes, mods[k - 1]->size, code);
      src = code;
    }
    uint8_t *entry = out + (k ? HEADER_SIZE + 24 * (size_t)(k - 1) : 80);
    size_t stored;
    bool ok = put_section(out, at, cap - at, entry, src, slen, &stored, err);
    free(code);
    if (!ok) {
      free(out);
      return NULL;
    }
    at += stored;
  }
  put32(out + 124, crc(out, 124));
  put32(out + table - 4, crc(out + HEADER_SIZE, 24 * (size_t)n));
  *len = at;
  return out;
}

/* The component header's own fields and the section table: N, or -1. */
static int64_t component_table(const uint8_t *bytes, size_t len, rt_error *err) {
  uint32_t n = get32(bytes + 72);
  if (n > AOT_MAX_COMPONENT_MODULES || get32(bytes + 76) != 0) return bad(err, 72, "unexpected module count"), -1;
  for (int i = 104; i < 124; i++)
    if (bytes[i]) return bad(err, (uint64_t)i, "reserved header bytes are not zero"), -1;
  uint64_t table = HEADER_SIZE + 24 * (uint64_t)n;
  if (len < table + 4) return bad(err, len, "file ends inside the section table (truncated)"), -1;
  if (get32(bytes + table) != crc(bytes + HEADER_SIZE, 24 * (size_t)n))
    return bad(err, table, "section table checksum mismatch (damaged)"), -1;
  return n;
}

bool aot_component_artifact_open(const uint8_t *bytes, size_t len, uint8_t **comp, size_t *comp_len,
                                 uint32_t *nmodules, rt_error *err) {
  *comp = NULL;
  if (!check_header(bytes, len, cmagic, err)) return false;
  int64_t n = component_table(bytes, len, err);
  if (n < 0) return false;
  /* not hashed again: the CRC catches damage (see the top of this file) */
  section_view v;
  if (!section_at(bytes, len, 80, &v, err)) return false;
  uint8_t *c = section_copy(&v, comp_len, err);
  if (!c) return false;
  *comp = c;
  *nmodules = (uint32_t)n;
  return true;
}

aot_image *aot_component_artifact_code(const uint8_t *bytes, size_t len, uint32_t k, const uint8_t module_hash[32],
                                       rt_error *err) {
  /* the caller has opened the artifact, so the header and table are checked */
  if (k >= get32(bytes + 72)) {
    bad(err, 72, "fewer code sections than core modules");
    return NULL;
  }
  uint64_t entry = HEADER_SIZE + 24 * (uint64_t)k;
  section_view code;
  if (!section_at(bytes, len, entry, &code, err)) return NULL;
  aot_image *img = NULL;
  if (code.len < 32 || memcmp(code.bytes, module_hash, 32) != 0)
    bad(err, entry, "code section compiled from another core module");
  else
    img = image_from_section(code.bytes + 32, code.len - 32, entry, get32(bytes + 20), get32(bytes + 16), err);
  section_release(&code);
  return img;
}

/* ---- describing either kind, for `wrun inspect` ------------------------------ */

void aot_artifact_info_free(aot_artifact_info *info) {
  free(info->module);
  info->module = NULL;
}

bool aot_artifact_describe(const uint8_t *bytes, size_t len, aot_artifact_info *info, rt_error *err) {
  memset(info, 0, sizeof *info);
  if (len < HEADER_SIZE) return bad(err, len, "file is shorter than the header (truncated)");
  info->component = memcmp(bytes, cmagic, 8) == 0;
  if (!info->component && memcmp(bytes, magic, 8) != 0) return bad(err, 0, "wrong magic");
  if (get32(bytes + 124) != crc(bytes, 124)) return bad(err, 124, "header checksum mismatch (damaged)");
  info->format = get32(bytes + 8);
  info->arch = get32(bytes + 12);
  info->cpu = get32(bytes + 16);
  info->options = get32(bytes + 20);
  memcpy(info->version, bytes + 24, 16);
  info->version[16] = 0;
  memcpy(info->module_hash, bytes + 40, 32);
  info->loadable = info->format == ARTIFACT_FORMAT && strcmp(info->version, WRUN_VERSION) == 0 &&
                   info->arch == this_arch() && info->arch && (info->cpu & aot_host_cpu()) == info->cpu;
  /* The sections' layout is only known for this format version. */
  if (info->format != ARTIFACT_FORMAT) return true;
  uint32_t ncode = 1;
  if (info->component) {
    int64_t n = component_table(bytes, len, err);
    if (n < 0) return false;
    ncode = info->nmodules = (uint32_t)n;
  } else if (get32(bytes + 72) != 2 || get32(bytes + 76) != 0) {
    return bad(err, 72, "unexpected section count");
  }
  /* a component's code sections start with the module's hash */
  size_t skip = info->component ? 32 : 0;
  for (uint32_t k = 0; k < ncode; k++) {
    uint64_t entry = info->component ? HEADER_SIZE + 24 * (uint64_t)k : 104;
    section_view code;
    if (!section_at(bytes, len, entry, &code, err)) return false;
    if (code.len >= skip + 8) {
      info->nfuncs += get32(code.bytes + skip);
      info->code_size += get32(code.bytes + skip + 4);
    }
    section_release(&code);
  }
  section_view mod;
  if (!section(bytes, len, 0, &mod, err)) return false;
  info->module = section_copy(&mod, &info->module_len, err);
  if (!info->module) return false;
  uint8_t hash[32];
  rt_sha256(info->module, info->module_len, hash);
  info->hash_ok = memcmp(hash, info->module_hash, 32) == 0;
  info->sections_read = true;
  return true;
}
