#!/usr/bin/env python3
"""layers.py — checks that every `#include "..."` in src/ points down the layer
order of docs/architecture.md, never up or sideways.

Each folder under src/ belongs to a layer; LAYERS below lists them from the
bottom. A file may include:
  - files of its own folder;
  - files of a lower layer;
  - from an ISA folder of the AOT tier (src/aot/<isa>/), the tier's own
    target-independent files (src/aot/), but not the other way round, and not
    another ISA's folder.
Anything else fails: an include of a higher layer (upward) or of another folder
of the same layer (sideways, e.g. interp <-> aot, which talk only through
runtime/tier.h). A folder not listed in LAYERS fails too, so a new stage has
to be placed in the order. Includes that resolve to no file in src/ or
include/ (system and generated headers) are not edges.

  tests/layers.py [--root DIR]       check DIR/src (default: this checkout)
  tests/layers.py --self-test        also prove the check fails on planted
                                     upward and sideways includes (temp copy)
  tests/layers.py --counts           print edge counts per kind and folder pair
Exit status 0 when every edge is allowed (and the self-test held), 1 otherwise.
"""
import argparse
import os
import re
import shutil
import sys
import tempfile

# Bottom first; folders on one line share a layer and may not include each
# other. `aot/*` are the ISA backends (aot/x64, later aot/arm64), except
# aot/ir, the neutral optimizing pipeline.
LAYERS = [
    ["common"],                      # errors, hashing, growable arrays
    ["binary"],                      # opcode table, reader, module IR, decoder
    ["valid", "text", "semantics"],  # validator; WAT -> binary; value semantics of both tiers
    ["component", "runtime"],        # component IR; store/instances + the tier interface (tier.h)
    ["interp", "aot"],               # the two execution tiers (aot/* are its ISA folders)
    ["engine"],                      # registers the tiers with the runtime (public store/template entry)
    ["cinst", "wast", "wasi"],       # component instantiation, spec runner, WASI preview 1
    ["wasip2"],                      # WASI 0.2 host
    ["capi", "serve", "shim"],       # the embedding API (wasm.h, wrun.h: modules and components); HTTP server; containerd shim
    ["cli"],                         # the wrun executable
]
ISA_PARENT = "aot"  # src/aot/<isa>/ folders belong to this folder's layer
# Subfolders of src/aot that are part of its target-independent half, not an
# ISA: the optimizing pipeline's IR, passes and target interface (docs/aot-ir.md).
AOT_NEUTRAL_SUBFOLDERS = {"ir"}
RANK = {name: i for i, names in enumerate(LAYERS) for name in names}
INCLUDE_RE = re.compile(r'^\s*#\s*include\s*"([^"]+)"', re.M)


class Unplaced(Exception):
    pass


def folder_of(rel_dir):
    """(layer folder, is ISA subfolder) of a folder path relative to src/."""
    parts = rel_dir.split("/")
    top = parts[0]
    if top not in RANK:
        raise Unplaced(top)
    return top, top == ISA_PARENT and len(parts) > 1 and parts[1] not in AOT_NEUTRAL_SUBFOLDERS


def resolve(root, src_file, inc):
    """The folder (relative to src/) of the file `inc` names, or None when it
    is not a file of src/ (include/ is the public API, below every layer)."""
    src = os.path.join(root, "src")
    for base in (src, os.path.dirname(src_file)):
        cand = os.path.normpath(os.path.join(base, inc))
        if os.path.isfile(cand) and cand.startswith(src + os.sep):
            return os.path.relpath(os.path.dirname(cand), src)
    return None


def classify(src_dir, dst_dir):
    """'same', 'down' or a reason the edge is not allowed."""
    if src_dir == dst_dir:
        return "same"
    (s_top, s_isa), (d_top, d_isa) = folder_of(src_dir), folder_of(dst_dir)
    if s_top == d_top:
        if not s_isa and not d_isa:
            return "same"  # the tier's neutral half: src/aot and its neutral subfolders (aot/ir)
        if s_isa and not d_isa:
            return "down"  # an ISA backend uses its tier's neutral half
        if d_isa and not s_isa:
            return "upward: the AOT tier's neutral half may not include an ISA folder (name targets in aot/targets.c)"
        return "sideways: one ISA folder may not include another"
    if RANK[d_top] < RANK[s_top]:
        return "down"
    if RANK[d_top] == RANK[s_top]:
        return "sideways: %s and %s share layer %d and may not include each other" % (s_top, d_top, RANK[s_top])
    return "upward: %s (layer %d) may not include %s (layer %d)" % (s_top, RANK[s_top], d_top, RANK[d_top])


def edges(root):
    src = os.path.join(root, "src")
    for dirpath, _, files in sorted(os.walk(src)):
        for f in sorted(files):
            if not f.endswith((".c", ".h", ".def")):
                continue
            path = os.path.join(dirpath, f)
            with open(path, encoding="utf-8", errors="replace") as fh:
                text = fh.read()
            for m in INCLUDE_RE.finditer(text):
                dst = resolve(root, path, m.group(1))
                if dst is None:
                    continue
                line = text.count("\n", 0, m.start()) + 1
                yield os.path.relpath(path, root), line, os.path.relpath(dirpath, src), m.group(1), dst


def check(root, quiet=False, counts=False):
    """Returns (number of bad edges, {kind: count})."""
    bad = 0
    tally = {"same": 0, "down": 0, "upward": 0, "sideways": 0}
    pairs = {}
    for path, line, s_dir, inc, d_dir in edges(root):
        try:
            verdict = classify(s_dir, d_dir)
        except Unplaced as e:
            verdict = "unplaced: src/%s is in no layer (add it to LAYERS in tests/layers.py)" % e
        kind = verdict.split(":")[0]
        tally[kind] = tally.get(kind, 0) + 1
        if kind != "same":
            pairs[(s_dir, d_dir, kind)] = pairs.get((s_dir, d_dir, kind), 0) + 1
        if kind not in ("same", "down"):
            bad += 1
            if not quiet:
                print("%s:%d: #include \"%s\": %s" % (path, line, inc, verdict))
    if counts:
        for (s, d, k), n in sorted(pairs.items()):
            print("  %-10s %-12s -> %-12s %d" % (k, s, d, n))
    return bad, tally


def self_test(root):
    """Plants bad includes in a temp copy of src/ and include/; each must fail."""
    plants = [
        ("src/runtime/store.c", '#include "interp/interp.h"', "upward"),
        ("src/aot/aot.c", '#include "aot/x64/target.h"', "upward"),
        ("src/aot/x64/target.c", '#include "interp/interp.h"', "sideways"),
        ("src/interp/exec.c", '#include "aot/aot.h"', "sideways"),
        ("src/semantics/simd.c", '#include "runtime/rt.h"', "upward"),
    ]
    ok = True
    with tempfile.TemporaryDirectory() as tmp:
        for d in ("src", "include"):
            if os.path.isdir(os.path.join(root, d)):
                shutil.copytree(os.path.join(root, d), os.path.join(tmp, d))
        base_bad, _ = check(tmp, quiet=True)
        if base_bad:
            print("self-test: the unmodified copy already fails")
            return False
        for rel, line, want in plants:
            path = os.path.join(tmp, rel)
            if not os.path.isfile(path):
                print("self-test: %s missing" % rel)
                ok = False
                continue
            with open(path, encoding="utf-8") as fh:
                orig = fh.read()
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(orig + "\n" + line + "\n")
            bad, tally = check(tmp, quiet=True)
            held = bad == 1 and tally.get(want, 0) == 1
            print("self-test: %s + %s -> %s (%s)" % (rel, line, "rejected as " + want if held else "NOT rejected",
                                                  "ok" if held else "FAIL"))
            ok = ok and held
            with open(path, "w", encoding="utf-8") as fh:
                fh.write(orig)
    return ok


def main():
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    ap.add_argument("--root", default=os.path.dirname(os.path.dirname(os.path.abspath(__file__))))
    ap.add_argument("--self-test", action="store_true")
    ap.add_argument("--counts", action="store_true")
    a = ap.parse_args()
    bad, tally = check(a.root, counts=a.counts)
    print("include edges in %s/src: %d within a folder, %d down, %d upward, %d sideways, %d unplaced" %
          (a.root, tally["same"], tally["down"], tally["upward"], tally["sideways"], tally.get("unplaced", 0)))
    ok = bad == 0
    if a.self_test:
        ok = self_test(a.root) and ok
    return 0 if ok else 1


if __name__ == "__main__":
    sys.exit(main())
