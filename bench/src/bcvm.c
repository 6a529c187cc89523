/* bcvm.c — a switch-dispatched stack bytecode VM with calls and returns,
 * running a recursive script (Fibonacci plus a recursive sum of a list held
 * in VM memory): the shape of a small scripting-language interpreter written
 * in C, where dispatch, operand stack traffic and calls dominate. */
#include "bench.h"

enum {
  OP_PUSH, OP_ARG, OP_ADD, OP_SUB, OP_MUL, OP_LT, OP_JZ, OP_JMP, OP_CALL, OP_RET,
  OP_LOAD, OP_STORE, OP_DUP, OP_POP, OP_AND, OP_XOR, OP_SHL, OP_HALT
};

#define STACK_MAX 4096
#define FRAMES_MAX 512

typedef struct { int32_t ret_pc, base, nargs; } frame;

static int64_t vm_mem[256];

static int64_t run(const int32_t *code, int32_t entry, int64_t arg) {
  int64_t st[STACK_MAX];
  frame fr[FRAMES_MAX];
  int32_t sp = 0, pc = entry, nf = 0;
  st[sp++] = arg;
  fr[nf++] = (frame){-1, 0, 1};
  for (;;) {
    int32_t op = code[pc++];
    switch (op) {
    case OP_PUSH: st[sp++] = code[pc++]; break;
    case OP_ARG: st[sp++] = st[fr[nf - 1].base + code[pc++]]; break;
    case OP_ADD: sp--; st[sp - 1] += st[sp]; break;
    case OP_SUB: sp--; st[sp - 1] -= st[sp]; break;
    case OP_MUL: sp--; st[sp - 1] *= st[sp]; break;
    case OP_AND: sp--; st[sp - 1] &= st[sp]; break;
    case OP_XOR: sp--; st[sp - 1] ^= st[sp]; break;
    case OP_SHL: sp--; st[sp - 1] = (int64_t)((uint64_t)st[sp - 1] << (st[sp] & 63)); break;
    case OP_LT: sp--; st[sp - 1] = st[sp - 1] < st[sp]; break;
    case OP_DUP: st[sp] = st[sp - 1]; sp++; break;
    case OP_POP: sp--; break;
    case OP_JZ: { int32_t t = code[pc++]; if (!st[--sp]) pc = t; break; }
    case OP_JMP: pc = code[pc]; break;
    case OP_LOAD: st[sp - 1] = vm_mem[st[sp - 1] & 255]; break;
    case OP_STORE: sp -= 2; vm_mem[st[sp + 1] & 255] = st[sp]; break;
    case OP_CALL: { /* CALL target nargs: arguments are the top nargs values */
      int32_t target = code[pc++], nargs = code[pc++];
      if (nf == FRAMES_MAX || sp + 64 > STACK_MAX) return -1;
      fr[nf++] = (frame){pc, sp - nargs, nargs};
      pc = target;
      break;
    }
    case OP_RET: { /* the result replaces the arguments */
      int64_t r = st[sp - 1];
      frame f = fr[--nf];
      sp = f.base;
      st[sp++] = r;
      if (f.ret_pc < 0) return r;
      pc = f.ret_pc;
      break;
    }
    case OP_HALT: return st[sp - 1];
    default: return -2;
    }
  }
}

/* The script: fib(n) = n < 2 ? n : fib(n-1) + fib(n-2);
 * sum(i) = i < 1 ? 0 : mem[i] * 3 + sum(i - 1), called at each fib leaf
 * with a small i to add a second call shape and memory traffic. */
static const int32_t script[] = {
  /* 0: fib(n) */
  OP_ARG, 0, OP_PUSH, 2, OP_LT, OP_JZ, 16,
  OP_ARG, 0, OP_PUSH, 3, OP_AND, OP_CALL, 34, 1, OP_RET,
  /* 16 */
  OP_ARG, 0, OP_PUSH, 1, OP_SUB, OP_CALL, 0, 1,
  OP_ARG, 0, OP_PUSH, 2, OP_SUB, OP_CALL, 0, 1,
  OP_ADD, OP_RET,
  /* 34: sum(i) */
  OP_ARG, 0, OP_PUSH, 1, OP_LT, OP_JZ, 45, OP_PUSH, 0, OP_RET, OP_HALT,
  /* 45 */
  OP_ARG, 0, OP_LOAD, OP_PUSH, 3, OP_MUL, OP_ARG, 0, OP_PUSH, 1, OP_SUB, OP_CALL, 34, 1,
  OP_ADD, OP_RET,
};

BENCH_EXPORT uint64_t bench_run(void) {
  for (int i = 0; i < 256; i++) vm_mem[i] = i * 7 + 1;
  volatile int32_t n = BENCH_SIZE(31, 25);
  uint64_t acc = 0;
  for (int32_t k = 0; k < 3; k++) acc = acc * 31 + (uint64_t)run(script, 0, n + k - 1);
  return acc;
}
