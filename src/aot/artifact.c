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
 *   80  2 x 24  sections: u64 file offset, u32 compressed size, u32 size,
 *               u32 CRC-32 of the uncompressed bytes, u32 zero
 *   124 4   CRC-32 of bytes 0..124
 *   128     the sections, each zlib-compressed
 *
 * Section 0 is the module binary. Section 1 is the code: u32 function count,
 * u32 code size, one u32 entry offset per defined function (ascending), one
 * u32 frame size per defined function (for backtraces), then the code
 * (position independent: see aot.h). Every field is checked on load; the
 * CRCs catch damage, not tampering: an artifact is native code, trusted like
 * any executable, which is why the command line runs one only when the user
 * passes --allow-precompiled (docs/security.md). The compile cache adds its
 * own authentication around these bytes (src/cli/cache.c).
 */
#include <stdio.h>
#include <stdlib.h>
#include <string.h>
#include <zlib.h>

#include "aot/aot.h"
#include "aot/lower.h"
#include "common/sha256.h"

#define ARTIFACT_FORMAT 3u /* bump whenever generated code or its conventions change */
#define HEADER_SIZE 128u
#define MAX_SECTION (1u << 30)

static const uint8_t magic[8] = {0, 'w', 'r', 'u', 'n', 'a', 'o', 't'};

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

uint8_t *aot_artifact_write(const wasm_module *m, const aot_image *img, size_t *len, wrun_error *err) {
  size_t code_len = 8 + 8 * (size_t)img->nfuncs + img->code_size;
  uint8_t *code = malloc(code_len);
  uLong c0 = compressBound((uLong)m->size), c1 = compressBound((uLong)code_len);
  uint8_t *out = malloc(HEADER_SIZE + c0 + c1);
  if (!code || !out) {
    free(code);
    free(out);
    wrun_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  put32(code, img->nfuncs);
  put32(code + 4, img->code_size);
  for (uint32_t i = 0; i < 2 * img->nfuncs; i++) put32(code + 8 + 4 * (size_t)i, img->func_off[i]);
  memcpy(code + 8 + 8 * (size_t)img->nfuncs, img->mem, img->code_size);

  memset(out, 0, HEADER_SIZE);
  memcpy(out, magic, 8);
  put32(out + 8, ARTIFACT_FORMAT);
  put32(out + 12, img->arch);
  put32(out + 16, img->cpu);
  put32(out + 20, img->options);
  snprintf((char *)out + 24, 16, "%s", WRUN_VERSION);
  wrun_sha256(m->bytes, m->size, out + 40);
  put32(out + 72, 2);
  const uint8_t *src[2] = {m->bytes, code};
  size_t srclen[2] = {m->size, code_len};
  size_t at = HEADER_SIZE;
  for (int k = 0; k < 2; k++) {
    uLongf clen = compressBound((uLong)srclen[k]);
    if (compress2(out + at, &clen, src[k], (uLong)srclen[k], 6) != Z_OK) {
      free(code);
      free(out);
      wrun_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "compression failed");
      return NULL;
    }
    uint8_t *sec = out + 80 + 24 * k;
    put64(sec, at);
    put32(sec + 8, (uint32_t)clen);
    put32(sec + 12, (uint32_t)srclen[k]);
    put32(sec + 16, crc(src[k], srclen[k]));
    at += clen;
  }
  put32(out + 124, crc(out, 124));
  free(code);
  *len = at;
  return out;
}

static bool bad(wrun_error *err, uint64_t off, const char *what) {
  return wrun_error_at(err, WRUN_ERR_MALFORMED, off, "invalid compiled artifact: %s", what);
}

/* Inflates section k into a new buffer of exactly its recorded size. */
static uint8_t *section(const uint8_t *bytes, size_t len, int k, size_t *out_len, wrun_error *err) {
  const uint8_t *sec = bytes + 80 + 24 * k;
  uint64_t off = get64(sec);
  uint32_t clen = get32(sec + 8), size = get32(sec + 12), want = get32(sec + 16);
  if (off < HEADER_SIZE || off > len || clen > len - off) {
    bad(err, 80 + 24 * (uint64_t)k, "section extends beyond the end of the file (truncated?)");
    return NULL;
  }
  if (size > MAX_SECTION) {
    bad(err, 80 + 24 * (uint64_t)k + 12, "section size out of range");
    return NULL;
  }
  uint8_t *buf = malloc(size ? size : 1);
  if (!buf) {
    wrun_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  uLongf got = size;
  if (uncompress(buf, &got, bytes + off, clen) != Z_OK || got != size) {
    free(buf);
    bad(err, off, "section does not decompress (damaged)");
    return NULL;
  }
  if (crc(buf, size) != want) {
    free(buf);
    bad(err, off, "section checksum mismatch (damaged)");
    return NULL;
  }
  *out_len = size;
  return buf;
}

wasm_module *aot_artifact_load(const uint8_t *bytes, size_t len, wrun_error *err) {
  if (len < HEADER_SIZE) {
    bad(err, len, "file is shorter than the header (truncated)");
    return NULL;
  }
  if (memcmp(bytes, magic, 8) != 0) {
    bad(err, 0, "wrong magic");
    return NULL;
  }
  if (get32(bytes + 124) != crc(bytes, 124)) {
    bad(err, 124, "header checksum mismatch (damaged)");
    return NULL;
  }
  if (get32(bytes + 8) != ARTIFACT_FORMAT) {
    wrun_error_at(err, WRUN_ERR_MALFORMED, 8, "compiled artifact has format version %u, this wrun reads %u: "
                  "recompile it", get32(bytes + 8), ARTIFACT_FORMAT);
    return NULL;
  }
  char ver[17];
  memcpy(ver, bytes + 24, 16);
  ver[16] = 0;
  if (strcmp(ver, WRUN_VERSION) != 0) {
    wrun_error_at(err, WRUN_ERR_MALFORMED, 24, "compiled artifact was made by wrun %s, this is wrun %s: recompile it",
                  ver, WRUN_VERSION);
    return NULL;
  }
  uint32_t arch = get32(bytes + 12);
  if (arch != this_arch() || !arch) {
    wrun_error_at(err, WRUN_ERR_MALFORMED, 12, "compiled artifact targets architecture %u (%s), not this machine",
                  arch, aot_arch_name(arch));
    return NULL;
  }
  uint32_t cpu = get32(bytes + 16), options = get32(bytes + 20);
  if (cpu & ~aot_target_host()->cpu_required) {
    bad(err, 16, "unknown CPU feature bits");
    return NULL;
  }
  if ((cpu & aot_host_cpu()) != cpu) {
    char lack[64];
    aot_cpu_names(arch, cpu & ~aot_host_cpu(), lack, sizeof lack);
    wrun_error_at(err, WRUN_ERR_MALFORMED, 16, "compiled artifact needs CPU features this machine lacks (%s)", lack);
    return NULL;
  }
  if (options & ~(uint32_t)(AOT_OPT_INTERRUPTIBLE | AOT_OPT_BOUNDS_CHECKS)) {
    bad(err, 20, "unknown compile option bits");
    return NULL;
  }
  if (get32(bytes + 72) != 2 || get32(bytes + 76) != 0) {
    bad(err, 72, "unexpected section count");
    return NULL;
  }
  size_t mlen = 0, clen = 0;
  uint8_t *mod = section(bytes, len, 0, &mlen, err);
  if (!mod) return NULL;
  uint8_t *code = section(bytes, len, 1, &clen, err);
  if (!code) {
    free(mod);
    return NULL;
  }
  wasm_module *m = NULL;
  uint32_t *offs = NULL;
  uint8_t hash[32];
  wrun_sha256(mod, mlen, hash);
  if (memcmp(hash, bytes + 40, 32) != 0) {
    bad(err, 40, "module hash mismatch");
    goto fail;
  }
  if (clen < 8) {
    bad(err, get64(bytes + 104), "code section too short");
    goto fail;
  }
  uint32_t nfuncs = get32(code), code_size = get32(code + 4);
  if ((uint64_t)8 + 8 * (uint64_t)nfuncs + code_size != clen || code_size < AOT_TRAMPOLINE_SIZE) {
    bad(err, get64(bytes + 104), "code section sizes disagree");
    goto fail;
  }
  offs = malloc((2 * (size_t)nfuncs + 1) * sizeof *offs);
  if (!offs) {
    wrun_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    goto fail;
  }
  for (uint32_t i = 0; i < nfuncs; i++) {
    offs[i] = get32(code + 8 + 4 * (size_t)i);
    offs[nfuncs + i] = get32(code + 8 + 4 * ((size_t)nfuncs + i));
    if (offs[i] < AOT_TRAMPOLINE_SIZE || offs[i] >= code_size || (i && offs[i] <= offs[i - 1])) {
      bad(err, get64(bytes + 104), "function entry outside the code or out of order");
      goto fail;
    }
    if (offs[nfuncs + i] % 16 != 8 || offs[nfuncs + i] > (1u << 30)) {
      bad(err, get64(bytes + 104), "implausible frame size");
      goto fail;
    }
  }
  m = wasm_module_decode(mod, mlen, err);
  if (!m) goto fail;
  if (m->nfuncs - m->nimported_funcs != nfuncs) {
    bad(err, get64(bytes + 104), "function count does not match the module");
    goto fail;
  }
  /* compiled from a validated module (the hash proves it is that module) */
  m->validated = true;
  aot_image *img = aot_image_from_code(code + 8 + 8 * (size_t)nfuncs, code_size, nfuncs, offs, options, cpu, err);
  offs = NULL;
  if (!img) goto fail;
  img->from_artifact = true;
  aot_attach_image(m, img);
  free(mod);
  free(code);
  return m;
fail:
  wasm_module_free(m);
  free(offs);
  free(mod);
  free(code);
  return NULL;
}

void aot_artifact_info_free(aot_artifact_info *info) {
  free(info->module);
  info->module = NULL;
}

bool aot_artifact_describe(const uint8_t *bytes, size_t len, aot_artifact_info *info, wrun_error *err) {
  memset(info, 0, sizeof *info);
  if (len < HEADER_SIZE) return bad(err, len, "file is shorter than the header (truncated)");
  if (memcmp(bytes, magic, 8) != 0) return bad(err, 0, "wrong magic");
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
  if (get32(bytes + 72) != 2 || get32(bytes + 76) != 0) return bad(err, 72, "unexpected section count");
  size_t clen = 0;
  uint8_t *code = section(bytes, len, 1, &clen, err);
  if (!code) return false;
  if (clen >= 8) {
    info->nfuncs = get32(code);
    info->code_size = get32(code + 4);
  }
  free(code);
  info->module = section(bytes, len, 0, &info->module_len, err);
  if (!info->module) return false;
  uint8_t hash[32];
  wrun_sha256(info->module, info->module_len, hash);
  info->hash_ok = memcmp(hash, info->module_hash, 32) == 0;
  info->sections_read = true;
  return true;
}
