#!/usr/bin/env python3
"""canon_nan.py — rewrites a module so that every float result whose NaN the
spec leaves open becomes the positive canonical NaN (tests/difffuzz/run.py).

    canon_nan.py IN.wasm OUT.wasm

The spec lets an arithmetic float instruction (add, sub, mul, div, sqrt,
min, max, ceil, floor, trunc, nearest, promote, demote, scalar or SIMD)
return any NaN of a set when its result is NaN: the canonical NaN of either
sign, or any arithmetic NaN when an operand was not canonical. Engines differ
there (V8's f64x2.min gives the canonical NaN, wrun's the operand's), and
the bits can reach an integer (i16x8.all_true, a reinterpret, a store and a
load), so the two engines legitimately print different results. After each
such instruction this inserts `call $canon_T`, a small function added at the
end of the function index space (so no existing index moves) that returns
its argument, or the canonical NaN when it is a NaN (`select` for f32/f64,
`v128.bitselect` over an `ne` lane mask for f32x4/f64x2). Instructions whose
NaN the spec fixes (neg, abs, copysign, pmin, pmax, loads, constants,
reinterpretations, lane moves) are left alone: a difference there is a bug.

Immediates are skipped with the table of src/binary/opcodes.def (read at run
time, so the rewrite knows every instruction the decoder knows). Exits 1
with a one-line message on a module it cannot rewrite (then run.py keeps the
divergence).
"""
import os
import re
import sys

HERE = os.path.dirname(os.path.abspath(__file__))
OPCODES_DEF = os.path.join(HERE, "..", "..", "src", "binary", "opcodes.def")

ARITH = {"add", "sub", "mul", "div", "sqrt", "min", "max", "ceil", "floor", "trunc", "nearest"}
CONVERSIONS = {"f32.demote_f64": "f32", "f64.promote_f32": "f64",
               "f32x4.demote_f64x2_zero": "f32x4", "f64x2.promote_low_f32x4": "f64x2"}
# the helpers, in the order they are appended: (param/result type byte, body)
F32, F64, V128 = 0x7D, 0x7C, 0x7B
HELPERS = ["f32", "f64", "f32x4", "f64x2"]


class Unreadable(Exception):
    pass


def load_opcodes():
    """{(prefix, code): (text name, immediate kind)} from opcodes.def."""
    table = {}
    pat = re.compile(r'^OP\(\s*\w+,\s*"([^"]+)",\s*(0x[0-9A-Fa-f]+),\s*(0x[0-9A-Fa-f]+),\s*(IMM_\w+),')
    with open(OPCODES_DEF) as f:
        for line in f:
            m = pat.match(line)
            if m:
                table[(int(m.group(2), 16), int(m.group(3), 16))] = (m.group(1), m.group(4))
    if not table:
        raise Unreadable("no OP lines in " + OPCODES_DEF)
    return table


def canon_kind(name):
    """Which helper canonicalises the result of instruction `name` (None: none)."""
    if name in CONVERSIONS:
        return CONVERSIONS[name]
    shape, _, op = name.partition(".")
    return shape if shape in HELPERS and op in ARITH else None


class Reader:
    def __init__(self, buf, pos=0, end=None):
        self.buf, self.pos, self.end = buf, pos, len(buf) if end is None else end

    def byte(self):
        if self.pos >= self.end:
            raise Unreadable("unexpected end at 0x%x" % self.pos)
        b = self.buf[self.pos]
        self.pos += 1
        return b

    def leb(self):
        r, shift = 0, 0
        while True:
            b = self.byte()
            r |= (b & 0x7F) << shift
            shift += 7
            if not b & 0x80:
                return r
            if shift > 70:
                raise Unreadable("LEB128 too long at 0x%x" % self.pos)

    def skip(self, n):
        if self.pos + n > self.end:
            raise Unreadable("unexpected end at 0x%x" % self.pos)
        self.pos += n


def uleb(n):
    out = bytearray()
    while True:
        b = n & 0x7F
        n >>= 7
        out.append(b | (0x80 if n else 0))
        if not n:
            return bytes(out)


def skip_immediates(r, kind):
    if kind == "IMM_NONE":
        return
    if kind == "IMM_BLOCKTYPE":
        b = r.buf[r.pos] if r.pos < r.end else None
        if b == 0x40 or b in (0x7F, 0x7E, 0x7D, 0x7C, 0x7B, 0x70, 0x6F):
            r.skip(1)
        else:
            r.leb()  # s33 type index: the same bytes as a LEB
    elif kind in ("IMM_LABEL", "IMM_FUNC", "IMM_LOCAL", "IMM_GLOBAL", "IMM_TABLE", "IMM_MEMORY", "IMM_I32",
                  "IMM_I64", "IMM_DATA", "IMM_ELEM"):
        r.leb()
    elif kind in ("IMM_CALL_INDIRECT", "IMM_MEMORY_MEMORY", "IMM_DATA_MEMORY", "IMM_ELEM_TABLE", "IMM_TABLE_TABLE"):
        r.leb()
        r.leb()
    elif kind == "IMM_BR_TABLE":
        for _ in range(r.leb() + 1):
            r.leb()
    elif kind in ("IMM_MEMARG", "IMM_MEMARG_LANE"):
        if r.leb() & 0x40:
            r.leb()  # memory index
        r.leb()
        if kind == "IMM_MEMARG_LANE":
            r.skip(1)
    elif kind == "IMM_F32":
        r.skip(4)
    elif kind == "IMM_F64":
        r.skip(8)
    elif kind in ("IMM_V128", "IMM_SHUFFLE"):
        r.skip(16)
    elif kind == "IMM_LANE":
        r.skip(1)
    elif kind == "IMM_SELECT_T":
        r.skip(r.leb())
    elif kind == "IMM_HEAPTYPE":
        r.leb()
    else:
        raise Unreadable("immediate kind %s unknown to canon_nan.py" % kind)


def rewrite_body(body, opcodes, helper_index):
    """The function body with a helper call after each arithmetic float op."""
    r = Reader(body)
    for _ in range(r.leb()):  # local declarations
        r.leb()
        r.byte()
    out = bytearray(body[:r.pos])
    while r.pos < r.end:
        start = r.pos
        op = r.byte()
        code = r.leb() if op in (0xFC, 0xFD) else op
        prefix = op if op in (0xFC, 0xFD) else 0
        if (prefix, code) not in opcodes:
            raise Unreadable("unknown opcode 0x%x 0x%x at body offset 0x%x" % (prefix, code, start))
        name, kind = opcodes[(prefix, code)]
        skip_immediates(r, kind)
        out += body[start:r.pos]
        k = canon_kind(name)
        if k:
            out += b"\x10" + uleb(helper_index[k])
    return bytes(out)


def helper_body(k):
    if k in ("f32", "f64"):
        const = b"\x43" + (0x7FC00000).to_bytes(4, "little") if k == "f32" else \
            b"\x44" + (0x7FF8000000000000).to_bytes(8, "little")
        ne = b"\x5C" if k == "f32" else b"\x62"
        code = const + b"\x20\x00\x20\x00\x20\x00" + ne + b"\x1B"  # select(nan, x, x != x)
    else:
        lane = (0x7FC00000).to_bytes(4, "little") * 4 if k == "f32x4" else (0x7FF8000000000000).to_bytes(8, "little") * 2
        ne = b"\xFD" + uleb(0x42 if k == "f32x4" else 0x48)  # f32x4.ne / f64x2.ne
        code = b"\xFD\x0C" + lane + b"\x20\x00\x20\x00\x20\x00" + ne + b"\xFD" + uleb(0x52)  # v128.bitselect
    body = b"\x00" + code + b"\x0B"
    return uleb(len(body)) + body


def sections(buf):
    if buf[:8] != b"\x00asm\x01\x00\x00\x00":
        raise Unreadable("not a wasm 1.0 binary module")
    r = Reader(buf, 8)
    out = []
    while r.pos < len(buf):
        sid = r.byte()
        size = r.leb()
        out.append([sid, buf[r.pos:r.pos + size]])
        r.skip(size)
    return out


def count_imported_funcs(payload):
    r = Reader(payload)
    n = 0
    for _ in range(r.leb()):
        for _ in range(2):
            r.skip(r.leb())
        kind = r.byte()
        if kind == 0:
            r.leb()
            n += 1
        elif kind == 1:  # table: reftype, limits
            r.byte()
            flags = r.byte()
            r.leb()
            if flags & 1:
                r.leb()
        elif kind == 2:
            flags = r.byte()
            r.leb()
            if flags & 1:
                r.leb()
        elif kind == 3:
            r.skip(2)
        else:
            raise Unreadable("import kind %d" % kind)
    return n


def rewrite(buf, opcodes):
    secs = sections(buf)
    ids = [s[0] for s in secs]
    for need in (1, 3, 10):
        if need not in ids:
            raise Unreadable("no section %d (a module without functions has nothing to rewrite)" % need)
    payload = {sid: p for sid, p in secs if sid != 0}
    ntypes = Reader(payload[1]).leb()
    fr = Reader(payload[3])
    ndefined = fr.leb()
    nimported = count_imported_funcs(payload[2]) if 2 in payload else 0
    helper_index = {k: nimported + ndefined + i for i, k in enumerate(HELPERS)}
    valtype = {"f32": F32, "f64": F64, "f32x4": V128, "f64x2": V128}

    r = Reader(payload[1])
    r.leb()
    types = uleb(ntypes + 4) + payload[1][r.pos:] + b"".join(
        b"\x60\x01" + bytes([valtype[k]]) + b"\x01" + bytes([valtype[k]]) for k in HELPERS)
    funcs = uleb(ndefined + 4) + payload[3][fr.pos:] + b"".join(uleb(ntypes + i) for i in range(4))
    cr = Reader(payload[10])
    nbodies = cr.leb()
    if nbodies != ndefined:
        raise Unreadable("%d bodies for %d functions" % (nbodies, ndefined))
    code = bytearray(uleb(nbodies + 4))
    for _ in range(nbodies):
        size = cr.leb()
        body = rewrite_body(payload[10][cr.pos:cr.pos + size], opcodes, helper_index)
        cr.skip(size)
        code += uleb(len(body)) + body
    for k in HELPERS:
        code += helper_body(k)
    new = {1: types, 3: funcs, 10: bytes(code)}
    out = bytearray(b"\x00asm\x01\x00\x00\x00")
    for sid, p in secs:
        p = new.get(sid, p)
        out += bytes([sid]) + uleb(len(p)) + p
    return bytes(out)


def main():
    if len(sys.argv) != 3:
        print("usage: canon_nan.py IN.wasm OUT.wasm", file=sys.stderr)
        return 2
    try:
        with open(sys.argv[1], "rb") as f:
            buf = f.read()
        out = rewrite(buf, load_opcodes())
    except (OSError, Unreadable) as e:
        print("canon_nan: %s: %s" % (sys.argv[1], e), file=sys.stderr)
        return 1
    with open(sys.argv[2], "wb") as f:
        f.write(out)
    return 0


if __name__ == "__main__":
    sys.exit(main())
