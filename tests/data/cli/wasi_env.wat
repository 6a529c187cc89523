;; Prints the guest's environment, one NAME=VALUE a line, in the order wrun
;; gives it (environ_get), for tests of --env, --inherit-env and manifests.
(module
  (import "wasi_snapshot_preview1" "environ_sizes_get" (func $sizes (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "environ_get" (func $get (param i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "fd_write" (func $write (param i32 i32 i32 i32) (result i32)))
  (memory (export "memory") 2)
  (func (export "_start")
    (local $i i32) (local $len i32)
    (drop (call $sizes (i32.const 0) (i32.const 4)))
    (local.set $len (i32.load (i32.const 4)))
    (drop (call $get (i32.const 1024) (i32.const 8192)))
    ;; the strings are NUL-terminated and adjacent: make each NUL a newline
    (block $done
      (loop $next
        (br_if $done (i32.ge_u (local.get $i) (local.get $len)))
        (if (i32.eqz (i32.load8_u (i32.add (i32.const 8192) (local.get $i))))
          (then (i32.store8 (i32.add (i32.const 8192) (local.get $i)) (i32.const 10))))
        (local.set $i (i32.add (local.get $i) (i32.const 1)))
        (br $next)))
    (i32.store (i32.const 16) (i32.const 8192))
    (i32.store (i32.const 20) (local.get $len))
    (drop (call $write (i32.const 1) (i32.const 16) (i32.const 1) (i32.const 24)))))
