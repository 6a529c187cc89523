;; Traps three calls deep: the backtrace must name every frame.
(module
  (func $inner (result i32) (i32.div_s (i32.const 1) (i32.const 0)))
  (func $middle (result i32) (call $inner))
  (func $deep (export "deep") (param i32) (result i32) (call $deep (local.get 0)))
  (func (export "boom") (result i32) (call $middle))
  (memory 1)
  (func (export "oob") (param i32) (result i32) (i32.load offset=4 (local.get 0))))
