/* vm.c — a small stack bytecode VM (switch dispatch) running a counting loop with arithmetic. */
#include "bench.h"

enum { PUSH, LOAD, STORE, ADD, SUB, MUL, XOR, JNZ, DEC, HALT };

static uint64_t run(const int32_t *code, int64_t *vars) {
  int64_t stack[64];
  int sp = 0, pc = 0;
  for (;;) {
    int32_t op = code[pc++];
    switch (op) {
    case PUSH: stack[sp++] = code[pc++]; break;
    case LOAD: stack[sp++] = vars[code[pc++]]; break;
    case STORE: vars[code[pc++]] = stack[--sp]; break;
    case ADD: sp--; stack[sp - 1] += stack[sp]; break;
    case SUB: sp--; stack[sp - 1] -= stack[sp]; break;
    case MUL: sp--; stack[sp - 1] *= stack[sp]; break;
    case XOR: sp--; stack[sp - 1] ^= stack[sp]; break;
    case DEC: vars[code[pc++]]--; break;
    case JNZ: { int32_t v = code[pc++], t = code[pc++]; if (vars[v]) pc = t; break; }
    case HALT: return (uint64_t)vars[1];
    }
  }
}

BENCH_EXPORT uint64_t bench_run(void) {
  /* v0 = counter, v1 = acc: loop { acc = (acc * 31 + counter) ^ 7; counter-- } */
  const int32_t code[] = {
    LOAD, 1, PUSH, 31, MUL, LOAD, 0, ADD, PUSH, 7, XOR, STORE, 1, DEC, 0, JNZ, 0, 0, HALT};
  int64_t vars[2] = {BENCH_SIZE(12000000, 600000), 1};
  return run(code, vars);
}
