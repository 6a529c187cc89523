;; memory.wat — a module with an exported memory (examples/memory.c): the host
;; writes bytes, wasm sums them, wasm fills a range, the host reads it back.
(module
  (memory (export "memory") 1 4)
  (func (export "sum") (param $ptr i32) (param $len i32) (result i32)
    (local $total i32)
    (block $done
      (loop $next
        (br_if $done (i32.eqz (local.get $len)))
        (local.set $total (i32.add (local.get $total) (i32.load8_u (local.get $ptr))))
        (local.set $ptr (i32.add (local.get $ptr) (i32.const 1)))
        (local.set $len (i32.sub (local.get $len) (i32.const 1)))
        (br $next)))
    (local.get $total))
  (func (export "fill") (param $ptr i32) (param $len i32) (param $byte i32)
    (memory.fill (local.get $ptr) (local.get $byte) (local.get $len)))
  (func (export "pages") (result i32) (memory.size)))
