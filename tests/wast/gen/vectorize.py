#!/usr/bin/env python3
"""Writes tests/wast/vectorize.wast: the loops the optimizing pipeline's
vectorizer takes (src/aot/ir/vectorize.c, docs/aot-ir.md "Loop
vectorization") and ones it must leave alone, run in every tier against
results computed here by executing each loop one element at a time in wasm's
order (so a trap leaves exactly the earlier elements stored).

The loops are clang's code for vectorize_kernels.c (vectorize_kernels.wat,
see that file for the command). Each case fills the arrays with numbers from
an xorshift generator (floats are small odd multiples of 1/64, so sums and
products are exact and nothing is NaN unless a case puts one there), runs a
loop, and compares an FNV-1a style hash of the memory with the one computed
here. Cases: trip counts 0, 1, 2, 3, odd, even, 1000; arrays overlapping at
distances 0, +1, -1, +2 elements; the last element out of bounds (a store or
a load), and the same call again after memory.grow; NaN and -0 through the
f64 lanes; a reduction, a call and byte elements, which are not vectorized.

    python3 tests/wast/gen/vectorize.py > tests/wast/vectorize.wast
"""
import os
import random
import struct
import sys

MEM = 2 * 65536
M32 = (1 << 32) - 1
M64 = (1 << 64) - 1
R0, R1, R2 = 1024, 1024 + 16384, 1024 + 2 * 16384  # three array regions
SPAN = 3 * 16384                                      # what init and hash cover


class Trap(Exception):
    pass


class Mem:
    def __init__(self):
        self.b = bytearray(MEM)

    def _chk(self, a, n):
        if a < 0 or a + n > len(self.b):
            raise Trap()

    def ld(self, fmt, a):
        n = struct.calcsize(fmt)
        self._chk(a, n)
        return struct.unpack_from('<' + fmt, self.b, a)[0]

    def st(self, fmt, a, v):
        n = struct.calcsize(fmt)
        self._chk(a, n)
        struct.pack_into('<' + fmt, self.b, a, v)

    def grow(self):
        self.b.extend(bytearray(65536))


def f32(x):
    return struct.unpack('<f', struct.pack('<f', x))[0]


def xorshift(s):
    s ^= (s << 13) & M32
    s ^= s >> 17
    s ^= (s << 5) & M32
    return s


def init(m, kind, seed):
    """init_KIND over the three regions (what the wasm helper does)."""
    s = seed
    if kind in ('f64', 'f32'):
        size = 8 if kind == 'f64' else 4
        for a in range(R0, R0 + SPAN, size):
            s = xorshift(s)
            v = (((s & 0xFFFF) | 1) - 32768) * 0.015625
            m.st('d' if kind == 'f64' else 'f', a, v)
    else:
        for a in range(R0, R0 + SPAN, 4):
            s = xorshift(s)
            m.st('I', a, s)


TAIL = MEM - 512  # the last bytes of the first two pages, where the traps happen


def hash_mem(m):
    h = 0xCBF29CE484222325
    for a in list(range(R0, R0 + SPAN, 8)) + list(range(TAIL, MEM, 8)):
        h = ((h ^ m.ld('Q', a)) * 0x100000001B3) & M64
    return h


# The loops, element by element: loads first, then the store.
def axpy(m, y, x, a, n):
    for i in range(n):
        xv = m.ld('d', x + 8 * i)
        yv = m.ld('d', y + 8 * i)
        m.st('d', y + 8 * i, a * xv + yv)


def add_i32(m, z, x, y, n):
    for i in range(n):
        v = (m.ld('I', x + 4 * i) + m.ld('I', y + 4 * i)) & M32
        m.st('I', z + 4 * i, v)


def mix_i32(m, z, x, c, n):
    for i in range(n):
        xv = m.ld('I', x + 4 * i)
        zv = m.ld('I', z + 4 * i)
        m.st('I', z + 4 * i, ((xv * c) & M32) ^ ((zv - 0x5A5A) & M32))


def blend_f32(m, y, x, n):
    for i in range(n):
        yv = m.ld('f', y + 4 * i)
        xv = m.ld('f', x + 4 * i)
        m.st('f', y + 4 * i, f32(f32(yv * 0.75) + f32(xv * 0.25)))


def ops_i64(m, y, x, c, n):
    for i in range(n):
        xv = m.ld('Q', x + 8 * i)
        yv = m.ld('Q', y + 8 * i)
        m.st('Q', y + 8 * i, ((((xv + c) & M64) | (yv & c)) - xv) & M64)


def div_f64(m, z, x, y, n):
    for i in range(n):
        v = m.ld('d', x + 8 * i) / m.ld('d', y + 8 * i) - 1.5
        m.st('d', z + 8 * i, v)


def fill_f64(m, z, v, n):
    # clang's loop stores eight elements per iteration in the order
    # 4, 7, 6, 5, 3, 2, 1, 0 (which is where a trap leaves off), then the rest
    for g in range(0, n & ~7, 8):
        for j in (4, 7, 6, 5, 3, 2, 1, 0):
            m.st('d', z + 8 * (g + j), v)
    for i in range(n & ~7, n):
        m.st('d', z + 8 * i, v)


def call_f64(m, y, x, n):
    for i in range(n):
        xv = m.ld('d', x + 8 * i)
        m.st('d', y + 8 * i, xv * 2.0 + m.ld('d', y + 8 * i))


def inc_u8(m, y, x, n):
    for i in range(n):
        m.st('B', y + i, (m.ld('B', x + i) + 1) & 0xFF)


def mul_u16(m, y, x, c, n):
    for i in range(n):
        yv = m.ld('H', y + 2 * i)
        xv = m.ld('H', x + 2 * i)
        m.st('H', y + 2 * i, (xv * c + yv) & 0xFFFF)


def mix_s8(m, y, x, n):
    for i in range(n):
        xv = m.ld('B', x + i)
        yv = m.ld('B', y + i)
        m.st('B', y + i, ((xv - yv) ^ 0x55) & 0xFF)


def sum_f64(m, x, n):
    s = 0.0
    for i in range(n):
        s += m.ld('d', x + 8 * i)
    return s


def i32c(v):
    return '(i32.const %d)' % (v - (1 << 32) if v >= 1 << 31 else v)


def i64c(v):
    return '(i64.const %d)' % (v - (1 << 64) if v >= 1 << 63 else v)


def f64c(v):
    return '(f64.const %s)' % float(v).hex()


KINDS = {'axpy': 'f64', 'add_i32': 'i32', 'mix_i32': 'i32', 'blend_f32': 'f32', 'ops_i64': 'i64',
         'div_f64': 'f64', 'fill_f64': 'f64', 'call_f64': 'f64', 'inc_u8': 'i32', 'mul_u16': 'i32',
         'mix_s8': 'i32'}
FUNCS = {'axpy': axpy, 'add_i32': add_i32, 'mix_i32': mix_i32, 'blend_f32': blend_f32, 'ops_i64': ops_i64,
         'div_f64': div_f64, 'fill_f64': fill_f64, 'call_f64': call_f64, 'inc_u8': inc_u8,
         'mul_u16': mul_u16, 'mix_s8': mix_s8}


def arg_text(a):
    kind, v = a
    return {'i32': i32c, 'i64': i64c, 'f64': f64c}[kind](v)


def py_arg(a):
    kind, v = a
    return v


out = []
m = Mem()
seed = [7]


def case(name, args, comment=None):
    """init, run, and compare the hash; args: (type, value) pairs."""
    seed[0] = xorshift(seed[0] * 2654435761 & M32 or 1)
    kind = KINDS[name]
    init(m, 'i32' if kind in ('i32', 'i64') else kind, seed[0])
    if comment:
        out.append(';; ' + comment)
    out.append('(invoke "init_%s" %s)' % ('i32' if kind in ('i32', 'i64') else kind, i32c(seed[0])))
    call = '(invoke "%s" %s)' % (name, ' '.join(arg_text(a) for a in args))
    try:
        FUNCS[name](m, *[py_arg(a) for a in args])
        out.append(call)
    except Trap:
        out.append('(assert_trap %s "out of bounds memory access")' % call)
    out.append('(assert_return (invoke "hash") %s)' % i64c(hash_mem(m)))


TRIPS = [0, 1, 2, 3, 4, 5, 7, 8, 9, 16, 17, 101, 1000]

for n in TRIPS:
    case('axpy', [('i32', R0), ('i32', R1), ('f64', 1.25), ('i32', n)], 'axpy, %d elements' % n if n in (0, 1000) else None)
for d in (0, 1, -1, 2, -2, 3):
    case('axpy', [('i32', R1 + 8 * d), ('i32', R1), ('f64', -0.5), ('i32', 101)],
         'axpy with y = x %+d elements' % d)
for n in TRIPS:
    case('add_i32', [('i32', R2), ('i32', R0), ('i32', R1), ('i32', n)])
for d in (0, 1, -1, 2, -2, 4, -4):
    case('add_i32', [('i32', R1 + 4 * d), ('i32', R1), ('i32', R0), ('i32', 103)],
         'add_i32 with z = x %+d elements' % d)
case('add_i32', [('i32', R0), ('i32', R0), ('i32', R0), ('i32', 57)], 'all three the same array')
for n in (0, 1, 3, 6, 9, 102):
    case('mix_i32', [('i32', R0), ('i32', R1), ('i32', 0x9E3779B9), ('i32', n)])
case('mix_i32', [('i32', R0 + 4), ('i32', R0), ('i32', 3), ('i32', 99)], 'mix_i32 reading its own next element')
for n in (1, 2, 5, 8, 13, 100, 1000):
    case('blend_f32', [('i32', R0), ('i32', R1), ('i32', n)])
case('blend_f32', [('i32', R0 + 4), ('i32', R0), ('i32', 77)], 'blend_f32 with x one element behind y')
for n in (1, 2, 3, 10, 101):
    case('ops_i64', [('i32', R1), ('i32', R2), ('i64', 0x0F0F0F0FF0F0F0F0), ('i32', n)])
case('ops_i64', [('i32', R1), ('i32', R1 - 8), ('i64', 12345), ('i32', 50)], 'ops_i64 with x one element before y')
for n in (1, 2, 3, 64, 99):
    case('div_f64', [('i32', R2), ('i32', R0), ('i32', R1), ('i32', n)])
case('div_f64', [('i32', R0), ('i32', R0), ('i32', R0 + 8), ('i32', 40)], 'div_f64 into its first operand')
for n in (3, 17, 100):
    case('fill_f64', [('i32', R1 + 8), ('f64', -0.0), ('i32', n)])
    case('call_f64', [('i32', R0), ('i32', R1), ('i32', n)])
    case('inc_u8', [('i32', R0 + 1), ('i32', R0), ('i32', 4 * n + 1)])

# a store-only loop clang unrolls by eight: four vectors per iteration
for n in (8, 9, 16, 23, 24, 25, 1000):
    case('fill_f64', [('i32', R0 + 8), ('f64', 1.0 / 3), ('i32', n)])
case('fill_f64', [('i32', MEM - 8 * 50 - 4), ('f64', -2.5), ('i32', 200)], 'fill_f64: element 49 straddles the end')
case('fill_f64', [('i32', MEM - 8 * 21), ('f64', 7.0), ('i32', 64)], 'fill_f64: the store of element 21 traps')

# 8- and 16-bit elements: 16 and 8 lanes (clang unrolls by 4 and 2)
for n in (0, 1, 3, 4, 5, 15, 16, 17, 63, 64, 65, 1000):
    case('inc_u8', [('i32', R1), ('i32', R0), ('i32', n)])
    case('mix_s8', [('i32', R1 + 3), ('i32', R2 + 1), ('i32', n)])
for n in (0, 1, 2, 7, 8, 9, 33, 1000):
    case('mul_u16', [('i32', R0), ('i32', R1), ('i32', 0x12345), ('i32', n)])
for d in (0, 1, -1, 2, 8, -16):
    case('mix_s8', [('i32', R0 + d), ('i32', R0), ('i32', 201)], 'mix_s8 with y = x %+d' % d)
    case('mul_u16', [('i32', R0 + 2 * d), ('i32', R0), ('i32', 7), ('i32', 201)], 'mul_u16 with y = x %+d elements' % d)
case('inc_u8', [('i32', MEM - 37), ('i32', R0), ('i32', 100)], 'inc_u8: the store of element 37 traps')
case('mix_s8', [('i32', R0), ('i32', MEM - 50), ('i32', 100)], 'mix_s8: the load of element 50 traps')
case('mul_u16', [('i32', MEM - 2 * 21 - 1), ('i32', R1), ('i32', 3), ('i32', 100)], 'mul_u16: element 20 straddles the end')

# --random SEED COUNT: COUNT more cases with random arrays, overlaps and
# trip counts (a differential check of the pass; not in the checked-in file)
if len(sys.argv) == 4 and sys.argv[1] == '--random':
    rng = random.Random(int(sys.argv[2]))
    for _ in range(int(sys.argv[3])):
        name = rng.choice(sorted(set(FUNCS) - {'div_f64'}))  # (x / 0 after an overlap: NaN bits vary by ISA)
        size = {'axpy': 8, 'add_i32': 4, 'mix_i32': 4, 'blend_f32': 4, 'ops_i64': 8, 'div_f64': 8,
                'fill_f64': 8, 'call_f64': 8, 'inc_u8': 1, 'mul_u16': 2, 'mix_s8': 1}[name]
        n = rng.choice([rng.randrange(0, 40), rng.randrange(0, 600)])

        floats = KINDS[name] in ('f32', 'f64')  # (aligned, in the regions: no NaN from stray bits)

        def ptr():
            r = rng.random()
            if r < 0.15 and not floats:  # near the end of memory
                return MEM - size * rng.randrange(0, n + 2) - rng.choice([0, 0, 1, 2, 4])
            base = rng.choice([R0, R1, R2])
            return base + size * rng.randrange(-4, 5) + (0 if floats else rng.choice([0, 0, 0, 1, 2, 4]))
        ptrs = [('i32', ptr()) for _ in range(3)]
        if rng.random() < 0.5:  # the other arrays at a small distance from the first
            for k in (1, 2):
                ptrs[k] = ('i32', ptrs[0][1] + size * rng.randrange(-3, 4))
        extra = {'axpy': [('f64', rng.choice([0.5, -1.25, 3.0]))], 'mix_i32': [('i32', rng.getrandbits(32))],
                 'ops_i64': [('i64', rng.getrandbits(64))], 'fill_f64': [('f64', -7.75)],
                 'mul_u16': [('i32', rng.getrandbits(32))]}.get(name, [])
        nptr = {'axpy': 2, 'add_i32': 3, 'mix_i32': 2, 'blend_f32': 2, 'ops_i64': 2, 'div_f64': 3,
                'fill_f64': 1, 'call_f64': 2, 'inc_u8': 2, 'mul_u16': 2, 'mix_s8': 2}[name]
        args = ptrs[:nptr]
        if name in ('axpy', 'mix_i32', 'ops_i64', 'mul_u16'):
            args = args + extra
        elif name == 'fill_f64':
            args = args + extra
        args.append(('i32', n))
        case(name, args)

# traps: the last element out of bounds, through the store and through a load;
# every earlier element stored
top = MEM
case('axpy', [('i32', top - 8 * 40), ('i32', R1), ('f64', 3.0), ('i32', 41)], 'the store of the last element traps')
case('axpy', [('i32', R1), ('i32', top - 8 * 40), ('f64', 3.0), ('i32', 41)], 'the load of the last element traps')
case('add_i32', [('i32', R0), ('i32', R1), ('i32', top - 4 * 60), ('i32', 61)], 'add_i32: a load traps')
case('add_i32', [('i32', top - 4 * 61 + 2), ('i32', R1), ('i32', R2), ('i32', 61)], 'add_i32: an unaligned store traps')
case('blend_f32', [('i32', top - 4 * 9), ('i32', R1), ('i32', 10)], 'blend_f32: the tenth store traps')
case('ops_i64', [('i32', R2), ('i32', top - 8 * 7), ('i64', 1), ('i32', 8)], 'ops_i64: the eighth load traps')
# a trap in the middle of the loop (every later element out of bounds too):
# the elements before it, also those sharing a vector with it, are stored
case('axpy', [('i32', top - 8 * 10 - 4), ('i32', R1), ('f64', 3.0), ('i32', 40)], 'element 9 straddles the end')
case('axpy', [('i32', R1), ('i32', top - 8 * 11), ('f64', 3.0), ('i32', 40)], 'the load of element 11 traps')
case('add_i32', [('i32', top - 4 * 10), ('i32', R1), ('i32', R2), ('i32', 40)], 'add_i32: the store of element 10 traps')
case('add_i32', [('i32', R0), ('i32', top - 4 * 6), ('i32', R2), ('i32', 30)], 'add_i32: the load of element 6 traps')
case('blend_f32', [('i32', top - 4 * 6), ('i32', R1), ('i32', 30)], 'blend_f32: the store of element 6 traps')
case('ops_i64', [('i32', top - 8 * 5), ('i32', R1), ('i64', 1), ('i32', 30)], 'ops_i64: the store of element 5 traps')
case('mix_i32', [('i32', top - 4 * 7 - 2), ('i32', R1), ('i32', 5), ('i32', 30)], 'mix_i32: element 6 straddles the end')
# wrapping addresses: the last element at 2^32 - 8 wraps to 0 in i32 arithmetic? No: clang's
# pointers advance by i32.add, so y near 2^32 is simply out of bounds
case('axpy', [('i32', (1 << 32) - 16), ('i32', R1), ('f64', 1.0), ('i32', 4)], 'y at 2^32 - 16')

# after memory.grow the same call fits (the guard reads the size each time)
seed[0] = xorshift(seed[0])
init(m, 'f64', seed[0])
out.append(';; memory.grow between two calls: the second one is in bounds')
out.append('(invoke "init_f64" %s)' % i32c(seed[0]))
call = '(invoke "axpy" %s %s %s %s)' % (i32c(top - 8 * 40), i32c(R1), f64c(2.0), i32c(60))
try:
    axpy(m, top - 8 * 40, R1, 2.0, 60)
    raise SystemExit('expected a trap')
except Trap:
    pass
out.append('(assert_trap %s "out of bounds memory access")' % call)
out.append('(assert_return (invoke "grow") (i32.const 2))')
m.grow()
axpy(m, top - 8 * 40, R1, 2.0, 60)
out.append(call)
out.append('(assert_return (invoke "hash") %s)' % i64c(hash_mem(m)))


def hash_at(mm, p, n):
    h = 0xCBF29CE484222325
    for a in range(p, p + 8 * n, 8):
        h = ((h ^ mm.ld('Q', a)) * 0x100000001B3) & M64
    return h


out.append('(assert_return (invoke "hash_at" %s (i32.const 60)) %s)' % (i32c(top - 8 * 40), i64c(hash_at(m, top - 8 * 40, 60))))

# NaN and -0 through the f64 lanes (one NaN operand per operation: its payload
# is kept, quiet, on every ISA)
nan = 0x7FF8000000000123
specials = [
    # (x, y, a) -> y = a * x + y
    (0.0, -0.0, -1.0),   # -0 + -0 = -0
    (0.0, 0.0, -1.0),    # -0 + 0 = 0
    (1.0, -1.0, 1.0),    # 0
    (nan, 1.0, 2.0),     # NaN
    (2.0, nan, 2.0),     # NaN
    (-0.0, -0.0, 5.0),   # -0 + -0
]
out.append(';; NaN and -0 through the f64 lanes')
out.append('(invoke "init_f64" (i32.const 1))')
init(m, 'f64', 1)
for a in (-1.0, 2.0):
    for k, (xv, yv, _) in enumerate(specials):
        for mem, addr, v in ((m, R1 + 8 * k, xv), (m, R0 + 8 * k, yv)):
            bits = v if isinstance(v, int) else struct.unpack('<Q', struct.pack('<d', v))[0]
            mem.st('Q', addr, bits)
            out.append('(invoke "st64" %s %s)' % (i32c(addr), i64c(bits)))
    out.append('(invoke "axpy" %s %s %s %s)' % (i32c(R0), i32c(R1), f64c(a), i32c(len(specials))))
    for k, (xv, yv, _) in enumerate(specials):
        xb = xv if isinstance(xv, int) else struct.unpack('<Q', struct.pack('<d', xv))[0]
        yb = yv if isinstance(yv, int) else struct.unpack('<Q', struct.pack('<d', yv))[0]
        if xb == nan or yb == nan:
            r = nan
        else:
            r = struct.unpack('<Q', struct.pack('<d', a * xv + yv))[0]
        m.st('Q', R0 + 8 * k, r)
        out.append('(assert_return (invoke "ld64" %s) %s)' % (i32c(R0 + 8 * k), i64c(r)))

# not vectorized, still right: a reduction
for n in (0, 1, 2, 3, 101, 1000):
    seed[0] = xorshift(seed[0])
    init(m, 'f64', seed[0])
    out.append('(invoke "init_f64" %s)' % i32c(seed[0]))
    out.append('(assert_return (invoke "sum_f64" %s %s) %s)' % (i32c(R1), i32c(n), f64c(sum_f64(m, R1, n))))

here = os.path.dirname(os.path.abspath(__file__))
kernels = open(os.path.join(here, 'vectorize_kernels.wat')).read().rstrip()
assert kernels.endswith(')')
kernels = kernels[:-1]

HELPERS = r'''
  ;; helpers of vectorize.wast (written for it, not from the C file)
  (func $xs (param $s i32) (result i32)
    (local.set $s (i32.xor (local.get $s) (i32.shl (local.get $s) (i32.const 13))))
    (local.set $s (i32.xor (local.get $s) (i32.shr_u (local.get $s) (i32.const 17))))
    (i32.xor (local.get $s) (i32.shl (local.get $s) (i32.const 5))))
  (func $val (param $s i32) (result f64)
    (f64.mul (f64.convert_i32_s (i32.sub (i32.or (i32.and (local.get $s) (i32.const 0xffff)) (i32.const 1))
                                          (i32.const 32768)))
             (f64.const 0.015625)))
  (func (export "init_f64") (param $s i32) (local $p i32)
    (local.set $p (i32.const %(R0)d))
    (loop $l
      (local.set $s (call $xs (local.get $s)))
      (f64.store (local.get $p) (call $val (local.get $s)))
      (local.set $p (i32.add (local.get $p) (i32.const 8)))
      (br_if $l (i32.lt_u (local.get $p) (i32.const %(END)d)))))
  (func (export "init_f32") (param $s i32) (local $p i32)
    (local.set $p (i32.const %(R0)d))
    (loop $l
      (local.set $s (call $xs (local.get $s)))
      (f32.store (local.get $p) (f32.demote_f64 (call $val (local.get $s))))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (i32.lt_u (local.get $p) (i32.const %(END)d)))))
  (func (export "init_i32") (param $s i32) (local $p i32)
    (local.set $p (i32.const %(R0)d))
    (loop $l
      (local.set $s (call $xs (local.get $s)))
      (i32.store (local.get $p) (local.get $s))
      (local.set $p (i32.add (local.get $p) (i32.const 4)))
      (br_if $l (i32.lt_u (local.get $p) (i32.const %(END)d)))))
  (func $hash (export "hash_at") (param $p i32) (param $n i32) (result i64)
    (call $hash_from (i64.const 0xcbf29ce484222325) (local.get $p) (local.get $n)))
  (func $hash_from (param $h i64) (param $p i32) (param $n i32) (result i64)
    (block $done
      (loop $l
        (br_if $done (i32.eqz (local.get $n)))
        (local.set $h (i64.mul (i64.xor (local.get $h) (i64.load (local.get $p))) (i64.const 0x100000001b3)))
        (local.set $p (i32.add (local.get $p) (i32.const 8)))
        (local.set $n (i32.sub (local.get $n) (i32.const 1)))
        (br $l)))
    (local.get $h))
  (func (export "hash") (result i64)
    (call $hash_from (call $hash (i32.const %(R0)d) (i32.const %(WORDS)d)) (i32.const %(TAIL)d) (i32.const 64)))
  (func (export "grow") (result i32) (memory.grow (i32.const 1)))
  (func (export "st64") (param i32 i64) (i64.store (local.get 0) (local.get 1)))
  (func (export "ld64") (param i32) (result i64) (i64.load (local.get 0)))
)''' % {'R0': R0, 'END': R0 + SPAN, 'WORDS': SPAN // 8, 'TAIL': TAIL}

print(''';; vectorize.wast — generated by tests/wast/gen/vectorize.py (see there):
;; the loops the optimizing pipeline vectorizes (docs/aot-ir.md, "Loop
;; vectorization") and ones it must not, against results computed one element
;; at a time: trip counts 0..1000, overlapping arrays, traps at the last
;; element, memory.grow between calls, NaN and -0 through f64 lanes.
(module
  (memory (export "memory") 2)
  (func (export "ext") (param f64) (result f64) (f64.mul (local.get 0) (f64.const 2))))
(register "env")''')
print(kernels + HELPERS)
print('\n'.join(out))
