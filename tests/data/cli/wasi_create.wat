;; Tries to create "new.txt" in the first preopen (fd 3) and exits with the
;; WASI errno path_open returned (0 on success, 76 ENOTCAPABLE when read-only).
(module
  (import "wasi_snapshot_preview1" "path_open"
    (func $path_open (param i32 i32 i32 i32 i32 i64 i64 i32 i32) (result i32)))
  (import "wasi_snapshot_preview1" "proc_exit" (func $exit (param i32)))
  (memory (export "memory") 1)
  (data (i32.const 16) "new.txt")
  (func (export "_start")
    (call $exit (call $path_open (i32.const 3) (i32.const 0) (i32.const 16) (i32.const 7)
                                 (i32.const 1) (i64.const 64) (i64.const 0) (i32.const 0) (i32.const 32)))))
