;; A WASI command without libc: prints its argument count and "hello" through
;; fd_write, then exits with status 3 through proc_exit.
(module
  (import "wasi_snapshot_preview1" "fd_write" (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "args_sizes_get" (func $args_sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "argc=? hello\n")
  (func (export "_start")
    (drop (call $args_sizes (i32.const 0) (i32.const 4)))
    ;; the digit: '0' + argc (argc < 10 in the tests)
    (i32.store8 (i32.const 21) (i32.add (i32.const 48) (i32.load (i32.const 0))))
    (i32.store (i32.const 8) (i32.const 16))   ;; iov.buf
    (i32.store (i32.const 12) (i32.const 13))  ;; iov.len
    (drop (call $fd_write (i32.const 1) (i32.const 8) (i32.const 1) (i32.const 40)))
    (call $exit (i32.const 3))))
