#!/usr/bin/env python3
"""wide_multiply_random.py — a differential check of the wide-multiplication
pass (src/aot/ir/widemul.c) by hand, not run by ctest: prints a script of N
functions, each one of the shapes of wide_multiply.py (on the same, swapped
or a third operand) with a random share of its constants, operands and
operators changed, and four random calls of each with the results Python
computes. Usage:
  python3 tests/wast/gen/wide_multiply_random.py SEED N > r.wast
  WRUN_AOT_OPT=1 WRUN_AOT_IR_STRICT=1 build/wrun wast --aot r.wast
"""
import os
import random
import sys

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import wide_multiply as W  # noqa: E402

rng = random.Random(int(sys.argv[1]))
A, B, C = W.A, W.B, W.C


def mutate(e, p):
    # randomly perturb constants, operands, and commute/associate
    if e[0] == 'p':
        return rng.choice([A, B, C]) if rng.random() < p else e
    if e[0] == 'k':
        if rng.random() < p:
            return W.K(rng.choice([e[1] ^ (1 << rng.randrange(64)), 31, 33, 63, 96, 0, 0xFFFFFFFF, 0x7FFFFFFF]))
        return e
    x, y = mutate(e[1], p), mutate(e[2], p)
    name = e[0]
    if rng.random() < p / 2:
        name = rng.choice(['add', 'or', 'xor', 'mul', 'shr_u', 'shr_s', 'and', 'shl']) if name not in ('ltu', 'gtu') else rng.choice(['ltu', 'gtu'])
    if name in ('add', 'mul', 'or', 'xor', 'and') and rng.random() < 0.5:
        x, y = y, x
    return (name, x, y)


def base():
    a, b = rng.choice([(A, B), (B, A), (A, A), (C, B)])
    k = rng.randrange(8)
    if k == 0: return W.mulddi(a, b)[0]
    if k == 1: return W.mulddi(a, b)[1]
    if k == 2: return W.xx(a, b)[0]
    if k == 3: return W.xx(a, b)[1]
    if k == 4: return W.hd(a, b)
    if k == 5: return W.wy(a, b)[0]
    if k == 6: return W.wy(a, b)[1]
    h = W.mulddi(a, b)[0]
    return W.add(h, W.add(W.mul(W.sra(a), b), W.mul(a, W.sra(b))))


funcs = []
for i in range(int(sys.argv[2])):
    e = base()
    p = rng.choice([0, 0, 0.02, 0.05, 0.1])
    funcs.append(('f%d' % i, mutate(e, p)))
vals = [0, 1, 0xFFFFFFFF, 1 << 32, 1 << 63, W.M64, 3]
out = ['(module']
for n, e in funcs:
    out.append('  (func (export "%s") (param i64 i64 i64) (result i64) %s)' % (n, W.wat(e)))
out.append(')')
for n, e in funcs:
    for _ in range(4):
        x, y, c = rng.getrandbits(64), rng.getrandbits(64), rng.getrandbits(64)
        if rng.random() < 0.5: x = rng.choice(vals)
        if rng.random() < 0.5: y = rng.choice(vals)
        out.append('(assert_return (invoke "%s" (i64.const 0x%x) (i64.const 0x%x) (i64.const 0x%x)) (i64.const 0x%x))' % (n, x, y, c, W.ev(e, [x, y, c])))
print('\n'.join(out))
