/*
 * ir.h — the optimizing AOT pipeline's SSA intermediate representation,
 * shared by every instruction set (docs/aot-ir.md).
 *
 * A function is an array of instructions (a value is the index of the
 * instruction defining it) and an array of blocks, each an ordered list of
 * instruction indices: phis first, then the body, then one terminator.
 * Block successors live in the block (succ[]); a phi's i-th argument comes
 * from the block's i-th predecessor (pred[]). All memory of a function is
 * owned by its arena and released at once by ir_func_free.
 *
 * The op table below is the one list of operations: each row generates the
 * enum, the name and the properties. Numeric operations are generated from
 * the value-semantics lists (semantics/ops.h) both tiers use, so constant
 * folding computes with the interpreter's own expressions.
 */
#ifndef WRUN_AOT_IR_IR_H
#define WRUN_AOT_IR_IR_H

#include <stdbool.h>
#include <stddef.h>
#include <stdint.h>

#include "binary/opcodes.h"
#include "semantics/ops.h"

/* Value types. References (funcref, externref) are IR_I64: a pointer or 0
 * for null, in a general register. IR_V128 is the third register class; a
 * backend without one refuses every instruction ir_ins_v128 reports. */
typedef enum { IR_VOID, IR_I32, IR_I64, IR_F32, IR_F64, IR_V128 } ir_type;

/* Properties of an op. */
enum {
  IRF_PURE = 1,   /* no effect, cannot trap: removable when unused, numbered by GVN, movable */
  IRF_TERM = 2,   /* ends a block */
  IRF_EFFECT = 4, /* writes memory/globals, calls, or may trap: never removed or moved */
  IRF_COMM = 8,   /* commutative */
  IRF_READ = 16,  /* reads memory or globals: not numbered, not moved across effects */
  IRF_CMP = 32,   /* a comparison producing i32 0/1 (may fuse into a branch) */
};

/* The structural rows: X(name, number of fixed arguments (-1: variable), flags). */
#define IR_BASE_OPS(X)                                                                             \
  X(CONST, 0, IRF_PURE)          /* imm: the bits */                                               \
  X(PARAM, 0, IRF_PURE)          /* imm: parameter index */                                        \
  X(PHI, -1, 0)                  /* one argument per predecessor */                                \
  X(LOAD, 1, IRF_EFFECT | IRF_READ)  /* args: addr; wop: the wasm load; imm: offset (may trap) */  \
  X(STORE, 2, IRF_EFFECT)        /* args: addr, value; wop: the wasm store; imm: offset */         \
  X(GLOBAL_GET, 0, IRF_READ)     /* imm: global index */                                           \
  X(GLOBAL_SET, 1, IRF_EFFECT)   /* imm: global index */                                           \
  X(DIV, 2, IRF_EFFECT)          /* wop: the wasm division/remainder (traps) */                    \
  X(SELECT, 3, IRF_PURE)         /* args: a, b, cond: cond ? a : b */                              \
  X(I64_MULHU, 2, IRF_PURE | IRF_COMM) /* args: a, b (i64): the high 64 bits of the unsigned 128-bit  \
                                  * product; formed by widemul.c for a backend whose supports takes it */ \
  X(I64_MULHS, 2, IRF_PURE | IRF_COMM) /* the same, signed (both read as two's complement) */           \
  X(CALL, -1, IRF_EFFECT)        /* imm: function index; one result, or void and RESULTs after */ \
  X(CALL_HOST, -1, IRF_EFFECT)   /* a call through the runtime (imports); imm: function index */   \
  X(CALL_INDIRECT, -1, IRF_EFFECT) /* args: arguments, then the element index; imm: type, aux: table */ \
  X(HOP, -1, IRF_EFFECT)         /* wop done by the runtime's out-of-line helper; imm, aux: its immediates */ \
  X(POLL, 0, IRF_EFFECT)         /* interrupt check (loop heads, --timeout) */                     \
  X(RESULT, 1, IRF_EFFECT | IRF_READ) /* args: a call of several results (typed void), right before; \
                                  * imm: which result. Follows its call with nothing in between */ \
  X(REF_FUNC, 0, IRF_PURE)       /* imm: function index: the funcref of the instance's function */ \
  X(JMP, 0, IRF_TERM)            /* succ[0] */                                                     \
  X(BR, 1, IRF_TERM)             /* args: cond; succ[0] if cond != 0 else succ[1] */               \
  X(SWITCH, 1, IRF_TERM)         /* args: index; succ[i], the last one the default */              \
  X(RET, -1, IRF_TERM)           /* the function's results */                                      \
  X(TRAP, 0, IRF_TERM)           /* imm: rt_trap_kind */                                         \
  /* on-stack replacement (aot_func_in.osr; osr.c): block 0 ends in ENTRY, which goes on to   \
   * succ[0], the body; succ[1..] are OSR entry blocks, entered only from the interpreter:     \
   * each starts with OSR_ENTRY, then OSR_LOADs and nothing else before them */                 \
  X(ENTRY, 0, IRF_TERM)          /* the function entry: continues at succ[0] */                   \
  X(OSR_ENTRY, 0, IRF_EFFECT)    /* imm: module offset of the loop; the prologue, the entry's address */ \
  X(OSR_LOAD, 0, IRF_READ)       /* imm: slot position in the interpreter frame (8 bytes each) */ \
  X(MEM_BYTES, 0, IRF_READ)      /* memory 0's current size in bytes (i64): the vectorizer's guard */

/* The SIMD rows: one IR op per wasm 0xFD instruction, of the same name
 * (IR_I32X4_ADD), generated from opcodes.def (the prefix selects the rows).
 * Operands and result by the opcode's signature (wm_opinfos[].sig, v128
 * operands typed IR_V128); immediates: memory access (flag IRF_EFFECT |
 * IRF_READ, they may trap): imm = offset, aux = lane; IMM_LANE: imm = lane;
 * i8x16.shuffle and v128.const: imm = the offset of the 16 immediate bytes
 * in the module's bytes (v128.const with imm UINT64_MAX is zero). All others
 * are IRF_PURE. */
#define IR_SIMD_PICK_0x00(id, imm)
#define IR_SIMD_PICK_0xFC(id, imm)
#define IR_SIMD_PICK_0xFD(id, imm) IR_SIMD_ROW(id, imm)
#define IR_SIMD_PASTE_(a, b) a##b
#define IR_SIMD_PICK(prefix, id, imm) IR_SIMD_PASTE_(IR_SIMD_PICK_, prefix)(id, imm)

/* The numeric rows come from semantics/ops.h: one IR op per wasm numeric op,
 * of the same name (IR_I32_ADD), unary (SEM_UNOPS) or binary. */
typedef enum ir_op {
#define X(name, n, f) IR_##name,
  IR_BASE_OPS(X)
#undef X
#define X(id, ta, tr, e) IR_##id,
  SEM_INT_BINOPS(X) SEM_FLOAT_BINOPS(X) SEM_BITS_BINOPS(X) SEM_UNOPS(X)
#undef X
  IR_SIMD_FIRST_,
  IR_SIMD_BEFORE_ = IR_SIMD_FIRST_ - 1,
#define IR_SIMD_ROW(id, imm) IR_##id,
#define OP(id, name, prefix, code, imm, arg, sig) IR_SIMD_PICK(prefix, id, imm)
#include "binary/opcodes.def"
#undef OP
#undef IR_SIMD_ROW
  IR_NOPS_
} ir_op;

/* The SIMD ops (a backend without a v128 class refuses them). */
static inline bool ir_op_is_simd(uint32_t op) { return op >= IR_SIMD_FIRST_ && op < IR_NOPS_; }
/* The wasm opcode of a SIMD op, and back. */
wm_opcode ir_simd_wasm_op(uint32_t op);
uint32_t ir_simd_op(wm_opcode op);

typedef struct ir_opinfo {
  const char *name;
  int8_t nargs;
  uint8_t flags;
} ir_opinfo;
extern const ir_opinfo ir_opinfos[IR_NOPS_];

/* One instruction, which is also the value it defines. */
typedef struct ir_ins {
  uint16_t op;                   /* ir_op */
  uint8_t type;                  /* ir_type of the result (IR_VOID: none) */
  uint8_t dead;                  /* removed by a pass */
  uint16_t wop;                  /* LOAD/STORE/DIV/HOP: the wasm opcode */
  uint16_t inl;                  /* copied in by inlining: its ir_func.sites entry + 1, else 0 */
  uint32_t aux;                  /* CALL_INDIRECT: table; HOP: second immediate; SIMD memory: lane */
  uint32_t block;
  uint32_t nargs;
  uint32_t woff;                 /* module offset of the wasm instruction it came from (of the
                                  * inlined callee when inl is set): positions for backtraces */
  uint32_t *args;                /* value indices (arena) */
  uint64_t imm;
} ir_ins;

typedef struct ir_block {
  uint32_t *ins, nins, capins;   /* instruction indices, phis first, terminator last (arena:
                                  * grow with ir_block_reserve, never realloc or free) */
  uint32_t *pred, npred, cappred; /* (arena, as ins) */
  uint32_t *succ, nsucc;         /* set with the terminator */
  bool sealed, loop_head;
  uint32_t idom, rpo;            /* dominator tree and reverse postorder index (ir_cfg) */
  uint32_t loop_depth;
  uint32_t dom_pre, dom_post;    /* the dominator tree's DFS numbers (ir_cfg; 0: not numbered),
                                  * for a constant-time ir_dominates */
} ir_block;

typedef struct ir_chunk ir_chunk;

/* A call inlined (inline.c): the instructions copied in carry its index +
 * 1 (ir_ins.inl), so a backtrace can show the callee's frame. */
typedef struct ir_inline_site {
  uint16_t parent;               /* the site the call itself was inlined at (+ 1), or 0 */
  uint32_t func;                 /* the callee's function index */
  uint32_t call_woff;            /* module offset of the call */
} ir_inline_site;

typedef struct ir_func {
  ir_ins *ins;
  uint32_t nins, capins;
  ir_block *blocks;
  uint32_t nblocks, capblocks;
  uint32_t *repl;                /* value replaced by another (trivial phis, GVN), or itself */
  uint32_t *order, norder;       /* blocks in reverse postorder (ir_cfg) */
  uint32_t nparams;
  const ir_type *params;
  uint32_t nresults;
  ir_chunk *arena;
  bool oom;
  uint32_t woff;                 /* ir_emit stamps new instructions with these two */
  uint16_t inl;
  ir_inline_site *sites;         /* inlined calls (malloc'd) */
  uint32_t nsites, capsites;
} ir_func;

/* ---- construction (ir.c) ---- */
ir_func *ir_func_new(void);
void ir_func_free(ir_func *f);
void *ir_alloc(ir_func *f, size_t n);  /* zeroed, owned by f's arena; NULL sets f->oom */
uint32_t ir_block_new(ir_func *f);
/* Room for n instruction indices in block b's list; false (f->oom) on failure. */
bool ir_block_reserve(ir_func *f, uint32_t b, uint32_t n);
/* Room for n instructions in f (building them then moves nothing). */
void ir_reserve(ir_func *f, uint32_t n);
/* Appends an instruction to block b (phis: ir_phi_new); returns its value. */
uint32_t ir_emit(ir_func *f, uint32_t b, ir_op op, ir_type t, const uint32_t *args, uint32_t nargs, uint64_t imm);
uint32_t ir_phi_new(ir_func *f, uint32_t b, ir_type t);
void ir_add_edge(ir_func *f, uint32_t from, uint32_t to);
/* Records an inlined call; returns its ir_ins.inl value (0: out of room). */
uint16_t ir_inline_site_new(ir_func *f, uint16_t parent, uint32_t func, uint32_t call_woff);
/* Sets the terminator's successors (after ir_emit of JMP/BR/SWITCH). */
void ir_set_succ(ir_func *f, uint32_t b, const uint32_t *succ, uint32_t n);
/* Follows replacements to the value standing for v. */
uint32_t ir_resolve(const ir_func *f, uint32_t v);
/* Rewrites every argument through ir_resolve. */
void ir_canonicalize(ir_func *f);
/* Reverse postorder, dominators, loop heads and depths; removes unreachable
 * blocks' edges. */
bool ir_cfg(ir_func *f);
bool ir_dominates(const ir_func *f, uint32_t a, uint32_t b);
/* Splits every edge from a block with several successors to a block with
 * several predecessors (phi moves then have a place). */
void ir_split_critical_edges(ir_func *f);
/* Does i need a v128 register class (its type or an argument's is IR_V128,
 * or it is a SIMD op)? A backend without one refuses such instructions. */
bool ir_ins_v128(const ir_func *f, const ir_ins *i);
/* Writes the function as text (tests, debugging); returns bytes needed. */
size_t ir_print(const ir_func *f, char *buf, size_t size);

/* ---- passes (opt.c) ---- */
/* Removes trivial phis (all arguments one value or the phi itself). */
uint32_t ir_pass_phis(ir_func *f);
/* Folds operations on constants, simplifies identities, and numbers values
 * globally: a pure operation computed by a dominating instruction is
 * replaced by it. Returns the number of instructions replaced. */
uint32_t ir_pass_gvn(ir_func *f);
/* Marks instructions no effect depends on dead. Returns how many. */
uint32_t ir_pass_dce(ir_func *f);
/* Hoists pure instructions whose arguments are defined outside a loop into
 * the loop's preheader. Returns how many moved. */
uint32_t ir_pass_licm(ir_func *f);
/* Puts the phi first in a commutative operation whose result flows back
 * into that phi (acc = x + acc becomes acc + x), so the two-address hint
 * of register allocation gives the result the phi's register and the phi
 * move disappears. Returns how many were swapped. */
uint32_t ir_pass_accumulators(ir_func *f);

/* ---- memory passes (memopt.c) ---- */
/* Replaces a load by the value an earlier load of the same address,
 * offset and width read, or an earlier full-width store wrote, when no
 * call, helper or possibly overlapping store lies between them (within
 * extended blocks); the same for globals. Returns how many. */
uint32_t ir_pass_loads(ir_func *f);
/* Removes `and x, c` where x cannot have bits c clears. Returns how many. */
uint32_t ir_pass_known_bits(ir_func *f);

/* ---- loop vectorization (vectorize.c) ---- */
/* Puts a guarded v128 copy in front of each element-wise counted loop
 * (docs/aot-ir.md, "Loop vectorization"); recomputes the CFG when it
 * changed anything. WRUN_AOT_VECTORIZE=0 turns it off. Returns how many
 * loops. */
uint32_t ir_pass_vectorize(ir_func *f);
/* ---- wide multiplication (widemul.c) ---- */
/* Replaces the high half of a 64x64->128-bit product written with 32-bit
 * partial products by I64_MULHU (I64_MULHS for __multi3's signed form),
 * when ok (a backend's supports) takes the new instruction, and the low
 * half by one I64_MUL. The partial products are left to ir_pass_dce.
 * Returns how many values were rewritten. */
uint32_t ir_pass_widemul(ir_func *f, bool (*ok)(const ir_func *f, const ir_ins *i));

/* The whole sequence, in order. */
void ir_optimize(ir_func *f);

/* Folds a numeric op on constant bits; false when op is not foldable. */
bool ir_fold(ir_op op, uint64_t a, uint64_t b, uint64_t *out);

#endif
