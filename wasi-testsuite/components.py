#!/usr/bin/env python3
"""Runs every wasi-testsuite program twice under wrun: as the core module and
as a WASI 0.2 component made from it by jco's preview-1 adapter (`jco new
X.wasm --wasi-command`), and checks that both behave the same: identical
stdout and stderr, and the same exit status. The core run must also match the
program's X.json (as wasi-testsuite/run checks).

    components.py --wrun PATH [--jco PATH] [--wrun-arg ARG]... [--host-env NAME=VALUE]... DIR
    components.py --wrun PATH [--jco PATH] [--wrun-arg ARG]... [--no-openat2] --sandbox ADAPTED.wasm

Each run gets a fresh temporary directory holding the X.json "dirs" and the
program itself, so both runs print the same paths. Exit statuses: wasi:cli/exit
0.2 carries only ok or err, so the adapter turns every proc_exit(N), N > 0,
into exit(err), status 1; a status of 1..127 of the core module must therefore
be 1 for the component (0 and traps, 134, must be identical).

Two programs cannot behave identically through the adapter, for reasons of the
adapter alone (wasmtime gives the same): they are checked against what the
adapter does instead (ADAPTER_GAPS below) rather than skipped.

--sandbox wraps the sandbox guest (sandbox.c built with -DSANDBOX_ADAPTED) and
runs sandbox/sandbox.py on the component: the attacks on the preopen, the
race, and the host-side check that nothing outside it changed.

Without jco: prints SKIP and exits 77, or fails when WRUN_REQUIRE_JCO=1."""
import json
import os
import shutil
import subprocess
import sys
import tempfile

HERE = os.path.dirname(os.path.abspath(__file__))

# program -> (why, check(core, comp) -> error or None) for programs the
# adapter cannot run as the core module runs.
def _calls_gap(core, comp):
    # calls.c checks preview-1 calls WASI 0.2 has no counterpart for: the
    # adapter answers fd_allocate NOTSUP (the check "allocate" fails) and traps
    # (`unreachable`) in fd_fdstat_set_rights. Everything before those must
    # have passed, i.e. that check is the first and only failure printed.
    out = comp[1].decode(errors="replace").splitlines()
    if comp[0] != 134 or len(out) != 1 or not out[0].startswith("FAIL allocate ("):
        return "expected the adapter's NOTSUP for fd_allocate as the only failure, then its trap; got %r" % (comp,)
    if b"unreachable" not in comp[2]:
        return "expected the adapter's `unreachable` trap; stderr %r" % comp[2]
    return None


def _clocks_gap(core, comp):
    # WASI 0.2 has no process CPU-time clock: the adapter refuses
    # CLOCK_PROCESS_CPUTIME_ID, so that one line says 0; all else is identical.
    line = b"process cputime works: "
    if core[0] != comp[0] or core[2] != comp[2]:
        return "status or stderr differ: core %r, component %r" % (core, comp)
    if comp[1] != core[1].replace(line + b"1", line + b"0") or line + b"1" not in core[1]:
        return "stdout should differ only in %r:\n  core:      %r\n  component: %r" % (line, core[1], comp[1])
    return None


ADAPTER_GAPS = {
    "calls": ("fd_allocate and fd_fdstat_set_rights have no WASI 0.2 counterpart in jco's adapter", _calls_gap),
    "clocks": ("WASI 0.2 has no process CPU-time clock", _clocks_gap),
}


def find_jco(given):
    jco = given or os.environ.get("JCO") or shutil.which("jco")
    if not jco:
        print("SKIP: jco not found (npm i -g @bytecodealliance/jco, or set JCO=/path/to/jco)")
        if os.environ.get("WRUN_REQUIRE_JCO") == "1":
            print("FAIL: WRUN_REQUIRE_JCO=1 and jco is missing")
            sys.exit(1)
        sys.exit(77)
    return jco


def wrap(jco, wasm, out):
    p = subprocess.run([jco, "new", wasm, "--wasi-command", "-o", out], capture_output=True)
    if p.returncode != 0:
        raise RuntimeError("jco new %s: %s" % (wasm, p.stderr.decode(errors="replace").strip()[:300]))


def run_one(wrun, extra, host_env, wasm, spec, base):
    """(status, stdout, stderr) of wrun on `wasm` in a fresh directory."""
    with tempfile.TemporaryDirectory(prefix="wasi-p2-") as work:
        cmd = [wrun] + list(extra)
        for d in spec.get("dirs", []):
            src, dst = os.path.join(base, d), os.path.join(work, d)
            if os.path.isdir(src):
                shutil.copytree(src, dst, symlinks=True)
            else:
                os.makedirs(dst)
            cmd += ["--dir", d]
        for k, v in spec.get("env", {}).items():
            cmd += ["--env", "%s=%s" % (k, v)]
        name = os.path.basename(wasm).replace(".component", "")
        shutil.copy(wasm, os.path.join(work, name))
        cmd.append(name)
        cmd += spec.get("args", [])
        try:
            p = subprocess.run(cmd, cwd=work, capture_output=True, timeout=120, env=dict(host_env),
                               stdin=subprocess.DEVNULL)
        except subprocess.TimeoutExpired:
            return (None, b"", b"timed out")
        return (p.returncode, p.stdout, p.stderr)


def compare(name, spec, core, comp):
    want = spec.get("exit_code", 0)
    if core[0] != want:
        return "core module: exit status %s, expected %d; stderr %r" % (core[0], want, core[2][:300])
    if "stdout" in spec and core[1].decode(errors="replace") != spec["stdout"]:
        return "core module: stdout %r, expected %r" % (core[1][:300], spec["stdout"])
    if name in ADAPTER_GAPS:
        return ADAPTER_GAPS[name][1](core, comp)
    status = core[0] if core[0] == 0 or core[0] >= 128 else 1
    if comp[0] != status:
        return "component: exit status %s, expected %d (core module %d); stderr %r" % (comp[0], status, core[0],
                                                                                       comp[2][:300])
    if comp[1] != core[1]:
        return "component: stdout differs:\n  core:      %r\n  component: %r" % (core[1][:400], comp[1][:400])
    if comp[2] != core[2]:
        return "component: stderr differs:\n  core:      %r\n  component: %r" % (core[2][:400], comp[2][:400])
    return None


def suite(wrun, jco, extra, host_env, d):
    passed = failed = 0
    with tempfile.TemporaryDirectory(prefix="wasi-p2-comp-") as tmp:
        for f in sorted(os.listdir(d)):
            if not f.endswith(".wasm") or f.endswith(".component.wasm"):
                continue
            name = f[:-5]
            spec_path = os.path.join(d, name + ".json")
            if not os.path.exists(spec_path):
                continue
            with open(spec_path) as fh:
                spec = json.load(fh)
            comp_path = os.path.join(tmp, name + ".component.wasm")
            try:
                wrap(jco, os.path.join(d, f), comp_path)
            except RuntimeError as e:
                print("FAIL %s: %s" % (name, e))
                failed += 1
                continue
            core = run_one(wrun, extra, host_env, os.path.join(d, f), spec, d)
            comp = run_one(wrun, extra, host_env, comp_path, spec, d)
            err = compare(name, spec, core, comp)
            if err:
                print("FAIL %s: %s" % (name, err))
                failed += 1
            else:
                gap = " (adapter gap checked: %s)" % ADAPTER_GAPS[name][0] if name in ADAPTER_GAPS else ""
                print("ok %s%s" % (name, gap))
                passed += 1
    print("%d passed, %d failed" % (passed, failed))
    if passed + failed == 0:
        print("FAIL: no programs in %s" % d)
        return 1
    return 1 if failed else 0


def sandbox(wrun, jco, extra, no_openat2, wasm):
    with tempfile.TemporaryDirectory(prefix="wasi-p2-sandbox-") as tmp:
        comp = os.path.join(tmp, "sandbox.component.wasm")
        try:
            wrap(jco, wasm, comp)
        except RuntimeError as e:
            print("FAIL: %s" % e)
            return 1
        cmd = [sys.executable, os.path.join(HERE, "sandbox", "sandbox.py"), "--wrun", wrun, "--wasm", comp]
        for a in extra:
            cmd += ["--wrun-arg", a]
        if no_openat2:
            cmd.append("--no-openat2")
        return subprocess.run(cmd).returncode


def main(argv):
    wrun = jco = sbx = None
    extra, host_env, dirs = [], {}, []
    no_openat2 = False
    i = 0
    while i < len(argv):
        a = argv[i]
        if a in ("--wrun", "--jco", "--wrun-arg", "--host-env", "--sandbox") and i + 1 < len(argv):
            v = argv[i + 1]
            if a == "--wrun":
                wrun = os.path.abspath(v)
            elif a == "--jco":
                jco = v
            elif a == "--wrun-arg":
                extra.append(v)
            elif a == "--sandbox":
                sbx = v
            else:
                k, _, val = v.partition("=")
                host_env[k] = val
            i += 2
        elif a == "--no-openat2":
            no_openat2 = True
            i += 1
        elif a.startswith("-"):
            print(__doc__, file=sys.stderr)
            return 2
        else:
            dirs.append(a)
            i += 1
    if not wrun or (not sbx and len(dirs) != 1):
        print(__doc__, file=sys.stderr)
        return 2
    jco = find_jco(jco)
    if sbx:
        return sandbox(wrun, jco, extra, no_openat2, sbx)
    return suite(wrun, jco, extra, host_env, dirs[0])


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
