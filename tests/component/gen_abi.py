#!/usr/bin/env python3
"""gen_abi.py — writes tests/component/abi.wat, the canonical-ABI coverage
component used by tests/cli/component_abi.sh.

The component has two nested components:
  $P, the provider: every export is a core function that hands its argument
      back (or builds a value) through real core code: flat identities for
      scalars, stores into a return area for records/tuples/variants/options/
      results/fixed lists whose flattening has more than one value, echoes of
      (ptr, len) for strings and lists, a weighted sum over 16 flat and 17
      spilled parameters; a post-return that counts its calls and poisons the
      return area (so a result read after post-return would be garbage), a
      realloc that records its last call.
  $C, the consumer: imports every provider export with the same type, lowers
      it into its own core module (its own memory, realloc and a different
      string encoding) and lifts a wrapper of the same type.
The root exports the provider's functions as NAME and the consumer's as
c-NAME, so `wrun --invoke c-NAME` moves each value host -> consumer (lift
params) -> provider (lower import: lift from the consumer, lower into the
provider) -> back (lift the provider's result, lower it into the consumer's
return area) -> host: both directions of every type, flat and in memory.

Flattening is computed here independently of wrun (CanonicalABI.md
`flatten_type` with the variant join) to write the core signatures.
Regenerate with `python3 gen_abi.py > abi.wat && jco parse abi.wat -o abi.wasm`.
"""

# ---- value types (text form, flattening) ---------------------------------
# A type is a tuple: ("prim", name) | ("ref", name) for a root-level named type.
PRIM_FLAT = {
    "bool": ["i32"], "s8": ["i32"], "u8": ["i32"], "s16": ["i32"], "u16": ["i32"],
    "s32": ["i32"], "u32": ["i32"], "s64": ["i64"], "u64": ["i64"], "f32": ["f32"],
    "f64": ["f64"], "char": ["i32"], "string": ["i32", "i32"],
}

def join(a, b):
    if a == b:
        return a
    if {a, b} == {"i32", "f32"}:
        return "i32"
    return "i64"

def flat_variant(cases):
    flat = []
    for c in cases:
        if c is None:
            continue
        for i, ft in enumerate(flatten(c)):
            if i < len(flat):
                flat[i] = join(flat[i], ft)
            else:
                flat.append(ft)
    return ["i32"] + flat

# Root-level named types: name -> (text, structure)
TYPES = {}
def deftype(name, text, struct):
    TYPES[name] = (text, struct)

def flatten(t):
    if isinstance(t, str):
        if t in PRIM_FLAT:
            return PRIM_FLAT[t]
        return flatten(TYPES[t][1])
    k = t[0]
    if k == "record" or k == "tuple":
        return [f for x in t[1] for f in flatten(x)]
    if k == "variant":
        return flat_variant(t[1])
    if k == "list":
        return ["i32", "i32"]
    if k == "fixed":
        return flatten(t[1]) * t[2]
    if k in ("enum", "flags"):
        return ["i32"]
    raise ValueError(t)

deftype("rec", '(record (field "a" u8) (field "b" s16) (field "c" u32) (field "d" s64) '
               '(field "e" f32) (field "f" f64) (field "g" char) (field "h" bool))',
        ("record", ["u8", "s16", "u32", "s64", "f32", "f64", "char", "bool"]))
deftype("tup", "(tuple u8 string u64)", ("tuple", ["u8", "string", "u64"]))
deftype("var", '(variant (case "a" u32) (case "b" f32) (case "c" u64) (case "d" string) (case "e"))',
        ("variant", ["u32", "f32", "u64", "string", None]))
deftype("col", '(enum "red" "green" "blue")', ("enum",))
deftype("opts", "(option string)", ("variant", [None, "string"]))
deftype("resus", "(result u32 (error string))", ("variant", ["u32", "string"]))
deftype("f3", '(flags "a" "b" "c")', ("flags",))
deftype("f9", "(flags " + " ".join('"f%d"' % i for i in range(9)) + ")", ("flags",))
deftype("f17", "(flags " + " ".join('"g%d"' % i for i in range(17)) + ")", ("flags",))
deftype("f32l", "(flags " + " ".join('"h%d"' % i for i in range(32)) + ")", ("flags",))
deftype("fix", "(list u32 4)", ("fixed", "u32", 4))
deftype("pt", "(tuple char f64)", ("tuple", ["char", "f64"]))
deftype("ls", "(list string)", ("list",))
deftype("rec2", '(record (field "name" string) (field "tags" $ls) (field "p" (option $pt)) (field "v" $var))',
        ("record", ["string", "ls", ("variant", [None, "pt"]), "var"]))
for el in ["bool", "s8", "u16", "s32", "u64", "f32", "f64", "char", "string", "rec", "tup", "var",
           "col", "opts", "resus", "f9", "f17", "fix", "ls", "rec2"]:
    deftype("l-" + el, "(list %s)" % (el if el in PRIM_FLAT else "$" + el), ("list",))

def ty(t):
    return t if t in PRIM_FLAT else "$" + t

# ---- functions -------------------------------------------------------------
# (export name, [param types], result type or None, provider core func,
#  provider string encoding, consumer string encoding)
FUNCS = []
def fn(name, params, result, core, penc="utf8", cenc="utf16"):
    FUNCS.append((name, params, result, core, penc, cenc))

for p in ["bool", "s8", "u8", "s16", "u16", "s32", "u32", "char"]:
    fn("id-" + p, [p], p, "id32")
fn("id-s64", ["s64"], "s64", "id64")
fn("id-u64", ["u64"], "u64", "id64")
fn("id-f32", ["f32"], "f32", "idf32")
fn("id-f64", ["f64"], "f64", "idf64")
for t in ["col", "f3", "f9", "f17", "f32l"]:
    fn("id-" + t, [t], t, "id32")
# raw core values lifted as narrower types
for p in ["bool", "s8", "u8", "s16", "u16", "char", "col", "f3", "f9"]:
    fn(p + "-of", ["u32"], p, "id32")
fn("f32-of", ["u32"], "f32", "f32-of-bits")
fn("f64-of", ["u64"], "f64", "f64-of-bits")
# compound types flattened to several core values: stored by core code
for t in ["rec", "tup", "var", "opts", "resus", "fix"]:
    fn("id-" + t, [t], t, "id-" + t)
# strings in each encoding, both directions
fn("echo-s8", ["string"], "string", "echo2", "utf8", "latin1+utf16")
fn("echo-s16", ["string"], "string", "echo2", "utf16", "utf8")
fn("echo-latin1", ["string"], "string", "echo2", "latin1+utf16", "utf16")
fn("echo-latin1-8", ["string"], "string", "echo2", "latin1+utf16", "utf8")
fn("make-latin1", [], "string", "make-latin1", "latin1+utf16", "utf8")
fn("make-utf16", [], "string", "make-utf16", "latin1+utf16", "utf8")
fn("make-utf16p", [], "string", "make-utf16p", "utf16", "latin1+utf16")
fn("units8", ["string"], "u32", "units", "utf8")
fn("units16", ["string"], "u32", "units", "utf16")
fn("units-latin1", ["string"], "u32", "units", "latin1+utf16")
# lists of every kind of element, echoed
for el in ["bool", "s8", "u16", "s32", "u64", "f32", "f64", "char", "string", "rec", "tup", "var",
           "col", "opts", "resus", "f9", "f17", "fix", "ls", "rec2"]:
    fn("list-" + el, ["l-" + el], "l-" + el, "echo2")
# the flattening limits
fn("p16", ["u32"] * 16, "u32", "p16")
fn("spill", ["u32"] * 16 + ["u64"], "u64", "spill")
fn("swap", ["u32", "u32"], "swap-result", "swap")
# a string and 15 u32 are 17 flat values: spilled; the string is the
# tuple's first field, so the tuple's address is also the string result's
fn("spill-str", ["string"] + ["u32"] * 15, "string", "id32")
deftype("swap-result", "(tuple u32 u32)", ("tuple", ["u32", "u32"]))
deftype("quad", "(tuple u32 u32 u32 u32)", ("tuple", ["u32"] * 4))
fn("post-log", [], "swap-result", "post-log")
fn("last-realloc", [], "quad", "last-realloc")

POST_RETURN = {"echo2", "id-rec", "id-tup", "id-var", "id-opts", "id-resus", "id-fix",
               "make-latin1", "make-utf16", "make-utf16p", "swap"}

def core_sig(params, result):
    pf = [f for p in params for f in flatten(p)]
    if len(pf) > 16:
        pf = ["i32"]
    rf = flatten(result) if result else []
    return pf, rf

def functype(params, result):
    ps = " ".join('(param "%s" %s)' % (chr(ord("a") + i) if i < 26 else "z%d" % i, ty(p))
                  for i, p in enumerate(params))
    rs = " (result %s)" % ty(result) if result else ""
    return (ps + rs).strip()

def enc(e):
    return "" if e == "utf8" else " string-encoding=" + e

PROVIDER_CORE = r'''
    (core module $m
      (memory (export "mem") 1)
      (global $bump (mut i32) (i32.const 4096))
      (global $posts (mut i32) (i32.const 0))
      (global $post-arg (mut i32) (i32.const 0))
      (global $r-old (mut i32) (i32.const 0))
      (global $r-osz (mut i32) (i32.const 0))
      (global $r-align (mut i32) (i32.const 0))
      (global $r-nsz (mut i32) (i32.const 0))
      ;; a bump allocator that records its last call and copies when growing
      (func (export "realloc") (param $old i32) (param $osz i32) (param $align i32) (param $nsz i32) (result i32)
        (local $p i32)
        (global.set $r-old (local.get $old))
        (global.set $r-osz (local.get $osz))
        (global.set $r-align (local.get $align))
        (global.set $r-nsz (local.get $nsz))
        (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                               (i32.sub (i32.const 0) (local.get $align))))
        (global.set $bump (i32.add (local.get $p) (local.get $nsz)))
        (if (local.get $old) (then (memory.copy (local.get $p) (local.get $old) (local.get $osz))))
        (local.get $p))
      ;; post-return: counts, remembers its argument, poisons the return area
      (func (export "post") (param $p i32)
        (global.set $posts (i32.add (global.get $posts) (i32.const 1)))
        (global.set $post-arg (local.get $p))
        (memory.fill (i32.const 64) (i32.const 0xaa) (i32.const 64)))
      (func (export "post-log") (result i32)
        (i32.store (i32.const 128) (global.get $posts))
        (i32.store (i32.const 132) (global.get $post-arg))
        (i32.const 128))
      (func (export "last-realloc") (result i32)
        (i32.store (i32.const 160) (i32.ne (global.get $r-old) (i32.const 0)))
        (i32.store (i32.const 164) (global.get $r-osz))
        (i32.store (i32.const 168) (global.get $r-align))
        (i32.store (i32.const 172) (global.get $r-nsz))
        (i32.const 160))
      (func (export "id32") (param i32) (result i32) (local.get 0))
      (func (export "id64") (param i64) (result i64) (local.get 0))
      (func (export "idf32") (param f32) (result f32) (local.get 0))
      (func (export "idf64") (param f64) (result f64) (local.get 0))
      (func (export "f32-of-bits") (param i32) (result f32) (f32.reinterpret_i32 (local.get 0)))
      (func (export "f64-of-bits") (param i64) (result f64) (f64.reinterpret_i64 (local.get 0)))
      ;; record {a: u8, b: s16, c: u32, d: s64, e: f32, f: f64, g: char, h: bool}:
      ;; offsets 0 2 4 8 16 24 32 36, size 40, alignment 8
      (func (export "id-rec") (param i32 i32 i32 i64 f32 f64 i32 i32) (result i32)
        (i32.store8 (i32.const 64) (local.get 0))
        (i32.store16 (i32.const 66) (local.get 1))
        (i32.store (i32.const 68) (local.get 2))
        (i64.store (i32.const 72) (local.get 3))
        (f32.store (i32.const 80) (local.get 4))
        (f64.store (i32.const 88) (local.get 5))
        (i32.store (i32.const 96) (local.get 6))
        (i32.store8 (i32.const 100) (local.get 7))
        (i32.const 64))
      ;; tuple<u8, string, u64>: offsets 0 4 16, size 24
      (func (export "id-tup") (param i32 i32 i32 i64) (result i32)
        (i32.store8 (i32.const 64) (local.get 0))
        (i32.store (i32.const 68) (local.get 1))
        (i32.store (i32.const 72) (local.get 2))
        (i64.store (i32.const 80) (local.get 3))
        (i32.const 64))
      ;; variant {a(u32), b(f32), c(u64), d(string), e}: flat i32 i64 i32
      ;; (the join), memory: u8 discriminant, payload at 8
      (func (export "id-var") (param $d i32) (param $p i64) (param $q i32) (result i32)
        (i32.store8 (i32.const 64) (local.get $d))
        (if (i32.eq (local.get $d) (i32.const 2))
          (then (i64.store (i32.const 72) (local.get $p)))
          (else (i32.store (i32.const 72) (i32.wrap_i64 (local.get $p)))))
        (if (i32.eq (local.get $d) (i32.const 3))
          (then (i32.store (i32.const 76) (local.get $q))))
        (i32.const 64))
      ;; option<string> and result<u32, string>: u8 discriminant, payload at 4
      (func (export "id-opts") (param i32 i32 i32) (result i32)
        (i32.store8 (i32.const 64) (local.get 0))
        (i32.store (i32.const 68) (local.get 1))
        (i32.store (i32.const 72) (local.get 2))
        (i32.const 64))
      (func (export "id-resus") (param i32 i32 i32) (result i32)
        (i32.store8 (i32.const 64) (local.get 0))
        (i32.store (i32.const 68) (local.get 1))
        (if (local.get 0) (then (i32.store (i32.const 72) (local.get 2))))
        (i32.const 64))
      ;; list<u32, 4>: four flat values, 16 bytes
      (func (export "id-fix") (param i32 i32 i32 i32) (result i32)
        (i32.store (i32.const 64) (local.get 0))
        (i32.store (i32.const 68) (local.get 1))
        (i32.store (i32.const 72) (local.get 2))
        (i32.store (i32.const 76) (local.get 3))
        (i32.const 64))
      ;; (ptr, len) -> a return area holding them (strings and lists)
      (func (export "echo2") (param i32 i32) (result i32)
        (i32.store (i32.const 64) (local.get 0))
        (i32.store (i32.const 68) (local.get 1))
        (i32.const 64))
      (func (export "units") (param i32 i32) (result i32) (local.get 1))
      ;; "hé" as two Latin-1 bytes
      (func (export "make-latin1") (result i32)
        (i32.store8 (i32.const 200) (i32.const 0x68))
        (i32.store8 (i32.const 201) (i32.const 0xe9))
        (i32.store (i32.const 64) (i32.const 200))
        (i32.store (i32.const 68) (i32.const 2))
        (i32.const 64))
      ;; "h☃" as UTF-16 with latin1+utf16's tag bit (1 << 31) on the length
      (func (export "make-utf16") (result i32)
        (i32.store16 (i32.const 208) (i32.const 0x68))
        (i32.store16 (i32.const 210) (i32.const 0x2603))
        (i32.store (i32.const 64) (i32.const 208))
        (i32.store (i32.const 68) (i32.const 0x80000002))
        (i32.const 64))
      ;; "🌍" as a UTF-16 surrogate pair
      (func (export "make-utf16p") (result i32)
        (i32.store16 (i32.const 216) (i32.const 0xd83c))
        (i32.store16 (i32.const 218) (i32.const 0xdf0d))
        (i32.store (i32.const 64) (i32.const 216))
        (i32.store (i32.const 68) (i32.const 2))
        (i32.const 64))
      ;; sum of (i + 1) * x_i: any reordering of the 16 flat values shows
      (func (export "p16") (param i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32 i32) (result i32)
        %s)
      ;; 17 parameters: one pointer to the tuple (16 u32 at 0..60, the u64 at 64)
      (func (export "spill") (param $p i32) (result i64) (local $i i32) (local $s i64)
        (block $done (loop $l
          (br_if $done (i32.eq (local.get $i) (i32.const 16)))
          (local.set $s (i64.add (local.get $s)
            (i64.mul (i64.extend_i32_u (i32.add (local.get $i) (i32.const 1)))
                     (i64.load32_u (i32.add (local.get $p) (i32.shl (local.get $i) (i32.const 2)))))))
          (local.set $i (i32.add (local.get $i) (i32.const 1)))
          (br $l)))
        (i64.add (local.get $s) (i64.mul (i64.const 1000) (i64.load offset=64 (local.get $p)))))
      (func (export "swap") (param i32 i32) (result i32)
        (i32.store (i32.const 64) (local.get 1))
        (i32.store (i32.const 68) (local.get 0))
        (i32.const 64))
    )
''' % " ".join(["(i32.add"] * 15 + ["(local.get 0)"] +
               ["(i32.mul (i32.const %d) (local.get %d)))" % (i + 1, i) for i in range(1, 16)])

CONSUMER_MEM = r'''
    (core module $cm
      (memory (export "mem") 1)
      (global $bump (mut i32) (i32.const 8192))
      (func (export "realloc") (param $old i32) (param $osz i32) (param $align i32) (param $nsz i32) (result i32)
        (local $p i32)
        (local.set $p (i32.and (i32.add (global.get $bump) (i32.sub (local.get $align) (i32.const 1)))
                               (i32.sub (i32.const 0) (local.get $align))))
        (global.set $bump (i32.add (local.get $p) (local.get $nsz)))
        (if (local.get $old) (then (memory.copy (local.get $p) (local.get $old) (local.get $osz))))
        (local.get $p)))
    (core instance $ci (instantiate $cm))
    (alias core export $ci "mem" (core memory $cmem))
    (alias core export $ci "realloc" (core func $crealloc))
'''

# Consumer-only functions: (name, params, result, core code[, string encoding of the lift,
# which must be the one the called import is lowered with])
SPECIAL = [
    # the provider lifts a NaN with a payload; the consumer sees the canonical NaN's bits
    ("nan32", ["u32"], "u32",
     '(func (export "nan32") (param i32) (result i32) (i32.reinterpret_f32 (call $f32-of (local.get 0))))'),
    ("nan64", ["u64"], "u64",
     '(func (export "nan64") (param i64) (result i64) (i64.reinterpret_f64 (call $f64-of (local.get 0))))'),
    # post-return ran once for one echo, with the core result as its argument
    ("post-check", ["string"], "swap-result",
     '''(func (export "post-check") (param i32 i32) (result i32) (local $n0 i32)
        (call $post-log (i32.const 32))
        (local.set $n0 (i32.load (i32.const 32)))
        (call $echo-s8 (local.get 0) (local.get 1) (i32.const 40))
        (call $post-log (i32.const 32))
        (i32.store (i32.const 48) (i32.sub (i32.load (i32.const 32)) (local.get $n0)))
        (i32.store (i32.const 52) (i32.load (i32.const 36)))
        (i32.const 48))''', "latin1+utf16"),
    # the provider's realloc as the list was lowered into it
    ("realloc-check", ["l-u64"], "quad",
     '''(func (export "realloc-check") (param i32 i32) (result i32)
        (call $list-u64 (local.get 0) (local.get 1) (i32.const 32))
        (call $last-realloc (i32.const 48))
        (i32.const 48))'''),
    ("realloc-check16", ["string"], "quad",
     '''(func (export "realloc-check16") (param i32 i32) (result i32)
        (call $echo-s16 (local.get 0) (local.get 1) (i32.const 32))
        (call $last-realloc (i32.const 48))
        (i32.const 48))'''),
    ("realloc-check-latin1", ["string"], "quad",
     '''(func (export "realloc-check-latin1") (param i32 i32) (result i32)
        (call $echo-latin1-8 (local.get 0) (local.get 1) (i32.const 32))
        (call $last-realloc (i32.const 48))
        (i32.const 48))'''),
]

def main():
    out = []
    w = out.append
    w(";; Generated by gen_abi.py (see there): every canonical-ABI type through real")
    w(";; core code, host -> provider and host -> consumer -> provider -> back.")
    w("(component $root")
    order = list(TYPES)
    for n in order:
        w("  (type $%s %s)" % (n, TYPES[n][0]))
    aliases = ["    (alias outer $root $%s (type $%s))" % (n, n) for n in order]

    # provider
    w("  (component $P")
    out.extend(aliases)
    w(PROVIDER_CORE)
    w('    (core instance $i (instantiate $m))')
    w('    (alias core export $i "mem" (core memory $mem))')
    w('    (alias core export $i "realloc" (core func $realloc))')
    w('    (alias core export $i "post" (core func $post))')
    for (name, params, result, core, penc, cenc) in FUNCS:
        post = " (post-return $post)" if core in POST_RETURN else ""
        w('    (func (export "%s") %s (canon lift (core func $i "%s") (memory $mem) (realloc $realloc)%s%s))'
          % (name, functype(params, result), core, enc(penc), post))
    w("  )")

    # consumer
    w("  (component $C")
    out.extend(aliases)
    for (name, params, result, core, penc, cenc) in FUNCS:
        w('    (import "%s" (func $%s %s))' % (name, name, functype(params, result)))
    w(CONSUMER_MEM)
    for (name, params, result, core, penc, cenc) in FUNCS:
        w('    (core func $low-%s (canon lower (func $%s) (memory $cmem) (realloc $crealloc)%s))'
          % (name, name, enc(cenc)))
    w("    (core module $w")
    w('      (import "env" "mem" (memory 1))')
    for (name, params, result, core, penc, cenc) in FUNCS:
        pf, rf = core_sig(params, result)
        lp = pf + (["i32"] if len(rf) > 1 else [])
        lr = rf if len(rf) <= 1 else []
        w('      (import "env" "%s" (func $%s%s%s))' % (
            name, name, "".join(" (param %s)" % p for p in lp), "".join(" (result %s)" % r for r in lr)))
    for (name, params, result, core, penc, cenc) in FUNCS:
        pf, rf = core_sig(params, result)
        args = "".join(" (local.get %d)" % i for i in range(len(pf)))
        sig = "".join(" (param %s)" % p for p in pf) + ("".join(" (result %s)" % r for r in rf) if len(rf) <= 1
                                                         else " (result i32)")
        if len(rf) > 1:
            body = "(call $%s%s (i32.const 16)) (i32.const 16)" % (name, args)
        else:
            body = "(call $%s%s)" % (name, args)
        w('      (func (export "%s")%s %s)' % (name, sig, body))
    for (name, params, result, code, *_e) in SPECIAL:
        w("      " + code)
    w("    )")
    w('    (core instance $env (export "mem" (memory $cmem))')
    for (name, params, result, core, penc, cenc) in FUNCS:
        w('      (export "%s" (func $low-%s))' % (name, name))
    w("    )")
    w('    (core instance $wi (instantiate $w (with "env" (instance $env))))')
    for (name, params, result, core, penc, cenc) in FUNCS:
        w('    (func (export "%s") %s (canon lift (core func $wi "%s") (memory $cmem) (realloc $crealloc)%s))'
          % (name, functype(params, result), name, enc(cenc)))
    for (name, params, result, code, *e) in SPECIAL:
        w('    (func (export "%s") %s (canon lift (core func $wi "%s") (memory $cmem) (realloc $crealloc)%s))'
          % (name, functype(params, result), name, enc(e[0] if e else "utf8")))
    w("  )")

    w("  (instance $p (instantiate $P))")
    w("  (instance $c (instantiate $C")
    for (name, *_rest) in FUNCS:
        w('    (with "%s" (func $p "%s"))' % (name, name))
    w("  ))")
    for (name, *_rest) in FUNCS:
        w('  (export "%s" (func $p "%s"))' % (name, name))
        w('  (export "c-%s" (func $c "%s"))' % (name, name))
    for (name, *_rest) in SPECIAL:
        w('  (export "c-%s" (func $c "%s"))' % (name, name))
    w(")")
    print("\n".join(out))

if __name__ == "__main__":
    main()
