#!/usr/bin/env python3
"""Differential fuzzing of wrun against V8 (see docs/testing.md).

    run.py --seconds N --driver PATH [--out DIR] [--seed S]

Loop until N seconds have passed: random bytes -> binaryen's translate-to-fuzz
(`wasm-opt -ttf`, a generator that is not ours) -> a valid module; run it in
V8 through node (tests/difffuzz/oracle.js, an oracle that is not ours) and in
wrun's interpreter and AOT tier (difffuzz_driver); compare the two wrun
outputs with V8's, call by call: results, trap kinds, log-import calls and a
hash of memory after each call. Modules V8 rejects are skipped, not counted.
A divergent module is saved with the three outputs under DIR and the run
exits 1. Prints the counts at the end (and a progress line every minute).

A divergence is first checked for NaN nondeterminism: the module is rewritten
by canon_nan.py so every arithmetic float result that is a NaN becomes the
canonical NaN, and run again on both sides; if they then agree (past the call
that diverged), the divergence was NaN bits the spec leaves open: the module
is saved under DIR/nan and not counted as a divergence.

    run.py --replay MODULE.wasm --driver PATH [--out DIR]

compares one module (a saved one, say) the same way and exits 1 if it diverges.
"""
import argparse
import os
import random
import shutil
import subprocess
import sys
import tempfile
import time

HERE = os.path.dirname(os.path.abspath(__file__))
ORACLE = os.path.join(HERE, "oracle.js")
CANON = os.path.join(HERE, "canon_nan.py")

# WebAssembly 2.0 without reference types, which binaryen 108 turns into
# typed function references (0x6b) that V8 and wrun both reject; those are
# added to one module in four (the rest of what V8 rejects is skipped).
BASE_FEATURES = ["--mvp-features", "--enable-multivalue", "--enable-bulk-memory", "--enable-sign-ext",
                 "--enable-nontrapping-float-to-int", "--enable-simd", "--enable-mutable-globals"]
NODE_TIMEOUT = 30
WRUN_TIMEOUT = 60


def run(cmd, timeout, env=None):
    """(returncode, stdout text) or (None, '') on timeout."""
    try:
        p = subprocess.run(cmd, stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, timeout=timeout,
                           env=dict(os.environ, **env) if env else None)
        return p.returncode, p.stdout.decode("utf-8", "replace")
    except subprocess.TimeoutExpired:
        return None, ""


def split_calls(text):
    """The header lines (before the first call) and one list of lines per call."""
    header, calls = [], []
    for line in text.splitlines():
        if line.startswith("call "):
            calls.append([line])
        elif calls:
            calls[-1].append(line)
        else:
            header.append(line)
    return header, calls


def exhausted(lines):
    return any(line == "exhausted" or line.endswith(" exhausted") for line in lines)


def compare(v8, tier):
    """(None or a reason, functions compared, the call's index when only the
    memory hashes differ there)."""
    vh, vc = split_calls(v8)
    th, tc = split_calls(tier)
    if exhausted(vh) or exhausted(th):
        return None, 0, None
    if vh != th:
        return "instantiation: V8 %r, wrun %r" % (vh, th), 0, None
    compared = 0
    for i in range(max(len(vc), len(tc))):
        a = vc[i] if i < len(vc) else []
        b = tc[i] if i < len(tc) else []
        if exhausted(a) or exhausted(b):
            break  # the engines run out of stack at different depths
        if a != b:
            mem_a = [x.split()[1] for x in a if x.startswith("mem ")]
            mem_b = [x.split()[1] for x in b if x.startswith("mem ")]
            only_mem = [x for x in a if not x.startswith("mem ")] == [x for x in b if not x.startswith("mem ")] \
                and mem_a and mem_a == mem_b
            return "call %d (%s): V8 %r, wrun %r" % (i, (a or b)[0], a, b), compared, i if only_mem else None
        if "skip" not in a:
            compared += 1
    return None, compared, None


def is_nan(b, width):
    v = int.from_bytes(b, "little")
    if width == 4:
        return (v & 0x7F800000) == 0x7F800000 and (v & 0x7FFFFF) != 0
    return (v & 0x7FF0000000000000) == 0x7FF0000000000000 and (v & 0xFFFFFFFFFFFFF) != 0


def nan_payloads_only(a, b):
    """True if every byte where memories a and b differ lies in a 4- or
    8-byte window that holds a NaN of that width in both (a float or SIMD
    store of a NaN whose payload the spec leaves open)."""
    if len(a) != len(b):
        return False
    for p in (i for i in range(len(a)) if a[i] != b[i]):
        if not any(is_nan(a[s:s + w], w) and is_nan(b[s:s + w], w)
                   for w in (4, 8) for s in range(max(0, p - w + 1), min(p, len(a) - w) + 1)):
            return False
    return True


def memory_differs_by_nans(args, wasm, flag, call, work):
    """Reruns V8 and the tier with memory dumps and compares memory after `call`."""
    dumps = []
    for name, cmd in (("v8", [args.node, ORACLE, wasm]), ("wrun", [args.driver] + flag + [wasm])):
        d = os.path.join(work, "dump-" + name)
        shutil.rmtree(d, ignore_errors=True)
        os.makedirs(d)
        run(cmd, WRUN_TIMEOUT, {"DIFFFUZZ_DUMP": d})
        try:
            with open(os.path.join(d, "mem-%d.bin" % call), "rb") as f:
                dumps.append(f.read())
        except OSError:
            return False
    return nan_payloads_only(dumps[0], dumps[1])


def module_number(counts):
    """The number run.py gives the current module (rejected ones count too)."""
    return counts["modules"] + counts["v8_rejected"]


def save_module(outdir, seed, counts, wasm, v8, outputs, reasons):
    d = os.path.join(outdir, "div-%d-%d" % (seed, module_number(counts)))
    os.makedirs(d, exist_ok=True)
    shutil.copy(wasm, os.path.join(d, "module.wasm"))
    with open(os.path.join(d, "v8.txt"), "w") as f:
        f.write(v8)
    for tier, out in outputs.items():
        with open(os.path.join(d, tier + ".txt"), "w") as f:
            f.write(out)
    with open(os.path.join(d, "reason.txt"), "w") as f:
        f.write("\n".join(reasons) + "\n")
    return d


def save_divergence(outdir, seed, counts, wasm, v8, outputs, reasons, start):
    counts["divergences"] += 1
    d = save_module(outdir, seed, counts, wasm, v8, outputs, reasons)
    print("difffuzz: DIVERGENCE after %.0fs, saved in %s:\n  %s" %
          (time.monotonic() - start, d, "\n  ".join(r[:400] for r in reasons)), flush=True)


def compare_tiers(args, wasm, v8, work, counts=None):
    """Runs both tiers on `wasm` and compares each with V8's output `v8`:
    ({tier: output}, [reasons], {tier: calls compared before its divergence,
    -1 when it diverged at instantiation}).
    With `counts`, adds to the counters."""
    reasons, outputs, reached = [], {}, {}
    for tier, flag in (("interp", []), ("aot", ["--aot"])):
        rc, out = run([args.driver] + flag + [wasm], WRUN_TIMEOUT)
        outputs[tier] = out
        if rc is None:
            reasons.append("%s: timed out after %ds (V8 finished)" % (tier, WRUN_TIMEOUT))
            continue
        if rc != 0:
            reasons.append("%s: driver exited with %d" % (tier, rc))
        why, n, mem_call = compare(v8, out)
        if why and mem_call is not None and memory_differs_by_nans(args, wasm, flag, mem_call, work):
            # NaN payloads in memory: allowed; what runs after may read them, so stop there
            if counts is not None:
                counts["nan_memory"] += 1
            why = None
        if counts is not None:
            counts["comparisons"] += n
            if tier == "interp":
                counts["functions"] += n
        if why:
            reasons.append("%s: %s" % (tier, why))
            reached[tier] = -1 if why.startswith("instantiation") else n
    return outputs, reasons, reached


def nan_explains(args, wasm, reached, work):
    """(True, None) if the module rewritten by canon_nan.py (every arithmetic
    float result that is NaN made the canonical NaN) runs alike in V8 and in
    each divergent tier, past the call where it diverged: the divergence was
    NaN nondeterminism the spec allows, not a wrong answer. Otherwise (False,
    why): the divergence stands, including when the module cannot be
    rewritten or V8 rejects the rewrite."""
    canon = os.path.join(work, "canon.wasm")
    rc, _ = run([sys.executable, CANON, wasm, canon], 60)
    if rc != 0:
        return False, "canon_nan.py could not rewrite the module"
    rc, v8 = run([args.node, ORACLE, canon], NODE_TIMEOUT)
    if rc != 0 or not v8.startswith("instantiate "):
        return False, "V8 does not run the rewritten module: %s" % (v8.splitlines() or ["exit %s" % rc])[0]
    for tier, n in reached.items():
        rc, out = run([args.driver] + (["--aot"] if tier == "aot" else []) + [canon], WRUN_TIMEOUT)
        if rc != 0:
            return False, "%s: driver exited with %s on the rewritten module" % (tier, rc)
        why, compared, _ = compare(v8, out)
        if why:
            return False, "%s: with canonical NaNs still %s" % (tier, why)
        if compared <= n or split_calls(v8)[0] != split_calls(out)[0]:
            return False, "%s: the rewritten module stops before the divergent call" % tier
    return True, None


def check_module(args, wasm, v8, seed, counts, work, start):
    """Compares one module V8 accepted; saves it if it diverges."""
    counts["modules"] += 1
    outputs, reasons, reached = compare_tiers(args, wasm, v8, work, counts)
    nan = False
    if reasons and len(reached) == len(reasons):
        nan, why = nan_explains(args, wasm, reached, work)
        if not nan:
            reasons.append(why)
    if reasons and nan:
        counts["nan_nondeterministic"] += 1
        save_module(os.path.join(args.out, "nan"), seed, counts, wasm, v8, outputs, reasons)
        print("difffuzz: module %d diverges only in NaN bits the spec leaves open (agrees once arithmetic "
              "NaNs are canonical): not counted" % module_number(counts), flush=True)
        return
    if reasons:
        save_divergence(args.out, seed, counts, wasm, v8, outputs, reasons, start)


def replay(args):
    """--replay: the comparison of one module, NaN classification included."""
    counts = dict(modules=0, v8_rejected=0, functions=0, comparisons=0, divergences=0, nan_memory=0,
                  nan_nondeterministic=0)
    rc, v8 = run([args.node, ORACLE, args.replay], NODE_TIMEOUT)
    if rc != 0 or not v8.startswith("instantiate "):
        print("difffuzz: %s: V8 does not run it: %s" % (args.replay, (v8.splitlines() or ["exit %s" % rc])[0]))
        return 2
    work = tempfile.mkdtemp(prefix="difffuzz-")
    try:
        check_module(args, args.replay, v8, 0, counts, work, time.monotonic())
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("difffuzz: replay of %s: %s" % (args.replay, " ".join("%s=%d" % kv for kv in counts.items())))
    return 1 if counts["divergences"] else 0


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--seconds", type=float, default=0)
    ap.add_argument("--driver", required=True)
    ap.add_argument("--out", default="difffuzz-out")
    ap.add_argument("--seed", type=int, default=None)
    ap.add_argument("--node", default="node")
    ap.add_argument("--wasm-opt", default="wasm-opt")
    ap.add_argument("--replay", metavar="MODULE.wasm", help="compare this one module (e.g. a saved one) and stop")
    args = ap.parse_args()
    if args.replay:
        return replay(args)
    seed = args.seed if args.seed is not None else int.from_bytes(os.urandom(4), "little")
    rng = random.Random(seed)
    print("difffuzz: seed %d, %gs, driver %s" % (seed, args.seconds, args.driver), flush=True)
    work = tempfile.mkdtemp(prefix="difffuzz-")
    counts = dict(modules=0, v8_rejected=0, v8_timeouts=0, functions=0, comparisons=0, divergences=0, nan_memory=0,
                  nan_nondeterministic=0)
    start = time.monotonic()
    last_report = start
    try:
        while time.monotonic() - start < args.seconds:
            raw, wasm = os.path.join(work, "random.bin"), os.path.join(work, "m.wasm")
            with open(raw, "wb") as f:
                # sizes from 256 B to 256 KiB, evenly on a log scale: inputs past
                # about 80 KiB make modules with 100+ types, whose blocks then
                # name types by two-byte indexes
                f.write(rng.randbytes(int(2 ** rng.uniform(8, 18))))
            features = list(BASE_FEATURES)
            if rng.random() < 0.25:
                features.append("--enable-reference-types")
            opt = ["-O2"] if rng.random() < 0.3 else []
            rc, _ = run([args.wasm_opt, "-ttf", raw, "--denan"] + features + opt + ["-o", wasm], 60)
            if rc != 0:
                continue
            rc, v8 = run([args.node, ORACLE, wasm], NODE_TIMEOUT)
            if rc is None:
                counts["v8_timeouts"] += 1
                continue
            oracle_failed = rc != 0 or any(line.startswith("error ") for line in v8.splitlines())
            if oracle_failed:  # the oracle itself failed: a harness bug to look at, not wrun's
                print("difffuzz: oracle error: %s" % (v8.strip().splitlines() or ["exit %d" % rc])[-1][:300], flush=True)
            if oracle_failed or v8.startswith("reject"):
                counts["v8_rejected"] += 1
                # what V8 finds invalid, wrun must not accept (binaryen 108 makes
                # some invalid modules when reference types are on)
                rc, out = run([args.driver, wasm], WRUN_TIMEOUT)
                if v8.startswith("reject ") and not v8.startswith("reject WebAssembly.Instance") \
                        and rc == 0 and not out.startswith("reject"):
                    save_divergence(args.out, seed, counts, wasm, v8, {"interp": out},
                                    ["V8 rejects the module, wrun accepts it: " + v8.splitlines()[0]], start)
                continue
            check_module(args, wasm, v8, seed, counts, work, start)
            now = time.monotonic()
            if now - last_report >= 60:
                last_report = now
                print("difffuzz: %.0fs: %s" % (now - start, " ".join("%s=%d" % kv for kv in counts.items())), flush=True)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    print("difffuzz: %d modules (%d rejected by V8, %d V8 timeouts, not counted), %d functions, "
          "%d comparisons, %d divergences in %.0fs (%d comparisons stopped at NaN payloads in memory, %d modules "
          "whose divergence was NaN nondeterminism, saved under %s/nan)" %
          (counts["modules"], counts["v8_rejected"], counts["v8_timeouts"], counts["functions"],
           counts["comparisons"], counts["divergences"], time.monotonic() - start, counts["nan_memory"],
           counts["nan_nondeterministic"], args.out), flush=True)
    return 1 if counts["divergences"] else 0


if __name__ == "__main__":
    sys.exit(main())
