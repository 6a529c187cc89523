/*
 * template.c — pre-linked instance templates and the per-store pools of
 * instances made from them (runtime.h: "instance templates").
 *
 * A template holds what every instance of a module shares: the module, its
 * checked imports, the configuration, the compiled code, and a memory image
 * per defined memory. The image is a memfd holding the memory's initial
 * contents (the active data segments, written once in spec order); an
 * instance maps it MAP_PRIVATE over the start of its guard-page reservation,
 * so its first write to a page copies that one page and a 10 MB data section
 * costs one mmap instead of a 10 MB memcpy. When a module's data segments
 * cannot be laid out ahead of time (an offset that is not a constant, a
 * segment out of bounds, which must trap in order, an imported memory) the
 * template has no image and instances copy their segments as
 * rt_instantiate does.
 *
 * Instances made from a template own their functions, globals, tables and
 * memories instead of registering them with the store, so a released one can
 * go back to its store's pool whole: releasing it drops the pages it wrote
 * (their initial bytes copied back where the kernel records which pages
 * were written, dirty.c; else madvise: its image pages read from the memfd
 * again, the rest are zero),
 * its next use resets globals, tables and segment state, and it keeps its
 * functions, whose
 * translated interpreter code and compiled-code context stay valid because
 * every object they point at is the same.
 */
#include <errno.h>
#include <fcntl.h>
#include <stdlib.h>
#include <string.h>
#include <sys/mman.h>
#include <unistd.h>

#include "binary/reader.h"
#include "runtime/rt.h"
#include "runtime/tier.h"

#define PAGE_BYTES 65536u
/* Memories this large or larger get a written-page record (dirty.c). */
#define DIRTY_MIN_BYTES (1u << 20)

/* The initial contents of one memory: bytes [lo, hi) of the memfd, at the
 * same offsets in the memory; everything else starts zero. */
typedef struct mem_image {
  int fd;                        /* -1: no data (or not a defined memory) */
  uint64_t lo, hi;               /* host-page aligned */
  const uint8_t *view;           /* [lo, hi) of the memfd mapped read-only: what a reset copies back; or NULL */
} mem_image;

struct rt_template {
  const wm_module *m;
  rt_config cfg;
  rt_extern *imports;          /* the checked imports, one per module import; NULL when
                                  * each instantiation gives its own */
  mem_image *images;             /* per memory index */
  bool data_image;               /* the active data segments are in images */
  uint64_t image_bytes;          /* sum of hi - lo */
  uint64_t id;                   /* unique in the process (pooled instances match it, not only the address) */
};

/* ---- the memory image ----------------------------------------------------------- */

/* The offset of an active data segment when it is an i32.const (the only
 * form that does not depend on an import's value). */
static bool const_offset(const wm_module *m, const wm_constexpr *ce, uint64_t *out) {
  rt_error scratch;
  rt_error_clear(&scratch);
  wm_reader r = {m->bytes, ce->code, ce->code + ce->len, &scratch};
  uint8_t op;
  int32_t v;
  if (!reader_u8(&r, &op) || op != 0x41 || !reader_s32(&r, &v)) return false;
  *out = (uint32_t)v;
  return true;
}

/* The most pages a defined memory may have under cfg (as rt_memory_reserve). */
static uint64_t max_pages(const rt_config *cfg, const wm_memtype *mt) {
  uint64_t max = mt->limits.has_max ? mt->limits.max : WASM_MAX_PAGES32;
  if (cfg->max_memory_bytes && max > cfg->max_memory_bytes / PAGE_BYTES) max = cfg->max_memory_bytes / PAGE_BYTES;
  return max;
}

/* The host's page size, the granularity of the image's mapping. */
static uint64_t host_page(void) {
  long p = sysconf(_SC_PAGESIZE);
  return p > 0 ? (uint64_t)p : 4096;
}

/* Whether every active data segment can go into an image: it targets a
 * defined 32-bit memory that instantiation can create, has a constant offset
 * and fits in the memory's initial size. Otherwise instantiation copies them
 * (and traps at the first that does not fit, after the ones before it). */
static bool data_fits_image(const wm_module *m, const rt_config *cfg) {
  uint64_t page = host_page();
  if (page > PAGE_BYTES || (page & (page - 1))) return false;
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const wm_data *d = &m->datas[i];
    if (d->mode != WASM_SEG_ACTIVE) continue;
    if (d->memory < m->nimported_mems || d->memory >= m->nmems) return false;
    const wm_memtype *mt = &m->mems[d->memory].type;
    uint64_t off;
    if (mt->limits.is64 || mt->limits.min > max_pages(cfg, mt) || !const_offset(m, &d->offset, &off)) return false;
    if (off + d->len > mt->limits.min * PAGE_BYTES) return false;
  }
  return true;
}

/* Writes the active segments of memory `mi` into a fresh memfd, in order
 * (a later segment overwrites an earlier one, as copying them would). */
static bool build_image(const wm_module *m, uint32_t mi, mem_image *img, rt_error *err) {
  uint64_t lo = UINT64_MAX, hi = 0;
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const wm_data *d = &m->datas[i];
    uint64_t off;
    if (d->mode != WASM_SEG_ACTIVE || d->memory != mi || !d->len || !const_offset(m, &d->offset, &off)) continue;
    if (off < lo) lo = off;
    if (off + d->len > hi) hi = off + d->len;
  }
  if (hi == 0) return true; /* all zero: nothing to map */
  uint64_t page = host_page();
  img->lo = lo & ~(page - 1);
  img->hi = (hi + page - 1) & ~(page - 1); /* <= the memory's size: wasm pages are whole host pages */
  int fd = memfd_create("wrun-memory-image", MFD_CLOEXEC | MFD_ALLOW_SEALING);
  if (fd < 0) return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "memfd_create: %s", strerror(errno));
  img->fd = fd;
  if (ftruncate(fd, (off_t)img->hi) != 0)
    return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "memory image of %llu bytes: %s",
                         (unsigned long long)img->hi, strerror(errno));
  for (uint32_t i = 0; i < m->ndatas; i++) {
    const wm_data *d = &m->datas[i];
    uint64_t off;
    if (d->mode != WASM_SEG_ACTIVE || d->memory != mi || !d->len || !const_offset(m, &d->offset, &off)) continue;
    for (uint64_t done = 0; done < d->len;) {
      ssize_t w = pwrite(fd, d->bytes + done, d->len - done, (off_t)(off + done));
      if (w <= 0) return rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "memory image: %s", strerror(errno));
      done += (uint64_t)w;
    }
  }
  /* a mapping beyond the end of the file would fault with SIGBUS: keep its size */
  (void)fcntl(fd, F_ADD_SEALS, F_SEAL_SHRINK | F_SEAL_GROW | F_SEAL_SEAL);
  void *v = mmap(NULL, img->hi - img->lo, PROT_READ, MAP_SHARED, fd, (off_t)img->lo);
  img->view = v == MAP_FAILED ? NULL : v; /* without it, resets drop pages (madvise) */
  return true;
}

/* Makes a reserved memory (size 0) its initial `min` pages: zero pages with
 * the image mapped copy-on-write over its part. */
static bool map_initial(rt_memory *mem, const mem_image *img) {
  uint64_t bytes = mem->type.limits.min * PAGE_BYTES;
  if (bytes > img->hi - img->lo && mprotect(mem->base, bytes, PROT_READ | PROT_WRITE) != 0) return false;
  if (img->fd >= 0 && mmap(mem->base + img->lo, img->hi - img->lo, PROT_READ | PROT_WRITE,
                           MAP_PRIVATE | MAP_FIXED | MAP_NORESERVE, img->fd, (off_t)img->lo) == MAP_FAILED)
    return false;
  mem->size = bytes;
  /* record the writes to the initial pages, so a reset restores only those
   * (an image it cannot read back from leaves resets to madvise). Below
   * DIRTY_MIN_BYTES the scan costs more than dropping the few pages the
   * guest wrote and faulting them in again (docs/performance.md) */
  if (bytes >= DIRTY_MIN_BYTES && (img->fd < 0 || img->view)) mem->dirty = rt_dirty_new(mem->base, bytes);
  return true;
}

/* Puts a memory back in its initial state: with a written-page record,
 * copies the initial bytes back into the initial pages written (they stay
 * mapped); without one, drops every page written (the private copies of
 * image pages, which then read from the image again, and the zero pages
 * touched); either way drops the pages memory.grow added and makes them
 * inaccessible again. The mappings stay, so reuse needs no mmap. */
static bool reset_memory(rt_memory *mem, const mem_image *img) {
  uint64_t initial = mem->type.limits.min * PAGE_BYTES;
  if (mem->dirty) { /* the written initial pages get their bytes back and stay mapped */
    if (rt_dirty_restore(mem->dirty, img->view, img->lo, img->hi, NULL)) {
      if (mem->size > initial && madvise(mem->base + initial, mem->size - initial, MADV_DONTNEED) != 0) return false;
    } else { /* the record is lost: drop every page, as without one */
      rt_dirty_free(mem->dirty);
      mem->dirty = NULL;
      if (madvise(mem->base, mem->size, MADV_DONTNEED) != 0) return false;
    }
  } else if (mem->size && madvise(mem->base, mem->size, MADV_DONTNEED) != 0) {
    return false;
  }
  if (mem->size > initial && mprotect(mem->base + initial, mem->size - initial, PROT_NONE) != 0) return false;
  mem->size = initial;
  return true;
}

/* ---- templates ------------------------------------------------------------------ */

void rt_template_free(rt_template *t) {
  if (!t) return;
  if (t->images)
    for (uint32_t i = 0; i < t->m->nmems; i++)
      if (t->images[i].fd >= 0) {
        if (t->images[i].view) munmap((void *)t->images[i].view, t->images[i].hi - t->images[i].lo);
        close(t->images[i].fd);
      }
  free(t->images);
  free(t->imports);
  free(t);
}

rt_template *rt_template_new(const wm_module *m, const rt_config *cfg, const rt_extern *imports,
                               uint32_t nimports, rt_error *err) {
  if (!m->validated) {
    rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "module must be validated before instantiation");
    return NULL;
  }
  static uint64_t next_id;
  rt_template *t = calloc(1, sizeof *t);
  if (t) t->id = __atomic_add_fetch(&next_id, 1, __ATOMIC_RELAXED);
  wrun_instance *probe = rt_instance_alloc(m); /* for checking the imports */
  if (t) {
    t->imports = calloc(m->nimports + 1, sizeof *t->imports); /* NULL below when none are fixed */
    t->images = calloc(m->nmems + 1, sizeof *t->images);
  }
  if (!t || !probe || !t->imports || !t->images) {
    rt_instance_free(probe);
    rt_template_free(t);
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  t->m = m;
  if (cfg) t->cfg = *cfg;
  for (uint32_t i = 0; i < m->nmems; i++) t->images[i].fd = -1;
  bool ok = !imports || rt_link_imports(probe, imports, nimports, err);
  rt_instance_free(probe);
  if (!ok) {
    rt_template_free(t);
    return NULL;
  }
  if (imports) {
    if (nimports) memcpy(t->imports, imports, nimports * sizeof *imports);
  } else if (m->nimports) { /* given to each instantiation */
    free(t->imports);
    t->imports = NULL;
  }
  /* compile now, once, so instances only attach the code (and so threads
   * instantiating at the same time never compile into the module together) */
  if (t->cfg.aot && !rt_tier(RT_TIER_AOT)->prepare_module(m, &t->cfg, err)) {
    rt_template_free(t);
    return NULL;
  }
  t->data_image = data_fits_image(m, &t->cfg);
  for (uint32_t i = m->nimported_mems; t->data_image && i < m->nmems; i++) {
    if (!build_image(m, i, &t->images[i], err)) {
      rt_template_free(t);
      return NULL;
    }
    t->image_bytes += t->images[i].hi - t->images[i].lo;
  }
  return t;
}

const wm_module *rt_template_module(const rt_template *t) { return t->m; }
const rt_config *rt_template_config(const rt_template *t) { return &t->cfg; }
uint64_t rt_template_image_bytes(const rt_template *t) { return t->data_image ? t->image_bytes : 0; }

/* ---- the store's template instances ------------------------------------------- */

static bool remember(wrun_store *s, wrun_instance *inst) {
  if (s->ntinsts == s->cap_tinsts) {
    uint32_t cap = s->cap_tinsts ? s->cap_tinsts * 2 : 8;
    wrun_instance **a = realloc(s->tinsts, cap * sizeof *a);
    if (!a) return false;
    s->tinsts = a;
    s->cap_tinsts = cap;
  }
  s->tinsts[s->ntinsts++] = inst;
  return true;
}

static void forget(wrun_store *s, wrun_instance *inst) {
  for (uint32_t i = 0; i < s->ntinsts; i++)
    if (s->tinsts[i] == inst) {
      s->tinsts[i] = s->tinsts[--s->ntinsts];
      break;
    }
  rt_instance_free(inst);
}

void rt_store_free_templated(wrun_store *s) {
  for (uint32_t i = 0; i < s->ntinsts; i++) rt_instance_free(s->tinsts[i]);
  free(s->tinsts);
  s->tinsts = NULL;
  s->ntinsts = s->cap_tinsts = 0;
}

bool rt_store_owns_templated_memory(const wrun_store *s, const void *addr) {
  const uint8_t *a = addr;
  for (uint32_t i = 0; i < s->ntinsts; i++) {
    const wrun_instance *inst = s->tinsts[i];
    /* imported memories too (they may be another store's), but only of
     * instances in use: a pooled one may hold imports freed since */
    for (uint32_t k = inst->live ? 0 : inst->module->nimported_mems; k < inst->module->nmems; k++) {
      const rt_memory *mem = inst->mems[k];
      if (mem && a >= mem->base && a < mem->base + mem->reserved) return true;
    }
  }
  return false;
}

/* Puts a pooled instance's tables back in their initial state (its memories
 * were reset when it was released): minimum size, empty. */
static void reset_tables(wrun_instance *inst) {
  const wm_module *m = inst->module;
  for (uint32_t i = m->nimported_tables; i < m->ntables; i++) {
    rt_table *tb = inst->tables[i];
    tb->size = m->tables[i].type.limits.min; /* cap only grew past it */
    memset(tb->elems, 0, tb->size * sizeof *tb->elems);
  }
}

/* A new instance of the template linked to `want`, with its definitions
 * created, registered with the store as in use. */
static wrun_instance *fresh_instance(const rt_template *t, wrun_store *s, const rt_extern *want,
                                     rt_error *err) {
  const wm_module *m = t->m;
  wrun_instance *inst = rt_instance_alloc(m);
  if (!inst || !remember(s, inst)) {
    rt_instance_free(inst);
    rt_error_at(err, WRUN_ERR_OOM, WRUN_NO_OFFSET, "out of memory");
    return NULL;
  }
  inst->tmpl = t;
  inst->tmpl_id = t->id;
  inst->pool = s;
  inst->live = true;
  if (!rt_link_imports(inst, want, m->nimports, err)) {
    forget(s, inst);
    return NULL;
  }
  if (!rt_create_definitions(s, inst, true, err)) {
    forget(s, inst);
    return NULL;
  }
  for (uint32_t i = m->nimported_mems; i < m->nmems; i++)
    if (!map_initial(inst->mems[i], &t->images[i])) {
      rt_error_at(err, WRUN_ERR_LIMIT, WRUN_NO_OFFSET, "cannot map memory %u: %s", i, strerror(errno));
      forget(s, inst);
      return NULL;
    }
  if (s->cfg.aot && !rt_tier(RT_TIER_AOT)->attach_instance(s, inst, err)) {
    forget(s, inst);
    return NULL;
  }
  return inst;
}

static wrun_instance *pooled_instance(const rt_template *t, wrun_store *s) {
  for (uint32_t i = s->ntinsts; i-- > 0;)
    if (!s->tinsts[i]->live && s->tinsts[i]->tmpl == t && s->tinsts[i]->tmpl_id == t->id) return s->tinsts[i];
  return NULL;
}

bool rt_instance_release(wrun_store *s, wrun_instance *inst) {
  if (!inst || !inst->tmpl || !inst->live || inst->pool != s) return false;
  inst->live = false;
  const wm_module *m = inst->module;
  for (uint32_t i = m->nimported_mems; i < m->nmems; i++)
    if (!reset_memory(inst->mems[i], &inst->tmpl->images[i])) { /* cannot be reused safely: free it */
      forget(s, inst);
      break;
    }
  return true;
}

/* Whether a pooled instance is linked to exactly these imports. */
static bool same_imports(const wrun_instance *inst, const rt_extern *want) {
  const wm_module *m = inst->module;
  for (uint32_t i = 0; i < m->nimports; i++) {
    const wm_import *im = &m->imports[i];
    const void *have = NULL;
    switch (im->kind) {
    case WASM_EXTERN_FUNC: have = inst->funcs[im->index]; break;
    case WASM_EXTERN_TABLE: have = inst->tables[im->index]; break;
    case WASM_EXTERN_MEMORY: have = inst->mems[im->index]; break;
    case WASM_EXTERN_GLOBAL: have = inst->globals[im->index]; break;
    default: return false;
    }
    if (want[i].kind != im->kind || have != (const void *)want[i].of.func) return false;
  }
  return true;
}

/* Links a pooled instance to the imports of this instantiation. They are
 * checked every time (an object at the address of one freed since may have
 * another type). Translated interpreter code holds imported functions and
 * globals as pointers, so it is dropped when one changed (compiled code
 * reaches them through the instance's arrays). */
static bool relink(wrun_instance *inst, const rt_extern *want, rt_error *err) {
  const wm_module *m = inst->module;
  if (!same_imports(inst, want))
    for (uint32_t i = m->nimported_funcs; i < m->nfuncs; i++) {
      rt_free_func_code(inst->funcs[i]);
    }
  return rt_link_imports(inst, want, m->nimports, err);
}

wrun_instance *rt_template_instantiate_with(const rt_template *t, wrun_store *s, const rt_extern *imports,
                                              uint32_t nimports, rt_error *err) {
  if (s->cfg.aot != t->cfg.aot || s->cfg.interruptible != t->cfg.interruptible ||
      s->cfg.max_memory_bytes != t->cfg.max_memory_bytes) {
    rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET,
                  "store and template configurations differ (aot, interruptible or max memory)");
    return NULL;
  }
  const wm_module *m = t->m;
  const rt_extern *want = imports ? imports : t->imports;
  if (!want) {
    rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "the template was made without imports: pass them");
    return NULL;
  }
  if (imports && nimports != m->nimports) {
    rt_error_at(err, WRUN_ERR_LINK, WRUN_NO_OFFSET, "module needs %u imports, %u given", m->nimports, nimports);
    return NULL;
  }
  s->trap = WRUN_TRAP_NONE;
  wrun_instance *inst = pooled_instance(t, s);
  if (inst) {
    inst->live = true;
    reset_tables(inst);
    /* the template's own imports were checked when it was made and cannot
     * have changed; per-instantiation ones are checked each time */
    if ((imports || !same_imports(inst, want)) && !relink(inst, want, err)) {
      rt_instance_release(s, inst);
      return NULL;
    }
  } else if (!(inst = fresh_instance(t, s, want, err))) {
    return NULL;
  }
  if (!rt_init_definitions(inst, err) || !rt_apply_segments(s, inst, t->data_image, err) ||
      (m->start != WASM_NONE_IDX && !rt_call(s, inst->funcs[m->start], NULL, 0, NULL, 0, err))) {
    rt_instance_release(s, inst);
    return NULL;
  }
  return inst;
}

bool rt_instance_renew(wrun_store *s, wrun_instance *inst, rt_error *err) {
  if (!inst || !inst->tmpl || inst->pool != s)
    return rt_error_at(err, WRUN_ERR_USAGE, WRUN_NO_OFFSET, "only an instance made from a template in this store can be renewed");
  const wm_module *m = inst->module;
  inst->live = false; /* not handed out by pooled_instance meanwhile: nothing runs in between */
  for (uint32_t i = m->nimported_mems; i < m->nmems; i++)
    if (!reset_memory(inst->mems[i], &inst->tmpl->images[i]))
      return rt_error_at(err, WRUN_ERR_LIMIT, WRUN_NO_OFFSET, "cannot reset memory %u: %s", i, strerror(errno));
  inst->live = true;
  reset_tables(inst);
  s->trap = WRUN_TRAP_NONE;
  return rt_init_definitions(inst, err) && rt_apply_segments(s, inst, inst->tmpl->data_image, err) &&
         (m->start == WASM_NONE_IDX || rt_call(s, inst->funcs[m->start], NULL, 0, NULL, 0, err));
}

wrun_instance *rt_template_instantiate(const rt_template *t, wrun_store *s, rt_error *err) {
  return rt_template_instantiate_with(t, s, NULL, 0, err);
}

void rt_store_trim(wrun_store *s) {
  for (uint32_t i = s->ntinsts; i-- > 0;)
    if (!s->tinsts[i]->live) forget(s, s->tinsts[i]);
}

void rt_store_refill(wrun_store *s) {
  s->trap = WRUN_TRAP_NONE;
  s->trap_msg[0] = 0;
  s->exit_code = 0;
  s->ntrace = 0;
  atomic_store_explicit(&s->interrupt, 0, memory_order_relaxed);
  s->fuel_left = (int64_t)(s->cfg.fuel > INT64_MAX ? INT64_MAX : s->cfg.fuel);
}

void rt_store_reset(wrun_store *s) {
  for (uint32_t i = s->ntinsts; i-- > 0;) rt_instance_release(s, s->tinsts[i]);
  rt_store_refill(s);
}

void rt_store_set_data(wrun_store *s, void *data) { s->data = data; }
void *rt_store_data(const wrun_store *s) { return s->data; }
