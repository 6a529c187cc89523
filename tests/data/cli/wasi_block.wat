;; Guests that block in a host call, one export each, for the --timeout tests
;; (tests/cli/deadline.sh). Each returns the WASI errno of the call that was
;; expected to block, so a call that returns instead of blocking is visible.
;; Memory: 0 iovec, 16 result count, 20 roflags, 24 accepted fd, 64
;; subscriptions, 128 (or 400) events, 200 event count, 1024.. a 64 KiB buffer;
;; 28 an opened fd, 32 the name "fifo".
(module
  (import "wasi_snapshot_preview1" "poll_oneoff" (func $poll (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_read" (func $read (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_accept" (func $accept (param i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_recv" (func $recv (param i32 i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "sock_send" (func $send (param i32 i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "path_open"
    (func $open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (data (i32.const 32) "fifo")

  (func $iov (param $len i32)
    (i32.store (i32.const 0) (i32.const 1024))
    (i32.store (i32.const 4) (local.get $len)))

  ;; poll_oneoff on one clock subscription: monotonic, 30 s from now
  (func (export "sleep") (result i32)
    (i64.store (i32.const 64) (i64.const 7))            ;; userdata
    (i32.store8 (i32.const 72) (i32.const 0))           ;; tag: clock
    (i32.store (i32.const 80) (i32.const 1))            ;; monotonic
    (i64.store (i32.const 88) (i64.const 30000000000))  ;; 30 s
    (i64.store (i32.const 96) (i64.const 0))            ;; precision
    (i32.store16 (i32.const 104) (i32.const 0))         ;; relative
    (call $poll (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 200)))

  ;; poll_oneoff waiting for stdin to become readable
  (func (export "poll_stdin") (result i32)
    (i64.store (i32.const 64) (i64.const 7))
    (i32.store8 (i32.const 72) (i32.const 1))           ;; tag: fd_read
    (i32.store (i32.const 80) (i32.const 0))            ;; fd 0
    (call $poll (i32.const 64) (i32.const 128) (i32.const 1) (i32.const 200)))

  ;; poll_oneoff on stdin twice (read) and a 200 ms clock: returns
  ;; 10 * events + the tag of the first event, or 1000 + errno
  (func (export "poll_twice") (result i32)
    (local $e i32)
    (i64.store (i32.const 64) (i64.const 1))
    (i32.store8 (i32.const 72) (i32.const 1))           ;; fd_read
    (i32.store (i32.const 80) (i32.const 0))            ;; fd 0
    (i64.store (i32.const 256) (i64.const 2))
    (i32.store8 (i32.const 264) (i32.const 1))          ;; fd_read, the same fd
    (i32.store (i32.const 272) (i32.const 0))
    (i64.store (i32.const 304) (i64.const 3))
    (i32.store8 (i32.const 312) (i32.const 0))          ;; clock
    (i32.store (i32.const 320) (i32.const 1))           ;; monotonic
    (i64.store (i32.const 328) (i64.const 200000000))   ;; 200 ms
    (i64.store (i32.const 336) (i64.const 0))
    (i32.store16 (i32.const 344) (i32.const 0))
    ;; subscriptions are 48 bytes apart: 64, 112, 160; copy the two built above
    (memory.copy (i32.const 112) (i32.const 256) (i32.const 48))
    (memory.copy (i32.const 160) (i32.const 304) (i32.const 48))
    (local.set $e (call $poll (i32.const 64) (i32.const 400) (i32.const 3) (i32.const 200)))
    (if (local.get $e) (then (return (i32.add (i32.const 1000) (local.get $e)))))
    (i32.add (i32.mul (i32.load (i32.const 200)) (i32.const 10)) (i32.load8_u (i32.const 410))))

  ;; one fd_read of stdin
  (func (export "read") (result i32)
    (call $iov (i32.const 4096))
    (call $read (i32.const 0) (i32.const 0) (i32.const 1) (i32.const 16)))

  ;; fd_write of 64 KiB blocks to stdout until a write fails
  (func (export "write_full") (result i32)
    (local $e i32)
    (call $iov (i32.const 65536))
    (loop $more
      (local.set $e (call $write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 16)))
      (br_if $more (i32.eqz (local.get $e))))
    (local.get $e))

  ;; sock_accept on the first --tcplisten socket (fd 3)
  (func (export "accept") (result i32)
    (call $accept (i32.const 3) (i32.const 0) (i32.const 24)))

  ;; accept, then sock_recv from a client that sends nothing
  (func (export "recv") (result i32)
    (local $e i32)
    (local.set $e (call $accept (i32.const 3) (i32.const 0) (i32.const 24)))
    (if (local.get $e) (then (return (i32.add (i32.const 1000) (local.get $e)))))
    (call $iov (i32.const 4096))
    (call $recv (i32.load (i32.const 24)) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 16) (i32.const 20)))

  ;; accept, then fd_read of the connection
  (func (export "sockread") (result i32)
    (local $e i32)
    (local.set $e (call $accept (i32.const 3) (i32.const 0) (i32.const 24)))
    (if (local.get $e) (then (return (i32.add (i32.const 1000) (local.get $e)))))
    (call $iov (i32.const 4096))
    (call $read (i32.load (i32.const 24)) (i32.const 0) (i32.const 1) (i32.const 16)))

  ;; accept, then sock_send 64 KiB blocks to a client that never reads
  (func (export "send") (result i32)
    (local $e i32)
    (local.set $e (call $accept (i32.const 3) (i32.const 0) (i32.const 24)))
    (if (local.get $e) (then (return (i32.add (i32.const 1000) (local.get $e)))))
    (call $iov (i32.const 65536))
    (loop $more
      (local.set $e (call $send (i32.load (i32.const 24)) (i32.const 0) (i32.const 1) (i32.const 0) (i32.const 16)))
      (br_if $more (i32.eqz (local.get $e))))
    (local.get $e))

  ;; path_open of "fifo" in the first preopen (fd 3) with the rights to read,
  ;; then one fd_read of it: the open waits for a writer
  (func (export "open_fifo_read") (result i32)
    (local $e i32)
    (local.set $e (call $open (i32.const 3) (i32.const 1) (i32.const 32) (i32.const 4) (i32.const 0)
                              (i64.const 2) (i64.const 0) (i32.const 0) (i32.const 28)))
    (if (local.get $e) (then (return (i32.add (i32.const 1000) (local.get $e)))))
    (call $iov (i32.const 4096))
    (call $read (i32.load (i32.const 28)) (i32.const 0) (i32.const 1) (i32.const 16)))

  ;; path_open of "fifo" with the rights to write: the open waits for a reader
  (func (export "open_fifo_write") (result i32)
    (call $open (i32.const 3) (i32.const 1) (i32.const 32) (i32.const 4) (i32.const 0)
                (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 28))))
