/*
 * aot.h — the ahead-of-time tier: wasm function bodies compiled to native
 * code, shared by the driver (aot.c), the run-time helpers (helpers.c),
 * artifacts (artifact.c) and the per-ISA code generators (x64/), and the
 * AOT tier's interface to the layers above (the CLI, src/engine).
 *
 * Nothing here is specific to one instruction set: each ISA folder defines
 * an aot_target (lower.h) with its registers, calling convention, CPU
 * features and signal-context access, and src/aot/targets.c is the one place
 * that lists the targets this build has. Every target keeps the same
 * contract: compiled functions reach their instance through a context
 * register holding the aot_ctx and memory 0 through a base register, every
 * register the code generator allocates is preserved by the callee, C
 * helpers are called with the platform C ABI through the table in aot_ctx
 * (no absolute addresses in the code, which keeps it position independent),
 * and the trampoline at the start of every image (AOT_TRAMPOLINE_SIZE bytes)
 * converts from the slot ABI (see x64/target.h for x86-64's registers).
 */
#ifndef WRUN_AOT_AOT_H
#define WRUN_AOT_AOT_H

#define AOT_TRAMPOLINE_SIZE 128

#include <signal.h>
#include <stdbool.h>
#include <stdint.h>

#include "runtime/rt.h"
#include "runtime/tier.h"

/* The run-time helpers compiled code calls (index into aot_ctx.helpers). */
typedef enum aot_helper {
  AOT_H_TRAP,          /* (ctx, kind): records the trap and unwinds; never returns */
  AOT_H_CALL,          /* (ctx, func, slots): calls any function through the slot ABI */
  AOT_H_CALL_INDIRECT, /* (ctx, table, typeidx, elem index, slots): checked indirect call */
  AOT_H_OP,            /* (ctx, slots, op, a, b): out-of-line instruction on stack slots */
  AOT_H_COUNT_
} aot_helper;

/* Per-instance data the generated code reads, at fixed offsets. */
typedef struct aot_ctx {
  uint8_t *mem_base;              /* memory 0 base, or NULL */
  rt_memory *mem0;
  uintptr_t stack_limit;          /* lowest stack pointer allowed (set by aot_invoke) */
  uintptr_t helper_sp;            /* stack pointer at the last helper call (backtraces) */
  const _Atomic int *interrupt;  /* the store's request; compiled code reads it with a plain load (relaxed) */
  rt_global **globals;
  wrun_func **funcs;
  rt_table **tables;
  wrun_store *store;
  wrun_instance *inst;
  const wm_functype **types;    /* the module's function types, by index */
  void *helpers[AOT_H_COUNT_];
} aot_ctx;

/* Compile options that change the generated code (recorded in artifacts). */
enum {
  AOT_OPT_INTERRUPTIBLE = 1,      /* loop heads check ctx->interrupt */
  AOT_OPT_BOUNDS_CHECKS = 2,      /* explicit memory bounds checks instead of guard pages */
  AOT_OPT_OPTIMIZE = 4,           /* the optimizing pipeline (docs/aot-ir.md), one-pass where it cannot */
};

/* Instruction sets (recorded in artifacts). Each has its own CPU feature
 * bits, defined by its target (x64/target.h: X64_CPU_*). */
enum { AOT_ARCH_X86_64 = 1, AOT_ARCH_AARCH64 = 2 };

/* A code generator for one instruction set (lower.h). */
typedef struct aot_target aot_target;

/* The target of the machine wrun runs on, or NULL when this build has no
 * backend for it; the target of an AOT_ARCH_* (NULL: not in this build). */
const aot_target *aot_target_host(void);
const aot_target *aot_target_for_arch(uint32_t arch);
/* The AOT_ARCH_* of the machine this wrun runs on (0: none known). */
uint32_t aot_host_arch(void);
/* "x86-64", "aarch64", or "unknown". */
const char *aot_arch_name(uint32_t arch);
/* The names of the CPU feature bits `cpu` of `arch` ("SSE4.1 POPCNT"), or
 * "" when none are set or arch is not in this build. */
void aot_cpu_names(uint32_t arch, uint32_t cpu, char *buf, size_t size);

/* An on-stack replacement entry: enters a function at the head of the loop
 * whose opcode is at module offset wasm_off, with its locals and operand
 * stack taken from an interpreter frame (the argument-slot pointer of the
 * call points at the frame: locals from slot 0, then the operand stack, in
 * the interpreter's layout, interp.h). The function then runs to its end and
 * returns like a call. */
typedef struct aot_osr {
  uint32_t func;                  /* defined-function number (image) */
  uint32_t wasm_off;
  uint32_t code_off;              /* from the start of the function (aot_func_out) or image */
} aot_osr;

/* The native code of a module: position independent (everything
 * instance-specific is reached through the context register), so one read+execute mapping
 * serves every instance. The C -> compiled-code trampoline sits at offset 0.
 * An image compiled for another instruction set than the host's is never
 * mapped: its code stays in a plain buffer, to be written as an artifact
 * (aot_artifact_write), and instances refuse it. */
typedef struct aot_image {
  uint8_t *mem;                   /* the code: the mapping (read+execute once built) when
                                   * executable, else a malloc'd buffer of code_size bytes */
  size_t map_size;                /* bytes mapped (0 when not executable) */
  bool executable;                /* mem is a read+execute mapping of code for this machine */
  uint32_t code_size;             /* bytes of code at the start of mem */
  uint32_t nfuncs;                /* defined functions */
  uint32_t *func_off;             /* 2 x nfuncs: the entry offset of each defined function
                                   * (ascending), then each one's frame size (backtraces) */
  uint32_t options;               /* AOT_OPT_* */
  uint32_t arch;                  /* AOT_ARCH_* of the code */
  uint32_t cpu;                   /* CPU features (of arch) the code relies on */
  double compile_ms;              /* time spent compiling (0 when loaded) */
  double compile_cpu_ms;          /* CPU time of every thread compiling it (0 when loaded) */
  uint32_t nopt;                  /* functions compiled by the optimizing pipeline (0 when loaded) */
  bool from_artifact;
  aot_osr *osr;                   /* OSR entries (image offsets) by function and offset; only
                                   * images compiled for tiered execution have them (not
                                   * written to artifacts) */
  uint32_t nosr;
  uint8_t *codemap;               /* pc -> wasm position maps of every function (codemap.h), or NULL */
  uint32_t codemap_size;
  uint32_t *codemap_off;          /* nfuncs + 1: where each function's map starts in codemap (NULL: none) */
} aot_image;

/* Per-instance state of compiled code: owned by the instance. */
typedef struct aot_code {
  aot_ctx ctx;
  const aot_image *img;           /* owned by the module */
  const wm_functype **types;    /* the module's function types, by index */
  /* the C -> compiled-code trampoline; result: 0 in slots, 1 general register, 2 float register */
  void (*enter)(aot_ctx *ctx, const void *fn, uint64_t *slots, int result);
} aot_code;

/* The AOT_OPT_* options this build needs for a store configuration. */
uint32_t aot_options_for(const rt_config *cfg);

/* Compiles every defined function of `m` into an executable image for the
 * host (aot_target_host). False
 * (with a message in err) when a function cannot be compiled, the CPU lacks
 * a required feature, or memory runs out. */
bool aot_compile_module(const wm_module *m, uint32_t options, aot_image **out, rt_error *err);

/* aot_compile_module for tiered execution (src/engine/tierup.c): with OSR
 * entries, and giving up (false, no error text needed) as soon as *cancel
 * becomes nonzero (checked between functions). */
bool aot_compile_module_tiered(const wm_module *m, uint32_t options, const volatile int *cancel, aot_image **out,
                               rt_error *err);

/* The OSR entry of defined function `index` (module numbering) of inst for
 * the loop at module offset wasm_off, or NULL. */
const void *aot_osr_entry(const wrun_instance *inst, uint32_t index, uint32_t wasm_off);

/* aot_invoke entering f's code at `entry` (its aot_entry or an OSR entry,
 * whose argument slots are then f's interpreter frame). */
bool aot_invoke_at(wrun_store *s, wrun_func *f, uint64_t *sp, const void *entry);

/* Places serialized code for this machine (code_size bytes, entries at
 * func_off) in a fresh executable mapping; takes ownership of func_off. */
aot_image *aot_image_from_code(const uint8_t *code, uint32_t code_size, uint32_t nfuncs, uint32_t *func_off,
                               uint32_t options, uint32_t cpu, rt_error *err);

/* Releases an image (NULL allowed). */
void aot_image_free(aot_image *img);

/* Attaches `img` to `m` (which then owns it) as its compiled code. */
void aot_attach_image(wm_module *m, aot_image *img);

/* The AOT tier's operations for the runtime (tier.h; registered by src/engine). */
extern const rt_tier_ops aot_tier_ops;

/* Makes `inst` run compiled code: uses the module's image (compiling it
 * first if it has none) and sets every defined function's aot_entry. */
bool aot_compile_instance(wrun_store *s, wrun_instance *inst, rt_error *err);

/* How many functions of `inst` run compiled (0 when it was not compiled). */
uint32_t aot_compiled_count(const wrun_instance *inst);

/* Releases an instance's compiled-code state (NULL allowed). */
void aot_code_free(aot_code *c);

/* Runs compiled function `f` with arguments in slots at `sp` (results written
 * there). False on a trap, recorded in the store. */
bool aot_invoke(wrun_store *s, wrun_func *f, uint64_t *sp);

/* Replaces the entry frame aot_invoke recorded for `ex` in the store's frame
 * stack with every compiled frame active at (pc, sp): the function holding pc
 * and its callers up to the entry function, found from the frame sizes in
 * the image. Reads only the stack and writes only preallocated frames, so a
 * signal handler may call it. Does nothing when pc is not in compiled code. */
void aot_capture_frames(rt_exec *ex, uintptr_t pc, uintptr_t sp);

/* After a call from compiled code through the runtime (a host function,
 * the interpreter, another instance) ended in a trap: the trace then holds
 * only the entry frame of ex's compiled code; this replaces it with every
 * compiled frame active at the call, found from (pc, sp) as
 * aot_capture_frames does (pc: the call's return address minus one). */
void aot_trace_after_call(rt_exec *ex, uintptr_t pc, uintptr_t sp);

struct codemap_frame;
/* The wasm frames at pc in the image's function k (pc counted from the
 * image's start; a return address minus one for callers): out[0].woff is
 * k's own module offset, out[1..] inlined callees, outermost first, with
 * function indices of the module. Returns how many (at least 1). */
uint32_t aot_image_position(const aot_image *img, uint32_t k, uint32_t module_start, uintptr_t pc,
                            struct codemap_frame *out, uint32_t max);

/* Walks compiled frames by their frame records, innermost first, calling
 * visit(arg, k, pos) with the defined-function number k of each and its
 * position pos (pc for the first, a return address minus one below; at most max;
 * returns how many): the frame holding pc, then the caller each record's
 * return address names. A record is 16 bytes at the frame pointer fp: the
 * caller's frame pointer, then the return address (AArch64's x29/x30 pair;
 * x86-64's rbp chain has the same shape). Every function is expected to
 * store its record within its first record_after bytes: before that (a pc
 * that close to its entry) fp is still the caller's and the return address
 * is in the link register lr. A record is followed only while it is 16-byte
 * aligned, at or above sp and above the last one, and ends at or below
 * stack_hi, so a damaged chain stops the walk; it ends where a return
 * address leaves the image. Reads only [sp, stack_hi) and calls visit:
 * safe in a signal handler if visit is. */
uint32_t aot_walk_frame_records(const aot_image *img, uintptr_t pc, uintptr_t sp, uintptr_t fp, uintptr_t lr,
                                uint32_t record_after, uintptr_t stack_hi,
                                void (*visit)(void *arg, uint32_t k, uintptr_t pos), void *arg, uint32_t max);

/* Fills the helper table of a context. */
void aot_init_helpers(aot_ctx *ctx);

/* The CPU features of the machine we run on, as its target's bits (0 when
 * this build has no backend for it). */
uint32_t aot_host_cpu(void);

/* ---- artifacts (artifact.c) --------------------------------------------------- */

/* True when bytes start like a compiled artifact. */
bool aot_is_artifact(const uint8_t *bytes, size_t len);

/* Serializes module bytes and image into an artifact (malloc'd, *len bytes). */
uint8_t *aot_artifact_write(const wm_module *m, const aot_image *img, size_t *len, rt_error *err);

/* Checks and loads an artifact: the module (decoded, marked validated) with
 * its image attached. NULL with a located error for anything truncated,
 * damaged, or built by another wrun version, for another CPU or options.
 * The checks catch damage, not tampering: the native code is run as it is,
 * so call this only for bytes the user trusts (--allow-precompiled) or that
 * the compile cache has authenticated. */
wm_module *aot_artifact_load(const uint8_t *bytes, size_t len, rt_error *err);

/* Only the code of a core artifact, for the compile cache (whose entries are
 * authenticated before this is called): every check of aot_artifact_load on
 * the header and the code section, and the recorded module hash must equal
 * `module_hash` and the function count `nfuncs`; the module section is not
 * read. NULL with a located error. */
aot_image *aot_artifact_load_image(const uint8_t *bytes, size_t len, const uint8_t module_hash[32], uint32_t nfuncs,
                                   rt_error *err);

/* What an artifact's header says about it, for `wrun inspect`. */
typedef struct aot_artifact_info {
  uint32_t format;                /* format version */
  uint32_t arch;                  /* AOT_ARCH_* */
  uint32_t cpu;                   /* CPU features (of arch) the code needs */
  uint32_t options;               /* AOT_OPT_* it was compiled with */
  char version[17];               /* wrun version that wrote it */
  uint8_t module_hash[32];        /* SHA-256 of the module, as recorded */
  bool loadable;                  /* this wrun on this machine would load it */
  bool sections_read;             /* the sections below were inflated and their CRCs match */
  bool hash_ok;                   /* the module section hashes to module_hash */
  uint32_t nfuncs, code_size;     /* compiled functions, bytes of native code */
  uint8_t *module;                /* the embedded module binary (malloc'd), or NULL */
  size_t module_len;
  bool component;                 /* a compiled component: `module` is the component binary,
                                   * module_hash its hash, nfuncs and code_size sums */
  uint32_t nmodules;              /* component: core modules with code */
} aot_artifact_info;

/* Reads an artifact's header (checking magic and header CRC) and, when its
 * format version is this wrun's, its sections (checking their CRCs). Unlike
 * aot_artifact_load it accepts artifacts of other versions and machines, and
 * maps no code. False with a located error when the header or a section is
 * damaged. Free with aot_artifact_info_free. */
bool aot_artifact_describe(const uint8_t *bytes, size_t len, aot_artifact_info *info, rt_error *err);
void aot_artifact_info_free(aot_artifact_info *info);

/* ---- component artifacts (artifact.c): a component binary and the code of
 * each of its core modules in one file ----------------------------------------- */

#define AOT_MAX_COMPONENT_MODULES 100000u

/* True when bytes start like a compiled component. */
bool aot_is_component_artifact(const uint8_t *bytes, size_t len);

/* Serializes component bytes and the images of its n core modules mods[k]
 * (all compiled with the same options) into one artifact (malloc'd). */
uint8_t *aot_component_artifact_write(const uint8_t *comp, size_t comp_len, uint32_t n,
                                      const wm_module *const *mods, const aot_image *const *imgs, size_t *len,
                                      rt_error *err);

/* Checks a component artifact's header (as aot_artifact_load does) and
 * section table, and inflates the component binary into *comp (malloc'd,
 * checked against the recorded hash); *nmodules is the number of code
 * sections. False with a located error. Trust rules as for aot_artifact_load. */
bool aot_component_artifact_open(const uint8_t *bytes, size_t len, uint8_t **comp, size_t *comp_len,
                                 uint32_t *nmodules, rt_error *err);

/* The code of core module k of an opened artifact, mapped, after checking
 * that it was compiled from a module whose bytes hash to module_hash. NULL
 * with a located error. */
aot_image *aot_component_artifact_code(const uint8_t *bytes, size_t len, uint32_t k, const uint8_t module_hash[32],
                                       rt_error *err);

/* ---- code generation (per ISA) --------------------------------------------- */

/* What the generator needs about a function it compiles. */
typedef struct aot_func_in {
  const wm_module *m;
  uint32_t index;                 /* function index in the module */
  bool bounds_checks;             /* explicit memory bounds checks (no guard pages) */
  bool interruptible;             /* check ctx->interrupt at loop heads */
  bool osr;                       /* emit an on-stack replacement entry per loop head */
  uint32_t min_frame;             /* a frame of at least this many bytes (optimizing pipeline, x86-64:
                                   * both copies of a tiered function unwind with one size, osrcopy.c) */
} aot_func_in;


/* A call to another function of the module: patch rel32 at `at` with the
 * entry of function `callee` once all are placed. */
typedef struct aot_reloc {
  uint32_t at;
  uint32_t callee;
} aot_reloc;

/* Compiled body of one function, position independent except for relocs. */
typedef struct aot_func_out {
  uint8_t *code;
  uint32_t size;
  uint32_t frame;                 /* bytes the prologue subtracts from the stack pointer */
  aot_reloc *relocs;
  uint32_t nrelocs;
  aot_osr *osr;                   /* with aot_func_in.osr: one entry per live loop head */
  uint32_t nosr;
  uint8_t *map;                   /* pc -> wasm position map (codemap.h; malloc'd), or NULL */
  uint32_t map_size;
} aot_func_out;

#endif
