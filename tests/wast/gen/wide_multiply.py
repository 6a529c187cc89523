#!/usr/bin/env python3
"""wide_multiply.py — writes tests/wast/wide_multiply.wast: 64x64->128-bit
products written with 32-bit partial products, the shapes the optimizing
pipeline replaces by one multiplication (src/aot/ir/widemul.c), and near
misses it must leave alone. Every function is an expression over the
parameters a, b, c (i64); the expected results come from evaluating the same
expression here with Python integers, so a wrong rewrite shows as a wrong
answer in the compiled tiers. Run: python3 tests/wast/gen/wide_multiply.py
"""
import os
import random

M64 = (1 << 64) - 1
LO = 0xFFFFFFFF

# ---- a tiny expression language: emitted as folded wat and evaluated ----


def P(n):
    return ('p', n)


def K(v):
    return ('k', v & M64)


def op(name, x, y):
    return (name, x, y)


def add(*xs):
    e = xs[0]
    for x in xs[1:]:
        e = op('add', e, x)
    return e


def mul(x, y): return op('mul', x, y)
def lo(x, m=LO): return op('and', x, K(m))
def hi(x, s=32): return op('shr_u', x, K(s))
def shl(x, s=32): return op('shl', x, K(s))


def sra(x, s=63): return op('shr_s', x, K(s))


def ltu(x, y): return op('ltu', x, y)  # [x < y] as an i64
def gtu(x, y): return op('gtu', x, y)  # [x > y] as an i64


def wat(e):
    if e[0] in ('ltu', 'gtu'):
        return '(i64.extend_i32_u (i64.%s_u %s %s))' % (e[0][:2], wat(e[1]), wat(e[2]))
    if e[0] == 'p':
        return '(local.get %d)' % e[1]
    if e[0] == 'k':
        return '(i64.const 0x%x)' % e[1]
    return '(i64.%s %s %s)' % (e[0], wat(e[1]), wat(e[2]))


def sgn(v):
    return v - (1 << 64) if v >> 63 else v


def ev(e, env):
    t = e[0]
    if t == 'p':
        return env[e[1]]
    if t == 'k':
        return e[1]
    x, y = ev(e[1], env), ev(e[2], env)
    if t == 'ltu': return int(x < y)
    if t == 'gtu': return int(x > y)
    if t == 'add': return (x + y) & M64
    if t == 'mul': return (x * y) & M64
    if t == 'and': return x & y
    if t == 'or': return x | y
    if t == 'xor': return x ^ y
    if t == 'shl': return (x << (y & 63)) & M64
    if t == 'shr_u': return x >> (y & 63)
    if t == 'shr_s': return (sgn(x) >> (y & 63)) & M64
    raise ValueError(t)


A, B, C = P(0), P(1), P(2)


def mulddi(a, b, m=LO, s=32, a2=None):
    """compiler-rt's __mulddi3 as clang emits it (bench/src/bignum.c):
    returns (high, low, t, u). a2 replaces a in the second cross product
    (a mixed-operand near miss); m and s the mask and shift of hi(t)."""
    a2 = a if a2 is None else a2
    ll = mul(lo(b, m), lo(a))
    t = add(hi(ll), mul(lo(b), hi(a)))
    u = add(mul(lo(a2), hi(b)), lo(t))
    high = add(mul(hi(b), hi(a)), hi(t, s), hi(u))
    low = op('or', lo(ll), shl(u))
    return high, low, t, u


def xx(a, b):
    """xxHash's portable XXH_mult64to128 (the middle sum in one add)."""
    ll, hl, lh, hh = mul(lo(a), lo(b)), mul(hi(a), lo(b)), mul(lo(a), hi(b)), mul(hi(a), hi(b))
    cross = add(hi(ll), lo(hl), lh)
    return add(hi(hl), hi(cross), hh), op('or', shl(cross), lo(ll))


def hd(a, b):
    """Hacker's Delight mulhu (operands named u, v; sums grouped to the right)."""
    w0 = mul(lo(a), lo(b))
    t = add(mul(hi(a), lo(b)), hi(w0))
    w1 = add(mul(lo(a), hi(b)), lo(t))
    return add(mul(hi(a), hi(b)), add(hi(t), hi(w1)))


def wy(a, b, base2=None, gt=False, hh_b=None):
    """wyhash's portable _wymum: the cross products shifted into the low
    half, carries counted with compares. Near misses: base2 replaces T as
    the second carry's comparand, hh_b replaces b in hi(a)*hi(b).
    Returns (high, low)."""
    rh = mul(hi(a), hi(b if hh_b is None else hh_b))
    rm0, rm1, rl = mul(hi(a), lo(b)), mul(hi(b), lo(a)), mul(lo(a), lo(b))
    t = add(rl, shl(rm0))
    c1 = gtu(rl, t) if gt else ltu(t, rl)
    low = add(t, shl(rm1))
    c2 = ltu(low, t if base2 is None else base2)
    return add(rh, hi(rm0), hi(rm1), add(c1, c2)), low


mh, ml, mt, mu = mulddi(A, B)
funcs = [
    # rewritten: the high half becomes one mulhu (mulhs), the low half one mul
    ('mulddi_hi', mh),
    ('mulddi_lo', ml),
    ('mulddi_lo_add', add(lo(mul(lo(B), lo(A))), shl(mu))),
    ('mulddi_lo_shl_lo', op('xor', lo(mul(lo(B), lo(A))), shl(lo(mu)))),
    ('hd_hi', hd(A, B)),
    ('xx_hi', xx(A, B)[0]),
    ('xx_lo', xx(A, B)[1]),
    ('wy_hi', wy(A, B)[0]),
    ('wy_hi_gt', wy(A, B, gt=True)[0]),
    ('wy_lo', wy(A, B)[1]),
    ('wy_square_hi', wy(A, A)[0]),
    ('square_hi', mulddi(A, A)[0]),
    ('square_lo', mulddi(A, A)[1]),
    ('shift96_hi', add(mul(hi(B), hi(A)), hi(mt, 96), hi(mu))),
    ('multi3_zero_hi', add(mh, add(mul(K(0), B), mul(A, K(0))))),
    ('multi3_signed_hi', add(mh, add(mul(sra(A), B), mul(A, sra(B))))),
    ('multi3_signed_hi2', add(add(mul(B, sra(A)), mh), mul(sra(B), A))),
    ('multi3_signed_square', add(mulddi(A, A)[0], add(mul(sra(A), A), mul(A, sra(A))))),
    ('multi3_128_hi', add(mh, add(mul(C, B), mul(A, C)))),
    ('mulhu_plus_one', add(mh, C)),
    ('hi_times_c', mul(mh, C)),
    # near misses: left alone, and still right
    ('nm_mask', mulddi(A, B, m=0x7FFFFFFF)[0]),
    ('nm_mask_lo', mulddi(A, B, m=0xFFFFFFFE)[1]),
    ('nm_shift', mulddi(A, B, s=31)[0]),
    ('nm_mixed', mulddi(A, B, a2=C)[0]),
    ('nm_mixed_lo', mulddi(A, B, a2=C)[1]),
    ('nm_missing', add(mul(hi(B), hi(A)), hi(mu))),
    ('nm_twice', add(mul(hi(B), hi(A)), hi(mu), hi(mu))),
    ('nm_sra', add(mul(hi(B), sra(A, 32)), hi(mt), hi(mu))),
    ('nm_signed_62', add(mh, add(mul(sra(A, 62), B), mul(A, sra(B))))),
    ('nm_signed_same', add(mh, add(mul(sra(A), B), mul(sra(A), B)))),
    ('nm_wy_carry', wy(A, B, base2=mul(lo(A), lo(B)))[0]),
    ('nm_wy_mixed', wy(A, B, hh_b=C)[0]),
    ('nm_lo_shift', op('or', lo(mul(lo(B), lo(A))), shl(mu, 31))),
    ('nm_cross_swapped', add(mul(hi(B), hi(A)),
                             hi(add(hi(mul(lo(B), lo(A))), mul(lo(B), hi(A)))),
                             hi(add(mul(lo(B), hi(A)), lo(add(hi(mul(lo(B), lo(A))), mul(lo(B), hi(A)))))))),
]

EDGES = [0, 1, 0xFFFFFFFF, 1 << 32, 1 << 63, M64]
rng = random.Random(14)
RANDOM = [(rng.getrandbits(64), rng.getrandbits(64)) for _ in range(6)]
PAIRS = [(x, y) for x in EDGES for y in EDGES] + RANDOM
# every edge pair for the main shapes and the calls through memory
FULL = {'mulddi_hi', 'mulddi_lo', 'hd_hi', 'xx_hi', 'wy_hi', 'wy_lo', 'multi3_signed_hi'}
# the other shapes and the near misses: fewer pairs (they test that nothing was rewritten wrongly)
NEAR = RANDOM + [(M64, M64), (0xFFFFFFFF, 1 << 32), (1 << 63, 3), (0x8000000080000000, 0xFFFFFFFF00000001)]


def main():
    out = []
    out.append(';; wide_multiply.wast — generated by tests/wast/gen/wide_multiply.py; do not edit.')
    out.append(';; 64x64->128-bit products written with 32-bit partial products (the shapes of')
    out.append(";; compiler-rt's __mulddi3/__multi3, Hacker's Delight's mulhu, xxHash's")
    out.append(';; mult64to128), which the optimizing AOT pipeline replaces by one multiply')
    out.append(';; (src/aot/ir/widemul.c), and near misses (wrong mask, wrong shift, mixed')
    out.append(';; operands, missing or doubled terms) it must leave alone. Expected values are')
    out.append(';; the same expressions evaluated with arbitrary-precision integers.')
    out.append('(module')
    for name, e in funcs:
        out.append('  (func (export "%s") (param i64 i64 i64) (result i64)' % name)
        out.append('    %s)' % wat(e))
    out.append(')')
    for name, e in funcs:
        for k, (x, y) in enumerate(PAIRS if name in FULL else NEAR):
            c = EDGES[k % len(EDGES)] ^ 0x5555
            r = ev(e, [x, y, c])
            out.append('(assert_return (invoke "%s" (i64.const 0x%x) (i64.const 0x%x) (i64.const 0x%x)) (i64.const 0x%x))'
                       % (name, x, y, c, r))
    # through memory: clang's __mulddi3 store of bignum.c (wasm2wat of
    # bench/out/quick/wasm/bignum.wasm) and compiler-rt's __multi3 with its
    # cross terms, called (and inlined by the pipeline) with 64-bit operands
    # zero-extended, sign-extended and with a third value as both high halves
    p1, p2, p3, p4 = P(1), P(2), P(3), P(4)
    m3h, m3l, _, _ = mulddi(p1, p3)
    m3h = add(m3h, add(mul(p2, p3), mul(p1, p4)))
    out.append('(module')
    out.append('  (memory 1)')
    out.append('  (func $m3 (param i32 i64 i64) (local i64 i64 i64)')
    out.append('    local.get 0 local.get 2 i64.const 32 i64.shr_u local.tee 3 local.get 1 i64.const 32')
    out.append('    i64.shr_u local.tee 4 i64.mul local.get 2 i64.const 4294967295 i64.and local.tee 2')
    out.append('    local.get 1 i64.const 4294967295 i64.and local.tee 1 i64.mul local.tee 5 i64.const 32')
    out.append('    i64.shr_u local.get 2 local.get 4 i64.mul i64.add local.tee 2 i64.const 32 i64.shr_u')
    out.append('    i64.add local.get 1 local.get 3 i64.mul local.get 2 i64.const 4294967295 i64.and i64.add')
    out.append('    local.tee 2 i64.const 32 i64.shr_u i64.add i64.store offset=8 local.get 0 local.get 5')
    out.append('    i64.const 4294967295 i64.and local.get 2 i64.const 32 i64.shl i64.or i64.store)')
    out.append('  (func $multi3 (param i32 i64 i64 i64 i64)')
    out.append('    (i64.store offset=8 (local.get 0) %s)' % wat(m3h))
    out.append('    (i64.store (local.get 0) %s))' % wat(m3l))
    calls = [
        ('mem_hi', '(call $m3 (i32.const 16) (local.get 0) (local.get 1))', 24, lambda x, y, c: (x * y) >> 64),
        ('mem_lo', '(call $m3 (i32.const 16) (local.get 0) (local.get 1))', 16, lambda x, y, c: (x * y) & M64),
        ('u_hi', '(call $multi3 (i32.const 32) (local.get 0) (i64.const 0) (local.get 1) (i64.const 0))', 40,
         lambda x, y, c: (x * y) >> 64),
        ('s_hi', '(call $multi3 (i32.const 32) (local.get 0) (i64.shr_s (local.get 0) (i64.const 63)) (local.get 1)'
         ' (i64.shr_s (local.get 1) (i64.const 63)))', 40, lambda x, y, c: ((sgn(x) * sgn(y)) >> 64) & M64),
        ('s_lo', '(call $multi3 (i32.const 32) (local.get 0) (i64.shr_s (local.get 0) (i64.const 63)) (local.get 1)'
         ' (i64.shr_s (local.get 1) (i64.const 63)))', 32, lambda x, y, c: (sgn(x) * sgn(y)) & M64),
        ('x128_hi', '(call $multi3 (i32.const 32) (local.get 0) (local.get 2) (local.get 1) (local.get 2))', 40,
         lambda x, y, c: ((x + (c << 64)) * (y + (c << 64)) >> 64) & M64),
    ]
    for name, call, at, _ in calls:
        out.append('  (func (export "%s") (param i64 i64 i64) (result i64)' % name)
        out.append('    %s (i64.load (i32.const %d)))' % (call, at))
    out.append(')')
    for name, _, _, f in calls:
        for k, (x, y) in enumerate(PAIRS):
            c = EDGES[k % len(EDGES)] ^ 0x5555
            out.append('(assert_return (invoke "%s" (i64.const 0x%x) (i64.const 0x%x) (i64.const 0x%x)) (i64.const 0x%x))'
                       % (name, x, y, c, f(x, y, c)))
    # sanity of the generator itself: the rewritten shapes compute the product
    for x, y in PAIRS:
        p = x * y
        assert ev(mh, [x, y, 0]) == p >> 64 and ev(ml, [x, y, 0]) == p & M64
        assert ev(xx(A, B)[0], [x, y, 0]) == p >> 64 and ev(hd(A, B), [x, y, 0]) == p >> 64
        assert ev(wy(A, B)[0], [x, y, 0]) == p >> 64 and ev(wy(A, B)[1], [x, y, 0]) == p & M64
        s = sgn(x) * sgn(y)
        assert ev(dict(funcs)['multi3_signed_hi'], [x, y, 0]) == (s >> 64) & M64
        assert ev(dict(funcs)['multi3_signed_square'], [x, y, 0]) == ((sgn(x) * sgn(x)) >> 64) & M64
    path = os.path.join(os.path.dirname(os.path.abspath(__file__)), '..', 'wide_multiply.wast')
    with open(path, 'w') as fh:
        fh.write('\n'.join(out) + '\n')


if __name__ == '__main__':
    main()
