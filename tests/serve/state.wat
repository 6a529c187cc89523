;; state.wat — an http-wasm guest for the isolation checks in serve.sh. Every
;; request answers with 4 bytes describing the state it found, then changes
;; all of it: a mutable global (starts at 7), a byte of the data segment at 256
;; (starts as "A"), the memory size (1 page), a table slot (null), and a byte
;; of zero memory at 70000 that the memory.grow exposes (the grown page):
;;   body = [ '0'+global, mem[256], '0'+memory.size, '0'+(table[0] is null) ]
;; so a fresh instance always answers "7A11", and one that saw the previous
;; request's changes answers something else ("8B20" with --reuse-instances).
;; A URI whose second byte is "t" makes the same changes and then traps;
;; "/m" leaves a marker in the grown page and answers with its old value.
(module
  (import "http_handler" "get_uri" (func $get_uri (param i32 i32) (result i32)))
  (import "http_handler" "write_body" (func $write_body (param i32 i32 i32)))
  (memory (export "memory") 1)
  (table 1 funcref)
  (global $g (mut i32) (i32.const 7))
  (data (i32.const 256) "A")
  (func $f)
  (elem declare func $f)
  (func (export "handle_request") (result i64)
    (local $null i32)
    (drop (call $get_uri (i32.const 0) (i32.const 64)))
    (local.set $null (ref.is_null (table.get 0 (i32.const 0))))
    (i32.store8 (i32.const 512) (i32.add (i32.const 48) (global.get $g)))
    (i32.store8 (i32.const 513) (i32.load8_u (i32.const 256)))
    (i32.store8 (i32.const 514) (i32.add (i32.const 48) (memory.size)))
    (i32.store8 (i32.const 515) (i32.add (i32.const 48) (local.get $null)))
    ;; change everything
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.store8 (i32.const 256) (i32.add (i32.load8_u (i32.const 256)) (i32.const 1)))
    (table.set 0 (i32.const 0) (ref.func $f))
    (if (i32.ne (memory.grow (i32.const 1)) (i32.const -1))
      (then
        (if (i32.eq (i32.load8_u (i32.const 1)) (i32.const 109)) ;; "/m"
          (then
            (i32.store8 (i32.const 512) (i32.add (i32.const 48) (i32.load8_u (i32.const 70000))))
            (i32.store8 (i32.const 70000) (i32.const 9))))))
    (if (i32.eq (i32.load8_u (i32.const 1)) (i32.const 116)) ;; "/t"
      (then unreachable))
    (call $write_body (i32.const 1) (i32.const 512) (i32.const 4))
    (i64.const 0))
  (func (export "handle_response") (param i32 i32)))
