;; state_component.wat — the core module of state_component.wasm, a
;; wasi:http/incoming-handler@0.2.12 component written by hand to check that
;; `wrun serve` gives every request a fresh instance of a component
;; (tests/serve/component_isolation.sh). build_state_component.sh wraps it
;; with the WIT world in state_component.wit.
;;
;; Every request answers "g=G m=M p=P t=T h=H" with the state it found: G a
;; mutable global (0 initially), M a byte of the data segment (7), P the
;; memory size in pages (1), T whether table slot 1 is set (0) and H whether
;; the heap pointer of cabi_realloc is where the module starts it (1). Then
;; it changes all of that: G and M count up, memory.grow adds a page, slot 1
;; gets a function, and the heap pointer has moved with the path string.
;; GET /trap changes the state and traps before responding (500).
(module
  (import "wasi:http/types@0.2.12" "[constructor]fields" (func $fields_new (result i32)))
  (import "wasi:http/types@0.2.12" "[method]incoming-request.path-with-query"
    (func $req_path (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[constructor]outgoing-response" (func $resp_new (param i32) (result i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-response.body" (func $resp_body (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[method]outgoing-body.write" (func $body_write (param i32 i32)))
  (import "wasi:http/types@0.2.12" "[static]outgoing-body.finish" (func $body_finish (param i32 i32 i32 i32)))
  (import "wasi:http/types@0.2.12" "[static]response-outparam.set"
    (func $outparam_set (param i32 i32 i32 i32 i64 i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.12" "[method]output-stream.blocking-write-and-flush"
    (func $write_flush (param i32 i32 i32 i32)))
  (import "wasi:io/streams@0.2.12" "[resource-drop]output-stream" (func $out_drop (param i32)))

  (memory (export "memory") 1)
  (table $t 2 funcref)
  (global $g (mut i32) (i32.const 0))
  (global $heap (mut i32) (i32.const 4096))
  ;; 1024: the counter byte; 2048: the response text
  (data (i32.const 1024) "\07")
  (data (i32.const 2048) "g=0 m=0 p=0 t=0 h=0\n")

  (func $marker)
  (elem declare func $marker)

  ;; bump allocator for the canonical ABI (the path string)
  (func (export "cabi_realloc") (param i32 i32 i32 i32) (result i32)
    (local $p i32)
    (local.set $p (i32.and (i32.add (global.get $heap) (i32.sub (local.get 2) (i32.const 1)))
                           (i32.sub (i32.const 0) (local.get 2))))
    (global.set $heap (i32.add (local.get $p) (local.get 3)))
    (local.get $p))

  ;; the digit of min(v, 9) at 2048 + off
  (func $digit (param $off i32) (param $v i32)
    (i32.store8 (i32.add (i32.const 2048) (local.get $off))
      (i32.add (i32.const 48)
        (select (local.get $v) (i32.const 9) (i32.lt_u (local.get $v) (i32.const 9))))))

  (func (export "wasi:http/incoming-handler@0.2.12#handle") (param $req i32) (param $outparam i32)
    (local $resp i32) (local $body i32) (local $out i32) (local $plen i32) (local $pptr i32)
    ;; the state as found
    (call $digit (i32.const 2) (global.get $g))
    (call $digit (i32.const 6) (i32.load8_u (i32.const 1024)))
    (call $digit (i32.const 10) (memory.size))
    (call $digit (i32.const 14) (i32.eqz (ref.is_null (table.get $t (i32.const 1)))))
    (call $digit (i32.const 18) (i32.eq (global.get $heap) (i32.const 4096)))
    ;; change all of it
    (global.set $g (i32.add (global.get $g) (i32.const 1)))
    (i32.store8 (i32.const 1024) (i32.add (i32.load8_u (i32.const 1024)) (i32.const 1)))
    (drop (memory.grow (i32.const 1)))
    (i32.store (i32.const 65536) (i32.const 0x11111111))
    (table.set $t (i32.const 1) (ref.func $marker))
    ;; the path (option<string> at 0: tag, ptr at 4, len at 8); /trap traps
    (call $req_path (local.get $req) (i32.const 0))
    (if (i32.load8_u (i32.const 0))
      (then
        (local.set $pptr (i32.load (i32.const 4)))
        (local.set $plen (i32.load (i32.const 8)))
        (if (i32.and (i32.eq (local.get $plen) (i32.const 5))
                     (i32.eq (i32.load8_u (i32.add (local.get $pptr) (i32.const 1))) (i32.const 116)))
          (then unreachable))))
    ;; 200 with the text
    (local.set $resp (call $resp_new (call $fields_new)))
    (call $resp_body (local.get $resp) (i32.const 16))
    (local.set $body (i32.load (i32.const 20)))
    (call $body_write (local.get $body) (i32.const 16))
    (local.set $out (i32.load (i32.const 20)))
    (call $outparam_set (local.get $outparam) (i32.const 0) (local.get $resp)
      (i32.const 0) (i64.const 0) (i32.const 0) (i32.const 0) (i32.const 0) (i32.const 0))
    (call $write_flush (local.get $out) (i32.const 2048) (i32.const 20) (i32.const 32))
    (call $out_drop (local.get $out))
    (call $body_finish (local.get $body) (i32.const 0) (i32.const 0) (i32.const 32)))
)
