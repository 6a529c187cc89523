;; hello.wat — the smallest WASI hello (bench/containerd's wrun container):
;; writes "hello from wrun\n" to stdout with fd_write and returns from _start.
;; hello.wasm beside it is `wat2wasm hello.wat`.
(module
  (import "wasi_snapshot_preview1" "fd_write"
    (func $fd_write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "hello from wrun\n")
  (func (export "_start")
    (i32.store (i32.const 0) (i32.const 16))  ;; iovec: base
    (i32.store (i32.const 4) (i32.const 16))  ;; iovec: length
    (drop (call $fd_write (i32.const 1) (i32.const 0) (i32.const 1) (i32.const 8)))))
