/*
 * isa.h — the optimizing pipeline's target interface at the level of
 * instruction selection (docs/aot-ir.md), and the state the shared half
 * (ra.c, emit.c) hands a backend while a function is emitted.
 *
 * Everything above this interface is shared by every ISA: building the IR,
 * the passes, block order, register allocation over SSA values, SSA
 * destruction (phi moves, sequentialized with cycle breaking). A backend
 * (src/aot/<isa>/isel.c) describes its register file, says which IR
 * instructions it can select, and emits code for one instruction, one
 * move or one terminator at a time, with its own encoder (x64/asm.c,
 * arm64/asm.c). The machine facts (arch, CPU features, gap filler, call
 * linking, signal context, the entry trampoline) stay in struct aot_target
 * (lower.h), which both compilers of an ISA share: `machine` points to it.
 */
#ifndef WRUN_AOT_IR_ISA_H
#define WRUN_AOT_IR_ISA_H

#include "aot/ir/ir.h"
#include "aot/lower.h"

/* Register classes of the allocator: general (i32, i64, references), float
 * (f32, f64) and vector (v128). A backend with no registers for a class
 * (nalloc 0) gets every value of it in a frame slot; a v128 slot is 16
 * bytes (two consecutive 8-byte slots). */
enum { IR_CL_G, IR_CL_F, IR_CL_V, IR_NCLASS };
static inline int ir_cls(uint8_t t) {
  return t == IR_F32 || t == IR_F64 ? IR_CL_F : t == IR_V128 ? IR_CL_V : IR_CL_G;
}

/* Where a value is: a register, a frame slot, a constant (constants are
 * rematerialized where used and never occupy a register), or the backend's
 * scratch register of the class (used only by moves, to break cycles). */
typedef enum { IR_LOC_NONE, IR_LOC_REG, IR_LOC_SLOT, IR_LOC_CONST, IR_LOC_SCRATCH } ir_loc_kind;
typedef struct ir_loc {
  uint8_t kind, type;
  int8_t reg;
  int32_t slot;
  uint64_t imm;
} ir_loc;

/* A move of a value split around a loop (ra.c, "Splitting around loops"):
 * the value keeps its register outside the loop and lives in `slot` inside
 * it, which it does not use. IR_RA_STORE: register to slot at the end of a
 * block entering the loop, before the phi moves; IR_RA_RELOAD: slot to
 * register at the end of a block leaving it, after the phi moves;
 * IR_RA_RELOAD_START: slot to register at the start of a block (with one
 * predecessor) the loop exits to. */
enum { IR_RA_STORE, IR_RA_RELOAD, IR_RA_RELOAD_START };
typedef struct ir_ra_move {
  uint32_t v;
  int32_t slot;
  uint8_t at;
} ir_ra_move;

/* What register allocation decided (ra.c). */
typedef struct ir_ra {
  int8_t *reg;                   /* per value: register or -1 */
  int32_t *slot;                 /* per value: spill slot or -1 */
  uint32_t nslots;               /* spill slots used (8 bytes each; a v128 takes two) */
  uint32_t used[IR_NCLASS];      /* registers assigned, as bit sets (the callee saves them) */
  ir_ra_move *moves;             /* split moves by block: block b's are moves[mfirst[b]..mfirst[b+1]) */
  uint32_t *mfirst;              /* (NULL when there are none) */
} ir_ra;

typedef struct aot_isa aot_isa;

/* A branch whose target block is not placed yet. */
typedef struct ir_fixup { uint32_t at, block; } ir_fixup;

/* The state of emitting one function, shared by emit.c and the backend. */
typedef struct ir_gen {
  const aot_isa *isa;
  const ir_func *f;
  const ir_ra *ra;
  const aot_func_in *in;
  const wm_functype *ft;
  aot_buf b;
  uint32_t *block_pos;           /* code offset of each block (UINT32_MAX until placed) */
  uint32_t *fwd;                 /* per block: the block a jump to it really goes to (itself,
                                  * or past an edge block with nothing to move) */
  ir_fixup *fix;
  uint32_t nfix, capfix;
  site_list traps[WRUN_TRAP_INTERRUPTED + 1];
  aot_reloc *relocs;
  uint32_t nrelocs, caprelocs;
  uint32_t nout;                 /* outgoing argument slots the calls need */
  aot_osr *osr;                  /* OSR entries emitted (ir_gen_osr_entry), handed to aot_func_out */
  uint32_t nosr, caposr;
  bool fail;
  void *isa_state;
  struct codemap_builder *map;   /* pc -> wasm positions (codemap.h): emit.c marks each instruction
                                  * that may trap or call; backends give trap stubs their sites' */
} ir_gen;

struct aot_isa {
  const char *name;
  const aot_target *machine;     /* arch, CPU features, fill, link_call, signal_pc_sp, trampoline */
  /* the register file: allocatable registers per class in order of preference */
  const int8_t *alloc[IR_NCLASS];
  uint32_t nalloc[IR_NCLASS];
  /* vector values take the float class's registers (alloc[IR_CL_F]; x86-64
   * xmm, AArch64 v/d overlap): the two classes are allocated in one scan,
   * and used[IR_CL_V] tells which registers held a vector */
  bool vec_in_float_regs;
  /* can this backend select instruction i? (otherwise the function is compiled by the one-pass compiler) */
  bool (*supports)(const ir_func *f, const ir_ins *i);
  /* emission, in block order: begin once, then per block `block`, its
   * instructions (`ins`; phis are not passed), the phi moves (`move`,
   * already sequentialized) and its terminator (`term`, told which block
   * follows so a jump to it can be left out); then finish. */
  bool (*begin)(ir_gen *g);
  void (*block)(ir_gen *g, uint32_t b);
  void (*ins)(ir_gen *g, uint32_t v);
  void (*move)(ir_gen *g, ir_loc dst, ir_loc src);
  void (*term)(ir_gen *g, uint32_t v, uint32_t next);
  bool (*finish)(ir_gen *g, aot_func_out *out);
  /* optional: emits the epilogue here, for the returns emitted so far and
   * any later (finish then emits none). emit.c calls it after the body of a
   * function with OSR entries, which follow it, so the body's last return
   * falls into the epilogue as it does without entries. */
  void (*epilogue)(ir_gen *g);
  /* frees g->isa_state and what it owns (always called, also after a failure) */
  void (*release)(ir_gen *g);
};

/* Unsigned division of an N-bit value (N = 32 or 64) by a constant d that
 * is not a power of two, as a multiplication (Granlund and Montgomery):
 * with l = ceil(log2 d) and m = floor(2^N (2^l - d) / d) + 1 (N bits),
 * t = high half of m*n, then n / d = (t + ((n - t) >> 1)) >> (l - 1) for
 * every n. Sets *l and returns m. Both ISAs' selection use it. */
static inline uint64_t ir_udiv_magic(uint64_t d, bool wide64, unsigned *l) {
  *l = 64u - (unsigned)__builtin_clzll(d - 1);
  if (!wide64) return ((((uint64_t)1 << *l) - d) << 32) / d + 1;
  uint64_t two_l_minus_d = *l == 64 ? (uint64_t)0 - d : ((uint64_t)1 << *l) - d;
  return (uint64_t)((((unsigned __int128)two_l_minus_d) << 64) / d) + 1;
}

/* Calls (docs/aot.md, "Calling convention (internal)"). A callee reads
 * the argument-slot pointer (x86-64 rax, AArch64 x0) at entry only when
 * its type has an argument beyond the register ones or a v128 argument, or
 * results that do not come back in a register: in both compilers of an ISA
 * that is a property of the type alone, so a direct call of any other
 * callee leaves the pointer unset. */
static inline bool ir_callee_reads_slots(const aot_target *t, const wm_functype *ft) {
  if (ft->nresults && !aot_result_in_reg(ft)) return true;
  for (uint32_t k = 0; k < ft->nparams; k++)
    if (!aot_arg_in_reg(t, (int32_t)k, wm_functype_params(ft)[k])) return true;
  return false;
}

/* A leaf (a function that calls nothing: no wasm call, no host or
 * indirect call, no C helper besides the trap stubs' h_trap, which never
 * returns) whose frame is at most this many bytes skips the stack-limit
 * check in its prologue. Bound: the limit (aot.c, stack_floor) lies at
 * least 256 KiB above the thread's stack end, every function that calls
 * checks its own frame against it before calling, and the trampoline runs
 * above it, so a leaf starts at or above limit - 8 (its return address) and
 * stays above limit - 8 - IR_LEAF_FRAME_MAX; h_trap and the signal handler
 * still have over 250 KiB below that. Leaves do not recurse, so this adds
 * at most one unchecked frame to any chain of calls. */
#define IR_LEAF_FRAME_MAX 4096u

/* The location of value v. */
ir_loc ir_loc_of(const ir_gen *g, uint32_t v);
/* The block a branch to b goes to (edge blocks without moves are skipped). */
static inline uint32_t ir_gen_target(const ir_gen *g, uint32_t b) { return g->fwd[b]; }
/* Does a branch to block a do what one to block b does: the same block
 * after forwarding, or edge blocks into one block moving the same things
 * into its phis? (Lets br_table lowering count targets, not edges.) */
bool ir_gen_same_dest(const ir_gen *g, uint32_t a, uint32_t b);
/* Branches on the i32.and / i32.or of two compares (an integer compare or
 * eqz) computed right before the and/or, each used only there, become two
 * compare-and-branches: marks fused[and/or] = 3 and fused[compare] = 1 for
 * each. Compares are pure, so skipping the second changes nothing, unless
 * the backend fused into it something that can trap: `rules_out`, when not
 * NULL, says an argument of a compare rules the pair out. `uses` counts
 * each value's uses. Both backends' begin call it. */
void ir_gen_fuse_and_or_branches(const ir_func *f, const uint32_t *uses, uint8_t *fused,
                                 bool (*rules_out)(const uint8_t *fused, uint32_t arg));
/* br_table plans both backends emit (block bl ends in the br_table; its
 * last successor is the default). Runs: consecutive cases with the same
 * destination, ascending, the default's [n, 2^32) as the last; run r ends at
 * case hi[r] and goes to succ[r]. Returns how many, or 0 when more than
 * max (arrays of max entries). */
uint32_t ir_gen_switch_runs(const ir_gen *g, const ir_block *bl, uint32_t max, uint32_t *hi, uint32_t *succ);
/* Masks: for a table of at most 64 cases, the destinations other than the
 * default's (at most max, into tg) and the cases going to each (bit k of
 * mask[j]). False when it does not fit. */
bool ir_gen_switch_masks(const ir_gen *g, const ir_block *bl, uint32_t max, uint32_t *tg, uint64_t *mask,
                         uint32_t *nt);
/* The type of the function a call instruction (CALL, CALL_HOST,
 * CALL_INDIRECT) calls. */
const wm_functype *ir_gen_callee_type(const ir_gen *g, const ir_ins *c);
/* Slots the first n results of type ft take (two per v128): where result n
 * of a call of several results sits in the outgoing slots. */
uint32_t ir_gen_result_slots(const wm_functype *ft, uint32_t n);
/* Outgoing slots a call or C helper instruction i needs: its arguments and
 * the results a call writes back to the same slots (two per v128; at least
 * two for helpers, which may return a pair). */
uint32_t ir_gen_call_slots(const ir_gen *g, const ir_ins *i);
/* The registers of class cls the body writes: those of live values that
 * have one, except values fused into their user (fused[v] != 0: compares
 * into branches, loads into operands, call results and arguments left in
 * the call's registers), which keep an assignment but are never put there.
 * The prologue saves only the callee-saved ones among these. */
uint32_t ir_gen_written_regs(const ir_gen *g, const uint8_t *fused, int cls);
/* Records a branch at code offset `at` to block b (patched by the backend's finish). */
void ir_gen_fixup(ir_gen *g, uint32_t at, uint32_t block);
void ir_gen_reloc(ir_gen *g, uint32_t at, uint32_t callee);
/* Records that the OSR entry of the loop at module offset loop_off starts
 * at the current code offset (a backend's OSR_ENTRY, before its prologue). */
void ir_gen_osr_entry(ir_gen *g, uint64_t loop_off);

/* Register allocation: linear scan over live intervals of SSA values
 * (ra.c). False when out of memory or the function is too large. */
bool ir_regalloc(const ir_func *f, const aot_isa *isa, ir_ra *out);
void ir_ra_free(ir_ra *ra);

/* The backend of an ISA for the optimizing pipeline (targets.c). */
const aot_isa *aot_isa_for(const aot_target *t);

/* Compiles function in->index through the IR: 1 compiled, 0 not supported
 * (the caller uses the one-pass compiler; why says what), -1 error (err). */
int aot_ir_compile_func(const aot_isa *isa, const aot_func_in *in, aot_func_out *out, char *why, size_t whysz,
                        rt_error *err);

/* aot_ir_compile_func for tiered execution (in->osr; osrcopy.c): a function
 * with loops gets two copies in its code range, the code --aot --opt makes
 * (its entry, for every call) and after it the copy with the OSR entries. */
int aot_ir_compile_tiered(const aot_isa *isa, const aot_func_in *in, aot_func_out *out, char *why, size_t whysz,
                          rt_error *err);

#endif
