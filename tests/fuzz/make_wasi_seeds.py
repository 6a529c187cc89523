#!/usr/bin/env python3
"""Writes the seeds of fuzz_wasi (tests/fuzz/seeds/wasi/*.bin), one per family of
calls, in the input format that fuzz_wasi.c documents: byte 0 configures the
preopen, then each call is an op byte followed by its argument bytes.
Re-run after changing that format:  python3 tests/fuzz/make_wasi_seeds.py
See a seed's calls with:  WRUN_FUZZ_WASI_TRACE=1 build-fuzz/tests/fuzz/fuzz_wasi SEED
The seeds named found-*.bin are not written here: they are inputs fuzz_wasi
found that escaped the sandbox through the resolver without openat2 before
it was rewritten, kept as regression inputs."""
import os

# ops (enum in fuzz_wasi.c)
(PATH_OPEN, FD_CLOSE, FD_READ, FD_WRITE, FD_PREAD, FD_PWRITE, FD_SEEK, FD_TELL, FD_RENUMBER, FD_READDIR,
 FD_FILESTAT_GET, FD_SET_SIZE, FD_SET_TIMES, FD_SET_FLAGS, FD_FDSTAT, MKDIR, RMDIR, UNLINK, RENAME, SYMLINK,
 LINK, READLINK, PATH_FILESTAT_GET, PATH_SET_TIMES, FD_ALLOCATE, FD_ADVISE, PRESTAT, FD_SYNC) = range(28)
BAD = 0x80  # op flag: out-of-bounds result pointers
# path components (component() in fuzz_wasi.c)
C = {n: i for i, n in enumerate(
    ["a", "b", "..", ".", "", "file", "dir", "link", "dlink", "up", "upf", "abs", "absf", "loop", "dotdot",
     "self", "canary", "secret", "outside", "sub", "deep", "esc", "x", "L255", "M300"])}
NONE, SLASH, HOSTROOT, DOTDOT = range(4)  # path prefixes
FD3, FD4, FD5 = b"\x00", b"\x01", b"\x02"  # descriptors 3 (the preopen), 4, 5
DATA = b"0123456789abcdef"
TIME = b"\x01\x10\x00\x00\x00"  # a timestamp: selector byte, then 4 bytes of seconds


def op(o, *parts):
    return bytes([o]) + b"".join(p if isinstance(p, bytes) else bytes([p]) for p in parts)


def path(*comps, prefix=NONE, trailing=False):
    return bytes([len(comps) | prefix << 3 | (0x20 if trailing else 0)] + [C[c] for c in comps])


def open_(p, fd=FD3, follow=1, oflags=0, fdflags=0, rights=0, inh=0):
    """rights/inheriting selectors: 0 file+dir, 1 read, 2 write, 3 file, 4 dir, 5 all bits, 6 random, 7 none."""
    return op(PATH_OPEN, follow, oflags, fdflags, fd, p, rights, inh)


def rw(o, fd, length=4, offset=None):
    data = DATA if o in (FD_WRITE, FD_PWRITE) else b""
    return op(o, fd, 0, length, data, b"" if offset is None else bytes([offset]))


SEEDS = {
    "open-write-read": [open_(path("a"), oflags=1), rw(FD_WRITE, FD4), op(FD_SEEK, FD4, 0, 0, 0),
                        rw(FD_READ, FD4), op(FD_TELL, FD4), op(FD_CLOSE, FD4)],
    "positioned-and-metadata": [open_(path("file")), rw(FD_PWRITE, FD4, 2, 10), rw(FD_PREAD, FD4, 2, 0),
                                op(FD_SET_SIZE, FD4, 3), op(FD_SET_TIMES, FD4, TIME, 0, 5), op(FD_FILESTAT_GET, FD4),
                                op(FD_FDSTAT, FD4, 1), op(FD_SET_FLAGS, FD4, 1), op(FD_ALLOCATE, FD4, 2, 5),
                                op(FD_ADVISE, FD4, 0, 5, 1), op(FD_SYNC, FD4, 1)],
    "directories": [op(MKDIR, FD3, path("b")), op(MKDIR, FD3, path("b", "a")),
                    open_(path("b"), oflags=2, rights=4), op(FD_READDIR, FD4, 0x40, 0, 0),
                    op(RMDIR, FD3, path("b", "a")), op(RMDIR, FD3, path("b")), op(PRESTAT, FD3, 1),
                    op(PRESTAT, FD3, 0, 7)],
    "symlinks-out": [op(SYMLINK, path("canary", prefix=DOTDOT), FD3, path("x")), open_(path("x")),
                     op(READLINK, FD3, path("up"), 0x40), op(PATH_FILESTAT_GET, FD3, 1, path("abs")),
                     op(PATH_SET_TIMES, FD3, 1, path("upf"), TIME, 0, 5),
                     op(SYMLINK, path("canary", "secret", prefix=HOSTROOT), FD3, path("a")),
                     op(READLINK, FD3, path("a"), 0x40)],
    "rename-link-unlink": [open_(path("a"), oflags=1), op(RENAME, FD3, path("a"), FD3, path("b")),
                           op(LINK, FD3, 0, path("b"), FD3, path("x")), op(LINK, FD3, 1, path("link"), FD3, path("a")),
                           op(UNLINK, FD3, path("b")), op(UNLINK, FD3, path("x", trailing=True)),
                           op(RENAME, FD3, path("upf"), FD3, path("dir", "x"))],
    "renumber-close": [open_(path("file")), open_(path("dir"), oflags=2, rights=4), op(FD_RENUMBER, FD4, FD5),
                       op(FD_CLOSE, FD5), open_(path("file")), op(FD_RENUMBER, FD3, FD4),
                       open_(path("a"), fd=FD4, oflags=1),
                       op(FD_CLOSE, FD3)],
    "parent-walk-escapes": [op(MKDIR, FD3, path("abs", "deep", trailing=True)), op(UNLINK, FD3, path("up", "secret")),
                            op(RENAME, FD3, path("dlink", "deep", "secret"), FD3, path("x")),
                            op(PATH_SET_TIMES, FD3, 0, path("dir", "deep", "secret"), TIME, 0, 5),
                            op(SYMLINK, path("a"), FD3, path("abs", "a")),
                            op(LINK, FD3, 0, path("upf"), FD3, path("x"))],
    "names-and-dots": [op(MKDIR, FD3, path("L255")), op(MKDIR, FD3, path("M300")),
                       open_(path(".", ".", "dir", "..", "file")), open_(path("a", "", "b"), oflags=1),
                       open_(path("file", prefix=SLASH)), open_(path("canary", "secret", prefix=HOSTROOT)),
                       op(PATH_FILESTAT_GET, FD3, 1, path("..")), open_(path("dir", "sub", "..", "a")),
                       op(PATH_FILESTAT_GET, FD3, 1, path("dir", "sub", "deep"))],
    "loops": [open_(path("loop")), open_(path("self", "self", "file")), open_(path("dotdot", "canary", "secret")),
              open_(path("dlink", "deep")), open_(path("esc")), op(PATH_FILESTAT_GET, FD3, 1, path("self", "loop"))],
    "bad-pointers": [op(PATH_OPEN | BAD, 0, 1, 0, FD3, path("file"), 0, 0), open_(path("file")),
                     op(FD_READ | BAD, FD4, 0, 4, 1), op(READLINK | BAD, FD3, path("link"), 0x40),
                     op(FD_FILESTAT_GET | BAD, FD4), op(PATH_FILESTAT_GET | BAD, FD3, 0, path("file"))],
}
READONLY_SEEDS = {  # byte 0 = 7: the preopen is read-only and box must not change
    "readonly-preopen": [open_(path("file")), open_(path("file"), rights=1, inh=1), rw(FD_READ, FD4),
                         op(MKDIR, FD3, path("a")), op(PATH_SET_TIMES, FD3, 0, path("file"), 0, 0, 0x0a),
                         op(SYMLINK, path("file"), FD3, path("x")), op(FD_SET_TIMES, FD4, 0, 0, 0x0a)],
}

out = os.path.join(os.path.dirname(os.path.abspath(__file__)), "seeds", "wasi")
os.makedirs(out, exist_ok=True)
for cfg, seeds in ((0, SEEDS), (7, READONLY_SEEDS)):
    for name, calls in seeds.items():
        with open(os.path.join(out, name + ".bin"), "wb") as f:
            f.write(bytes([cfg]) + b"".join(calls))
