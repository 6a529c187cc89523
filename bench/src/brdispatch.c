/* brdispatch.c — a large switch dispatch loop: an emulator for a toy
 * register CPU with 64 opcodes (ALU ops with register and immediate operands,
 * loads and stores, compares, conditional skips), running a generated
 * program. The switch compiles to one wasm br_table with 64 targets, taken
 * once per emulated instruction with hard-to-predict targets. */
#include "bench.h"

#define PROG_LEN 2048
#define MEM_WORDS 1024

static uint32_t prog[PROG_LEN];
static uint32_t regs[16];
static uint32_t mem[MEM_WORDS];

/* instruction word: op:6 | rd:4 | rs:4 | rt:4 | imm:14 */
#define OP(w) ((w) >> 26)
#define RD(w) (((w) >> 22) & 15)
#define RS(w) (((w) >> 18) & 15)
#define RT(w) (((w) >> 14) & 15)
#define IMM(w) ((w) & 0x3fff)

static uint64_t emulate(uint32_t steps) {
  uint32_t pc = 0, skipped = 0;
  while (steps--) {
    uint32_t w = prog[pc];
    pc = (pc + 1) & (PROG_LEN - 1);
    uint32_t *d = &regs[RD(w)], s = regs[RS(w)], t = regs[RT(w)], k = IMM(w);
    switch (OP(w)) {
    case 0: *d = s + t; break;
    case 1: *d = s - t; break;
    case 2: *d = s * t; break;
    case 3: *d = s & t; break;
    case 4: *d = s | t; break;
    case 5: *d = s ^ t; break;
    case 6: *d = s << (t & 31); break;
    case 7: *d = s >> (t & 31); break;
    case 8: *d = (uint32_t)((int32_t)s >> (t & 31)); break;
    case 9: *d = (s << (t & 31)) | (s >> ((32 - t) & 31)); break;
    case 10: *d = s < t; break;
    case 11: *d = (int32_t)s < (int32_t)t; break;
    case 12: *d = s == t; break;
    case 13: *d = s != t; break;
    case 14: *d = t ? s / t : 0; break;
    case 15: *d = t ? s % t : s; break;
    case 16: *d = s + k; break;
    case 17: *d = s - k; break;
    case 18: *d = s * k; break;
    case 19: *d = s & k; break;
    case 20: *d = s | k; break;
    case 21: *d = s ^ k; break;
    case 22: *d = s << (k & 31); break;
    case 23: *d = s >> (k & 31); break;
    case 24: *d = (uint32_t)((int32_t)s >> (k & 31)); break;
    case 25: *d = s < k; break;
    case 26: *d = k; break;
    case 27: *d = k << 14; break;
    case 28: *d = mem[(s + k) & (MEM_WORDS - 1)]; break;
    case 29: mem[(s + k) & (MEM_WORDS - 1)] = *d; break;
    case 30: *d = (uint8_t)(mem[(s >> 2) & (MEM_WORDS - 1)] >> ((s & 3) * 8)); break;
    case 31: *d = (uint16_t)s; break;
    case 32: *d = (uint32_t)(int8_t)s; break;
    case 33: *d = (uint32_t)(int16_t)s; break;
    case 34: *d = ~s; break;
    case 35: *d = 0 - s; break;
    case 36: *d = s ? (uint32_t)__builtin_clz(s) : 32; break;
    case 37: *d = s ? (uint32_t)__builtin_ctz(s) : 32; break;
    case 38: *d = (uint32_t)__builtin_popcount(s); break;
    case 39: *d = s > t ? s : t; break;
    case 40: *d = s < t ? s : t; break;
    case 41: *d = (int32_t)s < 0 ? 0 - s : s; break;
    case 42: *d = (s >> 16) | (s << 16); break;
    case 43: *d = s * 0x9E3779B1u + t; break;
    case 44: if (s == t) { pc = (pc + 1) & (PROG_LEN - 1); skipped++; } break;
    case 45: if (s != t) { pc = (pc + 1) & (PROG_LEN - 1); skipped++; } break;
    case 46: if (s < t) { pc = (pc + 1) & (PROG_LEN - 1); skipped++; } break;
    case 47: if (s & 1) { pc = (pc + 1) & (PROG_LEN - 1); skipped++; } break;
    case 48: *d += s; break;
    case 49: *d -= s; break;
    case 50: *d ^= s + k; break;
    case 51: *d = (*d << 5) + *d + s; break;
    case 52: *d = s + t + k; break;
    case 53: *d = (s & t) | (~s & k); break;
    case 54: *d = s ^ (s >> 7); break;
    case 55: *d = s ^ (s << 9); break;
    case 56: regs[RS(w)] = t; regs[RT(w)] = s; break;
    case 57: *d = (s + t) >> 1; break;
    case 58: *d = s - (s >> 3); break;
    case 59: *d = (uint32_t)(((uint64_t)s * t) >> 32); break;
    case 60: *d = s * 3 + t * 5; break;
    case 61: *d = s ? t : k; break;
    case 62: *d = (s & 0xff) * 0x01010101u; break;
    default: pc = (pc + k) & (PROG_LEN - 1); break; /* a forward jump */
    }
  }
  uint64_t h = skipped;
  for (int i = 0; i < 16; i++) h = h * 0x100000001b3ULL + regs[i];
  return h;
}

BENCH_EXPORT uint64_t bench_run(void) {
  uint64_t seed = 2718;
  for (int i = 0; i < PROG_LEN; i++) prog[i] = (uint32_t)(bench_rand(&seed) >> 32);
  for (int i = 0; i < MEM_WORDS; i++) mem[i] = (uint32_t)bench_rand(&seed);
  for (int i = 0; i < 16; i++) regs[i] = (uint32_t)i * 77;
  return emulate(BENCH_SIZE(300000000u, 15000000u));
}
