#!/usr/bin/env python3
"""Runs sandbox.wasm (the guest attacking its preopen) against wrun and checks
on the host that nothing outside the preopened directory changed.

    sandbox.py --wrun PATH --wasm PATH [--wrun-arg ARG]... [--no-openat2]

Lays out a temporary directory T with T/box (preopened as `--dir T/box::/`,
holding the symlinks sandbox.c lists: out, back in, loops, chains) and a canary
tree T/outside beside it, records every entry of T outside box (type, mode,
size, times, link count, inode, content or link target), runs the guest, and
compares. The guest runs twice: once through the attacks, once ("race") in a
loop while a host thread keeps exchanging directories and files in box with
symlinks pointing out (renameat2 RENAME_EXCHANGE) and moving a directory the
guest walks through to another depth. --no-openat2 runs wrun with
WRUN_TEST_NO_OPENAT2=1 so its path resolver works as on a kernel without
openat2. Exits 1 on any failure."""
import ctypes
import hashlib
import os
import subprocess
import sys
import tempfile
import threading

SECRET = b"SECRET-HOST-DATA\n"


def layout(top):
    box = os.path.join(top, "box")
    out = os.path.join(top, "outside")
    os.makedirs(os.path.join(out, "dir"))
    with open(os.path.join(out, "secret.txt"), "wb") as f:
        f.write(SECRET)
    with open(os.path.join(out, "victim.txt"), "wb") as f:
        f.write(b"victim\n")
    with open(os.path.join(out, "f.txt"), "wb") as f:
        f.write(SECRET)
    os.symlink("secret.txt", os.path.join(out, "lnk"))
    os.makedirs(os.path.join(box, "data"))
    os.makedirs(os.path.join(box, "sub"))
    with open(os.path.join(box, "data", "file.txt"), "wb") as f:
        f.write(b"inside\n")
    links = {
        "in_link": "data/file.txt", "data_link": "data", "sub/up_in": "../data",
        "chain1": "chain2", "chain2": "sub/up_in/file.txt",
        "secret_abs": os.path.join(out, "secret.txt"), "secret_rel": "../outside/secret.txt",
        "victim_rel": "../outside/victim.txt", "newfile_rel": "../outside/created.txt",
        "out": "../outside", "out_abs": out, "sub/deep_out": "../../outside", "dotdot": "..",
        "loop1": "loop2", "loop2": "loop1", "self": "self",
    }
    for i in range(45):
        links["c%02d" % i] = "c%02d" % (i + 1)
    links["c45"] = "data/file.txt"
    for name, target in links.items():
        os.symlink(target, os.path.join(box, name))
    # for the race: pairs the flipper keeps exchanging
    for d in ("flip", "m1/m2/m3", "m3"):
        os.makedirs(os.path.join(box, d))
    for f in ("flip/f.txt", "flink"):
        with open(os.path.join(box, f), "wb") as fh:
            fh.write(b"inside\n")
    os.symlink("../outside", os.path.join(box, "flip_alt"))
    os.symlink("../outside/f.txt", os.path.join(box, "flink_alt"))
    return box


def flipper(box, stop, count):
    """Swaps each race pair until stopped: atomically with renameat2
    RENAME_EXCHANGE where libc and the filesystem have it, else by three
    renames (which also leaves moments where one name is missing)."""
    libc = ctypes.CDLL(None, use_errno=True)
    exchange = getattr(libc, "renameat2", None)
    pairs = [(os.path.join(box, a), os.path.join(box, b))
             for a, b in (("flip", "flip_alt"), ("flink", "flink_alt"), ("m1/m2/m3", "m3"))]
    while not stop.is_set():
        for a, b in pairs:
            if exchange and exchange(-100, a.encode(), -100, b.encode(), 2) == 0:  # AT_FDCWD, RENAME_EXCHANGE
                count[0] += 1
                continue
            exchange = None
            try:
                os.rename(a, a + ".swap")
                os.rename(b, a)
                os.rename(a + ".swap", b)
                count[1] += 1
            except OSError:
                pass


def run_guest(cmd, top, env, args=()):
    try:
        return subprocess.run(cmd + list(args), cwd=top, env=env, stdin=subprocess.DEVNULL, capture_output=True,
                              timeout=120)
    except subprocess.TimeoutExpired:
        return None


def snapshot(top):
    """Every entry under top except box/, by relative path."""
    seen = {}
    for root, dirs, files in os.walk(top, followlinks=False):
        rel_root = os.path.relpath(root, top)
        if rel_root == "." and "box" in dirs:
            dirs.remove("box")
        for name in [""] + dirs + files:
            path = os.path.join(root, name) if name else root
            st = os.lstat(path)
            what = (st.st_mode, st.st_size, st.st_mtime_ns, st.st_ctime_ns, st.st_nlink, st.st_ino)
            if os.path.islink(path):
                what += (os.readlink(path),)
            elif os.path.isfile(path):
                with open(path, "rb") as f:
                    what += (hashlib.sha256(f.read()).hexdigest(),)
            seen[os.path.normpath(os.path.join(rel_root, name))] = what
    return seen


def main(argv):
    wrun = wasm = None
    extra = []
    env = {}
    i = 0
    while i < len(argv):
        if argv[i] == "--wrun":
            wrun = argv[i + 1]
            i += 2
        elif argv[i] == "--wasm":
            wasm = argv[i + 1]
            i += 2
        elif argv[i] == "--wrun-arg":
            extra.append(argv[i + 1])
            i += 2
        elif argv[i] == "--no-openat2":
            env["WRUN_TEST_NO_OPENAT2"] = "1"
            i += 1
        else:
            print(__doc__, file=sys.stderr)
            return 2
    if not wrun or not wasm:
        print(__doc__, file=sys.stderr)
        return 2
    failed = []
    with tempfile.TemporaryDirectory(prefix="wrun-sandbox-") as top:
        box = layout(top)
        before = snapshot(top)
        cmd = [os.path.abspath(wrun) if os.sep in wrun else wrun] + extra + ["--dir", box + "::/", os.path.abspath(wasm)]
        for phase in ("attacks", "race"):
            stop, count = threading.Event(), [0, 0]
            flip = threading.Thread(target=flipper, args=(box, stop, count))
            if phase == "race":
                flip.start()
            p = run_guest(cmd, top, env, ["race"] if phase == "race" else [])
            stop.set()
            if phase == "race":
                flip.join()
                print("race: %d atomic exchanges and %d three-rename swaps on the host" % (count[0], count[1]))
                if not count[0] and not count[1]:
                    failed.append("the flipper could not swap anything")
            if p is None:
                failed.append("%s: the guest timed out" % phase)
                continue
            out = p.stdout.decode(errors="replace")
            sys.stdout.write(out)
            sys.stdout.write(p.stderr.decode(errors="replace")[:300])
            if p.returncode != 0:
                failed.append("%s: exit status %d" % (phase, p.returncode))
            if "checks passed" not in out:
                failed.append("%s: the guest did not report all checks passed" % phase)
            if SECRET.strip() in p.stdout or SECRET.strip() in p.stderr:
                failed.append("%s: the guest printed the host secret" % phase)
        after = snapshot(top)
        for path in sorted(set(before) | set(after)):
            if before.get(path) != after.get(path):
                failed.append("outside the box, %s changed: %s -> %s" % (path, before.get(path), after.get(path)))
        if not os.path.isfile(os.path.join(box, "data", "file.txt")):
            failed.append("box/data/file.txt is gone")
    for f in failed:
        print("FAIL: " + f)
    if not failed:
        print("host: nothing outside the box changed (%d entries compared)" % len(before))
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
