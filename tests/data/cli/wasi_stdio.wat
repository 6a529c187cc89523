;; Standard-stream probes for tests/cli/stdio.sh: each export ends the guest
;; with proc_exit(WASI errno) of the call it tests, so the shell sees the errno
;; as the exit status (8 EBADF, 6 EAGAIN). Memory: 0 iovec, 16 count,
;; 32 fdstat, 64.. data.
(module
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_get" (func $fdstat (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_fdstat_set_flags" (func $setflags (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 64) "hello\n")

  (func $write_hello (param $fd i32) (result i32)
    (i32.store (i32.const 0) (i32.const 64))
    (i32.store (i32.const 4) (i32.const 6))
    (call $write (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 16)))
  (func $read_some (param $fd i32) (result i32)
    (i32.store (i32.const 0) (i32.const 128))
    (i32.store (i32.const 4) (i32.const 64))
    (call $read (local.get $fd) (i32.const 0) (i32.const 1) (i32.const 16)))
  ;; sets fdflags, exiting with 100 + errno if that fails
  (func $set (param $fd i32) (param $flags i32)
    (local $e i32)
    (local.set $e (call $setflags (local.get $fd) (local.get $flags)))
    (if (local.get $e) (then (call $exit (i32.add (i32.const 100) (local.get $e))))))

  (func (export "write_stdout") (call $exit (call $write_hello (i32.const 1))))
  (func (export "write_stderr") (call $exit (call $write_hello (i32.const 2))))
  (func (export "read_stdin") (call $exit (call $read_some (i32.const 0))))

  ;; O_NONBLOCK on stdin, then a read: EAGAIN (6) on an idle pipe
  (func (export "nonblock_read")
    (call $set (i32.const 0) (i32.const 4))
    (call $exit (call $read_some (i32.const 0))))

  ;; O_NONBLOCK on stdout, then 4 KiB writes until one fails: EAGAIN (6) on a
  ;; pipe nobody reads
  (func (export "nonblock_write")
    (local $e i32)
    (call $set (i32.const 1) (i32.const 4))
    (i32.store (i32.const 0) (i32.const 4096))
    (i32.store (i32.const 4) (i32.const 4096))
    (loop $more
      (local.set $e (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
      (br_if $more (i32.eqz (local.get $e))))
    (call $exit (local.get $e)))

  ;; APPEND|NONBLOCK on stdout, fdstat shows them, a write works; exits with
  ;; the flags fdstat reports (5) when everything succeeded
  (func (export "flags_stdout")
    (local $e i32)
    (call $set (i32.const 1) (i32.const 5))
    (local.set $e (call $write_hello (i32.const 1)))
    (if (local.get $e) (then (call $exit (i32.add (i32.const 200) (local.get $e)))))
    (drop (call $fdstat (i32.const 1) (i32.const 32)))
    (call $exit (i32.load16_u (i32.const 34))))

  ;; O_NONBLOCK on stdin and stdout, then a trap
  (func (export "nonblock_trap")
    (call $set (i32.const 0) (i32.const 4))
    (call $set (i32.const 1) (i32.const 4))
    unreachable)

  ;; O_NONBLOCK on stdin and stdout, then a read that waits for the --timeout
  ;; (a guest with O_NONBLOCK does not wait, so clear it on stdin again first)
  (func (export "nonblock_timeout")
    (call $set (i32.const 1) (i32.const 4))
    (call $set (i32.const 0) (i32.const 4))
    (call $set (i32.const 0) (i32.const 0))
    (call $exit (call $read_some (i32.const 0)))))
